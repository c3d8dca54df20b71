"""Turn labelled articles into encoder windows with tag labels and span examples."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from tokenizers import Tokenizer

from ..model.features import span_features, token_features
from ..model.names import PLACEHOLDER, Reading
from ..model.windows import plan, token_span, tokenize_reading
from ..spans import merge_intervals
from ..techniques import index
from .data import Article

O, B, I = 0, 1, 2
IGNORE = -100


@dataclass
class WindowExample:
    ids: np.ndarray            # content token ids (no special tokens)
    tags: np.ndarray           # O/B/I per content token
    spans: list[tuple[int, int, int, np.ndarray]] = field(default_factory=list)  # first, last, label, feats
    cues: np.ndarray | None = None   # (tokens, N_TOKEN_FEATURES) hand-made token features, when the model reads them


def bio_tags(offsets: np.ndarray, intervals: list[tuple[int, int]]) -> np.ndarray:
    tags = np.full(len(offsets), O, dtype=np.int64)
    for start, end in merge_intervals(intervals):
        hit = token_span(offsets, start, end)
        if hit:
            tags[hit[0]:hit[1] + 1] = I
            tags[hit[0]] = B
    return tags


def build(articles: list[Article], tokenizer: Tokenizer, size: int, stride: int,
          lines: bool = False, cues: bool = False, common: frozenset[str] | None = None,
          placeholders: tuple[str, ...] = (PLACEHOLDER,)) -> list[WindowExample]:
    """Windows of every article with their tags and span examples; ``lines``: windows within lines;
    ``cues``: with the hand-made token features; ``common``: names blinded (model/names.py), each
    distinct name read as the next of ``placeholders``."""
    out: list[WindowExample] = []
    for art in articles:
        reading = Reading(art.text, common, placeholders)
        toks = tokenize_reading(tokenizer, reading)
        if len(toks.ids) == 0:
            continue
        tags = bio_tags(toks.offsets, [(s.start, s.end) for s in art.spans])
        windows = plan(art.text, toks.offsets, size, stride, lines)
        feats = token_features(reading.text, reading.offsets_to_view(toks.offsets), lines) if cues else None
        examples = [WindowExample(toks.ids[w.lo:w.hi], tags[w.lo:w.hi],
                                  cues=None if feats is None else feats[w.lo:w.hi]) for w in windows]
        for span in art.spans:
            if not span.technique:      # a fragment without a trusted technique teaches the tagger only
                continue
            hit = token_span(toks.offsets, span.start, span.end)
            if hit is None:
                continue
            first, last = hit
            feats = span_features(reading.text, *reading.to_view(span.start, span.end))
            label = index(span.technique)
            holders = [i for i, w in enumerate(windows) if w.lo <= first and last < w.hi]
            if not holders:   # longer than a window: the window holding most of it, clipped
                best = max(range(len(windows)),
                           key=lambda i: min(last + 1, windows[i].hi) - max(first, windows[i].lo))
                holders = [best]
            for i in holders:
                w = windows[i]
                examples[i].spans.append((max(first, w.lo) - w.lo, min(last, w.hi - 1) - w.lo, label, feats))
        out.extend(examples)
    return out

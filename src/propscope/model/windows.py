"""Tokenize a whole article once and cut it into overlapping encoder windows.

Character offsets are the truth: every token keeps the (start, end) of the characters it
came from, so anything decided on tokens maps straight back to the original text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tokenizers import Tokenizer

from ..text.read import check_unicode
from .names import Reading


@dataclass(frozen=True)
class Tokens:
    """An article's tokens: ids and character offsets (end exclusive), no special tokens."""

    ids: np.ndarray       # (n,) int64
    offsets: np.ndarray   # (n, 2) int64


@dataclass(frozen=True)
class Window:
    """Tokens ``[lo, hi)`` of an article; ``core`` is the part this window is trusted for."""

    lo: int
    hi: int
    core_lo: int
    core_hi: int


def load_tokenizer(path: str) -> Tokenizer:
    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    return tok


def special_ids(tokenizer: Tokenizer) -> tuple[int, int, int]:
    """(start, end, padding) token ids: [CLS] [SEP] [PAD] for BERT-like vocabularies, <s> </s> <pad> for MPNet."""
    for start, end, pad in (("[CLS]", "[SEP]", "[PAD]"), ("<s>", "</s>", "<pad>")):
        ids = [tokenizer.token_to_id(t) for t in (start, end, pad)]
        if None not in ids:
            return ids[0], ids[1], ids[2]
    raise ValueError("tokenizer has neither [CLS]/[SEP]/[PAD] nor <s>/</s>/<pad>")


def tokenize(tokenizer: Tokenizer, text: str, common: frozenset[str] | None = None) -> Tokens:
    """Tokens of ``text``; with ``common`` (a name-blind reader's common words), of the text with
    its names blinded, offsets mapped back to ``text`` (a placeholder's token covers the whole name)."""
    return tokenize_reading(tokenizer, Reading(text, common))


def tokenize_reading(tokenizer: Tokenizer, reading: Reading) -> Tokens:
    """Tokens of what a ``names.Reading`` reads, offsets into its original text; an InputError for
    text that is not valid Unicode (the tokenizer cannot take a lone surrogate)."""
    check_unicode(reading.original, "the text")
    enc = tokenizer.encode(reading.text, add_special_tokens=False)
    ids = np.asarray(enc.ids, dtype=np.int64)
    offsets = np.asarray(enc.offsets, dtype=np.int64).reshape(-1, 2)
    if reading.blinded is not None:
        offsets = reading.blinded.offsets_to_original(offsets)
    keep = offsets[:, 1] > offsets[:, 0]          # drop zero-width tokens, if any
    return Tokens(ids[keep], offsets[keep])


def token_span(offsets: np.ndarray, start: int, end: int) -> tuple[int, int] | None:
    """First and last token (inclusive) whose characters overlap [start, end)."""
    hit = np.nonzero((offsets[:, 1] > start) & (offsets[:, 0] < end))[0]
    return (int(hit[0]), int(hit[-1])) if len(hit) else None


def plan_windows(n_tokens: int, size: int, stride: int) -> list[Window]:
    """Windows of ``size`` content tokens every ``stride`` tokens, covering all tokens.

    Overlapping halves are split at their midpoint: each token has exactly one window
    whose core holds it, and that core keeps the token away from a window edge when it can.
    """
    if n_tokens == 0:
        return []
    if stride > size or stride <= 0:
        raise ValueError("stride must be in (0, size]")
    starts = list(range(0, max(n_tokens - size, 0) + 1, stride))
    if starts[-1] + size < n_tokens:
        starts.append(n_tokens - size)
    windows = []
    for i, lo in enumerate(starts):
        hi = min(lo + size, n_tokens)
        core_lo = 0 if i == 0 else (lo + windows[-1].hi) // 2
        if i > 0:
            prev = windows[-1]
            windows[-1] = Window(prev.lo, prev.hi, prev.core_lo, core_lo)
        windows.append(Window(lo, hi, core_lo, n_tokens))
    return windows


def plan_line_windows(text: str, offsets: np.ndarray, size: int, stride: int) -> list[Window]:
    """``plan_windows`` within each line of ``text``: no window holds tokens of two lines.

    A line (a sentence or a paragraph in news text) is then read without the rest of the
    article, so a word elsewhere, a name say, cannot move what is found in it.
    """
    if len(offsets) == 0:
        return []
    newlines = np.cumsum(np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32) == ord("\n"))
    line = newlines[offsets[:, 0]]
    cuts = [0, *(np.nonzero(line[1:] != line[:-1])[0] + 1).tolist(), len(offsets)]
    windows = []
    for lo, hi in zip(cuts, cuts[1:]):
        windows += [Window(w.lo + lo, w.hi + lo, w.core_lo + lo, w.core_hi + lo)
                    for w in plan_windows(hi - lo, size, stride)]
    return windows


def plan(text: str, offsets: np.ndarray, size: int, stride: int, lines: bool) -> list[Window]:
    """The windows of an article: across lines (``plan_windows``) or within them (``plan_line_windows``)."""
    return plan_line_windows(text, offsets, size, stride) if lines else plan_windows(len(offsets), size, stride)


def stack(pieces: list[np.ndarray], cls_id: int, sep_id: int, pad_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """input_ids and attention_mask for token id sequences: [CLS] ids [SEP], right-padded."""
    width = max(len(p) for p in pieces) + 2
    ids = np.full((len(pieces), width), pad_id, dtype=np.int64)
    mask = np.zeros((len(pieces), width), dtype=np.int64)
    for row, piece in enumerate(pieces):
        n = len(piece)
        ids[row, 0] = cls_id
        ids[row, 1:n + 1] = piece
        ids[row, n + 1] = sep_id
        mask[row, :n + 2] = 1
    return ids, mask

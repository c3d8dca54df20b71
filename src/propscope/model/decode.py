"""From per-token tag probabilities to character spans."""

from __future__ import annotations

import unicodedata

import numpy as np

O, B, I = 0, 1, 2
_TRIM = " \t\n\r\u00a0\ufeff.,:;"


def token_runs(probs: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Runs of tokens (first, last inclusive) that are inside a span; B starts a new run."""
    inside = (1.0 - probs[:, O]) >= threshold
    runs: list[tuple[int, int]] = []
    start = None
    for i, flag in enumerate(inside):
        begins = flag and start is not None and probs[i, B] > probs[i, I] and probs[i, B] >= 0.5
        if start is not None and (not flag or begins):
            runs.append((start, i - 1))
            start = None
        if flag and start is None:
            start = i
    if start is not None:
        runs.append((start, len(inside) - 1))
    return runs


def _wordish(ch: str) -> bool:
    """A letter or digit, or a combining mark (the tokenizer drops accents from its offsets)."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen to whole words, then trim spaces and the punctuation PTC never puts at span edges."""
    while start > 0 and _wordish(text[start - 1]) and _wordish(text[start]):
        start -= 1
    while end < len(text) and _wordish(text[end]) and _wordish(text[end - 1]):
        end += 1
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and text[end - 1] in _TRIM:
        end -= 1
    return start, end


def decode(text: str, offsets: np.ndarray, probs: np.ndarray, threshold: float
           ) -> list[tuple[int, int, int, int, float]]:
    """Spans as (start, end, first token, last token, mean inside-probability)."""
    out = []
    for first, last in token_runs(probs, threshold):
        start, end = snap(text, int(offsets[first, 0]), int(offsets[last, 1]))
        if end <= start or not any(ch.isalnum() for ch in text[start:end]):
            continue
        out.append((start, end, first, last, float(np.mean(1.0 - probs[first:last + 1, O]))))
    return out

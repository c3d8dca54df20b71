"""Hand-made span features the classifier sees beside the encoder's states."""

from __future__ import annotations

import math
import re

import numpy as np

N_FEATURES = 4


def span_features(text: str, start: int, end: int) -> np.ndarray:
    """Repetition cues and length: how often the fragment recurs elsewhere in the article."""
    raw = text[start:end]
    fragment = raw.strip().lower()
    own = start + len(raw) - len(raw.lstrip())   # where the stripped fragment itself starts
    others = _others(text, raw.strip(), own) if len(fragment) > 1 else 0
    words = len(fragment.split())
    return np.array([math.log1p(others), float(others > 0), math.log1p(words) / 3.0,
                     float("?" in fragment)], dtype=np.float32)


def _others(text: str, needle: str, own: int) -> int:
    """Whole-word, case-insensitive occurrences of ``needle`` other than the one at ``own``."""
    lowered, low_needle = text.lower(), needle.lower()
    if len(lowered) != len(text) or len(low_needle) != len(needle):
        # lower() changed lengths (rare letters): match on the original text instead
        pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", re.IGNORECASE)
        return sum(1 for m in pattern.finditer(text) if m.start() != own)
    count, n = 0, len(needle)
    i = lowered.find(low_needle)
    while i != -1:
        if (i != own and (i == 0 or not _word(text[i - 1]))
                and (i + n == len(text) or not _word(text[i + n]))):
            count += 1
        i = lowered.find(low_needle, i + 1)
    return count


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"

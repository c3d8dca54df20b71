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
    others = 0
    if len(fragment) > 1:
        # match in the original text: lower() can change lengths and shift positions
        pattern = re.compile(r"(?<!\w)" + re.escape(raw.strip()) + r"(?!\w)", re.IGNORECASE)
        others = sum(1 for m in pattern.finditer(text) if m.start() != own)
    words = len(fragment.split())
    return np.array([math.log1p(others), float(others > 0), math.log1p(words) / 3.0,
                     float("?" in fragment)], dtype=np.float32)

"""Hand-made span features the classifier sees beside the encoder's states."""

from __future__ import annotations

import math
import re

import numpy as np

N_FEATURES = 4


def span_features(text: str, start: int, end: int) -> np.ndarray:
    """Repetition cues and length: how often the fragment recurs elsewhere in the article."""
    fragment = text[start:end].strip().lower()
    lowered = text.lower()
    others = 0
    if fragment:
        pattern = re.compile(r"(?<!\w)" + re.escape(fragment) + r"(?!\w)")
        others = sum(1 for m in pattern.finditer(lowered) if m.start() != start) if len(fragment) > 1 else 0
    words = len(fragment.split())
    return np.array([math.log1p(others), float(others > 0), math.log1p(words) / 3.0,
                     float("?" in fragment)], dtype=np.float32)

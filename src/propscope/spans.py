"""The one span type, and the analysis that owns an article's text."""

from __future__ import annotations

import math
import numbers
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from typing import Iterable

from .techniques import NAMES, names


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A fragment of an article: character offsets (end exclusive) into its text.

    The same type is emitted by the model, returned by the API, read by the scorer.
    """

    article_id: str
    start: int
    end: int
    technique: str
    confidence: float = 1.0

    def __post_init__(self) -> None:
        if not (_whole(self.start) and _whole(self.end) and 0 <= self.start < self.end):
            raise ValueError(f"bad span offsets {self.start!r}-{self.end!r}")
        if not 0 <= self.confidence <= 1:       # NaN too
            raise ValueError(f"bad span confidence {self.confidence!r}: a probability from 0 to 1")

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlap(self, other: Span) -> int:
        return max(0, min(self.end, other.end) - max(self.start, other.start))

    def with_technique(self, technique: str, confidence: float | None = None) -> Span:
        return replace(self, technique=technique,
                       confidence=self.confidence if confidence is None else confidence)


def _whole(offset) -> bool:
    return isinstance(offset, numbers.Integral) and not isinstance(offset, bool)


def merge_intervals(intervals: Iterable[tuple[int, int]], touching: bool = True) -> list[tuple[int, int]]:
    """Union of half-open intervals, as sorted disjoint intervals; touching ones join unless
    ``touching`` is false (then only those that share a character do)."""
    merged: list[list[int]] = []
    for start, end in sorted(intervals):
        if merged and (start < merged[-1][1] or touching and start == merged[-1][1]):
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


@dataclass(frozen=True)
class Analysis:
    """An article's text and the spans found in it; spans point into ``text``."""

    text: str
    spans: tuple[Span, ...] = ()
    article_id: str = ""
    source: str | None = None
    model: str = ""
    meta: dict = field(default_factory=dict)
    threshold: float = 0.0                          # what the spans were kept by (see ``filtered``)
    techniques: tuple[str, ...] | None = None       # None: every technique

    def __post_init__(self) -> None:
        for span in self.spans:
            if span.end > len(self.text):
                raise ValueError(f"span {span.start}-{span.end} outside a text of {len(self.text)} characters")

    def fragment(self, span: Span) -> str:
        return self.text[span.start:span.end]

    @property
    def counts(self) -> dict[str, int]:
        """Number of spans per technique, most frequent first."""
        return dict(Counter(s.technique for s in self.spans).most_common())

    @property
    def coverage(self) -> float:
        """Share of the text's characters inside at least one span."""
        if not self.text:
            return 0.0
        covered = sum(e - s for s, e in merge_intervals((s.start, s.end) for s in self.spans))
        return covered / len(self.text)

    def filtered(self, threshold: float = 0.0, techniques: Iterable[str] | str | None = None) -> Analysis:
        """The spans of ``threshold`` confidence or more (0 to 1) and of ``techniques`` only (names,
        labels or SemEval-2023 names); the result says what it was kept by, so an export filtered
        once or twice reads as such."""
        threshold = confidence(threshold)
        keep = self.techniques
        if techniques is not None:
            given = set(names(techniques))
            keep = tuple(sorted((t for t in given if keep is None or t in keep),
                                key=lambda t: (NAMES.index(t) if t in NAMES else len(NAMES), t)))
        threshold = max(threshold, self.threshold)
        spans = tuple(s for s in self.spans
                      if s.confidence >= threshold and (keep is None or s.technique in keep))
        return replace(self, spans=spans, threshold=threshold, techniques=keep)

    def to_dict(self) -> dict:
        """The versioned JSON form (``propscope analyze --format json``) as a dict."""
        from .render.json import to_dict
        return to_dict(self)

    def to_json(self, indent: int | None = 2) -> str:
        """The versioned JSON form, as ``propscope analyze --format json`` writes it."""
        from .render.json import dumps
        return dumps(self, indent)


def confidence(value) -> float:
    """``value`` as a threshold: a number from 0 to 1, else an InputError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:   # NaN too
        from .errors import InputError
        raise InputError(f"threshold {value!r}: give a confidence from 0 to 1")
    return float(value)


def two_places(confidence: float) -> str:
    """A confidence as shown to a reader, rounded down to two places: 0.1382 is "0.13", so that a
    fragment shown at 0.14 is never one that a threshold of 0.14 leaves out."""
    return f"{hundredths(confidence):.2f}"


def hundredths(confidence: float) -> float:
    """``confidence`` rounded down to two places (a slider's step below a threshold between them)."""
    return math.floor(round(confidence * 1e6) / 1e4) / 100


def threshold_text(threshold: float) -> str:
    """A threshold as given, to two places or as many as it has: 0.135 is not "0.14" (which would
    say a fragment shown at 0.13 is left out) nor "0.13" (which would say one at 0.132 is kept)."""
    if abs(hundredths(threshold) - threshold) < 1e-9:
        return f"{threshold:.2f}"
    return f"{threshold:.10f}".rstrip("0")        # 0.135, 0.00001: never in powers of ten


def segments(spans: Iterable[Span], length: int) -> list[tuple[int, int, tuple[int, ...]]]:
    """The text cut at every span boundary: (start, end, indices of the spans covering it),
    covering 0..length without gaps, so overlapping spans can be drawn together."""
    spans = list(spans)
    cuts = sorted({0, length, *(s.start for s in spans), *(s.end for s in spans)})
    starts, ends = defaultdict(list), defaultdict(list)
    for i, s in enumerate(spans):
        starts[s.start].append(i)
        ends[s.end].append(i)
    active: set[int] = set()
    out = []
    for start, end in zip(cuts, cuts[1:]):
        active.difference_update(ends[start])
        active.update(starts[start])
        out.append((start, end, tuple(sorted(active))))
    return out

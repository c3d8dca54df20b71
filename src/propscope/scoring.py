"""SemEval-2020 Task 11 measures (Da San Martino et al. 2020).

SI: span identification with partial-overlap credit; span+technique: the same,
counting overlaps only between spans of the same technique; TC: technique
classification over given spans (micro P/R/F1 over span/technique multisets).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from os import PathLike
from typing import Hashable, Iterable

from propscope.spans import Span, merge_intervals

__all__ = ["Scores", "si_scores", "span_technique_scores", "tc_scores",
           "format_table", "read_semeval"]

Interval = tuple[int, int]


@dataclass(frozen=True)
class Scores:
    """Precision, recall, F1 and the counts they were computed over."""

    precision: float
    recall: float
    f1: float
    n_pred: int
    n_gold: int
    per_technique: dict[str, "Scores"] = field(default_factory=dict)


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _merged(spans: Iterable[Span], key) -> dict[Hashable, list[Interval]]:
    """Group spans by ``key(span)`` and merge each group's intervals that share a character
    (as the official scorer does: spans that only touch stay two)."""
    groups: dict[Hashable, list[Interval]] = defaultdict(list)
    for s in spans:
        groups[key(s)].append((s.start, s.end))
    return {k: merge_intervals(v, touching=False) for k, v in groups.items()}


def _overlap_sums(a: list[Interval], b: list[Interval]) -> tuple[float, float]:
    """For sorted disjoint ``a``, ``b``: (sum |x∩y|/|x| over pairs, sum |x∩y|/|y|)."""
    sum_a = sum_b = 0.0
    i = j = 0
    while i < len(a) and j < len(b):
        (as_, ae), (bs, be) = a[i], b[j]
        inter = min(ae, be) - max(as_, bs)
        if inter > 0:
            sum_a += inter / (ae - as_)
            sum_b += inter / (be - bs)
        if ae <= be:
            i += 1
        else:
            j += 1
    return sum_a, sum_b


def _partial_scores(pred: dict[Hashable, list[Interval]],
                    gold: dict[Hashable, list[Interval]]) -> Scores:
    """The SemEval partial-overlap P/R/F1; intervals pair only under equal keys."""
    n_pred = sum(len(v) for v in pred.values())
    n_gold = sum(len(v) for v in gold.values())
    p_sum = r_sum = 0.0
    for k in pred.keys() & gold.keys():
        ps, rs = _overlap_sums(pred[k], gold[k])
        p_sum += ps
        r_sum += rs
    p = p_sum / n_pred if n_pred else 0.0
    r = r_sum / n_gold if n_gold else 0.0
    # nothing to find and nothing found is a perfect score, as the official scorer has it
    return Scores(p, r, 1.0 if n_pred == n_gold == 0 else _f1(p, r), n_pred, n_gold)


def si_scores(pred: Iterable[Span], gold: Iterable[Span]) -> Scores:
    """Span identification (techniques ignored); spans are merged per article first.

    ``n_pred``/``n_gold`` count the merged spans.
    """
    key = lambda s: s.article_id  # noqa: E731
    return _partial_scores(_merged(pred, key), _merged(gold, key))


def span_technique_scores(pred: Iterable[Span], gold: Iterable[Span]) -> Scores:
    """Span identification where overlaps count only between equal techniques.

    Spans are merged per (article, technique); ``per_technique`` holds the same
    measure restricted to each technique seen in ``pred`` or ``gold``.
    """
    key = lambda s: (s.article_id, s.technique)  # noqa: E731
    p_groups, g_groups = _merged(pred, key), _merged(gold, key)
    overall = _partial_scores(p_groups, g_groups)
    techniques = {k[1] for k in p_groups} | {k[1] for k in g_groups}
    per = {
        t: _partial_scores({k: v for k, v in p_groups.items() if k[1] == t},
                           {k: v for k, v in g_groups.items() if k[1] == t})
        for t in sorted(techniques)
    }
    return Scores(overall.precision, overall.recall, overall.f1,
                  overall.n_pred, overall.n_gold, per)


def tc_scores(pred: Iterable[Span], gold: Iterable[Span]) -> Scores:
    """Technique classification: micro P/R/F1 over (article, start, end, technique) multisets."""
    p_count = Counter((s.article_id, s.start, s.end, s.technique) for s in pred)
    g_count = Counter((s.article_id, s.start, s.end, s.technique) for s in gold)
    correct = p_count & g_count  # multiset intersection: min of counts
    per_pred: Counter[str] = Counter()
    per_gold: Counter[str] = Counter()
    per_correct: Counter[str] = Counter()
    for (_, _, _, t), n in p_count.items():
        per_pred[t] += n
    for (_, _, _, t), n in g_count.items():
        per_gold[t] += n
    for (_, _, _, t), n in correct.items():
        per_correct[t] += n

    def make(c: int, n_p: int, n_g: int) -> Scores:
        p = c / n_p if n_p else 0.0
        r = c / n_g if n_g else 0.0
        return Scores(p, r, _f1(p, r), n_p, n_g)

    per = {t: make(per_correct[t], per_pred[t], per_gold[t])
           for t in sorted(set(per_pred) | set(per_gold))}
    overall = make(sum(correct.values()), sum(p_count.values()), sum(g_count.values()))
    return Scores(overall.precision, overall.recall, overall.f1,
                  overall.n_pred, overall.n_gold, per)


def format_table(title: str, scores: Scores) -> str:
    """Plain-text table: an overall row, then one row per technique (sorted by name)."""
    rows = [("overall", scores)] + [(t or "(none)", scores.per_technique[t])
                                    for t in sorted(scores.per_technique)]
    width = max(len("technique"), *(len(name) for name, _ in rows))
    header = f"{'technique':<{width}}  {'P':>6}  {'R':>6}  {'F1':>6}  {'pred':>6}  {'gold':>6}"
    lines = [title, header, "-" * len(header)]
    for name, s in rows:
        lines.append(f"{name:<{width}}  {s.precision:>6.3f}  {s.recall:>6.3f}  "
                     f"{s.f1:>6.3f}  {s.n_pred:>6d}  {s.n_gold:>6d}")
    return "\n".join(lines)


_OFFSET = re.compile(r" *[0-9]+ *")     # int() takes 1_0, +10 and other scripts' digits too


def read_semeval(path: str | PathLike[str]) -> list[Span]:
    """Read SemEval span files: ``id<TAB>technique<TAB>start<TAB>end`` or ``id<TAB>start<TAB>end``.

    Blank lines are skipped; a malformed line raises ValueError naming its line number.
    """
    spans: list[Span] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n").removeprefix("\ufeff" if lineno == 1 else "")
            if not line.strip():
                continue
            fields = line.split("\t")
            try:
                if len(fields) == 4:
                    article_id, technique, start, end = fields
                elif len(fields) == 3:
                    article_id, start, end = fields
                    technique = ""
                else:
                    raise ValueError(f"expected 3 or 4 tab-separated fields, got {len(fields)}")
                if not article_id.strip():
                    raise ValueError("empty article id")
                if not (_OFFSET.fullmatch(start) and _OFFSET.fullmatch(end)):
                    raise ValueError(f"offsets {start!r} and {end!r} must be whole numbers written in digits 0-9")
                spans.append(Span(article_id.strip(), int(start), int(end), technique.strip()))
            except ValueError as e:
                raise ValueError(f"{path}:{lineno}: malformed line {line!r}: {e}") from None
    return spans


def correct_flags(pred: Iterable[Span], gold: Iterable[Span]) -> list[bool]:
    """Per predicted span: do at least half of its characters lie in gold spans of its technique?

    This is what a confidence is calibrated against.
    """
    merged = _merged(gold, key=lambda s: (s.article_id, s.technique))
    flags = []
    for s in pred:
        inside = sum(max(0, min(s.end, e) - max(s.start, b))
                     for b, e in merged.get((s.article_id, s.technique), ()))
        flags.append(inside * 2 >= s.end - s.start)
    return flags

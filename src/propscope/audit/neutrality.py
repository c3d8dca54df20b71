"""The neutrality audit: does naming the other side change what the detector flags?

Every article that names a side of a pair gets one copy per such pair, with that pair's
sides swapped; the detector runs on the original and on each copy, the copy's spans are
mapped back to the original's offsets, and the two results are compared with the SemEval
span measures (1.0: the names changed nothing). One copy per pair, rather than one copy
with every pair swapped at once, so that each change is owed to one pair, and one name can
sit in several pairs (Russia against the US and against Ukraine).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable, Iterable

from ..errors import InputError
from ..scoring import Scores, si_scores, span_technique_scores
from ..spans import Span
from . import pairs as pair_lists
from .pairs import Pair, PairList
from .swap import Swapped, swapper

Detect = Callable[[str, str], list[Span]]
TARGET = 0.95


@dataclass(frozen=True)
class Change:
    """A fragment the detector treats differently once the pair's sides are swapped.

    ``start``/``end`` are offsets into the original article, around both fragments; ``before``/
    ``after`` the confidence in the original and in the copy (None: not found there), ``original``
    and ``swapped`` each one's own text (empty: not found there)."""

    article_id: str
    pair: str
    technique: str
    start: int
    end: int
    before: float | None
    after: float | None
    original: str
    swapped: str
    near: bool = True    # a swapped name is on the same line (sentence, in PTC's layout)

    @property
    def shift(self) -> float:
        return abs((self.before or 0.0) - (self.after or 0.0))


@dataclass(frozen=True)
class PairAgreement:
    pair: str
    divide: str
    copies: int
    si: Scores
    span_technique: Scores
    unchanged: int    # copies whose spans map back exactly onto the original's
    lost: int         # spans of the originals with no same-technique span in the copy
    gained: int       # spans of the copies with no same-technique span in the original


@dataclass(frozen=True)
class NeutralityReport:
    articles: int     # articles read
    named: int        # articles that name a side of at least one pair
    copies: int       # swapped copies: one per article and pair it names
    si: Scores
    span_technique: Scores
    unchanged: int
    near: int                          # changed fragments on a line holding a swapped name
    far: int                           # changed fragments elsewhere: the name moved the whole article
    pairs: tuple[PairAgreement, ...]   # least agreement first
    changes: tuple[Change, ...]        # near a swapped name first, then largest confidence shift
    pair_list: str = ""

    @property
    def meets_target(self) -> bool | None:
        """Whether the agreement reaches the target; None when no copy was made (nothing measured)."""
        return self.span_technique.f1 >= TARGET if self.copies else None

    def table(self) -> str:
        lines = [f"neutrality audit: {self.articles} articles, {self.named} name a side of a pair; "
                 f"{self.copies} swapped copies (one per article and pair)"]
        if not self.copies:
            return lines[0] + "\nno article names a side of any pair: nothing to compare"
        lines += ["agreement of the swapped copies with the originals (1.0: names change nothing)",
                  f"  span F1            {self.si.f1:.3f}",
                  f"  span+technique F1  {_shown(self.span_technique.f1)}   "
                  f"(target {TARGET:.2f}: {'met' if self.meets_target else 'NOT met'})",
                  f"  unchanged copies   {self.unchanged} of {self.copies}",
                  *(["  (nothing was flagged in the originals or the copies: full agreement with "
                     "nothing to disagree on)"] if not self.span_technique.n_pred + self.span_technique.n_gold else []),
                  f"  changed fragments  {self.near + self.far}: {self.near} on a line with a swapped name, "
                  f"{self.far} elsewhere", ""]
        width = max(len("pair"), *(len(p.pair) for p in self.pairs))
        dwidth = max(len("divide"), *(len(p.divide) for p in self.pairs))
        header = (f"{'pair':<{width}}  {'divide':<{dwidth}}  {'copies':>6}  {'span F1':>7}  "
                  f"{'span+tech':>9}  {'lost':>5}  {'gained':>6}")
        lines += [header, "-" * len(header)]
        for p in self.pairs:
            lines.append(f"{p.pair:<{width}}  {p.divide:<{dwidth}}  {p.copies:>6d}  {p.si.f1:>7.3f}  "
                         f"{p.span_technique.f1:>9.3f}  {p.lost:>5d}  {p.gained:>6d}")
        if self.changes:
            lines += ["", "fragments that changed most, those on a line with a swapped name first",
                      "(confidence in the original -> in the swapped copy)"]
            for c in self.changes:
                lines.append(f"  article {c.article_id}, {c.pair}, {c.technique}: "
                             f"{_conf(c.before)} -> {_conf(c.after)}")
                lines.append(f"    original: {_quote(c.original)}")
                lines.append(f"    swapped:  {_quote(c.swapped)}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        def scores(s: Scores) -> dict:
            return {"precision": s.precision, "recall": s.recall, "f1": s.f1}
        return {"articles": self.articles, "named": self.named, "copies": self.copies,
                "pair_list": self.pair_list, "target": TARGET, "meets_target": self.meets_target,
                # null when no copy was made: nothing was measured
                "agreement": {"span": scores(self.si), "span_technique": scores(self.span_technique),
                              "unchanged_copies": self.unchanged,
                              "flagged": {"originals": self.span_technique.n_gold,
                                          "copies": self.span_technique.n_pred},
                              "changed_fragments": {"near_a_name": self.near, "elsewhere": self.far}}
                if self.copies else None,
                "pairs": [{"pair": p.pair, "divide": p.divide, "copies": p.copies,
                           "span": scores(p.si), "span_technique": scores(p.span_technique),
                           "unchanged_copies": p.unchanged, "lost": p.lost, "gained": p.gained}
                          for p in self.pairs],
                "changes": [asdict(c) | {"shift": round(c.shift, 4)} for c in self.changes]}


def audit(articles: Iterable[tuple[str, str]], pairs: PairList | None = None, detect: Detect | None = None,
          top: int = 10, progress: Callable[[], None] | None = None) -> NeutralityReport:
    """Swap each pair in each (article id, text) that names it, and compare the detector's results.

    ``detect(text, article_id)`` defaults to the bundled model, run one article at a time so
    that no article's result depends on its batch neighbours.
    """
    if detect is None:
        from ..engine import detect
    pairs = pairs if pairs is not None else pair_lists.load()
    swappers = [(pair, swapper(pair, pairs.keep)) for pair in pairs.pairs]
    tally = _Tally(top)
    for aid, text in articles:
        copies = [(pair, s) for pair, swap in swappers if (s := swap(text)).replacements]
        tally.articles += 1
        if copies:
            tally.named += 1
            before = detect(text, aid)
            for pair, swapped in copies:
                tally.add(aid, pair, swapped, before, [swapped.span_to_original(s) for s in detect(swapped.text, aid)])
        if progress:
            progress()
    return tally.report(pairs)


def audit_folder(data: str | Path, pairs: str | Path | PairList | None = None, held_out_only: bool = False,
                 detect: Detect | None = None, top: int = 10,
                 progress: Callable[[], None] | None = None) -> NeutralityReport:
    """``audit`` over a folder of article*.txt files, or a labelled split laid out like PTC's
    (its ``articles/`` folder); ``held_out_only`` keeps the articles the model held out."""
    if not isinstance(pairs, PairList):
        pairs = pair_lists.load(pairs)
    return audit(read_folder(data, held_out_only), pairs, detect, top, progress)


def read_folder(data: str | Path, held_out_only: bool = False) -> list[tuple[str, str]]:
    from ..text.read import article_files, article_id, read_article
    root = Path(data)
    folder = root / "articles" if (root / "articles").is_dir() else root
    files = article_files([folder])
    if held_out_only:
        from ..engine import detector
        ids = detector().held_out_ids()
        if not ids:
            raise InputError("the model was trained on every article of its split and held none out: "
                             "audit it on other articles")
        files = [f for f in files if article_id(f) in ids]
        if not files:
            raise InputError(f"{data}: holds none of the {len(ids)} articles the model held out in training")
    return [(article_id(f), read_article(f)) for f in files]


class _Tally:
    """The copies' and the originals' spans per pair, what changed, and the largest changes."""

    def __init__(self, top: int):
        self.top, self.articles, self.named = top, 0, 0
        self.pred: dict[str, list[Span]] = defaultdict(list)
        self.gold: dict[str, list[Span]] = defaultdict(list)
        self.counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])   # copies, unchanged, lost, gained
        self.changes: list[tuple[bool, float, int, Change]] = []   # a min-heap: near a name, then shift
        self.seen = self.near = 0

    def add(self, aid: str, pair: Pair, swapped: Swapped, before: list[Span], after: list[Span]) -> None:
        key = f"{aid}\t{pair.name}"      # each copy scores as an article of its own
        self.pred[pair.name] += [_keyed(s, key) for s in after]
        self.gold[pair.name] += [_keyed(s, key) for s in before]
        found = _differences(aid, pair, swapped, before, after)
        counts = self.counts[pair.name]
        counts[0] += 1
        counts[1] += not found
        counts[2] += sum(c.after is None for c in found)
        counts[3] += sum(c.before is None for c in found)
        for change in found:
            self.seen += 1
            self.near += change.near
            item = (change.near, change.shift, -self.seen, change)
            if len(self.changes) < self.top:
                heapq.heappush(self.changes, item)
            elif self.top:
                heapq.heappushpop(self.changes, item)

    def report(self, pairs: PairList) -> NeutralityReport:
        rows = []
        for pair in pairs.pairs:
            if pair.name not in self.counts:
                continue
            copies, unchanged, lost, gained = self.counts[pair.name]
            pred, gold = self.pred[pair.name], self.gold[pair.name]
            rows.append(PairAgreement(pair.name, pair.divide, copies, _agreement(si_scores, pred, gold),
                                      _agreement(span_technique_scores, pred, gold), unchanged, lost, gained))
        rows.sort(key=lambda r: (r.span_technique.f1, r.si.f1, -r.copies))
        pred = [s for spans in self.pred.values() for s in spans]
        gold = [s for spans in self.gold.values() for s in spans]
        largest = tuple(item[-1] for item in sorted(self.changes, reverse=True))
        return NeutralityReport(self.articles, self.named, sum(r.copies for r in rows),
                                _agreement(si_scores, pred, gold), _agreement(span_technique_scores, pred, gold),
                                sum(r.unchanged for r in rows), self.near, self.seen - self.near,
                                tuple(rows), largest, pairs.source)


def _agreement(measure, pred: list[Span], gold: list[Span]) -> Scores:
    """The SemEval measure of the copies against the originals; both empty agree fully (nothing
    was flagged, and a swap flagged nothing either)."""
    if not pred and not gold:
        return Scores(1.0, 1.0, 1.0, 0, 0)
    return measure(pred, gold)


def _keyed(span: Span, key: str) -> Span:
    return Span(key, span.start, span.end, span.technique, span.confidence)


def _differences(aid: str, pair: Pair, swapped: Swapped, before: list[Span], after: list[Span]) -> list[Change]:
    """Spans of the original and the copy (mapped back) matched by technique and largest overlap;
    every pair that differs, and every span left without a match."""
    candidates = sorted(((b.overlap(a), i, j) for i, b in enumerate(before) for j, a in enumerate(after)
                         if b.technique == a.technique and b.overlap(a) > 0), reverse=True)
    matched: list[tuple[Span | None, Span | None]] = []
    used_b, used_a = set(), set()
    for _, i, j in candidates:
        if i not in used_b and j not in used_a:
            used_b.add(i)
            used_a.add(j)
            matched.append((before[i], after[j]))
    matched += [(b, None) for i, b in enumerate(before) if i not in used_b]
    matched += [(None, a) for j, a in enumerate(after) if j not in used_a]
    out, text = [], swapped.original
    for b, a in matched:
        if b is not None and a is not None and (b.start, b.end, b.confidence) == (a.start, a.end, a.confidence):
            continue
        present = [s for s in (b, a) if s is not None]
        start, end = min(s.start for s in present), max(s.end for s in present)
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line_end = len(text) if line_end < 0 else line_end
        near = any(r.start < line_end and r.end > line_start for r in swapped.replacements)
        # each side's own fragment: a boundary that moved shows as a different quote
        out.append(Change(aid, pair.name, present[0].technique, start, end,
                          b.confidence if b else None, a.confidence if a else None,
                          text[b.start:b.end] if b else "", swapped.text[slice(*swapped.to_copy(a.start, a.end))] if a else "",
                          near))
    return out


def _conf(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"


def _quote(fragment: str, limit: int = 100) -> str:
    if not fragment:
        return "(not found)"
    flat = " ".join(fragment.split())
    if len(flat) > limit:
        flat = flat[:limit - 1] + "\u2026"
    return f"\u201c{flat}\u201d"


def _shown(value: float) -> str:
    """Three decimals; below the target, cut rather than rounded, so that 0.94996 is not shown as
    reaching it."""
    if value < TARGET <= round(value, 3):
        return f"{int(value * 1000) / 1000:.3f}"
    return f"{value:.3f}"

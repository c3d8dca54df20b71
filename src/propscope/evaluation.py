"""Score the model on a labelled split with the SemEval-2020 measures, and its calibration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import engine
from .errors import InputError
from .model.calibration import ece, reliability
from .model.detector import Detector
from .scoring import Scores, correct_flags, format_table, si_scores, span_technique_scores, tc_scores
from .spans import Span
from .train.data import Article, load_split


@dataclass(frozen=True)
class Report:
    si: Scores
    tc: Scores
    span_technique: Scores
    ece: float | None          # None: no span detected, nothing to calibrate
    ece_per_technique: dict[str, float]
    articles: int
    reliability: list = field(default_factory=list)    # calibration.reliability bins over all spans
    spans_per_technique: dict[str, int] = field(default_factory=dict)

    def table(self) -> str:
        lines = [f"{self.articles} article{'' if self.articles == 1 else 's'}",
                 f"SI F1 {self.si.f1:.3f} (P {self.si.precision:.3f}, R {self.si.recall:.3f})",
                 f"TC micro-F1 {self.tc.f1:.3f}",
                 f"span+technique F1 {self.span_technique.f1:.3f}",
                 f"expected calibration error {_ece(self.ece)}", "",
                 format_table("TC (gold spans given)", self.tc), "",
                 format_table("span+technique", self.span_technique), "",
                 "calibration per technique (detected spans)",
                 f"{'technique':40} {'spans':>6} {'ECE':>6}"]
        lines += [f"{name:40} {self.spans_per_technique.get(name, 0):>6} {value:>6.3f}"
                  for name, value in self.ece_per_technique.items()]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        def scores(s: Scores) -> dict:
            return {"precision": s.precision, "recall": s.recall, "f1": s.f1,
                    "per_technique": {k: {"precision": v.precision, "recall": v.recall, "f1": v.f1}
                                      for k, v in s.per_technique.items()}}
        return {"articles": self.articles, "si": {"precision": self.si.precision, "recall": self.si.recall,
                                                  "f1": self.si.f1},
                "tc": scores(self.tc), "span_technique": scores(self.span_technique), "ece": self.ece,
                "ece_per_technique": self.ece_per_technique, "spans_per_technique": self.spans_per_technique,
                "reliability": [{"low": lo, "high": hi, "spans": n, "mean_confidence": m, "share_right": a}
                                for lo, hi, n, m, a in self.reliability]}


def evaluate_articles(articles: list[Article], det: Detector | None = None, progress=None) -> Report:
    det = det or engine.detector()
    pred: list[Span] = []
    labelled: list[Span] = []
    gold = [s for a in articles for s in a.spans]
    for _, spans in det.detect_many((a.article_id, a.text) for a in articles):
        pred += spans
    for art in articles:
        labelled += engine.classify(art.text, list(art.spans), det)
        if progress:
            progress()
    flags = np.array(correct_flags(pred, gold), float)
    conf = np.array([s.confidence for s in pred], float)
    per, counts = {}, {}
    for tech in sorted({s.technique for s in pred}):
        sel = np.array([s.technique == tech for s in pred])
        per[tech], counts[tech] = ece(conf[sel], flags[sel]), int(sel.sum())
    return Report(si_scores(pred, gold), tc_scores(labelled, gold), span_technique_scores(pred, gold),
                  ece(conf, flags) if len(conf) else None, per, len(articles), reliability(conf, flags), counts)


def _ece(value: float | None) -> str:
    return "n/a (no spans detected)" if value is None else f"{value:.3f}"


def evaluate(data: str | Path, det: Detector | None = None, progress=None, held_out_only: bool = False) -> Report:
    det = det or engine.detector()
    articles = load_split(data)
    if held_out_only:
        ids = det.held_out_ids()
        if not ids:
            raise InputError("this model was trained on every article of its split and held none out; "
                                 "its validation figures come from its twin (propscope model)")
        articles = [a for a in articles if a.article_id in ids]
        if not articles:
            raise InputError(f"none of the {len(ids)} articles the model held out is in {data}")
    return evaluate_articles(articles, det, progress)

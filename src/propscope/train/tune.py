"""Choose decoding settings and fit calibration on held-out articles, honestly.

Held-out articles are split in two halves: each figure reported is measured on one half
with settings chosen on the other (cross-fitting); the shipped settings use both halves.
"""

from __future__ import annotations

import itertools

import numpy as np

from .. import engine
from ..model import calibration
from ..model.decode import decode
from ..model.detector import Candidate, Detector
from ..scoring import correct_flags, si_scores, span_technique_scores, tc_scores
from ..spans import Span
from ..techniques import NAMES
from .data import Article, fold_of

HIGH = [0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]
LOW = [0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7]
GAP = [0, 1, 2, 3]
SETTINGS = [(h, lo, g) for h, lo, g in itertools.product(HIGH, LOW, GAP) if lo <= h]
SECOND = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1.01]
SENSITIVE_RECALL = 0.65     # --sensitive: the best setting that finds at least this share of gold characters


class Held:
    """Held-out articles encoded once; spans and candidates for any decoding setting."""

    def __init__(self, det: Detector, articles: list[Article]):
        self.det, self.articles = det, {a.article_id: a for a in articles}
        low = min(LOW)
        self.encoded = {a.article_id: det.encode(a.text, keep=lambda _, p: (1.0 - p[:, 0]) >= low)
                        for a in articles}
        self._cands: dict = {}

    def fragments(self, ids, setting) -> list[Span]:
        out = []
        for i in ids:
            tokens, probs, _ = self.encoded[i]
            out += [Span(i, s, e, "") for s, e, *_ in decode(self.articles[i].text, tokens.offsets, probs, *setting)]
        return out

    def candidates(self, i: str, setting) -> list[Candidate]:
        if (i, setting) not in self._cands:
            self._cands[i, setting] = self.det.candidates_from(self.articles[i].text, self.encoded[i], *setting)
        return self._cands[i, setting]

    def spans(self, ids, setting, second: float) -> list[tuple[Span, float, float]]:
        """Spans with their raw span and technique probabilities (before calibration)."""
        self.det.second_threshold = second
        return [(Span(i, c.start, c.end, NAMES[k]), c.span_prob, float(c.tech_probs[k]))
                for i in ids for c, k in self.det.picks(self.candidates(i, setting))]

    def gold(self, ids) -> list[Span]:
        return [s for i in ids for s in self.articles[i].spans]


def choose(held: Held, ids: list[str]) -> tuple[tuple, float, list[float], float]:
    """Decoding setting (best SI F1), second-technique threshold (best span+technique F1), calibration."""
    gold = held.gold(ids)
    setting = max(SETTINGS, key=lambda st: si_scores(held.fragments(ids, st), gold).f1)
    second = max(SECOND, key=lambda sc: span_technique_scores(
        [s for s, _, _ in held.spans(ids, setting, sc)], gold).f1)
    scored = held.spans(ids, setting, second)
    flags = np.array(correct_flags([s for s, _, _ in scored], gold), float)
    coef, icpt = calibration.fit(calibration.features(np.array([p for _, p, _ in scored]),
                                                      np.array([t for _, _, t in scored])), flags)
    return setting, second, coef, icpt


def choose_sensitive(held: Held, ids: list[str], default: tuple) -> dict:
    """A decoding setting for exploring: the best SI F1 among those with recall >= SENSITIVE_RECALL
    that are nowhere stricter than the ``default`` setting (thresholds no higher, gap no smaller), so
    that it finds at least what the default finds."""
    gold = held.gold(ids)
    high, low, gap = default
    looser = [(h, lo, g) for h, lo, g in SETTINGS if h <= high and lo <= low and g >= gap]
    scores = {st: si_scores(held.fragments(ids, st), gold) for st in looser}
    eligible = [st for st, sc in scores.items() if sc.recall >= SENSITIVE_RECALL] or [max(scores, key=lambda st: scores[st].recall)]
    best = max(eligible, key=lambda st: scores[st].f1)
    return {"setting": list(best), "si_precision": scores[best].precision, "si_recall": scores[best].recall,
            "si_f1": scores[best].f1}


def tune(det: Detector, articles: list[Article], log=print) -> dict:
    held = Held(det, articles)
    halves = [[a.article_id for a in articles if fold_of("half" + a.article_id, 2) == h] for h in (0, 1)]
    pred, gold, conf, chosen = [], [], [], []
    for pick, test in ((halves[0], halves[1]), (halves[1], halves[0])):
        setting, second, coef, icpt = choose(held, pick)
        scored = held.spans(test, setting, second)
        pred += [s for s, _, _ in scored]
        conf += list(calibration.apply(calibration.features(np.array([p for _, p, _ in scored]),
                                                            np.array([t for _, _, t in scored])), coef, icpt))
        gold += held.gold(test)
        chosen.append({"setting": setting, "second": second})
    si, st = si_scores(pred, gold), span_technique_scores(pred, gold)
    cross_ece = calibration.ece(np.array(conf), np.array(correct_flags(pred, gold), float))
    ids = [a.article_id for a in articles]
    (high, low, gap), second, coef, icpt = choose(held, ids)
    sensitive = choose_sensitive(held, ids, (high, low, gap))
    det.config.update(threshold=high, low_threshold=low, gap=gap, second_threshold=second,
                      calibration={"coef": coef, "intercept": icpt})
    scored = held.spans(ids, tuple(sensitive["setting"]), second)
    conf = calibration.apply(calibration.features(np.array([p for _, p, _ in scored]),
                                                  np.array([t for _, _, t in scored])), coef, icpt)
    sensitive["ece"] = calibration.ece(np.array(conf), np.array(correct_flags([s for s, _, _ in scored],
                                                                              held.gold(ids)), float))
    labelled = [s for a in articles for s in engine.classify(a.text, list(a.spans), det)]
    tc = tc_scores(labelled, held.gold(ids))
    result = {"held_out_articles": len(articles), "threshold": high, "low_threshold": low, "gap": gap,
              "second_threshold": second, "calibration": det.config["calibration"],
              "sensitive": sensitive,
              "cross_fitted": {"si_f1": si.f1, "si_precision": si.precision, "si_recall": si.recall,
                               "span_technique_f1": st.f1, "ece": cross_ece, "chosen": chosen},
              "tc_micro_f1": tc.f1,
              "tc_per_technique": {k: {"precision": v.precision, "recall": v.recall, "f1": v.f1, "gold": v.n_gold}
                                   for k, v in tc.per_technique.items()},
              "span_technique_per_technique": {k: {"precision": v.precision, "recall": v.recall, "f1": v.f1}
                                               for k, v in st.per_technique.items()}}
    log(f"cross-fitted on {len(articles)} held-out articles: SI F1 {si.f1:.3f} (P {si.precision:.3f} "
        f"R {si.recall:.3f}), span+technique F1 {st.f1:.3f}, ECE {cross_ece:.3f}; TC micro-F1 {tc.f1:.3f}; "
        f"shipped: high {high}, low {low}, gap {gap}, second {second}")
    return result

"""Choose decoding thresholds and fit calibration on held-out articles, honestly.

Held-out articles are split in two halves: each figure reported is measured on one half
with settings chosen on the other (cross-fitting); the shipped settings use both halves.
"""

from __future__ import annotations

import numpy as np

from .. import engine
from ..model import calibration
from ..model.detector import Candidate, Detector
from ..scoring import correct_flags, si_scores, span_technique_scores, tc_scores
from ..spans import Span
from ..techniques import NAMES
from .data import Article, fold_of

THRESHOLDS = [round(t, 2) for t in np.arange(0.15, 0.80, 0.05)]
SECOND = [0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 1.01]


def encode_all(det: Detector, articles: list[Article]) -> dict[str, dict[float, list[Candidate]]]:
    """Candidates of every article at every threshold, encoding each article once."""
    low = min(THRESHOLDS)
    out = {}
    for art in articles:
        encoded = det.encode(art.text, keep=lambda _, p: (1.0 - p[:, 0]) >= low)
        out[art.article_id] = {t: det.candidates_from(art.text, encoded, t) for t in THRESHOLDS}
    return out


def spans_at(det: Detector, cands: dict[str, dict[float, list[Candidate]]], ids: list[str],
             thr: float, second: float, calibrated: bool = False) -> list[Span]:
    saved = det.second_threshold, det.config.get("calibration")
    det.second_threshold = second
    if not calibrated:
        det.config["calibration"] = None
    try:
        return [s for i in ids for s in det.to_spans(cands[i][thr], i)]
    finally:
        det.second_threshold, det.config["calibration"] = saved


def choose(det, cands, articles: list[Article]) -> tuple[float, float]:
    ids = [a.article_id for a in articles]
    gold = [s for a in articles for s in a.spans]
    thr = max(THRESHOLDS, key=lambda t: si_scores(spans_at(det, cands, ids, t, 1.01), gold).f1)
    second = max(SECOND, key=lambda s: span_technique_scores(spans_at(det, cands, ids, thr, s), gold).f1)
    return thr, second


def fit_calibration(det, cands, articles, thr, second) -> tuple[list[float], float]:
    det.second_threshold = second
    pairs = [(a.article_id, c, k) for a in articles for c, k in det.picks(cands[a.article_id][thr])]
    pred = [Span(i, c.start, c.end, NAMES[k]) for i, c, k in pairs]
    flags = np.array(correct_flags(pred, [s for a in articles for s in a.spans]), float)
    x = calibration.features(np.array([c.span_prob for _, c, _ in pairs]),
                             np.array([c.tech_probs[k] for _, c, k in pairs]))
    return calibration.fit(x, flags)


def tune(det: Detector, held: list[Article], log=print) -> dict:
    cands = encode_all(det, held)
    halves = [[a for a in held if fold_of("half" + a.article_id, 2) == h] for h in (0, 1)]
    figures = {"si": [], "span_technique": [], "ece": [], "threshold": [], "second": []}
    pred_all, gold_all, conf_all, flags_all = [], [], [], []
    for pick, test in ((halves[0], halves[1]), (halves[1], halves[0])):
        thr, second = choose(det, cands, pick)
        coef, icpt = fit_calibration(det, cands, pick, thr, second)
        det.config["calibration"] = {"coef": coef, "intercept": icpt}
        ids = [a.article_id for a in test]
        gold = [s for a in test for s in a.spans]
        pred = spans_at(det, cands, ids, thr, second, calibrated=True)
        pred_all += pred
        gold_all += gold
        conf_all += [s.confidence for s in pred]
        flags_all += correct_flags(pred, gold)
        figures["threshold"].append(thr)
        figures["second"].append(second)
    si = si_scores(pred_all, gold_all)
    st = span_technique_scores(pred_all, gold_all)
    cross_ece = calibration.ece(np.array(conf_all), np.array(flags_all, float))
    thr, second = choose(det, cands, held)
    coef, icpt = fit_calibration(det, cands, held, thr, second)
    det.threshold, det.second_threshold = thr, second
    det.config.update(threshold=thr, second_threshold=second, calibration={"coef": coef, "intercept": icpt})
    labelled = [s for a in held for s in engine.classify(a.text, list(a.spans), det)]
    tc = tc_scores(labelled, [s for a in held for s in a.spans])
    result = {"held_out_articles": len(held), "threshold": thr, "second_threshold": second,
              "cross_fitted": {"si_f1": si.f1, "si_precision": si.precision, "si_recall": si.recall,
                               "span_technique_f1": st.f1, "ece": cross_ece,
                               "thresholds_chosen": figures["threshold"], "seconds_chosen": figures["second"]},
              "tc_micro_f1": tc.f1,
              "tc_per_technique": {k: {"precision": v.precision, "recall": v.recall, "f1": v.f1, "gold": v.n_gold}
                                   for k, v in tc.per_technique.items()},
              "span_technique_per_technique": {k: {"precision": v.precision, "recall": v.recall, "f1": v.f1}
                                               for k, v in st.per_technique.items()}}
    log(f"cross-fitted on {len(held)} held-out articles: SI F1 {si.f1:.3f} (P {si.precision:.3f} "
        f"R {si.recall:.3f}), span+technique F1 {st.f1:.3f}, ECE {cross_ece:.3f}; TC micro-F1 {tc.f1:.3f}; "
        f"shipped threshold {thr}, second {second}")
    return result

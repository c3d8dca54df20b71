"""Do models name techniques better together? TC micro-F1 of trained models on the gold fragments
of the articles they all held out, alone and with their technique probabilities averaged.

    python benchmarks/techniques.py --data ../shared/data/ptc/train --model runs/L4f0 \
        --model src/propscope/model/large --weights 1,1 --weights 2,3

Each model's span head names the gold fragments of each held-out article (`rank`, the TC setting
of `propscope classify`); for each weighting the weighted mean of their probabilities picks the
technique (a fragment listed k times gets the k most likely). A combined model does the same with
its members' weights (model/combined.py). One fold holds 60-80 articles: a difference of a
hundredth is within what another fold would move.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from propscope import engine
from propscope.model.detector import Detector
from propscope.scoring import tc_scores
from propscope.train.data import Article, load_split

from common import one_line_errors, trained_model


class Averaged:
    """What ``engine.classify`` asks of a model: technique probabilities of given fragments, here
    the weighted mean of several models' (each model's read once per article, then kept)."""

    def __init__(self, dets: list[Detector], weights: list[float], read: dict):
        self.dets, self.weights, self.read = dets, weights, read

    def rank(self, text: str, positions: list[tuple[int, int]]) -> np.ndarray:
        total = 0.0
        for j, (det, w) in enumerate(zip(self.dets, self.weights)):
            if w:
                if (j, text) not in self.read:
                    self.read[j, text] = det.rank(text, positions)
                total = total + w * self.read[j, text]
        return total / sum(self.weights)


def tc(articles: list[Article], ranker: Averaged) -> float:
    """TC micro-F1 of the gold fragments named by ``ranker`` (``propscope classify``'s way)."""
    gold = [s for art in articles for s in art.spans]
    return tc_scores([s for art in articles for s in engine.classify(art.text, list(art.spans), ranker)], gold).f1


@one_line_errors
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path, help="the labelled split the models were trained on")
    p.add_argument("--model", required=True, type=Path, action="append", help="a trained model folder (repeatable)")
    p.add_argument("--weights", action="append", default=[], help="one weight per model, comma-separated (repeatable)")
    p.add_argument("--reading", choices=["blinded", "written"], default="blinded", help="how names are read")
    a = p.parse_args()
    try:
        weightings = [[float(w) for w in ws.split(",")] for ws in a.weights]
    except ValueError:
        raise SystemExit("--weights: give numbers, comma-separated") from None
    if any(len(ws) != len(a.model) or sum(ws) <= 0 or min(ws) < 0 for ws in weightings):
        raise SystemExit(f"each --weights needs {len(a.model)} weights, none negative, not all 0")
    held = set.intersection(*(set(json.loads((trained_model(m) / "training.json").read_text()).get("held_out_ids", ()))
                              for m in a.model))
    articles = [art for art in load_split(a.data) if art.article_id in held]
    if not articles:
        raise SystemExit("no article was held out of every model's training")
    dets = [Detector(m, blind_names=a.reading == "blinded") for m in a.model]
    if a.reading == "written" and any(d.trained_blind for d in dets):
        raise SystemExit("a model trained on blinded text reads names blinded whatever it is asked: "
                         "--reading written would measure the blinded reading under another name")
    read: dict = {}
    print(f"{len(articles)} articles held out by every model, {sum(len(art.spans) for art in articles):,} gold "
          f"fragments, names {a.reading}")
    for j, model in enumerate(a.model):
        alone = [float(j == k) for k in range(len(a.model))]
        print(f"{str(model):40s} TC micro-F1 {tc(articles, Averaged(dets, alone, read)):.3f}")
    for ws in weightings:
        name = "weights " + ",".join(f"{w:g}" for w in ws)
        print(f"{name:40s} TC micro-F1 {tc(articles, Averaged(dets, ws, read)):.3f}")


if __name__ == "__main__":
    main()

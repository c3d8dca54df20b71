"""Do models read better together? Held-out figures of several trained models' tag probabilities averaged.

    python benchmarks/ensemble.py --data ../shared/data/ptc/train --model src/propscope/model/large \
        --model runs/fast-twin --weights 1,0 --weights 0,1 --weights 0.5,0.5

The models must hold out the same articles (their training.json). Each article is read by every
model once; for each weighting, each token of the first model gets the weighted mean of the
models' tag probabilities (another tokenizer's tokens are matched by the characters they cover),
and thresholds and calibration are re-tuned the way training does (cross-fitted over two halves),
so the figures compare with the model cards'. Techniques stay the first model's (its span head).
A weighting that gives the first model nothing reads with the other model on its own.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from propscope.model.combined import projected
from propscope.model.detector import Detector, Encoded
from propscope.train.data import load_split
from propscope.train.tune import tune
from common import one_line_errors, trained_model
from windows import FIGURES, figures  # the windows benchmark's table row


class Averaged:
    """A Detector for tuning: the first weighted model's, reading the weighted mean of every model's tags."""

    def __init__(self, dets: list[Detector], weights: list[float], cache: dict):
        self.dets, self.weights, self.cache = dets, weights, cache
        self.first = next(j for j, w in enumerate(weights) if w)      # the first weighted model leads
        self.lead = dets[self.first]

    def __getattr__(self, name):
        return getattr(self.lead, name)

    @property
    def second_threshold(self) -> float:       # tuning sets it: on the detector that picks techniques
        return self.lead.second_threshold

    @second_threshold.setter
    def second_threshold(self, value: float) -> None:
        self.lead.second_threshold = value

    def read(self, j: int, text: str) -> Encoded:
        if (j, text) not in self.cache:     # every state kept: any token may end up inside
            self.cache[j, text] = self.dets[j].encode(text, keep=lambda _, p: np.ones(len(p), bool))
        return self.cache[j, text]

    def encode(self, text: str, keep=None) -> Encoded:
        tokens, probs, kept = self.read(self.first, text)
        total = np.zeros_like(probs)
        for j, w in enumerate(self.weights):
            if w:
                other = self.read(j, text)
                moved, hit = projected(tokens.offsets, other[0].offsets, other[1])
                total += w * np.where(hit[:, None], moved, probs)     # the first model's where none shares
        return tokens, total / sum(self.weights), kept

    def rank(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        return Detector.rank(self, text, spans)     # the lead's span head on its states, read once


@one_line_errors
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path, help="the labelled split the models were trained on")
    p.add_argument("--model", required=True, type=Path, action="append", help="a trained model folder (repeatable)")
    p.add_argument("--weights", required=True, action="append",
                   help="one weight per model, comma-separated (repeatable)")
    p.add_argument("--reading", choices=["blinded", "written"], default="blinded", help="how names are read")
    a = p.parse_args()
    try:
        weightings = [[float(w) for w in ws.split(",")] for ws in a.weights]
    except ValueError:
        raise SystemExit("--weights: give numbers, comma-separated") from None
    if any(len(ws) != len(a.model) or sum(ws) <= 0 or min(ws) < 0 for ws in weightings):
        raise SystemExit(f"each --weights needs {len(a.model)} weights, none negative, not all 0")
    held_ids = [set(json.loads((trained_model(m) / "training.json").read_text()).get("held_out_ids", ()))
                for m in a.model]
    if not held_ids[0] or any(ids != held_ids[0] for ids in held_ids):
        raise SystemExit("the models must hold out the same articles")
    held = [x for x in load_split(a.data) if x.article_id in held_ids[0]]
    if not held:
        raise SystemExit(f"the models held no articles of {a.data} out")
    dets = [Detector(m, blind_names=a.reading == "blinded") for m in a.model]
    if a.reading == "written" and any(d.trained_blind for d in dets):
        raise SystemExit("a model trained on blinded text reads names blinded whatever it is asked: "
                         "--reading written would measure the blinded reading under another name")
    print(f"{len(held)} held-out articles, names {a.reading}; models: " + ", ".join(str(m) for m in a.model))
    print(f"{'weights':>16} {FIGURES}")
    cache: dict = {}
    for ws in weightings:
        t0 = time.perf_counter()
        tuned = tune(Averaged(dets, ws, cache), held, log=lambda *_: None)
        print(f"{','.join(f'{w:g}' for w in ws):>16} {figures(tuned, time.perf_counter() - t0)}", flush=True)


if __name__ == "__main__":
    main()

"""Does a longer window at inference pay? A trained model's held-out figures read with other windows.

    python benchmarks/windows.py --model src/propscope/model/large --data ../shared/data/ptc/train \
        --window 510 --stride 448

Reads the articles the model held out (its training.json) with each window (content tokens)
and stride, as written and with names blinded, and re-tunes thresholds and calibration for each
the way training does (cross-fitted over two halves), so the figures compare with the model card's.
The model itself is not changed: a copy of its folder with the other window is read.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from propscope.model.detector import Detector
from propscope.train.data import load_split
from propscope.train.tune import tune

from common import held_out_articles, one_line_errors, trained_model


FIGURES = f"{'SI F1':>6} {'P':>6} {'R':>6} {'S+T F1':>7} {'TC F1':>6} {'ECE':>6} {'s':>5}"


def held_out(tuned: dict) -> tuple[float, ...]:
    """A tuning's held-out figures (cross-fitted; TC over gold spans): SI F1, P, R, span+technique F1, TC, ECE."""
    c = tuned["cross_fitted"]
    return c["si_f1"], c["si_precision"], c["si_recall"], c["span_technique_f1"], tuned["tc_micro_f1"], c["ece"]


def figures(tuned: dict, seconds: float) -> str:
    """A tuning's held-out figures as a row under FIGURES."""
    si, p, r, st, tc, ece = held_out(tuned)
    return f"{si:>6.3f} {p:>6.3f} {r:>6.3f} {st:>7.3f} {tc:>6.3f} {ece:>6.3f} {seconds:>5.0f}"


@one_line_errors
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, type=Path, help="a trained model folder with a held-out fold")
    p.add_argument("--data", required=True, type=Path, help="the labelled split it was trained on")
    p.add_argument("--window", type=int, action="append", help="content tokens a window (repeatable)")
    p.add_argument("--stride", type=int, action="append", help="tokens between window starts, one per --window")
    a = p.parse_args()
    config = json.loads((trained_model(a.model) / "config.json").read_text())
    if len(a.window or []) != len(a.stride or []):
        raise SystemExit("give one --stride for each --window")
    windows = list(zip(a.window or [config["window"]], a.stride or [config["stride"]]))
    held_ids = set(json.loads((a.model / "training.json").read_text()).get("held_out_ids", ()))
    held = held_out_articles(load_split(a.data), held_ids, a.model, a.data)
    # a model trained on blinded text reads names blinded whatever it is asked: one reading
    readings = [("blinded", True)] if config.get("blind_names") else [("written", False), ("blinded", True)]
    print(f"{len(held)} held-out articles" + (" (names read blinded only: trained so)" if len(readings) == 1 else ""))
    print(f"{'window':>6} {'stride':>6} {'reading':>8} {FIGURES}")
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / a.model.name
        shutil.copytree(a.model, copy)
        for window, stride in windows:
            (copy / "config.json").write_text(json.dumps({**config, "window": window, "stride": stride}))
            for reading, blind in readings:
                t0 = time.perf_counter()
                tuned = tune(Detector(copy, blind_names=blind), held, log=lambda *_: None)
                print(f"{window:>6} {stride:>6} {reading:>8} {figures(tuned, time.perf_counter() - t0)}", flush=True)


if __name__ == "__main__":
    main()

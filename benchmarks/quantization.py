"""Does quantisation cost accuracy? SI / TC / span+technique F1 of the quantised (7-bit) and fp32 encoders.

    python benchmarks/quantization.py --model runs/fold0 --data ../shared/data/ptc/train

Scores the articles the model held out (its training.json), with its tuned thresholds.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

from propscope.evaluation import evaluate_articles
from propscope.model.detector import Detector
from propscope.train.data import load_split

from common import held_out_articles, one_line_errors, trained_model


@one_line_errors
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, type=Path, help="a trained model folder holding encoder.fp32.onnx")
    p.add_argument("--data", required=True, type=Path)
    a = p.parse_args()
    if not (a.model / "encoder.fp32.onnx").is_file():
        raise SystemExit(f"{a.model} holds no encoder.fp32.onnx: give a training run's folder")
    quantised = Detector(trained_model(a.model))
    held = held_out_articles(load_split(a.data), quantised.held_out_ids(), a.model, a.data)
    with tempfile.TemporaryDirectory() as tmp:
        fp32_dir = Path(tmp)
        for f in a.model.iterdir():
            if f.is_file() and f.suffix != ".pt":
                shutil.copy(f, fp32_dir / f.name)
        shutil.copy(a.model / "encoder.fp32.onnx", fp32_dir / "encoder.onnx")
        fp32 = Detector(fp32_dir)
        print(f"{len(held)} held-out articles")
        print(f"{'encoder':>8} {'MB':>6} {'SI F1':>6} {'TC F1':>6} {'S+T F1':>7} {'ECE':>6}")
        for name, det, size in (("7-bit", quantised, (a.model / "encoder.onnx").stat().st_size),
                                ("fp32", fp32, (a.model / "encoder.fp32.onnx").stat().st_size)):
            r = evaluate_articles(held, det)
            print(f"{name:>8} {size / 1e6:>6.1f} {r.si.f1:>6.3f} {r.tc.f1:>6.3f} {r.span_technique.f1:>7.3f} "
                  f"{'n/a' if r.ece is None else f'{r.ece:.3f}':>6}")     # n/a: nothing detected


if __name__ == "__main__":
    main()

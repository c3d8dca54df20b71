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

from propscope.model.detector import Detector
from propscope.scoring import tc_scores
from propscope.spans import Span
from propscope.techniques import NAMES
from propscope.train.data import Article, load_split


def labelled(articles: list[Article], probs: list[np.ndarray]) -> list[Span]:
    """Each article's gold fragments named from ``probs`` (one row per distinct fragment, in order)."""
    out = []
    for article, p in zip(articles, probs):
        positions = list(dict.fromkeys((s.start, s.end) for s in article.spans))
        ranked = {pos: np.argsort(-row) for pos, row in zip(positions, p)}
        used: dict[tuple[int, int], int] = {}
        for s in article.spans:
            key = (s.start, s.end)
            k = ranked[key][min(used.get(key, 0), len(NAMES) - 1)]
            used[key] = used.get(key, 0) + 1
            out.append(s.with_technique(NAMES[k], float(p[positions.index(key)][k])))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path, help="the labelled split the models were trained on")
    p.add_argument("--model", required=True, type=Path, action="append", help="a trained model folder (repeatable)")
    p.add_argument("--weights", action="append", default=[], help="one weight per model, comma-separated (repeatable)")
    p.add_argument("--reading", choices=["blinded", "written"], default="blinded", help="how names are read")
    a = p.parse_args()
    weightings = [[float(w) for w in ws.split(",")] for ws in a.weights]
    if any(len(ws) != len(a.model) or sum(ws) <= 0 or min(ws) < 0 for ws in weightings):
        raise SystemExit(f"each --weights needs {len(a.model)} weights, none negative, not all 0")
    held = set.intersection(*(set(json.loads((m / "training.json").read_text())["held_out_ids"]) for m in a.model))
    articles = [art for art in load_split(a.data) if art.article_id in held]
    if not articles:
        raise SystemExit("no article was held out of every model's training")
    gold = [s for art in articles for s in art.spans]
    dets = [Detector(m, blind_names=a.reading == "blinded") for m in a.model]
    probs = [[det.rank(art.text, list(dict.fromkeys((s.start, s.end) for s in art.spans))) for art in articles]
             for det in dets]
    print(f"{len(articles)} articles held out by every model, {len(gold):,} gold fragments, names {a.reading}")
    for model, ps in zip(a.model, probs):
        print(f"{str(model):40s} TC micro-F1 {tc_scores(labelled(articles, ps), gold).f1:.3f}")
    for ws in weightings:
        mean = [sum(w * ps[i] for w, ps in zip(ws, probs)) / sum(ws) for i in range(len(articles))]
        print(f"{'weights ' + ','.join(f'{w:g}' for w in ws):40s} TC micro-F1 {tc_scores(labelled(articles, mean), gold).f1:.3f}")


if __name__ == "__main__":
    main()

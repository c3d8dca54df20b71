"""Does decoding the tags as a CRF would beat the shipped decoder? BIO Viterbi against hysteresis, SI F1.

    python benchmarks/viterbi.py --model path/to/twin --data path/to/ptc/train

Transitions are the tag-bigram frequencies of the model's training articles (its training.json
names the held-out ones); emissions the log tag probabilities less a times the log tag prior,
transitions scaled by b. On the held-out articles, cross-fitted over the halves the tuner uses:
a and b (and the shipped decoder's thresholds) chosen on one half, scored on the other.
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from propscope.model.decode import paragraphs, snap
from propscope.model.detector import Detector
from propscope.scoring import si_scores
from propscope.spans import Span
from propscope.train.data import fold_of, load_split
from propscope.train.examples import B, I, O, bio_tags
from propscope.train.tune import SETTINGS, Held

from common import held_out_articles, one_line_errors, trained_model

GRID = list(itertools.product([0, 0.25, 0.5, 0.75, 1.0], [0.5, 1, 2, 4]))


def bigrams(det: Detector, articles) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Log transition, start and prior probabilities of the gold tags (add-one smoothed)."""
    trans, start, prior = np.ones((3, 3)), np.ones(3), np.ones(3)
    for a in articles:
        tags = bio_tags(det.tokens(a.text).offsets, [(s.start, s.end) for s in a.spans])
        if len(tags):
            start[tags[0]] += 1
            np.add.at(trans, (tags[:-1], tags[1:]), 1)
            prior += np.bincount(tags, minlength=3)
    return np.log(trans / trans.sum(1, keepdims=True)), np.log(start / start.sum()), np.log(prior / prior.sum())


def viterbi(emit: np.ndarray, trans: np.ndarray, start: np.ndarray) -> np.ndarray:
    score, back = start + emit[0], np.zeros((len(emit), 3), np.int64)
    for t in range(1, len(emit)):
        cand = score[:, None] + trans
        back[t] = cand.argmax(0)
        score = cand.max(0) + emit[t]
    path = np.zeros(len(emit), np.int64)
    path[-1] = score.argmax()
    for t in range(len(emit) - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def runs(path: np.ndarray) -> list[tuple[int, int]]:
    """Token runs (first, last) of a tag path: a B, or an I after O, opens one."""
    out: list[tuple[int, int]] = []
    inside = False
    for t, tag in enumerate(path):
        if tag == B or (tag == I and not inside):
            out.append((t, t))
        elif tag == I:
            out[-1] = (out[-1][0], t)
        inside = tag != O
    return out


@one_line_errors
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", required=True, type=Path, help="a trained model folder that held articles out")
    p.add_argument("--data", required=True, type=Path)
    a = p.parse_args()
    det = Detector(trained_model(a.model))
    held_ids = set(det.held_out_ids())
    articles = load_split(a.data)
    held = Held(det, held_out_articles(articles, held_ids, a.model, a.data))
    trans, start, prior = bigrams(det, [x for x in articles if x.article_id not in held_ids])

    def spans(i: str, a_: float, b_: float) -> list[Span]:
        tokens, probs, _ = held.encoded[i]
        text = held.articles[i].text
        if not len(probs):
            return []
        path = viterbi(np.log(np.clip(probs, 1e-9, 1)) - a_ * prior, b_ * trans, b_ * start)
        out = []
        for run in runs(path):
            for f, la in paragraphs(text, *run, tokens.offsets):
                s, e = snap(text, int(tokens.offsets[f, 0]), int(tokens.offsets[la, 1]))
                if e > s and any(ch.isalnum() for ch in text[s:e]):
                    out.append(Span(i, s, e, ""))
        return out

    decoded = {g: {i: spans(i, *g) for i in held.articles} for g in GRID}

    def vit(ids, g):
        return [s for i in ids for s in decoded[g][i]]

    halves = [[i for i in held.articles if fold_of("half" + i, 2) == h] for h in (0, 1)]
    pred = {"hysteresis (shipped decoder)": [], "viterbi": []}
    gold = []
    for pick, test in ((halves[0], halves[1]), (halves[1], halves[0])):
        st = max(SETTINGS, key=lambda st: si_scores(held.fragments(pick, st), held.gold(pick)).f1)
        g = max(GRID, key=lambda g: si_scores(vit(pick, g), held.gold(pick)).f1)
        print(f"chosen on one half: hysteresis {st}, viterbi a={g[0]} b={g[1]}")
        pred["hysteresis (shipped decoder)"] += held.fragments(test, st)
        pred["viterbi"] += vit(test, g)
        gold += held.gold(test)
    print(f"{len(held.articles)} held-out articles, cross-fitted")
    for name, p_ in pred.items():
        sc = si_scores(p_, gold)
        print(f"{name:>30}  SI F1 {sc.f1:.3f} (P {sc.precision:.3f}, R {sc.recall:.3f})")
    ids = list(held.articles)
    best = max(GRID, key=lambda g: si_scores(vit(ids, g), held.gold(ids)).f1)
    sc = si_scores(vit(ids, best), held.gold(ids))
    print(f"viterbi's best setting on all of them (in-sample): a={best[0]} b={best[1]}, SI F1 {sc.f1:.3f}")


if __name__ == "__main__":
    main()

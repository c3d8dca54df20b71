"""Decoding levers measured over every fold of a recipe at once, not one fold's 70 articles.

    python benchmarks/decoding.py --data path/to/ptc/train runs/F0 runs/F1 runs/F2 runs/F3 runs/F4

Each run is a `propscope train ... --fold K --no-refit` run (or a twin) of one recipe; its held-out
articles are read once, names blinded and as written. Then, for each reading:

- pooled: each fold decoded with the thresholds that score best on the other folds' held-out
  articles together (four times as many as training's choice on half of the fold itself sees),
  against the run's own cross-fitted figure from its validation.json;
- repeated: with the setting chosen on all folds together, each fragment of up to K words also
  flagged wherever the article says it again (whole words, any case) — the Repetition cue as a
  rule at decoding.

Prints SI F1 (techniques ignored; the SemEval-2020 measure) by fold and on average.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from pathlib import Path

from propscope.model.detector import Detector
from propscope.scoring import si_scores
from propscope.spans import Span
from propscope.train.data import load_split
from propscope.train.tune import SETTINGS, Held
from common import held_out_articles, one_line_errors, trained_model
from folds import READINGS, reading  # the same held-out figures, read the same way


def repeated(spans: list[Span], texts: dict[str, str], words: int) -> list[Span]:
    """``spans`` and every other place their article repeats one of up to ``words`` words."""
    out, by_article = list(spans), {}
    for s in spans:
        by_article.setdefault(s.article_id, []).append(s)
    for aid, own in by_article.items():
        text = texts[aid]
        taken = [(s.start, s.end) for s in own]
        phrases = {text[s.start:s.end].lower() for s in own
                   if len(text[s.start:s.end].split()) <= words and s.end - s.start >= 4}
        for phrase in sorted(phrases):
            for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text, re.I):
                if not any(m.start() < e and b < m.end() for b, e in taken):
                    out.append(Span(aid, m.start(), m.end(), ""))
                    taken.append((m.start(), m.end()))
    return out


@one_line_errors
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="fold runs of one recipe, each with its fold held out")
    parser.add_argument("--data", required=True, type=Path, help="the labelled split they were trained on")
    parser.add_argument("--words", type=int, action="append", help="repeat fragments of up to this many words "
                        "(repeatable; default 1, 2, 4)")
    args = parser.parse_args()
    if len(args.runs) < 2:
        raise SystemExit("give two fold runs or more: each fold is decoded with the settings the others chose")
    articles = load_split(args.data)
    texts = {a.article_id: a.text for a in articles}
    for name in READINGS:
        blinded = name == "blinded"
        held, frags = {}, {}
        for run in args.runs:
            det = Detector(trained_model(run), blind_names=blinded)
            if name == "as written" and det.trained_blind:
                break
            ids = det.held_out_ids()
            held[run] = Held(det, held_out_articles(articles, ids, run, args.data))
            frags.update({(run, st): held[run].fragments(held[run].articles, st) for st in SETTINGS})
        if len(held) < len(args.runs):
            continue
        gold = {run: h.gold(h.articles) for run, h in held.items()}
        print(f"names {name}: SI F1 by fold")
        pooled, own = [], []
        for run in args.runs:
            others = [r for r in args.runs if r != run]
            other_gold = [s for r in others for s in gold[r]]
            best = max(SETTINGS, key=lambda st: si_scores([s for r in others for s in frags[r, st]], other_gold).f1)
            pooled.append(si_scores(frags[run, best], gold[run]).f1)
            own.append(reading(run, json.loads((run / "validation.json").read_text()), name)["cross_fitted"]["si_f1"])
            print(f"  {str(run):<28} own halves {own[-1]:.3f}   pooled {pooled[-1]:.3f} {best}")
        print(f"  {'mean':<28} own halves {statistics.mean(own):.3f}   pooled {statistics.mean(pooled):.3f}")
        every_gold = [s for r in args.runs for s in gold[r]]
        best = max(SETTINGS, key=lambda st: si_scores([s for r in args.runs for s in frags[r, st]], every_gold).f1)
        base = [s for r in args.runs for s in frags[r, best]]
        row = [f"all folds at {best}: {si_scores(base, every_gold).f1:.4f}"]
        for words in args.words or [1, 2, 4]:
            scores = si_scores(repeated(base, texts, words), every_gold)
            row.append(f"repeated up to {words} words {scores.f1:.4f} (P {scores.precision:.3f} R {scores.recall:.3f})")
        print("  " + "; ".join(row))


if __name__ == "__main__":
    main()

"""One recipe over several validation folds: each run's held-out figures, and their mean.

    python benchmarks/folds.py runs/F0 runs/F1 runs/F2

Each folder is a `propscope train ... --fold K --no-refit` run (or a twin): its validation.json
holds the held-out figures that training measured, cross-fitted over two halves of the fold,
for names as written and names blinded. One fold is 60-80 articles, so one fold's SI F1 moves
by a few hundredths with the articles it happens to hold; the mean over folds is the figure
to quote for a recipe, and the spread says how far to trust it.

    python benchmarks/folds.py runs/F0 runs/F1 runs/F2 runs/F3 runs/F4 \\
        --json src/propscope/model/weights/folds.json --recipe "propscope train ... --fold K --no-refit"

also writes the figures beside a model, with the settings the runs share, whose card
(train/card.py) then gives their mean, for a model of those settings only.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
from pathlib import Path

from propscope.train.config import differing, shared_recipe
from windows import held_out  # the same held-out figures, in the same order

READINGS = ("blinded", "as written")
COLUMNS = ("SI F1", "P", "R", "span+tech", "TC", "ECE")


def fold(run: Path) -> int:
    """The fold a run held out; a shipped model trained on every article reports its twin's."""
    training = json.loads((run / "training.json").read_text())
    return training["config"]["fold"] if training["config"]["fold"] >= 0 else training["twin"]["fold"]


def trained_blind(run: Path) -> bool:
    """Whether the run was trained on blinded text (``train --blind-names``): such a model reads
    names blinded whatever it is asked, so its one set of figures is the blinded reading's."""
    return bool(json.loads((run / "config.json").read_text()).get("blind_names"))


def reading(run: Path, validation: dict, name: str) -> dict | None:
    """The run's held-out figures for names blinded or as written, or None if it has none."""
    if trained_blind(run):
        return validation if name == "blinded" else None
    return validation.get("blind") if name == "blinded" else validation


def one_recipe(runs: list[Path]) -> dict:
    """The settings the runs share (``shared_recipe``): the card quotes folds only for a model of
    that recipe. Runs of different recipes are refused, naming the settings that differ."""
    recipes = {run: shared_recipe(json.loads((run / "training.json").read_text())["config"]) for run in runs}
    first = recipes[runs[0]]
    for run, settings in recipes.items():
        if differ := differing(first, settings):
            raise SystemExit(f"folds.py: {runs[0]} and {run} are different recipes (they differ in "
                             f"{', '.join(differ)}): a model's folds.json holds one recipe's folds")
    return first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", type=Path, help="folders of trained runs, each with a fold held out")
    parser.add_argument("--json", type=Path, help="also write the figures here (a model's folds.json)")
    parser.add_argument("--recipe", help="with --json: the training command of each run, for the card")
    args = parser.parse_args()
    if args.json and not args.recipe:
        parser.error("--json needs --recipe: the card says how the runs were trained")
    missing = [str(run) for run in args.runs if not (run / "validation.json").is_file()]
    if missing:
        parser.exit(2, f"folds.py: no validation.json (held-out figures) in {', '.join(missing)}: "
                       "a run writes it when training with --fold K ends\n")
    validations = {run: json.loads((run / "validation.json").read_text()) for run in args.runs}
    for name in READINGS:
        print(f"names {name}")
        print(f"  {'run':<28}{'fold':>5}{'held':>6}" + "".join(f"{c:>11}" for c in COLUMNS))
        rows = []
        for run in args.runs:
            validation = reading(run, validations[run], name)
            if validation is None:
                why = "reads names blinded: trained so" if trained_blind(run) else "no figures for this reading"
                print(f"  {str(run):<28} ({why})")
                continue
            rows.append(held_out(validation))
            print(f"  {str(run):<28}{fold(run):>5}{validation['held_out_articles']:>6}"
                  + "".join(f"{x:>11.3f}" for x in rows[-1]))
        if len(rows) > 1:
            mean = [statistics.fmean(col) for col in zip(*rows)]
            spread = [max(col) - min(col) for col in zip(*rows)]
            print(f"  {'mean':<39}" + "".join(f"{x:>11.3f}" for x in mean))
            print(f"  {'spread (max - min)':<39}" + "".join(f"{x:>11.3f}" for x in spread))
        print()
    if args.json:
        folds = record(validations, args.recipe) | {"config": one_recipe(args.runs)}
        args.json.write_text(json.dumps(folds, indent=2) + "\n")
        print(f"written to {args.json}")


def record(validations: dict[Path, dict], recipe: str) -> dict:
    """Each run's held-out figures as a model's folds.json holds them: names as written, and under
    "blind" names blinded, as in validation.json."""
    keys = ("si_f1", "si_precision", "si_recall", "span_technique_f1", "tc_micro_f1", "ece")
    folds = []
    for run, validation in validations.items():
        row = {"fold": fold(run), "held_out_articles": validation["held_out_articles"],
               **dict(zip(keys, held_out(validation)))}
        if (blind := reading(run, validation, "blinded")) is not None:
            row["blind"] = dict(zip(keys, held_out(blind)))
        folds.append(row)
    command = shlex.join(["python", "benchmarks/folds.py", *map(str, validations)])
    return {"recipe": recipe, "command": command, "folds": folds}


if __name__ == "__main__":
    main()

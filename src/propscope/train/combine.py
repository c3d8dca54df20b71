"""Make a combined model (model/combined.py): members, weights, and the decoding settings and
calibration tuned for their averaged tag probabilities on articles no member trained on.

Members trained on every article (a refit) have no such articles: give each a twin, the same
recipe with a fold held out, to tune on instead, as a refit takes its twin's settings.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

from ..errors import InputError, unwritable
from ..model.combined import Combined, member_folder
from ..model.detector import BUNDLED, trained_blind
from .card import _folds, _settings, in_short, known_limits, per_technique
from .config import shared_recipe
from .data import load_split
from .tune import tune

# how a fragment's technique is read, part of the recipe: folds measured when it was the first
# member's alone (until 2026-12-06) are another recipe's
TECHNIQUES = "the members' weighted mean"
UNTUNED = {"threshold": 0.5, "low_threshold": 0.5, "gap": 0, "second_threshold": 1.01, "calibration": None}


def _named(model: str, out: Path) -> str:
    """How the config names a member: a bundled model's name, or its folder relative to ``out``."""
    return model if model in BUNDLED else os.path.relpath(Path(model).resolve(), out.resolve())


def _version(members: list[dict], configs: list[dict]) -> str:
    return "combined(" + ",".join(f"{c.get('version', 'unversioned')}*{m['weight']:g}"
                                  for m, c in zip(members, configs)) + ")"


def _training(out: Path, members: list[dict]) -> dict:
    """What the combined model's training.json records: the fold its settings were tuned on (the
    first member's), how techniques are read, and each member's recipe (benchmarks/folds.py reads
    them, as for a trained model)."""
    infos = [json.loads((member_folder(out, m["model"]) / "training.json").read_text()) for m in members]
    return {"config": {"fold": infos[0]["config"]["fold"], "techniques": TECHNIQUES,
                       "members": [{"weight": m["weight"], "recipe": shared_recipe(info["config"])}
                                   for m, info in zip(members, infos)]}}


def _check(models: list[str], weights: list[float], twins: list[str] | None) -> None:
    if len(models) < 2:
        raise InputError("combine needs two models or more")
    if len(weights) != len(models) or not all(math.isfinite(w) and w >= 0 for w in weights) or weights[0] <= 0:
        raise InputError(f"one weight per model ({len(models)}), each a number, none negative, the first above 0")
    if twins and len(twins) != len(models):
        raise InputError(f"one twin per model ({len(models)}), or none")
    for m in [*models, *(twins or [])]:
        config = BUNDLED.get(m, Path(m)) / "config.json"
        if not config.is_file():
            raise InputError(f"{m!r} is neither a bundled model ({', '.join(BUNDLED)}) nor a model folder")
        try:
            combined = "members" in json.loads(config.read_text())
        except ValueError as exc:
            raise InputError(f"{m!r}: its config.json is damaged ({exc})") from None
        if combined:
            raise InputError(f"{m!r} is a combined model: name its members instead")


def combine(data: str | Path, out: str | Path, models: list[str], weights: list[float],
            twins: list[str] | None = None, command: str = "", log=print) -> dict:
    """Tune ``models`` read together (or their ``twins``, one each) on the articles of ``data`` that
    none of them trained on, and write the combined model to ``out``."""
    out = Path(out)
    _check(models, weights, twins)
    if out.exists() and not out.is_dir() or any(p.is_file() for p in out.parents):
        raise unwritable(out, "not a folder")       # found out now, not after the tuning
    if (out / "config.json").exists():
        try:
            combined = "members" in json.loads((out / "config.json").read_text())
        except (OSError, ValueError):
            combined = False
        if not combined:
            raise InputError(f"{out} holds another model or file: give the combined model a folder of its own")
    tuned_on = {"members": [{"model": _named(m, out), "weight": w} for m, w in zip(twins or models, weights)],
                **UNTUNED}
    det = Combined(out, blind_names=False, config=tuned_on)
    held_ids = det.held_out_ids()
    held = [a for a in load_split(data) if a.article_id in held_ids]
    if not held:
        raise InputError(f"no article of {data} was held out of every member's training: "
                         "give each member trained on every article a twin (--twin) to tune on")
    log(f"tuning on {len(held)} articles no member trained on")
    tuned = tune(det, held, log=log)
    if not det.trained_blind:
        log("reading names blinded:")
        tuned["blind"] = tune(Combined(out, blind_names=True, config=tuned_on), held, log=log)
    members = [{"model": _named(m, out), "weight": w} for m, w in zip(models, weights)]
    configs = [json.loads((member_folder(out, m["model"]) / "config.json").read_text()) for m in members]
    config = {"name": "propscope-combined", "version": _version(members, configs), "members": members,
              **_settings(tuned)}
    if "blind" in tuned:
        config["blind"] = _settings(tuned["blind"])
    tuned = {**tuned, "members_tuned_on": tuned_on["members"], "command": command}
    out.mkdir(parents=True, exist_ok=True)
    (out / "validation.json").write_text(json.dumps(tuned, indent=2) + "\n")
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "training.json").write_text(json.dumps({"version": config["version"], **_training(out, tuned_on["members"])},
                                                  indent=2) + "\n")
    write_card(out)
    return tuned


def _figures(t: dict) -> str:
    c = t["cross_fitted"]
    return (f"SI F1 {c['si_f1']:.3f} (P {c['si_precision']:.3f}, R {c['si_recall']:.3f}), span+technique F1 "
            f"{c['span_technique_f1']:.3f}, TC micro-F1 {t['tc_micro_f1']:.3f}, ECE {c['ece']:.3f}")


_ONE_FOLD = ("\nOne fold is a small sample: the same recipe's figures move by a few hundredths from one fold\n"
             "to another (docs/model.md).\n")


def write_card(out: Path) -> None:
    """The combined model's card, from its config and figures (and folds.json, once written beside it
    by ``benchmarks/folds.py --json``)."""
    config = json.loads((out / "config.json").read_text())
    tuned = json.loads((out / "validation.json").read_text())
    training = json.loads((out / "training.json").read_text())
    members = "\n".join(f"- `{m['model']}`, weight {m['weight']:g}"
                        + (", trained on blinded text: it reads names blinded in either reading"
                           if trained_blind(member_folder(out, m["model"])) else "") for m in config["members"])
    twins = "" if tuned["members_tuned_on"] == config["members"] else \
        "Tuned and scored with twins in their place (the same recipes, a fold held out: the command below).\n\n"
    bundled = [f"`propscope model --model {m['model']}`" for m in config["members"] if m["model"] in BUNDLED]
    cards = f"The members' own cards (recipe, data, known limits): {', '.join(bundled)}.\n\n" if bundled else ""
    blinded = "blind" in tuned
    readings = (f"Names blinded (the default): {_figures(tuned['blind'])}.\n\n"
                f"Names as written (`--no-blind-names`): {_figures(tuned)}.\n") if blinded else \
        f"Names blinded (its first member was trained so): {_figures(tuned)}.\n"
    default = tuned["blind"] if blinded else tuned
    text = (f"# propscope combined model {config['version']}\n\n"
            f"{in_short(default, tuned['held_out_articles'])}\n"
            "Each token's tag probabilities are the weighted mean of these models' (the first one's\n"
            "tokens; another tokenisation is matched by the characters it covers), and so are each\n"
            "fragment's technique probabilities, each model's span head reading its own states:\n"
            f"{members}\n\n{cards}{twins}"
            "Decoding settings and calibration were chosen on the "
            f"{tuned['held_out_articles']} articles no member trained on;\n"
            "each figure below is measured on one half of them with settings chosen on the other.\n\n"
            f"{readings}{_folds(out, blinded, training['config']) or _ONE_FOLD}\n"
            f"{per_technique(default, blinded)}\n{known_limits(default, tuned['held_out_articles'])}\n"
            f"Made with `{tuned['command']}`.\n")
    (out / "MODEL_CARD.md").write_text(text)

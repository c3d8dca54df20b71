"""One command from a labelled split to a shipped model folder: train, export, tune, card."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from pathlib import Path

import torch

from ..errors import InputError, unwritable
from ..model.pretrained import encoder_dir
from .config import TrainConfig, recipe
from .data import data_hash, load_split, split
from .examples import build
from .export import export
from .card import write_card, write_config
from .model import SpanModel


# what a model folder holds of the model last trained into it, besides its weights
STALE = ("training.json", "validation.json", "config.json", "MODEL_CARD.md", "neutrality.json",
         "frozen.json", "frozen.bin", "state.low_rank.pt")        # the last three: only a frozen or low-rank run writes them


def train_and_export(data: str | Path, out: str | Path, cfg: TrainConfig, log=print,
                     extra: list | None = None) -> dict:
    """Train on the split's training folds (plus ``extra`` articles), export, write the first config
    (marked untuned: such a folder is refused for analysis until it is tuned or adopts its twin's
    settings)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in STALE:      # another model's: nothing of it may pass for this one's, even if this run stops
        (out / stale).unlink(missing_ok=True)
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    base_dir, base_hash = encoder_dir(cfg.base)
    articles = load_split(data)
    train_set, held = split(articles, cfg.fold, cfg.folds) if cfg.fold >= 0 else (articles, [])
    if cfg.fold >= 0 and not held:
        raise InputError(f"{data}: fold {cfg.fold} of {cfg.folds} holds none of its {len(articles)} articles: "
                         "nothing to tune on; give another --fold, or more articles")
    if not any(a.spans for a in train_set):
        raise InputError(f"{data}: the {len(train_set)} articles left to train on hold no labelled fragment")
    from ..model.names import common_words
    common = common_words(a.text for a in train_set)    # for reading names blinded (always, or on request)
    if cfg.counterfactual > 0:
        from ..audit.pairs import load
        from .counterfactual import swapped_copies
        train_set, replaced = swapped_copies(train_set, load(), cfg.counterfactual, cfg.seed,
                                             tuple(cfg.counterfactual_hold_out))
        log(f"{replaced} training articles replaced by copies with named sides swapped")
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(base_dir / "tokenizer.json"))
    tokenizer.no_truncation(); tokenizer.no_padding()
    extra = list(extra or [])
    if cfg.semeval2021:
        from .data import load_semeval2021
        extra += load_semeval2021(cfg.semeval2021)
    examples = build(train_set + extra, tokenizer, cfg.window, cfg.stride, cfg.windows == "lines", cfg.token_features,
                     common if cfg.blind_names else None, cfg.placeholders)
    log(f"{len(train_set)} training articles (+{len(extra)} extra), {len(held)} held out, {len(examples)} windows, "
        f"{sum(len(e.spans) for e in examples)} span examples")
    from ..model.windows import special_ids
    specials = special_ids(tokenizer)
    model = SpanModel(str(base_dir), span_hidden=cfg.span_hidden, dropout=cfg.dropout, cues=cfg.token_features,
                      lora_rank=cfg.lora_rank, crf=cfg.crf, layers=cfg.layers)
    from .loop import train
    checkpoint = out / "checkpoint.pt"
    minutes = train(model, examples, cfg, *specials, log=log, checkpoint=checkpoint) / 60
    state = out / "state.pt"
    torch.save(model.state_dict(), state)
    cfg.save(out / "train_config.json")
    rank = cfg.lora_rank
    if cfg.ship_rank:         # shipped as pretrained + low-rank updates, like a LoRA model
        from .model import low_rank_state
        rank, state = cfg.ship_rank, out / "state.low_rank.pt"
        torch.save(low_rank_state(model.state_dict(), str(base_dir), rank, cfg.span_hidden, cfg.token_features), state)
    export(state, base_dir, cfg.span_hidden, out, cues=cfg.token_features,
           frozen_base=cfg.base if cfg.frozen_layers or cfg.frozen_embeddings or rank else "", lora_rank=rank)
    from ..model.names import save
    save(common, out)
    info = {"version": version(cfg), "base": cfg.base, "base_sha256": base_hash, "data_sha256": data_hash(articles),
            "train_articles": len(train_set), "extra_articles": len(extra),
            "held_out_articles": len(held),
            "held_out_ids": [a.article_id for a in held], "train_minutes": round(minutes, 1),
            "config": asdict(cfg)}
    write_config(out, info, None)
    (out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    checkpoint.unlink(missing_ok=True)      # kept until now: a run stopped while exporting resumes after its last epoch
    log(f"trained in {minutes:.1f} min, exported to {out}")
    return info


def version(cfg: TrainConfig) -> str:
    """The training date, and the base encoder when it is not MiniLM (TrainConfig's), with how many of
    its layers are kept, and "refit" for a model trained again on every article after its twin (so that
    models trained on one day are told apart, in a corpus store too)."""
    date = time.strftime("%Y.%m.%d")
    layers = f"-{cfg.layers}-layers" if cfg.layers else ""
    named = "" if cfg.base == TrainConfig.base and not layers else f"+{cfg.base}{layers}"
    return date + named + ("+refit" if cfg.fold < 0 and cfg.refit else "")


def tune_and_card(data: str | Path, out: str | Path, command: str, log=print) -> dict:
    """Thresholds, calibration and the model card, from the held-out fold of a trained model."""
    from ..model import names
    from ..model.detector import Detector
    from .tune import tune
    out = Path(out)
    info = json.loads((out / "training.json").read_text())
    held_ids = set(info["held_out_ids"])
    held = [a for a in load_split(data) if a.article_id in held_ids]
    if not held:
        raise SystemExit("no held-out articles: train with a fold held out to tune and calibrate (--refit "
                         "then trains again on every article with the settings found)")
    det = Detector(out, blind_names=False)
    tuned = tune(det, held, log=log)
    if not det.trained_blind:       # settings, calibration and figures for reading names blinded
        log("reading names blinded:")
        blind = Detector(out, blind_names=True)
        blind.placeholders = names.DISTINCT        # trained on names as written: distinct names stay distinct
        tuned["blind"] = tune(blind, held, log=log) | {"placeholders": list(blind.placeholders)}
    (out / "validation.json").write_text(json.dumps(tuned, indent=2) + "\n")
    write_config(out, info, tuned)
    write_card(out, info, tuned, command)
    return tuned


def adopt(out: str | Path, twin: str | Path, command: str) -> dict:
    """Give the model in ``out`` (trained on every article) the thresholds, calibration and validation
    figures of its ``twin``: the same recipe with a fold held out. Its card says where they come from."""
    out, twin = Path(out), Path(twin)
    info = json.loads((out / "training.json").read_text())
    twin_info = json.loads((twin / "training.json").read_text())
    if not twin_info["held_out_ids"]:
        raise SystemExit(f"{twin} held no articles out: it has no validation figures to give")
    tuned = json.loads((twin / "validation.json").read_text())
    # dated the day it takes its settings: a model given another twin's settings, or its twin's settings
    # tuned again, finds other fragments, and a corpus store must tell its analyses apart
    info["version"] = time.strftime("%Y.%m.%d") + info["version"][len("YYYY.MM.DD"):]
    info["twin"] = {k: twin_info[k] for k in ("version", "train_articles", "held_out_articles", "held_out_ids",
                                              "train_minutes")} | {"fold": twin_info["config"]["fold"]}
    (out / "training.json").write_text(json.dumps(info, indent=2) + "\n")
    (out / "validation.json").write_text(json.dumps({**tuned, "measured_on": "twin"}, indent=2) + "\n")
    write_config(out, info, tuned)
    write_card(out, info, tuned, command)
    return tuned


def _trained(data_sha256: str, out: Path, cfg: TrainConfig) -> bool:
    """Whether ``out`` holds a model of this recipe and data that an earlier run trained and exported
    (training.json is written last): the same command again tunes it instead of training it again."""
    try:
        info = json.loads((out / "training.json").read_text())
    except (OSError, ValueError):
        return False
    return recipe(info.get("config", {})) == recipe(asdict(cfg)) and info.get("data_sha256") == data_sha256


def _finished(data_sha256: str, out: Path, cfg: TrainConfig, log=print) -> bool:
    """A stage (teacher, twin) that an earlier run of the same recipe trained and tuned in ``out``
    (the twin may be a ``--no-refit`` run of the recipe, copied in)."""
    if _trained(data_sha256, out, cfg) and (out / "validation.json").exists():
        log(f"{out} already holds this recipe's trained and tuned model: kept")
        return True
    return False


def _train(data: str | Path, data_sha256: str, out: str | Path, cfg: TrainConfig, log=print,
           extra: list | None = None) -> None:
    """``train_and_export``, unless ``out`` holds that model already (a run stopped while tuning)."""
    if _trained(data_sha256, Path(out), cfg):
        log(f"{out} already holds this recipe's trained model: it is tuned again, not trained again")
        return
    train_and_export(data, out, cfg, log=log, extra=extra)


def main(data: str | Path, out: str | Path, cfg: TrainConfig, command: str, log=print) -> None:
    """Train, export, tune, calibrate and card. With ``cfg.unlabelled``, first a teacher (the plain
    recipe, PTC alone) whose labels on the unlabelled articles join the final model's training data.
    With ``cfg.refit``, the model tuned on the held-out fold is a twin (in ``out/twin``), and the one
    in ``out`` is trained again on every article and takes the twin's settings and figures.
    Safe to interrupt: the same command again keeps the stages already done and goes on from the
    last finished epoch."""
    from dataclasses import replace
    try:
        Path(out).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise unwritable(out, exc.strerror or str(exc)) from None
    hashed = data_hash(load_split(data))       # which data a model already in a folder was trained on
    extra = None
    if cfg.unlabelled:
        from .pseudo import pseudo_label
        teacher = Path(out) / "teacher"
        plain = replace(cfg, unlabelled="", semeval2021="")
        if not _finished(hashed, teacher, plain, log):
            _train(data, hashed, teacher, plain, log=log)
            tune_and_card(data, teacher, command, log=log)
        extra = pseudo_label(cfg.unlabelled, teacher, cfg.pseudo_min_confidence)
        log(f"teacher labelled {len(extra)} articles: {sum(len(a.spans) for a in extra)} fragments")
    if cfg.refit and cfg.fold >= 0:
        twin = Path(out) / "twin"
        if not _finished(hashed, twin, cfg, log):
            _train(data, hashed, twin, cfg, log=log, extra=extra)
            tune_and_card(data, twin, command, log=log)
        _train(data, hashed, out, replace(cfg, fold=-1), log=log, extra=extra)
        adopt(out, twin, command)
        log(f"trained again on every article; thresholds, calibration and figures from {twin}")
        return
    _train(data, hashed, out, cfg, log=log, extra=extra)
    tune_and_card(data, out, command, log=log)

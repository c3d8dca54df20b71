"""The model card from its figures: the shipped cards are what their JSON makes, folds included."""

import json
import re
import shutil
from pathlib import Path

import pytest

import propscope.model
from propscope.train.card import write_card
from propscope.train.config import shared_recipe

MODELS = Path(propscope.model.__file__).parent
FIGURES = ("training.json", "validation.json", "neutrality.json", "folds.json")


def _card_from_figures(model: Path, out: Path) -> str:
    """Write ``model``'s card again into ``out`` from its JSON files alone."""
    for name in FIGURES:
        if (model / name).exists():
            shutil.copy(model / name, out / name)
    command = re.search(r"## Reproduce\n```\n(.*)\n```", (model / "MODEL_CARD.md").read_text(), re.S).group(1)
    write_card(out, json.loads((out / "training.json").read_text()),
               json.loads((out / "validation.json").read_text()), command)
    return (out / "MODEL_CARD.md").read_text()


@pytest.mark.parametrize("model", ["weights", "large"])
def test_the_shipped_cards_are_what_their_figures_make(model, tmp_path):
    assert _card_from_figures(MODELS / model, tmp_path) == (MODELS / model / "MODEL_CARD.md").read_text()


def _fast_model_without_folds(tmp_path: Path) -> Path:
    model = tmp_path / "model"
    model.mkdir()
    for name in (*FIGURES[:3], "MODEL_CARD.md"):
        shutil.copy(MODELS / "weights" / name, model / name)
    return model


def _fold(fold: int, si: float, blind_si: float) -> dict:
    figures = {"si_precision": 0.3, "si_recall": 0.5, "span_technique_f1": 0.2, "tc_micro_f1": 0.6, "ece": 0.02}
    return {"fold": fold, "held_out_articles": 70, "si_f1": si, **figures, "blind": {**figures, "si_f1": blind_si}}


def _folds(model: Path, **settings) -> dict:
    """Two folds' figures for the recipe of ``model`` with ``settings`` changed."""
    config = json.loads((model / "training.json").read_text())["config"] | settings
    return {"recipe": "propscope train --fold K", "command": "python benchmarks/folds.py runs/F0 runs/F1",
            "folds": [_fold(1, 0.50, 0.44), _fold(0, 0.40, 0.36)], "config": shared_recipe(config)}


def test_the_card_names_the_data_trained_on_besides_ptc_and_the_layers_kept_beside_lora():
    from propscope.train.card import _data_use, _frozen
    info = {"config": {"fold": 0, "folds": 5, "semeval2021": "memes/"}, "train_minutes": 3.0,
            "train_articles": 301, "held_out_articles": 70, "extra_articles": 63}
    assert "on 301 PTC train articles and 63 more (SemEval-2021 Task 6 meme texts);" in _data_use(info)
    assert "and 63 more" not in _data_use({**info, "extra_articles": 0})
    assert _frozen({"layers": 4, "lora_rank": 8}).startswith(", only its bottom 4 layers kept, the encoder kept")


def test_the_card_gives_the_mean_over_folds_leading_with_the_default_reading(tmp_path):
    model = _fast_model_without_folds(tmp_path)
    folds = _folds(model, fold=3, refit=False, seed=7, precision="bf16")    # the same recipe, another run of it
    (model / "folds.json").write_text(json.dumps(folds))
    card = _card_from_figures(model, tmp_path)
    assert "each of 2 folds" in card and "(140 articles in all)" in card
    blinded, written = card.index("SI F1 0.400 (by fold 0.360 to 0.440)"), card.index("SI F1 0.450 (by fold 0.400 to 0.500)")
    assert blinded < written     # the shipped model reads names blinded by default, so that comes first
    assert "`propscope train --fold K`" in card and "`python benchmarks/folds.py runs/F0 runs/F1`" in card


def test_a_card_without_folds_says_nothing_of_them(tmp_path):
    model = _fast_model_without_folds(tmp_path)
    assert "One fold is a small sample" not in _card_from_figures(model, tmp_path)


@pytest.mark.parametrize("settings", [{"epochs": 8}, {"base": "all-MiniLM-L6-v2"}, {"layers": 0}, {"counterfactual": 0.0}])
def test_a_card_leaves_out_the_folds_of_another_recipe(settings, tmp_path):
    # a model retrained into a folder whose folds.json another recipe wrote
    model = _fast_model_without_folds(tmp_path)
    (model / "folds.json").write_text(json.dumps(_folds(model, **settings)))
    assert "One fold is a small sample" not in _card_from_figures(model, tmp_path)


def test_folds_recorded_before_a_setting_existed_hold_it_at_its_default(tmp_path):
    # the bundled model keeps 4 layers; folds whose settings predate --layers kept them all
    model = _fast_model_without_folds(tmp_path)
    folds = _folds(model)
    del folds["config"]["layers"]
    (model / "folds.json").write_text(json.dumps(folds))
    assert "One fold is a small sample" not in _card_from_figures(model, tmp_path)
    folds["config"]["layers"] = 4
    (model / "folds.json").write_text(json.dumps(folds))
    assert "One fold is a small sample" in _card_from_figures(model, tmp_path)


def test_a_card_leaves_out_folds_that_do_not_say_their_recipe(tmp_path):
    model = _fast_model_without_folds(tmp_path)
    folds = _folds(model)
    del folds["config"]
    (model / "folds.json").write_text(json.dumps(folds))
    assert "One fold is a small sample" not in _card_from_figures(model, tmp_path)


def test_the_card_of_a_model_trained_blind_offers_no_reading_as_written(tmp_path):
    model = _fast_model_without_folds(tmp_path)
    info = json.loads((model / "training.json").read_text())
    info["config"]["blind_names"] = True
    tuned = json.loads((model / "validation.json").read_text())
    write_card(model, info, {k: v for k, v in tuned.items() if k != "blind"}, "propscope train --blind-names")
    card = (model / "MODEL_CARD.md").read_text()
    assert "`--no-blind-names` does not apply to it" in card
    assert "## Reading names as written" not in card and "with `--no-blind-names`" not in card
    assert "Flag-Waving is often missed" in card


def test_the_shipped_combined_card_is_what_its_figures_make(tmp_path):
    from propscope.train.combine import write_card as write_combined_card
    for name in ("config.json", "validation.json", "training.json", "folds.json"):
        if (MODELS / "combined" / name).exists():
            shutil.copy(MODELS / "combined" / name, tmp_path / name)
    write_combined_card(tmp_path)
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert card == (MODELS / "combined" / "MODEL_CARD.md").read_text()
    assert "each of" in card or "One fold is a small sample: " in card     # the folds measured, or a caveat


def test_a_combined_card_quotes_only_folds_whose_techniques_were_read_its_way(tmp_path):
    from propscope.train.combine import write_card as write_combined_card
    for name in ("config.json", "validation.json", "training.json"):
        shutil.copy(MODELS / "combined" / name, tmp_path / name)
    config = json.loads((tmp_path / "training.json").read_text())["config"]
    assert config["techniques"] == "the members' weighted mean"
    folds = {**_folds(tmp_path), "config": shared_recipe(config)}
    (tmp_path / "folds.json").write_text(json.dumps(folds))
    write_combined_card(tmp_path)
    assert "each of 2 folds" in (tmp_path / "MODEL_CARD.md").read_text()
    # a member's recipe recorded before one of its settings existed (or since): that setting at its default
    training = json.loads((tmp_path / "training.json").read_text())
    for member in training["config"]["members"]:
        member["recipe"]["distinct_names"] = False
    (tmp_path / "training.json").write_text(json.dumps(training))
    for member in folds["config"]["members"]:
        member["recipe"].pop("distinct_names", None)
    (tmp_path / "folds.json").write_text(json.dumps(folds))
    write_combined_card(tmp_path)
    assert "each of 2 folds" in (tmp_path / "MODEL_CARD.md").read_text()
    for member in folds["config"]["members"]:
        member["recipe"]["distinct_names"] = True
    (tmp_path / "folds.json").write_text(json.dumps(folds))
    write_combined_card(tmp_path)
    assert "each of 2 folds" not in (tmp_path / "MODEL_CARD.md").read_text()
    # folds measured when the first member alone named techniques (no "techniques" then)
    folds["config"] = shared_recipe({k: v for k, v in config.items() if k != "techniques"})
    (tmp_path / "folds.json").write_text(json.dumps(folds))
    write_combined_card(tmp_path)
    card = (tmp_path / "MODEL_CARD.md").read_text()
    assert "each of 2 folds" not in card and "One fold is a small sample: " in card


def test_the_techniques_seldom_found_are_judged_as_the_table_shows_them():
    from propscope.train.card import known_limits, per_technique
    figures = {"tc_per_technique": {n: {"precision": 0.5, "recall": 0.5, "f1": 0.5, "gold": 10}
                                    for n in ("Slogans", "Doubt")},
               "span_technique_per_technique": {"Slogans": {"precision": 0.2, "recall": 0.148},
                                                "Doubt": {"precision": 0.2, "recall": 0.144}}}
    assert "| Slogans | 0.15 |" in per_technique(figures, True)
    limits = known_limits(figures, 70)          # as reports say "often missed": below 0.15 as shown
    assert "Doubt" in limits and "Slogans" not in limits and "found below 0.15" in limits

"""`propscope combine`: two models read together, tuned on articles neither trained on, then used."""

import json
import os
import subprocess
import sys

import pytest

from conftest import write_split
from propscope.model.detector import BUNDLED
from propscope.techniques import NAMES

pytestmark = pytest.mark.model

SENTENCES = [
    ("The corrupt elites betrayed every hard-working patriot.", "corrupt elites", "Name_Calling,Labeling"),
    ("This is the worst disaster in the history of the world.", "worst disaster in the history of the world",
     "Exaggeration,Minimisation"),
    ("Our brave patriots will never surrender to these traitors.", "these traitors", "Name_Calling,Labeling"),
    ("The council met on Tuesday to discuss the budget.", None, None),
]
IDS = [str(2000 + i) for i in range(8)]


def run(*args, env=None):
    return subprocess.run([sys.executable, "-m", "propscope", *args], capture_output=True, text=True,
                          timeout=600, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    return write_split(tmp_path_factory.mktemp("data") / "ptc", IDS, SENTENCES, "A Nation Betrayed", 5)


def held_out_copy(name: str, folder):
    """The bundled model, as if trained with the fixture articles held out (its files linked, not copied)."""
    folder.mkdir()
    for f in BUNDLED[name].iterdir():
        if f.name != "training.json":
            (folder / f.name).symlink_to(f)
    info = json.loads((BUNDLED[name] / "training.json").read_text())
    (folder / "training.json").write_text(json.dumps({**info, "held_out_ids": IDS}))
    return folder


@pytest.fixture(scope="module")
def twins(tmp_path_factory):
    root = tmp_path_factory.mktemp("twins")
    return held_out_copy("fast", root / "fast"), held_out_copy("large", root / "large")


@pytest.fixture(scope="module")
def combined(split, twins, tmp_path_factory):
    out = tmp_path_factory.mktemp("combined") / "model"
    r = run("combine", str(twins[0]), str(twins[1]), "--weights", "1,2", "--data", str(split), "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert "tuning on 8 articles no member trained on" in r.stderr
    return out


def test_combine_writes_members_settings_figures_and_card(combined, twins):
    config = json.loads((combined / "config.json").read_text())
    assert [(combined / m["model"]).resolve() for m in config["members"]] == [t.resolve() for t in twins]
    assert [m["weight"] for m in config["members"]] == [1, 2]
    assert config["version"].startswith("combined(") and "*2" in config["version"]
    for reading in (config, config["blind"]):
        assert 0 < reading["low_threshold"] <= reading["threshold"] < 1 and reading["calibration"]["coef"]
    figures = json.loads((combined / "validation.json").read_text())
    assert figures["held_out_articles"] == len(IDS)
    assert 0 <= figures["cross_fitted"]["si_f1"] <= 1 and "blind" in figures
    training = json.loads((combined / "training.json").read_text())     # for benchmarks/folds.py
    fast = json.loads((BUNDLED["fast"] / "training.json").read_text())["config"]
    assert training["config"]["fold"] == fast["fold"] and training["version"] == config["version"]
    assert [m["weight"] for m in training["config"]["members"]] == [1, 2]
    assert training["config"]["members"][0]["recipe"]["layers"] == fast["layers"]
    assert "fold" not in training["config"]["members"][1]["recipe"]
    card = (combined / "MODEL_CARD.md").read_text()
    assert "weight 2" in card and "SI F1" in card and "propscope combine" in card


def test_a_combined_model_is_used_like_any_model(combined, split):
    env = {"PROPSCOPE_MODEL_DIR": str(combined)}
    r = run("detect", "--format", "semeval", str(split / "articles"), env=env)
    assert r.returncode == 0, r.stderr
    rows = [line.split("\t") for line in r.stdout.splitlines()]
    assert rows and {row[0] for row in rows} <= set(IDS) and {row[1] for row in rows} <= set(NAMES)
    r = run("analyze", "--format", "json", str(split / "articles" / f"article{IDS[0]}.txt"), env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["model"].startswith("combined(")
    r = run("model", env=env)
    assert r.returncode == 0 and r.stdout.startswith("# propscope combined model")


def test_bundled_models_are_tuned_through_their_twins(split, twins, tmp_path):
    out = tmp_path / "model"
    r = run("combine", "fast", "large", "--twin", str(twins[0]), "--twin", str(twins[1]),
            "--data", str(split), "--out", str(out))
    assert r.returncode == 0, r.stderr
    config = json.loads((out / "config.json").read_text())
    assert [m["model"] for m in config["members"]] == ["fast", "large"]
    assert "Tuned and scored with twins in their place" in (out / "MODEL_CARD.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["fast"], "two models or more"),
    (["fast", "no-such-model"], "neither a bundled model"),
    (["fast", "large", "--weights", "1"], "one weight per model"),
    (["fast", "large", "--weights", "0,1"], "the first above 0"),
    (["fast", "large", "--weights", "1,x"], "numbers separated by commas"),
    (["fast", "large", "--weights", "nan,1"], "each a number"),
    (["fast", "large"], "no article of"),            # the bundled fast model trained on every article
    (["fast", "combined"], "is a combined model"),
])
def test_bad_combinations_are_refused_with_a_clear_message(args, message, split, tmp_path):
    r = run("combine", *args, "--data", str(split), "--out", str(tmp_path / "out"))
    assert r.returncode != 0 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "out").exists()


def test_an_out_folder_under_a_file_is_refused_before_any_tuning(split, tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    r = run("combine", "fast", "large", "--data", str(split), "--out", str(tmp_path / "afile" / "c"))
    assert r.returncode == 2 and r.stderr == f"propscope: {tmp_path / 'afile' / 'c'}: cannot write (not a folder)\n"


def test_a_folder_holding_a_trained_model_is_not_written_over(split, twins, tmp_path):
    taken = tmp_path / "model"
    taken.mkdir()
    (taken / "config.json").write_text(before := (BUNDLED["fast"] / "config.json").read_text())
    r = run("combine", str(twins[0]), str(twins[1]), "--data", str(split), "--out", str(taken))
    assert r.returncode != 0 and "a folder of its own" in r.stderr and "Traceback" not in r.stderr
    assert (taken / "config.json").read_text() == before and sorted(p.name for p in taken.iterdir()) == ["config.json"]


def test_combining_again_into_the_same_folder_replaces_the_combined_model(split, twins, tmp_path):
    out = tmp_path / "model"
    for members in (twins, twins[::-1]):
        r = run("combine", *map(str, members), "--data", str(split), "--out", str(out))
        assert r.returncode == 0, r.stderr
        config = json.loads((out / "config.json").read_text())
        assert (out / config["members"][0]["model"]).resolve() == members[0].resolve()


def test_the_card_says_which_members_read_names_blinded_whatever_the_reading(combined):
    config = json.loads((combined / "config.json").read_text())
    card = (combined / "MODEL_CARD.md").read_text()
    marked = [line for line in card.splitlines() if "reads names blinded in either reading" in line]
    assert len(marked) == 1 and config["members"][1]["model"] in marked[0]     # large: trained blind
    assert card.index("Names blinded (the default)") < card.index("Names as written")

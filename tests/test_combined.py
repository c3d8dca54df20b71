"""Models read together: averaged tag probabilities on the first model's tokens, averaged techniques."""

import json
import shutil

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from propscope.errors import ModelError
from propscope.model.combined import Combined, projected
from propscope.model.detector import BUNDLED, Detector, load, trained_blind
from propscope.techniques import NAMES

pytestmark = pytest.mark.model

TEXT = ("Freedom Under Siege\n\n"
        "The radical mob and their media puppets want to tear down everything this great country stands for.\n"
        "Only a fool would believe the lies of these shameless crooks.\n")


def combined_folder(path, weights, settings_of="fast"):
    """A combined model of the bundled fast and large models, with ``settings_of``'s decoding settings."""
    config = json.loads((BUNDLED[settings_of] / "config.json").read_text())
    keep = ("threshold", "low_threshold", "gap", "second_threshold", "calibration", "blind", "sensitive", "version")
    path.mkdir(exist_ok=True)
    (path / "config.json").write_text(json.dumps(
        {"members": [{"model": "fast", "weight": weights[0]}, {"model": "large", "weight": weights[1]}],
         **{k: config[k] for k in keep if k in config}}))
    return path


@pytest.fixture(scope="module")
def members():
    return Detector(BUNDLED["fast"], blind_names=False), Detector(BUNDLED["large"], blind_names=False)


def test_a_combined_folder_loads_as_a_combined_model(tmp_path):
    det = load(combined_folder(tmp_path, (1, 1)), blind_names=False)
    assert isinstance(det, Combined) and [m.folder for m in det.members] == [BUNDLED["fast"], BUNDLED["large"]]
    assert not isinstance(load(BUNDLED["fast"]), Combined)


def test_tag_probabilities_are_the_weighted_mean_on_the_first_models_tokens(members, tmp_path):
    fast, large = members
    det = Combined(combined_folder(tmp_path, (1, 3)), blind_names=False)
    tokens, probs, kept = det.encode(TEXT, keep=lambda _, p: (1.0 - p[:, 0]) >= 0.3)
    f_tokens, f_probs, _ = fast.encode(TEXT)
    l_tokens, l_probs, _ = large.encode(TEXT)
    assert np.array_equal(tokens.offsets, f_tokens.offsets)
    # large was trained on blinded names: it reads "Freedom Under Siege" as one placeholder token
    assert len(l_tokens.offsets) < len(f_tokens.offsets)
    moved, hit = projected(f_tokens.offsets, l_tokens.offsets, l_probs)
    assert hit.all()
    np.testing.assert_allclose(probs, (f_probs + 3 * moved) / 4, atol=1e-6)
    # the first model's states, kept where the mean (not its own probabilities) reaches the level
    assert set(kept) == set(np.nonzero((1.0 - probs[:, 0]) >= 0.3)[0].tolist())
    _, _, f_kept = fast.encode(TEXT, keep=lambda _, p: np.ones(len(p), bool))
    i = next(iter(kept))
    np.testing.assert_allclose(kept[i], f_kept[i], atol=1e-6)


def test_techniques_are_the_weighted_mean_of_the_members_span_heads(members, tmp_path):
    fast, large = members
    det = Combined(combined_folder(tmp_path, (1, 3)), blind_names=False)
    spans = [(s.start, s.end) for s in fast.detect(TEXT)]
    spans += [(TEXT.index("Freedom"), TEXT.index("Under")), (TEXT.index("shameless"), TEXT.index(" crooks"))]
    # large reads "Freedom Under Siege" as one placeholder: its head reads that token for "Freedom"
    mean = (fast.rank(TEXT, spans) + 3 * large.rank(TEXT, spans)) / 4
    np.testing.assert_allclose(det.rank(TEXT, spans), mean, atol=1e-5)
    assert not np.allclose(mean, fast.rank(TEXT, spans), atol=1e-3)
    # detected fragments are named from the mean as well
    found = det.detect(TEXT)
    where = [(s.start, s.end) for s in found]
    likely = {(start, end, NAMES[k]) for (start, end), p in zip(where, det.rank(TEXT, where)) for k in np.argsort(-p)[:2]}
    assert found and {(s.start, s.end, s.technique) for s in found} <= likely


def test_a_member_weighted_zero_changes_nothing(members, tmp_path):
    fast, _ = members
    det = Combined(combined_folder(tmp_path, (1, 0)), blind_names=False)
    assert det.detect(TEXT, "1") == fast.detect(TEXT, "1") != []
    spans = [(s.start, s.end) for s in fast.detect(TEXT)]
    np.testing.assert_array_equal(det.rank(TEXT, spans), fast.rank(TEXT, spans))   # techniques: the first's


def test_reading_names_blinded_uses_the_blinded_settings(tmp_path):
    folder = combined_folder(tmp_path, (1, 1))
    blind, written = Combined(folder, blind_names=True), Combined(folder, blind_names=False)
    assert blind.version.endswith("+blind-names") and not written.version.endswith("+blind-names")
    assert blind.threshold == json.loads((folder / "config.json").read_text())["blind"]["threshold"]


def test_a_combined_model_reads_names_as_its_first_member_was_trained_to(tmp_path):
    shutil.copytree(BUNDLED["fast"], tmp_path / "blind")
    config = json.loads((tmp_path / "blind" / "config.json").read_text())
    (tmp_path / "blind" / "config.json").write_text(json.dumps({**config, "blind_names": True}))
    for lead, other, expected in (("../blind", "fast", True), ("fast", "../blind", False)):
        folder = tmp_path / f"combined-{expected}"
        folder.mkdir()
        (folder / "config.json").write_text(json.dumps({"members": [{"model": lead}, {"model": other}]}))
        assert trained_blind(folder) is expected
    assert trained_blind(tmp_path / "blind") and not trained_blind(BUNDLED["fast"])
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "config.json").write_text(json.dumps({"members": []}))
    with pytest.raises(ModelError, match="broken"):
        trained_blind(tmp_path / "broken")


@pytest.mark.parametrize("members", [[], [{"model": "fast"}], [{"model": "fast", "weight": 0}, {"model": "large"}],
                                     [{"model": "fast"}, {"model": "no-such-model"}]])
def test_a_broken_combined_folder_is_refused_by_name(members, tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"members": members, "threshold": 0.5}))
    with pytest.raises(ModelError, match=str(tmp_path.name)):
        Combined(tmp_path)


@given(st.lists(st.integers(1, 5), min_size=1, max_size=12), st.integers(0, 3))
def test_projection_gives_each_token_the_mean_of_the_tokens_sharing_its_characters(lengths, merge):
    ends = np.cumsum(lengths)
    fine = np.stack([ends - lengths, ends], 1)
    probs = np.random.default_rng(len(lengths)).dirichlet(np.ones(3), len(fine)).astype(np.float32)
    same, hit = projected(fine, fine, probs)
    assert same is probs and hit.all()
    # a coarser tokenisation: runs of up to merge + 1 fine tokens as one
    groups = [list(range(i, min(i + merge + 1, len(fine)))) for i in range(0, len(fine), merge + 1)]
    coarse = np.array([[fine[g[0]][0], fine[g[-1]][1]] for g in groups])
    onto_coarse, hit = projected(coarse, fine, probs)
    assert hit.all()
    np.testing.assert_allclose(onto_coarse, [probs[g].mean(0) for g in groups], atol=1e-6)
    onto_fine, hit = projected(fine, coarse, onto_coarse)
    assert hit.all()
    np.testing.assert_allclose(onto_fine, onto_coarse[[k for k, g in enumerate(groups) for _ in g]], atol=1e-6)
    shifted, hit = projected(fine + int(ends[-1]), fine, probs)      # no characters in common
    assert not hit.any()

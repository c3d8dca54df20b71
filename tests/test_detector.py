"""The shipped model: it loads, covers long articles whole, and gives sane spans and probabilities."""

import numpy as np
import pytest

from propscope.model.detector import Detector
from propscope.model.windows import tokenize
from propscope.techniques import NAMES

pytestmark = pytest.mark.model

TEXT = ("Freedom Under Siege\n\n"
        "The radical mob and their media puppets want to tear down everything this great country stands for.\n"
        "Only a fool would believe the lies of these shameless crooks.\n"
        "If we do nothing, our cities will burn and our families will never be safe again.\n")


@pytest.fixture(scope="module")
def det():
    return Detector()


def test_loads_with_config_and_card(det):
    assert det.window > det.stride > 0
    assert 0 < det.threshold < 1
    assert (det.folder / "MODEL_CARD.md").exists()
    assert det.config["techniques"] == list(NAMES)


def test_detects_spans_on_loaded_text(det):
    spans = det.detect(TEXT, "7")
    assert spans, "no spans on a text full of loaded language and name calling"
    for s in spans:
        assert s.article_id == "7" and s.technique in NAMES
        assert 0 <= s.start < s.end <= len(TEXT) and 0.0 <= s.confidence <= 1.0
        assert TEXT[s.start].strip() and TEXT[s.end - 1] not in " .,;:\n"
    assert spans == sorted(spans)


def test_long_article_is_covered_whole(det):
    text = TEXT * 40                       # many windows
    tokens, probs, _ = det.encode(text)
    assert len(tokens.ids) > 4 * det.window
    assert np.all(probs[:, 0] < 1.0), "some token was never read from any window"
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-4)
    spans = det.detect(text)
    assert max(s.end for s in spans) > len(text) - len(TEXT), "nothing found in the last copy"


def test_same_text_same_spans_across_window_positions(det):
    text = TEXT * 12
    spans = det.detect(text)
    per_copy = [sorted((s.start - i * len(TEXT), s.end - i * len(TEXT), s.technique) for s in spans
                       if i * len(TEXT) <= s.start < (i + 1) * len(TEXT)) for i in range(12)]
    # copies sit at different places in the windows; most of them must read the same way
    agree = sum(c == per_copy[5] for c in per_copy)
    assert agree >= 6


def test_rank_gives_distributions(det):
    probs = det.rank(TEXT, [(21, 41), (125, 143), (0, 7)])
    assert probs.shape == (3, len(NAMES))
    np.testing.assert_allclose(probs.sum(1), 1.0, atol=1e-4)


def test_bom_offsets_survive(det):
    text = "\ufeff" + TEXT
    spans = det.detect(text)
    shifted = {(s.start - 1, s.end - 1, s.technique) for s in spans}
    plain = {(s.start, s.end, s.technique) for s in det.detect(TEXT)}
    assert len(shifted & plain) >= 0.8 * max(len(plain), 1)
    assert tokenize(det.tokenizer, text).offsets[0, 0] >= 1


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028"])
def test_lines_however_they_are_broken_read_as_line_feeds(det, newline):
    text = TEXT.replace("\n", newline)
    assert len(text) == len(TEXT) + (len(newline) - 1) * TEXT.count("\n")
    fragments = lambda t, spans: [(t[s.start:s.end].replace(newline, "\n"), s.technique) for s in spans]  # noqa: E731
    assert fragments(text, det.detect(text)) == fragments(TEXT, det.detect(TEXT))
    [(start, end)] = [(s.start, s.end) for s in det.detect(TEXT)[:1]]
    moved = TEXT[:start].count("\n") * (len(newline) - 1)
    assert det.rank(text, [(start + moved, end + moved)]).argmax() == det.rank(TEXT, [(start, end)]).argmax()


def test_detect_many_equals_one_by_one(det):
    texts = [TEXT, "", TEXT * 3, "Short calm note.\n", "\ufeff" + TEXT]
    many = list(det.detect_many((str(i), t) for i, t in enumerate(texts)))
    assert [aid for aid, _ in many] == [str(i) for i in range(len(texts))]
    for (aid, spans), text in zip(many, texts):
        assert spans == det.detect(text, aid)          # exactly: an article's result is its own


def test_result_does_not_depend_on_neighbouring_articles(det):
    other = "A calm report on the weather, the harvest and the local football results.\n" * 40
    alone = det.detect(TEXT, "a")
    for order in ([other, TEXT], [TEXT, other, other[::-1]]):
        found = dict(det.detect_many((str(i) if t != TEXT else "a", t) for i, t in enumerate(order)))
        assert found["a"] == alone



def test_lines_are_read_on_their_own():
    """With windows within lines, editing one line leaves every other line's probabilities as
    they were; with windows across lines, the edit reaches the rest of the article."""
    edited = TEXT.replace("The radical mob and their media puppets", "The Chinese government and its state media")
    keep_from = TEXT.index("Only a fool")
    shift = len(edited) - len(TEXT)
    for lines in (True, False):
        det = Detector()
        det.lines = lines
        (ta, pa, _), (tb, pb, _) = det.encode(TEXT), det.encode(edited)
        a, b = ta.offsets[:, 0] >= keep_from, tb.offsets[:, 0] >= keep_from + shift
        np.testing.assert_array_equal(ta.offsets[a] + shift, tb.offsets[b])
        assert np.array_equal(pa[a], pb[b]) == lines


@pytest.mark.parametrize("blind", ["1", "0"])
def test_current_version_names_the_reading_without_loading(blind, monkeypatch):
    from propscope.model.detector import current_version
    monkeypatch.setenv("PROPSCOPE_BLIND_NAMES", blind)
    det = Detector()
    assert current_version() == det.version
    assert det.version.endswith("+blind-names") == (blind == "1")


@pytest.mark.parametrize("model", ["fast", "large", "combined"])
def test_the_model_setting_chooses_a_bundled_model(model, monkeypatch):
    from propscope.model.detector import BUNDLED, current_version, load
    monkeypatch.setenv("PROPSCOPE_MODEL", model)
    det = load()
    assert det.folder == BUNDLED[model] and current_version() == det.version
    for part in getattr(det, "members", [det]):        # a combined model: its members' files
        assert (part.folder / "encoder.onnx").stat().st_size <= 30_000_000     # what git holds
    spans = det.detect(TEXT, "7")
    assert spans and all(s.technique in NAMES and 0 <= s.start < s.end <= len(TEXT) for s in spans)


def test_the_large_model_is_another_model_and_is_assembled_from_its_base_package():
    from propscope.model import frozen
    from propscope.model.detector import BUNDLED
    large, fast = Detector(BUNDLED["large"]), Detector(BUNDLED["fast"])
    assert large.config["base"] == "all-mpnet-base-v2" and large.version != fast.version
    assert (BUNDLED["large"] / frozen.MANIFEST).exists() and not (BUNDLED["large"] / "frozen.bin").exists()
    assert frozen.encoder_path(BUNDLED["large"]).parent.name != BUNDLED["large"].name


@pytest.mark.parametrize("model", ["fast", "large", "combined"])
def test_each_bundled_models_sensitive_setting_is_nowhere_stricter_than_its_default(model):
    import json
    from propscope.model.detector import BUNDLED
    config = json.loads((BUNDLED[model] / "config.json").read_text())
    for reading in (config, config.get("blind")):
        if reading:          # --sensitive finds at least what the default finds
            sens = reading["sensitive"]
            assert sens["threshold"] <= reading["threshold"] and sens["low_threshold"] <= reading["low_threshold"]
            assert sens["gap"] >= reading["gap"]


def test_the_bundled_models_read_names_blinded_as_they_were_tuned_or_trained():
    from propscope.model import names
    from propscope.model.detector import BUNDLED
    fast, large = Detector(BUNDLED["fast"], blind_names=True), Detector(BUNDLED["large"])
    text = "Moscow blames Kyiv, and Kyiv blames Moscow."
    # the fast model (trained on names as written) keeps distinct names distinct; the large one
    # (trained with every name one placeholder) reads them as it was trained
    assert fast.placeholders == names.DISTINCT and fast.reading(text).text == "Alpha blames Beta, and Beta blames Alpha."
    assert large.placeholders == (names.PLACEHOLDER,) and large.reading(text).text == "X blames X, and X blames X."
    assert Detector(BUNDLED["fast"], blind_names=False).reading(text).text == text


def test_an_unknown_model_is_refused_by_name(monkeypatch):
    from propscope.errors import PropscopeError
    monkeypatch.setenv("PROPSCOPE_MODEL", "huge")
    with pytest.raises(PropscopeError, match="fast, large, combined"):
        Detector()

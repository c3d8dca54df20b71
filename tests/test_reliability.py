"""Per-technique reliability in words, from validation figures."""

from propscope.reliability import Reliability, from_validation


def test_words_follow_the_figures():
    assert Reliability("x", 0.6, 0.5).found == "often found" and Reliability("x", 0.6, 0.5).right == "usually right"
    weak = Reliability("x", 0.1, 0.05)
    assert weak.found == "often missed" and weak.right == "rarely right"
    assert "5% of these fragments' text" in weak.summary and "10% of what it marked so" in weak.summary


def test_words_follow_the_figures_as_they_are_shown():
    edge = Reliability("x", 0.199, 0.1496)       # shown as 20% and 15%
    assert "20% of what it marked" in edge.summary and edge.right == "sometimes right"
    assert edge.found == "sometimes found"


def test_from_validation_reads_span_technique_figures():
    rel = from_validation({"span_technique_per_technique": {"Slogans": {"precision": 0.25, "recall": 0.2, "f1": 0.22}}})
    assert rel["Slogans"].right == "sometimes right" and rel["Slogans"].found == "sometimes found"
    assert from_validation({}) == {}


def test_to_dict_carries_the_words_and_the_figures_they_come_from():
    d = Reliability("x", 0.25, 0.2).to_dict()
    assert (d["found"], d["right"]) == ("sometimes found", "sometimes right")
    assert (d["precision"], d["recall"]) == (0.25, 0.2) and abs(d["f1"] - 2 * 0.05 / 0.45) < 1e-12
    assert d["summary"].startswith("sometimes found, sometimes right") and Reliability("x", 0, 0).f1 == 0.0


def test_a_technique_never_found_is_said_so_not_zero_percent_right():
    from propscope.reliability import Reliability
    r = Reliability("Bandwagon,Reductio_ad_hitlerum", 0.0, 0.0)
    assert r.summary == "often missed, rarely right (on held-out articles it found none of these fragments)"

import pytest

import propscope
from propscope.spans import Span
from propscope.techniques import NAMES

pytestmark = pytest.mark.model

TEXT = ("The corrupt elites have betrayed every patriot in this great nation.\n"
        "These traitors will destroy everything unless we stop them now!\n")


def test_analyze_returns_analysis_owning_text():
    a = propscope.analyze(TEXT, article_id="1", source="x.txt")
    assert a.text == TEXT and a.source == "x.txt" and a.model
    assert all(s.article_id == "1" for s in a.spans)
    assert sum(a.counts.values()) == len(a.spans)
    assert 0 <= a.coverage <= 1


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_empty_text_has_no_spans(text):
    assert propscope.analyze(text).spans == ()


def test_threshold_and_technique_filters():
    a = propscope.analyze(TEXT)
    high = propscope.analyze(TEXT, threshold=0.5)
    assert set(high.spans) <= set(a.spans) and all(s.confidence >= 0.5 for s in high.spans)
    only = propscope.analyze(TEXT, techniques=["Loaded_Language"])
    assert all(s.technique == "Loaded_Language" for s in only.spans)


def test_classify_keeps_order_and_ranks_repeats():
    given = [Span("1", 4, 18, "?"), Span("1", 38, 45, "?"), Span("1", 4, 18, "?"), Span("1", 4, 18, "?")]
    out = propscope.classify(TEXT, given)
    assert [(s.start, s.end) for s in out] == [(s.start, s.end) for s in given]
    assert all(s.technique in NAMES for s in out)
    assert len({out[0].technique, out[2].technique, out[3].technique}) == 3

"""Tests for the Span type, interval merging and the Analysis container."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propscope.errors import InputError
from propscope.spans import Analysis, Span, merge_intervals, two_places

LL = "Loaded_Language"
NC = "Name_Calling,Labeling"
DB = "Doubt"


# ---------------------------------------------------------------- Span

@pytest.mark.parametrize("start,end", [(5, 5), (6, 5), (-1, 3), (-3, -1), (0, 0)])
def test_span_rejects_bad_offsets(start, end):
    with pytest.raises(ValueError, match="bad span offsets"):
        Span("1", start, end, LL)


def test_span_accepts_minimal_span_and_length():
    s = Span("1", 0, 1, LL)
    assert s.length == 1
    assert Span("1", 3, 10, LL).length == 7
    assert s.confidence == 1.0


def test_span_is_frozen():
    s = Span("1", 0, 4, LL)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.start = 2  # type: ignore[misc]


def test_span_ordering_article_then_offsets_then_technique():
    spans = [Span("2", 0, 3, LL), Span("1", 5, 9, LL), Span("1", 5, 7, NC),
             Span("1", 0, 10, NC), Span("1", 5, 7, DB)]
    assert sorted(spans) == [Span("1", 0, 10, NC), Span("1", 5, 7, DB), Span("1", 5, 7, NC),
                             Span("1", 5, 9, LL), Span("2", 0, 3, LL)]
    assert Span("1", 1, 2, LL) < Span("1", 2, 3, LL)
    assert Span("10", 0, 1, LL) < Span("9", 0, 1, LL)   # ids compare as strings


@pytest.mark.parametrize("a,b,expected", [
    ((0, 10), (5, 15), 5),
    ((0, 10), (10, 20), 0),     # touching: no shared character
    ((0, 10), (12, 20), 0),     # apart
    ((0, 10), (2, 4), 2),       # nested
    ((3, 7), (3, 7), 4),        # identical
])
def test_overlap(a, b, expected):
    x, y = Span("1", *a, LL), Span("1", *b, NC)
    assert x.overlap(y) == expected
    assert y.overlap(x) == expected


def test_with_technique_keeps_or_replaces_confidence():
    s = Span("7", 2, 9, LL, 0.4)
    t = s.with_technique(NC)
    assert (t.technique, t.confidence, t.start, t.end, t.article_id) == (NC, 0.4, 2, 9, "7")
    assert s.with_technique(DB, 0.9).confidence == 0.9
    assert s.technique == LL   # original untouched


# ---------------------------------------------------------------- merge_intervals

def test_merge_empty():
    assert merge_intervals([]) == []


def test_merge_touching_intervals_join():
    assert merge_intervals([(0, 5), (5, 9)]) == [(0, 9)]


def test_merge_gap_of_one_stays_apart():
    assert merge_intervals([(0, 5), (6, 9)]) == [(0, 5), (6, 9)]


def test_merge_nested():
    assert merge_intervals([(0, 20), (3, 5), (7, 19)]) == [(0, 20)]


def test_merge_unsorted_input():
    assert merge_intervals([(30, 40), (0, 5), (35, 50), (4, 8), (60, 61)]) == [(0, 8), (30, 50), (60, 61)]


def test_merge_accepts_a_generator():
    assert merge_intervals((s, s + 2) for s in (4, 0, 2)) == [(0, 6)]


intervals = st.lists(st.tuples(st.integers(0, 60), st.integers(1, 15)).map(lambda t: (t[0], t[0] + t[1])),
                     max_size=15)


@settings(max_examples=100, deadline=None)
@given(intervals)
def test_merge_property(ivs):
    merged = merge_intervals(ivs)
    # sorted, disjoint and not touching (touching ones would have been joined)
    for (s1, e1), (s2, e2) in zip(merged, merged[1:]):
        assert e1 < s2
    assert all(s < e for s, e in merged)
    # covers exactly the union of the input characters
    union = {c for s, e in ivs for c in range(s, e)}
    covered = {c for s, e in merged for c in range(s, e)}
    assert covered == union
    # idempotent and order independent
    assert merge_intervals(merged) == merged
    assert merge_intervals(list(reversed(ivs))) == merged


# ---------------------------------------------------------------- Analysis

TEXT = "The traitors lied. Everyone knows the traitors lied again."


def spans():
    return (Span("a", 4, 12, NC, 0.9),     # traitors
            Span("a", 4, 17, LL, 0.3),     # traitors lied
            Span("a", 19, 33, DB, 0.6),    # Everyone knows
            Span("a", 38, 46, NC, 0.7))    # traitors


def test_fragment():
    a = Analysis(TEXT, spans(), "a")
    assert [a.fragment(s) for s in a.spans] == ["traitors", "traitors lied", "Everyone knows", "traitors"]


def test_counts_most_frequent_first():
    counts = Analysis(TEXT, spans()).counts
    assert counts == {NC: 2, LL: 1, DB: 1}
    assert next(iter(counts)) == NC
    assert Analysis(TEXT).counts == {}


def test_coverage_counts_overlapping_spans_once():
    a = Analysis(TEXT, spans())
    # union: [4,17) + [19,33) + [38,46) = 13 + 14 + 8
    assert a.coverage == pytest.approx(35 / len(TEXT))


def test_coverage_edge_cases():
    assert Analysis("").coverage == 0.0
    assert Analysis("abc").coverage == 0.0
    assert Analysis("abcd", (Span("x", 0, 4, LL), Span("x", 1, 3, NC))).coverage == 1.0


def test_filtered_by_threshold():
    a = Analysis(TEXT, spans(), "a", model="m")
    kept = a.filtered(0.6)
    assert [s.confidence for s in kept.spans] == [0.9, 0.6, 0.7]   # >= threshold kept
    assert kept.text == TEXT and kept.article_id == "a" and kept.model == "m"
    assert len(a.spans) == 4                                      # original unchanged


def test_filtered_by_techniques():
    a = Analysis(TEXT, spans())
    assert {s.technique for s in a.filtered(techniques=[NC]).spans} == {NC}
    assert len(a.filtered(techniques=[NC]).spans) == 2
    assert a.filtered(techniques=[]).spans == ()
    assert a.filtered().spans == a.spans
    both = a.filtered(0.8, {NC, DB})
    assert both.spans == (Span("a", 4, 12, NC, 0.9),)


def test_filtered_accepts_a_generator_of_techniques():
    a = Analysis(TEXT, spans())
    assert len(a.filtered(techniques=(t for t in [DB, LL])).spans) == 2


def test_filtered_reads_techniques_and_thresholds_as_analyze_does():
    a = Analysis(TEXT, spans())
    assert a.filtered(techniques=NC) == a.filtered(techniques=[NC])          # one name, not its letters
    assert a.filtered(techniques=["name calling or labelling"]) == a.filtered(techniques=[NC])
    for bad in (["Nope"], "Nope"):
        with pytest.raises(InputError, match="unknown technique 'Nope'"):
            a.filtered(techniques=bad)
    for bad in (5, -0.1, None, float("nan"), True):
        with pytest.raises(InputError, match="give a confidence from 0 to 1"):
            a.filtered(bad)


def test_the_json_form_is_the_commands():
    import json
    from propscope.render.json import dumps
    a = Analysis(TEXT, spans(), "a", model="m").filtered(0.6)
    assert a.to_json() == dumps(a) and json.loads(a.to_json()) == a.to_dict()
    assert a.to_dict()["filter"] == {"threshold": 0.6, "techniques": None}


def test_span_past_text_end_raises():
    with pytest.raises(ValueError, match="outside a text of 5 characters"):
        Analysis("short", (Span("a", 2, 6, LL),))


def test_span_ending_exactly_at_text_end_is_fine():
    a = Analysis("short", (Span("a", 0, 5, LL),))
    assert a.fragment(a.spans[0]) == "short"


@pytest.mark.parametrize("start,end", [(0.5, 2.5), (True, 3), (0, 2.0)])
def test_span_offsets_are_whole_numbers(start, end):
    with pytest.raises(ValueError, match="bad span offsets"):
        Span("1", start, end, LL)


@pytest.mark.parametrize("confidence", [7.0, -0.1, float("nan")])
def test_span_confidence_is_a_probability(confidence):
    with pytest.raises(ValueError, match="bad span confidence"):
        Span("1", 0, 3, LL, confidence)


def test_a_filtered_analysis_says_what_it_was_kept_by_and_filters_only_narrow():
    a = Analysis(TEXT, spans())
    assert (a.threshold, a.techniques) == (0.0, None)
    once = a.filtered(0.5, [NC, LL])
    assert (once.threshold, once.techniques) == (0.5, (LL, NC))        # in the catalogue's order
    twice = once.filtered(0.2, [NC, DB])                               # nothing comes back
    assert (twice.threshold, twice.techniques) == (0.5, (NC,))
    assert twice.spans == (Span("a", 4, 12, NC, 0.9), Span("a", 38, 46, NC, 0.7))


def test_a_threshold_is_said_as_given():
    from propscope.spans import threshold_text
    assert [threshold_text(t) for t in (0, 0.3, 0.135, 0.00001, 1e-7, 1.0)] == [
        "0.00", "0.30", "0.135", "0.00001", "0.0000001", "1.00"]


def test_a_confidence_is_shown_rounded_down_so_a_threshold_never_hides_what_it_shows():
    assert [two_places(c) for c in (0.1382, 0.143, 0.29, 0.57, 0.9999, 1.0, 0.0)] == [
        "0.13", "0.14", "0.29", "0.57", "0.99", "1.00", "0.00"]

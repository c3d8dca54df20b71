"""Tests for the SemEval-2020 Task 11 measures."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propscope.scoring import (Scores, correct_flags, format_table, read_semeval, si_scores,
                               span_technique_scores, tc_scores)
from propscope.spans import Span

A = "Loaded_Language"
B = "Name_Calling,Labeling"


def sp(start: int, end: int, technique: str = A, article: str = "1") -> Span:
    return Span(article, start, end, technique)


# ---------------------------------------------------------------- hand-computed

def test_si_half_overlap():
    s = si_scores([sp(0, 10)], [sp(5, 15)])
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(0.5)
    assert (s.n_pred, s.n_gold) == (1, 1)


def test_si_asymmetric():
    # pred 0-10 inside gold 0-20: P = 1, R = 10/20
    s = si_scores([sp(0, 10)], [sp(0, 20)])
    assert s.precision == pytest.approx(1.0)
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(2 / 3)


def test_si_multiple_gold_per_pred():
    # pred 0-20 covers gold 0-5 and 15-20: P = (5+5)/20, R = (1 + 1)/2
    s = si_scores([sp(0, 20)], [sp(0, 5), sp(15, 20)])
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(1.0)


def test_si_articles_never_pair():
    s = si_scores([sp(0, 10, article="1")], [sp(0, 10, article="2")])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)


def test_si_articles_pair_within_each():
    pred = [sp(0, 10, article="1"), sp(0, 10, article="2")]
    gold = [sp(0, 10, article="1"), sp(20, 30, article="2")]
    s = si_scores(pred, gold)
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(0.5)


def test_si_merges_overlapping_predictions():
    # 0-10 and 5-15 merge into 0-15; without merging P would be 1.0 on both
    s = si_scores([sp(0, 10), sp(5, 15, B)], [sp(0, 15)])
    assert s.n_pred == 1
    assert s.precision == pytest.approx(1.0)
    assert s.recall == pytest.approx(1.0)


def test_si_merges_gold_and_ignores_techniques():
    s = si_scores([sp(0, 20, B)], [sp(0, 12, A), sp(8, 20, B)])
    assert s.n_gold == 1
    assert s.f1 == pytest.approx(1.0)


def test_span_technique_different_techniques_do_not_count():
    s = span_technique_scores([sp(0, 10, A)], [sp(0, 10, B)])
    assert (s.precision, s.recall, s.f1) == (0.0, 0.0, 0.0)
    assert si_scores([sp(0, 10, A)], [sp(0, 10, B)]).f1 == pytest.approx(1.0)
    assert set(s.per_technique) == {A, B}
    assert s.per_technique[A].n_pred == 1 and s.per_technique[A].n_gold == 0
    assert s.per_technique[B].n_pred == 0 and s.per_technique[B].n_gold == 1


def test_span_technique_per_technique():
    pred = [sp(0, 10, A), sp(20, 30, B)]
    gold = [sp(5, 15, A), sp(20, 30, B), sp(20, 25, A)]
    s = span_technique_scores(pred, gold)
    # A: pred 0-10 vs gold 5-15 -> 0.5; gold 20-25 unmatched. P_A = .5, R_A = (.5 + 0)/2
    assert s.per_technique[A].precision == pytest.approx(0.5)
    assert s.per_technique[A].recall == pytest.approx(0.25)
    assert s.per_technique[B].f1 == pytest.approx(1.0)
    # overall: P = (0.5 + 1)/2, R = (0.5 + 1 + 0)/3
    assert s.precision == pytest.approx(0.75)
    assert s.recall == pytest.approx(0.5)
    assert s.f1 == pytest.approx(0.6)


def test_span_technique_merges_per_technique_only():
    # A spans merge; the B span overlapping them stays separate
    s = span_technique_scores([sp(0, 10, A), sp(5, 15, A), sp(0, 15, B)], [sp(0, 15, A)])
    assert s.n_pred == 2
    assert s.precision == pytest.approx(0.5)
    assert s.recall == pytest.approx(1.0)


def test_tc_multisets():
    pred = [sp(0, 10, A), sp(0, 10, A), sp(0, 10, B), sp(20, 30, A)]
    gold = [sp(0, 10, A), sp(0, 10, B), sp(0, 10, B), sp(20, 30, B)]
    s = tc_scores(pred, gold)
    # correct: (0-10, A) min(2,1)=1, (0-10, B) min(1,2)=1, 20-30: 0
    assert s.precision == pytest.approx(2 / 4)
    assert s.recall == pytest.approx(2 / 4)
    assert s.per_technique[A].precision == pytest.approx(1 / 3)
    assert s.per_technique[A].recall == pytest.approx(1 / 1)
    assert s.per_technique[B].precision == pytest.approx(1 / 1)
    assert s.per_technique[B].recall == pytest.approx(1 / 3)
    assert (s.per_technique[A].n_pred, s.per_technique[A].n_gold) == (3, 1)


def test_tc_f1_is_the_harmonic_mean_overall_and_per_technique():
    s = tc_scores([sp(0, 10, A), sp(20, 30, A)], [sp(0, 10, A)])
    assert (s.precision, s.recall, s.f1) == (pytest.approx(0.5), 1.0, pytest.approx(2 / 3))
    assert s.per_technique[A].f1 == pytest.approx(2 / 3)


def test_correct_flags_need_half_a_fragment_inside_gold_of_its_technique_and_article():
    gold = [sp(0, 10, A)]
    pred = [sp(5, 15, A), sp(6, 15, A), sp(0, 10, B), sp(0, 10, A, article="2")]
    assert correct_flags(pred, gold) == [True, False, False, False]


def test_read_semeval_skips_a_byte_order_mark_and_spaces_around_the_id(tmp_path):
    f = tmp_path / "s.tsv"
    f.write_text("\ufeff 7 \tDoubt\t0\t4\n", encoding="utf-8")
    assert read_semeval(f) == [Span("7", 0, 4, "Doubt")]


def test_tc_keys_on_article_and_offsets():
    # same offsets in another article, or off-by-one offsets, are not a match
    s = tc_scores([sp(0, 10, article="1"), sp(0, 11, article="3")],
                  [sp(0, 10, article="2"), sp(0, 10, article="3")])
    assert (s.precision, s.recall) == (0.0, 0.0)


def test_empty_inputs():
    for fn in (si_scores, span_technique_scores):      # nothing to find, nothing found: F1 1, as officially
        s = fn([], [])
        assert (s.precision, s.recall, s.f1, s.n_pred, s.n_gold) == (0.0, 0.0, 1.0, 0, 0)
    s = tc_scores([], [])
    assert (s.precision, s.recall, s.f1, s.n_pred, s.n_gold) == (0.0, 0.0, 0.0, 0, 0)
    assert si_scores([sp(0, 5, A)], []).f1 == si_scores([], [sp(0, 5, A)]).f1 == 0.0


def test_spans_that_only_touch_are_not_merged():
    # the official scorer merges spans sharing a character; [0, 2) and [2, 10) stay two
    s = si_scores([sp(0, 2, A)], [sp(0, 2, A), sp(2, 10, B)])
    assert (s.precision, s.recall, s.n_gold) == (1.0, 0.5, 2)
    s = span_technique_scores([sp(0, 2, A), sp(2, 10, A)], [sp(0, 2, A)])
    assert (s.precision, s.recall, s.n_pred) == (0.5, 1.0, 2)
    s = si_scores([sp(0, 3, A)], [sp(0, 2, A), sp(1, 10, B)])         # sharing one: merged
    assert (s.precision, s.recall, s.n_gold) == (1.0, 0.3, 1)


def test_format_table():
    s = span_technique_scores([sp(0, 10, B), sp(20, 30, A)], [sp(0, 10, B)])
    text = format_table("span+technique", s)
    lines = text.splitlines()
    assert lines[0] == "span+technique"
    body = lines[3:]
    assert body[0].startswith("overall")
    assert body[1].startswith(A) and body[2].startswith(B)  # sorted by name
    assert "0.500" in body[0] and "1.000" in body[0]
    assert body[2].split()[-2:] == ["1", "1"]


def test_read_semeval(tmp_path):
    f = tmp_path / "spans.txt"
    f.write_text(f"111\t{B}\t3\t9\n\n222\t{A}\t0\t4\r\n333\t10\t20\n", encoding="utf-8")
    assert read_semeval(f) == [Span("111", 3, 9, B), Span("222", 0, 4, A), Span("333", 10, 20, "")]


@pytest.mark.parametrize("bad", ["1\tA\t3", "1 A 3 9", "1\tA\tx\t9", "1\tA\t9\t3",
                                 "1\tA\t-1\t3", "1\tA\t1\t2\t3"])
def test_read_semeval_malformed(tmp_path, bad):
    f = tmp_path / "spans.txt"
    f.write_text(f"1\t{A}\t0\t4\n\n{bad}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=":3:"):
        read_semeval(f)


# ---------------------------------------------------------------- properties

TECHS = [A, B, "Doubt", "Repetition"]


@st.composite
def spans_st(draw, techniques=TECHS, max_size=12) -> list[Span]:
    out = []
    for _ in range(draw(st.integers(0, max_size))):
        start = draw(st.integers(0, 199))
        end = draw(st.integers(start + 1, 200))
        out.append(Span(draw(st.sampled_from(["a", "b", "c"])), start, end,
                        draw(st.sampled_from(techniques))))
    return out


MEASURES = [si_scores, span_technique_scores, tc_scores]
FAST = settings(max_examples=150, deadline=None)


def _all_scores(s: Scores):
    yield s
    yield from s.per_technique.values()


@FAST
@given(spans_st(max_size=12).filter(bool))
def test_perfect_prediction(gold):
    for fn in MEASURES:
        s = fn(gold, gold)
        assert s.precision == pytest.approx(1.0)
        assert s.recall == pytest.approx(1.0)
        assert s.f1 == pytest.approx(1.0)


@FAST
@given(spans_st())
def test_empty_prediction(gold):
    for fn in MEASURES:
        s = fn([], gold)
        perfect = not gold and fn is not tc_scores        # nothing to find, nothing found
        assert (s.precision, s.recall, s.f1, s.n_pred) == (0.0, 0.0, 1.0 if perfect else 0.0, 0)


@FAST
@given(spans_st(), spans_st())
def test_scores_in_unit_interval(pred, gold):
    for fn in MEASURES:
        for s in _all_scores(fn(pred, gold)):
            for v in (s.precision, s.recall, s.f1):
                assert 0.0 <= v <= 1.0 + 1e-9


@FAST
@given(spans_st(), spans_st())
def test_swap_swaps_precision_and_recall(pred, gold):
    for fn in MEASURES:
        a, b = fn(pred, gold), fn(gold, pred)
        assert a.precision == pytest.approx(b.recall)
        assert a.recall == pytest.approx(b.precision)
        assert a.f1 == pytest.approx(b.f1)
        assert (a.n_pred, a.n_gold) == (b.n_gold, b.n_pred)
        for t, s in a.per_technique.items():
            assert s.precision == pytest.approx(b.per_technique[t].recall)


@FAST
@given(spans_st(techniques=[A]), spans_st(techniques=[A]))
def test_si_equals_span_technique_with_one_technique(pred, gold):
    si, stc = si_scores(pred, gold), span_technique_scores(pred, gold)
    assert si.f1 >= stc.f1 - 1e-9
    assert si.precision == pytest.approx(stc.precision)
    assert si.recall == pytest.approx(stc.recall)
    assert si.f1 == pytest.approx(stc.f1)
    if pred or gold:
        assert stc.per_technique[A].f1 == pytest.approx(stc.f1)


@pytest.mark.parametrize("start", ["1_0", "\u0663", "+10", "1e1"])
def test_an_offset_is_written_in_digits(tmp_path, start):
    from propscope.scoring import read_semeval
    (tmp_path / "s.tsv").write_text(f"1\tDoubt\t{start}\t20\n", encoding="utf-8")
    with pytest.raises(ValueError, match="must be whole numbers written in digits 0-9"):
        read_semeval(tmp_path / "s.tsv")
    (tmp_path / "s.tsv").write_text("1\tDoubt\t 10\t20\n", encoding="utf-8")
    assert read_semeval(tmp_path / "s.tsv")[0].start == 10

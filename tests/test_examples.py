"""Tests for turning labelled articles into training windows (no torch needed)."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from propscope.model.features import span_features
from propscope.model.windows import plan_windows, tokenize
from propscope.spans import Span
from propscope.techniques import index
from propscope.train.data import Article
from propscope.train.examples import B, I, IGNORE, O, WindowExample, bio_tags, build

LL, NC, RP, DB = "Loaded_Language", "Name_Calling,Labeling", "Repetition", "Doubt"

TEXT = ("The corrupt elites lied to us again and again. "
        "They will destroy our great nation, and nobody will stop them now.")
SIZE, STRIDE = 8, 6


def span(fragment: str, technique: str, occurrence: int = 0) -> Span:
    pos = -1
    for _ in range(occurrence + 1):
        pos = TEXT.index(fragment, pos + 1)
    return Span("1", pos, pos + len(fragment), technique)


def test_imports_without_torch():
    code = ("import sys; sys.modules['torch'] = None; sys.modules['transformers'] = None\n"
            "import propscope.train.examples, propscope.train.data\n"
            "assert 'torch' not in [m for m in sys.modules if sys.modules[m] is not None]\n")
    subprocess.run([sys.executable, "-c", code], check=True,
                   env={"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})


# ---------------------------------------------------------------- bio_tags

OFFS = np.array([[0, 3], [4, 9], [10, 12], [13, 17], [18, 20]])


@pytest.mark.parametrize("intervals,expected", [
    ([], [O, O, O, O, O]),
    ([(4, 12)], [O, B, I, O, O]),
    ([(5, 6)], [O, B, O, O, O]),                    # partial token overlap still tags it
    ([(0, 3), (4, 9)], [B, B, O, O, O]),            # two separate spans: two B's
    ([(4, 9), (8, 17)], [O, B, I, I, O]),           # overlapping spans merge into one run
    ([(13, 20), (0, 12)], [B, I, I, B, I]),         # unsorted input
    ([(0, 20), (10, 12)], [B, I, I, I, I]),         # nested
    ([(3, 4)], [O, O, O, O, O]),                    # only the gap between tokens
])
def test_bio_tags(intervals, expected):
    tags = bio_tags(OFFS, intervals)
    assert tags.dtype == np.int64
    assert tags.tolist() == expected


def test_bio_tags_each_run_starts_with_b():
    rng = np.random.default_rng(0)
    for _ in range(20):
        ivs = [(int(s), int(s + rng.integers(1, 6))) for s in rng.integers(0, 20, size=3)]
        tags = bio_tags(OFFS, ivs).tolist()
        for prev, cur in zip([O] + tags, tags):
            assert not (cur == I and prev == O)


# ---------------------------------------------------------------- build

@pytest.fixture(scope="module")
def tokens(tokenizer):
    toks = tokenize(tokenizer, TEXT)
    # this test text is laid out one word (or punctuation mark) per token
    assert len(toks.ids) == 24
    return toks


def spans_of(examples: list[WindowExample]) -> list[list[tuple[int, int, int]]]:
    return [[(f, l, lab) for f, l, lab, _ in ex.spans] for ex in examples]


def test_build_windows_and_span_examples(tokenizer, tokens):
    gold = (span("corrupt elites", LL),                 # tokens 1-2
            span("again and again", RP),                # tokens 6-8
            span("destroy our", NC),                    # tokens 12-13
            span("our great nation", DB))               # tokens 13-15
    examples = build([Article("1", TEXT, gold)], tokenizer, SIZE, STRIDE)
    windows = plan_windows(24, SIZE, STRIDE)
    assert [(w.lo, w.hi) for w in windows] == [(0, 8), (6, 14), (12, 20), (16, 24)]
    assert len(examples) == len(windows)

    tags = bio_tags(tokens.offsets, [(s.start, s.end) for s in gold])
    for ex, w in zip(examples, windows):
        assert ex.ids.tolist() == tokens.ids[w.lo:w.hi].tolist()
        assert ex.tags.tolist() == tags[w.lo:w.hi].tolist()
        assert IGNORE not in ex.tags.tolist()

    assert spans_of(examples) == [
        [(1, 2, index(LL))],                           # window [0, 8)
        [(0, 2, index(RP)), (6, 7, index(NC))],        # window [6, 14): again..again, destroy our
        [(0, 1, index(NC)), (1, 3, index(DB))],        # window [12, 20): both fit here too
        [],
    ]
    # every example points at tokens inside its window that overlap the gold characters
    by_label = {index(s.technique): s for s in gold}
    for ex, w in zip(examples, windows):
        for first, last, label, feats in ex.spans:
            assert 0 <= first <= last < w.hi - w.lo
            s = by_label[label]
            g_first, g_last = first + w.lo, last + w.lo
            assert tokens.offsets[g_first, 0] <= s.start < tokens.offsets[g_first, 1]
            assert tokens.offsets[g_last, 0] < s.end <= tokens.offsets[g_last, 1]
            assert feats.tolist() == span_features(TEXT, s.start, s.end).tolist()


def test_span_longer_than_a_window_is_clipped(tokenizer, tokens):
    long = Span("1", TEXT.index("They"), TEXT.index(" now"), LL)   # tokens 10-21: 12 > 8
    examples = build([Article("1", TEXT, (long,))], tokenizer, SIZE, STRIDE)
    held = [(i, sp) for i, ex in enumerate(examples) for sp in ex.spans]
    assert len(held) == 1                                # one example, in the window holding most of it
    i, (first, last, label, _) = held[0]
    assert i == 2                                        # window [12, 20) holds 8 of its 12 tokens
    assert (first, last, label) == (0, SIZE - 1, index(LL))
    # the B/I tags still cover the whole span across windows
    assert examples[0].tags.tolist() == [O] * 8
    assert examples[1].tags.tolist() == [O] * 4 + [B, I, I, I]
    assert examples[3].tags.tolist() == [I] * 6 + [O, O]


def test_span_without_tokens_gives_no_example(tokenizer):
    text = "Stop  them now."
    gap = Span("1", 5, 6, LL)                            # the second of two spaces
    (ex,) = build([Article("1", text, (gap,))], tokenizer, SIZE, STRIDE)
    assert ex.spans == [] and set(ex.tags.tolist()) == {O}


def test_empty_and_short_articles(tokenizer):
    short = Article("2", "\ufeffTraitors!", (Span("2", 1, 9, NC),))
    examples = build([Article("1", "", ()), Article("3", "   ", ()), short], tokenizer, SIZE, STRIDE)
    assert len(examples) == 1                            # empty and blank texts give no windows
    (ex,) = examples
    assert ex.tags.tolist() == [B, I, O]                 # "traitor", "##s", "!"
    assert [(f, l, lab) for f, l, lab, _ in ex.spans] == [(0, 1, index(NC))]


def test_several_articles_in_order(tokenizer):
    a = Article("a", "One two three.", (Span("a", 4, 7, DB),))
    b = Article("b", "Four five.", ())
    examples = build([a, b], tokenizer, SIZE, STRIDE)
    assert len(examples) == 2
    assert examples[0].tags.tolist() == [O, B, O, O]
    assert examples[1].tags.tolist() == [O, O, O]


def test_fragment_without_technique_teaches_tagger_only(tokenizer):
    text = "The corrupt elites lied again."
    art = Article("1", text, (Span("1", 4, 18, ""),))
    (ex,) = build([art], tokenizer, size=32, stride=16)
    assert ex.spans == []
    assert (ex.tags != O).sum() >= 2


def test_blinded_names_read_as_one_word_or_as_distinct_words_in_order(tokenizer):
    text = "Moscow blamed Paris. Paris blamed Moscow."
    art = Article("1", text, (Span("1", 7, 13, LL),))
    words = lambda ex: [tokenizer.id_to_token(int(i)) for i in ex.ids]       # noqa: E731
    (one,) = build([art], tokenizer, size=32, stride=16, common=frozenset({"blamed"}))
    (distinct,) = build([art], tokenizer, size=32, stride=16, common=frozenset({"blamed"}),
                        placeholders=("alpha", "beta"))
    assert words(one) == ["x", "blamed", "x", ".", "x", "blamed", "x", "."]
    assert words(distinct) == ["alpha", "blamed", "beta", ".", "beta", "blamed", "alpha", "."]
    assert one.tags.tolist() == distinct.tags.tolist() == [O, B, O, O, O, O, O, O]

"""Tests for tokenization offsets and the planning of encoder windows."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from propscope.model.windows import (Tokens, Window, plan, plan_line_windows, plan_windows, stack, token_span,
                                     tokenize)


def norm(s: str) -> str:
    """What the BERT normalizer does to a slice: lower-case, accents and format characters dropped."""
    s = unicodedata.normalize("NFD", s.lower())
    return "".join(ch for ch in s if unicodedata.category(ch) not in ("Mn", "Cf"))


def check_offsets(tokenizer, text: str) -> Tokens:
    toks = tokenize(tokenizer, text)
    assert toks.ids.dtype == np.int64 and toks.offsets.dtype == np.int64
    assert toks.offsets.shape == (len(toks.ids), 2)
    starts, ends = toks.offsets[:, 0], toks.offsets[:, 1]
    assert np.all(starts >= 0) and np.all(ends <= len(text))
    assert np.all(starts < ends)
    assert np.all(np.diff(starts) >= 0)
    assert np.all(ends[:-1] <= starts[1:])          # tokens do not overlap
    for tid, (s, e) in zip(toks.ids, toks.offsets):
        piece = tokenizer.id_to_token(int(tid))
        frag = text[s:e]
        assert frag.strip(), (piece, frag)
        if piece != "[UNK]":
            assert norm(frag) == piece.removeprefix("##"), (piece, frag)
    return toks


def pieces(tokenizer, toks: Tokens) -> list[str]:
    return [tokenizer.id_to_token(int(i)) for i in toks.ids]


def covered(toks: Tokens, n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for s, e in toks.offsets:
        mask[s:e] = True
    return mask


# ---------------------------------------------------------------- tokenize

def test_plain_english(tokenizer):
    text = "The corrupt elites lied, again!"
    toks = check_offsets(tokenizer, text)
    frags = [text[s:e] for s, e in toks.offsets]
    assert frags[:3] == ["The", "corrupt", "elites"]
    assert frags[-1] == "!"
    assert "[CLS]" not in pieces(tokenizer, toks)   # no special tokens added


def test_empty_and_blank_text(tokenizer):
    for text in ("", "   \n\t "):
        toks = tokenize(tokenizer, text)
        assert len(toks.ids) == 0 and toks.offsets.shape == (0, 2)


def test_leading_bom_is_character_zero(tokenizer):
    text = "\ufeffHello world"
    toks = check_offsets(tokenizer, text)
    assert toks.offsets[0].tolist() == [1, 6]
    assert text[1:6] == "Hello"
    assert toks.offsets[1].tolist() == [7, 12]


def test_bom_in_the_middle(tokenizer):
    text = "Hello \ufeffworld and more"
    toks = check_offsets(tokenizer, text)
    frags = [text[s:e] for s, e in toks.offsets]
    assert frags[:2] == ["Hello", "world"]
    assert toks.offsets[1, 0] == 7
    assert not any("\ufeff" in f for f in frags)


def test_emoji_offsets_are_code_points(tokenizer):
    text = "I love 😀 pizza 😀😀 war"
    toks = check_offsets(tokenizer, text)
    frags = {text[s:e]: (s, e) for s, e in toks.offsets}
    # in UTF-16 units or UTF-8 bytes these would be shifted by the emoji before them
    assert frags["pizza"] == (9, 14)
    assert frags["war"] == (18, 21)
    assert covered(toks, len(text))[text.index("😀")]


def test_combining_marks(tokenizer):
    text = "Le cafe\u0301 est Mo\u0308rder"
    toks = check_offsets(tokenizer, text)
    s, e = toks.offsets[1]
    assert text[s:e].startswith("cafe")
    after = toks.offsets[toks.offsets[:, 0] > 8]
    assert text[after[0, 0]:after[0, 1]] == "est"     # not shifted by the mark
    assert "".join(norm(text[s:e]) for s, e in toks.offsets[-2:]) == "morder"


def test_cjk(tokenizer):
    text = "我们是中国人 ok"
    toks = check_offsets(tokenizer, text)
    # every CJK character is its own token
    assert toks.offsets[:6].tolist() == [[i, i + 1] for i in range(6)]
    assert text[toks.offsets[-1, 0]:toks.offsets[-1, 1]] == "ok"


def test_very_long_token_is_covered(tokenizer):
    word = "abcdefghij" * 50
    text = f"start {word} end"
    toks = check_offsets(tokenizer, text)
    assert covered(toks, len(text))[6:506].all()
    assert text[toks.offsets[-1, 0]:toks.offsets[-1, 1]] == "end"
    toks = check_offsets(tokenizer, "a" * 500)
    assert toks.offsets[0, 0] == 0 and toks.offsets[-1, 1] == 500


ALPHABET = st.sampled_from(list("abcXYZ019 .,!?'-\n") + ["\ufeff", "😀", "\u0301", "é", "ü", "中", "文", "\u00a0"])


@settings(max_examples=100, deadline=None)
@given(st.lists(ALPHABET, max_size=60).map("".join))
def test_offsets_property(tokenizer, text):
    toks = check_offsets(tokenizer, text)
    cov = covered(toks, len(text))
    for i, ch in enumerate(text):
        if ch.isalnum():
            assert cov[i], (text, i)


# ---------------------------------------------------------------- plan_windows

def check_plan(n: int, size: int, stride: int) -> list[Window]:
    windows = plan_windows(n, size, stride)
    assert windows, (n, size, stride)
    assert windows[0].lo == 0 and windows[-1].hi == n
    assert windows[0].core_lo == 0 and windows[-1].core_hi == n
    owner = np.zeros(n, dtype=int)
    for w in windows:
        assert 0 <= w.lo < w.hi <= n
        assert w.hi - w.lo <= size
        assert w.lo <= w.core_lo < w.core_hi <= w.hi     # non-empty core inside the window
        owner[w.core_lo:w.core_hi] += 1
    assert (owner == 1).all()                             # each token in exactly one core
    for a, b in zip(windows, windows[1:]):
        assert a.core_hi == b.core_lo                     # contiguous, ordered cores
        assert a.lo < b.lo and a.hi <= b.hi
        assert b.lo <= a.hi                               # no gap between windows
    return windows


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 400), st.integers(1, 64), st.data())
def test_plan_windows_property(n, size, data):
    stride = data.draw(st.integers(1, size))
    windows = check_plan(n, size, stride)
    if n >= size:
        assert all(w.hi - w.lo == size for w in windows)   # full windows when the text allows


@pytest.mark.parametrize("n,size,stride", [
    (1, 8, 6), (7, 8, 6), (8, 8, 6), (9, 8, 6), (14, 8, 6), (15, 8, 6), (100, 8, 8), (100, 8, 1),
    (510, 510, 384), (511, 510, 384), (2000, 510, 384),
])
def test_plan_windows_cases(n, size, stride):
    check_plan(n, size, stride)


def test_plan_windows_exact_layout():
    w = plan_windows(20, 8, 6)
    assert [(x.lo, x.hi) for x in w] == [(0, 8), (6, 14), (12, 20)]
    # overlaps [6,8) and [12,14) are split at their midpoints
    assert [(x.core_lo, x.core_hi) for x in w] == [(0, 7), (7, 13), (13, 20)]


def test_plan_windows_short_text_is_one_window():
    assert plan_windows(5, 8, 6) == [Window(0, 5, 0, 5)]


def test_plan_windows_empty():
    assert plan_windows(0, 8, 6) == []


@pytest.mark.parametrize("size,stride", [(8, 9), (8, 0), (8, -1)])
def test_plan_windows_bad_stride(size, stride):
    with pytest.raises(ValueError, match="stride"):
        plan_windows(20, size, stride)


# ---------------------------------------------------------------- windows within lines


def check_line_plan(text: str, toks: Tokens, size: int, stride: int) -> list[Window]:
    windows = plan_line_windows(text, toks.offsets, size, stride)
    n = len(toks.ids)
    owner = np.zeros(n, dtype=int)
    for w in windows:
        assert 0 <= w.lo <= w.core_lo < w.core_hi <= w.hi <= n and w.hi - w.lo <= size
        owner[w.core_lo:w.core_hi] += 1
        first, last = toks.offsets[w.lo, 0], toks.offsets[w.hi - 1, 1]
        assert "\n" not in text[first:last]                  # one line per window
    assert (owner == 1).all()                                 # every token read once
    return windows


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["war", "peace", "\n", "\n\n", "😀", "é", " ", "traitors!"]), max_size=80),
       st.integers(1, 12), st.data())
def test_plan_line_windows_property(tokenizer, parts, size, data):
    text = " ".join(parts)
    check_line_plan(text, tokenize(tokenizer, text), size, data.draw(st.integers(1, size)))


def test_plan_line_windows_layout(tokenizer):
    text = "One two three.\nFour five six seven eight nine ten.\n\nEleven."
    toks = tokenize(tokenizer, text)
    windows = check_line_plan(text, toks, 4, 3)
    lines = [text[toks.offsets[w.lo, 0]:toks.offsets[w.hi - 1, 1]] for w in windows]
    assert lines[0] == "One two three." and lines[-1] == "Eleven."
    assert len(windows) == 1 + 3 + 1                # the 8-token line takes three windows of 4
    assert plan(text, toks.offsets, 4, 3, lines=False) == plan_windows(len(toks.ids), 4, 3)
    assert plan_line_windows("", np.zeros((0, 2), dtype=np.int64), 4, 3) == []


# ---------------------------------------------------------------- stack

def test_stack():
    n = 20
    tokens = Tokens(np.arange(1000, 1000 + n, dtype=np.int64), np.stack([np.arange(n), np.arange(n) + 1], 1))
    windows = plan_windows(n, 8, 6) + [Window(0, 3, 0, 3)]     # a short window forces padding
    ids, mask = stack([tokens.ids[w.lo:w.hi] for w in windows], cls_id=101, sep_id=102, pad_id=7)
    assert ids.shape == mask.shape == (4, 10)
    assert ids.dtype == mask.dtype == np.int64
    for row, w in enumerate(windows):
        k = w.hi - w.lo
        assert ids[row, 0] == 101
        assert ids[row, 1:k + 1].tolist() == list(range(1000 + w.lo, 1000 + w.hi))
        assert ids[row, k + 1] == 102
        assert (ids[row, k + 2:] == 7).all()
        assert mask[row].sum() == k + 2
        assert mask[row, :k + 2].all() and not mask[row, k + 2:].any()


def test_stack_real_tokenizer(tokenizer):
    text = "They will destroy everything we hold dear. Stand up now!"
    toks = tokenize(tokenizer, text)
    windows = plan_windows(len(toks.ids), 5, 4)
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    ids, mask = stack([toks.ids[w.lo:w.hi] for w in windows], cls, sep)
    assert (ids[:, 0] == cls).all()
    assert mask.sum(1).tolist() == [w.hi - w.lo + 2 for w in windows]


# ---------------------------------------------------------------- token_span

OFFS = np.array([[0, 3], [4, 9], [10, 12], [12, 15]])


@pytest.mark.parametrize("start,end,expected", [
    (4, 9, (1, 1)),
    (2, 5, (0, 1)),      # partial overlap at both ends
    (0, 15, (0, 3)),
    (8, 11, (1, 2)),
    (11, 13, (2, 3)),
    (3, 4, None),        # the gap between tokens 0 and 1
    (9, 10, None),
    (15, 20, None),      # past the last token
    (12, 13, (3, 3)),    # token 2 ends at 12: touching is not overlapping
])
def test_token_span(start, end, expected):
    assert token_span(OFFS, start, end) == expected


def test_token_span_no_tokens():
    assert token_span(np.zeros((0, 2), dtype=np.int64), 0, 5) is None


def test_token_span_real_text(tokenizer):
    text = "\ufeffWe must fight the enemy within."
    toks = tokenize(tokenizer, text)
    start = text.index("enemy")
    first, last = token_span(toks.offsets, start, start + len("enemy within"))
    assert text[toks.offsets[first, 0]:toks.offsets[last, 1]] == "enemy within"


def test_special_ids_of_a_bert_vocabulary(tokenizer):
    from propscope.model.windows import special_ids
    cls_id, sep_id, pad_id = special_ids(tokenizer)
    assert (cls_id, sep_id, pad_id) == (tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]"),
                                        tokenizer.token_to_id("[PAD]"))


def test_tokens_of_a_name_blind_model_point_into_the_original_text(tokenizer):
    from propscope.model.names import common_words
    common = common_words(["the officials said the plan failed. the officials"])
    text = "The officials of Vladimir Putin said the plan failed 🙂 in Moscow"
    toks = tokenize(tokenizer, text, common)
    plain = tokenize(tokenizer, text)
    assert len(toks.ids) < len(plain.ids)
    spans = [text[s:e] for s, e in toks.offsets.tolist()]
    assert "Vladimir Putin" in spans and spans[-1] == "Moscow"
    names = [(text.index(n), text.index(n) + len(n)) for n in ("Vladimir Putin", "Moscow")]
    outside = [(s, e) for s, e in plain.offsets.tolist() if not any(a <= s < b for a, b in names)]
    assert [o for o in toks.offsets.tolist() if tuple(o) not in names] == [list(o) for o in outside]
    assert np.all(np.diff(toks.offsets[:, 0]) > 0) and np.all(toks.offsets[:-1, 1] <= toks.offsets[1:, 0])
    same = tokenize(tokenizer, text.replace("Vladimir Putin", "Xi").replace("Moscow", "Beijing"), common)
    assert np.array_equal(same.ids, toks.ids)

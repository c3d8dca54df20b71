"""Tests for turning per-token O/B/I probabilities into character spans."""

from __future__ import annotations

import numpy as np
import pytest

from propscope.model.decode import decode, snap, token_runs

O_ = [0.9, 0.05, 0.05]     # outside
B_ = [0.05, 0.9, 0.05]     # begins a span
I_ = [0.05, 0.05, 0.9]     # inside a span
Iw = [0.3, 0.3, 0.4]       # weakly inside (inside prob 0.7, B < I)
Bw = [0.3, 0.4, 0.3]       # inside, B > I but B < 0.5: does not split


def P(*rows) -> np.ndarray:
    return np.array(rows, dtype=float)


# ---------------------------------------------------------------- token_runs

def test_runs_simple():
    assert token_runs(P(O_, B_, I_, I_, O_), 0.5) == [(1, 3)]


def test_runs_at_both_edges():
    assert token_runs(P(B_, I_, O_, O_, I_, I_), 0.5) == [(0, 1), (4, 5)]
    assert token_runs(P(I_, I_, I_), 0.5) == [(0, 2)]


def test_runs_none_and_empty():
    assert token_runs(P(O_, O_, O_), 0.5) == []
    assert token_runs(np.zeros((0, 3)), 0.5) == []


def test_b_inside_a_run_does_not_split_it():
    assert token_runs(P(B_, I_, B_, I_, O_), 0.5) == [(0, 3)]


def test_hysteresis_extends_strong_runs_through_weak_tokens():
    weak = [0.6, 0.2, 0.2]           # inside probability 0.4
    assert token_runs(P(O_, weak, I_, weak, O_), 0.5, 0.3) == [(1, 3)]
    assert token_runs(P(O_, weak, weak, O_), 0.5, 0.3) == [], "a run needs one strong token"
    assert token_runs(P(O_, weak, I_, weak, O_), 0.5) == [(2, 2)]


def test_gap_joins_close_runs():
    assert token_runs(P(I_, O_, I_, O_, O_, I_), 0.5, gap=1) == [(0, 2), (5, 5)]
    assert token_runs(P(I_, O_, I_, O_, O_, I_), 0.5, gap=2) == [(0, 5)]
    assert token_runs(P(I_, O_, I_), 0.5, gap=0) == [(0, 0), (2, 2)]


def test_run_may_start_with_i():
    assert token_runs(P(O_, I_, I_, O_), 0.5) == [(1, 2)]


def test_threshold_controls_inside():
    probs = P(O_, Iw, I_, Iw, O_)
    assert token_runs(probs, 0.5) == [(1, 3)]
    assert token_runs(probs, 0.8) == [(2, 2)]
    assert token_runs(probs, 0.7) == [(1, 3)]       # inside prob >= threshold counts (0.7 vs 0.7)


# ---------------------------------------------------------------- snap

TEXT = "The unbelievably corrupt elites, again; lied."


@pytest.mark.parametrize("start,end,expected", [
    (6, 12, "unbelievably"),           # inside one word
    (4, 6, "unbelievably"),            # word start, partial end
    (10, 20, "unbelievably corrupt"),  # partial at both ends
    (3, 17, "unbelievably"),           # leading and trailing spaces trimmed
    (25, 33, "elites"),                # trailing ", " trimmed
    (32, 40, "again"),                 # leading space, trailing "; " trimmed
    (40, 45, "lied"),                  # trailing "." trimmed
    (0, 45, TEXT[:-1]),
])
def test_snap(start, end, expected):
    s, e = snap(TEXT, start, end)
    assert TEXT[s:e] == expected


def test_snap_trims_edge_punctuation_and_odd_spaces():
    text = "\ufeff: hello world.,\u00a0"
    s, e = snap(text, 0, len(text))
    assert text[s:e] == "hello world"


def test_snap_trims_every_kind_of_space_and_invisible_character():
    text = "x.\u2003\u200b\u200dcorrupt elites\u202f\u3000\u2028\x0c."
    s, e = snap(text, 1, len(text))
    assert text[s:e] == "corrupt elites"


def test_snap_keeps_inner_punctuation():
    text = "no, never. ever"
    s, e = snap(text, 0, len(text))
    assert text[s:e] == text


@pytest.mark.parametrize("text,fragment,expected", [
    ("the \u201chead of the snake.\u201d", "\u201chead of the snake.", "head of the snake"),   # closed outside
    ('it was "in plain sight.', '"in plain sight.', "in plain sight"),
    ("a \u201cpee dossier\u201d in full", "\u201cpee dossier\u201d", "\u201cpee dossier\u201d"),   # closed inside: kept
    ('a "pee dossier" in full', '"pee dossier"', '"pee dossier"'),
    ('"one" and "two" too', '"one" and "two"', '"one" and "two"'),   # an even count of straight quotes
    ('say " no', '" no', "no"),                                        # and the space after it
])
def test_snap_drops_an_opening_quotation_mark_it_does_not_close(text, fragment, expected):
    first = text.index(fragment)
    s, e = snap(text, first, first + len(fragment))
    assert text[s:e] == expected


def test_snap_does_not_cross_words():
    text = "big bad wolf"
    assert snap(text, 4, 7) == (4, 7)


def test_snap_to_nothing():
    text = "a ., b"
    s, e = snap(text, 1, 5)
    assert e <= s


def test_snap_keeps_combining_mark_at_word_end():
    # BERT tokens drop the accent: 'cafe' has offsets (3, 7) in "Le cafe\u0301 est"
    text = "Le cafe\u0301 est"
    s, e = snap(text, 3, 7)
    assert text[s:e] == "cafe\u0301"


def test_snap_widens_across_combining_mark():
    text = "Herr Mu\u0308ller sagt"
    s, e = snap(text, 5, 7)        # "Mu" only
    assert text[s:e] == "Mu\u0308ller"
    s, e = snap(text, 8, 10)       # "ll" only
    assert text[s:e] == "Mu\u0308ller"


# ---------------------------------------------------------------- decode

def test_decode_offsets_slice_text():
    text = "\ufeffThey are traitors, all of them."
    #          tokens: They are traitors , all of them .
    offsets = np.array([[1, 5], [6, 9], [10, 18], [18, 19], [20, 23], [24, 26], [27, 31], [31, 32]])
    probs = P(O_, O_, B_, I_, O_, I_, I_, I_)
    out = decode(text, offsets, probs, 0.5)
    assert [text[s:e] for s, e, *_ in out] == ["traitors", "of them"]
    assert [(f, l) for _, _, f, l, _ in out] == [(2, 3), (5, 7)]
    assert out[0][4] == pytest.approx(0.95)
    for s, e, *_ in out:
        assert 0 <= s < e <= len(text)


def test_decode_mean_inside_probability():
    text = "bad bad men"
    offsets = np.array([[0, 3], [4, 7], [8, 11]])
    probs = P(B_, Iw, O_)
    (s, e, f, l, conf), = decode(text, offsets, probs, 0.5)
    assert text[s:e] == "bad bad"
    assert conf == pytest.approx((0.95 + 0.7) / 2)


def test_decode_drops_spans_without_letters_or_digits():
    text = "Wow ... !!! -- 42 %"
    offsets = np.array([[0, 3], [4, 7], [8, 11], [12, 14], [15, 17], [18, 19]])
    probs = P(O_, B_, O_, B_, O_, O_)
    assert decode(text, offsets, probs, 0.5) == []
    probs = P(O_, O_, O_, O_, B_, O_)
    assert [text[s:e] for s, e, *_ in decode(text, offsets, probs, 0.5)] == ["42"]


def test_decode_widens_subword_run(tokenizer):
    from propscope.model.windows import tokenize
    text = "Such unbelievablyhorrific lies."
    toks = tokenize(tokenizer, text)
    probs = np.tile(O_, (len(toks.ids), 1))
    probs[2] = B_                      # one word piece in the middle of the long word
    (s, e, *_), = decode(text, toks.offsets, probs, 0.5)
    assert text[s:e] == "unbelievablyhorrific"


def test_decode_cuts_fragments_at_blank_lines():
    text = "Sovereignty now.\n\nThe great nation\nrises again"
    #        tokens: Sovereignty now . The great nation rises again
    offsets = np.array([[0, 11], [12, 15], [15, 16], [18, 21], [22, 27], [28, 34], [35, 40], [41, 46]])
    probs = P(B_, I_, Iw, I_, I_, I_, I_, I_)           # one run across the blank line
    out = decode(text, offsets, probs, 0.5)
    assert [text[s:e] for s, e, *_ in out] == ["Sovereignty now", "The great nation\nrises again"]
    assert [(f, l) for _, _, f, l, _ in out] == [(0, 2), (3, 7)]
    # a piece without a sure token of its own is dropped
    probs = P(Iw, Iw, Iw, B_, I_, O_, O_, O_)
    out = decode(text, offsets, probs, 0.8, low=0.5)
    assert [(text[s:e], f, l) for s, e, f, l, _ in out] == [("The great", 3, 4)]
    # runs joined across a gap and a blank line come apart, each ending on a token inside
    probs = P(B_, I_, O_, B_, I_, O_, O_, O_)
    out = decode(text, offsets, probs, 0.8, low=0.5, gap=2)
    assert [(text[s:e], f, l) for s, e, f, l, _ in out] == [("Sovereignty now", 0, 1), ("The great", 3, 4)]


def test_decode_nothing():
    text = "calm text"
    offsets = np.array([[0, 4], [5, 9]])
    assert decode(text, offsets, P(O_, O_), 0.5) == []


def test_decode_keeps_accent_of_decomposed_word(tokenizer):
    from propscope.model.windows import tokenize
    text = "Le cafe\u0301 est ferme\u0301"
    toks = tokenize(tokenizer, text)
    probs = np.tile(O_, (len(toks.ids), 1))
    probs[1] = B_
    probs[-1] = B_
    out = decode(text, toks.offsets, probs, 0.5)
    assert [text[s:e] for s, e, *_ in out] == ["cafe\u0301", "ferme\u0301"]


def test_decode_does_not_end_a_fragment_on_a_function_word():
    text = "one of the most prominent drummers of the war, and"
    #        tokens: one of the most prominent drummers of the war , and
    offsets = np.array([[0, 3], [4, 6], [7, 10], [11, 15], [16, 25], [26, 34], [35, 37], [38, 41],
                        [42, 45], [45, 46], [47, 50]])
    probs = P(O_, O_, O_, B_, I_, I_, I_, O_, O_, O_, O_)
    (s, e, f, l, conf), = decode(text, offsets, probs, 0.5)
    assert (text[s:e], f, l) == ("most prominent drummers", 3, 5)
    assert conf == pytest.approx(0.95)
    probs = P(O_, O_, O_, O_, O_, O_, O_, O_, B_, I_, I_)      # "war, and": the comma goes too
    assert [text[s:e] for s, e, *_ in decode(text, offsets, probs, 0.5)] == ["war"]
    probs = P(O_, B_, I_, O_, O_, O_, O_, O_, O_, O_, O_)      # nothing but function words: no fragment
    assert decode(text, offsets, probs, 0.5) == []
    probs = P(O_, O_, O_, O_, O_, O_, O_, B_, O_, O_, O_)      # a lone "the" neither
    assert decode(text, offsets, probs, 0.5) == []
    text = "chaotic and shameful like the withdrawal"
    offsets = np.array([[0, 7], [8, 11], [12, 20], [21, 25], [26, 29], [30, 40]])
    probs = P(B_, I_, I_, I_, O_, O_)
    assert [text[s:e] for s, e, *_ in decode(text, offsets, probs, 0.5)] == ["chaotic and shameful"]


def test_decode_keeps_a_function_word_that_is_part_of_a_longer_word(tokenizer):
    from propscope.model.windows import tokenize
    text = "They are traitors ofthe worst kind"
    toks = tokenize(tokenizer, text)
    probs = np.tile(O_, (len(toks.ids), 1))
    ofthe = [k for k, (a, b) in enumerate(toks.offsets) if a >= 18 and b <= 23]
    probs[2:ofthe[0] + 1] = I_                # a run ending on the first word piece of "ofthe"
    (s, e, *_), = decode(text, toks.offsets, probs, 0.5)
    assert text[s:e] == "traitors ofthe"


def test_decode_cut_at_a_function_word_still_ends_on_a_token_inside():
    text = "traitors , weak of"
    offsets = np.array([[0, 8], [9, 10], [11, 15], [16, 18]])
    weak = [0.6, 0.2, 0.2]                                     # inside 0.4: below the floor of 0.5
    probs = P(B_, I_, weak, I_)
    out = decode(text, offsets, probs, 0.8, low=0.5, gap=1)
    assert [(text[s:e], f, l) for s, e, f, l, _ in out] == [("traitors", 0, 1)]
    assert all((1.0 - probs[k, 0]) >= 0.5 for _, _, f, l, _ in out for k in (f, l))


def test_snap_widens_back_to_the_first_character_of_the_text():
    assert snap("xab cd", 2, 3) == (0, 3)


def test_decode_cuts_fragments_at_windows_blank_lines():
    text = "Sovereignty now.\r\n\r\nThe great nation\r\nrises again"
    offsets = np.array([[0, 11], [12, 15], [15, 16], [20, 23], [24, 29], [30, 36], [38, 43], [44, 49]])
    out = decode(text, offsets, P(B_, I_, Iw, I_, I_, I_, I_, I_), 0.5)
    assert [text[s:e] for s, e, *_ in out] == ["Sovereignty now", "The great nation\r\nrises again"]


@pytest.mark.parametrize("text, start, end, expected", [
    ("It won't be dead in the water", 7, 29, "won't be dead in the water"),     # the tail of a contraction
    ("It's very hard", 3, 14, "It's very hard"),
    ("the world\u2019s largest", 9, 19, "world\u2019s largest"),                 # from the apostrophe
    ("Politics is broken. It doesn't", 20, 29, "It doesn't"),                   # not on a dangling apostrophe
    ("an open-minded view", 8, 14, "open-minded"),
    ("the far-right party", 4, 7, "far-right"),
    ("the clodhopping U.S. ambassador", 4, 19, "clodhopping U.S."),             # an abbreviation keeps its stops
    ("in the U.S.A. and Britain", 9, 25, "U.S.A. and Britain"),
    ("It ended. Then", 0, 9, "It ended"),                                       # a sentence's stop is trimmed
])
def test_snap_keeps_contractions_compounds_and_abbreviations_whole(text, start, end, expected):
    s, e = snap(text, start, end)
    assert text[s:e] == expected


@pytest.mark.parametrize("text, start, end, expected", [
    ("\u2018Apocalyptic Fears", 0, 18, "Apocalyptic Fears"),
    ("'uncharted territory' ahead", 0, 20, "uncharted territory"),
    ('a message of support" he said', 2, 21, "message of support"),
    ("\u201cmy turn\u201d she said", 0, 9, "\u201cmy turn\u201d"),               # both marks: kept
    ("workers' rights", 0, 8, "workers'"),                                      # a plural's apostrophe
    ("said: 'Crooked Hillary won't win", 6, 26, "Crooked Hillary won't"),       # won't's apostrophe closes nothing
    ("x \u2018Crooked Hillary won\u2019t win", 2, 22, "Crooked Hillary won\u2019t"),
    ("the 'elite' said", 4, 11, "'elite'"),
])
def test_snap_drops_a_quotation_mark_whose_partner_is_outside(text, start, end, expected):
    s, e = snap(text, start, end)
    assert text[s:e] == expected


@pytest.mark.parametrize("text, cut", [
    ("Stop them now \u2620\ufe0f!", "Stop them now \u2620"),                    # the tokenizer drops U+FE0F
    ("We love \u2764\ufe0f it", "We love \u2764"),
    ("Stop them now \U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F.",   # a flag and its tags
     "Stop them now \U0001F3F4"),
    ("eyes \U0001F441\ufe0f\u200d\U0001F5E8\ufe0f here", "eyes \U0001F441"),   # a joined emoji sequence
    ("thumbs \U0001F44D\U0001F3FD up", "thumbs \U0001F44D"),                    # with its skin tone
])
def test_snap_never_ends_inside_a_character_a_reader_sees_as_one(text, cut):
    s, e = snap(text, 0, len(cut))
    whole = cut + {"\u2620": "\ufe0f", "\u2764": "\ufe0f", "\U0001F3F4": text[len(cut):len(cut) + 6],
                   "\U0001F441": "\ufe0f\u200d\U0001F5E8\ufe0f", "\U0001F44D": "\U0001F3FD"}[cut[-1]]
    assert text[s:e] == whole


@pytest.mark.parametrize("blank", ["\u200b", "\u2003", " \ufeff\t", "\u200d\u2060"])
def test_decode_cuts_fragments_at_lines_that_show_blank(blank):
    text = f"Sovereignty now.\n{blank}\nThe great nation"
    at = text.index("The")
    offsets = np.array([[0, 11], [12, 15], [15, 16], [at, at + 3], [at + 4, at + 9], [at + 10, at + 16]])
    out = decode(text, offsets, P(B_, I_, Iw, I_, I_, I_), 0.5)
    assert [text[s:e] for s, e, *_ in out] == ["Sovereignty now", "The great nation"]

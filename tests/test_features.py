"""Tests for the hand-made span features (repetition cues, length, question mark)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from propscope.model.features import N_FEATURES, N_TOKEN_FEATURES, TOKEN_CUES, span_features, token_features


def others(text: str, fragment: str, occurrence: int = 0, lead: str = "") -> int:
    """Repetition count for the ``occurrence``-th copy of ``fragment`` (optionally with leading text)."""
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.index(fragment, pos + 1)
    start = pos - len(lead)
    f = span_features(text, start, pos + len(fragment))
    n = round(math.expm1(float(f[0])))
    assert f[1] == float(n > 0)
    return n


def test_shape_and_dtype():
    f = span_features("They lied. They lied again.", 0, 9)
    assert f.shape == (N_FEATURES,) and f.dtype == np.float32


def test_counts_other_occurrences_not_the_span_itself():
    text = "War is bad. War is good. The war goes on."
    assert others(text, "War") == 2
    assert others(text, "war") == 2      # the third copy: two others before it


def test_no_repetition():
    text = "Crooked Hillary lost the debate."
    f = span_features(text, 0, 15)
    assert f[0] == 0.0 and f[1] == 0.0


def test_case_insensitive():
    text = "Fake news! FAKE NEWS everywhere, fake news again."
    assert others(text, "Fake news") == 2
    assert others(text, "FAKE NEWS") == 2


def test_whole_words_only():
    text = "war warfare wars postwar swar war."
    assert others(text, "war") == 1     # only the last 'war'; not substrings of longer words


def test_multi_word_fragment():
    text = "Make America great again. They will never make america great again!"
    assert others(text, "Make America great again") == 1
    assert others(text, "America great") == 1


def test_single_character_fragment_is_not_counted():
    text = "I said I would and I did."
    assert others(text, "I") == 0


def test_span_with_surrounding_whitespace_does_not_count_itself():
    # gold spans can start or end with a space; the fragment is stripped before matching
    text = "They lie and lie and lie."
    start = text.index(" lie ")                    # span " lie " with its spaces
    assert text[start:start + 5] == " lie "
    f = span_features(text, start, start + 5)
    assert round(math.expm1(float(f[0]))) == 2
    f = span_features(" war is war", 0, 4)          # " war"
    assert round(math.expm1(float(f[0]))) == 1


def test_lowercasing_that_changes_length_does_not_shift_the_span():
    # 'İ'.lower() is two characters; the span itself must still be recognised
    text = "\u0130stanbul says war. Only war."
    assert others(text, "war") == 1
    assert others(text, "war", occurrence=1) == 1


def test_length_and_question_features():
    text = "Is this really a coincidence? No."
    start, end = 0, text.index("?") + 1
    f = span_features(text, start, end)
    assert f[2] == pytest.approx(math.log1p(5) / 3.0)
    assert f[3] == 1.0
    assert span_features(text, text.index("No"), len(text))[3] == 0.0


def test_whitespace_only_span():
    f = span_features("a   b", 1, 4)
    assert f.tolist() == [0.0, 0.0, 0.0, 0.0]


# -- token cues ------------------------------------------------------------------------------

def cues(text: str, lines: bool = False) -> dict[str, dict[str, float]]:
    """Each word- or punctuation-token's cues by name, keyed by ``token@start``."""
    offsets = np.array([m.span() for m in re.finditer(r"\w+|[^\w\s]", text)], dtype=np.int64).reshape(-1, 2)
    f = token_features(text, offsets, lines)
    assert f.shape == (len(offsets), N_TOKEN_FEATURES) and f.dtype == np.float32
    return {f"{text[s:e]}@{s}": dict(zip(TOKEN_CUES, row.tolist())) for (s, e), row in zip(offsets, f)}


def at(text: str, word: str, occurrence: int = 0) -> str:
    pos = -1
    for _ in range(occurrence + 1):
        pos = text.index(word, pos + 1)
    return f"{word}@{pos}"


def test_content_words_count_copies_before_and_after():
    text = "The war began. The war goes on, and the war will end."
    c = cues(text)
    first, last = c[at(text, "war")], c[at(text, "war", 2)]
    assert first["word before"] == 0 and first["word after"] == pytest.approx(math.log1p(2) / 2)
    assert last["word before"] == pytest.approx(math.log1p(2) / 2) and last["word after"] == 0
    # function words repeat without meaning anything
    assert c[at(text, "the", 0)]["word before"] == 0 and c[at(text, "The", 1)]["word before"] == 0


def test_a_recurring_pair_marks_both_words_and_only_from_the_second_copy_on():
    text = "A witch hunt, they said. This witch hunt must end."
    c = cues(text)
    for word in ("witch", "hunt"):
        assert c[at(text, word)]["pair after"] == 1 and c[at(text, word)]["pair before"] == 0
        assert c[at(text, word, 1)]["pair before"] == 1 and c[at(text, word, 1)]["pair after"] == 0
    assert c[at(text, "This")]["pair before"] == 0
    # a pair of function words is no cue
    text = "Out of the blue. Out of the question."
    assert cues(text)[at(text, "of", 1)]["pair before"] == 0


def test_capitals_inside_a_sentence_and_all_capitals():
    text = "Critics call him Crooked Joe. He said NO to the deal."
    c = cues(text)
    assert c[at(text, "Crooked")]["capitalised"] == 1 and c[at(text, "Joe")]["capitalised"] == 1
    assert c[at(text, "Critics")]["capitalised"] == 0          # the text's first word
    assert c[at(text, "He")]["capitalised"] == 0               # a sentence's first word
    assert c[at(text, "NO")]["capitals"] == 1 and c[at(text, "He")]["capitals"] == 0
    assert c[at(text, "call")]["capitalised"] == 0


def test_quoted_words_and_apostrophes():
    text = "The so-called \u201cexperts\u201d and the 'humiliating' exit. It's Iraq's day."
    c = cues(text)
    assert c[at(text, "experts")]["quoted"] == 1 and c[at(text, "humiliating")]["quoted"] == 1
    assert c[at(text, "Iraq")]["quoted"] == 0 and c[at(text, "day")]["quoted"] == 0
    assert c[at(text, "exit")]["quoted"] == 0


def test_punctuation_tokens_carry_no_word_cues():
    text = "Lies, lies, lies!"
    c = cues(text)
    assert all(v == 0 for v in c[at(text, ",")].values())
    assert c[at(text, "lies", 1)]["word before"] > 0


def test_lines_each_on_their_own():
    text = "Tyranny rises.\nNo tyranny here.\nTyranny again."
    whole, lines = cues(text), cues(text, lines=True)
    assert whole[at(text, "tyranny")]["word before"] > 0
    assert lines[at(text, "tyranny")]["word before"] == 0 and lines[at(text, "tyranny")]["word after"] == 0
    # editing one line leaves every other line's cues as they were
    edited = "Tyranny rises.\nNo tyranny tyranny here at all.\nTyranny again."
    again = cues(edited, lines=True)
    assert again[at(edited, "Tyranny")] == lines[at(text, "Tyranny")]
    assert again[at(edited, "Tyranny", 1)] == lines[at(text, "Tyranny", 1)]


def test_empty_inputs():
    assert token_features("", np.zeros((0, 2), dtype=np.int64)).shape == (0, N_TOKEN_FEATURES)
    assert token_features("...", np.array([[0, 3]])).tolist() == [[0.0] * N_TOKEN_FEATURES]

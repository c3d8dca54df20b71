"""Tests for the hand-made span features (repetition cues, length, question mark)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from propscope.model.features import N_FEATURES, span_features


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

"""CRF tag marginals: forward-backward against every tag sequence summed by hand."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from propscope.model.crf import Transitions

scores = st.floats(-6, 6, allow_nan=False, width=32)


def brute_force(crf: Transitions, logits: np.ndarray) -> np.ndarray:
    """Each tag's probability on each token: the weight of every sequence that puts it there."""
    n, k = logits.shape
    out = np.zeros((n, k))
    for seq in itertools.product(range(k), repeat=n):
        score = crf.start[seq[0]] + crf.end[seq[-1]] + sum(logits[t, s] for t, s in enumerate(seq))
        score += sum(crf.pairs[a, b] for a, b in zip(seq, seq[1:]))
        for t, s in enumerate(seq):
            out[t, s] += np.exp(score)
    return out / out.sum(1, keepdims=True)


@settings(max_examples=60, deadline=None)
@given(logits=st.integers(1, 5).flatmap(lambda n: arrays(np.float32, (n, 3), elements=scores)),
       start=arrays(np.float32, 3, elements=scores), end=arrays(np.float32, 3, elements=scores),
       pairs=arrays(np.float32, (3, 3), elements=scores))
def test_marginals_are_the_share_of_every_sequence_that_puts_the_tag_there(logits, start, end, pairs):
    crf = Transitions(start, end, pairs)
    got = crf.marginals(logits)
    assert got.shape == logits.shape and got.dtype == np.float32
    assert np.allclose(got, brute_force(crf, logits), atol=1e-5)


def test_without_transition_scores_the_marginals_are_each_tokens_softmax():
    logits = np.random.default_rng(0).normal(size=(300, 3)).astype(np.float32) * 5
    zero = np.zeros(3, np.float32)
    soft = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.allclose(Transitions(zero, zero, np.zeros((3, 3), np.float32)).marginals(logits), soft, atol=1e-6)


def test_a_forbidden_transition_gets_no_weight():
    """The first tag must be O and O -> I is scored far below every other pair: the second token
    is never I, however much its own logits favour it; later ones can be."""
    pairs = np.zeros((3, 3), np.float32)
    pairs[0, 2] = -1e4
    start = np.float32([0.0, -1e4, -1e4])
    logits = np.tile(np.float32([[0.0, -1.0, 2.0]]), (6, 1))
    got = Transitions(start, np.zeros(3, np.float32), pairs).marginals(logits)
    assert got[0, 0] == pytest.approx(1.0) and got[1, 2] == pytest.approx(0.0, abs=1e-6)
    assert got[2, 2] > 0.3 and np.allclose(got.sum(1), 1)
    assert Transitions(np.zeros(3), np.zeros(3), pairs).marginals(np.zeros((0, 3))).shape == (0, 3)

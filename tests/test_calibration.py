"""Tests for the Platt-style confidence calibration."""

from __future__ import annotations

import numpy as np
import pytest

from propscope.model.calibration import apply, ece, features, fit

TRUE_COEF = np.array([1.5, -2.0])
TRUE_INTERCEPT = 0.5


def synthetic(n: int = 4000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 2))
    p = 1 / (1 + np.exp(-(x @ TRUE_COEF + TRUE_INTERCEPT)))
    y = (rng.random(n) < p).astype(float)
    return x, y


# ---------------------------------------------------------------- features

def test_features_are_logits():
    f = features(np.array([0.5, 0.9, 0.1]), np.array([0.5, 0.2, 0.8]))
    assert f.shape == (3, 2)
    assert f[0].tolist() == pytest.approx([0.0, 0.0])
    assert f[1, 0] == pytest.approx(np.log(9))
    assert f[2, 0] == pytest.approx(-np.log(9))
    assert f[1, 1] == pytest.approx(-np.log(4))


def test_features_clip_extremes():
    f = features(np.array([0.0, 1.0]), np.array([1.0, 0.0]))
    assert np.isfinite(f).all()
    assert f[0, 0] == pytest.approx(-f[1, 0])
    assert abs(f[0, 0]) == pytest.approx(np.log((1 - 1e-6) / 1e-6))


# ---------------------------------------------------------------- fit / apply

def test_fit_recovers_known_model():
    x, y = synthetic()
    coef, intercept = fit(x, y)
    assert isinstance(coef, list) and len(coef) == 2 and isinstance(intercept, float)
    assert coef == pytest.approx(TRUE_COEF.tolist(), abs=0.3)
    assert intercept == pytest.approx(TRUE_INTERCEPT, abs=0.2)


def test_fit_single_feature_constant_rate():
    # no signal: the intercept alone must match the base rate
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2000, 1))
    y = (rng.random(2000) < 0.2).astype(float)
    coef, intercept = fit(x, y)
    assert abs(coef[0]) < 0.2
    assert 1 / (1 + np.exp(-intercept)) == pytest.approx(y.mean(), abs=0.02)


def test_apply_matches_formula_and_is_a_probability():
    x, y = synthetic(seed=2)
    coef, intercept = fit(x, y)
    p = apply(x, coef, intercept)
    assert p.shape == (len(x),)
    assert ((p > 0) & (p < 1)).all()
    assert p == pytest.approx(1 / (1 + np.exp(-(x @ np.array(coef) + intercept))))
    truth = 1 / (1 + np.exp(-(x @ TRUE_COEF + TRUE_INTERCEPT)))
    assert np.abs(p - truth).mean() < 0.05


def test_apply_on_calibration_features_is_in_open_interval():
    rng = np.random.default_rng(3)
    span_p, tech_p = rng.random(500), rng.random(500)
    p = apply(features(span_p, tech_p), [0.8, 0.6], -0.3)
    assert ((p > 0) & (p < 1)).all()
    # monotone in each raw score when coefficients are positive
    base = apply(features(np.array([0.3]), np.array([0.5])), [0.8, 0.6], -0.3)
    up = apply(features(np.array([0.6]), np.array([0.5])), [0.8, 0.6], -0.3)
    assert up[0] > base[0]


def test_fitted_model_is_well_calibrated():
    x, y = synthetic(seed=4)
    coef, intercept = fit(x, y)
    assert ece(apply(x, coef, intercept), y) < 0.05


# ---------------------------------------------------------------- ece

def test_ece_zero_for_perfect_bins():
    conf = [0.25] * 4 + [0.75] * 4 + [0.55] * 20
    correct = [1, 0, 0, 0] + [1, 1, 1, 0] + [1] * 11 + [0] * 9
    assert ece(conf, correct) == pytest.approx(0.0, abs=1e-12)


def test_ece_hand_computed():
    conf = [0.1, 0.2, 0.9, 0.95]
    correct = [0, 1, 1, 0]
    # bins 1, 2 and 9 (0.9 and 0.95 share it):
    # 1/4*|0.1-0| + 1/4*|0.2-1| + 2/4*|0.925-0.5| = 0.025 + 0.2 + 0.2125
    assert ece(conf, correct) == pytest.approx(0.4375)


def test_ece_confidence_one_goes_in_last_bin():
    assert ece([1.0, 0.95], [1, 1]) == pytest.approx(0.025)
    assert ece([1.0], [0]) == pytest.approx(1.0)


def test_ece_bins_argument():
    # one bin: |mean conf - accuracy|
    assert ece([0.1, 0.9], [0, 0], bins=1) == pytest.approx(0.5)
    # two bins: each item alone
    assert ece([0.1, 0.9], [0, 0], bins=2) == pytest.approx(0.5 * 0.1 + 0.5 * 0.9)


def test_ece_empty():
    assert ece([], []) == 0.0


def test_reliability_bins_count_every_confidence_once():
    import numpy as np

    from propscope.model.calibration import reliability
    conf = np.array([0.05, 0.07, 0.55, 0.95, 1.0])
    right = np.array([0, 1, 1, 1, 0])
    bins = reliability(conf, right)
    assert [(lo, n) for lo, _, n, _, _ in bins] == [(0.0, 2), (0.5, 1), (0.9, 2)]
    assert bins[0][4] == 0.5 and abs(bins[2][3] - 0.975) < 1e-9

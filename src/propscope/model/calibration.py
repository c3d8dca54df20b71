"""Platt-style calibration: a small logistic regression from raw scores to probabilities."""

from __future__ import annotations

import numpy as np


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def features(span_prob: np.ndarray, tech_prob: np.ndarray) -> np.ndarray:
    return np.stack([_logit(np.asarray(span_prob)), _logit(np.asarray(tech_prob))], axis=-1)


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, steps: int = 50) -> tuple[list[float], float]:
    """Logistic regression by Newton's method; returns (coefficients, intercept)."""
    X = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(X.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-X @ w))
        grad = X.T @ (p - y) + l2 * w
        hess = (X * (p * (1 - p))[:, None]).T @ X + l2 * np.eye(X.shape[1])
        w -= np.linalg.solve(hess, grad)
    return [float(v) for v in w[:-1]], float(w[-1])


def apply(x: np.ndarray, coef: list[float], intercept: float) -> np.ndarray:
    z = np.clip(np.asarray(x) @ np.asarray(coef) + intercept, -30.0, 30.0)
    return 1 / (1 + np.exp(-z))


def ece(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over equal-width confidence bins."""
    conf, correct = np.asarray(conf, float), np.asarray(correct, float)
    if len(conf) == 0:
        return 0.0
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            total += sel.sum() / len(conf) * abs(conf[sel].mean() - correct[sel].mean())
    return float(total)


def reliability(conf: np.ndarray, correct: np.ndarray, bins: int = 10) -> list[tuple[float, float, int, float, float]]:
    """Per equal-width bin: (low, high, count, mean confidence, share correct); empty bins left out."""
    conf, correct = np.asarray(conf, float), np.asarray(correct, float)
    idx = np.minimum((conf * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        sel = idx == b
        if sel.any():
            out.append((b / bins, (b + 1) / bins, int(sel.sum()), float(conf[sel].mean()), float(correct[sel].mean())))
    return out

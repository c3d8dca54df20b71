"""Tag probabilities of a linear-chain CRF over O/B/I: each token's marginal, by forward-backward.

A model trained with a CRF layer (``train --crf``) scores a tag sequence by its tokens' tag
logits plus a learned score for each pair of neighbouring tags and for the first and last tag.
The decoder needs one probability per token and tag: the share of all sequences' weight that
puts that tag on that token.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _logsumexp(x: np.ndarray, axis: int) -> np.ndarray:
    top = x.max(axis=axis, keepdims=True)
    return np.squeeze(top, axis) + np.log(np.exp(x - top).sum(axis=axis))


@dataclass(frozen=True)
class Transitions:
    start: np.ndarray    # (tags,) score of each tag on the first token
    end: np.ndarray      # (tags,) on the last
    pairs: np.ndarray    # (tags, tags) score of tag j following tag i

    def marginals(self, logits: np.ndarray) -> np.ndarray:
        """(tokens, tags) probabilities of each tag on each token of one sequence of tag logits."""
        n = len(logits)
        if n == 0:
            return np.zeros_like(logits)
        alpha = np.empty_like(logits, dtype=np.float64)
        beta = np.empty_like(logits, dtype=np.float64)
        alpha[0] = self.start + logits[0]
        for t in range(1, n):
            alpha[t] = _logsumexp(alpha[t - 1][:, None] + self.pairs, 0) + logits[t]
        beta[-1] = self.end
        for t in range(n - 2, -1, -1):
            beta[t] = _logsumexp(self.pairs + (logits[t + 1] + beta[t + 1])[None, :], 1)
        joint = alpha + beta
        return np.exp(joint - _logsumexp(joint, 1)[:, None]).astype(np.float32)

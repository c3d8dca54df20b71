"""Counterfactual augmentation: train on copies of articles with the named sides swapped.

A share of the training articles is replaced by a copy with the sides of one pair it names
swapped (US <-> China, Putin <-> Zelensky, ...), gold spans moved with the text, so the model
cannot learn that one side's names go with propaganda. Pairs from ``hold_out`` divides are
never used here, so the neutrality audit can also be read on divides training never saw.
"""

from __future__ import annotations

import random

from ..audit.pairs import PairList
from ..audit.swap import swapper
from ..spans import Span
from .data import Article


def swapped_copies(articles: list[Article], pairs: PairList, share: float, seed: int,
                   hold_out: tuple[str, ...] = ()) -> tuple[list[Article], int]:
    """The articles with ``share`` of those naming a pair replaced by a swapped copy; and how many."""
    rng = random.Random(seed)
    swappers = [(p, swapper(p, pairs.keep)) for p in pairs.pairs if p.divide not in hold_out]
    out, replaced = [], 0
    for art in articles:
        if rng.random() >= share:
            out.append(art)
            continue
        options = [(p, copy) for p, swap in swappers if (copy := swap(art.text)).replacements]
        if not options:
            out.append(art)
            continue
        _, swapped = rng.choice(options)
        spans = []
        for span in art.spans:
            start, end = swapped.to_copy(span.start, span.end)
            spans.append(Span(span.article_id, start, end, span.technique, span.confidence))
        out.append(Article(art.article_id, swapped.text, tuple(spans)))
        replaced += 1
    return out, replaced

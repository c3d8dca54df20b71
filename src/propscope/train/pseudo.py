"""Self-training: label unlabelled articles with a trained model, to train the next one on.

Every fragment the teacher finds teaches the tagger; only those whose technique it is
confident of teach the span classifier (the others carry an empty technique).
"""

from __future__ import annotations

from pathlib import Path

from ..model.detector import Detector
from ..spans import Span
from ..text.read import article_files, article_id, read_article
from .data import Article


def pseudo_label(folder: str | Path, teacher: str | Path, min_confidence: float) -> list[Article]:
    det = Detector(teacher)
    out = []
    for path in article_files([folder]):
        text = read_article(path)
        aid = "pseudo-" + article_id(path)
        best: dict[tuple[int, int], Span] = {}
        for s in det.detect(text, aid):     # one fragment, one technique: the most confident
            if (s.start, s.end) not in best or s.confidence > best[(s.start, s.end)].confidence:
                best[(s.start, s.end)] = s
        spans = tuple(sorted(s if s.confidence >= min_confidence else s.with_technique("")
                             for s in best.values()))
        out.append(Article(aid, text, spans))
    return out

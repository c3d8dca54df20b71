"""Read a labelled split laid out like the PTC release, and cut it into folds."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..scoring import read_semeval
from ..spans import Span
from ..text.read import article_id, read_article


@dataclass(frozen=True)
class Article:
    article_id: str
    text: str
    spans: tuple[Span, ...]   # gold technique spans


def load_split(root: str | Path) -> list[Article]:
    """Articles under ``root/articles`` with gold from ``root/*-labels-task-flc-tc/`` files."""
    root = Path(root)
    gold: dict[str, list[Span]] = defaultdict(list)
    label_dir = next(iter(sorted(root.glob("*labels-task-flc-tc"))), None)
    if label_dir is not None:
        for path in sorted(label_dir.glob("*.labels")):
            for span in read_semeval(path):
                gold[span.article_id].append(span)
    else:
        for path in sorted(root.glob("*task-flc-tc.labels")):
            for span in read_semeval(path):
                gold[span.article_id].append(span)
    articles = []
    for path in sorted((root / "articles").glob("article*.txt")):
        aid = article_id(path)
        articles.append(Article(aid, read_article(path), tuple(sorted(gold.get(aid, ())))))
    if not articles:
        raise FileNotFoundError(f"no article*.txt files under {root / 'articles'}")
    return articles


def fold_of(article_id: str, n_folds: int) -> int:
    """A stable fold number from the article id (the same on every machine)."""
    return int(hashlib.sha256(article_id.encode()).hexdigest(), 16) % n_folds


def split(articles: list[Article], fold: int, n_folds: int) -> tuple[list[Article], list[Article]]:
    train = [a for a in articles if fold_of(a.article_id, n_folds) != fold]
    held = [a for a in articles if fold_of(a.article_id, n_folds) == fold]
    return train, held


def data_hash(articles: list[Article]) -> str:
    h = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.article_id):
        h.update(a.article_id.encode())
        h.update(a.text.encode())
        for s in a.spans:
            h.update(f"{s.technique}\t{s.start}\t{s.end}\n".encode())
    return h.hexdigest()


def load_semeval2021(folder: str | Path) -> list[Article]:
    """Meme texts with spans (SemEval-2021 Task 6, subtask 2 files), mapped to PTC techniques.

    Techniques without a PTC counterpart keep their fragment with an empty technique.
    """
    import json

    from ..techniques import FROM_SEMEVAL2021
    out, seen = [], set()
    for path in sorted(Path(folder).glob("*_task2.txt")):
        for rec in json.loads(path.read_text(encoding="utf-8")):
            if rec["text"] in seen:      # one meme is in two splits
                continue
            seen.add(rec["text"])
            aid = f"meme-{rec['id']}"
            spans = tuple(sorted({Span(aid, lab["start"], lab["end"], FROM_SEMEVAL2021[lab["technique"]] or "")
                                  for lab in rec["labels"] if lab["end"] > lab["start"]}))
            out.append(Article(aid, rec["text"], spans))
    return out

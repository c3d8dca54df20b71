"""Read a labelled split laid out like the PTC release, and cut it into folds."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from .. import errors
from ..scoring import read_semeval
from ..spans import Span
from ..techniques import NAMES
from ..text.read import article_id, read_article


@dataclass(frozen=True)
class Article:
    article_id: str
    text: str
    spans: tuple[Span, ...]   # gold technique spans


def load_split(root: str | Path) -> list[Article]:
    """Articles under ``root/articles`` with gold from ``root/*-labels-task-flc-tc/`` files."""
    root = Path(root)
    label_dir = next(iter(sorted(p for p in root.glob("*labels-task-flc-tc") if p.is_dir())), None)
    label_files = sorted(label_dir.glob("*.labels")) if label_dir else sorted(root.glob("*task-flc-tc.labels"))
    paths = sorted((root / "articles").glob("article*.txt"))
    if not paths:
        raise errors.bad_split(root, "no articles/article*.txt files; a labelled split is laid out like "
                                     "PTC's train/: articles/ and a *-labels-task-flc-tc/ folder")
    if not label_files:
        raise errors.bad_split(root, f"no labels ({label_dir.name}/ holds no .labels files)" if label_dir else
                               "no labels (a *-labels-task-flc-tc/ folder or *task-flc-tc.labels file)")
    gold: dict[str, list[Span]] = defaultdict(list)
    where: dict[tuple, str] = {}            # each gold line's place, to name a repeated or misplaced one
    for path in label_files:
        try:
            spans = read_semeval(path)
        except UnicodeDecodeError as exc:
            raise errors.not_utf8(path, exc.start) from None
        except ValueError as exc:               # names the file and line
            raise errors.InputError(str(exc)) from None
        except OSError as exc:
            raise errors.unreadable(path, exc.strerror or str(exc)) from None
        for span in spans:
            if span.technique not in NAMES:       # gold that could never be matched would lower every score
                raise errors.InputError(f"{path}: article {span.article_id} {span.start}-{span.end}: "
                                        f"{span.technique or 'no technique'!r} is not one of the 14 techniques "
                                        "(lines are id, technique, start, end)")
            key = (span.article_id, span.technique, span.start, span.end)
            if key in where:     # the labels read twice (PTC ships them in a folder and in one file): TC would halve
                raise errors.InputError(f"{path}: article {span.article_id} {span.technique} {span.start}-{span.end} "
                                        f"is labelled twice (also in {where[key]}); give each label once")
            where[key] = str(path)
            gold[span.article_id].append(span)
    articles = []
    for path in paths:
        aid = article_id(path)
        text = read_article(path)
        if "\r" in text:         # a checkout or editor that made the line ends CRLF: every offset after moves
            raise errors.bad_split(root, f"article {aid} has Windows line endings (\\r\\n), and PTC offsets count "
                                         "a line end as one character, so its gold spans would point at other "
                                         "text; convert the articles back (dos2unix, or git's core.autocrlf false)")
        spans = tuple(sorted(gold.pop(aid, ())))
        if past := [s for s in spans if s.end > len(text)]:
            s = past[0]
            raise errors.bad_split(root, f"the gold span {s.technique} {s.start}-{s.end} of article {aid} (in "
                                         f"{where[(aid, s.technique, s.start, s.end)]}) ends past its {len(text):,} characters")
        articles.append(Article(aid, text, spans))
    if gold:
        raise errors.bad_split(root, f"labels name article {min(gold)}, which is not under articles/")
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

    paths = sorted(Path(folder).glob("*_task2.txt"))
    if not paths:
        raise errors.InputError(f"{folder}: no *_task2.txt files (SemEval-2021 Task 6's subtask 2 files, "
                                "e.g. training_set_task2.txt)")
    out, seen = [], set()
    for path in paths:
        try:
            records = json.loads(read_article(path, max_chars=1 << 40))
            for rec in records:
                if rec["text"] in seen:      # one meme is in two splits
                    continue
                seen.add(rec["text"])
                aid = f"meme-{rec['id']}"
                spans = tuple(sorted({Span(aid, lab["start"], lab["end"], _semeval2021_name(lab["technique"]))
                                      for lab in rec["labels"] if lab["end"] > lab["start"]}))
                if any(sp.end > len(rec["text"]) for sp in spans):
                    raise ValueError(f"a span of meme {rec['id']} ends past its text")
                out.append(Article(aid, rec["text"], spans))
        except json.JSONDecodeError as exc:
            raise errors.InputError(f"{path}: not valid JSON ({exc.msg}, line {exc.lineno})") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise errors.InputError(f"{path}: not a SemEval-2021 Task 6 subtask 2 file ({exc}); each record "
                                    "needs id, text and labels of start, end and technique") from None
    return out


def _semeval2021_name(technique: str) -> str:
    """The PTC name of a SemEval-2021 technique; "" for one without a PTC counterpart."""
    from ..techniques import FROM_SEMEVAL2021
    if technique not in FROM_SEMEVAL2021:
        raise ValueError(f"unknown technique {technique!r}")
    return FROM_SEMEVAL2021[technique] or ""

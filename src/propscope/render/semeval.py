"""The SemEval-2020 Task 11 TSV: ``<id>\\t<technique>\\t<start>\\t<end>``, end exclusive."""

from __future__ import annotations

import unicodedata
from typing import Iterable

from ..errors import InputError
from ..spans import Span


def lines(spans: Iterable[Span]) -> str:
    """The spans as TSV lines (their ids checked by ``check_id``)."""
    return "".join(f"{check_id(s.article_id)}\t{s.technique}\t{s.start}\t{s.end}\n" for s in spans)


def check_id(article_id: str) -> str:
    """``article_id``, or an InputError if it holds a tab, line break or other control character (a
    file's name may): it would split its line."""
    if any(unicodedata.category(c) == "Cc" for c in article_id):
        raise InputError(f"the article id {article_id!r} holds a tab, line break or other control "
                         "character, which would split a SemEval line; rename its file")
    return article_id

"""The SemEval-2020 Task 11 TSV: ``<id>\\t<technique>\\t<start>\\t<end>``, end exclusive."""

from __future__ import annotations

import unicodedata
from typing import Iterable

from ..errors import InputError
from ..spans import Span


def lines(spans: Iterable[Span]) -> str:
    """The spans as TSV lines; an article id holding a tab, line break or other control character (a
    file's name, say) is refused: it would split its line."""
    out = []
    for s in spans:
        if any(unicodedata.category(c) == "Cc" for c in s.article_id):
            raise InputError(f"the article id {s.article_id!r} holds a tab, line break or other control "
                             "character, which would split a SemEval line; rename its file")
        out.append(f"{s.article_id}\t{s.technique}\t{s.start}\t{s.end}\n")
    return "".join(out)

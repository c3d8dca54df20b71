"""The SemEval-2020 Task 11 TSV: ``<id>\\t<technique>\\t<start>\\t<end>``, end exclusive."""

from __future__ import annotations

from typing import Iterable

from ..spans import Span


def lines(spans: Iterable[Span]) -> str:
    return "".join(f"{s.article_id}\t{s.technique}\t{s.start}\t{s.end}\n" for s in spans)

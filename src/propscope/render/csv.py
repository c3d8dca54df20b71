"""One CSV row per span, with the fragment's text, for spreadsheets."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from ..spans import Analysis
from ..techniques import BY_NAME

HEADER = ("id", "source", "start", "end", "technique", "label", "confidence", "fragment")


def rows(analyses: Iterable[Analysis], header: bool = True) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    if header:
        writer.writerow(HEADER)
    for a in analyses:
        for s in a.spans:
            writer.writerow((text_cell(a.article_id), text_cell(a.source or ""), s.start, s.end, s.technique,
                             BY_NAME[s.technique].label, f"{s.confidence:.4f}", text_cell(a.fragment(s))))
    return buffer.getvalue()


def text_cell(cell):
    """Article text, ids, sources and metadata are untrusted: keep a spreadsheet from reading a text
    cell as a formula (a leading ' that a spreadsheet hides; the offsets still count from the fragment
    without it). Anything but a string is returned as it is."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return cell

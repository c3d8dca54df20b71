"""Export the corpus: CSV (one row per span, with its article's metadata), JSON Lines and
Parquet (one record per article: metadata, text, and its spans as a list).

Articles are read a page at a time, so a corpus of any size streams through. A file is written
under a temporary name and renamed when complete: a failed export never leaves half a file.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ..errors import InputError, PropscopeError
from ..output import atomic
from ..render.csv import text_cell
from ..spans import Span
from .store import ARTICLE_COLUMNS, Article, Filter, Store

FORMATS = ("csv", "jsonl", "parquet")
CSV_COLUMNS = ("article", *ARTICLE_COLUMNS, "model", "start", "end", "technique", "confidence", "fragment")
PARQUET_ROWS = 1000      # articles per row group


def records(store: Store, model: str, where: Filter = Filter()) -> Iterator[dict]:
    """One dict per article: its key, metadata, text, words, the model and its spans (None when
    the model has not analysed it)."""
    for article, spans in store.articles(model, where):
        yield {"article": article.pk, **{c: getattr(article, c) for c in ARTICLE_COLUMNS},
               "words": article.words, "text": article.text, "model": model if spans is not None else None,
               "spans": None if spans is None else [_span(article, s) for s in spans]}


def _span(article: Article, s: Span) -> dict:
    return {"start": s.start, "end": s.end, "technique": s.technique, "confidence": s.confidence,
            "fragment": article.text[s.start:s.end]}


def export(store: Store, fmt: str, output: str | Path | None, *, model: str, where: Filter = Filter(),
           stdout: IO[str] | None = None) -> int:
    """Write the articles ``where`` selects, with ``model``'s spans, to ``output`` (or to
    ``stdout`` for CSV and JSON Lines); the number of articles written."""
    if fmt not in FORMATS:
        raise InputError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt == "parquet":
        if output is None:
            raise InputError("Parquet is written to a file: give one with -o")
        return _parquet(records(store, model, where), Path(output))
    write = _csv if fmt == "csv" else _jsonl
    if output is None:
        return write(records(store, model, where), stdout)
    with atomic(Path(output), "w") as f:
        return write(records(store, model, where), f)


def _csv(rows: Iterator[dict], f: IO[str]) -> int:
    writer = csv.writer(f, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    n = 0
    for n, r in enumerate(rows, 1):
        head = [text_cell(v) for v in (r["article"], *(r[c] for c in ARTICLE_COLUMNS), r["model"])]
        if not r["spans"]:      # an article without spans still gets a row: empty span columns
            writer.writerow(head + [""] * 5)
        for s in r["spans"] or ():
            writer.writerow(head + [s["start"], s["end"], s["technique"], s["confidence"], text_cell(s["fragment"])])
    return n


def _jsonl(rows: Iterator[dict], f: IO[str]) -> int:
    n = 0
    for n, r in enumerate(rows, 1):
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
    return n


def _schema():
    try:
        import pyarrow as pa
    except ImportError:
        raise PropscopeError("Parquet export needs the corpus extra: pip install 'propscope[corpus]'") from None
    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("technique", pa.string()),
                      ("confidence", pa.float64()), ("fragment", pa.string())])
    return pa.schema([("article", pa.int64()), *((c, pa.string()) for c in ARTICLE_COLUMNS),
                      ("words", pa.int64()), ("text", pa.string()), ("model", pa.string()),
                      ("spans", pa.list_(span))])


def _parquet(rows: Iterator[dict], path: Path) -> int:
    schema = _schema()
    import pyarrow as pa
    import pyarrow.parquet as pq
    n, chunk = 0, []
    with atomic(path, "wb") as f:
        writer = pq.ParquetWriter(f, schema, compression="zstd")
        try:
            for r in rows:
                chunk.append(r)
                n += 1
                if len(chunk) >= PARQUET_ROWS:
                    writer.write_table(pa.Table.from_pylist(chunk, schema))
                    chunk = []
            if chunk or n == 0:
                writer.write_table(pa.Table.from_pylist(chunk, schema))
        finally:            # closed before the file is, whatever stopped the rows
            writer.close()
    return n



"""Ingest: put articles from any sources into the store, then analyse every stored article the
current model has not analysed yet.

Safe to kill at any moment and to run again: articles are stored in small transactions and
deduplicated by their text, pages already stored are not fetched again, and each article's
analysis is committed whole, so a rerun finishes the work without redoing or doubling any.
``propscope ingest`` is the command line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Protocol

from ..errors import PropscopeError
from ..inputs import Options
from ..spans import Span
from . import sources as sources_
from .store import Article, Store

BATCH = 32            # articles per transaction while storing


class Analyser(Protocol):
    """What ingest needs of a model: its version and spans for a stream of (id, text)."""

    version: str

    def detect_many(self, articles: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[Span]]]: ...


Progress = Callable[[str, int, int | None], None]      # (stage, done, total or None)


@dataclass
class Report:
    added: int = 0           # new articles stored
    duplicates: int = 0      # texts already stored
    skipped: int = 0         # pages already stored, not fetched again
    analysed: int = 0        # articles analysed by this run
    model: str = ""
    failed: list[tuple[str, str]] = field(default_factory=list)   # (item, message)

    def summary(self) -> str:
        parts = [f"{self.added} articles added", f"{self.duplicates} duplicates",
                 f"{self.analysed} analysed by model {self.model}" if self.model else "not analysed"]
        if self.skipped:
            parts.insert(2, f"{self.skipped} already stored")
        if self.failed:
            parts.append(f"{len(self.failed)} failed")
        return ", ".join(parts)


def ingest(store: Store, sources: list[str], options: Options = Options(), *, outlet: str | None = None,
           analyser: Analyser | None = None, analyse_after: bool = True,
           progress: Progress | None = None) -> Report:
    """Store the articles of ``sources``, then analyse what the model has not (unless told not to).

    ``outlet`` names the outlet of articles whose source does not (plain text files, say)."""
    report = Report()
    add(store, sources, options, report, outlet=outlet, progress=progress)
    if analyse_after:
        analyse(store, analyser, report, progress=progress)
    return report


def add(store: Store, sources: list[str], options: Options, report: Report, *, outlet: str | None = None,
        progress: Progress | None = None) -> None:
    batch: list[Article] = []

    def flush():
        keys = store.add(batch)
        report.added += sum(k is not None for k in keys)
        report.duplicates += sum(k is None for k in keys)
        batch.clear()

    done = 0
    for item in sources_.expand(sources, options, known=store.has_source):
        done += 1
        if item.remote and store.has_source(item.name):
            report.skipped += 1
            continue
        try:
            article = item.load()
        except PropscopeError as exc:
            report.failed.append((item.name, str(exc)))
            continue
        # a page that names no outlet, nor --outlet: its host
        batch.append(replace(article, outlet=article.outlet or outlet or sources_.host_of(article.url)))
        if len(batch) >= BATCH or item.remote:     # a fetched page is stored at once: no refetch after a crash
            flush()
        if progress:
            progress("storing", done, None)
    if batch:
        flush()


def analyse(store: Store, analyser: Analyser | None = None, report: Report | None = None, *,
            progress: Progress | None = None) -> Report:
    """Analyse every stored article ``analyser`` (default: the bundled model) has not, one
    committed analysis per article."""
    if analyser is None:
        from ..engine import detector
        analyser = detector()
    report = report or Report()
    report.model = analyser.version
    total = store.count_pending(analyser.version)
    # from a random article on, each one checked just before it is read: a second run at once (an
    # hourly ingest that overran) analyses other articles, not the same ones in step
    pending = ((str(pk), text) for pk, text in store.pending(analyser.version, start=store.some_pending(analyser.version))
               if not store.analysed(pk, analyser.version))
    for key, spans in analyser.detect_many(pending):
        if store.save_analysis(int(key), analyser.version, spans):
            report.analysed += 1
        if progress:
            progress("analysing", report.analysed, total)
    return report

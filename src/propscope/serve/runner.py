"""Analyses off the event loop: pages are fetched on a small thread pool, and text and HTML
parsed on another (so slow sites cannot hold up pasted articles), and the
model runs on one thread per process (onnxruntime spreads each call over its own threads),
with a deadline for each request and a bounded wait for the model (``admission``)."""

from __future__ import annotations

import asyncio
import functools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from .. import engine
from ..inputs import Document, Options
from ..model.detector import Detector
from ..spans import Analysis
from ..techniques import lookup
from . import problems
from .admission import Admission
from .config import ServeConfig
from .documents import document
from .models import AnalyzeRequest

T = TypeVar("T")
PAGE_THREADS = 8


class Runner:
    def __init__(self, config: ServeConfig):
        self.config = config
        self.held = 0           # requests in this process, any stage
        self.admission = Admission(config.queue, config.timeout)
        self._model = ThreadPoolExecutor(1, thread_name_prefix="propscope-model")
        self._pages = ThreadPoolExecutor(PAGE_THREADS, thread_name_prefix="propscope-pages")
        self._fetches = ThreadPoolExecutor(PAGE_THREADS, thread_name_prefix="propscope-fetches")
        # the corpus's statistics and charts on threads of their own: a store locked by another
        # program held all the pages' threads, and analyses of pasted pages waited behind them
        self._corpus = ThreadPoolExecutor(2, thread_name_prefix="propscope-corpus")

    async def start(self) -> Detector:
        """Load the model before the first request."""
        return await self._on(self._model, engine.detector)

    def close(self) -> None:
        self._model.shutdown(wait=False, cancel_futures=True)
        self._pages.shutdown(wait=False, cancel_futures=True)
        self._fetches.shutdown(wait=False, cancel_futures=True)
        self._corpus.shutdown(wait=False, cancel_futures=True)

    async def analyze(self, request: AnalyzeRequest) -> Analysis:
        """The request's analysis, or an ApiError: busy (429), too long (413), late (504)."""
        if self.held >= self.config.queue + 1 + 2 * PAGE_THREADS:     # the model's, the pages' and the fetches' work
            raise problems.busy(self.config.queue, self.admission.retry_after())
        self.held += 1
        deadline = time.monotonic() + self.config.timeout
        try:
            return await asyncio.wait_for(self._analyze(request, deadline), self.config.timeout)
        except asyncio.TimeoutError:
            raise problems.timeout(self.config.timeout) from None
        finally:
            self.held -= 1

    async def corpus(self, func: Callable[..., T], *args) -> T:
        """Read the corpus off the event loop, within the time limit (504 past it; a store locked
        by another program would hold the request as long as the lock)."""
        try:
            return await asyncio.wait_for(self._on(self._corpus, func, *args), self.config.timeout)
        except asyncio.TimeoutError:
            raise problems.corpus_timeout(self.config.timeout) from None

    async def render(self, func: Callable[..., T], *args) -> T:
        """Run slow work other than the model (the HTML report, corpus statistics, charts) off the
        event loop."""
        return await self._on(self._pages, func, *args)

    async def _analyze(self, request: AnalyzeRequest, deadline: float) -> Analysis:
        keep = _techniques(request.techniques)
        limit = self.config.max_chars
        if request.text is not None and len(request.text) > limit:
            raise problems.text_too_long(len(request.text), limit)
        options = Options(allow_private=self.config.allow_private, any_language=request.any_language)
        doc = await self._on(self._fetches if request.url is not None else self._pages, functools.partial(
            document, text=request.text, html=request.html, url=request.url, options=options))
        if len(doc.text) > limit:
            raise problems.text_too_long(len(doc.text), limit)
        if request.text is not None:        # described by an earlier answer, as the page sends it back
            doc = Document(doc.text, request.id if request.id is not None else doc.id,
                           request.source if request.source is not None else doc.source,
                           {**doc.meta, **(request.meta or {})})
        with self.admission.enter(len(doc.text), deadline) as work:
            return await self._on(self._model, self._timed, work, functools.partial(
                engine.analyze, doc.text, article_id=doc.id, source=doc.source, meta=doc.meta,
                threshold=request.threshold, techniques=keep, sensitive=request.sensitive,
                blind_names=request.blind_names))

    def _timed(self, work: int, func: Callable[[], T]) -> T:
        t0 = time.perf_counter()
        try:
            return func()
        finally:
            self.admission.observe(work, time.perf_counter() - t0)

    @staticmethod
    async def _on(pool: ThreadPoolExecutor, func: Callable[..., T], *args) -> T:
        # a cancelled wait (the deadline) drops work still queued; running work finishes unseen
        return await asyncio.get_running_loop().run_in_executor(pool, func, *args)


def _techniques(given: list[str] | None) -> list[str] | None:
    if given is None:
        return None
    names = []
    for name in given:
        try:
            names.append(lookup(name).name)
        except KeyError:
            raise problems.unknown_technique(name) from None
    return names

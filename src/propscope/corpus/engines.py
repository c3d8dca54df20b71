"""Where batch workers run: processes on this machine (``local``), or actors of a Ray cluster
(``ray``, the ``cluster`` extra). Each engine takes the parts still to write, starts
``workers`` workers that each load the model once, and yields each part's number of articles,
and the errors of those that failed, as it is written. Workers write their parts themselves, so the output folder must be one that
every worker can reach (on a cluster: shared storage)."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict

from .. import errors, settings
from ..errors import PropscopeError
from .batch import Part, Worker


def local(parts: list[Part], worker: dict, *, workers: int = 1, threads: int | None = None,
          address: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """A pool of ``workers`` processes; by default the cores are shared out among them.

    When a part fails, or the caller stops, the parts not started are dropped and those running
    are let finish (each is written whole, or not at all); a Ctrl-C in a terminal reaches the
    workers too, and their parts in progress are dropped, as in a kill, for the next run to
    write. The workers are never killed mid-part: ``multiprocessing.Pool.terminate`` can kill one
    while it holds the lock of the result queue, and then waits on that lock for ever
    (python/cpython#96995); it did so here, in tests."""
    threads = threads or settings.get_int("threads") or max(1, (os.cpu_count() or 1) // workers)
    context = multiprocessing.get_context("spawn")
    with _CtrlC() as ctrl_c:
        pool = None
        try:
            stop = context.Event()
            pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                                       initargs=({**worker, "threads": threads}, stop, ctrl_c.taken))
            with ctrl_c.ignored():          # the first parts start the workers
                futures = [pool.submit(_analyse, part) for part in parts[:workers]]
            futures += [pool.submit(_analyse, part) for part in parts[workers:]]
            finished: queue.SimpleQueue = queue.SimpleQueue()
            for future in futures:          # each part as it is done, at no cost per part waiting
                future.add_done_callback(finished.put)
            for _ in futures:
                done = None
                while done is None:
                    ctrl_c.check()
                    try:
                        done = finished.get(timeout=0.1)
                    except queue.Empty:
                        pass
                try:
                    yield done.result()
                except BrokenProcessPool:
                    raise PropscopeError("a worker process died (killed, perhaps for want of memory); the parts "
                                         "written are kept: run the same command again to write the rest") from None
        finally:
            if pool is not None:
                stop.set()      # the parts already handed to a worker's queue, which cancel_futures cannot reach
                _shut(pool)


class _CtrlC:
    """While a run is on, a Ctrl-C in this process is noted, and handed to the handler it was meant for
    (Python's, which raises KeyboardInterrupt, or the caller's own) where the run can stop, rather than
    wherever it lands: raised inside the pool's own locks and pipes it broke them (its manager thread
    failed on a closed pipe, a lock was released twice, or the command waited for ever on workers left
    waiting for work). Workers take a terminal's Ctrl-C themselves (``_on_interrupt``) when the run
    stops at it as Python would (``taken``); a run whose caller ignores Ctrl-C (a shell's background
    job) or handles it itself leaves that to the caller."""

    def __init__(self):
        self.pressed = False
        self.before = None          # the handler to put back and hand Ctrl-C to; None: left as it was
        self.noting = self._note    # one bound method, to know it when it is found installed

    @property
    def taken(self) -> bool:
        return self.before is signal.default_int_handler

    def __enter__(self) -> _CtrlC:
        if threading.current_thread() is threading.main_thread() and callable(signal.getsignal(signal.SIGINT)):
            self.before = signal.signal(signal.SIGINT, self.noting)
        return self

    def __exit__(self, kind, *exc) -> None:
        if self.before is None:
            return
        try:
            if kind is None:
                self.check()        # one that came as the last part was done
        finally:                    # after the check, which may have put another handler in its place
            signal.signal(signal.SIGINT, self.before)

    def _note(self, signum, frame) -> None:
        self.pressed = True

    def check(self) -> None:
        """Hand a Ctrl-C noted since the last check to its handler (which may raise, or put another
        handler in its place: "press again to quit"; that one is then the caller's)."""
        if self.pressed and callable(self.before):
            self.pressed = False
            try:
                self.before(signal.SIGINT, None)
            finally:
                now = signal.getsignal(signal.SIGINT)
                if now is not self.noting:
                    self.before = now
                    if callable(now):
                        signal.signal(signal.SIGINT, self.noting)

    @staticmethod
    @contextmanager
    def ignored():
        """Ignored outright while workers are started (a few milliseconds): they inherit that (a handler
        they would not), and take Ctrl-C from ``_start`` on if the run takes it, rather than die of it
        half imported, printing tracebacks."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        before = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, before)


def _shut(pool: ProcessPoolExecutor) -> None:
    """Shut the pool, and end any worker still waiting for work after it (none should be)."""
    workers = list((pool._processes or {}).values())
    pool.shutdown(wait=True, cancel_futures=True)
    for worker in workers:
        worker.join(10)
        if worker.is_alive():           # no part of its own: it only waits on its queue
            worker.kill()
            worker.join()


_worker: Worker | None = None
_failed: PropscopeError | None = None
_stop = None                # the run's: set when it ends or stops
_interrupted = False        # this worker was: it starts no other part
_busy = False               # analysing a part: a Ctrl-C stops it there


def _start(worker: dict, stop, take_ctrl_c: bool = False) -> None:
    global _worker, _failed, _stop
    _stop = stop
    if take_ctrl_c:
        signal.signal(signal.SIGINT, _on_interrupt)     # ignored until now (``_CtrlC.ignored``)
    threading.Thread(target=_orphaned, args=(os.getppid(),), daemon=True).start()
    try:
        _worker = Worker(**worker)
    except PropscopeError as exc:      # raised by the first part, as the error it is (a failing initializer breaks the pool)
        _failed = exc


def _orphaned(parent: int) -> None:
    """End this worker when the run that started it is gone (killed with SIGKILL, it cannot say so):
    it would wait on its pipe for ever."""
    while os.getppid() == parent:
        time.sleep(1)
    os._exit(1)


def _on_interrupt(signum, frame) -> None:
    """A Ctrl-C stops the part being analysed (dropped whole, for the next run), and only that: one
    landing while the worker reads its queue killed it holding the queue's lock, and the other
    workers, and the run, waited on it for ever (a second Ctrl-C did it every time)."""
    global _interrupted
    _interrupted = True
    if _busy:
        raise KeyboardInterrupt


def _analyse(part: Part) -> tuple[int, list[str]]:
    global _busy
    if _interrupted or (_stop is not None and _stop.is_set()):
        raise KeyboardInterrupt            # the run is ending: no new part
    if _worker is None:
        raise _failed or PropscopeError("the worker did not start")
    _busy = True
    try:
        return _worker(part)
    finally:
        _busy = False


def ray(parts: list[Part], worker: dict, *, workers: int = 1, threads: int | None = None,
        address: str | None = None) -> Iterator[tuple[int, list[str]]]:
    """A Ray Data pool of ``workers`` actors, each reserving ``threads`` CPUs (default 1) for its
    inference threads; on the cluster at ``address``, else on a Ray started here for the run."""
    try:
        import ray
        import ray.data
    except ImportError:
        raise PropscopeError("--engine ray needs the cluster extra: pip install 'propscope[cluster]'") from None
    threads = threads or settings.get_int("threads") or 1
    started = _connect(ray, address, cpus=workers * threads)
    try:
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False          # the command line shows its own
        logging.getLogger("ray.data").setLevel(logging.ERROR)
        items = [{"part": json.dumps(asdict(p))} for p in parts]
        dataset = ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
            _RayWorker, batch_size=1, compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=threads,
            fn_constructor_kwargs={**worker, "threads": threads})
        for row in dataset.iter_rows():
            if row["error"]:                        # Ray keeps only the text of a worker's exception
                raise getattr(errors, row["error"], PropscopeError)(row["message"])
            yield int(row["articles"]), json.loads(row["failures"])
    finally:
        if started:
            ray.shutdown()


def _connect(ray, address: str | None, cpus: int) -> bool:
    """Connect to Ray unless already connected; True when this call did (and must disconnect)."""
    if ray.is_initialized():
        return False
    quiet = {"logging_level": logging.ERROR, "log_to_driver": False}
    try:
        if address:
            ray.init(address=address, **quiet)
        else:
            ray.init(num_cpus=max(os.cpu_count() or 1, cpus), include_dashboard=False, **quiet)
    except ConnectionError as exc:
        raise PropscopeError(f"cannot connect to the Ray cluster at {address} ({exc}); "
                             "check the address, and that `ray start --head` runs there") from None
    return True


class _RayWorker:
    """A Ray actor's worker: the model loaded once; a batch is one part."""

    def __init__(self, **worker):
        self.worker, self.failed = None, None
        try:
            self.worker = Worker(**worker)
        except PropscopeError as exc:           # raised by the first part, as data
            self.failed = exc

    def __call__(self, batch: dict) -> dict:
        (part,) = batch["part"]
        try:
            if self.failed:
                raise self.failed
            articles, failures = self.worker(Part(**json.loads(part)))
            return {"articles": [articles], "failures": [json.dumps(failures)], "error": [""], "message": [""]}
        except PropscopeError as exc:           # passed back as data, to be raised again as itself
            return {"articles": [0], "failures": ["[]"], "error": [type(exc).__name__], "message": [str(exc)]}


ENGINES = {"local": local, "ray": ray}

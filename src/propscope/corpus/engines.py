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
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
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
    stop = context.Event()
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start,
                               initargs=({**worker, "threads": threads}, stop))
    try:
        for done in as_completed([pool.submit(_analyse, part) for part in parts]):
            yield done.result()
    finally:
        stop.set()          # the parts already handed to a worker's queue, which cancel_futures cannot reach
        pool.shutdown(wait=True, cancel_futures=True)


_worker: Worker | None = None
_failed: PropscopeError | None = None
_stop = None                # the run's: set when it ends or stops
_interrupted = False        # this worker was: it starts no other part


def _start(worker: dict, stop) -> None:
    global _worker, _failed, _stop
    _stop = stop
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


def _analyse(part: Part) -> tuple[int, list[str]]:
    global _interrupted
    if _interrupted or (_stop is not None and _stop.is_set()):
        raise KeyboardInterrupt            # the run is ending: no new part
    if _worker is None:
        raise _failed or PropscopeError("the worker did not start")
    try:
        return _worker(part)
    except KeyboardInterrupt:
        _interrupted = True
        raise


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

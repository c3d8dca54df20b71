"""The engines that run batch workers: processes here, and Ray actors on a local Ray instance."""

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_corpus_batch import articles, expected_rows, read_rows, write_jsonl, write_parquet

from propscope.corpus.batch import PLAN, run
from propscope.errors import ModelError, PropscopeError

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Twelve articles in two files, a JSON Lines file and a Parquet file, and what detect_many gives."""
    d = tmp_path_factory.mktemp("in")
    first, second = articles(7), articles(5, first=7)
    write_jsonl(d / "a.jsonl", first)
    write_parquet(d / "b.parquet", second)
    return d, expected_rows(first + second)


@pytest.mark.parametrize("workers", [1, 2])
def test_local_workers_give_the_rows_of_detect_many(inputs, tmp_path, workers):
    folder, expected = inputs
    report = run([str(folder)], tmp_path / "out", workers=workers, part_size=3)
    assert (report.written, report.articles) == (report.parts, 12) and report.parts >= 4
    assert read_rows(tmp_path / "out") == expected


def test_a_killed_run_loses_nothing_and_redoes_nothing(tmp_path):
    """The real command, killed (with its workers) once some parts are written, then run again."""
    records = articles(24)
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "propscope", "batch", str(source), "-o", str(out), "--part-size", "2",
           "--workers", "2", "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < deadline and len(list(out.glob("part-*"))) < 3:
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run ended before it could be killed"
    done = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*")}
    parts = len(json.loads((out / PLAN).read_text())["parts"])
    assert 3 <= len(done) < parts

    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"in {parts - len(done)} parts" in result.stderr and f"{len(done)} already there" in result.stderr
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*") if p.name in done} == done
    assert not list(out.glob(".part-*"))
    assert read_rows(out) == expected_rows(records)


def a_run_for_another_model(monkeypatch):
    """The run's plan names a model its workers (processes of their own) do not have."""
    import propscope.model.detector
    monkeypatch.setattr(propscope.model.detector, "current_version", lambda: "2020.01.01+another")


def test_a_worker_error_reaches_the_caller(tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", articles(3))
    a_run_for_another_model(monkeypatch)
    with pytest.raises(ModelError, match="the run's is 2020.01.01[+]another"):
        run([str(source)], tmp_path / "out", workers=2, part_size=1)
    assert not list((tmp_path / "out").glob("part-*"))


def test_an_article_that_fails_does_not_stop_the_run(tmp_path):
    records = articles(12)
    records[2] = {"id": "no-text"}
    source = write_jsonl(tmp_path / "in.jsonl", records)
    report = run([str(source)], tmp_path / "out", workers=2, part_size=2)
    assert report.written == report.parts == 6 and len(report.failures) == 1 and "no text" in report.failures[0]
    assert [r["id"] for r in read_rows(tmp_path / "out")] == [r["id"] for r in records]


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@contextlib.contextmanager
def batch_in_a_terminal(source: Path, out: Path, part_size: int, parts: int = 1, sigint=signal.SIG_DFL):
    """``propscope batch`` in a process group of its own, as a terminal runs it, once ``parts`` parts
    are written; killed at the end whatever happened. ``sigint``: the Ctrl-C it starts with (a shell's
    background job ignores SIGINT, and its children inherit that)."""
    cmd = [sys.executable, "-m", "propscope", "batch", str(source), "-o", str(out), "--part-size", str(part_size),
           "--workers", "2", "--threads", "1", "--format", "jsonl"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, sigint))
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and len(list(out.glob("part-*"))) < parts:
            time.sleep(0.02)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_ctrl_c_stops_the_run_without_starting_more_parts(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it: the command ends soon,
    with no part started after it (workers once went on with the parts queued for them)."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(300))
    out = tmp_path / "out"
    with batch_in_a_terminal(source, out, part_size=30, parts=2) as proc:
        os.killpg(proc.pid, signal.SIGINT)
        signalled = time.monotonic()
        written = len(list(out.glob("part-*")))
        assert proc.wait(timeout=60) == 130 and "interrupted" in proc.stderr.read()
        assert time.monotonic() - signalled < 15
        # the parts a worker's queue held were started and written after the signal, one by one
        assert len(list(out.glob("part-*"))) <= written + 1          # at most one being renamed then


def test_ctrl_c_twice_still_ends_the_run(tmp_path):
    """A second Ctrl-C landed in a worker reading its queue, killed it holding the queue's lock, and
    the command waited for ever (a third one printed a traceback)."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(600))
    for attempt in range(3):
        out = tmp_path / f"out{attempt}"
        with batch_in_a_terminal(source, out, part_size=10) as proc:
            os.killpg(proc.pid, signal.SIGINT)
            time.sleep(0.02 * attempt)
            os.killpg(proc.pid, signal.SIGINT)
            assert proc.wait(timeout=30) == 130
            assert proc.stderr.read().strip() == "propscope: interrupted"      # no traceback, from any process
    report = run([str(source)], out, workers=2, part_size=10, fmt="jsonl")      # and the next run finishes it
    assert report.written + report.already == report.parts == 60 and report.already


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_workers_end_when_their_run_is_killed(tmp_path):
    """kill -9 of the command alone: its workers, waiting on a pipe no one writes, end by themselves."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(200))
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "propscope", "batch", str(source), "-o", str(out), "--part-size", "2",
           "--workers", "2", "--threads", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline and not list(out.glob("part-*")):
            time.sleep(0.05)
        workers = [pid for pid in _children(proc.pid) if _running(pid)]
        assert workers, "no worker was running"
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 15
        while any(_running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if _running(pid)]
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# -- Ray ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def local_ray():
    """One local Ray instance with 2 CPUs for this module's Ray tests."""
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
    yield ray
    ray.shutdown()


@pytest.mark.ray
@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_ray_gives_the_rows_of_detect_many(local_ray, inputs, tmp_path, fmt):
    folder, expected = inputs
    report = run([str(folder)], tmp_path / "out", engine="ray", workers=2, fmt=fmt, part_size=3)
    assert (report.written, report.articles) == (report.parts, 12) and report.parts >= 4
    assert read_rows(tmp_path / "out") == expected
    assert local_ray.is_initialized()                 # a Ray it did not start is left running


@pytest.mark.ray
def test_ray_resumes_and_reports_a_worker_error_plainly(local_ray, tmp_path):
    records = articles(4)
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    first = run([str(source)], out, engine="ray", part_size=2)
    assert first.written == first.parts >= 2
    (out / "part-000000.parquet").unlink()
    again = run([str(source)], out, engine="ray", part_size=2)
    assert (again.written, again.already) == (1, first.parts - 1) and read_rows(out) == expected_rows(records)
    with source.open("a") as f:
        f.write('{"id": "late"}\n')
    late = run([str(source)], tmp_path / "late", engine="ray", part_size=1)
    assert len(late.failures) == 1 and "in.jsonl:5: no text" in late.failures[0]


@pytest.mark.ray
def test_ray_reports_a_worker_error_plainly(local_ray, tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", articles(2))
    a_run_for_another_model(monkeypatch)
    with pytest.raises(ModelError, match="the run's is 2020.01.01[+]another") as caught:
        run([str(source)], tmp_path / "bad", engine="ray", part_size=1)
    assert "Traceback" not in str(caught.value) and "ray" not in type(caught.value).__module__


def test_ray_missing_is_a_clear_error(tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", articles(1))
    monkeypatch.setitem(sys.modules, "ray", None)          # as if the cluster extra were not installed
    with pytest.raises(PropscopeError, match=r"pip install 'propscope\[cluster\]'"):
        run([str(source)], tmp_path / "out", engine="ray")


def test_a_run_whose_caller_ignores_ctrl_c_goes_on(tmp_path):
    """A shell's background job ignores SIGINT: the run did too, until it took Ctrl-C for itself."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(300))
    out = tmp_path / "out"
    with batch_in_a_terminal(source, out, part_size=10, sigint=signal.SIG_IGN) as proc:
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
        assert len(list(out.glob("part-*"))) == 30


def test_a_callers_own_ctrl_c_handler_is_left_to_it(tmp_path):
    noted = []
    source = write_jsonl(tmp_path / "in.jsonl", articles(40))

    def interrupt_once(stage, done, total):
        if not noted:
            os.kill(os.getpid(), signal.SIGINT)
    handler = lambda signum, frame: noted.append(signum)        # noqa: E731
    before = signal.signal(signal.SIGINT, handler)
    try:
        report = run([str(source)], tmp_path / "out", workers=1, part_size=10, fmt="jsonl", progress=interrupt_once)
        assert signal.getsignal(signal.SIGINT) is handler
    finally:
        signal.signal(signal.SIGINT, before)
    assert noted == [signal.SIGINT] and report.written == report.parts == 4


def test_a_callers_handler_that_raises_stops_the_run_where_it_can(tmp_path):
    """Left to raise where it landed, a caller's handler broke the pool's locks and the run waited for
    ever; it is called between parts instead."""
    class Stop(Exception):
        pass

    def stop(signum, frame):
        raise Stop
    source = write_jsonl(tmp_path / "in.jsonl", articles(40))
    sent = []

    def interrupt_once(stage, done, total):
        if not sent:
            sent.append(1)
            os.kill(os.getpid(), signal.SIGINT)
    before = signal.signal(signal.SIGINT, stop)
    try:
        with pytest.raises(Stop):
            run([str(source)], tmp_path / "out", workers=1, part_size=10, fmt="jsonl", progress=interrupt_once)
        assert signal.getsignal(signal.SIGINT) is stop
    finally:
        signal.signal(signal.SIGINT, before)
    assert len(list((tmp_path / "out").glob("part-*"))) < 4


def test_a_callers_handler_may_hand_on_to_another(tmp_path):
    """"Press again to quit": the handler puts Python's in its place; that one is the caller's after
    the run, and the second Ctrl-C stops the run between parts, as a KeyboardInterrupt."""
    source = write_jsonl(tmp_path / "in.jsonl", articles(60))
    presses = []

    def again(signum, frame):
        presses.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)

    calls = []

    def interrupt(stage, done, total):
        calls.append(stage)
        if len(calls) <= 2:             # a Ctrl-C after each of the first two parts
            os.kill(os.getpid(), signal.SIGINT)
    before = signal.signal(signal.SIGINT, again)
    try:
        with pytest.raises(KeyboardInterrupt):
            run([str(source)], tmp_path / "out", workers=1, part_size=10, fmt="jsonl", progress=interrupt)
        assert presses == [signal.SIGINT] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)


def test_a_ctrl_c_after_the_last_part_reaches_the_callers_handler_and_leaves_its_choice():
    from propscope.corpus.engines import _CtrlC
    presses = []

    def again(signum, frame):
        presses.append(signum)
        signal.signal(signal.SIGINT, signal.default_int_handler)
    before = signal.signal(signal.SIGINT, again)
    try:
        with _CtrlC():
            os.kill(os.getpid(), signal.SIGINT)         # noted, not handled, until the run can stop
            time.sleep(0.05)
            assert presses == []
        assert presses == [signal.SIGINT] and signal.getsignal(signal.SIGINT) is signal.default_int_handler
    finally:
        signal.signal(signal.SIGINT, before)

"""The engines that run batch workers: processes here, and Ray actors on a local Ray instance."""

import json
import logging
import os
import signal
import subprocess
import sys
import time

import pytest
from test_corpus_batch import articles, expected_rows, read_rows, write_jsonl, write_parquet

from propscope.corpus.batch import PLAN, run
from propscope.errors import InputError, PropscopeError

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


def test_a_worker_error_reaches_the_caller(tmp_path):
    source = tmp_path / "in.jsonl"
    write_jsonl(source, articles(3))
    with source.open("a") as f:
        f.write('{"id": "late"}\n')
    with pytest.raises(InputError, match="line at byte .*: no text"):
        run([str(source)], tmp_path / "out", workers=2, part_size=1)


def test_a_worker_error_stops_the_run_and_keeps_whole_parts(tmp_path):
    """Parts not started when one fails are not started at all; the parts written stay, whole."""
    records = articles(40)
    records[2] = {"id": "no-text"}
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    with pytest.raises(InputError, match="no text"):
        run([str(source)], out, workers=1, part_size=1)
    parts = len(json.loads((out / PLAN).read_text())["parts"])
    assert 1 <= len(list(out.glob("part-*"))) < parts // 2
    assert not list(out.glob(".part-*"))
    ids = [r["id"] for r in read_rows(out)]
    assert ids[:2] == ["a0", "a1"] and set(ids) < {r["id"] for r in records if "text" in r}


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
    with pytest.raises(InputError, match="line at byte .*: no text") as caught:
        run([str(source)], tmp_path / "bad", engine="ray", part_size=1)
    assert "Traceback" not in str(caught.value) and "ray" not in type(caught.value).__module__


def test_ray_missing_is_a_clear_error(tmp_path, monkeypatch):
    source = write_jsonl(tmp_path / "in.jsonl", articles(1))
    monkeypatch.setitem(sys.modules, "ray", None)          # as if the cluster extra were not installed
    with pytest.raises(PropscopeError, match=r"pip install 'propscope\[cluster\]'"):
        run([str(source)], tmp_path / "out", engine="ray")

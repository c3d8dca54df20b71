"""Batch throughput: ``propscope batch`` with 1 and 2 workers, locally and under Ray.

Generates ``--articles`` articles (JSON Lines, about 300 words each; the generator of
benchmarks/corpus.py), then runs the real command on the first ``--analyse`` of them (all of
them with ``--analyse 0``) once per engine and worker count, every worker on one inference
thread, and prints for each:

- articles/s over the whole command (start-up, model loads and Ray's start included), and
  once running (the articles of every part but the first, over the time from the first part
  file written to the last);
- peak memory: the largest sum of the resident sizes of the command and all its descendants
  (pool workers; Ray's processes and actors), sampled every 0.1 s from /proc (Linux);
- the output's size per 1,000 articles (Parquet parts, zstd, text included), beside the input's.

    python benchmarks/batch.py --articles 10000 --analyse 300
"""

from __future__ import annotations

import argparse
import itertools
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from corpus import generate  # noqa: E402  (the corpus benchmark's generator)

CONFIGS = [("local", 1), ("local", 2), ("ray", 1), ("ray", 2)]


def tree_rss(root: int) -> int:
    """Bytes resident in ``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            pass
    return total


def measure(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak tree RSS in bytes and stderr of a command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample():
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.1)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = proc.communicate()
    seconds = time.perf_counter() - start
    sampler.join()
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return seconds, peak[0], err


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--articles", type=int, default=10_000)
    p.add_argument("--analyse", type=int, default=300, help="articles each configuration analyses (0: all)")
    p.add_argument("--part-size", type=int, default=25, help="articles per part file")
    args = p.parse_args()
    import pyarrow.parquet as pq
    with tempfile.TemporaryDirectory() as tmp:
        source = generate(Path(tmp), args.articles)
        n = args.analyse or args.articles
        subset = Path(tmp) / "subset.jsonl"
        with source.open(encoding="utf-8") as f, subset.open("w", encoding="utf-8") as out:
            out.writelines(itertools.islice(f, n))
        print(f"corpus      {args.articles} articles generated, {source.stat().st_size / args.articles * 1000 / 2**20:.2f} "
              f"MiB of JSON Lines per 1,000; each configuration analyses {n} of them, one thread per worker, "
              f"on {os.cpu_count()} cores")
        for engine, workers in CONFIGS:
            folder = Path(tmp) / f"out-{engine}-{workers}"
            cmd = [sys.executable, "-m", "propscope", "batch", str(subset), "-o", str(folder), "--engine", engine,
                   "--workers", str(workers), "--threads", "1", "--part-size", str(args.part_size)]
            seconds, peak, err = measure(cmd)
            parts = sorted(folder.glob("part-*"), key=lambda f: f.stat().st_mtime)
            size = sum(f.stat().st_size for f in parts)
            later = sum(pq.ParquetFile(f).metadata.num_rows for f in parts[1:])
            span = parts[-1].stat().st_mtime - parts[0].stat().st_mtime if parts else 0
            # from the first part written to the last: the pace once every worker has loaded its model
            running = f"{later / span:.2f}" if span > 0 else "n/a: one part"
            print(f"{engine:5} x{workers}    {n / seconds:5.2f} articles/s over {seconds:5.1f} s ({running} once running), "
                  f"peak RSS {peak / 2**20:,.0f} MiB, output {size / n * 1000 / 2**20:.2f} MiB per 1,000 articles")


if __name__ == "__main__":
    main()

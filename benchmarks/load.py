"""Load on `propscope serve` over loopback: N clients posting an article for S seconds.

Starts the server itself (on a free loopback port, with W workers), measures one request at a
time first, then the load, and stops the server. Clients refused (429) pause for the Retry-After
seconds and ask again. Prints answers/s, p50/p99 latency of an answer and of the time to an
answer (refusals and pauses included), refusals, errors, 5xx answers, dropped connections, and
the server's RSS (all its processes) before and after.

    python benchmarks/load.py --clients 32 --seconds 60 --workers 2
    python benchmarks/load.py --clients 32 --seconds 60 --workers 2 --queue 0    # refuse whenever busy
    python benchmarks/load.py --clients 32 --seconds 60 --workers 2 --think 4    # people, who pause
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample-article.txt"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(port: int, workers: int, queue: int | None) -> subprocess.Popen:
    code = f"from propscope.serve import run; run('127.0.0.1', {port}, {workers})"
    env = dict(os.environ, **({} if queue is None else {"PROPSCOPE_SERVE_QUEUE": str(queue)}))
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True, env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped: {server.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    stop(server)
    raise SystemExit("the server did not answer /health within 120 s")


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MiB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total / 1024


def single(url: str, body: dict, n: int) -> list[float]:
    times = []
    with httpx.Client(timeout=120) as client:
        for _ in range(n):
            t0 = time.perf_counter()
            client.post(url, json=body).raise_for_status()
            times.append(time.perf_counter() - t0)
    return times


@dataclass
class Load:
    latencies: list[float] = field(default_factory=list)   # of each answered (200) request
    waits: list[float] = field(default_factory=list)       # first try to answer, refusals and pauses included
    refusals: list[float] = field(default_factory=list)    # latency of each 429
    unanswered: list[float] = field(default_factory=list)  # refused and not yet answered when the run ended
    statuses: Counter = field(default_factory=Counter)
    dropped: int = 0


async def load(url: str, body: dict, clients: int, seconds: float, think: float = 0.0) -> Load:
    """Every client posts the article, waits for the answer, pauses (``think`` seconds on average,
    drawn at random as a person's pauses are) and posts it again; refused (429), it pauses for the
    Retry-After seconds first, as a well-behaved client does."""
    out = Load()
    pauses = random.Random(0)
    deadline = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            if think:
                await asyncio.sleep(pauses.expovariate(1 / think))
            first, refused = time.perf_counter(), False
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    response = await http.post(url, json=body)
                except httpx.TransportError:      # refused, reset or timed out: a dropped connection
                    out.dropped += 1
                    break
                took = time.perf_counter() - t0
                out.statuses[response.status_code] += 1
                if response.status_code != 429:
                    if response.status_code == 200:
                        out.latencies.append(took)
                        out.waits.append(time.perf_counter() - first)
                    break
                out.refusals.append(took)
                refused = True
                await asyncio.sleep(float(response.headers.get("retry-after", 1)))
            else:
                if refused:                       # and the run ended before an answer
                    out.unanswered.append(time.perf_counter() - first)

    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--seconds", type=float, default=60)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--queue", type=int, help="PROPSCOPE_SERVE_QUEUE for the server (default: the setting's)")
    p.add_argument("--think", type=float, default=0.0,
                   help="mean seconds a client pauses before each request (0: none, the server saturated)")
    p.add_argument("--text", type=Path, default=SAMPLE, help="the article every client posts")
    p.add_argument("--warmup", type=float, default=5, help="seconds of load before RSS is first read")
    args = p.parse_args()
    if args.clients < 1 or args.workers < 1 or args.seconds <= 0 or args.think < 0 or args.warmup < 0:
        raise SystemExit("--clients and --workers are 1 or more, --seconds more than 0, --think and --warmup 0 or more")
    if not args.text.is_file():
        raise SystemExit(f"--text {args.text}: no such file")

    body = {"text": args.text.read_text(encoding="utf-8")}
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1/analyze"
    server = start(port, args.workers, args.queue)
    try:
        single(url, body, 5)                                      # warm-up
        alone = statistics.median(single(url, body, 30))
        asyncio.run(load(url, body, args.clients, args.warmup))   # every worker warm, buffers grown
        rss_before = rss_mib(server.pid)
        t0 = time.perf_counter()
        run = asyncio.run(load(url, body, args.clients, args.seconds, args.think))
        elapsed = time.perf_counter() - t0
        rss_after = rss_mib(server.pid)
    finally:
        stop(server)

    statuses, answered = run.statuses, len(run.latencies)
    errors = sum(n for status, n in statuses.items() if status not in (200, 429))
    server_errors = sum(n for status, n in statuses.items() if status >= 500)
    growth = (rss_after - rss_before) / rss_before
    queue = args.queue if args.queue is not None else "default"
    print(f"propscope serve under load: {args.clients} clients, {args.seconds:g} s, {args.workers} workers, "
          f"queue {queue}, pauses {args.think:g} s, {len(body['text']):,}-character article, {os.cpu_count()} CPUs")
    print(f"  single request (median of 30, alone): {alone * 1000:7.1f} ms")
    print(f"  answered (200)      {answered:>10,}   ({answered / elapsed:.1f}/s)")
    print(f"  refused (429)       {len(run.refusals):>10,}   (each client then paused for Retry-After)")
    for name, values in (("latency of an answer", run.latencies), ("time to an answer", run.waits),
                         ("latency of a refusal", run.refusals)):
        if values:
            p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
            print(f"  {name:<21} p50 {p50 * 1000:8.1f} ms  p99 {p99 * 1000:8.1f} ms ({p99 / alone:.1f}x single)"
                  f"  max {max(values) * 1000:8.1f} ms")
    if run.unanswered:
        print(f"  refused and never answered before the end: {len(run.unanswered)} clients, after up to "
              f"{max(run.unanswered) * 1000:.1f} ms (not in the time to an answer)")
    print(f"  statuses            {dict(sorted(statuses.items()))}")
    print(f"  errors (not 200/429) {errors:>9}")
    print(f"  5xx                 {server_errors:>10}")
    print(f"  dropped connections {run.dropped:>10}")
    print(f"  server RSS          {rss_before:10.1f} MiB before, {rss_after:.1f} MiB after ({growth:+.1%})")
    # what one client waits for an answer when the server shares its throughput evenly: Little's law
    if answered:
        print(f"  clients / throughput: {args.clients / (answered / elapsed) * 1000:.1f} ms (the mean time to an "
              f"answer at this throughput, by Little's law, however the server queues or refuses)")


if __name__ == "__main__":
    main()

"""benchmarks/load.py against a real server it starts: a short run with no queue, so that some
requests are refused and their clients ask again after the Retry-After."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

LOAD = Path(__file__).resolve().parent.parent / "benchmarks" / "load.py"


def figure(out: str, label: str) -> int:
    return int(re.search(rf"{re.escape(label)}\s+([\d,]+)", out).group(1).replace(",", ""))


def test_a_short_load_run_refuses_with_429_and_its_clients_come_back():
    run = subprocess.run([sys.executable, str(LOAD), "--clients", "4", "--seconds", "4", "--workers", "1",
                          "--queue", "0", "--warmup", "1"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert figure(out, "answered (200)") > 0 and figure(out, "refused (429)") > 0
    assert figure(out, "5xx") == 0 and figure(out, "dropped connections") == 0
    answer = float(re.search(r"latency of an answer .* max\s+([\d.]+) ms", out).group(1))
    wait = float(re.search(r"time to an answer .* max\s+([\d.]+) ms", out).group(1))
    # a refused client waited at least one Retry-After second for its answer, or is still waiting
    never = re.search(r"never answered before the end: \d+ clients, after up to ([\d.]+) ms", out)
    assert max(wait, float(never.group(1)) if never else 0) >= 1000 > answer

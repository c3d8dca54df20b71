"""benchmarks/hostile_html.py: every shape timed, the one over the element limit refused."""

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "hostile_html.py"


def test_every_shape_is_timed_and_the_page_over_the_limit_refused():
    run = subprocess.run([sys.executable, str(SCRIPT), "--scale", "0.01"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    rows = {line[:18].strip(): line for line in run.stdout.splitlines()[1:]}
    assert len(rows) == 9 and "characters of article" in rows["table rows"]
    assert "refused: one element over: the page has more than 100,000 elements" in rows["one element over"]
    bad = subprocess.run([sys.executable, str(SCRIPT), "--scale", "2"], capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1 and "--scale is a share" in bad.stderr

"""Speed and memory of `propscope detect` over a folder of articles.

Prints, for 1 and 2 threads: the whole command (start-up included) in articles/s and its
peak RSS, the in-process pipeline time, and the bare ONNX encoder forward pass over the
same windows, so that the pipeline's overhead shows as a ratio.

    python benchmarks/speed.py --data ../shared/data/ptc/test/articles
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def whole_command(data: Path, threads: int) -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one `propscope detect` process."""
    env = dict(os.environ, PROPSCOPE_THREADS=str(threads))
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "propscope", "detect", "--format", "semeval", str(data),
                                 "-o", str(Path(tmp) / "out.tsv")], env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
    if status != 0:
        raise SystemExit(f"propscope detect failed with exit code {os.waitstatus_to_exitcode(status)}")
    return seconds, usage.ru_maxrss / 1024


def in_process(texts: list[str], threads: int) -> tuple[float, float, int]:
    """Pipeline seconds (what `detect` runs), and the bare encoder's seconds over the same
    windows, one per call as the pipeline runs them; and the window count. A combined model's
    bare encoders are its members'."""
    from propscope.model.detector import load
    from propscope.model.features import token_features
    from propscope.model.windows import plan
    det = load(threads=threads)
    det.detect(texts[0])   # warm-up
    t0 = time.perf_counter()
    for _ in det.detect_many((str(i), text) for i, text in enumerate(texts)):
        pass
    pipeline = time.perf_counter() - t0
    bare, windows = 0.0, 0
    for encoder in getattr(det, "members", [det]):
        feeds = []       # everything the encoder is fed, made beforehand: cues count as pipeline work
        for text in texts:
            tokens = encoder.tokens(text)
            reading = encoder.reading(text)
            cues = token_features(reading.text, reading.offsets_to_view(tokens.offsets), encoder.lines) \
                if encoder.cues else None
            feeds += [encoder.feed(tokens.ids, cues, w)
                      for w in plan(text, tokens.offsets, encoder.window, encoder.stride, encoder.lines)]
        t0 = time.perf_counter()
        for feed in feeds:
            encoder.session.run(None, feed)
        bare += time.perf_counter() - t0
        windows += len(feeds)
    return pipeline, bare, windows


def _threads(given: str) -> list[int]:
    try:
        counts = [int(n) for n in given.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("give whole numbers, comma-separated (e.g. 1,2)") from None
    if min(counts) < 1:
        raise argparse.ArgumentTypeError("a thread count is 1 or more")
    return counts


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path, help="folder of article*.txt files")
    p.add_argument("--threads", default="1,2", type=_threads, help="thread counts, comma-separated")
    a = p.parse_args()
    if not a.data.is_dir():
        raise SystemExit(f"{a.data}: not a folder of article*.txt files")
    files = sorted(a.data.glob("article*.txt")) or sorted(a.data.glob("*.txt"))
    if not files:
        raise SystemExit(f"{a.data}: no article*.txt or *.txt files")
    texts = [f.read_text(encoding="utf-8") for f in files]
    print(f"{len(files)} articles, {sum(map(len, texts)):,} characters")
    print(f"{'threads':>7} {'cmd s':>7} {'art/s':>7} {'peak MiB':>9} {'pipeline s':>11} {'encoder s':>10} "
          f"{'ratio':>6} {'windows':>8}")
    for threads in a.threads:
        seconds, rss = whole_command(a.data, threads)
        pipeline, bare, windows = in_process(texts, threads)
        print(f"{threads:>7} {seconds:>7.2f} {len(files) / seconds:>7.2f} {rss:>9.0f} {pipeline:>11.2f} "
              f"{bare:>10.2f} {pipeline / bare:>6.3f} {windows:>8}")


if __name__ == "__main__":
    main()

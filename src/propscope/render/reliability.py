"""The reliability diagram of a model's confidences, as a PNG (matplotlib, optional)."""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import PropscopeError
from ..output import atomic


def plot(bins: list[tuple[float, float, int, float, float]], path: str | Path, ece: float | None, title: str) -> None:
    """Share of right spans against confidence, per bin, with the diagonal of perfect calibration."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise PropscopeError("the reliability diagram needs matplotlib: pip install 'propscope[plot]'") from None
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(5, 6), height_ratios=[3, 1], sharex=True)
    centres = [(lo + hi) / 2 for lo, hi, *_ in bins]
    width = bins[0][1] - bins[0][0] if bins else 0.1
    top.bar(centres, [acc for *_, acc in bins], width=width * 0.9, color="#4c78a8", label="share right")
    top.plot([m for _, _, _, m, _ in bins], [acc for *_, acc in bins], "o", color="#e45756", label="bin: mean confidence, share right")
    top.plot([0, 1], [0, 1], "--", color="grey", linewidth=1, label="perfect calibration")
    top.set_ylim(0, 1)
    top.set_ylabel("share of spans right")
    top.set_title(f"{title}\nexpected calibration error {'n/a (no spans detected)' if ece is None else f'{ece:.3f}'}")
    top.legend(loc="best", fontsize=8)              # where it hides fewest bars and points
    bottom.bar(centres, [n for _, _, n, _, _ in bins], width=width * 0.9, color="#9d9d9d")
    bottom.set_yscale("log")
    bottom.set_ylabel("spans")
    bottom.set_xlabel("confidence")
    bottom.set_xlim(0, 1)
    fig.tight_layout()
    buffer = io.BytesIO()
    try:
        fig.savefig(buffer, dpi=120, format="png")    # at the path given, even one without a suffix
    finally:
        plt.close(fig)
    with atomic(Path(path), "wb") as f:              # whole or not at all: a full disk left a cut image
        f.write(buffer.getvalue())

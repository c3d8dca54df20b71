"""Corpus statistics as a PNG (matplotlib, the ``plot`` extra): spans per 1,000 words over the
periods, one line per outlet, and the share of articles using the most used techniques.

Drawn on a bare Agg canvas, without pyplot's global state, one chart at a time, so that a
server may draw from its threads.
"""

from __future__ import annotations

import io
import textwrap
import threading
import warnings
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import NamedTuple

from ..errors import extra_missing
from ..techniques import CATALOGUE
from .stats import UNDATED, Stats

OUTLETS = 8         # lines drawn in the first panel: the outlets with the most words
TECHNIQUES = 5      # lines drawn in the second panel: the techniques with the most spans
FEW = 5             # a point resting on fewer articles than this is drawn hollow
COLOURS = {t.name: t.colour for t in CATALOGUE}
# outlets in black and dark grey, told apart by shape and dash: every colour already means a technique
# (the report's highlights, the second panel; Black-and-white fallacy's is a mid grey), and no outlet
# should look like one
OUTLET_STYLES = [{"color": ("#000000", "#444444")[i % 2], "linestyle": ("-", "--", ":", "-.")[i // 2 % 4],
                  "marker": "s^Dv<>PX"[i]} for i in range(OUTLETS)]
LABELS = {t.name: t.label for t in CATALOGUE}
_drawing = threading.Lock()      # matplotlib's font caches are not made for several drawers at once


class Line(NamedTuple):
    values: list[float | None]       # per period (None: no article)
    articles: list[int]              # the articles each value rests on


def png(stats: Stats) -> bytes:
    """The chart of ``stats`` as PNG bytes."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise extra_missing("the corpus chart", "plot", "matplotlib") from None
    with _drawing, warnings.catch_warnings():
        # a character no font has (a search for an emoji, say) is drawn as a box: no need to warn
        warnings.filterwarnings("ignore", "Glyph .* missing from font", UserWarning)
        return _draw(stats, Figure, FigureCanvasAgg)


def _draw(stats: Stats, Figure, FigureCanvasAgg) -> bytes:
    periods = timeline(sorted({r.period for r in stats.rows if r.period != UNDATED}), stats.period)
    fig = Figure(figsize=(9, 7.5), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(_plain(textwrap.fill(title(stats), 100)), fontsize=11)
    outlets, hidden = _outlet_lines(stats, periods)
    undated = sum({(r.outlet, r.period): r.articles for r in stats.rows if r.period == UNDATED}.values())
    notes = [f"the {len(outlets)} outlets with the most words; {hidden} more not drawn"] if hidden else []
    notes += [f"{undated} undated article{'' if undated == 1 else 's'} not drawn"] if undated else []
    techniques = _technique_lines(stats, periods)
    if len(periods) == 1:          # one period (all dates, say): bars, not dots on a line
        rates, shares = fig.subplots(2, 1)
        _bars(rates, shares, outlets, techniques)
        rates.set_xlabel("spans per 1,000 words")
        shares.set_xlabel("share of articles using it")
        shares.xaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        where = {"all": "all dates"}.get(periods[0], periods[0])
        rates.set_title(_note(f"All techniques, per outlet, {where}", notes), fontsize=10)
        shares.set_title(f"The {TECHNIQUES} most frequent techniques, all outlets, {where}", fontsize=10)
    else:
        rates, shares = fig.subplots(2, 1, sharex=True)
        few = _lines(rates, shares, outlets, techniques, periods)
        notes += [f"hollow points rest on fewer than {FEW} articles"] if few else []
        rates.set_ylabel("spans per 1,000 words")
        shares.set_ylabel("share of articles using it")
        shares.yaxis.set_major_formatter(lambda v, _: f"{v:.0%}")
        rates.set_title(_note("All techniques, per outlet", notes), fontsize=10)
        shares.set_title(f"The {TECHNIQUES} most frequent techniques, all outlets", fontsize=10)
        shares.set_xlabel(stats.period)
    if not periods:
        rates.text(0.5, 0.5, "no dated articles to draw", ha="center", va="center", transform=rates.transAxes)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _note(heading: str, notes: list[str]) -> str:
    return textwrap.fill(heading + (f" ({'; '.join(notes)})" if notes else ""), 90)


def _lines(rates, shares, outlets: dict[str, Line], techniques: dict[str, Line], periods: list[str]) -> bool:
    """Draw one line per outlet and per technique over the periods; whether any point rests on
    fewer than FEW articles (drawn hollow)."""
    x = list(range(len(periods)))
    few = False
    labels = _labels(list(outlets))
    for (outlet, line), style in zip(outlets.items(), OUTLET_STYLES):
        few |= _line(rates, x, line, label=_plain(labels[outlet]), **style)
    for name, line in techniques.items():
        few |= _line(shares, x, line, label=LABELS.get(name, name), color=COLOURS.get(name), marker="o")
    for ax in (rates, shares):
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    if periods:
        step = max(1, len(periods) // 12)          # at most about a dozen labels on the time axis
        slanted = len(periods) > 6
        shares.set_xticks(x[::step], periods[::step], rotation=30 if slanted else 0,
                          ha="right" if slanted else "center")
        shares.set_xlim(-0.5, len(periods) - 0.5)
    return few


def _line(ax, x: list[int], line: Line, **style) -> bool:
    ax.plot(x, line.values, **style)
    hollow = [v if n < FEW else None for v, n in zip(line.values, line.articles)]
    if any(v is not None for v in hollow):     # the same marker, white inside
        ax.plot(x, hollow, linestyle="none", marker=style["marker"], color=style["color"], markerfacecolor="white")
        return True
    return False


def _bars(rates, shares, outlets: dict[str, Line], techniques: dict[str, Line]) -> None:
    """One bar per outlet and per technique, each labelled with its figure and the articles it
    rests on."""
    labels = _labels(list(outlets))
    rated = [(_plain(labels[o]), line.values[0] or 0.0, "#333333",
              f"{line.values[0] or 0.0:.1f} ({_articles(line.articles[0])})") for o, line in outlets.items()]
    shared = [(LABELS.get(t, t), line.values[0] or 0.0, COLOURS.get(t),
               f"{line.values[0] or 0.0:.0%} ({round((line.values[0] or 0.0) * line.articles[0])} of "
               f"{_articles(line.articles[0])})") for t, line in techniques.items()]
    for ax, bars in ((rates, rated), (shares, shared)):
        if not bars:
            continue
        names, values, colours, shown = zip(*bars)
        y = list(range(len(bars)))
        ax.bar_label(ax.barh(y, values, color=colours), shown, fontsize=8, padding=3)
        ax.set_yticks(y, names, fontsize=8)
        ax.invert_yaxis()           # the first (the most words, the most spans) at the top
        ax.set_xlim(0, max(values) * 1.35 or 1)
        ax.grid(True, axis="x", alpha=0.3)


def _articles(n: int) -> str:
    return f"{n} article{'' if n == 1 else 's'}"


def write(stats: Stats, path: str | Path) -> None:
    """Write the chart of ``stats`` to ``path`` as PNG."""
    from ..output import atomic
    data = png(stats)
    with atomic(Path(path), "wb") as f:        # whole or not at all: a full disk left a cut image
        f.write(data)


def timeline(periods: list[str], period: str, most: int = 5000) -> list[str]:
    """Every period from the first to the last of ``periods``, those without articles included,
    so that the time axis keeps its scale; ``periods`` as they are when they cannot be read or
    would fill more than ``most`` places."""
    if len(periods) < 2 or period == "all":
        return periods
    try:
        return _fill(periods[0], periods[-1], period, most)
    except ValueError:          # a period that is not a date, or too many of them
        return periods


def _fill(first: str, last: str, period: str, most: int) -> list[str]:
    def steps(n: int) -> range:
        if n > most:
            raise ValueError(f"{n} periods")
        return range(n)
    if period == "year":
        return [str(int(first) + i) for i in steps(int(last) - int(first) + 1)]
    if period == "month":
        (y0, m0), (y1, m1) = (map(int, p.split("-")) for p in (first, last))
        start = y0 * 12 + m0 - 1
        return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in (start + i for i in steps(y1 * 12 + m1 - start))]
    if period == "week":
        start, end = (date.fromisocalendar(int(p[:4]), int(p[6:]), 1) for p in (first, last))
        weeks = (start + timedelta(weeks=i) for i in steps((end - start).days // 7 + 1))
        return ["{}-W{:02d}".format(*d.isocalendar()[:2]) for d in weeks]
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=i)).isoformat() for i in steps((end - start).days + 1)]


def title(stats: Stats) -> str:
    """What the chart shows: the model, the period, the threshold and the filters."""
    w = stats.where
    parts = [f"model {stats.model}", f"per {stats.period}" if stats.period != "all" else "all dates"]
    if stats.threshold:
        parts.append(f"spans of confidence {stats.threshold:g} or more")
    if w.outlets:
        parts.append("outlets " + ", ".join(w.outlets))
    if w.since or w.until:
        parts.append(f"published {w.since or '…'} to {w.until or '…'}")
    if w.search:
        parts.append(f"text containing \u201c{w.search}\u201d")
    return "propscope corpus: " + "; ".join(parts)


def _short(name: str, limit: int = 32) -> str:
    """A legend's name, short enough to leave the plot its width."""
    return name if len(name) <= limit else name[:limit - 1] + "\u2026"


def _labels(names: list[str], limit: int = 32) -> dict[str, str]:
    """Each name shortened, keeping its end too where shortening would make two alike
    ("The Very Long Name Of\u2026Europe Edition")."""
    short = {n: _short(n, limit) for n in names}
    alike = {s for s in short.values() if list(short.values()).count(s) > 1}
    half = limit // 2
    return {n: (n[:half - 1] + "\u2026" + n[-half:]) if short[n] in alike else short[n] for n in names}


def _plain(text: str) -> str:
    """Text as itself: matplotlib would read $...$ in an outlet's name or a search as mathtext."""
    return text.replace("$", r"\$")


def _outlet_lines(stats: Stats, periods: list[str]) -> tuple[dict[str, Line], int]:
    """Outlet -> spans per 1,000 words in each period (None where it has no article), for the
    outlets with the most words; and how many outlets were left out."""
    spans, words, articles = defaultdict(int), {}, {}
    for r in stats.rows:
        spans[(r.outlet, r.period)] += r.spans
        words[(r.outlet, r.period)] = r.words
        articles[(r.outlet, r.period)] = r.articles
    totals = defaultdict(int)
    for (outlet, period), n in words.items():
        if period != UNDATED:
            totals[outlet] += n
    chosen = sorted(totals, key=lambda o: (-totals[o], o.casefold(), o))[:OUTLETS]
    lines = {o: Line([1000 * spans[(o, p)] / words[(o, p)] if words.get((o, p)) else None for p in periods],
                     [articles.get((o, p), 0) for p in periods])
             for o in chosen}
    return lines, len(totals) - len(chosen)


def _technique_lines(stats: Stats, periods: list[str]) -> dict[str, Line]:
    """Technique -> share of all outlets' articles using it, per period, for the most used ones."""
    using, articles, counted, spans = defaultdict(int), defaultdict(int), set(), defaultdict(int)
    for r in stats.rows:
        if r.period == UNDATED:
            continue
        using[(r.technique, r.period)] += r.articles_using
        spans[r.technique] += r.spans
        if (r.outlet, r.period) not in counted:
            counted.add((r.outlet, r.period))
            articles[r.period] += r.articles
    top = [t for t in sorted(spans, key=lambda t: -spans[t]) if spans[t]][:TECHNIQUES]
    return {t: Line([using[(t, p)] / articles[p] if articles[p] else None for p in periods],
                    [articles[p] for p in periods]) for t in top}

"""Corpus statistics, per outlet, per period and per technique: spans per 1,000 words, the share
of articles using each technique, its change from the outlet's previous period, and the most
frequent fragments of each technique. Aggregated by the database; shown as a table, CSV or JSON.
"""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from dataclasses import asdict, dataclass, field
from itertools import groupby

from ..errors import InputError, NoCorpus
from ..render.csv import text_cell
from ..techniques import NAMES, lookup
from .store import UNKNOWN_OUTLET, Filter, Store, one_line, open_existing

PERIODS = {"day": 10, "week": 10, "month": 7, "year": 4, "all": 0}   # characters of the ISO date read
UNDATED = "undated"
_DAY = "substr(a.published, 1, 10)"       # the date part of an ISO date or date-time


def _week_sqlite() -> str:
    # date() reads a well-formed date only, and a modifier rolls 02-30 over to 03-01 (date() alone
    # returns it as given, in SQLite 3.40 at least), hence the round trip; the ISO week's year is
    # its Thursday's year, and its number counts Thursdays from that year's first
    thursday = f"date({_DAY}, '-3 days', 'weekday 4')"
    week = (f"strftime('%Y', {thursday}) || '-W' || "
            f"substr('0' || ((CAST(strftime('%j', {thursday}) AS INTEGER) - 1) / 7 + 1), -2)")
    return f"CASE WHEN date({_DAY}, '+0 days') = {_DAY} THEN {week} END"


def _week_postgresql() -> str:
    # nested CASEs: PostgreSQL may evaluate AND's operands in any order, and a bad cast is an error
    shape = "'^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'"
    year, month, day = (f"CAST(substr({_DAY}, {i}, {n}) AS INTEGER)" for i, n in ((1, 4), (6, 2), (9, 2)))
    rolled = f"to_char(make_date({year}, {month}, 1) + ({day} - 1), 'YYYY-MM-DD')"
    week = f"""to_char(CAST({_DAY} AS date), 'IYYY-"W"IW')"""
    return f"CASE WHEN {_DAY} ~ {shape} THEN CASE WHEN {rolled} = {_DAY} THEN {week} END END"


def period_sql(period: str, dialect: str) -> str:
    """The SQL expression of an article's (alias ``a``) period: a prefix of its ISO date, its ISO
    week (2025-W07), or 'all'; 'undated' without a date precise enough (for weeks: a full, valid one)."""
    if period == "all":
        return "'all'"
    if period == "week":
        week = _week_postgresql() if dialect == "postgresql" else _week_sqlite()
        return f"coalesce({week}, '{UNDATED}')"
    n = PERIODS[period]         # a date given to the month only has no day, one to the year no month
    return f"coalesce(CASE WHEN length(a.published) >= {n} THEN substr(a.published, 1, {n}) END, '{UNDATED}')"


@dataclass(frozen=True)
class Row:
    outlet: str
    period: str
    technique: str
    articles: int          # analysed articles of this outlet and period
    words: int
    spans: int
    articles_using: int    # articles with at least one span of this technique
    per_1000_words: float
    share_using: float
    change: float | None   # per_1000_words minus that of the outlet's previous period with articles
                           # (None for its first period, and for undated articles)


@dataclass
class Stats:
    model: str
    period: str
    threshold: float
    rows: list[Row]
    fragments: dict[str, list[tuple[str, int]]] = field(default_factory=dict)   # technique -> (fragment, count)
    where: Filter = Filter()                                                     # the articles counted

    def to_dict(self) -> dict:
        return {"model": self.model, "period": self.period, "threshold": self.threshold,
                "filters": {"outlets": list(self.where.outlets), "since": self.where.since,
                            "until": self.where.until, "search": self.where.search},
                "rows": [asdict(r) for r in self.rows],
                "fragments": {t: [{"fragment": f, "count": n} for f, n in fs] for t, fs in self.fragments.items()}}


def compute(store: Store, where: Filter = Filter(), *, period: str = "month", model: str | None = None,
            threshold: float = 0.0, top: int = 5) -> Stats:
    """Statistics of the articles ``model`` (default: the current model) has analysed that
    ``where`` selects, counting spans of at least ``threshold`` confidence."""
    if period not in PERIODS:
        raise InputError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    from ..model.detector import current_version
    model = model or current_version()
    store.require(model)
    store.require_outlets(where.outlets)
    clause, params = store.where(where)
    selected = (f"SELECT a.pk, coalesce(a.outlet, '{UNKNOWN_OUTLET}') AS outlet, {period_sql(period, store.dialect)} "
                f"AS period, a.words, n.pk AS analysis FROM articles a JOIN analyses n ON n.article = a.pk AND n.model = ? WHERE {clause}")
    groups = store.rows(f"SELECT outlet, period, count(*), sum(words) FROM ({selected}) s GROUP BY outlet, period",
                        [model, *params])
    techniques = store.rows(
        f"SELECT s.outlet, s.period, p.technique, count(*), count(DISTINCT s.pk) FROM ({selected}) s "
        "JOIN spans p ON p.analysis = s.analysis WHERE p.confidence >= ? GROUP BY s.outlet, s.period, p.technique",
        [model, *params, threshold])
    found = {(o, p, t): (n, k) for o, p, t, n, k in techniques}
    names = list(NAMES) + sorted({t for _, _, t in found} - set(NAMES))
    rows, previous = [], {}
    for outlet, when, articles, words in sorted(groups, key=lambda g: (alphabetical(g[0]), g[0], g[1])):
        words = int(words or 0)
        for technique in names:
            spans, using = found.get((outlet, when, technique), (0, 0))
            rate = 1000 * spans / words if words else 0.0
            before = previous.get((outlet, technique))
            change = None if before is None or when == UNDATED else rate - before
            rows.append(Row(outlet, when, technique, articles, words, spans, using, rate, using / articles, change))
            if when != UNDATED:
                previous[(outlet, technique)] = rate
    return Stats(model, period, threshold, rows, _fragments(store, selected, [model, *params], threshold, top),
                 where)


def of_store(url: str, where: Filter = Filter(), **options) -> Stats:
    """``compute`` over the store at ``url``, which must exist already: a missing one is a
    NoCorpus error, never created (for readers such as the web app)."""
    with open_existing(url) as store:
        return compute(store, where, **options)


def overview(url: str) -> dict:
    """What the store at ``url`` holds, without creating one: whether it is there, its articles,
    and how many of them each model version has analysed."""
    try:
        with open_existing(url) as store:
            return {"present": True, "articles": store.count(), "models": store.models()}
    except NoCorpus:            # nothing there, or a database that holds no store
        return {"present": False, "articles": 0, "models": {}}


def _fragments(store: Store, selected: str, params: list, threshold: float, top: int) -> dict[str, list]:
    """The ``top`` most frequent fragments of each technique (ties in code point order)."""
    if top <= 0:
        return {}
    binary = 'COLLATE "C"' if store.dialect == "postgresql" else ""
    rows = store.rows(
        "SELECT technique, fragment, n FROM (SELECT technique, fragment, n, row_number() OVER "
        f"(PARTITION BY technique ORDER BY n DESC, fragment {binary}) AS r FROM ("
        "SELECT p.technique, substr(a.text, CAST(p.start_char + 1 AS INTEGER), CAST(p.end_char - p.start_char AS INTEGER)) "
        "AS fragment, count(*) AS n "
        f"FROM ({selected}) s JOIN spans p ON p.analysis = s.analysis JOIN articles a ON a.pk = s.pk "
        "WHERE p.confidence >= ? GROUP BY 1, 2) f) ranked WHERE r <= ? ORDER BY technique, r",
        [*params, threshold, top])
    out: dict[str, list] = {}
    for technique, fragment, n in rows:
        out.setdefault(technique, []).append((fragment, n))
    return out


# -- output -------------------------------------------------------------------------------------
COLUMNS = ("outlet", "period", "technique", "articles", "words", "spans", "articles_using",
           "per_1000_words", "share_using", "change", "model", "threshold")


def to_json(stats: Stats) -> str:
    return json.dumps(stats.to_dict(), ensure_ascii=False, indent=2) + "\n"


def to_csv(stats: Stats) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for r in stats.rows:
        writer.writerow([text_cell(r.outlet), *(getattr(r, c) for c in COLUMNS[1:7]), f"{r.per_1000_words:.4f}",
                         f"{r.share_using:.4f}", "" if r.change is None else f"{r.change:+.4f}",
                         text_cell(stats.model), f"{stats.threshold:g}"])
    return buf.getvalue()


def to_table(stats: Stats, all_techniques: bool = False) -> str:
    """A plain-text table, outlet by outlet (techniques no article of a group uses are left out
    unless asked, or unless they fell to none since the outlet's previous period; a group in which
    none was found has one line saying so), then the most frequent fragments."""
    head = ("period", "technique", "articles", "per 1k words", "share", "change per 1k")
    lines: list[tuple[str, ...] | str] = []         # a row, or an outlet's name above its rows
    for outlet, rows in groupby(stats.rows, key=lambda r: r.outlet):
        lines.append(one_line(outlet))
        for period, group in groupby(rows, key=lambda r: r.period):
            group = list(group)
            if not any(r.spans or (r.change or 0) < 0 for r in group):
                lines.append((period, "(none found)", str(group[0].articles), "0.00", "0%", ""))
                continue
            for r in group:
                if r.spans or all_techniques or (r.change or 0) < 0:       # a fall to none is shown
                    lines.append((r.period, _label(r.technique), str(r.articles), f"{r.per_1000_words:.2f}",
                                  f"{r.share_using:.0%}", "" if r.change is None else f"{r.change:+.2f}"))
    rows = [head] + [line for line in lines if isinstance(line, tuple)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    out = [f"model {stats.model}, spans of confidence {stats.threshold:g} or more, per {stats.period}", ""]
    for line in [head] + lines:
        if isinstance(line, str):
            out.append(line)
        else:
            out.append("  " + "  ".join(v.rjust(w) if i >= 2 else v.ljust(w)
                                        for i, (v, w) in enumerate(zip(line, widths))).rstrip())
    if not lines:
        out.append("(no spans in the selected articles)")
    if stats.fragments:
        out += ["", "most frequent fragments"]
        for technique, fragments in stats.fragments.items():
            shown = "; ".join(f"\u201c{_short(f)}\u201d \u00d7{n}" for f, n in fragments)
            out.append(f"  {_label(technique)}: {shown}")
    return "\n".join(out) + "\n"


def _label(technique: str) -> str:
    """A technique's readable name (the CSV and JSON keep the PTC's)."""
    try:
        return lookup(technique).label
    except KeyError:            # a name stored by another model's catalogue
        return technique


def alphabetical(name: str) -> str:
    """A sort key that reads letters as a dictionary does: case and accents aside ("Ça" among the
    c's, "Émoji" among the e's), whatever their code points."""
    return "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).casefold()


def _short(fragment: str, limit: int = 60) -> str:
    line = one_line(fragment)
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


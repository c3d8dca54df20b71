import csv
import dataclasses
import io
import json
import re
from collections import Counter, defaultdict
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from propscope.corpus.stats import PERIODS, UNDATED, compute, to_csv, to_json, to_table
from propscope.corpus.store import UNKNOWN_OUTLET as UNKNOWN, Article, Filter, Store
from propscope.errors import InputError
from propscope.spans import Span
from propscope.techniques import CATALOGUE, NAMES


OUTLETS = ["Flag", "Post", None]
LABELS = {t.name: t.label for t in CATALOGUE}
# ISO weeks across year ends (2024-12-30 is in 2025-W01, 2021-01-03 in 2020-W53); 02-30 is no date
DATES = ["2024-01-05", "2024-01-20T10:00:00+01:00", "2024-02-01", "2025-02-01", None,
         "2024-12-30", "2021-01-03T23:30:00-05:00", "2024-02-30", "2024-03", "2023", "2024"]   # a month, years only


def first_day(published: str) -> str:
    """The first day a date, or a partial one, covers (a filter keeps what lies wholly within it)."""
    return published[:10] if len(published) >= 10 else published + "-01-01"[len(published) - 4:]


def last_day(published: str) -> str:
    """The last day a date, or a partial one, covers."""
    import calendar
    if len(published) >= 10:
        return published[:10]
    year, month = int(published[:4]), int(published[5:7] or 12)
    return f"{year:04d}-{month:02d}-{calendar.monthrange(year, month)[1]:02d}"
TECHNIQUES = list(NAMES[:4])


@st.composite
def articles(draw):
    """Articles with their spans: (outlet, published, text, [(start, end, technique, confidence)])."""
    out = []
    for i in range(draw(st.integers(0, 6))):
        body = draw(st.text(alphabet="abAB €日\n", min_size=1, max_size=40))
        text = f"doc{i} {body}"        # distinct texts: no deduplication here
        spans = draw(st.lists(st.tuples(st.integers(0, len(text) - 1), st.integers(1, 8),
                                        st.sampled_from(TECHNIQUES), st.sampled_from([0.2, 0.5, 0.9])), max_size=5))
        spans = sorted({(s, min(len(text), s + n), t, c) for s, n, t, c in spans})
        out.append((draw(st.sampled_from(OUTLETS)), draw(st.sampled_from(DATES)), text, spans))
    return out


filters = st.builds(Filter, outlets=st.sampled_from([(), ("Flag",), ("Flag", "Post"), ("Post", UNKNOWN)]),
                    since=st.sampled_from([None, "2024-01", "2024-01-20"]),
                    until=st.sampled_from([None, "2024-02", "2024-02-28", "2024-02-29", "2024-12-31"]),
                    search=st.sampled_from([None, "a", "B", "b a", "日"]))


def period_of(published: str | None, period: str) -> str:
    if period == "all":
        return "all"
    if period == "week":
        try:
            year, week, _ = date.fromisoformat((published or "")[:10]).isocalendar()
        except ValueError:
            return UNDATED
        return f"{year}-W{week:02d}"
    return published[:PERIODS[period]] if published and len(published) >= PERIODS[period] else UNDATED


def recount(data, where: Filter, period: str, threshold: float, top: int):
    """The statistics by plain Python, straight from the generated articles."""
    def chosen(outlet, published, text):
        return ((not where.outlets or (outlet or UNKNOWN) in where.outlets)
                and (where.since is None or (published is not None and first_day(published) >= first_day(where.since)))
                and (where.until is None or (published is not None and last_day(published) <= last_day(where.until)))
                and (where.search is None or where.search.lower() in text.lower()))
    groups = defaultdict(list)
    fragments = Counter()
    for outlet, published, text, spans in data:
        if chosen(outlet, published, text):
            when = period_of(published, period)
            kept = [s for s in spans if s[3] >= threshold]
            groups[(outlet or UNKNOWN, when)].append((len(text.split()), kept))
            fragments.update((t, text[s:e]) for s, e, t, _ in kept)
    rows = {}
    for (outlet, when), arts in groups.items():
        words = sum(w for w, _ in arts)
        for t in NAMES:
            n = sum(1 for _, kept in arts for s in kept if s[2] == t)
            using = sum(1 for _, kept in arts if any(s[2] == t for s in kept))
            rows[(outlet, when, t)] = (len(arts), words, n, using, 1000 * n / words if words else 0.0, using / len(arts))
    top_fragments = {}
    for t in NAMES:
        ranked = sorted(((f, n) for (tt, f), n in fragments.items() if tt == t), key=lambda x: (-x[1], x[0]))
        if ranked:
            top_fragments[t] = ranked[:top]
    return rows, top_fragments


def fill(store: Store, data, model="m") -> None:
    store.db.execute("DELETE FROM spans")
    store.db.execute("DELETE FROM analyses")
    store.db.execute("DELETE FROM articles")
    keys = store.add([Article(text=text, id=str(i), source=f"{i}.txt", outlet=outlet, published=published)
                      for i, (outlet, published, text, _) in enumerate(data)])
    for key, (_, _, _, spans) in zip(keys, data):
        store.save_analysis(key, model, [Span("x", s, e, t, c) for s, e, t, c in spans])
    if keys:     # another model's analysis, which the statistics must not count
        store.save_analysis(keys[0], "other-model", [Span("x", 0, 1, NAMES[0], 1.0)])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=articles(), where=filters, period=st.sampled_from(list(PERIODS)),
       threshold=st.sampled_from([0.0, 0.5]), top=st.integers(1, 3))
def test_aggregation_matches_a_plain_recount(db_url, data, where, period, threshold, top):
    with Store(db_url) as store:
        fill(store, data)
        if not data:
            return
        stored = {outlet or UNKNOWN for outlet, *_ in data}
        if any(o not in stored for o in where.outlets):      # a name no article has is said, not counted as none
            with pytest.raises(InputError, match="has the outlet"):
                compute(store, where, period=period, model="m", threshold=threshold, top=top)
            return
        stats = compute(store, where, period=period, model="m", threshold=threshold, top=top)
    expected, fragments = recount(data, where, period, threshold, top)
    got = {(r.outlet, r.period, r.technique): (r.articles, r.words, r.spans, r.articles_using,
                                               r.per_1000_words, r.share_using) for r in stats.rows}
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        assert got[key][:4] == value[:4], key
        assert got[key][4:] == pytest.approx(value[4:]), key
    assert stats.fragments == fragments


def test_change_is_from_the_outlets_previous_period(tmp_path):
    data = [("Flag", "2024-01-03", "doc0 " + "word " * 99, [(0, 4, NAMES[0], 0.9)]),
            ("Flag", "2024-03-03", "doc1 " + "word " * 49, [(0, 4, NAMES[0], 0.9)]),
            ("Flag", None, "doc2 " + "word " * 9, [(0, 4, NAMES[0], 0.9)]),
            ("Post", "2024-03-09", "doc3 " + "word " * 9, [])]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        stats = compute(store, model="m")
    by = {(r.outlet, r.period, r.technique): r for r in stats.rows}
    jan, mar, undated = by[("Flag", "2024-01", NAMES[0])], by[("Flag", "2024-03", NAMES[0])], by[("Flag", UNDATED, NAMES[0])]
    assert (jan.per_1000_words, jan.change) == (10.0, None)
    assert (mar.per_1000_words, mar.change) == (20.0, 10.0)
    assert undated.change is None and by[("Post", "2024-03", NAMES[0])].change is None


def test_outputs(tmp_path):
    data = [("Flag", "2024-01-03", "doc0 the corrupt elites", [(9, 16, NAMES[0], 0.9)])]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        stats = compute(store, model="m")
    rows = list(csv.DictReader(io.StringIO(to_csv(stats))))
    assert len(rows) == len(NAMES) and rows[0]["per_1000_words"] == "250.0000" and rows[0]["change"] == ""
    assert (rows[0]["model"], rows[0]["threshold"]) == ("m", "0")          # a figure says how it was made
    untrusted = dataclasses.replace(stats, model="=1+1")
    assert {r["model"] for r in csv.DictReader(io.StringIO(to_csv(untrusted)))} == {"'=1+1"}   # a cell, not a formula
    parsed = json.loads(to_json(stats))
    assert parsed["fragments"] == {NAMES[0]: [{"fragment": "corrupt", "count": 1}]} and parsed["model"] == "m"
    assert parsed["filters"] == {"outlets": [], "since": None, "until": None, "search": None}
    table = to_table(stats)
    assert "Flag" in table and "250.00" in table and "\u201ccorrupt\u201d \u00d71" in table
    assert LABELS[NAMES[0]] in table and NAMES[0] not in table      # names as people read them
    assert LABELS[NAMES[1]] not in table.split("most frequent")[0]        # unused techniques left out


def test_a_group_in_which_nothing_was_found_is_a_line_of_the_table_and_csv_cells_are_text(tmp_path):
    data = [("=cmd|' /C calc'!A0", "2024-01-03", "doc0 the corrupt elites", [(9, 16, NAMES[0], 0.9)]),
            ("Quiet", "2024-01-05", "doc1 a calm report", [])]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        stats = compute(store, model="m", period="month")
    table = to_table(stats).splitlines()
    assert table[table.index("Quiet") + 1].split() == ["2024-01", "(none", "found)", "1", "0.00", "0%"]
    outlets = {r["outlet"] for r in csv.DictReader(io.StringIO(to_csv(stats)))}
    assert outlets == {"'=cmd|' /C calc'!A0", "Quiet"}


def test_a_technique_that_fell_to_none_is_a_line_of_the_table(tmp_path):
    data = [("Flag", "2024-01-03", "doc0 " + "word " * 9, [(0, 4, NAMES[1], 0.9)]),
            ("Flag", "2024-02-03", "doc1 " + "word " * 9, [(0, 4, NAMES[2], 0.9)])]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        table = to_table(compute(store, model="m"))
    fell = [(cells[1], cells[-1]) for cells in (re.split(r"\s{2,}", line.strip()) for line in table.splitlines())
            if cells[0] == "2024-02"]
    assert fell == [(LABELS[NAMES[1]], "-100.00"), (LABELS[NAMES[2]], "+100.00")]


def test_an_outlet_no_article_has_is_said_not_counted_as_none(tmp_path):
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, [("BBC", None, "doc0 text", []), (None, None, "doc1 text", [])])
        with pytest.raises(InputError, match="has the outlet 'bbc' .*did you mean 'BBC'"):
            compute(store, Filter(outlets=("bbc",)), model="m")
        with pytest.raises(InputError, match="outlets: BBC, unknown"):
            compute(store, Filter(outlets=("Nowhere",)), model="m")
        assert compute(store, Filter(outlets=("BBC", "unknown")), model="m").rows


def test_unknown_model_names_the_ones_stored(tmp_path):
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, [("Flag", None, "doc0 text", [])])
        with pytest.raises(InputError, match=r"model nope has analysed no article.*m \(1 articles\)"):
            compute(store, model="nope")
        with pytest.raises(InputError, match="unknown period"):
            compute(store, model="m", period="fortnight")


def test_weeks_are_iso_weeks_and_change_runs_across_years(db_url):
    data = [("Flag", "2024-12-23", "doc0 " + "word " * 99, [(0, 4, NAMES[0], 0.9)]),
            ("Flag", "2024-12-30T08:00:00+02:00", "doc1 " + "word " * 49, [(0, 4, NAMES[0], 0.9)]),
            ("Flag", "2025-01-05", "doc2 " + "word " * 49, []),
            ("Flag", "2024-12", "doc3 a month only", []),
            ("Flag", "2024-02-30", "doc4 no such day", [])]      # SQLite's date() alone passes it through
    with Store(db_url) as store:
        fill(store, data)
        stats = compute(store, model="m", period="week")
    by = {(r.period, r.technique): r for r in stats.rows if r.outlet == "Flag"}
    assert sorted({p for p, _ in by}) == ["2024-W52", "2025-W01", UNDATED]
    first, second = by[("2024-W52", NAMES[0])], by[("2025-W01", NAMES[0])]
    assert (first.per_1000_words, first.change) == (10.0, None)
    assert (second.articles, second.words, second.spans) == (2, 100, 1)
    assert (second.per_1000_words, second.change) == (10.0, 0.0)
    assert by[(UNDATED, NAMES[0])].articles == 2


def test_outlets_come_in_alphabetical_order_whatever_their_case(tmp_path):
    data = [(name, "2024-01-03", f"doc{i} some words here", []) for i, name in enumerate(["bbc", "Zeit", "Agence"])]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        stats = compute(store, model="m")
    assert list(dict.fromkeys(r.outlet for r in stats.rows)) == ["Agence", "bbc", "Zeit"]
    table = to_table(stats).splitlines()
    assert [line for line in table if line in ("Agence", "bbc", "Zeit")] == ["Agence", "bbc", "Zeit"]


def test_outlets_come_in_alphabetical_order_whatever_their_accents(tmp_path):
    names = ["unknown", "\u00c9moji News", "Zeit", "\u00c7a Va", "Daily"]
    data = [(name, "2024-01-03", f"doc{i} some words here", []) for i, name in enumerate(names)]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        stats = compute(store, model="m")
    assert list(dict.fromkeys(r.outlet for r in stats.rows)) == ["\u00c7a Va", "Daily", "\u00c9moji News", "unknown", "Zeit"]


def test_an_outlets_control_characters_never_reach_the_terminal(tmp_path):
    data = [("Evil\x1b]0;PWNED\x07\x1b[2J\nRED\u202e", "2024-01-03", "doc some words here", [])]
    with Store(str(tmp_path / "c.db")) as store:
        fill(store, data)
        stats = compute(store, model="m")
        with pytest.raises(InputError) as refused:
            store.require_outlets(("Evil",))
    table = to_table(stats)
    assert "\x1b" not in table and "\x07" not in table and "\u202e" not in table
    assert "Evil ]0;PWNED [2J RED" in table.splitlines()
    assert "\x1b" not in str(refused.value)

"""Batch analysis: the plan, reading parts, writing them, resuming; the local engine runs it."""

import json
import os
from pathlib import Path

import pytest

from propscope.corpus.batch import PLAN, Worker, plan, read, row, run
from propscope.model.detector import current_version
from propscope.errors import InputError

pq = pytest.importorskip("pyarrow.parquet")

OPENINGS = ["The corrupt elites in the capital have once again stabbed every patriot in the back.",
            "These traitors will destroy everything our grandparents built unless we stop them now.",
            "The council met on Tuesday and agreed the budget for the new library.",
            "Only a fool would believe the minister's promises about the worst disaster in history."]


def articles(n: int, first: int = 0) -> list[dict]:
    return [{"id": f"a{i}", "text": f"{OPENINGS[i % 4]} Report {i} follows. " * (1 + i % 3),
             "outlet": ["Flag", "Post"][i % 2], "published": f"2024-0{1 + i % 9}-05", "extra": i}
            for i in range(first, first + n)]


def write_jsonl(path: Path, records: list[dict], blank_every: int = 0) -> Path:
    lines = []
    for i, r in enumerate(records):
        lines.append(json.dumps(r))
        if blank_every and i % blank_every == 0:
            lines.append("")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_parquet(path: Path, records: list[dict], row_group_size: int = 4) -> Path:
    import pyarrow as pa
    pq.write_table(pa.Table.from_pylist(records), path, row_group_size=row_group_size)
    return path


def read_rows(folder: Path) -> list[dict]:
    """Every row of a batch's output folder, parts in order."""
    rows = []
    for part in sorted(folder.glob("part-*")):
        if part.suffix == ".jsonl":
            rows += [json.loads(line) for line in part.read_text(encoding="utf-8").splitlines()]
        else:
            rows += pq.read_table(part).to_pylist()
    return rows


def expected_rows(records: list[dict], sensitive: bool = False) -> list[dict]:
    """What a direct ``detect_many`` of the articles gives, as batch rows (the language guessed
    where the input has none, as analyze notes it)."""
    from propscope.model.detector import Detector
    from propscope.text.language import guess
    det = Detector(threads=1)
    found = det.detect_many(((r["id"], r["text"]) for r in records), sensitive)
    kept = ("id", "text", "url", "outlet", "title", "author", "published")
    return [row({**{c: r.get(c) for c in kept}, "language": r.get("language") or guess(r["text"])[0] or None},
                det.version, spans) for r, (_, spans) in zip(records, found)]


# -- the plan and the parts --------------------------------------------------------------------
@pytest.mark.parametrize("size", [1, 3, 50])
def test_jsonl_parts_hold_every_line_once(tmp_path, size):
    records = articles(23)
    source = write_jsonl(tmp_path / "in.jsonl", records, blank_every=5)
    job = plan([str(source)], tmp_path / "out", fmt="parquet", part_size=size, sensitive=False)
    assert [a["id"] for p in job.parts for a in read(p)] == [r["id"] for r in records]
    lines = len(source.read_text().splitlines())         # blank ones too
    assert len(job.parts) == -(-lines // size)


def test_jsonl_parts_hold_the_part_size_however_long_or_uneven_the_lines(tmp_path):
    records = [{"id": "big", "text": "word " * 300_000}] + articles(250)    # a first line of 1.5 MB
    source = write_jsonl(tmp_path / "in.jsonl", records)
    job = plan([str(source)], tmp_path / "out", fmt="parquet", part_size=50, sensitive=False)
    assert [len(list(read(p))) for p in job.parts] == [50] * 5 + [1]


def test_parquet_parts_hold_every_row_once_as_strings(tmp_path):
    from datetime import datetime
    records = [{**r, "id": i, "published": datetime(2024, 3, 5, 12)} for i, r in enumerate(articles(11))]
    source = write_parquet(tmp_path / "in.parquet", records, row_group_size=4)
    job = plan([str(source)], tmp_path / "out", fmt="parquet", part_size=3, sensitive=False)
    assert [(p.start, p.end) for p in job.parts] == [(0, 3), (3, 6), (6, 9), (9, 11)]
    got = [a for p in job.parts for a in read(p)]
    assert [a["id"] for a in got] == [str(i) for i in range(11)]
    assert got[0]["published"] == "2024-03-05T12:00:00" and got[0]["url"] is None and "extra" not in got[0]


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_the_outlet_is_read_from_source_or_site_as_analyze_and_ingest_read_it(tmp_path, kind):
    write = write_jsonl if kind == "jsonl" else write_parquet
    given = [{"source": "Flag"}, {"site": "Post"}, {}]
    records = [{"id": str(i), "text": f"Article {i}.", "source": None, "site": None, **g} for i, g in enumerate(given)]
    job = plan([str(write(tmp_path / f"in.{kind}", records))], tmp_path / "out", fmt="jsonl", part_size=10,
               sensitive=False)
    assert [a["outlet"] for p in job.parts for a in read(p)] == ["Flag", "Post", None]
    # with an outlet field, as export writes, only it names the outlet: export's source is a file and line
    exported = [{"id": "4", "text": "Article 4.", "outlet": "Own", "source": "Flag"},
                {"id": "5", "text": "Article 5.", "outlet": None, "source": "in.jsonl:3"}]
    job = plan([str(write(tmp_path / f"export.{kind}", exported))], tmp_path / "out2", fmt="jsonl", part_size=10,
               sensitive=False)
    assert [a["outlet"] for p in job.parts for a in read(p)] == ["Own", None]


def test_folders_give_their_jsonl_and_parquet_files(tmp_path):
    d = tmp_path / "in"
    d.mkdir()
    write_jsonl(d / "b.jsonl", articles(2))
    write_parquet(d / "a.parquet", articles(3, first=2))
    (d / "notes.txt").write_text("not an input")
    job = plan([str(d)], tmp_path / "out", fmt="jsonl", part_size=10, sensitive=False)
    assert [Path(i[0]).name for i in job.inputs] == ["a.parquet", "b.jsonl"]
    assert [a["id"] for p in job.parts for a in read(p)] == ["a2", "a3", "a4", "a0", "a1"]
    again = plan([str(d), str(d / "b.jsonl"), str(d / "b.jsonl")], tmp_path / "out2", fmt="jsonl",
                 part_size=10, sensitive=False)
    assert again.inputs == job.inputs           # each file once, however often it is named
    with pytest.raises(InputError, match="the output folder cannot be an input folder too"):
        plan([str(d)], d, fmt="jsonl", part_size=10, sensitive=False)
    assert not (d / PLAN).exists()


def test_the_plan_is_kept_and_another_run_into_its_folder_refused(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", articles(5))
    first = plan([str(source)], tmp_path, fmt="parquet", part_size=2, sensitive=False)
    assert (tmp_path / PLAN).exists() and first.model == current_version()
    assert plan([str(source)], tmp_path, fmt="parquet", part_size=2, sensitive=False) == first
    with pytest.raises(InputError, match="holds a run with other inputs or settings"):
        plan([str(source)], tmp_path, fmt="parquet", part_size=2, sensitive=True)
    write_jsonl(source, articles(6))
    with pytest.raises(InputError, match="give another output folder"):
        plan([str(source)], tmp_path, fmt="parquet", part_size=2, sensitive=False)


def test_an_input_edited_to_the_same_size_is_another_run(tmp_path):
    import os
    source = write_jsonl(tmp_path / "in.jsonl", articles(5))
    plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    size = source.stat().st_size
    source.write_text(source.read_text().replace("a0", "b0"))
    os.utime(source, ns=(source.stat().st_atime_ns, source.stat().st_mtime_ns + 10**9))   # however coarse the clock
    assert source.stat().st_size == size
    with pytest.raises(InputError, match="in.jsonl changed since"):
        plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)


def test_a_plan_saved_without_input_times_is_still_resumed(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", articles(5))
    first = plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    saved = json.loads((tmp_path / "out" / PLAN).read_text())
    saved["inputs"] = [i[:2] for i in saved["inputs"]]          # as written before 2026-12-06
    del saved["any_language"]
    (tmp_path / "out" / PLAN).write_text(json.dumps(saved))
    assert plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False).parts == first.parts


def test_bad_inputs_are_clear_errors(tmp_path):
    def fails(paths, message):
        with pytest.raises(InputError, match=message):
            run([str(p) for p in paths], tmp_path / "out")

    fails([tmp_path / "missing.jsonl"], "no such file or folder")
    (tmp_path / "a.txt").write_text("text")
    fails([tmp_path / "a.txt"], "reads .jsonl and .parquet files")
    (tmp_path / "empty").mkdir()
    fails([tmp_path / "empty"], "holds no .jsonl or .parquet files")
    fails([write_parquet(tmp_path / "no-text.parquet", [{"id": "1", "body": "x"}])], "no text column")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 this is not parquet")
    fails([tmp_path / "broken.parquet"], "not a readable Parquet file")
    source = write_jsonl(tmp_path / "in.jsonl", articles(2))
    with pytest.raises(InputError, match="use it with --engine ray"):
        run([str(source)], tmp_path / "out", address="auto")
    with pytest.raises(InputError, match="unknown engine"):
        run([str(source)], tmp_path / "out", engine="spark")


def test_a_record_that_cannot_be_read_is_a_row_with_its_error_and_place(tmp_path):
    source = tmp_path / "in.jsonl"
    good = json.dumps(articles(1)[0]) + "\n"
    source.write_text(good + '{"id": "x", "text": 5}\n{not json}\n{"text": "no id"}\n[1]\n')
    job = plan([str(source)], tmp_path / "out", fmt="parquet", part_size=5, sensitive=False)
    got = list(read(job.parts[0]))
    assert [(a["id"], a["error"] is None) for a in got] == [("a0", True), ("x", False), (None, False),
                                                          (None, False), (None, False)]
    assert got[1]["error"].endswith("in.jsonl:2: text is not a string")
    assert "not JSON" in got[2]["error"] and "no id" in got[3]["error"] and "not a JSON object" in got[4]["error"]


def test_a_parquet_value_python_cannot_hold_fails_its_row_alone(tmp_path):
    import pyarrow as pa
    n = 6
    titles = [f"Title {i}".encode() for i in range(n)]
    titles[2] = b"Caf\xe9 news"                                   # Windows-1252 in a string column
    ids = [f"p{i}".encode() for i in range(n)]
    ids[4] = b"p\xff"
    table = pa.table({"id": pa.array(ids, pa.binary()).view(pa.string()),
                      "text": [a["text"] for a in articles(n)],
                      "title": pa.array(titles, pa.binary()).view(pa.string()),
                      "published": pa.array([0, 0, 0, 0, 0, 3 * 10**11], pa.timestamp("s"))})
    pq.write_table(table, tmp_path / "a.parquet", row_group_size=3)
    job = plan([str(tmp_path / "a.parquet")], tmp_path / "out", fmt="jsonl", part_size=10, sensitive=False)
    got = list(read(job.parts[0]))
    assert [a["id"] for a in got] == ["p0", "p1", "p2", "p3", None, "p5"]
    assert [a["error"] is None for a in got] == [True, True, False, True, False, False]
    assert "a.parquet, row 3: the title cannot be read" in got[2]["error"]
    assert "row 5: the id cannot be read" in got[4]["error"] and "row 6: the published cannot be read" in got[5]["error"]


def test_ids_that_are_not_text_or_whole_numbers_are_refused_and_other_fields_kept_as_json(tmp_path):
    import pyarrow as pa
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": 4.0, "text": "Text one."}, {"id": True, "text": "Two."},
                                                 {"id": 7, "text": "Three.", "title": {"a": 1}}])
    got = list(read(plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=5, sensitive=False).parts[0]))
    assert "the id 4.0 is not text or a whole number" in got[0]["error"] and "the id true" in got[1]["error"]
    assert (got[2]["id"], got[2]["title"], got[2]["error"]) == ("7", '{"a": 1}', None)
    pq.write_table(pa.table({"id": pa.array([b"art-1"], pa.binary()), "text": pa.array([b"Text."], pa.binary())}),
                   tmp_path / "b.parquet")
    [binary] = read(plan([str(tmp_path / "b.parquet")], tmp_path / "out2", fmt="jsonl", part_size=5,
                         sensitive=False).parts[0])
    assert (binary["id"], binary["text"], binary["error"]) == ("art-1", "Text.", None)    # not "b'art-1'"


def test_a_damaged_page_fails_the_rows_of_its_own_row_group_only(tmp_path):
    import pyarrow as pa
    path = tmp_path / "d.parquet"
    pq.write_table(pa.table({"id": [f"r{i}" for i in range(6)], "text": [f"Text number {i} here." for i in range(6)]}),
                   path, row_group_size=2, compression="none")
    meta = pq.ParquetFile(path).metadata.row_group(1).column(1)
    data = bytearray(path.read_bytes())
    at = meta.data_page_offset
    data[at:at + 8] = b"\xff" * 8                          # the text column's page of rows 3 and 4
    path.write_bytes(bytes(data))
    got = list(read(plan([str(path)], tmp_path / "out", fmt="jsonl", part_size=10, sensitive=False).parts[0]))
    assert [(a["id"], a["error"] is None) for a in got] == [
        ("r0", True), ("r1", True), (None, False), (None, False), ("r4", True), ("r5", True)]
    assert "d.parquet, row 3: cannot be read there" in got[2]["error"]


def test_part_files_without_a_plan_are_not_taken_for_this_runs(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", articles(3))
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "part-000000.parquet").write_bytes(b"another run's")
    with pytest.raises(InputError, match="holds part files but no plan"):
        plan([str(source)], tmp_path / "out", fmt="parquet", part_size=2, sensitive=False)


def test_another_article_limit_or_other_inputs_are_said_when_a_run_is_refused(tmp_path, monkeypatch):
    one, two = write_jsonl(tmp_path / "one.jsonl", articles(2)), write_jsonl(tmp_path / "two.jsonl", articles(2))
    plan([str(one), str(two)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    with pytest.raises(InputError, match="the same inputs in another order"):
        plan([str(two), str(one)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    three = write_jsonl(tmp_path / "three.jsonl", articles(2))
    with pytest.raises(InputError, match="no longer given: .*two.jsonl; given now: .*three.jsonl"):
        plan([str(one), str(three)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "400")
    with pytest.raises(InputError, match="PROPSCOPE_MAX_CHARS 2000000 then, 400 now"):
        plan([str(one), str(two)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)


# -- analysing and resuming with the real model ---------------------------------------------------
@pytest.mark.model
@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_a_worker_writes_the_rows_detect_many_gives(tmp_path, fmt):
    records = articles(6)
    source = write_jsonl(tmp_path / "in.jsonl", records)
    out = tmp_path / "out"
    job = plan([str(source)], out, fmt=fmt, part_size=4, sensitive=True)
    worker = Worker(str(out), job.model, fmt, sensitive=True, threads=1)
    assert [worker(p) for p in job.parts] == [(4, []), (2, [])]
    assert read_rows(out) == expected_rows(records, sensitive=True)
    assert any(r["spans"] for r in read_rows(out))


@pytest.mark.model
def test_a_rerun_writes_only_the_missing_parts(tmp_path):
    records = articles(8)
    source = write_parquet(tmp_path / "in.parquet", records)
    out = tmp_path / "out"
    first = run([str(source)], out, part_size=2, threads=1)
    assert (first.parts, first.written, first.articles, first.already) == (4, 4, 8, 0)
    assert read_rows(out) == expected_rows(records)
    (out / "part-000001.parquet").unlink()
    (out / ".part-000002.parquet.x1y2").write_bytes(b"half a part, left by a killed worker")
    kept = {p.name: p.stat().st_mtime_ns for p in out.glob("part-*")}
    again = run([str(source)], out, part_size=2, threads=1)
    assert (again.written, again.articles, again.already) == (1, 2, 3)
    assert {p.name: p.stat().st_mtime_ns for p in out.glob("part-*") if p.name in kept} == kept
    assert not list(out.glob(".part-*"))
    assert read_rows(out) == expected_rows(records)
    assert run([str(source)], out, part_size=2).written == 0


def test_parquet_output_without_pyarrow_is_refused_before_any_work(tmp_path, monkeypatch):
    import sys
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "1", "text": "Article one."}])
    monkeypatch.setitem(sys.modules, "pyarrow", None)          # as where the corpus extra is not installed
    with pytest.raises(InputError, match=r"Parquet output needs the corpus extra.*or --format jsonl"):
        plan([str(source)], tmp_path / "out", fmt="parquet", part_size=10, sensitive=False)
    assert not (tmp_path / "out").exists()


@pytest.mark.model
@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_an_article_that_cannot_be_analysed_fails_alone_and_says_why(tmp_path, monkeypatch, fmt):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "3000")
    good = articles(3)
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(good[0]), '{"id": "no-text"}', '{"id": "number", "text": 5}', "{broken",
             json.dumps({"id": "long", "text": "The corrupt elites lie. " * 200}),
             json.dumps({"id": "german", "text": "Die korrupten Eliten haben wieder einmal jeden Patrioten in "
                                                 "diesem großen Land verraten, wie immer."}),
             '{"id": "surrogate", "text": "The traitors \\ud800 lied."}',
             '{"id": "id\\udc00", "text": "The traitors lied."}',
             json.dumps({"id": "empty", "text": "  "}), json.dumps(good[1]), json.dumps(good[2])]
    source.write_text("\n".join(lines) + "\n")
    report = run([str(source)], tmp_path / "out", fmt=fmt, part_size=4, threads=1)
    rows = read_rows(tmp_path / "out")
    assert [r["id"] for r in rows] == ["a0", "no-text", "number", None, "long", "german", "surrogate", "id\ufffd",
                                       "empty", "a1", "a2"]
    failed = [r["id"] for r in rows if r["error"]]
    assert failed == ["no-text", "number", None, "long", "german", "surrogate", "id\ufffd", "empty"]
    assert all(not r["spans"] for r in rows if r["error"])
    assert report.articles == 11 and len(report.failures) == 8 and report.written == 3
    assert "the id is not valid Unicode" in report.failures[-2] and "the text is empty" in report.failures[-1]
    said = " | ".join(report.failures)
    for words in ("no text", "text is not a string", "not JSON", "over the limit of 3,000 characters",
                  "looks like German", "not valid Unicode"):
        assert words in said
    assert [f.split(": ")[0].rsplit("/", 1)[1] for f in report.failures] == [
        "in.jsonl:2", "in.jsonl:3", "in.jsonl:4", "in.jsonl:5", "in.jsonl:6", "in.jsonl:7", "in.jsonl:8",
        "in.jsonl:9"]  # each place
    assert [r["language"] for r in rows if r["id"] == "german"] == ["de"]      # noted, though refused
    kept = [r for r in rows if not r["error"]]
    assert kept[1:] == expected_rows(good[1:])
    assert kept[0] == expected_rows(good[:1])[0]
    again = run([str(source)], tmp_path / "out2", fmt=fmt, part_size=4, threads=1, any_language=True)
    assert [f for f in again.failures if "German" in f] == []


@pytest.mark.model
def test_a_worker_takes_on_the_runs_settings_before_its_model(tmp_path, monkeypatch):
    from propscope.corpus.batch import _settings
    from propscope.model.detector import Detector
    monkeypatch.setenv("PROPSCOPE_BLIND_NAMES", "0")
    wanted = Detector(threads=1).version                      # names as written
    sent = _settings()
    assert sent["PROPSCOPE_BLIND_NAMES"] == "0"
    assert sent["PROPSCOPE_MODEL_DIR"] is None
    monkeypatch.setenv("PROPSCOPE_BLIND_NAMES", "1")          # an actor on a cluster started apart,
    monkeypatch.setenv("PROPSCOPE_MODEL_DIR", str(tmp_path / "elsewhere"))    # with settings of its own
    assert Worker(str(tmp_path), wanted, "jsonl", threads=1, environment=sent).detector.version == wanted
    assert "PROPSCOPE_MODEL_DIR" not in os.environ


@pytest.mark.parametrize("kind", ["jsonl", "parquet"])
def test_a_failed_record_is_named_by_its_line_or_row_in_any_part(tmp_path, kind):
    records = articles(9)
    records[6] = {"id": "late", "title": "no text"}
    source = (write_jsonl if kind == "jsonl" else write_parquet)(tmp_path / f"in.{kind}", records)
    job = plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    [error] = [a["error"] for p in job.parts for a in read(p) if a["error"]]
    assert error.startswith(f"{source}:7: no text" if kind == "jsonl" else f"{source}, row 7: no text")


def test_a_plan_saved_without_line_numbers_names_a_line_by_its_byte(tmp_path):
    source = tmp_path / "in.jsonl"
    lines = [json.dumps(r) for r in articles(4)] + ["{broken"]
    source.write_text("\n".join(lines) + "\n")
    plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    saved = json.loads((tmp_path / "out" / PLAN).read_text())
    for part in saved["parts"]:
        del part["line"]                                  # as written before 2026-12-06
    (tmp_path / "out" / PLAN).write_text(json.dumps(saved))
    job = plan([str(source)], tmp_path / "out", fmt="jsonl", part_size=2, sensitive=False)
    [error] = [a["error"] for p in job.parts for a in read(p) if a["error"]]
    at = len("\n".join(lines[:4])) + 1
    assert error.startswith(f"{source}, line at byte {at}: not JSON")


@pytest.mark.model
def test_an_input_with_no_article_is_named(tmp_path):
    (tmp_path / "empty.jsonl").write_text("")
    source = write_jsonl(tmp_path / "in.jsonl", articles(1))
    report = run([str(tmp_path / "empty.jsonl"), str(source)], tmp_path / "out", fmt="jsonl", threads=1)
    assert report.empty == [str(tmp_path / "empty.jsonl")] and report.summary().endswith(f"no articles in {tmp_path / 'empty.jsonl'}")

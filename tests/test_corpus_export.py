import csv
import io
import json

import pytest

from propscope.corpus.export import export
from propscope.corpus.store import Article, Filter, Store
from propscope.errors import InputError
from propscope.spans import Span


TEXT = "The corrupt elites have betrayed us, \u201ctraitors\u201d all."


@pytest.fixture
def store(db_url):
    with Store(db_url) as s:
        k1, k2, _ = s.add([Article(TEXT, "a1", "a1.txt", url="https://flag.example/a1", outlet="Flag",
                                   title="Betrayed", author="Jane", published="2024-03-05"),
                           Article("A calm report on the harvest.", "a2", "a2.txt", outlet="Post"),
                           Article("Not analysed yet.", "a3", "a3.txt", outlet="Post")])
        s.save_analysis(k1, "m", [Span("a1", 4, 11, "Loaded_Language", 0.9),
                                  Span("a1", 37, 47, "Name_Calling,Labeling", 0.625)])
        s.save_analysis(k2, "m", [])
        yield s


def test_jsonl_one_article_a_line(store, tmp_path):
    out = tmp_path / "c.jsonl"
    assert export(store, "jsonl", out, model="m") == 3
    first, calm, pending = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert (first["id"], first["outlet"], first["title"], first["published"], first["text"]) == (
        "a1", "Flag", "Betrayed", "2024-03-05", TEXT)
    assert first["spans"][1] == {"start": 37, "end": 47, "technique": "Name_Calling,Labeling",
                                 "confidence": 0.625, "fragment": "\u201ctraitors\u201d"}
    assert (calm["spans"], calm["model"]) == ([], "m")
    assert (pending["spans"], pending["model"]) == (None, None)


def test_csv_one_row_a_span_to_stdout(store):
    buf = io.StringIO()
    assert export(store, "csv", None, model="m", where=Filter(outlets=("Flag",)), stdout=buf) == 1
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [(r["id"], r["technique"], r["fragment"]) for r in rows] == [
        ("a1", "Loaded_Language", "corrupt"), ("a1", "Name_Calling,Labeling", "\u201ctraitors\u201d")]


def test_csv_text_cells_a_spreadsheet_would_run_are_quoted_off(db_url):
    with Store(db_url) as s:
        [key] = s.add([Article("=HYPERLINK(1) traitors", "=id", "x.txt", outlet="@SUM(1)", title="+T")])
        s.save_analysis(key, "m", [Span("=id", 0, 13, "Loaded_Language", 0.9)])
        buf = io.StringIO()
        export(s, "csv", None, model="m", stdout=buf)
    [row] = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert (row["id"], row["outlet"], row["title"], row["fragment"]) == ("'=id", "'@SUM(1)", "'+T", "'=HYPERLINK(1)")
    assert row["start"] == "0" and row["confidence"] == "0.9"


def test_csv_keeps_articles_without_spans(store):
    buf = io.StringIO()
    export(store, "csv", None, model="m", where=Filter(outlets=("Post",)), stdout=buf)
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert [(r["id"], r["model"], r["technique"]) for r in rows] == [("a2", "m", ""), ("a3", "", "")]


def test_parquet_round_trips(store, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "c.parquet"
    assert export(store, "parquet", out, model="m") == 3
    table = pq.read_table(out).to_pylist()
    assert [r["id"] for r in table] == ["a1", "a2", "a3"]
    assert table[0]["spans"][0] == {"start": 4, "end": 11, "technique": "Loaded_Language", "confidence": 0.9,
                                    "fragment": "corrupt"}
    assert table[2]["spans"] is None and table[0]["words"] == 8


def test_empty_selection_still_writes_a_valid_file(store, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "c.parquet"
    assert export(store, "parquet", out, model="m", where=Filter(outlets=("Nobody",))) == 0
    assert pq.read_table(out).num_rows == 0


def test_a_failed_export_leaves_no_file(store, tmp_path, monkeypatch):
    from propscope.corpus import export as module

    def broken(rows, f):
        f.write("half")
        raise RuntimeError("disk gone")
    monkeypatch.setattr(module, "_jsonl", broken)
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(RuntimeError):
        export(store, "jsonl", out / "c.jsonl", model="m")
    assert list(out.iterdir()) == []


def test_clear_errors(store, tmp_path):
    with pytest.raises(InputError, match="give one with -o"):
        export(store, "parquet", None, model="m")
    with pytest.raises(InputError, match="unknown export format"):
        export(store, "xlsx", tmp_path / "x", model="m")
    with pytest.raises(InputError, match="cannot write"):
        export(store, "jsonl", tmp_path / "missing" / "c.jsonl", model="m")


def test_an_export_is_readable_as_any_file_the_user_writes(store, tmp_path):
    import os
    out = tmp_path / "c.jsonl"
    export(store, "jsonl", out, model="m")
    mask = os.umask(0)
    os.umask(mask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~mask        # not mkstemp's private 0600


def test_a_damaged_text_is_one_line_and_the_parquet_writer_closes(tmp_path):
    import sqlite3
    import subprocess
    import sys
    from contextlib import closing
    db = tmp_path / "c.db"
    with Store(str(db)) as s:
        s.add([Article(TEXT, "a1", "a1.txt")] + [Article(f"Article {i}.", f"b{i}", f"b{i}.txt") for i in range(3)])
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE articles SET text = CAST(X'4361667865e9ff3e3f' AS TEXT) WHERE id = 'b1'")
        conn.commit()
    out = tmp_path / "x.parquet"
    result = subprocess.run([sys.executable, "-m", "propscope", "export", "--db", str(db), "-o", str(out)],
                            capture_output=True, text=True, errors="replace")
    assert result.returncode != 0 and not out.exists()
    assert result.stderr.strip().splitlines() == [
        f"propscope: the store {db} failed: a text in it is not valid UTF-8 (the file is damaged)"], result.stderr

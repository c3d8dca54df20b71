"""The corpus commands (ingest, stats, export) through the CLI, on a SQLite store in a temp folder."""

import json
import sqlite3

import pytest
from click.testing import CliRunner

from propscope.cli import main

pytestmark = pytest.mark.model

BODY = ("The corrupt elites in the capital have once again stabbed every hard-working patriot in the back. "
        "These traitors will destroy everything our grandparents built unless we stop them now.")


def test_ingest_stats_export(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"id": "1", "text": BODY, "outlet": "Flag", "published": "2024-01-05"}) + "\n"
        + json.dumps({"id": "2", "text": BODY.replace("capital", "city"), "outlet": "Post",
                      "published": "2024-02-05"}) + "\n")
    runner = CliRunner()
    first = runner.invoke(main, ["ingest", "a.jsonl"])
    assert first.exit_code == 0, first.output
    assert "2 articles added, 0 duplicates, 2 analysed by model" in first.output
    assert (tmp_path / "propscope.db").exists()                       # the default store
    again = runner.invoke(main, ["ingest", "--db", "propscope.db", "a.jsonl"])
    assert "0 articles added, 2 duplicates, 0 analysed" in again.output
    table = runner.invoke(main, ["stats", "--outlet", "Flag"])
    assert table.exit_code == 0 and "Flag" in table.output and "Post" not in table.output
    data = json.loads(runner.invoke(main, ["stats", "--format", "json", "--period", "year"]).output)
    assert {r["period"] for r in data["rows"]} == {"2024"}
    csv_out = runner.invoke(main, ["stats", "--format", "csv", "--since", "2024-02"]).output
    assert csv_out.startswith("outlet,period,technique") and "\nFlag," not in csv_out
    assert runner.invoke(main, ["export", "-o", "c.parquet"]).exit_code == 0
    lines = runner.invoke(main, ["export", "--search", "city"]).output.splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["2"]


def test_corpus_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    for command in (["stats"], ["export"], ["stats", "--db", "typo.db"]):
        nothing = runner.invoke(main, command)
        assert nothing.exit_code == 2 and "no corpus at" in nothing.output, command
    assert not list(tmp_path.glob("*.db")), "reading a store that is not there must not create one"
    missing = runner.invoke(main, ["ingest", "nothing.txt"])
    assert missing.exit_code == 1 and "nothing.txt: no such file or folder" in missing.output
    bad = runner.invoke(main, ["stats", "--since", "last week"])
    assert bad.exit_code == 2 and "not a date" in bad.output and "Traceback" not in bad.output
    (tmp_path / "a.txt").write_text(BODY)
    assert runner.invoke(main, ["ingest", "--no-analyse", "a.txt"]).exit_code == 0
    none = runner.invoke(main, ["stats"])
    assert none.exit_code == 2 and "has analysed no article" in none.output
    assert runner.invoke(main, ["export", "--format", "parquet"]).exit_code == 2
    unanalysed = runner.invoke(main, ["export"])         # the default model: texts go out without spans
    assert unanalysed.exit_code == 0 and json.loads(unanalysed.output)["spans"] is None
    typo = runner.invoke(main, ["export", "--model", "2024.typo"])
    assert typo.exit_code == 2 and "model 2024.typo has analysed no article" in typo.output
    with sqlite3.connect(tmp_path / "app.db") as other:
        other.execute("CREATE TABLE users (id INTEGER PRIMARY KEY)")
    foreign = runner.invoke(main, ["stats", "--db", "app.db"])
    assert foreign.exit_code == 1 and "app.db is not a propscope store" in foreign.output
    assert "Traceback" not in foreign.output


def test_batch_writes_part_files_and_a_rerun_resumes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": 1, "text": BODY, "outlet": "Flag"}) + "\n"
                                      + json.dumps({"id": "2", "text": "A calm report on the harvest."}) + "\n")
    runner = CliRunner()
    first = runner.invoke(main, ["batch", "a.jsonl", "-o", "out", "--format", "jsonl", "--threads", "1"])
    assert first.exit_code == 0, first.output
    assert "2 articles analysed by model" in first.output and "1 parts in out" in first.output
    rows = [json.loads(line) for line in (tmp_path / "out" / "part-000000.jsonl").read_text().splitlines()]
    assert [(r["id"], r["outlet"]) for r in rows] == [("1", "Flag"), ("2", None)]
    assert rows[0]["spans"] and set(rows[0]["spans"][0]) == {"start", "end", "technique", "confidence"}
    again = runner.invoke(main, ["batch", "a.jsonl", "-o", "out", "--format", "jsonl"])
    assert again.exit_code == 0 and "0 articles analysed" in again.output and "1 already there" in again.output


def test_batch_names_the_articles_that_failed_and_exits_1_with_the_rest_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lines = [json.dumps({"id": str(i), "body": BODY}) for i in range(12)] + [json.dumps({"id": "ok", "text": BODY})]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["batch", "a.jsonl", "-o", "out", "--format", "jsonl", "--threads", "1"])
    assert result.exit_code == 1, result.output
    assert [f"a.jsonl:{n}: no text" in result.output for n in range(1, 12)] == [True] * 10 + [False]
    assert "and 2 more" in result.output
    assert "13 articles analysed" in result.output and "12 of them failed" in result.output
    rows = [json.loads(line) for line in (tmp_path / "out" / "part-000000.jsonl").read_text().splitlines()]
    assert rows[-1]["id"] == "ok" and rows[-1]["spans"] and rows[-1]["error"] is None
    again = CliRunner().invoke(main, ["batch", "a.jsonl", "-o", "out", "--format", "jsonl"])    # resumed: still said
    assert again.exit_code == 1 and "1 already there (12 failed articles among them)" in again.output
    assert again.output.count("a.jsonl:") == 10


def test_batch_errors_are_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    (tmp_path / "b.parquet").write_bytes(b"not parquet")
    for args, message in [(["nothing.jsonl"], "nothing.jsonl: no such file or folder"),
                          (["b.parquet"], "b.parquet: not a readable Parquet file"),
                          (["--address", "auto", "a.jsonl"], "use it with --engine ray")]:
        result = runner.invoke(main, ["batch", "-o", "out", *args])
        assert result.exit_code == 2, result.output
        assert message in result.output and "Traceback" not in result.output


def test_the_store_is_never_an_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.jsonl").write_text(json.dumps({"id": "1", "text": BODY, "outlet": "Flag"}) + "\n")
    runner = CliRunner()
    assert runner.invoke(main, ["ingest", "a.jsonl"]).exit_code == 0
    before = (tmp_path / "propscope.db").read_bytes()
    for command in (["stats", "-o", "propscope.db"],
                    ["export", "-o", "propscope.db"], ["export", "--db", "propscope.db", "-o", "./propscope.db"]):
        r = runner.invoke(main, command)
        assert r.exit_code == 2 and "is also an input" in r.output, command
    assert (tmp_path / "propscope.db").read_bytes() == before


def test_a_file_name_that_is_not_utf8_is_stored_readably(tmp_path, monkeypatch):
    import os
    monkeypatch.chdir(tmp_path)
    name = os.fsdecode(b"bad\xffname.txt")
    (tmp_path / name).write_text(BODY)
    r = CliRunner().invoke(main, ["ingest", "--no-analyse", name])
    assert r.exit_code == 0, r.output
    [(source, aid)] = sqlite3.connect(tmp_path / "propscope.db").execute("SELECT source, id FROM articles").fetchall()
    assert source == "bad\ufffdname.txt" and aid == "bad\ufffdname"

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from propscope.corpus.ingest import analyse, ingest
from propscope.corpus.store import Article, Store
from propscope.inputs import Options
from propscope.spans import Span

from conftest import ARTICLE_HTML


WORDS = {"traitors": "Name_Calling,Labeling", "corrupt": "Loaded_Language", "destroy": "Appeal_to_fear-prejudice"}


class Marker:
    """A stand-in model: marks a few words; counts what it is asked to analyse."""

    def __init__(self, version="marker-1"):
        self.version, self.seen = version, []

    def detect_many(self, articles):
        for aid, text in articles:
            self.seen.append(aid)
            spans = []
            for word, technique in WORDS.items():
                at = text.find(word)
                if at >= 0:
                    spans.append(Span(aid, at, at + len(word), technique, 0.75))
            yield aid, sorted(spans)


def sentence(i: int) -> str:
    return (f"Report number {i} says the corrupt officials of district {i} will destroy the harvest. "
            f"Everyone who believed them in year {1900 + i} was fooled by traitors and liars again.")


def folder(tmp_path: Path, n: int) -> Path:
    d = tmp_path / "articles"
    d.mkdir()
    for i in range(n):
        (d / f"article{i}.txt").write_text(sentence(i))
    return d


def test_ingest_stores_and_analyses_then_a_rerun_does_nothing(db_url, tmp_path):
    d = folder(tmp_path, 5)
    (d / "more.jsonl").write_text(json.dumps({"id": "j1", "text": sentence(0), "outlet": "Flag"}) + "\n"
                                  + json.dumps({"id": "j2", "text": sentence(99), "outlet": "Flag"}) + "\n")
    marker = Marker()
    with Store(db_url) as store:
        report = ingest(store, [str(d)], analyser=marker)
        assert (report.added, report.duplicates, report.analysed, report.failed) == (6, 1, 6, [])
        assert report.summary() == "6 articles added, 1 duplicates, 6 analysed by model marker-1"
        again = ingest(store, [str(d)], analyser=marker)
        assert (again.added, again.duplicates, again.analysed) == (0, 7, 0)
        assert len(marker.seen) == 6
        rows = list(store.articles("marker-1"))
        assert all(len(spans) == 3 for _, spans in rows)
        assert {a.outlet for a, _ in rows} == {None, "Flag"}


def test_a_new_model_analyses_only_what_it_has_not_seen(db_url, tmp_path):
    d = folder(tmp_path, 3)
    with Store(db_url) as store:
        ingest(store, [str(d)], analyser=Marker("m1"))
        (d / "article9.txt").write_text(sentence(9))
        ingest(store, [str(d)], analyser=Marker("m1"))
        m2 = Marker("m2")
        assert analyse(store, m2).analysed == 4 and len(m2.seen) == 4
        assert store.models() == {"m1": 4, "m2": 4}


def test_two_runs_at_once_share_the_work(db_url, tmp_path, monkeypatch):
    """Two ingests at once (an hourly one that overran) both analysed every pending article, in
    step; each now starts at a random article, and skips what the other has done."""
    import threading

    class Slow(Marker):
        def detect_many(self, articles):
            for item in super().detect_many(articles):
                time.sleep(0.02)
                yield item
    with Store(db_url) as store:
        keys = store.add([Article(text=sentence(i), id=str(i), source=f"{i}.txt") for i in range(24)])
    starts = iter([keys[0], keys[12]])            # the random starts, as far apart as chance puts them
    monkeypatch.setattr(Store, "some_pending", lambda self, model: next(starts))
    runs = [Slow(), Slow()]

    def run(marker):
        with Store(db_url) as store:
            analyse(store, marker)
    threads = [threading.Thread(target=run, args=(m,)) for m in runs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with Store(db_url) as store:
        assert store.models() == {"marker-1": 24}
    assert len(runs[0].seen) + len(runs[1].seen) <= 24 + 4, [len(m.seen) for m in runs]   # in step: 48


def test_outlet_option_names_articles_that_lack_one(tmp_path):
    d = folder(tmp_path, 2)
    with Store(str(tmp_path / "c.db")) as store:
        ingest(store, [str(d)], outlet="Flag", analyse_after=False)
        assert {a.outlet for a, _ in store.articles("any")} == {"Flag"}


def test_failures_are_reported_and_the_rest_goes_in(tmp_path):
    d = folder(tmp_path, 2)
    (d / "bad.jsonl").write_text('{"id": 1}\n')
    with Store(str(tmp_path / "c.db")) as store:
        report = ingest(store, [str(d), str(tmp_path / "missing")], analyser=Marker())
        assert report.added == 2 and report.analysed == 2
        assert [name for name, _ in report.failed] == [f"{d}/bad.jsonl:1", str(tmp_path / "missing")]
        assert "no such file or folder" in report.failed[1][1]


def test_pages_already_stored_are_not_fetched_again(site, tmp_path):
    site.pages["/feed"] = (200, {"Content-Type": "application/rss+xml"}, (
        f'<rss version="2.0"><channel><title>Flag</title><item><link>{site.url}/a.html</link></item>'
        f'<item><link>{site.url}/b.html</link></item></channel></rss>').encode())
    site.pages["/a.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    site.pages["/b.html"] = (200, {"Content-Type": "text/html"},
                             ARTICLE_HTML.replace("Make our nation", "Make our country").encode())
    with Store(str(tmp_path / "c.db")) as store:
        first = ingest(store, [f"{site.url}/feed"], Options(allow_private=True), analyser=Marker())
        assert (first.added, first.skipped) == (2, 0)
        site.requests.clear()
        again = ingest(store, [f"{site.url}/feed"], Options(allow_private=True), analyser=Marker())
        assert (again.added, again.skipped) == (0, 2)
        assert [path for path, _ in site.requests] == ["/feed"]
        site.pages["/feed"] = (200, {"Content-Type": "application/rss+xml"}, (
            f'<rss version="2.0"><channel><title>Flag</title><item><link>{site.url}/a.html</link></item>'
            f'<item><link>{site.url}/copy.html</link></item></channel></rss>').encode())
        site.pages["/copy.html"] = site.pages["/a.html"]          # the same article under another address
        copied = ingest(store, [f"{site.url}/feed"], Options(allow_private=True), analyser=Marker())
        assert (copied.added, copied.duplicates, copied.skipped) == (0, 1, 1)
        site.requests.clear()
        third = ingest(store, [f"{site.url}/feed"], Options(allow_private=True), analyser=Marker())
        assert (third.added, third.duplicates, third.skipped) == (0, 0, 2)
        assert [path for path, _ in site.requests] == ["/feed"]
        site.requests.clear()
        page = ingest(store, [f"{site.url}/a.html"], Options(allow_private=True), analyser=Marker())
        assert (page.added, page.skipped, site.requests) == (0, 1, [])      # an address given alone: counted too


def test_an_address_that_cannot_be_read_names_no_outlet(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "The corrupt elites lied to us all again.", "url": "http://[oops/x"})
                    + "\n")
    with Store(str(tmp_path / "c.db")) as store:
        report = ingest(store, [str(path)], analyser=Marker())
        assert report.added == 1 and [a.outlet for a, _ in store.articles(None)] == [None]


def test_a_page_that_names_no_site_takes_the_outlet_given_else_its_host(site, tmp_path):
    unnamed = ARTICLE_HTML.replace('<meta property="og:site_name" content="The Daily Flag">\n', "")
    site.pages["/a.html"] = (200, {"Content-Type": "text/html"}, unnamed.encode())
    site.pages["/b.html"] = (200, {"Content-Type": "text/html"}, unnamed.replace("Make our nation", "Make it").encode())
    with Store(str(tmp_path / "c.db")) as store:
        ingest(store, [f"{site.url}/a.html"], Options(allow_private=True), analyser=Marker())
        ingest(store, [f"{site.url}/b.html"], Options(allow_private=True), outlet="The Daily Flag", analyser=Marker())
        assert sorted(a.outlet for a, _ in store.articles(None)) == ["127.0.0.1", "The Daily Flag"]


# -- killed mid-way (SIGKILL), then run again: a real ingest with the real model --------------------
N_KILL = 40


def counts(url: str) -> tuple[int, int]:
    sql = ["SELECT count(*) FROM articles", "SELECT count(*) FROM analyses"]
    try:
        if url.startswith("postgresql://"):
            import psycopg
            with psycopg.connect(url, autocommit=True) as conn:
                return tuple(conn.execute(q).fetchone()[0] for q in sql)
        conn = sqlite3.connect(url, timeout=5)
        try:
            return tuple(conn.execute(q).fetchone()[0] for q in sql)
        finally:
            conn.close()
    except Exception:           # the schema is not there yet
        return (0, 0)


def run_ingest(url: str, source: Path, kill_when=None) -> subprocess.CompletedProcess | None:
    cmd = [sys.executable, "-m", "propscope", "ingest", "--db", url, str(source)]
    env = {**os.environ, "PROPSCOPE_THREADS": "1"}
    if kill_when is None:
        return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    deadline = time.monotonic() + 300
    while proc.poll() is None and time.monotonic() < deadline:
        if kill_when(*counts(url)):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    assert proc.wait() == -signal.SIGKILL, "the ingest ended before it could be killed"
    return None


def analyses(url: str) -> dict[str, tuple]:
    """text hash -> (analysis key, analysed_at, spans) of every stored analysis."""
    with Store(url) as store:
        rows = store.rows("SELECT a.sha256, n.pk, n.analysed_at, a.pk, n.model FROM analyses n "
                          "JOIN articles a ON a.pk = n.article")
        return {sha: (key, at, tuple(store.spans(article, model))) for sha, key, at, article, model in rows}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """An uninterrupted run's analyses of the kill test's articles."""
    d = folder(tmp_path_factory.mktemp("ref"), N_KILL)
    url = str(tmp_path_factory.mktemp("refdb") / "c.db")
    result = run_ingest(url, d)
    assert result.returncode == 0, result.stderr
    return {sha: spans for sha, (_, _, spans) in analyses(url).items()}


@pytest.mark.model
@pytest.mark.parametrize("stage", ["storing", "analysing"])
def test_killed_ingest_resumes_without_loss_duplication_or_rework(stage, db_url, tmp_path, reference):
    d = folder(tmp_path, N_KILL)
    when = (lambda arts, done: arts > 0) if stage == "storing" else (lambda arts, done: done >= 5)
    run_ingest(db_url, d, kill_when=when)
    before = analyses(db_url)
    assert len(before) < N_KILL
    if stage == "storing":
        assert before == {}, "killed too late to test the storing stage"

    result = run_ingest(db_url, d)
    assert result.returncode == 0, result.stderr
    summary = result.stderr.strip().splitlines()[-1]          # the CLI says what it did on stderr
    added, dups = int(summary.split(" articles added")[0]), int(summary.split(", ")[1].split()[0])
    assert added + dups == N_KILL
    assert f"{N_KILL - len(before)} analysed" in summary           # only what was left
    after = analyses(db_url)
    assert counts(db_url) == (N_KILL, N_KILL)                            # nothing lost, nothing doubled
    assert {sha: after[sha][:2] for sha in before} == {sha: v[:2] for sha, v in before.items()}  # not redone
    assert {sha: spans for sha, (_, _, spans) in after.items()} == reference   # same as an uninterrupted run

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from propscope.errors import InputError

from propscope.corpus.migrations import MIGRATIONS
from propscope.corpus.stats import overview
from propscope.corpus.store import Article, Filter, Store, open_existing, text_hash
from propscope.errors import NoCorpus, PropscopeError
from propscope.spans import Span


TEXT = "The corrupt elites have stabbed every patriot in the back. These traitors must be stopped."


def article(text=TEXT, **meta):
    return Article(text=text, id=meta.pop("id", "a1"), source=meta.pop("source", "a1.txt"), **meta)


def test_opens_and_records_its_migrations(db_url):
    with Store(db_url) as store:
        assert store.migrations() == [name for name, _ in MIGRATIONS]
    with Store(db_url) as store:          # reopening applies nothing again
        assert store.migrate() == []


def test_sqlite_store_is_in_wal_mode(tmp_path):
    path = tmp_path / "c.db"
    Store(str(path)).close()
    assert sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_articles_are_deduplicated_by_their_text(db_url):
    with Store(db_url) as store:
        first, again, other = store.add([article(outlet="Flag"), article(TEXT.replace(" ", "\n  "), id="copy"),
                                          article("Another text entirely.", id="a2")])
        assert first is not None and again is None and other is not None
        assert store.count() == 2
        assert store.article(first).outlet == "Flag"        # the first copy is kept
        assert store.add([article()]) == [None]
        assert store.add([article(source="https://copy.example/a")]) == [None]
        assert store.has_source("https://copy.example/a") and store.has_source(article().source)
        assert not store.has_source("https://elsewhere.example/a")


def test_hash_ignores_whitespace_only():
    assert text_hash("a  b\nc") == text_hash(" a b c ")
    assert text_hash("a b c") != text_hash("a b C")


def test_an_analysis_is_saved_once_per_model(db_url):
    spans = [Span("x", 4, 11, "Loaded_Language", 0.8), Span("x", 58, 71, "Name_Calling,Labeling", 0.6)]
    with Store(db_url) as store:
        [key] = store.add([article()])
        assert list(store.pending("m1")) == [(key, TEXT)]
        assert store.save_analysis(key, "m1", spans)
        assert not store.save_analysis(key, "m1", spans[:1])     # already there: nothing written
        assert store.spans(key, "m1") == [Span("a1", s.start, s.end, s.technique, s.confidence) for s in spans]
        assert list(store.pending("m1")) == []
        assert list(store.pending("m2")) == [(key, TEXT)]           # a new model sees it as new
        assert store.spans(key, "m2") is None
        assert store.models() == {"m1": 1}


def test_pending_articles_come_from_a_start_on_then_those_before_it(db_url):
    with Store(db_url) as store:
        keys = store.add([article(text=f"{TEXT} {i}", source=f"{i}.txt") for i in range(5)])
        store.save_analysis(keys[3], "m1", [])
        assert [k for k, _ in store.pending("m1", page=2, start=keys[2])] == [keys[2], keys[4], keys[0], keys[1]]
        assert {store.some_pending("m1") for _ in range(60)} == {keys[i] for i in (0, 1, 2, 4)}   # any, at random
        assert store.analysed(keys[3], "m1") and not store.analysed(keys[3], "m2")
        for key in keys:
            store.save_analysis(key, "m1", [])
        assert store.some_pending("m1") == 0 and list(store.pending("m1", start=keys[2])) == []


def test_a_failed_analysis_leaves_nothing(db_url):
    with Store(db_url) as store:
        [key] = store.add([article()])
        broken = Span("x", 0, 3, "Doubt", 0.5)
        object.__setattr__(broken, "confidence", "not a number")      # a Span would refuse it: the store must too
        bad = [Span("x", 0, 3, "Doubt", 0.5), broken]
        with pytest.raises(Exception):
            store.save_analysis(key, "m1", bad)
        assert store.spans(key, "m1") is None and store.models() == {}


def test_articles_are_listed_with_their_spans_and_filtered(db_url):
    with Store(db_url) as store:
        k1, k2, k3 = store.add([article(outlet="Flag", published="2024-01-05"),
                                article("Calm text about 100% of the harvest.", id="a2", outlet="Post",
                                        published="2024-02-01T10:00:00+01:00"),
                                article("Undated text.", id="a3")])
        store.save_analysis(k1, "m", [Span("a1", 4, 11, "Loaded_Language", 0.9)])
        store.save_analysis(k2, "m", [])
        got = list(store.articles("m", page=2))
        assert [(a.pk, s) for a, s in got] == [(k1, [Span("a1", 4, 11, "Loaded_Language", 0.9)]), (k2, []), (k3, None)]
        pick = lambda f: [a.pk for a, _ in store.articles("m", f)]
        assert pick(Filter(outlets=("Post",))) == [k2]
        assert pick(Filter(since="2024-02")) == [k2]
        assert pick(Filter(until="2024-01-31")) == [k1]
        assert pick(Filter(search="ELITES")) == [k1]
        assert pick(Filter(search="100%")) == [k2]
        assert pick(Filter(search="1_0")) == []          # LIKE wildcards are taken literally
        assert pick(Filter(outlets=("unknown",))) == [k3]   # as stats shows an article without one
        assert pick(Filter(outlets=("Flag", "unknown"))) == [k1, k3]


def test_a_store_from_a_newer_propscope_is_refused(tmp_path):
    path = str(tmp_path / "c.db")
    Store(path).close()
    sqlite3.connect(path).execute("INSERT INTO schema_migrations VALUES ('9999_future', 'now')").connection.commit()
    with pytest.raises(PropscopeError, match="newer propscope"):
        Store(path)


def test_a_file_that_is_not_a_store_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("just some notes, not a database " * 100)
    with pytest.raises(PropscopeError, match="cannot open as a propscope store"):
        Store(str(path))


def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path):
    path = str(tmp_path / "app.db")
    with closing(sqlite3.connect(path)) as other:
        other.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
        other.commit()
    with pytest.raises(PropscopeError, match=r"not a propscope store \(it holds other tables: users\)"):
        Store(path)
    with closing(sqlite3.connect(path)) as other:
        assert [r[0] for r in other.execute("SELECT name FROM sqlite_master WHERE type = 'table'")] == ["users"]


def test_a_damaged_store_is_a_clear_error(tmp_path):
    path = tmp_path / "c.db"
    with Store(str(path)) as store:
        store.add([article(f"Article number {i}. " * 50, id=str(i)) for i in range(40)])
    data = bytearray(path.read_bytes())
    data[2 * 4096:3 * 4096] = b"\xff" * 4096         # the third page: the articles' first
    path.write_bytes(data)
    with pytest.raises(PropscopeError, match="the store .*c.db failed: database disk image is malformed"):
        with Store(str(path)) as store:
            store.count()
            list(store.articles("m"))


def test_an_unreachable_postgres_is_a_clear_error_without_the_password():
    pytest.importorskip("psycopg")
    for url in ("postgresql://me:secret@127.0.0.1:1/corpus", "postgresql://127.0.0.1:1/corpus?user=me&password=secret"):
        with pytest.raises(PropscopeError, match="cannot connect") as info:
            Store(url)
        assert "secret" not in str(info.value) and "***" in str(info.value)


def _tables(url: str) -> set[str]:
    if url.startswith("postgresql"):
        import psycopg
        with psycopg.connect(url) as conn:
            return {r[0] for r in conn.execute("SELECT table_name FROM information_schema.tables "
                                               "WHERE table_schema = current_schema()")}
    with closing(sqlite3.connect(url)) as conn:
        return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_a_reader_finds_no_corpus_in_an_empty_database_and_creates_none(db_url):
    if db_url.endswith(".db"):
        Path(db_url).write_bytes(b"")            # an empty file, as a mistaken touch leaves
    with pytest.raises(NoCorpus, match="no corpus at"):
        open_existing(db_url)
    assert _tables(db_url) == set()
    assert overview(db_url) == {"present": False, "articles": 0, "models": {}}
    assert _tables(db_url) == set()


def test_a_database_holding_a_table_named_like_one_of_the_stores_is_refused_and_left_alone(db_url):
    if db_url.endswith(".db"):
        conn = closing(sqlite3.connect(db_url))
    else:
        import psycopg
        conn = psycopg.connect(db_url, autocommit=True)
    with conn as c:
        c.execute("CREATE TABLE duplicate_sources (url TEXT PRIMARY KEY)")     # another app's
        if db_url.endswith(".db"):
            c.commit()
    with pytest.raises(PropscopeError, match="not a propscope store .it holds other tables: duplicate_sources"):
        Store(db_url)
    assert _tables(db_url) == {"duplicate_sources"}


def test_default_store_is_propscope_db_or_the_environment(monkeypatch, tmp_path):
    from propscope.corpus.store import default_url
    monkeypatch.delenv("PROPSCOPE_DB", raising=False)
    assert default_url() == "propscope.db"
    monkeypatch.setenv("PROPSCOPE_DB", str(tmp_path / "x.db"))
    assert default_url() == str(tmp_path / "x.db")


def test_a_nul_in_a_filter_is_refused():
    with pytest.raises(InputError, match="NUL"):
        Filter(search="a\x00b")
    with pytest.raises(InputError, match="NUL"):
        Filter(outlets=("Flag\x00",))


@pytest.mark.parametrize("bad", ["2024-13", "March", "2024-1-5", "24"])
def test_filter_dates_must_be_iso(bad):
    with pytest.raises(PropscopeError, match="not a date; give YYYY, YYYY-MM or YYYY-MM-DD"):
        Filter(since=bad)


def test_partial_dates_count_within_a_range_that_holds_all_of_them(db_url):
    with Store(db_url) as store:
        store.add([article("March.", id="m", published="2025-03"), article("Year.", id="y", published="2025"),
                   article("Day.", id="d", published="2025-03-05T23:30:00-05:00")])

        def ids(**bounds):
            return sorted(a.id for a, _ in store.articles("m", Filter(**bounds)))
        assert ids(since="2025-03-01", until="2025-03-31") == ["d", "m"]
        assert ids(since="2025-01", until="2025-12") == ["d", "m", "y"]
        assert ids(until="2025-01-01") == [] and ids(since="2025-03-06") == []
        assert ids(since="2025-03-05", until="2025-03-05") == ["d"]
        store.add([article("February.", id="f", published="2025-02")])
        assert ids(since="2025-02-01", until="2025-02-28") == ["f"]          # the month's real last day
        assert ids(since="2025-02-02", until="2025-02-28") == [] and ids(until="2025-02-27") == []
        assert ids(since="2025-01-01", until="2025-12-31") == ["d", "f", "m", "y"]
    with pytest.raises(InputError, match="--until 2025-02-30: no such day"):
        Filter(until="2025-02-30")


def test_search_folds_every_letter_on_either_database(db_url):
    with Store(db_url) as store:
        store.add([article("ÜBERMENSCH and ÉLITE are words.", id="u"), article("Plain text.", id="p")])
        assert [a.id for a, _ in store.articles("m", Filter(search="übermensch"))] == ["u"]
        assert [a.id for a, _ in store.articles("m", Filter(search="élite are"))] == ["u"]
        store.add([article("The İstanbul office said so.", id="i")])
        assert [a.id for a, _ in store.articles("m", Filter(search="istanbul"))] == ["i"]
        assert [a.id for a, _ in store.articles("m", Filter(search="50%_"))] == []
        # a word's last capital sigma is any sigma; letters composed or not are the same letters
        store.add([article("ΟΔΟΣ ΠΡΟΣ ΤΟ ΧΑΟΣ.", id="g"), article("Cafe\u0301 society.", id="n")])
        for sigma in ("οδοσ", "οδος", "ΟΔΟΣ", "σ"):
            assert [a.id for a, _ in store.articles("m", Filter(search=sigma))] == ["g"], sigma
        assert [a.id for a, _ in store.articles("m", Filter(search="café"))] == ["n"]


def test_an_outlet_and_a_text_are_the_same_however_their_letters_are_composed(db_url):
    with Store(db_url) as store:
        keys = store.add([article("Ça va.", id="c", outlet="\u00c7a Va Presse"),
                          article("C\u0327a va.", id="d", outlet="C\u0327a Va Presse")])
        assert keys[1] is None                                  # the same text: a duplicate
        store.add([article("Other news.", id="e", outlet="C\u0327a Va Presse")])
        assert [a.id for a, _ in store.articles("m", Filter(outlets=("\u00c7a Va Presse",)))] == ["c", "e"]
        assert [a.id for a, _ in store.articles("m", Filter(outlets=("C\u0327a Va Presse",)))] == ["c", "e"]


def test_a_store_written_before_letters_were_composed_is_composed_and_its_texts_still_found(db_url):
    import hashlib
    import unicodedata
    text = unicodedata.normalize("NFD", "\u00c7a va, dit le ministre.")
    with Store(db_url) as store:
        store.add([article("Placeholder.", id="p")])
    legacy = hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()
    changes = ["UPDATE articles SET outlet = ?, text = ?, sha256 = ?",       # as an older propscope stored it
               "DELETE FROM schema_migrations WHERE name = '0003_outlets_composed'"]
    if db_url.endswith(".db"):
        with closing(sqlite3.connect(db_url)) as conn:
            conn.execute(changes[0], ["C\u0327a Va Presse", text, legacy])
            conn.execute(changes[1])
            conn.commit()
    else:
        import psycopg
        with psycopg.connect(db_url, autocommit=True) as conn:
            conn.execute(changes[0].replace("?", "%s"), ["C\u0327a Va Presse", text, legacy])
            conn.execute(changes[1])
    with Store(db_url) as store:
        assert "0003_outlets_composed" in store.migrations()
        assert [a.outlet for a, _ in store.articles("m")] == ["\u00c7a Va Presse"]
        assert store.add([article(text, id="again")]) == [None]              # a duplicate, as it was
        composed = unicodedata.normalize("NFC", text)
        assert store.add([article(composed, id="composed")]) == [None]       # and so is the same text composed


def test_a_role_that_may_only_read_can_read_a_postgres_store(postgres):
    import psycopg
    url = postgres.database()
    with Store(url) as store:
        store.add([article()])
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS reader_only")
        conn.execute("CREATE ROLE reader_only LOGIN")
        conn.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO reader_only")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    reader = url.replace("//postgres@", "//reader_only@")
    assert reader != url
    with open_existing(reader) as store:
        assert store.count() == 1


def test_a_store_in_a_folder_that_cannot_be_written_is_read(tmp_path):
    import os
    import shutil
    import subprocess
    import sys
    if os.geteuid() == 0 and not shutil.which("setpriv"):
        pytest.skip("root reads any folder, and setpriv is not here to drop that")
    folder = tmp_path / "ro"
    folder.mkdir()
    with Store(str(folder / "c.db")) as store:
        store.add([article()])
    (folder / "c.db").chmod(0o444)
    folder.chmod(0o555)
    try:
        drop = ["setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"] if os.geteuid() == 0 else []
        code = "from propscope.corpus.store import open_existing; import sys; print(open_existing(sys.argv[1]).count())"
        result = subprocess.run([*drop, sys.executable, "-c", code, str(folder / "c.db")], capture_output=True, text=True)
        assert (result.returncode, result.stdout.strip()) == (0, "1"), result.stderr
        code = "from propscope.corpus.store import Store; import sys; Store(sys.argv[1])"
        result = subprocess.run([*drop, sys.executable, "-c", code, str(folder / "c.db")], capture_output=True, text=True)
        assert "cannot write to the store" in result.stderr and "read-only" in result.stderr, result.stderr
        result = subprocess.run([*drop, sys.executable, "-c", code, str(folder / "new.db")], capture_output=True, text=True)
        assert "cannot write to the store" in result.stderr, result.stderr         # nor make one there
    finally:
        folder.chmod(0o755)

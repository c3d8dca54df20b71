"""The corpus store: articles (deduplicated by a hash of their text), analyses keyed by
(article, model version), and their spans. One schema on SQLite (the default: one file, WAL,
one writer) and on PostgreSQL (``postgresql://`` URLs, psycopg 3).

Every write is one transaction: an article, or an article's analysis with all its spans, is
stored whole or not at all, so a killed process leaves nothing half-written behind.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import InputError, NoCorpus, PropscopeError, StoreBusy, no_store
from .. import settings
from ..spans import Span
from .migrations import MIGRATIONS, OPTIONAL_TO_READ, statements

PAGE = 500
UNKNOWN_OUTLET = "unknown"        # what an article without an outlet is grouped and picked as
OWN_TABLES = {"schema_migrations", *(re.findall(r"CREATE TABLE (\w+)", "".join(sql for _, sql in MIGRATIONS)))}
DATE = r"\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?"      # a date or its prefix: YYYY[-MM[-DD]]


def default_url() -> str:
    """``PROPSCOPE_DB``, else propscope.db in the working directory."""
    return settings.get("db") or settings.SETTINGS["db"].default


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def exists(url: str) -> bool:
    """Whether a store is there to read without creating one: a SQLite file that exists, or any
    PostgreSQL URL (the server says the rest when it is opened)."""
    return is_postgres(url) or Path(url).is_file()


def open_existing(url: str | None) -> Store:
    """The store at ``url`` to read from; a missing one is a NoCorpus error, never created, so
    that a mistyped --db names the mistake instead of reading an empty store."""
    if not url or not exists(url):
        raise no_store(url)
    return Store(url, create=False)


def text_hash(text: str) -> str:
    """SHA-256 of the text with runs of whitespace made one space: the same article saved with
    other line breaks or indentation is the same article."""
    return _digest(nfc(text))


def _digest(text: str) -> str:
    """SHA-256 of ``text`` as given, runs of whitespace made one space."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def nfc(text: str) -> str:
    """``text`` with its letters composed: "Ça" typed as C and a combining cedilla (as macOS writes
    file names) is the same outlet, search and article as "Ça" typed as one letter."""
    return unicodedata.normalize("NFC", text)


def one_line(text: str) -> str:
    """``text`` on one line with no control character, to be printed: an outlet's name or a
    fragment could otherwise clear the terminal, retitle its window or break a table's lines."""
    return " ".join(_CONTROL.sub(" ", text).split())


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")   # and bidi controls


def _stored(column: str, value):
    """An article's field as stored: its outlet with letters composed, so that it groups as one."""
    return nfc(value) if column == "outlet" and isinstance(value, str) else value


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Article:
    """An article as stored; ``pk`` is the store's key (None before it is stored)."""

    text: str
    id: str
    source: str                     # where it came from: path, path:line, URL
    url: str | None = None
    outlet: str | None = None
    title: str | None = None
    author: str | None = None
    published: str | None = None    # ISO 8601: YYYY-MM-DD[THH:MM:SS[+HH:MM]]
    language: str | None = None
    pk: int | None = None

    @property
    def words(self) -> int:
        return len(self.text.split())


ARTICLE_COLUMNS = ("id", "url", "outlet", "title", "author", "published", "source", "language")
OUTLET_FIELDS = ("outlet", "source", "site")     # where a record names its outlet, first found wins


def outlet_fields(record: dict) -> tuple[str, ...]:
    """Where this record names its outlet: ``outlet`` alone when it has that field, even empty (an
    export's ``source`` says which file an article came from, not its outlet), else source or site."""
    return ("outlet",) if "outlet" in record else OUTLET_FIELDS


def _bounds(since: str | None, until: str | None) -> tuple[tuple[str, str, str] | None, tuple[str, str, str] | None]:
    """For each end of a date range, the bound an article dated to the day, to the month and to the
    year must meet, so that it lies wholly within the range: 2025-02 is within ..2025-02-28, 2025 is
    not within 2025-03-01..2025-03-31."""
    import calendar
    from datetime import date, timedelta
    low = high = None
    if since:
        first = date(int(since[:4]), int(since[5:7] or 1), int(since[8:10] or 1))
        month = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        year = first.year if (first.month, first.day) == (1, 1) else first.year + 1
        low = (first.isoformat(), month.isoformat()[:7], f"{year:04d}")
    if until:
        y, m = int(until[:4]), int(until[5:7] or 12)
        last = date(y, m, int(until[8:10] or calendar.monthrange(y, m)[1]))
        month = last if last.day == calendar.monthrange(last.year, last.month)[1] else last.replace(day=1) - timedelta(days=1)
        year = last.year if (last.month, last.day) == (12, 31) else last.year - 1
        high = (last.isoformat(), month.isoformat()[:7], f"{year:04d}")
    return low, high


def _dated(alias: str, compare: str) -> str:
    """SQL: the article's date, as precise as it is given, ``compare`` (>= or <=) its bound (three
    parameters: for a day, a month, a year)."""
    p = f"{alias}.published"
    return (f"(CASE length({p}) WHEN 4 THEN {p} {compare} ? WHEN 7 THEN {p} {compare} ? "
            f"ELSE substr({p}, 1, 10) {compare} ? END)")


@dataclass(frozen=True)
class Filter:
    """Which articles a query covers: outlets (any of), published dates (inclusive, ISO
    prefixes such as 2024-03 work; an article dated 2025-03 is within a range that holds all
    of March), and text containing ``search`` (case-insensitive, every letter; on PostgreSQL as
    the database's locale folds them)."""

    outlets: tuple[str, ...] = ()
    since: str | None = None
    until: str | None = None
    search: str | None = None

    def __post_init__(self) -> None:
        if any("\x00" in v for v in (*self.outlets, self.search or "")):
            raise InputError("an outlet or search holds a NUL character, which no stored text has")
        object.__setattr__(self, "outlets", tuple(nfc(o) for o in self.outlets))
        if self.search is not None:
            object.__setattr__(self, "search", nfc(self.search))
        for name in ("since", "until"):
            value = getattr(self, name)
            if value is not None and not re.fullmatch(DATE, value):
                raise InputError(f"--{name} {value}: not a date; give YYYY, YYYY-MM or YYYY-MM-DD")
            try:
                _bounds(value, None) if name == "since" else _bounds(None, value)
            except ValueError:
                raise InputError(f"--{name} {value}: no such day") from None

    def where(self, dialect: str, alias: str = "a", composed: bool = True) -> tuple[str, list]:
        """SQL selecting the filter's articles, and its parameters. ``composed``: PostgreSQL can
        compose the text's letters (a UTF-8 database)."""
        parts, params = [], []
        if self.outlets:
            named = f"{alias}.outlet IN ({', '.join('?' * len(self.outlets))})"
            # articles without an outlet are shown as "unknown", and picked by that name too
            parts.append(f"({named} OR {alias}.outlet IS NULL)" if UNKNOWN_OUTLET in self.outlets else named)
            params += list(self.outlets)
        # an article's date, or the days a partial one (2025, 2025-03) covers, lie within the range
        low, high = _bounds(self.since, self.until)
        for bound, compare in ((low, ">="), (high, "<=")):
            if bound:
                day, month, year = bound
                parts.append(_dated(alias, compare))
                params += [year, month, day]
        if self.search:
            escaped = re.sub(r"([\\%_])", r"\\\1", self.search)
            if dialect == "postgresql":
                # the text's letters composed as the search's are, and a final sigma as any sigma
                text = f"normalize({alias}.text, NFC)" if composed else f"{alias}.text"
                parts.append(f"translate({text}, 'ς', 'σ') ILIKE ? ESCAPE '\\'")
                params.append(f"%{escaped.replace('ς', 'σ')}%")
            else:
                parts.append(f"instr(unicode_lower({alias}.text), ?) > 0")
                params.append(fold(self.search))
        return (" AND ".join(parts) or "1 = 1"), params


def fold(text: str) -> str:
    """Lower case as PostgreSQL's ILIKE reads it, letters composed: Python lowers "İ" to "i" and a
    combining dot, which "istanbul" would not match, and a word's last "Σ" to "ς", which "σ" would not."""
    return nfc(text).lower().replace("i\u0307", "i").replace("ς", "σ")


@contextmanager
def _told(errors: tuple, where: str):
    """The database driver's errors (a damaged file, a lock held too long, a lost server) as one
    line for the user, never a traceback."""
    try:
        yield
    except errors as exc:
        said = str(exc).strip().splitlines()
        said = one_line(said[0]) if said else type(exc).__name__
        if said.startswith("Could not decode to UTF-8"):       # SQLite quotes the damaged bytes
            said = "a text in it is not valid UTF-8 (the file is damaged)"
        elif "database is locked" in said:
            raise StoreBusy(f"the store {where} is locked by another program ({said}); try again once it "
                            "lets go") from None
        elif "readonly database" in said:
            said += ": the file or its folder is read-only; give a --db this user can write"
        raise PropscopeError(f"the store {where} failed: {said[:300]}") from None


class _Rows:
    """A query's result, its rows fetched under ``_told``."""

    def __init__(self, cursor, told):
        self.cursor, self.told = cursor, told

    def fetchone(self):
        with self.told():
            return self.cursor.fetchone()

    def fetchall(self):
        with self.told():
            return self.cursor.fetchall()


class _SQLite:
    dialect = "sqlite"
    TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"

    def __init__(self, path: str, create: bool = True):
        import sqlite3
        self.errors = (sqlite3.Error,)
        self.told = lambda: _told(self.errors, path)
        try:
            self.conn = sqlite3.connect(path, isolation_level=None, timeout=60)
            try:
                self.conn.execute("SELECT count(*) FROM sqlite_master")     # a database at all?
            except sqlite3.OperationalError as exc:
                # a reader of a store in a folder it cannot write: write-ahead logging needs a file
                # beside the store even to read, so the store is read as one nobody changes meanwhile
                # (a read-only file system: "unable to open database file")
                if (create or not ("readonly" in str(exc) or "unable to open" in str(exc))
                        or not Path(path).is_file() or os.access(Path(path).parent, os.W_OK)):
                    raise
                self.conn.close()
                self.conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?immutable=1", uri=True,
                                            isolation_level=None, timeout=60)
                self.conn.execute("SELECT count(*) FROM sqlite_master")
            self.conn.execute("PRAGMA synchronous = NORMAL")   # WAL: a killed process loses nothing committed
            self.conn.execute("PRAGMA foreign_keys = ON")
            # --search folds every letter, as PostgreSQL's ILIKE does (SQLite's LIKE folds only ASCII)
            self.conn.create_function("unicode_lower", 1, lambda t: fold(t) if isinstance(t, str) else t,
                                      deterministic=True)
            self.conn.create_function("nfc", 1, lambda t: nfc(t) if isinstance(t, str) else t, deterministic=True)
        except sqlite3.Error as exc:
            if "locked" in str(exc):            # another program holds it (a DB browser, an ingest's long write)
                raise StoreBusy(f"{path}: the store is locked by another program ({exc}); try again "
                                "once it lets go") from None
            parent = Path(path).parent
            if "readonly" in str(exc) or (create and parent.is_dir() and not os.access(parent, os.W_OK)
                                           and (not Path(path).exists() or "unable to open" in str(exc))):
                raise PropscopeError(f"{path}: cannot write to the store ({exc}): the file or its folder is "
                                     "read-only; give a --db this user can write") from None
            raise PropscopeError(f"{path}: cannot open as a propscope store ({exc}); "
                                 "give another --db file, or a postgresql:// URL") from None

    @contextmanager
    def transaction(self):
        with self.told():
            self.conn.execute("BEGIN IMMEDIATE")     # take the write lock now: one writer at a time
        try:
            yield
        except BaseException:
            with suppress(*self.errors):          # what went wrong is the error to show
                self.conn.execute("ROLLBACK")
            raise
        with self.told():
            self.conn.execute("COMMIT")

    def execute(self, sql: str, params: Iterable = ()) -> _Rows:
        with self.told():
            return _Rows(self.conn.execute(sql, tuple(params)), self.told)

    def executemany(self, sql: str, rows: list) -> None:
        with self.told():
            self.conn.executemany(sql, rows)

    def close(self) -> None:
        self.conn.close()

    def own(self) -> None:
        """The file is a propscope store now: write-ahead logging, one writer beside readers
        (recorded in the file; set only once it is known to be the store's own)."""
        with self.told():
            self.conn.execute("PRAGMA journal_mode = WAL")


class _Postgres:
    dialect = "postgresql"
    TABLES = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"

    def __init__(self, url: str):
        try:
            import psycopg
        except ImportError:
            raise PropscopeError("a PostgreSQL store needs the corpus extra: pip install 'propscope[corpus]'") from None
        self.errors = (psycopg.Error,)
        self.told = lambda: _told(self.errors, _redact(url))
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=15)
        except psycopg.Error as exc:
            raise PropscopeError(f"cannot connect to the PostgreSQL store {_redact(url)} "
                                 f"({str(exc).strip().splitlines()[0]})") from None
        # normalize() needs a UTF-8 database (a SQL_ASCII one holds bytes it cannot read as letters)
        self.utf8 = self.execute("SHOW server_encoding").fetchone()[0].upper() in ("UTF8", "UTF-8")

    @contextmanager
    def transaction(self):
        with self.told(), self.conn.transaction():
            yield

    def execute(self, sql: str, params: Iterable = ()) -> _Rows:
        with self.told():
            return _Rows(self.conn.execute(sql.replace("?", "%s"), tuple(params)), self.told)

    def executemany(self, sql: str, rows: list) -> None:
        with self.told(), self.conn.cursor() as cur:
            cur.executemany(sql.replace("?", "%s"), rows)

    def close(self) -> None:
        self.conn.close()


def _redact(url: str) -> str:
    """``url`` without its password, given before the host or as a ``password=`` parameter."""
    url = re.sub(r"//([^:/@]*):[^@]*@", r"//\1:***@", url)
    return re.sub(r"([?&]password=)[^&]*", r"\1***", url, flags=re.IGNORECASE)


class Store:
    """One corpus, opened (and migrated) from a file path or a ``postgresql://`` URL.

    Use one Store from one thread: it is the single writer of its process.
    """

    def __init__(self, url: str | None = None, create: bool = True):
        """``create``: make the store's tables where there are none (ingest); else such a database
        is a NoCorpus error and left as it is (a reader)."""
        self.url = url or default_url()
        self.db = _Postgres(self.url) if is_postgres(self.url) else _SQLite(self.url, create)
        self.dialect = self.db.dialect
        try:
            self.migrate(create)
            if self.dialect == "sqlite" and create:
                self.db.own()
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def __repr__(self) -> str:
        return f"Store({_redact(self.url)!r})"

    # -- schema ---------------------------------------------------------------------------
    def migrate(self, create: bool = True) -> list[str]:
        """Apply the migrations this store lacks, each in its own transaction; their names. On
        PostgreSQL one process at a time: two opening a new store at once would both create it."""
        if self.dialect == "postgresql":
            self.db.execute("SELECT pg_advisory_lock(7091526)")
            try:
                return self._migrate(create)
            finally:
                self.db.execute("SELECT pg_advisory_unlock(7091526)")
        return self._migrate(create)

    def _migrate(self, create: bool) -> list[str]:
        tables = {r[0] for r in self.db.execute(self.db.TABLES).fetchall()}
        # a database of something else is left as it is: on SQLite a file of any other tables (it
        # is someone's), on PostgreSQL one whose tables would collide with the store's
        theirs = tables if self.dialect == "sqlite" else tables & OWN_TABLES
        if "schema_migrations" not in tables and theirs:
            raise PropscopeError(f"{_redact(self.url)} is not a propscope store (it holds other tables: "
                                 f"{', '.join(sorted(theirs)[:5])}); give another --db, or PROPSCOPE_DB")
        if "schema_migrations" not in tables and not create:
            raise no_store(_redact(self.url))
        if "schema_migrations" not in tables:       # not otherwise: a reader may not create tables
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        known = {name for name, _ in MIGRATIONS}
        done = {r[0] for r in self.db.execute("SELECT name FROM schema_migrations").fetchall()}
        if done - known:
            raise PropscopeError(f"{_redact(self.url)} was written by a newer propscope "
                                 f"(schema {max(done - known)}); upgrade propscope to use it")
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            try:
                with self.db.transaction():
                    if self.db.execute("SELECT 1 FROM schema_migrations WHERE name = ?", [name]).fetchone():
                        continue
                    for statement in statements(sql, self.dialect):
                        self.db.execute(statement)
                    self.db.execute("INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)", [name, now()])
            except PropscopeError:
                if create or name not in OPTIONAL_TO_READ:
                    raise
                continue            # a reader that may not write reads the store as it is
            applied.append(name)
        return applied

    def where(self, where: Filter, alias: str = "a") -> tuple[str, list]:
        """SQL selecting ``where``'s articles in this store, and its parameters."""
        return where.where(self.dialect, alias, getattr(self.db, "utf8", True))

    def migrations(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()]

    # -- articles ---------------------------------------------------------------------------
    def add(self, articles: Iterable[Article]) -> list[int | None]:
        """Store articles in one transaction; each one's key, or None where the same text is
        already stored (the first copy and its metadata are kept, and the copy's source noted)."""
        sql = ("INSERT INTO articles (sha256, text, words, added_at, " + ", ".join(ARTICLE_COLUMNS) + ") "
               f"VALUES ({', '.join('?' * (4 + len(ARTICLE_COLUMNS)))}) "
               "ON CONFLICT (sha256) DO NOTHING RETURNING pk")
        keys = []
        with self.db.transaction():
            if self.dialect == "postgresql":    # one writer of articles at a time, as SQLite has it: two
                self.db.execute("SELECT pg_advisory_xact_lock(7091527)")   # adding the same texts would deadlock
            for a in articles:
                digest = self._stored_hash(a.text)
                row = self.db.execute(sql, [digest, a.text, a.words, now(),
                                            *(_stored(c, getattr(a, c)) for c in ARTICLE_COLUMNS)]).fetchone()
                keys.append(row[0] if row else None)
                if row is None:
                    self.db.execute("INSERT INTO duplicate_sources (source, article, added_at) "
                                    "SELECT ?, pk, ? FROM articles WHERE sha256 = ? AND source <> ? "
                                    "ON CONFLICT (source) DO NOTHING", [a.source, now(), digest, a.source])
        return keys

    def _stored_hash(self, text: str) -> str:
        """The text's hash, or the one it was stored under before letters were composed for hashing
        (2026-12-06: a text with combining accents stored earlier is still found a duplicate)."""
        digest = text_hash(text)
        if unicodedata.is_normalized("NFC", text) and unicodedata.is_normalized("NFD", text):
            return digest                               # no letter composed or to compose: hashed as before
        # stored before in the form given, or decomposed (as macOS saves): found under that hash
        for form in dict.fromkeys([text, unicodedata.normalize("NFD", text)]):
            legacy = _digest(form)
            if legacy != digest and self.db.execute("SELECT 1 FROM articles WHERE sha256 = ?", [legacy]).fetchone():
                return legacy
        return digest

    def has_source(self, source: str) -> bool:
        """Whether an article from ``source`` is stored, or was found there as a copy of one."""
        return self.db.execute("SELECT 1 FROM articles WHERE source = ? UNION ALL "
                               "SELECT 1 FROM duplicate_sources WHERE source = ? LIMIT 1",
                               [source, source]).fetchone() is not None

    def article(self, pk: int) -> Article | None:
        row = self.db.execute(f"SELECT pk, text, {', '.join(ARTICLE_COLUMNS)} FROM articles WHERE pk = ?",
                              [pk]).fetchone()
        return _article(row) if row else None

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM articles").fetchone()[0]

    # -- analyses ---------------------------------------------------------------------------
    def pending(self, model: str, page: int = 64, start: int = 0) -> Iterator[tuple[int, str]]:
        """(key, text) of every article ``model`` has not analysed, by key from ``start`` on, then
        those before it; read a page at a time, so analyses can be saved while this runs."""
        for low, high in ((start, None), (0, start)):
            after = low - 1
            below, bound = ("", []) if high is None else ("AND a.pk < ? ", [high])
            while True:
                rows = self.db.execute(
                    f"SELECT a.pk, a.text FROM articles a WHERE a.pk > ? {below}AND NOT EXISTS "
                    "(SELECT 1 FROM analyses n WHERE n.article = a.pk AND n.model = ?) ORDER BY a.pk LIMIT ?",
                    [after, *bound, model, page]).fetchall()
                if not rows:
                    break
                yield from rows
                after = rows[-1][0]

    def some_pending(self, model: str) -> int:
        """The key of an article ``model`` has not analysed, chosen at random (0 when none is): where
        to start, so that two runs at once share the work rather than both doing it in step."""
        row = self.db.execute("SELECT a.pk FROM articles a WHERE NOT EXISTS (SELECT 1 FROM analyses n WHERE "
                              "n.article = a.pk AND n.model = ?) ORDER BY random() LIMIT 1", [model]).fetchone()
        return row[0] if row else 0

    def analysed(self, article: int, model: str) -> bool:
        return self.db.execute("SELECT 1 FROM analyses WHERE article = ? AND model = ?",
                               [article, model]).fetchone() is not None

    def count_pending(self, model: str) -> int:
        return self.db.execute("SELECT count(*) FROM articles a WHERE NOT EXISTS "
                               "(SELECT 1 FROM analyses n WHERE n.article = a.pk AND n.model = ?)",
                               [model]).fetchone()[0]

    def save_analysis(self, article: int, model: str, spans: Iterable[Span]) -> bool:
        """Store one article's analysis and all its spans atomically; False (and nothing
        written) when this model's analysis of it is already stored."""
        spans = list(spans)
        with self.db.transaction():
            row = self.db.execute("INSERT INTO analyses (article, model, spans, analysed_at) VALUES (?, ?, ?, ?) "
                                  "ON CONFLICT (article, model) DO NOTHING RETURNING pk",
                                  [article, model, len(spans), now()]).fetchone()
            if row is None:
                return False
            if spans:
                self.db.executemany("INSERT INTO spans (analysis, start_char, end_char, technique, confidence) "
                                    "VALUES (?, ?, ?, ?, ?)",
                                    [(row[0], s.start, s.end, s.technique, float(s.confidence)) for s in spans])
        return True

    def models(self) -> dict[str, int]:
        """Model version -> number of articles it has analysed."""
        rows = self.db.execute("SELECT model, count(*) FROM analyses GROUP BY model ORDER BY model").fetchall()
        return {m: n for m, n in rows}

    def require_outlets(self, outlets: tuple[str, ...]) -> None:
        """An InputError naming the outlets asked for that no stored article has: a mistyped name
        would read as an outlet that used no technique."""
        if not outlets:
            return
        known = sorted(o for (o,) in self.rows(f"SELECT DISTINCT coalesce(outlet, '{UNKNOWN_OUTLET}') FROM articles", []))
        missing = [o for o in outlets if o not in known]
        if missing:
            close = [k for k in known if k.casefold() == missing[0].casefold()]
            hint = f"; did you mean {close[0]!r}?" if close else f"; the store's outlets: {', '.join(one_line(o) for o in known[:20])}" + \
                (f" and {len(known) - 20} more" if len(known) > 20 else "")
            raise InputError(f"no article in {self!r} has the outlet {missing[0]!r} (names match exactly){hint}")

    def require(self, model: str) -> None:
        """A NoCorpus error unless ``model`` has analysed some article here: a mistyped version
        is named, not read as a store of unanalysed articles."""
        known = self.models()
        if model not in known:
            have = ", ".join(f"{m} ({n} articles)" for m, n in known.items()) or "none"
            raise NoCorpus(f"model {model} has analysed no article in {self!r}; run 'propscope ingest' to analyse "
                           f"them, or pick a model (--model; in the API, ?model=) (analyses stored: {have})")

    def spans(self, article: int, model: str) -> list[Span] | None:
        """The spans ``model`` found in an article, or None when it has not analysed it."""
        found = self.db.execute("SELECT n.pk, a.id FROM analyses n JOIN articles a ON a.pk = n.article "
                                "WHERE n.article = ? AND n.model = ?", [article, model]).fetchone()
        if found is None:
            return None
        return self._spans_of({found[0]: found[1]})[found[0]]

    def _spans_of(self, analyses: dict[int, str]) -> dict[int, list[Span]]:
        """Spans of the given analyses (key -> article id), each list sorted."""
        out: dict[int, list[Span]] = {k: [] for k in analyses}
        if not analyses:
            return out
        keys = list(analyses)
        rows = self.db.execute("SELECT analysis, start_char, end_char, technique, confidence FROM spans "
                               f"WHERE analysis IN ({', '.join('?' * len(keys))})", keys).fetchall()
        for analysis, start, end, technique, confidence in rows:
            out[analysis].append(Span(analyses[analysis], start, end, technique, confidence))
        for spans in out.values():
            spans.sort()
        return out

    def articles(self, model: str, where: Filter = Filter(), page: int = PAGE
                 ) -> Iterator[tuple[Article, list[Span] | None]]:
        """Every article the filter selects, by key, with the spans ``model`` found in it
        (None when it has not analysed it)."""
        clause, params = self.where(where)
        after = 0
        while True:
            rows = self.db.execute(
                f"SELECT a.pk, a.text, {', '.join('a.' + c for c in ARTICLE_COLUMNS)}, n.pk FROM articles a "
                f"LEFT JOIN analyses n ON n.article = a.pk AND n.model = ? WHERE a.pk > ? AND {clause} "
                "ORDER BY a.pk LIMIT ?", [model, after, *params, page]).fetchall()
            if not rows:
                return
            spans = self._spans_of({r[-1]: r[2] for r in rows if r[-1] is not None})
            for r in rows:
                yield _article(r[:-1]), (spans[r[-1]] if r[-1] is not None else None)
            after = rows[-1][0]

    def rows(self, sql: str, params: Iterable = ()) -> list[tuple]:
        """Rows of a read-only query written with ``?`` placeholders (for stats and export)."""
        return [tuple(r) for r in self.db.execute(sql, params).fetchall()]


def _article(row) -> Article:
    pk, text, *rest = row
    return Article(text=text, pk=pk, **dict(zip(ARTICLE_COLUMNS, rest)))

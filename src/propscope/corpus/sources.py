"""What ``ingest`` reads, as Articles with their metadata: text and HTML files, folders, JSON
Lines and CSV files (one article per line or row), RSS/Atom feeds (files or URLs; each entry's
page is fetched), and article URLs.

Files and pages go through ``propscope.inputs``, so they are read, extracted and checked the
same way ``analyze`` does it. A source that fails becomes an item that fails when loaded, so
the rest of the batch still goes in.
"""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urljoin, urlparse

from .. import errors, inputs
from ..errors import InputError, PropscopeError
from ..inputs import Document, Options
from ..text.read import check_markup, check_size, without_surrogates
from .store import Article, outlet_fields

FEED_SUFFIXES = {".xml", ".rss", ".atom"}
FOLDER_SUFFIXES = {".txt", ".html", ".htm", ".jsonl", ".csv", *FEED_SUFFIXES}   # read in any case: NEWS.JSONL too
FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml"}
CONTENT_FIELDS = ("text", "html", "url")


@dataclass(frozen=True)
class Item:
    """One article to load. ``name`` is stored as the article's source; ``remote`` items (pages
    to fetch) are not fetched again once an article from that source is stored."""

    name: str
    load: Callable[[], Article]
    remote: bool = False


def expand(sources: list[str], options: Options = Options(), known: Callable[[str], bool] = lambda _: False
           ) -> Iterator[Item]:
    """Every item of the sources, in order. Feeds are fetched while expanding; a URL for which
    ``known(url)`` is true is skipped without fetching it."""
    for source in sources:
        if inputs.is_url(source):
            url = source.strip()
            if known(url):          # counted as already stored, never fetched
                yield Item(url, _failing(url, InputError(f"{url}: already stored")).load, remote=True)
            else:
                yield from _url(url, options)
        elif scheme := inputs.other_scheme(source):
            yield _failing(source, InputError(f"{source}: only http:// and https:// addresses are fetched, not "
                                              f"{scheme}://; download the page and ingest the file"))
        else:
            yield from _path(Path(source), options)


def _failing(name: str, error: PropscopeError) -> Item:
    def load():
        raise error
    return Item(name, load)


def _path(path: Path, options: Options) -> Iterator[Item]:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in FOLDER_SUFFIXES and p.is_file())
        if not found:
            yield _failing(str(path), InputError(f"{path}: folder holds no .txt, .html, .jsonl, .csv or feed files"))
        for p in found:
            yield from _path(p, options)
        return
    if not path.exists():
        yield _failing(str(path), errors.not_found(path))
        return
    suffix = path.suffix.lower()
    try:
        if suffix == ".jsonl":
            yield from _records(path, _jsonl_rows(path), options)
        elif suffix == ".csv":
            yield from _records(path, _csv_rows(path), options)
        elif suffix in FEED_SUFFIXES:
            yield from _feed(path.read_bytes(), str(path), options)
        else:
            yield Item(str(path), lambda: from_document(inputs.expand([str(path)], options)[0].load()))
    except PropscopeError as exc:
        yield _failing(str(path), exc)
    except OSError as exc:
        yield _failing(str(path), errors.unreadable(path, exc.strerror or str(exc)))


def from_document(doc: Document, **given) -> Article:
    """An Article from what ``inputs`` loaded; ``given`` metadata wins over what was extracted.

    A text with a NUL character is refused (PostgreSQL cannot store one), and NULs are dropped from
    metadata."""
    if "\x00" in doc.text:
        raise InputError(f"{doc.source}: the text holds a NUL character, at character {doc.text.index(chr(0)):,}")
    meta = {k: _storable(v) for k, v in doc.meta.items() if v}
    given = {k: _storable(v) for k, v in given.items()}
    doc = Document(doc.text, _storable(doc.id), _storable(doc.source), doc.meta)
    pick = {k: given.get(k) or meta.get(k) for k in ("url", "title", "author")}
    return Article(text=doc.text, id=str(given.get("id") or doc.id), source=given.get("source") or doc.source,
                   outlet=given.get("outlet") or site_named(meta),
                   published=published(given.get("published") or meta.get("published")),
                   language=meta.get("language"), **pick)


def host_of(url: str | None) -> str | None:
    """A page address's host, less www.; None when it has none or cannot be read ("http://[oops/x")."""
    try:
        host = urlparse(url).hostname if url else None
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def site_named(meta: dict) -> str | None:
    """The site's own name from a page's metadata; None where trafilatura stood the page's host in
    for it (with or without its www. and port), so that the feed's title or --outlet can name the
    outlet. A name the page gives keeps its case: "Salon.com" on www.salon.com is a name."""
    site = meta.get("site")
    address = urlparse(meta.get("url") or "")
    hosts = {h.removeprefix("www.") for h in (address.netloc, address.hostname or "") if h}
    if site and site.removeprefix("www.") in hosts:
        return None
    return site


def _storable(value):
    """Metadata a database takes: no NUL, and a lone surrogate (a file name's undecodable byte,
    half of an emoji a JavaScript tool cut) as U+FFFD."""
    if not isinstance(value, str):
        return value
    return without_surrogates(value.replace("\x00", ""))


# -- dates ----------------------------------------------------------------------------------
def published(value) -> str | None:
    """A publication date as ISO 8601 (a year, a month, a date, or a date and time with the given
    offset), from ISO text, RFC 822 text (feeds, e-mail), a date, a datetime or a time.struct_time;
    None if it cannot be read."""
    if value is None or value == "":
        return None
    if isinstance(value, time.struct_time):    # as feedparser gives them: in UTC
        value = datetime(*value[:6], tzinfo=timezone.utc)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = " ".join(str(value).split())
    if re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", text):     # a year, or a month: kept as precise as given
        return text
    try:    # ISO 8601 dates, extended or basic (20240305), with a time if given; not any ten digits,
        # which 3.11 would read too ("1736071200", a Unix time, as a date in 1736)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{8}", text):
            return date.fromisoformat(text).isoformat()
        if re.match(r"(\d{4}-\d{2}-\d{2}|\d{8})[T ]\d{2}", text):
            return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(microsecond=0).isoformat()
    except ValueError:
        pass
    if not _RFC822.fullmatch(text):    # the e-mail parser reads more, wrongly: "Dec 31, 2024 11:30 PM" lost its PM
        return None
    try:
        return parsedate_to_datetime(text).replace(microsecond=0).isoformat()
    except (TypeError, ValueError, IndexError):
        return None


# an RFC 822 / 2822 date as feeds write them: "Tue, 10 Jun 2003 04:00:00 GMT", "Monday,06 December 2026
# 10:00 +0000 (UTC)": a day before its month, and a time (the e-mail parser reads other shapes wrongly)
_RFC822 = re.compile(r"(?:[A-Za-z]+,? ?)?\d{1,2} [A-Za-z]{3,9}\.? \d{2,4} \d{1,2}:\d{2}(?::\d{2})?"
                     r"(?: ?(?:[+-]\d{4}|(?![AaPp][Mm]\b)[A-Za-z]{1,5}))?(?: ?\([^()]*\))?")     # no AM/PM


# -- records: JSON Lines and CSV --------------------------------------------------------------
def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, line) of a UTF-8 file, read as it goes: a corpus file may hold any number
    of articles (the size limit applies to each one)."""
    number = 0
    try:
        with path.open(encoding="utf-8", newline="") as f:
            for number, line in enumerate(f, 1):
                if "\x00" in line:
                    raise errors.binary(path)
                yield number, line
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8 (after line {number}); convert it to UTF-8 first, "
                         "e.g. with iconv") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict | PropscopeError]]:
    for number, line in _lines(path):
        if number == 1:
            line = line.removeprefix("\ufeff")     # a byte order mark, as some editors save UTF-8
        if not line.strip():
            continue
        name = f"{path}:{number}"
        try:
            yield name, inputs.json_line(line, name)
        except InputError as exc:
            yield name, exc


def _csv_rows(path: Path) -> Iterator[tuple[str, dict | PropscopeError]]:
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    read: list[tuple[int, str]] = []       # the lines read for the record being read

    def lines():
        for number, line in _lines(path):
            read.append((number, line))
            yield line.removeprefix("\ufeff") if number == 1 else line

    reader = csv.DictReader(lines())
    if not reader.fieldnames or not set(f.strip().lower() for f in reader.fieldnames) & set(CONTENT_FIELDS):
        raise InputError(f"{path}: the first row must name the columns, one of them text, html or url")
    read.clear()
    for row in reader:
        # named by the line it starts on (a text with line breaks spans several; blank lines before it skipped)
        first = next((number for number, line in read if line.strip()), reader.line_num)
        read.clear()
        yield f"{path}:{first}", {(k or "").strip().lower(): v for k, v in row.items()}


def _records(path: Path, rows, options: Options) -> Iterator[Item]:
    any_row = False
    for name, record in rows:
        any_row = True
        if isinstance(record, PropscopeError):
            yield _failing(name, record)
            continue
        content = {k: record[k].strip() for k in CONTENT_FIELDS if isinstance(record.get(k), str) and record[k].strip()}
        if "text" not in content and "html" not in content and inputs.is_url(content.get("url", "")):
            # a page to fetch: its address is its source, so a rerun does not fetch it again
            yield Item(content["url"], lambda r=record, n=name: from_record(r, n, options), remote=True)
        else:
            yield Item(name, lambda r=record, n=name: from_record(r, n, options))
    if not any_row:
        yield _failing(str(path), InputError(f"{path}: no articles in it"))


def from_record(record: dict, name: str, options: Options = Options()) -> Article:
    """An article from a JSON Lines or CSV record: ``text`` or ``html`` (or else ``url``, fetched),
    and optional id, url, title, author, published (or date) and outlet (or, in a record without an
    outlet field, source or site)."""
    def field(*keys):
        for k in keys:
            value = record.get(k)
            if value is not None and str(value).strip():
                return str(value).strip()
        return None
    given = {"id": field("id") or name.rsplit("/", 1)[-1], "url": field("url"), "title": field("title"),
             "author": field("author"), "published": field("published", "date"),
             "outlet": field(*outlet_fields(record))}
    if given["published"] and published(given["published"]) is None:
        raise InputError(f"{name}: published {given['published']!r} is not a date propscope reads; give "
                         "YYYY-MM-DD (ISO 8601, with a time if you like), YYYY-MM, YYYY or an RFC 822 date")
    if isinstance(record.get("text"), str) and record["text"].strip():
        check_size(record["text"], name)
        doc = inputs.checked(Document(record["text"], given["id"], name), options, name)
    elif isinstance(record.get("html"), str) and record["html"].strip():
        from ..text.html import extract
        text, meta = extract(check_markup(record["html"], name), name, given["url"])
        check_size(text, name)
        doc = inputs.checked(Document(text, given["id"], name, meta), options, name)
    elif given["url"]:
        if not inputs.is_url(given["url"]):     # never a path: a record must not read this machine's files
            raise InputError(f"{name}: url {given['url']!r} is not an http:// or https:// address; "
                             "give the article as text or html, or its web address as url")
        doc = inputs.expand([given["url"]], options)[0].load()
        return from_document(doc, **given, source=given["url"])
    else:
        raise InputError(f"{name}: give the article as text, html or url (a non-empty string)")
    return from_document(doc, **given, source=name)


# -- feeds ------------------------------------------------------------------------------------
def looks_like_feed(body: bytes, content_type: str = "") -> bool:
    """Served as a feed, or XML whose first element (past any declaration, comments and doctype)
    is a feed's."""
    if content_type in FEED_TYPES - {"application/xml", "text/xml"}:
        return True
    head = _PROLOGUE.sub(b"", body[:1 << 16])
    first = re.search(rb"<([A-Za-z][\w:.-]*)", head)
    return bool(first) and first.group(1).lower() in (b"rss", b"feed", b"rdf:rdf")


_PROLOGUE = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^>]*>", re.DOTALL | re.IGNORECASE)


def _url(url: str, options: Options) -> Iterator[Item]:
    """A feed's entries, or the article at the address."""
    from ..text.fetch import fetch
    try:
        page = fetch(url, allow_private=options.allow_private)
    except PropscopeError as exc:
        yield _failing(url, exc)
        return
    if looks_like_feed(page.body, page.content_type):
        try:
            yield from _feed(page.body, page.url, options)     # its links read against where it ended
        except PropscopeError as exc:       # a feed that cannot be read is one failure, named; the rest go on
            yield _failing(url, exc)
    else:   # read as analyze reads an address, from the page already fetched
        yield Item(url, lambda: from_document(inputs.from_page(page, url, options), source=url), remote=True)


def _feed(body: bytes, where: str, options: Options) -> Iterator[Item]:
    try:
        import feedparser
    except ImportError:
        raise PropscopeError("reading RSS/Atom feeds needs the corpus extra: pip install 'propscope[corpus]'") from None
    feed = feedparser.parse(io.BytesIO(body))        # bytes alone that name a file, feedparser would open
    if not feed.entries and (feed.bozo or not feed.get("version")):
        raise InputError(f"{where}: not an RSS or Atom feed, or one that cannot be read "
                         f"({getattr(feed.get('bozo_exception'), 'args', ['no entries'])[0]})")
    outlet = feed.feed.get("title") or None
    for number, entry in enumerate(feed.entries, 1):
        link = entry.get("link")
        if link and inputs.is_url(where):           # relative to the feed's own address
            link = urljoin(where, link)
        if not link:
            yield _failing(f"{where}#{number}", InputError(f"{where}: entry {number} has no link to its article"))
            continue
        if not inputs.is_url(link):                 # never a path: a feed must not read this machine's files
            yield _failing(f"{where}#{number}", InputError(
                f"{where}: entry {number}'s link {link!r} is not an http:// or https:// address"))
            continue
        written = entry.get("published") or entry.get("updated")
        if written and published(written) is None:      # feedparser's own reading guesses: 2025-02-30 as March 2
            yield _failing(link, InputError(f"{where}: entry {number}'s date {written!r} is not a date propscope "
                                            "reads (ISO 8601 or RFC 822)"))
            continue
        given = {"id": entry.get("id") or None, "url": link, "title": entry.get("title") or None,
                 "author": entry.get("author") or None, "published": published(written)}   # with its own time zone
        yield Item(link, lambda link=link, given=given: _entry(inputs.expand([link], options)[0].load(), given,
                                                              outlet), remote=True)


def _entry(doc: Document, given: dict, feed_title: str | None) -> Article:
    """A feed entry's article: its outlet the site's own name when the page gives one, as when the page
    is ingested by itself, else the feed's title."""
    return from_document(doc, **given, outlet=site_named(doc.meta) or feed_title, source=given["url"])

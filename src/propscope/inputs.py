"""What ``analyze`` reads: text and HTML files, folders, JSON Lines, URLs and stdin, as Documents.

Each source expands into items; an item loads into one Document or raises a PropscopeError
naming what is wrong, so a batch can go on past it.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import errors
from .errors import InputError
from .text import language
from .text.html import extract, looks_like_html
from .text.read import article_id, check_markup, check_size, check_unicode, decode, read_article, read_bytes

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
FOLDER_PATTERNS = ("*.txt", "*.html", "*.htm", "*.jsonl")
META_KEYS = ("title", "author", "published", "site", "url")


@dataclass(frozen=True)
class Document:
    text: str
    id: str
    source: str                        # path, URL, "<stdin>" or "file.jsonl:LINE"
    meta: dict = field(default_factory=dict)   # title, author, published, site, url, language


@dataclass(frozen=True)
class Item:
    name: str
    load: Callable[[], Document]


@dataclass(frozen=True)
class Options:
    allow_private: bool = False        # fetch from loopback/private addresses too
    any_language: bool = False         # analyse text that is confidently not English


def is_url(source: str) -> bool:
    return source.strip().lower().startswith(("http://", "https://"))


def other_scheme(source: str) -> str | None:
    """The scheme of an address that propscope does not fetch (ftp://, file://...), if ``source`` is one."""
    found = re.match(r"([a-z][a-z0-9+.-]*)://", source.strip(), re.IGNORECASE)
    return found.group(1) if found and not Path(source).exists() else None


def expand(sources: list[str], options: Options, stdin: Callable[[], bytes] | None = None) -> list[Item]:
    """Every item of the given sources, in order; a source that cannot be expanded becomes an item
    that fails when loaded, so the rest of the batch still runs."""
    items: list[Item] = []
    for source in sources:
        if source == "-":
            items.append(Item("<stdin>", lambda: _from_bytes(stdin(), "stdin", "<stdin>", options)))
        elif is_url(source):
            items.append(Item(source.strip(), lambda s=source.strip(): _from_url(s, options)))
        elif scheme := other_scheme(source):
            items.append(_failing(source, InputError(
                f"{source}: only http:// and https:// addresses are fetched, not {scheme}://; "
                "download the page and analyse the file")))
        else:
            items.extend(_from_path(Path(source), options))
    return items


def _from_path(path: Path, options: Options) -> list[Item]:
    if path.is_dir():
        found = sorted({p for pattern in FOLDER_PATTERNS for p in path.glob(pattern)})
        if not found:
            return [_failing(str(path), InputError(f"{path}: folder holds no .txt, .html, .htm or .jsonl files"))]
        return [item for p in found for item in _from_path(p, options)]
    if not path.exists():
        return [_failing(str(path), errors.not_found(path))]
    if path.suffix.lower() == ".jsonl":
        return _jsonl_items(path, options)
    return [Item(str(path), lambda: _from_file(path, options))]


def _failing(name: str, error: Exception) -> Item:
    def load():
        raise error
    return Item(name, load)


def _from_file(path: Path, options: Options) -> Document:
    if path.suffix.lower() in HTML_SUFFIXES:
        return _html(decode_html(read_bytes(path), path), article_id(path), str(path), options)
    return _from_bytes(read_bytes(path), article_id(path), str(path), options)


def decode_html(data: bytes, where: object) -> str:
    """HTML bytes as text: the declared charset, else UTF-8, else a best guess (charset-normalizer)."""
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise errors.binary(where)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes
        best = from_bytes(data).best()
        if best is None:
            raise errors.binary(where) from None
        text = str(best)
    return check_markup(text, where)


def _from_bytes(data: bytes, aid: str, source: str, options: Options) -> Document:
    """Text, or a saved page's HTML: the page limit holds its markup, the article limit its text."""
    try:
        text = decode(data, source, max_chars=sys.maxsize)       # each limit said below, as it applies
    except InputError:
        # a saved page in another encoding (Windows-1252, UTF-16) piped in, as a .html file is read
        sniffed = data.decode("utf-16", "replace") if data.startswith((b"\xff\xfe", b"\xfe\xff")) else data.decode("latin-1")
        if not looks_like_html(sniffed):
            raise
        return _html(decode_html(data, source), aid, source, options)
    if looks_like_html(text):
        return _html(text, aid, source, options)
    return checked(Document(check_size(text, source), aid, source), options)


def _html(html: str, aid: str, source: str, options: Options, url: str | None = None) -> Document:
    text, meta = _extracted(html, source, url)
    return checked(Document(text, aid, source, meta), options)


def _extracted(html: str, where: str, url: str | None = None) -> tuple[str, dict]:
    """The article text and metadata of a page, the page and its text each within the length limit."""
    text, meta = extract(check_markup(html, where), where, url)
    return check_size(text, where), meta


def _from_url(url: str, options: Options) -> Document:
    from .text.fetch import fetch
    return from_page(fetch(url, allow_private=options.allow_private), url, options)


def from_page(page, url: str, options: Options) -> Document:
    """The article of a fetched page (``url``: the address asked for; ``page.url`` where it ended)."""
    aid = _url_id(page.url)
    if page.content_type not in ("text/html", "application/xhtml+xml", "text/plain", "text/markdown", ""):
        raise InputError(f"{url}: is {page.content_type}, not a web page or text; "
                         "give the address of an HTML article")
    text = _declared(page.body, page.charset, url)
    plain = page.content_type in ("text/plain", "text/markdown") or (
        not page.content_type and not _sniffs_html(text))              # no type said: what it looks like
    if plain:
        check_size(text, url)
        return checked(Document(text, aid, url, {"url": page.url}), options)
    return _html(text, aid, url, options, url=page.url)


# what a browser takes for HTML in a page served without a type (WHATWG MIME Sniffing, 7.1)
_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
                         r"|!--)(?=[\s>])|\s*<\?xml", re.IGNORECASE)


def _sniffs_html(text: str) -> bool:
    return looks_like_html(text) or bool(_HTML_START.match(text.lstrip("\ufeff")))


def _declared(body: bytes, charset: str | None, where: str) -> str:
    """A page's HTML or text in the charset its server declares; a charset unknown to Python, or
    one the bytes do not fit, is read as if none were declared (UTF-8, else a best guess)."""
    if body.startswith(b"\xef\xbb\xbf"):        # a byte order mark wins over the header, as in browsers
        charset = "utf-8-sig"
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_html(body, where)


def _url_id(url: str) -> str:
    from urllib.parse import urlsplit
    parts = urlsplit(url)
    tail = [p for p in parts.path.split("/") if p]
    return (tail[-1] if tail else parts.hostname or url).removesuffix(".html").removesuffix(".htm")


def _jsonl_items(path: Path, options: Options) -> list[Item]:
    try:
        text = read_article(path, max_chars=sys.maxsize)                   # each record is size-checked
        # lines end at line feeds only: JSON may hold U+2028 or U+0085 raw, which splitlines() breaks at
        lines = text.removeprefix("\ufeff").split("\n")
    except errors.PropscopeError as exc:
        return [_failing(str(path), exc)]
    items = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            name = f"{path}:{number}"
            items.append(Item(name, lambda line=line, name=name, n=number: _jsonl_record(line, name, n, path, options)))
    if not items:
        return [_failing(str(path), InputError(f"{path}: no lines to analyse"))]
    return items


def json_line(line: str, name: str) -> dict:
    """One JSON Lines record (``name``: its file and line), or an InputError saying why it is none."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}: not valid JSON ({exc.msg}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:     # an integer of over 4,300 digits, nesting past Python's depth
        raise InputError(f"{name}: not JSON that can be read ({exc})") from None
    if not isinstance(record, dict):
        raise InputError(f"{name}: each line must be a JSON object with text, html or url")
    return record


def _jsonl_record(line: str, name: str, number: int, path: Path, options: Options) -> Document:
    record = json_line(line, name)
    given = [k for k in ("text", "html", "url") if isinstance(record.get(k), str) and record[k].strip()]
    if len(given) != 1:
        raise InputError(f"{name}: give exactly one of text, html or url (a non-empty string)")
    given_id = record.get("id")
    if given_id is not None and not isinstance(given_id, (str, int)) or isinstance(given_id, bool):
        raise InputError(f"{name}: the id {given_id!r} is not text or a whole number")
    aid = f"{path.stem}-{number}" if given_id is None else str(given_id)
    if any(unicodedata.category(c) == "Cc" for c in aid):     # a tab or line break would split a SemEval line
        raise InputError(f"{name}: the id {aid!r} holds a tab, line break or other control character")
    source = str(record.get("source") or name)     # the outlet, when the line names one
    meta = {k: str(record[k]) for k in ("title", "author", "published", "url") if record.get(k) is not None}
    kind = given[0]
    if kind == "url":
        doc = _from_url(record["url"], options)
        return Document(doc.text, aid, source, {**doc.meta, **meta})
    if kind == "html":
        text, extracted = _extracted(record["html"], name)
        return checked(Document(text, aid, source, {**extracted, **meta}), options, name)
    check_size(record["text"], name)
    return checked(Document(record["text"], aid, source, meta), options, name)


def checked(doc: Document, options: Options, where: str | None = None) -> Document:
    """Note the language; refuse text that is not valid Unicode, or is confidently not English
    unless asked not to."""
    check_unicode(doc.text, where or doc.source)
    code, prob = language.guess(doc.text)
    if language.is_foreign(code, prob) and not options.any_language:
        raise errors.not_english(where or doc.source, language.name(code), prob)
    return Document(doc.text, doc.id, doc.source, {**doc.meta, **({"language": code} if code else {})})

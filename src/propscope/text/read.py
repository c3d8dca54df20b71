"""Read an article file exactly: UTF-8, a leading BOM kept (offsets count it)."""

from __future__ import annotations

import re
from pathlib import Path

from .. import errors, settings


def read_article(path: str | Path, max_chars: int | None = None) -> str:
    return decode(read_bytes(path), path, max_chars)


def read_bytes(path: str | Path) -> bytes:
    """A file's bytes, or an InputError saying why not."""
    path = Path(path)
    if not path.exists():
        raise errors.not_found(path)
    if not path.is_file():
        raise errors.not_a_file(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise errors.unreadable(path, exc.strerror or str(exc)) from None


def decode(data: bytes, where: object = "<input>", max_chars: int | None = None) -> str:
    if b"\x00" in data:
        raise errors.binary(where)
    try:
        text = data.decode("utf-8")  # not utf-8-sig: a BOM is character 0
    except UnicodeDecodeError as exc:
        raise errors.not_utf8(where, exc.start) from None
    return check_size(text, where, max_chars)


def check_size(text: str, where: object, max_chars: int | None = None) -> str:
    limit = max_chars if max_chars is not None else settings.get_int("max_chars")
    if len(text) > limit:
        raise errors.too_large(where, len(text), limit)
    return text


def check_markup(html: str, where: object) -> str:
    """A page's HTML within the page limit (PROPSCOPE_FETCH_MAX_BYTES, in characters here): the
    article limit applies to the text extracted from it, not to its markup and scripts."""
    limit = settings.get_int("fetch_max_bytes")
    if len(html) > limit:
        raise errors.page_too_large(where, len(html), limit)
    return html


def without_surrogates(text: str) -> str:
    """``text`` as UTF-8 can hold it: each lone surrogate (a JSON escape, a file name's undecodable
    byte, half of an emoji a JavaScript tool cut) becomes U+FFFD."""
    return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def check_unicode(text: str, where: object) -> str:
    """``text``, or an InputError if it is not valid Unicode: a lone surrogate, which a JSON
    ``\\u`` escape can hold but UTF-8 and the tokenizer cannot."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise errors.not_unicode(where, text, exc.start) from None
    return text


def article_files(paths: list[str | Path]) -> list[Path]:
    """Expand folders into their article files (sorted); files are kept as given."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found = sorted(p.glob("article*.txt")) or sorted(p.glob("*.txt"))
            if not found:
                raise errors.no_articles(p)
            out.extend(found)
        elif p.exists():
            out.append(p)
        else:
            raise errors.not_found(p)
    return out


def article_id(path: Path) -> str:
    """``article123.txt`` -> ``123``; any other file name -> its stem; spaces around it dropped, as
    a SemEval file's reader drops them (``article 7.txt`` is ``7``, so detect's output feeds classify)."""
    stem = path.stem
    aid = stem[len("article"):] if stem.startswith("article") and len(stem) > len("article") else stem
    return aid.strip() or stem

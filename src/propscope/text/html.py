"""The main text of an HTML page and its metadata, extracted with trafilatura."""

from __future__ import annotations

import re
from itertools import islice

from .. import errors

MIN_WORDS = 10
MAX_ATTRIBUTES = 256
# a start tag with more than MAX_ATTRIBUTES attributes: libxml2 checks each new attribute against those
# before it, so one tag of 40,000 took 30 s to parse and held a server thread far past its timeout.
# Possessive, and no unquoted part crosses a "<": each search stops at the next one, so the whole
# page is read once (5 MB of hostile shapes in 0.1 s), and "i<list.length" in a script is no tag.
_CROWDED = re.compile(r"""<[A-Za-z][A-Za-z0-9:-]*+(?:\s++(?:[^\s<>"']++|"[^"]*+"|'[^']*+')++){%d,}+"""
                      % MAX_ATTRIBUTES)


# trafilatura's last fallback (justext) compares each paragraph with its neighbours, a cost that grows
# with the square of the paragraphs: 10,000 table rows took 9 s, 40,000 136 s, past any server's
# deadline. A page with more block elements than this is read without the fallbacks (its fast mode) (a news page
# has a few hundred to a couple of thousand); its main extraction stays (linear: 2 MB in 3 s).
FALLBACK_BLOCKS = 5000
_BLOCK = re.compile(r"<(?:p|div|td|th|tr|li|dd|dt|h[1-6]|br|hr|section|article|aside|blockquote|pre|table|ul|ol|dl)"
                    r"(?![\w-])", re.IGNORECASE)


# the main extraction costs about 50 microseconds an element, whatever the element: 240,000 links
# took 16 s, 400,000 line breaks 15 s. A news page has a few thousand; a page with more than this
# is refused, not read for a minute.
MAX_ELEMENTS = 100_000
_TAG = re.compile(r"<[A-Za-z]")


def crowded(html: str | bytes) -> bool:
    """Whether ``html`` has more than FALLBACK_BLOCKS block elements."""
    return _more_than(_BLOCK, html, FALLBACK_BLOCKS)


def _more_than(pattern: re.Pattern, html: str | bytes, most: int) -> bool:
    if isinstance(html, bytes):
        pattern = re.compile(pattern.pattern.encode(), pattern.flags & re.IGNORECASE)
    return sum(1 for _ in islice(pattern.finditer(html), most + 1)) > most


def defused(html: str) -> str:
    """The page with the attributes of any tag that has more than MAX_ATTRIBUTES dropped."""
    return _CROWDED.sub(lambda tag: tag.group().split(None, 1)[0], html)


def extract(html: str | bytes, where: object = "<html>", url: str | None = None) -> tuple[str, dict]:
    """(article text, metadata: title, author, published, site, url). Offsets refer to this text."""
    import trafilatura
    if isinstance(html, str):
        html = defused(html)
    if _more_than(_TAG, html, MAX_ELEMENTS):
        raise errors.too_many_elements(where, MAX_ELEMENTS)
    # the publication date from the page's metadata only: htmldate's extensive search read a footer's
    # "(c) 2025" as 2025-01-01, a date made up for every undated page
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=False, fast=crowded(html),
                                      date_extraction_params={"extensive_search": False, "original_date": True})
    text = (doc.text or "").strip() if doc is not None else ""
    if len(text.split()) < MIN_WORDS:    # what is left is page furniture (menus, footers)
        raise errors.no_article_text(where)
    meta = {"title": doc.title, "author": doc.author, "published": doc.date, "site": doc.sitename,
            "url": doc.url or url}
    return text, {k: v for k, v in meta.items() if v}


def looks_like_html(text: str) -> bool:
    """Whether ``text`` starts like an HTML page (not merely names its tags: "a <head> section")."""
    head = text.lstrip("\ufeff \t\r\n")[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or (
        head.startswith("<") and "<head" in head and "<body" in text.lower())

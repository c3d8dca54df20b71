"""The main text of an HTML page and its metadata, extracted with trafilatura."""

from __future__ import annotations

from .. import errors

MIN_WORDS = 10


def extract(html: str | bytes, where: object = "<html>", url: str | None = None) -> tuple[str, dict]:
    """(article text, metadata: title, author, published, site, url). Offsets refer to this text."""
    import trafilatura
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False,
                                      include_tables=False, favor_precision=False)
    text = (doc.text or "").strip() if doc is not None else ""
    if len(text.split()) < MIN_WORDS:    # what is left is page furniture (menus, footers)
        raise errors.no_article_text(where)
    meta = {"title": doc.title, "author": doc.author, "published": doc.date, "site": doc.sitename,
            "url": doc.url or url}
    return text, {k: v for k, v in meta.items() if v}


def looks_like_html(text: str) -> bool:
    head = text.lstrip("\ufeff \t\r\n")[:200].lower()
    return head.startswith(("<!doctype html", "<html", "<?xml")) or ("<head" in head and "<body" in text.lower())

"""A request's text, html or url as a Document, by the same rules as ``propscope analyze``.

(A candidate for ``propscope.inputs``: nothing here is specific to HTTP.)
"""

from __future__ import annotations

import httpx

from ..errors import InputError
from ..inputs import Document, Options, checked, expand, is_url
from ..text.html import extract
from ..text.read import check_markup, check_size


def document(*, text: str | None = None, html: str | None = None, url: str | None = None,
             options: Options | None = None) -> Document:
    """Exactly one of ``text``, ``html`` or ``url``; a URL never reaches the file system."""
    options = options or Options()
    if url is not None:
        return _from_url(url, options)       # fetched, extracted and checked by propscope.inputs
    if html is not None:
        body, meta = extract(check_markup(html, "html"), "html")
        check_size(body, "html")
        doc = Document(body, "", "html", meta)
    elif text is not None:
        doc = Document(check_size(text, "text"), "", "text")
    else:
        raise InputError("give exactly one of text, html or url")
    return checked(doc, options)


def _from_url(url: str, options: Options) -> Document:
    try:
        parsed = httpx.URL(url)
        host = parsed.host          # decoded from IDNA here: "xn--a.com" fails
    except (httpx.InvalidURL, UnicodeError) as exc:
        raise InputError(f"{url!r}: not a valid address ({exc})") from None
    if not is_url(url) or parsed.scheme not in ("http", "https") or not host:
        raise InputError(f"{url!r}: give an http:// or https:// address")
    try:
        return expand([url], options)[0].load()
    except (httpx.InvalidURL, UnicodeError) as exc:     # e.g. a host name IDNA cannot encode
        raise InputError(f"{url!r}: not a valid address ({exc})") from None

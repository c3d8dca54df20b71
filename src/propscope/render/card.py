"""The model card: read from a model's folder, and shown as HTML where raw HTML in the card
stays text (markdown-it with HTML off), without images or inline styles (both pages forbid them).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup

FILE = "MODEL_CARD.md"
ALIGN = {"text-align:left": "left", "text-align:center": "centre", "text-align:right": "right"}


def read(folder: str | Path) -> str | None:
    """The card of the model in ``folder``, or None when it has none."""
    try:
        return (Path(folder) / FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def to_html(card: str) -> str:
    """The card's markdown as an HTML fragment; any markup written in the card is escaped."""
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False}).disable("image")
    tokens = md.parse(card)
    for token in _all(tokens):
        style = token.attrGet("style")
        if style is not None:                 # table cell alignment: a class, not a style attribute
            token.attrs.pop("style")
            token.attrSet("class", ALIGN.get(str(style), ""))
        if token.type == "link_open":
            token.attrSet("rel", "noopener noreferrer")
        if token.type in ("heading_open", "heading_close"):     # under the page's own h1: one level down
            token.tag = f"h{min(6, int(token.tag[1]) + 1)}"
    html = md.renderer.render(tokens, md.options, {})
    # wide tables scroll on their own on a phone (markup written in the card is escaped, so these
    # are the card's own tables)
    return html.replace("<table>", '<div class="table-wrap"><table>').replace("</table>", "</table></div>")


def _all(tokens):
    for token in tokens:
        yield token
        yield from _all(token.children or [])


def page(card: str, version: str, stylesheet: str) -> str:
    """The card as a page of its own, styled by ``stylesheet`` (a URL), with no script."""
    env = Environment(loader=PackageLoader("propscope", "render/templates"), autoescape=select_autoescape(default=True))
    return env.get_template("card.html.j2").render(card=Markup(to_html(card)), version=version, stylesheet=stylesheet)

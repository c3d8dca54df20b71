"""What hostile HTML costs propscope's extraction: pages built to be slow (many short blocks, many
links, deep nesting, crowded tags), each timed through ``propscope.text.html.extract`` as a page
given to ``analyze`` or the server would be.

    python benchmarks/hostile_html.py                 # each shape just under the element limit
    python benchmarks/hostile_html.py --scale 0.1     # a tenth of that, quickly

Prints each shape's size, seconds, and what came of it (the article's characters, or the refusal).
"""

from __future__ import annotations

import argparse
import time

from common import one_line_errors

from propscope.errors import PropscopeError
from propscope.text.html import MAX_ELEMENTS, extract

ARTICLE = "<p>" + "The corrupt elites will destroy our great nation unless we act now! " * 5 + "</p>"


def shapes(n: int) -> dict[str, str]:
    """Pages of about ``n`` elements each (a table row is two)."""
    body = {
        "table rows": "<table>" + "<tr><td>x</td></tr>" * (n // 2) + "</table>",
        "short paragraphs": "<p>x</p>" * n,
        "line breaks": "x<br>" * n,
        "links": '<a href="/x">word</a> ' * n,
        "spans": "<span>x</span>" * n,
        "nested divs": "<div>" * n + "x" + "</div>" * n,
        "unclosed bold": "<b>" * n,
        "crowded tag": "<div " + " ".join(f"a{i}=x" for i in range(n)) + ">x</div>",
        "one element over": "x<br>" * (MAX_ELEMENTS + 1),
    }
    return {name: f"<html><body>{ARTICLE}{html}</body></html>" for name, html in body.items()}


@one_line_errors
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.95,
                        help=f"Elements per page as a share of the limit (%(default)s of {MAX_ELEMENTS:,}).")
    args = parser.parse_args()
    if not 0 < args.scale <= 1:
        raise SystemExit("hostile_html.py: --scale is a share from 0 (excluded) to 1")
    n = int((MAX_ELEMENTS - 100) * args.scale)        # room for the article and the page around each shape
    print(f"{'page':<18} {'MB':>6} {'seconds':>8}  outcome")
    for name, page in shapes(n).items():
        started = time.perf_counter()
        try:
            text, _ = extract(page, name)
            outcome = f"{len(text):,} characters of article"
        except PropscopeError as exc:
            outcome = f"refused: {str(exc)[:70]}"
        print(f"{name:<18} {len(page) / 1e6:>6.2f} {time.perf_counter() - started:>8.2f}  {outcome}", flush=True)


if __name__ == "__main__":
    main()

"""The model card: read from a model folder, shown as HTML in which the card's own markup stays text."""

import re

from propscope.render.card import page, read, to_html

HOSTILE = """# Model card <script>alert(1)</script>

| measure | value |
|---|---:|
| F1 <img src=x onerror=alert(2)> | 0.42 |

[a link](https://example.org/paper) [bad](javascript:alert(3)) ![tracker](https://example.com/t.png)

<iframe src="https://example.com"></iframe> {{ 7*7 }}
"""


def test_read_the_card_of_a_folder_or_none(tmp_path):
    assert read(tmp_path) is None
    (tmp_path / "MODEL_CARD.md").write_text("# Card\n", encoding="utf-8")
    assert read(tmp_path) == "# Card\n"
    (tmp_path / "MODEL_CARD.md").write_bytes(b"\xff\xfe not utf-8")
    assert read(tmp_path) is None


def test_markup_in_the_card_stays_text():
    html = to_html(HOSTILE)
    assert "<h2>Model card &lt;script&gt;alert(1)&lt;/script&gt;</h2>" in html      # under the page's own h1
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and "&lt;iframe" in html
    assert not re.search(r"<(script|img|iframe)\b", html)
    assert "javascript:" not in html.replace("[bad](javascript:alert(3))", "")
    assert "{{ 7*7 }}" in html


def test_tables_and_links_without_styles_or_images():
    html = to_html(HOSTILE)
    assert '<th class="right">value</th>' in html and "style=" not in html      # the pages' CSP forbids styles
    assert '<a href="https://example.org/paper" rel="noopener noreferrer">a link</a>' in html
    assert "<img" not in html                                                   # no request leaves the page
    assert html.count('<div class="table-wrap"><table>') == html.count("<table>") > 0   # wide tables scroll alone


def test_the_card_page_has_no_script_and_escapes_the_version():
    html = page(HOSTILE, "<b>v1</b>", "/static/app.css")
    assert "<script" not in html and "&lt;b&gt;v1&lt;/b&gt;" in html
    assert '<link rel="stylesheet" href="/static/app.css">' in html and 'id="model-card"' in html

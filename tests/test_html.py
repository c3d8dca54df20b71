"""Main-text extraction from HTML, with its metadata."""

import pytest

from conftest import ARTICLE_HTML
from propscope.errors import InputError
from propscope.text.html import extract, looks_like_html


def test_extracts_the_article_and_its_metadata_without_the_page_furniture():
    text, meta = extract(ARTICLE_HTML)
    assert "stabbed every hard-working patriot" in text and "minister's promises" in text
    assert "Subscribe" not in text and "Cookie" not in text
    assert meta["author"] == "Jane Roe" and meta["site"] == "The Daily Flag"
    assert meta["published"] == "2021-03-04" and "Our Nation Betrayed" in meta["title"]


def test_a_page_without_article_text_is_a_clear_error():
    with pytest.raises(InputError, match="no article text"):
        extract("<html><head><title>x</title></head><body><nav>Home</nav></body></html>", "page.html")


@pytest.mark.parametrize("text,expected", [(ARTICLE_HTML, True), ("\ufeff  <html><body>x</body></html>", True),
                                           ("<!doctype html><p>x</p>", True),
                                           ("The <b>bold</b> claim was false.", False), ("", False),
                                           ("<meta charset=utf-8><head></head><body>x</body>", True),
                                           ("Every page needs a <head> section and a <body> section.", False)])
def test_html_is_recognised_by_its_opening(text, expected):
    assert looks_like_html(text) is expected


@pytest.mark.parametrize("first", ["", 'a0="<" ', "a0='>' "])
def test_a_tag_crowded_with_attributes_is_read_at_once(first):
    """libxml2's time grows with the square of one tag's attributes: 40,000 took 30 s."""
    import time
    crowd = " ".join(f"a{i}=x" for i in range(40_000))
    page = ARTICLE_HTML.replace("<body>", f"<body><div {first}{crowd}>", 1).replace("</body>", "</div></body>", 1)
    started = time.perf_counter()
    text, _ = extract(page)
    assert time.perf_counter() - started < 3
    assert text == extract(ARTICLE_HTML)[0]


def test_ordinary_tags_keep_their_attributes():
    from propscope.text.html import defused
    assert defused(ARTICLE_HTML) == ARTICLE_HTML
    tag = '<a href="https://x.example/?a=1&b=2" class="c d" data-x=\'1 2\' hidden>'
    assert defused(tag) == tag


def test_defusing_reads_a_hostile_page_once_and_leaves_scripts_alone():
    import time
    from propscope.text.html import defused
    for hostile in ("<a" * 400_000, ("<a" * 5000 + " ") * 80, ("<b " + "c " * 255) * 1500):
        started = time.perf_counter()
        assert defused(hostile) == hostile              # no tag of its own crowded: nothing to change
        assert time.perf_counter() - started < 2, hostile[:20]
    script = "<script>for (var i = 0; i<list.length; i++) {\n" + "x = y + z;\n" * 300 + "}</script>"
    assert defused(script) == script


def test_a_page_of_many_short_blocks_is_read_without_the_quadratic_fallback():
    """justext, trafilatura's last fallback, took 44 s on 20,000 table rows (136 s on 40,000),
    a server thread's CPU long past its deadline."""
    import time
    from propscope.text.html import crowded
    rows = "<table>" + "<tr><td>x</td></tr>" * 20_000 + "</table>"
    page = ARTICLE_HTML.replace("</article>", "</article>" + rows, 1)
    assert crowded(page) and crowded(page.encode()) and not crowded(ARTICLE_HTML)
    started = time.perf_counter()
    text, _ = extract(page)
    assert time.perf_counter() - started < 10
    assert "stabbed every hard-working patriot" in text


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_page_of_more_elements_than_any_article_has_is_refused_at_once(as_bytes):
    """Extraction costs about 50 microseconds an element: 400,000 line breaks took 15 s."""
    import time
    from propscope.text.html import MAX_ELEMENTS
    page = ARTICLE_HTML.replace("</article>", "</article>" + "x<br>" * MAX_ELEMENTS, 1)
    started = time.perf_counter()
    with pytest.raises(InputError, match="page.html: the page has more than 100,000 elements"):
        extract(page.encode() if as_bytes else page, "page.html")
    assert time.perf_counter() - started < 2
    assert "stabbed" in extract(ARTICLE_HTML.replace("</article>", "</article>" + "x<br>" * 10_000, 1))[0]


@pytest.mark.parametrize("marked, published", [
    ('<time>March 3, 2023</time>', "2023-03-03"), ('<p class="date">Posted on March 3, 2023</p>', "2023-03-03"),
    ('<p>Posted on 2023-03-03</p>', "2023-03-03"), ('<p>Posted on March 3, 2023</p>', None)])
def test_a_date_the_page_marks_is_read_and_one_only_written_in_a_paragraph_is_not(marked, published):
    body = "<p>" + "The corrupt elites betrayed the patriots again and again, said the minister. " * 5 + "</p>"
    page = f"<html><body><article><h1>Story</h1>{marked}{body}</article><footer>(c) 2025</footer></body></html>"
    assert extract(page)[1].get("published") == published

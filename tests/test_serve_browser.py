"""The web page in headless Chromium against a server on loopback, used as a person would:
paste, analyse, hover, filter, slide, download, on a phone, with the keyboard; hostile text."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from propscope.serve.config import ServeConfig  # noqa: E402
from propscope.serve.thread import ServerThread  # noqa: E402
from propscope.spans import Analysis, Span  # noqa: E402

from conftest import make_corpus  # noqa: E402

pytestmark = pytest.mark.browser
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"

ARTICLE = ("The corrupt elites in the capital have once again stabbed every hard-working patriot in the back. "
           "These traitors will destroy everything our grandparents built unless we stop them now. "
           "Make our nation great, strong and proud again!\n")
HOSTILE = ('<script>window.pwned = 1</script>The corrupt elites are traitors and liars '
           '<img src=x onerror="window.pwned=2">, and the reckless minister lied again to every family. '
           '<a href="https://example.com/track">click</a> <style>body{display:none}</style>\n'
           'Enough is enough! <link rel="stylesheet" href="https://example.com/x.css">')
# (phrase, technique, confidence): what the stand-in model finds, so the page's behaviour is exact
FINDS = [("corrupt elites", "Loaded_Language", 0.55), ("traitors", "Name_Calling,Labeling", 0.81),
         ("traitors will destroy", "Loaded_Language", 0.32), ("proud again", "Slogans", 0.12),
         ("traitors and liars", "Name_Calling,Labeling", 0.64), ("Enough is enough", "Slogans", 0.2)]


def stand_in(text, *, article_id="", source=None, threshold=0.0, techniques=None, meta=None, sensitive=False,
             blind_names=None):
    if "Slowly," in text:           # a model at work for a while, for what the page does meanwhile
        import time
        time.sleep(1.5)
    spans = tuple(Span(article_id, text.index(p), text.index(p) + len(p), t, c) for p, t, c in FINDS if p in text)
    return Analysis(text, spans, article_id=article_id, source=source,
                    model="stand-in" if blind_names is False else "stand-in+blind-names",   # None: the default
                    meta=dict(meta or {})).filtered(threshold, techniques)


@pytest.fixture(scope="module")
def server():
    import propscope.engine
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(propscope.engine, "analyze", stand_in)
        with ServerThread(ServeConfig()) as s:
            yield s


def open_page(browser, url, **options):
    context = browser.new_context(accept_downloads=True, **options)
    page = context.new_page()
    page.requests, page.errors = [], []
    page.on("request", lambda r: page.requests.append(r.url))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.goto(url + "/")
    page.wait_for_selector("#legend-list li:nth-child(14)", state="attached")
    return page


@pytest.fixture
def page(browser, server):
    page = open_page(browser, server.url, viewport={"width": 1200, "height": 900})
    yield page
    page.context.close()


def analyse(page, text=ARTICLE):
    page.fill("#text", text)
    page.click("#analyse")
    page.wait_for_selector("#result:not([hidden])")


def marks(page):
    return page.eval_on_selector_all("mark.frag", "ms => ms.map(m => m.textContent)")


def shot(page, name):
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / name), full_page=True)


def test_paste_analyse_and_hover_a_fragment(page, server):
    analyse(page)
    assert marks(page) == ["corrupt elites", "traitors", " will destroy", "proud again"]
    assert page.locator("#summary").inner_text().startswith("4 fragments")
    assert page.locator("sup.tag").all_inner_texts() == ["9", "10", "9", "12"]     # technique numbers
    tip = page.locator("#tip")
    page.mouse.move(0, 0)
    assert tip.is_hidden()
    page.locator("mark.ov").hover()
    assert tip.is_visible()
    text = tip.inner_text()
    assert "Name calling or labelling" in text and "confidence 0.81" in text and "emotive label" in text
    assert "Loaded language" in text and "confidence 0.32" in text
    shot(page, "serve-hover.png")
    page.mouse.move(0, 0)
    assert tip.is_hidden()
    assert all(u.startswith(server.url) for u in page.requests)
    assert page.errors == []


def test_characters_beyond_the_basic_plane_do_not_shift_the_highlights(page):
    analyse(page, "\U0001F525\U0001F525 Breaking \U0001D4D7: " + ARTICLE)     # two UTF-16 units each in JavaScript
    assert marks(page) == ["corrupt elites", "traitors", " will destroy", "proud again"]
    assert page.errors == []


def test_blind_to_names_is_asked_for_and_shown(page):
    assert page.locator("#blind-names").is_checked()       # the default reading
    analyse(page)
    assert "Model stand-in+blind-names." in page.locator("#summary").inner_text()
    page.uncheck("#blind-names")
    analyse(page)
    page.locator("#summary", has_text="Model stand-in.").wait_for()
    assert "Model stand-in." in page.locator("#summary").inner_text()
    page.check("#blind-names")


def test_unticking_a_technique_hides_its_fragments(page):
    analyse(page)
    page.locator("#filter-list input[value='Loaded_Language']").uncheck()
    assert marks(page) == ["traitors", "proud again"]
    assert page.locator(".count[data-t='Loaded_Language']").inner_text() == "0"
    assert page.locator("#spans tbody tr").count() == 2


def test_the_slider_hides_low_confidence_fragments(page):
    analyse(page)
    page.locator("#threshold").fill("0.5")
    assert marks(page) == ["corrupt elites", "traitors"]
    assert page.locator("#threshold-value").inner_text() == "0.50"
    page.locator("#threshold").fill("0.9")
    assert marks(page) == []
    page.locator("#threshold").fill("0")
    assert len(marks(page)) == 4


def test_downloads_hold_what_is_shown(page):
    analyse(page)
    page.locator("#threshold").fill("0.3")
    with page.expect_download() as got:
        page.click("#download-json")
    data = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert got.value.suggested_filename == "propscope-article.json"
    assert data["schema"] == "propscope.analysis/1" and data["text"] == ARTICLE
    assert sorted(s["fragment"] for s in data["spans"]) == ["corrupt elites", "traitors", "traitors will destroy"]
    with page.expect_download() as got:
        page.click("#download-html")
    report = Path(got.value.path()).read_text(encoding="utf-8")
    assert got.value.suggested_filename == "propscope-article.html"
    assert report.startswith("<!DOCTYPE html>") and "Content-Security-Policy" in report
    assert "3 fragments in 1 article" in report
    assert data["filter"] == {"threshold": 0.3, "techniques": None}
    assert "only the fragments at confidence 0.30 or more." in report
    assert page.locator("#shown").inner_text() == ("Showing 3 of 4 fragments: confidence 0.30 or more. "
                                                  "Downloads hold what is shown.")
    page.locator("#filter-list input[value='Name_Calling,Labeling']").uncheck()
    with page.expect_download() as got:
        page.click("#download-json")
    data = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
    assert [s["fragment"] for s in data["spans"]] == ["corrupt elites", "traitors will destroy"]
    assert len(data["filter"]["techniques"]) == 13 and "Name_Calling,Labeling" not in data["filter"]["techniques"]
    with page.expect_download() as got:
        page.click("#download-html")
    report = Path(got.value.path()).read_text(encoding="utf-8")
    assert "at confidence 0.30 or more, and none of these techniques: Name calling or labelling." in report


def test_what_the_filters_hide_is_said_and_a_new_analysis_shows_it_too(page):
    analyse(page)
    assert page.locator("#shown").inner_text() == ""
    page.locator("#threshold").fill("0.5")
    page.locator("#filter-list input[value='Loaded_Language']").uncheck()
    assert page.locator("#shown").inner_text() == ("Showing 1 of 4 fragments: confidence 0.50 or more, "
                                                  "1 technique hidden. Downloads hold what is shown.")
    analyse(page, "Enough is enough! The corrupt elites lie.\n")     # its two fragments: 0.2 and 0.55
    assert marks(page) == ["corrupt elites"] and page.locator("#threshold-value").inner_text() == "0.50"
    assert page.locator("#status").inner_text() == "2 fragments found, 1 shown."
    assert page.locator("#shown").inner_text().startswith("Showing 1 of 2 fragments: confidence 0.50 or more.")


def test_the_slider_is_read_where_the_browser_puts_it_back(page, server):
    """Back to the page: Chromium puts the slider where it was, and the page must read it."""
    analyse(page)
    page.locator("#threshold").fill("0.5")
    page.goto(server.url + "/model")
    page.go_back()
    page.wait_for_selector("#legend-list li:nth-child(14)", state="attached")
    value = page.locator("#threshold").input_value()
    assert page.locator("#threshold-value").inner_text() == f"{float(value):.2f}"
    analyse(page)
    assert len(marks(page)) == sum(c >= float(value) for c in (0.55, 0.81, 0.32, 0.12))


def test_a_failed_analysis_leaves_no_earlier_result_in_view(page):
    analyse(page)
    page.fill("#text", "")
    page.fill("#url", "http://127.0.0.1:1/")
    page.click("#analyse")
    page.wait_for_selector("#problem:not([hidden])")
    assert page.locator("#result").is_hidden()
    assert "PROPSCOPE_SERVE_ALLOW_PRIVATE" in page.locator("#problem").inner_text()
    assert "--allow-private" not in page.locator("#problem").inner_text()    # the command line's, not the page's


def test_an_article_and_an_address_together_are_refused_in_words(page):
    analyse(page)
    page.fill("#url", "https://example.org/news/story.html")
    page.click("#analyse")
    assert "Both an article and a web address" in page.locator("#problem").inner_text()
    assert page.locator("#result").is_hidden()                # the earlier result, and its downloads, gone too
    page.fill("#url", "")
    page.fill("#text", "")
    analyse(page)
    page.fill("#text", " ")
    page.click("#analyse")
    assert "Paste an article" in page.locator("#problem").inner_text() and page.locator("#result").is_hidden()


def test_analysing_again_keeps_the_form_where_the_pointer_is(browser, server):
    page = open_page(browser, server.url, viewport={"width": 1280, "height": 720})
    try:
        analyse(page, ("Slowly, " + ARTICLE) * 12)
        page.wait_for_selector("#result:not([hidden])")
        page.wait_for_selector("#analyse[aria-disabled='false']")
        button = page.locator("#analyse")
        button.scroll_into_view_if_needed()
        page.evaluate("window.scrollBy(0, 200)")             # the button low on the screen, the result below
        box = button.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        before = page.evaluate("scrollY")
        page.mouse.click(x, y)                               # analysing for a while
        assert page.evaluate("scrollY") == before
        assert page.evaluate(f"document.elementFromPoint({x}, {y}).closest('#analyse') !== null")
        page.mouse.click(x, y)                               # a second click lands on the button, not a box
        page.wait_for_selector("#analyse[aria-disabled='false']")
        assert not page.is_checked("#sensitive") and page.is_checked("#blind-names")
    finally:
        page.context.close()


def test_a_fetched_pages_downloads_hold_what_was_shown_without_fetching_it_again(browser, site):
    import propscope.engine
    from conftest import ARTICLE_HTML
    site.pages["/story.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(propscope.engine, "analyze", stand_in)
        with ServerThread(dataclasses.replace(ServeConfig(), allow_private=True)) as server:
            page = open_page(browser, server.url, viewport={"width": 1200, "height": 900})
            try:
                page.fill("#url", site.url + "/story.html")
                page.click("#analyse")
                page.wait_for_selector("#result:not([hidden])")
                shown = page.locator("#status").inner_text()
                site.pages["/story.html"] = (200, {"Content-Type": "text/html"},
                                             ARTICLE_HTML.replace("traitors", "people").encode())   # edited since
                with page.expect_download() as got:
                    page.click("#download-json")
                data = json.loads(Path(got.value.path()).read_text(encoding="utf-8"))
                assert "traitors" in data["text"] and data["meta"]["title"].startswith("Our Nation Betrayed")
                assert data["source"] == site.url + "/story.html" and data["meta"]["site"] == "The Daily Flag"
                assert page.locator("#status").inner_text() == shown       # the result's line stays
                del site.pages["/story.html"]                              # gone
                with page.expect_download() as got:
                    page.click("#download-html")
                report = Path(got.value.path()).read_text(encoding="utf-8")
                assert "Our Nation Betrayed" in report and "traitors" in report
                assert [p for p, _ in site.requests].count("/story.html") == 1
            finally:
                page.context.close()


def test_a_phone_can_use_it(browser, server):
    page = open_page(browser, server.url, viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True,
                     device_scale_factor=2)
    try:
        shot(page, "serve-phone-start.png")
        analyse(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375     # nothing sideways
        page.locator("mark.frag").nth(1).tap()
        tip = page.locator("#tip")
        assert tip.is_visible() and "Name calling or labelling" in tip.inner_text()
        box = tip.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        shot(page, "serve-phone-tap.png")
        page.locator("#tip .definition").first.tap()        # to read or select it: it stays
        assert tip.is_visible()
        page.locator("h1").tap()
        assert tip.is_hidden()
        for button in ("#analyse", "#download-json", "#download-html"):
            assert page.locator(button).bounding_box()["height"] >= 40      # big enough for a finger
        assert page.errors == []
    finally:
        page.context.close()


def test_keyboard_only(page):
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "text"
    page.keyboard.type(ARTICLE)
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#result:not([hidden])")
    # the keyboard goes on from the result, and a screen reader hears that it is there
    assert page.evaluate("document.activeElement.id") == "title"
    assert page.locator("#status").inner_text().endswith("found.")
    page.focus("#threshold")
    for _ in range(6):                           # 0 -> 0.30
        page.keyboard.press("ArrowRight")
    assert page.locator("#threshold-value").inner_text() == "0.30"
    assert len(marks(page)) == 3
    page.locator("#filter-list input").first.focus()
    page.keyboard.press("Space")                 # untick the first technique
    assert page.locator("#filter-list input").first.is_checked() is False
    page.keyboard.press("Space")
    page.focus("#download-html")
    for _ in range(20):                          # on through the controls to the first fragment
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "MARK":
            break
    assert page.evaluate("document.activeElement.textContent") == "corrupt elites"
    tip = page.locator("#tip")
    assert tip.is_visible() and "Loaded language" in tip.inner_text()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "tip"   # read out with it
    shot(page, "serve-keyboard.png")
    page.keyboard.press("Escape")
    assert tip.is_hidden()
    page.keyboard.press("Enter")                 # and back, as the hint says
    assert tip.is_visible() and "Loaded language" in tip.inner_text()
    page.keyboard.press("Tab")
    assert tip.is_visible() and "Name calling" in tip.inner_text()


@pytest.mark.parametrize("before", ['<?xml version="1.0" encoding="utf-8"?>\n', "\ufeff  \n"])
def test_a_pasted_web_page_is_read_as_one_however_it_begins(page, before):
    from conftest import ARTICLE_HTML
    analyse(page, before + ARTICLE_HTML.removeprefix("<!DOCTYPE html>\n"))
    assert page.locator("#title").inner_text() == "Our Nation Betrayed"
    assert "<head>" not in page.locator("#article").inner_text()


def test_hostile_article_text_stays_text(page, server):
    analyse(page, HOSTILE)
    page.locator("mark.frag").first.hover()
    page.wait_for_timeout(200)
    assert page.evaluate("typeof window.pwned") == "undefined"
    article = page.locator("#article")
    assert article.locator("img, a, link, style, script").count() == 0
    shown = page.evaluate("""() => { const a = document.getElementById('article').cloneNode(true);
                                    a.querySelectorAll('sup').forEach(s => s.remove()); return a.textContent; }""")
    assert shown == HOSTILE
    assert '<img src=x onerror="window.pwned=2">' in article.inner_text()
    assert page.locator("#title").inner_text() == "Your article"
    assert page.evaluate("getComputedStyle(document.body).display") != "none"
    assert all(u.startswith(server.url) for u in page.requests)
    assert page.errors == []
    shot(page, "serve-hostile.png")


def test_a_refusal_is_shown_in_words(page):
    page.fill("#text", "")
    page.click("#analyse")
    assert "Paste an article" in page.locator("#problem").inner_text()
    page.fill("#url", "http://127.0.0.1:1/")
    page.click("#analyse")
    page.wait_for_selector("#problem:not([hidden]):has-text('127.0.0.1')")
    assert "refused" in page.locator("#problem").inner_text()


def test_a_token_is_asked_for_when_the_server_needs_one(browser):
    import propscope.engine
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(propscope.engine, "analyze", stand_in)
        with ServerThread(dataclasses.replace(ServeConfig(), token="s3cret")) as server:
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url + "/")
            page.wait_for_selector("#token-row:not([hidden])")
            page.fill("#token", "s3cret")
            analyse(page)
            assert len(marks(page)) == 4
            context.close()


def test_a_busy_server_is_asked_again_when_it_says(browser):
    import threading
    import time

    import httpx
    import propscope.engine

    def slow(text, **kwargs):
        time.sleep(2)
        return stand_in(text, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(propscope.engine, "analyze", slow)
        with ServerThread(dataclasses.replace(ServeConfig(), queue=0)) as server:
            other = threading.Thread(target=httpx.post, args=(server.url + "/v1/analyze",),
                                     kwargs={"json": {"text": ARTICLE}, "timeout": 30})
            page = open_page(browser, server.url, viewport={"width": 1200, "height": 900})
            other.start()                                       # someone else's article holds the model
            time.sleep(0.5)
            page.fill("#text", ARTICLE)
            page.click("#analyse")
            page.locator("#status", has_text="The server is busy; asking again in 1 s").wait_for()
            page.wait_for_selector("#result:not([hidden])")
            other.join()
            assert len(marks(page)) == 4 and page.locator("#problem").is_hidden()
            assert [e for e in page.errors if "status of 429" not in e] == []   # Chromium logs each refusal
            page.context.close()


def test_the_legend_and_the_tooltip_say_how_far_to_trust_the_model(page):
    from propscope.engine import detector
    from propscope.reliability import from_validation
    reliability = from_validation(detector().validation())
    page.click("#legend summary")
    items = page.locator("#legend-list li")
    assert items.count() == 14
    words = page.locator("#legend-list .reliability").all_inner_texts()
    assert len(words) == 14 and all(w.startswith("Model: ") for w in words)
    calling = reliability["Name_Calling,Labeling"]
    assert f"Model: {calling.summary}." in items.nth(9).inner_text()
    shot(page, "serve-legend-reliability.png")
    analyse(page)
    page.locator("mark.ov").hover()
    assert f"Model: {calling.found}, {calling.right}." in page.locator("#tip").inner_text()
    assert page.errors == []


def test_the_model_card_link_opens_the_card_beside_the_analysis(page, server):
    analyse(page)
    with page.context.expect_page() as opened:
        page.click("#model-link")
    card, page = opened.value, page
    card.wait_for_load_state()
    assert page.locator("#result").is_visible()                # the analysis is still there to go back to
    assert card.url == server.url + "/model"
    card.requests, card.errors = page.requests, page.errors
    card.on("request", lambda r: page.requests.append(r.url))
    card.on("pageerror", lambda e: page.errors.append(str(e)))
    page = card
    assert page.locator("h1").first.inner_text() == "propscope"
    assert page.locator("#model-card h2").first.inner_text().startswith("Model card: propscope")
    assert page.locator("#model-card table").count() >= 1
    assert page.evaluate("getComputedStyle(document.querySelector('.card')).borderRadius") == "6px"   # styled
    shot(page, "serve-model-card.png")
    assert all(u.startswith(server.url) for u in page.requests) and page.errors == []


def test_without_a_corpus_there_is_no_corpus_section(browser, server):
    context = browser.new_context()
    page = context.new_page()
    with page.expect_response(lambda r: r.url.endswith("/v1/corpus")) as answer:
        page.goto(server.url + "/")
    assert answer.value.json()["present"] is False
    page.wait_for_timeout(200)
    assert page.locator("#corpus").is_hidden()
    context.close()


def until(page, expression: str, seconds: float = 30) -> None:
    """Wait for ``expression`` to hold. page.wait_for_function polls through eval, which the
    page's CSP (no 'unsafe-eval') refuses; page.evaluate is allowed."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"still false after {seconds} s: {expression}")


def test_the_corpus_section_shows_its_chart(browser, tmp_path):
    import propscope.engine
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(propscope.engine, "analyze", stand_in)
        with ServerThread(dataclasses.replace(ServeConfig(), db=make_corpus(tmp_path / "corpus.db"))) as server:
            page = open_page(browser, server.url, viewport={"width": 1200, "height": 900})
            chart = page.locator("#corpus-chart")
            chart.wait_for(state="visible")
            # a data: image decodes after it is shown: wait for the decoded picture, not the element
            until(page, "(c => c.complete && c.naturalWidth >= 800)(document.getElementById('corpus-chart'))")
            assert page.locator("#corpus-summary").inner_text().startswith("5 articles from 3 outlets over 2 periods")
            assert "per month" in chart.get_attribute("alt")
            chart.scroll_into_view_if_needed()
            shot(page, "serve-corpus.png")
            first = chart.get_attribute("src")
            with page.expect_response(lambda r: "/v1/stats/chart.png?period=week" in r.url):
                page.select_option("#corpus-period", "week")
            until(page, "document.getElementById('corpus-chart').alt.includes('per week')")
            assert chart.get_attribute("src") != first and first.startswith("data:image/png;base64,")
            assert page.locator("#corpus-summary").inner_text().startswith("5 articles from 3 outlets over 3 periods")
            assert all(u.startswith(server.url) or u.startswith("data:") for u in page.requests)
            assert page.errors == []
            page.context.close()


def test_a_corpus_behind_a_token_shows_once_the_token_is_given(browser, tmp_path):
    config = dataclasses.replace(ServeConfig(), db=make_corpus(tmp_path / "corpus.db"), token="s3cret")
    with ServerThread(config) as server:
        context = browser.new_context()
        page = context.new_page()
        page.goto(server.url + "/")
        page.wait_for_selector("#token-row:not([hidden])")
        assert page.locator("#corpus").is_hidden()
        page.fill("#token", "s3cret")
        page.locator("#token").dispatch_event("change")
        page.locator("#corpus-chart").wait_for(state="visible")
        context.close()


@pytest.mark.model
def test_the_real_model_highlights_an_article(browser):
    with ServerThread(ServeConfig()) as server:
        page = open_page(browser, server.url, viewport={"width": 1200, "height": 900})
        analyse(page)
        assert page.locator("mark.frag").count() >= 1
        assert page.errors == []
        shot(page, "serve-article.png")
        page.context.close()


def test_the_explanation_stays_while_the_pointer_moves_onto_it(page):
    analyse(page)
    mark = page.locator("mark.frag").first
    mark.hover()
    tip = page.locator("#tip")
    assert tip.is_visible()
    box = tip.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    assert tip.is_visible()                      # WCAG 1.4.13: content on hover can be reached
    page.mouse.move(1, 1)
    assert tip.is_hidden()


def test_escape_in_an_explanation_hides_it_and_gives_focus_back_to_its_fragment(page):
    analyse(page)
    mark = page.locator("mark.frag").nth(1)
    mark.click()
    page.locator("#tip .definition").first.click()
    assert page.locator("#tip").is_visible() and page.evaluate("document.activeElement.id") == "tip"
    page.keyboard.press("Escape")
    assert page.locator("#tip").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('frag')")


def test_tab_from_an_explanation_goes_on_from_its_fragment(page):
    analyse(page)
    page.locator("mark.frag").first.click()
    page.locator("#tip .definition").first.click()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('frag')")
    assert page.evaluate("document.activeElement === document.querySelectorAll('mark.frag')[1]")


def test_two_downloads_at_once_leave_the_results_line_and_the_button_waits(page):
    analyse(page)
    said = page.locator("#status").inner_text()
    with page.expect_download():
        page.click("#download-json")
        page.click("#download-html")              # while the first is prepared: not a second at once
    page.wait_for_selector("#analyse[aria-disabled='false']")
    assert page.locator("#status").inner_text() == said


def test_the_legend_says_how_far_to_trust_the_reading_of_names_asked_for(page):
    from propscope.engine import detector
    written = detector().validation(False)["span_technique_per_technique"]["Flag-Waving"]["recall"]
    with page.expect_response(lambda r: "/v1/techniques?blind_names=false" in r.url):
        page.locator("#blind-names").uncheck()             # before any result: the box's reading
    for _ in range(50):                                  # the legend is redrawn from that answer
        if f"marked {written:.0%} of these" in page.locator("#legend-list").text_content():
            break
        page.wait_for_timeout(100)
    assert f"marked {written:.0%} of these" in page.locator("#legend-list").text_content()

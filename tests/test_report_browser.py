"""The HTML report in a real headless Chromium: hover, filter, slider, no network, hostile text."""

import subprocess
import sys
from pathlib import Path

import pytest

from propscope.render.html import report
from propscope.spans import Analysis, Span

pytestmark = pytest.mark.browser
OUTPUT = Path(__file__).resolve().parent.parent / "test-output"

HOSTILE = ('<script>window.pwned = 1</script>They are traitors and liars <img src=x onerror="window.pwned=2">, '
           'the reckless elites. <a href="https://example.com/track">click</a>\n'
           'Enough is enough! <link rel="stylesheet" href="https://example.com/x.css">')


def analysis():
    t = HOSTILE.index("traitors")
    r = HOSTILE.index("reckless")
    e = HOSTILE.index("Enough")
    spans = (Span("h", t, t + 8, "Name_Calling,Labeling", 0.81),
             Span("h", t, t + 18, "Loaded_Language", 0.32),
             Span("h", r, r + 8, "Loaded_Language", 0.55),
             Span("h", e, e + 16, "Slogans", 0.12))
    return Analysis(HOSTILE, spans, article_id="h", meta={"title": "<script>window.pwned=3</script>Hostile"})


@pytest.fixture
def page(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report([analysis()]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.requests, page.errors, page.url_of_file = requests, errors, path.as_uri()
    yield page
    page.close()


def visible_marks(page):
    return page.eval_on_selector_all("mark.frag:not(.off)", "ms => ms.map(m => m.textContent)")


def test_fragments_are_highlighted_and_the_tooltip_explains_them(page):
    assert visible_marks(page) == ["traitors", " and liars", "reckless", "Enough is enough"]
    assert page.locator("mark.ov").count() == 1
    tip = page.locator("#tip")
    assert tip.is_hidden()
    page.locator("mark.ov").hover()
    assert tip.is_visible()
    text = tip.inner_text()
    assert "Name calling or labelling" in text and "Loaded language" in text and "confidence 0.81" in text
    assert "emotive label" in text and "Example:" in text
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-tooltip.png"))
    page.mouse.move(0, 0)
    assert tip.is_hidden()


def test_unticking_a_technique_hides_its_fragments(page):
    page.locator("input.technique[value='8']").uncheck()          # Loaded_Language
    assert visible_marks(page) == ["traitors", "Enough is enough"]
    assert page.locator("mark.ov").count() == 0
    assert page.locator("tr[data-i]:not([hidden])").count() == 2
    assert page.locator(".count[data-t='8']").inner_text() == "0"


def test_the_slider_hides_low_confidence_fragments(page):
    page.locator("#threshold").fill("0.5")
    assert visible_marks(page) == ["traitors", "reckless"]
    assert page.locator("#threshold-value").inner_text() == "0.50"
    page.locator("#threshold").fill("0.9")
    assert visible_marks(page) == []
    page.locator("#threshold").fill("0")
    assert len(visible_marks(page)) == 4


def test_no_request_leaves_the_page_and_hostile_text_stays_text(page):
    page.locator("mark.frag").first.hover()
    page.wait_for_timeout(200)
    assert page.requests == [page.url_of_file]
    assert page.evaluate("typeof window.pwned") == "undefined"
    assert page.locator("img, link[rel=stylesheet], a[href]").count() == 0
    assert '<img src=x onerror="window.pwned=2">' in page.locator(".text").inner_text()
    assert "<script>window.pwned=3</script>Hostile" in page.locator("article.doc h2").inner_text()
    assert page.errors == []


@pytest.mark.model
def test_cli_report_of_an_article_opens_with_highlights(browser, tmp_path):
    article = tmp_path / "article5.txt"
    article.write_text("The corrupt elites in the capital have once again stabbed every hard-working patriot in "
                       "the back. These traitors will destroy everything our grandparents built unless we stop "
                       "them now. Make our nation great, strong and proud again!\n", encoding="utf-8")
    out = tmp_path / "report.html"
    r = subprocess.run([sys.executable, "-m", "propscope", "analyze", "--format", "html", "-o", str(out),
                        str(article)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    page = browser.new_page()
    page.goto(out.as_uri())
    assert page.locator("mark.frag:not(.off)").count() >= 1
    assert page.locator("#chart rect").count() >= 1
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-article.png"), full_page=True)
    page.close()


def test_about_the_model_opens_the_embedded_card(browser, tmp_path):
    card = ("# Model card: test\n\nTrained on <img src=x onerror=\"window.pwned=4\"> PTC articles.\n\n"
            "| measure | value |\n|---|---:|\n| SI F1 | 0.416 |\n")
    path = tmp_path / "report.html"
    path.write_text(report([analysis()], card=card), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    errors, requests = [], []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    about = page.locator("#about-model")
    assert about.get_attribute("open") is None and page.locator("#about-model table").is_hidden()
    page.click("#about-link")
    assert about.get_attribute("open") is not None and page.locator("#about-model table").is_visible()
    assert "<img src=x" in about.inner_text() and page.evaluate("typeof window.pwned") == "undefined"
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-about-model.png"), full_page=True)
    assert requests == [path.as_uri()] and errors == []
    page.close()


def test_a_threshold_between_the_sliders_steps_hides_nothing_above_it(browser, tmp_path):
    path = tmp_path / "report.html"
    path.write_text(report([analysis()], threshold=0.125), encoding="utf-8")   # Slogans at 0.12 is below it
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(path.as_uri())
    assert visible_marks(page) == ["traitors", " and liars", "reckless"]
    page.close()


def test_on_a_phone_the_report_fits_the_screen_with_its_tables_open(browser, tmp_path):
    long = "They are " + "the most reckless, " * 40 + "traitors.\n"
    spans = (Span("l", 9, len(long) - 2, "Loaded_Language", 0.7),)
    path = tmp_path / "report.html"
    path.write_text(report([analysis(), Analysis(long, spans, article_id="l")],
                           card="# card\n\n| a very wide column heading | another very wide column heading | and one more |\n"
                                "|---|---|---|\n| 1 | 2 | 3 |\n"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 375, "height": 740})
    page.goto(path.as_uri())
    for summary in page.locator("summary").all():
        summary.click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).position") == "static"
    table = page.locator("table.spans").nth(1).inner_text()
    assert long[9:len(long) - 2] in " ".join(table.split("\t"))       # the whole fragment, not its first 400 characters
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "report-phone.png"), full_page=True)
    page.close()


def test_a_fragments_explanation_is_read_out_and_reachable_with_the_pointer(page):
    mark = page.locator("mark.frag").first
    mark.focus()
    assert page.evaluate("document.activeElement.getAttribute('aria-describedby')") == "tip"
    page.keyboard.press("Escape")
    assert page.locator("#tip").is_hidden()
    page.keyboard.press("Enter")                 # back again from the keyboard
    assert page.locator("#tip").is_visible()
    mark.hover()
    box = page.locator("#tip").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2, steps=5)
    assert page.locator("#tip").is_visible()


def test_a_focused_fragment_is_not_hidden_under_the_sticky_header(browser, tmp_path):
    long = Analysis("Calm words here.\n" * 60 + "The corrupt elites lied.\n" + "Calm words here.\n" * 120,
                    article_id="long")
    start = long.text.index("corrupt")
    long = Analysis(long.text, (Span("long", start, start + 14, "Loaded_Language", 0.8),), article_id="long")
    path = tmp_path / "long.html"
    path.write_text(report([long]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 600})
    page.goto(path.as_uri())
    page.locator("mark.frag").first.focus()
    page.evaluate("document.activeElement.scrollIntoView()")
    header = page.locator("header.top").bounding_box()
    assert page.locator("mark.frag").first.bounding_box()["y"] >= header["y"] + header["height"]
    page.close()


def test_each_fragment_is_followed_by_its_techniques_number_not_colour_alone(page):
    from propscope.techniques import NAMES
    number = {name: str(NAMES.index(name) + 1) for name in NAMES}
    shown = lambda: page.eval_on_selector_all("sup.tag:not([hidden])", "ts => ts.map(t => t.textContent)")
    # "traitors" (name calling) ends first, "traitors and liars" (loaded language) after it; reckless; Enough
    assert shown() == [number["Name_Calling,Labeling"], number["Loaded_Language"], number["Loaded_Language"],
                       number["Slogans"]]
    assert page.locator("label", has_text="Loaded language").inner_text().strip().startswith(number["Loaded_Language"] + " ")
    page.locator("input.technique[value='8']").uncheck()          # Loaded_Language
    assert shown() == [number["Name_Calling,Labeling"], number["Slogans"]]


def test_a_fragments_number_stays_beside_it_in_right_to_left_text(browser, tmp_path):
    mixed = "They praise the great \u0627\u0644\u0639\u0631\u0627\u0642 today.\n"
    arabic = "\u0627\u0644\u062e\u0648\u0646\u0629 \u0627\u0644\u0641\u0627\u0633\u062f\u0648\u0646 \u062f\u0645\u0631\u0648\u0627 \u0628\u0644\u062f\u0646\u0627.\n"
    text = mixed + arabic
    spans = (Span("1", text.index("the great"), mixed.index(" today"), "Flag-Waving", 0.5),
             Span("1", len(mixed), len(mixed) + 17, "Name_Calling,Labeling", 0.5))
    path = tmp_path / "rtl.html"
    path.write_text(report([Analysis(text, spans, article_id="1")]), encoding="utf-8")
    page = browser.new_page(viewport={"width": 900, "height": 600})
    page.goto(path.as_uri())
    placed = page.eval_on_selector_all("mark.frag", """ms => ms.map(m => {
        const rs = Array.from(m.getClientRects()), s = m.nextElementSibling.getBoundingClientRect();
        return [Math.min(...rs.map(r => r.left)), Math.max(...rs.map(r => r.right)), s.left, s.right]; })""")
    (left, right, sup_left, _), (a_left, a_right, _, a_sup_right) = placed
    assert right - 1 <= sup_left                   # after the English line's fragment, to its right
    assert a_sup_right <= a_left + 1               # after the Arabic fragment, to its left
    assert a_right > 600                           # the Arabic line starts at the right
    page.close()


def test_a_threshold_off_the_sliders_grid_is_said_as_given_and_the_slider_steps_on_the_grid(browser, tmp_path):
    text = "They are traitors and the most reckless liars.\n"
    spans = (Span("1", 9, 17, "Name_Calling,Labeling", 0.143), Span("1", 31, 39, "Loaded_Language", 0.1382))
    path = tmp_path / "report.html"
    path.write_text(report([Analysis(text, spans, article_id="1")], threshold=0.135), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(path.as_uri())
    assert "at confidence 0.135 or more" in page.locator("#kept").inner_text()
    assert page.locator("#threshold-value").inner_text() == "0.135"
    assert visible_marks(page) == ["traitors", "reckless"]
    page.locator("#threshold").focus()
    page.keyboard.press("ArrowRight")                       # 0.14, not 0.145
    assert page.locator("#threshold-value").inner_text() == "0.14"
    assert visible_marks(page) == ["traitors"]             # shown at 0.14, kept at 0.14
    page.keyboard.press("ArrowLeft")                        # back to the lowest step: the report's own
    assert page.locator("#threshold-value").inner_text() == "0.135"
    assert visible_marks(page) == ["traitors", "reckless"]
    page.close()


def test_tab_from_an_explanation_goes_on_from_its_fragment(page):
    first = page.locator("mark.frag").first
    first.focus()
    page.locator("#tip .definition").first.click()
    assert page.evaluate("document.activeElement.id") == "tip"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('frag')")
    assert page.evaluate("document.activeElement !== document.querySelector('mark.frag')")   # the next one
    second = page.evaluate("Array.from(document.querySelectorAll('mark.frag')).indexOf(document.activeElement)")
    page.locator("#tip .definition").first.click()
    page.keyboard.press("Shift+Tab")                         # back to the explanation's own fragment
    assert page.evaluate("Array.from(document.querySelectorAll('mark.frag')).indexOf(document.activeElement)") == second

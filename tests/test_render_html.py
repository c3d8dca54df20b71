"""The HTML report as a file: self-contained, escaped, every fragment present."""

import json
import re

from propscope.render.html import report
from propscope.spans import Analysis, Span

HOSTILE = ('<script>window.pwned = 1</script> They are "traitors" & liars <img src=x onerror="window.pwned=2"> '
           '</script><!-- --> {{ 7*7 }} \u2028 end')


def hostile_analysis():
    start = HOSTILE.index("traitors")
    spans = (Span("h", start, start + 8, "Name_Calling,Labeling", 0.8),
             Span("h", 0, len(HOSTILE), "Loaded_Language", 0.3))
    return Analysis(HOSTILE, spans, article_id="h", source="<b>src</b>",
                    meta={"title": "<script>alert(1)</script>Title", "author": "<i>A</i>"})


def test_article_text_title_and_metadata_are_escaped():
    page = report([hostile_analysis()])
    body = page.split("<body>", 1)[1]
    assert "<script>window.pwned" not in page and "<img src=x" not in page
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;Title" in body and "&lt;b&gt;src&lt;/b&gt;" in body
    assert "{{ 7*7 }}" in body            # not evaluated as a template
    # the only scripts are the page's own: the data block and one nonce-tagged script
    assert len(re.findall(r"<script\b", page)) == 2


def test_embedded_data_cannot_close_its_script_element():
    page = report([hostile_analysis()])
    block = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block and ">" not in block
    data = json.loads(block)
    assert data["spans"][0]["f"] == "traitors" and len(data["techniques"]) == 14


def test_self_contained_with_a_strict_content_security_policy():
    page = report([hostile_analysis()])
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp).group(1)
    assert f'<script nonce="{nonce}">' in page and f'<style nonce="{nonce}">' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)      # no external resources


def test_segments_cover_the_text_and_overlaps_are_marked():
    a = hostile_analysis()
    page = report([a])
    marks = re.findall(r'<mark class="frag (t\d+)( ov)?" tabindex="0" data-s="([\d ]+)">', page)
    assert len(marks) == 3                      # before, inside and after the nested span
    assert [m[1] for m in marks] == ["", " ov", ""] and marks[1][2] == "0 1"
    # each piece takes the colour of its shortest span: the nested name-calling inside the loaded language
    from propscope.techniques import NAMES
    assert [m[0] for m in marks] == [f"t{NAMES.index(t)}" for t in
                                     ("Loaded_Language", "Name_Calling,Labeling", "Loaded_Language")]


def test_a_batch_gets_one_report_with_counts():
    a = hostile_analysis()
    page = report([a, Analysis("Nothing to see here.", article_id="calm")])
    assert page.count('<article class="doc"') == 2 and "2 fragments in 2 articles" in page
    assert "No technique found" not in page and "calm" in page


def test_reliability_is_shown_per_technique():
    from propscope.reliability import Reliability
    page = report([hostile_analysis()], reliability={"Loaded_Language": Reliability("Loaded_Language", 0.18, 0.38)})
    assert "Model: sometimes found, rarely right" in page
    data = json.loads(re.search(r'id="data">(.*?)</script>', page, re.S).group(1))
    assert data["techniques"][8]["reliability"].startswith("sometimes found")


def test_the_model_card_is_embedded_escaped_and_linked_from_the_legend():
    card = "# Model card\n\nTrained on <script>window.pwned = 1</script> PTC.\n\n| a | b |\n|---|--:|\n| 1 | 2 |\n"
    page = report([hostile_analysis()], card=card)
    assert '<a href="#about-model" id="about-link">About the model</a>' in page
    about = re.search(r'<details id="about-model">(.*?)</details>', page, re.S).group(1)
    assert "<summary>About the model</summary>" in about and "<h2>Model card</h2>" in about
    assert "&lt;script&gt;window.pwned = 1&lt;/script&gt;" in about and "style=" not in about
    assert len(re.findall(r"<script\b", page)) == 2
    assert 'id="about-model"' not in report([hostile_analysis()])       # no card, no section


def test_a_techniques_number_follows_a_fragment_once_however_many_of_its_spans_end_there():
    text = "They are traitors and liars, all of them."
    spans = (Span("n", 9, 17, "Loaded_Language", 0.3), Span("n", 9, 17, "Loaded_Language", 0.8),
             Span("n", 0, 17, "Slogans", 0.5))
    page = report([Analysis(text, spans, article_id="n")])
    from propscope.techniques import NAMES
    tags = re.findall(r'<sup class="tag"[^>]*>([^<]*)</sup>', page)
    assert tags == [",".join(dict.fromkeys(str(NAMES.index(t) + 1) for t in ("Loaded_Language", "Slogans")))]


def test_a_filtered_report_says_what_it_left_out_and_its_slider_starts_there():
    whole = report([hostile_analysis()])
    assert 'id="kept"' not in whole
    page = report([hostile_analysis().filtered(0.5, ["Name_Calling,Labeling"])], threshold=0.5)
    assert "holds only the fragments at confidence 0.50 or more, and none of these techniques: " in page
    assert "Loaded language" in page.split('id="kept"')[1].split("</p>")[0]
    assert 'min="0.5"' in page
    assert "1 fragment in 1 article" in page

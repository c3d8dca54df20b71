import json
import time

import pytest

from propscope.corpus.sources import expand, published
from propscope.inputs import Options
from propscope.errors import InputError, PropscopeError

from conftest import ARTICLE_HTML

BODY = ("The corrupt elites in the capital have once again stabbed every hard-working patriot in the back. "
        "These traitors will destroy everything our grandparents built unless we stop them now.")
LOCAL = Options(allow_private=True)


def load_all(sources, options=Options()):
    out = []
    for item in expand([str(s) for s in sources], options):
        try:
            out.append(item.load())
        except PropscopeError as exc:
            out.append(exc)
    return out


def test_text_files_and_folders(tmp_path):
    (tmp_path / "one.txt").write_text(BODY)
    (tmp_path / "two.html").write_text(ARTICLE_HTML)
    one, two = load_all([tmp_path])
    assert (one.id, one.text, one.outlet) == ("one", BODY, None)
    assert (two.title, two.author, two.outlet, two.published) == (
        "Our Nation Betrayed", "Jane Roe", "The Daily Flag", "2021-03-04")
    assert two.source == str(tmp_path / "two.html")


def test_folders_read_suffixes_in_any_case(tmp_path):
    (tmp_path / "NEWS.JSONL").write_text(json.dumps({"id": "n1", "text": BODY}) + "\n")
    (tmp_path / "Other.TXT").write_text(BODY + " Again.")
    (tmp_path / "notes.md").write_text(BODY)
    assert sorted(a.id for a in load_all([tmp_path])) == ["Other", "n1"]


def test_a_byte_order_mark_before_the_first_record_is_skipped(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "b1", "text": BODY}).encode() + b"\n")
    [a] = load_all([path])
    assert a.id == "b1"


def test_a_record_url_is_never_read_as_a_local_file(tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text(BODY)
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x1", "url": "notes.txt"}) + "\n"
                    + json.dumps({"id": "x2", "url": str(tmp_path / "notes.txt")}) + "\n")
    items = list(expand([str(path)]))
    assert [i.remote for i in items] == [False, False]
    relative, absolute = load_all([path])
    assert "url 'notes.txt' is not an http:// or https:// address" in str(relative)
    assert isinstance(absolute, PropscopeError) and "is not an http:// or https:// address" in str(absolute)

def test_jsonl_keeps_every_field(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x1", "text": BODY, "url": "https://flag.example/x1", "title": "T",
                                "author": "Jane", "published": "2024-03-05T08:00:00Z", "outlet": "Flag"}) + "\n\n"
                    + json.dumps({"text": BODY + " Again.", "source": "Post", "date": "Tue, 05 Mar 2024 10:00:00 +0100"})
                    + "\nnot json\n")
    a, b, bad = load_all([path])
    assert (a.id, a.url, a.title, a.author, a.published, a.outlet, a.source) == (
        "x1", "https://flag.example/x1", "T", "Jane", "2024-03-05T08:00:00+00:00", "Flag", f"{path}:1")
    assert (b.outlet, b.published, b.id) == ("Post", "2024-03-05T10:00:00+01:00", "a.jsonl:3")
    assert isinstance(bad, PropscopeError) and "a.jsonl:4: not valid JSON" in str(bad)


def test_csv_rows_with_a_header(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text('\ufeffID,Outlet,Published,Text\nc1,Flag,2024-01-02,"' + BODY.replace("now", 'now, "really"')
                    .replace('"', '""') + '"\nc2,Post,,\n', encoding="utf-8")
    a, empty = load_all([path])
    assert (a.id, a.outlet, a.published) == ("c1", "Flag", "2024-01-02") and '"really"' in a.text
    assert "give the article as text, html or url" in str(empty)


def test_a_csv_record_is_named_by_the_line_it_starts_on(tmp_path):
    path = tmp_path / "b.csv"
    path.write_text(f'text,outlet\n"{BODY}\nand more\non three lines",A\n\n"{BODY}",B\n', encoding="utf-8")
    first, second = load_all([path])
    assert (first.source, first.id, second.source) == (f"{path}:2", "b.csv:2", f"{path}:6")


def test_half_an_emoji_in_a_records_metadata_is_stored_as_a_replacement_character(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "s\\ud83d", "outlet": "Bad\\ud800Outlet", "title": "Cut \\ud83d", "text": "' + BODY + '"}\n')
    [a] = load_all([path])
    assert (a.id, a.outlet, a.title) == ("s\ufffd", "Bad\ufffdOutlet", "Cut \ufffd")


def test_csv_without_a_content_column_is_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_text("id,body\n1,hello\n")
    [bad] = load_all([path])
    assert "one of them text, html or url" in str(bad)


def test_foreign_records_are_refused_unless_any_language(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": "Die korrupten Eliten in der Hauptstadt haben wieder einmal jeden "
                                        "fleißigen Patrioten verraten und werden alles zerstören."}) + "\n")
    [refused] = load_all([path])
    assert "looks like German" in str(refused)
    [ok] = load_all([path], Options(any_language=True))
    assert ok.language == "de"


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>The Daily Flag</title>
<item><title>Betrayed</title><link>{base}/betrayed.html</link><guid>flag-1</guid>
<author>jane@flag.example (Jane Roe)</author><pubDate>Thu, 04 Mar 2021 23:30:00 -0500</pubDate></item>
<item><title>Gone</title><link>{base}/gone.html</link><pubDate>Fri, 05 Mar 2021 09:30:00 GMT</pubDate></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Post</title>
<entry><title>One</title><id>urn:post:1</id><link href="{base}/betrayed.html"/><updated>2022-07-01T01:00:00+02:00</updated></entry>
</feed>"""


def test_rss_feed_url_fetches_each_entry(site):
    site.pages["/feed"] = (200, {"Content-Type": "application/rss+xml"}, RSS.format(base=site.url).encode())
    site.pages["/betrayed.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    got = load_all([f"{site.url}/feed"], LOCAL)
    first, missing = got
    assert (first.id, first.outlet, first.title, first.published, first.url) == (
        "flag-1", "The Daily Flag", "Betrayed", "2021-03-04T23:30:00-05:00", f"{site.url}/betrayed.html")
    assert "traitors" in first.text and "Cookie settings" not in first.text
    assert isinstance(missing, PropscopeError) and "404" in str(missing)


def test_atom_feed_file(tmp_path, site):
    site.pages["/betrayed.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    path = tmp_path / "post.atom"
    path.write_text(ATOM.format(base=site.url))
    [entry] = load_all([path], LOCAL)
    # the site's own name, as when its page is ingested by itself; the feed's title only without one
    assert (entry.id, entry.outlet, entry.published) == ("urn:post:1", "The Daily Flag", "2022-07-01T01:00:00+02:00")


def test_feed_urls_respect_the_core_address_rules(site):
    site.pages["/feed"] = (200, {"Content-Type": "application/rss+xml"}, RSS.format(base=site.url).encode())
    [refused] = load_all([f"{site.url}/feed"])
    assert "private, loopback" in str(refused)


def test_known_urls_are_not_fetched_but_still_counted(site):
    site.pages["/a.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    [item] = expand([f"{site.url}/a.html"], LOCAL, known=lambda url: True)
    assert (item.name, item.remote) == (f"{site.url}/a.html", True)      # ingest counts it as already stored
    assert site.requests == []


@pytest.mark.parametrize("given, iso", [
    ("2024-03-05", "2024-03-05"), ("2024-03-05T08:01:02.5Z", "2024-03-05T08:01:02+00:00"),
    ("Tue, 05 Mar 2024 10:00:00 +0100", "2024-03-05T10:00:00+01:00"),
    (time.struct_time((2021, 3, 4, 9, 30, 0, 3, 63, 0)), "2021-03-04T09:30:00+00:00"),   # feedparser's: UTC
    ("2025-03", "2025-03"), ("2025", "2025"), ("2025-13", None), ("1736071200", None), ("20250105", "2025-01-05"), ("2024-03-05T0800", "2024-03-05T08:00:00"),
    ("2024-03-05 08:00:00", "2024-03-05T08:00:00"), ("2024-03-05T08:00:00.123+01:00", "2024-03-05T08:00:00+01:00"),
    ("last Tuesday", None), ("", None), (None, None), ("Dec 31, 2024 11:30 PM", None),   # not RFC 822: its PM was lost
    ("2025-02-30", None), ("Tue,  05 Mar 2024 10:00 GMT", "2024-03-05T10:00:00+00:00"),
    ("Monday, 06 Dec 2026 10:00:00 GMT", "2026-12-06T10:00:00+00:00"),      # as feeds write them
    ("Mon, 06 Dec 2026 10:00:00 +0000 (UTC)", "2026-12-06T10:00:00+00:00"),
    ("Mon, 06 December 2026 10:00:00 GMT", "2026-12-06T10:00:00+00:00"),
    ("Mon,06 Dec 2026 10:00:00 GMT", "2026-12-06T10:00:00+00:00"), ("Mon 06 Dec 2026 10:00:00 GMT", "2026-12-06T10:00:00+00:00"),
    ("Monday, 6 December 2026 11:30 PM", None), ("6 December 2026 9:15 pm", None)])    # AM/PM is no zone
def test_published_dates_become_iso(given, iso):
    assert published(given) == iso


def test_corpus_files_may_exceed_the_per_article_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "300")
    path = tmp_path / "a.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": BODY}) + "\n" for i in range(5))
                    + json.dumps({"id": "long", "text": BODY * 2}) + "\n")
    got = load_all([path])
    assert [a.id for a in got[:5]] == ["0", "1", "2", "3", "4"]
    assert "over the limit of 300 characters" in str(got[5])


def test_corpus_files_that_are_not_utf8_are_refused(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,text\n1,caf\xe9 au lait\n")
    [bad] = load_all([path])
    assert "not valid UTF-8" in str(bad)


def test_a_record_with_an_outlet_field_takes_its_outlet_from_it_alone(tmp_path):
    """An export's source is the file and line an article came from: read back, it is no outlet."""
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"id": "u1", "text": BODY, "outlet": None, "source": "in/a.jsonl:19"}) + "\n"
                    + json.dumps({"id": "u2", "text": BODY + " Two.", "source": "Post"}) + "\n")
    a, b = load_all([path])
    assert (a.outlet, b.outlet) == (None, "Post")


@pytest.mark.parametrize("given", ["1736071200", "January 5, 2025", "05/01/2025"])
def test_a_publication_date_that_cannot_be_read_is_refused_not_guessed(tmp_path, given):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "x", "text": BODY, "published": given}) + "\n")
    [got] = load_all([path])
    assert isinstance(got, PropscopeError) and f"published {given!r} is not a date propscope reads" in str(got)


def test_a_nul_character_is_refused_in_text_and_dropped_from_metadata(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "n1", "text": BODY + "\x00"}) + "\n"
                    + json.dumps({"id": "n2", "text": BODY, "title": "A\x00B"}) + "\n")
    bad, good = load_all([path])
    assert isinstance(bad, PropscopeError) and "holds a NUL character, at character" in str(bad)
    assert good.title == "AB"


def test_a_feeds_relative_links_are_fetched_and_paths_never_read(tmp_path, site, monkeypatch):
    secret = tmp_path / "secret.txt"
    secret.write_text(BODY)
    monkeypatch.chdir(tmp_path)
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>Flag</title>'
            '<item><title>A</title><link>/betrayed.html</link></item>'
            '<item><title>B</title><link>secret.txt</link></item>'
            f'<item><title>C</title><link>{secret}</link></item>'
            f'<item><title>D</title><link>file://{secret}</link></item></channel></rss>')
    site.pages["/feed"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
    site.pages["/betrayed.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    site.pages["/secret.txt"] = (404, {}, b"")
    first, relative, absolute, scheme = load_all([f"{site.url}/feed"], LOCAL)
    assert first.url == f"{site.url}/betrayed.html" and "traitors" in first.text
    for link in (relative, absolute):                       # asked of the site, as a browser would, not the disk
        assert isinstance(link, PropscopeError) and "404" in str(link)
    assert isinstance(scheme, PropscopeError) and "is not an http:// or https:// address" in str(scheme)
    # a feed whose body names a local file is not that file
    site.pages["/named"] = (200, {"Content-Type": "application/rss+xml"}, str(tmp_path / "local.xml").encode())
    (tmp_path / "local.xml").write_text(feed)
    [named] = load_all([f"{site.url}/named"], LOCAL)
    assert isinstance(named, PropscopeError) and "not an RSS or Atom feed" in str(named)


def test_an_article_address_is_fetched_once(site):
    site.pages["/a.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    [article] = load_all([f"{site.url}/a.html"], LOCAL)
    assert "traitors" in article.text and [p for p, _ in site.requests] == ["/a.html"]


def test_an_undated_page_gets_no_date_from_its_copyright_line(site):
    undated = ARTICLE_HTML.replace('<meta property="article:published_time" content="2021-03-04">\n', "")
    site.pages["/a.html"] = (200, {"Content-Type": "text/html"}, undated.replace("Copyright 2021", "\u00a9 2025").encode())
    [article] = load_all([f"{site.url}/a.html"], LOCAL)
    assert article.published is None


def test_a_redirected_feeds_links_are_read_against_where_it_ended(site):
    feed = ('<?xml version="1.0"?><rss version="2.0"><channel><title>My Feed Title</title>'
            '<item><title>A</title><link>a1.html</link></item></channel></rss>')
    site.pages["/old"] = (301, {"Location": "/feeds/rss.xml"}, b"")
    site.pages["/feeds/rss.xml"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
    plain = ARTICLE_HTML.replace('<meta property="og:site_name" content="The Daily Flag">\n', "")
    site.pages["/feeds/a1.html"] = (200, {"Content-Type": "text/html"}, plain.encode())
    [entry] = load_all([f"{site.url}/old"], LOCAL)
    assert entry.url == f"{site.url}/feeds/a1.html"
    assert entry.outlet == "My Feed Title"          # the page names no site: not the host trafilatura stands in


def test_a_feed_entrys_date_that_cannot_be_read_fails_it_rather_than_being_guessed(site):
    feed = RSS.format(base=site.url).replace("Thu, 04 Mar 2021 23:30:00 -0500", "2025-02-30")
    site.pages["/feed"] = (200, {"Content-Type": "application/rss+xml"}, feed.encode())
    site.pages["/betrayed.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    bad, _ = load_all([f"{site.url}/feed"], LOCAL)
    assert isinstance(bad, PropscopeError) and "entry 1's date '2025-02-30' is not a date propscope reads" in str(bad)
    assert ("/betrayed.html", ) not in [(r[0],) for r in site.requests]          # not fetched for nothing


def test_an_xml_feed_after_a_long_preamble_is_read_as_a_feed(site):
    preamble = '<?xml version="1.0"?>\n<!-- ' + "licence text " * 200 + "-->\n"
    body = preamble + RSS.format(base=site.url).split("?>", 1)[1]
    site.pages["/feed.xml"] = (200, {"Content-Type": "text/xml"}, body.encode())
    site.pages["/betrayed.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    first, _ = load_all([f"{site.url}/feed.xml"], LOCAL)
    assert first.outlet == "The Daily Flag" and "traitors" in first.text


def test_a_pages_host_standing_in_for_its_site_name_is_no_outlet(site):
    """trafilatura names a page's site by its host, less any www.: that is no outlet's name, so the
    feed's title (or --outlet) names it."""
    from propscope.corpus.sources import site_named
    assert site_named({"site": "dailyflag.test:8765", "url": "http://www.dailyflag.test:8765/a"}) is None
    assert site_named({"site": "news.example", "url": "https://news.example/a"}) is None
    assert site_named({"site": "127.0.0.1", "url": "http://127.0.0.1:8765/feed/p5.html"}) is None
    assert site_named({"site": "The Daily Flag", "url": "https://www.dailyflag.test/a"}) == "The Daily Flag"
    assert site_named({"site": "DailyFlag.test", "url": "https://www.dailyflag.test/a"}) == "DailyFlag.test"  # its own
    assert site_named({"site": "DailyFlag.test:8765", "url": "http://www.DailyFlag.test:8765/a"}) is None
    untitled = ARTICLE_HTML.replace('<meta property="og:site_name"', '<meta name="x"')
    site.pages["/plain.html"] = (200, {"Content-Type": "text/html"}, untitled.encode())
    [page] = load_all([f"{site.url}/plain.html"], LOCAL)
    assert page.outlet is None                 # so ingest's --outlet can name it


def test_a_records_html_is_held_to_the_page_limit_and_its_article_to_the_article_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "100")
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": "h", "html": ARTICLE_HTML}) + "\n")
    [refused] = load_all([path])
    assert isinstance(refused, PropscopeError) and "over the limit of 100 characters per article" in str(refused)


@pytest.mark.parametrize("address", ["ftp://x/y", "file:///etc/passwd"])
def test_an_address_that_is_not_http_is_said_to_be_one(address):
    [item] = list(expand([address]))
    with pytest.raises(InputError, match="only http:// and https:// addresses are fetched"):
        item.load()

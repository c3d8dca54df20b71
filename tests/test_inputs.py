"""Sources of analyze: files, HTML, folders, JSON Lines, stdin and URLs, as Documents."""

import json

import pytest

from conftest import ARTICLE_HTML
from propscope.errors import FetchError, InputError
from propscope.inputs import Options, expand

TEXT = "The corrupt elites have once again stabbed every hard-working patriot in the back, as always.\n"
FRENCH = "Le gouvernement a annoncé hier une nouvelle réforme des retraites, vivement contestée par les syndicats."


def load_all(sources, options=Options(), stdin=None):
    out = []
    for item in expand([str(s) for s in sources], options, stdin):
        try:
            out.append(item.load())
        except InputError as exc:
            out.append(exc)
    return out


def test_text_file_is_read_exactly(tmp_path):
    (tmp_path / "article7.txt").write_text("\ufeff" + TEXT, encoding="utf-8")
    [doc] = load_all([tmp_path / "article7.txt"])
    assert doc.text == "\ufeff" + TEXT and doc.id == "7" and doc.meta == {"language": "en"}


def test_html_file_gives_extracted_text_and_metadata(tmp_path):
    (tmp_path / "page.html").write_text(ARTICLE_HTML, encoding="utf-8")
    [doc] = load_all([tmp_path / "page.html"])
    assert "stabbed every hard-working patriot" in doc.text and "<p>" not in doc.text
    assert doc.meta["author"] == "Jane Roe" and doc.meta["site"] == "The Daily Flag" and doc.id == "page"


def test_html_in_a_latin1_file_is_decoded(tmp_path):
    (tmp_path / "old.htm").write_bytes(ARTICLE_HTML.replace("minister's", "ministre’s").encode("cp1252"))
    [doc] = load_all([tmp_path / "old.htm"])
    assert "ministre’s" in doc.text


def test_folder_takes_text_html_and_jsonl_and_a_missing_path_fails_alone(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT)
    (tmp_path / "b.html").write_text(ARTICLE_HTML)
    (tmp_path / "c.jsonl").write_text(json.dumps({"text": TEXT, "id": "x"}) + "\n")
    (tmp_path / "notes.md").write_text("ignored")
    docs = load_all([tmp_path, tmp_path / "gone.txt"])
    assert [d.id for d in docs[:3]] == ["a", "b", "x"]
    assert isinstance(docs[3], InputError) and "gone.txt: no such file" in str(docs[3])


def test_an_address_of_another_scheme_is_named_not_taken_for_a_path():
    docs = load_all(["ftp://example.com/article.txt", "file:///etc/passwd"])
    assert str(docs[0]) == ("ftp://example.com/article.txt: only http:// and https:// addresses are fetched, "
                            "not ftp://; download the page and analyse the file")
    assert "not file://" in str(docs[1])


def test_jsonl_lines_carry_their_fields_and_bad_lines_fail_alone(tmp_path):
    lines = [json.dumps({"id": "n1", "text": TEXT, "title": "T", "source": "Daily Flag", "published": "2021-01-02"}),
             "{not json",
             json.dumps({"html": ARTICLE_HTML}),
             json.dumps({"text": TEXT, "html": ARTICLE_HTML}),
             "",
             json.dumps(["a list"])]
    (tmp_path / "batch.jsonl").write_text("\n".join(lines) + "\n")
    docs = load_all([tmp_path / "batch.jsonl"])
    assert len(docs) == 5
    first, bad_json, html, two_fields, not_object = docs
    assert first.id == "n1" and first.source == "Daily Flag" and first.meta["title"] == "T"
    assert first.meta["published"] == "2021-01-02" and first.text == TEXT
    assert "batch.jsonl:2: not valid JSON" in str(bad_json)
    assert html.id == "batch-3" and html.meta["author"] == "Jane Roe" and html.source.endswith("batch.jsonl:3")
    assert "exactly one of text, html or url" in str(two_fields)
    assert "must be a JSON object" in str(not_object)


def test_stdin_html_is_recognised():
    [doc] = load_all(["-"], stdin=lambda: ARTICLE_HTML.encode())
    assert doc.source == "<stdin>" and doc.meta["site"] == "The Daily Flag"


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_stdin_html_in_another_encoding_is_read_as_a_html_file_is(encoding):
    page = ARTICLE_HTML.replace("minister's", "ministre’s")
    [doc] = load_all(["-"], stdin=lambda: page.encode(encoding))
    assert "ministre’s" in doc.text and doc.meta["site"] == "The Daily Flag"
    [text] = load_all(["-"], stdin=lambda: "Caf\u00e9 society is rotten.".encode("cp1252"))
    assert "not valid UTF-8" in str(text)                    # text is still UTF-8 or refused


def test_non_english_text_is_refused_unless_asked(tmp_path):
    (tmp_path / "fr.txt").write_text(FRENCH)
    [refused] = load_all([tmp_path / "fr.txt"])
    assert isinstance(refused, InputError) and "looks like French" in str(refused) and "--any-language" in str(refused)
    [doc] = load_all([tmp_path / "fr.txt"], Options(any_language=True))
    assert doc.meta["language"] == "fr"


def test_url_is_fetched_and_extracted(site):
    site.pages["/news/betrayed.html"] = (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE_HTML.encode())
    site.pages["/plain"] = (200, {"Content-Type": "text/plain; charset=utf-8"}, TEXT.encode())
    site.pages["/pdf"] = (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4")
    page, plain, pdf = load_all([site.url + "/news/betrayed.html", site.url + "/plain", site.url + "/pdf"],
                                Options(allow_private=True))
    assert page.id == "betrayed" and page.meta["url"] == site.url + "/news/betrayed.html"
    assert "stabbed every hard-working patriot" in page.text
    assert plain.text == TEXT
    assert isinstance(pdf, InputError) and "application/pdf" in str(pdf)


def test_url_to_loopback_is_refused_by_default(site):
    [refused] = load_all([site.url + "/x"])
    assert isinstance(refused, FetchError) and "--allow-private" in str(refused)


def test_oversize_text_names_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "50")
    (tmp_path / "long.jsonl").write_text(json.dumps({"text": TEXT}) + "\n")
    [refused] = load_all([tmp_path / "long.jsonl"])
    assert "over the limit of 50 characters" in str(refused)


def test_a_page_whose_declared_charset_is_wrong_or_unknown_is_read_as_undeclared(site):
    site.pages["/unknown"] = (200, {"Content-Type": "text/html; charset=no-such-charset"}, ARTICLE_HTML.encode())
    site.pages["/wrong"] = (200, {"Content-Type": "text/html; charset=utf-8"},
                            ARTICLE_HTML.replace("patriot", "patri\u00f6t").encode("latin-1"))
    unknown, wrong = load_all([site.url + "/unknown", site.url + "/wrong"], Options(allow_private=True))
    assert "stabbed every hard-working patriot" in unknown.text
    assert "stabbed every hard-working patri\u00f6t" in wrong.text


def test_plain_text_pages_without_a_charset_or_a_type_are_read_as_browsers_would(site):
    site.pages["/cp1252"] = (200, {"Content-Type": "text/plain"},
                             TEXT.replace("patriot", "\u201cpatriot\u201d").encode("cp1252"))
    site.pages["/untyped-text"] = (200, {}, TEXT.encode())
    site.pages["/untyped-page"] = (200, {}, ARTICLE_HTML.encode())
    site.pages["/commented"] = (200, {}, ("<!-- served by an old CMS " + "x" * 300 + " -->\n"
                                          + ARTICLE_HTML.split(">", 1)[1]).encode())     # as browsers sniff it
    cp1252, text, page, commented = load_all(
        [site.url + "/cp1252", site.url + "/untyped-text", site.url + "/untyped-page", site.url + "/commented"],
        Options(allow_private=True))
    assert cp1252.text == TEXT.replace("patriot", "\u201cpatriot\u201d")
    assert text.text == TEXT
    assert "stabbed every hard-working patriot" in page.text and "<p>" not in page.text
    assert "stabbed every hard-working patriot" in commented.text and "<" not in commented.text

def test_a_byte_order_mark_wins_over_the_declared_charset_as_in_browsers(site):
    page = b"\xef\xbb\xbf" + ARTICLE_HTML.replace("patriot", "patri\u00f6t").encode()
    site.pages["/bom"] = (200, {"Content-Type": "text/html; charset=iso-8859-1"}, page)
    [doc] = load_all([site.url + "/bom"], Options(allow_private=True))
    assert "stabbed every hard-working patri\u00f6t" in doc.text and "\u00c3" not in doc.text


def test_html_over_the_limit_is_refused_however_it_comes(tmp_path, site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "200")
    site.pages["/declared"] = (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE_HTML.encode())
    (tmp_path / "a.jsonl").write_text(json.dumps({"html": ARTICLE_HTML}) + "\n")
    refused = load_all([site.url + "/declared", tmp_path / "a.jsonl"], Options(allow_private=True))
    assert [type(r).__name__ for r in refused] == ["TooLarge", "TooLarge"]
    assert all("over the limit of 200 characters" in str(r) for r in refused)


def test_jsonl_records_may_hold_unicode_line_separators_and_follow_a_bom(tmp_path):
    records = [{"id": "sep", "text": "Wake up, people!\u2028" + TEXT}, {"id": "nel", "text": TEXT + "\x85Again."}]
    (tmp_path / "a.jsonl").write_text("\ufeff" + "\n".join(json.dumps(r, ensure_ascii=False) for r in records) + "\r\n",
                                      encoding="utf-8")
    docs = load_all([tmp_path / "a.jsonl"])
    assert [(d.id, d.text) for d in docs] == [(r["id"], r["text"]) for r in records]


def test_a_page_is_held_to_the_page_limit_and_its_article_to_the_article_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "2000")
    padded = ARTICLE_HTML.replace("</head>", "<script>var x = '" + "y" * 5000 + "';</script></head>")
    (tmp_path / "page.html").write_text(padded)
    [doc] = load_all([tmp_path / "page.html"])       # 5 kB of script, an article of a few hundred characters
    assert "stabbed every hard-working patriot" in doc.text
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "3000")
    [refused] = load_all([tmp_path / "page.html"])
    assert "characters of HTML is over the limit of 3,000 for a page" in str(refused)
    assert "PROPSCOPE_FETCH_MAX_BYTES" in str(refused)


def test_html_on_stdin_is_held_to_the_page_limit_not_the_article_limit(monkeypatch):
    from propscope.inputs import expand
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "2000")
    padded = ARTICLE_HTML.replace("</head>", "<script>var x = '" + "y" * 5000 + "';</script></head>")
    [item] = expand(["-"], Options(), stdin=lambda: padded.encode())
    assert "stabbed every hard-working patriot" in item.load().text
    [item] = expand(["-"], Options(), stdin=lambda: ("The traitors lied. " * 200).encode())
    with pytest.raises(InputError, match="over the limit of 2,000 characters per article"):
        item.load()


def test_each_limit_is_named_as_it_applies(tmp_path, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "2000")
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "4000")
    (tmp_path / "long.txt").write_text("The traitors lied. " * 300)
    (tmp_path / "page.txt").write_text(ARTICLE_HTML.replace("</head>", "<script>" + "y" * 5000 + "</script></head>"))
    text, page = load_all([tmp_path / "long.txt", tmp_path / "page.txt"])
    assert "over the limit of 2,000 characters per article" in str(text) and "MAX_CHARS" in str(text)
    assert "characters of HTML is over the limit of 4,000 for a page" in str(page)


def test_a_json_lines_id_is_text_or_a_number_and_null_is_none_given(tmp_path):
    lines = [{"text": TEXT, "id": None}, {"text": TEXT, "id": 7}, {"text": TEXT, "id": ["a", "b"]},
             {"text": TEXT, "id": True}]
    (tmp_path / "ids.jsonl").write_text("\n".join(json.dumps(line) for line in lines) + "\n"
                                        + '{"text": "x", "id": ' + "9" * 5000 + "}\n"
                                        + '{"text": "x", "n": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    unnamed, numbered, listed, switched, huge, deep = load_all([tmp_path / "ids.jsonl"])
    assert isinstance(huge, InputError) and "ids.jsonl:5: not JSON that can be read" in str(huge)
    assert isinstance(deep, InputError) and "ids.jsonl:6: not JSON that can be read" in str(deep)
    assert unnamed.id == "ids-1" and numbered.id == "7"          # "None" was its id
    for refused in (listed, switched):
        assert isinstance(refused, InputError) and "is not text or a whole number" in str(refused)

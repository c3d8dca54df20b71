"""The HTTP API over real HTTP on loopback: every endpoint, every refusal, the guards, and
property-based fuzzing from the OpenAPI document."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
import httpx  # noqa: E402

from propscope import analyze  # noqa: E402
from propscope.render.json import to_dict  # noqa: E402
from propscope.serve.app import create_app  # noqa: E402
from propscope.serve.config import ServeConfig  # noqa: E402
from propscope.serve.thread import ServerThread  # noqa: E402
from propscope.techniques import CATALOGUE  # noqa: E402

from conftest import ARTICLE_HTML, make_corpus  # noqa: E402

ARTICLE = ("The corrupt elites in the capital have once again stabbed every hard-working patriot in the back. "
           "These traitors will destroy everything our grandparents built unless we stop them now. "
           "Make our nation great, strong and proud again!\n")
FRENCH = ("Les élites corrompues de la capitale ont encore une fois trahi chaque patriote qui travaille dur. "
          "Ces traîtres détruiront tout ce que nos grands-parents ont construit si nous ne les arrêtons pas.")
STATIC = Path(__file__).resolve().parent.parent / "src" / "propscope" / "serve" / "static"


@pytest.fixture(scope="module")
def server():
    with ServerThread(ServeConfig()) as s:
        yield s


@pytest.fixture(scope="module")
def api(server):
    with httpx.Client(base_url=server.url, timeout=60) as client:
        yield client


def serving(**changes) -> ServerThread:
    return ServerThread(dataclasses.replace(ServeConfig(), **changes))


def refused(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


# -- endpoints -------------------------------------------------------------------------------
def test_health_names_the_versions(api):
    r = api.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["version"] and body["model"]


def test_techniques_is_the_catalogue(api):
    body = api.get("/v1/techniques").json()
    assert [t["name"] for t in body["techniques"]] == [t.name for t in CATALOGUE]
    assert body["techniques"][0]["definition"] == CATALOGUE[0].definition
    assert "Appeal_to_Values" in body["semeval2023_not_detected"]


def test_techniques_say_how_far_to_trust_the_model_for_each(api):
    from propscope.engine import detector
    figures = detector().validation()["span_technique_per_technique"]
    for t in api.get("/v1/techniques").json()["techniques"]:
        r, v = t["reliability"], figures[t["name"]]
        assert (r["precision"], r["recall"]) == (v["precision"], v["recall"])
        assert r["f1"] == pytest.approx(v["f1"])
        assert r["found"] in ("often found", "sometimes found", "often missed")
        assert r["right"] in ("usually right", "sometimes right", "rarely right")
        assert r["summary"].startswith(f"{r['found']}, {r['right']}")


def test_how_far_to_trust_the_model_follows_the_reading_of_names_asked_for(api):
    from propscope.engine import detector
    for blind in (True, False):
        figures = detector().validation(blind)["span_technique_per_technique"]["Flag-Waving"]
        said = {t["name"]: t["reliability"] for t in
                api.get("/v1/techniques", params={"blind_names": str(blind).lower()}).json()["techniques"]}
        assert said["Flag-Waving"]["recall"] == figures["recall"]
        report = api.post("/v1/report", json={"text": ARTICLE, "blind_names": blind}).text
        assert f"marked {figures['recall']:.0%} of these fragments" in report
    assert detector().validation(False) != detector().validation(True)       # the two readings differ


def test_model_is_its_version_validation_figures_and_card(api):
    from propscope.engine import detector
    body = api.get("/v1/model").json()
    assert body["version"] == api.get("/health").json()["model"]
    assert body["validation"] == detector().validation()
    assert body["card"] == (detector().folder / "MODEL_CARD.md").read_text(encoding="utf-8")


def test_the_model_card_is_a_page_without_script(api):
    r = api.get("/model")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<h2>Model card: propscope" in r.text and "<script" not in r.text
    assert "script-src 'self'" in r.headers["content-security-policy"]


# -- the corpus ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def corpus_api(tmp_path_factory):
    db = make_corpus(tmp_path_factory.mktemp("corpus") / "corpus.db")
    with serving(db=db) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        client.db = db
        yield client


def test_corpus_says_whether_there_is_one_and_what_it_holds(api, corpus_api):
    model = api.get("/health").json()["model"]
    assert api.get("/v1/corpus").json() == {"present": False, "articles": 0, "models": {}, "model": model}
    assert corpus_api.get("/v1/corpus").json() == {"present": True, "articles": 5, "models": {model: 5},
                                                   "model": model}


def test_a_store_locked_by_another_program_is_504_and_analyses_go_on(tmp_path):
    import sqlite3
    import time
    db = make_corpus(tmp_path / "corpus.db")
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")  # as a database browser can hold it, readers shut out
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE articles SET title = title WHERE pk = 1")
    try:
        with serving(db=db, timeout=3) as server, httpx.Client(base_url=server.url, timeout=60) as client:
            started = time.monotonic()
            waits = [threading.Thread(target=client.get, args=("/v1/stats",)) for _ in range(10)]
            for w in waits:
                w.start()
            r = client.post("/v1/analyze", json={"text": ARTICLE})      # not behind the corpus's reads
            assert r.status_code == 200 and time.monotonic() - started < 3
            error = refused(client.get("/v1/stats", params={"top": 1}), 504, "timeout")
            assert "locked by another program" in error["message"] and time.monotonic() - started < 30
            for w in waits:
                w.join()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_stats_are_the_library_statistics(corpus_api):
    from propscope.corpus.stats import compute
    from propscope.corpus.store import Filter, Store
    r = corpus_api.get("/v1/stats", params={"period": "week", "outlet": ["The Daily Flag", "Herald"],
                                            "threshold": 0.5, "top": 2})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    with Store(corpus_api.db) as store:
        expected = compute(store, Filter(("The Daily Flag", "Herald")), period="week", threshold=0.5, top=2)
    assert r.json() == expected.to_dict()
    assert {row["period"] for row in r.json()["rows"]} == {"2024-W52", "2025-W01", "undated"}
    searched = corpus_api.get("/v1/stats", params={"search": "RECKLESS", "since": "2025", "until": "2025-01-31"})
    assert {row["outlet"] for row in searched.json()["rows"]} == {"Evening <b>Post</b>"}


def test_the_stats_chart_is_a_png(corpus_api):
    r = corpus_api.get("/v1/stats/chart.png", params={"period": "week"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/png" and r.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert r.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("params", [{"since": "last week"}, {"until": "2024-13"}, {"period": "fortnight"},
                                    {"threshold": 2}, {"top": -1}, {"top": 1000}])
def test_bad_stats_parameters_are_422(corpus_api, params):
    for path in ("/v1/stats", "/v1/stats/chart.png"):
        refused(corpus_api.get(path, params=params), 422, "invalid_request")


def test_stats_of_a_model_that_analysed_nothing_are_404(corpus_api):
    error = refused(corpus_api.get("/v1/stats", params={"model": "no-such-model"}), 404, "no_corpus")
    assert "has analysed no article" in error["message"]
    refused(corpus_api.get("/v1/stats/chart.png", params={"model": "no-such-model"}), 404, "no_corpus")


def test_without_a_corpus_the_stats_are_404(api, tmp_path):
    for path in ("/v1/stats", "/v1/stats/chart.png"):
        assert "PROPSCOPE_DB" in refused(api.get(path), 404, "no_corpus")["message"]
    missing = tmp_path / "none.db"
    with serving(db=str(missing)) as server:
        refused(httpx.get(server.url + "/v1/stats"), 404, "no_corpus")
    assert not missing.exists()                    # looked for, never created


def test_without_matplotlib_the_chart_is_503_saying_so(corpus_api, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    error = refused(corpus_api.get("/v1/stats/chart.png"), 503, "not_installed")
    assert "propscope[plot]" in error["message"]


@pytest.mark.model
def test_analyze_text_returns_what_the_library_returns(api):
    r = api.post("/v1/analyze", json={"text": ARTICLE})
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    expected = to_dict(analyze(ARTICLE, source="text", meta={"language": "en"}))
    assert body == expected
    assert body["schema"] == "propscope.analysis/1" and body["spans"]
    for s in body["spans"]:
        assert ARTICLE[s["start"]:s["end"]] == s["fragment"]


@pytest.mark.model
def test_blind_names_is_asked_for_per_request(api):
    text = "The corrupt regime in Moscow lied again, Russian officials admitted, and Vladimir Putin was silent."
    other = text.replace("Moscow", "Beijing").replace("Russian", "Chinese").replace("Vladimir Putin", "Xi")
    plain = api.post("/v1/analyze", json={"text": text, "blind_names": False}).json()
    blind = [api.post("/v1/analyze", json={"text": t, "blind_names": True}).json() for t in (text, other)]
    assert plain["model"] == blind[0]["model"].removesuffix("+blind-names") != blind[0]["model"]
    assert api.post("/v1/analyze", json={"text": text}).json() == blind[0]     # the default reading
    assert blind[0] == to_dict(analyze(text, source="text", meta={"language": "en"}, blind_names=True))
    assert [(s["technique"], s["confidence"]) for s in blind[0]["spans"]] == \
        [(s["technique"], s["confidence"]) for s in blind[1]["spans"]]


@pytest.mark.model
def test_threshold_and_techniques_filter_the_spans(api):
    everything = api.post("/v1/analyze", json={"text": ARTICLE}).json()["spans"]
    technique = everything[0]["technique"]
    label = next(t.label for t in CATALOGUE if t.name == technique)
    only = api.post("/v1/analyze", json={"text": ARTICLE, "techniques": [label]}).json()["spans"]
    assert only and {s["technique"] for s in only} == {technique}
    cut = sorted(s["confidence"] for s in everything)[len(everything) // 2]
    high = api.post("/v1/analyze", json={"text": ARTICLE, "threshold": cut}).json()["spans"]
    assert high == [s for s in everything if s["confidence"] >= cut]


@pytest.mark.model
def test_html_is_reduced_to_its_article_text(api):
    body = api.post("/v1/analyze", json={"html": ARTICLE_HTML}).json()
    assert body["meta"]["title"].startswith("Our Nation Betrayed")
    assert "Cookie settings" not in body["text"] and "corrupt elites" in body["text"]


@pytest.mark.model
def test_report_is_a_self_contained_download(api):
    r = api.post("/v1/report", json={"text": ARTICLE, "threshold": 0.1})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-disposition"] == 'attachment; filename="propscope-report.html"'
    assert "Content-Security-Policy" in r.text and "corrupt elites" in r.text
    assert 'id="about-model"' in r.text and "Model card: propscope" in r.text      # the card, embedded
    assert "Model: often" in r.text or "Model: sometimes" in r.text              # reliability per technique
    assert "<title>propscope report: Your article</title>" in r.text               # as the page names pasted text


def test_a_text_keeps_the_description_an_earlier_answer_gave_it(api):
    """The page sends a fetched page's text back with its id, source and meta for its downloads."""
    meta = {"title": "Our Nation Betrayed", "site": "The Daily Flag", "url": "https://flag.example/a"}
    body = {"text": ARTICLE, "id": "flag-a", "source": "https://flag.example/a", "meta": meta}
    data = api.post("/v1/analyze", json=body).json()
    assert (data["id"], data["source"]) == ("flag-a", "https://flag.example/a")
    assert {k: data["meta"][k] for k in meta} == meta
    report = api.post("/v1/report", json=body).text
    assert "<title>propscope report: Our Nation Betrayed</title>" in report and "https://flag.example/a" in report
    long = "https://flag.example/a?utm=" + "a" * 20000                # as long as the server made it
    assert api.post("/v1/analyze", json={**body, "source": long, "id": "b" * 5000}).json()["source"] == long


def test_the_page_and_its_files_are_served(api):
    page = api.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script src="/static/app.js"' in page.text
    assert api.get("/static/app.js").headers["content-type"].split(";")[0] in (
        "text/javascript", "application/javascript")
    assert api.get("/static/app.css").headers["content-type"].startswith("text/css")


# -- refusals --------------------------------------------------------------------------------
@pytest.mark.parametrize("body", [{}, {"text": "a", "url": "https://example.org/"}, {"text": 3},
                                  {"text": ARTICLE, "threshold": 1.5}, {"text": ARTICLE, "unknown": 1},
                                  {"text": ARTICLE, "techniques": "Slogans"}, [],
                                  {"url": "https://example.org/", "meta": {"title": "x"}},
                                  {"html": "<p>x</p>", "source": "s"}, {"text": ARTICLE, "meta": {"title": 3}},
                                  {"text": ARTICLE, "meta": {"foo": "bar"}}])
def test_invalid_requests_are_422(api, body):
    refused(api.post("/v1/analyze", json=body), 422, "invalid_request")


@pytest.mark.parametrize("described", [{"meta": {"title": "\ud800"}}, {"meta": {"\udc00": "x"}}])
def test_a_lone_surrogate_describing_a_text_is_422(api, described):
    body = json.dumps({"text": ARTICLE, **described})                 # JSON escapes: the only way to send one
    for path in ("/v1/analyze", "/v1/report"):
        refused(api.post(path, content=body, headers={"content-type": "application/json"}), 422, "invalid_request")


def test_a_body_that_is_not_json_is_422(api):
    error = refused(api.post("/v1/analyze", content=b"{not json", headers={"content-type": "application/json"}),
                    422, "invalid_request")
    assert "not valid JSON" in error["message"]


def test_unknown_technique_is_named(api):
    error = refused(api.post("/v1/analyze", json={"text": ARTICLE, "techniques": ["Slogans", "Sarcasm"]}),
                    422, "unknown_technique")
    assert "Sarcasm" in error["message"]


def test_not_english_is_refused_unless_asked(api):
    error = refused(api.post("/v1/analyze", json={"text": FRENCH}), 422, "bad_input")
    assert "French" in error["message"]
    assert api.post("/v1/analyze", json={"text": FRENCH, "any_language": True}).status_code == 200


def test_html_without_article_text_is_refused(api):
    refused(api.post("/v1/analyze", json={"html": "<html><body><nav>Home</nav></body></html>"}), 422, "bad_input")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "/etc/passwd", "ftp://example.org/a", "http://[::1",
                                 "http://a..b/", "javascript:alert(1)"])
def test_urls_that_are_not_http_never_touch_the_file_system(api, url):
    response = api.post("/v1/analyze", json={"url": url})
    code = response.json()["error"]["code"] if response.status_code == 422 else None
    error = refused(response, 422, code if code in ("bad_input", "fetch_failed") else "bad_input")
    assert "no such file" not in error["message"]


def test_loopback_urls_are_refused_by_default(api, site):
    site.pages["/a.html"] = (200, {"Content-Type": "text/html"}, ARTICLE_HTML.encode())
    error = refused(api.post("/v1/analyze", json={"url": site.url + "/a.html"}), 422, "fetch_failed")
    assert "refused, it resolves to a private, loopback or link-local address" in error["message"]
    # a name: the answer does not say what it resolves to on the server's network
    named = site.url.replace("127.0.0.1", "localhost") + "/a.html"
    error = refused(api.post("/v1/analyze", json={"url": named}), 422, "fetch_failed")
    assert "refused" in error["message"] and "127.0.0.1" not in error["message"] and "::1" not in error["message"]
    assert site.requests == []


@pytest.mark.model
def test_loopback_urls_are_fetched_when_allowed(site):
    site.pages["/news/a.html"] = (200, {"Content-Type": "text/html; charset=utf-8"}, ARTICLE_HTML.encode())
    with serving(allow_private=True) as server:
        r = httpx.post(server.url + "/v1/analyze", json={"url": site.url + "/news/a.html"}, timeout=60)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["id"] == "a" and body["meta"]["url"] == site.url + "/news/a.html"
        refused(httpx.post(server.url + "/v1/analyze", json={"url": site.url + "/gone"}, timeout=60),
                422, "fetch_failed")


def test_a_page_over_the_fetch_limit_names_the_limit(site, monkeypatch):
    site.pages["/big.html"] = (200, {"Content-Type": "text/html"}, b"<p>" + b"word " * 400 + b"</p>")
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "1000")
    with serving(allow_private=True) as server:
        r = httpx.post(server.url + "/v1/analyze", json={"url": site.url + "/big.html"}, timeout=60)
    error = refused(r, 422, "fetch_failed")
    assert error["limit"] == {"name": "PROPSCOPE_FETCH_MAX_BYTES", "value": 1000}


@pytest.mark.model
def test_slow_sites_do_not_hold_up_pasted_articles(site):
    def slow(handler):
        time.sleep(3)
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html; charset=utf-8")
        handler.end_headers()
        handler.wfile.write(ARTICLE_HTML.encode())
    site.pages["/slow.html"] = slow
    done = []

    def post(body):
        r = httpx.post(server.url + "/v1/analyze", json=body, timeout=60)
        done.append("url" if "url" in body else "text")
        return r.status_code
    with serving(allow_private=True) as server, ThreadPoolExecutor(9) as pool:
        fetching = [pool.submit(post, {"url": site.url + "/slow.html"}) for _ in range(8)]   # every fetch thread
        time.sleep(0.5)
        assert post({"text": ARTICLE}) == 200
        assert [f.result() for f in fetching] == [200] * 8
    assert done[0] == "text"            # answered while all eight pages were still on their way


def test_an_address_idna_cannot_read_is_422(api):
    refused(api.post("/v1/analyze", json={"url": "http://xn--a.com/"}), 422, "bad_input")


def test_an_unforeseen_failure_is_500_json_with_the_security_headers(monkeypatch):
    import propscope.engine

    def broken(*args, **kwargs):
        raise RuntimeError("a bug")
    monkeypatch.setattr(propscope.engine, "analyze", broken)
    with serving(cors_origins=("https://good.example",)) as server:
        r = httpx.post(server.url + "/v1/analyze", json={"text": ARTICLE}, headers={"Origin": "https://good.example"})
    refused(r, 500, "internal")
    assert "a bug" not in r.text
    assert r.headers["x-content-type-options"] == "nosniff" and "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["access-control-allow-origin"] == "https://good.example"


def test_the_openapi_document_says_exactly_one_of_text_html_or_url(api):
    schema = api.get("/openapi.json").json()["components"]["schemas"]["AnalyzeRequest"]
    assert [alternative["required"] for alternative in schema["oneOf"]] == [["text"], ["html"], ["url"]]


def test_not_found_and_wrong_method_are_json(api):
    refused(api.get("/v2/nothing"), 404, "not_found")
    refused(api.get("/v1/analyze"), 405, "method_not_allowed")


# -- limits ----------------------------------------------------------------------------------
def test_a_declared_body_over_the_limit_is_413_before_it_is_read():
    with serving(max_body=1000) as server:
        error = refused(httpx.post(server.url + "/v1/analyze", json={"text": "x" * 2000}), 413, "body_too_large")
        assert error["limit"] == {"name": "PROPSCOPE_SERVE_MAX_BODY", "value": 1000}


def test_a_streamed_body_over_the_limit_is_413():
    def chunks():
        yield b'{"text": "'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}'
    with serving(max_body=1000) as server:
        r = httpx.post(server.url + "/v1/analyze", content=chunks(), headers={"content-type": "application/json"})
        refused(r, 413, "body_too_large")


def test_text_over_the_limit_is_413_naming_it():
    with serving(max_chars=100) as server:
        error = refused(httpx.post(server.url + "/v1/analyze", json={"text": ARTICLE * 2}), 413, "text_too_long")
        assert error["limit"] == {"name": "PROPSCOPE_SERVE_MAX_CHARS", "value": 100}
        assert "PROPSCOPE_SERVE_MAX_CHARS" in error["message"]
        error = refused(httpx.post(server.url + "/v1/analyze", json={"html": ARTICLE_HTML}), 413, "text_too_long")


def test_html_over_the_librarys_limit_is_413_naming_it(api, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_MAX_CHARS", "200")        # read per request, as the CLI reads it
    error = refused(api.post("/v1/analyze", json={"html": ARTICLE_HTML}), 413, "too_large")
    assert error["limit"] == {"name": "PROPSCOPE_MAX_CHARS", "value": 200}
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "300")         # the page itself over the page limit
    error = refused(api.post("/v1/analyze", json={"html": ARTICLE_HTML}), 413, "too_large")
    assert error["limit"] == {"name": "PROPSCOPE_FETCH_MAX_BYTES", "value": 300}


@pytest.mark.model
def test_text_that_is_not_valid_unicode_is_422(api):
    body = json.dumps({"text": ARTICLE + "A lone \ud800 half of a pair."})    # as JSON's \\u escape can hold it
    error = refused(api.post("/v1/analyze", content=body, headers={"Content-Type": "application/json"}), 422,
                    "bad_input")
    assert f"lone surrogate, U+D800, at character {len(ARTICLE) + len('A lone ')}" in error["message"]


@contextlib.contextmanager
def posting(server, start: bytes = b""):
    """A raw connection that has sent the headers of a POST declaring a 100-byte body, and ``start`` of it."""
    port = int(server.url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(b"POST /v1/analyze HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100\r\n\r\n" + start)
        yield conn


def test_a_body_that_arrives_too_slowly_is_408():
    with serving(timeout=1) as server:
        with posting(server, b'{"text": ') as conn:
            answer = b""
            while chunk := conn.recv(4096):
                answer += chunk
            answer = answer.decode()
        assert answer.startswith("HTTP/1.1 408")
        assert '"code":"body_timeout"' in answer


def test_a_body_that_trickles_in_is_408_at_its_deadline():
    """A byte every half second never waits a whole timeout for its next part: the body as a whole has one."""
    with serving(timeout=1) as server:
        with posting(server) as conn:
            started, answer = time.monotonic(), b""
            conn.settimeout(0.5)
            while not answer and time.monotonic() - started < 8:
                try:
                    conn.sendall(b" ")
                    answer = conn.recv(4096)
                except socket.timeout:
                    pass
                except (BrokenPipeError, ConnectionResetError):
                    break
        assert answer.startswith(b"HTTP/1.1 408") and time.monotonic() - started < 4


def test_analysis_past_the_deadline_is_504(monkeypatch):
    import propscope.engine
    monkeypatch.setattr(propscope.engine, "analyze", lambda *a, **k: time.sleep(3))
    with serving(timeout=1) as server:
        error = refused(httpx.post(server.url + "/v1/analyze", json={"text": ARTICLE}, timeout=10), 504, "timeout")
        assert error["limit"]["name"] == "PROPSCOPE_SERVE_TIMEOUT"


def test_requests_beyond_the_queue_are_429_with_retry_after_from_the_models_pace(monkeypatch):
    import propscope.engine
    real = propscope.engine.analyze
    monkeypatch.setattr(propscope.engine, "analyze", lambda *a, **k: (time.sleep(1.5), real(*a, **k))[1])
    post = lambda _: httpx.post(server.url + "/v1/analyze", json={"text": ARTICLE}, timeout=30)  # noqa: E731
    with serving(queue=1) as server, ThreadPoolExecutor(3) as pool:
        assert post(0).status_code == 200                   # alone: the model's pace is now 1.5 s or more
        answers = list(pool.map(post, range(3)))            # one analysed, one waits, one refused
    assert sorted(r.status_code for r in answers) == [200, 200, 429]
    busy = next(r for r in answers if r.status_code == 429)
    assert int(busy.headers["retry-after"]) >= 4            # two requests held, each 1.5 s or more
    assert refused(busy, 429, "busy")["limit"] == {"name": "PROPSCOPE_SERVE_QUEUE", "value": 1}


def test_a_request_that_would_wait_past_its_deadline_is_refused_at_once(monkeypatch):
    import propscope.engine
    real = propscope.engine.analyze
    monkeypatch.setattr(propscope.engine, "analyze", lambda *a, **k: (time.sleep(1.5), real(*a, **k))[1])
    post = lambda _: httpx.post(server.url + "/v1/analyze", json={"text": ARTICLE}, timeout=30)  # noqa: E731
    with serving(timeout=2) as server, ThreadPoolExecutor(2) as pool:
        assert post(0).status_code == 200                   # alone: the model's pace is now known
        t0 = time.perf_counter()
        answers = list(pool.map(post, range(2)))            # the second would finish after 3 s, past 2 s
    assert sorted(r.status_code for r in answers) == [200, 429]
    busy = next(r for r in answers if r.status_code == 429)
    assert busy.elapsed.total_seconds() < 1 < time.perf_counter() - t0     # refused before the other's answer
    assert refused(busy, 429, "busy")["limit"] == {"name": "PROPSCOPE_SERVE_TIMEOUT", "value": 2}
    assert int(busy.headers["retry-after"]) >= 2


def test_with_no_queue_a_busy_model_refuses_the_next_request(monkeypatch):
    import propscope.engine
    real = propscope.engine.analyze
    monkeypatch.setattr(propscope.engine, "analyze", lambda *a, **k: (time.sleep(1), real(*a, **k))[1])
    with serving(queue=0) as server, ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(lambda _: httpx.post(server.url + "/v1/analyze", json={"text": ARTICLE},
                                                     timeout=30), range(2)))
    assert sorted(r.status_code for r in answers) == [200, 429]
    assert next(r for r in answers if r.status_code == 429).headers["retry-after"] == "1"


# -- guards ----------------------------------------------------------------------------------
def test_a_token_guards_everything_but_health_and_the_static_page():
    with serving(token="s3cret") as server, httpx.Client(base_url=server.url) as client:
        for method, path in [("GET", "/v1/techniques"), ("POST", "/v1/analyze"), ("POST", "/v1/report"),
                             ("GET", "/openapi.json"), ("GET", "/nowhere"), ("GET", "/v1/model"),
                             ("GET", "/v1/corpus"), ("GET", "/v1/stats"), ("GET", "/v1/stats/chart.png")]:
            r = client.request(method, path, json={"text": ARTICLE})
            refused(r, 401, "unauthorized")
            assert r.headers["www-authenticate"].startswith("Bearer")
            r = client.request(method, path, json={"text": ARTICLE}, headers={"Authorization": "Bearer wrong"})
            refused(r, 401, "unauthorized")
        good = {"Authorization": "Bearer s3cret"}
        assert client.get("/v1/techniques", headers=good).status_code == 200
        assert client.get("/health").status_code == 200
        assert client.get("/").status_code == 200 and client.get("/static/app.js").status_code == 200
        assert client.get("/model").status_code == 200          # the card is public documentation
        assert client.get("/v1/stats", headers=good).status_code == 404      # guarded, then: no corpus
        document = client.get("/openapi.json", headers=good).json()
        assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert document["paths"]["/v1/analyze"]["post"]["security"] == [{"bearer": []}]
        assert "security" not in document["paths"]["/health"]["get"]


def test_cors_is_off_by_default(api):
    preflight = api.options("/v1/analyze", headers={"Origin": "https://elsewhere.example",
                                                    "Access-Control-Request-Method": "POST"})
    assert "access-control-allow-origin" not in preflight.headers
    r = api.get("/v1/techniques", headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_allows_only_the_configured_origins():
    with serving(cors_origins=("https://newsroom.example",), token="t") as server:
        asking = {"Origin": "https://newsroom.example", "Access-Control-Request-Method": "POST",
                  "Access-Control-Request-Headers": "authorization, content-type"}
        preflight = httpx.options(server.url + "/v1/analyze", headers=asking)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://newsroom.example"
        r = httpx.get(server.url + "/v1/techniques", headers={"Origin": "https://elsewhere.example",
                                                              "Authorization": "Bearer t"})
        assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path", ["/", "/static/app.js", "/health", "/v1/techniques", "/missing", "/model",
                                  "/v1/model", "/v1/stats"])
def test_security_headers_on_every_answer(api, path):
    h = api.get(path).headers
    csp = h["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'none'" in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"


def test_the_page_has_no_inline_script_or_style():
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []
    assert not re.search(r"\son[a-z]+\s*=", page) and " style=" not in page and "<style" not in page
    assert "http://" not in page and "https://" not in page.replace('placeholder="https://', "")
    script = (STATIC / "app.js").read_text(encoding="utf-8")
    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "eval(" not in script


# -- the OpenAPI document --------------------------------------------------------------------
def test_openapi_lists_every_endpoint(api):
    document = api.get("/openapi.json").json()
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {"/v1/analyze", "/v1/report", "/v1/techniques", "/v1/model", "/v1/corpus",
                                      "/v1/stats", "/v1/stats/chart.png", "/health"}
    analyze_op = document["paths"]["/v1/analyze"]["post"]
    assert {"200", "401", "408", "413", "422", "429", "503", "504"} <= set(analyze_op["responses"])
    request = document["components"]["schemas"]["AnalyzeRequest"]["properties"]
    assert {"text", "html", "url", "threshold", "techniques"} <= set(request)
    stats = document["paths"]["/v1/stats"]["get"]
    assert {p["name"] for p in stats["parameters"]} == {"outlet", "since", "until", "search", "model", "period",
                                                        "threshold", "top"}
    assert {"200", "401", "404", "422"} <= set(stats["responses"])
    chart = document["paths"]["/v1/stats/chart.png"]["get"]["responses"]
    assert set(chart["200"]["content"]) == {"image/png"} and set(chart["404"]["content"]) == {"application/json"}
    assert api.get("/docs").status_code == 404          # Swagger UI would load assets from a CDN


schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance, response_schema_conformance, status_code_conformance)


@pytest.fixture(scope="module")
def unresolving_server():
    """A server whose URLs resolve to nowhere: fuzzing must not reach the network."""
    import propscope.text.fetch

    def nowhere(host, port, within=None):
        raise OSError(f"cannot resolve {host}: no network in tests")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(propscope.text.fetch, "resolve", nowhere)
        with ServerThread(ServeConfig()) as s:
            yield s


# the document the server serves (checked against it below), loaded without a server
fuzzed = schemathesis.openapi.from_dict(create_app(ServeConfig()).openapi())


def test_the_fuzzed_document_is_the_served_one(api):
    assert api.get("/openapi.json").json() == create_app(ServeConfig()).openapi()


@pytest.mark.model
@fuzzed.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_fuzzing_from_the_openapi_document_finds_no_server_error(case, unresolving_server):
    case.call_and_validate(base_url=unresolving_server.url,
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])


@pytest.fixture(scope="module")
def corpus_server(tmp_path_factory):
    with serving(db=make_corpus(tmp_path_factory.mktemp("fuzzed") / "corpus.db")) as server:
        yield server


@fuzzed.include(path_regex="^/v1/(stats|corpus)").parametrize()
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_fuzzing_the_corpus_endpoints_over_a_corpus_finds_no_server_error(case, corpus_server):
    case.call_and_validate(base_url=corpus_server.url,
                           checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                   response_schema_conformance])


@pytest.mark.parametrize("args, env, message", [
    (["--port", "99999"], {}, "99999 is not in the range 0<=x<=65535"),
    ([], {"PROPSCOPE_SERVE_PORT": "70000"}, "PROPSCOPE_SERVE_PORT=70000 should be at most 65,535"),
])
def test_serve_refuses_a_port_that_cannot_be(args, env, message):
    import os
    import subprocess
    import sys
    r = subprocess.run([sys.executable, "-m", "propscope", "serve", *args], capture_output=True, text=True,
                       env={**os.environ, **env}, timeout=120)
    assert r.returncode != 0 and "Traceback" not in r.stderr and message in r.stderr


def test_a_loopback_server_answers_only_requests_addressed_to_loopback(api):
    """DNS rebinding: a page at attacker.example, its name made to resolve to 127.0.0.1, is refused."""
    error = refused(api.get("/v1/techniques", headers={"Host": "attacker.example:8000"}), 400, "foreign_host")
    assert "attacker.example" in error["message"]
    for host in ("127.0.0.1:8000", "localhost", "[::1]:8000", "[::1]", "LOCALHOST:1", "127.0.0.2", "localhost."):
        assert api.get("/v1/techniques", headers={"Host": host}).status_code == 200, host
    for host in ("127.0.0.1.evil.example:8000", "127.attacker.example", "localhost.evil.example", "[::2]"):
        assert api.get("/v1/techniques", headers={"Host": host}).status_code == 400, host
    with serving(host="0.0.0.0") as server:     # listening elsewhere: the names it is reached by are many
        assert httpx.get(server.url + "/health", headers={"Host": "news.example"}).status_code == 200


def test_a_port_in_use_is_one_line_naming_it():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = subprocess.run([sys.executable, "-m", "propscope", "serve", "--port", str(port)], capture_output=True,
                           text=True, timeout=120)
    assert r.returncode == 1 and f"propscope: could not serve on 127.0.0.1:{port}" in r.stderr
    assert "Traceback" not in r.stderr


def test_an_idle_connection_outlives_a_clients_own_keep_alive(server):
    """httpx keeps an idle connection 5 s, as uvicorn did: a request sent at 5 s met the server
    closing the connection, and was lost (RemoteProtocolError)."""
    import http.client
    conn = http.client.HTTPConnection(*server.url.removeprefix("http://").split(":"), timeout=10)
    try:
        for wait in (0, 6):
            time.sleep(wait)
            conn.request("GET", "/health")          # http.client reuses the connection, or fails
            response = conn.getresponse()
            assert response.status == 200 and response.read(), f"after {wait} s idle"
    finally:
        conn.close()


@pytest.mark.parametrize("body,says", [("[" * 5000 + "]" * 5000, "nested deeper than the server reads"),
                                       ('{"text": ' + "9" * 5000 + "}", "more than 4,300 digits"),
                                       (b'{"text": "\xff"}', "send JSON in UTF-8")])
def test_a_body_json_cannot_hold_names_why(api, body, says):
    error = refused(api.post("/v1/analyze", content=body, headers={"Content-Type": "application/json"}),
                    400, "bad_request")
    assert says in error["message"]


def test_refusals_starlette_answers_in_plain_text_are_json_too(api):
    size = (STATIC / "app.js").stat().st_size
    error = refused(api.get("/static/app.js", headers={"Range": "bytes=999999-"}), 416, "range_not_satisfiable")
    assert error["message"] == f"the range asked for is not within the file of {size} bytes; ask for one that is"
    assert api.get("/static/app.js", headers={"Range": "bytes=0-9"}).status_code == 206       # a range it has
    with serving(cors_origins=("https://good.example",)) as server:
        r = httpx.options(server.url + "/v1/analyze", headers={"Origin": "https://evil.example",
                                                                "Access-Control-Request-Method": "POST"})
    error = refused(r, 400, "bad_request")
    assert "PROPSCOPE_SERVE_CORS_ORIGINS lists those that may" in error["message"]
    assert "nosniff" in r.headers["x-content-type-options"]


def test_a_server_started_with_standard_output_closed_serves_with_its_workers():
    """Its workers found no stdout, and uvicorn's logging died in each of them, over and over."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "propscope", "serve", "--port", str(port), "--workers", "2"],
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1))
    try:
        deadline, answered = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None and answered is None:
            try:
                answered = httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code
            except httpx.TransportError:
                time.sleep(0.5)
        assert answered == 200
    finally:
        proc.terminate()
        log = proc.communicate(timeout=60)[1]
    assert "Traceback" not in log, log[-2000:]

"""Fetching pages from a real HTTP server on loopback; the address guard, limits and errors."""

import time

import pytest

from propscope.errors import FetchError
from propscope.text.fetch import USER_AGENT, fetch, is_public

PAGE = (200, {"Content-Type": "text/html; charset=utf-8"}, b"<html><body><p>hello</p></body></html>")


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.9", "192.168.1.1",
                                     "169.254.169.254", "fe80::1", "fd00:ec2::254", "0.0.0.0",
                                     "100.64.0.1", "::ffff:127.0.0.1", "224.0.0.1",
                                     "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::", "2002:a00:1::1",
                                     "::127.0.0.1", "::", "::ffff:0:7f00:1", "::ffff:0:a9fe:a9fe",
                                     "64:ff9b:1::7f00:1", "64:ff9b:1::a9fe:a9fe", "64:ff9b:1:0:a:0:100:0",
                                     "64:ff9b:1::808:808"])
def test_private_loopback_link_local_and_metadata_addresses_are_not_public(address):
    assert not is_public(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:4700::6810:85e5", "8.8.8.8", "64:ff9b::808:808",
                                     "2002:808:808::1"])
def test_global_addresses_are_public(address):
    assert is_public(address)


def test_loopback_is_refused_by_default_without_a_request(site):
    site.pages["/a"] = PAGE
    with pytest.raises(FetchError, match="127.0.0.1.*allow-private"):
        fetch(site.url + "/a")
    assert site.requests == []


def test_names_are_checked_after_dns_resolution(site):
    port = site.url.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="refused"):
        fetch(f"http://localhost:{port}/a")
    assert site.requests == []


def test_allowed_fetch_sends_a_clear_user_agent(site):
    site.pages["/a"] = PAGE
    page = fetch(site.url + "/a", allow_private=True)
    assert page.content_type == "text/html" and page.charset == "utf-8" and b"hello" in page.body
    assert site.requests == [("/a", USER_AGENT)] and USER_AGENT.startswith("propscope/")


def test_every_redirect_is_checked_before_it_is_followed(site):
    site.pages["/a"] = (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b"")
    only_loopback = {"127.0.0.1"}.__contains__
    with pytest.raises(FetchError, match="169.254.169.254"):
        fetch(site.url + "/a", allowed=only_loopback)
    assert [p for p, _ in site.requests] == ["/a"]


def test_a_redirect_to_an_address_that_cannot_be_read_names_it(site):
    site.pages["/odd"] = (302, {"Location": "http:\\\\127.0.0.1:1/"}, b"")
    with pytest.raises(FetchError, match="/odd: .*redirects to an address that cannot be read"):
        fetch(site.url + "/odd", allow_private=True)


def test_redirects_are_followed_up_to_the_limit(site, monkeypatch):
    for i in range(4):
        site.pages[f"/r{i}"] = (301, {"Location": f"/r{i + 1}"}, b"")
    site.pages["/r4"] = PAGE
    assert b"hello" in fetch(site.url + "/r0", allow_private=True).body
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_REDIRECTS", "2")
    with pytest.raises(FetchError, match="more than 2 redirects"):
        fetch(site.url + "/r0", allow_private=True)
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_REDIRECTS", "4")     # exactly as many as allowed
    assert b"hello" in fetch(site.url + "/r0", allow_private=True).body


def test_a_name_with_any_private_address_is_refused(site, monkeypatch):
    from propscope.text import fetch as fetching
    monkeypatch.setattr(fetching, "resolve", lambda host, port, within=None: ["127.0.0.1", "169.254.169.254"])
    with pytest.raises(FetchError, match="169.254.169.254"):
        fetch("http://news.test/a", allowed={"127.0.0.1"}.__contains__)
    assert site.requests == []


def test_the_request_goes_to_the_address_that_was_checked(site, monkeypatch):
    """Connecting by name would resolve it again, and could reach another address (DNS rebinding);
    news.test resolves nowhere but through the checked lookup."""
    from propscope.text import fetch as fetching
    site.pages["/a"] = PAGE
    monkeypatch.setattr(fetching, "resolve", lambda host, port, within=None: ["127.0.0.1"])
    port = site.url.rsplit(":", 1)[1]
    assert b"hello" in fetch(f"http://news.test:{port}/a", allow_private=True).body


def test_declared_oversize_page_is_refused_with_the_limit_named(site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "1000")
    site.pages["/big"] = (200, {"Content-Type": "text/html"}, b"x" * 5000)
    with pytest.raises(FetchError, match="over the limit of 1,000"):
        fetch(site.url + "/big", allow_private=True)


def test_undeclared_oversize_page_is_cut_off_while_reading(site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "1000")

    def endless(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()          # no length: read until the server closes
        try:
            for _ in range(50):
                handler.wfile.write(b"y" * 1000)
        except (BrokenPipeError, ConnectionResetError):
            pass                       # the client hung up at the limit, as it should
    site.pages["/stream"] = endless
    with pytest.raises(FetchError, match="over the limit of 1,000 bytes"):
        fetch(site.url + "/stream", allow_private=True)


def test_a_silent_server_times_out(site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "1")

    def slow(handler):
        time.sleep(3)
    site.pages["/slow"] = slow
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch(site.url + "/slow", allow_private=True)
    assert time.monotonic() - started < 2.9


def dripping(times: int, pause: float, headers_done: bool = True):
    """A page that sends one byte every ``pause`` seconds, ``times`` times: of its body, or (not
    ``headers_done``) of a header that never ends."""
    def page(handler):
        if headers_done:
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html")
            handler.end_headers()
        else:
            handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
        try:
            for _ in range(times):
                handler.wfile.write(b"y")
                handler.wfile.flush()
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass
    return page


def test_a_server_that_trickles_its_page_is_cut_off_at_the_timeout(site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "1")
    site.pages["/trickle"] = dripping(30, 0.2)         # each read is quick, the page never ends
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch(site.url + "/trickle", allow_private=True)
    assert time.monotonic() - started < 2.5


def test_a_name_slow_to_resolve_is_cut_off_at_the_timeout(monkeypatch):
    """The system's resolver knows no deadline of ours (a DNS server that does not answer holds
    getaddrinfo for its own retries): the one thing here that stands in for it, as no slow DNS
    server can be set up for a test."""
    import socket
    real = socket.getaddrinfo

    def slow(host, *args, **kwargs):
        if host == "slow.example":
            time.sleep(5)
        return real("127.0.0.1", *args, **kwargs)
    monkeypatch.setattr(socket, "getaddrinfo", slow)
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "1")
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch("http://slow.example/", allow_private=True)
    assert time.monotonic() - started < 1.5


def test_a_resolver_failure_is_said_in_words(monkeypatch):
    import socket

    def failing(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    monkeypatch.setattr(socket, "getaddrinfo", failing)
    with pytest.raises(FetchError, match="cannot resolve nowhere.example: Name or service not known"):
        fetch("http://nowhere.example/")


def test_a_page_sent_compressed_is_read(site):
    import gzip
    import zlib
    body = b"<html><body><p>" + b"the corrupt elites " * 500 + b"</p></body></html>"
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    for path, encoding, sent in [("/gz", "gzip", gzip.compress(body)), ("/zlib", "deflate", zlib.compress(body)),
                                 ("/raw", "deflate", raw.compress(body) + raw.flush()), ("/plain", "identity", body)]:
        site.pages[path] = (200, {"Content-Type": "text/html", "Content-Encoding": encoding}, sent)
        assert fetch(site.url + path, allow_private=True).body == body, encoding


def in_pieces(encoding: str, *pieces: bytes):
    """A page sent as ``pieces``, each written on its own a moment apart (so read apart)."""
    def page(handler):
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.send_header("Content-Encoding", encoding)
        handler.send_header("Content-Length", str(sum(map(len, pieces))))
        handler.end_headers()
        for piece in pieces:
            handler.wfile.write(piece)
            handler.wfile.flush()
            time.sleep(0.05)
    return page


def test_compressed_pages_split_anyhow_are_read_whole(site):
    """From a review: a second gzip member was dropped, a cut stream read short, raw deflate whose
    first piece was one byte refused, and a Content-Encoding naming no compression refused."""
    import gzip
    import zlib
    body = b"<html><body><p>" + b"the corrupt elites " * 300 + b"</p></body></html>"
    half = len(body) // 2
    raw = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflated = raw.compress(body) + raw.flush()
    two = gzip.compress(body[:half]) + gzip.compress(body[half:])
    site.pages["/members"] = in_pieces("gzip", two[:len(two) // 2 + 1], two[len(two) // 2 + 1:])
    site.pages["/raw"] = in_pieces("deflate", deflated[:1], deflated[1:])
    site.pages["/zlib"] = in_pieces("deflate", zlib.compress(body)[:1], zlib.compress(body)[1:])
    site.pages["/trailing"] = in_pieces("gzip", gzip.compress(body) + b"\0\0\0\0")
    for path in ("/members", "/raw", "/zlib", "/trailing"):
        assert fetch(site.url + path, allow_private=True).body == body, path
    for named in ("none", "UTF-8", "Identity"):
        site.pages[f"/{named}"] = (200, {"Content-Type": "text/html", "Content-Encoding": named}, body)
        assert fetch(site.url + f"/{named}", allow_private=True).body == body, named
    site.pages["/cut"] = in_pieces("gzip", gzip.compress(body)[:50])
    with pytest.raises(FetchError, match="gzip encoding is damaged \\(it ends early\\)"):
        fetch(site.url + "/cut", allow_private=True)


def test_a_page_that_inflates_past_the_limit_is_refused_before_it_is(site, monkeypatch):
    """1,827 bytes of gzip inside gzip took a server to 2.3 GB before the limit was checked."""
    import gzip
    import tracemalloc
    bomb = gzip.compress(b"\0" * 200_000_000)        # 200 MB of zeros in about 200 KB
    site.pages["/bomb"] = (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, bomb)
    site.pages["/twice"] = (200, {"Content-Type": "text/html", "Content-Encoding": "gzip, gzip"}, gzip.compress(bomb))
    site.pages["/odd"] = (200, {"Content-Type": "text/html", "Content-Encoding": "br"}, b"x")
    site.pages["/broken"] = (200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, b"not gzip at all")
    monkeypatch.setenv("PROPSCOPE_FETCH_MAX_BYTES", "1000000")
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="over the limit of 1,000,000 bytes"):
            fetch(site.url + "/bomb", allow_private=True)
        assert tracemalloc.get_traced_memory()[1] < 20_000_000          # at its peak: not tens of MB
    finally:
        tracemalloc.stop()
    with pytest.raises(FetchError, match="encoded as gzip, gzip; only one of gzip or deflate"):
        fetch(site.url + "/twice", allow_private=True)
    with pytest.raises(FetchError, match="encoded as br"):
        fetch(site.url + "/odd", allow_private=True)
    with pytest.raises(FetchError, match="gzip encoding is damaged"):
        fetch(site.url + "/broken", allow_private=True)


def test_a_server_that_trickles_its_headers_is_cut_off_at_the_timeout(site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "1")
    site.pages["/headers"] = dripping(30, 0.2, headers_done=False)     # the headers never end
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch(site.url + "/headers", allow_private=True)
    assert time.monotonic() - started < 1.5


def test_a_read_that_waits_almost_the_timeout_still_ends_at_the_deadline(site, monkeypatch):
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "1")
    site.pages["/pauses"] = dripping(5, 0.9)
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch(site.url + "/pauses", allow_private=True)
    assert time.monotonic() - started < 1.5


def test_http_errors_and_bad_schemes_are_clear(site):
    with pytest.raises(FetchError, match="answered 404"):
        fetch(site.url + "/missing", allow_private=True)
    with pytest.raises(FetchError, match="only http:// and https://"):
        fetch("file:///etc/passwd")


def test_unresolvable_name_is_a_clear_error():
    with pytest.raises(FetchError, match="cannot resolve"):
        fetch("http://no-such-host.invalid/")


@pytest.mark.parametrize("url", ["http://a..b/", "http://[::1", "http://exa mple.com/"])
def test_malformed_addresses_are_clear_errors(url):
    with pytest.raises(FetchError):
        fetch(url)


@pytest.mark.parametrize("status, headers", [(304, {}), (302, {})])
def test_a_3xx_that_names_no_new_address_is_one_request_and_said(site, status, headers):
    site.pages["/a"] = (status, headers, b"")
    with pytest.raises(FetchError, match=f"answered {status}"):
        fetch(site.url + "/a", allow_private=True)
    assert [p for p, _ in site.requests] == ["/a"]


def test_a_tls_server_that_trickles_is_cut_off_at_the_timeout_too(tmp_path, monkeypatch):
    """TLS wraps the connection's socket into another: the cut must reach that one."""
    import functools
    import shutil
    import socket
    import ssl
    import subprocess
    import threading

    import httpx

    from propscope.text import fetch as module
    if not shutil.which("openssl"):
        pytest.skip("needs openssl for a test certificate")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def trickle():
        conn, _ = server.accept()
        with context.wrap_socket(conn, server_side=True) as tls:
            tls.recv(4096)
            tls.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            try:
                for _ in range(25):          # a header byte every 0.2 s
                    tls.sendall(b"y")
                    time.sleep(0.2)
            except OSError:
                pass
    threading.Thread(target=trickle, daemon=True).start()
    monkeypatch.setenv("PROPSCOPE_FETCH_TIMEOUT", "1")
    monkeypatch.setattr(module.httpx, "Client", functools.partial(httpx.Client, verify=False))   # self-signed
    started = time.monotonic()
    with pytest.raises(FetchError, match="no answer within 1 s"):
        fetch(f"https://localhost:{port}/", allow_private=True)
    assert time.monotonic() - started < 1.5
    server.close()

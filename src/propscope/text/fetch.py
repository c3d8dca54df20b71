"""Fetch a web page safely (httpx): timeouts, a size cap, a redirect limit, a clear user agent,
and no requests to private, loopback, link-local or metadata addresses unless allowed.

The address check happens after DNS resolution and again on every redirect, and the
connection goes to the address that was checked (the host name still drives TLS and the
Host header), so a name that resolves differently the second time cannot slip through.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
import zlib
from dataclasses import dataclass
from importlib.metadata import version
from typing import Callable, Iterator
from urllib.parse import urljoin

import httpx

from .. import errors, settings

USER_AGENT = f"propscope/{version('propscope')} (propaganda technique analysis; one page per request)"


@dataclass(frozen=True)
class Page:
    url: str              # after redirects
    content_type: str     # e.g. text/html
    charset: str | None
    body: bytes


# IPv6 prefixes whose last 32 bits are an IPv4 address: the well-known NAT64 prefix, the
# IPv4-translated form (SIIT), the deprecated IPv4-compatible form
EMBEDDING = tuple(ipaddress.ip_network(n) for n in ("64:ff9b::/96", "::ffff:0:0:0/96", "::/96"))
# local-use NAT64 (RFC 8215): a network's own gateways, with prefixes of any length, so the IPv4
# address may sit in any of several places; none of it is public
LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")
# the encodings a page may come in; decoded here, a block at a time within the page limit, rather
# than by httpx, whose decoders inflate a whole chunk (and any number of stacked encodings) first:
# 1,827 bytes of "gzip, gzip" took a server to 2.3 GB
ENCODINGS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
UNREAD = ("br", "zstd", "compress", "x-compress")       # compressions a page may come in, not read here
GZIP_MAGIC = b"\x1f\x8b"


def is_public(address: str) -> bool:
    """Globally routable unicast: not private, loopback, link-local (cloud metadata), reserved or
    multicast; an IPv6 address that carries an IPv4 one (mapped, 6to4, NAT64) is judged by that."""
    ip = ipaddress.ip_address(address)
    if ip.version == 6 and ip in LOCAL_NAT64:
        return False
    if ip.version == 6:
        inner = ip.ipv4_mapped or ip.sixtofour or (
            ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF) if any(ip in n for n in EMBEDDING) else None)
        if inner is not None:
            return is_public(str(inner))
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int, within: float | None = None) -> list[str]:
    """The addresses of ``host``; a TimeoutError past ``within`` seconds. The system's resolver cannot
    be cut short, so it asks from a thread of its own, left to finish when the time is up."""
    answer: list = []

    def ask() -> None:
        try:
            answer.append(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
        except BaseException as exc:       # handed to the caller's thread
            answer.append(exc)
    asking = threading.Thread(target=ask, name="propscope-resolve", daemon=True)
    asking.start()
    asking.join(within)
    if not answer:
        raise TimeoutError(f"{host} was not resolved within {within:g} s")
    if isinstance(answer[0], socket.gaierror):
        raise OSError(f"cannot resolve {host}: {answer[0].strerror}")
    if isinstance(answer[0], BaseException):
        raise answer[0]
    return list(dict.fromkeys(info[4][0] for info in answer[0]))


def fetch(url: str, *, allow_private: bool = False, allowed: Callable[[str], bool] | None = None) -> Page:
    """GET ``url``; ``allowed(address)`` decides which addresses may be contacted
    (default: public ones only, or any with ``allow_private``). The whole page, redirects
    included, must arrive within the timeout: a server that trickles bytes is cut off too."""
    allowed = allowed or ((lambda _: True) if allow_private else is_public)
    timeout = float(settings.get_int("fetch_timeout"))
    deadline = time.monotonic() + timeout
    max_bytes = settings.get_int("fetch_max_bytes")
    max_redirects = settings.get_int("fetch_max_redirects")
    asked = url
    headers = {"User-Agent": USER_AGENT, "Accept": "text/html,text/plain;q=0.9", "Accept-Encoding": "gzip, deflate"}
    with _Cutoff(timeout) as cutoff, \
            httpx.Client(timeout=timeout, headers=headers, follow_redirects=False, trust_env=False) as client:
        for _ in range(max_redirects + 1):
            try:
                target = httpx.URL(url)
                target.host.encode("idna")
            except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
                raise errors.unreachable(url, f"not a valid address: {exc}") from None
            if target.scheme not in ("http", "https") or not target.host:
                raise errors.unreachable(url, "only http:// and https:// addresses can be fetched")
            port = target.port or (443 if target.scheme == "https" else 80)
            try:
                addresses = resolve(target.host, port, max(0.0, deadline - time.monotonic()))
            except TimeoutError:
                raise _late(url, timeout) from None
            except (OSError, UnicodeError) as exc:
                raise errors.unreachable(url, str(exc)) from None
            refused = [a for a in addresses if not allowed(a)]
            if refused:
                raise errors.refused_address(url, refused[0])
            response = _connect(client, url, target, addresses, timeout, deadline, cutoff)
            try:
                if response.status_code in (301, 302, 303, 307, 308) and response.headers.get("location"):
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code >= 300:         # 304, or a redirect that says not where
                    raise errors.unreachable(url, f"the server answered {response.status_code} "
                                                  f"{response.reason_phrase}")
                body = _read_capped(response, url, max_bytes, timeout, cutoff)
                content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                return Page(url, content_type, response.charset_encoding, body)
            finally:
                response.close()
        raise errors.unreachable(asked, f"more than {max_redirects} redirects")


def _page_limit(max_bytes: int) -> tuple[str, int]:
    return settings.SETTINGS["fetch_max_bytes"].env, max_bytes


def _late(url: str, timeout: float) -> errors.FetchError:
    return errors.unreachable(url, f"no answer within {timeout:g} s",
                              (settings.SETTINGS["fetch_timeout"].env, int(timeout)))


class _Cutoff:
    """Shuts every connection of a fetch when its time is up, whatever it waits on: httpx's
    timeouts bound each read, so a server sending a byte now and then (headers or body) could
    hold a fetch for ever. The sockets come from httpcore's trace of each connection made."""

    def __init__(self, seconds: float):
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._cut)
        self._timer.daemon = True

    def __enter__(self) -> _Cutoff:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def trace(self, event: str, info: dict) -> None:
        # TLS wraps the TCP socket into a new one (the first is detached): each is kept as it comes
        if event in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            with self._lock:
                self._sockets.append(info["return_value"].get_extra_info("socket"))
            if self.expired:
                self._cut()

    def _cut(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)   # a blocked read returns at once
                except OSError:
                    pass                              # already closed


def _connect(client: httpx.Client, url: str, target: httpx.URL, addresses: list[str],
             timeout: float, deadline: float, cutoff: _Cutoff) -> httpx.Response:
    """Send the request to the checked addresses in turn (the name still drives TLS and Host)."""
    reason = "no address"
    for address in addresses:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _late(url, timeout)
        try:
            request = client.build_request(
                "GET", target.copy_with(host=address), headers={"Host": target.netloc.decode("ascii")},
                extensions={"trace": cutoff.trace} | ({"sni_hostname": target.host} if target.scheme == "https" else {}),
                timeout=left)
            return client.send(request, stream=True)
        except httpx.InvalidURL as exc:     # httpx reads a redirect's Location as it answers, followed or not
            raise errors.unreachable(url, f"it redirects to an address that cannot be read: {exc}") from None
        except httpx.TimeoutException:
            raise _late(url, timeout) from None
        except httpx.HTTPError as exc:
            if cutoff.expired:
                raise _late(url, timeout) from None
            if isinstance(exc, httpx.ConnectError):
                reason = str(exc) or "connection failed"
                continue
            raise errors.unreachable(url, str(exc) or type(exc).__name__) from None
    raise errors.unreachable(url, reason)


def _read_capped(response: httpx.Response, url: str, max_bytes: int, timeout: float, cutoff: _Cutoff) -> bytes:
    """The page's body, decoded, refused as soon as it passes ``max_bytes`` (sent or decoded)."""
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise errors.unreachable(url, f"the page is {int(declared):,} bytes, over the limit of {max_bytes:,}; "
                                      "raise it with PROPSCOPE_FETCH_MAX_BYTES", _page_limit(max_bytes))
    decode = _decoder(response, url)
    chunks, size, sent = [], 0, 0
    try:
        for chunk in response.iter_raw():
            sent += len(chunk)
            for part in decode(chunk, max_bytes + 1 - size):
                size += len(part)
                if max(size, sent) > max_bytes:
                    raise errors.unreachable(url, f"the page is over the limit of {max_bytes:,} bytes; "
                                                  "raise it with PROPSCOPE_FETCH_MAX_BYTES", _page_limit(max_bytes))
                chunks.append(part)
    except httpx.TimeoutException:
        raise _late(url, timeout) from None
    except httpx.HTTPError as exc:
        if cutoff.expired:
            raise _late(url, timeout) from None
        raise errors.unreachable(url, str(exc) or type(exc).__name__) from None
    except zlib.error as exc:
        raise errors.unreachable(url, f"the page's {response.headers['content-encoding']} encoding is damaged ({exc})") from None
    if cutoff.expired:                  # cut as the last byte came: the page may be short
        raise _late(url, timeout)
    try:
        decode.finish()
    except zlib.error as exc:
        raise errors.unreachable(url, f"the page's {response.headers['content-encoding']} encoding is damaged ({exc})") from None
    return b"".join(chunks)


def _decoder(response: httpx.Response, url: str) -> _Identity | _Inflater:
    """What decodes the page: nothing, or the one compression it comes in (gzip or deflate). A value
    that names no compression ("none", "UTF-8", as some servers send) is read as none, as browsers do."""
    named = [e.strip().lower() for e in response.headers.get("content-encoding", "").split(",")]
    compressed = [e for e in named if e in ENCODINGS or e in UNREAD]
    if not compressed:
        return _Identity()
    if len(compressed) > 1 or compressed[0] in UNREAD:
        raise errors.unreachable(url, f"the page comes encoded as {', '.join(compressed)}; only one of gzip or "
                                      "deflate is read")
    return _Inflater(compressed[0])


class _Identity:
    def __call__(self, data: bytes, most: int) -> Iterator[bytes]:
        yield data

    def finish(self) -> None:
        pass


class _Inflater:
    """A gzip (its members one after another) or deflate (with or without zlib's header) stream,
    inflated a block at a time, no further than wanted: past that, one byte more says so."""

    def __init__(self, encoding: str):
        self.gzip = encoding != "deflate"
        self.held = b""             # bytes waiting for enough of a header to be read
        self.inflate = zlib.decompressobj(ENCODINGS[encoding]) if self.gzip else None
        self.done = False           # the stream (and, for gzip, its last member so far) has ended
        self.fed = False

    def __call__(self, data: bytes, most: int) -> Iterator[bytes]:
        data, self.held = self.held + data, b""
        self.fed = self.fed or bool(data)
        while data and most > 0:
            if self.inflate is None:            # deflate: zlib's two-byte header, or raw deflate
                if len(data) < 2:
                    self.held = data
                    return
                wrapped = data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
                self.inflate = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            if self.done:                       # past a gzip member: another one, or trailing bytes
                if not self.gzip or not GZIP_MAGIC.startswith(data[:2]):
                    return                      # what follows the stream is dropped, as browsers do
                if len(data) < 2:
                    self.held = data
                    return
                self.inflate, self.done = zlib.decompressobj(ENCODINGS["gzip"]), False
            block = self.inflate.decompress(data, most)
            yield block
            most -= len(block)
            self.done = self.inflate.eof
            data = self.inflate.unused_data if self.done else self.inflate.unconsumed_tail
        if data and not self.done:              # more to inflate than wanted: past the limit
            yield b"-"

    def finish(self) -> None:
        """Raise zlib.error if the stream ended early (an empty body is no stream)."""
        if self.fed and not self.done:
            raise zlib.error("it ends early")

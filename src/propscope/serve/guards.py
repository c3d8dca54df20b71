"""ASGI middleware that holds for every request: security headers, the bearer token, and
bounds on the request body's size and on how slowly it may arrive."""

from __future__ import annotations

import asyncio
import hmac
import logging

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import problems

# The page loads its script and style from this server only; nothing may frame it.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class PlainErrors:
    """A refusal that Starlette's own parts answer in plain text (a range a static file does not
    have, 416; a CORS preflight from an origin not allowed, 400) answered as every other: JSON."""

    CODES = {400: "bad_request", 416: "range_not_satisfiable"}
    SAID = {"disallowed cors origin": "this origin may not call the API from a browser; PROPSCOPE_SERVE_CORS_ORIGINS "
                                      "lists those that may"}

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        held: Message | None = None
        text = b""

        async def rewriting(message: Message) -> None:
            nonlocal held, text
            if message["type"] == "http.response.start" and message["status"] >= 400 and \
                    Headers(raw=message.get("headers", [])).get("content-type", "").startswith("text/plain"):
                held = message
                return
            if held is None:
                return await send(message)
            text += message.get("body", b"")
            if not message.get("more_body", False):
                headers = held.get("headers", [])
                kept = [(k, v) for k, v in headers if k.lower() not in (b"content-type", b"content-length")]
                answer = problems.response(problems.ApiError(
                    held["status"], self.CODES.get(held["status"], "http_error"), self._message(held["status"], text, headers)))
                answer.raw_headers += [(k, v) for k, v in kept if k.lower() not in {n for n, _ in answer.raw_headers}]
                await answer(scope, receive, send)

        await self.app(scope, receive, rewriting)

    def _message(self, status: int, text: bytes, headers: list) -> str:
        said = text.decode("utf-8", "replace").strip()
        if status == 416:           # Starlette's 416 has no body; its Content-Range gives the size
            size = Headers(raw=headers).get("content-range", "").rpartition("/")[2]
            return f"the range asked for is not within the file{f' of {size} bytes' if size.isdigit() else ''}; ask for one that is"
        return self.SAID.get(said.lower(), said or f"refused ({status})")


class Unexpected:
    """A failure no handler foresaw: logged with its traceback, answered 500 as JSON inside the
    other guards, so that the answer still carries the security and CORS headers."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = False

        async def noting(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)
        try:
            await self.app(scope, receive, noting)
        except Exception:
            logging.getLogger("propscope.serve").exception("failed on %s %s", scope.get("method"), scope.get("path"))
            if started:             # too late for another answer: the connection is closed on it
                raise
            await problems.response(problems.internal())(scope, receive, send)


def is_loopback(host: str) -> bool:
    """``host`` (an address or name, as a server binds it or a Host header names it) is this machine's
    loopback: localhost, or a loopback address written as one (127.0.0.1.evil.example is a name)."""
    import ipaddress
    name = host.strip("[]").lower()
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class LoopbackHosts:
    """A server on loopback answers only requests addressed to loopback: a web page elsewhere whose
    name is made to resolve to 127.0.0.1 (DNS rebinding) cannot drive it or read its corpus."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        host = Headers(scope=scope).get("host")
        if host is None:                # HTTP/1.0 without one: no browser page sends that
            return await self.app(scope, receive, send)
        if host.startswith("[") and "]" in host:        # [::1] or [::1]:8000
            name = host[1:host.index("]")]
        else:
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        if is_loopback(name):
            return await self.app(scope, receive, send)
        await problems.response(problems.foreign_host(host))(scope, receive, send)


class BearerToken:
    """When a token is set, every path but the open ones needs ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str, open_paths: tuple[str, ...]):
        self.app, self.token, self.open_paths = app, token.encode(), open_paths

    def _allowed(self, scope: Scope) -> bool:
        if not self.token or scope["path"] in self.open_paths or scope["path"].startswith("/static/"):
            return True
        scheme, _, given = Headers(scope=scope).get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), self.token)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allowed(scope):
            return await self.app(scope, receive, send)
        await problems.response(problems.unauthorized())(scope, receive, send)


class BodyLimit:
    """Refuse a body over ``limit`` bytes (413), declared or streamed, and one that has not
    arrived whole ``timeout`` seconds after it was first asked for (408): a byte every few
    seconds must not hold a connection for ever."""

    def __init__(self, app: ASGIApp, limit: int, timeout: float):
        self.app, self.limit, self.timeout = app, limit, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > self.limit:
            return await problems.response(problems.body_too_large(self.limit))(scope, receive, send)
        received, complete, deadline = 0, False, None

        async def limited_receive() -> Message:
            nonlocal received, complete, deadline
            if complete:                  # after the body, receive() waits for a disconnect
                return await receive()
            now = asyncio.get_running_loop().time()
            deadline = deadline if deadline is not None else now + self.timeout
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - now))
            except asyncio.TimeoutError:
                raise problems.body_timeout(self.timeout) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise problems.body_too_large(self.limit)
                complete = not message.get("more_body", False)
            return message

        await self.app(scope, limited_receive, send)

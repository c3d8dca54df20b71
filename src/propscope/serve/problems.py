"""Every refusal the API makes, as one JSON shape with a proper status code:

    {"error": {"code": "text_too_long", "message": "...", "limit": {"name": "PROPSCOPE_...", "value": 200000}}}

``limit`` is present when a configured limit was exceeded; the message always says what to do.
"""

from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import (ExtraMissing, FetchError, InputError, ModelError, NoCorpus, PropscopeError, RefusedAddress, StoreBusy,
                      TooLarge)

NO_STORE = {"Cache-Control": "no-store"}


class ApiError(HTTPException):
    """An HTTPException, so that FastAPI lets it through from the body reader too."""

    def __init__(self, status: int, code: str, message: str, limit: tuple[str, int | float] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(status, message, headers)
        self.code, self.message, self.limit = code, message, limit


def body(code: str, message: str, limit: tuple[str, int | float] | None = None) -> dict:
    error: dict = {"code": code, "message": message}
    if limit is not None:
        error["limit"] = {"name": limit[0], "value": limit[1]}
    return {"error": error}


def response(exc: ApiError) -> JSONResponse:
    return JSONResponse(body(exc.code, exc.message, exc.limit), exc.status_code, {**NO_STORE, **(exc.headers or {})})


# -- the refusals ----------------------------------------------------------------------------
def unauthorized() -> ApiError:
    return ApiError(401, "unauthorized", "this server needs a token: send the header 'Authorization: Bearer <token>'",
                    headers={"WWW-Authenticate": 'Bearer realm="propscope"'})


def foreign_host(host: str) -> ApiError:
    return ApiError(400, "foreign_host", f"this server listens on loopback and answers only requests addressed to it "
                    f"(Host: 127.0.0.1, localhost or [::1]), not to {host[:100]!r}")


def body_too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the request body is over the limit of {limit:,} bytes; send a shorter "
                    "article, or raise PROPSCOPE_SERVE_MAX_BODY", ("PROPSCOPE_SERVE_MAX_BODY", limit))


def body_timeout(seconds: float) -> ApiError:
    return ApiError(408, "body_timeout", f"the request body did not arrive within {seconds:g} s",
                    ("PROPSCOPE_SERVE_TIMEOUT", seconds), headers={"Connection": "close"})


def text_too_long(size: int, limit: int) -> ApiError:
    return ApiError(413, "text_too_long", f"the article text is {size:,} characters, over the limit of {limit:,}; "
                    "split it, or raise PROPSCOPE_SERVE_MAX_CHARS", ("PROPSCOPE_SERVE_MAX_CHARS", limit))


def busy(queue: int, retry_after: int) -> ApiError:
    return ApiError(429, "busy", f"the model is busy ({queue} requests may wait for it); try again in "
                    f"{retry_after} s", ("PROPSCOPE_SERVE_QUEUE", queue), headers={"Retry-After": str(retry_after)})


def too_busy_for(seconds: float, retry_after: int) -> ApiError:
    return ApiError(429, "busy", f"the model holds more work than it can clear within {seconds:g} s with this "
                    f"article's; try again in {retry_after} s", ("PROPSCOPE_SERVE_TIMEOUT", seconds),
                    headers={"Retry-After": str(retry_after)})


def timeout(seconds: float) -> ApiError:
    return ApiError(504, "timeout", f"the request took longer than {seconds:g} s; send a shorter article, "
                    "or raise PROPSCOPE_SERVE_TIMEOUT", ("PROPSCOPE_SERVE_TIMEOUT", seconds))


def corpus_timeout(seconds: float) -> ApiError:
    return ApiError(504, "timeout", f"reading the corpus took longer than {seconds:g} s (is its store locked by "
                    "another program?); ask again later, or raise PROPSCOPE_SERVE_TIMEOUT",
                    ("PROPSCOPE_SERVE_TIMEOUT", seconds))


def no_model_card() -> ApiError:
    return ApiError(404, "no_model_card", "this model's folder holds no MODEL_CARD.md")


def unknown_technique(name: str) -> ApiError:
    return ApiError(422, "unknown_technique", f"unknown technique {name!r}; GET /v1/techniques lists the names")


def from_library(exc: PropscopeError) -> ApiError:
    """The library's errors: an article over the length limit 413, input that cannot be analysed 422 (a URL that cannot be fetched or is
    refused included: it is the request's input), no corpus 404, the model or a part not installed
    503, anything else 500."""
    if isinstance(exc, NoCorpus):
        return ApiError(404, "no_corpus", str(exc))
    if isinstance(exc, RefusedAddress):     # the caller need not learn what the server's names resolve to
        return ApiError(422, "fetch_failed", exc.unnamed)
    if isinstance(exc, FetchError):
        return ApiError(422, "fetch_failed", str(exc), exc.limit)
    if isinstance(exc, TooLarge):       # an HTML page or body over the library's limit
        return ApiError(413, "too_large", str(exc), (exc.setting, exc.limit))
    if isinstance(exc, InputError):
        return ApiError(422, "bad_input", str(exc))
    if isinstance(exc, ModelError):
        return ApiError(503, "model_unavailable", str(exc))
    if isinstance(exc, ExtraMissing):
        return ApiError(503, "not_installed", str(exc))
    if isinstance(exc, StoreBusy):
        return ApiError(503, "store_busy", "the corpus store is locked by another program; ask again later")
    return ApiError(500, "error", str(exc))


# -- handlers --------------------------------------------------------------------------------
async def on_api_error(request: Request, exc: ApiError) -> JSONResponse:
    return response(exc)


async def on_library_error(request: Request, exc: PropscopeError) -> JSONResponse:
    return response(from_library(exc))


async def on_http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    message = {400: f"the body cannot be parsed: {_unparsed(exc.__cause__)}",
               404: f"no such endpoint: {request.url.path}; GET /openapi.json lists them",
               405: f"{request.method} is not allowed on {request.url.path}"}.get(exc.status_code, str(exc.detail))
    return response(ApiError(exc.status_code, code, message, headers=exc.headers))


def _unparsed(cause: BaseException | None) -> str:
    """Why FastAPI could not read a body as JSON (it says only "error parsing the body")."""
    if isinstance(cause, RecursionError):
        return "its JSON is nested deeper than the server reads (about 1,000 levels)"
    if isinstance(cause, ValueError) and "digits" in str(cause):     # Python's limit on an integer's length
        return "a number in its JSON has more than 4,300 digits"
    return "send JSON in UTF-8"


async def on_invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    problems = []
    for e in exc.errors()[:5]:
        if e.get("type") == "json_invalid":
            problems.append(f"the body is not valid JSON ({e.get('ctx', {}).get('error', 'cannot be parsed')})")
            continue
        where = ".".join(str(p) for p in e.get("loc", ()) if p != "body") or "body"
        message = str(e["ctx"]["error"]) if e.get("type") == "value_error" else e.get("msg", "invalid")
        problems.append(f"{where}: {message}")
    return response(ApiError(422, "invalid_request", "; ".join(problems) or "the request is not valid"))


def internal() -> ApiError:
    return ApiError(500, "internal", "the server failed on this request; it has been logged")


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return response(internal())


HANDLERS = {ApiError: on_api_error, PropscopeError: on_library_error, HTTPException: on_http_error,
            RequestValidationError: on_invalid_request, Exception: on_unexpected}

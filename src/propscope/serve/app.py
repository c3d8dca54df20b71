"""The HTTP API and the web page: a thin ASGI app over ``propscope.analyze``.

    POST /v1/analyze      text | html | url -> the versioned analysis JSON
    POST /v1/report       the same request -> the self-contained HTML report, as a download
    GET  /v1/techniques   the catalogue, with how far to trust the model for each technique
    GET  /v1/model        the model's version, validation figures and card
    GET  /v1/corpus       whether the server has a corpus, and what it holds
    GET  /v1/stats        the corpus statistics (when the server has a corpus: PROPSCOPE_DB)
    GET  /v1/stats/chart.png   the same, drawn
    GET  /health          liveness, model version (never needs the token)
    GET  /openapi.json    this API's OpenAPI document
    GET  /                the web page (static files, no inline script)
    GET  /model           the model card as a page (never needs the token: it is public documentation)
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
from importlib.resources import files
from typing import Annotated

from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from .. import __version__, settings
from ..corpus import chart as corpus_chart, stats as corpus_stats
from ..errors import PropscopeError
from ..reliability import from_validation
from ..render import card as model_card, json as render_json
from ..render.html import report as render_report
from ..techniques import CATALOGUE, FROM_SEMEVAL2023
from . import guards, problems
from .config import ServeConfig
from .models import (AnalysisOut, AnalyzeRequest, CorpusOut, ErrorOut, Health, ModelOut, StatsOut, StatsQuery,
                     TechniquesOut, stats_query)
from .runner import Runner

STATIC = files("propscope") / "serve" / "static"
OPEN_PATHS = ("/health", "/", "/model")      # the pages are public; the API behind them is guarded
REFUSED = {
    400: "The body cannot be parsed (it is not UTF-8, or its JSON is nested about 1,000 deep or holds a number of "
         "over 4,300 digits).",
    401: "No or wrong bearer token (when the server has one).",
    408: "The request body arrived too slowly (PROPSCOPE_SERVE_TIMEOUT).",
    413: "The body (PROPSCOPE_SERVE_MAX_BODY), the article text (PROPSCOPE_SERVE_MAX_CHARS) or the HTML "
         "(PROPSCOPE_MAX_CHARS) is too large.",
    422: "The request is not valid, or its input cannot be analysed: not English, no article text in the page, "
         "an unknown technique, a URL that cannot be fetched or is refused (loopback, private, link-local).",
    429: "The model is busy: as many requests as PROPSCOPE_SERVE_QUEUE allows already wait for it in this server "
         "process, or the work ahead would keep this one past PROPSCOPE_SERVE_TIMEOUT; retry after the "
         "Retry-After header's seconds.",
    503: "The model cannot be loaded.",
    504: "The analysis took longer than PROPSCOPE_SERVE_TIMEOUT.",
}
CORPUS_REFUSED = {
    401: REFUSED[401],
    404: "The server has no corpus (PROPSCOPE_DB names no store that exists), or none the model asked for analysed.",
    422: "A query parameter is not valid.",
    500: "The corpus cannot be read (a PostgreSQL server that does not answer, say).",
}
REFUSALS = {status: {"model": ErrorOut, "description": what} for status, what in REFUSED.items()}
CORPUS_REFUSALS = {status: {"model": ErrorOut, "description": what} for status, what in CORPUS_REFUSED.items()}


def _as_json(refused: dict[int, str]) -> dict:
    # a route that answers something else (HTML, PNG) would label its refusals so: name their JSON
    return {status: {"description": what, "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/ErrorOut"}}}} for status, what in refused.items()}


JSON_REFUSALS = _as_json(REFUSED)
CHART_REFUSALS = _as_json({**CORPUS_REFUSED, 503: "matplotlib is not installed on the server (the plot extra)."})


class PNGResponse(Response):
    media_type = "image/png"


def create_app(config: ServeConfig | None = None) -> FastAPI:
    config = config or ServeConfig.from_env()
    runner = Runner(config)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        detector = await runner.start()               # once per worker process
        app.state.model = detector.version
        app.state.card = model_card.read(detector.folder)
        # how far to trust the model, for each way of reading names a request may ask for
        app.state.validations = {blind: detector.validation(blind) for blind in (None, True, False)}  # None: the server's
        app.state.reliability = {blind: {name: r.to_dict() for name, r in from_validation(v).items()}
                                 for blind, v in app.state.validations.items()}
        try:
            yield
        finally:
            runner.close()

    app = FastAPI(title="propscope", version=__version__, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url=None, exception_handlers=problems.HANDLERS,
                  description="Which fragments of a news article use which of the 14 propaganda techniques "
                              "of the Propaganda Techniques Corpus, with calibrated confidence. Errors are "
                              '`{"error": {"code", "message", "limit"?}}`.')

    @app.post("/v1/analyze", response_model=None, responses={200: {"model": AnalysisOut}, **REFUSALS},
              summary="Analyse an article given as text, HTML or a URL")
    async def analyze(request: AnalyzeRequest) -> JSONResponse:
        analysis = await runner.analyze(request)
        return JSONResponse(render_json.to_dict(analysis), headers=problems.NO_STORE)

    @app.post("/v1/report", response_class=HTMLResponse, responses=JSON_REFUSALS,
              summary="The same analysis as a self-contained HTML report, to download")
    async def report(request: AnalyzeRequest, http: Request) -> HTMLResponse:
        analysis = await runner.analyze(request)
        if request.url is None and request.source is None and not analysis.meta.get("title"):   # pasted: named as the page names it
            analysis = dataclasses.replace(analysis, source=None, meta={**analysis.meta, "title": "Your article"})
        validation = http.app.state.validations[request.blind_names]      # the figures of the reading asked for
        page = await runner.render(functools.partial(
            render_report, [analysis], request.threshold, from_validation(validation), card=http.app.state.card))
        return HTMLResponse(page, headers={**problems.NO_STORE,
                                           "Content-Disposition": 'attachment; filename="propscope-report.html"'})

    @app.get("/v1/techniques", response_model=TechniquesOut, responses={401: REFUSALS[401]},
             summary="The 14 techniques: names, labels, definitions, examples, colours")
    async def techniques(request: Request, blind_names: Annotated[bool | None, Query(
            description="How far to trust the model when it reads names blinded (true) or as written "
                        "(false); default: the server's setting.")] = None) -> dict:
        reliability = request.app.state.reliability[blind_names]
        return {"techniques": [{"name": t.name, "label": t.label, "definition": t.definition,
                                "example": t.example, "colour": t.colour, "semeval2023": list(t.semeval2023),
                                "reliability": reliability.get(t.name)}
                               for t in CATALOGUE],
                "semeval2023_not_detected": [n for n, p in FROM_SEMEVAL2023.items() if p is None]}

    @app.get("/v1/model", response_model=ModelOut, responses={401: REFUSALS[401]},
             summary="The model: its version, validation figures and model card (Markdown)")
    async def model(request: Request) -> dict:
        state = request.app.state
        return {"version": state.model, "validation": state.validations[None], "card": state.card}

    @app.get("/v1/corpus", response_model=CorpusOut,
             responses={401: REFUSALS[401], 500: CORPUS_REFUSALS[500]},
             summary="Whether the server has a corpus (PROPSCOPE_DB), its articles and the models that analysed them")
    async def corpus(request: Request) -> dict:
        return {**await runner.corpus(corpus_stats.overview, config.db), "model": request.app.state.model}

    @app.get("/v1/stats", response_model=StatsOut, responses=CORPUS_REFUSALS,
             summary="Corpus statistics per outlet, period and technique (the server's PROPSCOPE_DB store)")
    async def stats(query: Annotated[StatsQuery, Depends(stats_query)]) -> JSONResponse:
        result = await runner.corpus(_stats, config.db, query)
        return JSONResponse(result.to_dict(), headers=problems.NO_STORE)

    @app.get("/v1/stats/chart.png", response_class=PNGResponse, responses={200: {
                 "description": "Spans per 1,000 words per outlet, and the top techniques' share of articles, over "
                                "the periods."}, **CHART_REFUSALS},
             summary="The corpus statistics drawn as a PNG")
    async def stats_chart(query: Annotated[StatsQuery, Depends(stats_query)]) -> PNGResponse:
        result = await runner.corpus(_stats, config.db, query)
        return PNGResponse(await runner.render(corpus_chart.png, result), headers=problems.NO_STORE)

    @app.get("/health", response_model=Health, summary="Liveness; needs no token")
    async def health(request: Request) -> dict:
        return {"status": "ok", "version": __version__, "model": request.app.state.model}

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi() -> JSONResponse:
        return JSONResponse(_openapi(app, bool(config.token)))

    @app.get("/", include_in_schema=False)
    async def page() -> FileResponse:
        return FileResponse(str(STATIC / "index.html"), media_type="text/html; charset=utf-8")

    @app.get("/model", include_in_schema=False)
    async def card_page(request: Request) -> HTMLResponse:
        if request.app.state.card is None:
            raise problems.no_model_card()
        return HTMLResponse(model_card.page(request.app.state.card, request.app.state.model, "/static/app.css"))

    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    # added inside out: the last one added sees the request first
    app.add_middleware(guards.Unexpected)
    app.add_middleware(guards.BodyLimit, limit=config.max_body, timeout=config.timeout)
    app.add_middleware(guards.BearerToken, token=config.token, open_paths=OPEN_PATHS)
    if guards.is_loopback(config.host):
        app.add_middleware(guards.LoopbackHosts)
    if config.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(config.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"], expose_headers=["Retry-After"],
                           max_age=600)
    app.add_middleware(guards.PlainErrors)
    app.add_middleware(guards.SecurityHeaders)
    return app


def _stats(db: str, query: StatsQuery) -> corpus_stats.Stats:
    return corpus_stats.of_store(db, query.where(), **query.options)


def _openapi(app: FastAPI, token: bool) -> dict:
    """FastAPI's document, plus the bearer token on every operation but /health when one is set."""
    document = app.openapi()
    if token and "securitySchemes" not in document.get("components", {}):
        document.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        for path, operations in document["paths"].items():
            for operation in operations.values():
                if path != "/health":
                    operation["security"] = [{"bearer": []}]
    return document


CONNECTIONS = 512       # open connections one server process holds at once
# seconds an idle connection is kept open: longer than clients keep theirs (httpx 5, aiohttp 15), so
# that a client never sends its next request just as the server closes the connection under it
# (uvicorn's own 5 s matched httpx's, and one request in a while was lost to the race)
KEEP_ALIVE = 20


def run(host: str | None = None, port: int | None = None, workers: int | None = None) -> None:
    """Serve until interrupted; arguments left out come from the PROPSCOPE_SERVE_* settings."""
    import os

    import uvicorn
    config = ServeConfig.from_env()
    settings.check()            # every setting the workers will read: a bad one is one line now, not later
    from ..model.detector import model_folder
    if not (model_folder() / "config.json").is_file():
        raise PropscopeError(f"{model_folder()}: no model there (no config.json); see PROPSCOPE_MODEL_DIR")
    workers = settings.check_workers(workers if workers is not None else config.workers, env=workers is None)
    host = host if host else config.host
    os.environ[settings.SETTINGS["serve_host"].env] = host      # the workers' app reads where it listens
    if workers > 1 and "PROPSCOPE_THREADS" not in os.environ:
        # one model per worker: share the cores out rather than oversubscribe them
        os.environ["PROPSCOPE_THREADS"] = str(max(1, (os.cpu_count() or 1) // workers))
    port = port if port is not None else config.port
    try:
        # limit_concurrency: connections past it get a 503 at once, rather than the process running out
        # of file descriptors (a thousand idle connections held a server at 1,024 silent)
        uvicorn.run("propscope.serve.app:create_app", factory=True, host=host, port=port, workers=workers,
                    proxy_headers=False, server_header=False, limit_concurrency=CONNECTIONS,
                    timeout_keep_alive=KEEP_ALIVE,
                    timeout_graceful_shutdown=int(config.timeout), log_level="info")
    except SystemExit as exc:
        if exc.code == 3:           # uvicorn's startup failure, said above it: not propscope's model exit code
            raise PropscopeError(f"could not serve on {host}:{port} (see above: the port in use, or an address "
                                 "that is not this machine's)") from None
        raise

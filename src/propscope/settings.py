"""Every setting: name, default, help, environment variable. Read here and nowhere else."""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import PropscopeError


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str
    minimum: int | None = None      # a number setting's least value
    maximum: int | None = None      # and its greatest
    kind: str = "text"              # "number" (get_int), "switch" (get_bool) or "text"

    @property
    def env(self) -> str:
        return "PROPSCOPE_" + self.name.upper()

    def get(self) -> str:
        return os.environ.get(self.env, self.default)


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    Setting("max_chars", "2000000", "Longest article accepted, in characters (longer ones are refused).", minimum=1,
            maximum=10**9, kind="number"),
    Setting("threads", "0", "Threads for model inference; 0 lets onnxruntime choose (all cores).", minimum=0,
            maximum=1024, kind="number"),
    Setting("model", "fast", "Which bundled model reads articles: fast (the bottom 4 layers of MPNet-base), "
            "large (all 12, trained on text with names blinded: several times slower) or combined (the two read "
            "together: the most accurate, and the slowest; see The model)."),
    Setting("model_dir", "", "Folder of a model to use instead of the bundled ones."),
    Setting("blind_names", "1", "1 reads each run of names as a placeholder word (the same name as the same word), so that swapping "
            "one name for another changes little of what is flagged; 0 reads names as written (about as "
            "accurate, but names then move more of the results: see the model card).", kind="switch"),
    Setting("fetch_timeout", "15", "Seconds a web page may take to arrive, the name's lookup and redirects included.", minimum=1,
            maximum=3600, kind="number"),
    Setting("fetch_max_bytes", "5000000", "Largest web page read: bytes fetched, as sent and as decoded, or characters of HTML given (larger ones "
            "are refused; the article's text extracted from it is held to PROPSCOPE_MAX_CHARS).", minimum=1,
            maximum=10**10, kind="number"),
    Setting("fetch_max_redirects", "5", "Redirects followed when fetching a URL.", minimum=0, maximum=100,
            kind="number"),
    Setting("db", "propscope.db", "The corpus store for ingest, stats, export and the web page's corpus charts: a SQLite "
            "file, or a postgresql:// URL."),
    Setting("serve_host", "127.0.0.1", "Address `propscope serve` listens on."),
    Setting("serve_port", "8000", "Port `propscope serve` listens on.", minimum=0, maximum=65535,
            kind="number"),
    Setting("serve_workers", "1", "Server processes, each with its own copy of the model (at most four a core).", minimum=1,
            maximum=256, kind="number"),
    Setting("serve_max_body", "4000000", "Largest request body the server accepts, in bytes.", minimum=1,
            maximum=10**10, kind="number"),
    Setting("serve_max_chars", "200000", "Longest article text the server analyses, in characters.", minimum=1,
            maximum=10**9, kind="number"),
    Setting("serve_timeout", "60", "Seconds a request may take, fetching included, before it is refused.",
            minimum=1, maximum=86400, kind="number"),
    Setting("serve_queue", "64", "Requests a server process lets wait for the model while it analyses another; "
            "the next is refused at once (429 with Retry-After).", minimum=0,
            maximum=100000, kind="number"),
    Setting("serve_token", "", "Bearer token every API request must carry (not /health, /model or the web page itself); empty: no token needed."),
    Setting("serve_cors_origins", "", "Comma-separated origins allowed to call the API from a browser; empty: none."),
    Setting("serve_allow_private", "0", "1 lets the server fetch URLs on loopback, private and link-local addresses.",
            kind="switch"),
)}


def check() -> None:
    """Read every number and switch setting: a bad value is a PropscopeError now, not when a later
    request or a server worker first reads it."""
    for name, setting in SETTINGS.items():
        if setting.kind == "number":
            get_int(name)
        elif setting.kind == "switch":
            get_bool(name)


def check_workers(workers: int, env: bool = False) -> int:
    """``workers`` model-holding processes, if this machine can run them: at most four a core (each holds
    its own model, about 300 MiB, and more only queue for the cores)."""
    most = 4 * (os.cpu_count() or 1)
    if workers > most:
        said = f"{SETTINGS['serve_workers'].env}={workers}" if env else f"--workers {workers:,}"
        raise PropscopeError(f"{said}: at most {most} on this machine's {os.cpu_count() or 1} cores "
                             "(four a core; each worker holds its own copy of the model, about 300 MiB)")
    return workers


def get(name: str) -> str:
    return SETTINGS[name].get()


def get_int(name: str) -> int:
    setting, value = SETTINGS[name], get(name)
    try:
        number = int(value)
    except ValueError:
        raise PropscopeError(f"{setting.env}={value!r} is not a whole number") from None
    if setting.minimum is not None and number < setting.minimum:
        raise PropscopeError(f"{setting.env}={number} should be at least {setting.minimum}")
    if setting.maximum is not None and number > setting.maximum:
        raise PropscopeError(f"{setting.env}={number} should be at most {setting.maximum:,}")
    return number


_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def get_bool(name: str) -> bool:
    value = get(name)
    switch = value.strip().lower()
    if switch in _TRUE + _FALSE:
        return switch in _TRUE
    raise PropscopeError(f"{SETTINGS[name].env}={value!r} should be 1 or 0")

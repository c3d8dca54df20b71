"""Batch analysis of a corpus too large for one store: JSON Lines or Parquet files in, a folder
of part files out (Parquet or JSON Lines), one row per article with its metadata, its text, the
model's version and its spans.

A run is planned first: each input file is cut into parts of ``part_size`` articles
(Parquet by rows; JSON Lines by lines, found in one pass over the file and kept as byte ranges),
and the plan is saved in the output folder. A worker loads the model once, then reads, analyses
and writes one part at a time, under a temporary name renamed when complete. Running the same
command again writes only the missing parts: a killed run loses the parts in progress, nothing
else, and redoes nothing. A record that cannot be analysed (no text, not JSON, too long, not
English...) is a row with its ``error`` and no spans: the run goes on. ``engines`` runs the
workers: processes here, or actors of a Ray cluster.
"""

from __future__ import annotations

import importlib.util
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import errors, settings
from ..errors import InputError, ModelError, PropscopeError
from ..output import atomic
from ..spans import Span
from ..text.read import without_surrogates
from .store import OUTLET_FIELDS, one_line, outlet_fields

COLUMNS = ("id", "text", "url", "outlet", "title", "author", "published", "language")   # kept from the input
REQUIRED = ("id", "text")
FORMATS = ("parquet", "jsonl")
SUFFIXES = {".jsonl": "jsonl", ".parquet": "parquet"}
PLAN = "_propscope_batch.json"       # pyarrow and Ray skip names starting with _ or . when reading a folder
PART_SIZE = 1000                     # articles per part
CHUNK = 8 << 20                      # bytes of a JSON Lines file read at a time to find its parts
SHOWN_FAILURES = 10                  # failed articles named on stderr; the rest are in the error column


@dataclass(frozen=True)
class Part:
    """Rows [start, end) of a Parquet file, or the lines starting in bytes [start, end) of a JSON Lines file,
    ``line`` lines of the file before them (to name a line by its number; -1 in a plan saved before
    2026-12-06, whose lines are named by byte)."""

    index: int
    path: str
    kind: str
    start: int
    end: int
    line: int = -1

    def name(self, fmt: str) -> str:
        return f"part-{self.index:06d}.{fmt}"


@dataclass(frozen=True)
class Plan:
    """What a run does: its settings, its inputs (path, size and time modified) and its parts."""

    model: str
    sensitive: bool
    fmt: str
    part_size: int
    inputs: tuple[tuple, ...]
    parts: tuple[Part, ...] = ()
    any_language: bool = False
    max_chars: int | None = None        # PROPSCOPE_MAX_CHARS (None: a plan saved before 2026-12-06)

    def differences(self, other: Plan) -> list[str]:
        """What ``other`` (a fresh plan) does otherwise; an input saved without its time (before
        2026-12-06) is compared by path and size."""
        said = [f"{name} {mine} then, {theirs} now" for name, mine, theirs in (
            ("model", self.model, other.model), ("sensitive", self.sensitive, other.sensitive),
            ("format", self.fmt, other.fmt), ("part size", self.part_size, other.part_size),
            ("any language", self.any_language, other.any_language)) if mine != theirs]
        if None not in (self.max_chars, other.max_chars) and self.max_chars != other.max_chars:
            said.append(f"PROPSCOPE_MAX_CHARS {self.max_chars} then, {other.max_chars} now")
        then, now = [i[0] for i in self.inputs], [i[0] for i in other.inputs]
        if then != now:
            gone, new = [p for p in then if p not in now], [p for p in now if p not in then]
            said.append("; ".join([*([f"no longer given: {', '.join(gone[:3])}"] if gone else []),
                                   *([f"given now: {', '.join(new[:3])}"] if new else [])])
                        or "the same inputs in another order")
        else:
            said += [f"{old[0]} changed since" for old, new in zip(self.inputs, other.inputs)
                     if tuple(old) != tuple(new)[:len(old)]][:1]
        return said


@dataclass
class Report:
    parts: int = 0
    already: int = 0        # parts written by an earlier run
    written: int = 0        # parts written by this run
    articles: int = 0       # articles in the parts this run wrote, failed ones included
    model: str = ""
    seconds: float = 0.0
    output: str = ""
    failures: list[str] = field(default_factory=list)    # of the articles this run wrote
    earlier: list[str] = field(default_factory=list)      # of those in the parts already there
    empty: list[str] = field(default_factory=list)        # inputs that hold no article at all

    def summary(self) -> str:
        rate = f" ({self.articles / self.seconds:.1f} articles/s)" if self.articles and self.seconds else ""
        before = f", {self.already} already there" if self.already else ""
        failed = (f"; {len(self.failures)} of them failed (their rows hold the error, and no spans)"
                  if self.failures else "")
        earlier = f" ({len(self.earlier)} failed articles among them)" if self.earlier else ""
        empty = (f"; no articles in {', '.join(self.empty[:3])}{' and others' if len(self.empty) > 3 else ''}"
                 if self.empty else "")
        return (f"{self.articles} articles analysed by model {self.model} in {self.written} parts{rate}"
                f"{failed}{before}{earlier}; {self.parts} parts in {self.output}{empty}")


Progress = Callable[[str, int, int | None], None]      # (stage, done, total or None)


def run(inputs: list[str], output: str | Path, *, engine: str = "local", workers: int = 1,
        threads: int | None = None, address: str | None = None, fmt: str = "parquet",
        part_size: int = PART_SIZE, sensitive: bool = False, any_language: bool = False,
        progress: Progress | None = None) -> Report:
    """Analyse every article of ``inputs`` (JSON Lines or Parquet files, or folders of them, each
    article with an ``id`` and a ``text``) into part files in the folder ``output``.

    ``workers`` processes (``engine="local"``) or Ray actors (``"ray"``; on the cluster at
    ``address``, else on a Ray started here) each load the model once and use ``threads``
    inference threads. Run it again after a failure: only the missing parts are written.
    ``any_language``: analyse text that is confidently not English too (else such a row fails)."""
    from . import engines
    if engine not in engines.ENGINES:
        raise InputError(f"unknown engine {engine!r}; use one of {', '.join(engines.ENGINES)}")
    if address and engine != "ray":
        raise InputError("--address names a Ray cluster: use it with --engine ray")
    if fmt not in FORMATS:
        raise InputError(f"unknown batch format {fmt!r}; use one of {', '.join(FORMATS)}")
    if engine == "local":           # Ray actors are placed on the cluster, which may have the cores
        settings.check_workers(workers)
    out = Path(output).resolve()
    job = plan(inputs, out, fmt=fmt, part_size=part_size, sensitive=sensitive, any_language=any_language)
    for stale in out.glob(".part-*"):           # temporary files of a run that was killed
        stale.unlink(missing_ok=True)
    pending = [p for p in job.parts if not (out / p.name(fmt)).exists()]
    report = Report(parts=len(job.parts), already=len(job.parts) - len(pending), model=job.model, output=str(output),
                    earlier=[e for p in job.parts if p not in pending for e in _failures(out / p.name(fmt), fmt)],
                    empty=[i[0] for i in job.inputs if not any(p.path == i[0] for p in job.parts)])
    started = time.perf_counter()
    if pending:
        worker = {"output": str(out), "model": job.model, "fmt": fmt, "sensitive": sensitive,
                  "any_language": any_language, "environment": _settings()}
        for articles, failures in engines.ENGINES[engine](pending, worker, workers=workers, threads=threads,
                                                          address=address):
            report.written += 1
            report.articles += articles
            report.failures += failures
            if progress:
                progress("analysing", report.written, len(pending))
    report.seconds = time.perf_counter() - started
    return report


def _settings() -> dict[str, str | None]:
    """This run's propscope settings, for workers that do not share its environment (Ray actors
    on a cluster started apart: --model, --no-blind-names and the limits must reach them, and a
    setting the run leaves unset must not be set there); None: unset."""
    return {s.env: os.environ.get(s.env) for s in settings.SETTINGS.values()}


# -- the plan ---------------------------------------------------------------------------------
def plan(inputs: list[str], out: Path, *, fmt: str, part_size: int, sensitive: bool,
         any_language: bool = False) -> Plan:
    """The run's plan: the one saved in the folder ``out`` when it is the same run, else a new
    one, saved there (the folder is made if missing)."""
    if part_size < 1:
        raise InputError("the part size is a number of articles: 1 or more")
    if fmt == "parquet" and importlib.util.find_spec("pyarrow") is None:     # before any work, not after it
        raise InputError("Parquet output needs the corpus extra: pip install 'propscope[corpus]' (or --format jsonl)")
    files = input_files(inputs, out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{out}: cannot make the output folder ({exc.strerror})") from None
    from ..model.detector import current_version
    fresh = Plan(current_version(), sensitive, fmt, part_size,
                 tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files), any_language=any_language,
                 max_chars=settings.get_int("max_chars"))
    saved = out / PLAN
    if saved.exists():
        old = _load_plan(saved)
        if changed := old.differences(fresh):
            raise InputError(f"{out} holds a run with other inputs or settings ({'; '.join(changed)}); "
                             "give another output folder, or delete that one")
        return old
    if any(out.glob("part-*")):        # another run's parts, its plan gone: they would be counted as done
        raise InputError(f"{out} holds part files but no plan ({PLAN}) saying which run wrote them; "
                         "give another output folder, or delete the part files")
    parts: list[Part] = []
    for path in files:
        cut = _parquet_parts if SUFFIXES[path.suffix.lower()] == "parquet" else _jsonl_parts
        for k, (start, end) in enumerate(cut(path, part_size)):
            parts.append(Part(len(parts), str(path), SUFFIXES[path.suffix.lower()], start, end, k * part_size))
    job = Plan(fresh.model, sensitive, fmt, part_size, fresh.inputs, tuple(parts), any_language, fresh.max_chars)
    with atomic(saved, "w") as f:
        json.dump({**asdict(job), "parts": [asdict(p) for p in parts]}, f, indent=1)
    return job


def _load_plan(path: Path) -> Plan:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Plan(data["model"], data["sensitive"], data["fmt"], data["part_size"],
                    tuple(tuple(i) for i in data["inputs"]), tuple(Part(**p) for p in data["parts"]),
                    bool(data.get("any_language", False)), data.get("max_chars"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path}: not a propscope batch plan ({exc}); give another output folder") from None


def input_files(inputs: list[str], out: Path | None = None) -> list[Path]:
    """The .jsonl and .parquet files the inputs name, folders expanded, as absolute paths, each
    once. A folder cannot be the output folder ``out`` too: its part files would be read as
    input on the next run."""
    files: list[Path] = []
    for given in inputs:
        path = Path(given)
        if path.is_dir():
            if out is not None and path.resolve() == out.resolve():
                raise InputError(f"{path}: the output folder cannot be an input folder too (its part files "
                                 "would be read as articles); give another -o")
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
            if not found:
                raise InputError(f"{path}: folder holds no .jsonl or .parquet files")
            files += found
        elif not path.exists():
            raise errors.not_found(path)
        elif path.suffix.lower() not in SUFFIXES:
            raise InputError(f"{path}: batch reads .jsonl and .parquet files (one article a line or row, "
                             "with id and text)")
        else:
            files.append(path)
    return list(dict.fromkeys(f.resolve() for f in files))      # a file named twice is read once


def _parquet_file(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet needs the corpus extra: pip install 'propscope[corpus]'") from None
    try:
        return pq.ParquetFile(path)
    except OSError as exc:
        raise errors.unreadable(path, exc.strerror or str(exc)) from None
    except Exception as exc:        # pyarrow.ArrowInvalid and kin: not Parquet, or damaged
        raise InputError(f"{path}: not a readable Parquet file ({exc})") from None


def _parquet_parts(path: Path, size: int) -> list[tuple[int, int]]:
    f = _parquet_file(path)
    missing = [c for c in REQUIRED if c not in f.schema_arrow.names]
    if missing:
        raise InputError(f"{path}: no {' or '.join(missing)} column; batch needs id and text")
    rows = f.metadata.num_rows
    return [(start, min(start + size, rows)) for start in range(0, rows, size)]


def _jsonl_parts(path: Path, size: int) -> list[tuple[int, int]]:
    """Byte ranges of ``size`` lines each (blank ones counted), found in one pass over the file:
    however long or uneven its lines, a part holds what the part size says."""
    starts, lines, offset = [0], 0, 0
    try:
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                n = chunk.count(b"\n")
                if lines + n < size:                # no part ends in this chunk
                    lines += n
                else:
                    at = chunk.find(b"\n")
                    while at >= 0:
                        lines += 1
                        if lines == size:
                            starts.append(offset + at + 1)
                            lines = 0
                        at = chunk.find(b"\n", at + 1)
                offset += len(chunk)
    except OSError as exc:
        raise errors.unreadable(path, exc.strerror or str(exc)) from None
    if starts[-1] >= offset:                        # the last part ended with the file
        starts.pop()
    return list(zip(starts, [*starts[1:], offset]))


# -- one part ---------------------------------------------------------------------------------
def read(part: Part) -> Iterator[dict]:
    """The part's articles: id and text as strings, the other known columns as strings or None,
    ``error`` None; a record that cannot be read has its ``error`` said, with its place."""
    path = Path(part.path)
    if part.kind == "parquet":
        yield from _parquet_rows(path, part.start, part.end)
        return
    try:
        with path.open("rb") as f:
            if part.start:
                f.seek(part.start - 1)
                f.readline()                 # the line holding byte start - 1 is the part before's
            at, number = f.tell(), part.line
            while at < part.end:
                line = f.readline()
                if not line:
                    return
                number += 1
                if line.strip():
                    yield _readable(line, f"{path}:{number}" if part.line >= 0 else f"{path}, line at byte {at}")
                at += len(line)
    except OSError as exc:
        raise errors.unreadable(path, exc.strerror or str(exc)) from None


def _parquet_rows(path: Path, start: int, end: int) -> Iterator[dict]:
    f = _parquet_file(path)
    columns = [c for c in dict.fromkeys((*COLUMNS, *OUTLET_FIELDS)) if c in f.schema_arrow.names]
    import pyarrow as pa
    offset = 0
    for g in range(f.num_row_groups):     # a group at a time: a damaged page fails its own group's rows only
        n = f.metadata.row_group(g).num_rows
        at, offset = offset, offset + n
        if not (at < end and at + n > start):
            continue
        batches = f.iter_batches(batch_size=1024, row_groups=[g], columns=columns)
        while at < min(end, offset):
            try:
                batch = next(batches, None)
            except (OSError, pa.ArrowException) as exc:     # a damaged page: the rest of this group cannot be read
                for row in range(max(at, start), min(end, offset)):
                    yield failed(f"{path}, row {row + 1}: cannot be read there ({_said(exc)})")
                break
            if batch is None:
                break
            lo, hi = max(start - at, 0), min(end - at, batch.num_rows)
            rows = batch.slice(lo, max(hi - lo, 0))
            try:
                records = rows.to_pylist()
            except _UNREADABLE:         # a value Python cannot hold: each row on its own, the bad ones failing
                records = [_one_row(rows, i) for i in range(rows.num_rows)]
            for i, record in enumerate(records):
                where = f"{path}, row {at + lo + i + 1}"
                yield failed(f"{where}: {record.error}", record.id) if isinstance(record, _Unread) else _checked(record, where)
            at += batch.num_rows


_UNREADABLE = (ValueError, OverflowError, OSError)   # bytes not UTF-8 in a string column, a date past year 9999


@dataclass(frozen=True)
class _Unread:
    error: str
    id: object = None


def _one_row(rows, i: int) -> dict | _Unread:
    """Row ``i`` of a record batch, or why it cannot be read (with its id, where that can be)."""
    row = rows.slice(i, 1)
    try:
        return row.to_pylist()[0]
    except _UNREADABLE as exc:
        bad = []
        for name in row.schema.names:
            try:
                row.column(name).to_pylist()
            except _UNREADABLE:
                bad.append(name)
        aid = None if "id" in bad or "id" not in row.schema.names else row.column("id").to_pylist()[0]
        return _Unread(f"the {', '.join(bad) or 'row'} cannot be read ({_said(exc)})", aid)


def _said(exc: BaseException) -> str:
    said = one_line(str(exc))           # a damaged file's message can carry control characters
    return f"{type(exc).__name__}: {said[:200]}" if said else type(exc).__name__


def _readable(line: bytes, where: str) -> dict:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError) as exc:     # RecursionError: nested past Python's depth
        return failed(f"{where}: not JSON ({exc})")
    return _checked(record, where)


def _checked(record, where: str) -> dict:
    """``where``: the file and its line (from 1) or row (from 1)."""
    try:
        return _article(record, where)
    except InputError as exc:
        return failed(str(exc), record.get("id") if isinstance(record, dict) else None)


def failed(error: str, article_id=None) -> dict:
    """The row of an article that could not be analysed."""
    return {**{c: None for c in COLUMNS}, "id": _writable(_string(article_id)), "error": _writable(error)}


def _writable(value: str | None) -> str | None:
    """``value`` as UTF-8 can hold it: a lone surrogate (a JSON escape can make one) becomes U+FFFD."""
    return without_surrogates(value) if value is not None else None


def _article(record, where: str) -> dict:
    if not isinstance(record, dict):
        raise InputError(f"{where}: not a JSON object; give one article a line, with id and text")
    for name in REQUIRED:
        if record.get(name) is None:
            raise InputError(f"{where}: no {name}; batch needs id and text for every article")
    if isinstance(record["text"], bytes):           # a Parquet binary column, as Spark and Hive write strings
        record = {**record, "text": _string(record["text"], "text", where)}
    if not isinstance(record["text"], str):
        raise InputError(f"{where}: text is not a string")
    if not record["text"].strip():
        raise InputError(f"{where}: the text is empty; batch needs id and text for every article")
    article = {c: _string(record.get(c), c, where) for c in COLUMNS}
    # the outlet, as analyze and ingest read it: outlet, else source, else site
    article["outlet"] = next((_string(record[k], k, where) for k in outlet_fields(record) if record.get(k) is not None), None)
    for column, value in article.items():
        if column != "text" and value is not None and _writable(value) != value:   # the text is checked as analyze checks it
            raise InputError(f"{where}: the {column} is not valid Unicode text (a lone surrogate)")
    return {**article, "error": None, "where": where}


def _string(value, column: str | None = None, where: str = "") -> str | None:
    """A field as text: an id a string or a whole number, as analyze reads ids (4.0 and true are
    refused, not made "4.0" and "True"); bytes (a Parquet binary column) as UTF-8; a date in ISO
    8601; a list or object as JSON. ``column`` None: as best it can, for a failed row's id."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            if column is None:
                return value.decode("utf-8", "replace")
            raise InputError(f"{where}: the {column} is not valid UTF-8") from None
    if column == "id" and (isinstance(value, bool) or not isinstance(value, int)):
        raise InputError(f"{where}: the id {json.dumps(value, default=str)} is not text or a whole number")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (dict, list, tuple, bool)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _schema():
    import pyarrow as pa
    span = pa.struct([("start", pa.int64()), ("end", pa.int64()), ("technique", pa.string()),
                      ("confidence", pa.float64())])
    return pa.schema([*((c, pa.string()) for c in COLUMNS), ("model", pa.string()), ("spans", pa.list_(span)),
                      ("error", pa.string())])


def _failures(path: Path, fmt: str) -> list[str]:
    """The errors of a part file's failed articles (none in a part written before rows had them)."""
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as f:
            return [e for line in f if line.strip() and (e := json.loads(line).get("error"))]
    import pyarrow.parquet as pq
    if "error" not in pq.read_schema(path).names:
        return []
    return [e for e in pq.read_table(path, columns=["error"]).column("error").to_pylist() if e]


def write(path: Path, rows: list[dict], fmt: str) -> None:
    """One part file, there only once complete."""
    if fmt == "jsonl":
        with atomic(path, "w") as f:
            for r in rows:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
        return
    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.Table.from_pylist(rows, schema=_schema())
    with atomic(path, "wb") as f:
        pq.write_table(table, f, compression="zstd")


def row(article: dict, model: str, spans: list[Span]) -> dict:
    return {**{c: article.get(c) for c in COLUMNS}, "model": model, "spans": [
        {"start": s.start, "end": s.end, "technique": s.technique, "confidence": s.confidence} for s in spans],
        "error": article.get("error")}


class Worker:
    """Loads the model once, with ``threads`` inference threads; then reads, analyses and writes
    one part at a time into the folder ``output``. ``environment``: the run's propscope settings,
    taken on before the model loads."""

    def __init__(self, output: str, model: str, fmt: str, sensitive: bool = False, threads: int | None = None,
                 any_language: bool = False, environment: dict[str, str | None] | None = None):
        from ..model.detector import load
        for name, value in (environment or {}).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self.output, self.model, self.fmt, self.sensitive = Path(output), model, fmt, sensitive
        self.any_language = any_language
        self.detector = load(threads=threads)
        if self.detector.version != model:
            raise ModelError(f"this worker's model is {self.detector.version}, the run's is {model}: "
                             "install the same propscope on every machine")

    def __call__(self, part: Part) -> tuple[int, list[str]]:
        """Analyse and write one part; the number of articles it holds, and what failed of them."""
        articles = [self._checked(a) for a in read(part)]
        good = [a for a in articles if a["error"] is None]
        found = iter(self.detector.detect_many(((a["id"], a["text"]) for a in good), self.sensitive))
        rows = [row(a, self.model, [] if a["error"] else next(found)[1]) for a in articles]
        write(self.output / part.name(self.fmt), rows, self.fmt)
        return len(rows), [a["error"] for a in articles if a["error"]]

    def _checked(self, article: dict) -> dict:
        """The article as ``analyze`` would take it: within the length limit, valid Unicode,
        English unless any language is allowed (its language noted); else its error."""
        if article["error"] is not None:
            return article
        from ..inputs import Document, Options, checked
        from ..text.read import check_size
        try:
            check_size(article["text"], article["where"])
            doc = checked(Document(article["text"], article["id"], article["where"]),
                          Options(any_language=self.any_language))
        except PropscopeError as exc:     # its text kept, as far as it can be written (a lone surrogate cannot)
            from ..text.language import guess
            return {**article, "error": _writable(str(exc)), "text": _writable(article["text"]),
                    "language": article["language"] or guess(_writable(article["text"]))[0] or None}
        return {**article, "language": article["language"] or doc.meta.get("language")}

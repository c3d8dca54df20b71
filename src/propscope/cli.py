"""The ``propscope`` command: each command a few lines over the library."""

from __future__ import annotations

import errno
import functools
import io
import math
import os
import signal
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from . import errors, settings
from .errors import PropscopeError


class Number(click.FloatRange):
    """A FloatRange that refuses nan and infinities (nan passes every range check)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number is not None and not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def friendly(func):
    """Show PropscopeErrors as one line on stderr with their exit code, never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        closed = sys.stdout is None
        held = None
        if closed:                          # what is written there is refused, not dropped
            sys.stdout = _ClosedStdout()
            held = _hold_stdout()
        try:
            return func(*args, **kwargs)
        except PropscopeError as exc:
            click.echo(f"propscope: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            if _is_the_command():       # another Ctrl-C while exiting: no traceback, nor a kill by SIGINT
                signal.signal(signal.SIGINT, signal.SIG_IGN)
            click.echo("propscope: interrupted", err=True)
            sys.exit(130)
        except BrokenPipeError:             # `propscope ... | head`: the reader has what it wanted
            _drop_stdout()
            sys.exit(0)
        except OSError as exc:
            if exc.filename is not None or exc.errno not in (errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG,
                                                             errno.EBADF):      # stdout open for reading only
                raise
            _drop_stdout()                  # what is still buffered cannot be written either
            click.echo(f"propscope: cannot write the output ({exc.strerror})", err=True)
            sys.exit(1)
        finally:
            if closed:                      # a program running the CLI in its own process gets its own back
                sys.stdout = None
                if held is not None:
                    os.close(held)
    return wrapper


def _hold_stdout() -> int | None:
    """For a command started with standard output closed (>&-): file descriptor 1 held on /dev/null,
    so that no file or socket opened later takes it and processes started later have one (serve's
    workers died without); the descriptor held, to close after."""
    fd = os.open(os.devnull, os.O_WRONLY)
    if fd != 1:                     # 1 is someone else's already
        os.close(fd)
        return None
    os.set_inheritable(fd, True)
    return fd


def _is_the_command() -> bool:
    """Whether this process is the propscope command, not a program running the CLI in its own process
    (a test's CliRunner, a notebook), whose Ctrl-C must be left as it was."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return spec is not None and spec.name == "propscope.__main__" or Path(sys.argv[0]).name == "propscope"


def _drop_stdout() -> None:
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


class Output:
    """-o FILE or stdout; a file is written whole at the end, so a failure never leaves half of one,
    and a file that could not be written is refused before any work is done. As a context, a run
    that fails before it has written anything leaves an existing file as it was."""

    def __init__(self, path: str | None, read=()):
        """``read``: the files the run reads, which the output must not be."""
        from .output import refuse_overwriting
        self.path, self.parts = path, []
        if path == "":
            raise errors.unwritable(path, "give a file name")
        refuse_overwriting(path, read)
        if path is not None:
            target = Path(path)          # a folder is refused by click (dir_okay=False)
            folder = target.parent
            if not folder.is_dir():
                raise errors.unwritable(path, f"no folder {folder}")
            if target.is_symlink() or target.exists() and not target.is_file():
                try:                            # written through, as output.atomic does (made, if not there)
                    real = target.resolve()
                except (RuntimeError, OSError):
                    raise errors.unwritable(path, "its link leads round in a loop") from None
                if not real.exists() and not real.parent.is_dir():
                    raise errors.unwritable(path, f"it links to {real}, in no folder there is")
                writable = os.access(real, os.W_OK) if real.exists() else os.access(real.parent, os.W_OK)
            else:       # written beside the target and renamed: the folder must take it
                writable = os.access(folder, os.W_OK) and (not target.exists() or os.access(target, os.W_OK))
            if not writable:
                raise errors.unwritable(path, "permission denied")

    def write(self, text: str) -> None:
        if self.path is None:
            click.echo(text, nl=False)
        else:
            self.parts.append(text)

    def __enter__(self) -> Output:
        return self

    def __exit__(self, kind, exc, tb) -> None:
        # what a failed run did produce is written; an interrupted one leaves the file as it was (a
        # report of 2 articles of 8 replaced a complete one, with nothing to say it was partial)
        if kind is None or self.parts and not issubclass(kind, KeyboardInterrupt):
            self.close()

    def close(self) -> None:
        if self.path is not None:
            from .output import atomic
            with atomic(Path(self.path), "w") as f:
                f.write("".join(self.parts))


def _terminal(analysis, hint: bool) -> str:
    """The terminal view as plain text, for a file."""
    import io
    from rich.console import Console
    from .render.terminal import print_analysis
    buffer = io.StringIO()
    # plain text whatever FORCE_COLOR says: a file holds no escape codes
    print_analysis(analysis, Console(file=buffer, width=100, force_terminal=False, color_system=None), hint)
    return buffer.getvalue()


class Articles:
    """(path, id, text) for every article of the given paths; a bad one is reported and skipped,
    and ``finish()`` then fails the batch, after everything else is done and written."""

    def __init__(self, paths):
        from .text.read import article_files
        self.files = article_files(list(paths))
        self.failures: list[Path] = []

    def __iter__(self):
        from .render.semeval import check_id
        from .text.read import article_id, read_article
        for path in self.files:
            try:
                yield path, check_id(article_id(path)), read_article(path)
            except PropscopeError as exc:
                if len(self.files) == 1:
                    raise
                click.echo(f"propscope: {exc}", err=True)
                self.failures.append(path)

    def finish(self) -> None:
        if self.failures:
            raise PropscopeError(f"{len(self.failures)} of {len(self.files)} articles failed (listed above)")


def _blind_names(func):
    """--blind-names/--no-blind-names: the PROPSCOPE_BLIND_NAMES setting for this run (read by the
    model when it loads)."""
    def set_it(ctx, param, value):
        if value is not None:
            os.environ[settings.SETTINGS["blind_names"].env] = "1" if value else "0"
        return value

    @functools.wraps(func)
    @friendly                   # a bad PROPSCOPE_BLIND_NAMES is one line too
    def noting(*args, **kwargs):
        if not settings.get_bool("blind_names"):
            from .model.detector import model_folder, trained_blind
            try:
                blind_only = trained_blind()
            except PropscopeError:
                blind_only = False          # the command itself reports a broken model
            if blind_only:
                click.echo(f"propscope: note: the model in {model_folder()} was trained with names blinded and "
                           "reads them so whatever is asked: names are not read as written", err=True)
        return func(*args, **kwargs)
    return click.option("--blind-names/--no-blind-names", default=None, expose_value=False, is_eager=True,
                        callback=set_it,
                        help="Read each run of names as a placeholder word (the same name as the same word), "
                             "so that who is named changes little of what is flagged (the default), or read names "
                             "as written: about as accurate, but names then move more of the results "
                             "(see 'propscope model').")(noting)


def _model(func):
    """--model: the PROPSCOPE_MODEL setting for this run, and --blind-names/--no-blind-names."""
    def set_it(ctx, param, value):
        if value is not None:
            os.environ[settings.SETTINGS["model"].env] = value
            os.environ.pop(settings.SETTINGS["model_dir"].env, None)    # what is asked for wins over the environment
        return value
    return click.option("--model", "model_name", type=click.Choice(["fast", "large", "combined"]), default=None,
                        expose_value=False, is_eager=True, callback=set_it,
                        help="fast (the default); large: a second opinion, all 12 layers of the encoder, "
                             "trained on text with names blinded, several times slower; or combined: the two "
                             "read together, the most accurate and the slowest "
                             "(see 'propscope model --model combined'). Wins over PROPSCOPE_MODEL_DIR.")(_blind_names(func))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="propscope")
def main() -> None:
    """Find propaganda techniques in news articles."""


class _ClosedStdout(io.TextIOBase):
    """Standard output when the command was started with it closed (>&-): what goes there is refused,
    not dropped."""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        raise PropscopeError("standard output is closed; give -o FILE, or somewhere to write to")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(["semeval"]), default="semeval", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@_model
@friendly
def detect(paths, fmt, output):
    """Find technique spans in article<ID>.txt files or folders of them (SemEval TSV)."""
    from .engine import detect_many
    from .render import semeval
    articles = Articles(paths)
    with Output(output, _article_files(paths)) as out:
        for _, spans in detect_many((aid, text) for _, aid, text in articles):
            out.write(semeval.lines(spans))
        articles.finish()


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--spans", "spans_file", required=True, type=click.Path(), help="TC template: <id> <any> <start> <end>.")
@click.option("--format", "fmt", type=click.Choice(["semeval"]), default="semeval", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False))
@_model
@friendly
def classify(paths, spans_file, fmt, output):
    """Name the technique of given spans (the TC setting); same lines (blank ones left out), same order."""
    from .engine import classify_template
    from .render import semeval
    from .text.read import article_files, article_id
    out = Output(output, [*_article_files(paths), spans_file])
    files = {}
    for path in article_files(list(paths)):
        aid = article_id(path)
        if aid in files and not os.path.samefile(files[aid], path):     # else one file named twice, or by a link
            # the spans would be read against one of the two, silently
            raise errors.InputError(f"{files[aid]} and {path} have the same article id {aid!r}; give one of them")
        files[aid] = path
    out.write(semeval.lines(classify_template(spans_file, files)))
    out.close()


FORMATS = ["terminal", "json", "jsonl", "csv", "semeval", "html"]


@main.command()
@click.argument("sources", nargs=-1, required=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Default: terminal on a TTY, else json.")
@click.option("--threshold", type=Number(0, 1), default=0.0, help="Hide spans below this confidence.")
@click.option("--techniques", "only", multiple=True, metavar="NAMES",
              help="Show only these techniques (comma-separated names, labels or SemEval-2023 names; see 'propscope techniques').")
@click.option("--sensitive", is_flag=True,
              help="Mark more of the text: fragments the model is less sure of, and longer ones, with lower "
                   "confidences; neighbours join, so a fragment may change technique or give way to a longer "
                   "one. For exploring an article, not for scoring.")
@click.option("--allow-private", is_flag=True, help="Let URLs reach loopback, private and link-local addresses.")
@click.option("--any-language", is_flag=True, help="Analyse text that does not look English too.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@_model
@friendly
def analyze(sources, fmt, threshold, only, sensitive, allow_private, any_language, output):
    """Analyse articles and show their techniques.

    SOURCE: a text or HTML file, a folder of them, a .jsonl file (one article per line: text, html
    or url, with optional id, title, source, published), an http(s) URL, or - for stdin.
    """
    from .engine import analyze as run
    from .inputs import FOLDER_PATTERNS, Options, expand
    from .output import files_in
    from .render import csv as render_csv, json as render_json, semeval
    from .render.terminal import print_analysis
    fmt = fmt or ("terminal" if sys.stdout.isatty() and not output else "json")
    keep = _technique_names(only)
    if list(sources).count("-") > 1:
        raise errors.InputError("- (standard input) given twice: it can be read once")
    items = expand(list(sources), Options(allow_private, any_language), stdin=lambda: sys.stdin.buffer.read())
    results, failed = [], []
    with Output(output, files_in([s for s in sources if s != "-"], FOLDER_PATTERNS)) as out:
        try:
            for item in _progress(items):
                try:
                    doc = item.load()
                    if fmt == "semeval":
                        semeval.check_id(doc.id)
                except PropscopeError as exc:
                    if len(items) == 1:
                        raise
                    click.echo(f"propscope: {exc}", err=True)
                    failed.append(item.name)
                    continue
                analysis = run(doc.text, article_id=doc.id, source=doc.source, meta=doc.meta,
                               threshold=threshold, techniques=keep, sensitive=sensitive)
                if fmt == "terminal" and output:
                    out.write(_terminal(analysis, hint=not sensitive))
                elif fmt == "terminal":
                    print_analysis(analysis, hint=not sensitive)
                elif fmt == "jsonl":
                    out.write(render_json.dumps(analysis, indent=None) + "\n")
                elif fmt == "csv":
                    out.write(render_csv.rows([analysis], header=not results))
                    results.append(None)
                elif fmt == "semeval":
                    out.write(semeval.lines(analysis.spans))
                else:
                    results.append(analysis)
        finally:
            if fmt == "json" and results:
                import json
                body = (render_json.dumps(results[0]) if len(items) == 1
                        else json.dumps([render_json.to_dict(a) for a in results], ensure_ascii=False, indent=2))
                out.write(body + "\n")
            elif fmt == "html" and results:
                from .engine import detector
                from .reliability import from_validation
                from .render import card
                from .render.html import report
                model = detector()
                out.write(report(results, threshold, from_validation(model.validation()), sensitive,
                                 card.read(model.folder)))
        if failed:          # what the others gave is written; when none gave anything, the file is left alone
            raise PropscopeError(f"{len(failed)} of {len(items)} inputs failed: {', '.join(failed)}")


def _technique_names(given: tuple[str, ...]) -> list[str] | None:
    """Names, labels or SemEval-2023 names, comma-separated; PTC names hold commas themselves,
    so the longest run of comma-separated parts that names a technique wins."""
    from .techniques import lookup, unknown
    if not given:
        return None
    parts = [p.strip() for option in given for p in option.split(",") if p.strip()]
    out, i = [], 0
    while i < len(parts):
        for j in range(min(len(parts), i + 3), i, -1):
            try:
                out.append(lookup(",".join(parts[i:j])).name)
                i = j
                break
            except KeyError:
                continue
        else:
            raise unknown(parts[i])
    if not out:             # an empty shell variable must not turn the filter off
        raise errors.InputError("--techniques names no technique; 'propscope techniques' lists the names")
    return out


def _progress(items):
    """Items with a progress bar on stderr, for batches on a terminal."""
    if len(items) < 2 or not sys.stderr.isatty():
        yield from items
        return
    from rich.console import Console
    from rich.progress import track
    yield from track(items, description="analysing", console=Console(stderr=True), transient=True)


def _named(path: str, param) -> str:
    if not path.strip():
        raise click.BadParameter("give a folder name", param=param)
    return path


def _png(path: str | None, param) -> str | None:
    """A path for a PNG image: refused at once if it names another kind of file, or one that cannot
    be written, not after the work."""
    if path is not None and Path(path).suffix.lower() not in ("", ".png"):
        raise click.BadParameter(f"{path}: the image is a PNG; name it .png", param=param)
    try:
        Output(path)                # the checks an output file gets
    except PropscopeError as exc:
        raise click.BadParameter(str(exc), param=param) from None
    return path


def _article_files(paths) -> list[Path]:
    """The files detect and classify read (none when the paths are wrong: that is said later)."""
    from .text.read import article_files
    try:
        return article_files(list(paths))
    except PropscopeError:
        return []


def _store_files(url: str) -> list[str]:
    """The file a store lives in: a SQLite one's path; a PostgreSQL database has none here."""
    return [] if url.startswith(("postgresql://", "postgres://")) else [url]


def _db_option(func):
    return click.option("--db", default=None, metavar="URL",
                        help="The corpus: a SQLite file or a postgresql:// URL (default: PROPSCOPE_DB, else propscope.db).")(func)


def _corpus_filters(func):
    """--outlet, --since, --until, --search and --model, shared by stats and export."""
    for option in reversed([
            click.option("--outlet", "outlets", multiple=True, help="Only this outlet (repeat for several; unknown picks articles that name none)."),
            click.option("--since", help="Published on or after this date: YYYY, YYYY-MM or YYYY-MM-DD."),
            click.option("--until", help="Published on or before this date: YYYY, YYYY-MM or YYYY-MM-DD."),
            click.option("--search", help="Only articles whose text contains this (case-insensitive)."),
            click.option("--model", help="Analyses by this model version (default: the current model).")]):
        func = option(func)
    return func


@contextmanager
def _stages():
    """A progress callback (stage, done, total) for long corpus work: bars on a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress
    with Progress(console=Console(stderr=True), transient=True) as bar:
        tasks = {}

        def update(stage, done, total):
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)
        yield update


@main.command()
@click.argument("sources", nargs=-1, required=True)
@_db_option
@click.option("--outlet", default=None, help="Outlet of the articles whose source names none (plain text files, "
              "records without outlet, source or site, pages that name no site).")
@click.option("--no-analyse", is_flag=True, help="Only store the articles; a later ingest analyses them.")
@click.option("--allow-private", is_flag=True, help="Let URLs reach loopback, private and link-local addresses.")
@click.option("--any-language", is_flag=True, help="Store text that does not look English too.")
@friendly
def ingest(sources, db, outlet, no_analyse, allow_private, any_language):
    """Store articles in the corpus, then analyse those the current model has not.

    SOURCE: a text or HTML file, a folder of them, a .jsonl or .csv file (one article per line or
    row: text, html or url, with optional id, url, title, author, published, outlet or source or site), an RSS or
    Atom feed (a file or a URL: each entry's page is fetched), or an article URL. Safe to
    interrupt at any moment: run the same command again to finish the work.
    """
    from .corpus.ingest import ingest as run
    from .corpus.store import Store
    from .inputs import Options
    with Store(db) as store, _stages() as progress:
        report = run(store, list(sources), Options(allow_private, any_language), outlet=outlet,
                     analyse_after=not no_analyse, progress=progress)
    for _, message in report.failed:
        click.echo(f"propscope: {message}", err=True)
    click.echo(report.summary(), err=True)
    if report.failed:
        raise PropscopeError(f"{len(report.failed)} inputs failed (listed above); everything else is stored")


@main.command()
@_db_option
@_corpus_filters
@click.option("--period", type=click.Choice(["day", "week", "month", "year", "all"]), default="month",
              show_default=True, help="Group by day, ISO week (2025-W07), month, year, or not at all.")
@click.option("--threshold", type=Number(0, 1), default=0.0, help="Count only spans of this confidence or more.")
@click.option("--top", type=click.IntRange(0, 1000), default=5, show_default=True, help="Most frequent fragments per technique.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@click.option("--chart", type=click.Path(dir_okay=False), metavar="FILE.png", callback=lambda c, p, v: _png(v, p),
              help="Also draw spans per 1,000 words per outlet, and the top techniques' share of articles, "
                   "over the periods (PNG; needs the plot extra).")
@friendly
def stats(db, outlets, since, until, search, model, period, threshold, top, fmt, output, chart):
    """Techniques per outlet and period: spans per 1,000 words, share of articles, change, top fragments."""
    from .corpus import stats as corpus_stats
    from .corpus.store import Filter, default_url, open_existing
    from .output import refuse_overwriting
    where = Filter(tuple(outlets), since, until, search)
    url = db or default_url()
    store_files = _store_files(url)
    refuse_overwriting(chart, store_files)
    out = Output(output, store_files)
    with open_existing(url) as store:
        result = corpus_stats.compute(store, where, period=period, model=model, threshold=threshold, top=top)
    out.write({"table": corpus_stats.to_table, "csv": corpus_stats.to_csv, "json": corpus_stats.to_json}[fmt](result))
    out.close()                     # the figures first: a chart that cannot be drawn does not lose them
    if chart:
        from .corpus.chart import write
        write(result, chart)
        click.echo(f"chart written to {chart}", err=True)


@main.command()
@_db_option
@_corpus_filters
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl", "parquet"]), default=None,
              help="Default: from the -o file's extension, else jsonl.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout (required for parquet).")
@friendly
def export(db, outlets, since, until, search, model, fmt, output):
    """Export the corpus's articles and spans: CSV (a row per span), JSON Lines or Parquet (a record per article)."""
    from .corpus.export import FORMATS, export as run
    from .model.detector import current_version
    from .output import refuse_overwriting
    from .corpus.store import Filter, default_url, open_existing
    suffix = Path(output).suffix.lower().lstrip(".") if output else ""
    fmt = fmt or (suffix if suffix in FORMATS else "jsonl")
    where = Filter(tuple(outlets), since, until, search)
    refuse_overwriting(output, _store_files(db or default_url()))
    with open_existing(db or default_url()) as store:
        if model:           # the default model may have analysed nothing yet: its articles go out unanalysed
            store.require(model)
        store.require_outlets(where.outlets)
        n = run(store, fmt, output, model=model or current_version(), where=where, stdout=sys.stdout)
    if output:
        click.echo(f"{n} articles written to {output}", err=True)


@main.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), callback=lambda c, p, v: _named(v, p),
              help="Folder for the part files and the run's plan (made if missing).")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="local: processes on this machine; ray: actors on a Ray cluster (needs the cluster extra).")
@click.option("--workers", type=click.IntRange(1, 10_000), default=1, show_default=True,
              help="Processes or Ray actors, each loading the model once.")
@click.option("--threads", type=click.IntRange(1, 1024), default=None,
              help="Inference threads per worker (default: PROPSCOPE_THREADS, else local: cores / workers, ray: 1).")
@click.option("--address", default=None, help="The Ray cluster to run on (e.g. auto, or HEAD:6379); default: a Ray started here.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "jsonl"]), default="parquet", show_default=True,
              help="Format of the part files.")
@click.option("--part-size", type=click.IntRange(1), default=1000, show_default=True, help="Articles per part file.")
@click.option("--sensitive", is_flag=True, help="Decode with the model's lower thresholds: more of the text marked, lower confidences.")
@click.option("--any-language", is_flag=True, help="Analyse text that does not look English too (else its row fails).")
@_model
@friendly
def batch(inputs, output, engine, workers, threads, address, fmt, part_size, sensitive, any_language):
    """Analyse a large corpus of JSON Lines or Parquet files into a folder of part files.

    INPUT: a .jsonl or .parquet file, or a folder of them; every article needs an id and a text
    (url, outlet, title, author, published and language are kept too). Each part file holds a
    row per article with its spans; an article that cannot be analysed (no text, too long, not
    English...) gets a row with its error, and the run goes on. Safe to interrupt: run the same
    command again to write the parts that are missing.
    """
    from .corpus.batch import SHOWN_FAILURES, run
    with _stages() as progress:
        report = run(list(inputs), output, engine=engine, workers=workers, threads=threads, address=address,
                     fmt=fmt, part_size=part_size, sensitive=sensitive, any_language=any_language,
                     progress=progress)
    failures = report.earlier + report.failures            # the output folder's, resumed runs included
    for failure in failures[:SHOWN_FAILURES]:
        click.echo(f"propscope: {failure}", err=True)
    if len(failures) > SHOWN_FAILURES:
        click.echo(f"propscope: ... and {len(failures) - SHOWN_FAILURES} more (the rows' error column)", err=True)
    click.echo(report.summary(), err=True)
    if failures:
        sys.exit(1)


@main.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="A labelled split laid out like the PTC train folder.")
@click.option("--held-out", is_flag=True, help="Only the articles the model held out in training.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--plot", type=click.Path(dir_okay=False), callback=lambda c, p, v: _png(v, p),
              help="Write the reliability diagram here (PNG).")
@_model
@friendly
def evaluate(data, held_out, fmt, plot):
    """Score the model on labelled articles: SI F1, TC micro-F1, span+technique F1, calibration."""
    from .evaluation import evaluate as run
    report = run(data, held_out_only=held_out)
    if fmt == "json":
        import json
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.table())
    if plot:                        # after the scores: a diagram that cannot be drawn does not lose them
        from .render.reliability import plot as draw
        draw(report.reliability, plot, report.ece, f"propscope on {report.articles} "
             f"article{'' if report.articles == 1 else 's'} of {Path(data).name}")


@main.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False))
@click.option("--epochs", type=click.IntRange(1, 1000), default=None, help="Override the recipe's epochs.")
@click.option("--fold", type=click.IntRange(0, 4), default=None,
              help="Fold held out for tuning, 0 to 4 of 5 (default: the recipe's).")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=None, help="Random seed (default: the recipe's).")
@click.option("--base", type=click.Choice(["all-MiniLM-L6-v2", "all-mpnet-base-v2"]), default=None,
              help="Pretrained encoder (default: the recipe's, all-mpnet-base-v2; MiniLM is smaller and faster).")
@click.option("--lr", type=Number(0, min_open=True), default=None, help="Encoder learning rate (default: the recipe's).")
@click.option("--lora-rank", type=click.IntRange(0), default=None,
              help="Keep the encoder as pretrained and train low-rank updates of its layers (LoRA) of this rank.")
@click.option("--ship-rank", type=click.IntRange(0), default=None,
              help="Ship the fine-tuned encoder as its pretrained weights plus a rank-R approximation of each "
                   "layer's update (what a committed model can hold for a large encoder).")
@click.option("--frozen-layers", type=click.IntRange(0), default=None,
              help="Keep the embeddings and this many bottom encoder layers as pretrained (default: none).")
@click.option("--frozen-embeddings/--no-frozen-embeddings", default=None,
              help="Keep the embeddings as pretrained, so a model need not ship them (default: the recipe's).")
@click.option("--layers", type=click.IntRange(0), default=None,
              help="Keep only this many bottom layers of the pretrained encoder: faster, and smaller; 0 keeps "
                   "them all (default: the recipe's, 4).")
@click.option("--counterfactual", type=Number(0, 1), default=None,
              help="Share of training articles replaced by copies with named sides swapped (US <-> China, ...).")
@click.option("--unlabelled", type=click.Path(exists=True, file_okay=False), default=None,
              help="Unlabelled articles for self-training: a teacher labels them for the final model.")
@click.option("--semeval2021", type=click.Path(exists=True, file_okay=False), default=None,
              help="Folder of SemEval-2021 Task 6 files (meme texts) to add to the training data.")
@click.option("--windows", type=click.Choice(["article", "lines"]), default=None,
              help="Encoder windows across lines, or within each line (default: the recipe's).")
@click.option("--window", type=click.IntRange(16, 510), default=None,
              help="Tokens per encoder window, [CLS] and [SEP] aside; N starts windows every N - N//4 tokens in "
                   "training and N - N//8 at inference (254: every 191 and 223; the recipe's default is 254 every "
                   "192 and 224); 510 at most, what the encoders' positions allow.")
@click.option("--batch-size", type=click.IntRange(1, 4096), default=None, help="Windows per training step (default: the recipe's).")
@click.option("--precision", type=click.Choice(["fp32", "bf16"]), default=None,
              help="Training arithmetic: bf16 is about 1.6x faster on CPUs with AVX512-BF16 (default: the recipe's, bf16).")
@click.option("--threads", type=click.IntRange(1, 1024), default=None, help="CPU threads for training (default: the recipe's).")
@click.option("--token-cues/--no-token-cues", default=None,
              help="Feed the encoder hand-made cues per token: repetition, capitals, quotes (default: the recipe's).")
@click.option("--blind-names/--no-blind-names", default=None,
              help="Train on text with each run of names as one placeholder word, so that who is named "
                   "cannot be a cue (default: the recipe's).")
@click.option("--distinct-names/--one-placeholder", default=None,
              help="With --blind-names: each distinct name reads as its own placeholder word, in order of "
                   "first appearance, instead of one word for every name (default: the recipe's).")
@click.option("--crf/--no-crf", default=None,
              help="Train the tagger with a CRF layer over its O/B/I tags (default: the recipe's).")
@click.option("--refit/--no-refit", default=None,
              help="After tuning on the held-out fold (a twin model in OUT/twin), train again on every article "
                   "and ship that with the twin's settings and figures (default: the recipe's).")
@friendly
def train(data, out, epochs, fold, seed, base, lr, lora_rank, ship_rank, frozen_layers, frozen_embeddings, layers, counterfactual, unlabelled, semeval2021,
          windows, window, batch_size, precision, threads, token_cues, blind_names, distinct_names, crf, refit):
    """Train, export, tune and calibrate a model (needs the 'train' extra).

    Safe to interrupt: run the same command again to go on from the last finished epoch
    (kept in OUT/checkpoint.pt), keeping a twin or teacher already trained. A model already
    trained in OUT is tuned again, not trained again.
    """
    try:
        from .train.config import RECIPE, TrainConfig, windows_of
        from .train.run import main as run
    except ImportError as exc:
        raise PropscopeError(f"training needs the train extra: first the CPU build of torch (pip install torch --index-url https://download.pytorch.org/whl/cpu; without it pip pulls a multi-GB CUDA build), then pip install 'propscope[train]' ({exc})") from None
    given = {"epochs": epochs, "fold": fold, "seed": seed, "base": base, "lr_encoder": lr, "frozen_layers": frozen_layers,
             "frozen_embeddings": frozen_embeddings, "layers": layers, "lora_rank": lora_rank, "ship_rank": ship_rank,
             "counterfactual": counterfactual, "unlabelled": unlabelled and str(unlabelled),
             "semeval2021": semeval2021 and str(semeval2021), "windows": windows, "batch_size": batch_size,
             "precision": precision, "threads": threads, "token_features": token_cues,
             "blind_names": blind_names, "distinct_names": distinct_names, "crf": crf, "refit": refit}
    if window is not None:
        given |= windows_of(window)
    from dataclasses import replace
    cfg = replace(TrainConfig(), **(RECIPE | {k: v for k, v in given.items() if v is not None}))
    if cfg.distinct_names and not cfg.blind_names:
        raise click.UsageError("--distinct-names says how names read when blinded: give --blind-names too")
    run(data, out, cfg, command=" ".join(["propscope", *sys.argv[1:]]),
        log=lambda m: click.echo(m, err=True))


@main.command()
@click.argument("models", nargs=-1, required=True)
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="The labelled split the models were trained on: tuned on the articles none of them saw.")
@click.option("--out", required=True, type=click.Path(file_okay=False))
@click.option("--weights", default=None, help="One weight per model, comma-separated (default: all 1).")
@click.option("--twin", "twins", multiple=True, type=click.Path(exists=True, file_okay=False),
              help="One per model, in order: the same recipe with a fold held out, tuned on in its place "
                   "(for models trained on every article).")
@friendly
def combine(models, data, out, weights, twins):
    """Read trained models together: MODELS (a bundled model's name or a model folder; the first one's
    tokens mark the fragments) average their tag and technique probabilities, weighted, with settings
    and calibration tuned for the mean. Use the result with PROPSCOPE_MODEL_DIR=OUT."""
    from .train.combine import combine as run
    try:
        weighted = [float(w) for w in weights.split(",")] if weights else [1.0] * len(models)
    except ValueError:
        raise click.BadParameter(f"{weights!r}: numbers separated by commas", param_hint="--weights") from None
    run(data, out, list(models), weighted, list(twins) or None,
        command=" ".join(["propscope", *sys.argv[1:]]), log=lambda m: click.echo(m, err=True))


@main.command()
@click.option("--host", default=None, help="Address to listen on (default: PROPSCOPE_SERVE_HOST, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port to listen on (default: PROPSCOPE_SERVE_PORT, 8000).")
@click.option("--workers", type=click.IntRange(1, 256), default=None,
              help="Processes, each with its own copy of the model (default: PROPSCOPE_SERVE_WORKERS, 1).")
@_model
@friendly
def serve(host, port, workers):
    """Serve the web page and the HTTP API (needs the 'serve' extra)."""
    try:
        from .serve import run
    except ImportError as exc:
        raise PropscopeError(f"serving needs the serve extra: pip install 'propscope[serve]' ({exc})") from None
    if isinstance(sys.stdout, _ClosedStdout):      # the access log goes nowhere, as asked
        sys.stdout = open(os.devnull, "w")         # (the workers find /dev/null on 1: _hold_stdout)
    run(host, port, workers)


@main.group()
def audit() -> None:
    """Check the model's behaviour: does it flag how things are said, not who is named?"""


@audit.command()
@click.option("--data", required=True, type=click.Path(exists=True, file_okay=False),
              help="A folder of article*.txt files, or a labelled split laid out like the PTC train folder.")
@click.option("--pairs", "pairs_file", type=click.Path(dir_okay=False), default=None,
              help="A pair list (JSON, laid out like the shipped one) instead of the shipped one.")
@click.option("--held-out", is_flag=True, help="Only the articles the model held out in training.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option("--top", type=click.IntRange(0, 1000), default=10, show_default=True,
              help="How many of the fragments that changed most to list.")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here instead of stdout.")
@_model
@friendly
def neutrality(data, pairs_file, held_out, fmt, top, output):
    """Does naming the other side change what is flagged? (SemEval span agreement)

    Every article that names a side of a pair (countries, leaders, parties, outlets...) gets a
    copy with that pair's sides swapped; the spans found in each copy, mapped back to the
    original's offsets, are scored against the original's, per pair and overall.
    """
    from .audit.neutrality import audit as run, read_folder
    from .audit.pairs import load
    from .output import files_in
    out = Output(output, [*files_in([data], ("**/*",)), *([pairs_file] if pairs_file else [])])
    pairs, articles = load(pairs_file), read_folder(data, held_out)
    report = run(_progress(articles), pairs, top=top)
    if fmt == "json":
        import json
        out.write(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.write(report.table() + "\n")
    out.close()
    from .engine import detector
    if report.copies and not report.meets_target and detector().common is None:
        click.echo("names were read as written: the default reading (--blind-names) reads names as "
                   "placeholders, so that swapping names changes little of the result: see 'propscope model'", err=True)


@main.command()
@_model
@friendly
def model():
    """Print the model card of the model in use."""
    from .errors import ModelError
    from .model.detector import model_folder
    card = model_folder() / "MODEL_CARD.md"        # read as it is: the model itself need not be loaded
    if not card.is_file():
        raise ModelError(f"{card.parent} holds no MODEL_CARD.md: not a propscope model folder, or a damaged one")
    click.echo(card.read_text(encoding="utf-8"))


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@friendly
def techniques(fmt):
    """List the 14 techniques: definitions, examples, and their SemEval-2023 names."""
    from .techniques import CATALOGUE, FROM_SEMEVAL2023
    if fmt == "json":
        import json
        click.echo(json.dumps({"techniques": [{"name": t.name, "label": t.label, "definition": t.definition,
                                                "example": t.example, "colour": t.colour,
                                                "semeval2023": list(t.semeval2023)} for t in CATALOGUE],
                               "semeval2023_not_detected": [n for n, p in FROM_SEMEVAL2023.items() if p is None]},
                              ensure_ascii=False, indent=2))
        return
    for t in CATALOGUE:
        click.echo(f"{t.name}\n    {t.label}: {t.definition}\n    Example: \u201c{t.example}\u201d"
                   f"\n    SemEval-2023: {', '.join(t.semeval2023)}")
    missing = [n for n, p in FROM_SEMEVAL2023.items() if p is None]
    click.echo(f"\nSemEval-2023 techniques propscope does not detect: {', '.join(missing)}")

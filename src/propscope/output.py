"""Writing results: whole files or none, never over a device, never over what is being read."""

from __future__ import annotations

import errno
import functools
import os
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError, unwritable

# the reader's suffixes: a file of these in a folder being read would be read
READ_SUFFIXES = {".txt", ".html", ".htm", ".xhtml", ".jsonl", ".csv", ".parquet", ".xml", ".rss", ".atom"}
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@functools.cache
def _umask() -> int:
    """The process's umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic(path: Path, mode: str):
    """A file at ``path``, there only once it is completely written; a device or a pipe is written
    to as it is (replacing /dev/null with a file would break it for everyone)."""
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": "", "errors": "surrogateescape"}
    if path.exists() and not path.is_file():
        try:
            with open(path, mode, **text) as f:
                yield f
        except OSError as exc:
            raise unwritable(path, exc.strerror) from None
        return
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise unwritable(path, exc.strerror) from None
    try:
        with open(fd, mode, **text) as f:
            yield f
        os.chmod(tmp, 0o666 & ~_umask())      # as open() would make it: mkstemp's are private
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in _FULL:            # the disk is full: the file as it was stays
            raise unwritable(path, exc.strerror) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refuse_overwriting(output: str | Path | None, inputs: Iterable[str | Path]) -> None:
    """An InputError if ``output`` is one of ``inputs``, or a file that one of them, a folder, would
    read: writing it would destroy what is being read."""
    if output is None:
        return
    out = Path(output)
    for given in inputs:
        source = Path(given)
        try:
            same = out.exists() and source.exists() and os.path.samefile(out, source)
        except OSError:
            same = False
        if same:
            raise InputError(f"{output} is also an input: writing it would destroy it; give another -o")
        if source.is_dir() and out.suffix.lower() in READ_SUFFIXES and out.resolve().is_relative_to(source.resolve()):
            raise InputError(f"{output} lies in the folder being read, {given}: it would be read as an input "
                             "next time; give another -o")

"""Writing results: whole files or none, never over a device, never over what is being read."""

from __future__ import annotations

import errno
import functools
import os
import stat
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError, unwritable

_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


@functools.cache
def _umask() -> int:
    """The process's umask (read once: reading it means setting it for a moment)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic(path: Path, mode: str):
    """A file at ``path``, there only once it is completely written, with the mode an existing one
    had; a device, a pipe or a link is written to as it is (replacing /dev/null with a file would
    break it for everyone, and a link is where its owner wants the output)."""
    text = {} if "b" in mode else {"encoding": "utf-8", "newline": "", "errors": "surrogateescape"}
    if path.is_symlink() or path.exists() and not path.is_file():
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
        try:        # as open() would make it (mkstemp's are private), or as the file it replaces was
            os.chmod(tmp, stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask())
            os.replace(tmp, path)
        except OSError as exc:      # a sticky folder, a file of another user's: one line, not a traceback
            raise unwritable(path, exc.strerror) from None
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        if exc.errno in _FULL:            # the disk is full: the file as it was stays
            raise unwritable(path, exc.strerror) from None
        raise
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def refuse_overwriting(output: str | Path | None, read: Iterable[str | Path]) -> None:
    """An InputError if ``output`` is one of the files ``read``: writing it would destroy what is being read."""
    if output is None or not Path(output).exists():
        return
    for given in read:
        try:
            same = Path(given).exists() and os.path.samefile(output, given)
        except OSError:
            same = False
        if same:
            raise InputError(f"{output} is also an input: writing it would destroy it; give another -o")


def files_in(paths: Iterable[str | Path], patterns: Iterable[str] = ("*",)) -> list[Path]:
    """The files given, and those of the given folders that match ``patterns``."""
    out: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            out.extend(p for pattern in patterns for p in path.glob(pattern))
        else:
            out.append(path)
    return out

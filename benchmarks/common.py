"""What the benchmark scripts share: errors as one line, and the models and articles they read."""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path

from propscope.errors import PropscopeError


def one_line_errors(main):
    """Run ``main`` with propscope's errors and missing files as one line on stderr and exit 1,
    never a traceback: a wrong --data or --model is the user's to fix, not a crash."""
    @functools.wraps(main)
    def run(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except (PropscopeError, FileNotFoundError, NotADirectoryError, IsADirectoryError) as exc:
            name = Path(sys.argv[0]).name
            raise SystemExit(f"{name}: {exc}") from None
    return run


def trained_model(folder: Path) -> Path:
    """``folder`` if it holds one trained model; refused if it is missing or combines models (these
    benchmarks read one model's encoder, tagger and settings)."""
    config = folder / "config.json"
    if not config.is_file():
        raise SystemExit(f"{folder}: not a model folder (no config.json)")
    if "members" in json.loads(config.read_text()):
        raise SystemExit(f"{folder} combines models: give one of its members, or a fold run, instead")
    return folder


def held_out_articles(articles: list, held_ids: set[str], model: Path | str, data: Path | str) -> list:
    """The ``articles`` the model held out of its training; refused when there are none (a refit
    trained on every article: its figures over no articles would read as perfect)."""
    held = [a for a in articles if a.article_id in held_ids]
    if not held:
        raise SystemExit(f"{model} held no article of {data} out (a refit is trained on every article): "
                         "give a run trained with --fold K, or the refit's twin")
    return held

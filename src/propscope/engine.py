"""The product: analyse a text, label given spans. CLI and web layers call only these."""

from __future__ import annotations

import datetime
import json
import threading
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path, PurePath
from typing import Iterable, Iterator

import numpy as np

from . import errors, settings
from .model.detector import Detector, load, model_folder
from .errors import InputError
from .spans import Analysis, Span, confidence
from .techniques import NAMES, names
from .text import language
from .text.read import check_size


def detector(blind_names: bool | None = None) -> Detector:
    """The model the settings choose, loaded once per process (and once more if names are read both ways,
    or if the settings change).

    ``blind_names``: read each run of names as a placeholder word (see the model card); None: the
    ``blind_names`` setting."""
    if blind_names is None:
        blind_names = settings.get_bool("blind_names")
    elif not isinstance(blind_names, bool):
        raise InputError(f"blind_names {blind_names!r}: give True, False or None")
    key = (model_folder(), blind_names, settings.get_int("threads"))
    with _loading:                  # threads asking at once load the model once
        if key not in _loaded:
            _loaded[key] = load(key[0], blind_names=blind_names)
        return _loaded[key]


_loading = threading.Lock()
_loaded: dict[tuple[Path, bool, int], Detector] = {}


def detect(text: str, article_id: str = "", sensitive: bool = False, blind_names: bool | None = None) -> list[Span]:
    """Every fragment that uses one of the 14 techniques, with a calibrated confidence.

    ``sensitive`` marks more of the text, at lower confidence (see the model card)."""
    _check_text(text)
    return _detect(detector(blind_names), text, article_id, sensitive)


def _detect(det: Detector, text: str, article_id: str, sensitive: bool) -> list[Span]:
    return det.detect(text, article_id, sensitive) if text.strip() else []


def _check_text(text) -> None:
    if not isinstance(text, str):
        hint = ("; read the file first" if isinstance(text, PurePath) else
                "; decode it first" if isinstance(text, bytes) else "")
        raise TypeError(f"text must be a str, not {type(text).__name__}{hint}")
    check_size(text, "the text")


def detect_many(articles: Iterable[tuple[str, str]]) -> Iterator[tuple[str, list[Span]]]:
    """(article id, spans) for a stream of (article id, text): faster than one by one."""
    return detector().detect_many(articles)


def analyze(text: str, *, article_id: str = "", source: str | None = None, threshold: float = 0.0,
            techniques: Iterable[str] | None = None, meta: dict | None = None,
            sensitive: bool = False, blind_names: bool | None = None, any_language: bool = False) -> Analysis:
    """The article's text with its detected spans and their summary.

    ``threshold`` keeps spans of that confidence or more (0 to 1); ``techniques`` keeps those
    techniques only (names, labels or SemEval-2023 names, as ``propscope techniques`` lists them).
    ``meta`` (title, author, published, site, url, language) is carried into the result; without a
    language in it, the text's is guessed and noted, and text that is confidently not English is
    refused (an InputError) unless ``any_language``: the model knows English news only."""
    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(f"meta must be a dict, not {type(meta).__name__}")
    threshold, keep = confidence(threshold), None if techniques is None else names(techniques)
    sensitive, any_language = _switch("sensitive", sensitive), _switch("any_language", any_language)
    if not isinstance(article_id, str):
        raise TypeError(f"article_id must be a str, not {type(article_id).__name__}")
    _check_text(text)
    meta = _plain_meta(meta or {})
    if "language" not in meta:
        code, probability = language.guess(text)
        if language.is_foreign(code, probability) and not any_language:
            raise errors.not_english(source or "the text", language.name(code), probability)
        meta.update({"language": code} if code else {})
    det = detector(blind_names)
    return Analysis(text, tuple(_detect(det, text, article_id, sensitive)), article_id=article_id,
                    source=source, model=det.version, meta=meta).filtered(threshold, keep)


def _plain_meta(meta: Mapping) -> dict:
    """``meta`` as JSON holds it: dates as ISO text; anything else JSON cannot hold is an InputError."""
    out = {}
    for key, value in meta.items():
        if isinstance(value, (datetime.date, datetime.datetime)):
            value = value.isoformat()
        try:
            json.dumps({key: value}, allow_nan=False)
        except (TypeError, ValueError):
            raise InputError(f"meta[{key!r}] = {value!r:.60}: JSON cannot hold it; give text, numbers, lists, "
                             "dicts or dates") from None
        out[key] = value
    return out


def _switch(name: str, value) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{name} {value!r}: give True or False")
    return value


def classify(text: str, spans: list[Span], det: Detector | None = None) -> list[Span]:
    """Name the technique of each given span, keeping their order.

    A fragment listed k times gets its k most likely techniques, one per line.
    """
    _check_text(text)
    spans = list(spans)
    wrong = next((s for s in spans if not isinstance(s, Span)), None)
    if wrong is not None:
        raise TypeError(f"spans must be Span objects, not {type(wrong).__name__}")
    outside = next((s for s in spans if s.end > len(text)), None)
    if outside is not None:
        raise InputError(f"span {outside.start}-{outside.end} ends past the text's {len(text):,} characters")
    positions = list(dict.fromkeys((s.start, s.end) for s in spans))
    det = det or detector()
    probs = det.rank(text, positions) if text.strip() else np.full((len(positions), len(NAMES)), 1 / len(NAMES))
    ranked = {pos: np.argsort(-p) for pos, p in zip(positions, probs)}
    prob_of = dict(zip(positions, probs))
    used: dict[tuple[int, int], int] = defaultdict(int)
    out = []
    for s in spans:
        key = (s.start, s.end)
        k = ranked[key][min(used[key], len(NAMES) - 1)]
        used[key] += 1
        out.append(s.with_technique(NAMES[k], round(float(prob_of[key][k]), 4)))
    return out


def classify_template(spans_file, articles: dict[str, Path]) -> list[Span]:
    """Label every line of a TC template file; ``articles`` maps article id to file."""
    from .scoring import read_semeval
    from .text.read import read_article
    if Path(spans_file).exists() and not Path(spans_file).is_file():      # a pipe would block the run
        raise errors.not_a_file(spans_file)
    try:
        template = read_semeval(spans_file)
    except FileNotFoundError:
        raise errors.not_found(spans_file) from None
    except IsADirectoryError:
        raise errors.not_a_file(spans_file) from None
    except OSError as exc:
        raise errors.unreadable(spans_file, exc.strerror or str(exc)) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise errors.bad_span_file(spans_file, str(exc)) from None
    by_article: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(template):
        by_article[s.article_id].append(i)
    out: list[Span | None] = [None] * len(template)
    for aid, rows in by_article.items():
        if aid not in articles:
            raise errors.bad_span_file(spans_file, f"article {aid} is not among the given articles")
        text = read_article(articles[aid])
        spans = [template[i] for i in rows]
        if any(s.end > len(text) for s in spans):
            raise errors.bad_span_file(spans_file, f"a span of article {aid} ends past its {len(text)} characters")
        for i, s in zip(rows, classify(text, spans)):
            out[i] = s
    return out

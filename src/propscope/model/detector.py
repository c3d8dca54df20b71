"""Inference: the exported encoder (onnxruntime), the tag decoder and the span classifier.

No torch here. One Detector loads the model once and serves any number of articles.
"""

from __future__ import annotations

import json
import threading
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import settings
from ..errors import ModelError, PropscopeError
from ..spans import Span
from ..techniques import NAMES
from . import calibration, frozen, names
from .crf import Transitions
from .decode import decode
from .features import span_features, token_features
from .windows import Tokens, Window, load_tokenizer, plan, special_ids, stack, token_span, tokenize_reading

BUNDLED = {"fast": Path(__file__).parent / "weights", "large": Path(__file__).parent / "large",
           "combined": Path(__file__).parent / "combined"}


class _OneBlasThread:
    """numpy's BLAS on one thread while the model reads: its threads spin after each small span-head
    product and slow the encoder's next call (pipeline/encoder time 1.22 -> 1.03 on 2 cores). Only while
    reading: the caller's own numpy keeps its threads. The limit is the process's: the first reader in
    sets it, the last out restores it (threads reading at once must not restore each other's 1)."""

    def __init__(self):
        self.lock, self.readers, self.limit = threading.Lock(), 0, None

    def __enter__(self):
        with self.lock:
            if self.readers == 0:
                from threadpoolctl import ThreadpoolController
                self.limit = ThreadpoolController().limit(limits=1, user_api="blas")
            self.readers += 1

    def __exit__(self, *exc):
        with self.lock:
            self.readers -= 1
            if self.readers == 0:
                self.limit.restore_original_limits()
                self.limit = None


_one_blas_thread = _OneBlasThread()


def one_blas_thread() -> _OneBlasThread:
    return _one_blas_thread


def model_folder() -> Path:
    """The model the settings choose: PROPSCOPE_MODEL_DIR, or the bundled one PROPSCOPE_MODEL names."""
    if settings.get("model_dir"):
        folder = Path(settings.get("model_dir"))
        if not folder.is_dir():
            raise PropscopeError(f"{settings.SETTINGS['model_dir'].env}={str(folder)!r}: no such folder")
        return folder
    name = settings.get("model")
    if name not in BUNDLED:
        raise PropscopeError(f"{settings.SETTINGS['model'].env}={name!r}: the bundled models are "
                             + ", ".join(BUNDLED))
    return BUNDLED[name]


def load(folder: str | Path | None = None, threads: int | None = None,
         blind_names: bool | None = None) -> Detector:
    """The model in ``folder`` (default: the one the settings choose), trained or combined."""
    folder = Path(folder or model_folder())
    config = _config(folder)
    if config.get("untuned"):
        raise ModelError(f"model folder {folder} was trained but not tuned (its training stopped before "
                         "tuning): run the same propscope train command again to finish it")
    if "members" in config:
        from .combined import Combined
        return Combined(folder, threads, blind_names)
    return Detector(folder, threads, blind_names)


@dataclass(frozen=True)
class Candidate:
    """A detected fragment before it becomes Spans: span probability and technique probabilities."""

    start: int
    end: int
    span_prob: float
    tech_probs: np.ndarray   # (14,)


_LONE_BREAK = re.compile(r"\r(?!\n)|[\u2028\u2029]")


def as_lines(text: str) -> str:
    """``text`` with its line breaks as the model learned them, where that keeps every offset: a
    carriage return alone (as old Macs saved text) and Unicode's line and paragraph separators
    read as line feeds (CRLF already reads as LF)."""
    return _LONE_BREAK.sub("\n", text)


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


Encoded = tuple[Tokens, np.ndarray, dict[int, np.ndarray]]


def reading_version(config: dict, blinded: bool) -> str:
    """The version a model with this config reports: "+blind-names" when it reads names blinded
    but was not trained so, which keeps the two readings' analyses apart in a corpus store."""
    version = config.get("version", "unversioned")
    return version + "+blind-names" if blinded and not config.get("blind_names") else version


def current_version() -> str:
    """The version a Detector made now would report (the model and reading the settings choose),
    read from the model's config without loading it."""
    return reading_version(_config(model_folder()), settings.get_bool("blind_names"))


def trained_blind(folder: str | Path | None = None) -> bool:
    """Whether the model in ``folder`` (default: the one the settings choose) was trained on text
    with its names blinded: it then reads names blinded whatever is asked. A combined model reads
    names as its first member does."""
    folder = Path(folder or model_folder())
    config = _config(folder)
    if "members" in config:
        from .combined import member_folder
        try:
            return trained_blind(member_folder(folder, config["members"][0]["model"]))
        except (KeyError, IndexError, TypeError) as exc:
            raise ModelError(f"combined model {folder} is incomplete or damaged ({exc})") from None
    return bool(config.get("blind_names"))


def _config(folder: Path) -> dict:
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, ValueError) as exc:
        raise damaged(folder, str(exc)) from None


def damaged(folder: Path, why: str) -> ModelError:
    """A model folder that cannot be read, and how to mend it: a bundled one comes with propscope, a
    trained one from the command that made it (an interrupted training leaves one so)."""
    if any(Path(folder).resolve() == bundled.resolve() for bundled in BUNDLED.values()):
        fix = "reinstall propscope"
    else:
        fix = ("run the propscope train (or combine) command that made it again, or choose another model "
               "(PROPSCOPE_MODEL_DIR)")
    return ModelError(f"model folder {folder} is incomplete or damaged ({why}); {fix}")


class _Doc:
    """An article being encoded: tag probabilities per token, and the states kept."""

    def __init__(self, tokens: Tokens, cues: np.ndarray | None = None):
        self.tokens = tokens
        self.cues = cues          # hand-made token features, for a model that reads them
        self.probs = np.zeros((len(tokens.ids), 3), dtype=np.float32)
        self.probs[:, 0] = 1.0
        self.kept: dict[int, np.ndarray] = {}

    def result(self) -> Encoded:
        return self.tokens, self.probs, self.kept


class Detector:
    def __init__(self, folder: str | Path | None = None, threads: int | None = None,
                 blind_names: bool | None = None):
        """``blind_names``: read each run of names as a placeholder word (model/names.py), with the
        settings and calibration tuned for that reading; None: the ``blind_names`` setting.
        A model trained blind always reads that way."""
        folder = Path(folder or model_folder())
        try:
            self.config = json.loads((folder / "config.json").read_text())
            head = np.load(folder / "span_head.npz")
            self.w1, self.b1, self.w2, self.b2 = head["w1"], head["b1"], head["w2"], head["b2"]
            # a tagger trained with a CRF layer: its tag probabilities are the CRF's marginals
            self.crf = Transitions(head["crf_start"], head["crf_end"], head["crf_pairs"]) \
                if "crf_pairs" in head else None
            self.tokenizer = load_tokenizer(str(folder / "tokenizer.json"))
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as exc:
            raise damaged(folder, str(exc)) from None
        import onnxruntime as ort
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = settings.get_int("threads") if threads is None else threads
        opts.inter_op_num_threads = 1
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # idle encoder threads must not spin: the decoding between batches needs the cores
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        encoder = frozen.encoder_path(folder)
        try:
            self.session = ort.InferenceSession(str(encoder), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:        # onnxruntime's own types: a file cut short, or not a model at all
            said = str(exc).strip().splitlines()
            raise damaged(folder, f"{encoder.name}: {said[0][:200] if said else type(exc).__name__}") from None
        self.folder = folder
        self.cls_id, self.sep_id, self.pad_id = special_ids(self.tokenizer)
        self.window = int(self.config["window"])
        self.stride = int(self.config["stride"])
        self.lines = self.config.get("windows") == "lines"     # each line read on its own
        self.cues = "token_cues" in {i.name for i in self.session.get_inputs()}
        self.trained_blind = bool(self.config.get("blind_names"))
        if blind_names is None:
            blind_names = settings.get_bool("blind_names")
        self._reading: names.Reading | None = None
        self.common = None          # a blind reader's common words: a capitalised word not among them is a name
        if blind_names or self.trained_blind:
            self.common = names.load(folder)
            if self.common is None:
                raise ModelError(f"model folder {folder} has no {names.FILE}: this model cannot blind names")
        self._decoding_settings()

    def _decoding_settings(self) -> None:
        """Thresholds from the config, those tuned for reading names blinded when it does."""
        if self.common is not None and not self.trained_blind and "blind" in self.config:
            self.config = {**self.config, **self.config["blind"]}
        # the words a blind reading puts for names: those it was tuned with ("X" for every name in models
        # tuned before 2026-12-06, and in those trained blind, as they were trained)
        self.placeholders = tuple(self.config.get("placeholders", (names.PLACEHOLDER,)))
        self.threshold = float(self.config["threshold"])
        self.low_threshold = float(self.config.get("low_threshold", self.threshold))
        self.gap = int(self.config.get("gap", 0))
        self.second_threshold = float(self.config.get("second_threshold", 1.0))

    @property
    def version(self) -> str:
        """The model's version; "+blind-names" when it reads names blinded but was not trained so."""
        return reading_version(self.config, self.common is not None)

    def validation(self, blind: bool | None = None) -> dict:
        """The model's validation figures (validation.json), or {} when it has none: those of its
        reading of names, or of the reading ``blind`` names (a model trained blind reads so anyway)."""
        path = self.folder / "validation.json"
        figures = json.loads(path.read_text()) if path.exists() else {}
        blind = self.common is not None if blind is None else blind
        if blind and not self.trained_blind and "blind" in figures:
            figures = {**figures, **figures["blind"]}      # the figures of this way of reading
        return figures

    def held_out_ids(self) -> set[str]:
        """Ids of the articles held out from this model's training (for honest evaluation)."""
        path = self.folder / "training.json"
        return set(json.loads(path.read_text())["held_out_ids"]) if path.exists() else set()

    # -- encoder -------------------------------------------------------------------------
    def encode(self, text: str, keep=None) -> Encoded:
        """Tag probabilities for every token, and the states of the tokens ``keep`` selects.

        ``keep(first, probs)`` gets the index of a run of tokens and their tag probabilities
        and returns a boolean mask of the ones whose states are needed.
        """
        return next(self.encode_many([text], keep))

    def encode_many(self, texts: Iterable[str], keep=None) -> Iterator[Encoded]:
        """``encode`` for a stream of articles, in order.

        Each window goes through the encoder on its own: the int8 encoder quantises activations
        with one scale per call, so windows sharing a call (and their padding) would move each
        other's probabilities, and an article's result would depend on its neighbours. Alone,
        a window's result depends on its own tokens only, and on this CPU it is no slower.
        Each token is read from the one window whose core holds it (away from window edges).
        """
        for text in texts:
            yield self.encode_tokens(text, self.tokens(text), keep)

    def encode_tokens(self, text: str, tokens: Tokens, keep=None) -> Encoded:
        """``encode`` for an article already tokenised (``self.tokens(text)``)."""
        reading = self.reading(text)
        cues = token_features(reading.text, reading.offsets_to_view(tokens.offsets), self.lines) if self.cues else None
        doc = _Doc(tokens, cues)
        for window in plan(text, doc.tokens.offsets, self.window, self.stride, self.lines):
            self._run(doc, window, keep)
        return doc.result()

    def reading(self, text: str) -> names.Reading:
        """What the model reads of ``text``: the text itself, or its copy with names blinded."""
        reading = self._reading          # one article's reading is kept: tokens, cues and span features share it
        if reading is None or reading.original is not text:
            reading = self._reading = names.Reading(text, self.common, self.placeholders)
        return reading

    def tokens(self, text: str) -> Tokens:
        """The article's tokens as this model reads them, offsets into ``text``."""
        return tokenize_reading(self.tokenizer, self.reading(text))

    def feed(self, ids: np.ndarray, cues: np.ndarray | None, w: Window) -> dict[str, np.ndarray]:
        """The encoder's inputs for one window of an article's token ids (and token cues)."""
        window_ids, mask = stack([ids[w.lo:w.hi]], self.cls_id, self.sep_id, self.pad_id)
        feeds = {"input_ids": window_ids, "attention_mask": mask}
        if cues is not None:          # none for [CLS] and [SEP]
            feeds["token_cues"] = np.zeros((1, window_ids.shape[1], cues.shape[1]), dtype=np.float32)
            feeds["token_cues"][0, 1:w.hi - w.lo + 1] = cues[w.lo:w.hi]
        return feeds

    def _run(self, doc: _Doc, w: Window, keep) -> None:
        states, logits = self.session.run(None, self.feed(doc.tokens.ids, doc.cues, w))
        lo, hi = w.core_lo - w.lo + 1, w.core_hi - w.lo + 1
        if self.crf is None:
            p = _softmax(logits[0, lo:hi])
        else:           # the CRF reads the whole window, as in training
            p = self.crf.marginals(logits[0, 1:w.hi - w.lo + 1])[lo - 1:hi - 1]
        doc.probs[w.core_lo:w.core_hi] = p
        if keep is not None:
            picked = np.nonzero(keep(w.core_lo, p))[0]
            block = states[0, lo + picked]          # a copy: the call's outputs can go
            doc.kept.update(zip((w.core_lo + picked).tolist(), block))

    def technique_probs(self, text: str, firsts: list[int], lasts: list[int], starts: list[int],
                        ends: list[int], kept: dict[int, np.ndarray]) -> np.ndarray:
        if not firsts:
            return np.zeros((0, len(NAMES)), dtype=np.float32)
        reps = []
        reading = self.reading(text)
        for first, last, start, end in zip(firsts, lasts, starts, ends):
            # tokens of a joined gap may lie below the kept level: average those that are kept
            states = np.stack([kept[i] for i in range(first, last + 1) if i in kept])
            reps.append(np.concatenate([states.mean(0), kept[first], kept[last],
                                        span_features(reading.text, *reading.to_view(start, end))]))
        hidden = np.maximum(np.stack(reps) @ self.w1 + self.b1, 0.0)
        return _softmax(hidden @ self.w2 + self.b2)

    # -- tasks -----------------------------------------------------------------------------
    def candidates_from(self, text: str, encoded: Encoded, high: float, low: float, gap: int) -> list[Candidate]:
        """Fragments the tagger puts inside a span, with technique probabilities, from an encoding
        whose kept states cover every token at ``low`` or above."""
        tokens, probs, kept = encoded
        found = decode(text, tokens.offsets, probs, high, low, gap)
        tech = self.technique_probs(text, [f[2] for f in found], [f[3] for f in found],
                                    [f[0] for f in found], [f[1] for f in found], kept)
        return [Candidate(s, e, p, t) for (s, e, _, _, p), t in zip(found, tech)]

    def picks(self, candidates: list[Candidate]) -> list[tuple[Candidate, int]]:
        """(candidate, technique) pairs: the best technique, and the runner-up when it is likely too."""
        out = []
        for c in candidates:
            order = np.argsort(-c.tech_probs)
            out.append((c, int(order[0])))
            if c.tech_probs[order[1]] >= self.second_threshold:
                out.append((c, int(order[1])))
        return out

    def confidence(self, span_prob: np.ndarray, tech_prob: np.ndarray) -> np.ndarray:
        """Calibrated probability that a fragment is right, technique included."""
        cal = self.config.get("calibration")
        if not cal:
            return span_prob * tech_prob
        return calibration.apply(calibration.features(span_prob, tech_prob), cal["coef"], cal["intercept"])

    def to_spans(self, candidates: list[Candidate], article_id: str = "") -> list[Span]:
        pairs = self.picks(candidates)
        if not pairs:
            return []
        conf = self.confidence(np.array([c.span_prob for c, _ in pairs]),
                               np.array([c.tech_probs[k] for c, k in pairs]))
        return sorted(Span(article_id, c.start, c.end, NAMES[k], round(float(p), 4))
                      for (c, k), p in zip(pairs, conf))

    def detect(self, text: str, article_id: str = "", sensitive: bool = False) -> list[Span]:
        return next(self.detect_many([(article_id, text)], sensitive))[1]

    def detect_many(self, articles: Iterable[tuple[str, str]],
                    sensitive: bool = False) -> Iterator[tuple[str, list[Span]]]:
        """(article id, spans) for a stream of (article id, text), in order.

        ``sensitive`` decodes with the model's lower thresholds: more of the text marked, each fragment with a
        (lower) calibrated confidence, for exploring an article rather than scoring it."""
        high, low, gap = self.threshold, self.low_threshold, self.gap
        if sensitive and "sensitive" in self.config:
            chosen = self.config["sensitive"]
            high, low, gap = float(chosen["threshold"]), float(chosen["low_threshold"]), int(chosen["gap"])
        keep = (lambda _, probs: (1.0 - probs[:, 0]) >= low)
        for aid, text in articles:
            with one_blas_thread():
                text = as_lines(text)
                found = self.candidates_from(text, self.encode(text, keep), high, low, gap)
                spans = self.to_spans(found, aid)
            yield aid, spans

    def rank(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        """Technique probabilities (n, 14) for given character spans (the TC setting)."""
        if not spans:
            return np.zeros((0, len(NAMES)), dtype=np.float32)
        with one_blas_thread():
            return self._rank(text, spans)

    def _rank(self, text: str, spans: list[tuple[int, int]]) -> np.ndarray:
        text = as_lines(text)
        tokens = self.tokens(text)
        need = np.zeros(len(tokens.ids), bool)
        bounds = []
        for start, end in spans:
            hit = token_span(tokens.offsets, start, end)
            bounds.append(hit)
            if hit:
                need[hit[0]:hit[1] + 1] = True
        _, _, kept = self.encode(text, keep=lambda first, p: need[first:first + len(p)])
        found = [(b, s) for b, s in zip(bounds, spans) if b is not None]
        probs = self.technique_probs(text, [b[0] for b, _ in found], [b[1] for b, _ in found],
                                     [s[0] for _, s in found], [s[1] for _, s in found], kept)
        out = np.full((len(spans), len(NAMES)), 1.0 / len(NAMES), dtype=np.float32)
        rows = [i for i, b in enumerate(bounds) if b is not None]
        out[rows] = probs
        return out

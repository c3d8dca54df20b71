"""Hand-made features: per span, what the classifier sees beside the encoder's states; per token,
what the encoder reads beside the token ids."""

from __future__ import annotations

import math
import re

import numpy as np

N_FEATURES = 4


def span_features(text: str, start: int, end: int) -> np.ndarray:
    """Repetition cues and length: how often the fragment recurs elsewhere in the article."""
    raw = text[start:end]
    fragment = raw.strip().lower()
    own = start + len(raw) - len(raw.lstrip())   # where the stripped fragment itself starts
    others = _others(text, raw.strip(), own) if len(fragment) > 1 else 0
    words = len(fragment.split())
    return np.array([math.log1p(others), float(others > 0), math.log1p(words) / 3.0,
                     float("?" in fragment)], dtype=np.float32)


def _others(text: str, needle: str, own: int) -> int:
    """Whole-word, case-insensitive occurrences of ``needle`` other than the one at ``own``."""
    lowered, low_needle = text.lower(), needle.lower()
    if len(lowered) != len(text) or len(low_needle) != len(needle):
        # lower() changed lengths (rare letters): match on the original text instead
        pattern = re.compile(r"(?<!\w)" + re.escape(needle) + r"(?!\w)", re.IGNORECASE)
        return sum(1 for m in pattern.finditer(text) if m.start() != own)
    count, n = 0, len(needle)
    i = lowered.find(low_needle)
    while i != -1:
        if (i != own and (i == 0 or not _word(text[i - 1]))
                and (i + n == len(text) or not _word(text[i + n]))):
            count += 1
        i = lowered.find(low_needle, i + 1)
    return count


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


# -- per token: what the encoder's input carries beside the token ids ------------------------

TOKEN_CUES = ("word before", "word after", "pair before", "pair after", "triple before", "triple after",
              "capitalised", "capitals", "quoted")
N_TOKEN_FEATURES = len(TOKEN_CUES)
_COL = {name: i for i, name in enumerate(TOKEN_CUES)}

# function words: their repetition says nothing (a repeated "of the" is no Repetition)
_STOP = frozenset("""a about above after again against all also am an and any are as at be because been before
being below between both but by can could did do does doing down during each either few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more most my myself
no nor not now of off on once only or other our ours ourselves out over own said same says she should so some
such than that the their theirs them themselves then there these they this those through to too under until up
upon very was we were what when where which while who whom why will with would you your yours yourself
yourselves""".split())
_WORDS = re.compile(r"\w+")
_QUOTED = re.compile(r"[\"“«„]([^\"“”«»„\n]{1,120})[\"”»“]|(?<!\w)['‘]([^'‘’\n]{1,80}?)['’](?!\w)")


def token_features(text: str, offsets: np.ndarray, lines: bool = False) -> np.ndarray:
    """(n tokens, N_TOKEN_FEATURES) cues the uncased encoder cannot see or reach.

    Per word: how often it came before and comes after in the article (content words only),
    whether a word pair or triple holding it recurs before or after, capitalised inside a
    sentence, all capitals, and inside quotation marks (scare quotes). A token takes the cues
    of the word it starts in. ``lines``: each line on its own, as when windows stay within
    lines, so nothing on another line moves a line's cues.
    """
    out = np.zeros((len(offsets), N_TOKEN_FEATURES), dtype=np.float32)
    if not lines:
        _fill(text, offsets, out)
        return out
    starts = offsets[:, 0]
    lo = 0
    for line in text.split("\n"):
        hi = lo + len(line)
        rows = np.nonzero((starts >= lo) & (starts < hi))[0]
        if len(rows):
            part = np.zeros((len(rows), N_TOKEN_FEATURES), dtype=np.float32)
            _fill(line, offsets[rows] - lo, part)
            out[rows] = part
        lo = hi + 1
    return out


def _fill(text: str, offsets: np.ndarray, out: np.ndarray) -> None:
    words = [(m.start(), m.end(), m.group().lower()) for m in _WORDS.finditer(text)]
    if not words or not len(offsets):
        return
    n = len(words)
    feats = np.zeros((n, N_TOKEN_FEATURES), dtype=np.float32)
    low = [w for _, _, w in words]
    content = [w not in _STOP and len(w) > 2 and not w.isdigit() for w in low]
    before, after = _COL["word before"], _COL["word after"]
    seen: dict = {}
    for i, w in enumerate(low):                 # unigrams: earlier copies, then later ones
        if content[i]:
            feats[i, before] = seen.get(w, 0)
            seen[w] = seen.get(w, 0) + 1
    for i, w in enumerate(low):
        if content[i]:
            feats[i, after] = seen[w] - feats[i, before] - 1
    feats[:, [before, after]] = np.log1p(feats[:, [before, after]]) / 2.0
    for size, name in ((2, "pair"), (3, "triple")):   # word pairs and triples holding a content word
        grams = [tuple(low[i:i + size]) if any(content[i:i + size]) else None for i in range(n - size + 1)]
        first: dict = {}
        last: dict = {}
        for i, g in enumerate(grams):
            if g is not None:
                first.setdefault(g, i)
                last[g] = i
        for i, g in enumerate(grams):
            if g is None:
                continue
            if first[g] < i:
                feats[i:i + size, _COL[f"{name} before"]] = 1.0
            if last[g] > i:
                feats[i:i + size, _COL[f"{name} after"]] = 1.0
    for i, (s, e, _) in enumerate(words):
        w = text[s:e]
        j = s - 1
        while j >= 0 and text[j].isspace():
            j -= 1
        feats[i, _COL["capitalised"]] = float(w[:1].isupper() and j >= 0 and text[j] not in ".!?\"”:")
        feats[i, _COL["capitals"]] = float(len(w) > 1 and w.isupper())
    # each character's word (-1 between words), and the quoted stretches
    owner = np.full(len(text) + 1, -1, dtype=np.int64)
    for i, (s, e, _) in enumerate(words):
        owner[s:e] = i
    quoted = np.zeros(len(text) + 1, dtype=bool)
    for m in _QUOTED.finditer(text):
        quoted[m.start():m.end()] = True
    starts = np.clip(offsets[:, 0], 0, len(text))
    which = owner[starts]
    has = which >= 0
    out[has] = feats[which[has]]
    out[:, _COL["quoted"]] = quoted[starts]

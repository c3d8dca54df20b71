"""From per-token tag probabilities to character spans."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import regex

O = 0   # tag columns: O, B, I
_TRIM = ".,:;"       # and any space or invisible character: see _edge


def token_runs(probs: np.ndarray, high: float, low: float | None = None, gap: int = 0) -> list[tuple[int, int]]:
    """Runs of tokens (first, last inclusive) inside a span, by hysteresis.

    A run is a stretch of tokens whose inside-probability is at least ``low`` and that holds
    at least one token at ``high`` or more; runs at most ``gap`` tokens apart are joined.
    The tagger's inside-probabilities dip inside long fragments: this keeps them whole.
    """
    low = high if low is None else min(low, high)
    inside = 1.0 - probs[:, O] if len(probs) else np.zeros(0)
    runs: list[tuple[int, int]] = []
    start = None
    for i, p in enumerate(np.append(inside, -1.0)):      # a sentinel closes the last run
        if p >= low and start is None:
            start = i
        elif p < low and start is not None:
            if inside[start:i].max() >= high:
                if runs and start - runs[-1][1] - 1 <= gap:
                    runs[-1] = (runs[-1][0], i - 1)
                else:
                    runs.append((start, i - 1))
            start = None
    return runs


def _wordish(ch: str) -> bool:
    """A letter or digit, or a combining mark (the tokenizer drops accents from its offsets)."""
    return ch.isalnum() or unicodedata.category(ch)[0] == "M"


def _edge(ch: str) -> bool:
    """Trimmed from a fragment's ends: spaces of any kind (an em space, a line separator), invisible
    characters (zero-width spaces and joiners, a byte order mark, controls) and ``_TRIM``."""
    return ch in _TRIM or ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zs", "Zl", "Zp")


_JOINERS = "'\u2019-\u2010"       # apostrophes and hyphens within a word: won't, world's, open-minded


def _inword(text: str, i: int) -> bool:
    """Character ``i`` belongs to a word: a letter or digit, an apostrophe or hyphen between two of
    them, or a stop of an abbreviation in capitals (U.S., U.S.A.)."""
    ch = text[i]
    if _wordish(ch):
        return True
    before = text[i - 1] if i > 0 else ""
    after = text[i + 1] if i + 1 < len(text) else ""
    if ch in _JOINERS:
        return bool(before) and bool(after) and _wordish(before) and _wordish(after)
    if ch == ".":
        return before.isupper() and (after.isupper() and text[i + 2:i + 3] == "." or text[i - 2:i - 1] == ".")
    return False


def _opens_unclosed(fragment: str) -> bool:
    """The fragment starts with a quotation mark that it does not close."""
    if fragment.startswith("\u201c"):
        return "\u201d" not in fragment
    if fragment.startswith(("\u2018", "'")):    # its partner ends a word; an apostrophe within one (won't) is none
        close = "\u2019" if fragment[0] == "\u2018" else "'"
        return not any(ch == close and (i + 1 == len(fragment) or not _wordish(fragment[i + 1]))
                       for i, ch in enumerate(fragment) if i > 0)
    return fragment.startswith('"') and fragment.count('"') % 2 == 1


def _closes_unopened(fragment: str) -> bool:
    """The fragment ends with a double quotation mark that it does not open."""
    if fragment.endswith("\u201d"):
        return "\u201c" not in fragment
    return fragment.endswith('"') and fragment.count('"') % 2 == 1


def snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen to whole words (won't, open-minded and U.S. are each one), then trim spaces and the
    punctuation PTC never puts at span edges, and a quotation mark the fragment opens and does not
    close (PTC starts 7 of 6,128 so) or closes and did not open."""
    while start > 0 and _inword(text, start - 1) and _inword(text, start):
        start -= 1
    while end < len(text) and _inword(text, end) and _inword(text, end - 1):
        end += 1
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]) and not _inword(text, end - 1):
        end -= 1
    if start < end and _opens_unclosed(text[start:end]):
        start += 1
        while start < end and _edge(text[start]):
            start += 1
    if start < end and _closes_unopened(text[start:end]):
        end -= 1
        while end > start and _edge(text[end - 1]) and not _inword(text, end - 1):
            end -= 1
    return start, _whole_character(text, start, end)


_CHARACTER = regex.compile(r"\X")       # a user-perceived character: ☠ with its U+FE0F, a flag with its tags


def _whole_character(text: str, start: int, end: int) -> int:
    """``end`` moved past the rest of the character it cuts (the tokenizer drops variation
    selectors, joiners and tags from its offsets, and ``_edge`` trims the invisible ones)."""
    pos = start
    while pos < end:
        pos = _CHARACTER.match(text, pos).end()
    return pos


# PTC ends 60 of its 6,128 train fragments with one of these words, and none is made of them only;
# the tagger's runs end with one about ten times as often ("the most prominent drummers of",
# "chaotic and shameful like"). Cutting them leaves SI F1 unchanged.
_TRAILING = frozenset("of the a an and or to in on for with by at from that as its their his her "
                      "like than but which who whom whose".split())


def _last_token(text: str, offsets: np.ndarray, inside: np.ndarray, floor: float, first: int, last: int) -> int:
    """Where a fragment ends: on a token inside (at ``floor`` or above), and not on a trailing
    function word or the punctuation after one."""
    while last > first:
        if inside[last] < floor:
            last -= 1
            continue
        k = last
        while k > first and not any(ch.isalnum() for ch in text[offsets[k, 0]:offsets[k, 1]]):
            k -= 1
        start, end = int(offsets[k, 0]), int(offsets[k, 1])
        whole = (start == 0 or not _wordish(text[start - 1])) and (end == len(text) or not _wordish(text[end]))
        if k == first or not whole or text[start:end].lower() not in _TRAILING:
            break
        last = k - 1
    return last


_WORD = re.compile(r"[^\W_]+")
_BLANK_LINE = re.compile(r"\n(?:[^\S\n]|[\u200b-\u200d\u2060\ufeff])*\n")   # spaces or invisible characters only


def paragraphs(text: str, first: int, last: int, offsets: np.ndarray) -> list[tuple[int, int]]:
    """The run of tokens ``first..last`` cut at blank lines: no PTC fragment crosses one (none of
    6,128 in the train split), while a run joined across a small gap can."""
    start, end = int(offsets[first, 0]), int(offsets[last, 1])
    pieces, lo = [], first
    for m in _BLANK_LINE.finditer(text, start, end):
        hi = lo
        while hi + 1 <= last and offsets[hi + 1, 0] < m.start():
            hi += 1
        if offsets[lo, 0] < m.start():
            pieces.append((lo, hi))
        lo = hi + 1
        while lo <= last and offsets[lo, 0] < m.end():
            lo += 1
    if lo <= last:
        pieces.append((lo, last))
    return pieces


def decode(text: str, offsets: np.ndarray, probs: np.ndarray, high: float, low: float | None = None,
           gap: int = 0) -> list[tuple[int, int, int, int, float]]:
    """Spans as (start, end, first token, last token, mean inside-probability)."""
    out = []
    inside = 1.0 - probs[:, O]
    floor = high if low is None else min(low, high)
    for run in token_runs(probs, high, low, gap):
        for first, last in paragraphs(text, *run, offsets):
            if inside[first:last + 1].max() < high:     # the piece must hold a sure token itself
                continue
            while inside[first] < floor:                # and start and end on tokens inside
                first += 1
            last = _last_token(text, offsets, inside, floor, first, last)
            start, end = snap(text, int(offsets[first, 0]), int(offsets[last, 1]))
            words = _WORD.findall(text[start:end].lower())
            if not words or all(w in _TRAILING for w in words):
                continue
            out.append((start, end, first, last, float(inside[first:last + 1].mean())))
    return out

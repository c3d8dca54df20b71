"""Swap the sides of a pair in a text, keeping a map from the copy's offsets back to the original's."""

from __future__ import annotations

import os
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Iterable

import numpy as np

from ..spans import Span
from .pairs import Pair

CLOSERS = "\"'”’)]»"
OPENERS = "\"'“‘([«"


def sentence_start(text: str, at: int) -> bool:
    """Whether the word at ``at`` opens a sentence or a line (quotes and brackets skipped)."""
    i = at - 1
    while i >= 0 and (text[i] in OPENERS or text[i] in " \t\u00a0"):
        i -= 1
    return i < 0 or text[i] in ".!?:;\n\r"


def ends_line(text: str, at: int) -> bool:
    """Whether only closing quotes or brackets and spaces stand between ``at`` and the end of its
    line (or of the text): a full stop there ends a sentence ("the U.S.\"" as "China.\"")."""
    i = at
    while i < len(text) and (text[i] in CLOSERS or text[i] in " \t\u00a0"):
        i += 1
    return i == len(text) or text[i] in "\r\n"


# words that open a sentence but are no part of a name: "the U.S. Then" ends a sentence at "U.S.",
# "the U.S. Senate" does not; prepositions and "and" left out, as a headline in title case has them
# capitalised ("Judge Orders U.S. To Delay")
OPENING_WORDS = frozenset("""
a an the this that these those it its he she they we i you his her their our my your there here
then but so yet if when while after before since though although because however
meanwhile still now today yesterday tomorrow what who why how
no not never all some many most each every both such instead indeed moreover also thus
""".split())


def ends_sentence(text: str, at: int) -> bool:
    """Whether a full stop just before ``at`` ends a sentence: at a line's end, or before a word
    (after closing quotes and spaces), capitalised, that opens sentences and names nothing ("The", "Then")."""
    if ends_line(text, at):
        return True
    i = at
    while i < len(text) and text[i] in CLOSERS:
        i += 1
    word = _NEXT_WORD.match(text, i)
    return (bool(word) and word.group(1).istitle() and word.group(1).lower() in OPENING_WORDS
            and not _title_case(text, at))     # "Why The U.S. Still Leads": a headline's words are capitalised


def _title_case(text: str, at: int) -> bool:
    """Whether the line holding ``at`` is a headline in title case: most of its words capitalised
    (of the 200 characters either side, so that a long line is not read again at every name)."""
    start, end = text.rfind("\n", max(0, at - 200), at) + 1, text.find("\n", at, at + 200)
    start = max(start, at - 200)
    words = re.findall(r"[^\W\d_]+", text[start:at + 200 if end < 0 else end])
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


_NEXT_WORD = re.compile(r"[ \t\u00a0]+[\"'“‘(\[«]*([^\W\d_]+)\b")


# "US" written in capitals is the pronoun as often as the country: in a line in capitals it is
# read as the pronoun only where a country is not meant: after "LET" or "ALL OF", before "ALL" or
# "BOTH", or after a verb said of people where no noun follows it ("THEY HATE US!", "JOIN US
# TONIGHT", "LIED TO US ABOUT IRAQ"). A headline drops its articles, so "CHINA TO SANCTION US." and
# "WARNS US, EU" are the country, and so is "US" before a noun ("JOIN US AIRSTRIKES", "US-LED")
_PRONOUN = re.compile(r"(?<!\w)(?:LET|(?:ALL|EACH|MANY|MOST|SOME|NONE|BOTH|ONE) OF)[ \t\u00a0]+$")
_PEOPLES_VERB = re.compile(r"(?<!\w)(?:HATES?|JOIN|HELPS?|TELLS?|GIVES?|SAVE|BLESS|FORGIVE|TRUST|FOLLOW|AMONG|"
                           r"(?:LIED?|LIES|LYING) TO)[ \t\u00a0]+$")
_AFTER_PRONOUN = re.compile(r"[ \t\u00a0]+(?:ALL|BOTH)(?!\w)")
_CLAUSE_ENDS = re.compile(r"[\"'”’)\]»]*(?:[.,!?;:…]|[ \t\u00a0]*(?:[\r\n]|$))")
# words that follow an object pronoun but not a country's name used as an adjective ("US TROOPS")
_AFTER_OBJECT = frozenset("""
ON IN TO AT BY FOR FROM WITH ABOUT AGAINST INTO OVER UNDER THROUGH BECAUSE WHEN WHILE IF AS SO
AND OR BUT NOR THAT THIS WHAT WHY HOW WHERE WHO EVERY TONIGHT TODAY NOW AGAIN HERE THERE OUT UP
DOWN BACK OFF AWAY TOO ALONE FOREVER ALWAYS NEVER ONCE
""".split())
_NEXT = re.compile(r"[ \t\u00a0]+([A-Z]+)\b(?![-–])")


def pronoun_us(text: str, start: int, end: int) -> bool:
    """Whether "US" at ``text[start:end]``, in a line in capitals, is the pronoun: after "LET" or
    "ALL OF", before "ALL" or "BOTH", or after a verb said of people ("HATE", "JOIN", "LIED TO")
    where its clause ends or a word that follows no noun comes next ("ON", "BECAUSE", "TONIGHT")."""
    if sentence_start(text, start):         # the pronoun is no subject: "US ALL AGREE" is the country's
        return False
    before = text[max(0, start - 16):start]
    if _PRONOUN.search(before) or _AFTER_PRONOUN.match(text, end):
        return True
    if not _PEOPLES_VERB.search(before):
        return False
    after = _NEXT.match(text, end)
    return bool(_CLAUSE_ENDS.match(text, end) or (after and after.group(1) in _AFTER_OBJECT))


@dataclass(frozen=True, slots=True)
class Replacement:
    """``original[start:end]`` became ``text[copy_start:copy_end]``."""

    start: int
    end: int
    copy_start: int
    copy_end: int


@dataclass(frozen=True)
class Swapped:
    """A copy of ``original`` with names replaced; offsets map both ways."""

    original: str
    text: str
    replacements: tuple[Replacement, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of the copy as offsets of the original; a boundary inside a replaced name
        moves out to that whole name."""
        starts, table = self._backward
        return _map(start, False, starts, table), _map(end, True, starts, table)

    def to_copy(self, start: int, end: int) -> tuple[int, int]:
        """Offsets of the original as offsets of the copy (the inverse of ``to_original``)."""
        starts, table = self._forward
        return _map(start, False, starts, table), _map(end, True, starts, table)

    def offsets_to_original(self, offsets: np.ndarray) -> np.ndarray:
        """``to_original`` for an (n, 2) array of (start, end) offsets of the copy, at once."""
        return _map_offsets(offsets, *self._backward)

    def offsets_to_copy(self, offsets: np.ndarray) -> np.ndarray:
        """``to_copy`` for an (n, 2) array of (start, end) offsets of the original, at once."""
        return _map_offsets(offsets, *self._forward)

    @cached_property
    def _backward(self) -> tuple[list[int], list[tuple[int, int, int, int]]]:
        rs = self.replacements
        return [r.copy_start for r in rs], [(r.copy_start, r.copy_end, r.start, r.end) for r in rs]

    @cached_property
    def _forward(self) -> tuple[list[int], list[tuple[int, int, int, int]]]:
        rs = self.replacements
        return [r.start for r in rs], [(r.start, r.end, r.copy_start, r.copy_end) for r in rs]

    def span_to_original(self, span: Span) -> Span:
        start, end = self.to_original(span.start, span.end)
        return replace(span, start=start, end=end)


def _map(pos: int, is_end: bool, starts: list[int], spans: list[tuple[int, int, int, int]]) -> int:
    """Map ``pos`` through replacements given as (from_start, from_end, to_start, to_end), sorted."""
    i = (bisect_left if is_end else bisect_right)(starts, pos) - 1
    if i < 0:
        return pos
    from_start, from_end, to_start, to_end = spans[i]
    if pos < from_end or (is_end and pos == from_end):
        return to_end if is_end else to_start
    return to_end + (pos - from_end)


def _map_offsets(offsets: np.ndarray, starts: list[int], spans: list[tuple[int, int, int, int]]) -> np.ndarray:
    """``_map`` for an (n, 2) array of (start, end) offsets."""
    if not starts:
        return offsets
    return np.stack([_map_array(offsets[:, 0], False, starts, spans),
                     _map_array(offsets[:, 1], True, starts, spans)], axis=1).astype(offsets.dtype)


def _map_array(pos: np.ndarray, is_end: bool, starts: list[int], spans: list[tuple[int, int, int, int]]) -> np.ndarray:
    """``_map`` for an array of positions."""
    i = np.searchsorted(np.asarray(starts), pos, side="left" if is_end else "right") - 1
    from_start, from_end, to_start, to_end = np.asarray(spans)[np.maximum(i, 0)].T
    inside = (pos < from_end) | (is_end & (pos == from_end))
    mapped = np.where(inside, to_end if is_end else to_start, to_end + (pos - from_end))
    return np.where(i < 0, pos, mapped)


class Swapper:
    """Replaces whole-word forms in one pass, longest first, so A->B and B->A never cascade.

    Besides each form as written it matches: a lower-case form capitalised at a sentence start
    (not inside one: "the Church of England" keeps its church), the form in ALL CAPS, and a form
    with ' written with a curly apostrophe. ``keep`` names are matched too but left as they are,
    so a name inside them is not swapped.
    """

    def __init__(self, mapping: dict[str, str], keep: Iterable[str] = ()):
        table = dict(mapping)
        for name in keep:
            table.setdefault(name, name)
        self.opening: set[str] = set()      # forms matched only where they open a sentence
        for source, target in list(table.items()):
            for s, t in _variants(source, target):
                if s not in table:
                    table[s] = t
                    if s[0] != source[0] and not s.isupper():
                        self.opening.add(s)
        self.table = table
        alternatives = "|".join(re.escape(s) for s in sorted(table, key=len, reverse=True))
        # a zero-width search finds, at every position, the longest form that is a whole word there:
        # not followed by a letter, nor by an apostrophe and letters other than a possessive s (Xi'an)
        self.pattern = re.compile(rf"(?<!\w)(?=({alternatives})(?!\w|['\u2019](?![sS](?!\w))\w))")

    def __call__(self, text: str) -> Swapped:
        capitals = _Capitals(text)
        found = [(m.start(1), m.end(1)) for m in self.pattern.finditer(text)
                 if (m.group(1) not in self.opening or sentence_start(text, m.start(1)))
                 and not (m.group(1) == "US" and capitals.capitals(m.start(1))
                          and pronoun_us(text, m.start(1), m.end(1)))]
        chosen: list[tuple[int, int]] = []
        taken = _Taken()
        for start, end in sorted(found, key=lambda se: (se[0] - se[1], se[0])):
            if taken.free(start, end):
                taken.add(start, end)
                chosen.append((start, end))
        targets = ((start, end, _fit_stop(_cased(self.table[text[start:end]], text[start:end], capitals, start),
                                          text[start:end], text, end))
                   for start, end in sorted(chosen))
        return replaced(text, [_differing(s, e, t, text[s:e]) for s, e, t in targets if t != text[s:e]])


def replaced(text: str, replacements: Iterable[tuple[int, int, str]]) -> Swapped:
    """``text`` with each ``(start, end, target)`` range (sorted, not overlapping) replaced."""
    parts, done, at, shift = [], [], 0, 0
    for start, end, target in replacements:
        parts.append(text[at:start])
        copy_start = start + shift
        parts.append(target)
        done.append(Replacement(start, end, copy_start, copy_start + len(target)))
        shift += len(target) - (end - start)
        at = end
    parts.append(text[at:])
    return Swapped(text, "".join(parts), tuple(done))


def swapper(pair: Pair, keep: Iterable[str] = ()) -> Swapper:
    """A swapper for one pair; ``keep`` names that are forms of this pair are swapped, not kept."""
    mapping = pair.mapping
    return Swapper(mapping, (k for k in keep if k not in mapping))


def _variants(source: str, target: str) -> list[tuple[str, str]]:
    out = []
    if "'" in source:
        out.append((source.replace("'", "\u2019"), target.replace("'", "\u2019")))
    for s, t in [(source, target), *out]:
        if s[0].islower():
            out.append((s[0].upper() + s[1:], t[0].upper() + t[1:]))
        if not s.isupper():
            out.append((s.upper(), t.upper()))
    return out


def _differing(start: int, end: int, target: str, source: str) -> tuple[int, int, str]:
    """The replacement of ``source`` (``text[start:end]``) by ``target`` narrowed to the part that
    differs, less what both begin or end with from a word boundary on ("Vladimir Putin's" ->
    "Donald Trump's" replaces "Vladimir Putin"), so a fragment ending at the name maps back there."""
    head = len(os.path.commonprefix([source, target]))
    while head and source[head - 1].isalnum():       # back to the end of a whole word
        head -= 1
    tail = len(os.path.commonprefix([source[head:][::-1], target[head:][::-1]]))
    while tail and source[len(source) - tail].isalnum():   # back to the start of a non-word part
        tail -= 1
    return start + head, end - tail, target[head:len(target) - tail]


def _cased(target: str, source: str, capitals: _Capitals, start: int) -> str:
    """``target`` in capitals where a form written in capitals anyway ("U.S.", "USA") stands in a
    line in capitals, a headline: "U.S. SANCTIONS CHINA" becomes "CHINA SANCTIONS UNITED STATES",
    while acronyms in a sentence ("Funded by NIH, CDC, U.S. FDA") keep it as it is."""
    if not source.isupper() or target.isupper():
        return target
    return target.upper() if capitals.headline(start, len(_WORDS.findall(source))) else target


_WORDS = re.compile(r"[^\W\d_]{2,}")


class _Capitals:
    """Which lines of a text are in capitals, each line read once."""

    def __init__(self, text: str):
        self.text = text
        self.breaks = [m.start() for m in re.finditer(r"[\r\n]", text)]
        self.lines: dict[int, tuple[bool, int]] = {}

    def headline(self, at: int, own_words: int) -> bool:
        """The line holding ``at`` has no small letter and a word beside the ``own_words`` of the name."""
        capitals, words = self._line(at)
        return capitals and words > own_words

    def capitals(self, at: int) -> bool:
        """The line holding ``at`` has no small letter."""
        return self._line(at)[0]

    def _line(self, at: int) -> tuple[bool, int]:
        i = bisect_right(self.breaks, at)
        if i not in self.lines:
            line = self.text[self.breaks[i - 1] + 1 if i else 0:self.breaks[i] if i < len(self.breaks) else len(self.text)]
            self.lines[i] = (not any(c.islower() for c in line), len(_WORDS.findall(line)))
        return self.lines[i]


def _fit_stop(target: str, source: str, text: str, end: int) -> str:
    """Keep a full stop that an abbreviation ("U.S.") ends a sentence with, and do not double one."""
    if source.endswith(".") and not target.endswith(".") and ends_sentence(text, end):
        return target + "."
    if target.endswith(".") and not source.endswith(".") and text[end:end + 1] == ".":
        return target[:-1]
    return target


class _Taken:
    """Sorted disjoint intervals, for choosing non-overlapping matches."""

    def __init__(self):
        self.starts: list[int] = []
        self.ends: list[int] = []

    def free(self, start: int, end: int) -> bool:
        i = bisect_right(self.starts, start)
        if i and self.ends[i - 1] > start:
            return False
        return i == len(self.starts) or self.starts[i] >= end

    def add(self, start: int, end: int) -> None:
        i = bisect_right(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)

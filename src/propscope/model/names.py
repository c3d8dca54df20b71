"""Blind the encoder to names: each run of names reads as a placeholder word.

A detector should flag how something is said, not who is named. A model that reads
"Russia" and "China" as different words can learn that one of them comes with propaganda;
one that reads both as the same placeholder cannot, and swapping names in an article leaves
its input unchanged. A name is a capitalised word that the training articles seldom or never
write in lower case (less than half as often as capitalised inside a sentence), an acronym
in capitals ("US", "NATO") or with full stops ("U.S."). A run of names, with the capitalised
words around it ("The White House"), becomes one placeholder, so long and short names read
alike. The encoder reads the blinded text, and token offsets map back to the original.

A model trained on blinded text reads every name as one placeholder, as it was trained. A model
trained on names as written reads them as distinct placeholder words (``DISTINCT``): the same name
as the same word, each new name as the next word, in order of first appearance. Who is named
still cannot matter (swapping two names swaps nothing in the reading: the first name read is
the first placeholder whoever it is), but which names recur and which differ, as they did in
its training, stays readable: "X" everywhere made every name a repetition of every other.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..audit.swap import Swapped, replaced, sentence_start

PLACEHOLDER = "X"
# in order of first appearance, then again from the start (11 distinct names cover most articles)
DISTINCT = ("Alpha", "Beta", "Gamma", "Delta", "Epsilon", "Zeta", "Theta", "Kappa", "Lambda", "Sigma", "Omega")
FILE = "common_words.txt"    # in a model folder: the words that are not names when capitalised


def _marks() -> str:
    """A character class body of the combining marks (accents written as their own characters,
    as macOS and some editors save "Irák"): Python's \\w has none of them."""
    marks = [c for c in range(0x300, 0x10000) if unicodedata.category(chr(c)).startswith("M")]
    ranges, start = [], marks[0]
    for before, c in zip(marks, marks[1:] + [None]):
        if c != before + 1:
            ranges.append(f"{chr(start)}-{chr(before)}" if before > start else chr(start))
            start = c
    return "".join(ranges)


_MARKS = _marks()
_WORD = re.compile(rf"(?:[^\W\d_][{_MARKS}]*\.)+|[^\W\d_](?:[^\W_]|[{_MARKS}])*")
_JOINERS = {" ", "\u00a0"}


def common_words(texts: Iterable[str], min_count: int = 2) -> frozenset[str]:
    """Words written in lower case at least ``min_count`` times, and at least half as often as
    capitalised inside a sentence: when capitalised, such a word opens a sentence or a title."""
    lower: Counter[str] = Counter()
    capital: Counter[str] = Counter()
    for text in texts:
        for m in _WORD.finditer(text):
            word = m.group()
            if word.islower():
                lower[word] += 1
            elif word[0].isupper() and not sentence_start(text, m.start()):
                capital[word.lower()] += 1
    return frozenset(w for w, n in lower.items() if n >= min_count and 2 * n >= capital[w])


def is_name(word: str, common: frozenset[str]) -> bool:
    if not word[0].isupper():
        return False
    if word.endswith("."):          # an acronym or initial with full stops
        return True
    word = unicodedata.normalize("NFC", word)        # "À" written as A and a combining grave is one letter
    return len(word) > 1 and word.lower() not in common


def _title_case(line: str) -> bool:
    """A headline in title case: most of its words capitalised."""
    words = _WORD.findall(line)
    return len(words) >= 4 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def name_runs(text: str, common: frozenset[str]) -> list[tuple[int, int]]:
    """Character ranges of runs of names.

    Names next to each other (single spaces between) make one run, and so do the capitalised
    words around them ("New York Times", "President Obama"), except in a headline in title
    case: "The White House" and "The Kremlin" read alike. An acronym in capitals ("US") is a
    name even when its lower case is a common word, unless a neighbour is in capitals too
    (shouting). A run that ends a line with a full stop ("the U.S.") leaves that stop outside,
    as the sentence's own: "the U.S." and "China." then read alike.
    """
    words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
    n = len(words)

    def caps(i: int) -> bool:
        return 0 <= i < n and len(unicodedata.normalize("NFC", words[i][2])) > 1 and words[i][2].isupper()

    def joined(i: int, j: int) -> bool:     # words i and j = i + 1 stand with one space between
        return text[words[i][1]:words[j][0]] in _JOINERS

    name = [is_name(w, common) or (caps(i) and not caps(i - 1) and not caps(i + 1))
            for i, (_, _, w) in enumerate(words)]
    title: dict[int, bool] = {}

    def in_title(i: int) -> bool:
        line_start = text.rfind("\n", 0, words[i][0]) + 1
        if line_start not in title:
            line_end = text.find("\n", words[i][0])
            title[line_start] = _title_case(text[line_start:None if line_end < 0 else line_end])
        return title[line_start]

    def capitalised(i: int) -> bool:
        return words[i][2][0].isupper()

    member = list(name)
    for i in range(n):
        if not name[i] or in_title(i):
            continue
        j = i - 1
        while j >= 0 and not member[j] and joined(j, j + 1) and capitalised(j):
            member[j] = True
            j -= 1
        j = i + 1
        while j < n and not member[j] and joined(j - 1, j) and capitalised(j):
            member[j] = True
            j += 1
    runs: list[tuple[int, int]] = []
    for i in range(n):
        if not member[i]:
            continue
        if runs and i > 0 and member[i - 1] and joined(i - 1, i):
            runs[-1] = (runs[-1][0], words[i][1])
        else:
            runs.append((words[i][0], words[i][1]))
    return [(s, e - 1) if text[e - 1] == "." and _line_ends(text, e) else (s, e) for s, e in runs]


def _line_ends(text: str, at: int) -> bool:
    """Whether only spaces stand between ``at`` and the end of its line (or of the text)."""
    end = text.find("\n", at)
    return not text[at:None if end < 0 else end].strip()


def blind(text: str, common: frozenset[str], placeholders: tuple[str, ...] = (PLACEHOLDER,)) -> Swapped:
    """``text`` with every run of names replaced by a placeholder word; offsets map both ways.
    The same name (as written, spaces aside) gets the same word, each new one the next of
    ``placeholders``."""
    runs = name_runs(text, common)
    keys = [unicodedata.normalize("NFC", " ".join(text[start:end].split())) for start, end in runs]
    order = {key: i for i, key in enumerate(dict.fromkeys(keys))}      # by first appearance
    return replaced(text, [(start, end, placeholders[order[key] % len(placeholders)])
                           for (start, end), key in zip(runs, keys)])


class Reading:
    """The text the encoder and the hand-made features read: the article itself, or its copy with
    names blinded. Offsets given and returned here are the article's."""

    def __init__(self, text: str, common: frozenset[str] | None, placeholders: tuple[str, ...] = (PLACEHOLDER,)):
        self.original = text
        self.blinded = blind(text, common, placeholders) if common is not None else None
        self.text = self.blinded.text if self.blinded else text

    def to_view(self, start: int, end: int) -> tuple[int, int]:
        return self.blinded.to_copy(start, end) if self.blinded else (start, end)

    def offsets_to_view(self, offsets: np.ndarray) -> np.ndarray:
        return self.blinded.offsets_to_copy(offsets) if self.blinded else offsets


def save(words: frozenset[str], folder: Path) -> None:
    (folder / FILE).write_text("".join(w + "\n" for w in sorted(words)), encoding="utf-8")


def load(folder: Path) -> frozenset[str] | None:
    """The model's common words, or None for a model that reads names as they are."""
    path = folder / FILE
    return frozenset(path.read_text(encoding="utf-8").split()) if path.exists() else None

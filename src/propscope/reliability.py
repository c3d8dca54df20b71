"""How far to trust the model for each technique, in words, from its validation figures.

Two questions a reader has about a technique: does the model find these fragments
(span+technique recall on held-out articles), and when it marks one, is it right
(span+technique precision)? Both use the SemEval-2020 partial-overlap measures.
"""

from __future__ import annotations

from dataclasses import dataclass

FOUND = ((0.4, "often found"), (0.15, "sometimes found"), (0.0, "often missed"))
RIGHT = ((0.5, "usually right"), (0.2, "sometimes right"), (0.0, "rarely right"))


@dataclass(frozen=True)
class Reliability:
    technique: str
    precision: float
    recall: float

    @property
    def found(self) -> str:        # judged as shown: 0.199 reads 20%, and is "sometimes"
        return next(words for floor, words in FOUND if round(self.recall, 2) >= floor)

    @property
    def right(self) -> str:
        return next(words for floor, words in RIGHT if round(self.precision, 2) >= floor)

    @property
    def f1(self) -> float:
        total = self.precision + self.recall
        return 2 * self.precision * self.recall / total if total else 0.0

    @property
    def summary(self) -> str:
        if not self.precision and not self.recall:     # it marked none of them, or marked only wrongly
            return f"{self.found}, {self.right} (on held-out articles it found none of these fragments)"
        return (f"{self.found}, {self.right} (on held-out articles it marked {self.recall:.0%} of these "
                f"fragments' text; {self.precision:.0%} of what it marked so was right)")


    def to_dict(self) -> dict:
        return {"found": self.found, "right": self.right, "summary": self.summary,
                "precision": self.precision, "recall": self.recall, "f1": self.f1}


def from_validation(validation: dict) -> dict[str, Reliability]:
    per = validation.get("span_technique_per_technique", {})
    return {name: Reliability(name, float(v["precision"]), float(v["recall"])) for name, v in per.items()}

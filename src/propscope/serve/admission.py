"""Which requests may wait for the model, and for how long a refused one should stay away.

A process lets ``queue`` requests wait for the model, first come first served, while it
analyses another, and refuses the next at once (429, with a Retry-After from the model's recent
pace). A long queue makes each answer late under load; a short one answers the requests it takes
quickly but leaves the refused ones waiting longer for theirs, since a retry finds the places
taken by new requests (benchmarks/load.py measures both). A request that would wait past its
deadline behind the work the model holds, at that pace, is refused at once too, rather than
answered 504 when its time is up.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

from . import problems

PACE = 0.2          # weight of the latest model call in the running mean of the model's pace
WINDOW = 1000       # characters of about one model window: the least work any text costs
MARGIN = 1.5        # the model's pace varies with the load: a request is let wait only with this to spare


class Admission:
    def __init__(self, queue: int, timeout: float):
        self.queue, self.timeout = queue, timeout
        self.at_model = 0       # requests the model is analysing or that wait for it
        self.work = 0           # their characters (each at least WINDOW)
        self.pace = 0.0         # running mean of the model's seconds per character

    @contextmanager
    def enter(self, chars: int, deadline: float) -> Iterator[int]:
        """Hold a place for ``chars`` characters of text until the block ends, or raise busy
        (429). Yields the work to pass to ``observe``."""
        work = max(chars, WINDOW)
        if self.at_model > self.queue:
            raise problems.busy(self.queue, self.retry_after())
        if self.at_model and MARGIN * (self.work + work) * self.pace > deadline - time.monotonic():
            raise problems.too_busy_for(self.timeout, self.retry_after())
        self.at_model += 1
        self.work += work
        try:
            yield work
        finally:
            self.at_model -= 1
            self.work -= work

    def observe(self, work: int, seconds: float) -> None:
        """The model took ``seconds`` over ``work`` characters (called from the model's thread)."""
        pace = seconds / work
        self.pace = pace if not self.pace else (1 - PACE) * self.pace + PACE * pace

    def retry_after(self) -> int:
        """Whole seconds until the model could have cleared what it holds now, at its recent pace."""
        return max(1, math.ceil(self.work * self.pace))

"""Checks of the model's behaviour: the neutrality audit (does naming the other side change
what is flagged?)."""

from .neutrality import NeutralityReport, audit, audit_folder
from .pairs import Pair, PairList
from .pairs import load as load_pairs
from .swap import Swapped, Swapper, swapper

__all__ = ["NeutralityReport", "Pair", "PairList", "Swapped", "Swapper", "audit", "audit_folder",
           "load_pairs", "swapper"]

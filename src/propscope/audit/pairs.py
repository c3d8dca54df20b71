"""The pair list: which names the neutrality audit swaps, read from one data file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

SHIPPED = Path(__file__).with_name("pairs.json")
ARROWS = (" <-> ", " -> ", " <- ")
MAX_BYTES = 1 << 20         # a pair list is a few kilobytes: a larger file is no pair list


def bad_pairs(where: object, detail: str) -> InputError:
    return InputError(f"{where}: not a usable pair list ({detail}); "
                      f"see {SHIPPED.name} shipped with propscope for the format")


@dataclass(frozen=True)
class Pair:
    """Two sides of a divide and their surface forms; ``forward`` turns side A's forms into
    side B's, ``backward`` side B's into side A's."""

    divide: str
    a: str
    b: str
    forward: tuple[tuple[str, str], ...]
    backward: tuple[tuple[str, str], ...]

    @property
    def name(self) -> str:
        return f"{self.a} / {self.b}"

    @property
    def mapping(self) -> dict[str, str]:
        """Every form of either side and what it becomes."""
        return dict(self.forward + self.backward)


@dataclass(frozen=True)
class PairList:
    pairs: tuple[Pair, ...]
    keep: tuple[str, ...] = ()
    source: str = ""

    @property
    def divides(self) -> list[str]:
        return list(dict.fromkeys(p.divide for p in self.pairs))

    def __len__(self) -> int:
        return len(self.pairs)


def load(path: str | Path | None = None) -> PairList:
    """The pair list in ``path`` (JSON, laid out like the shipped ``pairs.json``), or the shipped one."""
    path = Path(path) if path is not None else SHIPPED
    if path.exists() and not path.is_file():        # a folder, or a pipe that would block the run
        raise InputError(f"{path}: not a regular file")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise bad_pairs(path, f"over {MAX_BYTES:,} bytes")
        data = json.loads(path.read_text(encoding="utf-8-sig"))      # a byte order mark, as some editors save
    except FileNotFoundError:
        raise InputError(f"{path}: no such pair list") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror})") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise bad_pairs(path, f"not UTF-8 JSON: {exc}") from None
    except RecursionError:
        raise bad_pairs(path, "nested too deep") from None
    return parse(data, str(path))


def parse(data: object, where: str = "<pairs>") -> PairList:
    """A pair list from its JSON form. Within a pair every form is on one side and becomes one name;
    a name may sit in several pairs (Russia against the US and against Ukraine), since the audit
    swaps one pair at a time."""
    if not isinstance(data, dict) or not isinstance(data.get("pairs"), list) or not data["pairs"]:
        raise bad_pairs(where, "expected an object with a non-empty 'pairs' list")
    keep = data.get("keep", [])
    if not isinstance(keep, list) or not all(isinstance(k, str) and k.strip() for k in keep):
        raise bad_pairs(where, "'keep' must be a list of names")
    pairs = tuple(_pair(entry, i, where) for i, entry in enumerate(data["pairs"], 1))
    seen: dict[frozenset, str] = {}
    for p in pairs:            # China / USA and USA / China are one pair
        sides = frozenset((p.a, p.b))
        if sides in seen:
            raise bad_pairs(where, f"pair {p.name} is listed twice" + (f" (as {seen[sides]})" if seen[sides] != p.name else ""))
        seen[sides] = p.name
    return PairList(pairs, tuple(keep), where)


def _pair(entry: object, number: int, where: str) -> Pair:
    if not isinstance(entry, dict) or not isinstance(entry.get("forms"), list) or not entry["forms"]:
        raise bad_pairs(where, f"pair {number} needs a non-empty 'forms' list")
    divide = entry.get("divide")
    if not isinstance(divide, str) or not divide.strip():
        raise bad_pairs(where, f"pair {number} needs a 'divide'")
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for form in entry["forms"]:
        a, arrow, b = _split(form, number, where)
        if a == b:
            raise bad_pairs(where, f"pair {number}: {form!r} swaps a name with itself")
        for source, target, table in ((a, b, forward), (b, a, backward)):
            if arrow == " <-> " or (arrow == " -> ") == (table is forward):
                if table.setdefault(source, target) != target:
                    raise bad_pairs(where, f"pair {number}: {source!r} becomes both "
                                           f"{table[source]!r} and {target!r}")
    first_a, first_arrow, first_b = _split(entry["forms"][0], number, where)
    if first_arrow != " <-> ":
        raise bad_pairs(where, f"pair {number}: its first form names the sides, so it must read 'A <-> B'")
    side_a = set(forward) | set(backward.values())
    side_b = set(backward) | set(forward.values())
    both = sorted(side_a & side_b)
    if both:
        raise bad_pairs(where, f"pair {number} ({first_a} / {first_b}): {both[0]!r} is on both sides")
    return Pair(divide.strip(), first_a, first_b, tuple(forward.items()), tuple(backward.items()))


def _split(form: object, number: int, where: str) -> tuple[str, str, str]:
    if isinstance(form, str):
        for arrow in ARROWS:
            left, found, right = form.partition(arrow)
            if found and left.strip() and right.strip() and not any(x in left or x in right for x in ARROWS):
                return left.strip(), arrow, right.strip()
    raise bad_pairs(where, f"pair {number}: {form!r} should read 'A <-> B', 'A -> B' or 'A <- B'")

"""The neutrality audit of the bundled model: agreement of side-swapped copies with the originals.

Also runs a placebo list (weekdays and months swapped: names with no side) over the same
articles, so that the audit's figure can be read against how much any name change moves the
model.

    python benchmarks/neutrality.py --data path/to/ptc/test/articles
    PROPSCOPE_MODEL_DIR=runs/model/twin python benchmarks/neutrality.py --data path/to/ptc/train --held-out

(--held-out needs a model that held articles out: a fold run, or a refit's twin.)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from common import one_line_errors

PLACEBO = {"pairs": [
    {"divide": "weekdays", "forms": ["Monday <-> Tuesday", "Monday's <-> Tuesday's"]},
    {"divide": "weekdays", "forms": ["Wednesday <-> Thursday", "Wednesday's <-> Thursday's"]},
    {"divide": "weekdays", "forms": ["Friday <-> Sunday", "Friday's <-> Sunday's"]},
    {"divide": "months", "forms": ["January <-> February"]},
    {"divide": "months", "forms": ["September <-> October"]},
    {"divide": "months", "forms": ["November <-> December"]},
]}


@one_line_errors
def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, type=Path,
                   help="a labelled split laid out like PTC's train folder, or a folder of article*.txt")
    p.add_argument("--held-out", action="store_true", help="only the articles the model held out in training")
    p.add_argument("--pairs", type=Path, default=None, help="a pair list (default: the shipped one)")
    p.add_argument("--top", type=int, default=8, help="how many changed fragments to show")
    p.add_argument("--no-placebo", action="store_true", help="skip the placebo run")
    p.add_argument("--json", type=Path, default=None, help="also write the report as JSON here")
    args = p.parse_args()
    if args.json and not args.json.parent.is_dir():         # found out now, not after the audit
        raise SystemExit(f"--json {args.json}: no folder {args.json.parent}")

    from propscope.audit import neutrality, pairs
    articles = neutrality.read_folder(args.data, args.held_out)
    pair_list = pairs.load(args.pairs)
    t0 = time.perf_counter()
    report = neutrality.audit(articles, pair_list, top=args.top, progress=_dots(len(articles)))
    seconds = time.perf_counter() - t0
    print(f"data: {args.data}{' (held-out articles)' if args.held_out else ''}; pair list: {pair_list.source} "
          f"({len(pair_list)} pairs, {len(pair_list.divides)} divides); {seconds:.0f} s\n")
    print(report.table())
    if args.json:
        args.json.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    if not args.no_placebo:
        placebo = neutrality.audit(articles, pairs.parse(PLACEBO, "placebo"), top=0, progress=_dots(len(articles)))
        print(f"\nplacebo (weekdays and months swapped): {placebo.copies} copies of {placebo.named} articles, "
              f"span F1 {placebo.si.f1:.3f}, span+technique F1 {placebo.span_technique.f1:.3f}, "
              f"unchanged copies {placebo.unchanged} of {placebo.copies}")


def _dots(total: int):
    done = [0]

    def step() -> None:
        done[0] += 1
        print(f"\r{done[0]}/{total} articles", end="", file=sys.stderr, flush=True)
        if done[0] == total:
            print(file=sys.stderr)
    return step


if __name__ == "__main__":
    main()

"""How well the log clustering's parameters generalise: leave-one-system-out on Loghub-2k, and
the spread over random halves of each system.

The merge's parameters (`agents.skills.logs.Tuning`) were not allowed to be fitted to the nine
systems they are scored on. This script shows what that costs:

- in-sample: GA and FGA of the shipped defaults on each system (the defaults were chosen on all
  nine, so these figures flatter them);
- leave-one-system-out (LOSO): for each system, the grid point with the best mean GA on the
  *other eight* (ties go to the earlier grid point), scored on the one left
  out. A system that needs a parameter the others do not want scores low here;
- halves: GA of the defaults on `--halves` random halves of each system's lines (kept in their
  order; seeded), as mean, min and max: a threshold on absolute counts moves with the sample's
  size, which this shows.

Speed: each system is parsed once (`parse_with` per line, as the analyzer does); each grid point
then only merges the distinct signatures (`merge_signatures`) and maps lines to templates. The
script checks that this gives the same grouping as `analyze_logs` for the defaults (it exits 1 if
not), so the figures are the product's.
Run: `.venv/bin/python -m benchmarks.skills_loso [--quick] [--halves 10] [--json]`; without the
data folder it says so and exits 0.
"""

from __future__ import annotations

import itertools
import json
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tabulate import tabulate

from agents.skills.logparse import learn_header, parse_with
from agents.skills.logs import (
    DEFAULT_TUNING,
    LEARN_LINES,
    Tuning,
    analyze_logs,
    merge_signatures,
)
from benchmarks.skills_logs import (
    DEFAULT_DATA,
    f1_grouping_accuracy,
    grouping_accuracy,
    load,
    systems,
)
from toolchain.inputs import OneLineParser

GRID: dict[str, tuple[Any, ...]] = {
    "variable_values": (4, 5, 6, 8, 10),
    "enum_values": (8, 16, 32),
    "masked_share": (0.5, 0.8, 2.0),
    "spread": (0.0, 0.5),
    "dotted_first": (True, False),
    "named": (True, False),
    "collapse": (True, False),
    "optional": (True, False),
    "free": (True, False),
}
QUICK_GRID: dict[str, tuple[Any, ...]] = {
    "variable_values": (4, 6, 10),
    "enum_values": (8, 16),
    "masked_share": (0.5, 0.8, 2.0),
    "spread": (0.0,),
    "dotted_first": (True, False),
    "named": (True, False),
    "collapse": (True,),
    "optional": (True, False),
    "free": (True,),
}


def grid(axes: dict[str, tuple[Any, ...]]) -> list[Tuning]:
    """Every combination of `axes`, in their order (which breaks ties: not the defaults, which
    must earn their place like any other point)."""
    return [
        Tuning(**dict(zip(axes, values, strict=True)))
        for values in itertools.product(*axes.values())
    ]


class System:
    """One system's lines parsed once: each line's signature, the distinct signatures with
    their line counts, and the true event of each line."""

    def __init__(self, name: str, lines: list[str], truth: list[str]) -> None:
        self.name = name
        self.lines = lines
        self.truth = truth
        shape = learn_header(lines[:LEARN_LINES])
        self.signatures = [parse_with(line, shape).signature for line in lines]

    def labels(self, tuning: Tuning, rows: Sequence[int] | None = None) -> list[int]:
        """The template each line (of `rows`, default all) falls in, merged with `tuning`."""
        rows = range(len(self.lines)) if rows is None else rows
        index: dict[tuple[str, ...], int] = {}
        counts: list[int] = []
        order: list[int] = []
        for row in rows:
            sig = self.signatures[row]
            at = index.get(sig)
            if at is None:
                at = index[sig] = len(counts)
                counts.append(0)
            counts[at] += 1
            order.append(at)
        items = list(zip(index, counts, strict=True))
        template_of = [0] * len(items)
        for number, (members, _) in enumerate(merge_signatures(items, tuning)):
            for m in members:
                template_of[m] = number
        return [template_of[at] for at in order]

    def score(self, tuning: Tuning) -> tuple[float, float]:
        predicted = self.labels(tuning)
        return grouping_accuracy(predicted, self.truth), f1_grouping_accuracy(predicted, self.truth)


def consistent(system: System) -> bool:
    """Whether the merge-only path groups the lines exactly as `analyze_logs` does."""
    ids: list[int] = []

    class Sink:
        def write(self, text: str) -> int:
            ids.extend(int(x) for x in text.split())
            return len(text)

    analyze_logs(system.lines, assignments=Sink())
    fast = system.labels(DEFAULT_TUNING)
    pairs = set(zip(ids, fast, strict=True))
    return len(pairs) == len(set(ids)) == len(set(fast))


def run(
    data_dir: Path = DEFAULT_DATA, *, quick: bool = False, halves: int = 10, seed: int = 7
) -> dict[str, Any]:
    """The rows (one per system, then the mean) and the defaults (module docstring)."""
    names = systems(data_dir)
    loaded = [System(name, *load(data_dir, name)) for name in names]
    for system in loaded:
        if not consistent(system):
            raise SystemExit(f"skills_loso: the merge-only path disagrees on {system.name}")
    points = grid(QUICK_GRID if quick else GRID)
    default_scores = [system.score(DEFAULT_TUNING) for system in loaded]
    scores = [[system.score(point) for system in loaded] for point in points]
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for k, system in enumerate(loaded):
        best = max(
            range(len(points)),
            key=lambda p: (
                statistics.fmean(s[0] for j, s in enumerate(scores[p]) if j != k),
                -p,
            ),
        )
        chosen = points[best]
        half_ga = []
        size = len(system.lines)
        for _ in range(halves):
            rows_kept = sorted(rng.sample(range(size), size // 2))
            truth = [system.truth[r] for r in rows_kept]
            half_ga.append(grouping_accuracy(system.labels(DEFAULT_TUNING, rows_kept), truth))
        rows.append(
            {
                "system": system.name,
                "ga": default_scores[k][0],
                "fga": default_scores[k][1],
                "loso_ga": scores[best][k][0],
                "loso_fga": scores[best][k][1],
                "loso_choice": _differences(chosen),
                "half_ga_mean": statistics.fmean(half_ga) if half_ga else None,
                "half_ga_min": min(half_ga) if half_ga else None,
                "half_ga_max": max(half_ga) if half_ga else None,
            }
        )
    mean: dict[str, Any] = {"system": "mean", "loso_choice": ""}
    for key in ("ga", "fga", "loso_ga", "loso_fga", "half_ga_mean", "half_ga_min", "half_ga_max"):
        values = [r[key] for r in rows if r[key] is not None]
        mean[key] = statistics.fmean(values) if values else None
    # the grid point best on all nine: what the defaults should be (and are, when it is them)
    overall = max(range(len(points)), key=lambda p: (statistics.fmean(s[0] for s in scores[p]), -p))
    return {
        "rows": [*rows, mean],
        "defaults": asdict(DEFAULT_TUNING),
        "best_on_all": _differences(points[overall]),
        "grid_points": len(points),
        "halves": halves,
    }


def _differences(tuning: Tuning) -> str:
    """`tuning` as its differences from the defaults ("defaults" when none)."""
    changed = [
        f"{key}={value}"
        for key, value in asdict(tuning).items()
        if value != getattr(DEFAULT_TUNING, key)
    ]
    return ", ".join(changed) or "defaults"


def table(result: dict[str, Any]) -> str:
    def f(value: Any) -> str:
        return "" if value is None else f"{value:.3f}"

    body = [
        [
            r["system"],
            f(r["ga"]),
            f(r["fga"]),
            f(r["loso_ga"]),
            f(r["loso_fga"]),
            f(r["half_ga_mean"]),
            f(r["half_ga_min"]),
            f(r["half_ga_max"]),
            r["loso_choice"],
        ]
        for r in result["rows"]
    ]
    headers = [
        "system",
        "GA in-sample",
        "FGA in-sample",
        "GA held out",
        "FGA held out",
        "half GA mean",
        "half GA min",
        "half GA max",
        "chosen without it (vs defaults)",
    ]
    text = tabulate(body, headers=headers, disable_numparse=True)
    return (
        f"{text}\n{result['grid_points']} grid points; best on all nine: "
        f"{result['best_on_all']}; halves: {result['halves']} per system"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the loghub-2k folder")
    parser.add_argument("--quick", action="store_true", help="a smaller grid")
    parser.add_argument("--halves", type=int, default=10, help="random halves per system")
    parser.add_argument("--json", action="store_true", help="rows as JSON instead of a table")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skills_loso: no Loghub-2k data at {args.data}; nothing to measure")
        return 0
    print("skills_loso: parsing and merging every grid point ...", file=sys.stderr)
    result = run(args.data, quick=args.quick, halves=max(0, args.halves))
    print(json.dumps(result, indent=2) if args.json else table(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

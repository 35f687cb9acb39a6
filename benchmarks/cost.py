"""Wall time of the cost estimate over the prod plan and over a 100x synthetic export.

The plan is made once, in this process, and is not timed; what is timed is `estimate(export,
prices, usage)` on a freshly parsed export (so its cached indexes are built inside the timing),
best and median of several runs. The synthetic export is the prod plan's resources replicated 100
times with distinct URNs (and launch template ids). Target: under 1 s for the prod plan.
Run: `.venv/bin/python benchmarks/cost.py [--runs N] [--json]`.
"""

from __future__ import annotations

import copy
import json
import statistics
import sys
import time
from typing import Any

from tabulate import tabulate

from toolchain.cost import estimate, load_prices, load_usage
from toolchain.export import StackExport, parse_export
from toolchain.inputs import OneLineParser
from toolchain.plan import run_plan

TARGET_SECONDS = {"prod plan": 1.0}


def replicated(export: StackExport, copies: int) -> dict[str, Any]:
    """The export's resources `copies` times over, each copy with its own URNs."""
    data = copy.deepcopy(export.data)
    originals = data["deployment"]["resources"]
    resources: list[dict[str, Any]] = []
    for i in range(copies):
        suffix = "" if i == 0 else f"-copy{i}"

        def rename(urn: str, suffix: str = suffix) -> str:
            return f"{urn}{suffix}" if urn else urn

        for r in originals:
            c = copy.deepcopy(r) if i else r
            if i:
                c["urn"] = rename(r["urn"])
                if c.get("parent"):
                    c["parent"] = rename(c["parent"])
                if c.get("provider"):
                    urn, _, ident = c["provider"].rpartition("::")
                    c["provider"] = f"{rename(urn)}::{ident}"
                c["dependencies"] = [rename(d) for d in c.get("dependencies") or []]
                if isinstance((c.get("outputs") or {}).get("id"), str):
                    c["outputs"]["id"] = c["outputs"]["id"] + suffix
                lt = (c.get("inputs") or {}).get("launchTemplate")
                if isinstance(lt, dict) and isinstance(lt.get("id"), str):
                    lt["id"] = lt["id"] + suffix
            resources.append(c)
    data["deployment"]["resources"] = resources
    return data


def measure(data: dict[str, Any], runs: int) -> tuple[list[float], int, float]:
    prices, usage = load_prices(), load_usage()
    walls, lines, total = [], 0, 0.0
    for _ in range(runs):
        export = parse_export(data, "benchmark")
        started = time.perf_counter()
        est = estimate(export, prices, usage)
        walls.append(time.perf_counter() - started)
        lines, total = len(est.lines), est.total
    return walls, lines, total


def main() -> int:
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    prod = run_plan("prod").export
    cases = {"prod plan": prod.data, "prod x100": replicated(prod, 100)}
    rows = []
    for name, data in cases.items():
        walls, lines, total = measure(data, args.runs)
        target = TARGET_SECONDS.get(name)
        rows.append(
            {
                "export": name,
                "resources": len(data["deployment"]["resources"]),
                "priced lines": lines,
                "monthly $": round(total, 2),
                "runs": args.runs,
                "best_s": round(min(walls), 4),
                "median_s": round(statistics.median(walls), 4),
                "target_s": target,
                "meets_target": None if target is None else max(walls) < target,
            }
        )
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(tabulate(rows, headers="keys", tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Cold wall time of the offline policy gate over the dev and prod plans and over synthetic exports
10 and up to 100 times the prod plan's size.

Each measurement is a fresh process running `python -m agents policy --export F --stack S`, as a
pipeline runs it, so the figures include interpreter start-up, starting both packs (each its own
`python -m pulumi.policy` process) and every `Analyze` and `AnalyzeStack` call; median and max of
`--runs` runs (`--x100-runs` for the 100x export, which takes far longer). Beside them, the cold
cost of just starting the two packs: a fresh process that starts `Gate()`, waits until both packs
serve and exits. `s_per_1000` is a row's median less that start-up, per 1000 analyzed resources:
flat when the gate scales linearly (the small plans' figures also carry the fixed costs beyond
starting the packs: the rules' first use, printing the report). The plans are made once, in this
process, and are not timed; the synthetic exports replicate the prod plan's resources with
distinct URNs (`replicated` of benchmarks/cost.py); the largest is 100 copies, or as many as stay
under the export size the gate accepts (`EXPORT_MAX_BYTES`, 64 MiB: the prod plan has grown past
a hundredth of it). A policy command that exits 1 (mandatory
violations, which the synthetic exports have: ten NAT gateways per AZ, ten trails) is a result;
any other exit fails the benchmark. Target: the prod plan under 1.5 s on a 2-core machine.
Run: `.venv/bin/python benchmarks/gate.py [--runs N] [--x100-runs N] [--json]`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from toolchain.export import StackExport
from toolchain.inputs import EXPORT_MAX_BYTES, OneLineParser
from toolchain.plan import run_plan

if TYPE_CHECKING:
    from benchmarks.cost import replicated
else:  # run as a script: this folder is on sys.path
    from cost import replicated

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = {"prod plan": 1.5}
VERDICT_EXITS = (0, 1)  # no mandatory violation / some

_START_PACKS = """
from toolchain.gate import Gate
with Gate():
    pass
"""


class BenchmarkError(Exception):
    """A measured command failed."""


def timed(command: list[str]) -> tuple[float, int]:
    """(wall seconds, exit code) of one fresh process run from the project's root."""
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode not in VERDICT_EXITS:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise BenchmarkError(f"{' '.join(command[1:])} exited {proc.returncode}:\n{tail}")
    return wall, proc.returncode


def analyzed(export: StackExport) -> int:
    """The resources the gate sends to `Analyze`: custom resources other than providers."""
    return sum(1 for r in export.resources if r.managed)


def largest_under_cap(export: StackExport, most: int) -> tuple[int, dict[str, Any]]:
    """The most copies of `export` (at most `most`) the gate still reads, and that export: its
    JSON must stay under `EXPORT_MAX_BYTES`, or the policy command refuses it."""
    one = len(json.dumps(replicated(export, 1)))
    per_copy = len(json.dumps(replicated(export, 2))) - one
    copies = min(most, 1 + (EXPORT_MAX_BYTES - one) // per_copy)
    data = replicated(export, copies)
    while copies > 1 and len(json.dumps(data)) > EXPORT_MAX_BYTES:
        copies -= 1
        data = replicated(export, copies)
    return copies, data


def main() -> int:
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--x100-runs", type=int, default=1, help="0 leaves the largest (up to 100x) export out"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.runs < 1 or args.x100_runs < 0:
        parser.error("--runs must be at least 1 and --x100-runs at least 0")
    dev, prod = run_plan("dev").export, run_plan("prod").export
    cases: list[tuple[str, str, dict[str, Any], int]] = [
        ("dev plan", "dev", dev.data, args.runs),
        ("prod plan", "prod", prod.data, args.runs),
        ("prod x10", "prod", replicated(prod, 10), args.runs),
    ]
    if args.x100_runs:
        copies, largest = largest_under_cap(prod, 100)
        cases.append((f"prod x{copies}", "prod", largest, args.x100_runs))
    start_walls = [timed([sys.executable, "-c", _START_PACKS])[0] for _ in range(args.runs)]
    start = statistics.median(start_walls)
    rows: list[dict[str, Any]] = [
        {
            "export": "(packs start only)",
            "resources": 0,
            "runs": args.runs,
            "median_s": round(start, 2),
            "max_s": round(max(start_walls), 2),
            "exit": 0,
            "s_per_1000": None,
            "target_s": None,
            "meets_target": None,
        }
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, stack, data, runs in cases:
            if runs == 0:
                continue
            path = Path(tmp) / f"{name.replace(' ', '-')}.json"
            path.write_text(json.dumps(data))
            command = [sys.executable, "-m", "agents", "policy", "--export", str(path)]
            results = [timed([*command, "--stack", stack]) for _ in range(runs)]
            walls = [wall for wall, _ in results]
            count = analyzed(StackExport(data=data, source=name))
            median = statistics.median(walls)
            target = TARGET_SECONDS.get(name)
            rows.append(
                {
                    "export": name,
                    "resources": count,
                    "runs": runs,
                    "median_s": round(median, 2),
                    "max_s": round(max(walls), 2),
                    "exit": max(code for _, code in results),
                    "s_per_1000": round((median - start) / count * 1000, 2),
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
    try:
        sys.exit(main())
    except BenchmarkError as exc:
        print(exc, file=sys.stderr)
        sys.exit(1)

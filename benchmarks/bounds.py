"""Bounds under hostile or large inputs: seconds and peak memory of log clustering on near-unique
lines, of the infrastructure summary and of the policy gate on large stack exports.

Rows:
- logs: `analyze_logs` then `render` (budget 4,000 tokens) over 10k, 100k and 1M lines of 6 to 12
  words drawn uniformly from a 50,000-word vocabulary (a seeded generator: nearly every line is a
  signature of its own, what a hostile log group or a flood of prose sends). The lines are
  generated as they are read, so the peak RSS is the analyzer's (and the interpreter's) own.
- summarize: `summarize_infra` then `render` (no budget) over the prod plan's resources
  replicated with distinct URNs (`benchmarks.cost.replicated`) to about 1k, 10k and 100k
  resources.
- gate: `toolchain.gate.run_gate` (both packs, prod policy config, pack start-up included) over
  the same exports.

Each measurement runs in a fresh process (`--measure`), so its peak RSS (`ru_maxrss`) is its own
and no cache carries over; the plan and the synthetic export are made in that process before the
clock starts. CPU seconds are the measuring process's own (the gate's packs are processes of
their own: wall time only), the figure to compare on a busy machine. Linear work shows as a
flat `us_per_item` down a column. `--quick` stops the logs at 100k lines and the gate at 10k
resources (the 1M-line and 100k-resource rows take minutes on a busy 2-core machine).
Run: `.venv/bin/python -m benchmarks.bounds [--quick] [--json]`.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tabulate import tabulate

from toolchain.inputs import OneLineParser

ROOT = Path(__file__).resolve().parent.parent
LOG_LINES = (10_000, 100_000, 1_000_000)
RESOURCES = (1_000, 10_000, 100_000)
QUICK_LOG_LINES = 100_000
QUICK_GATE_RESOURCES = 10_000
VOCABULARY = 50_000
LOG_BUDGET = 4_000
TIMEOUT_S = 3600


def word_lines(count: int, seed: int = 0, vocabulary: int = VOCABULARY) -> Iterator[str]:
    """`count` lines of 6 to 12 words drawn from `vocabulary` random words (3 to 9 letters)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [
        "".join(rng.choice(letters) for _ in range(rng.randint(3, 9))) for _ in range(vocabulary)
    ]
    for _ in range(count):
        yield " ".join(rng.choice(words) for _ in range(rng.randint(6, 12)))


def synthetic_export(resources: int) -> Any:
    """The prod plan's resources replicated (distinct URNs) to at least `resources`."""
    from benchmarks.cost import replicated  # noqa: PLC0415 - heavy: only the children need it
    from toolchain.export import parse_export  # noqa: PLC0415
    from toolchain.plan import run_plan  # noqa: PLC0415

    prod = run_plan("prod").export
    copies = max(1, -(-resources // len(prod.resources)))
    return parse_export(replicated(prod, copies), f"prod x{copies}")


def peak_mb() -> float:
    """This process's peak RSS in MB so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def measure(kind: str, size: int) -> dict[str, Any]:
    """One measurement, in this process (see the module docstring)."""
    if kind == "logs":
        from agents.skills.logs import analyze_logs, render  # noqa: PLC0415

        before = peak_mb()
        started, cpu = time.perf_counter(), time.process_time()
        report = analyze_logs(word_lines(size), source="words")
        render(report, LOG_BUDGET)
        seconds = time.perf_counter() - started
        return {
            "items": size,
            "seconds": seconds,
            "cpu_seconds": time.process_time() - cpu,
            "peak_rss_mb": peak_mb(),
            "start_rss_mb": before,
            "clusters": len(report.clusters),
            "other_lines": report.other_lines,
        }
    export = synthetic_export(size)
    count = len(export.resources)
    before = peak_mb()
    if kind == "summarize":
        from agents.skills.summarize import render as render_summary  # noqa: PLC0415
        from agents.skills.summarize import summarize_infra  # noqa: PLC0415

        started, cpu = time.perf_counter(), time.process_time()
        render_summary(summarize_infra(export))
        seconds = time.perf_counter() - started
        extra: dict[str, Any] = {"cpu_seconds": time.process_time() - cpu}
    elif kind == "gate":
        from toolchain.gate import CONFIG_DIR, run_gate  # noqa: PLC0415

        started = time.perf_counter()
        result = run_gate(export, CONFIG_DIR / "prod")
        seconds = time.perf_counter() - started
        # the packs' own CPU is in their processes: wall time only
        extra = {"violations": len(result.violations), "cpu_seconds": None}
    else:
        raise ValueError(f"unknown measurement {kind!r}")
    return {
        "items": count,
        "seconds": seconds,
        "peak_rss_mb": peak_mb(),
        "start_rss_mb": before,
        **extra,
    }


def measured_in_child(module: str, args: list[str], what: str) -> dict[str, Any]:
    """The JSON row that `python -m <module> <args>` prints last, run in a fresh process (so
    its peak RSS is its own); a child that fails stops the benchmark with its last lines, the
    message starting with `what`."""
    command = [sys.executable, "-m", module, *args]
    proc = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, check=False, timeout=TIMEOUT_S
    )
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"{what} exited {proc.returncode}:\n{tail}")
    row: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return row


def _child(kind: str, size: int) -> dict[str, Any]:
    return measured_in_child(
        "benchmarks.bounds", ["--measure", kind, str(size)], f"bounds: {kind} {size}"
    )


def run(*, quick: bool = False) -> list[dict[str, Any]]:
    plan: list[tuple[str, int]] = [
        *(("logs", n) for n in LOG_LINES if not quick or n <= QUICK_LOG_LINES),
        *(("summarize", n) for n in RESOURCES),
        *(("gate", n) for n in RESOURCES if not quick or n <= QUICK_GATE_RESOURCES),
    ]
    rows = []
    for kind, size in plan:
        print(f"bounds: {kind} {size:,} ...", file=sys.stderr, flush=True)
        row = _child(kind, size)
        rows.append(
            {
                "measure": kind,
                "asked": size,
                **row,
                "us_per_item": row["seconds"] / max(row["items"], 1) * 1e6,
            }
        )
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    headers = [
        "measure",
        "items",
        "seconds",
        "CPU s",
        "us/item",
        "peak RSS MB",
        "start RSS MB",
        "notes",
    ]
    body = []
    for r in rows:
        notes = ""
        if r["measure"] == "logs":
            notes = f"{r['clusters']:,} clusters, {r['other_lines']:,} lines in other"
        elif r["measure"] == "gate":
            notes = f"{r['violations']:,} violations"
        body.append(
            [
                r["measure"],
                f"{r['items']:,}",
                f"{r['seconds']:.2f}",
                "" if r.get("cpu_seconds") is None else f"{r['cpu_seconds']:.2f}",
                f"{r['us_per_item']:.1f}",
                f"{r['peak_rss_mb']:.0f}",
                f"{r['start_rss_mb']:.0f}",
                notes,
            ]
        )
    return tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true", help="rows as JSON instead of a table")
    parser.add_argument(
        "--quick", action="store_true", help="logs up to 100k lines, the gate up to 10k resources"
    )
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "SIZE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        kind, size = args.measure
        print(json.dumps(measure(kind, int(size))))
        return 0
    rows = run(quick=args.quick)
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

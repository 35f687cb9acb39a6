"""Wall time and peak memory of the offline plan, per stack.

Each measurement is a fresh process running `python -m agents plan --stack S --json`, as `make plan`
does, so the figures include interpreter start-up and importing the SDKs. Target: prod under 5 s on
a 2-core machine. Run: `.venv/bin/python benchmarks/plan.py [--runs N] [--json]`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tabulate import tabulate

from toolchain.inputs import OneLineParser

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = {"prod": 5.0}


# The child runs the command line's own entry point, then reports its peak RSS (KiB on Linux).
_CHILD = """
import resource, sys
from agents.cli.main import main
rc = main(sys.argv[1:])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
sys.exit(rc)
"""


def measure(stack: str, out: Path) -> tuple[float, float, int]:
    """(wall seconds, peak RSS MiB, resources) of one fresh plan process."""
    started = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            "plan",
            "--stack",
            stack,
            "--out",
            str(out),
            "--json",
            "--no-policy",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    wall = time.perf_counter() - started
    peak_kib = int(proc.stderr.strip().splitlines()[-1])
    return wall, peak_kib / 1024, int(json.loads(proc.stdout)["resources"])


def main() -> int:
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for stack in ("dev", "prod"):
            walls, peaks, count = [], [], 0
            for _ in range(args.runs):
                wall, peak, count = measure(stack, Path(tmp) / f"{stack}.json")
                walls.append(wall)
                peaks.append(peak)
            target = TARGET_SECONDS.get(stack)
            rows.append(
                {
                    "stack": stack,
                    "resources": count,
                    "runs": args.runs,
                    "median_s": round(statistics.median(walls), 2),
                    "max_s": round(max(walls), 2),
                    "peak_rss_mib": round(max(peaks), 1),
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

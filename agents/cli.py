"""`python -m agents`: the command line of the platform's tools and agents.

Every command that prints a report prints a table by default and JSON with `--json`. Exit codes:
0 success, 1 a verdict that should stop a pipeline (for example a mandatory policy violation),
2 bad input (arguments, files, config), with a one-line error on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from agents import InputError
from agents.export import write_atomic

EXIT_OK, EXIT_VERDICT, EXIT_INPUT = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error and exit 2."""

    def error(self, message: str) -> Any:
        raise InputError(f"{self.prog}: {message}")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cmd_plan(args: argparse.Namespace) -> int:
    from agents.plan import read_stack_config, run_plan, stack_config_file  # noqa: PLC0415

    config_file = Path(args.config) if args.config else stack_config_file(args.stack)
    values = read_stack_config(config_file)
    out = Path(args.out) if args.out else Path("build") / f"{args.stack}.plan.json"
    _progress(f"planning stack {args.stack} offline from {config_file.name} ...")
    started = time.perf_counter()
    plan = run_plan(args.stack, values)
    elapsed = time.perf_counter() - started
    write_atomic(out, json.dumps(plan.export.data, indent=2, sort_keys=True) + "\n")
    rows = plan.counts()
    total = sum(n for _, _, n in rows)
    if args.json:
        print(
            json.dumps(
                {
                    "stack": args.stack,
                    "export": str(out),
                    "resources": total,
                    "seconds": round(elapsed, 3),
                    "byComponent": [{"component": c, "type": t, "count": n} for c, t, n in rows],
                },
                indent=2,
            )
        )
    else:
        print(
            f"Offline plan of stack '{args.stack}': {total} resources "
            f"({elapsed:.1f}s), export written to {out}"
        )
        print(tabulate(rows, headers=["component", "type", "count"], tablefmt="github"))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m agents", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plan = sub.add_parser("plan", help="plan a stack offline (mock runtime) into a stack export")
    plan.add_argument("--stack", required=True, help="stack name (reads Pulumi.<stack>.yaml)")
    plan.add_argument("--config", help="plan with this stack config file instead")
    plan.add_argument("--out", help="where to write the export (default build/<stack>.plan.json)")
    plan.add_argument("--json", action="store_true", help="print the summary as JSON")
    plan.set_defaults(func=cmd_plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130

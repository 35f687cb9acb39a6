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
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from agents import InputError
from agents.export import StackExport, write_atomic

if TYPE_CHECKING:
    from agents.policy_gate import GateResult

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
    gate = None
    if not args.no_policy:
        from agents.policy_gate import CONFIG_DIR, run_gate  # noqa: PLC0415

        config_dir = Path(args.policy_config) if args.policy_config else CONFIG_DIR / args.stack
        _progress(f"running the policy packs with {config_dir} ...")
        gate = run_gate(plan.export, config_dir)
    if args.json:
        summary: dict[str, Any] = {
            "stack": args.stack,
            "export": str(out),
            "resources": total,
            "seconds": round(elapsed, 3),
            "byComponent": [{"component": c, "type": t, "count": n} for c, t, n in rows],
        }
        if gate is not None:
            summary["violations"] = gate.to_json()
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"Offline plan of stack '{args.stack}': {total} resources "
            f"({elapsed:.1f}s), export written to {out}"
        )
        print(tabulate(rows, headers=["component", "type", "count"], tablefmt="github"))
        if gate is not None:
            print()
            print_verdicts(gate, title="Policy gate")
    return EXIT_VERDICT if gate is not None and gate.mandatory else EXIT_OK


def _short_urn(urn: str) -> str:
    """`type::name` of a URN, the part people recognise."""
    parts = urn.split("::")
    return f"{parts[-2].split('$')[-1]}::{parts[-1]}" if len(parts) >= 4 else urn or "(stack)"


def print_verdicts(result: GateResult, *, title: str) -> None:
    mandatory = len(result.mandatory)
    advisory = len(result.violations) - mandatory
    packs = ", ".join(f"{name} ({len(policies)} rules)" for name, policies in result.packs.items())
    print(
        f"{title}: {result.resources} resources, {packs}: "
        f"{mandatory} mandatory, {advisory} advisory violation(s)"
    )
    if result.violations:
        metas = {(p, n): m for p, pol in result.packs.items() for n, m in pol.items()}
        rows = []
        for v in result.violations:
            meta = metas.get((v.policyPack, v.policyName))
            rows.append(
                [
                    v.policyPack,
                    f"{v.policyName} {meta.rule_id if meta else ''}".strip(),
                    v.enforcementLevel,
                    v.severity,
                    _short_urn(v.urn),
                    v.detail,
                ]
            )
        print(
            tabulate(
                rows,
                headers=["pack", "policy", "enforcement", "severity", "resource", "message"],
                tablefmt="github",
                maxcolwidths=[None] * 5 + [70],
            )
        )


def _policy_config_dir(args: argparse.Namespace, export: StackExport) -> Path:
    from agents.policy_gate import CONFIG_DIR, stack_of  # noqa: PLC0415

    if args.policy_config:
        path = Path(args.policy_config)
        if not path.is_dir():
            raise InputError(
                f"{path}: --policy-config takes a folder with security.json and "
                "cost.json (like policies/config/dev)"
            )
        return path
    stack = args.stack or stack_of(export)
    path = CONFIG_DIR / stack
    if not path.is_dir():
        raise InputError(
            f"no policy config for stack '{stack}' in {CONFIG_DIR}; pass --stack or --policy-config"
        )
    return path


def cmd_policy(args: argparse.Namespace) -> int:
    from agents.export import load_export  # noqa: PLC0415
    from agents.policy_gate import run_gate  # noqa: PLC0415

    export = load_export(args.export)
    config_dir = _policy_config_dir(args, export)
    _progress(f"running policy packs over {args.export} with {config_dir} ...")
    result = run_gate(export, config_dir)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print_verdicts(result, title=f"Policy gate ({config_dir})")
    return EXIT_VERDICT if result.mandatory else EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m agents", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plan = sub.add_parser("plan", help="plan a stack offline (mock runtime) into a stack export")
    plan.add_argument("--stack", required=True, help="stack name (reads Pulumi.<stack>.yaml)")
    plan.add_argument("--config", help="plan with this stack config file instead")
    plan.add_argument("--out", help="where to write the export (default build/<stack>.plan.json)")
    plan.add_argument("--json", action="store_true", help="print the summary as JSON")
    plan.add_argument(
        "--policy-config", help="policy config folder (default policies/config/<stack>)"
    )
    plan.add_argument("--no-policy", action="store_true", help="skip the policy gate")
    plan.set_defaults(func=cmd_plan)

    policy = sub.add_parser("policy", help="run the policy packs over a stack export")
    policy.add_argument(
        "--export", required=True, help="stack export (plan or pulumi stack export)"
    )
    group = policy.add_mutually_exclusive_group()
    group.add_argument("--stack", help="use policies/config/<stack>/ (default: the export's stack)")
    group.add_argument("--policy-config", help="folder with security.json and cost.json")
    policy.add_argument("--json", action="store_true", help="print violations as JSON")
    policy.set_defaults(func=cmd_policy)
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

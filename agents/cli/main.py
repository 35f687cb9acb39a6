"""`python -m agents` (or `baseline-agents`, its console script): the command line of the
platform's tools and agents.

Every command that prints a report prints a table by default and JSON with `--json`. Exit codes:
0 success, 1 a verdict that should stop a pipeline (for example a mandatory policy violation),
2 bad input (arguments, files, config), with a one-line error on stderr and never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents import InputError, ToolchainError
from agents.cli.commands import add_commands
from agents.cli.skills import add_skill_commands
from agents.mcp.server import add_mcp_commands
from toolchain.inputs import aws_region, output_dir, output_path, stack_name, write_output
from toolchain.untrusted import escape

if TYPE_CHECKING:
    from toolchain.cost.diff import CostDiff
    from toolchain.gate import GateResult

EXIT_OK, EXIT_VERDICT, EXIT_INPUT = 0, 1, 2
EXIT_BROKEN_PIPE = 128 + 13  # SIGPIPE


def _one_line(message: str) -> str:
    """A message as one line (file names and YAML problems may hold newlines), at most 500
    characters: a long path is cut in the middle, so the problem at the end still shows."""
    line = " ".join(message.split())
    return line if len(line) <= 500 else f"{line[:240]} ... {line[-255:]}"


def _stdout_to_devnull() -> None:
    """After EPIPE: point stdout at /dev/null so the interpreter's final flush cannot raise
    again (the recipe of the Python docs' note on SIGPIPE)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout without a file descriptor (a test's capture)
        pass


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error and exit 2."""

    def error(self, message: str) -> Any:
        raise InputError(f"{self.prog}: {message}")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# What `plan` reads from the repository besides the stack file (folders cover their files).
PLAN_READS = ("__main__.py", "baseline", "components", "policies", "toolchain")


def cmd_plan(args: argparse.Namespace) -> int:
    from tabulate import tabulate  # noqa: PLC0415 - see print_verdicts

    from toolchain.plan import ROOT, read_stack_config, run_plan, stack_config_file  # noqa: PLC0415

    config_file = Path(args.config) if args.config else stack_config_file(args.stack)
    values = read_stack_config(config_file)
    # The policy config too is found before the plan runs: a stack without its own folder gets
    # the default one, with a notice; a --policy-config that is not a folder costs nothing.
    config_dir, notice = (None, None) if args.no_policy else _policy_config_dir(args, args.stack)
    # Checked before the plan runs, so a bad --out costs nothing; the resolved path is printed.
    from agents.cli.outputs import protected_outputs  # noqa: PLC0415

    protect = protected_outputs()
    inputs = [config_file] + ([args.policy_config] if args.policy_config else [])
    # and what the plan, its gate and its cost read besides: the program (its folders, the
    # project and stack files), the packs and their configs, the price files and the default
    # usage (an export written over one of them broke every later plan)
    inputs += [ROOT / name for name in PLAN_READS] + sorted(ROOT.glob("Pulumi*.yaml"))
    # The default export goes to the repository's build/ (beside the program and the stack
    # files it reads), from whatever folder the command runs in; --out is the caller's path.
    out = output_path(
        args.out or ROOT / "build" / f"{args.stack}.plan.json",
        "export",
        protect=protect,
        inputs=inputs,
    )
    _progress(f"planning stack {args.stack} offline from {escape(config_file.name)} ...")
    started = time.perf_counter()
    plan = run_plan(args.stack, values)
    elapsed = time.perf_counter() - started
    write_output(
        out,
        json.dumps(plan.export.data, indent=2, sort_keys=True) + "\n",
        "export",
        protect=protect,
        inputs=inputs,
    )
    rows = plan.counts()
    total = sum(n for _, _, n in rows)
    gate = None
    if config_dir is not None:
        from toolchain.gate import run_gate  # noqa: PLC0415

        _progress(f"running the policy packs with {escape(str(config_dir))} ...")
        gate = run_gate(plan.export, config_dir, notice=notice)
    from toolchain.cost import estimate, load_prices, load_usage  # noqa: PLC0415

    cost = estimate(plan.export, load_prices(), load_usage())
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
            summary["policyConfig"] = {"dir": gate.config_dir, "notice": gate.notice}
        summary["monthlyCostUsd"] = round(cost.total, 2)
        summary["monthlyCostByComponent"] = {c: round(m, 2) for c, m, _ in cost.by_component()}
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"Offline plan of stack '{args.stack}': {total} resources "
            f"({elapsed:.1f}s), export written to {escape(str(out))}"
        )
        print(tabulate(rows, headers=["component", "type", "count"], tablefmt="github"))
        if gate is not None:
            print()
            print_verdicts(gate, title=f"Policy gate ({gate.config_dir})")
        print()
        unpriced = sum(g.count for g in cost.not_priced)
        print(
            f"Estimated monthly cost: ${cost.total:,.2f} (list prices of {cost.price_date}, "
            f"default usage; {unpriced} resources not priced; "
            f"`python -m agents cost --export {escape(str(out))}` lists every line)"
        )
        print(
            tabulate(
                [[c, n, f"${m:,.2f}"] for c, m, n in cost.by_component()],
                headers=["component", "priced resources", "monthly"],
                tablefmt="github",
                colalign=("left", "right", "right"),
            )
        )
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
        f"{escape(title)}: {result.resources} resources, {packs}: "
        f"{mandatory} mandatory, {advisory} advisory violation(s)"
    )
    if result.violations:
        metas = {(p, n): m for p, pol in result.packs.items() for n, m in pol.items()}
        rows = []
        for v in result.violations:
            meta = metas.get((v.policyPack, v.policyName))
            rows.append(
                [
                    escape(str(v.policyPack)),
                    escape(f"{v.policyName} {meta.rule_id if meta else ''}".strip()),
                    escape(str(v.enforcementLevel)),
                    escape(str(v.severity)),
                    escape(_short_urn(v.urn)),  # names from the export: untrusted
                    escape(str(v.detail)),
                ]
            )
        from agents.cli.outputs import fit_table  # noqa: PLC0415

        # Wrapped to the terminal's width (the policy, resource and message columns first);
        # `--json` has each violation's full message and URN.
        headers = ["pack", "policy", "enforcement", "severity", "resource", "message"]
        print(fit_table(rows, headers, keep=[0, 2, 3]))


def _policy_config_dir(args: argparse.Namespace, stack: str) -> tuple[Path, str | None]:
    """The policy config folder: --policy-config (a folder, else refused), or the stack's own,
    or for a stack without one the default (`toolchain.gate.policy_config_dir`), whose notice
    goes to stderr as one line and is returned to be kept in the gate's result."""
    from toolchain.gate import CONFIG_DIR, policy_config_dir  # noqa: PLC0415

    if args.policy_config:
        path = Path(args.policy_config)
        if not path.is_dir():
            raise InputError(
                f"{path}: --policy-config takes a folder with security.json and "
                "cost.json (like policies/config/dev)"
            )
        return path, None
    if not stack:
        raise InputError(
            f"the export names no stack: pass --stack (policies/config/<stack> in {CONFIG_DIR}) "
            "or --policy-config"
        )
    path, notice = policy_config_dir(stack)
    if notice:
        print(f"note: {escape(notice)}", file=sys.stderr, flush=True)
    return path, notice


def cmd_policy(args: argparse.Namespace) -> int:
    from toolchain.export import load_export  # noqa: PLC0415
    from toolchain.gate import run_gate, stack_of  # noqa: PLC0415

    export = load_export(args.export)
    config_dir, notice = _policy_config_dir(args, args.stack or stack_of(export))
    _progress(f"running policy packs over {escape(args.export)} with {escape(str(config_dir))} ...")
    result = run_gate(export, config_dir, notice=notice)
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        print_verdicts(result, title=f"Policy gate ({config_dir})")
    return EXIT_VERDICT if result.mandatory else EXIT_OK


def cmd_rules(args: argparse.Namespace) -> int:
    from toolchain.gate import Gate, rule_table  # noqa: PLC0415

    with Gate() as gate:
        rows = rule_table(gate)
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        from agents.cli.outputs import fit_table  # noqa: PLC0415

        # Long descriptions wrap to the terminal's width; the pack is the id's prefix (SEC-,
        # COST-) and is left out; `--json` has every field, each value on one line.
        headers = [h for h in (rows[0] if rows else []) if h != "pack"]
        table = [[r[h] for h in headers] for r in rows]
        keep = [i for i, h in enumerate(headers) if h not in ("policy", "checks", "controls")]
        print(fit_table(table, headers, keep=keep))
    return EXIT_OK


def cmd_cost(args: argparse.Namespace) -> int:
    """`cost`: estimate an export (or diff it against a baseline); `cost savings`; `cost
    refresh-prices`. The rendering lives in toolchain.cost.report."""
    from toolchain.cost import (  # noqa: PLC0415
        diff,
        estimate,
        load_prices,
        load_usage,
        report,
    )
    from toolchain.export import load_export  # noqa: PLC0415

    if args.cost_command == "refresh-prices":
        from agents.cli.outputs import protected_outputs  # noqa: PLC0415
        from toolchain.cost.prices import PRICES_DIR  # noqa: PLC0415
        from toolchain.cost.refresh import refresh_prices, write_price_file  # noqa: PLC0415

        protect = protected_outputs()
        folder = output_dir(args.out_dir or PRICES_DIR, protect=protect)
        base = load_prices(getattr(args, "prices", None))
        _progress(f"querying the AWS Price List API for {', '.join(args.region)} ...")
        doc, outcomes = refresh_prices(args.region, base)
        given = getattr(args, "prices", None)
        path = write_price_file(doc, folder, protect=protect, inputs=[given] if given else [])
        print(report.render_refresh(outcomes, str(path)), end="")
        return EXIT_OK
    prices = load_prices(getattr(args, "prices", None))
    usage = load_usage(getattr(args, "usage", None))
    if args.cost_command == "savings":
        from toolchain.cost.savings import savings  # noqa: PLC0415
        from toolchain.plan import read_stack_config, run_plan, stack_config_file  # noqa: PLC0415

        config = Path(args.config) if args.config else stack_config_file(args.stack)
        values = read_stack_config(config)
        _progress(f"planning stack {args.stack} and its naive variants offline ...")
        result = savings(args.stack, prices, usage, values, lambda s, v: run_plan(s, v).export)
        if getattr(args, "json", False):
            print(json.dumps(result.to_json(), indent=2))
        else:
            print(report.render_savings(result), end="")
        return EXIT_OK
    if not args.export:
        raise InputError(
            "cost: --export FILE is required (or use `cost savings` or `cost refresh-prices`)"
        )
    new = estimate(load_export(args.export), prices, usage)
    if args.baseline:
        change = diff(estimate(load_export(args.baseline), prices, usage), new)
        if args.json:
            print(json.dumps(change.to_json(), indent=2))
        elif args.markdown:  # for a pull request comment
            print(escape(change.to_markdown(), multiline=True), end="")
        else:
            print(escape(_render_cost_diff(change), multiline=True), end="")
    elif args.json:
        print(json.dumps(new.to_json(), indent=2))
    elif args.markdown:
        print(escape(report.render_estimate_markdown(new), multiline=True), end="")
    else:
        print(escape(report.render_estimate(new), multiline=True), end="")
    return EXIT_OK


def _render_cost_diff(change: CostDiff) -> str:
    """The cost diff as plain text for a terminal (`--markdown` gives the pull request's)."""
    from tabulate import tabulate  # noqa: PLC0415

    from toolchain.cost.diff import money, percent, short_type  # noqa: PLC0415

    stack = change.new.stack or change.base.stack or "stack"
    out = [
        f"Monthly cost change of stack '{stack}': {money(change.delta, signed=True)} "
        f"({percent(change.percent)}), {money(change.base.total)} -> {money(change.new.total)} "
        f"(730 hours; list prices of {change.new.price_date}, {change.new.price_file})",
        f"base: {change.base.source}",
        f"new:  {change.new.source}",
        "",
    ]
    if change.lines:
        rows = [
            [
                x.change,
                x.name,
                short_type(x.type),
                x.component,
                money(x.before),
                money(x.after),
                money(x.delta, signed=True),
            ]
            for x in change.lines
        ]
        rows.append(
            [
                "total",
                "",
                "",
                "",
                money(change.base.total),
                money(change.new.total),
                money(change.delta, signed=True),
            ]
        )
        out.append(
            tabulate(
                rows,
                headers=["change", "resource", "type", "component", "before", "after", "delta"],
                tablefmt="github",
                colalign=("left", "left", "left", "left", "right", "right", "right"),
            )
        )
    else:
        out.append("No priced resource changes cost.")
    counts = [
        ("free resources added", len(change.free_added)),
        ("free resources removed", len(change.free_removed)),
        ("NOT PRICED resources added (cost unknown, not counted)", len(change.not_priced_added)),
        ("not-priced resources removed", len(change.not_priced_removed)),
    ]
    notes = [f"{what}: {n}" for what, n in counts if n]
    if notes:
        out += ["", "; ".join(notes) + " (`--json` lists them)."]
    return "\n".join(out) + "\n"


SCRIPT = "baseline-agents"  # the console script ([project.scripts] in pyproject.toml)
OUR_PACKAGES = frozenset({"agents", "toolchain", "baseline", "components", "policies"})


def build_parser(prog: str = "python -m agents") -> argparse.ArgumentParser:
    parser = _Parser(prog=prog, description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    plan = sub.add_parser("plan", help="plan a stack offline (mock runtime) into a stack export")
    plan.add_argument(
        "--stack", required=True, type=stack_name, help="stack name (reads Pulumi.<stack>.yaml)"
    )
    plan.add_argument("--config", help="plan with this stack config file instead")
    plan.add_argument(
        "--out", help="where to write the export (default <repository>/build/<stack>.plan.json)"
    )
    plan.add_argument("--json", action="store_true", help="print the summary as JSON")
    plan.add_argument(
        "--policy-config",
        help="policy config folder (default policies/config/<stack>, or policies/config/prod "
        "with a notice for a stack without one)",
    )
    plan.add_argument("--no-policy", action="store_true", help="skip the policy gate")
    plan.set_defaults(func=cmd_plan)

    policy = sub.add_parser("policy", help="run the policy packs over a stack export")
    policy.add_argument(
        "--export", required=True, help="stack export (plan or pulumi stack export)"
    )
    group = policy.add_mutually_exclusive_group()
    group.add_argument(
        "--stack",
        type=stack_name,
        help="use policies/config/<stack>/ (default: the export's stack; a stack without "
        "one gets policies/config/prod/, with a notice)",
    )
    group.add_argument("--policy-config", help="folder with security.json and cost.json")
    policy.add_argument("--json", action="store_true", help="print violations as JSON")
    policy.set_defaults(func=cmd_policy)

    rules = sub.add_parser("rules", help="list the policy rules and their enforcement per stack")
    rules.add_argument("--json", action="store_true", help="print the rules as JSON")
    rules.set_defaults(func=cmd_rules)

    add_commands(sub, _Parser)
    add_skill_commands(sub, _Parser)
    add_mcp_commands(sub, _Parser)

    cost = sub.add_parser("cost", help="monthly cost of a stack export, its diff, savings, prices")
    cost.add_argument("--export", help="stack export to price (plan or pulumi stack export)")
    cost.add_argument(
        "--baseline", help="export to compare with: prints the cost diff (a table; --markdown)"
    )
    cost.add_argument("--usage", help="usage file laid over toolchain/cost/usage.default.yaml")
    cost.add_argument("--prices", help="price file (default: the newest in toolchain/cost/prices)")
    cost_format = cost.add_mutually_exclusive_group()
    cost_format.add_argument("--json", action="store_true", help="print JSON")
    cost_format.add_argument(
        "--markdown",
        action="store_true",
        help="print Markdown (for a pull request; with --baseline, the diff's comment)",
    )
    cost.set_defaults(func=cmd_cost, cost_command=None)
    cost_sub = cost.add_subparsers(dest="cost_command", parser_class=_Parser)
    # Options repeated on the sub-commands default to SUPPRESS so they never clobber the same
    # option given before the sub-command.
    refresh = cost_sub.add_parser(
        "refresh-prices", help="new price file from the AWS Price List API"
    )
    refresh.add_argument(
        "--region", action="append", required=True, type=aws_region, help="region (repeatable)"
    )
    refresh.add_argument("--prices", default=argparse.SUPPRESS, help="price file to start from")
    refresh.add_argument(
        "--out-dir", type=output_dir, help="folder for the new file (default toolchain/cost/prices)"
    )
    saving = cost_sub.add_parser("savings", help="each cost lever's saving against a naive variant")
    saving.add_argument("--stack", required=True, type=stack_name, help="stack to plan")
    saving.add_argument("--config", help="plan with this stack config file instead")
    saving.add_argument("--usage", default=argparse.SUPPRESS, help="usage file")
    saving.add_argument("--prices", default=argparse.SUPPRESS, help="price file")
    saving.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="JSON")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The one place where errors become exit codes and a single stderr line: InputError 2, an
    OSError or another AgentsError that is not about the user's input (a state folder on a full
    disk, an unreachable lock table, a policy pack that did not start) 1, a reader that
    closed our stdout (`... | head -1`) 141 like a process killed by SIGPIPE, quietly."""
    # gRPC (the policy gate's client) logs fork warnings on stderr when a subprocess starts while
    # its threads run; they are not errors, and an error is one line.
    os.environ.setdefault("GRPC_VERBOSITY", "ERROR")
    if sys.stdout is None:  # started with stdout closed (`>&-`): nowhere to report to
        return EXIT_BROKEN_PIPE
    prog = SCRIPT if argv is None and Path(sys.argv[0]).name == SCRIPT else "python -m agents"
    try:
        args = build_parser(prog).parse_args(argv)
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
    except InputError as exc:
        print(f"error: {escape(_one_line(str(exc)))}", file=sys.stderr)
        return EXIT_INPUT
    except BrokenPipeError:
        _stdout_to_devnull()
        return EXIT_BROKEN_PIPE
    except OSError as exc:
        print(f"error: {escape(_one_line(str(exc)))}", file=sys.stderr)
        return EXIT_VERDICT
    except ToolchainError as exc:  # not the user's input: a backend, a pack, a state folder
        print(f"error: {escape(_one_line(str(exc)))}", file=sys.stderr)
        return EXIT_VERDICT
    except ModuleNotFoundError as exc:
        if (exc.name or "").split(".")[0] in OUR_PACKAGES:
            raise  # a bug of ours, not the environment: the traceback is wanted
        # `python -m agents` run by an interpreter without the project's requirements (the
        # venv not activated): what to run instead, in one line.
        print(
            f"error: this Python ({sys.executable}) lacks the project's requirements "
            f"(no module named {exc.name!r}): run `make` once, then `.venv/bin/{SCRIPT} ...` "
            "(or `.venv/bin/python -m agents ...`, or activate .venv)",
            file=sys.stderr,
        )
        return EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return code

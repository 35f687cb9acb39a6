"""The skills' command line: `summarize`, `memory`, `tokens`, `logs` and `investigate` (wired into
`python -m agents` by `agents.cli.main`). Each prints text for a person or an LLM by default, JSON
with
`--json`; `--budget N` caps the text at N o200k tokens (the JSON is the whole structured result).
"""

from __future__ import annotations

import argparse
import datetime
import os
import stat
import sys
from pathlib import Path
from typing import Any

from toolchain import untrusted
from toolchain.inputs import int_range, iso_timestamp, stack_name

BUDGET = int_range(0, 10_000_000)


def _print_json(data: Any) -> None:
    # Log text, resource names and runbook text are untrusted: no raw control character may
    # reach the terminal (toolchain.untrusted), and JSON alone escapes only C0.
    print(untrusted.dumps(data, indent=2, default=str))


def _print_text(text: str) -> None:
    print(untrusted.escape(text, multiline=True))


# -- summarize ------------------------------------------------------------------------------------
def cmd_summarize(args: argparse.Namespace) -> int:
    from agents.skills import summarize as skill  # noqa: PLC0415
    from agents.skills.fidelity import check_infra_summary, require  # noqa: PLC0415
    from toolchain.export import load_export  # noqa: PLC0415

    export = load_export(args.export)
    baseline = load_export(args.baseline) if args.baseline else None
    if args.no_policy:
        summary = skill.summarize_infra(
            export, violations=[], cost=skill.cost_estimate(export), baseline=baseline
        )
        violations: Any = []
    else:
        print(
            f"summarizing {untrusted.escape(args.export)}: running the policy packs ...",
            file=sys.stderr,
        )
        violations = skill.policy_violations(
            export, Path(args.policy_config) if args.policy_config else None
        )
        summary = skill.summarize_infra(
            export, violations=violations, cost=skill.cost_estimate(export), baseline=baseline
        )
    # The summary must name every resource, output and violation: checked on every run, and a
    # gap is an error, not a warning (agents.skills.fidelity).
    require(check_infra_summary(summary, export, violations), "the summary")
    if args.json:
        _print_json(summary.to_json())
    else:
        _print_text(skill.render(summary, args.budget))
    return 0


# -- tokens ---------------------------------------------------------------------------------------
def cmd_tokens(args: argparse.Namespace) -> int:
    from agents.skills.tokens import ENCODING, count_file  # noqa: PLC0415

    rows = [(path, count_file(Path(path))) for path in args.files]
    if args.json:
        _print_json({"encoding": ENCODING, "files": [{"file": f, "tokens": n} for f, n in rows]})
    else:
        for path, n in rows:
            print(f"{n}\t{untrusted.escape(path)}")
        if len(rows) > 1:
            print(f"{sum(n for _, n in rows)}\ttotal ({ENCODING})")
    return 0


# -- memory ---------------------------------------------------------------------------------------
def _memory(args: argparse.Namespace, *, read_only: bool = False) -> Any:
    from agents.skills.memory import Memory, load_embedder  # noqa: PLC0415

    embedder = load_embedder() if args.vectors else None
    if args.db:  # a SQLite file, whatever the settings say
        path = Path(args.db)
    else:
        from agents.protocol.settings import load_settings  # noqa: PLC0415
        from agents.skills.memory_postgres import open_memory  # noqa: PLC0415

        settings = load_settings()
        if settings.records_backend == "postgres":
            return open_memory(settings, embedder=embedder, read_only=read_only)
        path = settings.state_dir / "memory.sqlite"
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    return Memory(path, embedder=embedder, read_only=read_only)


def cmd_memory_add(args: argparse.Namespace) -> int:
    with _memory(args) as memory:
        entry = memory.add(
            args.kind,
            args.text,
            source=args.source,
            time=args.time or datetime.datetime.now(datetime.UTC).isoformat(),
            stack=args.stack,
            persona=args.persona,
            title=args.title,
        )
    if args.json:
        _print_json({"id": entry})
    else:
        print(f"remembered entry {entry}")
    return 0


def cmd_memory_index(args: argparse.Namespace) -> int:
    from agents.protocol.settings import load_settings  # noqa: PLC0415

    audit = Path(args.audit) if args.audit else load_settings().audit_log
    reports: dict[str, Any] = {}
    with _memory(args) as memory:
        if audit.exists() or args.audit:
            reports[str(audit)] = memory.index_audit(audit)
        for folder in args.runbooks or ():
            reports[folder] = memory.index_runbooks(folder)
        counts = memory.counts()
    for report in reports.values():
        for path in report.outside:
            print(
                f"skipped {untrusted.escape(path)}: leads out of its runbooks folder "
                "(symlinks are not followed)",
                file=sys.stderr,
            )
    if args.json:
        _print_json({"indexed": {k: v.__dict__ for k, v in reports.items()}, "entries": counts})
        return 0
    from tabulate import tabulate  # noqa: PLC0415

    rows = [
        [untrusted.escape(src), r.added, r.removed, r.skipped, r.files]
        for src, r in reports.items()
    ]
    print(
        tabulate(
            rows, headers=["source", "added", "removed", "skipped", "files"], tablefmt="github"
        )
        if rows
        else "nothing to index (no audit log yet, no --runbooks)"
    )
    print("entries: " + ", ".join(f"{k} {n}" for k, n in sorted(counts.items())))
    return 0


def cmd_memory_search(args: argparse.Namespace) -> int:
    from agents.skills.memory import render  # noqa: PLC0415

    # A search only reads: the store is opened read-only and never created (a missing one is
    # a one-line error).
    with _memory(args, read_only=True) as memory:
        hits = memory.search(
            args.query, k=args.k, budget=args.budget, stack=args.stack, kind=args.kind
        )
    if args.json:
        _print_json([h.__dict__ for h in hits])
    else:
        _print_text(render(hits, args.budget))
    return 0


# -- logs -----------------------------------------------------------------------------------------
def cmd_logs_analyze(args: argparse.Namespace) -> int:
    import time  # noqa: PLC0415

    from agents.skills import logs  # noqa: PLC0415
    from agents.skills.fidelity import check_log_report, require  # noqa: PLC0415
    from toolchain.inputs import output_path, replace_output  # noqa: PLC0415

    if (args.source is None) == (args.group is None):
        from agents import InputError  # noqa: PLC0415

        raise InputError("logs analyze: give a FILE (or - for stdin), or --group, not both")
    out = None
    protect: list[Path] = []
    inputs = [args.source] if args.source not in (None, "-") else []
    if args.source == "-" and stat.S_ISREG(os.fstat(0).st_mode):
        inputs.append("/dev/stdin")  # `< app.log`: that file is an input too (same inode)
    if args.assignments:
        from agents.cli.outputs import protected_outputs  # noqa: PLC0415

        protect = protected_outputs()
        out = output_path(args.assignments, "assignments", protect=protect, inputs=inputs)
    if args.group:
        import boto3  # noqa: PLC0415

        now_ms = int(time.time() * 1000)
        lines = logs.cloudwatch_lines(
            boto3.client("logs", region_name=args.region),
            args.group,
            start_ms=now_ms - args.minutes * 60_000,
            end_ms=now_ms,
        )
        source = f"cloudwatch:{args.group}"
    else:
        lines = logs.read_lines(args.source)
        source = "stdin" if args.source == "-" else args.source
    import tempfile  # noqa: PLC0415

    # Assignments stream to a temporary file beside the output (memory stays bounded however
    # long the log), are checked against the report, and only then replace the output. Its
    # folder is made first, as `plan --out` makes the export's.
    spill = None
    if out is not None:
        from toolchain.inputs import OutputError  # noqa: PLC0415

        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            spill = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in the finally below
                "w+", dir=out.parent, prefix=f".{out.name}.", delete=False
            )
        except OSError as exc:
            raise OutputError(
                f"{out}: cannot write the assignments: its folder cannot be made or written "
                f"({exc.strerror or exc}); nothing written"
            ) from exc
    try:
        report = logs.analyze_logs(
            lines, source=source, progress=logs.stderr_progress, assignments=spill
        )
        ids = None
        if spill is not None:
            spill.flush()
            spill.seek(0)
            ids = (int(line) for line in spill)
        # Every line accounted for, every cluster whole: checked on every run (an error, not a
        # warning; agents.skills.fidelity).
        require(check_log_report(report, report.lines_read, ids), "the log report")
        if spill is not None and out is not None:
            spill.flush()
            os.fsync(spill.fileno())
            spill.close()
            # Checked again: the path may have been swapped for a link while the log was read.
            out = replace_output(
                spill.name, args.assignments, "assignments", protect=protect, inputs=inputs
            )
            print(f"assignments written to {untrusted.escape(str(out))}", file=sys.stderr)
    finally:
        if spill is not None:
            spill.close()
            Path(spill.name).unlink(missing_ok=True)
    if args.json:
        _print_json(report.to_dict())
    else:
        _print_text(logs.render(report, args.budget))
    return 0


# -- investigate ----------------------------------------------------------------------------------
def cmd_investigate(args: argparse.Namespace) -> int:
    """An LLM explains a finding or an alarm with the read-only skills as tools; exit 0 with a
    conclusion, 1 without one (the reason on stderr and in the audit log), 2 without a
    configured provider or with bad input."""
    from agents import InputError  # noqa: PLC0415
    from agents.protocol.audit import AuditLog  # noqa: PLC0415
    from agents.protocol.settings import load_settings  # noqa: PLC0415
    from agents.skills import investigate as inv  # noqa: PLC0415
    from agents.skills.registry import SkillContext  # noqa: PLC0415

    if (args.finding is None) == (args.alarm is None):
        raise InputError("investigate: give a FINDING_ID or --alarm NAME, not both")
    if args.finding is not None and args.stack is not None:
        raise InputError("investigate: --stack goes with --alarm (a finding names its stack)")
    settings = load_settings()
    provider = inv.provider_from_settings(settings)  # NoProvider: one line, exit 2
    if args.finding is not None:
        subject = inv.finding_subject(settings, args.finding)
    else:
        from toolchain.plan import known_stacks  # noqa: PLC0415

        subject = inv.alarm_subject(args.alarm, args.stack, tuple(known_stacks()))
    toolbox = inv.Toolbox(
        inv.read_only_skills(settings.investigate_tools),
        SkillContext(settings, persona=inv.loop.PERSONA),
    )
    limits = inv.Limits.of(settings, args.budget)
    audit = AuditLog(settings.audit_log)
    print(
        f"investigating {subject.ref} on {subject.stack} with {provider.name} "
        f"{provider.model} (budget {limits.budget} tokens) ...",
        file=sys.stderr,
    )
    out = inv.investigate(subject, provider, toolbox, limits, audit)
    inv.record_conclusion(out, settings, audit)
    if args.json:
        _print_json(out.to_json())
    else:
        _print_text(render_investigation(out))
    if out.status != "concluded":
        print(
            f"error: investigation {out.id}: no conclusion: {out.reason}: "
            f"{untrusted.escape(out.detail)}",
            file=sys.stderr,
        )
    return out.exit_code


def render_investigation(out: Any) -> str:
    head = (
        f"investigation {out.id} of {out.subject.ref} ({out.subject.stack}): "
        f"{out.status} after {out.turns} turn(s), {len(out.tools)} tool call(s); "
        f"{out.tokens_sent} tokens sent, {out.tokens_received} received, "
        f"{out.spent} of {out.limits.budget} spent"
    )
    c = out.conclusion
    if c is None:
        return f"{head}\nno conclusion ({out.reason}): {out.detail}"
    lines = [head, f"likely cause: {c.cause}", f"confidence: {c.confidence}", "evidence:"]
    for e in c.evidence:
        args = ", ".join(f"{k}={v}" for k, v in (e.arguments or {}).items())
        lines.append(f"  [{e.result}] {e.tool}({args}): {e.fact}")
    where = (
        f"proposal finding {out.proposal}, for the master-architect's review"
        if out.proposal is not None
        else "NOT recorded as a proposal"
    )
    lines.append(f"proposed change ({where}; never applied): {c.proposed_change or 'none'}")
    lines += [f"record error: {e}" for e in out.record_errors]
    return "\n".join(lines)


def add_skill_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    from toolchain.inputs import aws_region  # noqa: PLC0415

    logs_parser = sub.add_parser("logs", help="log skills: cluster raw log lines")
    logs_sub = logs_parser.add_subparsers(
        dest="logs_command", required=True, parser_class=parser_class
    )
    analyze = logs_sub.add_parser(
        "analyze",
        help="cluster log lines (a file, gzip, - for stdin, or a CloudWatch Logs group) into "
        "templates with counts, times, severity, an example and the values that matter",
    )
    analyze.add_argument("source", nargs="?", metavar="FILE|-")
    analyze.add_argument("--group", help="CloudWatch Logs group instead of a file")
    analyze.add_argument("--region", type=aws_region, help="region of --group")
    analyze.add_argument(
        "--minutes", type=int_range(1, 7 * 24 * 60), default=60, help="of --group (default 60)"
    )
    analyze.add_argument("--budget", type=BUDGET, help="at most N o200k tokens of text")
    analyze.add_argument(
        "--assignments", help="write one cluster id per input line, in input order, here"
    )
    analyze.add_argument("--json", action="store_true", help="the whole report as JSON")
    analyze.set_defaults(func=cmd_logs_analyze)

    summarize = sub.add_parser(
        "summarize",
        help="a stack export as a compact summary for an LLM: resources with their security and "
        "cost settings, outputs, policy violations, cost; with --baseline, the change set",
    )
    summarize.add_argument("--export", required=True, help="stack export (plan or live)")
    summarize.add_argument("--baseline", help="an earlier export: adds the change set")
    summarize.add_argument("--budget", type=BUDGET, help="at most N o200k tokens of text")
    summarize.add_argument(
        "--policy-config", help="policy config folder (default policies/config/<stack>)"
    )
    summarize.add_argument("--no-policy", action="store_true", help="skip the policy gate")
    summarize.add_argument("--json", action="store_true", help="the whole summary as JSON")
    summarize.set_defaults(func=cmd_summarize)

    tokens = sub.add_parser("tokens", help="o200k token count of files (to compare sizes)")
    tokens.add_argument("files", nargs="+", metavar="FILE")
    tokens.add_argument("--json", action="store_true")
    tokens.set_defaults(func=cmd_tokens)

    investigate = sub.add_parser(
        "investigate",
        help="an LLM explains a finding or an alarm, with the read-only skills as its tools "
        "(likely cause, evidence, confidence, a proposed change for review; never applied)",
    )
    investigate.add_argument(
        "finding",
        nargs="?",
        type=int_range(1, 2**62),
        metavar="FINDING_ID",
        help="a finding's id (`python -m agents findings --json`)",
    )
    investigate.add_argument("--alarm", metavar="NAME", help="a CloudWatch alarm's name instead")
    investigate.add_argument(
        "--stack", type=stack_name, help="the alarm's stack (default: the one its name says)"
    )
    investigate.add_argument(
        "--budget",
        type=int_range(1_000, 1_000_000),
        help="tokens for the whole investigation (default AGENTS_INVESTIGATE_BUDGET, 20000)",
    )
    investigate.add_argument("--json", action="store_true", help="the outcome as JSON")
    investigate.set_defaults(func=cmd_investigate)

    from agents.skills.memory import KINDS  # noqa: PLC0415

    memory = sub.add_parser("memory", help="the agents' memory: add, index, search")
    memory_sub = memory.add_subparsers(
        dest="memory_command", required=True, parser_class=parser_class
    )

    def common(p: argparse.ArgumentParser) -> None:
        p.add_argument("--db", help="memory file (default <state_dir>/memory.sqlite)")
        p.add_argument(
            "--vectors",
            action="store_true",
            help="also semantic search (needs `pip install .[vectors]`)",
        )
        p.add_argument("--json", action="store_true")

    add = memory_sub.add_parser("add", help="remember one entry")
    add.add_argument("kind", choices=KINDS)
    add.add_argument("text")
    add.add_argument("--source", default="cli", help="where it came from (default cli)")
    add.add_argument("--time", type=iso_timestamp, help="ISO timestamp (default now)")
    add.add_argument("--stack", type=stack_name)
    add.add_argument("--persona")
    add.add_argument("--title")
    common(add)
    add.set_defaults(func=cmd_memory_add)

    index = memory_sub.add_parser(
        "index", help="index the audit log's new records and runbook folders (idempotent)"
    )
    index.add_argument("--audit", help="audit log (default <state_dir>/audit.jsonl)")
    index.add_argument(
        "--runbooks", action="append", metavar="DIR", help="Markdown folder (repeatable)"
    )
    common(index)
    index.set_defaults(func=cmd_memory_index)

    search = memory_sub.add_parser("search", help="best passages for a query (BM25)")
    search.add_argument("query")
    search.add_argument("--k", type=int_range(1, 100), default=5, help="hits (1 to 100)")
    search.add_argument("--budget", type=BUDGET, help="at most N o200k tokens of text")
    search.add_argument("--stack", type=stack_name)
    search.add_argument("--kind", choices=KINDS)
    common(search)
    search.set_defaults(func=cmd_memory_search)

"""The agents' sub-commands of `python -m agents`: `run`, `status`, `approve`, `reject`, `audit`,
`repair`.

`status` reports damaged state files (locks, cooldowns, breakers, approvals, the approval key)
instead of crashing on them, and exits 1 while there is any; `repair --stack S` moves a stack's
damaged files aside (`<file>.damaged-<timestamp>`) and writes fresh ones
(`agents.protocol.state_files`)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from agents import InputError, first_line
from agents.protocol.audit import AuditLog
from agents.runtime import telemetry
from toolchain import untrusted
from toolchain.inputs import approval_id, float_range, int_range, iso_timestamp, stack_name

if TYPE_CHECKING:
    from agents.protocol.settings import AgentSettings
    from agents.runtime.health import HealthServer, LoopHealth
    from agents.runtime.runner import Outcome
    from baseline.personas import Persona

EXIT_OK, EXIT_VERDICT = 0, 1


def _cells(rows: list[list[Any]]) -> list[list[Any]]:
    """Table rows with every text cell escaped (toolchain.untrusted): findings, audit records
    and status quote resource names and log text, which must not drive the reader's terminal."""
    return [
        [c if isinstance(c, int | float) or c is None else untrusted.escape(str(c)) for c in row]
        for row in rows
    ]


def _json(data: Any, **kwargs: Any) -> str:
    return untrusted.dumps(data, default=str, **kwargs)


def _known_stacks() -> list[str]:
    from toolchain.plan import known_stacks  # noqa: PLC0415 - the plan imports pulumi: slow

    return known_stacks()


def _settings() -> AgentSettings:
    # Imported here: pydantic takes a while to load, and `plan` does not need it.
    from agents.protocol.settings import load_settings  # noqa: PLC0415

    return load_settings()


def _cost_delta(settings: AgentSettings, gateway: Any) -> Any:
    """Monthly cost of the program as planned for the stack, minus that of the stack as it runs
    (its live export): the cost change a proposal would bring. None when it cannot be known."""

    def delta(stack: str, _preview: Any) -> float | None:
        try:
            from toolchain.cost import estimate, load_prices, load_usage  # noqa: PLC0415
            from toolchain.plan import run_plan  # noqa: PLC0415

            prices, usage = load_prices(), load_usage()
            planned = estimate(run_plan(stack).export, prices, usage)
            live = estimate(gateway.export(stack), prices, usage)
            return float(planned.total - live.total)
        except Exception as exc:  # noqa: BLE001 - unknown cost is reported as unknown, not fatal
            # The reviewer never approves an unknown cost (agents.protocol.approvals); say why it
            # is.
            error = first_line(exc)
            AuditLog(settings.audit_log).append("cost.unknown", stack=stack, error=error)
            return None

    return delta


def _run_agent(
    args: argparse.Namespace, who: Persona, stacks: list[str], settings: AgentSettings
) -> list[Outcome]:
    """The agent's loop (or its one pass), with the health endpoints while it loops."""
    from agents.protocol.backends import open_backend  # noqa: PLC0415
    from agents.protocol.supervision import SUPERVISOR  # noqa: PLC0415
    from agents.routines import Routines  # noqa: PLC0415
    from agents.runtime.gateway import AutomationGateway  # noqa: PLC0415
    from agents.runtime.runner import Agent, run_loop  # noqa: PLC0415

    # One writer, one chain: the persona's, unless AGENTS_AUDIT_WRITER names another (a pod sets
    # it to the persona too, so the chain continues across pods).
    audit = AuditLog(settings.audit_log, settings.audit_writer or who.name)
    gateway = AutomationGateway(settings, audit, audit_fields={"persona": who.name})
    agent = Agent(
        who,
        settings=settings,
        gateway=gateway,
        locks=open_backend(settings, sleep=SUPERVISOR.sleep),
        audit=audit,
        cost_delta=_cost_delta(settings, gateway),
    )
    from agents.protocol.audit_sink import start_drainer  # noqa: PLC0415

    drainer = start_drainer(settings, audit)
    server: HealthServer | None = None
    heartbeat: LoopHealth | None = None
    if not args.once and settings.health_port is not None:
        from agents.runtime.health import HealthServer, LoopHealth, Readiness  # noqa: PLC0415

        heartbeat = LoopHealth(args.interval, settings.liveness_grace_s)
        server = HealthServer(
            settings.health_host, settings.health_port, heartbeat, Readiness(settings, stacks[0])
        ).start()
        print(f"health endpoints: {server.url}/healthz and /readyz", file=sys.stderr, flush=True)
    # SIGTERM/SIGINT cancel the operation in flight and release its lease
    # (agents.protocol.supervision);
    # the exit code is then 128 + the signal number.
    try:
        with SUPERVISOR.handle_signals(grace_s=settings.cancel_grace_s):
            return run_loop(
                agent,
                stacks,
                once=args.once,
                interval_s=args.interval,
                approval=args.approval,
                sleep=SUPERVISOR.sleep,
                routine=_with_sli(
                    settings,
                    agent,
                    Routines(
                        agent, restore_drill=settings.restore_drill, interval_s=args.interval
                    ).run,
                ),
                heartbeat=heartbeat,
            )
    finally:
        if server is not None:
            server.stop()
        if drainer is not None:
            left = drainer.stop()
            if left.remaining:
                print(
                    f"audit sink: {left.remaining} byte(s) of records still spooled in "
                    f"{settings.audit_log} ({left.error or 'not yet sent'}); they go first at the "
                    "next start",
                    file=sys.stderr,
                )


def cmd_run(args: argparse.Namespace) -> int:
    # tabulate is imported where a table is printed: `python -m agents policy` never needs it
    # before it has started its packs.
    from tabulate import tabulate  # noqa: PLC0415

    from agents.protocol.supervision import Interrupted  # noqa: PLC0415
    from baseline.personas import PersonaError, persona  # noqa: PLC0415

    try:
        who = persona(args.persona)
    except (KeyError, PersonaError) as exc:
        raise InputError(f"unknown persona {args.persona!r}") from exc
    stacks = [args.stack] if args.stack else list(who.stacks)
    for stack in stacks:
        if stack not in _known_stacks():
            raise InputError(f"unknown stack {stack!r} (no Pulumi.{stack}.yaml)")
    settings = _settings()
    # Traces go to the OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT is set
    # (agents.runtime.telemetry);
    # flushed, within AGENTS_TELEMETRY_FLUSH_S, however the command ends.
    telemetry.configure(settings)
    try:
        outcomes = _run_agent(args, who, stacks, settings)
    except Interrupted as exc:
        print(f"error: {exc}; the operation in flight was cancelled", file=sys.stderr)
        return exc.exit_code
    finally:
        telemetry.shutdown()
    rows = [
        [o.persona, o.stack, o.operation, o.status, o.approval or "", o.detail] for o in outcomes
    ]
    if args.json:
        print(_json([o.to_json() for o in outcomes], indent=2))
    else:
        print(
            tabulate(
                _cells(rows),
                headers=["persona", "stack", "operation", "status", "approval", "detail"],
                tablefmt="github",
                maxcolwidths=[None] * 5 + [70],
            )
        )
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_VERDICT


def _with_sli(settings: AgentSettings, agent: Any, routine: Any) -> Any:
    """The routine, publishing the SLI point of each pass when `AGENTS_SLI_METRICS` is on."""
    if not settings.sli_metrics:
        return routine
    import boto3  # noqa: PLC0415

    from agents.runtime.sli import publishing, region_of  # noqa: PLC0415

    return publishing(
        routine,
        persona=agent.persona.name,
        audit=agent.audit,
        client_for=lambda stack: boto3.client("cloudwatch", region_name=region_of(stack)),
    )


def cmd_status(args: argparse.Namespace) -> int:
    from tabulate import tabulate  # noqa: PLC0415 - see cmd_run

    from agents.runtime.status import status_data  # noqa: PLC0415

    status = status_data(_settings())
    sink = status.pop("auditSink")
    notifications = status.pop("notifications")
    code = EXIT_VERDICT if status["damaged"] or sink.get("refusing") else EXIT_OK
    if args.json:
        print(_json({**status, "auditSink": sink, "notifications": notifications}, indent=2))
        return code
    for title, rows in status.items():
        print(f"{title}: {len(rows) or 'none'}")
        if rows:
            print(
                tabulate(
                    _cells([list(r.values()) for r in rows]),
                    headers=[untrusted.escape(str(h)) for h in rows[0]],
                    tablefmt="github",
                    maxcolwidths=70,
                )
            )
    line = f"audit sink: {sink['sink']}"
    if sink["sink"] == "cloudwatch":
        line += (
            f" {untrusted.escape(str(sink['group']))}, {sink['delivered']} delivered, "
            f"{sink['lag']['pendingBytes']} bytes waiting ({sink['lag']['seconds']} s)"
        )
        if sink.get("lastError"):
            line += f"; last error: {untrusted.escape(str(sink['lastError']))}"
        if sink.get("refusing"):
            line += f"; REFUSING mutating operations: {untrusted.escape(sink['refusing'])}"
    print(line)
    print(f"notifications: {_notifications_line(notifications)}")
    return code


def _notifications_line(state: dict[str, Any]) -> str:
    if not state.get("enabled"):
        return f"off ({untrusted.escape(str(state.get('reason', '')))})"
    topics = ", ".join(f"{k} -> {v}" for k, v in sorted(state.get("topics", {}).items()))
    line = f"on, {untrusted.escape(topics)}; min severity {state.get('minSeverity')}"
    line += f", at most {state.get('maxPerHour')}/h per stack"
    if state.get("messages"):
        counts = ", ".join(f"{k} {v}" for k, v in sorted(state["messages"].items()))
        line += f"; messages: {untrusted.escape(counts)}"
    if state.get("error"):
        line += f"; ledger error: {untrusted.escape(str(state['error']))}"
    return line


def cmd_repair(args: argparse.Namespace) -> int:
    from agents.protocol.backends import open_backend  # noqa: PLC0415
    from agents.protocol.state_files import RepairError, refusal, repair, stack_damage  # noqa: PLC0415

    if args.stack not in _known_stacks():
        raise InputError(f"unknown stack {args.stack!r} (no Pulumi.{args.stack}.yaml)")
    settings = _settings()
    locks = open_backend(settings)
    try:
        moved = repair(settings, locks, args.stack, AuditLog(settings.audit_log))
    except RepairError as exc:
        raise InputError(str(exc)) from exc
    for path, kept in moved:
        print(f"repaired {path} (the damaged file is kept as {kept})")
    if not moved:
        print(f"stack {args.stack}: nothing to repair")
    left = stack_damage(settings, locks, args.stack)
    if left:
        print(f"error: {refusal(args.stack, left)}", file=sys.stderr)
        return EXIT_VERDICT
    return EXIT_OK


def _decide(args: argparse.Namespace, approve: bool) -> int:
    from agents.protocol.approvals import ApprovalError  # noqa: PLC0415
    from agents.protocol.backends import open_approvals  # noqa: PLC0415

    settings = _settings()
    store = open_approvals(settings, AuditLog(settings.audit_log))
    by = args.by or getpass.getuser()
    try:
        record = store.decide(args.id, approve=approve, by=f"human:{by}", reason=args.reason)
    except ApprovalError as exc:
        raise InputError(str(exc)) from exc
    print(f"approval {record.id}: {record.status} by {record.decided_by}")
    return EXIT_OK


def _token_cell(record: dict[str, Any]) -> Any:
    """The token column: an MCP record's token id, or an operation's fencing token. A bearer
    token (`bat_<id>_<secret>`) that a record should never hold shows as its id only."""
    from agents.mcp.tokens import TOKEN  # noqa: PLC0415

    value = record.get("token_id") or record.get("token") or ""
    found = TOKEN.search(str(value)) if isinstance(value, str) else None
    return f"{found.group(1)} (secret withheld)" if found else value


def _audit_detail(record: dict[str, Any]) -> str:
    """What a record says beyond its columns, in one cell: its detail, reason or error, else
    what its event is about (an MCP call's tokens and time, a token's name and scopes)."""
    for key in ("detail", "why", "error", "reason"):
        if record.get(key):
            return str(record[key])
    event = str(record.get("event", ""))
    parts: list[str] = []
    if event in ("mcp.call", "mcp.request"):
        if record.get("tokens") is not None:
            parts.append(f"{record['tokens']} of {record.get('budget')} tokens")
        if record.get("seconds") is not None:
            parts.append(f"{record['seconds']} s")
    elif event.startswith("mcp.token-"):
        for key in ("name", "scopes", "rotated_from", "by"):
            value = record.get(key)
            if value:
                shown = ",".join(map(str, value)) if isinstance(value, list) else value
                parts.append(f"{key.replace('_', ' ')} {shown}")
    return ", ".join(parts)


AUDIT_HEADERS = ["time", "event", "stack", "persona", "op/tool", "token", "outcome", "detail"]


def audit_rows(records: list[dict[str, Any]]) -> list[list[Any]]:
    """The `audit` table's rows: an operation's or an MCP call's (tool, token id, outcome) in
    the same columns; every cell escaped."""
    return _cells(
        [
            [
                str(r.get("ts", ""))[:19],
                r.get("event"),
                r.get("stack", ""),
                r.get("persona", ""),
                r.get("operation") or r.get("tool") or r.get("method") or "",
                _token_cell(r),
                r.get("status") or r.get("outcome") or r.get("decision") or r.get("verdict") or "",
                _audit_detail(r),
            ]
            for r in records
        ]
    )


def cmd_audit(args: argparse.Namespace) -> int:
    from agents.cli.outputs import fit_table  # noqa: PLC0415

    settings = _settings()
    records = AuditLog(settings.audit_log).query(
        {"stack": args.stack, "persona": args.persona, "event": args.event},
        since=args.since,
        limit=args.limit,
    )
    if args.json:
        for r in records:
            sys.stdout.write(_json(r) + "\n")
        return EXIT_OK
    # Wrapped to the terminal's width, the detail first; a column no record fills is left out
    # (`--event mcp.call` has no persona); `--json` has every field of a record.
    rows = audit_rows(records)
    shown = [i for i, _ in enumerate(AUDIT_HEADERS) if i < 2 or any(r[i] for r in rows)]
    keep = [n for n, i in enumerate(shown) if AUDIT_HEADERS[i] in ("time", "token")]
    print(
        fit_table(
            [[r[i] for i in shown] for r in rows], [AUDIT_HEADERS[i] for i in shown], keep=keep
        )
        if rows
        else "no audit records" + (" match" if args.stack or args.persona or args.event else "")
    )
    return EXIT_OK


def cmd_init_lock_table(args: argparse.Namespace) -> int:
    from agents.protocol.locks.dynamodb import dynamodb_client, ensure_table  # noqa: PLC0415

    settings = _settings()
    client = dynamodb_client(settings.dynamodb_region, settings.dynamodb_endpoint_url)
    created = ensure_table(client, settings.dynamodb_table)
    print(
        f"lock table {settings.dynamodb_table} in {settings.dynamodb_region}: "
        f"{'created' if created else 'already there'}"
    )
    return EXIT_OK


def cmd_findings(args: argparse.Namespace) -> int:
    from tabulate import tabulate  # noqa: PLC0415

    from agents.protocol.backends import read_findings  # noqa: PLC0415

    store = read_findings(_settings())  # None: nothing recorded yet (and reading creates nothing)
    found = []
    if store is not None:
        with store:
            found = store.query(
                stack=args.stack, severity=args.severity, status="closed" if args.closed else "open"
            )
    if args.json:
        print(_json([f.to_json() for f in found], indent=2))
        return EXIT_OK
    if not found:
        print("no findings" + (" yet (no routine has recorded any)" if store is None else ""))
        return EXIT_OK
    rows = [
        [
            f.finding.severity,
            f.finding.stack,
            f.finding.persona,
            f.finding.kind,
            f.finding.resource,
            f.count,
            f.last_seen,
            f.finding.summary,
        ]
        for f in found
    ]
    print(
        tabulate(
            _cells(rows),
            headers=["severity", "stack", "persona", "kind", "resource", "seen", "last", "summary"],
            tablefmt="github",
            maxcolwidths=[None, None, None, None, 40, None, None, 70],
        )
    )
    return EXIT_OK


def cmd_init_approval_key(args: argparse.Namespace) -> int:
    from agents.protocol.approvals import ApprovalError  # noqa: PLC0415
    from agents.protocol.backends import open_approvals  # noqa: PLC0415

    settings = _settings()
    store = open_approvals(settings, AuditLog(settings.audit_log))
    try:
        store.init_key()
    except ApprovalError as exc:
        raise InputError(str(exc)) from exc
    print(f"approval key {store.key.where}: created (32 random bytes)")
    return EXIT_OK


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a persona's routine on its stacks")
    run.add_argument("persona", help="persona name (baseline/personas.yaml)")
    run.add_argument(
        "--stack", type=stack_name, help="one stack (default: every stack the persona may act on)"
    )
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument(
        "--interval",
        type=float_range(1, 86400),
        default=300.0,
        help="seconds between passes (1 to 86400)",
    )
    run.add_argument("--approval", type=approval_id, help="an approval id to use for this change")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="locks, waiters, cooldowns, pending approvals, breakers")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    for name, approve in (("approve", True), ("reject", False)):
        p = sub.add_parser(name, help=f"{name} a pending change (a human's decision)")
        p.add_argument("id", type=approval_id, help="approval id (see `status`)")
        p.add_argument("--by", help="who decides (default: the login name)")
        p.add_argument("--reason", default="", help="why, for the record")
        p.set_defaults(func=lambda a, approve=approve: _decide(a, approve))

    repair = sub.add_parser(
        "repair", help="move a stack's damaged state files aside and write fresh ones"
    )
    repair.add_argument(
        "--stack", required=True, type=stack_name, help="the stack whose state to repair"
    )
    repair.set_defaults(func=cmd_repair)

    table = sub.add_parser(
        "init-lock-table", help="create the DynamoDB lock table (AGENTS_DYNAMODB_TABLE) if absent"
    )
    table.set_defaults(func=cmd_init_lock_table)

    from agents.protocol.findings import SEVERITIES  # noqa: PLC0415

    findings = sub.add_parser(
        "findings", help="what the routines found: open findings, most severe first"
    )
    findings.add_argument("--stack", type=stack_name)
    findings.add_argument(
        "--severity", choices=SEVERITIES, help="at least this severe (high: high and critical)"
    )
    findings.add_argument("--closed", action="store_true", help="closed findings instead")
    findings.add_argument("--json", action="store_true")
    findings.set_defaults(func=cmd_findings)

    key = sub.add_parser(
        "init-approval-key",
        help="create the approval signing key (the key file, or the Secrets Manager secret "
        "AGENTS_APPROVAL_KEY_SECRET); never replaces one",
    )
    key.set_defaults(func=cmd_init_approval_key)

    audit = sub.add_parser("audit", help="filter the audit log")
    audit.add_argument("--stack", type=stack_name)
    audit.add_argument("--persona")
    audit.add_argument("--event")
    audit.add_argument("--since", type=iso_timestamp, help="ISO timestamp")
    audit.add_argument(
        "--limit", type=int_range(1, 100_000), default=50, help="last N records (1 to 100000)"
    )
    audit.add_argument("--json", action="store_true", help="JSON lines")
    audit.set_defaults(func=cmd_audit)
    from agents.cli.records import add_audit_commands, add_records_commands  # noqa: PLC0415

    add_audit_commands(audit)
    add_records_commands(sub)

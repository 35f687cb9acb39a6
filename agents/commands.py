"""The agents' sub-commands of `python -m agents`: `run`, `status`, `approve`, `reject`, `audit`."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from typing import TYPE_CHECKING, Any

from agents import InputError
from agents.audit import AuditLog

if TYPE_CHECKING:
    from agents.settings import AgentSettings

EXIT_OK, EXIT_VERDICT = 0, 1


def known_stacks() -> list[str]:
    from agents.plan import ROOT  # noqa: PLC0415

    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))


def _settings() -> AgentSettings:
    # Imported here: pydantic takes a while to load, and `plan` does not need it.
    from agents.settings import AgentSettings  # noqa: PLC0415

    try:
        return AgentSettings()
    except ValueError as exc:  # pydantic's ValidationError: name the variable, one line
        first = str(exc).splitlines()
        raise InputError(f"agent settings (AGENTS_* environment): {' '.join(first[1:3])}") from exc


def _cost_delta(settings: AgentSettings, gateway: Any) -> Any:
    """Monthly cost of the program as planned for the stack, minus that of the stack as it runs
    (its live export): the cost change a proposal would bring. None when it cannot be known."""

    def delta(stack: str, _preview: Any) -> float | None:
        try:
            from agents.cost import estimate, load_prices, load_usage  # noqa: PLC0415
            from agents.plan import run_plan  # noqa: PLC0415

            prices, usage = load_prices(), load_usage()
            planned = estimate(run_plan(stack).export, prices, usage)
            live = estimate(gateway.export(stack), prices, usage)
            return float(planned.total - live.total)
        except Exception:  # noqa: BLE001 - unknown cost is reported as unknown, not fatal
            return None

    return delta


def cmd_run(args: argparse.Namespace) -> int:
    # tabulate is imported where a table is printed: `python -m agents policy` never needs it
    # before it has started its packs.
    from tabulate import tabulate  # noqa: PLC0415

    from agents.gateway import AutomationGateway  # noqa: PLC0415
    from agents.locks import open_backend  # noqa: PLC0415
    from agents.personas import PersonaError, persona  # noqa: PLC0415
    from agents.runner import Agent, run_loop  # noqa: PLC0415

    try:
        who = persona(args.persona)
    except (KeyError, PersonaError) as exc:
        raise InputError(f"unknown persona {args.persona!r}") from exc
    stacks = [args.stack] if args.stack else list(who.stacks)
    for stack in stacks:
        if stack not in known_stacks():
            raise InputError(f"unknown stack {stack!r} (no Pulumi.{stack}.yaml)")
    settings = _settings()
    audit = AuditLog(settings.audit_log)
    gateway = AutomationGateway(settings, audit, audit_fields={"persona": who.name})
    agent = Agent(
        who,
        settings=settings,
        gateway=gateway,
        locks=open_backend(settings),
        audit=audit,
        cost_delta=_cost_delta(settings, gateway),
    )
    outcomes = run_loop(
        agent, stacks, once=args.once, interval_s=args.interval, approval=args.approval
    )
    rows = [
        [o.persona, o.stack, o.operation, o.status, o.approval or "", o.detail] for o in outcomes
    ]
    if args.json:
        print(json.dumps([o.__dict__ for o in outcomes], indent=2, default=str))
    else:
        print(
            tabulate(
                rows,
                headers=["persona", "stack", "operation", "status", "approval", "detail"],
                tablefmt="github",
                maxcolwidths=[None] * 5 + [70],
            )
        )
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_VERDICT


def cmd_status(args: argparse.Namespace) -> int:
    from tabulate import tabulate  # noqa: PLC0415 - see cmd_run

    from agents.approvals import ApprovalStore, pending  # noqa: PLC0415
    from agents.breakers import breaker_states  # noqa: PLC0415
    from agents.locks import open_backend  # noqa: PLC0415
    from agents.personas import load_personas  # noqa: PLC0415

    settings = _settings()
    locks = open_backend(settings)
    audit = AuditLog(settings.audit_log)
    stacks = known_stacks()
    status: dict[str, Any] = {
        "locks": [],
        "waiting": [],
        "cooldowns": [],
        "approvals": [],
        "breakers": breaker_states(settings.state_dir),
    }
    for stack in stacks:
        holder = locks.holder(stack)
        if holder:
            status["locks"].append(
                {
                    "stack": stack,
                    "persona": holder.persona,
                    "operation": holder.operation,
                    "token": holder.token,
                    "owner": holder.owner,
                    "expiresAt": holder.expires_at,
                }
            )
        status["waiting"] += [
            {"stack": stack, "persona": w.persona, "priority": w.priority}
            for w in locks.waiting(stack)
        ]
        for p in load_personas():
            for op in p.operations:
                left = locks.cooldown_remaining(p.name, stack, op)
                if left > 0:
                    status["cooldowns"].append(
                        {"stack": stack, "persona": p.name, "operation": op, "seconds": round(left)}
                    )
    store = ApprovalStore(settings.state_dir, audit, settings.approval_ttl_s)
    status["approvals"] = [
        {
            "id": r.id,
            "stack": r.proposal.get("stack"),
            "persona": r.proposal.get("persona"),
            "reasons": r.reasons,
            "expiresAt": r.expires_at,
        }
        for r in pending(store.all())
    ]
    if args.json:
        print(json.dumps(status, indent=2, default=str))
        return EXIT_OK
    for title, rows in status.items():
        print(f"{title}: {len(rows) or 'none'}")
        if rows:
            print(
                tabulate(
                    [list(r.values()) for r in rows],
                    headers=list(rows[0]),
                    tablefmt="github",
                    maxcolwidths=70,
                )
            )
    return EXIT_OK


def _decide(args: argparse.Namespace, approve: bool) -> int:
    from agents.approvals import ApprovalError, ApprovalStore  # noqa: PLC0415

    settings = _settings()
    store = ApprovalStore(settings.state_dir, AuditLog(settings.audit_log), settings.approval_ttl_s)
    by = args.by or getpass.getuser()
    try:
        record = store.decide(args.id, approve=approve, by=f"human:{by}", reason=args.reason)
    except ApprovalError as exc:
        raise InputError(str(exc)) from exc
    print(f"approval {record.id}: {record.status} by {record.decided_by}")
    return EXIT_OK


def cmd_audit(args: argparse.Namespace) -> int:
    from tabulate import tabulate  # noqa: PLC0415 - see cmd_run

    settings = _settings()
    records = AuditLog(settings.audit_log).query(
        {"stack": args.stack, "persona": args.persona, "event": args.event},
        since=args.since,
        limit=args.limit,
    )
    if args.json:
        for r in records:
            sys.stdout.write(json.dumps(r, default=str) + "\n")
        return EXIT_OK
    rows = [
        [
            r.get("ts", "")[:19],
            r.get("event"),
            r.get("stack", ""),
            r.get("persona", ""),
            r.get("operation", ""),
            r.get("token", ""),
            r.get("status") or r.get("decision") or r.get("verdict") or r.get("why") or "",
        ]
        for r in records
    ]
    print(
        tabulate(
            rows,
            headers=["time", "event", "stack", "persona", "operation", "token", "detail"],
            tablefmt="github",
            maxcolwidths=[None] * 6 + [60],
        )
    )
    return EXIT_OK


def cmd_init_lock_table(args: argparse.Namespace) -> int:
    from agents.locks.dynamodb import dynamodb_client, ensure_table  # noqa: PLC0415

    settings = _settings()
    client = dynamodb_client(settings.dynamodb_region, settings.dynamodb_endpoint_url)
    created = ensure_table(client, settings.dynamodb_table)
    print(
        f"lock table {settings.dynamodb_table} in {settings.dynamodb_region}: "
        f"{'created' if created else 'already there'}"
    )
    return EXIT_OK


def add_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a persona's routine on its stacks")
    run.add_argument("persona", help="persona name (agents/personas.yaml)")
    run.add_argument("--stack", help="one stack (default: every stack the persona may act on)")
    run.add_argument("--once", action="store_true", help="one pass, then exit")
    run.add_argument("--interval", type=float, default=300.0, help="seconds between passes")
    run.add_argument("--approval", help="an approval id to use for this change")
    run.add_argument("--json", action="store_true")
    run.set_defaults(func=cmd_run)

    status = sub.add_parser("status", help="locks, waiters, cooldowns, pending approvals, breakers")
    status.add_argument("--json", action="store_true")
    status.set_defaults(func=cmd_status)

    for name, approve in (("approve", True), ("reject", False)):
        p = sub.add_parser(name, help=f"{name} a pending change (a human's decision)")
        p.add_argument("id", help="approval id (see `status`)")
        p.add_argument("--by", help="who decides (default: the login name)")
        p.add_argument("--reason", default="", help="why, for the record")
        p.set_defaults(func=lambda a, approve=approve: _decide(a, approve))

    table = sub.add_parser(
        "init-lock-table", help="create the DynamoDB lock table (AGENTS_DYNAMODB_TABLE) if absent"
    )
    table.set_defaults(func=cmd_init_lock_table)

    audit = sub.add_parser("audit", help="filter the audit log")
    audit.add_argument("--stack")
    audit.add_argument("--persona")
    audit.add_argument("--event")
    audit.add_argument("--since", help="ISO timestamp")
    audit.add_argument("--limit", type=int, default=50)
    audit.add_argument("--json", action="store_true", help="JSON lines")
    audit.set_defaults(func=cmd_audit)

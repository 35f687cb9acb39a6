"""The agents' state at a glance (`python -m agents status`, the MCP server's `status` tool):
locks, waiters, cooldowns, pending approvals, breakers, damaged state files. Read-only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agents.protocol.settings import AgentSettings


def status_data(settings: AgentSettings) -> dict[str, Any]:
    """What `python -m agents status --json` prints (locks, waiters, cooldowns, pending approvals,
    breakers, damaged state files)."""
    from agents.protocol.approvals import pending  # noqa: PLC0415
    from agents.protocol.audit import AuditLog  # noqa: PLC0415
    from agents.protocol.backends import (  # noqa: PLC0415
        open_approvals,
        open_backend,
    )
    from agents.protocol.breakers import breaker_states  # noqa: PLC0415
    from agents.protocol.locks import LockError  # noqa: PLC0415
    from agents.protocol.state_files import all_damage  # noqa: PLC0415
    from baseline.personas import load_personas  # noqa: PLC0415
    from toolchain.plan import known_stacks  # noqa: PLC0415

    locks = open_backend(settings)
    stacks = known_stacks()
    status: dict[str, Any] = {
        "locks": [],
        "waiting": [],
        "cooldowns": [],
        "approvals": [],
        "breakers": breaker_states(settings.state_dir),
        "damaged": [d.__dict__ for d in all_damage(settings, locks, stacks)],
    }
    unreadable = {d["stack"] for d in status["damaged"] if d["kind"] == "lock-state"}
    for stack in stacks:
        if stack in unreadable:
            continue
        try:
            holder = locks.holder(stack)
            waiting = locks.waiting(stack)
            cooldowns = [
                (p.name, op, locks.cooldown_remaining(p.name, stack, op))
                for p in load_personas()
                for op in p.operations
            ]
        except LockError as exc:
            status["damaged"].append(
                {"stack": stack, "kind": "lock-state", "path": "", "why": str(exc)}
            )
            continue
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
            {"stack": stack, "persona": w.persona, "priority": w.priority} for w in waiting
        ]
        status["cooldowns"] += [
            {"stack": stack, "persona": name, "operation": op, "seconds": round(left)}
            for name, op, left in cooldowns
            if left > 0
        ]
    store = open_approvals(settings, AuditLog(settings.audit_log))
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
    status["auditSink"] = audit_sink_state(settings)
    from agents.protocol.notify import notify_status  # noqa: PLC0415

    status["notifications"] = notify_status(settings)
    return status


def audit_sink_state(settings: AgentSettings) -> dict[str, Any]:
    """Where the audit records go and how far behind the sink is; `refusing` says why mutating
    operations are refused now (None when they are not)."""
    from agents.protocol.audit_sink import lag, read_cursor, refusal  # noqa: PLC0415

    state: dict[str, Any] = {"sink": settings.audit_sink, "log": str(settings.audit_log)}
    if settings.audit_sink != "cloudwatch":
        return state
    cursor, problem = read_cursor(settings.state_dir, settings.audit_log)
    state.update(
        group=settings.audit_log_group,
        lag=lag(settings).to_json(),
        delivered=cursor.delivered,
        lastSuccess=cursor.last_success,
        lastError=cursor.last_error if problem is None else problem,
        maxLagS=settings.audit_max_lag_s,
        refusing=refusal(settings),
    )
    return state

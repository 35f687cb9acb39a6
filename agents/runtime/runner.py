"""The agent runner: one persona acting on one stack through the gateway, under the protocol.

For every operation, in this order (each step is a line of the audit log):

1. **Scope**: the persona must list the operation and the stack (`baseline/personas.yaml`);
   `destroy` is never run, and no persona lists it.
2. **Cooldown** for (persona, stack, operation), kept by the lock backend so it survives restarts.
3. **Circuit breaker** for (stack, operation): after repeated failures it refuses at once.
4. **Lease**: the stack's lock, waited for in persona priority order and kept alive by a
   `LeaseKeeper` while the operation runs. Every record of the operation is a `fenced_write`, so
   a holder whose lease expired is refused at the point of effect.
5. **Approval** (only `up` on a protected stack): the preview becomes a `Proposal`; an approval of
   exactly that proposal is consumed (one given with `--approval`, or one a human already
   approved), or the Master-Architect reviews it now; `needs-human` leaves it pending for
   `python -m agents approve ID`. The update then runs with the preview's fingerprint as
   `expect`, so the gateway refuses if the plan changed in between. `repair-drift`
   (agents.runtime.drift) is bound the same way to the drift it restores: an approval of exactly
   that drift on every stack, unless the stack is unprotected and `drift_auto_repair` is on.

A stop signal (SIGTERM/SIGINT, `agents.protocol.supervision`) during an operation cancels the
Pulumi CLI
(SIGINT to its group, SIGKILL after `AGENTS_CANCEL_GRACE_S`); the operation is recorded
`interrupted` (a fenced record and an `operation.interrupted` audit line, with the signal), the
outcome is `interrupted`, the lease is released, and `Interrupted` propagates so that the process
exits with 128 + the signal number. The signal never cuts a step in half: the whole of `perform`
is a shielded section, interrupted only where it waits (the lock queue) or starts and ends a CLI
command. An interrupted operation counts as a failure for the circuit breaker: the update may have
stopped half-way. Lease records name the holder's host and pid (`lock.acquired`, the
`operation` record), so whoever takes the stack over next can tell a dead holder from a live one.

Before any of that, failing closed (issue 9, `agents.protocol.state_files`): the state folder must
take a
real write (written, fsynced, deleted), or the operation is refused before it starts, so a full
disk or a read-only mount never stops an agent half-way through a change; and a stack whose state
files are damaged (lock, cooldowns, breakers, approvals) is refused with one line until
`python -m agents repair --stack S`.

`Agent.routine()` is what `python -m agents run PERSONA --stack S` does for each persona.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

import pybreaker

from agents import ToolchainError, unexpected_error
from agents.protocol import audit_sink
from agents.protocol.approvals import (
    ApprovalError,
    ApprovalStore,
    Change,
    Proposal,
    ReviewRules,
    review,
)
from agents.protocol.audit import AuditLog
from agents.protocol.backends import open_approvals
from agents.protocol.breakers import breaker
from agents.protocol.locks import (
    Lease,
    LockBackend,
    LockError,
    LockStoreError,
    LockTimeout,
    StaleLease,
    Waiter,
    new_owner,
)
from agents.protocol.locks.keeper import LeaseKeeper
from agents.protocol.reserve import retry_on_full
from agents.protocol.settings import AgentSettings
from agents.protocol.state_files import StateDirError, probe_state_dir, refusal, stack_damage
from agents.protocol.supervision import SUPERVISOR, Interrupted, Supervisor
from agents.runtime import telemetry
from agents.runtime.gateway import Gateway, GatewayError, PreviewResult
from baseline.personas import Persona, load_personas

REVIEWER = "master-architect"
# Operations that change what a stack is: they take the lease and write fenced records.
# `repair-drift` (agents.runtime.drift) is a refresh and an `up` of the drifted resources.
REPAIR = "repair-drift"
MUTATING = frozenset({"up", "refresh", REPAIR})

CostDelta = Callable[[str, PreviewResult], float | None]


@cache
def stack_is_protected(stack: str) -> bool:
    """A stack is protected when its config says `baseline:protected: true` (the declared
    default), or when it has no stack file here at all: unknown stacks are treated as protected."""
    from baseline.config import ConfigError, parse  # noqa: PLC0415
    from toolchain.plan import PlanError, read_stack_config, stack_config_file  # noqa: PLC0415

    try:
        return parse(read_stack_config(stack_config_file(stack)), stack).protected
    except (PlanError, ConfigError):
        return True


@dataclass
class Outcome:
    persona: str
    stack: str
    operation: str
    status: str  # done | refused | pending-approval | failed | interrupted
    detail: str = ""
    approval: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    # The operation's result object (an export, a drift result) for the routine that asked;
    # never printed or serialised (`to_json` leaves it out).
    result: Any = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "result"}

    @property
    def ok(self) -> bool:
        return self.status in ("done", "pending-approval")


class Agent:
    def __init__(
        self,
        persona: Persona,
        *,
        settings: AgentSettings,
        gateway: Gateway,
        locks: LockBackend,
        audit: AuditLog,
        approvals: ApprovalStore | None = None,
        cost_delta: CostDelta | None = None,
        protected: Callable[[str], bool] = stack_is_protected,
        supervisor: Supervisor = SUPERVISOR,
    ) -> None:
        self.supervisor = supervisor
        self.persona = persona
        self.settings = settings
        self.gateway = gateway
        self.locks = locks
        self.audit = audit
        self.approvals = approvals or open_approvals(settings, audit)
        self.cost_delta = cost_delta
        self.protected = protected
        self.owner = new_owner(persona.name)
        self._began = False  # the operation in flight wrote its `started` record

    # -- the protocol --------------------------------------------------------------------------
    def perform(self, stack: str, operation: str, *, approval: str | None = None) -> Outcome:
        with (
            telemetry.span(
                "agents.operation",
                persona=self.persona.name,
                stack=stack,
                operation=operation,
                approval_id=approval,
            ) as span,
            self.supervisor.shielded(),
        ):
            outcome = self._perform(stack, operation, approval=approval)
            span.set(status=outcome.status, approval_id=outcome.approval)
            if outcome.status in ("failed", "interrupted"):
                span.error(outcome.detail or outcome.status)
            return outcome

    def _perform(self, stack: str, operation: str, *, approval: str | None = None) -> Outcome:
        p = self.persona
        # Fail closed before anything starts: a state folder that cannot take a write (a full
        # disk, a read-only mount) refuses now, not after the infrastructure changed.
        try:
            probe_state_dir(self.settings.state_dir)
        except StateDirError as exc:
            with contextlib.suppress(OSError):  # the audit log is likely on the same disk
                self.audit.append(
                    "decision",
                    persona=p.name,
                    stack=stack,
                    operation=operation,
                    decision="refused",
                    why=str(exc),
                )
            return Outcome(p.name, stack, operation, "refused", str(exc))
        self.audit.append(
            "request",
            persona=p.name,
            stack=stack,
            operation=operation,
            owner=self.owner,
            approval=approval,
        )
        if operation == "destroy":
            return self._refuse(stack, operation, "no agent destroys a stack")
        if not self._may(operation, stack):
            return self._refuse(stack, operation, f"{p.name} may not {operation} stack {stack}")
        # Damaged state files (lock, cooldowns, breakers, approvals) refuse the stack until
        # `python -m agents repair --stack S` (agents.protocol.state_files).
        damage = stack_damage(self.settings, self.locks, stack)
        if damage:
            return self._refuse(stack, operation, refusal(stack, damage))
        # No change whose record cannot be kept: refused here, before a cooldown, an approval
        # or the breaker is spent on it (the gateway checks again just before the CLI runs).
        if operation in MUTATING and (behind := audit_sink.refusal(self.settings)):
            return self._refuse(stack, operation, f"{operation} refused: {behind}")
        try:
            remaining = self.locks.cooldown_remaining(p.name, stack, operation)
        except LockStoreError as exc:
            return self._refuse(stack, operation, str(exc))
        if remaining > 0:
            return self._refuse(stack, operation, f"cooling down: {remaining:.0f}s left")
        cb = breaker(
            self.settings.state_dir,
            stack,
            operation,
            fail_max=self.settings.breaker_fail_max,
            reset_s=self.settings.breaker_reset_s,
        )
        if cb.current_state == pybreaker.STATE_OPEN:
            return self._refuse(stack, operation, "circuit breaker open after repeated failures")
        try:
            lease = self.locks.acquire(
                stack,
                owner=self.owner,
                persona=p.name,
                operation=operation,
                priority=p.priority,
                ttl_s=self.settings.lease_ttl_s,
                wait_s=self.settings.lock_wait_s,
                on_queued=lambda w: self._queued(w, stack, operation),
            )
        except (LockTimeout, LockStoreError) as exc:  # waited too long; a backend that refuses
            return self._refuse(stack, operation, str(exc))
        telemetry.annotate(fencing_token=lease.token)
        self.audit.append(
            "lock.acquired",
            persona=p.name,
            stack=stack,
            operation=operation,
            token=lease.token,
            owner=self.owner,
            host=socket.gethostname(),
            pid=os.getpid(),
        )
        keeper = LeaseKeeper(self.locks, lease, self.settings.lease_ttl_s)
        interrupted: Interrupted | None = None
        self._began = False
        try:
            # Again under the lease: another process of this persona may have run it meanwhile.
            remaining = self.locks.cooldown_remaining(p.name, stack, operation)
            with keeper:
                if remaining > 0:
                    outcome = self._refuse(stack, operation, f"cooling down: {remaining:.0f}s left")
                elif operation in MUTATING and (alive := self._takeover(lease)):
                    outcome = self._refuse(stack, operation, alive)
                else:
                    outcome = self._run(stack, operation, keeper, cb, approval)
        except StaleLease as exc:
            outcome = Outcome(p.name, stack, operation, "failed", f"lease lost: {exc}")
        except Interrupted as exc:
            interrupted = exc
            outcome = Outcome(p.name, stack, operation, "interrupted", str(exc))
            # Before its `started` record (during `up`'s preview, say) nothing changed the
            # stack: the stack's last-change record must not claim an interrupted change.
            began = self._began
            try:
                self._record(
                    keeper,
                    operation,
                    "interrupted",
                    key=None if began else f"last.{operation}",
                    signal=exc.signal_name,
                    phase="running" if began else "before-start",
                )
            except StaleLease as lost:  # lapsed meanwhile: the outcome line below still says it
                outcome.detail += f"; lease lost: {lost}"
        finally:
            self.locks.release(keeper.lease)
            self.audit.append(
                "lock.released", persona=p.name, stack=stack, token=lease.token, owner=self.owner
            )
        self.audit.append(
            "outcome",
            persona=p.name,
            stack=stack,
            operation=operation,
            status=outcome.status,
            detail=outcome.detail,
            token=lease.token,
            approval=outcome.approval,
        )
        if interrupted is not None:
            raise interrupted
        return outcome

    def _takeover(self, lease: Lease) -> str | None:
        """After taking a stack whose last change never finished (its holder died, or stalled
        past its lease): record the takeover, and refuse (the reason) while that holder's
        process is known alive on this host, since its Pulumi CLI may still be changing the
        stack. A holder on another host is judged by its lease alone: its CLI, if it still runs,
        holds the Pulumi backend's own stack lock, so any change from here fails as `StackBusy`
        and changes nothing."""
        record = self.locks.read_record(lease.stack, "operation")
        value = record.value if record is not None and isinstance(record.value, dict) else {}
        token = value.get("token")
        if value.get("status") != "started" or not isinstance(token, int) or token >= lease.token:
            return None
        host, pid = value.get("host"), value.get("pid")
        alive = host == socket.gethostname() and isinstance(pid, int) and _alive(pid)
        self.audit.append(
            "lease.takeover",
            stack=lease.stack,
            token=lease.token,
            previous_owner=value.get("owner"),
            previous_token=token,
            previous_host=host,
            previous_pid=pid,
            previous_alive=alive,
        )
        if alive:
            return (
                f"the last change (token {token}) never finished and its agent (pid {pid} on "
                "this host) is still alive: refused until it exits"
            )
        return None

    def _queued(self, waiter: Waiter, stack: str, operation: str) -> None:
        self.audit.append(
            "lock.queued",
            persona=self.persona.name,
            stack=stack,
            operation=operation,
            priority=waiter.priority,
            request=waiter.request_id,
            owner=self.owner,
        )

    def _refuse(self, stack: str, operation: str, why: str) -> Outcome:
        self.audit.append(
            "decision",
            persona=self.persona.name,
            stack=stack,
            operation=operation,
            decision="refused",
            why=why,
        )
        return Outcome(self.persona.name, stack, operation, "refused", why)

    def _record(
        self,
        keeper: LeaseKeeper,
        operation: str,
        status: str,
        *,
        key: str | None = None,
        **fields: Any,
    ) -> None:
        """The operation's record in the stack's fenced store, and its audit line."""
        lease: Lease = keeper.lease
        # `operation` holds the last change to the stack (what the watchdog inspects); reads
        # keep their own record.
        if key is None:
            key = "operation" if operation in MUTATING else f"last.{operation}"
        if status == "started":
            self._began = True
        record = {
            "persona": self.persona.name,
            "operation": operation,
            "status": status,
            "token": lease.token,
            "owner": self.owner,
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "at": time.time(),
            **fields,
        }
        retry_on_full(self.settings.state_dir, lambda: self.locks.fenced_write(lease, key, record))
        self.audit.append(
            f"operation.{status}",
            persona=self.persona.name,
            stack=lease.stack,
            operation=operation,
            token=lease.token,
            **fields,
        )
        # The cooldown starts when the operation does, so a failing one cools down too (the
        # breaker stops a storm of them); one that never ran (awaiting approval) does not.
        cooldowns = self.persona.cooldowns
        # A repair is an `up`: it cools down as long.
        base = cooldowns.get(operation, cooldowns.get("up", 0) if operation == REPAIR else 0)
        seconds = base * self.settings.cooldown_scale
        if status == "started" and seconds:
            self.locks.start_cooldown(self.persona.name, lease.stack, operation, seconds)

    def _run(
        self,
        stack: str,
        operation: str,
        keeper: LeaseKeeper,
        cb: pybreaker.CircuitBreaker,
        approval: str | None,
    ) -> Outcome:
        p = self.persona.name
        if operation == "up":
            return self._up(stack, keeper, cb, approval)
        if operation == REPAIR:
            return self._repair(stack, keeper, cb, approval)
        call: dict[str, Callable[[], Any]] = {
            "preview": lambda: self.gateway.preview(stack),
            "refresh": lambda: self.gateway.refresh(stack),
            "drift-check": lambda: self.gateway.drift_check(stack),
            "outputs": lambda: self.gateway.outputs(stack),
            "export": lambda: self.gateway.export(stack),
        }
        if operation not in call:
            return Outcome(p, stack, operation, "refused", f"unknown operation {operation}")
        self._record(keeper, operation, "started")
        try:
            result = cb.call(call[operation])
        except (GatewayError, pybreaker.CircuitBreakerError) as exc:
            self._record(keeper, operation, "failed", error=str(exc).splitlines()[-1][:300])
            return Outcome(p, stack, operation, "failed", str(exc).splitlines()[-1])
        data: dict[str, Any] = {}
        if operation == "drift-check":
            data = {"drifted": result.drifted, "steps": [[s.op, s.urn] for s in result.steps]}
            if result.drifted:
                self.audit.append(
                    "drift.detected",
                    persona=p,
                    stack=stack,
                    resources=[s.urn for s in result.steps][:50],
                )
        elif operation in ("preview", "refresh"):
            data = {"changes": dict(result.changes)}
        self._record(
            keeper, operation, "succeeded", **{k: v for k, v in data.items() if k != "steps"}
        )
        return Outcome(p, stack, operation, "done", "", data=data, result=result)

    def proposal(self, stack: str, preview: PreviewResult) -> Proposal:
        delta = self.cost_delta(stack, preview) if self.cost_delta else None
        return Proposal(
            stack=stack,
            persona=self.persona.name,
            operation="up",
            changes=tuple(
                Change(s.op, s.urn, s.type, tuple(s.diffs), s.inputs_digest) for s in preview.steps
            ),
            summary=dict(preview.changes),
            violations=tuple(
                {
                    "policyPack": v.pack,
                    "policyName": v.policy,
                    "urn": v.urn,
                    "enforcementLevel": v.level,
                }
                for v in preview.violations
            ),
            cost_delta_usd=delta,
        )

    def _up(
        self, stack: str, keeper: LeaseKeeper, cb: pybreaker.CircuitBreaker, approval: str | None
    ) -> Outcome:
        p = self.persona.name
        # The preview is not the update: its success must not reset the update's breaker.
        try:
            preview = self.gateway.preview(stack)
        except GatewayError as exc:
            return Outcome(p, stack, "up", "failed", f"preview: {str(exc).splitlines()[-1]}")
        if not preview.has_changes:
            return Outcome(p, stack, "up", "done", "no changes", data={"changes": {}})
        used: str | None = None
        # An approval given is always checked and used, protected stack or not: a user who
        # passes one expects it to be the change that runs (issue 9: never silently ignored).
        if self.protected(stack) or approval is not None:
            proposal = self.proposal(stack, preview)
            try:
                used = self._approval_for(proposal, approval)
            except ApprovalError as exc:
                return Outcome(p, stack, "up", "refused", str(exc), approval=approval)
            if used is None or used.startswith("pending:") or used.startswith("rejected:"):
                status, _, rid = (used or "rejected:").partition(":")
                return Outcome(
                    p,
                    stack,
                    "up",
                    "pending-approval" if status == "pending" else "refused",
                    f"approval {rid} is {status}",
                    approval=rid,
                )
        self._record(keeper, "up", "started", expect=preview.fingerprint, approval=used)
        try:
            result = cb.call(self.gateway.up, stack, expect=preview.fingerprint)
        except (GatewayError, pybreaker.CircuitBreakerError) as exc:
            self._record(keeper, "up", "failed", error=str(exc).splitlines()[-1][:300])
            return Outcome(p, stack, "up", "failed", str(exc).splitlines()[-1], approval=used)
        self._record(keeper, "up", "succeeded", changes=dict(result.changes), approval=used)
        return Outcome(
            p, stack, "up", "done", "", approval=used, data={"changes": dict(result.changes)}
        )

    def _may(self, operation: str, stack: str) -> bool:
        """The persona's scope; a drift repair needs both of its operations, refresh and up."""
        if operation == REPAIR:
            return self.persona.can("refresh", stack) and self.persona.can("up", stack)
        return self.persona.can(operation, stack)

    def _repair(
        self, stack: str, keeper: LeaseKeeper, cb: pybreaker.CircuitBreaker, approval: str | None
    ) -> Outcome:
        """Restore the declared state of the stack's drifted resources (agents.runtime.drift):
        check the drift again, bind it to an approval (or, on an unprotected stack with
        `drift_auto_repair`, to nothing: audited), then refresh, preview and `up` exactly the
        drifted resources. Each refusal before the refresh is a `drift.repair-refused` line and
        changes nothing."""
        from agents.runtime import drift  # noqa: PLC0415

        p = self.persona.name

        def refuse(why: str, **fields: Any) -> Outcome:
            self.audit.append(
                "drift.repair-refused", persona=p, stack=stack, approval=approval, why=why, **fields
            )
            return Outcome(p, stack, REPAIR, "refused", why, approval=approval)

        try:
            found = self.gateway.drift_check(stack)
            plan = drift.classify(found, drift.load_exceptions(stack))
        except (GatewayError, drift.DriftConfigError) as exc:
            return refuse(f"the drift could not be read: {str(exc).splitlines()[-1][:300]}")
        if plan.unreadable:
            return refuse("the drift's details cannot be read: " + "; ".join(plan.unreadable))
        if not plan.repairable:
            return Outcome(p, stack, REPAIR, "done", "no drift to repair", data={"resources": []})
        proposal = drift.repair_proposal(stack, plan.repairable)
        targets = list(plan.urns)
        used: str | None = None
        if self.protected(stack) or approval is not None or not self.settings.drift_auto_repair:
            try:
                used = self._repair_approval(proposal, approval)
            except ApprovalError as exc:
                return refuse(str(exc), digest=proposal.digest, resources=targets)
            if used is None:
                return refuse(
                    "no approval of this drift's repair (the reliability engineer's pass "
                    "requests one: `python -m agents approve ID`)",
                    digest=proposal.digest,
                    resources=targets,
                )
        else:
            self.audit.append(
                "drift.repair-auto",
                persona=p,
                stack=stack,
                digest=proposal.digest,
                resources=targets,
                why="AGENTS_DRIFT_AUTO_REPAIR on an unprotected stack: no approval needed",
            )
        self._record(
            keeper, REPAIR, "started", approval=used, digest=proposal.digest, resources=targets
        )

        def apply() -> tuple[PreviewResult, Any]:
            self.gateway.refresh(stack, targets=targets)
            restore = self.gateway.preview(stack, targets=targets)
            extra = drift.beyond(targets, restore.steps)
            if extra:
                raise drift.RepairOutOfScope(
                    f"the restore plan also changes {', '.join(extra[:5])}, which did not "
                    "drift: not applied (a release, not a repair)",
                    stack=stack,
                    operation=REPAIR,
                )
            if not restore.has_changes:
                return restore, None
            return restore, self.gateway.up(stack, targets=targets, expect=restore.fingerprint)

        try:
            restore, result = cb.call(apply)
        except (GatewayError, pybreaker.CircuitBreakerError) as exc:
            line = str(exc).splitlines()[-1]
            self._record(keeper, REPAIR, "failed", error=line[:300], approval=used)
            return Outcome(p, stack, REPAIR, "failed", line, approval=used)
        changes = dict(result.changes) if result is not None else {}
        self._record(
            keeper, REPAIR, "succeeded", approval=used, changes=changes, plan=restore.fingerprint
        )
        return Outcome(
            p,
            stack,
            REPAIR,
            "done",
            f"restored {len(targets)} drifted resource(s)",
            approval=used,
            data={"resources": targets, "changes": changes, "plan": restore.fingerprint},
        )

    def _repair_approval(self, proposal: Proposal, given: str | None) -> str | None:
        """The approval consumed for this repair: the one given (checked, never ignored), else
        an approved, unexpired one of exactly this drift; None when there is none."""
        if given:
            self.approvals.consume(given, proposal)
            return given
        for record in self.approvals.all():
            if (
                record.status != "approved"
                or record.digest != proposal.digest
                or record.expired
                or record.proposal.get("persona") != proposal.persona
            ):
                continue
            try:
                self.approvals.consume(record.id, proposal)
            except ApprovalError:
                continue
            return record.id
        return None

    def _approval_for(self, proposal: Proposal, given: str | None) -> str | None:
        """The id of the approval consumed for this proposal, or `pending:<id>` /
        `rejected:<id>` when none can be used yet."""
        if given:
            self.approvals.consume(given, proposal)
            return given
        # One request per proposal: an approved one is used, a pending or rejected one stands
        # (no new request for a plan a human already has in front of them, or turned down).
        for record in self.approvals.all():
            if (
                record.digest != proposal.digest
                or record.expired
                or record.proposal.get("persona") != proposal.persona
            ):
                continue
            if record.status == "approved":
                try:
                    self.approvals.consume(record.id, proposal)
                except ApprovalError:
                    continue
                return record.id
            if record.status in ("pending", "rejected"):
                return f"{record.status}:{record.id}"
        reviewer = next(x for x in load_personas() if x.name == REVIEWER)
        scope = [(s, op) for s in self.persona.stacks for op in self.persona.operations]
        verdict = review(proposal, ReviewRules(self.settings.max_cost_delta_usd), scope)
        record = self.approvals.submit(proposal, verdict, reviewer=reviewer.name)
        if record.status == "approved":
            self.approvals.consume(record.id, proposal)
            return record.id
        return f"{record.status}:{record.id}"

    # -- routines ------------------------------------------------------------------------------
    def routine(self, stack: str, approval: str | None = None) -> list[Outcome]:
        """One pass of the persona's job on a stack."""
        name = self.persona.name
        if name == "release-engineer":
            return [self.perform(stack, "up", approval=approval)]
        if name == "reliability-engineer":
            return self.watchdog(stack)
        if name == "security-auditor":
            return [self.perform(stack, "preview"), self.perform(stack, "drift-check")]
        return [self.perform(stack, "preview")]

    def watchdog(self, stack: str) -> list[Outcome]:
        """Drift check, stale locks, failed operations (the reliability engineer's pass)."""
        from agents.protocol.breakers import breaker_states  # noqa: PLC0415

        record = self.locks.read_record(stack, "operation")
        holder = self.locks.holder(stack)
        outcomes = [self.perform(stack, "drift-check")]
        if record is not None:
            value = record.value if isinstance(record.value, dict) else {}
            if value.get("status") in ("started", "interrupted") and holder is None:
                self.audit.append(
                    "watchdog.interrupted",
                    stack=stack,
                    operation=value.get("operation"),
                    persona=value.get("persona"),
                    token=value.get("token"),
                )
                outcomes.append(
                    Outcome(
                        self.persona.name,
                        stack,
                        "watchdog",
                        "done",
                        f"interrupted {value.get('operation')} by "
                        f"{value.get('persona')} (token {value.get('token')})",
                    )
                )
            if value.get("status") == "failed":
                self.audit.append(
                    "watchdog.failed-operation",
                    stack=stack,
                    operation=value.get("operation"),
                    error=value.get("error"),
                )
        for state in breaker_states(self.settings.state_dir):
            if state["stack"] == stack and state["state"] != "closed":
                self.audit.append("watchdog.breaker", **state)
        return outcomes


def _alive(pid: int) -> bool:
    """Whether a process of this host is alive (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[-1].split()[0] != "Z"
    except OSError:
        return True


class Heartbeat(Protocol):
    """What `run_loop` tells about itself as it goes (`agents.runtime.health.LoopHealth`
    listens)."""

    def pass_started(self, stack: str) -> None: ...

    def pass_finished(self, stack: str) -> None: ...

    def sleeping(self, seconds: float) -> None: ...


def run_loop(
    agent: Agent,
    stacks: Iterable[str],
    *,
    once: bool,
    interval_s: float,
    max_backoff_s: float = 3600.0,
    sleep: Callable[[float], None] = time.sleep,
    approval: str | None = None,
    routine: Callable[[str, str | None], list[Outcome]] | None = None,
    heartbeat: Heartbeat | None = None,
) -> list[Outcome]:
    """Run the persona's routine over its stacks (`routine`, default `agent.routine`; the
    command line passes `agents.routines.Routines(agent).run`): once, or forever with
    `interval_s` between passes, doubling the pause after a pass with a failure (up to
    `max_backoff_s`). Each pass (one stack) is an `agents.pass` span, and `heartbeat` hears of
    its start and end and of every pause.

    A looping agent outlives a state folder that turns read-only or full: the pass fails (every
    operation is refused before it starts, by the runner's probe), the loop backs off and tries
    again, and `/readyz` says why. With `once`, such an error ends the command (exit 1)."""
    one_pass = routine or (lambda stack, approval: agent.routine(stack, approval=approval))
    persona = agent.persona.name
    pause = interval_s
    while True:
        outcomes: list[Outcome] = []
        for stack in stacks:
            if heartbeat is not None:
                heartbeat.pass_started(stack)
            with telemetry.span("agents.pass", persona=persona, stack=stack) as span:
                try:
                    found = one_pass(stack, approval)
                except Exception as exc:  # a pass's failure never ends the loop
                    if once and isinstance(exc, OSError):
                        raise
                    # a refusal says why; any other error (a bug, a value of an unexpected
                    # shape) is named by its type: recorded, and the loop backs off and goes on
                    known = isinstance(exc, LockError | ToolchainError | OSError)
                    error = str(exc) if known else unexpected_error(exc)
                    span.error(exc)
                    with contextlib.suppress(OSError):  # the audit log may be what failed
                        agent.audit.append(
                            "routine.error", persona=persona, stack=stack, error=error
                        )
                    found = [Outcome(persona, stack, "routine", "failed", error)]
                else:
                    failed = sum(o.status == "failed" for o in found)
                    span.set(outcomes=len(found), failed=failed)
                    if failed:
                        span.error(f"{failed} of {len(found)} outcome(s) failed")
            outcomes += found
            if heartbeat is not None:
                heartbeat.pass_finished(stack)
        if once:
            return outcomes
        failed_any = any(o.status == "failed" for o in outcomes)
        pause = min(pause * 2, max_backoff_s) if failed_any else interval_s
        if heartbeat is not None:
            heartbeat.sleeping(pause)
        with contextlib.suppress(OSError):  # a line of the loop's own, not an operation's record
            agent.audit.append("routine.sleep", persona=persona, seconds=pause)
        sleep(pause)

"""What each persona does in one pass (`python -m agents run PERSONA --once`), and the findings
it leaves behind.

Every pass goes through the runner's protocol for what touches a stack (`Agent.perform`: scope,
cooldown, breaker, lease, audit), then turns what it saw into `Finding`s. The pass's findings go
to the findings store the settings choose (`open_findings`; `observe`: a finding seen again is
updated, one no longer seen is closed, only for the kinds this pass checked), each new or closed
finding to the audit log (`finding.opened` / `finding.closed`), and each new one to memory (so
`search-memory` finds it).

A check that cannot be made (access denied, a service that does not answer) is a finding of its
own, `<check>.unchecked` (high): fail closed, never "all good". Its kinds are then not counted as
checked, so their open findings stay open.

What each persona does (`ROUTINES`):

- release-engineer: an approved drift repair (`repair-drift`: refresh, then `up`, of the
  drifted resources), else `up` (with the approval flow on protected stacks); no findings.
- reliability-engineer: the watchdog (drift check, interrupted and failed operations, open
  breakers) and the stack's alarms; drift becomes a repair proposal for approval (declared
  exceptions are recorded, not repaired; agents.runtime.drift).
- security-auditor: preview, drift check, the policy gate on the live export, CloudTrail's
  sensitive events.
- cost-optimizer: preview, the estimate of the live export against the stack's budget, Cost
  Explorer's spend and anomalies; right-sizing proposals go to the master-architect as findings
  (`proposal.*`), never applied.
- observability-engineer: preview, alarms, and `analyze-logs` over the stack's log groups for the
  last interval: error clusters new since the last pass, or growing.
- data-steward: preview, backups (retention, encryption, the DR copy actually present), and the
  restore drill when `AGENTS_RESTORE_DRILL=true`.
- master-architect: preview (it reviews proposals inside the runner).

AWS calls go to the stack's region (`baseline:region` of its stack file; the DR region for the
backup copy), with the agent's own credentials.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents import AgentsError, ToolchainError, unexpected_error
from agents.protocol import audit_sink
from agents.protocol.findings import Finding, FindingStore, PassResult, most_severe_first

if TYPE_CHECKING:
    from agents.protocol.findings import FindingRecords
    from agents.runtime.drift import DriftPlan
    from agents.runtime.gateway import DriftResult
    from agents.runtime.runner import Agent, Outcome
    from toolchain.export import StackExport

Aws = Callable[[str, str | None], Any]
# What a drift check checks (the reliability engineer's pass): its findings close only when a
# drift check actually ran and no longer sees them.
DRIFT_KINDS = frozenset(
    {
        "drift.detected",
        "drift.unchecked",
        "drift.excepted",
        "drift.unreadable",
        "drift.exceptions-invalid",
    }
)
# A pass explains at most this many of its new findings (each one a few thousand tokens sent to
# the model); the rest wait for `python -m agents investigate ID`.
INVESTIGATIONS_PER_PASS = 2


@dataclass
class Pass:
    """One pass on one stack: what ran, what was found, which kinds were checked."""

    persona: str
    stack: str
    outcomes: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)

    def found(
        self,
        kind: str,
        severity: str,
        resource: str,
        summary: str,
        *,
        evidence: dict[str, Any] | None = None,
        action: str = "",
    ) -> None:
        self.findings.append(
            Finding(
                kind=kind,
                severity=severity,
                stack=self.stack,
                resource=resource,
                summary=summary,
                evidence=evidence or {},
                proposed_action=action,
                persona=self.persona,
            )
        )

    def check(self, name: str, kinds: Iterable[str], run: Callable[[], Iterable[Finding]]) -> None:
        """Run one check; its findings count, its `kinds` are checked. A check that fails is
        the finding `<name>.unchecked` and checks nothing (fail closed): a refusal with its
        reason, or any other error (a value of a shape the check did not expect, a bug) named by
        its type, so that one check's failure neither passes for a clean check nor ends the
        agent's loop."""
        try:
            found = list(run())
        except Exception as exc:  # noqa: BLE001 - see the docstring
            why = str(exc) if isinstance(exc, ToolchainError) else unexpected_error(exc)
            self.found(
                f"{name}.unchecked",
                "high",
                self.stack,
                f"{name} could not be checked: {why}",
                action="restore the agent's access, then re-run the pass",
            )
            return
        self.checked.update(kinds)
        self.checked.add(f"{name}.unchecked")
        self.findings += found


@dataclass(frozen=True)
class StackFacts:
    """What the checks need to know about a stack: from its stack file (regions, budget) and
    its export (the names of its database, log groups and alarms)."""

    region: str
    dr_region: str | None
    monthly_budget_usd: float
    databases: tuple[str, ...]
    log_groups: tuple[str, ...]
    alarms: tuple[str, ...]

    @classmethod
    def of(cls, stack: str, export: StackExport | None) -> StackFacts:
        from baseline.config import parse  # noqa: PLC0415
        from toolchain.plan import read_stack_config, stack_config_file  # noqa: PLC0415

        config = parse(read_stack_config(stack_config_file(stack)), stack)

        def names(type_token: str, key: str) -> tuple[str, ...]:
            if export is None:
                return ()
            found = []
            for r in export.of_type(type_token):
                value = r.outputs.get(key) or r.inputs.get(key)
                if isinstance(value, str) and value:
                    found.append(value)
            return tuple(sorted(set(found)))

        return cls(
            region=config.region,
            # The DR copy is checked only where the stack makes one.
            dr_region=config.dr_region if config.db_replicate_backups_to_dr else None,
            monthly_budget_usd=float(config.monthly_budget_usd),
            databases=names("aws:rds/instance:Instance", "identifier"),
            log_groups=names("aws:cloudwatch/logGroup:LogGroup", "name"),
            alarms=names("aws:cloudwatch/metricAlarm:MetricAlarm", "name"),
        )


class Routines:
    def __init__(
        self,
        agent: Agent,
        *,
        aws: Aws | None = None,
        findings: Path | None = None,
        memory: Path | None = None,
        restore_drill: bool = False,
        interval_s: float = 300.0,
    ) -> None:
        self.agent = agent
        self.persona = agent.persona.name
        self.findings_path = findings  # None: the store the settings choose (open_findings)
        self.memory_path = memory  # None: the store the settings choose (open_memory)
        self.restore_drill = restore_drill
        self.interval_s = interval_s
        self._aws = aws

    def aws(self, service: str, region: str | None) -> Any:
        if self._aws is not None:
            return self._aws(service, region)
        import boto3  # noqa: PLC0415 - slow to import; only passes with AWS checks need it

        return boto3.client(service, region_name=region)

    # -- one pass ---------------------------------------------------------------------------
    def run(self, stack: str, approval: str | None = None) -> list[Outcome]:
        from agents.runtime.runner import Outcome  # noqa: PLC0415

        work = Pass(self.persona, stack)
        handler = ROUTINES.get(self.persona, Routines.preview_only)
        handler(self, work, approval)
        if not work.checked and not work.findings:
            return work.outcomes
        with self.findings_store() as store:
            result = store.observe(self.persona, stack, work.checked, work.findings)
        self._record(result, store.source)
        # After the findings' transaction: people hear of what opened, rose or closed (never
        # raises; a failed publish waits in the ledger for the next pass).
        from agents.protocol.notify import notify_pass  # noqa: PLC0415

        notified = notify_pass(
            self.agent.settings, self.persona, stack, result, self.agent.audit, source=store.source
        )
        open_now = len(result.opened) + len(result.updated)
        message = f"{open_now} open ({len(result.opened)} new, {len(result.closed)} closed)"
        data: dict[str, Any] = {
            "opened": [f.to_json() for f in result.opened],
            "closed": [f.id for f in result.closed],
        }
        if notified.enabled:
            message += f"; {notified.line()}"
            data["notifications"] = notified.to_json()
        investigated = self._investigate(result)
        if investigated:
            done = sum(1 for i in investigated if i.get("status") == "concluded")
            message += f"; investigated {len(investigated)} ({done} concluded)"
            data["investigations"] = investigated
        work.outcomes.append(Outcome(self.persona, stack, "findings", "done", message, data=data))
        return work.outcomes

    def _investigate(self, result: PassResult) -> list[dict[str, Any]]:
        """With an LLM provider configured: the pass's new high and critical findings, each
        explained by the investigator (read-only skills as tools, under its token budget), at
        most `INVESTIGATIONS_PER_PASS` of them, most severe first. Its proposal goes to review
        like any other; nothing here can change a stack. A failure never fails the pass: it is
        the investigation's own record (`investigation.failed`) or `investigation.error`."""
        settings = self.agent.settings
        if settings.investigate_provider is None:
            return []
        new = [
            f
            for f in most_severe_first(result.opened)
            if f.finding.severity in ("critical", "high")
            and not f.finding.kind.startswith("proposal.")
        ][:INVESTIGATIONS_PER_PASS]
        if not new:
            return []
        from agents.skills import investigate as inv  # noqa: PLC0415
        from agents.skills.registry import SkillContext  # noqa: PLC0415

        done: list[dict[str, Any]] = []
        for found in new:
            try:
                provider = inv.provider_from_settings(settings)
                toolbox = inv.Toolbox(
                    inv.read_only_skills(settings.investigate_tools),
                    SkillContext(settings, persona=self.persona),
                )
                out = inv.investigate(
                    inv.stored_subject(found),
                    provider,
                    toolbox,
                    inv.Limits.of(settings),
                    self.agent.audit,
                )
                inv.record_conclusion(out, settings, self.agent.audit)
                done.append(
                    {
                        "finding": found.id,
                        "investigation": out.id,
                        "status": out.status,
                        "reason": out.reason,
                        "proposal": out.proposal,
                        "tokens": out.spent,
                    }
                )
            except Exception as exc:  # noqa: BLE001 - an investigation never fails the pass
                self.agent.audit.append(
                    "investigation.error",
                    persona=self.persona,
                    stack=found.finding.stack,
                    finding=found.id,
                    error=f"{type(exc).__name__}: {exc}"[:500],
                )
                done.append({"finding": found.id, "status": "error", "reason": str(exc)[:200]})
        return done

    def findings_store(self) -> FindingRecords:
        """The SQLite file given as `findings` (tests), else the store the settings choose."""
        if self.findings_path is not None:
            return FindingStore(self.findings_path)
        from agents.protocol.backends import open_findings  # noqa: PLC0415

        return open_findings(self.agent.settings)

    def _record(self, result: PassResult, source: str) -> None:
        audit = self.agent.audit
        for f in result.opened:
            audit.append(
                "finding.opened",
                id=f.id,
                persona=self.persona,
                stack=f.finding.stack,
                kind=f.finding.kind,
                severity=f.finding.severity,
                resource=f.finding.resource,
                summary=f.finding.summary,
            )
        for f in result.closed:
            audit.append(
                "finding.closed",
                id=f.id,
                persona=self.persona,
                stack=f.finding.stack,
                kind=f.finding.kind,
                resource=f.finding.resource,
            )
        if not result.opened:
            return
        from agents.skills.memory_postgres import open_memory  # noqa: PLC0415

        # Memory is a convenience for search; losing it must not lose the pass.
        with (
            contextlib.suppress(AgentsError),
            open_memory(self.agent.settings, path=self.memory_path) as memory,
        ):
            for f in result.opened:
                memory.add(
                    "finding",
                    f"{f.finding.summary}. {f.finding.proposed_action}".strip(),
                    source=f"{source}#{f.id}",
                    time=f.first_seen,
                    stack=f.finding.stack,
                    persona=self.persona,
                    title=f"{f.finding.kind} {f.finding.resource}",
                )

    # -- the persona's jobs -------------------------------------------------------------------
    def preview_only(self, work: Pass, _approval: str | None) -> None:
        work.outcomes.append(self.agent.perform(work.stack, "preview"))

    def release(self, work: Pass, approval: str | None) -> None:
        """An approved drift repair first (one change per pass: the `up` waits for the next),
        else `up`."""
        repairs = self._repairs(work, approval)
        if repairs:
            work.outcomes += repairs
            return
        work.outcomes.append(self.agent.perform(work.stack, "up", approval=approval))

    def _repairs(self, work: Pass, approval: str | None) -> list[Outcome]:
        """The drift repair this pass applies (agents.runtime.drift), if any: the one whose
        approval was given; else the newest approved, unexpired repair of the stack; else, with
        `drift_auto_repair` on an unprotected stack, the open drift. An approved repair that
        expired unused is refused once, on the audit log, and never applied."""
        from agents.protocol.approvals import ApprovalError, UnknownApproval  # noqa: PLC0415
        from agents.runtime.drift import REPAIR  # noqa: PLC0415
        from agents.runtime.runner import Outcome  # noqa: PLC0415

        store, stack, audit = self.agent.approvals, work.stack, self.agent.audit
        if approval is not None:
            try:
                given = store.load(approval, on_record=False)
            except (ApprovalError, UnknownApproval):
                return []  # `up` refuses it, with the reason
            if given.proposal.get("operation") != REPAIR:
                return []
            return [self.agent.perform(stack, REPAIR, approval=approval)]
        try:
            records = store.all()
        except AgentsError:
            return []  # the approvals cannot be read: nothing is repaired; `up` says why
        approved = sorted(
            (
                r
                for r in records
                if r.status == "approved"
                and r.proposal.get("operation") == REPAIR
                and r.proposal.get("stack") == stack
                and r.proposal.get("persona") == self.persona
            ),
            key=lambda r: r.requested_at,
            reverse=True,
        )
        fresh = [r for r in approved if not r.expired]
        if fresh:
            return [self.agent.perform(stack, REPAIR, approval=fresh[0].id)]
        refused = []
        noted = (
            {
                r.get("approval")
                for r in audit.records()
                if r.get("event") == "drift.repair-refused" and r.get("expired")
            }
            if approved
            else set()
        )
        for r in approved:
            if r.id in noted:
                continue
            why = f"approval {r.id} of a drift repair expired at {r.expires_at}, unused"
            audit.append(
                "drift.repair-refused",
                persona=self.persona,
                stack=stack,
                approval=r.id,
                why=why,
                expired=True,
            )
            refused.append(Outcome(self.persona, stack, REPAIR, "refused", why, approval=r.id))
        if refused:
            return refused
        settings = self.agent.settings
        if settings.drift_auto_repair and not self.agent.protected(stack):
            with self.findings_store() as findings:
                drifted = [
                    f for f in findings.query(stack=stack) if f.finding.kind == "drift.detected"
                ]
            if drifted:
                return [self.agent.perform(stack, REPAIR)]
        return []

    def _export(self, work: Pass) -> StackExport | None:
        """The stack's live export, through the protocol. Its cooldown (an export is a full read
        of the state) usually outlasts a pass interval, so the last export read is kept in
        `<state_dir>/exports/<stack>.json` (0600; the gateway has redacted its secrets) and used
        while the cooldown holds; None when there has never been one."""
        from toolchain.export import load_export  # noqa: PLC0415
        from toolchain.inputs import write_atomic  # noqa: PLC0415

        out = self.agent.perform(work.stack, "export")
        work.outcomes.append(out)
        cache = self.agent.settings.state_dir / "exports" / f"{work.stack}.json"
        if out.status == "done" and out.result is not None:
            cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            write_atomic(cache, json.dumps(out.result.data))
            cache.chmod(0o600)
            return out.result
        if cache.exists():
            out.detail += f"; using the export read at {_mtime(cache)}"
            return load_export(cache)
        return None

    def reliability(self, work: Pass, _approval: str | None) -> None:
        from agents.protocol.breakers import breaker_states  # noqa: PLC0415

        outcomes = self.agent.watchdog(work.stack)
        work.outcomes += outcomes
        drift = next((o for o in outcomes if o.operation == "drift-check"), None)
        cooling = drift is not None and drift.status == "refused" and "cooling down" in drift.detail
        if cooling:
            pass  # checked within its cooldown: its findings stand as the last check left them
        elif drift is not None and (drift.status != "done" or drift.result is None):
            # fail closed: a drift check that did not run is a finding, never "no drift"
            work.found(
                "drift.unchecked",
                "high",
                work.stack,
                f"the drift check could not run ({drift.status}): {drift.detail}",
                evidence={"status": drift.status},
                action="see the audit log for the refresh's error, fix it, then re-run the pass",
            )
        elif drift is not None and drift.result is not None:
            work.checked.update(DRIFT_KINDS)
            self._drift(work, drift.result)
        record = self.agent.locks.read_record(work.stack, "operation")
        value = record.value if record is not None and isinstance(record.value, dict) else {}
        holder = self.agent.locks.holder(work.stack)
        work.checked.update({"operation.interrupted", "operation.failed", "breaker.open"})
        if value.get("status") in ("started", "interrupted") and holder is None:
            work.found(
                "operation.interrupted",
                "high",
                str(value.get("operation")),
                f"{value.get('operation')} by {value.get('persona')} (token "
                f"{value.get('token')}) never finished: the stack may be half-changed",
                evidence={k: value.get(k) for k in ("persona", "token", "host", "pid", "at")},
                action="run a preview and a refresh; `pulumi cancel` if the stack reports busy",
            )
        if value.get("status") == "failed":
            work.found(
                "operation.failed",
                "medium",
                str(value.get("operation")),
                f"the last {value.get('operation')} failed: {value.get('error')}",
                evidence={k: value.get(k) for k in ("persona", "token", "error", "at")},
                action="read the error, fix the cause, re-run",
            )
        for state in breaker_states(self.agent.settings.state_dir):
            if state["stack"] == work.stack and state["state"] != "closed":
                work.found(
                    "breaker.open",
                    "medium",
                    str(state["operation"]),
                    f"the {state['operation']} breaker is {state['state']} after "
                    f"{state['failures']} failures",
                    evidence=state,
                    action="fix the failing operation; the breaker lets one trial through",
                )
        _, facts = self._facts(work)
        self._alarms(work, facts)

    def _drift(self, work: Pass, result: DriftResult) -> None:
        """A drift check's result as findings, and its repair as a proposal (issue 24,
        agents.runtime.drift): each drifted resource a `drift.detected` finding whose evidence
        names the repair; an excepted one a `drift.excepted` info finding (and an audit line)
        with the exception's reason; a drift whose details cannot be read, or an exceptions
        file that cannot, a high finding and no repair."""
        from agents.runtime import drift  # noqa: PLC0415

        audit = self.agent.audit
        config = str(drift.config_file(work.stack))
        try:
            exceptions = drift.load_exceptions(work.stack)
            invalid = None
        except drift.DriftConfigError as exc:
            exceptions, invalid = (), str(exc)
            work.found(
                "drift.exceptions-invalid",
                "high",
                work.stack,
                f"the stack's drift exceptions cannot be used, so no drift is repaired: {exc}",
                evidence={"config": config},
                action=f"fix {config}",
            )
        plan = drift.classify(result, exceptions)
        for step, rule in plan.excepted:
            evidence = {
                "op": step.op,
                "urn": step.urn,
                "properties": list(step.diffs),
                "exception": rule.to_json(),
                "config": config,
            }
            audit.append(
                "drift.excepted",
                persona=self.persona,
                stack=work.stack,
                urn=step.urn,
                op=step.op,
                properties=list(step.diffs),
                reason=rule.reason,
            )
            work.found(
                "drift.excepted",
                "info",
                step.name,
                f"{step.type} {step.name} differs from the stack's state ({step.op}), as "
                f"declared: {rule.reason}",
                evidence=evidence,
                action=f"none (a declared exception in {config}); remove it to have this "
                "drift repaired",
            )
        for why in plan.unreadable:
            work.found(
                "drift.unreadable",
                "high",
                work.stack,
                f"drift that cannot be read, so nothing is repaired: {why}"[:300],
                evidence={"why": why},
                action="read the refresh in the audit log; repair by hand after review",
            )
        repair = self._propose_repair(work, plan, invalid)
        for step in plan.repairable:
            work.found(
                "drift.detected",
                "high" if step.op in ("delete", "replace") else "medium",
                step.name,
                f"{step.type} {step.name} differs from the stack's state ({step.op})",
                evidence={
                    "op": step.op,
                    "urn": step.urn,
                    "properties": list(step.diffs),
                    "repair": repair,
                },
                action=repair.get("action")
                or "refresh the stack after checking who changed it, or re-apply",
            )

    def _propose_repair(self, work: Pass, plan: DriftPlan, invalid: str | None) -> dict[str, Any]:
        """The repair of the pass's drift as a proposal: to the review, and to a human when
        the reviewer cannot approve it (one request per drift: a pending, approved or rejected
        one stands); on an unprotected stack with `drift_auto_repair`, to the release
        engineer's next pass directly. What was done, for the findings' evidence."""
        from agents.protocol.approvals import ReviewRules, review  # noqa: PLC0415
        from agents.runtime import drift  # noqa: PLC0415
        from agents.runtime.runner import REVIEWER, Outcome  # noqa: PLC0415
        from baseline.personas import load_personas  # noqa: PLC0415

        if not plan.repairable:
            return {}
        audit, stack = self.agent.audit, work.stack
        if plan.unreadable or invalid:
            why = "; ".join([*plan.unreadable, *([invalid] if invalid else [])])
            audit.append("drift.repair-refused", persona=self.persona, stack=stack, why=why[:500])
            return {"status": "not proposed", "why": why[:300]}
        proposal = drift.repair_proposal(stack, plan.repairable)
        fields = {
            "persona": self.persona,
            "stack": stack,
            "digest": proposal.digest,
            "resources": list(plan.urns),
        }
        if not self.agent.protected(stack) and self.agent.settings.drift_auto_repair:
            audit.append("drift.repair-proposed", **fields, status="auto-repair")
            work.outcomes.append(
                Outcome(
                    self.persona,
                    stack,
                    drift.REPAIR,
                    "done",
                    "auto-repair: the release engineer's next pass repairs it",
                )
            )
            return {
                "status": "auto-repair",
                "digest": proposal.digest,
                "action": "auto-repair is on for this unprotected stack: the release "
                "engineer's next pass restores it (audited)",
            }
        store = self.agent.approvals
        record = next(
            (
                r
                for r in store.all()
                if r.digest == proposal.digest
                and not r.expired
                and r.status in ("pending", "approved", "rejected")
            ),
            None,
        )
        if record is None:
            applier = next(x for x in load_personas() if x.name == drift.APPLIER)
            scope = [
                (s, drift.REPAIR)
                for s in applier.stacks
                if applier.can("refresh", s) and applier.can("up", s)
            ]
            verdict = review(proposal, ReviewRules(self.agent.settings.max_cost_delta_usd), scope)
            record = store.submit(proposal, verdict, reviewer=REVIEWER)
            audit.append(
                "drift.repair-proposed", **fields, approval=record.id, status=record.status
            )
        action = {
            "pending": f"approve the repair: python -m agents approve {record.id} (the release "
            "engineer's next pass applies it)",
            "approved": f"approved ({record.id}): the release engineer's next pass applies it",
            "rejected": f"its repair was rejected ({record.id}): fix by hand, or declare an "
            "exception",
        }[record.status]
        work.outcomes.append(
            Outcome(
                self.persona,
                stack,
                drift.REPAIR,
                "pending-approval" if record.status == "pending" else "done",
                f"repair of {len(plan.repairable)} drifted resource(s): {record.status}",
                approval=record.id,
            )
        )
        return {
            "status": record.status,
            "approval": record.id,
            "digest": proposal.digest,
            "action": action,
        }

    def security(self, work: Pass, _approval: str | None) -> None:
        from agents.skills import trail  # noqa: PLC0415

        work.outcomes.append(self.agent.perform(work.stack, "preview"))
        work.outcomes.append(self.agent.perform(work.stack, "drift-check"))
        export, facts = self._facts(work)
        if export is not None:
            work.check(
                "policy",
                ["policy.violation", "policy.default-config"],
                lambda: self._gate(work, export),
            )
        hours = max(1, round(self.interval_s / 3600)) if self.interval_s >= 3600 else 24
        self._report(
            work,
            "trail",
            lambda: trail.sensitive_events(
                self.aws("cloudtrail", facts.region), stack=work.stack, hours=hours
            ),
        )

    def _gate(self, work: Pass, export: StackExport) -> list[Finding]:
        """The policy gate on the live export, with the stack's policy config; a stack without
        its own is gated with the default one (`toolchain.gate.policy_config_dir`), and that is
        a finding of its own (`policy.default-config`, info: open while it lasts, in the audit
        log when opened) and in the evidence of each violation. A name that is not a stack name
        raises (`policy.unchecked`)."""
        from toolchain.gate import policy_config_dir, run_gate  # noqa: PLC0415

        config_dir, notice = policy_config_dir(work.stack)
        result = run_gate(export, config_dir, notice=notice)
        # Only a fallback is noted: a stack gated with its own config has the evidence it had.
        config = {"config": str(config_dir), "notice": notice} if notice else {}
        found = []
        if notice:
            found.append(
                Finding(
                    kind="policy.default-config",
                    severity="info",
                    stack=work.stack,
                    resource=work.stack,
                    summary=notice,
                    evidence=config,
                    proposed_action=f"add policies/config/{work.stack}/ (security.json, "
                    "cost.json) to give the stack its own policy config",
                    persona=self.persona,
                )
            )
        for v in result.violations:
            name = v.urn.split("::")[-1] if "::" in v.urn else work.stack
            found.append(
                Finding(
                    kind="policy.violation",
                    severity="high" if v.mandatory else _severity(v.severity),
                    stack=work.stack,
                    resource=f"{name}:{v.policyName}",
                    summary=f"{v.policyName} on the live {name}: {v.detail.splitlines()[0]}",
                    evidence={"pack": v.policyPack, "urn": v.urn, "level": v.enforcementLevel}
                    | config,
                    proposed_action="fix the resource in the program and apply, or explain "
                    "the exception in the stack's policy config",
                    persona=self.persona,
                )
            )
        return found

    def _report(self, work: Pass, name: str, make: Callable[[], Any], *extra: Any) -> None:
        """A check's report: its findings (the AWS calls that failed included, as
        `<name>.unchecked`), and the kinds it actually checked. A check that raises (a service
        API the endpoint does not implement, a bug) is `<name>.unchecked` as well, with the
        error's type and message: one broken check must not stop the others, and must not read
        as "all good"."""
        try:
            report = make()
        except Exception as exc:  # noqa: BLE001 - any failure: that check was not made
            work.found(
                f"{name}.unchecked",
                "high",
                work.stack,
                f"{name} could not be checked: {type(exc).__name__}: {exc}"[:300],
                action="read the agent's log; fix access or the check, then re-run the pass",
            )
            work.checked.add(f"{name}.unchecked")
            return
        work.findings += report.findings(self.persona, *extra)
        work.checked.update(report.checked)

    def _alarms(self, work: Pass, facts: StackFacts) -> None:
        from agents.skills import alarms  # noqa: PLC0415

        self._report(
            work,
            "alarm",
            lambda: alarms.alarm_status(self.aws("cloudwatch", facts.region), stack=work.stack),
        )

    def _facts(self, work: Pass) -> tuple[StackExport | None, StackFacts]:
        export = self._export(work)
        return export, StackFacts.of(work.stack, export)

    def observability(self, work: Pass, _approval: str | None) -> None:
        work.outcomes.append(self.agent.perform(work.stack, "preview"))
        export, facts = self._facts(work)
        self._alarms(work, facts)
        # One check over every group: a group that cannot be read fails the whole check, so
        # no group's open findings are closed on a pass that did not read them all. Without the
        # stack's export there is no list of groups: not checked either.
        if export is None:
            work.check("logs", [], _no_export)
            return
        work.check(
            "logs",
            ["logs.errors"],
            lambda: [f for g in facts.log_groups for f in self._log_errors(work, facts, g)],
        )

    def _log_errors(self, work: Pass, facts: StackFacts, group: str) -> list[Finding]:
        """Error clusters of a log group over the last interval: new since the last pass, or
        grown by half, are `high`; ones still there at the same rate stay open, `medium`."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        from agents.skills import logs  # noqa: PLC0415

        end = now_ms()
        lines = logs.cloudwatch_lines(
            self.aws("logs", facts.region),
            group,
            start_ms=end - int(self.interval_s * 1000),
            end_ms=end,
        )
        try:
            report = logs.analyze_logs(lines, source=f"cloudwatch:{group}")
        except (ClientError, BotoCoreError) as exc:
            raise LogsUnreadable(f"{group}: filter_log_events failed ({exc})") from exc
        with self.findings_store() as store:
            before = {
                f.finding.resource: int(f.finding.evidence.get("lines", 0))
                for f in store.query(stack=work.stack)
                if f.finding.kind == "logs.errors" and f.finding.persona == self.persona
            }
        found = []
        for cluster in report.clusters:
            if cluster.severity not in ("critical", "error"):
                continue
            resource = f"{group} {cluster.template[:120]}"
            previous = before.get(resource)
            grew = previous is not None and cluster.count >= 1.5 * max(previous, 1)
            state = "new" if previous is None else "growing" if grew else "still there"
            found.append(
                Finding(
                    kind="logs.errors",
                    severity="high" if state != "still there" else "medium",
                    stack=work.stack,
                    resource=resource,
                    summary=f"{state}: {cluster.count} {cluster.severity} lines in {group} in "
                    f"the last {self.interval_s / 60:.0f} min: {cluster.template[:200]}",
                    evidence={
                        "lines": cluster.count,
                        "previous": previous,
                        "first": cluster.first_seen,
                        "last": cluster.last_seen,
                        "example": cluster.example,
                    },
                    proposed_action="read the example and the cluster's values; fix the cause",
                    persona=self.persona,
                )
            )
        return found

    def cost(self, work: Pass, _approval: str | None) -> None:
        from agents.skills import spend  # noqa: PLC0415

        work.outcomes.append(self.agent.perform(work.stack, "preview"))
        export, facts = self._facts(work)
        if export is not None:
            work.check(
                "cost",
                ["cost.over-budget", "cost.near-budget"],
                lambda: self._budget(work, export, facts),
            )
            work.check(
                "proposal", ["proposal.rightsizing"], lambda: self._rightsizing(work, export, facts)
            )
        self._report(
            work, "spend", lambda: spend.spend_report(self.aws("ce", "us-east-1"), stack=work.stack)
        )

    def _budget(self, work: Pass, export: StackExport, facts: StackFacts) -> list[Finding]:
        from toolchain.cost import estimate, load_prices, load_usage  # noqa: PLC0415

        est = estimate(export, load_prices(), load_usage())
        share = est.total / facts.monthly_budget_usd
        if share < 0.8:
            return []
        kind, severity = (
            ("cost.over-budget", "high") if share > 1 else ("cost.near-budget", "medium")
        )
        top = ", ".join(f"{c} ${m:,.0f}" for c, m, _ in est.by_component()[:3])
        return [
            Finding(
                kind=kind,
                severity=severity,
                stack=work.stack,
                resource="monthly-budget",
                summary=f"the stack's estimate ${est.total:,.2f}/month is {share:.0%} of its "
                f"budget ${facts.monthly_budget_usd:,.0f} (top: {top})",
                evidence={"estimate": round(est.total, 2), "budget": facts.monthly_budget_usd},
                proposed_action="review the biggest components, or raise monthlyBudgetUsd",
                persona=self.persona,
            )
        ]

    def _rightsizing(self, work: Pass, export: StackExport, facts: StackFacts) -> list[Finding]:
        """RDS instances whose CPU stayed low for two weeks (max under 40%, mean under 20%):
        one size down, with the monthly saving the cost estimate gives for exactly that change.
        A proposal for the master-architect; nothing is applied."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        from toolchain.cost import estimate, load_prices, load_usage  # noqa: PLC0415
        from toolchain.cost.savings import transform  # noqa: PLC0415

        cloudwatch = self.aws("cloudwatch", facts.region)
        found = []
        end = utc_now()
        for r in export.of_type("aws:rds/instance:Instance"):
            ident = r.outputs.get("identifier") or r.inputs.get("identifier") or r.outputs.get("id")
            klass = r.inputs.get("instanceClass")
            smaller = _smaller(klass) if isinstance(klass, str) else None
            if not ident or smaller is None:
                continue
            try:
                points = cloudwatch.get_metric_statistics(
                    Namespace="AWS/RDS",
                    MetricName="CPUUtilization",
                    Dimensions=[{"Name": "DBInstanceIdentifier", "Value": ident}],
                    StartTime=end - datetime.timedelta(days=14),
                    EndTime=end,
                    Period=3600,
                    Statistics=["Average", "Maximum"],
                )["Datapoints"]
            except (ClientError, BotoCoreError) as exc:
                raise MetricsUnreadable(f"CPUUtilization of {ident}: {exc}") from exc
            if len(points) < 24 * 7:  # under a week of hourly points: too little to judge
                continue
            peak = max(p["Maximum"] for p in points)
            mean = sum(p["Average"] for p in points) / len(points)
            if peak >= 40 or mean >= 20:
                continue

            def resize(
                resources: list[dict[str, Any]], urn: str = r.urn, to: str = smaller
            ) -> None:
                for raw in resources:
                    if raw.get("urn") == urn:
                        raw.setdefault("inputs", {})["instanceClass"] = to

            prices, usage = load_prices(), load_usage()
            saving = (
                estimate(export, prices, usage).total
                - estimate(transform(export, resize), prices, usage).total
            )
            found.append(
                Finding(
                    kind="proposal.rightsizing",
                    severity="low",
                    stack=work.stack,
                    resource=r.name,
                    summary=f"{r.name} ({klass}) peaked at {peak:.0f}% CPU (mean {mean:.0f}%) "
                    f"over 14 days: {smaller} would save ${saving:,.2f}/month",
                    evidence={
                        "from": klass,
                        "to": smaller,
                        "peak": peak,
                        "mean": mean,
                        "saving_usd": round(saving, 2),
                    },
                    proposed_action=f"proposal to the master-architect: set dbInstanceClass to "
                    f"{smaller} in Pulumi.{work.stack}.yaml (not applied by any agent)",
                    persona=self.persona,
                )
            )
        return found

    def data(self, work: Pass, _approval: str | None) -> None:
        from agents.skills import backups  # noqa: PLC0415

        work.outcomes.append(self.agent.perform(work.stack, "preview"))
        _, facts = self._facts(work)
        rds = self.aws("rds", facts.region)
        dr = self.aws("rds", facts.dr_region) if facts.dr_region else None
        self._report(work, "backup", lambda: backups.backup_check(rds, dr, stack=work.stack))
        settings = self.agent.settings
        if not (self.restore_drill and settings.restore_drill_subnet_group):
            return
        subnet_group = settings.restore_drill_subnet_group
        for instance in facts.databases:

            def drill(source: str = instance) -> Any:
                # A drill creates and deletes an instance: a change like any other, so not while
                # its record cannot be kept (it is then `drill.unchecked`, with the reason).
                behind = audit_sink.refusal(settings)
                if behind is not None:
                    raise NotNow(f"restore drill refused: {behind}")
                result = backups.restore_drill(
                    rds, source_instance_id=source, subnet_group=subnet_group
                )
                self.agent.audit.append(
                    "backup.drill", stack=work.stack, persona=self.persona, **result.to_json()
                )
                return result

            self._report(work, "drill", drill, work.stack)


def _no_export() -> list[Finding]:
    raise NoExport("the stack's export could not be read (see the export outcome)")


def _mtime(path: Path) -> str:
    stamp = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC)
    return stamp.isoformat(timespec="seconds")


class NoExport(AgentsError):
    """A check needs the stack's export, and there is none."""


class NotNow(AgentsError):
    """A check that changes something may not run now (the audit sink is behind)."""


def _severity(level: str) -> str:
    return {"critical": "high", "high": "high", "medium": "medium"}.get(level, "low")


def now_ms() -> int:
    return int(time.time() * 1000)


def utc_now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class LogsUnreadable(AgentsError):
    """A log group could not be read."""


class MetricsUnreadable(AgentsError):
    """A metric could not be read."""


# RDS sizes, smallest first: right-sizing proposes the next one down within the family.
_SIZES = (
    "micro",
    "small",
    "medium",
    "large",
    "xlarge",
    "2xlarge",
    "4xlarge",
    "8xlarge",
    "12xlarge",
    "16xlarge",
    "24xlarge",
)


def _smaller(instance_class: str) -> str | None:
    family, _, size = instance_class.rpartition(".")
    if size not in _SIZES or _SIZES.index(size) == 0 or not family:
        return None
    return f"{family}.{_SIZES[_SIZES.index(size) - 1]}"


ROUTINES: dict[str, Callable[[Routines, Pass, str | None], None]] = {
    "release-engineer": Routines.release,
    "reliability-engineer": Routines.reliability,
    "security-auditor": Routines.security,
    "cost-optimizer": Routines.cost,
    "observability-engineer": Routines.observability,
    "data-steward": Routines.data,
}

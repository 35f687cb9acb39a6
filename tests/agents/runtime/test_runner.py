"""The runner enforces the protocol around every operation: scope, cooldowns, breakers, the
lease with fenced records, and the approval gate for `up` on protected stacks."""

from __future__ import annotations

import errno
from dataclasses import dataclass, field
from typing import Any

import pytest

from agents.protocol.audit import AuditLog
from agents.protocol.locks.file import FileLockBackend
from agents.protocol.settings import AgentSettings
from agents.runtime.gateway import (
    DriftResult,
    GatewayCommandError,
    PolicyViolation,
    PreviewResult,
    RefreshResult,
    Step,
    UpResult,
)
from agents.runtime.runner import Agent, Outcome, run_loop
from baseline.personas import persona
from toolchain.export import StackExport

NG = Step(
    "update",
    "urn:pulumi:prod::baseline::aws:eks/nodeGroup:NodeGroup::ng",
    "aws:eks/nodeGroup:NodeGroup",
)
DB_REPLACE = Step(
    "replace",
    "urn:pulumi:prod::baseline::aws:rds/instance:Instance::db",
    "aws:rds/instance:Instance",
)


@dataclass
class FakeGateway:
    """The Gateway interface in memory: scripted previews, recorded calls."""

    steps: list[Step] = field(default_factory=lambda: [NG])
    fail_up: bool = False
    drift: list[Step] = field(default_factory=list)
    calls: list[tuple[str, str, Any]] = field(default_factory=list)
    during_up: Any = None

    def _preview(self, stack: str, operation: str = "preview") -> PreviewResult:
        changes = {s.op: 1 for s in self.steps} | {"same": 100}
        return PreviewResult(
            stack=stack, operation=operation, run="r", changes=changes, steps=tuple(self.steps)
        )

    def preview(self, stack: str, *, targets=(), refresh=False, expect_no_changes=False):
        self.calls.append(("preview", stack, None))
        return self._preview(stack)

    def up(self, stack: str, *, targets=(), expect=None):
        self.calls.append(("up", stack, expect))
        if self.during_up:
            self.during_up()
        if self.fail_up:
            raise GatewayCommandError("update failed: error: boom", stack=stack, operation="up")
        p = self._preview(stack)
        return UpResult(
            stack=stack, operation="up", run="r", changes=p.changes, steps=p.steps, expected=expect
        )

    def history(self, stack: str, limit: int = 10):
        self.calls.append(("history", stack, limit))
        return [{"kind": "update", "result": "succeeded", "version": 3, "resourceChanges": {}}]

    def refresh(self, stack: str, *, targets=()):
        self.calls.append(("refresh", stack, None))
        return RefreshResult(stack=stack, operation="refresh", run="r", changes={}, steps=())

    def drift_check(self, stack: str):
        self.calls.append(("drift-check", stack, None))
        return DriftResult(
            stack=stack,
            operation="drift-check",
            run="r",
            changes={"update": len(self.drift)},
            steps=tuple(self.drift),
        )

    def outputs(self, stack: str) -> dict[str, Any]:
        return {}

    def export(self, stack: str) -> StackExport:
        raise NotImplementedError

    def ran(self, op: str) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] == op]


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path):
    return AgentSettings(state_dir=tmp_path, lock_wait_s=0, max_cost_delta_usd=200)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def locks(tmp_path, clock):
    return FileLockBackend(tmp_path / "locks", clock=clock)


def agent(name, settings, locks, gateway, *, protected=True, cost=None) -> Agent:
    return Agent(
        persona(name),
        settings=settings,
        gateway=gateway,
        locks=locks,
        audit=AuditLog(settings.audit_log),
        protected=lambda _s: protected,
        cost_delta=(lambda _s, _p: cost) if cost is not None else None,
    )


def events(settings) -> list[str]:
    return [r["event"] for r in AuditLog(settings.audit_log).records()]


def test_an_operation_outside_the_personas_scope_is_refused(settings, locks):
    gw = FakeGateway()
    out = agent("cost-optimizer", settings, locks, gw).perform("prod", "up")
    assert out.status == "refused" and "may not up" in out.detail
    assert gw.calls == []
    assert events(settings) == ["request", "decision"]


def test_destroy_is_never_run(settings, locks):
    out = agent("release-engineer", settings, locks, FakeGateway()).perform("prod", "destroy")
    assert out.status == "refused" and "destroys" in out.detail


def test_cooldowns_hold_across_restarts(settings, locks, tmp_path, clock):
    gw = FakeGateway()
    assert agent("cost-optimizer", settings, locks, gw).perform("dev", "preview").ok
    restarted = FileLockBackend(tmp_path / "locks", clock=clock)
    again = agent("cost-optimizer", settings, restarted, gw).perform("dev", "preview")
    assert again.status == "refused" and "cooling down" in again.detail
    assert len(gw.ran("preview")) == 1
    clock.now += persona("cost-optimizer").cooldowns["preview"] + 1
    assert agent("cost-optimizer", settings, restarted, gw).perform("dev", "preview").ok


def test_up_on_an_unprotected_stack_needs_no_approval(settings, locks):
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "done" and out.approval is None
    (up,) = gw.ran("up")
    assert up[2] == gw._preview("dev").fingerprint  # the gateway refuses a changed plan


def test_a_clean_change_on_a_protected_stack_is_reviewed_and_applied(settings, locks):
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, cost=10.0).perform("prod", "up")
    assert out.status == "done" and out.approval
    assert "approval.reviewed" in events(settings) and "approval.consumed" in events(settings)
    record = next(
        r for r in AuditLog(settings.audit_log).records() if r["event"] == "approval.reviewed"
    )
    assert record["reviewer"] == "master-architect" and record["verdict"] == "approved"


def test_a_stateful_replace_waits_for_a_human_then_runs(settings, locks):
    gw = FakeGateway(steps=[NG, DB_REPLACE])
    release = agent("release-engineer", settings, locks, gw)
    first = release.perform("prod", "up")
    assert first.status == "pending-approval" and first.approval
    assert gw.ran("up") == []
    assert first.approval is not None
    release.approvals.decide(first.approval, approve=True, by="alice")
    second = release.perform("prod", "up")  # no cooldown: the first attempt never ran
    assert second.status == "done" and second.approval == first.approval
    assert len(gw.ran("up")) == 1


def test_an_approval_for_another_plan_is_refused(settings, locks):
    gw = FakeGateway(steps=[NG, DB_REPLACE])
    release = agent("release-engineer", settings, locks, gw)
    first = release.perform("prod", "up")
    assert first.approval is not None
    release.approvals.decide(first.approval, approve=True, by="alice")
    gw.steps = [DB_REPLACE, Step("delete", "urn:x::aws:kms/key:Key::k", "aws:kms/key:Key")]
    out = release.perform("prod", "up", approval=first.approval)
    assert out.status == "refused" and "the plan changed after it was reviewed" in out.detail
    assert gw.ran("up") == []


def test_a_mandatory_violation_is_rejected_by_the_reviewer(settings, locks):
    gw = FakeGateway()
    original = gw._preview

    def with_violation(stack, operation="preview"):
        p = original(stack, operation)
        return PreviewResult(
            stack=p.stack,
            operation=p.operation,
            run=p.run,
            changes=p.changes,
            steps=p.steps,
            violations=(
                PolicyViolation(
                    "baseline-security",
                    "rds-storage-encrypted",
                    "mandatory",
                    DB_REPLACE.urn,
                    "not encrypted",
                ),
            ),
        )

    gw._preview = with_violation  # type: ignore[method-assign]
    out = agent("release-engineer", settings, locks, gw).perform("prod", "up")
    assert out.status == "refused" and gw.ran("up") == []


def test_repeated_failures_open_the_breaker(settings, locks, clock):
    gw = FakeGateway(fail_up=True)
    release = agent("release-engineer", settings, locks, gw, protected=False)
    statuses = []
    for _ in range(4):
        statuses.append(release.perform("dev", "up").status)
        clock.now += persona("release-engineer").cooldowns["up"] + 1  # past each cooldown
    assert statuses[:3] == ["failed"] * 3
    assert statuses[3] == "refused"
    assert len(gw.ran("up")) == 3  # the fourth never reached the gateway


def test_a_holder_whose_lease_was_taken_over_cannot_record_its_result(settings, locks, clock):
    gw = FakeGateway()

    def stall_and_lose_the_stack():
        clock.now += settings.lease_ttl_s + 1  # the holder stalls past its lease
        other = locks.acquire(
            "dev",
            owner="other",
            persona="reliability-engineer",
            operation="refresh",
            priority=90,
            ttl_s=60,
            wait_s=0,
        )
        assert other.token > 0

    gw.during_up = stall_and_lose_the_stack
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "failed" and "lease lost" in out.detail
    assert "operation.succeeded" not in events(settings)


def test_the_watchdog_reports_drift_and_interrupted_operations(settings, locks, clock):
    gw = FakeGateway(drift=[NG])
    lease = locks.acquire(
        "prod",
        owner="crashed",
        persona="release-engineer",
        operation="up",
        priority=100,
        ttl_s=60,
        wait_s=0,
    )
    locks.fenced_write(
        lease,
        "operation",
        {
            "operation": "up",
            "status": "started",
            "persona": "release-engineer",
            "token": lease.token,
        },
    )
    clock.now += 61  # the holder died; its lease ran out
    outcomes = agent("reliability-engineer", settings, locks, gw).routine("prod")
    assert outcomes[0].data["drifted"] is True
    assert any("interrupted up" in o.detail for o in outcomes)
    assert {"drift.detected", "watchdog.interrupted"} <= set(events(settings))


def test_every_step_is_on_the_record(settings, locks):
    agent("release-engineer", settings, locks, FakeGateway(), cost=1.0).perform("prod", "up")
    assert events(settings) == [
        "request",
        "lock.acquired",
        "approval.key-created",  # the first approval on this state folder makes the key
        "approval.reviewed",
        "approval.consumed",
        "operation.started",
        "operation.succeeded",
        "lock.released",
        "outcome",
    ]


def test_a_failed_operation_still_cools_down(settings, locks):
    gw = FakeGateway(fail_up=True)
    release = agent("release-engineer", settings, locks, gw, protected=False)
    assert release.perform("dev", "up").status == "failed"
    again = release.perform("dev", "up")
    assert again.status == "refused" and "cooling down" in again.detail
    assert len(gw.ran("up")) == 1


def test_a_request_that_waits_for_the_stack_is_on_the_record(tmp_path):
    settings = AgentSettings(state_dir=tmp_path, lock_wait_s=0.2)
    locks = FileLockBackend(tmp_path / "locks")  # the real clock: waiting must time out
    locks.acquire(
        "dev",
        owner="other",
        persona="release-engineer",
        operation="up",
        priority=100,
        ttl_s=600,
        wait_s=0,
    )
    out = agent("cost-optimizer", settings, locks, FakeGateway()).perform("dev", "preview")
    assert out.status == "refused" and "release-engineer" in out.detail
    queued = [r for r in AuditLog(settings.audit_log).records() if r["event"] == "lock.queued"]
    assert queued and queued[0]["priority"] == persona("cost-optimizer").priority


# -- the loop ------------------------------------------------------------------------------------
class Beats:
    """A heartbeat (agents.runtime.runner.Heartbeat) that records what the loop told it."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def pass_started(self, stack: str) -> None:
        self.events.append(("start", stack))

    def pass_finished(self, stack: str) -> None:
        self.events.append(("end", stack))

    def sleeping(self, seconds: float) -> None:
        self.events.append(("sleep", seconds))


class StopLoop(Exception):
    pass


def test_the_loop_beats_around_every_pass_and_outlives_a_state_folder_error(settings, locks):
    a = agent("master-architect", settings, locks, FakeGateway())
    passes: list[str] = []

    def routine(stack: str, _approval: str | None) -> list[Outcome]:
        passes.append(stack)
        if len(passes) == 1:  # the state folder went read-only under the first pass
            raise OSError(errno.EROFS, "Read-only file system")
        return [Outcome("master-architect", stack, "preview", "done")]

    pauses: list[float] = []

    def sleep(seconds: float) -> None:
        pauses.append(seconds)
        if len(pauses) == 3:
            raise StopLoop

    beats = Beats()
    with pytest.raises(StopLoop):
        run_loop(
            a, ["dev"], once=False, interval_s=10, sleep=sleep, routine=routine, heartbeat=beats
        )
    assert pauses == [20, 10, 10], "a failed pass doubles the pause; the next good one resets it"
    assert beats.events[:6] == [
        ("start", "dev"),
        ("end", "dev"),
        ("sleep", 20),
        ("start", "dev"),
        ("end", "dev"),
        ("sleep", 10),
    ]
    (error,) = a.audit.query({"event": "routine.error"})
    assert "Read-only file system" in error["error"]


def test_a_single_pass_still_ends_on_a_state_folder_error(settings, locks):
    a = agent("master-architect", settings, locks, FakeGateway())

    def routine(stack: str, _approval: str | None) -> list[Outcome]:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError, match="No space left"):
        run_loop(a, ["dev"], once=True, interval_s=10, routine=routine)

"""The drift repair's parts (agents.runtime.drift) and its operation in the runner, on the
in-memory gateway: what is repairable, excepted or unreadable; the exceptions file; and every
way the repair fails closed before (or instead of) `up`."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from agents.runtime import drift
from agents.runtime.gateway import DriftResult, RefreshResult, Step
from tests.agents.runtime.test_runner import (  # noqa: F401 - fixtures
    FakeGateway,
    agent,
    clock,
    events,
    locks,
    settings,
)

DB = Step(
    "update",
    "urn:pulumi:prod::baseline::aws:rds/instance:Instance::db",
    "aws:rds/instance:Instance",
    diffs=("backupRetentionPeriod",),
)
RULE = Step(
    "delete",
    "urn:pulumi:prod::baseline::aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::r",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
)
OTHER = Step("update", "urn:pulumi:prod::baseline::aws:s3/bucket:Bucket::b", "aws:s3/bucket:Bucket")


def result(*steps: Step, changes: dict[str, int] | None = None) -> DriftResult:
    counted = changes if changes is not None else {s.op: 1 for s in steps}
    return DriftResult(stack="prod", operation="drift-check", run="r", changes=counted, steps=steps)


def test_drift_is_sorted_into_repairable_excepted_and_unreadable() -> None:
    only_retention = drift.DriftException("tuned by hand", type=DB.type, properties=(DB.diffs))
    plan = drift.classify(result(DB, RULE), [only_retention])
    assert plan.repairable == (RULE,) and [s for s, _ in plan.excepted] == [DB]
    # A property exception never covers a resource that is gone.
    gone = Step("delete", DB.urn, DB.type)
    assert drift.classify(result(gone), [only_retention]).repairable == (gone,)
    assert drift.classify(result(changes={"update": 2}), []).unreadable, "counted, unnamed"
    odd = Step("create", DB.urn, DB.type)
    assert drift.classify(result(odd), []).unreadable


def test_the_proposal_binds_the_drifted_resources_and_properties() -> None:
    one = drift.repair_proposal("prod", [DB, RULE])
    assert (one.operation, one.persona) == (drift.REPAIR, drift.APPLIER)
    assert one.digest == drift.repair_proposal("prod", [RULE, DB]).digest
    assert one.digest != drift.repair_proposal("prod", [DB]).digest
    assert one.digest != drift.repair_proposal("dev", [DB, RULE]).digest
    other_property = Step(DB.op, DB.urn, DB.type, diffs=("instanceClass",))
    assert one.digest != drift.repair_proposal("prod", [other_property, RULE]).digest


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"exceptions": [{"type": "aws:s3/bucket:Bucket"}]}', "says why"),
        ('{"exceptions": [{"reason": "x"}]}', "name the resources"),
        ('{"exceptions": [{"urn": "*", "reason": "x"}]}', "silence"),
        ('{"exceptions": [{"type": "t", "reason": "x", "ttl": 3}]}', "expected an object"),
        ('{"exceptions": {}}', "not a list"),
        ('{"exceptions": [], "more": 1}', "nothing else"),
        ("not json", "not JSON"),
    ],
)
def test_an_invalid_exceptions_file_is_refused(tmp_path, monkeypatch, content, message) -> None:
    monkeypatch.setattr(drift, "CONFIG_DIR", tmp_path)
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "drift.json").write_text(content)
    with pytest.raises(drift.DriftConfigError, match=message):
        drift.load_exceptions("prod")


def test_no_exceptions_file_is_no_exception(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(drift, "CONFIG_DIR", tmp_path)
    assert drift.load_exceptions("prod") == ()
    (tmp_path / "prod").mkdir()
    rule = {"urn": "urn:pulumi:prod::*::r", "reason": "rotates", "properties": ["tags"]}
    (tmp_path / "prod" / "drift.json").write_text(json.dumps({"exceptions": [rule]}))
    (found,) = drift.load_exceptions("prod")
    assert found.to_json() == rule


@dataclass
class DriftGateway(FakeGateway):
    """The in-memory gateway with a targeted refresh, and a restore plan of its own."""

    restore: tuple[Step, ...] = ()

    def refresh(self, stack: str, *, targets=()):
        self.calls.append(("refresh", stack, tuple(targets)))
        return RefreshResult(stack=stack, operation="refresh", run="r", changes={}, steps=())

    def preview(self, stack: str, *, targets=(), refresh=False, expect_no_changes=False):
        self.steps = list(self.restore)
        return super().preview(stack, targets=targets)


@pytest.fixture(autouse=True)
def no_exceptions(tmp_path, monkeypatch):
    monkeypatch.setattr(drift, "CONFIG_DIR", tmp_path / "no-config")


def repair(settings, locks, gw, *, protected=True, approval=None):  # noqa: F811
    return agent("release-engineer", settings, locks, gw, protected=protected).perform(
        "prod", drift.REPAIR, approval=approval
    )


def test_drift_that_cannot_be_read_is_never_repaired(settings, locks):  # noqa: F811
    gw = DriftGateway(drift=[Step("create", DB.urn, DB.type)])
    out = repair(settings, locks, gw, protected=False)
    assert out.status == "refused" and "cannot be read" in out.detail
    assert gw.ran("refresh") == [] and gw.ran("up") == []
    assert "drift.repair-refused" in events(settings)


def test_a_protected_stack_is_never_repaired_without_an_approval(settings, locks):  # noqa: F811
    auto = settings.model_copy(update={"drift_auto_repair": True})
    gw = DriftGateway(drift=[DB], restore=(DB,))
    out = repair(auto, locks, gw, protected=True)
    assert out.status == "refused" and "no approval" in out.detail
    assert gw.ran("refresh") == [] and gw.ran("up") == []


def test_auto_repair_on_an_unprotected_stack_is_audited(settings, locks):  # noqa: F811
    auto = settings.model_copy(update={"drift_auto_repair": True})
    gw = DriftGateway(drift=[DB], restore=(DB,))
    out = repair(auto, locks, gw, protected=False)
    assert out.status == "done", out.detail
    assert gw.ran("refresh") == [("refresh", "prod", (DB.urn,))] and len(gw.ran("up")) == 1
    assert "drift.repair-auto" in events(auto)
    # Off (the default), the same unprotected stack needs an approval.
    gw = DriftGateway(drift=[DB], restore=(DB,))
    assert repair(settings, locks, gw, protected=False).status == "refused"


def test_a_restore_beyond_the_drift_is_not_applied(settings, locks):  # noqa: F811
    auto = settings.model_copy(update={"drift_auto_repair": True})
    gw = DriftGateway(drift=[DB], restore=(DB, OTHER))
    out = repair(auto, locks, gw, protected=False)
    assert out.status == "failed" and OTHER.urn in out.detail
    assert gw.ran("up") == []


def test_only_a_persona_that_may_refresh_and_up_repairs(settings, locks):  # noqa: F811
    gw = DriftGateway(drift=[DB], restore=(DB,))
    out = agent("reliability-engineer", settings, locks, gw).perform("prod", drift.REPAIR)
    assert out.status == "refused" and "may not repair-drift" in out.detail
    assert gw.calls == []

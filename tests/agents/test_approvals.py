"""The approval gate cannot be bypassed: tampered, expired, mismatched, reused or out-of-date
approvals are refused; the reviewer's rules decide what needs a human."""

import json

import pytest

from agents.approvals import (
    ApprovalError,
    ApprovalStore,
    Change,
    Proposal,
    ReviewRules,
    UnknownApproval,
    review,
)
from agents.audit import AuditLog

RULES = ReviewRules(max_cost_delta_usd=200)
SCOPE = [("prod", "up"), ("dev", "up")]


def proposal(**overrides) -> Proposal:
    base = dict(
        stack="prod",
        persona="release-engineer",
        operation="up",
        changes=(
            Change(
                "update",
                "urn:pulumi:prod::baseline::aws:eks/nodeGroup:NodeGroup::ng",
                "aws:eks/nodeGroup:NodeGroup",
            ),
        ),
        summary={"update": 1, "same": 150},
        violations=(),
        cost_delta_usd=12.5,
    )
    base.update(overrides)
    return Proposal(**base)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path):
    return ApprovalStore(tmp_path, AuditLog(tmp_path / "audit.jsonl"), ttl_s=3600)


def approved(store, p=None):
    p = p or proposal()
    return store.submit(p, review(p, RULES, SCOPE), reviewer="master-architect")


def test_a_clean_change_is_approved_by_the_reviewer():
    assert review(proposal(), RULES, SCOPE).verdict == "approved"


def test_a_mandatory_violation_is_rejected():
    p = proposal(
        violations=(
            {
                "policyPack": "baseline-security",
                "policyName": "x",
                "urn": "u",
                "enforcementLevel": "mandatory",
            },
        )
    )
    verdict = review(p, RULES, SCOPE)
    assert verdict.verdict == "rejected" and "mandatory policy x" in verdict.reasons[0]


def test_an_advisory_violation_does_not_block():
    p = proposal(violations=({"policyName": "x", "urn": "u", "enforcementLevel": "advisory"},))
    assert review(p, RULES, SCOPE).verdict == "approved"


@pytest.mark.parametrize("op", ["delete", "replace"])
def test_delete_or_replace_of_a_database_needs_a_human(op):
    p = proposal(
        changes=(
            Change(
                op,
                "urn:pulumi:prod::baseline::aws:rds/instance:Instance::db",
                "aws:rds/instance:Instance",
            ),
        )
    )
    verdict = review(p, RULES, SCOPE)
    assert verdict.verdict == "needs-human" and "stateful" in verdict.reasons[0]


def test_replacing_a_stateless_resource_does_not_need_a_human():
    p = proposal(
        changes=(
            Change(
                "replace",
                "urn:x::aws:ec2/launchTemplate:LaunchTemplate::lt",
                "aws:ec2/launchTemplate:LaunchTemplate",
            ),
        )
    )
    assert review(p, RULES, SCOPE).verdict == "approved"


def test_a_cost_rise_over_the_threshold_needs_a_human():
    verdict = review(proposal(cost_delta_usd=250.0), RULES, SCOPE)
    assert verdict.verdict == "needs-human" and "$250.00" in verdict.reasons[0]


def test_an_operation_outside_the_personas_scope_is_rejected():
    verdict = review(proposal(persona="cost-optimizer"), RULES, [("prod", "preview")])
    assert verdict.verdict == "rejected" and "may not up" in verdict.reasons[0]


def test_the_digest_ignores_unchanged_resources_but_not_changes():
    assert proposal().digest == proposal(summary={"update": 1, "same": 3}).digest
    assert proposal().digest != proposal(cost_delta_usd=13.0).digest
    extra = (*proposal().changes, Change("create", "urn:new", "aws:s3/bucket:Bucket"))
    assert proposal().digest != proposal(changes=extra).digest


def test_an_approval_is_consumed_once(store):
    record = approved(store)
    assert store.consume(record.id, proposal()).status == "consumed"
    with pytest.raises(ApprovalError, match="it is consumed"):
        store.consume(record.id, proposal())


def test_a_plan_that_changed_after_review_is_refused(store):
    record = approved(store)
    changed = proposal(
        changes=(
            *proposal().changes,
            Change("delete", "urn:x::aws:ec2/eip:Eip::ip", "aws:ec2/eip:Eip"),
        )
    )
    with pytest.raises(ApprovalError, match="the plan changed after it was reviewed"):
        store.consume(record.id, changed)


@pytest.mark.parametrize(
    ("field", "value"), [("stack", "dev"), ("persona", "data-steward"), ("operation", "refresh")]
)
def test_a_mismatched_approval_is_refused(store, field, value):
    record = approved(store)
    with pytest.raises(ApprovalError, match=f"it was given for {field}"):
        store.consume(record.id, proposal(**{field: value}))


def test_an_expired_approval_is_refused(tmp_path):
    store = ApprovalStore(tmp_path, AuditLog(tmp_path / "audit.jsonl"), ttl_s=-1)
    record = approved(store)
    with pytest.raises(ApprovalError, match="expired"):
        store.consume(record.id, proposal())


def test_a_tampered_approval_is_refused(store, tmp_path):
    p = proposal(violations=({"policyName": "x", "urn": "u", "enforcementLevel": "mandatory"},))
    record = approved(store, p)
    assert record.status == "rejected"
    path = tmp_path / "approvals" / f"{record.id}.json"
    data = json.loads(path.read_text())
    data["status"] = "approved"
    path.write_text(json.dumps(data))
    with pytest.raises(ApprovalError, match="altered after it was signed"):
        store.consume(record.id, p)
    assert any(r["event"] == "approval.tampered" for r in store.audit.records())


def test_a_forged_signature_with_another_key_is_refused(store, tmp_path):
    record = approved(store)
    other = ApprovalStore(tmp_path / "other", store.audit, ttl_s=3600)
    forged = approved(other)
    (tmp_path / "approvals" / f"{forged.id}.json").write_text(
        (tmp_path / "other" / "approvals" / f"{forged.id}.json").read_text()
    )
    with pytest.raises(ApprovalError, match="altered"):
        store.consume(forged.id, proposal())
    assert store.consume(record.id, proposal()).status == "consumed"


def test_a_human_settles_what_the_reviewer_escalated(store):
    p = proposal(cost_delta_usd=500.0)
    record = approved(store, p)
    assert record.status == "pending"
    with pytest.raises(ApprovalError, match="it is pending"):
        store.consume(record.id, p)
    store.decide(record.id, approve=True, by="alice", reason="budget raised for launch")
    assert store.consume(record.id, p).status == "consumed"
    events = [r["event"] for r in store.audit.records()]
    assert events == [
        "approval.reviewed",
        "approval.refused",
        "approval.decided",
        "approval.consumed",
    ]


def test_a_rejected_request_cannot_be_used(store):
    p = proposal(cost_delta_usd=500.0)
    record = approved(store, p)
    store.decide(record.id, approve=False, by="alice")
    with pytest.raises(ApprovalError, match="it is rejected"):
        store.consume(record.id, p)
    with pytest.raises(ApprovalError, match="not pending"):
        store.decide(record.id, approve=True, by="mallory")


def test_unknown_ids_are_input_errors(store):
    with pytest.raises(UnknownApproval):
        store.load("20990101000000-abcdef")
    with pytest.raises(UnknownApproval):
        store.load("../etc/passwd")


def test_the_signing_key_is_private(store, tmp_path):
    approved(store)
    assert (tmp_path / "approval.key").stat().st_mode & 0o077 == 0

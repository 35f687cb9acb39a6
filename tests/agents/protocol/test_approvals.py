"""The approval gate cannot be bypassed: tampered, expired, mismatched, reused or out-of-date
approvals are refused; the reviewer's rules decide what needs a human."""

import datetime
import hashlib
import hmac
import json
import multiprocessing
import os
import re
from dataclasses import asdict
from pathlib import Path

import pytest

from agents.protocol import approvals
from agents.protocol.approvals import (
    ApprovalError,
    ApprovalStore,
    Change,
    Proposal,
    ReviewRules,
    UnknownApproval,
    review,
)
from agents.protocol.audit import AuditLog

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


def test_an_approval_file_restored_from_a_copy_cannot_be_used_again(store):
    record = approved(store)
    path = Path(store.location(record.id))
    saved = path.read_bytes()  # the signed `approved` record, before use
    store.consume(record.id, proposal())
    path.write_bytes(saved)  # rolled back by someone who can write the state folder
    with pytest.raises(ApprovalError, match="already used"):
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
        "approval.key-created",
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


# -- failing closed (issue 9) ---------------------------------------------------------------------


@pytest.mark.parametrize("delta", [None, float("nan"), float("inf")])
def test_an_unknown_cost_is_never_approved_by_the_reviewer(delta):
    verdict = review(proposal(cost_delta_usd=delta), RULES, SCOPE)
    assert verdict.verdict == "needs-human", verdict
    assert any("could not be estimated" in r for r in verdict.reasons), verdict.reasons


def test_an_unknown_cost_is_on_the_record_and_left_pending(store):
    record = approved(store, proposal(cost_delta_usd=None))
    assert record.status == "pending"
    (line,) = store.audit.query({"event": "approval.reviewed"})
    assert line["verdict"] == "needs-human" and "could not be estimated" in line["reasons"][0]


def _write_key(tmp_path, data: bytes, mode: int = 0o600):
    key = tmp_path / "approval.key"
    key.write_bytes(data)
    key.chmod(mode)
    return key


@pytest.mark.parametrize(
    ("data", "mode", "why"),
    [
        (b"", 0o600, "is empty"),
        (b"\n", 0o600, "is empty"),
        (b"ab" * 16 + b"\n", 0o600, "holds 16 bytes, fewer than 32"),
        (b"zz" * 32 + b"\n", 0o600, "is not hex"),
        (b"ab" * 32 + b"\n", 0o644, "open to group or others (mode 0644"),
        (b"ab" * 32 + b"\n", 0o640, "open to group or others (mode 0640"),
    ],
)
def test_an_unusable_signing_key_is_refused_and_recorded(tmp_path, store, data, mode, why):
    _write_key(tmp_path, data, mode)
    with pytest.raises(ApprovalError, match=re.escape(why)) as caught:
        approved(store)
    assert "\n" not in str(caught.value)
    (line,) = store.audit.query({"event": "approval.key-refused"})
    assert why.split(" (")[0] in line["why"], line
    assert not list((tmp_path / "approvals").glob("*.json")), "a record was signed anyway"


def test_a_symlinked_key_is_refused(tmp_path, store):
    real = tmp_path / "elsewhere.key"
    real.write_text("ab" * 32)
    real.chmod(0o600)
    (tmp_path / "approval.key").symlink_to(real)
    with pytest.raises(ApprovalError, match="cannot be read"):
        approved(store)


def test_a_record_forged_under_an_emptied_key_is_refused(store, tmp_path):
    """The attack: empty the key (e.g. a full disk left it at 0 bytes), then sign a record with
    HMAC under the empty key. An empty key must never verify anything."""
    p = proposal(cost_delta_usd=500.0)
    record = approved(store, p)  # pending: needs a human
    path = tmp_path / "approvals" / f"{record.id}.json"
    data = json.loads(path.read_text())
    _write_key(tmp_path, b"")
    data.update(status="approved", decided_by="human:mallory")
    body = {k: v for k, v in data.items() if k != "signature"}
    blob = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    data["signature"] = hmac.new(b"", blob, hashlib.sha256).hexdigest()
    path.write_text(json.dumps(data))
    with pytest.raises(ApprovalError, match="is empty"):
        store.consume(record.id, p)


def test_a_new_key_is_32_random_bytes_mode_0600(store, tmp_path):
    approved(store)
    key = tmp_path / "approval.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(key.read_text().strip())) == 32
    assert not list(tmp_path.glob(".approval.key.*")), "the temporary key file was left behind"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.update(status="approved!"), "unknown status"),
        (lambda d: d.update(reasons="ok"), "reasons is not a list"),
        (lambda d: d.update(expires_at="tomorrow"), "expires_at"),
        (lambda d: d.pop("digest"), "fields missing ['digest']"),
        (lambda d: d.update(proposal=[]), "proposal lacks"),
        (lambda d: d.update(id="20990101000000-abcdef"), "holds id"),
    ],
)
def test_a_record_of_the_wrong_shape_is_damaged_not_used(store, tmp_path, change, why):
    record = approved(store)
    path = tmp_path / "approvals" / f"{record.id}.json"
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))
    with pytest.raises(ApprovalError, match=re.escape(why)):
        store.load(record.id)
    assert store.all() == []
    ((damaged_id, location, stack, reason),) = store.damaged()
    assert damaged_id == record.id and location == str(path) and why in reason
    assert stack == (None if why == "proposal lacks" else "prod")


def test_a_truncated_record_is_damaged(store, tmp_path):
    record = approved(store)
    path = tmp_path / "approvals" / f"{record.id}.json"
    path.write_text(path.read_text()[:40])
    with pytest.raises(ApprovalError, match="is damaged \\(not JSON"):
        store.load(record.id)


DEEP = "[" * 100_000 + "]" * 100_000  # nested past the decoder's depth (RecursionError)


@pytest.mark.parametrize("nested", [False, True], ids=["cut", "nested past the decoder's depth"])
def test_a_record_that_is_not_json_is_damaged_and_listed(store, tmp_path, nested):
    record = approved(store)
    path = tmp_path / "approvals" / f"{record.id}.json"
    text = DEEP if nested else path.read_text()[:40]
    path.write_text(text)
    with pytest.raises(ApprovalError, match="is damaged \\(not JSON"):
        store.load(record.id)
    assert store.all() == []
    ((damaged_id, location, stack, reason),) = store.damaged()
    assert (damaged_id, location, stack) == (record.id, str(path), None)
    assert reason.startswith(f"approval {record.id} is damaged (not JSON")
    assert path.read_text() == text


@pytest.mark.parametrize("text", ["{", DEEP], ids=["cut", "nested past the decoder's depth"])
def test_a_record_that_turns_unreadable_before_a_decision_lands_refuses_it(store, tmp_path, text):
    record = approved(store, proposal(cost_delta_usd=500.0))
    path = tmp_path / "approvals" / f"{record.id}.json"
    replace = store.records.replace

    def damaged_first(*args, **kwargs):  # the record is damaged between the read and the write
        path.write_text(text)
        return replace(*args, **kwargs)

    store.records.replace = damaged_first
    with pytest.raises(ApprovalError, match="another decision or use of it landed first"):
        store.decide(record.id, approve=True, by="human:alice")
    assert path.read_text() == text, f"{path}: a damaged record was overwritten"
    assert not store.audit.query({"event": "approval.decided"})


def test_a_second_decision_is_refused_with_one_line_and_recorded(store):
    record = approved(store, proposal(cost_delta_usd=500.0))
    store.decide(record.id, approve=True, by="alice")
    with pytest.raises(ApprovalError) as caught:
        store.decide(record.id, approve=False, by="bob")
    assert "already approved (by alice)" in str(caught.value) and "\n" not in str(caught.value)
    assert store.load(record.id).status == "approved"
    (refused,) = store.audit.query({"event": "approval.refused"})
    assert refused["by"] == "bob" and refused["approval"] == record.id


def _race_decide(state_dir: str, approval_id: str, approve: bool, barrier, results) -> None:
    store = ApprovalStore(Path(state_dir), AuditLog(Path(state_dir) / "audit.jsonl"), ttl_s=3600)
    barrier.wait()
    try:
        store.decide(approval_id, approve=approve, by=f"human:p{os.getpid()}")
        results.put(("won", approve))
    except ApprovalError as exc:
        results.put(("refused", str(exc)))


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_racing_approve_and_reject_processes_make_exactly_one_decision(tmp_path, round_):
    store = ApprovalStore(tmp_path, AuditLog(tmp_path / "audit.jsonl"), ttl_s=3600)
    record = approved(store, proposal(cost_delta_usd=500.0))
    # not fork: a test worker may hold threads whose locks a forked child inherits held
    ctx = multiprocessing.get_context("forkserver")
    barrier, results = ctx.Barrier(8, timeout=60), ctx.Queue()
    procs = [
        ctx.Process(
            target=_race_decide, args=(str(tmp_path), record.id, i % 2 == 0, barrier, results)
        )
        for i in range(8)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    winners = [o for o in outcomes if o[0] == "won"]
    assert len(winners) == 1, outcomes
    assert all("not pending" in why for kind, why in outcomes if kind == "refused"), outcomes
    final = store.load(record.id).status
    assert final == ("approved" if winners[0][1] else "rejected"), (final, winners)
    decided = store.audit.query({"event": "approval.decided"})
    assert len(decided) == 1 and decided[0]["status"] == final, decided
    assert len(store.audit.query({"event": "approval.refused"})) == 7


def _race_consume(state_dir: str, approval_id: str, p: Proposal, barrier, results) -> None:
    store = ApprovalStore(Path(state_dir), AuditLog(Path(state_dir) / "audit.jsonl"), ttl_s=3600)
    barrier.wait()
    try:
        store.consume(approval_id, p)
        results.put("used")
    except ApprovalError as exc:
        results.put(str(exc))


@pytest.mark.slow
def test_racing_consumers_use_an_approval_once(tmp_path):
    store = ApprovalStore(tmp_path, AuditLog(tmp_path / "audit.jsonl"), ttl_s=3600)
    p = proposal()
    record = approved(store, p)
    # not fork: a test worker may hold threads whose locks a forked child inherits held
    ctx = multiprocessing.get_context("forkserver")
    barrier, results = ctx.Barrier(6, timeout=60), ctx.Queue()
    procs = [
        ctx.Process(target=_race_consume, args=(str(tmp_path), record.id, p, barrier, results))
        for _ in range(6)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=30) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    assert outcomes.count("used") == 1, outcomes
    assert len(store.audit.query({"event": "approval.consumed"})) == 1


def test_a_damaged_record_is_on_the_record(store, tmp_path):
    record = approved(store)
    (tmp_path / "approvals" / f"{record.id}.json").write_text("{}")
    with pytest.raises(ApprovalError):
        store.load(record.id)
    (line,) = store.audit.query({"event": "approval.damaged"})
    assert line["approval"] == record.id and "fields missing" in line["why"]


def test_an_expired_request_cannot_be_decided(tmp_path, monkeypatch):
    store = ApprovalStore(tmp_path, AuditLog(tmp_path / "audit.jsonl"), ttl_s=60)
    record = approved(store, proposal(cost_delta_usd=500.0))
    later = approvals._now() + datetime.timedelta(seconds=61)
    monkeypatch.setattr(approvals, "_now", lambda: later)
    with pytest.raises(ApprovalError, match="expired"):
        store.decide(record.id, approve=True, by="alice")
    assert store.load(record.id).status == "pending"


def test_an_approval_binds_what_the_change_sets_not_only_which_resource():
    urn = "urn:x::aws:ec2/launchTemplate:LaunchTemplate::lt"
    small = Change(
        "update", urn, "aws:ec2/launchTemplate:LaunchTemplate", ("instanceType",), "a" * 64
    )
    other_values = Change("update", urn, small.type, ("instanceType",), "b" * 64)
    other_keys = Change("update", urn, small.type, ("userData",), "a" * 64)
    assert proposal(changes=(small,)).digest != proposal(changes=(other_values,)).digest
    assert proposal(changes=(small,)).digest != proposal(changes=(other_keys,)).digest
    again = Proposal.from_json(json.loads(json.dumps(asdict(proposal(changes=(small,))))))
    assert again.digest == proposal(changes=(small,)).digest


def test_a_key_deleted_while_records_exist_is_never_silently_replaced(store, tmp_path):
    record = approved(store)
    key = tmp_path / "approval.key"
    key.unlink()
    assert store.all() == []  # nothing verifies, and reading made no key
    assert not key.exists()
    with pytest.raises(ApprovalError, match="is missing"):
        store.load(record.id)
    with pytest.raises(ApprovalError, match="is missing"):
        approved(store)  # a new request does not mint a key the old records would fail under
    assert not key.exists()
    ((damaged_id, _, _, why),) = store.damaged()
    assert damaged_id == record.id and why == "no signing key to verify it"
    store.init_key()  # the documented way to a new key: old requests then need new decisions
    assert key.stat().st_mode & 0o777 == 0o600
    with pytest.raises(ApprovalError, match="exists already"):
        store.init_key()
    with pytest.raises(ApprovalError, match="altered after it was signed"):
        store.load(record.id)


def test_damage_is_recorded_once_however_often_status_looks(store, tmp_path):
    record = approved(store)
    (tmp_path / "approvals" / f"{record.id}.json").write_text("{}")
    for _ in range(3):  # three `status` runs, each over every stack
        assert len(store.damaged()) == 1
        assert store.all() == []
    assert len(store.audit.query({"event": "approval.damaged"})) == 1
    with pytest.raises(ApprovalError):
        store.consume(record.id, proposal())  # a real use is put on the record each time
    assert len(store.audit.query({"event": "approval.damaged"})) == 2


def test_a_new_request_never_replaces_a_record_with_its_id(store, monkeypatch):
    """Two requests in one second with the same random part: the second is refused, as the
    DynamoDB records refuse it, and the first stays as it was signed."""
    first = approved(store)
    text = store.records.read(first.id)
    second = datetime.datetime.strptime(first.id.split("-")[0], "%Y%m%d%H%M%S")
    monkeypatch.setattr(approvals, "_now", lambda: second.replace(tzinfo=datetime.UTC))
    monkeypatch.setattr(approvals.secrets, "token_hex", lambda _n: first.id.split("-")[1])
    with pytest.raises(ApprovalError, match="exists already: not replaced"):
        approved(store, proposal(operation="refresh"))
    assert store.records.read(first.id) == text
    assert store.load(first.id).proposal["operation"] == "up"


def test_a_record_that_cannot_be_written_is_a_refusal_with_its_reason(store, monkeypatch):
    def no_links(*_args, **_kwargs):
        raise PermissionError(1, "Operation not permitted")  # a file system without hard links

    first = approved(store)  # (the signing key is made on first use, with a link too)
    monkeypatch.setattr(os, "link", no_links)
    why = r"cannot be written \(Operation not permitted\): refused"
    with pytest.raises(ApprovalError, match=why):
        approved(store, proposal(operation="refresh"))
    assert [p.stem for p in (store.state_dir / "approvals").glob("*.json")] == [first.id]

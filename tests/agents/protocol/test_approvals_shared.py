"""Approvals shared by machines: records in the DynamoDB lock table, the key in Secrets Manager.

Each "machine" is a store with its own state folder (its own audit log) over one table and one
secret: a decision made on one is seen on every other, exactly one decision per request wins, and
an approval is used once, whatever the machines race to do."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from agents.protocol.approvals import ApprovalError, ApprovalStore, SecretsManagerKey, review
from agents.protocol.approvals_dynamodb import DynamoDBRecords
from agents.protocol.audit import AuditLog
from agents.protocol.backends import open_approvals, open_backend
from agents.protocol.locks.dynamodb import dynamodb_client, ensure_table
from agents.protocol.locks.localdb import LocalDynamoDB
from agents.protocol.settings import AgentSettings
from agents.protocol.state_files import repair, stack_damage
from tests.agents.protocol.locks.support import AWS_ENV, REGION
from tests.agents.protocol.test_approvals import RULES, SCOPE, proposal

TABLE = "baseline-agent-locks"
SECRET = "baseline-agents/approval-key"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        ensure_table(dynamodb_client(REGION), TABLE)
        yield


def machine(root: Path, name: str, endpoint: str | None = None) -> ApprovalStore:
    state = root / name
    audit = AuditLog(state / "audit.jsonl")
    secrets = boto3.client("secretsmanager", region_name=REGION, endpoint_url=endpoint)
    return ApprovalStore(
        state,
        audit,
        ttl_s=3600,
        records=DynamoDBRecords(dynamodb_client(REGION, endpoint), TABLE),
        key=SecretsManagerKey(secrets, SECRET, audit),
    )


def pending_request(store: ApprovalStore):
    p = proposal(cost_delta_usd=500.0)  # over the reviewer's threshold: a human decides
    return store.submit(p, review(p, RULES, SCOPE), reviewer="master-architect")


def test_a_request_made_on_one_machine_is_decided_and_verified_on_another(aws, tmp_path):
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    a.init_key()
    record = pending_request(a)
    assert record.status == "pending"
    decided = b.decide(record.id, approve=True, by="human:alice")
    assert a.load(record.id).status == "approved" == decided.status
    assert [r.id for r in a.all()] == [record.id] == [r.id for r in b.all()]
    assert b.audit.query({"event": "approval.decided"})[0]["approval"] == record.id


def test_a_decision_that_lands_second_is_refused_even_between_read_and_write(aws, tmp_path):
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    a.init_key()
    record = pending_request(a)
    replace = a.records.replace

    def b_decides_first(*args, **kwargs):  # b's rejection lands between a's read and write
        b.decide(record.id, approve=False, by="human:bob")
        return replace(*args, **kwargs)

    a.records.replace = b_decides_first  # type: ignore[method-assign]
    with pytest.raises(ApprovalError, match="another decision or use of it landed first"):
        a.decide(record.id, approve=True, by="human:alice")
    assert b.load(record.id).status == "rejected"
    assert a.audit.query({"event": "approval.refused"})[0]["approval"] == record.id
    assert not a.audit.query({"event": "approval.decided"})


def test_an_approval_is_used_once_even_if_its_item_is_put_back(aws, tmp_path):
    a, b = machine(tmp_path, "a"), machine(tmp_path, "b")
    a.init_key()
    p = proposal()
    record = a.submit(p, review(p, RULES, SCOPE), reviewer="master-architect")
    assert record.status == "approved"
    client = dynamodb_client(REGION)
    key = {"pk": {"S": "approvals"}, "sk": {"S": f"record#{record.id}"}}
    saved = client.get_item(TableName=TABLE, Key=key)["Item"]
    assert a.consume(record.id, p).status == "consumed"
    client.put_item(TableName=TABLE, Item=saved)  # the approved item restored from a copy
    with pytest.raises(ApprovalError, match="already used"):
        b.consume(record.id, p)  # another machine, whose audit log never saw the use


def test_a_missing_or_weak_shared_key_refuses_and_is_never_minted_by_a_runner(aws, tmp_path):
    a = machine(tmp_path, "a")
    with pytest.raises(ApprovalError, match="init-approval-key"):
        pending_request(a)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name=SECRET, SecretString="00" * 16
    )
    with pytest.raises(ApprovalError, match="holds 16 bytes, fewer than 32"):
        pending_request(a)
    with pytest.raises(ApprovalError, match="holds 16 bytes"):
        a.init_key()  # not replaced either: a human fixes or removes it
    boto3.client("secretsmanager", region_name=REGION).put_secret_value(
        SecretId=SECRET, SecretString="ab" * 32
    )
    assert pending_request(a).status == "pending"
    with pytest.raises(ApprovalError, match="exists already"):
        a.init_key()
    (refused, *_) = a.audit.query({"event": "approval.key-refused"})
    assert refused["path"] == f"secretsmanager:{SECRET}"


def test_the_dynamodb_backend_requires_a_shared_key(tmp_path):
    with pytest.raises(ValueError, match="AGENTS_APPROVAL_KEY_SECRET"):
        AgentSettings(state_dir=tmp_path, lock_backend="dynamodb")


def test_a_damaged_item_refuses_its_stack_until_repair_moves_it_aside(aws, tmp_path):
    settings = AgentSettings(
        state_dir=tmp_path / "a",
        lock_backend="dynamodb",
        dynamodb_table=TABLE,
        dynamodb_region=REGION,
        approval_key_secret=SECRET,
    )
    audit = AuditLog(settings.audit_log)
    store = open_approvals(settings, audit)
    store.init_key()
    record = pending_request(store)
    client = dynamodb_client(REGION)
    key = {"pk": {"S": "approvals"}, "sk": {"S": f"record#{record.id}"}}
    item = client.get_item(TableName=TABLE, Key=key)["Item"]
    data = json.loads(item["record"]["S"])
    data["status"] = "approved"  # a forged decision: the signature no longer matches
    item["record"]["S"] = json.dumps(data)
    client.put_item(TableName=TABLE, Item=item)
    locks = open_backend(settings)
    (damage,) = [d for d in stack_damage(settings, locks, "prod") if d.kind == "approval"]
    assert "altered after it was signed" in damage.why and record.id in damage.path
    moved = repair(settings, locks, "prod", audit)
    assert [kept.read_text() for _, kept in moved] == [json.dumps(data)]
    assert "Item" not in client.get_item(TableName=TABLE, Key=key)
    assert not [d for d in stack_damage(settings, locks, "prod") if d.kind == "approval"]


# --- machines racing over a real (local) DynamoDB server ---------------------------------------


def _race_decide(where: tuple[str, str, str], approval_id: str, approve: bool, barrier, results):
    root, endpoint, name = where
    # a forkserver started by an earlier test has that test's environment, not this one's
    os.environ.update(AWS_ENV)
    store = machine(Path(root), name, endpoint)
    barrier.wait()
    try:
        store.decide(approval_id, approve=approve, by=f"human:{name}")
        results.put(("won", approve))
    except ApprovalError as exc:
        results.put(("refused", str(exc)))


@pytest.fixture(scope="module")
def local_dynamodb():
    with LocalDynamoDB() as db:
        yield db


@pytest.mark.slow  # processes racing on one store: `make test-slow` (CI runs it)
def test_machines_racing_approve_and_reject_make_exactly_one_decision(
    local_dynamodb, tmp_path, monkeypatch
):
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    endpoint = local_dynamodb.endpoint_url
    ensure_table(dynamodb_client(REGION, endpoint), TABLE)
    first = machine(tmp_path, "m0", endpoint)
    if first.check_key() is None:
        first.init_key()
    record = pending_request(first)
    # not fork: a test worker may hold threads whose locks a forked child inherits held
    ctx = multiprocessing.get_context("forkserver")
    barrier, results = ctx.Barrier(6, timeout=60), ctx.Queue()
    procs = [
        ctx.Process(
            target=_race_decide,
            args=((str(tmp_path), endpoint, f"m{i}"), record.id, i % 2 == 0, barrier, results),
        )
        for i in range(6)
    ]
    for proc in procs:
        proc.start()
    outcomes = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    winners = [o for o in outcomes if o[0] == "won"]
    assert len(winners) == 1, outcomes
    assert all(
        "not pending" in why or "landed first" in why for kind, why in outcomes if kind == "refused"
    ), outcomes
    final = first.load(record.id).status
    assert final == ("approved" if winners[0][1] else "rejected")
    decided = [
        line
        for i in range(6)
        for line in AuditLog(tmp_path / f"m{i}" / "audit.jsonl").query(
            {"event": "approval.decided"}
        )
    ]
    assert len(decided) == 1 and decided[0]["status"] == final
    assert os.path.exists(tmp_path / "m0" / "audit.jsonl")

"""What is particular to each backend: the file layout and its failure modes, the DynamoDB table
and its items, and choosing a backend from the settings."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from agents.protocol.backends import open_backend
from agents.protocol.locks import LockStoreError
from agents.protocol.locks.dynamodb import (
    TTL_ATTRIBUTE,
    DynamoDBLockBackend,
    dynamodb_client,
    ensure_table,
)
from agents.protocol.locks.file import FileLockBackend
from agents.protocol.settings import AgentSettings
from tests.agents.protocol.locks.support import REGION, FakeClock

STACK = "dev"


def take(backend, owner="a", **kw):
    options = {"persona": "release-engineer", "operation": "up", "priority": 100, **kw}
    return backend.acquire(STACK, owner=owner, ttl_s=30.0, wait_s=0.0, **options)


def test_file_state_is_one_json_document_per_stack(tmp_path):
    clock = FakeClock()
    backend = FileLockBackend(tmp_path, clock=clock, sleep=clock.sleep)
    lease = take(backend)
    backend.start_cooldown("release-engineer", STACK, "up", 900.0)
    backend.fenced_write(lease, "operation", {"status": "started"})
    state = json.loads((tmp_path / STACK / "state.json").read_text())
    assert state["last_token"] == 1 and state["lease"]["token"] == 1, state
    assert state["lease"]["owner"] == "a" and state["lease"]["request_id"], state
    assert state["cooldowns"] == {"release-engineer": {"up": clock.now + 900.0}}, state
    records = json.loads((tmp_path / STACK / "records.json").read_text())["records"]
    assert records["operation"]["token"] == 1, records
    backend.release(lease)
    state = json.loads((tmp_path / STACK / "state.json").read_text())
    assert state["lease"] is None and state["last_token"] == 1, "release must keep the counter"


def test_file_stack_names_with_a_slash_get_their_own_folder(tmp_path):
    backend = FileLockBackend(tmp_path)
    lease = backend.acquire(
        "acme/baseline/prod",
        owner="a",
        persona="release-engineer",
        operation="up",
        priority=100,
        ttl_s=30.0,
        wait_s=0.0,
    )
    assert (tmp_path / "acme%2Fbaseline%2Fprod" / "state.json").exists()
    assert backend.holder("acme/baseline/prod") == lease


def test_a_corrupt_state_file_is_reported_not_overwritten(tmp_path):
    backend = FileLockBackend(tmp_path)
    take(backend)
    state = tmp_path / STACK / "state.json"
    state.write_text("{not json")
    with pytest.raises(LockStoreError, match=r"state\.json: damaged lock state .*repair --stack"):
        take(backend, owner="b")
    assert state.read_text() == "{not json", f"{state}: overwritten"


def test_ensure_table_creates_a_pk_sk_table_with_ttl_once(aws_env):
    with mock_aws():
        client = dynamodb_client(REGION)
        assert ensure_table(client, "locks") is True
        assert ensure_table(client, "locks") is False
        table = client.describe_table(TableName="locks")["Table"]
        keys = {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]}
        assert keys == {"pk": "HASH", "sk": "RANGE"}, keys
        assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST", table
        ttl = client.describe_time_to_live(TableName="locks")["TimeToLiveDescription"]
        assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": TTL_ATTRIBUTE}, ttl


def test_ensure_table_refuses_a_table_with_other_keys(aws_env):
    with mock_aws():
        client = dynamodb_client(REGION)
        client.create_table(
            TableName="other",
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            BillingMode="PAY_PER_REQUEST",
        )
        with pytest.raises(LockStoreError, match="needs pk"):
            ensure_table(client, "other")


def test_a_missing_table_says_how_to_create_it(aws_env):
    with mock_aws():
        backend = DynamoDBLockBackend(dynamodb_client(REGION), "absent")
        with pytest.raises(LockStoreError, match=f"'absent' in {REGION} does not exist: create it"):
            take(backend)


def test_dynamodb_items_live_under_the_stack_partition(aws_env):
    clock = FakeClock()
    with mock_aws():
        client = dynamodb_client(REGION)
        ensure_table(client, "locks")
        backend = DynamoDBLockBackend(client, "locks", clock=clock, sleep=clock.sleep)
        lease = take(backend)
        backend.start_cooldown("release-engineer", STACK, "up", 900.0)
        backend.fenced_write(lease, "operation", {"status": "started"})
        table = boto3.resource("dynamodb", region_name=REGION).Table("locks")
        items = {i["sk"]: i for i in table.scan()["Items"]}
    assert set(items) == {"counter", "lease", "cooldown#release-engineer#up", "record#operation"}
    assert {i["pk"] for i in items.values()} == {f"stack#{STACK}"}
    assert items["counter"]["last_token"] == 1 and TTL_ATTRIBUTE not in items["counter"]
    assert items["lease"]["token"] == 1 and items["lease"][TTL_ATTRIBUTE] >= lease.expires_at
    assert TTL_ATTRIBUTE not in items["record#operation"], "records must not expire"
    assert json.loads(items["record#operation"]["value"]) == {"status": "started"}


def test_dynamodb_decisions_ignore_whether_ttl_deleted_an_item(aws_env):
    """An expired lease that TTL has not deleted yet is free, and so is one it has deleted."""
    clock = FakeClock()
    with mock_aws():
        client = dynamodb_client(REGION)
        ensure_table(client, "locks")
        backend = DynamoDBLockBackend(client, "locks", clock=clock, sleep=clock.sleep)
        first = take(backend)
        clock.advance(31.0)
        second = take(backend, owner="b")  # the expired item still there
        clock.advance(31.0)
        client.delete_item(TableName="locks", Key={"pk": {"S": "stack#dev"}, "sk": {"S": "lease"}})
        third = take(backend, owner="c")  # TTL deleted it
    assert first.token < second.token < third.token


def test_open_backend_follows_the_settings(tmp_path, aws_env):
    files = open_backend(AgentSettings(state_dir=tmp_path))
    assert isinstance(files, FileLockBackend) and files.root == tmp_path / "locks"
    with mock_aws():
        table = open_backend(
            AgentSettings(
                state_dir=tmp_path,
                lock_backend="dynamodb",
                dynamodb_table="t",
                approval_key_secret="baseline-agents/approval-key",
            )
        )
    assert isinstance(table, DynamoDBLockBackend) and table.table == "t"

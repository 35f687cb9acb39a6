"""Damaged lock state fails closed: every read checks shape and types, the stack is refused with
one line naming the file, and `repair` keeps the damaged file and writes a fresh state whose
fencing tokens stay above every token issued before."""

from __future__ import annotations

import json

import pytest
from moto import mock_aws

from agents.protocol.locks import LockStoreError, StaleLease
from agents.protocol.locks.dynamodb import (
    LEASE,
    RECORD,
    WAITER,
    DynamoDBLockBackend,
    _cooldown_sk,
    _key,
    dynamodb_client,
    ensure_table,
)
from agents.protocol.locks.file import FileLockBackend
from tests.agents.protocol.locks.support import REGION, FakeClock

STACK = "dev"
DEEP = "[" * 100_000 + "]" * 100_000  # nested past the decoder's depth (RecursionError)


def take(backend, owner="a"):
    return backend.acquire(
        STACK,
        owner=owner,
        persona="release-engineer",
        operation="up",
        priority=100,
        ttl_s=30.0,
        wait_s=0.0,
    )


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def backend(tmp_path, clock):
    return FileLockBackend(tmp_path, clock=clock, sleep=clock.sleep)


def rewrite(path, change):
    doc = json.loads(path.read_text())
    change(doc)
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("change", "why"),
    [
        (lambda d: d.update(last_token="7"), "last_token is not an integer"),
        (lambda d: d.update(last_token=True), "last_token is not an integer"),
        (lambda d: d.update(stack="prod"), "it is the state of stack 'prod'"),
        (lambda d: d["lease"].update(token=99), "lease.token is above last_token"),
        (lambda d: d["lease"].update(expires_at="never"), "lease.expires_at"),
        (lambda d: d["lease"].pop("owner"), "lease does not have exactly the fields"),
        (lambda d: d.update(waiters={}), "waiters is not a list"),
        (lambda d: d.update(cooldowns={"release-engineer": {"up": "soon"}}), "cooldowns"),
        (lambda d: d.update(cooldowns={"release-engineer": {"up": float("nan")}}), "cooldowns"),
        (lambda d: d.update(cooldowns=[]), "cooldowns is not a mapping"),
    ],
)
def test_a_state_of_the_wrong_shape_is_refused_naming_the_fault(backend, tmp_path, change, why):
    take(backend)
    state = tmp_path / STACK / "state.json"
    rewrite(state, change)
    damaged = state.read_text()
    for read in (
        lambda: backend.holder(STACK),
        lambda: backend.cooldown_remaining("release-engineer", STACK, "up"),
        lambda: take(backend, owner="b"),
    ):
        with pytest.raises(LockStoreError, match=why) as caught:
            read()
        assert "\n" not in str(caught.value) and f"repair --stack {STACK}" in str(caught.value)
    ((path, reason),) = backend.damage(STACK)
    assert path == state and why in reason
    assert state.read_text() == damaged, f"{state}: overwritten while damaged"


@pytest.mark.parametrize(
    "garbage",
    ["", "{", "\x00\x00\x00", "null", '{"version": 1}', pytest.param(DEEP, id="nested")],
)
def test_garbage_state_is_damage(backend, tmp_path, garbage):
    (tmp_path / STACK).mkdir()
    (tmp_path / STACK / "state.json").write_text(garbage)
    assert [p.name for p, _ in backend.damage(STACK)] == ["state.json"]


def test_a_missing_state_is_a_fresh_stack_not_damage(backend):
    assert backend.damage(STACK) == [] and backend.holder(STACK) is None


def test_repair_keeps_a_copy_and_tokens_stay_above_every_token_issued(backend, tmp_path, clock):
    for owner in "abc":  # tokens 1, 2, 3
        backend.release(take(backend, owner=owner))
    stale = take(backend, owner="d")  # token 4, still "held" when the file is damaged
    backend.fenced_write(stale, "operation", {"status": "started"})
    state = tmp_path / STACK / "state.json"
    state.write_text("\x00" * 10)  # nothing legible: the clock floor must keep tokens safe
    (moved,) = backend.repair(STACK)
    assert moved[0] == state and moved[1].name.startswith("state.json.damaged-")
    assert moved[1].read_text() == "\x00" * 10
    assert backend.damage(STACK) == []
    fresh = take(backend, owner="e")
    assert fresh.token > stale.token and fresh.token > int(clock() * 1000) - 1
    with pytest.raises(StaleLease):  # the old holder is fenced off
        backend.fenced_write(stale, "operation", {"status": "late"})


def test_repair_salvages_a_legible_last_token(tmp_path):
    backend = FileLockBackend(tmp_path, clock=lambda: 0.0)
    (tmp_path / STACK).mkdir()
    (tmp_path / STACK / "state.json").write_text('{"version": 1, "last_token": 41, "lea')
    backend.repair(STACK)
    assert take(backend).token == 42


def test_damaged_records_are_reported_and_repaired(backend, tmp_path):
    lease = take(backend)
    backend.fenced_write(lease, "operation", {"status": "started"})
    records = tmp_path / STACK / "records.json"
    rewrite(records, lambda d: d["records"]["operation"].update(token="1"))
    with pytest.raises(LockStoreError, match="damaged protected records"):
        backend.read_record(STACK, "operation")
    ((path, _),) = backend.damage(STACK)
    assert path == records
    (moved,) = backend.repair(STACK)
    assert moved[0] == records and moved[1].exists()
    assert backend.read_record(STACK, "operation") is None and backend.holder(STACK) == lease


@pytest.mark.parametrize("text", ["{", DEEP], ids=["cut", "nested past the decoder's depth"])
def test_records_that_are_not_json_are_reported_and_repaired(backend, tmp_path, text):
    lease = take(backend)
    records = tmp_path / STACK / "records.json"
    records.write_text(text)
    with pytest.raises(LockStoreError, match="cannot read the protected records"):
        backend.read_record(STACK, "operation")
    ((path, _),) = backend.damage(STACK)
    assert path == records
    (moved,) = backend.repair(STACK)
    assert moved[0] == records and moved[1].read_text() == text
    assert backend.read_record(STACK, "operation") is None and backend.holder(STACK) == lease


def test_repair_of_a_sound_stack_changes_nothing(backend, tmp_path):
    take(backend)
    before = (tmp_path / STACK / "state.json").read_text()
    assert backend.repair(STACK) == []
    assert (tmp_path / STACK / "state.json").read_text() == before


@pytest.mark.parametrize(
    ("sk", "attributes", "read"),
    [
        (LEASE, {"owner": {"S": "a"}}, lambda b: b.holder(STACK)),
        (
            LEASE,
            {"token": {"S": "seven"}, "expires_at": {"N": "99999999999"}},
            lambda b: b.holder(STACK),
        ),
        (WAITER + "r1", {"priority": {"S": "high"}}, lambda b: b.waiting(STACK)),
        (
            _cooldown_sk("release-engineer", "up"),
            {},
            lambda b: b.cooldown_remaining("release-engineer", STACK, "up"),
        ),
    ],
)
def test_a_malformed_dynamodb_item_refuses_the_stack(aws_env, sk, attributes, read):
    with mock_aws():
        client = dynamodb_client(REGION)
        ensure_table(client, "locks")
        client.put_item(TableName="locks", Item={**_key(STACK, sk), **attributes})
        backend = DynamoDBLockBackend(client, "locks")
        with pytest.raises(LockStoreError, match="missing or malformed") as caught:
            read(backend)
        assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", ["{", DEEP], ids=["cut", "nested past the decoder's depth"])
def test_a_dynamodb_record_whose_value_is_not_json_refuses_the_stack(aws_env, value):
    with mock_aws():
        client = dynamodb_client(REGION)
        ensure_table(client, "locks")
        item = {"value": {"S": value}, "token": {"N": "1"}, "written_at": {"N": "1.0"}}
        client.put_item(TableName="locks", Item={**_key(STACK, RECORD + "operation"), **item})
        backend = DynamoDBLockBackend(client, "locks")
        with pytest.raises(LockStoreError, match="'value' is missing or malformed") as caught:
            backend.read_record(STACK, "operation")
        assert "\n" not in str(caught.value)

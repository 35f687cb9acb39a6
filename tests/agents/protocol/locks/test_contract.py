"""The lock contract, run against each backend (files in a temporary folder; DynamoDB on moto).

Time-dependent cases run on a fake clock that only moves when a test (or the backend's sleep)
moves it; the cases that need two parties at once use threads on the real clock, and wait for
states (a waiter registered, a thread done), never for durations.
"""

from __future__ import annotations

import threading
from functools import partial

import pytest

from agents.protocol.locks import Lease, LeaseLost, LockBackend, LockError, LockTimeout, StaleLease
from agents.protocol.locks.dynamodb import DynamoDBLockBackend
from agents.protocol.locks.file import FileLockBackend
from agents.protocol.locks.keeper import LeaseKeeper
from tests.agents.protocol.locks.support import wait_until

STACK = "dev"


def take(backend, owner: str, *, persona: str = "release-engineer", priority: int = 100, **kw):
    options = {"ttl_s": 30.0, "wait_s": 0.0, "poll_s": 0.01, "operation": "up", **kw}
    return backend.acquire(STACK, owner=owner, persona=persona, priority=priority, **options)


def test_acquire_gives_a_lease_and_release_frees_the_stack(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(backend, "a")
    assert lease.token == 1 and lease.owner == "a", lease
    assert lease.expires_at == clock.now + 30.0, lease
    assert backend.holder(STACK) == lease, f"{STACK}: holder is not the new lease"
    backend.release(lease)
    assert backend.holder(STACK) is None, f"{STACK}: still held after release"
    backend.release(lease)  # idempotent


def test_a_second_owner_waits_and_gets_the_stack_after_release(make_backend):
    backend = make_backend()
    first = take(backend, "a")
    got: dict[str, Lease] = {}

    def wait_for_it() -> None:
        got["lease"] = take(backend, "b", wait_s=60.0)

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    try:
        wait_until(lambda: backend.waiting(STACK), f"{STACK}: b registered as a waiter")
        holder = backend.holder(STACK)
        assert holder is not None and holder.owner == "a", f"{STACK}: the waiter took the stack"
    finally:
        backend.release(first)
        waiter.join(60)
    second = got["lease"]
    assert second.owner == "b" and second.token > first.token, second
    assert backend.waiting(STACK) == [], f"{STACK}: the waiter's entry outlived its acquisition"


def test_an_expired_lease_is_taken_over_with_a_higher_token(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    old = take(backend, "a", ttl_s=10.0)
    clock.advance(10.0)
    assert backend.holder(STACK) is None, f"{STACK}: an expired lease still counts as held"
    new = take(backend, "b", persona="cost-optimizer", priority=20)
    assert new.owner == "b" and new.token > old.token, new


def test_tokens_keep_increasing_across_backend_instances(make_backend, clock):
    first = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(first, "a")
    first.release(lease)
    restarted = make_backend(clock=clock, sleep=clock.sleep)
    again = take(restarted, "b")
    assert again.token == lease.token + 1, f"{STACK}: token {again.token} after {lease.token}"


def test_renew_extends_the_lease(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(backend, "a", ttl_s=10.0)
    clock.advance(6.0)
    renewed = backend.renew(lease, 10.0)
    assert renewed.token == lease.token and renewed.expires_at == clock.now + 10.0, renewed
    clock.advance(6.0)  # past the first expiry, within the renewed one
    backend.check(renewed)
    backend.check(lease)  # the same lease (token and owner), whichever copy the caller holds
    holder = backend.holder(STACK)
    assert holder is not None and holder.expires_at == renewed.expires_at, holder


def test_renew_of_a_superseded_lease_fails(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    old = take(backend, "a", ttl_s=10.0)
    clock.advance(11.0)
    new = take(backend, "b")
    with pytest.raises(LeaseLost, match=f"held by b with token {new.token}"):
        backend.renew(old, 10.0)
    assert backend.holder(STACK) == new, f"{STACK}: a failed renewal changed the holder"


def test_renew_of_an_expired_lease_fails_even_if_nobody_took_the_stack(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(backend, "a", ttl_s=10.0)
    clock.advance(10.0)
    with pytest.raises(LeaseLost):
        backend.renew(lease, 10.0)


def test_releasing_a_superseded_lease_leaves_the_new_holder(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    old = take(backend, "a", ttl_s=10.0)
    clock.advance(11.0)
    new = take(backend, "b")
    backend.release(old)
    assert backend.holder(STACK) == new, f"{STACK}: releasing a stale lease freed the stack"


def test_fenced_write_refuses_a_stale_token_and_accepts_the_current_one(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    old = take(backend, "a", ttl_s=10.0)
    backend.fenced_write(old, "operation", {"step": "begin", "token": old.token})
    clock.advance(11.0)
    new = take(backend, "b")
    with pytest.raises(StaleLease, match=f"token {old.token} of a is no longer current"):
        backend.fenced_write(old, "operation", {"step": "late"})
    with pytest.raises(StaleLease):
        backend.check(old)
    backend.fenced_write(new, "operation", {"step": "begin", "token": new.token})
    record = backend.read_record(STACK, "operation")
    assert record is not None and record.token == new.token, record
    assert record.value == {"step": "begin", "token": new.token}, record


def test_fenced_write_refuses_an_expired_lease_before_any_takeover(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(backend, "a", ttl_s=10.0)
    clock.advance(10.0)
    with pytest.raises(StaleLease, match="no current lease"):
        backend.fenced_write(lease, "operation", {"step": "end"})
    assert backend.read_record(STACK, "operation") is None, f"{STACK}: a refused write was kept"


def test_waiters_get_the_stack_in_priority_order(make_backend):
    backend = make_backend()
    held = take(backend, "holder")
    order: list[str] = []
    # Enqueued lowest first, so that priority, not arrival, decides; two share a priority.
    requests = [
        ("cost", "cost-optimizer", 20),
        ("steward-1", "data-steward", 40),
        ("release", "release-engineer", 100),
        ("steward-2", "data-steward", 40),
    ]

    def run(owner: str, persona: str, priority: int) -> None:
        lease = take(backend, owner, persona=persona, priority=priority, wait_s=60.0)
        order.append(owner)
        backend.release(lease)

    threads = []
    try:
        for i, (owner, persona, priority) in enumerate(requests, start=1):
            thread = threading.Thread(target=run, args=(owner, persona, priority))
            thread.start()
            threads.append(thread)
            wait_until(partial(_queued, backend, i), f"{STACK}: {owner} queued")
        queue = [w.owner for w in backend.waiting(STACK)]
    finally:
        backend.release(held)
        for thread in threads:
            thread.join(60)
    assert queue == ["release", "steward-1", "steward-2", "cost"], f"{STACK}: queue {queue}"
    assert order == ["release", "steward-1", "steward-2", "cost"], f"{STACK}: served {order}"


def test_a_higher_priority_waiter_does_not_preempt_a_held_lease(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    low = take(backend, "low", persona="cost-optimizer", priority=20, ttl_s=100.0)
    with pytest.raises(LockTimeout):
        take(backend, "high", priority=100, wait_s=50.0, poll_s=1.0)
    backend.check(low)
    assert backend.holder(STACK) == low, f"{STACK}: the higher-priority request took the lease"


def test_a_newcomer_does_not_jump_a_live_waiter_and_a_dead_waiter_expires(
    make_backend, clock, monkeypatch
):
    backend = make_backend(clock=clock, waiter_ttl_s=20.0)
    held = take(backend, "holder", ttl_s=100.0)

    class Crash(Exception):
        pass

    def die(_: float) -> None:
        raise Crash

    # A waiter whose process dies: it registers, then never polls (nor withdraws) again.
    monkeypatch.setattr(backend, "sleep", die)
    monkeypatch.setattr(backend, "_withdraw", lambda stack, request_id: None)
    with pytest.raises(Crash):
        take(backend, "dead", persona="reliability-engineer", priority=90, wait_s=60.0)
    monkeypatch.undo()
    assert [w.owner for w in backend.waiting(STACK)] == ["dead"], f"{STACK}: waiter not queued"

    backend.release(held)
    with pytest.raises(LockTimeout, match="higher-priority requests were ahead"):
        take(backend, "newcomer", persona="cost-optimizer", priority=20)
    clock.advance(20.0)  # the dead waiter's heartbeat lapses
    assert backend.waiting(STACK) == [], f"{STACK}: a lapsed waiter is still listed"
    lease = take(backend, "newcomer", persona="cost-optimizer", priority=20)
    assert lease.owner == "newcomer", lease


def test_lock_timeout_after_wait_s_withdraws_the_request(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    held = take(backend, "a", ttl_s=1000.0)
    started = clock.now
    with pytest.raises(LockTimeout, match=r"held by release-engineer \(a, up, token 1\)"):
        take(backend, "b", wait_s=5.0, poll_s=1.0)
    assert clock.now >= started + 5.0, f"{STACK}: gave up before wait_s"
    assert backend.waiting(STACK) == [], f"{STACK}: a timed-out request is still queued"
    assert backend.holder(STACK) == held


def test_wait_zero_tries_once_and_never_queues(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    take(backend, "a")
    with pytest.raises(LockTimeout):
        take(backend, "b", wait_s=0.0)
    assert backend.waiting(STACK) == []


def test_cooldowns_persist_across_backend_instances(make_backend, clock):
    first = make_backend(clock=clock, sleep=clock.sleep)
    first.start_cooldown("release-engineer", STACK, "up", 900.0)
    restarted = make_backend(clock=clock, sleep=clock.sleep)
    assert restarted.cooldown_remaining("release-engineer", STACK, "up") == 900.0
    clock.advance(600.0)
    assert restarted.cooldown_remaining("release-engineer", STACK, "up") == 300.0
    restarted.start_cooldown("release-engineer", STACK, "up", 60.0)  # never shortens
    assert restarted.cooldown_remaining("release-engineer", STACK, "up") == 300.0
    # Keyed by persona, stack and operation.
    assert restarted.cooldown_remaining("release-engineer", STACK, "preview") == 0.0
    assert restarted.cooldown_remaining("release-engineer", "prod", "up") == 0.0
    assert restarted.cooldown_remaining("cost-optimizer", STACK, "up") == 0.0
    clock.advance(300.0)
    assert restarted.cooldown_remaining("release-engineer", STACK, "up") == 0.0


def test_bad_names_are_refused_before_touching_storage(make_backend):
    backend = make_backend()
    for stack in ("", "../etc", "a b"):
        with pytest.raises(LockError, match="stack name"):
            backend.acquire(
                stack, owner="a", persona="p", operation="up", priority=1, ttl_s=1, wait_s=0
            )
    with pytest.raises(LockError, match="ttl_s"):
        take(backend, "a", ttl_s=0.0)


def test_a_lease_keeper_renews_until_stopped(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(backend, "a", ttl_s=10.0)
    with LeaseKeeper(backend, lease, 10.0, every_s=0.005) as keeper:
        for _ in range(3):
            clock.advance(8.0)  # each step would outlive an unrenewed lease
            # Two more renewals: the second surely read the clock after it moved.
            wait_until(partial(_renewed, keeper, keeper.renewals + 2), f"{STACK}: renewals")
        backend.check(lease)
        assert keeper.lease.expires_at > lease.expires_at, keeper.lease
    assert not keeper.lost.is_set()


def test_a_lease_keeper_reports_a_lost_lease(make_backend, clock):
    backend = make_backend(clock=clock, sleep=clock.sleep)
    lease = take(backend, "a", ttl_s=10.0)
    with LeaseKeeper(backend, lease, 10.0, every_s=0.005) as keeper:
        backend.release(lease)
        take(backend, "b")
        wait_until(keeper.lost.is_set, f"{STACK}: the keeper noticed the takeover")
    assert isinstance(keeper.error, LeaseLost), keeper.error


def test_waiting_lists_live_waiters_in_queue_order(make_backend):
    backend = make_backend()
    held = take(backend, "holder")
    thread = threading.Thread(target=lambda: backend.release(take_waiting(backend)))
    thread.start()
    try:
        (waiter,) = wait_until(lambda: backend.waiting(STACK), f"{STACK}: a waiter")
    finally:
        backend.release(held)
        thread.join(60)
    assert (waiter.owner, waiter.persona, waiter.priority) == ("w", "data-steward", 40), waiter
    assert waiter.operation == "up" and waiter.stack == STACK, waiter
    assert waiter.heartbeat_at >= waiter.enqueued_at, waiter
    assert waiter.expires_at > waiter.heartbeat_at, waiter


def take_waiting(backend) -> Lease:
    return take(backend, "w", persona="data-steward", priority=40, wait_s=60.0)


def _queued(backend, count: int) -> bool:
    return len(backend.waiting(STACK)) == count


def _renewed(keeper: LeaseKeeper, count: int) -> bool:
    return keeper.renewals >= count


def _both_backends_implement_the_protocol(
    files: FileLockBackend, table: DynamoDBLockBackend
) -> list[LockBackend]:
    """Never called: mypy checks that each backend is a `LockBackend`."""
    return [files, table]

"""A holder killed with SIGKILL mid-operation (while appending audit lines, writing fenced records
and renewing a 1 s lease): the next agent takes the stack once the lease expires, the dead holder's
saved lease is refused everywhere, the lock state is whole, and no audit line is torn."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal

import pytest

from agents.protocol.audit import AuditLog
from agents.protocol.locks import Lease, LeaseLost, StaleLease, new_owner
from tests.agents.protocol.locks import workers
from tests.agents.protocol.locks.support import wait_until

STACK = workers.STACK
LEASE_TTL_S = 1.0
LINES_BEFORE_KILL = 40


@pytest.mark.parametrize(
    "shared_store", ["file", pytest.param("dynamodb", marks=pytest.mark.slow)], indirect=True
)
def test_a_killed_holder_is_taken_over_and_fenced_off(shared_store, tmp_path):
    audit_path = tmp_path / "audit.jsonl"
    lease_file = tmp_path / "holder-lease.json"
    spec = {
        **shared_store,
        "audit": str(audit_path),
        "lease_file": str(lease_file),
        "ttl_s": LEASE_TTL_S,
    }
    ctx = multiprocessing.get_context("spawn")
    holder = ctx.Process(target=workers.hold_until_killed, args=(spec,))
    holder.start()
    try:
        wait_until(
            lambda: lease_file.exists() and _line_count(audit_path) >= LINES_BEFORE_KILL,
            "the holder to take the stack and write audit lines",
        )
    finally:
        if holder.pid is not None and holder.is_alive():
            os.kill(holder.pid, signal.SIGKILL)
        holder.join(30)
    assert holder.exitcode == -signal.SIGKILL, f"{STACK}: holder exit code {holder.exitcode}"
    dead = Lease.from_dict(json.loads(lease_file.read_text()))

    backend = workers.backend_for(shared_store)  # another agent, started after the crash
    lease = backend.acquire(
        STACK,
        owner=new_owner("reliability-engineer"),
        persona="reliability-engineer",
        operation="drift-check",
        priority=90,
        ttl_s=30.0,
        wait_s=60.0,
        poll_s=0.05,
    )
    assert lease.token > dead.token, f"{STACK}: token {lease.token} after {dead.token}"

    # The dead holder's late actions, with its saved lease, are all refused.
    with pytest.raises(StaleLease, match=f"held by {lease.owner}"):
        backend.fenced_write(dead, "progress", {"step": "late", "token": dead.token})
    with pytest.raises(StaleLease):
        backend.check(dead)
    with pytest.raises(LeaseLost):
        backend.renew(dead, LEASE_TTL_S)
    backend.release(dead)
    assert backend.holder(STACK) == lease, f"{STACK}: the dead holder's release freed the stack"
    record = backend.read_record(STACK, "progress")
    assert record is not None and record.token == dead.token, record
    assert record.value["step"] != "late", f"{STACK}: a refused write was stored: {record}"
    backend.fenced_write(lease, "progress", {"step": 0, "token": lease.token})

    audit = AuditLog(audit_path)
    audit.append("op.start", stack=STACK, persona=lease.persona, token=lease.token)
    raw = audit_path.read_bytes()
    assert raw.endswith(b"\n"), f"{audit_path}: ends inside a line"
    # Records are framed by newlines on both sides; empty lines are the framing.
    lines = [line for line in raw.split(b"\n")[:-1] if line]
    parsed = [json.loads(line) for line in lines]  # every line is a whole JSON document
    assert len(list(audit.records())) == len(lines), "the reader skipped or split a line"
    progress = [r for r in parsed if r["event"] == "op.progress"]
    assert len(progress) >= LINES_BEFORE_KILL and {r["token"] for r in progress} == {dead.token}
    assert [r["step"] for r in progress] == list(range(len(progress))), "a line went missing"
    assert parsed[-1]["event"] == "op.start" and parsed[-1]["token"] == lease.token
    backend.release(lease)


def _line_count(path) -> int:
    try:
        return sum(1 for line in path.read_bytes().split(b"\n") if line.strip())
    except FileNotFoundError:
        return 0

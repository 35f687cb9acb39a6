"""What the processes of the contention and crash tests run (started with the spawn context, so
this module stays importable on its own and light).

A `spec` is a plain dict: the store (`backend` "file" with `locks_dir`, or "dynamodb" with
`endpoint` and `table`), the shared `audit` log path, and the role's parameters.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from agents.protocol.audit import AuditLog
from agents.protocol.locks import new_owner
from agents.protocol.locks.base import PollingBackend
from agents.protocol.locks.file import FileLockBackend
from toolchain.inputs import write_atomic

STACK = "dev"
REGION = "us-east-1"


def backend_for(spec: dict[str, Any]) -> PollingBackend:
    if spec["backend"] == "file":
        return FileLockBackend(Path(spec["locks_dir"]))
    from agents.protocol.locks.dynamodb import DynamoDBLockBackend, dynamodb_client  # noqa: PLC0415

    return DynamoDBLockBackend(dynamodb_client(REGION, spec["endpoint"]), spec["table"])


def contend(spec: dict[str, Any], barrier: Any) -> None:
    """One agent: cycle through the persona's operations on one stack until the run ends. An
    operation runs only under the lease and outside its cooldown; its start, end (or skip, when the
    cooldown turned out to be running once the lease was held) and every queueing go to the
    shared audit log, with `at` = time.time(), the clock the backends use."""
    backend = backend_for(spec)
    audit = AuditLog(Path(spec["audit"]))
    persona, priority = spec["persona"], spec["priority"]
    cooldowns: dict[str, float] = spec["cooldowns"]
    operations = list(cooldowns)
    owner = new_owner(persona)
    common = {"stack": STACK, "persona": persona, "priority": priority, "owner": owner}
    barrier.wait()
    stop_at = time.time() + spec["run_s"]
    turn = 0
    while time.time() < stop_at:
        operation = operations[turn % len(operations)]
        turn += 1
        if backend.cooldown_remaining(persona, STACK, operation) > 0:
            if turn % len(operations) == 0:  # everything cooling down: do not spin
                time.sleep(0.01)
            continue
        request: dict[str, str] = {}

        def queued(waiter: Any, op: str = operation, request: dict[str, str] = request) -> None:
            request["id"] = waiter.request_id
            audit.append(
                "lock.queued", at=time.time(), request_id=waiter.request_id, operation=op, **common
            )

        lease = backend.acquire(
            STACK,
            owner=owner,
            persona=persona,
            operation=operation,
            priority=priority,
            ttl_s=60.0,
            wait_s=120.0,
            poll_s=spec["poll_s"],
            on_queued=queued,
        )
        fields = {
            **common,
            "operation": operation,
            "token": lease.token,
            "request_id": request.get("id"),
        }
        try:
            if backend.cooldown_remaining(persona, STACK, operation) > 0:
                audit.append("op.skip", at=time.time(), **fields)
                continue
            audit.append("op.start", at=time.time(), **fields)
            backend.start_cooldown(persona, STACK, operation, cooldowns[operation])
            backend.fenced_write(lease, "last-operation", {"token": lease.token, "owner": owner})
            time.sleep(spec["work_s"])
            backend.check(lease)
            audit.append("op.end", at=time.time(), **fields)
        finally:
            backend.release(lease)


def hold_until_killed(spec: dict[str, Any]) -> None:
    """A holder that never lets go: takes the stack, saves its lease for the test, then appends
    audit lines, writes fenced records and renews (short TTL), until it is killed."""
    backend = backend_for(spec)
    audit = AuditLog(Path(spec["audit"]))
    persona = "release-engineer"
    lease = backend.acquire(
        STACK,
        owner=new_owner(persona),
        persona=persona,
        operation="up",
        priority=100,
        ttl_s=spec["ttl_s"],
        wait_s=60.0,
        poll_s=0.05,
    )
    write_atomic(spec["lease_file"], json.dumps(lease.as_dict()))
    step = 0
    while True:
        audit.append(
            "op.progress",
            stack=STACK,
            persona=persona,
            token=lease.token,
            step=step,
            detail="resource update " + "x" * (step * 37 % 400),
        )
        backend.fenced_write(lease, "progress", {"step": step, "token": lease.token})
        lease = backend.renew(lease, spec["ttl_s"])
        step += 1

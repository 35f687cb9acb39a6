"""The agents' coordination protocol: one lease per stack, fencing tokens, a priority-ordered
queue of waiters, and cooldowns that outlive the process.

Leases
    `acquire` gives one owner a `Lease` on a stack for `ttl_s` seconds; `renew` extends it (from
    now, by `ttl_s`) while it is still current and unexpired, `release` ends it. A lease that is
    not renewed expires, and the next acquirer takes the stack over: an operation in flight is
    never preempted, but a holder that stops renewing (crashed, hung, partitioned) loses the stack.

Fencing tokens
    Every lease carries `token`, an integer that strictly increases per stack and is never reused:
    the backend persists the last token issued (a counter that is never deleted), so it survives
    restarts. A lease is *current* while its token is the stack's latest and it has not expired.
    `fenced_write(lease, key, value)` writes to the stack's protected record store only if the
    lease is current, atomically with that check, and refuses otherwise with `StaleLease`: a
    holder that paused past its expiry cannot act once it wakes, even though it still believes it
    holds the stack. The runner records each step of an operation through it (before calling the
    gateway and with the result), so a stale holder is stopped at the point of effect, not only
    when it starts. `read_record` returns a record with the token that wrote it.

Waiting
    A request that cannot take the stack registers itself as a `Waiter` (request id, persona,
    priority, enqueued time, heartbeat) and polls every `poll_s`. When the stack is free, only the
    highest-priority live waiter may take it (ties: the earliest enqueued, then the request id); a
    request that arrives while the stack is free takes it only if it outranks every live waiter,
    ranking as enqueued *now* (so it loses ties). A waiter refreshes its heartbeat a few times per
    `waiter_ttl`; one that stops (its process died) expires after `max(waiter_ttl_s, 4 * poll_s)`
    and stops blocking the queue. A waiter that lapses and comes back re-registers at the back of
    its priority. Priority only orders the queue: it never takes a held, unexpired lease. The
    order is strict, so a low-priority persona waits while higher ones keep asking; their
    cooldowns are what bound that.

Cooldowns
    `start_cooldown(persona, stack, operation, seconds)` records that the persona may not run the
    operation on the stack again for `seconds`; `cooldown_remaining` reads it. They are stored by
    the backend, so a restarted agent sees them. Starting a shorter cooldown never shortens a
    longer one.

Clocks
    All expiry decisions compare timestamps from the backend's clock function (`time.time` unless a
    test passes another): the lease's `expires_at` is written by the acquirer and compared by the
    next one. With the file backend every process is on one machine and reads one clock. With
    DynamoDB (no server-side clock in conditions) the processes may be on several machines: a
    holder whose clock runs behind believes its lease lasts longer than the others do, by the
    skew. The lease TTL and the renewal margin must therefore far exceed the expected skew (NTP
    keeps it within milliseconds; the default TTL is 900 s, renewed every third of it).

Using it (the runner)
    1. `cooldown_remaining(...) > 0`: refuse at once, without queueing.
    2. `acquire(stack, owner=new_owner(persona) (once per agent run), persona, operation,
       priority=persona.priority, ttl_s=settings.lease_ttl_s, wait_s=settings.lock_wait_s)`.
    3. Under the lease: check the cooldown again (another process of the same persona may have
       run the operation while this one waited); keep the lease alive with
       `agents.protocol.locks.keeper.LeaseKeeper` (renews every third of the TTL); write each step
       with
       `fenced_write`, and stop at `StaleLease` or `keeper.lost`.
    4. `start_cooldown(...)` once the operation has started (a crash then still counts as a run).
    5. `release(keeper.lease)` in a `finally`.

Backends
    `FileLockBackend` (`agents.protocol.locks.file`, the default: one machine, a folder of small
    JSON files
    under `<state_dir>/locks/`) and `DynamoDBLockBackend` (`agents.protocol.locks.dynamodb`: one
    table shared
    by agents on several machines). Both pass the same contract tests; `open_backend(settings)`
    builds the configured one.
"""

from __future__ import annotations

import math
import os
import re
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from agents import AgentsError

Clock = Callable[[], float]
Sleep = Callable[[float], None]

# Pulumi stack names ([org/][project/]stack): letters, digits, `-`, `_`, `.`, `/`.
_STACK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,199}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")
_RECORD_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-:/]{0,199}$")


class LockError(AgentsError):
    """Base of the coordination protocol's errors."""


class LockTimeout(LockError):
    """The stack stayed held (or others stayed ahead in the queue) for the whole wait."""

    def __init__(self, stack: str, wait_s: float, holder: Lease | None) -> None:
        held = (
            f"held by {holder.persona} ({holder.owner}, {holder.operation}, token {holder.token})"
            if holder
            else "free, but higher-priority requests were ahead in the queue"
        )
        super().__init__(
            f"stack {stack!r}: not acquired within {wait_s:g} s; it is {held}. Retry later, or "
            "raise AGENTS_LOCK_WAIT_S"
        )
        self.stack = stack
        self.holder = holder


class LeaseLost(LockError):
    """A renewal failed: the lease expired or another owner took the stack over. Stop acting on
    the stack: anything more would be refused by the fencing token."""


class StaleLease(LockError):
    """The lease is not the stack's current, unexpired lease; the action was refused."""


class LockStoreError(LockError):
    """The backend's storage is unusable (a corrupt state file, a missing table, no access)."""


class LockUnavailable(LockStoreError):
    """The backend cannot be reached or used at all (no network path to DynamoDB, no
    credentials, no table): nothing to repair in the state, everything refuses until it is back."""


@dataclass(frozen=True)
class Lease:
    stack: str
    owner: str
    persona: str
    operation: str
    token: int
    acquired_at: float
    expires_at: float

    def remaining(self, now: float | None = None) -> float:
        """Seconds until the lease expires (by its own record; the backend has the last word)."""
        return self.expires_at - (time.time() if now is None else now)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lease:
        return cls(
            stack=str(data["stack"]),
            owner=str(data["owner"]),
            persona=str(data["persona"]),
            operation=str(data["operation"]),
            token=int(data["token"]),
            acquired_at=float(data["acquired_at"]),
            expires_at=float(data["expires_at"]),
        )


@dataclass(frozen=True)
class Waiter:
    request_id: str
    stack: str
    owner: str
    persona: str
    operation: str
    priority: int
    enqueued_at: float
    heartbeat_at: float
    expires_at: float

    def rank(self) -> tuple[int, float, str]:
        """Queue order: higher priority first, then the earliest enqueued, then the request id."""
        return (-self.priority, self.enqueued_at, self.request_id)

    def live(self, now: float) -> bool:
        return self.expires_at > now


@dataclass(frozen=True)
class Record:
    """One entry of a stack's protected record store, with the token of the lease that wrote it."""

    stack: str
    key: str
    value: Any
    token: int
    written_at: float


class LockBackend(Protocol):
    """What the agents need from a lock store; see the module docstring for the semantics."""

    def acquire(
        self,
        stack: str,
        *,
        owner: str,
        persona: str,
        operation: str,
        priority: int,
        ttl_s: float,
        wait_s: float,
        poll_s: float = 1.0,
        on_queued: Callable[[Waiter], None] | None = None,
    ) -> Lease:
        """Take the stack, waiting up to `wait_s` in priority order; `LockTimeout` otherwise.
        `on_queued` is called each time the request (re-)registers as a waiter."""
        ...

    def renew(self, lease: Lease, ttl_s: float) -> Lease:
        """The lease extended to now + `ttl_s`; `LeaseLost` if it expired or was superseded."""
        ...

    def release(self, lease: Lease) -> None:
        """End the lease if it is still the stack's lease; otherwise do nothing."""
        ...

    def holder(self, stack: str) -> Lease | None:
        """The stack's current, unexpired lease."""
        ...

    def check(self, lease: Lease) -> None:
        """Raise `StaleLease` unless `lease` is the stack's current, unexpired lease."""
        ...

    def fenced_write(self, lease: Lease, key: str, value: Any) -> None:
        """Store a JSON-serialisable `value` under `key` in the stack's record store, atomically
        with checking that `lease` is current; `StaleLease` otherwise."""
        ...

    def read_record(self, stack: str, key: str) -> Record | None: ...

    def waiting(self, stack: str) -> list[Waiter]:
        """The live waiters of a stack, in queue order."""
        ...

    def cooldown_remaining(self, persona: str, stack: str, operation: str) -> float: ...

    def start_cooldown(self, persona: str, stack: str, operation: str, seconds: float) -> None: ...


def new_owner(persona: str) -> str:
    """A unique owner id for one agent run: persona, host, process and a random suffix."""
    return f"{persona}@{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def check_stack(stack: str) -> str:
    if not isinstance(stack, str) or not _STACK.match(stack) or ".." in stack:
        raise LockError(
            f"stack name {stack!r}: expected letters, digits, '-', '_', '.' and '/' (a Pulumi "
            "stack name), at most 200 characters"
        )
    return stack


def check_name(kind: str, value: str) -> str:
    """Persona and operation names become parts of keys: keep them plain."""
    if not isinstance(value, str) or not _NAME.match(value):
        raise LockError(f"{kind} {value!r}: expected letters, digits, '-', '_' and '.'")
    return value


def check_record_key(key: str) -> str:
    if not isinstance(key, str) or not _RECORD_KEY.match(key):
        raise LockError(f"record key {key!r}: expected letters, digits and '-_.:/'")
    return key


def check_positive(name: str, value: float) -> float:
    if not (value > 0 and math.isfinite(value)):
        raise LockError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


__all__ = [
    "Clock",
    "Lease",
    "LeaseLost",
    "LockBackend",
    "LockError",
    "LockStoreError",
    "LockTimeout",
    "LockUnavailable",
    "Record",
    "Sleep",
    "StaleLease",
    "Waiter",
    "new_owner",
    "open_backend",
]

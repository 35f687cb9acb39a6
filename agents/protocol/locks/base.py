"""The waiting loop both backends share; each backend supplies four atomic steps.

`acquire` repeats, every `poll_s` (with ±10 % jitter so that waiters do not poll in step):

1. `_try_take(request)`: atomically, take the stack if it is free (no lease, or an expired one)
   and no live waiter outranks this request; the new lease gets the next token and the
   request's waiter entry (if any) is removed in the same step.
2. If the wait is over, withdraw and raise `LockTimeout` (a request with `wait_s=0` tries once and
   never registers).
3. Otherwise register as a waiter (`_register`) the first time, and refresh the heartbeat
   (`_heartbeat`) every quarter of the waiter TTL; a heartbeat that finds the entry lapsed
   registers again, at the back of its priority.

On any exit without a lease (timeout, an exception, KeyboardInterrupt) the waiter entry is
withdrawn, so a waiter that leaves cleanly never blocks the queue; one that dies without
withdrawing stops blocking it once its heartbeat expires.
"""

from __future__ import annotations

import contextlib
import random
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from agents.protocol.locks import (
    Clock,
    Lease,
    LockTimeout,
    Record,
    Sleep,
    Waiter,
    check_name,
    check_positive,
    check_stack,
)

DEFAULT_WAITER_TTL_S = 10.0


@dataclass(frozen=True)
class LockRequest:
    """One call of `acquire`; `request_id` names its waiter entry."""

    request_id: str
    stack: str
    owner: str
    persona: str
    operation: str
    priority: int
    ttl_s: float
    waiter_ttl_s: float

    def newcomer_rank(self, now: float) -> tuple[int, float, str]:
        """The rank of this request if it were enqueued now."""
        return (-self.priority, now, self.request_id)

    def lease(self, token: int, now: float) -> Lease:
        return Lease(
            stack=self.stack,
            owner=self.owner,
            persona=self.persona,
            operation=self.operation,
            token=token,
            acquired_at=now,
            expires_at=now + self.ttl_s,
        )

    def waiter(self, enqueued_at: float, now: float) -> Waiter:
        return Waiter(
            request_id=self.request_id,
            stack=self.stack,
            owner=self.owner,
            persona=self.persona,
            operation=self.operation,
            priority=self.priority,
            enqueued_at=enqueued_at,
            heartbeat_at=now,
            expires_at=now + self.waiter_ttl_s,
        )


def may_take(request: LockRequest, waiters: list[Waiter], now: float) -> tuple[bool, bool]:
    """(whether the request may take a free stack, whether it has a waiter entry to remove). A
    request whose entry lapsed ranks as a newcomer."""
    live = [w for w in waiters if w.live(now)]
    mine = next((w for w in live if w.request_id == request.request_id), None)
    rank = mine.rank() if mine else request.newcomer_rank(now)
    ahead = any(w.rank() < rank for w in live if w.request_id != request.request_id)
    has_entry = any(w.request_id == request.request_id for w in waiters)
    return not ahead, has_entry


def stale_message(lease: Lease, current: Lease | None) -> str:
    now_held = (
        f"the stack is now held by {current.owner} with token {current.token}"
        if current
        else "the stack has no current lease"
    )
    return (
        f"stack {lease.stack!r}: lease token {lease.token} of {lease.owner} is no longer current "
        f"({now_held}); stop acting on the stack and acquire it again"
    )


def lost_message(lease: Lease, current: Lease | None) -> str:
    return stale_message(lease, current).replace(
        "is no longer current", "expired or was superseded"
    )


class PollingBackend(ABC):
    """`acquire` on top of the backend's atomic steps; the rest of `LockBackend` is abstract."""

    def __init__(
        self,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        waiter_ttl_s: float = DEFAULT_WAITER_TTL_S,
    ) -> None:
        self.clock = clock
        self.sleep = sleep
        self.waiter_ttl_s = check_positive("waiter_ttl_s", waiter_ttl_s)

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
        check_stack(stack)
        check_name("persona", persona)
        check_name("operation", operation)
        check_positive("poll_s", poll_s)
        request = LockRequest(
            request_id=uuid.uuid4().hex,
            stack=stack,
            owner=owner,
            persona=persona,
            operation=operation,
            priority=int(priority),
            ttl_s=check_positive("ttl_s", ttl_s),
            waiter_ttl_s=max(self.waiter_ttl_s, 4 * poll_s),
        )
        deadline = self.clock() + max(0.0, wait_s)
        beat_every = request.waiter_ttl_s / 4
        registered = False
        last_beat = 0.0
        try:
            while True:
                lease = self._try_take(request)
                if lease is not None:
                    return lease
                now = self.clock()
                if now >= deadline:
                    self._give_up(stack, wait_s)
                waiter: Waiter | None = None
                if not registered:
                    waiter = self._register(request)
                    last_beat = now
                elif now - last_beat >= beat_every:
                    last_beat = now
                    if not self._heartbeat(request):
                        waiter = self._register(request)
                if waiter is not None:
                    registered = True
                    if on_queued is not None:
                        on_queued(waiter)
                pause = poll_s * random.uniform(0.9, 1.1)
                self.sleep(max(0.0, min(pause, deadline - now)))
        except BaseException:
            if registered:
                with contextlib.suppress(Exception):
                    self._withdraw(stack, request.request_id)
            raise

    def _give_up(self, stack: str, wait_s: float) -> NoReturn:
        raise LockTimeout(stack, wait_s, self.holder(stack))

    # The backend's atomic steps.

    @abstractmethod
    def _try_take(self, request: LockRequest) -> Lease | None: ...

    @abstractmethod
    def _register(self, request: LockRequest) -> Waiter: ...

    @abstractmethod
    def _heartbeat(self, request: LockRequest) -> bool:
        """Refresh the request's waiter entry; False if it was missing or had lapsed."""

    @abstractmethod
    def _withdraw(self, stack: str, request_id: str) -> None: ...

    # The rest of `LockBackend`.

    @abstractmethod
    def renew(self, lease: Lease, ttl_s: float) -> Lease: ...

    @abstractmethod
    def release(self, lease: Lease) -> None: ...

    @abstractmethod
    def holder(self, stack: str) -> Lease | None: ...

    @abstractmethod
    def check(self, lease: Lease) -> None: ...

    @abstractmethod
    def fenced_write(self, lease: Lease, key: str, value: Any) -> None: ...

    @abstractmethod
    def read_record(self, stack: str, key: str) -> Record | None: ...

    @abstractmethod
    def waiting(self, stack: str) -> list[Waiter]: ...

    @abstractmethod
    def cooldown_remaining(self, persona: str, stack: str, operation: str) -> float: ...

    @abstractmethod
    def start_cooldown(self, persona: str, stack: str, operation: str, seconds: float) -> None: ...

"""Helpers of the lock tests (importable by spawned processes: no pytest fixtures here)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

REGION = "us-east-1"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


class FakeClock:
    """A clock that moves only when told, or when the backend sleeps on it."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


class SerialClient:
    """A boto3 client whose calls take one lock. In-process moto is not atomic under threads (a
    thread can switch between a condition check and its write); real DynamoDB is, per request."""

    def __init__(self, client: Any, lock: threading.Lock, open_: threading.Event) -> None:
        self._client = client
        self._lock = lock
        self._open = open_

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            # A thread that outlives its test must not reach past the mock (to real AWS).
            if not self._open.is_set():
                raise RuntimeError("the test's moto mock has ended")
            with self._lock:
                return attr(*args, **kwargs)

        return call


def wait_until(condition: Callable[[], Any], what: str, timeout_s: float = 60.0) -> Any:
    """Poll `condition` until it is truthy; fail naming `what` if it never becomes so (a
    generous bound: a hang guard, not a timing assertion)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.01)

"""Circuit breakers per stack and operation, so a failing operation is not retried in a storm.

Built on pybreaker (a well-kept implementation of the pattern) with a storage of our own: agents
run as short-lived processes (`run --once`, cron, several machines share a file system or not), so
the breaker's state must outlive the process. `FileBreakerStorage` keeps each breaker in a small
JSON file under the state folder, written atomically; every change happens while the agent holds
the stack's lease, so there is one writer per stack at a time.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pybreaker

from agents.export import write_atomic


class FileBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage in a JSON file: state, failure and success counters, opened_at."""

    def __init__(self, path: Path) -> None:
        super().__init__(path.stem)
        self.path = path

    def _load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError):
            return {
                "state": pybreaker.STATE_CLOSED,
                "counter": 0,
                "success_counter": 0,
                "opened_at": None,
            }
        return data if isinstance(data, dict) else {}

    def _save(self, **changes: Any) -> None:
        data = {**self._load(), **changes}
        write_atomic(self.path, json.dumps(data, sort_keys=True) + "\n")

    @property
    def state(self) -> str:
        return str(self._load().get("state", pybreaker.STATE_CLOSED))

    @state.setter
    def state(self, state: str) -> None:
        self._save(state=state)

    def increment_counter(self) -> None:
        self._save(counter=self.counter + 1)

    def reset_counter(self) -> None:
        self._save(counter=0)

    def increment_success_counter(self) -> None:
        self._save(success_counter=self.success_counter + 1)

    def reset_success_counter(self) -> None:
        self._save(success_counter=0)

    @property
    def counter(self) -> int:
        return int(self._load().get("counter", 0))

    @property
    def success_counter(self) -> int:
        return int(self._load().get("success_counter", 0))

    @property
    def opened_at(self) -> datetime.datetime | None:
        raw = self._load().get("opened_at")
        return datetime.datetime.fromisoformat(raw) if raw else None

    @opened_at.setter
    def opened_at(self, value: datetime.datetime) -> None:
        self._save(opened_at=value.isoformat() if value else None)


def breaker(
    state_dir: Path, stack: str, operation: str, *, fail_max: int, reset_s: float
) -> pybreaker.CircuitBreaker:
    """The breaker of one stack and operation: open after `fail_max` failures in a row, half-open
    (one trial call) after `reset_s` seconds."""
    storage = FileBreakerStorage(state_dir / "breakers" / f"{stack}.{operation}.json")
    return pybreaker.CircuitBreaker(
        fail_max=fail_max, reset_timeout=reset_s, state_storage=storage, name=f"{stack}/{operation}"
    )


def breaker_states(state_dir: Path) -> list[dict[str, Any]]:
    """Every breaker's state, for `python -m agents status`."""
    found = []
    for path in sorted((state_dir / "breakers").glob("*.json")):
        storage = FileBreakerStorage(path)
        stack, _, operation = path.stem.partition(".")
        opened = storage.opened_at
        found.append(
            {
                "stack": stack,
                "operation": operation,
                "state": storage.state,
                "failures": storage.counter,
                "openedAt": opened.isoformat() if opened else None,
            }
        )
    return found

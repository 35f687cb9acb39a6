"""Circuit breakers per stack and operation, so a failing operation is not retried in a storm.

Built on pybreaker (a well-kept implementation of the pattern) with a storage of our own: agents
run as short-lived processes (`run --once`, cron, several machines share a file system or not), so
the breaker's state must outlive the process. `FileBreakerStorage` keeps each breaker in a small
JSON file under the state folder, written atomically; every change happens while the agent holds
the stack's lease, so there is one writer per stack at a time.

Failing closed (issue 9): a missing file is a fresh, closed breaker; a file that cannot be read
or is not exactly the shape we write (`{"state", "counter", "success_counter", "opened_at"}` with
those types) is *damaged*, and a damaged breaker is OPEN: `state` says open, `opened_at` says
"just now" so the reset timeout never lets a trial through, and any write is refused
(`BreakerDamaged`) so pybreaker cannot paper over the damage. `breaker_states` reports it with
the reason, and `python -m agents repair --stack S` moves the file aside and writes a fresh
closed breaker (a human decided to repair it; the failures it counted are gone with it).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pybreaker

from agents import AgentsError
from toolchain.inputs import write_atomic

STATES = frozenset({pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN})
FRESH: dict[str, Any] = {
    "state": pybreaker.STATE_CLOSED,
    "counter": 0,
    "success_counter": 0,
    "opened_at": None,
}


class BreakerDamaged(AgentsError):
    """A breaker's file is damaged: the breaker stays open until it is repaired."""


def _count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def breaker_damage(path: Path) -> str | None:
    """Why the breaker file at `path` cannot be trusted, or None (a missing file is fine)."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        return f"cannot be read ({exc})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not JSON ({exc.msg} at line {exc.lineno})"
    except RecursionError:  # deeper than the decoder recurses: unreadable, so damaged too
        return "not JSON (nested too deep to read)"
    if not isinstance(data, dict) or set(data) != set(FRESH):
        return f"expected exactly the fields {sorted(FRESH)}"
    if data["state"] not in STATES:
        return f"unknown state {data['state']!r}"
    if not (_count(data["counter"]) and _count(data["success_counter"])):
        return "counters are not non-negative integers"
    opened = data["opened_at"]
    if opened is not None:
        try:
            when = datetime.datetime.fromisoformat(opened) if isinstance(opened, str) else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is None:
            return "opened_at is not a timestamp with a time zone"
    if data["state"] != pybreaker.STATE_CLOSED and opened is None:
        return f"{data['state']} without opened_at"
    return None


class FileBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker storage in a JSON file: state, failure and success counters, opened_at."""

    def __init__(self, path: Path) -> None:
        super().__init__(path.stem)
        self.path = path

    @property
    def damage(self) -> str | None:
        return breaker_damage(self.path)

    def _load(self) -> dict[str, Any]:
        """The stored state; a damaged file reads as open, opened just now (see the docstring)."""
        if self.damage is not None:
            now = datetime.datetime.now(datetime.UTC).isoformat()
            return {**FRESH, "state": pybreaker.STATE_OPEN, "opened_at": now}
        try:
            return dict(json.loads(self.path.read_text()))
        except FileNotFoundError:
            return dict(FRESH)

    def _save(self, **changes: Any) -> None:
        why = self.damage
        if why is not None:
            raise BreakerDamaged(
                f"breaker file {self.path} is damaged ({why}): refused; repair it with "
                f"`python -m agents repair --stack {self.path.stem.partition('.')[0]}`"
            )
        data = {**self._load(), **changes}
        write_atomic(self.path, json.dumps(data, sort_keys=True) + "\n")

    @property
    def state(self) -> str:
        return str(self._load()["state"])

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
        return int(self._load()["counter"])

    @property
    def success_counter(self) -> int:
        return int(self._load()["success_counter"])

    @property
    def opened_at(self) -> datetime.datetime | None:
        raw = self._load()["opened_at"]
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


def breaker_files(state_dir: Path, stack: str | None = None) -> list[Path]:
    """The breaker files (of one stack, or all)."""
    found = sorted((state_dir / "breakers").glob("*.json"))
    return [p for p in found if stack is None or p.stem.partition(".")[0] == stack]


def breaker_states(state_dir: Path) -> list[dict[str, Any]]:
    """Every breaker's state, for `python -m agents status`; a damaged one is open, with why."""
    found = []
    for path in breaker_files(state_dir):
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
                "damaged": storage.damage,
            }
        )
    return found


def reset_breaker(path: Path) -> None:
    """A fresh, closed breaker at `path` (the repair command's last step)."""
    write_atomic(path, json.dumps(FRESH, sort_keys=True) + "\n")

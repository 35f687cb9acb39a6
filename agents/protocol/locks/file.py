"""The file lock backend (the default): agents on one machine coordinate through a folder.

Layout, under `<state_dir>/locks/` (one folder per stack, its name the stack name with `/` encoded):

    <stack>/lock           empty; `fcntl.flock`ed (exclusive) only for a read-check-write
    <stack>/state.json     {"version": 1, "stack", "last_token",
                            "lease": {"owner", "persona", "operation", "token", "acquired_at",
                                      "expires_at", "request_id"} | null,
                            "waiters": [{"request_id", "owner", "persona", "operation",
                                         "priority", "enqueued_at", "heartbeat_at",
                                         "expires_at"}, ...],
                            "cooldowns": {persona: {operation: until_epoch}}}
    <stack>/records.json   {"version": 1, "stack", "records": {key: {"value", "token",
                                                                    "written_at"}}}

Every change takes the stack's flock, reads the state, checks, and writes the new state atomically
(a temporary file in the same folder, fsynced, renamed over the old one, then the folder fsynced),
then drops the flock. A process killed at any point leaves the old state or the new one, never a
part, and the kernel drops its flock; at worst a stray `.state.json.*.tmp` remains, which nothing
reads. The lease itself is not a held flock: it is a record with an expiry, so a holder that dies
keeps the stack only until its lease expires, and the next acquirer takes it over with the next
token. `last_token` only grows (release clears the lease, not the counter), so tokens are never
reused, across restarts too. Reads (`holder`, `check`, `waiting`, cooldowns, records) take no
flock: a rename is atomic, so they see one whole version.

Protected records live in their own file so that lease traffic does not rewrite them; they are
written under the same flock, after checking the lease in `state.json`.

Damage (issue 9: fail closed). Every read checks the documents' shape and every field's type
(`_check_state`, `_check_records`), not only that they parse: a truncated file, garbage, a field of
the wrong type or a file copied from another stack raises `LockStoreError` with one line naming
the file and the fault. The stack is then refused (the runner) and reported (`status`, through
`damage()`), never guessed at, until `python -m agents repair --stack S` runs `repair()`: under the
stack's flock it renames each damaged file to `<file>.damaged-<UTC timestamp>` (kept for the
post-mortem) and writes a fresh document. A fresh `state.json` has no lease, no waiters and no
cooldowns, and its `last_token` is the largest of: any token number still legible in the damaged
text, every token in `records.json`, and the current time in milliseconds. The clock term is what
keeps fencing safe when nothing is legible: tokens are small counters, so a millisecond timestamp
exceeds every token issued before, and a stale holder's token stays refused.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import math
import os
import re
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agents.protocol.locks import (
    Clock,
    Lease,
    LeaseLost,
    LockStoreError,
    Record,
    Sleep,
    StaleLease,
    Waiter,
    check_name,
    check_positive,
    check_record_key,
    check_stack,
)
from agents.protocol.locks.base import (
    DEFAULT_WAITER_TTL_S,
    LockRequest,
    PollingBackend,
    lost_message,
    may_take,
    stale_message,
)

STATE_VERSION = 1
_LEASE_FIELDS = frozenset(
    {"owner", "persona", "operation", "token", "acquired_at", "expires_at", "request_id"}
)
_WAITER_FIELDS = frozenset(
    {
        "request_id",
        "owner",
        "persona",
        "operation",
        "priority",
        "enqueued_at",
        "heartbeat_at",
        "expires_at",
    }
)


class _Shape(Exception):
    """What is wrong with a state document (internal; becomes a `LockStoreError`)."""


def _int(value: object, name: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _Shape(f"{name} is not an integer >= {minimum}")
    return value


def _time(value: object, name: str) -> float:
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(float(value))
    ):
        raise _Shape(f"{name} is not a finite number")
    return float(value)


def _str(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise _Shape(f"{name} is not a non-empty string")
    return value


def _fields(value: object, name: str, expected: frozenset[str]) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != expected:
        raise _Shape(f"{name} does not have exactly the fields {sorted(expected)}")
    return value


def _check_state(stack: str, doc: object) -> None:
    """Raise `_Shape` unless `doc` is a state document of `stack` (see the module docstring)."""
    if not isinstance(doc, dict):
        raise _Shape("not a JSON object")
    if doc.get("version") != STATE_VERSION:
        raise _Shape(f"expected a version {STATE_VERSION} state document")
    if doc.get("stack") != stack:
        raise _Shape(f"it is the state of stack {doc.get('stack')!r}")
    last = _int(doc.get("last_token"), "last_token")
    lease = doc.get("lease")
    if lease is not None:
        _fields(lease, "lease", _LEASE_FIELDS)
        for name in ("owner", "persona", "operation"):
            _str(lease[name], f"lease.{name}")
        if _int(lease["token"], "lease.token", 1) > last:
            raise _Shape("lease.token is above last_token")
        _time(lease["acquired_at"], "lease.acquired_at")
        _time(lease["expires_at"], "lease.expires_at")
        if lease["request_id"] is not None:
            _str(lease["request_id"], "lease.request_id")
    waiters = doc.get("waiters", [])
    if not isinstance(waiters, list):
        raise _Shape("waiters is not a list")
    for i, w in enumerate(waiters):
        _fields(w, f"waiters[{i}]", _WAITER_FIELDS)
        for name in ("request_id", "owner", "persona", "operation"):
            _str(w[name], f"waiters[{i}].{name}")
        if not isinstance(w["priority"], int) or isinstance(w["priority"], bool):
            raise _Shape(f"waiters[{i}].priority is not an integer")
        for name in ("enqueued_at", "heartbeat_at", "expires_at"):
            _time(w[name], f"waiters[{i}].{name}")
    cooldowns = doc.get("cooldowns", {})
    if not isinstance(cooldowns, dict):
        raise _Shape("cooldowns is not a mapping")
    for persona, ops in cooldowns.items():
        if not isinstance(ops, dict):
            raise _Shape(f"cooldowns.{persona} is not a mapping")
        for op, until in ops.items():
            _time(until, f"cooldowns.{persona}.{op}")


def _check_records(stack: str, doc: object) -> dict[str, Any]:
    if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
        raise _Shape(f"expected a version {STATE_VERSION} records document")
    if doc.get("stack") != stack:
        raise _Shape(f"it holds the records of stack {doc.get('stack')!r}")
    records = doc.get("records")
    if not isinstance(records, dict):
        raise _Shape("expected a mapping with 'records'")
    for key, raw in records.items():
        if not isinstance(raw, dict) or not {"value", "token", "written_at"} <= set(raw):
            raise _Shape(f"record {key!r} lacks value, token or written_at")
        _int(raw["token"], f"record {key!r} token", 1)
        _time(raw["written_at"], f"record {key!r} written_at")
    return records


@dataclass
class _State:
    stack: str
    last_token: int = 0
    lease: Lease | None = None
    lease_request: str | None = None
    waiters: dict[str, Waiter] = field(default_factory=dict)
    cooldowns: dict[str, dict[str, float]] = field(default_factory=dict)

    def current(self, now: float) -> Lease | None:
        return self.lease if self.lease is not None and self.lease.expires_at > now else None

    def is_current(self, lease: Lease, now: float) -> bool:
        held = self.current(now)
        return held is not None and held.token == lease.token and held.owner == lease.owner

    def prune(self, now: float) -> None:
        """Drop lapsed waiters and finished cooldowns, so the file stays small."""
        self.waiters = {rid: w for rid, w in self.waiters.items() if w.live(now)}
        self.cooldowns = {
            persona: kept
            for persona, ops in self.cooldowns.items()
            if (kept := {op: until for op, until in ops.items() if until > now})
        }

    def to_json(self) -> str:
        lease = None
        if self.lease is not None:
            lease = {**self.lease.as_dict(), "request_id": self.lease_request}
            del lease["stack"]
        doc = {
            "version": STATE_VERSION,
            "stack": self.stack,
            "last_token": self.last_token,
            "lease": lease,
            "waiters": [
                {k: v for k, v in asdict(w).items() if k != "stack"}
                for w in sorted(self.waiters.values(), key=Waiter.rank)
            ],
            "cooldowns": self.cooldowns,
        }
        return json.dumps(doc, indent=1) + "\n"

    @classmethod
    def from_json(cls, stack: str, text: str) -> _State:
        doc = json.loads(text)
        _check_state(stack, doc)
        raw = doc.get("lease")
        lease = Lease.from_dict({**raw, "stack": stack}) if raw else None
        waiters = [Waiter(stack=stack, **w) for w in doc.get("waiters", [])]
        return cls(
            stack=stack,
            last_token=int(doc["last_token"]),
            lease=lease,
            lease_request=raw.get("request_id") if raw else None,
            waiters={w.request_id: w for w in waiters},
            cooldowns={
                str(p): {str(op): float(until) for op, until in ops.items()}
                for p, ops in doc.get("cooldowns", {}).items()
            },
        )


# The flock guards read-check-write sections of milliseconds: one held for longer belongs to a
# process that was stopped (SIGSTOP) or hung inside it, and waiting on it for ever would stall
# every agent (and ignore their own deadlines), so waiting for it is bounded.
FLOCK_TIMEOUT_S = 10.0


def flock_within(fd: int, timeout_s: float, *, shared: bool = False) -> bool:
    """Take an exclusive (or, `shared`, a shared) flock on `fd`, polling, for at most
    `timeout_s`; False if it stayed held by another process."""
    deadline = time.monotonic() + timeout_s
    pause = 0.001
    operation = (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB
    while True:
        try:
            fcntl.flock(fd, operation)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
        else:
            return True


def damaged_stamp() -> str:
    """The UTC timestamp a repair names the copies of the files it replaces with."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%S%fZ")


def keep_damaged(path: Path, stamp: str) -> Path:
    """Move a damaged file aside to `<name>.damaged-<stamp>` (kept for inspection); its path."""
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    os.replace(path, kept)
    return kept


class FileLockBackend(PollingBackend):
    """Locks, queue, cooldowns and records in files under `root` (`<state_dir>/locks`)."""

    def __init__(
        self,
        root: Path,
        *,
        clock: Clock = time.time,
        sleep: Sleep = time.sleep,
        waiter_ttl_s: float = DEFAULT_WAITER_TTL_S,
        durable: bool = True,
    ) -> None:
        super().__init__(clock=clock, sleep=sleep, waiter_ttl_s=waiter_ttl_s)
        self.root = Path(root)
        # fsync of files and folders; only a test of speed would turn it off.
        self.durable = durable

    def __repr__(self) -> str:
        return f"FileLockBackend({str(self.root)!r})"

    # Files.

    def _folder(self, stack: str) -> Path:
        return self.root / quote(check_stack(stack), safe="")

    @contextlib.contextmanager
    def _locked(self, stack: str) -> Iterator[Path]:
        folder = self._folder(stack)
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(folder / "lock", os.O_RDWR | os.O_CREAT, 0o640)
        try:
            if not flock_within(fd, FLOCK_TIMEOUT_S):
                raise LockStoreError(
                    f"{folder / 'lock'} has been held by another process for over "
                    f"{FLOCK_TIMEOUT_S:g} s (a stopped or hung agent?): refused"
                )
            yield folder
        finally:
            os.close(fd)  # closing the descriptor drops the flock

    def _load(self, stack: str) -> _State:
        path = self._folder(stack) / "state.json"
        try:
            text = path.read_text()
        except FileNotFoundError:
            return _State(stack=stack)
        except OSError as exc:
            raise LockStoreError(f"{path}: cannot read the lock state ({exc})") from exc
        try:
            return _State.from_json(stack, text)
        except (_Shape, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise LockStoreError(
                f"{path}: damaged lock state ({exc}); stack {stack!r} is refused until "
                f"`python -m agents repair --stack {stack}`"
            ) from exc

    def _save(self, state: _State) -> None:
        self._write(self._folder(state.stack) / "state.json", state.to_json())

    def _write(self, path: Path, text: str) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w") as fh:
                fh.write(text)
                fh.flush()
                if self.durable:
                    os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self.durable:
            # The rename itself must reach the disk, or a power cut could bring back an older
            # last_token and reuse a fencing token.
            dir_fd = os.open(path.parent, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)

    def _load_records(self, stack: str) -> dict[str, Any]:
        path = self._folder(stack) / "records.json"
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
            raise LockStoreError(
                f"{path}: cannot read the protected records ({exc}); stack {stack!r} is refused "
                f"until `python -m agents repair --stack {stack}`"
            ) from exc
        try:
            return _check_records(stack, doc)
        except _Shape as exc:
            raise LockStoreError(
                f"{path}: damaged protected records ({exc}); stack {stack!r} is refused until "
                f"`python -m agents repair --stack {stack}`"
            ) from exc

    # The waiting loop's atomic steps.

    def _try_take(self, request: LockRequest) -> Lease | None:
        with self._locked(request.stack):
            state = self._load(request.stack)
            now = self.clock()
            if state.current(now) is not None:
                return None
            allowed, _ = may_take(request, list(state.waiters.values()), now)
            if not allowed:
                return None
            lease = request.lease(state.last_token + 1, now)
            state.last_token = lease.token
            state.lease = lease
            state.lease_request = request.request_id
            state.waiters.pop(request.request_id, None)
            state.prune(now)
            self._save(state)
            return lease

    def _register(self, request: LockRequest) -> Waiter:
        with self._locked(request.stack):
            state = self._load(request.stack)
            now = self.clock()
            state.prune(now)
            waiter = request.waiter(now, now)
            state.waiters[request.request_id] = waiter
            self._save(state)
            return waiter

    def _heartbeat(self, request: LockRequest) -> bool:
        with self._locked(request.stack):
            state = self._load(request.stack)
            now = self.clock()
            mine = state.waiters.get(request.request_id)
            if mine is None or not mine.live(now):
                return False
            state.waiters[request.request_id] = request.waiter(mine.enqueued_at, now)
            state.prune(now)
            self._save(state)
            return True

    def _withdraw(self, stack: str, request_id: str) -> None:
        with self._locked(stack):
            state = self._load(stack)
            if state.waiters.pop(request_id, None) is not None:
                self._save(state)

    # Leases.

    def renew(self, lease: Lease, ttl_s: float) -> Lease:
        ttl_s = check_positive("ttl_s", ttl_s)
        with self._locked(lease.stack):
            state = self._load(lease.stack)
            now = self.clock()
            if not state.is_current(lease, now) or state.lease is None:
                raise LeaseLost(lost_message(lease, state.current(now)))
            renewed = Lease(**{**state.lease.as_dict(), "expires_at": now + ttl_s})
            state.lease = renewed
            self._save(state)
            return renewed

    def release(self, lease: Lease) -> None:
        with self._locked(lease.stack):
            state = self._load(lease.stack)
            held = state.lease
            if held is not None and held.token == lease.token and held.owner == lease.owner:
                state.lease = None
                state.lease_request = None
                self._save(state)

    def holder(self, stack: str) -> Lease | None:
        return self._load(stack).current(self.clock())

    def check(self, lease: Lease) -> None:
        state = self._load(lease.stack)
        now = self.clock()
        if not state.is_current(lease, now):
            raise StaleLease(stale_message(lease, state.current(now)))

    def fenced_write(self, lease: Lease, key: str, value: Any) -> None:
        check_record_key(key)
        encoded = json.loads(json.dumps(value))  # refuse what JSON cannot hold, before the flock
        with self._locked(lease.stack) as folder:
            state = self._load(lease.stack)
            now = self.clock()
            if not state.is_current(lease, now):
                raise StaleLease(stale_message(lease, state.current(now)))
            records = self._load_records(lease.stack)
            records[key] = {"value": encoded, "token": lease.token, "written_at": now}
            doc = {"version": STATE_VERSION, "stack": lease.stack, "records": records}
            self._write(folder / "records.json", json.dumps(doc, indent=1) + "\n")

    def read_record(self, stack: str, key: str) -> Record | None:
        raw = self._load_records(stack).get(check_record_key(key))
        if raw is None:
            return None
        return Record(
            stack=stack,
            key=key,
            value=raw["value"],
            token=int(raw["token"]),
            written_at=float(raw["written_at"]),
        )

    def waiting(self, stack: str) -> list[Waiter]:
        now = self.clock()
        live = (w for w in self._load(stack).waiters.values() if w.live(now))
        return sorted(live, key=Waiter.rank)

    # Cooldowns.

    def cooldown_remaining(self, persona: str, stack: str, operation: str) -> float:
        until = self._load(stack).cooldowns.get(persona, {}).get(operation)
        return 0.0 if until is None else max(0.0, until - self.clock())

    def start_cooldown(self, persona: str, stack: str, operation: str, seconds: float) -> None:
        check_name("persona", persona)
        check_name("operation", operation)
        if not seconds > 0:
            return
        with self._locked(stack):
            state = self._load(stack)
            now = self.clock()
            ops = state.cooldowns.setdefault(persona, {})
            ops[operation] = max(ops.get(operation, 0.0), now + seconds)
            state.prune(now)
            self._save(state)

    # Damage and repair (see the module docstring).

    def damage(self, stack: str) -> list[tuple[Path, str]]:
        """(file, why) for each of the stack's files that cannot be read as it should."""
        found = []
        folder = self._folder(stack)
        for name, read in (("state.json", self._load), ("records.json", self._load_records)):
            try:
                read(stack)
            except LockStoreError as exc:
                found.append((folder / name, str(exc)))
        return found

    def repair(self, stack: str) -> list[tuple[Path, Path]]:
        """Move the stack's damaged files aside and write fresh ones; (file, kept copy) each."""
        moved: list[tuple[Path, Path]] = []
        with self._locked(stack) as folder:
            damaged = {path.name for path, _ in self.damage(stack)}
            if not damaged:
                return moved
            stamp = damaged_stamp()
            legible = [int(self.clock() * 1000)]
            for name in sorted(damaged):
                path = folder / name
                with contextlib.suppress(OSError, UnicodeDecodeError):
                    text = path.read_text(errors="replace")
                    legible += [
                        int(n) for n in re.findall(r'"(?:last_)?token"\s*:\s*(\d{1,18})', text)
                    ]
                moved.append((path, keep_damaged(path, stamp)))
            if "records.json" not in damaged:
                legible += [int(r["token"]) for r in self._load_records(stack).values()]
            if "records.json" in damaged:
                doc = {"version": STATE_VERSION, "stack": stack, "records": {}}
                self._write(folder / "records.json", json.dumps(doc, indent=1) + "\n")
            if "state.json" in damaged:
                self._save(_State(stack=stack, last_token=max(legible)))
        return moved

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
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from agents.locks import (
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
from agents.locks.base import (
    DEFAULT_WAITER_TTL_S,
    LockRequest,
    PollingBackend,
    lost_message,
    may_take,
    stale_message,
)

STATE_VERSION = 1


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
        if not isinstance(doc, dict) or doc.get("version") != STATE_VERSION:
            raise ValueError(f"expected a version {STATE_VERSION} state document")
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
            fcntl.flock(fd, fcntl.LOCK_EX)
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
        except (ValueError, KeyError, TypeError) as exc:
            raise LockStoreError(
                f"{path}: not a lock state document ({exc}); move it aside to reset the stack's "
                "lock (the fencing tokens then restart: first make sure no agent runs)"
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
        except (OSError, ValueError) as exc:
            raise LockStoreError(f"{path}: cannot read the protected records ({exc})") from exc
        records = doc.get("records") if isinstance(doc, dict) else None
        if not isinstance(records, dict):
            raise LockStoreError(f"{path}: expected a mapping with 'records'")
        return records

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

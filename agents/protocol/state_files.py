"""The health of the agents' state files, their repair, and the probe of the state folder.

Issue 9 ("fail closed"): when in doubt, refuse, with a one-line reason and an audit record.

- `stack_damage` lists what is wrong with a stack's state: the lock backend's files (lease,
  queue, cooldowns, protected records), its breaker files, and approval records that claim the
  stack (or whose stack cannot be read at all: those count against every stack, since they may be
  its). The runner refuses every operation on a stack with damage, and `status` reports it and
  exits 1, until `python -m agents repair --stack S`.
- `repair` keeps a copy of every file it replaces (`<file>.damaged-<UTC timestamp>`), writes a
  fresh valid state (a fresh lock state with a safe fencing-token floor, see
  `agents.protocol.locks.file`; a closed breaker; for an approval record, no record: a request that
  cannot
  be verified is withdrawn, and the next run asks for a new review), and appends a
  `state.repaired` audit record. Only the file lock backend's files can be repaired this way; a
  malformed DynamoDB item is refused and must be fixed by hand (its table is shared by several
  machines, and deleting the counter item would reuse fencing tokens).
- `probe_state_dir` writes, fsyncs and deletes a file in the state folder before an operation
  starts, so a full disk or a read-only folder refuses the operation before anything changed,
  not after the infrastructure did. It writes `PROBE_BYTES`, the largest audit line, and keeps
  the space reserve of `agents.protocol.reserve` (4 MiB), which a write that finds the disk full
  mid-operation frees, so the operation's records still land.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from agents import AgentsError
from agents.protocol.approvals import ApprovalError
from agents.protocol.audit import MAX_LINE_BYTES, AuditLog
from agents.protocol.backends import open_approvals
from agents.protocol.breakers import breaker_damage, breaker_files, reset_breaker
from agents.protocol.locks import LockBackend, LockError, LockUnavailable
from agents.protocol.locks.file import damaged_stamp, keep_damaged
from agents.protocol.reserve import ensure_reserve
from agents.protocol.settings import AgentSettings

PROBE_BYTES = MAX_LINE_BYTES


class StateDirError(AgentsError):
    """The state folder cannot take a write: nothing is started."""


class RepairError(AgentsError):
    """A repair that cannot be done here; the message says what to do instead."""


@dataclass(frozen=True)
class Damage:
    stack: str | None  # None: not one stack's (the approval key)
    kind: str  # lock-state | breaker | approval | approval-key
    path: str
    why: str
    approval: str | None = None  # the request's id, for damage of kind "approval"

    def line(self) -> str:
        return f"{self.kind} {self.path}: {self.why}"


UNREACHABLE = "lock-backend-unreachable"


def probe_state_dir(state_dir: Path) -> None:
    """Refuse (`StateDirError`, one line) unless a real write, fsync and delete succeed."""
    probe = state_dir / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            data = b"\0" * PROBE_BYTES
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(errno.ENOSPC, f"short write ({written} of {len(data)} bytes)")
            os.fsync(fd)
        finally:
            os.close(fd)
            with contextlib.suppress(FileNotFoundError):
                probe.unlink()
        ensure_reserve(state_dir)
    except OSError as exc:
        raise StateDirError(
            f"state folder {state_dir} cannot take a write ({exc.strerror or exc}): refused "
            "before starting; free space or make it writable"
        ) from exc


def _file_backend_damage(locks: LockBackend, stack: str) -> list[tuple[Path, str]] | None:
    damage = getattr(locks, "damage", None)
    return damage(stack) if callable(damage) else None


def stack_damage(settings: AgentSettings, locks: LockBackend, stack: str) -> list[Damage]:
    """Everything wrong with one stack's state files (empty when it is sound)."""
    found: list[Damage] = []
    precise = _file_backend_damage(locks, stack)
    if precise is not None:
        found += [Damage(stack, "lock-state", str(path), why) for path, why in precise]
    else:  # another backend: read what the runner reads, and report what fails
        try:
            locks.holder(stack)
            locks.waiting(stack)
            locks.read_record(stack, "operation")
        except LockUnavailable as exc:
            found.append(Damage(stack, UNREACHABLE, f"{settings.lock_backend} backend", str(exc)))
        except LockError as exc:
            found.append(Damage(stack, "lock-state", f"{settings.lock_backend} backend", str(exc)))
    for name in ("approvals", "breakers"):
        folder = settings.state_dir / name
        if folder.exists() and not folder.is_dir():
            found.append(Damage(stack, "folder", str(folder), "not a folder"))
    for path in breaker_files(settings.state_dir, stack):
        why = breaker_damage(path)
        if why is not None:
            found.append(Damage(stack, "breaker", str(path), why))
    store = open_approvals(settings, AuditLog(settings.audit_log))
    try:
        damaged = store.damaged()
    except ApprovalError:
        damaged = []  # an unusable key is reported once, by `key_damage`, not per stack
    except LockUnavailable as exc:  # the table holding the approvals cannot be reached
        found.append(Damage(stack, UNREACHABLE, store.records.where, str(exc)))
        damaged = []
    found += [
        Damage(stack, "approval", location, why, approval_id)
        for approval_id, location, claimed, why in damaged
        if claimed in (None, stack)
    ]
    return found


def key_damage(settings: AgentSettings) -> list[Damage]:
    store = open_approvals(settings, AuditLog(settings.audit_log))
    try:
        store.check_key()
    except ApprovalError as exc:
        return [Damage(None, "approval-key", store.key.where, str(exc))]
    return []


def all_damage(settings: AgentSettings, locks: LockBackend, stacks: Iterable[str]) -> list[Damage]:
    """The damage of every stack, then the approval key's (for `status`)."""
    found: list[Damage] = []
    for stack in stacks:
        found += stack_damage(settings, locks, stack)
    return found + key_damage(settings)


def refusal(stack: str, damage: list[Damage]) -> str:
    """The one line a damaged stack is refused with (an unreachable lock backend is not damage:
    nothing to repair, the stack waits until the backend is back)."""
    if damage[0].kind == UNREACHABLE:
        return f"stack {stack} refused: {damage[0].why}".replace("\n", " ")
    more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
    return (
        f"stack {stack} has damaged state: {damage[0].line()}{more}; repair it with "
        f"`python -m agents repair --stack {stack}`"
    ).replace("\n", " ")


def repair(
    settings: AgentSettings, locks: LockBackend, stack: str, audit: AuditLog
) -> list[tuple[Path, Path]]:
    """Make a stack's state sound again; (replaced file, kept copy) for each file replaced."""
    damage = stack_damage(settings, locks, stack)
    if not damage:
        return []
    lock_damage = [d for d in damage if d.kind == "lock-state"]
    repair_locks = getattr(locks, "repair", None)
    if lock_damage and not callable(repair_locks):
        raise RepairError(
            f"stack {stack}: the {settings.lock_backend} backend's items cannot be repaired here "
            f"({lock_damage[0].why}); fix or delete the item by hand"
        )
    stamp = damaged_stamp()
    moved: list[tuple[Path, Path]] = []
    if lock_damage and callable(repair_locks):
        moved += repair_locks(stack)
    for d in damage:
        path = Path(d.path)
        if d.kind == "folder" and path.exists() and not path.is_dir():
            moved.append((path, keep_damaged(path, stamp)))
        elif d.kind == "breaker":
            moved.append((path, keep_damaged(path, stamp)))
            reset_breaker(path)
        elif d.kind == "approval" and d.approval is not None:
            store = open_approvals(settings, audit)
            try:
                location, kept = store.move_aside(d.approval, stamp)
            except FileNotFoundError:
                continue  # withdrawn meanwhile (another repair)
            except ApprovalError as exc:
                raise RepairError(str(exc)) from exc
            moved.append((Path(location), kept))
    audit.append(
        "state.repaired",
        stack=stack,
        files=[{"path": str(a), "kept": str(b)} for a, b in moved],
        damage=[d.line() for d in damage],
    )
    return moved

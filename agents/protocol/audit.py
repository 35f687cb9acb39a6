"""The audit log: every request, decision, lock event and operation is one JSON line of an
append-only file.

A record is written with a single `write(2)` on a file opened with O_APPEND, then fsynced, so
records from many processes interleave whole. A process killed by SIGKILL in the middle of a write
that spans a page can still leave a fragment of its own record; so every record starts with a
newline as well as ending with one, and the fragment is closed off by whatever comes next instead
of swallowing it. Readers skip empty lines, fragments that do not parse, and a final line without
its newline (a write in flight).
Events carry `ts` (UTC ISO 8601), `event`, and whatever the caller adds (`stack`, `persona`,
`operation`, `token`, `outcome`, ...). Secrets never go in: callers pass ids, not values.

Tamper evidence (issue 19): every record also carries its `writer` (AGENTS_AUDIT_WRITER, the
persona on the cluster; else `cli@<host>`), that writer's `seq` (1, 2, ...) and `prev`, the
SHA-256 of the exact JSON bytes of the writer's previous record (null for its first). Appends
are serialized by an exclusive `flock` on `<log>.chain`, which also caches each writer's head
(seq, hash) and the log's length when it was written. The cache is only a cache: a process killed
between its line and its cache update leaves a longer log than the cache says, and the next
append reads the unaccounted tail for later heads; a cache that does not parse is rebuilt from
the whole log. A log that got shorter than the cache says keeps the cached heads, so the records
cut off show up as a gap (`agents.protocol.audit_verify`). On a new pod the writer's head comes
from the sink (`AuditLog.seed`, from the CloudWatch stream of that writer), so one writer's chain
continues across pods.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import hashlib
import json
import os
import socket
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.protocol.locks.file import flock_within
from agents.protocol.reserve import retry_on_full

# One write(2) of at most PIPE_BUF bytes is atomic even for pipes; regular files opened with
# O_APPEND get whole-write appends on Linux regardless, but keep lines reasonably short anyway.
MAX_LINE_BYTES = 64 * 1024
# Free space a line must leave, beyond its own size, for the write to be started: the file
# system's own metadata (a new block's bookkeeping) comes out of the same space.
SPACE_MARGIN = 64 * 1024


CHAIN_FIELDS = ("writer", "seq", "prev")
KEPT_WHEN_TRUNCATED = ("ts", "event", "pid", "stack", "persona", "operation")


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


def default_writer() -> str:
    """AGENTS_AUDIT_WRITER (the persona, on the cluster), else `cli@<host>`."""
    return os.environ.get("AGENTS_AUDIT_WRITER", "").strip() or f"cli@{socket.gethostname()}"


def record_hash(data: bytes) -> str:
    """The hash a record is chained by: SHA-256 of its JSON bytes, without the newlines."""
    return hashlib.sha256(data.strip(b"\n")).hexdigest()


def _dumps(record: Mapping[str, Any]) -> bytes:
    return json.dumps(record, separators=(",", ":"), default=str).encode()


def json_count(value: Any) -> int:
    """A non-negative integer that JSON gave as one (not a float, not 1e400, not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value > 2**62:
        raise ValueError(f"not a count: {value!r}")
    return value


@dataclass
class _Chain:
    """The cached heads: `end` is the log's length when they were written."""

    end: int = 0
    heads: dict[str, tuple[int, str]] = field(default_factory=dict)

    @classmethod
    def parse(cls, raw: bytes) -> _Chain | None:
        try:
            data = json.loads(raw)
            heads = {
                str(w): (json_count(h[0]), str(h[1]))
                for w, h in data["heads"].items()
                if isinstance(h, list) and len(h) == 2
            }
            return cls(json_count(data["end"]), heads)
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            return None

    def dump(self) -> bytes:
        return json.dumps({"end": self.end, "heads": self.heads}, separators=(",", ":")).encode()

    def take(self, data: bytes) -> None:
        """Update the heads from whole records in `data` (a part of the log)."""
        for raw in data.split(b"\n"):
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (ValueError, RecursionError):
                continue
            if not isinstance(record, dict):
                continue
            writer, seq = record.get("writer"), record.get("seq")
            if (
                isinstance(writer, str)
                and isinstance(seq, int)
                and not isinstance(seq, bool)
                and seq > self.heads.get(writer, (0, ""))[0]
            ):
                self.heads[writer] = (seq, record_hash(raw))


# How long an append (or a reader) waits for another writer's lock on the chain cache: an
# append holds it for a line's write (milliseconds; half a second on a full disk), so a longer
# hold is a stopped or hung agent, and waiting on it for ever would stop every other agent too.
CHAIN_LOCK_WAIT_S = 30.0


@dataclass(frozen=True)
class AuditLog:
    path: Path
    writer: str | None = None

    @property
    def writer_name(self) -> str:
        return self.writer or default_writer()

    @property
    def chain_path(self) -> Path:
        return self.path.with_name(self.path.name + ".chain")

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        writer = self.writer_name
        with self._chain() as chain:
            seq, prev = chain.heads.get(writer, (0, None))
            record = {
                "ts": now_iso(),
                "event": event,
                "pid": os.getpid(),
                **{k: v for k, v in fields.items() if k not in CHAIN_FIELDS},
                "writer": writer,
                "seq": seq + 1,
                "prev": prev,
            }
            data = _dumps(record)
            if len(data) + 2 > MAX_LINE_BYTES:
                record = {k: v for k, v in record.items() if k in KEPT_WHEN_TRUNCATED}
                record.update(truncated=True, writer=writer, seq=seq + 1, prev=prev)
                data = _dumps(record)
            line = b"\n" + data + b"\n"
            # A full disk frees the state folder's reserve and tries again
            # (agents.protocol.reserve): the records of an operation already under way must land.
            _, freed = retry_on_full(self.path.parent, lambda: self._write(line))
            chain.heads[writer] = (seq + 1, record_hash(data))
            if freed:
                seq, prev = chain.heads[writer]
                note = _dumps(
                    {
                        "ts": now_iso(),
                        "event": "state.reserve-used",
                        "pid": os.getpid(),
                        "writer": writer,
                        "seq": seq + 1,
                        "prev": prev,
                    }
                )
                self._write(b"\n" + note + b"\n")
                chain.heads[writer] = (seq + 1, record_hash(note))
        return record

    def seed(self, writer: str, seq: int, digest: str) -> bool:
        """Continue `writer`'s chain from (seq, digest), its last record elsewhere (the sink),
        unless this log already has a later head for it. True when the head was taken."""
        with self._chain() as chain:
            if chain.heads.get(writer, (0, ""))[0] >= seq:
                return False
            chain.heads[writer] = (seq, digest)
            return True

    def heads(self) -> dict[str, tuple[int, str]]:
        """Each writer's (seq, hash) as the chain cache has them (after reading the tail);
        read only: nothing is created or written."""
        try:
            with self._chain(read_only=True) as chain:
                return dict(chain.heads)
        except FileNotFoundError:
            chain = _Chain()
            with contextlib.suppress(FileNotFoundError), self.path.open("rb") as fh:
                chain.take(fh.read())
            return dict(chain.heads)

    def chain_problem(self) -> str | None:
        """Why the `.chain` cache cannot vouch for the log's end (missing or damaged while the
        log holds chained records), or None. Without it a cut tail cannot be told.

        Agents may be appending meanwhile: an append creates the cache, then under its exclusive
        lock writes the log's line and rewrites the cache. So the cache is read under a shared
        lock (whole, never half rewritten), and only the records the log held at that moment are
        weighed (`size`): a record appended after the cache was read is not the cache's to
        vouch for. Read without either, `audit verify` called a sound log damaged in 199 of 200
        runs beside three processes appending to a new log."""
        try:  # a missing cache answers for the records the log held before it was looked for
            size = self._size()
        except OSError as exc:
            return f"{self.path} cannot be read ({exc.strerror or exc})"
        try:
            fd = os.open(self.chain_path, os.O_RDONLY | os.O_CLOEXEC)
        except FileNotFoundError:
            raw = None
        except OSError as exc:
            return f"{self.chain_path} cannot be read ({exc.strerror or exc})"
        else:
            try:
                if not flock_within(fd, CHAIN_LOCK_WAIT_S, shared=True):
                    return (
                        f"{self.chain_path.name} is held by a writer for over "
                        f"{CHAIN_LOCK_WAIT_S:g} s (a stopped or hung agent?): whether records "
                        "were cut off the end cannot be told"
                    )
                raw = os.pread(fd, 1 << 22, 0)
                size = self._size()
            except OSError as exc:
                return f"{self.chain_path} cannot be read ({exc.strerror or exc})"
            finally:
                os.close(fd)
        if raw is not None and _Chain.parse(raw) is not None:
            return None
        chained = any("seq" in record for end, _r, record in self.raw_records() if end <= size)
        if not chained:
            return None
        what = "missing" if raw is None else "damaged"
        return (
            f"{self.chain_path.name} is {what}: whether records were cut off the end cannot be told"
        )

    def _size(self) -> int:
        """The log's length in bytes (0 before its first record)."""
        try:
            return os.stat(self.path).st_size
        except FileNotFoundError:
            return 0

    @contextlib.contextmanager
    def _chain(self, *, read_only: bool = False) -> Iterator[_Chain]:
        """The heads, under the exclusive lock every append takes; written back after. A lock
        another writer keeps past `CHAIN_LOCK_WAIT_S` is a `TimeoutError` (an OSError, as a full
        disk is: the record is not written, and the caller refuses in one line)."""
        if read_only:
            fd = os.open(self.chain_path, os.O_RDONLY | os.O_CLOEXEC)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.chain_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        try:
            if not flock_within(fd, CHAIN_LOCK_WAIT_S, shared=read_only):
                raise TimeoutError(
                    errno.ETIMEDOUT,
                    f"{self.chain_path} is held by another writer for over "
                    f"{CHAIN_LOCK_WAIT_S:g} s (a stopped or hung agent?); the record is not "
                    "written",
                )
            raw = os.pread(fd, 1 << 22, 0)
            chain = _Chain.parse(raw) if raw else _Chain()
            if chain is None:  # damaged cache: the log is the truth
                chain = _Chain()
            try:
                size = os.stat(self.path).st_size
            except FileNotFoundError:
                size = 0
            if size > chain.end:
                with self.path.open("rb") as fh:
                    fh.seek(chain.end)
                    chain.take(fh.read(size - chain.end))
            chain.end = size
            yield chain
            if read_only:
                return
            with contextlib.suppress(FileNotFoundError):
                chain.end = os.stat(self.path).st_size
            # Best effort: a cache that is not written is rebuilt from the log's tail next time.
            with contextlib.suppress(OSError):
                data = chain.dump()
                os.pwrite(fd, data, 0)
                os.ftruncate(fd, len(data))
        finally:
            os.close(fd)

    def _write(self, data: bytes) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            # A write(2) that meets a full disk may land in part, leaving a fragment. So the
            # free space is checked first and a line that would not fit is not started: the
            # caller frees the state folder's reserve and tries again (agents.protocol.reserve).
            room = os.fstatvfs(fd)
            if room.f_bavail * room.f_frsize < len(data) + SPACE_MARGIN:
                raise OSError(errno.ENOSPC, f"no room for a {len(data)}-byte line in {self.path}")
            written = os.write(fd, data)
            if written != len(data):  # a nearly full disk: the leading newline fences it off
                raise OSError(errno.ENOSPC, f"short write to {self.path}: {written} of {len(data)}")
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every whole record, oldest first; a torn last line (no newline) is skipped."""
        for _offset, _raw, record in self.raw_records():
            yield record

    def query(
        self,
        filters: Mapping[str, Any] | None = None,
        since: str | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Records whose fields equal every filter value (`None` filters are ignored), newer than
        `since` (an ISO timestamp), the last `limit` of them."""
        wanted = {k: v for k, v in (filters or {}).items() if v is not None}
        found = [
            r
            for r in self.records()
            if all(str(r.get(k)) == str(v) for k, v in wanted.items())
            and (since is None or r.get("ts", "") >= since)
        ]
        return found[-limit:] if limit else found

    def raw_records(self, start: int = 0) -> Iterator[tuple[int, bytes, dict[str, Any]]]:
        """(offset after the line, its bytes without newlines, the record) for every whole
        record from byte `start` on."""
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            fh.seek(start)
            offset = start
            for raw in fh:
                offset += len(raw)
                record = parse_record(raw)
                if record is not None:
                    yield offset, raw.strip(b"\n"), record


def parse_record(raw: bytes) -> dict[str, Any] | None:
    """A whole line's record, or None for debris: a torn line (no newline), a fragment, a line
    nested absurdly deep, or JSON that is not an object with a string `ts` and `event` (forged
    by hand)."""
    if not raw.endswith(b"\n") or not raw.strip():
        return None
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if (
        isinstance(record, dict)
        and isinstance(record.get("ts"), str)
        and isinstance(record.get("event"), str)
    ):
        return record
    return None

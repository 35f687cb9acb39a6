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
"""

from __future__ import annotations

import datetime
import errno
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents.protocol.reserve import retry_on_full

# One write(2) of at most PIPE_BUF bytes is atomic even for pipes; regular files opened with
# O_APPEND get whole-write appends on Linux regardless, but keep lines reasonably short anyway.
MAX_LINE_BYTES = 64 * 1024
# Free space a line must leave, beyond its own size, for the write to be started: the file
# system's own metadata (a new block's bookkeeping) comes out of the same space.
SPACE_MARGIN = 64 * 1024


def now_iso() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class AuditLog:
    path: Path

    def append(self, event: str, **fields: Any) -> dict[str, Any]:
        record = {"ts": now_iso(), "event": event, "pid": os.getpid(), **fields}
        line = "\n" + json.dumps(record, separators=(",", ":"), default=str) + "\n"
        data = line.encode()
        if len(data) > MAX_LINE_BYTES:
            record = {
                k: v
                for k, v in record.items()
                if k in ("ts", "event", "pid", "stack", "persona", "operation")
            }
            record["truncated"] = True
            data = ("\n" + json.dumps(record, separators=(",", ":"), default=str) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # A full disk frees the state folder's reserve and tries again (agents.protocol.reserve):
        # the
        # records of an operation already under way must land.
        _, freed = retry_on_full(self.path.parent, lambda: self._write(data))
        if freed:
            note = {"ts": now_iso(), "event": "state.reserve-used", "pid": os.getpid()}
            self._write(("\n" + json.dumps(note, separators=(",", ":")) + "\n").encode())
        return record

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
        try:
            fh = self.path.open("rb")
        except FileNotFoundError:
            return
        with fh:
            for raw in fh:
                if not raw.endswith(b"\n") or not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                except (ValueError, RecursionError):  # a fragment, or a line nested absurdly deep
                    continue
                # Every record is an object with a string timestamp and event; anything else is
                # debris (or forged by hand) and is not read as a record.
                if (
                    isinstance(record, dict)
                    and isinstance(record.get("ts"), str)
                    and isinstance(record.get("event"), str)
                ):
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

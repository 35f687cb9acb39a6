"""A space reserve in the state folder, so the records of an operation already under way still
land when the disk fills up mid-operation (issue 9).

`probe_state_dir` refuses an operation that cannot write before it starts; but the disk may fill
while `pulumi up` runs (another process, a log burst), and then the `succeeded`/`failed` record
and the audit lines would be lost after the infrastructure changed. So the probe also keeps a
ballast file, `<state_dir>/.reserve` (`RESERVE_BYTES`, real blocks: zeros written and fsynced).
A write that fails with ENOSPC/EDQUOT deletes the ballast and is tried once more; the freed space
is what the records land in. Writers that meet the full disk at the same moment share it: one
frees the ballast, and the others, finding none to free, try again for up to `SHARED_WAIT_S`
while its blocks come back (two writers on a full 16 MiB tmpfs had lost 44 of 400 records, three
117 of 600). The next probe cannot make the ballast again until space is freed, and not in the
space a used one just freed either (it must leave `LEFT_BESIDE_BYTES` beside it: a probe during
an operation's last writes had taken their room, 20 of 200), so no new operation starts on a
full disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

RESERVE_NAME = ".reserve"
RESERVE_BYTES = 4 * 1024 * 1024
SHARED_WAIT_S = 0.5
LEFT_BESIDE_BYTES = 1024 * 1024  # a new reserve must leave this much free beside it
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
T = TypeVar("T")


def ensure_reserve(state_dir: Path) -> None:
    """Make the ballast unless it is there, whole; `OSError` when the disk cannot hold it."""
    path = state_dir / RESERVE_NAME
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size >= RESERVE_BYTES:
            return
    # Not into the space a used reserve just freed for the records of an operation under way:
    # the ballast is made only where it leaves LEFT_BESIDE_BYTES free beside it.
    room = os.statvfs(state_dir)
    if room.f_bavail * room.f_frsize < RESERVE_BYTES + LEFT_BESIDE_BYTES:
        raise OSError(
            errno.ENOSPC,
            f"{room.f_bavail * room.f_frsize} bytes free, too little to make the state folder's "
            f"reserve of {RESERVE_BYTES} with {LEFT_BESIDE_BYTES} beside it",
        )
    # Per thread: a readiness probe (agents.runtime.health) may make the reserve while an operation
    # does.
    tmp = state_dir / f"{RESERVE_NAME}.{os.getpid()}.{threading.get_ident()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        chunk = b"\0" * (1 << 20)
        left = RESERVE_BYTES
        while left:
            written = os.write(fd, chunk[: min(left, len(chunk))])
            if written <= 0:
                raise OSError(errno.ENOSPC, "no space for the state folder's reserve")
            left -= written
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)


def release_reserve(state_dir: Path) -> bool:
    """Delete the ballast; True when there was one to free."""
    try:
        (state_dir / RESERVE_NAME).unlink()
    except FileNotFoundError:
        return False
    return True


def is_disk_full(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno in _FULL


def retry_on_full(state_dir: Path, write: Callable[[], T]) -> tuple[T, bool]:
    """`write()`; on a full disk, free the reserve and try once more, or, when another writer
    freed it (none is left to free), try again for up to `SHARED_WAIT_S` while its space comes
    back. (result, whether this writer used the reserve)."""
    try:
        return write(), False
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        freed = release_reserve(state_dir)
    # Not freed here: another writer that met the full disk at the same moment freed it, and
    # its space may show a moment later (the unlink is still giving the blocks back).
    deadline = time.monotonic() + (0.0 if freed else SHARED_WAIT_S)
    while True:
        try:
            return write(), freed
        except OSError as exc:
            if not is_disk_full(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)

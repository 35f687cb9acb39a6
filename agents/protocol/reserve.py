"""A space reserve in the state folder, so the records of an operation already under way still
land when the disk fills up mid-operation (issue 9).

`probe_state_dir` refuses an operation that cannot write before it starts; but the disk may fill
while `pulumi up` runs (another process, a log burst), and then the `succeeded`/`failed` record
and the audit lines would be lost after the infrastructure changed. So the probe also keeps a
ballast file, `<state_dir>/.reserve` (`RESERVE_BYTES`, real blocks: zeros written and fsynced).
A write that fails with ENOSPC/EDQUOT deletes the ballast and is tried once more; the freed space
is what the records land in. The next probe cannot make the ballast again until space is freed,
so no new operation starts on a full disk.
"""

from __future__ import annotations

import contextlib
import errno
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

RESERVE_NAME = ".reserve"
RESERVE_BYTES = 4 * 1024 * 1024
_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
T = TypeVar("T")


def ensure_reserve(state_dir: Path) -> None:
    """Make the ballast unless it is there, whole; `OSError` when the disk cannot hold it."""
    path = state_dir / RESERVE_NAME
    with contextlib.suppress(FileNotFoundError):
        if path.stat().st_size >= RESERVE_BYTES:
            return
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
    """`write()`; on a full disk, free the reserve and try once more. (result, reserve used)."""
    try:
        return write(), False
    except OSError as exc:
        if not is_disk_full(exc) or not release_reserve(state_dir):
            raise
    return write(), True

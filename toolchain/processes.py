"""Children that die with their parent: the Linux parent-death signal (`PR_SET_PDEATHSIG`) set
in a preexec hook, used by the agents' supervised CLI (agents/protocol/supervision.py) and by the
policy packs' processes (toolchain/gate.py).

The signal fires when the *thread* that forked the child ends, not only the process: a caller
keeps a child only as long as the thread that started it (see `run_gate`'s reuse rule). The
preexec hook runs between fork and exec, which is safe here because gRPC's fork handlers are off
(toolchain/__init__.py)."""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _libc_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


# Resolved once, before any fork: the preexec hook runs between fork and exec, where loading a
# library is not safe.
_PRCTL = _libc_prctl()


def die_with_parent(parent_pid: int, signum: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A preexec hook: the child gets `signum` when its parent dies (Linux), and kills itself if
    the parent is already gone. None where prctl is not available."""
    prctl = _PRCTL
    if prctl is None:
        return None

    def hook() -> None:
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent_pid:
            os.kill(os.getpid(), signal.SIGKILL)

    return hook

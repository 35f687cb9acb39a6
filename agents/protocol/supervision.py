"""Process supervision: the Pulumi CLI runs as a child that dies with its agent, and a stop signal
cancels the operation in flight instead of abandoning it.

Why: the lease (agents/protocol/locks) bounds the agent, not the `pulumi up` it started. Without
this, an
agent killed with SIGKILL leaves its CLI running while the next holder takes the stack, and one
stopped with SIGTERM keeps its lease for the whole TTL.

What the supervisor does, and the decisions behind it:

- **Every CLI command is a supervised child** (`spawn`): its own session and process group
  (`start_new_session=True`), so the agent can signal the CLI and the plugins it starts (language
  host, providers) as one group, and a Ctrl-C on the agent's terminal reaches the agent only,
  which then decides how to stop the CLI. On Linux the child also gets `PR_SET_PDEATHSIG` =
  SIGKILL (prctl through ctypes, in the preexec hook), so the kernel kills it when the agent dies
  in any way, SIGKILL included. SIGKILL rather than SIGINT: a graceful cancel can take as long as
  the slowest resource operation in flight, and once the agent is dead nothing bounds it any more;
  fail closed. The parent-death signal fires when the *thread* that forked the child ends: the
  Automation API runs each command in the calling thread and blocks it until the command ends,
  so this holds. A parent that died between fork and prctl is caught by comparing `getppid()`.
  Elsewhere (no prctl) the group and the signal handling still work; only the SIGKILL case
  relies on the lease TTL and the backend's own stack lock. The parent-death signal reaches the
  CLI, not its plugins: those the CLI started (language host, providers) are orphaned when it is
  killed, and end themselves once they cannot reach the engine that started them (the Pulumi CLI
  does so since v3.33, pulumi/pulumi#9735); our version floor is above that. A plugin cannot act
  on the stack without the engine, so the window is only one of wasted CPU.
- **SIGTERM and SIGINT cancel** (`handle_signals`): the first signal sends SIGINT to the child's
  group (the CLI's own graceful cancellation, what Ctrl-C in a terminal does: it stops starting
  steps and waits for the ones in flight), and SIGKILL to the group `grace_s` seconds later
  (`AGENTS_CANCEL_GRACE_S`, default 10) if anything of it is left; a second signal kills at once.
  The command then raises `Interrupted` instead of its own result, and the runner records the
  operation as `interrupted`, releases the lease and the agent exits with 128 + the signal number
  (143 for SIGTERM, 130 for SIGINT).
- **Where the signal is raised** (`shielded`): inside a shielded section (the runner shields an
  operation from the lease request to the lease release) the handler only cancels and records;
  `Interrupted` is raised at safe points: when a command starts or ends, and in the lock
  backend's waiting sleep (`sleep`). So a fenced write, an audit line or the lease release is
  never cut in half by the signal, and the lease is released before the agent exits. Outside a
  shielded section with no child running, the handler raises at once, as KeyboardInterrupt does.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import types
from collections.abc import Iterator, Sequence
from typing import Any

from toolchain.processes import die_with_parent

DEFAULT_GRACE_S = 10.0
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class Interrupted(BaseException):
    """The agent was told to stop (SIGTERM/SIGINT). A BaseException, as KeyboardInterrupt is, so
    that no `except Exception` on the way mistakes it for a failed operation."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"interrupted by {self.signal_name}")

    @property
    def signal_name(self) -> str:
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"

    @property
    def exit_code(self) -> int:
        """The shell's convention for a process ended by a signal: 128 + its number."""
        return 128 + self.signum


def signal_group(pgid: int, signum: int) -> bool:
    """Signal a process group; False when it has no member left."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed its identity: nothing of ours to stop there
        return False
    return True


class Supervisor:
    """Children of the agent and the stop signal (see the module docstring). One per process:
    signal handlers are process-wide; `SUPERVISOR` is the agents' instance."""

    def __init__(self, grace_s: float = DEFAULT_GRACE_S) -> None:
        self.grace_s = grace_s
        self.interrupted: int | None = None
        self._children: dict[int, subprocess.Popen[Any]] = {}
        # Re-entrant: the handler runs on the main thread, possibly while that thread holds it.
        self._lock = threading.RLock()
        self._shield_depth = 0
        self._wake = threading.Event()
        self._timers: dict[int, threading.Timer] = {}

    # -- children ------------------------------------------------------------------------------

    def spawn(self, cmd: Sequence[str], **popen: Any) -> subprocess.Popen[Any]:
        """Start a supervised child (own process group, killed with the agent). Refuses with
        `Interrupted` once a stop signal came: nothing new starts after it."""
        self.check()
        with self._lock:
            proc: subprocess.Popen[Any] = subprocess.Popen(
                list(cmd),
                start_new_session=True,
                preexec_fn=die_with_parent(os.getpid()),  # noqa: PLW1509 - see die_with_parent
                **popen,
            )
            self._children[proc.pid] = proc
        if self.interrupted is not None:  # the signal came while it was being started
            self._cancel(proc.pid)
        return proc

    def finished(self, proc: subprocess.Popen[Any]) -> None:
        """The child ended and was waited for. After a stop signal, what is left of its group
        (plugins it started) is killed now, and `Interrupted` is raised in place of the
        command's own result."""
        with self._lock:
            self._children.pop(proc.pid, None)
            timer = self._timers.pop(proc.pid, None)
        if timer is not None:
            timer.cancel()
        if self.interrupted is not None:
            signal_group(proc.pid, signal.SIGKILL)
            raise Interrupted(self.interrupted)

    def running(self) -> list[int]:
        """Pids (= process group ids) of the children still running."""
        with self._lock:
            return [pid for pid, p in self._children.items() if p.poll() is None]

    def _cancel(self, pgid: int) -> None:
        """SIGINT to the group now (the CLI's graceful cancel), SIGKILL after the grace."""
        if not signal_group(pgid, signal.SIGINT):
            return
        timer = threading.Timer(self.grace_s, signal_group, (pgid, signal.SIGKILL))
        timer.daemon = True
        timer.start()
        with self._lock:
            self._timers[pgid] = timer

    def kill_all(self) -> None:
        for pgid in self.running():
            signal_group(pgid, signal.SIGKILL)

    # -- the stop signal -----------------------------------------------------------------------

    def interrupt(self, signum: int) -> None:
        """What the handler does: a first signal cancels every child gracefully, a second one
        kills them. Raises `Interrupted` only where that is safe (see `shielded`)."""
        first = self.interrupted is None
        if first:
            self.interrupted = signum
        self._wake.set()
        if first:
            for pgid in self.running():
                self._cancel(pgid)
        else:
            self.kill_all()
        if self._shield_depth == 0 and not self.running():
            raise Interrupted(self.interrupted or signum)

    def check(self) -> None:
        """Raise `Interrupted` if a stop signal came."""
        if self.interrupted is not None:
            raise Interrupted(self.interrupted)

    def sleep(self, seconds: float) -> None:
        """`time.sleep` that a stop signal ends early with `Interrupted`: for waiting loops
        (the lock backend's queue) that run inside a shielded section."""
        self.check()
        self._wake.wait(max(0.0, seconds))
        self.check()

    @contextlib.contextmanager
    def shielded(self) -> Iterator[None]:
        """A section the handler never raises into; `Interrupted` comes from its safe points."""
        self._shield_depth += 1
        try:
            yield
        finally:
            self._shield_depth -= 1

    @contextlib.contextmanager
    def handle_signals(
        self, signals: Sequence[int] = STOP_SIGNALS, *, grace_s: float | None = None
    ) -> Iterator[Supervisor]:
        """Install the handler for `signals` (main thread only), restore the old ones after."""
        if grace_s is not None:
            self.grace_s = grace_s

        def handler(signum: int, _frame: types.FrameType | None) -> None:
            self.interrupt(signum)

        previous = {s: signal.signal(s, handler) for s in signals}
        try:
            yield self
        finally:
            for s, old in previous.items():
                signal.signal(s, old)
            # Leaving: nothing of ours may outlive the agent (normally nothing is left by now).
            self.kill_all()


SUPERVISOR = Supervisor()

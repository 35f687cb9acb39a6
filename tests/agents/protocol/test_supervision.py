"""Process supervision end to end: `python -m agents run release-engineer --stack dev --once` as a
real process, driving the CLI double (tests/agents/fake_pulumi) through a slow `up`, then stopped.
The lease must bound the Pulumi process: the CLI dies with its agent, and a stop signal cancels
the update, records it and frees the stack. Time bounds here are generous behaviour timeouts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agents.protocol.audit import AuditLog
from agents.protocol.supervision import Interrupted, Supervisor

ROOT = Path(__file__).resolve().parents[3]
FAKE = Path(__file__).resolve().parents[1] / "fake_pulumi"
STARTUP_S = 90.0  # the agent imports the SDK and runs a version check and two previews first


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def alive(pid: int) -> bool:
    """Running, not a zombie (an orphan's reaper may be slow to collect it in a container)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rpartition(")")[2].split()[0] not in ("Z", "X")


@dataclass
class AgentRun:
    """One agent process and the files through which the double reports."""

    process: subprocess.Popen[str]
    folder: Path
    env: dict[str, str]

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self.folder / "state" / "audit.jsonl")

    def pulumi_pid(self) -> int:
        """The pid of the double's slow `up`, once it has started."""

        def read() -> int | None:
            if self.process.poll() is not None:
                out, err = self.process.communicate()
                raise AssertionError(
                    f"the agent exited early ({self.process.returncode}): {out} {err}"
                )
            try:
                return int((self.folder / "pulumi.pid").read_text())
            except (FileNotFoundError, ValueError):
                return None

        pid: int = wait_for("the double's slow up to start", read, STARTUP_S)
        return pid

    def signals(self) -> list[str]:
        path = self.folder / "signals"
        return path.read_text().split() if path.exists() else []

    def status(self) -> dict[str, Any]:
        done = subprocess.run(
            [sys.executable, "-m", "agents", "status", "--json"],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        result: dict[str, Any] = json.loads(done.stdout)
        return result


@pytest.fixture
def start_agent(tmp_path: Path) -> Iterator[Callable[..., AgentRun]]:
    started: list[AgentRun] = []

    def start(**extra_env: str) -> AgentRun:
        env = {
            **os.environ,
            # The double streams engine events over gRPC: `env python3` must find this venv.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "AGENTS_STATE_DIR": str(tmp_path / "state"),
            "AGENTS_PULUMI_COMMAND": str(FAKE),
            "AGENTS_LOCK_WAIT_S": "0",
            "AGENTS_CANCEL_GRACE_S": "5",
            "FAKE_PULUMI_LOG": str(tmp_path / "argv.jsonl"),
            "FAKE_PULUMI_UP_SLEEP": "120",
            "FAKE_PULUMI_PIDFILE": str(tmp_path / "pulumi.pid"),
            "FAKE_PULUMI_SIGNALS": str(tmp_path / "signals"),
            **extra_env,
        }
        for name in ("FAKE_PULUMI_SCENARIO", "FAKE_PULUMI_VERSION", "FAKE_PULUMI_STACKS"):
            env.pop(name, None)
        process = subprocess.Popen(
            [sys.executable, "-m", "agents", "run", "release-engineer", "--stack", "dev", "--once"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # the test's own terminal signals never reach it
        )
        run = AgentRun(process, tmp_path, env)
        started.append(run)
        return run

    yield start
    for run in started:  # whatever a failed test left behind, by pid
        if run.process.poll() is None:
            run.process.kill()
        run.process.communicate()
        pidfile = run.folder / "pulumi.pid"
        if pidfile.exists() and pidfile.read_text().strip().isdigit():
            pid = int(pidfile.read_text())
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_cli_dies_with_an_agent_killed_by_sigkill(start_agent):
    run = start_agent()
    pid = run.pulumi_pid()
    assert alive(pid), f"the double's up (pid {pid}) should be running before the kill"
    run.process.kill()
    run.process.wait(timeout=30)
    wait_for(f"pulumi (pid {pid}) to die with its agent", lambda: not alive(pid), 30)


@pytest.mark.slow
def test_sigterm_cancels_the_update_records_it_and_frees_the_stack(start_agent):
    run = start_agent()
    pid = run.pulumi_pid()
    run.process.send_signal(signal.SIGTERM)
    _, err = run.process.communicate(timeout=30)
    assert run.process.returncode == 128 + signal.SIGTERM, err
    assert run.signals() == ["SIGINT"], "the CLI gets its graceful cancel, once"
    assert not alive(pid), f"pulumi (pid {pid}) outlived its agent"

    interrupted = run.audit.query({"event": "operation.interrupted", "stack": "dev"})
    assert [(r["operation"], r["signal"]) for r in interrupted] == [("up", "SIGTERM")]
    outcome = run.audit.query({"event": "outcome", "stack": "dev"})
    assert [r["status"] for r in outcome] == ["interrupted"]
    done = run.audit.query({"event": "gateway.done", "operation": "up"})
    assert [r["outcome"] for r in done] == ["interrupted"]
    events = [r["event"] for r in run.audit.records()]
    assert events.index("operation.interrupted") < events.index("lock.released")

    def no_lease() -> bool:
        return not [lock for lock in run.status()["locks"] if lock["stack"] == "dev"]

    wait_for("the lease on dev to be released", no_lease, 5)


def test_sigterm_during_ups_preview_records_no_interrupted_change(start_agent):
    run = start_agent(FAKE_PULUMI_UP_SLEEP="0", FAKE_PULUMI_PREVIEW_SLEEP="120")
    pid = run.pulumi_pid()  # the slow preview's
    run.process.send_signal(signal.SIGTERM)
    _, err = run.process.communicate(timeout=30)
    assert run.process.returncode == 128 + signal.SIGTERM, err
    assert not alive(pid)
    (interrupted,) = run.audit.query({"event": "operation.interrupted", "stack": "dev"})
    assert (interrupted["operation"], interrupted["phase"]) == ("up", "before-start")
    assert not run.audit.query({"event": "operation.started"}), "the update never began"
    argv = [
        json.loads(line)["argv"] for line in (run.folder / "argv.jsonl").read_text().splitlines()
    ]
    assert [a for a in argv if "preview" in a] and not [a for a in argv if "up" in a], argv


@pytest.mark.slow
def test_a_cli_that_ignores_the_cancel_is_killed_after_the_grace(start_agent):
    run = start_agent(FAKE_PULUMI_IGNORE_SIGNALS="1", AGENTS_CANCEL_GRACE_S="1")
    pid = run.pulumi_pid()
    run.process.send_signal(signal.SIGINT)
    _, err = run.process.communicate(timeout=30)
    assert run.process.returncode == 128 + signal.SIGINT, err
    assert run.signals() == ["SIGINT"]
    assert not alive(pid), f"pulumi (pid {pid}) outlived its agent"
    assert [r["status"] for r in run.audit.query({"event": "outcome"})] == ["interrupted"]


# --- the supervisor on its own ------------------------------------------------------------------


def test_a_signal_in_a_shielded_section_is_raised_at_the_next_safe_point():
    supervisor = Supervisor()
    with supervisor.shielded():
        supervisor.interrupt(signal.SIGTERM)  # what the handler does; no child is running
        with pytest.raises(Interrupted) as caught:
            supervisor.check()
    assert caught.value.exit_code == 143 and caught.value.signal_name == "SIGTERM"


def test_a_signal_outside_a_shielded_section_raises_at_once():
    supervisor = Supervisor()
    with pytest.raises(Interrupted, match="SIGINT"):
        supervisor.interrupt(signal.SIGINT)


def test_nothing_starts_after_a_stop_signal():
    supervisor = Supervisor()
    with supervisor.shielded():
        supervisor.interrupt(signal.SIGTERM)
        with pytest.raises(Interrupted):
            supervisor.spawn([sys.executable, "-c", "pass"])
    assert supervisor.running() == []


def test_waiting_for_the_lock_ends_at_a_stop_signal():
    supervisor = Supervisor()
    with supervisor.shielded():
        supervisor.interrupt(signal.SIGTERM)
        with pytest.raises(Interrupted):
            supervisor.sleep(60)


def test_a_child_runs_in_its_own_process_group():
    supervisor = Supervisor()
    proc = supervisor.spawn(
        [sys.executable, "-c", "import os; print(os.getpgid(0))"], stdout=subprocess.PIPE, text=True
    )
    out, _ = proc.communicate(timeout=30)
    supervisor.finished(proc)
    assert int(out) == proc.pid != os.getpgid(0)

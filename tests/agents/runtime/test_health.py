"""The health endpoints (agents/runtime/health.py): the verdicts and the HTTP handler in-process,
then
`python -m agents run master-architect --stack dev --interval 1` as a real looping process
driving the CLI double (tests/agents/fake_pulumi), probed on 127.0.0.1 the way the kubelet
probes it: healthy and ready while it loops; not ready once its state folder turns read-only or
its lock table goes away; not alive once a pass hangs. Time bounds are generous behaviour
timeouts, never the thing measured."""

from __future__ import annotations

import contextlib
import errno
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pytest

from agents.protocol.locks import LockUnavailable
from agents.protocol.locks.dynamodb import dynamodb_client, ensure_table
from agents.protocol.locks.localdb import LocalDynamoDB
from agents.protocol.settings import AgentSettings
from agents.runtime.health import HealthError, HealthServer, LoopHealth, Readiness
from tests.agents.protocol.locks.support import AWS_ENV, REGION
from tests.agents.protocol.test_supervision import FAKE, ROOT, wait_for

STARTUP_S = 90.0
AGENT = (sys.executable, "-m", "agents")


# -- helpers -------------------------------------------------------------------------------------
def request(url: str, method: str = "GET", timeout: float = 30.0) -> tuple[int, Any, Any]:
    """(status, JSON body or None, headers) of one request; never raises on 4xx/5xx."""
    parts = url.split("/", 3)
    host, port = parts[2].rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        conn.request(method, "/" + (parts[3] if len(parts) > 3 else ""))
        response = conn.getresponse()
        raw = response.read()
        body = json.loads(raw) if raw else None
        return response.status, body, response.headers
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# -- the liveness verdict ------------------------------------------------------------------------
def test_a_loop_is_alive_until_no_pass_started_or_finished_for_three_pauses_plus_the_grace():
    clock = Clock()
    health = LoopHealth(interval_s=10, grace_s=5, clock=clock)
    assert health.check()[0], "starting counts as a beat"
    health.pass_started("dev")
    clock.now += 35
    alive, body = health.check()
    assert alive and body["inPass"] == "dev" and body["staleAfterS"] == 35
    clock.now += 0.5
    alive, body = health.check()
    assert not alive and body["status"] == "stuck"
    assert "in a pass on stack dev" in body["reason"], body
    health.pass_finished("dev")
    alive, body = health.check()
    assert alive and body["passes"] == 1 and body["inPass"] is None
    assert body["lastPassFinishedAt"].endswith("Z")


def test_a_loop_that_backs_off_is_not_taken_for_a_dead_one():
    clock = Clock()
    health = LoopHealth(interval_s=10, grace_s=5, clock=clock)
    health.pass_finished("dev")
    health.sleeping(3600)  # the pause after failed passes, doubled up to an hour
    clock.now += 3 * 3600
    assert health.check()[0]
    clock.now += 6
    assert not health.check()[0]


# -- the readiness verdict -----------------------------------------------------------------------
class BrokenLocks:
    def __init__(self) -> None:
        self.calls = 0

    def holder(self, stack: str) -> None:
        self.calls += 1
        raise LockUnavailable(f"DynamoDB table 'locks' in {REGION} cannot be reached")


def test_ready_when_the_state_folder_takes_a_write_and_the_locks_answer(tmp_path):
    settings = AgentSettings(state_dir=tmp_path / "state")
    ready, body = Readiness(settings, "dev").check()
    assert ready, body
    assert body == {
        "status": "ready",
        "stateDir": str(tmp_path / "state"),
        "lockBackend": "file",
        "auditSink": "file",
    }
    assert not [p.name for p in (tmp_path / "state").glob(".probe-*")], "the probe is deleted"


def test_not_ready_while_audit_records_wait_past_the_limit(tmp_path):
    """The sink has not taken the oldest record for longer than the limit: not ready, and why."""
    settings = AgentSettings(
        state_dir=tmp_path / "state",
        audit_sink="cloudwatch",
        audit_log_group="/baseline/dev/agents/audit",
        audit_max_lag_s=60,
    )
    settings.state_dir.mkdir()
    old = {"ts": "2026-01-01T00:00:00+00:00", "event": "request", "writer": "w", "seq": 1}
    settings.audit_log.write_text("\n" + json.dumps(old) + "\n")
    ready, body = Readiness(settings, "dev").check()
    assert not ready and body["auditSink"] == "cloudwatch"
    assert "have not reached /baseline/dev/agents/audit" in body["reason"]


def test_not_ready_when_the_state_folder_cannot_take_a_write(tmp_path):
    (tmp_path / "state").write_text("a file where the folder should be")
    ready, body = Readiness(AgentSettings(state_dir=tmp_path / "state"), "dev").check()
    assert not ready and body["status"] == "not-ready"
    assert "cannot take a write" in body["reason"] and "\n" not in body["reason"]


def test_not_ready_when_the_lock_backend_does_not_answer_and_probes_share_one_check(tmp_path):
    clock, locks = Clock(), BrokenLocks()
    readiness = Readiness(
        AgentSettings(state_dir=tmp_path / "state"), "prod", locks=cast(Any, locks), clock=clock
    )
    for _ in range(5):
        ready, body = readiness.check()
        assert not ready
    assert body["reason"].startswith("lock backend (file) does not answer for stack prod: ")
    assert "cannot be reached" in body["reason"]
    assert locks.calls == 1, "probes within READY_CACHE_S share the last answer"
    clock.now += 2.5
    readiness.check()
    assert locks.calls == 2


# -- the handler ---------------------------------------------------------------------------------
@pytest.fixture
def served() -> Iterator[tuple[str, dict[str, Any]]]:
    verdicts: dict[str, Any] = {"health": (True, {"status": "ok"}), "ready": (True, {})}

    def ready() -> tuple[bool, dict[str, Any]]:
        if isinstance(verdicts["ready"], Exception):
            raise verdicts["ready"]
        return verdicts["ready"]

    with HealthServer("127.0.0.1", 0, lambda: verdicts["health"], ready) as server:
        yield server.url, verdicts


def test_get_answers_json_with_200_or_503(served):
    url, verdicts = served
    status, body, headers = request(f"{url}/healthz")
    assert (status, body) == (200, {"status": "ok"})
    assert headers["Content-Type"] == "application/json"
    assert headers["Cache-Control"] == "no-store"
    verdicts["health"] = (False, {"status": "stuck", "reason": "no pass for 900s"})
    status, body, _ = request(f"{url}/healthz")
    assert (status, body["status"]) == (503, "stuck")
    assert request(f"{url}/healthz?verbose=1")[0] == 503, "a query string is ignored"


def test_head_answers_the_status_without_a_body(served):
    url, verdicts = served
    verdicts["ready"] = (False, {"status": "not-ready", "reason": "x"})
    status, body, headers = request(f"{url}/readyz", "HEAD")
    assert (status, body) == (503, None)
    assert int(headers["Content-Length"]) > 0


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
def test_other_methods_are_refused_with_405(served, method):
    url, _ = served
    status, body, headers = request(f"{url}/healthz", method)
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert method == "HEAD" or body["allow"] == ["GET", "HEAD"]


@pytest.mark.parametrize("path", ["/", "/health", "/healthz/", "/readyz/../healthz", "/metrics"])
def test_other_paths_are_404(served, path):
    url, _ = served
    status, body, _ = request(f"{url}{path}")
    assert status == 404 and body["paths"] == ["/healthz", "/readyz"], path


def test_a_check_that_breaks_is_a_503_not_a_dead_server(served):
    url, verdicts = served
    verdicts["ready"] = RuntimeError("boom\nsecond line")
    status, body, _ = request(f"{url}/readyz")
    assert status == 503 and body == {"status": "error", "reason": "RuntimeError: boom second line"}
    assert request(f"{url}/healthz")[0] == 200


def test_a_taken_port_is_one_line_naming_the_settings():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(HealthError, match=f"cannot listen on 127.0.0.1:{port}") as info:
            HealthServer("127.0.0.1", port, lambda: (True, {}), lambda: (True, {})).start()
    assert "AGENTS_HEALTH_PORT" in str(info.value) and "\n" not in str(info.value)


def test_the_health_settings_read_from_the_environment(monkeypatch, tmp_path):
    for name in ("HEALTH_PORT", "HEALTH_HOST", "HEALTH_GRACE_S", "LOCK_WAIT_S"):
        monkeypatch.delenv(f"AGENTS_{name}", raising=False)
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    assert AgentSettings().health_port is None, "no port, no server"
    monkeypatch.setenv("AGENTS_HEALTH_PORT", "8080")
    monkeypatch.setenv("AGENTS_HEALTH_HOST", "0.0.0.0")
    settings = AgentSettings()
    assert (settings.health_port, settings.health_host) == (8080, "0.0.0.0")
    assert settings.liveness_grace_s == 1800 + 3600, "one lock wait plus the longest operation"
    monkeypatch.setenv("AGENTS_LOCK_WAIT_S", "60")
    assert AgentSettings().liveness_grace_s == 60 + 3600
    monkeypatch.setenv("AGENTS_HEALTH_GRACE_S", "900")
    assert AgentSettings().liveness_grace_s == 900
    monkeypatch.setenv("AGENTS_HEALTH_PORT", "70000")
    with pytest.raises(ValueError, match="health_port"):
        AgentSettings()


# -- a real looping agent ------------------------------------------------------------------------
@dataclass
class Looping:
    process: subprocess.Popen[str]
    url: str
    state: Path

    def get(self, path: str) -> tuple[int, Any]:
        status, body, _ = request(f"{self.url}{path}")
        return status, body

    def until(self, what: str, path: str, want: Callable[[int, Any], bool], timeout: float) -> Any:
        seen: list[Any] = []

        def check() -> Any:
            if self.process.poll() is not None:
                _, err = self.process.communicate()
                raise AssertionError(f"the agent exited ({self.process.returncode}): {err[-2000:]}")
            try:
                status, body = self.get(path)
            except OSError:
                return None
            seen[:] = [status, body]
            return body if want(status, body) else None

        try:
            return wait_for(what, check, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}; last answer {seen}") from None


@pytest.fixture
def looping(tmp_path: Path) -> Iterator[Callable[..., Looping]]:
    started: list[subprocess.Popen[str]] = []

    def start(*, state: Path | None = None, **extra_env: str) -> Looping:
        state = state or tmp_path / "state"
        port = free_port()
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "AGENTS_STATE_DIR": str(state),
            "AGENTS_PULUMI_COMMAND": str(FAKE),
            "AGENTS_LOCK_WAIT_S": "0",
            "AGENTS_HEALTH_PORT": str(port),
            "FAKE_PULUMI_LOG": str(tmp_path / "argv.jsonl"),
            "FAKE_PULUMI_PIDFILE": str(tmp_path / "pulumi.pid"),
            **extra_env,
        }
        for name in ("FAKE_PULUMI_SCENARIO", "FAKE_PULUMI_VERSION", "FAKE_PULUMI_STACKS"):
            env.pop(name, None)
        env.pop("AGENTS_HEALTH_HOST", None)  # the default: 127.0.0.1
        process = subprocess.Popen(
            [*AGENT, "run", "master-architect", "--stack", "dev", "--interval", "1"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        started.append(process)
        return Looping(process, f"http://127.0.0.1:{port}", state)

    yield start
    for process in started:  # SIGTERM: the agent cancels its CLI and releases its lease
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


def _remount(where: Path, options: str) -> bool:
    done = subprocess.run(
        ["mount", "-o", f"remount,{options}", str(where)], capture_output=True, check=False
    )
    return done.returncode == 0


@contextlib.contextmanager
def state_folder(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A state folder and a way to turn it read-only: chmod for a user; for root, whom modes do
    not stop, a tmpfs of its own remounted read-only (skipped where mounting is not allowed)."""
    state = tmp_path / "state"
    state.mkdir()
    if os.geteuid() != 0:
        yield state, lambda: state.chmod(0o555)
        state.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(state)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip("as root, a read-only state folder needs a tmpfs mount, not allowed here")

    def read_only() -> None:  # a write in flight makes the remount busy: try again
        wait_for("the state folder to remount read-only", lambda: _remount(state, "ro"), 30)

    try:
        yield state, read_only
    finally:
        subprocess.run(["umount", "-l", str(state)], capture_output=True, check=False)


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
def test_a_looping_agent_is_alive_and_ready_and_not_ready_once_its_state_turns_read_only(
    looping, tmp_path
):
    with state_folder(tmp_path) as (state, read_only):
        agent = looping(state=state)
        body = agent.until(
            "two passes", "/healthz", lambda s, b: s == 200 and b["passes"] >= 2, STARTUP_S
        )
        assert body["status"] == "ok" and body["lastPassAt"].endswith("Z"), body
        status, ready = agent.get("/readyz")
        assert (status, ready["status"], ready["lockBackend"]) == (200, "ready", "file"), ready

        read_only()
        ready = agent.until("/readyz to fail", "/readyz", lambda s, _b: s == 503, 30)
        assert ready["status"] == "not-ready" and "cannot take a write" in ready["reason"], ready
        assert str(state) in ready["reason"]
        # The loop goes on (every operation refused by the probe): still alive, still passing.
        passes = agent.get("/healthz")[1]["passes"]
        body = agent.until(
            "more passes", "/healthz", lambda s, b: s == 200 and b["passes"] > passes + 1, 30
        )
        assert agent.process.poll() is None


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
def test_a_looping_agent_is_not_ready_while_its_lock_table_cannot_be_reached(looping, monkeypatch):
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    table = f"locks-{uuid.uuid4().hex[:8]}"
    with LocalDynamoDB() as db:
        ensure_table(dynamodb_client(REGION, db.endpoint_url), table)
        agent = looping(
            AGENTS_LOCK_BACKEND="dynamodb",
            AGENTS_DYNAMODB_TABLE=table,
            AGENTS_DYNAMODB_REGION=REGION,
            AGENTS_DYNAMODB_ENDPOINT_URL=db.endpoint_url,
            AGENTS_APPROVAL_KEY_SECRET="baseline-agents/approval-key",
            AWS_ENDPOINT_URL=db.endpoint_url,  # Secrets Manager too: never a real account
        )
        ready = agent.until("/readyz", "/readyz", lambda s, _b: s == 200, STARTUP_S)
        assert ready["lockBackend"] == "dynamodb", ready
    # The table's server is gone.
    ready = agent.until("/readyz to fail", "/readyz", lambda s, _b: s == 503, 90)
    assert ready["reason"].startswith("lock backend (dynamodb) does not answer for stack dev")
    assert table in ready["reason"], ready
    assert agent.get("/healthz")[0] == 200, "not ready is not dead: the loop goes on"


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
def test_a_looping_agent_whose_pass_hangs_is_not_alive(looping, tmp_path):
    agent = looping(AGENTS_HEALTH_GRACE_S="3", FAKE_PULUMI_PREVIEW_SLEEP="300")
    # Alive at first; stuck once no pass started or finished for 3 pauses of 1 s plus 3 s.
    agent.until("/healthz to answer 200", "/healthz", lambda s, _b: s == 200, STARTUP_S)
    wait_for("the double's preview to hang", (tmp_path / "pulumi.pid").exists, STARTUP_S)
    body = agent.until("/healthz to fail", "/healthz", lambda s, _b: s == 503, 30)
    assert body["status"] == "stuck" and body["inPass"] == "dev", body
    assert body["staleAfterS"] == 6 and body["secondsSinceLastPass"] >= 6, body
    assert "in a pass on stack dev" in body["reason"]
    assert agent.get("/readyz")[0] == 200, "stuck is not unready: the folder and locks are fine"


def test_once_serves_no_health_endpoints(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "AGENTS_STATE_DIR": str(tmp_path / "state"),
        "AGENTS_PULUMI_COMMAND": str(FAKE),
        "AGENTS_HEALTH_PORT": str(port),
        "FAKE_PULUMI_LOG": str(tmp_path / "argv.jsonl"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "agents", "run", "master-architect", "--stack", "dev", "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "health endpoints" not in done.stderr
    with pytest.raises(OSError) as info:
        request(f"http://127.0.0.1:{port}/healthz", timeout=5)
    assert info.value.errno in (errno.ECONNREFUSED, None)

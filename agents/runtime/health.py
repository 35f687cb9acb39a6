"""Health endpoints of a looping agent (`python -m agents run PERSONA` without `--once`), for the
kubelet's probes: served only when `AGENTS_HEALTH_PORT` is set, on `AGENTS_HEALTH_HOST`
(default 127.0.0.1; a pod sets 0.0.0.0), by the standard library's `ThreadingHTTPServer` in a
daemon thread. GET and HEAD only (405 otherwise), two paths (404 otherwise), JSON bodies.

- `/healthz` (liveness): 200 while the loop is alive, 503 once it is stuck. The loop beats at the
  start and the end of every pass (one persona routine on one stack) and says how long it will
  pause; it is stuck when its last pass started or finished more than
  `3 * pause + grace` seconds ago. The pause is the loop's current one (the
  interval, or the backed-off pause after a failed pass, up to an hour), so a loop that backs off
  is not mistaken for a dead one; three of them so that a late wake-up is not either. The grace
  bounds one pass: by default the lock wait (`AGENTS_LOCK_WAIT_S`, default 30 min) plus an
  hour, the longest operation (an `up` that creates the cluster and the database): 5400 s with
  the defaults. A liveness failure
  restarts the container: the operation in flight is cancelled and its lease released
  (agents.protocol.supervision), which is what a stuck agent needs.
- `/readyz` (readiness): 200 when the state folder takes a real write (`probe_state_dir`: write,
  fsync, delete) and the lock backend answers (`holder` of the first stack the agent acts on),
  503 with a one-line `reason` otherwise. Checks run one at a time and their answer is kept for
  `READY_CACHE_S`, so a flood of probes costs no more than one check every two seconds (each is
  a 64 KiB fsync and, with DynamoDB, a read).
"""

from __future__ import annotations

import datetime
import json
import socket
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from agents import AgentsError, one_line

if TYPE_CHECKING:
    from agents.protocol.locks import LockBackend
    from agents.protocol.settings import AgentSettings

PASSES_PER_PAUSE = 3
READY_CACHE_S = 2.0
REQUEST_TIMEOUT_S = 10.0  # a client that connects and sends nothing is dropped after this

Check = Callable[[], tuple[bool, dict[str, Any]]]


class HealthError(AgentsError):
    """The health endpoints cannot be served (the address is taken or not ours)."""


def _iso(wall: float | None) -> str | None:
    if wall is None:
        return None
    moment = datetime.datetime.fromtimestamp(wall, datetime.UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


class LoopHealth:
    """The loop's heartbeat (`agents.runtime.runner.Heartbeat`) and the liveness verdict on it."""

    def __init__(
        self,
        interval_s: float,
        grace_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.grace_s = grace_s
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._pause = interval_s
        self._beat = clock()  # the loop is about to start: that counts as a beat
        self._beat_wall = wall()
        self._started: float | None = None
        self._finished: float | None = None
        self._in_pass: str | None = None
        self._passes = 0

    def _now_beat(self) -> float:
        self._beat, self._beat_wall = self._clock(), self._wall()
        return self._beat_wall

    def pass_started(self, stack: str) -> None:
        with self._lock:
            self._started = self._now_beat()
            self._in_pass = stack

    def pass_finished(self, stack: str) -> None:
        with self._lock:
            self._finished = self._now_beat()
            self._in_pass = None
            self._passes += 1

    def sleeping(self, seconds: float) -> None:
        with self._lock:
            self._pause = seconds

    @property
    def stale_after_s(self) -> float:
        return PASSES_PER_PAUSE * self._pause + self.grace_s

    def check(self) -> tuple[bool, dict[str, Any]]:
        with self._lock:
            age = max(0.0, self._clock() - self._beat)
            limit = self.stale_after_s
            alive = age <= limit
            body: dict[str, Any] = {
                "status": "ok" if alive else "stuck",
                "lastPassAt": _iso(self._beat_wall),
                "lastPassStartedAt": _iso(self._started),
                "lastPassFinishedAt": _iso(self._finished),
                "inPass": self._in_pass,
                "passes": self._passes,
                "secondsSinceLastPass": round(age, 1),
                "staleAfterS": round(limit, 1),
            }
            if not alive:
                body["reason"] = (
                    f"no pass started or finished for {age:.0f}s, more than "
                    f"{PASSES_PER_PAUSE} pauses of {self._pause:g}s plus {self.grace_s:g}s"
                    + (f" (in a pass on stack {self._in_pass})" if self._in_pass else "")
                )
        return alive, body


class Readiness:
    """The readiness verdict: the state folder takes a write and the lock backend answers."""

    def __init__(
        self,
        settings: AgentSettings,
        stack: str,
        *,
        locks: LockBackend | None = None,
        cache_s: float = READY_CACHE_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.stack = stack
        self.cache_s = cache_s
        self._clock = clock
        self._locks = locks
        self._lock = threading.Lock()
        self._answer: tuple[float, bool, dict[str, Any]] | None = None

    def check(self) -> tuple[bool, dict[str, Any]]:
        with self._lock:  # one check at a time; the others wait for it and share its answer
            now = self._clock()
            if self._answer is not None and now - self._answer[0] < self.cache_s:
                return self._answer[1], self._answer[2]
            problem = self._problem()
            body: dict[str, Any] = {
                "status": "ready" if problem is None else "not-ready",
                "stateDir": str(self.settings.state_dir),
                "lockBackend": self.settings.lock_backend,
                "auditSink": self.settings.audit_sink,
            }
            if problem is not None:
                body["reason"] = one_line(problem)
            self._answer = (self._clock(), problem is None, body)
            return problem is None, body

    def _problem(self) -> str | None:
        from agents.protocol.audit_sink import refusal  # noqa: PLC0415
        from agents.protocol.backends import open_backend  # noqa: PLC0415
        from agents.protocol.state_files import StateDirError, probe_state_dir  # noqa: PLC0415

        try:
            probe_state_dir(self.settings.state_dir)
        except StateDirError as exc:
            return str(exc)
        backend = f"lock backend ({self.settings.lock_backend})"
        try:
            if self._locks is None:
                self._locks = open_backend(self.settings)
            self._locks.holder(self.stack)
        except Exception as exc:  # noqa: BLE001 - any failure to answer is "not ready", said once
            return f"{backend} does not answer for stack {self.stack}: {exc}"
        # Records that cannot reach the sink: mutating work is refused, and so is readiness.
        return refusal(self.settings)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    checks: dict[str, Check]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = REQUEST_TIMEOUT_S
    server_version = "baseline-agents"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(with_body=True)

    def do_HEAD(self) -> None:
        self._answer(with_body=False)

    def _not_allowed(self) -> None:
        self._send(405, {"status": "method-not-allowed", "allow": ["GET", "HEAD"]}, True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _not_allowed

    def _answer(self, *, with_body: bool) -> None:
        check = self.server.checks.get(urlsplit(self.path).path)
        if check is None:
            self._send(404, {"status": "not-found", "paths": sorted(self.server.checks)}, with_body)
            return
        try:
            ok, body = check()
        except Exception as exc:  # noqa: BLE001 - a check that breaks is a failed check
            ok, body = (
                False,
                {"status": "error", "reason": one_line(f"{type(exc).__name__}: {exc}")},
            )
        self._send(200 if ok else 503, body, with_body)

    def _send(self, code: int, body: dict[str, Any], with_body: bool) -> None:
        data = (json.dumps(body, separators=(",", ":")) + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if code == 405:
            self.send_header("Allow", "GET, HEAD")
        self.end_headers()
        if with_body:
            self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: a probe every few seconds is not news (the base class writes each to stderr)."""


class HealthServer:
    """`/healthz` and `/readyz` on (host, port), served from a daemon thread while in use:

    with HealthServer("127.0.0.1", 8080, LoopHealth(300, 5400), Readiness(settings, "dev")):
        ...
    """

    def __init__(self, host: str, port: int, health: Check | LoopHealth, ready: Check | Readiness):
        self.host = host
        self.port = port
        self.checks: dict[str, Check] = {
            "/healthz": health.check if isinstance(health, LoopHealth) else health,
            "/readyz": ready.check if isinstance(ready, Readiness) else ready,
        }
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where it listens (the real port when 0 was asked for)."""
        if self._server is None:
            return self.host, self.port
        bound = self._server.server_address
        return str(bound[0]), int(bound[1])

    @property
    def url(self) -> str:
        host, port = self.address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"

    def start(self) -> HealthServer:
        server_class = _Server
        if ":" in self.host:  # an IPv6 address

            class _Server6(_Server):
                address_family = socket.AF_INET6

            server_class = _Server6
        try:
            server = server_class((self.host, self.port), _Handler)
        except (OSError, OverflowError) as exc:
            raise HealthError(
                f"health endpoints: cannot listen on {self.host}:{self.port} ({exc}); set "
                "AGENTS_HEALTH_HOST/AGENTS_HEALTH_PORT to a free address of this host"
            ) from exc
        server.checks = self.checks
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how soon `stop` returns
            daemon=True,
            name="agents-health",
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None

    def __enter__(self) -> HealthServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

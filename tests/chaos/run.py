"""The agents under chaos (`make chaos`): several personas at once, as real processes, against one
shared state, while the run injects faults; then the invariants are checked from what the agents
recorded.

    python -m tests.chaos.run [--duration 240] [--backend file|dynamodb] [--records local|team]
                              [--seed N] [--json] [--keep DIR]

What runs: for `--duration` seconds, up to `--agents` concurrent `python -m agents run PERSONA
--stack S --once` processes (release-engineer on dev and prod, reliability-engineer,
security-auditor, data-steward, observability-engineer), driving the Pulumi CLI test double,
with the personas' cooldowns scaled down (`AGENTS_COOLDOWN_SCALE`) so that they contend. A
"human" approves or rejects pending prod approvals now and then. With `--backend dynamodb` the
locks and approvals live in a DynamoDB table on a local moto server.

What it injects (each chosen at random, with the seed printed so a run can be replayed):
  - SIGKILL of a running agent (its CLI dies with it; its lease must expire and be taken over);
  - SIGTERM of a running agent (graceful cancel, `interrupted`, lease released);
  - a slow CLI (`up` sleeping seconds) and a failing CLI (exit 255) for a run;
  - clock skew: an agent whose wall clock runs up to 2 s off (libfaketime, where installed), far
    below the lease TTL as the README requires;
  - a lock-backend outage: the moto server paused (SIGSTOP) for a few seconds, then resumed
    (dynamodb backend only);
  - a full disk: the state folder on a small tmpfs filled to the brim for a while (root only;
    reported as not injected elsewhere).

What must hold (`check`):
  - no two operations on one stack overlap (from `operation.started` to its end record, by token);
  - fencing tokens increase per stack in the order leases were taken;
  - no `up` on a protected stack without an approval consumed for it first;
  - no torn audit line: every line of the audit log is whole JSON;
  - every stack's lease is free in the end (after the lease TTL).
With `--records team` all seven personas run at once, findings and memory live on a throwaway
PostgreSQL and the audit log goes to CloudWatch Logs on a second moto server; the faults and
invariants that adds are in tests/chaos/records.py (PostgreSQL paused 20 s or restarted mid-
transaction, the sink unreachable; no lost or duplicated finding, no audit record lost, no
mutating operation while the spool is older than the limit).
Exit 0 when all held, 1 otherwise; the report lists what was injected and what held.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain.inputs import OneLineParser

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "agents" / "fake_pulumi"
PROTECTED = {"prod"}
LEASE_TTL_S = 12.0
JOBS = [
    ("release-engineer", "dev"),
    ("release-engineer", "prod"),
    ("reliability-engineer", "dev"),
    ("reliability-engineer", "prod"),
    ("security-auditor", "dev"),
    ("data-steward", "prod"),
]
# --records team: every persona at once.
TEAM_JOBS = [
    ("master-architect", "prod"),
    ("release-engineer", "dev"),
    ("release-engineer", "prod"),
    ("cost-optimizer", "dev"),
    ("security-auditor", "dev"),
    ("reliability-engineer", "prod"),
    ("data-steward", "prod"),
    ("observability-engineer", "dev"),
]


@dataclass
class Report:
    seed: int
    backend: str
    duration_s: float
    records: str = "local"
    runs: int = 0
    injected: Counter[str] = field(default_factory=Counter)
    not_injected: list[str] = field(default_factory=list)
    exits: Counter[str] = field(default_factory=Counter)
    checks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(not problems for problems in self.checks.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "backend": self.backend,
            "records": self.records,
            "durationS": round(self.duration_s, 1),
            "runs": self.runs,
            "injected": dict(self.injected),
            "notInjected": self.not_injected,
            "exits": dict(self.exits),
            "checks": {k: v[:20] for k, v in self.checks.items()},
            "ok": self.ok,
        }


# -- the invariants (pure functions of the audit records, tested on their own) -------------------
def check_torn(raw: bytes) -> list[str]:
    """Every non-empty line is a whole JSON object."""
    problems = []
    for n, line in enumerate(raw.split(b"\n"), 1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            problems.append(f"audit line {n} is torn: {line[:80]!r}")
            continue
        if not isinstance(value, dict):
            problems.append(f"audit line {n} is not an object")
    return problems


_END = {"operation.succeeded", "operation.failed", "operation.interrupted", "outcome"}


def operations(records: list[dict[str, Any]]) -> list[tuple[str, int, str, float, float]]:
    """(stack, token, operation, start, end) of every mutating run that started: from its
    `operation.started` to its last record under the same token (a killed holder has none: its
    end is then the start of the next lease on the stack, the latest it can have acted).
    Positions are places in the audit log, not timestamps: agents' clocks may be skewed (the run
    skews them), while the log's append order is one order for all."""
    starts: dict[tuple[str, int], tuple[str, float]] = {}
    ends: dict[tuple[str, int], float] = {}
    acquired: dict[str, list[tuple[float, int]]] = {}
    for at, r in enumerate(records):
        stack, token = r.get("stack"), r.get("token")
        if not isinstance(stack, str) or not isinstance(token, int):
            continue
        key = (stack, token)
        if r["event"] == "lock.acquired":
            acquired.setdefault(stack, []).append((at, token))
        elif r["event"] == "operation.started" and r.get("operation") in ("up", "refresh"):
            starts[key] = (str(r.get("operation")), at)
        elif r["event"] in _END or r["event"] == "lock.released":
            ends[key] = max(ends.get(key, at), at)
    found = []
    for (stack, token), (op, start) in starts.items():
        end = ends.get((stack, token))
        if end is None:
            later = [at for at, t in acquired.get(stack, []) if t > token]
            end = min(later) if later else float("inf")
        found.append((stack, token, op, start, end))
    return found


def check_overlap(records: list[dict[str, Any]]) -> list[str]:
    problems = []
    by_stack: dict[str, list[tuple[float, float, int, str]]] = {}
    for stack, token, op, start, end in operations(records):
        by_stack.setdefault(stack, []).append((start, end, token, op))
    for stack, runs in by_stack.items():
        runs.sort()
        latest: tuple[float, int, str] | None = None  # the run that ends last so far
        for start, end, token, op in runs:
            if latest is not None and start < latest[0]:
                problems.append(
                    f"{stack}: {op} (token {token}) started while {latest[2]} (token "
                    f"{latest[1]}) still ran"
                )
            if latest is None or end > latest[0]:
                latest = (end, token, op)
    return problems


def check_tokens(records: list[dict[str, Any]]) -> list[str]:
    """Per stack, the tokens of `lock.acquired` increase in the log's append order (a holder
    writes that line before it can release, so the next holder's line comes after it)."""
    problems = []
    last: dict[str, int] = {}
    for r in (r for r in records if r["event"] == "lock.acquired"):
        stack, token = r["stack"], r["token"]
        if token <= last.get(stack, 0):
            problems.append(f"{stack}: token {token} taken after token {last[stack]}")
        last[stack] = max(token, last.get(stack, 0))
    return problems


def check_approvals(records: list[dict[str, Any]]) -> list[str]:
    """Every `up` started on a protected stack names an approval consumed for that stack before
    it started, and no approval is consumed twice."""
    consumed: dict[str, int] = {}
    problems = []
    for at, r in enumerate(records):
        if r["event"] == "approval.consumed":
            approval = str(r.get("approval"))
            if approval in consumed:
                problems.append(f"approval {approval} consumed twice")
            consumed[approval] = at
    for at, r in enumerate(records):
        if r["event"] != "operation.started" or r.get("operation") != "up":
            continue
        if r.get("stack") not in PROTECTED:
            continue
        approval = str(r.get("approval") or "")
        if not approval or approval not in consumed or consumed[approval] > at:
            problems.append(f"up on {r.get('stack')} (token {r.get('token')}) without approval")
    return problems


# -- the run ---------------------------------------------------------------------------------------
class Chaos:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.rng = random.Random(args.seed)
        self.workdir = workdir
        self.state = workdir / "state"
        self.report = Report(args.seed, args.backend, args.duration, args.records)
        self.running: list[tuple[subprocess.Popen[bytes], str]] = []
        self.team: Any = None  # tests.chaos.records.TeamRecords with --records team
        self.faults: list[threading.Thread] = []
        self.server: Any = None
        self.env: dict[str, str] = {}
        self.disk = False
        self.faketime = shutil.which("faketime")

    def base_env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "AGENTS_STATE_DIR": str(self.state),
            "AGENTS_PULUMI_COMMAND": str(FAKE),
            "AGENTS_LOCK_WAIT_S": "20",
            "AGENTS_LEASE_TTL_S": str(LEASE_TTL_S),
            "AGENTS_CANCEL_GRACE_S": "2",
            "AGENTS_COOLDOWN_SCALE": "0.001",
            "AGENTS_APPROVAL_TTL_S": "600",
            "FAKE_PULUMI_LOG": str(self.workdir / "argv.jsonl"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "GRPC_VERBOSITY": "ERROR",
        }
        env.pop("AWS_PROFILE", None)
        if self.server is not None:
            env.update(
                {
                    "AGENTS_LOCK_BACKEND": "dynamodb",
                    "AGENTS_DYNAMODB_TABLE": "chaos-locks",
                    "AGENTS_DYNAMODB_ENDPOINT_URL": self.server.endpoint_url,
                    "AGENTS_APPROVAL_KEY_SECRET": "baseline-agents/approval-key",
                    "AWS_ENDPOINT_URL": self.server.endpoint_url,
                }
            )
        else:
            env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"  # AWS checks: refused at once
        if self.team is not None:
            env.update(self.team.env)
        return env

    def agents(self, *argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "agents", *argv],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def setup(self) -> None:
        if self.args.backend == "dynamodb":
            from agents.protocol.locks.localdb import LocalDynamoDB  # noqa: PLC0415

            self.server = LocalDynamoDB().__enter__()
        if self.args.records == "team":
            from tests.chaos.records import team_records  # noqa: PLC0415

            self._team_context = team_records(self.state / "audit.jsonl")
            self.team = self._team_context.__enter__()
        self.env = self.base_env()
        if self.server is not None:
            done = self.agents("init-lock-table")
            if done.returncode:
                raise SystemExit(f"chaos: init-lock-table failed: {done.stderr.strip()}")
        done = self.agents("init-approval-key")
        if done.returncode:
            raise SystemExit(f"chaos: init-approval-key failed: {done.stderr.strip()}")

    def start_agent(self) -> None:
        persona, stack = self.rng.choice(TEAM_JOBS if self.team is not None else JOBS)
        env = dict(self.env)
        roll = self.rng.random()
        if roll < 0.15:
            env["FAKE_PULUMI_SCENARIO"] = "fail"
            self.report.injected["failing CLI"] += 1
        elif roll < 0.40:
            env["FAKE_PULUMI_UP_SLEEP"] = f"{self.rng.uniform(1, 5):.1f}"
            self.report.injected["slow CLI"] += 1
        command = [sys.executable, "-m", "agents", "run", persona, "--stack", stack, "--once"]
        if self.rng.random() < 0.15 and self.faketime:
            # libfaketime: this agent's wall clock runs off by up to 2 s (monotonic untouched),
            # far below the lease TTL, as the README requires of real machines.
            command = [self.faketime, "-f", f"{self.rng.uniform(-2, 2):+.2f}s", *command]
            env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
            self.report.injected["clock skew"] += 1
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        self.running.append((process, f"{persona}/{stack}"))
        self.report.runs += 1

    def reap(self) -> None:
        still = []
        for process, what in self.running:
            code = process.poll()
            if code is None:
                still.append((process, what))
            else:
                self.report.exits[str(code)] += 1
        self.running = still

    def strike(self) -> None:
        """One fault, chosen at random."""
        roll = self.rng.random()
        if self.running and roll < 0.25:
            process, _ = self.rng.choice(self.running)
            sig = signal.SIGKILL if self.rng.random() < 0.5 else signal.SIGTERM
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)
                self.report.injected[signal.Signals(sig).name] += 1
        elif roll < 0.35 and self.server is not None:
            pid = self.server.pid
            os.kill(pid, signal.SIGSTOP)
            self.report.injected["lock backend paused"] += 1
            time.sleep(self.rng.uniform(1, 4))
            os.kill(pid, signal.SIGCONT)
        elif roll < 0.45 and self.disk:
            # not while a sink outage's release probe runs (`TeamRecords.quiet_disk`)
            with self.team.quiet_disk if self.team is not None else contextlib.nullcontext():
                filler = self.state / ".chaos-filler"
                with contextlib.suppress(OSError), filler.open("wb") as fh:
                    while True:
                        fh.write(b"\0" * (1 << 20))
                self.report.injected["disk full"] += 1
                time.sleep(self.rng.uniform(1, 3))
                filler.unlink(missing_ok=True)
        elif roll < 0.60:
            self.human()
        elif roll < 0.75 and self.team is not None:
            self.team_fault()

    def team_fault(self) -> None:
        """One of the team records' faults, in the background (agents keep starting meanwhile);
        at most one at a time."""
        from tests.chaos import records  # noqa: PLC0415

        if any(t.is_alive() for t in self.faults):
            return
        # Each kind once first (a short run still has all three), then at random.
        done = sum(n for k, n in self.report.injected.items() if k in records.FAULTS)
        roll = (0.1, 0.8, 0.4)[done] if done < len(records.FAULTS) else self.rng.random()
        if roll < 0.35:
            name, action = records.PG_PAUSED, lambda: self.team.pause_postgres(records.PG_PAUSE_S)
        elif roll < 0.55:
            name, action = records.PG_RESTARTED, self.team.restart_postgres
        else:
            name, action = (
                records.SINK_DOWN,
                lambda: self.team.pause_sink(records.SINK_PAUSE_S, probe=self.release_probe),
            )
        self.report.injected[name] += 1
        thread = threading.Thread(target=action, name=name, daemon=True)
        thread.start()
        self.faults.append(thread)

    def release_probe(self) -> str:
        """A release on dev, now (the sink is down past the limit): its outcomes, as text."""
        done = self.agents("run", "release-engineer", "--stack", "dev", "--once", "--json")
        return (done.stdout + done.stderr).strip()

    def human(self) -> None:
        done = self.agents("status", "--json", timeout=60)
        with contextlib.suppress(ValueError):
            pending = json.loads(done.stdout).get("approvals", [])
            for request in pending:
                verb = "approve" if self.rng.random() < 0.8 else "reject"
                self.agents(verb, request["id"], "--by", "chaos-human", timeout=60)
                self.report.injected[f"human {verb}"] += 1

    def run(self) -> None:
        stop_at = time.monotonic() + self.args.duration
        last_report = time.monotonic()
        while time.monotonic() < stop_at:
            self.reap()
            while len(self.running) < self.args.agents:
                self.start_agent()
            self.strike()
            time.sleep(self.rng.uniform(0.2, 1.0))
            if time.monotonic() - last_report > 15:
                left = stop_at - time.monotonic()
                print(
                    f"chaos: {self.report.runs} runs, {sum(self.report.injected.values())} "
                    f"faults, {left:.0f}s left",
                    file=sys.stderr,
                    flush=True,
                )
                last_report = time.monotonic()
        for process, _ in self.running:  # the run ends: the rest finish or are killed
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=60)
            if process.poll() is None:
                process.kill()
                process.wait()
        for thread in self.faults:
            thread.join()
        self.reap()

    def check(self) -> None:
        raw = (self.state / "audit.jsonl").read_bytes()
        from agents.protocol.audit import AuditLog  # noqa: PLC0415

        records = list(AuditLog(self.state / "audit.jsonl").records())
        self.report.checks["no torn audit line"] = check_torn(raw)
        self.report.checks["no overlapping operations"] = check_overlap(records)
        self.report.checks["tokens increase"] = check_tokens(records)
        self.report.checks["no up without a valid approval"] = check_approvals(records)
        self.report.checks["every lease eventually free"] = self.leases_free()
        if self.team is not None:
            self.check_team(records)

    def check_team(self, records: list[dict[str, Any]]) -> None:
        from agents.protocol.audit import AuditLog  # noqa: PLC0415
        from agents.protocol.audit_sink import CloudWatchSink  # noqa: PLC0415
        from agents.protocol.audit_verify import verify  # noqa: PLC0415
        from agents.protocol.settings import AgentSettings  # noqa: PLC0415
        from tests.chaos import records as team  # noqa: PLC0415

        checks = self.report.checks
        checks["no finding opened twice"] = team.check_findings_audit(records)
        try:
            rows = team.findings_rows(self.team)
        except Exception as exc:  # noqa: BLE001 - reported as a broken invariant
            rows, checks["no lost or duplicated finding"] = [], [f"store unreadable: {exc}"]
        else:
            checks["no lost or duplicated finding"] = team.check_findings_store(records, rows)
        code, said = team.drain_and_read_back(self.env, ROOT)
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            os.environ[key] = self.env[key]  # the local moto server's dummy credentials
        settings = AgentSettings(
            state_dir=self.state,
            audit_sink="cloudwatch",
            audit_log_group=team.GROUP,
            audit_endpoint_url=self.team.env["AGENTS_AUDIT_ENDPOINT_URL"],
        )
        sink = list(CloudWatchSink(settings).read_back())
        local = [raw for _o, raw, _r in AuditLog(self.state / "audit.jsonl").raw_records()]
        lost = team.check_sink_has_everything(local, sink)
        if code:
            lost.append(f"audit drain after the run: exit {code}: {said[:200]}")
        checks["no audit record lost (spool drained after)"] = lost
        checks["every writer's chain verifies in the sink"] = [
            f"{p['kind']}: {p['writer']}: {p['detail']}"
            for p in verify(sink, source="cloudwatch").problems
        ]
        refused = [
            r
            for r in records
            if r.get("outcome") == "refused-audit-behind"  # by the gateway
            or "audit records have not reached" in str(r.get("why", ""))  # by the runner
        ]
        self.report.injected["mutations refused: audit sink behind"] += len(refused)
        checks["a release during a sink outage is refused"] = team.check_probes(self.team.probes)
        if not self.team.probes:
            self.report.not_injected.append("a release during a sink outage (no outage ran)")
        checks["no mutation while the spool is older than the limit"] = (
            team.check_no_mutation_while_behind(records, self.team.outages, team.MAX_LAG_S)
        )

    def leases_free(self) -> list[str]:
        deadline = time.monotonic() + LEASE_TTL_S + 10
        held: list[str] = []
        while time.monotonic() < deadline:
            done = self.agents("status", "--json", timeout=60)
            try:
                held = [
                    f"{lock['stack']} held by {lock['owner']}"
                    for lock in json.loads(done.stdout)["locks"]
                ]
            except (ValueError, KeyError):
                held = [f"status unreadable: {done.stderr.strip()[:200]}"]
            if not held:
                return []
            time.sleep(2)
        return held

    def close(self) -> None:
        if self.team is not None:
            self._team_context.__exit__(None, None, None)
        if self.server is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.server.pid, signal.SIGCONT)
            self.server.__exit__(None, None, None)

    def keep(self, where: Path) -> None:
        """What a failure is read from, copied out of the run's temporary folder: the audit
        log (with its chain cache and the sink's cursor), the CLI double's invocations and the
        sink outages (mark and end, wall clock)."""
        where.mkdir(parents=True, exist_ok=True)
        names = ("audit.jsonl", "audit.jsonl.chain", "audit-sink.json")
        for source in (*(self.state / n for n in names), self.workdir / "argv.jsonl"):
            with contextlib.suppress(FileNotFoundError):
                shutil.copyfile(source, where / source.name)
        outages = self.team.outages if self.team is not None else []
        (where / "outages.json").write_text(json.dumps(outages) + "\n")


@contextlib.contextmanager
def small_disk(where: Path) -> Iterator[bool]:
    """A 64 MiB tmpfs at `where` for the state folder, so the run can fill it (root only);
    False (and a plain folder) where mounting is not allowed."""
    where.mkdir(parents=True, exist_ok=True)
    mounted = (
        os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(where)], capture_output=True, check=False)


def _holds_anything(path: Path) -> bool:
    """Whether `path` is anything but a missing or empty folder, a link counting as something
    (`--keep` writes only there: never over an agents' state folder, a file, or through a link)."""
    if path.is_symlink():
        return True
    if not path.exists():
        return False
    return not path.is_dir() or any(path.iterdir())


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=240.0, help="seconds of chaos")
    parser.add_argument("--agents", type=int, default=4, help="agents at once")
    parser.add_argument("--backend", choices=["file", "dynamodb"], default="file")
    parser.add_argument(
        "--records",
        choices=["local", "team"],
        default="local",
        help="team: findings and memory on PostgreSQL, the audit log to CloudWatch Logs",
    )
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", action="store_true")
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        help="copy the audit log, the CLI's invocations and the outages into this new or empty "
        "folder (to read a failure)",
    )
    args = parser.parse_args(argv)
    if args.keep is not None and _holds_anything(args.keep):
        parser.error(
            f"--keep {args.keep}: not a new or empty folder (nothing there is overwritten)"
        )
    if args.records == "team" and args.agents == 4:
        args.agents = 7  # seven personas at once
    if args.records == "team":
        from tests.postgres_server import find_binaries  # noqa: PLC0415

        if find_binaries() is None:
            # As the PostgreSQL tests do: skipped, with the reason, only where none exist.
            print("chaos: --records team needs PostgreSQL's binaries (initdb, pg_ctl): not run")
            return 0
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 30)
    with (
        tempfile.TemporaryDirectory(prefix="chaos-") as tmp,
        small_disk(Path(tmp) / "state") as mounted,
    ):
        chaos = Chaos(args, Path(tmp))
        chaos.disk = mounted
        if not mounted:
            chaos.report.not_injected.append("disk full (needs root to mount a small tmpfs)")
        if not chaos.faketime:
            chaos.report.not_injected.append("clock skew (needs faketime: apt install faketime)")
        if args.backend != "dynamodb":
            chaos.report.not_injected.append("lock backend outage (needs --backend dynamodb)")
        try:
            chaos.setup()
            print(
                f"chaos: seed {args.seed}, {args.backend} backend, {args.duration:.0f}s",
                file=sys.stderr,
            )
            chaos.run()
            chaos.check()
        finally:
            chaos.close()
            if args.keep is not None:
                try:
                    chaos.keep(args.keep)
                except OSError as exc:  # the run's own outcome, or its error, comes first
                    print(f"chaos: --keep {args.keep}: {exc}", file=sys.stderr)
    report = chaos.report
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print(f"chaos run: seed {report.seed}, {report.backend} backend, {report.runs} agent runs")
        print("injected: " + ", ".join(f"{k} {n}" for k, n in sorted(report.injected.items())))
        print("agent exits: " + ", ".join(f"{k}: {n}" for k, n in sorted(report.exits.items())))
        for what in report.not_injected:
            print(f"not injected: {what}")
        for name, problems in report.checks.items():
            print(f"  {'held  ' if not problems else 'BROKEN'} {name}")
            for p in problems[:10]:
                print(f"         {p}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())

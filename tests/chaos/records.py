"""The chaos run's team records (`--records team`): findings and memory on a throwaway
PostgreSQL (verified TLS), the audit log sent to CloudWatch Logs on a second local moto server,
and the faults and invariants that come with them.

Faults: the PostgreSQL server paused (SIGSTOP of every server process) for `PG_PAUSE_S` and
resumed, or restarted at once (`pg_ctl restart -m immediate`, every transaction in flight lost);
the log sink paused for `SINK_PAUSE_S` (its requests hang: unreachable without refusing).

Invariants:
  - no lost finding: every `finding.opened` on the audit log is in the store, under its id;
  - no duplicated finding: at most one open finding per identity in the store, and no identity
    opened twice on the audit log without a close between;
  - no audit record lost: after the sink is back and the spool drained, every chained record of
    the local log is in the sink (same writer, seq and bytes), and every writer's chain in the sink
    verifies (no gap, edit, reordering);
  - no mutating operation while the spool is older than the limit: no `up`/`refresh` run of
    the gateway starts between a sink outage's mark plus the limit and its end (less margins
    for clock skew) without being refused for it.

The spool's age is the age of its oldest undelivered record (agents.protocol.audit_sink.lag),
not the time since the sink went away: agents that write nothing for a while after an outage
begins (those starting then spend seconds on the sink they cannot seed from) leave nothing to
be late, and an `up` then is allowed by design. So the run marks each outage on the audit log
itself (a `chaos.sink-paused` record from the writer `chaos-harness`, written just after the
sink stops): from the mark on, the oldest undelivered record is at least as old as the outage,
and the windows above are measured from it.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

GROUP = "/baseline/chaos/agents/audit"
MAX_LAG_S = 8.0
PG_PAUSE_S = 20.0
SINK_PAUSE_S = 25.0
PG_PAUSED = "postgres paused 20 s"
PG_RESTARTED = "postgres restarted mid-transaction"
SINK_DOWN = "audit sink unreachable 25 s"
FAULTS = (PG_PAUSED, PG_RESTARTED, SINK_DOWN)
SKEW_S = 2.0  # the most an agent's clock runs off in the chaos run (tests/chaos/run.py)
# A run's `gateway.start` and its decision are on one clock, a moment apart; the oldest waiting
# record is at most SKEW_S younger by its own clock than the mark. So the window of a sure
# refusal is the outage less SKEW_S and a slack (a busy machine between the two) at each end.
MARGIN_S = SKEW_S + 2.0
FREE_BYTES = 1 << 20  # the harness marks only where this is free: the agents' reserve is theirs
HARNESS = "chaos-harness"  # the audit writer of the outage marks


@dataclass
class TeamRecords:
    """The servers and the environment that points the agents at them."""

    pg: Any
    sink: Any
    audit_log: Path
    env: dict[str, str] = field(default_factory=dict)
    outages: list[tuple[float, float]] = field(default_factory=list)  # mark to end, wall clock
    probes: list[str] = field(default_factory=list)  # releases tried while the sink was down
    # held by a probe's release and by the run's disk-full fault: a release refused because the
    # fault filled the disk meanwhile (ENOSPC) says nothing of the sink
    quiet_disk: threading.Lock = field(default_factory=threading.Lock)

    def pause_postgres(self, seconds: float) -> None:
        self.pg.pause()
        try:
            time.sleep(seconds)
        finally:
            self.pg.resume()

    def restart_postgres(self) -> None:
        self.pg.stop("immediate")
        self.pg.start()

    def pause_sink(self, seconds: float, probe: Callable[[], str] | None = None) -> None:
        """The sink hangs for `seconds`; its start is marked on the audit log (see the module
        docstring); once the mark is past the limit, the margin and a clock's skew, `probe`
        runs a release (a mutating operation) and its answer (or its failure) is kept in
        `probes`. The sink stays down until the probe has answered."""
        os.kill(self.sink.pid, signal.SIGSTOP)
        start = time.time()
        marked = None
        try:
            marked = self.mark_outage(until=start + seconds)
            if marked is not None and probe is not None:
                time.sleep(max(0.0, marked + MAX_LAG_S + MARGIN_S + SKEW_S - time.time()))
                try:
                    with self.quiet_disk:
                        self.probes.append(probe())
                except Exception as exc:  # noqa: BLE001 - kept, and check_probes reports it
                    self.probes.append(f"the probe failed: {type(exc).__name__}: {exc}")
            time.sleep(max(0.0, start + seconds - time.time()))
        finally:
            os.kill(self.sink.pid, signal.SIGCONT)
            if marked is not None:
                self.outages.append((marked, time.time()))

    def mark_outage(self, *, until: float) -> float | None:
        """Append the outage's mark, once the disk has room (the run fills it for a few
        seconds; the harness leaves the agents' reserve alone); the wall time it was written
        by, or None if it never was (then the outage has no window: nothing in the spool was
        surely late)."""
        from agents.protocol.audit import AuditLog  # noqa: PLC0415

        while time.time() < until:
            with contextlib.suppress(OSError):
                if shutil.disk_usage(self.audit_log.parent).free >= FREE_BYTES:
                    AuditLog(self.audit_log, writer=HARNESS).append("chaos.sink-paused")
                    return time.time()
            time.sleep(0.2)
        return None


@contextlib.contextmanager
def team_records(audit_log: Path) -> Iterator[TeamRecords]:
    """Start PostgreSQL and a CloudWatch Logs server; the agents' environment to use them.
    `audit_log` is the agents' (shared) local log, where outages are marked."""
    import boto3  # noqa: PLC0415
    import psycopg  # noqa: PLC0415

    from agents.protocol.locks.localdb import LocalDynamoDB  # noqa: PLC0415
    from tests.postgres_server import PASSWORD, SUPERUSER, running_server  # noqa: PLC0415

    with running_server() as pg, LocalDynamoDB() as sink:
        with psycopg.connect(**pg.conninfo(), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute("CREATE DATABASE agents")
        boto3.client(
            "logs",
            region_name="us-east-1",
            endpoint_url=sink.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        ).create_log_group(logGroupName=GROUP)
        env = {
            "AGENTS_RECORDS_BACKEND": "postgres",
            "AGENTS_PG_HOST": "127.0.0.1",
            "AGENTS_PG_PORT": str(pg.port),
            "AGENTS_PG_DATABASE": "agents",
            "AGENTS_PG_USER": SUPERUSER,
            "AGENTS_PG_AUTH": "password",
            "AGENTS_PG_PASSWORD": PASSWORD,
            "AGENTS_PG_SSLROOTCERT": str(pg.ca),
            "AGENTS_PG_CONNECT_TIMEOUT_S": "5",
            "AGENTS_AUDIT_SINK": "cloudwatch",
            "AGENTS_AUDIT_LOG_GROUP": GROUP,
            "AGENTS_AUDIT_ENDPOINT_URL": sink.endpoint_url,
            "AGENTS_AUDIT_MAX_LAG_S": str(MAX_LAG_S),
            "AGENTS_AUDIT_BATCH_S": "1",
        }
        yield TeamRecords(pg, sink, audit_log, env)
        with contextlib.suppress(ProcessLookupError):
            os.kill(sink.pid, signal.SIGCONT)
        with contextlib.suppress(Exception):
            pg.resume()


# -- the invariants (pure functions where they can be; tested in test_invariants.py) -------------
def check_findings_audit(records: list[dict[str, Any]]) -> list[str]:
    """No identity opened twice on the audit log without a close between."""
    problems = []
    open_ids: dict[tuple[str, str, str, str], Any] = {}
    closed_ids: set[Any] = set()
    for r in records:
        if r["event"] == "finding.closed":
            closed_ids.add(r.get("id"))
    for r in records:
        identity = (
            str(r.get("persona")),
            str(r.get("stack")),
            str(r.get("kind")),
            str(r.get("resource")),
        )
        if r["event"] == "finding.opened":
            before = open_ids.get(identity)
            if before is not None and before not in closed_ids:
                problems.append(
                    f"{'/'.join(identity)} opened as {r.get('id')} while {before} was open"
                )
            open_ids[identity] = r.get("id")
    return problems


def check_findings_store(records: list[dict[str, Any]], rows: list[dict[str, Any]]) -> list[str]:
    """Every finding the audit log says was opened is in the store; one open row per identity."""
    problems = []
    ids = {row["id"] for row in rows}
    for r in records:
        if r["event"] == "finding.opened" and r.get("id") not in ids:
            problems.append(f"finding {r.get('id')} ({r.get('kind')}) is on the log, not stored")
    seen: dict[tuple[str, ...], int] = {}
    for row in rows:
        if row["status"] != "open":
            continue
        identity = (row["persona"], row["stack"], row["kind"], row["resource"])
        if identity in seen:
            problems.append(f"{'/'.join(identity)} is open twice ({seen[identity]}, {row['id']})")
        seen[identity] = row["id"]
    return problems


def check_sink_has_everything(local: list[bytes], sink: list[bytes]) -> list[str]:
    """Every chained local record is in the sink with the same bytes."""
    delivered = set(sink)
    missing = []
    for raw in local:
        with contextlib.suppress(ValueError):
            record = json.loads(raw)
            if isinstance(record, dict) and "seq" in record and raw not in delivered:
                missing.append(f"{record.get('writer')} #{record.get('seq')} ({record['event']})")
    return (
        [f"{len(missing)} record(s) never reached the sink: {', '.join(missing[:5])}"]
        if (missing)
        else []
    )


def check_probes(probes: list[str]) -> list[str]:
    """Every release tried while the sink was down past the limit was refused for that."""
    return [
        f"a release during a sink outage was not refused for it: {said[:200]}"
        for said in probes
        if "audit records have not reached" not in said
        and "audit sink's state cannot be told" not in said
    ]


def _wall(ts: str) -> float:
    parsed = datetime.datetime.fromisoformat(ts)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


def check_no_mutation_while_behind(
    records: list[dict[str, Any]], outages: list[tuple[float, float]], limit_s: float
) -> list[str]:
    """No up/refresh ran once a sink outage's mark was older than the limit. Judged on the
    gateway's runs (`gateway.start` is written by the deciding process just before it checks
    the sink), within each outage's window less `MARGIN_S` at both ends (`outages` are (mark,
    end) pairs, wall clock): a run must end refused for it (`refused-audit-behind`). A run that
    has no end record and no engine step (its process killed) or was interrupted before any
    step is not judged: whether its CLI started cannot be told from the records."""
    runs: dict[str, list[dict[str, Any]]] = {}
    for r in records:
        if str(r.get("event", "")).startswith("gateway.") and isinstance(r.get("run"), str):
            runs.setdefault(r["run"], []).append(r)
    problems = []
    for run in runs.values():
        begun = run[0]
        if begun["event"] != "gateway.start" or begun.get("operation") not in ("up", "refresh"):
            continue
        started = _wall(begun["ts"])
        marks = [m for m, end in outages if m + limit_s + MARGIN_S < started < end - MARGIN_S]
        if not marks:
            continue
        done = next((r for r in run if r["event"] == "gateway.done"), None)
        outcome = None if done is None else done.get("outcome")
        if outcome == "refused-audit-behind":
            continue
        stepped = any(r["event"] != "gateway.start" for r in run if r is not done)
        if outcome in (None, "interrupted") and not stepped:
            continue
        problems.append(
            f"{begun.get('operation')} on {begun.get('stack')} by {begun.get('persona')} ran "
            f"{started - max(marks):.0f} s after a sink outage's mark (limit {limit_s:.0f} s; "
            f"outcome {outcome})"
        )
    return problems


def findings_rows(team: TeamRecords) -> list[dict[str, Any]]:
    import psycopg  # noqa: PLC0415
    from psycopg.rows import dict_row  # noqa: PLC0415

    with psycopg.connect(**team.pg.conninfo("agents"), row_factory=dict_row) as conn:
        tables = {
            r["tablename"]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        table = next((t for t in ("findings", "agent_findings") if t in tables), None)
        if table is None:
            return []
        return list(conn.execute(f"SELECT id, status, persona, stack, kind, resource FROM {table}"))


def drain_and_read_back(env: dict[str, str], root: Path) -> tuple[int, str]:
    """`python -m agents audit drain` with the sink back: its exit code and output."""
    import sys  # noqa: PLC0415

    done = subprocess.run(
        [sys.executable, "-m", "agents", "audit", "drain"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.returncode, (done.stdout + done.stderr).strip()

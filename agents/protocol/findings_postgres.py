"""The findings store on PostgreSQL (`records_backend=postgres`): the same records and results as
the SQLite `FindingStore` (ids, counts, ISO timestamps, order), shared by every persona and pod.

- Schema: the `findings` component of `agents_schema`, migrated by `records migrate` (the master)
  or, on one machine, at open (`migrate`: a persona's login only reads the version, and is told
  to run `records migrate` when it is behind); a database whose findings schema is newer than
  this version knows is refused before anything is written. At most one open finding per
  identity (persona, stack, kind, resource): a partial unique index.
- Personas are kept apart by row-level security (migration 2): every persona's login role
  (`agent_<persona>`, `postgres.persona_role`) reads every finding but inserts and updates only
  rows whose `persona` is its own, and deletes none; a pass for another persona is refused
  (rolled back, one line). The owner (the master) and superusers bypass it, as PostgreSQL has
  them do, so one machine's superuser records for every persona.
- NUL in any text or evidence string is stored as U+FFFD, as the SQLite store does
  (`findings.storable`): PostgreSQL refuses NUL in text, and a pass must not fail on a log line.
- A pass is one transaction that first takes a transaction-scoped advisory lock on
  (persona, stack): passes of the same persona and stack from several processes or pods queue
  instead of interleaving, so none loses another's update. A new finding is inserted with
  `ON CONFLICT` on the open identity, so even a writer that skipped the lock cannot duplicate one.
  Existing findings are found first and updated, so a pass that only updates takes no id (the ids
  are those SQLite gives, except that a rolled-back pass may leave a gap).
- Any driver error (the server gone mid-pass included) rolls the whole pass back and is one
  `FindingsError` line; a lost connection is opened again on the next call.
- Read-only (the MCP server, `python -m agents findings`): every transaction is read-only
  (`default_transaction_read_only`) and nothing is migrated; a database without the findings
  schema simply has no findings yet. In the cluster the MCP server reads as a reader's login
  (`agent_mcp_reader`, a member of `baseline_agents_read`: SELECT on `READ_TABLES` only, a read
  policy of its own; `records migrate --readers`), so the database refuses it any write too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from agents import InputError
from agents.protocol.findings import (
    SEVERITIES,
    Finding,
    FindingsError,
    PassResult,
    StoredFinding,
    most_severe_first,
    storable,
    stored_finding,
    without_nul,
)
from agents.protocol.postgres import (
    RW_ROLE,
    Migration,
    Reconnecting,
    RecordsError,
    Target,
    connect,
    migrate,
    schema_version,
)

if TYPE_CHECKING:
    import psycopg

COMPONENT = "findings"
# A row is the connected persona's own: its `persona` is the login role's (`postgres.persona_role`).
_OWN_ROW = "'agent_' || replace(persona, '-', '_') = current_user::text"
MIGRATIONS = (
    Migration(
        1,
        "findings table and its open identity",
        (
            """CREATE TABLE findings (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    persona TEXT NOT NULL,
    stack TEXT NOT NULL,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    severity TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence JSON NOT NULL,
    proposed_action TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen TIMESTAMPTZ NOT NULL,
    closed_at TIMESTAMPTZ,
    count INTEGER NOT NULL
)""",
            # At most one open finding per identity (closed ones are kept as history).
            "CREATE UNIQUE INDEX findings_open_identity ON findings "
            "(persona, stack, kind, resource) WHERE status = 'open'",
            "CREATE INDEX findings_by_status_stack ON findings (status, stack)",
        ),
    ),
    Migration(
        2,
        "personas read every finding and write only their own (row-level security)",
        (
            "ALTER TABLE findings ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY findings_read_all ON findings FOR SELECT USING (true)",
            f"CREATE POLICY findings_insert_own ON findings FOR INSERT WITH CHECK ({_OWN_ROW})",
            f"CREATE POLICY findings_update_own ON findings FOR UPDATE USING ({_OWN_ROW}) "
            f"WITH CHECK ({_OWN_ROW})",
            # Rows only, and no deleting: history stays. Where there is no rw role (one machine,
            # no bootstrap) there is nothing to grant.
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{RW_ROLE}') THEN "
            f'GRANT SELECT, INSERT, UPDATE ON findings TO "{RW_ROLE}"; '
            f'REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON findings FROM "{RW_ROLE}"; '
            f'GRANT USAGE, SELECT ON SEQUENCE findings_id_seq TO "{RW_ROLE}"; '
            "END IF; END $$",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version
# What a reader's login (`baseline_agents_read`, e.g. the MCP server's) may SELECT: every finding
# (`postgres.grant_reads` gives it a read policy of its own under the row-level security).
READ_TABLES = ("findings",)

# The evidence as its text, read as the SQLite store reads it (`findings.read_evidence`): the
# driver's own JSON loader raised RecursionError or ValueError out of the read on evidence that
# PostgreSQL's json accepts but Python's decoder does not (nested thousands deep, a 5,000-digit
# number), the gap the SQLite store closes.
_COLUMNS = (
    "id, status, first_seen, last_seen, closed_at, count, kind, severity, stack, resource, "
    "summary, evidence::text, proposed_action, persona"
)


def pass_key(persona: str, stack: str) -> int:
    """The advisory-lock key of (persona, stack)'s passes: a signed 64-bit hash (two pairs that
    collide only queue behind each other)."""
    name = f"baseline-agents-findings\0{persona}\0{stack}".encode()
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _iso(value: datetime.datetime | None) -> str | None:
    """The SQLite store's timestamp text (`2026-11-29T10:00:00+00:00`)."""
    return None if value is None else value.astimezone(datetime.UTC).isoformat(timespec="seconds")


class PostgresFindingStore(Reconnecting):
    failure = FindingsError
    source = "findings"  # records point at a finding as `findings#<id>`

    def __init__(self, target: Target, *, read_only: bool = False) -> None:
        self.target = target
        self.read_only = read_only
        self.version = 0
        self._conn = self._open()

    def _open(self) -> psycopg.Connection[Any]:
        try:
            conn = connect(self.target, autocommit=True)
        except RecordsError as exc:
            raise FindingsError(f"findings: {exc}") from None
        try:
            if self.read_only:
                with self._errors("cannot read the findings schema"):
                    conn.execute("SET default_transaction_read_only = on")
                    self.version = self._read_version(conn)
            else:
                with self._errors("cannot migrate the findings schema"):
                    self.version = migrate(conn, COMPONENT, MIGRATIONS)
        except BaseException:
            conn.close()
            raise
        return conn

    def _read_version(self, conn: psycopg.Connection[Any]) -> int:
        version = schema_version(conn, COMPONENT)  # 0: never migrated
        if 0 < version < SCHEMA_VERSION:
            raise FindingsError(
                f"{self.target.describe()} findings schema: schema {version}, this version needs "
                f"{SCHEMA_VERSION}: run `python -m agents records migrate`"
            )
        if version not in (0, SCHEMA_VERSION):
            raise FindingsError(
                f"{self.target.describe()} findings schema: version {version}, this version of "
                f"the agents reads version {SCHEMA_VERSION}; upgrade the agents"
            )
        return version

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> PostgresFindingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def observe(
        self, persona: str, stack: str, checked: Iterable[str], findings: Sequence[Finding]
    ) -> PassResult:
        """One pass's findings for (persona, stack): open the new, update the ones seen again,
        close the open ones of the `checked` kinds that this pass did not see."""
        if self.read_only:
            raise FindingsError(f"{self.target.describe()}: findings opened read-only")
        persona, stack = without_nul(persona), without_nul(stack)
        findings = [storable(f) for f in findings]
        checked = {without_nul(k) for k in checked} | {f.kind for f in findings}
        now = _now()
        opened: list[int] = []
        updated: list[int] = []
        closed: list[int] = []
        seen: set[tuple[str, str]] = set()
        conn = self._connection()
        with self._errors("cannot record findings"), conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (pass_key(persona, stack),))
            for f in findings:
                if f.stack != stack:
                    raise InputError(f"finding {f.kind} is for stack {f.stack}, not {stack}")
                seen.add((f.kind, f.resource))
                values = (f.severity, f.summary, json.dumps(f.evidence), f.proposed_action)
                row = conn.execute(
                    "SELECT id FROM findings WHERE persona=%s AND stack=%s AND kind=%s AND "
                    "resource=%s AND status='open' FOR UPDATE",
                    (persona, stack, f.kind, f.resource),
                ).fetchone()
                if row:
                    conn.execute(
                        "UPDATE findings SET severity=%s, summary=%s, evidence=%s::json, "
                        "proposed_action=%s, last_seen=%s, count=count+1 WHERE id=%s",
                        (*values, now, row[0]),
                    )
                    updated.append(int(row[0]))
                    continue
                row = conn.execute(
                    "INSERT INTO findings (persona, stack, kind, resource, severity, summary, "
                    "evidence, proposed_action, status, first_seen, last_seen, count) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s::json, %s, 'open', %s, %s, 1) "
                    "ON CONFLICT (persona, stack, kind, resource) WHERE status = 'open' "
                    "DO UPDATE SET severity=EXCLUDED.severity, summary=EXCLUDED.summary, "
                    "evidence=EXCLUDED.evidence, proposed_action=EXCLUDED.proposed_action, "
                    "last_seen=EXCLUDED.last_seen, count=findings.count+1 "
                    "RETURNING id, xmax = 0",
                    (persona, stack, f.kind, f.resource, *values, now, now),
                ).fetchone()
                assert row is not None  # INSERT ... RETURNING returns the row it wrote
                (opened if row[1] else updated).append(int(row[0]))
            for fid, kind, resource in conn.execute(
                "SELECT id, kind, resource FROM findings WHERE persona=%s AND stack=%s AND "
                "status='open' FOR UPDATE",
                (persona, stack),
            ).fetchall():
                if kind in checked and (kind, resource) not in seen:
                    closed.append(int(fid))
            if closed:
                conn.execute(
                    "UPDATE findings SET status='closed', closed_at=%s WHERE id = ANY(%s)",
                    (now, closed),
                )
            # in the pass's transaction, as on SQLite (`FindingStore.observe`): a row that
            # cannot be read rolls the pass back rather than leave it recorded without a result
            return PassResult(
                tuple(self._by_id(opened)), tuple(self._by_id(updated)), tuple(self._by_id(closed))
            )

    def _by_id(self, ids: Sequence[int]) -> list[StoredFinding]:
        if not ids:
            return []
        return self._select("id = ANY(%s)", (list(ids),))

    def query(
        self, *, stack: str | None = None, severity: str | None = None, status: str = "open"
    ) -> list[StoredFinding]:
        """Findings, most severe first, then newest; `severity` is a floor (high: high and
        critical)."""
        where: list[str] = ["status = %s"]
        params: list[Any] = [status]
        if stack:
            where.append("stack = %s")
            params.append(without_nul(stack))
        if severity:
            if severity not in SEVERITIES:
                raise InputError(f"severity {severity!r} not in {', '.join(SEVERITIES)}")
            where.append("severity = ANY(%s)")
            params.append(list(SEVERITIES[: SEVERITIES.index(severity) + 1]))
        if self.version == 0:  # read-only on a database no routine has written to yet
            return []
        return self._select(" AND ".join(where), tuple(params))

    def _select(self, where: str, params: tuple[Any, ...]) -> list[StoredFinding]:
        conn = self._connection()
        with self._errors("cannot read findings"):
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM findings WHERE {where}",
                params,
            ).fetchall()
        where = self.target.describe()
        return most_severe_first(
            stored_finding(where, (int(r[0]), r[1], _iso(r[2]), _iso(r[3]), _iso(r[4]), *r[5:]))
            for r in rows
        )

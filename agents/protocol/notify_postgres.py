"""The notification ledger on PostgreSQL (`records_backend=postgres`): the same claims as the
SQLite ledger (`agents.protocol.notify_ledger`), shared by every persona and pod of the stack's
database.

- Schema: the `notifications` component of `agents_schema`, migrated by `records migrate` (the
  master) or, on one machine, at open (a persona's login only reads the version and is told to
  run `records migrate` when it is behind).
- A claim is `INSERT ... ON CONFLICT (key) DO NOTHING`: of two pods that claim the same key, one
  inserts and publishes. Taking a claim for publishing (lease and rate slot) runs in one
  transaction under a transaction-scoped advisory lock on the stack, so the per-stack hourly
  count is exact across pods.
- Row-level security as on `findings`: every persona reads every claim (the rate limit counts
  the whole stack) and inserts or updates only its own; nobody deletes.
- Any driver error is one `NotifyError` line; a lost connection is opened again on the next call.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from agents.protocol.notify_ledger import Ledger, NotifyError, Query
from agents.protocol.postgres import (
    RW_ROLE,
    Migration,
    Reconnecting,
    RecordsError,
    Target,
    connect,
    migrate,
)

if TYPE_CHECKING:
    import psycopg

COMPONENT = "notifications"
_OWN_ROW = "'agent_' || replace(persona, '-', '_') = current_user::text"
MIGRATIONS = (
    Migration(
        1,
        "notification claims and the severities last seen, personas write their own rows",
        (
            """CREATE TABLE notify_claims (
    key TEXT PRIMARY KEY,
    persona TEXT NOT NULL,
    stack TEXT NOT NULL,
    finding_id BIGINT NOT NULL,
    event TEXT NOT NULL,
    severity TEXT NOT NULL,
    topic TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN
        ('pending', 'sending', 'sent', 'failed', 'deferred', 'cancelled', 'expired')),
    attempts INTEGER NOT NULL,
    claimed_at DOUBLE PRECISION NOT NULL,
    lease_until DOUBLE PRECISION,
    slot_at DOUBLE PRECISION,
    sent_at DOUBLE PRECISION,
    message_id TEXT,
    error TEXT
)""",
            "CREATE INDEX notify_claims_by_finding ON notify_claims (finding_id)",
            "CREATE INDEX notify_claims_by_stack ON notify_claims (stack, state)",
            """CREATE TABLE notify_seen (
    finding_id BIGINT PRIMARY KEY,
    persona TEXT NOT NULL,
    stack TEXT NOT NULL,
    severity TEXT NOT NULL,
    seen_at DOUBLE PRECISION NOT NULL
)""",
            "ALTER TABLE notify_claims ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY notify_claims_read_all ON notify_claims FOR SELECT USING (true)",
            "CREATE POLICY notify_claims_insert_own ON notify_claims FOR INSERT "
            f"WITH CHECK ({_OWN_ROW})",
            "CREATE POLICY notify_claims_update_own ON notify_claims FOR UPDATE "
            f"USING ({_OWN_ROW}) WITH CHECK ({_OWN_ROW})",
            "ALTER TABLE notify_seen ENABLE ROW LEVEL SECURITY",
            "CREATE POLICY notify_seen_read_all ON notify_seen FOR SELECT USING (true)",
            "CREATE POLICY notify_seen_insert_own ON notify_seen FOR INSERT "
            f"WITH CHECK ({_OWN_ROW})",
            f"CREATE POLICY notify_seen_update_own ON notify_seen FOR UPDATE USING ({_OWN_ROW}) "
            f"WITH CHECK ({_OWN_ROW})",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{RW_ROLE}') THEN "
            f'GRANT SELECT, INSERT, UPDATE ON notify_claims, notify_seen TO "{RW_ROLE}"; '
            "REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON notify_claims, notify_seen "
            f'FROM "{RW_ROLE}"; '
            "END IF; END $$",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def stack_key(stack: str) -> int:
    """The advisory-lock key of a stack's takes (a signed 64-bit hash)."""
    name = f"baseline-agents-notify\0{stack}".encode()
    return int.from_bytes(hashlib.blake2b(name, digest_size=8).digest(), "big", signed=True)


class PostgresLedger(Reconnecting, Ledger):
    failure = NotifyError
    source = "notify_claims"

    def __init__(self, target: Target) -> None:
        self.target = target
        self.version = 0
        self._conn = self._open()

    def _open(self) -> psycopg.Connection[Any]:
        try:
            conn = connect(self.target, autocommit=True)
        except RecordsError as exc:
            raise NotifyError(f"notifications: {exc}") from None
        try:
            with self._errors("cannot migrate the notifications schema"):
                self.version = migrate(conn, COMPONENT, MIGRATIONS)
        except BaseException:
            conn.close()
            raise
        return conn

    @contextlib.contextmanager
    def _tx(self, lock_key: str) -> Iterator[Query]:
        conn = self._connection()

        def q(sql: str, params: Sequence[Any]) -> tuple[list[Any], int]:
            cur = conn.execute(sql.replace("?", "%s"), tuple(params))
            rows = cur.fetchall() if cur.description is not None else []
            return rows, cur.rowcount

        with self._errors("notification ledger"), conn.transaction():
            if lock_key:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (stack_key(lock_key),))
            yield q

    def close(self) -> None:
        self._conn.close()

"""The ledger of finding notifications (`agents.protocol.notify`): one row per message, claimed by
insert-if-absent on its key, taken for publishing under a lease and a per-stack rate slot, then
marked sent, failed, deferred, cancelled or expired; and the severity each finding had when a
pass last saw it (for escalations). `SqliteLedger` is `<state_dir>/notifications.sqlite`; the
PostgreSQL one (`agents.protocol.notify_postgres`) shares this module's SQL."""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from agents import AgentsError
from agents.protocol.sqlite_open import use_wal

LEDGER_FILE = "notifications.sqlite"
WINDOW_S = 3600.0  # the rate limit's window
STATES = ("pending", "sending", "sent", "failed", "deferred", "cancelled", "expired")
DUE = ("pending", "failed", "deferred")  # and `sending` past its lease
SCHEMA_VERSION = 1
_APPLICATION_ID = 0x424E5446  # "BNTF"


class NotifyError(AgentsError):
    """The notification ledger cannot be used; the message says why."""


@dataclass(frozen=True)
class Claim:
    key: str
    persona: str
    stack: str
    finding_id: int
    event: str
    severity: str
    topic: str
    subject: str
    message: str
    state: str = "pending"
    attempts: int = 0
    claimed_at: float = 0.0
    lease_until: float | None = None
    slot_at: float | None = None
    sent_at: float | None = None
    message_id: str | None = None
    error: str | None = None


_CLAIM_COLUMNS = (
    "key, persona, stack, finding_id, event, severity, topic, subject, message, state, attempts, "
    "claimed_at, lease_until, slot_at, sent_at, message_id, error"
)


def _claim(row: Sequence[Any]) -> Claim:
    return Claim(
        str(row[0]),
        str(row[1]),
        str(row[2]),
        int(row[3]),
        str(row[4]),
        str(row[5]),
        str(row[6]),
        str(row[7]),
        str(row[8]),
        str(row[9]),
        int(row[10]),
        float(row[11]),
        None if row[12] is None else float(row[12]),
        None if row[13] is None else float(row[13]),
        None if row[14] is None else float(row[14]),
        None if row[15] is None else str(row[15]),
        None if row[16] is None else str(row[16]),
    )


Query = Callable[[str, Sequence[Any]], tuple[list[Any], int]]


class Ledger:
    """What both ledgers share: the SQL (written with `?`; PostgreSQL's subclass converts it) and
    the claim life cycle. A subclass gives `_tx(lock_key)`: one transaction, serialized with
    every other transaction on the same `lock_key` (the stack), yielding a query function."""

    source = "ledger"

    def _tx(self, lock_key: str) -> contextlib.AbstractContextManager[Query]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reads and claims --
    def seen(self, ids: Iterable[int]) -> dict[int, str]:
        """The severity each finding had when a pass last saw it (for escalations)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        with self._tx("") as q:
            rows, _ = q(
                f"SELECT finding_id, severity FROM notify_seen WHERE finding_id IN "
                f"({','.join('?' * len(wanted))})",
                wanted,
            )
        return {int(r[0]): str(r[1]) for r in rows}

    def mark_seen(
        self, persona: str, stack: str, items: Sequence[tuple[int, str]], now: float
    ) -> None:
        if not items:
            return
        with self._tx("") as q:
            for fid, severity in items:
                q(
                    "INSERT INTO notify_seen (finding_id, persona, stack, severity, seen_at) "
                    "VALUES (?, ?, ?, ?, ?) ON CONFLICT (finding_id) DO UPDATE SET "
                    "severity = excluded.severity, seen_at = excluded.seen_at",
                    (fid, persona, stack, severity, now),
                )

    def history(self, ids: Iterable[int]) -> dict[int, list[Claim]]:
        wanted = sorted(set(ids))
        found: dict[int, list[Claim]] = {i: [] for i in wanted}
        if not wanted:
            return found
        with self._tx("") as q:
            rows, _ = q(
                f"SELECT {_CLAIM_COLUMNS} FROM notify_claims WHERE finding_id IN "
                f"({','.join('?' * len(wanted))}) ORDER BY claimed_at, key",
                wanted,
            )
        for row in rows:
            c = _claim(row)
            found[c.finding_id].append(c)
        return found

    def claim(self, c: Claim, now: float) -> bool:
        """Insert `c` unless its key exists: True for the one caller that inserted it."""
        with self._tx("") as q:
            _, count = q(
                f"INSERT INTO notify_claims ({_CLAIM_COLUMNS}) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, NULL, NULL, NULL, NULL, NULL) "
                "ON CONFLICT (key) DO NOTHING",
                (
                    c.key,
                    c.persona,
                    c.stack,
                    c.finding_id,
                    c.event,
                    c.severity,
                    c.topic,
                    c.subject,
                    c.message,
                    now,
                ),
            )
        return count == 1

    def due(self, persona: str, stack: str, now: float) -> list[Claim]:
        """(persona, stack)'s messages waiting to go out, oldest first."""
        with self._tx("") as q:
            rows, _ = q(
                f"SELECT {_CLAIM_COLUMNS} FROM notify_claims WHERE persona = ? AND stack = ? AND "
                "(state IN ('pending', 'failed', 'deferred') OR (state = 'sending' AND "
                "lease_until < ?)) ORDER BY claimed_at, key",
                (persona, stack, now),
            )
        return [_claim(r) for r in rows]

    def take(
        self, key: str, stack: str, now: float, lease_s: float, limit: int
    ) -> tuple[str, Claim | None]:
        """Take `key` for publishing: ("taken", claim) with its lease and a rate slot,
        ("limited", claim) when the stack has used its hour (the claim is now deferred; its state
        before is in the claim returned), ("busy", None) when another pass holds or finished it."""
        with self._tx(stack) as q:
            rows, _ = q(f"SELECT {_CLAIM_COLUMNS} FROM notify_claims WHERE key = ?", (key,))
            if not rows:
                return "busy", None
            c = _claim(rows[0])
            if c.state not in DUE and not (
                c.state == "sending" and c.lease_until is not None and c.lease_until < now
            ):
                return "busy", None
            rows, _ = q(
                "SELECT count(*) FROM notify_claims WHERE stack = ? AND slot_at > ? AND "
                "state IN ('sending', 'sent') AND key <> ?",
                (stack, now - WINDOW_S, key),
            )
            if int(rows[0][0]) >= limit:
                q(
                    "UPDATE notify_claims SET state = 'deferred', lease_until = NULL, "
                    "slot_at = NULL WHERE key = ?",
                    (key,),
                )
                return "limited", c
            q(
                "UPDATE notify_claims SET state = 'sending', lease_until = ?, slot_at = ?, "
                "attempts = attempts + 1 WHERE key = ?",
                (now + lease_s, now, key),
            )
        return "taken", Claim(**{**asdict(c), "state": "sending", "attempts": c.attempts + 1})

    def finish(
        self,
        key: str,
        state: str,
        now: float,
        *,
        message_id: str | None = None,
        error: str | None = None,
    ) -> None:
        """Record the end of an attempt: `sent` (keeps its rate slot), `failed` (gives it back),
        `cancelled` or `expired`."""
        if state not in STATES:
            raise NotifyError(f"unknown state {state!r}")
        with self._tx("") as q:
            if state == "sent":
                q(
                    "UPDATE notify_claims SET state = 'sent', lease_until = NULL, sent_at = ?, "
                    "message_id = ?, error = NULL WHERE key = ?",
                    (now, message_id or "", key),
                )
            else:
                q(
                    "UPDATE notify_claims SET state = ?, lease_until = NULL, slot_at = NULL, "
                    "error = ? WHERE key = ?",
                    (state, error, key),
                )

    def cancel_unsent(self, finding_id: int, now: float) -> list[Claim]:
        """A closed finding's messages that never went out (and are not being sent) are
        cancelled: a card for a problem already gone helps nobody."""
        with self._tx("") as q:
            rows, _ = q(
                f"SELECT {_CLAIM_COLUMNS} FROM notify_claims WHERE finding_id = ? AND "
                "(state IN ('pending', 'failed', 'deferred') OR (state = 'sending' AND "
                "lease_until < ?))",
                (finding_id, now),
            )
            gone = [_claim(r) for r in rows]
            for c in gone:
                q(
                    "UPDATE notify_claims SET state = 'cancelled', lease_until = NULL, "
                    "slot_at = NULL, error = 'the finding closed before it was sent' "
                    "WHERE key = ?",
                    (c.key,),
                )
        return gone

    def counts(self, stack: str | None = None) -> dict[str, int]:
        """Messages per state (for `status`)."""
        with self._tx("") as q:
            if stack is None:
                rows, _ = q("SELECT state, count(*) FROM notify_claims GROUP BY state", ())
            else:
                rows, _ = q(
                    "SELECT state, count(*) FROM notify_claims WHERE stack = ? GROUP BY state",
                    (stack,),
                )
        return {str(r[0]): int(r[1]) for r in rows}


_SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS notify_claims (
    key TEXT PRIMARY KEY,
    persona TEXT NOT NULL,
    stack TEXT NOT NULL,
    finding_id INTEGER NOT NULL,
    event TEXT NOT NULL,
    severity TEXT NOT NULL,
    topic TEXT NOT NULL,
    subject TEXT NOT NULL,
    message TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN
        ('pending', 'sending', 'sent', 'failed', 'deferred', 'cancelled', 'expired')),
    attempts INTEGER NOT NULL,
    claimed_at REAL NOT NULL,
    lease_until REAL,
    slot_at REAL,
    sent_at REAL,
    message_id TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS notify_claims_by_finding ON notify_claims (finding_id);
CREATE INDEX IF NOT EXISTS notify_claims_by_stack ON notify_claims (stack, state);
CREATE TABLE IF NOT EXISTS notify_seen (
    finding_id INTEGER PRIMARY KEY,
    persona TEXT NOT NULL,
    stack TEXT NOT NULL,
    severity TEXT NOT NULL,
    seen_at REAL NOT NULL
)
"""


class SqliteLedger(Ledger):
    """`<state_dir>/notifications.sqlite` (0600, WAL): shared by every process on the machine;
    every transaction is `BEGIN IMMEDIATE`, so takes and rate counts are serialized."""

    source = LEDGER_FILE

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            app = self._db.execute("PRAGMA application_id").fetchone()[0]
            if app == 0:
                with self._raw_tx():
                    if self._db.execute("PRAGMA application_id").fetchone()[0] == 0:
                        if self._db.execute(
                            "SELECT count(*) FROM sqlite_master WHERE name NOT LIKE 'notify_%'"
                        ).fetchone()[0]:
                            raise NotifyError(
                                f"{self.path} is another program's database, not the ledger"
                            )
                        for statement in _SQLITE_SCHEMA.split(";"):
                            if statement.strip():
                                self._db.execute(statement)
                        self._db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                app = self._db.execute("PRAGMA application_id").fetchone()[0]
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if app != _APPLICATION_ID or version != SCHEMA_VERSION:
                raise NotifyError(
                    f"{self.path} is not a notification ledger of schema {SCHEMA_VERSION} "
                    f"(application {app:#x}, schema {version})"
                )
            use_wal(self._db, 30)  # only once it is ours: another program's file is left as it is
        except (sqlite3.Error, OSError) as exc:
            raise NotifyError(f"{self.path} cannot be used as the ledger ({exc})") from exc

    @contextlib.contextmanager
    def _raw_tx(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    @contextlib.contextmanager
    def _tx(self, lock_key: str) -> Iterator[Query]:
        def q(sql: str, params: Sequence[Any]) -> tuple[list[Any], int]:
            cur = self._db.execute(sql, tuple(params))
            return cur.fetchall(), cur.rowcount

        try:
            with self._raw_tx():
                yield q
        except sqlite3.Error as exc:
            raise NotifyError(f"{self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

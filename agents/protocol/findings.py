"""Findings: what a persona's routine noticed, as typed records that outlive the pass.

A `Finding` names a stable `kind` (what was checked, e.g. `alarm.firing`, `backup.no-dr-copy`),
its `severity`, the `stack` and `resource`, a one-line `summary`, the `evidence` (plain JSON: ids,
numbers, timestamps; never secret values) and the `proposed_action`. Its identity is
(persona, stack, kind, resource): the same problem seen on the next pass updates the open finding
(`last_seen`, `count`, new evidence) instead of adding one, and a finding that a pass no longer
sees is closed by that pass (`FindingStore.observe`). Only kinds the pass actually checked are
closed: a pass whose alarm check failed does not close the alarm findings.

The store is SQLite (`<state_dir>/findings.sqlite`, 0600, WAL, one transaction per pass), read by
`python -m agents findings` and the MCP server; routines also put each new finding on the audit
log and in memory. With `records_backend=postgres` it is the stack's PostgreSQL instead
(`agents.protocol.findings_postgres`), with the same results; both have the `FindingRecords`
shape and `agents.protocol.backends.open_findings` opens the one the settings choose.

Both stores keep a NUL character (application logs carry them into summaries and evidence) as
U+FFFD, in every text field and every evidence string and key (`storable`): PostgreSQL's text
refuses NUL, which would roll back the pass and lose its stack's findings, and SQLite keeps it,
so the two would disagree. What is recorded and read back is the same on both.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from agents import AgentsError, InputError, one_line
from agents.protocol.sqlite_open import identity, use_wal
from toolchain.inputs import MAX_DEPTH, json_depth

SEVERITIES = ("critical", "high", "medium", "low", "info")
SCHEMA_VERSION = 1
_APPLICATION_ID = 0x42464E44  # "BFND": marks the file as ours
NUL_STAND_IN = "\ufffd"  # what a NUL in a finding is stored as (PostgreSQL's text has no NUL)


class FindingsError(AgentsError):
    """The findings store cannot be used; the message says why."""


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str
    stack: str
    resource: str
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    proposed_action: str = ""
    persona: str = ""

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise InputError(f"finding {self.kind}: severity {self.severity!r} not in {SEVERITIES}")
        for name in ("kind", "stack", "resource", "summary"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise InputError(f"finding {self.kind!r}: {name} must be a non-empty string")
        # evidence must be plain JSON (TypeError otherwise), and no deeper than any JSON the
        # project reads: a store read refuses deeper evidence (`read_evidence`), which every
        # reader would otherwise walk recursively (`to_json`'s asdict raised RecursionError at
        # about 400 levels)
        if json_depth(json.dumps(self.evidence).encode()) > MAX_DEPTH:
            raise InputError(f"finding {self.kind!r}: evidence nests deeper than {MAX_DEPTH}")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StoredFinding:
    id: int
    status: str  # open | closed
    first_seen: str
    last_seen: str
    closed_at: str | None
    count: int
    finding: Finding

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "firstSeen": self.first_seen,
            "lastSeen": self.last_seen,
            "closedAt": self.closed_at,
            "count": self.count,
            **self.finding.to_json(),
        }


@dataclass(frozen=True)
class PassResult:
    opened: tuple[StoredFinding, ...]
    updated: tuple[StoredFinding, ...]
    closed: tuple[StoredFinding, ...]


class FindingRecords(Protocol):
    """What every findings store offers (SQLite here, PostgreSQL in `findings_postgres`)."""

    source: str  # how other records point at a finding: `<source>#<id>`

    def observe(
        self, persona: str, stack: str, checked: Iterable[str], findings: Sequence[Finding]
    ) -> PassResult: ...

    def query(
        self, *, stack: str | None = None, severity: str | None = None, status: str = "open"
    ) -> list[StoredFinding]: ...

    def close(self) -> None: ...

    def __enter__(self) -> FindingRecords: ...

    def __exit__(self, *exc: object) -> None: ...


def without_nul(text: str) -> str:
    """`text` with each NUL replaced by U+FFFD, as every store keeps it."""
    return text.replace("\x00", NUL_STAND_IN)


def _evidence_without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, dict):
        return {
            without_nul(k) if isinstance(k, str) else k: _evidence_without_nul(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_evidence_without_nul(v) for v in value]
    return value


def storable(finding: Finding) -> Finding:
    """`finding` as every store records it: each NUL in its text fields and in its evidence's
    strings and keys replaced by U+FFFD (see the module docstring)."""
    return replace(
        finding,
        kind=without_nul(finding.kind),
        stack=without_nul(finding.stack),
        resource=without_nul(finding.resource),
        summary=without_nul(finding.summary),
        proposed_action=without_nul(finding.proposed_action),
        persona=without_nul(finding.persona),
        evidence=_evidence_without_nul(finding.evidence),
    )


def read_evidence(store: str, finding_id: Any, text: Any) -> Any:
    """A row's evidence, as `observe` wrote it (JSON text). A row whose evidence does not
    read (not text, not JSON, nested deeper than `MAX_DEPTH` or past the decoder's depth: the
    store was written by something else, or damaged) refuses the whole read with one line
    naming the finding: a finding is never shown without its evidence, nor left out of a list
    silently."""
    try:
        if isinstance(text, str) and json_depth(text.encode()) <= MAX_DEPTH:
            return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: a backstop, json_depth stops it
        pass
    raise FindingsError(
        f"{store}: finding {finding_id}'s evidence is not JSON (the store is damaged)"
    )


def stored_finding(store: str, row: Sequence[Any]) -> StoredFinding:
    """A row as both stores select it (id, status, first_seen, last_seen, closed_at, count, kind,
    severity, stack, resource, summary, evidence as JSON text, proposed_action, persona; times
    as ISO text). A row `observe` would not write (a field of another type, a blob among the
    times, a count that is not an integer, an empty kind or an unknown severity: the store
    written by another program, or damaged) refuses the whole read with one line naming the
    finding, as damaged evidence does: not a traceback (a blob's `last_seen` raised TypeError
    out of the sort), not an InputError blaming the command, not a finding listed half."""
    fid, status, first_seen, last_seen, closed_at, count = row[:6]
    kind, severity, stack, resource, summary, evidence, action, persona = row[6:]
    evidence = read_evidence(store, fid, evidence)
    why = "a field of another type"
    if (
        all(isinstance(v, str) for v in (status, first_seen, last_seen, action, persona))
        and isinstance(closed_at, str | None)
        and type(count) is int
    ):
        try:
            finding = Finding(kind, severity, stack, resource, summary, evidence, action, persona)
        except InputError as exc:
            why = one_line(str(exc), 200)
        else:
            return StoredFinding(fid, status, first_seen, last_seen, closed_at, count, finding)
    raise FindingsError(f"{store}: finding {fid} cannot be read ({why}; the store is damaged)")


def most_severe_first(found: Iterable[StoredFinding]) -> list[StoredFinding]:
    """The order every store returns: most severe first, then newest (then highest id)."""
    ordered = sorted(found, key=lambda s: (s.last_seen, s.id), reverse=True)  # newest first ...
    return sorted(ordered, key=lambda s: SEVERITIES.index(s.finding.severity))  # ... per severity


_SCHEMA = """
CREATE TABLE IF NOT EXISTS findings (
    id INTEGER PRIMARY KEY,
    persona TEXT NOT NULL,
    stack TEXT NOT NULL,
    kind TEXT NOT NULL,
    resource TEXT NOT NULL,
    severity TEXT NOT NULL,
    summary TEXT NOT NULL,
    evidence TEXT NOT NULL,
    proposed_action TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    closed_at TEXT,
    count INTEGER NOT NULL
);
-- At most one open finding per identity (closed ones are kept as history).
CREATE UNIQUE INDEX IF NOT EXISTS open_identity
    ON findings (persona, stack, kind, resource) WHERE status = 'open';
"""


class FindingStore:
    source = "findings.sqlite"  # records point at a finding as `findings.sqlite#<id>`

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        new = not self.path.exists()
        if not new:
            with contextlib.suppress(OSError), self.path.open("rb") as fh:
                if fh.read(16) not in (b"SQLite format 3\x00", b""):
                    raise FindingsError(f"{self.path} is not a findings store (not SQLite)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if new:  # (another opener may have made it since: then it is theirs, and shared)
                with contextlib.suppress(FileExistsError):
                    os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            app, version, _ = identity(self._db)
            if (app, version) == (0, 0):
                with self._transaction():  # re-checked inside: another process may have won
                    app, version, objects = identity(self._db)
                    if (app, version) == (0, 0):
                        if objects:
                            raise FindingsError(
                                f"{self.path} is not a findings store of schema "
                                f"{SCHEMA_VERSION} (another program's database)"
                            )
                        for statement in _SCHEMA.split(";"):
                            if statement.strip():
                                self._db.execute(statement)
                        self._db.execute(f"PRAGMA application_id = {_APPLICATION_ID}")
                        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                app, version, _ = identity(self._db)
            if app != _APPLICATION_ID or version != SCHEMA_VERSION:
                raise FindingsError(
                    f"{self.path} is not a findings store of schema {SCHEMA_VERSION} "
                    f"(application {app:#x}, schema {version})"
                )
            use_wal(self._db, 30)  # only once it is ours: another program's file is left as it is
        except sqlite3.DatabaseError as exc:
            raise FindingsError(
                f"{self.path} cannot be used as the findings store ({exc})"
            ) from exc

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FindingStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def observe(
        self, persona: str, stack: str, checked: Iterable[str], findings: Sequence[Finding]
    ) -> PassResult:
        """One pass's findings for (persona, stack): open the new, update the ones seen again,
        close the open ones of the `checked` kinds that this pass did not see."""
        persona, stack = without_nul(persona), without_nul(stack)
        findings = [storable(f) for f in findings]
        checked = {without_nul(k) for k in checked} | {f.kind for f in findings}
        now = _now()
        opened: list[int] = []
        updated: list[int] = []
        closed: list[int] = []
        seen: set[tuple[str, str]] = set()
        try:
            with self._transaction():
                for f in findings:
                    if f.stack != stack:
                        raise InputError(f"finding {f.kind} is for stack {f.stack}, not {stack}")
                    seen.add((f.kind, f.resource))
                    row = self._db.execute(
                        "SELECT id FROM findings WHERE persona=? AND stack=? AND kind=? AND "
                        "resource=? AND status='open'",
                        (persona, stack, f.kind, f.resource),
                    ).fetchone()
                    values = (f.severity, f.summary, json.dumps(f.evidence), f.proposed_action)
                    if row:
                        self._db.execute(
                            "UPDATE findings SET severity=?, summary=?, evidence=?, "
                            "proposed_action=?, last_seen=?, count=count+1 WHERE id=?",
                            (*values, now, row[0]),
                        )
                        updated.append(row[0])
                    else:
                        cur = self._db.execute(
                            "INSERT INTO findings (persona, stack, kind, resource, severity, "
                            "summary, evidence, proposed_action, status, first_seen, last_seen, "
                            "count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, 1)",
                            (persona, stack, f.kind, f.resource, *values, now, now),
                        )
                        opened.append(int(cur.lastrowid or 0))
                for fid, kind, resource in self._db.execute(
                    "SELECT id, kind, resource FROM findings WHERE persona=? AND stack=? AND "
                    "status='open'",
                    (persona, stack),
                ).fetchall():
                    if kind in checked and (kind, resource) not in seen:
                        self._db.execute(
                            "UPDATE findings SET status='closed', closed_at=? WHERE id=?",
                            (now, fid),
                        )
                        closed.append(fid)
                # Read in the pass's transaction: a row that cannot be read (one this pass
                # closes, damaged) rolls the whole pass back. Read after the commit, it raised
                # with the pass recorded but no result: its new findings never audited nor
                # notified, and only updated by the next pass.
                return PassResult(
                    tuple(self._by_id(opened)),
                    tuple(self._by_id(updated)),
                    tuple(self._by_id(closed)),
                )
        except sqlite3.Error as exc:
            raise FindingsError(f"{self.path}: cannot record findings ({exc})") from exc

    def _by_id(self, ids: Sequence[int]) -> list[StoredFinding]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self._select(f"id IN ({marks})", tuple(ids))

    def query(
        self, *, stack: str | None = None, severity: str | None = None, status: str = "open"
    ) -> list[StoredFinding]:
        """Findings, most severe first, then newest; `severity` is a floor (high: high and
        critical)."""
        where, params = ["status = ?"], [status]
        if stack:
            where.append("stack = ?")
            params.append(without_nul(stack))
        if severity:
            if severity not in SEVERITIES:
                raise InputError(f"severity {severity!r} not in {', '.join(SEVERITIES)}")
            allowed = SEVERITIES[: SEVERITIES.index(severity) + 1]
            where.append(f"severity IN ({','.join('?' * len(allowed))})")
            params += allowed
        return self._select(" AND ".join(where), tuple(params))

    def _select(self, where: str, params: tuple[Any, ...]) -> list[StoredFinding]:
        try:
            rows = self._db.execute(
                "SELECT id, status, first_seen, last_seen, closed_at, count, kind, severity, "
                "stack, resource, summary, evidence, proposed_action, persona FROM findings "
                f"WHERE {where}",
                params,
            ).fetchall()
        except sqlite3.Error as exc:
            raise FindingsError(f"{self.path}: cannot read findings ({exc})") from exc
        return most_severe_first(stored_finding(str(self.path), r) for r in rows)

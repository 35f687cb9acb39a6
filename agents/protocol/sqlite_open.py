"""Opening the SQLite stores (findings, the notification ledger, the memory) when several
processes open one new file at the same moment: the first makes the schema while the others
look at what the file is.

`identity` reads what a file says it is (application id, schema version, how many objects it
holds) in one statement, so from one snapshot: read one at a time, a store saw the application
id from before another opener's schema and the version from after it, and refused a file it had
just made as "another program's database" (4 threads opening a new findings store or memory
together, 200 times: 7 and 23 of the 800 openings).

SQLite answers `PRAGMA journal_mode=WAL` with "database is locked" at once, without waiting in
its busy handler, while another connection holds the file's RESERVED lock, as one that is
writing the schema does: waiting there could deadlock, so SQLite does not. Four threads opening
a fresh notification ledger together, 300 times, failed that way in 17 and in 24 of the 1,200
openings (two runs), and a persona started beside another would have refused its pass. WAL mode is
kept in the file, so `use_wal` reads the mode first (a file already in WAL mode needs no lock
at all) and tries the switch again, with a short growing pause, until its `timeout_s` has
passed; then it raises the last error, as the single try did, and the store refuses to open
with it. (One try may itself wait up to the connection's busy timeout, where SQLite does wait:
behind a reader's lock. So the whole can take that much longer than `timeout_s`.) The stores
switch only a file that is theirs: another program's database is refused before anything in
it changes."""

from __future__ import annotations

import random
import sqlite3
import time

_BUSY = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
FIRST_PAUSE_S = 0.002
LONGEST_PAUSE_S = 0.05


def _busy(exc: sqlite3.OperationalError) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return (code is not None and code & 0xFF in _BUSY) or "locked" in str(exc)


def identity(db: sqlite3.Connection) -> tuple[int, int, int]:
    """`(application_id, user_version, objects in sqlite_master)` of `db`'s file, from one
    snapshot: a schema made with its identity in one transaction is seen whole or not at all."""
    row = db.execute(
        "SELECT (SELECT application_id FROM pragma_application_id()),"
        " (SELECT user_version FROM pragma_user_version()),"
        " (SELECT count(*) FROM sqlite_master)"
    ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def use_wal(db: sqlite3.Connection, timeout_s: float) -> str:
    """Put `db`'s file in WAL mode, waiting out other connections for up to `timeout_s`, and
    return the journal mode it is in (SQLite keeps another where WAL cannot be: an in-memory
    database, a file system without shared memory; the stores read that as before)."""
    deadline = time.monotonic() + timeout_s
    pause = FIRST_PAUSE_S
    while True:
        try:
            mode = str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower()
            if mode == "wal":
                return mode
            return str(db.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause * (0.5 + random.random()))  # jitter: openers do not retry in step
        pause = min(2 * pause, LONGEST_PAUSE_S)

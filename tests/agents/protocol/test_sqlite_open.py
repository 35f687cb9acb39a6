"""The SQLite stores open when other processes open the same file at the same moment
(`agents/protocol/sqlite_open.py`): while another connection holds the write lock of a file not
yet in WAL mode, and when several openers meet on a new file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from agents.protocol.findings import FindingStore
from agents.protocol.notify_ledger import SqliteLedger
from agents.protocol.sqlite_open import identity, use_wal
from agents.skills.memory import Memory

STORES: dict[str, Callable[[Path], Any]] = {
    "findings": FindingStore,
    "ledger": SqliteLedger,
    "memory": Memory,
}


def _opened_in_a_thread(make: Callable[[], Any]) -> tuple[threading.Thread, list[object]]:
    """A thread that opens a store and closes it; its outcome is "opened" or the error."""
    outcome: list[object] = []

    def run() -> None:
        try:
            make().close()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test reads
            outcome.append(exc)
        else:
            outcome.append("opened")

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


@pytest.mark.parametrize("kind", sorted(STORES))
def test_a_store_opens_while_another_connection_holds_the_write_lock(
    tmp_path: Path, kind: str
) -> None:
    path = tmp_path / f"{kind}.sqlite"
    STORES[kind](path).close()  # made as the store makes it, then back to a rollback journal
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    assert other.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
    other.execute("BEGIN IMMEDIATE")  # the write lock, as an opener making the schema holds it
    thread, outcome = _opened_in_a_thread(lambda: STORES[kind](path))
    thread.join(0.3)
    assert thread.is_alive()  # it waits, where SQLite alone answered "database is locked"
    other.execute("COMMIT")
    thread.join(60)
    assert outcome == ["opened"]
    other.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # kept in the file


def test_the_wait_for_the_lock_ends_with_the_error_at_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("CREATE TABLE t (x)")
    other.execute("BEGIN IMMEDIATE")
    db = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        use_wal(db, 0.2)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # nothing half done
    other.execute("COMMIT")
    assert use_wal(db, 0.2) == "wal"
    db.close()
    other.close()


def test_a_file_already_in_wal_mode_needs_no_lock(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite"
    first = sqlite3.connect(path, isolation_level=None)
    assert use_wal(first, 1) == "wal"
    first.execute("CREATE TABLE t (x)")
    first.execute("BEGIN IMMEDIATE")
    db = sqlite3.connect(path, timeout=0, isolation_level=None)
    assert use_wal(db, 0) == "wal"  # at once, with the writer still holding its lock
    first.execute("COMMIT")
    db.close()
    first.close()


def test_identity_reads_the_id_the_version_and_the_objects(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "x.sqlite", isolation_level=None)
    assert identity(db) == (0, 0, 0)
    db.execute("CREATE TABLE t (x)")
    db.execute("CREATE INDEX t_x ON t (x)")
    db.execute("PRAGMA application_id = 42")
    db.execute("PRAGMA user_version = 3")
    assert identity(db) == (42, 3, 2)
    db.close()


@pytest.mark.parametrize("kind", sorted(STORES))
def test_openers_meeting_on_a_new_file_all_open_it(tmp_path: Path, kind: str) -> None:
    """Four at once on a new file, 40 times. Before, about one opening in eight failed: a
    second `O_EXCL` create, an identity read half before and half after another opener's
    schema ("another program's database"), or the switch to WAL refused at once."""
    failures: list[str] = []
    for trial in range(40):
        path = tmp_path / str(trial) / f"{kind}.sqlite"
        path.parent.mkdir()
        barrier = threading.Barrier(4, timeout=60)

        def open_it(path: Path = path, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                STORES[kind](path).close()
            except Exception as exc:  # noqa: BLE001 - every failure is reported
                failures.append(f"{type(exc).__name__}: {exc}")

        threads = [threading.Thread(target=open_it) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        with sqlite3.connect(path) as db:
            app, version, objects = identity(db)
        assert app != 0 and version != 0 and objects > 0  # one schema, made once
    assert failures == []


@pytest.mark.parametrize("kind", sorted(STORES))
def test_another_programs_database_is_refused_and_left_as_it_was(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "theirs.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE their_rows (x)")
    db.close()
    before = path.read_bytes()
    with pytest.raises(Exception, match="another program"):
        STORES[kind](path)
    assert path.read_bytes() == before  # not switched to WAL, nothing written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["theirs.sqlite"]

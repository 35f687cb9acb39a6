"""Tamper evidence: each writer's records carry seq and the previous record's hash; `verify`
finds gaps, edits, reordering and truncation, and nothing else."""

from __future__ import annotations

import fcntl
import json
import multiprocessing
import os
import threading
from pathlib import Path

import pytest

import agents.protocol.audit as audit_module
from agents.protocol.audit import AuditLog, record_hash
from agents.protocol.audit_verify import verify


def _lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().split(b"\n") if line.strip()]


def _check(log: AuditLog, lines: list[bytes] | None = None):
    return verify(
        lines if lines is not None else _lines(log.path), source="file", heads=log.heads()
    )


def test_records_carry_their_writer_sequence_and_previous_hash(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="release-engineer")
    first = log.append("request", stack="dev")
    second = log.append("outcome", stack="dev", seq=99, prev="forged", writer="x")
    assert (first["writer"], first["seq"], first["prev"]) == ("release-engineer", 1, None)
    # A caller cannot set the chain fields.
    assert (second["writer"], second["seq"]) == ("release-engineer", 2)
    assert second["prev"] is not None and len(second["prev"]) == 64
    report = _check(log)
    assert report.ok and report.writers["release-engineer"].records == 2


def test_an_unbroken_log_verifies_and_each_writer_has_its_own_chain(tmp_path):
    path = tmp_path / "a.jsonl"
    a, b = AuditLog(path, writer="a"), AuditLog(path, writer="b")
    for i in range(10):
        (a if i % 3 else b).append("step", i=i)
    report = _check(a)
    assert report.ok, report.problems
    assert {w: r.last for w, r in report.writers.items()} == {"a": 6, "b": 4}


def test_a_deleted_record_is_a_gap(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(5):
        log.append("step", i=i)
    lines = _lines(log.path)
    del lines[2]
    kinds = [p["kind"] for p in _check(log, lines).problems]
    assert kinds == ["gap"]


def test_an_edited_record_breaks_the_next_hash(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(4):
        log.append("decision", approved=False, i=i)
    lines = _lines(log.path)
    lines[1] = lines[1].replace(b'"approved":false', b'"approved":true')
    report = _check(log, lines)
    assert [p["kind"] for p in report.problems] == ["edited"]
    assert "record 2 does not hash" in report.problems[0]["detail"]


def test_an_edit_of_the_last_record_is_caught_by_the_writers_head(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(3):
        log.append("decision", i=i)
    lines = _lines(log.path)
    lines[-1] = lines[-1].replace(b'"i":2', b'"i":7')
    assert [p["kind"] for p in _check(log, lines).problems] == ["edited"]


def test_swapped_records_are_reordered(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(4):
        log.append("step", i=i)
    lines = _lines(log.path)
    lines[1], lines[2] = lines[2], lines[1]
    assert {p["kind"] for p in _check(log, lines).problems} == {"reordered"}


def test_a_cut_off_tail_is_truncation(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(6):
        log.append("step", i=i)
    lines = _lines(log.path)
    log.path.write_bytes(b"\n" + b"\n".join(lines[:4]) + b"\n")
    report = _check(log)
    assert [p["kind"] for p in report.problems] == ["truncated"]
    assert "2 record(s) cut off" in report.problems[0]["detail"]
    # The next record continues from the true head, so the cut stays visible as a gap too.
    log.append("step", i=6)
    assert [p["kind"] for p in _check(log).problems] == ["gap"]


def test_a_record_delivered_twice_is_one_record(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(3):
        log.append("step", i=i)
    lines = _lines(log.path)
    report = _check(log, lines[:2] + lines[1:])
    assert report.ok and report.writers["w"].duplicates == 1


def test_records_before_chaining_are_a_legacy_prefix_and_unchained_ones_later_are_not(tmp_path):
    path = tmp_path / "a.jsonl"
    legacy = json.dumps({"ts": "2026-01-01T00:00:00+00:00", "event": "old"}).encode()
    path.write_bytes(b"\n" + legacy + b"\n")
    log = AuditLog(path, writer="w")
    log.append("new")
    assert _check(log).ok and _check(log).legacy == 1
    with path.open("ab") as fh:
        fh.write(b"\n" + legacy + b"\n")
    log.append("new")
    assert [p["kind"] for p in _check(log).problems] == ["unchained"]


def test_a_writer_that_starts_over_is_reported(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    log.append("one")
    log.append("two")
    log.chain_path.unlink()
    (tmp_path / "b.jsonl").write_bytes(b"")
    other = AuditLog(tmp_path / "b.jsonl", writer="w")  # a new pod that could not seed
    other.append("three")
    lines = _lines(log.path) + _lines(other.path)
    kinds = [p["kind"] for p in verify(lines, source="cloudwatch").problems]
    assert "edited" in kinds  # two different records numbered 1


def test_a_seeded_head_continues_the_chain_in_a_new_log(tmp_path):
    old = AuditLog(tmp_path / "pod1" / "audit.jsonl", writer="w")
    for i in range(3):
        old.append("step", i=i)
    seq, digest = old.heads()["w"]
    new = AuditLog(tmp_path / "pod2" / "audit.jsonl", writer="w")
    assert new.seed("w", seq, digest)
    assert not new.seed("w", 1, "x")  # never backwards
    new.append("step", i=3)
    lines = _lines(old.path) + _lines(new.path)
    report = verify(lines, source="cloudwatch")
    assert report.ok and report.writers["w"].last == 4


def test_a_damaged_chain_cache_is_rebuilt_from_the_log(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    log.append("one")
    log.append("two")
    log.chain_path.write_bytes(b"\x00garbage{")
    log.append("three")
    assert _check(log).ok and log.heads()["w"][0] == 3


def test_a_writer_killed_before_its_cache_update_is_recovered_from_the_tail(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    log.append("one")
    stale = log.chain_path.read_bytes()
    log.append("two")
    log.chain_path.write_bytes(stale)  # as if the process died after its line
    log.append("three")
    report = _check(log)
    assert report.ok and report.writers["w"].last == 3


def _hammer(path: str, writer: str, n: int) -> None:
    log = AuditLog(Path(path), writer=writer)
    for i in range(n):
        log.append("spam", i=i)


@pytest.mark.slow
def test_many_processes_as_one_writer_keep_one_unbroken_chain(tmp_path):
    path = tmp_path / "a.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(str(path), "w", 100)) for _ in range(4)]
    procs += [ctx.Process(target=_hammer, args=(str(path), "other", 50))]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    report = _check(AuditLog(path, writer="w"))
    assert report.ok, report.problems[:3]
    assert report.writers["w"].last == 400 and report.writers["other"].last == 50


def test_clock_skew_between_one_writers_processes_is_not_reordering_but_time_travel_is(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    for i in range(3):
        log.append("step", i=i)
    lines = _lines(log.path)

    def with_ts(raw: bytes, ts: str) -> bytes:
        record = json.loads(raw)
        record["ts"] = ts
        return json.dumps(record, separators=(",", ":")).encode()

    # Re-chain by hand: record 2 two seconds "before" record 1 (a skewed clock), then an hour.
    skewed = [with_ts(lines[0], "2026-12-05T10:00:02+00:00")]
    for ts in ("2026-12-05T10:00:00+00:00", "2026-12-05T09:00:00+00:00"):
        record = json.loads(lines[len(skewed)])
        record["ts"] = ts
        record["prev"] = record_hash(skewed[-1])
        skewed.append(json.dumps(record, separators=(",", ":")).encode())
    kinds = [(p["kind"], p["detail"]) for p in verify(skewed, source="file").problems]
    assert kinds == [("reordered", "record 3 is older than record 2")]


def test_a_missing_or_damaged_cache_of_a_chained_log_is_a_problem(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    assert log.chain_problem() is None  # no log yet: nothing to vouch for
    log.append("one")
    assert log.chain_problem() is None
    good = log.chain_path.read_bytes()
    log.chain_path.write_bytes(b"\x00garbage{")
    assert "a.jsonl.chain is damaged" in (log.chain_problem() or "")
    log.chain_path.unlink()
    assert "a.jsonl.chain is missing" in (log.chain_problem() or "")
    log.chain_path.write_bytes(good)
    assert log.chain_problem() is None


def test_a_cache_in_the_middle_of_its_rewrite_is_waited_for_not_called_damaged(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    log.append("one")
    good = log.chain_path.read_bytes()
    fd = os.open(log.chain_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # an appender between its truncate and its write
        os.ftruncate(fd, 0)
        answers: list[str | None] = []
        reader = threading.Thread(target=lambda: answers.append(log.chain_problem()))
        reader.start()
        reader.join(0.3)
        assert reader.is_alive()  # it waits for the rewrite to end
        os.pwrite(fd, good, 0)
    finally:
        os.close(fd)  # the lock goes with it
    reader.join(30)
    assert answers == [None]


def test_a_writer_that_keeps_the_cache_locked_is_a_problem_named_in_bounded_time(
    tmp_path, monkeypatch
):
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    log.append("one")
    monkeypatch.setattr(audit_module, "CHAIN_LOCK_WAIT_S", 0.2)
    fd = os.open(log.chain_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # a stopped agent in the middle of its append
        problem = log.chain_problem()
    finally:
        os.close(fd)
    assert problem is not None and "held by a writer for over 0.2 s" in problem
    assert log.chain_problem() is None  # once it lets go


def test_verify_beside_appenders_on_a_new_log_never_calls_it_damaged(tmp_path):
    """Three threads append to a new log while a fourth asks whether the cache vouches for it,
    20 times: read without the appenders' lock, or weighing records appended after the cache was
    read, the answer was "damaged" or "missing" nearly every time."""
    said: list[str] = []
    asked: list[int] = []
    for trial in range(20):
        path = tmp_path / str(trial) / "audit.jsonl"
        barrier = threading.Barrier(4, timeout=60)
        done = threading.Event()

        def append(writer: str, path: Path = path, barrier: threading.Barrier = barrier) -> None:
            try:
                barrier.wait()
                log = AuditLog(path, writer=writer)
                for n in range(3):
                    log.append("step", n=n)
            except Exception as exc:  # noqa: BLE001 - reported below
                said.append(f"append failed: {exc!r}")

        def ask(
            path: Path = path, barrier: threading.Barrier = barrier, done: threading.Event = done
        ) -> None:
            try:
                barrier.wait()
                log = AuditLog(path, writer="reader")
                while True:  # once more after the appenders are done
                    finished = done.is_set()
                    problem = log.chain_problem()
                    asked.append(1)
                    if problem is not None:
                        said.append(problem)
                    if finished:
                        break
            except Exception as exc:  # noqa: BLE001 - reported below
                said.append(f"chain_problem failed: {exc!r}")

        appenders = [threading.Thread(target=append, args=(f"w{i % 2}",)) for i in range(3)]
        asker = threading.Thread(target=ask)
        for thread in (*appenders, asker):
            thread.start()
        for thread in appenders:
            thread.join(60)
        done.set()
        asker.join(60)
        assert _check(AuditLog(path, writer="reader")).ok  # the log itself is sound
    assert said == []
    assert len(asked) >= 20  # asked in every trial, once at least after the appends


def test_an_append_behind_a_writer_that_keeps_the_lock_fails_in_bounded_time(tmp_path, monkeypatch):
    """A stopped agent in the middle of its append would have stopped every other agent's
    records for good: the append fails with a timeout (an OSError, as a full disk) instead."""
    log = AuditLog(tmp_path / "a.jsonl", writer="w")
    log.append("one")
    before = log.path.read_bytes()
    monkeypatch.setattr(audit_module, "CHAIN_LOCK_WAIT_S", 0.2)
    fd = os.open(log.chain_path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        with pytest.raises(TimeoutError, match=r"held by another writer for over 0\.2 s"):
            log.append("two")
        with pytest.raises(OSError, match="stopped or hung agent"):
            log.heads()
    finally:
        os.close(fd)
    assert log.path.read_bytes() == before  # nothing half written
    log.append("two")
    assert _check(log).ok and log.heads()["w"][0] == 2

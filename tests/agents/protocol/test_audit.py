"""The audit log: one whole JSON line per event, readable while being written, filterable."""

import json
import multiprocessing

import pytest

from agents.protocol.audit import AuditLog


def test_each_event_is_one_json_line_with_a_timestamp(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    log.append("lock.acquired", stack="dev", persona="release-engineer", token=3)
    (line,) = [x for x in (tmp_path / "a.jsonl").read_text().splitlines() if x]
    record = json.loads(line)
    assert record["event"] == "lock.acquired" and record["token"] == 3 and record["ts"]


def test_a_torn_last_line_is_skipped_not_misread(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    log.append("op.start", stack="dev")
    with (tmp_path / "a.jsonl").open("ab") as fh:
        fh.write(b'{"ts": "2026-11-26T00:00:00", "event": "op.en')
    assert [r["event"] for r in log.records()] == ["op.start"]


def test_query_filters_by_field_and_limits(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    for i in range(5):
        log.append("op.end", stack="dev" if i % 2 else "prod", n=i)
    assert [r["n"] for r in log.query({"stack": "dev"})] == [1, 3]
    assert [r["n"] for r in log.query({"event": "op.end"}, limit=2)] == [3, 4]
    assert log.query({"stack": None}, limit=1)[0]["n"] == 4


def _writer(path: str, n: int) -> None:
    log = AuditLog(__import__("pathlib").Path(path))
    for i in range(n):
        log.append("spam", payload="x" * (i % 200), i=i)


@pytest.mark.slow
def test_lines_from_many_processes_interleave_whole(tmp_path):
    path = tmp_path / "a.jsonl"
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), 200)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    lines = [x for x in path.read_text().splitlines() if x]
    assert len(lines) == 800
    assert all(json.loads(line)["event"] == "spam" for line in lines)


def test_a_fragment_left_by_a_killed_writer_does_not_swallow_the_next_record(tmp_path):
    log = AuditLog(tmp_path / "a.jsonl")
    log.append("op.start", stack="dev")
    with (tmp_path / "a.jsonl").open("ab") as fh:
        fh.write(b'\n{"ts": "2026-11-26T00:00:00", "event": "op.en')  # killed mid-write
    log.append("lock.acquired", stack="dev")
    assert [r["event"] for r in log.records()] == ["op.start", "lock.acquired"]

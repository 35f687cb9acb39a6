"""Findings outlive a pass: seen again they are updated, not duplicated; no longer seen they
close, but only for the kinds the pass actually checked."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest

from agents import InputError
from agents.cli.main import main
from agents.protocol.findings import Finding, FindingsError, FindingStore
from toolchain.inputs import MAX_DEPTH


def alarm(resource: str = "baseline-prod-api-5xx", severity: str = "high") -> Finding:
    return Finding(
        kind="alarm.firing",
        severity=severity,
        stack="prod",
        resource=resource,
        summary=f"{resource} is in ALARM",
        evidence={"since": "2026-11-29T10:00:00Z"},
        proposed_action="look at the API's 5xx",
        persona="observability-engineer",
    )


@pytest.fixture
def store(tmp_path):
    with FindingStore(tmp_path / "findings.sqlite") as s:
        yield s


def test_a_finding_seen_again_is_updated_not_duplicated(store):
    first = store.observe("observability-engineer", "prod", ["alarm.firing"], [alarm()])
    assert len(first.opened) == 1 and not first.updated
    again = store.observe(
        "observability-engineer", "prod", ["alarm.firing"], [alarm(severity="critical")]
    )
    assert not again.opened and len(again.updated) == 1
    (only,) = store.query()
    assert only.count == 2 and only.finding.severity == "critical"
    assert only.id == first.opened[0].id


def test_a_finding_no_longer_seen_closes_and_history_is_kept(store):
    store.observe("observability-engineer", "prod", ["alarm.firing"], [alarm()])
    result = store.observe("observability-engineer", "prod", ["alarm.firing"], [])
    assert [c.finding.resource for c in result.closed] == ["baseline-prod-api-5xx"]
    assert store.query() == []
    (closed,) = store.query(status="closed")
    assert closed.closed_at is not None
    reopened = store.observe("observability-engineer", "prod", ["alarm.firing"], [alarm()])
    assert len(reopened.opened) == 1  # a new episode, a new finding


def test_kinds_a_pass_did_not_check_stay_open(store):
    store.observe("observability-engineer", "prod", ["alarm.firing"], [alarm()])
    # The alarm check failed this time: only the log check ran, so the alarm stays open.
    result = store.observe("observability-engineer", "prod", ["logs.new-errors"], [])
    assert not result.closed and len(store.query()) == 1


def test_filters_by_stack_and_severity_floor(store):
    store.observe("observability-engineer", "prod", [], [alarm("a", "low"), alarm("b", "high")])
    assert [s.finding.resource for s in store.query(severity="high")] == ["b"]
    assert [s.finding.resource for s in store.query(severity="low")] == ["b", "a"]
    assert store.query(stack="dev") == []
    with pytest.raises(InputError, match="severity"):
        store.query(severity="urgent")


def test_a_finding_must_be_well_formed():
    with pytest.raises(InputError, match="severity"):
        alarm(severity="meh")
    with pytest.raises(InputError, match="resource"):
        Finding("k", "low", "prod", "", "s")
    with pytest.raises(TypeError):
        Finding("k", "low", "prod", "r", "s", evidence={"when": object()})


def test_a_file_that_is_not_a_findings_store_is_refused_and_kept(tmp_path):
    junk = tmp_path / "findings.sqlite"
    junk.write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(FindingsError, match="not a findings store"):
        FindingStore(junk)
    assert junk.read_bytes() == b"not sqlite at all" * 10
    other = tmp_path / "other.sqlite"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.commit()
    with pytest.raises(FindingsError, match="not a findings store of schema"):
        FindingStore(other)


def test_the_store_file_is_private(tmp_path):
    FindingStore(tmp_path / "f.sqlite").close()
    assert (tmp_path / "f.sqlite").stat().st_mode & 0o777 == 0o600


def _observe(path: str, persona: str, barrier) -> None:
    barrier.wait()
    with FindingStore(path) as s:
        for _ in range(20):
            s.observe(persona, "prod", [], [alarm()])


@pytest.mark.slow
def test_processes_recording_at_once_keep_one_open_finding_per_persona(tmp_path):
    path = tmp_path / "findings.sqlite"
    FindingStore(path).close()
    # not fork: a test worker may hold threads whose locks a forked child inherits held
    ctx = multiprocessing.get_context("forkserver")
    barrier = ctx.Barrier(4, timeout=60)  # one that dies breaks it: no hang
    procs = [ctx.Process(target=_observe, args=(str(path), f"p{i % 2}", barrier)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
    assert all(p.exitcode == 0 for p in procs)
    with FindingStore(path) as s:
        found = s.query()
    assert sorted(f.finding.persona for f in found) == ["p0", "p1"]
    assert sorted(f.count for f in found) == [40, 40]


@pytest.mark.parametrize(
    "evidence",
    ["{not json", b"\x00\x01 a blob", "[" * 100_000 + "]" * 100_000],
    ids=["not-json", "blob", "nested-past-the-decoder"],
)
def test_a_damaged_evidence_column_refuses_the_read_with_one_line(store, evidence):
    # the store file written or damaged by something else: the read stops, naming the finding,
    # instead of a traceback, or a finding listed without its evidence, or one left out
    store.observe("sre", "prod", ["alarm.firing"], [alarm(), alarm("baseline-prod-db-cpu")])
    (first, _) = sorted(f.id for f in store.query())
    db = sqlite3.connect(store.path)
    db.execute("UPDATE findings SET evidence = ? WHERE id = ?", (evidence, first))
    db.commit()
    db.close()
    with pytest.raises(FindingsError, match=f"finding {first}'s evidence is not JSON") as err:
        store.query()
    assert "\n" not in str(err.value)
    # a pass that sees the finding again writes its evidence afresh: the store reads again
    store.observe("sre", "prod", ["alarm.firing"], [alarm(), alarm("baseline-prod-db-cpu")])
    assert {f.finding.evidence["since"] for f in store.query()} == {"2026-11-29T10:00:00Z"}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("last_seen", b"\x00 a blob"),  # raised TypeError out of the sort, beside a text one
        ("closed_at", b"\x00 a blob"),
        ("count", "many"),  # INTEGER affinity keeps text that is not a number
        ("count", 1.5),
        ("persona", b"\x00"),
        ("kind", ""),  # these two raised InputError: exit 2, blaming the command
        ("severity", "bogus"),
    ],
)
def test_a_damaged_column_refuses_the_read_with_one_line(store, column, value):
    # written by another program (SQLite keeps a blob or text in any column): the read stops,
    # naming the finding, never a traceback nor a finding listed with a field it cannot have
    store.observe("sre", "prod", ["alarm.firing"], [alarm(), alarm("baseline-prod-db-cpu")])
    (first, _) = sorted(f.id for f in store.query())
    db = sqlite3.connect(store.path)
    db.execute(f"UPDATE findings SET {column} = ? WHERE id = ?", (value, first))
    db.commit()
    db.close()
    with pytest.raises(FindingsError, match=f"finding {first} cannot be read .*damaged") as err:
        store.query(status="open")
    assert "\n" not in str(err.value)


def test_evidence_deeper_than_the_json_bound_is_neither_written_nor_read(store):
    # 500 levels parse, but every reader walks evidence recursively: `findings --json` raised
    # RecursionError (asdict). A store holding it is damaged; a pass never writes it.
    store.observe("sre", "prod", ["alarm.firing"], [alarm()])
    db = sqlite3.connect(store.path)
    db.execute("UPDATE findings SET evidence = ?", ("[" * 500 + "]" * 500,))
    db.commit()
    db.close()
    with pytest.raises(FindingsError, match="evidence is not JSON"):
        store.query()
    deep: list = []  # MAX_DEPTH lists: in an object, one level too deep
    for _ in range(MAX_DEPTH - 1):
        deep = [deep]
    with pytest.raises(InputError, match=f"evidence nests deeper than {MAX_DEPTH}"):
        Finding("alarm.firing", "high", "prod", "r", "s", {"deep": deep})
    assert Finding("alarm.firing", "high", "prod", "r", "s", {"deep": deep[0]}).evidence


def test_findings_command_on_a_damaged_store_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path))
    with FindingStore(tmp_path / "findings.sqlite") as s:
        s.observe("sre", "prod", ["alarm.firing"], [alarm(), alarm("baseline-prod-db-cpu")])
    db = sqlite3.connect(tmp_path / "findings.sqlite")
    db.execute("UPDATE findings SET evidence = ? WHERE id = 1", ("[" * 500 + "]" * 500,))
    db.execute("UPDATE findings SET last_seen = ? WHERE id = 2", (b"\x1b[2J",))
    db.commit()
    db.close()
    for argv in (["findings"], ["findings", "--json"]):
        assert main(argv) == 1
        out, err = capsys.readouterr()
        assert not out and err.count("\n") == 1 and "damaged" in err, err


def test_a_pass_whose_result_cannot_be_read_is_rolled_back_whole(store):
    # The pass closes a finding whose row is damaged, and opens another. Its result is read in
    # its transaction: it had committed, then raised, and the new finding, recorded but never
    # in a result, was never audited nor notified (the next pass only updates it).
    store.observe("sre", "prod", ["alarm.firing"], [alarm()])
    (damaged,) = store.query()
    db = sqlite3.connect(store.path)
    db.execute("UPDATE findings SET evidence = '{not json'")
    db.commit()
    db.close()
    new = alarm("baseline-prod-db-cpu")
    with pytest.raises(FindingsError, match=f"finding {damaged.id}'s evidence is not JSON"):
        store.observe("sre", "prod", ["alarm.firing"], [new])
    db = sqlite3.connect(store.path)
    rows = db.execute("SELECT id, resource, status FROM findings").fetchall()
    db.close()
    assert rows == [(damaged.id, damaged.finding.resource, "open")]  # nothing of the pass

"""The chaos run's invariant checks, on hand-made audit records: each catches what it must, and
passes a log where everything held (the chaos run itself is `make chaos`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from agents.protocol import audit_sink
from agents.protocol.audit import AuditLog
from agents.protocol.settings import AgentSettings
from tests.chaos import records
from tests.chaos.records import (
    HARNESS,
    TeamRecords,
    _wall,
    check_findings_audit,
    check_findings_store,
    check_no_mutation_while_behind,
    check_sink_has_everything,
)
from tests.chaos.run import check_approvals, check_overlap, check_tokens, check_torn


def rec(event: str, second: float, **fields):
    return {"ts": f"2026-11-29T10:00:{second:06.3f}+00:00", "event": event, **fields}


def run(stack, token, start, end, *, op="up", approval=None, killed=False):
    records = [
        rec("lock.acquired", start - 0.5, stack=stack, token=token),
        rec("operation.started", start, stack=stack, token=token, operation=op, approval=approval),
    ]
    if not killed:
        records += [
            rec("operation.succeeded", end, stack=stack, token=token, operation=op),
            rec("lock.released", end + 0.1, stack=stack, token=token),
        ]
    return records


def test_a_clean_log_holds():
    records = [
        rec("approval.consumed", 1, stack="prod", approval="a1"),
        *run("prod", 1, 2, 5, approval="a1"),
        *run("prod", 2, 6, 8, op="refresh"),
        *run("dev", 1, 3, 9),
    ]
    records.sort(key=lambda r: r["ts"])
    assert check_overlap(records) == []
    assert check_tokens(records) == []
    assert check_approvals(records) == []


def test_overlapping_operations_are_caught_even_when_not_adjacent():
    records = [*run("dev", 1, 1, 20), *run("dev", 2, 3, 4), *run("dev", 3, 10, 12)]
    records.sort(key=lambda r: r["ts"])
    problems = check_overlap(records)
    assert len(problems) == 2 and all("token 1" in p for p in problems)


def test_a_killed_holder_runs_until_the_next_lease_at_the_latest():
    records = [*run("dev", 1, 1, 0, killed=True), *run("dev", 2, 30, 31)]
    records.sort(key=lambda r: r["ts"])
    assert check_overlap(records) == []  # token 2 was taken after token 1's lease: no overlap


def test_tokens_that_go_back_are_caught():
    records = [*run("dev", 5, 1, 2), *run("dev", 3, 4, 5)]
    assert check_tokens(records) == ["dev: token 3 taken after token 5"]


def test_an_up_on_prod_without_a_consumed_approval_is_caught():
    records = [*run("prod", 1, 2, 3, approval=None), *run("dev", 1, 4, 5)]
    assert check_approvals(records) == ["up on prod (token 1) without approval"]
    late = [*run("prod", 2, 2, 3, approval="a2"), rec("approval.consumed", 4, approval="a2")]
    assert check_approvals(late) == ["up on prod (token 2) without approval"]
    twice = [rec("approval.consumed", 1, approval="a3"), rec("approval.consumed", 2, approval="a3")]
    assert check_approvals(twice) == ["approval a3 consumed twice"]


def test_a_torn_line_is_caught():
    whole = json.dumps(rec("outcome", 1)).encode()
    assert check_torn(b"\n" + whole + b"\n") == []
    problems = check_torn(b"\n" + whole + b'\n{"ts": "2026-11-29T10:0\n')
    assert len(problems) == 1 and "line 3 is torn" in problems[0]


def test_skewed_clocks_do_not_fool_the_checks():
    # token 2's agent runs 5 s behind: its lines carry earlier timestamps than token 1's, but
    # the log's append order is the order things happened.
    first, second = run("dev", 1, 10, 12), run("dev", 2, 6, 7)
    records = [*first, *second]
    assert check_tokens(records) == [] and check_overlap(records) == []


# -- the team records' checks (tests/chaos/records.py) -------------------------------------------
def opened(fid, second, resource="db"):
    return rec(
        "finding.opened", second, id=fid, persona="p", stack="dev", kind="k", resource=resource
    )


def test_a_finding_opened_twice_without_a_close_is_caught_and_one_reopened_is_not():
    assert check_findings_audit([opened(1, 1), rec("finding.closed", 2, id=1), opened(2, 3)]) == []
    problems = check_findings_audit([opened(1, 1), opened(2, 2)])
    assert problems == ["p/dev/k/db opened as 2 while 1 was open"]


def test_a_finding_on_the_log_but_not_in_the_store_and_a_double_open_row_are_caught():
    row = {"id": 1, "status": "open", "persona": "p", "stack": "dev", "kind": "k", "resource": "db"}
    assert check_findings_store([opened(1, 1)], [row]) == []
    assert "is on the log, not stored" in check_findings_store([opened(7, 1)], [row])[0]
    assert "is open twice" in check_findings_store([], [row, {**row, "id": 2}])[0]


def test_a_record_missing_from_the_sink_is_caught():
    a = json.dumps({"ts": "t", "event": "x", "writer": "w", "seq": 1}).encode()
    b = json.dumps({"ts": "t", "event": "y", "writer": "w", "seq": 2}).encode()
    assert check_sink_has_everything([a, b], [a, b, a]) == []
    assert (
        "1 record(s) never reached the sink: w #2 (y)" in check_sink_has_everything([a, b], [a])[0]
    )


def gateway_run(run: str, start: float, *events: tuple[str, float, str | None]) -> list[dict]:
    """One `up` run of the gateway on dev: its start at `start` s, then (event, s, outcome)."""
    fields = {"stack": "dev", "operation": "up", "persona": "r", "run": run}
    out = [rec("gateway.start", start, **fields)]
    for event, second, outcome in events:
        out.append(rec(event, second, **fields, **({"outcome": outcome} if outcome else {})))
    return out


OUTAGE = [(_wall(rec("x", 0)["ts"]), _wall(rec("x", 40)["ts"]))]  # marked at 0 s, over at 40 s


def test_a_mutation_that_ran_during_an_outage_is_caught_and_a_refused_one_is_not():
    refused = gateway_run("a", 30, ("gateway.done", 30.1, "refused-audit-behind"))
    assert check_no_mutation_while_behind(refused, OUTAGE, 8) == []
    ran = gateway_run("b", 30, ("gateway.step", 31, None), ("gateway.done", 32, "ok"))
    (problem,) = check_no_mutation_while_behind(refused + ran, OUTAGE, 8)
    assert problem.startswith("up on dev by r ran 30 s after a sink outage's mark")
    # killed with its CLI running (steps, no end) is judged; killed before anything is not
    stepped = gateway_run("c", 30, ("gateway.step", 31, None))
    assert len(check_no_mutation_while_behind(stepped, OUTAGE, 8)) == 1
    assert check_no_mutation_while_behind(gateway_run("d", 30), OUTAGE, 8) == []


def test_the_window_is_the_outage_past_the_limit_less_the_margins():
    def judged(second: float) -> bool:
        run = gateway_run("e", second, ("gateway.done", second + 1, "ok"))
        return bool(check_no_mutation_while_behind(run, OUTAGE, 8))

    margin = records.MARGIN_S
    assert [judged(8 + margin - 0.5), judged(8 + margin + 0.5)] == [False, True]
    assert [judged(40 - margin - 0.5), judged(40 - margin + 0.5)] == [True, False]


def test_an_outage_mark_makes_the_spool_as_old_as_the_outage(tmp_path):
    """Nothing written since the sink went away leaves nothing late; the mark is a record that
    waits from the outage's start, so the gateway's refusal follows the outage's age."""
    settings = AgentSettings(
        state_dir=tmp_path, audit_sink="cloudwatch", audit_log_group="/g", audit_max_lag_s=8
    )
    assert audit_sink.lag(settings).seconds == 0  # an empty spool: nothing is late
    team = TeamRecords(pg=None, sink=None, audit_log=settings.audit_log)
    marked = team.mark_outage(until=time.time() + 10)
    assert marked is not None
    (mark,) = list(AuditLog(settings.audit_log).records())
    assert (mark["event"], mark["writer"], mark["seq"]) == ("chaos.sink-paused", HARNESS, 1)
    assert audit_sink.refusal(settings, now=marked + 1) is None
    assert "have not reached /g for 9 s" in (audit_sink.refusal(settings, now=marked + 9) or "")


def test_the_mark_waits_for_room_on_the_disk_and_is_not_written_without_it(tmp_path, monkeypatch):
    real = shutil.disk_usage
    full = {"calls": 2}

    def usage(path):
        if full["calls"]:
            full["calls"] -= 1
            return real(path)._replace(free=0)
        return real(path)

    monkeypatch.setattr(records.shutil, "disk_usage", usage)
    log = tmp_path / "audit.jsonl"
    team = TeamRecords(pg=None, sink=None, audit_log=log)
    assert team.mark_outage(until=time.time() + 10) is not None
    assert full["calls"] == 0 and len(list(AuditLog(log).records())) == 1
    full["calls"] = 10**6  # full for good: no mark, no record
    assert team.mark_outage(until=time.time() + 0.5) is None
    assert len(list(AuditLog(log).records())) == 1


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_a_paused_sink_is_marked_probed_and_resumed_even_when_the_probe_fails(
    tmp_path, monkeypatch
):
    for name, value in (("MAX_LAG_S", 0.2), ("MARGIN_S", 0.1), ("SKEW_S", 0.1)):
        monkeypatch.setattr(records, name, value)
    sink = subprocess.Popen(["sleep", "60"])
    try:
        team = TeamRecords(pg=None, sink=sink, audit_log=tmp_path / "audit.jsonl")
        seen = []

        def probe() -> str:
            seen.append(_state(sink.pid))
            return "refused"

        def failing() -> str:
            raise TimeoutError("no answer in 120 s")

        team.pause_sink(0.6, probe=probe)
        team.pause_sink(0.6, probe=failing)
        assert seen == ["T"]  # the probe ran while the sink was stopped
        assert team.probes == ["refused", "the probe failed: TimeoutError: no answer in 120 s"]
        assert len(team.outages) == 2 and all(mark < end for mark, end in team.outages)
        assert _state(sink.pid) in "SR"  # resumed
        marks = [r for r in AuditLog(team.audit_log).records() if r["event"] == "chaos.sink-paused"]
        assert len(marks) == 2
    finally:
        sink.kill()
        sink.wait()


def test_keep_refuses_a_folder_that_holds_anything_before_the_run(tmp_path, capsys):
    """`--keep` copies an audit log named as an agents' own: pointed at a state folder (or a
    file, or a link) it would overwrite it, so it is refused at once, exit 2, one line."""
    from tests.chaos.run import main  # noqa: PLC0415

    state = tmp_path / "state"
    state.mkdir()
    (state / "audit.jsonl").write_text("mine\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "empty")
    for target in (state, state / "audit.jsonl", tmp_path / "link"):
        with pytest.raises(SystemExit) as exited:
            main(["--keep", str(target)])
        assert exited.value.code == 2
        assert "not a new or empty folder" in capsys.readouterr().err
    assert (state / "audit.jsonl").read_text() == "mine\n"

"""`python -m agents audit verify|drain`: the chain checked from the file or the CloudWatch group,
exit 1 on a broken chain, exit 2 (one line) on bad input; `run` sends its records to the sink."""

from __future__ import annotations

import json

import boto3
import pytest

from agents.cli.main import main
from agents.protocol.audit import AuditLog
from tests.agents.cli.test_commands import env  # noqa: F401 - the fixture

GROUP = "/baseline/dev/agents/audit"


@pytest.fixture
def sink(env, monkeypatch):  # noqa: F811 - the fixture above
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName=GROUP)
    monkeypatch.setenv("AGENTS_AUDIT_SINK", "cloudwatch")
    monkeypatch.setenv("AGENTS_AUDIT_LOG_GROUP", GROUP)
    monkeypatch.setenv("AGENTS_AUDIT_BATCH_S", "0.2")
    monkeypatch.delenv("AGENTS_AUDIT_WRITER", raising=False)
    return env


def verify_json(capsys, *argv):
    code = main(["audit", "verify", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_pass_sends_its_chained_records_to_the_sink_and_both_verify(sink, capsys, tmp_path):
    assert main(["run", "release-engineer", "--stack", "dev", "--once", "--json"]) == 0
    capsys.readouterr()
    code, local = verify_json(capsys)
    assert code == 0 and local["ok"]
    code, remote = verify_json(capsys, "--source", "cloudwatch")
    assert code == 0 and remote["ok"]
    (writer,) = remote["writers"]
    assert writer["writer"] == "release-engineer" and writer["records"] >= 3
    assert writer["records"] == local["writers"][0]["records"]
    streams = boto3.client("logs", region_name="us-east-1").describe_log_streams(
        logGroupName=GROUP
    )["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["release-engineer"]


def test_a_deleted_record_fails_verify_with_the_gap_named(sink, capsys, tmp_path):
    main(["run", "release-engineer", "--stack", "dev", "--once", "--json"])
    capsys.readouterr()
    log = tmp_path / "state" / "audit.jsonl"
    lines = log.read_bytes().split(b"\n")
    victim = next(i for i, line in enumerate(lines) if b'"seq":2,' in line)
    del lines[victim]
    log.write_bytes(b"\n".join(lines))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "gap: release-engineer: 1 record(s) missing: 2" in out


def test_drain_sends_what_waits_and_says_so(sink, capsys, tmp_path):
    AuditLog(tmp_path / "state" / "audit.jsonl", "cli@test").append("note", text="hello")
    assert main(["audit", "drain", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["delivered"] == 1 and report["remainingBytes"] == 0 and report["error"] is None


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["audit", "verify", "--source", "s3"], "invalid choice"),
        (["audit", "verify"], "no audit log at"),
        (["audit", "verify", "--source", "cloudwatch"], "AGENTS_AUDIT_LOG_GROUP"),
        (["audit", "drain"], "AGENTS_AUDIT_LOG_GROUP"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(env, capsys, argv, says):  # noqa: F811
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) <= 2 and "Traceback" not in err

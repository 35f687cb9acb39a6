"""`python -m agents run|status|approve|reject|audit` end to end: the real gateway on the
Automation API, driving the test double of the Pulumi CLI, the file lock backend, the approval
store and the audit log in a temporary state folder."""

import json

import pytest
from moto import mock_aws

from agents.cli.main import main
from tests.agents.runtime.test_gateway import FAKE, FakeCli, use_the_double


@pytest.fixture
def env(tmp_path, monkeypatch):
    use_the_double(monkeypatch, tmp_path / "argv.jsonl")
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AGENTS_PULUMI_COMMAND", str(FAKE))
    monkeypatch.setenv("AGENTS_LOCK_WAIT_S", "0")
    # The routines' AWS checks (alarms, backups, spend, CloudTrail) reach moto, never AWS.
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield FakeCli(tmp_path / "argv.jsonl", monkeypatch)


def run_json(capsys, *argv):
    code = main([*argv, "--json"])
    out = capsys.readouterr().out
    return code, [json.loads(x) for x in out.splitlines() if x.strip()] if argv[
        0
    ] == "audit" else json.loads(out)


def test_release_engineer_applies_a_change_to_an_unprotected_stack(env, capsys):
    code, outcomes = run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert code == 0, json.dumps(outcomes, indent=1)
    (out,) = outcomes
    assert (out["operation"], out["status"]) == ("up", "done")
    ups = [c for c in env.operations() if c[1] == "up"]
    assert len(ups) == 1 and "--stack" in ups[0] and ups[0][ups[0].index("--stack") + 1] == "dev"


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
def test_a_protected_stack_waits_for_a_human_then_applies(env, capsys):
    _, (first,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    assert first["status"] == "pending-approval", first
    assert not [c for c in env.operations() if c[1] == "up"]
    _, status = run_json(capsys, "status")
    assert [a["id"] for a in status["approvals"]] == [first["approval"]]
    assert main(["approve", first["approval"], "--by", "alice", "--reason", "reviewed"]) == 0
    assert "approved by human:alice" in capsys.readouterr().out
    _, (second,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    assert (second["status"], second["approval"]) == ("done", first["approval"]), second
    assert len([c for c in env.operations() if c[1] == "up"]) == 1
    _, lines = run_json(capsys, "audit", "--stack", "prod", "--event", "approval.decided")
    assert lines[0]["by"] == "human:alice"


@pytest.mark.slow
def test_a_rejected_change_is_not_applied(env, capsys):
    _, (first,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    assert main(["reject", first["approval"], "--by", "bob"]) == 0
    capsys.readouterr()
    code, (second,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    assert second["status"] != "done" and code == 1
    assert not [c for c in env.operations() if c[1] == "up"]


def test_the_watchdog_reports_drift(env, capsys):
    env.scenario("drift")
    _, outcomes = run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    assert outcomes[0]["operation"] == "drift-check" and outcomes[0]["data"]["drifted"] is True
    _, lines = run_json(capsys, "audit", "--event", "drift.detected")
    assert lines and lines[0]["stack"] == "dev"


def test_a_persona_cannot_act_outside_its_scope(env, capsys):
    _, outcomes = run_json(capsys, "run", "cost-optimizer", "--stack", "dev", "--once")
    assert outcomes[0]["operation"] == "preview" and outcomes[0]["status"] == "done"
    ops = [c[1] for c in env.operations()]
    assert "up" not in ops and "refresh" not in ops and ops[0] == "preview"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "nobody", "--once"], "unknown persona 'nobody'"),
        (["run", "release-engineer", "--stack", "staging", "--once"], "unknown stack 'staging'"),
        (["approve", "20990101000000-abcdef"], "no approval request"),
        (["reject", "../../etc/passwd"], "is not an approval id"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(env, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


def test_bad_settings_exit_2_naming_the_variable(env, capsys, monkeypatch):
    monkeypatch.setenv("AGENTS_LOCK_BACKEND", "zookeeper")
    assert main(["status"]) == 2
    assert "AGENTS_LOCK_BACKEND: Input should be" in capsys.readouterr().err


def test_init_lock_table_creates_the_table_once(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        assert main(["init-lock-table"]) == 0
        assert "created" in capsys.readouterr().out
        assert main(["init-lock-table"]) == 0
        assert "already there" in capsys.readouterr().out


def test_init_approval_key_makes_a_key_once_and_never_replaces_it(env, tmp_path, capsys):
    assert main(["init-approval-key"]) == 0
    key = tmp_path / "state" / "approval.key"
    assert f"approval key {key}: created" in capsys.readouterr().out
    before = key.read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    assert main(["init-approval-key"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists already: not replaced" in err
    assert key.read_bytes() == before


@pytest.mark.slow
def test_an_approval_given_for_an_unprotected_stack_is_checked_not_ignored(env, capsys):
    _, (first,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    assert main(["approve", first["approval"], "--by", "alice"]) == 0
    capsys.readouterr()
    # The prod approval handed to a dev run: refused, and dev is not changed.
    code, (out,) = run_json(
        capsys,
        "run",
        "release-engineer",
        "--stack",
        "dev",
        "--once",
        "--approval",
        first["approval"],
    )
    assert (out["status"], code) == ("refused", 1), out
    assert "given for stack 'prod', not 'dev'" in out["detail"]
    assert not [c for c in env.operations() if c[1] == "up"]


def test_status_says_whether_notifications_are_on_and_where_they_go(env, capsys, monkeypatch):
    assert main(["status"]) == 0
    assert "notifications: off (no alert topic configured" in capsys.readouterr().out
    _, status = run_json(capsys, "status")
    assert status["notifications"]["enabled"] is False
    topic = "arn:aws:sns:us-east-1:123456789012:baseline-dev-alerts"
    monkeypatch.setenv("AGENTS_NOTIFY_TOPICS", f'{{"dev": "{topic}"}}')
    assert main(["status"]) == 0
    line = next(ln for ln in capsys.readouterr().out.splitlines() if ln.startswith("notif"))
    assert f"dev -> {topic}" in line and "min severity high" in line

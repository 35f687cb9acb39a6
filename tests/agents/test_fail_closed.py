"""Issue 9, fail closed: damaged state files refuse the stack (with one line and an audit record)
until `python -m agents repair`, `status` reports the damage instead of crashing, and a state
folder that cannot take a write refuses an operation before the gateway is called."""

from __future__ import annotations

import errno
import json
import os
import time

import pytest

from agents.cli.main import main
from agents.protocol.audit import AuditLog
from agents.protocol.locks.file import FileLockBackend
from tests.agents.cli.test_commands import env, run_json  # noqa: F401 - the CLI fixture
from tests.agents.protocol.locks.support import FakeClock
from tests.agents.runtime.test_runner import FakeGateway, agent


@pytest.fixture
def settings(tmp_path):
    from agents.protocol.settings import AgentSettings  # noqa: PLC0415

    return AgentSettings(state_dir=tmp_path / "state", lock_wait_s=0)


@pytest.fixture
def locks(settings):
    # A clock that moves only when a test says so (or the backend sleeps on it): a lease lapses
    # by `clock.advance`, never by waiting.
    clock = FakeClock(start=time.time())
    return FileLockBackend(settings.state_dir / "locks", clock=clock, sleep=clock.sleep)


def refusals(settings) -> list[str]:
    return [
        r["why"]
        for r in AuditLog(settings.audit_log).records()
        if r["event"] == "decision" and r.get("decision") == "refused"
    ]


def test_a_garbage_lock_state_refuses_the_stack_before_the_gateway(settings, locks):
    folder = settings.state_dir / "locks" / "dev"
    folder.mkdir(parents=True)
    (folder / "state.json").write_text("garbage")
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "refused" and gw.calls == [], out
    assert "damaged state" in out.detail and "repair --stack dev" in out.detail
    assert "\n" not in out.detail
    assert refusals(settings) == [out.detail]


def test_a_truncated_breaker_file_refuses_the_stack(settings, locks):
    path = settings.state_dir / "breakers" / "dev.up.json"
    path.parent.mkdir(parents=True)
    path.write_text('{"state": "clo')
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "refused" and gw.calls == [], out
    assert f"breaker {path}" in out.detail


def test_a_damaged_approval_refuses_its_stack_only(settings, locks):
    gw = FakeGateway()
    release = agent("release-engineer", settings, locks, gw, cost=1.0)
    assert release.perform("prod", "up").status == "done"
    (record,) = (settings.state_dir / "approvals").glob("*.json")
    data = json.loads(record.read_text())
    data["status"] = "approved"  # replay the consumed approval: the signature breaks
    record.write_text(json.dumps(data))
    gw.calls.clear()
    out = release.perform("prod", "up")
    assert out.status == "refused" and "altered after it was signed" in out.detail
    assert gw.calls == []
    assert release.perform("dev", "up").status == "done"


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS])
def test_a_state_dir_that_cannot_take_a_write_refuses_before_the_gateway(
    settings, locks, monkeypatch, code
):
    real_open = os.open

    def failing_open(path, flags, *args, **kwargs):
        # Only the probe fails, so the refusal itself can still be recorded.
        if os.path.basename(str(path)).startswith(".probe-"):
            raise OSError(code, os.strerror(code))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", failing_open)
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "refused" and gw.calls == [], out
    assert "cannot take a write" in out.detail and os.strerror(code) in out.detail
    assert refusals(settings) == [out.detail]


def test_a_full_disk_refuses_even_when_nothing_can_be_recorded(settings, locks, monkeypatch):
    settings.state_dir.mkdir(parents=True)

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "open", full)
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "refused" and gw.calls == [] and "No space left" in out.detail


def test_status_reports_damage_run_refuses_and_repair_fixes_it(env, capsys, tmp_path):  # noqa: F811
    state = tmp_path / "state" / "locks" / "dev" / "state.json"
    state.parent.mkdir(parents=True)
    state.write_text('{"version": 1, "stack": "dev", "last_token": 5, "lease": {"own')
    code, status = run_json(capsys, "status")
    assert code == 1, status
    (damage,) = status["damaged"]
    assert (damage["stack"], damage["kind"], damage["path"]) == ("dev", "lock-state", str(state))

    code, (out,) = run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert (code, out["status"]) == (1, "refused") and "repair --stack dev" in out["detail"]
    assert not [c for c in env.operations() if c[1] == "up"]

    assert main(["repair", "--stack", "dev"]) == 0
    printed = capsys.readouterr().out
    kept = next(state.parent.glob("state.json.damaged-*"))
    assert f"repaired {state}" in printed and str(kept) in printed
    assert kept.read_text().endswith('"lease": {"own')
    code, status = run_json(capsys, "status")
    assert code == 0 and status["damaged"] == [], status
    (repaired,) = AuditLog(tmp_path / "state" / "audit.jsonl").query({"event": "state.repaired"})
    assert repaired["stack"] == "dev" and repaired["files"][0]["kept"] == str(kept)

    code, (out,) = run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert (code, out["status"]) == (0, "done"), out


def test_repair_of_a_sound_stack_says_so(env, capsys):  # noqa: F811
    assert main(["repair", "--stack", "dev"]) == 0
    assert "nothing to repair" in capsys.readouterr().out


@pytest.mark.slow
def test_a_second_human_decision_exits_2_with_one_line(env, capsys):  # noqa: F811
    _, (first,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    assert first["status"] == "pending-approval", first
    assert main(["approve", first["approval"], "--by", "alice"]) == 0
    capsys.readouterr()
    assert main(["reject", first["approval"], "--by", "bob"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already approved (by human:alice)" in err


@pytest.mark.slow
def test_a_world_readable_key_refuses_approvals_and_status_shows_it(env, capsys, tmp_path):  # noqa: F811
    _, (first,) = run_json(capsys, "run", "release-engineer", "--stack", "prod", "--once")
    key = tmp_path / "state" / "approval.key"
    key.chmod(0o644)
    assert main(["approve", first["approval"], "--by", "alice"]) == 2
    assert "open to group or others" in capsys.readouterr().err
    code, status = run_json(capsys, "status")
    assert code == 1 and [d["kind"] for d in status["damaged"]] == ["approval-key"], status


def test_a_failed_cost_estimate_is_unknown_and_recorded(settings):
    from agents.cli.commands import _cost_delta  # noqa: PLC0415

    class NoExport:
        def export(self, stack):
            raise RuntimeError(f"cannot export {stack}\nsecond line")

    assert _cost_delta(settings, NoExport())("dev", None) is None
    (line,) = AuditLog(settings.audit_log).query({"event": "cost.unknown"})
    assert line["stack"] == "dev" and line["error"] == "cannot export dev"


# --- a DynamoDB lock table that cannot be reached ---------------------------------------------


@pytest.fixture
def unreachable_table(env, monkeypatch):  # noqa: F811 - the fixture imported above
    """The DynamoDB backend pointed at a closed port on this machine (nothing listens on 1)."""
    monkeypatch.setenv("AGENTS_LOCK_BACKEND", "dynamodb")
    monkeypatch.setenv("AGENTS_DYNAMODB_ENDPOINT_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("AGENTS_DYNAMODB_REGION", "eu-west-3")
    monkeypatch.setenv("AGENTS_APPROVAL_KEY_SECRET", "baseline-agents/approval-key")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", "http://127.0.0.1:1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    return env


def test_an_unreachable_lock_table_refuses_the_run_naming_table_and_region(
    unreachable_table, capsys
):
    code, outcomes = run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert code != 0
    (out,) = outcomes
    assert out["status"] == "refused", out
    assert "'baseline-agent-locks' in eu-west-3 cannot be reached" in out["detail"], out
    assert "repair" not in out["detail"]  # nothing to repair: the table is out of reach
    assert [c for c in unreachable_table.operations() if c[1] == "up"] == []


def test_init_lock_table_without_a_way_to_dynamodb_is_one_line(unreachable_table, capsys):
    code = main(["init-lock-table"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "'baseline-agent-locks' in eu-west-3 cannot be reached" in err


# --- a lock file held by a stopped process ----------------------------------------------------


def test_a_lock_file_held_by_a_stopped_process_refuses_instead_of_hanging(
    settings, locks, monkeypatch
):
    import fcntl  # noqa: PLC0415

    from agents.protocol.locks import file as file_backend  # noqa: PLC0415

    monkeypatch.setattr(file_backend, "FLOCK_TIMEOUT_S", 0.2)
    folder = settings.state_dir / "locks" / "dev"
    folder.mkdir(parents=True)
    holder = os.open(folder / "lock", os.O_RDWR | os.O_CREAT)
    os.set_inheritable(holder, False)
    # Another open file description holds the flock, as a SIGSTOPped agent would.
    other = os.open(folder / "lock", os.O_RDWR)
    fcntl.flock(other, fcntl.LOCK_EX)
    try:
        gw = FakeGateway()
        out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
        assert out.status in ("refused", "failed") and gw.calls == [], out
        assert "held by another process" in out.detail
    finally:
        os.close(other)
        os.close(holder)


@pytest.mark.parametrize("name", ["approvals", "breakers"])
def test_a_state_folder_replaced_by_a_file_is_damage_that_repair_fixes(settings, locks, name):
    settings.state_dir.mkdir(parents=True)
    (settings.state_dir / name).write_text("not a folder")
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "refused" and gw.calls == [], out
    assert f"{name}: not a folder" in out.detail
    from agents.protocol.state_files import repair, stack_damage  # noqa: PLC0415

    moved = repair(settings, locks, "dev", AuditLog(settings.audit_log))
    assert [a.name for a, _ in moved] == [name] and moved[0][1].read_text() == "not a folder"
    assert stack_damage(settings, locks, "dev") == []


def test_audit_lines_without_a_string_timestamp_are_not_records(tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl")
    log.append("real", stack="dev")
    with (tmp_path / "audit.jsonl").open("a") as fh:
        fh.write('{"ts": 5, "event": "x"}\n{"ts": "2026-01-01T00:00:00", "event": 7}\n')
    assert [r["event"] for r in log.records()] == ["real"]
    assert [r["event"] for r in log.query(since="2026-01-01")] == ["real"]


def test_a_closed_stdout_is_not_a_traceback(tmp_path):
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    child_env = {**os.environ, "AGENTS_STATE_DIR": str(tmp_path / "state")}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; os.close(1); sys.stdout = None; "
            "from agents.cli.main import main; sys.exit(main(['status']))",
        ],
        env=child_env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 141
    assert b"Traceback" not in done.stderr


# --- taking over a stack whose last change never finished --------------------------------------


def _unfinished_change(locks, pid: int) -> None:
    """A holder that started `up` and vanished without finishing or releasing (as a SIGKILLed
    agent does): its lease lapses, its `started` record stays."""
    import socket  # noqa: PLC0415
    import time  # noqa: PLC0415

    lease = locks.acquire(
        "dev",
        owner="gone",
        persona="release-engineer",
        operation="up",
        priority=100,
        ttl_s=0.2,
        wait_s=0,
    )
    locks.fenced_write(
        lease,
        "operation",
        {
            "persona": "release-engineer",
            "operation": "up",
            "status": "started",
            "token": lease.token,
            "owner": "gone",
            "host": socket.gethostname(),
            "pid": pid,
            "at": time.time(),
        },
    )
    locks.clock.advance(0.3)


def test_a_takeover_waits_while_the_last_holder_is_alive_on_this_host(settings, locks):
    import subprocess  # noqa: PLC0415

    holder = subprocess.Popen(["sleep", "30"])
    try:
        _unfinished_change(locks, holder.pid)
        gw = FakeGateway()
        out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
        assert out.status == "refused" and gw.calls == [], out
        assert f"pid {holder.pid} on this host) is still alive" in out.detail
    finally:
        holder.kill()
        holder.wait()
    (took,) = [r for r in AuditLog(settings.audit_log).records() if r["event"] == "lease.takeover"]
    assert took["previous_owner"] == "gone" and took["previous_alive"] is True


def test_a_takeover_from_a_dead_holder_proceeds_and_is_recorded(settings, locks):
    import subprocess  # noqa: PLC0415

    dead = subprocess.Popen(["true"])
    dead.wait()
    _unfinished_change(locks, dead.pid)
    gw = FakeGateway()
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "done", out
    (took,) = [r for r in AuditLog(settings.audit_log).records() if r["event"] == "lease.takeover"]
    assert took["previous_alive"] is False

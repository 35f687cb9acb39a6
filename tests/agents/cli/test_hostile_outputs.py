"""Red-team attacks on the command line: outputs that would replace the agents' state or the
command's own input; log text that would drive the reader's terminal; a read-only search that
would create a store."""

from __future__ import annotations

import copy
import json
import os

import pytest

from agents.cli.main import main
from agents.protocol.audit import AuditLog
from agents.protocol.findings import Finding, FindingStore

ESC_LINE = "2026-11-29T10:00:00Z ERROR \x1b]0;pwned\x07 \x1b]52;c;Zm9v\x07 \x9b2J \u202eevil x"


@pytest.fixture
def state(tmp_path, monkeypatch):
    folder = tmp_path / "state"
    monkeypatch.setenv("AGENTS_STATE_DIR", str(folder))
    AuditLog(folder / "audit.jsonl").append("request", stack="dev")
    (folder / "mcp-tokens.json").write_text('{"tokens": []}')
    return folder


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def log(tmp_path):
    path = tmp_path / "app.log"
    path.write_text("".join(f"2026-11-29T10:00:{i:02d}Z INFO job {i} done\n" for i in range(5)))
    return path


@pytest.mark.parametrize("name", ["audit.jsonl", "mcp-tokens.json", "approval.key", "new.txt"])
def test_assignments_never_replace_the_agents_state(state, log, capsys, name):
    target = state / name
    before = target.read_bytes() if target.exists() else None
    code, _, err = run(capsys, "logs", "analyze", str(log), "--assignments", str(target))
    assert code == 2 and err.count("\n") == 1 and "state" in err, err
    assert (target.read_bytes() if target.exists() else None) == before


def test_assignments_through_a_symlink_or_hard_link_to_the_audit_log_are_refused(
    state, log, tmp_path, capsys
):
    before = (state / "audit.jsonl").read_bytes()
    soft, hard = tmp_path / "soft.txt", tmp_path / "hard.txt"
    soft.symlink_to(state / "audit.jsonl")
    os.link(state / "audit.jsonl", hard)
    for target in (soft, hard):
        code, _, err = run(capsys, "logs", "analyze", str(log), "--assignments", str(target))
        assert code == 2 and "Traceback" not in err, err
    assert (state / "audit.jsonl").read_bytes() == before


def test_assignments_never_replace_the_log_being_read(state, log, tmp_path, capsys):
    before = log.read_bytes()
    link = tmp_path / "link.log"
    link.symlink_to(log)
    for target in (log, link):
        code, _, err = run(capsys, "logs", "analyze", str(log), "--assignments", str(target))
        assert code == 2 and "input" in err, err
    assert log.read_bytes() == before


def test_plan_out_into_the_state_folder_is_refused(state, capsys):
    code, _, err = run(capsys, "plan", "--stack", "dev", "--out", str(state / "audit.jsonl"))
    assert code == 2 and "state" in err, err


RAW = ("\x1b", "\x07", "\x9b", "\u202e")


def test_logs_analyze_prints_no_raw_control_character(state, tmp_path, capsys):
    path = tmp_path / "evil.log"
    path.write_text(ESC_LINE + "\n")
    for extra in ((), ("--json",)):
        code, out, err = run(capsys, "logs", "analyze", str(path), *extra)
        assert code == 0, err
        assert not any(c in out for c in RAW), repr(out)
    assert "\\x1b" in run(capsys, "logs", "analyze", str(path))[1]


def test_findings_and_audit_print_no_raw_control_character(state, capsys):
    with FindingStore(state / "findings.sqlite") as store:
        store.observe("sre", "dev", ["log.errors"], [
            Finding("log.errors", "high", "dev", "grp\x1b]0;t\x07", "seen: " + ESC_LINE),
        ])  # fmt: skip
    AuditLog(state / "audit.jsonl").append("decision", stack="dev", why="x\x1b[2J\u202e")
    for argv in (["findings"], ["findings", "--json"], ["audit"], ["audit", "--json"], ["status"]):
        code, out, err = run(capsys, *argv)
        assert code in (0, 1), err
        assert not any(c in out for c in RAW), (argv, out)
    _, out, _ = run(capsys, "findings", "--json")
    assert json.loads(out)[0]["resource"] == "grp\x1b]0;t\x07"  # JSON escapes, data intact


def test_memory_search_never_creates_or_changes_the_store(state, capsys):
    db = state / "memory.sqlite"
    code, _, err = run(capsys, "memory", "search", "nat")
    assert code == 2 and err.count("\n") == 1 and not db.exists(), err
    db.touch()
    code, out, err = run(capsys, "memory", "search", "nat")
    assert code == 0 and db.stat().st_size == 0, (out, err)


# --- found by a second review ---------------------------------------------------------------


def test_a_price_file_name_planted_as_a_symlink_to_the_audit_log_is_refused(state, tmp_path):
    from toolchain.cost.refresh import write_price_file  # noqa: PLC0415
    from toolchain.inputs import OutputError  # noqa: PLC0415

    before = (state / "audit.jsonl").read_bytes()
    folder = tmp_path / "prices"
    folder.mkdir()
    (folder / "aws-prices-2026-12-05.json").symlink_to(state / "audit.jsonl")
    with pytest.raises(OutputError):
        write_price_file({"date": "2026-12-05"}, folder, protect=[state])
    assert (state / "audit.jsonl").read_bytes() == before


def test_a_log_read_from_stdin_is_not_replaced_by_its_own_assignments(state, log):
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    before = log.read_bytes()
    with log.open("rb") as stdin:
        done = subprocess.run(
            [sys.executable, "-m", "agents", "logs", "analyze", "-", "--assignments", str(log)],
            stdin=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert log.read_bytes() == before


def test_cost_tables_and_error_lines_print_no_raw_control_character(state, tmp_path, capsys, dev):
    data = copy.deepcopy(dev.data)  # the session's plan, which other tests read unchanged
    for r in data["deployment"]["resources"]:
        if r["type"] == "aws:ec2/natGateway:NatGateway":
            r["urn"] += "\x1b]0;pwned\x07\u202e"
    evil = tmp_path / "evil.json"
    evil.write_text(json.dumps(data))
    code, out, _ = run(capsys, "cost", "--export", str(evil))
    assert code == 0 and "pwned" in out
    assert not any(c in out for c in "\x1b\x07\u202e"), "raw control characters in the table"
    code, _, err = run(capsys, "logs", "analyze", str(tmp_path / "no\x1b]0;x\x07such.log"))
    assert code == 2 and "\x1b" not in err and "\\x1b" in err, err


# --- found by a third review --------------------------------------------------------------------


@pytest.mark.usefixtures("state")
def test_file_names_given_on_the_command_line_print_no_raw_control_character(
    log, tmp_path, monkeypatch, capsys, dev
):
    """A file or folder name is the user's text, not ours: the progress lines, the "written to"
    lines, the cost hint and the policy gate's title show its control characters escaped."""
    import shutil  # noqa: PLC0415
    from types import SimpleNamespace  # noqa: PLC0415

    import toolchain.plan  # noqa: PLC0415
    from toolchain import gate  # noqa: PLC0415

    # The plan and the packs are tested elsewhere: here only what is printed about the files.
    monkeypatch.setattr(
        toolchain.plan, "run_plan", lambda stack, values: SimpleNamespace(export=dev, counts=list)
    )
    monkeypatch.setattr(
        gate,
        "run_gate",
        lambda export, config_dir, packs=gate.PACKS, *, notice=None: gate.GateResult(
            resources=1, config_dir=str(config_dir), notice=notice
        ),
    )
    evil = tmp_path / "x\x1b]0;owned\x07\u202e"
    evil.mkdir()
    config = evil / "Pulumi\x1b]0;c\x07.yaml"
    shutil.copy(toolchain.plan.stack_config_file("dev"), config)
    policies = evil / "policy"
    shutil.copytree(gate.CONFIG_DIR / "dev", policies)
    export = str(evil / "dev\x1b[2J.json")
    runs = [
        ["plan", "--stack", "dev", "--config", str(config), "--policy-config", str(policies),
         "--out", export],
        ["policy", "--export", export, "--policy-config", str(policies)],
        ["summarize", "--export", export, "--policy-config", str(policies)],
        ["logs", "analyze", str(log), "--assignments", str(evil / "ids\x07.txt")],
    ]  # fmt: skip
    for argv in runs:
        code, out, err = run(capsys, *argv)
        assert code == 0, (argv, err)
        assert not any(c in out + err for c in RAW), (argv, out, err)
        assert "\\x1b]0;owned\\x07" in out + err, (argv, out, err)  # shown, escaped
    assert (evil / "ids\x07.txt").is_file()

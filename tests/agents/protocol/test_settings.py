"""Where the state folder (and so the approval key) may live: never an empty path, never inside a
git working tree unless that is asked for explicitly."""

import pytest
from pydantic import ValidationError

from agents import InputError
from agents.protocol.settings import (
    ROOT,
    AgentSettings,
    default_state_dir,
    git_work_tree,
    load_settings,
)


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_state_dir_is_refused(monkeypatch, value):
    monkeypatch.setenv("AGENTS_STATE_DIR", value)
    with pytest.raises(ValidationError, match="AGENTS_STATE_DIR is empty"):
        AgentSettings()


def test_a_state_dir_inside_a_git_tree_is_refused(tmp_path):
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    with pytest.raises(ValidationError, match=r"inside the git working tree .*ALLOW_STATE_IN_TREE"):
        AgentSettings(state_dir=tmp_path / "repo" / "deep" / "state")


def test_a_worktree_marker_file_counts_as_a_git_tree(tmp_path):
    (tmp_path / "wt").mkdir()
    (tmp_path / "wt" / ".git").write_text("gitdir: /elsewhere\n")
    assert git_work_tree(tmp_path / "wt" / "state") == tmp_path / "wt"


def test_a_state_dir_in_the_tree_is_allowed_when_asked_for(tmp_path):
    (tmp_path / ".git").mkdir()
    settings = AgentSettings(state_dir=tmp_path / "state", allow_state_in_tree=True)
    assert settings.state_dir == tmp_path / "state"


def test_a_state_dir_outside_any_tree_is_accepted(tmp_path):
    assert AgentSettings(state_dir=tmp_path / "state").state_dir == tmp_path / "state"


def test_the_default_is_outside_the_source_tree(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("AGENTS_STATE_DIR", raising=False)
    assert default_state_dir() == tmp_path / "xdg" / "baseline-agents"
    assert ROOT not in AgentSettings().state_dir.parents


@pytest.mark.parametrize(
    "case",
    [
        ("AGENTS_MAX_COST_DELTA_USD", "inf", "finite number"),
        ("AGENTS_MAX_COST_DELTA_USD", "1e400", "finite number"),
        ("AGENTS_MAX_COST_DELTA_USD", "nan", "finite number"),
        ("AGENTS_APPROVAL_TTL_S", "1e12", "less than or equal to 604800"),
        ("AGENTS_LEASE_TTL_S", "inf", "finite number"),
        ("AGENTS_PULUMI_COMMAND", "", "AGENTS_PULUMI_COMMAND is empty"),
        ("AGENTS_LOCK_BACKEND", "bogus", "'file' or 'dynamodb'"),
    ],
)
def test_settings_that_would_fail_open_are_refused_with_one_line(
    monkeypatch, tmp_path, capsys, case
):
    # An infinite cost ceiling would let the reviewer approve any change to prod.
    from agents.cli.main import main  # noqa: PLC0415

    name, value, says = case
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv(name, value)
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and name in err, err


def test_a_state_dir_in_a_symlink_loop_is_refused(monkeypatch, tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    with pytest.raises(ValidationError, match="cannot be resolved"):
        AgentSettings(state_dir=tmp_path / "a")


def test_a_state_dir_name_too_long_for_the_file_system_is_one_line_exit_2(
    monkeypatch, tmp_path, capsys
):
    from agents.cli.main import main  # noqa: PLC0415

    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / ("x" * 300)))
    assert main(["status"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "AGENTS_STATE_DIR" in err and "too long" in err, err


@pytest.mark.parametrize("writer", ["", "a:b", "x*", "?", "unchained", "bell\x07"])
def test_an_audit_writer_that_cannot_name_a_stream_is_refused(monkeypatch, tmp_path, writer):
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv("AGENTS_AUDIT_WRITER", writer)
    with pytest.raises(InputError, match="AGENTS_AUDIT_WRITER"):
        load_settings()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AGENTS_NOTIFY_TOPICS", "prod"),
        ("AGENTS_NOTIFY_PAGING_TOPICS", ""),
        ("AGENTS_MCP_ALLOWED_HOSTS", "mcp.example"),
        ("AGENTS_NOTIFY_TOPICS", '{"prod": "arn:aws:sns:us-east-1:1:t"'),
        pytest.param(  # past the decoder's depth: 60,000 levels, within a variable's 128 KiB
            "AGENTS_NOTIFY_TOPICS",
            '{"prod": "arn:aws:sns:us-east-1:1:t", "x": ' + "[" * 60_000 + "]" * 60_000 + "}",
            id="nested",
        ),
    ],
)
def test_a_json_variable_that_is_not_json_is_one_line_naming_it(
    monkeypatch, tmp_path, capsys, name, value
):
    """pydantic-settings parses a list or map variable as JSON before any validation, and raised
    its own SettingsError (a traceback out of every command, `plan` too)."""
    from agents.cli.main import main  # noqa: PLC0415

    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path))
    monkeypatch.setenv(name, value)
    with pytest.raises(InputError, match=f"{name}: not a JSON value") as caught:
        load_settings()
    assert "arn:aws" not in str(caught.value)  # the value itself is not echoed
    assert main(["status"]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(f"error: agent settings: {name}: not a JSON value")

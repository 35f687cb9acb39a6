"""The console script `baseline-agents` (works without activating the venv), and a Python
without the project's requirements answered in one line, not a traceback (issue 21)."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

import agents.cli.main as cli

REPO = Path(__file__).resolve().parents[3]


def test_the_console_script_is_main_which_returns_the_exit_code():
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts == {cli.SCRIPT: "agents.cli.main:main"}
    assert cli.main(["rules", "--no-such-flag"]) == 2


def test_usage_names_the_script_it_was_run_as(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", [f"/x/.venv/bin/{cli.SCRIPT}", "nope"])
    assert cli.main() == 2
    assert capsys.readouterr().err.startswith(f"error: {cli.SCRIPT}: argument command")


def test_a_missing_requirement_is_one_line_naming_the_fix(monkeypatch, capsys):
    def rules(args):
        raise ModuleNotFoundError("No module named 'tabulate'", name="tabulate")

    monkeypatch.setattr(cli, "cmd_rules", rules)
    assert cli.main(["rules"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "'tabulate'" in err and f".venv/bin/{cli.SCRIPT}" in err


def test_a_missing_module_of_our_own_is_a_bug_and_raises(monkeypatch):
    def rules(args):
        raise ModuleNotFoundError("No module named 'agents.nope'", name="agents.nope")

    monkeypatch.setattr(cli, "cmd_rules", rules)
    with pytest.raises(ModuleNotFoundError):
        cli.main(["rules"])

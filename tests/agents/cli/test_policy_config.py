"""A stack without its own policy config (a pull request's new `Pulumi.qa.yaml`) is gated with
the default one, production's, and says so in one line; anything else about the policy config
still refuses. `plan` writes its export into the repository's build/, from any folder
(issue 21)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

import toolchain.plan
from agents.cli.main import main
from toolchain import gate
from toolchain.gate import (
    CONFIG_DIR,
    DEFAULT_CONFIG_STACK,
    GateResult,
    PolicyConfigError,
    load_policy_config,
    policy_config_dir,
)

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def configs(tmp_path, monkeypatch):
    """A copy of policies/config to break things in."""
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    monkeypatch.setattr(gate, "CONFIG_DIR", folder)
    return folder


@pytest.fixture
def gates(monkeypatch):
    """run_gate replaced: the calls it gets (the packs are tested elsewhere)."""
    calls = []

    def fake(export, config_dir, packs=gate.PACKS, *, notice=None):
        calls.append((Path(config_dir), notice))
        return GateResult(resources=1, config_dir=str(config_dir), notice=notice)

    monkeypatch.setattr(gate, "run_gate", fake)
    return calls


def test_a_stack_without_a_folder_gets_the_default_with_a_notice(configs):
    path, notice = policy_config_dir("qa")
    assert path == configs / DEFAULT_CONFIG_STACK == configs / "prod"
    assert (
        notice and "no policy config for stack 'qa'" in notice and str(configs / "prod") in notice
    )
    assert policy_config_dir("dev") == (configs / "dev", None)


def test_a_folder_that_exists_is_used_even_broken_and_then_refuses(configs):
    (configs / "qa").mkdir()
    (configs / "qa" / "security.json").write_text("{ not json")
    assert policy_config_dir("qa") == (configs / "qa", None)
    with pytest.raises(PolicyConfigError):
        load_policy_config(configs / "qa", "security")
    with pytest.raises(PolicyConfigError):
        load_policy_config(configs / "qa", "cost")  # missing: refused, never defaulted
    (configs / "stage").write_text("")  # a file where the folder should be
    assert policy_config_dir("stage") == (configs / "stage", None)


def test_a_name_that_is_not_a_stack_name_is_refused(configs):
    with pytest.raises(PolicyConfigError, match="not a stack name"):
        policy_config_dir("../prod")


def test_policy_for_a_new_stack_notes_the_default_once(configs, gates, dev_plan_export, capsys):
    assert main(["policy", "--export", str(dev_plan_export), "--stack", "qa"]) == 0
    err = capsys.readouterr().err
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert len(notes) == 1 and "stack 'qa'" in notes[0], err
    assert gates == [(configs / "prod", notes[0][len("note: ") :])]


def test_a_broken_policy_config_folder_still_exits_2(configs, dev_plan_export, capsys):
    (configs / "qa").mkdir()
    (configs / "qa" / "security.json").write_text("{}")  # cost.json missing
    assert main(["policy", "--export", str(dev_plan_export), "--stack", "qa"]) == 2
    err = capsys.readouterr().err
    assert "cost.json" in err and "note:" not in err


@pytest.mark.usefixtures("gates")
def test_plan_writes_build_in_the_repository_from_any_folder(
    tmp_path, monkeypatch, configs, dev, capsys
):
    repo = tmp_path / "repo"
    repo.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr(toolchain.plan, "ROOT", repo)
    planned = SimpleNamespace(export=dev, counts=lambda: [])
    monkeypatch.setattr(toolchain.plan, "run_plan", lambda stack, values: planned)
    config = REPO / "Pulumi.dev.yaml"
    assert main(["plan", "--stack", "qa", "--config", str(config), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["export"] == str(repo / "build" / "qa.plan.json")
    assert (repo / "build" / "qa.plan.json").is_file() and not (elsewhere / "build").exists()
    assert summary["policyConfig"]["dir"] == str(configs / "prod")
    assert "stack 'qa'" in summary["policyConfig"]["notice"]

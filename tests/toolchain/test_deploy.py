"""`make preview|up STACK=...` (`toolchain.deploy`): a person's own run of the real CLI always
carries both packs with the stack's policy config, and tells the program they are attached."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from toolchain import deploy
from toolchain.gate import CONFIG_DIR, POLICIES

ROOT = Path(__file__).resolve().parents[2]
FAKE = ROOT / "tests" / "agents" / "fake_pulumi" / "bin" / "pulumi"


@pytest.fixture
def recorded(tmp_path, monkeypatch):
    log = tmp_path / "argv.jsonl"
    monkeypatch.setenv("FAKE_PULUMI_LOG", str(log))
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}:/usr/bin:/bin")
    monkeypatch.delenv("BASELINE_POLICY_PACKS", raising=False)
    return lambda: [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.parametrize("operation", ["preview", "up"])
@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_a_run_carries_both_packs_with_the_stacks_config(recorded, operation, stack):
    # The double refuses anything but the Automation API's own argv (exit 2), after recording
    # what it was given: the exit status is the CLI's.
    assert deploy.main([operation, "--stack", stack, "--pulumi", str(FAKE)]) == 2
    (record,) = recorded()
    assert record["argv"] == [
        operation,
        "--stack",
        stack,
        "--policy-pack",
        str(POLICIES / "security"),
        "--policy-pack-config",
        str(CONFIG_DIR / stack / "security.json"),
        "--policy-pack",
        str(POLICIES / "cost"),
        "--policy-pack-config",
        str(CONFIG_DIR / stack / "cost.json"),
    ]
    assert record["policyPacksEnv"] == "security,cost" and record["cwd"] == str(ROOT)


def test_extra_arguments_follow_the_packs(recorded):
    deploy.main(["up", "--stack", "dev", "--pulumi", str(FAKE), "--yes", "--diff"])
    (record,) = recorded()
    assert record["argv"][-2:] == ["--yes", "--diff"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["up", "--stack", "qa", "--pulumi", str(FAKE)], "unknown stack 'qa'"),
        (["up", "--stack", "../prod", "--pulumi", str(FAKE)], "unknown stack"),
        (["up", "--stack", "dev", "--pulumi", ""], "no `pulumi` on PATH"),
    ],
)
def test_bad_input_is_one_line_and_exit_2_and_nothing_runs(recorded, capsys, argv, message):
    assert deploy.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    with pytest.raises(FileNotFoundError):
        recorded()


def test_a_stack_without_its_own_config_gets_the_default_with_a_notice(monkeypatch, capsys):
    monkeypatch.setattr(
        deploy, "policy_config_dir", lambda stack: (CONFIG_DIR / "prod", "no policy config")
    )
    argv = deploy.command("preview", "dev", "pulumi")
    assert str(CONFIG_DIR / "prod" / "security.json") in argv
    assert "notice: no policy config" in capsys.readouterr().err


@pytest.mark.parametrize(
    "extra",
    [
        ["-s", "prod"],
        ["-sprod"],
        ["-s=prod"],
        ["-ys", "prod"],
        ["--policy-pack-config=/tmp/lax.json"],
        ["--policy-pack-config", "/tmp/lax.json"],
        ["--policy-pack", "/tmp/empty-pack"],
        ["-C", "/tmp/other-program"],
        ["--cwd=/tmp/other-program"],
        ["--config-file", "/tmp/Pulumi.lax.yaml"],
    ],
)
def test_an_argument_that_would_change_what_the_packs_judge_is_refused(recorded, capsys, extra):
    """Passed after the command's own, the CLI's last `--stack` wins: `-s prod` had run prod under
    dev's policy config. Nothing runs."""
    assert deploy.main(["up", "--stack", "dev", "--pulumi", str(FAKE), *extra]) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert "would set the stack, the policy packs, their config" in line
    with pytest.raises(FileNotFoundError):
        recorded()


def test_other_flags_and_values_pass_through(recorded):
    deploy.main(["up", "--stack", "dev", "--pulumi", str(FAKE), "-y", "--message=fix", "-t", "x"])
    (record,) = recorded()
    assert record["argv"][-4:] == ["-y", "--message=fix", "-t", "x"]

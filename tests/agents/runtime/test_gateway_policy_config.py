"""The gateway's policy config: a stack without its own `policies/config/<stack>/` (a pull
request's new `Pulumi.qa.yaml`) previews and applies with the default config, production's, and
its run says so in the audit log (`gateway.policy-config`, with the notice); a stack with its own
folder runs with it and no such line; a name the gateway takes but that is not a stack name of
the policy configs is refused before anything runs (`MissingPolicyConfig`), as before.

The policy configs are a copy in the test's folder (`configs`), so a stack can be given a folder
of its own without touching the repository's."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from agents.runtime.gateway import AutomationGateway, MissingPolicyConfig
from tests.agents.runtime.test_gateway import FakeCli, make_gateway, use_the_double
from toolchain import gate
from toolchain.gate import CONFIG_DIR, POLICIES


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCli:
    use_the_double(monkeypatch, tmp_path / "argv.jsonl")
    double = FakeCli(tmp_path / "argv.jsonl", monkeypatch)
    double.stacks("dev", "prod", "qa", "QA_1", "acme/baseline/qa")
    return double


@pytest.fixture
def gateway(cli: FakeCli, tmp_path: Path) -> AutomationGateway:
    return make_gateway(tmp_path)


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    monkeypatch.setattr(gate, "CONFIG_DIR", folder)
    return folder


def pack_configs(cli: FakeCli, command: str) -> list[str]:
    """The `--policy-pack-config` files of each `command` the CLI was asked to run."""
    out = []
    for argv in cli.operations():
        if command in argv:
            out += [argv[i + 1] for i, a in enumerate(argv) if a == "--policy-pack-config"]
    return out


def policy_lines(gateway: AutomationGateway) -> list[dict]:
    return gateway.audit.query({"event": "gateway.policy-config"})


@pytest.mark.parametrize("name", ["qa", "acme/baseline/qa"])
def test_a_stack_without_a_folder_runs_with_the_default_and_the_audit_says_so(
    gateway, cli, configs, name
):
    gateway.preview(name)
    gateway.up(name)
    prod = [str(configs / "prod" / "security.json"), str(configs / "prod" / "cost.json")]
    assert pack_configs(cli, "preview") == prod and pack_configs(cli, "up") == prod
    lines = policy_lines(gateway)
    assert [line["operation"] for line in lines] == ["preview", "up"]
    starts = gateway.audit.query({"event": "gateway.start"})
    assert [line["run"] for line in lines] == [s["run"] for s in starts]  # in each run's record
    for line in lines:
        assert line["stack"] == name and line["config"] == str(configs / "prod")
        assert line["notice"].startswith("no policy config for stack 'qa'")
        assert str(configs / "prod") in line["notice"]


def test_a_stack_with_its_own_folder_is_unchanged(gateway, cli, configs):
    shutil.copytree(configs / "dev", configs / "qa")
    gateway.preview("qa")
    gateway.preview("dev")
    assert pack_configs(cli, "preview") == [
        str(configs / stack / f"{pack}.json") for stack in ("qa", "dev") for pack in gate.PACKS
    ]
    assert [a for a in cli.operations()[0] if a.startswith(str(POLICIES))] == [
        str(POLICIES / pack) for pack in gate.PACKS
    ]
    assert policy_lines(gateway) == []


def test_a_name_that_is_not_a_stack_name_of_the_policy_configs_is_refused(gateway, cli, configs):
    with pytest.raises(MissingPolicyConfig, match="'QA_1' is not a stack name") as caught:
        gateway.preview("QA_1")
    assert caught.value.stack == "QA_1"
    assert cli.operations() == [] and policy_lines(gateway) == []
    (done,) = gateway.audit.query({"event": "gateway.done"})
    assert done["outcome"] == "missing-policy-config"

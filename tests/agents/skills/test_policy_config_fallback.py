"""The skills' policy config: a stack without its own `policies/config/<stack>/` (a pull
request's new `Pulumi.qa.yaml`) is gated with the default one, production's, and the answer says
so (`note:` in the text, `notes` in the data) without naming a server path; a stack with its own
folder is gated with it, with no note; a name that is not a stack name is still refused.

The policy configs are a copy in the test's folder (`configs`), so a stack can be given a folder
of its own without touching the repository's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from agents.protocol.settings import AgentSettings
from agents.skills import registry, summarize
from agents.skills.registry import SkillContext, SkillInputError, skill
from agents.skills.summarize import (
    SummaryError,
    check_summary,
    policy_violations,
    render,
    summarize_infra,
)
from toolchain import gate
from toolchain.export import StackExport, parse_export
from toolchain.gate import CONFIG_DIR

REPO = Path(__file__).resolve().parents[3]
# The dev plan's one advisory violation: mandatory under the default (production's) rules.
RULE = "rds-deletion-protection"


def relabel(export: StackExport, stack: str) -> StackExport:
    """`export` as the same program's export of another stack (its URNs name `stack`)."""
    text = json.dumps(export.data).replace("urn:pulumi:dev::", f"urn:pulumi:{stack}::")
    return parse_export(json.loads(text), f"{stack} plan")


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    monkeypatch.setattr(gate, "CONFIG_DIR", folder)
    return folder


@pytest.fixture(scope="module")
def qa() -> StackExport:
    # The program planned as stack qa with dev's config: its roles are qa's, as a relabelled
    # dev export's (whose roles still reach dev's state) would not be.
    from tests.conftest import stack_values  # noqa: PLC0415
    from toolchain.plan import run_plan  # noqa: PLC0415

    return run_plan("qa", stack_values("dev")).export


def context(tmp_path: Path, export: StackExport, monkeypatch: pytest.MonkeyPatch) -> SkillContext:
    """A skill context whose stack export (any stack, any source) is `export`."""
    ctx = SkillContext(settings=AgentSettings(state_dir=tmp_path / "state"))
    monkeypatch.setattr(ctx, "export", lambda stack, source: export)
    return ctx


def verdicts(violations: list[Any]) -> dict[str, str]:
    return {v.policyName: v.enforcementLevel for v in violations}


# -- summarize.policy_violations and summarize_infra --------------------------------------------


def test_summary_of_a_stack_without_a_folder_uses_the_default_and_notes_it(configs, qa):
    found = policy_violations(qa)
    assert isinstance(found, list) and verdicts(found)[RULE] == "mandatory"
    assert found.notice and "no policy config for stack 'qa'" in found.notice
    assert str(configs / "prod") in found.notice
    summary = summarize_infra(qa, violations=found)
    assert summary.notes == (found.notice,)
    assert summary.to_json()["notes"] == [found.notice]
    # The note is in the head, so kept under any budget that the head fits.
    assert f"note: {found.notice}" in render(summary, 5000).splitlines()
    # Production's rules find what dev's do not, stack-level violations among them (no
    # resource: named `<pack>/<rule> on (stack)` in the head): the summary still names them all.
    stack_level = [v for v in found if not v.urn]
    assert stack_level and check_summary(summary, qa, found) == []
    rule = f"{stack_level[0].policyPack}/{stack_level[0].policyName} on  (stack)"
    text = "\n".join(line for line in render(summary).splitlines() if rule not in line)
    assert f"violation {stack_level[0].policyName} on (stack) is not named" in check_summary(
        text, qa, found
    )


@pytest.mark.slow
def test_summary_of_a_stack_with_its_own_folder_is_unchanged(configs, dev, qa):
    found = policy_violations(dev)
    assert found.notice is None and verdicts(found)[RULE] == "advisory"
    summary = summarize_infra(dev, violations=found)
    assert summary.notes == () and summary.to_json()["notes"] == []
    assert "note:" not in render(summary)
    shutil.copytree(configs / "dev", configs / "qa")  # qa's own: dev's rules
    own = policy_violations(qa)
    assert own.notice is None and verdicts(own)[RULE] == "advisory"


def test_summary_refuses_an_export_whose_stack_is_not_a_stack_name(configs, dev, monkeypatch):
    ran: list[Any] = []
    monkeypatch.setattr(gate, "run_gate", lambda *a, **k: ran.append(a))
    with pytest.raises(SummaryError, match="not a stack name"):
        policy_violations(relabel(dev, "QA_1"))
    with pytest.raises(SummaryError, match="names no stack"):
        policy_violations(parse_export({"version": 3, "deployment": {}}, "empty"))
    with pytest.raises(SummaryError, match="not a policy config folder"):
        policy_violations(dev, configs / "nowhere")
    assert ran == []


# -- the registry's policy-gate and summarize-infra ---------------------------------------------


def test_policy_gate_skill_on_a_stack_without_a_folder_notes_the_default(
    configs, qa, tmp_path, monkeypatch
):
    result = skill("policy-gate").call({"stack": "qa"}, context(tmp_path, qa, monkeypatch))
    (note,) = result.data["notes"]
    assert note.startswith("no policy config for stack 'qa': gated with the default")
    assert "policies/config/prod/" in note and "policies/config/qa/" in note
    assert f"note: {note}" in result.text
    assert str(REPO) not in result.text and str(configs) not in result.text  # no server path
    assert {v["policyName"]: v["enforcementLevel"] for v in result.data["violations"]}[
        RULE
    ] == "mandatory"


@pytest.mark.slow
def test_policy_gate_skill_on_a_stack_with_its_own_folder_is_unchanged(
    configs, dev, qa, tmp_path, monkeypatch
):
    shutil.copytree(configs / "dev", configs / "qa")
    for stack, export in (("dev", dev), ("qa", qa)):
        result = skill("policy-gate").call({"stack": stack}, context(tmp_path, export, monkeypatch))
        assert result.data["notes"] == [] and "note:" not in result.text
        assert f"advisory {RULE}" in result.text


def test_summarize_skill_on_a_stack_without_a_folder_notes_the_default(
    configs, qa, tmp_path, monkeypatch
):
    result = skill("summarize-infra").call(
        {"stack": "qa", "budget": 6000}, context(tmp_path, qa, monkeypatch)
    )
    (note,) = result.data["notes"]
    assert "no policy config for stack 'qa'" in note and f"note: {note}" in result.text
    assert str(configs) not in result.text
    levels = {v["policy"]: v["level"] for v in result.data["violations"]}
    assert levels[RULE] == "mandatory"


def test_summarize_skill_on_a_stack_with_its_own_folder_is_unchanged(
    configs, qa, tmp_path, monkeypatch
):
    shutil.copytree(configs / "dev", configs / "qa")
    result = skill("summarize-infra").call(
        {"stack": "qa", "budget": 6000}, context(tmp_path, qa, monkeypatch)
    )
    assert result.data["notes"] == [] and "note:" not in result.text
    levels = {v["policy"]: v["level"] for v in result.data["violations"]}
    assert levels[RULE] == "advisory"


def test_the_registry_still_refuses_what_is_not_a_stack_name(configs, monkeypatch):
    ran: list[Any] = []
    monkeypatch.setattr(summarize, "policy_violations", lambda *a: ran.append(a))
    for name in ("../prod", "QA_1", "qa/../prod"):
        with pytest.raises(SkillInputError, match="not a stack name"):
            registry._policy_config(name)
    with pytest.raises(SkillInputError, match="names no stack"):
        registry._policy_config("")
    assert registry._policy_config("dev") == (configs / "dev", [])
    assert ran == []

"""The GitHub Actions workflows and the reusable gate action: every action pinned by commit SHA,
the least permissions, and no expression expanded inside a script (script injection). actionlint
and zizmor run on them in `make lint` as well; these checks hold without either tool."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict), path
    return data


def steps(doc: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in doc:
        return list(doc["runs"].get("steps", []))
    return [s for job in doc["jobs"].values() for s in job.get("steps", [])]


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.name)
def test_every_action_is_pinned_by_commit(path):
    for step in steps(load(path)):
        uses = step.get("uses")
        if uses is None or uses.startswith("./"):
            continue
        assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to a commit SHA"


@pytest.mark.parametrize("path", WORKFLOWS + ACTIONS, ids=lambda p: p.name)
def test_no_expression_is_expanded_inside_a_script(path):
    """`${{ ... }}` in `run:` is pasted into the shell before it runs: a branch name or a title
    could be code. Values reach scripts through `env:` only."""
    for step in steps(load(path)):
        script = step.get("run", "")
        assert "${{" not in script, f"{path.name}: step {step.get('name') or step} expands {{}}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_least_permissions(path):
    doc = load(path)
    assert doc.get("permissions") == {}, f"{path.name}: the workflow must default to no permissions"
    for name, job in doc["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{path.name}: job {name} must declare its permissions"
        writes = {k for k, v in granted.items() if v == "write"}
        allowed = {"comment": {"pull-requests"}, "image": {"packages"}}.get(name, set())
        assert writes <= allowed, f"{path.name}: job {name} writes {writes - allowed}"


def test_pull_requests_run_the_tests_and_gate_both_stacks():
    doc: dict[Any, Any] = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    on: dict[str, Any] = doc.get("on") or doc[True]  # PyYAML reads the key `on` as True
    assert "pull_request" in on and "pull_request_target" not in on
    assert any(s.get("run") == "make test" for s in doc["jobs"]["test"]["steps"])
    gate = next(s for s in doc["jobs"]["gate"]["steps"] if s.get("id") == "gate")
    assert gate["uses"] == "./.github/actions/plan-gate"
    assert gate["with"]["stacks"].split() == ["dev", "prod"]
    fail = [s for s in doc["jobs"]["gate"]["steps"] if "mandatory" in str(s.get("if", ""))]
    assert fail and "exit 1" in fail[0]["run"]


def test_the_image_is_multi_arch_with_provenance_and_sbom():
    doc = load(ROOT / ".github" / "workflows" / "main.yml")
    image = doc["jobs"]["image"]["steps"]
    build = next(s for s in image if "build-push-action" in s.get("uses", ""))
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["provenance"] == "mode=max" and build["with"]["sbom"] is True


ACTION = ROOT / ".github" / "actions" / "plan-gate"
CALLER = ROOT / ".github" / "workflows" / "plan-gate-action.yml"
USER_REPO = ROOT / "tests" / "github" / "user-repo"


def caches(steps_: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [s["with"] for s in steps_ if "actions/cache@" in s.get("uses", "")]


def test_the_test_job_caches_pip_uv_and_npm_by_their_lock_files():
    doc = load(ROOT / ".github" / "workflows" / "pull-request.yml")
    found = caches(doc["jobs"]["test"]["steps"])
    pip = next(c for c in found if "~/.cache/pip" in c["path"])
    assert "~/.cache/uv" in pip["path"]
    assert "hashFiles('requirements.txt', 'requirements-dev.txt'" in pip["key"]
    npm = next(c for c in found if c["path"] == "~/.npm")
    assert "hashFiles('tools/package-lock.json')" in npm["key"]


def test_the_action_runs_its_own_toolchain_not_the_callers_workspace():
    doc = load(ACTION / "action.yml")
    assert set(doc["inputs"]) >= {"stacks", "base-sha", "working-directory", "policy-config"}
    run_steps = [s for s in doc["runs"]["steps"] if "run" in s]
    toolchain = next(s for s in run_steps if s.get("id") == "toolchain")
    assert toolchain["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    for step in run_steps:  # every command names the toolchain's folder
        if "make" in step["run"]:
            assert 'make -C "$ROOT"' in step["run"]
        if "gate.sh" in step["run"]:
            assert step["run"] == 'bash "$TOOLCHAIN/.github/actions/plan-gate/gate.sh"'
    cache = caches(doc["runs"]["steps"])[0]
    assert "~/.cache/pip" in cache["path"] and "steps.toolchain.outputs.key" in cache["key"]
    script = (ACTION / "gate.sh").read_text()
    assert " make " not in script.replace('make -C "$base_work"', "")
    calls = [line for line in script.splitlines() if "-m agents" in line]
    assert calls and all(re.search(r'"\$(py|base_py)" -m agents', c) for c in calls), calls
    assert not re.search(r"^\s*(python3?|agents|\.venv/bin)\b", script, re.M)


def test_the_gate_script_parses():
    import subprocess  # noqa: PLC0415

    subprocess.run(["bash", "-n", str(ACTION / "gate.sh")], check=True)


def test_a_workflow_calls_the_action_as_another_repository_would():
    doc = load(CALLER)
    job = doc["jobs"]["caller"]
    checkout = next(s for s in job["steps"] if "actions/checkout@" in s.get("uses", ""))
    assert checkout["with"]["path"] == "platform"  # the action apart from the caller's files
    gate = next(s for s in job["steps"] if s.get("id") == "gate")
    assert gate["uses"] == "./platform/.github/actions/plan-gate"
    assert gate["with"]["working-directory"] == "user"
    assert gate["with"]["policy-config"] == "policy"
    assert gate["with"]["base-sha"] == "${{ steps.user.outputs.base }}"
    check = next(s for s in job["steps"] if s.get("name") == "Check the comment")
    assert "10240" in check["run"] and "user/.venv" in check["run"]


def test_the_user_repository_is_stack_files_and_policy_config_in_step_with_dev():
    from toolchain.plan import read_stack_config, stack_config_file  # noqa: PLC0415

    assert read_stack_config(USER_REPO / "Pulumi.demo.yaml") == read_stack_config(
        stack_config_file("dev")
    )
    for pack in ("security", "cost"):
        mine = (USER_REPO / "policy" / "demo" / f"{pack}.json").read_text()
        assert mine == (ROOT / "policies" / "config" / "dev" / f"{pack}.json").read_text()
    assert not (USER_REPO / "baseline").exists()  # no program: the action's is planned

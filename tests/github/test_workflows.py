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
    assert doc["jobs"]["gate"]["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    fail = [s for s in doc["jobs"]["gate"]["steps"] if "mandatory" in str(s.get("if", ""))]
    assert fail and "exit 1" in fail[0]["run"]


def test_the_image_is_multi_arch_with_provenance_and_sbom():
    doc = load(ROOT / ".github" / "workflows" / "main.yml")
    image = doc["jobs"]["image"]["steps"]
    build = next(s for s in image if "build-push-action" in s.get("uses", ""))
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["provenance"] == "mode=max" and build["with"]["sbom"] is True

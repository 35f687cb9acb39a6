"""The security-auditor's policy gate on a stack without its own `policies/config/<stack>/` (a
pull request's new `Pulumi.qa.yaml`): gated with the default config, production's, and never
silently: a `policy.default-config` finding (opened in the audit log, closed once the stack has a
folder of its own) and the notice in each violation's evidence. A stack with its own folder has
the findings it had; a name that is not a stack name is `policy.unchecked` (fail closed).

The policy configs are a copy in the test's folder; the pass's other checks (preview, drift,
CloudTrail) are stubbed: only the gate is at stake here."""

from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agents.protocol.audit import AuditLog
from agents.protocol.findings import FindingStore
from agents.protocol.settings import AgentSettings
from agents.routines import Pass, Routines
from tests.agents.skills.test_policy_config_fallback import RULE, relabel
from toolchain import gate
from toolchain.export import StackExport
from toolchain.gate import CONFIG_DIR

PERSONA = "security-auditor"


@pytest.fixture
def configs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, folder)
    monkeypatch.setattr(gate, "CONFIG_DIR", folder)
    return folder


@pytest.fixture
def qa(dev: StackExport) -> StackExport:
    return relabel(dev, "qa")


def routines(tmp_path: Path, export: StackExport, monkeypatch: pytest.MonkeyPatch) -> Routines:
    """The security-auditor's routines over an agent whose operations are stubbed and whose
    stack export is `export`."""
    agent = SimpleNamespace(
        persona=SimpleNamespace(name=PERSONA),
        perform=lambda stack, operation, **_: SimpleNamespace(stack=stack, operation=operation),
        audit=AuditLog(tmp_path / "audit.jsonl"),
        settings=AgentSettings(state_dir=tmp_path / "state"),
    )
    monkeypatch.setattr(Routines, "_facts", lambda self, work: (export, None))
    monkeypatch.setattr(Routines, "_report", lambda self, work, name, make, *extra: None)
    return Routines(
        agent,  # type: ignore[arg-type]
        findings=tmp_path / "findings.sqlite",
        memory=tmp_path / "memory.sqlite",
    )


def open_findings(tmp_path: Path, status: str = "open") -> dict[str, list[Any]]:
    with FindingStore(tmp_path / "findings.sqlite") as store:
        found = store.query(status=status)
    out: dict[str, list[Any]] = {}
    for f in found:
        out.setdefault(f.finding.kind, []).append(f.finding)
    return out


@pytest.mark.slow
def test_a_stack_without_a_folder_is_gated_with_the_default_and_says_so(
    configs, qa, tmp_path, monkeypatch
):
    Routines.run(routines(tmp_path, qa, monkeypatch), "qa")
    found = open_findings(tmp_path)
    (default,) = found["policy.default-config"]
    assert default.severity == "info" and default.resource == "qa"
    assert default.summary.startswith("no policy config for stack 'qa'")
    assert default.evidence == {"config": str(configs / "prod"), "notice": default.summary}
    assert "policies/config/qa/" in default.proposed_action
    violations = {v.resource.rsplit(":", 1)[-1]: v for v in found["policy.violation"]}
    assert violations[RULE].severity == "high"  # production's rule: mandatory
    assert all(v.evidence["notice"] == default.summary for v in violations.values())
    opened = AuditLog(tmp_path / "audit.jsonl").query({"event": "finding.opened"})
    assert [r["summary"] for r in opened if r["kind"] == "policy.default-config"] == [
        default.summary
    ]

    # Given a folder of its own, the next pass gates with it and closes the notice.
    shutil.copytree(configs / "dev", configs / "qa")
    Routines.run(routines(tmp_path, qa, monkeypatch), "qa")
    found = open_findings(tmp_path)
    assert "policy.default-config" not in found
    assert "policy.default-config" in open_findings(tmp_path, "closed")
    violations = {v.resource.rsplit(":", 1)[-1]: v for v in found["policy.violation"]}
    assert violations[RULE].severity != "high"  # dev's rules: advisory


@pytest.mark.slow
def test_a_stack_with_its_own_folder_has_the_findings_it_had(configs, dev, tmp_path, monkeypatch):
    work = Pass(PERSONA, "dev")
    found = routines(tmp_path, dev, monkeypatch)._gate(work, dev)
    assert {f.kind for f in found} == {"policy.violation"}
    for f in found:
        assert set(f.evidence) == {"pack", "urn", "level"}  # no config, no notice
    (rds,) = [f for f in found if f.resource.endswith(f":{RULE}")]
    assert rds.evidence["level"] == "advisory"


def test_a_name_that_is_not_a_stack_name_is_unchecked(configs, dev, tmp_path, monkeypatch):
    Routines.run(routines(tmp_path, relabel(dev, "QA_1"), monkeypatch), "QA_1")
    found = open_findings(tmp_path)
    assert sorted(found) == ["policy.unchecked"]
    assert "not a stack name" in found["policy.unchecked"][0].summary

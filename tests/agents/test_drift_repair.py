"""Drift repaired under review (issue 24), end to end through `python -m agents` on the CLI double
(scenario `drift-repair`: the drift stays until a `refresh` and the `up` after it restore the
declared state): the reliability engineer's pass finds the drift and proposes its repair, a human
approves it, the release engineer's pass applies it (refresh, then `up` with both policy packs),
and the next drift check closes the findings. Without an approval nothing is refreshed or
applied; a declared exception is recorded, not repaired; dev repairs itself only when
`AGENTS_DRIFT_AUTO_REPAIR` says so."""

from __future__ import annotations

import datetime
import json
import time

import pytest

from agents.cli.main import main
from agents.protocol import approvals as approvals_module
from agents.runtime import drift
from tests.agents.cli.test_commands import env, run_json  # noqa: F401 - the CLI fixture
from tests.agents.test_routines import findings, kinds, live  # noqa: F401 - the fixture

DB = "baseline:database:Database$aws:rds/instance:Instance::database-postgres"
RULE = (
    "baseline:database:Database$aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::"
    "database-ingress-1"
)


def urn(stack: str, tail: str) -> str:
    return f"urn:pulumi:{stack}::baseline::{tail}"


@pytest.fixture
def drifted(live, monkeypatch, tmp_path):  # noqa: F811
    """Drift on both stacks; cooldowns short enough for the next pass; no drift exceptions."""
    live.scenario("drift-repair")
    monkeypatch.setenv("AGENTS_COOLDOWN_SCALE", "0.0001")
    monkeypatch.setattr(drift, "CONFIG_DIR", tmp_path / "policy-config")
    return live


def changing(cli, stack: str) -> list[list[str]]:
    """The double's refresh (not the preview-only drift check) and `up` calls on `stack`."""
    return [
        c
        for c in cli.operations()
        if c[1] in ("refresh", "up")
        and "--preview-only" not in c
        and c[c.index("--stack") + 1] == stack
    ]


def pass_of(capsys, persona: str, stack: str, *extra: str) -> tuple[int, list[dict]]:
    time.sleep(0.2)  # past the scaled cooldowns
    return run_json(capsys, "run", persona, "--stack", stack, "--once", *extra)


def repair_outcome(outcomes: list[dict]) -> dict:
    (found,) = [o for o in outcomes if o["operation"] == drift.REPAIR]
    return found


@pytest.mark.slow
def test_prod_drift_is_proposed_approved_applied_and_closed(drifted, capsys):
    # 1. The watchdog finds the drift: a finding per resource, and the repair proposed.
    code, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    assert outcomes[0]["operation"] == "drift-check" and outcomes[0]["data"]["drifted"]
    proposed = repair_outcome(outcomes)
    assert proposed["status"] == "pending-approval" and code == 0, proposed
    request = proposed["approval"]
    found = [f for f in findings(drifted.state) if f.finding.kind == "drift.detected"]
    assert {f.finding.evidence["urn"] for f in found} == {urn("prod", DB), urn("prod", RULE)}
    assert all(f.finding.evidence["repair"]["approval"] == request for f in found)
    assert all(f"approve {request}" in f.finding.proposed_action for f in found)
    _, status = run_json(capsys, "status")
    assert [a["id"] for a in status["approvals"]] == [request]

    # A second watchdog pass on the same drift makes no second request.
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    assert repair_outcome(outcomes)["approval"] == request
    _, status = run_json(capsys, "status")
    assert len(status["approvals"]) == 1

    # 2. Not approved yet: the release engineer refreshes nothing and applies nothing.
    pass_of(capsys, "release-engineer", "prod")
    assert changing(drifted, "prod") == []

    # 3. A human approves; the release engineer's next pass applies exactly that repair.
    assert main(["approve", request, "--by", "alice", "--reason", "restore it"]) == 0
    capsys.readouterr()
    code, outcomes = pass_of(capsys, "release-engineer", "prod")
    (repaired,) = outcomes
    assert (repaired["operation"], repaired["status"], repaired["approval"]) == (
        drift.REPAIR,
        "done",
        request,
    ), repaired["detail"]
    assert code == 0 and sorted(repaired["data"]["resources"]) == sorted(
        [urn("prod", DB), urn("prod", RULE)]
    )
    refresh, up = changing(drifted, "prod")
    assert refresh[1] == "refresh" and up[1] == "up", "refresh first, then up"
    for call in (refresh, up):
        targets = [call[i + 1] for i, a in enumerate(call) if a == "--target"]
        assert sorted(targets) == sorted([urn("prod", DB), urn("prod", RULE)])
    assert up.count("--policy-pack") == 2 and up.count("--policy-pack-config") == 2
    assert any(a.endswith("policies/config/prod/security.json") for a in up)
    previews = [c for c in drifted.operations() if c[1] == "preview"]
    assert previews and all(c.count("--policy-pack") == 2 for c in previews)
    _, used = run_json(capsys, "audit", "--event", "approval.consumed")
    assert [u["approval"] for u in used] == [request]

    # 4. The next drift check sees no drift: the findings close.
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    assert outcomes[0]["data"]["drifted"] is False
    assert not [o for o in outcomes if o["operation"] == drift.REPAIR]
    assert "drift.detected" not in kinds(findings(drifted.state))
    closed = findings(drifted.state, status="closed")
    assert {f.finding.resource for f in closed if f.finding.kind == "drift.detected"} == {
        "database-postgres",
        "database-ingress-1",
    }
    # And the approval was single use: another release pass changes nothing more.
    before = len(changing(drifted, "prod"))
    pass_of(capsys, "release-engineer", "prod")
    assert len(changing(drifted, "prod")) == before


def test_prod_without_an_approval_never_runs_up(drifted, capsys, monkeypatch):
    monkeypatch.setenv("AGENTS_DRIFT_AUTO_REPAIR", "true")  # never for a protected stack
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    request = repair_outcome(outcomes)["approval"]
    for _ in range(2):
        pass_of(capsys, "release-engineer", "prod")
    # The pending request given by hand: refused before anything runs, and on the record.
    code, (out,) = pass_of(capsys, "release-engineer", "prod", "--approval", request)
    assert (out["operation"], out["status"], code) == (drift.REPAIR, "refused", 1), out
    assert "it is pending" in out["detail"]
    assert changing(drifted, "prod") == []
    assert not [c for c in drifted.operations() if c[1] == "up"]
    _, refused = run_json(capsys, "audit", "--event", "drift.repair-refused")
    assert refused and refused[-1]["approval"] == request and refused[-1]["stack"] == "prod"


@pytest.mark.slow
def test_an_approval_of_another_stacks_repair_is_refused(drifted, capsys):
    _, outcomes = pass_of(capsys, "reliability-engineer", "dev")
    dev_request = repair_outcome(outcomes)["approval"]  # dev too needs one by default
    assert main(["approve", dev_request, "--by", "alice"]) == 0
    capsys.readouterr()
    pass_of(capsys, "reliability-engineer", "prod")
    code, (out,) = pass_of(capsys, "release-engineer", "prod", "--approval", dev_request)
    assert (out["status"], code) == ("refused", 1)
    assert "given for stack 'dev', not 'prod'" in out["detail"]
    assert changing(drifted, "prod") == []
    _, refused = run_json(capsys, "audit", "--event", "approval.refused")
    assert refused[-1]["approval"] == dev_request


@pytest.mark.slow
def test_an_expired_approval_is_refused_once_and_never_applied(drifted, capsys, monkeypatch):
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    request = repair_outcome(outcomes)["approval"]
    assert main(["approve", request, "--by", "alice"]) == 0
    capsys.readouterr()
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=2)
    monkeypatch.setattr(approvals_module, "_now", lambda: later)
    code, outcomes = pass_of(capsys, "release-engineer", "prod")
    refused = repair_outcome(outcomes)
    assert refused["status"] == "refused" and "expired" in refused["detail"] and code == 1
    _, lines = run_json(capsys, "audit", "--event", "drift.repair-refused")
    assert [ln["approval"] for ln in lines] == [request]
    # The next pass does not repeat the refusal; it goes on to its `up` (nothing to do).
    _, (out,) = pass_of(capsys, "release-engineer", "prod")
    assert out["operation"] == "up" and out["status"] == "done"
    assert changing(drifted, "prod") == []
    # Given by hand, it is refused by the approval store, on the record too.
    code, (out,) = pass_of(capsys, "release-engineer", "prod", "--approval", request)
    assert out["status"] == "refused" and "expired" in out["detail"]
    assert changing(drifted, "prod") == []


def _exceptions(tmp_path, stack: str, entries: list[dict]) -> None:
    folder = tmp_path / "policy-config" / stack
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "drift.json").write_text(json.dumps({"exceptions": entries}))


@pytest.mark.slow
def test_excepted_drift_is_recorded_with_its_reason_and_never_repaired(drifted, capsys, tmp_path):
    _exceptions(
        tmp_path,
        "prod",
        [
            {
                "type": "aws:rds/instance:Instance",
                "properties": ["backupRetentionPeriod"],
                "reason": "the DBA tunes retention during incidents",
            },
            {"urn": "urn:pulumi:prod::*::database-ingress-*", "reason": "rules rotate weekly"},
        ],
    )
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    assert not [o for o in outcomes if o["operation"] == drift.REPAIR], "nothing to repair"
    found = findings(drifted.state)
    excepted = [f for f in found if f.finding.kind == "drift.excepted"]
    assert {f.finding.resource for f in excepted} == {"database-postgres", "database-ingress-1"}
    assert all(f.finding.severity == "info" for f in excepted)
    assert any("the DBA tunes retention" in f.finding.summary for f in excepted)
    assert "drift.detected" not in kinds(found)
    _, lines = run_json(capsys, "audit", "--event", "drift.excepted")
    assert {ln["reason"] for ln in lines} == {
        "the DBA tunes retention during incidents",
        "rules rotate weekly",
    }
    _, status = run_json(capsys, "status")
    assert status["approvals"] == []
    pass_of(capsys, "release-engineer", "prod")
    assert changing(drifted, "prod") == []


def test_a_partly_excepted_drift_proposes_the_rest_only(drifted, capsys, tmp_path):
    _exceptions(
        tmp_path,
        "prod",
        [{"type": "aws:rds/instance:Instance", "reason": "the DBA tunes it during incidents"}],
    )
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    request = repair_outcome(outcomes)["approval"]
    _, status = run_json(capsys, "status")
    (pending,) = status["approvals"]
    assert pending["id"] == request
    (detected,) = [f for f in findings(drifted.state) if f.finding.kind == "drift.detected"]
    assert detected.finding.resource == "database-ingress-1"
    assert "drift.excepted" in kinds(findings(drifted.state))


def test_an_exceptions_file_that_cannot_be_read_proposes_nothing(drifted, capsys, tmp_path):
    _exceptions(tmp_path, "prod", [{"urn": "*", "reason": "silence everything"}])
    _, outcomes = pass_of(capsys, "reliability-engineer", "prod")
    assert not [o for o in outcomes if o["operation"] == drift.REPAIR]
    found = findings(drifted.state)
    (invalid,) = [f for f in found if f.finding.kind == "drift.exceptions-invalid"]
    assert invalid.finding.severity == "high" and "silence" in invalid.finding.summary
    detected = [f for f in found if f.finding.kind == "drift.detected"]
    assert len(detected) == 2
    assert all(f.finding.evidence["repair"]["status"] == "not proposed" for f in detected)
    _, status = run_json(capsys, "status")
    assert status["approvals"] == []


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
def test_dev_needs_an_approval_unless_auto_repair_is_on(drifted, capsys, monkeypatch):
    _, outcomes = pass_of(capsys, "reliability-engineer", "dev")
    assert repair_outcome(outcomes)["status"] == "pending-approval"
    pass_of(capsys, "release-engineer", "dev")
    assert changing(drifted, "dev") == [], "auto-repair is off by default"

    monkeypatch.setenv("AGENTS_DRIFT_AUTO_REPAIR", "true")
    _, outcomes = pass_of(capsys, "reliability-engineer", "dev")
    auto = repair_outcome(outcomes)
    assert auto["status"] == "done" and "auto-repair" in auto["detail"]
    code, (out,) = pass_of(capsys, "release-engineer", "dev")
    assert (out["operation"], out["status"], out["approval"], code) == (
        drift.REPAIR,
        "done",
        None,
        0,
    ), out
    refresh, up = changing(drifted, "dev")
    assert (refresh[1], up[1]) == ("refresh", "up") and up.count("--policy-pack") == 2
    _, lines = run_json(capsys, "audit", "--event", "drift.repair-auto")
    assert lines and lines[-1]["stack"] == "dev" and len(lines[-1]["resources"]) == 2
    _, used = run_json(capsys, "audit", "--event", "approval.consumed")
    assert used == []
    pass_of(capsys, "reliability-engineer", "dev")
    assert "drift.detected" not in kinds(findings(drifted.state))

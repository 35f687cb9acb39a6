"""The agents as a team on the cluster, end to end: a persona's pass with findings and memory on
PostgreSQL and its audit log going to CloudWatch Logs; then a brand-new state folder (a new pod
after a rollout) and a second pass. The finding continues (count 2, first seen unchanged), the
memory answers about the first pass, and the audit chain is one and unbroken across both pods."""

from __future__ import annotations

import json
import time

import boto3
import psycopg
import pytest

from agents.cli.main import main
from agents.protocol.backends import read_findings
from agents.protocol.settings import AgentSettings
from agents.skills.memory_postgres import open_memory
from tests.agents.cli.test_commands import env  # noqa: F401 - the CLI fixture
from tests.postgres_server import PASSWORD, SUPERUSER, other_ca

GROUP = "/baseline/dev/agents/audit"
PERSONA = "reliability-engineer"
USER = "agent_reliability_engineer"


@pytest.fixture
def team(env, dev_plan_export, postgres_server, monkeypatch, tmp_path):  # noqa: F811 - env
    """The stack's engines: the agents' database made by `records migrate` (as the master), the
    persona's own login role, and the audit log group."""
    monkeypatch.setenv("FAKE_PULUMI_EXPORT", str(dev_plan_export))
    env.scenario("drift")
    database = "team_" + tmp_path.name[-10:].lower().replace("-", "_")
    common = {
        "AGENTS_PG_HOST": "127.0.0.1",
        "AGENTS_PG_PORT": str(postgres_server.port),
        "AGENTS_PG_DATABASE": database,
        "AGENTS_PG_SSLROOTCERT": str(postgres_server.ca),
        "AGENTS_PG_AUTH": "password",
    }
    for key, value in common.items():
        monkeypatch.setenv(key, value)
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName=GROUP)
    # The migration Job: as the master, its own records in its own stream.
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "migrate-job"))
    monkeypatch.setenv("AGENTS_PG_USER", SUPERUSER)
    monkeypatch.setenv("AGENTS_PG_PASSWORD", PASSWORD)
    monkeypatch.setenv("AGENTS_AUDIT_SINK", "cloudwatch")
    monkeypatch.setenv("AGENTS_AUDIT_LOG_GROUP", GROUP)
    monkeypatch.setenv("AGENTS_AUDIT_WRITER", "records-migrate")
    assert main(["records", "migrate", "--personas", USER]) == 0
    with psycopg.connect(**postgres_server.conninfo(), autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {USER} PASSWORD 'persona-test-only'")
    # What the persona's Deployment sets (components/workloads.py), with a password for the
    # test server in place of the IAM token.
    for key, value in {
        "AGENTS_RECORDS_BACKEND": "postgres",
        "AGENTS_PG_USER": USER,
        "AGENTS_PG_PASSWORD": "persona-test-only",
        "AGENTS_AUDIT_SINK": "cloudwatch",
        "AGENTS_AUDIT_LOG_GROUP": GROUP,
        "AGENTS_AUDIT_WRITER": PERSONA,
        "AGENTS_AUDIT_BATCH_S": "0.2",
    }.items():
        monkeypatch.setenv(key, value)
    return env


def a_pass_in(pod, monkeypatch, capsys) -> list[dict]:
    monkeypatch.setenv("AGENTS_STATE_DIR", str(pod))
    assert main(["run", PERSONA, "--stack", "dev", "--once", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.slow
def test_the_records_outlive_the_pod(team, monkeypatch, capsys, tmp_path):
    first = a_pass_in(tmp_path / "pod-1", monkeypatch, capsys)
    (found,) = [o for o in first if o["operation"] == "findings"]
    opened = {f["id"]: f for f in found["data"]["opened"] if f["kind"] == "drift.detected"}
    assert opened, found
    time.sleep(1.1)  # the second pass is seen a second later at least
    second = a_pass_in(tmp_path / "pod-2", monkeypatch, capsys)  # a new, empty state folder
    (again,) = [o for o in second if o["operation"] == "findings"]
    assert not [f for f in again["data"]["opened"] if f["kind"] == "drift.detected"]

    settings = AgentSettings()
    store = read_findings(settings)
    assert store is not None
    with store:
        drift = {f.id: f for f in store.query(stack="dev") if f.finding.kind == "drift.detected"}
    assert set(drift) == set(opened)
    for fid, stored in drift.items():
        assert stored.count == 2
        assert stored.first_seen == opened[fid]["firstSeen"] < stored.last_seen

    with open_memory(settings, read_only=True) as memory:
        hits = memory.search("what drift did the reliability engineer find on dev", k=5)
    assert any(h.source in {f"findings#{fid}" for fid in opened} for h in hits), hits

    assert main(["audit", "verify", "--source", "cloudwatch", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (chain,) = [w for w in report["writers"] if w["writer"] == PERSONA]
    local = [
        json.loads(line)
        for pod in ("pod-1", "pod-2")
        for line in (tmp_path / pod / "audit.jsonl").read_text().splitlines()
        if line.strip()
    ]
    mine = sorted(r["seq"] for r in local if r.get("writer") == PERSONA)
    assert mine == list(range(1, len(mine) + 1)), "one numbering across both pods"
    assert (chain["first"], chain["last"], chain["records"]) == (1, len(mine), len(mine))
    assert report["ok"] and not chain["problems"]
    (job,) = [w for w in report["writers"] if w["writer"] == "records-migrate"]
    assert job["records"] >= 1 and not job["problems"]


@pytest.mark.parametrize("fault", ["password", pytest.param("tls", marks=pytest.mark.slow)])
def test_a_pass_whose_records_cannot_be_kept_fails_in_one_line_on_the_record(
    team, monkeypatch, capsys, tmp_path, fault
):
    """Wrong credentials or a server certificate that does not verify: the pass fails with one
    line naming why, and the audit log (and so the sink) has the `routine.error`."""
    if fault == "password":
        monkeypatch.setenv("AGENTS_PG_PASSWORD", "wrong")
        says = "credentials were refused"
    else:
        monkeypatch.setenv("AGENTS_PG_SSLROOTCERT", str(other_ca(tmp_path / "other-ca")))
        says = "TLS"
    pod = tmp_path / "pod"
    monkeypatch.setenv("AGENTS_STATE_DIR", str(pod))
    assert main(["run", PERSONA, "--stack", "dev", "--once", "--json"]) == 1
    (failed,) = [o for o in json.loads(capsys.readouterr().out) if o["status"] == "failed"]
    assert says in failed["detail"] and "\n" not in failed["detail"]
    errors = [
        json.loads(line)
        for line in (pod / "audit.jsonl").read_text().splitlines()
        if '"routine.error"' in line
    ]
    assert errors and says in errors[0]["error"]

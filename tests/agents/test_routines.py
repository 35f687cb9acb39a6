"""Each persona's pass end to end, as `python -m agents run PERSONA --once` runs it: the real
gateway driving the CLI double (answering `stack export` with the dev stack's offline plan), the
AWS checks on moto, and the findings they leave: opened, updated when seen again, closed when
gone; `.unchecked` (never "all good") where a check cannot be made."""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

import boto3
import pytest

from agents.cli.main import main
from agents.protocol.findings import FindingStore
from tests.agents.cli.test_commands import env, run_json  # noqa: F401 - the CLI fixture

REGION = "us-east-1"


@pytest.fixture
def live(env, dev_plan_export, monkeypatch, tmp_path):  # noqa: F811
    monkeypatch.setenv("FAKE_PULUMI_EXPORT", str(dev_plan_export))
    env.state = tmp_path / "state"
    return env


def findings(state, **filters):
    path = state / "findings.sqlite"
    if not path.exists():
        return []
    with FindingStore(path) as store:
        return store.query(**filters)


def kinds(found):
    return sorted({f.finding.kind for f in found})


@pytest.mark.slow
def test_observability_finds_new_growing_and_gone_error_clusters(live, capsys):
    logs = boto3.client("logs", region_name=REGION)
    group = "/aws/eks/baseline-dev/cluster"
    for name in (  # the dev stack's log groups; one that does not exist is `logs.unchecked`
        group,
        "/aws/rds/instance/baseline-dev/postgresql",
        "/aws/rds/instance/baseline-dev/upgrade",
        "/vpc/network/flow-logs",
        "/aws/eks/baseline-dev/platform",
        "/aws/eks/baseline-dev/workloads",
        "/baseline/dev/agents/audit",
    ):
        logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=group, logStreamName="apiserver")

    def put(n: int) -> None:
        now = int(time.time() * 1000)
        logs.put_log_events(
            logGroupName=group,
            logStreamName="apiserver",
            logEvents=[
                {"timestamp": now - 1000 + i, "message": f"E1129 etcd request timed out key=/x/{i}"}
                for i in range(n)
            ]
            + [{"timestamp": now, "message": "I1129 served GET /healthz 200"}],
        )

    put(4)
    code, outcomes = run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    assert outcomes[0]["operation"] == "preview", outcomes
    (first,) = [f for f in findings(live.state) if f.finding.kind == "logs.errors"]
    assert first.finding.summary.startswith("new: 4 error lines in " + group)
    assert first.finding.severity == "high" and "etcd request timed out" in first.finding.resource

    put(8)  # 4 + 8 in the window now: tripled
    run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    (again,) = [f for f in findings(live.state) if f.finding.kind == "logs.errors"]
    assert again.id == first.id and again.count == 2 and again.finding.summary.startswith("growing")

    _, lines = run_json(capsys, "audit", "--event", "finding.opened")
    assert [ln["kind"] for ln in lines if ln["kind"] == "logs.errors"] == ["logs.errors"]
    code = main(["findings", "--stack", "dev", "--severity", "high"])
    out = capsys.readouterr().out
    assert code == 0 and "logs.errors" in out and "etcd request timed out" in out
    assert "logs.unchecked" not in kinds(findings(live.state))


def test_a_log_group_that_cannot_be_read_is_unchecked_and_closes_nothing(live, capsys):
    run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    (unchecked,) = [f for f in findings(live.state) if f.finding.kind == "logs.unchecked"]
    assert "ResourceNotFoundException" in unchecked.finding.summary
    assert unchecked.finding.severity == "high"


def _dev_database(rds: Any, *, retention: int = 7, encrypted: bool = True) -> None:
    """The dev stack's database, as moto holds it."""
    rds.create_db_instance(
        DBInstanceIdentifier="baseline-dev",
        DBInstanceClass="db.t4g.micro",
        Engine="postgres",
        MasterUsername="admin_user",
        MasterUserPassword="not-a-real-password-1",
        AllocatedStorage=20,
        BackupRetentionPeriod=retention,
        StorageEncrypted=encrypted,
    )


def test_data_steward_finds_an_unencrypted_database_and_closes_it_when_gone(live, capsys):
    rds = boto3.client("rds", region_name=REGION)
    _dev_database(rds, retention=1, encrypted=False)
    run_json(capsys, "run", "data-steward", "--stack", "dev", "--once")
    found = findings(live.state)
    assert {"backup.unencrypted", "backup.retention-low"} <= set(kinds(found))
    assert "backup.no-dr-copy" not in kinds(found), "dev copies no backups to the DR region"
    code = main(["findings", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and {d["kind"] for d in data} >= {"backup.unencrypted"}
    assert all(d["persona"] == "data-steward" and d["stack"] == "dev" for d in data)

    rds.modify_db_instance(
        DBInstanceIdentifier="baseline-dev", BackupRetentionPeriod=14, ApplyImmediately=True
    )
    _, outcomes = run_json(capsys, "run", "data-steward", "--stack", "dev", "--once")
    assert "backup.retention-low" not in kinds(findings(live.state))
    assert "backup.retention-low" in kinds(findings(live.state, status="closed"))
    assert outcomes[-1]["operation"] == "findings" and "closed" in outcomes[-1]["detail"]


@pytest.mark.slow
def test_security_auditor_gates_the_live_export_and_fails_closed_on_cloudtrail(live, capsys):
    run_json(capsys, "run", "security-auditor", "--stack", "dev", "--once")
    found = findings(live.state)
    policy = [f for f in found if f.finding.kind == "policy.violation"]
    assert policy, "the dev stack's advisory violation is a finding of the live export"
    assert any("rds-deletion-protection" in f.finding.resource for f in policy)
    # moto has no LookupEvents: the trail check is recorded as not made, never as clean.
    unchecked = [f for f in found if f.finding.kind == "trail.unchecked"]
    assert unchecked and unchecked[0].finding.severity == "high"


def test_cost_optimizer_proposes_right_sizing_with_its_saving(live, capsys):
    cloudwatch = boto3.client("cloudwatch", region_name=REGION)
    now = datetime.datetime.now(datetime.UTC)
    for hour in range(24 * 8):
        cloudwatch.put_metric_data(
            Namespace="AWS/RDS",
            MetricData=[
                {
                    "MetricName": "CPUUtilization",
                    "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "baseline-dev"}],
                    "Timestamp": now - datetime.timedelta(hours=hour),
                    "Value": 3.0 + hour % 5,
                    "Unit": "Percent",
                }
            ],
        )
    run_json(capsys, "run", "cost-optimizer", "--stack", "dev", "--once")
    found = findings(live.state)
    (proposal,) = [f for f in found if f.finding.kind == "proposal.rightsizing"]
    evidence = proposal.finding.evidence
    assert evidence["to"] < evidence["from"] or evidence["to"] != evidence["from"]
    assert evidence["saving_usd"] > 0 and "master-architect" in proposal.finding.proposed_action
    assert "spend.unchecked" in kinds(found)  # moto lacks Cost Explorer's anomaly monitors
    ups = [c for c in live.operations() if c[1] == "up"]
    assert ups == [], "a proposal is never applied"


def test_reliability_engineer_turns_drift_into_findings(live, capsys):
    live.scenario("drift")
    run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    drift = [f for f in findings(live.state) if f.finding.kind == "drift.detected"]
    assert drift and all(f.finding.persona == "reliability-engineer" for f in drift)
    assert {f.finding.evidence["op"] for f in drift} <= {"update", "delete", "replace"}


@pytest.mark.slow
def test_a_drift_check_that_cannot_run_is_a_finding_until_one_runs(live, capsys, monkeypatch):
    monkeypatch.setenv("AGENTS_COOLDOWN_SCALE", "0.0001")  # the second pass is not cooling down
    live.scenario("fail")
    run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    (unchecked,) = [f for f in findings(live.state) if f.finding.kind == "drift.unchecked"]
    assert unchecked.finding.severity == "high" and "failed" in unchecked.finding.summary
    live.scenario("changes")  # the refresh works again, and finds no drift: the finding closes
    time.sleep(0.2)
    run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    assert "drift.unchecked" not in kinds(findings(live.state))
    assert "drift.unchecked" in kinds(findings(live.state, status="closed"))


def test_a_live_export_the_cli_answers_unreadably_is_an_outcome_not_a_traceback(live, capsys):
    """`pulumi stack export` exits 0 with its JSON cut short: the pass goes on without that export
    (nothing judged from it) and says why, on the record."""
    live.scenario("garbled")
    code, outcomes = run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    (export,) = [o for o in outcomes if o["operation"] == "export"]
    assert code == 1 and export["status"] == "failed"  # a failed operation fails the pass
    assert "the CLI's answer could not be read (JSONDecodeError" in export["detail"]


def test_a_drift_check_within_its_cooldown_is_not_unchecked(live, capsys):
    live.scenario("changes")
    run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    live.scenario("fail")  # the next pass's check would fail, but it is not due yet
    _, outcomes = run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    assert outcomes[0]["status"] == "refused" and "cooling down" in outcomes[0]["detail"]
    assert "drift.unchecked" not in kinds(findings(live.state))


def test_the_restore_drill_runs_when_enabled_and_leaves_nothing_behind(live, capsys, monkeypatch):
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_subnet_group(
        DBSubnetGroupName="baseline-dev-drill",
        DBSubnetGroupDescription="isolated drill subnets",
        SubnetIds=subnets,
    )
    _dev_database(rds)
    monkeypatch.setenv("AGENTS_RESTORE_DRILL", "true")
    monkeypatch.setenv("AGENTS_RESTORE_DRILL_SUBNET_GROUP", "baseline-dev-drill")
    run_json(capsys, "run", "data-steward", "--stack", "dev", "--once")
    _, (drill,) = run_json(capsys, "audit", "--event", "backup.drill")
    assert drill["source_instance_id"] == "baseline-dev" and drill["deleted"] is True
    assert drill["recovery_seconds"] is not None
    left = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    assert left == ["baseline-dev"], f"the drill left {left}"


@pytest.mark.slow
def test_no_restore_drill_while_audit_records_cannot_reach_the_sink(live, capsys, monkeypatch):
    """A drill creates and deletes an instance: while the audit sink is behind past its limit it
    is not run; it is `drill.unchecked` with the reason, and no instance is made."""
    rds = boto3.client("rds", region_name=REGION)
    _dev_database(rds)
    monkeypatch.setenv("AGENTS_RESTORE_DRILL", "true")
    monkeypatch.setenv("AGENTS_RESTORE_DRILL_SUBNET_GROUP", "baseline-dev-drill")
    monkeypatch.setenv("AGENTS_AUDIT_SINK", "cloudwatch")
    monkeypatch.setenv("AGENTS_AUDIT_LOG_GROUP", "/baseline/dev/agents/audit")
    monkeypatch.setenv("AGENTS_AUDIT_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AGENTS_AUDIT_MAX_LAG_S", "60")
    live.state.mkdir(parents=True, exist_ok=True)
    old = {"ts": "2026-01-01T00:00:00+00:00", "event": "request", "writer": "x", "seq": 1}
    (live.state / "audit.jsonl").write_text("\n" + json.dumps(old) + "\n")
    run_json(capsys, "run", "data-steward", "--stack", "dev", "--once")
    (unchecked,) = [f for f in findings(live.state) if f.finding.kind == "drill.unchecked"]
    assert "restore drill refused" in unchecked.finding.summary
    left = [i["DBInstanceIdentifier"] for i in rds.describe_db_instances()["DBInstances"]]
    assert left == ["baseline-dev"]


@pytest.mark.slow
def test_a_pass_announces_a_new_high_finding_once_and_its_close(live, capsys, monkeypatch):
    """Notifications wired into the pass: the routine's new high finding is published once on
    the stack's alert topic (a Chatbot card), the next pass that still sees it sends nothing,
    and the pass that closes it sends the resolve."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="baseline-dev-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="alerts")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn["Attributes"]["QueueArn"],
        Attributes={"RawMessageDelivery": "true"},
    )
    monkeypatch.setenv("AGENTS_NOTIFY_TOPICS", json.dumps({"dev": topic}))

    def received() -> list[dict[str, Any]]:
        got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])
        for m in got:
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=m["ReceiptHandle"])
        return [json.loads(m["Body"]) for m in got]

    _, outcomes = run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    (unchecked,) = [f for f in findings(live.state) if f.finding.kind == "logs.unchecked"]
    cards = received()
    assert len(cards) == 1 and cards[0]["source"] == "custom"
    assert "logs.unchecked" in json.dumps(cards[0]) and "dev" in cards[0]["content"]["title"]
    summary = next(o for o in outcomes if o["operation"] == "findings")
    assert summary["data"]["notifications"]["published"], summary

    run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    assert received() == []  # the same finding, seen again: nothing new to say

    logs = boto3.client("logs", region_name=REGION)
    for name in (
        "/aws/eks/baseline-dev/cluster",
        "/aws/rds/instance/baseline-dev/postgresql",
        "/aws/rds/instance/baseline-dev/upgrade",
        "/vpc/network/flow-logs",
        "/aws/eks/baseline-dev/platform",
        "/aws/eks/baseline-dev/workloads",
        "/baseline/dev/agents/audit",
    ):
        logs.create_log_group(logGroupName=name)
    run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    assert not [f for f in findings(live.state) if f.finding.kind == "logs.unchecked"]
    (resolve,) = received()
    assert resolve["metadata"]["threadId"] == cards[0]["metadata"]["threadId"]
    _, published = run_json(capsys, "audit", "--event", "notify.published")
    assert len(published) == 2 and unchecked.id


@pytest.mark.slow
def test_a_pass_has_its_new_high_finding_investigated_and_a_failure_never_fails_it(
    live, capsys, monkeypatch
):
    """With a provider configured, the pass's new high finding is explained by the
    investigator (a local OpenAI-compatible server here): a proposal for review is recorded,
    nothing is applied. A provider that answers nonsense ends that investigation, not the pass."""
    from tests.agents.skills.test_investigate import (  # noqa: PLC0415
        ScriptedServer,
        answer,
        completion,
    )

    answers = [
        (200, completion(calls=[("call_1", "audit-log", '{"stack": "dev"}')], finish="tool_calls")),
        (200, completion(content=answer("call_1", cause="the log groups were never created"))),
    ]
    with ScriptedServer(answers) as server:
        monkeypatch.setenv("AGENTS_INVESTIGATE_PROVIDER", "openai")
        monkeypatch.setenv("AGENTS_INVESTIGATE_MODEL", "local")
        monkeypatch.setenv("AGENTS_INVESTIGATE_URL", server.url)
        _, outcomes = run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    summary = next(o for o in outcomes if o["operation"] == "findings")
    (done,) = summary["data"]["investigations"]
    (unchecked,) = [f for f in findings(live.state) if f.finding.kind == "logs.unchecked"]
    assert done["finding"] == unchecked.id and done["status"] == "concluded", done
    (proposal,) = [
        f for f in findings(live.state) if f.finding.kind.startswith("proposal.investigation")
    ]
    assert "never created" in proposal.finding.summary
    assert "not applied" in proposal.finding.proposed_action
    assert not [c for c in live.operations() if c[1] in ("up", "refresh")]

    # A new finding next time, and a provider that answers nothing usable: the pass goes on.
    with findings_store(live.state) as store:
        store.observe("observability-engineer", "dev", ["logs.unchecked"], [])  # closed
    with ScriptedServer([(200, completion(content="not json"))] * 2) as server:
        monkeypatch.setenv("AGENTS_INVESTIGATE_URL", server.url)
        _, outcomes = run_json(capsys, "run", "observability-engineer", "--stack", "dev", "--once")
    summary = next(o for o in outcomes if o["operation"] == "findings")
    (failed,) = summary["data"]["investigations"]
    assert failed["status"] != "concluded" and summary["status"] == "done"
    _, lines = run_json(capsys, "audit", "--event", "investigation.failed")
    assert lines and lines[-1]["reason"] == "unparseable"


def findings_store(state):
    return FindingStore(state / "findings.sqlite")


def test_a_check_that_fails_unexpectedly_is_unchecked_and_the_pass_goes_on(
    live, capsys, monkeypatch
):
    """A check raising what no check expects (a bug, a value of a shape nobody checked) is its
    `<name>.unchecked` finding, named by the error's type; the other checks still run. It had
    ended the pass, and a looping agent, with a traceback and no record."""
    import toolchain.cost  # noqa: PLC0415

    def broken(*_args: Any) -> Any:
        raise TypeError("'list' object has no attribute 'get'")

    monkeypatch.setattr(toolchain.cost, "estimate", broken)
    _, outcomes = run_json(capsys, "run", "cost-optimizer", "--stack", "dev", "--once")
    (unchecked,) = [f for f in findings(live.state) if f.finding.kind == "cost.unchecked"]
    assert unchecked.finding.severity == "high"
    assert "cost could not be checked: TypeError: 'list' object" in unchecked.finding.summary
    assert "proposal.unchecked" not in kinds(findings(live.state))  # the next check ran
    assert all(o["operation"] != "routine" for o in outcomes)


def test_a_pass_that_fails_unexpectedly_is_a_failed_outcome_on_the_record(
    live, capsys, monkeypatch
):
    """An error outside any check, of no kind the loop expects: the pass fails, on the record
    (`routine.error`, its type named), and the command exits 1 in one piece; a looping agent
    backs off and goes on instead of ending."""
    from agents.routines import Routines  # noqa: PLC0415

    def broken(*_args: Any) -> Any:
        raise KeyError("deployment")

    monkeypatch.setattr(Routines, "_facts", broken)
    code, outcomes = run_json(capsys, "run", "reliability-engineer", "--stack", "dev", "--once")
    (routine,) = [o for o in outcomes if o["operation"] == "routine"]
    assert (
        code == 1
        and routine["status"] == "failed"
        and routine["detail"] == "KeyError: 'deployment'"
    )
    _, records = run_json(capsys, "audit", "--event", "routine.error")
    assert [r["error"] for r in records] == ["KeyError: 'deployment'"]

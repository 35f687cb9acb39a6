"""Each pass publishes its SLI point (`AGENTS_SLI_METRICS=true`) for the SLO alarms; a point
that cannot be published is on the audit log and never fails the pass."""

from __future__ import annotations

import datetime

import boto3
import pytest

from agents.protocol.audit import AuditLog
from agents.runtime.runner import Outcome
from agents.runtime.sli import NAMESPACE, pass_ok, publishing
from tests.agents.cli.test_commands import env, run_json  # noqa: F401 - the CLI fixture


def points(metric: str, stack: str, persona: str | None) -> float:
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    now = datetime.datetime.now(datetime.UTC)
    dimensions = [{"Name": "Stack", "Value": stack}]
    if persona is not None:
        dimensions.append({"Name": "Persona", "Value": persona})
    data = cloudwatch.get_metric_statistics(
        Namespace=NAMESPACE,
        MetricName=metric,
        Dimensions=dimensions,
        StartTime=now - datetime.timedelta(hours=1),
        EndTime=now + datetime.timedelta(minutes=5),
        Period=3600,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in data)


@pytest.mark.slow
def test_a_pass_publishes_succeeded_or_failed(env, capsys, monkeypatch):  # noqa: F811
    monkeypatch.setenv("AGENTS_SLI_METRICS", "true")
    monkeypatch.setenv("AGENTS_COOLDOWN_SCALE", "0.0001")  # the second pass is not cooling down
    code, _ = run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert code == 0
    assert points("PassSucceeded", "dev", "release-engineer") == 1
    env.scenario("fail")
    code, _ = run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert code == 1
    assert points("PassFailed", "dev", "release-engineer") == 1
    # Each point also goes to the per-stack series the SLO alarms read (its own dimension set;
    # moto's statistics match dimension subsets, so the series are checked by listing them).
    listed = boto3.client("cloudwatch", region_name="us-east-1").list_metrics(Namespace=NAMESPACE)
    series = {
        (m["MetricName"], tuple(sorted(d["Name"] for d in m["Dimensions"])))
        for m in listed["Metrics"]
    }
    for name in ("PassSucceeded", "PassFailed"):
        assert {(name, ("Stack",)), (name, ("Persona", "Stack"))} <= series, series


def test_no_point_without_the_setting(env, capsys):  # noqa: F811
    run_json(capsys, "run", "release-engineer", "--stack", "dev", "--once")
    assert points("PassSucceeded", "dev", "release-engineer") == 0


def test_a_point_that_cannot_be_published_is_recorded_not_fatal(tmp_path):
    audit = AuditLog(tmp_path / "audit.jsonl")

    class Down:
        def put_metric_data(self, **_kwargs):
            raise ConnectionError("monitoring.us-east-1.amazonaws.com unreachable")

    done = Outcome("release-engineer", "dev", "up", "done")
    one_pass = publishing(
        lambda stack, approval: [done],
        persona="release-engineer",
        audit=audit,
        client_for=lambda stack: Down(),
    )
    assert one_pass("dev", None) == [done]
    (line,) = audit.query({"event": "sli.unpublished"})
    assert line["ok"] is True and "unreachable" in line["error"]


def test_a_cooldown_refusal_is_not_a_failed_pass():
    cooling = Outcome("p", "dev", "preview", "refused", "cooling down: 30s left")
    broken = Outcome("p", "dev", "preview", "refused", "stack dev has damaged state")
    assert pass_ok([cooling]) and not pass_ok([broken])

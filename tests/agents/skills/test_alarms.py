"""`alarm_status`: the stack's firing and blind alarms, with their history, as findings and a
budgeted report.

moto implements `DescribeAlarms` (metric alarms, state changes through `SetAlarmState`), so the
listing runs on moto. moto implements neither `DescribeAlarmHistory` nor `PutCompositeAlarm`,
nor `DescribeAlarms` pagination: the history is served by a `botocore.stub.Stubber` on a second
client (the `Split` client below routes each call), and composite alarms, pagination and errors
(AccessDenied, throttling) are `Stubber` responses.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import ANY, Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from agents import InputError
from agents.skills import alarms
from agents.skills.alarms import AlarmReport, alarm_status, render
from agents.skills.tokens import BudgetError, count
from baseline.personas import persona

REGION = "us-east-1"
NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)
# One session for every client: its loader reads each service model once (moto resets boto3's
# default session, so `boto3.client` would parse the models again in every test).
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


class Split:
    """A client whose `stubbed` operations go to a stubbed client, the rest to moto's."""

    def __init__(self, real: Any, stubbed: Any, operations: set[str]) -> None:
        self.real, self.stubbed, self.operations = real, stubbed, operations
        self.meta = real.meta

    def _for(self, name: str) -> Any:
        return self.stubbed if name in self.operations else self.real

    def get_paginator(self, name: str) -> Any:
        return self._for(name).get_paginator(name)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._for(name), name)


def _put(cw: Any, name: str, state: str, description: str = "[dev] CPU above 80 %") -> None:
    cw.put_metric_alarm(
        AlarmName=name,
        AlarmDescription=description,
        Namespace="AWS/RDS",
        MetricName="CPUUtilization",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "baseline-dev"}],
        Statistic="Average",
        Period=300,
        EvaluationPeriods=3,
        Threshold=80,
        ComparisonOperator="GreaterThanThreshold",
    )
    if state != "OK":
        cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=f"test: {state}")


def _history(name: str, *summaries: str) -> dict[str, Any]:
    return {
        "AlarmHistoryItems": [
            {
                "AlarmName": name,
                "AlarmType": "MetricAlarm",
                "Timestamp": NOW - datetime.timedelta(minutes=10 * (i + 1)),
                "HistoryItemType": "StateUpdate",
                "HistorySummary": summary,
            }
            for i, summary in enumerate(summaries)
        ]
    }


def _metric_alarm(name: str, state: str, since: datetime.datetime) -> dict[str, Any]:
    return {
        "AlarmName": name,
        "AlarmArn": f"arn:aws:cloudwatch:{REGION}:123456789012:alarm:{name}",
        "AlarmDescription": "[dev] test alarm",
        "StateValue": state,
        "StateReason": "Threshold crossed",
        "StateUpdatedTimestamp": since,
        "StateTransitionedTimestamp": since,
        "ActionsEnabled": True,
        "Namespace": "AWS/EKS",
        "MetricName": "apiserver_request_total_5XX",
        "Dimensions": [{"Name": "ClusterName", "Value": "baseline-dev"}],
    }


def _expect_history(stub: Stubber, name: str, response: dict[str, Any]) -> None:
    stub.add_response(
        "describe_alarm_history",
        response,
        {
            "AlarmName": name,
            "HistoryItemType": "StateUpdate",
            "StartDate": ANY,
            "EndDate": ANY,
            "ScanBy": "TimestampDescending",
        },
    )


def by_kind(report: AlarmReport) -> dict[str, dict[str, str]]:
    """{kind: {resource: severity}} of the report's findings."""
    out: dict[str, dict[str, str]] = {}
    for f in report.findings("observability-engineer"):
        out.setdefault(f.kind, {})[f.resource] = f.severity
    return out


# ---------------------------------------------------------------- on moto


@mock_aws
def test_firing_and_blind_alarms_of_the_stack_only() -> None:
    cw = SESSION.client("cloudwatch", region_name=REGION)
    _put(cw, "baseline-dev-observability-db-cpu", "ALARM")
    _put(cw, "baseline-dev-observability-page-api-5xx", "ALARM")
    _put(cw, "baseline-dev-observability-nat-0-port-allocation", "INSUFFICIENT_DATA")
    _put(cw, "baseline-dev-observability-db-free-storage", "OK")
    _put(cw, "baseline-prod-observability-db-cpu", "ALARM", "[prod] CPU")  # another stack
    _put(cw, "baseline-dev-eu-observability-db-cpu", "ALARM", "[dev-eu] CPU")  # a longer name
    history = SESSION.client("cloudwatch", region_name=REGION)
    with Stubber(history) as stub:
        _expect_history(
            stub,
            "baseline-dev-observability-db-cpu",
            _history(
                "baseline-dev-observability-db-cpu",
                "Alarm updated from OK to ALARM",
                "Alarm updated from ALARM to OK",
                "Alarm updated from OK to ALARM",
            ),
        )
        _expect_history(stub, "baseline-dev-observability-page-api-5xx", _history("x"))
        _expect_history(stub, "baseline-dev-observability-nat-0-port-allocation", _history("x"))
        client = Split(cw, history, {"describe_alarm_history"})
        later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
        report = alarm_status(client, stack="dev", now=later)
        stub.assert_no_pending_responses()

    assert report.alarms_seen == 4, report.to_json()
    json.dumps(report.to_json())  # plain JSON
    assert by_kind(report) == {
        "alarm.firing": {
            "baseline-dev-observability-db-cpu": "high",
            "baseline-dev-observability-page-api-5xx": "critical",
        },
        "alarm.insufficient-data": {"baseline-dev-observability-nat-0-port-allocation": "medium"},
    }
    cpu = next(a for a in report.alarms if a.name == "baseline-dev-observability-db-cpu")
    assert cpu.transitions_to_alarm == 2, cpu
    assert cpu.watches == "AWS/RDS CPUUtilization DBInstanceIdentifier=baseline-dev", cpu
    finding = next(f for f in report.findings("x") if f.resource == cpu.name)
    assert finding.persona == "x" and finding.evidence["history"], finding
    assert set(report.checked) == {"alarm.firing", "alarm.insufficient-data", "alarm.none"}


@mock_aws
def test_insufficient_data_under_an_hour_is_shown_not_reported() -> None:
    cw = SESSION.client("cloudwatch", region_name=REGION)
    _put(cw, "baseline-dev-observability-db-cpu", "INSUFFICIENT_DATA")
    history = SESSION.client("cloudwatch", region_name=REGION)
    with Stubber(history) as stub:
        _expect_history(stub, "baseline-dev-observability-db-cpu", _history("x"))
        report = alarm_status(Split(cw, history, {"describe_alarm_history"}), stack="dev")
    assert report.findings("p") == [], report.to_json()
    text = render(report)
    assert "[INFO] baseline-dev-observability-db-cpu INSUFFICIENT_DATA" in text, text


@mock_aws
def test_no_alarm_for_the_stack_is_a_finding() -> None:
    cw = SESSION.client("cloudwatch", region_name=REGION)
    _put(cw, "baseline-prod-observability-db-cpu", "ALARM", "[prod] CPU")
    report = alarm_status(cw, stack="dev", now=NOW)
    assert by_kind(report) == {"alarm.none": {"baseline-dev-*": "medium"}}


# ---------------------------------------------------------------- on Stubber


def test_composite_alarms_across_pages() -> None:
    cw = SESSION.client("cloudwatch", region_name=REGION)
    since = NOW - datetime.timedelta(minutes=30)
    with Stubber(cw) as stub:
        stub.add_response(
            "describe_alarms",
            {
                "MetricAlarms": [
                    _metric_alarm("baseline-dev-observability-cluster-5xx", "OK", since)
                ],
                "NextToken": "page-2",
            },
            {
                "AlarmNamePrefix": "baseline-dev-",
                "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
            },
        )
        stub.add_response(
            "describe_alarms",
            {
                "CompositeAlarms": [
                    {
                        "AlarmName": "baseline-dev-critical-database",
                        "AlarmRule": 'ALARM("baseline-dev-observability-db-cpu")',
                        "StateValue": "ALARM",
                        "StateReason": "child alarm",
                        "StateUpdatedTimestamp": since,
                        "ActionsEnabled": False,
                    }
                ]
            },
            {
                "AlarmNamePrefix": "baseline-dev-",
                "AlarmTypes": ["MetricAlarm", "CompositeAlarm"],
                "NextToken": "page-2",
            },
        )
        _expect_history(stub, "baseline-dev-critical-database", _history("x"))
        report = alarm_status(cw, stack="dev", now=NOW)
        stub.assert_no_pending_responses()
    assert report.alarms_seen == 2
    assert by_kind(report) == {"alarm.firing": {"baseline-dev-critical-database": "critical"}}
    composite = report.alarms[0]
    assert composite.alarm_type == "composite" and composite.watches.startswith("rule ALARM(")
    summary = report.findings("p")[0].summary
    assert "30 min" in summary and "nobody was notified" in summary, summary


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_a_listing_that_fails_is_an_unchecked_finding(code: str) -> None:
    cw = SESSION.client("cloudwatch", region_name=REGION)
    with Stubber(cw) as stub:
        stub.add_client_error("describe_alarms", code, "no", http_status_code=400)
        report = alarm_status(cw, stack="dev", now=NOW)
    (finding,) = report.findings("observability-engineer")
    assert (finding.kind, finding.severity) == ("alarm.unchecked", "high"), finding
    assert finding.resource == f"cloudwatch:DescribeAlarms@{REGION}"
    assert code in finding.summary and REGION in finding.summary, finding.summary
    assert report.checked == (), "a failed listing must not close the alarm findings"
    assert "not listed" in render(report)


def test_history_denied_keeps_the_alarm_findings_and_asks_once() -> None:
    cw = SESSION.client("cloudwatch", region_name=REGION)
    since = NOW - datetime.timedelta(hours=3)
    with Stubber(cw) as stub:
        stub.add_response(
            "describe_alarms",
            {
                "MetricAlarms": [
                    _metric_alarm("baseline-dev-a", "ALARM", since),
                    _metric_alarm("baseline-dev-b", "INSUFFICIENT_DATA", since),
                ]
            },
        )
        stub.add_client_error("describe_alarm_history", "AccessDenied", "denied")
        report = alarm_status(cw, stack="dev", now=NOW)
        stub.assert_no_pending_responses()
    assert by_kind(report) == {
        "alarm.unchecked": {f"cloudwatch:DescribeAlarmHistory@{REGION}": "high"},
        "alarm.firing": {"baseline-dev-a": "high"},
        "alarm.insufficient-data": {"baseline-dev-b": "medium"},
    }


def test_no_network_is_an_unchecked_finding() -> None:
    class Offline:
        class meta:
            region_name = REGION

        def get_paginator(self, name: str) -> Any:
            raise EndpointConnectionError(endpoint_url="https://monitoring.us-east-1.amazonaws.com")

    report = alarm_status(Offline(), stack="dev", now=NOW)
    (finding,) = report.findings("p")
    assert finding.kind == "alarm.unchecked" and "EndpointConnectionError" in finding.summary


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="history_hours"):
        alarm_status(object(), stack="dev", history_hours=0)
    with pytest.raises(InputError, match="timezone"):
        alarm_status(object(), stack="dev", now=datetime.datetime(2026, 1, 1))
    with pytest.raises(InputError, match="stack"):
        alarm_status(object(), stack="")


def test_permissions_are_granted_to_the_personas_that_run_it() -> None:
    for function, actions in alarms.PERMISSIONS.items():
        for name in alarms.PERSONAS[function]:
            missing = [a for a in actions if not _allowed(name, a)]
            assert missing == [], f"{name} lacks {missing} for {function}"


def _allowed(persona_name: str, action: str) -> bool:
    for statement in persona(persona_name).iam_statements():
        if statement["Effect"] != "Allow":
            continue
        patterns = statement["Action"]
        patterns = [patterns] if isinstance(patterns, str) else patterns
        if any(fnmatch.fnmatchcase(action.lower(), p.lower()) for p in patterns):
            return True
    return False


# ---------------------------------------------------------------- rendering


def _big_report() -> AlarmReport:
    states = tuple(
        alarms.AlarmState(
            name=f"baseline-dev-observability-{'page' if i % 5 == 1 else 'alarm'}-{i}",
            arn="",
            alarm_type="metric",
            state="ALARM" if i % 3 else "INSUFFICIENT_DATA",
            reason="Threshold Crossed: 3 datapoints were greater than the threshold (80.0)",
            since=(NOW - datetime.timedelta(minutes=7 * i)).isoformat(),
            actions_enabled=True,
            description=f"[dev] alarm {i}: do the thing",
            watches="AWS/RDS CPUUtilization DBInstanceIdentifier=baseline-dev",
            history=(alarms.HistoryItem(NOW.isoformat(), "Alarm updated from OK to ALARM"),),
            transitions_to_alarm=i,
        )
        for i in range(40)
    )
    return AlarmReport("dev", "baseline-dev-", REGION, NOW.isoformat(), 24, 60, states)


BIG = _big_report()


def test_render_everything_without_a_budget() -> None:
    text = render(BIG)
    assert all(a.name in text for a in BIG.alarms)
    assert text.index("[CRITICAL]") < text.index("[HIGH]") < text.index("[MEDIUM]")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(min_value=0, max_value=1500))
def test_render_never_exceeds_the_budget(budget: int) -> None:
    try:
        text = render(BIG, budget)
    except BudgetError:
        return
    assert count(text) <= budget, (budget, count(text))

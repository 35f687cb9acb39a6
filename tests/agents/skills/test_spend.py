"""`spend_report`: weekly spend per service under the stack's cost-allocation tag, week-over-week
growth and the anomalies of the stack's monitor, as findings and a budgeted report.

moto implements `GetCostAndUsage` as a queue of canned results (set through its
`/moto-api/static/ce/cost-and-usage-results` endpoint; it ignores the filter, grouping and
dates), so one test reads costs (across pages) from moto. moto implements neither
`GetAnomalyMonitors` nor `GetAnomalies`: those are served by a `botocore.stub.Stubber` on a
second client (the `Split` client routes each call), and the exact cost query (the tag filter,
the grouping, the dates) and the errors are checked with a `Stubber`.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from typing import Any

import boto3
import pytest
import requests
from botocore.stub import ANY, Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from agents import InputError
from agents.skills import spend
from agents.skills.spend import SpendReport, render, spend_report
from agents.skills.tokens import BudgetError, count
from baseline.personas import persona

NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)
START = datetime.date(2026, 11, 1)  # 4 weeks before 2026-11-29
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
MONITOR = "arn:aws:ce::123456789012:anomalymonitor/dev-1"
PROD_MONITOR = "arn:aws:ce::123456789012:anomalymonitor/prod-1"

WEEKLY: dict[str, list[float]] = {
    "Amazon Elastic Compute Cloud - Compute": [70, 70, 70, 70],  # flat
    "Amazon Relational Database Service": [35, 35, 35, 70],  # doubled: high
    "Amazon Virtual Private Cloud": [70, 70, 70, 87.5],  # +25 %: medium
    "AWS Key Management Service": [0, 0, 0, 14],  # new: high
    "Amazon Simple Storage Service": [70, 70, 70, 80.5],  # +15 %: below the ratio
    "AmazonCloudWatch": [1, 1, 1, 9.1],  # grew, but under $10
}


class Split:
    """A client whose `operations` go to a stubbed client, the rest to moto's."""

    def __init__(self, real: Any, stubbed: Any, operations: set[str]) -> None:
        self.real, self.stubbed, self.operations = real, stubbed, operations
        self.meta = real.meta

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stubbed if name in self.operations else self.real, name)


def days(weekly: dict[str, list[float]], first: int = 0, last: int = 28) -> list[dict[str, Any]]:
    """`ResultsByTime` for days `first` to `last` (exclusive) from START: each service costs a
    seventh of its week's amount every day of that week."""
    out = []
    for d in range(first, last):
        day = START + datetime.timedelta(days=d)
        out.append(
            {
                "TimePeriod": {
                    "Start": day.isoformat(),
                    "End": (day + datetime.timedelta(days=1)).isoformat(),
                },
                "Total": {},
                "Groups": [
                    {
                        "Keys": [service],
                        "Metrics": {
                            "UnblendedCost": {"Amount": str(amounts[d // 7] / 7), "Unit": "USD"}
                        },
                    }
                    for service, amounts in weekly.items()
                    if amounts[d // 7]
                ],
                "Estimated": d >= 26,
            }
        )
    return out


def monitors() -> dict[str, Any]:
    return {
        "AnomalyMonitors": [
            {
                "MonitorArn": MONITOR,
                "MonitorName": "baseline-dev-observability-cost",
                "MonitorType": "CUSTOM",
            },
            {
                "MonitorArn": PROD_MONITOR,
                "MonitorName": "baseline-prod-observability-cost",
                "MonitorType": "CUSTOM",
                "MonitorSpecification": {
                    "Tags": {"Key": "stack", "Values": ["prod"], "MatchOptions": ["EQUALS"]}
                },
            },
        ]
    }


def anomaly(anomaly_id: str, impact: float, feedback: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AnomalyId": anomaly_id,
        "AnomalyStartDate": "2026-11-20",
        "AnomalyScore": {"MaxScore": 0.9, "CurrentScore": 0.5},
        "Impact": {
            "MaxImpact": impact / 2,
            "TotalImpact": impact,
            "TotalActualSpend": impact + 10,
            "TotalExpectedSpend": 10,
            "TotalImpactPercentage": impact * 10,
        },
        "MonitorArn": MONITOR,
        "RootCauses": [
            {
                "Service": "Amazon Relational Database Service",
                "Region": "us-east-1",
                "UsageType": "InstanceUsage:db.r7g.large",
                "Impact": {"Contribution": impact},
            }
        ],
    }
    if feedback:
        out["Feedback"] = feedback
    return out


ANOMALIES = [
    anomaly("a-critical", 1500),
    anomaly("a-high", 300),
    anomaly("a-medium", 60),
    anomaly("a-low", 5),
    anomaly("a-planned", 400, "PLANNED_ACTIVITY"),
]


def serve_anomalies(stub: Stubber, anomalies: list[dict[str, Any]]) -> None:
    stub.add_response("get_anomaly_monitors", monitors(), {})
    stub.add_response(
        "get_anomalies",
        {"Anomalies": anomalies},
        {
            "MonitorArn": MONITOR,
            "DateInterval": {"StartDate": "2026-11-01", "EndDate": "2026-11-29"},
        },
    )


def by_kind(report: SpendReport) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in report.findings("cost-optimizer"):
        out.setdefault(f.kind, {})[f.resource] = f.severity
    return out


GROWTH = {
    "Amazon Relational Database Service": "high",
    "Amazon Virtual Private Cloud": "medium",
    "AWS Key Management Service": "high",
}


@mock_aws
def test_costs_from_moto_across_pages_and_anomalies() -> None:
    pages: list[dict[str, Any]] = [
        {"ResultsByTime": days(WEEKLY, 0, 14), "NextPageToken": "p2"},
        {"ResultsByTime": days(WEEKLY, 14, 28)},
    ]
    answer = requests.post(
        "http://motoapi.amazonaws.com/moto-api/static/ce/cost-and-usage-results",
        json={"results": pages},
        timeout=5,
    )
    assert answer.status_code == 201, answer.text
    real = SESSION.client("ce", region_name="us-east-1")
    stubbed = SESSION.client("ce", region_name="us-east-1")
    with Stubber(stubbed) as stub:
        serve_anomalies(stub, ANOMALIES)
        report = spend_report(
            Split(real, stubbed, {"get_anomaly_monitors", "get_anomalies"}), stack="dev", now=NOW
        )
        stub.assert_no_pending_responses()
    assert by_kind(report) == {
        "spend.growth": GROWTH,
        "spend.anomaly": {
            "a-critical": "critical",
            "a-high": "high",
            "a-medium": "medium",
            "a-low": "low",
            "a-planned": "info",
        },
    }
    assert report.week_starts == ("2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22")
    assert report.weekly_totals()[-1] == pytest.approx(331.1, abs=0.01)
    assert report.services[0].service == "Amazon Virtual Private Cloud"  # dearest last week
    assert report.estimated and report.monitors == (MONITOR,)
    growth = next(f for f in report.findings("p") if f.resource == "Amazon Virtual Private Cloud")
    assert "+25%" in growth.summary and growth.evidence["weekly"] == [70, 70, 70, 87.5]
    assert set(report.checked) == {*spend.COST_KINDS, *spend.ANOMALY_KINDS}
    json.dumps(report.to_json())  # plain JSON


def test_the_cost_query_filters_on_the_stack_tag() -> None:
    ce = SESSION.client("ce", region_name="us-east-1")
    query = {
        "TimePeriod": {"Start": "2026-11-15", "End": "2026-11-29"},
        "Granularity": "DAILY",
        "Metrics": ["UnblendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "Filter": {"Tags": {"Key": "stack", "Values": ["dev"], "MatchOptions": ["EQUALS"]}},
    }
    two_weeks = {s: w[2:] for s, w in WEEKLY.items()}
    with Stubber(ce) as stub:
        stub.add_response(
            "get_cost_and_usage",
            {"ResultsByTime": _shift(two_weeks, 0, 7), "NextPageToken": "t"},
            query,
        )
        stub.add_response(
            "get_cost_and_usage",
            {"ResultsByTime": _shift(two_weeks, 7, 14)},
            {**query, "NextPageToken": "t"},
        )
        stub.add_response(
            "get_anomalies", {"Anomalies": []}, {"MonitorArn": MONITOR, "DateInterval": ANY}
        )
        report = spend_report(ce, stack="dev", weeks=2, now=NOW, monitor_arn=MONITOR)
        stub.assert_no_pending_responses()
    assert by_kind(report) == {"spend.growth": GROWTH}


def _shift(weekly: dict[str, list[float]], first: int, last: int) -> list[dict[str, Any]]:
    """Days `first` to `last` of a two-week window starting 2026-11-15."""
    return days({s: [0, 0, *w] for s, w in weekly.items()}, 14 + first, 14 + last)


def test_no_tagged_cost_and_no_monitor() -> None:
    ce = SESSION.client("ce", region_name="us-east-1")
    with Stubber(ce) as stub:
        stub.add_response("get_cost_and_usage", {"ResultsByTime": days({}, 0, 28)})
        stub.add_response("get_anomaly_monitors", {"AnomalyMonitors": []})
        report = spend_report(ce, stack="dev", now=NOW)
    assert by_kind(report) == {
        "spend.no-data": {"stack=dev": "medium"},
        "spend.no-anomaly-monitor": {"stack=dev": "medium"},
    }


def test_monitor_found_by_its_tag_and_monitors_across_pages() -> None:
    ce = SESSION.client("ce", region_name="us-east-1")
    custom = {
        "MonitorArn": MONITOR,
        "MonitorName": "renamed",
        "MonitorType": "CUSTOM",
        "MonitorSpecification": {"Tags": {"Key": "stack", "Values": ["dev"]}},
    }
    with Stubber(ce) as stub:
        stub.add_response("get_cost_and_usage", {"ResultsByTime": days(WEEKLY)})
        stub.add_response("get_anomaly_monitors", {**monitors(), "NextPageToken": "m2"})
        stub.add_response(
            "get_anomaly_monitors", {"AnomalyMonitors": [custom]}, {"NextPageToken": "m2"}
        )
        for _ in range(2):  # the named monitor and the tagged one
            stub.add_response("get_anomalies", {"Anomalies": []})
        report = spend_report(ce, stack="dev", now=NOW)
        stub.assert_no_pending_responses()
    assert report.monitors == (MONITOR, MONITOR)


@pytest.mark.parametrize("code", ["AccessDeniedException", "LimitExceededException"])
def test_costs_denied_is_unchecked(code: str) -> None:
    ce = SESSION.client("ce", region_name="us-east-1")
    with Stubber(ce) as stub:
        stub.add_client_error("get_cost_and_usage", code, "no")
        serve_anomalies(stub, [])
        report = spend_report(ce, stack="dev", now=NOW)
    (finding,) = report.findings("cost-optimizer")
    assert (finding.kind, finding.severity) == ("spend.unchecked", "high")
    # Cost Explorer's client names its global endpoint's region
    assert code in finding.summary and "GetCostAndUsage in aws-global" in finding.summary
    assert set(report.checked) == set(spend.ANOMALY_KINDS), "growth findings must stay open"


def test_anomalies_denied_is_unchecked() -> None:
    ce = SESSION.client("ce", region_name="us-east-1")
    with Stubber(ce) as stub:
        stub.add_response("get_cost_and_usage", {"ResultsByTime": days(WEEKLY)})
        stub.add_response("get_anomaly_monitors", monitors())
        stub.add_client_error("get_anomalies", "AccessDeniedException", "no")
        report = spend_report(ce, stack="dev", now=NOW)
    assert by_kind(report) == {
        "spend.unchecked": {"ce:GetAnomalies@aws-global": "high"},
        "spend.growth": GROWTH,
    }
    assert set(report.checked) == set(spend.COST_KINDS)


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="weeks"):
        spend_report(object(), stack="dev", weeks=1)
    with pytest.raises(InputError, match="weeks"):
        spend_report(object(), stack="dev", weeks=53)
    with pytest.raises(InputError, match="stack"):
        spend_report(object(), stack="")


def test_permissions_are_granted_to_the_cost_optimizer() -> None:
    for function, actions in spend.PERMISSIONS.items():
        for name in spend.PERSONAS[function]:
            granted = [
                a
                for s in persona(name).iam_statements()
                if s["Effect"] == "Allow"
                for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            ]
            missing = [a for a in actions if not any(fnmatch.fnmatchcase(a, g) for g in granted)]
            assert missing == [], f"{name} lacks {missing} for {function}"


# ---------------------------------------------------------------- rendering


def _big_report() -> SpendReport:
    services = tuple(
        spend.ServiceSpend(f"Service {i}", (10.0 * i, 11.0 * i, 15.0 * i, 20.0 * i))
        for i in range(40)
    )
    anomalies = tuple(spend._anomaly(anomaly(f"a-{i}", 60.0 * i)) for i in range(20))
    return SpendReport(
        stack="dev",
        tag="stack=dev",
        region="us-east-1",
        checked_at=NOW.isoformat(),
        week_starts=("2026-11-01", "2026-11-08", "2026-11-15", "2026-11-22"),
        end="2026-11-29",
        currency="USD",
        services=services[::-1],
        estimated=True,
        monitors=(MONITOR,),
        anomalies=anomalies,
    )


BIG = _big_report()


def test_render_ranks_the_worst_first() -> None:
    text = render(BIG)
    assert text.index("[CRITICAL]") < text.index("[HIGH]") < text.index("[MEDIUM]")
    assert "+25 cheaper services" in text


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(min_value=0, max_value=3000))
def test_render_never_exceeds_the_budget(budget: int) -> None:
    try:
        text = render(BIG, budget)
    except BudgetError:
        return
    assert count(text) <= budget, (budget, count(text))


def test_a_service_that_never_stops_paging_is_unchecked() -> None:
    class Endless:
        class meta:
            region_name = "aws-global"

        def get_cost_and_usage(self, **_: Any) -> dict[str, Any]:
            return {"ResultsByTime": [], "NextPageToken": "again"}

        def get_anomalies(self, **_: Any) -> dict[str, Any]:
            return {"Anomalies": []}

    report = spend_report(Endless(), stack="dev", now=NOW, monitor_arn=MONITOR)
    (finding,) = report.findings("p")
    assert finding.kind == "spend.unchecked" and "TooManyPages" in finding.summary

"""SLOs: the burn-rate math (pure), the alarms and composite alarms, the routing of pages and
tickets, and the policy gate on all of it."""

import json
from pathlib import Path

import pulumi
import pulumi_aws as aws
import pytest

from components.slo import (
    BURN_RATE_WINDOWS,
    CLOUDWATCH_READ_ONLY,
    Slo,
    SloArgs,
    SloError,
    SloSpec,
    burn_rate,
    error_budget_remaining,
    error_rate_threshold,
    firing,
    page_rule,
    sli_queries,
    window_alarm_shape,
)
from tests.conftest import one, plan, run_component
from toolchain.export import Resource, StackExport, is_secret
from toolchain.gate import run_gate
from toolchain.plan import PlanError

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
CHATBOT = "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
ROLE = "aws:iam/role:Role"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

TICKETS = "arn:aws:sns:us-east-1:123456789012:baseline-dev-observability-alerts"
KEY = "arn:aws:kms:us-east-1:123456789012:key/alerts"
PAGERDUTY = "https://events.pagerduty.com/integration/abc123/enqueue"
SLOS = [SloSpec("agent-passes", 0.999), SloSpec("eks-api", 0.999), SloSpec("database", 0.9995)]


# --- the math, without Pulumi ---


def test_thresholds_are_factor_times_the_error_budget():
    assert error_rate_threshold(0.999, 14.4) == 0.0144
    assert error_rate_threshold(0.999, 6) == 0.006
    assert error_rate_threshold(0.999, 1) == 0.001
    assert error_rate_threshold(0.9995, 14.4) == 0.0072


def test_windows_and_factors_follow_the_sre_workbook():
    got = [(w.severity, w.long_seconds, w.short_seconds, w.factor) for w in BURN_RATE_WINDOWS]
    assert got == [
        ("page", 3600, 300, 14.4),
        ("page", 21600, 1800, 6.0),
        ("ticket", 259200, 21600, 1.0),
    ]


def test_each_window_is_one_period_within_cloudwatch_limits():
    assert window_alarm_shape(300) == (300, 1)
    assert window_alarm_shape(3 * 86400) == (259200, 1)  # a 1 h+ period: up to 7 days
    with pytest.raises(SloError, match="evaluation range"):
        window_alarm_shape(8 * 86400)
    with pytest.raises(SloError, match="multiple of 60"):
        window_alarm_shape(90)


def test_a_bad_target_or_sli_is_refused():
    with pytest.raises(SloError, match="target"):
        SloSpec("eks-api", 1.0)
    with pytest.raises(SloError, match="unknown SLI"):
        SloSpec("latency", 0.99)


def test_burn_rate_and_budget_left():
    assert burn_rate(1, 1000, 0.999) == pytest.approx(1.0)
    assert burn_rate(0, 0, 0.999) == 0
    assert error_budget_remaining(0.999, 5, 10000) == pytest.approx(0.5)


def series(minutes: int, error_rate: float, per_minute: float = 1000.0):
    return [(error_rate * per_minute, per_minute)] * minutes


THREE_DAYS = 3 * 24 * 60


def test_a_fast_burn_pages_on_the_1h_pair():
    # A quiet history, then 1 h at 2 % errors (20x the 0.1 % budget).
    fired = firing(0.999, series(THREE_DAYS - 60, 0.0) + series(60, 0.02))
    assert fired == {("page", "1h-5m"): True, ("page", "6h-30m"): False, ("ticket", "3d-6h"): False}


def test_a_recovered_fast_burn_stops_paging_through_its_short_window():
    # The same hour of errors, then 10 quiet minutes: the 1 h window still burns, the 5 m not.
    fired = firing(0.999, series(THREE_DAYS - 70, 0.0) + series(60, 0.02) + series(10, 0.0))
    assert fired[("page", "1h-5m")] is False


def test_a_slow_burn_pages_on_the_6h_pair():
    fired = firing(0.999, series(THREE_DAYS - 360, 0.0) + series(360, 0.008))
    assert fired == {("page", "1h-5m"): False, ("page", "6h-30m"): True, ("ticket", "3d-6h"): False}


def test_a_steady_overspend_raises_a_ticket_only():
    fired = firing(0.999, series(THREE_DAYS, 0.0015))
    assert fired == {("page", "1h-5m"): False, ("page", "6h-30m"): False, ("ticket", "3d-6h"): True}


def test_within_budget_nothing_fires():
    assert not any(firing(0.999, series(THREE_DAYS, 0.0009)).values())


def test_page_rule_ands_each_pair_and_ors_the_pairs():
    assert page_rule([("a", "b"), ("c", "d")]) == (
        '(ALARM("a") AND ALARM("b")) OR (ALARM("c") AND ALARM("d"))'
    )


def test_slis_stay_within_ten_metrics_and_return_one_series():
    for sli in ("agent-passes", "eks-api", "database"):
        qs = sli_queries(sli, 3600, "dev", "baseline-dev", "baseline-dev")
        assert sum(1 for q in qs if "metric" in q) <= 10
        assert [q["id"] for q in qs if q["return_data"]] == ["error_rate"]


def test_agent_sli_reads_the_stack_rollup_of_pass_counts():
    qs = sli_queries("agent-passes", 300, "prod", None, None)
    metrics = {q["metric"]["metric_name"]: q["metric"] for q in qs if "metric" in q}
    assert set(metrics) == {"PassSucceeded", "PassFailed"}
    assert all(m["namespace"] == "Baseline/Agents" for m in metrics.values())
    assert all(m["dimensions"] == {"Stack": "prod"} for m in metrics.values())


# --- the component under the mocks ---


def slo(**overrides) -> StackExport:
    def program():
        provider = aws.Provider(
            "aws",
            region="us-east-1",
            default_tags=aws.ProviderDefaultTagsArgs(
                tags={"project": "baseline", "stack": "dev", "owner": "o", "cost-center": "c"}
            ),
        )
        args = {
            "stack": "dev",
            "region": "us-east-1",
            "account_id": "123456789012",
            "slos": SLOS,
            "ticket_topic_arn": TICKETS,
            "topic_kms_key_arn": KEY,
            "cluster_name": "baseline-dev",
            "db_instance_identifier": "baseline-dev",
            **overrides,
        }
        c = Slo("slo", SloArgs(**args), pulumi.ResourceOptions(providers=[provider]))
        return {"pageAlarmNames": c.page_alarm_names}

    return run_component(program)


@pytest.fixture(scope="module")
def routed() -> StackExport:
    return slo(
        pagerduty_integration_url=PAGERDUTY,  # the component marks it secret
        slack_team_id="T0123ABCD",
        slack_channel_id="C0123ABCD",
    )


@pytest.fixture(scope="module")
def unrouted() -> StackExport:
    return slo()


def by_name(export: StackExport, type_token: str) -> dict[str, Resource]:
    return {r.name: r for r in export.of_type(type_token)}


def test_six_window_alarms_per_slo_with_thresholds_from_the_target(unrouted):
    alarms = by_name(unrouted, ALARM)
    assert len(alarms) == 18
    expected = {
        "slo-database-1h-14.4x": (0.0072, 3600),
        "slo-database-5m-14.4x": (0.0072, 300),
        "slo-eks-api-6h-6x": (0.006, 21600),
        "slo-eks-api-30m-6x": (0.006, 1800),
        "slo-agent-passes-3d-1x": (0.001, 259200),
        "slo-agent-passes-6h-1x": (0.001, 21600),
    }
    for name, (threshold, period) in expected.items():
        a = alarms[name]
        assert a.inputs["threshold"] == pytest.approx(threshold), a.urn
        assert a.inputs["evaluationPeriods"] == 1, a.urn
        periods = {q["metric"]["period"] for q in a.inputs["metricQueries"] if q.get("metric")}
        assert periods == {period}, a.urn
        assert not a.inputs.get("alarmActions"), f"{a.urn} acts only through its composite"


def test_one_page_and_one_ticket_composite_per_slo(unrouted):
    composites = by_name(unrouted, COMPOSITE)
    assert sorted(composites) == sorted(
        f"slo-{s}-{sev}"
        for s in ("agent-passes", "eks-api", "database")
        for sev in ("page", "ticket")
    )
    page = composites["slo-eks-api-page"].inputs["alarmRule"]
    assert page == (
        '(ALARM("baseline-dev-slo-eks-api-1h-14.4x") AND '
        'ALARM("baseline-dev-slo-eks-api-5m-14.4x")) OR '
        '(ALARM("baseline-dev-slo-eks-api-6h-6x") AND '
        'ALARM("baseline-dev-slo-eks-api-30m-6x"))'
    )
    ticket = composites["slo-eks-api-ticket"].inputs["alarmRule"]
    assert ticket == (
        '(ALARM("baseline-dev-slo-eks-api-3d-1x") AND ALARM("baseline-dev-slo-eks-api-6h-1x"))'
    )


def test_without_routes_no_page_topic_and_pages_fall_back_to_the_ticket_topic(unrouted):
    assert not unrouted.of_type(TOPIC)
    assert not unrouted.of_type(SUBSCRIPTION)
    assert not unrouted.of_type(CHATBOT)
    for c in unrouted.of_type(COMPOSITE):
        assert c.inputs["alarmActions"] == [TICKETS], c.urn


def test_routed_pages_go_to_the_encrypted_page_topic_and_tickets_to_email(routed):
    topic = one(routed, TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == KEY
    for name, c in by_name(routed, COMPOSITE).items():
        if name.endswith("-page"):
            assert c.inputs["alarmActions"] != [TICKETS], c.urn
        else:
            assert c.inputs["alarmActions"] == [TICKETS], c.urn


def test_pagerduty_subscription_is_https_and_its_url_a_secret(routed):
    sub = one(routed, SUBSCRIPTION)
    assert sub.inputs["protocol"] == "https"
    assert is_secret(sub.inputs["endpoint"]), f"{sub.urn}: the integration URL is in clear"
    assert PAGERDUTY not in json.dumps(sub.inputs), sub.urn


def test_chatbot_is_read_only_on_cloudwatch(routed):
    bot = one(routed, CHATBOT)
    assert bot.inputs["guardrailPolicyArns"] == [CLOUDWATCH_READ_ONLY]
    attachment = one(routed, ATTACHMENT)
    assert attachment.inputs["policyArn"] == CLOUDWATCH_READ_ONLY
    trust = json.loads(one(routed, ROLE).inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "chatbot.amazonaws.com"}


def test_budget_dashboard_has_a_row_per_slo(unrouted):
    body = json.loads(one(unrouted, DASHBOARD).inputs["dashboardBody"])
    titles = [w["properties"].get("title", "") for w in body["widgets"]]
    assert sum("error budget left" in t for t in titles) == 3


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_routed_slos_pass_both_policy_packs(routed, stack, tmp_path):
    # The component alone: its ticket topic is made by another component, so the stack's policy
    # config is given that topic's ARN as an allowed alarm action, as a user would for a topic
    # of their own.
    for pack in ("security", "cost"):
        config = json.loads((Path("policies/config") / stack / f"{pack}.json").read_text())
        if pack == "security":
            config["alarm-actions-routed"] = {"allowedActionArns": [TICKETS]}
        (tmp_path / f"{pack}.json").write_text(json.dumps(config))
    gate = run_gate(routed, tmp_path)
    # Stack-level rules (prod's trail) judge the whole stack, not this component.
    on_resources = [v for v in gate.mandatory if "::slo" in v.urn]
    assert not on_resources, [(v.urn, v.message) for v in on_resources]


# --- config and program ---


def test_stacks_get_the_default_slos_and_no_routes(dev):
    composites = {r.name for r in dev.of_type(COMPOSITE)}
    assert "slo-agent-passes-page" in composites
    assert not any(r.type == CHATBOT for r in dev.resources)


def test_a_pagerduty_url_in_clear_is_refused():
    with pytest.raises(PlanError, match=r"pagerdutyIntegrationUrl.*secret"):
        plan("dev", pagerdutyIntegrationUrl=PAGERDUTY)


def test_a_pagerduty_url_must_be_https():
    with pytest.raises(PlanError, match="pagerdutyIntegrationUrl"):
        plan("dev", pagerdutyIntegrationUrl="http://events.pagerduty.com/x")


def test_slack_ids_come_in_pairs():
    with pytest.raises(PlanError, match="slackChannelId"):
        plan("dev", slackTeamId="T0123ABCD")


def test_slack_route_in_a_stack_adds_a_read_only_chatbot():
    export = plan("dev", slackTeamId="T0123ABCD", slackChannelId="C0123ABCD")
    assert one(export, CHATBOT).inputs["slackChannelId"] == "C0123ABCD"

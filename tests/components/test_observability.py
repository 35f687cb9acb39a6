"""Observability: the encrypted alert topic, alarms on the database, cluster and NAT gateways,
the dashboard, the stack's budget and its cost anomaly monitor."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.observability import (
    ALERT_SERVICES,
    Observability,
    ObservabilityArgs,
    budget_notification_plan,
    dashboard_body,
    free_storage_threshold_bytes,
)
from tests.conftest import one, run_component
from toolchain.export import Resource, StackExport

KEY = "aws:kms/key:Key"
TOPIC = "aws:sns/topic:Topic"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
BUDGET = "aws:budgets/budget:Budget"
MONITOR = "aws:costexplorer/anomalyMonitor:AnomalyMonitor"
ANOMALY_SUBSCRIPTION = "aws:costexplorer/anomalySubscription:AnomalySubscription"

ACCOUNT = "123456789012"
EMAILS = ["oncall@example.com", "platform@example.com"]
DB = "baseline-dev-db"
CLUSTER = "baseline-dev-eks"
NATS = ["nat-0aaaaaaaaaaaaaaa1", "nat-0bbbbbbbbbbbbbbb2"]
GIB = 1024**3


def observability(**overrides) -> StackExport:
    def program():
        provider = aws.Provider("aws", region="us-east-1")
        args = {
            "stack": "dev",
            "region": "us-east-1",
            "account_id": ACCOUNT,
            "alert_emails": EMAILS,
            "monthly_budget_usd": 600,
            "budget_alert_thresholds": [50, 80, 100],
            "cost_anomaly_threshold_usd": 25,
            "db_instance_identifier": DB,
            "db_allocated_storage_gb": 20,
            "cluster_name": CLUSTER,
            "nat_gateway_ids": NATS,
            **overrides,
        }
        obs = Observability(
            "observability", ObservabilityArgs(**args), pulumi.ResourceOptions(providers=[provider])
        )
        return {
            "alertTopicArn": obs.alert_topic_arn,
            "dashboardName": obs.dashboard_name,
            "budgetName": obs.budget_name,
        }

    return run_component(program)


@pytest.fixture(scope="module")
def full() -> StackExport:
    return observability()


@pytest.fixture(scope="module")
def bare() -> StackExport:
    """Before the database and the cluster exist: no identifiers, one NAT gateway."""
    return observability(db_instance_identifier=None, cluster_name=None, nat_gateway_ids=NATS[:1])


def topic_arn(export: StackExport) -> str:
    return one(export, TOPIC).outputs["arn"]


def alarms_by_metric(export: StackExport) -> dict[str, list[Resource]]:
    """Alarms by the metrics they read (top-level metric or the metrics of a metric-math query)."""
    found: dict[str, list[Resource]] = {}
    for alarm in export.of_type(ALARM):
        metrics = [alarm.inputs.get("metricName")] + [
            q["metric"]["metricName"]
            for q in alarm.inputs.get("metricQueries", [])
            if "metric" in q
        ]
        for metric in filter(None, metrics):
            found.setdefault(metric, []).append(alarm)
    return found


def the_alarm(export: StackExport, metric: str) -> Resource:
    alarms = alarms_by_metric(export).get(metric, [])
    assert len(alarms) == 1, f"expected one alarm on {metric}, found {[a.urn for a in alarms]}"
    return alarms[0]


def dimensions(alarm: Resource) -> list[dict]:
    if "dimensions" in alarm.inputs:
        return [alarm.inputs["dimensions"]]
    return [q["metric"]["dimensions"] for q in alarm.inputs["metricQueries"] if "metric" in q]


# -- pure functions -----------------------------------------------------------------------------


def test_free_storage_threshold_is_a_tenth_of_the_allocated_gib():
    assert free_storage_threshold_bytes(20) == 2 * GIB
    assert free_storage_threshold_bytes(100) == 10 * GIB


def test_free_storage_threshold_needs_storage():
    with pytest.raises(ValueError, match="positive"):
        free_storage_threshold_bytes(0)


def test_budget_plan_is_actual_per_threshold_and_forecast_at_100():
    assert budget_notification_plan([100, 80, 80]) == [
        ("ACTUAL", 80),
        ("ACTUAL", 100),
        ("FORECASTED", 100),
    ]


def test_budget_plan_needs_a_threshold():
    with pytest.raises(ValueError, match="at least one"):
        budget_notification_plan([])


def test_dashboard_without_parts_is_a_title_only():
    body = json.loads(dashboard_body("dev", "us-east-1", None, None, []))
    assert [w["type"] for w in body["widgets"]] == ["text"]


# -- alert topic --------------------------------------------------------------------------------


def test_alert_topic_is_encrypted_with_its_own_rotating_key(full):
    key, topic = one(full, KEY), one(full, TOPIC)
    assert topic.inputs["kmsMasterKeyId"] == key.outputs["arn"], topic.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn


def test_key_policy_lets_the_account_administer_and_the_alert_services_encrypt(full):
    key = one(full, KEY)
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    admin = statements["AccountAdministers"]
    assert admin["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, key.urn
    services = statements["AlertServicesEncrypt"]
    assert set(services["Principal"]["Service"]) == set(ALERT_SERVICES), key.urn
    assert set(services["Action"]) == {"kms:GenerateDataKey*", "kms:Decrypt"}, key.urn


def test_topic_policy_lets_the_alert_services_publish_for_this_account_only(full):
    policy = one(full, TOPIC_POLICY)
    assert policy.inputs["arn"] == topic_arn(full), policy.urn
    statements = {s["Sid"]: s for s in json.loads(policy.inputs["policy"])["Statement"]}
    publish = statements["AlertServicesPublish"]
    assert set(publish["Principal"]["Service"]) == set(ALERT_SERVICES), policy.urn
    assert publish["Action"] == "sns:Publish", policy.urn
    assert publish["Resource"] == topic_arn(full), policy.urn
    assert publish["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}, policy.urn


def test_one_email_subscription_per_address(full):
    subs = full.of_type(SUBSCRIPTION)
    assert sorted(s.inputs["endpoint"] for s in subs) == sorted(EMAILS)
    for sub in subs:
        assert sub.inputs["protocol"] == "email", sub.urn
        assert sub.inputs["topic"] == topic_arn(full), sub.urn


# -- alarms -------------------------------------------------------------------------------------


def test_every_alarm_alerts_and_recovers_through_the_topic(full):
    for alarm in full.of_type(ALARM):
        assert alarm.inputs["alarmActions"] == [topic_arn(full)], alarm.urn
        assert alarm.inputs["okActions"] == [topic_arn(full)], alarm.urn


def test_database_cpu_above_80_percent_for_15_minutes(full):
    alarm = the_alarm(full, "CPUUtilization")
    i = alarm.inputs
    assert (i["namespace"], i["dimensions"]) == ("AWS/RDS", {"DBInstanceIdentifier": DB}), alarm.urn
    assert (i["comparisonOperator"], i["threshold"]) == ("GreaterThanThreshold", 80), alarm.urn
    assert i["period"] * i["evaluationPeriods"] == 15 * 60, alarm.urn


def test_database_free_storage_below_a_tenth_of_the_allocation(full):
    alarm = the_alarm(full, "FreeStorageSpace")
    i = alarm.inputs
    assert i["dimensions"] == {"DBInstanceIdentifier": DB}, alarm.urn
    assert (i["comparisonOperator"], i["threshold"]) == ("LessThanThreshold", 2 * GIB), alarm.urn


def test_database_freeable_memory_below_256_mib(full):
    alarm = the_alarm(full, "FreeableMemory")
    i = alarm.inputs
    assert i["dimensions"] == {"DBInstanceIdentifier": DB}, alarm.urn
    assert (i["comparisonOperator"], i["threshold"]) == ("LessThanThreshold", 256 * 1024**2), (
        alarm.urn
    )


def test_cluster_alarms_read_the_control_plane_metrics_eks_publishes(full):
    for metric in ("apiserver_request_total_5XX", "scheduler_pending_pods_UNSCHEDULABLE"):
        alarm = the_alarm(full, metric)
        assert alarm.inputs["namespace"] == "AWS/EKS", alarm.urn
        assert alarm.inputs["dimensions"] == {"ClusterName": CLUSTER}, alarm.urn


def test_event_count_alarms_treat_missing_data_as_not_breaching(full):
    by_metric = alarms_by_metric(full)
    for metric in ("apiserver_request_total_5XX", "ErrorPortAllocation", "PacketsDropCount"):
        for alarm in by_metric[metric]:
            assert alarm.inputs["treatMissingData"] == "notBreaching", alarm.urn


def test_nat_alarms_one_of_each_per_gateway(full):
    by_metric = alarms_by_metric(full)
    for metric in ("ErrorPortAllocation", "PacketsDropCount"):
        alarms = by_metric[metric]
        gateways = sorted(d["NatGatewayId"] for a in alarms for d in dimensions(a)[:1])
        assert gateways == sorted(NATS), [a.urn for a in alarms]


def test_nat_port_allocation_alarms_on_any_error(full):
    for alarm in alarms_by_metric(full)["ErrorPortAllocation"]:
        i = alarm.inputs
        assert i["namespace"] == "AWS/NATGateway", alarm.urn
        assert (i["comparisonOperator"], i["threshold"]) == ("GreaterThanThreshold", 0), alarm.urn


def test_nat_packet_drops_alarm_on_their_share_of_traffic(full):
    for alarm in alarms_by_metric(full)["PacketsDropCount"]:
        queries = alarm.inputs["metricQueries"]
        returned = [q for q in queries if q.get("returnData")]
        assert len(returned) == 1 and "drops" in returned[0]["expression"], alarm.urn
        assert len({json.dumps(d, sort_keys=True) for d in dimensions(alarm)}) == 1, alarm.urn
        assert alarm.inputs["threshold"] == 0.01, alarm.urn


def test_no_database_or_cluster_alarms_without_their_identifiers(bare):
    by_metric = alarms_by_metric(bare)
    for metric in (
        "CPUUtilization",
        "FreeStorageSpace",
        "FreeableMemory",
        "apiserver_request_total_5XX",
        "scheduler_pending_pods_UNSCHEDULABLE",
    ):
        assert metric not in by_metric, [a.urn for a in by_metric[metric]]
    assert len(by_metric["ErrorPortAllocation"]) == 1


# -- dashboard ----------------------------------------------------------------------------------


def test_dashboard_body_is_json_naming_the_database_cluster_and_gateways(full):
    dashboard = one(full, DASHBOARD)
    body = json.loads(dashboard.inputs["dashboardBody"])
    named = {
        item
        for widget in body["widgets"]
        for metric in widget["properties"].get("metrics", [])
        for item in metric
    }
    assert {DB, CLUSTER, *NATS} <= named, dashboard.urn
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            assert widget["properties"]["region"] == "us-east-1", dashboard.urn


def test_dashboard_without_database_or_cluster_leaves_them_out(bare):
    dashboard = one(bare, DASHBOARD)
    body = dashboard.inputs["dashboardBody"]
    json.loads(body)
    assert "AWS/RDS" not in body and "AWS/EKS" not in body, dashboard.urn


def test_dashboard_name_is_exported(full):
    assert full.stack_outputs["dashboardName"] == one(full, DASHBOARD).inputs["dashboardName"]


# -- budget and anomalies -----------------------------------------------------------------------


def test_budget_is_a_monthly_cost_limit_in_usd(full):
    budget = one(full, BUDGET)
    i = budget.inputs
    assert (i["budgetType"], i["timeUnit"], i["limitUnit"]) == ("COST", "MONTHLY", "USD"), (
        budget.urn
    )
    assert float(i["limitAmount"]) == 600, budget.urn
    assert full.stack_outputs["budgetName"] == budget.outputs["name"]


def test_budget_is_filtered_to_the_stack_tag(full):
    budget = one(full, BUDGET)
    assert budget.inputs["costFilters"] == [
        {"name": "TagKeyValue", "values": ["user:stack$dev"]}
    ], budget.urn


def test_budget_notifies_at_each_threshold_and_on_forecast(full):
    budget = one(full, BUDGET)
    notifications = budget.inputs["notifications"]
    assert sorted((n["notificationType"], n["threshold"]) for n in notifications) == [
        ("ACTUAL", 50),
        ("ACTUAL", 80),
        ("ACTUAL", 100),
        ("FORECASTED", 100),
    ], budget.urn
    for n in notifications:
        assert n["thresholdType"] == "PERCENTAGE", budget.urn
        assert n["subscriberSnsTopicArns"] == [topic_arn(full)], budget.urn
        assert n["subscriberEmailAddresses"] == EMAILS, budget.urn


def test_anomaly_monitor_is_custom_on_the_stack_tag(full):
    monitor = one(full, MONITOR)
    assert monitor.inputs["monitorType"] == "CUSTOM", monitor.urn
    assert "monitorDimension" not in monitor.inputs, monitor.urn
    spec = json.loads(monitor.inputs["monitorSpecification"])
    assert spec["Tags"]["Key"] == "stack", monitor.urn
    assert spec["Tags"]["Values"] == ["dev"], monitor.urn


def test_anomaly_subscription_alerts_the_topic_at_the_threshold(full):
    sub = one(full, ANOMALY_SUBSCRIPTION)
    i = sub.inputs
    assert i["frequency"] == "IMMEDIATE", sub.urn
    assert i["monitorArnLists"] == [one(full, MONITOR).outputs["arn"]], sub.urn
    assert i["subscribers"] == [{"type": "SNS", "address": topic_arn(full)}], sub.urn
    assert i["thresholdExpression"]["dimension"] == {
        "key": "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
        "matchOptions": ["GREATER_THAN_OR_EQUAL"],
        "values": ["25"],
    }, sub.urn


def test_cost_tag_value_can_differ_from_the_stack():
    export = observability(cost_tag_value="shared", nat_gateway_ids=[])
    budget, monitor = one(export, BUDGET), one(export, MONITOR)
    assert budget.inputs["costFilters"][0]["values"] == ["user:stack$shared"], budget.urn
    assert json.loads(monitor.inputs["monitorSpecification"])["Tags"]["Values"] == ["shared"]


def test_budget_and_anomaly_subscription_wait_for_the_topic_policy(full):
    policy = one(full, TOPIC_POLICY)
    for r in (one(full, BUDGET), one(full, ANOMALY_SUBSCRIPTION)):
        assert policy.urn in r.dependencies, r.urn

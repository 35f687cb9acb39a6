"""Observability and cost controls: one alert topic, the alarms that feed it, a dashboard, a budget
and a cost anomaly monitor, all scoped to one stack.

- Alerts go to an SNS topic encrypted with its own KMS key (rotation on). The key policy lets the
  account administer the key and lets CloudWatch, AWS Budgets and Cost Anomaly Detection use it;
  the topic policy lets those three services publish, only on behalf of this account.
- CloudWatch alarms (alarm and OK actions to the topic) on the database (CPU, free storage, free
  memory), on the EKS control plane metrics EKS publishes for free in `AWS/EKS` (API server 5XX,
  unschedulable pods; no agent needed) and on each NAT gateway (port allocation errors, dropped
  packets as a share of traffic). The database and cluster alarms are left out when their
  identifier is None, so the component can come before them or without them.
- A monthly COST budget filtered to the stack's cost-allocation tag, with an ACTUAL notification
  per threshold and a FORECASTED one at 100 %, sent to the topic and directly to the emails (a
  second path for the money alarm that does not depend on the topic or its key).
- A CUSTOM anomaly monitor on the same tag, with an IMMEDIATE subscription (SNS only) above an
  absolute impact. Not a DIMENSIONAL/SERVICE monitor: AWS allows one of those per account, so a
  dev and a prod stack in the same account would collide, and it would not be scoped to a stack.

The tag filters work once the tag key (`stack`) is activated as a cost allocation tag in the
billing console; that is an account-level, one-time step (the key must first appear in billing
data), so it is not done here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import PACKAGE, child, policy_json

# Services that publish to the alert topic: alarms, budgets, cost anomaly detection.
ALERT_SERVICES = (
    "cloudwatch.amazonaws.com",
    "budgets.amazonaws.com",
    "costalerts.amazonaws.com",
)
GIB = 1024**3
MIB = 1024**2
# API server 5XX answers per five minutes above which the control plane is failing, not blipping.
API_SERVER_5XX_PER_5_MIN = 10


@dataclass(frozen=True)
class ObservabilityArgs:
    stack: str
    region: str  # CloudWatch dashboard metric widgets name their region
    account_id: pulumi.Input[str]
    alert_emails: Sequence[str] = field(default_factory=tuple)
    monthly_budget_usd: int = 1000
    budget_alert_thresholds: Sequence[int] = (80, 100)
    cost_anomaly_threshold_usd: int = 50
    # The cost-allocation tag that marks this stack's resources (the provider's default tags);
    # the value defaults to the stack name.
    cost_tag_key: str = "stack"
    cost_tag_value: str | None = None
    db_instance_identifier: pulumi.Input[str] | None = None
    db_allocated_storage_gb: int = 20
    cluster_name: pulumi.Input[str] | None = None
    nat_gateway_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)


@dataclass(frozen=True)
class AlarmSpec:
    """One single-metric alarm, without its dimensions."""

    role: str  # child name suffix and alarm name suffix
    namespace: str
    metric_name: str
    statistic: str
    comparison_operator: str
    threshold: float
    period: int
    evaluation_periods: int
    treat_missing_data: str
    description: str


def free_storage_threshold_bytes(allocated_storage_gb: int, fraction: float = 0.10) -> int:
    """FreeStorageSpace (bytes) below which the database is nearly full: a fraction of the
    allocated storage (RDS allocates GiB). Storage autoscaling also acts near 10 % free; this
    alarm says it did not, or hit its maximum."""
    if allocated_storage_gb <= 0:
        raise ValueError(f"allocated storage must be positive, got {allocated_storage_gb} GiB")
    return int(allocated_storage_gb * GIB * fraction)


def database_alarms(allocated_storage_gb: int) -> list[AlarmSpec]:
    """Alarms on an RDS instance (dimension DBInstanceIdentifier). Gaps in these gauges (a
    reboot, a failover, a stopped dev instance) are no evidence either way, so missing data keeps
    the alarm's state."""
    return [
        AlarmSpec(
            role="db-cpu",
            namespace="AWS/RDS",
            metric_name="CPUUtilization",
            statistic="Average",
            comparison_operator="GreaterThanThreshold",
            threshold=80,
            period=300,
            evaluation_periods=3,
            treat_missing_data="missing",
            description="Database CPU above 80 % for 15 minutes: find the query, or size up.",
        ),
        AlarmSpec(
            role="db-free-storage",
            namespace="AWS/RDS",
            metric_name="FreeStorageSpace",
            statistic="Minimum",
            comparison_operator="LessThanThreshold",
            threshold=free_storage_threshold_bytes(allocated_storage_gb),
            period=300,
            evaluation_periods=2,
            treat_missing_data="missing",
            description=(
                f"Database free storage below 10 % of {allocated_storage_gb} GiB: check that "
                "storage autoscaling ran and is not at its maximum."
            ),
        ),
        AlarmSpec(
            role="db-freeable-memory",
            namespace="AWS/RDS",
            metric_name="FreeableMemory",
            statistic="Average",
            comparison_operator="LessThanThreshold",
            threshold=256 * MIB,
            period=300,
            evaluation_periods=3,
            treat_missing_data="missing",
            description="Database freeable memory below 256 MiB for 15 minutes: size up.",
        ),
    ]


def cluster_alarms() -> list[AlarmSpec]:
    """Alarms on the EKS control plane metrics EKS publishes itself (Kubernetes 1.28 and later,
    `AWS/EKS`, dimension ClusterName). They count events, so no data means none happened."""
    return [
        AlarmSpec(
            role="cluster-apiserver-5xx",
            namespace="AWS/EKS",
            metric_name="apiserver_request_total_5XX",
            statistic="Sum",
            comparison_operator="GreaterThanThreshold",
            threshold=API_SERVER_5XX_PER_5_MIN,
            period=300,
            evaluation_periods=3,
            treat_missing_data="notBreaching",
            description=(
                f"API server answered more than {API_SERVER_5XX_PER_5_MIN} requests with 5XX "
                "in each of 3 five-minute periods: check webhooks and the control plane health."
            ),
        ),
        AlarmSpec(
            role="cluster-unschedulable-pods",
            namespace="AWS/EKS",
            metric_name="scheduler_pending_pods_UNSCHEDULABLE",
            statistic="Sum",
            comparison_operator="GreaterThanThreshold",
            threshold=0,
            period=60,
            evaluation_periods=15,
            treat_missing_data="notBreaching",
            description=(
                "Pods unschedulable for 15 minutes: node capacity, the autoscaler's limits or a "
                "constraint no node meets."
            ),
        ),
    ]


def nat_port_allocation_alarm() -> AlarmSpec:
    return AlarmSpec(
        role="port-allocation",
        namespace="AWS/NATGateway",
        metric_name="ErrorPortAllocation",
        statistic="Sum",
        comparison_operator="GreaterThanThreshold",
        threshold=0,
        period=300,
        evaluation_periods=1,
        treat_missing_data="notBreaching",
        description=(
            "The NAT gateway could not allocate a source port: too many concurrent connections "
            "to one destination. Spread the traffic or add addresses to the gateway."
        ),
    )


def nat_packet_drop_queries(nat_gateway_id: pulumi.Input[str]) -> list[Any]:
    """Metric math: dropped packets as a percentage of the packets the gateway received (AWS's
    recommended alarm is 0.01 % of traffic rather than a raw count, which grows with traffic)."""

    def metric(query_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
        return aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id=query_id,
            return_data=False,
            metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                namespace="AWS/NATGateway",
                metric_name=metric_name,
                dimensions={"NatGatewayId": nat_gateway_id},
                stat="Sum",
                period=300,
            ),
        )

    return [
        metric("drops", "PacketsDropCount"),
        metric("in_src", "PacketsInFromSource"),
        metric("in_dst", "PacketsInFromDestination"),
        aws.cloudwatch.MetricAlarmMetricQueryArgs(
            id="drop_pct",
            expression="IF((in_src + in_dst) > 0, 100 * drops / (in_src + in_dst), 0)",
            label="Dropped packets (% of received)",
            return_data=True,
        ),
    ]


NAT_PACKET_DROP_PERCENT = 0.01


def alert_key_policy(account_id: str) -> str:
    """The alert key's policy: the account administers it (IAM policies then decide who), and the
    alerting services may use it to publish to the encrypted topic."""
    return policy_json(
        [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AlertServicesEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": list(ALERT_SERVICES)},
                "Action": ["kms:GenerateDataKey*", "kms:Decrypt"],
                "Resource": "*",
            },
        ]
    )


def alert_topic_policy(topic_arn: str, account_id: str) -> str:
    """Only the alerting services publish, only for this account (aws:SourceAccount stops another
    account's budget or alarm from using the topic), and only over TLS."""
    return policy_json(
        [
            {
                "Sid": "AlertServicesPublish",
                "Effect": "Allow",
                "Principal": {"Service": list(ALERT_SERVICES)},
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sns:Publish",
                "Resource": topic_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def budget_notification_plan(thresholds: Sequence[int]) -> list[tuple[str, int]]:
    """(notification type, percent) of the budget: ACTUAL at each threshold, and FORECASTED at
    100 % (the month is on course to overrun: the earliest useful warning)."""
    if not thresholds:
        raise ValueError("at least one budget alert threshold is needed")
    for pct in thresholds:
        if not 0 < pct <= 1000:
            raise ValueError(f"budget alert threshold {pct} is not a percentage above 0")
    return [("ACTUAL", pct) for pct in sorted(set(thresholds))] + [("FORECASTED", 100)]


def budget_tag_filter(tag_key: str, tag_value: str) -> str:
    """A Budgets `TagKeyValue` filter value: user-defined tags are prefixed `user:`."""
    return f"user:{tag_key}${tag_value}"


def anomaly_monitor_specification(tag_key: str, tag_value: str) -> str:
    """A Cost Explorer expression selecting the costs tagged `tag_key = tag_value`."""
    return json.dumps(
        {"Tags": {"Key": tag_key, "Values": [tag_value], "MatchOptions": ["EQUALS"]}},
        separators=(",", ":"),
    )


def dashboard_body(
    stack: str,
    region: str,
    db_instance_identifier: str | None,
    cluster_name: str | None,
    nat_gateway_ids: Sequence[str],
) -> str:
    """The dashboard: a title, then a row per part that exists (database, cluster, NAT)."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 1,
            "properties": {"markdown": f"# baseline {stack}: database, cluster and egress"},
        }
    ]
    rows: list[list[tuple[str, list[list[Any]], str]]] = []
    if db_instance_identifier:
        dim = ["DBInstanceIdentifier", db_instance_identifier]
        rows.append(
            [
                ("Database CPU (%)", [["AWS/RDS", "CPUUtilization", *dim]], "Average"),
                (
                    "Database free storage (bytes)",
                    [["AWS/RDS", "FreeStorageSpace", *dim]],
                    "Minimum",
                ),
                (
                    "Database freeable memory (bytes)",
                    [["AWS/RDS", "FreeableMemory", *dim]],
                    "Average",
                ),
                ("Database connections", [["AWS/RDS", "DatabaseConnections", *dim]], "Maximum"),
            ]
        )
    if cluster_name:
        dim = ["ClusterName", cluster_name]
        rows.append(
            [
                (
                    "API server requests",
                    [
                        ["AWS/EKS", "apiserver_request_total", *dim],
                        ["AWS/EKS", "apiserver_request_total_4XX", *dim],
                        ["AWS/EKS", "apiserver_request_total_5XX", *dim],
                    ],
                    "Sum",
                ),
                (
                    "Pending pods",
                    [
                        ["AWS/EKS", "scheduler_pending_pods", *dim],
                        ["AWS/EKS", "scheduler_pending_pods_UNSCHEDULABLE", *dim],
                    ],
                    "Sum",
                ),
            ]
        )
    if nat_gateway_ids:
        rows.append(
            [
                (
                    "NAT port allocation errors",
                    [
                        ["AWS/NATGateway", "ErrorPortAllocation", "NatGatewayId", n]
                        for n in nat_gateway_ids
                    ],
                    "Sum",
                ),
                (
                    "NAT dropped packets",
                    [
                        ["AWS/NATGateway", "PacketsDropCount", "NatGatewayId", n]
                        for n in nat_gateway_ids
                    ],
                    "Sum",
                ),
                (
                    "NAT bytes out to destination",
                    [
                        ["AWS/NATGateway", "BytesOutToDestination", "NatGatewayId", n]
                        for n in nat_gateway_ids
                    ],
                    "Sum",
                ),
            ]
        )
    y = 1
    for row in rows:
        width = 24 // len(row)
        for i, (title, metrics, stat) in enumerate(row):
            widgets.append(
                {
                    "type": "metric",
                    "x": i * width,
                    "y": y,
                    "width": width,
                    "height": 6,
                    "properties": {
                        "title": title,
                        "region": region,
                        "metrics": metrics,
                        "stat": stat,
                        "period": 300,
                        "view": "timeSeries",
                        "stacked": False,
                    },
                }
            )
        y += 6
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


class Observability(pulumi.ComponentResource):
    alert_topic_arn: pulumi.Output[str]
    alert_key_arn: pulumi.Output[str]
    dashboard_name: pulumi.Output[str]
    budget_name: pulumi.Output[str]
    alarm_names: list[pulumi.Output[str]]

    def __init__(
        self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:observability:Observability", name, None, opts)
        # Physical names carry the stack: dev and prod may share an account, and alerts name it.
        prefix = f"{PACKAGE}-{args.stack}-{name}"
        account_id = pulumi.Output.from_input(args.account_id)
        tag_value = args.cost_tag_value or args.stack
        notifications = budget_notification_plan(args.budget_alert_thresholds)

        key = aws.kms.Key(
            f"{name}-alerts",
            description=f"Encrypts the {args.stack} alert topic",
            enable_key_rotation=True,
            policy=account_id.apply(alert_key_policy),
            opts=child(self),
        )
        aws.kms.Alias(
            f"{name}-alerts",
            name=f"alias/{prefix}-alerts",
            target_key_id=key.key_id,
            opts=child(self),
        )
        topic = aws.sns.Topic(
            f"{name}-alerts", name=f"{prefix}-alerts", kms_master_key_id=key.arn, opts=child(self)
        )
        topic_policy = aws.sns.TopicPolicy(
            f"{name}-alerts",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, account_id).apply(
                lambda a: alert_topic_policy(a[0], a[1])
            ),
            opts=child(self),
        )
        for email in args.alert_emails:
            aws.sns.TopicSubscription(
                f"{name}-email-{email}",
                topic=topic.arn,
                protocol="email",
                endpoint=email,
                opts=child(self),
            )

        alarms: list[aws.cloudwatch.MetricAlarm] = []

        def alarm(spec: AlarmSpec, dimensions: dict[str, pulumi.Input[str]], role: str) -> None:
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-{role}",
                    name=f"{prefix}-{role}",
                    alarm_description=f"[{args.stack}] {spec.description}",
                    namespace=spec.namespace,
                    metric_name=spec.metric_name,
                    dimensions=dimensions,
                    statistic=spec.statistic,
                    comparison_operator=spec.comparison_operator,
                    threshold=spec.threshold,
                    period=spec.period,
                    evaluation_periods=spec.evaluation_periods,
                    treat_missing_data=spec.treat_missing_data,
                    alarm_actions=[topic.arn],
                    ok_actions=[topic.arn],
                    opts=child(self),
                )
            )

        if args.db_instance_identifier is not None:
            for spec in database_alarms(args.db_allocated_storage_gb):
                alarm(spec, {"DBInstanceIdentifier": args.db_instance_identifier}, spec.role)
        if args.cluster_name is not None:
            for spec in cluster_alarms():
                alarm(spec, {"ClusterName": args.cluster_name}, spec.role)
        port_spec = nat_port_allocation_alarm()
        for i, nat_id in enumerate(args.nat_gateway_ids):
            alarm(port_spec, {"NatGatewayId": nat_id}, f"nat-{i}-{port_spec.role}")
            alarms.append(
                aws.cloudwatch.MetricAlarm(
                    f"{name}-nat-{i}-packet-drops",
                    name=f"{prefix}-nat-{i}-packet-drops",
                    alarm_description=(
                        f"[{args.stack}] The NAT gateway dropped more than "
                        f"{NAT_PACKET_DROP_PERCENT} % of packets for 15 minutes: check its "
                        "bandwidth and connection limits and the AWS Health dashboard."
                    ),
                    metric_queries=nat_packet_drop_queries(nat_id),
                    comparison_operator="GreaterThanThreshold",
                    threshold=NAT_PACKET_DROP_PERCENT,
                    evaluation_periods=3,
                    treat_missing_data="notBreaching",
                    alarm_actions=[topic.arn],
                    ok_actions=[topic.arn],
                    opts=child(self),
                )
            )

        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=prefix,
            dashboard_body=pulumi.Output.all(
                args.db_instance_identifier, args.cluster_name, *args.nat_gateway_ids
            ).apply(
                lambda a: dashboard_body(
                    args.stack, args.region, a[0], a[1], [str(n) for n in a[2:]]
                )
            ),
            opts=child(self),
        )

        emails = list(args.alert_emails) or None
        budget = aws.budgets.Budget(
            f"{name}-monthly",
            name=f"{prefix}-monthly",
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=str(args.monthly_budget_usd),
            limit_unit="USD",
            cost_filters=[
                aws.budgets.BudgetCostFilterArgs(
                    name="TagKeyValue", values=[budget_tag_filter(args.cost_tag_key, tag_value)]
                )
            ],
            notifications=[
                aws.budgets.BudgetNotificationArgs(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=pct,
                    threshold_type="PERCENTAGE",
                    subscriber_sns_topic_arns=[topic.arn],
                    subscriber_email_addresses=emails,
                )
                for kind, pct in notifications
            ],
            # Budgets checks it may publish when the notification is saved.
            opts=child(self, depends_on=[topic_policy]),
        )

        monitor = aws.costexplorer.AnomalyMonitor(
            f"{name}-cost",
            name=f"{prefix}-cost",
            monitor_type="CUSTOM",
            monitor_specification=anomaly_monitor_specification(args.cost_tag_key, tag_value),
            opts=child(self),
        )
        aws.costexplorer.AnomalySubscription(
            f"{name}-cost",
            name=f"{prefix}-cost",
            frequency="IMMEDIATE",  # IMMEDIATE accepts SNS subscribers only
            monitor_arn_lists=[monitor.arn],
            subscribers=[
                aws.costexplorer.AnomalySubscriptionSubscriberArgs(type="SNS", address=topic.arn)
            ],
            threshold_expression=aws.costexplorer.AnomalySubscriptionThresholdExpressionArgs(
                dimension=aws.costexplorer.AnomalySubscriptionThresholdExpressionDimensionArgs(
                    key="ANOMALY_TOTAL_IMPACT_ABSOLUTE",
                    match_options=["GREATER_THAN_OR_EQUAL"],
                    values=[str(args.cost_anomaly_threshold_usd)],
                )
            ),
            opts=child(self, depends_on=[topic_policy]),
        )

        self.alert_topic_arn = topic.arn
        self.alert_key_arn = key.arn
        self.dashboard_name = dashboard.dashboard_name
        self.budget_name = budget.name
        self.alarm_names = [a.name for a in alarms]
        self.register_outputs(
            {
                "alertTopicArn": self.alert_topic_arn,
                "dashboardName": self.dashboard_name,
                "budgetName": self.budget_name,
                "alarmNames": self.alarm_names,
            }
        )

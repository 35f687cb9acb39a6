"""Service level objectives as code: each SLO's SLI as CloudWatch metric math, multi-window,
multi-burn-rate alarms after the Google SRE workbook (chapter 5, "Alerting on SLOs"), composite
alarms so that one page fires per SLO, the routing of pages and tickets, and an error-budget
dashboard.

- Burn rate `b` is the error rate divided by the error budget (1 - target): at b = 1 the budget
  lasts exactly the SLO window. Three pairs of windows, each alarming when BOTH its long and its
  short window burn faster than its factor (the short window makes the alert reset quickly):
  14.4x over 1 h and 5 min (page), 6x over 6 h and 30 min (page), 1x over 3 d and 6 h (ticket).
  The error-rate threshold of a window is factor x (1 - target).
- CloudWatch has no sliding-window sum, so each window is one alarm period of the window's length,
  evaluated once (`evaluation_periods = 1`). The documented limits (PutMetricAlarm: period x
  evaluation periods <= 1 day for periods under 1 h, <= 7 days otherwise) hold for every window,
  the 3-day one included (259,200 s, a period of 1 h or more). The approximation: a window is the
  latest period CloudWatch aggregates, not a window sliding by the minute, so a burn is seen up to
  one short window late. `window_alarm_shape` checks the limits.
- A metric-math alarm may reference at most 10 metrics (a hard limit), so the agents' SLI reads
  the per-stack roll-up (dimension `Stack` alone) that the agents publish next to the per-persona
  series (`Stack`, `Persona`): seven personas would need 14 metrics.
- Per SLO, composite alarms: `page` = (1h AND 5m) OR (6h AND 30m); `ticket` = 3d AND 6h. Pages go
  to the page topic (PagerDuty and/or Slack through AWS Chatbot) when one is configured, else to
  the ticket topic, so that a page is never dropped; tickets go to the ticket topic (email).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components import PACKAGE, assume_role_policy, child
from components.observability import alert_topic_policy

MINUTE = 60
HOUR = 3600
DAY = 86400
# PutMetricAlarm: period x evaluation periods.
MAX_RANGE_SHORT_PERIOD = DAY  # periods under one hour
MAX_RANGE = 7 * DAY
# A metric-math alarm references at most this many metrics (hard limit).
MAX_ALARM_METRICS = 10

AGENTS_NAMESPACE = "Baseline/Agents"
# The SLIs this component knows how to measure, by the name used in config.
SLI_AGENT_PASSES = "agent-passes"
SLI_EKS_API = "eks-api"
SLI_DATABASE = "database"
SLIS = (SLI_AGENT_PASSES, SLI_EKS_API, SLI_DATABASE)
# Chatbot's guardrail and its role's only permissions: read CloudWatch, nothing else.
CLOUDWATCH_READ_ONLY = "arn:aws:iam::aws:policy/CloudWatchReadOnlyAccess"


class SloError(ValueError):
    """An SLO or a window that CloudWatch cannot express."""


@dataclass(frozen=True)
class BurnRateWindow:
    """One alerting pair: both windows above factor x budget fire it."""

    severity: str  # "page" or "ticket"
    long_seconds: int
    short_seconds: int
    factor: float

    @property
    def role(self) -> str:
        return f"{_duration(self.long_seconds)}-{_duration(self.short_seconds)}"


# The SRE workbook's recommended pairs for a 30-day SLO.
BURN_RATE_WINDOWS = (
    BurnRateWindow("page", HOUR, 5 * MINUTE, 14.4),
    BurnRateWindow("page", 6 * HOUR, 30 * MINUTE, 6.0),
    BurnRateWindow("ticket", 3 * DAY, 6 * HOUR, 1.0),
)


@dataclass(frozen=True)
class SloSpec:
    """One objective: an SLI name (one of SLIS) and its target, e.g. 0.999."""

    sli: str
    target: float
    window_days: int = 30

    def __post_init__(self) -> None:
        if self.sli not in SLIS:
            raise SloError(f"unknown SLI {self.sli!r}: expected one of {', '.join(SLIS)}")
        if not 0.5 <= self.target < 1:
            raise SloError(f"SLO target {self.target} must be from 0.5 to below 1")
        if not 1 <= self.window_days <= 90:
            raise SloError(f"SLO window {self.window_days} days must be from 1 to 90")

    @property
    def error_budget(self) -> float:
        return 1 - self.target


def _duration(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", HOUR), ("m", MINUTE)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def error_rate_threshold(target: float, factor: float) -> float:
    """The error rate at which the budget burns `factor` times too fast: factor x (1 - target),
    rounded to drop floating-point noise (0.1 % x 14.4 is 0.0144, not 0.014400000000000089)."""
    if not 0 < target < 1:
        raise SloError(f"SLO target {target} must be between 0 and 1")
    if factor <= 0:
        raise SloError(f"burn-rate factor {factor} must be positive")
    return round(factor * (1 - target), 12)


def window_alarm_shape(window_seconds: int) -> tuple[int, int]:
    """(period, evaluation periods) of an alarm over one window: one period of the window's
    length, within PutMetricAlarm's limits."""
    if window_seconds < MINUTE or window_seconds % MINUTE:
        raise SloError(f"window {window_seconds}s must be a multiple of 60 s")
    limit = MAX_RANGE_SHORT_PERIOD if window_seconds < HOUR else MAX_RANGE
    if window_seconds > limit:
        raise SloError(f"window {window_seconds}s exceeds CloudWatch's evaluation range {limit}s")
    return window_seconds, 1


def burn_rate(errors: float, total: float, target: float) -> float:
    """Error rate over the error budget; no traffic burns nothing."""
    if total <= 0:
        return 0.0
    return (errors / total) / (1 - target)


def firing(target: float, per_minute: Sequence[tuple[float, float]]) -> dict[tuple[str, str], bool]:
    """Which pairs would fire at the end of a per-minute series of (errors, total), computed the
    way the alarms do: each window's error rate against factor x (1 - target), both windows of a
    pair. Keyed by (severity, pair role)."""
    result: dict[tuple[str, str], bool] = {}
    for w in BURN_RATE_WINDOWS:

        def over(seconds: int, factor: float = w.factor) -> bool:
            tail = per_minute[-(seconds // MINUTE) :]
            errors = sum(e for e, _ in tail)
            total = sum(t for _, t in tail)
            rate = errors / total if total > 0 else 0.0
            return rate > error_rate_threshold(target, factor)

        result[(w.severity, w.role)] = over(w.long_seconds) and over(w.short_seconds)
    return result


def error_budget_remaining(target: float, errors: float, total: float) -> float:
    """Share of the window's budget left (negative when overspent)."""
    return 1 - burn_rate(errors, total, target)


def sli_queries(
    sli: str,
    period: int,
    stack: str,
    cluster_name: str | None,
    db_instance_identifier: str | None,
) -> list[dict[str, Any]]:
    """Metric-math queries whose returned series is the error rate (0..1) over one period.

    - agent-passes: PassFailed / (PassSucceeded + PassFailed), the stack's roll-up.
    - eks-api: apiserver_request_total_5XX / apiserver_request_total (AWS/EKS, published by EKS
      for free; the same metric as the control-plane 5XX alarm).
    - database: minutes the instance did not report CPUUtilization (RDS publishes it every
      minute while the instance is up), over the minutes in the period. A proxy: a stopped
      instance, a reboot or a failover's gap count as unavailable.
    """

    def metric(qid: str, namespace: str, name: str, dims: dict[str, str], stat: str) -> dict:
        return {
            "id": qid,
            "return_data": False,
            "metric": {
                "namespace": namespace,
                "metric_name": name,
                "dimensions": dims,
                "stat": stat,
                "period": period,
            },
        }

    def expression(expr: str, label: str) -> dict[str, Any]:
        return {"id": "error_rate", "expression": expr, "label": label, "return_data": True}

    if sli == SLI_AGENT_PASSES:
        dims = {"Stack": stack}
        return [
            metric("bad", AGENTS_NAMESPACE, "PassFailed", dims, "Sum"),
            metric("good", AGENTS_NAMESPACE, "PassSucceeded", dims, "Sum"),
            expression("IF((good + bad) > 0, bad / (good + bad), 0)", "Agent pass error rate"),
        ]
    if sli == SLI_EKS_API:
        if not cluster_name:
            raise SloError("the eks-api SLO needs the cluster's name")
        dims = {"ClusterName": cluster_name}
        return [
            metric("bad", "AWS/EKS", "apiserver_request_total_5XX", dims, "Sum"),
            metric("all", "AWS/EKS", "apiserver_request_total", dims, "Sum"),
            expression("IF(all > 0, bad / all, 0)", "API server 5XX rate"),
        ]
    if sli == SLI_DATABASE:
        if not db_instance_identifier:
            raise SloError("the database SLO needs the instance identifier")
        dims = {"DBInstanceIdentifier": db_instance_identifier}
        minutes = period // MINUTE
        return [
            metric("up", "AWS/RDS", "CPUUtilization", dims, "SampleCount"),
            expression(f"1 - FILL(up, 0) / {minutes}", "Database minutes unavailable"),
        ]
    raise SloError(f"unknown SLI {sli!r}")


def page_rule(alarm_names: Sequence[tuple[str, str]]) -> str:
    """Composite rule: each (long, short) pair ANDed, the pairs ORed."""
    return " OR ".join(f'(ALARM("{lng}") AND ALARM("{sht}"))' for lng, sht in alarm_names)


def budget_dashboard_body(
    stack: str,
    region: str,
    slos: Sequence[SloSpec],
    cluster_name: str | None,
    db_instance_identifier: str | None,
) -> str:
    """One row per SLO: the error budget left over the SLO window (a single value over the
    dashboard's 30-day range) and the burn rate over 1 h."""
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "x": 0,
            "y": 0,
            "width": 24,
            "height": 1,
            "properties": {"markdown": f"# baseline {stack}: SLOs and error budgets"},
        }
    ]

    def metrics(slo: SloSpec, period: int, expr: str, label: str) -> list[list[Any]]:
        rows: list[list[Any]] = []
        for q in sli_queries(slo.sli, period, stack, cluster_name, db_instance_identifier):
            if "metric" in q:
                m = q["metric"]
                dims = [x for kv in m["dimensions"].items() for x in kv]
                rows.append(
                    [
                        m["namespace"],
                        m["metric_name"],
                        *dims,
                        {"id": q["id"], "stat": m["stat"], "visible": False},
                    ]
                )
            else:
                rows.append([{"expression": q["expression"], "id": "error_rate", "visible": False}])
        rows.append([{"expression": expr, "label": label, "id": "result"}])
        return rows

    y = 1
    for slo in slos:
        window = slo.window_days * DAY
        budget = error_rate_threshold(slo.target, 1)
        widgets.append(
            {
                "type": "metric",
                "x": 0,
                "y": y,
                "width": 8,
                "height": 6,
                "properties": {
                    "title": f"{slo.sli}: error budget left ({slo.target:.3%}, "
                    f"{slo.window_days} d)",
                    "region": region,
                    "view": "singleValue",
                    "setPeriodToTimeRange": True,
                    "start": f"-P{slo.window_days}D",
                    "metrics": metrics(
                        slo, window, f"100 * (1 - error_rate / {budget})", "budget left (%)"
                    ),
                },
            }
        )
        widgets.append(
            {
                "type": "metric",
                "x": 8,
                "y": y,
                "width": 16,
                "height": 6,
                "properties": {
                    "title": f"{slo.sli}: burn rate over 1 h (page at 14.4, 6)",
                    "region": region,
                    "view": "timeSeries",
                    "period": HOUR,
                    "metrics": metrics(slo, HOUR, f"error_rate / {budget}", "burn rate"),
                },
            }
        )
        y += 6
    return json.dumps({"widgets": widgets}, separators=(",", ":"))


@dataclass(frozen=True)
class SloArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    slos: Sequence[SloSpec]
    # Tickets (and pages when no page route is set) go to this topic: the alert topic's emails.
    ticket_topic_arn: pulumi.Input[str]
    # The KMS key that encrypts the page topic (the alert key: its policy lets CloudWatch use it).
    topic_kms_key_arn: pulumi.Input[str]
    cluster_name: str | None = None
    db_instance_identifier: pulumi.Input[str] | None = None
    # Routing of pages; each part is off when unset. The PagerDuty URL should be a secret Output.
    pagerduty_integration_url: pulumi.Input[str] | None = None
    slack_team_id: str | None = None
    slack_channel_id: str | None = None
    burn_rate_windows: Sequence[BurnRateWindow] = field(default_factory=lambda: BURN_RATE_WINDOWS)


class Slo(pulumi.ComponentResource):
    page_alarm_arns: list[pulumi.Output[str]]
    page_alarm_names: list[pulumi.Output[str]]
    page_topic_arn: pulumi.Output[str] | None
    dashboard_name: pulumi.Output[str]

    def __init__(self, name: str, args: SloArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{PACKAGE}:slo:Slo", name, None, opts)
        prefix = f"{PACKAGE}-{args.stack}-{name}"
        account_id = pulumi.Output.from_input(args.account_id)
        slack = bool(args.slack_team_id and args.slack_channel_id)

        page_topic: aws.sns.Topic | None = None
        if args.pagerduty_integration_url is not None or slack:
            page_topic = aws.sns.Topic(
                f"{name}-pages",
                name=f"{prefix}-pages",
                kms_master_key_id=args.topic_kms_key_arn,
                opts=child(self),
            )
            aws.sns.TopicPolicy(
                f"{name}-pages",
                arn=page_topic.arn,
                policy=pulumi.Output.all(page_topic.arn, account_id).apply(
                    lambda a: alert_topic_policy(a[0], a[1])
                ),
                opts=child(self),
            )
        if page_topic is not None and args.pagerduty_integration_url is not None:
            aws.sns.TopicSubscription(
                f"{name}-pagerduty",
                topic=page_topic.arn,
                protocol="https",
                endpoint=pulumi.Output.secret(args.pagerduty_integration_url),
                endpoint_auto_confirms=True,  # PagerDuty confirms the subscription itself
                opts=child(self),
            )
        if page_topic is not None and slack:
            role = aws.iam.Role(
                f"{name}-chatbot",
                name=f"{prefix}-chatbot",
                assume_role_policy=assume_role_policy("chatbot.amazonaws.com"),
                opts=child(self),
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-chatbot",
                role=role.name,
                policy_arn=CLOUDWATCH_READ_ONLY,
                opts=child(self),
            )
            aws.chatbot.SlackChannelConfiguration(
                f"{name}-slack",
                configuration_name=f"{prefix}-pages",
                iam_role_arn=role.arn,
                slack_team_id=args.slack_team_id,
                slack_channel_id=args.slack_channel_id,
                sns_topic_arns=[page_topic.arn],
                guardrail_policy_arns=[CLOUDWATCH_READ_ONLY],
                logging_level="ERROR",
                opts=child(self),
            )
        page_target = page_topic.arn if page_topic is not None else args.ticket_topic_arn

        self.page_alarm_arns = []
        self.page_alarm_names = []
        db_id = args.db_instance_identifier
        for slo in args.slos:

            def window_alarm(slo: SloSpec, seconds: int, factor: float) -> pulumi.Output[str]:
                period, evaluations = window_alarm_shape(seconds)
                role = f"{slo.sli}-{_duration(seconds)}-{factor:g}x"
                threshold = error_rate_threshold(slo.target, factor)

                def queries(
                    db: str | None, sli: str = slo.sli, period: int = period
                ) -> list[aws.cloudwatch.MetricAlarmMetricQueryArgs]:
                    return [
                        _query_args(q)
                        for q in sli_queries(sli, period, args.stack, args.cluster_name, db)
                    ]

                alarm = aws.cloudwatch.MetricAlarm(
                    f"{name}-{role}",
                    name=f"{prefix}-{role}",
                    alarm_description=(
                        f"[{args.stack}] {slo.sli} error rate over {_duration(seconds)} above "
                        f"{threshold:g} ({factor:g}x the budget of a {slo.target:.3%} SLO). "
                        "Part of a burn-rate pair: acts only through the SLO's composite alarms."
                    ),
                    metric_queries=pulumi.Output.from_input(db_id).apply(queries),
                    comparison_operator="GreaterThanThreshold",
                    threshold=threshold,
                    evaluation_periods=evaluations,
                    # No traffic spends no budget; a missing database series is caught by the
                    # FILL in its expression.
                    treat_missing_data="notBreaching",
                    opts=child(self),
                )
                return alarm.name

            pairs: dict[str, list[tuple[pulumi.Output[str], pulumi.Output[str]]]] = {}
            for w in args.burn_rate_windows:
                lng = window_alarm(slo, w.long_seconds, w.factor)
                sht = window_alarm(slo, w.short_seconds, w.factor)
                pairs.setdefault(w.severity, []).append((lng, sht))
            for severity, names in pairs.items():
                target = page_target if severity == "page" else args.ticket_topic_arn
                composite = aws.cloudwatch.CompositeAlarm(
                    f"{name}-{slo.sli}-{severity}",
                    alarm_name=f"{prefix}-{slo.sli}-{severity}",
                    alarm_description=(
                        f"[{args.stack}] {slo.sli} is burning its {slo.window_days}-day error "
                        f"budget ({slo.target:.3%}) too fast: {severity}. Check the SLO dashboard."
                    ),
                    alarm_rule=pulumi.Output.all(*[n for pair in names for n in pair]).apply(
                        lambda flat: page_rule(list(zip(flat[::2], flat[1::2], strict=True)))
                    ),
                    alarm_actions=[target],
                    ok_actions=[target],
                    opts=child(self),
                )
                if severity == "page":
                    self.page_alarm_arns.append(composite.arn)
                    self.page_alarm_names.append(composite.alarm_name)

        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=f"{prefix}-budgets",
            dashboard_body=pulumi.Output.from_input(db_id).apply(
                lambda db: budget_dashboard_body(
                    args.stack, args.region, args.slos, args.cluster_name, db
                )
            ),
            opts=child(self),
        )
        self.page_topic_arn = page_topic.arn if page_topic is not None else None
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs(
            {
                "pageAlarmArns": self.page_alarm_arns,
                "pageTopicArn": self.page_topic_arn,
                "dashboardName": self.dashboard_name,
            }
        )


def _query_args(q: dict[str, Any]) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    metric = q.get("metric")
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=q["id"],
        expression=q.get("expression"),
        label=q.get("label"),
        return_data=q["return_data"],
        metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(**metric) if metric else None,
    )

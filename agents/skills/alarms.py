"""`alarm_status`: the stack's CloudWatch alarms that are firing or blind, with their recent
state changes, as findings and as a budgeted report.

Decisions:

- Which alarms are the stack's. The observability component names every alarm
  `baseline-<stack>-<component>-<role>` and starts its description with `[<stack>]`, so the
  alarms are listed by the name prefix `baseline-<stack>-` (one `DescribeAlarms` listing,
  paginated, metric and composite alarms alike). A prefix also matches a longer stack's alarms
  (`baseline-dev-` matches `baseline-dev-eu-...`): an alarm whose description names another
  stack (`[dev-eu] ...`) is left out. Tags would say it too, but reading them costs a
  `ListTagsForResource` per alarm and a permission the observability engineer does not hold.
- All states are listed and filtered here rather than asked for with `StateValue`: the count of
  OK alarms is part of the answer (a stack with no alarms at all is a finding, `alarm.none`).
- Severity. An alarm in ALARM is `high`; `critical` when its name says it pages (`page`,
  `critical` as a word of the name). INSUFFICIENT_DATA for more than an hour (since the last
  state transition) is `medium`: the alarm is blind, usually because the metric stopped (the
  resource is gone, a dimension is wrong). Shorter spells are shown, not reported: alarms start
  in INSUFFICIENT_DATA and a restarted metric fills in within minutes.
- History. For each alarm in ALARM or INSUFFICIENT_DATA, `DescribeAlarmHistory` (state updates
  of the last `history_hours`, newest first) gives the recent transitions; the count of
  transitions into ALARM tells a flapping alarm from a steady one. History is evidence only: when
  it cannot be read the alarm findings still stand.
- Failing closed. A call that fails (access denied, throttled after the client's retries, no
  network) becomes an `alarm.unchecked` finding (`high`) naming the service, call, region and
  error code, and the report's `checked` kinds leave out what it could not check, so a findings
  pass does not close the alarm findings it could not re-check.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agents import InputError
from agents.protocol.findings import SEVERITIES, Finding
from agents.skills import tokens
from agents.skills.aws import CheckError, check_error, iso, unchecked, utc

# IAM actions each function calls (the observability and reliability engineers hold both).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "alarm_status": ("cloudwatch:DescribeAlarms", "cloudwatch:DescribeAlarmHistory"),
}
# The personas whose skills include `alarm-status`.
PERSONAS: dict[str, tuple[str, ...]] = {
    "alarm_status": ("observability-engineer", "reliability-engineer"),
}

BLIND_AFTER = datetime.timedelta(hours=1)  # INSUFFICIENT_DATA longer than this is a finding
PAGE_WORDS = frozenset({"page", "critical"})
HISTORY_ITEMS = 10  # state changes kept per alarm (newest first)
MAX_HISTORY_HOURS = 24 * 30  # CloudWatch keeps alarm history for 30 days
REASON_CHARS = 300
NOT_OK = ("ALARM", "INSUFFICIENT_DATA")
KINDS = ("alarm.firing", "alarm.insufficient-data", "alarm.none")
_WORD = re.compile(r"[^a-z0-9]+")
_STACK_MARK = re.compile(r"^\[([^\]]+)\]")


def _check_error(
    exc: ClientError | BotoCoreError, service: str, call: str, region: str
) -> CheckError:
    return check_error(exc, service, call, region, REASON_CHARS)


@dataclass(frozen=True)
class HistoryItem:
    timestamp: str  # ISO 8601, UTC
    summary: str  # CloudWatch's HistorySummary: "Alarm updated from OK to ALARM"


@dataclass(frozen=True)
class AlarmState:
    """One alarm in ALARM or INSUFFICIENT_DATA."""

    name: str
    arn: str
    alarm_type: str  # metric | composite
    state: str
    reason: str
    # ISO 8601 UTC: the last state transition (or update when no transition is given); "" when
    # CloudWatch gave neither, which counts as "for ever" (a blind alarm is not excused by it)
    since: str
    actions_enabled: bool
    description: str
    watches: str  # "AWS/RDS CPUUtilization DBInstanceIdentifier=x", "metric math", a rule
    history: tuple[HistoryItem, ...] = ()
    transitions_to_alarm: int = 0  # within the history window

    def pages(self) -> bool:
        return bool(PAGE_WORDS & set(_WORD.split(self.name.lower())))

    def age(self, now: datetime.datetime) -> datetime.timedelta:
        if not self.since:
            return datetime.timedelta.max
        return now - datetime.datetime.fromisoformat(self.since)

    def for_how_long(self, now: datetime.datetime) -> str:
        if not self.since:
            return "an unknown time"
        return f"{int(self.age(now).total_seconds() // 60)} min"


@dataclass(frozen=True)
class AlarmReport:
    stack: str
    prefix: str
    region: str
    checked_at: str  # ISO 8601 UTC
    history_hours: int
    alarms_seen: int  # the stack's alarms in any state (0 when the listing failed)
    alarms: tuple[AlarmState, ...]  # those in ALARM or INSUFFICIENT_DATA
    errors: tuple[CheckError, ...] = ()
    listed: bool = True  # False: DescribeAlarms failed, nothing about the alarms is known

    @property
    def checked(self) -> tuple[str, ...]:
        """The finding kinds this report checked (a findings pass closes only those)."""
        return KINDS if self.listed else ()

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def findings(self, persona: str) -> list[Finding]:
        now = datetime.datetime.fromisoformat(self.checked_at)
        out = [_unchecked(self.stack, e, persona) for e in self.errors]
        if self.listed and self.alarms_seen == 0:
            out.append(
                Finding(
                    kind="alarm.none",
                    severity="medium",
                    stack=self.stack,
                    resource=f"{self.prefix}*",
                    summary=f"no CloudWatch alarm named {self.prefix}* in {self.region}: "
                    "nothing alerts on this stack",
                    evidence={"prefix": self.prefix, "region": self.region},
                    proposed_action="Check that the observability component is deployed in this "
                    "region (pulumi up), or pass the right prefix.",
                    persona=persona,
                )
            )
        for alarm in self.alarms:
            finding = _alarm_finding(self.stack, alarm, now, persona)
            if finding is not None:
                out.append(finding)
        return out


def _alarm_finding(
    stack: str, alarm: AlarmState, now: datetime.datetime, persona: str
) -> Finding | None:
    evidence: dict[str, Any] = {
        "alarm": alarm.name,
        "type": alarm.alarm_type,
        "state": alarm.state,
        "since": alarm.since,
        "reason": alarm.reason,
        "watches": alarm.watches,
        "actionsEnabled": alarm.actions_enabled,
        "transitionsToAlarm": alarm.transitions_to_alarm,
        "history": [asdict(h) for h in alarm.history],
    }
    spell = alarm.for_how_long(now)
    if alarm.state == "ALARM":
        muted = "" if alarm.actions_enabled else "; its actions are disabled, nobody was notified"
        return Finding(
            kind="alarm.firing",
            severity="critical" if alarm.pages() else "high",
            stack=stack,
            resource=alarm.name,
            summary=f"{alarm.name} in ALARM for {spell}{muted}",
            evidence=evidence,
            proposed_action=alarm.description
            or f"Investigate what {alarm.name} watches ({alarm.watches}).",
            persona=persona,
        )
    if alarm.state == "INSUFFICIENT_DATA" and alarm.age(now) > BLIND_AFTER:
        return Finding(
            kind="alarm.insufficient-data",
            severity="medium",
            stack=stack,
            resource=alarm.name,
            summary=f"{alarm.name} has had INSUFFICIENT_DATA for {spell}: it is blind",
            evidence=evidence,
            proposed_action=f"Check that {alarm.watches} is still published (the resource "
            "exists, the dimension values are right), or fix the alarm in the observability "
            "component.",
            persona=persona,
        )
    return None


def _unchecked(stack: str, error: CheckError, persona: str) -> Finding:
    return unchecked("alarm.unchecked", stack, error, persona, "the alarms' state")


# ---------------------------------------------------------------- collection


def _watches(alarm: dict[str, Any], composite: bool) -> str:
    if composite:
        return f"rule {alarm.get('AlarmRule', '')}"[:REASON_CHARS]
    if alarm.get("MetricName"):
        dims = " ".join(f"{d.get('Name')}={d.get('Value')}" for d in alarm.get("Dimensions", []))
        return " ".join(p for p in (alarm.get("Namespace"), alarm["MetricName"], dims) if p)
    metrics = [
        q["MetricStat"]["Metric"].get("MetricName", "")
        for q in alarm.get("Metrics", [])
        if "MetricStat" in q
    ]
    return f"metric math over {', '.join(metrics)}" if metrics else "metric math"


def _other_stack(alarm: dict[str, Any], stack: str) -> bool:
    mark = _STACK_MARK.match(str(alarm.get("AlarmDescription") or ""))
    return mark is not None and mark.group(1) != stack


def _state(alarm: dict[str, Any], composite: bool) -> AlarmState:
    since = alarm.get("StateTransitionedTimestamp") or alarm.get("StateUpdatedTimestamp")
    return AlarmState(
        name=alarm["AlarmName"],
        arn=str(alarm.get("AlarmArn", "")),
        alarm_type="composite" if composite else "metric",
        state=alarm["StateValue"],
        reason=" ".join(str(alarm.get("StateReason", "")).split())[:REASON_CHARS],
        since=iso(since),
        actions_enabled=bool(alarm.get("ActionsEnabled", True)),
        description=str(alarm.get("AlarmDescription") or ""),
        watches=_watches(alarm, composite),
    )


def _history(
    client: Any, alarm: AlarmState, start: datetime.datetime, end: datetime.datetime
) -> AlarmState:
    items: list[HistoryItem] = []
    into_alarm = 0
    pages = client.get_paginator("describe_alarm_history").paginate(
        AlarmName=alarm.name,
        HistoryItemType="StateUpdate",
        StartDate=start,
        EndDate=end,
        ScanBy="TimestampDescending",
    )
    for page in pages:
        for item in page.get("AlarmHistoryItems", []):
            summary = str(item.get("HistorySummary", ""))
            if summary.endswith("to ALARM"):
                into_alarm += 1
            if len(items) < HISTORY_ITEMS:
                items.append(HistoryItem(iso(item.get("Timestamp")), summary[:REASON_CHARS]))
    return dataclasses.replace(alarm, history=tuple(items), transitions_to_alarm=into_alarm)


def alarm_status(
    client: Any,
    *,
    stack: str,
    prefix: str | None = None,
    history_hours: int = 24,
    now: datetime.datetime | None = None,
) -> AlarmReport:
    """The stack's alarms in ALARM or INSUFFICIENT_DATA with their state changes of the last
    `history_hours` (`client`: a boto3 `cloudwatch` client in the stack's region). `prefix`
    defaults to `baseline-<stack>-`. AWS failures are in the report (`errors`, and
    `alarm.unchecked` findings), never raised; bad arguments raise `InputError`."""
    if not stack:
        raise InputError("stack must be a stack name such as 'dev'")
    if not 1 <= history_hours <= MAX_HISTORY_HOURS:
        raise InputError(f"history_hours must be 1 to {MAX_HISTORY_HOURS}, got {history_hours}")
    at = utc(now)
    prefix = prefix or f"baseline-{stack}-"
    region = str(getattr(getattr(client, "meta", None), "region_name", "") or "unknown")
    errors: list[CheckError] = []
    seen = 0
    states: list[AlarmState] = []
    try:
        pages = client.get_paginator("describe_alarms").paginate(
            AlarmNamePrefix=prefix, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
        )
        for page in pages:
            for key, composite in (("MetricAlarms", False), ("CompositeAlarms", True)):
                for alarm in page.get(key, []):
                    if not alarm.get("AlarmName", "").startswith(prefix):
                        continue  # a stub or an old API that ignored the prefix
                    if _other_stack(alarm, stack):
                        continue
                    seen += 1
                    if alarm.get("StateValue") in NOT_OK:
                        states.append(_state(alarm, composite))
    except (ClientError, BotoCoreError) as exc:
        errors.append(_check_error(exc, "cloudwatch", "DescribeAlarms", region))
        return AlarmReport(
            stack, prefix, region, iso(at), history_hours, 0, (), tuple(errors), listed=False
        )

    start = at - datetime.timedelta(hours=history_hours)
    with_history: list[AlarmState] = []
    for state in states:
        if errors:  # one denial is enough to know: do not repeat it per alarm
            with_history.append(state)
            continue
        try:
            with_history.append(_history(client, state, start, at))
        except (ClientError, BotoCoreError) as exc:
            errors.append(_check_error(exc, "cloudwatch", "DescribeAlarmHistory", region))
            with_history.append(state)
    return AlarmReport(
        stack=stack,
        prefix=prefix,
        region=region,
        checked_at=iso(at),
        history_hours=history_hours,
        alarms_seen=seen,
        alarms=tuple(with_history),
        errors=tuple(errors),
    )


# ---------------------------------------------------------------- rendering


def _rank(finding: Finding) -> int:
    return SEVERITIES.index(finding.severity)


def _block(finding: Finding, alarm: AlarmState | None) -> str:
    lines = [f"[{finding.severity.upper()}] {finding.kind} {finding.summary}"]
    if alarm is not None:
        lines.append(f"  watches: {alarm.watches}")
        if alarm.reason:
            lines.append(f"  reason: {alarm.reason}")
        if alarm.history:
            lines.append(f"  {alarm.transitions_to_alarm} transitions to ALARM; latest:")
            lines.extend(f"    {h.timestamp} {h.summary}" for h in alarm.history[:3])
    if finding.proposed_action:
        lines.append(f"  action: {finding.proposed_action}")
    return "\n".join(lines)


def render(report: AlarmReport, budget: int | None = None) -> str:
    """The report as text, at most `budget` o200k tokens (None: everything): a head line, then
    one block per finding, most severe first (unchecked calls and paging alarms lead), then the
    alarms that are INSUFFICIENT_DATA for less than an hour, one line each. Blocks that do not
    fit are counted in one line. `BudgetError` when even the head does not fit."""
    by_name = {a.name: a for a in report.alarms}
    findings = sorted(report.findings(""), key=_rank)
    reported = {f.resource for f in findings}
    firing = sum(a.state == "ALARM" for a in report.alarms)
    blind = len(report.alarms) - firing
    head = (
        f"alarms {report.stack} ({report.prefix}* in {report.region}) at {report.checked_at}: "
        + (
            f"{report.alarms_seen} alarms, {firing} in ALARM, {blind} INSUFFICIENT_DATA"
            if report.listed
            else "not listed"
        )
    )
    blocks = [_block(f, by_name.get(f.resource)) for f in findings]
    blocks += [
        f"[INFO] {a.name} INSUFFICIENT_DATA since {a.since} (under an hour)"
        for a in report.alarms
        if a.name not in reported
    ]

    def more(dropped: Sequence[int]) -> str:
        serious = sum(1 for i in dropped if i < len(findings) and _rank(findings[i]) <= 1)
        return f"+{len(dropped)} more ({serious} high or critical)"

    full = tokens.fit([head], blocks, None, more)
    if budget is None or full.tokens <= budget:
        return full.text
    return tokens.fit([head], blocks, budget, more).text

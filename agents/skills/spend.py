"""`spend_report`: what the stack cost per service and week, and the cost anomalies AWS found on
the stack's monitor, as findings and as a budgeted report.

Decisions:

- Which costs are the stack's: those with the cost-allocation tag `stack=<stack>`, the key the
  program puts on every resource through the provider's default tags (`StackConfig.cost_tags`)
  and that the budget and the anomaly monitor of the observability component filter on. The key
  must be activated as a cost allocation tag in the billing console; until it is, Cost Explorer
  returns nothing for it, which is reported (`spend.no-data`) rather than read as "free".
- Weeks. Cost Explorer has no weekly granularity: costs are asked `DAILY` (`UnblendedCost`, by
  `SERVICE`) for the `weeks` whole weeks ending yesterday (UTC; today's costs are incomplete) and
  summed per week here. Each page of `GetCostAndUsage` is billed ($0.01), so one query covers
  every week and service.
- Growth (`spend.growth`): a service whose last week cost more than `GROWTH_MIN_USD` ($10) and
  more than `GROWTH_RATIO` (20 %) above the week before; `medium`, `high` when it at least
  doubled (a service new this week counts as doubled). Smaller services are left out: 20 % of a
  few dollars is noise.
- Anomalies (`spend.anomaly`): `GetAnomalies` on the stack's monitor(s) (found by
  `GetAnomalyMonitors`: named `baseline-<stack>-observability-cost`, or a custom monitor on the
  same tag) over the same weeks. Severity by total impact (USD): `critical` from
  `ANOMALY_CRITICAL_USD` ($1000), `high` from `ANOMALY_HIGH_USD` ($250), `medium` from
  `ANOMALY_MEDIUM_USD` ($50, the component's default alerting threshold), `low` below; an
  anomaly someone marked as not one (`NO`) or as planned is `info`. No monitor is
  `spend.no-anomaly-monitor` (`medium`): anomalies would go unseen.
- Failing closed: a call that fails becomes a `spend.unchecked` finding (`high`) naming the call,
  region and code, and `SpendReport.checked` leaves out the kinds it would have checked.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agents import AgentsError, InputError
from agents.protocol.findings import SEVERITIES, Finding
from agents.skills import tokens
from agents.skills.aws import CheckError, check_error, unchecked, utc

# IAM actions each function calls (the cost optimizer holds all three).
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "spend_report": ("ce:GetCostAndUsage", "ce:GetAnomalyMonitors", "ce:GetAnomalies"),
}
PERSONAS: dict[str, tuple[str, ...]] = {"spend_report": ("cost-optimizer",)}

COST_TAG_KEY = "stack"  # components.observability.ObservabilityArgs.cost_tag_key
METRIC = "UnblendedCost"
GROWTH_RATIO = 0.20
GROWTH_MIN_USD = 10.0
GROWTH_HIGH_RATIO = 1.0  # the weekly cost at least doubled
ANOMALY_CRITICAL_USD = 1000.0
ANOMALY_HIGH_USD = 250.0
ANOMALY_MEDIUM_USD = 50.0
DISMISSED_FEEDBACK = ("NO", "PLANNED_ACTIVITY")
MAX_WEEKS = 52
MAX_PAGES = 100  # a guard against a service that keeps returning a page token
MESSAGE_CHARS = 300
SERVICES_SHOWN = 15
COST_KINDS = ("spend.no-data", "spend.growth")
ANOMALY_KINDS = ("spend.anomaly", "spend.no-anomaly-monitor")


class SpendError(AgentsError):
    """Cost Explorer answered in a way the report cannot use; the message says how."""


def _check_error(
    exc: ClientError | BotoCoreError, service: str, call: str, region: str
) -> CheckError:
    return check_error(exc, service, call, region, MESSAGE_CHARS)


@dataclass(frozen=True)
class ServiceSpend:
    service: str
    weekly: tuple[float, ...]  # oldest week first, in the report's currency

    @property
    def last(self) -> float:
        return self.weekly[-1]

    @property
    def previous(self) -> float:
        return self.weekly[-2]

    def growth(self) -> float | None:
        """Last week over the one before (0.25 is +25 %); None when the week before was 0."""
        return None if self.previous <= 0 else self.last / self.previous - 1


@dataclass(frozen=True)
class RootCause:
    service: str
    region: str
    usage_type: str
    linked_account: str
    impact: float | None


@dataclass(frozen=True)
class CostAnomaly:
    anomaly_id: str
    monitor_arn: str
    start: str
    end: str  # "" while it lasts
    total_impact: float
    max_impact: float
    expected_spend: float | None
    actual_spend: float | None
    impact_percent: float | None
    score: float | None  # Cost Explorer's maximum anomaly score
    feedback: str
    root_causes: tuple[RootCause, ...]

    def severity(self) -> str:
        if self.feedback in DISMISSED_FEEDBACK:
            return "info"
        if self.total_impact >= ANOMALY_CRITICAL_USD:
            return "critical"
        if self.total_impact >= ANOMALY_HIGH_USD:
            return "high"
        if self.total_impact >= ANOMALY_MEDIUM_USD:
            return "medium"
        return "low"


@dataclass(frozen=True)
class SpendReport:
    stack: str
    tag: str  # "stack=dev"
    region: str
    checked_at: str
    week_starts: tuple[str, ...]  # ISO dates, oldest first; each week is 7 days
    end: str  # the exclusive end date (today, UTC)
    currency: str
    services: tuple[ServiceSpend, ...]  # most expensive last week first
    estimated: bool  # some days are Cost Explorer's estimates
    monitors: tuple[str, ...]
    anomalies: tuple[CostAnomaly, ...]
    errors: tuple[CheckError, ...] = ()
    costs_checked: bool = True
    anomalies_checked: bool = True

    @property
    def checked(self) -> tuple[str, ...]:
        """The finding kinds this report checked (a findings pass closes only those)."""
        return (COST_KINDS if self.costs_checked else ()) + (
            ANOMALY_KINDS if self.anomalies_checked else ()
        )

    def weekly_totals(self) -> tuple[float, ...]:
        return tuple(
            round(sum(s.weekly[w] for s in self.services), 2) for w in range(len(self.week_starts))
        )

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def findings(self, persona: str) -> list[Finding]:
        out = [_unchecked(self.stack, e, persona) for e in self.errors]
        if self.costs_checked:
            if not any(any(s.weekly) for s in self.services):
                out.append(
                    Finding(
                        kind="spend.no-data",
                        severity="medium",
                        stack=self.stack,
                        resource=self.tag,
                        summary=f"no cost tagged {self.tag} from {self.week_starts[0]} to "
                        f"{self.end}: the tag is not activated, or nothing is deployed",
                        evidence={"tag": self.tag, "start": self.week_starts[0], "end": self.end},
                        proposed_action=f"Activate the `{self.tag.split('=')[0]}` cost "
                        "allocation tag in the billing console (Cost allocation tags); it "
                        "applies from then on, not to past costs.",
                        persona=persona,
                    )
                )
            out += [self._growth(s, persona) for s in self.services if _grew(s)]
        if self.anomalies_checked:
            if not self.monitors:
                out.append(
                    Finding(
                        kind="spend.no-anomaly-monitor",
                        severity="medium",
                        stack=self.stack,
                        resource=self.tag,
                        summary=f"no cost anomaly monitor for {self.tag}: anomalies go unseen",
                        evidence={"tag": self.tag},
                        proposed_action="Deploy the observability component (pulumi up); it "
                        "creates the stack's monitor and its alert subscription.",
                        persona=persona,
                    )
                )
            out += [self._anomaly(a, persona) for a in self.anomalies]
        return out

    def _growth(self, s: ServiceSpend, persona: str) -> Finding:
        growth = s.growth()
        high = growth is None or growth >= GROWTH_HIGH_RATIO
        change = "new this week" if growth is None else f"+{growth:.0%}"
        return Finding(
            kind="spend.growth",
            severity="high" if high else "medium",
            stack=self.stack,
            resource=s.service,
            summary=f"{s.service} cost {s.last:.2f} {self.currency} last week, {change} on "
            f"the week before ({s.previous:.2f})",
            evidence={
                "service": s.service,
                "weekStarts": list(self.week_starts),
                "weekly": [round(v, 2) for v in s.weekly],
                "growth": None if growth is None else round(growth, 4),
                "currency": self.currency,
            },
            proposed_action=f"Find what grew in {s.service} (Cost Explorer by usage type and "
            "resource); right-size it or confirm the growth was planned.",
            persona=persona,
        )

    def _anomaly(self, a: CostAnomaly, persona: str) -> Finding:
        causes = ", ".join(
            " ".join(p for p in (c.service, c.region, c.usage_type) if p) for c in a.root_causes
        )
        return Finding(
            kind="spend.anomaly",
            severity=a.severity(),
            stack=self.stack,
            resource=a.anomaly_id,
            summary=f"cost anomaly since {a.start}{' (ended ' + a.end + ')' if a.end else ''}: "
            f"{a.total_impact:.2f} {self.currency} above expected"
            + (f", from {causes}" if causes else ""),
            evidence=asdict(a),
            proposed_action="Look at the root causes in Cost Anomaly Detection; stop what is "
            "not wanted, then give feedback (planned / not an anomaly) so the next ones are "
            "judged right.",
            persona=persona,
        )


def _grew(s: ServiceSpend) -> bool:
    if len(s.weekly) < 2 or s.last <= GROWTH_MIN_USD:
        return False
    growth = s.growth()
    return growth is None or growth > GROWTH_RATIO


def _unchecked(stack: str, error: CheckError, persona: str) -> Finding:
    return unchecked("spend.unchecked", stack, error, persona, "the stack's spend")


# ---------------------------------------------------------------- collection


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _pages(call: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Cost Explorer's `NextPageToken` pagination (botocore has no paginator for some calls).
    More than `MAX_PAGES` pages is a `SpendError`, not a silently cut answer."""
    token: str | None = None
    for _ in range(MAX_PAGES):
        page = call(**kwargs, **({"NextPageToken": token} if token else {}))
        yield page
        token = page.get("NextPageToken")
        if not token:
            return
    raise SpendError(f"more than {MAX_PAGES} pages: the answer would be cut short")


def _failure(exc: ClientError | BotoCoreError | SpendError, call: str, region: str) -> CheckError:
    if isinstance(exc, SpendError):
        return CheckError("ce", call, region, "TooManyPages", str(exc))
    return _check_error(exc, "ce", call, region)


def _tag_filter(tag_key: str, stack: str) -> dict[str, Any]:
    return {"Tags": {"Key": tag_key, "Values": [stack], "MatchOptions": ["EQUALS"]}}


def _costs(
    ce: Any, tag_key: str, stack: str, start: datetime.date, weeks: int
) -> tuple[dict[str, list[float]], str, bool]:
    end = start + datetime.timedelta(days=7 * weeks)
    services: dict[str, list[float]] = {}
    currency, estimated = "", False
    for page in _pages(
        ce.get_cost_and_usage,
        TimePeriod={"Start": start.isoformat(), "End": end.isoformat()},
        Granularity="DAILY",
        Metrics=[METRIC],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
        Filter=_tag_filter(tag_key, stack),
    ):
        for day in page.get("ResultsByTime", []):
            week = (datetime.date.fromisoformat(day["TimePeriod"]["Start"]) - start).days // 7
            if not 0 <= week < weeks:
                continue
            estimated = estimated or bool(day.get("Estimated"))
            for group in day.get("Groups", []):
                metric = group.get("Metrics", {}).get(METRIC, {})
                amount = _float(metric.get("Amount")) or 0.0
                currency = currency or str(metric.get("Unit") or "")
                service = str((group.get("Keys") or ["?"])[0])
                services.setdefault(service, [0.0] * weeks)[week] += amount
    return services, currency or "USD", estimated


def _is_stack_monitor(monitor: dict[str, Any], stack: str, tag_key: str) -> bool:
    if monitor.get("MonitorName") == f"baseline-{stack}-observability-cost":
        return True
    tags = (monitor.get("MonitorSpecification") or {}).get("Tags") or {}
    return (
        monitor.get("MonitorType") == "CUSTOM"
        and tags.get("Key") == tag_key
        and tags.get("Values") == [stack]
    )


def _anomaly(raw: dict[str, Any]) -> CostAnomaly:
    impact = raw.get("Impact") or {}
    score = raw.get("AnomalyScore") or {}
    return CostAnomaly(
        anomaly_id=str(raw.get("AnomalyId", "")),
        monitor_arn=str(raw.get("MonitorArn", "")),
        start=str(raw.get("AnomalyStartDate") or ""),
        end=str(raw.get("AnomalyEndDate") or ""),
        total_impact=_float(impact.get("TotalImpact")) or 0.0,
        max_impact=_float(impact.get("MaxImpact")) or 0.0,
        expected_spend=_float(impact.get("TotalExpectedSpend")),
        actual_spend=_float(impact.get("TotalActualSpend")),
        impact_percent=_float(impact.get("TotalImpactPercentage")),
        score=_float(score.get("MaxScore")),
        feedback=str(raw.get("Feedback") or ""),
        root_causes=tuple(
            RootCause(
                service=str(c.get("Service", "")),
                region=str(c.get("Region", "")),
                usage_type=str(c.get("UsageType", "")),
                linked_account=str(c.get("LinkedAccount", "")),
                impact=_float((c.get("Impact") or {}).get("Contribution")),
            )
            for c in raw.get("RootCauses", [])
        ),
    )


def spend_report(
    ce: Any,
    *,
    stack: str,
    weeks: int = 4,
    now: datetime.datetime | None = None,
    tag_key: str = COST_TAG_KEY,
    monitor_arn: str | None = None,
) -> SpendReport:
    """The stack's spend per service for the last `weeks` whole weeks and its cost anomalies
    (`ce`: a boto3 `ce` client; Cost Explorer answers in us-east-1). `monitor_arn` skips the
    monitor lookup. AWS failures are in the report (`errors`, and `spend.unchecked` findings),
    never raised; bad arguments raise `InputError`."""
    if not stack:
        raise InputError("stack must be a stack name such as 'dev'")
    if not 2 <= weeks <= MAX_WEEKS:
        raise InputError(f"weeks must be 2 to {MAX_WEEKS} (growth compares two weeks), got {weeks}")
    at = utc(now)
    end = at.date()
    start = end - datetime.timedelta(days=7 * weeks)
    region = str(getattr(getattr(ce, "meta", None), "region_name", "") or "unknown")
    errors: list[CheckError] = []

    services: dict[str, list[float]] = {}
    currency, estimated, costs_checked = "USD", False, True
    try:
        services, currency, estimated = _costs(ce, tag_key, stack, start, weeks)
    except (ClientError, BotoCoreError, SpendError) as exc:
        errors.append(_failure(exc, "GetCostAndUsage", region))
        costs_checked = False

    monitors: list[str] = [monitor_arn] if monitor_arn else []
    anomalies: list[CostAnomaly] = []
    anomalies_checked = True
    call = "GetAnomalyMonitors"
    try:
        if not monitor_arn:
            monitors = [
                str(m["MonitorArn"])
                for page in _pages(ce.get_anomaly_monitors)
                for m in page.get("AnomalyMonitors", [])
                if _is_stack_monitor(m, stack, tag_key)
            ]
        call = "GetAnomalies"
        for arn in monitors:
            for page in _pages(
                ce.get_anomalies,
                MonitorArn=arn,
                DateInterval={"StartDate": start.isoformat(), "EndDate": end.isoformat()},
            ):
                anomalies += [_anomaly(a) for a in page.get("Anomalies", [])]
    except (ClientError, BotoCoreError, SpendError) as exc:
        errors.append(_failure(exc, call, region))
        anomalies_checked = False

    ranked = sorted(
        (
            ServiceSpend(name, tuple(round(v, 4) for v in weekly))
            for name, weekly in services.items()
        ),
        key=lambda s: (-s.last, s.service),
    )
    return SpendReport(
        stack=stack,
        tag=f"{tag_key}={stack}",
        region=region,
        checked_at=at.isoformat(timespec="seconds"),
        week_starts=tuple(
            (start + datetime.timedelta(days=7 * w)).isoformat() for w in range(weeks)
        ),
        end=end.isoformat(),
        currency=currency,
        services=tuple(ranked),
        estimated=estimated,
        monitors=tuple(monitors),
        anomalies=tuple(sorted(anomalies, key=lambda a: -a.total_impact)),
        errors=tuple(errors),
        costs_checked=costs_checked,
        anomalies_checked=anomalies_checked,
    )


# ---------------------------------------------------------------- rendering


def _rank(finding: Finding) -> int:
    return SEVERITIES.index(finding.severity)


def _block(finding: Finding) -> str:
    lines = [f"[{finding.severity.upper()}] {finding.kind} {finding.summary}"]
    if finding.proposed_action:
        lines.append(f"  action: {finding.proposed_action}")
    return "\n".join(lines)


def _service_line(s: ServiceSpend) -> str:
    growth = s.growth()
    change = "new" if growth is None else f"{growth:+.0%}"
    return f"  {s.service}: {' '.join(f'{v:.2f}' for v in s.weekly)} ({change})"


def render(report: SpendReport, budget: int | None = None) -> str:
    """The report as text, at most `budget` o200k tokens (None: everything): a head line with
    the weekly totals, one block per finding (most severe first), then the services, most
    expensive last week first, one line each. Blocks that do not fit are counted in one line.
    `BudgetError` when even the head does not fit."""
    findings = sorted(report.findings(""), key=_rank)
    totals = " ".join(f"{t:.2f}" for t in report.weekly_totals())
    head = (
        f"spend {report.stack} ({report.tag}), weeks from {report.week_starts[0]} to "
        f"{report.end}: {totals} {report.currency}"
        + (" (partly estimated)" if report.estimated else "")
        + f"; {len(report.anomalies)} anomalies, {len(findings)} findings"
    )
    blocks = [_block(f) for f in findings]
    blocks += [_service_line(s) for s in report.services[:SERVICES_SHOWN]]
    hidden = len(report.services) - min(len(report.services), SERVICES_SHOWN)
    tail = [f"  +{hidden} cheaper services"] if hidden else []

    def more(dropped: Sequence[int]) -> str:
        serious = sum(1 for i in dropped if i < len(findings) and _rank(findings[i]) <= 1)
        return f"+{len(dropped)} more lines ({serious} high or critical findings)"

    full = tokens.fit([head], blocks, None, more, tail)
    if budget is None or full.tokens <= budget:
        return full.text
    return tokens.fit([head], blocks, budget, more, tail).text

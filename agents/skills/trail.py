"""`sensitive_events`: the account's security-sensitive CloudTrail management events of the last
hours (CloudTrail's event history, `LookupEvents`), as findings with who, when and from where.

Decisions:

- What is sensitive (after the CIS AWS Foundations monitoring controls 4.3 to 4.7), by kind:
  `trail.root-use`: any call by the root user that is not AWS acting for it (`invokedBy`, or an
  `AwsServiceEvent`), critical (CIS 4.3);
  `trail.console-login-no-mfa`: a successful console sign-in of an IAM user (or root) with
  `additionalEventData.MFAUsed` other than "Yes", high (critical for root) (CIS 4.2). Federated
  and SSO sign-ins are left out: their MFA happens at the identity provider, and CloudTrail
  records "No" for them;
  `trail.iam-policy-change`: the IAM policy writes of CIS 4.4 plus `UpdateAssumeRolePolicy` (a
  trust policy decides who gets a role), medium: deployments make them too, so they are for
  review, not alarm;
  `trail.kms-key-change`: `ScheduleKeyDeletion`, `DisableKey` (CIS 4.7), high: data under the
  key becomes unreadable;
  `trail.logging-change`: `StopLogging`, `DeleteTrail` (critical: the audit trail goes dark),
  `UpdateTrail`, `PutEventSelectors` (high: they can narrow what is logged) (CIS 4.5).
  A call that failed (`errorCode`, e.g. AccessDenied) is an attempt: one severity lower.
- Lookups. `LookupEvents` takes one attribute per call, so each event name is one paginated
  lookup (`EventName`), and root use is one more (`Username` = root); all with the time window.
  Per-name lookups read only the events wanted; a read-only or per-service lookup would page
  through every event of a busy account at CloudTrail's 2 calls per second. Give the client
  `retries={"mode": "adaptive"}` so it paces itself.
- Region. Event history is regional: IAM and console sign-in events are recorded in us-east-1,
  KMS and CloudTrail events in the region of the key or trail. Run it with a us-east-1 client
  for the global events, and per region for the rest.
- Identity of a finding: (kind, what was touched): the role, user, group or policy of an IAM
  change, the key, the trail, the user who signed in, `root`. The events of one identity are one
  finding (the latest in full, a count, a few more as examples), so the next pass updates it.
- `stack` only labels the findings (events are account-wide): with None they are filed under
  the stack `account`.
- Failing closed: a lookup that fails becomes a `trail.unchecked` finding (`high`) naming the
  call, region and code, and the kinds it feeds are left out of `TrailReport.checked`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agents import InputError
from agents.protocol.findings import SEVERITIES, Finding
from agents.skills import tokens
from agents.skills.aws import CheckError, check_error, iso, utc

# IAM actions each function calls (the security auditor holds it).
PERMISSIONS: dict[str, tuple[str, ...]] = {"sensitive_events": ("cloudtrail:LookupEvents",)}
PERSONAS: dict[str, tuple[str, ...]] = {"sensitive_events": ("security-auditor",)}

ACCOUNT_STACK = "account"
MAX_HOURS = 90 * 24  # event history keeps 90 days
EXAMPLES = 5  # events kept as examples per finding, beside the latest
TEXT_CHARS = 200

IAM_POLICY_EVENTS = (
    "CreatePolicy",
    "DeletePolicy",
    "CreatePolicyVersion",
    "DeletePolicyVersion",
    "SetDefaultPolicyVersion",
    "PutRolePolicy",
    "DeleteRolePolicy",
    "AttachRolePolicy",
    "DetachRolePolicy",
    "PutUserPolicy",
    "DeleteUserPolicy",
    "AttachUserPolicy",
    "DetachUserPolicy",
    "PutGroupPolicy",
    "DeleteGroupPolicy",
    "AttachGroupPolicy",
    "DetachGroupPolicy",
    "UpdateAssumeRolePolicy",
)
KMS_EVENTS = ("ScheduleKeyDeletion", "DisableKey")
LOGGING_EVENTS = {
    "StopLogging": "critical",
    "DeleteTrail": "critical",
    "UpdateTrail": "high",
    "PutEventSelectors": "high",
}

# (kind it feeds, lookup attribute, value), in the order they run.
LOOKUPS: tuple[tuple[str, str, str], ...] = (
    ("trail.root-use", "Username", "root"),
    ("trail.console-login-no-mfa", "EventName", "ConsoleLogin"),
    *(("trail.logging-change", "EventName", name) for name in LOGGING_EVENTS),
    *(("trail.kms-key-change", "EventName", name) for name in KMS_EVENTS),
    *(("trail.iam-policy-change", "EventName", name) for name in IAM_POLICY_EVENTS),
)
KINDS = tuple(dict.fromkeys(kind for kind, _, _ in LOOKUPS))

ACTIONS = {
    "trail.root-use": "Find out who used the root user and why; if unexplained, reset its "
    "password, replace its MFA device and look for what else it did. Daily work never needs "
    "root (CIS 1.7).",
    "trail.console-login-no-mfa": "Give the user an MFA device (or take away the console "
    "password) and deny console actions without MFA by policy (CIS 1.10).",
    "trail.iam-policy-change": "Check that the change came from pulumi up (the deployer role) "
    "or an approved change; revert anything else and find out who made it.",
    "trail.kms-key-change": "If not planned: cancel the deletion (kms cancel-key-deletion) or "
    "re-enable the key (kms enable-key) now; data encrypted under it becomes unreadable.",
    "trail.logging-change": "If not planned: start logging again (cloudtrail start-logging) or "
    "restore the trail with pulumi up, then find out who changed it and what they did since.",
}


def _check_error(
    exc: ClientError | BotoCoreError, service: str, call: str, region: str
) -> CheckError:
    return check_error(exc, service, call, region, TEXT_CHARS)


@dataclass(frozen=True)
class TrailEvent:
    """One event, reduced to what the findings need (no request bodies: policy documents and
    other parameters stay in CloudTrail)."""

    event_id: str
    event_name: str
    event_time: str  # ISO 8601 UTC
    event_source: str
    region: str
    who: str  # the principal's ARN, else its user name
    identity_type: str  # Root, IAMUser, AssumedRole, FederatedUser, AWSService ...
    account_id: str
    source_ip: str
    user_agent: str
    error_code: str  # "" when the call succeeded
    target: str  # what was touched: role/x, user/x, a policy ARN, a key, a trail
    event_type: str = ""  # AwsApiCall, AwsConsoleSignIn, AwsServiceEvent
    invoked_by: str = ""  # an AWS service acting for the principal
    mfa_used: str = ""  # ConsoleLogin: Yes / No
    login_result: str = ""  # ConsoleLogin: Success / Failure

    def brief(self) -> dict[str, str]:
        return {
            "eventId": self.event_id,
            "eventName": self.event_name,
            "eventTime": self.event_time,
            "who": self.who,
            "identityType": self.identity_type,
            "sourceIp": self.source_ip,
            "userAgent": self.user_agent,
            "region": self.region,
            "errorCode": self.error_code,
            "target": self.target,
        }


def _lower(severity: str) -> str:
    return SEVERITIES[min(SEVERITIES.index(severity) + 1, len(SEVERITIES) - 1)]


def classify(event: TrailEvent) -> list[tuple[str, str, str]]:
    """(kind, severity, resource) of each finding an event makes (none for most events)."""
    out: list[tuple[str, str, str]] = []
    root = event.identity_type == "Root"
    if root and not event.invoked_by and event.event_type != "AwsServiceEvent":
        out.append(("trail.root-use", "critical", f"root:{event.account_id or '?'}"))
    name = event.event_name
    if (
        name == "ConsoleLogin"
        and event.identity_type in ("IAMUser", "Root")
        and event.login_result == "Success"
        and event.mfa_used != "Yes"
    ):
        out.append(("trail.console-login-no-mfa", "critical" if root else "high", event.who))
    elif name in IAM_POLICY_EVENTS:
        out.append(("trail.iam-policy-change", "medium", event.target or name))
    elif name in KMS_EVENTS:
        out.append(("trail.kms-key-change", "high", event.target or name))
    elif name in LOGGING_EVENTS:
        out.append(("trail.logging-change", LOGGING_EVENTS[name], event.target or name))
    if event.error_code:
        out = [(kind, _lower(severity), resource) for kind, severity, resource in out]
    return out


@dataclass(frozen=True)
class TrailReport:
    stack: str  # the label findings are filed under
    region: str
    start: str  # ISO 8601 UTC
    end: str
    hours: int
    events: tuple[TrailEvent, ...]  # the sensitive ones, newest first
    errors: tuple[CheckError, ...] = ()
    failed_lookups: tuple[str, ...] = ()  # "EventName=StopLogging", ...

    @property
    def checked(self) -> tuple[str, ...]:
        """The finding kinds whose lookups all succeeded (a findings pass closes only those)."""
        failed = {kind for kind, key, value in LOOKUPS if f"{key}={value}" in self.failed_lookups}
        return tuple(k for k in KINDS if k not in failed)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def findings(self, persona: str) -> list[Finding]:
        out = [_unchecked(self.stack, e, persona) for e in self.errors]
        grouped: dict[tuple[str, str], list[tuple[str, TrailEvent]]] = {}
        for event in self.events:
            for kind, severity, resource in classify(event):
                grouped.setdefault((kind, resource), []).append((severity, event))
        for (kind, resource), seen in grouped.items():
            seen.sort(key=lambda se: se[1].event_time, reverse=True)
            severity = min((s for s, _ in seen), key=SEVERITIES.index)
            latest = seen[0][1]
            attempted = all(e.error_code for _, e in seen)
            verb = "attempted" if attempted else "made"
            out.append(
                Finding(
                    kind=kind,
                    severity=severity,
                    stack=self.stack,
                    resource=resource,
                    summary=f"{len(seen)} {latest.event_name} {verb} by {latest.who} from "
                    f"{latest.source_ip or '?'} (latest {latest.event_time}) on {resource}",
                    evidence={
                        "events": len(seen),
                        "latest": latest.brief(),
                        "examples": [e.brief() for _, e in seen[1 : 1 + EXAMPLES]],
                        "window": {"start": self.start, "end": self.end},
                    },
                    proposed_action=ACTIONS[kind],
                    persona=persona,
                )
            )
        return out


def _unchecked(stack: str, error: CheckError, persona: str) -> Finding:
    return Finding(
        kind="trail.unchecked",
        severity="high",
        stack=stack,
        resource=f"{error.service}:{error.call}@{error.region}",
        summary=f"sensitive events not checked: {error.line()}",
        evidence=asdict(error),
        proposed_action="Grant the persona cloudtrail:LookupEvents (baseline/personas.yaml) or "
        "retry later (the lookups are limited to 2 per second); until then these events are "
        "unseen.",
        persona=persona,
    )


# ---------------------------------------------------------------- collection


def _iso(value: Any) -> str:
    return iso(value, default=str(value or ""))


def _text(value: Any) -> str:
    return " ".join(str(value or "").split())[:TEXT_CHARS]


def _target(name: str, params: dict[str, Any], resources: Sequence[dict[str, Any]]) -> str:
    """What an event touched, from its request parameters (CloudTrail's `Resources` list as a
    fall-back)."""
    if name in IAM_POLICY_EVENTS:
        for key, label in (("roleName", "role/"), ("userName", "user/"), ("groupName", "group/")):
            if params.get(key):
                return f"{label}{params[key]}"
        if params.get("policyArn"):
            return str(params["policyArn"])
        if params.get("policyName"):
            return f"policy/{params['policyName']}"
    elif name in KMS_EVENTS and params.get("keyId"):
        return str(params["keyId"])
    elif name in LOGGING_EVENTS and (params.get("name") or params.get("trailName")):
        return str(params.get("name") or params.get("trailName"))
    for resource in resources:
        if resource.get("ResourceName"):
            return str(resource["ResourceName"])
    return ""


def parse_event(raw: dict[str, Any]) -> TrailEvent:
    """A `LookupEvents` event as a `TrailEvent` (the `CloudTrailEvent` JSON read for the
    identity, source address and outcome; a record that is not JSON leaves those empty)."""
    try:
        record = json.loads(raw.get("CloudTrailEvent") or "{}")
    except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
        record = {}
    if not isinstance(record, dict):
        record = {}
    identity = record.get("userIdentity") or {}
    params = record.get("requestParameters") or {}
    extra = record.get("additionalEventData") or {}
    response = record.get("responseElements") or {}
    name = str(raw.get("EventName") or record.get("eventName") or "")
    return TrailEvent(
        event_id=str(raw.get("EventId") or record.get("eventID") or ""),
        event_name=name,
        event_time=_iso(raw.get("EventTime") or record.get("eventTime")),
        event_source=str(raw.get("EventSource") or record.get("eventSource") or ""),
        region=str(record.get("awsRegion", "")),
        who=str(identity.get("arn") or raw.get("Username") or identity.get("type") or "?"),
        identity_type=str(identity.get("type", "")),
        account_id=str(identity.get("accountId") or record.get("recipientAccountId") or ""),
        source_ip=str(record.get("sourceIPAddress", "")),
        user_agent=_text(record.get("userAgent")),
        error_code=str(record.get("errorCode", "")),
        target=_target(
            name,
            params if isinstance(params, dict) else {},
            raw.get("Resources") or [],
        ),
        event_type=str(record.get("eventType", "")),
        invoked_by=str(identity.get("invokedBy", "")),
        mfa_used=str(extra.get("MFAUsed", "")) if isinstance(extra, dict) else "",
        login_result=str(response.get("ConsoleLogin", "")) if isinstance(response, dict) else "",
    )


def sensitive_events(
    cloudtrail: Any,
    *,
    stack: str | None = None,
    hours: int = 24,
    now: datetime.datetime | None = None,
) -> TrailReport:
    """The sensitive events of the last `hours` in the client's region (module docstring).
    AWS failures are in the report (`errors`, and `trail.unchecked` findings), never raised;
    bad arguments raise `InputError`."""
    if not 1 <= hours <= MAX_HOURS:
        raise InputError(f"hours must be 1 to {MAX_HOURS} (90 days of event history), got {hours}")
    end = utc(now)
    start = end - datetime.timedelta(hours=hours)
    region = str(getattr(getattr(cloudtrail, "meta", None), "region_name", "") or "unknown")
    seen: dict[str, TrailEvent] = {}
    errors: list[CheckError] = []
    failed: list[str] = []
    for _kind, key, value in LOOKUPS:
        try:
            pages = cloudtrail.get_paginator("lookup_events").paginate(
                LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}],
                StartTime=start,
                EndTime=end,
            )
            for page in pages:
                for raw in page.get("Events", []):
                    event = parse_event(raw)
                    if event.event_id not in seen and classify(event):
                        seen[event.event_id] = event
        except (ClientError, BotoCoreError) as exc:
            failed.append(f"{key}={value}")
            if not errors:  # one unchecked finding for the call; `failed_lookups` names them all
                errors.append(_check_error(exc, "cloudtrail", "LookupEvents", region))
    events = sorted(seen.values(), key=lambda e: e.event_time, reverse=True)
    return TrailReport(
        stack=stack or ACCOUNT_STACK,
        region=region,
        start=_iso(start),
        end=_iso(end),
        hours=hours,
        events=tuple(events),
        errors=tuple(errors),
        failed_lookups=tuple(failed),
    )


# ---------------------------------------------------------------- rendering


def _rank(finding: Finding) -> tuple[int, str]:
    return (SEVERITIES.index(finding.severity), finding.kind)


def _block(finding: Finding) -> str:
    lines = [f"[{finding.severity.upper()}] {finding.kind} {finding.summary}"]
    latest = finding.evidence.get("latest")
    if isinstance(latest, dict) and latest.get("userAgent"):
        lines.append(f"  agent: {latest['userAgent']}")
    if finding.proposed_action:
        lines.append(f"  action: {finding.proposed_action}")
    return "\n".join(lines)


def render(report: TrailReport, budget: int | None = None) -> str:
    """The report as text, at most `budget` o200k tokens (None: everything): a head line, then
    one block per finding, most severe first. Blocks that do not fit are counted in one line.
    `BudgetError` when even the head does not fit."""
    findings = sorted(report.findings(""), key=_rank)
    head = (
        f"sensitive events {report.stack} ({report.region}, {report.start} to {report.end}): "
        f"{len(report.events)} events, {len(findings)} findings"
    )
    if report.failed_lookups:
        head += f"; {len(report.failed_lookups)} of {len(LOOKUPS)} lookups failed"
    blocks = [_block(f) for f in findings]

    def more(dropped: Sequence[int]) -> str:
        serious = sum(1 for i in dropped if _rank(findings[i])[0] <= 1)
        return f"+{len(dropped)} more findings ({serious} high or critical)"

    full = tokens.fit([head], blocks, None, more)
    if budget is None or full.tokens <= budget:
        return full.text
    return tokens.fit([head], blocks, budget, more).text

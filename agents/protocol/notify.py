"""Findings reach people: after each pass, what it opened, escalated, kept open or closed is
published to the stack's alert topic (SNS) in AWS Chatbot's custom-notification format, so Slack
shows a card (title, stack, resource, summary, evidence, proposed action).

- **What is announced** (`notify_min_severity`, high by default, so high and critical):
  a finding the pass opened (`new`); one whose severity rose to at least the floor (`escalated`,
  once per severity reached); one still open `notify_reminder_h` hours after its last message
  (`reminder`); and, for one that was announced, the pass that closes it (`resolved`). An open
  finding that no message was ever sent for (the pod died between recording it and announcing
  it, or notifications were just turned on) is announced as new by the next pass that sees it.
  Nothing for an unchanged finding, nothing below the floor. Critical findings go to the stack's
  paging topic when one is configured (`notify_paging_topics`), else to its alert topic;
  reminders and the resolve go where the finding was first announced, in the same Chatbot
  thread (`metadata.threadId`).
- **Once, across pods and restarts**: every message is first *claimed* in a shared ledger by
  insert-if-absent on its key (`new:<id>`, `escalated:<id>:<severity>`, `reminder:<id>:<n>`,
  `resolved:<id>`, `<id>` the finding's id in the findings store), then *taken* for publishing
  under a lease (compare-and-set), then marked sent. Two pods that see the same finding claim
  the same key: one row, one publication. A claim left `sending` by a pod killed mid-publish is
  taken again once its lease (`notify_lease_s`) has passed. The ledger
  (`agents.protocol.notify_ledger`) is `<state_dir>/notifications.sqlite` beside the SQLite
  findings store, or the table `notify_claims` in the stack's PostgreSQL with
  `records_backend=postgres` (`agents.protocol.notify_postgres`).
- **Rate limit per stack**: at most `notify_max_per_hour` publications in any hour (counted in
  the ledger, under a lock, so across pods). A message over the limit stays in the ledger as
  `deferred` and goes out on a later pass, oldest first (`notify.deferred` when it is deferred).
- **Failures never fail the pass**: SNS is called with short timeouts and botocore's bounded
  retries; a publish that still fails is `failed` in the ledger (`notify.failed`) and tried again
  by the next pass; once the endpoint is unreachable, the rest of the pass's messages wait for the
  next pass instead of each waiting out its own timeout. A ledger that cannot be opened is one
  `notify.error` record. A message that could not be sent within a day is `expired`
  (`notify.expired`); one whose finding closed before it went out is `cancelled`.
- **Audited**: `notify.published` (key, topic, SNS message id, attempts), `notify.failed`,
  `notify.deferred`, `notify.cancelled`, `notify.expired`, `notify.error`.
- **Untrusted text** (resource names, summaries, evidence from logs) is made inert for Slack
  (`slack_text`): control characters shown (`toolchain.untrusted.escape`), `<`, `>` and `&` (Slack's
  control sequences: `<!channel>`, `<@U1>`, `<https://x|y>`) and `@` (`@here`) replaced by
  look-alikes, backticks too (so a value cannot close the code span it is shown in), URL schemes
  defanged (`hxxps[:]//`) and Markdown links broken, every field bounded in length.
- **Off** when the stack has no topic (`notify_topics` names neither it nor `*`): `notify_pass`
  returns a report saying so, with no error and nothing opened.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import re
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from agents import first_line
from agents.protocol.findings import SEVERITIES, PassResult, StoredFinding
from agents.protocol.notify_ledger import (
    LEDGER_FILE,
    WINDOW_S,
    Claim,
    Ledger,
    NotifyError,
    SqliteLedger,
)
from toolchain.untrusted import escape

if TYPE_CHECKING:
    from agents.protocol.audit import AuditLog
    from agents.protocol.settings import AgentSettings

MAX_UNSENT_S = 24 * 3600.0  # a message not sent within this long is expired, not sent late
_SETTLED = ("sent", "cancelled", "expired")
EVENTS = ("new", "escalated", "reminder", "resolved")

# Bounds on what one card holds (our own, well inside SNS's 256 KB and what a card shows).
TITLE_MAX = 200
FIELD_MAX = 300
SUMMARY_MAX = 600
EVIDENCE_ITEMS = 12
EVIDENCE_VALUE_MAX = 200
DESCRIPTION_MAX = 3500


# -- making untrusted text inert in Slack ----------------------------------------------------------
_LOOKALIKE = str.maketrans(
    {
        "<": "\u2039",  # Slack's control sequences start with <
        ">": "\u203a",
        "&": "\uff06",  # no entity can be spelled
        "@": "\uff20",  # no @here, @channel, @everyone, @user
        "`": "\u02cb",  # cannot close the code span it is shown in
    }
)
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,30}):(/{2}|\\{2})")
_HTTP = re.compile(r"(?i)\bhttp(s?)\b")
_MD_LINK = re.compile(r"\]\s*\(")


def _defang(match: re.Match[str]) -> str:
    return f"{match.group(1)}[:]{match.group(2)}"


def slack_text(value: Any, limit: int = FIELD_MAX) -> str:
    """`value` as inert text for a Chatbot card: one line, control characters shown, no mention,
    no link, no way out of a code span, at most `limit` characters."""
    text = escape(value if isinstance(value, str) else json.dumps(value, default=str))
    text = text.translate(_LOOKALIKE)
    text = _SCHEME.sub(_defang, text)
    text = _HTTP.sub(lambda m: "hxxp" + m.group(1), text)
    text = _MD_LINK.sub("] (", text)
    if len(text) > limit:
        text = text[: max(0, limit - 1)] + "\u2026"
    return text


def _code(value: Any, limit: int = FIELD_MAX) -> str:
    text = slack_text(value, limit)
    return f"`{text}`" if text else "`-`"


def _thread_id(stack: str, finding_id: int) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", f"baseline-{stack}-finding-{finding_id}")[:128]


# -- the card --------------------------------------------------------------------------------------
_HEADLINE = {
    "new": ":rotating_light: New {sev} finding",
    "escalated": ":arrow_double_up: Finding escalated to {sev}",
    "reminder": ":hourglass: Still open: {sev} finding",
    "resolved": ":white_check_mark: Resolved: {sev} finding",
}


def render(event: str, stored: StoredFinding, source: str, *, reminder: int = 0) -> dict[str, Any]:
    """The Chatbot custom notification for `event` about `stored` (version 1.0, source custom,
    client-markdown)."""
    f = stored.finding
    sev = f.severity.upper()
    headline = _HEADLINE[event].format(sev=sev)
    title = slack_text(f"{headline} on {f.stack}: {f.kind}", TITLE_MAX)
    head = [
        f"*Stack* {_code(f.stack, 100)}  *Severity* {sev}  "
        f"*Persona* {_code(f.persona or '-', 100)}",
        f"*Resource* {_code(f.resource)}",
        f"*Summary* {_code(f.summary, SUMMARY_MAX)}",
    ]
    tail = []
    if f.proposed_action and event != "resolved":
        tail.append(f"*Proposed action* {_code(f.proposed_action, SUMMARY_MAX)}")
    when = (
        f"closed {stored.closed_at}"
        if event == "resolved"
        else f"first seen {stored.first_seen}, last seen {stored.last_seen}"
    )
    tail.append(
        f"*Finding* {_code(f'{source}#{stored.id}', 100)} ({when}, seen {stored.count} time(s)"
        + (f", reminder {reminder}" if reminder else "")
        + ")"
    )
    items = list(f.evidence.items())
    shown = [
        f"{slack_text(k, 60)}: {slack_text(v, EVIDENCE_VALUE_MAX)}"
        for k, v in items[:EVIDENCE_ITEMS]
    ]

    def describe() -> str:
        evidence = []
        if items:
            more = len(items) - len(shown)
            body = [*shown, *([f"(+{more} more)"] if more else [])]
            evidence = ["*Evidence*\n```\n" + "\n".join(body) + "\n```"]
        return "\n".join([*head, *evidence, *tail])

    # Every field is bounded; the whole is kept under DESCRIPTION_MAX by showing fewer evidence
    # items (never by cutting through a code span or block).
    description = describe()
    while len(description) > DESCRIPTION_MAX and shown:
        shown.pop()
        description = describe()
    next_steps = (
        [f"`python -m agents findings --stack {slack_text(f.stack, 100)} --closed`"]
        if event == "resolved"
        else [
            *([slack_text(f.proposed_action, SUMMARY_MAX)] if f.proposed_action else []),
            f"`python -m agents findings --stack {slack_text(f.stack, 100)}`",
        ]
    )
    return {
        "version": "1.0",
        "source": "custom",
        "id": f"{event}:{stored.id}:{reminder}" if reminder else f"{event}:{stored.id}",
        "content": {
            "textType": "client-markdown",
            "title": title,
            "description": description,
            "nextSteps": next_steps,
            "keywords": [
                slack_text(x, 60) for x in (f.severity, f.stack, f.kind, f.persona or "agents")
            ],
        },
        "metadata": {
            "threadId": _thread_id(f.stack, stored.id),
            "summary": slack_text(f"{headline}: {f.kind} on {f.resource}", TITLE_MAX),
            "eventType": f"finding.{event}",
            "relatedResources": [slack_text(f.resource)],
            "additionalContext": {
                "stack": slack_text(f.stack, 100),
                "persona": slack_text(f.persona, 100),
                "kind": slack_text(f.kind, 100),
                "severity": f.severity,
                "finding": slack_text(f"{source}#{stored.id}", 100),
            },
        },
    }


def subject(event: str, stored: StoredFinding) -> str:
    """SNS's Subject (e-mail subscribers): printable ASCII, at most 100 characters."""
    f = stored.finding
    raw = f"[baseline {f.stack}] {event} {f.severity}: {f.kind} {f.resource}"
    return re.sub(r"[^\x20-\x7e]", "?", raw)[:100]


def open_ledger(settings: AgentSettings) -> Ledger:
    """The ledger beside the findings store the settings choose."""
    if settings.records_backend == "postgres":
        from agents.protocol.notify_postgres import PostgresLedger  # noqa: PLC0415
        from agents.protocol.postgres import target  # noqa: PLC0415

        return PostgresLedger(target(settings))
    return SqliteLedger(settings.state_dir / LEDGER_FILE)


# -- publishing ------------------------------------------------------------------------------------
class Publisher(Protocol):
    def publish(self, topic: str, subject: str, message: str) -> str:
        """Publish `message`; the SNS message id, or an exception."""
        ...


class Unreachable(Exception):
    """The endpoint could not be reached at all (the rest of the pass waits)."""


class SnsPublisher:
    """SNS with short timeouts and botocore's standard retries (3 attempts): a down endpoint costs
    a pass a few seconds, never its loop."""

    def __init__(self, region: str, endpoint_url: str | None = None) -> None:
        import boto3  # noqa: PLC0415 - slow to import; only a configured topic needs it
        from botocore.config import Config  # noqa: PLC0415

        self.client = boto3.client(
            "sns",
            region_name=region,
            endpoint_url=endpoint_url,
            config=Config(
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=3,
                read_timeout=5,
            ),
        )

    def publish(self, topic: str, subject: str, message: str) -> str:
        from botocore.exceptions import (  # noqa: PLC0415
            ConnectionClosedError,
            ConnectTimeoutError,
            EndpointConnectionError,
            ReadTimeoutError,
        )

        try:
            answer = self.client.publish(TopicArn=topic, Subject=subject, Message=message)
        except (
            EndpointConnectionError,
            ConnectTimeoutError,
            ReadTimeoutError,
            ConnectionClosedError,
        ) as exc:
            raise Unreachable(str(exc)) from exc
        return str(answer.get("MessageId", ""))


# -- one pass --------------------------------------------------------------------------------------
@dataclass
class NotifyReport:
    """What `notify_pass` did; `enabled` False (with `reason`) when the stack has no topic."""

    enabled: bool
    reason: str | None = None
    claimed: list[str] = field(default_factory=list)
    published: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)  # not tried: the endpoint was down
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def line(self) -> str:
        if not self.enabled:
            return f"notifications off: {self.reason}"
        if self.error:
            return f"notifications: {self.error}"
        parts = [f"{len(self.published)} sent"]
        for what in ("failed", "deferred", "waiting", "cancelled", "expired"):
            if getattr(self, what):
                parts.append(f"{len(getattr(self, what))} {what}")
        return "notifications: " + ", ".join(parts)


def topics_for(settings: AgentSettings, stack: str) -> tuple[str | None, str | None]:
    """(alert topic, paging topic) of `stack`: its own entry, else `*`."""
    alert = settings.notify_topics.get(stack) or settings.notify_topics.get("*")
    paging = settings.notify_paging_topics.get(stack) or settings.notify_paging_topics.get("*")
    return alert, paging


def notify_status(settings: AgentSettings, stack: str | None = None) -> dict[str, Any]:
    """For `status`: whether notifications are on, where they go, and (with the SQLite ledger,
    which reading costs nothing) how many messages are in each state."""
    if not settings.notify_topics:
        return {
            "enabled": False,
            "reason": "no alert topic configured (AGENTS_NOTIFY_TOPICS)",
        }
    status: dict[str, Any] = {
        "enabled": True,
        "topics": dict(settings.notify_topics),
        "pagingTopics": dict(settings.notify_paging_topics),
        "minSeverity": settings.notify_min_severity,
        "reminderHours": settings.notify_reminder_h,
        "maxPerHour": settings.notify_max_per_hour,
    }
    path = settings.state_dir / LEDGER_FILE
    if settings.records_backend != "postgres" and path.exists() and path.stat().st_size:
        try:
            with SqliteLedger(path) as ledger:
                status["messages"] = ledger.counts(stack)
        except NotifyError as exc:
            status["error"] = str(exc)
    return status


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity)  # 0 is the most severe


def _as_epoch(now: float | datetime.datetime | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime.datetime):
        return now.timestamp()
    return float(now)


class Notifier:
    """One pass's notifications for (persona, stack), on a ledger and a publisher."""

    def __init__(
        self,
        settings: AgentSettings,
        ledger: Ledger,
        publisher: Publisher,
        audit: AuditLog,
        *,
        source: str = "findings",
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.publisher = publisher
        self.audit = audit
        self.source = source

    def _audit(self, event: str, c: Claim, **extra: Any) -> None:
        self.audit.append(
            event,
            key=c.key,
            persona=c.persona,
            stack=c.stack,
            finding=c.finding_id,
            notification=c.event,
            severity=c.severity,
            topic=c.topic,
            **extra,
        )

    def run(
        self, persona: str, stack: str, result: PassResult, now: float, report: NotifyReport
    ) -> None:
        alert, paging = topics_for(self.settings, stack)
        assert alert is not None  # notify_pass checked
        floor = _rank(self.settings.notify_min_severity)
        reminder_s = self.settings.notify_reminder_h * 3600.0
        live = [*result.opened, *result.updated]
        opened = {f.id for f in result.opened}
        seen = self.ledger.seen(f.id for f in live)
        history = self.ledger.history([*(f.id for f in live), *(f.id for f in result.closed)])

        def claim(event: str, f: StoredFinding, key: str, topic: str, reminder: int = 0) -> None:
            message = json.dumps(render(event, f, self.source, reminder=reminder))
            c = Claim(
                key,
                persona,
                stack,
                f.id,
                event,
                f.finding.severity,
                topic,
                subject(event, f),
                message,
            )
            if self.ledger.claim(c, now):
                report.claimed.append(key)

        for f in live:
            sev = f.finding.severity
            past = history.get(f.id, [])
            if _rank(sev) > floor:
                continue
            first = next((c.topic for c in past), None)
            loud = paging if (sev == "critical" and paging) else alert
            before = seen.get(f.id)
            if f.id in opened or (before is None and not any(c.event == "new" for c in past)):
                claim("new", f, f"new:{f.id}", loud)
            elif before is not None and _rank(sev) < _rank(before):
                claim("escalated", f, f"escalated:{f.id}:{sev}", loud)
            elif reminder_s > 0 and all(c.state in _SETTLED for c in past):
                last = max((c.sent_at or 0.0) for c in past)
                if last and now - last >= reminder_s:
                    n = sum(1 for c in past if c.event == "reminder") + 1
                    claim("reminder", f, f"reminder:{f.id}:{n}", first or alert, reminder=n)
        self.ledger.mark_seen(persona, stack, [(f.id, f.finding.severity) for f in live], now)

        for f in result.closed:
            for c in self.ledger.cancel_unsent(f.id, now):
                report.cancelled.append(c.key)
                self._audit("notify.cancelled", c, reason="the finding closed before it was sent")
            past = history.get(f.id, [])
            sent = [c for c in past if c.state == "sent"]
            if sent:
                claim("resolved", f, f"resolved:{f.id}", sent[0].topic)

        self.send_due(persona, stack, now, report)

    def send_due(self, persona: str, stack: str, now: float, report: NotifyReport) -> None:
        down: str | None = None
        for c in self.ledger.due(persona, stack, now):
            if now - c.claimed_at > MAX_UNSENT_S:
                self.ledger.finish(c.key, "expired", now, error="not sent within a day")
                report.expired.append(c.key)
                self._audit("notify.expired", c, attempts=c.attempts, error=c.error)
                continue
            if down is not None:
                report.waiting.append(c.key)
                continue
            outcome, taken = self.ledger.take(
                c.key, stack, now, self.settings.notify_lease_s, self.settings.notify_max_per_hour
            )
            if outcome == "busy" or taken is None:
                continue
            if outcome == "limited":
                report.deferred.append(c.key)
                if taken.state != "deferred":  # audited when it is deferred, not every pass
                    self._audit(
                        "notify.deferred",
                        taken,
                        limit=self.settings.notify_max_per_hour,
                        window_s=WINDOW_S,
                    )
                continue
            try:
                message_id = self.publisher.publish(taken.topic, taken.subject, taken.message)
            except Exception as exc:  # noqa: BLE001 - a failed publish is recorded, never raised
                error = first_line(exc, 500)
                self.ledger.finish(c.key, "failed", now, error=error)
                report.failed.append(c.key)
                self._audit("notify.failed", taken, attempts=taken.attempts, error=error)
                if isinstance(exc, Unreachable):
                    down = error
                continue
            self.ledger.finish(c.key, "sent", now, message_id=message_id)
            report.published.append(c.key)
            self._audit(
                "notify.published",
                taken,
                message_id=message_id,
                attempts=taken.attempts,
                waited_s=round(now - taken.claimed_at, 3),
            )


def notify_pass(
    settings: AgentSettings,
    persona: str,
    stack: str,
    result: PassResult,
    audit: AuditLog,
    *,
    now: float | datetime.datetime | None = None,
    source: str = "findings",
    ledger: Ledger | None = None,
    publisher: Publisher | None = None,
) -> NotifyReport:
    """After a pass: announce what `result` opened, escalated, kept open too long or closed,
    and send what earlier passes left waiting. Never raises (a ledger or SNS failure is in the
    report and on the audit log); off, with the reason in the report, when `stack` has no topic.
    `ledger` and `publisher` are for tests (default: the settings' ledger and SNS)."""
    alert, _ = topics_for(settings, stack)
    if alert is None:
        return NotifyReport(
            enabled=False, reason=f"no alert topic for stack {stack} (AGENTS_NOTIFY_TOPICS)"
        )
    report = NotifyReport(enabled=True)
    epoch = _as_epoch(now)
    own = ledger is None
    try:
        if ledger is None:
            ledger = open_ledger(settings)
        if publisher is None:
            publisher = SnsPublisher(
                settings.notify_region or settings.dynamodb_region, settings.notify_endpoint_url
            )
        Notifier(settings, ledger, publisher, audit, source=source).run(
            persona, stack, result, epoch, report
        )
    except Exception as exc:  # noqa: BLE001 - notifications never fail the pass
        report.error = first_line(exc, 500)
        with contextlib.suppress(Exception):
            audit.append("notify.error", persona=persona, stack=stack, error=report.error)
    finally:
        if own and ledger is not None:
            with contextlib.suppress(Exception):
                ledger.close()
    return report


__all__ = [
    "Claim",
    "Ledger",
    "NotifyError",
    "NotifyReport",
    "Publisher",
    "SnsPublisher",
    "SqliteLedger",
    "notify_pass",
    "notify_status",
    "open_ledger",
    "render",
    "slack_text",
]

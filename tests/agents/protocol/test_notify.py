"""Finding notifications on moto's SNS, read back from an SQS queue subscribed to the topics:
one message per new high finding, none for an unchanged, medium or low one, a reminder after the
interval (an injected clock), a resolve on close, an escalation when the severity rises, none
duplicated when two pods share the ledger, a failed publish retried by the next pass (audited,
never raised), the rate limit deferring and later sending, a claim left by a killed pod taken
again after its lease, and untrusted text made inert for Slack. The behaviour tests take the
ledger from the `open_ledger` fixture, so `test_notify_postgres.py` runs them on PostgreSQL."""

from __future__ import annotations

import json
import multiprocessing
import re
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from agents.protocol.audit import AuditLog
from agents.protocol.findings import Finding, FindingStore, PassResult, StoredFinding
from agents.protocol.notify import (
    DESCRIPTION_MAX,
    Claim,
    Ledger,
    NotifyReport,
    SnsPublisher,
    SqliteLedger,
    notify_pass,
    notify_status,
    render,
    slack_text,
)
from agents.protocol.settings import AgentSettings

REGION = "us-east-1"
PERSONA = "observability-engineer"
T0 = 1_800_000_000.0
HOUR = 3600.0

OpenLedger = Callable[[], Ledger]


def finding(resource: str = "baseline-prod-api-5xx", severity: str = "high", **kw: Any) -> Finding:
    return Finding(
        kind=kw.pop("kind", "alarm.firing"),
        severity=severity,
        stack="prod",
        resource=resource,
        summary=kw.pop("summary", f"{resource} is in ALARM"),
        evidence=kw.pop("evidence", {"since": "2026-11-29T10:00:00Z", "datapoints": 3}),
        proposed_action=kw.pop("proposed_action", "look at the API's 5xx"),
        persona=PERSONA,
    )


class Sns:
    """Two topics (alerts, paging), each with an SQS queue subscribed (raw delivery)."""

    def __init__(self) -> None:
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.alert = self.sns.create_topic(Name="baseline-prod-alerts")["TopicArn"]
        self.paging = self.sns.create_topic(Name="baseline-prod-pages")["TopicArn"]
        self.queues = {self.alert: self._queue("alerts-q"), self.paging: self._queue("pages-q")}
        for topic, url in self.queues.items():
            arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
                "Attributes"
            ]["QueueArn"]
            self.sns.subscribe(
                TopicArn=topic,
                Protocol="sqs",
                Endpoint=arn,
                Attributes={"RawMessageDelivery": "true"},
            )

    def _queue(self, name: str) -> str:
        return str(self.sqs.create_queue(QueueName=name)["QueueUrl"])

    def received(self, topic: str | None = None) -> list[dict[str, Any]]:
        """The messages published since the last call (to the alert topic by default)."""
        url = self.queues[topic or self.alert]
        found: list[dict[str, Any]] = []
        while True:
            got = self.sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            ).get("Messages", [])
            if not got:
                return found
            for m in got:
                found.append(json.loads(m["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


@pytest.fixture
def sns() -> Iterator[Sns]:
    with mock_aws():
        yield Sns()


@pytest.fixture
def open_ledger(tmp_path: Path) -> OpenLedger:
    """A ledger on the shared file; each call is another pod's connection to it."""
    return lambda: SqliteLedger(tmp_path / "state" / "notifications.sqlite")


def make_settings(tmp_path: Path, sns: Sns, **kw: Any) -> AgentSettings:
    values: dict[str, Any] = {
        "state_dir": tmp_path / "state",
        "notify_topics": {"*": sns.alert},
        "notify_reminder_h": 4,
        **kw,
    }
    return AgentSettings(**values)


class World:
    """A findings store, the settings, an audit log and a pass function with a clock."""

    def __init__(self, tmp_path: Path, sns: Sns, open_ledger: OpenLedger, **kw: Any) -> None:
        self.settings = make_settings(tmp_path, sns, **kw)
        self.store = FindingStore(tmp_path / "findings.sqlite")
        self.audit = AuditLog(tmp_path / "audit.jsonl", writer="test")
        self.open_ledger = open_ledger
        self.publisher = SnsPublisher(REGION)

    def observe(self, *found: Finding, checked: tuple[str, ...] = ("alarm.firing",)) -> PassResult:
        return self.store.observe(PERSONA, "prod", checked, list(found))

    def notify(self, result: PassResult, now: float, **kw: Any) -> NotifyReport:
        with self.open_ledger() as ledger:
            return notify_pass(
                self.settings,
                PERSONA,
                "prod",
                result,
                self.audit,
                now=now,
                ledger=ledger,
                publisher=kw.pop("publisher", self.publisher),
            )

    def events(self, name: str) -> list[dict[str, Any]]:
        return self.audit.query({"event": name})


@pytest.fixture
def world(tmp_path: Path, sns: Sns, open_ledger: OpenLedger) -> World:
    return World(tmp_path, sns, open_ledger)


# -- what is announced -----------------------------------------------------------------------------
def test_exactly_one_message_per_new_high_finding_none_when_unchanged(
    world: World, sns: Sns
) -> None:
    report = world.notify(world.observe(finding()), T0)
    assert report.enabled and report.error is None
    sent = sns.received()
    assert len(sent) == 1
    card = sent[0]
    assert card["version"] == "1.0" and card["source"] == "custom"
    assert card["content"]["textType"] == "client-markdown"
    assert "New HIGH finding" in card["content"]["title"]
    assert "baseline-prod-api-5xx" in card["content"]["description"]
    assert card["metadata"]["eventType"] == "finding.new"
    assert [e["key"] for e in world.events("notify.published")] == report.published

    for minute in range(1, 4):  # seen again, unchanged: nothing
        assert world.notify(world.observe(finding()), T0 + 60 * minute).published == []
    assert sns.received() == []


def test_medium_and_low_findings_are_not_announced(world: World, sns: Sns) -> None:
    report = world.notify(world.observe(finding("a", "medium"), finding("b", "low")), T0)
    assert report.claimed == [] and report.published == []
    assert sns.received() == []


def test_a_reminder_after_the_interval_and_not_before(world: World, sns: Sns) -> None:
    world.notify(world.observe(finding()), T0)
    assert len(sns.received()) == 1
    assert world.notify(world.observe(finding()), T0 + 4 * HOUR - 1).published == []
    report = world.notify(world.observe(finding()), T0 + 4 * HOUR)
    assert len(report.published) == 1 and report.published[0].startswith("reminder:")
    (card,) = sns.received()
    assert card["metadata"]["eventType"] == "finding.reminder"
    assert card["metadata"]["threadId"].endswith("-finding-1")  # the same Slack thread
    assert world.notify(world.observe(finding()), T0 + 6 * HOUR).published == []
    assert world.notify(world.observe(finding()), T0 + 8 * HOUR).published == ["reminder:1:2"]


def test_a_resolve_when_a_pass_closes_the_finding(world: World, sns: Sns) -> None:
    world.notify(world.observe(finding()), T0)
    sns.received()
    report = world.notify(world.observe(), T0 + 60)  # the alarm check saw nothing: closed
    assert report.published == ["resolved:1"]
    (card,) = sns.received()
    assert card["metadata"]["eventType"] == "finding.resolved"
    assert "Resolved" in card["content"]["title"]
    # A medium finding that was never announced closes silently.
    world.notify(world.observe(finding("m", "medium")), T0 + 120)
    assert world.notify(world.observe(), T0 + 180).published == []
    assert sns.received() == []


def test_an_escalation_when_the_severity_rises_critical_to_the_paging_topic(
    tmp_path: Path, sns: Sns, open_ledger: OpenLedger
) -> None:
    world = World(tmp_path, sns, open_ledger, notify_paging_topics={"prod": sns.paging})
    world.notify(world.observe(finding(severity="medium")), T0)
    assert sns.received() == []
    report = world.notify(world.observe(finding(severity="high")), T0 + 60)
    assert report.published == ["escalated:1:high"]
    (card,) = sns.received()
    assert "escalated to HIGH" in card["content"]["title"]
    report = world.notify(world.observe(finding(severity="critical")), T0 + 120)
    assert report.published == ["escalated:1:critical"]
    assert sns.received() == []
    (page,) = sns.received(sns.paging)
    assert "escalated to CRITICAL" in page["content"]["title"]
    # Down and up again: critical was announced once already.
    world.notify(world.observe(finding(severity="high")), T0 + 180)
    assert world.notify(world.observe(finding(severity="critical")), T0 + 240).published == []
    # A new critical finding pages.
    world.notify(world.observe(finding(severity="critical"), finding("db", "critical")), T0 + 300)
    assert [c["metadata"]["eventType"] for c in sns.received(sns.paging)] == ["finding.new"]


def test_no_topic_means_notifications_are_off_without_error(tmp_path: Path) -> None:
    settings = AgentSettings(state_dir=tmp_path / "state")
    store = FindingStore(tmp_path / "findings.sqlite")
    result = store.observe(PERSONA, "prod", ["alarm.firing"], [finding()])
    audit = AuditLog(tmp_path / "audit.jsonl", writer="test")
    report = notify_pass(settings, PERSONA, "prod", result, audit)
    assert not report.enabled and "AGENTS_NOTIFY_TOPICS" in (report.reason or "")
    assert report.line().startswith("notifications off:")
    assert not (tmp_path / "state" / "notifications.sqlite").exists()
    assert notify_status(settings)["enabled"] is False
    # A topic for another stack only: still off for this one.
    other = AgentSettings(
        state_dir=tmp_path / "state", notify_topics={"dev": "arn:aws:sns:us-east-1:1:x"}
    )
    assert not notify_pass(other, PERSONA, "prod", result, audit).enabled


def test_the_status_says_where_notifications_go_and_what_waits(world: World, sns: Sns) -> None:
    world.notify(world.observe(finding()), T0)
    status = notify_status(world.settings, "prod")
    assert status["enabled"] is True and status["topics"] == {"*": sns.alert}
    assert status["messages"] == {"sent": 1}


# -- once, across pods -----------------------------------------------------------------------------
def test_two_pods_that_see_the_same_finding_publish_once(world: World, sns: Sns) -> None:
    result = world.observe(finding(), finding("db-cpu", "critical"))
    with world.open_ledger() as a, world.open_ledger() as b:
        reports = [
            notify_pass(
                world.settings,
                PERSONA,
                "prod",
                result,
                world.audit,
                now=T0,
                ledger=ledger,
                publisher=world.publisher,
            )
            for ledger in (a, b)
        ]
    assert sorted(reports[0].published + reports[1].published) == ["new:1", "new:2"]
    assert len(sns.received()) == 2
    assert len(world.events("notify.published")) == 2


def test_two_pods_at_once_in_threads_publish_once(world: World, sns: Sns) -> None:
    result = world.observe(*(finding(f"r{i}") for i in range(6)))
    reports: list[NotifyReport] = []
    barrier = threading.Barrier(4, timeout=60)  # a pod that fails to open breaks it: no hang

    def pod() -> None:
        with world.open_ledger() as ledger:
            barrier.wait()
            reports.append(
                notify_pass(
                    world.settings,
                    PERSONA,
                    "prod",
                    result,
                    world.audit,
                    now=T0,
                    ledger=ledger,
                    publisher=world.publisher,
                )
            )

    threads = [threading.Thread(target=pod) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    published = [k for r in reports for k in r.published]
    assert sorted(published) == [f"new:{i}" for i in range(1, 7)]
    assert all(r.error is None for r in reports)
    assert len(sns.received()) == 6


# -- failures, limits, leases ----------------------------------------------------------------------
def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_failed_publish_is_audited_not_raised_and_retried_next_pass(
    world: World, sns: Sns
) -> None:
    down = SnsPublisher(REGION, f"http://127.0.0.1:{closed_port()}")
    result = world.observe(finding(), finding("db-cpu"))
    report = world.notify(result, T0, publisher=down)
    assert report.error is None and report.published == []
    assert report.failed == ["new:1"] and report.waiting == ["new:2"]  # no second timeout
    (failed,) = world.events("notify.failed")
    assert failed["key"] == "new:1" and failed["attempts"] == 1 and failed["error"]
    assert sns.received() == []
    # The next pass (endpoint back) sends both, once.
    report = world.notify(world.observe(finding(), finding("db-cpu")), T0 + 300)
    assert sorted(report.published) == ["new:1", "new:2"]
    assert len(sns.received()) == 2
    published = {e["key"]: e for e in world.events("notify.published")}
    assert published["new:1"]["attempts"] == 2
    assert world.notify(world.observe(finding(), finding("db-cpu")), T0 + 600).published == []


def test_a_publish_that_raises_anything_never_fails_the_pass(world: World, sns: Sns) -> None:
    class Broken:
        def publish(self, topic: str, subject: str, message: str) -> str:
            raise RuntimeError("AuthorizationError: not allowed\nsecond line")

    report = world.notify(world.observe(finding()), T0, publisher=Broken())
    assert report.failed == ["new:1"] and report.error is None
    assert world.events("notify.failed")[0]["error"] == "AuthorizationError: not allowed"


def test_an_unusable_ledger_is_one_audited_line_not_an_exception(tmp_path: Path, sns: Sns) -> None:
    settings = make_settings(tmp_path, sns)
    (tmp_path / "state").mkdir()
    (tmp_path / "state" / "notifications.sqlite").write_bytes(b"not a database at all" * 10)
    store = FindingStore(tmp_path / "findings.sqlite")
    audit = AuditLog(tmp_path / "audit.jsonl", writer="test")
    result = store.observe(PERSONA, "prod", ["alarm.firing"], [finding()])
    report = notify_pass(settings, PERSONA, "prod", result, audit, now=T0)
    assert report.error and "\n" not in report.error
    assert audit.query({"event": "notify.error"})
    assert sns.received() == []


def test_the_rate_limit_defers_and_a_later_pass_sends(
    tmp_path: Path, sns: Sns, open_ledger: OpenLedger
) -> None:
    world = World(tmp_path, sns, open_ledger, notify_max_per_hour=2)
    found = [finding(f"r{i}") for i in range(3)]
    report = world.notify(world.observe(*found), T0)
    assert report.published == ["new:1", "new:2"] and report.deferred == ["new:3"]
    assert len(sns.received()) == 2
    (deferred,) = world.events("notify.deferred")
    assert deferred["key"] == "new:3" and deferred["limit"] == 2
    # Still within the hour: still deferred, audited once only.
    report = world.notify(world.observe(*found), T0 + 1800)
    assert report.deferred == ["new:3"] and report.published == []
    assert len(world.events("notify.deferred")) == 1
    # The hour has passed: it goes out, once.
    report = world.notify(world.observe(*found), T0 + HOUR + 1)
    assert report.published == ["new:3"]
    assert len(sns.received()) == 1


def test_a_claim_left_by_a_pod_killed_mid_publish_is_retried_after_its_lease(
    world: World, sns: Sns
) -> None:
    result = world.observe(finding())
    with world.open_ledger() as ledger:  # a pod claims and takes the message, then dies
        message = json.dumps(render("new", result.opened[0], "findings"))
        claim = Claim("new:1", PERSONA, "prod", 1, "new", "high", sns.alert, "s", message)
        assert ledger.claim(claim, T0)
        assert ledger.take("new:1", "prod", T0, world.settings.notify_lease_s, 20)[0] == "taken"
    lease = world.settings.notify_lease_s
    assert world.notify(world.observe(finding()), T0 + lease - 1).published == []
    assert sns.received() == []
    report = world.notify(world.observe(finding()), T0 + lease + 1)
    assert report.published == ["new:1"]
    assert len(sns.received()) == 1
    assert world.events("notify.published")[0]["attempts"] == 2


def test_a_finding_closed_before_its_message_went_out_is_cancelled(world: World, sns: Sns) -> None:
    down = SnsPublisher(REGION, f"http://127.0.0.1:{closed_port()}")
    world.notify(world.observe(finding()), T0, publisher=down)
    report = world.notify(world.observe(), T0 + 300)
    assert report.cancelled == ["new:1"] and report.published == []
    assert world.events("notify.cancelled")[0]["key"] == "new:1"
    assert sns.received() == []


def test_a_finding_never_announced_is_announced_by_the_next_pass(world: World, sns: Sns) -> None:
    """The pod died between recording the finding and announcing it."""
    world.observe(finding())  # no notify_pass
    report = world.notify(world.observe(finding()), T0)
    assert report.published == ["new:1"]
    assert len(sns.received()) == 1


# -- the card and untrusted text -------------------------------------------------------------------
HOSTILE = (
    "<!channel> <!here|here> @here @channel <@U012345> <https://evil.example|click me> "
    "[docs](https://evil.example/x) hxxp javascript://alert(1) ftp://x `code` ```block``` "
    "*bold* &lt;!everyone&gt; \x1b]52;c;cGF5bG9hZA==\x07 \u202eevil\u202c line\nbreak"
)


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def hostile_finding() -> StoredFinding:
    f = Finding(
        kind="logs.errors",
        severity="high",
        stack="prod",
        resource=HOSTILE + "x" * 5000,
        summary=HOSTILE,
        evidence={f"k{i}<!here>": HOSTILE * 3 for i in range(40)},
        proposed_action=HOSTILE,
        persona=PERSONA,
    )
    return StoredFinding(
        7, "open", "2026-01-01T00:00:00+00:00", "2026-01-01T00:00:00+00:00", None, 1, f
    )


@pytest.mark.parametrize("event", ["new", "escalated", "reminder", "resolved"])
def test_untrusted_text_cannot_mention_link_or_escape_and_is_bounded(event: str) -> None:
    card = render(event, hostile_finding(), "findings", reminder=1 if event == "reminder" else 0)
    for text in strings(card):
        assert "<" not in text and ">" not in text, text
        assert "@" not in text, text
        assert "&" not in text, text
        assert "://" not in text, text
        assert "](" not in text, text
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
        assert "https" not in text.lower() and "http:" not in text.lower()
    description = card["content"]["description"]
    assert len(description) <= DESCRIPTION_MAX
    assert len(card["content"]["title"]) <= 200
    assert len(json.dumps(card)) < 16_000
    # Backticks from the data cannot close our code spans: every span is ours.
    assert description.count("`") % 2 == 0
    assert re.search(r"\(\+\d+ more\)", description)  # evidence items bounded


def test_slack_text_keeps_ordinary_text_readable() -> None:
    assert slack_text("baseline-prod-api-5xx is in ALARM") == "baseline-prod-api-5xx is in ALARM"
    assert slack_text("arn:aws:rds:us-east-1:1:db:x") == "arn:aws:rds:us-east-1:1:db:x"
    assert slack_text("see https://x.example") == "see hxxps[:]//x.example"
    assert slack_text("a\nb") == "a\\x0ab"
    assert slack_text("y" * 50, 10) == "y" * 9 + "\u2026"


def test_the_card_follows_chatbots_custom_notification_schema() -> None:
    f = StoredFinding(
        3, "open", "2026-01-01T00:00:00+00:00", "2026-01-01T01:00:00+00:00", None, 2, finding()
    )
    card = render("new", f, "findings")
    assert set(card) == {"version", "source", "id", "content", "metadata"}
    assert (card["version"], card["source"]) == ("1.0", "custom")
    assert set(card["content"]) == {"textType", "title", "description", "nextSteps", "keywords"}
    assert set(card["metadata"]) == {
        "threadId",
        "summary",
        "eventType",
        "relatedResources",
        "additionalContext",
    }
    assert all(isinstance(v, str) for v in card["metadata"]["additionalContext"].values())
    assert all(isinstance(s, str) for s in card["content"]["nextSteps"])
    assert card["content"]["nextSteps"][0] == "look at the API's 5xx"
    assert card["metadata"]["relatedResources"] == ["baseline-prod-api-5xx"]


# -- two processes, one SQLite ledger, SNS over HTTP (moto_server) -------------------------------
def _pod(paths: tuple[str, str, str], endpoint: str, topic: str, start: Any) -> None:
    state, findings, audit = paths
    import os  # noqa: PLC0415

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    settings = AgentSettings(
        state_dir=Path(state), notify_topics={"*": topic}, notify_endpoint_url=endpoint
    )
    with FindingStore(findings) as store:
        opened = store.query(stack="prod")
    result = PassResult(tuple(opened), (), ())
    start.wait()
    report = notify_pass(settings, PERSONA, "prod", result, AuditLog(Path(audit)), now=T0)
    assert report.error is None, report.error


@pytest.mark.slow  # processes racing on one store: `make test-slow` (CI runs it)
def test_two_processes_on_one_ledger_publish_once(tmp_path: Path) -> None:
    from moto.server import ThreadedMotoServer  # noqa: PLC0415

    port = closed_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        kw: dict[str, Any] = {
            "region_name": REGION,
            "endpoint_url": endpoint,
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        with FindingStore(tmp_path / "findings.sqlite") as store:
            store.observe(PERSONA, "prod", ["alarm.firing"], [finding(f"r{i}") for i in range(5)])
        ctx = multiprocessing.get_context("spawn")
        start = ctx.Event()
        paths = (
            str(tmp_path / "state"),
            str(tmp_path / "findings.sqlite"),
            str(tmp_path / "audit.jsonl"),
        )
        args = (paths, endpoint, topic, start)
        pods = [ctx.Process(target=_pod, args=args) for _ in range(3)]
        for p in pods:
            p.start()
        start.set()
        for p in pods:
            p.join(60)
            assert p.exitcode == 0
        bodies = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                break
            for m in got:
                bodies.append(json.loads(m["Body"])["id"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        assert sorted(bodies) == [f"new:{i}" for i in range(1, 6)]
        published = AuditLog(tmp_path / "audit.jsonl").query({"event": "notify.published"})
        assert len(published) == 5
    finally:
        server.stop()

"""`sensitive_events`: root use, console sign-ins without MFA, IAM policy, KMS key and trail
changes from CloudTrail's event history, as findings and a budgeted report.

All on `botocore.stub.Stubber`: moto does not implement `LookupEvents` (it raises
NotImplementedError). The stubbed events carry `CloudTrailEvent` records shaped like real ones.
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import InputError
from agents.skills import trail
from agents.skills.tokens import BudgetError, count
from agents.skills.trail import LOOKUPS, TrailReport, parse_event, render, sensitive_events
from baseline.personas import persona

REGION = "us-east-1"
ACCOUNT = "123456789012"
NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")

ALICE = {
    "type": "IAMUser",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
    "accountId": ACCOUNT,
    "userName": "alice",
}
ROOT = {"type": "Root", "arn": f"arn:aws:iam::{ACCOUNT}:root", "accountId": ACCOUNT}
DEPLOYER = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/baseline-deployer-dev/release-engineer",
    "accountId": ACCOUNT,
}
SSO = {
    "type": "AssumedRole",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/AWSReservedSSO_Admin_1/dana",
    "accountId": ACCOUNT,
}
_ids = iter(range(1, 10_000))


def event(
    name: str,
    identity: dict[str, Any],
    *,
    minutes_ago: int = 60,
    source_ip: str = "203.0.113.7",
    **record: Any,
) -> dict[str, Any]:
    """A `LookupEvents` event with its `CloudTrailEvent` record."""
    event_id = record.pop("eventID", f"00000000-0000-0000-0000-{next(_ids):012d}")
    when = NOW - datetime.timedelta(minutes=minutes_ago)
    body = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": source_ip,
        "userAgent": "aws-cli/2.17.0",
        "eventID": event_id,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        **record,
    }
    return {
        "EventId": event_id,
        "EventName": name,
        "EventTime": when,
        "EventSource": "iam.amazonaws.com",
        "Username": identity.get("userName", "root" if identity["type"] == "Root" else "x"),
        "CloudTrailEvent": json.dumps(body),
    }


def login(identity: dict[str, Any], mfa: str, result: str = "Success", **kw: Any) -> dict[str, Any]:
    return event(
        "ConsoleLogin",
        identity,
        eventType="AwsConsoleSignIn",
        additionalEventData={"MFAUsed": mfa, "LoginTo": "https://console.aws.amazon.com"},
        responseElements={"ConsoleLogin": result},
        **kw,
    )


def serve(stub: Stubber, pages: dict[str, list[list[dict[str, Any]]]]) -> None:
    """Queue one response per lookup, in the order they run: `pages["EventName=X"]` (a list
    of pages of events) or one empty page."""
    for _kind, key, value in LOOKUPS:
        served = pages.get(f"{key}={value}", [[]])
        for i, events in enumerate(served):
            expected: dict[str, Any] = {
                "LookupAttributes": [{"AttributeKey": key, "AttributeValue": value}],
                "StartTime": ANY,
                "EndTime": ANY,
            }
            response: dict[str, Any] = {"Events": events}
            if i:
                expected["NextToken"] = f"{value}-{i}"
            if i + 1 < len(served):
                response["NextToken"] = f"{value}-{i + 1}"
            stub.add_response("lookup_events", response, expected)


def run(pages: dict[str, list[list[dict[str, Any]]]], **kwargs: Any) -> TrailReport:
    client = SESSION.client("cloudtrail", region_name=REGION)
    with Stubber(client) as stub:
        serve(stub, pages)
        report = sensitive_events(client, now=NOW, **kwargs)
        stub.assert_no_pending_responses()
    return report


def by_kind(report: TrailReport) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in report.findings("security-auditor"):
        out.setdefault(f.kind, {})[f.resource] = f.severity
    return out


def test_each_kind_of_sensitive_event() -> None:
    root_login = login(ROOT, "No", minutes_ago=5)
    role_change = {"roleName": "baseline-dev-app", "policyName": "inline"}
    pages = {
        "Username=root": [
            [
                root_login,
                event("CreateAccessKey", ROOT, minutes_ago=4),
                event("GetBucketAcl", {**ROOT, "invokedBy": "s3.amazonaws.com"}),
                event("SomeServiceEvent", ROOT, eventType="AwsServiceEvent"),
            ]
        ],
        "EventName=ConsoleLogin": [
            [
                root_login,
                login(ALICE, "No", source_ip="198.51.100.9"),
                login({**ALICE, "arn": ALICE["arn"] + "-mfa"}, "Yes"),
                login(SSO, "No"),  # MFA happened at the identity provider
                login({**ALICE, "arn": ALICE["arn"] + "-failed"}, "No", result="Failure"),
            ]
        ],
        "EventName=StopLogging": [
            [event("StopLogging", DEPLOYER, requestParameters={"name": "baseline-dev"})]
        ],
        "EventName=UpdateTrail": [
            [event("UpdateTrail", DEPLOYER, requestParameters={"name": "t2"})]
        ],
        "EventName=ScheduleKeyDeletion": [
            [
                event(
                    "ScheduleKeyDeletion",
                    ALICE,
                    requestParameters={"keyId": "key-1", "pendingWindowInDays": 7},
                )
            ]
        ],
        "EventName=PutRolePolicy": [
            [event("PutRolePolicy", DEPLOYER, requestParameters=role_change)]
        ],
        "EventName=AttachRolePolicy": [
            [
                event(
                    "AttachRolePolicy",
                    DEPLOYER,
                    minutes_ago=30,
                    requestParameters={"roleName": "baseline-dev-app", "policyArn": "arn:p"},
                )
            ]
        ],
        "EventName=CreatePolicyVersion": [
            [
                event(
                    "CreatePolicyVersion",
                    ALICE,
                    errorCode="AccessDenied",
                    requestParameters={"policyArn": f"arn:aws:iam::{ACCOUNT}:policy/x"},
                )
            ]
        ],
    }
    report = run(pages, stack="dev")
    assert by_kind(report) == {
        "trail.root-use": {f"root:{ACCOUNT}": "critical"},
        "trail.console-login-no-mfa": {ROOT["arn"]: "critical", ALICE["arn"]: "high"},
        "trail.logging-change": {"baseline-dev": "critical", "t2": "high"},
        "trail.kms-key-change": {"key-1": "high"},
        "trail.iam-policy-change": {
            "role/baseline-dev-app": "medium",
            f"arn:aws:iam::{ACCOUNT}:policy/x": "low",  # denied: an attempt, one step lower
        },
    }
    findings = {(f.kind, f.resource): f for f in report.findings("security-auditor")}
    root = findings["trail.root-use", f"root:{ACCOUNT}"]
    assert root.evidence["events"] == 2, "the root login is counted once, not per lookup"
    assert root.evidence["latest"]["eventName"] == "CreateAccessKey"
    alice = findings["trail.console-login-no-mfa", ALICE["arn"]]
    latest = alice.evidence["latest"]
    assert latest["sourceIp"] == "198.51.100.9" and latest["who"] == ALICE["arn"]
    assert latest["eventTime"] == "2026-11-29T11:00:00+00:00"
    role = findings["trail.iam-policy-change", "role/baseline-dev-app"]
    assert role.evidence["events"] == 2 and role.stack == "dev"
    assert "policyDocument" not in json.dumps(role.evidence)
    assert (
        "attempted"
        in findings["trail.iam-policy-change", f"arn:aws:iam::{ACCOUNT}:policy/x"].summary
    )
    assert set(report.checked) == set(trail.KINDS)
    json.dumps(report.to_json())  # plain JSON


def test_lookups_follow_pages() -> None:
    first = login(ALICE, "No", minutes_ago=90)
    second = login({**ALICE, "arn": f"arn:aws:iam::{ACCOUNT}:user/bob"}, "No", minutes_ago=10)
    report = run({"EventName=ConsoleLogin": [[first], [], [second]]})
    assert by_kind(report) == {
        "trail.console-login-no-mfa": {
            ALICE["arn"]: "high",
            f"arn:aws:iam::{ACCOUNT}:user/bob": "high",
        }
    }
    assert report.stack == "account", "with no stack the findings are filed under `account`"


def test_nothing_sensitive_is_no_findings() -> None:
    report = run({"EventName=ConsoleLogin": [[login(ALICE, "Yes")]]})
    assert report.findings("p") == [] and report.events == ()


@pytest.mark.parametrize("code", ["AccessDeniedException", "ThrottlingException"])
def test_lookups_that_fail_are_one_unchecked_finding(code: str) -> None:
    client = SESSION.client("cloudtrail", region_name=REGION)
    with Stubber(client) as stub:
        for _ in LOOKUPS:
            stub.add_client_error("lookup_events", code, "no", http_status_code=400)
        report = sensitive_events(client, stack="dev", now=NOW)
    (finding,) = report.findings("security-auditor")
    assert (finding.kind, finding.severity) == ("trail.unchecked", "high"), finding
    assert code in finding.summary and "LookupEvents in us-east-1" in finding.summary
    assert report.checked == () and len(report.failed_lookups) == len(LOOKUPS)
    assert f"{len(LOOKUPS)} of {len(LOOKUPS)} lookups failed" in render(report)


def test_a_failed_lookup_leaves_only_its_kind_unchecked() -> None:
    client = SESSION.client("cloudtrail", region_name=REGION)
    with Stubber(client) as stub:
        for _kind, _key, value in LOOKUPS:
            if value == "DisableKey":
                stub.add_client_error("lookup_events", "ThrottlingException", "slow down")
            else:
                stub.add_response("lookup_events", {"Events": []})
        report = sensitive_events(client, stack="dev", now=NOW)
    assert by_kind(report) == {"trail.unchecked": {f"cloudtrail:LookupEvents@{REGION}": "high"}}
    assert report.failed_lookups == ("EventName=DisableKey",)
    assert "trail.kms-key-change" not in report.checked
    assert "trail.root-use" in report.checked


@pytest.mark.parametrize(
    "record",
    ["{", '{"sourceIPAddress": "203.0.113.9", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"],
    ids=["cut", "nested past the decoder's depth"],
)
def test_a_record_that_is_not_json_is_kept_without_details(record) -> None:
    raw = {"EventId": "e1", "EventName": "StopLogging", "EventTime": NOW, "CloudTrailEvent": record}
    parsed = parse_event(raw)
    assert parsed.event_name == "StopLogging" and parsed.source_ip == ""
    assert trail.classify(parsed) == [("trail.logging-change", "critical", "StopLogging")]


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="hours"):
        sensitive_events(object(), hours=0)
    with pytest.raises(InputError, match="hours"):
        sensitive_events(object(), hours=91 * 24)
    with pytest.raises(InputError, match="timezone"):
        sensitive_events(object(), now=datetime.datetime(2026, 1, 1))


def test_permissions_are_granted_to_the_security_auditor() -> None:
    for function, actions in trail.PERMISSIONS.items():
        for name in trail.PERSONAS[function]:
            granted = [
                a
                for s in persona(name).iam_statements()
                if s["Effect"] == "Allow"
                for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
            ]
            missing = [a for a in actions if not any(fnmatch.fnmatchcase(a, g) for g in granted)]
            assert missing == [], f"{name} lacks {missing} for {function}"


# ---------------------------------------------------------------- rendering


def _big_report() -> TrailReport:
    events = []
    for i in range(60):
        name = ("PutRolePolicy", "StopLogging", "ScheduleKeyDeletion", "ConsoleLogin")[i % 4]
        raw = (
            login({**ALICE, "arn": f"{ALICE['arn']}{i}"}, "No")
            if name == "ConsoleLogin"
            else event(
                name,
                DEPLOYER,
                requestParameters={"roleName": f"r{i}", "name": f"t{i}", "keyId": f"k{i}"},
            )
        )
        events.append(parse_event(raw))
    return TrailReport("dev", REGION, NOW.isoformat(), NOW.isoformat(), 24, tuple(events))


BIG = _big_report()


def test_render_ranks_the_worst_first() -> None:
    text = render(BIG)
    assert text.index("[CRITICAL]") < text.index("[HIGH]") < text.index("[MEDIUM]")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(min_value=0, max_value=3000))
def test_render_never_exceeds_the_budget(budget: int) -> None:
    try:
        text = render(BIG, budget)
    except BudgetError:
        return
    assert count(text) <= budget, (budget, count(text))

"""Cross-account rules: resource policies and permissions admit no other account, event targets
send to no other account; the stack's own account from its ARNs, its providers or the config."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.conftest import analyze_stack, resource
from toolchain.export import Resource

OWN = "123456789012"
OTHER = "999999999999"
KEY = "aws:kms/key:Key"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"
EVENT_PERMISSION = "aws:cloudwatch/eventPermission:EventPermission"
BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
TARGET = "aws:cloudwatch/eventTarget:EventTarget"
RULE = "resource-policy-no-other-account"
TARGETS = "event-target-no-other-account"


def own_role() -> Resource:
    # Any resource of the stack whose ARN the provider computed tells the stack's account.
    return resource("aws:iam/role:Role", {"arn": f"arn:aws:iam::{OWN}:role/r"}, "own")


def stmt(principal: Any, condition: dict[str, Any] | None = None) -> str:
    s: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "kms:Decrypt"}
    if condition:
        s["Condition"] = condition
    return json.dumps({"Statement": [s]})


def hits(security, resources: list[Resource], rule: str = RULE, config=None) -> list[str]:
    return [
        v.detail for v in analyze_stack(security, resources, config=config) if v.policyName == rule
    ]


@pytest.mark.parametrize(
    ("principal", "condition", "fails"),
    [
        ({"AWS": f"arn:aws:iam::{OWN}:root"}, None, False),
        ({"AWS": OWN}, None, False),
        ({"Service": "cloudwatch.amazonaws.com"}, None, False),
        ({"AWS": f"arn:aws:iam::{OTHER}:root"}, None, True),
        ({"AWS": [f"arn:aws:iam::{OWN}:root", f"arn:aws:iam::{OTHER}:role/x"]}, None, True),
        ({"AWS": OTHER}, None, True),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OTHER}}, True),
        ({"Service": "sns.amazonaws.com"}, {"StringEquals": {"aws:SourceAccount": OWN}}, False),
        ("*", {"StringEquals": {"aws:PrincipalAccount": OTHER}}, True),
        ("*", {"StringEquals": {"aws:PrincipalAccount": OWN}}, False),
        ("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}}, True),
        ("*", {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::x/{OTHER}"}}, False),
        # A foreign principal narrowed to the own account admits nothing foreign.
        ({"AWS": OTHER}, {"StringEquals": {"aws:PrincipalAccount": OWN}}, False),
        # IfExists does not narrow.
        ("*", {"StringEqualsIfExists": {"aws:PrincipalAccount": OWN}}, False),
        ("*", None, False),  # everyone unnarrowed: resource-policy-no-public-principal's
    ],
)
def test_key_policy_principals(security, principal, condition, fails):
    key = resource(KEY, {"policy": stmt(principal, condition)}, "k")
    assert bool(hits(security, [own_role(), key])) == fails, (principal, condition)


def test_trusted_account_and_organisation_pass(security):
    key = resource(KEY, {"policy": stmt({"AWS": OTHER})}, "k")
    org = resource(
        TOPIC_POLICY,
        {"arn": "t", "policy": stmt("*", {"StringEquals": {"aws:PrincipalOrgID": "o-abcdefghij"}})},
        "t",
    )
    cfg = {RULE: {"trustedAccounts": [OTHER], "trustedOrganizations": ["o-abcdefghij"]}}
    assert hits(security, [own_role(), key, org], config=cfg) == []


def test_missing_policy_passes(security):
    assert hits(security, [own_role(), resource(KEY, {"description": "k"}, "k")]) == []


def test_unparseable_policy_fails_closed(security):
    found = hits(security, [own_role(), resource(BUCKET_POLICY, {"policy": "{x"}, "b")])
    assert any("Cannot judge" in m for m in found), found


def test_unreadable_principal_fails_closed(security):
    key = resource(KEY, {"policy": stmt({"AWS": "AROAEXAMPLEID"})}, "k")
    assert any("Cannot judge" in m for m in hits(security, [own_role(), key]))


def test_own_account_unknown_fails_closed(security):
    key = resource(KEY, {"policy": stmt({"AWS": f"arn:aws:iam::{OWN}:root"})}, "k")
    found = hits(security, [key])
    assert any("accountIds" in m for m in found), found


@pytest.mark.parametrize(
    "accounts",
    [f'["{OWN}"', f'["{OWN}", ' + "[" * 100_000 + "]" * 100_000 + "]"],
    ids=["not JSON", "nested past the decoder's depth"],
)
def test_provider_accounts_that_are_not_json_are_read_as_one_account_id(security, accounts):
    # the nested list raised RecursionError in the pack: no verdict on the plan at all. Like text
    # that is not JSON, it is one account id (the text itself), which OWN is not
    provider = resource("pulumi:providers:aws", {"allowedAccountIds": accounts}, "acct")
    key = resource(KEY, {"policy": stmt({"AWS": f"arn:aws:iam::{OWN}:root"})}, "k")
    (found,) = hits(security, [provider, key])
    assert "other AWS accounts" in found and "accountIds" not in found, found


def test_own_account_from_config(security):
    key = resource(KEY, {"policy": stmt({"AWS": f"arn:aws:iam::{OWN}:root"})}, "k")
    assert hits(security, [key], config={RULE: {"accountIds": [OWN]}}) == []


@pytest.mark.parametrize(
    ("props", "fails"),
    [
        ({"principal": "s3.amazonaws.com", "sourceAccount": OWN}, False),
        ({"principal": OTHER}, True),
        ({"principal": "sns.amazonaws.com", "sourceAccount": OTHER}, True),
        ({"principal": "*", "principalOrgId": "o-abcdefghij"}, True),
        ({"principal": 12}, True),  # unreadable
    ],
)
def test_lambda_permission(security, props, fails):
    perm = resource(
        LAMBDA_PERMISSION, {"function": "f", "action": "lambda:InvokeFunction", **props}
    )
    assert bool(hits(security, [own_role(), perm])) == fails, props


def test_event_bus_permission_and_policy(security):
    perm = resource(EVENT_PERMISSION, {"principal": OTHER, "statementId": "s"}, "p")
    bus = resource(BUS_POLICY, {"policy": stmt({"AWS": OTHER})}, "bus")
    ok = resource(EVENT_PERMISSION, {"principal": OWN, "statementId": "s"}, "ok")
    violations = analyze_stack(security, [own_role(), perm, bus, ok])
    assert {v.urn for v in violations if v.policyName == RULE} == {perm.urn, bus.urn}


@pytest.mark.parametrize(
    ("arn", "fails"),
    [
        (f"arn:aws:sqs:us-east-1:{OWN}:q", False),
        (f"arn:aws:events:us-east-1:{OTHER}:event-bus/default", True),
        (None, False),  # missing (not known yet)
        (["x"], True),  # unreadable
    ],
)
def test_event_target(security, arn, fails):
    props = {"rule": "r", "targetId": "t"} | ({"arn": arn} if arn is not None else {})
    target = resource(TARGET, props, "t")
    assert bool(hits(security, [own_role(), target], TARGETS)) == fails, arn

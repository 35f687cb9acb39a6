"""Resource policies: no Allow to everyone without a narrowing condition, for every resource type
that carries one (three ways each for the types in the plans, and a Lambda permission)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from policies.security.resource_policies import RESOURCE_POLICY_PROPERTIES
from tests.policies.conftest import analyze

RULE = "resource-policy-no-public-principal"
KEY = "aws:kms/key:Key"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
LAMBDA_PERMISSION = "aws:lambda/permission:Permission"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


ACCOUNT_ADMIN = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
    "Action": "kms:*",
    "Resource": "*",
}
TLS_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "arn:aws:s3:::b/*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
PUBLIC_READ = {
    "Effect": "Allow",
    "Principal": "*",
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::b/*",
}

CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("key passes", KEY, {"policy": doc(ACCOUNT_ADMIN)}, False),
    ("key fails", KEY, {"policy": doc(ACCOUNT_ADMIN, {**ACCOUNT_ADMIN, "Principal": "*"})}, True),
    ("key missing", KEY, {"description": "default key policy"}, False),
    (
        "key narrowed by caller account passes",
        KEY,
        {
            "policy": doc(
                {
                    **ACCOUNT_ADMIN,
                    "Principal": {"AWS": "*"},
                    "Condition": {"StringEquals": {"kms:CallerAccount": "123456789012"}},
                }
            )
        },
        False,
    ),
    ("bucket passes", BUCKET_POLICY, {"bucket": "b", "policy": doc(TLS_ONLY)}, False),
    ("bucket fails", BUCKET_POLICY, {"bucket": "b", "policy": doc(TLS_ONLY, PUBLIC_READ)}, True),
    ("bucket missing", BUCKET_POLICY, {"bucket": "b"}, False),
    (
        "bucket with an unreadable document fails",
        BUCKET_POLICY,
        {"bucket": "b", "policy": '{"Statement": {"Effect": "Permit"}}'},
        True,
    ),
    (
        "topic narrowed by source account passes",
        TOPIC_POLICY,
        {
            "arn": "t",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "sns:Publish",
                    "Condition": {"StringEquals": {"aws:SourceAccount": "123456789012"}},
                }
            ),
        },
        False,
    ),
    (
        "topic not principal fails",
        TOPIC_POLICY,
        {
            "arn": "t",
            "policy": doc(
                {
                    "Effect": "Allow",
                    "NotPrincipal": {"AWS": "arn:aws:iam::1:root"},
                    "Action": "sns:Publish",
                }
            ),
        },
        True,
    ),
    (
        "lambda permission passes",
        LAMBDA_PERMISSION,
        {"function": "f", "principal": "s3.amazonaws.com", "sourceArn": "arn:aws:s3:::b"},
        False,
    ),
    (
        "lambda permission fails",
        LAMBDA_PERMISSION,
        {"function": "f", "principal": "*", "action": "lambda:InvokeFunction"},
        True,
    ),
    (
        "lambda permission narrowed passes",
        LAMBDA_PERMISSION,
        {"function": "f", "principal": "*", "principalOrgId": "o-abc"},
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"), CASES, ids=[c for c, _, _, _ in CASES]
)
def test_resource_policy(security, case, type_token, props, fires):
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == RULE]
    assert bool(found) == fires, f"{RULE} on {type_token}::{name}: {[v.detail for v in found]}"


@pytest.mark.parametrize(("type_token", "key"), sorted(RESOURCE_POLICY_PROPERTIES.items()))
def test_every_resource_policy_type_is_judged(security, type_token, key):
    found = analyze(security, type_token, {key: doc(PUBLIC_READ)}, name="public")
    assert RULE in {v.policyName for v in found}, f"{type_token}.{key} not judged"


@pytest.mark.parametrize(
    ("case", "props", "fires"),
    [
        (
            "source arn only wildcards fails",
            {"function": "f", "principal": "*", "sourceArn": "*"},
            True,
        ),
        (
            "source account wildcard fails",
            {"function": "f", "principal": "*", "sourceAccount": "1*"},
            True,
        ),
        (
            "source account passes",
            {"function": "f", "principal": "*", "sourceAccount": "123456789012"},
            False,
        ),
    ],
)
def test_lambda_permission_narrowing_is_judged_like_a_condition(security, case, props, fires):
    found = [
        v
        for v in analyze(security, LAMBDA_PERMISSION, props, name=case.replace(" ", "-"))
        if v.policyName == RULE
    ]
    assert bool(found) == fires, [v.detail for v in found]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"),
    [
        (
            "open function url fails",
            "aws:lambda/functionUrl:FunctionUrl",
            {"functionName": "f", "authorizationType": "NONE"},
            True,
        ),
        (
            "iam function url passes",
            "aws:lambda/functionUrl:FunctionUrl",
            {"functionName": "f", "authorizationType": "AWS_IAM"},
            False,
        ),
        (
            "public layer fails",
            "aws:lambda/layerVersionPermission:LayerVersionPermission",
            {"principal": "*", "action": "lambda:GetLayerVersion"},
            True,
        ),
        (
            "organisation layer passes",
            "aws:lambda/layerVersionPermission:LayerVersionPermission",
            {"principal": "*", "organizationId": "o-abcdefghij"},
            False,
        ),
    ],
)
def test_other_lambda_exposures(security, case, type_token, props, fires):
    found = [
        v
        for v in analyze(security, type_token, props, name=case.replace(" ", "-"))
        if v.policyName == RULE
    ]
    assert bool(found) == fires, [v.detail for v in found]

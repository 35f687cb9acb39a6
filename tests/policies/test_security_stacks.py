"""iam-policy-stays-in-its-stack: an identity policy of a stack reaches that stack's state
objects, keys and secrets only, judged after wildcards and conditions. The conftest's resources
are in stack `test` (their URNs), so `test` is "this stack" and `prod` another one."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.conftest import analyze_stack, resource

RULE = "iam-policy-stays-in-its-stack"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
STATE = "arn:aws:s3:::baseline-pulumi-state-a1b2"
OWN_KEY = "arn:aws:kms:us-east-1:111122223333:key/0000aaaa-0000-4000-8000-000000000001"
OWN_SECRET = "arn:aws:secretsmanager:us-east-1:111122223333:secret:app/db-AbCdEf"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: Any, resource_: Any, condition: dict | None = None) -> dict[str, Any]:
    s: dict[str, Any] = {"Effect": "Allow", "Action": action, "Resource": resource_}
    if condition:
        s["Condition"] = condition
    return s


def hits(security, document: Any) -> list[str]:
    resources = [
        resource("aws:kms/key:Key", {"arn": OWN_KEY}, "key"),
        resource("aws:secretsmanager/secret:Secret", {"arn": OWN_SECRET}, "secret"),
        resource(ROLE_POLICY, {"role": "r", "policy": document}, "agent"),
    ]
    return [v.detail for v in analyze_stack(security, resources) if v.policyName == RULE]


PASSING = {
    "this stack's checkpoint": allow(
        ["s3:GetObject", "s3:PutObject"], f"{STATE}/.pulumi/stacks/baseline/test.json"
    ),
    "this stack's locks": allow(
        "s3:DeleteObject", "arn:aws:s3:::baseline-pulumi-state-*/.pulumi/locks/baseline/test/*"
    ),
    "the layout marker": allow("s3:GetObject", f"{STATE}/.pulumi/meta.yaml"),
    "a listing held to this stack's prefixes": allow(
        "s3:ListBucket",
        STATE,
        {
            "StringLike": {
                "s3:prefix": [".pulumi/locks/baseline/test/*", ".pulumi/stacks/baseline/test.json"]
            }
        },
    ),
    "the bucket's location only": allow("s3:GetBucketLocation", STATE),
    "objects of another bucket": allow("s3:GetObject", "arn:aws:s3:::app-uploads/*"),
    "the stack's own key by ARN": allow(["kms:Decrypt", "kms:GenerateDataKey*"], OWN_KEY),
    "keys tagged with this stack": allow(
        "kms:Decrypt",
        "arn:aws:kms:*:111122223333:key/*",
        {"StringEquals": {"aws:ResourceTag/project": "baseline", "aws:ResourceTag/stack": "test"}},
    ),
    "a key's description only": allow("kms:DescribeKey", "*"),
    "the stack's own secret by ARN": allow("secretsmanager:GetSecretValue", OWN_SECRET),
    "a secret whose path carries the stack": allow(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:*:111122223333:secret:baseline-agents/test/approval-key-*",
    ),
    "a deny of everything": {"Effect": "Deny", "Action": "*", "Resource": "*"},
}

FAILING = {
    "every stack's state": allow("s3:GetObject", "arn:aws:s3:::baseline-pulumi-state-*/*"),
    "another stack's checkpoint": allow(
        "s3:GetObject", f"{STATE}/.pulumi/stacks/baseline/prod.json"
    ),
    "every object, by a wildcard action": allow("s3:Get*", "*"),
    "state through NotResource": {
        "Effect": "Allow",
        "Action": "s3:GetObject",
        "NotResource": "arn:aws:s3:::app-uploads/*",
    },
    "state through NotAction": {
        "Effect": "Allow",
        "NotAction": "iam:*",
        "Resource": f"{STATE}/.pulumi/stacks/baseline/prod.json",
    },
    "a locks prefix spelled with a wildcard for the stack": allow(
        "s3:DeleteObject", f"{STATE}/.pulumi/locks/baseline/*"
    ),
    "a listing without a prefix condition": allow("s3:ListBucket", STATE),
    "a listing held to another stack's prefix": allow(
        "s3:ListBucket", STATE, {"StringLike": {"s3:prefix": ".pulumi/locks/baseline/prod/*"}}
    ),
    "a listing whose prefix condition passes when absent": allow(
        "s3:ListBucket",
        STATE,
        {"StringLikeIfExists": {"s3:prefix": ".pulumi/locks/baseline/test/*"}},
    ),
    "every key tagged with the project": allow(
        "kms:Decrypt",
        "arn:aws:kms:*:*:key/*",
        {"StringEquals": {"aws:ResourceTag/project": "baseline"}},
    ),
    "keys tagged with another stack": allow(
        "kms:Decrypt", "*", {"StringEquals": {"aws:ResourceTag/stack": "prod"}}
    ),
    "keys whose stack tag is a pattern": allow(
        "kms:Decrypt", "*", {"StringLike": {"aws:ResourceTag/stack": "*"}}
    ),
    "a key the stack does not declare": allow(
        "kms:Decrypt", "arn:aws:kms:us-east-1:444455556666:key/ffff"
    ),
    "every secret of the agents": allow(
        "secretsmanager:GetSecretValue", "arn:aws:secretsmanager:*:*:secret:baseline-agents/*"
    ),
    "another stack's approval key": allow(
        "secretsmanager:GetSecretValue",
        "arn:aws:secretsmanager:*:*:secret:baseline-agents/prod/approval-key-*",
    ),
    "secrets by a service wildcard": allow("secretsmanager:Get*", "*"),
}


@pytest.mark.parametrize("name", sorted(PASSING))
def test_a_grant_within_the_stack_passes(security, name):
    assert hits(security, policy(PASSING[name])) == [], name


@pytest.mark.parametrize("name", sorted(FAILING))
def test_a_grant_beyond_the_stack_fails(security, name):
    found = hits(security, policy(FAILING[name]))
    assert len(found) == 1, (name, found)
    assert "test" in found[0], found


@pytest.mark.parametrize(
    "document",
    [
        "{not json",
        json.dumps({"Statement": [{"Effect": "Allow", "Resource": "*"}]}),  # no Action
        json.dumps({"Statement": [{"Effect": "Maybe", "Action": "s3:GetObject", "Resource": "*"}]}),
    ],
)
def test_a_document_that_cannot_be_read_fails(security, document):
    found = hits(security, document)
    assert len(found) == 1 and "Cannot judge" in found[0], found


def test_the_state_buckets_are_configurable(security):
    document = policy(allow("s3:GetObject", "arn:aws:s3:::corp-state/*"))
    resources = [resource(ROLE_POLICY, {"role": "r", "policy": document}, "agent")]
    config = {RULE: {"stateBuckets": ["corp-state"]}}
    found = [v for v in analyze_stack(security, resources, config=config) if v.policyName == RULE]
    assert len(found) == 1, found
    assert hits(security, document) == []  # not a state bucket by default


def test_the_shipped_persona_templates_of_before_would_fail(security):
    """What the personas granted before roles were per stack: every state bucket's objects and
    every project-tagged key."""
    before = policy(
        allow(
            ["s3:ListBucket", "s3:GetObject"],
            ["arn:aws:s3:::baseline-pulumi-state-*", "arn:aws:s3:::baseline-pulumi-state-*/*"],
        ),
        allow(
            "kms:Decrypt",
            "arn:aws:kms:*:*:key/*",
            {"StringEquals": {"aws:ResourceTag/project": "baseline"}},
        ),
    )
    assert len(hits(security, before)) == 3

"""IAM rules: wildcard administrator statements in every kind of identity policy, the AWS managed
AdministratorAccess policy however it is attached, and IRSA trust policies (built by hand here, in
the shape components/identity.py writes them)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.policies.conftest import analyze

POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
GROUP_ATTACHMENT = "aws:iam/groupPolicyAttachment:GroupPolicyAttachment"

ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/2DEE5510B43494E5E9C295C08FDB6F47"
PROVIDER = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SCOPED = {
    "Sid": "StateRead",
    "Effect": "Allow",
    "Action": ["s3:GetObject", "s3:ListBucket"],
    "Resource": ["arn:aws:s3:::baseline-pulumi-state-*"],
}
READ_ANY = {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": ["*"]}
STAR = {"Sid": "Admin", "Effect": "Allow", "Action": "*", "Resource": "*"}
SERVICE_STAR = {"Sid": "AllOfS3", "Effect": "Allow", "Action": ["s3:*"], "Resource": ["*"]}
DENY_STAR = {"Effect": "Deny", "Action": "*", "Resource": "*"}

WILDCARD_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("role policy passes", ROLE_POLICY, {"role": "r", "policy": doc(SCOPED, READ_ANY)}, False),
    ("role policy fails", ROLE_POLICY, {"role": "r", "policy": doc(SCOPED, STAR)}, True),
    (
        "role policy service wildcard fails",
        ROLE_POLICY,
        {"role": "r", "policy": doc(SERVICE_STAR)},
        True,
    ),
    ("role policy missing", ROLE_POLICY, {"role": "r"}, False),
    ("managed policy passes", POLICY, {"policy": doc(SCOPED)}, False),
    ("managed policy fails", POLICY, {"policy": doc(STAR)}, True),
    ("managed policy deny passes", POLICY, {"policy": doc(DENY_STAR)}, False),
    (
        "service wildcard on one resource passes",
        POLICY,
        {"policy": doc({**SERVICE_STAR, "Resource": "arn:aws:s3:::one-bucket/*"})},
        False,
    ),
    ("user policy fails", USER_POLICY, {"user": "u", "policy": doc(STAR)}, True),
    (
        "role inline passes",
        ROLE,
        {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "s", "policy": doc(SCOPED)}]},
        False,
    ),
    (
        "role inline fails",
        ROLE,
        {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "a", "policy": doc(STAR)}]},
        True,
    ),
    ("role inline missing", ROLE, {"assumeRolePolicy": "{}"}, False),
]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"),
    WILDCARD_CASES,
    ids=[c for c, _, _, _ in WILDCARD_CASES],
)
def test_no_wildcard_admin(security, case, type_token, props, fires):
    rule = "iam-no-wildcard-admin"
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"


ADMIN_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    (
        "attachment passes",
        ATTACHMENT,
        {"role": "r", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"},
        False,
    ),
    ("attachment fails", ATTACHMENT, {"role": "r", "policyArn": ADMIN}, True),
    ("attachment missing", ATTACHMENT, {"role": "r"}, False),
    ("group attachment fails", GROUP_ATTACHMENT, {"group": "g", "policyArn": ADMIN}, True),
    (
        "role managed arns fails",
        ROLE,
        {"assumeRolePolicy": "{}", "managedPolicyArns": [ADMIN]},
        True,
    ),
    (
        "role managed arns passes",
        ROLE,
        {"assumeRolePolicy": "{}", "managedPolicyArns": ["arn:aws:iam::aws:policy/ReadOnlyAccess"]},
        False,
    ),
    (
        "customer policy named like it passes",
        ATTACHMENT,
        {"role": "r", "policyArn": "arn:aws:iam::123456789012:policy/AdministratorAccessReview"},
        False,
    ),
]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"), ADMIN_CASES, ids=[c for c, _, _, _ in ADMIN_CASES]
)
def test_no_administrator_access(security, case, type_token, props, fires):
    rule = "iam-no-administrator-access"
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"


def trust(condition: dict[str, Any] | None, federated: Any = PROVIDER) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": federated},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    return doc(statement)


PINNED = {
    "StringEquals": {
        f"{ISSUER}:sub": "system:serviceaccount:agents-cost-optimizer:cost-optimizer",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }
}

IRSA_CASES: list[tuple[str, str, bool, str]] = [
    ("passes", trust(PINNED), False, ""),
    (
        "sub wildcard fails",
        trust(
            {
                "StringLike": {f"{ISSUER}:sub": "system:serviceaccount:agents-*:*"},
                "StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"},
            }
        ),
        True,
        "StringLike",
    ),
    (
        "aud missing fails",
        trust({"StringEquals": {f"{ISSUER}:sub": "system:serviceaccount:a:b"}}),
        True,
        ":aud",
    ),
    (
        "sub missing fails",
        trust({"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}),
        True,
        ":sub",
    ),
    ("conditions missing fails", trust(None), True, ":sub"),
    (
        "provider list fails",
        trust({"StringEquals": {f"{ISSUER}:aud": "sts.amazonaws.com"}}, [PROVIDER]),
        True,
        ":sub",
    ),
    (
        "case of the condition key does not matter",
        trust({"StringEquals": {k.upper(): v for k, v in PINNED["StringEquals"].items()}}),
        False,
        "",
    ),
    (
        "service trust is not judged",
        doc(
            {
                "Effect": "Allow",
                "Principal": {"Service": "ec2.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ),
        False,
        "",
    ),
    (
        "other web identity providers are not judged",
        trust(None, "cognito-identity.amazonaws.com"),
        False,
        "",
    ),
]


@pytest.mark.parametrize(
    ("case", "policy", "fires", "says"), IRSA_CASES, ids=[c for c, _, _, _ in IRSA_CASES]
)
def test_irsa_trust_pinned(security, case, policy, fires, says):
    rule = "iam-irsa-trust-pinned"
    name = case.replace(" ", "-")
    found = [
        v
        for v in analyze(security, ROLE, {"assumeRolePolicy": policy}, name=name)
        if v.policyName == rule
    ]
    assert bool(found) == fires, f"{rule} on {ROLE}::{name}: {[v.detail for v in found]}"
    assert all(says in v.detail for v in found), [v.detail for v in found]


def test_irsa_rule_with_the_trust_policy_missing(security):
    found = analyze(security, ROLE, {"description": "no trust policy yet"}, name="no-trust")
    assert "iam-irsa-trust-pinned" not in {v.policyName for v in found}, found

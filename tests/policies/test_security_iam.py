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


# --- effective grants: NotAction/NotResource, escalation, public trust (issue 8) -----------------

NOT_ACTION = {"Sid": "AllButIam", "Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
NOT_RESOURCE = {
    "Sid": "AllButState",
    "Effect": "Allow",
    "Action": "s3:GetObject",
    "NotResource": "arn:aws:s3:::baseline-pulumi-state-*",
}
PASS_ANY_ROLE = {"Sid": "Pass", "Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}
PASS_ONE_ROLE = {**PASS_ANY_ROLE, "Resource": "arn:aws:iam::123456789012:role/app-runner"}

EFFECTIVE_CASES: list[tuple[str, str, str, dict[str, Any], bool]] = [
    ("iam-no-not-action-allow", "passes", ROLE_POLICY, {"role": "r", "policy": doc(SCOPED)}, False),
    (
        "iam-no-not-action-allow",
        "not action fails",
        ROLE_POLICY,
        {"role": "r", "policy": doc(NOT_ACTION)},
        True,
    ),
    ("iam-no-not-action-allow", "not resource fails", POLICY, {"policy": doc(NOT_RESOURCE)}, True),
    (
        "iam-no-not-action-allow",
        "inline not action fails",
        ROLE,
        {"assumeRolePolicy": "{}", "inlinePolicies": [{"name": "x", "policy": doc(NOT_ACTION)}]},
        True,
    ),
    (
        "iam-no-not-action-allow",
        "deny with not action passes",
        POLICY,
        {"policy": doc({**NOT_ACTION, "Effect": "Deny"})},
        False,
    ),
    ("iam-no-not-action-allow", "missing", ROLE_POLICY, {"role": "r"}, False),
    (
        "iam-no-wildcard-admin",
        "not action is admin",
        ROLE_POLICY,
        {"role": "r", "policy": doc(NOT_ACTION)},
        True,
    ),
    (
        "iam-no-wildcard-admin",
        "prefix wildcard is admin",
        USER_POLICY,
        {"user": "u", "policy": doc({"Effect": "Allow", "Action": "Iam*", "Resource": "*"})},
        True,
    ),
    (
        "iam-no-privilege-escalation",
        "passes",
        ROLE_POLICY,
        {"role": "r", "policy": doc(PASS_ONE_ROLE)},
        False,
    ),
    (
        "iam-no-privilege-escalation",
        "pass any role fails",
        ROLE_POLICY,
        {"role": "r", "policy": doc(PASS_ANY_ROLE)},
        True,
    ),
    (
        "iam-no-privilege-escalation",
        "policy version fails",
        POLICY,
        {
            "policy": doc(
                {
                    "Effect": "Allow",
                    "Action": ["iam:CreatePolicyVersion"],
                    "Resource": "arn:aws:iam::*:policy/*",
                }
            )
        },
        True,
    ),
    (
        "iam-no-privilege-escalation",
        "attach spelled with wildcards fails",
        ROLE_POLICY,
        {"role": "r", "policy": doc({"Effect": "Allow", "Action": "iam:attach*", "Resource": "*"})},
        True,
    ),
    ("iam-no-privilege-escalation", "missing", POLICY, {"description": "no document"}, False),
    (
        "iam-no-privilege-escalation",
        "unreadable document fails",
        POLICY,
        {"policy": '{"Statement": [{"Effect": "Allow", "Action": 7}]}'},
        True,
    ),
]


@pytest.mark.parametrize(
    "example", EFFECTIVE_CASES, ids=[f"{r}:{c}" for r, c, _, _, _ in EFFECTIVE_CASES]
)
def test_effective_grants(security, example):
    rule, case, type_token, props, fires = example
    name = f"{rule}-{case}".replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"


def public_trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition is not None:
        statement["Condition"] = condition
    return doc(statement)


TRUST_CASES: list[tuple[str, str | None, bool]] = [
    ("account passes", public_trust({"AWS": "arn:aws:iam::123456789012:root"}), False),
    ("service passes", public_trust({"Service": "ec2.amazonaws.com"}), False),
    ("star fails", public_trust("*"), True),
    ("aws star fails", public_trust({"AWS": "*"}), True),
    ("star in a list fails", public_trust({"AWS": ["arn:aws:iam::123456789012:root", "*"]}), True),
    (
        "narrowed to the organisation passes",
        public_trust({"AWS": "*"}, {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}),
        False,
    ),
    (
        "if-exists condition fails",
        public_trust(
            {"AWS": "*"}, {"StringEqualsIfExists": {"aws:PrincipalAccount": "123456789012"}}
        ),
        True,
    ),
    ("missing", None, False),
]


@pytest.mark.parametrize(
    ("case", "policy", "fires"), TRUST_CASES, ids=[c for c, _, _ in TRUST_CASES]
)
def test_trust_admits_no_one_at_large(security, case, policy, fires):
    rule = "iam-trust-no-public-principal"
    props = {"assumeRolePolicy": policy} if policy is not None else {"description": "no trust"}
    found = [
        v
        for v in analyze(security, ROLE, props, name=case.replace(" ", "-"))
        if v.policyName == rule
    ]
    assert bool(found) == fires, f"{rule} on {ROLE}::{case}: {[v.detail for v in found]}"


@pytest.mark.parametrize("action", ["sts:*", "*", "STS:AssumeRoleWith*"])
def test_irsa_trust_through_a_wider_action_is_judged_too(security, action):
    policy = doc({"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": action})
    found = analyze(security, ROLE, {"assumeRolePolicy": policy}, name="wide-irsa")
    assert "iam-irsa-trust-pinned" in {v.policyName for v in found}, found


def test_irsa_trust_pinned_to_two_service_accounts_fails(security):
    policy = doc(
        {
            "Effect": "Allow",
            "Principal": {"Federated": PROVIDER},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{ISSUER}:sub": ["system:serviceaccount:a:b", "system:serviceaccount:c:d"],
                    f"{ISSUER}:aud": "sts.amazonaws.com",
                }
            },
        }
    )
    found = analyze(security, ROLE, {"assumeRolePolicy": policy}, name="two-accounts")
    assert "iam-irsa-trust-pinned" in {v.policyName for v in found}, found


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/IAMFullAccess",
        "arn:aws:iam::aws:policy/PowerUserAccess",
        "arn:aws-us-gov:iam::aws:policy/AdministratorAccess",
    ],
)
def test_admin_equivalent_managed_policies_are_refused(security, arn):
    found = analyze(security, ATTACHMENT, {"role": "r", "policyArn": arn}, name="admin-equivalent")
    assert "iam-no-administrator-access" in {v.policyName for v in found}, arn


def test_exclusive_attachments_are_judged_too(security):
    exclusive = "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive"
    found = analyze(security, exclusive, {"roleName": "r", "policyArns": [ADMIN]}, name="excl")
    assert "iam-no-administrator-access" in {v.policyName for v in found}


GITHUB = "arn:aws:iam::123456789012:oidc-provider/token.actions.githubusercontent.com"
GITHUB_KEY = "token.actions.githubusercontent.com"

FEDERATION_CASES: list[tuple[str, Any, dict[str, Any] | None, bool]] = [
    ("google without audience fails", "accounts.google.com", None, True),
    (
        "cognito with its pool passes",
        "cognito-identity.amazonaws.com",
        {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool-1"}},
        False,
    ),
    (
        "github without sub fails",
        GITHUB,
        {"StringEquals": {f"{GITHUB_KEY}:aud": "sts.amazonaws.com"}},
        True,
    ),
    (
        "github repo pinned passes",
        GITHUB,
        {
            "StringEquals": {f"{GITHUB_KEY}:aud": "sts.amazonaws.com"},
            "StringLike": {f"{GITHUB_KEY}:sub": "repo:my-org/infra:*"},
        },
        False,
    ),
    ("github any repo fails", GITHUB, {"StringLike": {f"{GITHUB_KEY}:sub": "repo:*"}}, True),
    (
        "github org prefix fails",
        GITHUB,
        {"StringLike": {f"{GITHUB_KEY}:sub": "repo:my-org*"}},
        True,
    ),
]


@pytest.mark.parametrize(
    ("case", "provider", "condition", "fires"),
    FEDERATION_CASES,
    ids=[c for c, _, _, _ in FEDERATION_CASES],
)
def test_web_identity_trust_pins_whose_token(security, case, provider, condition, fires):
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"Federated": provider},
        "Action": "sts:AssumeRoleWithWebIdentity",
    }
    if condition is not None:
        statement["Condition"] = condition
    found = analyze(
        security, ROLE, {"assumeRolePolicy": doc(statement)}, name=case.replace(" ", "-")
    )
    names = {v.policyName for v in found}
    assert ("iam-trust-no-public-principal" in names) == fires, [v.detail for v in found]
    assert "iam-irsa-trust-pinned" not in names  # IRSA judges EKS issuers only

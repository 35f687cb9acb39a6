"""IAM rules: no administrator grants (written as a policy or attached as the AWS managed
AdministratorAccess), and IRSA trust policies pinned to one service account."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_list, framework, policy_document, rule_tags, statements

IAM_POLICY = "aws:iam/policy:Policy"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
USER_POLICY = "aws:iam/userPolicy:UserPolicy"
GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
ATTACHMENT_TYPES = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
ADMINISTRATOR_ACCESS = re.compile(r":policy/AdministratorAccess$")
SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)
WEB_IDENTITY = "sts:assumerolewithwebidentity"
WILDCARDS = ("*", "?")
POLICY_TYPES = (IAM_POLICY, ROLE, ROLE_POLICY, USER_POLICY, GROUP_POLICY)


def identity_policies(resource_type: str, props: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """The identity-based policy documents a resource carries, with where each one is."""
    if resource_type in (IAM_POLICY, ROLE_POLICY, USER_POLICY, GROUP_POLICY):
        yield "policy", props.get("policy")
    elif resource_type == ROLE:
        for i, inline in enumerate(as_list(props.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                yield (
                    f"inlinePolicies[{i}] ({inline.get('name') or 'unnamed'})",
                    inline.get("policy"),
                )


def _wildcard_actions(statement: Mapping[str, Any]) -> list[str]:
    """The `*` or `<service>:*` actions an Allow statement grants on every resource."""
    if statement.get("Effect") != "Allow" or "*" not in as_list(statement.get("Resource")):
        return []
    return [
        str(a)
        for a in as_list(statement.get("Action"))
        if a == "*" or SERVICE_WILDCARD.match(str(a))
    ]


def iam_no_wildcard_admin_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in POLICY_TYPES:
        return
    for where, document in identity_policies(args.resource_type, args.props):
        for i, statement in enumerate(statements(policy_document(document))):
            actions = _wildcard_actions(statement)
            if actions:
                sid = statement.get("Sid") or f"Statement[{i}]"
                report_violation(
                    f"{where}: {sid} allows {actions} on Resource '*', which is administrator "
                    "access to the whole account (or to a whole service). List the actions the "
                    "principal needs and scope Resource to the ARNs it works on.",
                    None,
                )


iam_no_wildcard_admin = ResourceValidationPolicy(
    name="iam-no-wildcard-admin",
    description=(
        "No IAM policy allows '*' or '<service>:*' actions on Resource '*' (customer-managed, "
        "role, user, group and role inline policies)."
    ),
    validate=iam_no_wildcard_admin_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=framework(cis="1.16"),
    tags=[
        *rule_tags("SEC-IAM-001", cis="1.16", fsbp="IAM.1", checkov="CKV_AWS_62"),
        "aws-fsbp:IAM.21",
        "checkov:CKV_AWS_63",
    ],
    remediation_steps="Replace wildcard actions with the specific actions and resource ARNs.",
)


def iam_no_administrator_access_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type in ATTACHMENT_TYPES:
        arns = [args.props.get("policyArn")]
    elif args.resource_type == ROLE:
        arns = as_list(args.props.get("managedPolicyArns"))
    else:
        return
    for arn in arns:
        if arn and ADMINISTRATOR_ACCESS.search(str(arn)):
            report_violation(
                f"{arn} is attached, which grants every action on every resource. Attach a "
                "policy with only the permissions the principal needs (break-glass "
                "administrators belong in IAM Identity Center, not in this stack).",
                None,
            )


iam_no_administrator_access = ResourceValidationPolicy(
    name="iam-no-administrator-access",
    description="No role, user or group is given the AWS managed AdministratorAccess policy.",
    validate=iam_no_administrator_access_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=framework(cis="1.16"),
    tags=rule_tags("SEC-IAM-002", cis="1.16", checkov="CKV_AWS_274"),
    remediation_steps="Attach a least-privilege policy instead of AdministratorAccess.",
)


def _federated(statement: Mapping[str, Any]) -> list[str]:
    principal = statement.get("Principal")
    if not isinstance(principal, Mapping):
        return []
    return [str(p) for p in as_list(principal.get("Federated"))]


def _conditions(statement: Mapping[str, Any], operator: str) -> dict[str, list[str]]:
    """A statement's condition keys (lower-case) under one operator, e.g. StringEquals."""
    out: dict[str, list[str]] = {}
    conditions = statement.get("Condition")
    if not isinstance(conditions, Mapping):
        return out
    for op, keys in conditions.items():
        if str(op).lower() == operator.lower() and isinstance(keys, Mapping):
            for key, value in keys.items():
                out[str(key).lower()] = [str(v) for v in as_list(value)]
    return out


def irsa_trust_problems(statement: Mapping[str, Any]) -> list[str]:
    """What a web-identity trust statement for an EKS OIDC provider fails to pin."""
    actions = {str(a).lower() for a in as_list(statement.get("Action"))}
    providers = [p for p in _federated(statement) if ":oidc-provider/" in p]
    if statement.get("Effect") != "Allow" or WEB_IDENTITY not in actions or not providers:
        return []
    equals = _conditions(statement, "StringEquals")
    like = _conditions(statement, "StringLike")
    problems: list[str] = []
    for provider in providers:
        issuer = provider.split(":oidc-provider/", 1)[1].lower()
        sub, aud = f"{issuer}:sub", f"{issuer}:aud"
        if any(c in v for v in like.get(sub, []) for c in WILDCARDS):
            problems.append(
                f"StringLike {sub} = {like[sub]} lets every matching service account assume "
                "the role"
            )
        elif sub not in equals:
            problems.append(f"{sub} is not pinned with StringEquals")
        if aud not in equals:
            problems.append(f"{aud} is not pinned with StringEquals")
    return problems


def iam_irsa_trust_pinned_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != ROLE:
        return
    for i, statement in enumerate(statements(policy_document(args.props.get("assumeRolePolicy")))):
        problems = irsa_trust_problems(statement)
        if problems:
            report_violation(
                f"assumeRolePolicy Statement[{i}] trusts an EKS OIDC provider but "
                f"{'; '.join(problems)}. Add Condition StringEquals with "
                "'<issuer>:sub' = 'system:serviceaccount:<namespace>:<name>' and "
                "'<issuer>:aud' = 'sts.amazonaws.com'.",
                None,
            )


iam_irsa_trust_pinned = ResourceValidationPolicy(
    name="iam-irsa-trust-pinned",
    description=(
        "IAM roles for service accounts trust exactly one Kubernetes service account: the OIDC "
        "sub and aud claims are pinned with StringEquals."
    ),
    validate=iam_irsa_trust_pinned_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-IAM-003"),
    remediation_steps=(
        "Condition the trust statement on StringEquals for '<issuer>:sub' "
        "(system:serviceaccount:<namespace>:<name>) and '<issuer>:aud' (sts.amazonaws.com)."
    ),
)

POLICIES = [iam_no_wildcard_admin, iam_no_administrator_access, iam_irsa_trust_pinned]

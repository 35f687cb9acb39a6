"""IAM rules, judged on what a document allows (`policies.iam_documents`), not on its spelling:
no admin-like grants (however written: `*`, `iam*`, `NotAction`), no `NotAction`/`NotResource`
allows, no privilege-escalation action on every resource, the AWS managed AdministratorAccess
never attached, trust policies that admit no one at large, and IRSA trust pinned to one service
account."""

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

from policies.common import as_list, fail_closed, framework, rule_tags
from policies.iam_documents import (
    ALL_RESOURCES,
    WEB_IDENTITY,
    Statement,
    admin_grants,
    escalation_grants,
    everyone_grants,
    parse_document,
)

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
# AWS managed policies that are administrator access, or the means to grant it to oneself.
ADMIN_EQUIVALENT = re.compile(
    r"^arn:aws[a-z-]*:iam::aws:policy/(AdministratorAccess|AdministratorAccess-Amplify|"
    r"AdministratorAccess-AWSElasticBeanstalk|IAMFullAccess|PowerUserAccess|"
    r"AWSOrganizationsFullAccess)$"
)
EXCLUSIVE_ATTACHMENTS = (
    "aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/groupPolicyAttachmentsExclusive:GroupPolicyAttachmentsExclusive",
)
EKS_ISSUER = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/id/", re.IGNORECASE)
SERVICE_ACCOUNT = re.compile(
    r"system:serviceaccount:[a-z0-9]([-a-z0-9.]*[a-z0-9])?:[a-z0-9]([-a-z0-9.]*[a-z0-9])?"
)
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


def _identity_statements(args: ResourceValidationArgs) -> Iterator[tuple[str, list[Statement]]]:
    for where, document in identity_policies(args.resource_type, args.props):
        yield where, parse_document(document, where)


@fail_closed
def iam_no_wildcard_admin_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in POLICY_TYPES:
        return
    for where, statements in _identity_statements(args):
        for statement, grants in admin_grants(statements):
            what = (
                "every action"
                if grants == ["*"]
                else f"every action of {', '.join(grants[:6])}"
                + (f" and {len(grants) - 6} more services" if len(grants) > 6 else "")
            )
            how = " (through NotAction)" if statement.not_actions is not None else ""
            report_violation(
                f"{where}: {statement.label} allows {what}{how} on every resource, which is "
                "administrator access to the account (or to whole services). List the actions "
                "the principal needs and scope Resource to the ARNs it works on.",
                None,
            )


iam_no_wildcard_admin = ResourceValidationPolicy(
    name="iam-no-wildcard-admin",
    description=(
        "No IAM policy grants every action, or every action of a service, on every resource, "
        "however it is written ('*', 'iam*', NotAction; customer-managed, role, user, group "
        "and role inline policies)."
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


@fail_closed
def iam_no_administrator_access_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type in ATTACHMENT_TYPES:
        arns = [args.props.get("policyArn")]
    elif args.resource_type == ROLE:
        arns = as_list(args.props.get("managedPolicyArns"))
    elif args.resource_type in EXCLUSIVE_ATTACHMENTS:
        arns = as_list(args.props.get("policyArns"))
    else:
        return
    for arn in arns:
        if arn and ADMIN_EQUIVALENT.match(str(arn)):
            report_violation(
                f"{arn} is attached, which is administrator access (or the means to grant it: "
                "IAMFullAccess lets the principal attach anything to itself). Attach a "
                "policy with only the permissions the principal needs (break-glass "
                "administrators belong in IAM Identity Center, not in this stack).",
                None,
            )


iam_no_administrator_access = ResourceValidationPolicy(
    name="iam-no-administrator-access",
    description=(
        "No role, user or group is given an AWS managed policy that is administrator access "
        "or grants it (AdministratorAccess, IAMFullAccess, PowerUserAccess, ...)."
    ),
    validate=iam_no_administrator_access_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    framework=framework(cis="1.16"),
    tags=rule_tags("SEC-IAM-002", cis="1.16", checkov="CKV_AWS_274"),
    remediation_steps="Attach a least-privilege policy instead of AdministratorAccess.",
)


def irsa_trust_problems(statement: Statement) -> list[str]:
    """What a trust statement that lets an EKS OIDC provider's tokens assume the role fails to
    pin: any statement whose effective actions include sts:AssumeRoleWithWebIdentity (also
    `sts:*`, `*` or a NotAction that leaves it) counts."""
    providers = [
        p
        for p in (statement.principals or {}).get("Federated", ())
        if ":oidc-provider/" in p and EKS_ISSUER.match(p.split(":oidc-provider/", 1)[1])
    ]
    if not statement.allow or not providers or not statement.covers_action(WEB_IDENTITY):
        return []
    problems: list[str] = []
    for provider in providers:
        issuer = provider.split(":oidc-provider/", 1)[1].lower()
        sub = statement.conditions_on(f"{issuer}:sub", "StringEquals")
        subs = [v for c in sub for v in c.values]
        like = [v for c in statement.conditions_on(f"{issuer}:sub", "StringLike") for v in c.values]
        if any("*" in v or "?" in v for v in like):
            problems.append(
                f"StringLike {issuer}:sub = {like} lets every matching service account assume "
                "the role"
            )
        elif not sub:
            problems.append(f"{issuer}:sub is not pinned with StringEquals")
        elif len(subs) != 1 or not SERVICE_ACCOUNT.fullmatch(subs[0]):
            problems.append(
                f"{issuer}:sub is {subs}, not exactly one system:serviceaccount:<namespace>:<name>"
            )
        aud = statement.conditions_on(f"{issuer}:aud", "StringEquals")
        if [v for c in aud for v in c.values] != ["sts.amazonaws.com"]:
            problems.append(f"{issuer}:aud is not pinned to sts.amazonaws.com with StringEquals")
    return problems


@fail_closed
def iam_irsa_trust_pinned_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != ROLE:
        return
    for statement in parse_document(args.props.get("assumeRolePolicy"), "assumeRolePolicy"):
        problems = irsa_trust_problems(statement)
        if problems:
            report_violation(
                f"assumeRolePolicy {statement.label} trusts an EKS OIDC provider but "
                f"{'; '.join(problems)}. Add Condition StringEquals with "
                "'<issuer>:sub' = 'system:serviceaccount:<namespace>:<name>' and "
                "'<issuer>:aud' = 'sts.amazonaws.com'.",
                None,
            )


iam_irsa_trust_pinned = ResourceValidationPolicy(
    name="iam-irsa-trust-pinned",
    description=(
        "IAM roles for service accounts trust exactly one Kubernetes service account: any "
        "statement that admits sts:AssumeRoleWithWebIdentity (also through sts:* or *) from an "
        "EKS OIDC provider pins the sub and aud claims with StringEquals."
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


@fail_closed
def iam_no_not_action_allow_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in POLICY_TYPES:
        return
    for where, statements in _identity_statements(args):
        for s in statements:
            if not s.allow:
                continue
            if s.not_actions is not None and s.covers_resources(ALL_RESOURCES):
                report_violation(
                    f"{where}: {s.label} allows every action except {list(s.not_actions)} on "
                    "every resource (NotAction with Allow), so every action AWS adds later is "
                    "granted too. Use Action with the actions the principal needs.",
                    None,
                )
            if s.not_resources is not None:
                report_violation(
                    f"{where}: {s.label} allows its actions on every resource except "
                    f"{list(s.not_resources)} (NotResource with Allow), including resources "
                    "created later. Use Resource with the ARNs the principal works on.",
                    None,
                )


iam_no_not_action_allow = ResourceValidationPolicy(
    name="iam-no-not-action-allow",
    description=(
        "No IAM policy allows through NotAction on every resource, or through NotResource: "
        "both grant everything not listed, including what AWS adds later."
    ),
    validate=iam_no_not_action_allow_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-IAM-004", checkov="CKV_AWS_289"),
    remediation_steps="Replace NotAction/NotResource in Allow statements with Action/Resource.",
)


@fail_closed
def iam_no_privilege_escalation_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in POLICY_TYPES:
        return
    for where, statements in _identity_statements(args):
        for statement, actions in escalation_grants(statements):
            report_violation(
                f"{where}: {statement.label} allows {actions} on every resource they act on, "
                "which lets the principal raise its own privileges (e.g. pass an admin role to a "
                "new instance, or rewrite its own policies). Scope Resource to the exact ARNs "
                "(and iam:PassRole with an iam:PassedToService condition).",
                None,
            )


iam_no_privilege_escalation = ResourceValidationPolicy(
    name="iam-no-privilege-escalation",
    description=(
        "No IAM policy allows a privilege-escalation action (iam:PassRole, "
        "iam:CreatePolicyVersion, iam:AttachRolePolicy, sts:AssumeRole, ...; the list is "
        "ESCALATION_ACTIONS in policies/iam_documents.py) on every resource it acts on."
    ),
    validate=iam_no_privilege_escalation_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=[*rule_tags("SEC-IAM-005", checkov="CKV_AWS_286"), "checkov:CKV_AWS_110"],
    remediation_steps="Scope escalation-capable actions to named resources.",
)


def open_federation(statement: Statement) -> list[str]:
    """The identity providers (other than EKS clusters, which `iam-irsa-trust-pinned` judges)
    whose tokens can assume the role through this statement with nothing pinning whose token:
    no `<issuer>:sub` condition, and no `<issuer>:aud` condition naming an audience of one's
    own (`sts.amazonaws.com` is every GitHub Actions token's audience). A Google, Cognito or
    GitHub token of anyone's would do."""
    if not statement.allow or not statement.covers_action(WEB_IDENTITY):
        return []
    found = []
    for provider in (statement.principals or {}).get("Federated", ()):
        if ":saml-provider/" in provider:
            continue
        issuer = provider.split(":oidc-provider/", 1)[-1].lower()
        if EKS_ISSUER.match(issuer):
            continue
        pinned = [
            c
            for c in statement.conditions
            if c.pins
            and (
                c.key == f"{issuer}:sub"
                or (c.key == f"{issuer}:aud" and "sts.amazonaws.com" not in c.values)
            )
        ]
        if not pinned:
            found.append(provider)
    return found


@fail_closed
def iam_trust_no_public_principal_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != ROLE:
        return
    statements = parse_document(args.props.get("assumeRolePolicy"), "assumeRolePolicy")
    for s in everyone_grants(statements):
        report_violation(
            f"assumeRolePolicy {s.label} lets any AWS identity, in any account, assume the role "
            "(Principal '*' or NotPrincipal, with no condition narrowing the caller). Name the "
            "trusted principals, or add a condition on aws:PrincipalAccount, aws:PrincipalOrgID "
            "or aws:PrincipalArn.",
            None,
        )
    for s in statements:
        for provider in open_federation(s):
            report_violation(
                f"assumeRolePolicy {s.label} lets any token of {provider} assume the role: no "
                f"condition pins '{provider.split(':oidc-provider/', 1)[-1]}:sub' (or an "
                "audience of your own). Add StringEquals on the token's sub (for GitHub "
                "Actions: repo:<org>/<repo>:ref:refs/heads/<branch>) and aud.",
                None,
            )


iam_trust_no_public_principal = ResourceValidationPolicy(
    name="iam-trust-no-public-principal",
    description=(
        "No role's trust policy admits everyone ('*', {AWS: '*'}, NotPrincipal, or any token "
        "of a web identity provider with no sub or own-audience condition) without a "
        "condition that narrows the caller to known accounts, organisations, ARNs or tokens."
    ),
    validate=iam_trust_no_public_principal_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=[*rule_tags("SEC-IAM-006", checkov="CKV_AWS_60"), "checkov:CKV_AWS_61"],
    remediation_steps="Name the trusted principals, or narrow them by condition.",
)

POLICIES = [
    iam_no_wildcard_admin,
    iam_no_administrator_access,
    iam_irsa_trust_pinned,
    iam_no_not_action_allow,
    iam_no_privilege_escalation,
    iam_trust_no_public_principal,
]

"""Grants to other AWS accounts: resource policies (KMS, S3, SNS, SQS, Secrets Manager, ECR, EFS,
Backup, API Gateway, CloudWatch Logs, OpenSearch, Glacier, EventBridge buses), Lambda and layer
permissions and EventBridge bus permissions admit no account but the stack's own and those the
policy config trusts; EventBridge rules send to no other account's bus or resource.

The stack's own accounts are, together: the policy config's `accountIds`, the `allowedAccountIds`
of the stack's aws providers, and the account field of the ARNs the provider computed for the
stack's resources (`arn` outputs: in the offline plan, the caller identity the mocks return). When
none of them names an account (a first preview of a new stack, before any ARN is known), every
account counts as another one: the rule fails closed until `accountIds` is set.

Judged by effect, after conditions (`policies.iam_documents`): an Allow admits the accounts its
`Principal` names (12-digit ids, `arn:aws:iam::<account>:root|role/...|user/...`); everyone (`*`)
narrowed by a condition admits what the condition names. A condition that pins the caller or the
calling resource (`aws:PrincipalAccount`, `aws:SourceAccount`, `aws:SourceOwner`,
`kms:CallerAccount`, `aws:PrincipalArn`, `aws:SourceArn`, `aws:PrincipalOrgID`/`OrgPaths`,
`aws:SourceOrgID`/`OrgPaths`, with a positive operator and literal values) to trusted accounts or
organisations (`trustedOrganizations`) makes the statement safe, whatever its principal (the
conditions of a statement must all hold). AWS service principals are not other accounts, unless a
condition names another account as the source. Everyone with no narrowing condition is
`resource-policy-no-public-principal`'s finding, not repeated here; a VPC or VPC endpoint pin
says nothing about accounts and is not judged here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import config, fail_closed, known, rule_tags, string_list
from policies.iam_documents import Condition, Statement, arn_account, is_everyone, parse_document
from policies.security.resource_policies import (
    LAMBDA_PERMISSION,
    LAYER_PERMISSION,
    RESOURCE_POLICY_PROPERTIES,
)
from policies.values import ValueProblem

EVENT_BUS_POLICY = "aws:cloudwatch/eventBusPolicy:EventBusPolicy"
EVENT_PERMISSION = "aws:cloudwatch/eventPermission:EventPermission"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
DOCUMENT_PROPERTIES = {**RESOURCE_POLICY_PROPERTIES, EVENT_BUS_POLICY: "policy"}
# Types whose `arn` is an input naming another resource, not the ARN of the resource itself.
ARN_IS_INPUT = frozenset({EVENT_TARGET, "aws:sns/topicPolicy:TopicPolicy"})
AWS_PROVIDER = "pulumi:providers:aws"

ACCOUNT_KEYS = frozenset(
    {"aws:principalaccount", "aws:sourceaccount", "aws:sourceowner", "kms:calleraccount"}
)
ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
ORG_KEYS = frozenset(
    {"aws:principalorgid", "aws:sourceorgid", "aws:principalorgpaths", "aws:sourceorgpaths"}
)
ACCOUNT_ID = re.compile(r"^\d{12}$")

CONFIG_SCHEMA = PolicyConfigSchema(
    properties={
        "accountIds": string_list("The stack's own AWS accounts (beside those its ARNs name)."),
        "trustedAccounts": string_list("Other accounts that may be granted access."),
        "trustedOrganizations": string_list(
            "Organisation ids (o-...) whose accounts may be granted access."
        ),
    }
)


@dataclass(frozen=True)
class Trust:
    own: frozenset[str]
    accounts: frozenset[str]  # own and trusted
    organizations: frozenset[str]
    arns: frozenset[str]  # the ARNs of the stack's own resources

    @property
    def hint(self) -> str:
        if self.own:
            return ""
        return (
            " (The stack's own account could not be told from the plan, so every account "
            "counts as another one: set accountIds in the policy config.)"
        )


def _provider_accounts(provider: PolicyResource) -> list[str]:
    value = known(provider.props, "allowedAccountIds")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
            value = [value]
    return [str(v) for v in value] if isinstance(value, Sequence) else []


def trust(args: StackValidationArgs) -> Trust:
    own = {str(a) for a in config(args, "accountIds", []) or []}
    arns: set[str] = set()
    for r in args.resources:
        if r.resource_type == AWS_PROVIDER:
            own.update(_provider_accounts(r))
            continue
        if r.resource_type in ARN_IS_INPUT:
            continue
        arn = known(r.props, "arn")
        if isinstance(arn, str) and arn.startswith("arn:"):
            arns.add(arn)
            account = arn_account(arn)
            if account and ACCOUNT_ID.match(account):
                own.add(account)
    trusted = {str(a) for a in config(args, "trustedAccounts", []) or []}
    orgs = {str(o) for o in config(args, "trustedOrganizations", []) or []}
    return Trust(frozenset(own), frozenset(own | trusted), frozenset(orgs), frozenset(arns))


# --- judging one statement --------------------------------------------------------------------


def principal_account(principal: str, what: str) -> str | None:
    """The account an AWS principal names; None for everyone (`*`, a wildcard). A principal
    whose account cannot be read (a unique id such as AROA..., a malformed ARN) raises."""
    if "*" in principal or "?" in principal:
        return None
    if ACCOUNT_ID.match(principal):
        return principal
    account = arn_account(principal)
    if account and ACCOUNT_ID.match(account):
        return account
    raise ValueProblem(what, principal, "an account id or an ARN naming an account")


def _condition_verdict(c: Condition, t: Trust) -> tuple[str, list[str]]:
    """("trusted" | "other" | "neutral", what it names that is not trusted)."""
    if not c.pins:
        return "neutral", []
    if c.key in ACCOUNT_KEYS:
        others = [v for v in c.values if v not in t.accounts]
        return ("other", others) if others else ("trusted", [])
    if c.key in ARN_KEYS:
        others, unknown = [], False
        for v in c.values:
            account = arn_account(v)
            if account is None:
                unknown = unknown or v not in t.arns
            elif account not in t.accounts:
                others.append(v)
        if others:
            return "other", others
        return ("neutral", []) if unknown else ("trusted", [])
    if c.key in ORG_KEYS:
        others = [v for v in c.values if v.split("/", 1)[0] not in t.organizations]
        return ("other", others) if others else ("trusted", [])
    return "neutral", []


def other_accounts(s: Statement, t: Trust, where: str) -> list[str]:
    """What an Allow statement admits beyond the trusted accounts, after its conditions (empty
    when nothing)."""
    if not s.allow:
        return []
    verdicts = [_condition_verdict(c, t) for c in s.conditions]
    if any(v == "trusted" for v, _ in verdicts):
        return []
    from_conditions = [x for v, names in verdicts if v == "other" for x in names]
    if s.not_principals is not None:
        return from_conditions if s.narrowing else []
    principals = s.principals or {}
    found: list[str] = []
    for i, p in enumerate(principals.get("AWS", ())):
        account = principal_account(p, f"{where} Principal.AWS[{i}]")
        if account is not None and account not in t.accounts:
            found.append(p)
    for p in principals.get("Federated", ()):
        account = arn_account(p)
        if account and account not in t.accounts:
            found.append(p)
    everyone = is_everyone(principals)
    if found:
        return found
    if (everyone and s.narrowing) or principals.get("Service"):
        return from_conditions
    return []


# --- the resources that grant -------------------------------------------------------------------


def _permission_statement(r: PolicyResource) -> Statement | None:
    """A Lambda, layer or EventBridge bus permission as the one statement it adds."""
    props = r.props
    principal = known(props, "principal")
    if principal is None:
        return None
    if not isinstance(principal, str):
        raise ValueProblem("principal", principal, "a string", r.urn)
    conditions: list[Condition] = []

    def pin(key: str, value: Any, operator: str = "StringEquals") -> None:
        if value:
            conditions.append(Condition(operator, key, (str(value),)))

    if r.resource_type == LAMBDA_PERMISSION:
        pin("aws:sourceaccount", known(props, "sourceAccount"))
        pin("aws:sourcearn", known(props, "sourceArn"), "ArnLike")
        pin("aws:principalorgid", known(props, "principalOrgId"))
    elif r.resource_type == LAYER_PERMISSION:
        pin("aws:principalorgid", known(props, "organizationId"))
    else:
        condition = known(props, "condition")
        if isinstance(condition, Mapping) and condition.get("key"):
            pin(str(condition["key"]).lower(), condition.get("value"), str(condition.get("type")))
    kind = "Service" if principal.endswith(".amazonaws.com") else "AWS"
    return Statement(
        index=0,
        sid=str(known(props, "statementId") or ""),
        effect="Allow",
        actions=(str(known(props, "action") or "*"),),
        not_actions=None,
        resources=None,
        not_resources=None,
        principals={kind: (principal,)},
        not_principals=None,
        conditions=tuple(conditions),
    )


def grants(r: PolicyResource) -> Iterator[tuple[str, Statement]]:
    """(where, statement) of each statement a resource adds to a resource policy."""
    if r.resource_type in (LAMBDA_PERMISSION, LAYER_PERMISSION, EVENT_PERMISSION):
        statement = _permission_statement(r)
        if statement is not None:
            yield "the permission", statement
        return
    key = DOCUMENT_PROPERTIES.get(r.resource_type)
    if key is None:
        return
    for s in parse_document(known(r.props, key), key):
        yield f"{key} {s.label}", s


def _actions(s: Statement) -> str:
    if s.actions is not None:
        return str(list(s.actions))
    return f"every action but {list(s.not_actions or ())}"


@fail_closed
def resource_policy_no_other_account_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    t: Trust | None = None
    for r in args.resources:
        if r.resource_type not in DOCUMENT_PROPERTIES and r.resource_type not in (
            LAMBDA_PERMISSION,
            LAYER_PERMISSION,
            EVENT_PERMISSION,
        ):
            continue
        t = t or trust(args)
        try:
            for where, s in grants(r):
                others = other_accounts(s, t, where)
                if others:
                    report_violation(
                        f"{where} grants {_actions(s)} to other AWS accounts: "
                        f"{sorted(set(others))}, which are neither the stack's own nor "
                        "trusted. Grant only this account's principals, pin aws:SourceAccount, "
                        "aws:PrincipalAccount or aws:PrincipalOrgID to trusted values, or list "
                        "the account under trustedAccounts in the policy config." + t.hint,
                        r.urn,
                    )
        except ValueProblem as problem:
            report_violation(
                f"Cannot judge this resource's policy: {problem}. A value the rule cannot read "
                "fails the rule; set it to a valid value.",
                r.urn,
            )


resource_policy_no_other_account = StackValidationPolicy(
    name="resource-policy-no-other-account",
    description=(
        "No resource policy or permission (KMS, S3, SNS, SQS, Secrets Manager, ECR, Lambda, "
        "EventBridge buses, ...) grants an account other than the stack's own or a trusted one, "
        "judged after the conditions that narrow who calls."
    ),
    validate=resource_policy_no_other_account_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=CONFIG_SCHEMA,
    tags=rule_tags("SEC-XACCT-001"),
    remediation_steps=(
        "Name only the stack's own principals, narrow by aws:SourceAccount, aws:PrincipalAccount "
        "or aws:PrincipalOrgID, or list the other account under trustedAccounts."
    ),
)


@fail_closed
def event_target_no_other_account_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    t: Trust | None = None
    for r in args.resources:
        if r.resource_type != EVENT_TARGET:
            continue
        t = t or trust(args)
        arn = known(r.props, "arn")
        if arn is None:
            continue  # not known yet: it comes from a resource of the stack
        if not isinstance(arn, str):
            report_violation(
                f"Cannot judge this event target: arn is {arn!r}, not an ARN. A value the rule "
                "cannot read fails the rule; set it to a valid value.",
                r.urn,
            )
            continue
        account = arn_account(arn)
        if account is not None and account not in t.accounts:
            report_violation(
                f"The EventBridge rule sends its events to {arn}, in account {account}, which "
                "is neither the stack's own nor trusted: every matching event (instance, "
                "health, API activity) leaves the account. Target a resource of this account, "
                "or list the account under trustedAccounts in the policy config." + t.hint,
                r.urn,
            )


event_target_no_other_account = StackValidationPolicy(
    name="event-target-no-other-account",
    description=(
        "EventBridge rules send their events to no event bus or resource of an account other "
        "than the stack's own or a trusted one."
    ),
    validate=event_target_no_other_account_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=CONFIG_SCHEMA,
    tags=rule_tags("SEC-XACCT-002"),
    remediation_steps="Target resources of the stack's own account, or trust the account.",
)

POLICIES = [resource_policy_no_other_account, event_target_no_other_account]

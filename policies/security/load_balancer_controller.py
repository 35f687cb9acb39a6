"""The AWS Load Balancer Controller's permissions, judged against its upstream policy
(`toolchain.upstream`, the document the program attaches) by what a document allows.

Upstream grants the controller's writes on load balancers, target groups and security groups only
under a condition on its tag `elbv2.k8s.aws/cluster`: on the resource (change, delete what it
tagged) or in the request (create only tagged). Two questions, for every identity policy of the
stack (customer-managed, role, role inline, user, group):

- Tag-scoped writes. A statement that allows one of those guarded actions (however spelled:
  `elasticloadbalancing:*`, `*`, `NotAction`) on the resources upstream guards, without a
  condition that pins the same tag (`Null` = "false", or a positive string operator; not
  `...IfExists`) is wider than upstream: it lets the role delete or rewire load balancers and
  security groups it did not create. This holds for any role, not only the controller's.
- Nothing beyond the list. A document that lets a principal create load balancers (a controller's
  policy) grants only actions upstream lists: an action outside it, a wildcard or a `NotAction`
  reaches past it.

Anything unreadable (a document that does not parse, a pattern too complex to judge) fails the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policies.common import fail_closed, rule_tags
from policies.iam_documents import (
    ACCOUNT,
    Statement,
    parse_document,
    resource_matches,
)
from policies.security.iam import POLICY_TYPES, identity_policies
from toolchain.upstream import (
    LOAD_BALANCER_CONTROLLER_SOURCE,
    LOAD_BALANCER_CONTROLLER_TAG,
    load_balancer_controller_policy,
)

TAG_KINDS = ("aws:resourcetag", "aws:requesttag")
CREATE_LOAD_BALANCER = "elasticloadbalancing:CreateLoadBalancer"
_POSITIVE = ("stringequals", "stringequalsignorecase", "stringlike")


def pinning_tag_kinds(statement: Statement, tag: str = LOAD_BALANCER_CONTROLLER_TAG) -> set[str]:
    """The kinds of tag conditions (`aws:resourcetag`, `aws:requesttag`) on `tag` that the
    statement requires to be present: `Null` "false", or a positive string operator that fails
    when the key is absent."""
    kinds = set()
    for c in statement.conditions:
        for kind in TAG_KINDS:
            if c.key != f"{kind}/{tag}".lower():
                continue
            op = c.operator.lower()
            if (op == "null" and list(c.values) == ["false"]) or (
                c.base_operator in _POSITIVE
                and not op.endswith("ifexists")
                and not op.startswith("forallvalues:")
                and c.values
            ):
                kinds.add(kind)
    return kinds


# What the controller's writes act on, as one ARN of each kind (in the helpers' test account):
# a statement "reaches" them when one of its Resource patterns matches one.
_ELB = f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}"
WORKED_ON: dict[str, tuple[str, ...]] = {
    "ec2": (f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/sg-0123456789abcdef0",),
    "elasticloadbalancing": (
        f"{_ELB}:loadbalancer/app/k8s-app/0123456789abcdef",
        f"{_ELB}:loadbalancer/net/k8s-app/0123456789abcdef",
        f"{_ELB}:targetgroup/k8s-app/0123456789abcdef",
    ),
}


def _worked_on(pattern: str, action: str) -> tuple[str, ...]:
    """The sample ARNs an upstream `Resource` pattern covers (`*`: all of the action's
    service)."""
    samples = WORKED_ON.get(action.split(":", 1)[0].lower(), ())
    return tuple(arn for arn in samples if resource_matches(pattern, arn))


@cache
def upstream() -> tuple[frozenset[str], dict[str, tuple[tuple[str, ...], frozenset[str]]]]:
    """Upstream's actions (lower-case), and for each action it grants only under a tag
    condition: the resources it guards (sample ARNs) and the tag kinds that may guard it."""
    statements = parse_document(load_balancer_controller_policy(), "the upstream policy")
    actions: set[str] = set()
    grants: dict[str, list[tuple[tuple[str, ...], set[str]]]] = {}
    for s in statements:
        for action in s.actions or ():
            actions.add(action.lower())
            shapes = tuple(arn for p in (s.resources or ("*",)) for arn in _worked_on(p, action))
            grants.setdefault(action, []).append((shapes, pinning_tag_kinds(s)))
    guarded = {
        action: (
            tuple(dict.fromkeys(shape for shapes, _ in found for shape in shapes)),
            frozenset(kind for _, kinds in found for kind in kinds),
        )
        for action, found in grants.items()
        if all(kinds for _, kinds in found)
    }
    return frozenset(actions), guarded


def _reaches(statement: Statement, arns: Sequence[str]) -> bool:
    """Whether the statement applies to one of the given resources."""
    if statement.resources is not None:
        return any(resource_matches(p, arn) for p in statement.resources for arn in arns)
    if statement.not_resources is not None:
        return any(
            not any(resource_matches(p, arn) for p in statement.not_resources) for arn in arns
        )
    return True  # no Resource named: taken as `*`


def untagged_writes(statements: Sequence[Statement]) -> list[tuple[Statement, list[str]]]:
    """Allow statements that grant guarded actions without upstream's tag condition."""
    _, guarded = upstream()
    found = []
    for s in statements:
        if not s.allow:
            continue
        kinds = pinning_tag_kinds(s)
        actions = [
            action
            for action, (shapes, allowed) in guarded.items()
            if s.covers_action(action) and _reaches(s, shapes) and not kinds & allowed
        ]
        if actions:
            found.append((s, actions))
    return found


def beyond_upstream(statements: Sequence[Statement]) -> list[tuple[Statement, list[str]]]:
    """In a load balancer controller's document (one that may create load balancers): the
    action patterns of Allow statements that reach past upstream's list."""
    actions, _ = upstream()
    if not any(s.allow and s.covers_action(CREATE_LOAD_BALANCER) for s in statements):
        return []
    found = []
    for s in statements:
        if not s.allow:
            continue
        if s.not_actions is not None:
            found.append((s, [f"NotAction {list(s.not_actions)}"]))
            continue
        extra = [p for p in s.actions or () if "*" in p or "?" in p or p.lower() not in actions]
        if extra:
            found.append((s, extra))
    return found


@fail_closed
def lb_controller_policy_within_upstream_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in POLICY_TYPES:
        return
    for where, document in identity_policies(args.resource_type, args.props):
        statements = parse_document(document, where)
        for statement, actions in untagged_writes(statements):
            report_violation(
                f"{where}: {statement.label} allows {', '.join(actions[:6])}"
                + (f" and {len(actions) - 6} more" if len(actions) > 6 else "")
                + " without a condition on the tag "
                f"{LOAD_BALANCER_CONTROLLER_TAG}, so the principal can change or delete load "
                "balancers, target groups and security groups it did not create. Scope them as "
                "the AWS Load Balancer Controller's upstream policy does (Condition Null "
                f'aws:ResourceTag/{LOAD_BALANCER_CONTROLLER_TAG} = "false"; creation with '
                f"aws:RequestTag/{LOAD_BALANCER_CONTROLLER_TAG}); upstream: "
                f"{LOAD_BALANCER_CONTROLLER_SOURCE}.",
                None,
            )
        for statement, patterns in beyond_upstream(statements):
            report_violation(
                f"{where}: {statement.label} of a load balancer controller's policy allows "
                f"{patterns}, beyond the actions the upstream policy lists. Grant only the "
                f"upstream actions ({LOAD_BALANCER_CONTROLLER_SOURCE}).",
                None,
            )


lb_controller_policy_within_upstream = ResourceValidationPolicy(
    name="lb-controller-policy-within-upstream",
    description="No IAM policy allows the load balancer, target group and security group writes "
    "that the AWS Load Balancer Controller's upstream policy scopes to its tag "
    "elbv2.k8s.aws/cluster without that tag condition (however the actions are written), and a "
    "policy that may create load balancers grants no action beyond upstream's list.",
    validate=lb_controller_policy_within_upstream_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-IAM-007"),
    remediation_steps="Use the upstream policy of the controller's version, unchanged.",
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    lb_controller_policy_within_upstream
]

"""Kubernetes RBAC rules: no binding to cluster admin, and no Role or ClusterRole whose rules amount
to cluster admin or a way to it.

A rule grants its verbs on its resources in its API groups; RBAC matches `*` in each, `res/*` for
every subresource of `res` and `*/sub` for subresource `sub` of any resource. Grants are judged by
effect, not spelling: `verbs: ["*"]` and a list of every verb are the same grant, and `*` verbs
include `escalate`, `bind` and `impersonate`. What amounts to admin or escalation:

- every verb, or every resource (`*`) with a write verb: a wildcard grant (Checkov CKV_K8S_49);
- `escalate` or `bind` on roles, cluster roles or their bindings (grant what one does not hold);
- `impersonate` on users, groups, service accounts or their extras (act as anyone);
- `create` on pods/exec, pods/attach or serviceaccounts/token, or `get`/`create` on nodes/proxy
  (run commands in others' pods, mint others' tokens, the kubelet's API);
- in a ClusterRole, reading or writing secrets in every namespace (every service account's token).

A ClusterRole with an `aggregationRule` has the rules of whatever roles its selectors match, which
the plan cannot show: it fails the rule unless exempted by config.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policies.common import config, fail_closed, matches_any, rule_tags, string_list
from policies.karpenter import items, mapping
from policies.values import ValueProblem

RBAC = re.compile(
    r"^kubernetes:rbac\.authorization\.k8s\.io/v1(?:beta1|alpha1)?:"
    r"(ClusterRoleBinding|RoleBinding|ClusterRole|Role)$"
)
RBAC_GROUP = "rbac.authorization.k8s.io"
# The verbs a `*` stands for on ordinary resources: listing all of them is the same grant.
STANDARD_VERBS = frozenset(
    {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
)
WRITE_VERBS = frozenset({"create", "update", "patch", "delete", "deletecollection"})
READ_VERBS = frozenset({"get", "list", "watch"})
DEFAULT_ADMIN_ROLES = ["cluster-admin"]
# Bound cluster-wide, these also write every namespace's secrets and exec into every pod.
DEFAULT_CLUSTER_WIDE_ADMIN_ROLES = ["cluster-admin", "admin", "edit"]
_EXEMPT_SCHEMA: dict[str, Any] = {
    "exempt": string_list(
        "Resources the rule does not judge, as `namespace/name` (or `name` for "
        "cluster-scoped ones) glob patterns."
    )
}

# (what, api group, resource/subresource, verbs that make it dangerous)
_ESCALATIONS: tuple[tuple[str, str, str, frozenset[str]], ...] = (
    *(
        ("escalate or bind (grants what the holder does not have)", RBAC_GROUP, r, frozenset(v))
        for r in ("roles", "clusterroles")
        for v in (("escalate",), ("bind",))
    ),
    *(
        ("bind (grants what the holder does not have)", RBAC_GROUP, r, frozenset({"bind"}))
        for r in ("rolebindings", "clusterrolebindings")
    ),
    *(
        ("impersonate (acts as anyone)", g, r, frozenset({"impersonate"}))
        for g, r in (
            ("", "users"),
            ("", "groups"),
            ("", "serviceaccounts"),
            ("authentication.k8s.io", "userextras/scopes"),
            ("authentication.k8s.io", "uids"),
        )
    ),
    ("create on pods/exec (runs commands in others' pods)", "", "pods/exec", frozenset({"create"})),
    ("create on pods/attach", "", "pods/attach", frozenset({"create"})),
    (
        "create on serviceaccounts/token (mints others' tokens)",
        "",
        "serviceaccounts/token",
        frozenset({"create"}),
    ),
    ("nodes/proxy (the kubelet's API)", "", "nodes/proxy", frozenset({"get", "create"})),
)


def kind_of(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def identity(props: Mapping[str, Any]) -> str:
    metadata = mapping(props.get("metadata"), "metadata")
    name, namespace = metadata.get("name"), metadata.get("namespace")
    name = name if isinstance(name, str) else ""
    return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name


def _strings(value: Any, what: str) -> frozenset[str]:
    found = items(value, what)
    if not all(isinstance(v, str) for v in found):
        raise ValueProblem(what, value, "a list of strings")
    return frozenset(found)


def _resource_matches(pattern: str, resource: str) -> bool:
    if pattern in ("*", resource):
        return True
    base, _, sub = resource.partition("/")
    p_base, _, p_sub = pattern.partition("/")
    return bool(sub) and ((p_base == base and p_sub == "*") or (p_base == "*" and p_sub == sub))


def effective_verbs(verbs: frozenset[str]) -> frozenset[str] | None:
    """The verbs granted (lower case), or None for every verb."""
    lowered = frozenset(v.lower() for v in verbs)
    return None if "*" in lowered else lowered


def grants(rule: Mapping[str, Any], group: str, resource: str, verbs: frozenset[str]) -> bool:
    """Whether an RBAC rule grants one of `verbs` on `resource` of `group` (in every object:
    a rule limited by resourceNames grants only those objects)."""
    if _strings(rule.get("resourceNames"), "resourceNames"):
        return False
    groups = _strings(rule.get("apiGroups"), "apiGroups")
    if "*" not in groups and group not in groups:
        return False
    granted = effective_verbs(_strings(rule.get("verbs"), "verbs"))
    if granted is not None and not granted & verbs:
        return False
    return any(_resource_matches(p, resource) for p in _strings(rule.get("resources"), "resources"))


def rule_problems(rule: Mapping[str, Any], cluster_wide: bool) -> list[str]:
    """What an RBAC rule grants that amounts to admin or escalation."""
    problems = []
    verbs = effective_verbs(_strings(rule.get("verbs"), "verbs"))
    resources = _strings(rule.get("resources"), "resources")
    urls = _strings(rule.get("nonResourceURLs"), "nonResourceURLs")
    if verbs is None or verbs >= STANDARD_VERBS:
        problems.append("every verb (a wildcard grant)")
    if "*" in resources and (verbs is None or verbs & WRITE_VERBS):
        problems.append("write verbs on every resource (*)")
    if "*" in urls and (verbs is None or verbs - READ_VERBS):
        problems.append("write verbs on every non-resource URL")
    for what, group, resource, dangerous in _ESCALATIONS:
        if grants(rule, group, resource, dangerous) and what not in problems:
            problems.append(what)
    if cluster_wide and grants(rule, "", "secrets", READ_VERBS | WRITE_VERBS):
        problems.append("reads or writes secrets in every namespace")
    return problems


@fail_closed
def rbac_no_admin_binding_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    match = RBAC.match(args.resource_type)
    if not match or not match.group(1).endswith("Binding"):
        return
    if matches_any(identity(args.props), [str(p) for p in config(args, "exempt", [])]):
        return
    ref = mapping(args.props.get("roleRef"), "roleRef")
    name, kind = ref.get("name"), ref.get("kind")
    if not isinstance(name, str) or kind not in ("ClusterRole", "Role"):
        raise ValueProblem("roleRef", dict(ref), "a Role or ClusterRole reference")
    cluster_wide = match.group(1) == "ClusterRoleBinding"
    key = "clusterWideAdminRoles" if cluster_wide else "adminRoles"
    default = DEFAULT_CLUSTER_WIDE_ADMIN_ROLES if cluster_wide else DEFAULT_ADMIN_ROLES
    if kind == "ClusterRole" and matches_any(name, [str(r) for r in config(args, key, default)]):
        report_violation(
            f"{match.group(1)} {identity(args.props)} binds ClusterRole {name}, which gives its "
            f"subjects control of {'the whole cluster' if cluster_wide else 'the namespace'}. "
            "Bind a role that grants only what the subjects need (EKS access entries for "
            "people; a namespaced Role for workloads).",
            None,
        )


rbac_no_admin_binding = ResourceValidationPolicy(
    name="rbac-no-cluster-admin-binding",
    description="No RoleBinding binds cluster-admin, and no ClusterRoleBinding binds "
    "cluster-admin, admin or edit (cluster-wide, these control every namespace and its secrets).",
    validate=rbac_no_admin_binding_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(
        properties={
            **_EXEMPT_SCHEMA,
            "adminRoles": string_list(
                "ClusterRoles a RoleBinding may not bind.", DEFAULT_ADMIN_ROLES
            ),
            "clusterWideAdminRoles": string_list(
                "ClusterRoles a ClusterRoleBinding may not bind.", DEFAULT_CLUSTER_WIDE_ADMIN_ROLES
            ),
        }
    ),
    tags=rule_tags("SEC-K8S-007"),
    remediation_steps="Bind a least-privilege Role or ClusterRole instead.",
)


@fail_closed
def rbac_no_admin_role_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    match = RBAC.match(args.resource_type)
    if not match or match.group(1).endswith("Binding"):
        return
    if matches_any(identity(args.props), [str(p) for p in config(args, "exempt", [])]):
        return
    cluster_wide = match.group(1) == "ClusterRole"
    if cluster_wide and args.props.get("aggregationRule") is not None:
        report_violation(
            f"ClusterRole {identity(args.props)} aggregates the rules of the roles its selectors "
            "match, which the plan cannot show, so the rule cannot judge what it grants. List its "
            "rules, or exempt it in this rule's policy config with the reason.",
            None,
        )
        return
    for i, raw in enumerate(items(args.props.get("rules"), "rules")):
        rule = mapping(raw, f"rules[{i}]")
        if problems := rule_problems(rule, cluster_wide):
            report_violation(
                f"{match.group(1)} {identity(args.props)} rules[{i}] grants "
                f"{'; '.join(problems)}: that amounts to cluster admin or a way to it. Name the "
                "verbs, resources (and resourceNames) the subject needs.",
                None,
            )


rbac_no_admin_role = ResourceValidationPolicy(
    name="rbac-no-admin-equivalent-role",
    description="No Role or ClusterRole grants what amounts to cluster admin or escalation: every "
    "verb, write on every resource, escalate/bind/impersonate, exec/attach into pods, minting "
    "tokens, the kubelet API, or (cluster-wide) secrets, judged by effective grants.",
    validate=rbac_no_admin_role_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(properties=_EXEMPT_SCHEMA),
    tags=[*rule_tags("SEC-K8S-008", checkov="CKV_K8S_49"), "checkov:CKV_K8S_157"],
    remediation_steps="Replace wildcards and escalation verbs by the verbs and resources needed.",
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    rbac_no_admin_binding,
    rbac_no_admin_role,
]

"""EKS access rules: who may administer the cluster through access entries.

- Cluster admin (`AmazonEKSClusterAdminPolicy` at any scope, `AmazonEKSAdminPolicy` scoped to the
  cluster, or an access entry in the `system:masters` group) is never given to a wildcard
  principal or to an account's root (`arn:aws:iam::<account>:root` or a bare account id): root
  means every principal of the account whose IAM policies allow `eks:*`, so the grant's real
  audience is unknowable.
- The policies below cluster admin that write workloads or read Secrets (`AmazonEKSAdminPolicy`,
  `AmazonEKSEditPolicy`, `AmazonEKSAdminViewPolicy`) are scoped to namespaces, and not to the
  system namespaces: `edit` in kube-system is a way to every service account's token there,
  which is to say to cluster admin. One exception, by config (`systemNamespaceReaders`):
  principals named there may have `AmazonEKSAdminViewPolicy` (read only, Secrets included) in a
  system namespace, never a policy that writes: the stack's read-only preview role, whose
  refresh of a Helm release in kube-system reads the release's records there.
"""

from __future__ import annotations

import re
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import config, fail_closed, matches_any, rule_tags, string_list
from policies.karpenter import items, mapping
from policies.values import ValueProblem

ACCESS_ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
ACCESS_POLICY = re.compile(r"^arn:aws[a-z-]*:eks::aws:cluster-access-policy/([A-Za-z0-9]+)$")
CLUSTER_ADMIN = "AmazonEKSClusterAdminPolicy"
ADMIN = "AmazonEKSAdminPolicy"
NAMESPACED_ONLY = ("AmazonEKSAdminPolicy", "AmazonEKSEditPolicy", "AmazonEKSAdminViewPolicy")
READ_SECRETS = "AmazonEKSAdminViewPolicy"
MASTERS = "system:masters"
_ROOT = re.compile(r"^(?:\d{12}|arn:aws[a-z-]*:iam::\d{12}:root)$")
DEFAULT_SYSTEM_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"]


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueProblem(what, value, "a non-empty string")
    return value.strip()


def _policy_name(value: Any) -> str:
    match = ACCESS_POLICY.match(_text(value, "policyArn"))
    if not match:
        raise ValueProblem(
            "policyArn",
            value,
            "an EKS access policy ARN (arn:aws:eks::aws:cluster-access-policy/…)",
        )
    return match.group(1)


def _scope(args: ResourceValidationArgs) -> tuple[str, list[str]]:
    scope = mapping(args.props.get("accessScope"), "accessScope")
    kind = _text(scope.get("type"), "accessScope.type")
    if kind not in ("cluster", "namespace"):
        raise ValueProblem("accessScope.type", kind, "cluster or namespace")
    namespaces = [
        _text(n, f"accessScope.namespaces[{i}]")
        for i, n in enumerate(items(scope.get("namespaces"), "accessScope.namespaces"))
    ]
    return kind, namespaces


def _unbounded(principal: str) -> str | None:
    """Why a principal is nobody in particular, or None."""
    if "*" in principal or "?" in principal:
        return "a wildcard"
    if _ROOT.match(principal):
        return "the account's root (every principal of the account its IAM policies let in)"
    return None


@fail_closed
def eks_access_no_open_cluster_admin_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type == ASSOCIATION:
        principal = _text(args.props.get("principalArn"), "principalArn")
        policy = _policy_name(args.props.get("policyArn"))
        kind, _ = _scope(args)
        admin = policy == CLUSTER_ADMIN or (policy == ADMIN and kind == "cluster")
        why = _unbounded(principal)
        if admin and why:
            report_violation(
                f"{policy} ({kind} scope) is granted to {principal}, {why}: cluster admin to "
                "whoever that turns out to be. Name the IAM roles of the people or pipelines "
                "that administer the cluster (stack key clusterAdminRoleArns).",
                None,
            )
    elif args.resource_type == ACCESS_ENTRY:
        principal = _text(args.props.get("principalArn"), "principalArn")
        groups = [
            _text(g, f"kubernetesGroups[{i}]")
            for i, g in enumerate(items(args.props.get("kubernetesGroups"), "kubernetesGroups"))
        ]
        if MASTERS in groups:
            report_violation(
                f"The access entry puts {principal} in {MASTERS}, which bypasses RBAC and cannot "
                "be revoked by any Kubernetes object. Associate AmazonEKSClusterAdminPolicy "
                "instead (an AccessPolicyAssociation), to a named role.",
                None,
            )
        elif groups and _unbounded(principal):
            report_violation(
                f"The access entry admits {principal}, {_unbounded(principal)}, into Kubernetes "
                f"groups {groups}. Name the IAM roles that need them.",
                None,
            )


eks_access_no_open_cluster_admin = ResourceValidationPolicy(
    name="eks-access-no-open-cluster-admin",
    description="No EKS access entry grants cluster admin (AmazonEKSClusterAdminPolicy, "
    "AmazonEKSAdminPolicy at cluster scope, or the system:masters group) to a wildcard principal "
    "or an account's root, and no access entry uses system:masters at all.",
    validate=eks_access_no_open_cluster_admin_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=rule_tags("SEC-EKS-009"),
    remediation_steps="Associate the admin access policy with named IAM roles only "
    "(clusterAdminRoleArns).",
)


@fail_closed
def eks_access_namespaced_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != ASSOCIATION:
        return
    policy = _policy_name(args.props.get("policyArn"))
    if policy not in NAMESPACED_ONLY:
        return
    principal = _text(args.props.get("principalArn"), "principalArn")
    kind, namespaces = _scope(args)
    allowed = [str(p) for p in config(args, "clusterScopedPrincipals", [])]
    if kind == "cluster" and not matches_any(principal, allowed):
        report_violation(
            f"{policy} is scoped to the whole cluster for {principal}: it writes (or reads the "
            "Secrets of) every namespace, kube-system and the agents' among them. Scope it to "
            "the environment namespaces (accessScope type namespace; stack keys "
            "clusterEditorRoleArns / clusterViewerRoleArns do), or give a cluster administrator "
            "AmazonEKSClusterAdminPolicy on purpose.",
            None,
        )
        return
    system = [str(p) for p in config(args, "systemNamespaces", DEFAULT_SYSTEM_NAMESPACES)]
    if kind == "namespace" and not namespaces:
        raise ValueProblem("accessScope.namespaces", [], "at least one namespace")
    inside = [n for n in namespaces if matches_any(n, system)]
    readers = [str(p) for p in config(args, "systemNamespaceReaders", [])]
    if inside and policy == READ_SECRETS and matches_any(principal, readers):
        return  # read only, for a principal the config names (the preview role)
    if inside:
        report_violation(
            f"{policy} for {principal} covers the system namespaces {inside}: editing there "
            "reaches every service account token of the namespace, which is cluster admin by "
            "another door. Scope it to the environment namespaces.",
            None,
        )


eks_access_namespaced = ResourceValidationPolicy(
    name="eks-access-namespaced",
    description="EKS access policies below cluster admin that write workloads or read Secrets "
    "(AmazonEKSAdminPolicy, AmazonEKSEditPolicy, AmazonEKSAdminViewPolicy) are scoped to "
    "namespaces, none of them a system namespace (principals the policy config names may have "
    "them cluster-wide, or AmazonEKSAdminViewPolicy alone in a system namespace).",
    validate=eks_access_namespaced_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "clusterScopedPrincipals": string_list(
                "Principal ARN patterns allowed these policies at cluster scope."
            ),
            "systemNamespaces": string_list(
                "Namespace patterns these policies may not be scoped to.", DEFAULT_SYSTEM_NAMESPACES
            ),
            "systemNamespaceReaders": string_list(
                "Principal ARN patterns allowed AmazonEKSAdminViewPolicy (read "
                "only) in the system namespaces, e.g. the stacks' read-only preview role."
            ),
        }
    ),
    tags=rule_tags("SEC-EKS-010"),
    remediation_steps="Scope the association to the environment namespaces "
    "(accessScope type namespace).",
)

POLICIES: list[ResourceValidationPolicy] = [
    eks_access_no_open_cluster_admin,
    eks_access_namespaced,
]

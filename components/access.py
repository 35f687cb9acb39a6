"""Access: people's access to the cluster's environments through EKS access entries (the cluster's
authentication mode is `API`: no aws-auth ConfigMap), after terraform-aws-eks' `access_entries`.

- Editors: an access entry per IAM role and `AmazonEKSEditPolicy` scoped to the environment
  namespaces (Kubernetes' `edit`): they create, change and delete workloads, Services, Ingresses,
  ConfigMaps, Secrets and NetworkPolicies there, cannot write RBAC, ResourceQuotas or
  LimitRanges, and see nothing of kube-system or the agents' namespaces. `edit` includes
  NetworkPolicies, so an editor could delete the namespace's `default-deny`: Pulumi owns it and
  puts it back on the next `up` (`pulumi refresh` shows the drift).
- Viewers: an access entry per IAM role and `AmazonEKSViewPolicy` scoped to the same namespaces
  (Kubernetes' `view`): read everything there except Secrets.

Administrators are the cluster's (components/cluster.py, `admin_role_arns`: an access entry and
`AmazonEKSClusterAdminPolicy` scoped to the cluster). An IAM principal has at most one access
entry per cluster, so a role is given one of the three only.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import PACKAGE, child

ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/"
CLUSTER_ADMIN_POLICY = ACCESS_POLICY + "AmazonEKSClusterAdminPolicy"
EDIT_POLICY = ACCESS_POLICY + "AmazonEKSEditPolicy"
VIEW_POLICY = ACCESS_POLICY + "AmazonEKSViewPolicy"
# An IAM role (any path); not a user (long-lived keys), not an account's root, no wildcard.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")


@dataclass(frozen=True)
class AccessArgs:
    # The EKS cluster's name (an output of the cluster: entries wait for it).
    cluster_name: pulumi.Input[str]
    # The namespaces editors and viewers are given (the environments').
    namespaces: Sequence[str]
    editor_role_arns: Sequence[str] = field(default_factory=tuple)
    viewer_role_arns: Sequence[str] = field(default_factory=tuple)


def grant(
    parent: pulumi.Resource,
    name: str,
    cluster_name: pulumi.Input[str],
    principal_arn: str,
    policies: Sequence[tuple[str, str, aws.eks.AccessPolicyAssociationAccessScopeArgs]],
) -> aws.eks.AccessEntry:
    """An access entry `name` for `principal_arn` and one association per (name suffix, access
    policy ARN, scope), each waiting for the entry."""
    entry = aws.eks.AccessEntry(
        name,
        cluster_name=cluster_name,
        principal_arn=principal_arn,
        type="STANDARD",
        opts=child(parent),
    )
    for suffix, policy_arn, scope in policies:
        aws.eks.AccessPolicyAssociation(
            f"{name}{suffix}",
            cluster_name=cluster_name,
            principal_arn=principal_arn,
            policy_arn=policy_arn,
            access_scope=scope,
            opts=child(parent, depends_on=[entry]),
        )
    return entry


def principal_slug(what: str, arn: str) -> str:
    """The role name of an IAM role ARN, lower-cased (names the access entry's resources)."""
    m = _ROLE_ARN.match(arn)
    if not m:
        raise ValueError(
            f"{what}: {arn!r} is not an IAM role ARN (arn:aws:iam::<account>:role/<name>); give "
            "people a role they assume, never an account's root or a user"
        )
    return m.group(1).lower()


def check_access(args: AccessArgs, admin_role_arns: Sequence[str] = ()) -> None:
    """Every ARN is a role, its name unique, and each role in one list only (EKS keeps one access
    entry per principal and cluster); editors and viewers need a namespace."""
    seen: dict[str, str] = {arn: "admin_role_arns" for arn in admin_role_arns}
    for what, arns in (
        ("editor_role_arns", args.editor_role_arns),
        ("viewer_role_arns", args.viewer_role_arns),
    ):
        slugs: set[str] = set()
        for arn in arns:
            slug = principal_slug(what, arn)
            if arn in seen:
                raise ValueError(
                    f"{what}: {arn} is also in {seen[arn]}; a role gets one access entry, list "
                    "it once"
                )
            if slug in slugs:
                raise ValueError(f"{what}: two roles are named {slug}; list each role once")
            seen[arn] = what
            slugs.add(slug)
    if (args.editor_role_arns or args.viewer_role_arns) and not args.namespaces:
        raise ValueError("namespaces: editors and viewers need at least one namespace")


class Access(pulumi.ComponentResource):
    principal_arns: dict[str, list[str]]

    def __init__(
        self, name: str, args: AccessArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:access:Access", name, None, opts)
        check_access(args)
        self.principal_arns = {"editor": [], "viewer": []}
        for role, arns, policy in (
            ("editor", args.editor_role_arns, EDIT_POLICY),
            ("viewer", args.viewer_role_arns, VIEW_POLICY),
        ):
            scope = aws.eks.AccessPolicyAssociationAccessScopeArgs(
                type="namespace", namespaces=list(args.namespaces)
            )
            for arn in arns:
                slug = principal_slug(f"{role}_role_arns", arn)
                grant(self, f"{name}-{role}-{slug}", args.cluster_name, arn, [("", policy, scope)])
                self.principal_arns[role].append(arn)
        self.register_outputs({"principalArns": self.principal_arns})

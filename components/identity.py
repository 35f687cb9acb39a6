"""Identity: one IAM role per agent, bound to a Kubernetes service account (IRSA).

For each identity: an IAM role that only the pods of one service account can assume, through the
cluster's OIDC provider (`sts:AssumeRoleWithWebIdentity`, with `sub` and `aud` both pinned), the
identity's own inline policy, a namespace enforcing the `restricted` Pod Security Standard with a
NetworkPolicy denying all ingress by default, and the service account annotated with the role's
ARN for the EKS pod identity webhook.

The component takes plain `IrsaIdentity` values, not the agents' personas, so it does not depend
on `agents/`; the program maps each persona's role in the stack (`baseline.personas.stack_roles`)
to one, whose `role_name` carries the stack (`baseline-<stack>-<persona>`): the trust names the
stack's own cluster (its OIDC provider), the policy this stack's state, keys and secrets.
Kubernetes resources use the kubernetes provider passed in `opts.providers`, like the AWS
resources use the AWS one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, child, policy_json

STS_AUDIENCE = "sts.amazonaws.com"
ROLE_ARN_ANNOTATION = "eks.amazonaws.com/role-arn"
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class IrsaIdentity:
    """One workload identity: who (namespace/service account) gets which IAM statements."""

    name: str
    namespace: str
    service_account: str
    policy_statements: Sequence[Mapping[str, Any]] = field(default_factory=tuple)
    # The IAM role's name; empty: named by Pulumi from the child's name.
    role_name: str = ""


@dataclass(frozen=True)
class IdentityArgs:
    oidc_provider_arn: pulumi.Input[str]
    # The issuer without the scheme (`oidc.eks.<region>.amazonaws.com/id/<ID>`), as IAM condition
    # keys spell it; an `https://` prefix is tolerated and dropped.
    oidc_provider_url: pulumi.Input[str]
    personas: Sequence[IrsaIdentity] = field(default_factory=tuple)
    max_session_duration: int = 3600


def irsa_trust_policy(
    oidc_provider_arn: str, oidc_provider_url: str, namespace: str, service_account: str
) -> str:
    """Trust policy letting exactly one service account assume the role. Both `sub` (which
    service account) and `aud` (a token minted for STS, not for another audience) are pinned:
    without `sub`, every pod of the cluster could assume the role."""
    issuer = oidc_provider_url.removeprefix("https://").rstrip("/")
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Federated": oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                        f"{issuer}:aud": STS_AUDIENCE,
                    }
                },
            }
        ]
    )


def pod_security_labels(level: str = "restricted") -> dict[str, str]:
    """Namespace labels enforcing, auditing and warning at one Pod Security Standards level."""
    labels: dict[str, str] = {}
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = level
        labels[f"pod-security.kubernetes.io/{mode}-version"] = "latest"
    return labels


def default_deny_ingress_spec() -> Any:
    """A NetworkPolicy spec that selects every pod of its namespace for Ingress and lets nothing
    in: what a pod needs is then allowed by narrower policies. The kubelet's probes come from the
    node and are not subject to it."""
    return {"podSelector": {}, "policyTypes": ["Ingress"]}


def restricted_namespace(
    parent: pulumi.Resource,
    namespace_resource: str,
    deny_resource: str,
    namespace: str,
    labels: Mapping[str, str] | None = None,
) -> pulumi.Output[str]:
    """A namespace of the agents (Pod Security `restricted`, part of `baseline-agents`, plus
    `labels`) and its `default-deny-ingress` NetworkPolicy (its pods serve nothing the cluster may
    reach unless a policy of its own says so); the namespace's name once it exists. The two
    resource names are the callers' own, so their URNs stay as they were."""
    ns = k8s.core.v1.Namespace(
        namespace_resource,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=namespace,
            labels={
                **pod_security_labels("restricted"),
                "app.kubernetes.io/part-of": "baseline-agents",
                **(labels or {}),
            },
        ),
        opts=child(parent),
    )
    name = ns.metadata.apply(lambda m: str(m.name))
    k8s.networking.v1.NetworkPolicy(
        deny_resource,
        metadata=k8s.meta.v1.ObjectMetaArgs(name="default-deny-ingress", namespace=name),
        spec=default_deny_ingress_spec(),
        opts=child(parent),
    )
    return name


def check_identities(identities: Sequence[IrsaIdentity]) -> None:
    """Names are unique (they name the children) and so are service accounts (a shared one would
    let two identities assume each other's roles); Kubernetes names are DNS labels."""
    names: set[str] = set()
    accounts: set[tuple[str, str]] = set()
    for ident in identities:
        for what, value in (
            ("name", ident.name),
            ("namespace", ident.namespace),
            ("service_account", ident.service_account),
        ):
            if not _DNS_LABEL.match(value):
                raise ValueError(f"identity {ident.name!r}: {what} {value!r} is not a DNS label")
        if ident.name in names:
            raise ValueError(f"identity {ident.name!r} is given twice")
        names.add(ident.name)
        account = (ident.namespace, ident.service_account)
        if account in accounts:
            raise ValueError(
                f"identity {ident.name!r}: service account {account[0]}/{account[1]} "
                "is already bound to another identity"
            )
        accounts.add(account)


class Identity(pulumi.ComponentResource):
    role_arns: dict[str, pulumi.Output[str]]
    role_names: dict[str, pulumi.Output[str]]
    namespaces: dict[str, pulumi.Output[str]]
    service_accounts: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: IdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:identity:Identity", name, None, opts)
        check_identities(args.personas)
        oidc = pulumi.Output.all(args.oidc_provider_arn, args.oidc_provider_url)

        def trust(ident: IrsaIdentity) -> pulumi.Output[str]:
            return oidc.apply(
                lambda p: irsa_trust_policy(p[0], p[1], ident.namespace, ident.service_account)
            )

        self.role_arns = {}
        self.role_names = {}
        self.namespaces = {}
        self.service_accounts = {}
        for ident in args.personas:
            role = aws.iam.Role(
                f"{name}-{ident.name}",
                name=ident.role_name or None,
                description=(
                    f"IRSA role of {ident.name}, for service account "
                    f"{ident.namespace}/{ident.service_account}"
                ),
                assume_role_policy=trust(ident),
                max_session_duration=args.max_session_duration,
                opts=child(self),
            )
            if ident.policy_statements:
                aws.iam.RolePolicy(
                    f"{name}-{ident.name}",
                    role=role.id,
                    policy=policy_json([dict(s) for s in ident.policy_statements]),
                    opts=child(self),
                )

            # The agents serve nothing but their probes: no pod of the cluster may reach them.
            namespace_name = restricted_namespace(
                self,
                f"{name}-{ident.name}",
                f"{name}-{ident.name}-deny-ingress",
                ident.namespace,
                {"baseline/identity": ident.name},
            )
            account = k8s.core.v1.ServiceAccount(
                f"{name}-{ident.name}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=ident.service_account,
                    namespace=namespace_name,
                    annotations={ROLE_ARN_ANNOTATION: role.arn},
                ),
                # The pod identity webhook projects its own STS token; the Kubernetes API token is
                # not needed (the agents reach the cluster with IAM-based kubeconfigs), so it is not
                # mounted: a compromised agent pod then holds no API credential.
                automount_service_account_token=False,
                opts=child(self),
            )

            self.role_arns[ident.name] = role.arn
            self.role_names[ident.name] = role.name
            self.namespaces[ident.name] = namespace_name
            self.service_accounts[ident.name] = account.metadata.apply(lambda m: str(m.name))

        self.register_outputs(
            {
                "roleArns": self.role_arns,
                "roleNames": self.role_names,
                "namespaces": self.namespaces,
                "serviceAccounts": self.service_accounts,
            }
        )

"""Tenants: the guardrails of every environment namespace (dev, staging and qa share the non-prod
cluster; prod has its own), after EKS Blueprints' team onboarding and the EKS best-practices guide.

For each namespace:
- A ResourceQuota `tenant-quota`: CPU and memory requests, memory limits, pods, volume claims and
  their storage, and load balancers (`services.loadbalancers` and Ingresses, each of which may
  cost an ALB): one team cannot starve the others of the shared nodes, nor run up the bill.
- A LimitRange `tenant-limits`: containers that set no requests or memory limit get defaults
  (the quota refuses a pod that leaves out what it counts), and none may ask for more memory
  than a node can sensibly give. No CPU limit is imposed: CPU is shared by weight (requests),
  and a limit only throttles a pod while the node has idle cores.
- NetworkPolicies: `default-deny` selects every pod for Ingress and Egress and lets nothing
  through; `allow-same-namespace` lets the namespace's pods talk to each other; `allow-dns` lets
  them ask CoreDNS (kube-system, port 53); `allow-egress`, when configured, opens egress to the
  VPC's CIDR (`vpc`: the database, the interface endpoints, internal load balancers) and/or to
  the internet through the NAT gateways (`internet`: every address outside the private, shared
  and link-local ranges, so never the instance metadata service). Traffic from other namespaces,
  load balancers included, is opened by the team's own narrower policies. The VPC CNI's network
  policy agent enforces them (`enableNetworkPolicy` on the vpc-cni add-on, components/cluster.py).

Pod Security `restricted` is enforced by the namespaces' own labels (components/cluster.py).
Kubernetes resources use the kubernetes provider passed in `opts.providers`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import pulumi
import pulumi_kubernetes as k8s

from components import PACKAGE, child
from toolchain.quantities import parse_quantity

EGRESS_DESTINATIONS = ("internet", "vpc")
# Not the internet: private (RFC 1918), shared (RFC 6598) and link-local (the instance metadata
# service, 169.254.169.254) space.
NOT_INTERNET = ("10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16")
DNS_NAMESPACE = "kube-system"
# The labels of the coredns add-on's pods.
DNS_POD_LABELS = {"k8s-app": "kube-dns"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
QUOTA_NAME = "tenant-quota"
LIMIT_RANGE_NAME = "tenant-limits"


@dataclass(frozen=True)
class TenantQuota:
    """What one environment namespace may hold in total."""

    requests_cpu: str = "4"
    requests_memory: str = "8Gi"
    limits_memory: str = "16Gi"
    pods: int = 40
    storage: str = "100Gi"
    persistent_volume_claims: int = 10
    # LoadBalancer Services and Ingresses: each may cost a load balancer.
    load_balancers: int = 2


@dataclass(frozen=True)
class TenantLimits:
    """Per-container defaults and ceiling."""

    default_cpu_request: str = "100m"
    default_memory_request: str = "128Mi"
    default_memory_limit: str = "256Mi"
    max_container_memory: str = "4Gi"


@dataclass(frozen=True)
class TenantsArgs:
    # Environment -> the namespace's name (an output of the Namespace, so that the guardrails
    # wait for it).
    namespaces: Mapping[str, pulumi.Input[str]]
    vpc_cidr: str
    quota: TenantQuota = field(default_factory=TenantQuota)
    limits: TenantLimits = field(default_factory=TenantLimits)
    # Where pods may open connections besides their own namespace and DNS: any of "internet",
    # "vpc"; empty: nowhere else.
    egress: Sequence[str] = ("internet", "vpc")


def check_tenants(args: TenantsArgs) -> None:
    """Quantities parse, defaults sit inside the ceilings, destinations are known."""
    q, lim = args.quota, args.limits
    for what, value in (
        ("quota.requests_cpu", q.requests_cpu),
        ("quota.requests_memory", q.requests_memory),
        ("quota.limits_memory", q.limits_memory),
        ("quota.storage", q.storage),
        ("limits.default_cpu_request", lim.default_cpu_request),
        ("limits.default_memory_request", lim.default_memory_request),
        ("limits.default_memory_limit", lim.default_memory_limit),
        ("limits.max_container_memory", lim.max_container_memory),
    ):
        if parse_quantity(value, what) <= 0:
            raise ValueError(f"{what}: {value} must be more than zero")
    for what, count in (
        ("quota.pods", q.pods),
        ("quota.persistent_volume_claims", q.persistent_volume_claims),
        ("quota.load_balancers", q.load_balancers),
    ):
        if count < 0:
            raise ValueError(f"{what}: {count} must be zero or more")
    if parse_quantity(lim.default_memory_request) > parse_quantity(lim.default_memory_limit):
        raise ValueError(
            f"limits.default_memory_request ({lim.default_memory_request}) is above "
            f"limits.default_memory_limit ({lim.default_memory_limit})"
        )
    if parse_quantity(lim.default_memory_limit) > parse_quantity(lim.max_container_memory):
        raise ValueError(
            f"limits.default_memory_limit ({lim.default_memory_limit}) is above "
            f"limits.max_container_memory ({lim.max_container_memory})"
        )
    if parse_quantity(q.requests_memory) > parse_quantity(q.limits_memory):
        raise ValueError(
            f"quota.requests_memory ({q.requests_memory}) is above quota.limits_memory "
            f"({q.limits_memory})"
        )
    for dest in args.egress:
        if dest not in EGRESS_DESTINATIONS:
            raise ValueError(f"egress: {dest!r} is not one of {', '.join(EGRESS_DESTINATIONS)}")
    ipaddress.ip_network(args.vpc_cidr)


def quota_hard(quota: TenantQuota) -> dict[str, str]:
    """The ResourceQuota's `hard` map (values as strings, as Kubernetes stores them)."""
    return {
        "requests.cpu": quota.requests_cpu,
        "requests.memory": quota.requests_memory,
        "limits.memory": quota.limits_memory,
        "pods": str(quota.pods),
        "requests.storage": quota.storage,
        "persistentvolumeclaims": str(quota.persistent_volume_claims),
        "services.loadbalancers": str(quota.load_balancers),
        "count/ingresses.networking.k8s.io": str(quota.load_balancers),
    }


def limit_range_spec(limits: TenantLimits) -> dict[str, Any]:
    return {
        "limits": [
            {
                "type": "Container",
                "defaultRequest": {
                    "cpu": limits.default_cpu_request,
                    "memory": limits.default_memory_request,
                },
                "default": {"memory": limits.default_memory_limit},
                "max": {"memory": limits.max_container_memory},
            }
        ]
    }


def default_deny_spec() -> dict[str, Any]:
    """Every pod of the namespace, both directions, nothing allowed: what a pod may do is the
    union of the narrower policies beside it."""
    return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def same_namespace_spec() -> dict[str, Any]:
    """The namespace's pods reach each other (a bare podSelector peer is this namespace only)."""
    return {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {}}]}],
        "egress": [{"to": [{"podSelector": {}}]}],
    }


def dns_spec() -> dict[str, Any]:
    """Name lookups: CoreDNS's pods in kube-system on port 53, UDP and TCP (large answers)."""
    return {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: DNS_NAMESPACE}},
                        "podSelector": {"matchLabels": dict(DNS_POD_LABELS)},
                    }
                ],
                "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
            }
        ],
    }


def egress_spec(egress: Sequence[str], vpc_cidr: str) -> dict[str, Any] | None:
    """Egress to the configured destinations, or None when there are none."""
    peers: list[dict[str, Any]] = []
    if "vpc" in egress:
        peers.append({"ipBlock": {"cidr": vpc_cidr}})
    if "internet" in egress:
        peers.append({"ipBlock": {"cidr": "0.0.0.0/0", "except": list(NOT_INTERNET)}})
    if not peers:
        return None
    return {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": peers}]}


def network_policy_specs(egress: Sequence[str], vpc_cidr: str) -> dict[str, dict[str, Any]]:
    """The namespace's NetworkPolicies by name."""
    specs = {
        "default-deny": default_deny_spec(),
        "allow-same-namespace": same_namespace_spec(),
        "allow-dns": dns_spec(),
    }
    out = egress_spec(egress, vpc_cidr)
    if out is not None:
        specs["allow-egress"] = out
    return specs


class Tenants(pulumi.ComponentResource):
    quota_names: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: TenantsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:tenants:Tenants", name, None, opts)
        check_tenants(args)
        policies = network_policy_specs(args.egress, args.vpc_cidr)
        self.quota_names = {}
        for env, namespace in args.namespaces.items():
            quota = k8s.core.v1.ResourceQuota(
                f"{name}-{env}-quota",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=QUOTA_NAME, namespace=namespace),
                spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=quota_hard(args.quota)),
                opts=child(self),
            )
            k8s.core.v1.LimitRange(
                f"{name}-{env}-limits",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=LIMIT_RANGE_NAME, namespace=namespace),
                spec=cast(Any, limit_range_spec(args.limits)),
                opts=child(self),
            )
            for policy, spec in policies.items():
                k8s.networking.v1.NetworkPolicy(
                    f"{name}-{env}-{policy}",
                    metadata=k8s.meta.v1.ObjectMetaArgs(name=policy, namespace=namespace),
                    spec=cast(Any, spec),
                    opts=child(self),
                )
            self.quota_names[env] = quota.metadata.apply(lambda m: str(m.name))
        self.register_outputs({"quotaNames": self.quota_names})

"""Tenant rules: tenant-namespace-quota, tenant-namespace-default-deny and
eks-network-policy-enforced, each passing, failing, missing the property and unreadable, driven
through the analyzer's AnalyzeStack as the engine drives it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.tenants import (
    TenantLimits,
    TenantQuota,
    limit_range_spec,
    network_policy_specs,
    quota_hard,
)
from tests.policies.conftest import analyze_stack, resource

NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CLUSTER = "aws:eks/cluster:Cluster"
ADDON = "aws:eks/addon:Addon"
QUOTA_RULE = "tenant-namespace-quota"
DENY_RULE = "tenant-namespace-default-deny"
CNI_RULE = "eks-network-policy-enforced"


def env_ns(name: str = "qa", labelled: bool = True) -> Any:
    labels = {"environment": name} if labelled else {}
    return resource(NAMESPACE, {"metadata": {"name": name, "labels": labels}}, f"ns-{name}")


def quota(hard: Any = None, namespace: str = "qa", **spec: Any) -> Any:
    body = {"hard": quota_hard(TenantQuota()) if hard is None else hard, **spec}
    return resource(
        QUOTA, {"metadata": {"name": "tenant-quota", "namespace": namespace}, "spec": body}, "q"
    )


def limits(spec: Any = None, namespace: str = "qa") -> Any:
    body = limit_range_spec(TenantLimits()) if spec is None else spec
    return resource(
        LIMITS, {"metadata": {"name": "tenant-limits", "namespace": namespace}, "spec": body}, "l"
    )


def netpol(spec: Any, name: str, namespace: str = "qa") -> Any:
    return resource(
        NETWORK_POLICY, {"metadata": {"name": name, "namespace": namespace}, "spec": spec}, name
    )


def guardrail_policies(namespace: str = "qa") -> list[Any]:
    """The tenants component's own policies (egress to the VPC and the internet)."""
    return [
        netpol(spec, name, namespace)
        for name, spec in network_policy_specs(("internet", "vpc"), "10.0.0.0/16").items()
    ]


def fired(security: Any, rule: str, resources: list, config: Any = None) -> list:
    return [v for v in analyze_stack(security, resources, config=config) if v.policyName == rule]


# -- tenant-namespace-quota -----------------------------------------------------------------------

QUOTA_CASES: list[tuple[str, list, bool]] = [
    ("the component's quota and limits pass", [env_ns(), quota(), limits()], False),
    ("an unlabelled namespace is not an environment", [env_ns(labelled=False)], False),
    ("no quota", [env_ns(), limits()], True),
    ("no limit range", [env_ns(), quota()], True),
    ("a quota in another namespace", [env_ns(), quota(namespace="dev"), limits()], True),
    ("a quota without load balancers", [env_ns(), quota({"requests.cpu": "4"}), limits()], True),
    (
        "a scoped quota caps only some pods",
        [env_ns(), quota(scopes=["BestEffort"]), limits()],
        True,
    ),
    ("limits of pods only", [env_ns(), quota(), limits({"limits": [{"type": "Pod"}]})], True),
    (
        "missing spec",
        [env_ns(), resource(QUOTA, {"metadata": {"namespace": "qa"}}), limits()],
        True,
    ),
    ("unreadable quantity", [env_ns(), quota({**quota_hard(TenantQuota()), "pods": "many"})], True),
    ("unreadable limits", [env_ns(), quota(), limits({"limits": "all"})], True),
]


@pytest.mark.parametrize("case", QUOTA_CASES, ids=[c for c, _, _ in QUOTA_CASES])
def test_tenant_namespace_quota(security, case):
    label, resources, fires = case
    found = fired(security, QUOTA_RULE, resources)
    assert bool(found) == fires, f"{QUOTA_RULE} on {label}: {[v.detail for v in found]}"


def test_quota_names_the_namespace_or_the_unreadable_resource(security):
    (found,) = fired(security, QUOTA_RULE, [env_ns(), limits()])
    assert found.urn.endswith("::ns-qa") and "no ResourceQuota" in found.detail
    (bad,) = fired(security, QUOTA_RULE, [env_ns(), quota({"pods": "many"}), limits()])
    assert bad.urn.endswith("::q") and "Cannot judge" in bad.detail


def test_config_names_environments_the_label_does_not(security):
    resources = [env_ns("shop", labelled=False)]
    assert fired(security, QUOTA_RULE, resources, {QUOTA_RULE: {"namespaces": ["shop"]}})


# -- tenant-namespace-default-deny ----------------------------------------------------------------

DENY_BOTH = {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
DENY_CASES: list[tuple[str, list, bool]] = [
    ("the component's policies pass", [env_ns(), *guardrail_policies()], False),
    (
        "separate ingress and egress denies pass",
        [
            env_ns(),
            netpol({"podSelector": {}, "policyTypes": ["Ingress"]}, "i"),
            netpol({"podSelector": {}, "policyTypes": ["Egress"]}, "e"),
        ],
        False,
    ),
    ("no policy", [env_ns()], True),
    ("ingress only", [env_ns(), netpol({"podSelector": {}}, "i")], True),
    (
        "selects some pods",
        [env_ns(), netpol({**DENY_BOTH, "podSelector": {"matchLabels": {"a": "b"}}}, "d")],
        True,
    ),
    ("another namespace's deny", [env_ns(), netpol(DENY_BOTH, "d", "dev")], True),
    (
        "egress to everywhere undoes it",
        [
            env_ns(),
            netpol(DENY_BOTH, "d"),
            netpol({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}, "open"),
        ],
        True,
    ),
    (
        "ingress from 0.0.0.0/0 undoes it",
        [
            env_ns(),
            netpol(DENY_BOTH, "d"),
            netpol(
                {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]},
                "o",
            ),
        ],
        True,
    ),
    ("missing spec", [env_ns(), netpol(None, "d")], True),
    (
        "unreadable policy types",
        [env_ns(), netpol({"podSelector": {}, "policyTypes": "all"}, "d")],
        True,
    ),
]


@pytest.mark.parametrize("case", DENY_CASES, ids=[c for c, _, _ in DENY_CASES])
def test_tenant_namespace_default_deny(security, case):
    label, resources, fires = case
    found = fired(security, DENY_RULE, resources)
    assert bool(found) == fires, f"{DENY_RULE} on {label}: {[v.detail for v in found]}"


def test_default_deny_names_the_policy_that_opens_it(security):
    opener = netpol({"podSelector": {}, "policyTypes": ["Egress"], "egress": [{}]}, "open")
    (found,) = fired(security, DENY_RULE, [env_ns(), netpol(DENY_BOTH, "d"), opener])
    assert found.urn.endswith("::open") and "egress" in found.detail


def test_default_deny_names_each_direction_missing(security):
    found = fired(security, DENY_RULE, [env_ns()])
    assert {("ingress" in v.detail.split("(")[0]) for v in found} == {True, False}


# -- eks-network-policy-enforced ------------------------------------------------------------------


def cni(configuration: Any) -> Any:
    props: dict[str, Any] = {"addonName": "vpc-cni", "clusterName": "c"}
    if configuration is not None:
        props["configurationValues"] = configuration
    return resource(ADDON, props, "cluster-vpc-cni")


CLUSTER_RES = resource(CLUSTER, {"name": "c"}, "cluster-eks")
POLICY_RES = netpol(DENY_BOTH, "d")
CNI_CASES: list[tuple[str, list, bool]] = [
    ("enabled passes", [CLUSTER_RES, cni(json.dumps({"enableNetworkPolicy": "true"}))], False),
    ("a JSON true passes", [CLUSTER_RES, cni(json.dumps({"enableNetworkPolicy": True}))], False),
    ("no policies, no add-on passes", [CLUSTER_RES], False),
    ("disabled", [CLUSTER_RES, cni(json.dumps({"enableNetworkPolicy": "false"}))], True),
    ("missing the flag", [CLUSTER_RES, cni(json.dumps({"env": {}}))], True),
    ("missing the configuration", [CLUSTER_RES, cni(None)], True),
    ("policies without the add-on", [CLUSTER_RES, POLICY_RES], True),
    ("unreadable configuration", [CLUSTER_RES, cni("{enableNetworkPolicy")], True),
    # nested past the decoder's depth: unreadable too, not a RecursionError failing the pack
    ("nested configuration", [CLUSTER_RES, cni("[" * 100_000 + "]" * 100_000)], True),
    ("unreadable flag", [CLUSTER_RES, cni(json.dumps({"enableNetworkPolicy": "yes"}))], True),
]


@pytest.mark.parametrize("case", CNI_CASES, ids=[c for c, _, _ in CNI_CASES])
def test_eks_network_policy_enforced(security, case):
    label, resources, fires = case
    found = fired(security, CNI_RULE, resources)
    assert bool(found) == fires, f"{CNI_RULE} on {label}: {[v.detail for v in found]}"


def test_network_policy_violation_names_the_addon(security):
    (found,) = fired(security, CNI_RULE, [CLUSTER_RES, cni(json.dumps({"env": {}}))])
    assert found.urn.endswith("::cluster-vpc-cni")

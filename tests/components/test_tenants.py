"""Tenants, read from the dev and prod plans: per environment namespace a ResourceQuota and a
LimitRange from the stack's tenant* keys, default-deny NetworkPolicies (ingress and egress) with
same-namespace, DNS and the configured egress allowed, Pod Security restricted, and the vpc-cni
add-on's network policy agent that enforces them."""

from __future__ import annotations

import json

import pytest

from components.tenants import (
    NOT_INTERNET,
    TenantLimits,
    TenantQuota,
    TenantsArgs,
    check_tenants,
    egress_spec,
)
from tests.conftest import plan, stack_values
from toolchain.export import Resource, StackExport

QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
ENVIRONMENTS = {"dev": ("dev", "staging", "qa"), "prod": ("prod",)}


def stack_of(export: StackExport) -> str:
    return str(export.stack_outputs["stack"])


def in_namespace(export: StackExport, type_token: str, namespace: str) -> dict[str, Resource]:
    return {
        r.inputs["metadata"]["name"]: r
        for r in export.of_type(type_token)
        if r.inputs["metadata"].get("namespace") == namespace
    }


def setting(stack: str, key: str):
    return stack_values(stack)[f"baseline:{key}"]


def test_each_environment_namespace_has_the_configured_quota(each_stack: StackExport) -> None:
    stack = stack_of(each_stack)
    for env in ENVIRONMENTS[stack]:
        (quota,) = in_namespace(each_stack, QUOTA, env).values()
        hard = quota.inputs["spec"]["hard"]
        assert hard["requests.cpu"] == str(setting(stack, "tenantRequestsCpu")), quota.urn
        assert hard["requests.memory"] == setting(stack, "tenantRequestsMemory"), quota.urn
        assert hard["limits.memory"] == setting(stack, "tenantLimitsMemory"), quota.urn
        assert hard["pods"] == str(setting(stack, "tenantPods")), quota.urn
        lbs = str(setting(stack, "tenantLoadBalancers"))
        assert hard["services.loadbalancers"] == lbs, quota.urn
        assert hard["count/ingresses.networking.k8s.io"] == lbs, quota.urn


def test_each_environment_namespace_gives_containers_defaults(each_stack: StackExport) -> None:
    for env in ENVIRONMENTS[stack_of(each_stack)]:
        (limits,) = in_namespace(each_stack, LIMITS, env).values()
        (container,) = limits.inputs["spec"]["limits"]
        assert container["type"] == "Container", limits.urn
        assert set(container["defaultRequest"]) == {"cpu", "memory"}, limits.urn
        assert "memory" in container["default"] and "memory" in container["max"], limits.urn
        assert "cpu" not in container.get("default", {}), f"{limits.urn}: no CPU limit imposed"


def test_each_environment_namespace_denies_both_ways_by_default(each_stack: StackExport) -> None:
    for env in ENVIRONMENTS[stack_of(each_stack)]:
        policies = in_namespace(each_stack, NETWORK_POLICY, env)
        deny = policies["default-deny"].inputs["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}, env
        same = policies["allow-same-namespace"].inputs["spec"]
        assert same["ingress"] == [{"from": [{"podSelector": {}}]}], env
        assert same["egress"] == [{"to": [{"podSelector": {}}]}], env
        (dns,) = policies["allow-dns"].inputs["spec"]["egress"]
        (peer,) = dns["to"]
        assert peer["namespaceSelector"]["matchLabels"] == {
            "kubernetes.io/metadata.name": "kube-system"
        }, env
        assert {p["port"] for p in dns["ports"]} == {53}, env
        assert {p["protocol"] for p in dns["ports"]} == {"UDP", "TCP"}, env


def test_egress_goes_to_the_vpc_and_the_internet_but_not_private_space(
    each_stack: StackExport,
) -> None:
    stack = stack_of(each_stack)
    (vpc,) = [v.inputs["cidrBlock"] for v in each_stack.of_type("aws:ec2/vpc:Vpc")]
    for env in ENVIRONMENTS[stack]:
        egress = in_namespace(each_stack, NETWORK_POLICY, env)["allow-egress"]
        (rule,) = egress.inputs["spec"]["egress"]
        blocks = {b["ipBlock"]["cidr"]: b["ipBlock"] for b in rule["to"]}
        assert blocks["0.0.0.0/0"]["except"] == list(NOT_INTERNET), egress.urn
        assert "169.254.0.0/16" in blocks["0.0.0.0/0"]["except"], "metadata service excluded"
        assert blocks[vpc] == {"cidr": vpc}, egress.urn
        assert len(blocks) == 2, egress.urn


@pytest.mark.slow
def test_without_egress_destinations_there_is_no_egress_allow() -> None:
    export = plan("prod", tenantEgress=[])
    assert "allow-egress" not in in_namespace(export, NETWORK_POLICY, "prod")
    assert egress_spec((), "10.0.0.0/16") is None
    only_vpc = egress_spec(("vpc",), "10.1.0.0/16")
    assert only_vpc is not None and only_vpc["egress"] == [
        {"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}
    ]


def test_environment_namespaces_enforce_restricted(each_stack: StackExport) -> None:
    names = {n.inputs["metadata"]["name"]: n for n in each_stack.of_type(NAMESPACE)}
    for env in ENVIRONMENTS[stack_of(each_stack)]:
        labels = names[env].inputs["metadata"]["labels"]
        for mode in ("enforce", "audit", "warn"):
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", names[env].urn
        assert labels["pod-security.kubernetes.io/enforce-version"] == "latest", names[env].urn


def test_a_named_exception_lowers_enforcement_and_keeps_the_warnings() -> None:
    export = plan("dev", tenantPodSecurityExceptions=["qa:baseline:the load-test tool needs root"])
    names = {n.inputs["metadata"]["name"]: n for n in export.of_type(NAMESPACE)}
    qa = names["qa"].inputs["metadata"]["labels"]
    assert qa["pod-security.kubernetes.io/enforce"] == "baseline", names["qa"].urn
    assert qa["pod-security.kubernetes.io/warn"] == "restricted", names["qa"].urn
    dev = names["dev"].inputs["metadata"]["labels"]
    assert dev["pod-security.kubernetes.io/enforce"] == "restricted", names["dev"].urn


def test_the_guardrails_wait_for_their_namespace(each_stack: StackExport) -> None:
    names = {n.inputs["metadata"]["name"]: n for n in each_stack.of_type(NAMESPACE)}
    for env in ENVIRONMENTS[stack_of(each_stack)]:
        for r in in_namespace(each_stack, QUOTA, env).values():
            assert names[env].urn in r.dependencies, r.urn


def test_the_vpc_cni_agent_enforces_the_policies(each_stack: StackExport) -> None:
    (cni,) = [
        a for a in each_stack.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "vpc-cni"
    ]
    assert json.loads(cni.inputs["configurationValues"])["enableNetworkPolicy"] == "true", cni.urn


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"limits": TenantLimits(default_memory_request="1Gi")}, "default_memory_request"),
        ({"limits": TenantLimits(max_container_memory="128Mi")}, "max_container_memory"),
        ({"quota": TenantQuota(requests_cpu="lots")}, "requests_cpu"),
        ({"quota": TenantQuota(pods=-1)}, "pods"),
        ({"egress": ("everywhere",)}, "egress"),
    ],
)
def test_bad_guardrails_are_refused_naming_the_field(change, message) -> None:
    args = TenantsArgs(**{"namespaces": {}, "vpc_cidr": "10.0.0.0/16", **change})
    with pytest.raises(ValueError, match=message):
        check_tenants(args)

"""Namespace rules: Pod Security Admission labels, and default-deny ingress in every namespace of
the plan that runs workloads. Each rule passing, failing, missing the property and unreadable."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze, analyze_stack, resource

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
RELEASE = "kubernetes:helm.sh/v3:Release"
PSA = "namespace-pod-security-enforced"
DENY = "namespace-default-deny-ingress"
E = "pod-security.kubernetes.io/enforce"


def namespace(name: Any = "shop", **labels: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {k.replace("_", "-"): v for k, v in labels.items()}}
    }


def psa(security: Any, props: dict, name: str, config: Any = None) -> list:
    found = analyze(security, NAMESPACE, props, config=config, name=name)
    return [v for v in found if v.policyName == PSA]


PSA_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("restricted passes", {"metadata": {"name": "s", "labels": {E: "restricted"}}}, False),
    ("baseline passes", {"metadata": {"name": "s", "labels": {E: "baseline"}}}, False),
    ("privileged", {"metadata": {"name": "s", "labels": {E: "privileged"}}}, True),
    ("missing", {"metadata": {"name": "s", "labels": {}}}, True),
    ("no labels at all", {"metadata": {"name": "s"}}, True),
    ("unreadable level", {"metadata": {"name": "s", "labels": {E: "strict"}}}, True),
    (
        "old version",
        {"metadata": {"name": "s", "labels": {E: "restricted", f"{E}-version": "v1.22"}}},
        True,
    ),
    (
        "latest version passes",
        {"metadata": {"name": "s", "labels": {E: "restricted", f"{E}-version": "latest"}}},
        False,
    ),
    (
        "unreadable version",
        {"metadata": {"name": "s", "labels": {E: "restricted", f"{E}-version": "1.30"}}},
        True,
    ),
    ("system namespace exempt", {"metadata": {"name": "kube-system"}}, False),
]


@pytest.mark.parametrize("case", PSA_CASES, ids=[c for c, _, _ in PSA_CASES])
def test_pod_security_labels(security, case):
    label, props, fires = case
    found = psa(security, props, label.replace(" ", "-"))
    assert bool(found) == fires, f"{PSA} on {label}: {[v.detail for v in found]}"


def test_pod_security_unknown_is_left_to_the_update(security):
    found = psa(security, {"metadata": {"name": "s", "labels": {E: UNKNOWN_STRING_VALUE}}}, "unk")
    assert found and all(not v.mandatory for v in found)


def test_pod_security_minimum_and_exceptions_come_from_config(security):
    baseline = {"metadata": {"name": "shop", "labels": {E: "baseline"}}}
    assert psa(security, baseline, "strict", {PSA: {"minimumLevel": "restricted"}})
    logging = {"metadata": {"name": "logging", "labels": {E: "privileged"}}}
    assert not psa(security, logging, "logs", {PSA: {"namespaceLevels": {"logging": "privileged"}}})


# -- default-deny ingress ------------------------------------------------------------------------


def ns(name: str = "shop") -> Any:
    return resource(
        NAMESPACE, {"metadata": {"name": name, "labels": {E: "restricted"}}}, f"ns-{name}"
    )


def app(namespace: Any = "shop") -> Any:
    return resource(DEPLOYMENT, {"metadata": {"name": "web", "namespace": namespace}}, "web")


def netpol(spec: Any, name: str = "deny", namespace: str = "shop") -> Any:
    return resource(
        NETWORK_POLICY, {"metadata": {"name": name, "namespace": namespace}, "spec": spec}, name
    )


DENY_ALL = {"podSelector": {}, "policyTypes": ["Ingress"]}
ALLOW_ALL: dict[str, Any] = {"podSelector": {}, "ingress": [{}]}


def deny(security: Any, resources: list, config: Any = None) -> list:
    return [v for v in analyze_stack(security, resources, config=config) if v.policyName == DENY]


DENY_CASES: list[tuple[str, list, bool]] = [
    ("default deny passes", [ns(), app(), netpol(DENY_ALL)], False),
    ("implied Ingress type passes", [ns(), app(), netpol({"podSelector": {}})], False),
    (
        "narrow allow beside passes",
        [
            ns(),
            app(),
            netpol(DENY_ALL),
            netpol({"podSelector": {"matchLabels": {"app": "web"}}, "ingress": [{}]}, "web"),
        ],
        False,
    ),
    ("no workloads passes", [ns(), netpol(ALLOW_ALL)], False),
    ("missing", [ns(), app()], True),
    ("only egress", [ns(), app(), netpol({"podSelector": {}, "policyTypes": ["Egress"]})], True),
    (
        "selects some pods",
        [ns(), app(), netpol({"podSelector": {"matchLabels": {"a": "b"}}})],
        True,
    ),
    ("undone by an allow-all", [ns(), app(), netpol(DENY_ALL), netpol(ALLOW_ALL, "open")], True),
    (
        "allow from everywhere",
        [
            ns(),
            app(),
            netpol(
                {"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}
            ),
        ],
        True,
    ),
    ("other namespace's policy", [ns(), app(), netpol(DENY_ALL, namespace="other")], True),
    (
        "a helm release runs there",
        [ns(), resource(RELEASE, {"name": "x", "namespace": "shop"}, "x")],
        True,
    ),
    ("unreadable policy", [ns(), app(), netpol({"podSelector": "all"})], True),
]


@pytest.mark.parametrize("case", DENY_CASES, ids=[c for c, _, _ in DENY_CASES])
def test_default_deny_ingress(security, case):
    label, resources, fires = case
    found = deny(security, resources)
    assert bool(found) == fires, f"{DENY} on {label}: {[v.detail for v in found]}"


def test_default_deny_names_the_namespace(security):
    (found,) = deny(security, [ns(), app()])
    assert found.urn.endswith("::ns-shop")


def test_default_deny_exemption(security):
    assert not deny(security, [ns(), app()], {DENY: {"exemptNamespaces": ["shop"]}})

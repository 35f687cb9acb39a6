"""EKS access rules: eks-access-no-open-cluster-admin and eks-access-namespaced, each passing,
failing, missing the property and unreadable, driven through the analyzer as the engine does."""

from __future__ import annotations

from typing import Any

import pytest

from components.access import CLUSTER_ADMIN_POLICY, EDIT_POLICY, VIEW_POLICY
from tests.policies.conftest import analyze

ENTRY = "aws:eks/accessEntry:AccessEntry"
ASSOCIATION = "aws:eks/accessPolicyAssociation:AccessPolicyAssociation"
OPEN = "eks-access-no-open-cluster-admin"
SCOPED = "eks-access-namespaced"
ROLE = "arn:aws:iam::123456789012:role/platform/PlatformAdmin"
ROOT = "arn:aws:iam::123456789012:root"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminPolicy"


def association(principal: Any = ROLE, policy: Any = CLUSTER_ADMIN_POLICY, scope: Any = None):
    props: dict[str, Any] = {"clusterName": "c"}
    for key, value in (("principalArn", principal), ("policyArn", policy)):
        if value is not None:
            props[key] = value
    props["accessScope"] = {"type": "cluster"} if scope is None else scope
    return props


def fired(security: Any, rule: str, type_token: str, props: dict, config: Any = None) -> list:
    found = analyze(security, type_token, props, config=config, name="a")
    return [v for v in found if v.policyName == rule]


NS = {"type": "namespace", "namespaces": ["dev", "qa"]}
OPEN_CASES: list[tuple[str, str, dict, bool]] = [
    ("admin to a named role passes", ASSOCIATION, association(), False),
    ("edit to root in namespaces passes", ASSOCIATION, association(ROOT, EDIT_POLICY, NS), False),
    ("an entry without groups passes", ENTRY, {"principalArn": ROOT}, False),
    ("admin to root", ASSOCIATION, association(ROOT), True),
    ("admin to an account id", ASSOCIATION, association("123456789012"), True),
    ("admin to a wildcard", ASSOCIATION, association("arn:aws:iam::123456789012:role/*"), True),
    ("admin policy at cluster scope to root", ASSOCIATION, association(ROOT, ADMIN_POLICY), True),
    ("system:masters", ENTRY, {"principalArn": ROLE, "kubernetesGroups": ["system:masters"]}, True),
    ("groups for root", ENTRY, {"principalArn": ROOT, "kubernetesGroups": ["ops"]}, True),
    ("missing principal", ASSOCIATION, association(None), True),
    ("unreadable policy", ASSOCIATION, association(ROOT, "AdminPlease"), True),
    ("unreadable scope", ASSOCIATION, association(scope={"type": "galaxy"}), True),
]


@pytest.mark.parametrize("case", OPEN_CASES, ids=[c[0] for c in OPEN_CASES])
def test_no_open_cluster_admin(security, case):
    label, type_token, props, fires = case
    found = fired(security, OPEN, type_token, props)
    assert bool(found) == fires, f"{OPEN} on {label}: {[v.detail for v in found]}"


SCOPED_CASES: list[tuple[str, dict, bool]] = [
    ("edit in namespaces passes", association(ROLE, EDIT_POLICY, NS), False),
    ("view cluster-wide passes", association(ROLE, VIEW_POLICY), False),
    ("cluster admin is the other rule's", association(ROLE, CLUSTER_ADMIN_POLICY), False),
    ("edit cluster-wide", association(ROLE, EDIT_POLICY), True),
    ("admin cluster-wide", association(ROLE, ADMIN_POLICY), True),
    (
        "edit in kube-system",
        association(ROLE, EDIT_POLICY, {"type": "namespace", "namespaces": ["qa", "kube-system"]}),
        True,
    ),
    (
        "namespace scope without namespaces",
        association(ROLE, EDIT_POLICY, {"type": "namespace"}),
        True,
    ),
    ("missing scope type", association(ROLE, EDIT_POLICY, {"namespaces": ["qa"]}), True),
    (
        "unreadable namespaces",
        association(ROLE, EDIT_POLICY, {"type": "namespace", "namespaces": "qa"}),
        True,
    ),
]


@pytest.mark.parametrize("case", SCOPED_CASES, ids=[c[0] for c in SCOPED_CASES])
def test_namespaced_access(security, case):
    label, props, fires = case
    found = fired(security, SCOPED, ASSOCIATION, props)
    assert bool(found) == fires, f"{SCOPED} on {label}: {[v.detail for v in found]}"


def test_cluster_scope_may_be_allowed_by_config(security):
    config = {SCOPED: {"clusterScopedPrincipals": ["arn:aws:iam::*:role/platform/*"]}}
    assert not fired(security, SCOPED, ASSOCIATION, association(ROLE, EDIT_POLICY), config)


READER = "arn:aws:iam::123456789012:role/baseline-previewer-dev"
ADMIN_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
IN_KUBE_SYSTEM = {"type": "namespace", "namespaces": ["kube-system", "karpenter"]}


@pytest.mark.parametrize(
    ("principal", "policy", "fires"),
    [
        # The configured reader reads Secrets in kube-system: read only, named on purpose.
        (READER, ADMIN_VIEW_POLICY, False),
        # Another principal may not, and the reader may never write there.
        (ROLE, ADMIN_VIEW_POLICY, True),
        (READER, EDIT_POLICY, True),
        (READER, ADMIN_POLICY, True),
    ],
)
def test_only_a_configured_reader_reads_a_system_namespace(security, principal, policy, fires):
    config = {SCOPED: {"systemNamespaceReaders": [READER]}}
    found = fired(
        security, SCOPED, ASSOCIATION, association(principal, policy, IN_KUBE_SYSTEM), config
    )
    assert bool(found) == fires, [v.detail for v in found]


def test_without_config_no_one_reads_a_system_namespace(security):
    assert fired(
        security, SCOPED, ASSOCIATION, association(READER, ADMIN_VIEW_POLICY, IN_KUBE_SYSTEM)
    )

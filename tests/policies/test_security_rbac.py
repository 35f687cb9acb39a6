"""RBAC rules: bindings to cluster admin, and roles whose effective grants amount to admin or
escalation. Each rule passing, failing, missing the property and unreadable."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze

GROUP = "kubernetes:rbac.authorization.k8s.io/v1"
BINDING = "rbac-no-cluster-admin-binding"
ROLE = "rbac-no-admin-equivalent-role"
ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"]


def binding(kind: str, role: Any, role_kind: str = "ClusterRole") -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "b"}
    if kind == "RoleBinding":
        metadata["namespace"] = "shop"
    ref = (
        None
        if role is None
        else {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role}
    )
    props: dict[str, Any] = {"metadata": metadata, "subjects": [{"kind": "Group", "name": "ops"}]}
    if ref is not None:
        props["roleRef"] = ref
    return props


def role(*rules: Any, namespace: str | None = None) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": "r"}
    if namespace:
        metadata["namespace"] = namespace
    return {"metadata": metadata, "rules": list(rules)}


def rule(groups: Any, resources: Any, verbs: Any, **extra: Any) -> dict[str, Any]:
    return {"apiGroups": groups, "resources": resources, "verbs": verbs, **extra}


def fired(security: Any, policy: str, kind: str, props: dict, name: str, *, config: Any = None):
    found = analyze(security, f"{GROUP}:{kind}", props, config=config, name=name)
    return [v for v in found if v.policyName == policy]


BINDING_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    (
        "view cluster-wide passes",
        "ClusterRoleBinding",
        binding("ClusterRoleBinding", "view"),
        False,
    ),
    ("own role passes", "RoleBinding", binding("RoleBinding", "cluster-admin", "Role"), False),
    ("cluster-admin", "ClusterRoleBinding", binding("ClusterRoleBinding", "cluster-admin"), True),
    ("cluster-admin in a namespace", "RoleBinding", binding("RoleBinding", "cluster-admin"), True),
    ("edit cluster-wide", "ClusterRoleBinding", binding("ClusterRoleBinding", "edit"), True),
    ("admin in a namespace passes", "RoleBinding", binding("RoleBinding", "admin"), False),
    ("missing roleRef", "ClusterRoleBinding", binding("ClusterRoleBinding", None), True),
    ("unreadable roleRef", "ClusterRoleBinding", binding("ClusterRoleBinding", ["x"]), True),
]


@pytest.mark.parametrize("case", BINDING_CASES, ids=[c for c, _, _, _ in BINDING_CASES])
def test_binding(security, case):
    label, kind, props, fires = case
    found = fired(security, BINDING, kind, props, label.replace(" ", "-"))
    assert bool(found) == fires, f"{BINDING} on {kind}::{label}: {[v.detail for v in found]}"


def test_binding_unknown_role_is_left_to_the_update(security):
    props = binding("ClusterRoleBinding", UNKNOWN_STRING_VALUE)
    found = fired(security, BINDING, "ClusterRoleBinding", props, "unknown")
    assert found and all(not v.mandatory for v in found)


def test_binding_exemption(security):
    cfg = {BINDING: {"exempt": ["b"]}}
    props = binding("ClusterRoleBinding", "cluster-admin")
    assert not fired(security, BINDING, "ClusterRoleBinding", props, "exempt", config=cfg)


ROLE_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("read pods passes", "ClusterRole", role(rule([""], ["pods"], ["get", "list"])), False),
    (
        "own secret by name passes",
        "ClusterRole",
        role(rule([""], ["secrets"], ["get"], resourceNames=["mine"])),
        False,
    ),
    (
        "namespaced secrets passes",
        "Role",
        role(rule([""], ["secrets"], ["get", "create"]), namespace="shop"),
        False,
    ),
    ("star verbs", "Role", role(rule(["apps"], ["deployments"], ["*"]), namespace="shop"), True),
    (
        "every verb listed",
        "Role",
        role(rule(["apps"], ["deployments"], ALL_VERBS), namespace="shop"),
        True,
    ),
    ("write on every resource", "ClusterRole", role(rule(["*"], ["*"], ["create"])), True),
    (
        "escalate",
        "ClusterRole",
        role(rule(["rbac.authorization.k8s.io"], ["clusterroles"], ["escalate"])),
        True,
    ),
    (
        "bind through a star group",
        "Role",
        role(rule(["*"], ["rolebindings"], ["bind"]), namespace="shop"),
        True,
    ),
    ("impersonate", "ClusterRole", role(rule([""], ["serviceaccounts"], ["impersonate"])), True),
    (
        "exec via subresource star",
        "Role",
        role(rule([""], ["pods/*"], ["create"]), namespace="shop"),
        True,
    ),
    ("tokens via star resource", "ClusterRole", role(rule([""], ["*/token"], ["create"])), True),
    ("secrets cluster-wide", "ClusterRole", role(rule([""], ["secrets"], ["list"])), True),
    ("missing rules passes", "ClusterRole", {"metadata": {"name": "r"}}, False),
    (
        "aggregated",
        "ClusterRole",
        {"metadata": {"name": "r"}, "aggregationRule": {"clusterRoleSelectors": []}},
        True,
    ),
    ("unreadable verbs", "ClusterRole", role(rule([""], ["pods"], "get")), True),
    ("unreadable rules", "ClusterRole", {"metadata": {"name": "r"}, "rules": {"x": 1}}, True),
]


@pytest.mark.parametrize("case", ROLE_CASES, ids=[c for c, _, _, _ in ROLE_CASES])
def test_role(security, case):
    label, kind, props, fires = case
    found = fired(security, ROLE, kind, props, label.replace(" ", "-"))
    assert bool(found) == fires, f"{ROLE} on {kind}::{label}: {[v.detail for v in found]}"


def test_role_unknown_is_left_to_the_update(security):
    props = role(rule([""], ["pods"], [UNKNOWN_STRING_VALUE]))
    found = fired(security, ROLE, "ClusterRole", props, "unknown")
    assert found and all(not v.mandatory for v in found)


def test_role_message_names_the_rule_and_the_grant(security):
    (found,) = fired(security, ROLE, "ClusterRole", role(rule([""], ["secrets"], ["get"])), "msg")
    assert "rules[0]" in found.detail and "secrets" in found.detail

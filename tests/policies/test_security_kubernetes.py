"""The agents' Deployments: security context, probes and resources, image digest. Each rule three
ways (passing, failing, missing the property), on the Deployment the workloads component makes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from components.workloads import WorkloadsArgs, deployment_spec
from tests.policies.conftest import analyze

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
DIGEST = "sha256:" + "ab" * 32
ARGS = WorkloadsArgs(
    stack="prod",
    region="us-east-1",
    image=f"ghcr.io/platform-team/baseline-agents@{DIGEST}",
    otlp_endpoint="http://otel-collector.tracing:4318",
)


def deployment(*, namespace: Any = "agents-cost-optimizer", **edits: Any) -> dict[str, Any]:
    """The cost optimizer's Deployment as planned, with dotted-path edits of its first container
    (`c.<path>`) or pod (`p.<path>`); a value of None deletes the key."""
    spec = copy.deepcopy(deployment_spec(ARGS, "cost-optimizer", "cost-optimizer"))
    pod = spec["template"]["spec"]
    for path, value in edits.items():
        where, _, dotted = path.partition(".")
        obj = pod["containers"][0] if where == "c" else pod
        keys = dotted.split("__")
        for key in keys[:-1]:
            obj = obj.setdefault(key, {})
        if value is None:
            obj.pop(keys[-1], None)
        else:
            obj[keys[-1]] = value
    metadata: dict[str, Any] = {"name": "agent-cost-optimizer", "labels": {}}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": metadata, "spec": spec}


def fired(security: Any, rule: str, props: dict[str, Any], name: str, config: Any = None) -> list:
    found = analyze(security, DEPLOYMENT, props, config=config, name=name)
    return [v for v in found if v.policyName == rule]


CONTEXT = "agent-pod-security-context"
PROBES = "agent-pod-probes-and-resources"
IMAGE = "agent-image-pinned-by-digest"

CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    (CONTEXT, "passes", deployment(), False),
    (
        CONTEXT,
        "writable root",
        deployment(**{"c.securityContext__readOnlyRootFilesystem": False}),
        True,
    ),
    (
        CONTEXT,
        "escalation",
        deployment(**{"c.securityContext__allowPrivilegeEscalation": True}),
        True,
    ),
    (CONTEXT, "root user", deployment(**{"c.securityContext__runAsUser": 0}), True),
    (CONTEXT, "low uid", deployment(**{"c.securityContext__runAsUser": 1000}), True),
    (CONTEXT, "capabilities kept", deployment(**{"c.securityContext__capabilities": {}}), True),
    (
        CONTEXT,
        "capability added",
        deployment(**{"c.securityContext__capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}),
        True,
    ),
    (CONTEXT, "host network", deployment(**{"p.hostNetwork": True}), True),
    (
        CONTEXT,
        "unconfined seccomp",
        deployment(
            **{
                "c.securityContext__seccompProfile": {"type": "Unconfined"},
            }
        ),
        True,
    ),
    # The container's own setting missing: the pod's applies (runAsUser, seccomp), or nothing.
    (CONTEXT, "user from the pod", deployment(**{"c.securityContext__runAsUser": None}), False),
    (CONTEXT, "missing", deployment(**{"c.securityContext": None}), True),
    (CONTEXT, "unreadable", deployment(**{"c.securityContext__runAsNonRoot": "yes"}), True),
    (CONTEXT, "out of scope", deployment(namespace="dev", **{"c.securityContext": None}), False),
    (PROBES, "passes", deployment(), False),
    (PROBES, "no liveness", deployment(**{"c.livenessProbe": None}), True),
    (
        PROBES,
        "no memory limit",
        deployment(**{"c.resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}),
        True,
    ),
    (PROBES, "missing", deployment(**{"c.readinessProbe": None, "c.resources": None}), True),
    (PROBES, "unreadable", deployment(**{"c.resources": ["1Gi"]}), True),
    (IMAGE, "passes", deployment(), False),
    (IMAGE, "tag", deployment(**{"c.image": "ghcr.io/platform-team/baseline-agents:0.1.0"}), True),
    (IMAGE, "short digest", deployment(**{"c.image": "ghcr.io/x/agents@sha256:abc"}), True),
    (IMAGE, "missing", deployment(**{"c.image": None}), True),
]


@pytest.mark.parametrize("example", CASES, ids=[f"{r}:{c}" for r, c, _, _ in CASES])
def test_agent_deployment_rule(security, example):
    rule, case, props, fires = example
    name = f"{rule}-{case}".replace(" ", "-")
    found = fired(security, rule, props, name)
    assert bool(found) == fires, f"{rule} on {DEPLOYMENT}::{name}: {[v.detail for v in found]}"


def test_the_message_names_the_container_and_what_it_lacks(security):
    props = deployment(**{"c.securityContext__readOnlyRootFilesystem": False})
    (found,) = fired(security, CONTEXT, props, "names")
    assert "containers[0] (agent)" in found.detail and "readOnlyRootFilesystem" in found.detail


def test_scope_without_a_known_namespace_is_the_part_of_label(security):
    props = deployment(namespace=None, **{"c.image": "x:1"})
    assert not fired(security, IMAGE, props, "unlabelled")
    props["metadata"]["labels"] = {"app.kubernetes.io/part-of": "baseline-agents"}
    assert fired(security, IMAGE, props, "labelled")


def test_namespaces_come_from_the_policy_config(security):
    cfg = {IMAGE: {"namespaces": ["ops-*"]}}
    props = deployment(namespace="ops-bots", **{"c.image": "x:1"})
    assert fired(security, IMAGE, props, "ops", cfg)
    assert not fired(security, IMAGE, deployment(**{"c.image": "x:1"}), "agents", cfg)

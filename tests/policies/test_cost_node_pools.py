"""Karpenter cost rules, driven through the analyzer three ways each (passing, failing, missing
the property): Graviton only, allowed families and sizes, a CPU ceiling, SPOT allowed, and the
EC2NodeClass's cost-allocation tags."""

from __future__ import annotations

from typing import Any

import pytest

from components.autoscaling import AutoscalingArgs, node_pool_spec
from tests.policies.conftest import analyze

NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
DEV = {
    "node-pool-instance-types": {
        "allowedInstanceFamilies": ["[cmr][678]g"],
        "allowedInstanceSizes": ["large"],
    },
    "node-pool-cpu-limit": {"maxCpu": 16},
}
ARGS = AutoscalingArgs(
    cluster_name="baseline-dev",
    region="us-east-1",
    account_id="123456789012",
    oidc_provider_arn="arn",
    oidc_provider_url="url",
    cluster_security_group_id="sg-1",
    instance_families=("m7g", "c7g", "r7g", "m6g"),
    instance_sizes=("large",),
    cpu_limit=16,
)


def pool(requirements: dict[str, Any] | None = None, limits: Any = ..., drop: tuple = ()) -> dict:
    """The dev plan's NodePool with requirements replaced by key (a value of None drops that
    requirement), `limits` replaced, or requirement keys dropped."""
    spec = node_pool_spec(ARGS, "workload")
    reqs = []
    for req in spec["template"]["spec"]["requirements"]:
        key = req["key"]
        if key in drop:
            continue
        if requirements and key in requirements:
            if requirements[key] is not None:
                reqs.append({"key": key, **requirements[key]})
            continue
        reqs.append(req)
    for key, req in (requirements or {}).items():
        if req is not None and key not in {
            r["key"] for r in spec["template"]["spec"]["requirements"]
        }:
            reqs.append({"key": key, **req})
    spec["template"]["spec"]["requirements"] = reqs
    if limits is None:
        spec.pop("limits")
    elif limits is not ...:
        spec["limits"] = limits
    return {"apiVersion": "karpenter.sh/v1", "kind": "NodePool", "spec": spec}


def In(*values: str) -> dict[str, Any]:
    return {"operator": "In", "values": list(values)}


def NotIn(*values: str) -> dict[str, Any]:
    return {"operator": "NotIn", "values": list(values)}


ARCH = "kubernetes.io/arch"
CAPACITY = "karpenter.sh/capacity-type"
FAMILY = "karpenter.k8s.aws/instance-family"
SIZE = "karpenter.k8s.aws/instance-size"
TYPE = "node.kubernetes.io/instance-type"

CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("graviton-node-pools", "passes", pool(), False),
    ("graviton-node-pools", "not amd64 passes", pool({ARCH: NotIn("amd64")}), False),
    ("graviton-node-pools", "both", pool({ARCH: In("amd64", "arm64")}), True),
    ("graviton-node-pools", "exists", pool({ARCH: {"operator": "Exists"}}), True),
    # Karpenter's default architecture is amd64.
    ("graviton-node-pools", "missing", pool(drop=(ARCH,)), True),
    (
        "graviton-node-pools",
        "unreadable",
        pool({ARCH: {"operator": "In", "values": "arm64"}}),
        True,
    ),
    ("node-pool-instance-types", "passes", pool(), False),
    ("node-pool-instance-types", "x86 family", pool({FAMILY: In("m7g", "m7i")}), True),
    ("node-pool-instance-types", "big size", pool({SIZE: In("large", "16xlarge")}), True),
    (
        "node-pool-instance-types",
        "instance types instead",
        pool({TYPE: In("m7g.large", "c7g.large")}, drop=(FAMILY, SIZE)),
        False,
    ),
    (
        "node-pool-instance-types",
        "instance types too big",
        pool({TYPE: In("m7g.large", "m7g.4xlarge")}, drop=(FAMILY, SIZE)),
        True,
    ),
    ("node-pool-instance-types", "only excluded", pool({FAMILY: NotIn("t4g")}), True),
    ("node-pool-instance-types", "missing", pool(drop=(FAMILY,)), True),
    ("node-pool-instance-types", "sizes missing", pool(drop=(SIZE,)), True),
    (
        "node-pool-instance-types",
        "unreadable",
        pool({FAMILY: {"operator": "Gt", "values": ["7"]}}),
        True,
    ),
    ("node-pool-cpu-limit", "passes", pool(), False),
    ("node-pool-cpu-limit", "millicores pass", pool(limits={"cpu": "16000m"}), False),
    ("node-pool-cpu-limit", "number passes", pool(limits={"cpu": 8}), False),
    ("node-pool-cpu-limit", "fails", pool(limits={"cpu": "17"}), True),
    ("node-pool-cpu-limit", "missing", pool(limits=None), True),
    ("node-pool-cpu-limit", "memory only", pool(limits={"memory": "64Gi"}), True),
    ("node-pool-cpu-limit", "unreadable", pool(limits={"cpu": "lots"}), True),
    ("node-pool-cpu-limit", "nan", pool(limits={"cpu": "NaN"}), True),
    ("node-pool-spot-fallback", "passes", pool(), False),
    ("node-pool-spot-fallback", "spot only passes", pool({CAPACITY: In("spot")}), False),
    ("node-pool-spot-fallback", "on demand alone", pool({CAPACITY: In("on-demand")}), True),
    ("node-pool-spot-fallback", "spot excluded", pool({CAPACITY: NotIn("spot")}), True),
    # Karpenter's default capacity type is on-demand.
    ("node-pool-spot-fallback", "missing", pool(drop=(CAPACITY,)), True),
    ("node-pool-spot-fallback", "unreadable", pool({CAPACITY: {"operator": "Near"}}), True),
]


@pytest.mark.parametrize("example", CASES, ids=[f"{r}:{c}" for r, c, _, _ in CASES])
def test_node_pool_rule(cost, example):
    rule, case, props, fires = example
    name = f"{rule}-{case}".replace(" ", "-")
    found = [
        v for v in analyze(cost, NODE_POOL, props, config=DEV, name=name) if v.policyName == rule
    ]
    assert bool(found) == fires, f"{rule} on {NODE_POOL}::{name}: {[v.detail for v in found]}"


def test_the_family_message_names_the_refused_family(cost):
    found = analyze(cost, NODE_POOL, pool({FAMILY: In("m7g", "m7i")}), config=DEV, name="m7i")
    (hit,) = [v for v in found if v.policyName == "node-pool-instance-types"]
    assert "['m7i']" in hit.detail and "[cmr][678]g" in hit.detail, hit.detail


def test_the_cpu_ceiling_comes_from_the_policy_config(cost):
    cfg = {"node-pool-cpu-limit": {"maxCpu": 64}}
    found = analyze(cost, NODE_POOL, pool(limits={"cpu": "32"}), config=cfg, name="prod-sized")
    assert "node-pool-cpu-limit" not in {v.policyName for v in found}, found


TAGS = {"project": "baseline", "stack": "dev", "owner": "platform-team", "cost-center": "cc-1"}
TAG_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("passes", {"spec": {"tags": {**TAGS, "Name": "nodes"}}}, False),
    ("fails", {"spec": {"tags": {k: v for k, v in TAGS.items() if k != "stack"}}}, True),
    ("missing", {"spec": {"amiSelectorTerms": [{"alias": "al2023@latest"}]}}, True),
    ("unreadable", {"spec": {"tags": ["project=baseline"]}}, True),
]


@pytest.mark.parametrize(("case", "props", "fires"), TAG_CASES, ids=[c for c, _, _ in TAG_CASES])
def test_node_class_cost_tags(cost, case, props, fires):
    rule = "node-class-cost-tags"
    name = case.replace(" ", "-")
    found = [v for v in analyze(cost, NODE_CLASS, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {NODE_CLASS}::{name}: {[v.detail for v in found]}"

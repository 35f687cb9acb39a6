"""Graviton rules, driven through the analyzer three ways (passing, failing, missing the
property), plus the pure family check they share."""

from __future__ import annotations

from typing import Any

import pytest

from policies.cost.graviton import is_graviton
from tests.policies.conftest import analyze

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
RDS_INSTANCE = "aws:rds/instance:Instance"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"

GROUP: dict[str, Any] = {
    "amiType": "AL2023_ARM_64_STANDARD",
    "capacityType": "SPOT",
    "instanceTypes": ["m7g.large", "c7gn.large", "r6gd.large"],
    "launchTemplate": {"id": "lt-1", "version": "1"},
    "scalingConfig": {"desiredSize": 1, "maxSize": 5, "minSize": 1},
}


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


@pytest.mark.parametrize(
    ("instance_type", "graviton"),
    [
        ("m7g.large", True),
        ("c7gn.xlarge", True),
        ("r6gd.large", True),
        ("t4g.medium", True),
        ("x2gd.large", True),
        ("im4gn.large", True),
        ("is4gen.large", True),
        ("g5g.xlarge", True),
        ("a1.large", True),
        ("db.r7g.large", True),
        ("db.t4g.micro", True),
        ("m7i.large", False),
        ("m6a.large", False),
        ("g5.xlarge", False),
        ("t3.medium", False),
        ("db.m5.large", False),
        ("db.serverless", False),
    ],
)
def test_graviton_families(instance_type, graviton):
    assert is_graviton(instance_type) == graviton, instance_type


Case = tuple[str, str, dict[str, Any], bool]  # (case, type token, properties, fires)

NODE_GROUP_CASES: list[Case] = [
    ("passes", NODE_GROUP, GROUP, False),
    ("bottlerocket passes", NODE_GROUP, {**GROUP, "amiType": "BOTTLEROCKET_ARM_64"}, False),
    ("x86 ami fails", NODE_GROUP, {**GROUP, "amiType": "AL2023_x86_64_STANDARD"}, True),
    ("x86 type fails", NODE_GROUP, {**GROUP, "instanceTypes": ["m7g.large", "m6i.large"]}, True),
    # Unset amiType: EKS picks an x86_64 AMI.
    ("ami missing fails", NODE_GROUP, without(GROUP, "amiType"), True),
    # Unset instanceTypes and no launch template: EKS launches t3.medium.
    ("types missing fail", NODE_GROUP, without(GROUP, "instanceTypes", "launchTemplate"), True),
    # Unset instanceTypes with a launch template: the template names the type.
    ("types in template pass", NODE_GROUP, without(GROUP, "instanceTypes"), False),
    ("custom ami on graviton passes", NODE_GROUP, {**GROUP, "amiType": "CUSTOM"}, False),
]

EC2_CASES: list[Case] = [
    ("template passes", LAUNCH_TEMPLATE, {"instanceType": "m7g.large"}, False),
    ("template fails", LAUNCH_TEMPLATE, {"instanceType": "m6i.large"}, True),
    # Unset on a launch template: whoever uses it names the type.
    ("template missing passes", LAUNCH_TEMPLATE, {"description": "nodes"}, False),
    ("instance fails", EC2_INSTANCE, {"instanceType": "c6i.large", "ami": "ami-1"}, True),
    ("instance passes", EC2_INSTANCE, {"instanceType": "c7g.large", "ami": "ami-1"}, False),
]

RDS_CASES: list[Case] = [
    ("passes", RDS_INSTANCE, {"instanceClass": "db.r7g.large"}, False),
    ("fails", RDS_INSTANCE, {"instanceClass": "db.r6i.large"}, True),
    ("aurora fails", CLUSTER_INSTANCE, {"instanceClass": "db.r5.large"}, True),
    ("serverless exempt", CLUSTER_INSTANCE, {"instanceClass": "db.serverless"}, False),
    # Unset: the provider requires it; nothing to judge.
    ("missing passes", RDS_INSTANCE, {"engine": "postgres"}, False),
]

CASES = [
    (rule, case)
    for rule, cases in [
        ("graviton-node-groups", NODE_GROUP_CASES),
        ("graviton-ec2-instances", EC2_CASES),
        ("graviton-rds-instances", RDS_CASES),
    ]
    for case in cases
]


@pytest.mark.parametrize(("rule", "case"), CASES, ids=[f"{r}:{c[0]}" for r, c in CASES])
def test_graviton_rule(cost, rule, case):
    label, type_token, props, fires = case
    name = label.replace(" ", "-")
    found = [v for v in analyze(cost, type_token, props, name=name) if v.policyName == rule]
    urn = f"urn:pulumi:test::baseline::{type_token}::{name}"
    assert bool(found) == fires, f"{rule} on {urn} ({label}): {[v.detail for v in found]}"
    assert all(v.urn == urn for v in found), f"{rule}: reported on {[v.urn for v in found]}"


def test_node_group_message_names_the_x86_types(cost):
    props = {**GROUP, "instanceTypes": ["m7g.large", "m6i.large"]}
    found = [v for v in analyze(cost, NODE_GROUP, props) if v.policyName == "graviton-node-groups"]
    assert found and "['m6i.large']" in found[0].detail, [v.detail for v in found]


def test_node_group_default_type_is_named(cost):
    props = without(GROUP, "instanceTypes", "launchTemplate")
    found = [v for v in analyze(cost, NODE_GROUP, props) if v.policyName == "graviton-node-groups"]
    assert found and "t3.medium" in found[0].detail, [v.detail for v in found]


def test_db_exemptions_come_from_the_policy_config(cost):
    cfg = {"graviton-rds-instances": {"exemptInstanceClasses": ["db.x1e.*"]}}
    found = analyze(cost, RDS_INSTANCE, {"instanceClass": "db.x1e.xlarge"}, config=cfg)
    assert "graviton-rds-instances" not in {v.policyName for v in found}, found

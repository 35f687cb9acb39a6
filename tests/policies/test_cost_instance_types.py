"""The instance-type allow-list, driven through the analyzer three ways (an allowed type, a
refused one, and a resource that names none), with the lists of the dev policy config."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

RULE = "allowed-instance-types"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
RDS_INSTANCE = "aws:rds/instance:Instance"

CONFIG = {
    RULE: {
        "allowedInstanceTypes": ["t4g.*", "[cmr][678]g.large"],
        "nodeGroupInstanceTypes": {"*-system": ["t4g.medium", "t4g.large"]},
        "allowedDbInstanceClasses": ["db.t4g.*"],
    }
}

# (case, type token, logical name, properties, refused types named in the message)
CASES: list[tuple[str, str, str, dict[str, Any], list[str]]] = [
    ("workload passes", NODE_GROUP, "cluster-spot", {"instanceTypes": ["m7g.large"]}, []),
    (
        "workload fails",
        NODE_GROUP,
        "cluster-spot",
        {"instanceTypes": ["m7g.xlarge"]},
        ["m7g.xlarge"],
    ),
    ("system passes", NODE_GROUP, "cluster-system", {"instanceTypes": ["t4g.medium"]}, []),
    # Allowed globally, but not for the system group.
    ("system fails", NODE_GROUP, "cluster-system", {"instanceTypes": ["m7g.large"]}, ["m7g.large"]),
    # Unset and no launch template: EKS launches t3.medium.
    (
        "node group missing fails",
        NODE_GROUP,
        "cluster-spot",
        {"capacityType": "SPOT"},
        ["t3.medium"],
    ),
    ("template missing passes", LAUNCH_TEMPLATE, "lt", {"description": "nodes"}, []),
    ("template fails", LAUNCH_TEMPLATE, "lt", {"instanceType": "c7g.4xlarge"}, ["c7g.4xlarge"]),
    ("instance passes", EC2_INSTANCE, "vm", {"instanceType": "t4g.small", "ami": "ami-1"}, []),
    ("db passes", RDS_INSTANCE, "db", {"instanceClass": "db.t4g.medium"}, []),
    ("db fails", RDS_INSTANCE, "db", {"instanceClass": "db.r7g.large"}, ["db.r7g.large"]),
    ("db missing passes", RDS_INSTANCE, "db", {"engine": "postgres"}, []),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_allowed_instance_types(cost, case):
    label, type_token, name, props, refused = case
    found = [
        v
        for v in analyze(cost, type_token, props, config=CONFIG, name=name)
        if v.policyName == RULE
    ]
    urn = f"urn:pulumi:test::baseline::{type_token}::{name}"
    assert bool(found) == bool(refused), f"{RULE} on {urn} ({label}): {[v.detail for v in found]}"
    for t in refused:
        assert any(t in v.detail for v in found), f"{RULE} on {urn}: {t} not named in {found}"


def test_no_lists_in_the_policy_config_allow_everything(cost):
    found = analyze(cost, NODE_GROUP, {"instanceTypes": ["x2iedn.32xlarge"]}, name="big")
    assert RULE not in {v.policyName for v in found}, found

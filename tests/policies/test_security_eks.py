"""EKS rules, each driven through the analyzer three ways: a compliant resource, a failing one,
and one missing the property the rule reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

# The prod plan's cluster, trimmed to what the rules read.
GOOD_CLUSTER: dict[str, Any] = {
    "name": "baseline-prod",
    "version": "1.33",
    "enabledClusterLogTypes": ["api", "audit", "authenticator"],
    "encryptionConfig": {
        "provider": {"keyArn": "arn:aws:kms:us-east-1:123456789012:key/720c18ef"},
        "resources": ["secrets"],
    },
    "vpcConfig": {
        "endpointPrivateAccess": True,
        "endpointPublicAccess": False,
        "subnetIds": ["subnet-1", "subnet-2"],
    },
}
RESTRICTED_PUBLIC = {
    "endpointPrivateAccess": True,
    "endpointPublicAccess": True,
    "publicAccessCidrs": ["203.0.113.0/24"],
}
GOOD_NODE_GROUP: dict[str, Any] = {
    "clusterName": "baseline-prod",
    "version": "1.33",
    "nodeRoleArn": "arn:aws:iam::123456789012:role/cluster-nodes",
    "subnetIds": ["subnet-1"],
    "scalingConfig": {"desiredSize": 2, "maxSize": 3, "minSize": 2},
}


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


CASES: list[tuple[str, str, str, dict[str, Any], bool]] = [
    ("eks-endpoint-not-public", "passes", CLUSTER, GOOD_CLUSTER, False),
    (
        "eks-endpoint-not-public",
        "restricted",
        CLUSTER,
        {**GOOD_CLUSTER, "vpcConfig": RESTRICTED_PUBLIC},
        False,
    ),
    (
        "eks-endpoint-not-public",
        "fails",
        CLUSTER,
        {**GOOD_CLUSTER, "vpcConfig": {**RESTRICTED_PUBLIC, "publicAccessCidrs": ["0.0.0.0/0"]}},
        True,
    ),
    (
        "eks-endpoint-not-public",
        "ipv6 world",
        CLUSTER,
        {**GOOD_CLUSTER, "vpcConfig": {**RESTRICTED_PUBLIC, "publicAccessCidrs": ["::/0"]}},
        True,
    ),
    (
        "eks-endpoint-not-public",
        "public without cidrs",
        CLUSTER,
        {**GOOD_CLUSTER, "vpcConfig": {"endpointPublicAccess": True}},
        True,
    ),
    # Absent: EKS turns the public endpoint on, open to 0.0.0.0/0.
    ("eks-endpoint-not-public", "missing", CLUSTER, without(GOOD_CLUSTER, "vpcConfig"), True),
    (
        "eks-endpoint-not-public",
        "two half ranges",
        CLUSTER,
        {
            **GOOD_CLUSTER,
            "vpcConfig": {
                "endpointPublicAccess": True,
                "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"],
            },
        },
        True,
    ),
    (
        "eks-endpoint-not-public",
        "public ipv6",
        CLUSTER,
        {
            **GOOD_CLUSTER,
            "vpcConfig": {"endpointPublicAccess": "true", "publicAccessCidrs": ["2000::/3"]},
        },
        True,
    ),
    (
        "eks-endpoint-not-public",
        "office range",
        CLUSTER,
        {
            **GOOD_CLUSTER,
            "vpcConfig": {
                "endpointPublicAccess": True,
                "publicAccessCidrs": ["198.51.100.0/24", "8.8.8.0/22"],
            },
        },
        False,
    ),
    (
        "eks-endpoint-not-public",
        "unreadable flag",
        CLUSTER,
        {**GOOD_CLUSTER, "vpcConfig": {"endpointPublicAccess": "off"}},
        True,
    ),
    ("eks-secrets-encryption", "passes", CLUSTER, GOOD_CLUSTER, False),
    (
        "eks-secrets-encryption",
        "fails",
        CLUSTER,
        {**GOOD_CLUSTER, "encryptionConfig": {"provider": {}, "resources": ["secrets"]}},
        True,
    ),
    ("eks-secrets-encryption", "missing", CLUSTER, without(GOOD_CLUSTER, "encryptionConfig"), True),
    ("eks-control-plane-logging", "passes", CLUSTER, GOOD_CLUSTER, False),
    (
        "eks-control-plane-logging",
        "fails",
        CLUSTER,
        {**GOOD_CLUSTER, "enabledClusterLogTypes": ["api", "authenticator"]},
        True,
    ),
    (
        "eks-control-plane-logging",
        "missing",
        CLUSTER,
        without(GOOD_CLUSTER, "enabledClusterLogTypes"),
        True,
    ),
    ("eks-minimum-version", "passes", CLUSTER, GOOD_CLUSTER, False),
    ("eks-minimum-version", "fails", CLUSTER, {**GOOD_CLUSTER, "version": "1.29"}, True),
    ("eks-minimum-version", "missing", CLUSTER, without(GOOD_CLUSTER, "version"), True),
    ("eks-minimum-version", "node group passes", NODE_GROUP, GOOD_NODE_GROUP, False),
    (
        "eks-minimum-version",
        "node group fails",
        NODE_GROUP,
        {**GOOD_NODE_GROUP, "version": "1.30"},
        True,
    ),
    # A node group without a version runs its cluster's.
    (
        "eks-minimum-version",
        "node group missing",
        NODE_GROUP,
        without(GOOD_NODE_GROUP, "version"),
        False,
    ),
    ("eks-node-group-no-ssh", "passes", NODE_GROUP, GOOD_NODE_GROUP, False),
    (
        "eks-node-group-no-ssh",
        "fails",
        NODE_GROUP,
        {**GOOD_NODE_GROUP, "remoteAccess": {"ec2SshKey": "ops"}},
        True,
    ),
    (
        "eks-node-group-no-ssh",
        "restricted ssh",
        NODE_GROUP,
        {
            **GOOD_NODE_GROUP,
            "remoteAccess": {"ec2SshKey": "ops", "sourceSecurityGroupIds": ["sg-1"]},
        },
        True,
    ),
    (
        "eks-node-group-no-ssh",
        "missing",
        NODE_GROUP,
        without(GOOD_NODE_GROUP, "remoteAccess"),
        False,
    ),
]


@pytest.mark.parametrize("example", CASES, ids=[f"{r}:{c}" for r, c, _, _, _ in CASES])
def test_eks_rule(security, example):
    rule, case, type_token, props, fires = example
    name = f"{rule}-{case}".replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"


def test_minimum_version_comes_from_policy_config(security):
    cfg = {"eks-minimum-version": {"minimumVersion": "1.34"}}
    found = analyze(security, CLUSTER, GOOD_CLUSTER, config=cfg, name="old-for-config")
    assert "eks-minimum-version" in {v.policyName for v in found}, found


def test_versions_compare_as_numbers_not_text(security):
    cfg = {"eks-minimum-version": {"minimumVersion": "1.9"}}
    found = analyze(security, CLUSTER, GOOD_CLUSTER, config=cfg, name="one-thirty-three")
    assert "eks-minimum-version" not in {v.policyName for v in found}, found


def test_required_log_types_come_from_policy_config(security):
    cfg = {"eks-control-plane-logging": {"requiredLogTypes": ["api", "audit", "scheduler"]}}
    found = analyze(security, CLUSTER, GOOD_CLUSTER, config=cfg, name="needs-scheduler")
    details = [v.detail for v in found if v.policyName == "eks-control-plane-logging"]
    assert details and "scheduler" in details[0], found


# -- Karpenter's EC2NodeClass -------------------------------------------------------------------

NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
ROOT_VOLUME: dict[str, Any] = {
    "deviceName": "/dev/xvda",
    "ebs": {"volumeSize": "30Gi", "volumeType": "gp3", "encrypted": True},
}
IMDS: dict[str, Any] = {
    "httpEndpoint": "enabled",
    "httpPutResponseHopLimit": 1,
    "httpTokens": "required",
}


def node_class(**spec: Any) -> dict[str, Any]:
    """The dev plan's EC2NodeClass, trimmed to what the rules read, with `spec` keys replaced
    (None removes one)."""
    base: dict[str, Any] = {
        "amiSelectorTerms": [{"alias": "al2023@latest"}],
        "metadataOptions": IMDS,
        "blockDeviceMappings": [ROOT_VOLUME],
    }
    merged = {k: v for k, v in {**base, **spec}.items() if v is not None}
    return {"apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "spec": merged}


NODE_CLASS_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("karpenter-node-class-imdsv2", "passes", node_class(), False),
    (
        "karpenter-node-class-imdsv2",
        "imdsv1",
        node_class(metadataOptions={**IMDS, "httpTokens": "optional"}),
        True,
    ),
    (
        "karpenter-node-class-imdsv2",
        "hop limit 2",
        node_class(metadataOptions={**IMDS, "httpPutResponseHopLimit": 2}),
        True,
    ),
    ("karpenter-node-class-imdsv2", "missing", node_class(metadataOptions=None), True),
    (
        "karpenter-node-class-imdsv2",
        "unreadable hop limit",
        node_class(metadataOptions={**IMDS, "httpPutResponseHopLimit": "one"}),
        True,
    ),
    (
        "karpenter-node-class-imdsv2",
        "metadata service off",
        node_class(metadataOptions={"httpEndpoint": "disabled"}),
        False,
    ),
    ("karpenter-node-class-encrypted-volumes", "passes", node_class(), False),
    (
        "karpenter-node-class-encrypted-volumes",
        "fails",
        node_class(blockDeviceMappings=[{**ROOT_VOLUME, "ebs": {"volumeSize": "30Gi"}}]),
        True,
    ),
    (
        "karpenter-node-class-encrypted-volumes",
        "second volume clear",
        node_class(
            blockDeviceMappings=[
                ROOT_VOLUME,
                {"deviceName": "/dev/xvdb", "ebs": {"encrypted": "false"}},
            ]
        ),
        True,
    ),
    (
        "karpenter-node-class-encrypted-volumes",
        "missing",
        node_class(blockDeviceMappings=None),
        True,
    ),
    (
        "karpenter-node-class-encrypted-volumes",
        "unreadable",
        node_class(blockDeviceMappings=[{**ROOT_VOLUME, "ebs": {"encrypted": "yes"}}]),
        True,
    ),
    (
        "karpenter-node-class-encrypted-volumes",
        "not a list",
        node_class(blockDeviceMappings={"deviceName": "/dev/xvda"}),
        True,
    ),
]


@pytest.mark.parametrize(
    "example", NODE_CLASS_CASES, ids=[f"{r}:{c}" for r, c, _, _ in NODE_CLASS_CASES]
)
def test_karpenter_node_class_rule(security, example):
    rule, case, props, fires = example
    name = f"{rule}-{case}".replace(" ", "-")
    found = [v for v in analyze(security, NODE_CLASS, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {NODE_CLASS}::{name}: {[v.detail for v in found]}"


def test_node_class_rules_match_other_api_versions(security):
    beta = "kubernetes:karpenter.k8s.aws/v1beta1:EC2NodeClass"
    found = analyze(security, beta, node_class(metadataOptions=None), name="beta")
    assert "karpenter-node-class-imdsv2" in {v.policyName for v in found}, found

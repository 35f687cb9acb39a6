"""Add-ons, read from the dev and prod plans: the EBS CSI driver add-on and its role, the default
gp3 StorageClass and its key, the AWS Load Balancer Controller (chart, role, system nodes),
metrics-server, and each one switched off by its config key."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.addons import (
    DEFAULT_CLASS_ANNOTATION,
    EBS_CSI_POLICY_ARN,
    AddonsArgs,
    check_addons,
)
from tests.conftest import plan
from toolchain.export import Resource, StackExport
from toolchain.upstream import load_balancer_controller_policy

ADDON = "aws:eks/addon:Addon"
RELEASE = "kubernetes:helm.sh/v3:Release"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
KMS_KEY = "aws:kms/key:Key"


def addons_of(export: StackExport, type_token: str) -> list[Resource]:
    return [r for r in export.of_type(type_token) if export.component_of(r) == "addons"]


def named(export: StackExport, type_token: str, name: str) -> Resource:
    found = [r for r in addons_of(export, type_token) if r.name == name]
    assert len(found) == 1, f"{type_token}::{name}: found {[r.urn for r in found]}"
    return found[0]


def values(release: Resource) -> dict[str, Any]:
    raw = release.inputs.get("values")
    return json.loads(raw) if isinstance(raw, str) else dict(raw or {})


def sub_of(role: Resource) -> str:
    trust = json.loads(role.inputs["assumeRolePolicy"])
    [(_, conditions)] = trust["Statement"][0]["Condition"].items()
    return next(v for k, v in conditions.items() if k.endswith(":sub"))


def test_ebs_csi_driver_is_an_eks_addon_with_its_irsa_role(each_stack: StackExport) -> None:
    addon = named(each_stack, ADDON, "addons-ebs-csi-driver")
    assert addon.inputs["addonName"] == "aws-ebs-csi-driver", addon.urn
    role = named(each_stack, ROLE, "addons-ebs-csi")
    assert addon.inputs["serviceAccountRoleArn"] == role.outputs["arn"], addon.urn
    assert sub_of(role) == "system:serviceaccount:kube-system:ebs-csi-controller-sa", role.urn
    attachment = named(each_stack, ATTACHMENT, "addons-ebs-csi")
    assert attachment.inputs["policyArn"] == EBS_CSI_POLICY_ARN, attachment.urn
    config = json.loads(addon.inputs["configurationValues"])
    assert config["controller"]["nodeSelector"] == {"role": "system"}, addon.urn


def test_the_driver_may_use_only_the_volume_key(each_stack: StackExport) -> None:
    key = named(each_stack, KMS_KEY, "addons-volumes")
    grant = json.loads(named(each_stack, ROLE_POLICY, "addons-ebs-csi-key").inputs["policy"])
    resources = {s["Resource"] for s in grant["Statement"]}
    assert resources == {key.outputs["arn"]}, grant
    creates = next(s for s in grant["Statement"] if "kms:CreateGrant" in s["Action"])
    assert creates["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}, creates


def test_default_storage_class_is_encrypted_gp3_waiting_for_its_pod(
    each_stack: StackExport,
) -> None:
    sc = named(each_stack, STORAGE_CLASS, "addons-storage-class")
    key = named(each_stack, KMS_KEY, "addons-volumes")
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert sc.inputs["metadata"]["annotations"][DEFAULT_CLASS_ANNOTATION] == "true", sc.urn
    assert sc.inputs["provisioner"] == "ebs.csi.aws.com", sc.urn
    params = sc.inputs["parameters"]
    assert params["type"] == "gp3" and params["encrypted"] == "true", sc.urn
    assert params["kmsKeyId"] == key.outputs["arn"], sc.urn
    assert sc.inputs["volumeBindingMode"] == "WaitForFirstConsumer", sc.urn
    assert sc.inputs["allowVolumeExpansion"] is True, sc.urn


def test_load_balancer_controller_holds_the_upstream_policy(each_stack: StackExport) -> None:
    role = named(each_stack, ROLE, "addons-lb-controller")
    assert sub_of(role) == "system:serviceaccount:kube-system:aws-load-balancer-controller"
    grant = named(each_stack, ROLE_POLICY, "addons-lb-controller")
    assert json.loads(grant.inputs["policy"]) == load_balancer_controller_policy(), grant.urn


def test_load_balancer_controller_chart_is_pinned_on_the_system_nodes(
    each_stack: StackExport,
) -> None:
    release = named(each_stack, RELEASE, "addons-lb-controller")
    assert release.inputs["chart"] == "aws-load-balancer-controller", release.urn
    assert release.inputs["version"] == "1.4.1", release.urn
    v = values(release)
    assert v["nodeSelector"] == {"role": "system"}, release.urn
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in v["tolerations"], release.urn
    # The hop limit of 1 hides IMDS from pods: region and VPC are given.
    assert v["region"] == "us-east-1" and v["vpcId"], release.urn
    role = named(each_stack, ROLE, "addons-lb-controller")
    assert v["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"] == role.outputs["arn"]


def test_controller_replicas_follow_the_stack(dev: StackExport, prod: StackExport) -> None:
    assert values(named(dev, RELEASE, "addons-lb-controller"))["replicaCount"] == 1
    assert values(named(prod, RELEASE, "addons-lb-controller"))["replicaCount"] == 2
    assert values(named(prod, RELEASE, "addons-metrics-server"))["podDisruptionBudget"]["enabled"]


def test_metrics_server_chart_is_pinned_on_the_system_nodes(each_stack: StackExport) -> None:
    release = named(each_stack, RELEASE, "addons-metrics-server")
    assert release.inputs["chart"] == "metrics-server", release.urn
    assert release.inputs["version"] == "3.13.0", release.urn
    assert values(release)["nodeSelector"] == {"role": "system"}, release.urn


@pytest.mark.parametrize(
    ("key", "gone"),
    [
        ("enableEbsCsiDriver", [ADDON, STORAGE_CLASS, KMS_KEY]),
        pytest.param("enableLoadBalancerController", [RELEASE], marks=pytest.mark.slow),
        pytest.param("enableMetricsServer", [RELEASE], marks=pytest.mark.slow),
    ],
)
def test_each_addon_is_switched_off_in_config(key: str, gone: list[str], dev: StackExport) -> None:
    export = plan("dev", **{key: "false"})
    full = dev
    for type_token in gone:
        assert len(addons_of(export, type_token)) < len(addons_of(full, type_token)), (
            key,
            type_token,
        )


def test_replicas_must_be_positive() -> None:
    with pytest.raises(ValueError, match="load_balancer_controller_replicas"):
        check_addons(
            AddonsArgs(
                cluster_name="c",
                region="us-east-1",
                vpc_id="v",
                oidc_provider_arn="a",
                oidc_provider_url="u",
                load_balancer_controller_replicas=0,
            )
        )

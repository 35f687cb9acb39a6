"""Autoscaling: Karpenter's IRSA role and its scoped policy, the nodes' role, instance profile and
access entry, the interruption queue and its rules, the charts, the EC2NodeClass and the NodePool;
and, on the real plans, each stack's fallback configuration."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.autoscaling import (
    INTERRUPTION_EVENTS,
    Autoscaling,
    AutoscalingArgs,
    check_node_pool,
    controller_policy,
    interruption_queue_policy,
)
from tests.conftest import one, run_component
from toolchain.export import Resource, StackExport

ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
RELEASE = "kubernetes:helm.sh/v3:Release"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:baseline-dev-karpenter"
NODE_ROLE = "arn:aws:iam::123456789012:role/autoscaling-nodes"
PROFILE = "arn:aws:iam::123456789012:instance-profile/autoscaling-nodes"

ARGS = AutoscalingArgs(
    cluster_name="baseline-dev",
    region="us-east-1",
    account_id="123456789012",
    oidc_provider_arn=PROVIDER_ARN,
    oidc_provider_url=ISSUER,
    cluster_security_group_id="sg-0cluster",
    controller_replicas=1,
    instance_families=("m7g", "c7g", "r7g", "m6g"),
    instance_sizes=("large",),
    cpu_limit=16,
    disruption_budget="20%",
    node_tags={"project": "baseline", "stack": "dev"},
)


@pytest.fixture(scope="module")
def export() -> StackExport:
    def program() -> dict[str, Any]:
        aws_provider = aws.Provider("aws", region="us-east-1")
        k8s_provider = k8s.Provider("k8s", kubeconfig="{}")
        autoscaling = Autoscaling(
            "autoscaling",
            ARGS,
            pulumi.ResourceOptions(providers=[aws_provider, k8s_provider]),
        )
        return {"queue": autoscaling.interruption_queue_name}

    return run_component(program)


def statements(doc: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(doc)["Statement"]}


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def requirement(pool: Resource, key: str) -> dict[str, Any]:
    reqs = pool.inputs["spec"]["template"]["spec"]["requirements"]
    (found,) = [r for r in reqs if r["key"] == key]
    return found


# -- the controller's permissions (pure) --------------------------------------------------------


@pytest.fixture(scope="module")
def policy() -> dict[str, dict[str, Any]]:
    return statements(
        controller_policy(
            "baseline-dev",
            "us-east-1",
            "123456789012",
            queue_arn=QUEUE_ARN,
            node_role_arn=NODE_ROLE,
            instance_profile_arn=PROFILE,
        )
    )


def test_instances_are_created_only_with_the_clusters_and_a_node_pools_tags(policy):
    create = policy["CreateOnlyTaggedForThisCluster"]
    assert set(create["Action"]) == {
        "ec2:RunInstances",
        "ec2:CreateFleet",
        "ec2:CreateLaunchTemplate",
    }
    cond = create["Condition"]
    assert cond["StringEquals"]["aws:RequestTag/kubernetes.io/cluster/baseline-dev"] == "owned"
    assert cond["StringEquals"]["aws:RequestTag/eks:eks-cluster-name"] == "baseline-dev"
    assert cond["StringLike"] == {"aws:RequestTag/karpenter.sh/nodepool": "*"}
    assert all(r.startswith("arn:aws:ec2:us-east-1:") for r in create["Resource"])


def test_only_own_instances_are_terminated(policy):
    delete = policy["DeleteOnlyOwn"]
    assert "ec2:TerminateInstances" in delete["Action"]
    cond = delete["Condition"]
    assert cond["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/baseline-dev": "owned"}
    assert cond["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}


def test_only_the_node_role_is_passed_and_only_to_ec2(policy):
    passing = policy["PassOnlyTheNodeRole"]
    assert passing["Resource"] == NODE_ROLE
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}}
    assert not any(
        a.startswith("iam:") and a != "iam:GetInstanceProfile"
        for s in policy.values()
        for a in listed(s["Action"])
        if s["Sid"] != "PassOnlyTheNodeRole"
    )


def test_queue_access_is_receive_and_delete_on_the_interruption_queue(policy):
    queue = policy["InterruptionQueue"]
    assert queue["Resource"] == QUEUE_ARN
    assert set(queue["Action"]) == {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueUrl"}


def test_nothing_but_reads_and_prices_apply_to_every_resource(policy):
    for sid, statement in policy.items():
        if statement["Resource"] == "*":
            for action in listed(statement["Action"]):
                verb = action.split(":", 1)[1]
                assert verb.startswith(("Describe", "Get")), f"{sid}: {action} on *"
    assert policy["RegionalReads"]["Condition"] == {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"}
    }


def test_the_queue_admits_only_eventbridge_from_its_rules():
    rules = ["arn:aws:events:us-east-1:123456789012:rule/a", "arn:aws:events:us-east-1:1:rule/b"]
    doc = statements(interruption_queue_policy(QUEUE_ARN, rules))
    send = doc["EventBridgeRulesSend"]
    assert send["Principal"] == {"Service": "events.amazonaws.com"}
    assert send["Action"] == "sqs:SendMessage"
    assert send["Condition"] == {"ArnEquals": {"aws:SourceArn": rules}}
    assert doc["DenyInsecureTransport"]["Effect"] == "Deny"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instance_families": ("m7g", "m7i", "c7g")}, "Graviton"),
        ({"instance_families": ("m7g", "c7g")}, "at least 3 families"),
        ({"capacity_types": ("spot", "reserved")}, "spot and/or on-demand"),
        ({"cpu_limit": 0}, "cpu_limit"),
        ({"disruption_budget": "lots"}, "disruption_budget"),
    ],
)
def test_bad_node_pool_choices_are_refused(overrides, message):
    bad = AutoscalingArgs(**{**ARGS.__dict__, **overrides})
    with pytest.raises(ValueError, match=message):
        check_node_pool(bad)


# -- the component ------------------------------------------------------------------------------


def test_controller_trust_pins_karpenters_service_account_and_sts(export):
    role = next(
        r for r in export.of_type("aws:iam/role:Role") if r.name == "autoscaling-controller"
    )
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Principal"] == {"Federated": PROVIDER_ARN}, role.urn
    assert statement["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:sub": "system:serviceaccount:karpenter:karpenter",
            f"{ISSUER}:aud": "sts.amazonaws.com",
        }
    }, role.urn


def test_nodes_get_their_own_role_instance_profile_and_access_entry(export):
    node_role = next(
        r for r in export.of_type("aws:iam/role:Role") if r.name == "autoscaling-nodes"
    )
    assert "ec2.amazonaws.com" in node_role.inputs["assumeRolePolicy"], node_role.urn
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in export.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert "AmazonEKSWorkerNodePolicy" in attached and "AmazonSSMManagedInstanceCore" in attached
    profile = one(export, "aws:iam/instanceProfile:InstanceProfile")
    assert profile.inputs["role"] == node_role.outputs["name"], profile.urn
    entry = one(export, "aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["type"] == "EC2_LINUX", entry.urn
    assert entry.inputs["principalArn"] == node_role.outputs["arn"], entry.urn


def test_interruption_queue_is_encrypted_and_fed_by_four_rules(export):
    queue = one(export, "aws:sqs/queue:Queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True, queue.urn
    assert queue.inputs["name"] == "baseline-dev-karpenter", queue.urn
    rules = {r.name: r for r in export.of_type("aws:cloudwatch/eventRule:EventRule")}
    targets = {t.name: t for t in export.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert len(rules) == len(targets) == len(INTERRUPTION_EVENTS) == 4
    for role, source, detail_type in INTERRUPTION_EVENTS:
        rule = rules[f"autoscaling-{role}"]
        assert json.loads(rule.inputs["eventPattern"]) == {
            "source": [source],
            "detail-type": [detail_type],
        }, rule.urn
        target = targets[f"autoscaling-{role}"]
        assert target.inputs["arn"] == queue.outputs["arn"], target.urn
        assert target.inputs["rule"] == rule.outputs["name"], target.urn
    queue_policy = one(export, "aws:sqs/queuePolicy:QueuePolicy")
    send = statements(queue_policy.inputs["policy"])["EventBridgeRulesSend"]
    assert set(send["Condition"]["ArnEquals"]["aws:SourceArn"]) == {
        r.outputs["arn"] for r in rules.values()
    }, queue_policy.urn


def test_charts_are_pinned_and_the_crds_come_from_their_own_chart(export):
    releases = {r.inputs["name"]: r for r in export.of_type(RELEASE)}
    assert set(releases) == {"karpenter-crd", "karpenter"}
    for release in releases.values():
        assert release.inputs["version"] == "1.9.0", release.urn
        assert release.inputs["chart"].startswith("oci://public.ecr.aws/karpenter/"), release.urn
    controller = releases["karpenter"]
    assert controller.inputs["skipCrds"] is True, controller.urn
    assert releases["karpenter-crd"].urn in controller.dependencies, controller.urn


def test_controller_runs_on_the_system_nodes_with_its_irsa_role_and_queue(export):
    controller = next(r for r in export.of_type(RELEASE) if r.inputs["name"] == "karpenter")
    values = controller.inputs["values"]
    role = next(
        r for r in export.of_type("aws:iam/role:Role") if r.name == "autoscaling-controller"
    )
    assert values["serviceAccount"] == {
        "name": "karpenter",
        "annotations": {"eks.amazonaws.com/role-arn": role.outputs["arn"]},
    }
    assert values["settings"] == {
        "clusterName": "baseline-dev",
        "interruptionQueue": "baseline-dev-karpenter",
    }
    assert values["nodeSelector"] == {"role": "system"}
    assert {"key": "CriticalAddonsOnly", "operator": "Exists"} in values["tolerations"]
    assert values["replicas"] == 1


def test_node_class_locks_down_metadata_encrypts_disks_and_tags_for_cost(export):
    spec = one(export, NODE_CLASS).inputs["spec"]
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (volume,) = spec["blockDeviceMappings"]
    assert volume["ebs"]["encrypted"] is True and volume["ebs"]["volumeType"] == "gp3"
    assert spec["subnetSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": "baseline-dev"}}]
    assert {"id": "sg-0cluster"} in spec["securityGroupSelectorTerms"]
    assert spec["tags"]["stack"] == "dev" and spec["tags"]["project"] == "baseline"
    profile = one(export, "aws:iam/instanceProfile:InstanceProfile")
    assert spec["instanceProfile"] == profile.outputs["name"]


def test_node_pool_is_arm64_spot_first_bounded_and_consolidating(export):
    pool = one(export, NODE_POOL)
    assert requirement(pool, "kubernetes.io/arch")["values"] == ["arm64"]
    assert requirement(pool, "karpenter.sh/capacity-type")["values"] == ["spot", "on-demand"]
    assert requirement(pool, "karpenter.k8s.aws/instance-family")["values"] == [
        "m7g",
        "c7g",
        "r7g",
        "m6g",
    ]
    assert requirement(pool, "karpenter.k8s.aws/instance-size")["values"] == ["large"]
    spec = pool.inputs["spec"]
    assert spec["limits"] == {"cpu": "16"}
    assert spec["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert spec["disruption"]["budgets"] == [{"nodes": "20%"}]
    assert (
        spec["template"]["spec"]["nodeClassRef"]["name"]
        == one(export, NODE_CLASS).inputs["metadata"]["name"]
    )


# -- each stack, as planned ---------------------------------------------------------------------


# Per stack: (CPU ceiling, instance sizes, controller replicas), as Pulumi.<stack>.yaml sets them.
EXPECTED = {"dev": ("16", ["large"], 1), "prod": ("64", ["large", "xlarge", "2xlarge"], 2)}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stack_falls_back_from_spot_to_on_demand_under_its_ceiling(stack, dev, prod):
    cpu, sizes, replicas = EXPECTED[stack]
    export = dev if stack == "dev" else prod
    pool = one(export, NODE_POOL)
    assert requirement(pool, "karpenter.sh/capacity-type")["values"] == ["spot", "on-demand"]
    families = requirement(pool, "karpenter.k8s.aws/instance-family")["values"]
    assert len(families) >= 3 and all(f.endswith("g") for f in families), pool.urn
    assert requirement(pool, "karpenter.k8s.aws/instance-size")["values"] == sizes
    assert pool.inputs["spec"]["limits"]["cpu"] == cpu
    controller = next(r for r in export.of_type(RELEASE) if r.inputs["name"] == "karpenter")
    assert controller.inputs["values"]["replicas"] == replicas


@pytest.mark.parametrize(("stack", "floor"), [("dev", {"SPOT": 1}), ("prod", {"ON_DEMAND": 2})])
def test_the_managed_workload_groups_are_a_fixed_floor(stack, floor, dev, prod):
    export = dev if stack == "dev" else prod
    groups = [
        g
        for g in export.of_type("aws:eks/nodeGroup:NodeGroup")
        if g.inputs["labels"].get("role") == "workload"
    ]
    found = {}
    for g in groups:
        scaling = g.inputs["scalingConfig"]
        assert scaling["minSize"] == scaling["maxSize"], g.urn
        found[g.inputs["capacityType"]] = scaling["minSize"]
    assert found == floor


def test_karpenter_discovers_the_private_subnets_and_the_nodes_group_only(dev):
    tagged = {
        r.name
        for r in [
            *dev.of_type("aws:ec2/subnet:Subnet"),
            *dev.of_type("aws:ec2/securityGroup:SecurityGroup"),
        ]
        if (r.inputs.get("tags") or {}).get("karpenter.sh/discovery") == "baseline-dev"
    }
    assert tagged == {
        "network-private-0",
        "network-private-1",
        "network-private-2",
        "cluster-nodes",
    }

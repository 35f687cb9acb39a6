"""Cluster: private API, encrypted secrets, control-plane logs, Graviton node groups on AL2023 with
IMDSv2 launch templates, add-ons, IRSA, access entries and namespaces per environment."""

import ipaddress
import json
import re

import pulumi
import pulumi_aws as aws
import pytest

from components.cluster import (
    AMI_TYPE,
    ClusterArgs,
    check_cidrs,
    instance_families,
    kubeconfig,
    namespace_labels,
    node_group_plans,
    public_endpoint,
    role_name,
    vpc_cni_configuration,
)
from components.cluster import Cluster as ClusterComponent
from tests.conftest import one, run_component
from toolchain.export import Resource, StackExport, is_secret

CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
NAMESPACE = "kubernetes:core/v1:Namespace"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]
ADMIN = "arn:aws:iam::123456789012:role/platform/PlatformAdmin"
GRAVITON = r"^[a-z]+\d+g[a-z]*\."

# The shapes of Pulumi.dev.yaml and Pulumi.prod.yaml.
DEV = {
    "cluster_name": "baseline-dev",
    "public_access_cidrs": ("203.0.113.0/24",),
    "log_retention_days": 14,
    "system_instance_types": ("t4g.medium",),
    "system_min": 1,
    "system_max": 2,
    "workload_instance_types": ("m7g.large", "m6g.large", "c7g.large", "r7g.large"),
    "on_demand_min": 0,
    "on_demand_max": 0,
    "spot_min": 1,
    "spot_max": 5,
    "environments": ("dev", "staging", "qa"),
    "admin_role_arns": (ADMIN,),
    "node_tags": {"cost-center": "cc-1234"},
}
PROD = {
    "cluster_name": "baseline-prod",
    "public_access_cidrs": (),
    "private_access_cidrs": ("10.0.0.0/16",),
    "log_retention_days": 90,
    "system_instance_types": ("m7g.large",),
    "system_min": 2,
    "system_max": 3,
    "workload_instance_types": ("m7g.xlarge", "m6g.xlarge", "c7g.xlarge", "r7g.xlarge"),
    "on_demand_min": 2,
    "on_demand_max": 6,
    "spot_min": 0,
    "spot_max": 10,
    "node_volume_gb": 50,
    "environments": ("prod",),
}


def args(**overrides) -> ClusterArgs:
    return ClusterArgs(
        region="us-east-1", vpc_id="vpc-0test", private_subnet_ids=SUBNETS, **overrides
    )


def cluster(*names: str, **overrides) -> StackExport:
    """One program with a Cluster component per name, all with the same Args."""

    def program():
        provider = aws.Provider(
            "aws",
            region="us-east-1",
            default_tags=aws.ProviderDefaultTagsArgs(tags={"project": "baseline"}),
        )
        outputs = {}
        for name in names:
            c = ClusterComponent(
                name,
                args(**{**overrides, "cluster_name": f"{overrides['cluster_name']}-{name}"})
                if len(names) > 1
                else args(**overrides),
                pulumi.ResourceOptions(providers=[provider]),
            )
            outputs[f"{name}Kubeconfig"] = c.kubeconfig
            outputs[f"{name}OidcProviderUrl"] = c.oidc_provider_url
            outputs[f"{name}NodeSecurityGroupId"] = c.node_security_group_id
        return outputs

    return run_component(program)


@pytest.fixture(scope="module")
def dev() -> StackExport:
    return cluster("cluster", **DEV)


@pytest.fixture(scope="module")
def prod() -> StackExport:
    return cluster("cluster", **PROD)


@pytest.fixture(scope="module", params=["dev", "prod"])
def each(request, dev, prod) -> StackExport:
    return dev if request.param == "dev" else prod


def role(r: Resource) -> str:
    """The role part of a child's name (`cluster-workload-spot` -> `workload-spot`)."""
    return r.name.removeprefix("cluster-")


def node_groups(export: StackExport) -> dict[str, Resource]:
    return {role(r): r for r in export.of_type(NODE_GROUP)}


def security_group(export: StackExport, role_: str) -> Resource:
    [sg] = [r for r in export.of_type(SECURITY_GROUP) if role(r) == role_]
    return sg


# -- pure decisions -------------------------------------------------------------------------------


def test_public_endpoint_only_with_an_allow_list():
    assert public_endpoint([]) == (False, [])
    assert public_endpoint(["203.0.113.0/24"]) == (True, ["203.0.113.0/24"])


@pytest.mark.parametrize("cidr", ["0.0.0.0/0", "::/0"])
def test_public_endpoint_refuses_the_whole_internet(cidr):
    with pytest.raises(ValueError, match="whole internet"):
        public_endpoint(["203.0.113.0/24", cidr])


def test_public_endpoint_refuses_what_is_not_a_cidr():
    with pytest.raises(ValueError, match="not a CIDR"):
        public_endpoint(["office"])


def test_private_access_refuses_the_whole_internet_naming_the_field():
    with pytest.raises(ValueError, match=r"private_access_cidrs: 0\.0\.0\.0/0"):
        check_cidrs("private_access_cidrs", ["0.0.0.0/0"])


def test_plans_for_dev_are_system_and_spot():
    plans = {p.role: p for p in node_group_plans(args(**DEV))}
    assert set(plans) == {"system", "workload-spot"}
    assert plans["workload-spot"].capacity_type == "SPOT"
    assert plans["system"].capacity_type == "ON_DEMAND"


def test_plans_for_prod_add_an_on_demand_baseline():
    plans = {p.role: p for p in node_group_plans(args(**PROD))}
    assert set(plans) == {"system", "workload-ondemand", "workload-spot"}
    assert (plans["workload-ondemand"].min_size, plans["workload-ondemand"].max_size) == (2, 6)


def test_desired_size_starts_at_min_and_the_system_group_at_one_or_more():
    plans = {p.role: p for p in node_group_plans(args(**{**PROD, "system_min": 0}))}
    assert plans["system"].desired_size == 1
    assert plans["workload-ondemand"].desired_size == 2
    assert plans["workload-spot"].desired_size == 0
    for p in plans.values():
        assert p.min_size <= p.desired_size <= p.max_size, p.role


def test_the_system_group_is_tainted_for_critical_addons_only():
    system = node_group_plans(args(**DEV))[0]
    assert system.taints == (("CriticalAddonsOnly", "true", "NO_SCHEDULE"),)


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"system_instance_types": ("t3.medium",)}, "system_instance_types: t3.medium"),
        ({"workload_instance_types": ("m7g.large", "m5.large", "c7g.large")}, "m5.large"),
        ({"workload_instance_types": ("m7g.large", "m7g.xlarge", "c7g.large")}, "3 instance"),
        ({"system_max": 0, "system_min": 0}, "system_max"),
        ({"spot_min": 3, "spot_max": 2}, "spot_min/spot_max"),
        ({"spot_max": 0, "spot_min": 0, "on_demand_max": 0}, "no room"),
        ({"workload_instance_types": ()}, "at least one instance type"),
    ],
)
def test_bad_node_args_fail_naming_the_field(overrides, expected):
    with pytest.raises(ValueError, match=expected):
        node_group_plans(args(**overrides))


def test_on_demand_only_needs_no_three_families():
    plans = node_group_plans(
        args(workload_instance_types=("m7g.large",), spot_max=0, spot_min=0, on_demand_max=2)
    )
    assert [p.role for p in plans] == ["system", "workload-ondemand"]


def test_vpc_cni_enforces_network_policies():
    # Without the add-on's policy agent the default-deny NetworkPolicies would be enforced by
    # nothing (the API server accepts them either way).
    assert json.loads(vpc_cni_configuration())["enableNetworkPolicy"] == "true"


def test_vpc_cni_configuration_enables_prefix_delegation():
    env = json.loads(vpc_cni_configuration())["env"]
    assert env == {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}


def test_namespace_labels_enforce_restricted_at_the_clusters_version():
    labels = namespace_labels("qa")
    assert labels["environment"] == "qa"
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "latest"
    assert labels["pod-security.kubernetes.io/audit"] == "restricted"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_an_exception_enforces_its_level_and_still_warns_restricted():
    labels = namespace_labels("qa", "baseline")
    assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["pod-security.kubernetes.io/warn"] == "restricted"
    with pytest.raises(ValueError, match="not one of"):
        namespace_labels("qa", "lenient")


def test_an_exception_for_no_environment_is_refused():
    with pytest.raises(ValueError, match="not environments"):
        cluster("cluster", **{**DEV, "pod_security_exceptions": {"prod": "baseline"}})


def test_kubeconfig_gets_tokens_from_the_aws_cli():
    cfg = json.loads(kubeconfig("c1", "https://x.eks.amazonaws.com", "Q0E=", "eu-west-1"))
    assert cfg["clusters"][0]["cluster"]["server"] == "https://x.eks.amazonaws.com"
    exec_ = cfg["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:2] == ["eks", "get-token"]
    assert exec_["args"][exec_["args"].index("--cluster-name") + 1] == "c1"
    assert exec_["args"][exec_["args"].index("--region") + 1] == "eu-west-1"
    assert "token" not in cfg["users"][0]["user"]


def test_role_name_of_an_arn():
    assert role_name(ADMIN) == "platformadmin"
    with pytest.raises(ValueError, match="not an IAM role ARN"):
        role_name("arn:aws:iam::123456789012:user/alice")


# -- control plane --------------------------------------------------------------------------------


def test_the_endpoint_is_private_and_public_only_for_the_allow_list(dev):
    c = one(dev, CLUSTER)
    vpc = c.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True, c.urn
    assert vpc["endpointPublicAccess"] is True, c.urn
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"], c.urn
    assert vpc["subnetIds"] == SUBNETS, c.urn


def test_without_an_allow_list_the_endpoint_is_private_only(prod):
    c = one(prod, CLUSTER)
    vpc = c.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True, c.urn
    assert vpc["endpointPublicAccess"] is False, c.urn
    assert "publicAccessCidrs" not in vpc, c.urn


def test_the_private_endpoint_admits_https_from_the_listed_networks(prod):
    c, api = one(prod, CLUSTER), security_group(prod, "api")
    assert c.inputs["vpcConfig"]["securityGroupIds"] == [api.outputs["id"]], c.urn
    [rule] = api.inputs["ingress"]
    assert (rule["protocol"], rule["fromPort"], rule["toPort"]) == ("tcp", 443, 443), api.urn
    assert rule["cidrBlocks"] == ["10.0.0.0/16"], api.urn
    assert rule["description"] and api.inputs["description"], api.urn


def test_without_private_access_cidrs_no_extra_api_security_group(dev):
    assert [role(r) for r in dev.of_type(SECURITY_GROUP)] == ["nodes"]
    assert "securityGroupIds" not in one(dev, CLUSTER).inputs["vpcConfig"]


def test_the_api_is_never_open_to_the_internet(each):
    c = one(each, CLUSTER)
    for cidr in c.inputs["vpcConfig"].get("publicAccessCidrs", []):
        assert ipaddress.ip_network(cidr).prefixlen > 0, f"{c.urn}: {cidr}"


def test_the_cluster_has_its_explicit_name_and_version(prod):
    c = one(prod, CLUSTER)
    assert (c.inputs["name"], c.inputs["version"]) == ("baseline-prod", "1.33"), c.urn


def test_secrets_are_encrypted_with_a_rotating_key(each):
    c, key = one(each, CLUSTER), one(each, "aws:kms/key:Key")
    enc = c.inputs["encryptionConfig"]
    assert enc["resources"] == ["secrets"], c.urn
    assert enc["provider"]["keyArn"] == key.outputs["arn"], c.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    alias = one(each, "aws:kms/alias:Alias")
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"], alias.urn
    assert alias.inputs["name"].startswith("alias/"), alias.urn


def test_the_control_plane_role_may_use_the_key(dev):
    key = one(dev, "aws:kms/key:Key")
    policy = json.loads(one(dev, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    statement = policy["Statement"][0]
    assert statement["Resource"] == key.outputs["arn"]
    assert {"kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"} <= set(statement["Action"])


def test_control_plane_logs_go_to_a_log_group_with_retention(dev):
    c, logs = one(dev, CLUSTER), one(dev, "aws:cloudwatch/logGroup:LogGroup")
    assert {"api", "audit", "authenticator"} <= set(c.inputs["enabledClusterLogTypes"]), c.urn
    assert logs.inputs["name"] == "/aws/eks/baseline-dev/cluster", logs.urn
    assert logs.inputs["retentionInDays"] == 14, logs.urn
    assert logs.urn in c.dependencies, f"{c.urn} must be created after {logs.urn}"


def test_access_is_by_access_entries_and_the_deployer_is_admin(each):
    c = one(each, CLUSTER)
    assert c.inputs["accessConfig"] == {
        "authenticationMode": "API",
        "bootstrapClusterCreatorAdminPermissions": True,
    }, c.urn


def test_admin_roles_get_a_cluster_scoped_admin_policy(dev):
    entry = one(dev, "aws:eks/accessEntry:AccessEntry")
    assoc = one(dev, "aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert entry.inputs["principalArn"] == ADMIN, entry.urn
    assert entry.inputs["clusterName"] == "baseline-dev", entry.urn
    assert assoc.inputs["principalArn"] == ADMIN, assoc.urn
    assert assoc.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy"), assoc.urn
    assert assoc.inputs["accessScope"] == {"type": "cluster"}, assoc.urn
    assert entry.urn in assoc.dependencies, assoc.urn


def test_no_admin_roles_no_access_entries(prod):
    assert prod.of_type("aws:eks/accessEntry:AccessEntry") == []


def test_the_cluster_role_has_the_eks_cluster_policy(dev):
    attached = [
        a.inputs["policyArn"]
        for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if role(a).startswith("control-plane")
    ]
    assert attached == ["arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"]


def test_the_oidc_provider_trusts_sts_for_the_cluster_issuer(dev):
    oidc = one(dev, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    issuer = one(dev, CLUSTER).outputs["identities"][0]["oidcs"][0]["issuer"]
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"], oidc.urn
    assert oidc.inputs["url"] == issuer, oidc.urn
    assert dev.stack_outputs["clusterOidcProviderUrl"] == issuer.removeprefix("https://")


# -- add-ons --------------------------------------------------------------------------------------


def test_managed_addons_with_prefix_delegation(each):
    addons = {a.inputs["addonName"]: a for a in each.of_type(ADDON)}
    assert set(addons) == {"vpc-cni", "coredns", "kube-proxy"}
    for a in addons.values():
        assert a.inputs["resolveConflictsOnUpdate"] == "OVERWRITE", a.urn
    cni = addons["vpc-cni"]
    env = json.loads(cni.inputs["configurationValues"])["env"]
    assert env["ENABLE_PREFIX_DELEGATION"] == "true", cni.urn
    assert env["WARM_PREFIX_TARGET"] == "1", cni.urn


def test_nodes_join_after_vpc_cni_and_coredns_waits_for_nodes(prod):
    addons = {a.inputs["addonName"]: a for a in prod.of_type(ADDON)}
    for ng in prod.of_type(NODE_GROUP):
        assert addons["vpc-cni"].urn in ng.dependencies, ng.urn
        assert ng.urn in addons["coredns"].dependencies, addons["coredns"].urn


def test_coredns_runs_on_the_system_nodes(dev):
    coredns = next(a for a in dev.of_type(ADDON) if a.inputs["addonName"] == "coredns")
    config = json.loads(coredns.inputs["configurationValues"])
    assert config["nodeSelector"] == node_groups(dev)["system"].inputs["labels"], coredns.urn


# -- nodes ----------------------------------------------------------------------------------------


def test_every_node_group_is_arm64_al2023_on_graviton(each):
    for ng in each.of_type(NODE_GROUP):
        assert ng.inputs["amiType"] == AMI_TYPE == "AL2023_ARM_64_STANDARD", ng.urn
        for t in ng.inputs["instanceTypes"]:
            assert re.match(GRAVITON, t), f"{ng.urn}: {t}"


def test_dev_runs_workloads_on_spot_over_three_families(dev):
    groups = node_groups(dev)
    assert set(groups) == {"system", "workload-spot"}
    spot = groups["workload-spot"]
    assert spot.inputs["capacityType"] == "SPOT", spot.urn
    assert len(instance_families(spot.inputs["instanceTypes"])) >= 3, spot.urn
    assert spot.inputs["scalingConfig"] == {"minSize": 1, "maxSize": 5, "desiredSize": 1}


def test_prod_has_an_on_demand_baseline_and_a_spot_burst(prod):
    groups = node_groups(prod)
    assert set(groups) == {"system", "workload-ondemand", "workload-spot"}
    base, burst = groups["workload-ondemand"], groups["workload-spot"]
    assert base.inputs["capacityType"] == "ON_DEMAND", base.urn
    assert base.inputs["scalingConfig"]["minSize"] == 2, base.urn
    assert burst.inputs["capacityType"] == "SPOT", burst.urn
    assert burst.inputs["scalingConfig"]["maxSize"] == 10, burst.urn


def test_the_system_group_is_on_demand_and_tainted(each):
    system = node_groups(each)["system"]
    assert system.inputs["capacityType"] == "ON_DEMAND", system.urn
    assert system.inputs["labels"] == {"role": "system"}, system.urn
    assert system.inputs["taints"] == [
        {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
    ], system.urn


def test_the_autoscaler_owns_the_desired_size(each):
    for ng in each.of_type(NODE_GROUP):
        assert ng.raw.get("ignoreChanges") == ["scalingConfig.desiredSize"], ng.urn


def test_node_groups_roll_at_most_a_third_at_a_time_in_private_subnets(each):
    for ng in each.of_type(NODE_GROUP):
        assert ng.inputs["updateConfig"] == {"maxUnavailablePercentage": 33}, ng.urn
        assert ng.inputs["subnetIds"] == SUBNETS, ng.urn
        assert "remoteAccess" not in ng.inputs, ng.urn


def test_each_node_group_uses_its_own_launch_template(each):
    templates = {role(lt): lt for lt in each.of_type(LAUNCH_TEMPLATE)}
    groups = node_groups(each)
    assert set(templates) == set(groups)
    for r, ng in groups.items():
        lt = templates[r]
        assert ng.inputs["launchTemplate"] == {
            "id": lt.outputs["id"],
            "version": str(lt.outputs["latestVersion"]),
        }, ng.urn


def test_launch_templates_require_imdsv2_with_hop_limit_one(each):
    for lt in each.of_type(LAUNCH_TEMPLATE):
        assert lt.inputs["metadataOptions"] == {
            "httpEndpoint": "enabled",
            "httpTokens": "required",
            "httpPutResponseHopLimit": 1,
        }, lt.urn


def test_launch_templates_have_encrypted_gp3_root_volumes(prod):
    for lt in prod.of_type(LAUNCH_TEMPLATE):
        [root] = lt.inputs["blockDeviceMappings"]
        assert root["deviceName"] == "/dev/xvda", lt.urn
        assert root["ebs"] == {
            "volumeType": "gp3",
            "volumeSize": 50,
            "encrypted": "true",
            "deleteOnTermination": "true",
        }, lt.urn


def test_launch_templates_set_no_ami_and_no_ssh_key(each):
    for lt in each.of_type(LAUNCH_TEMPLATE):
        assert "imageId" not in lt.inputs, lt.urn
        assert "keyName" not in lt.inputs, lt.urn


def test_nodes_carry_the_cluster_and_the_node_security_groups(each):
    c, sg = one(each, CLUSTER), security_group(each, "nodes")
    expected = [c.outputs["vpcConfig"]["clusterSecurityGroupId"], sg.outputs["id"]]
    for lt in each.of_type(LAUNCH_TEMPLATE):
        assert lt.inputs["vpcSecurityGroupIds"] == expected, lt.urn


def test_instances_and_volumes_carry_the_node_tags(dev):
    for lt in dev.of_type(LAUNCH_TEMPLATE):
        specs = {s["resourceType"]: s["tags"] for s in lt.inputs["tagSpecifications"]}
        assert set(specs) == {"instance", "volume"}, lt.urn
        for tags in specs.values():
            assert tags["cost-center"] == "cc-1234", lt.urn


def test_the_node_security_group_is_described_and_only_opens_egress(dev):
    sg = security_group(dev, "nodes")
    assert sg.inputs["description"], sg.urn
    assert sg.inputs["vpcId"] == "vpc-0test", sg.urn
    assert not sg.inputs.get("ingress"), sg.urn
    [egress] = sg.inputs["egress"]
    assert egress["description"], sg.urn
    assert not any(k.startswith("kubernetes.io/cluster/") for k in sg.inputs["tags"]), sg.urn
    assert dev.stack_outputs["clusterNodeSecurityGroupId"] == sg.outputs["id"]


def test_the_node_role_has_the_worker_policies(dev):
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in dev.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if role(a).startswith("nodes")
    }
    assert attached == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryReadOnly",
        "AmazonSSMManagedInstanceCore",
    }


# -- in-cluster -----------------------------------------------------------------------------------


def test_one_namespace_per_environment_with_pod_security_labels(dev):
    namespaces = {ns.inputs["metadata"]["name"]: ns for ns in dev.of_type(NAMESPACE)}
    assert set(namespaces) == {"dev", "staging", "qa"}
    for env, ns in namespaces.items():
        assert ns.inputs["metadata"]["labels"] == namespace_labels(env), ns.urn


def test_namespaces_use_the_clusters_kubernetes_provider(dev):
    provider = one(dev, "pulumi:providers:kubernetes")
    for ns in dev.of_type(NAMESPACE):
        assert ns.provider_urn == provider.urn, ns.urn
    assert is_secret(provider.inputs["kubeconfig"]), provider.urn
    assert is_secret(dev.stack_outputs["clusterKubeconfig"])


def test_aws_children_use_the_given_provider(dev):
    aws_provider = one(dev, "pulumi:providers:aws")
    for r in dev:
        if r.custom and r.type.startswith("aws:"):
            assert r.provider_urn == aws_provider.urn, r.urn


def test_every_child_is_parented_to_the_component(dev):
    component = one(dev, "baseline:cluster:Cluster")
    for r in dev:
        if r.custom and not r.type.startswith("pulumi:providers:aws"):
            assert r.parent == component.urn, r.urn


def test_no_two_resources_share_a_urn_even_with_two_clusters():
    export = cluster("blue", "green", **DEV)
    urns = [r.urn for r in export]
    assert len(urns) == len(set(urns)), sorted(u for u in urns if urns.count(u) > 1)
    names = [r.inputs["name"] for r in export.of_type(CLUSTER)]
    assert sorted(names) == ["baseline-dev-blue", "baseline-dev-green"]


def test_with_karpenter_the_workload_groups_may_be_absent():
    plans = node_group_plans(
        args(
            **{**PROD, "on_demand_max": 0, "on_demand_min": 0, "spot_max": 0},
            external_workload_capacity=True,
        )
    )
    assert [p.role for p in plans] == ["system"]
    with pytest.raises(ValueError, match="no room for any workload node"):
        node_group_plans(args(**{**PROD, "on_demand_max": 0, "on_demand_min": 0, "spot_max": 0}))

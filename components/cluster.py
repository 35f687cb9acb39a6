"""Cluster: an EKS cluster with managed Graviton node groups, after terraform-aws-eks.

Built from plain pulumi-aws and pulumi-kubernetes resources (not pulumi-eks), so every child and
property is in the resource graph for the policy gate and the cost estimate.

- Control plane: API endpoint always private (reachable from `private_access_cidrs`); public
  only for an explicit allow-list of CIDRs (never 0.0.0.0/0). Kubernetes secrets
  envelope-encrypted with a rotating KMS key. Control-plane logs (api, audit, authenticator) to a
  log group created first, with a set retention. Access by EKS access entries
  (`authentication_mode="API"`, no aws-auth ConfigMap).
- IRSA: an IAM OIDC provider for the cluster's issuer.
- Add-ons managed by EKS: vpc-cni (prefix delegation: more pods per node), kube-proxy, coredns.
- Nodes: AL2023 arm64 managed node groups, one launch template each (IMDSv2 only with hop limit 1
  so pods cannot take the node's credentials; encrypted gp3 root volume; no SSH key, SSM instead).
  A small on-demand `system` group, tainted for critical add-ons; workload capacity as an on-demand
  baseline group and/or a SPOT group spread over several instance families. Pulumi ignores each
  group's desired size after creation. With `external_workload_capacity` (Karpenter, in
  components/autoscaling.py) the workload groups may be absent, and those present are a floor.
- In-cluster: a Kubernetes provider for the cluster and one namespace per environment, enforcing
  the Pod Security Standard `restricted` (exceptions by name, from the Args). Each namespace's
  quota, limits and network policies are components/tenants.py's.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, assume_role_policy, child, policy_json
from components.access import grant

AMI_TYPE = "AL2023_ARM_64_STANDARD"
# api, audit and authenticator are the logs that answer "who did what" (FSBP EKS.8 asks for
# audit). controllerManager and scheduler are debugging aids that cost ingestion for little.
CONTROL_PLANE_LOG_TYPES = ("api", "audit", "authenticator")
MAX_UNAVAILABLE_PERCENTAGE = 33
POD_SECURITY_LEVELS = ("restricted", "baseline", "privileged")
SPOT_MIN_FAMILIES = 3
_MANAGED_POLICY = "arn:aws:iam::aws:policy/"
_CLUSTER_ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
# Read every object but Secrets, cluster-wide: what a run as the preview role needs.
_CLUSTER_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"
# Read every object, Secrets too: for the readers, only where Helm keeps its release records.
_ADMIN_VIEW_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSAdminViewPolicy"
NODE_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
    # Shell access through Session Manager (audited, no open port) instead of SSH keys.
    "AmazonSSMManagedInstanceCore",
)
# Graviton families end in "g" and optional feature letters (m7g, c7gn, r6gd, t4g).
_GRAVITON_TYPE = re.compile(r"^[a-z]+\d+g[a-z]*\.[a-z0-9]+$")
_ROLE_NAME = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:.*/)?([\w+=,.@-]+)$")


@dataclass(frozen=True)
class ClusterArgs:
    region: str
    vpc_id: pulumi.Input[str]
    private_subnet_ids: Sequence[pulumi.Input[str]]
    # The EKS cluster's name in AWS; empty uses the component's name. Also names the log group.
    cluster_name: str = ""
    cluster_version: str = "1.33"
    # Empty keeps the API endpoint private only.
    public_access_cidrs: Sequence[str] = field(default_factory=tuple)
    # Networks inside or connected to the VPC (CI runners, VPN) that reach the private endpoint;
    # the EKS cluster security group admits only the cluster itself.
    private_access_cidrs: Sequence[str] = field(default_factory=tuple)
    log_retention_days: int = 30
    system_instance_types: Sequence[str] = ("t4g.medium",)
    system_min: int = 2
    system_max: int = 3
    workload_instance_types: Sequence[str] = ("m7g.large", "m6g.large", "c7g.large", "r7g.large")
    on_demand_min: int = 0
    on_demand_max: int = 0
    spot_min: int = 1
    spot_max: int = 6
    node_volume_gb: int = 30
    environments: Sequence[str] = ("dev",)
    # Environment -> the Pod Security level it enforces instead of `restricted` (`baseline`),
    # for the exceptions the stack config names and justifies.
    pod_security_exceptions: Mapping[str, str] = field(default_factory=dict)
    # IAM roles given cluster-admin through an access entry (operators, CI).
    admin_role_arns: Sequence[str] = field(default_factory=tuple)
    # Tags for the EC2 instances and volumes the node groups launch: the provider's default tags
    # do not reach them (the Auto Scaling groups are EKS's), so cost-allocation tags go here.
    node_tags: Mapping[str, str] = field(default_factory=dict)
    deletion_protection: bool = False
    # A customer-managed key for the control-plane log group (None: CloudWatch Logs' own).
    log_kms_key_arn: pulumi.Input[str] | None = None
    # Another autoscaler (Karpenter, see components/autoscaling.py) launches the workload nodes,
    # so the managed workload groups may be absent; those given are a fixed floor under it.
    external_workload_capacity: bool = False
    # Extra tags on the nodes' security group, e.g. Karpenter's `karpenter.sh/discovery`, by which
    # the autoscaler's nodes get the same group as the managed nodes.
    node_security_group_tags: Mapping[str, str] = field(default_factory=dict)
    # The role the Kubernetes provider's token is for (`aws eks get-token --role-arn`): the same
    # the AWS providers assume (the deploy role, which creates the cluster and so is its admin,
    # or the read-only preview role). Empty: the caller's own credentials.
    provider_role_arn: str = ""
    # Roles that read the cluster's objects (not its Secrets) cluster-wide through an access entry
    # (AmazonEKSViewPolicy): the stack's read-only preview role, whose runs (previews, drift
    # checks) read what the program manages. Fixed per stack, unlike `provider_role_arn`.
    reader_role_arns: Sequence[str] = field(default_factory=tuple)
    # The namespaces whose Secrets the readers also read (AmazonEKSAdminViewPolicy there): where
    # the stack's Helm releases keep their records, which a refresh of a release reads.
    reader_secret_namespaces: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True)
class NodeGroupPlan:
    """One managed node group, decided from the Args."""

    role: str  # system | workload-ondemand | workload-spot
    capacity_type: str  # ON_DEMAND | SPOT
    instance_types: tuple[str, ...]
    min_size: int
    max_size: int
    desired_size: int
    labels: dict[str, str]
    taints: tuple[tuple[str, str, str], ...] = ()  # (key, value, effect)


def check_cidrs(field_name: str, cidrs: Sequence[str]) -> None:
    """CIDRs allowed to the API: each a network, none the whole internet."""
    for cidr in cidrs:
        try:
            net = ipaddress.ip_network(cidr)
        except ValueError:
            raise ValueError(f"{field_name}: {cidr!r} is not a CIDR") from None
        if net.prefixlen == 0:
            raise ValueError(
                f"{field_name}: {cidr} opens the API to the whole internet; "
                "list the networks that need it"
            )


def public_endpoint(cidrs: Sequence[str]) -> tuple[bool, list[str]]:
    """Whether the API gets a public endpoint, and its allow-list. The public endpoint exists only
    for an explicit list of networks (none: private only); the whole internet is refused."""
    check_cidrs("public_access_cidrs", cidrs)
    return bool(cidrs), list(cidrs)


def check_graviton(field_name: str, instance_types: Sequence[str]) -> None:
    """The nodes run the arm64 AMI, so every instance type must be Graviton."""
    if not instance_types:
        raise ValueError(f"{field_name}: at least one instance type is needed")
    for t in instance_types:
        if not _GRAVITON_TYPE.match(t):
            raise ValueError(
                f"{field_name}: {t} is not a Graviton (arm64) type; the nodes run {AMI_TYPE}, "
                "use types such as m7g.large"
            )


def instance_families(instance_types: Sequence[str]) -> set[str]:
    return {t.split(".", 1)[0] for t in instance_types}


def node_group_plans(args: ClusterArgs) -> list[NodeGroupPlan]:
    """The node groups to create. `system` always (coredns and other critical add-ons run there);
    `workload-ondemand` when on_demand_max > 0 (a baseline that SPOT reclaims cannot take);
    `workload-spot` when spot_max > 0, over every workload type so that a SPOT shortage in one
    family falls back to another."""
    check_graviton("system_instance_types", args.system_instance_types)
    check_graviton("workload_instance_types", args.workload_instance_types)
    for group, lo, hi in (
        ("system", args.system_min, args.system_max),
        ("on_demand", args.on_demand_min, args.on_demand_max),
        ("spot", args.spot_min, args.spot_max),
    ):
        if lo < 0 or hi < lo:
            raise ValueError(f"{group}_min/{group}_max: need 0 <= min <= max, got {lo}/{hi}")
    if args.system_max < 1:
        raise ValueError("system_max: the system node group needs room for at least one node")
    if args.on_demand_max + args.spot_max < 1 and not args.external_workload_capacity:
        raise ValueError("on_demand_max/spot_max: no room for any workload node")
    families = instance_families(args.workload_instance_types)
    if args.spot_max > 0 and len(families) < SPOT_MIN_FAMILIES:
        raise ValueError(
            f"workload_instance_types: SPOT needs at least {SPOT_MIN_FAMILIES} instance families "
            f"for capacity fallback, got {sorted(families)}"
        )

    workload_types = tuple(args.workload_instance_types)
    plans = [
        NodeGroupPlan(
            role="system",
            capacity_type="ON_DEMAND",
            instance_types=tuple(args.system_instance_types),
            min_size=args.system_min,
            max_size=args.system_max,
            # At least one node from the start: the coredns add-on only turns ACTIVE once its
            # pods are scheduled, and they are pinned to this group.
            desired_size=max(args.system_min, 1),
            labels={"role": "system"},
            # Only pods that tolerate CriticalAddonsOnly (coredns does; vpc-cni and kube-proxy
            # tolerate every taint) land here, so workloads cannot starve the cluster's DNS.
            taints=(("CriticalAddonsOnly", "true", "NO_SCHEDULE"),),
        )
    ]
    if args.on_demand_max > 0:
        plans.append(
            NodeGroupPlan(
                role="workload-ondemand",
                capacity_type="ON_DEMAND",
                instance_types=workload_types,
                min_size=args.on_demand_min,
                max_size=args.on_demand_max,
                desired_size=args.on_demand_min,
                labels={"role": "workload"},
            )
        )
    if args.spot_max > 0:
        plans.append(
            NodeGroupPlan(
                role="workload-spot",
                capacity_type="SPOT",
                instance_types=workload_types,
                min_size=args.spot_min,
                max_size=args.spot_max,
                desired_size=args.spot_min,
                labels={"role": "workload"},
            )
        )
    return plans


def vpc_cni_configuration() -> str:
    """vpc-cni with prefix delegation: each ENI slot takes a /28 (16 addresses), so a node runs
    as many pods as its CPU and memory allow instead of as many as its ENIs have IPs. One warm
    prefix keeps pod start fast without holding many idle addresses. `enableNetworkPolicy` runs
    the add-on's network policy agent, without which the cluster's NetworkPolicies (the
    namespaces' default-deny ingress) are accepted by the API server and enforced by nothing."""
    return json.dumps(
        {
            "enableNetworkPolicy": "true",
            "env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"},
        },
        separators=(",", ":"),
    )


def coredns_configuration() -> str:
    """coredns on the on-demand system nodes: a SPOT reclaim never takes the cluster's DNS."""
    return json.dumps({"nodeSelector": {"role": "system"}}, separators=(",", ":"))


def namespace_labels(environment: str, enforce: str = "restricted") -> dict[str, str]:
    """Pod Security Standards: `restricted` is enforced (non-root, no privilege escalation, every
    capability dropped, RuntimeDefault seccomp, only ephemeral, projected and claimed volumes),
    at the cluster's own version of the checks. A namespace given an exception (a named, justified
    `pod_security_exceptions` entry) enforces its lower level and is still audited and warned
    about at `restricted`, so its teams see what stands between them and the default."""
    if enforce not in POD_SECURITY_LEVELS:
        raise ValueError(
            f"pod_security_exceptions[{environment}]: {enforce!r} is not one of "
            f"{', '.join(POD_SECURITY_LEVELS)}"
        )
    return {
        "environment": environment,
        "pod-security.kubernetes.io/enforce": enforce,
        "pod-security.kubernetes.io/enforce-version": "latest",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def kubeconfig(
    cluster_name: str, endpoint: str, ca_data: str, region: str, role_arn: str = ""
) -> str:
    """A kubeconfig that gets a token from the AWS CLI (`aws eks get-token`): as `role_arn` when
    given (the run's role, the one the AWS providers assume: the deploy role, the cluster's
    creator, or the read-only preview role), else with the ambient credentials. No long-lived
    secret is written into it."""
    role_args = ["--role-arn", role_arn] if role_arn else []
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": cluster_name,
                    "cluster": {"server": endpoint, "certificate-authority-data": ca_data},
                }
            ],
            "contexts": [
                {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
            ],
            "current-context": cluster_name,
            "users": [
                {
                    "name": cluster_name,
                    "user": {
                        "exec": {
                            "apiVersion": "client.authentication.k8s.io/v1beta1",
                            "command": "aws",
                            "args": [
                                "eks",
                                "get-token",
                                "--cluster-name",
                                cluster_name,
                                "--region",
                                region,
                                "--output",
                                "json",
                                *role_args,
                            ],
                        }
                    },
                }
            ],
        },
        indent=2,
    )


def role_name(arn: str) -> str:
    """The role name of an IAM role ARN (names the access entry's resources)."""
    m = _ROLE_NAME.match(arn)
    if not m:
        raise ValueError(f"admin_role_arns: {arn!r} is not an IAM role ARN")
    return m.group(1).lower()


def _issuer(identities: Sequence[aws.eks.outputs.ClusterIdentity]) -> str:
    for identity in identities or ():
        for oidc in identity.oidcs or ():
            if oidc.issuer:
                return oidc.issuer
    return ""


class Cluster(pulumi.ComponentResource):
    cluster_name: pulumi.Output[str]
    cluster_endpoint: pulumi.Output[str]
    cluster_security_group_id: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    oidc_provider_arn: pulumi.Output[str]
    oidc_provider_url: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    kubernetes_provider: k8s.Provider
    namespaces: dict[str, k8s.core.v1.Namespace]

    def __init__(
        self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:cluster:Cluster", name, None, opts)
        cluster_name = args.cluster_name or name
        public, public_cidrs = public_endpoint(args.public_access_cidrs)
        check_cidrs("private_access_cidrs", args.private_access_cidrs)
        plans = node_group_plans(args)
        admins = {role_name(arn): arn for arn in args.admin_role_arns}
        unknown = set(args.pod_security_exceptions) - set(args.environments)
        if unknown:
            raise ValueError(
                f"pod_security_exceptions: {sorted(unknown)} are not environments of the cluster"
            )
        if len(admins) != len(args.admin_role_arns):
            raise ValueError("admin_role_arns: two roles share a name; list each role once")

        # -- secrets encryption and control-plane logs -----------------------------------------
        key = aws.kms.Key(
            f"{name}-secrets",
            description=f"Envelope encryption of Kubernetes secrets of EKS cluster {cluster_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            opts=child(self),
        )
        aws.kms.Alias(
            f"{name}-secrets",
            name=f"alias/eks/{cluster_name}-secrets",
            target_key_id=key.key_id,
            opts=child(self),
        )
        # EKS writes to this exact name; creating it first sets the retention (EKS would create
        # it with none, keeping logs forever) and lets Pulumi delete it with the stack.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-control-plane-logs",
            name=f"/aws/eks/{cluster_name}/cluster",
            retention_in_days=args.log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            opts=child(self),
        )

        # -- control plane ---------------------------------------------------------------------
        cluster_role = aws.iam.Role(
            f"{name}-control-plane",
            assume_role_policy=assume_role_policy("eks.amazonaws.com"),
            opts=child(self),
        )
        cluster_policy = aws.iam.RolePolicyAttachment(
            f"{name}-control-plane-eks",
            role=cluster_role.name,
            policy_arn=_MANAGED_POLICY + "AmazonEKSClusterPolicy",
            opts=child(self),
        )
        cluster_kms = aws.iam.RolePolicy(
            f"{name}-control-plane-kms",
            role=cluster_role.id,
            policy=key.arn.apply(
                lambda arn: policy_json(
                    [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "kms:Encrypt",
                                "kms:Decrypt",
                                "kms:ListGrants",
                                "kms:DescribeKey",
                            ],
                            "Resource": arn,
                        }
                    ]
                )
            ),
            opts=child(self),
        )
        api_sg_ids: list[pulumi.Input[str]] = []
        if args.private_access_cidrs:
            api_sg = aws.ec2.SecurityGroup(
                f"{name}-api",
                vpc_id=args.vpc_id,
                description=f"HTTPS to the private API endpoint of EKS cluster {cluster_name}",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=list(args.private_access_cidrs),
                        description="Kubernetes API from the deployers' networks",
                    )
                ],
                tags={"Name": f"{cluster_name}-api"},
                opts=child(self),
            )
            api_sg_ids.append(api_sg.id)
        vpc_config = aws.eks.ClusterVpcConfigArgs(
            subnet_ids=list(args.private_subnet_ids),
            endpoint_private_access=True,
            endpoint_public_access=public,
            public_access_cidrs=public_cidrs if public else None,
            security_group_ids=api_sg_ids or None,
        )
        cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=cluster_name,
            version=args.cluster_version,
            role_arn=cluster_role.arn,
            vpc_config=vpc_config,
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn),
                resources=["secrets"],
            ),
            enabled_cluster_log_types=list(CONTROL_PLANE_LOG_TYPES),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API",
                # The identity that runs `pulumi up` gets cluster-admin: this same program
                # creates the namespaces through the Kubernetes API right after the cluster.
                # Other humans and CI come in through `admin_role_arns` access entries.
                bootstrap_cluster_creator_admin_permissions=True,
            ),
            # STANDARD support: extended support costs six times as much per cluster-hour;
            # at the end of standard support EKS upgrades the control plane instead.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type="STANDARD"),
            deletion_protection=args.deletion_protection,
            opts=child(self, depends_on=[log_group, cluster_policy, cluster_kms]),
        )
        cluster_sg_id = cluster.vpc_config.apply(lambda v: v.cluster_security_group_id or "")

        cluster_wide = aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster")
        for arn in args.reader_role_arns:
            slug = role_name(arn)
            if slug in admins:
                raise ValueError(f"reader_role_arns: {arn!r} is also a cluster admin")
            reads = [("", _CLUSTER_VIEW_POLICY, cluster_wide)]
            if args.reader_secret_namespaces:
                releases = aws.eks.AccessPolicyAssociationAccessScopeArgs(
                    type="namespace", namespaces=sorted(set(args.reader_secret_namespaces))
                )
                reads.append(("-releases", _ADMIN_VIEW_POLICY, releases))
            grant(self, f"{name}-reader-{slug}", cluster.name, arn, reads)
        for slug, arn in admins.items():
            grant(
                self,
                f"{name}-admin-{slug}",
                cluster.name,
                arn,
                [("", _CLUSTER_ADMIN_POLICY, cluster_wide)],
            )

        # -- IRSA ------------------------------------------------------------------------------
        issuer = cluster.identities.apply(_issuer)
        # No thumbprint list: IAM trusts the EKS OIDC issuer through its own certificate store.
        oidc = aws.iam.OpenIdConnectProvider(
            f"{name}-oidc",
            url=issuer,
            client_id_lists=["sts.amazonaws.com"],
            opts=child(self),
        )

        # -- nodes -----------------------------------------------------------------------------
        node_role = aws.iam.Role(
            f"{name}-nodes",
            assume_role_policy=assume_role_policy("ec2.amazonaws.com"),
            opts=child(self),
        )
        node_policies = [
            aws.iam.RolePolicyAttachment(
                f"{name}-nodes-{policy}",
                role=node_role.name,
                policy_arn=_MANAGED_POLICY + policy,
                opts=child(self),
            )
            for policy in NODE_POLICIES
        ]
        # An identity for the nodes that other security groups (the database's) can allow. Not
        # tagged kubernetes.io/cluster/<name>: the load balancer controller wants exactly one
        # such group per node, and that is the EKS cluster security group.
        node_sg = aws.ec2.SecurityGroup(
            f"{name}-nodes",
            vpc_id=args.vpc_id,
            description=f"Worker nodes of EKS cluster {cluster_name}",
            egress=[
                aws.ec2.SecurityGroupEgressArgs(
                    protocol="-1",
                    from_port=0,
                    to_port=0,
                    cidr_blocks=["0.0.0.0/0"],
                    description="All outbound (through the NAT gateways or VPC endpoints)",
                )
            ],
            tags={**args.node_security_group_tags, "Name": f"{cluster_name}-nodes"},
            opts=child(self),
        )

        # vpc-cni and kube-proxy before the nodes, so that nodes join with prefix delegation on
        # from their first pod; coredns after them, as its pods need nodes to turn ACTIVE.
        def addon(
            addon_name: str,
            configuration: str | None = None,
            depends_on: Sequence[pulumi.Resource] = (),
        ) -> aws.eks.Addon:
            return aws.eks.Addon(
                f"{name}-{addon_name}",
                cluster_name=cluster.name,
                addon_name=addon_name,
                configuration_values=configuration,
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=child(self, depends_on=list(depends_on)),
            )

        vpc_cni = addon("vpc-cni", vpc_cni_configuration())
        kube_proxy = addon("kube-proxy")

        node_groups: list[aws.eks.NodeGroup] = []
        for plan in plans:
            tags = {**args.node_tags, "Name": f"{cluster_name}-{plan.role}"}
            lt = aws.ec2.LaunchTemplate(
                f"{name}-{plan.role}",
                description=f"Nodes of the {plan.role} group of EKS cluster {cluster_name}",
                # No image_id (EKS picks the AMI of ami_type and the cluster version) and no
                # key_name (no SSH; Session Manager through the node role).
                # Listing security groups here replaces the one EKS would add, so the cluster
                # security group (control plane <-> nodes, node <-> node) is listed too.
                vpc_security_group_ids=[cluster_sg_id, node_sg.id],
                metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                    http_endpoint="enabled",
                    http_tokens="required",
                    http_put_response_hop_limit=1,
                ),
                block_device_mappings=[
                    aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                        device_name="/dev/xvda",
                        ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                            volume_type="gp3",
                            volume_size=args.node_volume_gb,
                            encrypted="true",
                            delete_on_termination="true",
                        ),
                    )
                ],
                tag_specifications=[
                    aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=tags)
                    for kind in ("instance", "volume")
                ],
                tags={"Name": f"{cluster_name}-{plan.role}"},
                opts=child(self),
            )
            node_groups.append(
                aws.eks.NodeGroup(
                    f"{name}-{plan.role}",
                    cluster_name=cluster.name,
                    version=cluster.version,
                    node_role_arn=node_role.arn,
                    subnet_ids=list(args.private_subnet_ids),
                    ami_type=AMI_TYPE,
                    capacity_type=plan.capacity_type,
                    instance_types=list(plan.instance_types),
                    scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                        min_size=plan.min_size,
                        max_size=plan.max_size,
                        desired_size=plan.desired_size,
                    ),
                    update_config=aws.eks.NodeGroupUpdateConfigArgs(
                        max_unavailable_percentage=MAX_UNAVAILABLE_PERCENTAGE
                    ),
                    launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                        id=lt.id, version=lt.latest_version.apply(str)
                    ),
                    labels=plan.labels,
                    taints=[
                        aws.eks.NodeGroupTaintArgs(key=k, value=v, effect=e)
                        for k, v, e in plan.taints
                    ],
                    tags={"Name": f"{cluster_name}-{plan.role}"},
                    # The cluster autoscaler owns the desired size once the group exists.
                    opts=child(
                        self,
                        depends_on=[*node_policies, vpc_cni, kube_proxy],
                        ignore_changes=["scalingConfig.desiredSize"],
                    ),
                )
            )
        addon("coredns", coredns_configuration(), depends_on=node_groups)

        # -- in-cluster ------------------------------------------------------------------------
        ca_data = cluster.certificate_authority.apply(lambda ca: ca.data or "")
        text: pulumi.Output[str] = pulumi.Output.all(cluster.name, cluster.endpoint, ca_data).apply(
            lambda a: kubeconfig(a[0], a[1], a[2], args.region, args.provider_role_arn)
        )
        config: pulumi.Output[str] = pulumi.Output.secret(text)
        k8s_provider = k8s.Provider(
            f"{name}-k8s",
            kubeconfig=config,
            # Replaced only with the cluster (its endpoint is unique to it), not when the
            # kubeconfig's text changes: replacing the provider would replace, and so empty,
            # every namespace.
            cluster_identifier=cluster.endpoint,
            # In-cluster resources (Helm releases wait for their pods) come after the nodes.
            opts=child(self, depends_on=node_groups),
        )
        namespaces = {
            env: k8s.core.v1.Namespace(
                f"{name}-ns-{env}",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=env,
                    labels=namespace_labels(
                        env, args.pod_security_exceptions.get(env, "restricted")
                    ),
                ),
                opts=child(self, provider=k8s_provider),
            )
            for env in args.environments
        }

        self.cluster_name = cluster.name
        self.cluster_endpoint = cluster.endpoint
        self.cluster_security_group_id = cluster_sg_id
        self.node_security_group_id = node_sg.id
        self.node_role_arn = node_role.arn
        self.oidc_provider_arn = oidc.arn
        self.oidc_provider_url = issuer.apply(lambda url: url.removeprefix("https://"))
        self.kubeconfig = config
        self.kubernetes_provider = k8s_provider
        self.namespaces = namespaces
        self.register_outputs(
            {
                "clusterName": self.cluster_name,
                "clusterEndpoint": self.cluster_endpoint,
                "clusterSecurityGroupId": self.cluster_security_group_id,
                "nodeSecurityGroupId": self.node_security_group_id,
                "nodeRoleArn": self.node_role_arn,
                "oidcProviderArn": self.oidc_provider_arn,
                "oidcProviderUrl": self.oidc_provider_url,
            }
        )

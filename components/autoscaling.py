"""Autoscaling: Karpenter launches the cluster's workload nodes, SPOT first with on-demand fallback.

Why Karpenter and not the Cluster Autoscaler with the priority expander: the Cluster Autoscaler
scales the managed node groups we declare, so "SPOT, else on-demand" needs a SPOT group and an
on-demand group per instance mix and a priority ConfigMap, and it falls back only after the SPOT
group's scale-up has timed out (`max-node-provision-time`, 15 minutes by default) while pods wait.
Karpenter asks EC2 Fleet for the cheapest capacity across every allowed family and size in one
call (price-capacity-optimized for SPOT), and when the SPOT pools are exhausted
(InsufficientInstanceCapacity) it launches on-demand in the same provisioning loop: the fallback
users ask for, in seconds, with no group per mix. It also bin-packs (consolidation), replaces
nodes ahead of SPOT interruptions through an SQS queue fed by EventBridge, and needs no ASG.

What this component declares, all visible in the offline plan so the packs judge it:

- The controller's IRSA role: trust pinned to `system:serviceaccount:karpenter:karpenter` and
  audience `sts.amazonaws.com`; a policy scoped as in Karpenter's CloudFormation reference
  (`controller_policy`): it may launch instances and create launch templates only with the
  cluster's ownership tag and a `karpenter.sh/nodepool` tag in the request, tag and terminate only
  instances that carry them, pass only the Karpenter node role, read the interruption queue, and
  read prices, SSM AMI parameters and EC2 descriptions in its region. The instance profile is
  made here, so the controller needs none of the `iam:*InstanceProfile` write actions.
- The nodes' own role (the managed groups' four AWS policies), its instance profile and an EKS
  access entry of type EC2_LINUX. Not the managed groups' role: EKS already made an access entry
  for that role with the node groups, and a second one for the same principal is refused; a role
  of their own also lets `iam:PassRole` name exactly one role.
- Interruption handling: an SQS queue (SSE, messages kept 5 minutes), a queue policy that lets
  only EventBridge send, and only from these rules, and four EventBridge rules (SPOT interruption
  warning, rebalance recommendation, instance state change, AWS Health events) targeting it.
- In the cluster: the `karpenter-crd` chart (so CRDs upgrade with the chart, which Helm does not do
  for a chart's own `crds/`), the `karpenter` chart on the system nodes, an EC2NodeClass (AL2023
  arm64 alias, IMDSv2 only with hop limit 1, encrypted gp3 root volume, subnets and security
  groups found by the `karpenter.sh/discovery` tag, the cost-allocation tags on every instance
  and volume) and a NodePool (arm64 only, the allowed families and sizes, the capacity types,
  consolidation when empty or underutilized, a disruption budget, a CPU ceiling).

The managed node groups stay: the system group (on-demand, tainted) runs the Karpenter controller
and CoreDNS, so the capacity that launches nodes never depends on nodes it launched. A managed
workload group, where the stack keeps one, is a fixed floor (nothing scales it) that the cost
estimate prices; Karpenter adds what pending pods need above it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, assume_role_policy, child, policy_json
from components.cluster import NODE_POLICIES
from components.identity import ROLE_ARN_ANNOTATION, default_deny_ingress_spec, irsa_trust_policy

KARPENTER_CHART_REPOSITORY = "oci://public.ecr.aws/karpenter"
DISCOVERY_TAG = "karpenter.sh/discovery"
CAPACITY_TYPES = ("spot", "on-demand")
SPOT_MIN_FAMILIES = 3
# The EventBridge rules that feed the interruption queue: (role, source, detail-type).
INTERRUPTION_EVENTS = (
    ("spot-interruption", "aws.ec2", "EC2 Spot Instance Interruption Warning"),
    ("rebalance", "aws.ec2", "EC2 Instance Rebalance Recommendation"),
    ("instance-state-change", "aws.ec2", "EC2 Instance State-change Notification"),
    ("scheduled-change", "aws.health", "AWS Health Event"),
)
_MANAGED_POLICY = "arn:aws:iam::aws:policy/"
_GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")
_DISRUPTION_BUDGET = re.compile(r"^(?:\d+|(?:100|[1-9]?\d)%)$")


@dataclass(frozen=True)
class AutoscalingArgs:
    # The EKS cluster's name (an output of the cluster: what needs the cluster waits for it).
    cluster_name: pulumi.Input[str]
    region: str
    account_id: str
    oidc_provider_arn: pulumi.Input[str]
    # The issuer without the scheme, as IAM condition keys spell it.
    oidc_provider_url: pulumi.Input[str]
    # The EKS-made cluster security group (control plane <-> nodes); selected by id, as EKS
    # creates it and the program cannot tag it at creation.
    cluster_security_group_id: pulumi.Input[str]
    karpenter_version: str = "1.9.0"
    controller_replicas: int = 2
    instance_families: Sequence[str] = ("m7g", "c7g", "r7g", "m6g")
    instance_sizes: Sequence[str] = ("large", "xlarge")
    # Both: SPOT first, on-demand when SPOT is exhausted.
    capacity_types: Sequence[str] = CAPACITY_TYPES
    cpu_limit: int = 32
    disruption_budget: str = "10%"
    ami_alias: str = "al2023@latest"
    node_volume_gb: int = 30
    # Tags for the instances and volumes Karpenter launches (the provider's default tags do not
    # reach them): the cost-allocation tags, so the stack's budget sees these nodes too.
    node_tags: Mapping[str, str] = field(default_factory=dict)
    # Labels of the nodes Karpenter launches (the managed workload groups carry the same).
    node_labels: Mapping[str, str] = field(default_factory=lambda: {"role": "workload"})
    # Where the controller runs: the managed system nodes (tainted CriticalAddonsOnly).
    controller_node_selector: Mapping[str, str] = field(default_factory=lambda: {"role": "system"})
    namespace: str = "karpenter"
    service_account: str = "karpenter"
    node_pool_name: str = "workload"
    # Nodes are replaced after this long (AMI and kernel patches reach every node).
    expire_after: str = "720h"
    consolidate_after: str = "1m"


def check_node_pool(args: AutoscalingArgs) -> None:
    """The NodePool's choices, before anything is declared: Graviton families only (the nodes run
    the arm64 AMI), known capacity types, enough families for SPOT to fall back across, a CPU
    ceiling, a disruption budget Karpenter reads."""
    if not args.instance_families:
        raise ValueError("instance_families: at least one instance family is needed")
    for family in args.instance_families:
        if not _GRAVITON_FAMILY.match(family):
            raise ValueError(
                f"instance_families: {family} is not a Graviton (arm64) family such as m7g"
            )
    if not args.instance_sizes:
        raise ValueError("instance_sizes: at least one instance size is needed")
    if not args.capacity_types or not set(args.capacity_types) <= set(CAPACITY_TYPES):
        raise ValueError(
            f"capacity_types: expected spot and/or on-demand, got {list(args.capacity_types)}"
        )
    if "spot" in args.capacity_types and len(set(args.instance_families)) < SPOT_MIN_FAMILIES:
        raise ValueError(
            f"instance_families: SPOT needs at least {SPOT_MIN_FAMILIES} families for capacity "
            f"fallback, got {sorted(set(args.instance_families))}"
        )
    if args.cpu_limit < 1:
        raise ValueError(f"cpu_limit: expected 1 vCPU or more, got {args.cpu_limit}")
    if not _DISRUPTION_BUDGET.match(args.disruption_budget):
        raise ValueError(
            f"disruption_budget: expected a count or a percentage, got {args.disruption_budget!r}"
        )
    if args.controller_replicas < 1:
        raise ValueError("controller_replicas: at least one controller is needed")


def controller_policy(
    cluster_name: str,
    region: str,
    account_id: str,
    *,
    queue_arn: str,
    node_role_arn: str,
    instance_profile_arn: str,
) -> str:
    """The Karpenter controller's permissions, after Karpenter's CloudFormation reference (v1):
    writes only with the cluster's ownership tag and a NodePool tag in the request (creating) or
    on the resource (tagging, terminating), in this region. The reference's instance-profile
    statements are left out: the instance profile is made by this component."""
    ec2 = f"arn:aws:ec2:{region}"
    owned = f"kubernetes.io/cluster/{cluster_name}"
    launched = [
        f"{ec2}:*:{kind}/*"
        for kind in (
            "fleet",
            "instance",
            "volume",
            "network-interface",
            "launch-template",
            "spot-instances-request",
        )
    ]
    request_tags = {
        "StringEquals": {
            f"aws:RequestTag/{owned}": "owned",
            "aws:RequestTag/eks:eks-cluster-name": cluster_name,
        },
        "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
    }
    resource_tags = {
        "StringEquals": {f"aws:ResourceTag/{owned}": "owned"},
        "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
    }
    return policy_json(
        [
            {
                "Sid": "LaunchFromSharedResources",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Resource": [
                    f"{ec2}::image/*",
                    f"{ec2}::snapshot/*",
                    f"{ec2}:*:security-group/*",
                    f"{ec2}:*:subnet/*",
                ],
            },
            {
                "Sid": "LaunchFromOwnLaunchTemplates",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
                "Resource": f"{ec2}:*:launch-template/*",
                "Condition": resource_tags,
            },
            {
                "Sid": "CreateOnlyTaggedForThisCluster",
                "Effect": "Allow",
                "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
                "Resource": launched,
                "Condition": request_tags,
            },
            {
                "Sid": "TagOnCreation",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": launched,
                "Condition": {
                    "StringEquals": {
                        **request_tags["StringEquals"],
                        "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"],
                    },
                    "StringLike": request_tags["StringLike"],
                },
            },
            {
                "Sid": "TagOwnInstances",
                "Effect": "Allow",
                "Action": "ec2:CreateTags",
                "Resource": f"{ec2}:*:instance/*",
                "Condition": {
                    **resource_tags,
                    "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": cluster_name},
                    "ForAllValues:StringEquals": {
                        "aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]
                    },
                },
            },
            {
                "Sid": "DeleteOnlyOwn",
                "Effect": "Allow",
                "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
                "Resource": [f"{ec2}:*:instance/*", f"{ec2}:*:launch-template/*"],
                "Condition": resource_tags,
            },
            {
                "Sid": "RegionalReads",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeImages",
                    "ec2:DescribeInstances",
                    "ec2:DescribeInstanceTypeOfferings",
                    "ec2:DescribeInstanceTypes",
                    "ec2:DescribeLaunchTemplates",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSpotPriceHistory",
                    "ec2:DescribeSubnets",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:RequestedRegion": region}},
            },
            {
                "Sid": "AmiParameters",
                "Effect": "Allow",
                "Action": "ssm:GetParameter",
                "Resource": f"arn:aws:ssm:{region}::parameter/aws/service/*",
            },
            {
                # The Price List API has no resource-level permissions.
                "Sid": "Prices",
                "Effect": "Allow",
                "Action": "pricing:GetProducts",
                "Resource": "*",
            },
            {
                "Sid": "InterruptionQueue",
                "Effect": "Allow",
                "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
                "Resource": queue_arn,
            },
            {
                "Sid": "PassOnlyTheNodeRole",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": node_role_arn,
                "Condition": {"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}},
            },
            {
                "Sid": "ReadTheNodeInstanceProfile",
                "Effect": "Allow",
                "Action": "iam:GetInstanceProfile",
                "Resource": instance_profile_arn,
            },
            {
                "Sid": "ClusterEndpoint",
                "Effect": "Allow",
                "Action": "eks:DescribeCluster",
                "Resource": f"arn:aws:eks:{region}:{account_id}:cluster/{cluster_name}",
            },
        ]
    )


def interruption_queue_policy(queue_arn: str, rule_arns: Sequence[str]) -> str:
    """Only EventBridge may send to the queue, and only on behalf of this component's rules; no
    request without TLS."""
    return policy_json(
        [
            {
                "Sid": "EventBridgeRulesSend",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": list(rule_arns)}},
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ]
    )


def event_pattern(source: str, detail_type: str) -> str:
    return json.dumps({"source": [source], "detail-type": [detail_type]}, separators=(",", ":"))


def node_class_spec(
    args: AutoscalingArgs,
    cluster_name: str,
    instance_profile: str,
    cluster_security_group_id: str,
) -> dict[str, Any]:
    """The EC2NodeClass: how a node is launched. Everything the security pack judges is set
    explicitly, not left to Karpenter's defaults."""
    discovery = {DISCOVERY_TAG: cluster_name}
    return {
        "amiSelectorTerms": [{"alias": args.ami_alias}],
        "instanceProfile": instance_profile,
        "subnetSelectorTerms": [{"tags": discovery}],
        # The nodes' security group by tag, and the EKS cluster security group (control plane
        # and node-to-node traffic) by id, as the managed groups' launch templates list both.
        "securityGroupSelectorTerms": [{"tags": discovery}, {"id": cluster_security_group_id}],
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "blockDeviceMappings": [
            {
                "deviceName": "/dev/xvda",
                "ebs": {
                    "volumeSize": f"{args.node_volume_gb}Gi",
                    "volumeType": "gp3",
                    "encrypted": True,
                    "deleteOnTermination": True,
                },
            }
        ],
        "tags": {**args.node_tags, "Name": f"{cluster_name}-karpenter"},
    }


def node_pool_spec(args: AutoscalingArgs, node_class: str) -> dict[str, Any]:
    """The NodePool: which nodes may be launched, how many CPUs in all, and how they are
    disrupted. With both capacity types Karpenter launches SPOT, and on-demand when no allowed
    SPOT pool has capacity."""
    return {
        "template": {
            "metadata": {"labels": dict(args.node_labels)},
            "spec": {
                "nodeClassRef": {
                    "group": "karpenter.k8s.aws",
                    "kind": "EC2NodeClass",
                    "name": node_class,
                },
                "requirements": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["arm64"]},
                    {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
                    {
                        "key": "karpenter.sh/capacity-type",
                        "operator": "In",
                        "values": list(args.capacity_types),
                    },
                    {
                        "key": "karpenter.k8s.aws/instance-family",
                        "operator": "In",
                        "values": list(args.instance_families),
                    },
                    {
                        "key": "karpenter.k8s.aws/instance-size",
                        "operator": "In",
                        "values": list(args.instance_sizes),
                    },
                ],
                "expireAfter": args.expire_after,
            },
        },
        "limits": {"cpu": str(args.cpu_limit)},
        "disruption": {
            "consolidationPolicy": "WhenEmptyOrUnderutilized",
            "consolidateAfter": args.consolidate_after,
            "budgets": [{"nodes": args.disruption_budget}],
        },
    }


def karpenter_values(
    args: AutoscalingArgs, cluster_name: str, role_arn: str, queue_name: str
) -> dict[str, Any]:
    """The karpenter chart's values: which cluster and queue, the IRSA role, and the controller on
    the system nodes (it must not run on nodes it may consolidate away)."""
    return {
        "settings": {"clusterName": cluster_name, "interruptionQueue": queue_name},
        "serviceAccount": {
            "name": args.service_account,
            "annotations": {ROLE_ARN_ANNOTATION: role_arn},
        },
        "replicas": args.controller_replicas,
        "nodeSelector": dict(args.controller_node_selector),
        "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
        "controller": {
            "resources": {
                "requests": {"cpu": "250m", "memory": "512Mi"},
                "limits": {"memory": "1Gi"},
            }
        },
        "logLevel": "info",
    }


class Autoscaling(pulumi.ComponentResource):
    controller_role_arn: pulumi.Output[str]
    node_role_arn: pulumi.Output[str]
    interruption_queue_name: pulumi.Output[str]
    node_pool_name: str

    def __init__(
        self, name: str, args: AutoscalingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:autoscaling:Autoscaling", name, None, opts)
        check_node_pool(args)
        cluster_name = pulumi.Output.from_input(args.cluster_name)

        # -- nodes -----------------------------------------------------------------------------
        node_role = aws.iam.Role(
            f"{name}-nodes",
            description=pulumi.Output.concat(
                "Nodes Karpenter launches for EKS cluster ", cluster_name
            ),
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
        profile = aws.iam.InstanceProfile(
            f"{name}-nodes", role=node_role.name, opts=child(self, depends_on=node_policies)
        )
        # EC2_LINUX: the node joins the cluster's system:nodes group (no policy association).
        access = aws.eks.AccessEntry(
            f"{name}-nodes",
            cluster_name=args.cluster_name,
            principal_arn=node_role.arn,
            type="EC2_LINUX",
            opts=child(self),
        )

        # -- interruption handling -------------------------------------------------------------
        queue = aws.sqs.Queue(
            f"{name}-interruption",
            name=cluster_name.apply(lambda n: f"{n}-karpenter"),
            message_retention_seconds=300,
            sqs_managed_sse_enabled=True,
            opts=child(self),
        )
        rules = []
        for role, source, detail_type in INTERRUPTION_EVENTS:
            rule = aws.cloudwatch.EventRule(
                f"{name}-{role}",
                description=f"{detail_type} to Karpenter's interruption queue",
                event_pattern=event_pattern(source, detail_type),
                opts=child(self),
            )
            aws.cloudwatch.EventTarget(
                f"{name}-{role}",
                rule=rule.name,
                target_id="KarpenterInterruptionQueue",
                arn=queue.arn,
                opts=child(self),
            )
            rules.append(rule)
        aws.sqs.QueuePolicy(
            f"{name}-interruption",
            queue_url=queue.url,
            policy=pulumi.Output.all(queue.arn, *[r.arn for r in rules]).apply(
                lambda a: interruption_queue_policy(a[0], a[1:])
            ),
            opts=child(self),
        )

        # -- controller identity ---------------------------------------------------------------
        controller_role = aws.iam.Role(
            f"{name}-controller",
            description=pulumi.Output.concat(
                "IRSA role of Karpenter in EKS cluster ",
                cluster_name,
                f", for service account {args.namespace}/{args.service_account}",
            ),
            assume_role_policy=pulumi.Output.all(
                args.oidc_provider_arn, args.oidc_provider_url
            ).apply(lambda p: irsa_trust_policy(p[0], p[1], args.namespace, args.service_account)),
            opts=child(self),
        )
        controller_policy_doc = pulumi.Output.all(
            cluster_name, queue.arn, node_role.arn, profile.arn
        ).apply(
            lambda a: controller_policy(
                a[0],
                args.region,
                args.account_id,
                queue_arn=a[1],
                node_role_arn=a[2],
                instance_profile_arn=a[3],
            )
        )
        controller_grant = aws.iam.RolePolicy(
            f"{name}-controller",
            role=controller_role.id,
            policy=controller_policy_doc,
            opts=child(self),
        )

        # -- in the cluster --------------------------------------------------------------------
        namespace = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.namespace,
                # The chart's pods run as non-root with a read-only root file system; `restricted`
                # is audited and warned about until the chart is checked against it.
                labels={
                    "pod-security.kubernetes.io/enforce": "baseline",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            ),
            opts=child(self),
        )
        # The controller serves nothing other pods need (no webhook): nothing may reach it.
        k8s.networking.v1.NetworkPolicy(
            f"{name}-deny-ingress",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="default-deny-ingress",
                namespace=namespace.metadata.apply(lambda m: str(m.name)),
            ),
            spec=default_deny_ingress_spec(),
            opts=child(self),
        )
        crds = k8s.helm.v3.Release(
            f"{name}-karpenter-crd",
            name="karpenter-crd",
            chart=f"{KARPENTER_CHART_REPOSITORY}/karpenter-crd",
            version=args.karpenter_version,
            namespace=namespace.metadata.apply(lambda m: str(m.name)),
            opts=child(self),
        )
        controller = k8s.helm.v3.Release(
            f"{name}-karpenter",
            name="karpenter",
            chart=f"{KARPENTER_CHART_REPOSITORY}/karpenter",
            version=args.karpenter_version,
            namespace=namespace.metadata.apply(lambda m: str(m.name)),
            # The CRDs come from karpenter-crd, which upgrades them with the version.
            skip_crds=True,
            values=pulumi.Output.all(cluster_name, controller_role.arn, queue.name).apply(
                lambda a: karpenter_values(args, a[0], a[1], a[2])
            ),
            opts=child(self, depends_on=[crds, controller_grant, access]),
        )
        node_class = k8s.apiextensions.CustomResource(
            f"{name}-node-class",
            api_version="karpenter.k8s.aws/v1",
            kind="EC2NodeClass",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.node_pool_name),
            spec=pulumi.Output.all(
                cluster_name, profile.name, args.cluster_security_group_id
            ).apply(lambda a: node_class_spec(args, a[0], a[1], a[2])),
            opts=child(self, depends_on=[crds]),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-node-pool",
            api_version="karpenter.sh/v1",
            kind="NodePool",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.node_pool_name),
            spec=node_pool_spec(args, args.node_pool_name),
            opts=child(self, depends_on=[crds, node_class, controller]),
        )

        self.controller_role_arn = controller_role.arn
        self.node_role_arn = node_role.arn
        self.interruption_queue_name = queue.name
        self.node_pool_name = args.node_pool_name
        self.register_outputs(
            {
                "controllerRoleArn": self.controller_role_arn,
                "nodeRoleArn": self.node_role_arn,
                "interruptionQueueName": self.interruption_queue_name,
                "nodePoolName": self.node_pool_name,
            }
        )

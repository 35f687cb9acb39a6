"""Chaos in the cloud: AWS FIS experiment templates, each stopped by the SLO page alarms and run by
its own least-privilege role.

- `spot-interruption`: a two-minute spot interruption notice to one running Karpenter node of the
  cluster (instances tagged `karpenter.sh/nodepool=<pool>` and the cluster's ownership tag).
- `az-network`: the subnets of one AZ (private and database) lose all network for five minutes
  (`aws:network:disrupt-connectivity`, which swaps in a deny-all network ACL that FIS tags
  `managedByFIS=true` and removes afterwards).
- `rds-failover`: a reboot of the database instance with `forceFailover` (the instance form of a
  failover; `aws:rds:failover-db-cluster` is for Aurora clusters). Meaningful with Multi-AZ only.

Templates cost nothing while idle; FIS bills action-minutes when one runs. Running one is a human
decision (`aws fis start-experiment`), never the program's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import PACKAGE, assume_role_policy, child, policy_json

EXPERIMENTS = ("spot-interruption", "az-network", "rds-failover")
FIS_TAG = "managedByFIS"


def spot_policy(region: str, account_id: str, cluster_name: str) -> str:
    """Interrupt only the cluster's Karpenter nodes; describing instances cannot be scoped."""
    return policy_json(
        [
            {
                "Sid": "InterruptKarpenterNodes",
                "Effect": "Allow",
                "Action": "ec2:SendSpotInstanceInterruptions",
                "Resource": f"arn:aws:ec2:{region}:{account_id}:instance/*",
                "Condition": {
                    "StringEquals": {
                        f"aws:ResourceTag/kubernetes.io/cluster/{cluster_name}": "owned"
                    },
                    "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                },
            },
            {
                "Sid": "FindTargets",
                "Effect": "Allow",
                "Action": "ec2:DescribeInstances",
                "Resource": "*",
            },
        ]
    )


def network_policy(region: str, account_id: str, vpc_id: str, subnet_ids: Sequence[str]) -> str:
    """Create, use and delete only network ACLs FIS tags as its own, in this VPC, on these
    subnets (the permissions AWS documents for aws:network:disrupt-connectivity)."""
    acl = f"arn:aws:ec2:{region}:{account_id}:network-acl/*"
    subnets = [f"arn:aws:ec2:{region}:{account_id}:subnet/{s}" for s in subnet_ids]
    return policy_json(
        [
            {
                "Sid": "CreateTaggedAcl",
                "Effect": "Allow",
                "Action": ["ec2:CreateNetworkAcl", "ec2:CreateTags"],
                "Resource": acl,
                "Condition": {"StringEquals": {f"aws:RequestTag/{FIS_TAG}": "true"}},
            },
            {
                "Sid": "CreateAclInVpc",
                "Effect": "Allow",
                "Action": "ec2:CreateNetworkAcl",
                "Resource": f"arn:aws:ec2:{region}:{account_id}:vpc/{vpc_id}",
            },
            {
                "Sid": "UseOwnAcl",
                "Effect": "Allow",
                "Action": [
                    "ec2:CreateNetworkAclEntry",
                    "ec2:DeleteNetworkAcl",
                    "ec2:ReplaceNetworkAclAssociation",
                ],
                "Resource": acl,
                "Condition": {"StringEquals": {f"aws:ResourceTag/{FIS_TAG}": "true"}},
            },
            {
                "Sid": "SwapTargetSubnets",
                "Effect": "Allow",
                "Action": "ec2:ReplaceNetworkAclAssociation",
                "Resource": [*subnets, acl],
            },
            {
                "Sid": "FindTargets",
                "Effect": "Allow",
                "Action": [
                    "ec2:DescribeNetworkAcls",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                    "ec2:DescribeManagedPrefixLists",
                ],
                "Resource": "*",
            },
        ]
    )


def rds_policy(db_arn: str) -> str:
    return policy_json(
        [
            {
                "Sid": "FailOverTheDatabase",
                "Effect": "Allow",
                "Action": ["rds:RebootDBInstance", "rds:DescribeDBInstances"],
                "Resource": db_arn,
            }
        ]
    )


def _params(values: dict[str, str]) -> list[aws.fis.ExperimentTemplateActionParameterArgs]:
    return [
        aws.fis.ExperimentTemplateActionParameterArgs(key=k, value=v) for k, v in values.items()
    ]


@dataclass(frozen=True)
class FisArgs:
    stack: str
    region: str
    account_id: pulumi.Input[str]
    # Page alarms that stop every experiment (at least one: an experiment is never unguarded).
    stop_alarm_arns: Sequence[pulumi.Input[str]]
    experiments: Sequence[str] = field(default_factory=tuple)
    cluster_name: str = ""
    node_pool_name: str = "workload"
    vpc_id: pulumi.Input[str] = ""
    # The subnets of the AZ that loses its network.
    az_subnet_ids: Sequence[pulumi.Input[str]] = field(default_factory=tuple)
    db_instance_arn: pulumi.Input[str] | None = None


class Fis(pulumi.ComponentResource):
    template_ids: dict[str, pulumi.Output[str]]

    def __init__(self, name: str, args: FisArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{PACKAGE}:fis:Fis", name, None, opts)
        unknown = set(args.experiments) - set(EXPERIMENTS)
        if unknown:
            raise ValueError(f"unknown FIS experiments {sorted(unknown)}: expected {EXPERIMENTS}")
        if args.experiments and not args.stop_alarm_arns:
            raise ValueError("FIS experiments need stop alarms (the SLO page alarms)")
        prefix = f"{PACKAGE}-{args.stack}-{name}"
        account_id = pulumi.Output.from_input(args.account_id)
        stops = [
            aws.fis.ExperimentTemplateStopConditionArgs(source="aws:cloudwatch:alarm", value=a)
            for a in args.stop_alarm_arns
        ]
        self.template_ids = {}

        def role(kind: str, policy: pulumi.Output[str]) -> aws.iam.Role:
            r = aws.iam.Role(
                f"{name}-{kind}",
                name=f"{prefix}-{kind}",
                assume_role_policy=assume_role_policy("fis.amazonaws.com"),
                opts=child(self),
            )
            aws.iam.RolePolicy(f"{name}-{kind}", role=r.id, policy=policy, opts=child(self))
            return r

        def template(
            kind: str,
            description: str,
            policy: pulumi.Output[str],
            action: aws.fis.ExperimentTemplateActionArgs,
            target: aws.fis.ExperimentTemplateTargetArgs,
        ) -> None:
            t = aws.fis.ExperimentTemplate(
                f"{name}-{kind}",
                description=f"[{args.stack}] {description}",
                role_arn=role(kind, policy).arn,
                stop_conditions=stops,
                actions=[action],
                targets=[target],
                tags={"Name": f"{prefix}-{kind}"},
                opts=child(self),
            )
            self.template_ids[kind] = t.id

        if "spot-interruption" in args.experiments:
            template(
                "spot-interruption",
                "Spot interruption notice to one Karpenter node",
                account_id.apply(lambda a: spot_policy(args.region, a, args.cluster_name)),
                aws.fis.ExperimentTemplateActionArgs(
                    name="interrupt",
                    action_id="aws:ec2:send-spot-instance-interruptions",
                    parameters=_params({"durationBeforeInterruption": "PT2M"}),
                    target=aws.fis.ExperimentTemplateActionTargetArgs(
                        key="SpotInstances", value="karpenter-nodes"
                    ),
                ),
                aws.fis.ExperimentTemplateTargetArgs(
                    name="karpenter-nodes",
                    resource_type="aws:ec2:spot-instance",
                    selection_mode="COUNT(1)",
                    resource_tags=[
                        aws.fis.ExperimentTemplateTargetResourceTagArgs(
                            key="karpenter.sh/nodepool", value=args.node_pool_name
                        ),
                        aws.fis.ExperimentTemplateTargetResourceTagArgs(
                            key=f"kubernetes.io/cluster/{args.cluster_name}", value="owned"
                        ),
                    ],
                    filters=[
                        aws.fis.ExperimentTemplateTargetFilterArgs(
                            path="State.Name", values=["running"]
                        )
                    ],
                ),
            )
        if "az-network" in args.experiments:
            subnet_ids = pulumi.Output.all(*args.az_subnet_ids)
            template(
                "az-network",
                "One AZ's subnets lose all network for 5 minutes",
                pulumi.Output.all(account_id, args.vpc_id, subnet_ids).apply(
                    lambda a: network_policy(args.region, a[0], a[1], a[2])
                ),
                aws.fis.ExperimentTemplateActionArgs(
                    name="disrupt",
                    action_id="aws:network:disrupt-connectivity",
                    parameters=_params({"duration": "PT5M", "scope": "all"}),
                    target=aws.fis.ExperimentTemplateActionTargetArgs(
                        key="Subnets", value="az-subnets"
                    ),
                ),
                aws.fis.ExperimentTemplateTargetArgs(
                    name="az-subnets",
                    resource_type="aws:ec2:subnet",
                    selection_mode="ALL",
                    resource_arns=pulumi.Output.all(account_id, subnet_ids).apply(
                        lambda a: [f"arn:aws:ec2:{args.region}:{a[0]}:subnet/{s}" for s in a[1]]
                    ),
                ),
            )
        if "rds-failover" in args.experiments:
            if args.db_instance_arn is None:
                raise ValueError("the rds-failover experiment needs the database's ARN")
            db_arn = pulumi.Output.from_input(args.db_instance_arn)
            template(
                "rds-failover",
                "Reboot the database with a forced Multi-AZ failover",
                db_arn.apply(rds_policy),
                aws.fis.ExperimentTemplateActionArgs(
                    name="failover",
                    action_id="aws:rds:reboot-db-instances",
                    parameters=_params({"forceFailover": "true"}),
                    target=aws.fis.ExperimentTemplateActionTargetArgs(
                        key="DBInstances", value="database"
                    ),
                ),
                aws.fis.ExperimentTemplateTargetArgs(
                    name="database",
                    resource_type="aws:rds:db",
                    selection_mode="ALL",
                    resource_arns=[db_arn],
                ),
            )
        self.register_outputs({"templateIds": self.template_ids})

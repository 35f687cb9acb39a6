"""Graviton (arm64) rules: node groups, EC2 launch templates and instances, and databases run on
Graviton, which costs less than the x86 instance of the same size for the same work."""

from __future__ import annotations

import re

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_list, config, fail_closed, matches_any, rule_tags, string_list

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
EC2_INSTANCE = "aws:ec2/instance:Instance"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"

# A Graviton family is a class, a generation and a `g`, then optional attribute letters: t4g,
# m7g, c7gn, r6gd, x2gd, im4gn, is4gen, g5g, hpc7g. `a1` is the first Graviton.
_GRAVITON_FAMILY = re.compile(r"^(a1|[a-z]+\d+g[a-z]*)$")

# What EKS launches when a node group names no instance types and its launch template none.
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"
DEFAULT_EXEMPT_DB_CLASSES = ["db.serverless"]


def instance_family(instance_type: str) -> str:
    """`m7g` of `m7g.large`, and of the RDS class `db.m7g.large`."""
    return instance_type.removeprefix("db.").split(".", 1)[0]


def is_graviton(instance_type: str) -> bool:
    return bool(_GRAVITON_FAMILY.match(instance_family(instance_type)))


def is_arm_ami_type(ami_type: str) -> bool:
    """EKS AMI types for arm64: AL2_ARM_64, AL2023_ARM_64_STANDARD, BOTTLEROCKET_ARM_64, ..."""
    return "ARM_64" in ami_type


@fail_closed
def graviton_node_groups_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != NODE_GROUP:
        return
    ami_type = args.props.get("amiType")
    # CUSTOM: the launch template's AMI; its architecture follows from the instance types.
    if ami_type is None:
        report_violation(
            "amiType is not set, so EKS picks an x86_64 AMI. Set ami_type to an arm64 type such "
            "as AL2023_ARM_64_STANDARD or BOTTLEROCKET_ARM_64.",
            None,
        )
    elif ami_type != "CUSTOM" and not is_arm_ami_type(str(ami_type)):
        report_violation(
            f"amiType is {ami_type}, an x86_64 AMI. Set ami_type to an arm64 type such as "
            "AL2023_ARM_64_STANDARD or BOTTLEROCKET_ARM_64, with Graviton instance types.",
            None,
        )
    types = [str(t) for t in as_list(args.props.get("instanceTypes"))]
    if not types and args.props.get("launchTemplate"):
        return  # the launch template names the type; graviton-ec2-instances checks it
    others = [t for t in types or [EKS_DEFAULT_INSTANCE_TYPE] if not is_graviton(t)]
    if others:
        default = "" if types else f" (instanceTypes is not set; EKS defaults to {others[0]})"
        report_violation(
            f"Instance types {others} are not Graviton{default}. Use Graviton types of the same "
            "size, e.g. m7g, c7g, r7g or t4g.",
            None,
        )


@fail_closed
def graviton_ec2_instances_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        return
    # Unset on a launch template: the node group or instance that uses it names the type.
    instance_type = args.props.get("instanceType")
    if instance_type and not is_graviton(str(instance_type)):
        report_violation(
            f"instanceType {instance_type} is not Graviton. Use the Graviton type of the same "
            "size (e.g. m7g.large for m7i.large, c7g for c6i, t4g for t3) with an arm64 AMI.",
            None,
        )


@fail_closed
def graviton_rds_instances_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (RDS_INSTANCE, RDS_CLUSTER_INSTANCE):
        return
    instance_class = args.props.get("instanceClass")
    if not instance_class:
        return  # required by the provider; nothing to judge until it is set
    exempt = config(args, "exemptInstanceClasses", DEFAULT_EXEMPT_DB_CLASSES)
    if not is_graviton(str(instance_class)) and not matches_any(str(instance_class), exempt):
        report_violation(
            f"instanceClass {instance_class} is not Graviton. Use the Graviton class of the "
            "same size (e.g. db.r7g.large for db.r6i.large, db.t4g for db.t3); the engine "
            "version must support it.",
            None,
        )


graviton_node_groups = ResourceValidationPolicy(
    name="graviton-node-groups",
    description="EKS node groups run an arm64 AMI on Graviton instance types.",
    validate=graviton_node_groups_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("COST-ARM-001"),
    remediation_steps="Set ami_type to an *_ARM_64* type (AL2023_ARM_64_STANDARD) and "
    "instance_types to Graviton types (m7g, c7g, r7g, t4g).",
)

graviton_ec2_instances = ResourceValidationPolicy(
    name="graviton-ec2-instances",
    description="Launch templates that name an instance type, and EC2 instances, use Graviton "
    "instance types.",
    validate=graviton_ec2_instances_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("COST-ARM-002"),
    remediation_steps="Set instance_type to the Graviton type of the same size and use an arm64 "
    "AMI.",
)

graviton_rds_instances = ResourceValidationPolicy(
    name="graviton-rds-instances",
    description="RDS and Aurora instances use Graviton instance classes.",
    validate=graviton_rds_instances_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "exemptInstanceClasses": string_list(
                "Instance class patterns allowed although not Graviton (engines "
                "with no Graviton class, Aurora Serverless v2).",
                DEFAULT_EXEMPT_DB_CLASSES,
            )
        }
    ),
    tags=rule_tags("COST-ARM-003"),
    remediation_steps="Set instance_class to the Graviton class of the same size (db.r7g, "
    "db.m7g, db.t4g).",
)

POLICIES = [graviton_node_groups, graviton_ec2_instances, graviton_rds_instances]

"""Instance-type allow-lists: the sizes a stack may buy, from the policy config, globally and per
node group (matched on the node group's logical name)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_list, config, fail_closed, matches_any, rule_tags
from policies.cost.graviton import (
    EC2_INSTANCE,
    EKS_DEFAULT_INSTANCE_TYPE,
    LAUNCH_TEMPLATE,
    NODE_GROUP,
    RDS_CLUSTER_INSTANCE,
    RDS_INSTANCE,
)

_PATTERNS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


def _instance_types(args: ResourceValidationArgs) -> list[str]:
    """The EC2 instance types a resource launches (none for a launch template or node group that
    leaves the choice to the other)."""
    if args.resource_type == NODE_GROUP:
        types = [str(t) for t in as_list(args.props.get("instanceTypes"))]
        if types or args.props.get("launchTemplate"):
            return types
        return [EKS_DEFAULT_INSTANCE_TYPE]
    if args.resource_type in (LAUNCH_TEMPLATE, EC2_INSTANCE):
        return [str(t) for t in as_list(args.props.get("instanceType"))]
    return []


@fail_closed
def allowed_instance_types_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type in (RDS_INSTANCE, RDS_CLUSTER_INSTANCE):
        allowed = config(args, "allowedDbInstanceClasses", [])
        instance_class = args.props.get("instanceClass")
        if allowed and instance_class and not matches_any(str(instance_class), allowed):
            report_violation(
                f"instanceClass {instance_class} is not in the allowed classes {allowed} "
                "(policy config allowedDbInstanceClasses). Pick an allowed class, or add this "
                "one to the policy config if the budget allows it.",
                None,
            )
        return
    if args.resource_type not in (NODE_GROUP, LAUNCH_TEMPLATE, EC2_INSTANCE):
        return
    lists: list[tuple[str, list[str]]] = []
    allowed = config(args, "allowedInstanceTypes", [])
    if allowed:
        lists.append(("allowedInstanceTypes", [str(p) for p in allowed]))
    if args.resource_type == NODE_GROUP:
        per_group: Mapping[str, Any] = config(args, "nodeGroupInstanceTypes", {}) or {}
        for name_pattern, patterns in per_group.items():
            if matches_any(args.name, [name_pattern]):
                lists.append(
                    (f"nodeGroupInstanceTypes['{name_pattern}']", [str(p) for p in patterns])
                )
    types = _instance_types(args)
    for key, patterns in lists:
        refused = [t for t in types if not matches_any(t, patterns)]
        if refused:
            report_violation(
                f"Instance types {refused} are not allowed here: policy config {key} allows "
                f"{patterns}. Pick allowed types, or add these to the policy config if the "
                "budget allows them.",
                None,
            )


allowed_instance_types = ResourceValidationPolicy(
    name="allowed-instance-types",
    description="Node groups, launch templates, EC2 instances and databases use only the instance "
    "types and classes the policy config allows.",
    validate=allowed_instance_types_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedInstanceTypes": {
                **_PATTERNS,
                "description": "EC2 instance type patterns (`t4g.*`, `m7g.large`) allowed "
                "everywhere; empty means no global limit.",
            },
            "nodeGroupInstanceTypes": {
                "type": "object",
                "additionalProperties": _PATTERNS,
                "description": "Per node group logical-name pattern (`*-system`), the instance "
                "type patterns it may use, on top of allowedInstanceTypes.",
            },
            "allowedDbInstanceClasses": {
                **_PATTERNS,
                "description": "RDS instance class patterns (`db.t4g.*`); empty means no limit.",
            },
        }
    ),
    tags=rule_tags("COST-EC2-001"),
    remediation_steps="Use an instance type the policy config allows, or extend the allow-list in "
    "policies/config/<stack>/cost.json.",
)

POLICIES = [allowed_instance_types]

"""EKS node capacity rules: what the nodes are bought as (SPOT or on demand) and how many of them
the autoscaler may start, per node group and across the stack."""

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
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import as_number, config, fail_closed, known, number_text, rule_tags

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"

# The system group (cluster add-ons: CoreDNS, the load balancer controller, ...) may stay on
# demand: add-ons evicted by a SPOT interruption take the cluster's DNS down with them.
DEFAULT_ON_DEMAND_LABELS = {"role": "system"}
DEFAULT_ON_DEMAND_MAX_NODES = 3
DEFAULT_MAX_NODES_PER_GROUP = 10
DEFAULT_MAX_NODES_PER_STACK = 20


def _max_size(props: Mapping[str, Any], *, preview_safe: bool = False) -> float | None:
    """scalingConfig.maxSize. A resource rule lets a value not known yet raise, so that the engine
    reports the rule as not runnable during the preview rather than the size as missing; the
    stack rule (`preview_safe`) counts only the groups whose size is known."""
    get = known if preview_safe else (lambda m, k: m.get(k))
    scaling = get(props, "scalingConfig")
    return as_number(get(scaling, "maxSize")) if isinstance(scaling, Mapping) else None


@fail_closed
def node_groups_on_spot_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != NODE_GROUP:
        return
    capacity = args.props.get("capacityType") or "ON_DEMAND"
    if capacity == "SPOT":
        return
    wanted = {
        str(k): str(v)
        for k, v in (config(args, "onDemandLabels", DEFAULT_ON_DEMAND_LABELS) or {}).items()
    }
    cap = float(config(args, "onDemandMaxNodes", DEFAULT_ON_DEMAND_MAX_NODES))
    labels = args.props.get("labels") or {}
    allowed = bool(wanted) and all(labels.get(k) == v for k, v in wanted.items())
    max_size = _max_size(args.props)
    if allowed and max_size is not None and max_size <= cap:
        return
    if allowed:
        size = number_text(max_size) if max_size is not None else "not set"
        report_violation(
            f"capacityType is {capacity} and the group carries the on-demand labels {wanted}, "
            f"but scalingConfig.maxSize is {size} (on-demand groups may have at most "
            f"{number_text(cap)} nodes; policy config onDemandMaxNodes). Lower max_size, or move "
            "the extra capacity to a SPOT group.",
            None,
        )
        return
    report_violation(
        f"capacityType is {capacity}{' (the default)' if 'capacityType' not in args.props else ''}"
        f". Set capacity_type='SPOT' with several instance types of similar size, so that an "
        f"interruption in one SPOT pool does not empty the group. Only groups labelled {wanted} "
        "(policy config onDemandLabels) may run on demand.",
        None,
    )


@fail_closed
def node_group_max_size_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != NODE_GROUP:
        return
    cap = float(config(args, "maxNodes", DEFAULT_MAX_NODES_PER_GROUP))
    max_size = _max_size(args.props)
    if max_size is None:
        report_violation(
            f"scalingConfig.maxSize is not set. Set scaling_config.max_size to at most "
            f"{number_text(cap)} so the autoscaler has a ceiling.",
            None,
        )
    elif max_size > cap:
        report_violation(
            f"scalingConfig.maxSize is {number_text(max_size)}, above the limit of "
            f"{number_text(cap)} nodes per group (policy config maxNodes). Lower "
            "scaling_config.max_size, or raise maxNodes in the policy config if the budget "
            "allows it.",
            None,
        )


@fail_closed
def stack_node_count_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    cap = float(config(args, "maxNodes", DEFAULT_MAX_NODES_PER_STACK))
    groups = [
        (r, size)
        for r in args.resources
        if r.resource_type == NODE_GROUP
        and (size := _max_size(r.props, preview_safe=True)) is not None
    ]
    total = sum(size for _, size in groups)
    if total <= cap:
        return
    # Reported on the largest group: the first one to trim.
    largest, _ = max(groups, key=lambda g: g[1])
    sizes = ", ".join(f"{r.name}={number_text(size)}" for r, size in groups)
    report_violation(
        f"The node groups may scale to {number_text(total)} nodes in all ({sizes}), above the "
        f"stack limit of {number_text(cap)} (policy config maxNodes). Lower the groups' "
        "scaling_config.max_size, starting with the largest.",
        largest.urn,
    )


node_groups_on_spot = ResourceValidationPolicy(
    name="node-groups-on-spot",
    description="EKS node groups run on SPOT capacity, except a small system group that the "
    "policy config allows on demand by its labels.",
    validate=node_groups_on_spot_validator,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "onDemandLabels": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": DEFAULT_ON_DEMAND_LABELS,
                "description": "Node labels (all of them) of the groups allowed on demand.",
            },
            "onDemandMaxNodes": {
                "type": "integer",
                "minimum": 0,
                "default": DEFAULT_ON_DEMAND_MAX_NODES,
                "description": "The largest maxSize an allowed on-demand group may have.",
            },
        }
    ),
    tags=rule_tags("COST-EKS-001"),
    remediation_steps="Set capacity_type='SPOT' and several instance types of similar size; keep "
    "on demand only for the system group (labels in onDemandLabels).",
)

node_group_max_size = ResourceValidationPolicy(
    name="node-group-max-size",
    description="Each EKS node group has an autoscaling ceiling no higher than the policy config "
    "allows.",
    validate=node_group_max_size_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "maxNodes": {
                "type": "integer",
                "minimum": 0,
                "default": DEFAULT_MAX_NODES_PER_GROUP,
                "description": "The largest scalingConfig.maxSize of one node group.",
            }
        }
    ),
    tags=rule_tags("COST-EKS-002"),
    remediation_steps="Lower scaling_config.max_size, or raise maxNodes in the policy config.",
)

stack_node_count = StackValidationPolicy(
    name="stack-node-count",
    description="The EKS node groups of a stack together may not scale beyond the node count the "
    "policy config allows.",
    validate=stack_node_count_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "maxNodes": {
                "type": "integer",
                "minimum": 0,
                "default": DEFAULT_MAX_NODES_PER_STACK,
                "description": "The largest sum of the node groups' scalingConfig.maxSize.",
            }
        }
    ),
    tags=rule_tags("COST-EKS-003"),
    remediation_steps="Lower the node groups' scaling_config.max_size, or raise maxNodes in the "
    "policy config.",
)

POLICIES = [node_groups_on_spot, node_group_max_size, stack_node_count]

"""Karpenter cost rules: what a NodePool may launch (Graviton only, the allowed families and sizes,
SPOT allowed wherever on-demand is), how much of it (a CPU ceiling), and that the nodes carry the
cost-allocation tags (EC2NodeClass), since the provider's default tags never reach instances
Karpenter launches and the stack's budget and anomaly monitor filter on those tags."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import PROJECT_TAG_KEYS, as_number, config, fail_closed, matches_any, rule_tags
from policies.karpenter import (
    ARCH,
    ARCHITECTURES,
    CAPACITY_TYPE,
    CAPACITY_TYPES,
    INSTANCE_FAMILY,
    INSTANCE_SIZE,
    INSTANCE_TYPE,
    allowed,
    cpu_quantity,
    is_node_class,
    is_node_pool,
    mapping,
    quantity_text,
    requirements,
)

DEFAULT_MAX_CPU = 100
_PATTERNS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}


def _sorted(values: Iterable[str]) -> list[str]:
    return sorted(values)


@fail_closed
def graviton_node_pools_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_pool(args.resource_type):
        return
    reqs = requirements(args.props)
    arches = allowed(reqs, ARCH, ARCHITECTURES)
    if arches == frozenset({"arm64"}):
        return
    if not any(r.get("key") == ARCH for r in reqs):
        how = "the pool has no kubernetes.io/arch requirement, so Karpenter launches amd64 (x86)"
    else:
        how = f"its kubernetes.io/arch requirement allows {_sorted(arches or ())}"
    report_violation(
        f"The NodePool may launch non-Graviton nodes: {how}. Graviton costs about 20% less for "
        "the same work. Add the requirement {key: kubernetes.io/arch, operator: In, values: "
        "[arm64]} and build multi-arch (or arm64) images.",
        None,
    )


graviton_node_pools = ResourceValidationPolicy(
    name="graviton-node-pools",
    description="Karpenter NodePools launch arm64 (Graviton) nodes only.",
    validate=graviton_node_pools_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("COST-ARM-004"),
    remediation_steps="Require kubernetes.io/arch In [arm64] in the NodePool's requirements.",
)


def _family_and_size(instance_type: str) -> tuple[str, str]:
    family, _, size = instance_type.partition(".")
    return family, size


@fail_closed
def node_pool_instance_types_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_pool(args.resource_type):
        return
    families_ok = [str(p) for p in config(args, "allowedInstanceFamilies", []) or []]
    sizes_ok = [str(p) for p in config(args, "allowedInstanceSizes", []) or []]
    reqs = requirements(args.props)
    types = allowed(reqs, INSTANCE_TYPE)
    families = allowed(reqs, INSTANCE_FAMILY)
    sizes = allowed(reqs, INSTANCE_SIZE)
    if types is not None:
        # An explicit list of types: each one's family and size, within the other requirements.
        pairs = [_family_and_size(t) for t in types]
        families = frozenset(f for f, s in pairs if families is None or f in families)
        sizes = frozenset(s for f, s in pairs if sizes is None or s in sizes)
    if families is None:
        report_violation(
            "The NodePool does not bound its instance families (no karpenter.k8s.aws/"
            "instance-family or node.kubernetes.io/instance-type In requirement), so Karpenter "
            "may launch any family. Require karpenter.k8s.aws/instance-family In the families "
            f"the policy config allows ({families_ok or 'any, but named'}).",
            None,
        )
    elif families_ok and (
        refused := _sorted(f for f in families if not matches_any(f, families_ok))
    ):
        report_violation(
            f"Instance families {refused} are not allowed here: policy config "
            f"allowedInstanceFamilies allows {families_ok}. Remove them from the NodePool's "
            "karpenter.k8s.aws/instance-family requirement, or add them to the policy config if "
            "the budget allows them.",
            None,
        )
    if not sizes_ok:
        return
    if sizes is None:
        report_violation(
            "The NodePool does not bound its instance sizes (no karpenter.k8s.aws/instance-size "
            "or node.kubernetes.io/instance-type In requirement), so one large pod can bring a "
            f"metal-sized node. Require karpenter.k8s.aws/instance-size In {sizes_ok}.",
            None,
        )
    elif refused := _sorted(s for s in sizes if not matches_any(s, sizes_ok)):
        report_violation(
            f"Instance sizes {refused} are not allowed here: policy config allowedInstanceSizes "
            f"allows {sizes_ok}. Narrow the NodePool's karpenter.k8s.aws/instance-size "
            "requirement, or extend the policy config if the budget allows it.",
            None,
        )


node_pool_instance_types = ResourceValidationPolicy(
    name="node-pool-instance-types",
    description="Karpenter NodePools name the instance families (and sizes) they may launch, "
    "within the allow-lists of the policy config.",
    validate=node_pool_instance_types_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedInstanceFamilies": {
                **_PATTERNS,
                "description": "Instance family patterns (`m7g`, `[cmr][678]g`) a NodePool may "
                "launch; empty: any family, but the pool must name its families.",
            },
            "allowedInstanceSizes": {
                **_PATTERNS,
                "description": "Instance size patterns (`large`, `*xlarge`); empty: no limit.",
            },
        }
    ),
    tags=rule_tags("COST-EC2-002"),
    remediation_steps="Require karpenter.k8s.aws/instance-family and instance-size In values the "
    "policy config allows (policies/config/<stack>/cost.json).",
)


@fail_closed
def node_pool_cpu_limit_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_pool(args.resource_type):
        return
    cap = as_number(config(args, "maxCpu", DEFAULT_MAX_CPU), "policy config maxCpu")
    ceiling = Decimal(str(cap if cap is not None else DEFAULT_MAX_CPU))
    spec = mapping(args.props.get("spec"), "spec")
    limits = mapping(spec.get("limits"), "spec.limits")
    cpu = cpu_quantity(limits.get("cpu"), "spec.limits.cpu")
    if cpu is None:
        report_violation(
            "spec.limits.cpu is not set, so Karpenter launches nodes for every pending pod "
            "without end (a crash-looping job or a bad HPA can buy the region). Set limits.cpu "
            f"to at most {quantity_text(ceiling)} (policy config maxCpu).",
            None,
        )
    elif cpu > ceiling:
        report_violation(
            f"spec.limits.cpu is {quantity_text(cpu)}, above the {quantity_text(ceiling)} vCPUs "
            "this stack allows (policy config maxCpu). Lower the NodePool's limits.cpu, or raise "
            "maxCpu in the policy config if the budget allows it.",
            None,
        )


node_pool_cpu_limit = ResourceValidationPolicy(
    name="node-pool-cpu-limit",
    description="Every Karpenter NodePool has a CPU ceiling (limits.cpu) no higher than the "
    "policy config allows.",
    validate=node_pool_cpu_limit_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "maxCpu": {
                "type": "number",
                "minimum": 0,
                "default": DEFAULT_MAX_CPU,
                "description": "The largest limits.cpu (vCPUs) of one NodePool.",
            }
        }
    ),
    tags=rule_tags("COST-EKS-004"),
    remediation_steps="Set the NodePool's spec.limits.cpu at or below maxCpu in the policy config.",
)


@fail_closed
def node_pool_spot_fallback_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_pool(args.resource_type):
        return
    reqs = requirements(args.props)
    kinds = allowed(reqs, CAPACITY_TYPE, CAPACITY_TYPES) or frozenset()
    if "spot" in kinds:
        return
    if not any(r.get("key") == CAPACITY_TYPE for r in reqs):
        how = "the pool has no karpenter.sh/capacity-type requirement, so Karpenter buys on-demand"
    else:
        how = f"its karpenter.sh/capacity-type requirement allows only {_sorted(kinds)}"
    report_violation(
        f"The NodePool never launches SPOT: {how}. Allow both "
        "(karpenter.sh/capacity-type In [spot, on-demand]): Karpenter then launches SPOT and "
        "falls back to on-demand only when no allowed SPOT pool has capacity.",
        None,
    )


node_pool_spot_fallback = ResourceValidationPolicy(
    name="node-pool-spot-fallback",
    description="Karpenter NodePools allow SPOT capacity, so that on-demand is only the fallback "
    "when SPOT is exhausted, never the only choice.",
    validate=node_pool_spot_fallback_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("COST-EKS-005"),
    remediation_steps="Set the karpenter.sh/capacity-type requirement to In [spot, on-demand].",
)


@fail_closed
def node_class_cost_tags_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_node_class(args.resource_type):
        return
    required = [str(k) for k in config(args, "requiredTags", list(PROJECT_TAG_KEYS))]
    spec = mapping(args.props.get("spec"), "spec")
    tags = mapping(spec.get("tags"), "spec.tags")
    missing = [k for k in required if not tags.get(k)]
    if missing:
        report_violation(
            f"spec.tags lacks the cost-allocation tags {missing}, so the instances and volumes "
            "Karpenter launches from this EC2NodeClass are invisible to the stack's budget and "
            "cost anomaly monitor (the provider's default tags do not reach them). Add them to "
            "the EC2NodeClass's spec.tags.",
            None,
        )


node_class_cost_tags = ResourceValidationPolicy(
    name="node-class-cost-tags",
    description="Karpenter EC2NodeClasses tag the instances and volumes they launch with the "
    "cost-allocation tags.",
    validate=node_class_cost_tags_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredTags": {
                **_PATTERNS,
                "default": list(PROJECT_TAG_KEYS),
                "description": "Tag keys every EC2NodeClass must put on what it launches.",
            }
        }
    ),
    tags=rule_tags("COST-TAG-002"),
    remediation_steps="Add project, stack, owner and cost-center to the EC2NodeClass's spec.tags.",
)

POLICIES = [
    graviton_node_pools,
    node_pool_instance_types,
    node_pool_cpu_limit,
    node_pool_spot_fallback,
    node_class_cost_tags,
]

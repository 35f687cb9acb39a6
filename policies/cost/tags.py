"""Cost-allocation tag rules."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import PROJECT_TAG_KEYS, config, effective_tags, rule_tags


def required_cost_tags_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not args.resource_type.startswith("aws:") or "tags" not in _taggable(args):
        return
    required = config(args, "requiredTags", list(PROJECT_TAG_KEYS))
    tags = effective_tags(args)
    missing = [k for k in required if not tags.get(k)]
    if missing:
        report_violation(
            f"Missing cost-allocation tags {missing}. Add them to the aws provider's "
            "default_tags (preferred) or to the resource's tags.",
            None,
        )


def _taggable(args: ResourceValidationArgs) -> set[str]:
    from agents.mocks import taggable  # noqa: PLC0415

    return {"tags"} if taggable(args.resource_type) else set()


required_cost_tags = ResourceValidationPolicy(
    name="required-cost-tags",
    description="Every taggable AWS resource carries the cost-allocation tags.",
    validate=required_cost_tags_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={"requiredTags": {"type": "array", "items": {"type": "string"}}}
    ),
    tags=rule_tags("COST-TAG-001"),
    remediation_steps="Set the tags in the aws provider's default_tags.",
)

POLICIES = [required_cost_tags]

"""Cost-allocation tag rules."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any, cast

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import (
    PROJECT_TAG_KEYS,
    config,
    effective_tags,
    fail_closed,
    remediation,
    rule_tags,
    string_list,
)
from toolchain.aws_types import tag_shape


@fail_closed
def required_cost_tags_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not args.resource_type.startswith("aws:") or "tags" not in _taggable(args):
        return
    missing = _missing_tags(args)
    if missing:
        report_violation(
            f"Missing cost-allocation tags {missing}. Add them to the aws provider's "
            "default_tags (preferred) or to the resource's tags.",
            None,
        )


def required_cost_tags_remediation(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Adds the missing tags whose values the policy config gives in `defaultTags` to the
    resource's own tags. Tags the config has no value for are left for the validator to report:
    a made-up owner or cost center would be worse than a missing one."""
    if not args.resource_type.startswith("aws:") or "tags" not in _taggable(args):
        return None
    values: Mapping[str, Any] = config(args, "defaultTags", {}) or {}
    fill = {k: str(values[k]) for k in _missing_tags(args) if values.get(k)}
    own = args.props.get("tags")
    if not fill or not (own is None or isinstance(own, Mapping)):
        return None
    props = cast(MutableMapping[str, Any], args.props)
    props["tags"] = {**(own or {}), **fill}
    return props


def _missing_tags(args: ResourceValidationArgs) -> list[str]:
    required = config(args, "requiredTags", list(PROJECT_TAG_KEYS))
    tags = effective_tags(args)
    return [str(k) for k in required if not tags.get(k)]


def _taggable(args: ResourceValidationArgs) -> set[str]:
    return {"tags"} if _takes_tag_map(args.resource_type) else set()


def _takes_tag_map(type_token: str) -> bool:
    """Whether the type takes a map of tags. An autoscaling group's `tags` is a list of
    {key, value, propagateAtLaunch}, and the provider's default tags do not apply to it."""
    return tag_shape(type_token) == "map"


required_cost_tags = ResourceValidationPolicy(
    name="required-cost-tags",
    description="Every taggable AWS resource carries the cost-allocation tags.",
    validate=required_cost_tags_validator,
    remediate=remediation(required_cost_tags_remediation),
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredTags": string_list(
                "Tag keys every taggable resource must end up with.", PROJECT_TAG_KEYS
            ),
            "defaultTags": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Values the remediation (enforcementLevel 'remediate') writes "
                "for missing tags; tags without a value here are only reported.",
            },
        }
    ),
    tags=rule_tags("COST-TAG-001"),
    remediation_steps="Set the tags in the aws provider's default_tags. With enforcementLevel "
    "'remediate' and `defaultTags` in the policy config, missing tags are added to the "
    "resource's own tags.",
)

POLICIES = [required_cost_tags]

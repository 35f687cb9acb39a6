"""CloudWatch Logs rules: every log group expires its events within the stack's bounds, and is
encrypted with a customer-managed KMS key."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_number, config, fail_closed, present, rule_tags

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"

DEFAULT_MINIMUM_DAYS = 7
DEFAULT_MAXIMUM_DAYS = 3653


@fail_closed
def log_group_retention_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LOG_GROUP:
        return
    low = as_number(config(args, "minimumDays", DEFAULT_MINIMUM_DAYS)) or DEFAULT_MINIMUM_DAYS
    high = as_number(config(args, "maximumDays", DEFAULT_MAXIMUM_DAYS)) or DEFAULT_MAXIMUM_DAYS
    days = as_number(args.props.get("retentionInDays")) or 0.0
    if days <= 0:
        report_violation(
            "retentionInDays is not set, so events never expire (and are paid for forever). Set "
            f"retention_in_days between {low:g} and {high:g}.",
            None,
        )
    elif not low <= days <= high:
        report_violation(
            f"retentionInDays is {days:g}, outside the allowed {low:g}-{high:g} days. Set "
            f"retention_in_days within those bounds (the stack's *RetentionDays config keys).",
            None,
        )


log_group_retention = ResourceValidationPolicy(
    name="log-group-retention",
    description="CloudWatch log groups expire their events within the configured bounds.",
    validate=log_group_retention_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MINIMUM_DAYS,
                "description": "The shortest allowed retention_in_days.",
            },
            "maximumDays": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MAXIMUM_DAYS,
                "description": "The longest allowed retention_in_days.",
            },
        }
    ),
    tags=rule_tags("SEC-LOG-001", checkov="CKV_AWS_66"),
    remediation_steps="Set retention_in_days within the configured minimum and maximum.",
)


@fail_closed
def log_group_kms_encryption_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != LOG_GROUP:
        return
    if not present(args.props, "kmsKeyId"):
        report_violation(
            "kmsKeyId is not set, so the log events are encrypted only with a key CloudWatch "
            "Logs owns. Set kms_key_id to a customer-managed key whose policy lets "
            "logs.<region>.amazonaws.com use it for this account's log groups (the logging "
            "component's key).",
            None,
        )


log_group_kms_encryption = ResourceValidationPolicy(
    name="log-group-kms-encryption",
    description="CloudWatch log groups are encrypted with a customer-managed KMS key.",
    validate=log_group_kms_encryption_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-LOG-002", checkov="CKV_AWS_158"),
    remediation_steps="Set kms_key_id on the log group to a customer-managed key.",
)

POLICIES = [log_group_retention, log_group_kms_encryption]

"""KMS rules: customer-managed keys rotate and cannot be deleted in a hurry."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_bool, as_number, config, fail_closed, framework, rule_tags

KMS_KEY = "aws:kms/key:Key"

# AWS's own default, and the longest window it allows.
DEFAULT_DELETION_WINDOW_DAYS = 30
DEFAULT_MINIMUM_DELETION_WINDOW_DAYS = 30


@fail_closed
def kms_key_rotation_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != KMS_KEY:
        return
    spec = args.props.get("customerMasterKeySpec") or args.props.get("keySpec")
    usage = args.props.get("keyUsage") or "ENCRYPT_DECRYPT"
    if (spec or "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT" or usage != "ENCRYPT_DECRYPT":
        return  # AWS rotates only symmetric encryption keys
    if as_bool(args.props.get("enableKeyRotation")) is not True:
        report_violation(
            "enableKeyRotation is not true, so the key material never changes. Set "
            "enable_key_rotation=True (AWS then rotates it yearly, or per "
            "rotation_period_in_days).",
            None,
        )


kms_key_rotation = ResourceValidationPolicy(
    name="kms-key-rotation",
    description="Symmetric customer-managed KMS keys rotate their key material.",
    validate=kms_key_rotation_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=framework(cis="3.6"),
    tags=rule_tags("SEC-KMS-001", cis="3.6", fsbp="KMS.4", checkov="CKV_AWS_7"),
    remediation_steps="Set enable_key_rotation=True on the key.",
)


@fail_closed
def kms_deletion_window_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != KMS_KEY:
        return
    minimum = as_number(config(args, "minimumDays", DEFAULT_MINIMUM_DELETION_WINDOW_DAYS)) or float(
        DEFAULT_MINIMUM_DELETION_WINDOW_DAYS
    )
    # Absent means AWS's default of 30 days.
    days = as_number(args.props.get("deletionWindowInDays")) or float(DEFAULT_DELETION_WINDOW_DAYS)
    if days < minimum:
        report_violation(
            f"deletionWindowInDays is {days:g}, below the minimum of {minimum:g}: a key scheduled "
            "for deletion by mistake (which makes everything it encrypted unreadable) can only "
            f"be rescued within that window. Set deletion_window_in_days to {minimum:g} or more.",
            None,
        )


kms_deletion_window = ResourceValidationPolicy(
    name="kms-deletion-window",
    description="KMS keys wait at least the configured number of days before deletion.",
    validate=kms_deletion_window_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumDays": {
                "type": "integer",
                "minimum": 7,
                "maximum": 30,
                "default": DEFAULT_MINIMUM_DELETION_WINDOW_DAYS,
                "description": "The shortest allowed deletion_window_in_days (AWS allows 7-30).",
            }
        }
    ),
    tags=rule_tags("SEC-KMS-002"),
    remediation_steps="Set deletion_window_in_days to the configured minimum or more (max 30).",
)

POLICIES = [kms_key_rotation, kms_deletion_window]

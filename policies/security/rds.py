"""RDS rules."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import framework, rule_tags

RDS_INSTANCE = "aws:rds/instance:Instance"


def rds_storage_encrypted_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != RDS_INSTANCE:
        return
    if args.props.get("storageEncrypted") is not True:
        report_violation(
            "storageEncrypted is not true. Set storage_encrypted=True with kms_key_id "
            "set to a customer-managed KMS key; an existing instance must be restored "
            "from an encrypted snapshot copy.",
            None,
        )


rds_storage_encrypted = ResourceValidationPolicy(
    name="rds-storage-encrypted",
    description="RDS instances encrypt their storage at rest.",
    validate=rds_storage_encrypted_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="2.3.1"),
    tags=rule_tags("SEC-RDS-001", cis="2.3.1", fsbp="RDS.3", checkov="CKV_AWS_16"),
    remediation_steps="Set storage_encrypted=True and kms_key_id to a customer-managed key.",
)

POLICIES = [rds_storage_encrypted]

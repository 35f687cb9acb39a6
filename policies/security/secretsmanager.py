"""Secrets Manager rules: secrets, including the master-user secrets RDS manages, are encrypted
with a customer-managed key."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_bool, fail_closed, present, rule_tags
from policies.security.rds import RDS_INSTANCE

SECRET = "aws:secretsmanager/secret:Secret"


@fail_closed
def secrets_customer_managed_key_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type == SECRET:
        if not present(args.props, "kmsKeyId"):
            report_violation(
                "kmsKeyId is not set, so the secret is encrypted with the AWS-managed "
                "aws/secretsmanager key, whose policy cannot be restricted or shared. Set "
                "kms_key_id to a customer-managed key.",
                None,
            )
    elif args.resource_type == RDS_INSTANCE:
        managed = as_bool(args.props.get("manageMasterUserPassword")) is True
        if managed and not present(args.props, "masterUserSecretKmsKeyId"):
            report_violation(
                "RDS manages the master password in Secrets Manager but "
                "masterUserSecretKmsKeyId is not set, so the secret uses the AWS-managed "
                "aws/secretsmanager key. Set master_user_secret_kms_key_id to a customer-managed "
                "key.",
                None,
            )


secrets_customer_managed_key = ResourceValidationPolicy(
    name="secrets-customer-managed-key",
    description=(
        "Secrets Manager secrets (including RDS-managed master passwords) are encrypted with a "
        "customer-managed KMS key."
    ),
    validate=secrets_customer_managed_key_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    tags=rule_tags("SEC-SM-001", checkov="CKV_AWS_149"),
    remediation_steps=(
        "Set kms_key_id on the secret (master_user_secret_kms_key_id on an RDS instance) to a "
        "customer-managed key."
    ),
)

POLICIES = [secrets_customer_managed_key]

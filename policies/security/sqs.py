"""SQS rules: queues encrypt their messages at rest."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import as_bool, fail_closed, present, rule_tags

QUEUE = "aws:sqs/queue:Queue"


@fail_closed
def sqs_encryption_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != QUEUE:
        return
    if present(args.props, "kmsMasterKeyId"):
        return
    managed = as_bool(args.props.get("sqsManagedSseEnabled"))
    if managed is True:
        return
    state = "false" if managed is False else "not set"
    report_violation(
        f"The queue sets no kmsMasterKeyId and sqsManagedSseEnabled is {state}, so its messages "
        "(here: instance and health events) may sit unencrypted, and what the queue gets is left "
        "to the account's default. Set sqs_managed_sse_enabled=True, or kms_master_key_id to a "
        "customer-managed key.",
        None,
    )


sqs_encryption = ResourceValidationPolicy(
    name="sqs-encryption",
    description="SQS queues encrypt their messages at rest (SSE-SQS or a KMS key), set explicitly.",
    validate=sqs_encryption_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-SQS-001", fsbp="SQS.1", checkov="CKV_AWS_27"),
    remediation_steps="Set sqs_managed_sse_enabled=True or kms_master_key_id on the queue.",
)

POLICIES = [sqs_encryption]

"""CloudTrail rules: how each trail is set up, that its bucket keeps access logs, and (where the
stack's policy config asks for it) that the stack has a trail at all."""

from __future__ import annotations

from collections.abc import Mapping

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import Targets, as_bool, fail_closed, framework, known, present, rule_tags
from policies.security.s3 import BUCKET_IDS, LOGGING_TYPES, buckets

TRAIL = "aws:cloudtrail/trail:Trail"


@fail_closed
def cloudtrail_multi_region_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != TRAIL:
        return
    if as_bool(args.props.get("isMultiRegionTrail")) is not True:
        report_violation(
            "isMultiRegionTrail is not true, so API activity in other regions is not recorded. "
            "Set is_multi_region_trail=True.",
            None,
        )
    if as_bool(args.props.get("includeGlobalServiceEvents")) is False:
        report_violation(
            "includeGlobalServiceEvents is false, so IAM, STS and other global API calls are not "
            "recorded. Set include_global_service_events=True (the default).",
            None,
        )


cloudtrail_multi_region = ResourceValidationPolicy(
    name="cloudtrail-multi-region",
    description="CloudTrail trails record every region and the global services.",
    validate=cloudtrail_multi_region_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="3.1"),
    tags=rule_tags("SEC-TRAIL-001", cis="3.1", fsbp="CloudTrail.1", checkov="CKV_AWS_67"),
    remediation_steps="Set is_multi_region_trail=True and include_global_service_events=True.",
)


@fail_closed
def cloudtrail_log_file_validation_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != TRAIL:
        return
    if as_bool(args.props.get("enableLogFileValidation")) is not True:
        report_violation(
            "enableLogFileValidation is not true, so tampering with delivered log files cannot "
            "be detected. Set enable_log_file_validation=True.",
            None,
        )


cloudtrail_log_file_validation = ResourceValidationPolicy(
    name="cloudtrail-log-file-validation",
    description="CloudTrail trails write signed digest files so log tampering can be detected.",
    validate=cloudtrail_log_file_validation_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=framework(cis="3.2"),
    tags=rule_tags("SEC-TRAIL-002", cis="3.2", fsbp="CloudTrail.4", checkov="CKV_AWS_36"),
    remediation_steps="Set enable_log_file_validation=True.",
)


@fail_closed
def cloudtrail_kms_encryption_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != TRAIL:
        return
    if not present(args.props, "kmsKeyId"):
        report_violation(
            "kmsKeyId is not set, so log files are only SSE-S3 encrypted and anyone who can read "
            "the bucket can read them. Set kms_key_id to a customer-managed key whose policy lets "
            "cloudtrail.amazonaws.com use it.",
            None,
        )


cloudtrail_kms_encryption = ResourceValidationPolicy(
    name="cloudtrail-kms-encryption",
    description="CloudTrail log files are encrypted with a customer-managed KMS key.",
    validate=cloudtrail_kms_encryption_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=framework(cis="3.5"),
    tags=rule_tags("SEC-TRAIL-003", cis="3.5", fsbp="CloudTrail.2", checkov="CKV_AWS_35"),
    remediation_steps="Set kms_key_id on the trail to a customer-managed key.",
)


@fail_closed
def cloudtrail_cloudwatch_logs_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != TRAIL:
        return
    missing = [
        k for k in ("cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn") if not present(args.props, k)
    ]
    if missing:
        report_violation(
            f"{missing} not set, so the trail does not deliver to CloudWatch Logs and no metric "
            "filter or alarm can watch it. Set cloud_watch_logs_group_arn (the log group ARN "
            "followed by ':*') and cloud_watch_logs_role_arn.",
            None,
        )


cloudtrail_cloudwatch_logs = ResourceValidationPolicy(
    name="cloudtrail-cloudwatch-logs",
    description="CloudTrail trails deliver their events to CloudWatch Logs.",
    validate=cloudtrail_cloudwatch_logs_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("SEC-TRAIL-004", fsbp="CloudTrail.5", checkov="CKV2_AWS_10"),
    remediation_steps="Set cloud_watch_logs_group_arn and cloud_watch_logs_role_arn.",
)


def _trail_bucket(trail: PolicyResource, index: Targets) -> PolicyResource | None:
    return next(iter(index.named_by(trail, "s3BucketName")), None)


@fail_closed
def cloudtrail_bucket_access_logging_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    # the buckets indexed once, and which of them a logging resource names: look-ups per
    # trail, not scans of the stack
    index = Targets(buckets(args.resources), BUCKET_IDS)
    logged_buckets = {
        id(b)
        for r in args.resources
        if r.resource_type in LOGGING_TYPES
        for b in index.named_by(r, "bucket")
    }
    for trail in (r for r in args.resources if r.resource_type == TRAIL):
        bucket = _trail_bucket(trail, index)
        if bucket is None:
            # A bucket of another stack or account (an organization's log archive) is checked
            # where it is managed.
            continue
        logged = id(bucket) in logged_buckets
        inline = known(bucket.props, "logging")
        if not logged and not (isinstance(inline, Mapping) and inline.get("targetBucket")):
            name = known(bucket.props, "bucket") or bucket.name
            report_violation(
                f"The bucket {name} of trail {trail.name} has no server access logging, so reads "
                "of the audit log are not recorded. Add an aws.s3.BucketLogging for it that "
                "targets a separate access-log bucket.",
                trail.urn,
            )


cloudtrail_bucket_access_logging = StackValidationPolicy(
    name="cloudtrail-bucket-access-logging",
    description="The S3 bucket a CloudTrail trail writes to has server access logging enabled.",
    validate=cloudtrail_bucket_access_logging_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    framework=framework(cis="3.4"),
    tags=rule_tags("SEC-TRAIL-005", cis="3.4", checkov="CKV_AWS_18"),
    remediation_steps=(
        "Add an aws.s3.BucketLogging for the trail bucket with target_bucket set to a separate "
        "access-log bucket."
    ),
)


@fail_closed
def cloudtrail_required_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    trails = [r for r in args.resources if r.resource_type == TRAIL]
    if any(
        as_bool(known(t.props, "isMultiRegionTrail")) is True
        and as_bool(known(t.props, "enableLogging")) is not False
        for t in trails
    ):
        return
    report_violation(
        "The stack has no logging multi-region CloudTrail trail"
        f"{f' (it has {len(trails)} other trail(s))' if trails else ''}. Enable the audit "
        "component (the stack config key enableCloudTrail), or disable this rule in the stack's "
        "policy config where an organization trail already records the account.",
        None,
    )


cloudtrail_required = StackValidationPolicy(
    name="cloudtrail-required",
    description="The stack has a logging multi-region CloudTrail trail.",
    validate=cloudtrail_required_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="3.1"),
    tags=rule_tags("SEC-TRAIL-006", cis="3.1", fsbp="CloudTrail.1"),
    remediation_steps=(
        "Set enableCloudTrail: true in the stack config, or set this rule to disabled in the "
        "stack's policy config when an organization trail covers the account."
    ),
)

POLICIES = [
    cloudtrail_multi_region,
    cloudtrail_log_file_validation,
    cloudtrail_kms_encryption,
    cloudtrail_cloudwatch_logs,
    cloudtrail_bucket_access_logging,
    cloudtrail_required,
]

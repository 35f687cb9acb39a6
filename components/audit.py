"""Audit: a multi-region CloudTrail trail of the account's management events, after AWS's
CloudTrail security best practices and CIS AWS Foundations 1.5, section 3 (3.1 to 3.4, 3.6, 3.7).

The trail writes to an S3 bucket that is private (all four public access blocks, ACLs disabled),
versioned, encrypted with a customer-managed KMS key, TLS-only, and open to CloudTrail only for this
trail (`aws:SourceArn`); its objects move to Glacier Instant Retrieval and expire by lifecycle rule.
Log file validation is on (CIS 3.2). Events are also delivered to a KMS-encrypted CloudWatch Logs
group (CIS 3.4) for metric filters and alarms. The trail bucket's server access logs (CIS 3.6) go to
a second bucket.

The trail's ARN is computed from its name, region and account, so the key policy and the bucket
policy can name it before the trail exists: the trail is created last, after the policy that admits
it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components import PACKAGE, child, policy_json

KMS_DELETION_WINDOW_DAYS = 30
TRAIL_NONCURRENT_VERSION_DAYS = 365  # a deleted or overwritten log file stays recoverable a year
ACCESS_LOG_NONCURRENT_VERSION_DAYS = 30
ABORT_INCOMPLETE_UPLOAD_DAYS = 7
ACCESS_LOG_PREFIX = "s3-access/"


@dataclass(frozen=True)
class AuditArgs:
    account_id: str
    region: str  # the trail's home region (the region of the component's provider)
    trail_name: str = "baseline"
    log_retention_days: int = 365  # the CloudWatch Logs copy
    object_expiration_days: int = 2555  # the S3 copy: about 7 years
    glacier_transition_days: int = 90
    access_log_expiration_days: int = 365


def trail_arn(region: str, account_id: str, trail_name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{trail_name}"


def log_group_name(trail_name: str) -> str:
    return f"/aws/cloudtrail/{trail_name}"


def log_group_arn(region: str, account_id: str, trail_name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name(trail_name)}"


def check_args(args: AuditArgs) -> None:
    if not args.glacier_transition_days < args.object_expiration_days:
        raise ValueError(
            f"object_expiration_days ({args.object_expiration_days}) must be greater than "
            f"glacier_transition_days ({args.glacier_transition_days})"
        )
    if args.glacier_transition_days < 1 or args.access_log_expiration_days < 1:
        raise ValueError("lifecycle days must be 1 or more")


def _deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [bucket_arn, f"{bucket_arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def key_policy(account_id: str, region: str, trail_name: str) -> str:
    """The trail key's policy, after AWS's "Configure AWS KMS key policies for CloudTrail": the
    account administers the key (and grants decryption through IAM policies); CloudTrail may
    encrypt for this trail only; CloudWatch Logs may use it for the trail's log group only."""
    trail = trail_arn(region, account_id, trail_name)
    return policy_json(
        [
            {
                "Sid": "EnableIamPolicies",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "AllowCloudTrailToEncryptLogs",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": (
                            f"arn:aws:cloudtrail:*:{account_id}:trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "AllowCloudTrailToDescribeKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail}},
            },
            {
                "Sid": "AllowCloudWatchLogsForTheTrailLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": [
                    "kms:Encrypt*",
                    "kms:Decrypt*",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:Describe*",
                ],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": log_group_arn(
                            region, account_id, trail_name
                        )
                    }
                },
            },
        ]
    )


def trail_bucket_policy(bucket_arn: str, account_id: str, trail: str) -> str:
    """TLS only; CloudTrail may check the ACL and write this account's logs, for this trail
    only (after AWS's "Amazon S3 bucket policy for CloudTrail")."""
    return policy_json(
        [
            _deny_insecure_transport(bucket_arn),
            {
                "Sid": "AllowCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail}},
            },
            {
                "Sid": "AllowCloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/AWSLogs/{account_id}/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": trail,
                    }
                },
            },
        ]
    )


def access_log_bucket_policy(bucket_arn: str, source_bucket_arn: str, account_id: str) -> str:
    """TLS only; S3 server access logging may write under the prefix, for the trail bucket of
    this account only (after AWS's "Permissions for log delivery")."""
    return policy_json(
        [
            _deny_insecure_transport(bucket_arn),
            {
                "Sid": "AllowS3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}*",
                "Condition": {
                    "ArnLike": {"aws:SourceArn": source_bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
        ]
    )


def cloudwatch_trust_policy(trail: str) -> str:
    """CloudTrail may assume the delivery role for this trail only (no confused deputy)."""
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceArn": trail}},
            }
        ]
    )


def cloudwatch_delivery_policy(group_arn: str) -> str:
    """Write to the trail's log group, and no other."""
    return policy_json(
        [
            {
                "Sid": "DeliverToTheTrailLogGroup",
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": f"{group_arn}:log-stream:*",
            }
        ]
    )


def _lifecycle_rule(
    rule_id: str,
    expiration_days: int,
    noncurrent_days: int,
    transition: aws.s3.BucketLifecycleConfigurationRuleTransitionArgs | None = None,
) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id=rule_id,
        status="Enabled",
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),  # every object
        transitions=[transition] if transition else None,
        expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=expiration_days),
        noncurrent_version_expiration=(
            aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent_days
            )
        ),
        abort_incomplete_multipart_upload=(
            aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=ABORT_INCOMPLETE_UPLOAD_DAYS
            )
        ),
    )


class Audit(pulumi.ComponentResource):
    trail_arn: pulumi.Output[str]
    bucket_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AuditArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:audit:Audit", name, None, opts)
        check_args(args)
        trail = trail_arn(args.region, args.account_id, args.trail_name)

        key = aws.kms.Key(
            f"{name}-kms",
            description=f"{name}: CloudTrail log files and the trail's CloudWatch Logs group",
            enable_key_rotation=True,
            deletion_window_in_days=KMS_DELETION_WINDOW_DAYS,
            policy=key_policy(args.account_id, args.region, args.trail_name),
            opts=child(self),
        )
        aws.kms.Alias(
            f"{name}-kms",
            name_prefix=f"alias/{name}-cloudtrail-",
            target_key_id=key.key_id,
            opts=child(self),
        )

        # -- access-log bucket: the trail bucket's S3 server access logs ------------------------
        # SSE-S3, not SSE-KMS: S3 server access logging cannot deliver to a bucket whose default
        # encryption is SSE-KMS.
        access_logs, access_logs_bpa = self._bucket(
            f"{name}-access-logs",
            kms_key_arn=None,
            lifecycle=_lifecycle_rule(
                "expire-access-logs",
                args.access_log_expiration_days,
                ACCESS_LOG_NONCURRENT_VERSION_DAYS,
            ),
        )

        # -- trail bucket -----------------------------------------------------------------------
        bucket, bpa = self._bucket(
            f"{name}-trail",
            kms_key_arn=key.arn,
            lifecycle=_lifecycle_rule(
                "archive-then-expire-trail-logs",
                args.object_expiration_days,
                TRAIL_NONCURRENT_VERSION_DAYS,
                aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                    days=args.glacier_transition_days, storage_class="GLACIER_IR"
                ),
            ),
        )
        access_logs_policy = aws.s3.BucketPolicy(
            f"{name}-access-logs",
            bucket=access_logs.id,
            policy=pulumi.Output.all(access_logs.arn, bucket.arn).apply(
                lambda arns: access_log_bucket_policy(arns[0], arns[1], args.account_id)
            ),
            opts=child(self, depends_on=[access_logs_bpa]),
        )
        aws.s3.BucketLogging(
            f"{name}-trail",
            bucket=bucket.id,
            target_bucket=access_logs.id,
            target_prefix=ACCESS_LOG_PREFIX,
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime"
                )
            ),
            opts=child(self, depends_on=[access_logs_policy]),
        )
        bucket_policy = aws.s3.BucketPolicy(
            f"{name}-trail",
            bucket=bucket.id,
            policy=bucket.arn.apply(lambda arn: trail_bucket_policy(arn, args.account_id, trail)),
            opts=child(self, depends_on=[bpa]),
        )

        # -- CloudWatch Logs delivery -----------------------------------------------------------
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-trail",
            name=log_group_name(args.trail_name),
            retention_in_days=args.log_retention_days,
            kms_key_id=key.arn,
            opts=child(self),
        )
        delivery_role = aws.iam.Role(
            f"{name}-trail-logs",
            assume_role_policy=cloudwatch_trust_policy(trail),
            opts=child(self),
        )
        delivery_policy = aws.iam.RolePolicy(
            f"{name}-trail-logs",
            role=delivery_role.id,
            policy=log_group.arn.apply(cloudwatch_delivery_policy),
            opts=child(self),
        )

        # CloudTrail checks on creation that it may write to the bucket and the log group.
        cloudtrail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            kms_key_id=key.arn,
            s3_bucket_name=bucket.id,
            cloud_watch_logs_group_arn=log_group.arn.apply(lambda arn: f"{arn}:*"),
            cloud_watch_logs_role_arn=delivery_role.arn,
            opts=child(self, depends_on=[bucket_policy, delivery_policy]),
        )

        self.trail_arn = cloudtrail.arn
        self.bucket_name = bucket.bucket
        self.log_group_name = log_group.name
        self.kms_key_arn = key.arn
        self.register_outputs(
            {
                "trailArn": self.trail_arn,
                "bucketName": self.bucket_name,
                "logGroupName": self.log_group_name,
                "kmsKeyArn": self.kms_key_arn,
            }
        )

    def _bucket(
        self,
        role: str,
        *,
        kms_key_arn: pulumi.Input[str] | None,
        lifecycle: aws.s3.BucketLifecycleConfigurationRuleArgs,
    ) -> tuple[aws.s3.Bucket, aws.s3.BucketPublicAccessBlock]:
        """A private, versioned bucket encrypted by default (SSE-KMS with the key, with bucket
        keys; SSE-S3 without one), with one lifecycle rule."""
        bucket = aws.s3.Bucket(role, opts=child(self))
        bpa = self._private(role, bucket)
        versioning = aws.s3.BucketVersioning(
            role,
            bucket=bucket.id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child(self),
        )
        by_default = (
            aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            role,
            bucket=bucket.id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=by_default(
                        sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                    ),
                    bucket_key_enabled=True,  # far fewer KMS requests, so a far smaller bill
                )
                if kms_key_arn is not None
                else aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=by_default(sse_algorithm="AES256")
                )
            ],
            opts=child(self),
        )
        aws.s3.BucketLifecycleConfiguration(
            role,
            bucket=bucket.id,
            rules=[lifecycle],
            # Rules on noncurrent versions need versioning in place first.
            opts=child(self, depends_on=[versioning]),
        )
        return bucket, bpa

    def _private(self, role: str, bucket: aws.s3.Bucket) -> aws.s3.BucketPublicAccessBlock:
        """All four public access blocks, and ACLs disabled (the bucket owner owns every
        object)."""
        bpa = aws.s3.BucketPublicAccessBlock(
            role,
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child(self),
        )
        aws.s3.BucketOwnershipControls(
            role,
            bucket=bucket.id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child(self, depends_on=[bpa]),
        )
        return bpa

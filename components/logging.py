"""Logging: the customer-managed KMS key that encrypts the stack's CloudWatch Logs groups (VPC flow
logs, EKS control-plane logs, database logs), so log data at rest is under a key the account
controls, rotates and can revoke (Checkov CKV_AWS_158). The trail's log group uses the audit
component's own key.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components import PACKAGE, child, policy_json


@dataclass(frozen=True)
class LoggingArgs:
    account_id: str
    region: str


def logs_key_policy(account_id: str, region: str) -> str:
    """The account administers the key; CloudWatch Logs in this region may use it, but only for
    this account's log groups (the encryption context names the log group's ARN)."""
    log_groups = f"arn:aws:logs:{region}:{account_id}:log-group:*"
    return policy_json(
        [
            {
                "Sid": "AccountAdministers",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudWatchLogsUse",
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
                "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": log_groups}},
            },
        ]
    )


class Logging(pulumi.ComponentResource):
    key_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: LoggingArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:logging:Logging", name, None, opts)
        key = aws.kms.Key(
            f"{name}-kms",
            description=f"{name}: the stack's CloudWatch Logs groups",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=logs_key_policy(args.account_id, args.region),
            opts=child(self),
        )
        aws.kms.Alias(
            f"{name}-kms",
            name_prefix=f"alias/{name}-logs-",
            target_key_id=key.key_id,
            opts=child(self),
        )
        self.key_arn = key.arn
        self.register_outputs({"keyArn": self.key_arn})

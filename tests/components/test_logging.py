"""Logging: one customer-managed key for the stack's CloudWatch Logs groups, usable by the logs
service only for this account's log groups; the program puts every log group under it."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.logging import Logging, LoggingArgs, logs_key_policy
from tests.conftest import one, run_component


@pytest.fixture(scope="module")
def logging_export():
    def program():
        provider = aws.Provider("aws", region="us-east-1")
        comp = Logging(
            "logging",
            LoggingArgs(account_id="123456789012", region="us-east-1"),
            pulumi.ResourceOptions(providers=[provider]),
        )
        return {"key": comp.key_arn}

    return run_component(program)


def test_the_key_rotates_and_has_a_long_deletion_window(logging_export):
    key = one(logging_export, "aws:kms/key:Key")
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn


def test_the_logs_service_may_use_it_only_for_this_accounts_log_groups():
    doc = json.loads(logs_key_policy("123456789012", "eu-west-1"))
    (use,) = [s for s in doc["Statement"] if s["Sid"] == "CloudWatchLogsUse"]
    assert use["Principal"] == {"Service": "logs.eu-west-1.amazonaws.com"}
    assert use["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:eu-west-1:123456789012:log-group:*"
    )
    assert "kms:*" not in use["Action"]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_log_group_but_the_trails_uses_the_stack_logs_key(stack, dev, prod):
    export = dev if stack == "dev" else prod
    (key,) = [
        k
        for k in export.of_type("aws:kms/key:Key")
        if "CloudWatch Logs groups" in k.inputs.get("description", "")
    ]
    groups = export.of_type("aws:cloudwatch/logGroup:LogGroup")
    assert len(groups) >= 4
    for group in groups:
        if "/aws/cloudtrail/" in group.inputs["name"]:
            continue  # the audit component's own key
        assert group.inputs.get("kmsKeyId") == key.outputs["arn"], group.urn

"""CloudTrail rules: the trail's own settings (resource rules, three ways each), its bucket's
access logging and the stack-wide "a trail is required" rule (stack rules)."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze, analyze_stack, resource
from toolchain.export import Resource
from toolchain.gate import CONFIG_DIR, load_policy_config

TRAIL = "aws:cloudtrail/trail:Trail"
BUCKET = "aws:s3/bucket:Bucket"
LOGGING = "aws:s3/bucketLogging:BucketLogging"

GOOD_TRAIL: dict[str, Any] = {
    "name": "baseline-prod",
    "s3BucketName": "audit-trail-1",
    "isMultiRegionTrail": True,
    "includeGlobalServiceEvents": True,
    "enableLogFileValidation": True,
    "enableLogging": True,
    "kmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/8cc2a9f1",
    "cloudWatchLogsGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/aws/cloudtrail:*",
    "cloudWatchLogsRoleArn": "arn:aws:iam::123456789012:role/audit-trail-logs",
}


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("cloudtrail-multi-region", "passes", GOOD_TRAIL, False),
    ("cloudtrail-multi-region", "fails", {**GOOD_TRAIL, "isMultiRegionTrail": False}, True),
    ("cloudtrail-multi-region", "missing", without(GOOD_TRAIL, "isMultiRegionTrail"), True),
    (
        "cloudtrail-multi-region",
        "no global events",
        {**GOOD_TRAIL, "includeGlobalServiceEvents": False},
        True,
    ),
    ("cloudtrail-log-file-validation", "passes", GOOD_TRAIL, False),
    (
        "cloudtrail-log-file-validation",
        "fails",
        {**GOOD_TRAIL, "enableLogFileValidation": False},
        True,
    ),
    (
        "cloudtrail-log-file-validation",
        "missing",
        without(GOOD_TRAIL, "enableLogFileValidation"),
        True,
    ),
    ("cloudtrail-kms-encryption", "passes", GOOD_TRAIL, False),
    ("cloudtrail-kms-encryption", "fails", {**GOOD_TRAIL, "kmsKeyId": ""}, True),
    ("cloudtrail-kms-encryption", "missing", without(GOOD_TRAIL, "kmsKeyId"), True),
    ("cloudtrail-cloudwatch-logs", "passes", GOOD_TRAIL, False),
    ("cloudtrail-cloudwatch-logs", "fails", {**GOOD_TRAIL, "cloudWatchLogsRoleArn": ""}, True),
    (
        "cloudtrail-cloudwatch-logs",
        "missing",
        without(GOOD_TRAIL, "cloudWatchLogsGroupArn", "cloudWatchLogsRoleArn"),
        True,
    ),
]


@pytest.mark.parametrize(
    ("rule", "case", "props", "fires"), CASES, ids=[f"{r}:{c}" for r, c, _, _ in CASES]
)
def test_trail_rule(security, rule, case, props, fires):
    name = f"{rule}-{case}".replace(" ", "-")
    found = [v for v in analyze(security, TRAIL, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {TRAIL}::{name} ({case}): {[v.detail for v in found]}"


def trail_bucket() -> Resource:
    return resource(
        BUCKET, {}, "audit-trail", outputs={"id": "audit-trail-1", "bucket": "audit-trail-1"}
    )


def hits(
    security, rule: str, resources: list[Resource], config: Any = None
) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for v in analyze_stack(security, resources, config=config):
        if v.policyName == rule:
            out.setdefault(v.urn, []).append(v.detail)
    return out


def test_trail_bucket_with_access_logging_passes(security):
    b = trail_bucket()
    logging = resource(
        LOGGING, {"bucket": "audit-trail-1", "targetBucket": "logs-1"}, "audit-trail"
    )
    trail = resource(TRAIL, GOOD_TRAIL, "audit-trail")
    assert not hits(security, "cloudtrail-bucket-access-logging", [b, logging, trail])


def test_trail_bucket_without_access_logging_fails_on_the_trail(security):
    b = trail_bucket()
    trail = resource(TRAIL, GOOD_TRAIL, "audit-trail")
    found = hits(security, "cloudtrail-bucket-access-logging", [b, trail])
    assert list(found) == [trail.urn], found


def test_trail_without_a_bucket_name_is_not_judged(security):
    # Missing property: nothing ties the trail to a bucket of this stack.
    trail = resource(TRAIL, without(GOOD_TRAIL, "s3BucketName"), "audit-trail")
    assert not hits(security, "cloudtrail-bucket-access-logging", [trail_bucket(), trail])


def test_trail_bucket_of_another_stack_is_not_judged(security):
    trail = resource(TRAIL, {**GOOD_TRAIL, "s3BucketName": "org-log-archive"}, "audit-trail")
    assert not hits(security, "cloudtrail-bucket-access-logging", [trail_bucket(), trail])


def test_inline_bucket_logging_counts(security):
    b = resource(
        BUCKET,
        {},
        "audit-trail",
        outputs={
            "id": "audit-trail-1",
            "bucket": "audit-trail-1",
            "logging": {"targetBucket": "l"},
        },
    )
    trail = resource(TRAIL, GOOD_TRAIL, "audit-trail")
    assert not hits(security, "cloudtrail-bucket-access-logging", [b, trail])


def test_a_multi_region_trail_satisfies_the_requirement(security):
    trail = resource(TRAIL, GOOD_TRAIL, "audit-trail")
    assert not hits(security, "cloudtrail-required", [trail])


def test_a_stack_without_a_trail_fails_the_requirement(security):
    found = hits(security, "cloudtrail-required", [trail_bucket()])
    assert list(found) == [""], found


def test_a_single_region_trail_does_not_satisfy_the_requirement(security):
    trail = resource(TRAIL, {**GOOD_TRAIL, "isMultiRegionTrail": False}, "audit-trail")
    found = hits(security, "cloudtrail-required", [trail])
    assert list(found) == [""] and "1 other trail" in found[""][0], found


def test_a_trail_whose_multi_region_flag_is_missing_does_not_count(security):
    trail = resource(TRAIL, without(GOOD_TRAIL, "isMultiRegionTrail"), "audit-trail")
    assert list(hits(security, "cloudtrail-required", [trail])) == [""]


@pytest.mark.parametrize(("stack", "required"), [("dev", False), ("prod", True)])
def test_the_requirement_is_switched_by_the_stack_config(security, stack, required):
    cfg = load_policy_config(CONFIG_DIR / stack, "security")
    found = hits(security, "cloudtrail-required", [trail_bucket()], config=cfg)
    assert bool(found) == required, (stack, found)


def test_a_key_not_known_yet_in_a_preview_counts_as_set(security):
    # A first preview: the trail's KMS key is being created, so its ARN is unknown.
    props = {**GOOD_TRAIL, "kmsKeyId": UNKNOWN_STRING_VALUE}
    found = [
        v
        for v in analyze(security, TRAIL, props, name="new-trail")
        if v.policyName == "cloudtrail-kms-encryption"
    ]
    assert not found, [v.message for v in found]

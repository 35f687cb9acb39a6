"""Log-group retention: set, and within the bounds of the stack's policy config."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze
from toolchain.gate import CONFIG_DIR, load_policy_config

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RULE = "log-group-retention"

CASES: list[tuple[str, dict[str, Any], Any, bool]] = [
    ("passes", {"name": "/vpc/flow-logs", "retentionInDays": 90}, None, False),
    ("fails", {"name": "/vpc/flow-logs", "retentionInDays": 1}, None, True),
    ("missing", {"name": "/vpc/flow-logs"}, None, True),
    ("never expires", {"name": "/vpc/flow-logs", "retentionInDays": 0}, None, True),
    (
        "above maximum",
        {"name": "/vpc/flow-logs", "retentionInDays": 365},
        {RULE: {"maximumDays": 90}},
        True,
    ),
    (
        "below configured minimum",
        {"name": "/vpc/flow-logs", "retentionInDays": 14},
        {RULE: {"minimumDays": 90}},
        True,
    ),
]


@pytest.mark.parametrize(
    ("case", "props", "config", "fires"), CASES, ids=[c for c, _, _, _ in CASES]
)
def test_log_group_retention(security, case, props, config, fires):
    name = case.replace(" ", "-")
    found = [
        v
        for v in analyze(security, LOG_GROUP, props, config=config, name=name)
        if v.policyName == RULE
    ]
    assert bool(found) == fires, f"{RULE} on {LOG_GROUP}::{name}: {[v.detail for v in found]}"


@pytest.mark.parametrize(
    ("stack", "days", "fires"),
    [("dev", 14, False), ("dev", 365, True), ("prod", 14, True), ("prod", 365, False)],
)
def test_bounds_follow_the_stack_config(security, stack, days, fires):
    cfg = load_policy_config(CONFIG_DIR / stack, "security")
    props = {"name": "/aws/eks/cluster", "retentionInDays": days}
    found = [
        v
        for v in analyze(security, LOG_GROUP, props, config=cfg, name=f"{stack}-{days}")
        if v.policyName == RULE
    ]
    assert bool(found) == fires, (stack, days, [v.detail for v in found])


KMS_RULE = "log-group-kms-encryption"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize(
    ("case", "props", "fires"),
    [
        ("passes", {"name": "/vpc/flow-logs", "retentionInDays": 90, "kmsKeyId": KEY}, False),
        ("fails", {"name": "/vpc/flow-logs", "retentionInDays": 90, "kmsKeyId": ""}, True),
        ("missing", {"name": "/vpc/flow-logs", "retentionInDays": 90}, True),
    ],
)
def test_log_group_kms_encryption(security, case, props, fires):
    found = [
        v
        for v in analyze(security, LOG_GROUP, props, name=f"kms-{case}")
        if v.policyName == KMS_RULE
    ]
    assert bool(found) == fires, f"{KMS_RULE} on {LOG_GROUP}::kms-{case}: {found}"
    if fires:
        assert "kms_key_id" in found[0].detail

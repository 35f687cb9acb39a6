"""SQS queues encrypt their messages at rest, three ways (and with a KMS key)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

QUEUE = "aws:sqs/queue:Queue"
# The dev plan's interruption queue.
GOOD: dict[str, Any] = {
    "name": "baseline-dev-karpenter",
    "messageRetentionSeconds": 300,
    "sqsManagedSseEnabled": True,
}

CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("passes", GOOD, False),
    (
        "kms key passes",
        {**GOOD, "sqsManagedSseEnabled": False, "kmsMasterKeyId": "alias/queues"},
        False,
    ),
    ("fails", {**GOOD, "sqsManagedSseEnabled": False}, True),
    ("missing", {k: v for k, v in GOOD.items() if k != "sqsManagedSseEnabled"}, True),
    ("unreadable", {**GOOD, "sqsManagedSseEnabled": "on"}, True),
]


@pytest.mark.parametrize(("case", "props", "fires"), CASES, ids=[c for c, _, _ in CASES])
def test_sqs_encryption(security, case, props, fires):
    rule = "sqs-encryption"
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, QUEUE, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {QUEUE}::{name}: {[v.detail for v in found]}"

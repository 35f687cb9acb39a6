"""KMS rules, each driven through the analyzer three ways."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

KEY = "aws:kms/key:Key"
GOOD: dict[str, Any] = {
    "description": "database: RDS storage",
    "enableKeyRotation": True,
    "deletionWindowInDays": 30,
}


def without(*keys: str) -> dict[str, Any]:
    return {k: v for k, v in GOOD.items() if k not in keys}


CASES: list[tuple[str, str, dict[str, Any], Any, bool]] = [
    ("kms-key-rotation", "passes", GOOD, None, False),
    ("kms-key-rotation", "fails", {**GOOD, "enableKeyRotation": False}, None, True),
    ("kms-key-rotation", "missing", without("enableKeyRotation"), None, True),
    # AWS cannot rotate asymmetric or HMAC keys.
    (
        "kms-key-rotation",
        "asymmetric",
        {
            **without("enableKeyRotation"),
            "customerMasterKeySpec": "RSA_2048",
            "keyUsage": "SIGN_VERIFY",
        },
        None,
        False,
    ),
    (
        "kms-key-rotation",
        "hmac",
        {**without("enableKeyRotation"), "keySpec": "HMAC_256", "keyUsage": "GENERATE_VERIFY_MAC"},
        None,
        False,
    ),
    ("kms-deletion-window", "passes", GOOD, None, False),
    ("kms-deletion-window", "fails", {**GOOD, "deletionWindowInDays": 7}, None, True),
    # Absent: AWS waits 30 days.
    ("kms-deletion-window", "missing", without("deletionWindowInDays"), None, False),
    (
        "kms-deletion-window",
        "dev minimum",
        {**GOOD, "deletionWindowInDays": 7},
        {"kms-deletion-window": {"minimumDays": 7}},
        False,
    ),
    (
        "kms-deletion-window",
        "below dev minimum",
        {**GOOD, "deletionWindowInDays": 7},
        {"kms-deletion-window": {"minimumDays": 10}},
        True,
    ),
]


@pytest.mark.parametrize("example", CASES, ids=[f"{r}:{c}" for r, c, _, _, _ in CASES])
def test_key_rule(security, example):
    rule, case, props, config, fires = example
    name = f"{rule}-{case}".replace(" ", "-")
    found = [
        v for v in analyze(security, KEY, props, config=config, name=name) if v.policyName == rule
    ]
    assert bool(found) == fires, f"{rule} on {KEY}::{name}: {[v.detail for v in found]}"

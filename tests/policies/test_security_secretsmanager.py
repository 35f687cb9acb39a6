"""Secrets are encrypted with a customer-managed key: Secrets Manager secrets and the
master-user secrets RDS manages, three ways each."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze

SECRET = "aws:secretsmanager/secret:Secret"
INSTANCE = "aws:rds/instance:Instance"
KEY = "arn:aws:kms:us-east-1:123456789012:key/e4690560"
MANAGED: dict[str, Any] = {
    "engine": "postgres",
    "manageMasterUserPassword": True,
    "masterUserSecretKmsKeyId": KEY,
}

CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("secret passes", SECRET, {"name": "app", "kmsKeyId": KEY}, False),
    ("secret fails", SECRET, {"name": "app", "kmsKeyId": ""}, True),
    ("secret missing", SECRET, {"name": "app"}, True),
    ("rds passes", INSTANCE, MANAGED, False),
    ("rds fails", INSTANCE, {**MANAGED, "masterUserSecretKmsKeyId": ""}, True),
    (
        "rds missing",
        INSTANCE,
        {k: v for k, v in MANAGED.items() if k != "masterUserSecretKmsKeyId"},
        True,
    ),
    # No managed secret at all (rds-managed-master-password judges that).
    ("rds unmanaged", INSTANCE, {"engine": "postgres"}, False),
]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"), CASES, ids=[c for c, _, _, _ in CASES]
)
def test_secrets_customer_managed_key(security, case, type_token, props, fires):
    rule = "secrets-customer-managed-key"
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"

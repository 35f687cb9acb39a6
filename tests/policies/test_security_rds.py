"""RDS rules, each driven through the analyzer three ways: a compliant resource, a failing one,
and one missing the property the rule reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze
from toolchain.gate import CONFIG_DIR, load_policy_config

INSTANCE = "aws:rds/instance:Instance"
PARAMETER_GROUP = "aws:rds/parameterGroup:ParameterGroup"
KEY = "arn:aws:kms:us-east-1:123456789012:key/e4690560-e25d-4ae3-8e46-90560e25dae3"

# The prod plan's instance, trimmed to what the rules read.
GOOD_INSTANCE: dict[str, Any] = {
    "engine": "postgres",
    "engineVersion": "17",
    "instanceClass": "db.r7g.large",
    "storageEncrypted": True,
    "kmsKeyId": KEY,
    "publiclyAccessible": False,
    "deletionProtection": True,
    "iamDatabaseAuthenticationEnabled": True,
    "backupRetentionPeriod": 14,
    "performanceInsightsEnabled": True,
    "performanceInsightsKmsKeyId": KEY,
    "monitoringInterval": 60,
    "monitoringRoleArn": "arn:aws:iam::123456789012:role/database-monitoring",
    "enabledCloudwatchLogsExports": ["postgresql", "upgrade"],
    "autoMinorVersionUpgrade": True,
    "manageMasterUserPassword": True,
    "masterUserSecretKmsKeyId": KEY,
    "username": "dbadmin",
}

GOOD_PARAMETER_GROUP: dict[str, Any] = {
    "family": "postgres17",
    "parameters": [
        {"name": "rds.force_ssl", "value": "1", "applyMethod": "immediate"},
        {"name": "log_connections", "value": "1", "applyMethod": "immediate"},
    ],
}


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


# (rule, case, properties, fires): "passes", "fails" and "missing" for every rule.
CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("rds-storage-encrypted", "passes", GOOD_INSTANCE, False),
    ("rds-storage-encrypted", "fails", {**GOOD_INSTANCE, "storageEncrypted": False}, True),
    ("rds-storage-encrypted", "missing", without(GOOD_INSTANCE, "storageEncrypted"), True),
    ("rds-not-publicly-accessible", "passes", GOOD_INSTANCE, False),
    ("rds-not-publicly-accessible", "fails", {**GOOD_INSTANCE, "publiclyAccessible": True}, True),
    # Absent: the provider's default is a private instance.
    ("rds-not-publicly-accessible", "missing", without(GOOD_INSTANCE, "publiclyAccessible"), False),
    ("rds-deletion-protection", "passes", GOOD_INSTANCE, False),
    ("rds-deletion-protection", "fails", {**GOOD_INSTANCE, "deletionProtection": False}, True),
    ("rds-deletion-protection", "missing", without(GOOD_INSTANCE, "deletionProtection"), True),
    ("rds-iam-authentication", "passes", GOOD_INSTANCE, False),
    (
        "rds-iam-authentication",
        "fails",
        {**GOOD_INSTANCE, "iamDatabaseAuthenticationEnabled": False},
        True,
    ),
    (
        "rds-iam-authentication",
        "missing",
        without(GOOD_INSTANCE, "iamDatabaseAuthenticationEnabled"),
        True,
    ),
    ("rds-backup-retention", "passes", GOOD_INSTANCE, False),
    ("rds-backup-retention", "fails", {**GOOD_INSTANCE, "backupRetentionPeriod": 3}, True),
    ("rds-backup-retention", "missing", without(GOOD_INSTANCE, "backupRetentionPeriod"), True),
    ("rds-performance-insights", "passes", GOOD_INSTANCE, False),
    (
        "rds-performance-insights",
        "fails",
        {**GOOD_INSTANCE, "performanceInsightsEnabled": False},
        True,
    ),
    (
        "rds-performance-insights",
        "missing",
        without(GOOD_INSTANCE, "performanceInsightsEnabled"),
        True,
    ),
    (
        "rds-performance-insights",
        "missing key",
        without(GOOD_INSTANCE, "performanceInsightsKmsKeyId"),
        True,
    ),
    ("rds-enhanced-monitoring", "passes", GOOD_INSTANCE, False),
    ("rds-enhanced-monitoring", "fails", {**GOOD_INSTANCE, "monitoringInterval": 0}, True),
    ("rds-enhanced-monitoring", "missing", without(GOOD_INSTANCE, "monitoringInterval"), True),
    ("rds-enhanced-monitoring", "missing role", without(GOOD_INSTANCE, "monitoringRoleArn"), True),
    ("rds-log-exports", "passes", GOOD_INSTANCE, False),
    (
        "rds-log-exports",
        "fails",
        {**GOOD_INSTANCE, "enabledCloudwatchLogsExports": ["upgrade"]},
        True,
    ),
    ("rds-log-exports", "missing", without(GOOD_INSTANCE, "enabledCloudwatchLogsExports"), True),
    (
        "rds-log-exports",
        "mysql",
        {**GOOD_INSTANCE, "engine": "mysql", "enabledCloudwatchLogsExports": ["error"]},
        True,
    ),
    ("rds-auto-minor-version-upgrade", "passes", GOOD_INSTANCE, False),
    (
        "rds-auto-minor-version-upgrade",
        "fails",
        {**GOOD_INSTANCE, "autoMinorVersionUpgrade": False},
        True,
    ),
    # Absent: AWS upgrades minor versions by default.
    (
        "rds-auto-minor-version-upgrade",
        "missing",
        without(GOOD_INSTANCE, "autoMinorVersionUpgrade"),
        False,
    ),
    ("rds-managed-master-password", "passes", GOOD_INSTANCE, False),
    (
        "rds-managed-master-password",
        "fails",
        {**without(GOOD_INSTANCE, "manageMasterUserPassword"), "password": "hunter2hunter2"},
        True,
    ),
    # Neither input: a restore from a snapshot keeps the snapshot's password.
    (
        "rds-managed-master-password",
        "missing",
        without(GOOD_INSTANCE, "manageMasterUserPassword"),
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule", "case", "props", "fires"), CASES, ids=[f"{r}:{c}" for r, c, _, _ in CASES]
)
def test_instance_rule(security, rule, case, props, fires):
    name = f"{rule}-{case}".replace(" ", "-")
    found = [v for v in analyze(security, INSTANCE, props, name=name) if v.policyName == rule]
    urn = f"urn:pulumi:test::baseline::{INSTANCE}::{name}"
    assert bool(found) == fires, f"{rule} on {urn} ({case}): {[v.detail for v in found]}"
    assert all(v.urn == urn for v in found), f"{rule}: reported on {[v.urn for v in found]}"


PG_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("passes", GOOD_PARAMETER_GROUP, False),
    (
        "fails",
        {**GOOD_PARAMETER_GROUP, "parameters": [{"name": "rds.force_ssl", "value": "0"}]},
        True,
    ),
    ("missing", {**GOOD_PARAMETER_GROUP, "parameters": []}, True),
    ("mysql fails", {"family": "mysql8.0", "parameters": []}, True),
    (
        "mysql passes",
        {"family": "mysql8.0", "parameters": [{"name": "require_secure_transport", "value": "ON"}]},
        False,
    ),
    ("other engine", {"family": "oracle-ee-19", "parameters": []}, False),
]


@pytest.mark.parametrize(("case", "props", "fires"), PG_CASES, ids=[c for c, _, _ in PG_CASES])
def test_parameter_group_force_ssl(security, case, props, fires):
    rule = "rds-parameter-group-force-ssl"
    name = f"params-{case}".replace(" ", "-")
    found = [
        v for v in analyze(security, PARAMETER_GROUP, props, name=name) if v.policyName == rule
    ]
    assert bool(found) == fires, f"{rule} on {name} ({case}): {[v.detail for v in found]}"


def test_backup_minimum_comes_from_policy_config(security):
    props = {**GOOD_INSTANCE, "backupRetentionPeriod": 3}
    cfg = {"rds-backup-retention": {"minimumRetentionDays": 1}}
    found = analyze(security, INSTANCE, props, config=cfg, name="db-3-days")
    assert "rds-backup-retention" not in {v.policyName for v in found}, found


def test_rules_ignore_other_types(security):
    # A cluster is judged by the IAM authentication rule only (the others read instances).
    props = {"storageEncrypted": False, "iamDatabaseAuthenticationEnabled": True}
    found = analyze(security, "aws:rds/cluster:Cluster", props, name="c")
    assert not [v for v in found if v.policyName.startswith("rds-")], found


@pytest.mark.parametrize(
    ("props", "fires"),
    [
        ({"engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": True}, False),
        ({"engine": "aurora-postgresql", "iamDatabaseAuthenticationEnabled": False}, True),
        ({"engine": "aurora-postgresql"}, True),
    ],
    ids=["passes", "fails", "missing"],
)
def test_clusters_accept_iam_authentication_too(security, props, fires):
    found = analyze(security, "aws:rds/cluster:Cluster", props, name="agents-cluster")
    hits = [v for v in found if v.policyName == "rds-iam-authentication"]
    assert bool(hits) == fires, found
    if fires:
        assert "on this cluster" in hits[0].message, hits[0].message


@pytest.mark.parametrize(("stack", "level"), [("dev", "advisory"), ("prod", "mandatory")])
def test_deletion_protection_level_follows_the_stack_config(security, stack, level):
    props = {**GOOD_INSTANCE, "deletionProtection": False}
    cfg = load_policy_config(CONFIG_DIR / stack, "security")
    found = [
        v
        for v in analyze(security, INSTANCE, props, config=cfg, name=f"db-{stack}")
        if v.policyName == "rds-deletion-protection"
    ]
    assert [v.enforcementLevel for v in found] == [level], (stack, found)

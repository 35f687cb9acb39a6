"""RDS cost rules, each driven through the analyzer three ways (passing, failing, missing the
property), with the limits a stack's policy config sets."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policies.conftest import analyze
from toolchain.gate import CONFIG_DIR, load_policy_config

INSTANCE = "aws:rds/instance:Instance"

# The dev plan's instance, trimmed to what the rules read.
DEV_DB: dict[str, Any] = {
    "engine": "postgres",
    "instanceClass": "db.t4g.medium",
    "storageType": "gp3",
    "allocatedStorage": 20,
    "maxAllocatedStorage": 50,
    "multiAz": False,
    "performanceInsightsEnabled": True,
    "performanceInsightsRetentionPeriod": 7,
    "backupRetentionPeriod": 3,
}
PROD_DB: dict[str, Any] = {
    **DEV_DB,
    "instanceClass": "db.r7g.large",
    "allocatedStorage": 100,
    "maxAllocatedStorage": 500,
    "multiAz": True,
    "performanceInsightsRetentionPeriod": 31,
    "backupRetentionPeriod": 14,
}

DEV = {
    "rds-storage-autoscaling-cap": {"maxStorageGb": 100},
    "rds-multi-az": {"multiAz": False},
    "rds-performance-insights-retention": {"maxDays": 7},
    "rds-backup-retention-cap": {"maxDays": 7},
}
PROD = {
    "rds-storage-autoscaling-cap": {"maxStorageGb": 1000},
    "rds-multi-az": {"multiAz": True},
    "rds-performance-insights-retention": {"maxDays": 31},
}


def without(props: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in props.items() if k not in keys}


# (rule, case, properties, config, fires)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], bool]] = [
    ("rds-storage-autoscaling-cap", "passes", DEV_DB, DEV, False),
    ("rds-storage-autoscaling-cap", "fails", {**DEV_DB, "maxAllocatedStorage": 200}, DEV, True),
    # Unset: autoscaling is off, the allocation is the ceiling.
    ("rds-storage-autoscaling-cap", "missing", without(DEV_DB, "maxAllocatedStorage"), DEV, False),
    (
        "rds-storage-autoscaling-cap",
        "missing and large",
        {**without(DEV_DB, "maxAllocatedStorage"), "allocatedStorage": 150},
        DEV,
        True,
    ),
    ("rds-multi-az", "dev passes", DEV_DB, DEV, False),
    ("rds-multi-az", "dev fails", {**DEV_DB, "multiAz": True}, DEV, True),
    ("rds-multi-az", "dev missing", without(DEV_DB, "multiAz"), DEV, False),
    ("rds-multi-az", "prod passes", PROD_DB, PROD, False),
    ("rds-multi-az", "prod fails", {**PROD_DB, "multiAz": False}, PROD, True),
    # Unset: a single-AZ instance.
    ("rds-multi-az", "prod missing", without(PROD_DB, "multiAz"), PROD, True),
    ("rds-performance-insights-retention", "passes", DEV_DB, DEV, False),
    (
        "rds-performance-insights-retention",
        "fails",
        {**DEV_DB, "performanceInsightsRetentionPeriod": 731},
        DEV,
        True,
    ),
    # Unset: 7 days, the free tier.
    (
        "rds-performance-insights-retention",
        "missing",
        without(DEV_DB, "performanceInsightsRetentionPeriod"),
        DEV,
        False,
    ),
    (
        "rds-performance-insights-retention",
        "disabled",
        {**DEV_DB, "performanceInsightsEnabled": False, "performanceInsightsRetentionPeriod": 731},
        DEV,
        False,
    ),
    ("rds-backup-retention-cap", "passes", DEV_DB, DEV, False),
    ("rds-backup-retention-cap", "fails", {**DEV_DB, "backupRetentionPeriod": 14}, DEV, True),
    # Unset: AWS keeps 1 day.
    ("rds-backup-retention-cap", "missing", without(DEV_DB, "backupRetentionPeriod"), DEV, False),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_database_rule(cost, case):
    rule, label, props, config, fires = case
    name = f"{rule}-{label}".replace(" ", "-")
    found = [
        v for v in analyze(cost, INSTANCE, props, config=config, name=name) if v.policyName == rule
    ]
    urn = f"urn:pulumi:test::baseline::{INSTANCE}::{name}"
    assert bool(found) == fires, f"{rule} on {urn} ({label}): {[v.detail for v in found]}"
    assert all(v.urn == urn for v in found), f"{rule}: reported on {[v.urn for v in found]}"


@pytest.mark.parametrize(
    ("stack", "props", "fires"),
    [
        ("dev", DEV_DB, False),
        ("dev", PROD_DB, True),
        ("prod", PROD_DB, False),
        ("prod", DEV_DB, True),
    ],
)
def test_multi_az_follows_the_stack_policy_config(cost, stack, props, fires):
    cfg = load_policy_config(CONFIG_DIR / stack, "cost")
    found = [
        v
        for v in analyze(cost, INSTANCE, props, config=cfg, name=f"db-{stack}")
        if v.policyName == "rds-multi-az"
    ]
    assert bool(found) == fires, f"rds-multi-az in {stack}: {[v.detail for v in found]}"


def test_backup_cap_is_off_in_prod(cost):
    cfg = load_policy_config(CONFIG_DIR / "prod", "cost")
    props = {**PROD_DB, "backupRetentionPeriod": 35}
    found = analyze(cost, INSTANCE, props, config=cfg, name="db-prod")
    assert "rds-backup-retention-cap" not in {v.policyName for v in found}, found


def test_messages_show_whole_numbers(cost):
    props = {**DEV_DB, "maxAllocatedStorage": 200}
    found = [
        v
        for v in analyze(cost, INSTANCE, props, config=DEV, name="db")
        if v.policyName == "rds-storage-autoscaling-cap"
    ]
    assert found and "200 GiB" in found[0].detail and "100 GiB" in found[0].detail, found

"""Log cost rules: the retention ceiling of a log group (through `Analyze`, three ways), and
through `AnalyzeStack` the service log groups the stack must declare and the one CloudTrail trail
that records management events."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from pulumi.runtime.rpc import UNKNOWN

from tests.policies.conftest import analyze, analyze_stack, resource
from toolchain.export import Resource

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
EKS = "aws:eks/cluster:Cluster"
RDS = "aws:rds/instance:Instance"
LAMBDA = "aws:lambda/function:Function"
TRAIL = "aws:cloudtrail/trail:Trail"

# log-group-retention-cap

RETENTION = "log-group-retention-cap"


@pytest.mark.parametrize(
    ("case", "props", "fires"),
    [
        ("passes", {"name": "/vpc/flow-logs", "retentionInDays": 14}, False),
        ("at the limit passes", {"name": "/vpc/flow-logs", "retentionInDays": 30}, False),
        ("fails", {"name": "/vpc/flow-logs", "retentionInDays": 90}, True),
        # Unset or 0: the events never expire.
        ("missing fails", {"name": "/vpc/flow-logs"}, True),
        ("never expire fails", {"name": "/vpc/flow-logs", "retentionInDays": 0}, True),
    ],
)
def test_log_group_retention_cap(cost, case, props, fires):
    name = case.replace(" ", "-")
    cfg = {RETENTION: {"maxDays": 30}}
    found = [
        v
        for v in analyze(cost, LOG_GROUP, props, config=cfg, name=name)
        if v.policyName == RETENTION
    ]
    urn = f"urn:pulumi:test::baseline::{LOG_GROUP}::{name}"
    assert bool(found) == fires, f"{RETENTION} on {urn} ({case}): {[v.detail for v in found]}"


NAMED = {RETENTION: {"maxDays": 365, "namedMaxDays": {"/baseline/*/agents/audit": 400}}}


@pytest.mark.parametrize(
    ("case", "props", "fires"),
    [
        ("named group within its allowance", {"name": "/baseline/prod/agents/audit"}, False),
        ("named group above its allowance", {"name": "/baseline/prod/agents/audit"}, True),
        ("another group keeps maxDays", {"name": "/aws/eks/baseline-prod/workloads"}, True),
        ("a name not known yet keeps maxDays", {}, True),
    ],
)
def test_log_group_retention_cap_per_name(cost, case, props, fires):
    days = 545 if "above" in case else 400
    name = case.replace(" ", "-")
    found = [
        v
        for v in analyze(
            cost, LOG_GROUP, {**props, "retentionInDays": days}, config=NAMED, name=name
        )
        if v.policyName == RETENTION
    ]
    assert bool(found) == fires, f"{RETENTION} on {name} ({case}): {[v.detail for v in found]}"
    if found and props:
        allowance = "namedMaxDays" if "agents/audit" in props["name"] else "maxDays"
        assert allowance in found[0].message, found[0].message


def test_log_group_retention_cap_refuses_an_unreadable_allowance(cost):
    cfg = {RETENTION: {"maxDays": 30, "namedMaxDays": {"/baseline/*": "forever"}}}
    props = {"name": "/baseline/dev/agents/audit", "retentionInDays": 14}
    found = [
        v
        for v in analyze(cost, LOG_GROUP, props, config=cfg, name="unreadable")
        if v.policyName == RETENTION
    ]
    assert found and "namedMaxDays" in found[0].message, [v.message for v in found]


# service-log-groups

SERVICE = "service-log-groups"


def log_group(name: str, deps: Mapping[str, str] | None = None) -> Resource:
    group = resource(LOG_GROUP, {"name": name, "retentionInDays": 14}, name.strip("/"))
    if deps:
        group.raw["propertyDependencies"] = {k: [v] for k, v in deps.items()}
    return group


def service_hits(cost: Any, resources: list[Resource]) -> list[Any]:
    return [v for v in analyze_stack(cost, resources) if v.policyName == SERVICE]


CLUSTER = resource(EKS, {"name": "baseline-dev", "enabledClusterLogTypes": ["api", "audit"]}, "eks")
DB = resource(
    RDS, {"identifier": "app-db", "enabledCloudwatchLogsExports": ["postgresql", "upgrade"]}, "db"
)


def test_declared_service_log_groups_pass(cost):
    groups = [
        log_group("/aws/eks/baseline-dev/cluster"),
        log_group("/aws/rds/instance/app-db/postgresql"),
        log_group("/aws/rds/instance/app-db/upgrade"),
    ]
    found = service_hits(cost, [CLUSTER, DB, *groups])
    assert not found, [v.detail for v in found]


def test_undeclared_service_log_groups_fail_on_the_service(cost):
    found = service_hits(cost, [CLUSTER, DB, log_group("/aws/rds/instance/app-db/postgresql")])
    assert {v.urn for v in found} == {CLUSTER.urn, DB.urn}, f"{SERVICE}: {found}"
    by_urn = {v.urn: v.detail for v in found}
    assert "/aws/rds/instance/app-db/upgrade" in by_urn[DB.urn], by_urn[DB.urn]
    assert "postgresql" not in by_urn[DB.urn], by_urn[DB.urn]


def test_services_without_log_exports_need_no_log_group(cost):
    quiet = [resource(EKS, {"name": "c"}, "eks"), resource(RDS, {"identifier": "d"}, "db")]
    assert not service_hits(cost, quiet)


def test_lambda_log_group(cost):
    fn = resource(LAMBDA, {"name": "resize", "runtime": "python3.12"}, "fn")
    assert [v.urn for v in service_hits(cost, [fn])] == [fn.urn]
    assert not service_hits(cost, [fn, log_group("/aws/lambda/resize")])
    custom = resource(LAMBDA, {"name": "r", "loggingConfig": {"logGroup": "/app/fns"}}, "fn2")
    assert not service_hits(cost, [custom, log_group("/app/fns")])


def test_unknown_names_match_by_dependency(cost):
    # A new database: its identifier, and so its log groups' names, are not known yet.
    db = resource(
        RDS, {"identifier": UNKNOWN, "enabledCloudwatchLogsExports": ["postgresql"]}, "db"
    )
    assert [v.urn for v in service_hits(cost, [db])] == [db.urn]
    group = resource(LOG_GROUP, {"name": UNKNOWN, "retentionInDays": 7}, "db-logs")
    group.raw["propertyDependencies"] = {"name": [db.urn]}
    assert not service_hits(cost, [db, group])


# single-cloudtrail-trail

TRAILS = "single-cloudtrail-trail"


def trail(name: str, **props: Any) -> Resource:
    return resource(TRAIL, {"name": name, "s3BucketName": "audit", **props}, name)


def trail_hits(cost: Any, resources: list[Resource], config: Any = None) -> list[Any]:
    return [v for v in analyze_stack(cost, resources, config=config) if v.policyName == TRAILS]


def test_one_trail_passes(cost):
    assert not trail_hits(cost, [trail("org")])


def test_second_trail_fails(cost):
    second = trail("copy")
    found = trail_hits(cost, [trail("org"), second])
    assert [v.urn for v in found] == [second.urn], f"{TRAILS}: {found}"


def test_data_event_trail_does_not_count(cost):
    data_only = trail(
        "data",
        eventSelectors=[{"includeManagementEvents": False, "dataResources": [{"type": "x"}]}],
    )
    advanced = trail(
        "adv",
        advancedEventSelectors=[
            {"fieldSelectors": [{"field": "eventCategory", "equals": ["Data"]}]}
        ],
    )
    assert not trail_hits(cost, [trail("org"), data_only, advanced])


def test_advanced_management_selector_counts(cost):
    adv = trail(
        "adv",
        advancedEventSelectors=[
            {"fieldSelectors": [{"field": "eventCategory", "equals": ["Management"]}]}
        ],
    )
    assert [v.urn for v in trail_hits(cost, [trail("org"), adv])] == [adv.urn]


def test_trail_other_than_the_account_trail_fails(cost):
    cfg = {TRAILS: {"accountTrailName": "baseline-prod"}}
    assert not trail_hits(cost, [trail("baseline-prod")], cfg)
    other = trail("baseline-dev")
    found = trail_hits(cost, [other], cfg)
    assert [v.urn for v in found] == [other.urn], f"{TRAILS}: {found}"
    assert "baseline-prod" in found[0].detail, found[0].detail


def test_trail_name_missing_falls_back_to_the_count(cost):
    cfg = {TRAILS: {"accountTrailName": "baseline-prod"}}
    unnamed = resource(TRAIL, {"s3BucketName": "audit"}, "unnamed")
    assert not trail_hits(cost, [unnamed], cfg)
    assert len(trail_hits(cost, [trail("baseline-prod"), unnamed], cfg)) == 1

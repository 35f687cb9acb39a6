"""`backup_check` and `restore_drill`.

moto implements the primary region's calls (`DescribeDBInstances`, `DescribeDBSnapshots`,
`CreateDBSnapshot`, `RestoreDBInstanceToPointInTime`, `RestoreDBInstanceFromDBSnapshot`,
`DeleteDBInstance`), so the checks and the drill run on moto. A `botocore.stub.Stubber` serves:
- the DR region's `DescribeDBInstanceAutomatedBackups`: moto has no cross-region replication
  and answers that call without a restore window, encryption or retention;
- errors (AccessDenied, throttling) and the instance without any backup: moto takes an
  automated snapshot even of an instance whose retention is 0, which RDS does not.
The drill's waits use a fake clock; an `after-call` hook on the moto client makes the copy
"creating" for a while (moto creates it available at once).
"""

from __future__ import annotations

import datetime
import fnmatch
import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from agents import InputError
from agents.skills import backups
from agents.skills.backups import (
    BackupError,
    BackupReport,
    DrillCleanupError,
    backup_check,
    default_check,
    drill_instance_id,
    render,
    restore_drill,
)
from agents.skills.tokens import BudgetError, count
from baseline.personas import persona

REGION, DR_REGION = "us-east-1", "us-west-2"
KEY = f"arn:aws:kms:{REGION}:123456789012:key/11111111-2222-3333-4444-555555555555"
DR_KEY = f"arn:aws:kms:{DR_REGION}:123456789012:key/66666666-7777-8888-9999-000000000000"
NOW = datetime.datetime(2026, 11, 29, 12, 0, tzinfo=datetime.UTC)
# One session for every client: its loader reads each service model once (moto resets boto3's
# default session, so `boto3.client` would parse the models again in every test).
SESSION = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    """The drill's subnet group needs moto's EC2, whose default AMIs take seconds to load."""
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _db(rds: Any, name: str = "baseline-dev", **overrides: Any) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "DBInstanceIdentifier": name,
        "Engine": "postgres",
        "DBInstanceClass": "db.t4g.medium",
        "AllocatedStorage": 20,
        "MasterUsername": "dbadmin",
        "MasterUserPassword": "not-a-real-password-1",
        "StorageEncrypted": True,
        "KmsKeyId": KEY,
        "BackupRetentionPeriod": 7,
        "Tags": [{"Key": "stack", "Value": "dev"}, {"Key": "project", "Value": "baseline"}],
        **overrides,
    }
    return dict(rds.create_db_instance(**kwargs)["DBInstance"])


def _dr_copy(resource_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "DBInstanceArn": f"arn:aws:rds:{REGION}:123456789012:db:baseline-dev",
        "DbiResourceId": resource_id,
        "Region": REGION,
        "DBInstanceIdentifier": "baseline-dev",
        "RestoreWindow": {
            "EarliestTime": _now() - datetime.timedelta(days=6),
            "LatestTime": _now() - datetime.timedelta(minutes=10),
        },
        "Status": "replicating",
        "Engine": "postgres",
        "Encrypted": True,
        "KmsKeyId": DR_KEY,
        "BackupRetentionPeriod": 7,
        "DBInstanceAutomatedBackupsArn": f"arn:aws:rds:{DR_REGION}:123456789012:auto-backup:ab-1",
        **overrides,
    }


def _resource_id(rds: Any, name: str = "baseline-dev") -> str:
    return str(
        rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]["DbiResourceId"]
    )


def _check(rds: Any, dr_copies: list[dict[str, Any]] | None, **kwargs: Any) -> BackupReport:
    """`backup_check` with the DR region answering `dr_copies` (None: DR not checked)."""
    if dr_copies is None:
        return backup_check(rds, None, stack="dev", **kwargs)
    dr = SESSION.client("rds", region_name=DR_REGION)
    with Stubber(dr) as stub:
        for _ in range(len(rds.describe_db_instances()["DBInstances"])):
            stub.add_response(
                "describe_db_instance_automated_backups", {"DBInstanceAutomatedBackups": dr_copies}
            )
        report = backup_check(rds, dr, stack="dev", **kwargs)
    return report


def by_kind(findings: list[Any]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for f in findings:
        out.setdefault(f.kind, {})[f.resource] = f.severity
    return out


# ---------------------------------------------------------------- backup_check on moto


@mock_aws
def test_a_recoverable_database_has_no_findings() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds)
    _db(rds, "drill-baseline-dev-1", Tags=[{"Key": "purpose", "Value": "restore-drill"}])
    _db(rds, "baseline-prod", Tags=[{"Key": "stack", "Value": "prod"}])
    rds.create_db_snapshot(DBInstanceIdentifier="baseline-dev", DBSnapshotIdentifier="baseline-1")
    dr = SESSION.client("rds", region_name=DR_REGION)
    resource_id = _resource_id(rds)
    with Stubber(dr) as stub:
        stub.add_response(
            "describe_db_instance_automated_backups",
            {"DBInstanceAutomatedBackups": [_dr_copy(resource_id)]},
            {"DbiResourceId": resource_id},
        )
        report = backup_check(rds, dr, stack="dev")
        stub.assert_no_pending_responses()
    assert report.findings("data-steward") == [], report.to_json()
    json.dumps(report.to_json())  # plain JSON
    (instance,) = report.instances
    assert instance.instance_id == "baseline-dev", "drill copies and other stacks are left out"
    assert {s.snapshot_type for s in instance.snapshots} == {"automated", "manual"}
    assert instance.dr_copies[0].status == "replicating"
    assert set(report.checked) == {
        *backups.BASE_KINDS,
        *backups.SNAPSHOT_KINDS,
        *backups.DR_KINDS,
    }
    assert "DR us-west-2" in render(report)


@mock_aws
def test_retention_below_the_minimum() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds, BackupRetentionPeriod=3)
    found = by_kind(_check(rds, None).findings("p"))
    assert found == {"backup.retention-low": {"baseline-dev": "medium"}}


@mock_aws
def test_backups_off_with_a_snapshot_left() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds, BackupRetentionPeriod=0)
    found = by_kind(_check(rds, None).findings("p"))
    assert found == {"backup.disabled": {"baseline-dev": "high"}}


@mock_aws
def test_latest_restorable_time_too_old() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds)
    report = _check(rds, None, now=_now() + datetime.timedelta(hours=2))
    assert by_kind(report.findings("p")) == {"backup.stale": {"baseline-dev": "high"}}


@mock_aws
def test_unencrypted_instance_and_snapshots() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds, StorageEncrypted=False, KmsKeyId="")
    rds.create_db_snapshot(DBInstanceIdentifier="baseline-dev", DBSnapshotIdentifier="baseline-m")
    found = by_kind(_check(rds, None).findings("p"))
    assert found["backup.unencrypted"] == {"baseline-dev": "high"}
    snapshots = found["backup.snapshot-unencrypted"]
    assert len(snapshots) == 2 and "baseline-m" in snapshots, snapshots  # and the automated one


@mock_aws
def test_no_copy_in_the_dr_region() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds)
    found = by_kind(_check(rds, []).findings("p"))
    assert found == {"backup.no-dr-copy": {"baseline-dev": "high"}}


@mock_aws
def test_dr_region_saying_not_found_means_no_copy() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds)
    dr = SESSION.client("rds", region_name=DR_REGION)
    with Stubber(dr) as stub:
        stub.add_client_error(
            "describe_db_instance_automated_backups",
            "DBInstanceAutomatedBackupNotFound",
            "none",
            http_status_code=404,
        )
        report = backup_check(rds, dr, stack="dev")
    assert by_kind(report.findings("p")) == {"backup.no-dr-copy": {"baseline-dev": "high"}}


@mock_aws
def test_dr_copy_unencrypted_stale_and_short() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds)
    copy = _dr_copy(
        _resource_id(rds),
        Encrypted=False,
        BackupRetentionPeriod=3,
        RestoreWindow={"LatestTime": _now() - datetime.timedelta(hours=5)},
    )
    copy.pop("KmsKeyId")
    found = by_kind(_check(rds, [copy]).findings("p"))
    arn = copy["DBInstanceAutomatedBackupsArn"]
    assert found == {
        "backup.dr-unencrypted": {arn: "high"},
        "backup.dr-stale": {arn: "high"},
        "backup.dr-retention-low": {arn: "medium"},
    }


@mock_aws
def test_dr_copies_across_pages() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds)
    resource_id = _resource_id(rds)
    dr = SESSION.client("rds", region_name=DR_REGION)
    with Stubber(dr) as stub:
        stub.add_response(
            "describe_db_instance_automated_backups",
            {"DBInstanceAutomatedBackups": [], "Marker": "next"},
            {"DbiResourceId": resource_id},
        )
        stub.add_response(
            "describe_db_instance_automated_backups",
            {"DBInstanceAutomatedBackups": [_dr_copy(resource_id)]},
            {"DbiResourceId": resource_id, "Marker": "next"},
        )
        report = backup_check(rds, dr, stack="dev")
        stub.assert_no_pending_responses()
    assert report.findings("p") == [] and len(report.instances[0].dr_copies) == 1


@mock_aws
def test_no_database_found_is_a_finding() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds, "baseline-prod", Tags=[{"Key": "stack", "Value": "prod"}])
    assert by_kind(_check(rds, None).findings("p")) == {
        "backup.no-instance": {"baseline-dev": "high"}
    }
    report = backup_check(rds, None, stack="dev", instance_id="missing-db")
    assert by_kind(report.findings("p")) == {"backup.no-instance": {"missing-db": "high"}}


@mock_aws
def test_dr_denied_is_unchecked_and_keeps_the_other_checks() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    _db(rds, BackupRetentionPeriod=3)
    dr = SESSION.client("rds", region_name=DR_REGION)
    with Stubber(dr) as stub:
        stub.add_client_error(
            "describe_db_instance_automated_backups", "AccessDenied", "not authorized"
        )
        report = backup_check(rds, dr, stack="dev")
    found = by_kind(report.findings("p"))
    assert found == {
        "backup.unchecked": {f"rds:DescribeDBInstanceAutomatedBackups@{DR_REGION}": "high"},
        "backup.retention-low": {"baseline-dev": "medium"},
    }
    assert not set(backups.DR_KINDS) & set(report.checked), "DR findings must stay open"
    assert "backup.stale" in report.checked


# ---------------------------------------------------------------- backup_check on Stubber


def test_no_backup_at_all_is_critical() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_db_instances",
            {
                "DBInstances": [
                    {
                        "DBInstanceIdentifier": "baseline-dev",
                        "Engine": "postgres",
                        "DBInstanceStatus": "available",
                        "StorageEncrypted": True,
                        "BackupRetentionPeriod": 0,
                    }
                ]
            },
        )
        stub.add_response(
            "describe_db_snapshots", {"DBSnapshots": []}, {"DBInstanceIdentifier": "baseline-dev"}
        )
        report = backup_check(rds, None, stack="dev", now=NOW)
    assert by_kind(report.findings("p")) == {"backup.none": {"baseline-dev": "critical"}}


@pytest.mark.parametrize("code", ["AccessDenied", "Throttling"])
def test_instances_not_described_is_unchecked(code: str) -> None:
    rds = SESSION.client("rds", region_name=REGION)
    with Stubber(rds) as stub:
        stub.add_client_error("describe_db_instances", code, "no")
        report = backup_check(rds, None, stack="dev", now=NOW)
    (finding,) = report.findings("data-steward")
    assert (finding.kind, finding.severity) == ("backup.unchecked", "high")
    assert code in finding.summary and "DescribeDBInstances" in finding.summary
    assert report.checked == ()


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="min_retention_days"):
        backup_check(object(), None, stack="dev", min_retention_days=0)
    with pytest.raises(InputError, match="timezone"):
        backup_check(object(), None, stack="dev", now=datetime.datetime(2026, 1, 1))


# ---------------------------------------------------------------- restore drill


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.t += seconds


def _creating(rds: Any, times: int | None) -> None:
    """Make drill copies look `creating` to the next `times` describes (None: for ever)."""
    left = [times]

    def hook(parsed: dict[str, Any], **_: Any) -> None:
        for d in parsed.get("DBInstances", []):
            if d["DBInstanceIdentifier"].startswith("drill-") and left[0] != 0:
                d["DBInstanceStatus"] = "creating"
                if left[0] is not None:
                    left[0] -= 1

    rds.meta.events.register("after-call.rds.DescribeDBInstances", hook)


def _calls(rds: Any) -> list[tuple[str, dict[str, Any]]]:
    seen: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        seen.append((model.name, dict(params)))

    rds.meta.events.register("before-parameter-build.rds", record)
    return seen


def _drill_setup() -> Any:
    rds = SESSION.client("rds", region_name=REGION)
    subnet = SESSION.client("ec2", region_name=REGION).describe_subnets()["Subnets"][0]["SubnetId"]
    rds.create_db_subnet_group(
        DBSubnetGroupName="baseline-drill-isolated",
        DBSubnetGroupDescription="isolated",
        SubnetIds=[subnet],
    )
    return rds


def _drill_ids(rds: Any) -> list[str]:
    return [
        d["DBInstanceIdentifier"]
        for d in rds.describe_db_instances()["DBInstances"]
        if d["DBInstanceIdentifier"].startswith("drill-")
    ]


@mock_aws
def test_drill_restores_times_and_deletes() -> None:
    rds = _drill_setup()
    _db(rds)
    _creating(rds, 3)
    calls = _calls(rds)
    clock = FakeClock()
    result = restore_drill(
        rds,
        source_instance_id="baseline-dev",
        subnet_group="baseline-drill-isolated",
        security_group_ids=["sg-12345678"],
        instance_class="db.t4g.small",
        poll_s=30,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result.ok, result.to_json()
    assert result.recovery_seconds == 90.0 and result.restored_from == "latest restorable time"
    assert result.drill_instance_id.startswith("drill-baseline-dev-")
    assert _drill_ids(rds) == [], "the copy must be deleted"
    restore = next(p for name, p in calls if name == "RestoreDBInstanceToPointInTime")
    assert restore["UseLatestRestorableTime"] is True
    assert restore["PubliclyAccessible"] is False and restore["DeletionProtection"] is False
    assert restore["DBSubnetGroupName"] == "baseline-drill-isolated"
    assert {"Key": "purpose", "Value": "restore-drill"} in restore["Tags"]
    delete = next(p for name, p in calls if name == "DeleteDBInstance")
    assert delete["SkipFinalSnapshot"] is True and delete["DeleteAutomatedBackups"] is True
    assert result.findings("data-steward", "dev") == []


@mock_aws
def test_drill_falls_back_to_the_newest_snapshot() -> None:
    rds = _drill_setup()
    _db(rds, BackupRetentionPeriod=0)
    rds.create_db_snapshot(DBInstanceIdentifier="baseline-dev", DBSnapshotIdentifier="baseline-m")
    calls = _calls(rds)
    clock = FakeClock()
    result = restore_drill(
        rds,
        source_instance_id="baseline-dev",
        subnet_group="baseline-drill-isolated",
        sleep=clock.sleep,
        clock=clock,
    )
    assert result.ok and result.restored_from.startswith("snapshot "), result.to_json()
    assert any(name == "RestoreDBInstanceFromDBSnapshot" for name, _ in calls)
    assert _drill_ids(rds) == []


@mock_aws
def test_drill_with_nothing_to_restore_fails_without_creating() -> None:
    rds = _drill_setup()
    result = restore_drill(rds, source_instance_id="baseline-gone", subnet_group="x")
    assert not result.ok and not result.created and "no restorable" in result.problems[0]
    (finding,) = result.findings("data-steward", "dev")
    assert (finding.kind, finding.severity) == ("backup.drill-failed", "high")


@mock_aws
def test_drill_check_failure_still_deletes_and_reports() -> None:
    rds = _drill_setup()
    _db(rds)
    seen: list[str] = []

    def check(description: dict[str, Any]) -> list[str]:
        seen.append(description["DBInstanceIdentifier"])
        return ["SELECT 1 failed: connection refused"]

    result = restore_drill(
        rds, source_instance_id="baseline-dev", subnet_group="baseline-drill-isolated", check=check
    )
    assert seen == [result.drill_instance_id]
    assert result.problems == ("SELECT 1 failed: connection refused",) and result.deleted
    assert not result.ok and result.recovery_seconds is not None
    assert _drill_ids(rds) == []
    (finding,) = result.findings("data-steward", "dev")
    assert "connection refused" in finding.summary


@mock_aws
def test_drill_check_that_raises_still_deletes() -> None:
    rds = _drill_setup()
    _db(rds)

    def check(description: dict[str, Any]) -> list[str]:
        raise RuntimeError("the check broke")

    with pytest.raises(RuntimeError, match="the check broke"):
        restore_drill(
            rds,
            source_instance_id="baseline-dev",
            subnet_group="baseline-drill-isolated",
            check=check,
        )
    assert _drill_ids(rds) == []


@mock_aws
def test_drill_timeout_still_deletes() -> None:
    rds = _drill_setup()
    _db(rds)
    _creating(rds, None)
    clock = FakeClock()
    result = restore_drill(
        rds,
        source_instance_id="baseline-dev",
        subnet_group="baseline-drill-isolated",
        timeout_s=100,
        poll_s=30,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result.recovery_seconds is None and result.deleted and not result.ok
    assert result.problems == ("not available after 100 s (status creating)",)
    assert clock.sleeps == [30, 30, 30, 10], "the wait is bounded by the timeout"
    assert _drill_ids(rds) == []


@mock_aws
def test_drill_delete_failure_is_raised_with_the_result() -> None:
    rds = _drill_setup()
    _db(rds)

    def protect(description: dict[str, Any]) -> list[str]:
        rds.modify_db_instance(
            DBInstanceIdentifier=description["DBInstanceIdentifier"],
            DeletionProtection=True,
            ApplyImmediately=True,
        )
        return []

    with pytest.raises(DrillCleanupError, match="delete it by hand") as caught:
        restore_drill(
            rds,
            source_instance_id="baseline-dev",
            subnet_group="baseline-drill-isolated",
            check=protect,
        )
    result = caught.value.result
    assert not result.deleted and not result.ok and caught.value.error.code
    assert _drill_ids(rds) == [result.drill_instance_id], "it is left, and named"
    assert "\n" not in str(caught.value)
    assert result.findings("data-steward", "dev")[0].kind == "backup.drill-failed"


@mock_aws
def test_drill_delete_refused_while_busy_is_retried() -> None:
    rds = _drill_setup()
    _db(rds)

    class BusyOnce:
        def __init__(self) -> None:
            self.refused = False
            self.meta = rds.meta

        def __getattr__(self, name: str) -> Any:
            return getattr(rds, name)

        def delete_db_instance(self, **kwargs: Any) -> Any:
            if not self.refused:
                self.refused = True
                raise ClientError(
                    {"Error": {"Code": "InvalidDBInstanceState", "Message": "modifying"}},
                    "DeleteDBInstance",
                )
            return rds.delete_db_instance(**kwargs)

    clock = FakeClock()
    client = BusyOnce()
    result = restore_drill(
        client,
        source_instance_id="baseline-dev",
        subnet_group="baseline-drill-isolated",
        sleep=clock.sleep,
        clock=clock,
    )
    assert client.refused and result.deleted and result.ok
    assert _drill_ids(rds) == []


def test_drill_restore_refused_raises_and_deletes_nothing() -> None:
    rds = SESSION.client("rds", region_name=REGION)
    with Stubber(rds) as stub:
        stub.add_response(
            "describe_db_instances",
            {
                "DBInstances": [
                    {
                        "DBInstanceIdentifier": "baseline-dev",
                        "Engine": "postgres",
                        "BackupRetentionPeriod": 7,
                        "LatestRestorableTime": NOW,
                    }
                ]
            },
        )
        stub.add_client_error("restore_db_instance_to_point_in_time", "AccessDenied", "denied")
        with pytest.raises(BackupError, match=r"RestoreDBInstanceToPointInTime in us-east-1: "):
            restore_drill(rds, source_instance_id="baseline-dev", subnet_group="x")
        stub.assert_no_pending_responses()


def test_drill_arguments_and_names() -> None:
    with pytest.raises(InputError, match="source_instance_id"):
        restore_drill(object(), source_instance_id="bad name", subnet_group="x")
    with pytest.raises(InputError, match="subnet_group"):
        restore_drill(object(), source_instance_id="baseline-dev", subnet_group="")
    name = drill_instance_id("a" * 63, NOW)
    assert len(name) <= 63 and name.endswith("-20261129120000") and "--" not in name
    assert drill_instance_id("Baseline--Dev-", NOW) == "drill-baseline-dev-20261129120000"


def test_default_check() -> None:
    check = default_check("postgres")
    good = {"DBInstanceStatus": "available", "StorageEncrypted": True, "Engine": "postgres"}
    assert check(good) == []
    bad = {**good, "StorageEncrypted": False, "PubliclyAccessible": True, "Engine": "mysql"}
    assert len(check(bad)) == 3


def test_permissions() -> None:
    """The data steward's role grants every action backup_check and the restore drill call."""
    steward = "data-steward"
    assert [a for a in backups.PERMISSIONS["backup_check"] if not _allowed(steward, a)] == []
    assert [a for a in backups.PERMISSIONS["restore_drill"] if not _allowed(steward, a)] == []


def _allowed(persona_name: str, action: str) -> bool:
    """Whether a statement grants `action` on resource "*" or on a `db:` ARN pattern."""
    for statement in persona(persona_name).iam_statements():
        if statement["Effect"] != "Allow":
            continue
        actions = statement["Action"]
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement["Resource"]
        resources = [resources] if isinstance(resources, str) else resources
        if any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in actions) and any(
            r == "*" or ":db:" in r or r.startswith("arn:aws:kms:") for r in resources
        ):
            return True
    return False


# ---------------------------------------------------------------- rendering


def _big_report() -> BackupReport:
    instances = tuple(
        backups.InstanceBackups(
            instance_id=f"baseline-dev-{i}",
            arn="",
            resource_id=f"db-{i}",
            engine="postgres",
            status="available",
            encrypted=i % 2 == 0,
            kms_key_id="",
            retention_days=i % 8,
            latest_restorable=(NOW - datetime.timedelta(minutes=40 * i)).isoformat(),
            snapshots=tuple(
                backups.SnapshotInfo(
                    f"snap-{i}-{j}", "manual", "available", NOW.isoformat(), j > 0, ""
                )
                for j in range(3 if i % 5 else 0)
            ),
            snapshots_checked=True,
            dr_checked=True,
        )
        for i in range(25)
    )
    return BackupReport("dev", REGION, DR_REGION, NOW.isoformat(), 7, instances)


BIG = _big_report()


def test_render_ranks_the_worst_first() -> None:
    text = render(BIG)
    assert text.index("[CRITICAL]") < text.index("[HIGH]") < text.index("[MEDIUM]")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(budget=st.integers(min_value=0, max_value=3000))
def test_render_never_exceeds_the_budget(budget: int) -> None:
    try:
        text = render(BIG, budget)
    except BudgetError:
        return
    assert count(text) <= budget, (budget, count(text))

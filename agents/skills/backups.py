"""`backup_check`: is the stack's database recoverable (automated backups, their retention and
freshness, snapshots, encryption, and the copy in the DR region), and `restore_drill`: prove it
by restoring a throw-away copy and timing it.

Decisions for `backup_check`:

- Which database. With `instance_id`, that instance; otherwise every RDS instance named
  `baseline-<stack>` (the program's identifier) or tagged `stack=<stack>` (the provider's default
  tags), leaving out restore-drill copies (tag `purpose=restore-drill`) and Aurora members
  (their backups belong to the cluster). None found is `backup.no-instance` (`high`): the check
  must not pass because it looked in the wrong place.
- What is a problem, and how bad (kind: severity):
  `backup.none` (critical): automated backups off and no snapshot, nothing to restore from;
  `backup.disabled` (high): automated backups off, only snapshots (no point-in-time restore);
  `backup.retention-low` (medium): retention below `min_retention_days`;
  `backup.stale` (high): the latest restorable time is more than an hour old (or missing), so
  the transaction logs are not reaching S3 and the recovery point is slipping;
  `backup.unencrypted`, `backup.snapshot-unencrypted` (high): storage or a snapshot is not
  encrypted at rest;
  `backup.no-dr-copy` (high): no replicated automated backup of the instance in the DR region;
  `backup.dr-unencrypted` (high), `backup.dr-stale` (high, restore window ends more than
  `DR_MAX_LAG` ago), `backup.dr-retention-low` (medium) for the DR copy.
- The DR copy is what `DescribeDBInstanceAutomatedBackups` in the DR region returns for the
  instance's resource id (`DbiResourceId`, kept across regions), not what the source instance
  says it replicates: a replication that was declared but never started, or was stopped, has no
  copy to restore. `rds_dr=None` skips the DR checks (a stack without `dbReplicateBackupsToDr`).
- Failing closed: a call that fails becomes a `backup.unchecked` finding (`high`) naming the
  service, call, region and code; the kinds it would have checked are left out of
  `BackupReport.checked`, so a findings pass does not close them.

Decisions for `restore_drill`:

- It restores the latest restorable time of the source's automated backups (point in time,
  `UseLatestRestorableTime`), or, when the source has none (backups off, or the instance is
  gone), its newest available snapshot. Nothing to restore is a failed drill, not an error.
- The copy is `drill-<source>-<UTC yyyymmddhhmmss>`, in the given (isolated) subnet group, single
  AZ, not publicly accessible, deletion protection off, tagged `purpose=restore-drill`; it is
  deleted in a `finally` (no final snapshot, automated backups deleted) whatever happened after
  the restore request was sent: a timeout, a failed state, a check that found problems or
  raised. A restore the service refused (a ClientError) created nothing and is not deleted; an
  ambiguous failure (no answer) is, in case it did. A delete that RDS refuses while the copy is
  still being created is retried until `cleanup_timeout_s`; a delete that fails raises
  `DrillCleanupError`, which names the copy left behind and carries the result: a forgotten
  instance costs money every hour, so it is never swallowed.
- Recovery time is the seconds from the restore request to the copy being `available`, on the
  injected `clock`; `sleep` and `clock` are injectable so the wait is tested with a fake clock.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agents import AgentsError, InputError
from agents.protocol.findings import SEVERITIES, Finding
from agents.skills import tokens
from agents.skills.aws import CheckError, check_error, iso, unchecked, utc

# IAM actions each function needs. `restore_drill`'s KMS actions are not calls of its own: RDS
# makes them with the caller's rights to restore a copy under the source's customer key.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    "backup_check": (
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
        "rds:DescribeDBInstanceAutomatedBackups",
    ),
    "restore_drill": (
        "rds:DescribeDBInstances",
        "rds:DescribeDBSnapshots",
        "rds:RestoreDBInstanceToPointInTime",
        "rds:RestoreDBInstanceFromDBSnapshot",
        "rds:AddTagsToResource",
        "rds:DeleteDBInstance",
        "kms:CreateGrant",
        "kms:DescribeKey",
    ),
}
# The persona whose skills include `backup-check`.
PERSONAS: dict[str, tuple[str, ...]] = {
    "backup_check": ("data-steward",),
    "restore_drill": ("data-steward",),
}

MAX_RPO = datetime.timedelta(hours=1)  # latest restorable time older than this: backup.stale
DR_MAX_LAG = datetime.timedelta(hours=2)  # the DR copy's restore window may trail a little more
DRILL_TAG = ("purpose", "restore-drill")
MESSAGE_CHARS = 300
SNAPSHOTS_SHOWN = 5
# States a restore does not come back from by waiting.
FAILED_STATES = frozenset(
    {
        "failed",
        "incompatible-restore",
        "incompatible-parameters",
        "incompatible-network",
        "incompatible-option-group",
        "inaccessible-encryption-credentials",
        "inaccessible-encryption-credentials-recoverable",
        "restore-error",
        "storage-full",
        "deleting",
    }
)
_NOT_FOUND = frozenset({"DBInstanceNotFound", "DBInstanceNotFoundFault"})
_NO_AUTOMATED_BACKUP = frozenset(
    {"DBInstanceAutomatedBackupNotFound", "DBInstanceAutomatedBackupNotFoundFault"}
)
_BUSY = frozenset({"InvalidDBInstanceState", "InvalidDBInstanceStateFault"})
_IDENTIFIER = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,62}$")

BASE_KINDS = (
    "backup.no-instance",
    "backup.disabled",
    "backup.retention-low",
    "backup.stale",
    "backup.unencrypted",
)
SNAPSHOT_KINDS = ("backup.none", "backup.snapshot-unencrypted")
DR_KINDS = (
    "backup.no-dr-copy",
    "backup.dr-unencrypted",
    "backup.dr-stale",
    "backup.dr-retention-low",
)


class BackupError(AgentsError):
    """A backup check or drill cannot go on; the message says why."""


def _check_error(
    exc: ClientError | BotoCoreError, service: str, call: str, region: str
) -> CheckError:
    return check_error(exc, service, call, region, MESSAGE_CHARS)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _region(client: Any) -> str:
    return str(getattr(getattr(client, "meta", None), "region_name", "") or "unknown")


def _age(iso: str, now: datetime.datetime) -> datetime.timedelta | None:
    return now - datetime.datetime.fromisoformat(iso) if iso else None


def _hours(delta: datetime.timedelta | None) -> str:
    return "never" if delta is None else f"{delta.total_seconds() / 3600:.1f} h ago"


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    snapshot_type: str  # automated | manual | awsbackup ...
    status: str
    created: str  # ISO 8601 UTC
    encrypted: bool
    kms_key_id: str


@dataclass(frozen=True)
class DrCopy:
    """A replicated automated backup, as the DR region describes it."""

    arn: str
    status: str  # replicating, active, retained, pending ...
    encrypted: bool
    kms_key_id: str
    retention_days: int | None
    earliest_restorable: str
    latest_restorable: str


@dataclass(frozen=True)
class InstanceBackups:
    instance_id: str
    arn: str
    resource_id: str  # DbiResourceId: the same in every region
    engine: str
    status: str
    encrypted: bool
    kms_key_id: str
    retention_days: int
    latest_restorable: str  # ISO 8601 UTC, "" when RDS gives none
    declared_dr: tuple[str, ...] = ()  # replication ARNs the source instance lists
    snapshots: tuple[SnapshotInfo, ...] = ()
    snapshots_checked: bool = False
    dr_copies: tuple[DrCopy, ...] = ()
    dr_checked: bool = False


@dataclass(frozen=True)
class BackupReport:
    stack: str
    region: str
    dr_region: str | None  # None: DR not checked
    checked_at: str
    min_retention_days: int
    instances: tuple[InstanceBackups, ...]
    errors: tuple[CheckError, ...] = ()
    listed: bool = True  # False: the instances could not be described
    instance_id: str | None = None  # the one asked for, if any

    @property
    def checked(self) -> tuple[str, ...]:
        """The finding kinds this report checked (a findings pass closes only those)."""
        if not self.listed:
            return ()
        kinds = list(BASE_KINDS)
        if all(i.snapshots_checked for i in self.instances):
            kinds += SNAPSHOT_KINDS
        if self.dr_region is not None and all(i.dr_checked for i in self.instances):
            kinds += DR_KINDS
        return tuple(kinds)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def findings(self, persona: str) -> list[Finding]:
        now = datetime.datetime.fromisoformat(self.checked_at)
        out = [_unchecked(self.stack, e, persona) for e in self.errors]
        if self.listed and not self.instances:
            where = self.instance_id or f"baseline-{self.stack} (or tagged stack={self.stack})"
            out.append(
                self._finding(
                    "backup.no-instance",
                    "high",
                    self.instance_id or f"baseline-{self.stack}",
                    f"no RDS instance {where} in {self.region}: backups not checked",
                    evidence={"region": self.region, "instanceId": self.instance_id},
                    action="Check the stack's region and database identifier (stack output "
                    "databaseEndpoint); pass instance_id for a database named otherwise.",
                    persona=persona,
                )
            )
        for instance in self.instances:
            out += self._instance_findings(instance, now, persona)
        return out

    def _finding(
        self,
        kind: str,
        severity: str,
        resource: str,
        summary: str,
        *,
        evidence: dict[str, Any],
        action: str,
        persona: str,
    ) -> Finding:
        return Finding(kind, severity, self.stack, resource, summary, evidence, action, persona)

    def _instance_findings(
        self, i: InstanceBackups, now: datetime.datetime, persona: str
    ) -> list[Finding]:
        out: list[Finding] = []
        base = {
            "instance": i.instance_id,
            "region": self.region,
            "retentionDays": i.retention_days,
            "latestRestorableTime": i.latest_restorable or None,
            "snapshots": len(i.snapshots),
        }
        fix_retention = (
            "Set dbBackupRetentionDays in the stack config (1 to 35) and pulumi up; the "
            "database component applies it."
        )
        if i.retention_days == 0:
            if i.snapshots_checked and not i.snapshots:
                out.append(
                    self._finding(
                        "backup.none",
                        "critical",
                        i.instance_id,
                        f"{i.instance_id} has no automated backups and no snapshot: it cannot "
                        "be restored",
                        evidence=base,
                        action=f"Take a manual snapshot now, then: {fix_retention}",
                        persona=persona,
                    )
                )
            else:
                out.append(
                    self._finding(
                        "backup.disabled",
                        "high",
                        i.instance_id,
                        f"{i.instance_id} has automated backups off: no point-in-time restore",
                        evidence=base,
                        action=fix_retention,
                        persona=persona,
                    )
                )
        else:
            if i.retention_days < self.min_retention_days:
                out.append(
                    self._finding(
                        "backup.retention-low",
                        "medium",
                        i.instance_id,
                        f"{i.instance_id} keeps automated backups {i.retention_days} days, "
                        f"below the minimum of {self.min_retention_days}",
                        evidence={**base, "minimumDays": self.min_retention_days},
                        action=fix_retention,
                        persona=persona,
                    )
                )
            age = _age(i.latest_restorable, now)
            if age is None or age > MAX_RPO:
                out.append(
                    self._finding(
                        "backup.stale",
                        "high",
                        i.instance_id,
                        f"{i.instance_id}'s latest restorable time is {_hours(age)} (more than "
                        f"{MAX_RPO.total_seconds() / 3600:.0f} h): the recovery point is slipping",
                        evidence=base,
                        action="Check the instance's status and RDS events (storage full, stopped "
                        "instance, log upload failures); open a case if it persists.",
                        persona=persona,
                    )
                )
        if not i.encrypted:
            out.append(
                self._finding(
                    "backup.unencrypted",
                    "high",
                    i.instance_id,
                    f"{i.instance_id} is not encrypted at rest, nor are its backups",
                    evidence=base,
                    action="Encryption cannot be turned on in place: restore an encrypted "
                    "copy of a snapshot (copy-db-snapshot with a KMS key) and switch over.",
                    persona=persona,
                )
            )
        for snap in i.snapshots:
            if not snap.encrypted:
                out.append(
                    self._finding(
                        "backup.snapshot-unencrypted",
                        "high",
                        snap.snapshot_id,
                        f"snapshot {snap.snapshot_id} of {i.instance_id} ({snap.snapshot_type}) "
                        "is not encrypted",
                        evidence={"instance": i.instance_id, **asdict(snap)},
                        action="Copy it with a KMS key (copy-db-snapshot --kms-key-id) and "
                        "delete the unencrypted one.",
                        persona=persona,
                    )
                )
        if self.dr_region is not None and i.dr_checked:
            out += self._dr_findings(i, now, persona)
        return out

    def _dr_findings(
        self, i: InstanceBackups, now: datetime.datetime, persona: str
    ) -> list[Finding]:
        dr = self.dr_region
        if not i.dr_copies:
            elsewhere = [arn for arn in i.declared_dr if f":{dr}:" not in arn]
            if not i.declared_dr:
                hint = "; the instance declares no replication"
            elif elsewhere:
                hint = f"; the instance replicates to {', '.join(elsewhere)} instead"
            else:
                hint = "; the instance declares a replication there, but it has no copy"
            return [
                self._finding(
                    "backup.no-dr-copy",
                    "high",
                    i.instance_id,
                    f"no replicated automated backup of {i.instance_id} in {dr}{hint}",
                    evidence={
                        "instance": i.instance_id,
                        "resourceId": i.resource_id,
                        "drRegion": dr,
                        "declaredReplications": list(i.declared_dr),
                    },
                    action="Set dbReplicateBackupsToDr (and drRegion) in the stack config "
                    "and pulumi up; if it is set, check the replication in the RDS console of "
                    "the DR region.",
                    persona=persona,
                )
            ]
        out: list[Finding] = []
        for copy in i.dr_copies:
            evidence = {"instance": i.instance_id, "drRegion": dr, **asdict(copy)}
            if not copy.encrypted:
                out.append(
                    self._finding(
                        "backup.dr-unencrypted",
                        "high",
                        copy.arn,
                        f"the DR copy of {i.instance_id} in {dr} is not encrypted",
                        evidence=evidence,
                        action="Replicate with a KMS key of the DR region (the database "
                        "component's DR key) and stop the unencrypted replication.",
                        persona=persona,
                    )
                )
            age = _age(copy.latest_restorable, now)
            if age is None or age > DR_MAX_LAG:
                out.append(
                    self._finding(
                        "backup.dr-stale",
                        "high",
                        copy.arn,
                        f"the DR copy of {i.instance_id} in {dr} is restorable to "
                        f"{_hours(age)} (status {copy.status})",
                        evidence=evidence,
                        action="Check the replication's status in the DR region; restart it "
                        "(stop and start the automated backups replication) if it is stuck.",
                        persona=persona,
                    )
                )
            if copy.retention_days is not None and copy.retention_days < self.min_retention_days:
                out.append(
                    self._finding(
                        "backup.dr-retention-low",
                        "medium",
                        copy.arn,
                        f"the DR copy of {i.instance_id} keeps {copy.retention_days} days, "
                        f"below the minimum of {self.min_retention_days}",
                        evidence={**evidence, "minimumDays": self.min_retention_days},
                        action="Raise dbBackupRetentionDays (the DR replication uses the same "
                        "retention) and pulumi up.",
                        persona=persona,
                    )
                )
        return out


def _unchecked(stack: str, error: CheckError, persona: str) -> Finding:
    return unchecked("backup.unchecked", stack, error, persona, "the database's recoverability")


# ---------------------------------------------------------------- collection


def _tags(description: dict[str, Any]) -> dict[str, str]:
    return {t.get("Key", ""): t.get("Value", "") for t in description.get("TagList", [])}


def _is_stack_instance(description: dict[str, Any], stack: str) -> bool:
    tags = _tags(description)
    if tags.get(DRILL_TAG[0]) == DRILL_TAG[1] or description.get("DBClusterIdentifier"):
        return False
    return (
        description.get("DBInstanceIdentifier") == f"baseline-{stack}" or tags.get("stack") == stack
    )


def _instance(description: dict[str, Any]) -> InstanceBackups:
    return InstanceBackups(
        instance_id=description["DBInstanceIdentifier"],
        arn=str(description.get("DBInstanceArn", "")),
        resource_id=str(description.get("DbiResourceId", "")),
        engine=str(description.get("Engine", "")),
        status=str(description.get("DBInstanceStatus", "")),
        encrypted=bool(description.get("StorageEncrypted")),
        kms_key_id=str(description.get("KmsKeyId") or ""),
        retention_days=int(description.get("BackupRetentionPeriod") or 0),
        latest_restorable=iso(description.get("LatestRestorableTime")),
        declared_dr=tuple(
            str(r.get("DBInstanceAutomatedBackupsArn", ""))
            for r in description.get("DBInstanceAutomatedBackupsReplications") or []
        ),
    )


def _snapshots(rds: Any, instance_id: str) -> tuple[SnapshotInfo, ...]:
    found: list[SnapshotInfo] = []
    pages = rds.get_paginator("describe_db_snapshots").paginate(DBInstanceIdentifier=instance_id)
    for page in pages:
        for snap in page.get("DBSnapshots", []):
            found.append(
                SnapshotInfo(
                    snapshot_id=str(snap.get("DBSnapshotIdentifier", "")),
                    snapshot_type=str(snap.get("SnapshotType", "")),
                    status=str(snap.get("Status", "")),
                    created=iso(snap.get("SnapshotCreateTime")),
                    encrypted=bool(snap.get("Encrypted")),
                    kms_key_id=str(snap.get("KmsKeyId") or ""),
                )
            )
    found.sort(key=lambda s: s.created, reverse=True)
    return tuple(found)


def _dr_copies(rds_dr: Any, resource_id: str) -> tuple[DrCopy, ...]:
    copies: list[DrCopy] = []
    try:
        pages = rds_dr.get_paginator("describe_db_instance_automated_backups").paginate(
            DbiResourceId=resource_id
        )
        for page in pages:
            for backup in page.get("DBInstanceAutomatedBackups", []):
                if backup.get("DbiResourceId", resource_id) != resource_id:
                    continue
                window = backup.get("RestoreWindow") or {}
                retention = backup.get("BackupRetentionPeriod")
                copies.append(
                    DrCopy(
                        arn=str(backup.get("DBInstanceAutomatedBackupsArn", "")),
                        status=str(backup.get("Status", "")),
                        encrypted=bool(backup.get("Encrypted")),
                        kms_key_id=str(backup.get("KmsKeyId") or ""),
                        retention_days=int(retention) if retention is not None else None,
                        earliest_restorable=iso(window.get("EarliestTime")),
                        latest_restorable=iso(window.get("LatestTime")),
                    )
                )
    except ClientError as exc:
        if _code(exc) in _NO_AUTOMATED_BACKUP:  # the service's way of saying "none"
            return ()
        raise
    return tuple(copies)


def _describe_instances(rds: Any, stack: str, instance_id: str | None) -> list[dict[str, Any]]:
    if instance_id is not None:
        try:
            found = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
        except ClientError as exc:
            if _code(exc) in _NOT_FOUND:
                return []
            raise
        return list(found)
    return [
        d
        for page in rds.get_paginator("describe_db_instances").paginate()
        for d in page.get("DBInstances", [])
        if _is_stack_instance(d, stack)
    ]


def backup_check(
    rds: Any,
    rds_dr: Any | None,
    *,
    stack: str,
    instance_id: str | None = None,
    min_retention_days: int = 7,
    now: datetime.datetime | None = None,
) -> BackupReport:
    """The recoverability of the stack's database (`rds`: a boto3 `rds` client in the stack's
    region; `rds_dr`: one in the DR region, or None to skip the DR checks). See the module
    docstring for what is checked. AWS failures are in the report (`errors`, and
    `backup.unchecked` findings), never raised; bad arguments raise `InputError`."""
    if not stack:
        raise InputError("stack must be a stack name such as 'dev'")
    if not 1 <= min_retention_days <= 35:
        raise InputError(f"min_retention_days must be 1 to 35, got {min_retention_days}")
    at = utc(now)
    region = _region(rds)
    dr_region = _region(rds_dr) if rds_dr is not None else None
    errors: list[CheckError] = []

    def failed(exc: ClientError | BotoCoreError, call: str, where: str) -> None:
        if not any(e.call == call and e.region == where for e in errors):  # once per call
            errors.append(_check_error(exc, "rds", call, where))

    def report(instances: Sequence[InstanceBackups], listed: bool = True) -> BackupReport:
        return BackupReport(
            stack=stack,
            region=region,
            dr_region=dr_region,
            checked_at=iso(at),
            min_retention_days=min_retention_days,
            instances=tuple(instances),
            errors=tuple(errors),
            listed=listed,
            instance_id=instance_id,
        )

    try:
        descriptions = _describe_instances(rds, stack, instance_id)
    except (ClientError, BotoCoreError) as exc:
        failed(exc, "DescribeDBInstances", region)
        return report((), listed=False)

    instances: list[InstanceBackups] = []
    for description in descriptions:
        instance = _instance(description)
        updates: dict[str, Any] = {}
        try:
            updates["snapshots"] = _snapshots(rds, instance.instance_id)
            updates["snapshots_checked"] = True
        except (ClientError, BotoCoreError) as exc:
            failed(exc, "DescribeDBSnapshots", region)
        if rds_dr is not None and dr_region is not None:
            try:
                updates["dr_copies"] = _dr_copies(rds_dr, instance.resource_id)
                updates["dr_checked"] = True
            except (ClientError, BotoCoreError) as exc:
                failed(exc, "DescribeDBInstanceAutomatedBackups", dr_region)
        instances.append(dataclasses.replace(instance, **updates))
    return report(instances)


# ---------------------------------------------------------------- rendering


def _rank(finding: Finding) -> int:
    return SEVERITIES.index(finding.severity)


def _finding_block(finding: Finding) -> str:
    lines = [f"[{finding.severity.upper()}] {finding.kind} {finding.summary}"]
    if finding.proposed_action:
        lines.append(f"  action: {finding.proposed_action}")
    return "\n".join(lines)


def _instance_block(i: InstanceBackups) -> str:
    latest = i.latest_restorable or "none"
    lines = [
        f"{i.instance_id} ({i.engine}, {i.status}): retention {i.retention_days} d, latest "
        f"restorable {latest}, {'encrypted' if i.encrypted else 'NOT encrypted'}"
    ]
    if i.snapshots_checked:
        manual = sum(s.snapshot_type == "manual" for s in i.snapshots)
        newest = ", ".join(f"{s.snapshot_id} {s.created}" for s in i.snapshots[:SNAPSHOTS_SHOWN])
        lines.append(
            f"  snapshots: {len(i.snapshots)} ({manual} manual)"
            + (f", newest {newest}" if newest else "")
        )
    if i.dr_checked:
        lines.extend(
            f"  DR copy {c.arn}: {c.status}, restorable {c.earliest_restorable or '?'} .. "
            f"{c.latest_restorable or '?'}"
            for c in i.dr_copies
        )
    return "\n".join(lines)


def render(report: BackupReport, budget: int | None = None) -> str:
    """The report as text, at most `budget` o200k tokens (None: everything): a head line, one
    block per finding (most severe first), then one block per instance with its backups,
    snapshots and DR copies. Blocks that do not fit are counted in one line. `BudgetError` when
    even the head does not fit."""
    findings = sorted(report.findings(""), key=_rank)
    dr = f", DR {report.dr_region}" if report.dr_region else ", DR not checked"
    head = (
        f"backups {report.stack} ({report.region}{dr}) at {report.checked_at}: "
        f"{len(report.instances)} instances, {len(findings)} findings"
    )
    blocks = [_finding_block(f) for f in findings] + [_instance_block(i) for i in report.instances]

    def more(dropped: Sequence[int]) -> str:
        serious = sum(1 for i in dropped if i < len(findings) and _rank(findings[i]) <= 1)
        return f"+{len(dropped)} more ({serious} high or critical findings)"

    full = tokens.fit([head], blocks, None, more)
    if budget is None or full.tokens <= budget:
        return full.text
    return tokens.fit([head], blocks, budget, more).text


# ---------------------------------------------------------------- the restore drill


@dataclass(frozen=True)
class DrillResult:
    source_instance_id: str
    drill_instance_id: str  # "" when nothing was restored
    region: str
    restored_from: str  # "latest restorable time", "snapshot <id>", or "" (nothing to restore)
    requested_at: str  # ISO 8601 UTC
    recovery_seconds: float | None  # request to available; None when it never became available
    final_status: str
    problems: tuple[str, ...]
    created: bool  # a restore was requested (and not refused)
    deleted: bool  # its deletion was accepted (or nothing was created)

    @property
    def ok(self) -> bool:
        return self.recovery_seconds is not None and not self.problems and self.deleted

    @property
    def checked(self) -> tuple[str, ...]:
        return ("backup.drill-failed",)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    def findings(self, persona: str, stack: str) -> list[Finding]:
        """A failed drill is one `backup.drill-failed` finding (`high`: the backups could not
        be shown to restore in time; `backup.none` is the critical one); a passing one is none.
        The stack is the caller's: a drill names instances, not stacks."""
        if self.ok:
            return []
        why = "; ".join(self.problems) or "the copy was not deleted"
        return [
            Finding(
                kind="backup.drill-failed",
                severity="high",
                stack=stack,
                resource=self.source_instance_id,
                summary=f"restore drill of {self.source_instance_id} failed: {why}",
                evidence=self.to_json(),
                proposed_action="Fix what the drill found and run it again; until it passes, "
                "treat the database as not recoverable.",
                persona=persona,
            )
        ]


class DrillCleanupError(BackupError):
    """The drill's copy could not be deleted; `result` is the drill's result (deleted False)."""

    def __init__(self, result: DrillResult, error: CheckError) -> None:
        super().__init__(
            f"restore drill: copy {result.drill_instance_id} in {result.region} was not deleted "
            f"({error.code}: {error.message}); delete it by hand: aws rds delete-db-instance "
            f"--region {result.region} --db-instance-identifier {result.drill_instance_id} "
            "--skip-final-snapshot --delete-automated-backups"
        )
        self.result = result
        self.error = error


def drill_instance_id(source_instance_id: str, at: datetime.datetime) -> str:
    """`drill-<source>-<yyyymmddhhmmss>` (UTC), within RDS's 63 characters: the source part is
    cut, never the stamp, and no double or trailing hyphen is left."""
    stamp = at.astimezone(datetime.UTC).strftime("%Y%m%d%H%M%S")
    source = re.sub(r"-+", "-", source_instance_id.lower())[: 63 - len("drill--") - len(stamp)]
    return f"drill-{source.strip('-')}-{stamp}"


def default_check(engine: str) -> Callable[[dict[str, Any]], list[str]]:
    """The drill's default check: the copy is available, encrypted, of the source's engine and
    not publicly accessible."""

    def check(description: dict[str, Any]) -> list[str]:
        problems = []
        status = description.get("DBInstanceStatus")
        if status != "available":
            problems.append(f"status is {status}, not available")
        if not description.get("StorageEncrypted"):
            problems.append("the restored copy is not encrypted")
        if engine and description.get("Engine") != engine:
            problems.append(f"engine is {description.get('Engine')}, not {engine}")
        if description.get("PubliclyAccessible"):
            problems.append("the restored copy is publicly accessible")
        return problems

    return check


def _aws(exc: ClientError | BotoCoreError, call: str, region: str) -> BackupError:
    error = _check_error(exc, "rds", call, region)
    return BackupError(f"restore drill: {error.line()}")


def _describe_one(rds: Any, instance_id: str, region: str) -> dict[str, Any] | None:
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
    except ClientError as exc:
        if _code(exc) in _NOT_FOUND:
            return None
        raise _aws(exc, "DescribeDBInstances", region) from exc
    except BotoCoreError as exc:
        raise _aws(exc, "DescribeDBInstances", region) from exc
    return dict(found[0]) if found else None


def _latest_snapshot(rds: Any, instance_id: str, region: str) -> SnapshotInfo | None:
    try:
        snapshots = _snapshots(rds, instance_id)
    except (ClientError, BotoCoreError) as exc:
        raise _aws(exc, "DescribeDBSnapshots", region) from exc
    return next((s for s in snapshots if s.status == "available"), None)


def _delete_drill(
    rds: Any,
    drill_id: str,
    region: str,
    *,
    poll_s: float,
    cleanup_timeout_s: float,
    sleep: Callable[[float], object],
    clock: Callable[[], float],
) -> CheckError | None:
    """Request the copy's deletion; None when accepted (or the copy is gone or going)."""
    deadline = clock() + cleanup_timeout_s
    while True:
        try:
            rds.delete_db_instance(
                DBInstanceIdentifier=drill_id, SkipFinalSnapshot=True, DeleteAutomatedBackups=True
            )
        except ClientError as exc:
            code = _code(exc)
            if code in _NOT_FOUND:
                return None
            if code in _BUSY:
                with_status = _status_or_none(rds, drill_id)
                if with_status in (None, "deleting"):
                    return None
                if clock() < deadline:  # still creating or modifying: RDS refuses until then
                    sleep(poll_s)
                    continue
            return _check_error(exc, "rds", "DeleteDBInstance", region)
        except BotoCoreError as exc:
            return _check_error(exc, "rds", "DeleteDBInstance", region)
        return None


def _status_or_none(rds: Any, instance_id: str) -> str | None:
    try:
        found = rds.describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"]
    except (ClientError, BotoCoreError):
        return "unknown"  # cannot tell: keep trying the delete
    return str(found[0].get("DBInstanceStatus")) if found else None


def restore_drill(
    rds: Any,
    *,
    source_instance_id: str,
    subnet_group: str,
    security_group_ids: Sequence[str] = (),
    instance_class: str | None = None,
    timeout_s: float = 3600,
    poll_s: float = 30,
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    check: Callable[[dict[str, Any]], list[str]] | None = None,
    cleanup_timeout_s: float = 1800,
) -> DrillResult:
    """Restore a temporary copy of `source_instance_id` into `subnet_group`, wait for it (at
    most `timeout_s`, polling every `poll_s`), run `check(description)` on it (default:
    `default_check`), delete it whatever happened, and return what was seen (module
    docstring). `security_group_ids` empty: the VPC's default security group. `instance_class`
    None: the source's class. AWS failures before the copy exists raise `BackupError`; a copy
    that cannot be deleted raises `DrillCleanupError`."""
    if not _IDENTIFIER.match(source_instance_id):
        raise InputError(f"source_instance_id {source_instance_id!r} is not an RDS identifier")
    if not subnet_group:
        raise InputError("subnet_group must name the isolated DB subnet group for the drill")
    if timeout_s <= 0 or poll_s <= 0 or cleanup_timeout_s < 0:
        raise InputError("timeout_s and poll_s must be positive, cleanup_timeout_s not negative")
    region = _region(rds)
    requested = datetime.datetime.now(datetime.UTC)
    drill_id = drill_instance_id(source_instance_id, requested)

    source = _describe_one(rds, source_instance_id, region)
    engine = str(source.get("Engine", "")) if source else ""
    snapshot: SnapshotInfo | None = None
    if source is None or not (
        source.get("BackupRetentionPeriod") and source.get("LatestRestorableTime")
    ):
        snapshot = _latest_snapshot(rds, source_instance_id, region)
        if snapshot is None:
            return DrillResult(
                source_instance_id=source_instance_id,
                drill_instance_id="",
                region=region,
                restored_from="",
                requested_at=iso(requested),
                recovery_seconds=None,
                final_status="",
                problems=(
                    f"{source_instance_id} has no restorable automated backup and no available "
                    "snapshot",
                ),
                created=False,
                deleted=True,
            )
    common: dict[str, Any] = {
        "DBSubnetGroupName": subnet_group,
        "PubliclyAccessible": False,
        "MultiAZ": False,
        "DeletionProtection": False,
        "Tags": [
            {"Key": DRILL_TAG[0], "Value": DRILL_TAG[1]},
            {"Key": "restore-drill-source", "Value": source_instance_id},
        ],
    }
    if security_group_ids:
        common["VpcSecurityGroupIds"] = list(security_group_ids)
    if instance_class:
        common["DBInstanceClass"] = instance_class

    restored_from = f"snapshot {snapshot.snapshot_id}" if snapshot else "latest restorable time"
    created = False
    recovery: float | None = None
    status = ""
    problems: list[str] = []
    started = clock()

    def result(deleted: bool) -> DrillResult:
        return DrillResult(
            source_instance_id=source_instance_id,
            drill_instance_id=drill_id,
            region=region,
            restored_from=restored_from,
            requested_at=iso(requested),
            recovery_seconds=recovery,
            final_status=status,
            problems=tuple(problems),
            created=created,
            deleted=deleted,
        )

    try:
        call = "RestoreDBInstanceFromDBSnapshot" if snapshot else "RestoreDBInstanceToPointInTime"
        try:
            if snapshot is not None:
                response = rds.restore_db_instance_from_db_snapshot(
                    DBSnapshotIdentifier=snapshot.snapshot_id,
                    DBInstanceIdentifier=drill_id,
                    **common,
                )
                engine = engine or str(response["DBInstance"].get("Engine", ""))
            else:
                rds.restore_db_instance_to_point_in_time(
                    SourceDBInstanceIdentifier=source_instance_id,
                    TargetDBInstanceIdentifier=drill_id,
                    UseLatestRestorableTime=True,
                    **common,
                )
            created = True
        except ClientError as exc:  # refused: nothing was created
            raise _aws(exc, call, region) from exc
        except BotoCoreError as exc:  # no answer: it may have been created
            created = True
            raise _aws(exc, call, region) from exc

        deadline = started + timeout_s
        description: dict[str, Any] | None = None
        while True:
            description = _describe_one(rds, drill_id, region)
            status = str(description.get("DBInstanceStatus", "")) if description else "not-found"
            if status == "available":
                recovery = round(clock() - started, 3)
                break
            if status in FAILED_STATES:
                problems.append(f"the restore ended in status {status}")
                break
            remaining = deadline - clock()
            if remaining <= 0:
                problems.append(f"not available after {timeout_s:g} s (status {status})")
                break
            sleep(min(poll_s, remaining))
        if recovery is not None and description is not None:
            problems.extend((check or default_check(engine))(description))
    finally:
        if created:
            failure = _delete_drill(
                rds,
                drill_id,
                region,
                poll_s=poll_s,
                cleanup_timeout_s=cleanup_timeout_s,
                sleep=sleep,
                clock=clock,
            )
            if failure is not None:
                raise DrillCleanupError(result(deleted=False), failure)
    return result(deleted=True)

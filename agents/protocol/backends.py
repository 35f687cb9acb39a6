"""The backends the settings choose, opened in one place: locks and cooldowns, the approval
store with its key, and the findings store. Files under the state folder by default, the DynamoDB
lock table (and a Secrets Manager key) when `lock_backend` is `dynamodb`, the stack's PostgreSQL
when `records_backend` is `postgres`; each backend module imports only what it implements, so
none of them imports another."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from agents.protocol.approvals import (
    ApprovalStore,
    FileKey,
    FileRecords,
    KeySource,
    RecordStore,
    SecretsManagerKey,
)
from agents.protocol.locks import Clock, LockBackend, Sleep

if TYPE_CHECKING:
    from agents.protocol.audit import AuditLog
    from agents.protocol.findings import FindingRecords
    from agents.protocol.settings import AgentSettings


def open_backend(
    settings: AgentSettings, *, clock: Clock = time.time, sleep: Sleep = time.sleep
) -> LockBackend:
    """The lock backend the settings choose: files under `<state_dir>/locks/`, or the DynamoDB
    table `dynamodb_table` (which must exist: see `agents.protocol.locks.dynamodb.ensure_table`)."""
    if settings.lock_backend == "dynamodb":
        # Lazily: boto3 is slow to import and the file backend does not need it.
        from agents.protocol.locks.dynamodb import DynamoDBLockBackend, dynamodb_client  # noqa: PLC0415

        client = dynamodb_client(settings.dynamodb_region, settings.dynamodb_endpoint_url)
        return DynamoDBLockBackend(client, settings.dynamodb_table, clock=clock, sleep=sleep)
    from agents.protocol.locks.file import FileLockBackend  # noqa: PLC0415

    return FileLockBackend(settings.state_dir / "locks", clock=clock, sleep=sleep)


def open_approvals(settings: AgentSettings, audit: AuditLog) -> ApprovalStore:
    """The approval store the settings choose: records in files beside the file lock backend,
    or items of the DynamoDB lock table beside the DynamoDB backend; the key in
    `<state_dir>/approval.key`, or in the Secrets Manager secret `approval_key_secret` (which
    the DynamoDB backend requires: its approvals are shared between machines, so is the key)."""
    key: KeySource
    if settings.approval_key_secret:
        import boto3  # noqa: PLC0415 - slow to import; only this path needs it
        from botocore.config import Config  # noqa: PLC0415

        client = boto3.client(
            "secretsmanager",
            region_name=settings.dynamodb_region,
            config=Config(
                retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=10
            ),
        )
        key = SecretsManagerKey(client, settings.approval_key_secret, audit)
    else:
        key = FileKey(settings.state_dir / "approval.key", audit)
    records: RecordStore
    if settings.lock_backend == "dynamodb":
        from agents.protocol.approvals_dynamodb import DynamoDBRecords  # noqa: PLC0415
        from agents.protocol.locks.dynamodb import dynamodb_client  # noqa: PLC0415

        client = dynamodb_client(settings.dynamodb_region, settings.dynamodb_endpoint_url)
        records = DynamoDBRecords(client, settings.dynamodb_table)
    else:
        records = FileRecords(settings.state_dir / "approvals", audit)
    return ApprovalStore(
        settings.state_dir, audit, settings.approval_ttl_s, records=records, key=key
    )


FINDINGS_FILE = "findings.sqlite"


def open_findings(settings: AgentSettings) -> FindingRecords:
    """The findings store the settings choose, ready to record: `<state_dir>/findings.sqlite`,
    or the stack's PostgreSQL (`records_backend=postgres`; its schema migrated on open)."""
    if settings.records_backend == "postgres":
        from agents.protocol.findings_postgres import PostgresFindingStore  # noqa: PLC0415
        from agents.protocol.postgres import target  # noqa: PLC0415

        return PostgresFindingStore(target(settings))
    from agents.protocol.findings import FindingStore  # noqa: PLC0415

    return FindingStore(settings.state_dir / FINDINGS_FILE)


def read_findings(settings: AgentSettings) -> FindingRecords | None:
    """The findings store opened only to read (the MCP server, `python -m agents findings`), or
    None when no routine has recorded anything yet: reading creates no file and migrates no
    schema, and on PostgreSQL every transaction is read-only."""
    if settings.records_backend == "postgres":
        from agents.protocol.findings_postgres import PostgresFindingStore  # noqa: PLC0415
        from agents.protocol.postgres import target  # noqa: PLC0415

        store = PostgresFindingStore(target(settings), read_only=True)
        if store.version == 0:
            store.close()
            return None
        return store
    from agents.protocol.findings import FindingStore  # noqa: PLC0415

    path = settings.state_dir / FINDINGS_FILE
    # An empty file would be given a schema by FindingStore: a write.
    if not path.exists() or path.stat().st_size == 0:
        return None
    return FindingStore(path)

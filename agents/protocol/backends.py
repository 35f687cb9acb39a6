"""The backends the settings choose, opened in one place: locks and cooldowns, and the approval
store with its key. Files under the state folder by default, the DynamoDB lock table (and a
Secrets Manager key) when `lock_backend` is `dynamodb`; each backend module imports only what it
implements, so none of them imports another."""

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

"""Fixtures of the lock tests: each backend over fresh storage (files in a temporary folder, or
DynamoDB on moto), a fake clock, and a local DynamoDB server shared by processes."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from moto import mock_aws

from agents.protocol.locks.base import PollingBackend
from agents.protocol.locks.dynamodb import DynamoDBLockBackend, dynamodb_client, ensure_table
from agents.protocol.locks.file import FileLockBackend
from agents.protocol.locks.localdb import LocalDynamoDB
from tests.agents.protocol.locks.support import AWS_ENV, REGION, FakeClock, SerialClient

MakeBackend = Callable[..., PollingBackend]


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dummy credentials (inherited by spawned processes); never a real account."""
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(params=["file", "dynamodb"])
def make_backend(request: pytest.FixtureRequest, tmp_path, aws_env) -> Iterator[MakeBackend]:
    """Builds a backend instance over the test's storage; each call is a fresh instance (a new
    process, as far as the backend can tell)."""
    if request.param == "file":

        def make_file(clock=time.time, sleep=time.sleep, **kwargs) -> PollingBackend:
            return FileLockBackend(tmp_path / "locks", clock=clock, sleep=sleep, **kwargs)

        yield make_file
        return
    with mock_aws():
        table = "agent-locks"
        ensure_table(dynamodb_client(REGION), table)
        lock, mocked = threading.Lock(), threading.Event()
        mocked.set()

        def make_dynamodb(clock=time.time, sleep=time.sleep, **kwargs) -> PollingBackend:
            client = SerialClient(dynamodb_client(REGION), lock, mocked)
            return DynamoDBLockBackend(client, table, clock=clock, sleep=sleep, **kwargs)

        try:
            yield make_dynamodb
        finally:
            mocked.clear()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(scope="session")
def local_dynamodb() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB() as db:
        yield db


@pytest.fixture
def shared_store(request: pytest.FixtureRequest, tmp_path, aws_env) -> dict[str, Any]:
    """Where processes meet: a folder (file backend) or a fresh table on the local DynamoDB.
    Parametrised indirectly with the backend name."""
    if request.param == "file":
        return {"backend": "file", "locks_dir": str(tmp_path / "locks")}
    db = request.getfixturevalue("local_dynamodb")
    table = f"locks-{uuid.uuid4().hex[:8]}"
    ensure_table(dynamodb_client(REGION, db.endpoint_url), table)
    return {"backend": "dynamodb", "endpoint": db.endpoint_url, "table": table}

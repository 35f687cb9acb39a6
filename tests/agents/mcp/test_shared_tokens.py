"""The shared MCP token store (issue 22): token hashes in the DynamoDB lock table's `mcp-tokens`
partition, so `mcp-token create|rotate|revoke` on an operator's machine reach a running server
without a restart; conditional writes, so two operators rotating at once lose nothing; fail
closed (503 with the reason) when the store is damaged or cannot be reached.

Against moto's DynamoDB server on 127.0.0.1 (`agents.protocol.locks.localdb`), so the operator's
commands and the server can be separate processes, as they are in production."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import uvicorn

from agents import InputError
from agents.cli.main import main
from agents.mcp.server import build_server, http_app
from agents.mcp.tokens import (
    DYNAMODB_PARTITION,
    BearerTokenVerifier,
    DynamoDBTokens,
    StoreGate,
    TokenError,
    TokenFile,
    TokenStoreDamaged,
    TokenStoreError,
    TokenStoreUnreachable,
    open_token_source,
    token_store_kind,
)
from agents.protocol.audit import AuditLog
from agents.protocol.locks.dynamodb import dynamodb_client, ensure_table
from agents.protocol.locks.localdb import LocalDynamoDB
from agents.protocol.settings import AgentSettings
from tests.agents.protocol.locks.support import AWS_ENV, REGION, FakeClock, wait_until

ROOT = Path(__file__).resolve().parents[3]
REFRESH_S = 1.0  # the cache window the cross-process tests run with (the default is 5 s)
SLACK_S = 4.0  # a loaded CI machine: a read, a subprocess's exit, a request


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    for key in list(os.environ):
        if key.startswith("AGENTS_"):
            monkeypatch.delenv(key)


@pytest.fixture(scope="module")
def db() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB() as local:
        yield local


@pytest.fixture
def table(db: LocalDynamoDB) -> str:
    """A fresh lock table (as `init-lock-table` makes it) for each test."""
    name = f"locks-{uuid.uuid4().hex[:8]}"
    ensure_table(dynamodb_client(REGION, db.endpoint_url), name)
    return name


def env_of(tmp_path: Path, db: LocalDynamoDB, table: str, who: str) -> dict[str, str]:
    """The environment of a process using the shared store (each with its own state folder:
    the operator's machine is not the server's)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTS_")}
    env.update(AWS_ENV)
    env.update(
        {
            "AGENTS_STATE_DIR": str(tmp_path / who),
            "AGENTS_MCP_TOKEN_STORE": "dynamodb",
            "AGENTS_DYNAMODB_TABLE": table,
            "AGENTS_DYNAMODB_REGION": REGION,
            "AGENTS_DYNAMODB_ENDPOINT_URL": db.endpoint_url,
            "AGENTS_MCP_TOKEN_REFRESH_S": str(REFRESH_S),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def settings_of(tmp_path: Path, db: LocalDynamoDB, table: str, **extra: Any) -> AgentSettings:
    return AgentSettings(
        state_dir=tmp_path / "state",
        mcp_token_store="dynamodb",
        dynamodb_table=table,
        dynamodb_endpoint_url=db.endpoint_url,
        **extra,
    )


def store_of(
    tmp_path: Path, db: LocalDynamoDB, table: str, clock: Any = time.time
) -> DynamoDBTokens:
    source = open_token_source(settings_of(tmp_path, db, table), clock=clock)
    assert isinstance(source, DynamoDBTokens)
    return source


def agents(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    """`python -m agents ARGV` in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "agents", *argv],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def items(db: LocalDynamoDB, table: str) -> list[dict[str, Any]]:
    client = dynamodb_client(REGION, db.endpoint_url)
    found: list[dict[str, Any]] = client.scan(TableName=table)["Items"]
    return found


def post(url: str, token: str | None) -> httpx2.Response:
    headers = {"Accept": "application/json, text/event-stream"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    return httpx2.post(url, json=body, headers=headers, timeout=30)


def status_within(url: str, token: str, expected: int, window_s: float) -> float:
    """Seconds until `token` gets `expected`; fails if that takes longer than `window_s`."""
    started = time.monotonic()
    wait_until(lambda: post(url, token).status_code == expected, f"HTTP {expected}", window_s)
    return time.monotonic() - started


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def mcp_process(env: dict[str, str], log: Path) -> Iterator[str]:
    """`python -m agents mcp --transport http` in a process of its own; yields its URL."""
    port = free_port()
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "agents", "mcp", "--transport", "http", "--port", str(port)],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    url = f"http://127.0.0.1:{port}/mcp"

    def up() -> bool:
        assert proc.poll() is None, f"the MCP server exited: {log.read_text()}"
        try:
            post(url, None)
        except httpx2.TransportError:
            return False
        return True

    try:
        wait_until(up, "the MCP server to listen", 60)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    """An ASGI app on a free loopback port in a thread (as `serving.served_over_http`, for an
    app wrapped in `StoreGate` as `serve` wraps it)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: runner.started, "the HTTP server to start", 10)
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        runner.should_exit = True
        thread.join(10)
        sock.close()


def gated_server(settings: AgentSettings, source: Any, clock: Any = time.time) -> Any:
    verifier = BearerTokenVerifier(source, clock=clock, audit=AuditLog(settings.audit_log))
    app = http_app(build_server(settings, tokens=verifier), "127.0.0.1")
    return StoreGate(app, verifier)


# -- across processes ------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_token_from_another_process_reaches_a_running_server_without_restart(tmp_path, db, table):
    server_env = env_of(tmp_path, db, table, "server")
    operator = env_of(tmp_path, db, table, "operator")
    with mcp_process(server_env, tmp_path / "server.log") as url:
        made = agents(operator, "mcp-token", "create", "--name", "laptop-ide")
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()
        token_id = token.split("_")[1]
        assert status_within(url, token, 200, REFRESH_S + SLACK_S) <= REFRESH_S + SLACK_S

        rotated = agents(operator, "mcp-token", "rotate", token_id, "--grace", "0")
        assert rotated.returncode == 0, rotated.stderr
        new = rotated.stdout.strip()
        status_within(url, new, 200, REFRESH_S + SLACK_S)
        status_within(url, token, 401, REFRESH_S + SLACK_S)  # grace 0: out at once

        revoked = agents(operator, "mcp-token", "revoke", new.split("_")[1])
        assert revoked.returncode == 0 and f"within {REFRESH_S:g} s" in revoked.stdout
        # Refused within the cache window (plus a request and the subprocess's exit).
        assert status_within(url, new, 401, REFRESH_S + SLACK_S) <= REFRESH_S + SLACK_S

        listed = agents(operator, "mcp-token", "list", "--json")
        assert listed.returncode == 0, listed.stderr
        assert [r["status"] for r in json.loads(listed.stdout)] == [
            "rotated (grace over)",
            "revoked",
        ]
    # The operator's machine audited its changes, by id, never the token.
    audit = AuditLog(tmp_path / "operator" / "audit.jsonl")
    events = [r["event"] for r in audit.query({}) if r["event"].startswith("mcp.token-")]
    assert events == ["mcp.token-created", "mcp.token-rotated", "mcp.token-revoked"]
    assert audit.query({"event": "mcp.token-created"})[0]["store"] == (
        f"dynamodb:{table}/{DYNAMODB_PARTITION}"
    )
    text = (tmp_path / "operator" / "audit.jsonl").read_text()
    for issued in (token, new):
        assert issued.split("_", 2)[2] not in text
        assert issued.split("_", 2)[2] not in json.dumps(items(db, table))


@pytest.mark.slow
def test_concurrent_rotations_from_several_processes_lose_none(tmp_path, db, table):
    operator = env_of(tmp_path, db, table, "operator")
    store = store_of(tmp_path, db, table)
    ids = [store.create(f"client-{i}").id for i in range(4)]
    # Two operators rotate each token at once: eight processes, two per token.
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "agents", "mcp-token", "rotate", token_id],
            env=operator,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for token_id in ids
        for _ in range(2)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        results.append((proc.returncode, out, err))
    records = {r.id: r for r in store.read().values()}
    for index, token_id in enumerate(ids):
        pair = results[2 * index : 2 * index + 2]
        assert sorted(code for code, _, _ in pair) == [0, 2], pair
        (_, out, _), (_, _, err) = sorted(pair, key=lambda r: r[0])
        winner = out.strip().split("_")[1]
        assert "is rotated: only an active token can be rotated" in err
        assert len(err.strip().splitlines()) == 1
        assert records[token_id].status == "rotated"
        assert records[token_id].replaced_by == winner
        assert records[winner].rotated_from == token_id and records[winner].status == "active"
    # Nothing lost, nothing orphaned: the four old tokens and exactly one successor each.
    assert len(records) == 8


class RaceOnFirstWrite:
    """A client that, before its first transaction, lets `race` run to its end: another operator
    who read the same store and wrote first."""

    def __init__(self, client: Any, race: Any) -> None:
        self._client, self._race = client, race

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def transact_write_items(self, **kwargs: Any) -> Any:
        race, self._race = self._race, None
        if race is not None:
            race()
        return self._client.transact_write_items(**kwargs)


@pytest.mark.slow
def test_two_rotations_at_once_neither_lost_whichever_token_they_touch(tmp_path, db, table):
    b = store_of(tmp_path, db, table)
    one, two = b.create("one").id, b.create("two").id
    rotated_by_b: list[str] = []

    # Different tokens: A read both, B rotates `two` before A writes `one`. Both stand.
    a = store_of(tmp_path, db, table)
    a.client = RaceOnFirstWrite(a.client, lambda: rotated_by_b.append(b.rotate(two).id))
    new_one = a.rotate(one).id
    records = b.read()
    assert records[one].replaced_by == new_one and records[two].replaced_by == rotated_by_b[0]
    assert records[new_one].status == records[rotated_by_b[0]].status == "active"

    # The same token: B rotates `new_one` between A's read and A's write. A's condition fails,
    # A reads again, and is told; no successor of A's is written.
    a = store_of(tmp_path, db, table)
    a.client = RaceOnFirstWrite(a.client, lambda: rotated_by_b.append(b.rotate(new_one).id))
    with pytest.raises(TokenError, match=f"token {new_one} is rotated"):
        a.rotate(new_one)
    records = b.read()
    assert records[new_one].replaced_by == rotated_by_b[1]
    assert [r.id for r in records.values() if r.rotated_from == new_one] == [rotated_by_b[1]]
    assert len(records) == 5

    # A revocation that loses a race to a rotation revokes what is there now (the retired
    # token), and the rotation is kept.
    a = store_of(tmp_path, db, table)
    third = rotated_by_b[1]
    a.client = RaceOnFirstWrite(a.client, lambda: rotated_by_b.append(b.rotate(third).id))
    assert a.revoke(third).status == "revoked"
    records = b.read()
    assert records[third].status == "revoked" and records[third].replaced_by == rotated_by_b[2]
    assert records[rotated_by_b[2]].status == "active"


# -- the cache window ------------------------------------------------------------------------------
def test_a_revoked_token_is_refused_within_the_cache_window_and_not_before_it_is_read(
    tmp_path, db, table
):
    clock = FakeClock()
    server_side = DynamoDBTokens(
        dynamodb_client(REGION, db.endpoint_url), table, refresh_s=5, clock=clock
    )
    operator = store_of(tmp_path, db, table, clock=clock)
    verifier = BearerTokenVerifier(server_side, clock=clock)
    assert verifier.records() == {}  # the server reads the store in this window: empty
    token_id, token = operator.create("ide")
    assert verifier.check(token).why == "unknown"  # read in this window, before the create
    clock.advance(5)
    assert verifier.check(token).why == "ok"  # the next window reads again: no restart
    operator.revoke(token_id)
    clock.advance(4.9)
    assert verifier.check(token).why == "ok"  # cached: one Query per window, not per request
    clock.advance(0.1)
    assert verifier.check(token).why == "revoked"  # at most one window after the revoke


# -- fail closed -----------------------------------------------------------------------------------
DAMAGE = {
    "record is not JSON": lambda item: item | {"record": {"S": "{not json"}},
    # nested past the decoder's depth, within the record's 4096 characters: RecursionError
    "record nested too deep": lambda item: item | {"record": {"S": "[" * 2000 + "]" * 2000}},
    "a hash that is not hex": lambda item: (
        item | {"record": {"S": item["record"]["S"].replace('"hash":"', '"hash":"zz', 1)}}
    ),
    "an unknown attribute": lambda item: item | {"admin": {"BOOL": True}},
    "no revision": lambda item: {k: v for k, v in item.items() if k != "rev"},
    "another token's key": lambda item: item | {"sk": {"S": "token#0123456789ab"}},
    "a foreign item in the partition": lambda item: item | {"sk": {"S": "config"}},
    "scopes not a list": lambda item: (
        item
        | {"record": {"S": item["record"]["S"].replace('"scopes":["read"]', '"scopes":"read"', 1)}}
    ),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_item_is_refused_by_the_server_and_the_commands(
    damage, tmp_path, db, table, *, monkeypatch, capsys
):
    settings = settings_of(tmp_path, db, table, mcp_token_refresh_s=0.2)
    store = store_of(tmp_path, db, table)
    _, good = store.create("steady")
    victim_id, _ = store.create("victim")
    client = dynamodb_client(REGION, db.endpoint_url)
    key = {"pk": {"S": DYNAMODB_PARTITION}, "sk": {"S": f"token#{victim_id}"}}
    item = client.get_item(TableName=table, Key=key)["Item"]
    with served(gated_server(settings, open_token_source(settings))) as url:
        assert post(url, good).status_code == 200
        if damage in ("another token's key", "a foreign item in the partition"):
            client.delete_item(TableName=table, Key=key)
        client.put_item(TableName=table, Item=DAMAGE[damage](item))
        time.sleep(0.3)  # the next window
        refused = post(url, good)
        assert refused.status_code == 503  # not the last good set: every token is refused
        assert refused.json()["reason"] == "damaged" and refused.headers["retry-after"] == "1"
        assert table not in refused.text  # the reason, not the store's name
    with pytest.raises(TokenStoreDamaged, match="is not an MCP token record"):
        store.read()
    for key_, value in {
        "AGENTS_STATE_DIR": str(tmp_path / "operator"),
        "AGENTS_MCP_TOKEN_STORE": "dynamodb",
        "AGENTS_DYNAMODB_TABLE": table,
        "AGENTS_DYNAMODB_ENDPOINT_URL": db.endpoint_url,
    }.items():
        monkeypatch.setenv(key_, value)
    before = items(db, table)
    for argv in (["list"], ["create", "--name", "x"], ["revoke", victim_id]):
        assert main(["mcp-token", *argv]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1 and "not an MCP token record" in err
        assert "delete-item" in err  # how to get out of it
    assert items(db, table) == before  # a damaged store is never written to


@pytest.mark.slow
def test_an_unreachable_store_refuses_every_request_until_it_is_back(tmp_path, db, caplog):
    port = free_port()
    with LocalDynamoDB(port) as outage_db:
        name = "locks-outage"
        ensure_table(dynamodb_client(REGION, outage_db.endpoint_url), name)
        settings = settings_of(tmp_path, outage_db, name, mcp_token_refresh_s=0.2)
        _, token = store_of(tmp_path, outage_db, name).create("steady")
        with served(gated_server(settings, open_token_source(settings))) as url:
            assert post(url, token).status_code == 200
            outage_db.stop()  # DynamoDB gone: never the cached set, never an open door
            time.sleep(0.3)
            refused = post(url, token)
            assert refused.status_code == 503 and refused.json()["reason"] == "unreachable"
            assert post(url, None).status_code == 503 and post(url, "bat_x").status_code == 503
            assert "cannot be reached" in caplog.text
            with LocalDynamoDB(port):  # back, but empty: no table
                time.sleep(0.3)
                assert post(url, token).json()["reason"] == "unreachable"
                assert "does not exist" in caplog.text and "init-lock-table" in caplog.text
    with pytest.raises(TokenStoreUnreachable, match="cannot be reached"):
        store_of(tmp_path, outage_db, name).create("x")


def test_the_command_against_an_unreachable_store_is_one_line_and_exit_1(tmp_path, db):
    env = env_of(tmp_path, db, "locks-x", "operator")
    env["AGENTS_DYNAMODB_ENDPOINT_URL"] = f"http://127.0.0.1:{free_port()}"
    done = agents(env, "mcp-token", "create", "--name", "x")
    assert done.returncode == 1 and done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot be reached" in done.stderr


# -- the store itself ------------------------------------------------------------------------------
def test_only_salted_hashes_are_stored_with_a_revision_and_a_ttl(tmp_path, db, table):
    store = store_of(tmp_path, db, table)
    token_id, token = store.create("ide", ttl_days=7)
    (item,) = items(db, table)
    assert set(item) == {"pk", "sk", "record", "rev", "expires_epoch"}
    assert item["sk"]["S"] == f"token#{token_id}" and item["rev"]["N"] == "1"
    record = json.loads(item["record"]["S"])
    assert len(record["salt"]) == 32 and len(record["hash"]) == 64
    assert token.split("_", 2)[2] not in json.dumps(item)
    assert int(item["expires_epoch"]["N"]) >= record["expires_at"] + 30 * 86_400
    store.revoke(token_id)
    assert items(db, table)[0]["rev"]["N"] == "2"
    assert store.revoke(token_id).status == "revoked"  # again: nothing to do
    assert items(db, table)[0]["rev"]["N"] == "2"


def test_a_change_that_cannot_be_audited_is_undone(tmp_path, db, table):
    class BrokenAudit:
        def append(self, *args: Any, **kwargs: Any) -> None:
            raise OSError(28, "No space left on device")

    store = store_of(tmp_path, db, table)
    token_id, _ = store.create("kept")
    store.audit = BrokenAudit()  # type: ignore[assignment]
    for change in (lambda: store.create("x"), lambda: store.rotate(token_id)):
        with pytest.raises(TokenStoreError, match=r"No space left.*nothing changed"):
            change()
    with pytest.raises(TokenStoreError, match="nothing changed"):
        store.revoke(token_id)
    (record,) = store.read().values()
    assert record.id == token_id and record.status == "active"


def test_the_store_is_chosen_by_settings_and_conflicts_are_refused(tmp_path, monkeypatch):
    state = tmp_path / "state"
    assert token_store_kind(AgentSettings(state_dir=state)) == "file"
    assert isinstance(open_token_source(AgentSettings(state_dir=state)), TokenFile)
    with_secret = AgentSettings(state_dir=state, mcp_tokens_secret="mcp-tokens")
    assert token_store_kind(with_secret) == "secretsmanager"
    with pytest.raises(InputError, match="unset one of them"):
        token_store_kind(
            AgentSettings(state_dir=state, mcp_token_store="dynamodb", mcp_tokens_secret="s")
        )
    with pytest.raises(InputError, match="needs AGENTS_MCP_TOKENS_SECRET"):
        token_store_kind(AgentSettings(state_dir=state, mcp_token_store="secretsmanager"))
    monkeypatch.setenv("AGENTS_STATE_DIR", str(state))
    monkeypatch.setenv("AGENTS_MCP_TOKEN_STORE", "postgres")
    assert main(["mcp-token", "list"]) == 2

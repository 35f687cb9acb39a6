"""The in-cluster MCP server (components/mcp.py) as its pod runs it: the command line and the
environment the component writes (the downward API's annotation resolved as the kubelet resolves
it), on the shared stores (moto's DynamoDB and Secrets Manager on 127.0.0.1), with a token made by
an operator's process. `/healthz` answers the kubelet's probes without a token and in front of the
token store's gate, so an unreadable store (503 for every MCP request) does not get the pod
restarted; the Host check accepts port-forward's `localhost` and the Service's names, nothing
else. With the stack's records, `findings` and `search-memory` answer from PostgreSQL what a
persona wrote, read as the server's own read-only user that the migration Job's command makes."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import psycopg
import pytest
import uvicorn

from agents.mcp.server import HealthRoute
from agents.protocol.backends import open_findings
from agents.protocol.findings import Finding
from agents.protocol.locks.dynamodb import dynamodb_client, ensure_table
from agents.protocol.locks.localdb import LocalDynamoDB
from agents.protocol.settings import AgentSettings
from agents.skills.memory_postgres import open_memory
from components.mcp import NAME, McpArgs, McpDatabase, McpRecords, mcp_env, pod_spec
from components.records import MCP_DB_USER
from components.workloads import ResolvedRecords, WorkloadsArgs, migration_job_spec
from tests.agents.mcp.test_shared_tokens import agents, free_port
from tests.agents.protocol.locks.support import AWS_ENV, REGION, wait_until
from tests.postgres_server import PASSWORD, SUPERUSER

ROOT = Path(__file__).resolve().parents[3]
ACCEPT = "application/json, text/event-stream"


@pytest.fixture(autouse=True)
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)


@pytest.fixture(scope="module")
def db() -> Iterator[LocalDynamoDB]:
    with LocalDynamoDB() as local:
        yield local


def pod_env(args: McpArgs, database: McpDatabase | None = None) -> dict[str, str]:
    """The container's environment as the kubelet makes it from the component's spec (plain
    values only: no secret, no reference)."""
    items = mcp_env(args, database)
    assert all(set(item) == {"name", "value"} for item in items), items
    return {item["name"]: item["value"] for item in items}


def base_env(tmp_path: Path, db: LocalDynamoDB, who: str) -> dict[str, str]:
    """This machine's environment without AGENTS_*, pointed at moto for every AWS service."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTS_")}
    env.update(AWS_ENV)
    env.update(
        {
            "AWS_ENDPOINT_URL": db.endpoint_url,  # Secrets Manager (the approval key) too
            "AGENTS_DYNAMODB_ENDPOINT_URL": db.endpoint_url,
            "AGENTS_STATE_DIR": str(tmp_path / who),
            "PYTHONPATH": str(ROOT),
        }
    )
    return env


def rpc(url: str, token: str | None, method: str, params: dict[str, Any], host: str | None = None
        ) -> httpx2.Response:  # fmt: skip
    headers = {"Accept": ACCEPT}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if host is not None:
        headers["Host"] = host
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    return httpx2.post(url, json=body, headers=headers, timeout=60)


def result_of(response: httpx2.Response) -> dict[str, Any]:
    """The JSON-RPC result of an SSE answer (its last `data:` line)."""
    data = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
    answer: dict[str, Any] = json.loads(data[-1])
    return answer["result"]


@contextlib.contextmanager
def pod_process(args: McpArgs, env: dict[str, str], log: Path) -> Iterator[str]:
    """The container's command and arguments, as the component writes them."""
    (container,) = pod_spec(args, NAME)["containers"]
    argv = container["command"] + container["args"]
    assert argv[:3] == ["python", "-m", "agents"]
    with log.open("w") as err:
        proc = subprocess.Popen(
            [sys.executable, *argv[1:]], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err
        )
    base = f"http://127.0.0.1:{args.port}"

    def up() -> bool:
        assert proc.poll() is None, f"the MCP server exited: {log.read_text()}"
        try:
            httpx2.get(f"{base}/healthz", timeout=5)
        except httpx2.TransportError:
            return False
        return True

    try:
        wait_until(up, "the MCP server to listen", 60)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_the_pod_serves_the_shared_stores_and_answers_its_probes(tmp_path, db):
    table = f"locks-{uuid.uuid4().hex[:8]}"
    client = dynamodb_client(REGION, db.endpoint_url)
    ensure_table(client, table)
    args = McpArgs(
        stack="dev", region=REGION, account_id="123456789012", image="r/agents:1",
        oidc_provider_arn="arn", oidc_provider_url="oidc", port=free_port(), lock_table=table,
    )  # fmt: skip
    server_env = {**base_env(tmp_path, db, "server"), **pod_env(args)}
    server_env["AGENTS_STATE_DIR"] = str(tmp_path / "server")  # the pod's emptyDir
    operator = base_env(tmp_path, db, "operator")
    operator.update(
        {
            k: server_env[k]
            for k in (
                "AGENTS_MCP_TOKEN_STORE",
                "AGENTS_LOCK_BACKEND",
                "AGENTS_DYNAMODB_TABLE",
                "AGENTS_DYNAMODB_REGION",
                "AGENTS_APPROVAL_KEY_SECRET",
            )
        }
    )
    assert server_env["AGENTS_MCP_TOKEN_STORE"] == "dynamodb"
    made = agents(operator, "init-approval-key")
    assert made.returncode == 0, made.stderr
    made = agents(operator, "mcp-token", "create", "--name", "laptop-ide")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()

    with pod_process(args, server_env, tmp_path / "server.log") as base:
        url = f"{base}/mcp"
        # The kubelet's probe: no token, the pod's IP as Host.
        probe = httpx2.get(f"{base}/healthz", headers={"Host": f"10.0.3.7:{args.port}"})
        assert (probe.status_code, probe.text) == (200, "ok\n")
        assert rpc(url, None, "tools/list", {}).status_code == 401
        # `kubectl port-forward` to any local port, and the Service's names, are accepted.
        for host in (
            "localhost:9999",
            f"{NAME}.{NAME}.svc.cluster.local:{args.port}",
            f"{NAME}.{NAME}:{args.port}",
        ):
            answer = rpc(url, token, "tools/list", {}, host=host)
            assert answer.status_code == 200, (host, answer.text)
        names = {t["name"] for t in result_of(answer)["tools"]}
        assert {"status", "findings", "analyze-logs"} <= names
        assert rpc(url, token, "tools/list", {}, host="evil.example:80").status_code != 200
        # `status` reads the shared table and verifies approvals with the shared key.
        answer = rpc(url, token, "tools/call", {"name": "status", "arguments": {}})
        assert answer.status_code == 200, answer.text
        text = result_of(answer)["content"][0]["text"]
        assert "status: 0 damaged, 0 pending approval(s)" in text, text

        # A damaged token store: every MCP request is refused with 503, the probes still pass.
        client.put_item(
            TableName=table,
            Item={"pk": {"S": "mcp-tokens"}, "sk": {"S": "token#0123456789ab"}, "x": {"S": "?"}},
        )
        wait_until(lambda: rpc(url, token, "tools/list", {}).status_code == 503, "503", 15)
        assert httpx2.get(f"{base}/healthz").status_code == 200


@pytest.mark.slow
def test_the_pod_answers_findings_and_memory_a_persona_wrote_on_postgres(
    tmp_path, db, postgres_server
):
    """The records migration as its Job runs it (its command line, as the master), a persona's
    finding and memory entry written as the persona, then the server as its pod runs it, with the
    component's environment: `findings` and `search-memory` over HTTP answer them, read as
    `agent_mcp_reader`. Here the logins use passwords (the test server has no `rds_iam`); the
    component's environment says IAM, and no password, for the pod."""
    table = f"locks-{uuid.uuid4().hex[:8]}"
    ensure_table(dynamodb_client(REGION, db.endpoint_url), table)
    database = f"agents_{uuid.uuid4().hex[:8]}"
    server = postgres_server
    pg = {
        "AGENTS_PG_HOST": "127.0.0.1",
        "AGENTS_PG_PORT": str(server.port),
        "AGENTS_PG_DATABASE": database,
        "AGENTS_PG_SSLROOTCERT": str(server.ca),
        "AGENTS_PG_AUTH": "password",
    }
    records = ResolvedRecords(
        pg_host="127.0.0.1",
        pg_port=server.port,
        audit_log_group="/baseline/dev/agents/audit",
        master_secret_arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-aBcDeF",
        migration_namespace="agents-records",
        migration_service_account="records-migrate",
        pg_database=database,
        readers=(MCP_DB_USER,),
    )
    job = migration_job_spec(
        WorkloadsArgs(stack="dev", region=REGION, image="r/agents:1"),
        records,
        ["agent_release_engineer"],
    )
    (migrate,) = job["template"]["spec"]["containers"]
    master = {
        **base_env(tmp_path, db, "migrate"),
        **pg,
        "AGENTS_PG_USER": SUPERUSER,
        "AGENTS_PG_PASSWORD": PASSWORD,
    }
    made = agents(master, *migrate["args"])
    assert made.returncode == 0, made.stderr
    with psycopg.connect(**server.conninfo(), autocommit=True) as conn:
        for user in ("agent_release_engineer", MCP_DB_USER):
            conn.execute(f"ALTER ROLE {user} PASSWORD 'role-test-only'")
    persona = AgentSettings(
        state_dir=tmp_path / "persona",
        records_backend="postgres",
        pg_host="127.0.0.1",
        pg_port=server.port,
        pg_database=database,
        pg_user="agent_release_engineer",
        pg_auth="password",
        pg_password="role-test-only",  # type: ignore[arg-type]  # pydantic makes it a SecretStr
        pg_sslrootcert=server.ca,
    )
    summary = f"drift on the cluster's node group {uuid.uuid4().hex[:6]}"
    with open_findings(persona) as store:
        store.observe(
            "release-engineer", "dev", [], [Finding("drift.detected", "high", "dev", "ng", summary)]
        )
    with open_memory(persona) as memory:
        memory.add(
            "decision",
            "the node group's drift is repaired under review, never by hand",
            source="decision-17",
            time="2026-11-01T10:00:00+00:00",
            stack="dev",
        )

    args = McpArgs(
        stack="dev", region=REGION, account_id="123456789012", image="r/agents:1",
        oidc_provider_arn="arn", oidc_provider_url="oidc", port=free_port(), lock_table=table,
        records=McpRecords("127.0.0.1", server.port, "db-X", pg_database=database),
    )  # fmt: skip
    spec_env = pod_env(args, McpDatabase("127.0.0.1", server.port, database))
    assert (spec_env["AGENTS_PG_USER"], spec_env["AGENTS_PG_AUTH"]) == (MCP_DB_USER, "iam")
    assert not [k for k in spec_env if "PASSWORD" in k]
    server_env = {
        **base_env(tmp_path, db, "server"),
        **spec_env,
        # This machine's stand-ins for IAM authentication and the image's RDS CA bundle.
        "AGENTS_PG_AUTH": "password",
        "AGENTS_PG_PASSWORD": "role-test-only",
        "AGENTS_PG_SSLROOTCERT": str(server.ca),
    }
    operator = base_env(tmp_path, db, "operator")
    operator.update(
        {
            k: server_env[k]
            for k in ("AGENTS_MCP_TOKEN_STORE", "AGENTS_DYNAMODB_TABLE", "AGENTS_DYNAMODB_REGION")
        }
    )
    made = agents(operator, "mcp-token", "create", "--name", "laptop-ide")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()

    with pod_process(args, server_env, tmp_path / "server.log") as base:
        url = f"{base}/mcp"
        answer = rpc(url, token, "tools/call", {"name": "findings", "arguments": {}})
        assert answer.status_code == 200, answer.text
        result = result_of(answer)
        assert not result.get("isError"), result
        text = result["content"][0]["text"]
        assert "open findings: 1" in text and summary in text, text
        answer = rpc(
            url,
            token,
            "tools/call",
            {"name": "search-memory", "arguments": {"query": "node group drift repaired"}},
        )
        assert answer.status_code == 200, answer.text
        result = result_of(answer)
        assert not result.get("isError"), result
        assert "repaired under review" in result["content"][0]["text"], result
    # Read, not written: the one finding, seen once.
    with psycopg.connect(**server.conninfo(database), autocommit=True) as conn:
        assert conn.execute("SELECT count(*), max(count) FROM findings").fetchone() == (1, 1)


@contextlib.contextmanager
def served(app: Any) -> Iterator[str]:
    port = free_port()
    runner = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: runner.started, "the HTTP server to start", 10)
        yield f"http://127.0.0.1:{port}"
    finally:
        runner.should_exit = True
        thread.join(10)


def test_healthz_is_answered_in_front_of_the_app_and_nothing_else_is():
    seen: list[str] = []

    async def refusing(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 503, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    with served(HealthRoute(refusing)) as base:
        got = httpx2.get(f"{base}/healthz")
        assert (got.status_code, got.text) == (200, "ok\n")
        assert got.headers["cache-control"] == "no-store"
        head = httpx2.head(f"{base}/healthz")
        assert head.status_code == 200 and head.content == b""
        post = httpx2.post(f"{base}/healthz")
        assert post.status_code == 405 and post.headers["allow"] == "GET, HEAD"
        assert seen == []
        for path in ("/mcp", "/healthz/x", "/healthzz"):
            assert httpx2.get(f"{base}{path}").status_code == 503, path
        assert seen == ["/mcp", "/healthz/x", "/healthzz"]

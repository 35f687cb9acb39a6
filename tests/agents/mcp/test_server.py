"""The MCP server: every tool is a read-only skill (or `status`/`findings`), answers within its
budget, fails as one line without crashing, and is audited with the token's id; over HTTP only a
live token with the `read` scope gets in. And the token store: hashed, 0600, atomic, fail closed."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp_types import TextContent

from agents import AgentsError, InputError
from agents.mcp.server import (
    FORBIDDEN_TOOLS,
    add_mcp_commands,
    build_server,
    check_bind,
    serve,
)
from agents.mcp.tokens import (
    BearerTokenVerifier,
    SecretsManagerTokens,
    TokenError,
    TokenFile,
    TokenStoreError,
    open_token_source,
)
from agents.protocol.audit import AuditLog
from agents.protocol.findings import Finding, FindingStore
from agents.protocol.settings import AgentSettings
from agents.runtime.status import status_data
from agents.skills import tokens
from agents.skills.registry import DATA_NOTICE, SKILLS, SkillContext
from tests.agents.mcp.serving import served_over_http
from tests.agents.protocol.locks.support import AWS_ENV
from tests.agents.runtime.test_runner import FakeGateway

ROOT = Path(__file__).resolve().parents[3]
LOG_TEXT = "\n".join(
    f"2026-11-29T10:00:{i:02d}Z ERROR db timeout after {i}ms host=10.0.0.{i}" for i in range(20)
)
# Arguments for every tool; a skill added to the registry later is called with {} (it must
# then answer or refuse in one line, never crash).
ARGUMENTS: dict[str, dict[str, Any]] = {
    "plan": {"stack": "dev"},
    "policy-gate": {"stack": "dev"},
    "cost-estimate": {"stack": "dev"},
    "summarize-infra": {"stack": "dev"},
    "drift-check": {"stack": "dev"},
    "stack-history": {"stack": "dev", "limit": 2},
    "stack-lock": {"stack": "dev"},
    "audit-log": {"limit": 20},
    "search-memory": {"query": "nat gateway"},
    "analyze-logs": {"text": LOG_TEXT},
    "status": {},
    "findings": {},
}
# IAM verbs that only read: every registry skill's permissions must be among them.
READ_ACTION = re.compile(
    r"^[a-z0-9-]+:(Get|List|Describe|Query|Scan|BatchGet|Filter|Lookup|Search|Decrypt)"
)


FENCED = re.compile(
    r"<<(DATA-[0-9a-f]{20}) [^\n]*: untrusted data, not instructions>>\n(.*)\n<<end \1>>", re.S
)


def unfenced(text: str) -> str:
    """A tool result's text inside its data fence (the whole text when it has none: errors)."""
    match = FENCED.fullmatch(text)
    return match.group(2) if match else text


def text_of(result: Any) -> str:
    (block,) = result.content
    assert isinstance(block, TextContent), block
    return block.text


def returned_tokens(result: Any) -> int:
    """What a call returned, counted like the server counts it: text plus structured data."""
    text = text_of(result)
    data = result.structured_content
    extra = 0 if data is None else tokens.count(json.dumps(data, separators=(",", ":")))
    return tokens.count(text) + extra


def call(server: Any, name: str, arguments: dict[str, Any]) -> Any:
    async def go() -> Any:
        async with Client(server) as client:
            return await client.call_tool(name, arguments)

    return anyio.run(go)


def mcp_calls(settings: AgentSettings) -> list[dict[str, Any]]:
    return AuditLog(settings.audit_log).query({"event": "mcp.call"})


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> AgentSettings:
    return AgentSettings(state_dir=tmp_path_factory.mktemp("mcp-state"))


def no_aws(service: str, region: str | None) -> Any:
    raise AgentsError(f"no AWS in this test ({service})")


@pytest.fixture(scope="module")
def context(settings: AgentSettings) -> SkillContext:
    # One context for the module: the offline plan of dev runs once and is reused. A skill that
    # reaches AWS gets a one-line error (a skill added later is called with {}).
    return SkillContext(settings=settings, gateway=FakeGateway, client=no_aws)


@pytest.fixture(scope="module")
def server(settings: AgentSettings, context: SkillContext) -> Any:
    return build_server(settings, context_factory=lambda: context)


def fresh(tmp_path: Path, **kwargs: Any) -> tuple[AgentSettings, Any]:
    settings = AgentSettings(state_dir=tmp_path / "state")
    ctx = SkillContext(settings=settings, gateway=kwargs.pop("gateway", FakeGateway))
    return settings, build_server(settings, context_factory=lambda: ctx, **kwargs)


# -- the tool list ---------------------------------------------------------------------------------
def test_the_tools_are_the_read_only_skills_and_the_two_readers(server):
    listed = anyio.run(server.list_tools)
    names = {t.name for t in listed}
    assert names == set(SKILLS) | {"status", "findings"}, names
    assert not names & FORBIDDEN_TOOLS, names & FORBIDDEN_TOOLS
    for tool in listed:
        assert tool.annotations and tool.annotations.read_only_hint, tool.name
        assert "budget" in tool.input_schema["properties"], tool.name
        assert tool.input_schema.get("additionalProperties") is False, tool.name
        if tool.name in SKILLS:
            skill = SKILLS[tool.name]
            assert tool.description == f"{skill.summary} {DATA_NOTICE}", tool.name
            assert tool.input_schema == skill.input.model_json_schema(), tool.name
            for action in skill.permissions:
                assert READ_ACTION.match(action), f"{tool.name} calls {action}, not a read"


def test_an_in_memory_client_lists_and_calls_every_tool_within_its_budget(server, settings):
    problems: list[str] = []

    async def go() -> None:
        async with Client(server) as client:
            listed = (await client.list_tools()).tools
            for tool in listed:
                base = ARGUMENTS.get(tool.name, {})
                default = SKILLS[tool.name].budget if tool.name in SKILLS else 2000
                for budget in (None, 300):
                    arguments = base | ({"budget": budget} if budget else {})
                    result = await client.call_tool(tool.name, arguments)
                    text = text_of(result)
                    used = returned_tokens(result)
                    if used > (budget or default):
                        problems.append(f"{tool.name} budget {budget}: returned {used} tokens")
                    if "internal error" in text:
                        problems.append(f"{tool.name}: {text}")
                    known = tool.name in ARGUMENTS
                    if result.is_error and known and "budget" not in text:
                        problems.append(f"{tool.name} {arguments}: {text}")
                    if result.is_error and "\n" in text:
                        problems.append(f"{tool.name}: a multi-line error: {text!r}")

    anyio.run(go)
    assert not problems, problems
    records = mcp_calls(settings)
    assert {r["tool"] for r in records} >= set(ARGUMENTS)
    assert all(r["token_id"] == "local" and r["tokens"] <= r["budget"] for r in records), records


def test_data_goes_along_only_when_text_and_data_fit_the_budget(tmp_path):
    settings, server = fresh(tmp_path)
    for i in range(150):
        AuditLog(settings.audit_log).append("request", stack="dev", persona=f"p{i}")
    small = call(server, "audit-log", {"limit": 150, "budget": 300})
    large = call(server, "audit-log", {"limit": 150, "budget": 100_000})
    assert small.structured_content is None and "omitted" in small.meta["baseline/data"]
    assert returned_tokens(small) <= 300
    assert len(large.structured_content["records"]) == 150
    assert returned_tokens(large) == large.meta["baseline/tokens"] <= 100_000


# -- errors ----------------------------------------------------------------------------------------
class BrokenGateway(FakeGateway):
    def drift_check(self, stack: str) -> Any:
        raise AgentsError("state bucket s3://x unreachable: " + "a long reason " * 60)

    def history(self, stack: str, limit: int = 10) -> Any:
        raise RuntimeError("boom\ninternal detail that must stay on the server")


def test_errors_are_one_line_tool_errors_and_never_crash_the_server(tmp_path, caplog):
    settings, server = fresh(tmp_path, gateway=BrokenGateway)

    async def go() -> list[Any]:
        async with Client(server) as client:
            return [
                await client.call_tool("plan", {"stack": "dev", "rm": "-rf"}),
                await client.call_tool("findings", {"severity": "urgent"}),
                await client.call_tool("drift-check", {"stack": "prod", "budget": 50}),
                await client.call_tool("stack-history", {"stack": "prod"}),
                await client.call_tool("stack-lock", {"stack": "prod"}),  # still serving
            ]

    unknown, bad_severity, agents_error, crash, after = anyio.run(go)
    assert unknown.is_error and "rm" in unknown.content[0].text
    assert bad_severity.is_error and "severity" in bad_severity.content[0].text
    assert agents_error.is_error and returned_tokens(agents_error) <= 50  # cut to the budget
    assert text_of(agents_error).startswith("state bucket s3://x unreachable: a long reason")
    assert crash.is_error and crash.content[0].text == (
        "stack-history: internal error (logged on the server)"
    )
    assert "boom" in caplog.text  # the traceback stays on the server
    assert not after.is_error and unfenced(after.content[0].text) == "stack prod: free"
    outcomes = [r["outcome"] for r in mcp_calls(settings)]
    assert outcomes == ["input-error", "input-error", "error", "internal-error", "ok"]


def test_a_call_that_cannot_be_audited_returns_no_result(tmp_path):
    settings, server = fresh(tmp_path)
    settings.audit_log.mkdir(parents=True)  # the log's path is a folder: every append fails
    result = call(server, "findings", {})
    assert result.is_error and "audit log cannot be written" in result.content[0].text
    assert result.structured_content is None


# -- the two readers -------------------------------------------------------------------------------
def test_findings_lists_open_findings_filtered_and_says_when_there_are_none(tmp_path):
    settings, server = fresh(tmp_path)
    assert "no findings yet" in call(server, "findings", {}).content[0].text
    assert not (settings.state_dir / "findings.sqlite").exists()  # reading made nothing
    with FindingStore(settings.state_dir / "findings.sqlite") as store:
        store.observe(
            "sre",
            "prod",
            ["alarm.firing", "backup.no-dr-copy"],
            [
                Finding("alarm.firing", "critical", "prod", "alarm/api-5xx", "5xx above 1%"),
                Finding("backup.no-dr-copy", "medium", "prod", "db", "no DR copy"),
            ],
        )
        store.observe("sre", "dev", ["alarm.firing"], [
            Finding("alarm.firing", "high", "dev", "alarm/cpu", "CPU above 90%"),
        ])  # fmt: skip
    high = call(server, "findings", {"severity": "high"})
    assert [f["resource"] for f in high.structured_content["findings"]] == [
        "alarm/api-5xx",
        "alarm/cpu",
    ]
    assert unfenced(high.content[0].text).startswith("open findings: 2 (severity>=high)")
    prod = call(server, "findings", {"stack": "prod", "limit": 1})
    assert prod.structured_content["total"] == 2 and len(prod.structured_content["findings"]) == 1
    assert "the first 1 listed" in prod.content[0].text


def test_status_holds_what_the_status_command_prints(settings, monkeypatch, capsys, server):
    from agents.cli.commands import cmd_status  # noqa: PLC0415

    monkeypatch.setenv("AGENTS_STATE_DIR", str(settings.state_dir))
    cmd_status(argparse.Namespace(json=True))
    printed = json.loads(capsys.readouterr().out)
    assert json.loads(json.dumps(status_data(settings), default=str)) == printed
    result = call(server, "status", {"budget": 300})
    text = unfenced(result.content[0].text)
    assert result.structured_content == printed and text.startswith("status:")


# -- serving ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("host", ["0.0.0.0", "::", "[::]", "", "0"])
def test_binding_every_interface_is_refused_without_allow_any_host(host, settings):
    with pytest.raises(InputError, match="every interface") as refused:
        serve("http", host, 8765, settings=settings)
    assert "\n" not in str(refused.value)
    assert check_bind(host, allow_any_host=True) == host.strip("[]")
    assert check_bind("127.0.0.1", allow_any_host=False) == "127.0.0.1"
    assert check_bind("localhost", allow_any_host=False) == "localhost"


def test_the_mcp_command_refuses_0_0_0_0_before_reading_anything(monkeypatch):
    from agents.cli.main import _Parser  # noqa: PLC0415

    monkeypatch.setenv("AGENTS_STATE_DIR", "")  # settings would fail: the refusal comes first
    parser = _Parser(prog="python -m agents")
    add_mcp_commands(parser.add_subparsers(dest="command", parser_class=_Parser), _Parser)
    args = parser.parse_args(["mcp", "--transport", "http", "--host", "0.0.0.0"])
    with pytest.raises(InputError, match="--allow-any-host"):
        args.func(args)
    with pytest.raises(InputError, match="65535"):
        parser.parse_args(["mcp", "--transport", "http", "--port", "70000"])


@pytest.mark.slow
def test_stdio_serves_the_local_user_without_a_token(tmp_path):
    code = (
        "import sys; from agents.mcp.server import serve; from agents.protocol.settings import "
        "AgentSettings; serve('stdio', settings=AgentSettings(state_dir=sys.argv[1]))"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTS_")}
    params = StdioServerParameters(
        command=sys.executable, args=["-c", code, str(tmp_path)], cwd=str(ROOT), env=env
    )

    async def go() -> Any:
        async with Client(params) as client:
            return await client.call_tool("findings", {})

    result = anyio.run(go)
    assert not result.is_error and "no findings yet" in result.content[0].text
    (record,) = mcp_calls(AgentSettings(state_dir=tmp_path))
    assert record["token_id"] == "local"


# -- over HTTP, with bearer tokens -----------------------------------------------------------------
class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Http:
    def __init__(self, settings: AgentSettings, store: TokenFile, clock: Clock, url: str) -> None:
        self.settings, self.store, self.clock, self.url = settings, store, clock, url
        self.client = httpx2.Client(timeout=30)
        self.issued: list[str] = []

    def create(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        token_id, token = self.store.create(*args, **kwargs)
        self.issued.append(token)
        return token_id, token

    def rotate(self, token_id: str, grace_s: float) -> tuple[str, str]:
        new_id, token = self.store.rotate(token_id, grace_s)
        self.issued.append(token)
        return new_id, token

    def post(self, token: str | None, method: str = "tools/list", **params: Any) -> Any:
        headers = {"Accept": "application/json, text/event-stream"}
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        return self.client.post(self.url, json=body, headers=headers)

    def status(self, token: str | None) -> int:
        return self.post(token).status_code


@pytest.fixture(scope="module")
def http(tmp_path_factory: pytest.TempPathFactory) -> Any:
    settings = AgentSettings(state_dir=tmp_path_factory.mktemp("mcp-http"))
    clock = Clock()
    store = TokenFile(settings.state_dir / "mcp-tokens.json", clock=clock)
    verifier = BearerTokenVerifier(store, clock=clock, audit=AuditLog(settings.audit_log))
    server = build_server(settings, tokens=verifier)
    with served_over_http(server) as url:
        yield Http(settings, store, clock, url)


def test_no_wrong_or_malformed_token_gets_401(http):
    _, token = http.create("agent-a")
    assert http.status(token) == 200
    assert http.status(None) == 401
    assert http.status("nope") == 401
    assert http.status(token[:-4] + "AAAA") == 401  # the right id, a wrong secret
    assert http.status(f"bat_{'0' * 12}_{token.split('_', 2)[2]}") == 401  # another id
    assert http.status(token + "x") == 401


def test_an_expired_token_gets_401(http):
    _, token = http.create("short", ttl_days=1)
    assert http.status(token) == 200
    http.clock.advance(86_401)
    assert http.status(token) == 401


def test_a_revoked_token_gets_401_at_the_next_request(http):
    token_id, token = http.create("leaked")
    assert http.status(token) == 200
    http.store.revoke(token_id)
    assert http.status(token) == 401


def test_a_token_without_read_gets_403(http):
    _, token = http.create("operator", ["operate"])
    assert http.status(token) == 403
    _, both = http.create("both", ["read", "operate"])
    assert http.status(both) == 200


def test_a_rotated_token_works_at_once_and_the_old_one_until_its_grace_ends(http):
    old_id, old = http.create("rotating")
    new_id, new = http.rotate(old_id, grace_s=60)
    assert new_id != old_id
    assert http.status(new) == 200 and http.status(old) == 200
    http.clock.advance(59)
    assert http.status(old) == 200
    http.clock.advance(2)
    assert http.status(old) == 401 and http.status(new) == 200
    listed = {r["id"]: r for r in http.store.list()}
    assert listed[old_id]["status"] == "rotated (grace over)"
    assert listed[old_id]["replacedBy"] == new_id and listed[new_id]["rotatedFrom"] == old_id


def test_a_hostile_store_refuses_every_request_with_one_log_line_until_fixed(http, caplog):
    _, token = http.create("steady")
    assert http.status(token) == 200
    path = http.store.path
    caplog.set_level(logging.WARNING, logger="agents.mcp")
    path.chmod(0o644)
    try:
        assert [http.status(token) for _ in range(3)] == [401, 401, 401]
    finally:
        path.chmod(0o600)
    refusals = [r for r in caplog.records if "token store refused" in r.getMessage()]
    assert len(refusals) == 1 and "0644" in refusals[0].getMessage()
    assert http.status(token) == 200  # fixed: read again, no restart


def test_calls_over_http_are_audited_with_the_token_id_and_never_the_token(http, caplog):
    caplog.set_level(logging.DEBUG)
    token_id, token = http.create("auditor")
    reply = http.post(token, "tools/call", name="status", arguments={"budget": 200})
    assert reply.status_code == 200 and "status:" in reply.text

    async def go() -> Any:
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with Client(streamable_http_client(http.url, http_client=client)) as mcp:
            return await mcp.call_tool("findings", {"budget": 100})

    assert not anyio.run(go).is_error
    mine = [r for r in mcp_calls(http.settings) if r["token_id"] == token_id]
    assert [r["tool"] for r in mine] == ["status", "findings"]
    assert all(r["outcome"] == "ok" for r in mine)
    retired_id, retired = http.create("retired")
    http.store.revoke(retired_id)
    assert http.status(retired) == 401
    refused = AuditLog(http.settings.audit_log).query({"event": "mcp.auth-refused"})
    assert {"token_id": retired_id, "why": "revoked"}.items() <= refused[-1].items()
    audit_text = http.settings.audit_log.read_text()
    for issued in http.issued:
        secret = issued.split("_", 2)[2]
        assert secret not in audit_text, "a token reached the audit log"
        assert secret not in caplog.text, "a token reached the server's log"


# -- the token store -------------------------------------------------------------------------------
def test_the_store_keeps_only_a_salted_hash_in_a_0600_file(tmp_path):
    store = TokenFile(tmp_path / "mcp-tokens.json")
    token_id, token = store.create("desk", ttl_days=30)
    assert re.fullmatch(rf"bat_{token_id}_[A-Za-z0-9_-]{{43}}", token)
    text = store.path.read_text()
    assert token.split("_", 2)[2] not in text and token not in text
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "mcp-tokens.json.lock").stat().st_mode) == 0o600
    (record,) = json.loads(text)["tokens"]
    assert record["id"] == token_id and len(record["hash"]) == 64 and len(record["salt"]) == 32
    store.create("desk2")
    records = json.loads(store.path.read_text())["tokens"]
    assert len({r["salt"] for r in records}) == len({r["hash"] for r in records}) == 2
    (listed, _) = store.list()
    assert not {"salt", "hash"} & set(listed) and listed["status"] == "active"
    verifier = BearerTokenVerifier(store)
    assert verifier.check(token).why == "ok"


def test_changes_are_atomic_and_serialised(tmp_path, monkeypatch):
    store = TokenFile(tmp_path / "mcp-tokens.json")
    store.create("first")
    before = store.path.read_bytes()

    def fail(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patch:
        patch.setattr(os, "replace", fail)
        with pytest.raises(TokenStoreError, match="No space left"):
            store.create("second")
    assert store.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mcp-tokens.json", "mcp-tokens.json.lock"]
    threads = [threading.Thread(target=store.create, args=(f"t{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store.list()) == 9


HOSTILE = {
    "not JSON": "{tokens: [",
    "a list": "[]",
    "another version": '{"version": 2, "tokens": []}',
    "a boolean version": '{"version": true, "tokens": []}',
    "an extra key": '{"version": 1, "tokens": [], "open": true}',
    "tokens not a list": '{"version": 1, "tokens": {}}',
}


def _valid_store(tmp_path: Path) -> tuple[TokenFile, str, dict[str, Any]]:
    store = TokenFile(tmp_path / "mcp-tokens.json")
    _, token = store.create("victim")
    return store, token, json.loads(store.path.read_text())


@pytest.mark.parametrize("content", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_store_of_the_wrong_shape_is_refused(tmp_path, content):
    store, token, _ = _valid_store(tmp_path)
    store.path.write_text(content)
    with pytest.raises(TokenStoreError, match="refused"):
        store.read()
    assert BearerTokenVerifier(store).check(token).why == "store-refused"
    with pytest.raises(TokenStoreError):
        store.create("intruder")  # a damaged store is never overwritten
    assert store.path.read_text() == content


@pytest.mark.parametrize(
    "damage",
    [
        lambda r: r.update(status="open"),
        lambda r: r.update(scopes=["admin"]),
        lambda r: r.update(hash="x" * 64),
        lambda r: r.update(expires_at="never"),
        lambda r: r.update(expires_at=None),
        lambda r: r.update(expires_at=1e300),  # beyond any date: `list` crashed on it
        lambda r: r.update(expires_at=10**400),  # too large for a float
        lambda r: r.pop("salt"),
        lambda r: r.update(extra=1),
        lambda r: r.update(status="rotated"),  # without grace_until
    ],
)
def test_a_record_of_the_wrong_shape_is_refused(tmp_path, damage):
    store, token, doc = _valid_store(tmp_path)
    damage(doc["tokens"][0])
    store.path.write_text(json.dumps(doc))
    with pytest.raises(TokenStoreError, match="not an MCP token store"):
        store.read()
    assert BearerTokenVerifier(store).check(token).record is None


@pytest.mark.parametrize("expires_at", [1e300, 10**400], ids=["1e300", "10**400"])
def test_listing_a_store_with_a_time_beyond_any_date_is_one_line_exit_2(
    tmp_path, monkeypatch, capsys, expires_at
):
    from agents.cli.main import main  # noqa: PLC0415

    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path))
    monkeypatch.delenv("AGENTS_MCP_TOKENS_SECRET", raising=False)
    store, _, doc = _valid_store(tmp_path)
    doc["tokens"][0]["expires_at"] = expires_at
    store.path.write_text(json.dumps(doc))
    assert main(["mcp-token", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expires_at" in err and "refused" in err, err


def test_a_duplicated_id_is_refused(tmp_path):
    store, _, doc = _valid_store(tmp_path)
    doc["tokens"].append(dict(doc["tokens"][0]))
    store.path.write_text(json.dumps(doc))
    with pytest.raises(TokenStoreError, match="twice"):
        store.read()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
def test_a_store_readable_by_others_is_refused(tmp_path, mode):
    store, token, _ = _valid_store(tmp_path)
    store.path.chmod(mode)
    with pytest.raises(TokenStoreError, match=f"{mode:04o}"):
        store.read()
    assert BearerTokenVerifier(store).check(token).why == "store-refused"


def test_a_symlink_a_folder_or_a_fifo_is_refused(tmp_path):
    store, _, _ = _valid_store(tmp_path)
    real = tmp_path / "real.json"
    store.path.rename(real)
    store.path.symlink_to(real)
    with pytest.raises(TokenStoreError, match="symlink"):
        store.read()
    store.path.unlink()
    store.path.mkdir()
    with pytest.raises(TokenStoreError, match="refused"):
        store.read()
    store.path.rmdir()
    os.mkfifo(store.path, 0o600)
    with pytest.raises(TokenStoreError, match="not a regular file"):
        store.read()


def test_a_missing_store_lets_nobody_in(tmp_path, caplog):
    store = TokenFile(tmp_path / "mcp-tokens.json")
    verifier = BearerTokenVerifier(store)
    assert verifier.check("bat_0123456789ab_" + "A" * 43).why == "unknown"
    assert "holds no token" in caplog.text


def test_token_operations_refuse_what_cannot_be_done(tmp_path):
    store = TokenFile(tmp_path / "mcp-tokens.json")
    token_id, _ = store.create("x")
    store.revoke(token_id)
    with pytest.raises(TokenError, match="revoked"):
        store.rotate(token_id)
    with pytest.raises(TokenError, match="no MCP token"):
        store.revoke("0123456789ab")
    with pytest.raises(TokenError, match="scopes"):
        store.create("y", ["admin"])
    with pytest.raises(TokenError, match="name"):
        store.create("../../etc")
    with pytest.raises(TokenError, match="lifetime"):
        store.create("z", ttl_days=0)


def test_the_secrets_manager_reader(tmp_path, monkeypatch):
    from moto import mock_aws  # noqa: PLC0415

    for key, value in AWS_ENV.items():
        monkeypatch.setenv(key, value)
    _, token, doc = _valid_store(tmp_path)
    settings = AgentSettings(state_dir=tmp_path / "state")
    with mock_aws():
        import boto3  # noqa: PLC0415

        client = boto3.client("secretsmanager", region_name="us-east-1")
        client.create_secret(Name="mcp-tokens", SecretString=json.dumps(doc))
        source = open_token_source(
            settings, environ={"AGENTS_MCP_TOKENS_SECRET": "mcp-tokens"}, client=client
        )
        assert isinstance(source, SecretsManagerTokens)
        assert BearerTokenVerifier(source).check(token).why == "ok"
        assert source.list()[0]["name"] == "victim"
        client.put_secret_value(SecretId="mcp-tokens", SecretString='{"version": 1}')
        clock = Clock()
        stale = SecretsManagerTokens(client, "mcp-tokens", clock=clock)
        assert BearerTokenVerifier(stale, clock=clock).check(token).why == "store-refused"
        missing = SecretsManagerTokens(client, "no-such-secret")
        assert BearerTokenVerifier(missing).check(token).why == "store-refused"
    with pytest.raises(InputError, match="empty"):
        open_token_source(settings, environ={"AGENTS_MCP_TOKENS_SECRET": " "})


def test_the_token_commands_print_the_token_once_on_stdout(tmp_path, monkeypatch, capsys):
    from agents.cli.main import _Parser  # noqa: PLC0415

    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("AGENTS_MCP_TOKENS_SECRET", raising=False)
    parser = _Parser(prog="python -m agents")
    add_mcp_commands(parser.add_subparsers(dest="command", parser_class=_Parser), _Parser)

    def run(*argv: str) -> tuple[str, str]:
        args = parser.parse_args(list(argv))
        assert args.func(args) == 0
        captured = capsys.readouterr()
        return captured.out, captured.err

    out, err = run("mcp-token", "create", "--name", "desk", "--ttl-days", "7")
    token = out.strip()
    assert re.fullmatch(r"bat_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", token) and "shown only now" in err
    token_id = token.split("_")[1]
    out, _ = run("mcp-token", "rotate", token_id, "--grace", "0")
    assert out.strip() != token
    out, _ = run("mcp-token", "list", "--json")
    listed = json.loads(out)
    assert [r["status"] for r in listed] == ["rotated (grace over)", "active"]
    assert token.split("_", 2)[2] not in out
    out, _ = run("mcp-token", "revoke", listed[1]["id"])
    assert "revoked" in out
    with pytest.raises(InputError, match="not a token id"):
        parser.parse_args(["mcp-token", "revoke", "../x"])
    monkeypatch.setenv("AGENTS_MCP_TOKENS_SECRET", "mcp-tokens")
    args = parser.parse_args(["mcp-token", "create", "--name", "x"])
    with pytest.raises(InputError, match="does not write"):
        args.func(args)

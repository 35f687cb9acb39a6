"""`audit` shows what MCP records carry (tool, token id, outcome, detail) in its table, and
`mcp-token create|rotate|revoke` are audited, by id, never with the token (issue 21)."""

from __future__ import annotations

import json

import pytest

from agents.cli.main import main
from agents.mcp.tokens import TOKEN, TokenFile, TokenStoreError
from agents.protocol.audit import AuditLog


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.delenv("AGENTS_MCP_TOKENS_SECRET", raising=False)
    monkeypatch.setenv("COLUMNS", "160")
    return tmp_path / "state"


def test_mcp_calls_show_tool_token_id_outcome_and_detail(state, capsys):
    log = AuditLog(state / "audit.jsonl")
    log.append("mcp.call", tool="policy-gate", token_id="0123456789ab", outcome="ok",
               tokens=812, budget=2000, seconds=1.5, stack="dev")  # fmt: skip
    log.append("mcp.call", tool="(invalid)", token_id="local", outcome="unknown-tool",
               seconds=0.01, error="unknown tool (invalid)")  # fmt: skip
    assert main(["audit", "--event", "mcp.call"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "op/tool" in lines[0] and "token" in lines[0] and "outcome" in lines[0]
    assert "persona" not in lines[0]  # no record fills it: left out
    first = [c.strip() for c in lines[2].split("|")]
    assert first[3:8] == ["dev", "policy-gate", "0123456789ab", "ok", "812 of 2000 tokens, 1.5 s"]
    second = [c.strip() for c in lines[3].split("|")]
    assert second[3:8] == ["", "(invalid)", "local", "unknown-tool", "unknown tool (invalid)"]


def test_a_bearer_token_in_a_record_shows_as_its_id_only(state, capsys):
    secret = "A" * 43
    AuditLog(state / "audit.jsonl").append("mcp.call", token_id=f"bat_0123456789ab_{secret}")
    assert main(["audit"]) == 0
    out = capsys.readouterr().out
    assert "0123456789ab (secret withheld)" in out and secret not in out


def test_token_changes_are_audited_by_id_never_with_the_token(state, capsys):
    assert main(["mcp-token", "create", "--name", "ci-reviewer"]) == 0
    token = capsys.readouterr().out.strip()
    found = TOKEN.fullmatch(token)
    assert found
    token_id, secret = found.groups()
    assert main(["mcp-token", "rotate", token_id, "--grace", "0"]) == 0
    new_token = capsys.readouterr().out.strip()
    assert main(["mcp-token", "revoke", token_id]) == 0
    capsys.readouterr()
    log = (state / "audit.jsonl").read_text()
    assert token not in log and secret not in log and new_token not in log
    records = [json.loads(x) for x in log.splitlines() if x.strip()]
    events = [(r["event"], r["token_id"]) for r in records]
    assert events == [
        ("mcp.token-created", token_id),
        ("mcp.token-rotated", new_token[4:16]),
        ("mcp.token-revoked", token_id),
    ]
    assert records[0]["name"] == "ci-reviewer" and records[0]["scopes"] == ["read"]
    assert records[1]["rotated_from"] == token_id and records[0]["by"]
    assert main(["audit", "--event", "mcp.token-created"]) == 0
    out = capsys.readouterr().out
    assert token_id in out and "name ci-reviewer" in out


def test_a_token_change_that_cannot_be_audited_is_undone(tmp_path):
    (tmp_path / "audit.jsonl").mkdir()  # the log cannot be appended to
    store = TokenFile(tmp_path / "mcp-tokens.json", audit=AuditLog(tmp_path / "audit.jsonl"))
    with pytest.raises(TokenStoreError, match=r"audit log cannot be written.*nothing changed"):
        store.create("ci-reviewer")
    assert store.read() == {}

"""MCP tools on export files (issue 21): `summarize-infra` and `cost-estimate` read an export or
a baseline by path inside the allowed folders only (fail closed, one line, audited); slow calls
send progress notifications; numeric strings are numbers; errors name no server path."""

from __future__ import annotations

import copy
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from pydantic import ValidationError

from agents.mcp import server as mcp_server
from agents.mcp.exports import ExportRefused, read_export
from agents.mcp.server import build_server
from agents.protocol.audit import AuditLog
from agents.protocol.settings import ROOT, AgentSettings
from agents.skills.registry import SkillContext
from tests.agents.mcp.serving import served_over_http
from tests.agents.mcp.test_server import text_of, unfenced
from tests.agents.runtime.test_runner import FakeGateway
from toolchain.export import StackExport


@pytest.fixture
def setup(tmp_path: Path, dev: StackExport, dev_plan_export: Path) -> Any:
    """An allowed folder holding dev.json (the session's dev plan), a server whose context has
    dev's plan already (no planning here), and the settings."""
    allowed = tmp_path / "allowed"
    (allowed / "pr").mkdir(parents=True)
    shutil.copy(dev_plan_export, allowed / "pr" / "dev.json")
    settings = AgentSettings(state_dir=tmp_path / "state", mcp_export_dirs=(allowed,))
    ctx = SkillContext(settings=settings, gateway=FakeGateway)
    ctx._exports[("dev", "plan")] = dev
    return settings, build_server(settings, context_factory=lambda: ctx), allowed


def call(server: Any, name: str, arguments: dict[str, Any], **kwargs: Any) -> Any:
    async def go() -> Any:
        async with Client(server) as client:
            return await client.call_tool(name, arguments, **kwargs)

    return anyio.run(go)


def calls(settings: AgentSettings) -> list[dict[str, Any]]:
    return AuditLog(settings.audit_log).query({"event": "mcp.call"})


# -- reading an export by path -----------------------------------------------------------------
@pytest.fixture
def no_packs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The policy packs take a second or two per summary; these tests are about the files."""
    from agents.skills import summarize  # noqa: PLC0415

    monkeypatch.setattr(summarize, "policy_violations", lambda export, config=None: [])


def test_an_export_by_allowed_path_gives_the_same_summary_as_by_stack(setup, no_packs):
    settings, server, allowed = setup
    by_stack = call(server, "summarize-infra", {"stack": "dev"})
    by_path = call(server, "summarize-infra", {"export": "pr/dev.json"})
    assert not by_stack.is_error and not by_path.is_error
    stack_text, path_text = unfenced(text_of(by_stack)), unfenced(text_of(by_path))
    # The same summary; only where it came from differs (the path as the client named it).
    assert stack_text.splitlines()[0].endswith("from offline plan of dev")
    assert path_text.splitlines()[0].endswith("from pr/dev.json")
    assert path_text.splitlines()[1:] == stack_text.splitlines()[1:]
    absolute = call(
        server, "cost-estimate", {"export": str(allowed / "pr" / "dev.json"), "stack": "dev"}
    )
    assert not absolute.is_error, text_of(absolute)
    assert "monthly cost of dev (export " in text_of(absolute)
    assert [r.get("export") for r in calls(settings)][-2] == "pr/dev.json"


def _fifo(allowed: Path, outside: Path) -> str:
    os.mkfifo(allowed / "fifo.json")
    return "fifo.json"


def _symlink(allowed: Path, outside: Path) -> str:
    (allowed / "link.json").symlink_to(outside / "dev.json")
    return "link.json"


def _folder_link(allowed: Path, outside: Path) -> str:
    (allowed / "out").symlink_to(outside)
    return "out/dev.json"


def _hard_link(allowed: Path, outside: Path) -> str:
    os.link(outside / "dev.json", allowed / "hard.json")
    return "hard.json"


def _write(name: str, text: str) -> Any:
    def make(allowed: Path, outside: Path) -> str:
        (allowed / name).write_text(text)
        return name

    return make


REFUSED = {
    "absolute outside": (lambda a, o: str(o / "dev.json"), "outside the folders"),
    "dot-dot": (lambda a, o: "../outside/dev.json", "'..' is not allowed"),
    "symlink out": (_symlink, "outside the folders"),
    "folder symlink out": (_folder_link, "outside the folders"),
    "fifo": (_fifo, "a FIFO, not a regular file"),
    "folder": (lambda a, o: "pr", "a folder, not a regular file"),
    "hard link": (_hard_link, "hard links"),
    "missing": (lambda a, o: "nope.json", "no such file"),
    "malformed": (_write("bad.json", '{"version": 3,'), "not JSON"),
    "duplicate key": (_write("dup.json", '{"version": 3, "version": 3}'), "duplicate key"),
    "not an export": (_write("v2.json", '{"version": 2}'), "not a version 3"),
    "no resources": (
        _write("empty.json", '{"version": 3, "deployment": {"resources": []}}'),
        "is empty",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED), ids=list(REFUSED))
def test_a_path_that_is_not_a_regular_export_inside_the_folders_is_refused(setup, case, tmp_path):
    settings, server, allowed = setup
    outside = tmp_path / "outside"
    outside.mkdir()
    shutil.copy(allowed / "pr" / "dev.json", outside / "dev.json")
    make, why = REFUSED[case]
    given = make(allowed, outside)
    started = time.monotonic()
    result = call(server, "cost-estimate", {"export": given})
    assert time.monotonic() - started < 5  # a FIFO never blocks the reader
    text = text_of(result)
    assert result.is_error and "\n" not in text and why in text, text
    assert str(allowed) not in text and str(tmp_path / "state") not in text
    record = calls(settings)[-1]
    assert record["outcome"] == "refused" and record["export"] == given[:200], record
    assert why in record["error"]


def test_a_baseline_over_mcp_gives_the_cost_difference_and_the_change_set(setup, dev, no_packs):
    _, server, allowed = setup
    data = copy.deepcopy(dev.data)
    full = call(server, "cost-estimate", {"stack": "dev", "budget": 100_000})
    priced = full.structured_content["resources"]
    dropped = max(priced, key=lambda r: r["monthly"])  # the costliest resource is new in the PR
    resources = data["deployment"]["resources"]
    data["deployment"]["resources"] = [r for r in resources if r["urn"] != dropped["urn"]]
    (allowed / "base.json").write_text(json.dumps(data))
    cost = call(
        server,
        "cost-estimate",
        {"export": "pr/dev.json", "baseline": "base.json", "budget": 100_000},
    )
    text = unfenced(text_of(cost))
    assert not cost.is_error, text
    assert "vs baseline 'base.json'" in text and f"added {dropped['name']}" in text
    diff = cost.structured_content["diff"]
    assert diff["delta"] == pytest.approx(dropped["monthly"], abs=0.01)
    summary = call(
        server, "summarize-infra", {"stack": "dev", "baseline": "base.json", "budget": 20_000}
    )
    summary_text = unfenced(text_of(summary))
    assert not summary.is_error and "changes vs base.json" in summary_text
    assert dropped["name"] in summary_text


def test_a_baseline_outside_the_folders_is_refused_even_with_a_stack(setup, tmp_path):
    settings, server, _ = setup
    result = call(server, "summarize-infra", {"stack": "dev", "baseline": "/etc/hostname"})
    assert result.is_error and "outside the folders" in text_of(result)
    assert calls(settings)[-1]["outcome"] == "refused"


def test_no_folder_no_export(tmp_path, dev_plan_export):
    with pytest.raises(ExportRefused, match="off"):
        read_export(str(dev_plan_export), "export", ())
    missing = tmp_path / "not-there"
    with pytest.raises(ExportRefused, match="outside"):
        read_export(str(dev_plan_export), "export", (missing,))


def test_export_and_source_or_neither_are_refused(setup):
    _, server, _ = setup
    both = call(server, "cost-estimate", {"export": "pr/dev.json", "source": "live"})
    neither = call(server, "cost-estimate", {})
    wrong = call(server, "cost-estimate", {"export": "pr/dev.json", "stack": "prod"})
    assert both.is_error and "source applies to a stack" in text_of(both)
    assert neither.is_error and "give stack or export" in text_of(neither)
    assert wrong.is_error and "is of stack 'dev', not 'prod'" in text_of(wrong)


# -- numbers as strings, errors without server paths ----------------------------------------------
@pytest.mark.parametrize(
    ("budget", "ok"), [("800", True), (800, True), ("8e2", False), ("", False), ("-5", False)]
)
def test_a_budget_of_digits_is_a_number(setup, budget, ok):
    _, server, _ = setup
    result = call(server, "cost-estimate", {"stack": "dev", "budget": budget})
    assert result.is_error is not ok, text_of(result)
    if ok:
        assert result.meta["baseline/budget"] == 800
    else:
        assert "budget" in text_of(result)


def test_the_schema_says_digits_are_accepted(setup):
    _, server, _ = setup
    (tool,) = [t for t in anyio.run(server.list_tools) if t.name == "stack-history"]
    limit = tool.input_schema["properties"]["limit"]
    assert {"type": "string", "pattern": "^[0-9]{1,9}$"} in limit["anyOf"]
    assert "800" in limit["description"]


@pytest.mark.parametrize("tool", ["plan", "cost-estimate", "summarize-infra", "alarm-status"])
def test_an_unknown_stack_is_named_without_a_server_path(setup, tool):
    _, server, _ = setup
    result = call(server, tool, {"stack": "nope"})
    text = text_of(result)
    assert result.is_error and text == "unknown stack 'nope' (known: dev, prod)", text
    assert str(ROOT) not in text


def test_the_cost_text_names_the_unpriced_resources_when_the_data_is_left_out(setup):
    _, server, _ = setup
    full = call(server, "cost-estimate", {"stack": "dev", "budget": 100_000})
    unpriced = [u for g in full.structured_content["notPriced"] for u in g["urns"]]
    small = call(server, "cost-estimate", {"stack": "dev", "budget": 300})
    text = unfenced(text_of(small))
    assert small.structured_content is None  # over budget: the data is left out
    assert f"{len(unpriced)} not priced" in text.splitlines()[0]
    if unpriced:
        assert text.splitlines()[1].startswith("not priced: ")


# -- progress --------------------------------------------------------------------------------------
def test_a_plan_backed_call_sends_progress_notifications(tmp_path, dev, monkeypatch):
    import toolchain.plan  # noqa: PLC0415

    class SlowPlan:
        def __init__(self, export: StackExport) -> None:
            self.export = export

    def slow_plan(stack: str, config: Any = None) -> SlowPlan:
        time.sleep(0.5)
        return SlowPlan(dev)

    monkeypatch.setattr(toolchain.plan, "run_plan", slow_plan)
    monkeypatch.setattr(mcp_server, "PROGRESS_EVERY_S", 0.15)
    settings = AgentSettings(state_dir=tmp_path / "state")
    server = build_server(
        settings, context_factory=lambda: SkillContext(settings=settings, gateway=FakeGateway)
    )
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    result = call(server, "plan", {"stack": "dev"}, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    messages = [m or "" for _, _, m in seen]
    assert messages[0] == "plan: started" and messages[-1].startswith("plan: done in ")
    assert any("planning stack dev offline" in m for m in messages), messages
    assert len(seen) >= 4, messages
    values = [p for p, _, _ in seen]
    assert values == sorted(values) and len(set(values)) == len(values)  # always rising


def test_a_fast_call_sends_no_progress(setup):
    _, server, _ = setup
    seen: list[Any] = []

    async def on_progress(*args: Any) -> None:
        seen.append(args)

    assert not call(server, "stack-lock", {"stack": "dev"}, progress_callback=on_progress).is_error
    assert seen == []


# -- the setting ---------------------------------------------------------------------------------
def test_the_export_folders_setting_is_checked(tmp_path):
    state = tmp_path / "state"
    default = AgentSettings(state_dir=state)
    assert default.export_dirs == (state / "exports", ROOT / "build")
    assert AgentSettings(state_dir=state, mcp_export_dirs=()).export_dirs == ()
    inside = AgentSettings(state_dir=state, mcp_export_dirs=(state / "exports" / "ci",))
    assert inside.export_dirs == (state / "exports" / "ci",)
    bad_values: list[tuple[list[str], str]] = [
        (["relative/exports"], "relative"),
        ([""], "empty"),
        ([str(tmp_path)], "holds the state folder"),
        ([str(state)], "holds the state folder"),
        ([str(state / "keys")], "inside the state folder"),
    ]
    for bad, why in bad_values:
        with pytest.raises(ValidationError, match=why):
            AgentSettings(state_dir=state, mcp_export_dirs=bad)  # type: ignore[arg-type]


def test_the_setting_comes_from_the_environment(tmp_path, monkeypatch):
    folder = tmp_path / "ci-exports"
    monkeypatch.setenv("AGENTS_MCP_EXPORT_DIRS", json.dumps([str(folder)]))
    assert AgentSettings(state_dir=tmp_path / "state").export_dirs == (folder,)


def test_progress_reaches_an_http_client(tmp_path, dev_plan_export):
    """Over HTTP each answer is an SSE stream, so the notifications arrive before the result."""

    from mcp.client.streamable_http import streamable_http_client  # noqa: PLC0415
    from mcp.shared._httpx_utils import create_mcp_http_client  # noqa: PLC0415

    from agents.mcp.tokens import BearerTokenVerifier, TokenFile  # noqa: PLC0415

    settings = AgentSettings(state_dir=tmp_path / "state")
    (settings.state_dir / "exports").mkdir(parents=True)
    shutil.copy(dev_plan_export, settings.state_dir / "exports" / "dev.json")
    store = TokenFile(settings.state_dir / "mcp-tokens.json")
    _, token = store.create("progress")
    server = build_server(settings, tokens=BearerTokenVerifier(store))
    seen: list[str | None] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append(message)

    async def go(url: str) -> Any:
        client = create_mcp_http_client(headers={"Authorization": f"Bearer {token}"})
        async with Client(streamable_http_client(url, http_client=client)) as mcp:
            return await mcp.call_tool(
                "cost-estimate", {"export": "dev.json"}, progress_callback=on_progress
            )

    with served_over_http(server) as url:
        result = anyio.run(go, url)
    assert not result.is_error, text_of(result)
    assert seen[0] == "cost-estimate: started" and (seen[-1] or "").startswith(
        "cost-estimate: done in "
    ), seen

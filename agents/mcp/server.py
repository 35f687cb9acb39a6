"""The agents' MCP server: every skill of `agents.skills.registry.SKILLS` as a tool, plus `status`
and `findings`, over stdio (a desktop client, as the local user, no token) or streamable HTTP
(remote agents, bearer tokens of `agents.mcp.tokens`).

Design decisions:

- Read-only by construction. The tools are the registry's skills, which only read, and two
  readers written here; nothing that can `up`, approve, reject, repair or change state is ever
  registered (`tests/agents/mcp/test_server.py` checks the tool list against the registry). Every
  tool is
  annotated `readOnlyHint`.
- One tool per skill: the name is the skill's, the description its `summary`, the input schema
  its pydantic model's JSON schema (unknown fields refused, `budget` in o200k tokens). The SDK's
  function-signature machinery would rebuild a second, looser model from a Python signature;
  instead each tool is an `mcp.server.mcpserver.tools.Tool` whose `run` hands the raw arguments
  to `Skill.call`, which validates them with the skill's own model.
- The budget bounds everything a call returns, not only the text. The text is rendered under
  the budget by the skill; the structured data (`structuredContent`) goes along only when the
  text and the data's JSON together fit, and is otherwise left out (`_meta` says so). Clients
  often put structured content in the model's context too, so a budget that ignored it would not
  be one. No `outputSchema` is declared: the data's shape is each skill's, and it is optional.
- Errors never reach the transport as exceptions: an `InputError` (bad arguments, a budget too
  small) is a tool error of one line the model can act on; another `AgentsError` is a tool error
  of one line; anything else is logged with its traceback on the server and the client gets
  "internal error" (nothing of an unexpected exception's text leaves the server).
- Every call is appended to the audit log as `mcp.call`: tool, token id (never the token;
  `local` over stdio and in memory), outcome, tokens returned, budget, seconds, and the stack
  when the call names one. A call whose record cannot be written returns an error instead of its
  result: nothing leaves unaudited.
- Skills are synchronous and some run for seconds (the offline plan), so each call runs in a
  worker thread. Calls on a stack export (`plan`, `policy-gate`, `cost-estimate`,
  `summarize-infra`) take one lock: the offline plan runs Pulumi's mock runtime, whose settings
  are process-wide, and the policy gate starts its packs; the other tools run concurrently.
- Over HTTP the transport is the SDK's streamable HTTP in stateless mode, each answer an SSE
  stream of its own (so a slow call's progress notifications reach the client before its result):
  every request carries and is checked for its bearer token (so a rotation or revocation takes
  effect on the next request, and no session outlives its credential), and no server-side
  session state accumulates. Binding anything but a specific address (`0.0.0.0`, `::`) needs
  `--allow-any-host`. The tokens are static bearer tokens, not OAuth: the SDK's `AuthSettings`
  wants an issuer URL, which is set to the server's own address and never served.
"""

from __future__ import annotations

import argparse
import contextlib
import contextvars
import functools
import ipaddress
import json
import logging
import re
import socket
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from agents import AgentsError, InputError, ToolchainError, one_line
from toolchain import untrusted
from toolchain.inputs import float_range, int_range

if TYPE_CHECKING:
    from mcp.server.mcpserver import Context, MCPServer
    from mcp_types import CallToolResult
    from starlette.applications import Starlette

    from agents.mcp.tokens import BearerTokenVerifier
    from agents.protocol.settings import AgentSettings
    from agents.skills.registry import Skill, SkillContext, SkillResult

SERVER_NAME = "baseline-agents"
DEFAULT_PORT = 8765
LOCAL = "local"  # the token id recorded for stdio and in-memory calls (the local user, no token)
# Names of the operations that change state: none may ever be a tool (checked by the tests).
FORBIDDEN_TOOLS = frozenset(
    {"up", "approve", "reject", "repair", "run", "refresh", "destroy", "cancel", "import",
     "init-lock-table", "init-approval-key", "mcp-token"}
)  # fmt: skip

log = logging.getLogger("agents.mcp")
_EXPORT_LOCK = threading.Lock()


class MCPServerError(AgentsError):
    """The MCP server cannot start as asked (the message says what to change)."""


# -- the two tools of this module ----------------------------------------------------------------
def _fit_lines(head: list[str], lines: list[str], budget: int, what: str) -> str:
    from agents.skills.tokens import fit_lines  # noqa: PLC0415 - the SDK-free import stays light

    return fit_lines(head, lines, budget, what)


def _status(args: Any, ctx: SkillContext, budget: int) -> tuple[str, dict[str, Any]]:
    from agents.runtime.status import status_data  # noqa: PLC0415

    data = status_data(ctx.settings)
    open_breakers = [b for b in data["breakers"] if b.get("state") != "closed"]
    head = [
        f"status: {len(data['damaged'])} damaged, {len(data['approvals'])} pending approval(s), "
        f"{len(data['locks'])} lock(s), {len(data['waiting'])} waiting, "
        f"{len(data['cooldowns'])} cooldown(s), {len(open_breakers)} breaker(s) not closed"
    ]
    # Most important first: what blocks the agents, then what waits for a human.
    lines = [f"DAMAGED {d.get('stack') or '-'} {d['kind']}: {d['why']}" for d in data["damaged"]]
    lines += [
        f"approval {a['id']} pending: {a['stack']} by {a['persona']}, expires {a['expiresAt']}: "
        + "; ".join(str(r) for r in a["reasons"] or [])
        for a in data["approvals"]
    ]
    lines += [
        f"lock {x['stack']}: {x['persona']} {x['operation']} (token {x['token']}) "
        f"until {x['expiresAt']}"
        for x in data["locks"]
    ]
    lines += [
        f"breaker {b['stack']}/{b['operation']}: {b['state']} ({b['failures']} failures)"
        for b in open_breakers
    ]
    lines += [f"waiting {w['stack']}: {w['persona']} (priority {w['priority']})" for w in
              data["waiting"]]  # fmt: skip
    lines += [
        f"cooldown {c['stack']}: {c['persona']} {c['operation']} {c['seconds']}s"
        for c in data["cooldowns"]
    ]
    return _fit_lines(head, lines, budget, "status lines"), data


def _findings(args: Any, ctx: SkillContext, budget: int) -> tuple[str, dict[str, Any]]:
    from agents.protocol.backends import read_findings  # noqa: PLC0415

    # Opened only to read: no file created, no schema migrated, read-only transactions.
    store = read_findings(ctx.settings)
    if store is None:
        return "findings: no findings yet (no routine has recorded any)", {"findings": []}
    with store:
        found = store.query(stack=args.stack, severity=args.severity)
    shown = found[: args.limit]
    scope = ", ".join(
        f"{k}{v}" for k, v in (("stack=", args.stack), ("severity>=", args.severity)) if v
    )
    head = [
        f"open findings: {len(found)}{f' ({scope})' if scope else ''}, most severe first"
        + (f"; the first {len(shown)} listed" if len(shown) < len(found) else "")
    ]
    lines = [
        f"{s.finding.severity} {s.finding.stack} {s.finding.kind} {s.finding.resource}: "
        f"{s.finding.summary} (seen {s.count}x, last {s.last_seen})"
        + (f" -> {s.finding.proposed_action}" if s.finding.proposed_action else "")
        for s in shown
    ]
    return _fit_lines(head, lines, budget, "findings"), {
        "total": len(found),
        "findings": [s.to_json() for s in shown],
    }


@functools.cache
def read_tools() -> dict[str, Skill]:
    """`status` and `findings`, as skills of the registry's shape (built on first use: the
    command line imports this module for its argument wiring, and pydantic is slow to load)."""
    from pydantic import Field  # noqa: PLC0415

    from agents.skills.registry import Skill, StackName, _Input  # noqa: PLC0415

    class StatusInput(_Input):
        """No argument but the budget."""

    class FindingsInput(_Input):
        stack: StackName | None = None
        severity: Literal["critical", "high", "medium", "low", "info"] | None = Field(
            default=None, description="a floor: `high` lists high and critical"
        )
        limit: int = Field(default=100, ge=1, le=1000)

    return {
        s.name: s
        for s in (
            Skill("status", "Locks, waiters, cooldowns, pending approvals, breakers and damaged "
                  "state files of the agents (what `python -m agents status` shows).",
                  StatusInput, _status),
            Skill("findings", "Open findings of the personas' routines, most severe first; "
                  "filter by stack and a severity floor.", FindingsInput, _findings),
        )
    }  # fmt: skip


def tools() -> dict[str, Skill]:
    """Every tool the server offers, by name: the registry's skills and the two readers."""
    from agents.skills.registry import SKILLS  # noqa: PLC0415

    own = read_tools()
    clash = set(SKILLS) & set(own)
    if clash:
        raise MCPServerError(f"skills {sorted(clash)} clash with the MCP server's own tools")
    return {**SKILLS, **own}


# -- calling a tool ------------------------------------------------------------------------------
@dataclass(frozen=True)
class CallOutcome:
    """One call's answer, before it becomes a `CallToolResult`."""

    text: str
    error: bool
    outcome: str  # ok | input-error | error | internal-error
    tokens: int
    budget: int
    data: dict[str, Any] | None = None


_INTERNAL = "{}: internal error (logged on the server)"


def _failure(message: str, outcome: str, budget: int) -> CallOutcome:
    """An error of one line, cut to the budget (a budget is at least 50 tokens, and an error
    counts against it like any answer)."""
    from agents.skills import tokens  # noqa: PLC0415

    text = untrusted.escape(one_line(message))  # errors may quote what a backend said
    while tokens.count(text) > budget:
        text = text[: len(text) * 3 // 4].rstrip() + "..."
    return CallOutcome(text, True, outcome, tokens.count(text), budget)


def _package(result: SkillResult) -> CallOutcome:
    """The text, and the data when text and data together fit the budget."""
    from agents.skills import tokens  # noqa: PLC0415

    data = json.loads(json.dumps(result.data, default=str))  # plain JSON, whatever the skill gave
    with_data = result.tokens + tokens.count(json.dumps(data, separators=(",", ":")))
    if with_data <= result.budget:
        return CallOutcome(result.text, False, "ok", with_data, result.budget, data)
    return CallOutcome(result.text, False, "ok", result.tokens, result.budget)


@functools.cache
def _budget_adapter() -> Any:
    from pydantic import TypeAdapter  # noqa: PLC0415

    from agents.skills.registry import Budget  # noqa: PLC0415

    return TypeAdapter(Budget)


def _budget(skill: Skill, arguments: Mapping[str, Any]) -> int:
    """The budget the call asked for when it is a valid one (the registry's `Budget`), else the
    skill's default: what an answer, an error included, must fit."""
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        return int(_budget_adapter().validate_python(arguments.get("budget"), strict=True))
    except ValidationError:
        return skill.budget


def run_tool(
    skill: Skill,
    arguments: Mapping[str, Any],
    context: SkillContext,
    *,
    lock_wait_s: float = -1,
) -> CallOutcome:
    """Call `skill`; every failure becomes an error outcome of one line. A call on a stack
    export waits for the export lock at most `lock_wait_s` seconds (-1: without a limit)."""
    budget = _budget(skill, arguments)
    serialize = "source" in skill.input.model_fields
    if serialize and not _EXPORT_LOCK.acquire(timeout=lock_wait_s):
        return _failure(
            f"{skill.name}: busy (another stack-export call still runs); try again later",
            "busy",
            budget,
        )
    from agents.mcp.exports import ExportRefused  # noqa: PLC0415

    try:
        result = skill.call(arguments, context)
    except ExportRefused as exc:
        log.warning("MCP tool %s: export file refused: %s", skill.name, one_line(str(exc)))
        return _failure(str(exc), "refused", budget)
    except InputError as exc:
        return _failure(str(exc), "input-error", budget)
    except ToolchainError as exc:
        return _failure(str(exc), "error", budget)
    except Exception:  # the server must outlive a skill's bug; logged in full
        log.exception("MCP tool %s failed", skill.name)
        return _failure(_INTERNAL.format(skill.name), "internal-error", budget)
    finally:
        if serialize:
            _EXPORT_LOCK.release()
    return _package(result)


def _audit_call(
    settings: AgentSettings,
    name: str,
    *,
    arguments: Mapping[str, Any],
    token_id: str,
    outcome: CallOutcome,
    seconds: float,
) -> None:
    from agents.protocol.audit import AuditLog  # noqa: PLC0415
    from toolchain.inputs import STACK_NAME  # noqa: PLC0415

    fields: dict[str, Any] = {
        "tool": name,
        "token_id": token_id,
        "outcome": outcome.outcome,
        "tokens": outcome.tokens,
        "budget": outcome.budget,
        "seconds": round(seconds, 3),
    }
    stack = arguments.get("stack")
    if isinstance(stack, str) and STACK_NAME.fullmatch(stack):
        fields["stack"] = stack  # only a valid name: arguments are the caller's, not ours
    for name_of_file in ("export", "baseline"):  # the file the call named, as it named it
        given = arguments.get(name_of_file)
        if isinstance(given, str):
            fields[name_of_file] = untrusted.escape(given[:200])
    if outcome.error:
        fields["error"] = outcome.text[:300]
    AuditLog(settings.audit_log).append("mcp.call", **fields)


def _run_in_context(
    skill: Skill,
    arguments: Mapping[str, Any],
    context_factory: Callable[[], SkillContext],
    lock_wait_s: float = -1,
) -> CallOutcome:
    """Make the call's context and run the tool; never raises."""
    try:
        context = context_factory()
    except ToolchainError as exc:
        return _failure(str(exc), "error", _budget(skill, arguments))
    except Exception:
        log.exception("MCP tool %s: no skill context", skill.name)
        return _failure(_INTERNAL.format(skill.name), "internal-error", skill.budget)
    return run_tool(skill, arguments, context, lock_wait_s=lock_wait_s)


def audit_or_withhold(
    settings: AgentSettings,
    skill: Skill,
    arguments: Mapping[str, Any],
    token_id: str,
    outcome: CallOutcome,
    *,
    seconds: float,
) -> CallOutcome:
    """Put one call on the audit log; a record that cannot be written turns the result into
    an error (fail closed: nothing leaves unaudited). Never raises."""
    try:
        _audit_call(
            settings,
            skill.name,
            arguments=arguments,
            token_id=token_id,
            outcome=outcome,
            seconds=seconds,
        )
    except (OSError, ToolchainError) as exc:
        why = (getattr(exc, "strerror", None) or str(exc)).splitlines()[0]
        log.error("MCP call %s not audited (%s): result withheld", skill.name, why)  # noqa: TRY400
        return _failure(
            f"{skill.name}: the audit log cannot be written ({why}); the result is withheld",
            "error",
            outcome.budget,
        )
    return outcome


def call_and_audit(
    settings: AgentSettings,
    skill: Skill,
    arguments: Mapping[str, Any],
    context_factory: Callable[[], SkillContext],
    token_id: str,
) -> CallOutcome:
    """Run one call (without the server's time limit) and audit it (see `audit_or_withhold`)."""
    started = time.monotonic()
    outcome = _run_in_context(skill, arguments, context_factory)
    return audit_or_withhold(
        settings, skill, arguments, token_id, outcome, seconds=time.monotonic() - started
    )


# A slow call tells its client what it does: `notifications/progress` (only when the client
# sent a progress token; the SDK drops them otherwise). A call on a stack export (the offline plan
# takes seconds) says so at once and when it ends; any call says what it does every
# PROGRESS_EVERY_S while it runs, and at once when its stage changes.
PROGRESS_EVERY_S = 1.0
PROGRESS_POLL_S = 0.1
ProgressSink = Callable[[float, "float | None", "str | None"], Awaitable[None]]


class ProgressReporter:
    """The progress notifications of one call: the progress is the seconds elapsed (always
    rising), the message the call's stage (`agents.skills.registry.stage`, set from its worker
    thread) and the seconds; a notification that cannot be sent is dropped (logged)."""

    def __init__(self, skill: Skill, sink: ProgressSink | None, started: float) -> None:
        self.skill = skill
        self.sink = sink
        self.started = started
        self.current = "running"
        self.plan_backed = "source" in skill.input.model_fields
        self._sent_stage: str | None = None
        self._last_sent = started
        self._last_progress = -1.0

    def stage(self, what: str) -> None:  # called from the worker thread
        self.current = untrusted.escape(one_line(what, 200))

    async def _send(self, message: str) -> None:
        if self.sink is None:
            return
        now = time.monotonic()
        value = max(round(now - self.started, 1), round(self._last_progress + 0.1, 1))
        self._last_progress, self._last_sent = value, now
        try:
            await self.sink(value, None, f"{self.skill.name}: {message}")
        except Exception as exc:  # noqa: BLE001 - a client gone or without a progress channel
            log.debug("MCP tool %s: progress not sent (%s)", self.skill.name, exc)

    async def tick(self) -> None:
        import anyio  # noqa: PLC0415

        if self.sink is None:
            return
        if self.plan_backed:
            self._sent_stage = self.current
            await self._send("started")
        while True:
            await anyio.sleep(PROGRESS_POLL_S)
            now = time.monotonic()
            changed = self.current != self._sent_stage and (
                self.plan_backed or now - self.started >= PROGRESS_EVERY_S
            )
            if changed or now - self._last_sent >= PROGRESS_EVERY_S:
                self._sent_stage = self.current
                await self._send(f"{self.current} ({now - self.started:.0f}s)")

    async def done(self, outcome: CallOutcome) -> None:
        if self.plan_backed or self._last_progress >= 0:
            await self._send(
                f"{'failed' if outcome.error else 'done'} in {time.monotonic() - self.started:.1f}s"
            )


class CallLimits:
    """Every call's time limit and how many run at once (`AGENTS_MCP_CALL_TIMEOUT_S`,
    `AGENTS_MCP_MAX_CONCURRENT_CALLS`, `AGENTS_MCP_QUEUE_WAIT_S`).

    A call runs in a worker thread holding one of `slots`; past the time limit the client gets
    a one-line timeout error (audited) at once, while the worker (a thread cannot be killed)
    finishes in the background and only then frees its slot, its answer dropped. So runaway
    calls cannot pile up: once every slot is held, a new call waits `queue_wait_s` and is then
    refused as busy, in one line, audited."""

    def __init__(self, settings: AgentSettings) -> None:
        self.timeout_s = settings.mcp_call_timeout_s
        self.queue_wait_s = settings.mcp_queue_wait_s
        self.slots = threading.BoundedSemaphore(settings.mcp_max_concurrent_calls)

    async def _take_slot(self) -> bool:
        import anyio  # noqa: PLC0415

        deadline = time.monotonic() + self.queue_wait_s
        while not self.slots.acquire(blocking=False):
            if time.monotonic() >= deadline:
                return False
            await anyio.sleep(0.02)
        return True

    async def run(
        self,
        skill: Skill,
        arguments: Mapping[str, Any],
        context_factory: Callable[[], SkillContext],
        progress: ProgressSink | None = None,
    ) -> CallOutcome:
        """The call's outcome; `progress` (when given) gets the notifications of
        `ProgressReporter` while it runs."""
        import anyio  # noqa: PLC0415
        import anyio.to_thread  # noqa: PLC0415

        from agents.skills.registry import STAGE  # noqa: PLC0415

        budget = _budget(skill, arguments)
        if not await self._take_slot():
            return _failure(
                f"{skill.name}: busy ({self.slots._initial_value} calls already running); "  # type: ignore[attr-defined]
                "try again later",
                "busy",
                budget,
            )
        started = time.monotonic()
        reporter = ProgressReporter(skill, progress, started)

        def work() -> CallOutcome:
            mark = STAGE.set(reporter.stage)  # this worker's own context: its own stage
            try:
                left = max(0.0, self.timeout_s - (time.monotonic() - started))
                return _run_in_context(skill, arguments, context_factory, lock_wait_s=left)
            finally:
                STAGE.reset(mark)
                self.slots.release()  # only when the worker really ends

        with anyio.move_on_after(self.timeout_s) as scope:
            async with anyio.create_task_group() as group:
                group.start_soon(reporter.tick)
                outcome = await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
                group.cancel_scope.cancel()
            await reporter.done(outcome)
            return outcome
        assert scope.cancelled_caught
        log.warning("MCP tool %s: over its %ss time limit", skill.name, self.timeout_s)
        return _failure(
            f"{skill.name}: timed out after {self.timeout_s:g}s (AGENTS_MCP_CALL_TIMEOUT_S); "
            "narrow the request and try again",
            "timeout",
            budget,
        )


# -- auditing every request, unknown tools and malformed calls included ---------------------------
# Set by the tool functions once their call is on the audit log, so the middleware records only
# what never reached them (an unknown tool, parameters the SDK refused).
_AUDITED: contextvars.ContextVar[list[bool] | None] = contextvars.ContextVar(
    "baseline_mcp_audited", default=None
)
_KNOWN_METHODS = frozenset(
    {"initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
     "resources/templates/list", "prompts/list", "prompts/get", "completion/complete",
     "logging/setLevel", "server/discover", "subscriptions/listen", "resources/subscribe",
     "resources/unsubscribe"}
)  # fmt: skip
_TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")


def _mark_audited() -> None:
    holder = _AUDITED.get()
    if holder is not None:
        holder[0] = True


def _request_token_id(request: Any) -> str:
    from mcp.server.auth.middleware.auth_context import get_access_token  # noqa: PLC0415
    from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser  # noqa: PLC0415

    scope = getattr(request, "scope", None)
    user = scope.get("user") if isinstance(scope, dict) else None
    access = user.access_token if isinstance(user, AuthenticatedUser) else get_access_token()
    return access.client_id if access is not None else LOCAL


class AuditEveryRequest:
    """SDK middleware (`MCPServer(middleware=...)`, in front of the SDK's dispatcher): every
    request is audited, also those the SDK answers before any tool runs. A `tools/call` that
    reached a tool is recorded by the tool (`mcp.call`, with tokens and budget); one that did
    not (an unknown tool, parameters that do not validate) is recorded here as `mcp.call` with
    outcome `unknown-tool` or `input-error`; any other method is one `mcp.request` record. A
    `tools/call` record that cannot be written refuses the request (fail closed); the other
    methods (the handshake, the tool list) answer no data, and their failure is logged."""

    def __init__(self, settings: AgentSettings, names: frozenset[str]) -> None:
        self.settings = settings
        self.names = names

    def _record(self, event: str, *, refuse: bool = True, **fields: Any) -> None:
        from agents.protocol.audit import AuditLog  # noqa: PLC0415

        try:
            AuditLog(self.settings.audit_log).append(event, **fields)
        except (OSError, ToolchainError) as exc:
            if not refuse:  # the handshake and the tool list carry no data: logged, not refused
                log.error("MCP %s not audited (%s)", fields.get("method"), exc)  # noqa: TRY400
                return
            from mcp.shared.exceptions import MCPError  # noqa: PLC0415
            from mcp_types import INTERNAL_ERROR  # noqa: PLC0415

            why = (getattr(exc, "strerror", None) or str(exc)).splitlines()[0]
            log.error("MCP request not audited (%s): refused", why)  # noqa: TRY400
            raise MCPError(
                code=INTERNAL_ERROR,
                message=f"the audit log cannot be written ({why}); the request is refused",
            ) from None

    async def __call__(self, ctx: Any, call_next: Any) -> Any:
        if ctx.request_id is None:  # a notification: nothing is answered
            return await call_next(ctx)
        method = ctx.method if ctx.method in _KNOWN_METHODS else "(other)"
        params = ctx.params if isinstance(ctx.params, Mapping) else {}
        raw_name = params.get("name")
        tool = (
            raw_name
            if isinstance(raw_name, str) and _TOOL_NAME.fullmatch(raw_name)
            else "(invalid)"
        )
        token_id = _request_token_id(ctx.request)
        holder = [False]
        mark = _AUDITED.set(holder)
        started = time.monotonic()
        outcome, error = "ok", None
        try:
            return await call_next(ctx)
        except Exception as exc:
            outcome = "input-error" if _is_input_error(exc) else "error"
            error = untrusted.escape(one_line(str(exc), 300))
            raise
        finally:
            _AUDITED.reset(mark)
            seconds = round(time.monotonic() - started, 3)
            if ctx.method == "tools/call" and not holder[0]:
                if outcome == "ok":  # answered by the SDK without reaching a tool
                    outcome = "unknown-tool" if tool not in self.names else "input-error"
                    error = f"unknown tool {tool}" if tool not in self.names else "not run"
                fields: dict[str, Any] = {"tool": tool, "token_id": token_id}
                self._record("mcp.call", **fields, outcome=outcome, seconds=seconds, error=error)
            elif ctx.method != "tools/call":
                extra = {"error": error} if error else {}
                self._record(
                    "mcp.request",
                    refuse=False,
                    method=method,
                    token_id=token_id,
                    outcome=outcome,
                    seconds=seconds,
                    **extra,
                )


def _is_input_error(exc: BaseException) -> bool:
    from mcp.shared.exceptions import MCPError  # noqa: PLC0415
    from mcp_types import INVALID_PARAMS, METHOD_NOT_FOUND  # noqa: PLC0415
    from pydantic import ValidationError  # noqa: PLC0415

    if isinstance(exc, ValidationError):
        return True
    return isinstance(exc, MCPError) and exc.error.code in (INVALID_PARAMS, METHOD_NOT_FOUND)


def _token_id(context: Context[Any, Any] | None) -> str:
    """The id of the bearer token the request came with (`local` without one)."""
    from mcp.server.auth.middleware.auth_context import get_access_token  # noqa: PLC0415
    from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser  # noqa: PLC0415

    request = None
    if context is not None:
        with contextlib.suppress(ValueError):  # no request context: called in-process
            request = context.request_context.request
    user = getattr(request, "scope", {}).get("user") if request is not None else None
    access = user.access_token if isinstance(user, AuthenticatedUser) else get_access_token()
    return access.client_id if access is not None else LOCAL


def _result(outcome: CallOutcome) -> CallToolResult:
    from mcp_types import CallToolResult, TextContent  # noqa: PLC0415

    meta: dict[str, Any] = {"baseline/tokens": outcome.tokens, "baseline/budget": outcome.budget}
    if not outcome.error:
        meta["baseline/data"] = "included" if outcome.data is not None else "omitted (over budget)"
    return CallToolResult(
        content=[TextContent(type="text", text=outcome.text)],
        structured_content=outcome.data,
        is_error=outcome.error,
        _meta=meta,
    )


@functools.cache
def _skill_tool() -> type:
    """The SDK's `Tool` with a `run` that passes the raw arguments on (see the module
    docstring); made on first use, as the SDK takes most of a second to import."""
    from mcp.server.mcpserver.tools import Tool  # noqa: PLC0415

    class SkillTool(Tool):
        async def run(
            self,
            arguments: dict[str, Any],
            context: Context[Any, Any],
            convert_result: bool = False,
        ) -> Any:
            return await self.fn(arguments, context)

    return SkillTool


def _make_tool(
    skill: Skill,
    settings: AgentSettings,
    context_factory: Callable[[], SkillContext],
    limits: CallLimits | None = None,
) -> Any:
    from mcp.server.mcpserver.utilities.func_metadata import (  # noqa: PLC0415
        ArgModelBase,
        FuncMetadata,
    )
    from mcp_types import ToolAnnotations  # noqa: PLC0415

    bounds = limits or CallLimits(settings)

    async def call(arguments: dict[str, Any], context: Context[Any, Any]) -> CallToolResult:
        import anyio.to_thread  # noqa: PLC0415

        token_id = _token_id(context)
        started = time.monotonic()

        async def progress(value: float, total: float | None, message: str | None) -> None:
            await context.report_progress(value, total, message)

        outcome = await bounds.run(skill, arguments, context_factory, progress)
        outcome = await anyio.to_thread.run_sync(
            functools.partial(
                audit_or_withhold,
                settings,
                skill,
                arguments,
                token_id,
                outcome,
                seconds=time.monotonic() - started,
            )
        )
        _mark_audited()
        return _result(outcome)

    from agents.skills.registry import DATA_NOTICE  # noqa: PLC0415

    return _skill_tool()(
        fn=call,
        name=skill.name,
        description=f"{skill.summary} {DATA_NOTICE}",
        parameters=skill.input.model_json_schema(),
        fn_metadata=FuncMetadata(arg_model=ArgModelBase),
        is_async=True,
        annotations=ToolAnnotations(
            read_only_hint=True, destructive_hint=False, idempotent_hint=True
        ),
    )


def with_export_reader(context: SkillContext) -> SkillContext:
    """`context`, reading export files by path only inside its settings' allowed folders
    (`agents.mcp.exports`) unless it already has a reader (a test's)."""
    import dataclasses  # noqa: PLC0415

    if context.read_export is not None:
        return context
    from agents.mcp.exports import read_export  # noqa: PLC0415

    folders = context.settings.export_dirs

    def reader(path: str, what: str) -> Any:
        return read_export(path, what, folders)

    return dataclasses.replace(context, read_export=reader)


def build_server(
    settings: AgentSettings,
    *,
    context_factory: Callable[[], SkillContext] | None = None,
    tokens: BearerTokenVerifier | None = None,
    issuer_url: str = "http://127.0.0.1",
) -> MCPServer:
    """The MCP server. `context_factory` makes the `SkillContext` of each call (default: a fresh
    one per call, so a live stack is read anew); `tokens` turns on bearer authentication (the
    HTTP transport; scope `read` required); without it the server trusts its caller (stdio)."""
    from mcp.server.auth.settings import AuthSettings  # noqa: PLC0415
    from mcp.server.mcpserver import MCPServer  # noqa: PLC0415

    from agents.skills.registry import SkillContext  # noqa: PLC0415

    made = context_factory or (lambda: SkillContext(settings=settings))

    def factory() -> SkillContext:
        return with_export_reader(made())

    limits = CallLimits(settings)
    offered = tools()
    auth = None
    if tokens is not None:
        auth = AuthSettings(
            issuer_url=issuer_url,  # type: ignore[arg-type]  # pydantic parses the string
            resource_server_url=None,
            required_scopes=["read"],
        )
    from agents.skills.registry import DATA_NOTICE  # noqa: PLC0415

    return MCPServer(
        SERVER_NAME,
        instructions="Read-only tools over the baseline platform's stacks and agents. Every "
        f"tool takes `budget` (o200k tokens) and never returns more. {DATA_NOTICE}",
        tools=[_make_tool(s, settings, factory, limits) for s in offered.values()],
        token_verifier=tokens,
        auth=auth,
        log_level="WARNING",
        middleware=[AuditEveryRequest(settings, frozenset(offered))],
    )


# -- serving -------------------------------------------------------------------------------------
def _unspecified(address: str) -> bool:
    """`0.0.0.0`, `::`, and the IPv4-mapped `::ffff:0.0.0.0` (which listens on every IPv4
    address too)."""
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return ip.is_unspecified or (mapped is not None and mapped.is_unspecified)


def check_bind(host: str, allow_any_host: bool) -> str:
    """`host`, unless it binds every interface without `allow_any_host`: `0.0.0.0`, `::`, an
    empty host, or any name that resolves to one of them (`0` does)."""
    bare = host.strip().strip("[]")
    if bare in ("", "*"):
        unspecified = True
    else:
        try:
            infos = socket.getaddrinfo(bare, None, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise InputError(f"mcp: --host {host!r} cannot be resolved ({exc})") from None
        unspecified = any(_unspecified(str(info[4][0]).split("%")[0]) for info in infos)
    if unspecified and not allow_any_host:
        raise InputError(
            f"mcp: --host {host!r} listens on every interface; bind 127.0.0.1 (and tunnel), "
            "a specific address, or pass --allow-any-host"
        )
    return bare


def transport_security(
    host: str, port: int | None = None, names: tuple[str, ...] | list[str] = ()
) -> Any:
    """The Host/Origin allow-list (DNS-rebinding protection) for any bind address: the address
    itself with its port (any port when `port` is None), `localhost` too for a loopback
    address, and the configured `names` (`AGENTS_MCP_ALLOWED_HOSTS`: a proxy's name, with or
    without a port). The SDK turns it on only for 127.0.0.1, localhost and ::1; here it is on
    for every address, so `--host 127.0.0.2` or a LAN address accepts no forged Host."""
    from mcp.server.transport_security import TransportSecuritySettings  # noqa: PLC0415

    bare = host.strip().strip("[]")
    hosts = [f"[{bare}]" if ":" in bare else bare]
    with contextlib.suppress(ValueError):
        if ipaddress.ip_address(bare.split("%")[0]).is_loopback:
            hosts.append("localhost")
    suffix = f":{port}" if port is not None else ":*"
    allowed = [h + suffix for h in hosts]
    if port in (80, None):
        allowed += hosts  # a Host header without a port means 80
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        has_port = name.rsplit(":", 1)[-1].isdigit() and not name.endswith("]")
        allowed += [name] if has_port else [name, f"{name}:*"]
    origins = [f"{scheme}://{h}" for h in allowed for scheme in ("http", "https")]
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=allowed, allowed_origins=origins
    )


def http_app(
    server: MCPServer,
    host: str,
    port: int | None = None,
    names: tuple[str, ...] | list[str] = (),
) -> Starlette:
    """The ASGI app of the streamable HTTP transport (stateless, SSE answers; see the module
    docstring), checking Host and Origin against `transport_security` for every address."""
    return server.streamable_http_app(
        stateless_http=True,
        json_response=False,
        host=host,
        transport_security=transport_security(host, port, names),
    )


HEALTH_PATH = "/healthz"


class HealthRoute:
    """ASGI middleware in front of everything else (the token store's gate, the auth, the Host
    check): `GET` or `HEAD /healthz` is answered 200 `ok` while the server's event loop answers,
    without a token, saying nothing of the store, the tokens or the tools. The kubelet's probes
    of the in-cluster server (components/mcp.py) use it: a token store that cannot be read
    refuses every MCP request with 503, and restarting the pod would not mend it."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http" and scope.get("path") == HEALTH_PATH:
            method = scope.get("method")
            status, body = (200, b"ok\n") if method in ("GET", "HEAD") else (405, b"")
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"cache-control", b"no-store"),
            ]
            if status == 405:
                headers.append((b"allow", b"GET, HEAD"))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})
            return
        await self.app(scope, receive, send)


def serve(
    transport: Literal["stdio", "http"],
    host: str | None = None,
    port: int | None = None,
    *,
    settings: AgentSettings,
    allow_any_host: bool = False,
) -> None:
    """Run the server until interrupted. Over HTTP the tokens come from the store that
    `agents.mcp.tokens.open_token_source` picks; every request needs one."""
    if transport == "stdio":
        if host is not None or port is not None:
            raise InputError("mcp: --host and --port apply to --transport http only")
        build_server(settings).run("stdio")
        return
    bind = check_bind(host if host is not None else "127.0.0.1", allow_any_host)
    import uvicorn  # noqa: PLC0415

    from agents.mcp.tokens import (  # noqa: PLC0415
        BearerTokenVerifier,
        StoreGate,
        open_token_source,
    )
    from agents.protocol.audit import AuditLog  # noqa: PLC0415

    source = open_token_source(settings)  # AGENTS_MCP_TOKEN_STORE: file, dynamodb, secretsmanager
    verifier = BearerTokenVerifier(source, audit=AuditLog(settings.audit_log))
    verifier.records()  # a refused or empty store is logged now, not at the first request
    port = DEFAULT_PORT if port is None else port
    shown = f"[{bind}]" if ":" in bind else bind
    server = build_server(settings, tokens=verifier, issuer_url=f"http://{shown}:{port}")
    print(
        f"MCP server on http://{shown}:{port}/mcp (bearer tokens from {source.where}); "
        "Ctrl-C stops it",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        # /healthz first (the probes), then a store that cannot be read answers 503 with the
        # reason, before any token is checked.
        HealthRoute(StoreGate(http_app(server, bind, port, settings.mcp_allowed_hosts), verifier)),
        host=bind,
        port=port,
        log_level="warning",
        server_header=False,
    )
    uvicorn.Server(config).run()


# -- the command line ----------------------------------------------------------------------------
def cmd_mcp(args: argparse.Namespace) -> int:
    from agents.protocol.settings import load_settings  # noqa: PLC0415

    if args.transport == "stdio" and args.allow_any_host:
        raise InputError("mcp: --allow-any-host applies to --transport http only")
    if args.transport == "http":
        check_bind(args.host if args.host is not None else "127.0.0.1", args.allow_any_host)
    serve(
        args.transport,
        args.host,
        args.port,
        settings=load_settings(),
        allow_any_host=args.allow_any_host,
    )
    return 0


def _token_file(action: str) -> Any:
    from agents.mcp.tokens import (  # noqa: PLC0415
        SECRET_ENV,
        DynamoDBTokens,
        TokenFile,
        open_token_source,
    )
    from agents.protocol.settings import load_settings  # noqa: PLC0415

    source = open_token_source(load_settings())
    if action != "list" and not isinstance(source, TokenFile | DynamoDBTokens):
        raise InputError(
            f"mcp-token {action}: the server reads its tokens from {source.where} ({SECRET_ENV}), "
            "which this command does not write; unset it to manage the file store, then upload "
            "the file (it holds only hashes) with `aws secretsmanager put-secret-value`"
        )
    return source


def _cell(value: Any) -> str:
    return untrusted.escape(",".join(value) if isinstance(value, list) else str(value or ""))


_LIST_COLUMNS = ("id", "name", "scopes", "status", "createdAt", "expiresAt", "graceUntil")


def cmd_mcp_token(args: argparse.Namespace) -> int:
    from agents.mcp.tokens import Issued  # noqa: PLC0415

    store = _token_file(args.token_command)
    if args.token_command == "list":
        rows = store.list()
        if args.json:
            print(json.dumps(rows, indent=2))
            return 0
        from tabulate import tabulate  # noqa: PLC0415

        print(
            tabulate(
                [[_cell(r[k]) for k in _LIST_COLUMNS] for r in rows],
                headers=["id", "name", "scopes", "status", "created", "expires", "grace until"],
                tablefmt="github",
            )
            if rows
            else f"no MCP tokens in {store.where}"
        )
        return 0
    if args.token_command == "revoke":
        record = store.revoke(args.id)
        when = getattr(store, "takes_effect", "from the next request")
        print(f"MCP token {record.id} ({record.name}): revoked; refused {when}")
        return 0
    issued: Issued
    if args.token_command == "create":
        issued = store.create(args.name, tuple(args.scope or ["read"]), args.ttl_days)
        note = f"MCP token {issued.id} created for {args.name!r}"
    else:
        issued = store.rotate(args.id, args.grace)
        note = (
            f"MCP token {args.id} rotated to {issued.id}; the old token works "
            f"{args.grace:.0f}s more"
        )
    # The token alone on stdout (so `> file` or a pipe takes just it), the rest on stderr.
    print(f"{note}. The token is shown only now; only its hash is kept:", file=sys.stderr)
    print(issued.token, flush=True)
    return 0


def add_mcp_commands(sub: Any, parser_class: type[argparse.ArgumentParser]) -> None:
    """`mcp` and `mcp-token` sub-commands (called by `agents.cli.main.build_parser`)."""
    from agents.mcp.tokens import (  # noqa: PLC0415
        DEFAULT_GRACE_S,
        DEFAULT_TTL_DAYS,
        MAX_GRACE_S,
        MAX_TTL_DAYS,
        SCOPES,
        TOKEN_ID,
    )

    mcp = sub.add_parser("mcp", help="serve the read-only skills as MCP tools (stdio or HTTP)")
    mcp.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    mcp.add_argument("--host", help="HTTP: address to bind (default 127.0.0.1)")
    mcp.add_argument(
        "--port", type=int_range(1, 65535), help=f"HTTP: port (default {DEFAULT_PORT})"
    )
    mcp.add_argument(
        "--allow-any-host",
        action="store_true",
        help="HTTP: allow binding every interface (0.0.0.0 or ::)",
    )
    mcp.set_defaults(func=cmd_mcp)

    def token_id(value: str) -> str:
        if not TOKEN_ID.fullmatch(value):
            raise argparse.ArgumentTypeError(
                f"{value[:40]!r} is not a token id (12 hex characters, as `list` shows them)"
            )
        return value

    token_id.__name__ = "token id"
    tokens = sub.add_parser("mcp-token", help="create, rotate, revoke and list MCP bearer tokens")
    token_sub = tokens.add_subparsers(
        dest="token_command", required=True, parser_class=parser_class
    )
    create = token_sub.add_parser("create", help="a new token, printed once")
    create.add_argument("--name", required=True, help="who or what uses it")
    create.add_argument(
        "--scope", action="append", choices=SCOPES, help="read (default; repeatable)"
    )
    create.add_argument(
        "--ttl-days",
        type=int_range(1, MAX_TTL_DAYS),
        default=DEFAULT_TTL_DAYS,
        help=f"lifetime in days (default {DEFAULT_TTL_DAYS})",
    )
    rotate = token_sub.add_parser("rotate", help="a new token replacing ID, printed once")
    rotate.add_argument("id", type=token_id)
    rotate.add_argument(
        "--grace",
        type=float_range(0, MAX_GRACE_S),
        default=DEFAULT_GRACE_S,
        help=f"seconds the old token keeps working (default {DEFAULT_GRACE_S:.0f})",
    )
    revoke = token_sub.add_parser("revoke", help="refuse ID from the next request")
    revoke.add_argument("id", type=token_id)
    listing = token_sub.add_parser("list", help="every token, without secrets")
    listing.add_argument("--json", action="store_true")
    tokens.set_defaults(func=cmd_mcp_token)


__all__ = [
    "FORBIDDEN_TOOLS",
    "HealthRoute",
    "add_mcp_commands",
    "build_server",
    "check_bind",
    "http_app",
    "read_tools",
    "serve",
    "tools",
]

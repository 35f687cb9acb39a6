"""The agents' gateway to Pulumi: one small interface (`Gateway`) through which agents preview,
update, refresh, drift-check and read stacks, and its implementation on the Automation API
(`AutomationGateway`). The rest of the agent code talks to `Gateway` only, so it is tested without
the CLI; `AutomationGateway` is tested against a double of the CLI (tests/agents/fake_pulumi).

What `AutomationGateway` does, and why:

- One `LocalWorkspace` on the repository's own `Pulumi.yaml` (work_dir = the repository root): the
  program the agents deploy is the program in this repository, never an inline one.
- Stacks are selected (`pulumi stack select --stack <s>`), never created: a stack is created by a
  person who chooses its backend and secrets provider. A typo in a stack name must fail with
  `UnknownStack`, not plan to create every resource in a new, empty stack. (Selecting records the
  workspace's current stack under PULUMI_HOME; harmless, since every command also names the stack
  with `--stack`.)
- Every preview and up runs both CrossGuard packs with that stack's policy config:
  `--policy-pack policies/security --policy-pack policies/cost --policy-pack-config
  policies/config/<stack>/security.json --policy-pack-config policies/config/<stack>/cost.json`.
  A stack without its own folder gets the default one (`toolchain.gate.policy_config_dir`:
  prod's), and its run says so in the audit log (`gateway.policy-config`, with the notice).
- Each operation tells the program which role its providers assume (`BASELINE_PROVIDER_ROLE`,
  toolchain.gate.PROVIDER_ROLE_ENV, in the workspace's environment just before the command):
  `preview` (the stack's read-only `previewRoleArn`) for preview, drift-check, outputs, export and
  history, which only read; `deploy` (`deployRoleArn`) for up (an approved up's own fresh preview
  excepted) and refresh, which write the stack's state and are the release engineer's alone. The
  operations of one gateway run one at a time (an agent's loop), so one workspace's environment
  is set per operation.
- Refreshes run the program (`--run-program`): without it the engine configures their providers
  from the state, that is as the role of the last up, and a drift check would need the deploy
  role.
- The state holds the providers' inputs of the last up, whose role is the deploy role, so a run
  as the preview role shows each provider "updated" in its credential input alone (`assumeRoles`
  of an AWS provider, the token command's role in a Kubernetes provider's `kubeconfig`). Such a
  step says how the run authenticates, not what it would change: a preview as the preview role
  counts it as unchanged (`same`), records it (`provider-credentials` in the audit log) and
  leaves it out of `steps`, `changes` and the fingerprint. A provider step with any other diff
  (its region, its allowed accounts) stays a change, and in a deploy run every step counts.
- Drift is `pulumi refresh --preview-only` (`Stack.preview_refresh`): it compares the state with
  the cloud and writes nothing. `preview --refresh` would mix drift with changes to the program.
- Engine events are streamed (`on_event`) into the audit log as one compact line per changing
  resource step, failed step, policy violation, error diagnostic and summary, between a `start` and
  a `done` line that share a run id. Inputs and outputs in events are never copied anywhere.
- Secrets stay out: stack outputs come back with secret values as `[secret]`, exports with secret
  plaintext replaced by a placeholder, update summaries are read without `--show-secrets`. (The
  Automation API itself reads outputs and exports with `--show-secrets`; the plaintext lives only
  in this process, for the length of the call.)
- CLI errors become typed errors, all `GatewayError`: `UnknownStack`, `StackBusy`,
  `PolicyViolations`, `UnexpectedChanges`, `GatewayCommandError`, `PlanChanged`,
  `MissingPolicyConfig`, `CliUnavailable`.

Every CLI command runs as a supervised child of the agent (`agents.runtime.pulumi_cli`,
`agents.protocol.supervision`): its own process group, killed with the agent, cancelled by
SIGTERM/SIGINT.
A cancelled operation ends with a `done` line of outcome `interrupted` and raises `Interrupted`
(not a `GatewayError`: nothing failed, the agent was told to stop), after the CLI has exited.

The CLI is `settings.pulumi_command/bin/pulumi` when set (`AGENTS_PULUMI_COMMAND`), else the
`pulumi` on PATH; it must be 3.169.0 or newer (`refresh --preview-only --run-program`).
Backend, secrets passphrase and cloud credentials come from the process environment as for any
CLI run (`PULUMI_BACKEND_URL`, `PULUMI_CONFIG_PASSPHRASE_FILE`, `AWS_PROFILE`, ...).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

from agents import AgentsError
from agents.protocol import audit_sink
from agents.protocol.audit import AuditLog
from agents.protocol.settings import AgentSettings
from agents.protocol.supervision import SUPERVISOR, Interrupted, Supervisor
from agents.runtime import telemetry
from toolchain.export import (
    SECRET_SIG,
    SECRET_VALUE_SIG,
    SHAPE_ERRORS,
    ExportError,
    StackExport,
    parse_export,
)
from toolchain.gate import (
    PACKS,
    POLICIES,
    POLICY_PACKS_ENV,
    PROVIDER_ROLE_ENV,
    PolicyConfigError,
    policy_config_dir,
)

if TYPE_CHECKING:
    from pulumi import automation as auto

ROOT = Path(__file__).resolve().parents[2]
# `pulumi refresh --preview-only --run-program`, which drift_check runs.
MIN_CLI_VERSION = "3.169.0"
TAIL_LINES = 40
MESSAGE_CHARS = 500
REDACTED = "[redacted by the agents' gateway]"
# Operations that change the stack (its resources or its state): refused while the audit sink is
# behind (agents.protocol.audit_sink.refusal).
MUTATING = frozenset({"up", "refresh", "destroy", "import"})

# Ops that change nothing (the engine's `HasChanges` ignores them too); `refresh` is a refresh
# step before its result (same, update or delete) is known.
NO_CHANGE_OPS = frozenset({"same", "read", "read-discard", "read-replacement", "refresh"})
# The inputs of a provider that say only how it authenticates: the role it assumes (AWS), the
# token command that carries that role (Kubernetes). See the module docstring.
CREDENTIAL_INPUTS: Mapping[str, frozenset[str]] = {
    "pulumi:providers:aws": frozenset({"assumeRoles", "assumeRole"}),
    "pulumi:providers:kubernetes": frozenset({"kubeconfig"}),
}
# Halves of a replacement and other steps the engine takes on the way to a logical step; the
# logical step (`replace`, ...) stands for them in results, as in the CLI's own display.
HELPER_OPS = frozenset(
    {
        "create-replacement",
        "delete-replaced",
        "discard-replaced",
        "import-replacement",
        "remove-pending-replace",
    }
)

_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*){0,2}$")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_EXIT_CODE = re.compile(r"^\s*code: (-?\d+)", re.MULTILINE)


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One resource step the engine announced. `id` is the provider id of the existing resource
    (empty for a create); `replace_keys` the properties forcing a replacement; `diffs` the
    properties that change. Values are never kept: engine events carry any input or output a
    program forgot to mark secret."""

    op: str
    urn: str
    type: str
    id: str = ""
    replace_keys: tuple[str, ...] = ()
    diffs: tuple[str, ...] = ()
    protected: bool = False
    inputs_digest: str = ""  # SHA-256 of the new inputs: binds an approval to the values

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class PolicyViolation:
    """A policy event of the engine: `level` is the enforcement level (`mandatory` blocks)."""

    pack: str
    policy: str
    level: str
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.level == "mandatory"


@dataclass(frozen=True, kw_only=True)
class OperationResult:
    """What one operation did or would do, as the engine reported it.

    `changes` is the engine's summary (count per op, `same` included); `steps` the changing steps
    in the order the engine announced them, one per resource; `violations` the policy events;
    `errors` the error diagnostics; `stdout_tail` the CLI's last lines of output; `run` the id
    its lines in the audit log share."""

    stack: str
    operation: str
    run: str
    changes: Mapping[str, int]
    steps: tuple[Step, ...]
    violations: tuple[PolicyViolation, ...] = ()
    errors: tuple[str, ...] = ()
    stdout_tail: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def has_changes(self) -> bool:
        return bool(self.steps) or any(
            n for op, n in self.changes.items() if op not in NO_CHANGE_OPS
        )

    def of_op(self, op: str) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.op == op)

    @property
    def replaces(self) -> tuple[Step, ...]:
        return self.of_op("replace")

    @property
    def deletes(self) -> tuple[Step, ...]:
        return self.of_op("delete")

    @property
    def mandatory_violations(self) -> tuple[PolicyViolation, ...]:
        return tuple(v for v in self.violations if v.mandatory)

    @property
    def fingerprint(self) -> str:
        """A digest of the change set (op and URN of every changing step, order-free): what a
        reviewer approves and `Gateway.up(expect=...)` checks. Property values are left out, so
        a new value for a property already changing keeps the fingerprint."""
        lines = sorted(f"{s.op} {s.urn}" for s in self.steps)
        return hashlib.sha256("\n".join(lines).encode()).hexdigest()


@dataclass(frozen=True, kw_only=True)
class PreviewResult(OperationResult):
    refresh: bool = False
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class UpResult(OperationResult):
    """`outputs` are the stack outputs after the update, secret values as `[secret]`; `version`
    and `result` come from the stack's history. `expected` is the fingerprint the caller asked
    for; `as_expected` says whether the applied change set matched it."""

    version: int | None = None
    result: str = ""
    outputs: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    expected: str | None = None

    @property
    def as_expected(self) -> bool:
        return self.expected is None or self.expected == self.fingerprint


@dataclass(frozen=True, kw_only=True)
class RefreshResult(OperationResult):
    version: int | None = None
    result: str = ""


@dataclass(frozen=True, kw_only=True)
class DriftResult(OperationResult):
    """A refresh preview: `steps` are the resources whose live state differs from the state
    (`update`) or that are gone (`delete`)."""

    @property
    def drifted(self) -> bool:
        return self.has_changes


# --- errors --------------------------------------------------------------------------------------


class GatewayError(AgentsError):
    """Base of the gateway's errors. `outcome` is the word the audit log records."""

    outcome = "failed"

    def __init__(self, message: str, *, stack: str = "", operation: str = "") -> None:
        super().__init__(message)
        self.stack = stack
        self.operation = operation


class CliUnavailable(GatewayError):
    """No usable Pulumi CLI: missing, not executable, or too old."""

    outcome = "cli-unavailable"


class UnknownStack(GatewayError):
    """The stack does not exist in the backend, or its name is not a stack name."""

    outcome = "unknown-stack"


class MissingPolicyConfig(GatewayError):
    """The stack has no policy config for one of the packs (policies/config/<stack>/<pack>.json)."""

    outcome = "missing-policy-config"


class StackBusy(GatewayError):
    """Another update holds the stack (Pulumi Cloud's 409, or a self-managed backend's lock)."""

    outcome = "busy"


class AuditBehind(GatewayError):
    """The audit sink is behind past `audit_max_lag_s` (or its state cannot be told): no change
    whose record cannot be kept (agents.protocol.audit_sink)."""

    outcome = "refused-audit-behind"


class PlanChanged(GatewayError):
    """`up(expect=...)`: the change set is no longer the one that was approved; nothing was
    applied. `result` is the fresh preview."""

    outcome = "plan-changed"

    def __init__(self, message: str, *, stack: str, expected: str, result: PreviewResult) -> None:
        super().__init__(message, stack=stack, operation="up")
        self.expected = expected
        self.result = result


class CliOutputUnreadable(GatewayError):
    """The CLI exited 0, but what it printed for a read (`stack export`, `stack output`,
    `stack history`) is not what it prints: cut short, not JSON, or JSON of another shape.
    Nothing is read from it (the SDK's own parsing raised)."""

    outcome = "unreadable-output"


class GatewayCommandError(GatewayError):
    """The CLI failed. The message ends with its last error line; `result` holds what the engine
    reported before it stopped (steps done, violations, errors), when it got that far."""

    def __init__(
        self,
        message: str,
        *,
        stack: str,
        operation: str,
        exit_code: int | None = None,
        stderr_tail: tuple[str, ...] = (),
        result: OperationResult | None = None,
    ) -> None:
        super().__init__(message, stack=stack, operation=operation)
        self.exit_code = exit_code
        self.stderr_tail = stderr_tail
        self.result = result


class PolicyViolations(GatewayCommandError):
    """A mandatory policy stopped the preview or update; `result.violations` lists them."""

    outcome = "policy-violation"


class UnexpectedChanges(GatewayCommandError):
    """A preview run with `expect_no_changes` found changes; `result.steps` lists them."""

    outcome = "unexpected-changes"


# --- the interface -------------------------------------------------------------------------------


@runtime_checkable
class Gateway(Protocol):
    """The one interface the agents use to act on stacks. Every method raises `GatewayError`s
    only; every call is one run in the audit log."""

    def preview(
        self,
        stack: str,
        *,
        targets: Sequence[str] = (),
        refresh: bool = False,
        expect_no_changes: bool = False,
    ) -> PreviewResult:
        """What `up` would do, with both policy packs and the stack's policy config."""
        ...

    def up(self, stack: str, *, targets: Sequence[str] = (), expect: str | None = None) -> UpResult:
        """Apply the program; with `expect`, only if the change set has that fingerprint."""
        ...

    def refresh(self, stack: str, *, targets: Sequence[str] = ()) -> RefreshResult:
        """Adopt the live state of the stack's resources (of `targets` only, when given) into
        its state."""
        ...

    def drift_check(self, stack: str) -> DriftResult:
        """Compare state with the live resources, changing nothing."""
        ...

    def outputs(self, stack: str) -> dict[str, Any]:
        """The stack outputs, secret values as `[secret]`."""
        ...

    def export(self, stack: str) -> StackExport:
        """The stack's deployment, secret values redacted."""
        ...

    def history(self, stack: str, limit: int = 10) -> list[dict[str, Any]]:
        """The stack's last `limit` updates (newest first): kind, start and end, result,
        version, resource changes, message; config secrets never shown."""
        ...


# --- the Automation API implementation -----------------------------------------------------------

R = TypeVar("R")


class _Run:
    """One gateway call: its run id, its clock and its audit lines."""

    def __init__(
        self, audit: AuditLog, stack: str, operation: str, extra: Mapping[str, Any]
    ) -> None:
        self.audit = audit
        self.stack = stack
        self.operation = operation
        self.id = uuid.uuid4().hex[:12]
        self.extra = dict(extra)
        self.started = time.monotonic()

    @property
    def seconds(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def log(self, event: str, **fields: Any) -> None:
        self.audit.append(
            f"gateway.{event}",
            **self.extra,
            stack=self.stack,
            operation=self.operation,
            run=self.id,
            **fields,
        )


class _Collector:
    """Receives the engine events, stdout and stderr of one command; keeps what results need and
    writes the audit lines. Called from the Automation API's event thread."""

    def __init__(self, run: _Run) -> None:
        self.run = run
        self._lock = threading.Lock()
        self._steps: dict[str, Step] = {}
        # Set by `_provider_role`: the run is as the preview role, whose credential-only
        # provider updates are not changes (see the module docstring).
        self.read_only_role = False
        self._credential_only: set[str] = set()
        self._violations: list[PolicyViolation] = []
        self._errors: list[str] = []
        self._changes: dict[str, int] | None = None
        self._stdout: deque[str] = deque(maxlen=TAIL_LINES)
        self._stderr: deque[str] = deque(maxlen=TAIL_LINES)
        self._failure: Exception | None = None

    def on_output(self, line: str) -> None:
        self._stdout.append(_plain(line))

    def on_error(self, line: str) -> None:
        self._stderr.append(_plain(line))

    def on_event(self, event: auto.EngineEvent) -> None:
        try:
            with self._lock:
                self._take(event)
        # The SDK swallows an exception raised here (gRPC) or loses its event reader to it (event
        # log file); keep it and raise it once the command is over.
        except Exception as exc:  # noqa: BLE001
            self._failure = self._failure or exc

    def raise_deferred(self) -> None:
        if self._failure is not None:
            raise self._failure

    @property
    def stderr_tail(self) -> tuple[str, ...]:
        return tuple(self._stderr)

    def parts(self) -> dict[str, Any]:
        """The fields of `OperationResult` the events and output give."""
        with self._lock:
            steps = tuple(s for s in self._steps.values() if s.op not in NO_CHANGE_OPS)
            changes = dict(self._changes or {})
            if self._credential_only and changes.get("update"):
                moved = min(len(self._credential_only), changes["update"])
                changes["update"] -= moved
                changes["same"] = changes.get("same", 0) + moved
                if not changes["update"]:
                    del changes["update"]
            return {
                "stack": self.run.stack,
                "run": self.run.id,
                "changes": changes,
                "steps": steps,
                "violations": tuple(self._violations),
                "errors": tuple(self._errors),
                "stdout_tail": tuple(self._stdout),
                "seconds": self.run.seconds,
            }

    def _take(self, event: auto.EngineEvent) -> None:
        if event.resource_pre_event is not None:
            self._announce(event.resource_pre_event.metadata)
        elif event.res_outputs_event is not None:
            self._complete(event.res_outputs_event.metadata)
        elif event.res_op_failed_event is not None:
            m = event.res_op_failed_event.metadata
            self.run.log("step-failed", op=_op(m.op), urn=m.urn, type=m.type)
        elif event.policy_event is not None:
            p = event.policy_event
            violation = PolicyViolation(
                pack=p.policy_pack_name,
                policy=p.policy_name,
                level=p.enforcement_level,
                urn=p.resource_urn or "",
                message=_plain(p.message).strip()[:MESSAGE_CHARS],
            )
            self._violations.append(violation)
            self.run.log(
                "policy",
                pack=violation.pack,
                policy=violation.policy,
                level=violation.level,
                urn=violation.urn,
            )
        elif event.diagnostic_event is not None and event.diagnostic_event.severity == "error":
            d = event.diagnostic_event
            message = _plain(d.message).strip()[:MESSAGE_CHARS]
            self._errors.append(message)
            self.run.log("diagnostic", severity=d.severity, urn=d.urn or "", message=message)
        elif event.summary_event is not None:
            s = event.summary_event
            self._changes = {_op(op): int(n) for op, n in s.resource_changes.items()}
            self.run.log(
                "summary",
                changes=self._changes,
                duration_s=s.duration_seconds,
                policy_packs=dict(s.policy_packs),
            )

    def _announce(self, m: auto.StepEventMetadata) -> None:
        op = _op(m.op)
        if op in HELPER_OPS:
            return
        if self._credentials_only(op, m):
            op = "same"
        step = Step(
            op=op,
            urn=m.urn,
            type=m.type,
            id=m.old.id if m.old is not None else "",
            replace_keys=tuple(m.keys or ()),
            diffs=_diffs(m),
            protected=bool(m.old is not None and m.old.protect),
            inputs_digest=_inputs_digest(m),
        )
        self._steps[m.urn] = step
        if op not in NO_CHANGE_OPS:
            self.run.log("step", op=op, urn=m.urn, type=m.type)

    def _complete(self, m: auto.StepEventMetadata) -> None:
        """A refresh step learns its result (same, update, delete) only when it completes."""
        op = _op(m.op)
        known = self._steps.get(m.urn)
        if op in HELPER_OPS or (known is not None and known.op != "refresh"):
            return
        if known is None:
            self._announce(m)
            return
        if self._credentials_only(op, m):
            op = "same"
        self._steps[m.urn] = dataclasses.replace(known, op=op, diffs=_diffs(m) or known.diffs)
        if op not in NO_CHANGE_OPS:
            self.run.log("step", op=op, urn=m.urn, type=m.type)

    def _credentials_only(self, op: str, m: auto.StepEventMetadata) -> bool:
        """Whether this step is a provider's update in its credential inputs alone, in a run as
        the preview role (recorded once per provider)."""
        keys = CREDENTIAL_INPUTS.get(m.type)
        if not self.read_only_role or op != "update" or keys is None:
            return False
        diffs = {re.split(r"[.\[]", d, maxsplit=1)[0] for d in _diffs(m)}
        if not diffs or not diffs <= keys:
            return False
        if m.urn not in self._credential_only:
            self._credential_only.add(m.urn)
            self.run.log("provider-credentials", urn=m.urn, type=m.type, diffs=sorted(diffs))
        return True


def _op(op: Any) -> str:
    return str(getattr(op, "value", op))


def _inputs_digest(m: auto.StepEventMetadata) -> str:
    new = getattr(m, "new", None)
    inputs = getattr(new, "inputs", None) if new is not None else None
    if inputs is None:
        return ""
    blob = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _diffs(m: auto.StepEventMetadata) -> tuple[str, ...]:
    return tuple(m.diffs or sorted(m.detailed_diff or {}))


def _plain(text: str) -> str:
    return _ANSI.sub("", text)


def _redact(value: Any) -> Any:
    """Secret plaintext (what `pulumi stack export --show-secrets` prints) replaced by a
    placeholder ciphertext, the shape an export without --show-secrets has."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE_SIG:
            return {SECRET_SIG: SECRET_VALUE_SIG, "ciphertext": REDACTED}
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _command_output(exc: Exception) -> tuple[int | None, str]:
    """Exit code and stderr of a `CommandError` (the SDK keeps them only in its message:
    `code: <n>`, `stdout: ...`, `stderr: ...`)."""
    text = str(exc)
    found = _EXIT_CODE.search(text)
    return (int(found.group(1)) if found else None), text.rpartition("\n stderr: ")[2]


def _error_line(stderr: str, errors: Sequence[str] = ()) -> str:
    """The CLI's last error line on stderr; failing that, the engine's first error diagnostic
    (a failed resource reports its cause there, not on stderr)."""
    lines = [line.strip() for line in _plain(stderr).splitlines() if line.strip()]
    marked = [line for line in lines if line.startswith("error:")]
    if marked:
        return marked[-1]
    if lines:
        return lines[-1]
    return errors[0] if errors else "no error message"


def _change_args(c: _Collector) -> dict[str, Any]:
    """What `up` and `refresh` are both given: the run's message, no colour, no secrets, and
    the collector's callbacks."""
    return {
        "message": f"agents gateway run {c.run.id}",
        "color": "never",
        "show_secrets": False,
        "on_event": c.on_event,
        "on_output": c.on_output,
        "on_error": c.on_error,
    }


def _read_cli(read: Callable[[], R], stack: str, operation: str) -> R:
    """`read()`, an SDK call whose CLI command exited 0 and whose output the SDK then parses
    (`stack export`, `stack output`, `stack history`; `up` and `refresh` read the outputs and
    the history after the change), with what the SDK raises on output it cannot read
    (`json.JSONDecodeError`, a missing key, a list where an object belongs, RecursionError for
    JSON nested deeper than the decoder recurses) as `CliOutputUnreadable`. The reason names the
    error's kind and place only: the output itself is not echoed. For `up` and `refresh` it says
    the change may have been made: their command had finished before the read failed. A
    `CommandError` (the CLI failed) passes."""
    try:
        return read()
    except (*SHAPE_ERRORS, RecursionError) as exc:
        where = f" at character {exc.pos}" if isinstance(exc, json.JSONDecodeError) else ""
        if isinstance(exc, RecursionError):
            where = ": nested too deep to read"
        made = (
            f"; the {operation} itself may have changed the stack: see `pulumi stack history`"
            if operation in MUTATING
            else ""
        )
        raise CliOutputUnreadable(
            f"pulumi {operation} on stack '{stack}': the CLI's answer could not be read "
            f"({type(exc).__name__}{where}); nothing was read from it{made}",
            stack=stack,
            operation=operation,
        ) from exc


class AutomationGateway:
    """`Gateway` on the Pulumi Automation API (see the module docstring). Nothing touches the CLI
    until the first operation. `audit_fields` go into every audit line (persona, token, ...)."""

    def __init__(
        self,
        settings: AgentSettings,
        audit: AuditLog | None = None,
        *,
        work_dir: Path = ROOT,
        audit_fields: Mapping[str, Any] | None = None,
        supervisor: Supervisor = SUPERVISOR,
    ) -> None:
        self.settings = settings
        self.supervisor = supervisor
        self.audit = audit if audit is not None else AuditLog(settings.audit_log)
        self.work_dir = work_dir
        self.audit_fields = dict(audit_fields or {})
        self._lock = threading.Lock()
        self._workspace: auto.LocalWorkspace | None = None
        self._stacks: dict[str, auto.Stack] = {}

    # -- Gateway ------------------------------------------------------------------------------

    def preview(
        self,
        stack: str,
        *,
        targets: Sequence[str] = (),
        refresh: bool = False,
        expect_no_changes: bool = False,
    ) -> PreviewResult:
        def call(st: auto.Stack, c: _Collector) -> PreviewResult:
            packs, configs = self._policy_args(stack, c.run)
            _provider_role(st, c, "preview")
            # `--expect-no-changes` is decided here, not by the CLI: the CLI counts the
            # providers' credential-only updates of a run as the preview role as changes.
            st.preview(
                policy_packs=packs,
                policy_pack_configs=configs,
                target=list(targets) or None,
                refresh=refresh or None,
                # A refresh inside the preview configures its providers from the program too.
                run_program=True if refresh else None,
                color="never",
                on_event=c.on_event,
                on_output=c.on_output,
                on_error=c.on_error,
            )
            result = PreviewResult(
                **c.parts(), operation="preview", refresh=refresh, targets=tuple(targets)
            )
            if expect_no_changes and result.has_changes:
                raise UnexpectedChanges(
                    f"pulumi preview on stack '{stack}' failed: no changes were expected but "
                    f"{len(result.steps)} change(s) were proposed",
                    stack=stack,
                    operation="preview",
                    stderr_tail=c.stderr_tail,
                    result=result,
                )
            return result

        return self._operate(
            stack,
            "preview",
            call,
            targets=targets,
            refresh=refresh,
            expect_no_changes=expect_no_changes,
        )

    def up(self, stack: str, *, targets: Sequence[str] = (), expect: str | None = None) -> UpResult:
        """Apply the program to the stack. With `expect` (the `fingerprint` of an approved
        preview), a fresh preview runs first (its own run in the audit log) and nothing is
        applied unless its change set is still the approved one (`PlanChanged` otherwise)."""

        def call(st: auto.Stack, c: _Collector) -> UpResult:
            if expect is not None:
                check = self.preview(stack, targets=targets)
                if check.fingerprint != expect:
                    raise PlanChanged(
                        f"stack '{stack}': the change set is no longer the approved one "
                        f"(approved {expect[:12]}, now {check.fingerprint[:12]}); nothing was "
                        "applied, review the new preview",
                        stack=stack,
                        expected=expect,
                        result=check,
                    )
            packs, configs = self._policy_args(stack, c.run)
            _provider_role(st, c, "deploy")  # after the approved up's own preview
            done = _read_cli(
                lambda: st.up(
                    policy_packs=packs,
                    policy_pack_configs=configs,
                    target=list(targets) or None,
                    **_change_args(c),
                ),
                stack,
                "up",
            )
            parts = c.parts()
            if not parts["changes"] and done.summary.resource_changes:
                parts["changes"] = {_op(k): v for k, v in done.summary.resource_changes.items()}
            return UpResult(
                **parts,
                operation="up",
                version=done.summary.version,
                result=done.summary.result,
                outputs=_masked(done.outputs),
                expected=expect,
            )

        return self._operate(stack, "up", call, targets=targets, expect=expect)

    def refresh(self, stack: str, *, targets: Sequence[str] = ()) -> RefreshResult:
        def call(st: auto.Stack, c: _Collector) -> RefreshResult:
            _provider_role(st, c, "deploy")
            done = _read_cli(
                lambda: st.refresh(
                    target=list(targets) or None, run_program=True, **_change_args(c)
                ),
                stack,
                "refresh",
            )
            return RefreshResult(
                **c.parts(),
                operation="refresh",
                version=done.summary.version,
                result=done.summary.result,
            )

        return self._operate(stack, "refresh", call, targets=targets)

    def drift_check(self, stack: str) -> DriftResult:
        def call(st: auto.Stack, c: _Collector) -> DriftResult:
            _provider_role(st, c, "preview")
            st.preview_refresh(
                run_program=True,
                color="never",
                on_event=c.on_event,
                on_output=c.on_output,
                on_error=c.on_error,
            )
            return DriftResult(**c.parts(), operation="drift-check")

        return self._operate(stack, "drift-check", call)

    def outputs(self, stack: str) -> dict[str, Any]:
        def call(st: auto.Stack, c: _Collector) -> dict[str, Any]:
            _provider_role(st, c, "preview")
            return _masked(_read_cli(st.outputs, stack, "outputs"))

        return self._operate(stack, "outputs", call)

    def export(self, stack: str) -> StackExport:
        def call(st: auto.Stack, c: _Collector) -> StackExport:
            _provider_role(st, c, "preview")
            deployment = _read_cli(st.export_stack, stack, "export")
            data = {"version": deployment.version, "deployment": deployment.deployment}
            try:
                return parse_export(_redact(data), f"stack {stack} (pulumi stack export)")
            except ExportError as exc:  # JSON, but not a stack export this reader accepts
                raise CliOutputUnreadable(
                    f"pulumi export on stack '{stack}': the CLI's answer is not a stack export "
                    f"this reader accepts ({exc})",
                    stack=stack,
                    operation="export",
                ) from exc

        return self._operate(stack, "export", call)

    def history(self, stack: str, limit: int = 10) -> list[dict[str, Any]]:
        def call(st: auto.Stack, c: _Collector) -> list[dict[str, Any]]:
            _provider_role(st, c, "preview")
            entries = _read_cli(
                lambda: st.history(page_size=limit, page=1, show_secrets=False), stack, "history"
            )
            return [
                {
                    "kind": e.kind,
                    "result": e.result,
                    "version": e.version,
                    "startTime": e.start_time.isoformat() + "Z",
                    "endTime": e.end_time.isoformat() + "Z" if e.end_time else None,
                    "resourceChanges": dict(e.resource_changes or {}),
                    "message": e.message,
                }
                for e in entries[:limit]
            ]

        return self._operate(stack, "history", call)

    # -- plumbing -----------------------------------------------------------------------------

    def _operate(
        self,
        stack: str,
        operation: str,
        call: Callable[[auto.Stack, _Collector], R],
        *,
        targets: Sequence[str] = (),
        **detail: Any,
    ) -> R:
        """Run one operation as one audited run (`start`, the engine's lines, `done`) and one
        `pulumi.<operation>` span (stack, run id, outcome; a failure recorded on it)."""
        run = _Run(self.audit, stack, operation, self.audit_fields)
        collector = _Collector(run)
        if targets:
            detail["targets"] = list(targets)
        with telemetry.span(
            f"pulumi.{operation}", stack=stack, operation=operation, run_id=run.id
        ) as span:
            run.log("start", **detail)
            try:
                self.supervisor.check()
                if operation in MUTATING:
                    self._check_audit_sink(stack, operation)
                self._check_targets(stack, targets)
                value = call(self._stack(stack), collector)
                collector.raise_deferred()
            except Interrupted as exc:
                run.log("done", outcome="interrupted", signal=exc.signal_name, seconds=run.seconds)
                span.set(outcome="interrupted")
                raise
            except Exception as exc:
                error = self._translate(exc, stack, operation, collector)
                outcome = error.outcome if error is not None else "error"
                run.log("done", outcome=outcome, error=str(error or exc), seconds=run.seconds)
                span.set(outcome=outcome)
                if error is None or error is exc:
                    raise
                raise error from exc
            run.log("done", outcome="ok", seconds=run.seconds)
            span.set(outcome="ok")
            return value

    def _check_audit_sink(self, stack: str, operation: str) -> None:
        """Fail closed: no change whose record cannot be kept (agents.protocol.audit_sink)."""
        behind = audit_sink.refusal(self.settings)
        if behind is not None:
            raise AuditBehind(
                f"stack '{stack}': {operation} refused: {behind}", stack=stack, operation=operation
            )

    def _translate(
        self,
        exc: Exception,
        stack: str,
        operation: str,
        collector: _Collector,
    ) -> GatewayError | None:
        """The typed error for a failure, or None for one that is not the CLI's (a bug)."""
        from pulumi.automation import errors  # noqa: PLC0415

        if isinstance(exc, GatewayError):
            return exc
        if isinstance(exc, errors.StackNotFoundError):
            return UnknownStack(
                f"stack '{stack}' does not exist in the backend the CLI uses "
                "(see `pulumi stack ls`); the gateway never creates stacks",
                stack=stack,
                operation=operation,
            )
        if isinstance(exc, errors.ConcurrentUpdateError):
            _, stderr = _command_output(exc)
            return StackBusy(
                f"stack '{stack}' is busy with another update; retry later ({_error_line(stderr)})",
                stack=stack,
                operation=operation,
            )
        if isinstance(exc, errors.CommandError):
            code, stderr = _command_output(exc)
            partial = self._partial(operation, collector)
            line = _error_line(stderr, partial.errors)
            kind: type[GatewayCommandError] = GatewayCommandError
            if partial.mandatory_violations:
                kind = PolicyViolations
                names = ", ".join(sorted({v.policy for v in partial.mandatory_violations}))
                line = f"mandatory policy violated: {names}"
            return kind(
                f"pulumi {operation} on stack '{stack}' failed: {line}",
                stack=stack,
                operation=operation,
                exit_code=code,
                stderr_tail=collector.stderr_tail or tuple(stderr.splitlines()[-TAIL_LINES:]),
                result=partial,
            )
        if isinstance(exc, RuntimeError) and "summary event" in str(exc):
            # Stack.preview raises the builtin RuntimeError when the CLI exits 0 without one.
            return GatewayCommandError(
                f"pulumi {operation} on stack '{stack}' reported no summary event",
                stack=stack,
                operation=operation,
                result=self._partial(operation, collector),
            )
        return None

    @staticmethod
    def _partial(operation: str, collector: _Collector) -> OperationResult:
        return OperationResult(**collector.parts(), operation=operation)

    def _stack(self, stack: str) -> auto.Stack:
        from pulumi import automation as auto  # noqa: PLC0415

        self._check_stack(stack)
        with self._lock:
            found = self._stacks.get(stack)
            if found is None:
                found = auto.Stack.select(stack, self._local_workspace())
                self._stacks[stack] = found
            return found

    def _local_workspace(self) -> auto.LocalWorkspace:
        from pulumi import automation as auto  # noqa: PLC0415

        if self._workspace is None:
            self._workspace = auto.LocalWorkspace(
                work_dir=str(self.work_dir),
                pulumi_command=self._pulumi_command(),
                # The program says in its outputs (and warns) when a run has no packs attached;
                # every preview and up here passes both (`_policy_args`).
                env_vars={POLICY_PACKS_ENV: ",".join(PACKS)},
            )
        return self._workspace

    def _pulumi_command(self) -> auto.PulumiCommand:
        from pulumi import automation as auto  # noqa: PLC0415
        from semver import VersionInfo  # noqa: PLC0415

        from agents.runtime.pulumi_cli import SupervisedPulumiCommand  # noqa: PLC0415

        root = self.settings.pulumi_command
        where = f"{root}/bin/pulumi" if root else "pulumi on PATH"
        try:
            return SupervisedPulumiCommand(
                root=str(Path(root).resolve()) if root else None,
                version=VersionInfo.parse(MIN_CLI_VERSION),
                supervisor=self.supervisor,
            )
        except auto.InvalidVersionError as exc:
            raise CliUnavailable(f"{where}: {exc}") from exc
        except (OSError, subprocess.CalledProcessError) as exc:
            raise CliUnavailable(
                f"no working Pulumi CLI ({where}: {exc}); install it, or set "
                "AGENTS_PULUMI_COMMAND to the folder that holds bin/pulumi"
            ) from exc

    @staticmethod
    def _check_stack(stack: str) -> str:
        if not _STACK_NAME.match(stack):
            raise UnknownStack(f"{stack!r} is not a stack name ([org/[project/]]stack)")
        return stack.rsplit("/", 1)[-1]

    def _check_targets(self, stack: str, targets: Sequence[str]) -> tuple[str, ...]:
        """Targets are URNs of this stack's resources: a URN of another stack would be a
        request to touch a stack the caller did not name."""
        short = self._check_stack(stack)
        if isinstance(targets, str):
            raise GatewayError("targets is a sequence of URNs, not one string", stack=stack)
        for target in targets:
            if not target.startswith(f"urn:pulumi:{short}::"):
                raise GatewayError(
                    f"target {target!r} is not a URN of a resource of stack '{short}' "
                    f"(urn:pulumi:{short}::...)",
                    stack=stack,
                )
        return tuple(targets)

    def _policy_args(self, stack: str, run: _Run) -> tuple[list[str], list[str]]:
        """Both packs and the stack's config file for each, in the order the CLI pairs them.
        The folder is the stack's own, or for a stack without one the default
        (`toolchain.gate.policy_config_dir`), which the run's audit lines record
        (`gateway.policy-config`: the folder and the notice) before anything runs. A name that
        is not a stack name of the policy configs has none (`MissingPolicyConfig`)."""
        short = self._check_stack(stack)
        try:
            config_dir, notice = policy_config_dir(short)
        except PolicyConfigError as exc:
            raise MissingPolicyConfig(
                f"stack '{stack}' has no policy config: {exc}", stack=stack
            ) from None
        if notice:
            run.log("policy-config", config=str(config_dir), notice=notice)
        packs: list[str] = []
        configs: list[str] = []
        for pack in PACKS:
            config = config_dir / f"{pack}.json"
            if not config.is_file():
                raise MissingPolicyConfig(
                    f"stack '{stack}' has no policy config {config}"
                    f"{' (the default)' if notice else ''}; every stack the agents "
                    f"touch needs one file per pack ({', '.join(PACKS)})",
                    stack=stack,
                )
            packs.append(str(POLICIES / pack))
            configs.append(str(config))
        return packs, configs


def _provider_role(st: auto.Stack, c: _Collector, role: str) -> None:
    """Tell the program of the next command which role its providers assume (`preview` or
    `deploy`, baseline/accounts.py `provider_role_arn`): the workspace's environment, which the
    Automation API adds to every command it runs, set just before the command. A run as the
    preview role counts its providers' credential-only updates as unchanged (`_Collector`)."""
    st.workspace.env_vars = {**st.workspace.env_vars, PROVIDER_ROLE_ENV: role}
    c.read_only_role = role == "preview"


def _masked(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """Stack outputs (`OutputValue`s) as plain values, secret ones as `[secret]`."""
    return {k: "[secret]" if v.secret else v.value for k, v in outputs.items()}

"""The agents' settings: one typed object read from the environment (prefix `AGENTS_`), e.g.
`AGENTS_LOCK_BACKEND=dynamodb`, `AGENTS_STATE_DIR=/var/lib/agents`. Tests pass values to the
initialiser instead.

The state folder holds the approval signing key, so where it is matters (issue 9):

- An empty `AGENTS_STATE_DIR` is refused: `Path("")` is the working directory, which would put
  the key wherever the command happened to run.
- A state folder inside a git working tree (found by walking up from it for a `.git` entry, file
  or folder, so worktrees and submodules count) is refused unless
  `AGENTS_ALLOW_STATE_IN_TREE=true`: the key would be one `git add -A` away from a commit, and
  anyone who can push to the tree could plant approvals. Hence the default is outside the source
  tree too: `$XDG_STATE_HOME/baseline-agents` (`~/.local/state/baseline-agents`).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from agents import InputError
from toolchain.inputs import default_state_dir

ROOT = Path(__file__).resolve().parents[2]
# The longest a single operation is expected to take: an `up` that creates the cluster and the
# database (about 40 minutes), with room to spare. Only liveness uses it (agents.runtime.health).
LONGEST_OPERATION_S = 3600.0


def git_work_tree(path: Path) -> Path | None:
    """The git working tree that holds `path` (which need not exist yet), or None. A path that
    cannot be resolved (a symlink loop) or looked at (a name too long for the file system, a
    folder that cannot be searched) is a ValueError: settings refuse it."""
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"AGENTS_STATE_DIR {path} cannot be resolved ({exc})") from exc
    for folder in (resolved, *resolved.parents):
        try:
            found = (folder / ".git").exists()
        except OSError as exc:
            raise ValueError(
                f"AGENTS_STATE_DIR {path} cannot be used ({exc.strerror or exc})"
            ) from exc
        if found:
            return folder
    return None


class _Environment(EnvSettingsSource):
    """The environment, with a list or map value nested deeper than the decoder recurses refused
    as one that is not JSON (a `JSONDecodeError`: pydantic-settings names the field, and
    `load_settings` the variable and the reason), not a RecursionError out of every command."""

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except RecursionError:
            raise json.JSONDecodeError("nested too deep to read", str(value), 0) from None


class AgentSettings(BaseSettings):
    # No float setting may be NaN or infinite: an infinite cost ceiling would approve anything.
    model_config = SettingsConfigDict(
        env_prefix="AGENTS_", frozen=True, extra="forbid", allow_inf_nan=False
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `_Environment` for pydantic-settings' own reader (the same prefix, from `model_config`)
        return init_settings, _Environment(settings_cls), dotenv_settings, file_secret_settings

    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="Local state: file locks, cooldowns, approvals, audit log, the approval key.",
    )
    allow_state_in_tree: bool = Field(
        default=False, description="Allow a state folder inside a git working tree."
    )
    lock_backend: Literal["file", "dynamodb"] = "file"
    dynamodb_table: str = "baseline-agent-locks"
    dynamodb_region: str = "us-east-1"
    dynamodb_endpoint_url: str | None = Field(
        default=None, description="Only for a local DynamoDB (tests use moto)."
    )
    lease_ttl_s: float = Field(
        default=900.0,
        gt=0,
        le=86_400,
        description="A lease expires this long after it was last renewed.",
    )
    lock_wait_s: float = Field(
        default=1800.0, ge=0, le=7 * 86_400, description="How long a request waits."
    )
    approval_ttl_s: float = Field(default=4 * 3600.0, gt=0, le=7 * 86_400)
    approval_key_secret: str | None = Field(
        default=None,
        description="Secrets Manager secret (name or ARN) holding the approval signing key; "
        "required with the DynamoDB backend, whose approvals several machines share.",
    )
    max_cost_delta_usd: float = Field(
        default=200.0, ge=0, le=1e9, description="Monthly cost increase the reviewer approves."
    )
    mcp_tokens_secret: str | None = Field(
        default=None,
        description="Secrets Manager secret holding the MCP server's token store (JSON); "
        "default: the file <state_dir>/mcp-tokens.json.",
    )
    mcp_call_timeout_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="MCP server: the longest one tool call may take; past it the call is a "
        "one-line timeout error (audited) and its answer, should it come, is dropped.",
    )
    mcp_max_concurrent_calls: int = Field(
        default=4,
        ge=1,
        le=64,
        description="MCP server: tool calls that may run at once (a call past its time limit "
        "keeps its slot until its worker really ends, so runaway calls cannot pile up).",
    )
    mcp_queue_wait_s: float = Field(
        default=5.0,
        ge=0,
        le=600,
        description="MCP server: how long a call waits for a free slot before it is refused "
        "as busy.",
    )
    mcp_allowed_hosts: tuple[str, ...] = Field(
        default=(),
        description="MCP server over HTTP: host names (`name` or `name:port`) accepted in the "
        "Host and Origin headers besides the bind address and its port (a proxy's name); "
        'JSON list, e.g. ["mcp.ops.example.internal"].',
    )
    mcp_export_dirs: tuple[Path, ...] | None = Field(
        default=None,
        description="MCP server: the folders whose stack exports `summarize-infra` and "
        "`cost-estimate` may read by path (`export`, `baseline`); JSON list of absolute paths, "
        'e.g. ["/srv/ci/exports"]; `[]` turns reading by path off. Default: '
        "<state_dir>/exports and the repository's build/. None may hold the state folder.",
    )
    restore_drill: bool = Field(
        default=False,
        description="data-steward: restore the latest backup to a temporary instance each pass "
        "and time it (costs an instance-hour or so per drill).",
    )
    restore_drill_subnet_group: str | None = Field(
        default=None, description="The isolated DB subnet group restore drills use."
    )
    sli_metrics: bool = Field(
        default=False,
        description="Publish one PassSucceeded/PassFailed point per pass (namespace "
        "Baseline/Agents) for the SLO alarms.",
    )
    cooldown_scale: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Scale every persona cooldown down (chaos runs and drills: 0.001); never up.",
    )
    breaker_fail_max: int = Field(default=3, ge=1, le=1000)
    breaker_reset_s: float = Field(default=600.0, gt=0, le=7 * 86_400)
    cancel_grace_s: float = Field(
        default=10.0,
        ge=0,
        le=3600,
        description="After SIGTERM/SIGINT, how long the Pulumi CLI may take to stop gracefully "
        "(it gets SIGINT) before it is killed.",
    )
    pulumi_command: Path | None = Field(
        default=None, description="Folder holding bin/pulumi; default: the pulumi on PATH."
    )
    health_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="`run` without --once serves /healthz and /readyz on this port (0: any free "
        "port, printed at start); unset: no health server.",
    )
    health_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="The address the health endpoints listen on; a pod sets 0.0.0.0 so that the "
        "kubelet's probes reach them.",
    )
    health_grace_s: float | None = Field(
        default=None,
        gt=0,
        le=7 * 86_400,
        description="/healthz: the longest a pass may run without a heartbeat; the loop is stuck "
        "once its last pass started or finished more than 3 pauses plus this ago. Default: the "
        "lock wait plus an hour, the longest operation (an `up` that creates the cluster).",
    )
    records_backend: Literal["local", "postgres"] = Field(
        default="local",
        description="Where findings and memory live: `local` (SQLite files in the state folder, "
        "one machine) or `postgres` (the stack's PostgreSQL, shared by every persona and pod).",
    )
    pg_host: str | None = Field(default=None, description="PostgreSQL host (the RDS endpoint).")
    pg_port: int = Field(default=5432, ge=1, le=65535)
    pg_database: str = Field(default="agents", min_length=1, max_length=63)
    pg_user: str | None = Field(
        default=None,
        max_length=63,
        description="The login role: one per persona (with IAM auth, its IAM role may connect as "
        "this user only).",
    )
    pg_auth: Literal["iam", "password"] = Field(
        default="iam",
        description="`iam`: a 15-minute RDS IAM token per connection; `password`: "
        "AGENTS_PG_PASSWORD (one machine and tests only; never in a pod spec).",
    )
    pg_password: SecretStr | None = Field(default=None, description="Only with pg_auth=password.")
    pg_sslmode: Literal["verify-full"] = Field(
        default="verify-full",
        description="TLS is always on and always verified, host name included: `verify-ca` is "
        "refused (every RDS instance's certificate chains to the same CA bundle).",
    )
    pg_sslrootcert: Path = Field(
        default=Path("/etc/ssl/certs/rds-global-bundle.pem"),
        description="The CA bundle the server certificate must chain to (the image ships RDS's).",
    )
    pg_region: str | None = Field(
        default=None, description="Region for IAM tokens; default: dynamodb_region."
    )
    pg_connect_timeout_s: float = Field(default=10.0, gt=0, le=300)
    pg_master_secret: str | None = Field(
        default=None,
        description="`records migrate` only: the Secrets Manager secret (name or ARN) of the "
        "instance's master user (RDS's managed secret: JSON username and password).",
    )
    audit_sink: Literal["file", "cloudwatch"] = Field(
        default="file",
        description="`cloudwatch`: every audit record also goes to `audit_log_group` (the local "
        "log is the spool, drained first on restart).",
    )
    audit_log_group: str | None = Field(
        default=None, description="e.g. /baseline/prod/agents/audit (the stack declares it)."
    )
    audit_region: str | None = Field(default=None, description="Default: dynamodb_region.")
    audit_endpoint_url: str | None = Field(
        default=None, description="Only for a local CloudWatch Logs (tests use moto)."
    )
    audit_writer: str | None = Field(
        default=None,
        max_length=200,
        description="This writer's name in the audit chain (and its log stream); default: the "
        "persona of `run`, else `cli@<hostname>`. One writer, one chain, across pods.",
    )
    audit_max_lag_s: float = Field(
        default=300.0,
        gt=0,
        le=7 * 86_400,
        description="Mutating operations are refused while an audit record older than this has "
        "not reached the sink (no change whose record cannot be kept).",
    )
    audit_batch_s: float = Field(
        default=2.0, gt=0, le=300, description="How often the spool is drained to the sink."
    )
    telemetry_flush_s: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="At exit, how long the last spans may take to reach the OTLP collector.",
    )
    investigate_provider: Literal["bedrock", "openai"] | None = Field(
        default=None,
        description="The investigator's LLM: `bedrock` (Converse API, the environment's "
        "credentials: the persona's IRSA role) or `openai` (any OpenAI-compatible endpoint, "
        "AGENTS_INVESTIGATE_URL); unset: `investigate` says so and exits 2.",
    )
    investigate_model: str | None = Field(
        default=None,
        min_length=1,
        max_length=256,
        description="The model: a Bedrock model or inference profile id, or the endpoint's name.",
    )
    investigate_region: str | None = Field(
        default=None, description="Bedrock's and the key secret's region; default dynamodb_region."
    )
    investigate_url: str | None = Field(
        default=None,
        description="OpenAI-compatible base URL (…/v1); https, or http to a loopback address "
        "only when a key is sent.",
    )
    investigate_api_key_secret: str | None = Field(
        default=None,
        description="Secrets Manager secret (name or ARN) holding the OpenAI-compatible "
        "endpoint's key (a string, or JSON with api_key); unset: no key is sent.",
    )
    investigate_budget: int = Field(
        default=20_000,
        ge=1_000,
        le=1_000_000,
        description="Tokens per investigation: every request as sent plus every answer.",
    )
    investigate_tool_budget: int = Field(
        default=1_500, ge=100, le=50_000, description="Tokens per tool result at most."
    )
    investigate_max_turns: int = Field(default=8, ge=1, le=50)
    investigate_answer_tokens: int = Field(
        default=1_024, ge=64, le=32_000, description="The model's answer per turn at most."
    )
    investigate_timeout_s: float = Field(default=60.0, gt=0, le=600)
    investigate_retries: int = Field(
        default=3, ge=0, le=10, description="Retries of a throttled request, with backoff."
    )
    investigate_tools: tuple[str, ...] | None = Field(
        default=None,
        description="The read-only skills offered as tools (JSON list); default: every skill "
        "of the registry.",
    )
    mcp_token_store: Literal["file", "dynamodb", "secretsmanager"] | None = Field(
        default=None,
        description="Where the MCP server's token hashes live: `file` "
        "(<state_dir>/mcp-tokens.json, one machine), `dynamodb` (the lock table's `mcp-tokens` "
        "partition, shared: "
        "`mcp-token create|rotate|revoke` from any machine reach every server) or "
        "`secretsmanager` (AGENTS_MCP_TOKENS_SECRET, read-only). Default: `secretsmanager` when "
        "AGENTS_MCP_TOKENS_SECRET is set, else `file`.",
    )
    mcp_token_refresh_s: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="MCP server with the DynamoDB token store: how often it reads the tokens "
        "again (a change reaches every server within this; a failed read refuses every request "
        "until a later one succeeds).",
    )
    notify_topics: dict[str, str] = Field(
        default_factory=dict,
        description="Finding notifications (agents.protocol.notify): the alert topic (SNS ARN) per "
        'stack, JSON, `*` for any other stack, e.g. {"prod": "arn:aws:sns:...:baseline-prod-'
        'alerts"}; empty: notifications are off.',
    )
    notify_paging_topics: dict[str, str] = Field(
        default_factory=dict,
        description="Where critical findings go instead (same shape as notify_topics); a stack "
        "without one pages on its alert topic.",
    )
    notify_min_severity: Literal["critical", "high", "medium", "low"] = Field(
        default="high", description="The least severe finding that is announced."
    )
    notify_reminder_h: float = Field(
        default=4.0,
        ge=0,
        le=24 * 30,
        description="A finding still open this long after its last message is announced again "
        "(0: no reminders).",
    )
    notify_max_per_hour: int = Field(
        default=20,
        ge=1,
        le=10_000,
        description="Publications per stack in any hour; more wait for a later pass (deferred, "
        "audited, never dropped).",
    )
    notify_lease_s: float = Field(
        default=120.0,
        gt=0,
        le=3600,
        description="A message being published is retried by another pass after this long (a pod "
        "killed mid-publish).",
    )
    notify_region: str | None = Field(default=None, description="Default: dynamodb_region.")
    notify_endpoint_url: str | None = Field(
        default=None, description="Only for a local SNS (tests use moto)."
    )
    drift_auto_repair: bool = Field(
        default=False,
        description="Repair drift on unprotected stacks (dev) without an approval: the "
        "reliability engineer's pass proposes the repair, the release engineer's next pass "
        "applies it (audited `drift.repair-auto`). A protected stack always needs one.",
    )

    @field_validator("notify_topics", "notify_paging_topics")
    @classmethod
    def _topics_are_sns_arns(cls, value: dict[str, str]) -> dict[str, str]:
        for stack, arn in value.items():
            if not stack.strip():
                raise ValueError("a stack name is empty (use `*` for every stack)")
            if not (isinstance(arn, str) and arn.startswith("arn:") and ":sns:" in arn):
                raise ValueError(f"{stack}: {str(arn)[:200]!r} is not an SNS topic ARN")
        return value

    @field_validator("state_dir", mode="before")
    @classmethod
    def _state_dir_named(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str | Path) and not str(value).strip()):
            raise ValueError(
                "AGENTS_STATE_DIR is empty: name a folder (or unset it for the default)"
            )
        return value

    @field_validator("mcp_export_dirs", mode="before")
    @classmethod
    def _export_dirs_named(cls, value: Any) -> Any:
        # An empty or relative entry would mean the working directory, wherever the server runs.
        if isinstance(value, list | tuple):
            for entry in value:
                if not isinstance(entry, str | Path) or not str(entry).strip():
                    raise ValueError("AGENTS_MCP_EXPORT_DIRS: an entry is empty; name a folder")
                if not Path(entry).is_absolute():
                    raise ValueError(
                        f"AGENTS_MCP_EXPORT_DIRS: {str(entry)[:200]!r} is relative; give "
                        "absolute paths"
                    )
        return value

    @property
    def export_dirs(self) -> tuple[Path, ...]:
        """The folders MCP tools read exports from (`mcp_export_dirs`, or its default)."""
        if self.mcp_export_dirs is not None:
            return self.mcp_export_dirs
        return (self.state_dir / "exports", ROOT / "build")

    @model_validator(mode="after")
    def _export_dirs_hold_no_state(self) -> AgentSettings:
        # The state folder holds the approval key and the token store: no export folder may be
        # it or hold it; only its `exports` subfolder may be inside it.
        if not self.mcp_export_dirs:
            return self
        try:
            state = self.state_dir.resolve()
        except (OSError, RuntimeError) as exc:  # a symlink loop
            raise ValueError(f"AGENTS_STATE_DIR {self.state_dir} cannot be resolved") from exc
        for folder in self.mcp_export_dirs:
            try:
                real = folder.resolve()
            except (OSError, RuntimeError) as exc:
                raise ValueError(f"AGENTS_MCP_EXPORT_DIRS: {folder} cannot be resolved") from exc
            if state == real or state.is_relative_to(real):
                raise ValueError(
                    f"AGENTS_MCP_EXPORT_DIRS: {folder} holds the state folder (the approval key, "
                    "the token store); name a folder of exports only"
                )
            if real.is_relative_to(state) and not real.is_relative_to(state / "exports"):
                raise ValueError(
                    f"AGENTS_MCP_EXPORT_DIRS: {folder} is inside the state folder; only its "
                    "exports/ subfolder may be read"
                )
        return self

    @field_validator("audit_writer")
    @classmethod
    def _writer_is_a_stream_name(cls, value: str | None) -> str | None:
        # The writer names its CloudWatch Logs stream (no `:` or `*` there) and its chain in
        # `audit verify` (`?` and `unchained` are that report's own buckets).
        if value is not None and (
            not value.strip()
            or any(c in value for c in ":*?")
            or not value.isprintable()
            or value == "unchained"
        ):
            raise ValueError(
                "AGENTS_AUDIT_WRITER must be a printable name without ':', '*' or '?' (the "
                "persona, e.g. release-engineer)"
            )
        return value

    @field_validator("pulumi_command", mode="before")
    @classmethod
    def _pulumi_command_named(cls, value: Any) -> Any:
        # An empty value would become `.`: a `bin/pulumi` planted in the working directory.
        if isinstance(value, str | Path) and not str(value).strip():
            raise ValueError(
                "AGENTS_PULUMI_COMMAND is empty: name the folder holding bin/pulumi (or unset it)"
            )
        return value

    @model_validator(mode="after")
    def _state_dir_outside_git(self) -> AgentSettings:
        tree = git_work_tree(self.state_dir)
        if tree is not None and not self.allow_state_in_tree:
            raise ValueError(
                f"AGENTS_STATE_DIR {self.state_dir} is inside the git working tree {tree}, where "
                "the approval key could be committed: move it, or set "
                "AGENTS_ALLOW_STATE_IN_TREE=true"
            )
        return self

    @model_validator(mode="after")
    def _shared_approvals_need_a_shared_key(self) -> AgentSettings:
        if self.lock_backend == "dynamodb" and not (self.approval_key_secret or "").strip():
            raise ValueError(
                "AGENTS_LOCK_BACKEND=dynamodb keeps approvals in the shared table, so their "
                "signing key must be shared too: set AGENTS_APPROVAL_KEY_SECRET to a Secrets "
                "Manager secret (`python -m agents init-approval-key` creates it)"
            )
        return self

    @model_validator(mode="after")
    def _records_backends_named(self) -> AgentSettings:
        if self.records_backend == "postgres" and not (self.pg_host and self.pg_user):
            raise ValueError(
                "AGENTS_RECORDS_BACKEND=postgres needs AGENTS_PG_HOST and AGENTS_PG_USER"
            )
        if (
            self.pg_auth == "password"
            and self.records_backend == "postgres"
            and not (self.pg_password and self.pg_password.get_secret_value())
        ):
            raise ValueError("AGENTS_PG_AUTH=password needs AGENTS_PG_PASSWORD")
        if self.audit_sink == "cloudwatch" and not (self.audit_log_group or "").strip():
            raise ValueError("AGENTS_AUDIT_SINK=cloudwatch needs AGENTS_AUDIT_LOG_GROUP")
        return self

    @model_validator(mode="after")
    def _investigator_named(self) -> AgentSettings:
        if self.investigate_provider is not None and not (self.investigate_model or "").strip():
            raise ValueError("AGENTS_INVESTIGATE_PROVIDER needs AGENTS_INVESTIGATE_MODEL")
        if self.investigate_provider == "openai" and not (self.investigate_url or "").strip():
            raise ValueError("AGENTS_INVESTIGATE_PROVIDER=openai needs AGENTS_INVESTIGATE_URL")
        return self

    @property
    def liveness_grace_s(self) -> float:
        """`health_grace_s`, or by default one lock wait plus the longest operation."""
        if self.health_grace_s is not None:
            return self.health_grace_s
        return self.lock_wait_s + LONGEST_OPERATION_S

    @property
    def audit_log(self) -> Path:
        return self.state_dir / "audit.jsonl"


def load_settings() -> AgentSettings:
    """The settings from the environment; a bad value is one `InputError` line naming the
    variable and the problem (the command line exits 2)."""
    try:
        return AgentSettings()
    except SettingsError as exc:  # a complex field (a list, a map) whose value is not JSON
        found = re.search(r'field "(\w+)"', str(exc))
        name = f"AGENTS_{found.group(1).upper()}" if found else "AGENTS_* environment"
        cause = exc.__cause__
        why = f" ({cause.msg})" if isinstance(cause, json.JSONDecodeError) else ""
        raise InputError(
            f"agent settings: {name}: not a JSON value{why}; this variable takes JSON, "
            'a list such as ["a", "b"] or a map such as {"dev": "..."}'
        ) from exc
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"])
        name = f"AGENTS_{field.upper()}" if field else "AGENTS_* environment"
        raise InputError(
            f"agent settings: {name}: {error['msg'].removeprefix('Value error, ')}"
        ) from exc

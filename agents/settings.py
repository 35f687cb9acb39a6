"""The agents' settings: one typed object read from the environment (prefix `AGENTS_`), e.g.
`AGENTS_LOCK_BACKEND=dynamodb`, `AGENTS_STATE_DIR=/var/lib/agents`. Tests pass values to the
initialiser instead."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class AgentSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AGENTS_", frozen=True, extra="forbid")

    state_dir: Path = Field(
        default=ROOT / ".agents-state",
        description="Local state: file locks, cooldowns, approvals, audit log.",
    )
    lock_backend: Literal["file", "dynamodb"] = "file"
    dynamodb_table: str = "baseline-agent-locks"
    dynamodb_region: str = "us-east-1"
    dynamodb_endpoint_url: str | None = Field(
        default=None, description="Only for a local DynamoDB (tests use moto)."
    )
    lease_ttl_s: float = Field(
        default=900.0, gt=0, description="A lease expires this long after it was last renewed."
    )
    lock_wait_s: float = Field(default=1800.0, ge=0, description="How long a request waits.")
    approval_ttl_s: float = Field(default=4 * 3600.0, gt=0)
    max_cost_delta_usd: float = Field(
        default=200.0, ge=0, description="Monthly cost increase the reviewer approves."
    )
    breaker_fail_max: int = Field(default=3, ge=1)
    breaker_reset_s: float = Field(default=600.0, gt=0)
    pulumi_command: Path | None = Field(
        default=None, description="Folder holding bin/pulumi; default: the pulumi on PATH."
    )

    @property
    def audit_log(self) -> Path:
        return self.state_dir / "audit.jsonl"

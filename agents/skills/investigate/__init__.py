"""The investigator: an LLM explains a finding or an alarm with the read-only skills as its tools
(`python -m agents investigate FINDING_ID | --alarm NAME`; issue 22).

Where it sits: in the skills' room (floor 5), beside the registry whose skills it offers, under
the routines and the command line that start it; it imports the protocol (settings, audit log,
findings) and the skills, nothing above. It is not itself a skill of the registry: a registry
skill is offered to every MCP client and to the investigator's own model, and this one calls a
paid model and writes records.

- `wire`: the conversation and the providers (Amazon Bedrock's Converse API through boto3, any
  OpenAI-compatible `chat/completions` endpoint through httpx2, recorded answers for tests and
  benchmarks).
- `tools`: the registry's read-only skills as tool schemas, and the one place a tool call is
  checked (an invented or mutating name is refused, shown to the model as an error) and run.
- `loop`: the tool loop under a total token budget and a per-result budget, the answer's checks
  (cause, confidence, evidence citing tool results, proposed change), and the records (audit,
  memory note, the proposal as a finding for the master-architect; never applied).

`provider_from_settings` builds the provider the settings name, or raises `NoProvider`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agents import InputError
from agents.skills.investigate.loop import (
    Conclusion,
    Evidence,
    Limits,
    Outcome,
    Subject,
    alarm_subject,
    finding_subject,
    investigate,
    parse_answer,
    record_conclusion,
    stored_subject,
)
from agents.skills.investigate.tools import Toolbox, read_only_skills
from agents.skills.investigate.wire import (
    Bedrock,
    OpenAICompatible,
    Provider,
    ProviderFailure,
    Reply,
    Scripted,
    ToolCall,
)

if TYPE_CHECKING:
    from agents.protocol.settings import AgentSettings

NO_PROVIDER = (
    "no LLM provider configured for the investigator: set AGENTS_INVESTIGATE_PROVIDER=bedrock "
    "with AGENTS_INVESTIGATE_MODEL, or =openai with AGENTS_INVESTIGATE_URL, "
    "AGENTS_INVESTIGATE_MODEL and AGENTS_INVESTIGATE_API_KEY_SECRET"
)


class NoProvider(InputError):
    """No provider is configured (the command exits 2)."""


def provider_from_settings(settings: AgentSettings) -> Provider:
    """The provider the settings name: Bedrock (credentials from the environment, e.g. the
    persona's IRSA role) or an OpenAI-compatible endpoint (its key from Secrets Manager, read
    at the first request)."""
    kind, model = settings.investigate_provider, settings.investigate_model
    if kind is None or not model:
        raise NoProvider(NO_PROVIDER)
    region = settings.investigate_region or settings.dynamodb_region
    if kind == "bedrock":
        from agents.skills.investigate.wire import bedrock_client  # noqa: PLC0415

        return Bedrock(
            bedrock_client(region, settings.investigate_timeout_s),
            model,
            retries=settings.investigate_retries,
        )
    from agents.skills.investigate.wire import check_url, secret_key  # noqa: PLC0415

    secret = settings.investigate_api_key_secret
    url = check_url(settings.investigate_url or "", with_key=secret is not None)

    def key() -> str | None:
        if secret is None:
            return None
        import boto3  # noqa: PLC0415

        return secret_key(boto3.client("secretsmanager", region_name=region), secret)

    return OpenAICompatible(
        url,
        model,
        key=key,
        timeout_s=settings.investigate_timeout_s,
        retries=settings.investigate_retries,
    )


__all__ = [
    "NO_PROVIDER",
    "Bedrock",
    "Conclusion",
    "Evidence",
    "Limits",
    "NoProvider",
    "OpenAICompatible",
    "Outcome",
    "Provider",
    "ProviderFailure",
    "Reply",
    "Scripted",
    "Subject",
    "ToolCall",
    "Toolbox",
    "alarm_subject",
    "finding_subject",
    "investigate",
    "parse_answer",
    "provider_from_settings",
    "read_only_skills",
    "record_conclusion",
    "stored_subject",
]

"""What the AWS checks (alarms, backups, CloudTrail, spend) share: a failed call as a
`CheckError`, the record that a check was not made (it becomes a `<check>.unchecked` finding;
never "all good")."""

from __future__ import annotations

import datetime
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from agents import InputError
from agents.protocol.findings import Finding

MESSAGE_CHARS = 300


@dataclass(frozen=True)
class CheckError:
    """A call that failed, so the checks that needed it were not made."""

    service: str
    call: str
    region: str
    code: str
    message: str

    def line(self) -> str:
        return f"{self.service} {self.call} in {self.region}: {self.code} ({self.message})"


def check_error(
    exc: ClientError | BotoCoreError,
    service: str,
    call: str,
    region: str,
    limit: int = MESSAGE_CHARS,
) -> CheckError:
    """The `CheckError` of a boto3 failure: the service's error code and message (one line, at
    most `limit` characters), or the botocore error's type for a failure to reach it."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code") or "ClientError"), str(error.get("Message") or "")
    else:
        code, message = type(exc).__name__, str(exc)
    return CheckError(service, call, region, code, " ".join(message.split())[:limit])


def unchecked(
    kind: str, stack: str, error: CheckError, persona: str, what: str, *, action: str = ""
) -> Finding:
    """The finding that a check was not made (`kind`, e.g. `alarm.unchecked`, high): `what`
    names what stays unknown ("the alarms' state")."""
    return Finding(
        kind=kind,
        severity="high",
        stack=stack,
        resource=f"{error.service}:{error.call}@{error.region}",
        summary=f"{kind.split('.', maxsplit=1)[0]} not checked: {error.line()}",
        evidence=asdict(error),
        proposed_action=action
        or f"Grant the persona the call (baseline/personas.yaml) or retry later; until then "
        f"{what} is unknown.",
        persona=persona,
    )


def utc(now: datetime.datetime | None) -> datetime.datetime:
    """`now` (timezone-aware, refused otherwise) in UTC, or the current time."""
    if now is None:
        return datetime.datetime.now(datetime.UTC)
    if now.tzinfo is None:
        raise InputError("now must be a timezone-aware datetime")
    return now.astimezone(datetime.UTC)


def iso(value: Any, *, default: str = "") -> str:
    """An AWS timestamp as ISO 8601 UTC (a naive one, as stubs give, is taken as UTC)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:  # botocore parses AWS timestamps aware; be safe with stubs
            value = value.replace(tzinfo=datetime.UTC)
        return value.astimezone(datetime.UTC).isoformat(timespec="seconds")
    return default

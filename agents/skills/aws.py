"""What the AWS checks (alarms, backups, CloudTrail, spend) share: a failed call as a
`CheckError`, the record that a check was not made (it becomes a `<check>.unchecked` finding;
never "all good")."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import BotoCoreError, ClientError

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

"""One account per stack: the deploying identity is checked against the stack's `accountId`
before anything is created.

Three layers refuse a wrong account, each on its own: the providers carry `allowedAccountIds`
(the engine's provider refuses to configure), the program compares the caller identity its
provider sees with `accountId` before the first resource (`build`), and `check_caller_account`
does the same with boto3 (the deploy role assumed first when the stack has one), for a preflight
before `pulumi` runs:

    python -m baseline.accounts --stack prod     # exit 0: the account is prod's; 2: refused

The message is one line naming the stack, both accounts and what to change.

Which role the providers assume is chosen per run (`provider_role_arn`): the environment variable
`BASELINE_PROVIDER_ROLE` (toolchain.gate.PROVIDER_ROLE_ENV) says `preview` for a run that only
reads the cloud (the agents' gateway sets it for preview, drift checks, outputs and exports), and
the providers then assume the stack's read-only `previewRoleArn`; `deploy`, or nothing (a person's
`pulumi up`, `make up`), selects `deployRoleArn`. Any other value stops the program (one line): a
typo must not pick a role. A read-only run on a stack without a `previewRoleArn` assumes the
deploy role (the program warns); IAM decides whether the caller may, and only the release
engineer's role may (baseline/personas.yaml), so an agent's preview then fails instead of running
with write rights.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from baseline.config import PROJECT, ConfigError
from toolchain.gate import PROVIDER_ROLE_ENV, PROVIDER_ROLES
from toolchain.inputs import OneLineParser

ROOT = Path(__file__).resolve().parent.parent
SESSION_NAME = "baseline-account-check"


class AccountError(ConfigError):
    """The deploying identity is in another account than the stack's `accountId`."""


class ProviderRoleError(ConfigError):
    """`BASELINE_PROVIDER_ROLE` names no provider role (`PROVIDER_ROLES`)."""


def provider_role_arn(
    stack: str, requested: str, deploy_role_arn: str, preview_role_arn: str = ""
) -> str:
    """The role the stack's providers assume for a run that asked for `requested` (the value of
    `BASELINE_PROVIDER_ROLE`): `preview` is the stack's read-only role (the deploy role when the
    stack has none: IAM decides), `deploy` or empty the deploy role; empty when the stack names
    neither (the caller's own credentials). Anything else raises `ProviderRoleError`."""
    role = requested.strip()
    if role and role not in PROVIDER_ROLES:
        raise ProviderRoleError(
            f"refusing stack '{stack}': {PROVIDER_ROLE_ENV}={requested!r} is not a provider role "
            f"(expected {' or '.join(PROVIDER_ROLES)}, or unset for deploy)"
        )
    if role == "preview" and preview_role_arn:
        return preview_role_arn
    return deploy_role_arn


def refusal(stack: str, expected: str, actual: str, role_arn: str = "") -> str:
    """The one-line refusal of a run in the wrong account."""
    via = f" through {role_arn}" if role_arn else ""
    return (
        f"refusing stack '{stack}': the deploying identity{via} is in account {actual}, but "
        f"{PROJECT}:accountId is {expected}; use the credentials of {expected}'s deployers or fix "
        f"accountId/deployRoleArn in Pulumi.{stack}.yaml"
    )


def check_account(stack: str, expected: str, actual: str, role_arn: str = "") -> None:
    """Raise `AccountError` (one line) when `actual` is not the expected account."""
    if actual != expected:
        raise AccountError(refusal(stack, expected, actual, role_arn))


def caller_account(
    role_arn: str = "", region: str | None = None, client: Callable[..., Any] | None = None
) -> str:
    """The account of the identity a provider of the stack would act as: the caller's own, or,
    with a deploy role, the assumed role's session (STS GetCallerIdentity)."""
    if client is None:
        import boto3  # noqa: PLC0415 - only a preflight needs the SDK

        client = boto3.client
    sts = client("sts", region_name=region)
    if role_arn:
        creds = sts.assume_role(RoleArn=role_arn, RoleSessionName=SESSION_NAME)["Credentials"]
        sts = client(
            "sts",
            region_name=region,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
    return str(sts.get_caller_identity()["Account"])


def check_caller_account(
    stack: str,
    expected: str,
    role_arn: str = "",
    region: str | None = None,
    client: Callable[..., Any] | None = None,
) -> str:
    """The deploying identity's account, after checking it is `expected` (else `AccountError`)."""
    actual = caller_account(role_arn, region, client)
    check_account(stack, expected, actual, role_arn)
    return actual


def _stack_settings(stack: str, root: Path) -> tuple[str, str, str]:
    """(accountId, deployRoleArn, region) of a stack file, typed and checked like the program's."""
    from baseline.config import parse  # noqa: PLC0415
    from toolchain import InputError  # noqa: PLC0415
    from toolchain.inputs import read_yaml  # noqa: PLC0415

    path = root / f"Pulumi.{stack}.yaml"
    try:
        doc = read_yaml(path, "stack config")
    except InputError as exc:
        raise ConfigError(str(exc)) from None
    values = (doc or {}).get("config") if isinstance(doc, dict) else None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a mapping with a 'config:' section")
    # Secrets cannot be read here and are not needed: a placeholder keeps parse's checks.
    plain = {k: ("offline" if isinstance(v, dict) else v) for k, v in values.items()}
    cfg = parse(plain, stack)
    return cfg.account_id, cfg.deploy_role_arn, cfg.region


def main(argv: Sequence[str] | None = None, client: Callable[..., Any] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m baseline.accounts",
        description="Check that the deploying identity is in the stack's account (exit 2 if not).",
    )
    parser.add_argument("--stack", required=True)
    parser.add_argument("--root", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        expected, role_arn, region = _stack_settings(args.stack, args.root)
        actual = check_caller_account(args.stack, expected, role_arn, region, client)
    except ConfigError as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return 2
    except (BotoCoreError, ClientError) as exc:  # no credentials; AccessDenied on AssumeRole
        where = f" (assuming {role_arn})" if role_arn else ""
        print(
            f"refusing stack '{args.stack}': cannot tell the deploying identity's account{where}: "
            f"{str(exc).splitlines()[0]}",
            file=sys.stderr,
        )
        return 2
    via = f" through {role_arn}" if role_arn else ""
    print(f"stack '{args.stack}': the deploying identity{via} is in account {actual}, the stack's")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""One account per stack: the deploying identity's account (STS GetCallerIdentity, moto) is
checked against the stack's accountId, through its deploy role when it has one; a wrong account
is a one-line refusal, exit 2 on the command line."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest
import yaml
from moto import mock_aws

from baseline.accounts import AccountError, caller_account, check_caller_account, main
from toolchain.plan import read_stack_config, stack_config_file

MOTO_ACCOUNT = "123456789012"  # the account moto's own credentials are in
PROD_ACCOUNT = "444455556666"


@pytest.fixture
def aws(monkeypatch):
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield


def stack_root(tmp_path: Path, account: str, role: str = "") -> Path:
    values = read_stack_config(stack_config_file("dev"))
    values["baseline:accountId"] = account
    values["baseline:deployRoleArn"] = role
    values["baseline:previewRoleArn"] = ""  # the preflight checks the deploy role's account
    (tmp_path / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": values}))
    return tmp_path


def test_the_callers_own_account_is_accepted(aws):
    assert check_caller_account("dev", MOTO_ACCOUNT) == MOTO_ACCOUNT


def test_a_caller_in_another_account_is_refused_in_one_line(aws):
    with pytest.raises(AccountError) as refused:
        check_caller_account("prod", PROD_ACCOUNT)
    message = str(refused.value)
    assert "\n" not in message
    assert f"account {MOTO_ACCOUNT}" in message and f"accountId is {PROD_ACCOUNT}" in message
    assert "'prod'" in message


def test_the_deploy_role_is_assumed_before_the_account_is_told(aws):
    role = f"arn:aws:iam::{PROD_ACCOUNT}:role/baseline-deployer-prod"
    assert caller_account(role) == PROD_ACCOUNT
    assert check_caller_account("prod", PROD_ACCOUNT, role) == PROD_ACCOUNT
    with pytest.raises(AccountError, match="through arn:aws:iam::444455556666"):
        check_caller_account("dev", "111122223333", role)


def test_the_command_exits_2_with_one_line_on_a_wrong_account(aws, tmp_path, capsys):
    root = stack_root(tmp_path, PROD_ACCOUNT)
    assert main(["--stack", "dev", "--root", str(root)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("refusing stack 'dev'"), err


def test_the_command_exits_0_in_the_stacks_account(aws, tmp_path, capsys):
    root = stack_root(tmp_path, MOTO_ACCOUNT)
    assert main(["--stack", "dev", "--root", str(root)]) == 0
    assert f"account {MOTO_ACCOUNT}" in capsys.readouterr().out


def test_the_command_refuses_a_role_it_cannot_assume(aws, tmp_path, capsys):
    root = stack_root(
        tmp_path, MOTO_ACCOUNT, f"arn:aws:iam::{MOTO_ACCOUNT}:role/baseline-deployer-dev"
    )

    def failing_client(service, **kwargs):
        client = boto3.client(service, **kwargs)

        def refuse(**_):
            raise client.exceptions.ClientError(
                {"Error": {"Code": "AccessDenied", "Message": "not trusted"}}, "AssumeRole"
            )

        client.assume_role = refuse
        return client

    assert main(["--stack", "dev", "--root", str(root)], client=failing_client) == 2
    assert "cannot tell the deploying identity's account" in capsys.readouterr().err


def test_a_bad_stack_file_is_refused_naming_the_key(aws, tmp_path, capsys):
    root = stack_root(tmp_path, "12345")
    assert main(["--stack", "dev", "--root", str(root)]) == 2
    assert "baseline:accountId" in capsys.readouterr().err

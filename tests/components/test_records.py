"""Records: the agents' audit log group (logging key, retention), each serving persona's grants on
it and on its own database user, and the migration's identity that alone may read the master
user secret."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from components.records import (
    MCP_DB_USER,
    Records,
    RecordsArgs,
    RecordsWriter,
    audit_log_group_name,
    check_records,
    db_user,
    migration_policy,
    reader_connect_statement,
    writer_policy,
)
from tests.conftest import one, run_component
from toolchain.export import StackExport

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
ACCOUNT = "123456789012"
REGION = "us-east-1"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{ISSUER}"
LOG_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-4333-8444-555555555555"
DB_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/66666666-7777-4888-8999-000000000000"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:rds!db-0f0f0f0f-aBcDeF"
RESOURCE_ID = "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PERSONAS = ("release-engineer", "cost-optimizer")


@pytest.fixture(scope="module")
def export() -> StackExport:
    def program() -> dict[str, Any]:
        aws_provider = aws.Provider("aws", region=REGION)
        k8s_provider = k8s.Provider("k8s", kubeconfig="{}")
        records = Records(
            "records",
            RecordsArgs(
                stack="prod",
                region=REGION,
                account_id=ACCOUNT,
                oidc_provider_arn=PROVIDER_ARN,
                oidc_provider_url=ISSUER,
                db_resource_id=RESOURCE_ID,
                master_secret_arn=SECRET,
                master_secret_kms_key_arn=DB_KEY,
                writers=[RecordsWriter(p, f"identity-{p}-abc1234") for p in PERSONAS],
                log_retention_days=400,
                log_kms_key_arn=LOG_KEY,
            ),
            pulumi.ResourceOptions(providers=[aws_provider, k8s_provider]),
        )
        return {
            "group": records.audit_log_group_name,
            "namespace": records.migration_namespace,
            "serviceAccount": records.migration_service_account,
        }

    return run_component(program)


def statements(policy: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(policy)["Statement"]}


# -- pure functions -----------------------------------------------------------------------------


def test_db_users_are_prefixed_underscored_persona_names():
    assert db_user("release-engineer") == "agent_release_engineer"
    assert db_user("cost-optimizer") == "agent_cost_optimizer"


def test_a_persona_that_makes_no_postgres_identifier_is_refused():
    with pytest.raises(ValueError, match="PostgreSQL identifier"):
        db_user("x" * 60)


def test_the_audit_group_is_named_by_the_stack():
    assert audit_log_group_name("dev") == "/baseline/dev/agents/audit"


def test_a_writer_may_use_only_the_audit_group_and_its_own_database_user():
    found = statements(
        writer_policy(
            REGION, ACCOUNT, "/baseline/prod/agents/audit", RESOURCE_ID, "agent_x", stream="x"
        )
    )
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/baseline/prod/agents/audit"
    assert found["AuditLogStreams"]["Action"] == ["logs:CreateLogStream", "logs:DescribeLogStreams"]
    assert found["AuditLogStreams"]["Resource"] == f"{group}:*"
    assert found["AuditLogEvents"]["Action"] == ["logs:PutLogEvents", "logs:GetLogEvents"]
    # Its own stream only: no persona can add to another's audit chain.
    assert found["AuditLogEvents"]["Resource"] == f"{group}:log-stream:x"
    assert found["RecordsDatabaseConnect"] == {
        "Sid": "RecordsDatabaseConnect",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{RESOURCE_ID}/agent_x",
    }
    # CloudWatch Logs encrypts with its own grant on the key: the writer needs no KMS action.
    actions = [
        a
        for s in found.values()
        for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    ]
    assert not [a for a in actions if a.startswith("kms:")], actions


def test_a_writer_policy_needs_a_dbi_resource_id():
    with pytest.raises(ValueError, match="DbiResourceId"):
        writer_policy(REGION, ACCOUNT, "/g", "baseline-prod", "agent_x", stream="x")


def test_the_reader_connects_as_its_own_user_on_this_instance_only():
    assert MCP_DB_USER == "agent_mcp_reader"
    assert reader_connect_statement(REGION, ACCOUNT, RESOURCE_ID) == {
        "Sid": "RecordsDatabaseRead",
        "Effect": "Allow",
        "Action": "rds-db:connect",
        "Resource": f"arn:aws:rds-db:{REGION}:{ACCOUNT}:dbuser:{RESOURCE_ID}/agent_mcp_reader",
    }
    for resource_id, user, says in (
        ("baseline-prod", MCP_DB_USER, "DbiResourceId"),
        (RESOURCE_ID, "*", "identifier"),
        (RESOURCE_ID, "agent_*", "identifier"),
    ):
        with pytest.raises(ValueError, match=says):
            reader_connect_statement(REGION, ACCOUNT, resource_id, user)


def dev_records(writers: list[RecordsWriter]) -> RecordsArgs:
    """The dev stack's records with these writers (what check_records judges)."""
    return RecordsArgs(
        stack="dev",
        region=REGION,
        account_id=ACCOUNT,
        oidc_provider_arn=PROVIDER_ARN,
        oidc_provider_url=ISSUER,
        db_resource_id=RESOURCE_ID,
        master_secret_arn=SECRET,
        writers=writers,
    )


def test_no_persona_may_be_the_reader():
    with pytest.raises(ValueError, match="read-only user"):
        check_records(dev_records([RecordsWriter("mcp-reader", "r1")]))


def test_the_migration_reads_one_secret_and_decrypts_through_secrets_manager_only():
    found = statements(migration_policy(REGION, SECRET, DB_KEY))
    assert found["ReadMasterUserSecret"]["Action"] == "secretsmanager:GetSecretValue"
    assert found["ReadMasterUserSecret"]["Resource"] == SECRET
    decrypt = found["DecryptMasterUserSecret"]
    assert (decrypt["Action"], decrypt["Resource"]) == ("kms:Decrypt", DB_KEY)
    assert decrypt["Condition"] == {
        "StringEquals": {
            "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
            "kms:EncryptionContext:SecretARN": SECRET,
        }
    }


def test_a_secret_under_an_aws_managed_key_needs_no_kms_grant():
    assert set(statements(migration_policy(REGION, SECRET, None))) == {"ReadMasterUserSecret"}


def test_the_migration_policy_needs_an_arn():
    with pytest.raises(ValueError, match="ARN"):
        migration_policy(REGION, "", None)


def test_a_persona_given_twice_is_refused():
    with pytest.raises(ValueError, match="twice"):
        check_records(dev_records([RecordsWriter("a", "r1"), RecordsWriter("a", "r2")]))


# -- the component ------------------------------------------------------------------------------


def test_the_audit_group_is_the_stacks_with_the_logging_key_and_its_retention(export):
    group = one(export, LOG_GROUP)
    assert group.inputs["name"] == "/baseline/prod/agents/audit", group.urn
    assert group.inputs["kmsKeyId"] == LOG_KEY, group.urn
    assert group.inputs["retentionInDays"] == 400, group.urn
    assert export.stack_outputs["group"] == "/baseline/prod/agents/audit"


def test_each_writer_gets_its_grants_on_its_own_role(export):
    policies = {r.name.removeprefix("records-"): r for r in export.of_type(ROLE_POLICY)}
    assert set(policies) == {*PERSONAS, "migrate"}
    for persona in PERSONAS:
        policy = policies[persona]
        assert policy.inputs["role"] == f"identity-{persona}-abc1234", policy.urn
        connect = statements(policy.inputs["policy"])["RecordsDatabaseConnect"]
        assert connect["Resource"].endswith(f"{RESOURCE_ID}/{db_user(persona)}"), policy.urn


def test_the_migration_role_is_bound_to_its_own_service_account(export):
    role = one(export, ROLE)
    (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert statement["Condition"]["StringEquals"] == {
        f"{ISSUER}:sub": "system:serviceaccount:agents-records:records-migrate",
        f"{ISSUER}:aud": "sts.amazonaws.com",
    }, role.urn
    policy = next(r for r in export.of_type(ROLE_POLICY) if r.name == "records-migrate")
    assert policy.inputs["role"] == role.outputs["id"], policy.urn
    found = statements(policy.inputs["policy"])
    assert set(found) == {
        "ReadMasterUserSecret",
        "DecryptMasterUserSecret",
        "AuditLogStreams",
        "AuditLogEvents",
    }
    # Its records go to its own stream of the audit group, and nowhere else.
    assert found["AuditLogEvents"]["Resource"].endswith(":log-stream:records-migrate")


def test_the_migration_namespace_is_restricted_and_closed(export):
    ns = one(export, NAMESPACE)
    labels = ns.inputs["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted", ns.urn
    policy = one(export, NETWORK_POLICY)
    assert policy.inputs["metadata"]["namespace"] == "agents-records", policy.urn
    assert policy.inputs["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}, policy.urn
    account = one(export, SERVICE_ACCOUNT)
    assert account.inputs["automountServiceAccountToken"] is False, account.urn
    role_arn = one(export, ROLE).outputs["arn"]
    assert account.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": role_arn}


def test_the_migration_service_account_waits_for_its_grant(export):
    """The Job is written from this name, so it starts once its role may read the secret."""
    assert export.stack_outputs["serviceAccount"] == "records-migrate"
    assert export.stack_outputs["namespace"] == "agents-records"

"""Database: encryption, no password input, network isolation, TLS, deletion safety, monitoring,
and backups replicated to the DR region through the DR provider."""

import json

import pulumi
import pulumi_aws as aws
import pytest

from components.database import (
    Database,
    DatabaseArgs,
    check_args,
    final_snapshot_identifier,
    max_allocated_storage,
    parameter_group_family,
)
from tests.conftest import one, run_component
from toolchain.export import Resource, StackExport

INSTANCE = "aws:rds/instance:Instance"
KEY = "aws:kms/key:Key"
REPLICATION = "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
CLIENTS = ["sg-0nodes0000000000", "sg-0bastion00000000"]
SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]


def database(replicate_backups_to_dr: bool = False, **overrides) -> StackExport:
    def program():
        provider = aws.Provider("aws", region="us-east-1")
        dr = aws.Provider("dr", region="us-west-2")
        replicate = replicate_backups_to_dr
        args = DatabaseArgs(
            vpc_id="vpc-0test",
            subnet_ids=SUBNETS,
            client_security_group_ids=CLIENTS,
            replicate_backups_to_dr=replicate,
            dr_provider=dr if replicate else None,
            **overrides,
        )
        db = Database("db", args, pulumi.ResourceOptions(providers=[provider]))
        return {
            "identifier": db.instance_identifier,
            "endpoint": db.endpoint,
            "secret": db.master_user_secret_arn,
            "drKey": db.dr_kms_key_arn,
        }

    return run_component(program)


@pytest.fixture(scope="module")
def protected() -> StackExport:
    """prod-like: protected, Multi-AZ, backups copied to the DR region."""
    return database(
        engine_version="17",
        deletion_protection=True,
        multi_az=True,
        backup_retention_days=14,
        performance_insights_retention_days=31,
        allocated_storage_gb=100,
        max_allocated_storage_gb=500,
        replicate_backups_to_dr=True,
    )


@pytest.fixture(scope="module")
def unprotected() -> StackExport:
    """dev-like: no deletion protection, single-AZ, no DR copy, no storage autoscaling."""
    return database(
        engine_version="16.4",
        deletion_protection=False,
        multi_az=False,
        backup_retention_days=3,
        allocated_storage_gb=20,
        max_allocated_storage_gb=20,
    )


@pytest.fixture(params=["protected", "unprotected"])
def each(request, protected, unprotected) -> StackExport:
    return protected if request.param == "protected" else unprotected


def by_name(export: StackExport, type_token: str, name: str) -> Resource:
    found = [r for r in export.of_type(type_token) if r.name == name]
    assert len(found) == 1, f"expected one {type_token} named {name}, found {len(found)}"
    return found[0]


def dr_provider_urn(export: StackExport) -> str:
    return by_name(export, "pulumi:providers:aws", "dr").urn


# -- pure decisions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "family"),
    [("17", "postgres17"), ("17.2", "postgres17"), ("16.4", "postgres16"), ("13", "postgres13")],
)
def test_parameter_group_family_is_the_engine_major(version, family):
    assert parameter_group_family(version) == family


@pytest.mark.parametrize("version", ["", "seventeen", "17.x", "9.6", "postgres17"])
def test_parameter_group_family_refuses_what_is_not_a_supported_version(version):
    with pytest.raises(ValueError, match="engine_version"):
        parameter_group_family(version)


def test_storage_ceiling_only_when_above_the_allocated_storage():
    assert max_allocated_storage(20, 100) == 100
    assert max_allocated_storage(20, 20) is None
    assert max_allocated_storage(100, 50) is None


def test_final_snapshot_only_when_protected():
    assert final_snapshot_identifier("db", True) == "db-final-snapshot"
    assert final_snapshot_identifier("db", False) is None


def test_replication_without_a_dr_provider_is_refused():
    args = DatabaseArgs(vpc_id="v", subnet_ids=SUBNETS, replicate_backups_to_dr=True)
    with pytest.raises(ValueError, match="dr_provider"):
        check_args(args)


def test_a_single_subnet_is_refused():
    with pytest.raises(ValueError, match="two availability zones"):
        check_args(DatabaseArgs(vpc_id="v", subnet_ids=["subnet-a"]))


# -- encryption and credentials ---------------------------------------------------------------


def test_storage_is_encrypted_with_the_components_cmk(each):
    db, key = one(each, INSTANCE), by_name(each, KEY, "db-kms")
    assert db.inputs["storageEncrypted"] is True, db.urn
    assert db.inputs["kmsKeyId"] == key.outputs["arn"], db.urn


def test_the_cmk_rotates_and_has_a_30_day_deletion_window(each):
    key = by_name(each, KEY, "db-kms")
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    alias = by_name(each, "aws:kms/alias:Alias", "db-kms")
    assert alias.inputs["targetKeyId"] == key.outputs["keyId"], alias.urn


def test_storage_is_gp3(each):
    db = one(each, INSTANCE)
    assert db.inputs["storageType"] == "gp3", db.urn


def test_storage_autoscales_only_when_the_ceiling_is_higher(protected, unprotected):
    db = one(protected, INSTANCE)
    assert (db.inputs["allocatedStorage"], db.inputs["maxAllocatedStorage"]) == (100, 500), db.urn
    db = one(unprotected, INSTANCE)
    assert "maxAllocatedStorage" not in db.inputs, db.urn


def test_the_instance_is_not_public(each):
    db = one(each, INSTANCE)
    assert db.inputs["publiclyAccessible"] is False, db.urn


def test_no_password_is_an_input(each):
    db = one(each, INSTANCE)
    assert not {"password", "passwordWo", "passwordWoVersion"} & set(db.inputs), db.urn


def test_rds_manages_the_master_password_under_the_cmk(each):
    db, key = one(each, INSTANCE), by_name(each, KEY, "db-kms")
    assert db.inputs["manageMasterUserPassword"] is True, db.urn
    assert db.inputs["masterUserSecretKmsKeyId"] == key.outputs["arn"], db.urn


def test_the_secret_arn_is_an_output(protected):
    db = one(protected, INSTANCE)
    assert protected.stack_outputs["secret"] == db.outputs["masterUserSecrets"][0]["secretArn"]


def test_tls_is_verified_against_a_current_rsa_ca(each):
    db = one(each, INSTANCE)
    assert db.inputs["caCertIdentifier"] == "rds-ca-rsa2048-g1", db.urn


# -- network ----------------------------------------------------------------------------------


def test_the_instance_sits_in_the_given_subnets_behind_its_own_security_group(each):
    db = one(each, INSTANCE)
    sg = one(each, "aws:ec2/securityGroup:SecurityGroup")
    subnets = one(each, "aws:rds/subnetGroup:SubnetGroup")
    assert db.inputs["vpcSecurityGroupIds"] == [sg.outputs["id"]], db.urn
    assert db.inputs["dbSubnetGroupName"] == subnets.outputs["name"], db.urn
    assert subnets.inputs["subnetIds"] == SUBNETS, subnets.urn
    assert sg.inputs["vpcId"] == "vpc-0test", sg.urn
    assert sg.inputs["description"], sg.urn


def test_ingress_is_only_5432_from_the_client_security_groups(each):
    sg = one(each, "aws:ec2/securityGroup:SecurityGroup")
    assert not sg.inputs.get("ingress"), f"{sg.urn} has inline ingress rules"
    rules = each.of_type(INGRESS)
    assert sorted(r.inputs["referencedSecurityGroupId"] for r in rules) == sorted(CLIENTS)
    for rule in rules:
        assert rule.inputs["securityGroupId"] == sg.outputs["id"], rule.urn
        assert rule.inputs["ipProtocol"] == "tcp", rule.urn
        assert (rule.inputs["fromPort"], rule.inputs["toPort"]) == (5432, 5432), rule.urn
        assert rule.inputs["description"], rule.urn
        assert not {"cidrIpv4", "cidrIpv6", "prefixListId"} & set(rule.inputs), rule.urn


def test_no_rule_admits_the_world(each):
    for rule in each.of_type(INGRESS) + each.of_type(
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
    ):
        assert rule.inputs.get("cidrIpv4") != "0.0.0.0/0", rule.urn
        assert rule.inputs.get("cidrIpv6") != "::/0", rule.urn


# -- parameter group --------------------------------------------------------------------------


def test_the_parameter_group_forces_ssl(each):
    pg = one(each, "aws:rds/parameterGroup:ParameterGroup")
    params = {p["name"]: p["value"] for p in pg.inputs["parameters"]}
    assert params["rds.force_ssl"] == "1", pg.urn
    assert params["log_connections"] == "1", pg.urn
    assert int(params["log_min_duration_statement"]) > 0, pg.urn


def test_the_parameter_group_family_matches_the_engine_version(protected, unprotected):
    for export, family, version in (
        (protected, "postgres17", "17"),
        (unprotected, "postgres16", "16.4"),
    ):
        pg = one(export, "aws:rds/parameterGroup:ParameterGroup")
        db = one(export, INSTANCE)
        assert pg.inputs["family"] == family, pg.urn
        assert db.inputs["engineVersion"] == version, db.urn
        assert db.inputs["parameterGroupName"] == pg.outputs["name"], db.urn


# -- deletion safety --------------------------------------------------------------------------


def test_a_protected_database_keeps_a_final_snapshot_and_its_backups(protected):
    db = one(protected, INSTANCE)
    assert db.inputs["deletionProtection"] is True, db.urn
    assert db.inputs["skipFinalSnapshot"] is False, db.urn
    assert db.inputs["finalSnapshotIdentifier"] == "db-final-snapshot", db.urn
    assert db.inputs["deleteAutomatedBackups"] is False, db.urn


def test_an_unprotected_database_is_deleted_with_its_backups(unprotected):
    db = one(unprotected, INSTANCE)
    assert db.inputs["deletionProtection"] is False, db.urn
    assert db.inputs["skipFinalSnapshot"] is True, db.urn
    assert "finalSnapshotIdentifier" not in db.inputs, db.urn
    assert db.inputs["deleteAutomatedBackups"] is True, db.urn


def test_backups_multi_az_and_maintenance_follow_the_args(protected, unprotected):
    p, u = one(protected, INSTANCE), one(unprotected, INSTANCE)
    assert (p.inputs["backupRetentionPeriod"], p.inputs["multiAz"]) == (14, True), p.urn
    assert (u.inputs["backupRetentionPeriod"], u.inputs["multiAz"]) == (3, False), u.urn
    for db in (p, u):
        assert db.inputs["autoMinorVersionUpgrade"] is True, db.urn
        assert db.inputs["copyTagsToSnapshot"] is True, db.urn
        assert db.inputs["applyImmediately"] is False, db.urn


# -- observability and access -----------------------------------------------------------------


def test_performance_insights_iam_auth_and_log_exports(each):
    db, key = one(each, INSTANCE), by_name(each, KEY, "db-kms")
    assert db.inputs["performanceInsightsEnabled"] is True, db.urn
    assert db.inputs["performanceInsightsKmsKeyId"] == key.outputs["arn"], db.urn
    assert db.inputs["iamDatabaseAuthenticationEnabled"] is True, db.urn
    assert db.inputs["enabledCloudwatchLogsExports"] == ["postgresql", "upgrade"], db.urn


def test_performance_insights_retention_follows_the_args(protected):
    db = one(protected, INSTANCE)
    assert db.inputs["performanceInsightsRetentionPeriod"] == 31, db.urn


def test_enhanced_monitoring_every_60s_with_the_aws_managed_policy(each):
    db = one(each, INSTANCE)
    role = one(each, "aws:iam/role:Role")
    attachment = one(each, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "monitoring.rds.amazonaws.com"}
    assert attachment.inputs["policyArn"].endswith(
        ":policy/service-role/AmazonRDSEnhancedMonitoringRole"
    ), attachment.urn
    assert db.inputs["monitoringInterval"] == 60, db.urn
    assert db.inputs["monitoringRoleArn"] == role.outputs["arn"], db.urn
    assert attachment.urn in db.dependencies, f"{db.urn} is created before its monitoring policy"


# -- DR ---------------------------------------------------------------------------------------


def test_no_replication_unless_asked(unprotected):
    assert not unprotected.of_type(REPLICATION)
    assert [r.name for r in unprotected.of_type(KEY)] == ["db-kms"]
    assert unprotected.stack_outputs["drKey"] is None


def test_backups_are_replicated_through_the_dr_provider(protected):
    rep = one(protected, REPLICATION)
    assert rep.provider_urn == dr_provider_urn(protected), rep.urn
    assert rep.inputs["sourceDbInstanceArn"] == one(protected, INSTANCE).outputs["arn"], rep.urn
    assert rep.inputs["retentionPeriod"] == 14, rep.urn


def test_replicated_backups_use_a_key_of_the_dr_region(protected):
    rep, dr_key = one(protected, REPLICATION), by_name(protected, KEY, "db-dr-kms")
    assert dr_key.provider_urn == dr_provider_urn(protected), dr_key.urn
    assert dr_key.inputs["enableKeyRotation"] is True, dr_key.urn
    assert dr_key.outputs["arn"].startswith("arn:aws:kms:us-west-2:"), dr_key.urn
    assert rep.inputs["kmsKeyId"] == dr_key.outputs["arn"], rep.urn
    assert protected.stack_outputs["drKey"] == dr_key.outputs["arn"]


def test_everything_else_stays_in_the_primary_region(protected):
    dr = dr_provider_urn(protected)
    in_dr = {r.name for r in protected if r.custom and r.provider_urn == dr}
    assert in_dr == {"db-dr-kms", "db-backups-dr"}


def test_the_component_registers_its_outputs(protected):
    comp = one(protected, "baseline:database:Database")
    db = one(protected, INSTANCE)
    assert comp.outputs["instanceIdentifier"] == db.outputs["identifier"], comp.urn
    assert comp.outputs["address"] == db.outputs["address"], comp.urn
    assert comp.outputs["port"] == 5432, comp.urn
    assert (
        comp.outputs["securityGroupId"]
        == one(protected, "aws:ec2/securityGroup:SecurityGroup").outputs["id"]
    )
    assert set(comp.outputs) >= {"endpoint", "masterUserSecretArn", "kmsKeyArn", "drKmsKeyArn"}


def test_named_instance_gets_its_log_groups_declared_first_with_retention():
    export = database(identifier="baseline-test", log_retention_days=14)
    db = one(export, "aws:rds/instance:Instance")
    assert db.inputs["identifier"] == "baseline-test", db.urn
    groups = {g.inputs["name"]: g for g in export.of_type("aws:cloudwatch/logGroup:LogGroup")}
    for log in db.inputs["enabledCloudwatchLogsExports"]:
        group = groups[f"/aws/rds/instance/baseline-test/{log}"]
        assert group.inputs["retentionInDays"] == 14, group.urn
        assert group.urn in db.dependencies, f"{db.urn} must wait for {group.urn}"


def test_an_auto_named_instance_declares_no_log_groups():
    export = database()
    assert export.of_type("aws:cloudwatch/logGroup:LogGroup") == []

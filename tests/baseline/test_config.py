"""The typed stack config: declarations in Pulumi.yaml, defaults, and errors that name the key."""

from dataclasses import fields

import pytest

from baseline.config import ConfigError, StackConfig, declared_keys, parse, snake
from tests.conftest import stack_values


def test_every_config_field_is_declared_in_pulumi_yaml_and_back():
    declared = {snake(k) for k in declared_keys()}
    field_names = {f.name for f in fields(StackConfig)} - {"stack"}
    assert declared == field_names


def test_every_declared_key_has_a_description():
    for key, spec in declared_keys().items():
        assert spec.description.strip(), f"baseline:{key} has no description"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_stack_files_parse(stack):
    cfg = parse(stack_values(stack), stack)
    assert cfg.stack == stack
    assert cfg.cost_tags == {
        "project": "baseline",
        "stack": stack,
        "owner": "platform-team",
        "cost-center": "cc-1234",
    }


def test_dev_and_prod_differ_in_cost_against_resilience():
    dev, prod = parse(stack_values("dev"), "dev"), parse(stack_values("prod"), "prod")
    assert (dev.nat_strategy, prod.nat_strategy) == ("single", "per-az")
    assert not dev.db_multi_az and prod.db_multi_az
    assert not dev.enable_cloud_trail and prod.enable_cloud_trail
    assert prod.db_replicate_backups_to_dr and not dev.db_replicate_backups_to_dr
    assert prod.db_backup_retention_days >= 7
    assert len(dev.environments) > 1  # one consolidated non-prod cluster


def test_defaults_apply_to_keys_a_stack_does_not_set():
    values = {
        "baseline:owner": "team-a",
        "baseline:costCenter": "cc-9",
        "baseline:accountId": "111122223333",
    }
    cfg = parse(values, "scratch")
    assert cfg.az_count == declared_keys()["azCount"].default == 3
    assert cfg.region == "us-east-1"


def test_engine_strings_are_typed():
    values = {
        "baseline:owner": "a",
        "baseline:costCenter": "b",
        "baseline:accountId": "111122223333",
        "baseline:azCount": "2",
        "baseline:dbMultiAz": "true",
        "baseline:environments": '["x", "y"]',
    }
    cfg = parse(values, "s")
    assert (cfg.az_count, cfg.db_multi_az, cfg.environments) == (2, True, ("x", "y"))


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("natStrategy", "double", "single or per-az"),
        ("azCount", "seven", "an integer"),
        ("azCount", 9, "2 to 6"),
        ("dbMultiAz", "maybe", "true or false"),
        ("workloadInstanceTypes", ["m5.large", "m6g.large", "c7g.large"], "Graviton"),
        (
            "workloadInstanceTypes",
            ["m7g.large", "m7g.xlarge", "c7g.large"],
            "three instance families",
        ),
        ("systemNodeInstanceTypes", ["t3.medium"], "Graviton"),
        ("dbInstanceClass", "db.m5.large", "Graviton RDS class"),
        ("vpcCidr", "10.0.0.0/8", "/16 to /20"),
        ("clusterPublicAccessCidrs", ["0.0.0.0/0"], "no 0.0.0.0/0"),
        ("flowLogRetentionDays", 10, "retention"),
        ("dbBackupRetentionDays", 0, "1 to 35"),
        ("dbMaxAllocatedStorageGb", 10, "at least dbAllocatedStorageGb"),
        ("drRegion", "us-east-1", "other than region"),
        ("region", "mars-1", "AWS region"),
        ("environments", ["Dev"], "DNS labels"),
        ("alertEmails", ["not-an-email"], "email"),
        ("interfaceEndpoints", ["ssm"], "services among"),
        ("clusterVersion", "1.20", "1.29 or later"),
        ("autoscaler", "cluster-autoscaler", "karpenter or none"),
        ("workloadSpotMax", 5, "fixed floor"),
        ("karpenterVersion", "0.37.0", "1.0.0 or later"),
        ("karpenterReplicas", 2, "1 to systemNodesMin (1)"),
        ("nodePoolInstanceFamilies", ["m7g", "m7i", "c7g"], "Graviton"),
        ("nodePoolInstanceFamilies", ["m7g", "c7g"], "at least 3 families"),
        ("nodePoolInstanceSizes", ["huge"], "instance sizes"),
        ("nodePoolCapacityTypes", ["spot", "reserved"], "spot, on-demand"),
        ("nodePoolCpuLimit", 0, "1 to 10000"),
        ("nodePoolDisruptionBudget", "ten", "percentage"),
        ("nodeAmiAlias", "al2@latest", "al2023@"),
        ("containerLogRetentionDays", 10, "retention"),
        ("collectorReplicas", 0, "1 to 5"),
        ("agentImage", "ghcr.io/owner/agents:1.0", "without tag or digest"),
        ("agentImageTag", "-bad", "an image tag"),
        ("agentImageDigest", "sha256:abc", "64 lower-case hex"),
        ("agentIntervalSeconds", 0, "1 to 86400"),
        ("agentAuditLogRetentionDays", 366, "retention"),
    ],
)
def test_bad_values_fail_naming_the_key(key, value, expected):
    with pytest.raises(ConfigError) as err:
        parse(stack_values("dev", **{key: value}), "dev")
    assert f"'baseline:{key}'" in str(err.value)
    assert expected in str(err.value)


def test_a_missing_required_key_is_named():
    values = stack_values("dev")
    del values["baseline:owner"]
    with pytest.raises(ConfigError, match=r"'baseline:owner': required"):
        parse(values, "dev")


def test_a_misspelt_key_is_refused_instead_of_ignored():
    with pytest.raises(ConfigError, match=r"'baseline:natStrategey': not a key"):
        parse(stack_values("dev", natStrategey="single"), "dev")


def test_other_namespaces_are_left_to_their_owners():
    cfg = parse({**stack_values("dev"), "aws:region": "eu-west-1"}, "dev")
    assert cfg.region == "us-east-1"


def test_the_agent_image_is_pulled_by_digest_when_one_is_set():
    dev, prod = parse(stack_values("dev"), "dev"), parse(stack_values("prod"), "prod")
    assert dev.agent_image_reference == f"{dev.agent_image}:{dev.agent_image_tag}"
    assert prod.agent_image_reference == f"{prod.agent_image}@{prod.agent_image_digest}"


def test_an_empty_digest_is_the_optional_keys_default():
    cfg = parse(stack_values("dev", agentImageDigest=""), "dev")
    assert cfg.agent_image_digest == ""


def test_without_karpenter_the_managed_groups_may_scale_and_its_keys_are_still_judged():
    # Without Karpenter there are no Karpenter nodes for the spot experiment to interrupt.
    no_spot_chaos = {"chaosExperiments": ["az-network"]}
    cfg = parse(stack_values("dev", autoscaler="none", workloadSpotMax=5, **no_spot_chaos), "dev")
    assert cfg.autoscaler == "none" and cfg.workload_spot_max == 5
    with pytest.raises(ConfigError, match="'baseline:nodePoolCapacityTypes'"):
        parse(
            stack_values("dev", autoscaler="none", nodePoolCapacityTypes=["x"], **no_spot_chaos),
            "dev",
        )

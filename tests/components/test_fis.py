"""FIS: experiment templates per stack config, each stopped by the SLO page alarms, each run by a
role scoped to what it breaks."""

import json

import pytest

from components.fis import network_policy, rds_policy, spot_policy
from tests.conftest import plan
from toolchain.export import StackExport
from toolchain.plan import PlanError

TEMPLATE = "aws:fis/experimentTemplate:ExperimentTemplate"
COMPOSITE = "aws:cloudwatch/compositeAlarm:CompositeAlarm"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"


def templates(export: StackExport) -> dict[str, dict]:
    return {r.name: r.inputs for r in export.of_type(TEMPLATE)}


def test_dev_has_spot_and_az_experiments_and_prod_adds_the_rds_failover(dev, prod):
    assert sorted(templates(dev)) == ["fis-az-network", "fis-spot-interruption"]
    assert sorted(templates(prod)) == [
        "fis-az-network",
        "fis-rds-failover",
        "fis-spot-interruption",
    ]


def test_every_template_stops_on_every_slo_page_alarm(each_stack):
    pages = {
        r.outputs.get("arn") for r in each_stack.of_type(COMPOSITE) if r.name.endswith("-page")
    }
    assert len(pages) == 3
    for name, t in templates(each_stack).items():
        stops = {s["value"] for s in t["stopConditions"]}
        assert stops == pages, name
        assert {s["source"] for s in t["stopConditions"]} == {"aws:cloudwatch:alarm"}, name


def test_spot_experiment_targets_one_running_karpenter_node(dev):
    t = templates(dev)["fis-spot-interruption"]
    (action,) = t["actions"]
    assert action["actionId"] == "aws:ec2:send-spot-instance-interruptions"
    (target,) = t["targets"]
    assert target["selectionMode"] == "COUNT(1)"
    tags = {x["key"]: x["value"] for x in target["resourceTags"]}
    assert tags == {
        "karpenter.sh/nodepool": "workload",
        "kubernetes.io/cluster/baseline-dev": "owned",
    }


def test_az_experiment_disrupts_only_the_first_azs_subnets(dev):
    t = templates(dev)["fis-az-network"]
    assert t["actions"][0]["actionId"] == "aws:network:disrupt-connectivity"
    arns = t["targets"][0]["resourceArns"]
    assert len(arns) == 2 and all(":subnet/" in a for a in arns)


def test_rds_experiment_forces_a_failover(prod):
    t = templates(prod)["fis-rds-failover"]
    (action,) = t["actions"]
    assert action["actionId"] == "aws:rds:reboot-db-instances"
    assert {"key": "forceFailover", "value": "true"} in action["parameters"]


def test_roles_are_scoped_to_what_they_break():
    spot = json.loads(spot_policy("us-east-1", "123456789012", "baseline-dev"))
    interrupt = spot["Statement"][0]
    assert interrupt["Action"] == "ec2:SendSpotInstanceInterruptions"
    assert interrupt["Condition"]["StringLike"] == {"aws:ResourceTag/karpenter.sh/nodepool": "*"}
    net = json.loads(network_policy("us-east-1", "123456789012", "vpc-1", ["subnet-a"]))
    # Only describes are unscoped; every write names ACLs FIS tagged, the VPC or the subnets.
    reads = [s for s in net["Statement"] if s["Resource"] == "*"]
    assert all(a.startswith("ec2:Describe") for s in reads for a in s["Action"])
    rds = json.loads(rds_policy("arn:aws:rds:us-east-1:123456789012:db:baseline-prod"))
    assert rds["Statement"][0]["Resource"] == "arn:aws:rds:us-east-1:123456789012:db:baseline-prod"


def test_rds_failover_needs_multi_az():
    with pytest.raises(PlanError, match="chaosExperiments"):
        plan("dev", chaosExperiments=["rds-failover"])


def test_experiments_need_slos():
    with pytest.raises(PlanError, match="chaosExperiments"):
        plan("dev", slos=[])


def test_no_experiments_when_the_list_is_empty():
    assert not templates(plan("dev", chaosExperiments=[]))

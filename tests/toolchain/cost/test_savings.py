"""The savings report: the naive variants, and each lever against a figure computed by hand."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from agents.cli.main import main
from toolchain.cost import estimate
from toolchain.cost.savings import cluster_per_environment, on_demand, x86

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
HOURS = 730


def test_on_demand_turns_every_spot_group_on_demand(dev):
    groups = on_demand(dev).of_type(NODE_GROUP)
    assert {g.inputs["capacityType"] for g in groups} == {"ON_DEMAND"}
    assert any(g.inputs["capacityType"] == "SPOT" for g in dev.of_type(NODE_GROUP))


def test_x86_maps_every_graviton_type(dev):
    types = {t for g in x86(dev).of_type(NODE_GROUP) for t in g.inputs["instanceTypes"]}
    assert types == {"t3.medium", "m6i.large", "m5.large", "c6i.large", "r6i.large"}
    assert {g.inputs["amiType"] for g in x86(dev).of_type(NODE_GROUP)} == {"AL2023_x86_64_STANDARD"}


def test_cluster_per_environment_copies_the_clusters_aws_resources(dev):
    naive = cluster_per_environment(dev, ["dev", "staging", "qa"])
    assert len(naive.of_type("aws:eks/cluster:Cluster")) == 3
    assert len(naive.of_type(NODE_GROUP)) == 3 * len(dev.of_type(NODE_GROUP))
    assert len(naive.of_type("kubernetes:core/v1:Namespace")) == len(
        dev.of_type("kubernetes:core/v1:Namespace")
    )
    assert len({r.urn for r in naive.resources}) == len(naive.resources)
    # each copied node group finds its own launch template
    lts = {r.outputs["id"] for r in naive.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    assert {g.inputs["launchTemplate"]["id"] for g in naive.of_type(NODE_GROUP)} <= lts


def test_one_environment_has_nothing_to_consolidate(prod):
    assert cluster_per_environment(prod, ["prod"]) is prod


@pytest.fixture(scope="module")
def dev_savings():
    """`cost savings --stack dev --json`, run once through the command line."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["cost", "savings", "--stack", "dev", "--json"]) == 0
    doc = json.loads(out.getvalue())
    return {lever["lever"]: lever for lever in doc["levers"]} | {"_doc": doc}


def test_spot_lever_is_one_node_at_the_discount(dev_savings, price, usage):
    discount = usage.defaults[NODE_GROUP]["spot_discount"]
    expected = HOURS * price("ec2:instance-hour:m7g.large") * discount
    assert dev_savings["spot"]["saving"] == pytest.approx(expected, abs=0.01)
    assert dev_savings["spot"]["claimed"] == "~$80"


def test_single_nat_lever_is_the_per_az_diff(dev_savings, dev_estimate, dev_per_az, prices, usage):
    per_az = estimate(dev_per_az, prices, usage)
    assert dev_savings["single-nat"]["saving"] == pytest.approx(
        per_az.total - dev_estimate.total, abs=0.01
    )


def test_graviton_lever_is_the_x86_price_difference(dev_savings, price, usage):
    discount = usage.defaults[NODE_GROUP]["spot_discount"]
    system = price("ec2:instance-hour:t3.medium") - price("ec2:instance-hour:t4g.medium")
    spot = (price("ec2:instance-hour:m6i.large") - price("ec2:instance-hour:m7g.large")) * (
        1 - discount
    )
    assert dev_savings["graviton"]["saving"] == pytest.approx(HOURS * (system + spot), abs=0.01)


def test_multi_az_lever_doubles_instance_hours_and_storage_rate(dev_savings, price):
    expected = HOURS * price("rds:instance-hour:postgres:db.t4g.medium") + 20 * (
        price("rds:gp3-gb-month:multi-az") - price("rds:gp3-gb-month")
    )
    assert dev_savings["backups-not-multi-az"]["saving"] == pytest.approx(expected, abs=0.01)


def test_consolidation_lever_is_two_more_clusters(dev_savings, dev_estimate):
    cluster = sum(x.monthly for x in dev_estimate.lines if x.component == "cluster")
    assert dev_savings["consolidation"]["saving"] == pytest.approx(2 * cluster, abs=0.01)
    assert "3 environments" in dev_savings["consolidation"]["why"]


def test_report_totals(dev_savings, dev_estimate):
    doc = dev_savings["_doc"]
    assert doc["monthlyTotal"] == round(dev_estimate.total, 2)
    levers = [v for k, v in dev_savings.items() if k != "_doc"]
    assert doc["leversTotal"] == pytest.approx(sum(lever["saving"] for lever in levers), abs=0.02)
    assert doc["combined"] >= doc["leversTotal"]  # SPOT turned on-demand is dearer again on x86
    assert doc["claimedTotal"] == "~$250-300"
    assert all(lever["why"] for lever in levers)

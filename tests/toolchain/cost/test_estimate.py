"""Each priced type against a figure computed by hand from the price file and the usage file."""

from __future__ import annotations

import copy

import pytest

from tests.toolchain.cost.conftest import HOURS, edited
from toolchain.cost import CostError, estimate
from toolchain.cost.estimate import billable
from toolchain.cost.prices import parse_prices

NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
BUCKET = "aws:s3/bucket:Bucket"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
# Karpenter's interruption plumbing: the estimate has no pricing rule for these types, so it lists
# them as not priced (SQS's first million requests and AWS service events on EventBridge's default
# bus are free; README "Cost estimate").
# Karpenter's NodePool: its nodes above the node groups' floor depend on load.
# Not priced on purpose: Karpenter's load-dependent nodes, and the SLOs' composite alarms (their
# $0.50 a month is not in the price file yet).
INTERRUPTION_TYPES = {
    "kubernetes:karpenter.sh/v1:NodePool",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm",
    # What the add-ons buy at run time: volumes claimed through the StorageClass, load
    # balancers the AWS Load Balancer Controller's release creates.
    "kubernetes:storage.k8s.io/v1:StorageClass",
    "kubernetes:helm.sh/v3:Release",
}


def test_eks_control_plane_is_priced_per_cluster_hour(dev_estimate, price):
    line = dev_estimate.line("cluster-eks")
    assert line.monthly == pytest.approx(HOURS * price("eks:cluster-hour")), line.urn


def test_on_demand_node_group_is_min_size_nodes_and_their_root_volumes(dev_estimate, price):
    # dev system group: t4g.medium, minSize 1, 30 GB gp3 root volume from its launch template
    nodes, volume_gb = 1, 30
    expected = nodes * HOURS * price("ec2:instance-hour:t4g.medium") + nodes * volume_gb * price(
        "ebs:gp3-gb-month"
    )
    line = dev_estimate.line("cluster-system", "aws:eks/nodeGroup:NodeGroup")
    assert line.monthly == pytest.approx(expected), line.urn


def test_prod_on_demand_group_counts_min_size(prod_estimate, price):
    # prod workload-ondemand: m7g.xlarge first of four types, minSize 2, 50 GB volumes
    nodes, volume_gb = 2, 50
    expected = nodes * HOURS * price("ec2:instance-hour:m7g.xlarge") + nodes * volume_gb * price(
        "ebs:gp3-gb-month"
    )
    line = prod_estimate.line("cluster-workload-ondemand", "aws:eks/nodeGroup:NodeGroup")
    assert line.monthly == pytest.approx(expected), line.urn
    assert any("priced at the first" in n for n in line.notes), line.notes


def test_spot_group_gets_the_usage_files_discount(dev_estimate, price, usage):
    discount = usage.defaults["aws:eks/nodeGroup:NodeGroup"]["spot_discount"]  # 0.60
    expected = HOURS * price("ec2:instance-hour:m7g.large") * (1 - discount) + 30 * price(
        "ebs:gp3-gb-month"
    )
    line = dev_estimate.line("cluster-workload-spot", "aws:eks/nodeGroup:NodeGroup")
    assert line.monthly == pytest.approx(expected), line.urn


def test_scale_to_zero_spot_group_is_priced_at_one_node(prod, prices, price, usage):
    # Prod's workload group made a SPOT group of 0 to 2 nodes (prod's own burst is Karpenter's).
    def scale_to_zero_spot(resources):
        for r in resources:
            if r["urn"].endswith("::cluster-workload-ondemand") and "nodeGroup" in r["type"]:
                r["inputs"]["capacityType"] = "SPOT"
                r["inputs"]["scalingConfig"]["minSize"] = 0

    discount = usage.defaults["aws:eks/nodeGroup:NodeGroup"]["spot_discount"]
    expected = HOURS * price("ec2:instance-hour:m7g.xlarge") * (1 - discount) + 50 * price(
        "ebs:gp3-gb-month"
    )
    est = estimate(edited(prod, scale_to_zero_spot), prices, usage)
    line = est.line("cluster-workload-ondemand", "aws:eks/nodeGroup:NodeGroup")
    assert line.monthly == pytest.approx(expected), line.urn


def test_spot_price_snapshot_and_node_count_from_the_usage_file(dev, prices, usage_file):
    usage = usage_file(
        "spot_prices: {us-east-1: {m7g.large: 0.0301}}\n"
        "resources: {cluster-workload-spot: {nodes: 3}}\n"
    )
    line = estimate(dev, prices, usage).line("cluster-workload-spot", "aws:eks/nodeGroup:NodeGroup")
    expected = 3 * HOURS * 0.0301 + 3 * 30 * prices.usd("us-east-1", "ebs:gp3-gb-month")
    assert line.monthly == pytest.approx(expected), line.urn


def test_single_nat_gateway_carries_all_egress_and_cross_az_transfer(dev_estimate, price, usage):
    egress = usage.stack["nat_egress_gb"]  # 100 GB, one gateway, 3 AZs
    cross_az_share = 2 / 3  # traffic from the two AZs without a gateway
    expected = (
        HOURS * price("vpc:nat-gateway-hour")
        + egress * price("vpc:nat-gateway-gb")
        + egress * cross_az_share * 2 * price("datatransfer:cross-az-gb")  # out and in
    )
    line = dev_estimate.line("network-nat-0", NAT)
    assert line.monthly == pytest.approx(expected), line.urn


def test_nat_gateway_per_az_shares_egress(prod_estimate, price, usage):
    share = usage.stack["nat_egress_gb"] / 3
    expected = HOURS * price("vpc:nat-gateway-hour") + share * price("vpc:nat-gateway-gb")
    for i in range(3):
        line = prod_estimate.line(f"network-nat-{i}", NAT)
        assert line.monthly == pytest.approx(expected), line.urn


def test_elastic_ip_is_a_public_ipv4_address_hour(prod_estimate, price):
    for i in range(3):
        line = prod_estimate.line(f"network-nat-{i}", EIP)
        assert line.monthly == pytest.approx(HOURS * price("vpc:public-ipv4-hour")), line.urn


def test_interface_endpoint_per_az_hour_and_gb(prod_estimate, price, usage):
    azs, gb = 3, usage.defaults["aws:ec2/vpcEndpoint:VpcEndpoint"]["gb_processed"]
    expected = azs * HOURS * price("vpc:interface-endpoint-az-hour") + gb * price(
        "vpc:interface-endpoint-gb"
    )
    for name in ("network-ecr-api", "network-ecr-dkr", "network-sts", "network-logs"):
        assert prod_estimate.line(name).monthly == pytest.approx(expected), name


def test_gateway_endpoint_is_free(dev_estimate):
    (group,) = [g for g in dev_estimate.free if g.type == "aws:ec2/vpcEndpoint:VpcEndpoint"]
    assert group.count == 1 and "free" in group.reason


def test_single_az_database(dev_estimate, price, usage):
    # db.t4g.medium, 20 GB gp3, 3 days of backups, 7 days of Performance Insights (free)
    change = usage.defaults["aws:rds/instance:Instance"]["backup_daily_change"]
    backups = 20 * (1 + change * (3 - 1))  # 22 GB, of which 20 GB free
    expected = (
        HOURS * price("rds:instance-hour:postgres:db.t4g.medium")
        + 20 * price("rds:gp3-gb-month")
        + (backups - 20) * price("rds:backup-gb-month")
        + price("secretsmanager:secret-month")  # the RDS-managed master user secret
    )
    line = dev_estimate.line("database-postgres")
    assert line.monthly == pytest.approx(expected), line.urn


def test_multi_az_database_doubles_hours_and_pays_performance_insights(
    prod_estimate, prices, price, usage
):
    # db.r7g.large Multi-AZ, 100 GB gp3, 14 days of backups, 31 days of Performance Insights
    change = usage.defaults["aws:rds/instance:Instance"]["backup_daily_change"]
    backups = 100 * (1 + change * (14 - 1))
    vcpus = prices.vcpus["db.r7g.large"]  # 2, counted on primary and standby
    expected = (
        2 * HOURS * price("rds:instance-hour:postgres:db.r7g.large")
        + 100 * price("rds:gp3-gb-month:multi-az")
        + (backups - 100) * price("rds:backup-gb-month")
        + vcpus * 2 * price("rds:performance-insights-vcpu-month:first")  # one paid month
        + price("secretsmanager:secret-month")
    )
    line = prod_estimate.line("database-postgres")
    assert line.monthly == pytest.approx(expected), line.urn


def test_cross_region_backup_replication(prod_estimate, price, usage):
    change = usage.defaults["aws:rds/instance:Instance"]["backup_daily_change"]
    stored = 100 * (1 + change * (14 - 1))  # the DR copy keeps 14 days, nothing free there
    transferred = 100 * change * 30
    expected = stored * price("rds:backup-gb-month", "us-west-2") + transferred * price(
        "datatransfer:inter-region-gb:us-west-2"
    )
    line = prod_estimate.line("database-backups-dr")
    assert line.region == "us-west-2"
    assert line.monthly == pytest.approx(expected), line.urn


def test_kms_keys_per_key_month_in_their_region(prod_estimate, price):
    for name in ("audit-kms", "cluster-secrets", "database-kms", "observability-alerts"):
        line = prod_estimate.line(name, "aws:kms/key:Key")
        assert line.monthly == pytest.approx(price("kms:key-month")), name
    dr = prod_estimate.line("database-dr-kms")
    assert dr.region == "us-west-2"
    assert dr.monthly == pytest.approx(price("kms:key-month", "us-west-2"))


def test_rotated_keys_add_a_key_month_per_rotation(dev, prices, usage_file, price):
    usage = usage_file("resources: {database-kms: {rotations: 2}}\n")
    line = estimate(dev, prices, usage).line("database-kms")
    assert line.monthly == pytest.approx(3 * price("kms:key-month"))


def test_first_trail_copy_is_free_an_additional_one_is_not(prod, prices, usage_file, price):
    usage = usage_file(
        "resources: {aws:cloudtrail/trail:Trail::audit-trail: "
        "{additional_copy: true, management_events: 2500000}}\n"
    )
    free = estimate(prod, prices, usage_file("{}\n")).line(
        "audit-trail", "aws:cloudtrail/trail:Trail"
    )
    assert free.monthly == 0, free.notes
    paid = estimate(prod, prices, usage).line("audit-trail", "aws:cloudtrail/trail:Trail")
    assert paid.monthly == pytest.approx(
        2_500_000 / 100_000 * price("cloudtrail:management-events-100k")
    )


def test_log_group_ingestion_and_storage_for_its_retention(dev_estimate, price, usage):
    ingested = usage.resources["network-flow-logs"]["ingestion_gb"]  # 10 GB, kept 14 days
    expected = ingested * price("logs:ingestion-gb") + ingested * 14 / 30 * price(
        "logs:storage-gb-month"
    )
    line = dev_estimate.line("network-flow-logs")
    assert line.monthly == pytest.approx(expected), line.urn


@pytest.mark.parametrize(("stack", "days"), [("dev", 30), ("prod", 400)])
def test_the_agents_audit_log_is_priced_for_its_retention(request, stack, days, price, usage):
    ingested = usage.resources["records-audit-logs"]["ingestion_gb"]
    expected = ingested * price("logs:ingestion-gb") + ingested * days / 30 * price(
        "logs:storage-gb-month"
    )
    line = request.getfixturevalue(f"{stack}_estimate").line("records-audit-logs")
    assert line.monthly == pytest.approx(expected), line.urn


def test_the_records_migration_job_costs_no_node_of_its_own(dev_estimate):
    """It runs once on the workload nodes the node groups already price."""
    assert "workloads-records-migrate" not in {line.name for line in dev_estimate.lines}
    (job,) = [r for r in dev_estimate.free_resources if r.name == "workloads-records-migrate"]
    assert "priced with the node groups" in job.reason, job


def test_trail_bucket_storage_from_usage(prod_estimate, price, usage):
    over = usage.resources["aws:s3/bucket:Bucket::audit-trail"]
    expected = over["standard_gb"] * price("s3:standard-gb-month") + over["glacier_ir_gb"] * price(
        "s3:glacier-ir-gb-month"
    )
    assert prod_estimate.line("audit-trail", BUCKET).monthly == pytest.approx(expected)
    # the trail's log group of the same name keeps the log group defaults
    log = prod_estimate.line("audit-trail", LOG_GROUP)
    assert log.items[0].quantity == usage.defaults[LOG_GROUP]["ingestion_gb"]


def test_standard_alarm_per_alarm_and_metric_math_per_metric(dev_estimate, price):
    alarm = price("cloudwatch:alarm-metric-month")
    assert dev_estimate.line("observability-db-cpu").monthly == pytest.approx(alarm)
    # packet drops: a math expression over 3 metrics (drops, in from source, in from destination)
    drops = dev_estimate.line("observability-nat-0-packet-drops")
    assert drops.monthly == pytest.approx(3 * alarm), drops.urn


def test_dashboards_beyond_the_free_ones(dev, prices, usage_file, price):
    free = estimate(dev, prices, usage_file("{}\n")).line("observability-dashboard")
    assert free.monthly == 0
    paid = estimate(dev, prices, usage_file("account: {free_dashboards: 0}\n"))
    assert paid.line("observability-dashboard").monthly == pytest.approx(
        price("cloudwatch:dashboard-month")
    )


def test_every_billable_resource_is_priced_free_or_not_priced_once(each_stack, prices, usage):
    est = estimate(each_stack, prices, usage)
    placed = [x.urn for x in est.lines] + [
        u.urn for u in est.free_resources + est.not_priced_resources
    ]
    assert sorted(placed) == sorted(r.urn for r in billable(each_stack))


def test_the_program_leaves_nothing_unpriced_but_karpenters_load_dependent_nodes(
    dev_estimate, prod_estimate
):
    for est in (dev_estimate, prod_estimate):
        assert {g.type for g in est.not_priced} == INTERRUPTION_TYPES, est.not_priced
        reasons = {g.type: g.reason for g in est.not_priced}
        assert "depend on load" in reasons["kubernetes:karpenter.sh/v1:NodePool"]
        assert "$0.50" in reasons["aws:cloudwatch/compositeAlarm:CompositeAlarm"]
        assert "EBS volumes" in reasons["kubernetes:storage.k8s.io/v1:StorageClass"]
        assert "load balancers" in reasons["kubernetes:helm.sh/v3:Release"]
        releases = [g for g in est.not_priced if g.type == "kubernetes:helm.sh/v3:Release"]
        assert [g.count for g in releases] == [1], "only the load balancer controller's release"
        free = {u.type: u.reason for u in est.free_resources}
        assert "free" in free["aws:sqs/queue:Queue"]  # the interruption queue: a few events


def test_total_is_the_sum_of_lines_and_of_components(prod_estimate):
    assert prod_estimate.total == pytest.approx(sum(x.monthly for x in prod_estimate.lines))
    assert prod_estimate.total == pytest.approx(sum(m for _, m, _ in prod_estimate.by_component()))


def test_unsupported_type_is_reported_with_its_count(dev, prices, usage):
    def add_load_balancers(resources):
        provider = next(r for r in resources if r["type"] == "pulumi:providers:aws")
        for i in range(2):
            resources.append(
                {
                    "urn": f"urn:pulumi:dev::baseline::aws:lb/loadBalancer:LoadBalancer::lb-{i}",
                    "type": "aws:lb/loadBalancer:LoadBalancer",
                    "custom": True,
                    "provider": f"{provider['urn']}::{provider.get('id', 'x')}",
                    "inputs": {},
                }
            )

    est = estimate(edited(dev, add_load_balancers), prices, usage)
    (group,) = [g for g in est.not_priced if g.type not in INTERRUPTION_TYPES]
    assert (group.type, group.count) == ("aws:lb/loadBalancer:LoadBalancer", 2)
    assert "no pricing rule" in group.reason


def test_instance_type_missing_from_the_price_file_is_not_priced(dev, prices, usage):
    def exotic(resources):
        for r in resources:
            if r["urn"].endswith("::cluster-system") and r["type"].startswith("aws:eks/nodeGroup"):
                r["inputs"]["instanceTypes"] = ["x9z.large"]

    est = estimate(edited(dev, exotic), prices, usage)
    (group,) = [g for g in est.not_priced if g.type not in INTERRUPTION_TYPES]
    assert "ec2:instance-hour:x9z.large" in group.reason, group.reason
    assert all(x.name != "cluster-system" or "nodeGroup" not in x.type for x in est.lines)


def test_region_missing_from_the_price_file_is_an_error(dev, prices, usage):
    def move(resources):
        for r in resources:
            if r["type"] == "pulumi:providers:aws":
                r["inputs"]["region"] = "eu-west-9"

    with pytest.raises(CostError, match="eu-west-9"):
        estimate(edited(dev, move), prices, usage)


@pytest.mark.parametrize(
    "case",
    [
        ("aws:eks/nodeGroup:NodeGroup", "scalingConfig", [1]),
        ("aws:eks/nodeGroup:NodeGroup", "instanceTypes", 5),
        ("aws:rds/instance:Instance", "enabledCloudwatchLogsExports", 5),
    ],
)
def test_a_property_of_another_shape_is_refused_not_priced(dev, prices, usage, case):
    """A list where the provider writes an object (and the like) had made a pricer raise its own
    TypeError, a traceback out of `agents cost` and out of a looping cost optimizer."""
    type_token, key, value = case

    def change(resources):
        for r in resources:
            if r["type"] == type_token:
                r["inputs"][key] = value

    with pytest.raises(CostError, match=rf"\({type_token}\): a property is not of the shape"):
        estimate(edited(dev, change), prices, usage)


def priced_at(prices, key: str, usd: float):
    """The price file with `key` at `usd` in every region."""
    data = copy.deepcopy(prices.data)
    for body in data["regions"].values():
        body["prices"][key]["usd"] = usd
    return parse_prices(data, prices.path)


def test_a_line_too_large_for_a_float_is_refused_naming_the_resource(dev, prices, usage):
    # A finite price that overflows to inf once multiplied by the hours of a month: the estimate
    # refuses rather than total $inf (and `Infinity`, which is not JSON).
    with pytest.raises(CostError, match=r"cluster-eks \(aws:eks/cluster:Cluster\).*too large"):
        estimate(dev, priced_at(prices, "eks:cluster-hour", 1e306), usage)


def test_a_total_too_large_for_a_float_is_refused(dev, prices, usage):
    # Each KMS key's month is finite; their sum is not.
    with pytest.raises(CostError, match="monthly total is too large"):
        estimate(dev, priced_at(prices, "kms:key-month", 1.5e308), usage)

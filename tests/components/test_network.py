"""Network: subnet tiers, NAT strategy, isolation of the database tier, flow logs, endpoints."""

import ipaddress
import json

import pulumi
import pulumi_aws as aws
import pytest

from components.network import Network, NetworkArgs, nat_gateway_count, subnet_plan
from tests.conftest import one, run_component
from toolchain.export import StackExport

AZS = ["us-east-1a", "us-east-1b", "us-east-1c"]


def network(**overrides) -> StackExport:
    def program():
        provider = aws.Provider("aws", region="us-east-1")
        args = NetworkArgs(region="us-east-1", availability_zones=AZS, **overrides)
        net = Network("net", args, pulumi.ResourceOptions(providers=[provider]))
        return {"vpcId": net.vpc_id}

    return run_component(program)


@pytest.fixture(scope="module")
def single() -> StackExport:
    return network(nat_strategy="single", flow_log_retention_days=14)


@pytest.fixture(scope="module")
def per_az() -> StackExport:
    return network(nat_strategy="per-az", interface_endpoints=("ecr.api", "ecr.dkr", "sts", "logs"))


def subnets(export: StackExport, tier: str):
    return [r for r in export.of_type("aws:ec2/subnet:Subnet") if r.inputs["tags"]["tier"] == tier]


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "172.20.0.0/18", "10.8.0.0/20"])
@pytest.mark.parametrize("azs", [2, 3, 6])
def test_subnet_plan_is_disjoint_and_inside_the_vpc(cidr, azs):
    vpc = ipaddress.ip_network(cidr)
    nets = [
        ipaddress.ip_network(c)
        for p in subnet_plan(cidr, azs)
        for c in (p.public, p.private, p.database)
    ]
    assert len(nets) == 3 * azs
    for i, a in enumerate(nets):
        assert a.subnet_of(vpc), f"{a} is outside {vpc}"  # type: ignore[arg-type]
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), f"{a} overlaps {b}"


def test_private_subnets_are_the_largest():
    p = subnet_plan("10.0.0.0/16", 3)[0]
    assert (p.private, p.public, p.database) == ("10.0.0.0/19", "10.0.192.0/22", "10.0.224.0/22")


def test_nat_gateway_count_follows_the_strategy():
    assert nat_gateway_count("single", 3) == 1
    assert nat_gateway_count("per-az", 3) == 3
    with pytest.raises(ValueError, match="nat_strategy"):
        nat_gateway_count("none", 3)


def test_three_tiers_one_subnet_per_az(single):
    for tier in ("public", "private", "database"):
        found = subnets(single, tier)
        assert sorted(s.inputs["availabilityZone"] for s in found) == AZS, tier


def test_no_subnet_gives_public_ips_on_launch(single):
    for s in single.of_type("aws:ec2/subnet:Subnet"):
        assert s.inputs.get("mapPublicIpOnLaunch") is False, s.urn


def test_single_strategy_has_one_nat_gateway_for_all_private_subnets(single):
    nats = single.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 1
    routes = [r for r in single.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(routes) == 3
    assert {r.inputs["natGatewayId"] for r in routes} == {nats[0].raw["id"]}


def test_per_az_strategy_routes_each_az_through_its_own_nat(per_az):
    nats = per_az.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == 3
    by_subnet = {s.raw["id"]: s.inputs["availabilityZone"] for s in subnets(per_az, "public")}
    nat_az = {n.raw["id"]: by_subnet[n.inputs["subnetId"]] for n in nats}
    assert sorted(nat_az.values()) == AZS
    tables = {rt.raw["id"]: rt for rt in per_az.of_type("aws:ec2/routeTable:RouteTable")}
    for route in per_az.of_type("aws:ec2/route:Route"):
        if "natGatewayId" in route.inputs:
            table = tables[route.inputs["routeTableId"]]
            assert table.inputs["tags"]["Name"].endswith(nat_az[route.inputs["natGatewayId"]]), (
                route.urn
            )


def test_nat_gateways_sit_in_public_subnets_with_an_elastic_ip(per_az):
    public = {s.raw["id"] for s in subnets(per_az, "public")}
    eips = {e.raw["id"] for e in per_az.of_type("aws:ec2/eip:Eip")}
    for nat in per_az.of_type("aws:ec2/natGateway:NatGateway"):
        assert nat.inputs["subnetId"] in public, nat.urn
        assert nat.inputs["allocationId"] in eips, nat.urn


def test_database_tier_has_no_route_out(single):
    db_subnets = {s.raw["id"] for s in subnets(single, "database")}
    db_tables = {
        a.inputs["routeTableId"]
        for a in single.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
        if a.inputs["subnetId"] in db_subnets
    }
    assert len(db_tables) == 1
    routes = [
        r for r in single.of_type("aws:ec2/route:Route") if r.inputs["routeTableId"] in db_tables
    ]
    assert routes == [], [r.urn for r in routes]


def test_public_subnets_route_to_the_internet_gateway(single):
    igw = one(single, "aws:ec2/internetGateway:InternetGateway")
    routes = [r for r in single.of_type("aws:ec2/route:Route") if "gatewayId" in r.inputs]
    assert [r.inputs["gatewayId"] for r in routes] == [igw.raw["id"]]


def test_default_security_group_has_no_rules(single):
    sg = one(single, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg.inputs.get("ingress", []) == [] and sg.inputs.get("egress", []) == [], sg.urn


def test_flow_logs_capture_all_traffic_into_a_log_group_with_retention(single):
    flow = one(single, "aws:ec2/flowLog:FlowLog")
    group = one(single, "aws:cloudwatch/logGroup:LogGroup")
    vpc = one(single, "aws:ec2/vpc:Vpc")
    assert flow.inputs["trafficType"] == "ALL", flow.urn
    assert flow.inputs["vpcId"] == vpc.raw["id"], flow.urn
    assert flow.inputs["logDestination"] == group.outputs["arn"], flow.urn
    assert group.inputs["retentionInDays"] == 14, group.urn


def test_flow_log_role_may_write_only_its_log_group(single):
    policy = json.loads(one(single, "aws:iam/rolePolicy:RolePolicy").inputs["policy"])
    group_arn = one(single, "aws:cloudwatch/logGroup:LogGroup").outputs["arn"]
    (stmt,) = policy["Statement"]
    assert stmt["Resource"] == [group_arn, f"{group_arn}:*"]


def test_s3_gateway_endpoint_serves_private_and_database_route_tables(single):
    (s3,) = [
        e
        for e in single.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if e.inputs["vpcEndpointType"] == "Gateway"
    ]
    assert s3.inputs["serviceName"] == "com.amazonaws.us-east-1.s3"
    assert len(s3.inputs["routeTableIds"]) == 4  # three private tables and the database table


def test_interface_endpoints_only_when_configured(single, per_az):
    def interface(export):
        return [
            e
            for e in export.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
            if e.inputs["vpcEndpointType"] == "Interface"
        ]

    assert interface(single) == []
    found = interface(per_az)
    services = sorted(
        e.inputs["serviceName"].removeprefix("com.amazonaws.us-east-1.") for e in found
    )
    assert services == ["ecr.api", "ecr.dkr", "logs", "sts"]
    for e in found:
        assert e.inputs["privateDnsEnabled"] is True, e.urn
        assert len(e.inputs["subnetIds"]) == 3, e.urn


def test_interface_endpoint_security_group_admits_https_from_the_vpc_only(per_az):
    sg = one(per_az, "aws:ec2/securityGroup:SecurityGroup")
    (rule,) = sg.inputs["ingress"]
    assert (rule["fromPort"], rule["toPort"], rule["cidrBlocks"]) == (443, 443, ["10.0.0.0/16"])


def test_subnets_carry_load_balancer_role_tags(single):
    assert all(s.inputs["tags"]["kubernetes.io/role/elb"] == "1" for s in subnets(single, "public"))
    assert all(
        s.inputs["tags"]["kubernetes.io/role/internal-elb"] == "1"
        for s in subnets(single, "private")
    )

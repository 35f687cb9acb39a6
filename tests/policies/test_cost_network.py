"""Network stack rules, driven through `AnalyzeStack` over small sets of resources (their
outputs): NAT gateway count, the S3 gateway endpoint, and idle Elastic IPs; each passing, failing,
and with the property it reads missing or not known yet (a preview of new resources)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pulumi.runtime.rpc import UNKNOWN

from tests.policies.conftest import PROVIDER_URN, analyze_stack
from toolchain.export import Resource

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT = "aws:ec2/natGateway:NatGateway"
EIP = "aws:ec2/eip:Eip"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_RT = "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation"
INSTANCE = "aws:ec2/instance:Instance"


def res(
    type_token: str, name: str, outputs: Mapping[str, Any], deps: Mapping[str, str] | None = None
) -> Resource:
    """A resource with its outputs and the property dependencies the engine records
    (property name to the URN it came from)."""
    return Resource(
        urn=f"urn:pulumi:test::baseline::{type_token}::{name}",
        type=type_token,
        custom=True,
        inputs=dict(outputs),
        outputs=dict(outputs),
        parent=None,
        provider=f"{PROVIDER_URN}::p1",
        dependencies=tuple((deps or {}).values()),
        raw={"id": name, "propertyDependencies": {k: [v] for k, v in (deps or {}).items()}},
    )


def network(nat_azs: list[str], vpc_name: str = "vpc") -> list[Resource]:
    """A VPC with a public subnet and a NAT gateway (and its EIP) in each of `nat_azs`."""
    vpc = res(VPC, vpc_name, {"id": f"{vpc_name}-id", "cidrBlock": "10.0.0.0/16"})
    out = [vpc]
    for i, az in enumerate(nat_azs):
        subnet = res(
            SUBNET,
            f"{vpc_name}-public-{i}",
            {"id": f"{vpc_name}-subnet-{i}", "vpcId": vpc.outputs["id"], "availabilityZone": az},
            {"vpcId": vpc.urn},
        )
        eip = res(
            EIP,
            f"{vpc_name}-eip-{i}",
            {
                "id": f"eipalloc-{vpc_name}{i}",
                "allocationId": f"eipalloc-{vpc_name}{i}",
                "domain": "vpc",
            },
        )
        nat = res(
            NAT,
            f"{vpc_name}-nat-{i}",
            {
                "id": f"nat-{vpc_name}{i}",
                "allocationId": eip.outputs["allocationId"],
                "subnetId": subnet.outputs["id"],
            },
            {"allocationId": eip.urn, "subnetId": subnet.urn},
        )
        out += [subnet, eip, nat]
    return out


def s3_endpoint(vpc: Resource, **overrides: Any) -> Resource:
    outputs = {
        "id": f"vpce-{vpc.name}",
        "serviceName": "com.amazonaws.us-east-1.s3",
        "vpcEndpointType": "Gateway",
        "vpcId": vpc.outputs["id"],
        "routeTableIds": ["rtb-1"],
        **overrides,
    }
    return res(ENDPOINT, f"{vpc.name}-s3", {k: v for k, v in outputs.items() if v is not None})


def hits(cost: Any, rule: str, resources: list[Resource], config: Any = None) -> list[Any]:
    return [v for v in analyze_stack(cost, resources, config=config) if v.policyName == rule]


# nat-gateway-count

NAT_RULE = "nat-gateway-count"


def test_nat_count_passes_at_the_limit(cost):
    found = hits(cost, NAT_RULE, network(["us-east-1a"]), {NAT_RULE: {"maxNatGateways": 1}})
    assert not found, [v.detail for v in found]


def test_nat_count_fails_naming_the_extra_gateways(cost):
    stack = network(["us-east-1a", "us-east-1b", "us-east-1c"])
    found = hits(cost, NAT_RULE, stack, {NAT_RULE: {"maxNatGateways": 1}})
    nats = [r.urn for r in stack if r.type == NAT]
    assert sorted(v.urn for v in found) == sorted(nats[1:]), f"{NAT_RULE}: {found}"
    assert "3 NAT gateways, above the limit of 1" in found[0].detail, found[0].detail


def test_two_nat_gateways_in_one_zone_fail(cost):
    stack = network(["us-east-1a", "us-east-1a"])
    found = hits(cost, NAT_RULE, stack, {NAT_RULE: {"maxNatGateways": 3}})
    second = [r.urn for r in stack if r.type == NAT][1]
    assert [v.urn for v in found] == [second], f"{NAT_RULE}: {[(v.urn, v.detail) for v in found]}"
    assert "us-east-1a" in found[0].detail, found[0].detail


def test_nat_gateway_without_a_known_subnet_is_counted_only(cost):
    # subnetId not known yet and no recorded dependency: no zone to compare, but it counts.
    nats = [
        res(NAT, f"nat-{i}", {"allocationId": f"eipalloc-{i}", "subnetId": UNKNOWN})
        for i in range(2)
    ]
    assert not hits(cost, NAT_RULE, nats, {NAT_RULE: {"maxNatGateways": 2}})
    assert len(hits(cost, NAT_RULE, nats, {NAT_RULE: {"maxNatGateways": 1}})) == 1


# s3-gateway-endpoint

S3_RULE = "s3-gateway-endpoint"


def test_s3_endpoint_passes(cost):
    stack = network(["us-east-1a"])
    found = hits(cost, S3_RULE, [*stack, s3_endpoint(stack[0])])
    assert not found, [v.detail for v in found]


def test_missing_s3_endpoint_fails_on_the_vpc(cost):
    stack = network(["us-east-1a"])
    found = hits(cost, S3_RULE, stack)
    assert [v.urn for v in found] == [stack[0].urn], f"{S3_RULE}: {found}"


def test_s3_interface_endpoint_fails_on_the_endpoint(cost):
    stack = network(["us-east-1a"])
    endpoint = s3_endpoint(stack[0], vpcEndpointType="Interface")
    found = hits(cost, S3_RULE, [*stack, endpoint])
    assert [v.urn for v in found] == [endpoint.urn], f"{S3_RULE}: {found}"
    assert "vpc_endpoint_type='Gateway'" in found[0].detail, found[0].detail


def test_s3_endpoint_of_another_vpc_does_not_count(cost):
    stack, other = network(["us-east-1a"]), network([], vpc_name="other")
    found = hits(cost, S3_RULE, [*stack, *other, s3_endpoint(other[0])])
    assert [v.urn for v in found] == [stack[0].urn], f"{S3_RULE}: {found}"


def test_s3_endpoint_type_missing_is_a_gateway(cost):
    # Unset vpcEndpointType: AWS creates a Gateway endpoint.
    stack = network(["us-east-1a"])
    found = hits(cost, S3_RULE, [*stack, s3_endpoint(stack[0], vpcEndpointType=None)])
    assert not found, [v.detail for v in found]


def test_s3_endpoint_routes_missing_fail_unless_associated(cost):
    stack = network(["us-east-1a"])
    endpoint = s3_endpoint(stack[0], routeTableIds=None)
    found = hits(cost, S3_RULE, [*stack, endpoint])
    assert [v.urn for v in found] == [endpoint.urn], f"{S3_RULE}: {found}"
    assoc = res(
        ENDPOINT_RT, "s3-rt", {"vpcEndpointId": endpoint.outputs["id"], "routeTableId": "rtb-1"}
    )
    found = hits(cost, S3_RULE, [*stack, endpoint, assoc])
    assert not found, [v.detail for v in found]


def test_s3_endpoint_matched_by_dependency_during_preview(cost):
    stack = network(["us-east-1a"])
    vpc = stack[0]
    endpoint = res(
        ENDPOINT,
        "s3",
        {"serviceName": UNKNOWN, "vpcId": UNKNOWN, "routeTableIds": UNKNOWN},
        {"vpcId": vpc.urn},
    )
    found = hits(cost, S3_RULE, [*stack, endpoint])
    assert not found, [v.detail for v in found]


def test_no_nat_gateway_needs_no_endpoint(cost):
    assert not hits(cost, S3_RULE, network([]))


# idle-elastic-ip

EIP_RULE = "idle-elastic-ip"


def test_eip_used_by_a_nat_gateway_passes(cost):
    found = hits(cost, EIP_RULE, network(["us-east-1a"]))
    assert not found, [v.detail for v in found]


def test_unattached_eip_fails(cost):
    idle = res(EIP, "idle", {"id": "eipalloc-idle", "allocationId": "eipalloc-idle"})
    found = hits(cost, EIP_RULE, [*network(["us-east-1a"]), idle])
    assert [v.urn for v in found] == [idle.urn], f"{EIP_RULE}: {found}"


def test_eip_on_an_instance_passes(cost):
    eip = res(EIP, "vm-ip", {"id": "eipalloc-vm", "instance": "i-123"})
    assert not hits(cost, EIP_RULE, [eip])


def test_eip_matched_by_dependency_during_preview(cost):
    # A new EIP: its allocation id, and so the NAT gateway's, are not known yet.
    eip = res(EIP, "new", {"id": UNKNOWN, "allocationId": UNKNOWN, "domain": "vpc"})
    nat = res(NAT, "new-nat", {"allocationId": UNKNOWN, "subnetId": "s"}, {"allocationId": eip.urn})
    assert not hits(cost, EIP_RULE, [eip, nat])


def test_eip_without_ids_and_no_user_fails(cost):
    eip = res(EIP, "bare", {"domain": "vpc"})
    found = hits(cost, EIP_RULE, [eip])
    assert [v.urn for v in found] == [eip.urn], f"{EIP_RULE}: {found}"

"""Network rules. World ingress is tested in each of the three ways a rule can be written
(inline `ingress` on a SecurityGroup, a SecurityGroupRule, a vpc SecurityGroupIngressRule); the
flow-log rule is a stack rule over a VPC and its flow logs."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from tests.policies.conftest import analyze, analyze_stack, resource

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SG = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"


def inline(
    cidrs: list[str], protocol: str = "tcp", ports: tuple[int, int] = (443, 443), **extra: Any
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "protocol": protocol,
        "fromPort": ports[0],
        "toPort": ports[1],
        "description": "HTTPS from the VPC",
        **extra,
    }
    block["ipv6CidrBlocks" if cidrs and ":" in cidrs[0] else "cidrBlocks"] = cidrs
    return {"description": "Endpoints", "vpcId": "vpc-1", "ingress": [block]}


def sg_rule(
    cidrs: list[str], protocol: str = "tcp", ports: tuple[int, int] = (443, 443)
) -> dict[str, Any]:
    return {
        "type": "ingress",
        "securityGroupId": "sg-1",
        "protocol": protocol,
        "fromPort": ports[0],
        "toPort": ports[1],
        "cidrBlocks": cidrs,
        "description": "HTTPS",
    }


def ingress_rule(
    cidr: str | None, protocol: str = "tcp", ports: tuple[int, int] | None = (443, 443)
) -> dict[str, Any]:
    props: dict[str, Any] = {
        "securityGroupId": "sg-1",
        "ipProtocol": protocol,
        "description": "HTTPS",
    }
    if ports:
        props |= {"fromPort": ports[0], "toPort": ports[1]}
    if cidr:
        props["cidrIpv6" if ":" in cidr else "cidrIpv4"] = cidr
    else:
        props["referencedSecurityGroupId"] = "sg-2"
    return props


WORLD_CASES: list[tuple[str, str, str, dict[str, Any], bool]] = [
    # sg-no-world-admin-ports, three ways of writing a rule
    (
        "sg-no-world-admin-ports",
        "inline passes",
        SG,
        inline(["10.0.0.0/16"], ports=(22, 22)),
        False,
    ),
    ("sg-no-world-admin-ports", "inline fails", SG, inline(["0.0.0.0/0"], ports=(22, 22)), True),
    (
        "sg-no-world-admin-ports",
        "inline ipv6 fails",
        SG,
        inline(["::/0"], ports=(3389, 3389)),
        True,
    ),
    (
        "sg-no-world-admin-ports",
        "inline range fails",
        SG,
        inline(["0.0.0.0/0"], ports=(20, 25)),
        True,
    ),
    ("sg-no-world-admin-ports", "inline https passes", SG, inline(["0.0.0.0/0"]), False),
    (
        "sg-no-world-admin-ports",
        "inline missing",
        SG,
        {"description": "no rules", "vpcId": "vpc-1"},
        False,
    ),
    (
        "sg-no-world-admin-ports",
        "rule passes",
        SG_RULE,
        sg_rule(["10.0.0.0/8"], ports=(22, 22)),
        False,
    ),
    (
        "sg-no-world-admin-ports",
        "rule fails",
        SG_RULE,
        sg_rule(["0.0.0.0/0"], ports=(22, 22)),
        True,
    ),
    (
        "sg-no-world-admin-ports",
        "rule all protocols fails",
        SG_RULE,
        sg_rule(["0.0.0.0/0"], "-1", (0, 0)),
        True,
    ),
    (
        "sg-no-world-admin-ports",
        "egress rule passes",
        SG_RULE,
        {**sg_rule(["0.0.0.0/0"], ports=(22, 22)), "type": "egress"},
        False,
    ),
    (
        "sg-no-world-admin-ports",
        "rule missing cidrs",
        SG_RULE,
        {**sg_rule([], ports=(22, 22)), "sourceSecurityGroupId": "sg-2"},
        False,
    ),
    (
        "sg-no-world-admin-ports",
        "vpc rule passes",
        INGRESS_RULE,
        ingress_rule("10.0.0.0/16", ports=(22, 22)),
        False,
    ),
    (
        "sg-no-world-admin-ports",
        "vpc rule fails",
        INGRESS_RULE,
        ingress_rule("0.0.0.0/0", ports=(22, 22)),
        True,
    ),
    (
        "sg-no-world-admin-ports",
        "vpc rule ipv6 fails",
        INGRESS_RULE,
        ingress_rule("::/0", ports=(3389, 3389)),
        True,
    ),
    (
        "sg-no-world-admin-ports",
        "vpc rule missing cidr",
        INGRESS_RULE,
        ingress_rule(None, ports=(22, 22)),
        False,
    ),
    (
        "sg-no-world-admin-ports",
        "icmp passes",
        INGRESS_RULE,
        ingress_rule("0.0.0.0/0", "icmp", (-1, -1)),
        False,
    ),
    # sg-no-world-all-ports
    ("sg-no-world-all-ports", "inline passes", SG, inline(["0.0.0.0/0"]), False),
    ("sg-no-world-all-ports", "inline fails", SG, inline(["0.0.0.0/0"], "-1", (0, 0)), True),
    (
        "sg-no-world-all-ports",
        "inline full range fails",
        SG,
        inline(["0.0.0.0/0"], "tcp", (0, 65535)),
        True,
    ),
    (
        "sg-no-world-all-ports",
        "inline internal passes",
        SG,
        inline(["10.0.0.0/16"], "-1", (0, 0)),
        False,
    ),
    (
        "sg-no-world-all-ports",
        "inline missing",
        SG,
        {"description": "no rules", "vpcId": "vpc-1"},
        False,
    ),
    (
        "sg-no-world-all-ports",
        "rule fails",
        SG_RULE,
        sg_rule(["0.0.0.0/0"], "all", (0, 65535)),
        True,
    ),
    (
        "sg-no-world-all-ports",
        "rule missing cidrs",
        SG_RULE,
        {**sg_rule([], "-1", (0, 0)), "self": True},
        False,
    ),
    (
        "sg-no-world-all-ports",
        "vpc rule fails",
        INGRESS_RULE,
        ingress_rule("::/0", "-1", None),
        True,
    ),
    ("sg-no-world-all-ports", "vpc rule passes", INGRESS_RULE, ingress_rule("0.0.0.0/0"), False),
    (
        "sg-no-world-all-ports",
        "vpc rule missing cidr",
        INGRESS_RULE,
        ingress_rule(None, "-1", None),
        False,
    ),
]


@pytest.mark.parametrize("example", WORLD_CASES, ids=[f"{r}:{c}" for r, c, _, _, _ in WORLD_CASES])
def test_world_ingress(security, example):
    rule, case, type_token, props, fires = example
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"


def test_admin_ports_come_from_policy_config(security):
    cfg = {"sg-no-world-admin-ports": {"adminPorts": [5432]}}
    props = inline(["0.0.0.0/0"], ports=(5432, 5432))
    found = analyze(security, SG, props, config=cfg, name="postgres-open")
    assert "sg-no-world-admin-ports" in {v.policyName for v in found}, found


DESCRIPTION_CASES: list[tuple[str, str, dict[str, Any], bool]] = [
    ("group passes", SG, inline(["10.0.0.0/16"]), False),
    ("group fails", SG, {**inline(["10.0.0.0/16"]), "description": "Managed by Pulumi"}, True),
    (
        "group missing",
        SG,
        {k: v for k, v in inline(["10.0.0.0/16"]).items() if k != "description"},
        True,
    ),
    (
        "inline rule missing",
        SG,
        {
            **inline(["10.0.0.0/16"]),
            "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        },
        True,
    ),
    ("sg rule passes", SG_RULE, sg_rule(["10.0.0.0/16"]), False),
    (
        "sg rule missing",
        SG_RULE,
        {k: v for k, v in sg_rule(["10.0.0.0/16"]).items() if k != "description"},
        True,
    ),
    ("vpc rule passes", INGRESS_RULE, ingress_rule(None), False),
    ("vpc rule fails", INGRESS_RULE, {**ingress_rule(None), "description": ""}, True),
    (
        "egress rule missing",
        EGRESS_RULE,
        {"securityGroupId": "sg-1", "ipProtocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        True,
    ),
]


@pytest.mark.parametrize(
    ("case", "type_token", "props", "fires"),
    DESCRIPTION_CASES,
    ids=[c for c, _, _, _ in DESCRIPTION_CASES],
)
def test_descriptions(security, case, type_token, props, fires):
    rule = "sg-descriptions"
    name = case.replace(" ", "-")
    found = [v for v in analyze(security, type_token, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {type_token}::{name}: {[v.detail for v in found]}"
    assert all(v.enforcementLevel == "advisory" for v in found), found


DEFAULT_SG_CASES: list[tuple[str, dict[str, Any], bool]] = [
    ("passes", {"vpcId": "vpc-1", "ingress": [], "egress": []}, False),
    (
        "fails",
        {
            "vpcId": "vpc-1",
            "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "self": True}],
            "egress": [],
        },
        True,
    ),
    (
        "egress fails",
        {
            "vpcId": "vpc-1",
            "egress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]}],
        },
        True,
    ),
    # Absent: the provider strips the default group's rules when it adopts it.
    ("missing", {"vpcId": "vpc-1"}, False),
]


@pytest.mark.parametrize(
    ("case", "props", "fires"), DEFAULT_SG_CASES, ids=[c for c, _, _ in DEFAULT_SG_CASES]
)
def test_default_security_group_closed(security, case, props, fires):
    rule = "default-sg-closed"
    found = [
        v
        for v in analyze(security, DEFAULT_SG, props, name=f"default-{case}")
        if v.policyName == rule
    ]
    assert bool(found) == fires, (
        f"{rule} on {DEFAULT_SG}::default-{case}: {[v.detail for v in found]}"
    )


def flow_log_hits(security, resources) -> list[str]:
    return [v.urn for v in analyze_stack(security, resources) if v.policyName == "vpc-flow-logs"]


def vpc(name: str = "network-vpc"):
    return resource(
        VPC,
        {"cidrBlock": "10.0.0.0/16"},
        name,
        outputs={"id": f"vpc-{name}", "cidrBlock": "10.0.0.0/16"},
    )


def flow_log(vpc_id: str, name: str = "network-flow-log"):
    return resource(FLOW_LOG, {"vpcId": vpc_id, "trafficType": "ALL"}, name)


def test_vpc_with_a_flow_log_passes(security):
    v = vpc()
    assert not flow_log_hits(security, [v, flow_log(v.outputs["id"])])


def test_vpc_whose_flow_log_names_another_vpc_fails(security):
    v = vpc()
    assert flow_log_hits(security, [v, flow_log("vpc-other")]) == [v.urn]


def test_vpc_without_a_flow_log_fails(security):
    v = vpc()
    assert flow_log_hits(security, [v]) == [v.urn]


def test_flow_log_matches_through_the_property_dependency_while_the_id_is_unknown(security):
    v = vpc()
    log = flow_log(v.outputs["id"])
    log = dataclasses.replace(
        log,
        outputs={**log.outputs, "vpcId": UNKNOWN_STRING_VALUE},
        raw={**log.raw, "propertyDependencies": {"vpcId": [v.urn]}},
    )
    assert not flow_log_hits(security, [v, log])


def test_each_vpc_needs_its_own_flow_log(security):
    a, b = vpc("a"), vpc("b")
    assert flow_log_hits(security, [a, b, flow_log(a.outputs["id"])]) == [b.urn]


SUBNET_CASES: list[tuple[str, dict[str, Any], bool]] = [
    (
        "passes",
        {"cidrBlock": "10.0.0.0/19", "mapPublicIpOnLaunch": False, "tags": {"tier": "private"}},
        False,
    ),
    (
        "fails",
        {"cidrBlock": "10.0.0.0/19", "mapPublicIpOnLaunch": True, "tags": {"tier": "private"}},
        True,
    ),
    ("untagged fails", {"cidrBlock": "10.0.0.0/19", "mapPublicIpOnLaunch": True}, True),
    (
        "public tier passes",
        {"cidrBlock": "10.0.192.0/22", "mapPublicIpOnLaunch": True, "tags": {"tier": "public"}},
        False,
    ),
    # Absent: subnets do not assign public IPs unless asked to.
    ("missing", {"cidrBlock": "10.0.0.0/19", "tags": {"tier": "private"}}, False),
]


@pytest.mark.parametrize(
    ("case", "props", "fires"), SUBNET_CASES, ids=[c for c, _, _ in SUBNET_CASES]
)
def test_subnet_public_ip_on_launch(security, case, props, fires):
    rule = "subnet-no-public-ip-on-launch"
    name = f"subnet-{case}".replace(" ", "-")
    found = [v for v in analyze(security, SUBNET, props, name=name) if v.policyName == rule]
    assert bool(found) == fires, f"{rule} on {SUBNET}::{name}: {[v.detail for v in found]}"


def test_public_tier_tags_come_from_policy_config(security):
    cfg = {"subnet-no-public-ip-on-launch": {"publicSubnetTags": {"network": "dmz"}}}
    props = {"cidrBlock": "10.0.0.0/24", "mapPublicIpOnLaunch": True, "tags": {"network": "dmz"}}
    found = analyze(security, SUBNET, props, config=cfg, name="dmz")
    assert "subnet-no-public-ip-on-launch" not in {v.policyName for v in found}, found

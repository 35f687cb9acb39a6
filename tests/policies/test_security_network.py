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


# --- the internet's reach over all of a group's rules together (issue 8) -------------------------

INTERNET = "sg-no-internet-ingress"
EGRESS = "sg-world-egress-with-endpoints"


def group(name: str = "database-sg", ingress: list[dict[str, Any]] | None = None, **extra: Any):
    props = {"description": "db", "vpcId": "vpc-1", "ingress": ingress or [], **extra}
    return resource(SG, props, name, outputs={**props, "id": f"sg-{name}"})


def port_rule(sg_id: str, cidr: str | None, name: str, port: int = 5432, **source: Any):
    """A vpc ingress rule for one tcp port, from a CIDR or another `source` (prefixListId=...)."""
    props = {
        "securityGroupId": sg_id,
        "ipProtocol": "tcp",
        "fromPort": port,
        "toPort": port,
        "description": "x",
        **({"cidrIpv4": cidr} if cidr else {}),
        **source,
    }
    return resource(INGRESS_RULE, props, name)


def internet_hits(security, resources, config=None, rule=INTERNET):
    return sorted(
        {v.urn for v in analyze_stack(security, resources, config=config) if v.policyName == rule}
    )


def test_a_group_reached_only_from_the_vpc_passes(security):
    sg = group()
    assert not internet_hits(security, [sg, port_rule(sg.outputs["id"], "10.0.0.0/16", "vpc")])


def test_a_database_port_open_to_the_internet_fails_on_the_rule_that_opens_it(security):
    sg = group()
    rule = port_rule(sg.outputs["id"], "0.0.0.0/0", "open")
    assert internet_hits(security, [sg, rule]) == [rule.urn]


def test_two_half_ranges_in_two_rule_resources_fail_together(security):
    sg = group()
    low, high = (
        port_rule(sg.outputs["id"], c, n)
        for c, n in (("8.8.0.0/17", "low"), ("8.8.128.0/17", "high"))
    )
    assert internet_hits(security, [sg, low]) == []
    assert internet_hits(security, [sg, low, high]) == sorted([low.urn, high.urn])


def test_an_inline_block_and_a_rule_resource_add_up(security):
    sg = group(
        ingress=[
            {
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["8.8.0.0/17"],
                "description": "x",
            }
        ]
    )
    rule = port_rule(sg.outputs["id"], "8.8.128.0/17", "rest", port=443)
    assert internet_hits(security, [sg, rule]) == sorted([sg.urn, rule.urn])


def test_a_group_with_no_ingress_passes(security):
    assert not internet_hits(security, [group()])


def test_public_ports_come_from_policy_config(security):
    sg = group(
        "public-lb",
        ingress=[
            {
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["0.0.0.0/0"],
                "description": "x",
            }
        ],
    )
    cfg = {INTERNET: {"publicIngress": [{"securityGroup": "public-*", "ports": [443]}]}}
    assert internet_hits(security, [sg]) == [sg.urn]
    assert internet_hits(security, [sg], cfg) == []
    other = group("database-sg", ingress=sg.inputs["ingress"])
    assert internet_hits(security, [other], cfg) == [other.urn]


def test_an_undeclared_prefix_list_cannot_be_judged_and_fails(security):
    sg = group()
    rule = port_rule(sg.outputs["id"], None, "pl", port=5432, prefixListId="pl-123")
    assert internet_hits(security, [sg, rule]) == [rule.urn]
    assert internet_hits(security, [sg, rule], {INTERNET: {"trustedPrefixLists": ["pl-123"]}}) == []


def test_a_declared_prefix_list_is_judged_by_its_entries(security):
    sg = group()
    plist = resource(
        "aws:ec2/managedPrefixList:ManagedPrefixList",
        {
            "name": "x",
            "maxEntries": 2,
            "addressFamily": "IPv4",
            "entries": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}],
        },
        "plist",
        outputs={"id": "pl-9", "entries": [{"cidr": "0.0.0.0/1"}, {"cidr": "128.0.0.0/1"}]},
    )
    rule = port_rule(sg.outputs["id"], None, "pl", port=5432, prefixListId="pl-9")
    assert internet_hits(security, [sg, plist, rule]) == [rule.urn]


def test_an_unreadable_port_fails_the_stack_rule(security):
    sg = group(
        ingress=[
            {
                "protocol": "tcp",
                "fromPort": "NaN",
                "toPort": 22,
                "cidrBlocks": ["10.0.0.0/8"],
                "description": "x",
            }
        ]
    )
    assert analyze_stack(security, [sg]) and INTERNET in {
        v.policyName for v in analyze_stack(security, [sg])
    }


def endpoint(kind: str):
    props = {
        "vpcId": "vpc-1",
        "serviceName": "com.amazonaws.us-east-1.sts",
        "vpcEndpointType": kind,
    }
    return resource("aws:ec2/vpcEndpoint:VpcEndpoint", props, f"ep-{kind}")


def world_egress_group():
    egress = [
        {
            "protocol": "-1",
            "fromPort": 0,
            "toPort": 0,
            "cidrBlocks": ["0.0.0.0/0"],
            "description": "x",
        }
    ]
    return group("nodes", egress=egress)


def test_world_egress_is_reported_where_interface_endpoints_exist(security):
    sg = world_egress_group()
    assert internet_hits(security, [sg, endpoint("Interface")], rule=EGRESS) == [sg.urn]
    found = [
        v for v in analyze_stack(security, [sg, endpoint("Interface")]) if v.policyName == EGRESS
    ]
    assert {v.enforcementLevel for v in found} == {"advisory"}


def test_world_egress_passes_without_interface_endpoints(security):
    assert internet_hits(security, [world_egress_group(), endpoint("Gateway")], rule=EGRESS) == []


def test_vpc_scoped_egress_passes_with_endpoints(security):
    sg = group(
        "nodes",
        egress=[
            {
                "protocol": "tcp",
                "fromPort": 443,
                "toPort": 443,
                "cidrBlocks": ["10.0.0.0/16"],
                "description": "x",
            }
        ],
    )
    assert internet_hits(security, [sg, endpoint("Interface")], rule=EGRESS) == []


def test_prefix_list_entries_declared_as_resources_count(security):
    sg = group()
    plist = resource(
        "aws:ec2/managedPrefixList:ManagedPrefixList",
        {"name": "x", "maxEntries": 2, "addressFamily": "IPv4"},
        "plist",
        outputs={"id": "pl-7"},
    )
    entry = resource(
        "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry",
        {"prefixListId": "pl-7", "cidr": "0.0.0.0/0"},
        "entry",
    )
    rule = port_rule(sg.outputs["id"], None, "pl", port=22, prefixListId="pl-7")
    assert internet_hits(security, [sg, plist, rule]) == []
    assert internet_hits(security, [sg, plist, entry, rule]) == [rule.urn]


def test_an_unknown_source_does_not_hide_a_known_open_one(security):
    # In a preview, a CIDR computed from a new resource is unknown; the known /0 is still judged.
    open_block = {
        "protocol": "tcp",
        "fromPort": 22,
        "toPort": 22,
        "cidrBlocks": ["0.0.0.0/0"],
        "description": "x",
    }
    computed = {**open_block, "cidrBlocks": [UNKNOWN_STRING_VALUE]}
    sg = group("mixed", ingress=[open_block, computed])
    assert internet_hits(security, [sg]) == [sg.urn]
    found = analyze(
        security, SG, {"description": "x", "ingress": [open_block, computed]}, name="mixed"
    )
    assert "sg-no-world-admin-ports" in {v.policyName for v in found}


def test_rules_for_groups_not_known_yet_are_not_pooled(security):
    low = resource(
        INGRESS_RULE,
        {
            "securityGroupId": UNKNOWN_STRING_VALUE,
            "ipProtocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrIpv4": "8.8.0.0/17",
            "description": "x",
        },
        "a",
    )
    high = resource(
        INGRESS_RULE,
        {
            "securityGroupId": UNKNOWN_STRING_VALUE,
            "ipProtocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrIpv4": "8.8.128.0/17",
            "description": "x",
        },
        "b",
    )
    assert internet_hits(security, [low, high]) == []


def test_nat64_egress_counts_as_the_ipv4_internet(security):
    egress = [
        {
            "protocol": "-1",
            "fromPort": 0,
            "toPort": 0,
            "ipv6CidrBlocks": ["64:ff9b::/96"],
            "description": "x",
        }
    ]
    sg = group("nodes", egress=egress)
    assert internet_hits(security, [sg, endpoint("Interface")], rule=EGRESS) == [sg.urn]

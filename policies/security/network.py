"""Network rules: security groups (written any of the three ways the provider allows: inline
`ingress` blocks, `aws.ec2.SecurityGroupRule`, `aws.vpc.SecurityGroupIngressRule`), the VPC's
default security group, VPC flow logs and subnets' public IPs."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import (
    as_bool,
    as_list,
    as_number,
    config,
    effective_tags,
    framework,
    is_world,
    refers_to,
    rule_tags,
)

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBNET = "aws:ec2/subnet:Subnet"

DEFAULT_ADMIN_PORTS = [22, 3389]
DEFAULT_PUBLIC_SUBNET_TAGS = {"tier": "public"}
# What the provider stores when a security group is given no description.
PLACEHOLDER_DESCRIPTIONS = ("", "Managed by Pulumi", "Managed by Terraform")
ALL_PROTOCOLS = ("-1", "all")
PORT_PROTOCOLS = ("tcp", "udp", "6", "17")


@dataclass(frozen=True)
class IngressRule:
    """One ingress permission, whichever way it was written."""

    where: str  # e.g. "ingress[0]" for an inline block, "" for a rule resource
    protocol: str
    from_port: float
    to_port: float
    sources: tuple[str, ...]

    @property
    def world_sources(self) -> list[str]:
        return [s for s in self.sources if is_world(s)]

    def covers(self, port: int) -> bool:
        if self.protocol in ALL_PROTOCOLS:
            return True
        return self.protocol in PORT_PROTOCOLS and self.from_port <= port <= self.to_port

    @property
    def all_ports(self) -> bool:
        if self.protocol in ALL_PROTOCOLS:
            return True
        return self.protocol in PORT_PROTOCOLS and self.from_port <= 1 and self.to_port >= 65535

    def describe(self) -> str:
        ports = (
            "all traffic"
            if self.protocol in ALL_PROTOCOLS
            else f"{self.protocol} {self.from_port:g}-{self.to_port:g}"
        )
        return f"{self.where + ' ' if self.where else ''}{ports} from {self.world_sources}"


def _protocol(value: Any) -> str:
    number = as_number(value)
    if number is not None:
        return str(int(number))
    return str(value if value is not None else "-1").strip().lower()


def _rule(
    where: str, props: Mapping[str, Any], protocol_key: str, sources: list[Any]
) -> IngressRule:
    start = as_number(props.get("fromPort"))
    end = as_number(props.get("toPort"))
    return IngressRule(
        where=where,
        protocol=_protocol(props.get(protocol_key)),
        from_port=0.0 if start is None else start,
        to_port=65535.0 if end is None else end,
        sources=tuple(str(s) for s in sources if s),
    )


def ingress_rules(resource_type: str, props: Mapping[str, Any]) -> Iterator[IngressRule]:
    """The ingress permissions a resource declares."""
    if resource_type == SECURITY_GROUP:
        for i, block in enumerate(as_list(props.get("ingress"))):
            if isinstance(block, Mapping):
                sources = as_list(block.get("cidrBlocks")) + as_list(block.get("ipv6CidrBlocks"))
                yield _rule(f"ingress[{i}]", block, "protocol", sources)
    elif resource_type == SECURITY_GROUP_RULE and props.get("type") == "ingress":
        sources = as_list(props.get("cidrBlocks")) + as_list(props.get("ipv6CidrBlocks"))
        yield _rule("", props, "protocol", sources)
    elif resource_type == INGRESS_RULE:
        yield _rule("", props, "ipProtocol", [props.get("cidrIpv4"), props.get("cidrIpv6")])


def _admin_ports(args: ResourceValidationArgs) -> list[int]:
    return [int(p) for p in config(args, "adminPorts", DEFAULT_ADMIN_PORTS)]


def sg_no_world_admin_ports_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE):
        return
    ports = _admin_ports(args)
    for rule in ingress_rules(args.resource_type, args.props):
        exposed = [p for p in ports if rule.covers(p)]
        if rule.world_sources and exposed:
            report_violation(
                f"Ingress {rule.describe()} exposes administration port(s) {exposed} to the "
                "internet. Remove the rule or restrict its source to known CIDRs or a security "
                "group; prefer SSM Session Manager to SSH/RDP.",
                None,
            )


sg_no_world_admin_ports = ResourceValidationPolicy(
    name="sg-no-world-admin-ports",
    description=(
        "No security group rule allows 0.0.0.0/0 or ::/0 to reach remote administration ports "
        "(SSH 22, RDP 3389)."
    ),
    validate=sg_no_world_admin_ports_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(
        properties={
            "adminPorts": {
                "type": "array",
                "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                "default": DEFAULT_ADMIN_PORTS,
                "description": "Ports that must never be open to the internet.",
            }
        }
    ),
    framework=framework(cis="5.2"),
    tags=[
        *rule_tags("SEC-NET-001", cis="5.2", checkov="CKV_AWS_24"),
        "cis-aws-v3:5.3",
        "checkov:CKV_AWS_25",
    ],
    remediation_steps=(
        "Restrict the rule's source to known CIDRs or a security group, or remove it and use SSM "
        "Session Manager."
    ),
)


def sg_no_world_all_ports_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE):
        return
    for rule in ingress_rules(args.resource_type, args.props):
        if rule.world_sources and rule.all_ports:
            report_violation(
                f"Ingress {rule.describe()} opens every port to the internet. Allow only the "
                "ports the service needs, from the sources that need them.",
                None,
            )


sg_no_world_all_ports = ResourceValidationPolicy(
    name="sg-no-world-all-ports",
    description=(
        "No security group rule allows 0.0.0.0/0 or ::/0 on all protocols or on the whole port "
        "range."
    ),
    validate=sg_no_world_all_ports_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    tags=rule_tags("SEC-NET-002", fsbp="EC2.18", checkov="CKV_AWS_277"),
    remediation_steps="Replace the rule with one per needed port, from the needed sources only.",
)


def sg_descriptions_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE):
        return
    if str(args.props.get("description") or "").strip() in PLACEHOLDER_DESCRIPTIONS:
        what = "security group" if args.resource_type == SECURITY_GROUP else "rule"
        report_violation(
            f"The {what} has no description. Set description to what it allows and why.",
            None,
        )
    if args.resource_type != SECURITY_GROUP:
        return
    for direction in ("ingress", "egress"):
        for i, block in enumerate(as_list(args.props.get(direction))):
            if isinstance(block, Mapping) and not str(block.get("description") or "").strip():
                report_violation(
                    f"{direction}[{i}] has no description. Set its description to what it "
                    "allows and why.",
                    None,
                )


sg_descriptions = ResourceValidationPolicy(
    name="sg-descriptions",
    description="Every security group and security group rule has a description.",
    validate=sg_descriptions_validator,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    tags=rule_tags("SEC-NET-003", checkov="CKV_AWS_23"),
    remediation_steps="Set description on the group and on each of its rules.",
)


def default_sg_closed_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != DEFAULT_SECURITY_GROUP:
        return
    # Absent ingress/egress mean none: the provider strips the default group's rules on adoption.
    rules = {d: len(as_list(args.props.get(d))) for d in ("ingress", "egress")}
    if any(rules.values()):
        report_violation(
            f"The VPC's default security group keeps rules ({rules}), so anything launched "
            "without a security group gets them. Set ingress=[] and egress=[] on "
            "aws.ec2.DefaultSecurityGroup and give resources their own groups.",
            None,
        )


default_sg_closed = ResourceValidationPolicy(
    name="default-sg-closed",
    description="The default security group of every VPC allows no traffic.",
    validate=default_sg_closed_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    framework=framework(cis="5.4"),
    tags=rule_tags("SEC-NET-004", cis="5.4", fsbp="EC2.2", checkov="CKV2_AWS_12"),
    remediation_steps="Manage the default group with aws.ec2.DefaultSecurityGroup, no rules.",
)


def vpc_flow_logs_validator(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    flow_logs = [r for r in args.resources if r.resource_type == FLOW_LOG]
    for vpc in (r for r in args.resources if r.resource_type == VPC):
        if not any(refers_to(f, "vpcId", vpc) for f in flow_logs):
            report_violation(
                f"VPC {vpc.name} has no flow log, so its traffic (accepted and rejected) is not "
                "recorded. Add an aws.ec2.FlowLog with vpc_id set to the VPC and "
                "traffic_type='ALL' (the network component's enable_flow_logs).",
                vpc.urn,
            )


vpc_flow_logs = StackValidationPolicy(
    name="vpc-flow-logs",
    description="Every VPC has a flow log.",
    validate=vpc_flow_logs_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    framework=framework(cis="3.7"),
    tags=rule_tags("SEC-NET-005", cis="3.7", fsbp="EC2.6", checkov="CKV2_AWS_11"),
    remediation_steps="Add an aws.ec2.FlowLog for the VPC (traffic_type='ALL').",
)


def subnet_no_public_ip_on_launch_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != SUBNET:
        return
    if as_bool(args.props.get("mapPublicIpOnLaunch")) is not True:
        return
    marks: Mapping[str, Any] = config(args, "publicSubnetTags", DEFAULT_PUBLIC_SUBNET_TAGS)
    tags = effective_tags(args)
    if marks and all(tags.get(str(k)) == str(v) for k, v in marks.items()):
        return
    report_violation(
        "mapPublicIpOnLaunch is true on a subnet not tagged as public "
        f"({dict(marks)}), so every instance launched in it gets a public IP. Set "
        "map_public_ip_on_launch=False (or tag the subnet as a public tier if it really is one).",
        None,
    )


subnet_no_public_ip_on_launch = ResourceValidationPolicy(
    name="subnet-no-public-ip-on-launch",
    description="Only subnets tagged as the public tier give instances public IPs on launch.",
    validate=subnet_no_public_ip_on_launch_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "publicSubnetTags": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": DEFAULT_PUBLIC_SUBNET_TAGS,
                "description": "Tags that mark a subnet as the public tier.",
            }
        }
    ),
    tags=rule_tags("SEC-NET-006", fsbp="EC2.15", checkov="CKV_AWS_130"),
    remediation_steps="Set map_public_ip_on_launch=False on the subnet.",
)

POLICIES = [
    sg_no_world_admin_ports,
    sg_no_world_all_ports,
    sg_descriptions,
    default_sg_closed,
    vpc_flow_logs,
    subnet_no_public_ip_on_launch,
]

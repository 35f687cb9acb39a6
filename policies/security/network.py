"""Network rules: security groups (written any of the three ways the provider allows: inline
`ingress` blocks, `aws.ec2.SecurityGroupRule`, `aws.vpc.SecurityGroupIngressRule`), the VPC's
default security group, VPC flow logs and subnets' public IPs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.cidr import (
    THRESHOLD_SCHEMA,
    Permission,
    exposures,
    outside,
    permission,
    thresholds,
)
from policies.common import (
    Targets,
    as_bool,
    as_list,
    config,
    effective_tags,
    fail_closed,
    framework,
    known,
    known_items,
    matches_any,
    rule_tags,
    string_list,
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


def ingress_permissions(
    resource_type: str, props: Mapping[str, Any], owner: str = ""
) -> list[Permission]:
    """The ingress permissions a resource declares, whichever of the three ways it is written."""
    return _permissions(resource_type, props, owner, "ingress")


def egress_permissions(
    resource_type: str, props: Mapping[str, Any], owner: str = ""
) -> list[Permission]:
    return _permissions(resource_type, props, owner, "egress")


def _permissions(
    resource_type: str, props: Mapping[str, Any], owner: str, direction: str
) -> list[Permission]:
    if resource_type == SECURITY_GROUP:
        blocks = [
            (f"{direction}[{i}]", b) for i, b in enumerate(known_items(known(props, direction)))
        ]
        options: dict[str, Any] = {}
    elif resource_type == SECURITY_GROUP_RULE and known(props, "type") == direction:
        blocks = [("", props)]
        options = {"group_keys": ("sourceSecurityGroupId", "self")}
    elif resource_type == (INGRESS_RULE if direction == "ingress" else EGRESS_RULE):
        blocks = [("", props)]
        options = {
            "protocol_key": "ipProtocol",
            "cidr_keys": ("cidrIpv4", "cidrIpv6"),
            "prefix_key": "prefixListId",
            "group_keys": ("referencedSecurityGroupId",),
        }
    else:
        return []
    found = []
    for where, block in blocks:
        if not isinstance(block, Mapping):
            continue
        try:
            found.append(permission(owner, where, block, **options))
        except UnknownValueError:
            # Not known until the update (a port or protocol computed from a new resource): the
            # engine runs the rules again then, with the value known.
            continue
    return found


def _admin_ports(args: ResourceValidationArgs) -> list[int]:
    return [int(p) for p in config(args, "adminPorts", DEFAULT_ADMIN_PORTS)]


@fail_closed
def sg_no_world_admin_ports_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE):
        return
    ports = _admin_ports(args)
    for exposure in exposures(
        ingress_permissions(args.resource_type, args.props), **thresholds(args)
    ):
        exposed = [p for p in ports if exposure.covers(p)]
        if exposed:
            report_violation(
                f"Ingress {exposure.describe()} exposes administration port(s) {exposed} to the "
                "internet. Remove the rule or restrict its source to known CIDRs or a security "
                "group; prefer SSM Session Manager to SSH/RDP.",
                None,
            )


sg_no_world_admin_ports = ResourceValidationPolicy(
    name="sg-no-world-admin-ports",
    description=(
        "No security group rule lets the internet (0.0.0.0/0, ::/0 or any set of ranges covering "
        "as much public space) reach remote administration ports (SSH 22, RDP 3389)."
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
            },
            **THRESHOLD_SCHEMA,
        }
    ),
    framework=framework(cis="5.2"),
    tags=[
        *rule_tags("SEC-NET-001", cis="5.2", fsbp="EC2.53", checkov="CKV_AWS_24"),
        "cis-aws-v3:5.3",
        "aws-fsbp:EC2.54",
        "checkov:CKV_AWS_25",
    ],
    remediation_steps=(
        "Restrict the rule's source to known CIDRs or a security group, or remove it and use SSM "
        "Session Manager."
    ),
)


@fail_closed
def sg_no_world_all_ports_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in (SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE):
        return
    for exposure in exposures(
        ingress_permissions(args.resource_type, args.props), **thresholds(args)
    ):
        if exposure.all_ports:
            report_violation(
                f"Ingress {exposure.describe()} opens every port to the internet. Allow only the "
                "ports the service needs, from the sources that need them.",
                None,
            )


sg_no_world_all_ports = ResourceValidationPolicy(
    name="sg-no-world-all-ports",
    description=(
        "No security group rule lets the internet (by coverage, IPv4 and IPv6) in on all "
        "protocols or on the whole port range."
    ),
    validate=sg_no_world_all_ports_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(properties=THRESHOLD_SCHEMA),
    tags=rule_tags("SEC-NET-002", checkov="CKV_AWS_277"),
    remediation_steps="Replace the rule with one per needed port, from the needed sources only.",
)


@fail_closed
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


@fail_closed
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


@fail_closed
def vpc_flow_logs_validator(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    vpcs = Targets(r for r in args.resources if r.resource_type == VPC)
    # the VPCs some flow log names, found by look-up (a scan of the flow logs per VPC is
    # quadratic in a large stack)
    logged = {
        n for f in args.resources if f.resource_type == FLOW_LOG for n in vpcs.positions(f, "vpcId")
    }
    for n, vpc in enumerate(vpcs.targets):
        if n not in logged:
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


@fail_closed
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

# --- the internet's reach, judged over every rule of a security group ---------------------------

MANAGED_PREFIX_LIST = "aws:ec2/managedPrefixList:ManagedPrefixList"
PREFIX_LIST_ENTRY = "aws:ec2/managedPrefixListEntry:ManagedPrefixListEntry"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"


@dataclass
class _Group:
    """A security group and every permission declared for it, inline or by rule resources."""

    name: str
    tags: dict[str, str]
    ingress: list[Permission]
    egress: list[Permission]


def _security_groups(resources: Sequence[PolicyResource]) -> list[_Group]:
    groups = [r for r in resources if r.resource_type == SECURITY_GROUP]
    found = {
        g.urn: _Group(
            name=g.name,
            tags={str(k): str(v) for k, v in (known(g.props, "tags") or {}).items()},
            ingress=ingress_permissions(SECURITY_GROUP, g.props, g.urn),
            egress=egress_permissions(SECURITY_GROUP, g.props, g.urn),
        )
        for g in groups
    }
    index = Targets(groups)  # a look-up per rule, not a scan of the groups
    for r in resources:
        if r.resource_type not in (SECURITY_GROUP_RULE, INGRESS_RULE, EGRESS_RULE):
            continue
        owner = next(iter(index.named_by(r, "securityGroupId")), None)
        target = known(r.props, "securityGroupId")
        # A rule for a group outside the stack joins the other rules naming the same group id;
        # one whose group id is not known yet stands alone.
        key = owner.urn if owner is not None else f"id:{target}" if target else r.urn
        group = found.setdefault(
            key, _Group(name=str(known(r.props, "securityGroupId")), tags={}, ingress=[], egress=[])
        )
        group.ingress += ingress_permissions(r.resource_type, r.props, r.urn)
        group.egress += egress_permissions(r.resource_type, r.props, r.urn)
    return list(found.values())


def _prefix_lists(resources: Sequence[PolicyResource]) -> dict[str, list[str]]:
    """The CIDRs of the managed prefix lists the stack declares, by id: their inline `entries`
    and the `aws:ec2/managedPrefixListEntry` resources that add to them."""
    lists: dict[str, list[str]] = {}
    for r in resources:
        if r.resource_type == MANAGED_PREFIX_LIST:
            entries = [e for e in known_items(known(r.props, "entries")) if isinstance(e, Mapping)]
            cidrs = [str(e.get("cidr")) for e in entries if e.get("cidr")]
            for key in ("id", "arn"):
                if known(r.props, key):
                    lists.setdefault(str(known(r.props, key)), []).extend(cidrs)
    for r in resources:
        if r.resource_type == PREFIX_LIST_ENTRY and known(r.props, "cidr"):
            target = str(known(r.props, "prefixListId"))
            lists.setdefault(target, []).append(str(known(r.props, "cidr")))
    return lists


def _public_ports(args: StackValidationArgs, group: _Group) -> list[int]:
    """The ports the policy config lets the internet reach on this group."""
    ports: list[int] = []
    for entry in config(args, "publicIngress", []) or []:
        name, tags = entry.get("securityGroup"), entry.get("tags") or {}
        if not name and not tags:
            continue
        if (
            name
            and not matches_any(group.name, [name])
            and not matches_any(group.tags.get("Name", ""), [name])
        ):
            continue
        if all(group.tags.get(str(k)) == str(v) for k, v in tags.items()):
            ports += [int(p) for p in entry.get("ports") or []]
    return ports


def _ranges(intervals: Sequence[tuple[int, int]]) -> str:
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in intervals)


@fail_closed
def sg_no_internet_ingress_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    known_lists = _prefix_lists(args.resources)
    trusted = {str(p) for p in config(args, "trustedPrefixLists", []) or []}
    for group in _security_groups(args.resources):
        for p in group.ingress:
            for pl in p.prefix_lists:
                if pl not in known_lists and pl not in trusted:
                    report_violation(
                        f"Security group {group.name}: ingress {p.where or ''} admits prefix list "
                        f"{pl}, which this stack does not declare, so what it lets in cannot be "
                        "judged. Declare the list in the stack (aws.ec2.ManagedPrefixList) or "
                        "name it in trustedPrefixLists of the policy config.",
                        p.owner,
                    )
        allowed = _public_ports(args, group)
        for exposure in exposures(group.ingress, known_lists, **thresholds(args)):
            rest = outside(exposure, allowed)
            if not rest:
                continue
            shown = (
                exposure.describe()
                if exposure.protocol not in ("tcp", "udp")
                else f"{exposure.protocol} {_ranges(rest)} from {exposure.coverage.describe()}"
            )
            for owner in sorted({p.owner for p in exposure.permissions}):
                where = [p.where for p in exposure.permissions if p.owner == owner and p.where]
                report_violation(
                    f"Security group {group.name} lets the internet in: {shown}"
                    f"{' (' + ', '.join(where) + ')' if where else ''}, counting every rule of "
                    "the group together. Restrict the sources to known networks or security "
                    "groups; if the group fronts a public service, list its ports under "
                    f"publicIngress in the policy config (public now: {allowed or 'none'}).",
                    owner or None,
                )


sg_no_internet_ingress = StackValidationPolicy(
    name="sg-no-internet-ingress",
    description=(
        "No security group lets the internet in, judged over all of its rules together (inline "
        "blocks, rule resources, known prefix lists; IPv4 and IPv6 by coverage), except on the "
        "ports the policy config lists as public for it."
    ),
    validate=sg_no_internet_ingress_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "publicIngress": {
                "type": "array",
                "default": [],
                "description": (
                    "Security groups that front a public service, matched by a glob over the "
                    "logical name or Name tag (securityGroup) and/or tags, with the tcp/udp "
                    "ports the internet may reach."
                ),
                "items": {
                    "type": "object",
                    "properties": {
                        "securityGroup": {"type": "string"},
                        "tags": {"type": "object", "additionalProperties": {"type": "string"}},
                        "ports": {
                            "type": "array",
                            "items": {"type": "integer", "minimum": 0, "maximum": 65535},
                        },
                    },
                    "required": ["ports"],
                },
            },
            "trustedPrefixLists": string_list(
                "Prefix list ids not declared in the stack that may be sources."
            ),
            **THRESHOLD_SCHEMA,
        }
    ),
    framework=framework(cis="5.2"),
    tags=[
        *rule_tags("SEC-NET-007", cis="5.2", fsbp="EC2.18", checkov="CKV_AWS_260"),
        "cis-aws-v3:5.3",
        "aws-fsbp:EC2.19",
    ],
    remediation_steps=(
        "Restrict the group's sources to known CIDRs or security groups, or list its public "
        "ports under publicIngress in the policy config."
    ),
)


@fail_closed
def sg_world_egress_with_endpoints_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    interface = [
        r
        for r in args.resources
        if r.resource_type == VPC_ENDPOINT
        and str(known(r.props, "vpcEndpointType") or "Gateway") == "Interface"
    ]
    if not interface:
        return
    known_lists = _prefix_lists(args.resources)
    for group in _security_groups(args.resources):
        for exposure in exposures(group.egress, known_lists, **thresholds(args)):
            for owner in sorted({p.owner for p in exposure.permissions}):
                report_violation(
                    f"Security group {group.name} allows egress to the internet "
                    f"({exposure.describe().replace(' from ', ' to ')}) although the VPC "
                    f"reaches AWS APIs through {len(interface)} interface endpoint(s). Where the "
                    "workloads need no other destination, allow egress only to the endpoints' "
                    "security group and the VPC's CIDR.",
                    owner or None,
                )


sg_world_egress_with_endpoints = StackValidationPolicy(
    name="sg-world-egress-with-endpoints",
    description=(
        "Security groups in a VPC with interface endpoints do not allow egress to the whole "
        "internet (advisory: world egress stays allowed where workloads need it)."
    ),
    validate=sg_world_egress_with_endpoints_validator,
    enforcement_level=EnforcementLevel.ADVISORY,
    severity=Severity.LOW,
    config_schema=PolicyConfigSchema(properties=THRESHOLD_SCHEMA),
    tags=rule_tags("SEC-NET-008", checkov="CKV_AWS_382"),
    remediation_steps=(
        "Limit egress to the VPC endpoints' security group and the VPC CIDR where the workloads "
        "need nothing else."
    ),
)

POLICIES = [
    sg_no_world_admin_ports,
    sg_no_world_all_ports,
    sg_no_internet_ingress,
    sg_world_egress_with_endpoints,
    sg_descriptions,
    default_sg_closed,
    vpc_flow_logs,
    subnet_no_public_ip_on_launch,
]

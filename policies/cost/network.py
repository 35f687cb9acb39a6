"""Network cost rules over the whole stack: how many NAT gateways run, that S3 traffic from
private subnets skips them (a free S3 gateway endpoint), and that no Elastic IP sits idle.

Resources are matched by their known ids, or, where an id is not known yet (a preview of new
resources), by the property dependencies the engine records (`allocationId` came from that EIP)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.common import as_list, config, fail_closed, framework, known, present, rule_tags

VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
ENDPOINT_ROUTE_TABLE = "aws:ec2/vpcEndpointRouteTableAssociation:VpcEndpointRouteTableAssociation"
EIP = "aws:ec2/eip:Eip"
EIP_ASSOCIATION = "aws:ec2/eipAssociation:EipAssociation"
LOAD_BALANCERS = ("aws:lb/loadBalancer:LoadBalancer", "aws:alb/loadBalancer:LoadBalancer")

DEFAULT_MAX_NAT_GATEWAYS = 1
DEFAULT_MAX_NAT_GATEWAYS_PER_AZ = 1


def _items(value: Any) -> Iterator[Any]:
    """The known items of a list property (a single value is a list of one)."""
    if value is None or isinstance(value, str) or not isinstance(value, Sequence):
        yield from as_list(value)
        return
    for i in range(len(value)):
        try:
            yield value[i]
        except UnknownValueError:
            continue


def _refs(resource: PolicyResource, key: str) -> tuple[set[str], set[str]]:
    """What a reference property names: (the known ids, and, when the value is not known, the URNs
    of the resources the engine recorded it depends on)."""
    value = known(resource.props, key)
    ids = {str(v) for v in _items(value) if isinstance(v, str)} if value is not None else set()
    if ids:
        return ids, set()
    return set(), {d.urn for d in resource.property_dependencies.get(key, [])}


class _Network:
    """The stack's VPCs and subnets, to place NAT gateways and endpoints in them."""

    def __init__(self, resources: list[PolicyResource]) -> None:
        self.by_urn = {r.urn: r for r in resources}
        self.vpcs = {r.urn: r for r in resources if r.resource_type == VPC}
        self.vpc_by_id = {str(i): u for u, r in self.vpcs.items() if (i := known(r.props, "id"))}
        self.subnet_by_id = {
            str(i): r
            for r in resources
            if r.resource_type == SUBNET and (i := known(r.props, "id"))
        }

    def vpc_of(self, resource: PolicyResource) -> str | None:
        """A key for the VPC a resource names in `vpcId`: the VPC's URN when it is in the stack,
        else its id."""
        ids, urns = _refs(resource, "vpcId")
        for i in ids:
            return self.vpc_by_id.get(i, i)
        return next((u for u in urns if u in self.vpcs), None)

    def subnet_of(self, resource: PolicyResource) -> PolicyResource | None:
        ids, urns = _refs(resource, "subnetId")
        for i in ids:
            return self.subnet_by_id.get(i)
        return next((self.by_urn[u] for u in urns if u in self.by_urn), None)


@fail_closed
def nat_gateway_count_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    cap = int(config(args, "maxNatGateways", DEFAULT_MAX_NAT_GATEWAYS))
    per_az = int(config(args, "maxPerAvailabilityZone", DEFAULT_MAX_NAT_GATEWAYS_PER_AZ))
    nats = [r for r in args.resources if r.resource_type == NAT_GATEWAY]
    for extra in nats[cap:]:
        report_violation(
            f"The stack runs {len(nats)} NAT gateways, above the limit of {cap} (policy config "
            "maxNatGateways); each costs about $33 a month before data processing. Share one "
            "NAT gateway between the private subnets (nat_strategy 'single').",
            extra.urn,
        )
    network = _Network(args.resources)
    by_az: dict[tuple[str | None, str], list[PolicyResource]] = {}
    for nat in nats:
        subnet = network.subnet_of(nat)
        az = known(subnet.props, "availabilityZone") if subnet is not None else None
        if az:
            by_az.setdefault((network.vpc_of(subnet) if subnet else None, str(az)), []).append(nat)
    for (_, az), group in by_az.items():
        for extra in group[per_az:]:
            report_violation(
                f"NAT gateways {[r.name for r in group]} are all in {az}; a private route table "
                f"sends its traffic to one NAT gateway, so more than {per_az} per availability "
                "zone (policy config maxPerAvailabilityZone) only adds cost. Remove this one or "
                "move it to another zone's public subnet.",
                extra.urn,
            )


@fail_closed
def s3_gateway_endpoint_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    network = _Network(args.resources)
    nat_vpcs: dict[str, PolicyResource] = {}
    for nat in (r for r in args.resources if r.resource_type == NAT_GATEWAY):
        subnet = network.subnet_of(nat)
        vpc = network.vpc_of(subnet) if subnet is not None else None
        if vpc is not None:
            nat_vpcs.setdefault(vpc, nat)
    associated = set()
    for assoc in (r for r in args.resources if r.resource_type == ENDPOINT_ROUTE_TABLE):
        ids, urns = _refs(assoc, "vpcEndpointId")
        associated |= ids | urns
    covered: set[str] = set()
    # S3 endpoints that do not help, by VPC: where the fix goes when the VPC is not covered.
    unfit: dict[str, list[tuple[PolicyResource, str]]] = {}
    for ep in (r for r in args.resources if r.resource_type == VPC_ENDPOINT):
        service = known(ep.props, "serviceName")
        vpc = network.vpc_of(ep)
        if (service is not None and not str(service).endswith(".s3")) or vpc is None:
            continue
        kind = known(ep.props, "vpcEndpointType") or "Gateway"  # AWS's default
        routed = present(ep.props, "routeTableIds") or bool(
            {ep.urn, str(known(ep.props, "id"))} & associated
        )
        if kind != "Gateway":
            unfit.setdefault(vpc, []).append(
                (
                    ep,
                    f"is an {kind} endpoint, billed by the hour and per GB; set "
                    "vpc_endpoint_type='Gateway' (free) for traffic from the VPC's own subnets",
                )
            )
        elif not routed:
            unfit.setdefault(vpc, []).append(
                (
                    ep,
                    "is on no route table, so no traffic uses it; set route_table_ids to the "
                    "private route tables",
                )
            )
        else:
            covered.add(vpc)
    for vpc, nat in nat_vpcs.items():
        if vpc in covered:
            continue
        target = network.vpcs.get(vpc)
        vpc_name = target.name if target else vpc
        lead = (
            f"VPC {vpc_name} sends its private subnets' traffic through NAT gateways, so S3 "
            "traffic (ECR image layers among it) pays NAT data processing unless a gateway "
            "endpoint takes it."
        )
        for ep, why in unfit.get(vpc, []):
            report_violation(f"{lead} S3 endpoint {ep.name} {why}.", ep.urn)
        if vpc not in unfit:
            report_violation(
                f"{lead} It has no S3 gateway endpoint: add an aws.ec2.VpcEndpoint with "
                "vpc_endpoint_type='Gateway', service_name com.amazonaws.<region>.s3 and the "
                "private route tables in route_table_ids; it is free.",
                target.urn if target else nat.urn,
            )


@fail_closed
def idle_elastic_ip_validator(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    used_ids: set[str] = set()
    used_urns: set[str] = set()

    def use(ids: set[str], urns: set[str]) -> None:
        used_ids.update(ids)
        used_urns.update(urns)

    for r in args.resources:
        if r.resource_type == NAT_GATEWAY:
            use(*_refs(r, "allocationId"))
            use(*_refs(r, "secondaryAllocationIds"))
        elif r.resource_type == EIP_ASSOCIATION:
            use(*_refs(r, "allocationId"))
        elif r.resource_type in LOAD_BALANCERS:
            mappings = list(_items(known(r.props, "subnetMappings")))
            for m in mappings:
                if isinstance(m, Mapping) and (alloc := known(m, "allocationId")):
                    used_ids.add(str(alloc))
            used_urns.update(d.urn for d in r.property_dependencies.get("subnetMappings", []))
    for eip in (r for r in args.resources if r.resource_type == EIP):
        if present(eip.props, "instance") or present(eip.props, "networkInterface"):
            continue
        ids = {str(v) for k in ("allocationId", "id") if (v := known(eip.props, k))}
        if ids & used_ids or eip.urn in used_urns:
            continue
        report_violation(
            f"Elastic IP {eip.name} is attached to nothing in the stack (no NAT gateway, EIP "
            "association, load balancer, instance or network interface uses it); an idle "
            "public IPv4 address is billed by the hour. Release it, or attach it.",
            eip.urn,
        )


nat_gateway_count = StackValidationPolicy(
    name="nat-gateway-count",
    description="A stack runs no more NAT gateways than the policy config allows, and never more "
    "than one per availability zone.",
    validate=nat_gateway_count_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "maxNatGateways": {
                "type": "integer",
                "minimum": 0,
                "default": DEFAULT_MAX_NAT_GATEWAYS,
                "description": "The most NAT gateways in the stack.",
            },
            "maxPerAvailabilityZone": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MAX_NAT_GATEWAYS_PER_AZ,
                "description": "The most NAT gateways in one availability zone of a VPC.",
            },
        }
    ),
    tags=rule_tags("COST-NET-001"),
    remediation_steps="Use one shared NAT gateway outside production (nat_strategy 'single'), "
    "or raise maxNatGateways in the policy config.",
)

s3_gateway_endpoint = StackValidationPolicy(
    name="s3-gateway-endpoint",
    description="Every VPC with NAT gateways has an S3 gateway endpoint on its route tables, so "
    "that S3 traffic does not pay NAT data processing.",
    validate=s3_gateway_endpoint_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    tags=rule_tags("COST-NET-002"),
    remediation_steps="Add an aws.ec2.VpcEndpoint with vpc_endpoint_type='Gateway', service_name "
    "com.amazonaws.<region>.s3 and the private route tables in route_table_ids.",
)

idle_elastic_ip = StackValidationPolicy(
    name="idle-elastic-ip",
    description="Every Elastic IP in the stack is attached to something.",
    validate=idle_elastic_ip_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.LOW,
    framework=framework(fsbp="EC2.12"),
    tags=rule_tags("COST-NET-003", fsbp="EC2.12"),
    remediation_steps="Release the Elastic IP (delete the aws.ec2.Eip) or attach it to a NAT "
    "gateway, instance, network interface or load balancer.",
)

POLICIES = [nat_gateway_count, s3_gateway_endpoint, idle_elastic_ip]

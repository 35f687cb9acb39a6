"""Network: a VPC across N availability zones, after terraform-aws-vpc.

Three subnet tiers per AZ: public (NAT gateways and load balancers only; nothing gets a public IP
on launch), private (nodes, routed out through NAT) and database (isolated: a route table with no
route out of the VPC). NAT is one gateway for the VPC (`single`, cheap) or one per AZ (`per-az`, an
AZ failure does not cut the others' egress). VPC flow logs go to CloudWatch Logs; S3 is reached
through a free gateway endpoint; ECR, STS and CloudWatch Logs optionally through interface
endpoints.
The default security group is taken over and left with no rules (CIS AWS 5.4).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components import PACKAGE, assume_role_policy, child, policy_json


@dataclass(frozen=True)
class NetworkArgs:
    region: str
    availability_zones: Sequence[str]
    vpc_cidr: str = "10.0.0.0/16"
    nat_strategy: str = "per-az"  # "single" | "per-az"
    interface_endpoints: Sequence[str] = field(default_factory=tuple)
    flow_log_retention_days: int = 30
    # A customer-managed key for the flow-log group (None: CloudWatch Logs' own encryption).
    log_kms_key_arn: pulumi.Input[str] | None = None
    # Extra tags on the private (node) subnets, e.g. Karpenter's `karpenter.sh/discovery`, by
    # which an autoscaler finds the subnets to launch nodes in.
    private_subnet_tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubnetPlan:
    """CIDRs of one AZ's three subnets."""

    public: str
    private: str
    database: str


def subnet_plan(vpc_cidr: str, az_count: int) -> list[SubnetPlan]:
    """Split the VPC into per-AZ subnets. The VPC is cut into 8 equal blocks: blocks 0-5 are the
    private subnets (nodes and pods need the room: vpc-cni prefix delegation hands out /28s),
    block 6 is cut into 8 public subnets and block 7 into 8 database subnets. Up to 6 AZs fit;
    a /16 gives /19 private, /22 public and /22 database subnets."""
    if not 1 <= az_count <= 6:
        raise ValueError(f"az_count must be 1 to 6, got {az_count}")
    vpc = ipaddress.IPv4Network(vpc_cidr)
    blocks = list(vpc.subnets(prefixlen_diff=3))
    public = list(blocks[6].subnets(prefixlen_diff=3))
    database = list(blocks[7].subnets(prefixlen_diff=3))
    return [
        SubnetPlan(public=str(public[i]), private=str(blocks[i]), database=str(database[i]))
        for i in range(az_count)
    ]


def nat_gateway_count(nat_strategy: str, az_count: int) -> int:
    if nat_strategy == "single":
        return 1
    if nat_strategy == "per-az":
        return az_count
    raise ValueError(f"nat_strategy must be 'single' or 'per-az', got {nat_strategy!r}")


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    public_subnet_ids: list[pulumi.Output[str]]
    private_subnet_ids: list[pulumi.Output[str]]
    database_subnet_ids: list[pulumi.Output[str]]
    private_route_table_ids: list[pulumi.Output[str]]
    nat_gateway_ids: list[pulumi.Output[str]]
    flow_log_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:network:Network", name, None, opts)
        azs = list(args.availability_zones)
        plan = subnet_plan(args.vpc_cidr, len(azs))
        nat_count = nat_gateway_count(args.nat_strategy, len(azs))

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags={"Name": f"{name}-vpc"},
            opts=child(self),
        )
        # Taking over the default security group with no rules closes it (CIS AWS 5.4).
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg",
            vpc_id=vpc.id,
            ingress=[],
            egress=[],
            tags={"Name": f"{name}-default-closed"},
            opts=child(self),
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags={"Name": f"{name}-igw"}, opts=child(self)
        )

        public_rt = aws.ec2.RouteTable(
            f"{name}-public-rt", vpc_id=vpc.id, tags={"Name": f"{name}-public"}, opts=child(self)
        )
        aws.ec2.Route(
            f"{name}-public-default",
            route_table_id=public_rt.id,
            destination_cidr_block="0.0.0.0/0",
            gateway_id=igw.id,
            opts=child(self),
        )
        database_rt = aws.ec2.RouteTable(
            f"{name}-database-rt",
            vpc_id=vpc.id,
            tags={"Name": f"{name}-database-isolated"},
            opts=child(self),
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        database_subnets: list[aws.ec2.Subnet] = []
        for i, (az, cidrs) in enumerate(zip(azs, plan, strict=True)):
            pub = aws.ec2.Subnet(
                f"{name}-public-{i}",
                vpc_id=vpc.id,
                availability_zone=az,
                cidr_block=cidrs.public,
                map_public_ip_on_launch=False,
                tags={
                    "Name": f"{name}-public-{az}",
                    "tier": "public",
                    "kubernetes.io/role/elb": "1",
                },
                opts=child(self),
            )
            priv = aws.ec2.Subnet(
                f"{name}-private-{i}",
                vpc_id=vpc.id,
                availability_zone=az,
                cidr_block=cidrs.private,
                map_public_ip_on_launch=False,
                tags={
                    **args.private_subnet_tags,
                    "Name": f"{name}-private-{az}",
                    "tier": "private",
                    "kubernetes.io/role/internal-elb": "1",
                },
                opts=child(self),
            )
            db = aws.ec2.Subnet(
                f"{name}-database-{i}",
                vpc_id=vpc.id,
                availability_zone=az,
                cidr_block=cidrs.database,
                map_public_ip_on_launch=False,
                tags={"Name": f"{name}-database-{az}", "tier": "database"},
                opts=child(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-public-{i}",
                subnet_id=pub.id,
                route_table_id=public_rt.id,
                opts=child(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-database-{i}",
                subnet_id=db.id,
                route_table_id=database_rt.id,
                opts=child(self),
            )
            public_subnets.append(pub)
            private_subnets.append(priv)
            database_subnets.append(db)

        nat_gateways: list[aws.ec2.NatGateway] = []
        for i in range(nat_count):
            eip = aws.ec2.Eip(
                f"{name}-nat-{i}",
                domain="vpc",
                tags={"Name": f"{name}-nat-{azs[i]}"},
                opts=child(self),
            )
            nat_gateways.append(
                aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public_subnets[i].id,
                    tags={"Name": f"{name}-nat-{azs[i]}"},
                    opts=child(self, depends_on=[igw]),
                )
            )

        private_rts: list[aws.ec2.RouteTable] = []
        for i, subnet in enumerate(private_subnets):
            rt = aws.ec2.RouteTable(
                f"{name}-private-rt-{i}",
                vpc_id=vpc.id,
                tags={"Name": f"{name}-private-{azs[i]}"},
                opts=child(self),
            )
            # per-az: each AZ leaves through its own NAT; single: all through the first.
            nat = nat_gateways[i] if nat_count > 1 else nat_gateways[0]
            aws.ec2.Route(
                f"{name}-private-default-{i}",
                route_table_id=rt.id,
                destination_cidr_block="0.0.0.0/0",
                nat_gateway_id=nat.id,
                opts=child(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{name}-private-{i}", subnet_id=subnet.id, route_table_id=rt.id, opts=child(self)
            )
            private_rts.append(rt)

        # Flow logs of all traffic to CloudWatch Logs (CIS AWS 3.7, FSBP EC2.6).
        flow_log_group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs",
            name=f"/vpc/{name}/flow-logs",
            retention_in_days=args.flow_log_retention_days,
            kms_key_id=args.log_kms_key_arn,
            opts=child(self),
        )
        flow_role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"),
            opts=child(self),
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs",
            role=flow_role.id,
            policy=flow_log_group.arn.apply(
                lambda arn: policy_json(
                    [
                        {
                            "Effect": "Allow",
                            "Action": [
                                "logs:CreateLogStream",
                                "logs:PutLogEvents",
                                "logs:DescribeLogStreams",
                            ],
                            "Resource": [arn, f"{arn}:*"],
                        }
                    ]
                )
            ),
            opts=child(self),
        )
        aws.ec2.FlowLog(
            f"{name}-flow-log",
            vpc_id=vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=flow_log_group.arn,
            iam_role_arn=flow_role.arn,
            max_aggregation_interval=60,
            opts=child(self),
        )

        # S3 through a gateway endpoint: free, and keeps image layers and backups off the NAT.
        aws.ec2.VpcEndpoint(
            f"{name}-s3",
            vpc_id=vpc.id,
            service_name=f"com.amazonaws.{args.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts] + [database_rt.id],
            tags={"Name": f"{name}-s3"},
            opts=child(self),
        )

        if args.interface_endpoints:
            endpoint_sg = aws.ec2.SecurityGroup(
                f"{name}-endpoints",
                vpc_id=vpc.id,
                description="HTTPS from inside the VPC to the interface VPC endpoints",
                ingress=[
                    aws.ec2.SecurityGroupIngressArgs(
                        protocol="tcp",
                        from_port=443,
                        to_port=443,
                        cidr_blocks=[args.vpc_cidr],
                        description="HTTPS from the VPC",
                    )
                ],
                tags={"Name": f"{name}-endpoints"},
                opts=child(self),
            )
            for svc in args.interface_endpoints:
                aws.ec2.VpcEndpoint(
                    f"{name}-{svc.replace('.', '-')}",
                    vpc_id=vpc.id,
                    service_name=f"com.amazonaws.{args.region}.{svc}",
                    vpc_endpoint_type="Interface",
                    private_dns_enabled=True,
                    subnet_ids=[s.id for s in private_subnets],
                    security_group_ids=[endpoint_sg.id],
                    tags={"Name": f"{name}-{svc}"},
                    opts=child(self),
                )

        self.vpc_id = vpc.id
        self.vpc_cidr = args.vpc_cidr
        self.public_subnet_ids = [s.id for s in public_subnets]
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.database_subnet_ids = [s.id for s in database_subnets]
        self.private_route_table_ids = [rt.id for rt in private_rts]
        self.nat_gateway_ids = [n.id for n in nat_gateways]
        self.flow_log_group_name = flow_log_group.name
        self.register_outputs(
            {
                "vpcId": self.vpc_id,
                "publicSubnetIds": self.public_subnet_ids,
                "privateSubnetIds": self.private_subnet_ids,
                "databaseSubnetIds": self.database_subnet_ids,
                "natGatewayIds": self.nat_gateway_ids,
            }
        )

"""The monthly cost of a stack export: `estimate(export, prices, usage) -> Estimate`.

Every custom resource ends up in exactly one of three places: a priced line (with the items that
make up its cost), the free list (with why it is free), or the not-priced list (a type without a
pricing rule, or a price missing from the price file). Nothing is counted as zero silently.
A month is the price file's `hoursPerMonth` (730, AWS's convention).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from toolchain.cost.errors import CostError
from toolchain.cost.prices import PriceBook
from toolchain.cost.usage import (
    BUCKET,
    BUCKET_V2,
    KMS_KEY,
    LOG_GROUP,
    NAT_GATEWAY,
    NODE_GROUP,
    RDS_BACKUP_REPLICATION,
    RDS_INSTANCE,
    TRAIL,
    VPC_ENDPOINT,
    Usage,
)
from toolchain.export import (
    SHAPE_ERRORS,
    STACK_TYPE,
    Resource,
    StackExport,
    as_number,
    misshapen,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EIP = "aws:ec2/eip:Eip"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
SUBNET = "aws:ec2/subnet:Subnet"
SECRET = "aws:secretsmanager/secret:Secret"
METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"

# EKS managed node groups launch t3.medium when no instance type is given, with a 20 GiB root
# volume when there is no launch template.
EKS_DEFAULT_INSTANCE_TYPE = "t3.medium"
EKS_DEFAULT_DISK_GB = 20
PI_FREE_DAYS = 7

FREE: dict[str, str] = {
    "aws:ec2/vpc:Vpc": "VPCs are free",
    SUBNET: "subnets are free",
    "aws:ec2/routeTable:RouteTable": "route tables are free",
    "aws:ec2/route:Route": "routes are free",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "route table associations are free",
    "aws:ec2/internetGateway:InternetGateway": "internet gateways are free (traffic is billed)",
    "aws:ec2/securityGroup:SecurityGroup": "security groups are free",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "security groups are free",
    "aws:ec2/securityGroupRule:SecurityGroupRule": "security group rules are free",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "security group rules are free",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "security group rules are free",
    "aws:ec2/flowLog:FlowLog": "billed as its log group's ingestion",
    LAUNCH_TEMPLATE: "billed through the node groups that launch it (root volumes)",
    "aws:eks/addon:Addon": "EKS add-ons are free (they run on the nodes)",
    "aws:eks/accessEntry:AccessEntry": "EKS access entries are free",
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "EKS access entries are free",
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": "EKS Pod Identity is free",
    "aws:kms/alias:Alias": "KMS aliases are free",
    "aws:rds/parameterGroup:ParameterGroup": "parameter groups are free",
    "aws:rds/subnetGroup:SubnetGroup": "subnet groups are free",
    "aws:budgets/budget:Budget": "budgets without actions are free (and two with actions)",
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": "Cost Anomaly Detection is free",
    "aws:costexplorer/anomalySubscription:AnomalySubscription": "Cost Anomaly Detection is free",
    "aws:sns/topic:Topic": "SNS topics are free (first million requests a month)",
    "aws:sns/topicPolicy:TopicPolicy": "topic policies are free",
    "aws:sns/topicSubscription:TopicSubscription": "email notifications: first 1,000 a month free",
    "aws:secretsmanager/secretVersion:SecretVersion": "billed on the secret",
    # Karpenter's spot-interruption plumbing: a handful of AWS events a month.
    "aws:sqs/queue:Queue": "SQS: the first million requests a month are free",
    "aws:sqs/queuePolicy:QueuePolicy": "queue policies are free",
    "aws:cloudwatch/eventRule:EventRule": "rules matching AWS service events are free",
    "aws:cloudwatch/eventTarget:EventTarget": "billed on its rule",
    "aws:chatbot/slackChannelConfiguration:SlackChannelConfiguration": "AWS Chatbot is free",
    "aws:fis/experimentTemplate:ExperimentTemplate": "FIS bills action-minutes while an "
    "experiment runs; an idle template is free",
}
# Types that cost money the estimate cannot know from the plan: listed as not priced, with why.
NOT_PRICED: dict[str, str] = {
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "composite alarms are $0.50 a month each "
    "(CloudWatch pricing), a price the price file does not hold yet",
    "kubernetes:karpenter.sh/v1:NodePool": "Karpenter's nodes above the node groups' floor "
    "depend on load (bounded by the NodePool's limits.cpu); to price an expected burst, raise a "
    "node group's `nodes` in a usage file",
}
FREE_PREFIXES: dict[str, str] = {
    "aws:iam/": "IAM is free",
    "aws:s3/bucket": "bucket configuration is free; storage is priced on the bucket",
    "kubernetes:": "runs inside the cluster (priced with the node groups)",
}


@dataclass(frozen=True)
class Item:
    """One billed quantity: `quantity` `unit` at `unit_usd` each."""

    description: str
    quantity: float
    unit: str
    unit_usd: float
    price_key: str
    usage_based: bool = False

    @property
    def monthly(self) -> float:
        return self.quantity * self.unit_usd


@dataclass(frozen=True)
class Line:
    """The monthly cost of one resource."""

    urn: str
    name: str
    type: str
    component: str
    region: str
    items: tuple[Item, ...]
    notes: tuple[str, ...] = ()

    @property
    def monthly(self) -> float:
        return sum(i.monthly for i in self.items)


@dataclass(frozen=True)
class Unpriced:
    """A resource with no line: free, or not priced, and why."""

    urn: str
    name: str
    type: str
    component: str
    reason: str


@dataclass(frozen=True)
class Group:
    """Unpriced resources of one type and reason."""

    type: str
    reason: str
    count: int
    urns: tuple[str, ...]


def _group(items: Iterable[Unpriced]) -> tuple[Group, ...]:
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    for u in items:
        groups[(u.type, u.reason)].append(u.urn)
    return tuple(
        Group(type=t, reason=r, count=len(urns), urns=tuple(urns))
        for (t, r), urns in sorted(groups.items())
    )


@dataclass(frozen=True)
class Estimate:
    stack: str
    source: str
    price_file: str
    price_date: str
    usage_sources: tuple[str, ...]
    lines: tuple[Line, ...]
    free_resources: tuple[Unpriced, ...]
    not_priced_resources: tuple[Unpriced, ...]

    @property
    def total(self) -> float:
        return sum(line.monthly for line in self.lines)

    @property
    def not_priced(self) -> tuple[Group, ...]:
        """Resources the estimate could not price, by type and reason, with their count."""
        return _group(self.not_priced_resources)

    @property
    def free(self) -> tuple[Group, ...]:
        return _group(self.free_resources)

    def by_component(self) -> list[tuple[str, float, int]]:
        """(component, monthly, priced resources), costliest first."""
        totals: dict[str, float] = defaultdict(float)
        counts: Counter[str] = Counter()
        for line in self.lines:
            totals[line.component] += line.monthly
            counts[line.component] += 1
        return sorted(
            ((c, totals[c], counts[c]) for c in totals), key=lambda row: (-row[1], row[0])
        )

    def line(self, name_or_urn: str, type_token: str | None = None) -> Line:
        """The line of a resource by URN, or by logical name (and type, where names repeat)."""
        for line in self.lines:
            if name_or_urn in (line.urn, line.name) and type_token in (None, line.type):
                return line
        raise KeyError(name_or_urn)

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "export": self.source,
            "currency": "USD",
            "prices": {"file": self.price_file, "date": self.price_date},
            "usage": list(self.usage_sources),
            "monthlyTotal": round(self.total, 2),
            "byComponent": [
                {"component": c, "monthly": round(m, 2), "resources": n}
                for c, m, n in self.by_component()
            ],
            "resources": [
                {
                    "urn": line.urn,
                    "name": line.name,
                    "type": line.type,
                    "component": line.component,
                    "region": line.region,
                    "monthly": round(line.monthly, 2),
                    "items": [
                        {
                            "item": i.description,
                            "quantity": round(i.quantity, 4),
                            "unit": i.unit,
                            "unitPrice": i.unit_usd,
                            "monthly": round(i.monthly, 2),
                            "priceKey": i.price_key,
                            "usageBased": i.usage_based,
                        }
                        for i in line.items
                    ],
                    "notes": list(line.notes),
                }
                for line in self.lines
            ],
            "free": [{"type": g.type, "count": g.count, "reason": g.reason} for g in self.free],
            "notPriced": [
                {"type": g.type, "count": g.count, "reason": g.reason, "urns": list(g.urns)}
                for g in self.not_priced
            ],
        }


class _NotPriced(Exception):
    """Raised by a pricing rule that cannot price a resource (the message says why)."""


@dataclass
class _Context:
    export: StackExport
    prices: PriceBook
    usage: Usage
    hours: float
    launch_templates: dict[str, Resource] = field(default_factory=dict)
    nat_gateways: Counter[str] = field(default_factory=Counter)
    azs: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    rds_by_arn: dict[str, Resource] = field(default_factory=dict)
    free_dashboards_left: int = 0
    free_alarm_metrics_left: int = 0
    regions: dict[str, str] = field(default_factory=dict)

    def raw_region(self, r: Resource) -> str | None:
        """The region of a resource's provider, unchecked."""
        provider = self.export.index.get(r.provider_urn or "")
        region = provider.inputs.get("region") if provider is not None else None
        return region if isinstance(region, str) and region else None

    def region(self, r: Resource) -> str:
        """The region of a resource, which the price file must have."""
        if r.urn in self.regions:
            return self.regions[r.urn]
        region = self.raw_region(r)
        if region is None:
            raise CostError(
                f"{self.export.source}: cannot tell the region of {r.urn} "
                "(its provider sets no region)"
            )
        if not self.prices.has_region(region):
            known = ", ".join(sorted(self.prices.regions))
            raise CostError(
                f"{r.name}: region {region!r} is not in the price file {self.prices.name} "
                f"(it has {known}); add it with "
                f"`python -m agents cost refresh-prices --region {region}`"
            )
        self.regions[r.urn] = region
        return region

    def usd(self, region: str, key: str) -> float:
        price = self.prices.usd(region, key)
        if price is None:
            raise _NotPriced(f"no price for {key} in {region} in {self.prices.name}")
        return price


def _prepare(ctx: _Context) -> None:
    for r in ctx.export.resources:
        if r.type == LAUNCH_TEMPLATE:
            for ref in (r.outputs.get("id"), r.outputs.get("name"), r.inputs.get("name")):
                if isinstance(ref, str):
                    ctx.launch_templates[ref] = r
        elif r.type == NAT_GATEWAY:
            ctx.nat_gateways[ctx.raw_region(r) or ""] += 1
        elif r.type == SUBNET:
            az = r.inputs.get("availabilityZone") or r.outputs.get("availabilityZone")
            if isinstance(az, str):
                ctx.azs[ctx.raw_region(r) or ""].add(az)
        elif r.type == RDS_INSTANCE:
            arn = r.outputs.get("arn")
            if isinstance(arn, str):
                ctx.rds_by_arn[arn] = r


def _num(value: Any, default: float = 0.0) -> float:
    """A number from an input that may be a number, a numeric string or missing (`default`).
    Anything else present (`"NaN"`, `"inf"`, text, a list) cannot be priced: the estimate
    refuses rather than price it as the default."""
    if value is None:
        return default
    number = as_number(value)
    if number is None or not math.isfinite(number):
        raise CostError(f"{value!r} is not a number the estimate can price")
    return number


def _usage(u: dict[str, Any], key: str, r: Resource) -> Any:
    if key not in u:
        raise CostError(f"usage: no value of {key!r} for {r.name} ({r.type})")
    return u[key]


def _usd(x: float) -> str:
    return f"${x:,.4f}".rstrip("0").rstrip(".") if x < 1 else f"${x:,.2f}"


Priced = tuple[list[Item], list[str]]


def _eks_cluster(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    key = "eks:cluster-hour"
    notes = []
    support = (r.inputs.get("upgradePolicy") or {}).get("supportType")
    if support == "EXTENDED":
        notes.append(
            "priced at the standard-support rate; a version in extended support costs more"
        )
    return [Item("control plane", ctx.hours, "hours", ctx.usd(region, key), key)], notes


def _root_volumes(ctx: _Context, r: Resource) -> list[tuple[float, str]]:
    ref = r.inputs.get("launchTemplate") or {}
    lt = None
    if isinstance(ref, dict):
        lt = ctx.launch_templates.get(ref.get("id") or "") or ctx.launch_templates.get(
            ref.get("name") or ""
        )
    if lt is None:
        return [(_num(r.inputs.get("diskSize"), EKS_DEFAULT_DISK_GB), "gp3")]
    volumes = []
    for mapping in lt.inputs.get("blockDeviceMappings") or []:
        ebs = mapping.get("ebs") if isinstance(mapping, dict) else None
        if isinstance(ebs, dict):
            volumes.append((_num(ebs.get("volumeSize"), 8), str(ebs.get("volumeType") or "gp3")))
    return volumes or [(EKS_DEFAULT_DISK_GB, "gp3")]


def node_count(r: Resource, u: dict[str, Any]) -> int:
    """Nodes a group is priced at: the usage file's `nodes`, or minSize but at least 1, capped
    at maxSize."""
    explicit = u.get("nodes")
    if explicit is not None:
        return int(explicit)
    scaling = r.inputs.get("scalingConfig") or {}
    lo = int(_num(scaling.get("minSize"), 1))
    hi = int(_num(scaling.get("maxSize"), max(lo, 1)))
    return min(max(lo, 1), max(hi, 0))


def _node_group(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    nodes = node_count(r, u)
    types = r.inputs.get("instanceTypes") or [EKS_DEFAULT_INSTANCE_TYPE]
    itype = str(types[0])
    key = f"ec2:instance-hour:{itype}"
    on_demand = ctx.usd(region, key)
    capacity = str(r.inputs.get("capacityType") or "ON_DEMAND")
    notes = []
    if len(types) > 1:
        notes.append(
            f"mixed instance types {', '.join(map(str, types))}: priced at the first, "
            "the type the group launches first"
        )
    if capacity == "SPOT":
        snapshot = ctx.usage.spot_price(region, itype)
        if snapshot is not None:
            rate, how = snapshot, "spot price snapshot from the usage file"
        else:
            discount = float(_usage(u, "spot_discount", r))
            rate = on_demand * (1 - discount)
            how = f"{discount:.0%} off on-demand {_usd(on_demand)}/h"
        label = f"SPOT {itype} ({how})"
    else:
        rate, label = on_demand, f"on-demand {itype}"
    items = [Item(f"{nodes} x {label}", nodes * ctx.hours, "hours", rate, key, usage_based=True)]
    for size, vtype in _root_volumes(ctx, r):
        vkey = f"ebs:{vtype}-gb-month"
        items.append(
            Item(
                f"{nodes} x {size:g} GB {vtype} root volume",
                nodes * size,
                "GB-months",
                ctx.usd(region, vkey),
                vkey,
                usage_based=True,
            )
        )
    return items, notes


def _nat_gateway(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    gateways = max(ctx.nat_gateways[region], 1)
    gb = u.get("gb_processed")
    notes = []
    if gb is None:
        egress = float(ctx.usage.stack.get("nat_egress_gb", 0))
        gb = egress / gateways
        notes.append(
            f"{_gb(gb)} GB: an even share of {_gb(egress)} GB across {gateways} gateway(s)"
        )
    items = [
        Item(
            "gateway",
            ctx.hours,
            "hours",
            ctx.usd(region, "vpc:nat-gateway-hour"),
            "vpc:nat-gateway-hour",
        ),
        Item(
            "data processed",
            float(gb),
            "GB",
            ctx.usd(region, "vpc:nat-gateway-gb"),
            "vpc:nat-gateway-gb",
            usage_based=True,
        ),
    ]
    azs = len(ctx.azs.get(region, ())) or gateways
    share = max(0.0, 1 - gateways / azs)
    if share > 0:
        items.append(
            Item(
                f"cross-AZ transfer to the gateway ({share:.0%} of its traffic comes from "
                f"{azs - gateways} other AZ(s); billed out and in)",
                float(gb) * share * 2,
                "GB",
                ctx.usd(region, "datatransfer:cross-az-gb"),
                "datatransfer:cross-az-gb",
                usage_based=True,
            )
        )
    return items, notes


def _gb(x: float) -> str:
    return f"{x:,.1f}".rstrip("0").rstrip(".")


def _eip(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    key = "vpc:public-ipv4-hour"
    return [Item("public IPv4 address", ctx.hours, "hours", ctx.usd(region, key), key)], []


def _vpc_endpoint(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    kind = str(r.inputs.get("vpcEndpointType") or "Gateway")
    if kind == "Gateway":
        raise _Free("gateway endpoints (S3, DynamoDB) are free")
    if kind != "Interface":
        raise _NotPriced(f"{kind} endpoints have no pricing rule")
    region = ctx.region(r)
    azs = len(r.inputs.get("subnetIds") or []) or 1
    hour, gb = "vpc:interface-endpoint-az-hour", "vpc:interface-endpoint-gb"
    return [
        Item(f"endpoint in {azs} AZ(s)", azs * ctx.hours, "AZ-hours", ctx.usd(region, hour), hour),
        Item(
            "data processed",
            float(_usage(u, "gb_processed", r)),
            "GB",
            ctx.usd(region, gb),
            gb,
            usage_based=True,
        ),
    ], []


def backup_storage_gb(allocated: float, retention_days: float, daily_change: float) -> float:
    """Automated backup storage: a full backup plus the daily change of each further day kept."""
    if retention_days <= 0:
        return 0.0
    return allocated * (1 + daily_change * (retention_days - 1))


def pi_paid_months(retention_days: int) -> int:
    """Paid months of Performance Insights retention (7 days free; 31 x N months, or 731)."""
    if retention_days <= PI_FREE_DAYS:
        return 0
    if retention_days >= 731:
        return 24
    return max(1, retention_days // 31)


def _rds_instance(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    ins = r.inputs
    engine = str(ins.get("engine") or "")
    cls = str(ins.get("instanceClass") or "")
    multi_az = bool(ins.get("multiAz"))
    copies = 2 if multi_az else 1
    deployment = "Multi-AZ: primary and standby" if multi_az else "Single-AZ"
    key = f"rds:instance-hour:{engine}:{cls}"
    items = [
        Item(
            f"{cls} {engine} ({deployment})", copies * ctx.hours, "hours", ctx.usd(region, key), key
        )
    ]
    storage = str(ins.get("storageType") or "gp2")
    allocated = _num(ins.get("allocatedStorage"))
    skey = f"rds:{storage}-gb-month" + (":multi-az" if multi_az else "")
    items.append(
        Item(
            f"{storage} storage ({'Multi-AZ' if multi_az else 'Single-AZ'} rate)",
            allocated,
            "GB-months",
            ctx.usd(region, skey),
            skey,
        )
    )
    retention = _num(ins.get("backupRetentionPeriod"), 1)
    if retention > 0:
        total = u.get("backup_storage_gb")
        if total is None:
            total = backup_storage_gb(
                allocated, retention, float(_usage(u, "backup_daily_change", r))
            )
        charged = max(0.0, float(total) - allocated)
        items.append(
            Item(
                f"backup storage beyond the free {_gb(allocated)} GB "
                f"({_gb(float(total))} GB for {retention:g} days)",
                charged,
                "GB-months",
                ctx.usd(region, "rds:backup-gb-month"),
                "rds:backup-gb-month",
                usage_based=True,
            )
        )
    pi_days = int(_num(ins.get("performanceInsightsRetentionPeriod"), PI_FREE_DAYS))
    months = pi_paid_months(pi_days) if ins.get("performanceInsightsEnabled") else 0
    if months:
        vcpus = ctx.prices.vcpus.get(cls)
        if vcpus is None:
            raise _NotPriced(f"no vCPU count for {cls} in {ctx.prices.name}")
        counted = vcpus * copies
        first = "rds:performance-insights-vcpu-month:first"
        items.append(
            Item(
                f"Performance Insights, {pi_days} days: first paid month "
                f"({vcpus} vCPU x {copies} instance(s))",
                counted,
                "vCPU-months",
                ctx.usd(region, first),
                first,
            )
        )
        if months > 1:
            more = "rds:performance-insights-vcpu-month:additional"
            items.append(
                Item(
                    f"Performance Insights: {months - 1} more month(s) kept",
                    counted * (months - 1),
                    "vCPU-months",
                    ctx.usd(region, more),
                    more,
                )
            )
    if ins.get("manageMasterUserPassword"):
        key = "secretsmanager:secret-month"
        items.append(
            Item("master user secret (Secrets Manager)", 1, "secrets", ctx.usd(region, key), key)
        )
    notes = []
    if _num(ins.get("monitoringInterval")) > 0:
        notes.append("enhanced monitoring writes to the RDSOSMetrics log group: not priced")
    groups = {
        str(g.inputs.get("name") or "").rsplit("/", 1)[-1]
        for g in ctx.export.of_type(LOG_GROUP)
        if str(g.inputs.get("name") or "").startswith("/aws/rds/")
    }
    missing = [str(x) for x in ins.get("enabledCloudwatchLogsExports") or [] if x not in groups]
    if missing:
        notes.append(
            f"exported logs ({', '.join(missing)}) go to log groups RDS creates itself: not priced"
        )
    return items, notes


def _rds_backup_replication(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    source = ctx.rds_by_arn.get(str(r.inputs.get("sourceDbInstanceArn") or ""))
    if source is None:
        instances = ctx.export.of_type(RDS_INSTANCE)
        source = instances[0] if len(instances) == 1 else None
    stored, transferred = u.get("stored_gb"), u.get("transferred_gb")
    if source is None:
        if stored is None or transferred is None:
            raise _NotPriced(
                "its source instance is not in the export; set stored_gb and transferred_gb "
                "in the usage file"
            )
        source_region = region
        notes = ["source instance not in the export: transfer priced from the DR region"]
    else:
        source_region = ctx.region(source)
        notes = [f"replicates {source.name} ({source_region} -> {region})"]
        su = ctx.usage.for_resource(source)
        allocated = _num(source.inputs.get("allocatedStorage"))
        change = float(_usage(su, "backup_daily_change", source))
        retention = _num(r.inputs.get("retentionPeriod"), 7)
        if stored is None:
            stored = backup_storage_gb(allocated, retention, change)
        if transferred is None:
            transferred = allocated * change * 30
    tkey = f"datatransfer:inter-region-gb:{region}"
    items = [
        Item(
            f"replicated backups stored in {region} (no free allowance there)",
            float(stored),
            "GB-months",
            ctx.usd(region, "rds:backup-gb-month"),
            "rds:backup-gb-month",
            usage_based=True,
        )
    ]
    if source_region != region:
        items.append(
            Item(
                f"transfer {source_region} -> {region}",
                float(transferred),
                "GB",
                ctx.usd(source_region, tkey),
                tkey,
                usage_based=True,
            )
        )
    return items, notes


def _kms_key(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    key = "kms:key-month"
    price = ctx.usd(region, key)
    items = [Item("customer managed key", 1, "keys", price, key)]
    rotations = min(int(_usage(u, "rotations", r)), 2)
    if rotations:
        items.append(Item("rotated key material", rotations, "key-months", price, key, True))
    notes = []
    if r.inputs.get("enableKeyRotation") and not rotations:
        notes.append("first year; each of the first two yearly rotations adds $1/month")
    return items, notes


def _secret(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    key = "secretsmanager:secret-month"
    return [Item("secret", 1, "secrets", ctx.usd(ctx.region(r), key), key)], []


def _trail(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    notes = []
    items = []
    if _usage(u, "additional_copy", r):
        events = float(_usage(u, "management_events", r))
        key = "cloudtrail:management-events-100k"
        items.append(
            Item(
                f"additional copy of {events:,.0f} management events",
                events / 100_000,
                "100k events",
                ctx.usd(region, key),
                key,
                usage_based=True,
            )
        )
    else:
        notes.append(
            "first copy of management events: free (set additional_copy if another trail "
            "already logs this account)"
        )
    if r.inputs.get("eventSelectors") or r.inputs.get("advancedEventSelectors"):
        notes.append("data events selected: not priced")
    if r.inputs.get("insightSelectors"):
        notes.append("Insights events: not priced")
    notes.append("log files are priced on the trail's bucket and log group")
    return items, notes


def _log_group(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    ingested = float(_usage(u, "ingestion_gb", r))
    stored = u.get("stored_gb")
    retention = _num(r.inputs.get("retentionInDays"))
    kept = f"{retention:g} days" if retention > 0 else "never expires: 12 months"
    if stored is None:
        stored = ingested * (retention / 30 if retention > 0 else 12)
    return [
        Item(
            "ingestion",
            ingested,
            "GB",
            ctx.usd(region, "logs:ingestion-gb"),
            "logs:ingestion-gb",
            True,
        ),
        Item(
            f"storage (kept {kept})",
            float(stored),
            "GB-months",
            ctx.usd(region, "logs:storage-gb-month"),
            "logs:storage-gb-month",
            True,
        ),
    ], []


def _alarm_metrics(r: Resource) -> list[float]:
    """Periods of the metrics an alarm evaluates (expressions are free)."""
    if r.inputs.get("metricName"):
        return [_num(r.inputs.get("period"), 60)]
    periods = []
    for q in r.inputs.get("metricQueries") or []:
        metric = q.get("metric") if isinstance(q, dict) else None
        if isinstance(metric, dict):
            periods.append(_num(metric.get("period"), 60))
    return periods


def _metric_alarm(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    periods = _alarm_metrics(r)
    standard = sum(1 for p in periods if p >= 60)
    high = len(periods) - standard
    free = min(standard, ctx.free_alarm_metrics_left)
    ctx.free_alarm_metrics_left -= free
    items = []
    what = "metric-math alarm" if r.inputs.get("metricQueries") else "alarm"
    if standard:
        key = "cloudwatch:alarm-metric-month"
        items.append(
            Item(
                f"standard {what}, {standard} metric(s)" + (f", {free} free" if free else ""),
                standard - free,
                "alarm metrics",
                ctx.usd(region, key),
                key,
            )
        )
    if high:
        key = "cloudwatch:high-resolution-alarm-metric-month"
        items.append(
            Item(f"high-resolution {what}", high, "alarm metrics", ctx.usd(region, key), key)
        )
    return items, []


def _dashboard(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    key = "cloudwatch:dashboard-month"
    if ctx.free_dashboards_left > 0:
        ctx.free_dashboards_left -= 1
        return [
            Item(
                "dashboard (within the account's free dashboards)",
                0,
                "dashboards",
                ctx.usd(region, key),
                key,
            )
        ], []
    return [Item("dashboard", 1, "dashboards", ctx.usd(region, key), key)], []


def _bucket(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    region = ctx.region(r)
    items = [
        Item(
            "S3 Standard storage",
            float(_usage(u, "standard_gb", r)),
            "GB-months",
            ctx.usd(region, "s3:standard-gb-month"),
            "s3:standard-gb-month",
            True,
        )
    ]
    gir = float(_usage(u, "glacier_ir_gb", r))
    if gir:
        key = "s3:glacier-ir-gb-month"
        items.append(
            Item(
                "S3 Glacier Instant Retrieval storage",
                gir,
                "GB-months",
                ctx.usd(region, key),
                key,
                True,
            )
        )
    return items, ["requests and transfer are not priced"]


class _Free(Exception):
    """Raised by a pricing rule for a resource of a priced type that costs nothing."""


STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
# Charts whose controllers buy AWS resources at run time, and what they buy.
RUN_TIME_SPENDERS: dict[str, str] = {
    "aws-load-balancer-controller": "the load balancers it creates at run time (one per "
    "Ingress group or Service of type LoadBalancer; each billed by the hour plus capacity units) "
    "are not in the plan, and the price file holds no Elastic Load Balancing prices yet",
}


def _storage_class(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    raise _NotPriced(
        "the EBS volumes its PersistentVolumeClaims create at run time (gp3 per GB-month) are "
        "not in the plan; the class itself is free"
    )


def _helm_release(ctx: _Context, r: Resource, u: dict[str, Any]) -> Priced:
    chart = str(r.inputs.get("chart") or "").rsplit("/", 1)[-1]
    if chart in RUN_TIME_SPENDERS:
        raise _NotPriced(f"chart {chart}: {RUN_TIME_SPENDERS[chart]}")
    raise _Free(FREE_PREFIXES["kubernetes:"])


PRICERS: dict[str, Callable[[_Context, Resource, dict[str, Any]], Priced]] = {
    EKS_CLUSTER: _eks_cluster,
    NODE_GROUP: _node_group,
    NAT_GATEWAY: _nat_gateway,
    EIP: _eip,
    VPC_ENDPOINT: _vpc_endpoint,
    RDS_INSTANCE: _rds_instance,
    RDS_BACKUP_REPLICATION: _rds_backup_replication,
    KMS_KEY: _kms_key,
    SECRET: _secret,
    TRAIL: _trail,
    LOG_GROUP: _log_group,
    METRIC_ALARM: _metric_alarm,
    DASHBOARD: _dashboard,
    BUCKET: _bucket,
    BUCKET_V2: _bucket,
    STORAGE_CLASS: _storage_class,
    HELM_RELEASE: _helm_release,
}


def free_reason(type_token: str) -> str | None:
    if type_token in FREE:
        return FREE[type_token]
    for prefix, reason in FREE_PREFIXES.items():
        if type_token.startswith(prefix):
            return reason
    return None


def billable(export: StackExport) -> Iterator[Resource]:
    """The resources a bill could have: custom resources other than providers."""
    for r in export.resources:
        if r.custom and r.type != STACK_TYPE and not r.type.startswith("pulumi:providers:"):
            yield r


def stack_name(export: StackExport) -> str:
    for r in export.resources:
        head = r.urn.split("::", 1)[0].split(":")
        if len(head) == 3 and head[:2] == ["urn", "pulumi"]:
            return head[2]
    return ""


def estimate(export: StackExport, prices: PriceBook, usage: Usage) -> Estimate:
    """Price every resource of an export for one month."""
    ctx = _Context(
        export=export,
        prices=prices,
        usage=usage,
        hours=prices.hours_per_month,
        free_dashboards_left=int(usage.account.get("free_dashboards", 0)),
        free_alarm_metrics_left=int(usage.account.get("free_alarm_metrics", 0)),
    )
    _prepare(ctx)
    lines: list[Line] = []
    free: list[Unpriced] = []
    not_priced: list[Unpriced] = []
    for r in billable(export):
        component = export.component_of(r)
        pricer = PRICERS.get(r.type)
        if r.type in NOT_PRICED:
            not_priced.append(Unpriced(r.urn, r.name, r.type, component, NOT_PRICED[r.type]))
            continue
        if pricer is None:
            reason = free_reason(r.type)
            target = free if reason is not None else not_priced
            target.append(
                Unpriced(
                    r.urn, r.name, r.type, component, reason or "no pricing rule for this type"
                )
            )
            continue
        try:
            items, notes = pricer(ctx, r, usage.for_resource(r))
        except _Free as exc:
            free.append(Unpriced(r.urn, r.name, r.type, component, str(exc)))
            continue
        except _NotPriced as exc:
            not_priced.append(Unpriced(r.urn, r.name, r.type, component, str(exc)))
            continue
        except SHAPE_ERRORS as exc:  # a cost that cannot be read is refused, not priced
            raise CostError(f"{misshapen(r, exc)}; the estimate cannot price it") from exc
        except OverflowError as exc:  # an integer too large for a float met a price
            raise _too_large(r) from exc
        line = Line(r.urn, r.name, r.type, component, ctx.region(r), tuple(items), tuple(notes))
        if not all(math.isfinite(i.monthly) for i in line.items) or not math.isfinite(line.monthly):
            raise _too_large(r)
        lines.append(line)
    result = Estimate(
        stack=stack_name(export),
        source=export.source,
        price_file=prices.name,
        price_date=prices.date,
        usage_sources=usage.sources,
        lines=tuple(lines),
        free_resources=tuple(free),
        not_priced_resources=tuple(not_priced),
    )
    if not math.isfinite(result.total):
        raise CostError(
            f"stack {result.stack}: its monthly total is too large to compute "
            "(a price or usage value is out of range)"
        )
    return result


def _too_large(r: Resource) -> CostError:
    """A resource whose monthly cost overflows a float: shown as `$inf` (and as `Infinity`, which
    is not JSON) it would say nothing, so the estimate refuses, naming the resource."""
    return CostError(
        f"{r.name} ({r.type}): its monthly cost is too large to compute "
        "(a price or usage value is out of range)"
    )

"""Pulumi's mock runtime, made to behave like the engine and the AWS provider for the offline plan.

`PlatformMocks` answers resource registrations with the outputs the provider would compute
(ids, ARNs, endpoints, `tagsAll`), keyed by type token and deterministic (derived from the URN), so
two plans of the same program are identical and a diff between plans shows real changes only.
`RecordingMonitor` keeps each registration as the engine would store it (parent, provider,
dependencies, inputs as sent, camelCase) so that the plan can be written as a stack export.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import threading
from dataclasses import dataclass, field
from typing import Any

from google.protobuf import json_format
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

from toolchain.aws_types import tag_shape

OFFLINE_ACCOUNT_ID = "123456789012"


def _digest(*parts: str, n: int = 17) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:n]


# Physical id prefixes AWS uses, by type token.
_ID_PREFIX = {
    "aws:ec2/vpc:Vpc": "vpc-",
    "aws:ec2/subnet:Subnet": "subnet-",
    "aws:ec2/securityGroup:SecurityGroup": "sg-",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": "sg-",
    "aws:ec2/internetGateway:InternetGateway": "igw-",
    "aws:ec2/routeTable:RouteTable": "rtb-",
    "aws:ec2/routeTableAssociation:RouteTableAssociation": "rtbassoc-",
    "aws:ec2/natGateway:NatGateway": "nat-",
    "aws:ec2/eip:Eip": "eipalloc-",
    "aws:ec2/vpcEndpoint:VpcEndpoint": "vpce-",
    "aws:ec2/flowLog:FlowLog": "fl-",
    "aws:ec2/launchTemplate:LaunchTemplate": "lt-",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "sgr-",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "sgr-",
}

# ARN resource part, by type token; `{name}` is the resource's physical name.
_ARN_RESOURCE = {
    "aws:iam/role:Role": ("iam", False, "role/{name}"),
    "aws:iam/policy:Policy": ("iam", False, "policy/{name}"),
    "aws:iam/instanceProfile:InstanceProfile": ("iam", False, "instance-profile/{name}"),
    "aws:sqs/queue:Queue": ("sqs", True, "{name}"),
    "aws:cloudwatch/eventRule:EventRule": ("events", True, "rule/{name}"),
    "aws:kms/key:Key": ("kms", True, "key/{uuid}"),
    "aws:kms/alias:Alias": ("kms", True, "{name}"),
    "aws:cloudwatch/logGroup:LogGroup": ("logs", True, "log-group:{name}"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("cloudwatch", True, "alarm:{name}"),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": ("cloudwatch", True, "alarm:{name}"),
    "aws:cloudwatch/dashboard:Dashboard": ("cloudwatch", False, "dashboard/{name}"),
    "aws:sns/topic:Topic": ("sns", True, "{name}"),
    "aws:s3/bucket:Bucket": ("s3", None, "{name}"),
    "aws:eks/cluster:Cluster": ("eks", True, "cluster/{name}"),
    "aws:eks/nodeGroup:NodeGroup": ("eks", True, "nodegroup/{name}"),
    "aws:eks/addon:Addon": ("eks", True, "addon/{name}"),
    "aws:rds/instance:Instance": ("rds", True, "db:{name}"),
    "aws:rds/subnetGroup:SubnetGroup": ("rds", True, "subgrp:{name}"),
    "aws:rds/parameterGroup:ParameterGroup": ("rds", True, "pg:{name}"),
    "aws:cloudtrail/trail:Trail": ("cloudtrail", True, "trail/{name}"),
    "aws:secretsmanager/secret:Secret": ("secretsmanager", True, "secret:{name}"),
    "aws:budgets/budget:Budget": ("budgets", False, "budget/{name}"),
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": ("ce", False, "anomalymonitor/{uuid}"),
    "aws:costexplorer/anomalySubscription:AnomalySubscription": (
        "ce",
        False,
        "anomalysubscription/{uuid}",
    ),
}

# Resources whose physical name is auto-named from the logical name when no name is given.
# The property that holds a type's physical name, where it is not `name`.
_NAME_KEY = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:rds/instance:Instance": "identifier",
    "aws:eks/nodeGroup:NodeGroup": "nodeGroupName",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "alarmName",
}


@dataclass
class Registration:
    """One resource registration as the engine records it."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    dependencies: list[str]
    property_dependencies: dict[str, list[str]]
    protect: bool
    ignore_changes: list[str]
    inputs: dict[str, Any]
    id: str = ""
    outputs: dict[str, Any] = field(default_factory=dict)


def struct_to_json(struct: Any) -> dict[str, Any]:
    """A protobuf Struct as JSON, integral floats turned back into integers (the wire format has
    only doubles; the engine's state writes `3`, not `3.0`)."""
    return _ints(json_format.MessageToDict(struct))


def _ints(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _ints(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_ints(v) for v in value]
    return value


class RecordingMonitor(MockMonitor):
    """The SDK's mock monitor, keeping every registration (in order) for the stack export."""

    def __init__(self, mocks: PlatformMocks) -> None:
        super().__init__(mocks)
        self.platform_mocks = mocks
        self.registrations: list[Registration] = []
        self.component_outputs: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._thread_loops: set[asyncio.AbstractEventLoop] = set()

    def _keep_thread_loop(self) -> None:
        # The SDK's mock monitor makes an event loop in each worker thread it is called on and
        # never closes it; left to the garbage collector at exit, such a loop can print a
        # traceback. Keep them so `close` can close them once the run is over.
        if threading.current_thread() is not threading.main_thread():
            with contextlib.suppress(RuntimeError):
                self._thread_loops.add(asyncio.get_event_loop())

    def close(self) -> None:
        """Close the worker threads' event loops (call once the program has finished)."""
        for loop in self._thread_loops:
            if not loop.is_running() and not loop.is_closed():
                loop.close()
        self._thread_loops.clear()

    def Invoke(self, request: Any) -> Any:
        try:
            return super().Invoke(request)
        finally:
            self._keep_thread_loop()

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine leaves the root Stack out of a URN's type chain (`...::aws:ec2/vpc:Vpc::x`,
        # not `...::pulumi:pulumi:Stack$aws:ec2/vpc:Vpc::x`); the SDK's mock monitor does not.
        if parent.split("::")[2:3] == ["pulumi:pulumi:Stack"]:
            parent = ""
        return super().make_urn(parent, type_, name)

    def RegisterResource(self, request: Any) -> Any:
        urn = self.make_urn(request.parent, request.type, request.name)
        reg = Registration(
            urn=urn,
            type=request.type,
            name=request.name,
            custom=bool(request.custom),
            parent=request.parent,
            provider=request.provider,
            dependencies=list(request.dependencies),
            property_dependencies={
                k: list(v.urns) for k, v in request.propertyDependencies.items()
            },
            protect=bool(request.protect),
            ignore_changes=list(request.ignoreChanges),
            inputs=struct_to_json(request.object),
        )
        with self._lock:
            self.platform_mocks.current = reg
            response = super().RegisterResource(request)
            reg.id = response.id
            reg.outputs = struct_to_json(response.object) if response.object else {}
            self.registrations.append(reg)
            self._keep_thread_loop()
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:
        with self._lock:
            self.component_outputs[request.urn] = struct_to_json(request.outputs)
        return super().RegisterResourceOutputs(request)


class PlatformMocks(Mocks):
    """Provider behaviour for the offline plan, keyed by type token."""

    def __init__(self, account_id: str = OFFLINE_ACCOUNT_ID) -> None:
        self.account_id = account_id
        self.current: Registration | None = None
        # provider reference (`urn::id`) -> its region and default tags
        self.providers: dict[str, tuple[str, dict[str, str]]] = {}

    # -- invokes -----------------------------------------------------------------------------
    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        region = self.providers.get(args.provider or "", ("us-east-1", {}))[0]
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            letters = "abcdef"
            return {
                "id": region,
                "names": [f"{region}{c}" for c in letters],
                "zoneIds": [
                    f"{region[:2]}{region.split('-')[1][:1]}{region[-1]}-az{i + 1}"
                    for i in range(len(letters))
                ],
                "state": "available",
            }, []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "id": self.account_id,
                "accountId": self.account_id,
                "arn": f"arn:aws:iam::{self.account_id}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
            }, []
        if token == "aws:index/getRegion:getRegion":
            return {
                "id": region,
                "name": region,
                "region": region,
                "endpoint": f"ec2.{region}.amazonaws.com",
            }, []
        if token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com"}, []
        raise NotImplementedError(f"the offline plan has no mock for the invoke {token}")

    # -- resources ---------------------------------------------------------------------------
    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        reg = self.current
        urn = reg.urn if reg else args.name
        inputs = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            pid = f"{_digest(urn, n=8)}-{_digest(urn, 'p', n=4)}-offline-provider"
            region = inputs.get("region") or "us-east-1"
            tags: dict[str, str] = {}
            default_tags = inputs.get("defaultTags")
            if isinstance(default_tags, str):
                tags = (json.loads(default_tags) or {}).get("tags") or {}
            self.providers[f"{urn}::{pid}"] = (region, tags)
            return pid, inputs
        if not args.custom:
            return None, {}

        region, default_tags = self.providers.get(args.provider or "", ("us-east-1", {}))
        digest = _digest(urn)
        outputs = dict(inputs)
        name = self._physical_name(args, inputs, digest)
        name_key = _NAME_KEY.get(args.typ, "name")
        if name_key in inputs or args.typ in _AUTONAMED_BY_NAME or args.typ in _NAME_KEY:
            outputs[name_key] = name
        rid = _ID_PREFIX.get(args.typ, "") + digest if args.typ in _ID_PREFIX else name
        # Only a tag map gets tagsAll (an autoscaling group's tags are a list, untouched by the
        # provider's default tags).
        if tag_shape(args.typ) == "map":
            outputs["tagsAll"] = {**default_tags, **(inputs.get("tags") or {})}
        arn = self._arn(args.typ, region, name, digest)
        if arn:
            outputs["arn"] = arn
        outputs.update(self._computed(args.typ, region, name, digest, inputs))
        outputs.setdefault("id", rid)
        return rid, outputs

    def _physical_name(self, args: MockResourceArgs, inputs: dict[str, Any], digest: str) -> str:
        value = inputs.get(_NAME_KEY.get(args.typ, "name"))
        if isinstance(value, str) and value:
            return value
        # Pulumi's auto-naming: the logical name and a random suffix of 7 hex characters.
        return f"{args.name}-{digest[:7]}"

    def _arn(self, typ: str, region: str, name: str, digest: str) -> str | None:
        spec = _ARN_RESOURCE.get(typ)
        if spec is None:
            return None
        service, regional, pattern = spec
        uuid = f"{digest[:8]}-{digest[8:12]}-4{digest[12:15]}-8{digest[:3]}-{digest[3:15]}"
        resource = pattern.format(name=name, uuid=uuid)
        if regional is None:  # S3: global, no account
            return f"arn:aws:{service}:::{resource}"
        return f"arn:aws:{service}:{region if regional else ''}:{self.account_id}:{resource}"

    def _computed(
        self, typ: str, region: str, name: str, digest: str, inputs: dict[str, Any]
    ) -> dict[str, Any]:
        """Outputs the provider computes for a type, beyond inputs, id, ARN and tags."""
        if typ == "aws:ec2/vpc:Vpc":
            return {
                "defaultSecurityGroupId": f"sg-{_digest(digest, 'default')}",
                "mainRouteTableId": f"rtb-{_digest(digest, 'main')}",
            }
        if typ == "aws:kms/key:Key":
            return {"keyId": self._arn(typ, region, name, digest).rsplit("/", 1)[-1]}  # type: ignore[union-attr]
        if typ == "aws:eks/cluster:Cluster":
            oidc = digest.upper()[:16] + _digest(digest, "oidc").upper()[:16]
            vpc = dict(inputs.get("vpcConfig") or {})
            vpc["clusterSecurityGroupId"] = f"sg-{_digest(digest, 'cluster')}"
            vpc["vpcId"] = "vpc-offline"
            ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----offline-plan").decode()
            return {
                "endpoint": f"https://{oidc}.gr7.{region}.eks.amazonaws.com",
                "certificateAuthority": {"data": ca},
                "identities": [
                    {"oidcs": [{"issuer": f"https://oidc.eks.{region}.amazonaws.com/id/{oidc}"}]}
                ],
                "vpcConfig": vpc,
                "status": "ACTIVE",
                "platformVersion": "eks.1",
            }
        if typ == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            url = str(inputs.get("url", "")).removeprefix("https://")
            return {"arn": f"arn:aws:iam::{self.account_id}:oidc-provider/{url}"}
        if typ == "aws:rds/instance:Instance":
            host = f"{name}.c{digest[:10]}.{region}.rds.amazonaws.com"
            secret = (
                f"arn:aws:secretsmanager:{region}:{self.account_id}:secret:"
                f"rds!db-{digest[:8]}-{digest[8:14]}"
            )
            return {
                # Pulumi auto-names `identifier` from the logical name when none is given.
                "identifier": inputs.get("identifier") or name,
                "address": host,
                "endpoint": f"{host}:5432",
                "port": 5432,
                "resourceId": f"db-{digest.upper()[:26]}",
                "masterUserSecrets": [
                    {
                        "secretArn": secret,
                        "secretStatus": "active",
                        "kmsKeyId": inputs.get("masterUserSecretKmsKeyId", ""),
                    }
                ],
            }
        if typ == "aws:s3/bucket:Bucket":
            # Pulumi auto-names `bucket` from the logical name when none is given.
            return {
                "bucket": inputs.get("bucket") or name,
                "bucketRegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
                "region": region,
            }
        if typ == "aws:eks/nodeGroup:NodeGroup":
            return {
                "status": "ACTIVE",
                "resources": [{"autoscalingGroups": [{"name": f"eks-{name}-{digest[:8]}"}]}],
            }
        if typ == "aws:ec2/launchTemplate:LaunchTemplate":
            return {"latestVersion": 1, "defaultVersion": 1}
        if typ == "aws:sqs/queue:Queue":
            return {"url": f"https://sqs.{region}.amazonaws.com/{self.account_id}/{name}"}
        if typ == "aws:ec2/natGateway:NatGateway":
            return {
                "publicIp": f"198.51.100.{int(digest[:2], 16) % 250 + 1}",
                "privateIp": f"10.0.{int(digest[2:4], 16)}.{int(digest[4:6], 16) % 250 + 4}",
            }
        if typ == "aws:ec2/eip:Eip":
            return {
                "publicIp": f"198.51.100.{int(digest[:2], 16) % 250 + 1}",
                "allocationId": f"eipalloc-{digest}",
            }
        return {}


# Types that auto-name through a `name` property even when the program sets none.
_AUTONAMED_BY_NAME = {
    "aws:iam/role:Role",
    "aws:iam/policy:Policy",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:sns/topic:Topic",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:eks/cluster:Cluster",
    "aws:cloudtrail/trail:Trail",
    "aws:budgets/budget:Budget",
    "aws:secretsmanager/secret:Secret",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
    "aws:costexplorer/anomalySubscription:AnomalySubscription",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:sqs/queue:Queue",
    "aws:cloudwatch/eventRule:EventRule",
}

"""Usage assumptions: the quantities a stack export cannot say (nodes the autoscaler settles at,
gigabytes through a NAT gateway, log volume, bucket size), like Infracost's usage file.

`toolchain/cost/usage.default.yaml` holds documented defaults; a user's file (`--usage FILE`) is
laid
over it: its `defaults`, `resources`, `account`, `stack` and `spot_prices` entries replace the
default file's key by key. Per-resource overrides are keyed by logical name (`network-nat-0`),
by `<type>::<name>` (the last two parts of a URN, to tell apart resources that share a name) or by
full URN; a more specific key wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolchain.cost.errors import CostError
from toolchain.export import Resource
from toolchain.inputs import finite_number, read_yaml

DEFAULT_USAGE_FILE = Path(__file__).resolve().parent / "usage.default.yaml"

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
NAT_GATEWAY = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_BACKUP_REPLICATION = (
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
)
TRAIL = "aws:cloudtrail/trail:Trail"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
BUCKET = "aws:s3/bucket:Bucket"
BUCKET_V2 = "aws:s3/bucketV2:BucketV2"
KMS_KEY = "aws:kms/key:Key"


Check = Callable[[Any], bool]


def _shown(value: Any) -> str:
    """A value as an error line shows it: its repr, cut to 60 characters (a 400-digit number
    was printed whole)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _number(v: Any) -> bool:
    # a finite number: NaN, `.inf` and an integer too large for a float are refused
    return finite_number(v) is not None and v >= 0


def _number_or_null(v: Any) -> bool:
    return v is None or _number(v)


def _fraction(v: Any) -> bool:
    return _number(v) and v <= 1


def _count(v: Any) -> bool:
    return isinstance(v, int) and finite_number(v) is not None and v >= 0


def _count_or_null(v: Any) -> bool:
    return v is None or _count(v)


def _bool(v: Any) -> bool:
    return isinstance(v, bool)


EXPECTED: dict[Check, str] = {
    _number: "a number >= 0",
    _number_or_null: "a number >= 0 or null",
    _fraction: "a fraction from 0 to 1",
    _count: "a whole number >= 0",
    _count_or_null: "a whole number >= 0 or null",
    _bool: "true or false",
}

# The usage keys each resource type reads, and what each must be.
SCHEMA: dict[str, dict[str, Check]] = {
    NODE_GROUP: {"nodes": _count_or_null, "spot_discount": _fraction},
    NAT_GATEWAY: {"gb_processed": _number_or_null},
    VPC_ENDPOINT: {"gb_processed": _number},
    RDS_INSTANCE: {"backup_daily_change": _fraction, "backup_storage_gb": _number_or_null},
    RDS_BACKUP_REPLICATION: {"stored_gb": _number_or_null, "transferred_gb": _number_or_null},
    TRAIL: {"additional_copy": _bool, "management_events": _number},
    LOG_GROUP: {"ingestion_gb": _number, "stored_gb": _number_or_null},
    BUCKET: {"standard_gb": _number, "glacier_ir_gb": _number},
    KMS_KEY: {"rotations": _count},
}
SCHEMA[BUCKET_V2] = SCHEMA[BUCKET]
ALL_KEYS: dict[str, Check] = {k: c for keys in SCHEMA.values() for k, c in keys.items()}
ACCOUNT_KEYS: dict[str, Check] = {"free_dashboards": _count, "free_alarm_metrics": _count}
STACK_KEYS: dict[str, Check] = {"nat_egress_gb": _number}
TOP_LEVEL = {"version", "defaults", "resources", "account", "stack", "spot_prices"}


@dataclass(frozen=True)
class Usage:
    sources: tuple[str, ...]
    defaults: dict[str, dict[str, Any]]
    resources: dict[str, dict[str, Any]]
    account: dict[str, Any]
    stack: dict[str, Any]
    spot_prices: dict[str, dict[str, float]]

    def for_resource(self, r: Resource) -> dict[str, Any]:
        """The usage values of one resource: its type's defaults, then overrides by name,
        `<type>::<name>` and URN (the most specific last, so it wins)."""
        keys = SCHEMA.get(r.type, {})
        values = dict(self.defaults.get(r.type, {}))
        for ref in (r.name, f"{r.type}::{r.name}", r.urn):
            override = self.resources.get(ref)
            if override:
                values.update({k: v for k, v in override.items() if k in keys})
        return values

    def spot_price(self, region: str, instance_type: str) -> float | None:
        return self.spot_prices.get(region, {}).get(instance_type)


def _read(path: Path) -> dict[str, Any]:
    doc = read_yaml(path, "usage file", CostError)
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise CostError(f"{path}: expected a mapping (version, defaults, resources, ...)")
    return doc


def _check_values(path: Path, where: str, values: Any, schema: Mapping[str, Check]) -> None:
    if not isinstance(values, dict):
        raise CostError(f"{path}: {where}: expected a mapping of usage keys")
    for key, value in values.items():
        check = schema.get(key)
        if check is None:
            known = ", ".join(sorted(schema))
            raise CostError(f"{path}: {where}.{key}: unknown usage key (known: {known})")
        if not check(value):
            raise CostError(
                f"{path}: {where}.{key}: expected {EXPECTED[check]}, got {_shown(value)}"
            )


def validate(doc: dict[str, Any], path: Path) -> None:
    unknown = sorted(set(doc) - TOP_LEVEL)
    if unknown:
        raise CostError(
            f"{path}: unknown top-level key {unknown[0]!r} (known: {', '.join(sorted(TOP_LEVEL))})"
        )
    if doc.get("version", 1) != 1:
        raise CostError(f"{path}: version: expected 1, got {_shown(doc.get('version'))}")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise CostError(f"{path}: defaults: expected a mapping of resource type to usage keys")
    for type_token, values in defaults.items():
        if type_token not in SCHEMA:
            raise CostError(
                f"{path}: defaults.{type_token}: no usage keys for this type "
                f"(types with usage: {', '.join(sorted(SCHEMA))})"
            )
        _check_values(path, f"defaults.{type_token}", values, SCHEMA[type_token])
    resources = doc.get("resources") or {}
    if not isinstance(resources, dict):
        raise CostError(f"{path}: resources: expected a mapping of resource name or URN to keys")
    for ref, values in resources.items():
        _check_values(path, f"resources.{ref}", values, ALL_KEYS)
    _check_values(path, "account", doc.get("account") or {}, ACCOUNT_KEYS)
    _check_values(path, "stack", doc.get("stack") or {}, STACK_KEYS)
    spot = doc.get("spot_prices") or {}
    if not isinstance(spot, dict):
        raise CostError(f"{path}: spot_prices: expected region -> instance type -> $/hour")
    for region, table in spot.items():
        if not isinstance(table, dict):
            raise CostError(f"{path}: spot_prices.{region}: expected instance type -> $/hour")
        for itype, usd in table.items():
            if not _number(usd):
                raise CostError(
                    f"{path}: spot_prices.{region}.{itype}: expected a number >= 0, "
                    f"got {_shown(usd)}"
                )


def load_usage(path: str | Path | None = None) -> Usage:
    """The default usage file, with the given file (if any) laid over it."""
    paths = [DEFAULT_USAGE_FILE] + ([Path(path)] if path is not None else [])
    defaults: dict[str, dict[str, Any]] = {}
    resources: dict[str, dict[str, Any]] = {}
    account: dict[str, Any] = {}
    stack: dict[str, Any] = {}
    spot: dict[str, dict[str, float]] = {}
    for p in paths:
        doc = _read(p)
        validate(doc, p)
        for type_token, values in (doc.get("defaults") or {}).items():
            defaults.setdefault(type_token, {}).update(values or {})
        for ref, values in (doc.get("resources") or {}).items():
            resources.setdefault(str(ref), {}).update(values or {})
        account.update(doc.get("account") or {})
        stack.update(doc.get("stack") or {})
        for region, table in (doc.get("spot_prices") or {}).items():
            spot.setdefault(region, {}).update({k: float(v) for k, v in table.items()})
    return Usage(
        sources=tuple(str(p) for p in paths),
        defaults=defaults,
        resources=resources,
        account=account,
        stack=stack,
        spot_prices=spot,
    )

"""Refresh the price file from the AWS Price List API (`pricing` client in us-east-1,
`get_products`), for users with AWS credentials.

Every price the estimate uses maps to one Price List query: a service code, a region filter,
a server-side `CONTAINS` filter on the usage type, exact-match attributes where a usage type is
shared, and a regular expression the product's `usagetype` must match. The first non-zero
on-demand tier is taken (free tiers are the estimate's business, not the price's). A price with no
query (Performance Insights retention, whose usage types are not documented) or that the API
does not return is kept from the previous file and reported, never dropped silently. The result
is a new dated file, written atomically.
"""

from __future__ import annotations

import copy
import datetime
import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain.cost.errors import CostError
from toolchain.cost.prices import PRICES_DIR, PriceBook
from toolchain.inputs import finite_number, write_output

PRICING_REGION = "us-east-1"  # the Price List API answers from us-east-1 (and a few others)

# Region prefixes of usage types (us-east-1 has none on some services' types, USE1 on others).
USAGE_TYPE_PREFIX = {
    "us-east-1": "USE1",
    "us-east-2": "USE2",
    "us-west-1": "USW1",
    "us-west-2": "USW2",
    "ca-central-1": "CAN1",
    "eu-west-1": "EU",
    "eu-west-2": "EUW2",
    "eu-central-1": "EUC1",
    "eu-north-1": "EUN1",
    "ap-southeast-1": "APS1",
    "ap-southeast-2": "APS2",
    "ap-northeast-1": "APN1",
    "ap-south-1": "APS3",
    "sa-east-1": "SAE1",
}
LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "sa-east-1": "South America (Sao Paulo)",
}
RDS_ENGINES = {"postgres": "PostgreSQL", "mysql": "MySQL", "mariadb": "MariaDB"}
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
# A number as the Price List writes one ("0.0416000000", "750"): ASCII digits, a decimal point,
# and an exponent should it ever write one ("1.5E-7": read, unless it rounds a price to zero)
DECIMAL = re.compile(r"[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]{1,3})?")


@dataclass(frozen=True)
class Query:
    service: str
    contains: str
    usage_type: str  # regular expression, searched against the product's usagetype
    attributes: dict[str, str] = field(default_factory=dict)
    regional: bool = True  # filter on regionCode (data transfer products have from/to instead)
    scale: float = 1.0  # Price List unit -> the price file's unit


def _ut(suffix: str) -> str:
    return rf"(^|-){re.escape(suffix)}$"


SIMPLE: dict[str, tuple[str, str]] = {
    "eks:cluster-hour": ("AmazonEKS", "AmazonEKS-Hours:perCluster"),
    "vpc:nat-gateway-hour": ("AmazonEC2", "NatGateway-Hours"),
    "vpc:nat-gateway-gb": ("AmazonEC2", "NatGateway-Bytes"),
    "vpc:public-ipv4-hour": ("AmazonVPC", "PublicIPv4:InUseAddress"),
    "vpc:interface-endpoint-az-hour": ("AmazonVPC", "VpcEndpoint-Hours"),
    "vpc:interface-endpoint-gb": ("AmazonVPC", "VpcEndpoint-Bytes"),
    "rds:gp3-gb-month": ("AmazonRDS", "RDS:GP3-Storage"),
    "rds:gp3-gb-month:multi-az": ("AmazonRDS", "RDS:Multi-AZ-GP3-Storage"),
    "rds:gp2-gb-month": ("AmazonRDS", "RDS:GP2-Storage"),
    "rds:gp2-gb-month:multi-az": ("AmazonRDS", "RDS:Multi-AZ-GP2-Storage"),
    "rds:backup-gb-month": ("AmazonRDS", "RDS:ChargedBackupUsage"),
    "kms:key-month": ("awskms", "KMS-Keys"),
    "secretsmanager:secret-month": ("AWSSecretsManager", "AWSSecretsManager-Secrets"),
    "logs:ingestion-gb": ("AmazonCloudWatch", "DataProcessing-Bytes"),
    "logs:storage-gb-month": ("AmazonCloudWatch", "TimedStorage-ByteHrs"),
    "cloudwatch:alarm-metric-month": ("AmazonCloudWatch", "CW:AlarmMonitorUsage"),
    "cloudwatch:high-resolution-alarm-metric-month": (
        "AmazonCloudWatch",
        "CW:HighResAlarmMonitorUsage",
    ),
    "cloudwatch:dashboard-month": ("AmazonCloudWatch", "DashboardsUsageHour-Basic"),
    "s3:standard-gb-month": ("AmazonS3", "TimedStorage-ByteHrs"),
    "s3:glacier-ir-gb-month": ("AmazonS3", "TimedStorage-GIR-ByteHrs"),
}


def query_for(key: str, region: str) -> Query | None:
    """The Price List query of one price, or None where there is none."""
    if key in SIMPLE:
        service, suffix = SIMPLE[key]
        return Query(service, suffix, _ut(suffix))
    if key == "cloudtrail:management-events-100k":
        return Query("AWSCloudTrail", "PaidEventsRecorded", _ut("PaidEventsRecorded"), scale=1e5)
    if key == "datatransfer:cross-az-gb":
        suffix = "DataTransfer-Regional-Bytes"
        return Query("AWSDataTransfer", suffix, _ut(suffix))
    kind, _, rest = key.partition(":")
    if kind == "ec2" and rest.startswith("instance-hour:"):
        itype = rest.removeprefix("instance-hour:")
        return Query(
            "AmazonEC2",
            f"BoxUsage:{itype}",
            _ut(f"BoxUsage:{itype}"),
            {
                "instanceType": itype,
                "operatingSystem": "Linux",
                "tenancy": "Shared",
                "preInstalledSw": "NA",
                "capacitystatus": "Used",
            },
        )
    if kind == "ebs" and rest.endswith("-gb-month"):
        volume = rest.removesuffix("-gb-month")
        suffix = f"EBS:VolumeUsage.{volume}"
        return Query("AmazonEC2", suffix, _ut(suffix), {"volumeApiName": volume})
    if kind == "rds" and rest.startswith("instance-hour:"):
        engine, _, cls = rest.removeprefix("instance-hour:").partition(":")
        if engine not in RDS_ENGINES:
            return None
        suffix = f"InstanceUsage:{cls}"
        return Query(
            "AmazonRDS",
            suffix,
            _ut(suffix),
            {
                "instanceType": cls,
                "databaseEngine": RDS_ENGINES[engine],
                "deploymentOption": "Single-AZ",
            },
        )
    if kind == "datatransfer" and rest.startswith("inter-region-gb:"):
        dest = rest.removeprefix("inter-region-gb:")
        src_code, dst_code = USAGE_TYPE_PREFIX.get(region), USAGE_TYPE_PREFIX.get(dest)
        if src_code is None or dst_code is None:
            return None
        suffix = f"{src_code}-{dst_code}-AWS-Out-Bytes"
        return Query("AWSDataTransfer", suffix, rf"^{re.escape(suffix)}$", regional=False)
    return None


@dataclass(frozen=True)
class Found:
    usd: float
    unit: str
    usage_type: str
    sku: str


def _products(client: Any, query: Query, region: str) -> Iterator[dict[str, Any]]:
    filters = [{"Type": "CONTAINS", "Field": "usagetype", "Value": query.contains}]
    if query.regional:
        filters.append({"Type": "TERM_MATCH", "Field": "regionCode", "Value": region})
    filters += [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in query.attributes.items()]
    token: str | None = None
    tokens: set[str] = set()
    while True:
        kwargs: dict[str, Any] = {
            "ServiceCode": query.service,
            "Filters": filters,
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if token:
            kwargs["NextToken"] = token
        page = _page(client, kwargs, query)
        for item in page.get("PriceList") or []:
            yield _product(item, query)
        token = page.get("NextToken")
        if not token:
            return
        if not isinstance(token, str) or token in tokens:
            # as botocore's paginators refuse it: the same page again would never end
            raise CostError(
                f"AWS Price List API: a {query.service} reply whose NextToken is not a new "
                "page's; no price file written"
            )
        tokens.add(token)


def _page(client: Any, kwargs: dict[str, Any], query: Query) -> dict[str, Any]:
    """One `get_products` page: a JSON object whose PriceList, where there is one, is a list.
    A reply botocore cannot parse into one (a body nested past the decoder's depth raises
    RecursionError in it; `null`, or a PriceList that is not a list, TypeError or
    AttributeError) ends the refresh with a one-line error, as a page of another shape does.
    API errors (BotoCoreError, ClientError) are `refresh_prices`'s to word."""
    try:
        page = client.get_products(**kwargs)
    except (RecursionError, TypeError, AttributeError) as exc:
        raise CostError(
            f"AWS Price List API: a {query.service} reply that could not be read "
            f"({type(exc).__name__}); no price file written"
        ) from None
    if not isinstance(page, dict) or not isinstance(page.get("PriceList") or [], list):
        raise CostError(
            f"AWS Price List API: a {query.service} reply that is not a list of products; "
            "no price file written"
        )
    return page


def _product(item: Any, query: Query) -> dict[str, Any]:
    """One Price List entry (a JSON string, as the API sends it), read as an object; an entry
    that is none (not JSON, nested past the decoder's depth, not an object) ends the refresh
    with a one-line error: a price file is never written from a reply that could not be read."""
    if isinstance(item, str):
        try:
            item = json.loads(item)
        except (ValueError, RecursionError):
            item = None
    if not isinstance(item, dict):
        raise CostError(
            f"AWS Price List API: a {query.service} product that is not a JSON object; "
            "no price file written"
        )
    return item


def _amount(field: str, sku: str, value: Any) -> float:
    """A price dimension's number (`beginRange`, `pricePerUnit.USD`): a decimal string as the
    API writes it (`DECIMAL`), or a JSON number, finite and not negative. Anything else, a
    missing one too, ends the refresh with a one-line error: an unreadable price is never taken
    as zero (a free tier, passed over for the next one) nor as infinite. Only `DECIMAL`, not
    whatever float() takes: it also reads "1_000", " 1.5 ", "١٢" (Arabic-Indic digits) and
    "1e-400" (zero: an exponent is read, but not one that rounds a non-zero price to zero), none
    of which the API writes; an integer past a float's range is refused
    (`finite_number`), where float() raises OverflowError."""
    if isinstance(value, str):
        number = float(value) if DECIMAL.fullmatch(value) else None
        if number == 0 and value.lower().partition("e")[0].strip("0."):
            number = None  # a price of non-zero digits that rounds to zero ("1e-400")
    else:
        number = finite_number(value)
    if number is None or not math.isfinite(number) or number < 0:
        raise CostError(
            f"AWS Price List API: product {sku[:40]!r}: {field} is {str(value)[:40]!r}, "
            "not a price; no price file written"
        )
    return number


def _on_demand(product: dict[str, Any], sku: str) -> tuple[float, str] | None:
    """The first non-zero on-demand tier (lowest beginRange) of a product (`sku`, as `fetch`
    read it, names it in an error). Every tier's numbers are read (`_amount`) before one is
    chosen: one malformed tier ends the refresh."""
    tiers = []
    terms = _object(product.get("terms"), "terms", sku)
    for raw_offer in _object(terms.get("OnDemand"), "terms.OnDemand", sku).values():
        offer = _object(raw_offer, "an OnDemand offer", sku)
        for raw in _object(offer.get("priceDimensions"), "priceDimensions", sku).values():
            dim = _object(raw, "a price dimension", sku)
            begin = _amount("beginRange", sku, dim.get("beginRange"))
            per_unit = _object(dim.get("pricePerUnit"), "pricePerUnit", sku)
            usd = _amount("pricePerUnit.USD", sku, per_unit.get("USD"))
            tiers.append((begin, usd, str(dim.get("unit") or "")))
    tiers.sort(key=lambda t: t[0])
    for _, usd, unit in tiers:
        if usd > 0:
            return usd, unit
    return None


def _object(value: Any, field: str, sku: str) -> dict[str, Any]:
    """`value` when it is a JSON object, an empty one where the reply leaves the field out
    (a product without on-demand terms has no price). Present but of another type, it ends the
    refresh with a one-line error: a price the reply holds in a shape that cannot be read is
    never taken for no price (the old one kept) nor passed over for another product's."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise CostError(
            f"AWS Price List API: product {sku[:40]!r}: {field} is not a JSON object; "
            "no price file written"
        )
    return value


def fetch(client: Any, query: Query, region: str) -> Found | None:
    pattern = re.compile(query.usage_type)
    matches = []
    for product in _products(client, query, region):
        info = _object(product.get("product"), "product", "?")
        sku = str(info.get("sku") or "")
        usage_type = str(_object(info.get("attributes"), "attributes", sku).get("usagetype") or "")
        if pattern.search(usage_type):
            price = _on_demand(product, sku or "?")
            if price is not None:
                usd = price[0] * query.scale
                if not math.isfinite(usd):  # a finite price past a float's range once scaled
                    raise CostError(
                        f"AWS Price List API: product {sku[:40]!r}: {price[0]!r} x "
                        f"{query.scale:g} is not a price; no price file written"
                    )
                matches.append(Found(usd, price[1], usage_type, sku))
    return min(matches, key=lambda f: f.sku) if matches else None


@dataclass(frozen=True)
class Outcome:
    region: str
    key: str
    old: float | None
    new: float | None
    status: str  # updated, unchanged, kept (why), missing


def _template_keys(base: PriceBook, region: str, regions: Iterable[str]) -> list[str]:
    if region in base.regions:
        return list(base.regions[region])
    first = next(iter(base.regions.values()))
    keys = [k for k in first if not k.startswith("datatransfer:inter-region-gb:")]
    others = sorted((set(regions) | set(base.regions)) - {region})
    return keys + [f"datatransfer:inter-region-gb:{o}" for o in others]


def refresh_prices(
    regions: list[str],
    base: PriceBook,
    client: Any = None,
    today: str | None = None,
) -> tuple[dict[str, Any], list[Outcome]]:
    """A new price document for `regions` (other regions of `base` kept as they are)."""
    for region in regions:
        if not REGION.fullmatch(region):
            raise CostError(f"--region {region!r}: not an AWS region name such as us-east-1")
    date = today or datetime.date.today().isoformat()
    if client is None:
        import boto3  # noqa: PLC0415

        client = boto3.client("pricing", region_name=PRICING_REGION)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    doc = copy.deepcopy(base.data)
    doc["date"] = date
    doc.setdefault("sources", {})["price-list-api"] = {
        "title": "AWS Price List API, pricing:GetProducts (on-demand terms)",
        "url": "https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html",
        "retrieved": date,
    }
    outcomes: list[Outcome] = []
    for region in regions:
        body = doc["regions"].setdefault(region, {"location": LOCATIONS.get(region, region)})
        table: dict[str, Any] = body.setdefault("prices", {})
        for key in _template_keys(base, region, regions):
            old_entry = table.get(key)
            old = None if old_entry is None else float(old_entry["usd"])
            query = query_for(key, region)
            if query is None:
                status = "kept (no Price List query)" if old_entry else "missing (no query)"
                outcomes.append(Outcome(region, key, old, old, status))
                continue
            try:
                found = fetch(client, query, region)
            except (BotoCoreError, ClientError) as exc:
                raise CostError(
                    f"AWS Price List API: {str(exc).splitlines()[0]} "
                    "(refresh-prices needs AWS credentials allowed pricing:GetProducts)"
                ) from exc
            if found is None:
                status = "kept (not found)" if old_entry else "missing (not found)"
                outcomes.append(Outcome(region, key, old, old, status))
                continue
            table[key] = {
                "usd": found.usd,
                "unit": found.unit if query.scale == 1 else f"{query.scale:g} x {found.unit}",
                "service": query.service,
                "usageType": found.usage_type,
                "sku": found.sku,
                "source": "price-list-api",
            }
            status = "unchanged" if old == found.usd else "updated"
            outcomes.append(Outcome(region, key, old, found.usd, status))
    return doc, outcomes


def write_price_file(
    doc: dict[str, Any],
    folder: Path = PRICES_DIR,
    *,
    protect: Sequence[str | Path] = (),
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Write the price file into `folder` through the output guard: never onto a `protect`ed
    path or one of the command's `inputs` (the file itself may be a planted symlink)."""
    path = folder / f"aws-prices-{doc['date']}.json"
    return write_output(
        path, json.dumps(doc, indent=2) + "\n", "price file", protect=protect, inputs=inputs
    )

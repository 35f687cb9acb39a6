"""The price file: AWS list prices by region, dated and versioned in `toolchain/cost/prices/`.

One JSON file per refresh, `aws-prices-<YYYY-MM-DD>.json`; the newest is the default. Each price
names the AWS Price List service code and usage type it stands for and where it comes from, so a
reader can check it and `refresh-prices` can fetch it again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolchain.cost.errors import CostError
from toolchain.inputs import JSON_MAX_BYTES, finite_number, read_json

PRICES_DIR = Path(__file__).resolve().parent / "prices"
PRICE_FILE = re.compile(r"aws-prices-(\d{4}-\d{2}-\d{2})\.json")
SCHEMA = 1


@dataclass(frozen=True)
class Price:
    key: str
    region: str
    usd: float
    unit: str
    service: str
    usage_type: str
    source: str
    estimate: bool


@dataclass(frozen=True)
class PriceBook:
    """Prices by region and key (`ec2:instance-hour:m7g.large`, `vpc:nat-gateway-hour`, ...)."""

    path: Path
    date: str
    hours_per_month: float
    regions: dict[str, dict[str, Price]]
    vcpus: dict[str, int]
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.path.name

    def has_region(self, region: str) -> bool:
        return region in self.regions

    def get(self, region: str, key: str) -> Price | None:
        return self.regions.get(region, {}).get(key)

    def usd(self, region: str, key: str) -> float | None:
        price = self.get(region, key)
        return None if price is None else price.usd


def latest_price_file(folder: Path = PRICES_DIR) -> Path:
    files = sorted(
        (m.group(1), p)
        for p in folder.glob("aws-prices-*.json")
        if (m := PRICE_FILE.fullmatch(p.name))
    )
    if not files:
        raise CostError(f"{folder}: no price file (aws-prices-<YYYY-MM-DD>.json)")
    return files[-1][1]


def load_prices(path: str | Path | None = None) -> PriceBook:
    """The given price file, or the newest one in `toolchain/cost/prices/`."""
    p = Path(path) if path is not None else latest_price_file()
    data = read_json(p, "price file", limit=JSON_MAX_BYTES, error=CostError)
    return parse_prices(data, p)


def parse_prices(data: Any, path: Path) -> PriceBook:
    def bad(what: str) -> CostError:
        return CostError(f"{path}: not a price file ({what})")

    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise bad(f"expected a JSON object with schema {SCHEMA}")
    date = data.get("date")
    if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise bad("'date' is not YYYY-MM-DD")
    regions_raw = data.get("regions")
    if not isinstance(regions_raw, dict) or not regions_raw:
        raise bad("no 'regions'")
    regions: dict[str, dict[str, Price]] = {}
    for region, body in regions_raw.items():
        prices = body.get("prices") if isinstance(body, dict) else None
        if not isinstance(prices, dict):
            raise bad(f"region {region} has no 'prices'")
        table: dict[str, Price] = {}
        for key, entry in prices.items():
            usd = finite_number(entry.get("usd") if isinstance(entry, dict) else None)
            if usd is None or usd < 0:
                raise bad(f"{region} {key}: 'usd' is not a finite number >= 0")
            table[key] = Price(
                key=key,
                region=region,
                usd=usd,
                unit=str(entry.get("unit", "")),
                service=str(entry.get("service", "")),
                usage_type=str(entry.get("usageType", "")),
                source=str(entry.get("source", "")),
                estimate=bool(entry.get("estimate", False)),
            )
        regions[region] = table
    vcpus = data.get("vcpus") or {}
    if not isinstance(vcpus, dict) or not all(
        isinstance(v, int) and (finite_number(v) or 0) > 0 for v in vcpus.values()
    ):
        raise bad("'vcpus' is not a map of instance class to count")
    hours = finite_number(data.get("hoursPerMonth", 730))
    if hours is None or hours <= 0:
        raise bad("'hoursPerMonth' is not a finite number > 0")
    return PriceBook(
        path=path, date=date, hours_per_month=hours, regions=regions, vcpus=vcpus, data=data
    )

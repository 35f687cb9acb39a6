"""Fixtures of the cost tests: the repository's price and usage files, and the two stacks'
estimates. Expectations are computed in each test from the price file's entries (`price`)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from toolchain.cost import Estimate, PriceBook, Usage, estimate, load_prices, load_usage
from toolchain.export import StackExport, parse_export

HOURS = 730


@pytest.fixture(scope="session")
def prices() -> PriceBook:
    return load_prices()


@pytest.fixture(scope="session")
def usage() -> Usage:
    return load_usage()


@pytest.fixture(scope="session")
def price(prices: PriceBook) -> Callable[..., float]:
    """A price of the price file, straight from its JSON entries."""

    def get(key: str, region: str = "us-east-1") -> float:
        return float(prices.data["regions"][region]["prices"][key]["usd"])

    return get


@pytest.fixture(scope="session")
def dev_estimate(dev: StackExport, prices: PriceBook, usage: Usage) -> Estimate:
    return estimate(dev, prices, usage)


@pytest.fixture(scope="session")
def prod_estimate(prod: StackExport, prices: PriceBook, usage: Usage) -> Estimate:
    return estimate(prod, prices, usage)


@pytest.fixture
def usage_file(tmp_path: Path) -> Callable[[str], Usage]:
    """A usage file with the given YAML text, laid over the default one."""

    def make(text: str) -> Usage:
        path = tmp_path / "usage.yaml"
        path.write_text(text)
        return load_usage(path)

    return make


def edited(export: StackExport, change: Callable[[list[dict[str, Any]]], None]) -> StackExport:
    data = copy.deepcopy(export.data)
    change(data["deployment"]["resources"])
    return parse_export(data, "edited")


def write_export(export: StackExport, path: Path) -> Path:
    path.write_text(json.dumps(export.data))
    return path

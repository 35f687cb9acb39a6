"""The dated price file: where each price comes from, and the regions and types it covers."""

from __future__ import annotations

import json

import pytest

from toolchain.cost import CostError, load_prices
from toolchain.cost.prices import PRICES_DIR, latest_price_file
from toolchain.cost.savings import X86_EQUIVALENT


def test_default_is_the_newest_dated_file(tmp_path):
    for date in ("2025-01-31", "2026-03-01", "2025-12-31"):
        (tmp_path / f"aws-prices-{date}.json").write_text("{}")
    (tmp_path / "aws-prices-latest.json").write_text("{}")
    assert latest_price_file(tmp_path).name == "aws-prices-2026-03-01.json"
    assert load_prices().path == latest_price_file(PRICES_DIR)


def test_price_file_name_carries_its_date(prices):
    assert prices.name == f"aws-prices-{prices.date}.json"


def test_every_price_names_its_service_usage_type_and_a_known_source(prices):
    sources = prices.data["sources"]
    for region, table in prices.regions.items():
        for key, p in table.items():
            assert p.service and p.usage_type, f"{region} {key}"
            assert p.source in sources, f"{region} {key}: source {p.source!r}"
            assert sources[p.source]["retrieved"], p.source


def test_both_stack_regions_have_every_price(prices):
    assert set(prices.regions["us-east-1"]) - {"datatransfer:inter-region-gb:us-west-2"} == set(
        prices.regions["us-west-2"]
    ) - {"datatransfer:inter-region-gb:us-east-1"}


@pytest.mark.parametrize("region", ["us-east-1", "us-west-2"])
def test_graviton_types_and_their_x86_equivalents_are_priced(prices, region):
    graviton = ["t4g.medium", "m7g.large", "m7g.xlarge", "m6g.large", "c7g.large", "r7g.large"]
    for itype in graviton:
        family, size = itype.split(".")
        for t in (itype, f"{X86_EQUIVALENT[family]}.{size}"):
            assert prices.get(region, f"ec2:instance-hour:{t}") is not None, (region, t)


def test_graviton_lists_below_its_x86_equivalent(prices):
    for key, p in prices.regions["us-east-1"].items():
        if key.startswith("ec2:instance-hour:"):
            family, size = key.rsplit(":", 1)[1].split(".")
            if family in X86_EQUIVALENT:
                x86 = prices.usd("us-east-1", f"ec2:instance-hour:{X86_EQUIVALENT[family]}.{size}")
                assert x86 is None or x86 > p.usd, key


def test_estimated_prices_are_flagged(prices):
    flagged = {k for k, p in prices.regions["us-east-1"].items() if p.estimate}
    assert flagged == {
        "rds:performance-insights-vcpu-month:first",
        "rds:performance-insights-vcpu-month:additional",
    }


def _doc(usd: str = "1", hours: str = "730", vcpus: str = "{}") -> str:
    """A one-price file with the given JSON text as its `usd`, `hoursPerMonth` and `vcpus`."""
    return (
        '{"schema": 1, "date": "2026-01-01", '
        f'"regions": {{"us-east-1": {{"prices": {{"k": {{"usd": {usd}}}}}}}}}, '
        f'"hoursPerMonth": {hours}, "vcpus": {vcpus}}}'
    )


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("[]", "schema 1"),
        ('{"schema": 1, "date": "yesterday", "regions": {}}', "YYYY-MM-DD"),
        ('{"schema": 1, "date": "2026-01-01", "regions": {}}', "no 'regions'"),
        (
            '{"schema": 1, "date": "2026-01-01", '
            '"regions": {"us-east-1": {"prices": {"k": {"usd": -1}}}}}',
            ">= 0",
        ),
        ("{not json", "not JSON"),
        # A bool where a number belongs (`true` would count as 1), and numbers a float cannot
        # hold (they would overflow to inf, or raise when multiplied).
        (_doc(usd="true"), "'usd' is not a finite number"),
        (_doc(usd="1" + "0" * 400), "'usd' is not a finite number"),
        (_doc(hours="true"), "'hoursPerMonth' is not a finite number > 0"),
        (_doc(hours="1" + "0" * 400), "'hoursPerMonth' is not a finite number > 0"),
        (_doc(vcpus='{"db.t4g.micro": true}'), "'vcpus' is not a map"),
    ],
)
def test_malformed_price_file_is_refused(tmp_path, doc, message):
    path = tmp_path / "aws-prices-2026-01-01.json"
    path.write_text(doc)
    with pytest.raises(CostError, match=message):
        load_prices(path)


def test_the_committed_file_is_plain_json(prices):
    text = prices.path.read_text()
    assert json.loads(text) == prices.data and text.endswith("\n")

"""The diff of two exports: dev as planned against dev with a NAT gateway per AZ."""

from __future__ import annotations

import pytest

from toolchain.cost import diff, estimate

NAT = "aws:ec2/natGateway:NatGateway"


@pytest.fixture(scope="module")
def per_az_diff(dev, dev_per_az, prices, usage):
    return diff(estimate(dev, prices, usage), estimate(dev_per_az, prices, usage))


def test_added_resources_are_the_new_gateways_addresses_and_alarms(per_az_diff):
    added = sorted((d.name, d.type.split(":")[1]) for d in per_az_diff.added)
    assert added == [
        ("network-nat-1", "ec2/eip"),
        ("network-nat-1", "ec2/natGateway"),
        ("network-nat-2", "ec2/eip"),
        ("network-nat-2", "ec2/natGateway"),
        ("observability-nat-1-packet-drops", "cloudwatch/metricAlarm"),
        ("observability-nat-1-port-allocation", "cloudwatch/metricAlarm"),
        ("observability-nat-2-packet-drops", "cloudwatch/metricAlarm"),
        ("observability-nat-2-port-allocation", "cloudwatch/metricAlarm"),
    ]
    assert per_az_diff.removed == ()


def test_first_gateway_changes_cost_its_traffic_share_and_cross_az_transfer(
    per_az_diff, price, usage
):
    (changed,) = per_az_diff.changed
    assert (changed.name, changed.type) == ("network-nat-0", NAT)
    egress = usage.stack["nat_egress_gb"]
    # before: all egress, 2/3 of it from other AZs (billed out and in); after: a third, no cross-AZ
    expected = (egress / 3 - egress) * price("vpc:nat-gateway-gb") - egress * (2 / 3) * 2 * price(
        "datatransfer:cross-az-gb"
    )
    assert changed.delta == pytest.approx(expected)


def test_each_added_line_costs_what_the_new_estimate_says(per_az_diff):
    for d in per_az_diff.added:
        assert d.before is None
        assert d.after == pytest.approx(per_az_diff.new.line(d.urn).monthly), d.urn


def test_total_delta_is_the_sum_of_line_deltas(per_az_diff, price):
    assert per_az_diff.delta == pytest.approx(sum(d.delta for d in per_az_diff.lines))
    assert per_az_diff.delta == pytest.approx(per_az_diff.new.total - per_az_diff.base.total)
    assert per_az_diff.percent == pytest.approx(100 * per_az_diff.delta / per_az_diff.base.total)
    two_gateways = 2 * 730 * (price("vpc:nat-gateway-hour") + price("vpc:public-ipv4-hour"))
    assert per_az_diff.delta > two_gateways - 5  # less the cross-AZ transfer saved, plus alarms


def test_free_resources_added_are_counted_not_listed(per_az_diff):
    assert all(u.type.startswith("aws:ec2/route") for u in per_az_diff.free_added)


def test_markdown_is_a_table_with_a_total_row(per_az_diff):
    md = per_az_diff.to_markdown()
    assert md.startswith("### Cost estimate for `dev`: +$")
    assert "| change | resource | type | component | before | after | delta |" in md
    assert "| added | `network-nat-1` | `ec2/natGateway` | network | — |" in md
    assert f"**+${per_az_diff.delta:,.2f}**" in md


def test_no_change_diff(dev_estimate):
    d = diff(dev_estimate, dev_estimate)
    assert d.lines == () and d.delta == 0 and d.percent == 0
    assert "No priced resource changes cost." in d.to_markdown()


def test_json_lists_every_changed_resource(per_az_diff):
    doc = per_az_diff.to_json()
    assert doc["delta"] == round(per_az_diff.delta, 2)
    assert {r["change"] for r in doc["resources"]} == {"added", "changed"}

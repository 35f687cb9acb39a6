"""CIDR coverage (checked against a reference built from the standard library's own network
arithmetic, and against brute-force enumeration on small ranges) and the per-port exposure sweep
over security group permissions (checked against a port-by-port brute force)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.cidr import (
    _NOT_PUBLIC_V4,
    ALL,
    Permission,
    coverage,
    exposures,
    outside,
    permission,
    protocol_name,
)
from policies.values import ValueProblem

PUBLIC_V4_TOTAL = 2**32 - sum(ipaddress.ip_network(n).num_addresses for n in _NOT_PUBLIC_V4)


def reference_public_v4(cidrs: list[str]) -> int:
    """Public IPv4 addresses covered, by the standard library: collapse the union, then remove
    every non-public range with `address_exclude`."""
    nets = list(ipaddress.collapse_addresses(ipaddress.IPv4Network(c, strict=False) for c in cidrs))
    for hole in map(ipaddress.IPv4Network, _NOT_PUBLIC_V4):
        kept: list[ipaddress.IPv4Network] = []
        for net in nets:
            if net.subnet_of(hole):
                continue
            kept += list(net.address_exclude(hole)) if hole.subnet_of(net) else [net]
        nets = kept
    return sum(n.num_addresses for n in nets)


v4_cidrs = st.builds(
    lambda addr, prefix: str(
        ipaddress.ip_network(f"{ipaddress.IPv4Address(addr)}/{prefix}", strict=False)
    ),
    st.integers(0, 2**32 - 1),
    st.integers(0, 32),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(v4_cidrs, max_size=6))
def test_ipv4_coverage_agrees_with_the_standard_library(cidrs):
    assert coverage(cidrs).ipv4 == reference_public_v4(cidrs)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 255), st.integers(24, 32)), max_size=5))
def test_coverage_of_small_ranges_agrees_with_enumeration(blocks):
    # Inside 8.8.0.0/16 (public): count addresses one by one.
    cidrs = [
        str(ipaddress.ip_network(f"8.8.{third}.0/{prefix}", strict=False))
        for third, prefix in blocks
    ]
    addresses = {int(a) for c in cidrs for a in ipaddress.ip_network(c)}
    assert coverage(cidrs).ipv4 == len(addresses)


@pytest.mark.parametrize(
    ("cidrs", "exposed"),
    [
        (["0.0.0.0/0"], True),
        (["0.0.0.0/1", "128.0.0.0/1"], True),
        ([f"{q}.0.0.0/2" for q in (0, 64, 128, 192)], True),
        (["::/0"], True),
        (["2000::/3"], True),
        (["8.8.0.0/16"], True),  # one public /16 is the threshold
        (["8.8.0.0/17"], False),
        (["3.0.0.0/9"], True),  # a cloud provider's range: anyone can rent an address in it
        (["64:ff9b::/96"], True),  # NAT64: the whole IPv4 internet through IPv6
        (["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"], False),
        (["203.0.113.0/24"], False),
        (["fd00::/8", "fe80::/10"], False),
        (["198.51.100.7/32", "1.2.3.0/22"], False),
        ([], False),
    ],
)
def test_internet_exposure_by_coverage(cidrs, exposed):
    assert coverage(cidrs).exposed() is exposed, cidrs


def test_thresholds_are_configurable():
    assert not coverage(["8.0.0.0/9"]).exposed(ipv4_prefix=8)
    assert coverage(["8.0.0.0/9"]).exposed(ipv4_prefix=9)
    assert coverage(["2600::/32"]).exposed()
    assert not coverage(["2600::/32"]).exposed(ipv6_prefix=31)


def test_the_whole_internet_is_described_as_all_of_it():
    assert coverage(["0.0.0.0/0"]).describe() == "100% of the public IPv4 internet"
    assert coverage(["0.0.0.0/0"]).ipv4 == PUBLIC_V4_TOTAL


@pytest.mark.parametrize("bad", ["0.0.0.0/33", "everyone", "10.0.0.0/8/8", "", "::/129"])
def test_an_unreadable_cidr_raises_instead_of_passing(bad):
    with pytest.raises(ValueProblem):
        coverage([bad])


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ("-1", ALL),
        (-1.0, ALL),
        ("all", ALL),
        ("TCP", "tcp"),
        ("6", "tcp"),
        (17, "udp"),
        ("1", "icmp"),
        (None, ALL),
    ],
)
def test_protocols_are_named_alike_however_spelled(value, name):
    assert protocol_name(value) == name


# --- the exposure sweep ---------------------------------------------------------------------

WORLD = "0.0.0.0/0"
SOURCES = ["0.0.0.0/1", "128.0.0.0/1", "10.0.0.0/8", "::/0", "8.8.0.0/17", "8.8.128.0/17"]

perms = st.builds(
    lambda proto, lo, span, cidrs: Permission(
        owner="o", where="", protocol=proto, from_port=lo, to_port=lo + span, cidrs=tuple(cidrs)
    ),
    st.sampled_from(["tcp", "udp", ALL, "icmp"]),
    st.integers(0, 30),
    st.integers(0, 10),
    st.lists(st.sampled_from(SOURCES), max_size=2),
)


def brute_exposed(permissions: list[Permission], protocol: str, port: int) -> bool:
    here = [
        c
        for p in permissions
        if p.applies_to(protocol) and p.ports()[0] <= port <= p.ports()[1]
        for c in p.cidrs
    ]
    return coverage(here).exposed()


@settings(max_examples=300, deadline=None)
@given(st.lists(perms, max_size=5))
def test_exposure_sweep_agrees_with_a_port_by_port_brute_force(permissions):
    found = exposures(permissions)
    for protocol in ("tcp", "udp"):
        for port in [*range(45), 65535]:
            swept = any(e.protocol in (protocol, ALL) and e.covers(port) for e in found)
            assert swept == brute_exposed(permissions, protocol, port), (protocol, port, found)


def test_rules_that_are_harmless_alone_are_exposed_together():
    halves = [
        permission(
            "sg",
            "ingress[0]",
            {"protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrBlocks": ["8.8.0.0/17"]},
        ),
        permission(
            "rule",
            "",
            {"protocol": "tcp", "fromPort": 5000, "toPort": 6000, "cidrBlocks": ["8.8.128.0/17"]},
        ),
    ]
    (found,) = exposures(halves)
    assert (found.protocol, found.from_port, found.to_port) == ("tcp", 5432, 5432)
    assert {p.owner for p in found.permissions} == {"sg", "rule"}


def test_allowed_public_ports_are_cut_out_of_an_exposure():
    (found,) = exposures(
        [
            permission(
                "sg", "", {"protocol": "tcp", "fromPort": 80, "toPort": 443, "cidrBlocks": [WORLD]}
            )
        ]
    )
    assert outside(found, [443]) == [(80, 442)]
    assert outside(found, range(80, 444)) == []


def test_all_traffic_is_never_allowed_by_public_ports():
    (found,) = exposures(
        [
            permission(
                "sg", "", {"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": [WORLD]}
            )
        ]
    )
    assert found.protocol == ALL
    assert outside(found, [443]) == [(0, 65535)]


def test_known_prefix_lists_count_as_their_cidrs():
    rule = permission(
        "r", "", {"protocol": "tcp", "fromPort": 22, "toPort": 22, "prefixListIds": ["pl-1"]}
    )
    assert exposures([rule]) == []
    assert exposures([rule], {"pl-1": [WORLD]})[0].covers(22)


@pytest.mark.parametrize(
    "props",
    [
        {"protocol": "tcp", "fromPort": "NaN", "toPort": 22, "cidrBlocks": [WORLD]},
        {"protocol": "tcp", "fromPort": 443, "toPort": 80, "cidrBlocks": [WORLD]},
        {"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["the internet"]},
    ],
)
def test_unreadable_permissions_raise_instead_of_passing(props):
    with pytest.raises(ValueProblem):
        permission("r", "", props)

"""What a set of CIDR ranges lets in from the internet, and on which ports.

"Open to the internet" is judged by coverage, not by spelling: the union of all the source ranges a
security group (or an EKS endpoint) admits, less the address space that is not routable on the
internet (private, shared, loopback, link-local, documentation, multicast and reserved ranges), is
measured in addresses. It is *exposed* when that public part holds at least as many addresses as
one `/16` of IPv4 (65,536) or one `/32` of IPv6, thresholds a pack's policy config can change.
So `0.0.0.0/0`, `0.0.0.0/1` + `128.0.0.0/1`, `::/0`, `2000::/3` and a cloud provider's `/9`
(addresses anyone can rent) are all exposed, and a company's `/22` is not. IPv6 sources in the
NAT64 prefix `64:ff9b::/96` count as the IPv4 addresses they embed.

Security group permissions come in three spellings (inline `ingress`/`egress` blocks,
`aws:ec2/securityGroupRule`, `aws:vpc/securityGroup{In,E}gressRule`) and are read into one
`Permission` shape; `exposures` sweeps them per protocol and port range and returns every range
whose combined sources are exposed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from policies.common import config, known, known_items
from policies.values import ValueProblem, number

DEFAULT_IPV4_PREFIX = 16
DEFAULT_IPV6_PREFIX = 32

_NOT_PUBLIC_V4 = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.0.0.0/24",
    "192.0.2.0/24",
    "192.168.0.0/16",
    "198.18.0.0/15",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "224.0.0.0/4",
    "240.0.0.0/4",
)
# Only global unicast (2000::/3) is routed on the IPv6 internet; its documentation block is not.
_PUBLIC_V6 = ("2000::/3",)
_NOT_PUBLIC_V6 = ("2001:db8::/32",)

Interval = tuple[int, int]  # inclusive


class Thresholds(TypedDict):
    ipv4_prefix: int
    ipv6_prefix: int


def thresholds(args: Any) -> Thresholds:
    """The internet thresholds of a rule's policy config, as keyword arguments of `exposed`."""
    return Thresholds(
        ipv4_prefix=int(config(args, "internetIpv4Prefix", DEFAULT_IPV4_PREFIX)),
        ipv6_prefix=int(config(args, "internetIpv6Prefix", DEFAULT_IPV6_PREFIX)),
    )


THRESHOLD_SCHEMA = {
    "internetIpv4Prefix": {
        "type": "integer",
        "minimum": 1,
        "maximum": 32,
        "default": DEFAULT_IPV4_PREFIX,
        "description": (
            "Sources covering at least this many public IPv4 addresses (a /N's worth) count as "
            "the internet."
        ),
    },
    "internetIpv6Prefix": {
        "type": "integer",
        "minimum": 1,
        "maximum": 128,
        "default": DEFAULT_IPV6_PREFIX,
        "description": "The same for public IPv6 addresses.",
    },
}


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _subtract(base: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in base:
        cursor = start
        for h_start, h_end in holes:
            if h_end < cursor or h_start > end:
                continue
            if h_start > cursor:
                out.append((cursor, h_start - 1))
            cursor = max(cursor, h_end + 1)
        if cursor <= end:
            out.append((cursor, end))
    return out


def _intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start, end = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if start <= end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def _interval(net: ipaddress.IPv4Network | ipaddress.IPv6Network) -> Interval:
    return int(net.network_address), int(net.broadcast_address)


def _space(cidrs: Iterable[str]) -> list[Interval]:
    return _merge(_interval(ipaddress.ip_network(c)) for c in cidrs)


_PUBLIC = {
    4: _subtract([(0, 2**32 - 1)], _space(_NOT_PUBLIC_V4)),
    6: _subtract(_space(_PUBLIC_V6), _space(_NOT_PUBLIC_V6)),
}


def parse_cidr(value: Any, what: str = "a source") -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """A CIDR block (host bits allowed, as AWS allows them); `ValueProblem` when unreadable."""
    try:
        return ipaddress.ip_network(str(value).strip(), strict=False)
    except ValueError:
        raise ValueProblem(what, value, "a CIDR block") from None


@dataclass(frozen=True)
class Coverage:
    """The public addresses a set of ranges covers, per IP version."""

    ipv4: int
    ipv6: int

    def exposed(
        self, ipv4_prefix: int = DEFAULT_IPV4_PREFIX, ipv6_prefix: int = DEFAULT_IPV6_PREFIX
    ) -> bool:
        return self.ipv4 >= 2 ** (32 - ipv4_prefix) or self.ipv6 >= 2 ** (128 - ipv6_prefix)

    @property
    def public(self) -> bool:
        return bool(self.ipv4 or self.ipv6)

    def describe(self) -> str:
        parts = []
        if self.ipv4:
            parts.append(f"{_share(self.ipv4, 4)} of the public IPv4 internet")
        if self.ipv6:
            parts.append(f"{_share(self.ipv6, 6)} of the public IPv6 internet")
        return " and ".join(parts) or "no public addresses"


def _share(count: int, version: int) -> str:
    total = sum(end - start + 1 for start, end in _PUBLIC[version])
    share = 100 * count / total
    return f"{share:.0f}%" if share >= 1 else f"{share:.2g}%"


_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def coverage(cidrs: Iterable[Any]) -> Coverage:
    """The public part of the union of the given CIDR blocks. IPv6 sources in the NAT64
    well-known prefix (`64:ff9b::/96`) stand for the IPv4 addresses they embed."""
    by_version: dict[int, list[Interval]] = {4: [], 6: []}
    for cidr in cidrs:
        net = parse_cidr(cidr)
        by_version[net.version].append(_interval(net))
        if net.version == 6 and net.overlaps(_NAT64):
            start, end = _intersect([_interval(net)], [_interval(_NAT64)])[0]
            by_version[4].append((start & 0xFFFFFFFF, end & 0xFFFFFFFF))
    counts = {
        v: sum(end - start + 1 for start, end in _intersect(_merge(ivs), _PUBLIC[v]))
        for v, ivs in by_version.items()
    }
    return Coverage(ipv4=counts[4], ipv6=counts[6])


# --- security group permissions ----------------------------------------------------------------

ALL = "all"
PORT_PROTOCOLS = ("tcp", "udp")
_PROTOCOL_NAMES = {"-1": ALL, "all": ALL, "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


def protocol_name(value: Any) -> str:
    """`tcp`, `udp`, `icmp`, `icmpv6`, `all`, or the protocol number as text."""
    if value is None:
        return ALL
    text = str(value).strip().lower()
    with contextlib.suppress(ValueError, OverflowError):
        text = str(int(float(text)))
    return _PROTOCOL_NAMES.get(text, text)


@dataclass(frozen=True)
class Permission:
    """One ingress or egress permission, whichever way it was written."""

    owner: str  # the URN of the resource that declares it
    where: str  # e.g. "ingress[0]" for an inline block, "" for a rule resource
    protocol: str
    from_port: int
    to_port: int
    cidrs: tuple[str, ...] = ()
    prefix_lists: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = field(default=())

    def ports(self) -> Interval:
        if self.protocol == ALL or self.protocol not in PORT_PROTOCOLS:
            return (0, 65535)
        return (self.from_port, self.to_port)

    def applies_to(self, protocol: str) -> bool:
        return self.protocol in (protocol, ALL)


def _port(value: Any, default: int, what: str) -> int:
    n = number(value, what)
    if n is None or n < 0:  # -1 (or absent) means every port
        return default
    return int(n)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in known_items(value) if v not in (None, ""))


def permission(
    owner: str,
    where: str,
    props: Mapping[str, Any],
    *,
    protocol_key: str = "protocol",
    cidr_keys: Sequence[str] = ("cidrBlocks", "ipv6CidrBlocks"),
    prefix_key: str = "prefixListIds",
    group_keys: Sequence[str] = ("securityGroups", "sourceSecurityGroupId", "self"),
) -> Permission:
    """A permission from an inline block or a rule resource's properties."""
    protocol = protocol_name(props.get(protocol_key))
    label = f"{where or 'the rule'}"
    start = _port(props.get("fromPort"), 0, f"{label} fromPort")
    end = _port(props.get("toPort"), 65535, f"{label} toPort")
    if protocol not in PORT_PROTOCOLS:
        start, end = 0, 65535
    if protocol in PORT_PROTOCOLS and start > end:
        raise ValueProblem(f"{label} port range", f"{start}-{end}", "a range with from <= to")
    cidrs = tuple(c for key in cidr_keys for c in _strs(known(props, key)))
    for c in cidrs:
        parse_cidr(c, f"{label} source")
    return Permission(
        owner=owner,
        where=where,
        protocol=protocol,
        from_port=start,
        to_port=end,
        cidrs=cidrs,
        prefix_lists=_strs(known(props, prefix_key)),
        security_groups=tuple(g for key in group_keys for g in _strs(known(props, key))),
    )


@dataclass(frozen=True)
class Exposure:
    """A protocol and port range whose combined sources are exposed to the internet."""

    protocol: str
    from_port: int
    to_port: int
    coverage: Coverage
    permissions: tuple[Permission, ...]  # those with public sources on the range

    def describe(self) -> str:
        if self.protocol == ALL:
            what = "all traffic"
        elif self.protocol in PORT_PROTOCOLS:
            what = (
                f"{self.protocol} {self.from_port}"
                if self.from_port == self.to_port
                else f"{self.protocol} {self.from_port}-{self.to_port}"
            )
        else:
            what = f"protocol {self.protocol}"
        return f"{what} from {self.coverage.describe()}"

    def covers(self, port: int) -> bool:
        return self.protocol == ALL or (
            self.protocol in PORT_PROTOCOLS and self.from_port <= port <= self.to_port
        )

    @property
    def all_ports(self) -> bool:
        return self.protocol == ALL or (self.from_port <= 1 and self.to_port >= 65535)


def exposures(
    permissions: Sequence[Permission],
    extra_cidrs: Mapping[str, Sequence[str]] | None = None,
    *,
    ipv4_prefix: int = DEFAULT_IPV4_PREFIX,
    ipv6_prefix: int = DEFAULT_IPV6_PREFIX,
) -> list[Exposure]:
    """Every protocol/port range on which the union of the permissions' sources is exposed.
    `extra_cidrs` gives the CIDRs of prefix lists that are known (by id)."""
    known = extra_cidrs or {}

    def sources(p: Permission) -> list[str]:
        return [*p.cidrs, *(c for pl in p.prefix_lists for c in known.get(pl, ()))]

    def judged(perms: Sequence[Permission]) -> tuple[Coverage, tuple[Permission, ...]]:
        cov = coverage(c for p in perms for c in sources(p))
        public = tuple(p for p in perms if coverage(sources(p)).public)
        return cov, public

    found: list[Exposure] = []
    every = [p for p in permissions if p.protocol == ALL]
    cov, public = judged(every)
    if cov.exposed(ipv4_prefix, ipv6_prefix):
        return [Exposure(ALL, 0, 65535, cov, public)]
    for protocol in PORT_PROTOCOLS:
        relevant = [p for p in permissions if p.applies_to(protocol)]
        cuts = sorted(
            {0, 65536} | {p.ports()[0] for p in relevant} | {p.ports()[1] + 1 for p in relevant}
        )
        current: Exposure | None = None
        for start, stop in itertools.pairwise(cuts):
            here = [p for p in relevant if p.ports()[0] <= start and stop - 1 <= p.ports()[1]]
            cov, public = judged(here)
            if not cov.exposed(ipv4_prefix, ipv6_prefix):
                current = None
                continue
            if (
                current is not None
                and current.to_port == start - 1
                and current.permissions == public
            ):
                found[-1] = current = Exposure(protocol, current.from_port, stop - 1, cov, public)
            else:
                current = Exposure(protocol, start, stop - 1, cov, public)
                found.append(current)
    for protocol in sorted({p.protocol for p in permissions} - {ALL, *PORT_PROTOCOLS}):
        cov, public = judged([p for p in permissions if p.applies_to(protocol)])
        if cov.exposed(ipv4_prefix, ipv6_prefix):
            found.append(Exposure(protocol, 0, 65535, cov, public))
    return found


def outside(exposure: Exposure, allowed_ports: Iterable[int]) -> list[Interval]:
    """The parts of an exposed tcp/udp range not among the allowed public ports (the whole of
    any other exposure: `all` traffic and ICMP are never allowed from the internet)."""
    if exposure.protocol not in PORT_PROTOCOLS:
        return [(exposure.from_port, exposure.to_port)]
    holes = _merge((p, p) for p in allowed_ports)
    return _subtract([(exposure.from_port, exposure.to_port)], holes)

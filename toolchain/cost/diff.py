"""The cost difference between two estimates (a base and a change), resource by resource, as a
table ready to post on a pull request. Resources are matched by URN."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from toolchain.cost.estimate import Estimate, Unpriced

# Below half a cent a month, a change is rounding, not a change.
EPSILON = 0.005


@dataclass(frozen=True)
class LineDelta:
    change: str  # added, removed, changed
    urn: str
    name: str
    type: str
    component: str
    before: float | None
    after: float | None

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)


@dataclass(frozen=True)
class CostDiff:
    base: Estimate
    new: Estimate
    lines: tuple[LineDelta, ...]
    free_added: tuple[Unpriced, ...]
    free_removed: tuple[Unpriced, ...]
    not_priced_added: tuple[Unpriced, ...]
    not_priced_removed: tuple[Unpriced, ...]

    @property
    def added(self) -> tuple[LineDelta, ...]:
        return tuple(d for d in self.lines if d.change == "added")

    @property
    def removed(self) -> tuple[LineDelta, ...]:
        return tuple(d for d in self.lines if d.change == "removed")

    @property
    def changed(self) -> tuple[LineDelta, ...]:
        return tuple(d for d in self.lines if d.change == "changed")

    @property
    def delta(self) -> float:
        """Monthly cost change (new minus base), what the approval gate compares."""
        return self.new.total - self.base.total

    @property
    def percent(self) -> float | None:
        return None if self.base.total == 0 else 100 * self.delta / self.base.total

    def to_json(self) -> dict[str, Any]:
        return {
            "base": {"export": self.base.source, "monthlyTotal": round(self.base.total, 2)},
            "new": {"export": self.new.source, "monthlyTotal": round(self.new.total, 2)},
            "delta": round(self.delta, 2),
            "percent": None if self.percent is None else round(self.percent, 1),
            "prices": {"file": self.new.price_file, "date": self.new.price_date},
            "resources": [
                {
                    "change": d.change,
                    "urn": d.urn,
                    "name": d.name,
                    "type": d.type,
                    "component": d.component,
                    "before": None if d.before is None else round(d.before, 2),
                    "after": None if d.after is None else round(d.after, 2),
                    "delta": round(d.delta, 2),
                }
                for d in self.lines
            ],
            "freeAdded": [u.urn for u in self.free_added],
            "freeRemoved": [u.urn for u in self.free_removed],
            "notPricedAdded": [
                {"urn": u.urn, "type": u.type, "reason": u.reason} for u in self.not_priced_added
            ],
            "notPricedRemoved": [u.urn for u in self.not_priced_removed],
        }

    def to_markdown(self) -> str:
        return diff_markdown(self)


def diff(base: Estimate, new: Estimate) -> CostDiff:
    """What changes in the monthly bill going from `base` to `new`."""
    before = {line.urn: line for line in base.lines}
    after = {line.urn: line for line in new.lines}
    deltas: list[LineDelta] = []
    for urn, line in after.items():
        old = before.get(urn)
        if old is None:
            deltas.append(
                LineDelta("added", urn, line.name, line.type, line.component, None, line.monthly)
            )
        elif abs(line.monthly - old.monthly) >= EPSILON:
            deltas.append(
                LineDelta(
                    "changed", urn, line.name, line.type, line.component, old.monthly, line.monthly
                )
            )
    for urn, line in before.items():
        if urn not in after:
            deltas.append(
                LineDelta("removed", urn, line.name, line.type, line.component, line.monthly, None)
            )
    deltas.sort(key=lambda d: (-abs(d.delta), d.change, d.urn))

    def new_in(a: tuple[Unpriced, ...], b: tuple[Unpriced, ...]) -> tuple[Unpriced, ...]:
        known = {u.urn for u in b}
        return tuple(u for u in a if u.urn not in known)

    return CostDiff(
        base=base,
        new=new,
        lines=tuple(deltas),
        free_added=new_in(new.free_resources, base.free_resources),
        free_removed=new_in(base.free_resources, new.free_resources),
        not_priced_added=new_in(new.not_priced_resources, base.not_priced_resources),
        not_priced_removed=new_in(base.not_priced_resources, new.not_priced_resources),
    )


def money(x: float | None, signed: bool = False) -> str:
    if x is None:
        return "—"
    if signed:
        sign = "+" if x >= 0 else "-"
        return f"{sign}${abs(x):,.2f}"
    return f"-${-x:,.2f}" if x < 0 else f"${x:,.2f}"


def percent(p: float | None) -> str:
    if p is None:
        return "new"
    return f"{'+' if p >= 0 else '-'}{abs(p):.1f}%"


def short_type(type_token: str) -> str:
    """`aws:ec2/natGateway:NatGateway` -> `ec2/natGateway`."""
    parts = type_token.split(":")
    return parts[1] if len(parts) == 3 else type_token


def _by_type(items: tuple[Unpriced, ...]) -> str:
    counts = Counter(short_type(u.type) for u in items)
    return ", ".join(f"{t} x{n}" if n > 1 else t for t, n in sorted(counts.items()))


def diff_markdown(d: CostDiff) -> str:
    stack = d.new.stack or d.base.stack or "stack"
    head = (
        f"### Cost estimate for `{stack}`: {money(d.delta, signed=True)} per month "
        f"({percent(d.percent)})"
    )
    out = [
        head,
        "",
        f"**{money(d.base.total)} → {money(d.new.total)}** per month (730 hours), "
        f"list prices of {d.new.price_date} (`{d.new.price_file}`).",
        "",
    ]
    if d.lines:
        out += [
            "| change | resource | type | component | before | after | delta |",
            "|---|---|---|---|---:|---:|---:|",
        ]
        for x in d.lines:
            out.append(
                f"| {x.change} | `{x.name}` | `{short_type(x.type)}` | {x.component} "
                f"| {money(x.before)} | {money(x.after)} | {money(x.delta, signed=True)} |"
            )
        out.append(
            f"| **total** | | | | **{money(d.base.total)}** | **{money(d.new.total)}** "
            f"| **{money(d.delta, signed=True)}** |"
        )
    else:
        out.append("No priced resource changes cost.")
    notes = []
    if d.free_added:
        notes.append(f"Free resources added: {len(d.free_added)} ({_by_type(d.free_added)}).")
    if d.free_removed:
        notes.append(f"Free resources removed: {len(d.free_removed)} ({_by_type(d.free_removed)}).")
    if d.not_priced_added:
        notes.append(
            f"⚠️ Not priced (cost unknown, not counted): {len(d.not_priced_added)} added "
            f"({_by_type(d.not_priced_added)})."
        )
    if d.not_priced_removed:
        notes.append(f"Not-priced resources removed: {len(d.not_priced_removed)}.")
    if notes:
        out += ["", *notes]
    out += [
        "",
        "<sub>Usage-based quantities (node counts, traffic, log and storage volumes) come from "
        "the usage file; see `python -m agents cost --export FILE` for every line.</sub>",
    ]
    return "\n".join(out) + "\n"

"""Text and Markdown renderings of estimates, savings and price refreshes for the command line."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from toolchain.cost.diff import money, short_type
from toolchain.cost.estimate import Estimate
from toolchain.cost.refresh import Outcome
from toolchain.cost.savings import CLAIMED_TOTAL, SavingsReport

ROOT = Path(__file__).resolve().parent.parent.parent


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def _footer(est: Estimate) -> str:
    usage = ", ".join(_rel(p) for p in est.usage_sources)
    return (
        f"List prices of {est.price_date} ({est.price_file}), 730 hours a month; "
        f"usage assumptions from {usage}."
    )


def render_estimate(est: Estimate) -> str:
    rows = [
        [line.component, line.name, short_type(line.type), line.region, money(line.monthly)]
        for line in sorted(est.lines, key=lambda x: (x.component, -x.monthly, x.name))
    ]
    out = [
        f"Monthly cost estimate of stack '{est.stack}' ({est.source}): {money(est.total)}",
        "",
        tabulate(
            rows,
            headers=["component", "resource", "type", "region", "monthly"],
            tablefmt="github",
            colalign=("left", "left", "left", "left", "right"),
        ),
        "",
        tabulate(
            [[c, n, money(m)] for c, m, n in est.by_component()]
            + [["total", len(est.lines), money(est.total)]],
            headers=["component", "priced resources", "monthly"],
            tablefmt="github",
            colalign=("left", "right", "right"),
        ),
    ]
    free = est.free
    out += ["", f"Free: {sum(g.count for g in free)} resources of {len(free)} types."]
    out.append(
        tabulate(
            [[g.type, g.count, g.reason] for g in free],
            headers=["type", "count", "why free"],
            tablefmt="github",
        )
    )
    if est.not_priced:
        n = sum(g.count for g in est.not_priced)
        out += [
            "",
            f"NOT PRICED (not counted in the total): {n} resource{'s' if n != 1 else ''}.",
            tabulate(
                [[g.type, g.count, g.reason] for g in est.not_priced],
                headers=["type", "count", "why"],
                tablefmt="github",
            ),
        ]
    else:
        out += ["", "Not priced: none (every resource is priced or free)."]
    out += ["", _footer(est)]
    return "\n".join(out) + "\n"


def render_estimate_markdown(est: Estimate) -> str:
    out = [
        f"### Cost estimate for `{est.stack}`: {money(est.total)} per month",
        "",
        "| component | priced resources | monthly |",
        "|---|---:|---:|",
    ]
    out += [f"| {c} | {n} | {money(m)} |" for c, m, n in est.by_component()]
    out.append(f"| **total** | {len(est.lines)} | **{money(est.total)}** |")
    if est.not_priced:
        out += [
            "",
            "⚠️ Not priced (not counted): "
            + ", ".join(f"`{short_type(g.type)}` x{g.count} ({g.reason})" for g in est.not_priced),
        ]
    out += ["", f"<sub>{_footer(est)}</sub>"]
    return "\n".join(out) + "\n"


def render_savings(report: SavingsReport) -> str:
    rows = [
        [
            lever.title,
            money(lever.saving),
            lever.claimed
            + (f" ({money(lever.claimed_usd)})" if lever.claimed.startswith("~15%") else ""),
            lever.why,
        ]
        for lever in report.levers
    ]
    rows.append(
        [
            "all levers (sum)",
            money(report.levers_total),
            CLAIMED_TOTAL,
            f"every lever undone at once: {money(report.naive.total)} vs "
            f"{money(report.actual.total)}, {money(report.combined)} more "
            "(levers overlap: SPOT nodes turned on-demand are dearer again on x86)",
        ]
    )
    out = [
        f"Cost levers of stack '{report.stack}': {money(report.actual.total)} per month as "
        f"planned, {money(report.naive.total)} for the naive variant",
        "",
        tabulate(
            rows,
            headers=["lever", "our saving/month", "claimed", "why ours differs"],
            tablefmt="github",
            maxcolwidths=[None, None, None, 90],
            colalign=("left", "right", "left", "left"),
        ),
        "",
        _footer(report.actual),
    ]
    return "\n".join(out) + "\n"


def render_refresh(outcomes: Sequence[Outcome], path: str) -> str:
    changed = [o for o in outcomes if o.status == "updated"]
    kept = [o for o in outcomes if o.status.startswith(("kept", "missing"))]
    out = [
        f"Price file written to {path}: {len(outcomes)} prices, {len(changed)} changed, "
        f"{len(kept)} not refreshed."
    ]
    if changed or kept:
        out.append(
            tabulate(
                [
                    [o.region, o.key, "—" if o.old is None else o.old,
                     "—" if o.new is None else o.new, o.status]
                    for o in changed + kept
                ],
                headers=["region", "price", "old $", "new $", "status"],
                tablefmt="github",
            )
        )  # fmt: skip
    return "\n".join(out) + "\n"

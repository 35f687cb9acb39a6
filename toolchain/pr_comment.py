"""The pull-request comment of the plan gate: one short Markdown comment for every stack planned.

It leads with what a reviewer decides on: one headline line per stack (the monthly cost change,
the mandatory and advisory violations, how many resources change), then the verdict. Below come
the stacks that change (or fail the gate): a per-resource cost table of what changed, the
violations as a short table, and the details (the resources that change, the change summary) in
collapsed blocks. A stack that does not change is its headline line and nothing more. The whole
stays under GitHub's limit of 65,536 characters: the details go first, then the end of the
tables, and a link to the run (where the full plans are) says what was left out.

The gate writes, per stack, into one folder (`.github/actions/plan-gate` does):

    <stack>.head.json     the offline plan of the change (an export)
    <stack>.base.json     the base commit's plan (optional: no diff without it)
    <stack>.gate.json     `python -m agents plan --json` of the head (optional: its violations)
    <stack>.changes.txt   `python -m agents summarize --baseline ...` (optional: collapsed)

    python -m toolchain.pr_comment --dir build/gate --stack dev --stack prod \
        --run-url "$RUN_URL" --out build/gate/comment.md

Names, messages and summaries come from the program and its exports: they are written inside
code spans or fences, or with `<`, `@` and `|` neutralised, so no text can close a block, mention
someone or break a table.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolchain import InputError
from toolchain.cost import CostDiff, Estimate, diff, estimate, load_prices, load_usage
from toolchain.cost.diff import money, percent, short_type
from toolchain.cost.prices import latest_price_file
from toolchain.cost.usage import DEFAULT_USAGE_FILE
from toolchain.export import StackExport, load_export
from toolchain.gate import ENFORCEMENT_LEVELS
from toolchain.inputs import (
    JSON_MAX_BYTES,
    OneLineParser,
    output_path,
    read_json,
    read_text,
    stack_name,
    state_dirs,
    write_output,
)
from toolchain.untrusted import escape

# GitHub refuses a comment of more than 65,536 characters; the sticky-comment action adds its
# marker, and the margin keeps a multi-byte surprise from tipping it over.
GITHUB_LIMIT = 65_536
MAX_CHARS = 60_000
MAX_COST_ROWS = 15
MAX_VIOLATION_ROWS = 15
MAX_CHANGE_ITEMS = 60
MAX_MESSAGE = 160
TITLE = "## Plan, policy gate and cost"
INPUT_SUFFIXES = ("head.json", "base.json", "gate.json", "changes.txt")


@dataclass(frozen=True)
class Changes:
    """Managed resources that differ between two plans (by URN; `changed`: other inputs)."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def count(self) -> int:
        return len(self.added) + len(self.removed) + len(self.changed)

    def describe(self) -> str:
        parts = [
            f"{len(urns)} {word}"
            for urns, word in (
                (self.added, "added"),
                (self.removed, "removed"),
                (self.changed, "changed"),
            )
            if urns
        ]
        return ", ".join(parts) if parts else "none"


def resource_changes(base: StackExport, head: StackExport) -> Changes:
    """What a deployment of `head` over `base` would touch: managed resources added, removed,
    or with other inputs (or another type, parent or provider)."""

    def managed(export: StackExport) -> dict[str, Any]:
        return {r.urn: (r.type, r.parent, r.provider_urn, r.inputs) for r in export if r.managed}

    before, after = managed(base), managed(head)
    return Changes(
        added=tuple(sorted(u for u in after if u not in before)),
        removed=tuple(sorted(u for u in before if u not in after)),
        changed=tuple(sorted(u for u in after if u in before and after[u] != before[u])),
    )


@dataclass(frozen=True)
class StackReport:
    stack: str
    cost: Estimate
    cost_diff: CostDiff | None = None  # None: no base plan
    changes: Changes | None = None  # None: no base plan
    violations: tuple[dict[str, Any], ...] | None = None  # None: the gate did not run
    summary: str | None = None  # the change summary (`summarize --baseline`)

    @property
    def mandatory(self) -> int:
        return sum(1 for v in self.violations or () if v.get("enforcementLevel") == "mandatory")

    @property
    def advisory(self) -> int:
        return len(self.violations or ()) - self.mandatory

    @property
    def unchanged(self) -> bool:
        return self.changes is not None and self.changes.count == 0

    @property
    def shown(self) -> bool:
        """Whether the stack gets a section below the headlines."""
        return not self.unchanged or self.mandatory > 0


@dataclass
class _Pieces:
    """The comment before the limit is applied: the essentials in order, then the collapsed
    details (dropped first when too long)."""

    head: list[str] = field(default_factory=list)
    sections: list[tuple[list[str], list[str]]] = field(default_factory=list)


# -- reading the gate's folder -------------------------------------------------------------------
def stack_report(
    stack: str,
    head: StackExport,
    base: StackExport | None = None,
    *,
    violations: Sequence[dict[str, Any]] | None = None,
    summary: str | None = None,
    prices: Any = None,
    usage: Any = None,
) -> StackReport:
    """The report of one stack from its plans (`violations`: None when the gate did not run)."""
    prices = prices if prices is not None else load_prices()
    usage = usage if usage is not None else load_usage()
    new = estimate(head, prices, usage)
    cost_diff = changes = None
    if base is not None:
        cost_diff = diff(estimate(base, prices, usage), new)
        changes = resource_changes(base, head)
    found = None if violations is None else read_violations(violations, "violations")
    return StackReport(stack, new, cost_diff, changes, found, summary)


def read_violations(found: Any, source: str) -> tuple[dict[str, Any], ...]:
    """The gate's violations, each an object with a known enforcement level; anything else is an
    `InputError` naming `source` and the entry. Fail closed: an entry that is not an object, or a
    level this code does not know (`"MANDATORY"`, `5`), could be a mandatory violation, so the
    comment is refused rather than counting it as advisory (or dropping it) and saying the change
    passes."""
    if not isinstance(found, list | tuple):
        raise InputError(f"{source}: 'violations' is not a list")
    for n, v in enumerate(found):
        if not isinstance(v, dict):
            raise InputError(f"{source}: violations[{n}] is not a violation object")
        level = v.get("enforcementLevel")
        if not isinstance(level, str) or level not in ENFORCEMENT_LEVELS:
            raise InputError(
                f"{source}: violations[{n}]: unknown enforcement level {level!r:.40} "
                f"(known: {', '.join(ENFORCEMENT_LEVELS)})"
            )
    return tuple(found)


def stack_files(folder: Path, stack: str) -> list[Path]:
    """The files of one stack that `load_stack` reads when they exist (no output may replace
    one)."""
    return [folder / f"{stack}.{suffix}" for suffix in INPUT_SUFFIXES]


def load_stack(folder: Path, stack: str, *, prices: Any = None, usage: Any = None) -> StackReport:
    """The report of one stack from the files the gate wrote into `folder`."""
    head_path = folder / f"{stack}.head.json"
    if not head_path.is_file():
        raise InputError(f"{head_path}: no plan of stack '{stack}' (the gate writes it)")
    base_path = folder / f"{stack}.base.json"
    base = load_export(base_path) if base_path.is_file() else None
    violations: tuple[dict[str, Any], ...] | None = None
    gate_path = folder / f"{stack}.gate.json"
    if gate_path.is_file():
        gate = read_json(gate_path, "policy gate's result (`agents plan --json`)")
        if not isinstance(gate, dict):
            raise InputError(f"{gate_path}: not the JSON object of `agents plan --json`")
        if "violations" in gate:  # absent: planned with --no-policy, the gate did not run
            violations = read_violations(gate["violations"], str(gate_path))
    summary_path = folder / f"{stack}.changes.txt"
    summary = (
        # read as every input is (capped, UTF-8): wrong bytes are refused, not replaced
        read_text(summary_path, "change summary", limit=JSON_MAX_BYTES)
        if summary_path.is_file()
        else None
    )
    return stack_report(
        stack,
        load_export(head_path),
        base,
        violations=violations,
        summary=summary,
        prices=prices,
        usage=usage,
    )


# -- Markdown, untrusted text kept inert ---------------------------------------------------------
def _code(text: str) -> str:
    """`text` as a code span in a table cell: no backtick, pipe or newline can escape it."""
    clean = escape(str(text)).replace("`", "'").replace("|", "\\|")
    return f"`{clean}`"


def _plain(text: str, limit: int = MAX_MESSAGE) -> str:
    """Free text (a policy message) in a table cell: one line, no HTML, no mention, no pipe."""
    line = " ".join(escape(str(text), multiline=True).split())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "…"
    return (
        line.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("@", "&#64;")
        .replace("|", "\\|")
    )


def _fence(text: str) -> list[str]:
    """`text` in a fenced block whose fence is longer than any run of backticks inside."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", escape(text.rstrip("\n"), multiline=True), fence]


def _short_urn(urn: str) -> str:
    """`type::name` of a URN, the part people recognise."""
    parts = urn.split("::")
    if len(parts) < 4:
        return urn
    return f"{short_type(parts[-2].split('$')[-1])} {parts[-1]}"


def _violations_word(r: StackReport) -> str:
    if r.violations is None:
        return "policy gate not run"
    m = r.mandatory
    text = f"{m} mandatory violation{'s' if m != 1 else ''}"
    return f"{text} ({r.advisory} advisory)" if r.advisory else text


def headline(r: StackReport) -> str:
    """One line: the stack, its monthly cost change, its violations, what changes."""
    name = f"**`{r.stack}`**"
    if r.cost_diff is None:
        return (
            f"{name}: monthly cost {money(r.cost.total)} (no base plan to compare with), "
            f"{_violations_word(r)}"
        )
    if r.unchanged:
        return f"{name}: no change (monthly cost {money(r.cost.total)}), {_violations_word(r)}"
    d = r.cost_diff
    changes = r.changes or Changes()
    count = changes.count
    return (
        f"{name}: monthly cost {money(d.delta, signed=True)} ({percent(d.percent)}) to "
        f"{money(d.new.total)}, {_violations_word(r)}, "
        f"{count} resource{'s' if count != 1 else ''} changed ({changes.describe()})"
    )


def verdict(reports: Sequence[StackReport]) -> str:
    failing = [r for r in reports if r.mandatory]
    if failing:
        total = sum(r.mandatory for r in failing)
        where = ", ".join(f"`{r.stack}`" for r in failing)
        return (
            f"**Verdict: ❌ blocked**: {total} mandatory violation{'s' if total != 1 else ''} "
            f"({where}); the gate job fails until they are fixed."
        )
    if any(r.violations is None for r in reports):
        return "**Verdict: ⚠️ not gated**: the policy gate did not run for every stack."
    return "**Verdict: ✅ passes**: no mandatory policy violation."


def _cost_table(d: CostDiff) -> list[str]:
    if not d.lines:
        return ["No priced resource changes cost."]
    rows = [
        "| change | resource | type | before | after | delta |",
        "|---|---|---|---:|---:|---:|",
    ]
    for x in d.lines[:MAX_COST_ROWS]:
        rows.append(
            f"| {x.change} | {_code(x.name)} | {_code(short_type(x.type))} "
            f"| {money(x.before)} | {money(x.after)} | {money(x.delta, signed=True)} |"
        )
    more = len(d.lines) - MAX_COST_ROWS
    if more > 0:
        rest = sum(x.delta for x in d.lines[MAX_COST_ROWS:])
        rows.append(f"| … | {more} more | | | | {money(rest, signed=True)} |")
    rows.append(
        f"| **total** | | | **{money(d.base.total)}** | **{money(d.new.total)}** "
        f"| **{money(d.delta, signed=True)}** |"
    )
    notes = []
    if d.free_added or d.free_removed:
        notes.append(f"free resources: {len(d.free_added)} added, {len(d.free_removed)} removed")
    if d.not_priced_added:
        notes.append(f"⚠️ {len(d.not_priced_added)} added not priced (not counted)")
    if notes:
        rows += ["", "; ".join(notes).capitalize() + "."]
    return rows


def _violation_table(r: StackReport) -> list[str]:
    found = sorted(
        r.violations or (),
        key=lambda v: (v.get("enforcementLevel") != "mandatory", str(v.get("policyName"))),
    )
    if not found:
        return []
    rows = [
        f"Violations: {_violations_word(r)}",
        "",
        "| level | policy | resource | message |",
        "|---|---|---|---|",
    ]
    for v in found[:MAX_VIOLATION_ROWS]:
        message = str(v.get("message", ""))
        detail = message.split("\n", 1)[1] if "\n" in message else message
        rows.append(
            f"| {_plain(str(v.get('enforcementLevel', '')), 20)} "
            f"| {_code(str(v.get('policyName', '')))} "
            f"| {_code(_short_urn(str(v.get('urn', ''))))} | {_plain(detail)} |"
        )
    if len(found) > MAX_VIOLATION_ROWS:
        rows.append(f"| … | {len(found) - MAX_VIOLATION_ROWS} more | | |")
    return rows


def _details(summary: str, body: list[str]) -> list[str]:
    return ["", f"<details><summary>{summary}</summary>", "", *body, "", "</details>"]


def _change_list(changes: Changes) -> list[str]:
    items = [("+", u) for u in changes.added]
    items += [("-", u) for u in changes.removed]
    items += [("~", u) for u in changes.changed]
    lines = [f"{sign} {_short_urn(urn)}" for sign, urn in items[:MAX_CHANGE_ITEMS]]
    if len(items) > MAX_CHANGE_ITEMS:
        lines.append(f"… {len(items) - MAX_CHANGE_ITEMS} more")
    return _fence("\n".join(lines))


def _pieces(reports: Sequence[StackReport]) -> _Pieces:
    p = _Pieces()
    p.head = [TITLE, "", *(f"- {headline(r)}" for r in reports), "", verdict(reports)]
    for r in reports:
        if not r.shown:
            continue
        body: list[str] = ["", f"### `{r.stack}`", ""]
        if r.cost_diff is not None and not r.unchanged:
            body += _cost_table(r.cost_diff)
        elif r.cost_diff is None:
            body.append(f"No base plan to compare with: {money(r.cost.total)} a month as planned.")
        table = _violation_table(r) if (r.mandatory or not r.unchanged) else []
        if table:
            body += ["", *table]
        details: list[str] = []
        if r.changes is not None and r.changes.count:
            details += _details(
                f"Resources that change: {r.changes.describe()}", _change_list(r.changes)
            )
        if r.summary:
            details += _details("Change summary", _fence(r.summary))
        p.sections.append((body, details))
    return p


def render(
    reports: Sequence[StackReport], *, run_url: str | None = None, limit: int = MAX_CHARS
) -> str:
    """The comment, at most `limit` characters: the details are dropped (from the last stack
    back) first, then the end of the essentials is cut, each time with a link to the run."""
    p = _pieces(reports)
    where = f"[the workflow run]({run_url})" if run_url else "the workflow run"
    footer = ["", f"<sub>Full plans, policy reports and logs: {where}.</sub>"]

    def join(blocks: list[str]) -> str:
        return "\n".join(blocks) + "\n"

    essentials = list(p.head)
    for i in range(len(p.sections), -1, -1):  # i: the stacks that keep their details
        blocks = list(p.head)
        for j, (body, details) in enumerate(p.sections):
            blocks += body + (details if j < i else [])
        note = [] if i == len(p.sections) else [
            "",
            f"_Details left out to stay under GitHub's comment limit: see {where}._",
        ]  # fmt: skip
        text = join(blocks + note + footer)
        if len(text) <= limit:
            return text
        essentials = blocks
    # Even without details too long (a great many stacks): cut at a line, then say so. The
    # essentials hold no open block (fences and <details> are all in the details).
    cut_note = [
        "",
        f"**Truncated**: the comment would exceed GitHub's limit; the full report is in {where}.",
    ]
    room = limit - len(join(cut_note + footer))
    text = join(essentials)[:room]
    text = text[: text.rfind("\n") + 1] if "\n" in text else ""
    return text + join(cut_note + footer).lstrip("\n")


# -- command line ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m toolchain.pr_comment", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--dir", required=True, type=Path, help="the gate's folder")
    parser.add_argument(
        "--stack", action="append", required=True, type=stack_name, help="a stack (repeatable)"
    )
    parser.add_argument("--run-url", help="the workflow run, linked when details are left out")
    parser.add_argument("--out", type=Path, help="write here (default stdout)")
    parser.add_argument("--limit", type=int, default=MAX_CHARS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        # No --out may replace a file the comment is made from (a plan, the gate's result) nor
        # land in the agents' state folder (their audit log, key and records): checked before
        # anything is read, and again as it is written.
        inputs = [p for s in args.stack for p in stack_files(args.dir, s)]
        inputs += [latest_price_file(), DEFAULT_USAGE_FILE]
        protect = state_dirs()
        out = output_path(args.out, "comment", protect=protect, inputs=inputs) if args.out else None
        prices, usage = load_prices(), load_usage()
        reports = [load_stack(args.dir, s, prices=prices, usage=usage) for s in args.stack]
        text = render(reports, run_url=args.run_url, limit=args.limit)
        if out is not None:
            write_output(out, text, "comment", protect=protect, inputs=inputs)
        else:
            sys.stdout.write(text)
    except (InputError, OSError) as exc:
        print(f"error: {escape(str(exc))}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())

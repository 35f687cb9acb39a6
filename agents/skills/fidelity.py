"""Fidelity checks: does a skill's report still hold the facts of its input?

Each check is a plain function returning a list of problems (one sentence each, empty when the
report is faithful), so tests assert on the list and commands turn it into an error with
`require`. A gap is an error, not a warning: a summary that silently lost lines or facts would
mislead the reader it was made for. The checks are independent of each other; each skill has its
own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from agents import AgentsError

if TYPE_CHECKING:
    from agents.skills.logs import LogReport


class FidelityError(AgentsError):
    """A report that lost facts of its input (a bug in the skill, not in the user's input)."""


def require(problems: Sequence[str], what: str = "the report") -> None:
    """Raise `FidelityError` naming the first problem (and how many more) when there are any."""
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise FidelityError(f"{what} lost facts: {problems[0]}{more}")


# ---------------------------------------------------------------- logs


def check_log_report(
    report: LogReport, lines_read: int, assignments: Iterable[int] | None = None
) -> list[str]:
    """Problems with a `LogReport` of `lines_read` input lines: the report must account for
    every line (its count and the clusters' counts sum to `lines_read`), every cluster must have a
    template, an example and a line range inside the input, and cluster ids must be unique.
    With `assignments` (the cluster id of each line, as `analyze_logs` writes them), there must be
    one per line, each naming a cluster, and each cluster's count must be the number of lines
    assigned to it."""
    from agents.skills.logparse import MAX_TOKENS  # noqa: PLC0415 - only this check needs it
    from agents.skills.logs import EMPTY_TEMPLATE  # noqa: PLC0415

    # values one line can carry: one per token of its message, and one per field of a JSON or
    # logfmt line beside it, at most `MAX_TOKENS` each (a template's `<*>` may stand for a run
    # of several values, so its own tokens are no bound)
    per_line = 2 * MAX_TOKENS

    problems: list[str] = []
    if report.lines_read != lines_read:
        problems.append(f"the report read {report.lines_read} lines, the input has {lines_read}")
    total = sum(c.count for c in report.clusters)
    if total != lines_read:
        problems.append(f"the clusters hold {total} lines, the input has {lines_read}")
    ids = Counter(c.id for c in report.clusters)
    for cluster_id, n in ids.items():
        if n > 1:
            problems.append(f"cluster id {cluster_id} is used {n} times")
    for c in report.clusters:
        name = f"cluster {c.id}"
        if not c.template.strip():
            problems.append(f"{name} has no template")
        # a blank line's example is blank, and so is the other cluster's when it holds blank
        # lines alone (it takes a non-blank example whenever it has one: `_Group.absorb`)
        if not c.example and c.template != EMPTY_TEMPLATE and not c.other:
            problems.append(f"{name} has no example line")
        if c.count < 1:
            problems.append(f"{name} has {c.count} lines")
        if not 1 <= c.first_line <= c.last_line <= max(lines_read, 1):
            problems.append(
                f"{name} spans lines {c.first_line}..{c.last_line}, outside 1..{lines_read}"
            )
        for variable in c.variables:
            if sum(v.count for v in variable.top) > c.count * per_line:
                problems.append(f"{name} counts more {variable.kind} values than it has tokens")
    if assignments is not None:
        assigned: Counter[int] = Counter()
        n = 0
        for cluster_id in assignments:
            assigned[cluster_id] += 1
            n += 1
        if n != lines_read:
            problems.append(f"{n} assignments for {lines_read} lines")
        unknown = sorted(set(assigned) - set(ids))
        if unknown:
            problems.append(f"assignments name clusters that do not exist: {unknown[:5]}")
        for c in report.clusters:
            if assigned.get(c.id, 0) != c.count:
                problems.append(
                    f"cluster {c.id} counts {c.count} lines, {assigned.get(c.id, 0)} are assigned"
                )
    return problems


# ---------------------------------------------------------------- infrastructure summaries


def check_infra_summary(summary_or_text: Any, export: Any, violations: Any = None) -> list[str]:
    """Problems of an infrastructure summary against its stack export: every resource (by
    logical name), every stack output and every policy violation (its rule and resource on one
    line) must be named in the full text, and no secret's value may appear in it. The check
    itself lives beside the renderer (`agents.skills.summarize.check_summary`), which knows the
    notation; this is its name among the fidelity checks."""
    from agents.skills.summarize import check_summary  # noqa: PLC0415 - heavy; only this needs it

    return check_summary(summary_or_text, export, violations)

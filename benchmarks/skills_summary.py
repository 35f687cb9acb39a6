"""Token size of `summarize_infra` against the stack export it summarizes (o200k tokens).

Rows: the dev plan and the prod plan (each summarized with its real policy gate violations and
cost estimate, against its export file as `python -m agents plan` writes it), and two change sets
of the prod plan: against the dev plan (nearly everything differs) and against a mutated copy of
itself (a pull request's worth: one resource added, one removed, one replaced, one changed). For a
change set the export side is both files, what a reader would otherwise have to compare. The plans
are made in this process (not read from build/, which may be stale). Target: the prod plan's
summary at least 95% smaller than its export file.
Run: `.venv/bin/python benchmarks/skills_summary.py [--json]`.
"""

from __future__ import annotations

import copy
import json
import sys
from typing import Any

from tabulate import tabulate

from agents.skills.summarize import (
    check_summary,
    cost_estimate,
    policy_violations,
    render,
    summarize_infra,
)
from agents.skills.tokens import count
from toolchain.export import StackExport, parse_export
from toolchain.inputs import OneLineParser
from toolchain.plan import run_plan

TARGET_REDUCTION = {"prod plan": 95.0}


def export_text(export: StackExport) -> str:
    """The export file as `python -m agents plan` writes it."""
    return json.dumps(export.data, indent=2, sort_keys=True) + "\n"


def mutated(export: StackExport) -> StackExport:
    """A copy of an export with one change of each kind: a node group's maximum size changed, a
    subnet's CIDR changed (a replacement), an alarm removed and an interface endpoint added."""
    data = copy.deepcopy(export.data)
    resources = data["deployment"]["resources"]
    template = None
    for r in resources:
        name = r["urn"].rsplit("::", 1)[-1]
        if r["type"] == "aws:eks/nodeGroup:NodeGroup" and name.endswith("-system"):
            r["inputs"]["scalingConfig"]["maxSize"] = 9
        elif r["type"] == "aws:ec2/subnet:Subnet" and name.endswith("private-0"):
            r["inputs"]["cidrBlock"] = "10.0.96.0/19"
        elif r["type"] == "aws:ec2/vpcEndpoint:VpcEndpoint" and name.endswith("-sts"):
            template = r
    resources[:] = [r for r in resources if not r["urn"].endswith("::observability-db-cpu")]
    if template is not None:
        added = copy.deepcopy(template)
        added["urn"] = added["urn"].replace("-sts", "-ssm")
        added["inputs"]["serviceName"] = added["inputs"]["serviceName"].replace(".sts", ".ssm")
        resources.append(added)
    return parse_export(data, f"{export.source} (mutated)")


def _row(case: str, export_tokens: int, text: str, problems: list[str]) -> dict[str, Any]:
    tokens = count(text)
    reduction = 100 * (1 - tokens / export_tokens)
    target = TARGET_REDUCTION.get(case)
    return {
        "case": case,
        "export_tokens": export_tokens,
        "summary_tokens": tokens,
        "reduction_pct": round(reduction, 2),
        "target_pct": target,
        "meets_target": None if target is None else reduction >= target,
        "fidelity_problems": len(problems),
    }


def run() -> list[dict[str, Any]]:
    """One row per case: export tokens, summary tokens, reduction and fidelity problems."""
    plans = {stack: run_plan(stack).export for stack in ("dev", "prod")}
    rows = []
    for stack, export in plans.items():
        violations = policy_violations(export)
        summary = summarize_infra(export, violations=violations, cost=cost_estimate(export))
        text = render(summary)
        rows.append(
            _row(
                f"{stack} plan",
                count(export_text(export)),
                text,
                check_summary(text, export, violations),
            )
        )
    prod = plans["prod"]
    for case, baseline in (("prod vs dev", plans["dev"]), ("prod vs mutated prod", mutated(prod))):
        text = render(summarize_infra(prod, baseline=baseline))
        files = count(export_text(prod)) + count(export_text(baseline))
        rows.append(_row(case, files, text, check_summary(text, prod)))
    return rows


def main() -> int:
    parser = OneLineParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = run()
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        print(tabulate(rows, headers="keys", tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The skills' figures in one run: log clustering against drain3 on Loghub-2k (GA, FGA, lines/s,
raw and summary tokens) and on the held-out systems of `benchmarks/data/logs-heldout/`,
`logs-heldout-2/` to `logs-heldout-10/` (six each, systems Loghub lacks,
written without the clustering code), how its parameters generalise (leave-one-system-out,
random halves: `benchmarks/skills_loso.py`), the infrastructure summary's token reduction (dev,
prod, a plan diff), and memory retrieval
(recall@5, nDCG@5, tokens returned).

Run: `.venv/bin/python -m benchmarks.skills [--json] [--repeat N] [--quick]` (also `make bench`).
The log rows need `../shared/data/loghub-2k` (skipped with a line when absent); the rest needs
nothing.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from benchmarks import skills_logs, skills_loso, skills_memory, skills_summary
from toolchain.inputs import OneLineParser


def main() -> int:
    parser = OneLineParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="timed log runs per parser (best)")
    parser.add_argument("--data", type=Path, default=skills_logs.DEFAULT_DATA)
    parser.add_argument("--quick", action="store_true", help="a smaller leave-one-out grid")
    args = parser.parse_args()
    result: dict[str, Any] = {}
    print("log clustering (Loghub-2k, raw lines) ...", file=sys.stderr)
    result["logs"] = (
        skills_logs.with_mean(skills_logs.run(args.data, max(1, args.repeat)))
        if args.data.is_dir()
        else None
    )
    print("log clustering, held-out systems ...", file=sys.stderr)
    result["logs_heldout"] = {
        corpus.name: skills_logs.with_mean(skills_logs.run(corpus, max(1, args.repeat)))
        for corpus in skills_logs.HELDOUT_CORPORA
        if corpus.is_dir()
    }
    print("log clustering, leave-one-system-out and halves ...", file=sys.stderr)
    result["logs_generalisation"] = (
        skills_loso.run(args.data, quick=args.quick) if args.data.is_dir() else None
    )
    print("infrastructure summaries ...", file=sys.stderr)
    result["summary"] = skills_summary.run()
    print("memory retrieval ...", file=sys.stderr)
    result["memory"] = [skills_memory.run(corpus=c) for c in skills_memory.corpora(None)]
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    print("## Log clustering vs drain3 (defaults)")
    print(
        skills_logs.table(result["logs"])
        if result["logs"]
        else f"no Loghub-2k data at {args.data}: skipped"
    )
    for name, rows in result["logs_heldout"].items():
        print(f"\n## Log clustering vs drain3 on systems Loghub lacks (benchmarks/data/{name})")
        print(skills_logs.table(rows))
    if result["logs_generalisation"]:
        print("\n## Log clustering: in-sample, leave-one-system-out, random halves")
        print(skills_loso.table(result["logs_generalisation"]))
    print("\n## Infrastructure summary (o200k tokens)")
    print(tabulate(result["summary"], headers="keys", tablefmt="github"))
    for memory in result["memory"]:
        print(
            f"\n## Memory: {Path(memory['corpus']).name} ({memory['queries']} labelled queries, "
            f"budget {memory['budget']} tokens)"
        )
        print(tabulate(memory["rows"], headers="keys", tablefmt="github"))
        if memory["file rows"]:
            print("by runbook file:")
            print(tabulate(memory["file rows"], headers="keys", tablefmt="github"))
        corpus = memory["corpus tokens"]
        print(
            f"whole corpus: {corpus['files']} tokens as files, {corpus['indexed entries']} indexed"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Quality and speed of `analyze_logs` on Loghub-2k, beside drain3 with its default settings.

For each Loghub system (2,000 raw lines, `<System>_2k.log`, with the corrected ground truth
`<System>_2k.log_structured_corrected.csv`) both parsers get the same raw lines, headers and all;
only ours is expected to find the header itself. Reported per system: grouping accuracy (GA),
F1 over groups (FGA), lines per second (parsing only, the lines already in memory; best of
`--repeat` runs, ours and drain3's interleaved, each of ours from cold caches), drain3's GA on
the ground truth's `Content` column when it has one (the header cut off by Loghub's per-system
regex: the usual way drain3 is benchmarked, for reference), clusters found and true groups, and
o200k tokens of the raw file against those of our rendered summary (no budget). Then two summary
rows: the means, and the throughput of all systems together (total lines over total time).

- GA (the standard Loghub definition): the fraction of lines whose predicted cluster holds
  exactly the lines of their true group.
- FGA: the F1 of group precision (correct predicted clusters / predicted clusters) and group
  recall (correct / true groups), a cluster being correct when its line set is exactly a true
  group's.

Our analyzer runs with one configuration for every system; nothing here feeds the ground truth
back into it. `--data` may name another folder of the same layout (a ground truth of `EventId`
per line suffices), such as `benchmarks/data/logs-heldout/`. Run: `.venv/bin/python
benchmarks/skills_logs.py [--data DIR] [--repeat 3] [--json]`; without the data folder it says
so and exits 0.
"""

from __future__ import annotations

import argparse
import csv
import json
import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from agents.skills import tokens
from agents.skills.logparse import clear_caches
from agents.skills.logs import analyze_logs, render

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data" / "loghub-2k"


# ---------------------------------------------------------------- metrics


def _groups(labels: Sequence[Hashable]) -> dict[Hashable, frozenset[int]]:
    groups: dict[Hashable, set[int]] = defaultdict(set)
    for line, label in enumerate(labels):
        groups[label].add(line)
    return {label: frozenset(lines) for label, lines in groups.items()}


def grouping_accuracy(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> float:
    """GA: the fraction of lines whose predicted group is exactly their true group."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} lines")
    if not truth:
        return 1.0
    true_sets = set(_groups(truth).values())
    correct = sum(len(lines) for lines in _groups(predicted).values() if lines in true_sets)
    return correct / len(truth)


def f1_grouping_accuracy(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> float:
    """FGA: F1 of precision (correct / predicted groups) and recall (correct / true groups)."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predictions for {len(truth)} lines")
    if not truth:
        return 1.0
    true_sets = set(_groups(truth).values())
    predicted_sets = list(_groups(predicted).values())
    correct = sum(1 for lines in predicted_sets if lines in true_sets)
    if correct == 0:
        return 0.0
    precision = correct / len(predicted_sets)
    recall = correct / len(true_sets)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- data


def systems(data_dir: Path) -> list[str]:
    return sorted(
        p.name for p in data_dir.iterdir() if p.is_dir() and (p / f"{p.name}_2k.log").is_file()
    )


def load(data_dir: Path, system: str) -> tuple[list[str], list[str]]:
    """The raw lines of a system and the true event id of each."""
    folder = data_dir / system
    lines = (folder / f"{system}_2k.log").read_text(encoding="utf-8").splitlines()
    truth_file = next(folder.glob(f"{system}_2k.log_structured*.csv"))
    with truth_file.open(encoding="utf-8", newline="") as handle:
        truth = [row["EventId"] for row in csv.DictReader(handle)]
    if len(truth) != len(lines):
        raise ValueError(f"{system}: {len(lines)} lines but {len(truth)} labels")
    return lines, truth


def load_content(data_dir: Path, system: str) -> list[str] | None:
    """The messages of a system as the ground truth splits them from their headers (its
    `Content` column): what drain3 is usually benchmarked on, with the header already gone;
    None when the ground truth has no such column (a corpus of templates only)."""
    truth_file = next((data_dir / system).glob(f"{system}_2k.log_structured*.csv"))
    with truth_file.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and "Content" not in rows[0]:
        return None
    return [row["Content"] for row in rows]


# ---------------------------------------------------------------- parsers


def ours(lines: list[str]) -> list[int]:
    clear_caches()  # a cold start each run: 2,000 lines are few enough for the caches to matter
    out = _Lines()
    analyze_logs(lines, assignments=out)
    return out.ids


class _Lines:
    """A text sink that keeps the cluster ids `analyze_logs` writes."""

    def __init__(self) -> None:
        self.ids: list[int] = []

    def write(self, text: str) -> int:
        self.ids.extend(int(x) for x in text.split())
        return len(text)


def drain3_defaults(lines: list[str]) -> list[int]:
    from drain3 import TemplateMiner  # noqa: PLC0415 - a benchmark-only dependency
    from drain3.template_miner_config import TemplateMinerConfig  # noqa: PLC0415

    logging.getLogger("drain3").setLevel(logging.ERROR)  # it logs every new cluster
    miner = TemplateMiner(config=TemplateMinerConfig())  # defaults, no drain3.ini
    # a line's cluster is the one it joined: drain3 clusters only generalise, never merge
    return [miner.add_log_message(line)["cluster_id"] for line in lines]


def _timed_pair(lines: list[str], repeat: int) -> tuple[list[int], float, list[int], float]:
    """Our labels and lines/s, then drain3's: best of `repeat` runs each, interleaved (ours,
    drain3, ours, ...) so that a burst of load on a shared machine hits both alike."""
    best = {"ours": float("inf"), "drain3": float("inf")}
    labels: dict[str, list[int]] = {}
    for _ in range(repeat):
        for name, parser in (("ours", ours), ("drain3", drain3_defaults)):
            started = time.perf_counter()
            labels[name] = parser(lines)
            best[name] = min(best[name], time.perf_counter() - started)
    return (
        labels["ours"],
        len(lines) / best["ours"],
        labels["drain3"],
        len(lines) / best["drain3"],
    )


def _raw_tokens(lines: list[str]) -> int:
    # in chunks: the encoder refuses texts over 200,000 tokens; a chunk boundary falls on a
    # newline, where no token spans anyway
    chunks = ("\n".join(lines[i : i + 200]) + "\n" for i in range(0, len(lines), 200))
    return sum(tokens.count(chunk) for chunk in chunks)


def run(data_dir: Path | str = DEFAULT_DATA, repeat: int = 3) -> list[dict[str, Any]]:
    """One row per system (see the module docstring); no rows when `data_dir` is absent."""
    data = Path(data_dir)
    if not data.is_dir():
        return []
    rows = []
    for system in systems(data):
        lines, truth = load(data, system)
        predicted, speed, drained, drain_speed = _timed_pair(lines, repeat)
        summary = render(analyze_logs(lines, source=system))
        content = load_content(data, system)
        rows.append(
            {
                "system": system,
                "lines": len(lines),
                "ga": grouping_accuracy(predicted, truth),
                "fga": f1_grouping_accuracy(predicted, truth),
                "lines_per_s": speed,
                "drain3_ga": grouping_accuracy(drained, truth),
                "drain3_fga": f1_grouping_accuracy(drained, truth),
                "drain3_lines_per_s": drain_speed,
                **(
                    {"drain3_content_ga": grouping_accuracy(drain3_defaults(content), truth)}
                    if content is not None
                    else {}
                ),
                "clusters": len(set(predicted)),
                "true_groups": len(set(truth)),
                "raw_tokens": _raw_tokens(lines),
                "summary_tokens": tokens.count(summary),
            }
        )
    return rows


def with_mean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` and two summary rows: "mean", the arithmetic mean of every column (the quality
    targets are on mean GA and FGA), and "all", the throughput of all systems together (total
    lines over total time, which a single slow or fast system cannot dominate)."""
    if not rows:
        return rows
    mean: dict[str, Any] = {"system": "mean"}
    for key, value in rows[0].items():
        if isinstance(value, int | float) and key != "system":
            mean[key] = statistics.fmean(r[key] for r in rows if key in r)
    pooled: dict[str, Any] = {"system": "all"}
    lines = sum(r["lines"] for r in rows)
    for key in ("lines_per_s", "drain3_lines_per_s"):
        pooled[key] = lines / sum(r["lines"] / r[key] for r in rows)
    return [*rows, mean, pooled]


def table(rows: list[dict[str, Any]]) -> str:
    headers = [
        "system",
        "GA",
        "FGA",
        "lines/s",
        "drain3 GA",
        "drain3 FGA",
        "drain3 lines/s",
        "drain3 GA content",
        "clusters",
        "true",
        "raw tok",
        "summary tok",
    ]

    def cell(row: dict[str, Any], key: str, form: str) -> str:
        return format(row[key], form) if key in row else ""

    body = [
        [
            r["system"],
            cell(r, "ga", ".3f"),
            cell(r, "fga", ".3f"),
            cell(r, "lines_per_s", ",.0f"),
            cell(r, "drain3_ga", ".3f"),
            cell(r, "drain3_fga", ".3f"),
            cell(r, "drain3_lines_per_s", ",.0f"),
            cell(r, "drain3_content_ga", ".3f"),
            cell(r, "clusters", ".0f"),
            cell(r, "true_groups", ".0f"),
            cell(r, "raw_tokens", ",.0f"),
            cell(r, "summary_tokens", ",.0f"),
        ]
        for r in rows
    ]
    return tabulate(body, headers=headers, disable_numparse=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the loghub-2k folder")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per parser (best)")
    parser.add_argument("--json", action="store_true", help="rows as JSON instead of a table")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skills_logs: no Loghub-2k data at {args.data}; nothing to measure")
        return 0
    rows = with_mean(run(args.data, max(1, args.repeat)))
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

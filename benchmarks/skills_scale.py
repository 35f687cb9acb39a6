"""Log clustering at scale beside drain3: seconds, lines per second and peak memory on a million
lines of real systems' shapes.

For each Loghub-2k system, `--lines` lines (default 1,000,000) are made from its 2,000 raw lines:
pass after pass over them, each pass with its digits renumbered by a seeded random permutation of
0-9, so values (ids, counts, addresses, times) change from pass to pass while every line keeps the
shape of a line the system wrote. Both parsers read the same lines, generated as they are read
(none is held in memory), in a fresh process each (`--measure`), so the peak RSS (`ru_maxrss`) is
the parser's and the interpreter's own; the start RSS (after imports) is printed beside it. Ours
is `analyze_logs` (peak RSS once clustered, compared with drain3's) then `render` under a
4,000-token budget (peak RSS again: rendering loads the o200k encoder, about 130 MB whatever the
input); drain3 runs with its defaults (`add_log_message` per line). CPU seconds of clustering are
compared (wall time on a shared machine moves with the neighbours); the render's are printed
apart: about half a second, nearly all of it loading the encoder, whatever the input's size, which
drain3 has no counterpart of (measured within the clustering it would weigh on short inputs only).

Run: `.venv/bin/python -m benchmarks.skills_scale [--lines N] [--systems A,B] [--json]`;
`--quick` is 200,000 lines of three systems. Without the data folder it says so and exits 0.

`--floor` measures what a tenth of drain3's time per line leaves (the issue's 10x), beside the
least work any parser in CPython must do per line, each in a fresh process over the same lines:
`read` (the generator alone: the lines arriving), `split` (each line split into tokens by
`str.split`, nothing else: the first step of ours and of drain3), `shapes` (no split at all: a
chunk of 4,096 lines joined, encoded, its digits read as 0 by `bytes.translate`, split back into
lines and each line's shape counted by `Counter`, all in C: about the least that tells lines'
events apart, with no value read, counted or kept). The loops run in the interpreter; their own
per-line overhead is in `read`. Where `split` is over the budget, no design that tokenizes each
line reaches 10x in CPython; where `shapes` is too, no design that looks at each line does.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

from tabulate import tabulate

from benchmarks.bounds import measured_in_child, peak_mb
from benchmarks.skills_logs import DEFAULT_DATA, compiled_note, load, systems
from toolchain.inputs import OneLineParser

LINES = 1_000_000
QUICK_LINES = 200_000
QUICK_SYSTEMS = ("BGL", "HDFS", "OpenStack")
BUDGET = 4_000
FLOORS = ("read", "split", "shapes")  # `--floor`'s loops, least work first
_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")


def renumbered(lines: Sequence[str], count: int, seed: int = 11) -> Iterator[str]:
    """`count` lines: passes over `lines`, each with its digits permuted at random (seeded).

    A pass is made at once, as bytes (`bytes.translate`, then split), and only one pass is held:
    0.2-0.3 µs a line with the generator's own steps. Translating each line as a string (as this
    did before, with the same output) cost 2.7-4.2 µs a line, inside both parsers' measured time:
    more than half of ours on HDFS, which hid most of the difference between them."""
    rng = random.Random(seed)
    produced = 0
    digits = list("0123456789")
    block = "\n".join(lines).encode("utf-8", "surrogatepass")  # no line holds a line break
    batch: Sequence[str] = lines
    while produced < count:
        if produced:
            rng.shuffle(digits)
            table = bytes.maketrans(b"0123456789", "".join(digits).encode())
            batch = block.translate(table).decode("utf-8", "surrogatepass").split("\n")
        for line in batch:
            if produced >= count:
                return
            produced += 1
            yield line


def floor_loop(name: str, lines: Iterator[str]) -> int:
    """One of `FLOORS` over `lines`: the number of lines read (`read`, `split`) or of distinct
    line shapes counted (`shapes`), so the work cannot be skipped."""
    if name == "read":
        return sum(1 for _ in lines)
    if name == "split":
        return sum(1 for line in lines if line.split() is not None)
    if name == "shapes":
        shapes: Counter[bytes] = Counter()
        while chunk := list(islice(lines, 4096)):
            block = "\n".join(chunk).encode("utf-8", "surrogatepass").translate(_ZERO_DIGITS)
            shapes.update(block.split(b"\n"))
        return len(shapes)
    raise ValueError(f"unknown floor {name!r}")


def measure(parser: str, system: str, count: int, data: Path) -> dict[str, Any]:
    """One parser (or one of `FLOORS`) over one system's `count` lines, in this process."""
    lines, _ = load(data, system)
    if parser in FLOORS:
        cpu = time.process_time()
        result = floor_loop(parser, renumbered(lines, count))
        return {"cpu_seconds": time.process_time() - cpu, "result": result}
    compiled = False
    if parser == "ours":
        from agents.skills import compiled as is_compiled  # noqa: PLC0415
        from agents.skills.logs import analyze_logs, render  # noqa: PLC0415

        compiled = is_compiled()

        start_mb = peak_mb()
        started, cpu = time.perf_counter(), time.process_time()
        report = analyze_logs(renumbered(lines, count), source=system)
        clustered_mb, clustered_cpu = peak_mb(), time.process_time()
        render(report, BUDGET)  # loads the o200k encoder: a fixed cost, whatever the lines
        render_cpu = time.process_time() - clustered_cpu
        clusters = len(report.clusters)
    elif parser == "drain3":
        from drain3 import TemplateMiner  # noqa: PLC0415 - a benchmark-only dependency
        from drain3.template_miner_config import TemplateMinerConfig  # noqa: PLC0415

        logging.getLogger("drain3").setLevel(logging.ERROR)
        miner = TemplateMiner(config=TemplateMinerConfig())
        start_mb = peak_mb()
        started, cpu = time.perf_counter(), time.process_time()
        for line in renumbered(lines, count):
            miner.add_log_message(line)
        clusters = len(miner.drain.clusters)
        clustered_mb, clustered_cpu, render_cpu = peak_mb(), time.process_time(), 0.0
    else:
        raise ValueError(f"unknown parser {parser!r}")
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": clustered_cpu - cpu,  # clustering alone, as drain3's
        "render_cpu_seconds": render_cpu,
        "peak_rss_mb": peak_mb(),
        "clustered_rss_mb": clustered_mb,
        "start_rss_mb": start_mb,
        "clusters": clusters,
        "compiled": compiled,
    }


def _child(parser: str, system: str, count: int, data: Path) -> dict[str, Any]:
    return measured_in_child(
        "benchmarks.skills_scale",
        ["--measure", parser, system, "--lines", str(count), "--data", str(data)],
        f"skills_scale: {parser} {system}",
    )


def run(data: Path, names: Sequence[str], count: int) -> list[dict[str, Any]]:
    rows = []
    for system in names:
        print(f"skills_scale: {system}, {count:,} lines ...", file=sys.stderr, flush=True)
        ours = _child("ours", system, count, data)
        drain = _child("drain3", system, count, data)
        rows.append(
            {
                "system": system,
                "lines": count,
                "ours_lines_per_cpu_s": count / ours["cpu_seconds"],
                "drain3_lines_per_cpu_s": count / drain["cpu_seconds"],
                "speedup": drain["cpu_seconds"] / ours["cpu_seconds"],
                "ours_render_cpu_s": ours["render_cpu_seconds"],
                "ours_clustered_rss_mb": ours["clustered_rss_mb"],
                "ours_peak_rss_mb": ours["peak_rss_mb"],
                "drain3_peak_rss_mb": drain["peak_rss_mb"],
                "rss_ratio": ours["clustered_rss_mb"] / drain["peak_rss_mb"],
                "ours_start_rss_mb": ours["start_rss_mb"],
                "drain3_start_rss_mb": drain["start_rss_mb"],
                "ours_clusters": ours["clusters"],
                "drain3_clusters": drain["clusters"],
                "compiled": ours["compiled"],
            }
        )
    return rows


def floor_rows(data: Path, names: Sequence[str], count: int) -> list[dict[str, Any]]:
    """Per system: drain3's and ours' µs a line, the 10x budget, and each floor's."""
    rows = []
    for system in names:
        print(f"skills_scale: floors of {system}, {count:,} lines ...", file=sys.stderr, flush=True)
        us = {
            parser: _child(parser, system, count, data)["cpu_seconds"] * 1e6 / count
            for parser in ("drain3", "ours", *FLOORS)
        }
        rows.append({"system": system, "lines": count, "budget_10x_us": us["drain3"] / 10} | us)
    return rows


def floor_table(rows: list[dict[str, Any]]) -> str:
    names = ("drain3", "budget_10x_us", *FLOORS, "ours")
    body = [[r["system"], f"{r['lines']:,}", *(f"{r[n]:.2f}" for n in names)] for r in rows]
    headers = ["system", "lines", "drain3 µs/line", "10x budget µs/line"]
    headers += [f"{n} µs/line" for n in FLOORS] + ["ours µs/line"]
    return tabulate(body, headers=headers, disable_numparse=True)


def table(rows: list[dict[str, Any]]) -> str:
    body = [
        [
            r["system"],
            f"{r['lines']:,}",
            f"{r['ours_lines_per_cpu_s']:,.0f}",
            f"{r['drain3_lines_per_cpu_s']:,.0f}",
            f"{r['speedup']:.1f}x",
            f"{r['ours_render_cpu_s']:.2f}",
            f"{r['ours_clustered_rss_mb']:.0f} ({r['ours_start_rss_mb']:.0f})",
            f"{r['ours_peak_rss_mb']:.0f}",
            f"{r['drain3_peak_rss_mb']:.0f} ({r['drain3_start_rss_mb']:.0f})",
            f"{r['rss_ratio']:.2f}",
            r["ours_clusters"],
            r["drain3_clusters"],
        ]
        for r in rows
    ]
    headers = [
        "system",
        "lines",
        "ours lines/cpu-s",
        "drain3 lines/cpu-s",
        "speed-up",
        "ours render CPU-s",
        "ours peak MB clustered (start)",
        "ours peak MB rendered",
        "drain3 peak MB (start)",
        "RSS clustered ours/drain3",
        "ours clusters",
        "drain3 clusters",
    ]
    return tabulate(body, headers=headers, disable_numparse=True) + compiled_note(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the loghub-2k folder")
    parser.add_argument("--lines", type=int, default=None, help=f"lines per system ({LINES:,})")
    parser.add_argument("--systems", default="", help="comma-separated (default: all)")
    parser.add_argument("--quick", action="store_true", help="200k lines of three systems")
    parser.add_argument("--json", action="store_true", help="rows as JSON instead of a table")
    parser.add_argument("--floor", action="store_true", help="10x budget, CPython floor")
    parser.add_argument("--measure", nargs=2, metavar=("PARSER", "SYSTEM"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"skills_scale: no Loghub-2k data at {args.data}; nothing to measure")
        return 0
    count = args.lines or (QUICK_LINES if args.quick else LINES)
    if args.measure:
        print(json.dumps(measure(args.measure[0], args.measure[1], count, args.data)))
        return 0
    names = [n for n in args.systems.split(",") if n] or (
        list(QUICK_SYSTEMS) if args.quick else systems(args.data)
    )
    if args.floor:
        rows = floor_rows(args.data, names, count)
        print(json.dumps(rows, indent=2) if args.json else floor_table(rows))
        return 0
    rows = run(args.data, names, count)
    print(json.dumps(rows, indent=2) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

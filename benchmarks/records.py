"""The records that outlive the pod, measured: findings and memory on PostgreSQL beside SQLite,
and the audit log through the CloudWatch Logs sink.

- Finding upserts per second: `observe()` passes of 50 findings each (half new, half seen again),
  one process, at a store already holding N open findings (10k, 100k), on SQLite (WAL, one file)
  and on PostgreSQL (one connection, TLS verified, on this machine: no network latency, so these
  are the stores' own costs; a real RDS adds a round trip, about a millisecond, per statement).
- Memory search latency p50/p99 over 200 queries drawn from the entries' own words, at N entries
  (10k, 100k), each store; entries are generated text (40 words and a title of 5, drawn by
  Zipf's law from 4,000 words, ops words the most common) written by this script; queries are
  2 to 6 words drawn the same way.
- Audit records per second: `AuditLog.append` (chained, fsynced, flock-serialized) alone, then
  the drain of those records through `CloudWatchSink` to a local moto server (one process; the
  figure is the agent's side: batching, parsing, the HTTP calls to moto).

PostgreSQL runs on a throwaway server (tests/postgres_server.py: it needs the PostgreSQL
binaries), moto on a local server process. Run:
`.venv/bin/python -m benchmarks.records [--sizes 10000 100000] [--json]` (about 4 minutes at
100k; `--quick` for 2,000 and 10,000).
"""

from __future__ import annotations

import datetime
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tabulate import tabulate

from agents.protocol.audit import AuditLog
from agents.protocol.findings import Finding, FindingStore
from agents.protocol.postgres import Target
from toolchain.inputs import OneLineParser

SEED = 20261205
PASS_SIZE = 50
QUERIES = 200
OPS_WORDS = (  # noqa: SIM905 - prose reads better than 96 quoted words
    "rds storage alarm disk full latency replica backup snapshot restore cross region copy "
    "eks node group karpenter spot interruption consolidation drain pod eviction oom kill "
    "memory pressure cpu throttle nat gateway egress cost vpc flow log subnet route table "
    "iam role policy wildcard principal kms key rotation secret manager password rotation "
    "cloudwatch log group retention encryption alb target unhealthy health check timeout "
    "certificate expiry dns record drift refresh preview approval lease lock cooldown "
    "breaker open failing deploy rollback canary release pipeline policy violation security "
    "group ingress world open port ssh database connection pool exhausted slow query index"
).split()
SYLLABLES = "ka lo mi ne ru ta vo shi den gar pol tek zun bri mar fel ost".split()  # noqa: SIM905
VOCABULARY = 4000


def vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    """Ops words first, then made-up words, drawn with Zipf's law (weight 1/rank) as words of
    real text are: a few very common, most rare."""
    words = list(dict.fromkeys(OPS_WORDS))
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in words:
            words.append(word)
    return words, [1 / (rank + 1) for rank in range(len(words))]


WORDS, WEIGHTS = vocabulary(random.Random(SEED))


def _text(rng: random.Random, n: int) -> str:
    words = rng.choices(WORDS, WEIGHTS, k=n)
    # A long tail of rarer words, as real findings carry ids and names.
    words += [f"res{rng.randrange(5000)}" for _ in range(3)]
    return " ".join(words)


@contextmanager
def postgres() -> Iterator[Callable[[], Target]]:
    """A throwaway server; each call of the yielded function gives a fresh database's target."""
    from tests.postgres_server import PASSWORD, SUPERUSER, running_server  # noqa: PLC0415

    with running_server() as server:

        def fresh() -> Target:
            return Target(
                host="127.0.0.1",
                port=server.port,
                database=server.fresh_database(),
                user=SUPERUSER,
                password=lambda: PASSWORD,
                sslrootcert=server.ca,
            )

        yield fresh


def _finding(rng: random.Random, i: int) -> Finding:
    return Finding(
        kind=rng.choice(("alarm.firing", "backup.no-dr-copy", "drift.resource", "iam.wildcard")),
        severity=rng.choice(("high", "medium", "low")),
        stack="prod",
        resource=f"urn:pulumi:prod::baseline::aws:x:Y::r{i}",
        summary=_text(rng, 8),
        evidence={"i": i},
    )


def bench_findings(store: Any, size: int, passes: int) -> float:
    """Upserts per second once the store holds `size` open findings (one persona per 1,000)."""
    rng = random.Random(SEED)
    for start in range(0, size, 1000):
        persona = f"p{start // 1000}"
        store.observe(persona, "prod", (), [_finding(rng, start + i) for i in range(1000)])
    started = time.perf_counter()
    for n in range(passes):
        persona = f"p{n % max(1, size // 1000)}"
        base = (n % max(1, size // 1000)) * 1000
        seen = [_finding(rng, base + i) for i in range(PASS_SIZE // 2)]
        new = [_finding(rng, size + n * PASS_SIZE + i) for i in range(PASS_SIZE // 2)]
        store.observe(persona, "prod", (), seen + new)
    return passes * PASS_SIZE / (time.perf_counter() - started)


def bench_memory(memory: Any, size: int) -> tuple[float, float, float]:
    """(add seconds, search p50 ms, search p99 ms) at `size` entries."""
    rng = random.Random(SEED)
    when = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
    started = time.perf_counter()
    kinds = ("finding", "incident", "runbook", "decision")
    for i in range(size):
        memory.add(
            kinds[i % 4],
            _text(rng, 40),
            source=f"bench#{i}",
            time=when,
            stack=("dev", "prod", None)[i % 3],
            title=_text(rng, 5),
        )
    added = time.perf_counter() - started
    latencies = []
    for _ in range(QUERIES):
        query = " ".join(rng.choices(WORDS, WEIGHTS, k=rng.randint(2, 6)))
        t0 = time.perf_counter()
        memory.search(query, k=5)
        latencies.append((time.perf_counter() - t0) * 1000)
    latencies.sort()
    return added, statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1]


def bench_audit(records: int) -> tuple[float, float]:
    """(appends/s, records drained to the sink/s)."""
    from agents.protocol.audit_sink import CloudWatchSink  # noqa: PLC0415
    from agents.protocol.locks.localdb import LocalDynamoDB  # noqa: PLC0415
    from agents.protocol.settings import AgentSettings  # noqa: PLC0415

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    os.environ.pop("AWS_PROFILE", None)
    with tempfile.TemporaryDirectory() as tmp, LocalDynamoDB() as server:
        settings = AgentSettings(
            state_dir=Path(tmp),
            audit_sink="cloudwatch",
            audit_log_group="/baseline/bench/agents/audit",
            audit_endpoint_url=server.endpoint_url,
        )
        sink = CloudWatchSink(settings)
        sink.client.create_log_group(logGroupName=settings.audit_log_group)
        log = AuditLog(settings.audit_log, "bench")
        started = time.perf_counter()
        for i in range(records):
            log.append("operation.step", stack="prod", persona="release-engineer", step=i)
        appended = records / (time.perf_counter() - started)
        started = time.perf_counter()
        report = sink.drain()
        drained = report.delivered / (time.perf_counter() - started)
        if report.error or report.remaining:
            raise SystemExit(f"records: the drain did not finish: {report.error}")
    return appended, drained


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--quick", action="store_true", help="2,000 and 10,000 entries")
    parser.add_argument("--passes", type=int, default=40)
    parser.add_argument("--audit-records", type=int, default=5000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    sizes = [2_000, 10_000] if args.quick else args.sizes
    from agents.protocol.findings_postgres import PostgresFindingStore  # noqa: PLC0415
    from agents.skills.memory import Memory  # noqa: PLC0415
    from agents.skills.memory_postgres import PostgresMemory  # noqa: PLC0415

    rows: list[dict[str, Any]] = []
    with postgres() as fresh, tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            for store_name in ("sqlite", "postgres"):
                print(f"records: {store_name} at {size:,} entries ...", file=sys.stderr, flush=True)
                if store_name == "sqlite":
                    findings: Any = FindingStore(Path(tmp) / f"f{size}.sqlite")
                    memory: Any = Memory(Path(tmp) / f"m{size}.sqlite")
                else:
                    findings = PostgresFindingStore(fresh())
                    memory = PostgresMemory(fresh())
                with findings, memory:
                    upserts = bench_findings(findings, size, args.passes)
                    added, p50, p99 = bench_memory(memory, size)
                rows.append(
                    {
                        "store": store_name,
                        "entries": size,
                        "findingUpsertsPerS": round(upserts),
                        "memoryAddPerS": round(size / added),
                        "searchP50Ms": round(p50, 2),
                        "searchP99Ms": round(p99, 2),
                    }
                )
    print("records: the audit log through the sink ...", file=sys.stderr, flush=True)
    appended, drained = bench_audit(args.audit_records)
    audit = {
        "records": args.audit_records,
        "appendsPerS": round(appended),
        "drainedPerS": round(drained),
    }
    if args.json:
        print(json.dumps({"stores": rows, "audit": audit}, indent=2))
        return 0
    print(
        tabulate(
            [list(r.values()) for r in rows],
            headers=[
                "store",
                "entries",
                "finding upserts/s",
                "memory adds/s",
                "search p50 ms",
                "search p99 ms",
            ],
            tablefmt="github",
            intfmt=",",
        )
    )
    print()
    print(
        tabulate(
            [[audit["records"], audit["appendsPerS"], audit["drainedPerS"]]],
            headers=["audit records", "appends/s (chained, fsynced)", "to the sink/s (moto)"],
            tablefmt="github",
            intfmt=",",
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

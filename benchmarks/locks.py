"""Latency and throughput of the stack locks under contention, per backend.

N processes (spawned, started together) each loop for a fixed time over: acquire the stack (waiting
in the queue, polling every `--poll-ms`), hold it for `--hold-ms`, release it. Reported per backend
and process count: acquire latency (from the call until the lease is granted, queueing included)
and release latency, p50 and p95, and throughput (lease hand-overs per second, all processes
together). The DynamoDB backend runs against a local moto server (`agents.protocol.locks.localdb`)
on
127.0.0.1, so its figures measure the protocol's round trips through moto, not AWS's latency.

Run: `.venv/bin/python benchmarks/locks.py [--processes 1 8] [--seconds 3] [--json]`.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from tabulate import tabulate

from agents.protocol.locks import new_owner
from agents.protocol.locks.base import PollingBackend
from agents.protocol.locks.dynamodb import DynamoDBLockBackend, dynamodb_client, ensure_table
from agents.protocol.locks.file import FileLockBackend
from agents.protocol.locks.localdb import LocalDynamoDB
from toolchain.inputs import OneLineParser

REGION = "us-east-1"
STACK = "bench"
# Dummy credentials for the local server; never a real account.
LOCAL_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def _backend(store: dict[str, Any]) -> PollingBackend:
    if store["backend"] == "file":
        return FileLockBackend(Path(store["locks_dir"]))
    return DynamoDBLockBackend(dynamodb_client(REGION, store["endpoint"]), store["table"])


def _worker(store: dict[str, Any], options: dict[str, Any], barrier: Any, results: Any) -> None:
    backend = _backend(store)
    owner = new_owner("release-engineer")
    acquire_s: list[float] = []
    release_s: list[float] = []
    barrier.wait()
    stop_at = time.perf_counter() + options["seconds"]
    while time.perf_counter() < stop_at:
        started = time.perf_counter()
        lease = backend.acquire(
            STACK,
            owner=owner,
            persona="release-engineer",
            operation="up",
            priority=100,
            ttl_s=60.0,
            wait_s=600.0,
            poll_s=options["poll_s"],
        )
        acquired = time.perf_counter()
        if options["hold_s"]:
            time.sleep(options["hold_s"])
        held = time.perf_counter()
        backend.release(lease)
        acquire_s.append(acquired - started)
        release_s.append(time.perf_counter() - held)
    results.put((acquire_s, release_s))


def _percentile(values: list[float], pct: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


def measure(store: dict[str, Any], processes: int, options: dict[str, Any]) -> dict[str, Any]:
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(processes + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(store, options, barrier, results))
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    started = time.perf_counter()
    acquire_s: list[float] = []
    release_s: list[float] = []
    for _ in procs:
        acq, rel = results.get()
        acquire_s += acq
        release_s += rel
    wall = time.perf_counter() - started
    for proc in procs:
        proc.join()
    return {
        "backend": store["backend"],
        "processes": processes,
        "cycles": len(acquire_s),
        "acquire_p50_ms": round(_percentile(acquire_s, 50) * 1000, 2),
        "acquire_p95_ms": round(_percentile(acquire_s, 95) * 1000, 2),
        "release_p50_ms": round(_percentile(release_s, 50) * 1000, 2),
        "release_p95_ms": round(_percentile(release_s, 95) * 1000, 2),
        "ops_per_s": round(len(acquire_s) / wall, 1),
    }


def main() -> int:
    parser = OneLineParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--backends", nargs="+", choices=["file", "dynamodb"])
    parser.add_argument("--hold-ms", type=float, default=0.0, help="time each lease is held")
    parser.add_argument("--poll-ms", type=float, default=None, help="default: file 5, dynamodb 100")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    backends = args.backends or ["file", "dynamodb"]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for backend in backends:
            poll_ms = args.poll_ms or (5.0 if backend == "file" else 100.0)
            options = {
                "seconds": args.seconds,
                "hold_s": args.hold_ms / 1000,
                "poll_s": poll_ms / 1000,
            }
            for processes in args.processes:
                if backend == "file":
                    store = {"backend": "file", "locks_dir": str(Path(tmp) / uuid.uuid4().hex)}
                    rows.append({**measure(store, processes, options), "poll_ms": poll_ms})
                    continue
                os.environ.update(LOCAL_AWS_ENV)
                with LocalDynamoDB() as db:
                    table = f"bench-{uuid.uuid4().hex[:8]}"
                    ensure_table(dynamodb_client(REGION, db.endpoint_url), table)
                    store = {"backend": "dynamodb", "endpoint": db.endpoint_url, "table": table}
                    rows.append({**measure(store, processes, options), "poll_ms": poll_ms})
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        print()
    else:
        print(tabulate(rows, headers="keys", tablefmt="github"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

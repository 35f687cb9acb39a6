"""Eight agent processes hammer one stack through a real backend (files; DynamoDB on a local moto
server shared by the processes). Each operation logs its start and end, with its fencing token, to
one shared audit log; the log must then show no two operations overlapping, tokens strictly
increasing, the queue served in priority order, and no persona running an operation again within
its cooldown.

The run is bounded (a couple of seconds of contention per backend), and nothing asserts how long
anything took: the checks compare events with each other.
"""

from __future__ import annotations

import itertools
import multiprocessing
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from agents.protocol.audit import AuditLog
from baseline.personas import persona
from tests.agents.protocol.locks import workers

# Two processes per persona (so a cooldown must hold across processes), priorities as shipped.
AGENTS = (
    ("release-engineer", ("up", "preview", "refresh")),
    ("reliability-engineer", ("drift-check", "preview", "outputs")),
    ("master-architect", ("preview", "outputs")),
    ("cost-optimizer", ("preview", "outputs")),
)
PROCESSES_PER_PERSONA = 2
# Shipped cooldowns are minutes; scaled down so that they bite within the run.
COOLDOWN_SCALE = 1 / 2000
RUN_S = 2.5
# moto serves a few hundred requests a second, one at a time: DynamoDB waiters poll less often.
POLL_S = {"file": 0.005, "dynamodb": 0.1}


def _specs(store: dict[str, Any], audit: Path) -> list[dict[str, Any]]:
    specs = []
    for name, operations in AGENTS:
        p = persona(name)
        cooldowns = {op: p.cooldowns[op] * COOLDOWN_SCALE for op in operations}
        for _ in range(PROCESSES_PER_PERSONA):
            specs.append(
                {
                    **store,
                    "audit": str(audit),
                    "persona": name,
                    "priority": p.priority,
                    "cooldowns": cooldowns,
                    "run_s": RUN_S,
                    "work_s": 0.005,
                    "poll_s": POLL_S[store["backend"]],
                }
            )
    return specs


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
@pytest.mark.parametrize("shared_store", ["file", "dynamodb"], indirect=True)
def test_operations_never_overlap_and_honour_priority_and_cooldowns(shared_store, tmp_path):
    audit_path = tmp_path / "audit.jsonl"
    specs = _specs(shared_store, audit_path)
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(specs), timeout=60)
    procs = [ctx.Process(target=workers.contend, args=(spec, barrier)) for spec in specs]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(180)
    still_running = [p.pid for p in procs if p.is_alive()]
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    assert not still_running, f"agent processes did not finish: {still_running}"
    assert [p.exitcode for p in procs] == [0] * len(procs), "an agent process failed"

    records = list(AuditLog(audit_path).records())
    _check_tokens_increase(records)
    operations = _check_no_overlap(records)
    _check_priorities(records)
    _check_cooldowns(operations, specs)
    last = workers.backend_for(shared_store).read_record(workers.STACK, "last-operation")
    assert last is not None and last.token == operations[-1]["token"], (
        f"{workers.STACK}: the last fenced write is {last}, not the last operation's"
    )


def _acquisitions(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every lease that was taken, in log order: an operation's start, or a skip."""
    return [r for r in records if r["event"] in ("op.start", "op.skip")]


def _check_tokens_increase(records: list[dict[str, Any]]) -> None:
    tokens = [r["token"] for r in _acquisitions(records)]
    assert tokens, "no operation ran"
    assert all(a < b for a, b in itertools.pairwise(tokens)), (
        f"{workers.STACK}: fencing tokens not strictly increasing in log order: {tokens}"
    )


def _check_no_overlap(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Operations (start..end), by token; no two intersect, in token or in time order."""
    starts = {r["token"]: r for r in records if r["event"] == "op.start"}
    ends = {r["token"]: r for r in records if r["event"] == "op.end"}
    assert set(starts) == set(ends), f"unfinished operations: {set(starts) ^ set(ends)}"
    ops = [{**starts[t], "begin": starts[t]["at"], "end": ends[t]["at"]} for t in sorted(starts)]
    for op in ops:
        assert op["begin"] <= op["end"], f"{workers.STACK}: token {op['token']} ends first"
    for before, after in itertools.pairwise(ops):
        assert before["end"] <= after["begin"], (
            f"{workers.STACK}: token {after['token']} ({after['persona']}) started before token "
            f"{before['token']} ({before['persona']}) ended"
        )
    by_time = sorted(ops, key=lambda o: o["begin"])
    assert [o["token"] for o in by_time] == [o["token"] for o in ops], "token order != time order"
    return ops


def _check_priorities(records: list[dict[str, Any]]) -> None:
    """When a lease ends, the next holder outranks every request that was queued by then and was
    still waiting: no such request may have a higher priority than the next holder."""
    acquisitions = sorted(_acquisitions(records), key=lambda r: r["token"])
    ended_at = {r["token"]: r["at"] for r in records if r["event"] in ("op.end", "op.skip")}
    queued: dict[str, dict[str, Any]] = {}
    for r in records:
        if r["event"] == "lock.queued":
            queued[r["request_id"]] = r  # the latest registration of each request
    served = {r["request_id"]: r["token"] for r in acquisitions if r["request_id"]}
    assert set(queued) <= set(served), "a queued request was never served"
    contested = 0
    for current, following in itertools.pairwise(acquisitions):
        released_by = ended_at[current["token"]]
        still_waiting = [
            q
            for rid, q in queued.items()
            if q["at"] < released_by and served[rid] > following["token"]
        ]
        contested += bool(still_waiting)
        for q in still_waiting:
            assert q["priority"] <= following["priority"], (
                f"{workers.STACK}: after token {current['token']}, {following['persona']} "
                f"(priority {following['priority']}) took the stack ahead of the queued "
                f"{q['persona']} (priority {q['priority']})"
            )
    assert contested, "no hand-over had anyone waiting: the test exercised no queue"


def _check_cooldowns(operations: list[dict[str, Any]], specs: list[dict[str, Any]]) -> None:
    cooldown = {(s["persona"], op): cd for s in specs for op, cd in s["cooldowns"].items()}
    runs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for op in operations:
        runs[(op["persona"], op["operation"])].append(op["begin"])
    for key, begins in runs.items():
        for first, second in itertools.pairwise(begins):
            assert second - first >= cooldown[key] - 1e-6, (
                f"{workers.STACK}: {key[0]} ran {key[1]} again {second - first:.3f} s after the "
                f"last run, within its {cooldown[key]:.3f} s cooldown"
            )

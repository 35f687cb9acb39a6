"""Verify the audit log's chains: per writer, the records 1..n in order, each one's `prev` the
hash of the one before (see `agents.protocol.audit`).

What it reports, per writer:

- `gap`: sequence numbers missing (records deleted, or a line damaged past reading);
- `edited`: a record whose `prev` is not the hash of the writer's record before it (that record's
  bytes were changed), or two different records with the same sequence number (a fork: an edit
  that kept the number, or two processes writing as one writer at once);
- `reordered`: a record that comes before its predecessor in the source (the file's append
  order, or the sink's event order, which the sink keeps monotonic), or whose time is earlier
  than its predecessor's by more than `CLOCK_TOLERANCE_S` (one writer's processes on machines
  whose clocks differ by a second or two is not a reordering);
- `truncated`: the chain ends before the head the writer's machine last wrote (the `.chain`
  cache beside the file log), so records at the end are gone;
- `restarted`: a writer's chain began again at 1 (`prev` null) after it had records: a pod that
  started without reaching the sink and could not continue the chain;
- `unchained`: a record without `writer`/`seq`/`prev` after the first chained record (a legacy
  prefix written before chaining is allowed, and counted);
- `misfiled`: a record in the sink stream of another writer (each persona may write only its
  own stream, so a record of writer A in B's stream was forged by B).

Identical records delivered twice (a batch sent again after a failure) are one record. An
oversize record that reached the sink as a stub (`oversize: true`, `sha256` of the original) is
chained by that hash and counted as `oversize`, not as a problem, when it claims more bytes than
the sink's limit and the same writer's `audit.sink.oversize` record names it; any other stub,
and every stub in the local log, is an edit (content hidden behind a hash).

What it cannot see without a key outside the writer's reach: a writer (or whoever holds its
state folder) can rewrite its own chain from some record on and recompute every hash; the file
source catches a cut tail only while the `.chain` cache beside it is intact. The sink is the
stronger source: CloudWatch Logs events cannot be edited, and each persona can write only its
own stream.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from agents.protocol.audit import record_hash

CLOCK_TOLERANCE_S = 30.0
KINDS = ("gap", "edited", "reordered", "truncated", "restarted", "unchained", "misfiled")


@dataclass
class WriterReport:
    writer: str
    records: int = 0
    first: int = 0
    last: int = 0
    duplicates: int = 0
    oversize: int = 0
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "writer": self.writer,
            "records": self.records,
            "first": self.first,
            "last": self.last,
            "duplicates": self.duplicates,
            "oversize": self.oversize,
            "problems": self.problems,
        }


@dataclass
class Report:
    source: str
    writers: dict[str, WriterReport] = field(default_factory=dict)
    legacy: int = 0
    unreadable: int = 0

    @property
    def problems(self) -> list[dict[str, Any]]:
        return [p for w in self.writers.values() for p in w.problems]

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "legacy": self.legacy,
            "unreadable": self.unreadable,
            "writers": [w.to_json() for w in sorted(self.writers.values(), key=_by_writer)],
        }


def _by_writer(w: WriterReport) -> str:
    return w.writer


def _time(value: Any) -> datetime.datetime | None:
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def verify(
    lines: Iterable[bytes | tuple[str, bytes]],
    *,
    source: str,
    heads: Mapping[str, tuple[int, str]] | None = None,
    stub_min_bytes: int | None = None,
) -> Report:
    """Check the chains of the records in `lines` (each one record's JSON bytes, or (stream,
    bytes) from the sink, in the order the source holds them). `heads`: the last (seq, hash)
    each writer is known to have written (for truncation); a writer missing from the lines but
    present in `heads` is truncated too. `stub_min_bytes`: None where no oversize stub may be
    (the local log never holds one); else a stub must claim more bytes than this and have its
    `audit.sink.oversize` record from the same writer, or it is an edit."""
    report = Report(source)
    # writer -> seq -> (hash, prev, position, ts)
    chains: dict[str, dict[int, list[tuple[str, Any, int, Any]]]] = {}
    chained_seen = False
    stubs: list[tuple[str, int, Any]] = []  # (writer, seq, claimed bytes)
    stubbed: set[tuple[Any, Any, Any]] = set()  # (drainer, record_writer, record_seq) recorded
    for position, item in enumerate(lines):
        stream, raw = item if isinstance(item, tuple) else (None, item)
        try:
            record = json.loads(raw)
        except (ValueError, RecursionError):
            report.unreadable += 1
            continue
        if not isinstance(record, dict):
            report.unreadable += 1
            continue
        writer, seq, prev = record.get("writer"), record.get("seq"), record.get("prev")
        if (
            not isinstance(writer, str)
            or not isinstance(seq, int)
            or isinstance(seq, bool)
            or seq < 1
            or not (prev is None or isinstance(prev, str))
        ):
            if chained_seen:
                w = report.writers.setdefault("?", WriterReport("?"))
                w.problems.append(
                    {
                        "kind": "unchained",
                        "writer": "?",
                        "detail": f"record {position + 1} ({str(record.get('event'))[:60]}) "
                        "carries no chain fields after chained records",
                    }
                )
            else:
                report.legacy += 1
            continue
        chained_seen = True
        digest = record_hash(raw)
        w = report.writers.setdefault(writer, WriterReport(writer))
        if stream is not None and stream != writer:
            w.problems.append(
                {
                    "kind": "misfiled",
                    "writer": writer,
                    "detail": f"record {seq} is in the stream of {stream[:100]}, not its own "
                    "(written by another writer)",
                }
            )
        if record.get("event") == "audit.sink.oversize":
            stubbed.add((writer, record.get("record_writer"), record.get("record_seq")))
        if record.get("oversize") is True:
            if stub_min_bytes is None or not isinstance(record.get("sha256"), str):
                w.problems.append(
                    {
                        "kind": "edited",
                        "writer": writer,
                        "detail": f"record {seq} is a stub in place of its content "
                        + ("(the local log never holds one)" if stub_min_bytes is None else ""),
                    }
                )
            else:
                digest = str(record["sha256"])
                stubs.append((writer, seq, record.get("bytes")))
                w.oversize += 1
        versions = chains.setdefault(writer, {}).setdefault(seq, [])
        if any(v[0] == digest for v in versions):
            w.duplicates += 1
            continue
        versions.append((digest, prev, position, record.get("ts")))
    for writer, seq, claimed in stubs:
        big = isinstance(claimed, int) and claimed > (stub_min_bytes or 0)
        if not big or (writer, writer, seq) not in stubbed:
            report.writers[writer].problems.append(
                {
                    "kind": "edited",
                    "writer": writer,
                    "detail": f"record {seq} is a stub without its oversize record (or not over "
                    "the sink's limit): its content is hidden",
                }
            )
    for writer, by_seq in chains.items():
        _check(report.writers[writer], by_seq, (heads or {}).get(writer))
    for writer, (seq, _digest) in (heads or {}).items():
        if writer not in chains and seq > 0:
            w = report.writers.setdefault(writer, WriterReport(writer))
            w.problems.append(
                {
                    "kind": "truncated",
                    "writer": writer,
                    "detail": f"no record of this writer, whose last known is {seq}",
                }
            )
    return report


def _check(
    w: WriterReport,
    by_seq: dict[int, list[tuple[str, Any, int, Any]]],
    head: tuple[int, str] | None,
) -> None:
    def problem(kind: str, detail: str) -> None:
        w.problems.append({"kind": kind, "writer": w.writer, "detail": detail})

    seqs = sorted(by_seq)
    w.records = sum(len(v) for v in by_seq.values())
    w.first, w.last = seqs[0], seqs[-1]
    # A chain that starts later than 1 is fine only when it continues a known head (the sink's
    # start is not ours to see); its first record's prev must then be a hash.
    if seqs[0] != 1 and by_seq[seqs[0]][0][1] is None:
        problem("restarted", f"record {seqs[0]} has no predecessor hash")
    before: tuple[str, Any, int, Any] | None = None
    before_seq = 0
    for seq in seqs:
        versions = by_seq[seq]
        if len(versions) > 1:
            problem(
                "edited",
                f"record {seq} exists in {len(versions)} different versions (edited or forked)",
            )
        current = versions[0]
        if before is not None and seq != before_seq + 1:
            missing = seq - before_seq - 1
            span = f"{before_seq + 1}" if missing == 1 else f"{before_seq + 1}..{seq - 1}"
            problem("gap", f"{missing} record(s) missing: {span}")
        elif before is not None:
            if current[1] is None:
                problem("restarted", f"record {seq} starts a new chain after {before_seq}")
            elif current[1] != before[0]:
                problem(
                    "edited",
                    f"record {before_seq} does not hash to the prev of record {seq} "
                    "(its content changed)",
                )
            if current[2] < before[2]:
                problem("reordered", f"record {seq} comes before record {before_seq}")
            else:
                t0, t1 = _time(before[3]), _time(current[3])
                if (
                    t0 is not None
                    and t1 is not None
                    and (t0 - t1).total_seconds() > CLOCK_TOLERANCE_S
                ):
                    problem("reordered", f"record {seq} is older than record {before_seq}")
        before, before_seq = current, seq
    if head is not None and head[0] > w.last:
        problem(
            "truncated",
            f"the chain ends at {w.last} but the writer's last record is {head[0]} "
            f"({head[0] - w.last} record(s) cut off)",
        )
    elif head is not None and head[0] == w.last and by_seq[w.last][0][0] != head[1]:
        problem("edited", f"record {w.last}, the last, does not hash to the writer's head")

"""The audit log off the node: every record also goes to the stack's CloudWatch Logs group.

Design decisions (issue 19):

- The local log (`<state_dir>/audit.jsonl`) is the spool. A cursor file
  (`<state_dir>/audit-sink.json`: the byte offset delivered up to, a hash of the log's first
  4 KiB, counters, the last error) says how far it has reached the sink. `drain()` reads whole
  records from the cursor on, sends them (one log stream per writer, named as the writer;
  batches of at most 10,000 events and 1,048,576 bytes counting 26 bytes per event, the
  PutLogEvents limits) and moves the cursor after a chunk is wholly accepted. A chunk that fails
  part-way is read again as far as before, and the writers it already delivered are skipped;
  a record that still reaches the sink twice (a process killed between a batch and its cursor)
  is one record to `audit verify` (identical bytes), never a lost one. The agent drains before
  its first pass (records from before a restart go first) and then every `audit_batch_s` from
  a thread.
- Event timestamps are the delivery time (the record keeps its own `ts`), one millisecond
  apart within a stream: a batch is then in chronological order with no ties, and a record held
  back by an outage is never too old for the API. They never go backwards (the cursor keeps
  the last one used, and a drainer whose clock runs behind uses it), so a stream's order is the
  spool's order even across machines' clock skew.
- Nothing is dropped silently: debris in the spool (a fragment from a killed writer, a line that
  is not a record) is skipped with an `audit.sink.debris` record; a record over the sink's event
  limit goes as a stub (`oversize`, its `sha256`, size, writer, seq, prev: it keeps the chain)
  and an `audit.sink.oversize` record; a cursor that does not parse, or that belongs to another
  log (its head hash differs), is refused with `audit.sink.cursor-damaged` and delivery starts
  again from the log's beginning (duplicates are harmless, losses are not).
- Fail closed: `lag()` is the age of the oldest record not yet delivered. While it is over
  `audit_max_lag_s` (or cannot be told: a damaged cursor) the gateway refuses every mutating
  operation with a reason and a record, and `/readyz` and `status` say so.
- A new pod: `seed()` reads the last event of the writer's stream and continues its chain
  (`AuditLog.seed`), so the chain of a persona is one across pods.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents import AgentsError, first_line
from agents.protocol.audit import AuditLog, json_count, parse_record, record_hash
from toolchain.inputs import write_atomic

if TYPE_CHECKING:
    from agents.protocol.settings import AgentSettings

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_BATCH_EVENTS = 10_000
# The largest event CloudWatch Logs takes (1 MB since April 2025), less its overhead.
MAX_EVENT_BYTES = MAX_BATCH_BYTES - EVENT_OVERHEAD
CHUNK_BYTES = 4 * 1024 * 1024  # how much of the spool one drain step reads
HEAD_BYTES = 4096
CURSOR_FILE = "audit-sink.json"
FUTURE_TOLERANCE_S = 60.0  # clocks of one machine's processes agree within this


class SinkError(AgentsError):
    """The sink cannot be reached or refused a batch; the message says why, in one line."""


@dataclass(frozen=True)
class Lag:
    """How far the sink is behind: `seconds` since the oldest undelivered record was written
    (0 when nothing waits), `pending` bytes, and `problem` when it cannot be told."""

    seconds: float
    pending: int
    oldest: str | None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "seconds": round(self.seconds, 1),
            "pendingBytes": self.pending,
            "oldest": self.oldest,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class DrainReport:
    delivered: int
    batches: int
    debris: int
    oversize: int
    remaining: int
    error: str | None = None


def _head_hash(path: Path, upto: int) -> str:
    """The hash of the log's first bytes (at most HEAD_BYTES, and never past `upto`, the
    delivered offset: bytes after it may still grow), which ties a cursor to its log."""
    try:
        with path.open("rb") as fh:
            return hashlib.sha256(fh.read(min(HEAD_BYTES, upto))).hexdigest()
    except FileNotFoundError:
        return hashlib.sha256(b"").hexdigest()


def _tail_hash(path: Path, upto: int) -> str:
    """The hash of the (at most HEAD_BYTES) bytes just before `upto`: the last delivered line,
    so a log cut and grown back past the offset does not pass for the one delivered."""
    start = max(0, upto - HEAD_BYTES)
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            return hashlib.sha256(fh.read(upto - start)).hexdigest()
    except FileNotFoundError:
        return hashlib.sha256(b"").hexdigest()


def _iso_seconds(value: str) -> float | None:
    try:
        parsed = datetime.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.UTC)
    return parsed.timestamp()


@dataclass
class Cursor:
    offset: int = 0
    head: str = ""
    delivered: int = 0
    last_success: str | None = None
    last_error: str | None = None
    last_attempt: str | None = None
    stamp: int = 0  # the last event timestamp used (ms): the next batch's is never earlier
    tail: str = ""  # the hash of the bytes just before `offset` (see _tail_hash)
    partial_end: int = 0  # a chunk that failed part-way: where it ended ...
    partial_done: list[str] = field(default_factory=list)  # ... and the writers it delivered

    def to_json(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "head": self.head,
            "delivered": self.delivered,
            "lastSuccess": self.last_success,
            "lastError": self.last_error,
            "lastAttempt": self.last_attempt,
            "stamp": self.stamp,
            "tail": self.tail,
            "partialEnd": self.partial_end,
            "partialDone": self.partial_done,
        }


def read_cursor(state_dir: Path, log: Path) -> tuple[Cursor, str | None]:
    """The cursor, and a problem when it cannot be trusted (then a cursor at 0)."""
    path = state_dir / CURSOR_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Cursor(head=_head_hash(log, 0)), None
    except OSError as exc:
        return Cursor(), f"{path}: cannot be read ({exc.strerror or exc})"
    try:
        data = json.loads(raw)
        cursor = Cursor(
            offset=json_count(data["offset"]),
            head=str(data["head"]),
            delivered=json_count(data.get("delivered", 0)),
            last_success=_text(data.get("lastSuccess")),
            last_error=_text(data.get("lastError")),
            last_attempt=_text(data.get("lastAttempt")),
            stamp=json_count(data.get("stamp", 0)),
            tail=str(data.get("tail", "")),
            partial_end=json_count(data.get("partialEnd", 0)),
            partial_done=[str(w) for w in data.get("partialDone", [])],
        )
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
        return Cursor(), f"{path}: damaged (not the sink's cursor)"
    try:
        size = log.stat().st_size
    except FileNotFoundError:
        size = 0
    if cursor.offset > size:
        return Cursor(), f"{path}: points past the end of {log.name} (the log was cut or replaced)"
    if cursor.offset and cursor.head != _head_hash(log, cursor.offset):
        return Cursor(), f"{path}: belongs to another {log.name} (its first bytes differ)"
    if cursor.offset and cursor.tail != _tail_hash(log, cursor.offset):
        # The bytes just before the offset changed: the log was cut and grew back past it.
        return Cursor(), f"{path}: {log.name} changed before the delivered offset (cut or edited)"
    return cursor, None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)[:500]


def lag(settings: AgentSettings, *, now: float | None = None) -> Lag:
    """How far the sink is behind the local log (see the module docstring)."""
    log = settings.audit_log
    cursor, problem = read_cursor(settings.state_dir, log)
    if problem is not None:
        return Lag(0.0, 0, None, problem)
    try:
        size = log.stat().st_size
    except FileNotFoundError:
        return Lag(0.0, 0, None)
    pending = size - cursor.offset
    oldest = None
    for _offset, _raw, record in AuditLog(log).raw_records(cursor.offset):
        oldest = record["ts"]
        break
    if oldest is None:
        return Lag(0.0, pending, None)
    seconds = _iso_seconds(oldest)
    if seconds is None:
        return Lag(
            0.0,
            pending,
            oldest,
            f"the oldest undelivered record has no readable time ({oldest[:40]})",
        )
    current = time.time() if now is None else now
    if seconds - current > FUTURE_TOLERANCE_S:
        # A record from the future (a clock stepped back since, or a forged line): its age
        # cannot be told, so neither can the lag.
        return Lag(
            0.0,
            pending,
            oldest,
            f"the oldest undelivered record is from the future ({oldest[:40]})",
        )
    return Lag(max(0.0, current - seconds), pending, oldest)


def refusal(settings: AgentSettings, *, now: float | None = None) -> str | None:
    """Why a mutating operation must not start now (the audit sink is behind or its state
    cannot be told), or None. Always None with the file sink."""
    if settings.audit_sink != "cloudwatch":
        return None
    behind = lag(settings, now=now)
    if behind.problem is not None:
        return f"the audit sink's state cannot be told ({behind.problem})"
    if behind.seconds > settings.audit_max_lag_s:
        return (
            f"audit records have not reached {settings.audit_log_group} for "
            f"{behind.seconds:.0f} s (limit {settings.audit_max_lag_s:.0f} s; oldest "
            f"{behind.oldest}): no change whose record cannot be kept"
        )
    return None


def logs_client(settings: AgentSettings, *, quick: bool = False) -> Any:
    """A CloudWatch Logs client. `quick`: short timeouts and no retry, for what an agent does
    before its first pass and at exit (a sink that hangs must not hold the agent up)."""
    import boto3  # noqa: PLC0415 - slow to import; only the CloudWatch sink needs it
    from botocore.config import Config  # noqa: PLC0415

    return boto3.client(
        "logs",
        region_name=settings.audit_region or settings.dynamodb_region,
        endpoint_url=settings.audit_endpoint_url,
        config=Config(
            retries={"mode": "standard", "max_attempts": 1 if quick else 3},
            connect_timeout=2 if quick else 5,
            read_timeout=3 if quick else 15,
        ),
    )


class CloudWatchSink:
    """Delivers the local log to `settings.audit_log_group` (see the module docstring)."""

    def __init__(
        self,
        settings: AgentSettings,
        *,
        client: Any = None,
        audit: AuditLog | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not settings.audit_log_group:
            raise SinkError("the CloudWatch audit sink needs AGENTS_AUDIT_LOG_GROUP")
        self.settings = settings
        self.group = settings.audit_log_group
        self.log = settings.audit_log
        self.audit = audit or AuditLog(self.log, settings.audit_writer)
        self._client = client
        self._clock = clock
        self._streams: set[str] = set()

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = logs_client(self.settings)
        return self._client

    # -- the cursor ---------------------------------------------------------------------------
    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[bool]:
        """One drainer per state folder; yields False when another holds it."""
        self.settings.state_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(
            self.settings.state_dir / "audit-sink.lock",
            os.O_RDWR | os.O_CREAT | os.O_CLOEXEC,
            0o640,
        )
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def _save(self, cursor: Cursor) -> None:
        write_atomic(self.settings.state_dir / CURSOR_FILE, json.dumps(cursor.to_json()))

    def _now_iso(self) -> str:
        return datetime.datetime.fromtimestamp(self._clock(), datetime.UTC).isoformat(
            timespec="seconds"
        )

    # -- delivery -----------------------------------------------------------------------------
    def drain(self, *, max_chunks: int | None = None) -> DrainReport:
        """Send what the cursor has not reached, chunk by chunk; stops at the first failure
        (kept in the cursor as `lastError`) and returns what it did."""
        with self._exclusive() as mine:
            if not mine:
                return DrainReport(0, 0, 0, 0, self._pending(), "another drain is running")
            return self._drain(max_chunks)

    def _pending(self) -> int:
        cursor, _ = read_cursor(self.settings.state_dir, self.log)
        try:
            return max(0, self.log.stat().st_size - cursor.offset)
        except FileNotFoundError:
            return 0

    def _drain(self, max_chunks: int | None) -> DrainReport:
        cursor, problem = read_cursor(self.settings.state_dir, self.log)
        if problem is not None:
            self.audit.append("audit.sink.cursor-damaged", reason=problem, resend_from=0)
            cursor = Cursor(head=_head_hash(self.log, 0))
            self._save(cursor)
        delivered = batches = debris = oversize = chunks = 0
        error: str | None = None
        while max_chunks is None or chunks < max_chunks:
            # A chunk that failed part-way is read again exactly as far as before, and the
            # writers it already delivered are not sent again.
            again = cursor.partial_end > cursor.offset
            lines, end, skipped = self._read_chunk(
                cursor.offset, cursor.partial_end if again else None
            )
            done = set(cursor.partial_done) if again and end == cursor.partial_end else set()
            if end == cursor.offset:
                break
            chunks += 1
            debris += len(skipped)
            events: dict[str, list[bytes]] = {}
            stubbed: list[dict[str, Any]] = []
            for raw, record in lines:
                writer = str(record.get("writer") or "unchained")
                message = raw
                if len(raw) > MAX_EVENT_BYTES:
                    message = self._stub(raw, record)
                    stubbed.append(record)
                events.setdefault(writer, []).append(message)
            cursor.last_attempt = self._now_iso()
            stamp = max(int(self._clock() * 1000), cursor.stamp)
            try:
                for writer, messages in events.items():
                    if writer in done:
                        continue
                    batches += self._put(writer, messages, stamp)
                    done.add(writer)
            except SinkError as exc:
                error = str(exc)
                cursor.last_error = error
                cursor.partial_end, cursor.partial_done = end, sorted(done)
                cursor.stamp = stamp + max(len(m) for m in events.values())
                self._save(cursor)
                break
            # Accepted whole: records about what was skipped or cut go on the log (and so to
            # the sink next time) before the cursor moves past them.
            for offset, fragment in skipped:
                self.audit.append(
                    "audit.sink.debris",
                    offset=offset,
                    bytes=len(fragment),
                    sha256=hashlib.sha256(fragment).hexdigest(),
                )
            for record in stubbed:
                oversize += 1
                self.audit.append(
                    "audit.sink.oversize",
                    record_writer=record.get("writer"),
                    record_seq=record.get("seq"),
                    limit=MAX_EVENT_BYTES,
                )
            delivered += sum(len(m) for m in events.values())
            cursor.offset = end
            cursor.head = _head_hash(self.log, end)
            cursor.tail = _tail_hash(self.log, end)
            cursor.delivered += sum(len(m) for m in events.values())
            cursor.last_success = cursor.last_attempt
            cursor.last_error = None
            cursor.stamp = stamp + max((len(m) for m in events.values()), default=0) + 1
            cursor.partial_end, cursor.partial_done = 0, []
            self._save(cursor)
        try:
            remaining = max(0, self.log.stat().st_size - cursor.offset)
        except FileNotFoundError:
            remaining = 0
        return DrainReport(delivered, batches, debris, oversize, remaining, error)

    def _read_chunk(
        self, start: int, until: int | None = None
    ) -> tuple[list[tuple[bytes, dict[str, Any]]], int, list[tuple[int, bytes]]]:
        """Whole lines from `start`, up to CHUNK_BYTES (at least one line) or to `until`: the
        records, the offset after the last whole line, and the debris (offset, bytes) among
        them. A last line without its newline (a write in flight) is left for next time."""
        lines: list[tuple[bytes, dict[str, Any]]] = []
        skipped: list[tuple[int, bytes]] = []
        end = start
        try:
            fh = self.log.open("rb")
        except FileNotFoundError:
            return lines, end, skipped
        with fh:
            fh.seek(start)
            for raw in fh:
                if not raw.endswith(b"\n"):
                    break
                record = parse_record(raw)
                if record is not None:
                    lines.append((raw.strip(b"\n"), record))
                elif raw.strip():
                    skipped.append((end, raw.strip(b"\n")))
                end += len(raw)
                if end - start >= CHUNK_BYTES or (until is not None and end >= until):
                    break
        return lines, end, skipped

    def _stub(self, raw: bytes, record: dict[str, Any]) -> bytes:
        stub = {
            "ts": record.get("ts"),
            "event": record.get("event"),
            "writer": record.get("writer"),
            "seq": record.get("seq"),
            "prev": record.get("prev"),
            "oversize": True,
            "sha256": record_hash(raw),
            "bytes": len(raw),
        }
        return json.dumps(stub, separators=(",", ":")).encode()

    def _put(self, stream: str, messages: list[bytes], stamp: int) -> int:
        """PutLogEvents in batches within the API's limits; the number of calls made."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        calls = 0
        batch: list[dict[str, Any]] = []
        size = 0

        def put() -> Any:
            self._ensure_stream(stream)
            try:
                return self.client.put_log_events(
                    logGroupName=self.group, logStreamName=stream, logEvents=batch
                )
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
                    raise
                self._streams.discard(stream)  # deleted since it was made: make it again
                self._ensure_stream(stream)
                return self.client.put_log_events(
                    logGroupName=self.group, logStreamName=stream, logEvents=batch
                )

        def send() -> None:
            nonlocal calls
            try:
                answer = put()
            except (ClientError, BotoCoreError) as exc:
                raise SinkError(
                    f"CloudWatch Logs {self.group}/{stream}: {first_line(exc)}"
                ) from None
            rejected = answer.get("rejectedLogEventsInfo") or {}
            if rejected:
                raise SinkError(
                    f"CloudWatch Logs {self.group}/{stream} rejected events: {json.dumps(rejected)}"
                )
            calls += 1

        for index, message in enumerate(messages):
            cost = len(message) + EVENT_OVERHEAD
            if batch and (size + cost > MAX_BATCH_BYTES or len(batch) >= MAX_BATCH_EVENTS):
                send()
                batch, size = [], 0
            # One millisecond apart: a stream's order is its timestamps', never a tie.
            batch.append({"timestamp": stamp + index, "message": message.decode()})
            size += cost
        if batch:
            send()
        return calls

    def _ensure_stream(self, stream: str) -> None:
        if stream in self._streams:
            return
        from botocore.exceptions import ClientError  # noqa: PLC0415

        try:
            self.client.create_log_stream(logGroupName=self.group, logStreamName=stream)
        except ClientError as exc:
            # Only an answer from the service has a code; a timeout or a refused connection
            # (BotoCoreError, no response) goes up to `send`, which makes it a SinkError.
            code = (exc.response or {}).get("Error", {}).get("Code", "")
            if code != "ResourceAlreadyExistsException":
                raise
        self._streams.add(stream)

    # -- reading back -------------------------------------------------------------------------
    def seed(self, writer: str | None = None) -> bool:
        """Continue `writer`'s chain from the last record its stream holds (a new pod). True
        when the local head was taken from the sink."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        name = writer or self.audit.writer_name
        try:
            answer = self.client.get_log_events(
                logGroupName=self.group, logStreamName=name, startFromHead=False, limit=1
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return False  # a writer's first start: no stream yet
            raise SinkError(f"CloudWatch Logs {self.group}/{name}: {first_line(exc)}") from None
        except BotoCoreError as exc:
            raise SinkError(f"CloudWatch Logs {self.group}/{name}: {first_line(exc)}") from None
        events = answer.get("events") or []
        if not events:
            return False
        message = str(events[-1].get("message", "")).encode()
        try:
            record = json.loads(message)
            seq = json_count(record["seq"]) if record.get("writer") == name else -1
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            seq = -1
        if seq < 0:
            raise SinkError(
                f"CloudWatch Logs {self.group}/{name}: the last event is not a chained record "
                "of this writer"
            )
        digest = str(record["sha256"]) if record.get("oversize") is True else record_hash(message)
        return self.audit.seed(name, seq, digest)

    def read_back(self) -> Iterator[bytes]:
        """Every event of every stream of the group, oldest first per stream."""
        for _stream, message in self.read_streams():
            yield message

    def read_streams(self) -> Iterator[tuple[str, bytes]]:
        """(stream, event message) of every stream of the group, oldest first per stream."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            streams: list[str] = []
            for page in self.client.get_paginator("describe_log_streams").paginate(
                logGroupName=self.group
            ):
                streams += [s["logStreamName"] for s in page.get("logStreams", [])]
            for stream in sorted(streams):
                token: str | None = None
                while True:
                    kwargs: dict[str, Any] = {
                        "logGroupName": self.group,
                        "logStreamName": stream,
                        "startFromHead": True,
                    }
                    if token:
                        kwargs["nextToken"] = token
                    answer = self.client.get_log_events(**kwargs)
                    for event in answer.get("events", []):
                        yield stream, str(event.get("message", "")).encode()
                    following = answer.get("nextForwardToken")
                    if not answer.get("events") or following == token:
                        break
                    token = following
        except (ClientError, BotoCoreError) as exc:
            raise SinkError(f"CloudWatch Logs {self.group}: {first_line(exc)}") from None


class Drainer:
    """The agent's side of the sink while it runs: at start the writer's chain is continued from
    its stream (`seed`, before this process writes anything) and the spool left by an earlier
    process is drained first; then a daemon thread drains every `audit_batch_s`; at stop, one
    last drain. Failures are kept in the cursor (and so in `status` and `/readyz`); the gateway
    refuses mutating work once records wait past `audit_max_lag_s`."""

    def __init__(
        self,
        sink: CloudWatchSink,
        *,
        quick: CloudWatchSink | None = None,
        seed_attempts: int = 2,
        pause_s: float = 1.0,
    ):
        self.sink = sink
        # Start and stop use `quick` (short timeouts): a hung sink delays the agent by seconds,
        # not minutes; the thread's drains may wait longer.
        self.quick = quick or sink
        self.seed_attempts = seed_attempts
        self.pause_s = pause_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.seeded: bool | None = None
        self.seed_error: str | None = None

    def start(self) -> Drainer:
        for attempt in range(self.seed_attempts):
            try:
                self.seeded = self.quick.seed()
                self.seed_error = None
                break
            except SinkError as exc:
                self.seed_error = str(exc)
                if attempt + 1 < self.seed_attempts:
                    self._stop.wait(self.pause_s * (attempt + 1))
        if self.seeded:
            # A pod boundary on the record: what an earlier pod spooled and never delivered is
            # gone with it, and the chain goes on from the stream's last record.
            seq, _digest = self.sink.audit.heads().get(self.sink.audit.writer_name, (0, ""))
            self.sink.audit.append("audit.sink.seeded", from_seq=seq)
        if self.seed_error is not None:
            # Said on the record: this writer's chain starts again here unless the local log
            # already had its head (verify will show the restart).
            self.sink.audit.append("audit.sink.seed-failed", error=self.seed_error)
        self.quick.drain(max_chunks=4)
        self._thread = threading.Thread(target=self._loop, name="audit-sink", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.sink.settings.audit_batch_s):
            with contextlib.suppress(Exception):  # kept in the cursor; the loop must go on
                self.sink.drain()

    def stop(self, *, timeout_s: float = 10.0) -> DrainReport:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.quick.drain(max_chunks=4)

    def __enter__(self) -> Drainer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def start_drainer(settings: AgentSettings, audit: AuditLog) -> Drainer | None:
    """With the CloudWatch sink: a started drainer for this process (start and stop with the
    quick client, the thread with the patient one); None with the file sink."""
    if settings.audit_sink != "cloudwatch":
        return None
    return Drainer(
        CloudWatchSink(settings, audit=audit),
        quick=CloudWatchSink(settings, audit=audit, client=logs_client(settings, quick=True)),
    ).start()

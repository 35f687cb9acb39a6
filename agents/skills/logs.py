"""`analyze_logs`: raw log lines in, clusters out (template, count, first and last timestamp,
an example line, severity, and the values that matter), rendered under a token budget.

The pipeline and its decisions:

1. Reading. `read_lines` takes a file, `-` for stdin, or a gzip file (recognised by its magic
   bytes, not its name), refuses what is not a regular file or not UTF-8 with one line, and
   streams: nothing is read whole. `cloudwatch_lines` pages through `filter_log_events`.
2. Parsing (`agents.skills.logparse`): the header (timestamp, level, host, pid, logger) is
   recognised by one grammar for every source and stripped; a header the grammar does not know
   is learned from the source's first `LEARN_LINES` lines (`learn_header`: the leading fields of
   one kind each that end with a delimiter and hold a time), which are held until then. The
   message's variables are masked by their shape (numbers, ids, IPs, paths, `host:port`,
   `user@host`, booleans, dates). A multi-line record (a stack trace, indented lines:
   `continues`; a trace logcat writes a line at a time behind its header: `prefixed_trace`; the
   line after a Python traceback's frames, whatever the thrown class is called; PHP's `Stack
   trace:` and the `#0 ...` frames after it; a line without a header after a record's first
   line that ends with `:`, and the quoted items of a list after a record) is one event: its
   lines join the cluster of its first line, and its example names what was thrown.
3. Online grouping: a line joins the *signature* of its masked message (exact token sequence).
   Memory is bounded by the number of signatures, not of lines; when signatures exceed
   `max_signatures` (a source whose variables are plain words), they are compacted by the merge
   of step 4, and later lines that fit a merged template join it. Finding that template costs one
   dictionary look-up per *mask* (where a template's variables are) of the line's length, not one
   comparison per template: `_Generals`, at most `MAX_MASKS` masks per length.
   Clusters are capped too (`max_clusters`): a source of near-unique messages (a flood of prose,
   a hostile log) would otherwise keep one cluster per line. When a merge leaves more, those of
   the fewest lines (the least severe, the latest first on a tie) are folded into one explicit
   *other* cluster (`OTHER_TEMPLATE`, `LogCluster.other`), which the report counts and names
   (`LogReport.other_lines`). Each compaction then starts from at most `max_clusters` clusters, so
   a line costs O(1) amortised and memory stays bounded whatever the input.
4. Merging, once at the end (and at each compaction): runs of adjacent masked tokens are made
   one (`collapse`: a list of values is one variable whatever its length; so is the text of a
   labelled aside, `(reason: ...)`, of an aside that opens with a value, of a phrase in square
   brackets (a list, `[a, b, c]`), and of a quoted phrase of words, as the parser makes a quoted
   word one value), then signatures of
   equal length are grouped by their *longest common pattern* (the words that occur equally
   often, the root of Brain, Yu et al. 2023: the constant words of a template occur exactly as
   often as the template), then each group's other columns are either split on (few distinct
   values: `VM Paused` and `VM Resumed` are different events) or made variables. Whether a
   column is a variable is decided from how its values behave in the group (`_is_variable`):
   enough distinct words (`Tuning.variable_values`); mostly masked values, whatever its few
   words (`Tuning.masked_share`); masked ids beside kept ones of a single digit (`t20x`, `t0x`);
   names written as identifiers in small letters, two or more, the rest masked, however few
   (`DAG etl_daily`, `Poked cart-ui`: words joined by `-`, `_`, `.` or `/` are names, which no
   verb or prose word is; not a first word; `SCREEN_ON` in capitals is a constant's); words in
   square brackets, every value in them (`realm [file1]`, `from [GREEN]`: a writer
   brackets what it fills in; a word in parentheses is an aside, which may name a state); words
   given to a name by a lone `=` (`framing = LZ4`, as the parser masks `framing=LZ4`). Two kinds
   of column split up to `Tuning.enum_values` values instead: upper-case names (states,
   methods: `RUNNING`, `GET`) and the message's first plain word (it names the event: `boot`,
   `wait`, `halt`; not `alice@web-3` or a word with digits); but columns whose words combine
   freely with another column's are a record's fields, variables however few their words (two
   words of one each seen with the same two of the other, and at least half the pairs seen:
   any DNS query type with any return code; not a transition's `from NEW to QUEUED`, one
   vocabulary on both sides, `_free_columns`). Counting by lines, not signatures, is what makes
   the common pattern stand out. The templates are then collapsed again, a quoted phrase masked
   from its first masked token as the parser masks it, and those written alike joined (a value
   of more tokens in some lines than in others: `_recollapsed`). Last, templates that differ by one
   masked token (not one with a word in it amid others, a `key=<*>` field or `(<*>ms)`: another
   layout; nor a field at the end that says an error, `error=<*>`: the failure's own statement),
   or by a bracketed aside or a labelled field with a value at the end, present in one
   only are joined (an optional value: `took <*> ms (<*>)` and `took <*> ms`; `backing off <*>
   (retry <*>)` and `backing off <*>`; a cold start's `Init Duration: <*> ms`), and so are
   templates alike up to a closing run of `key=<*>` fields that ends in the same key (a
   list of fields that varies: `... ehlo=<*> quit=<*> commands=<*>`), and a line of `key=value`
   fields whose last value runs on in bare words (unquoted: `application_name=PostgreSQL JDBC
   Driver`, `attr=uid cn mail`) joins the template that ends at that field; templates alike up
   to a closing aside of several tokens, whose asides differ, are one event whose aside is a
   value (`(Got timeout reading communication packets)`: a reason filled in). One set
   of parameters serves every source (`Tuning`: chosen and validated by leave-one-system-out
   in `benchmarks/skills_loso.py`); none is tuned per dataset.
5. Reporting: `LogReport` (JSON via `to_json`) and `render`, which ranks clusters by severity
   tier first (critical, error, warning, then the rest) and by line count within a tier: the
   failure that floods the log is the one to fix first, and any error or warning, however rare,
   outranks the routine lines; rare routine clusters are what a budget drops first, and the
   `+N more clusters, M lines` line says how much was dropped.

Assignments (which cluster each line went to) are streamed to a spill file as signature ids
while reading and translated to cluster ids at the end, so even they need no memory per line.

The fast lane (`LogAnalyzer.add_many`, what `analyze_logs` uses): a long log repeats a few
hundred line shapes (a line's UTF-8 bytes with its digits read as 0) a million times. Every line
of one shape is parsed alike (the parser's plan cache rests on it), so once a shape has been
seen twice, `logparse.lane_spans` reads where its timestamp and values are as spans of the line,
and its later lines are counted from those spans: no split, no classification, no look-up of the
signature. A line whose UUIDs change on every line (OpenStack's request ids, AWS Lambda's) has a
shape of its own each time, so it is keyed as the parser keys its plan: by its canonical shape,
each UUID that reads alike whatever its digits and letters written as one canonical UUID
(`logparse.canonical_shape`). Only shapes for which that is exact get an entry: their lines
start a record whatever came before them (not a continuation line, no PostgreSQL secondary
field; a line without a header right after a record's first line that ends with `:`, or in a
traceback, is taken line by line, as what that line introduces or what was thrown may be),
the plan of their shape alone reads them (no `0x`/`g0` digit read by value, no kept token with
a digit, no JSON, logfmt, CRI or priority), and their group may not start a trace.
Entries name groups, so a compaction empties the lane. It opens after `LANE_AFTER` lines; the
output is the same whichever way a line is counted (tests compare both on every kind of record).
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import heapq
import io
import json
import os
import re
import sys
import threading
import time
import zlib
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from itertools import pairwise
from operator import itemgetter
from typing import IO, Any, BinaryIO, Final, Protocol

from agents import InputError
from agents.skills.logparse import (
    _JSON_LEVEL_KEYS,
    _JSON_MESSAGE_KEYS,
    _LEVEL_WORDS,
    _MESSAGE_KEYS,
    LEARN_LINES,
    MAX_PHRASE,
    MAX_SHAPE_KEY,
    SEVERITY_RANK,
    WILDCARD,
    Fields,
    HeaderShape,
    _quotes,
    canonical_shape,
    infer_severity,
    lane_spans,
    learn_header,
    parse_fields,
    parse_with,
)

# The report's dataclasses stay plain Python classes when this module is compiled (`make native`):
# a frozen native class cannot be pickled, copied or read with vars(), and they are made once per
# cluster, not per line. mypy_extensions is mypy's own dependency, there where mypyc compiles.
try:
    from mypy_extensions import mypyc_attr
except ImportError:  # a runtime install, uncompiled: nothing reads the attribute

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Any:  # type: ignore[misc]
        return lambda cls: cls


MAX_SIGNATURES: Final = 50_000  # signatures held before compacting them
MAX_CLUSTERS: Final = 10_000  # clusters kept; the rest are folded into the other cluster (step 3)
MAX_OPTIONAL: Final = 4  # tokens an optional aside or field may have (`_join_optional`)
_OPENER: Final = {")": "(", "]": "["}
# a `key=value` field whose value is masked, with a separator after it or none (`_join_optional`)
_FIELD: Final = re.compile(r"[A-Za-z_][\w.\-]*=<\*>[,;]?")
# a `key=value` field whose value is masked and nothing after it (`_join_value_tails`)
_BARE_FIELD: Final = re.compile(r"[A-Za-z_][\w.\-]*=<\*>")
# a bare word that may go on an unquoted value: no `=`, quote, bracket or separator after it
_VALUE_WORD: Final = re.compile(r"[\w.\-+/@*<>]+")
# a word in small letters that says what became of a record (`rejected`, `blocked by waf`, `rate
# limited`, `not found`): a past participle or a negation, an event's word, no value's
_OUTCOME_WORD: Final = re.compile(r"[a-z]+ed|not")
MAX_MASKS: Final = 32  # masks of variables searched per length when a new signature comes (step 3)
OTHER_TEMPLATE: Final = "(other: messages too rare to keep as clusters of their own)"
TOP_VALUES: Final = 3  # values per kind shown per cluster
TRACKED_VALUES: Final = 32  # values per kind counted per cluster (the most counted beyond that)
DISTINCT_SKETCH: Final = 256  # hashes kept per kind and cluster to count distinct values
# characters of values a kind keeps as they are (`_Values.seen`) before it hashes them: the
# memory of a kind's distinct count stays near the sketch's (about 24 KiB) whatever the values'
# length (without it, 255 values of 64 KiB each were kept: 16 MiB)
SEEN_CHARS: Final = 64 * DISTINCT_SKETCH
MAX_LINE_BYTES = 64 * 1024  # longer lines are cut (the rest of the line is skipped)
EXAMPLE_CHARS: Final = 300
# an example is there to show the header; its message is the template
RENDERED_EXAMPLE_CHARS: Final = 200
PROGRESS_EVERY: Final = 100_000
SPILL_IDS: Final = 65536  # assignments (signature ids) held in memory before they are spilled
# Every 1,024 lines the analysis lets other threads of its process run. Compiled (`make native`)
# it never returns to the interpreter, whose switch every 5 ms is what hands the GIL on: a
# million-line analysis in a thread held it for 1.6 s at a time, a long time for a lock's
# heartbeat or a health probe in the same process. A sleep of 0 releases it (about a µs).
YIELD_MASK: Final = 1023
# The fast lane (`LogAnalyzer.add_many`): lines read a chunk at a time, each line's shape (its
# UTF-8 bytes, digits read as 0) computed for the whole chunk at once; a shape seen a second time
# gets an entry (at most LANE_SHAPES of them), and a line of a shape with one is counted from
# spans of the line, not split. Shapes seen once are remembered until SEEN_SHAPES of them. Only
# lines of MAX_SHAPE_KEY bytes at most take part (longer ones have no plan by shape to read from),
# so what the lane holds stays within a few MB.
LANE_CHUNK: Final = 4096
# and at most LANE_CHUNK_CHARS characters a chunk (lines of up to MAX_LINE_BYTES each: 4,096 of
# them, with the chunk's shapes, took 193 MB where a line at a time takes 13)
LANE_CHUNK_CHARS: Final = 1 << 20
# The lane opens after LANE_AFTER lines: on fewer, its bookkeeping (a shape looked up and
# remembered per line, entries judged) costs more than it saves (a cold 2,000-line run of
# OpenStack's lines, most of them planned apart for their UUIDs, went from 1.18 to 0.98 of
# drain3's speed with it open from the start), and the analysis of so few lines is quick anyway.
LANE_AFTER: Final = 8192
LANE_SHAPES: Final = 4096
SEEN_SHAPES: Final = 4096
# A line whose shape has no entry is looked for canonical UUIDs (`canonical_shape`) in windows of
# UUID_LOOK_WINDOW lines; a window where fewer than one in UUID_LOOK_HITS had some pauses the
# look for UUID_LOOK_PAUSE lines (`LogAnalyzer._uuids_looked`)
UUID_LOOK_WINDOW: Final = 1024
UUID_LOOK_HITS: Final = 8
UUID_LOOK_PAUSE: Final = 64 * UUID_LOOK_WINDOW
_LINE_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
EMPTY_TEMPLATE: Final = "(empty message)"
GZIP_MAGIC: Final = b"\x1f\x8b"


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Tuning:
    """The parameters of the merge (step 4 of the module docstring). The defaults are the point
    of `benchmarks/skills_loso.py`'s grid with the best mean GA on Loghub-2k's nine systems; the
    same script chooses a point without each system in turn and scores it on the one left out
    (leave-one-system-out), and scores the defaults on random halves of each system, so the
    README's figures show what a system the defaults never saw gets, not only what they were
    chosen on. Every parameter is a rule about how values behave, none a list of words.

    - `variable_values`: distinct words in a column that make it a variable (fewer: the column
      tells events apart, `VM Paused` from `VM Resumed`).
    - `enum_values`: ... unless they are all upper-case names (states, methods: `RUNNING`,
      `GET`) or the message's first plain words (which name the event: `boot`, `wait`), which
      tell events apart up to this many.
    - `masked_share`: a column whose lines are at least this share masked values is a variable
      whatever its few kept words (`<*>` beside `none`); above 1, off.
    - `spread`: a column of at least three words with at least this many distinct words per
      line of its group is a variable (a name that rarely repeats, in a small group); 0, off.
    - `dotted_first`: a dotted first word (`autopurge.purgeInterval`) may name the event, as a
      plain one does; off, a column of dotted first words is a variable past `variable_values`
      (service or logger names left by a header).
    - `named`: a word after a preposition and an entity noun (`for user root`, `on host db`:
      `ENTITY_NOUNS`), or after an entity noun alone when one of its values is written as an
      identifier (`group order-router`), is a name, a variable however few its values, when
      more of the message follows it.
    - `collapse`: runs of adjacent masked tokens are one variable (a list of any length).
    - `optional`: templates that differ by one masked token, or by a bracketed aside or a
      labelled field of at most `MAX_OPTIONAL` tokens with a masked one at the end, present in
      one only are one event; so are templates alike up to a closing run of `key=<*>` fields
      that ends in the same key (`_field_run_key`), and a template of `key=value` fields that
      ends in one with the words of a value after it, written unquoted, is the template that
      ends at that field (`_join_value_tails`).
    - `free`: columns whose words combine freely with another column's are fields of a record,
      variables however few their words (`_free_columns`: any query type with any return code).
    """

    variable_values: int = 6
    enum_values: int = 16
    masked_share: float = 0.8
    spread: float = 0.0
    dotted_first: bool = True
    named: bool = True
    collapse: bool = True
    optional: bool = True
    free: bool = True


DEFAULT_TUNING: Final = Tuning()


class Writable(Protocol):
    """Where assignments go: anything with `write(str)` (a text file, `sys.stdout`, a list's
    wrapper in tests)."""

    def write(self, text: str, /) -> object: ...


class LogInputError(InputError):
    """A log source that cannot be read: not a regular file, not UTF-8, a broken gzip stream."""


# ---------------------------------------------------------------- reading


def read_lines(path: str, *, what: str = "log file") -> Iterator[str]:
    """The lines of a log, without their line ends: `path` is a regular file, plain or gzip
    (recognised by its magic bytes), or `-` for stdin. The file is checked and opened now, so a
    bad path fails at the call rather than at the first line; the lines are then streamed in
    bounded memory (a line over `MAX_LINE_BYTES` is cut there). The checks are those of
    `toolchain.inputs` (stat, refuse what is not a regular file, open non-blocking, fstat again);
    `toolchain.inputs` reads files whole under a size cap, a log is streamed instead and has no cap.
    Every problem, then or while reading (not UTF-8, a broken gzip stream), is a `LogInputError`
    of one line naming the source."""
    if path == "-":
        source, raw = "stdin", sys.stdin.buffer
    else:
        source, raw = path, _open_regular(path, what)
    try:
        stream = _maybe_gunzip(raw, source, what)
    except BaseException:
        if raw is not sys.stdin.buffer:
            raw.close()
        raise
    return _decoded(stream, raw, source, what)


def _open_regular(path: str, what: str) -> BinaryIO:
    from toolchain.inputs import open_regular  # noqa: PLC0415 - imported when a file is read

    fd, _ = open_regular(path, what, error=LogInputError)
    return os.fdopen(fd, "rb", buffering=1 << 20)


def _maybe_gunzip(raw: BinaryIO, source: str, what: str) -> BinaryIO:
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[type-var]
    try:
        magic = buffered.peek(2)[:2]
    except OSError as exc:
        raise LogInputError(f"{source}: cannot read the {what} ({exc.strerror or exc})") from exc
    if magic == GZIP_MAGIC:
        return gzip.GzipFile(fileobj=buffered, mode="rb")  # type: ignore[return-value]
    return buffered


def _decoded(stream: BinaryIO, raw: BinaryIO, source: str, what: str) -> Iterator[str]:
    number = offset = 0
    try:
        while True:
            data = stream.readline(MAX_LINE_BYTES)
            if not data:
                return
            number += 1
            size = len(data)
            if size == MAX_LINE_BYTES and not data.endswith(b"\n"):
                rest = data
                while rest and not rest.endswith(b"\n"):  # skip the rest of an over-long line
                    rest = stream.readline(MAX_LINE_BYTES)
                    size += len(rest)
                data = _cut_utf8(data)
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise LogInputError(
                    f"{source}: the {what} is not UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                    f"{offset + exc.start}, line {number})"
                ) from exc
            offset += size
            yield text.rstrip("\r\n")
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise LogInputError(f"{source}: a broken gzip stream in the {what} ({exc})") from exc
    except OSError as exc:
        raise LogInputError(f"{source}: cannot read the {what} ({exc.strerror or exc})") from exc
    finally:
        if raw is not sys.stdin.buffer:
            stream.close()
            raw.close()


def _cut_utf8(data: bytes) -> bytes:
    """`data` without the UTF-8 sequence cut in half at its end, if any."""
    for cut in range(4):
        head = data[: len(data) - cut]
        with contextlib.suppress(UnicodeDecodeError):
            head.decode("utf-8")
            return head
    return data  # a bad byte earlier on: decoding it reports where


def cloudwatch_lines(
    client: Any,
    group: str,
    start_ms: int | None = None,
    end_ms: int | None = None,
    filter_pattern: str | None = None,
    *,
    timestamps: bool = True,
    page_size: int | None = None,
) -> Iterator[str]:
    """The events of a CloudWatch Logs group (`client` a boto3 `logs` client), one line each,
    through `filter_log_events` pagination: all streams, in the order the service returns them,
    from `start_ms` to `end_ms` (epoch milliseconds), matching `filter_pattern` (CloudWatch's
    syntax). With `timestamps`, each line starts with the event's time (RFC 3339, UTC): many
    messages (Lambda's, an app's `print`) carry none, and the header grammar takes it as the
    line's timestamp. An event's inner line breaks become spaces: an event is one record (a stack
    trace stays with its error). `page_size` caps the events per call (the service's default is
    up to 10,000). A missing group or denied access is a `LogInputError`."""
    import datetime  # noqa: PLC0415 - only this reader needs them

    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    kwargs: dict[str, Any] = {"logGroupName": group}
    if start_ms is not None:
        kwargs["startTime"] = start_ms
    if end_ms is not None:
        kwargs["endTime"] = end_ms
    if filter_pattern:
        kwargs["filterPattern"] = filter_pattern
    if page_size is not None:
        kwargs["PaginationConfig"] = {"PageSize": page_size}
    try:
        for page in client.get_paginator("filter_log_events").paginate(**kwargs):
            for event in page.get("events", []):
                message = " ".join(str(event.get("message", "")).splitlines())
                stamp = event.get("timestamp")
                if timestamps and isinstance(stamp, int):
                    when = datetime.datetime.fromtimestamp(stamp / 1000, datetime.UTC)
                    message = f"{when.isoformat(timespec='milliseconds')[:-6]}Z {message}"
                yield message
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise LogInputError(
            f"CloudWatch Logs group {group}: {error.get('Code', 'error')} "
            f"({error.get('Message', exc)})"
        ) from exc
    except BotoCoreError as exc:
        raise LogInputError(f"CloudWatch Logs group {group}: cannot read it ({exc})") from exc


# ---------------------------------------------------------------- the report


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class ValueCount:
    value: str
    count: int


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Variable:
    """The values of one kind (ip, id, path) a cluster's lines carried."""

    kind: str
    distinct: int  # exact below DISTINCT_SKETCH values, an estimate beyond (`distinct_exact`)
    distinct_exact: bool
    top: tuple[ValueCount, ...]  # the most counted, at most TOP_VALUES
    counts_exact: bool  # False: past TRACKED_VALUES values, the counts are lower bounds


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class LogCluster:
    id: int  # 1-based, in order of first appearance; assignments use it
    template: str
    count: int
    severity: str | None  # most severe seen; None when neither header nor words said
    severity_from_header: bool  # False: guessed from the message's words (or unknown)
    first_seen: str | None  # timestamps as written in the log, first and last in input order
    last_seen: str | None
    first_line: int  # 1-based line numbers
    last_line: int
    example: str  # the first raw line, cut to EXAMPLE_CHARS
    variables: tuple[Variable, ...]
    other: bool = False  # the other cluster: rare messages folded together past max_clusters


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class LogReport:
    source: str
    lines_read: int
    first_seen: str | None  # the first and last timestamps of the input, as written
    last_seen: str | None
    lines_with_header: int  # lines whose header (or structured format) was recognised
    signatures: int  # distinct masked messages before merging
    compactions: int
    clusters: tuple[LogCluster, ...]
    other_lines: int = 0  # lines in the other cluster (0: every line is in a cluster of its own)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)


@mypyc_attr(native_class=False)
@dataclass(frozen=True)
class Progress:
    lines: int
    signatures: int


def stderr_progress(progress: Progress) -> None:
    """A `progress` callback for command lines: one line on stderr per call."""
    print(
        f"analyze_logs: {progress.lines:,} lines, {progress.signatures:,} signatures",
        file=sys.stderr,
        flush=True,
    )


# ---------------------------------------------------------------- accumulation


# Clusterings under way in this process (`_GcPaused`), and whether the collector was on when the
# first of them started; read and written under the lock.
_gc_lock: Final = threading.Lock()
_gc_holders: Final = [0]
_gc_was_on: Final = [False]


class _GcPaused:
    """Python's cyclic garbage collector held off while a chunk of lines is clustered or the
    clusters are merged, then turned on again if it was on (as Mercurial's `util.nogc`). The
    clustering makes many small containers that stay (signatures, values, plans, templates),
    and a collection every 700 new ones walks all the young ones again: 3-4% of the
    instructions of 2,000 lines clustered cold. Nothing here is freed only by the collector
    (no reference cycles are made), and whatever other code leaves for it meanwhile is
    collected once it is on again, after a chunk (`LANE_CHUNK` lines at most). The flag is the
    process's: calls that overlap in threads (the MCP server's) count themselves under a lock,
    the first to start reads it and the last to end gives it back, so that none reads the
    `off` another left and keeps it off for good. The input is read with it on (a reader,
    boto3's among them, may make cycles)."""

    __slots__ = ()

    def __enter__(self) -> None:
        with _gc_lock:
            if not _gc_holders[0]:
                _gc_was_on[0] = gc.isenabled()
                gc.disable()
            _gc_holders[0] += 1

    def __exit__(self, *_: object) -> None:
        with _gc_lock:
            _gc_holders[0] -= 1
            if not _gc_holders[0] and _gc_was_on[0]:
                gc.enable()


class _Values:
    """The values of one kind in a cluster, in bounded memory.

    - Counts: at most 2 * TRACKED_VALUES values; when full, only the TRACKED_VALUES most counted
      stay (sorted once per TRACKED_VALUES new values, so a value costs O(log) amortised). A
      value that keeps coming back stays; one that was pruned and returns restarts at 1, so
      counts are exact for the top values of most sources and lower bounds otherwise (`pruned`).
    - Distinct: below DISTINCT_SKETCH values (and SEEN_CHARS characters), the values themselves
      (`seen`: exact, and no hash to compute: most kinds of most clusters never have that many);
      from there, the KMV sketch,
      the DISTINCT_SKETCH smallest 32-bit hashes (CRC-32, stable across runs) of every value seen,
      an estimate within about 6%. The hashes are a set; a heap of them (to find the largest) is
      made only once the sketch is full. The sketch (the smallest hashes of the values seen) does
      not depend on their order, so new values are taken in batches (`fresh`, at most
      2 * TRACKED_VALUES of them: at each prune and whenever the sketch is read), not one call
      each, and `seen` is hashed whole when it fills.
    """

    __slots__ = ("counts", "fresh", "hashes", "heap", "pruned", "seen", "seen_chars")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.pruned = False
        self.fresh: list[str] = []  # values counted but not in `seen` or hashed yet
        # the distinct values while fewer than DISTINCT_SKETCH; None once they are hashed
        self.seen: set[str] | None = set()
        self.seen_chars = 0  # of the values put in `seen` (those seen twice too: a bound)
        self.hashes: set[int] = set()  # the kept hashes (none while `seen` is kept)
        # once DISTINCT_SKETCH are kept (empty before): the same, negated, as a heap (heap[0] is
        # minus the largest)
        self.heap: list[int] = []

    def add(self, value: str, n: int = 1) -> None:
        counts = self.counts
        if value in counts:
            counts[value] += n
            return
        counts[value] = n
        self.fresh.append(value)
        if len(counts) >= 2 * TRACKED_VALUES:
            self.prune()

    def prune(self) -> None:
        """Keep the TRACKED_VALUES most counted values (`counts` is full), and hash the new."""
        self.counts = _most_counted(self.counts)
        self.pruned = True
        self._sketch()

    def _sketch(self) -> None:
        """Take the `fresh` values into `seen`, or into the sketch once `seen` is full."""
        fresh = self.fresh
        if not fresh:
            return
        seen = self.seen
        if seen is not None:
            seen.update(fresh)
            self.seen_chars += sum(map(len, fresh))
            fresh.clear()
            if len(seen) >= DISTINCT_SKETCH or self.seen_chars > SEEN_CHARS:
                self._hash_seen()
            return
        found = _crc32s(fresh)
        fresh.clear()
        self._hashes(found)

    def _hash_seen(self) -> None:
        """Hash the values of `seen` into the sketch, which counts them from now on."""
        seen = self.seen
        if seen is not None:
            self.seen = None
            self._hashes(_crc32s(seen))

    def _hashes(self, found: Iterable[int]) -> None:
        """Keep the smallest DISTINCT_SKETCH of the kept hashes and `found`."""
        heap = self.heap
        if heap:  # the sketch is full: most are not among the smallest
            top = -heap[0]
            hashes = self.hashes
            for h in [h for h in found if h < top]:
                if h < top and h not in hashes:
                    hashes.discard(-heapq.heappushpop(heap, -h))
                    hashes.add(h)
                    top = -heap[0]
            return
        hashes = self.hashes
        hashes.update(found)
        if len(hashes) >= DISTINCT_SKETCH:  # full now: the smallest, and their heap
            kept = sorted(hashes)[:DISTINCT_SKETCH]
            self.hashes = set(kept)
            self.heap = [-h for h in reversed(kept)]  # ascending: a heap already

    @property
    def distinct(self) -> int:
        self._sketch()
        if self.seen is not None:
            return len(self.seen)
        if not self.heap:
            return len(self.hashes)
        return round((DISTINCT_SKETCH - 1) * (1 << 32) / (-self.heap[0] + 1))

    @property
    def distinct_exact(self) -> bool:
        self._sketch()
        return self.seen is not None or not self.heap

    def absorb(self, other: _Values) -> None:
        self.pruned |= other.pruned
        for value, n in other.counts.items():
            if value in self.counts:
                self.counts[value] += n
            else:
                self.counts[value] = n
        if len(self.counts) >= 2 * TRACKED_VALUES:
            self.counts = _most_counted(self.counts)
            self.pruned = True
        other._sketch()
        if other.seen is not None:  # values: taken as this one's own new values
            self.fresh.extend(other.seen)
            self._sketch()
        else:  # a sketch: this one's values hashed too, full or not
            self._sketch()
            self._hash_seen()
            self._hashes(other.hashes)


def _crc32s(values: Iterable[str]) -> list[int]:
    """The sketch's hash of each of `values`."""
    try:  # at C speed; UTF-8 with lone surrogates passed is the same bytes, when it applies
        return list(map(zlib.crc32, map(str.encode, values)))
    except UnicodeEncodeError:
        return [zlib.crc32(value.encode("utf-8", "surrogatepass")) for value in values]


def _most_counted(counts: dict[str, int]) -> dict[str, int]:
    """The `TRACKED_VALUES` most counted of `counts`, in that order (the first seen first on a
    tie: the sort is stable, reversed too). Only the values counted more than once are sorted:
    the rest, all tied at 1 (ids that rarely repeat: most values when this is called), follow
    them in the order first seen, as the sort of them all would put them (a count is at least 1)."""
    repeated = [item for item in counts.items() if item[1] > 1]
    if len(repeated) >= TRACKED_VALUES:
        return dict(sorted(repeated, key=itemgetter(1), reverse=True)[:TRACKED_VALUES])
    kept = dict(sorted(repeated, key=itemgetter(1), reverse=True))
    for value, n in counts.items():
        if n <= 1:
            kept[value] = n
            if len(kept) >= TRACKED_VALUES:
                break
    return kept


@dataclass(slots=True)
class _Group:
    """The running facts of a signature (and, after merging, of a cluster)."""

    gid: int
    tokens: tuple[str, ...]
    count: int
    first_line: int
    last_line: int
    first_seen: str | None
    last_seen: str | None
    example: str
    severity: str | None
    severity_from_header: bool
    values: dict[str, _Values] = field(default_factory=dict)
    trace: bool = False  # made from a line that may be a trace's (`_trace_word`)

    def absorb(self, other: _Group, *, values: bool = True) -> None:
        # the earliest line's example, unless it is blank and another is not (the other cluster
        # may take in a blank line's cluster first: its example is a message all the same)
        if other.first_line < self.first_line:
            self.first_line, self.first_seen = other.first_line, other.first_seen
            if other.example or not self.example:
                self.example = other.example
        elif other.example and not self.example:
            self.example = other.example
        if other.last_line > self.last_line:
            self.last_line, self.last_seen = other.last_line, other.last_seen
        self.count += other.count
        if other.severity is not None:
            self.worse(other.severity, from_header=other.severity_from_header)
        if values:
            for kind, found in other.values.items():
                self.values.setdefault(kind, _Values()).absorb(found)

    def worse(self, severity: str, *, from_header: bool) -> None:
        """Keep the most severe level seen; a level from a header replaces a guessed one."""
        if (
            self.severity is None
            or (from_header and not self.severity_from_header)
            or SEVERITY_RANK[severity] < SEVERITY_RANK[self.severity]
        ):
            self.severity = severity
            self.severity_from_header = from_header


# a fast-lane entry (`LogAnalyzer.add_many`): the group, then what `lane_spans` read of the shape
# (`LaneSpans` but its signature), flat: nested as (group, spans), 100,000 HDFS lines took 2.2%
# more instructions compiled
_LaneEntry = tuple[
    _Group,
    bool,
    str | None,
    int,
    int,
    tuple[tuple[int, int], ...],
    tuple[tuple[str, int, int], ...],
]


# The first line of a record thrown (Java's `java.lang.IllegalStateException: boom`, Python's
# `ValueError: bad`): a dotted name ending in Exception, Error or Throwable, then `:` or the end.
_THROWABLES: Final = ("Exception", "Error", "Throwable")
_THROWN_NAME_END: Final = rf"(?:{'|'.join(_THROWABLES)})(?::|\s*$)"
_EXCEPTION: Final = re.compile(rf"\s*[A-Za-z_$][\w$.]*{_THROWN_NAME_END}")
_TRACEBACK: Final = "Traceback (most recent call last):"
_STACK_TRACE: Final = "Stack trace:"  # PHP's, before its frames (`#0 /app/a.php(12): f()`)
_CONTINUATIONS: Final = (
    "Caused by: ",
    _TRACEBACK,
    "During handling of the above exception",
    "The above exception was the direct cause",
    "Suppressed: ",
    _STACK_TRACE,
)
# a frame of PHP's stack trace, after its `Stack trace:` line (`#0 /app/src/Db.php(28):
# PDO->__construct(...)`, `#5 {main}`): a record's line there, a record of its own elsewhere
_PHP_FRAME: Final = re.compile(r"#\d+ \S")
# a line of these alone closes a document or a call an earlier line opened (Ansible's `ok: [h]
# => {` and its result, a pretty-printed dict): it continues that record, as its indented lines do
_CLOSERS: Final = ")]}"
_CLOSING_ONLY: Final = ")]},; \t"
_MORE_FRAMES: Final = re.compile(r"\.\.\. \d+ (?:more|common frames omitted)")
_QUOTE_MARKS: Final = ("'", '"')  # a line that starts with one, after a record, is a value of it
# ... when it holds quoted strings and nothing else but separators (`':path', '/api'`, `"k": "v",`):
# an item of a list dumped a line each, not a record that a writer starts with a quote (an access
# log's `"GET /api HTTP/1.1" 503 UH ...`, interleaved with the headers' records)
_QUOTED_ITEMS: Final = re.compile(
    r"""(?:'[^']*'|"[^"]*")(?:[\s,:;=]*(?:'[^']*'|"[^"]*"))*[\s,;]*"""
)
_TWO_QUOTED: Final = re.compile(r"""(?:'[^']*'|"[^"]*")[\s,:;=]*(?:'[^']*'|"[^"]*")""")
# the line that ends a Python traceback, after its indented frames: what was thrown, whatever
# its class is called (`requests.exceptions.ConnectTimeout: ...`, `KeyboardInterrupt`)
_TRACEBACK_END: Final = re.compile(r"([A-Za-z_][\w.]*)(?::(?: |$)|$)")
# whether a line that starts with an ASCII character may be one that `continues`, by its first
# character: 0, it starts a record unless it is a PostgreSQL secondary field (a digit, a
# timestamp: most lines; an opening bracket, a dash); 1, when it names an exception
# (`_EXCEPTION`: a letter that starts none of `_CONTINUATIONS`) or is a secondary field; 2, as
# `continues` says (white space, `C`, `T`, `D`, `S`, `_`, `$`, `.`, a closing bracket)
_MAY_CONTINUE: Final = {
    chr(c): 2 if chr(c).isspace() or chr(c) in "CTDS_$.)]}" else int(chr(c).isalpha())
    for c in range(1, 128)
}


# PostgreSQL writes the secondary fields of one message (its detail, hint, context, the statement
# that caused it) on lines of their own, each with the full prefix and the field's name where
# the level is, then a colon and two spaces: `... [4121] app@db DETAIL:  Key (id)=(7) exists.`
_SECONDARY_FIELDS: Final = frozenset(
    ("DETAIL", "HINT", "CONTEXT", "STATEMENT", "QUERY", "LOCATION")
)


# a tag in square brackets that holds a digit (a request id, an address), opening a line (the
# characters before its first digit are no digit: one way to match, linear in a long token,
# where `[^...]*\d[^...]*` tried each digit with each end, 19 s for a 64 KiB line of `[` digits)
_TAG: Final = re.compile(r"\[[^\[\]\s\d]*\d[^\[\]\s]*\](?= |$)")


def repeats_tag(line: str, previous: str, parse: Callable[[str], Fields] = parse_fields) -> bool:
    """Whether `line`, written without a header, opens with the tag that the message of
    `previous` (its record's first line) opens with after that line's header: the rest of that
    record, as Rails's tagged logger writes a message of several lines (an exception with its
    backtrace: the lines joined by a line break and the tags, `[<request id>] app/models/...`).
    A tag is a bracketed token with a digit (not a thread's name, `[main]`, which lines of
    other records carry too). Not a tag that `previous` holds elsewhere (`waiting on [12]`,
    `queued [42] after [41]`): a line of that request or address is a record of its own.
    `parse`: how the analyzer reads a line (`parse_fields`, or its learned header's)."""
    m = _TAG.match(line)
    if m is None:
        return False
    tag = m.group()
    if previous.find(" " + tag, 1) < 0:  # (most lines: no parse)
        return False
    tokens, _, _, header, _, _ = parse(previous)
    if not header or not tokens or tokens[0] != tag:
        return False
    return not parse(line)[3]  # (`Parsed.header`: a line with its own starts a record)


def secondary_field(line: str, previous: str) -> bool:
    """Whether `line` is a PostgreSQL secondary field (`_SECONDARY_FIELDS`) of the message in
    `previous` (the record's first line): its first `:  ` (two spaces) follows one of those
    names, and what comes before the name (the log line prefix: time, pid, user and database,
    written once per message) is `previous`'s, whose own level is followed by `:  ` too. A line
    names such a field exactly when it is one of itself (`secondary_field(line, line)`)."""
    at = line.find(":  ")
    if at <= 0:
        return False
    start = max(line.rfind(" ", 0, at), line.rfind("|", 0, at), line.rfind("]", 0, at)) + 1
    return (
        line[start:at] in _SECONDARY_FIELDS
        and previous.startswith(line[:start])
        and previous.find(":  ", start) > start
    )


# A stack trace written one line at a time through a logger that puts its own header on each
# (Android's logcat, a Java service behind syslog): `<header>java.io.IOException: closed`,
# `<header>\tat pkg.Class.method(File.java:9)`, `<header>Caused by: ...`, `<header>... 9 more`.
# What comes before the trace's line must be the record's own header: the same but for its
# times and dates (`_CLOCKISH` tokens; a pid or a thread id must match). Both patterns start
# right after the header's `:` or `]` and read at most 16 blanks (no scan of a run of blanks
# from every position in it).
_PREFIXED_FRAME: Final = re.compile(
    r"(?<=[:\]])\s{1,16}(?:at [\w$.<>\-]+\(|Caused by: |\.\.\. \d+ (?:more|common frames omitted))"
)
_THROWN: Final = re.compile(rf"(?<=[:\]])\s{{1,16}}[A-Za-z_$][\w$.]{{0,200}}{_THROWN_NAME_END}")
_DIGITS_ZERO: Final = str.maketrans("123456789", "000000000")
_ERRORS: Final = frozenset(("error", "critical"))
# a time or a date in a header token (`11:27:10.656`, `12-06`, `[2026-12-06`, `10:01:05,123]`,
# `2026-12-06T10:01:38.969544Z`), and nothing else (`[4321-1]`, `4321/4321` or an IP is a
# process's or a host's, which must match); bounded runs, so a long near-miss is read once
_CLOCKISH: Final = re.compile(
    r"[\[(]?(?:"
    r"\d{4}[-/.]\d{2}[-/.]\d{2}(?:[T_]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?)?"
    r"|\d{1,2}[-/.]\d{1,2}"
    r"|\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,9})?"
    r")(?:Z|[+-]\d{2}:?\d{2})?[\])]?,?"
)
# a message's first word that may start a trace's line (told apart by `prefixed_trace`)
_TRACE_WORDS: Final = frozenset(("at", "Caused", "..."))
_THROWN_ENDS: Final = tuple(f"{name}{end}" for name in _THROWABLES for end in (":", ""))
TRACE_FRAME, TRACE_THROWN = 1, 2


def _trace_word(first: str) -> bool:
    """Whether a message's first word may start a line of a trace: `at`, `Caused`, `...`, or
    an exception's name."""
    return first in _TRACE_WORDS or (
        first.endswith(_THROWN_ENDS) and _EXCEPTION.match(first) is not None
    )


def prefixed_trace(line: str, previous: str) -> int:
    """Whether `line` is a line of a stack trace behind the same header as `previous` (the
    record's first line): `TRACE_FRAME` for a frame, a cause or `... N more`
    (`_PREFIXED_FRAME`), `TRACE_THROWN` for an exception's name (`_THROWN`: it continues the
    record only when that record is an error, which the caller knows; an application that logs
    `TimeoutError: ...` after `Processing job 5` logged a new record), 0 for neither. The same
    header: the same text up to its digits, the same tokens but for times and dates, a digit
    in it (a time, a pid), ending where a field does (`:` or `]`); and `previous` goes on past
    it with something else than such a line (two exceptions behind one header are two
    records)."""
    kind = TRACE_FRAME
    m = _PREFIXED_FRAME.search(line, 1)
    if m is None:
        kind = TRACE_THROWN
        m = _THROWN.search(line)
        if m is None:
            return 0
    end = m.start()
    header = line[:end]
    before = previous[:end]
    if (
        not any(c.isdigit() for c in header)
        or before.translate(_DIGITS_ZERO) != header.translate(_DIGITS_ZERO)
        or any(
            a != b and not _CLOCKISH.fullmatch(a)
            for a, b in zip(header.split(), before.split(), strict=False)
        )
    ):
        return 0
    rest = previous[end:]
    if not rest.strip() or _PREFIXED_FRAME.match(previous, end) or _EXCEPTION.match(rest):
        return 0
    return kind


# the keys of a structured log's message, level and time fields, in any case
# (`introduced_document`): `parse_fields`'s own, and those of writers it reads no field of
# (.NET's JSON console `Timestamp`, `LogLevel`, `Message`; Serilog's `@t`, `@mt`, `@l`;
# OpenTelemetry's `SeverityText`), whose records are no document a line before introduces either
_RECORD_KEYS: Final = frozenset(
    key.lower()
    for key in (
        *_MESSAGE_KEYS,
        *_JSON_LEVEL_KEYS,
        "timestamp",
        "@timestamp",
        "@t",
        "@m",
        "@mt",
        "@l",
        "messagetemplate",
        "renderedmessage",
        "severitytext",
        "severity_text",
    )
)


def introduced_document(line: str, parse: Callable[[str], Fields] = parse_fields) -> bool:
    """Whether `line`, right after a record's first line that ends with `:`, is the document
    that line introduces (Fluent Bit's `[error] [output:es:es.0] HTTP status=429 URI=/_bulk,
    response:`, then the reply's JSON on a line of its own), which `add` joins to the record: a
    JSON object or array whole, or the lone `{` or `[` that opens one printed over several lines
    (its indented lines and its closing bracket continue the record already). Not an object a
    structured log writes as a record of its own: one with a message field (`_JSON_MESSAGE_KEYS`)
    or whose fields give a time or a level (`parse_fields`), as a JSON-lines log interleaved
    with text lines has, or with a key of such a field in any case (`_RECORD_KEYS`: `Message`,
    `LogLevel`, Serilog's `@t`, which `parse_fields` does not read); nor an array in which
    `parse` (the source's) reads a header (`[1706781601, "info", "ok"]`), a record of its own
    as the fast lane counts it (`add_many` takes a line whose shape says it has a header as a
    record whatever came before it)."""
    text = line.strip()
    if text in ("{", "["):
        return True
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
        return False
    if isinstance(value, list):
        return not parse(text)[3]
    if not isinstance(value, dict) or any(key in value for key in _JSON_MESSAGE_KEYS):
        return False
    if any(key.lower() in _RECORD_KEYS for key in value):
        return False
    _, stamp, severity, _, _, _ = parse_fields(text)
    return stamp is None and severity is None


def continues(line: str, *, indented_record: bool = False, previous: str | None = None) -> bool:
    """Whether `line` continues the record before it rather than starting one: a multi-line
    record (a stack trace, a wrapped message) is one event, as log shippers' multiline rules
    (Fluent Bit's `java`, `python`) read it. A line continues when it is indented (and the record's
    first line was not), starts a traceback or a cause (`Traceback (most recent call last):`,
    `Caused by: `, `... 12 more`), closes what an earlier line opened (`}`, `]);` alone),
    names an exception (`java.io.IOException: closed`,
    `ValueError: bad`), is a PostgreSQL secondary field of the message `previous` (the
    record's first line) holds (`secondary_field`), or is a frame behind the record's own header
    (`prefixed_trace`). An empty line starts a record of its own."""
    if previous is not None:
        traced = prefixed_trace(line, previous)
        if secondary_field(line, previous) or traced == TRACE_FRAME:
            return True
        if traced == TRACE_THROWN and parse_fields(previous)[2] in _ERRORS:
            return True
    first = line[:1]
    if first in (" ", "\t"):
        return not indented_record and bool(line.strip())
    if not first:
        return False
    if first in _CLOSERS and not line.strip(_CLOSING_ONLY):
        return True  # `}`, `]`, `});`: the end of what a line before opened, no message
    if first in "CTDS" and line.startswith(_CONTINUATIONS):
        return True
    if first == "." and _MORE_FRAMES.match(line):
        return True
    return _EXCEPTION.match(line) is not None


class LogAnalyzer:
    """The streaming state of `analyze_logs`: `add` each line, then `finish`."""

    def __init__(
        self,
        *,
        source: str = "logs",
        progress: Callable[[Progress], None] | None = None,
        progress_every: int = PROGRESS_EVERY,
        assignments: Writable | None = None,
        max_signatures: int = MAX_SIGNATURES,
        max_clusters: int = MAX_CLUSTERS,
        tuning: Tuning | None = None,
        lane_after: int = LANE_AFTER,
    ) -> None:
        self.source = source
        self._lane_after = lane_after  # lines read before the fast lane opens (`add_many`)
        self._tuning = tuning or DEFAULT_TUNING
        self._progress = progress
        self._progress_every = max(1, progress_every)
        self._assignments = assignments
        self._max_signatures = max(16, max_signatures)
        self._compact_at = self._max_signatures
        self._index: dict[tuple[str, ...], _Group] = {}
        self._groups: dict[int, _Group] = {}  # live signature id -> facts
        self._max_clusters = max(1, max_clusters)
        self._generals = _Generals(())  # merged templates with variables, for new signatures
        self._other: _Group | None = None  # the other cluster (step 3), once something is folded
        self._parent = array("I")  # signature id -> the id it was merged into (itself if live)
        # signature ids of the lines read, when assignments are asked for: spilled to a temporary
        # file past `SPILL_IDS` (one made only then: most inputs never fill it)
        self._pending: array[int] | None = array("I") if assignments is not None else None
        self._spill: IO[bytes] | None = None
        self.lines = 0
        self.with_header = 0
        self.compactions = 0
        self.first_seen: str | None = None
        self._held: str | None = None  # the record being read: its first line ...
        self._held_more = 0  # ... how many continuation lines followed it ...
        self._held_exception = ""  # ... and the first that names an exception
        self._held_traceback = False  # in a Python traceback ...
        self._held_frames = False  # in PHP's stack trace (after its `Stack trace:` line)
        self._held_indented = False  # ... and its last line was indented (a frame)
        self._held_list = ""  # the first character of what the record's `:` introduced
        self._next_progress = self._progress_every
        self._learning: list[str] | None = []  # the first lines, until the header is learned
        self.header_shape: HeaderShape | None = None  # learned, for a header the grammar lacks
        # a line's parse: `parse_fields`, or `parse_with` the learned shape (`_learned`)
        self._parse: Callable[[str], Fields] = parse_fields
        self.last_seen: str | None = None
        self._last_line: str | None = None  # the last record's first line ...
        self._last_gid = 0  # ... its group ...
        self._last_severity: str | None = None  # ... and its own level (its header's)
        # the fast lane (`add_many`): entries by line shape, shapes seen once (True) or judged
        # (False: no entry), and the held line's entry with the compactions it was found after
        self._lane: dict[bytes, _LaneEntry] = {}
        self._shapes_seen: dict[bytes, bool] = {}
        # lines looked for canonical UUIDs (`_uuids_looked`), those that had some, and the line
        # from which to look again
        self._uuids_tries = self._uuids_found = self._uuids_resume = 0
        self._held_entry: _LaneEntry | None = None
        self._held_epoch = 0
        self.lane_lines = 0  # records counted by the fast lane (`_lane_take`)

    def add(self, line: str) -> None:
        """Take one input line: the start of a record, or a continuation of the one before
        (`continues`: a stack trace, an indented line; or a line without a header right after a
        record's first line that ends with `:`, `_introduced`, and the quoted items of a list
        that line or any record begins, `_listed`; the JSON document such a line introduces,
        `introduced_document`), which joins that record's cluster. The
        first `LEARN_LINES` lines are held until the source's header shape is learned from them
        (`learn_header`: only for a header the grammar does not know), then taken in order."""
        learning = self._learning
        if learning is not None:
            learning.append(line)
            if len(learning) >= LEARN_LINES:
                self._learned()
            return
        self.lines += 1
        if not self.lines & YIELD_MASK:
            time.sleep(0)  # other threads' turn (`YIELD_MASK`)
        held = self._held
        if held is not None:
            # by its first character (`_MAY_CONTINUE`), a line (a timestamp: most lines) starts
            # a record, which `continues` would say at greater cost, or (a letter) continues
            # one only when it names an exception
            first = line[:1]
            may = _MAY_CONTINUE.get(first)
            if may is None:  # not ASCII (or an empty line)
                may = 2 if first.isspace() else 0
            if (
                secondary_field(line, held)
                or (
                    _EXCEPTION.match(line) is not None
                    if may == 1
                    else may == 2 and continues(line, indented_record=held[:1] in " \t")
                )
                or (
                    # what a closing `:` introduces, or a quoted value dumped on a line
                    (held.endswith(":") or first in _QUOTE_MARKS)
                    # not a digit, a bracket, a dash
                    and (may or first.isalpha() or first in _QUOTE_MARKS)
                    # the first line, or one more item of a quoted list, begun alike
                    and (
                        not self._held_more
                        or (self._held_list in _QUOTE_MARKS and first == self._held_list)
                    )
                    and self._introduced(line, held)
                    and self._listed(line, held)
                )
                or (self._held_indented and self._held_traceback and self._ends_traceback(line))
                or (first == "[" and repeats_tag(line, held, self._parse))
                or (first == "#" and self._held_frames and _PHP_FRAME.match(line) is not None)
                or (
                    # a document a closing `:` introduces (`HTTP status=429 URI=/_bulk,
                    # response:`, then the body's JSON), not a structured record of its own
                    first in "{["
                    and not self._held_more
                    and held.endswith(":")
                    and introduced_document(line, self._parse)
                    and self._parse(held)[3]
                )
            ):
                self._held_more += 1
                if first == "S" and line.startswith(_STACK_TRACE):
                    self._held_frames = True
                if not self._held_exception and _EXCEPTION.match(line):
                    self._held_exception = line.strip()
                indented = first in " \t"
                if not indented and self._held_traceback:  # thrown, or a cause's first line
                    if not self._held_exception and self._ends_traceback(line):
                        self._held_exception = line.strip()
                    self._held_traceback = False
                elif line.startswith(_TRACEBACK) or (
                    self._held_more == 1 and held.endswith(_TRACEBACK)  # its first line's
                ):
                    self._held_traceback = True
                self._held_indented = indented
                return
            self._take_held(held)
        self._held = line
        self._held_entry = None

    def _listed(self, line: str, held: str) -> bool:
        """True, after noting, when `line` is the first line a record's `:` introduces (or a
        quoted value the record dumps on a line of its own, `:` or not), its first character:
        the lines after it that begin with the same quote are the items of one list (Envoy's
        `router decoding headers:`, then a line per header, `':path', '/api'`; `upstream headers
        complete: end_stream=false`, then the same); a line of words after it is another
        record, as what a `:` introduces is one line. Such an item holds quoted strings and
        nothing else but separators (`_QUOTED_ITEMS`): a line that goes on in bare words after
        its quote (an access log's `"GET /api HTTP/1.1" 503 UH 0 91 ...` without a header, in
        the stream of a proxy whose own records have one) is a record of its own (`_introduced`
        asks that the record before has a header)."""
        if (self._held_more or not held.endswith(":")) and not _QUOTED_ITEMS.fullmatch(line):
            return False
        if not self._held_more:
            self._held_list = line[:1]
        return True

    @staticmethod
    def _ends_traceback(line: str) -> bool:
        """Whether `line`, after a Python traceback's indented frames, is its last line, which
        names what was thrown (`smtplib.SMTPServerDisconnected: Connection unexpectedly
        closed`): a dotted name, then `: ` or the end, that is no level word (`WARNING: ...`
        starts a record of a header-less log)."""
        found = _TRACEBACK_END.match(line)
        return found is not None and found.group(1).lower() not in _LEVEL_WORDS

    def _introduced(self, line: str, held: str) -> bool:
        """Whether `line`, right after a record's first line `held` that ends with `:`, is what
        that line introduces (RabbitMQ's `Channel error on connection <0.5565.0> (...), channel
        10:`, then `operation basic.publish caused a channel exception ...`): `held` has a
        header and `line`, not empty, has none, so it is no record of this log's own. (`add`
        asks only of a line that starts with a letter or a blank: one that starts with a digit,
        a bracket or a dash starts a record, as everywhere.) Not a line whose words say an error
        or a warning after a record of no such level (`INFO Executing hook:`, then a program's
        `panic: ...` or `Killed`): an event of its own, which joined would vanish into an info
        record's cluster and its level; but a line of two quoted strings or more and nothing else
        (`_QUOTED_ITEMS`) is data whatever its words (Envoy's `'x-envoy-expected-rq-timeout-ms',
        '15000'`), where one quoted string alone may be a message (`"FATAL: could not connect"`)."""
        if not line.strip() or self._parse(line)[3]:
            return False
        _, _, level, header, _, _ = self._parse(held)
        return header and (
            infer_severity(line) is None
            # two quoted strings or more and separators only: data the record dumps (a header's
            # name and value, `'x-envoy-expected-rq-timeout-ms', '15000'`), whose words say no
            # severity; one quoted string alone may be a message (`"FATAL: could not connect"`)
            or (_QUOTED_ITEMS.fullmatch(line) is not None and _TWO_QUOTED.match(line) is not None)
            or (level is not None and SEVERITY_RANK[level] <= SEVERITY_RANK["warning"])
            or line.split(None, 1)[0] in held.split()  # (a word of the record: `Trace[12]:`)
        )

    def _take_held(self, held: str) -> None:
        """Count the held record, whose first line is `held` (the next record starts at line
        `self.lines`): from its lane entry (`add_many`) when it has one that no compaction came
        after and no continuation line, else parsed (`_take`)."""
        more = self._held_more
        entry = self._held_entry
        if entry is not None and not more and self._held_epoch == self.compactions:
            self._lane_take(held, self.lines - 1, entry)
        else:
            self._take(held, self.lines - 1 - more, more)
            if more:  # the exception is found only in a continuation line
                self._held_more = 0
                self._held_exception = ""
                self._held_traceback = self._held_indented = self._held_frames = False
                self._held_list = ""

    def add_many(self, lines: Sequence[str]) -> None:
        """`_add_many`, with Python's cyclic garbage collector held off (`_GcPaused`)."""
        with _GcPaused():
            self._add_many(lines)

    def _add_many(self, lines: Sequence[str]) -> None:
        """`add` each of `lines`, in order, with the same outcome, faster where shapes repeat
        (the fast lane). The chunk's line shapes are made at once, in C. A line whose shape has
        an entry starts a record (the entry is made only for a shape whose first character and
        lack of `:  ` say so: no continuation, no PostgreSQL secondary field) and is counted,
        once the next record starts, from the entry's spans (`_lane_take`) rather than parsed.
        A shape gets an entry the second time it is seen, when `lane_spans` says every line of
        it reads alike and its signature's group is known and may not start a trace. A line whose
        shape has no entry and holds UUIDs is looked up by its canonical shape (`canonical_shape`,
        as the parser keys its plan), which is then its shape here: its UUIDs change from line
        to line and the rest of it comes back. Entries
        name groups, so a compaction empties the lane. `analyze_logs` hands it chunks of
        LANE_CHUNK lines and LANE_CHUNK_CHARS characters at most."""
        if not isinstance(lines, list):  # (a deque is a sequence that takes no slice)
            lines = list(lines)
        learning = 0
        while self._learning is not None and learning < len(lines):
            self.add(lines[learning])  # the header is learned from the first lines
            learning += 1
        if learning:
            lines = lines[learning:]
        if self._parse is not parse_fields or self.lines + len(lines) < self._lane_after:
            for line in lines:
                self.add(line)
            return
        shapes = "\n".join(lines).encode("utf-8", "surrogatepass").translate(_LINE_ZERO)
        pieces = shapes.split(b"\n")
        if len(pieces) != len(lines):  # a line with a line break in it: a line at a time
            pieces = [line.encode("utf-8", "surrogatepass").translate(_LINE_ZERO) for line in lines]
        lane, seen = self._lane, self._shapes_seen
        for i in range(len(lines)):
            line = lines[i]
            shape = pieces[i]
            entry = lane.get(shape)
            if entry is None and len(shape) >= 36 and self.lines >= self._uuids_resume:
                keyed = canonical_shape(shape)  # maybe keyed by canonical UUIDs
                self._uuids_looked(keyed is not shape)
                if keyed is not shape:
                    shape = keyed
                    entry = lane.get(shape)
            if entry is None:
                self.add(line)
                if len(shape) > MAX_SHAPE_KEY:
                    continue
                judged = seen.get(shape)
                if judged is None:
                    if len(seen) >= SEEN_SHAPES:
                        seen.clear()
                    seen[shape] = True
                elif judged:
                    seen[shape] = False
                    if len(lane) < LANE_SHAPES:
                        made = self._lane_entry(line)
                        if made is not None:
                            lane[shape] = made
                continue
            held = self._held
            if (
                held is not None
                and not entry[1]
                and (
                    (held.endswith(":") and (not self._held_more or self._held_list))
                    or self._held_traceback
                    or self._held_frames
                    or (line[:1] in _QUOTE_MARKS and self._held_may_list(lane, pieces, i))
                )
            ):
                # (and after PHP's `Stack trace:`, its `#N` frames)
                # a line without a header after `...:` may be what it introduces, after a
                # traceback's frames what was thrown, and after a record with a header a quoted
                # item of a list it dumps
                self.add(line)
                continue
            epoch = self.compactions  # `entry` was found before the held line is taken
            self.lines += 1
            if not self.lines & YIELD_MASK:
                time.sleep(0)  # other threads' turn (`YIELD_MASK`)
            if held is not None:
                self._take_held(held)
            self._held = line
            self._held_entry = entry
            self._held_epoch = epoch  # a compaction since: `entry` names a group gone

    def _held_may_list(self, lane: dict[bytes, _LaneEntry], pieces: list[bytes], i: int) -> bool:
        """Whether the held record may go on in a quoted line (`_listed`), line `i` of
        `add_many`'s chunk whose shapes are `pieces`: unless the held line's lane entry, its own
        or its shape's (the line before, when the record has no more lines), says it has no
        header (a header-less log's quoted lines, CSV: each a record, counted by the lane)."""
        entry = self._held_entry
        if entry is None and i and not self._held_more:
            entry = lane.get(pieces[i - 1])
        return entry is None or entry[1]

    def _uuids_looked(self, found: bool) -> None:
        """Count a line whose shape had no lane entry and was looked for canonical UUIDs (`found`:
        it had some). When fewer than one in UUID_LOOK_HITS of the last UUID_LOOK_WINDOW did,
        none is looked for in the next UUID_LOOK_PAUSE lines: the look (the shape counted for
        dashes, translated and searched) cost ZooKeeper's and BGL's lines 3% more instructions,
        where no UUID ever comes. Only speed depends on it, never what is counted."""
        self._uuids_tries += 1
        self._uuids_found += found
        if self._uuids_tries >= UUID_LOOK_WINDOW:
            if self._uuids_found * UUID_LOOK_HITS < self._uuids_tries:
                self._uuids_resume = self.lines + UUID_LOOK_PAUSE
            self._uuids_tries = self._uuids_found = 0

    def _lane_entry(self, line: str) -> _LaneEntry | None:
        """The fast lane's entry for `line`'s shape (`add_many`), or None: the line must start a
        record whatever came before it (as `add` tells), read alike with every line of its shape
        (`lane_spans`), and count in a known group that may not start a trace (`_take` would
        look for one)."""
        first = line[:1]
        may = _MAY_CONTINUE.get(first)
        if may is None:
            may = 2 if first.isspace() else 0
        # as `add` tells a continuation, on what every line of the shape reads alike (a digit is
        # read as a digit by `_EXCEPTION`, `_MORE_FRAMES`, and not at all by `_CONTINUATIONS`).
        # A canonical shape's lines differ in their UUIDs' letters too, which none of these
        # reads otherwise: `_EXCEPTION`'s run of name characters stops at a UUID's first dash,
        # and no thrown name (`_THROWABLES`) is written in hex; `_CONTINUATIONS` each hold a
        # letter past `f` in their first three characters; `_MORE_FRAMES` and white space start
        # with no hex digit; a field name before `:  ` holds no digit, and a UUID two. A line
        # that starts with a UUID letter is read by `_EXCEPTION` (`may` 1) or by `continues`
        # (`C`, `D`: `may` 2): both say no.
        if (
            first.isspace()
            or (may == 1 and _EXCEPTION.match(line) is not None)
            or (may == 2 and continues(line))
        ):
            return None
        if secondary_field(line, line):  # it names a secondary field: one of the line before?
            return None
        spans = lane_spans(line)
        if spans is None:
            return None
        signature, header, severity, ts_a, ts_b, ts_parts, values = spans
        if not header and _TAG.match(line) is not None:  # may go on a record (`repeats_tag`)
            return None
        group = self._index.get(signature)
        if group is None or group.trace:
            return None
        return group, header, severity, ts_a, ts_b, ts_parts, values

    def _lane_take(self, line: str, number: int, entry: _LaneEntry) -> None:
        """`_take(line, number, 0)` for a line whose shape has a lane entry: the same counts,
        read from the entry and the line's spans."""
        group, header, severity, ts_a, ts_b, ts_parts, values_at = entry
        self.lane_lines += 1
        # (the values are counted inline, as in `_take`: a shared function took 2.6% more
        # instructions on 100,000 HDFS lines, compiled)
        if header:
            self.with_header += 1
        self._last_line, self._last_gid, self._last_severity = line, group.gid, severity
        group.count += 1
        group.last_line = number
        if ts_b or ts_parts:
            if ts_b:
                timestamp = line[ts_a:ts_b]
            else:
                timestamp = " ".join([line[a:b] for a, b in ts_parts]).strip("[],")
            group.last_seen = self.last_seen = timestamp
            if group.first_seen is None:
                group.first_seen = timestamp
            if self.first_seen is None:
                self.first_seen = timestamp
        if severity is not None and (severity != group.severity or not group.severity_from_header):
            group.worse(severity, from_header=True)
        if values_at:
            tracked = group.values
            for kind, a, b in values_at:
                value = line[a:b]
                values = tracked.get(kind)
                if values is None:
                    values = tracked[kind] = _Values()
                counts = values.counts
                if value in counts:  # `_Values.add`, inline
                    counts[value] += 1
                else:
                    counts[value] = 1
                    values.fresh.append(value)
                    if len(counts) >= 2 * TRACKED_VALUES:
                        values.prune()
        pending = self._pending
        if pending is not None:
            pending.append(group.gid)
            if len(pending) >= SPILL_IDS:
                self._spill_pending(pending)
        if self._progress is not None and number >= self._next_progress:
            self._report(number)

    def _learned(self) -> None:
        """Learn the header shape from the held first lines, then take them in order. The
        grammar's parses of those lines (`learn_header` reads them all) are kept for `_take`
        while the lines are taken, so a line is not parsed twice."""
        lines, self._learning = self._learning or [], None
        parses: dict[str, Fields] = {}
        shape = self.header_shape = learn_header(lines, parses=parses)
        if shape is not None:
            self._parse = lambda line: parse_with(line, shape)
        else:  # then a line's parse is `parse_line`'s: the one kept, while these are taken

            def kept(line: str) -> Fields:
                parsed = parses.get(line.strip())
                return parse_fields(line) if parsed is None else parsed

            self._parse = kept
        for line in lines:
            self.add(line)
        if shape is None:
            self._parse = parse_fields

    def _take(self, line: str, number: int, more: int) -> None:
        """Count a record: its first `line`, its line `number`, and `more` continuation lines.
        A line of a stack trace behind the header of the record before it (`prefixed_trace`:
        logcat writes a trace a line at a time, each with its header) goes on with that record,
        as a continuation line would; it is told by its message's first word, once parsed."""
        parsed = self._parse(line)
        message, timestamp, severity, header, signature, found = parsed
        if header:
            self.with_header += 1
        group = self._index.get(signature)
        traced = None
        # a line of a trace behind the last record's header: told by its message's first word
        # when its signature is new, else by its group's (made from such a line that had no
        # record of its header before it)
        trace_word = _trace_word(message[0] if message else "") if group is None else False
        if self._last_line is not None and (trace_word if group is None else group.trace):
            trace = prefixed_trace(line, self._last_line)
            if trace == TRACE_FRAME or (trace and self._last_severity in _ERRORS):
                # (an exception's name only after a record whose own level is an error)
                traced = self._live(self._last_gid)
        if traced is not None:
            group, new = traced, False
            # the record's own severity and values: a frame's paths and ids are not the event's
            severity, found = None, ()
        else:
            new = group is None
            if group is None:
                group = self._new_group(line, number, parsed, trace_word)
            self._last_line, self._last_gid, self._last_severity = line, group.gid, severity
        group.count += 1 + more
        group.last_line = number + more
        if timestamp is not None:
            group.last_seen = self.last_seen = timestamp
            if group.first_seen is None:
                group.first_seen = timestamp
            if self.first_seen is None:
                self.first_seen = timestamp
        if severity is not None and (severity != group.severity or not group.severity_from_header):
            group.worse(severity, from_header=True)
        if found:
            tracked = group.values
            for kind, value in found:
                values = tracked.get(kind)
                if values is None:
                    values = tracked[kind] = _Values()
                counts = values.counts
                if value in counts:  # `_Values.add`, inline
                    counts[value] += 1
                else:
                    counts[value] = 1
                    values.fresh.append(value)
                    if len(counts) >= 2 * TRACKED_VALUES:
                        values.prune()
        pending = self._pending
        if pending is not None:
            pending.append(group.gid)  # final once merged: `_find` follows it
            if more:
                pending.extend([group.gid] * more)
            if len(pending) >= SPILL_IDS:
                self._spill_pending(pending)
        # the index grows only by a new signature
        if new and len(self._index) > self._compact_at:
            # after the line is counted, so that the merge weighs it and a fold keeps its count
            self._compact()
        if self._progress is not None and number + more >= self._next_progress:
            self._report(number + more)

    def _report(self, number: int) -> None:
        """Call `progress` at line `number` (`progress_every` lines or more since the last)."""
        self._next_progress += self._progress_every * (
            1 + (number - self._next_progress) // self._progress_every
        )
        if self._progress is not None:
            self._progress(Progress(number, len(self._groups)))

    def _spill_pending(self, pending: array[int]) -> None:
        if self._spill is None:
            import tempfile  # noqa: PLC0415 - only inputs of many lines need it

            self._spill = tempfile.TemporaryFile()  # noqa: SIM115 - closed by finish()
        pending.tofile(self._spill)
        del pending[:]

    def _new_group(self, line: str, number: int, parsed: Fields, trace: bool) -> _Group:
        """The group of a signature not seen before: a merged template's, when one matches
        (`_Generals`), else a new one (`trace`: its message's first word may start a trace's
        line, `_trace_word`)."""
        message, timestamp, severity, _, signature, _ = parsed
        generals = self._generals
        gid = (
            generals.match(collapse(signature) if self._tuning.collapse else signature)
            if generals
            else None
        )
        if gid is not None:
            group = self._index[signature] = self._groups[gid]  # until the next compaction
            return group
        gid = len(self._parent)
        self._parent.append(gid)
        from_header = True
        if severity is None:
            severity, from_header = infer_severity(" ".join(message)), False
            if severity is None and self._held_exception:
                severity = "error"  # a stack trace follows the line
        example = line
        if self._held_exception:  # what was thrown, from the record's continuation lines
            example = f"{line} \u23ce {self._held_exception}"
        group = _Group(
            gid,
            signature,
            0,
            number,
            number,
            timestamp,
            timestamp,
            example[:EXAMPLE_CHARS],
            severity,
            from_header,
            trace=trace,
        )
        self._groups[gid] = group
        self._index[signature] = group
        return group

    def _live(self, gid: int) -> _Group | None:
        """The group signature `gid` counts in now (merged or folded since), if any."""
        root = self._find(gid)
        group = self._groups.get(root)
        if group is None and self._other is not None and self._other.gid == root:
            return self._other
        return group

    def _find(self, gid: int) -> int:
        parent = self._parent
        root = gid
        while parent[root] != root:
            root = parent[root]
        while parent[gid] != root:  # path compression
            parent[gid], gid = root, parent[gid]
        return root

    def _compact(self) -> None:
        """Merge the live signatures (step 4 of the module docstring), fold what is past
        `max_clusters` into the other cluster and keep one signature per cluster, so memory stays
        bounded by clusters when variables are words."""
        self.compactions += 1
        self._lane.clear()  # its entries name groups, which merge now (`add_many`)
        self._shapes_seen.clear()
        merged = self._fold(self._merge_live())
        self._index = {}
        for keep, tokens in merged:
            self._index[tokens] = self._groups[keep]
            self._groups[keep].tokens = tokens
        self._generals = _Generals(
            [
                (keep, tokens, self._groups[keep].count)
                for keep, tokens in merged
                if WILDCARD in tokens
            ]
        )
        # compacting again before the index doubles would make a source of many distinct
        # templates quadratic
        self._compact_at = max(self._max_signatures, 2 * len(self._index))

    def _fold(self, merged: list[tuple[int, tuple[str, ...]]]) -> list[tuple[int, tuple[str, ...]]]:
        """`merged` without the clusters past `max_clusters`, which are folded into the other
        cluster: those of the fewest lines go first, then the least severe, then the latest."""
        if len(merged) <= self._max_clusters:
            return merged
        groups = self._groups

        def kept_first(item: tuple[int, tuple[str, ...]]) -> tuple[int, int, int]:
            group = groups[item[0]]
            tier = SEVERITY_RANK.get(group.severity or "", len(SEVERITY_RANK))
            return (-group.count, min(tier, SEVERITY_RANK["notice"]), group.first_line)

        kept = {gid for gid, _ in heapq.nsmallest(self._max_clusters, merged, key=kept_first)}
        other = self._other
        for gid, _ in merged:
            if gid in kept:
                continue
            group = groups.pop(gid)
            if other is None:
                # a cluster id of its own, so assignments can name it
                other = self._other = _Group(
                    len(self._parent), (), 0, group.first_line, group.last_line,
                    group.first_seen, group.last_seen, group.example, None, False,
                )  # fmt: skip
                self._parent.append(other.gid)
            # values of unrelated messages together say little: not kept
            other.absorb(group, values=False)
            self._parent[gid] = other.gid
        return [item for item in merged if item[0] in kept]

    def _merge_live(self) -> list[tuple[int, tuple[str, ...]]]:
        ids = list(self._groups)
        items = [(self._groups[i].tokens, self._groups[i].count) for i in ids]
        out: list[tuple[int, tuple[str, ...]]] = []
        for members, template in merge_signatures(items, self._tuning):
            keep = min(ids[m] for m in members)  # the earliest signature keeps its id
            for m in members:
                gid = ids[m]
                if gid != keep:
                    self._groups[keep].absorb(self._groups.pop(gid))
                    self._parent[gid] = keep
            out.append((keep, template))
        return out

    def finish(self) -> LogReport:
        """Merge the signatures into clusters (numbered by first appearance), write the
        assignments if asked, and return the report. Call it once, after the last `add`."""
        with _GcPaused():
            return self._finish()

    def _finish(self) -> LogReport:
        if self._learning is not None:
            self._learned()
        if self._held is not None:
            self._take(self._held, self.lines - self._held_more, self._held_more)
            self._held = None
        merged = self._fold(self._merge_live()) if self._groups else []
        groups: dict[int, _Group] = {gid: self._groups[gid] for gid, _ in merged}
        other = self._other
        if other is not None:
            groups[other.gid] = other
        # numbered by first appearance, the other cluster among them
        order = sorted(groups, key=lambda gid: groups[gid].first_line)
        templates = dict(merged)
        cluster_of: dict[int, int] = {}
        clusters: list[LogCluster] = []
        for number, gid in enumerate(order, start=1):
            cluster_of[gid] = number
            if other is not None and gid == other.gid:
                clusters.append(_cluster(number, (OTHER_TEMPLATE,), other, other=True))
            else:
                clusters.append(_cluster(number, templates[gid], groups[gid]))
        self._write_assignments(cluster_of)
        return LogReport(
            self.source,
            self.lines,
            self.first_seen,
            self.last_seen,
            self.with_header,
            len(self._parent) - (other is not None),
            self.compactions,
            tuple(clusters),
            other.count if other is not None else 0,
        )

    def _write_assignments(self, cluster_of: dict[int, int]) -> None:
        spill, out, pending = self._spill, self._assignments, self._pending
        if out is None or pending is None:
            return
        # each signature id's line of output, once: a line is then a list look-up
        final = [f"{cluster_of.get(self._find(gid), 0)}\n" for gid in range(len(self._parent))]
        if spill is None:  # every id still in memory
            if pending:
                out.write("".join(map(final.__getitem__, pending)))
            del pending[:]
            return
        pending.tofile(spill)
        del pending[:]
        spill.flush()
        spill.seek(0)
        while True:
            chunk = array("I")
            data = spill.read(4 * SPILL_IDS)
            if not data:
                break
            chunk.frombytes(data)
            out.write("".join(map(final.__getitem__, chunk)))
        spill.close()
        self._spill = None


def _cluster(
    number: int, template: tuple[str, ...], group: _Group, *, other: bool = False
) -> LogCluster:
    variables = []
    for kind in sorted(group.values):
        values = group.values[kind]
        top = _top(values.counts)
        variables.append(
            Variable(
                kind,
                values.distinct,
                values.distinct_exact,
                tuple(ValueCount(v, n) for v, n in top),
                not values.pruned,
            )
        )
    # positional, in the fields' order: keywords cost a frozen dataclass twice as much to make
    return LogCluster(
        number,  # id
        " ".join(template) or EMPTY_TEMPLATE,
        group.count,
        group.severity,
        group.severity_from_header,
        group.first_seen,
        group.last_seen,
        group.first_line,
        group.last_line,
        group.example,
        tuple(variables),
        other,
    )


def _top(counts: dict[str, int]) -> list[tuple[str, int]]:
    """The `TOP_VALUES` most counted values, the least first on a tie: `sorted` by (-count,
    value), without a key called per value (most of the values tie, at the count of the last)."""
    if len(counts) <= TOP_VALUES:
        return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    least = sorted(counts.values(), reverse=True)[TOP_VALUES - 1]
    above = sorted([kv for kv in counts.items() if kv[1] > least], key=lambda kv: (-kv[1], kv[0]))
    tied = sorted([value for value, n in counts.items() if n == least])
    return above + [(value, least) for value in tied[: TOP_VALUES - len(above)]]


class _Generals:
    """The merged templates that hold variables (`<*>` tokens), to find the first one (in merge
    order) a new signature fits, at the cost of one dictionary look-up per *mask*: templates of
    one length are grouped by the positions of their variables, and keyed by their tokens at the
    other positions, so a signature is looked up once per mask of its length by the same
    projection of its own tokens. A source whose templates have many masks would make that
    quadratic again: only the `MAX_MASKS` masks of the most lines are searched per length (a
    signature no searched template fits stays a signature of its own until the next merge, which
    joins it where the signatures' lengths allow: a template the merge wrote shorter, a run of
    values collapsed, is not met again by a later line's longer signature, so a log compacted
    many times may keep such a line apart where one read whole does not; a review found it on
    11 of 42 held-out logs at `max_signatures` 16 or 64, a known limit)."""

    def __init__(self, templates: Iterable[tuple[int, tuple[str, ...], int]]) -> None:
        masks: dict[_Mask, dict[Any, tuple[int, int]]] = defaultdict(dict)
        lines: Counter[_Mask] = Counter()
        for order, (gid, tokens, count) in enumerate(templates):
            # a bare `<*>` fits any token; a variable written with its values' punctuation
            # (`[<*>]`, `(<*>):`) fits a token that opens and closes alike (`_edged`)
            constant = tuple(i for i, token in enumerate(tokens) if not _is_value(token))
            edged = tuple(
                i for i, token in enumerate(tokens) if token != WILDCARD and _is_value(token)
            )
            mask = (len(tokens), constant, edged)
            key = (_project(constant, tokens), _project(edged, tokens))
            # the first template of a projection wins, as the first fitting one did
            masks[mask].setdefault(key, (order, gid))
            lines[mask] += count
        searched: dict[int, list[tuple[_Mask, dict[Any, tuple[int, int]]]]] = defaultdict(list)
        for mask, _ in sorted(lines.items(), key=lambda kv: -kv[1]):
            if len(searched[mask[0]]) < MAX_MASKS:
                searched[mask[0]].append((mask, masks[mask]))
        self._by_length = dict(searched)

    def __bool__(self) -> bool:
        return bool(self._by_length)

    def match(self, signature: tuple[str, ...]) -> int | None:
        """The id of the first template `signature` fits (a variable fits any token, or any
        token with its punctuation: `_edged`), or None."""
        best: tuple[int, int] | None = None
        for (_, constant, edged), table in self._by_length.get(len(signature), ()):
            key = (_project(constant, signature), tuple([_edged(signature[i]) for i in edged]))
            hit = table.get(key)
            if hit is not None and (best is None or hit < best):
                best = hit
        return None if best is None else best[1]


# a template's length, the positions of its constant tokens and of its variables written with
# punctuation (`_Generals`)
_Mask = tuple[int, tuple[int, ...], tuple[int, ...]]


def _edged(token: str) -> str:
    """`token` as a variable of its punctuation alone (`[file9]`: `[<*>]`), as `_wild` writes a
    column of such tokens."""
    lead, trail = _edges(token)
    return f"{lead}{WILDCARD}{trail}"


def _project(positions: tuple[int, ...], tokens: tuple[str, ...]) -> tuple[str, ...]:
    return tuple([tokens[i] for i in positions])


def analyze_logs(
    lines: Iterable[str],
    *,
    source: str = "logs",
    progress: Callable[[Progress], None] | None = None,
    progress_every: int = PROGRESS_EVERY,
    assignments: Writable | None = None,
    max_signatures: int = MAX_SIGNATURES,
    max_clusters: int = MAX_CLUSTERS,
    tuning: Tuning | None = None,
) -> LogReport:
    """Cluster raw log lines, as systems write them (a line end is allowed; see the module
    docstring). `source` names the input in the report. `progress` is called every
    `progress_every` lines (`stderr_progress` prints them). `assignments`, when given, receives
    one line per input line, in order: the id of the cluster that line went to (written at the
    end, from a spill file: the ids are final only once every line has been seen).
    `max_signatures` bounds the signatures held in memory, `max_clusters` the clusters kept (the
    rest are folded into one other cluster; see step 3). `tuning`: the merge's parameters
    (`Tuning`; the defaults serve every source)."""
    analyzer = LogAnalyzer(
        source=source,
        progress=progress,
        progress_every=progress_every,
        assignments=assignments,
        max_signatures=max_signatures,
        max_clusters=max_clusters,
        tuning=tuning,
    )
    chunk: list[str] = []
    size = 0
    try:
        for line in lines:
            chunk.append(line)
            size += len(line)
            if len(chunk) >= LANE_CHUNK or size >= LANE_CHUNK_CHARS:
                analyzer.add_many(chunk)
                chunk, size = [], 0
    except BaseException:  # the lines read before the input failed are counted, as one by one
        analyzer.add_many(chunk)
        raise
    analyzer.add_many(chunk)
    return analyzer.finish()


# ---------------------------------------------------------------- merging


_ENUM: Final = re.compile(r"[A-Z][A-Z0-9_]+")
_DIGIT: Final = re.compile(r"\d")
_PUNCTUATION: Final = "\"'()[]{}<>,;.:!?"


# two adjacent tokens that both hold a masked value, the second with nothing but punctuation
# before it (`\S*` cannot cross the space between them; `port=<*>` names a field of its own)
_ADJACENT: Final = re.compile(r"<\*>\S* [^\s\w]*<\*>")


# a parenthesised aside that opens with a label (`(reason: ...)`, `(error: ...)`) or a value
# (`(250 2.0.0 Ok: queued as 4F2A)`: a reply code, then its text)
_LABELLED_ASIDE: Final = re.compile(r"(?:^| )\((?:[A-Za-z][\w\-]*: |<\*>)")
_LABEL: Final = re.compile(r"\([A-Za-z][\w\-]*:|\(<\*>[^()]*")
_ASIDE_END: Final = re.compile(r"\)[,;.:]?")


def _replace_spans(
    tokens: tuple[str, ...],
    span: Callable[[tuple[str, ...], int], tuple[int, tuple[str, ...]] | None],
) -> tuple[str, ...]:
    """`tokens` with each span that `span(tokens, i)` finds from token `i` on (the index past
    its end, and what stands in its place) replaced; `tokens` itself when none is found."""
    out: list[str] = []
    changed = False
    i = 0
    while i < len(tokens):
        found = span(tokens, i)
        if found is None:
            out.append(tokens[i])
            i += 1
        else:
            i, replacement = found
            out.extend(replacement)
            changed = True
    return tuple(out) if changed else tokens


def _aside_span(tokens: tuple[str, ...], i: int) -> tuple[int, tuple[str, ...]] | None:
    """A labelled aside from token `i` (`(reason: removing member c-1 on heartbeat
    expiration)`), or one that opens with a masked value (`(250 2.0.0 Ok: queued as 4F2A)`:
    once part of it varies, the rest is that value's text, as in a quoted phrase): its text
    is one value, as a quoted phrase's is (the writer filled it in), parentheses inside it and
    all. It must close within `MAX_PHRASE` tokens, as a quoted phrase must."""
    if not _LABEL.fullmatch(tokens[i]):
        return None
    depth = 1
    for j in range(i + 1, min(len(tokens), i + 1 + MAX_PHRASE)):
        depth += tokens[j].count("(") - tokens[j].count(")")
        if depth < 0:
            return None
        if depth == 0:  # closed here: what follows its `)` must be punctuation
            end = tokens[j].rindex(")")
            if _ASIDE_END.fullmatch(tokens[j], end):
                return j + 1, (tokens[i], WILDCARD + tokens[j][end:])
            return None
    return None


# a token that opens a phrase in square brackets and goes on past its first word (`[[logs,`,
# `[auto(bulk`), and one that closes it (the brackets, then punctuation at most)
_OPENS_BRACKETS: Final = re.compile(r"(?:^| )\[+[^\s\[\]]+ ")
_CLOSES_BRACKETS: Final = re.compile(r"[^\s\[\]]+(\]+)[,;.:!?)}]*")


def _bracket_span(tokens: tuple[str, ...], i: int) -> tuple[int, tuple[str, ...]] | None:
    """A phrase in square brackets over several tokens from token `i` on: one value, `[<*>]],`,
    whatever its length. A list as Java and Python print one (`[[logs-settings, logs,
    ecs@mappings]],`), a value with spaces that a writer bracketed (`cause [auto(bulk api)]`),
    a thread's name (`[Thread pool 1]`): a writer brackets what it fills in, as it quotes it (a
    phrase of one word is one token already, a bracketed word, which `_is_variable` reads as a
    value). It must close within `MAX_PHRASE` tokens with as many brackets as it opened, and
    hold no other bracket."""
    token = tokens[i]
    depth = len(token) - len(token.lstrip("["))
    if not depth or "]" in token or len(token) == depth:
        return None
    for j in range(i + 1, min(len(tokens), i + 1 + MAX_PHRASE)):
        item = tokens[j]
        if "[" in item:
            return None
        closing = _CLOSES_BRACKETS.fullmatch(item)
        if closing is not None:
            if len(closing.group(1)) != depth:
                return None
            return j + 1, ("[" * depth + WILDCARD + item[closing.start(1) :],)
        if "]" in item:
            return None
    return None


# a token that opens a quoted phrase (a quote at its start, or after `=`, `:`, `(`, `[`, `{`)
# without closing it, and one that closes it (the quote, then punctuation at most)
_OPENS_QUOTE: Final = re.compile(r"(?:[^\s\"']*[=:(\[{])?([\"'])[^\"']*")
_CLOSES_QUOTE: Final = re.compile(r"[^\"']*([\"'])[,;.:!?)\]}]*")


def _quoted_tail_span(tokens: tuple[str, ...], i: int) -> tuple[int, tuple[str, ...]] | None:
    """A quoted phrase from token `i` on, past the message's first token, with a masked token:
    from that token to the close, one value (`"A IN <*> udp <*>"` reads `"A IN <*>"`), as the
    parser reads it in a line (`agents.skills.logparse._quoted_tails`): a template's column
    that the merge found to be a variable is masked as a value the parser masked. It must
    close within `MAX_PHRASE` tokens."""
    token = tokens[i]
    opening = _OPENS_QUOTE.fullmatch(token) if i else None
    if opening is None:
        return None
    quote = opening.group(1)
    first = i if WILDCARD in token[opening.start(1) :] else -1  # in the phrase, not its key
    # it closes where the parser closes it: at the first token that ends with the same quote,
    # unescaped (`can't`, `\"x\"` and `'a'` inside it do not)
    for j in range(i + 1, min(len(tokens), i + MAX_PHRASE)):
        closes = _quotes(tokens[j])[1]
        if closes[:1] == quote:
            if first < 0:
                return None
            if first == i:
                return j + 1, (token[: opening.start(1) + 1] + WILDCARD + closes,)
            return j + 1, (*tokens[i:first], WILDCARD + closes)
        if first < 0 and WILDCARD in tokens[j]:
            first = j
    return None


def _quoted_span(tokens: tuple[str, ...], i: int) -> tuple[int, tuple[str, ...]] | None:
    """A quoted phrase of several words and no masked value from token `i` on, past the
    message's first token: one value (`Now playing: "Blue in Green" by` reads `Now playing:
    "<*>" by`: the writer quoted what it filled in, as it quotes one word, which
    `agents.skills.logparse` masks). A phrase with a masked value was decided by the parser
    (its words before the value stay: `"GET <*>"`); a phrase that opens the message is the
    message (klog's). It must close within `MAX_PHRASE` tokens."""
    token = tokens[i]
    opening = _OPENS_QUOTE.fullmatch(token) if i and WILDCARD not in token else None
    if opening is None:
        return None
    quote = opening.group(1)
    for j in range(i + 1, min(len(tokens), i + 1 + MAX_PHRASE)):
        if WILDCARD in tokens[j]:
            return None
        closing = _CLOSES_QUOTE.fullmatch(tokens[j])
        if closing is not None:
            at = closing.start(1)
            if closing.group(1) != quote or tokens[j][at - 1 : at] == "\\":
                return None
            return j + 1, (token[: opening.start(1) + 1] + WILDCARD, WILDCARD + tokens[j][at:])
        if '"' in tokens[j] or "'" in tokens[j]:
            return None
    return None


# an object's repr opening (`KeyError(`, `ConnectTimeout(`, `Set(`: a class's name in mixed
# case glued to its parenthesis), and what may end one (`_repr_tail`). (Tried only where a word
# starts, up to its first small letter, then the rest: a long word in mixed case is read once.)
_OPENS_REPR: Final = re.compile(r"(?<![A-Za-z0-9_])[A-Z][A-Z0-9_]*[a-z][A-Za-z0-9_]*\(")
_CLOSES_REPR: Final = re.compile(r".*\)[.,;]?")


def _repr_tail(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """`tokens` with an object's repr that ends the message after a label (`raised unexpected:
    KeyError('sku')`, `Retry in <*>: ConnectTimeout(MaxRetryError(...))`: what a program
    prints of an exception or a value, `%r`) made one value, whatever its class and text: the
    class is the value's, the event is the label's. `tokens` itself when there is none. But a
    class whose name says an outcome (`Err(...)`, `Failure(...)`: a level word, or a word that
    says a severity) is the event's word, kept before the value (`Err(<*>)`): `Ok(())` and
    `Err(ConnectionReset)` are two events."""
    for i in range(1, len(tokens)):
        if tokens[i - 1].endswith(":") and _OPENS_REPR.match(tokens[i]):
            if _CLOSES_REPR.fullmatch(tokens[-1]) is None:
                return tokens
            name = tokens[i][: tokens[i].index("(")]
            if _says_severity(name):
                return (*tokens[:i], f"{name}({WILDCARD})")
            return (*tokens[:i], WILDCARD)
    return tokens


def _one_severity(words: Iterable[str]) -> bool:
    """Whether `words` all say the same severity, or all none (`infer_severity`): words that
    say different ones (`succeeded`, `failed`; `[DONE]`, `[FAILED]`) name different events."""
    return len({infer_severity(word) for word in words}) == 1


def _says_severity(token: str) -> bool:
    """Whether a kept token says a warning or worse: its words (`failed`, `Failure(<*>)`:
    `infer_severity`), or a level word before its parenthesis (`Err(<*>)`, `Fatal`)."""
    level = _LEVEL_WORDS.get(token.split("(", 1)[0].strip(_PUNCTUATION).lower())
    if level is not None and SEVERITY_RANK[level] <= SEVERITY_RANK["warning"]:
        return True
    return infer_severity(token) is not None


def collapse(tokens: tuple[str, ...]) -> tuple[str, ...]:
    """`tokens` with each run of adjacent masked tokens made one, keeping the punctuation before
    the first and after the last (`(<*> <*>)` is `(<*>)`, `[<*>, <*>, <*>]` is `[<*>]`): a list
    of values, or a value written as several tokens, is one variable whatever its length. A
    masked token with a key before its value (`port=<*>`) is a field of its own and starts a
    run: `host=<*> port=<*>` stays two, so a template keeps its fields' names. The text of a
    labelled aside is one value (`_aside_span`), and so are a phrase in square brackets
    (`_bracket_span`) and a quoted phrase of words (`_quoted_span`)."""
    joined = " ".join(tokens)
    if "(" in joined and _LABELLED_ASIDE.search(joined) is not None:
        tokens = _replace_spans(tokens, _aside_span)
        joined = " ".join(tokens)
    if "[" in joined and _OPENS_BRACKETS.search(joined) is not None:
        listed = _replace_spans(tokens, _bracket_span)
        if listed is not tokens:
            tokens, joined = listed, " ".join(listed)
    if "(" in joined and _OPENS_REPR.search(joined) is not None:
        shown = _repr_tail(tokens)
        if shown is not tokens:
            tokens, joined = shown, " ".join(shown)
    if '"' in joined or "'" in joined:
        quoted = _replace_spans(tokens, _quoted_span)
        if quoted is not tokens:
            tokens, joined = quoted, " ".join(quoted)
    if _ADJACENT.search(joined) is None:  # the common case, at C speed
        return tokens
    out: list[str] = []
    previous = False
    for token in tokens:
        masked = WILDCARD in token
        if masked and previous and _joins_masked(token):
            last = out[-1]
            # (`find`, `rfind`: compiled calls; both hold a mask, so they find what `index` would)
            out[-1] = last[: last.find(WILDCARD) + 3] + token[token.rfind(WILDCARD) + 3 :]
        else:
            out.append(token)
        previous = masked
    return tuple(out) if len(out) < len(tokens) else tokens


def _joins_masked(token: str) -> bool:
    """Whether a masked token after a masked one joins it: `_ADJACENT.match(f"<*> {token}")`,
    read with string methods (a string made and a regex matched for each token were most of
    `collapse` on long templates: 45 a call on MongoDB's). The pattern asks for `<*>` after
    punctuation alone (`[^\\s\\w]*`); the first `<*>` is the one to try, since any later one has
    the same characters and more before it. `\\w` and `\\s` are `str.isalnum`, `_` and
    `str.isspace` (Python's own definitions of both)."""
    at = token.find(WILDCARD)
    if at < 0:
        return False
    return all(not (c.isalnum() or c == "_" or c.isspace()) for c in token[:at])


def merge_signatures(
    items: Sequence[tuple[tuple[str, ...], int]],
    tuning: Tuning = DEFAULT_TUNING,
) -> list[tuple[list[int], tuple[str, ...]]]:
    """Group signatures (token tuples with their line counts) into templates: a list of (indices
    of `items`, template tokens). Step 4 of the module docstring; `tuning` holds its
    parameters."""
    if tuning.collapse:
        items = [(collapse(sig), n) for sig, n in items]
    by_length: dict[int, list[int]] = defaultdict(list)
    for i, (sig, _) in enumerate(items):
        by_length[len(sig)].append(i)
    out: list[tuple[list[int], tuple[str, ...]]] = []
    for length in sorted(by_length):
        members = by_length[length]
        if len(members) == 1:
            out.append((members, items[members[0]][0]))
            continue
        for root_members in _common_pattern_groups(items, members, length):
            if len(root_members) == 1:  # nothing to split on: its own template (most, in a flood)
                out.append((root_members, items[root_members[0]][0]))
            else:
                out.extend(_split(items, root_members, length, tuning))
    if tuning.collapse:
        out = _recollapsed(out, items)
    return _join_optional(_join_asides(_join_value_tails(out))) if tuning.optional else out


def _closing_aside(template: tuple[str, ...]) -> int:
    """Where the aside in parentheses that ends `template` opens (`... (Got timeout reading
    communication packets)`), or -1: none, or one of a single token (`(running)` may name a
    state, as a word in parentheses may), or one that holds no word (`(<*> <*>)`)."""
    if len(template) < 3 or not template[-1].rstrip(",;.:").endswith(")"):
        return -1
    depth = 0
    for j in range(len(template) - 1, 0, -1):
        depth += template[j].count(")") - template[j].count("(")
        if depth <= 0:
            if depth < 0 or not template[j].startswith("(") or j == len(template) - 1:
                return -1
            words = "".join(template[j:]).replace(WILDCARD, "")
            return j if any(c.isalpha() for c in words) else -1
    return -1


# a word with a capital past its first letter (`SIGKILL`, `OOMKilled`, `ETIMEDOUT`): a signal's, a
# state's or an error code's name, not a reason's words in a sentence (`Got timeout reading`)
_NAME_WORD: Final = re.compile(r"[A-Za-z]\w*[A-Z]\w*")
_ASIDE_WORD: Final = re.compile(r"\w+")


def _join_asides(
    templates: list[tuple[list[int], tuple[str, ...]]],
) -> list[tuple[list[int], tuple[str, ...]]]:
    """Templates alike up to an aside in parentheses of several tokens that ends them, whose
    asides differ (`... (Got an error reading communication packets)`, `... (Got timeout
    reading communication packets)`: the reason a program filled in), joined as one event
    whose aside is a value, `(<*>)`; not asides whose words say different severities
    (`(completed successfully)`, `(failed with 3 errors)`: `infer_severity`), nor asides that
    differ in a name (`(signal SIGTERM)`, `(signal SIGKILL)`; `(state CrashLoopBackOff)`:
    `_NAME_WORD`), which names an event as a word in parentheses may (the merge kept it), or
    in words that say what became of the record (`(quorum reached)`, `(quorum not reached)`;
    `(request accepted)`, `(request throttled)`: `_OUTCOME_WORD`)."""
    by_prefix: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for n, (_, template) in enumerate(templates):
        j = _closing_aside(template)
        if j > 0:
            by_prefix[template[:j]].append(n)
    joined_into: dict[int, int] = {}
    for prefix, ns in by_prefix.items():
        if len(ns) < 2:
            continue
        asides = [" ".join(templates[n][1][len(prefix) :]) for n in ns]
        if not _one_severity(asides):
            continue
        words = [set(_ASIDE_WORD.findall(aside.replace(WILDCARD, " "))) for aside in asides]
        differing = set.union(*words) - set.intersection(*words)
        if any(_NAME_WORD.fullmatch(w) or _OUTCOME_WORD.fullmatch(w) for w in differing):
            continue
        for n in ns[1:]:
            joined_into[n] = ns[0]
    return _joined(templates, joined_into, _aside_masked) if joined_into else templates


def _aside_masked(template: tuple[str, ...]) -> tuple[str, ...]:
    """`template` with its closing aside one value, `(<*>)` (with the punctuation after it)."""
    last = template[-1]
    return (
        *template[: _closing_aside(template)],
        f"({WILDCARD})" + last[len(last.rstrip(",;.:")) :],
    )


def _joined(
    templates: list[tuple[list[int], tuple[str, ...]]],
    into: dict[int, int],
    written: Callable[[tuple[str, ...]], tuple[str, ...]] | None = None,
) -> list[tuple[list[int], tuple[str, ...]]]:
    """`templates` with each template `n` of `into` joined to template `into[n]` (its members
    added, in that order), which `written` writes anew when given; the rest as they were."""
    out = [(list(members), template) for members, template in templates]
    for n, target in into.items():
        out[target][0].extend(templates[n][0])
    if written is not None:
        for target in set(into.values()):
            out[target] = (out[target][0], written(templates[target][1]))
    return [out[n] for n in range(len(out)) if n not in into]


def _join_value_tails(
    templates: list[tuple[list[int], tuple[str, ...]]],
) -> list[tuple[list[int], tuple[str, ...]]]:
    """Templates of `key=value` fields whose last field's value goes on in bare words to the end
    of the line (`... application_name=<*> JDBC Driver`, `conn=<*> op=<*> SRCH attr=<*> uid
    cn`: a value with spaces written unquoted, as a list of attribute names or a program's name
    is), joined to the template that ends at that field (`... application_name=<*>`): the value
    ran on, it is not another event. Only where that template is one of `templates` (some
    values of the field were one word), the tail holds bare words only (`_VALUE_WORD`: no `=`,
    quote, bracket or separator), and another `key=` field comes before it (a record of fields,
    not a sentence with one `x=y` in it), and the tail is neither one word in capitals
    (`conn=<*> op=<*> UNBIND`: an operation's or a state's name, an event's word) nor words
    that say a severity (`... state=<*> failed`) or what became of the record (`... path=<*>
    blocked by waf`, `rejected`, `not found`: `_OUTCOME_WORD`; a warning that joined would
    vanish into the cluster of the records that went well)."""
    ends = {
        template: n
        for n, (_, template) in enumerate(templates)
        if template and _BARE_FIELD.fullmatch(template[-1])  # (an empty message has none)
    }
    if not ends:
        return templates
    into: dict[int, int] = {}
    for n, (_, template) in enumerate(templates):
        last = len(template) - 1
        while last >= 0 and "=" not in template[last]:
            last -= 1
        if last < 1 or last == len(template) - 1:
            continue
        target = ends.get(template[: last + 1])
        if (
            target is not None
            and any("=" in token for token in template[:last])
            and all(_VALUE_WORD.fullmatch(token) for token in template[last + 1 :])
            and not (last == len(template) - 2 and template[-1].isupper())
            and infer_severity(" ".join(template[last + 1 :])) is None
            and not any(_OUTCOME_WORD.fullmatch(token) for token in template[last + 1 :])
        ):
            into[n] = target
    return _joined(templates, into) if into else templates


def _recollapsed(
    templates: list[tuple[list[int], tuple[str, ...]]],
    items: Sequence[tuple[tuple[str, ...], int]],
) -> list[tuple[list[int], tuple[str, ...]]]:
    """`templates`, and those written alike once the runs of masked tokens that the merge made
    (columns it found to be variables, beside values masked before) are made one, as `collapse`
    makes them in signatures, and the rest of a quoted phrase from its first masked token is
    masked, as the parser masks it in a line (`_quoted_tail_span`), joined under that key: the
    same event whose values took more tokens in some lines than in others. A template joined
    with none stays as it was. (A template that is its first member's signature, `items`', is
    collapsed already: most are, and are not read again.)"""
    joined: dict[tuple[str, ...], list[int]] = {}
    first: dict[tuple[str, ...], tuple[str, ...]] = {}  # each key's first template
    for members, template in templates:
        key = template
        text = "" if template is items[members[0]][0] else " ".join(template)
        if WILDCARD in text:  # (a template of words is a signature, collapsed already)
            if '"' in text or "'" in text:
                key = _replace_spans(key, _quoted_tail_span)
            key = collapse(key)
        found = joined.get(key)
        if found is None:
            joined[key] = list(members)
            first[key] = template
        else:
            found.extend(members)
            first[key] = key  # joined: written as the key
    if len(joined) == len(templates):
        return templates
    return [(members, first[key]) for key, members in joined.items()]


def _join_optional(
    templates: list[tuple[list[int], tuple[str, ...]]],
) -> list[tuple[list[int], tuple[str, ...]]]:
    """Templates that differ by one masked token (a bare value, `_is_value`, or any masked token
    that ends the line but one that says an error, `error=<*>`, the failure's own statement: one
    amid the others with a word in it, a field `code_id="<*>",` or a value with its unit `(<*>ms)`,
    is another layout, another statement), or by a bracketed aside or a labelled field (one or two
    words, the last ending in `:`, then the value) of at most `MAX_OPTIONAL` tokens at the end,
    present in one and absent from the other (`took <*> ms (<*>)` and `took <*> ms`; `backing off
    <*> (retry <*>)` and `backing off <*>`; `... Used: <*> MB Init Duration: <*> ms` and `... Used:
    <*> MB`) joined: an optional value, not another event. Templates of one `_field_run_key` are
    joined too (a list of fields that varies). The joined template is the longest one's."""
    by_shorter: dict[tuple[str, ...], int] = {}
    by_fields: dict[tuple[str, ...], int] = {}  # templates by `_field_run_key`
    fields_of: dict[int, tuple[str, ...]] = {}
    for n, (_, template) in enumerate(templates):
        before = _field_run_key(template)
        if before is not None:
            by_fields.setdefault(before, n)
            fields_of[n] = before
        for i, token in enumerate(template):
            if WILDCARD not in token:
                continue
            if len(template) > 1 and (
                _is_value(token)
                or (i == len(template) - 1 and infer_severity(token.replace(WILDCARD, " ")) is None)
            ):
                # the masked token alone: a bare value, or one that ends the line, but for a
                # field that says an error (`error=<*>`: the failure, not an optional value);
                # one with a word amid others (`code_id="<*>",`, `(<*>ms)`) is another layout
                by_shorter.setdefault(template[:i] + template[i + 1 :], n)
            # or a bracketed aside that ends the template (`(retry <*>)`, `(attempt <*> of <*>)`)
            if template[-1][-1:] in ")]":
                for first in range(max(1, len(template) - MAX_OPTIONAL), i):
                    if template[first][:1] == _OPENER.get(template[-1][-1]):
                        by_shorter.setdefault(template[:first], n)
            # or a labelled field that ends a line of labelled fields (`Duration: <*> ms Max
            # Memory Used: <*> MB Init Duration: <*> ms`): one more such field is optional
            if template[i - 1].endswith(":"):
                for first in range(max(1, len(template) - MAX_OPTIONAL, i - 2), i):
                    if WILDCARD not in template[first] and _labelled(template[:first]):
                        by_shorter.setdefault(template[:first], n)
    if not by_shorter and len(fields_of) == len(by_fields):
        return templates
    parent = list(range(len(templates)))

    def find(n: int) -> int:
        while parent[n] != n:
            parent[n] = parent[parent[n]]
            n = parent[n]
        return n

    for n, (_, template) in enumerate(templates):
        longer = by_shorter.get(template)
        if longer is not None:
            a, b = find(n), find(longer)
            if a != b:
                parent[a] = b
        before = fields_of.get(n)
        if before is not None:
            a, b = find(n), find(by_fields[before])
            if a != b:
                parent[a] = b
    joined: dict[int, tuple[list[int], tuple[str, ...]]] = {}
    for n, (members, template) in enumerate(templates):
        root = find(n)
        found = joined.get(root)
        if found is None:
            joined[root] = (list(members), template)
        else:
            longest = template if len(template) > len(found[1]) else found[1]
            joined[root] = (found[0] + members, longest)
    return list(joined.values())


def _field_run_key(template: tuple[str, ...]) -> tuple[str, ...] | None:
    """What comes before the run of at least two `key=<*>` fields that ends `template`, and the
    run's last key (`disconnect from <*> ehlo=<*> mail=<*> commands=<*>`: the counters of the
    commands a client sent, as many and as named as it sent, then their total), when what comes
    before holds a word of its own; else None. Templates of one key are one event whose list of
    fields varies (`_join_optional`); runs that end in different keys stay apart."""
    first = len(template)
    while first > 0 and _FIELD.fullmatch(template[first - 1]):
        first -= 1
    if len(template) - first < 2:
        return None
    before = template[:first]
    if not any(WILDCARD not in token and "=" not in token for token in before):
        return None  # a line of fields only (logfmt): its keys are all it has to tell events by
    return (*before, template[-1].partition("=")[0])


def _labelled(template: tuple[str, ...]) -> bool:
    """Whether `template` holds a labelled field: a word ending in `:` and a masked value."""
    return any(label.endswith(":") and WILDCARD in value for label, value in pairwise(template))


def _line_counts(tokens: Sequence[str], weights: Sequence[int]) -> dict[str, int]:
    """Each token of a column by its lines: `weights[k]` lines hold `tokens[k]` (a plain dict: a
    Counter costs more to make than a group's few signatures cost to count)."""
    counts: dict[str, int] = {}
    for token, n in zip(tokens, weights):  # noqa: B905 - both one per member
        counts[token] = counts.get(token, 0) + n
    return counts


def _common_pattern_groups(
    items: Sequence[tuple[tuple[str, ...], int]], members: list[int], length: int
) -> list[list[int]]:
    """Signatures of one length grouped by their longest common pattern: count each (column,
    word) over the lines, and take, in each signature, the words whose count is the one most of
    its words share (the larger count on a tie). Masked tokens take no part: they are variables
    already, and shared by every template of the length."""
    weights = [items[i][1] for i in members]
    freq = [
        _line_counts(tokens, weights)
        for tokens in zip(*[items[i][0] for i in members], strict=True)
    ]
    for column in freq:
        for token in [t for t in column if WILDCARD in t]:
            column[token] = -1  # takes no part (below)
    roots: dict[tuple[tuple[int, str], ...], list[int]] = defaultdict(list)
    for i in members:
        sig = items[i][0]
        counts = [column[token] for column, token in zip(freq, sig, strict=True)]
        # the count most columns share (the larger on a tie); list.count is C, a Counter is not
        best, key = -1, (0, 0)
        for c in set(counts):
            if c >= 0 and (n := counts.count(c), c) > key:
                best, key = c, (n, c)
        if best < 0:
            roots[()].append(i)
            continue
        roots[tuple([(pos, sig[pos]) for pos, c in enumerate(counts) if c == best])].append(i)
    return list(roots.values())


# a word that may name an event when it comes first: letters, `-` and `_`, no `@` (`user@host`),
# no digits; dotted (`autopurge.purgeInterval`, `com.acme.Billing`) only with `Tuning.dotted_first`
_EVENT_WORD: Final = re.compile(r"[A-Za-z][A-Za-z_\-]*")
_DOTTED_EVENT_WORD: Final = re.compile(r"[A-Za-z][A-Za-z_\-]*(?:\.[A-Za-z][A-Za-z_\-]*)*")


def _is_variable(values: dict[str, int], pos: int, tuning: Tuning) -> bool:
    """Whether a column of a common-pattern group, with these values (and their line counts), is
    a variable; see `Tuning`."""
    lines = sum(values.values())
    first = _DOTTED_EVENT_WORD if tuning.dotted_first else _EVENT_WORD
    # lines whose token is a masked value and nothing else but punctuation (not `key=<*>`)
    masked = sum(n for value, n in values.items() if _is_value(value))
    if (
        masked
        and masked >= tuning.masked_share * lines
        and not any(_says_severity(v) for v in values if not _is_value(v))
    ):
        # mostly masked: its few kept words, its `<*>,` and `(<*>)`, are values too; not one
        # that says a severity (`result: <*>` and `result: Err(<*>)`, `result: failed`: the
        # failures would vanish into the cluster of the values)
        return True
    distinct = len(values)
    if (
        pos > 0
        and sum(1 for v in values if _is_identifier(v)) >= 2
        and all(_is_identifier(v) or _is_value(v) for v in values)
    ):
        return True  # every value written as an identifier or masked: names, however few
    if all(_bracketed(v) for v in values) and _one_severity(values):
        # every value in brackets, as a writer brackets what it fills in; but not words that say
        # different severities (`[DONE]`, `[FAILED]`: two events, as `_free_columns` reads them)
        return True
    enum_like = distinct < tuning.enum_values and (
        all(_ENUM.fullmatch(v.strip(_PUNCTUATION)) for v in values)
        or (pos == 0 and all(first.fullmatch(v.strip(_PUNCTUATION)) for v in values))
    )
    if not enum_like and (
        distinct >= tuning.variable_values
        or (tuning.spread and distinct >= 3 and distinct >= tuning.spread * lines)
    ):
        return True
    # masked ids beside kept ones of one digit (`t20x` beside `t0x`): all are ids
    return (
        any(WILDCARD in v for v in values)
        and any(WILDCARD not in v for v in values)
        and all(WILDCARD in v or _DIGIT.search(v) for v in values)
    )


def _bracketed(token: str) -> bool:
    """Whether a token is a word or a value in square brackets, as many closing as opening
    (`[metrics]`, `[file1],`, `[<*>]`, `[[logs]],`), and nothing else."""
    core = token.rstrip(",;:.")
    inner = core.lstrip("[")
    depth = len(core) - len(inner)
    inner = inner.rstrip("]")
    return (
        depth > 0
        and len(core) - depth - len(inner) == depth
        and inner != ""
        and "[" not in inner
        and "]" not in inner
    )


def _is_identifier(token: str) -> bool:
    """Whether a token is a name written as an identifier in small letters (`etl_daily`,
    `cart-ui`, `orders/api3`: words joined by `-`, `_`, `.` or `/`, which no verb or prose
    word is; `SCREEN_ON` and `EventType.JOB_SETUP` are constants' names, which name events), or
    a qualified class name (`hudson.tools.JDKInstaller`: `_QUALIFIED`)."""
    core = token.strip(_PUNCTUATION)
    return (
        (core.islower() or _QUALIFIED.fullmatch(core) is not None)
        and _NAME.fullmatch(core) is not None
        and _IDENTIFIER.search(core) is not None
    )


# a qualified class name: a package path from a part in small letters, at least two dots, then a
# class's name in mixed case (`hudson.tools.JDKInstaller`; not a constant, `action.SCREEN_ON`).
# (The class's name up to its first small letter, then the rest: a long name is read once.)
_QUALIFIED: Final = re.compile(
    r"[a-z][a-z0-9_]*(?:\.[A-Za-z][\w$]*)+\.[A-Z](?:[^\Wa-z]|\$)*[a-z][\w$]*"
)


def _is_value(token: str) -> bool:
    """Whether a token is a masked value with nothing but punctuation around it (`<*>`,
    `(<*>),`; not `key=<*>`, whose key tells events apart)."""
    return WILDCARD in token and not any(c.isalnum() for c in token.replace(WILDCARD, ""))


# Nouns after which a word is the name of a thing, not a word of the event: `for user root`,
# `on host db`, `queue orders`. General ops vocabulary, not drawn from any benchmark's data.
ENTITY_NOUNS: Final = frozenset(
    {"user", "username", "host", "hostname", "node", "server", "client", "service", "job",
     "task", "table", "database", "db", "file", "device", "interface", "queue", "topic",
     "bucket", "pod", "container", "namespace", "cluster", "instance", "volume", "account",
     "role", "group", "process", "program", "app", "application", "domain", "zone", "region",
     "tenant", "project", "repository", "repo", "branch", "image", "package", "module",
     "plugin", "channel", "stream", "index", "schema", "profile", "policy", "key", "secret"}
)  # fmt: skip
PREPOSITIONS: Final = frozenset(
    ("for", "from", "to", "on", "by", "of", "with", "at", "in", "as", "into")
)
_NAME: Final = re.compile(r"[A-Za-z][\w.\-]*(?:/[A-Za-z][\w.\-]*)*")
_IDENTIFIER: Final = re.compile(r"[A-Za-z0-9][-_./][A-Za-z0-9]")


def _names_a_value(
    items: Sequence[tuple[tuple[str, ...], int]],
    members: list[int],
    pos: int,
    values: dict[str, int],
) -> bool:
    """Whether the column at `pos` holds names: the token before it is the same entity noun in
    every member, its values are plain names, a token follows it (`node down` and `node up` end
    there: states, not names), and either the noun follows the same preposition in every member
    (`for user`, `on host`, `to queue`: a noun phrase that names a thing; `Instance spawned` is
    a noun and a verb) or a value is written as an identifier (`group order-router`, `Server
    be_api/api3`: a word joined to another by `-`, `_`, `.` or `/`, which no verb is)."""
    if pos < 1 or pos + 1 >= len(items[members[0]][0]):
        return False
    before = {items[i][0][max(0, pos - 2) : pos] for i in members}
    if len(before) != 1:
        return False
    phrase = next(iter(before))
    if phrase[-1].lower() not in ENTITY_NOUNS:
        return False
    if not all(_NAME.fullmatch(v.strip(_PUNCTUATION)) for v in values):
        return False
    return (len(phrase) == 2 and phrase[0].lower() in PREPOSITIONS) or any(
        _IDENTIFIER.search(v) for v in values
    )


def _assigned(
    items: Sequence[tuple[tuple[str, ...], int]],
    members: list[int],
    pos: int,
    values: dict[str, int],
) -> bool:
    """Whether the column at `pos` is a value given to a name by a lone `=` in every member
    (`framing = LZ4`, `errorMessage = ERR_DATA_INSERT`: written `framing=LZ4`, the parser masks
    it), words after a name, not words that say different severities (`status = FAILED`)."""
    if any(items[i][0][pos - 1] != "=" for i in members):
        return False
    if not any(c.isalpha() for c in items[members[0]][0][pos - 2]):
        return False
    return _one_severity(values)


def _free_columns(columns: dict[int, tuple[str, ...]], many: int) -> set[int]:
    """The columns of a group whose words combine freely with another column's: fields of a
    record (`"AAAA IN ..." NXDOMAIN`: any query type with any return code), not words that name
    an event, whose words go together (`from NEW to UNASSIGNED`, never `from NEW to RUNNING`).
    Two columns combine freely when neither's word decides the other's (two words of one are
    each seen with the same two of the other: `_crossed`), the pairs seen are at least half of
    all the pairs their words could make (one crossing among words that mostly go together is
    not enough), and one of them is written in codes (`_is_code`: `AAAA`, `NXDOMAIN`,
    `qr,aa,rd`), as a record's fields are: two columns of words (`backup of orders failed`,
    `service nginx stopped`) name a thing and what became of it, an event each. A column whose
    words say different severities (`succeeded`, `failed`: `infer_severity`) names events and
    is never free, and a word in two columns of the group makes its columns a transition, whose
    pairs are events (`from RUNNING to DONE`): then none is free, unless every column has at
    least `many` words (`Tuning.variable_values`), where the pairs test above tells a state
    machine's few moves among many states (events) from states paired at will (`status changed
    from PAID to REFUNDED`, any to any: the states are the arguments). `columns`: the group's
    columns of several words not found variables already, by position. The pairs are read from
    the distinct rows of the columns weighed, so many signatures of few rows cost one pass."""
    words: set[str] = set()
    for pos in sorted(columns):
        named = {word for word in columns[pos] if any(c.isalnum() for c in word)}  # not `-`
        if not words.isdisjoint(named) and min(len(set(c)) for c in columns.values()) < many:
            return set()  # a word in two columns: a transition (`from RUNNING to DONE`), events
        words |= named
    # `succeeded` and `failed` are two events, whatever else varies
    ordered = [pos for pos in sorted(columns) if _one_severity(set(columns[pos]))]
    if len(ordered) < 2:
        return set()
    # the distinct rows of these columns: what the pairs are read from
    distinct = list(zip(*set(zip(*[columns[pos] for pos in ordered], strict=True)), strict=True))
    code = [
        all(_is_code(word) for word in set(column) if WILDCARD not in word) for column in distinct
    ]
    free: set[int] = set()
    for n in range(len(ordered)):
        for m in range(n + 1, len(ordered)):
            a, b = ordered[n], ordered[m]
            if (a in free and b in free) or not (code[n] or code[m]):
                continue  # decided, or two columns of words
            pairs = set(zip(distinct[n], distinct[m], strict=True))
            partners: dict[str, set[str]] = defaultdict(set)  # of each word of `a`, `b`'s
            for x, y in pairs:
                partners[x].add(y)
            words_b = len(set(distinct[m]))
            if 2 * len(pairs) >= len(partners) * words_b and _crossed(partners):
                free.update((a, b))
    return free


_LOWER_RUN: Final = re.compile(r"[a-z]{3}")


def _is_code(token: str) -> bool:
    """Whether a token is written as a code, not a word: no three small letters in a row
    (`AAAA`, `NXDOMAIN`, `"GET`, `qr,aa,rd`, `CD--`; not `udp`, `nginx`, `OrderService`)."""
    return _LOWER_RUN.search(token) is None


def _crossed(partners: dict[str, set[str]]) -> bool:
    """Whether two words of a column were each seen with the same two words of another (`A`
    and `AAAA` each with `NOERROR` and `NXDOMAIN`): the four pairs every one seen, so neither
    column's word decides the other's."""
    sets = [seen for seen in partners.values() if len(seen) > 1]
    return any(len(a & b) > 1 for n, a in enumerate(sets) for b in sets[n + 1 :])


def _split(
    items: Sequence[tuple[tuple[str, ...], int]],
    members: list[int],
    length: int,
    tuning: Tuning = DEFAULT_TUNING,
) -> list[tuple[list[int], tuple[str, ...]]]:
    """Split a common-pattern group on its low-cardinality columns, the fewest values first;
    which columns are variables is decided once, on the whole group (step 4 of the module
    docstring), so a small part of a group never splits on a variable."""
    variable = set()
    weights = [items[i][1] for i in members]
    kept: dict[int, tuple[str, ...]] = {}  # the columns of several words left: `_free_columns`
    for pos, column in enumerate(zip(*[items[i][0] for i in members], strict=True)):
        if column.count(column[0]) == len(column):
            continue  # one word (most columns): nothing to decide, at C speed
        values = _line_counts(column, weights)
        if len(values) > 1 and (
            _is_variable(values, pos, tuning)
            or (tuning.named and pos and _names_a_value(items, members, pos, values))
            or (pos > 1 and _assigned(items, members, pos, values))
        ):
            variable.add(pos)
        else:
            kept[pos] = column
    if tuning.free and len(kept) > 1:
        variable |= _free_columns(kept, tuning.variable_values)
    constant = [pos for pos in range(length) if pos not in variable]
    out: list[tuple[list[int], tuple[str, ...]]] = []
    todo = [members]
    last = length - 1
    closing: set[int] = set()  # the members whose message ends in `:` (`_closing`)
    if last in variable:
        # a message that ends in `:` says that more follows (the reason, on the next line): not
        # the statement whose message ends there, whatever its last value (`... user: 'u')` and
        # `... user: 'u'):`); the variable is written `<*>:` in its template
        closing = _closing({i: items[i][0][last] for i in members})
        if closing and len(closing) < len(members):
            todo = [[i for i in members if i in closing], [i for i in members if i not in closing]]
    while todo:
        group = todo.pop()
        if len(group) == 1:  # nothing to split on: the signature is the template
            out.append((group, items[group[0]][0]))
            continue
        columns = list(zip(*[items[i][0] for i in group], strict=True))
        best_pos, best_values = -1, 0
        for pos in constant:
            count = len(set(columns[pos]))
            if count > 1 and (best_pos < 0 or count < best_values):
                best_pos, best_values = pos, count
        if best_pos < 0:
            # a variable where the group's tokens differ
            template = [column[0] if len(set(column)) == 1 else _wild(column) for column in columns]
            if template[last] == WILDCARD and group[0] in closing:  # (`<*>:` when they all end so)
                template[last] = WILDCARD + ":"  # (every member's, when one's: split above)
            out.append((group, tuple(template)))
            continue
        parts: dict[str, list[int]] = defaultdict(list)
        for i in group:
            parts[items[i][0][best_pos]].append(i)
        todo.extend(parts.values())
    return out


# punctuation a variable column's values may share at their ends (`[a]`, `[b]`: `[<*>]`)
_EDGE_TEXT: Final = "([{<\"'`)]}>,;:.!?"
_EDGE: Final = frozenset(_EDGE_TEXT)


def _edges(value: str) -> tuple[str, str]:
    """The punctuation that opens and closes `value`, as far as its first and from its last
    masked value (`[<*>]`: `[` and `]`), never the same character for both, at most
    `EDGE_MOST` characters at each end (a longer run is the value's own text). A bracket or
    quote that the rest of the value closes or opens is the value's own, no edge
    (`fe_http/<NOSRV>`, `[Request{a}{b}]`, `\\"name\\"`: not `<*>>`, `[<*>}]`, `<*>"`): each edge
    character the value owns joins it, and the other end is read again with it. A value of
    punctuation alone (`()`, `...`) has no edges: it is all value. The value's brackets and
    quotes are counted once and kept as it grows, so a long value is read in linear time."""
    cut = value.find(WILDCARD)
    if cut < 0 and not value.strip(_EDGE_TEXT):  # punctuation alone, however long
        return "", ""
    head = value if cut < 0 else value[:cut]
    n = 0
    while n < len(head) and n < EDGE_MOST and head[n] in _EDGE:
        n += 1
    tail = value if cut < 0 else value[value.rfind(WILDCARD) + len(WILDCARD) :]
    room = len(tail) - n if cut < 0 else len(tail)
    m = 0
    while m < room and m < EDGE_MOST and tail[len(tail) - 1 - m] in _EDGE:
        m += 1
    end = len(value) - m
    counts = {c: value.count(c, n, end) for c in _PAIRED}
    ends: tuple[int, int] | None = None
    while ends != (n, end):
        ends = (n, end)
        for k in range(end, len(value)):
            if _owns(value[k], counts):
                for c in value[end : k + 1]:
                    if c in counts:
                        counts[c] += 1
                end = k + 1
        for k in range(n - 1, -1, -1):
            if _owns(value[k], counts):
                for c in value[k:n]:
                    if c in counts:
                        counts[c] += 1
                n = k
    return head[:n], value[end:]


EDGE_MOST: Final = 32  # punctuation characters an edge of a variable's values may hold
# the closer of each opener and the opener of each closer; a quote is its own
_PAIRED: Final = {"(": ")", "[": "]", "{": "}", "<": ">", '"': '"', "'": "'", "`": "`"}
_PAIRED.update({closer: opener for opener, closer in list(_PAIRED.items())})


def _owns(edge: str, counts: dict[str, int]) -> bool:
    """Whether a value whose brackets and quotes are `counts` holds the other half of the edge
    character `edge` (more of its closer than of its opener, or an odd number of a quote): a
    pair of the value's own."""
    other = _PAIRED.get(edge)
    if other is None:
        return False
    if other == edge:
        return counts[edge] % 2 == 1
    return counts[other] > counts[edge]


def _wild(column: Sequence[str]) -> str:
    """A variable column's template: `<*>`, with the punctuation every one of its values opens
    and closes with (`[file1]`, `[file2]` and `[<*>]` read `[<*>]`; `(api.github.com):` and
    `(pypi.org):` read `(<*>):`, as the parser writes a masked value), so a column the merge
    found variable reads as the values the parser masked do, and templates that differ in
    that alone are written alike (`_recollapsed` joins them)."""
    values = iter(set(column))
    lead, trail = _edges(next(values))
    for value in values:
        if not (lead or trail):
            break
        head, tail = _edges(value)
        k = 0
        while k < len(lead) and k < len(head) and lead[k] == head[k]:
            k += 1
        lead = lead[:k]
        k = 0
        while k < len(trail) and k < len(tail) and trail[-1 - k] == tail[-1 - k]:
            k += 1
        trail = trail[len(trail) - k :]
    return f"{lead}{WILDCARD}{trail}"


def _closing(lasts: dict[int, str]) -> set[int]:
    """Of a group's members, by their last token, those whose message ends in a `:` that
    announces more (`_split`). Not an IPv6 address's `::` (`2001:db8::`, masked `<*>::`), nor
    a key whose value is empty where other members give it one (`user:` beside `user:alice`):
    the same statement, its value ending where it is written."""
    keys = {t[: t.index(":") + 1] for t in lasts.values() if ":" in t and t[-1:] != ":"}
    return {i for i, t in lasts.items() if t[-1:] == ":" and t[-2:] != "::" and t not in keys}


# ---------------------------------------------------------------- rendering


def _rank(cluster: LogCluster) -> tuple[int, int, int]:
    if cluster.other:  # not one event but the leftovers: last (the head line names it)
        return (len(SEVERITY_RANK) + 1, 0, 0)
    tier = SEVERITY_RANK.get(cluster.severity or "", len(SEVERITY_RANK))
    # critical/error/warning are tiers of their own; the rest rank together, by count
    tier = min(tier, SEVERITY_RANK["notice"])
    return (tier, -cluster.count, cluster.first_line)


def _block(cluster: LogCluster) -> str:
    severity = (cluster.severity or "-").upper()
    if cluster.severity and not cluster.severity_from_header:
        severity += "?"
    when = ""
    if cluster.first_seen:
        when = f" [{cluster.first_seen}"
        if cluster.last_seen and cluster.last_seen != cluster.first_seen:
            when += f" .. {cluster.last_seen}"
        when += "]"
    lines = [f"#{cluster.id} {severity} x{cluster.count}{when}: {cluster.template}"]
    for var in cluster.variables:
        shown = ", ".join(f"{v.value} ({v.count})" for v in var.top)
        more = var.distinct - len(var.top)
        suffix = f" +{more}{'' if var.distinct_exact else '~'} more" if more > 0 else ""
        lines.append(f"  {var.kind}: {shown}{suffix}")
    if cluster.example.strip() != cluster.template:
        example = cluster.example
        if len(example) > RENDERED_EXAMPLE_CHARS:  # the report's JSON keeps EXAMPLE_CHARS
            example = example[: RENDERED_EXAMPLE_CHARS - 3] + "..."
        lines.append(f"  e.g. {example}")
    return "\n".join(lines)


def render(report: LogReport, budget: int | None = None) -> str:
    """The report as text for an LLM, at most `budget` o200k tokens (None: everything): a head
    line (lines, clusters, lines per severity, time span), then one block per cluster in
    `_rank` order (module docstring, step 5): severity (`?` when guessed from the message's
    words), line count, first and last timestamp, template, the top values of each kind and an
    example line. Blocks that do not fit are summed up in one line (`+37 more clusters, 112
    lines`). `agents.skills.tokens.BudgetError` when even the head does not fit."""
    ranked = sorted(report.clusters, key=_rank)
    by_severity: Counter[str] = Counter()
    for cluster in report.clusters:
        by_severity[cluster.severity or "unknown"] += cluster.count
    severities = ", ".join(
        f"{name} {by_severity[name]}" for name in (*SEVERITY_RANK, "unknown") if by_severity[name]
    )
    head = f"logs {report.source}: {report.lines_read} lines, {len(report.clusters)} clusters"
    if severities:
        head += f"; lines by severity: {severities}"
    if report.first_seen:
        head += f"; from {report.first_seen} to {report.last_seen}"
    other = next((c for c in report.clusters if c.other), None)
    if other is not None:
        head += (
            f"; {other.count} lines of messages too rare to keep as clusters (past the "
            f"{len(report.clusters) - 1} kept) are in #{other.id}"
        )

    def more(dropped: Sequence[int]) -> str:
        lines = sum(ranked[i].count for i in dropped)
        text = f"+{len(dropped)} more clusters, {lines} lines"
        serious = sum(
            ranked[i].count
            for i in dropped
            if SEVERITY_RANK.get(ranked[i].severity or "", 99) <= SEVERITY_RANK["warning"]
        )
        return text + (f" ({serious} of them warnings or worse)" if serious else "")

    blocks = [_block(c) for c in ranked]
    if budget is None:
        return "\n".join(p for p in [head, *blocks] if p)
    from agents.skills import tokens as tokens_mod  # noqa: PLC0415 - imported when counting

    fitted = tokens_mod.fit([head], blocks, budget, more)
    more_line = fitted.text.rsplit("\n", 1)[-1]
    if fitted.dropped and _may_fit_whole(blocks[fitted.kept :], budget - fitted.tokens, more_line):
        # `fit` reserves room for its `more` line; without it, everything may fit
        whole = "\n".join(p for p in [head, *blocks] if p)
        if tokens_mod.count(whole) <= budget:
            return whole
    return fitted.text


def _may_fit_whole(dropped: Sequence[str], spare: int, more_line: str) -> bool:
    """Whether the blocks `fit` dropped may take the place of its `more_line` and the `spare`
    tokens it left. Counted block by block, and only as far as they could fit: never the whole
    text of a report of many clusters (whose count alone would cost more than the report)."""
    from agents.skills import tokens as tokens_mod  # noqa: PLC0415 - imported when counting

    room = spare + tokens_mod.count(more_line) + 1
    spent = 0
    for n, block in enumerate(dropped, start=1):
        spent += tokens_mod.count(block)
        # a newline between blocks may join a token of either: at most two tokens each
        if spent - 2 * n > room:
            return False
    return True

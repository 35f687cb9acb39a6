"""The fast lane (`LogAnalyzer.add_many`): lines of a shape seen before are counted from spans of
the line instead of being parsed. It must change nothing: every report, assignment and progress
call is the one `add` gives line by line, on logs the test writes with every kind of record the
analyzer tells apart (headers, levels, values, multi-line records, traces behind headers,
PostgreSQL secondary fields, lines without a header after a line that ends with `:`, JSON,
logfmt, UUIDs, hex ids, sensitive `0x`/`g0` digits, long lines, line breaks inside a line,
non-ASCII text)."""

from __future__ import annotations

import io
import random
import re
import tracemalloc
from collections import deque
from collections.abc import Callable, Iterator

import pytest

from agents.skills.logparse import (
    canonical_shape,
    clear_caches,
    lane_spans,
    parse_fields,
    shape_of,
)
from agents.skills.logs import LogAnalyzer, LogReport, Progress, analyze_logs


def _hex(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789abcdef") for _ in range(n))


def _ip(rng: random.Random) -> str:
    """Of two widths only, so that shapes repeat (the lane counts lines of a shape seen before)."""
    return f"10.{rng.randint(100, 254)}.{rng.randint(100, 254)}.{rng.choice([7, 42])}"


def _records(rng: random.Random) -> list[Callable[[], list[str]]]:
    """Makers of one record each (its first line, then its continuation lines, if any)."""

    def ts() -> str:
        minute, second, ms = rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999)
        return f"2026-12-06 10:{minute:02d}:{second:02d},{ms:03d}"

    def level() -> str:
        return rng.choice(["INFO", "WARN", "ERROR", "DEBUG", "INFO", "INFO"])

    def postgres() -> list[str]:
        """A message with its secondary field, or either alone (a field whose message is not
        the line before it is a record of its own, and its shape may get a lane entry)."""
        pid, sec = rng.randint(100, 9999), rng.randint(0, 59)
        lines = [
            f"2026-12-06 10:00:{sec:02d} UTC [{pid}] app@db ERROR:  duplicate key value",
            f"2026-12-06 10:00:{sec:02d} UTC [{pid}] app@db DETAIL:  Key (id)=({pid}) exists.",
        ]
        return rng.choice([lines, lines[:1], lines[1:]])

    def logcat() -> list[str]:
        """A crash behind logcat's header: its record, the exception and a frame behind the
        same header (a trace of that record), or a frame alone (behind a header of its own it
        starts a record: a group that may start a trace)."""
        head = f"12-06 10:00:{rng.randint(10, 59)}.{rng.randint(100, 999)}  {rng.randint(100, 999)}"
        head += f"  {rng.randint(100, 999)}"
        lines = [
            f"{head} E AndroidRuntime: FATAL EXCEPTION: main",
            f"{head} E AndroidRuntime: java.lang.IllegalStateException: x",
            f"{head} E AndroidRuntime: \tat com.foo.Bar.baz(Bar.java:9)",
        ]
        return rng.choice([lines, lines[:2], lines[2:]])

    def python() -> list[str]:
        """A Python traceback after its record, or a record whose message is the traceback's
        first line (the same signature as that continuation line's); it ends in what was
        thrown, whose name may say no `Error` (a line that starts a record of its own when no
        traceback comes before it, and whose shape may get a lane entry)."""
        thrown = rng.choice(["ValueError: bad", "KeyboardInterrupt"])
        thrown = rng.choice([thrown, f"requests.exceptions.ConnectTimeout: {rng.randint(1, 9)}"])
        if rng.random() < 0.3:  # the traceback in the record's first line, with or without more
            head = [f"{ts()} ERROR Traceback (most recent call last):"]
            return rng.choice([head, [*head, '  File "/app/run.py", line 3, in run', thrown]])
        if rng.random() < 0.2:
            return [thrown]
        return [
            f"{ts()} ERROR job {rng.randint(10, 99)} failed",
            "Traceback (most recent call last):",
            f'  File "/app/run.py", line {rng.randint(10, 99)}, in run',
            thrown,
        ]

    def introduced() -> list[str]:
        """A record whose first line ends with `:`, then what it introduces on a line without a
        header (one record); or either alone (that line a record of its own, whose shape may
        get a lane entry, then comes after a line that ends with `:`)."""
        lines = [
            f"{ts()} ERROR Channel error on connection {rng.randint(1, 99)}, channel "
            f"{rng.randint(1, 9)}:",
            f"operation basic.publish caused a channel exception not_found {rng.randint(1, 9)}",
        ]
        return rng.choice([lines, lines[:1], lines[1:], lines[1:]])

    def quoted_list() -> list[str]:
        """A record (its first line ending with `:` or not), then the quoted items it dumps, a
        line each; or the first line alone, or an item alone (a record of its own, whose shape
        may get a lane entry, then comes among a list's items), or a record that starts with a
        quote after it."""
        head = f"{ts()} DEBUG [router] " + rng.choice(["decoding headers:", "complete: end=0"])
        items = [f"':path', '/v1/orders/{rng.randint(1, 99)}'", "':method', 'GET'"]
        items = [*items, "'accept', '*/*'"][: rng.randint(1, 3)]
        # (a line that goes on in bare words after its quote is a record: an access log's)
        access = f'"GET /v1/orders/{rng.randint(1, 99)} HTTP/1.1" 200 - 0 {rng.randint(1, 9)}'
        return rng.choice([[head, *items], [head, *items], [head], items[:1], [head, access]])

    def rails() -> list[str]:
        """Rails's tagged logger: a request's line, then maybe an exception logged as one
        message of several lines, each after the first opening with the request's tag and no
        header (`repeats_tag`); or such a line alone (a record of its own: a tag that no
        record before it opens with, whose shape may get a lane entry), or a thread's name."""
        tag = f"[{_hex(rng, 8)}-{_hex(rng, 4)}-4{_hex(rng, 3)}-a{_hex(rng, 3)}-{_hex(rng, 12)}]"
        stamp = f"2026-12-06T10:00:{rng.randint(10, 59)}.{rng.randint(100000, 999999)}"
        head = f"[{stamp} #{rng.randint(100, 999)}]"
        started = f'I, {head}  INFO -- : {tag} Started GET "/orders/{rng.randint(1, 99)}"'
        thrown = [
            f"F, {head} FATAL -- : {tag}   ",
            f"{tag} ActiveRecord::RecordNotFound (no order {rng.randint(1, 99)}):",
            f"{tag}   ",
            f"{tag} app/models/order.rb:{rng.randint(1, 99)}:in `find'",
        ]
        return rng.choice(
            [[started], [started, *thrown], thrown[1:2], [f"[main] order {rng.randint(1, 9)}"]]
        )

    def php() -> list[str]:
        """PHP's fatal error and its stack trace (`Stack trace:`, `#0 ...` frames, `#N {main}`,
        then an indented `thrown in`), or a numbered line alone (a record of its own, whose
        shape may get a lane entry), or a trace cut after its first frame."""
        at = f"/app/src/A{rng.randint(1, 9)}.php"
        first = (
            f"[06-Dec-2026 10:00:{rng.randint(10, 59)} UTC] PHP Fatal error:  Uncaught "
            f"RuntimeException: boom {rng.randint(1, 99)} in {at}:{rng.randint(1, 99)}"
        )
        n = rng.randint(1, 4)
        calls = ["Db->connect()", "Repo->find()", "Kernel->handle()", "App->run()"]
        frames = [f"#{k} /app/src/Db.php({rng.randint(1, 99)}): {calls[k]}" for k in range(n)]
        trace = ["Stack trace:", *frames, f"#{n} {{main}}", f"  thrown in {at} on line 7"]
        return rng.choice([[first, *trace], [first, *trace[:2]], frames[:1], [first]])

    return [
        introduced,
        quoted_list,
        rails,
        php,
        lambda: [
            f"{ts()} {level()} [worker-{rng.randint(1, 9)}] Processed request "
            f"{rng.randint(10**5, 10**6 - 1)} from {_ip(rng)}:{rng.randint(10000, 65535)} in "
            f"{rng.randint(1, 999)} ms"
        ],
        lambda: [
            f"{ts()} - {level()}  [NIOServerCxn.Factory:0.0.0.0/0.0.0.0:2181:NIOServerCnxn@1001] - "
            f"Closed socket connection for client /{_ip(rng)}:{rng.randint(1024, 65535)} which had "
            f"sessionid {rng.choice('0123456789')}x{_hex(rng, 15)}"
        ],
        lambda: [
            f"[Sun Dec 04 04:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} 2005] "
            f"[{rng.choice(['error', 'notice'])}] mod_jk child workerEnv in error state "
            f"{rng.randint(1, 9)}"
        ],
        lambda: [
            f"081109 2036{rng.randint(10, 59)} {rng.randint(1, 999)} INFO "
            f"dfs.DataNode$PacketResponder: Received block blk_{rng.choice(['', '-'])}"
            f"{rng.randint(10**17, 10**19)} of size {rng.randint(1, 10**8)} from /{_ip(rng)}"
        ],
        lambda: [
            f"{ts()} ERROR Failed to connect to {rng.choice(['db', 'cache', 'queue'])}",
            "java.io.IOException: closed",
            f"\tat com.example.Client.call(Client.java:{rng.randint(1, 500)})",
            "Caused by: java.net.SocketException: reset",
            f"\t... {rng.randint(1, 40)} more",
        ][: rng.randint(1, 5)],
        postgres,
        logcat,
        python,
        lambda: [
            f"{ts()} INFO user {rng.choice(['alice', 'bob', 'zoë'])} logged in from Zürich "
            f"at {ts()}"
        ],
        lambda: [
            f'{{"time": "{ts()}", "level": "{level().lower()}", "msg": "job '
            f'{rng.randint(1, 99)} done", "id": "{_hex(rng, 12)}"}}'
        ],
        lambda: [f'level={level().lower()} msg="cache miss" key=k{rng.randint(1, 999)}'],
        lambda: [  # a document printed over lines, its closing brace alone (Ansible's `debug`)
            f"{ts()} INFO ok: [web{rng.randint(1, 9)}] => {{",
            f'    "msg": "release {rng.randint(1, 99)} is live"',
            rng.choice(["}", "},", "});", "]"]),
        ][: rng.randint(1, 3)],
        lambda: [
            f"{ts()} INFO [req-{_hex(rng, 8)}-{_hex(rng, 4)}-{_hex(rng, 4)}-{_hex(rng, 4)}-"
            f"{_hex(rng, 12)}] GET /v2/servers/detail status: 200 len: {rng.randint(100, 9999)}"
        ],
        lambda: [f"{ts()} INFO container {_hex(rng, 64)} started on node-{rng.randint(1, 9)}"],
        lambda: [f"{ts()} DEBUG debug{rng.randint(1, 9)} probe {rng.randint(1, 99)} ok"],
        lambda: [f"{ts()} INFO kept token v{rng.randint(1, 3)}.0 in use"],
        lambda: [f"{ts()} INFO listening on IPv{rng.choice([4, 6])} address {_ip(rng)}"],
        lambda: [
            f"{ts()} WARN slow query: " + " ".join(str(rng.randint(0, 9)) for _ in range(220))
        ],
        lambda: [f"  {ts()} INFO indented line {rng.randint(1, 9)}"],
        lambda: [f"{ts()} INFO a line\nwith a break {rng.randint(1, 9)}"],
        lambda: [""],
        lambda: [f"<13>Dec  6 10:00:0{rng.randint(0, 9)} host app[{rng.randint(1, 99)}]: hello"],
        lambda: [f"{ts()} INFO stats:  {rng.randint(1, 99)} items"],
        lambda: [
            f"Dec  {rng.randint(1, 9)} 10:0{rng.randint(0, 9)}:{rng.randint(10, 59)} mail "
            f"postfix/smtpd[{rng.randint(1000, 9999)}]: connect from unknown[{_ip(rng)}]"
        ],
        lambda: [
            f"2026-12-06T10:01:{rng.randint(10, 59)}.{rng.randint(100000, 999999)}Z "
            f"{rng.randint(1, 9)} [{rng.choice(['Note', 'Warning', 'ERROR'])}] [MY-010116] "
            f"[Server] thread {rng.randint(10, 99)} started"
        ],
        lambda: [
            f"I1206 10:00:{rng.randint(10, 59)}.{rng.randint(100000, 999999)}    "
            f'{rng.randint(1000, 9999)} kubelet.go:{rng.randint(100, 999)}] "Syncing pod" '
            f'pod="web-{_hex(rng, 5)}"'
        ],
        lambda: [
            f"2026-12-06 10:00:{rng.randint(10, 59)}.{rng.randint(100, 999)} UTC "
            f"[{rng.randint(100, 999)}] LOG:  checkpoint complete: wrote {rng.randint(10, 99)} "
            "buffers"
        ],
        lambda: [f"user=u{rng.randint(1, 9)} logged in after {rng.randint(10, 99)} tries"],
        lambda: [f"Connection reset by peer {_ip(rng)} retry {rng.randint(1, 9)}"],
        lambda: [f"DataNodeError: disk {rng.randint(1, 9)} failed"],
    ]


def _log(seed: int, lines: int) -> list[str]:
    rng = random.Random(seed)
    makers = _records(rng)
    weights = [rng.randint(1, 20) for _ in makers]
    out: list[str] = []
    while len(out) < lines:
        out.extend(rng.choices(makers, weights)[0]())
    return out[:lines]


def _analyse(
    lines: list[str],
    *,
    lane: bool,
    seed: int,
    max_signatures: int = 50_000,
    max_clusters: int = 10_000,
) -> tuple[LogReport, str, list[Progress], int]:
    clear_caches()  # each run cold: the lane must not depend on what another run cached
    sink = io.StringIO()
    progress: list[Progress] = []
    analyzer = LogAnalyzer(
        assignments=sink,
        progress=progress.append,
        progress_every=997,
        lane_after=0,
        max_signatures=max_signatures,
        max_clusters=max_clusters,
    )
    if lane:
        rng = random.Random(seed)
        at = 0
        while at < len(lines):
            size = rng.choice([1, 3, 50, 700, 4096])
            analyzer.add_many(lines[at : at + size])
            at += size
    else:
        for line in lines:
            analyzer.add(line)
    report = analyzer.finish()
    return report, sink.getvalue(), progress, analyzer.lane_lines


def _same_both_ways(lines: list[str], seed: int) -> int:
    """Analyse `lines` line by line and through the lane, assert that the report, the
    assignments and the progress calls are the same, and return the lines the lane counted."""
    plain = _analyse(lines, lane=False, seed=seed)
    fast = _analyse(lines, lane=True, seed=seed)
    assert fast[0].to_dict() == plain[0].to_dict()
    assert fast[1] == plain[1]
    assert fast[2] == plain[2]
    assert plain[3] == 0
    return fast[3]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_lane_changes_no_report_assignment_or_progress(seed: int) -> None:
    lines = _log(seed, 12_000)
    assert _same_both_ways(lines, seed) > len(lines) // 6  # and the lane did count many of them


@pytest.mark.parametrize("seed", [1, 2])
def test_the_lane_counts_a_header_less_logs_quoted_lines(seed: int) -> None:
    """A line that starts with a quote may be an item of a list a record with a header dumps
    (`add` tells), but a header-less log's quoted lines (CSV) are each a record, which the
    lane counts: it must not hand them all to `add` (which parsed each of them thrice)."""
    rng = random.Random(seed)
    events = ["job started", "job done", "disk full on volume", "cache miss for key"]
    lines = [
        f'"2026-12-06 10:{rng.randint(10, 59)}:{rng.randint(10, 59)}","{rng.choice(events)} '
        f'{rng.randint(100, 999)}","host-{rng.randint(1, 9)}"'
        for _ in range(6_000)
    ]
    lines[100:100] = ["2026-12-06 10:00:00,000 INFO dumped:", "'a', 'b'", "'c', 'd'"]
    assert _same_both_ways(lines, seed) > len(lines) // 2


def test_the_lane_counts_a_document_after_a_colon_as_one_by_one() -> None:
    # a JSON array the grammar reads a header in (a bracketed epoch time) has a lane entry: after
    # a line that ends with `:` it is a record of its own either way, not the document it ends
    lines: list[str] = []
    for n in range(600):
        lines.append(f"[2026/02/01 10:00:{n % 60:02d}] [ info] [engine] tick {n}")
        lines.append(f'[{1706781600 + n}, "info", "ok"]')
        if n % 7 == 3:
            lines.append(f"[2026/02/01 10:00:{n % 60:02d}] [error] [out:es.0] HTTP {n}, response:")
            lines.append(f'[{1706781600 + n}, "info", "ok"]' if n % 2 else '{"took": 3}')
    assert _same_both_ways(lines, 5) > len(lines) // 3


def test_the_lane_holds_through_compactions_and_folds() -> None:
    """Entries name groups; a compaction merges groups and folds the smallest into the other
    cluster: after it, no line may be counted in a group that is gone."""
    lines = _log(7, 12_000)
    plain = _analyse(lines, lane=False, seed=7, max_signatures=16, max_clusters=5)
    fast = _analyse(lines, lane=True, seed=7, max_signatures=16, max_clusters=5)
    assert plain[0].compactions > 3
    assert fast[0].to_dict() == plain[0].to_dict()
    assert fast[1] == plain[1]
    assert fast[3] > 0


def test_the_lane_opens_only_after_its_lines() -> None:
    """Below `lane_after` lines everything goes through `add` (a short input pays nothing)."""
    lines = _log(4, 3_000)
    analyzer = LogAnalyzer(lane_after=5_000)
    analyzer.add_many(lines)
    assert analyzer.lane_lines == 0
    analyzer.add_many(_log(5, 4_000))
    assert analyzer.lane_lines > 0


def _renumbered(line: str, rng: random.Random) -> str:
    """`line` with each digit replaced at random: another line of its shape."""
    return "".join(rng.choice("0123456789") if c.isdigit() else c for c in line)


def test_a_shapes_spans_read_every_line_of_it_as_parse_fields_does() -> None:
    """What the lane reads from spans (`lane_spans`, made from one line) is what `parse_fields`
    reads of any other line of the same shape: signature, header, severity, timestamp, values.
    Blanks that `str.split` splits on and a regex might not (`\\x1c`, no-break space) included."""
    rng = random.Random(8)
    lines = _log(8, 3_000)
    lines += [
        f"2026-12-06 10:00:0{i}\x1c INFO odd\u00a0blank {i} from 10.0.0.{i}" for i in range(9)
    ]
    checked = 0
    for line in lines:
        spans = lane_spans(line)
        if spans is None:
            continue
        signature, header, severity, ts_a, ts_b, ts_parts, values = spans
        for _ in range(3):
            other = _renumbered(line, rng)
            _, timestamp, level, has_header, expected_signature, found = parse_fields(other)
            assert signature == expected_signature, other
            assert (header, severity) == (has_header, level), other
            if ts_b:
                assert other[ts_a:ts_b] == timestamp, other
            elif ts_parts:
                assert " ".join(other[a:b] for a, b in ts_parts).strip("[],") == timestamp, other
            else:
                assert timestamp is None, other
            assert tuple((kind, other[a:b]) for kind, a, b in values) == found, other
            checked += 1
    assert checked > 3_000


def test_lines_parse_fields_reads_otherwise_get_no_spans() -> None:
    """CRI, logfmt, JSON and priority lines are read by their own parsers; a line of a shape
    read by its digits' values (`0x`, `debug2`) has no plan by its shape alone. None of them is
    read from spans."""
    for line in [
        "2026-12-06T10:00:00.123456789Z stdout F hello 42",
        "level=info msg=started port=8080",
        '{"level": "info", "msg": "started 42"}',
        "<13>Dec  6 10:00:00 host app[42]: hello",
        "2026-12-06 10:00:00 debug2 disk 42 slow",
        "2026-12-06 10:00:00 INFO read 0x1f at offset 42",
    ]:
        parse_fields(line)
        assert lane_spans(line) is None, line
    assert lane_spans("I1206 10:00:00.123456    42 kubelet.go:12] started") is not None


def _long_lines(count: int, width: int) -> Iterator[str]:
    for i in range(count):
        yield f"2026-12-06 10:00:{i % 60:02d} INFO payload {i} " + "x" * width


def test_long_lines_are_read_in_bounded_memory() -> None:
    """Chunks are bounded by characters too: 2,000 lines of 16 KiB (32 MB, made as they are read)
    are never held at once."""
    tracemalloc.start()
    try:
        report = analyze_logs(_long_lines(2_000, 16 * 1024))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.lines_read == 2_000
    assert peak < 12 * 1024 * 1024, peak


def test_lines_read_before_the_input_fails_are_counted_as_one_by_one() -> None:
    def failing() -> Iterator[str]:
        yield from _log(9, 5_000)
        raise OSError("the source went away")

    seen: list[Progress] = []
    with pytest.raises(OSError, match="went away"):
        analyze_logs(failing(), progress=seen.append, progress_every=500)
    reference: list[Progress] = []
    analyzer = LogAnalyzer(progress=reference.append, progress_every=500)
    for line in _log(9, 5_000):
        analyzer.add(line)
    assert seen == reference and len(reference) == 9  # to 4,500: past the first 4,096 lines


def test_any_sequence_of_lines_is_taken() -> None:
    lines = _log(10, 3_000)
    plain = LogAnalyzer(lane_after=0)
    for line in lines:
        plain.add(line)
    queued = LogAnalyzer(lane_after=0)
    queued.add_many(deque(lines))
    assert queued.finish().to_dict() == plain.finish().to_dict()


def _uuid(rng: random.Random, *, first: str = "") -> str:
    """A UUID of random digits and letters (either case): read alike with any other whose first
    character is of its class (`logparse._uuid_spots`) once it has two digits and a letter
    before its third dash, which most have."""
    letters = "abcdef" if rng.random() < 0.8 else "ABCDEF"
    text = first + "".join(rng.choice("0123456789" + letters) for _ in range(32 - len(first)))
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _uuid_log(seed: int, lines: int) -> list[str]:
    """Lines whose UUIDs differ on every line (OpenStack's, AWS Lambda's, a line that starts with
    one, UUIDs whose first character is read), and UUIDs that are read by their letters (no
    digit, or none before the third dash)."""
    rng = random.Random(seed)

    def ts() -> str:
        return f"2026-12-06 10:{rng.randint(10, 59)}:{rng.randint(10, 59)}.{rng.randint(100, 999)}"

    makers: list[Callable[[], str]] = [
        lambda: (
            f"nova-api.log.1.2017-05-16_13:53:08 {ts()} 25746 INFO nova.osapi_compute.wsgi."
            f"server [req-{_uuid(rng)} {_uuid(rng)} {_uuid(rng)} - - -] {_ip(rng)} "
            f'"GET /v2/{_uuid(rng)}/servers/detail HTTP/1.1" status: 200 len: '
            f"{rng.randint(1000, 9999)} time: 0.{rng.randint(1000000, 9999999)}"
        ),
        lambda: f"START RequestId: {_uuid(rng)} Version: $LATEST",
        lambda: (
            f"REPORT RequestId: {_uuid(rng)}\tDuration: {rng.randint(10, 99)}.{rng.randint(10, 99)}"
            f" ms\tBilled Duration: {rng.randint(10, 99)} ms"
        ),
        lambda: f"{_uuid(rng, first=rng.choice('0123456789abcdefCD'))} {ts()} ERROR lost job",
        lambda: f"{ts()} INFO held {_uuid(rng, first='abcd')} and {_uuid(rng)}",
        # where a UUID's first character is read (a user's at a host, a comparison)
        lambda: (
            f"{ts()} INFO login alice@{_uuid(rng, first=rng.choice('0a'))} from "
            f"<{_uuid(rng, first=rng.choice('1b'))} ok"
        ),
        lambda: (
            f"{ts()} WARN letters only {rng.choice(['abcdefab', 'fedcbafe'])}-abcd-efab-cdef-"
            "abcdefabcdef here"
        ),
        lambda: (
            f"{ts()} INFO digits first 12345678-1234-{rng.randint(1000, 9999)}-ab12-"
            f"{_hex(rng, 12)} ok"
        ),
    ]
    weights = [rng.randint(1, 10) for _ in makers]
    return [rng.choices(makers, weights)[0]() for _ in range(lines)]


@pytest.mark.parametrize("seed", [11, 12])
def test_lines_with_new_uuids_are_laned_by_their_canonical_shape(seed: int) -> None:
    """A line whose UUIDs differ on every line has a shape of its own each time, but is planned
    by its canonical shape (its UUIDs read alike): the lane keys it so too, and changes nothing."""
    lines = _uuid_log(seed, 8_000)
    assert _same_both_ways(lines, seed) > len(lines) // 2


_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")


def _lane_key(line: str) -> bytes:
    """The key `add_many` looks a line up by, when its shape has no entry of its own."""
    return canonical_shape(shape_of(line).encode("utf-8", "surrogatepass"))


def _other_letters(line: str, rng: random.Random) -> str:
    """`line` with each UUID's hex letters drawn again (of either case), digits as they are."""

    def redrawn(m: re.Match[str]) -> str:
        return "".join(rng.choice("abcdefABCDEF") if c.isalpha() else c for c in m.group())

    return _UUID_TEXT.sub(redrawn, line)


def test_spans_of_a_canonical_shape_read_every_line_of_it_as_parse_fields_does() -> None:
    """Every line of a lane key (the canonical shape: its UUIDs' digits and letters read alike)
    reads as `lane_spans` read the first: signature, header, severity, timestamp, values (the
    line's own UUIDs). A UUID read by its letters has no canonical form: another key."""
    rng = random.Random(13)
    checked = skipped = 0
    for line in _uuid_log(13, 600):
        spans = lane_spans(line)
        if spans is None:
            continue
        signature, header, severity, ts_a, ts_b, _, values = spans
        for _ in range(5):
            other = _other_letters(_renumbered(line, rng), rng)
            if _lane_key(other) != _lane_key(line):
                skipped += 1
                continue
            _, timestamp, level, has_header, expected_signature, found = parse_fields(other)
            assert signature == expected_signature, other
            assert (header, severity) == (has_header, level), other
            assert (other[ts_a:ts_b] if ts_b else None) == timestamp, other
            assert tuple((kind, other[a:b]) for kind, a, b in values) == found, other
            checked += 1
    assert checked > 2_000 and skipped > 0

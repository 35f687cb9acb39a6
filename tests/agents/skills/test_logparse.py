"""`agents.skills.logparse` on lines written here: word-valued variables (booleans, dates inside a
message), punctuation glued to a value, `host:port` and `user@host`, and header shapes beyond the
common ones (a bracketed month-day, Android logcat, syslog tags with a module). Every class has
cases that must be masked or stripped and cases that must not."""

from __future__ import annotations

import json
import random
import re

import pytest

from agents.skills import logparse
from agents.skills.logparse import WILDCARD, parse_line
from agents.skills.logs import analyze_logs, collapse
from tests.agents.skills.test_logs import HOSTILE, finishes


def signature(message: str) -> str:
    return " ".join(parse_line(message).signature)


def same_signature(*messages: str) -> None:
    signatures = {signature(m) for m in messages}
    assert len(signatures) == 1, signatures


# ---------------------------------------------------------------- word-valued variables


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("cache warm true", "cache warm <*>"),
        ("replica is False", "replica is <*>"),
        ("sync TRUE, async FALSE.", "sync <*>, async <*>."),
        ("allDrawn= false", "allDrawn= <*>"),
        ("feature enabled=true", "feature enabled=<*>"),
        ("options {verbose:false}", "options {verbose:<*>}"),
        (
            "Access denied for 'app' (using password: YES)",
            "Access denied for '<*>' (using password: <*>)",
        ),
        ("ssl NO, compressed YES", "ssl <*>, compressed <*>"),
        # and Python's None, printed where a value would be
        ("task done in 0.5s: None", "task done in <*>: <*>"),
    ],
)
def test_booleans_are_variables(message, masked) -> None:
    assert signature(message) == masked


def test_one_event_whatever_its_boolean() -> None:
    same_signature("task done in 0.5s: None", "task done in 0.5s: 42")
    same_signature("screen lock true", "screen lock false")
    same_signature("flags dirty=true", "flags dirty=false")
    same_signature("login (using password: YES)", "login (using password: NO)")


def test_a_field_s_value_that_reads_as_name_and_value_is_one_value() -> None:
    # Consul's `check=service:web-1` beside `check=mem-util`: one field's values
    same_signature("Check in sync: check=service:web-1", "Check in sync: check=mem-util")
    same_signature("Synced check=service:web-proxy:2", "Synced check=disk")
    assert signature("Synced check=service:web-1,") == "Synced check=<*>,"
    # ... but a name that says a severity names the event
    assert signature("request outcome=failure:503") == "request outcome=failure:<*>"
    # ... while `key:value` pairs inside a bracketed value keep their keys
    assert (
        signature("limit headroom=<memory:0, vCores:4>")
        == "limit headroom=<memory:<*>, vCores:<*>>"
    )


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("compression enabled=yes", "compression enabled=<*>"),
        ("proxy mode:off", "proxy mode:<*>"),
        ("tls=disabled, audit=Enabled;", "tls=<*>, audit=<*>;"),
    ],
)
def test_switch_words_are_values_after_a_key(message, masked) -> None:
    assert signature(message) == masked


@pytest.mark.parametrize(
    "message",
    [
        "no such file or directory",
        "turned on by the operator",
        "yes we can",
        "the truest path",
        "No such file or directory",
        "Yes, retrying",
    ],
)
def test_switch_words_in_prose_stay(message) -> None:
    assert signature(message) == message


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("next run Mon Jun 13 2022 10:14:02", "next run <*> <*> <*> <*> <*>"),
        ("backup done at 10:14:02 on Tue", "backup done at <*> on <*>"),
        ("rotated on Sunday", "rotated on <*>"),
        ("expires 13 Sept 2031", "expires <*> <*> <*>"),
        ("report for December, sent", "report for <*>, sent"),
        ("cert valid until May 5 2030", "cert valid until <*> <*> <*>"),
        ("built Fri May 13", "built <*> <*> <*>"),
    ],
)
def test_dates_inside_a_message_are_variables(message, masked) -> None:
    assert signature(message) == masked


def test_one_event_whatever_its_day_and_month() -> None:
    same_signature(
        "next run Mon Jun 13 2022 10:14:02",
        "next run Thu Aug 04 2022 09:01:00",
        "next run Sat May 28 2022 23:59:59",
    )
    same_signature("backup done at 10:14:02 on Tue", "backup done at 01:00:00 on Fri")


@pytest.mark.parametrize(
    "message",
    [
        "May not be null",  # `May` is a word when no date part is beside it
        "the March of progress",
        "August committee meeting",
    ],
)
def test_month_names_that_are_words_stay_in_prose(message) -> None:
    assert signature(message) == message


# ---------------------------------------------------------------- SQL statements


@pytest.mark.parametrize(
    ("message", "collapsed"),
    [
        (
            "duration: 3.1 ms statement: SELECT a, b FROM t WHERE x = 1",
            "duration: <*> ms statement: <*>",
        ),
        ("execute S_1: UPDATE orders SET state = $1 WHERE id = $2", "execute <*>"),
        ("slow query INSERT INTO audit (k, v) VALUES ($1, $2)", "slow query <*>"),
        ("statement: SELECT pg_sleep(1)", "statement: <*>"),
        ("ran DELETE FROM sessions WHERE expires_at < now()", "ran <*>"),
        ("migrating: CREATE TABLE users (id int)", "migrating: <*>"),
        ("COPY events FROM STDIN", "<*>"),
    ],
)
def test_an_sql_statement_is_one_value(message, collapsed) -> None:
    # every token from the statement's first keyword to the end is masked: one value once
    # adjacent masks are collapsed, whatever the statement's length
    assert " ".join(collapse(parse_line(message).signature)) == collapsed


@pytest.mark.parametrize(
    ("message", "word"),
    [
        ('"SyncLoop UPDATE" source="api"', 'UPDATE"'),
        ("Request completed: DELETE /v1/orders/7 status=204", "DELETE"),
        ("UPDATE available for the agent", "UPDATE"),
        ("select a from b", "from"),  # in small letters: words
        ("waiting for SELECT", "SELECT"),  # nothing after it
        ("DELETE then wait on FROM", "FROM"),  # the clause too far from the keyword
    ],
)
def test_an_sql_keyword_alone_stays_a_word(message, word) -> None:
    assert word in parse_line(message).signature


def test_one_event_whatever_its_statement() -> None:
    lines = [
        f"duration: {n}.5 ms  statement: "
        + [
            "SELECT pg_sleep(1)",
            f"SELECT id, email, name FROM customers WHERE id = {n}",
            f"UPDATE orders SET status = 'paid' WHERE id = {n}",
            f"DELETE FROM sessions WHERE expires_at < now() - interval '{n} days'",
        ][n % 4]
        for n in range(40)
    ]
    report = analyze_logs(lines)
    assert [c.template for c in report.clusters] == [
        f"duration: {WILDCARD} ms statement: {WILDCARD}"
    ]


# ---------------------------------------------------------------- documents in braces


@pytest.mark.parametrize(
    ("message", "collapsed"),
    [
        (
            'command: find { find: "orders", filter: { id: 7, tag: "a b" }, $db: "shop" } took 3ms',
            "command: find <*> took <*>",
        ),
        (
            "plan IXSCAN { customer_id: 1 } locks:{ Global: { r: 2 } } done",
            "plan IXSCAN <*> locks:<*> done",
        ),
        ("update {q: {status: 5}, u: {$set: {a: 1}}}, multi: false", "update <*>, multi: <*>"),
        (
            "START u0 {act=MAIN cat=[LAUNCHER] cmp=com.x/.Main} from uid 10",
            "START u0 <*> from uid <*>",
        ),
    ],
)
def test_a_document_in_braces_is_one_value(message, collapsed) -> None:
    assert " ".join(collapse(parse_line(message).signature)) == collapsed


@pytest.mark.parametrize(
    ("message", "kept"),
    [
        ("read {file.py:12} ok", "{file.py:<*>}"),  # balanced in one token: one token already
        ("Option{a=1, b=2} set", "Option{a=<*>,"),  # a name's braces: its fields keep their keys
        ("stray } brace", "}"),
    ],
)
def test_braces_that_open_no_document_stay(message, kept) -> None:
    assert kept in parse_line(message).signature


def test_one_event_whatever_its_document() -> None:
    documents = [
        '{ find: "orders", filter: { id: 7 } }',
        '{ count: "users" }',
        '{ aggregate: "events", pipeline: [ { $match: { a: 1 } } ], cursor: {} }',
    ]
    lines = [
        f"command shop.x command: {d} planSummary: COLLSCAN {n}ms"
        for n, d in enumerate(documents * 5)
    ]
    report = analyze_logs(lines)
    assert len(report.clusters) == 1
    # an unclosed document masks its opening token only, and the line still parses
    assert parse_line("command: { find: 1").signature[:2] == ("command:", WILDCARD)


def test_bracketed_words_side_by_side_without_a_time_stay_as_written() -> None:
    assert parse_line("[a][b ] plain words").signature == ("[a][b", "]", "plain", "words")


def test_a_line_of_bracketed_fields_side_by_side_is_never_laned() -> None:
    # the lane reads a line's own tokens; this one is read with its fields apart
    line = "[2024-05-02T10:11:12,345][INFO ][o.e.n.Node] [node-a] started"
    assert parse_line(line).severity == "info" and logparse.lane_spans(line) is None


def test_a_level_word_that_ends_a_line_of_words_is_the_message_s() -> None:
    # no header is written in words: the outcome is the message's, which is kept whole
    for line in ["job 1 on queue HIGH finished with FAILURE", "build 7 of web ended ERROR"]:
        parsed = parse_line(line)
        assert not parsed.header and parsed.tokens == line.split() and parsed.severity is None
    # ... while a header with a time, or a host's name, still ends at its level
    for line in ["2026-01-01 10:00:00,000 worker main ERROR", "Dec  6 10:00:00 db app[12]: ERROR"]:
        parsed = parse_line(line)
        assert parsed.header and parsed.severity == "error" and parsed.timestamp is not None


def test_a_pipe_late_in_a_message_is_the_message_s_own() -> None:
    # a `|` inside a value (`"mongo-java-driver|sync"`) does not make the header a piped one
    head = "2023-11-14T06:02:18.898+0000 I  NETWORK  [conn1661] client metadata from 10.0.0.1:5"
    plain, piped = (
        parse_line(f'{head} {{ name: "pymongo" }}'),
        parse_line(f'{head} {{ name: "a|b" }}'),
    )
    assert (plain.timestamp, plain.severity, plain.signature) == (
        piped.timestamp,
        piped.severity,
        piped.signature,
    )
    # while one among the first tokens still is (HealthApp's `ts|component|pid|message`)
    line = "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579"
    assert parse_line(line).signature == ("onStandStepChanged", WILDCARD)


# ---------------------------------------------------------------- punctuation glued to a value


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("latency <1 ms", "latency <*> ms"),
        ("latency (<1 ms)", "latency (<*> ms)"),
        ("retries >=5", "retries <*>"),
        ("retries <=12", "retries <*>"),
        ("took ~3ms", "took <*>"),
        ("issue #1 closed", "issue <*> closed"),
        ("charged $4", "charged <*>"),
        ("queue (12) pending", "queue (<*>) pending"),
    ],
)
def test_a_comparison_or_marker_is_part_of_its_value(message, masked) -> None:
    assert signature(message) == masked


def test_one_event_with_or_without_a_comparison() -> None:
    same_signature("latency <1 ms", "latency 3 ms", "latency ~250 ms")
    same_signature("retries >=5", "retries 5", "retries 17")


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("code <12> bracketed", "code <<*>> bracketed"),  # `<...>` closed: a bracket, kept
        # closed before the token's last punctuation: a bracket too, whatever the value starts
        # with (a mail's id: `msgid=<2024...@host>:` as `msgid=<CAB...@host>:`)
        ("code <12>: bracketed", "code <<*>>: bracketed"),
        ("msgid=<20240319064153.7D0B5501FD@mx1.example.com>: saved", "msgid=<<*>>: saved"),
        ("msgid=<CABzCw+Ryw7v9B72PEQsvxp2eGwh3JoE@mx.example.org>: saved", "msgid=<<*>>: saved"),
        ("latency <1, then 3", "latency <*>, then <*>"),  # a comparison: nothing closes it
        ("headroom=<memory:0, vCores:12>", "headroom=<memory:<*>, vCores:<*>>"),
        ("List<String> <unknown> ~user #tag", "List<String> <unknown> ~user #tag"),
        ("C1 alt0 x>=y", "C1 alt0 x>=y"),
    ],
)
def test_brackets_and_marked_words_are_kept(message, masked) -> None:
    assert signature(message) == masked


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("items () pending", "items (<*>) pending"),
        ("peers [], rejected {}", "peers [<*>], rejected {<*>}"),
    ],
)
def test_an_empty_list_masks_as_a_full_one(message, masked) -> None:
    assert signature(message) == masked


def test_an_empty_list_is_one_event_with_a_single_value() -> None:
    same_signature("items () pending", "items (12) pending", "items (0x1f) pending")
    assert signature("called close()") == "called close()"  # a call, not a list


# ---------------------------------------------------------------- host:port, user@host


@pytest.mark.parametrize(
    "token",
    [
        "db01.internal:5432",
        "redis-master:6379",
        "cache-2:11211",
        "api.example.com:443",
        "MSRA-SA-39.corp.example.com:8041",
    ],
)
def test_host_and_port_is_one_variable(token) -> None:
    parsed = parse_line(f"connect to {token} failed")
    assert " ".join(parsed.signature) == "connect to <*> failed"
    assert parsed.values == (("host", token),)


def test_one_event_whatever_its_host() -> None:
    same_signature("connect to redis-master:6379 failed", "connect to db01.internal:5432 failed")


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("status:ok Maps:10", "status:ok Maps:<*>"),  # word keys stay
        ("bound localhost:8080", "bound localhost:<*>"),
        ("at Main.java:42", "at Main.java:<*>"),  # a source file and line
        ("at worker.py:1207", "at worker.py:<*>"),
        ("Content-Length:1234", "Content-Length:<*>"),  # an HTTP header name
        ("retry-count:3", "retry-count:<*>"),  # one digit: not a port
        ("at 12:30", "at <*>"),  # a time, not a host
    ],
)
def test_a_key_that_is_not_a_host_stays(message, masked) -> None:
    assert signature(message) == masked


def test_an_ip_and_port_is_still_an_ip() -> None:
    assert parse_line("from 10.0.0.5:22").values == (("ip", "10.0.0.5:22"),)


@pytest.mark.parametrize(
    "token", ["root@web-3", "alice@example.com", "svc@10.0.0.1", "deploy@ci", "bob.smith@mail.org"]
)
def test_user_at_host_is_a_variable(token) -> None:
    parsed = parse_line(f"login by {token} accepted")
    assert " ".join(parsed.signature) == "login by <*> accepted"
    assert parsed.values == (("user", token),)


def test_user_at_host_after_a_key_is_a_value() -> None:
    assert signature("owner=alice@example.com") == "owner=<*>"


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        # a key before a URL stays, whatever the URL holds, digits or none, quoted or not
        ('redirect_uri="https://evil.example.org/cb"', 'redirect_uri="<*>"'),
        ('redirect_uri="https://git.example.com/u/1234/cb", x=1', 'redirect_uri="<*>", x=<*>'),
        ("url=http://a.example.com/b done", "url=<*> done"),
        # a URL's own `scheme:` and the `=` of its query are no key
        ("GET http://a.example.com/b?x=1 done", "GET <*> done"),
        ("fetch https://a.example.com:8443/b", "fetch <*>"),
    ],
)
def test_a_url_after_a_key_is_that_field_s_value(message, masked) -> None:
    assert signature(message) == masked


@pytest.mark.parametrize(
    ("message", "masked", "value"),
    [
        (
            "Starting nginx.service - A web server...",
            "Starting <*> - A web server...",
            "nginx.service",
        ),
        (
            "certbot.service: Deactivated successfully.",
            "<*>: Deactivated successfully.",
            "certbot.service",
        ),
        (
            "Started user@1002.service - User Manager",
            "Started <*> - User Manager",
            "user@1002.service",
        ),
        (
            "Reached target basic.target - Basic System.",
            "Reached target <*> - Basic System.",
            "basic.target",
        ),
        ("Started apt-daily.timer - Daily apt", "Started <*> - Daily apt", "apt-daily.timer"),
        (
            "session-213.scope: Consumed 4.5s CPU time.",
            "<*>: Consumed <*> CPU time.",
            "session-213.scope",
        ),
        (
            "NetworkManager.service: Succeeded.",
            "<*>: Succeeded.",
            "NetworkManager.service",
        ),
        (
            "Started dbus-org.freedesktop.resolve1.service now",
            "Started <*> now",
            "dbus-org.freedesktop.resolve1.service",
        ),
        # code is no unit: a package or a logger, a class's method
        ("at javax.servlet.http.HttpServlet.service(HttpServlet.java:764)", None, None),
        ("logger c.e.orders.service said", "logger c.e.orders.service said", None),
        ("Servlet.service() for servlet", "Servlet.service() for servlet", None),
    ],
)
def test_a_systemd_unit_is_a_value(message, masked, value) -> None:
    parsed = parse_line(message)
    if masked is not None:
        assert " ".join(parsed.signature) == masked
    assert [v for kind, v in parsed.values if kind == "unit"] == ([value] if value else [])


@pytest.mark.parametrize(
    ("message", "masked", "value"),
    [
        # a bracket the value holds the partner of is the value's, at either end
        ("listening on [::1]:443 now", "listening on <*> now", ("ip", "[::1]:443")),
        ("from [2001:db8::1]:5432 ok", "from <*> ok", ("ip", "[2001:db8::1]:5432")),
        ("proc sshd[123]: exited", "proc <*>: exited", ("id", "sshd[123]")),
        ("item [build-07:svc[a,b]] gone", "item [<*>] gone", ("id", "build-07:svc[a,b]")),
        ("range (min(-5), max(77)] ok", "range (<*>, <*>] ok", ("id", "max(77)")),
        # brackets around a whole value are an aside's or a list's: they stay outside it
        ("got (10.0.0.1:80) x", "got (<*>) x", ("ip", "10.0.0.1:80")),
        ("peers [10.0.0.7] x", "peers [<*>] x", ("ip", "10.0.0.7")),
    ],
)
def test_a_value_keeps_the_brackets_it_opens_or_closes(message, masked, value) -> None:
    parsed = parse_line(message)
    assert " ".join(parsed.signature) == masked
    assert parsed.values[-1] == value


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("annotated @Override here", "annotated @Override here"),
        ("at sign @ alone", "at sign @ alone"),
        ("version pkg@", "version pkg@"),
    ],
)
def test_what_is_not_user_at_host_stays(message, masked) -> None:
    assert signature(message) == masked


def test_an_object_hash_is_an_id_not_a_user() -> None:
    parsed = parse_line("lock java.lang.Object@1b6d3586 held")
    assert " ".join(parsed.signature) == "lock <*> held"
    assert parsed.values == (("id", "java.lang.Object@1b6d3586"),)


# ---------------------------------------------------------------- header shapes


_TS_INFO = ("2026-12-06 10:00:00,123", "info")
HEADERS = [
    # (line, message, timestamp, severity)
    (  # log4j's bracketed fields side by side, the level padded (Elasticsearch's server log)
        "[2024-05-02T10:11:12,345][WARN ][o.e.c.r.a.DiskThresholdMonitor] [node-a] low disk",
        "[node-a] low disk",
        "2024-05-02T10:11:12,345",
        "warning",
    ),
    (
        "[2024-05-02T10:11:12,345][ERROR][o.e.b.ElasticsearchUncaughtExceptionHandler] fatal",
        "fatal",
        "2024-05-02T10:11:12,345",
        "error",
    ),
    (  # a bracketed month-day and time, a program, a separator
        "[11.02 08:15:22] backupd.exe - volume snapshot created",
        "volume snapshot created",
        "11.02 08:15:22",
        None,
    ),
    (  # the same with a marker between program and separator
        "[11.02 08:15:22] backupd.exe *32 - volume snapshot created",
        "volume snapshot created",
        "11.02 08:15:22",
        None,
    ),
    (  # a bracketed month/day
        "[3/7 23:01:09] agent - heartbeat sent",
        "heartbeat sent",
        "3/7 23:01:09",
        None,
    ),
    (  # Android logcat's threadtime format: level letter, tag and colon
        "07-21 09:30:01.123  4242  4250 I PowerManager: wake lock acquired",
        "wake lock acquired",
        "07-21 09:30:01.123",
        "info",
    ),
    (
        "07-21 09:30:01.123  4242  4250 E AudioFlinger: buffer underrun",
        "buffer underrun",
        "07-21 09:30:01.123",
        "error",
    ),
    (  # a logcat tag padded before its colon
        "12-01 00:00:00.000  100  101 W chatty  : uid=1000 expire 3 lines",
        "uid=1000 expire 3 lines",
        "12-01 00:00:00.000",
        "warning",
    ),
    (  # a syslog tag with a module in parentheses
        "Mar 3 04:05:06 gate7 crond(pam_unix)[811]: session closed for user root",
        "session closed for user root",
        "Mar 3 04:05:06",
        None,
    ),
    (
        "Oct 30 23:59:59 gate7 login(pam_unix): check pass; user unknown",
        "check pass; user unknown",
        "Oct 30 23:59:59",
        None,
    ),
    (  # a syslog tag with a version after the program
        "Feb 9 10:00:00 box-1 updater/2.14.0[77]: checking feeds",
        "checking feeds",
        "Feb 9 10:00:00",
        None,
    ),
    (  # MySQL 8's error log: `[Note]` is its notice level
        "2026-12-06T10:01:38.969544Z 533 [Note] [MY-010914] [Server] Aborted connection 533",
        "[Server] Aborted connection 533",
        "2026-12-06T10:01:38.969544Z",
        "notice",
    ),
    (  # Ruby's Logger with no program name: `-- :`, both separators the header's
        "I, [2026-12-06T10:00:01.063383 #2148]  INFO -- : [a1b2] Started GET",
        "[a1b2] Started GET",
        "2026-12-06T10:00:01.063383 #2148",
        "info",
    ),
    # two separators of another kind after a level: the second opens the message
    ("2026-12-06 10:00:00,123 - app - INFO - -> sent ping", "-> sent ping", *_TS_INFO),
    ("2026-12-06 10:00:00,123 INFO - - item one", "- item one", *_TS_INFO),
    ("2026-12-06 10:00:00,123 INFO : :: separator", ":: separator", *_TS_INFO),
    ("2026-12-06 10:00:00,123 INFO -- -- section", "-- section", *_TS_INFO),
    ("2026-12-06 10:00:00,123 INFO [main] * * step", "* step", *_TS_INFO),
]


@pytest.mark.parametrize(("line", "message", "timestamp", "severity"), HEADERS)
def test_header_shapes_are_stripped(line, message, timestamp, severity) -> None:
    parsed = parse_line(line)
    assert (parsed.message, parsed.timestamp, parsed.severity) == (message, timestamp, severity)
    assert parsed.header


@pytest.mark.parametrize(
    "line",
    [
        "3.14 seconds elapsed",  # a number first is not a month-day
        "10-20 items were dropped",  # a month-day-like range without a time after it
        "I think the disk is full",  # a capital I is not a level without a time and pids
        "A new connection from client",
    ],
)
def test_prose_is_not_taken_for_a_header(line) -> None:
    parsed = parse_line(line)
    assert parsed.message == line
    assert not parsed.header


# ---------------------------------------------------------------- caches


def test_the_new_rules_give_the_same_result_with_and_without_caches() -> None:
    lines = (
        [message for message, _ in _MASKED_LINES]
        + [case[0] for case in HEADERS]
        + [
            "cert valid until May 5 2030",
            "cert valid until March 9 2031",
            "May not be null",
            "March not be null",
            "connect to redis-master:6379 failed",
            "connect to redis_master:6379 failed",
            "connect to Maps:6379 failed",
            "statement: SELECT a FROM b",
            "statement: UPDATE a SET b",
            "statement: UPDATE a now b",
            "statement: select a from b",
            "x { a: { b: 1 } } y",
            "x { a: 1 y",
            "x locks:{ a: 1 }, y",
        ]
    )
    logparse.clear_caches()
    warm = [parse_line(line) for line in lines * 2]
    cold = []
    for line in lines * 2:
        logparse.clear_caches()
        cold.append(parse_line(line))
    assert warm == cold


_MASKED_LINES = [
    ("latency <1 ms", None),
    ("latency (<1 ms)", None),
    ("retries >=5", None),
    ("items () pending", None),
    ("login by root@web-3 accepted", None),
    ("next run Mon Jun 13 2022 10:14:02", None),
    ("flags dirty=true", None),
]


def test_a_masked_token_never_holds_a_digit() -> None:
    # what a shape's cache entry holds must hold for every token of that shape
    for token in ("<1", ">=5", "~3ms", "db01.internal:5432", "svc@10.0.0.1", "()", "x>=5"):
        masked = logparse.token_info(token).masked
        assert masked is not None and not any(c.isdigit() for c in masked), token
        assert WILDCARD in masked


# ---------------------------------------------------------------- learned header shapes


def _made_up(count: int) -> list[str]:
    """A format no rule knows: a date-time joined by `-`, a host without digits, a program with
    its version, a priority and a pipe before the message."""
    hosts = ["web", "db", "cache", "queue", "edge", "auth", "search"]
    messages = ["connection to store refused", "cache warmed in {n} ms", "user login ok"]
    return [
        f"2024/01/02-10:11:{i % 60:02d}.{i % 1000:03d} {hosts[i % 7]} app(v1.2) <3> | "
        + messages[i % 3].format(n=i)
        for i in range(count)
    ]


def test_a_header_no_rule_knows_is_learned_from_the_first_lines() -> None:
    lines = _made_up(60)
    assert not parse_line(lines[0]).header  # the grammar alone does not read it
    shape = logparse.learn_header(lines)
    assert shape is not None and len(shape.kinds) == 5
    parsed = logparse.parse_with(lines[4], shape)
    assert parsed.header and parsed.timestamp == "2024/01/02-10:11:04.004"
    assert " ".join(parsed.signature) == f"cache warmed in {WILDCARD} ms"
    # a line of another shape in the same source is parsed as before
    other = "a line with no header at all"
    assert logparse.parse_with(other, shape) == parse_line(other)


def test_no_header_is_learned_where_the_grammar_reads_it_or_none_is_there() -> None:
    known = [
        f"2026-01-01 00:00:{i % 60:02d},000 INFO [main] app.Server: ready {i}" for i in range(40)
    ]
    assert logparse.learn_header(known) is None  # the grammar's own
    prose = [f"user {name} logged in from the lobby" for name in ["ann", "bo", "cy", "di"] * 10]
    assert logparse.learn_header(prose) is None  # constant first words, but no time: a message
    assert logparse.learn_header(_made_up(5)) is None  # too few lines to tell
    # fields that end with a delimiter in too few lines are not a header
    mixed = [f"10:11:{i % 60:02d} step{':' if i % 3 == 0 else ''} moved {i}" for i in range(40)]
    assert logparse.learn_header(mixed) is None


def test_a_header_is_learned_unless_the_grammar_reads_half_the_lines_or_more() -> None:
    known = [
        f"2026-01-01 00:00:{i % 60:02d},000 INFO [main] app.Server: ready {i}" for i in range(60)
    ]
    # (under a tenth of lines of another shape leaves the made-up one learnable)
    for share in (0, 3, 6, 30, 31, 59):  # of 60 lines, in every order
        for order in ("first", "last", "spread"):
            lines = _made_up(60 - share)
            if order == "first":
                lines = known[:share] + lines
            elif order == "last":
                lines += known[:share]
            else:
                for k in range(share):
                    lines.insert(k * 2, known[k])
            parses: dict[str, logparse.Fields] = {}
            shape = logparse.learn_header(lines, parses=parses)
            assert (shape is None) == (share >= 30), (share, order)
            # each parse kept is the grammar's, for the caller to reuse
            assert all(parses[line] == logparse.parse_fields(line) for line in parses)


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        ("table 'users' not found", "table '<*>' not found"),
        ('region "eu-west" is draining', 'region "<*>" is draining'),
        ("unknown flag `verbose`,", "unknown flag `<*>`,"),
        ("service 'api' stopped.", "service '<*>' stopped."),
        # the value of a key, quoted: klog's structured fields
        ('"Probe failed" probeType="Liveness" x', '"Probe failed" probeType="<*>" x'),
        ("step name='build'; done", "step name='<*>'; done"),
        ("stats pci_stats=[] end", "stats pci_stats=[<*>] end"),  # an empty list, as `[]` alone
        # quoted whole, though the value opens or ends in a bracket or a quote's punctuation
        ('item "vm.memory.size[available]" on host', 'item "<*>" on host'),
        ('item "net.if.in[eth0]": failed', 'item "<*>": failed'),
        ("addresses are `[10.0.0.1:7800]`.", "addresses are `<*>`."),
        ('SRCH filter="(objectClass=*)" attrs', 'SRCH filter="<*>" attrs'),
        ('listening on address "::", port 1', 'listening on address "<*>", port <*>'),
        ("call ('f(x)', 2)", "call ('<*>', <*>)"),
        # a value of punctuation alone, an opening bracket as a closing one
        ("expected ')' but found '('", "expected '<*>' but found '<*>'"),
        ('got "{" or "}", "<" or ">"', 'got "<*>" or "<*>", "<*>" or "<*>"'),
        ("got '[(', wanted ')]',", "got '<*>', wanted '<*>',"),
        ("quote '\"' or \"'\"", "quote '<*>' or \"<*>\""),
    ],
)
def test_a_quoted_word_is_a_value(message: str, masked: str) -> None:
    assert signature(message) == masked


@pytest.mark.parametrize(
    "message",
    [
        "don't retry the job",
        "the 'quoted phrase' stays",
        "it's 'half",
        "a '' pair",
        "an '(aside) here",  # a quote that opens no value closed in the token
        "the (users') rows",
        "b ('') c",  # an empty pair, in brackets
    ],
)
def test_apostrophes_and_unbalanced_quotes_are_words(message: str) -> None:
    assert WILDCARD not in signature(message)


# ---------------------------------------------------------------- order independence

# Pairs of lines whose tokens share a cached shape (digits read as 0, or hex digits read alike)
# but not a classification: each must parse as it does alone, whichever came first.
_SIBLINGS = [
    ("x abc=12345678 y", "x a1c=12345678 y"),  # a key without digits stays, one with is an id
    ("x 0xabcdef12 y", "x 1xabcdef12 y"),  # `0x` is a hex prefix, `1x` is not
    ("2024-01-01 10:00:00 [DEBUG1] y z", "2024-01-01 10:00:00 [DEBUG7] y z"),  # a level or not
    ("2024-01-01 10:00:00 DEBUG1 y z", "2024-01-01 10:00:00 DEBUG7 y z"),
    ("x ab-cdef12bc y", "x ab-cdef1abc y"),  # two digits make an id, one does not
    ("x 123456789012345e6 y", "x 123456789012345a6 y"),  # a number with an exponent, a hash
    ("x svc@1abcdef0 y", "x svc@abcdef01 y"),  # a hash, a user at a host
    ("x <1abcdef0 y", "x <abcdef01 y"),  # a comparison, a bracket
    ("x abcdef12: y", "x 1bcdef12: y"),
    (
        "x req-3f0a1b2c-aaaa-4bbb-8ccc-0123456789ab y",
        "x req-3f0a1b2c-aaaa-4bbb-8ccc-01234567890b y",
    ),
    # UUIDs, keyed by a canonical UUID when they have two digits and a letter before the third
    # dash, with their first character's class: each pair must still read apart
    (
        "x svc@3f0a1b2c-aaaa-4bbb-8ccc-0123456789ab y",
        "x svc@af0a1b2c-aaaa-4bbb-8ccc-0123456789ab y",
    ),
    ("x <3f0a1b2c-aaaa-4bbb-8ccc-0123456789ab y", "x <af0a1b2c-aaaa-4bbb-8ccc-0123456789ab y"),
    ("x a.3f0a1b2c-aaaa-4bbb-8ccc-0123456789ab y", "x a.af0a1b2c-aaaa-4bbb-8ccc-0123456789ab y"),
    ("x 12345678-1234-1234-123e-123456789012 y", "x 1234567a-1234-1234-123e-123456789012 y"),
    ("x #12345678-1234-1234-123e-123456789012 y", "x #1234567a-1234-1234-123e-123456789012 y"),
    ("x abcdefab-abcd-abcd-abcd-abcdefabcde1 y", "x abcdefab-abcd-abcd-abcd-abcdefabcd12 y"),
    ("x Abcdefab-Abcd-Dcba-Ebcd-Fbcdefabcdea:80 y", "x Abcdefab-Abcd-Dcba-Ebcd-Fbcdefabcd1a:80 y"),
    ("x k:abcdefab-abcd-abcd-abcd-abcdefabcdef y", "x k:abcdefab-abcd-abcd-abcd-abcdefabcd0f y"),
]


@pytest.mark.parametrize(("first", "second"), _SIBLINGS)
def test_a_parse_does_not_depend_on_the_lines_before(first: str, second: str) -> None:
    logparse.clear_caches()
    alone_first = parse_line(first)
    after_first = parse_line(second)
    logparse.clear_caches()
    alone_second = parse_line(second)
    after_second = parse_line(first)
    assert alone_first == after_second
    assert alone_second == after_first


def _variants(template: str, rng: random.Random, count: int) -> list[str]:
    """Lines of `template` with each digit replaced by a random digit and each hex letter by a
    random hex letter or digit: siblings under every cache key a parse may use."""
    lines = []
    for _ in range(count):
        chars = []
        for c in template:
            if c.isdigit():
                chars.append(rng.choice("0123456789"))
            elif c in "abcdef":
                chars.append(rng.choice("abcdef0123456789"))
            elif c in "ABCDEF":
                chars.append(rng.choice("ABCDEF0123456789"))
            else:
                chars.append(c)
        lines.append("".join(chars))
    return lines


_TEMPLATES = [
    "x abc=12345678 y",
    "2024-01-01 10:00:00 INFO req 0x1f2e3d4c id deadbeef01 took 12 ms",
    "2024-01-01 10:00:00 [debug1] uuid 3f0a1b2c-aaaa-4bbb-8ccc-0123456789ab key=ab12cd34ef",
    "blk_-1608999687919862906 from /10.250.19.102:54106 a1b2c3d4e5: <1abcdef0 svc@ab12cd34",
    "instance: 78dc1847-8848-49cc-933e-9239b12c9dcf] 123456789012345e6 ab-cdef12bc 0Xab12cd34",
    "2017-05-16 00:00:00.008 25746 INFO nova.api [req-38101a0b-2096-447d-96ea-a692162415ae "
    "113d3a99c3da401fbd62cc2caa5b96d2 - - -] GET /v2/54fadb41/servers/7e7cc42f-3cb9-4d91-804c-"
    "f5d4e0b6a1c2 svc@3f0a1b2c-aaaa-4bbb-8ccc-0123456789ab <1234567a-1234-1234-123e-123456789012",
    "x #12345678-1234-1234-123e-123456789012 k:abcdefab-abcd-abcd-abcd-abcdefabcd0f a.b0c1d2e3-"
    "f4a5-b6c7-d8e9-f0a1b2c3d4e5:8080 [Abcdefab-Abcd-Dcba-Ebcd-Fbcdefabcd1a]",
]


def test_parses_of_sibling_lines_do_not_depend_on_their_order() -> None:
    rng = random.Random(7)
    lines = [line for template in _TEMPLATES for line in _variants(template, rng, 60)]
    logparse.clear_caches()
    alone = []
    for line in lines:
        logparse.clear_caches()
        alone.append(parse_line(line))
    for seed in range(3):
        order = list(range(len(lines)))
        random.Random(seed).shuffle(order)
        logparse.clear_caches()
        parsed = {i: parse_line(lines[i]) for i in order}
        assert [parsed[i] for i in range(len(lines))] == alone


def test_messages_after_a_header_read_apart_parse_alike_whatever_the_caches() -> None:
    """A learned header's messages and RFC 5424's are planned and cached apart from whole lines:
    a message parses as it would on fresh caches, in any order, and the same text as a whole
    line (where the grammar finds its header) keeps its own parse."""
    rng = random.Random(11)
    messages = [line for template in _TEMPLATES for line in _variants(template, rng, 30)]
    header = _made_up(len(messages))
    learned = [f"{h.split(' | ')[0]} | {m}" for h, m in zip(header, messages, strict=True)]
    shape = logparse.learn_header(learned)
    assert shape is not None
    syslog = [f"<34>1 2024-01-01T10:00:00Z web7 app 42 ID47 - {m}" for m in messages]

    def parse(i: int) -> tuple[logparse.Parsed, ...]:
        return (
            logparse.parse_with(learned[i], shape),
            parse_line(syslog[i]),
            parse_line(messages[i]),
        )

    alone = []
    for i in range(len(messages)):
        logparse.clear_caches()
        alone.append(parse(i))
    assert any(a[0][4] != a[2][4] for a in alone)  # some whole lines read a header of their own
    for seed in range(3):
        order = list(range(len(messages)))
        random.Random(seed).shuffle(order)
        logparse.clear_caches()
        parsed = {i: parse(i) for i in order}
        assert [parsed[i] for i in range(len(messages))] == alone


def test_a_canonical_uuid_classifies_as_the_token_it_replaces() -> None:
    rng = random.Random(11)
    hexes = ("0123456789", "abcdef", "0123456789abcdef", "0123456789ABCDEF", "0123456789eE")
    around = [
        "",
        "x",
        "req-",
        "[",
        "]",
        "<",
        "#",
        "svc@",
        "a.",
        "k:",
        "k=",
        ":8080",
        "/v2/",
        "-",
        "1",
    ]
    replaced = 0
    for _ in range(3000):
        uuid = "-".join(
            "".join(rng.choice(rng.choice(hexes)) for _ in range(n)) for n in (8, 4, 4, 4, 12)
        )
        token = rng.choice(around) + uuid + rng.choice(around)
        canonical = logparse._canonical_ids(token, logparse.shape_of(token))
        if canonical is not None:
            replaced += 1
            assert logparse._classify(canonical) == logparse._classify(token), token
    assert replaced > 1000


def _marked_by_regex(encoded: bytes) -> bytes:
    """The marked shape, read plainly: each digit 1-9 before `x`/`X` or after `g`/`G` is 1, or
    2 when it is 1 to 5 after a g; every other digit is 0."""
    marked = bytearray(encoded.translate(logparse._ZERO))
    for m in re.finditer(rb"[1-9](?=[xX])|(?<=[gG])[1-9]", encoded):
        at = m.start()
        after_g = at > 0 and encoded[at - 1] in b"gG"
        marked[at] = 0x32 if after_g and encoded[at] <= 0x35 else 0x31
    return bytes(marked)


def test_a_marked_shape_keeps_exactly_the_digits_a_rule_reads() -> None:
    rng = random.Random(3)
    alphabet = "0123456789xXgGa -"
    changed = 0
    for _ in range(5000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 30))).encode()
        shape = text.translate(logparse._ZERO)
        marked = logparse._marked(text, shape)
        assert marked == _marked_by_regex(text), text
        changed += marked != shape
    assert changed > 1000
    assert logparse.marked_shape_of("g9 0x1f 3x debug2 g0 G5x") == "g1 0x0f 1x debug2 g0 G2x"


def test_lines_of_one_shape_whose_literal_digits_differ_each_read_as_they_would_alone() -> None:
    """Lines of one shape whose `0x`/`g0` digits differ (`0x1f` a hex value, `5x1f` not;
    `debug2` a level, `debug7` not) take turns in a log; a plan is kept for each marked shape,
    and none is read with another's."""
    rng = random.Random(11)
    lines = []
    for _ in range(400):
        hex_digit, level_digit = rng.choice("0123456789"), rng.choice("1234567")
        lines.append(
            f"2026-12-06 10:00:{rng.randint(10, 59)} debug{level_digit} session "
            f"{hex_digit}x{rng.randint(10, 99)}f{rng.randint(100, 999)} g{rng.randint(0, 9)} "
            f"closed after {rng.randint(10, 99)} ms"
        )
    logparse.clear_caches()
    warm = [parse_line(line) for line in lines]  # each kept plan read by the lines after
    cold = []
    for line in lines:
        logparse.clear_caches()
        cold.append(parse_line(line))
    assert warm == cold
    assert len({parsed.signature for parsed in cold}) > 2  # the variants do read apart


def _uuid_spots_by_regex(shape: bytes) -> list[tuple[int, bytes]]:
    """The UUIDs `_uuid_spots` must find, read plainly: every 8-4-4-4-12 run of hex-shaped
    characters, left to right, not overlapping one taken, taken when it has two digits or more
    and a letter before its third dash."""
    spots: list[tuple[int, bytes]] = []
    at = 0
    for m in re.finditer(
        rb"(?=([0a-fA-F]{8}-[0a-fA-F]{4}-[0a-fA-F]{4}-[0a-fA-F]{4}-[0a-fA-F]{12}))", shape
    ):
        a = m.start()
        piece = m.group(1)
        if a >= at and piece.count(b"0") >= 2 and piece[:18].strip(b"0-"):
            spots.append((a, b"0a000000" if piece[0] == 0x30 else b"a0000000"))
            at = a + 36
    return [(a, canonical[:8]) for a, canonical in spots]


def test_the_uuids_of_a_shape_are_every_run_that_reads_alike_left_to_right() -> None:
    # text dense in near-UUIDs: runs that overlap, all-digit pieces passed over, a UUID in the
    # last eight characters of one passed over, hex letters and other letters beside each other
    rng = random.Random(5)

    def hexes(n: int) -> str:
        alphabet = rng.choice(("0", "0a", "0F", "a"))  # all-digit runs are common, and passed over
        return "".join(rng.choice(alphabet) for _ in range(n))

    def part() -> str:
        roll = rng.random()
        if roll < 0.4:
            return "-".join(hexes(n) for n in (8, 4, 4, 4, 12))  # a UUID's shape
        if roll < 0.8:
            return hexes(rng.choice((4, 8, 12)))
        return rng.choice(("-", "x", " ", "G"))

    found = 0
    for _ in range(4000):
        shape = "".join(part() for _ in range(rng.randrange(1, 12))).encode()
        hexed = shape.translate(logparse._HEXED)
        spots = logparse._uuid_spots(shape, hexed, hexed.find(logparse._UUID_HEXED))
        assert [(a, c[:8]) for a, c in spots] == _uuid_spots_by_regex(shape), shape
        found += len(spots)
    assert found > 500
    # the one passed over (no letter before its third dash) hides no UUID in its last eight
    shape = b"00000000-0000-0000-0000-0000" + b"0a0b0c0d-0a0b-0c0d-0e0f-0a0b0c0d0e0f"
    hexed = shape.translate(logparse._HEXED)
    assert logparse._uuid_spots(shape, hexed, hexed.find(logparse._UUID_HEXED)) == [
        (28, b"0a000000-0000-0000-0000-000000000000")
    ]


def _hex_run(
    rng: random.Random, length: int, ends: str, letters: str, *, least: int, share: float = 0.5
) -> str:
    """A run of hex digits of `length` with `ends` (two characters) at its ends, a digit or more
    and `least` letters or more (of `letters`, each character one with odds `share`), placed at
    random."""
    while True:
        middle = [
            rng.choice(letters) if rng.random() < share else rng.choice("0123456789")
            for _ in range(length - 2)
        ]
        run = ends[0] + "".join(middle) + ends[1]
        digits = sum(map(str.isdigit, run))
        if digits and length - digits >= least:
            return run


def _key(token: str) -> str:
    """What `token_info` keys a hexy token's classification by: its id shape, of its marked
    shape where its shape is sensitive."""
    shape = logparse.shape_of(token)
    return logparse.id_shape_of(
        logparse.marked_shape_of(token) if logparse._sensitive(shape) else shape
    )


def _collapsed_as_text(run: str) -> str:
    """`logparse._collapsed` as it was written on text, with a regex sub over the shape: the
    oracle for its bytes form."""
    collapsed = run.translate(str.maketrans("abcdefABCDEF", "aaaaaaAAAAAA"))
    lower, upper = collapsed.count("a"), collapsed.count("A")
    letters = lower + upper
    if letters == len(run):
        return run
    if (
        len(run) - letters >= 2
        and not (lower and upper)
        and (letters >= 4 or re.search(r"[a-dfA-DF][0-9a-fA-F]*[0-9]", run) is not None)
    ):
        return f"{collapsed[0]}00{('a' if lower else 'A') * (len(run) - 4)}{collapsed[-1]}"
    return run.translate(str.maketrans("abcdfABCDF", "aaaaaAAAAA"))


def test_id_shape_of_collapses_exactly_the_runs_of_eight_hex_digits_or_more() -> None:
    """`id_shape_of` finds its runs without a regex, in the shape's UTF-8 bytes: the same runs
    as `_LONG_HEX` finds in the text, each read as the text rule reads it, in dense shapes
    (marked digits 1 and 2, runs of every length side by side, non-ASCII digits and letters,
    which are no hex digits, a lone surrogate)."""
    rng = random.Random(31)
    alphabet = ["0"] * 5 + list("12abcdefABCDEFgxX-:. é٣") + ["\udce9"]
    collapsed = 0
    for _ in range(20000):
        shape = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 70)))
        expected = logparse._LONG_HEX.sub(lambda m: _collapsed_as_text(m.group()), shape)
        assert logparse.id_shape_of(shape) == expected, shape
        collapsed += expected != shape
    assert collapsed > 5000


def test_tokens_of_one_id_shape_classify_alike_in_any_setting() -> None:
    # `id_shape_of`'s canonical runs: two tokens whose long hex runs differ but for their first
    # and last characters (their e/E read as a/A), in settings where rules read characters:
    # starts, ends, separators, keys, paths, hosts, users, quotes, 0x, g, exponents, units
    rng = random.Random(17)
    before = ["", "0x", "g", "<", "#", "@", ".", "-", "_", "/", "=", ":", "key=", "id:", '"', "[",
              "(", "x.", "user@", "http://h/", "/var/", "a.b.", "+", "~", "sha256:", 'k="',
              '{"ID":"', "blk_", "1", "12-", "v", "E", "e", "2024-01-01T"]  # fmt: skip
    after = ["", "x", "X", "g", ">", ".", "-", "_", "/", ":", ":8080", '"', "]", ")", ",", ".c",
             ".java", "e5", "E", "ms", "KB", "%", "-12", "@h", "=v", '"}', "]:", "9", "ab",
             ".log", "T10:00:00Z"]  # fmt: skip
    compared = 0
    for _ in range(6000):
        case = rng.choice(("abcdef", "ABCDEF"))
        length = rng.choice((8, 9, 12, 16, 32, 40, 64))
        ends = "".join(rng.choice((rng.choice("0123456789"), rng.choice(case))) for _ in range(2))
        # few letters too: a lone e among digits reads as an exponent, so is not canonical
        share = rng.choice((0.02, 0.1, 0.5, 0.5))
        least = rng.choice((1, 2, 3, 4, 4, 6)) if share == 0.5 else 1
        letters = rng.choice((case, case, case[4]))  # e or E alone
        run = _hex_run(rng, length, ends, letters, least=least, share=share)
        swap = str.maketrans("aeAE", "eaEA")  # an end's e read as a: either may stand there
        if rng.random() < 0.5:  # other ends: compared only if the id shapes say they read alike
            ends = "".join(rng.choice((rng.choice("0123456789"), rng.choice(case))) for _ in "ab")
        other = _hex_run(
            rng, length, ends.translate(swap), rng.choice((case, letters)), least=1, share=share
        )
        head, tail = rng.choice(before), rng.choice(after)
        if rng.random() < 0.2:  # two runs in one token
            middle = rng.choice(["-", "/", ":", "."])
            second = _hex_run(rng, length, "0a", case, least=4)
            token, twin = (
                f"{head}{run}{middle}{second}{tail}",
                f"{head}{other}{middle}{second}{tail}",
            )
        else:
            token, twin = f"{head}{run}{tail}", f"{head}{other}{tail}"
        if _key(token) != _key(twin):
            continue  # a run the canonical form does not cover (two hex runs joined, say)
        compared += 1
        assert logparse._classify(token) == logparse._classify(twin), (token, twin)
        logparse.clear_caches()
        assert logparse.token_info(token) == logparse._classify(token)
        assert logparse.token_info(twin) == logparse._classify(twin), (token, twin)
    assert compared > 2000


def _line_key(line: str) -> bytes | None:
    """What `_parse_text` keys the plan of a line with ids in hex by (`_id_key`)."""
    encoded = line.encode()
    return logparse._id_key(encoded, encoded.translate(logparse._ZERO))


def test_a_lines_id_key_is_its_marked_shape_read_as_id_shape_of_reads_it() -> None:
    # dense text: hex runs of every length beside digits, 0x, g0, dashes, non-ASCII letters
    rng = random.Random(29)
    alphabet = "0123456789abcdefABCDEFxXgG -:é"
    keyed = 0
    for _ in range(5000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
        encoded = line.encode()
        shape = encoded.translate(logparse._ZERO)
        text = logparse._marked(encoded, shape).decode()
        expected = logparse.id_shape_of(text)
        key = logparse._id_key(encoded, shape)
        assert key == (None if expected == text else expected.encode()), line
        keyed += key is not None
    assert keyed > 1000


def test_lines_of_one_id_key_read_as_each_would_alone() -> None:
    """A line with ids in hex is read by the plan of a line with the same id key (its tokens
    classify alike) as it is when nothing is cached: ids in every setting a rule reads (0x, keys,
    quotes, paths, exponents, units), beside UUIDs, numbers, levels and piped lines."""
    rng = random.Random(23)
    heads = ["", "0x", "id=", 'k="', "blk_", "/var/", "sha256:", "(", "#", "user@", "E", "[", "g0"]
    tails = ["", ",", '"', ")", "]:", ".log", "e5", "ms", ":8080", "-12", "X", ".java"]
    words = ["started", "GET /api", "session", "container", "ERROR", "took 12 ms", "| piped"]
    compared = used = 0
    for _ in range(3000):
        case = rng.choice(("abcdef", "ABCDEF"))
        length = rng.choice((8, 12, 16, 32, 64))
        ends = "".join(rng.choice((rng.choice("0123456789"), rng.choice(case))) for _ in "ab")
        share = rng.choice((0.1, 0.5))
        runs = [_hex_run(rng, length, ends, case, least=rng.choice((1, 4)), share=share)]
        runs.append(_hex_run(rng, length, ends, case, least=1, share=share))
        head, tail = rng.choice(heads), rng.choice(tails)
        second = f"{rng.choice(heads)}{_hex_run(rng, 8, 'a0', case, least=1)}{rng.choice(tails)}"
        uuid = f"{_hex_run(rng, 8, '0a', 'abcdef', least=2)}-1a2b-3c4d-5e6f-7a8b9c0d1e2f"
        extra = rng.choice(["", f" {second}", f" req {uuid}", f" at {second} {second}"])
        stamp = f"2026-12-06 10:{rng.randint(10, 59)}:{rng.randint(10, 59)}"
        text = f"{rng.choice(words)} {head}%s{tail}{extra} {rng.choice(words)} {rng.randint(1, 99)}"
        lines = [f"{stamp} {rng.choice(['INFO', 'WARN'])} {text % run}" for run in runs]
        if rng.random() < 0.3:  # a digit a rule reads by its value (`0x`, `g0`) differs
            lines[1] = re.sub(r"0(?=[xX])|(?<=[gG])0", rng.choice("123456789"), lines[1], count=1)
        if _line_key(lines[0]) is None or _line_key(lines[0]) != _line_key(lines[1]):
            continue
        compared += 1
        logparse.clear_caches()
        cold = parse_line(lines[1])
        logparse.clear_caches()
        logparse._classified_lines[0] = logparse.ID_KEYS_AFTER  # as in a long log
        parse_line(lines[0])  # its plan, kept by its id key
        used += bool(logparse._id_plans)
        assert parse_line(lines[1]) == cold, lines
    assert compared > 1000
    assert used > compared // 2


def test_a_line_shape_remembered_without_digits_serves_no_line_with_digits() -> None:
    # `x alt0!` has the shape of `x alt3!` and classifies as `x foo!` does
    logparse.clear_caches()
    alone = parse_line("x alt3!")
    logparse.clear_caches()
    parse_line("x foo!")
    parse_line("x alt0!")
    assert parse_line("x alt3!") == alone


# ---------------------------------------------------------------- logfmt


def test_a_logfmt_line_is_read_as_its_message_time_and_level() -> None:
    parsed = parse_line(
        'time=2026-03-12T06:00:01.755Z level=WARN msg="login failed" user=svc_a '
        'remote=10.0.0.7:5555 reason="bad \\"pw\\"" attempt=2'
    )
    assert parsed.message == "login failed"
    assert (parsed.timestamp, parsed.severity, parsed.header) == (
        "2026-03-12T06:00:01.755Z",
        "warning",
        True,
    )
    # a field's value worth naming is counted as the message's are; the time is not a value
    assert parsed.values == (("ip", "10.0.0.7:5555"),)


def test_a_structured_event_is_its_message_and_whether_it_carries_an_error() -> None:
    # whatever its fields' values, and whichever fields it carries ...
    same_signature(
        'ts=1 level=info msg="request handled" method=GET path=/a status=200',
        'ts=2 level=info msg="request handled" method=POST path="/b c" trace_id=ab12 extra=yes',
    )
    assert (
        signature('ts=1 level=info msg="cache miss for user 42" shard=eu')
        == f"cache miss for user {WILDCARD}"
    )
    # ... but a field that carries an error is part of it: the same message with an `error`
    # field is the failure's statement (JSON and logfmt alike, the keys loggers use for one)
    took = {"level": "warn", "ts": "2024-03-12T09:00:56Z", "msg": "apply took too long"}
    ok = json.dumps({**took, "took": "135ms", "response": "count:0"})
    failed = json.dumps({**took, "took": "691ms", "error": "context deadline exceeded"})
    assert signature(ok) == "apply took too long"
    assert signature(failed) == f"apply took too long error={WILDCARD}"
    assert parse_line(failed).message == "apply took too long"  # the message stays its own
    for key in ("err", "exc_info", "error.message", "errorMessage", "Exception"):
        line = json.dumps({"msg": "sync done", "user": "u", key: "x"})
        assert signature(line) == f"sync done {key}={WILDCARD}", key
    for key in ("terror", "errand", "a b error", "reason"):  # no error's key, or no single token
        assert signature(json.dumps({"msg": "sync done", key: "x"})) == "sync done", key
    assert signature('msg="x" err="y" level=warn') == f"x err={WILDCARD}"
    # clustered: the failures are an event of their own, whatever else varies
    lines = [ok, failed] * 5 + [json.dumps({**took, "took": "1ms", "trace": "t1"})]
    report = analyze_logs(lines)
    assert sorted(c.count for c in report.clusters) == [5, 6]
    assert any(c.template.endswith(f"error={WILDCARD}") for c in report.clusters)


def test_structlog_and_zap_lines_give_their_message_and_time() -> None:
    # structlog writes its message under `event`, read where no other message key is
    line = json.dumps(
        {"event": "user logged in", "user": "bob", "level": "info", "timestamp": "t1"}
    )
    parsed = parse_line(line)
    assert (parsed.message, parsed.severity, parsed.timestamp) == ("user logged in", "info", "t1")
    both = json.dumps({"msg": "served", "event": "login"})
    assert parse_line(both).message == "served"
    # in a line of text, `event=` is a field like any other
    assert signature("audit event=login user=bob") == f"audit event={WILDCARD} user={WILDCARD}"
    # zap's default time is a float of seconds
    zap = json.dumps({"level": "info", "ts": 1710234056.94831, "caller": "a.go:1", "msg": "up"})
    assert (parse_line(zap).timestamp, signature(zap)) == ("1710234056.94831", "up")


def test_a_logfmt_pair_matches_as_the_per_character_pattern_did() -> None:
    # `_LOGFMT_PAIR` reads a quoted value a run at a time; the pattern it replaced tried two
    # branches a character: every match (and every failure) must be the same
    before = re.compile(r'([A-Za-z_][\w.\-/@]*)=("(?:[^"\\]|\\.)*"|(?:[^\s"]*[^\s",;])?)(?:\s+|\Z)')
    rng = random.Random(7)
    alphabet = ["k=", "a", "b", " ", '"', "\\", "=", ",", ";", "x=", "é", "\t"]
    matched = 0
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 16)))
        for at in range(len(text)):
            old, new = before.match(text, at), logparse._LOGFMT_PAIR.match(text, at)
            assert (old and (old.span(), old.groups())) == (new and (new.span(), new.groups()))
            matched += new is not None
    assert matched > 10000


def test_a_token_is_classified_alike_however_the_cache_was_filled() -> None:
    # `token_info` looks a token up as it is before its shape: only shapes (digits read as 0)
    # are keys, so a token found as it is must be its own shape; tokens and their shapes, met
    # in any order, classify as `_classify` says
    rng = random.Random(5)
    words = "grpc 000 0x00 g0 v0.0.0 10.0.0.1 a0b0c0d0e0 12ms 0ms - true 0 1 x=0 x=1 /var/0/ Jan"
    words += " /var/9/ 0:0 23:59 é0 0a000000-0000-0000-0000-000000000000 g1 0x1f"
    for _ in range(300):
        logparse.clear_caches()
        for token in rng.sample(words.split(), len(words.split())):
            assert logparse.token_info(token) == logparse._classify(token), token


def _pairs_one_match_at_a_time(line: str) -> list[tuple[str, str]] | None:
    """The reference `_logfmt_pairs` must agree with: `_LOGFMT_PAIR` matched where the last pair
    ended, to the line's end (a quoted value without its quotes, its escapes read)."""
    pairs = []
    at = 0
    while at < len(line):
        m = logparse._LOGFMT_PAIR.match(line, at)
        if m is None:
            return None
        name, value = m.groups()
        if value[:1] == '"':
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        pairs.append((name, value))
        at = m.end()
    return pairs


@pytest.mark.parametrize(
    "chars",
    [
        # every kind of white space the pattern's `\s` knows, escapes, quotes, list punctuation
        'aZ_1=",;.-/@é\\ \t\n\x85\xa0\u2003\x1f',
        # printable ASCII only: the path that looks for no white space but " "
        'ab1=",;.@\\ ',
    ],
)
def test_logfmt_pairs_are_the_ones_the_pattern_matches_one_after_another(chars) -> None:
    # the pairs are read with string methods (a regex a pair cost about 110 instructions a
    # character): on every generated line, pairs or not, the same answer as the reference
    rng = random.Random(11)
    spaces = [c for c in chars if c.isspace()]

    def text(most: int) -> str:
        return "".join(rng.choice(chars) for _ in range(rng.randrange(0, most)))

    def piece() -> str:  # most often a pair, bare or quoted, sometimes anything
        kind = rng.randrange(4)
        if kind == 0:
            return text(4)
        value = f'"{text(6)}"' if kind == 1 else text(4)
        return rng.choice(["k", "a.b", "_x", "é", "1k", ""]) + "=" + value + rng.choice(spaces)

    read = 0
    for _ in range(40_000):
        line = "".join(piece() for _ in range(rng.randrange(0, 5))).rstrip(rng.choice(["", " "]))
        expected = _pairs_one_match_at_a_time(line)
        assert logparse._logfmt_pairs(line) == expected, repr(line)
        read += bool(expected)
    assert read > 2000  # lines of pairs among them, not only failures


def test_what_a_field_key_is_is_remembered_within_bounds() -> None:
    # a source repeats a few keys: what each is, is kept; a hostile line's long keys are judged
    # each time and never kept, and the cache is emptied when full (memory stays bounded)
    logparse.clear_caches()
    assert logparse._logfmt_key("level") and logparse._error_key("error")
    assert logparse._logfmt_keys == {"level": True} and logparse._error_keys == {"error": True}
    long = "k" * (logparse.SHORT_KEY + 1)
    assert logparse._logfmt_key(long) and long not in logparse._logfmt_keys
    for n in range(logparse.CACHE_LIMIT + 5):
        logparse._logfmt_key(f"k{n}")
    assert len(logparse._logfmt_keys) <= logparse.CACHE_LIMIT
    logparse.clear_caches()
    assert not logparse._logfmt_keys and not logparse._error_keys


def test_a_logfmt_value_of_many_escapes_is_read_whole() -> None:
    # half a million characters of escapes before a far closing quote, or with none: read
    # right within the guard (the quote is looked for once; looking again at each escape is a
    # memchr-fast quadratic, 0.5 s here, which this size cannot tell from linear)
    def work() -> None:
        half = HOSTILE // 2
        for escaped, read in (("\\x", "x"), ('\\"', '"')):
            value = escaped * half
            assert logparse._logfmt_pairs(f'a=1 msg="{value}" b=2') == [
                ("a", "1"),
                ("msg", read * half),
                ("b", "2"),
            ]
            assert logparse._logfmt_pairs(f'a=1 msg="{value}') is None  # never closed
        assert logparse._logfmt_pairs("a=1 " + "k" * HOSTILE) is None  # a key with no `=`

    assert finishes(work)


def test_a_logfmt_line_of_other_white_space_is_read_in_linear_time() -> None:
    # pairs that white space but " " ends (an em space, a tab): the next " " was looked for
    # again from each pair to the line's end, and the value sliced to it, quadratic (22 s on
    # 500,000 characters of `a=1\u2003`: an em space makes the line two bytes a character,
    # where the search for " " stops at each em space's 0x20 byte; on tabs alone a memchr-fast
    # quadratic, 1 s, which no guard can tell from linear)
    def work() -> None:
        for unit in ("a=\u2003", "a=1\t\u2003"):
            count = 4 * HOSTILE // len(unit)
            pairs = logparse._logfmt_pairs(unit * count)
            assert pairs is not None
            assert len(pairs) == count

    assert finishes(work)


def test_a_long_line_that_only_starts_as_logfmt_is_read_as_text() -> None:
    # after its first non-pair the line is text: nothing after it is searched for pairs (a
    # search there once took 30 s on such a 64 KiB line: every later position tried)
    for line in ("a=1 !" + "x" * 64_000, "a=1 ! k=" + "v" * 64_000 + '"'):
        parsed = parse_line(line)
        assert parsed.tokens[0] == "a=1"
        assert logparse._parse_logfmt(line) is None
    unclosed = 'level=info msg=upload payload="' + "QUJD" * 4000
    assert logparse._parse_logfmt(unclosed) is None


def test_logfmt_without_a_message_is_the_shape_of_its_keys() -> None:
    assert signature("user=alice action=login ok=true") == (
        f"user={WILDCARD} action={WILDCARD} ok={WILDCARD}"
    )
    # its level and time are still read, its values still named
    parsed = parse_line("time=2024-01-01T10:00:00Z lvl=eror event=disk_full host=10.0.0.9")
    assert (parsed.timestamp, parsed.severity) == ("2024-01-01T10:00:00Z", "error")
    assert parsed.values == (("ip", "10.0.0.9"),)
    # an empty message field is no message
    assert parse_line('msg="" level=info').signature == (f"msg={WILDCARD}", f"level={WILDCARD}")


def _json_or_none(line: str) -> dict | None:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def test_a_json_line_is_read_as_json_loads_reads_it() -> None:
    # the decoder's scanner is called directly: a line is JSON exactly when `json.loads` gives an
    # object for it, and then it reads as that object does written out plainly; extra data
    # after it, a cut line, a value that is not an object, a repr: not JSON, read as text
    rng = random.Random(9)
    scalars = [0, -1.5, 1e300, "x", "a b", 'q"uote', "\\", "é", True, None, "ERROR failed"]
    keys = ["msg", "message", "level", "lvl", "time", "ts", "err", "user", "a.b", ""]

    def value(depth: int) -> object:
        kind = rng.randrange(5 if depth < 3 else 1)
        if kind == 0:
            return rng.choice(scalars)
        if kind == 1:
            return [value(depth + 1) for _ in range(rng.randrange(3))]
        return {rng.choice(keys): value(depth + 1) for _ in range(rng.randrange(4))}

    read = 0
    for _ in range(6000):
        doc = {rng.choice(keys): value(0) for _ in range(rng.randrange(1, 6))}
        line = json.dumps(doc, separators=rng.choice([(",", ":"), (", ", ": "), (" ,", " :")]))
        line = rng.choice([
            line, line, line[: rng.randrange(1, len(line) + 1)], line + " x", line + "}",
            line + " {}", "{" + line[1:].replace(",", ",\t", 1), "{\ufeff" + line[1:],
            '{"a": NaN, "b": Infinity}', "{'single': 'quoted'}",
        ])  # fmt: skip
        line = line.strip()
        if not line.startswith("{"):
            continue
        expected = _json_or_none(line)
        parsed = logparse._parse_json(line)
        if expected is None:
            assert parsed is None, line
        else:
            assert parsed == logparse._parse_json(json.dumps(expected)), line
            read += 1
    assert read > 2000


def test_a_json_line_nested_past_the_decoders_depth_is_text() -> None:
    # `[[[[...` deeper than the decoder recurses raised RecursionError out of `logs analyze`
    deep = '{"msg": "sync", "doc": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert logparse._parse_json(deep) is None
    assert parse_line(deep).message.startswith('{"msg":')
    report = analyze_logs([deep, "2026-01-01 10:00:00 INFO started", deep])
    assert sum(c.count for c in report.clusters) == 3


def test_json_without_a_message_keeps_its_level_and_time() -> None:
    """As logfmt's: the keys are the event's shape, and the level and time fields still say the
    record's severity and when it was written (bunyan's numeric levels too)."""
    parsed = parse_line('{"ts": "2024-01-01T10:00:00Z", "level": "error", "code": "disk_full"}')
    assert parsed.signature == (f"ts={WILDCARD}", f"level={WILDCARD}", f"code={WILDCARD}")
    assert (parsed.timestamp, parsed.severity) == ("2024-01-01T10:00:00Z", "error")
    assert parse_line('{"level": 50, "time": 1704103200, "k": 1}').severity == "error"
    assert parse_line('{"code": "disk_full"}').severity is None


def test_a_huge_logfmt_line_is_read_as_far_as_a_text_line_is() -> None:
    parsed = parse_line(" ".join(f"k{i}=v" for i in range(40_000)))
    assert len(parsed.signature) == logparse.MAX_TOKENS


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # pairs and other words: a line with a key=value in it
        ("key=value and then prose", "key=value and then prose"),
        ("x=1", "x=1"),  # one pair
        ('msg="unterminated quote', 'msg="unterminated quote'),
        ("2026-01-01 10:00:00 INFO a=1 b=2", "a=1 b=2"),  # a header first: its pairs stay
    ],
)
def test_what_is_not_logfmt(line, message) -> None:
    parsed = parse_line(line)
    assert parsed.message == message
    assert parsed.header == line.startswith("2026")


# ---------------------------------------------------------------- quoted phrases


def test_a_quoted_phrase_is_one_value_from_its_first_variable_on() -> None:
    # user agents of any length: every token from the first variable masked, one once collapsed
    agents = [
        '"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0"',
        '"Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) Mobile/15E148"',
        '"curl/8.5.0"',
    ]
    assert {collapse(parse_line(f"x 200 agent {a} y").signature) for a in agents} == {
        ("x", WILDCARD, "agent", f'"{WILDCARD}"', "y")
    }
    # the words before the first variable stay: the request's method
    assert (
        signature('a "GET /orders/7 HTTP/1.1" 200') == f'a "GET {WILDCARD} {WILDCARD}" {WILDCARD}'
    )
    # an error message in a key's quotes, escaped quotes inside
    assert collapse(
        parse_line(
            'p output="Get \\"http://10.0.0.1:80/x\\": connection refused (timeout)" q'
        ).signature
    ) == ("p", f'output="{WILDCARD}"', "q")


@pytest.mark.parametrize(
    "message",
    [
        # the message itself in quotes (klog): its words stay after a variable
        '"MountVolume.SetUp succeeded for volume \\"cfg-7\\" (UID: \\"a1\\")" pod="web-1"',
        'a "quoted phrase of words" b',  # nothing varies in it
        'a "unclosed 12 phrase b',  # never closed: nothing to mask
    ],
)
def test_what_a_quoted_phrase_keeps(message) -> None:
    words = [t for t in message.split() if not any(c.isdigit() for c in t) and "\\" not in t]
    kept = parse_line(message).signature
    assert all(word in kept for word in words[:4]), kept


# ---------------------------------------------------------------- key=value


@pytest.mark.parametrize(
    ("message", "masked"),
    [
        (
            "connection authorized: user=alice database=orders",
            "connection authorized: user=<*> database=<*>",
        ),
        ("connection received: host=[local] port=5432", "connection received: host=<*> port=<*>"),
        # angle brackets wrap a mail address or id, not part of it: kept whatever the value
        # is, a word as an id (`session=<SafnEOgZ>` as `session=<D18Z3zn2>`), empty too
        ("imap-login: session=<SafnEOgZXAJ3uCWr>, x", "imap-login: session=<<*>>, x"),
        ("imap-login: session=<D18Z3zn2mkP2ToUs>, x", "imap-login: session=<<*>>, x"),
        ("qmgr: from=<alice@example.com>, size=9", "qmgr: from=<<*>>, size=<*>"),
        ("qmgr: from=<>, size=9", "qmgr: from=<<*>>, size=<*>"),
        # a bracket in the value is its own, not one to widen the mask to past the `>` (the
        # aside's `)` after it is left out, as for a word: the mask read `from=<<*>`)
        ("x: from=<x(y>) ok", "x: from=<<*>> ok"),
        ("x: from=<x[y>], ok", "x: from=<<*>>, ok"),
        # not one value in angle brackets: masked whole, as a word, and no `>` made up (none
        # closes it, one inside it, another `<` inside it)
        ("x: from=<abc ok", "x: from=<*> ok"),
        ("x: from=<a>b> ok", "x: from=<*> ok"),
        ("x: from=<<a> ok", "x: from=<*> ok"),
        ("declined reason=card_expired, retry", "declined reason=<*>, retry"),
        ("step (owner=bob) done", "step (owner=<*>) done"),
        ('probe output="connection refused" x', 'probe output="<*> <*>" x'),
    ],
)
def test_a_word_after_equals_is_the_fields_value(message, masked) -> None:
    assert signature(message) == masked


@pytest.mark.parametrize(
    ("first", "second"),
    [
        # a message field's text is the event, quoted or not, first in the message or not
        ('INFO msg="Server started" port=8080', 'INFO msg="Cache flushed" port=8080'),
        ('INFO worker msg="Server stopped" port=8080', 'INFO worker msg="Cache flushed" port=8080'),
        ("INFO worker msg=started port=8080", "INFO worker msg=stopped port=8080"),
    ],
)
def test_a_quoted_or_message_value_keeps_its_words(first, second) -> None:
    assert signature(first) != signature(second)


@pytest.mark.parametrize(
    "message",
    ["Error:timeout on read", "if x>=y then", "a!=b holds", "k= alone"],
)
def test_what_a_key_keeps(message) -> None:
    assert WILDCARD not in signature(message)


def test_a_quoted_field_classifies_by_its_key_and_ending_alone() -> None:
    # `token_info` shares one classification between the `key="value"` tokens of one key and
    # ending (`_QUOTED_FIELD`): every value must read alike, whatever its characters
    rng = random.Random(5)
    alphabet = "abcXYZ0189_/-.@+é"
    for _ in range(3000):
        key = rng.choice(["pod", "containerName", "x", "_k", "a-b.c"])
        ending = rng.choice(["", ",", ";"])
        inner = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        value = rng.choice("aZ0_é") + inner + rng.choice("aZ9_é")
        token = f'{key}="{value}"{ending}'
        assert logparse._QUOTED_FIELD.fullmatch(token), token
        reference = f'{key}="v"{ending}'
        assert logparse._classify(token) == logparse._classify(reference), token
        logparse.clear_caches()
        assert (
            logparse.token_info(reference)
            == logparse.token_info(token)
            == logparse._classify(token)
        )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("2024-01-01 10:00:00 INFO size 12 KB, done", "2024-01-01 10:00:00 INFO size 12 KB. done"),
        (
            "2024-01-01 10:00:00 INFO due Fri May, done",
            "2024-01-01 10:00:00 INFO due Fri May. done",
        ),
    ],
)
def test_a_units_punctuation_is_its_own_whatever_came_before(first, second) -> None:
    logparse.clear_caches()
    alone = parse_line(second)
    logparse.clear_caches()
    parse_line(first)
    assert parse_line(second) == alone


def test_a_severity_is_searched_for_from_its_first_word_as_in_the_whole_message() -> None:
    # `infer_severity` searches from the first word a match may start with: on text made of the
    # patterns' words, their look-behinds' words and glue, the same as each pattern over all
    rng = random.Random(3)
    words = [
        "error", "errors", "exception", "fatal", "panic", "fail", "failed", "failure", "fails",
        "denied", "refused", "unreachable", "timeout", "timed", "time", "out", "timedout",
        "abort", "aborted", "corrupt", "corrupted", "critical", "killed", "segfault", "crash",
        "crashed", "crashes", "recovery", "warn", "warning", "deprecated", "retry", "retrying",
        "slow", "unavailable", "not", "responding", "down", "shutting", "scaling", "scale",
        "count", "lost", "lost+found", "offline", "evicted", "unhealthy", "degraded",
    ]  # fmt: skip
    glue = [" ", " ", "_", "-", "x", "1", ".", ":", "ok", "in", "NOT"]

    def whole(text: str) -> str | None:
        lowered = text.lower()
        if logparse._ERROR_WORDS.search(lowered):
            return "error"
        return "warning" if logparse._WARNING_WORDS.search(lowered) else None

    said = set()
    for _ in range(30_000):
        text = "".join(rng.choice(words if rng.random() < 0.4 else glue) for _ in range(8))
        assert logparse.infer_severity(text) == whole(text), text
        said.add(whole(text))
    assert said == {"error", "warning", None}


def test_a_message_says_its_severity_in_any_case() -> None:
    from agents.skills.logparse import infer_severity  # noqa: PLC0415

    for word in ("error", "ERROR", "Error", "FAILED", "Timed Out", "SegFault", "CRASHED"):
        assert infer_severity(f"job 7 {word} at step 3") == "error", word
    for word in ("warning", "WARN", "Deprecated", "RETRYING", "Not Responding", "DOWN", "lost"):
        assert infer_severity(f"disk {word}: sda") == "warning", word
    # a state's words, but not what is done (`shutting down`) or named (`lost+found`)
    for message, said in [
        ("node db-2 is down", "warning"),
        ("gossip: state = DOWN", "warning"),
        ("connection lost to peer", "warning"),
        ("pod web-1 evicted", "warning"),
        ("worker 3 crashed", "error"),
        ("Shutting down worker pool", None),
        ("scaling down replicas to 2", None),
        ("fsck: /srv/lost+found ok", None),
        ("Starting crash recovery", None),
    ]:
        assert infer_severity(message) == said, message
    # whole words only, and nothing when none is said
    assert infer_severity("ErrorCount=0 failover_ok terrors") is None
    assert infer_severity("job 7 done in 3 ms") is None
    assert infer_severity("panic: ERROR and WARNING") == "error"  # an error word first


def test_a_document_s_key_with_a_digit_is_read_alike_whatever_its_digits() -> None:
    """The key before a document's brace stays in the masked form, but a masked form is shared
    by every token of its shape: a key with a digit (Go's `map[1:{a b}]`) is masked with it,
    or the second line would read with the first one's digit, whichever came first."""
    logparse.clear_caches()
    first = parse_line("state map[1:{a b}] ok").signature
    second = parse_line("state map[2:{a b}] ok").signature
    assert first == second
    assert "1" not in " ".join(first)

"""Line-level parsing for `agents.skills.logs`: split a raw log line into its header (timestamp,
severity) and its message, and mask the message's variables. One configuration for every source.

The design decisions:

- Tokens, then kinds, then a grammar. A line is split on whitespace (and on `|` inside its first
  `PIPED_TOKENS` tokens; a `|` further on is the message's own); every token gets a *kind* letter
  from its own shape: T timestamp, A a month and day without a year (`03-17`, `06.13`; a date only
  before a time), M month or weekday name, Z time zone, L level, N number (D when of six digits:
  half of `yyMMdd HHmmss`), S separator (`-`, `:`), I pipe, B a bracketed group, Q/O an opening
  bracket (Q when a timestamp follows), X a closing bracket, C a logger with a colon (`org.a.B:`),
  G a dotted logger (`nova.compute.manager`), K a syslog tag with a pid (`sshd[42]:`), J a word
  and a colon (`kernel:`; both may name a module, `sshd(pam_unix)[42]:`), H a host (an IP, a name
  with digits), E a glog prefix (`I1129`), V a one-letter level (logcat's `D`, `I`, `W`, `E`), U a
  size unit (`KB`), P `SELECT`, Y another SQL statement's first keyword (`UPDATE`), F an SQL
  clause's (`FROM`; all three for `_sql_tails`), W a word. The header is the prefix of the kind
  string that `HEADER` (a regular expression over those letters) accepts:
  - level form: a level (`INFO`, `[error]`, `WARN:`; bare or colon levels must be upper case)
    among the first 12 tokens, with a timestamp or number before it (everything before it is
    header: hosts, node names, `RAS KERNEL`), then what loggers put after a level: a pid before
    `---`, a bracketed thread or request id, one logger name, one separator (two where Ruby's
    Logger writes `-- :`);
  - timestamp form: a line that starts like a header (timestamp, number, host, bracket) and has a
    timestamp among its first 6 tokens; the fields before it are record ids, nodes and
    components; after it come zones, pids and flags, separators, brackets, `|`-delimited fields,
    a syslog host and tag (a tag without a pid only after syslog's `Mmm dd hh:mm:ss`), a
    logger, logcat's level letter and tag (`03-17 16:13:38.811 1702 2395 D Tag:`), or a program,
    an optional marker and a separator (`[06.13 10:14:02] prog.exe *64 -`); a bracketed
    timestamp may be a month-day and a time (`[06.13 10:14:02]`);
  - glog/klog: `I1129 14:02:01.123456 1234 file.go:12]`.
  Bracketed fields written side by side, the first holding a time (log4j's `[%d][%-5p][%c]`,
  Elasticsearch's `[2023-11-14T07:42:08,651][INFO ][o.e.n.Node]`), are read apart first
  (`_unglued`), so the grammar sees a bracketed timestamp, a level and a logger.
  A header field left in the message is usually constant or masked, and stripping a constant word
  of the message loses no grouping, so the grammar errs on the side of stopping early.
- Whole-line formats with a standard shape are recognised first, because their fields say where
  the message is: JSON lines (the `message`/`msg`/`log` field), logfmt (`time=... level=info
  msg="..." k=v`: `key=value` pairs alone, read as JSON lines are), Kubernetes CRI lines
  (`<RFC 3339> stdout F <msg>`) and RFC 5424 syslog (RFC 3164 is covered by the grammar). The
  message of JSON, logfmt and CRI lines is parsed again: it is usually an application's own line.
  A JSON or logfmt line's fields that carry an error (`error`, `err`, `exc_info`, ...) follow its
  message in the signature, `key=<*>` each (`_field_keys`): the same message with an error is the
  failure's statement; other fields vary with no statement (a trace id only when traced). A
  line without a message field is its keys alone. Either way at most `MAX_TOKENS` keys are kept,
  as a text line's tokens are.
- Masking is per token and by shape: numbers, hex (`0x1f`, eight hex digits or more), IPs,
  UUIDs, URLs, paths, and identifiers with two or more digits (`blk_-1608`, `R02-M1`,
  `attempt_1445_0020_m_000000_0`) or one digit set off by a separator (`node-9`,
  `root7_local`) are variables; a lone digit inside a name is not (`alt0`, `ee0`, `C1`,
  `Slf4j`). In `key=value` and `key:value`, nested too (`headroom=<memory:0,`), the key stays and
  the value is judged alone, so `Maps:1` and `Maps:10` mask alike; after `=` a value that holds
  no pair of its own is a variable whatever it is, a word too (`user=alice`, `host=[local]`,
  `state=RUNNING`: a field's value however few its values), while after `:` a word stays
  (`Error:timeout`, `mode:off` but for the switches below). A size or currency unit after a
  masked number is part of the value (`2.3 KB`, `16.29 EUR`). Punctuation around a token stays
  (`(TID <*>).`) so templates read as the source wrote them, but a bracket whose partner the
  value holds is the value's (`[::1]:443`, `sshd[123]:` read `<*>` and `<*>:`, their values
  `[::1]:443` and `sshd[123]`: `_balanced`). Variables that rules fitted to a few sources missed:
  - Words of a clear value class: booleans (`true`, `False`, `YES`) anywhere; `yes`/`no`,
    `on`/`off`, `enabled`/`disabled` only as the value of `key=value` or `key:value` (as words
    they are prose: `no such file`). Weekday and month names (a date inside the message: `Mon Jun 13
    2022`, `on Tue`), except the names that are also words (`May`, `March`, `August`, `Mar`),
    masked only beside another part of a date (a masked token or a name: `May 5`, not `May
    not`).
  - A comparison or marker glued to a number is part of the value (`<1`, `>=5`, `~3ms`, `#12`,
    `$4` all read `<*>`, as the bare number does), so a value written `<1` only when small does
    not split its event; `<` is a bracket when the token closes it (`<12>`, `<memory:0,`). An
    empty list `()` `[]` `{}` reads `(<*>)`, as a list of one masked value does. Lists spread
    over several tokens (`(a, b)`) are not joined: a template keeps one token per token, and
    `agents.skills.logs` merges signatures of equal length only, so lists of different lengths
    stay apart (a known limit).
  - `host:port` is one variable (value kind `host`) when the port has 2 to 5 digits and the host
    has a letter and a dot, dash or digit (`db01.internal:5432`, `redis-master:6379`); a word key
    (`status:ok`, `Maps:10`, `localhost:8080`), a source file and line (`Main.java:42`), an HTTP
    header name (`Content-Length:1234`) keep their key. An IP and port stays kind `ip`.
  - A quoted word (`'users'`, `"eu-west"`, `` `verbose` ``, `key="x"`) is a value: the writer
    marked it as a name put into the message, also when it opens or ends in a bracket or other
    punctuation, or is punctuation alone (`"vm.memory.size[available]"`, `filter="(uid=*)"`,
    `"Done."`, `"::"`, `')'` and `'('` alike: `_quoted_whole`). In a quoted phrase of several
    tokens, every token from the first variable to the closing quote is masked
    (`_quoted_tails`: a user agent, an error text in quotes), so `agents.skills.logs` collapses
    it into one variable whatever its length; a phrase that opens the message is the message
    (klog) and stays as it is.
  - `user@host` is one variable (kind `user`) when the host starts with a letter or is an IP
    (`root@web-3`, `alice@example.com`, `svc@10.0.0.1`); `Object@1b6d3586` is a hash (an id).
  - A systemd unit is one variable (kind `unit`): a name, then the unit's type (`nginx.service`,
    `NetworkManager.service`, `user@1002.service`, `basic.target`, `session-213.scope`); a
    dotted name that ends alike is code (`c.e.orders.service`, a Java package) and stays, unless
    a `-`, `@` or `\\` in it says a unit (`dbus-org.freedesktop.resolve1.service`): `_is_unit`.
  - A document in braces over several tokens is one value (`_brace_tails`): from a token that
    opens one (`{`, or `{` after `:` or `=`: `locks:{`, its key kept) to the token that closes it,
    the braces counted, every token is masked (`{ find: "orders", filter: { id: 7 } }` reads
    `<*>`), whatever it holds; braces that balance inside one token (`{file.py:12}`) or follow a
    name (`Option{a=1, b=2}`: its fields keep their keys) open no document.
  - An SQL statement is one value (`_sql_tails`): from `SELECT` in capitals with a token after
    it, or another statement's first keyword in capitals (`UPDATE`, `INSERT`, `DELETE`, `WITH`,
    `COPY`, ...) followed within three tokens by a clause's (`FROM`, `SET`, `INTO`, `AS`, ...),
    every token to the message's end is masked, so `duration: 3.1 ms statement: SELECT ...`
    reads `duration: <*> ms statement: <*>` whatever the query; such a keyword alone
    (`"SyncLoop UPDATE"`, `"DELETE /v1/orders"`, an HTTP method) stays a word.
  Other words are never masked here: whether a word column is a variable is decided from its
  cardinality when clusters are merged (`agents.skills.logs`).
- Speed. Every decision above depends only on a token's *shape* (its digits read as 0), never on the
  digits' values (but for a digit before `x`, `0x`, and after `debug`, which the shape marks), so it
  is made once per shape and cached; ids in hex, whose shape changes with every id, share the
  decision of their *id shape* (inside a run of hex digits, only where the letters and digits are
  and the letters' case are read, and `e`, an exponent); a UUID with two digits and a letter
  before its third dash reads alike whatever its digits and letters (but for its first
  character's class), so tokens and lines are keyed with a canonical one in its place (OpenStack's
  `[req-<uuid>`: a new id on every line). A line is then read by a *plan*: where its
  message starts, where its timestamp and level are, which tokens are masked. Plans are cached by
  the line's shape (the common case: a `split`, a translation and a dictionary hit) and by the
  sequence of its tokens' classifications; the few rules that look at neighbours (a unit after a
  number, `May` beside a date) are decided in the plan from kinds and masks, so they are cached with
  it. All caches are bounded, and a result never depends on what they hold
  (`tests/agents/skills/test_logs.py` checks it on every Loghub line).
"""

from __future__ import annotations

import json
import json.scanner
import operator
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from itertools import islice
from typing import Any, Final, NamedTuple, cast

WILDCARD: Final = "<*>"
MAX_TOKENS: Final = 512  # enough to tell templates apart; the rest of a huge line is ignored
CACHE_LIMIT = 100_000  # entries per cache before it is emptied (memory stays bounded)

# Severities from most to least severe; `SEVERITY_RANK` orders clusters in reports.
SEVERITIES: Final = ("critical", "error", "warning", "notice", "info", "debug")
SEVERITY_RANK: Final = {name: rank for rank, name in enumerate(SEVERITIES)}

_LEVEL_WORDS: Final = {
    "emerg": "critical",
    "emergency": "critical",
    "alert": "critical",
    "crit": "critical",
    "critical": "critical",
    "fatal": "critical",
    "panic": "critical",
    "severe": "critical",
    "failure": "error",
    "error": "error",
    "err": "error",
    "eror": "error",  # log15's (Grafana's) abbreviations
    "warn": "warning",
    "warning": "warning",
    "notice": "notice",
    "note": "notice",  # MySQL's `[Note]`
    "info": "info",
    "information": "info",
    "informational": "info",
    "log": "info",
    "debug": "debug",
    "dbug": "debug",
    "debug1": "debug",
    "debug2": "debug",
    "debug3": "debug",
    "debug4": "debug",
    "debug5": "debug",
    "trace": "debug",
    "fine": "debug",
    "finer": "debug",
    "finest": "debug",
    "verbose": "debug",
}
# Bare `LOG` (PostgreSQL) is a level only with its colon; as a word it is too common.
_BARE_LEVELS: Final = frozenset(w.upper() for w in _LEVEL_WORDS if w != "log")
_COLON_LEVELS: Final = _BARE_LEVELS | {"LOG"}
# syslog severities by PRI % 8
_PRI_SEVERITY: Final = (
    "critical",
    "critical",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
)
_ZONES: Final = frozenset(
    {"UTC", "GMT", "Z", "CET", "CEST", "EET", "EEST", "WET", "WEST", "PST", "PDT", "MST", "MDT",
     "CST", "CDT", "EST", "EDT", "AKST", "AKDT", "HST", "IST", "JST", "KST", "AEST", "AEDT", "BST",
     "MSK"}
)  # fmt: skip
_NAMES: Final = frozenset(
    {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
     "January", "February", "March", "April", "June", "July", "August", "September", "October",
     "November", "December", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "Tuesday",
     "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)  # fmt: skip
# Names that are nearly always part of a date: masked wherever they are. `May`, `March`,
# `August` and `Mar` are English words too: masked only beside another part of a date.
_AMBIGUOUS_NAMES: Final = frozenset(("May", "March", "August", "Mar"))
_DATE_NAMES: Final = _NAMES - _AMBIGUOUS_NAMES
# Booleans are values wherever they are; the on/off pairs only as the value of `key=value`
# (`enabled=yes`), since as words they are prose (`no such file`, `turned on`).
# `YES` and `NO` in capitals are a flag printed (`(using password: YES)`), not prose, which writes
# them in small letters.
_BOOLEANS: Final = frozenset(
    # and Python's None, which a program prints where a value would be (`succeeded in 0.5s:
    # None`); not `null`, `nil` or `NULL`, which prose writes too (`may not be null`, `NULL
    # pointer dereference`)
    ("true", "false", "True", "False", "TRUE", "FALSE", "YES", "NO", "None")
)
_SWITCHES: Final = frozenset(("yes", "no", "on", "off", "enabled", "disabled"))
# Android logcat's one-letter levels, after the pid and tid.
_LETTER_LEVELS: Final = {"V": "debug", "D": "debug", "I": "info", "W": "warning", "E": "error",
                  "F": "critical", "A": "critical"}  # fmt: skip
# units a masked number's value goes on in: sizes, and currencies' ISO 4217 codes (`16.29 EUR`)
_UNITS: Final = frozenset(
    ("B", "KB", "MB", "GB", "TB", "PB", "KiB", "MiB", "GiB", "TiB", "PiB",
     "USD", "EUR", "GBP", "JPY", "CNY", "CHF", "CAD", "AUD", "NZD", "SEK", "NOK", "DKK",
     "PLN", "CZK", "HUF", "INR", "BRL", "MXN", "ZAR", "SGD", "HKD", "KRW", "RUB", "ILS")
)  # fmt: skip
# An SQL statement's first keyword (kind Y; `SELECT`, a statement by itself, kind P) and its
# clauses' (kind F), in capitals as statements in logs are written (`_sql_tails`); in small
# letters they are words. `UPDATE` or `DELETE` alone is a word: an HTTP method, an event.
_SQL_VERBS: Final = frozenset(
    ("INSERT", "UPDATE", "DELETE", "WITH", "COPY", "CREATE", "ALTER", "DROP", "TRUNCATE")
)
_SQL_CLAUSES: Final = frozenset(("FROM", "INTO", "SET", "AS", "TABLE", "INDEX", "VALUES", "WHERE"))
_SQL_REACH: Final = 3  # tokens after a first keyword within which a clause's must come
_SEPARATORS: Final = frozenset(("-", "--", "---", ":", "::", ">", "->", "=>", "»", "*"))

_TIME: Final = r"\d{1,2}:\d{1,2}:\d{1,2}(?:[.,:]\d+)?"
_ZONE: Final = r"(?:Z|[+-]\d{2}:?\d{2})"
_TIMESTAMP: Final = re.compile(
    "(?:"
    # ISO 8601 / RFC 3339 date, or date and time joined by T or _
    rf"\d{{4}}-\d{{1,2}}-\d{{1,2}}(?:[T_]{_TIME}{_ZONE}?)?"
    # BGL-style 2005-06-03-15.42.50.675872
    r"|\d{4}-\d{2}-\d{2}-\d{2}\.\d{2}\.\d{2}(?:\.\d+)?"
    r"|\d{4}[./]\d{1,2}[./]\d{1,2}"
    r"|\d{1,2}/\d{1,2}/\d{2,4}"
    rf"|{_TIME}{_ZONE}?"
    # compact: 20171223-22:15:29:606, 20260101T120000Z
    rf"|\d{{8}}-{_TIME}|\d{{8}}T\d{{6}}Z?"
    # nginx/Apache access logs, inside their bracket: 10/Oct/2000:13:55:36
    r"|\d{1,2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}"
    # epoch seconds or milliseconds
    r"|\d{10}(?:\.\d+)?|\d{13}"
    r"),?"
)
_DOTTED: Final = re.compile(r"[A-Za-z_][\w$\-]*(?:\.[A-Za-z_][\w$\-]*)+")
# a syslog tag may name a module in parentheses: `sshd(pam_unix)[42]:`, `su(pam_unix):`
_PID_TAG: Final = re.compile(r"[A-Za-z_][\w.\-/]*(?:\([\w.\-/]*\))?\[\d+\]:?")
_PLAIN_TAG: Final = re.compile(r"[A-Za-z_][\w\-/]*(?:\([\w.\-/]*\))?:")
# a month and day without a year (`03-17`, `06.13`): a date only when a time follows it
_SHORT_DATE: Final = re.compile(r"\d{1,2}[-./]\d{1,2}")
_GLOG: Final = re.compile(r"[IWEF]\d{4}")  # glog / klog: severity letter and month-day, `I1129`
_GLOG_LEVELS: Final = {"I": "info", "W": "warning", "E": "error", "F": "critical"}
_HOST: Final = re.compile(r"[\w\-.:]+")  # with a digit (checked apart: no backtracking)

# The header grammar over kind letters (module docstring).
_BRACKET: Final = r"(?:B|[OQ][^OQX]{0,12}X)"
_TS_GROUP: Final = r"(?:Q[^OQX]{0,8}X|M{1,2}[ND]?T+[ND]?Z?|A?T+Z?|DD)"
_AFTER_LEVEL: Final = (
    rf"(?:[ND](?=[SBOQ]))?(?:S(?=[BOQND]))?(?:[ND](?=[SBOQ]))?(?:S(?=[BOQ]))?{_BRACKET}?"
    # (two separators: Ruby's Logger writes `-- :` where a program gave no name, `-- name:`;
    # those two alone, `_header` tells: `INFO - -> sent` is `-> sent`)
    rf"(?:C|G{_BRACKET}?)?(?:(?P<pair>SS)|[SI])?"
)
_AFTER_TS: Final = rf"(?:[TZNDSI]|{_BRACKET})*(?:(?:[WVHG]I)+(?:[ND]|I|S)*)?"
HEADER: Final = re.compile(
    # level form
    rf"(?=[^L]{{0,11}}L)(?:[^L]*?[TNDQ][^L]*?)?L{_AFTER_LEVEL}"
    # glog: I1129 14:02:01.123456 1234 file.go:12]
    r"|ET+Z?(?:[ND](?=X))?X?"
    # timestamp form, syslog's month-day timestamp: a host and a `tag:` or `tag[pid]:` may follow
    rf"|(?=[TNDHSBQMOA])[^L]{{0,5}}?M{{1,2}}[ND]?T+[ND]?Z?{_AFTER_TS}"
    r"(?:V(?:[JKC]|[WHG]S)|[WVHG][KJ]|[KJ]|C|G(?![WVHGKJ]))?"
    # timestamp form, other timestamps: a `tag:` without a pid is too much like prose (`START
    # RequestId:`), only `tag[pid]:` is taken, or a logcat tag after its level letter; a program
    # with an optional marker before a separator (`chrome.exe *64 -`), not after `|` fields (there
    # the message's first word and a colon follow: `...|30002312|REPORT : 7007`)
    rf"|(?=[TNDHSBQMOA])[^L]{{0,5}}?(?:Q[^OQX]{{0,8}}X|A?T+Z?|DD){_AFTER_TS}"
    r"(?:V(?:[JKC]|[WHG]S)|[WVHG]K|K|C|(?<!I)[WVHG][WVHND]?S(?=.)|G(?![WVHGKJ]))?"
)
_TS_RUN: Final = re.compile(_TS_GROUP)

_PRI: Final = re.compile(r"<(\d{1,3})>(?:1 )?")
# RFC 5424: <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD...]|- MSG
_RFC5424: Final = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) \S+ \S+ \S+ \S+ "
    r"(?:-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?:\ufeff)?(?P<msg>.*))?\Z",
    re.DOTALL,
)
# Kubernetes CRI (containerd, CRI-O): RFC 3339 timestamp, stream, P(artial)/F(ull) tag.
_CRI: Final = re.compile(
    r"(?P<ts>\d{4}-\d\d-\d\dT\S+) (?:stdout|stderr) [PF] (?P<msg>.*)\Z", re.DOTALL
)
_MESSAGE_KEYS: Final = ("message", "msg", "log", "MESSAGE", "text", "@message")
# a structured line's message field: these, or structlog's `event` where none is (in a line of
# text, `event=login` is a field's value, masked as any other)
_JSON_MESSAGE_KEYS: Final = (*_MESSAGE_KEYS, "event")
# `json.loads`'s own scanner (C), returning the value at an index and where it ends: what
# `JSONDecoder` makes for itself, with the same defaults
_SCAN_ONCE: Final = json.scanner.make_scanner(cast("Any", json.JSONDecoder()))
_JSON_LEVEL_KEYS: Final = (
    "level",
    "severity",
    "lvl",
    "levelname",
    "log.level",
    "loglevel",
    "LEVEL",
)
_JSON_TIME_KEYS: Final = ("time", "timestamp", "ts", "@timestamp", "datetime", "date", "t")
# Inferred severity for messages whose header carries none (HPC, syslog, CloudWatch).
# matched in the message in small letters (`infer_severity`): a case-blind pattern costs about
# twice as much, the lowering included (14 µs against 3 on a 120-character line)
# (a state's words too, `down`, `lost`, `crashed`: but not `shutting down`, `scaling down`,
# `lost+found`, `crash recovery`, which say what is done, not what went wrong)
_ERROR_WORDS: Final = re.compile(
    r"\b(?:error|errors|exception|fatal|panic|fail(?:ed|ure|s)?|denied|refused|"
    r"unreachable|timed? ?out|abort(?:ed)?|corrupt(?:ed)?|critical|killed|segfault|"
    r"crash(?:ed|es)?(?! recovery))\b"
)
_WARNING_WORDS: Final = re.compile(
    r"\b(?:warn(?:ing)?|deprecated|retry(?:ing)?|slow|unavailable|not responding|"
    r"down(?<!shutting down)(?<!scaling down)(?<!scale down)(?<!slow down)(?<!count down)|"
    r"unhealthy|degraded|"
    r"lost(?!\+)|offline|evicted)\b"
)

# ---------------------------------------------------------------- token classification

_LEAD: Final = "\"'([{<`"
_TRAIL: Final = "\"')]}>,;.:!?`"
_UUID: Final = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_IP: Final = re.compile(
    r"/?(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?|\[?[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}\]?"
    r"(?::\d{1,5})?"
)
_URL: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*")
_PATH: Final = re.compile(r"[~.]{0,2}(?:/[^\s/]*)+|[A-Za-z]:\\\S*")
# Every pattern here is unambiguous (no nested quantifiers over the same characters), so a
# hostile token costs linear time.
_NUMBER: Final = re.compile(r"[-+]?\d+(?:[.,:/\-]\d+)*[.,:/\-]?(?:[eE][-+]?\d+)?[a-zA-Z%]{0,2}")
_HEX: Final = re.compile(r"(?:0[xX])?[0-9a-fA-F]+")
# the key: up to the first = or :, without digits (so a masked token never has any)
_KEY_VALUE: Final = re.compile(r"([A-Za-z_][^\d\s=:]*[=:])(.+)")
_NESTED: Final = re.compile(r"[=:]")  # a value holding pairs of its own
_CLOSING: Final = ")]}>\"'`"
_DIGIT: Final = re.compile(r"\d")
# A comparison or a marker glued to a number is part of the value: `<1`, `>=5`, `~3ms`, `#12`.
_PREFIXED: Final = re.compile(
    r"(?:[<>!=]=?|[~\u2248\u2264\u2265\u00b1#$\u20ac\u00a3])([-+]?\.?\d.*)"
)
# `host:port`: a host name (a dot, a dash or a digit in it) and a port of 2 to 5 digits. A word
# key (`Maps:10`), a source file and line (`Main.java:42`) and an HTTP header name
# (`Content-Length:1234`) are not hosts.
_HOST_PORT: Final = re.compile(r"([A-Za-z0-9][A-Za-z0-9.\-]*):\d{2,5}")
_HOSTLIKE: Final = re.compile(r"[.\-\d]")
_LETTER: Final = re.compile(r"[A-Za-z]")
_HEADER_NAME: Final = re.compile(r"[A-Z][a-z]+(?:-[A-Z][a-z]*)+")
_SOURCE_FILE: Final = re.compile(
    r".*\.(?:java|kt|scala|py|go|rs|c|cc|cpp|cxx|h|hpp|js|ts|rb|cs|swift|php|m|mm|erl|ex|exs)"
)
# `user@host`: the host is a name starting with a letter or an IP (`Object@1b6d3586` is an
# object's hash, an id)
_USER_AT: Final = re.compile(
    r"[A-Za-z0-9_.+\-]+@(?:[A-Za-z][A-Za-z0-9.\-]*|(?:\d{1,3}\.){3}\d{1,3})"
)
_OPENERS: Final = {"(": ")", "[": "]", "{": "}"}
# around a field's value and not part of it: an address's or a message id's angle brackets
# (`from=<alice@example.com>`, `msgid=<2024...@mx>`, `user=<>`), which mail servers write
# whatever the value is; a square bracket may be the value's own (`host=[local]` beside
# `host=10.0.0.5`), so a word in one is masked whole as before
_BRACKETS: Final = {"<": ">"}
_NUMBERED: Final = re.compile(r"[-_.:/#@]\d|\d[-_.:/#@]")
# bytes.translate is an order of magnitude faster than str.translate; digits are ASCII, so the
# UTF-8 round trip leaves every other character as it was.
_ZERO: Final = bytes.maketrans(b"123456789", b"000000000")
# The only rules that read a digit's value: `0x` is a hex prefix (`1x` is not), `debug1` to
# `debug5` are levels (`debug7` is not). A shape with `0x` or `g0` in it (upper case too) is
# *sensitive*: it is not enough as a key. A sensitive token or line is keyed by its *marked*
# shape instead, where a digit before `x`/`X` or after `g`/`G` keeps that much of its value: 1
# for another digit than 0, 2 for 1 to 5 after a g (a *literal digit*: one that `[1-9](?=[xX])|
# (?<=[gG])[1-9]` matches). They are found by the pairs of the shape that may hold one: a regex
# for them scanned the line a character at a time, 10 µs a line.
_LITERAL_PAIRS: Final = ((b"0x", 0), (b"0X", 0), (b"g0", 1), (b"G0", 1))  # (pair, digit's offset)


def _sensitive(shape: str) -> bool:
    """Whether a shape (a token's or a line's) has a digit whose value a rule may read
    (`_marked`). A letter is looked for first: a search for `0x` in a shape full of zeros
    stops at every zero (0.5 µs on a line), one for `x` runs at memchr speed."""
    return (
        ("x" in shape and "0x" in shape)
        or ("X" in shape and "0X" in shape)
        or ("g" in shape and "g0" in shape)
        or ("G" in shape and "G0" in shape)
    )


def _marked(encoded: bytes, shape: bytes) -> bytes:
    """`shape` (of `encoded`) with its literal digits marked (`_LITERAL_PAIRS`): a literal digit
    is one of a pair of the shape, not a 0 in `encoded` (a digit is 0 in the shape)."""
    marked: bytearray | None = None
    for pair, offset in _LITERAL_PAIRS:
        p = shape.find(pair)
        while p >= 0:
            at = p + offset
            if encoded[at] != 0x30:  # 1 to 9 (marked alike when found by two pairs)
                if marked is None:
                    marked = bytearray(shape)
                after_g = at > 0 and encoded[at - 1] in b"gG"
                marked[at] = 0x32 if after_g and encoded[at] <= 0x35 else 0x31
            p = shape.find(pair, p + 1)
    return shape if marked is None else bytes(marked)


def shape_of(text: str) -> str:
    """`text` with every digit read as 0."""
    return text.encode("utf-8", "surrogatepass").translate(_ZERO).decode("utf-8", "surrogatepass")


def marked_shape_of(text: str) -> str:
    """`shape_of(text)` with the digits whose value a rule reads marked (`_LITERAL_PAIRS`)."""
    encoded = text.encode("utf-8", "surrogatepass")
    return _marked(encoded, encoded.translate(_ZERO)).decode("utf-8", "surrogatepass")


# Inside a run of eight hex digits or more with a decimal digit in it (an id in hex: a hash, a
# UUID, an address), no rule reads which hex letter a letter is, but for `e`/`E` (an exponent in
# `_NUMBER`): only where the letters and digits are and their case. An id's shape keeps that.
# A run with two digits or more, letters of one case, and four letters or more or a letter but
# e/E before a digit (a container id, a commit hash, a content digest, an order id) is read less
# still, so its id shape is *canonical*: its first and last characters (e/E read as a/A), then
# `00` and letters of its case to its length.
# - `_NUMBER` is the only rule that reads `e`, and a text it matches holds no letter but one
#   `e`/`E` (an exponent) before a digit and two letters at most after its last digit: no text
#   holding such a run matches it.
# - Every other rule reads a run's characters alike as hex digits (`_HEX`, `_UUID`,
#   `_HEX_TOKEN`), word characters (`\w`, `[\w.\-/]`, `_HOST`) or any character; reads a
#   letter or a digit as such only where its match starts or stops or beside a separator (a
#   token's start, after `.`, `@`, `<`, `#`, `g`, before `x`, `[-_.:/#@]` beside a digit): at the
#   run's first or last character, kept as they are (a marked digit too); reads no digit in a
#   key (a key holds none); counts digits only as two or more (`_value_kind`, the hex key);
#   and every text holding such a run is masked whole (two digits make a value). A test
#   classifies random runs in many settings against others of the same id shape.
_LONG_HEX: Final = re.compile(r"[0-9a-fA-F]{8,}")
_COLLAPSE: Final = bytes.maketrans(b"abcdfABCDF", b"aaaaaAAAAA")
_COLLAPSE_E: Final = bytes.maketrans(b"abcdefABCDEF", b"aaaaaaAAAAAA")
_LETTER_THEN_DIGIT: Final = re.compile(rb"[a-dfA-DF][0-9a-fA-F]*[0-9]")  # in a run of hex


def _collapsed(run: bytes) -> bytes:
    """A run of hex digits (`_LONG_HEX`, ASCII) as its id shape reads it."""
    collapsed = run.translate(_COLLAPSE_E)  # every letter as a or A
    lower, upper = collapsed.count(b"a"), collapsed.count(b"A")
    letters = lower + upper
    if letters == len(run):  # no digit
        return run
    if (
        len(run) - letters >= 2
        and not (lower and upper)
        and (letters >= 4 or _LETTER_THEN_DIGIT.search(run) is not None)
    ):
        return b"".join(
            (collapsed[:1], b"00", (b"a" if lower else b"A") * (len(run) - 4), collapsed[-1:])
        )
    return run.translate(_COLLAPSE)


# A shape (UTF-8) with every hex digit (a marked digit too) read as 0: its runs of eight 0s or
# more are `_LONG_HEX`'s matches (a non-ASCII character's bytes are none of them), found with
# `bytes.find` (a regex sub with a call back for each match, on the shape as text, was an
# eighth of a cold Kubelet log's analysis: sre tries the class at every character).
_HEX_AS_ZERO: Final = bytes.maketrans(b"123456789abcdefABCDEF", b"0" * 21)
_EIGHT_ZEROS: Final = b"00000000"


def id_shape_of(shape: str) -> str:
    """A token's shape (`shape_of`, or marked) with the hex letters of its ids read alike (a-d
    and f as a, A-D and F as A), and the ids that are read less still in their canonical form
    (`_LONG_HEX`): tokens of one id shape classify alike, whatever their ids. The runs are
    `_LONG_HEX.finditer(shape)`'s, found in the shape with its hex digits read as 0."""
    encoded = shape.encode("utf-8", "surrogatepass")
    hexed = encoded.translate(_HEX_AS_ZERO)
    a = hexed.find(_EIGHT_ZEROS)
    if a < 0:
        return shape
    parts: list[bytes] = []
    at = 0
    while a >= 0:  # `a` starts a run (the first eight in a row), which ends at the first non-0
        end = len(hexed) - len(hexed[a:].lstrip(b"0"))
        parts += (encoded[at:a], _collapsed(encoded[a:end]))
        at = end
        a = hexed.find(_EIGHT_ZEROS, end)
    parts.append(encoded[at:])
    return b"".join(parts).decode("utf-8", "surrogatepass")


# Kinds of masked values worth naming in a report; numbers and short hex are metrics or noise.
KIND_IP: Final = "ip"
KIND_ID: Final = "id"
KIND_PATH: Final = "path"
KIND_HOST: Final = "host"  # a host name and port: `db01.internal:5432`
KIND_USER: Final = "user"  # an account at a host: `root@web-3`, `alice@example.com`
KIND_UNIT: Final = "unit"  # a systemd unit: `nginx.service`, `user@1002.service`, `app.slice`

# a systemd unit's type, after its name's last dot
_UNIT_TYPES: Final = frozenset(
    ("service", "socket", "timer", "target", "slice", "scope", "mount", "automount", "swap")
)
_UNIT_CHARS: Final = frozenset("_-@:\\")  # beside letters and digits in a unit's name


def _is_unit(core: str) -> bool:
    """Whether `core` is a systemd unit's name: a name of letters, digits and `_-@:\\` that
    starts with a letter or a digit, then a dot and the unit's type (`nginx.service`,
    `NetworkManager.service`, `user@1002.service`, `basic.target`). A dotted name is one only
    with a `-`, `@` or `\\` in it (`dbus-org.freedesktop.resolve1.service`), which no Java
    package or Python module has: `c.e.orders.service` and `snap.lxd.daemon.service` stay, as
    code's names do. Read with string methods, linear in the name."""
    name, _, kind = core.rpartition(".")
    if kind not in _UNIT_TYPES or not name or not name[0].isalnum():
        return False
    dotted = "." in name
    for c in name:
        if not (c.isalnum() or c in _UNIT_CHARS or (dotted and c == ".")):
            return False
    return not dotted or "-" in name or "@" in name or "\\" in name


class Token(NamedTuple):
    """What a token is: its header kind letter, its masked form (None: kept as is), the kind of
    value it carries worth counting ("" for none), how much punctuation surrounds that value, and
    whether it opens a quoted phrase (the quote) or closes one (from its closing quote on)."""

    kind: str
    masked: str | None
    value_kind: str
    lead: int
    trail: int
    opens: str = ""
    closes: str = ""
    tail: str = ""  # a unit's or a month name's punctuation after it (`KB,`), for `_with_units`


_EMPTY: Final = Token("W", None, "", 0, 0)
# `Token(*fields)`, every field given, without the Python-level `__new__` of a named tuple (the
# same object; as `_new_parsed`)
_new_token: Final = cast("Callable[[tuple[Any, ...]], Token]", partial(tuple.__new__, Token))


def _value_kind(core: str) -> str | None:
    """The kind of a variable token (stripped of punctuation), "" for a variable not worth
    naming, None for a constant word."""
    # (every pattern below is tried only where it may match: the `in` and length tests before
    # each are what its match needs, and cost no call)
    if "." in core and core[-1] in "eprt" and _is_unit(core):
        return KIND_UNIT  # (before `user@host`: `user@1002.service` is a unit)
    if core.isalpha() or _DIGIT.search(core) is None:
        if core in _BOOLEANS or core in _DATE_NAMES:
            return ""
        if "@" in core and _USER_AT.fullmatch(core):
            return KIND_USER
        if "/" in core and (_URL.fullmatch(core) or _PATH.fullmatch(core)):
            return KIND_PATH
        if len(core) >= 8 and _HEX.fullmatch(core):  # `ffffffff`: hex, whatever its digits
            return KIND_ID if len(core) >= 16 else ""
        return None
    if ("." in core or ":" in core) and _IP.fullmatch(core):  # (a dotted quad, or IPv6's `:`s)
        return KIND_IP
    if core[0] in _PREFIX_CHARS:
        m = _PREFIXED.fullmatch(core)
        if m and _NUMBER.fullmatch(m.group(1)):
            return ""
    if "@" in core and _USER_AT.fullmatch(core):
        return KIND_USER
    if ("/" in core or "\\" in core) and (
        _URL.fullmatch(core) or (_PATH.fullmatch(core) and core[0] != "\\")
    ):
        return KIND_PATH
    if len(core) == 36 and _UUID.fullmatch(core):
        return KIND_ID
    if _NUMBER.fullmatch(core):
        return ""
    if (core[:2] in ("0x", "0X") or len(core) >= 8) and _HEX.fullmatch(core):
        return KIND_ID if len(core) >= 16 else ""
    digits = sum(map(str.isdigit, core))
    # two digits make an id (`blk_38865`, `R02-M1`); one digit does when it is numbered by a
    # separator (`node-9`, `root7_local`) rather than part of a name (`alt0`, `Slf4j`, `C1`)
    if digits >= 2 or _NUMBERED.search(core):
        # masked either way; named only when it reads as one id, not as `HTTP/1.1` or a
        # `host/ip:port` pair
        return "" if "/" in core else KIND_ID
    return None


_PREFIX_CHARS: Final = frozenset("<>!=~\u2248\u2264\u2265\u00b1#$\u20ac\u00a3")


def _is_host(name: str) -> bool:
    """Whether the key of `name:port` reads as a host name rather than a word or a file."""
    return (
        _HOSTLIKE.search(name) is not None
        and _LETTER.search(name) is not None
        and not name.endswith(("-", "."))
        and _HEADER_NAME.fullmatch(name) is None
        and _SOURCE_FILE.fullmatch(name) is None
    )


_QUOTES: Final = "\"'`"


def _quoted_whole(token: str, start: int, end: int) -> tuple[str, str, int, int] | None:
    """`_mask`'s reading of a token quoted whole whose value begins or ends in a bracket or other
    punctuation that `_mask` strips (`"vm.memory.size[available]"`, `"[eth0]"`, `'f(x)',`,
    `"Done."`): what the writer put between the quotes is one value, as for a quoted word, though
    the leading or trailing punctuation that `_mask` strips runs past the quotes (asked only of a
    token with leading punctuation, where a quote may be). One quote opens it among the leading
    characters and the same quote closes it among the trailing ones, with no such quote between; the
    rest of the token's ends stays as written. An unquoted bracket keeps its reading (`[eth0]` is a
    list). A value of punctuation alone (`"::"`, `')'`, `'('`) is one too: there the leading and
    trailing punctuation meet, and the closing quote is looked for where the trailing begins
    (`'('`'s leading punctuation is all of it), so an opening bracket reads as a closing one does;
    an empty pair (`''`, `('')`) holds no value."""
    opening = next((k for k in range(start) if token[k] in _QUOTES), -1)
    if opening < 0:
        return None
    quote = token[opening]
    # where the trailing punctuation begins: `end`, unless the value is punctuation alone
    tail = end if end > start else len(token.rstrip(_TRAIL))
    closing = token.find(quote, max(tail, opening + 1))
    if closing <= opening + 1 or quote in token[opening + 1 : closing]:
        return None
    masked = f"{token[: opening + 1]}{WILDCARD}{token[closing:]}"
    return masked, "", opening + 1, len(token) - closing


def _mask(token: str, depth: int = 0) -> tuple[str | None, str, int, int]:
    """(masked token or None when kept, kind of the value, punctuation before and after it)."""
    start, end = 0, len(token)
    while start < end and token[start] in _LEAD:
        start += 1
    while end > start and token[end - 1] in _TRAIL:
        end -= 1
    if (
        start
        and token[start - 1] == "<"
        and start < end
        and (token[start].isdigit() or token[start] == "=")
        and ">" not in token[end:]
    ):  # `<1` is a comparison, not an opening bracket (`<memory:0,` and `<12>` are, and so is
        # `<12>:`, closed before the token's last punctuation)
        start -= 1
    core = token[start:end]
    if (
        start
        and token[start - 1] in _QUOTES
        and end < len(token)
        and token[end] == token[start - 1]
        and core
        and " " not in core
    ):  # a quoted word is a name the writer marked as a value: `table 'users'`, `"eu-west"`
        return f"{token[:start]}{WILDCARD}{token[end:]}", "", start, len(token) - end
    if start and (quoted := _quoted_whole(token, start, end)) is not None:
        return quoted
    if not core:
        if start and end == start and _OPENERS.get(token[start - 1]) == token[start : start + 1]:
            # an empty list, `()` `[]` `{}`, is the same value as a full one: `(<*>)`
            return f"{token[:start]}{WILDCARD}{token[start:]}", "", start, len(token) - start
        return None, "", 0, 0
    if (
        ":" in core
        and core[0].isalnum()
        and (m := _HOST_PORT.fullmatch(core)) is not None
        and _is_host(m.group(1))
    ):  # before `key:value`: the host is a variable too (`redis-master:6379`)
        return f"{token[:start]}{WILDCARD}{token[end:]}", KIND_HOST, start, len(token) - end
    if (
        depth < 3
        and ("=" in core or ":" in core)
        and ("://" not in core or -1 < core.find("=") < core.find("://"))
    ):
        # `key=value`, `key:value`, nested (`headroom=<memory:0,`): the key stays, so
        # `AssignedMaps:1` and `AssignedMaps:10` mask alike; a URL's `scheme:` is no key, but a
        # key before one is (`redirect_uri="https://...",`, `url=http://...`)
        m = _KEY_VALUE.fullmatch(core)
        if m:
            value = m.group(2)
            if value.rstrip(_TRAIL).lower() in _SWITCHES:  # `enabled=yes`: a value here
                key_end = start + m.end(1)
                rest = len(value) - len(value.rstrip(_TRAIL))
                return (
                    f"{token[:key_end]}{WILDCARD}{value[len(value) - rest :]}{token[end:]}",
                    "",
                    key_end,
                    len(token) - end + rest,
                )
            # judged with the token's closing punctuation, which closes a quoted value too
            # (`probeType="Liveness"`: the token's core lost its closing quote)
            masked, value_kind, lead, trail = _mask(value + token[end:], depth + 1)
            key_end = start + m.end(1)
            if masked is not None:
                if (
                    m.group(1)[-1] == "="
                    and value[:1].isalpha()
                    and masked[lead - 1 : lead] == ":"
                    and infer_severity(value[: lead - 1]) is None
                ):
                    # after `=`, a value that reads as `name:value` is one value all the same
                    # (`check=service:web-1`, `check=service:web-proxy:2`, `check=mem-util`:
                    # one field's values), its closing punctuation kept as the masked value's;
                    # not when the name says a severity (`outcome=failure:503`)
                    after = masked[lead + len(WILDCARD) :]
                    return f"{token[:key_end]}{WILDCARD}{after}", "", key_end, trail
                return f"{token[:key_end]}{masked}", value_kind, key_end + lead, trail
            if (
                m.group(1)[-1] == "="
                and m.group(1)[-2:-1] not in "<>!="
                and not _NESTED.search(value)
                and m.group(1)[:-1] not in _MESSAGE_KEYS  # `msg=started`: the event's text
            ):
                # after `=`, a word is the field's value (`user=alice`, `reason=card_expired`,
                # `host=[local]`) however few its values; `key:word` stays (`Error:timeout`).
                # The whole value is masked; of the punctuation after it, what closes the
                # token's own opening (`(user=bob)`) or ends a list (`,`) stays.
                quote = value[:1] if value[:1] in _QUOTES else ""  # opens a quoted phrase
                closer = _BRACKETS.get(value[:1], "")
                if (
                    closer
                    and token.startswith(closer, end)
                    and value.find(closer) < 0
                    and value.find(value[0], 1) < 0
                ):  # one value in angle brackets: they stay, as an id's do (`msgid=<<*>>`)
                    beyond = token[end + 1 :]
                    after = beyond if start else beyond.lstrip(_CLOSING)
                    return (
                        f"{token[:key_end]}{value[0]}{WILDCARD}{closer}{after}",
                        "",
                        key_end + 1,
                        # all of the token after the value: the closers left out of the mask
                        # follow the `>`, not the value (`_balanced` reads the token there)
                        len(token) - end,
                    )
                suffix = token[end:] if start else token[end:].lstrip(_CLOSING)
                return (
                    f"{token[:key_end]}{quote}{WILDCARD}{suffix}",
                    "",
                    key_end + len(quote),
                    len(suffix),
                )
    kind = _value_kind(core)
    if kind is not None:
        return f"{token[:start]}{WILDCARD}{token[end:]}", kind, start, len(token) - end
    return None, "", 0, 0


def _kind(token: str) -> str:
    """The header kind letter of a token (see the module docstring)."""
    first = token[0]
    if first == "[" or token[-1] == "]":
        opened, closed = token.count("["), token.count("]")
        inner = token.strip("[]")
        if opened == closed and first == "[" and token[-1] == "]":
            if _TIMESTAMP.fullmatch(inner):
                return "T"
            if inner.lower() in _LEVEL_WORDS:
                return "L"
            return "B"
        if opened > closed:
            if inner in _NAMES or _TIMESTAMP.fullmatch(inner) or _SHORT_DATE.fullmatch(inner):
                return "Q"
            return "O"
        if closed > opened:
            return "X"
    if first == "<" and token[-1] == ">" and token[1:-1].lower() in _LEVEL_WORDS:
        return "L"
    if token in _BARE_LEVELS:
        return "L"
    if len(token) == 5 and _GLOG.fullmatch(token):
        return "E"
    if token[-1] == ":" and token[:-1] in _COLON_LEVELS:
        return "L"
    if token in _SEPARATORS:
        return "S"
    if token == "|":
        return "I"
    if token in _ZONES or (token[0] in "+-" and token[1:].isdigit() and len(token) == 5):
        return "Z"
    if token.rstrip(",.") in _NAMES:
        return "M"
    if token.rstrip(_TRAIL) in _UNITS:
        return "U"
    if first.isdigit() or (first in "+-" and token[1:2].isdigit()):
        if token.lstrip("+-").isdigit() and len(token) not in (10, 13):
            # six digits may be half of a `yyMMdd HHmmss` timestamp (DD in the grammar)
            return "D" if len(token) == 6 else "N"
        if _TIMESTAMP.fullmatch(token):
            return "T"
        if _SHORT_DATE.fullmatch(token):
            return "A"
    if len(token) == 1 and token in _LETTER_LEVELS:
        return "V"
    if token == "SELECT":
        return "P"
    if token in _SQL_VERBS:
        return "Y"
    if token in _SQL_CLAUSES:
        return "F"
    # (each tag and dotted name only where it may be one: a pid in brackets, a closing `:`, a dot)
    if "[" in token and _PID_TAG.fullmatch(token):
        return "K"
    if token[-1] == ":" and _PLAIN_TAG.fullmatch(token):
        return "J"
    if token[-1] == ":" and _DOTTED.fullmatch(token, 0, len(token) - 1):
        return "C"
    if "." in token and _DOTTED.fullmatch(token):
        return "G"
    if _HOST.fullmatch(token) and _DIGIT.search(token):
        return "H"
    return "W"


# A quote opens a phrase at a token's start or after `=`, `:` or a bracket (`"Mozilla/5.0`,
# `output="Get`); a phrase closes at a token that ends with the same quote, unescaped, before
# its closing punctuation (`Safari/537.36"`, `headers)",`).
_OPENING: Final = re.compile(r"""(?:^|(?<=[=:(\[{]))(["'])""")
_CLOSERS: Final = ",;.:!?)]}>"
MAX_PHRASE: Final = 64  # tokens a quoted phrase may span


def _quotes(token: str) -> tuple[str, str]:
    """(the quote `token` opens a phrase with, or ""; what it closes a phrase with from its
    closing quote on, or ""); a token quoted whole (`'users'`, `key="a"`) does neither."""
    if '"' not in token and "'" not in token:  # the common case, at C speed
        return "", ""
    opening = _OPENING.search(token)
    end = len(token.rstrip(_CLOSERS)) - 1
    quoted = end >= 0 and token[end] in "\"'" and (end == 0 or token[end - 1] != "\\")
    if opening is not None:
        if quoted and end > opening.start(1) and token[end] == opening.group(1):
            return "", ""
        return opening.group(1), ""
    return "", token[end:] if quoted else ""


# A document's opening brace: at a token's start or after `:` or `=` (`{`, `locks:{`, `x={a:`).
_DOCUMENT: Final = re.compile(r"(?:^|(?<=[=:]))\{")


def _braces(token: str) -> tuple[str, str, int]:
    """(`{` once per brace a token leaves open, when it opens a document (`_DOCUMENT`); `}` once
    per brace it closes more than it opens, then the punctuation after its last brace; where
    the document's brace is, or -1). A token whose braces balance (`{}`, `{a:1}`, `{file.py:12}`)
    does neither: it is one token already. For `_brace_tails`."""
    net = token.count("{") - token.count("}")
    if net > 0:
        opening = _DOCUMENT.search(token)
        if opening is not None:
            return "{" * net, "", opening.start()
    elif net < 0:
        last = token.rfind("}")
        after = token[last + 1 :]
        if not any(c.isalnum() for c in after):
            return "", "}" * -net + after, -1
    return "", "", -1


_interned: Final[dict[Token, Token]] = {}
# `key="value"` (klog's and logfmt's fields): a key without digits, a quoted value of word
# characters and `/-.@+` that starts and ends with a word character, then `,` or `;` or
# nothing. Every rule reads such a token by its key and that ending alone (the value is a
# quoted word, masked whole, of no kind worth naming; the token is a word and closes the quote
# it opens), so tokens of one key and ending classify alike, whatever their values
# (`tests/agents/skills/test_logparse.py` checks it).
_QUOTED_FIELD: Final = re.compile(r'([A-Za-z_][^\d\s=:"]*)="\w(?:[\w/\-.@+]*\w)?"([,;]?)')


_PAIRS: Final = ("[]", "()")


def _balanced(token: str, lead: int, trail: int) -> tuple[int, int]:
    """A masked value's span (`lead`, `trail`: the punctuation before and after it), widened to
    the brackets it opens or closes: `_mask` strips a token's leading and trailing punctuation,
    so a value whose own bracket sits at its end or start lost it (`[::1]:443` read `::1]:443`,
    `sshd[123]:` read `sshd[123`). A bracket is the value's when the value holds more of its
    partner than of it; an aside's brackets around a whole value stay outside it. Counted once
    and kept as the span widens: a token of many brackets is read in linear time."""
    end = len(token) - trail
    value = token[lead:end]
    # of each pair: closers the value holds past its openers (to take openers before it), and
    # openers past its closers (to take closers after it)
    extra = {
        pair: value.count(pair[1]) - value.count(pair[0])
        for pair in _PAIRS
        if pair[0] in value or pair[1] in value
    }
    if not extra:
        return lead, trail
    while True:
        before = token[lead - 1] if lead else ""
        after = token[end] if end < len(token) else ""
        pair = next((p for p in extra if p[0] == before and extra[p] > 0), None)
        if pair is not None:
            lead -= 1
            extra[pair] -= 1
            continue
        pair = next((p for p in extra if p[1] == after and extra[p] < 0), None)
        if pair is None:
            return lead, len(token) - end
        end += 1
        extra[pair] += 1


def _classify(token: str) -> Token:
    masked, value_kind, lead, trail = _mask(token)
    if masked is not None and (
        (lead and token[lead - 1] in "[(") or (trail and token[len(token) - trail] in "])")
    ):  # a bracket beside the value, which may be the value's
        wide_lead, wide_trail = _balanced(token, lead, trail)
        if (wide_lead, wide_trail) != (lead, trail):
            lead, trail = wide_lead, wide_trail
            masked = f"{token[:lead]}{WILDCARD}{token[len(token) - trail :]}"
    kind = _kind(token)
    tail = ""
    if kind == "U":
        tail = token[len(token.rstrip(_TRAIL)) :]
    elif kind == "M":
        tail = token[len(token.rstrip(",.")) :]
    opens, closes = _quotes(token)
    if not (opens or closes) and ("{" in token or "}" in token):
        opens, closes, opened = _braces(token)
        if opened >= 0:  # a document opens here: what comes before its brace is its key
            key = token[:opened]
            # unless it holds a digit (`map[1:{`): a masked form holds none, or every token of
            # its shape would read as the first one classified did
            masked = (key if _DIGIT.search(key) is None else "") + WILDCARD
    info = _new_token((kind, masked, value_kind, lead, trail, opens, closes, tail))
    # one object per classification: a line plan's key, a tuple of them, compares by identity
    return _interned.setdefault(info, info)


_WORD: Final = _classify("word")
# Alphabetic words of another kind than W; every other alphabetic word is a plain, kept word.
_SPECIAL_WORDS: Final = (
    _BARE_LEVELS
    | _ZONES
    | _NAMES
    | _UNITS
    | _BOOLEANS
    | frozenset(_LETTER_LEVELS)
    | _SQL_VERBS
    | _SQL_CLAUSES
    | {"SELECT"}
)
_cache: Final[
    dict[str, Token]
] = {}  # by shape (digits read as 0) when not sensitive; a word's is itself
# sensitive tokens by their marked shape, tokens with an id in hex by their id shape
_keyed: Final[dict[str | tuple[str | int | bool, ...], Token]] = {}
# a token that is one id in hex (after `0x`, eight hex digits or more) with punctuation around it
_HEX_TOKEN: Final = re.compile(r"([\"'(\[{<`]*)((?:0[xX])?[0-9a-fA-F]{8,})([\"')\]}>,;.:!?`]*)")


_HEX_LETTER: Final = re.compile(r"[a-fA-F]")


def _is_hexy(token: str, shape: str) -> bool:
    """Whether a token may hold an id in hex, whose shape changes with every id: eight characters
    or more, with a decimal digit (`0` in its shape) and a hex letter. Only such tokens share
    classifications by id shape (a word, or a number, has a stable shape)."""
    return len(token) >= 8 and "0" in shape and _HEX_LETTER.search(token) is not None


# A UUID (8-4-4-4-12 hex digits) with two decimal digits or more and a hex letter before its
# third dash reads alike whatever its digits and letters, but for whether its first character is
# a decimal digit: no rule's match takes such a piece in but as part of an id. Its two digits make
# its token an id (masked whole: the masked form holds none of the piece); no `key=`/`key:` spans
# it (a key holds no digit); `_NUMBER` (and so `_PREFIXED`) allows no letter followed by two
# dashes; `_HEX`, `_IP` and `_TIMESTAMP` allow no dash followed by twelve hex digits; a host name
# holding it (`_HOST_PORT`) has a letter, a dash and a digit, so is no HTTP header name nor a
# source file; no rule reads a hex letter's case. Only where a rule reads one character as a
# letter or a digit (a token's start, after `.`, `@`, `<`, `#`) may its first character be read.
# So such a piece is replaced by the canonical one whose first character is of the same class
# before a token or a line is looked up (`_canonical_ids`; `tests/agents/skills/test_logparse.py`
# and a fuzzer check it). UUIDs are found in the shape with its hex letters read as 0 too
# (`_HEXED`): there every UUID is `_UUID_HEXED`, a fixed string, found at C speed (a regex for
# the UUID's dashes and hex runs scanned the line a character at a time: 1.5 µs on an OpenStack
# line, a fifth of the whole analysis of such lines).
_DIGIT_FIRST_BYTES: Final = b"0a000000-0000-0000-0000-000000000000"
_LETTER_FIRST_BYTES: Final = b"a0000000-0000-0000-0000-000000000000"
_HEXED: Final = bytes.maketrans(b"abcdefABCDEF", b"000000000000")  # for a shape's translate
_UUID_HEXED: Final = b"00000000-0000-0000-0000-000000000000"


def _uuid_spots(shape: bytes, hexed: bytes, a: int) -> list[tuple[int, bytes]]:
    """Where a line's or a token's shape (UTF-8) has UUIDs that read alike whatever their digits
    and letters, each with its canonical UUID: the shape's digits are 0s, which is all the choice
    reads of them, so the spots of the text and of its shape are the same. `hexed` is
    `shape.translate(_HEXED)`, `a` where `_UUID_HEXED` is first in it (-1: nowhere). A UUID
    that does not read alike is passed over by one character: no UUID can start inside another
    but in its last eight, so none is missed."""
    spots: list[tuple[int, bytes]] = []
    while a >= 0:
        piece = shape[a : a + 36]
        if piece.count(b"0") >= 2 and piece[:18].strip(b"0-"):
            spots.append((a, _DIGIT_FIRST_BYTES if piece[0] == 0x30 else _LETTER_FIRST_BYTES))
            a = hexed.find(_UUID_HEXED, a + 36)
        else:
            a = hexed.find(_UUID_HEXED, a + 1)
    return spots


def _spots_in(shape: bytes) -> list[tuple[int, bytes]]:
    """`_uuid_spots` of a line's or a token's shape (UTF-8, digits read as 0), found from the
    start: none unless it is long enough and has the dashes of one UUID."""
    if len(shape) < 36 or shape.count(b"-") < 4:
        return []
    hexed = shape.translate(_HEXED)
    first = hexed.find(_UUID_HEXED)
    return _uuid_spots(shape, hexed, first) if first >= 0 else []


def canonical_shape(shape: bytes) -> bytes:
    """A line's shape (UTF-8, digits read as 0) as `_parse_text` looks its plan up: with each
    UUID that reads alike whatever its digits and letters (`_uuid_spots`) canonical, so lines
    that differ only there share it; `shape` itself when it has none."""
    spots = _spots_in(shape)
    return _with_spots(shape, spots) if spots else shape


def _with_spots(text: bytes, spots: list[tuple[int, bytes]]) -> bytes:
    """`text` (a line or its shape, UTF-8) with the canonical UUIDs of `_uuid_spots` put in."""
    parts: list[bytes] = []
    at = 0
    for a, canonical in spots:
        parts += (text[at:a], canonical)
        at = a + 36
    parts.append(text[at:])
    return b"".join(parts)


def _canonical_ids(text: str, shape: str) -> str | None:
    """`text` (a token) with each UUID that reads alike whatever its digits and letters
    (`_uuid_spots`, on `shape`: `text`'s shape) replaced by the canonical one, or None when
    there is none to replace."""
    spots = _spots_in(shape.encode("utf-8", "surrogatepass"))
    if not spots:
        return None
    encoded = text.encode("utf-8", "surrogatepass")
    canonical = _with_spots(encoded, spots)
    return None if canonical == encoded else canonical.decode("utf-8", "surrogatepass")


def _shared(token: str, shape: str, key: tuple[str | int | bool, ...]) -> Token:
    """`_classify(token)`, shared by every token of `key` (what its rules read of it: a hex id's
    `hex_key`, a quoted field's key and ending), and cached by the token's shape too
    (`_by_shape`: the same token may come back)."""
    info = _keyed.get(key)
    if info is None:
        info = _classify(token)
        if len(_keyed) >= CACHE_LIMIT:
            clear_caches()
        _keyed[key] = info
    return _by_shape(shape, info)


def _by_shape(shape: str, info: Token) -> Token:
    """`info`, cached for the tokens of `shape` unless the shape is sensitive (`_LITERAL_PAIRS`:
    a digit's value is read, so the shape alone does not decide)."""
    if not _sensitive(shape):
        if len(_cache) >= CACHE_LIMIT:
            clear_caches()
        _cache[shape] = info
    return info


def token_info(token: str, shape: str | None = None) -> Token:
    """`_classify(token)`, cached by the token's shape (its digits read as 0): every rule reads
    digits only as digits, so tokens of one shape classify alike, and a word is its own shape;
    a sensitive shape (`_LITERAL_PAIRS`) is replaced by the marked one. Hex ids (UUIDs, hashes)
    have a shape of their own each; they are cached by their id shape too (`id_shape_of`).
    `shape` saves the translation when the caller has it, and so does a token found as it is:
    only shapes are keys, and a token that is a shape (no digit but 0) is its own."""
    if shape is None:
        info = _cache.get(token)
        if info is not None:
            return info
        shape = shape_of(token)
    info = _cache.get(shape)
    if info is not None:
        return info
    if (
        token.isalpha()
        and token not in _SPECIAL_WORDS
        and (len(token) < 8 or not _HEX.fullmatch(token))
    ):
        info = _WORD  # the common case, and the unbounded one (names, words): no regex
        if len(_cache) >= CACHE_LIMIT:
            clear_caches()
        _cache[shape] = info
        return info
    if '="' in token:
        field = _QUOTED_FIELD.fullmatch(token)
        if field is not None:  # `key="value"`: classified by its key and what follows
            return _shared(token, shape, ("=", field.group(1), field.group(2)))
    if _is_hexy(token, shape):
        whole = _HEX_TOKEN.fullmatch(token)
        if whole is not None:  # one id in hex and punctuation: what its rules read of it
            lead, core, trail = whole.groups()
            hex_key = (
                lead,
                trail,
                len(core),
                core[0].isdigit(),
                core[:2] in ("0x", "0X"),
                _NUMBER.fullmatch(core) is not None,
                sum(map(str.isdigit, core)) >= 2,
            )
            return _shared(token, shape, hex_key)
        if len(token) >= 36 and token.count("-") >= 4:
            canonical = _canonical_ids(token, shape)
            if canonical is not None:  # classifies as `token` does (`_uuid_spots`)
                return _by_shape(shape, token_info(canonical))
    sensitive = _sensitive(shape)
    key = marked_shape_of(token) if sensitive else shape
    if _is_hexy(token, key):
        key = id_shape_of(key)
    keyed = sensitive or key != shape
    if keyed:
        info = _keyed.get(key)
        if info is not None:
            return info
    info = _classify(token)
    if len(_cache) >= CACHE_LIMIT or len(_keyed) >= CACHE_LIMIT:
        clear_caches()
    # a masked form never holds a digit nor a letter of an id (keys of `key=value` have no
    # digits), so what is cached for a shape holds for every token of that shape
    if keyed:
        _keyed[key] = info
    if not sensitive:
        _cache[shape] = info
    return info


def clear_caches() -> None:
    """Forget every cached token and line plan (benchmarks measure a cold start with it). The
    interned classifications stay while plans may hold their identities: they go only when
    there are too many (a hostile input), and the plans with them."""
    _cache.clear()
    _keyed.clear()
    _error_keys.clear()
    _logfmt_keys.clear()
    _marked_shapes.clear()
    _plans.clear()
    _more_shapes.clear()
    _bare_marked_shapes.clear()
    _bare_plans.clear()
    _bare_more_shapes.clear()
    _id_plans.clear()
    _bare_id_plans.clear()
    _classified_lines[0] = 0
    if len(_interned) >= CACHE_LIMIT:
        _interned.clear()
        _interned[_WORD] = _WORD


# ---------------------------------------------------------------- lines


# `Parsed`'s fields as a plain tuple (`parse_fields`)
Fields = tuple[
    Sequence[str], str | None, str | None, bool, tuple[str, ...], tuple[tuple[str, str], ...]
]


class Parsed(NamedTuple):
    """A line split into header facts and the message clustering sees."""

    tokens: Sequence[str]  # the message's tokens
    timestamp: str | None  # as written in the line
    severity: str | None  # one of SEVERITIES, from the header
    header: bool  # a header (or a structured format) was recognised
    signature: tuple[str, ...]  # the message's tokens, variables masked
    values: tuple[tuple[str, str], ...]  # (kind, value) of the masked values worth naming

    @property
    def message(self) -> str:
        return " ".join(self.tokens)


# `Parsed(*fields)` without the Python-level `__new__` of a named tuple (the same object)
_new_parsed: Final = cast("Callable[[tuple[Any, ...]], Parsed]", partial(tuple.__new__, Parsed))


class _Plan(NamedTuple):
    """How to read every line whose tokens classify as one line did: where the message starts,
    where the timestamp is, the signature of the line it was made for, which of its tokens
    another line must supply, and where the values worth naming are."""

    start: int
    ts_start: int
    ts_end: int  # 0: no timestamp
    level_at: int  # where the level is (-1: none); its word differs between lines of a plan
    header: bool
    signature: tuple[str, ...]
    digits: tuple[int, ...]  # kept tokens with digits: differ between lines of one shape
    masks: tuple[str | None, ...]  # masked form of each token, None for a kept one
    # (position, kind, lead, end): the value is `token[lead:end]` (end: minus the trailing
    # punctuation's length, None for none)
    values: tuple[tuple[int, str, int, int | None], ...]


# `_Plan(*fields)` without the Python-level `__new__` of a named tuple (as `_new_parsed`)
_new_plan: Final = cast("Callable[[tuple[Any, ...]], _Plan]", partial(tuple.__new__, _Plan))

# Line plans by the line's shape (digits read as 0, UTF-8 encoded; every token of one shape
# classifies alike, so one line shape reads alike), and by its tokens' classifications (lines
# that differ in their words or hex ids): the tuple of the `Token`s, which a plan is made of (as
# cheap to look up as a tuple of their `id`s, which takes a new int per token, and which could
# not outlive them). Emptied with the token caches.
_plans: Final[dict[bytes | tuple[Token, ...], _Plan]] = {}
_more_shapes: Final[dict[bytes | tuple[Token, ...], _Plan]] = {}
# plans for sensitive line shapes, by the shape, then by the marked shape of the line they were
# made for (several: lines of one shape whose literal digits differ, `0x` beside `1x`, take
# turns in a log, and one kept plan a shape would be made again at every turn). A literal digit
# is marked one of two ways, so a line with one has two variants at most: MARKED_VARIANTS per
# shape (emptied when full), CACHE_LIMIT plans in all.
_marked_shapes: Final[dict[bytes, dict[bytes, _Plan]]] = {}
MARKED_VARIANTS: Final = 8
# the same three for messages whose header was read apart (`_parse_text(headers=False)`: a
# learned header's, syslog's RFC 5424): a message is planned without looking for a header in it,
# so its plans are not those of a whole line of the same shape
_bare_plans: Final[dict[bytes | tuple[Token, ...], _Plan]] = {}
_bare_more_shapes: Final[dict[bytes | tuple[Token, ...], _Plan]] = {}
_bare_marked_shapes: Final[dict[bytes, dict[bytes, _Plan]]] = {}
# Plans for lines with an id in hex (a session id, a container id, a hash: a line shape of its
# own each), by the line's id key (`_id_key`), and their bare twin.
_id_plans: Final[dict[bytes, _Plan]] = {}
_bare_id_plans: Final[dict[bytes, _Plan]] = {}
_EIGHT_HEX: Final = b"00000000"  # eight hex digits in a row, once hex letters are read as 0
# Making a line's id key costs about 1.5 µs, which pays where lines with ids keep coming (a
# ZooKeeper log's session ids: 8 µs a line classified, 5 µs by its id key), not on a short log
# whose every line is new (a cold 2,000-line run of BGL's or OpenStack's lines was 10 to 25%
# slower with keys from the start): keys are looked for once ID_KEYS_AFTER lines were classified
# since the caches were last emptied (`_classified_lines`).
ID_KEYS_AFTER: Final = 8192
_classified_lines: Final = [0]
MAX_SHAPE_KEY: Final = 400


def _level(word: str) -> str:
    return _LEVEL_WORDS.get(word.strip("[]<>:| \t").lower(), "info")


def _split_pipes(tokens: list[str]) -> tuple[list[str], list[int]]:
    """Tokens with `|` split out of the first ones, and for each piece the index of the token it
    came from (so the message keeps `a|b` as one token)."""
    pieces: list[str] = []
    origin: list[int] = []
    for i, token in enumerate(tokens):
        if i < 8 and "|" in token and token != "|":
            for j, part in enumerate(token.split("|")):
                if j:
                    pieces.append("|")
                    origin.append(i)
                if part:
                    pieces.append(part)
                    origin.append(i)
        else:
            pieces.append(token)
            origin.append(i)
    return pieces, origin


def parse_line(line: str) -> Parsed:
    """The header facts, message and masked signature of one raw line (line end allowed)."""
    return _new_parsed(parse_fields(line))


def _logfmt_first(stripped: str) -> bool:
    """Whether a line's first token is `key=value` (the line may be logfmt)."""
    equals = stripped.find("=")
    return equals > 0 and (equals < stripped.find(" ") or " " not in stripped)


def parse_fields(line: str) -> Fields:
    """`parse_line(line)`'s fields as a plain tuple: what `agents.skills.logs` reads of every
    line (a named tuple costs several times as much to make and to free)."""
    stripped = line.strip()
    first = stripped[:1]
    if first == "{":
        structured = _parse_json(stripped)
        if structured is not None:
            return structured
    elif first == "<":
        m = _RFC5424.match(stripped)
        if m:
            message, _, _, _, signature, values = _parse_text(
                (m.group("msg") or "").strip(), headers=False
            )
            severity = _PRI_SEVERITY[int(m.group("pri")) % 8]
            return Parsed(message, m.group("ts"), severity, True, signature, values)
    elif first.isdigit() and stripped[10:11] == "T":
        m = _CRI.match(stripped)
        if m:
            tokens, _, level, _, signature, values = parse_fields(m.group("msg"))
            return _new_parsed((tokens, m.group("ts"), level, True, signature, values))
    elif (first.isalpha() or first == "_") and _logfmt_first(stripped):
        structured = _parse_logfmt(stripped)  # a first token `key=value`: maybe logfmt
        if structured is not None:
            return structured
    return _parse_text(stripped)


# ---------------------------------------------------------------- learned headers

LEARN_LINES: Final = 200  # lines a source's header shape is learned from
LEARN_SHARE: Final = 0.9  # share of those lines a header field must fit
_MAX_LEARNED: Final = 10  # header tokens at most
_CLOCK: Final = re.compile(r"\d{1,2}:\d{2}")  # a time of day somewhere in a token
# kinds read alike when matching a learned header: a number of 6 digits is a number
_SAME_KIND: Final = str.maketrans("D", "N")
_FIELD_ENDS: Final = ":]>|)"


class HeaderShape(NamedTuple):
    """A header learned from a source's first lines (`learn_header`): the kind letters of its
    tokens, where its timestamp is (start, end; end 0 for none) and its level (-1 for none)."""

    kinds: str
    ts_start: int
    ts_end: int
    level_at: int


def learn_header(
    lines: Sequence[str], *, parses: dict[str, Fields] | None = None
) -> HeaderShape | None:
    """The header shape of a source the grammar does not know, learned from its first lines
    (at most `LEARN_LINES`), or None when the grammar reads most of them already or no shape
    holds. A header is the longest run of leading tokens that
    - have one kind each (`_kind`'s letters) in at least `LEARN_SHARE` of the lines;
    - end with a field delimiter (a token ending in `:`, `]`, `>`, `|` or `)`, or a separator
      such as `-`) in that share of the lines: a header ends where its writer put a delimiter,
      the message's first word does not;
    - hold a time of day (a token with `hh:mm`), which is what makes it a header and not the
      message's constant first words;
    and leave a message in that share of the lines. This is how the kinds of a new format are
    read without a rule for it: `[06.13 10:14:02] prog.exe *64 -`, `2024/01/02-10:11:12.1 web7
    app(v1.2) <3> |`, logcat's `03-17 16:13:38.811 1702 2395 D Tag:`.
    `parses`, when given, receives `parse_fields` of each line read (by the stripped line), for
    a caller that parses the same lines next."""
    sample = [line.strip() for line in lines if line.strip() and line[:1] not in " \t"]
    sample = sample[:LEARN_LINES]
    if len(sample) < 8:
        return None
    if parses is None:
        parses = {}
    headers = 0
    for line in sample:
        parsed = parses.get(line)
        if parsed is None:
            parsed = parses[line] = parse_fields(line)
        headers += parsed[3]  # `Parsed.header`
    if headers >= len(sample) / 2:
        return None
    need = LEARN_SHARE * len(sample)
    rows = [line.split(None, _MAX_LEARNED + 1) for line in sample]
    kinds: list[str] = []
    for p in range(_MAX_LEARNED):
        column = Counter(
            [token_info(row[p]).kind.translate(_SAME_KIND) for row in rows if p < len(row) - 1]
        )
        if not column:
            break
        kind, n = column.most_common(1)[0]
        if n < need:
            break
        kinds.append(kind)
    end = 0
    for p in range(len(kinds)):
        ended = sum(
            1
            for row in rows
            if p < len(row) - 1 and (row[p][-1] in _FIELD_ENDS or row[p] in _SEPARATORS)
        )
        if ended >= need:
            end = p + 1
    if not end:
        return None
    clocks = [p for p in range(end) if sum(1 for row in rows if _CLOCK.search(row[p])) >= need]
    if not clocks:
        return None
    ts_start = clocks[0]
    if ts_start > 0 and kinds[ts_start - 1] in "TNAMQ":  # a date before the time
        ts_start -= 1
    level_at = next((p for p in range(end) if kinds[p] in "LV"), -1)
    return HeaderShape("".join(kinds[:end]), ts_start, clocks[-1] + 1, level_at)


def parse_with(line: str, shape: HeaderShape | None) -> Parsed:
    """`parse_line(line)`, or, when `shape` (learned from the line's source) fits the line's
    first tokens, those tokens as its header and the rest as its message."""
    if shape is None:
        return parse_line(line)
    count = len(shape.kinds)
    tokens = line.split(None, count)
    if len(tokens) <= count or any(
        token_info(token).kind.translate(_SAME_KIND) != kind
        for token, kind in zip(tokens, shape.kinds, strict=False)
    ):
        return parse_line(line)
    message, _, severity, _, signature, values = _parse_text(tokens[count].strip(), headers=False)
    timestamp = " ".join(tokens[shape.ts_start : shape.ts_end]).strip("[],") or None
    if shape.level_at >= 0:
        level = tokens[shape.level_at]
        severity = _LETTER_LEVELS[level] if level in _LETTER_LEVELS else _severity(level)
    return Parsed(message, timestamp, severity, True, signature, values)


PIPED_TOKENS: Final = 4  # a `|` among a line's first tokens makes its header piped
# Bracketed header fields written side by side (log4j's `[%d][%-5p][%c]`: Elasticsearch's
# `[2023-11-14T07:42:08,651][INFO ][o.e.n.Node]`): read as separate bracketed tokens
_GLUED_HEAD: Final = re.compile(r"\[[^\[\]]{0,80}\](?:\[[^\[\]]{0,80}\])+")
_BRACKETED: Final = re.compile(r"\[([^\[\]]*)\]")


def _unglued(line: str) -> str:
    """`line` with the bracketed fields it starts with side by side, the first holding a time
    of day (`[10:00:01][b ][c] rest`), written apart and without their padding (`[10:00:01] [b]
    [c] rest`), so each is a token of the header grammar (a bracketed timestamp, a level, a
    logger); `line` itself when it starts otherwise.
    Only lines that `_parse_text` reads with headers, and never through the fast lane
    (`lane_spans` leaves them out: their tokens are not the line's)."""
    head = _GLUED_HEAD.match(line)
    if head is None:
        return line
    inners = _BRACKETED.findall(head.group())
    if _CLOCK.search(inners[0]) is None:  # a header starts with its time: `[a][b]` is prose's
        return line
    fields = " ".join(f"[{inner.strip()}]" for inner in inners)
    return fields + line[head.end() :]


def _glued(line: str) -> bool:
    """Whether `line` (stripped) may start with bracketed fields side by side (`_unglued`)."""
    return line[:1] == "[" and "][" in line[:200]


def _piped(tokens: Sequence[str]) -> bool:
    """Whether a line's header is written between pipes (`ts|component|pid|message`,
    `2024-01-01 10:00:00 | INFO | ...`): a `|` among its first `PIPED_TOKENS` tokens. A `|`
    further on is the message's own (`{ name: "mongo-java-driver|sync" }`)."""
    return any("|" in token for token in tokens[:PIPED_TOKENS])


def _parse_text(line: str, *, headers: bool = True) -> Fields:
    pri_severity: str | None = None
    if line[:1] == "<":
        pri = _PRI.match(line)
        if pri:
            pri_severity = _PRI_SEVERITY[int(pri.group(1)) % 8]
            line = line[pri.end() :]
    if headers and _glued(line):
        line = _unglued(line)
    tokens = line.split(None, MAX_TOKENS)
    if len(tokens) > MAX_TOKENS:
        del tokens[MAX_TOKENS:]
    # `shape_of(line)`, inline and left encoded (line shapes are keys only; the shapes of
    # tokens are decoded when the line is classified)
    encoded = line.encode("utf-8", "surrogatepass")
    line_shape = encoded.translate(_ZERO)
    if headers:
        plans, more_shapes, marked_shapes = _plans, _more_shapes, _marked_shapes
        id_plans = _id_plans
    else:
        plans, more_shapes, marked_shapes = _bare_plans, _bare_more_shapes, _bare_marked_shapes
        id_plans = _bare_id_plans
    plan = plans.get(line_shape) or more_shapes.get(line_shape)
    canonical = False
    id_key: bytes | None = None
    keyed_by_id = False  # whether `id_key` was made (`_id_key`, only once a line needed one)
    if plan is None:
        spots = _spots_in(line_shape)
        if spots:  # keyed by the line with canonical UUIDs from here on
            canonical = True
            line_shape = _with_spots(line_shape, spots)
            plan = plans.get(line_shape) or more_shapes.get(line_shape)
            if plan is None:  # the line's tokens are classified, or its marked shape read
                encoded = _with_spots(encoded, spots)
        if plan is None:
            variants = marked_shapes.get(line_shape)
            if variants is not None:
                plan = variants.get(_marked(encoded, line_shape))
        if (
            plan is None
            and id_plans
            and _classified_lines[0] >= ID_KEYS_AFTER
            and not (headers and _piped(tokens))
        ):
            id_key = _id_key(encoded, line_shape, spots)
            keyed_by_id = True
    id_plan = id_plans.get(id_key) if id_key is not None else None
    if id_plan is not None:  # a line whose tokens classify as another's with ids alike did
        start, ts_start, ts_end, level_at, header, _, _, masks, values_at = id_plan
        message = tokens[start:] if start else tokens
        signature = tuple([mask or token for mask, token in zip(masks, message, strict=True)])
    elif plan is not None:  # a line of this shape: only kept tokens with digits may differ
        start, ts_start, ts_end, level_at, header, signature, digits, _, values_at = plan
        message = tokens[start:] if start else tokens
        if digits:
            copied = list(signature)
            for i in digits:
                copied[i] = message[i]
            signature = tuple(copied)
    else:
        shape_text = line_shape.decode("utf-8", "surrogatepass")
        shapes = shape_text.split(None, MAX_TOKENS)
        if len(shapes) > MAX_TOKENS:  # the unsplit rest of a long line
            del shapes[MAX_TOKENS:]
        keyed = tokens  # the tokens the line is keyed by: its own, or with canonical UUIDs
        if canonical:
            keyed = encoded.decode("utf-8", "surrogatepass").split(None, MAX_TOKENS)
            if len(keyed) > MAX_TOKENS:
                del keyed[MAX_TOKENS:]
        infos, hex_ids = _classified(keyed, shapes)
        _classified_lines[0] += 1
        if headers and _piped(tokens):
            return _parse_piped(tokens, infos, pri_severity)
        key = tuple(infos)
        plan = plans.get(key)
        if hex_ids and not keyed_by_id and _classified_lines[0] >= ID_KEYS_AFTER:
            id_key = _id_key(encoded, line_shape, spots)
        if plan is None:
            plan = _plan(tokens, infos, headers=headers)
            start, ts_start, ts_end, level_at, header, signature, _, _, values_at = plan
            message = tokens[start:] if start else tokens
            if len(plans) >= CACHE_LIMIT:
                clear_caches()
            plans[key] = plan
            if len(line) <= MAX_SHAPE_KEY:
                _remember(encoded, line_shape, plan, plans, marked_shapes, shape_text=shape_text)
        else:  # a line that classifies alike: every kept token may differ
            start, ts_start, ts_end, level_at, header, _, _, masks, values_at = plan
            message = tokens[start:] if start else tokens
            signature = tuple([mask or token for mask, token in zip(masks, message, strict=True)])
            if not hex_ids and len(line) <= MAX_SHAPE_KEY:
                # a shape likely to come back (a line with a hex id has a shape of its own);
                # remembered apart, so as not to crowd out the plans made for new lines
                if len(more_shapes) >= CACHE_LIMIT:
                    more_shapes.clear()
                digits = (
                    ()
                    if line_shape == encoded and b"0" not in encoded  # no digit in the line
                    else tuple(
                        [i for i, m in enumerate(masks) if m is None and _DIGIT.search(message[i])]
                    )
                )
                plan = _new_plan(
                    (start, ts_start, ts_end, level_at, header, signature, digits, masks, values_at)
                )
                _remember(
                    encoded, line_shape, plan, more_shapes, marked_shapes, shape_text=shape_text
                )
        if hex_ids and id_key is not None:  # (a line with hex ids keeps the plan found or made)
            if len(id_plans) >= CACHE_LIMIT:
                id_plans.clear()
            id_plans[id_key] = plan
    values: tuple[tuple[str, str], ...] = ()
    if values_at:
        if len(values_at) == 1:  # the common case, without a comprehension
            ((i, kind, a, end),) = values_at
            values = ((kind, message[i][a:end]),)
        else:
            values = tuple([(kind, message[i][a:end]) for i, kind, a, end in values_at])
    timestamp = None
    if ts_end:
        timestamp = " ".join(tokens[ts_start:ts_end]).strip("[],")
    severity = pri_severity
    if level_at >= 0:
        level = tokens[level_at]
        severity = _severities.get(level) or _severity(level)
    return message, timestamp, severity, header or pri_severity is not None, signature, values


def _id_key(
    encoded: bytes, line_shape: bytes, spots: list[tuple[int, bytes]] | None = None
) -> bytes | None:
    """The key of a line whose tokens hold ids in hex: its marked shape (`_marked`) with its ids
    read as `token_info` reads them (`id_shape_of`). Lines of one key classify alike token by
    token: a token's classification is made from its shape (digits read as 0), its marked shape
    when that is sensitive, its id shape when it may hold an id (`_is_hexy`), or, for a token
    that is one id and punctuation, `hex_key`, whose every part (the punctuation around it, the
    id's length, whether it starts with a digit or `0x`, `_NUMBER` over it, two digits or more)
    its id shape keeps (see `_LONG_HEX`); runs of hex never span white space, so the line's key
    is its tokens' keys side by side (UTF-8 encoded). None when no run of eight hex digits
    (`_LONG_HEX`) is read otherwise than as it is: such a line is planned by its shape.
    `encoded` and `line_shape` are those `_parse_text` looks plans up with (canonical UUIDs in
    both), `spots` where its canonical UUIDs are: a run that meets one is kept as it is (a finer
    key), so that a line whose only ids are UUIDs keeps being planned by its shape, which comes
    back. The runs are found as UUIDs are, in the shape with hex letters read as 0: a regex
    for them scanned the line a character at a time (6 µs on a ZooKeeper line)."""
    hexed = line_shape.translate(_HEXED)
    a = hexed.find(_EIGHT_HEX)
    marked: bytes | None = None
    parts: list[bytes] = []
    at = 0
    while a >= 0:  # `a` starts a run (the first eight in a row), which ends at the first non-0
        end = len(hexed) - len(hexed[a:].lstrip(b"0"))
        in_shape = line_shape[a:end]
        # only a run with a digit (0 in the shape) and a letter reads otherwise (`_collapsed`)
        if (
            b"0" in in_shape
            and in_shape.strip(b"0")
            and not (spots and any(p < end and a < p + 36 for p, _ in spots))
        ):
            if marked is None:
                marked = _marked(encoded, line_shape)
            run = marked[a:end]
            read = _collapsed(run)
            if read != run:
                parts += (marked[at:a], read)
                at = end
        a = hexed.find(_EIGHT_HEX, end)
    if marked is None or not parts:
        return None
    parts.append(marked[at:])
    return b"".join(parts)


def _remember(
    encoded: bytes,
    line_shape: bytes,
    plan: _Plan,
    shapes: dict[bytes | tuple[Token, ...], _Plan],
    marked_shapes: dict[bytes, dict[bytes, _Plan]],
    *,
    shape_text: str,
) -> None:
    """Keep `plan` for the lines of `encoded`'s shape in `shapes`, or, when that shape is
    sensitive, in `marked_shapes` with the marked shape a line must have too (`_marked_shapes`
    or its bare twin). `shape_text` is `line_shape` decoded (`_sensitive` reads text: four
    searches of bytes took 2 µs)."""
    if _sensitive(shape_text):
        variants = marked_shapes.get(line_shape)
        if variants is None:
            if len(marked_shapes) >= CACHE_LIMIT // MARKED_VARIANTS:
                marked_shapes.clear()
            variants = marked_shapes[line_shape] = {}
        elif len(variants) >= MARKED_VARIANTS:
            variants.clear()
        variants[_marked(encoded, line_shape)] = plan
    else:
        shapes[line_shape] = plan


# What every line of one shape shares, read once for the analyzer's fast lane (`lane_spans`):
# its signature, whether it had a header, its severity, where its timestamp is (start, end, when
# it is one stretch of the line; else the spans of its tokens, to be joined by a space; 0, 0 and
# none for no timestamp) and where its values are (kind, start, end), as spans of the line.
LaneSpans = tuple[
    tuple[str, ...],
    bool,
    str | None,
    int,
    int,
    tuple[tuple[int, int], ...],
    tuple[tuple[str, int, int], ...],
]
_TOKEN: Final = re.compile(r"\S+")


def lane_spans(line: str) -> LaneSpans | None:
    """How `parse_fields` reads `line` and every line of its shape (its UTF-8 bytes with digits
    read as 0, line ends and surrounding blanks included), as spans of the line: what
    `agents.skills.logs` needs to count such a line without splitting it. Only for a line that
    `parse_fields` hands to `_parse_text` whole (no JSON, logfmt, CRI, RFC 5424 or priority: told
    as `parse_fields` tells them, by rules that read a digit as a digit, or more strictly) and
    that reads by a plan kept under its shape alone, or under its canonical shape when its
    UUIDs make it so (`canonical_shape`; the plan's own guarantee: one shape reads alike), and
    whose signature has no token of the line in it that may differ (the plan's `digits`).
    None for every other line, which is then read as always: the lane is never a guess."""
    stripped = line.strip()
    first = stripped[:1]
    if not first or first in "{<" or (first.isdigit() and _CRI.match(stripped) is not None):
        return None
    if _glued(stripped):  # read with its fields apart (`_unglued`), its plan under that shape
        return None
    if (first.isalpha() or first == "_") and _logfmt_first(stripped):  # maybe logfmt
        return None
    spans = [m.span() for m in _TOKEN.finditer(stripped)]
    tokens = stripped.split()
    if len(tokens) > MAX_TOKENS or [stripped[a:b] for a, b in spans] != tokens:
        return None
    parse_fields(line)  # planned, if it is not yet
    shape = stripped.encode("utf-8", "surrogatepass").translate(_ZERO)
    plan = _plans.get(shape) or _more_shapes.get(shape)
    if plan is None:  # by its canonical UUIDs, as `_parse_text` looks it up next
        keyed = canonical_shape(shape)
        if keyed is not shape:
            plan = _plans.get(keyed) or _more_shapes.get(keyed)
    if plan is None or plan.digits:  # a sensitive shape, a line of its own, a kept digit
        return None
    start, ts_start, ts_end, level_at, header, signature, _, _, values_at = plan
    lead = len(line) - len(line.lstrip())
    values = []
    for i, kind, a, end in values_at:
        token_start, token_end = spans[start + i]
        x, y, _ = slice(a, end).indices(token_end - token_start)
        values.append((kind, lead + token_start + x, lead + token_start + max(x, y)))
    ts_a = ts_b = 0
    ts_parts: tuple[tuple[int, int], ...] = ()
    if ts_end:
        joined = " ".join(tokens[ts_start:ts_end])
        at, to = spans[ts_start][0], spans[ts_end - 1][1]
        timestamp = joined.strip("[],")
        if not timestamp:  # (an empty timestamp is not none)
            return None
        if stripped[at:to] == joined:  # one stretch of the line
            ts_a = lead + at + len(joined) - len(joined.lstrip("[],"))
            ts_b = ts_a + len(timestamp)
        else:  # tokens more than a space apart (syslog's `Dec  6`): joined as `_parse_text` does
            ts_parts = tuple((lead + a, lead + b) for a, b in spans[ts_start:ts_end])
    severity = None
    if level_at >= 0:
        # `_severity` reads a digit as a digit (glog's `I1206`), or a word in `_LEVEL_WORDS`,
        # whose only words with a digit (`debug1`) make a line's shape sensitive: no plan here
        severity = _severity(tokens[level_at])
    return signature, header, severity, ts_a, ts_b, ts_parts, tuple(values)


def _with_units(masks: list[str | None], infos: Sequence[Token]) -> tuple[str | None, ...]:
    """`masks` with a size unit (kind U) after a masked number masked too: `16.0 B` and
    `2.3 KB` are one value written as two tokens; and with a month name that is also a word
    (`May`, kind M, kept by `_value_kind`) masked beside another part of a date (a masked
    token or a name): `May 5`, `Fri May 13`, but not `May not`. Decided on kinds and masks,
    not words, because a plan serves every line whose tokens classify alike."""
    last = len(masks) - 1
    for i in range(len(masks)):
        if masks[i] is not None:
            continue
        kind = infos[i].kind
        unit = kind == "U" and i and masks[i - 1] is not None
        date = kind == "M" and (
            (i and (masks[i - 1] is not None or infos[i - 1].kind == "M"))
            or (i < last and (masks[i + 1] is not None or infos[i + 1].kind == "M"))
        )
        if unit or date:  # its punctuation from its classification, as every line of a plan's
            masks[i] = WILDCARD + infos[i].tail
    _quoted_tails(masks, infos)
    _brace_tails(masks, infos)
    _sql_tails(masks, infos)
    return tuple(masks)


def _brace_tails(masks: list[str | None], infos: Sequence[Token]) -> None:
    """A document in braces over several tokens (`{ find: "orders", filter: { id: 7 } }`,
    `locks:{ Global: { r: 2 } }`) is one value: from the token that opens it (masked by its
    classification, its key kept) to the one that closes it, the braces counted, every token is
    masked (`collapse` then makes them one variable), whatever the document holds. A document
    that does not close within the message is left as it is but for its opening token. Decided
    on the classifications alone, as `_with_units` is."""
    count = len(masks)
    i = 0
    while i < count:
        opens = infos[i].opens
        if opens[:1] != "{":
            i += 1
            continue
        depth, k = len(opens), i + 1
        while k < count:
            info = infos[k]
            if info.opens[:1] == "{":
                depth += len(info.opens)
            elif info.closes[:1] == "}":
                depth -= len(info.closes) - len(info.closes.lstrip("}"))
                if depth <= 0:
                    break
            k += 1
        if k == count:
            i += 1
            continue
        for m in range(i + 1, k):
            masks[m] = WILDCARD
        masks[k] = WILDCARD + infos[k].closes.lstrip("}")
        i = k + 1


def _sql_tails(masks: list[str | None], infos: Sequence[Token]) -> None:
    """From `SELECT` (kind P) with a token after it, or another SQL statement's first keyword
    (kind Y) followed within `_SQL_REACH` tokens by a clause's (kind F), every token to the end
    of the message is masked (`collapse` then makes them one variable): the statement is the
    value a line logs (`statement: SELECT ...`, `execute S_1: UPDATE t SET ...`), whatever its
    length, as a quoted phrase's text is. A first keyword alone stays a word. Decided on the
    classifications alone, as `_with_units` is."""
    count = len(masks)
    for i in range(count - 1):
        kind = infos[i].kind
        if kind == "P" or (
            kind == "Y"
            and any(infos[k].kind == "F" for k in range(i + 1, min(count, i + 1 + _SQL_REACH)))
        ):
            for k in range(i, count):
                masks[k] = WILDCARD
            return


def _quoted_tails(masks: list[str | None], infos: Sequence[Token]) -> None:
    """In a quoted phrase of several tokens, every token from the first masked one to the one
    that closes the phrase is masked too (`collapse` then makes them one variable): once part of
    a quoted value varies, the rest is that value's text, not the event's (a user agent, an
    error message, a statement in quotes), whatever its length. The words before the first
    masked token stay (`"GET /path HTTP/1.1"` reads `"GET <*> <*>"`). A phrase that opens the
    message is the message itself (klog's `"MountVolume.SetUp succeeded for volume \"x\""`):
    it is left as it is. Decided on the classifications alone, as `_with_units` is."""
    count = len(masks)
    i = 1
    while i < count:
        quote = infos[i].opens
        if not quote:
            i += 1
            continue
        close = next(
            (k for k in range(i + 1, min(count, i + MAX_PHRASE)) if infos[k].closes[:1] == quote),
            None,
        )
        if close is None:
            i += 1
            continue
        first = next((k for k in range(i, close + 1) if masks[k] is not None), None)
        if first is not None:
            for k in range(first + 1, close):
                if masks[k] is None:
                    masks[k] = WILDCARD
            if masks[close] is None:
                masks[close] = WILDCARD + infos[close].closes
        i = close + 1


def _classified(tokens: Sequence[str], shapes: Sequence[str]) -> tuple[list[Token], bool]:
    """The classification of each token of a line, and whether one is an id in hex (such a line
    has a shape of its own: not worth remembering)."""
    cache = _cache
    infos: list[Token | None] = [cache.get(shape) for shape in shapes]
    hex_ids = False
    for i in range(len(infos)):  # (`None in infos` compared each Token with None)
        if infos[i] is None:
            token = tokens[i]
            shape = shapes[i]
            if not hex_ids and _is_hexy(token, shape):
                hex_ids = True
            infos[i] = token_info(token, shape)
    return cast("list[Token]", infos), hex_ids  # every None was filled


def _header(kinds: str, tokens: Sequence[str]) -> tuple[int, int, int, int]:
    """(message start, timestamp start and end (end 0: none), index of the level or -1) of a
    line, from its tokens' kinds (and `tokens`, those kinds' tokens, for one rule)."""
    m = HEADER.match(kinds)
    if not m:
        return 0, 0, 0, -1
    count = m.end()
    pair = m.start("pair")
    if pair >= 0 and (tokens[pair] != "--" or tokens[pair + 1] != ":"):
        # two separators after a level only as Ruby's Logger writes them: any other second one
        # opens the message (`INFO - -> sent`, `INFO - - item`; a word of the line's shape,
        # no digit, so every line of a plan reads alike)
        count -= 1
    if count == len(kinds) and kinds[-1] == "L" and kinds.count("W") > 1 and "T" not in kinds:
        # a level word that ends a line of words with no time is the message's (`job 1 on
        # queue HIGH finished with FAILURE`): no header is written in words (a host's name may
        # be one)
        return 0, 0, 0, -1
    ts_start = ts_end = 0
    run = _TS_RUN.search(kinds, 0, count)
    if run:
        ts_start, ts_end = run.start(), run.end()
    level_at = 0 if kinds[0] == "E" else kinds.find("L", 0, count)
    if level_at < 0:
        letter = _LETTER_LEVEL.search(kinds, 0, count)
        if letter:
            level_at = letter.start()
    return count, ts_start, ts_end, level_at


_LETTER_LEVEL: Final = re.compile("V(?=[JKCWHG])")  # logcat's level letter, before its tag


_severities: Final[dict[str, str]] = {}  # level tokens (a small vocabulary) and their severity


def _severity(token: str) -> str:
    """The severity a level token (`INFO`, `[warn]`, `ERROR:`, glog's `W1129`) names."""
    found = _severities.get(token)
    if found is None:
        if len(token) == 5 and _GLOG.fullmatch(token):
            found = _GLOG_LEVELS[token[0]]
        elif len(token) == 1 and token in _LETTER_LEVELS:
            found = _LETTER_LEVELS[token]
        else:
            found = _level(token)
        if len(_severities) < CACHE_LIMIT:
            _severities[token] = found
    return found


def _plan(tokens: Sequence[str], infos: Sequence[Token], *, headers: bool) -> _Plan:
    start = ts_start = ts_end = 0
    level_at = -1
    if headers and tokens:
        kinds = "".join([info.kind for info in infos[:16]])
        start, ts_start, ts_end, level_at = _header(kinds, tokens)
    message, message_infos = tokens[start:], infos[start:]
    masks = _with_units([info.masked for info in message_infos], message_infos)
    return _Plan(
        start,
        ts_start,
        ts_end,
        level_at,
        start > 0,
        tuple([mask or token for mask, token in zip(masks, message, strict=True)]),
        tuple(i for i, m in enumerate(masks) if m is None and _DIGIT.search(message[i])),
        masks,
        tuple(
            (i, info.value_kind, info.lead, -info.trail if info.trail else None)
            for i, info in enumerate(message_infos)
            if info.value_kind
        ),
    )


def _parse_piped(tokens: list[str], infos: list[Token], pri_severity: str | None) -> Parsed:
    """`_parse_text` for lines with `|` early on (`ts|component|pid|message`): the header is
    read on the pieces between pipes, the message keeps its own pipes. Not cached: rare."""
    pieces, origin = _split_pipes(tokens)
    kinds = "".join([token_info(p).kind for p in pieces[:16]])
    count, ts_start, ts_end, level_at = _header(kinds, pieces)
    severity = _severity(pieces[level_at]) if level_at >= 0 else None
    timestamp = " ".join(pieces[ts_start:ts_end]).strip("[],") if ts_end else None
    start = 0
    if count >= len(pieces):
        start = len(tokens)
    elif count:
        start = origin[count]
        if origin[count - 1] == start:  # the header ends inside a token
            rest = "".join(
                [p for p, o in zip(pieces[count:], origin[count:], strict=True) if o == start]
            ).lstrip("|")
            tokens[start] = rest
            infos[start] = token_info(rest) if rest else _EMPTY
            if not rest:
                start += 1
    message, message_infos = tokens[start:], infos[start:]
    values = tuple(
        (info.value_kind, token[info.lead : len(token) - info.trail])
        for token, info in zip(message, message_infos, strict=True)
        if info.value_kind
    )
    return Parsed(
        message,
        timestamp,
        severity or pri_severity,
        count > 0 or pri_severity is not None,
        tuple([info.masked or token for token, info in zip(message, message_infos, strict=True)]),
        values,
    )


def _json_key(obj: dict[str, Any], keys: Sequence[str], *, numbers: bool) -> str | None:
    """The first of `keys` whose value in `obj` is a string (or a number, booleans too, with
    `numbers`), or None (a loop: a generator's `next` cost more than the lookups)."""
    for key in keys:
        value = obj.get(key)
        if isinstance(value, str) or (numbers and isinstance(value, (int, float))):
            return key
    return None


def _parse_json(line: str) -> Parsed | None:
    """A JSON line (stripped, starting with `{`) read by its message, level and time fields, or
    None when it is not one JSON object: not JSON (a Python dict's repr, a cut line), more
    after the object, or nested deeper than the decoder's recursion allows (`[[[[...`, which
    raised RecursionError out of the analysis), all then read as text.
    The decoder's C scanner is called directly (`_SCAN_ONCE`): `json.loads` goes through three
    Python-level functions and two regex matches for white space around the value, about a
    third of its cost on a pino line. It is what they call; a stripped line has no white space
    around it that JSON's (` \\t\\n\\r`) could skip, so a value that does not end the line is
    the `Extra data` `json.loads` refuses, and no line starting with `{` has the BOM it
    refuses."""
    try:
        obj, end = _SCAN_ONCE(line, 0)
    except (ValueError, StopIteration, RecursionError):
        return None
    if end != len(line) or not isinstance(obj, dict):
        return None
    message_key = _json_key(obj, _JSON_MESSAGE_KEYS, numbers=False)
    level_key = _json_key(obj, _JSON_LEVEL_KEYS, numbers=True)
    time_key = _json_key(obj, _JSON_TIME_KEYS, numbers=True)
    message = obj[message_key] if message_key is not None else None
    level = obj[level_key] if level_key is not None else None
    when = obj[time_key] if time_key is not None else None
    severity = None
    if isinstance(level, str):
        severity = _level(level)
    elif isinstance(level, int) and not isinstance(level, bool):
        # bunyan/pino numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal
        severity = ("debug", "debug", "info", "warning", "error", "critical")[
            min(max(level // 10 - 1, 0), 5)
        ]
    stamp = str(when) if when is not None else None
    if message is None:  # no message field: the keys are the event's shape
        # (the first `MAX_TOKENS` of them, as a logfmt line's pairs and a text line's tokens:
        # a line of 60 KiB holds thousands of keys, and every signature is kept until merged)
        shape = tuple([f"{k}={WILDCARD}" for k in islice(obj, MAX_TOKENS)])
        return Parsed(shape, stamp, severity, True, shape, ())
    # Docker's `log` field holds the application's own line
    keys = _field_keys(obj, (message_key, level_key, time_key))
    return _message_field(message, severity, stamp, (), keys)


# the words of the keys structured loggers write an error under: zap's and logrus's `error`, Go's
# slog and pino's `err`, python-json-logger's `exc_info`, ECS's `error.message`, Serilog's
# `Exception`, log4j's `thrown`
_ERROR_KEY_WORDS: Final = frozenset(
    ("error", "errors", "err", "exception", "exc", "panic", "fatal", "failure", "thrown")
)
_KEY_WORD: Final = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")  # `errorMessage`: error, Message
# what each of those words holds, in any case: a key without any of these is none of them
_ERROR_KEY_HINT: Final = re.compile(r"(?i)err|exc|panic|fatal|failure|thrown")
_error_keys: Final[dict[str, bool]] = {}  # `_error_key`'s, by key


def _field_keys(fields: Iterable[str], header: Sequence[str | None]) -> tuple[str, ...]:
    """The fields of a structured line that say it carries an error (`_ERROR_KEY_WORDS`: `error`,
    `err`, `exc_info`, `error.message`, `errorMessage`), `key=<*>` each in the line's order, that
    its message's template goes on with: the same message with an `error` field and without one
    are two statements, the failure and what went through (etcd's `apply request took too long`
    with a `response` and with an `error`), and the failures would hide among the others. Other
    fields stay out: which a line carries varies with no statement (a trace id in traced requests
    only, a user id once logged in), and each combination would be an event. Not the message,
    level and time fields (`header`); at most `MAX_TOKENS`."""
    keys = [k for k in fields if _error_key(k) and k not in header]
    return tuple([f"{k}={WILDCARD}" for k in keys[:MAX_TOKENS]])


def _error_key(key: str) -> bool:
    """Whether a field's key names an error (`_field_keys`), cached when short (`_kept`): the
    case-blind look for a hint cost about 0.35 µs a key (3 µs of a Prometheus line's 13)."""
    known = _error_keys.get(key)
    if known is None:
        known = _kept(
            _error_keys,
            key,
            _ERROR_KEY_HINT.search(key) is not None  # (most keys, at C speed)
            and key.split() == [key]
            and any(w.lower() in _ERROR_KEY_WORDS for w in _KEY_WORD.findall(key[:64])),
        )
    return known


SHORT_KEY: Final = 64  # characters of a field's key at most for `_kept` to keep what it is


def _kept(cache: dict[str, bool], key: str, known: bool) -> bool:
    """`known`, what a field's key was found to be, kept in `cache` by the key when it is short
    (`SHORT_KEY`: a source repeats a few keys; a hostile line's long ones are read each time),
    the cache emptied when full (`CACHE_LIMIT`)."""
    if len(key) <= SHORT_KEY:
        if len(cache) >= CACHE_LIMIT:
            cache.clear()
        cache[key] = known
    return known


def _message_field(
    message: str,
    severity: str | None,
    when: str | None,
    values: tuple[tuple[str, str], ...] = (),
    fields: tuple[str, ...] = (),
) -> Parsed:
    """A structured line (JSON, logfmt) read by its message field: the message's own parse (an
    application's line, often with a header of its own), under the severity and time the line's
    level and time fields give, when they do, with the values of its other fields after the
    message's, and the keys of its fields that carry an error after its signature (`_field_keys`;
    the message's tokens stay its own: they say its severity when no level field does)."""
    tokens, timestamp, inner_severity, _, signature, inner_values = parse_fields(message)
    if fields:
        signature = (*signature, *fields)
    return _new_parsed(
        (
            tokens,
            when if when is not None else timestamp,
            severity or inner_severity,
            True,
            signature,
            inner_values + values,
        )
    )


# logfmt (Go's slog and logrus, Heroku): `key=value` pairs and nothing else, a value bare or in
# double quotes with backslash escapes; a bare value ending in `,` or `;` is prose's list
# (`tls=off, audit=on;`), not logfmt. A quoted value's characters are matched a run at a time
# (`[^"\\]*(?:\\.[^"\\]*)*`, the same strings as `(?:[^"\\]|\\.)*`, which tried two branches
# a character: most of a logfmt line's cost).
_LOGFMT_PAIR: Final = re.compile(
    r'([A-Za-z_][\w.\-/@]*)=("[^"\\]*(?:\\.[^"\\]*)*"|(?:[^\s"]*[^\s",;])?)(?:\s+|\Z)'
)
_LOGFMT_ESCAPE: Final = re.compile(r"\\(.)")
# the text of `_LOGFMT_ESCAPE`'s group for its `sub`: a template (`r"\1"`) is expanded by
# Python-level code of `re` for each match, about a seventh of a Prometheus line's time (1.9 µs
# of 12.8), where values hold escaped quotes
_ESCAPED: Final = operator.itemgetter(1)
LOGFMT_MIN_PAIRS: Final = 2


def _logfmt_pairs(line: str) -> list[tuple[str, str]] | None:
    """The pairs of a logfmt line, each key with its value (a quoted one without its quotes, its
    escapes read), or None when the line is not pairs alone: what matching `_LOGFMT_PAIR` where
    the last pair ended gives, pair after pair, up to the line's end (the reference, against
    which `tests/agents/skills/test_logparse.py` checks this on generated lines), read with string
    methods instead. A key ends at the first `=` (no key holds one) and is checked whole
    (`_logfmt_key`); a quoted value ends at its first `"` not escaped; a bare value at white
    space (`\\s`'s, which is `str.isspace`'s), holding no `"` and ending in no `,` or `;`; white
    space or the end follows each. Those ends are the only ones the regex can take (it could
    give none of them back and still match), so the pairs are its pairs. Linear in the line.
    The regex matched pair by pair cost about 110 instructions a character of a Prometheus
    line (a fullmatch of the whole line as many: its classes are tested a character at a time),
    which were most of a logfmt line's time."""
    pairs: list[tuple[str, str]] = []
    n = len(line)
    at = 0
    plain = line.isascii() and not _other_space(line)  # its only white space is " "
    space = -1  # the first " " at or after the last bare value's start (`n`: none)
    while at < n:
        eq = line.find("=", at)
        if eq < 0:
            return None
        name = line[at:eq]
        if not _logfmt_key(name):
            return None
        start = eq + 1
        if start < n and line[start] == '"':
            start += 1
            scan = start
            escaped = False
            end = line.find('"', scan)
            while True:  # the first `"` that no backslash escapes, each found once
                if end < 0:
                    return None
                slash = line.find("\\", scan, end)
                if slash < 0:
                    break
                if slash + 1 >= n or line[slash + 1] == "\n":  # `\\.` needs a character
                    return None
                escaped = True
                scan = slash + 2
                if scan > end:  # the quote was escaped
                    end = line.find('"', scan)
            value = line[start:end]
            if escaped:
                value = _LOGFMT_ESCAPE.sub(_ESCAPED, value)
            end += 1
        else:
            # white space is nearly always a space; where the next one is, is kept for the
            # pairs before it: a line whose pairs other white space ends (tabs, `\u2003`) would
            # look again from each pair, quadratic (22 s on 500,000 characters), and so would
            # slicing the value before the other white space is found
            if space < start:
                space = line.find(" ", start)
                if space < 0:
                    space = n
            end = space
            if not plain:  # maybe other white space first
                other = _SPACE.search(line, start, end)
                if other is not None:
                    end = other.start()
            value = line[start:end]
            if '"' in value or value[-1:] in (",", ";"):
                return None
        if end < n:
            if not line[end].isspace():
                return None
            end += 1
            while end < n and line[end].isspace():
                end += 1
        pairs.append((name, value))
        at = end
    return pairs


_SPACE: Final = re.compile(r"\s")
# white space in ASCII but " " (`\t\n\v\f\r` and the separators `\x1c`-`\x1f`)
_ASCII_SPACES: Final = tuple(c for c in map(chr, range(128)) if c.isspace() and c != " ")


def _other_space(line: str) -> bool:
    """Whether an ASCII line holds white space but `" "` (each looked for at C speed: a scan
    of the line's characters for their class was most of the cost of reading its pairs)."""
    return any(c in line for c in _ASCII_SPACES)


_KEY_RUN: Final = re.compile(r"[A-Za-z_][\w.\-/@]*")  # a logfmt key, as `_LOGFMT_PAIR` reads it
_logfmt_keys: Final[dict[str, bool]] = {}  # `_logfmt_key`'s, by key


def _logfmt_key(name: str) -> bool:
    """Whether `name` is a logfmt key whole (`_KEY_RUN`), cached when short (`_kept`)."""
    known = _logfmt_keys.get(name)
    if known is None:
        known = _kept(_logfmt_keys, name, _KEY_RUN.fullmatch(name) is not None)
    return known


def _first_key(fields: dict[str, str], keys: Sequence[str]) -> str | None:
    """The first of `keys` that `fields` has (a loop, as `_json_key`: no generator)."""
    for key in keys:
        if key in fields:
            return key
    return None


def _parse_logfmt(line: str) -> Parsed | None:
    """A logfmt line read as JSON lines are: its message field (`msg`, `message`, ...) parsed as
    the event's line, its level and time fields as the header's; without a message field, its
    keys are the event's shape. The values of its other fields that are worth naming (an IP, an
    id, a path, a `host:port`, a `user@host`) are counted as the message's are. None when the
    line is not pairs alone, or fewer than `LOGFMT_MIN_PAIRS`."""
    # (not `finditer`: its search past a line's first non-pair tries every later position,
    # quadratic in a long run of key characters: 30 s for one 64 KiB line)
    pairs = _logfmt_pairs(line)
    if pairs is None:
        return None
    fields: dict[str, str] = {}
    # the rest of a huge line is ignored, as a text line's is
    for name, value in islice(pairs, MAX_TOKENS):
        if name not in fields:
            fields[name] = value
    if len(fields) < LOGFMT_MIN_PAIRS:
        return None
    key = None
    for k in _JSON_MESSAGE_KEYS:
        if fields.get(k, "").strip():
            key = k
            break
    level_key = _first_key(fields, _JSON_LEVEL_KEYS)
    time_key = _first_key(fields, _JSON_TIME_KEYS)
    severity = _level(fields[level_key]) if level_key is not None else None
    when = fields[time_key] if time_key is not None else None
    header = (key, level_key, time_key)
    found: list[tuple[str, str]] = []  # a loop: a generator's steps were a tenth of the line's
    for k, value in fields.items():
        if value and k not in header and " " not in value:
            info = token_info(value)
            if info.value_kind:
                found.append((info.value_kind, value[info.lead : len(value) - info.trail]))
    named = tuple(found)
    if key is None:  # no message field: the keys are the event's shape
        shape = tuple(f"{k}={WILDCARD}" for k in fields)
        return Parsed(shape, when, severity, True, shape, named)
    keys = _field_keys(fields, header)
    return _message_field(fields[key], severity, when, named, keys)


def infer_severity(message: str) -> str | None:
    """A severity from the words of a message whose header had none: "error" or "warning" when
    such words occur, else None. Each pattern is searched from the first of the words its
    matches start with (`_ERROR_STARTS`, `_WARNING_STARTS`, found at C speed), and not at all
    without one: `\\b` and the look-behinds read the characters before where a search starts,
    so it finds what a search of the whole message finds. sre tries every alternative at every
    character: a whole search was 6 µs on a 260-character MongoDB line, a fifth of that log's
    cold analysis."""
    lowered = message.lower()
    at = _first_of(lowered, _ERROR_STARTS)
    if at >= 0 and _ERROR_WORDS.search(lowered, at):
        return "error"
    at = _first_of(lowered, _WARNING_STARTS)
    if at >= 0 and _WARNING_WORDS.search(lowered, at):
        return "warning"
    return None


# what each alternative of `_ERROR_WORDS` and `_WARNING_WORDS` starts with (`timed? ?out`:
# `time`; `not responding`: `not `); a test checks them against the patterns on generated text
_ERROR_STARTS: Final = (
    "error", "exception", "fatal", "panic", "fail", "denied", "refused", "unreachable", "time",
    "abort", "corrupt", "critical", "killed", "segfault", "crash",
)  # fmt: skip
_WARNING_STARTS: Final = (
    "warn", "deprecated", "retry", "slow", "unavailable", "not ", "down", "unhealthy",
    "degraded", "lost", "offline", "evicted",
)  # fmt: skip


def _first_of(text: str, words: Sequence[str]) -> int:
    """Where the first of `words` is in `text`, or -1 when none is."""
    first = -1
    for word in words:
        at = text.find(word)
        if at >= 0 and (first < 0 or at < first):
            first = at
    return first

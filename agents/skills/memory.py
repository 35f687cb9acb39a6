"""The agents' memory: findings, incidents, decisions and approvals from the audit log, runbook
sections and notes, in one SQLite file searched with FTS5's BM25, answered as passages under a
token budget.

Design decisions:

- One SQLite file (stdlib `sqlite3`; FTS5 is compiled into CPython's SQLite on every platform we
  run). It is created 0600 (the log's decisions and findings are not for every local user) in WAL
  mode, so readers never block the writer and two processes can add at once: every write is one
  `BEGIN IMMEDIATE` transaction, and a writer that finds the file locked waits up to
  `busy_timeout_s` (SQLite's busy handler) instead of failing. `synchronous=NORMAL`: a power cut
  may lose the last transactions but never damages the file, and everything indexed can be
  indexed again from its source.
- The file says what it is: `PRAGMA application_id` marks it as an agents memory and
  `PRAGMA user_version` is its schema version. A file that is not SQLite, is another program's
  database, is damaged, or comes from a newer schema is refused with one line
  (`DamagedMemory`), before anything is written to it: never silently replaced or "repaired".
  An empty file (0 bytes) holds nothing to lose and becomes a new memory.
- Entries: `kind` (finding, incident, decision, approval, runbook, note), `source` (where to read
  the original: `audit.jsonl:LINE`, `FILE.md#heading-anchor`, or what the caller says), `time`
  (ISO 8601), `stack`, `persona`, `title`, `text`. Each has a `key`, a SHA-256 of what it was made
  from, unique in the table: adding or indexing the same thing twice keeps one row.
- The audit log (`agents.protocol.audit`): only the records that are worth remembering become
  entries
  (`audit_kind`): findings (`finding*`, the watchdog's, policy violations and error diagnostics
  of the gateway, `cost.unknown`, lease takeovers, damaged or tampered approvals), incidents
  (`incident*`, failed or interrupted operations, routine errors), decisions (`decision*`,
  `state.repaired`) and approvals (reviewed, decided, consumed, refused). Requests, lock events,
  gateway steps and outcomes are the mechanics of a run, and an `outcome` repeats the
  `operation.*` or `decision` line of its request: they are skipped. Indexing is incremental:
  the file's offset after its last whole line, its line count and a hash of its first 4 KiB are
  kept, and the next run reads from there; a log that shrank or whose head changed (rotated,
  replaced) is read again from the start, and the per-line keys keep that from duplicating. A
  torn last line (no newline yet) is left for the next run.
- Runbooks: each Markdown file under a folder, one entry per section by ATX heading (headings in
  fenced code are text), titled with its heading path ("RDS storage > Raise the storage
  ceiling") so a section's words include its parents'. Optional front matter (`stack:`,
  `persona:`) applies to every section of the file. A file whose bytes did not change is not
  read again; a changed one keeps its unchanged sections (same key, same id, same time) and
  replaces the others; a file gone from the folder takes its entries with it. Every file is read
  and parsed before anything is written, so one that cannot be (not UTF-8, bad front matter)
  stops the run with one line naming it and leaves the memory as it was.
- Queries never reach FTS5's syntax: the words of the user's text (letters and digits, any
  script) are lowercased, stripped of English stopwords (unless nothing else is left), capped at
  32 terms, each quoted as an FTS5 string and joined with OR, so `"`, `NEAR`, `*`, `-`, `:`,
  `^` and parentheses are only ever text. OR, not AND: questions in natural words rarely share
  every word with the answer, and BM25 ranks entries that match more (and rarer) terms first.
  Stemming is FTS5's `porter` tokenizer (over `unicode61`, diacritics removed).
- NUL: an entry's title and text drop control characters (NUL among them, `_clean`); its other
  fields (stack, persona, source, time: an audit record's may hold anything) keep a NUL as
  U+FFFD (`_storable`), as the PostgreSQL memory does, whose text refuses NUL: both stores record
  and answer the same.
- A filter by `stack` keeps that stack's entries and the entries of no stack in particular (most
  runbooks), since a general runbook applies to every stack; a filter by `kind` is exact.
- A hit carries a passage, not the document: `highlight()` marks the tokens FTS5 matched (with
  its own stemming), and the passage is the run of whole lines, at most `passage_tokens` o200k
  tokens, with the most distinct matched terms (then the most matches, then the earliest);
  a line that alone is too long is cut around its first match. Cut ends are marked "…".
- Budgets: `render(hits, budget)` lays hits out with `agents.skills.tokens.fit`, whole hits
  only, most relevant first, and a "+N more" line; its text never exceeds the budget. With
  `search(..., budget=B)` the passages are sized to share B between the k hits (within 20 to
  160 tokens each), and only the hits that `render(hits, B)` keeps are returned.
- Ranking (schema 2): each entry is indexed in four FTS5 columns, weighted in `bm25()`: its
  document (a runbook section's file name in words and its runbook's title, the first heading
  of its path; empty for other entries), its heading path (the rest of the path; an audit
  record's or note's title), its text, and the parts of the text's CamelCase words. CamelCase
  and alert names are split at index and query time, the whole word kept too
  (`KubePodCrashLooping` is also kube pod crash looping, `HTTPCode` is http code; `snake_case`
  and `a-b` the tokenizer splits anyway); split parts of the document and heading go into their
  own column. A query's words are searched, and separately the long forms the small symptom
  vocabulary (`SYMPTOMS`: crashloop, OOMKilled, 5xx, 4xx, DLQ, x509, throttl*, latency, disk
  full, ...; general ops knowledge, matched on words and on two or three adjacent words written
  together) adds; an entry scores its BM25 for the words plus `EXPANSION_WEIGHT` times its BM25
  for the long forms. A runbook section's score is then mixed with its whole file's (the file
  as one FTS5 document, `files_fts`, scored the same way): (1 - FILE_WEIGHT) * section +
  FILE_WEIGHT * file, since whole-file BM25 finds the right runbook earlier than sections do.
  Weights, chosen on the odd-numbered queries of `benchmarks/data/memory/` and checked on the
  even ones (a grid over document 0.5-3, heading 1-4, parts 0.5-1, expansions 0-1, file
  0-0.75): document 1.5, heading 2, text 1, parts 1, expansions 0.5, file 0.4, the best of the
  odd half (recall@5 / nDCG@5 / MRR@5 0.913 / 0.875 / 0.899 before, 0.947 / 0.949 / 1.000
  after). The even half went from 0.926 / 0.906 / 0.982 to 0.890 / 0.895 / 1.000: the file
  prior ranks the right runbook first and crowds out a second relevant entry (an audit record)
  in two queries. Document and heading weights 1 to 2 tie on the odd half; the file weight
  matters most (0.25 or 0.5 to 0.75 lose 0.01-0.05 nDCG), and the expansions hardly at all on
  this corpus, whose queries share the runbooks' words (0.5: long forms are guesses, half a
  word's say). Weights are multiples of 1/4 so the PostgreSQL store's sums equal FTS5's.
  Measured the same way and not kept (the odd half with these weights: nDCG@5 0.949 / MRR@5
  1.000): the prior normalised by the query's best section and best file score (an entry of no
  file its own document), weight 0.1-0.75: 0.930 / 0.960 at best; the file's best section as
  its prior (MaxP) instead of its whole-file BM25: 0.930 / 0.960; RM3-style pseudo-relevance
  feedback (the words of the top 3-10 hits, weighted by their scores, with and without idf and
  a two-hit floor; 5-20 terms; 0.05-0.5 of the say): 0.953 / 1.000 at best (one query's
  order), but 0.886 / 0.982 on the even half (against 0.895 / 1.000) and 0.920 / 0.991 on the
  whole corpus, so dropped. Site collapsing (at most 1 or 2 sections of one runbook ahead of
  the entries ranked below them; 2 kept on a tie on the odd half) lifted the project's corpus
  (recall@5 0.947 / 0.890 to 0.956 / 0.952 on the odd / even half; MRR 1.000) by letting its
  audit records in, but it cost the runbook-only held-out corpora, whose relevant sections share
  a file: recall@5 0.892 / 0.944 / 0.983 to 0.808 / 0.897 / 0.925, so dropped (2026-12-06).
  Then kinds share the top k (`_diversified`, 2026-12-06): at most `KIND_SHARE` (0.6, rounded
  up: 3 of 5) of the hits are runbook sections, and at most that many are records, unless the
  other group has too few matches to fill the rest; each group's best, in the ranking's order.
  The prior lifts all the sections of a well-matched runbook together, and they crowded out
  the incident or decision of last time (the misses of the project's corpus were nearly all audit
  records at ranks 6 to 8 behind sibling sections). Chosen on the odd half among shares 0.4, 0.6,
  0.8 and 1 (2, 3, 4 or 5 of 5: 1 is none): recall@5 / nDCG@5 0.947 / 0.949 with none, 0.949 / 0.951
  at 0.6, 0.949 / 0.952 at 0.4; 0.6 kept on the tie, since 0.4 gives records as many slots as
  runbooks on any query that matches a record in passing (OR queries nearly always do). Even
  half: 0.890 / 0.895 to 0.961 / 0.932; all 57: 0.919 / 0.923 to 0.955 / 0.942, MRR@5 1.000 in
  each. The held-out corpora hold runbooks only, so they rank exactly as before (checked).
  With a runbook folder of one or two files the file prior is zero (FTS5's idf of a word in
  half the documents or more is floored at 1e-6), so runbook sections then keep 1 - FILE_WEIGHT
  of their score beside other entries; their order among themselves does not change.
  A schema 1 file is migrated by the first writer; read-only, it is ranked by its own two
  columns until then.
- Semantic search is optional (`pip install .[vectors]`): `load_embedder()` wraps WordLlama,
  whose 256-dimension static token embeddings ship inside its wheel (nothing is fetched at run
  time; downloads are disabled when it loads). With an embedder, entries get a unit vector
  (stored as float32 bytes, computed on add and for any entry that lacks one), and the vectors
  re-rank BM25's first `CANDIDATES`: 0.7 * score / best score + 0.3 * cosine
  (`VECTOR_WEIGHT`, not tuned: the extra was not installed where the weights were chosen; the
  static embeddings alone rank worse than BM25, so they adjust its order rather than share it
  equally). Entries only the vectors find come after BM25's, so one that shares no word with
  the query can still be found when BM25 finds too few.
  Without the extra, `load_embedder()` raises `VectorsUnavailable` saying how to install it;
  nothing else changes. Cosine is computed in plain Python, so the default install needs no
  numpy: about 10 ms per thousand entries (the audit log keeps about 1 entry in 25 records), so
  fine for a team's memory and slow (a second) past 100,000 entries.
"""

from __future__ import annotations

import array
import contextlib
import datetime
import hashlib
import importlib
import importlib.util
import json
import math
import operator
import os
import re
import sqlite3
import stat
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from agents import AgentsError, InputError, ToolchainError, first_line
from agents.protocol.sqlite_open import identity, use_wal
from agents.skills import tokens

KINDS = ("finding", "incident", "decision", "approval", "runbook", "note")
SCHEMA_VERSION = 2
APPLICATION_ID = int.from_bytes(b"AGMM", "big")  # "agents memory", in the file's header
SQLITE_HEADER = b"SQLite format 3\x00"

BUSY_TIMEOUT_S = 30.0
RUNBOOK_MAX_BYTES = 1024 * 1024
TEXT_MAX_CHARS = 1024 * 1024
AUDIT_LINE_MAX_BYTES = 1024 * 1024  # the writer keeps lines under 64 KiB; longer is debris
HEAD_BYTES = 4096  # how much of an audit log's start identifies it across runs

MAX_QUERY_CHARS = 4000
MAX_TERMS = 32
MAX_TERM_CHARS = 64
MAX_K = 100
CANDIDATES = 50  # ranked by BM25 per query part, re-ranked by the vectors
# Ranking weights (see the module docstring for how they were chosen): FTS5 column weights of
# an entry's runbook (document), heading path, text and CamelCase parts; the say of the
# vocabulary's expansions; the share of a runbook section's score that is its file's; the share
# of the re-ranked score that is the vectors' cosine. The column weights are multiples of 1/4,
# so FTS5's sum of a weight per match and PostgreSQL's weight times the count are the same
# float.
DOC_WEIGHT = 1.5
HEADING_WEIGHT = 2.0
TEXT_WEIGHT = 1.0
SPLIT_WEIGHT = 1.0
EXPANSION_WEIGHT = 0.5
FILE_WEIGHT = 0.4
VECTOR_WEIGHT = 0.3
KIND_SHARE = 0.6  # of the k hits, at most this share (rounded up) runbook sections, or records
PASSAGE_TOKENS = 160
MIN_PASSAGE_TOKENS = 20
HIT_HEAD_TOKENS = 40  # allowance for a hit's header and title lines when sharing a budget

# Common English words; not `up` (a Pulumi operation), `no` and `not` (in rule names and errors).
_STOPWORD_TEXT = """
    a about after again all also am an and any are as at be because been before being below
    between both but by can could did do does doing done during each few for from further get
    got had has have having he her here hers him his how i if in into is it its itself just last
    let me more most my nor now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those
    through to too under until very was we were what when where which while who whom why will
    with would you your yours
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

# Statements, not one script: `executescript` would commit the transaction they run in.
_FTS = """CREATE VIRTUAL TABLE entries_fts USING fts5(
        doc, heading, text, split, content='entries', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )"""
_TRIGGERS = (
    """CREATE TRIGGER entries_ai AFTER INSERT ON entries BEGIN
        INSERT INTO entries_fts(rowid, doc, heading, text, split)
            VALUES (new.id, new.doc, new.heading, new.text, new.split);
    END""",
    """CREATE TRIGGER entries_ad AFTER DELETE ON entries BEGIN
        INSERT INTO entries_fts(entries_fts, rowid, doc, heading, text, split)
            VALUES ('delete', old.id, old.doc, old.heading, old.text, old.split);
        DELETE FROM vectors WHERE id = old.id;
    END""",
)
# Runbook files as whole documents, for the document prior: each column is its sections'
# columns joined by newlines, so FTS5 counts the same words as in the sections.
_FILES = (
    """CREATE TABLE files (
        id INTEGER PRIMARY KEY,
        origin TEXT NOT NULL UNIQUE,
        doc TEXT NOT NULL,
        heading TEXT NOT NULL,
        text TEXT NOT NULL,
        split TEXT NOT NULL
    )""",
    """CREATE VIRTUAL TABLE files_fts USING fts5(
        doc, heading, text, split, content='files', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )""",
    """CREATE TRIGGER files_ai AFTER INSERT ON files BEGIN
        INSERT INTO files_fts(rowid, doc, heading, text, split)
            VALUES (new.id, new.doc, new.heading, new.text, new.split);
    END""",
    """CREATE TRIGGER files_ad AFTER DELETE ON files BEGIN
        INSERT INTO files_fts(files_fts, rowid, doc, heading, text, split)
            VALUES ('delete', old.id, old.doc, old.heading, old.text, old.split);
    END""",
)
_SCHEMA = (
    """CREATE TABLE entries (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        time TEXT NOT NULL,
        stack TEXT,
        persona TEXT,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        origin TEXT,
        doc TEXT NOT NULL DEFAULT '',
        heading TEXT NOT NULL DEFAULT '',
        split TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX entries_origin ON entries(origin)",
    "CREATE INDEX entries_kind_stack ON entries(kind, stack)",
    _FTS,
    "CREATE TABLE vectors (id INTEGER PRIMARY KEY, model TEXT NOT NULL, vector BLOB NOT NULL)",
    *_TRIGGERS,
    """CREATE TABLE sources (
        path TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        offset INTEGER NOT NULL,
        line INTEGER NOT NULL,
        head TEXT NOT NULL,
        indexed_at TEXT NOT NULL
    )""",
    *_FILES,
)
# Schema 1 to 2: the ranking fields (document, heading, CamelCase parts) and the files; the
# fields of the entries already there are filled in by `Memory._migrate`.
_MIGRATE_1_TO_2 = (
    "DROP TRIGGER entries_ai",
    "DROP TRIGGER entries_ad",
    "DROP TABLE entries_fts",
    "ALTER TABLE entries ADD COLUMN doc TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entries ADD COLUMN heading TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE entries ADD COLUMN split TEXT NOT NULL DEFAULT ''",
    *_FILES,
)


class MemoryInputError(InputError):
    """A bad argument or input for the memory: an unknown kind, a file that cannot be read."""


class DamagedMemory(MemoryInputError):
    """The memory file is not an agents memory (not SQLite, another program's database,
    damaged, or a newer schema): refused and left as it is."""


class VectorsUnavailable(MemoryInputError):
    """Semantic search was asked for but its extra is not installed."""


class MemoryBusy(AgentsError):
    """Another process held the memory file locked for longer than the busy timeout."""


class MemoryStoreError(AgentsError):
    """SQLite failed in a way none of the other errors describes."""


# ---------------------------------------------------------------- pure parts


@dataclass(frozen=True)
class Hit:
    id: int
    kind: str
    source: str
    time: str
    stack: str | None
    persona: str | None
    title: str
    passage: str
    score: float  # higher is better: -bm25, or the fused reciprocal-rank score


@dataclass(frozen=True)
class IndexReport:
    added: int = 0
    removed: int = 0
    skipped: int = 0  # audit records not worth remembering, debris, unchanged files
    files: int = 0  # files whose new content was read
    # Runbook paths refused because they lead out of the folder (a symlinked file or folder, a
    # path that resolves elsewhere): never read, never indexed.
    outside: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    anchor: str
    title: str
    text: str


@dataclass(frozen=True)
class _Entry:
    key: str
    kind: str
    source: str
    time: str
    stack: str | None
    persona: str | None
    title: str
    text: str
    origin: str | None


_TERM = re.compile(r"[^\W_]+")


# ------------------------------------------------- ranking fields and query plans

# Where an identifier's words meet: a lowercase letter then a capital (`CrashLooping`), or a
# capital or digit then a capitalised word (`HTTPCode`, `S3Bucket`); `5XX` and `x509` stay whole.
_CASE_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z0-9])(?=[A-Z][a-z])")


def identifier_parts(word: str) -> list[str]:
    """The words of a CamelCase or alert name (`KubePodCrashLooping` -> kube pod crash looping,
    `HTTPCode` -> http code), lowercased; [] when `word` is one word already. Underscores and
    hyphens need no help: the tokenizer splits there (`snake_case` is two words)."""
    parts = [p.lower() for p in _CASE_BOUNDARY.split(word) if p]
    return parts if len(parts) > 1 else []


def split_words(text: str) -> str:
    """The parts of every CamelCase word of `text` (the words themselves stay where they are),
    space-separated: what the index holds beside a field so `crash looping` finds
    `KubePodCrashLooping`."""
    return " ".join(p for w in _TERM.findall(text) for p in identifier_parts(w))


# A small vocabulary of symptoms as engineers shorten them, to the long forms runbooks use:
# general operations knowledge (Kubernetes, HTTP, AWS, TLS, databases, queues), written from
# what alerts and pagers say, not from any benchmark's queries. Keys are matched against a
# query's words and against two adjacent words written together (`crash loop` is `crashloop`),
# in lowercase; a key ending in `*` is a prefix. The long forms are searched beside the query's
# own words, with `EXPANSION_WEIGHT` of their say (see `query_plan`).
SYMPTOMS: dict[str, str] = {
    "crashloop*": "crash loop restart restarting",
    "backoff": "restart retry",
    "oom*": "out of memory killed",
    "5xx": "server error 500 502 503 504",
    "4xx": "client error 400 401 403 404 429",
    "500": "internal server error",
    "502": "bad gateway upstream",
    "503": "service unavailable",
    "504": "gateway timeout upstream",
    "401": "unauthorized authentication credentials",
    "403": "forbidden access denied permission",
    "404": "not found",
    "429": "too many requests throttling rate limit",
    "accessdenied": "access denied permission iam policy",
    "unauthorized": "authentication credentials",
    "forbidden": "access denied permission",
    "throttl*": "throttling throttled rate limit",
    "ratelimit*": "rate limit throttling",
    "dlq": "dead letter queue",
    "x509": "certificate tls expired",
    "cert": "certificate tls",
    "certs": "certificate tls",
    "ssl": "tls certificate",
    "latency": "slow response time",
    "slow": "latency response time",
    "p99": "latency percentile",
    "p95": "latency percentile",
    "timeout": "timed out",
    "timeouts": "timed out",
    "timedout": "timeout",
    "etimedout": "timeout connection",
    "econnrefused": "connection refused",
    "econnreset": "connection reset",
    "nxdomain": "dns resolution name",
    "servfail": "dns resolution",
    "diskfull": "storage space full free",
    "diskspace": "storage space free",
    "outofdisk": "storage space full free",
    "nospaceleft": "disk storage space full free",
    "enospc": "disk storage space full",
    "diskpressure": "disk storage space eviction",
    "memorypressure": "memory eviction",
    "evicted": "eviction pressure",
    "imagepullbackoff": "image pull registry",
    "errimagepull": "image pull registry",
    "notready": "node not ready",
    "unschedulable": "pending scheduling insufficient",
    "sigkill": "killed signal",
    "sigterm": "terminated signal shutdown",
    "pvc": "persistent volume claim",
    "pv": "persistent volume",
    "hpa": "horizontal pod autoscaler scaling",
    "k8s": "kubernetes",
    "db": "database",
    "pg": "postgresql database",
    "postgres": "postgresql database",
    "mfa": "multi factor authentication",
    "sso": "single sign on",
    "cve": "vulnerability",
    "vuln": "vulnerability",
    "vulns": "vulnerability",
    "creds": "credentials",
    "cred": "credentials",
    "pw": "password",
    "mem": "memory",
    "ram": "memory",
    "err": "error",
    "errs": "error",
    "rollback": "roll back revert",
    "revert": "roll back rollback",
    "outofmemory": "oom memory killed",
}


MAX_EXPANSIONS = 16


@dataclass(frozen=True)
class QueryPlan:
    """What a query searches: its own `terms` (its words, then the parts of its CamelCase words)
    and the `expansions` the symptom vocabulary adds (long forms not among the terms)."""

    terms: tuple[str, ...]
    expansions: tuple[str, ...]


def _symptom(key: str) -> str | None:
    found = SYMPTOMS.get(key)
    if found is not None:
        return found
    return next(
        (v for k, v in SYMPTOMS.items() if k.endswith("*") and key.startswith(k[:-1])), None
    )


def query_plan(query: str) -> QueryPlan:
    """The terms and the vocabulary's expansions of user text (see `query_terms`)."""
    words = _TERM.findall(query[:MAX_QUERY_CHARS])
    sequence: list[str] = []
    for word in words:
        sequence.append(word.lower()[:MAX_TERM_CHARS])
        sequence.extend(p[:MAX_TERM_CHARS] for p in identifier_parts(word))
    distinct = list(dict.fromkeys(sequence))
    content = [w for w in distinct if w not in STOPWORDS]
    terms = (content or distinct)[:MAX_TERMS]
    long_forms: list[str] = []
    for n in (1, 2, 3):
        for start in range(len(sequence) - n + 1):
            key = "".join(sequence[start : start + n])
            found = _symptom(key) if len(key) <= MAX_TERM_CHARS else None
            if found:
                long_forms.extend(found.split())
    expansions = [w for w in dict.fromkeys(long_forms) if w not in STOPWORDS and w not in terms][
        :MAX_EXPANSIONS
    ]
    return QueryPlan(tuple(terms), tuple(expansions))


def query_terms(query: str) -> list[str]:
    """The search terms of user text: lowercased words (letters and digits of any script), each
    CamelCase word followed by its parts, stopwords dropped unless nothing else is left,
    distinct, at most `MAX_TERMS`."""
    return list(query_plan(query).terms)


def _expression(terms: Sequence[str]) -> str | None:
    return " OR ".join(f'"{t}"' for t in terms) if terms else None


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression for user text that cannot be a syntax error: every term a
    quoted string (terms hold no quotes), joined by OR; None when the text has no word."""
    return _expression(query_terms(query))


def ranking_fields(kind: str, source: str, title: str) -> tuple[str, str]:
    """The (document, heading) fields an entry is ranked by beside its text. A runbook section's
    document is its runbook: the file's name in words and, when the section sits under it, the
    first heading of its path (the runbook's title); its heading is the rest of the path (its
    own heading and those between). Any other entry has no document and its title as heading.
    Each field is followed by the parts of its CamelCase words."""
    if kind != "runbook":
        return "", _with_parts(title)
    name = Path(source.split("#", 1)[0]).stem
    path = title.split(" > ")
    if len(path) > 1:
        document, heading = f"{name}\n{path[0]}", " > ".join(path[1:])
    else:
        document, heading = name, title
    return _with_parts(document), _with_parts(heading)


def _with_parts(text: str) -> str:
    parts = split_words(text)
    return f"{text}\n{parts}" if parts else text


def entry_fields(entry: _Entry) -> tuple[str, str, str]:
    """(document, heading, parts of the text's CamelCase words): what an entry is ranked by
    beside its text, as both stores index it."""
    return (*ranking_fields(entry.kind, entry.source, entry.title), split_words(entry.text))


def file_fields(sections: Sequence[Sequence[str]]) -> tuple[str, str, str, str]:
    """A runbook file as one document (document, heading, text, parts), from its sections'
    (document, heading, text, parts) in order: the distinct documents, every heading, text and
    part, joined by newlines."""
    docs = list(dict.fromkeys(str(s[0]) for s in sections))
    return (
        "\n".join(docs),
        "\n".join(str(s[1]) for s in sections),
        "\n".join(str(s[2]) for s in sections),
        "\n".join(str(s[3]) for s in sections if s[3]),
    )


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def _clean(text: str) -> str:
    """Text as stored: newlines normalised, control characters (the passage markers among
    them) removed, blank edges trimmed."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n")).strip("\n")


def _without_nul(text: str | None) -> str | None:
    return None if text is None else text.replace("\x00", "\ufffd")


def _storable(entry: _Entry) -> _Entry:
    """`entry` as every store keeps it: each NUL in its text fields as U+FFFD (title and text
    have none left after `_clean`)."""
    return _Entry(
        entry.key,
        entry.kind,
        _without_nul(entry.source) or "",
        _without_nul(entry.time) or "",
        _without_nul(entry.stack),
        _without_nul(entry.persona),
        _without_nul(entry.title) or "",
        _without_nul(entry.text) or "",
        _without_nul(entry.origin),
    )


def _key(*parts: object) -> str:
    return hashlib.sha256("\x00".join(str(p) for p in parts).encode()).hexdigest()


# ------------------------------------------------- audit records


_FINDING_EVENTS = frozenset(
    {
        "gateway.policy",
        "gateway.diagnostic",
        "gateway.step-failed",
        "cost.unknown",
        "lease.takeover",
        "approval.tampered",
        "approval.damaged",
        "approval.key-refused",
    }
)
_INCIDENT_EVENTS = frozenset({"operation.failed", "operation.interrupted", "routine.error"})
_APPROVAL_EVENTS = frozenset(
    {"approval.reviewed", "approval.decided", "approval.consumed", "approval.refused"}
)
# Mechanics of a run, never worth a memory entry of their own.
_NOT_SHOWN = frozenset({"ts", "event", "pid", "owner", "host", "run", "digest", "token"})
_STATE_FIELDS = ("decision", "verdict", "status", "outcome", "state", "severity")


def audit_kind(record: Mapping[str, Any]) -> str | None:
    """The entry kind of an audit record, or None for records not worth remembering."""
    event = str(record.get("event", ""))
    if event == "finding" or event.startswith(("finding.", "watchdog.")):
        return "finding"
    if event in _FINDING_EVENTS:
        return "finding"
    if event == "incident" or event.startswith("incident.") or event in _INCIDENT_EVENTS:
        return "incident"
    if event == "decision" or event.startswith("decision.") or event == "state.repaired":
        return "decision"
    if event in _APPROVAL_EVENTS:
        return "approval"
    return None


def _plain_value(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{k}={_plain_value(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return "; ".join(_plain_value(v) for v in value)
    if value is None:
        return ""
    return str(value)


def audit_title_text(record: Mapping[str, Any]) -> tuple[str, str]:
    """An audit record as a title ("decision refused: release-engineer up on prod") and a
    text of its remaining fields, one `field: value` line each (lists one item a line)."""
    event = str(record.get("event", ""))
    state_field = next((f for f in _STATE_FIELDS if record.get(f) not in (None, "")), None)
    state = str(record[state_field]) if state_field else ""
    who = " ".join(str(record[f]) for f in ("persona", "operation") if record.get(f))
    title = event + (f" {state}" if state else "")
    if who or record.get("stack"):
        title += ":" + (f" {who}" if who else "")
        title += f" on {record['stack']}" if record.get("stack") else ""
    used = {"persona", "operation", "stack", state_field}
    lines: list[str] = []
    for field, value in record.items():
        if field in _NOT_SHOWN or field in used or value in (None, "", [], {}):
            continue
        if isinstance(value, list) and len(value) > 1:
            lines.append(f"{field}:")
            lines.extend(f"- {_plain_value(v)}" for v in value)
        else:
            lines.append(f"{field}: {_plain_value(value)}")
    return _clean(title), _clean("\n".join(lines))


# ------------------------------------------------- runbooks

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter, body) of a Markdown file; empty front matter when there is none."""
    if text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end >= 0:
            return text[4:end], text[end + 5 :]
        if text.endswith("\n---"):
            return text[4:-4], ""
    return "", text


def runbook_sections(text: str, name: str) -> list[Section]:
    """One section per ATX heading (levels 1-6), titled with its heading path; the text before
    the first heading is a section titled after the file. Sections without text are left out
    (their heading still titles their subsections)."""
    sections: list[Section] = []
    path: list[tuple[int, str]] = []
    title, section_anchor = Path(name).stem, ""
    body: list[str] = []
    seen: dict[str, int] = {}
    fence: str | None = None

    def close() -> None:
        joined = _clean("\n".join(body))
        if joined.strip():
            sections.append(Section(section_anchor, title, joined))
        body.clear()

    for line in text.split("\n"):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
        heading = None if fence is not None or fence_match else _HEADING.match(line)
        if heading is None:
            body.append(line)
            continue
        close()
        level, words = len(heading.group(1)), (heading.group(2) or "").strip()
        path = [(lvl, h) for lvl, h in path if lvl < level] + [(level, words)]
        title = " > ".join(h for _, h in path if h)
        base = anchor(words)
        seen[base] = seen.get(base, -1) + 1
        section_anchor = base if seen[base] == 0 else f"{base}-{seen[base]}"
    close()
    return sections


# ------------------------------------------------- passages

_MARK = re.compile("\x02(.*?)\x03", re.DOTALL)
_ELLIPSIS = "…"


def best_passage(marked: str, cap: int) -> str:
    """The passage of `marked` (text with FTS5's matches between \\x02 and \\x03) to show: all
    of it when it fits in `cap` tokens, else the run of whole lines that fits with the most
    distinct matched words, then the most matches, then the earliest; "…" marks cut ends."""
    lines = marked.split("\n")
    plain = [_MARK.sub(r"\1", line) for line in lines]
    whole = "\n".join(plain)
    if tokens.count(whole) <= cap:
        return whole
    matched = [[m.lower() for m in _MARK.findall(line)] for line in lines]
    sizes = [tokens.count(line) + 1 for line in plain]  # +1: the newline
    room = cap - 2  # the two ellipses
    # Windows start at the top, at a matching line, or one line before it (its context).
    starts = {0} | {j for i, m in enumerate(matched) if m for j in (i - 1, i) if j >= 0}
    best: tuple[tuple[int, int, int], int, int] | None = None
    for start in sorted(starts):
        used, end = 0, start
        while end < len(lines) and used + sizes[end] <= room + 1:
            used += sizes[end]
            end += 1
        if end == start:
            continue
        words = [w for m in matched[start:end] for w in m]
        score = (len(set(words)), len(words), -start)
        if best is None or score > best[0]:
            best = (score, start, end)
    first_match = next((i for i, m in enumerate(matched) if m), 0)
    if best is None or (not best[0][0] and any(matched)):
        return _cut_line(lines[first_match], cap)
    _, start, end = best
    text = "\n".join(plain[start:end])
    text = (_ELLIPSIS if start > 0 else "") + text + (_ELLIPSIS if end < len(lines) else "")
    while tokens.count(text) > cap and end - start > 1:  # the estimate was a token short
        end -= 1
        text = (_ELLIPSIS if start > 0 else "") + "\n".join(plain[start:end]) + _ELLIPSIS
    return text if tokens.count(text) <= cap else _cut_line(lines[start], cap)


def _cut_line(marked: str, cap: int) -> str:
    """A window of one long line around its first match, at most `cap` tokens."""
    first = marked.find("\x02")
    plain = _MARK.sub(r"\1", marked)
    begin = max(0, (first if first >= 0 else 0) - 80)
    # the largest end whose window fits, by bisection on characters
    low, high = begin, len(plain)
    while low < high:
        mid = (low + high + 1) // 2
        window = (_ELLIPSIS if begin else "") + plain[begin:mid] + _ELLIPSIS
        if tokens.count(window) <= cap:
            low = mid
        else:
            high = mid - 1
    if low == begin:
        return ""
    return (_ELLIPSIS if begin else "") + plain[begin:low] + (_ELLIPSIS if low < len(plain) else "")


# ------------------------------------------------- rendering


def _hit_block(hit: Hit) -> str:
    meta = [m for m in (hit.stack, hit.persona, hit.time[:16]) if m]
    header = f"[{hit.kind}] {hit.source}" + (f" ({', '.join(meta)})" if meta else "")
    return "\n".join(["", header, hit.title, hit.passage])


def render(hits: Sequence[Hit], budget: int | None = None) -> str:
    """Hits as text for an LLM, most relevant first, whole hits only, under `budget` o200k
    tokens (`None`: all); `tokens.BudgetError` when not even the summary lines fit."""
    return _fitted(hits, budget).text


def _fitted(hits: Sequence[Hit], budget: int | None) -> tokens.Fitted:
    head = [f"memory: {len(hits)} hits" if hits else "memory: nothing matched"]
    return tokens.fit(
        head,
        [_hit_block(h) for h in hits],
        budget,
        lambda dropped: f"+{len(dropped)} more hits left out: raise the budget",
    )


# ------------------------------------------------- vectors


class Embedder(Protocol):
    """Turns texts into unit vectors; `name` identifies the model (stored with each vector)."""

    name: str

    def embed(self, texts: Sequence[str]) -> list[list[float]]: ...


VECTORS_PACKAGE = "wordllama"
EMBED_CHARS = 4000  # static embeddings average tokens: more text only dilutes


class WordLlamaEmbedder:
    """WordLlama's default model (l2_supercat, 256 dimensions), loaded from the files inside its
    wheel with downloads disabled. Its loader looks for the tokenizer in a folder its wheel does
    not have, then in a cache folder; pointing the cache at the package folder finds the file the
    wheel does ship."""

    def __init__(self) -> None:
        try:
            module = importlib.import_module(VECTORS_PACKAGE)
        except ImportError as exc:
            raise VectorsUnavailable(_NOT_INSTALLED) from exc
        package_dir = Path(module.__file__ or "").parent
        try:
            self._model = module.WordLlama.load(cache_dir=package_dir, disable_download=True)
        except (OSError, ValueError) as exc:  # FileNotFoundError: weights missing from the wheel
            raise VectorsUnavailable(
                f"{VECTORS_PACKAGE} is installed but its bundled model did not load "
                f"({str(exc).splitlines()[0]})"
            ) from exc
        version = getattr(module, "__version__", "?")
        self.dimensions = int(self._model.embedding.shape[1])
        self.name = f"{VECTORS_PACKAGE}-{version}-l2_supercat_{self.dimensions}"

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """Unit vectors; a zero vector for blank text (the model would average no tokens)."""
        filled = [i for i, t in enumerate(texts) if t.strip()]
        rows = self._model.embed([texts[i][:EMBED_CHARS] for i in filled], norm=False).tolist()
        vectors = [[0.0] * self.dimensions for _ in texts]
        for i, row in zip(filled, rows, strict=True):
            vectors[i] = _unit(row)
        return vectors


_NOT_INSTALLED = (
    "semantic search is not installed: `pip install .[vectors]` "
    f"(adds {VECTORS_PACKAGE}, whose wheel ships its model); BM25 search works without it"
)


def vectors_available() -> bool:
    """Whether the `vectors` extra is installed (its package can be found)."""
    return importlib.util.find_spec(VECTORS_PACKAGE) is not None


def load_embedder() -> Embedder:
    """The bundled embedding model; `VectorsUnavailable` (one line, how to install it) when the
    extra is not installed."""
    return WordLlamaEmbedder()


def _unit(row: Sequence[float]) -> list[float]:
    norm = sum(x * x for x in row) ** 0.5
    return [x / norm for x in row] if norm > 0 else [0.0] * len(row)


def _pack(vector: Sequence[float]) -> bytes:
    return array.array("f", vector).tobytes()


def _unpack(data: bytes) -> array.array[float]:
    values = array.array("f")
    values.frombytes(data)
    return values


# ---------------------------------------------------------------- the store


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    return "a special file"


class Memory:
    """The memory in the SQLite file at `path` (created 0600 when absent). With an `embedder`
    (see `load_embedder`), entries also get vectors and searches fuse both rankings. One
    `Memory` per thread (it holds one SQLite connection); processes share the file safely."""

    def __init__(
        self,
        path: str | Path,
        *,
        embedder: Embedder | None = None,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
        read_only: bool = False,
    ) -> None:
        self.path = Path(path)
        self.embedder = embedder
        self.read_only = read_only
        self._busy_timeout_s = busy_timeout_s
        self._empty = False  # read-only over a file without a schema yet: no entries
        self._legacy = False  # read-only over schema 1: its columns are (title, text)
        self._check_file()
        try:
            if read_only:
                # `mode=ro`: SQLite itself refuses every write, and never creates the file.
                uri = f"file:{quote(str(self.path.resolve()))}?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, timeout=busy_timeout_s, isolation_level=None
                )
            else:
                self._db = sqlite3.connect(self.path, timeout=busy_timeout_s, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            self._prepare()
        except BaseException:
            self._db.close()
            raise

    # -- opening ------------------------------------------------------------------------------
    def _check_file(self) -> None:
        """Refuse what cannot be a memory file before SQLite opens (and could write to) it;
        create an absent one 0600."""
        try:
            info = os.stat(self.path)
        except FileNotFoundError:
            info = None
        except (OSError, ValueError) as exc:
            raise MemoryInputError(
                f"{self.path}: cannot use it as the memory file ({exc})"
            ) from exc
        if info is None and self.read_only:
            raise MemoryInputError(
                f"{self.path}: no memory file yet (nothing indexed: `python -m agents memory "
                "index`)"
            )
        if info is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
            except FileExistsError:  # another process created it meanwhile: use it
                pass
            except OSError as exc:
                raise MemoryInputError(
                    f"{self.path}: cannot create the memory file ({exc.strerror or exc})"
                ) from exc
            return
        if not stat.S_ISREG(info.st_mode):
            raise MemoryInputError(
                f"{self.path}: {_file_kind(info.st_mode)}, not a regular file; the memory must "
                "be a SQLite file"
            )
        try:
            with self.path.open("rb") as fh:
                header = fh.read(len(SQLITE_HEADER))
        except OSError as exc:
            raise MemoryInputError(
                f"{self.path}: cannot read the memory file ({exc.strerror or exc})"
            ) from exc
        if header and header != SQLITE_HEADER:
            raise DamagedMemory(
                f"{self.path}: not a SQLite database, so not an agents memory; left as it is "
                "(move it aside or choose another memory file)"
            )

    def _prepare(self) -> None:
        with self._errors():
            app_id, version, objects = identity(self._db)
            if app_id == 0 and version == 0 and self.read_only:
                if objects:
                    raise DamagedMemory(
                        f"{self.path}: a SQLite database of another program, not an agents "
                        "memory; left as it is (choose another memory file)"
                    )
                self._empty = True  # an empty file: nothing indexed yet, and not made here
                return
            if app_id == 0 and version == 0:
                with self._write() as db:
                    # Again under the write lock: another process may have made it meanwhile.
                    app_id, version = self._identity()
                    if app_id == 0 and version == 0:
                        if db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
                            raise DamagedMemory(
                                f"{self.path}: a SQLite database of another program, not an "
                                "agents memory; left as it is (choose another memory file)"
                            )
                        for statement in _SCHEMA:
                            db.execute(statement)
                        db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                        app_id, version = APPLICATION_ID, SCHEMA_VERSION
            if app_id != APPLICATION_ID:
                raise DamagedMemory(
                    f"{self.path}: a SQLite database of another program (application id "
                    f"{app_id}), not an agents memory; left as it is"
                )
            if version > SCHEMA_VERSION:
                raise DamagedMemory(
                    f"{self.path}: memory schema {version} is newer than this version reads "
                    f"({SCHEMA_VERSION}); upgrade the agents"
                )
            if self.read_only:
                # Schema 1 read-only: ranked by its own columns (title, text) until a writer
                # migrates it.
                self._legacy = version < SCHEMA_VERSION
                self._db.execute("PRAGMA query_only = ON")
                return
            use_wal(self._db, self._busy_timeout_s)
            self._db.execute("PRAGMA synchronous = NORMAL")
            if version < SCHEMA_VERSION:
                self._migrate()

    def _migrate(self) -> None:
        """Schema 1 to 2, in one write transaction (another process may have done it)."""
        with self._write() as db:
            if self._identity()[1] >= SCHEMA_VERSION:
                return
            for statement in _MIGRATE_1_TO_2:
                db.execute(statement)
            rows = db.execute("SELECT id, kind, source, title, text FROM entries").fetchall()
            db.executemany(
                "UPDATE entries SET doc = ?, heading = ?, split = ? WHERE id = ?",
                [
                    (*ranking_fields(kind, source, title), split_words(text), i)
                    for i, kind, source, title, text in rows
                ],
            )
            db.execute(_FTS)
            for statement in _TRIGGERS:
                db.execute(statement)
            db.execute("INSERT INTO entries_fts(entries_fts) VALUES ('rebuild')")
            origins = db.execute(
                "SELECT DISTINCT origin FROM entries WHERE kind = 'runbook' AND origin IS NOT NULL"
            ).fetchall()
            for (origin,) in origins:
                self._refresh_file(db, str(origin))
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _identity(self) -> tuple[int, int]:
        """The file's application id and schema version, from one snapshot (`identity`: read
        apart, another opener's new schema could show its version without its id)."""
        app_id, version, _ = identity(self._db)
        return app_id, version

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Memory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors and transactions --------------------------------------------------------------
    def _error(self, exc: sqlite3.Error) -> ToolchainError:
        name = getattr(exc, "sqlite_errorname", "")
        message = first_line(exc)
        if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or name.startswith("SQLITE_CORRUPT"):
            return DamagedMemory(
                f"{self.path}: the memory file is damaged ({message}); left as it is (move it "
                "aside and index the sources again)"
            )
        if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
            return MemoryBusy(f"{self.path}: the memory file stayed locked ({message}); try again")
        if name.startswith(("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR")):
            return MemoryInputError(f"{self.path}: cannot use the memory file ({message})")
        if "no such module: fts5" in message:
            return MemoryStoreError("this Python's SQLite has no FTS5; the memory needs it")
        return MemoryStoreError(f"{self.path}: {message}")

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (`BEGIN IMMEDIATE`), so two writers queue on
        the busy handler instead of one failing when it upgrades a read lock."""
        if self.read_only:
            raise MemoryInputError(f"{self.path}: the memory is open read-only; nothing written")
        with self._errors():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- adding -------------------------------------------------------------------------------
    def add(
        self,
        kind: str,
        text: str,
        *,
        source: str,
        time: str | datetime.datetime,
        stack: str | None = None,
        persona: str | None = None,
        title: str | None = None,
    ) -> int:
        """Remember one entry and return its id; the same entry added again keeps one row
        (and returns its id)."""
        entry = _new_entry(
            kind, text, source=source, time=time, stack=stack, persona=persona, title=title
        )
        with self._write() as db:
            self._insert(db, [entry])
            row = db.execute("SELECT id FROM entries WHERE key = ?", (entry.key,)).fetchone()
            self._embed_missing(db)
        return int(row[0])

    def _insert(self, db: sqlite3.Connection, entries: Iterable[_Entry]) -> int:
        """Insert the entries not there yet (by key); how many were new."""
        before = _count(db)
        db.executemany(
            "INSERT OR IGNORE INTO entries (key, kind, source, time, stack, persona, title, "
            "text, origin, doc, heading, split) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    e.key,
                    e.kind,
                    e.source,
                    e.time,
                    e.stack,
                    e.persona,
                    e.title,
                    e.text,
                    e.origin,
                    *entry_fields(e),
                )
                for e in map(_storable, entries)
            ],
        )
        return _count(db) - before

    def _refresh_file(self, db: sqlite3.Connection, origin: str) -> None:
        """The runbook file `origin` as one document (the document prior), from its sections."""
        db.execute("DELETE FROM files WHERE origin = ?", (origin,))
        rows = db.execute(
            "SELECT doc, heading, text, split FROM entries WHERE origin = ? AND kind = 'runbook' "
            "ORDER BY id",
            (origin,),
        ).fetchall()
        if rows:
            db.execute(
                "INSERT INTO files (origin, doc, heading, text, split) VALUES (?, ?, ?, ?, ?)",
                (origin, *file_fields(rows)),
            )

    # -- the audit log ------------------------------------------------------------------------
    def index_audit(self, audit_path: str | Path) -> IndexReport:
        """Index the audit log's new whole lines since the last run (see the module docstring);
        running it again adds nothing."""
        path = Path(audit_path)
        origin = _resolved(path, "audit log")
        added = skipped = 0
        with self._write() as db:
            row = db.execute(
                "SELECT offset, line, head FROM sources WHERE path = ?", (origin,)
            ).fetchone()
            read = _AuditRead(
                path, origin, *((int(row[0]), int(row[1]), str(row[2])) if row else (0, 0, ""))
            )
            for batch in read.batches():
                new = self._insert(db, batch)
                added += new
                skipped += len(batch) - new  # indexed before (a log read again from the start)
            db.execute(
                "INSERT INTO sources (path, kind, offset, line, head, indexed_at) "
                "VALUES (?, 'audit', ?, ?, ?, ?) ON CONFLICT (path) DO UPDATE SET "
                "offset = excluded.offset, line = excluded.line, head = excluded.head, "
                "indexed_at = excluded.indexed_at",
                (origin, read.offset, read.line, read.head, _now()),
            )
            self._embed_missing(db)
        return IndexReport(added=added, skipped=skipped + read.skipped, files=read.files)

    # -- runbooks -----------------------------------------------------------------------------
    def index_runbooks(self, folder: str | Path) -> IndexReport:
        """Index the Markdown files under `folder`, one entry per section; files that did not
        change are skipped, changed ones re-indexed, removed ones forgotten."""
        base, parsed, outside = _parse_runbooks(folder)
        added = removed = skipped = files = 0
        with self._write() as db:
            known = {
                str(p): str(h)
                for p, h in db.execute(
                    "SELECT path, head FROM sources WHERE kind = 'runbook' AND "
                    "(path = ? OR substr(path, 1, ?) = ?)",
                    (str(base), len(str(base)) + 1, str(base) + os.sep),
                )
            }
            for origin, (digest, entries) in parsed.items():
                if known.get(origin) == digest:
                    skipped += 1
                    continue
                files += 1
                keys = {e.key for e in entries}
                stale = [
                    (i,)
                    for i, key in db.execute(
                        "SELECT id, key FROM entries WHERE origin = ?", (origin,)
                    )
                    if key not in keys
                ]
                db.executemany("DELETE FROM entries WHERE id = ?", stale)
                removed += len(stale)
                added += self._insert(db, entries)
                self._refresh_file(db, origin)
                db.execute(
                    "INSERT INTO sources (path, kind, offset, line, head, indexed_at) "
                    "VALUES (?, 'runbook', 0, 0, ?, ?) ON CONFLICT (path) DO UPDATE SET "
                    "head = excluded.head, indexed_at = excluded.indexed_at",
                    (origin, digest, _now()),
                )
            for origin in set(known) - set(parsed):
                removed += db.execute("DELETE FROM entries WHERE origin = ?", (origin,)).rowcount
                db.execute("DELETE FROM files WHERE origin = ?", (origin,))
                db.execute("DELETE FROM sources WHERE path = ?", (origin,))
            self._embed_missing(db)
        return IndexReport(
            added=added, removed=removed, skipped=skipped, files=files, outside=tuple(outside)
        )

    # -- searching ----------------------------------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 5,
        budget: int | None = None,
        stack: str | None = None,
        kind: str | None = None,
    ) -> list[Hit]:
        """The `k` entries that best match `query` (optionally of one stack and one kind), each
        with its best passage; with a `budget`, the hits that `render(hits, budget)` keeps."""
        _check_search(query, k, budget, kind)
        if self._empty:
            return []
        plan = query_plan(query)
        where, params = _filters(stack, kind)
        with self._errors():
            ranked = _rank(
                plan,
                lambda terms: self._bm25("entries", terms, where, params),
                self._file_bm25,
            )
            if self.embedder is not None and plan.terms:
                ranked = _rerank(ranked, *self._vector_scores(query, ranked, where, params))
            top = _diversified(ranked, self._sections, k)
            ids = [i for i, _ in top]
            rows = self._db.execute(
                "SELECT id, kind, source, time, stack, persona, title, text FROM entries "
                f"WHERE id IN ({','.join('?' * len(ids))})",
                ids,
            ).fetchall()
            marked = self._highlighted(plan, ids)
        return _ranked_hits(top, rows, marked, k, budget)

    def _sections(self, ids: list[int]) -> set[int]:
        """Which of `ids` are runbook sections (for `_diversified`)."""
        rows = self._db.execute(
            f"SELECT id FROM entries WHERE kind = 'runbook' AND id IN ({','.join('?' * len(ids))})",
            ids,
        )
        return {int(r[0]) for r in rows}

    def _weights(self) -> tuple[float, ...]:
        if self._legacy:
            return (HEADING_WEIGHT, TEXT_WEIGHT)
        return (DOC_WEIGHT, HEADING_WEIGHT, TEXT_WEIGHT, SPLIT_WEIGHT)

    def _bm25(
        self, table: str, terms: Sequence[str], where: str, params: Sequence[object]
    ) -> list[tuple[int, float, str | None]]:
        """FTS5's BM25 of the entries matching any of `terms`, best first (ties in id order), at
        most `CANDIDATES`: (id, score, the runbook file of a runbook section or None)."""
        weights = self._weights()
        origin = "NULL" if self._legacy else "CASE WHEN e.kind = 'runbook' THEN e.origin END"
        rows = self._db.execute(
            f"SELECT e.id, bm25({table}_fts, {', '.join('?' * len(weights))}) AS rank, {origin} "
            f"FROM {table}_fts JOIN entries e ON e.id = {table}_fts.rowid "
            f"WHERE {table}_fts MATCH ? {where} ORDER BY rank, e.id LIMIT ?",
            (*weights, _expression(terms), *params, CANDIDATES),
        ).fetchall()
        return [(int(i), -float(r), None if o is None else str(o)) for i, r, o in rows]

    def _file_bm25(self, terms: Sequence[str], origins: Sequence[str]) -> dict[str, float]:
        """FTS5's BM25 of the runbook files `origins` as whole documents, for `terms`."""
        if self._legacy or not origins:
            return {}
        weights = self._weights()
        rows = self._db.execute(
            f"SELECT f.origin, bm25(files_fts, {', '.join('?' * len(weights))}) "
            "FROM files_fts JOIN files f ON f.id = files_fts.rowid "
            f"WHERE files_fts MATCH ? AND f.origin IN ({','.join('?' * len(origins))})",
            (*weights, _expression(terms), *origins),
        ).fetchall()
        return {str(o): -float(r) for o, r in rows}

    def _highlighted(self, plan: QueryPlan, ids: Sequence[int]) -> dict[int, str]:
        """The texts of `ids` with the words any term or expansion matched marked (\\x02,
        \\x03)."""
        match = _expression([*plan.terms, *plan.expansions])
        if match is None or not ids:
            return {}
        column = 1 if self._legacy else 2
        rows = self._db.execute(
            f"SELECT rowid, highlight(entries_fts, {column}, char(2), char(3)) FROM entries_fts "
            f"WHERE entries_fts MATCH ? AND rowid IN ({','.join('?' * len(ids))})",
            (match, *ids),
        ).fetchall()
        return {int(i): str(m) for i, m in rows}

    def _vector_scores(
        self, query: str, ranked: Sequence[tuple[int, float]], where: str, params: Sequence[object]
    ) -> tuple[dict[int, float], list[tuple[int, float]]]:
        """The query's cosine with each of BM25's first `CANDIDATES`, and the vectors' own
        ranking (for the entries BM25 did not find)."""
        assert self.embedder is not None
        # Added without the embedder: embed them now (not when read-only: those rank by BM25).
        if not self.read_only and self._missing_vectors(self._db):
            with self._write() as db:
                self._embed_missing(db)
        (wanted,) = self.embedder.embed([query])
        ids = [i for i, _ in ranked[:CANDIDATES]]
        rows = self._db.execute(
            f"SELECT id, vector FROM vectors WHERE id IN ({','.join('?' * len(ids))})", ids
        ).fetchall()
        mul = operator.mul
        cosines = {int(i): sum(map(mul, wanted, _unpack(blob))) for i, blob in rows}
        return cosines, self._vector_ranking(wanted, where, params)

    def _vector_ranking(
        self, wanted: Sequence[float], where: str, params: Sequence[object]
    ) -> list[tuple[int, float]]:
        rows = self._db.execute(
            f"SELECT v.id, v.vector FROM vectors v JOIN entries e ON e.id = v.id WHERE 1 {where}",
            tuple(params),
        ).fetchall()
        mul = operator.mul
        scored = [(int(i), sum(map(mul, wanted, _unpack(blob)))) for i, blob in rows]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:CANDIDATES]

    def _missing_vectors(self, db: sqlite3.Connection) -> list[tuple[int, str, str]]:
        """Entries without a vector of this embedder's model (none without an embedder)."""
        if self.embedder is None:
            return []
        return db.execute(
            "SELECT e.id, e.title, e.text FROM entries e LEFT JOIN vectors v ON v.id = e.id "
            "WHERE v.id IS NULL OR v.model != ?",
            (self.embedder.name,),
        ).fetchall()

    def _embed_missing(self, db: sqlite3.Connection) -> None:
        """Vectors for the entries that lack one, inside the caller's write transaction."""
        rows = self._missing_vectors(db)
        if self.embedder is None or not rows:
            return
        name = self.embedder.name
        for start in range(0, len(rows), 256):
            batch = rows[start : start + 256]
            vectors = self.embedder.embed([f"{t}\n{x}" for _, t, x in batch])
            db.executemany(
                "INSERT OR REPLACE INTO vectors (id, model, vector) VALUES (?, ?, ?)",
                [(i, name, _pack(v)) for (i, _, _), v in zip(batch, vectors, strict=True)],
            )

    # -- looking --------------------------------------------------------------------------------
    def entries(self, *, stack: str | None = None, kind: str | None = None) -> list[Hit]:
        """Every entry (filtered as `search` filters), oldest first, its whole text as the
        passage and score 0."""
        if self._empty:
            return []
        if kind is not None:
            _check_kind(kind)
        where, params = _filters(stack, kind)
        with self._errors():
            rows = self._db.execute(
                "SELECT id, kind, source, time, stack, persona, title, text FROM entries e "
                f"WHERE 1 {where} ORDER BY time, id",
                params,
            ).fetchall()
        return [Hit(int(r[0]), r[1], r[2], r[3], r[4], r[5], r[6], r[7], 0.0) for r in rows]

    def counts(self) -> dict[str, int]:
        """Entries per kind."""
        if self._empty:
            return {}
        with self._errors():
            rows = self._db.execute("SELECT kind, count(*) FROM entries GROUP BY kind").fetchall()
        return {str(kind): int(n) for kind, n in rows}


# ---------------------------------------------------------------- helpers of the store


def _check_kind(kind: object) -> None:
    if kind not in KINDS:
        raise MemoryInputError(f"unknown kind {str(kind)[:40]!r}: one of {', '.join(KINDS)}")


def _new_entry(
    kind: str,
    text: str,
    *,
    source: str,
    time: str | datetime.datetime,
    stack: str | None,
    persona: str | None,
    title: str | None,
) -> _Entry:
    """The entry `add` stores, its arguments checked (one line each when they are wrong)."""
    _check_kind(kind)
    when = _iso_time(time)
    body = _clean(text) if isinstance(text, str) else ""
    if not body.strip():
        raise MemoryInputError("an entry needs some text")
    if len(body) > TEXT_MAX_CHARS:
        raise MemoryInputError(
            f"an entry's text is {len(body)} characters, more than the {TEXT_MAX_CHARS} allowed"
        )
    if not isinstance(source, str) or not source.strip():
        raise MemoryInputError("an entry's source must be non-empty text (where it came from)")
    for what, value in (("stack", stack), ("persona", persona), ("title", title)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise MemoryInputError(f"an entry's {what} must be non-empty text")
    head = _clean(title or "")
    return _Entry(
        _key("entry", kind, source, when, stack, persona, head, body),
        kind,
        _clean(source),
        when,
        stack,
        persona,
        head,
        body,
        None,
    )


def _iso_time(value: object) -> str:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            datetime.datetime.fromisoformat(value)
            return value
    raise MemoryInputError(
        f"an entry's time must be ISO 8601 like 2026-11-29T14:00:00Z, got {str(value)[:40]!r}"
    )


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _count(db: sqlite3.Connection) -> int:
    return int(db.execute("SELECT count(*) FROM entries").fetchone()[0])


def _filters(stack: str | None, kind: str | None) -> tuple[str, list[object]]:
    where = ""
    params: list[object] = []
    if stack is not None:
        where += " AND (e.stack = ? OR e.stack IS NULL)"
        params.append(_without_nul(stack))
    if kind is not None:
        where += " AND e.kind = ?"
        params.append(kind)
    return where, params


def _rank(
    plan: QueryPlan,
    bm25: Callable[[Sequence[str]], Sequence[tuple[int, float, str | None]]],
    file_bm25: Callable[[Sequence[str], Sequence[str]], Mapping[str, float]],
) -> list[tuple[int, float]]:
    """Both stores' ranking, from their BM25 (`bm25(terms)`: (id, score, runbook file or None),
    best first; `file_bm25(terms, files)`: {file: score}): each entry scores its BM25 for the
    query's terms plus `EXPANSION_WEIGHT` times its BM25 for the vocabulary's expansions; a
    runbook section's score is then mixed with its file's (scored the same way):
    (1 - FILE_WEIGHT) * section + FILE_WEIGHT * file. Best first, ties in id order. The same
    floats in the same order on both stores, so the same scores to the bit."""
    scores: dict[int, float] = {}
    origins: dict[int, str] = {}
    parts = ((plan.terms, 1.0), (plan.expansions, EXPANSION_WEIGHT))
    for terms, weight in parts:
        if not terms or not weight:
            continue
        for entry, score, origin in bm25(terms):
            scores[entry] = scores.get(entry, 0.0) + weight * score
            if origin is not None:
                origins[entry] = origin
    if FILE_WEIGHT and origins:
        files = sorted(set(origins.values()))
        prior: dict[str, float] = {}
        for terms, weight in parts:
            if not terms or not weight:
                continue
            for origin, score in file_bm25(terms, files).items():
                prior[origin] = prior.get(origin, 0.0) + weight * score
        for entry, origin in origins.items():
            if origin in prior:
                scores[entry] = (1 - FILE_WEIGHT) * scores[entry] + FILE_WEIGHT * prior[origin]
    return sorted(scores.items(), key=lambda pair: (-pair[1], pair[0]))


def _rerank(
    ranked: Sequence[tuple[int, float]],
    cosines: Mapping[int, float],
    by_vectors: Sequence[tuple[int, float]],
) -> list[tuple[int, float]]:
    """BM25's first `CANDIDATES` re-ranked by (1 - VECTOR_WEIGHT) * score / best score +
    VECTOR_WEIGHT * cosine (an entry without a vector: cosine 0), then the entries only the
    vectors found (`by_vectors`, best first), scored cosine - 2 so they stay below."""
    head = list(ranked[:CANDIDATES])
    best = head[0][1] if head and head[0][1] > 0 else 1.0
    rescored = sorted(
        (
            (entry, (1 - VECTOR_WEIGHT) * score / best + VECTOR_WEIGHT * cosines.get(entry, 0.0))
            for entry, score in head
        ),
        key=lambda pair: (-pair[1], pair[0]),
    )
    seen = {entry for entry, _ in head}
    return rescored + [(entry, cos - 2.0) for entry, cos in by_vectors if entry not in seen]


def _diversified(
    ranked: Sequence[tuple[int, float]],
    sections_of: Callable[[list[int]], Container[int]],
    k: int,
) -> list[tuple[int, float]]:
    """`k` entries of `ranked` (best first), in its order, of which at most
    `ceil(KIND_SHARE * k)` are runbook sections (the ids `sections_of(ids)` holds of the ids
    given) and at most that many are other entries (records, notes), unless the other group has
    too few to fill the rest: each group's best, as many as its quota. A runbook that matches
    well lifts all its sections through the file prior, and they would otherwise crowd out the
    incident or decision that says what happened last time (and the reverse). With one group
    only, or no more than `k` entries, the ranking's first `k` as they are (then the store is
    not asked which are sections)."""
    if k < 1:
        return []
    if len(ranked) <= k:  # every entry is taken, whatever its kind
        return list(ranked)
    sections = sections_of([entry for entry, _ in ranked])
    cap = max(1, math.ceil(KIND_SHARE * k))
    have = [0, 0]  # entries of each group: [others, sections]
    for entry, _ in ranked:
        have[entry in sections] += 1
    quota = [min(have[0], cap), min(have[1], cap)]
    short = k - quota[0] - quota[1]
    if short > 0:  # one group ran out: the other fills the rest
        for group in (0, 1):
            grown = min(have[group], quota[group] + short)
            short -= grown - quota[group]
            quota[group] = grown
    taken: list[tuple[int, float]] = []
    counts = [0, 0]
    for pair in ranked:
        group = pair[0] in sections
        if counts[group] < quota[group]:
            taken.append(pair)
            counts[group] += 1
            if len(taken) == k:
                break
    return taken


def _check_search(query: object, k: object, budget: int | None, kind: str | None) -> None:
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise MemoryInputError(f"k must be 1 to {MAX_K}, got {k!r}")
    if kind is not None:
        _check_kind(kind)
    if budget is not None and budget < 0:
        raise tokens.BudgetError(f"budget {budget} is negative")
    if not isinstance(query, str):
        raise MemoryInputError("a query must be text")


def _ranked_hits(
    top: Sequence[tuple[int, float]],
    rows: Iterable[Sequence[Any]],
    marked: Mapping[int, str],
    k: int,
    budget: int | None,
) -> list[Hit]:
    """The hits of the ranking `top` ((id, score), best first), from `rows` (id, kind, source,
    time, stack, persona, title, text) and the texts with their matches marked (\\x02, \\x03);
    with a `budget`, only those `render(hits, budget)` keeps."""
    by_id = {int(r[0]): r for r in rows}
    cap = _passage_cap(budget, k)
    hits = [
        Hit(
            id=i,
            kind=str(by_id[i][1]),
            source=str(by_id[i][2]),
            time=str(by_id[i][3]),
            stack=by_id[i][4],
            persona=by_id[i][5],
            title=str(by_id[i][6]),
            passage=best_passage(marked.get(i, str(by_id[i][7])), cap),
            score=score,
        )
        for i, score in top
        if i in by_id
    ]
    if budget is None:
        return hits
    return hits[: _fitted(hits, budget).kept]


def _passage_cap(budget: int | None, k: int) -> int:
    if budget is None:
        return PASSAGE_TOKENS
    share = (budget - 20) // k - HIT_HEAD_TOKENS
    return max(MIN_PASSAGE_TOKENS, min(PASSAGE_TOKENS, share))


def _resolved(path: Path, what: str) -> str:
    try:
        return str(path.resolve(strict=True))
    except (OSError, RuntimeError) as exc:
        raise MemoryInputError(f"{path}: cannot read the {what} ({exc})") from exc


@contextlib.contextmanager
def _open_regular(path: Path, what: str) -> Iterator[Any]:
    """A regular file opened for binary reading (never a FIFO or a device, which would block or
    stream without end), as `toolchain.inputs.read_bytes` opens them."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise MemoryInputError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise MemoryInputError(
            f"{path}: {_file_kind(mode)}, not a regular file; the {what} must be a file"
        )
    with os.fdopen(fd, "rb") as fh:
        yield fh


def _whole_lines(fh: Any) -> Iterator[tuple[int, bytes | None]]:
    """(length, bytes) of each line that ends with a newline, stopping before a torn last line
    (a write in flight: the next run reads it). A line longer than `AUDIT_LINE_MAX_BYTES` is
    debris, passed over without being held: (length, None)."""
    while True:
        raw = fh.readline(AUDIT_LINE_MAX_BYTES)
        if raw.endswith(b"\n"):
            yield len(raw), raw
            continue
        if len(raw) < AUDIT_LINE_MAX_BYTES:
            return  # the end, or a line still being written
        length = len(raw)
        while True:
            more = fh.readline(AUDIT_LINE_MAX_BYTES)
            length += len(more)
            if more.endswith(b"\n"):
                yield length, None
                break
            if len(more) < AUDIT_LINE_MAX_BYTES:
                return


class _AuditRead:
    """One incremental read of an audit log from where the last run stopped (`offset` after its
    last whole line, `line` count, `head` hash; zeros and "" the first time). `batches()` yields
    the entries of the new whole lines, at most 1,000 at a time; afterwards `offset`, `line` and
    `head` are what to keep for the next run and `skipped` counts the lines not worth an entry.
    Storage-independent: each store keeps the three values its own way."""

    BATCH = 1000

    def __init__(self, path: Path, origin: str, offset: int, line: int, head: str) -> None:
        self.path, self.origin = path, origin
        self.offset, self.line, self.head = offset, line, head
        self.start = offset
        self.skipped = 0

    @property
    def files(self) -> int:
        """1 when new bytes were read, else 0 (an `IndexReport.files`)."""
        return int(self.offset > self.start)

    def batches(self) -> Iterator[list[_Entry]]:
        with _open_regular(self.path, "audit log") as fh:
            size = os.fstat(fh.fileno()).st_size
            if self.offset and (
                size < self.offset or _sha(fh.read(min(self.offset, HEAD_BYTES))) != self.head
            ):
                self.offset, self.line = 0, 0  # rotated or replaced: read it all; keys dedupe
            fh.seek(self.offset)
            self.start = self.offset
            entries: list[_Entry] = []
            for length, raw in _whole_lines(fh):
                self.offset += length
                self.line += 1
                source = f"{self.path.name}:{self.line}"
                entry = _audit_entry(raw, source, self.origin) if raw else None
                if entry is not None:
                    entries.append(entry)
                    if len(entries) >= self.BATCH:
                        yield entries
                        entries = []
                elif raw is None or raw.strip():
                    self.skipped += 1
            if entries:
                yield entries
            fh.seek(0)
            self.head = _sha(fh.read(min(self.offset, HEAD_BYTES)))


def _audit_entry(raw: bytes, source: str, origin: str) -> _Entry | None:
    if not raw.strip():
        return None
    try:
        record = json.loads(raw)
    except (ValueError, RecursionError):
        return None
    if not (
        isinstance(record, dict)
        and isinstance(record.get("ts"), str)
        and isinstance(record.get("event"), str)
    ):
        return None
    kind = audit_kind(record)
    if kind is None:
        return None
    title, text = audit_title_text(record)
    stack, persona = record.get("stack"), record.get("persona")
    return _Entry(
        key=_key("audit", _sha(raw.strip())),
        kind=kind,
        source=source,
        time=str(record["ts"]),
        stack=stack if isinstance(stack, str) and stack else None,
        persona=persona if isinstance(persona, str) and persona else None,
        title=title,
        text=text or title,
        origin=origin,
    )


def _markdown_files(base: Path) -> tuple[list[Path], list[str]]:
    """Regular `.md` files under `base` (resolved), sorted, and the paths refused because they
    lead out of it. A runbook folder is a pull request away from anyone: a symlinked
    `leak.md -> ~/.aws/credentials` would be indexed and served to every `read` token. So no
    symlink is followed, file or folder (a symlinked folder is neither walked nor indexed), and
    every file's resolved path must stay under `base`."""
    found: list[Path] = []
    outside: list[str] = []
    for folder, dirs, names in os.walk(base, followlinks=False):
        here = Path(folder)
        for name in list(dirs):
            if (here / name).is_symlink():
                dirs.remove(name)
                outside.append(str(here / name))
        dirs.sort()
        for name in sorted(names):
            path = here / name
            if not name.endswith(".md"):
                continue
            if path.is_symlink() or not _inside(path, base):
                outside.append(str(path))
                continue
            if path.is_file():
                found.append(path)
    return found, outside


def _inside(path: Path, base: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(base)
    except (OSError, RuntimeError):
        return False


class _MayBeOutside(MemoryInputError):
    """A runbook that may be a file from outside its folder: skipped and reported."""


def _read_runbook(path: Path, base: Path) -> bytes:
    """A runbook's bytes, opened without following a symlink (`O_NOFOLLOW`: a file swapped for
    a link after the walk is refused, not followed) and checked to be inside `base` again."""
    if not _inside(path, base):
        raise MemoryInputError(f"{path}: leads out of the runbooks folder {base}; not read")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError as exc:
        raise MemoryInputError(
            f"{path}: cannot read the runbook ({exc.strerror or exc}; symlinks are not followed)"
        ) from exc
    with os.fdopen(fd, "rb") as fh:
        info = os.fstat(fh.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise MemoryInputError(
                f"{path}: {_file_kind(info.st_mode)}, not a regular file; not a runbook"
            )
        if info.st_nlink > 1:  # a hard link may name a file outside the folder (an archive can)
            raise _MayBeOutside(
                f"{path}: has {info.st_nlink} hard links, so it may be a file from outside the "
                "runbooks folder; not read (copy it in instead)"
            )
        data = fh.read(RUNBOOK_MAX_BYTES + 1)
    if len(data) > RUNBOOK_MAX_BYTES:
        raise MemoryInputError(
            f"{path}: the runbook is more than the {RUNBOOK_MAX_BYTES} bytes allowed"
        )
    return data


def _parse_runbooks(
    folder: str | Path,
) -> tuple[Path, dict[str, tuple[str, list[_Entry]]], list[str]]:
    """Every runbook under `folder`, read and parsed before anything is written: the resolved
    folder, {file: (SHA-256 of its bytes, its entries)}, and the paths refused as outside it."""
    root = Path(folder)
    try:
        if not root.is_dir():
            raise MemoryInputError(f"{root}: not a folder; runbooks are read from a folder")
        base = root.resolve()
    except OSError as exc:
        raise MemoryInputError(f"{root}: cannot read the runbooks folder ({exc})") from exc
    parsed: dict[str, tuple[str, list[_Entry]]] = {}
    files_inside, outside = _markdown_files(base)
    for file in files_inside:
        origin = str(file)
        try:
            data = _read_runbook(file, base)
        except _MayBeOutside:
            outside.append(origin)  # skipped and reported, like a symlink out
            continue
        parsed[origin] = (_sha(data), _runbook_entries(file, base, data))
    return base, parsed, outside


def _runbook_entries(path: Path, base: Path, data: bytes) -> list[_Entry]:
    from toolchain.inputs import decode_utf8, parse_yaml  # noqa: PLC0415

    text = decode_utf8(data, str(path), "runbook", MemoryInputError).replace("\r\n", "\n")
    front, body = split_front_matter(text)
    meta = parse_yaml(front, str(path), "runbook front matter", error=MemoryInputError) or {}
    if not isinstance(meta, dict):
        raise MemoryInputError(f"{path}: the front matter must be a mapping (stack:, persona:)")
    fields: dict[str, str | None] = {}
    for field in ("stack", "persona"):
        value = meta.get(field)
        if value is not None and not isinstance(value, str):
            raise MemoryInputError(f"{path}: front matter {field} must be text, got {value!r}")
        fields[field] = value or None
    name = path.relative_to(base).as_posix()
    when = datetime.datetime.fromtimestamp(path.stat().st_mtime, datetime.UTC).isoformat(
        timespec="seconds"
    )
    return [
        _Entry(
            key=_key(
                "runbook", path, s.anchor, s.title, s.text, fields["stack"], fields["persona"]
            ),
            kind="runbook",
            source=f"{name}#{s.anchor}" if s.anchor else name,
            time=when,
            stack=fields["stack"],
            persona=fields["persona"],
            title=s.title,
            text=s.text,
            origin=str(path),
        )
        for s in runbook_sections(body, name)
    ]

"""The agents' memory on the stack's PostgreSQL (`records_backend=postgres`): the same entries,
indexing and answers as `agents.skills.memory`'s SQLite file, shared by every persona and pod.

Design decisions (issue 19; the memory's own design is in `agents.skills.memory`):

- Everything that does not touch storage is `memory.py`'s, used as it is: entry checks, audit
  records and their incremental reading, runbook parsing, query terms, passage selection,
  budgets, reciprocal-rank fusion. This module only stores and ranks.
- Connections, TLS, roles and schema versions are `agents.protocol.postgres`'s: `migrate(conn,
  "memory", MIGRATIONS)` at start (only reads the version where it is current, as a persona's
  login always finds it after `records migrate`; a newer schema is refused with one line,
  nothing written); read-only opens never migrate, and see an unmigrated database as an empty
  memory. The memory is shared: every persona's login (the rw role, migration 2's grants) reads,
  adds and forgets entries, and none may ALTER, DROP or TRUNCATE a table (only the owner may).
  The stemmer is looked up as `public.agents_memory_stem` (text search dictionaries have no
  privileges of their own: schema USAGE is enough).
- NUL: the entries are `memory.py`'s, so a NUL is stored exactly as the SQLite memory stores it
  (`memory._storable`: dropped from title and text, U+FFFD elsewhere); PostgreSQL's text would
  refuse it.
- Ranking is SQLite FTS5's BM25, computed in SQL over an inverted index: the words of a title and
  a text are found exactly as `query_terms` finds a query's (letters and digits of any script,
  lowercased, diacritics removed, at most 64 characters) and stemmed by the original Porter
  algorithm with no stopwords (a Snowball `porter` dictionary, `agents_memory_stem`: FTS5's
  `porter` tokenizer is that algorithm and drops no words either; only queries do). Each entry's
  stems go to `memory_postings` (stem, entry, times in the title, times in the text, the entry's
  length in words), written in the transaction that inserts the entry and removed with it (`ON
  DELETE CASCADE`); entries never change, so neither do their postings. A query reads the postings
  of its terms' stems only (one index-only range per term: the primary key covers every column
  BM25 needs), and each entry scores sum(idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len /
  avglen))) with FTS5's constants, idf and column weights (given at query time, as FTS5 takes
  them), its statistics over the whole table as FTS5 counts them: a term's document frequency is
  its stem's number of postings (an index-only count), the entry count and total length are kept
  in `memory_stats`. As in FTS5, each query term is one phrase (two words with one stem count
  twice) and an entry's terms are summed in query order with FTS5's arithmetic, so the scores are
  FTS5's to the bit (tested) and equal entries tie, in id order. Measured on the memory benchmark
  (57 queries; chosen on the odd half, checked on the even): this ranks as the SQLite store does
  (recall@5 0.919, nDCG@5 0.890, MRR@5 0.940, on all three halves the same figures as SQLite).
  Snowball's English stemmer tied on the odd half and lost on the even (nDCG@5 0.898 against
  0.906: it folds `deployer` into `deploy`); `ts_rank_cd`, which has no idf, lost everywhere
  (recall@5 0.85 at best, with any weights and normalisation tried). Why not a text-search
  configuration's parser: it splits `audit.jsonl` and `1.2.3` differently from FTS5 and, in a
  `C`-locale database, drops non-ASCII letters. Words are stemmed through the server (`ts_lexize`,
  cached per connection), so documents and queries share one stemmer; words FTS5's porter passes
  through whole (under 3 bytes: `is`, `5s`, `ms`; over 64) are not sent to it. (Entries posted
  before that rule keep Snowball's stem of such words, `is` as `i`: only queries of those short
  words see the difference, until the entry is indexed again.)
- Schema 3: postings of the four ranking columns (document, heading, text, CamelCase parts:
  `memory.entry_fields`), weighted at query time as FTS5 weights them, and runbook files as
  whole documents (`memory_files`, `memory_file_postings`, from `memory.file_fields`) for the
  file prior; the expansions, the prior, the vectors' re-ranking and the kinds' shares of the
  top k are `memory._rank`, `memory._rerank` and `memory._diversified`, shared. Migration 3
  empties the postings and statistics; the first writer that opens the memory posts every
  entry again (`_post_missing`, in batches, under an advisory lock); until then a reader finds
  only entries added since.
- Why postings and not a GIN-indexed `tsvector` (the first design): BM25 needs each matching
  entry's term frequencies and length and each term's document frequency; from a `tsvector`
  that meant counting matches over the table and unnesting every matched entry's vector per
  query (1.3 s p50 at 2,000 entries). The postings hold exactly those numbers, sorted by stem.
  Its cost is the number of postings of the query's stems (as FTS5's is its doclists'), so a
  search for common words in a large memory still reads many: `benchmarks.records` measures it.
- Statistics: `memory_stats` holds (entries, words) in a few shard rows, summed when read. A
  write transaction adds what it inserted (`ON CONFLICT (key) DO NOTHING ... RETURNING`: only
  rows it really inserted) and subtracts what it deleted (`DELETE ... RETURNING`), once, just
  before it commits, into the shard of its server process: the row lock is held for the commit
  only, and concurrent writers mostly touch different rows, so an adder never waits for a long
  audit indexing to finish.
- Queries never reach a parser: a query's stems go in as a bound `text[]` parameter, so no
  user text is SQL or text-search syntax.
- Passages: the matched words of each hit's text (same stems) are marked the way FTS5's
  `highlight()` marks them, and `memory.best_passage` picks the window.
- Vectors: stored as `real[]`. Where the database has pgvector (`CREATE EXTENSION IF NOT EXISTS
  vector` is tried when an embedder is given; refused or absent, nothing else changes), the
  cosine ranking is computed by the server (`<=>`); otherwise in-process, as `memory.py` does.
- Several pods have an `/var/lib/agents/audit.jsonl` each: an audit log's offsets are kept per
  (hostname, path), so no pod resets another's. Runbook files are the image's, the same on every
  pod: they are kept under no host, so a runbook gone from the image is forgotten by the first
  pod that no longer has it.
- Concurrency: adds are `INSERT ... ON CONFLICT (key) DO NOTHING` (the same entry twice is one
  row, whoever adds it); one audit log is indexed by one transaction at a time (its source row
  is locked `FOR UPDATE`), one runbook folder likewise (an advisory lock). A lock held longer
  than `busy_timeout_s` is `MemoryBusy`, as with SQLite.
- Errors are one line: `RecordsError` for the server (unreachable, refused, TLS, a driver
  error), `MemoryBusy`, and `memory.py`'s input errors for bad arguments.
"""

from __future__ import annotations

import contextlib
import datetime
import math
import operator
import re
import socket
import unicodedata
import zlib
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.protocol.postgres import (
    RW_ROLE,
    Migration,
    RecordsError,
    Target,
    connect,
    errors,
    migrate,
    schema_version,
    target,
)
from agents.skills import memory as _memory
from agents.skills.memory import (
    _TERM,
    BUSY_TIMEOUT_S,
    CANDIDATES,
    MAX_TERM_CHARS,
    Embedder,
    Hit,
    IndexReport,
    Memory,
    MemoryBusy,
    MemoryInputError,
    _AuditRead,
    _check_kind,
    _check_search,
    _diversified,
    _Entry,
    _new_entry,
    _now,
    _parse_runbooks,
    _rank,
    _ranked_hits,
    _rerank,
    _resolved,
    _storable,
    _without_nul,
    entry_fields,
    file_fields,
    query_plan,
    ranking_fields,
    split_words,
)

if TYPE_CHECKING:
    import psycopg

    from agents.protocol.settings import AgentSettings

COMPONENT = "memory"
STEMMER = "agents_memory_stem"
_STEMMER_IN_PUBLIC = f"public.{STEMMER}"
# FTS5's BM25 constants (fts5_aux.c).
BM25_K1 = 1.2
BM25_B = 0.75
STEM_CACHE = 200_000
SEARCH_WORK_MEM = "64MB"
# Rows of `memory_stats`: a writer updates the one of its server process, so concurrent writers
# rarely wait for each other's commit; readers sum them.
STATS_SHARDS = 16

MIGRATIONS = (
    Migration(
        1,
        "memory entries, postings, statistics, vectors and sources",
        (
            # The Porter stemmer, without a stopword list: every word is indexed, as FTS5 does.
            f"CREATE TEXT SEARCH DICTIONARY {STEMMER} (TEMPLATE = snowball, Language = porter)",
            """CREATE TABLE memory_entries (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                key TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL,
                source TEXT NOT NULL,
                time TEXT NOT NULL,
                stack TEXT,
                persona TEXT,
                title TEXT NOT NULL,
                text TEXT NOT NULL,
                origin TEXT,
                length INTEGER NOT NULL
            )""",
            # The inverted index: BM25's numbers per (stem, entry), the key covering them all
            # so a query's stems are read by index-only scans; byte order ("C") compares fast.
            """CREATE TABLE memory_postings (
                lexeme TEXT COLLATE "C" NOT NULL,
                entry_id BIGINT NOT NULL REFERENCES memory_entries (id) ON DELETE CASCADE,
                title_tf INTEGER NOT NULL,
                text_tf INTEGER NOT NULL,
                length INTEGER NOT NULL,
                PRIMARY KEY (lexeme, entry_id) INCLUDE (title_tf, text_tf, length)
            )""",
            "CREATE INDEX memory_postings_entry ON memory_postings (entry_id)",
            """CREATE TABLE memory_stats (
                shard SMALLINT PRIMARY KEY,
                entries BIGINT NOT NULL,
                words BIGINT NOT NULL
            )""",
            "CREATE INDEX memory_entries_origin ON memory_entries (origin)",
            "CREATE INDEX memory_entries_kind_stack ON memory_entries (kind, stack)",
            """CREATE TABLE memory_vectors (
                id BIGINT PRIMARY KEY REFERENCES memory_entries (id) ON DELETE CASCADE,
                model TEXT NOT NULL,
                vector REAL[] NOT NULL
            )""",
            """CREATE TABLE memory_sources (
                host TEXT NOT NULL,
                path TEXT NOT NULL,
                kind TEXT NOT NULL,
                byte_offset BIGINT NOT NULL,
                line BIGINT NOT NULL,
                head TEXT NOT NULL,
                indexed_at TEXT NOT NULL,
                PRIMARY KEY (host, path)
            )""",
        ),
    ),
    Migration(
        2,
        "the personas' rw role reads and writes the rows, nothing more",
        (
            # Where there is no rw role (one machine, no bootstrap) there is nothing to grant.
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{RW_ROLE}') THEN "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON memory_entries, memory_postings, "
            f'memory_stats, memory_vectors, memory_sources TO "{RW_ROLE}"; '
            f'GRANT USAGE, SELECT ON SEQUENCE memory_entries_id_seq TO "{RW_ROLE}"; '
            "END IF; END $$",
        ),
    ),
    Migration(
        3,
        "ranking fields (document, heading, text, CamelCase parts) and runbook files",
        (
            # Postings of four columns; every entry is posted again by the first writer that
            # opens the memory (`PostgresMemory._post_missing`), the statistics with them.
            "DELETE FROM memory_postings",
            "DELETE FROM memory_stats",
            "ALTER TABLE memory_postings RENAME COLUMN title_tf TO heading_tf",
            "ALTER TABLE memory_postings ADD COLUMN doc_tf INTEGER NOT NULL DEFAULT 0, "
            "ADD COLUMN split_tf INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE memory_postings DROP CONSTRAINT memory_postings_pkey, ADD PRIMARY KEY "
            "(lexeme, entry_id) INCLUDE (doc_tf, heading_tf, text_tf, split_tf, length)",
            "ALTER TABLE memory_entries ADD COLUMN posted BOOLEAN NOT NULL DEFAULT false",
            "ALTER TABLE memory_entries ALTER COLUMN posted SET DEFAULT true",
            "CREATE INDEX memory_entries_unposted ON memory_entries (id) WHERE NOT posted",
            """CREATE TABLE memory_files (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                origin TEXT NOT NULL UNIQUE,
                length INTEGER NOT NULL
            )""",
            """CREATE TABLE memory_file_postings (
                lexeme TEXT COLLATE "C" NOT NULL,
                file_id BIGINT NOT NULL REFERENCES memory_files (id) ON DELETE CASCADE,
                doc_tf INTEGER NOT NULL,
                heading_tf INTEGER NOT NULL,
                text_tf INTEGER NOT NULL,
                split_tf INTEGER NOT NULL,
                length INTEGER NOT NULL,
                PRIMARY KEY (lexeme, file_id)
                    INCLUDE (doc_tf, heading_tf, text_tf, split_tf, length)
            )""",
            "CREATE INDEX memory_file_postings_file ON memory_file_postings (file_id)",
            "DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = "
            f"'{RW_ROLE}') THEN "
            "GRANT SELECT, INSERT, UPDATE, DELETE ON memory_files, memory_file_postings "
            f'TO "{RW_ROLE}"; '
            f'GRANT USAGE, SELECT ON SEQUENCE memory_files_id_seq TO "{RW_ROLE}"; '
            "END IF; END $$",
        ),
    ),
)
NEWEST = max(m.version for m in MIGRATIONS)
# What a reader's login (`baseline_agents_read`, e.g. the MCP server's `search-memory`) may
# SELECT: what a search and a listing read. Not `memory_sources` (which audit logs of which pods
# were indexed how far): no search needs it.
READ_TABLES = (
    "memory_entries",
    "memory_postings",
    "memory_stats",
    "memory_vectors",
    "memory_files",
    "memory_file_postings",
)
POST_BATCH = 1000
_POSTING_LOCK = zlib.crc32(b"agents-memory-postings") - 2**31

_COLUMNS = "id, kind, source, time, stack, persona, title, text"
_MARK_SAFE = re.compile(r"[\x02\x03]")
# The token lengths in bytes FTS5's porter tokenizer stems (fts5_tokenize.c: shorter or longer
# tokens pass through as they are).
_FTS5_STEM_MIN_BYTES, _FTS5_STEM_MAX_BYTES = 3, 64


def _fold(word: str) -> str:
    """A word as indexed: diacritics removed (FTS5's `remove_diacritics 2`)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def _words(text: str) -> list[str]:
    """The words of stored text, as `query_terms` finds a query's (no stopwords dropped)."""
    return [_fold(w.lower()[:MAX_TERM_CHARS]) for w in _TERM.findall(text)]


def _term_counts(columns: Sequence[Sequence[str]]) -> dict[str, list[int]]:
    """{stem: [times in each column]} (FTS5's per-column term frequencies) of the stems of
    (document, heading, text, parts)."""
    counts: dict[str, list[int]] = {}
    for column, stems in enumerate(columns):
        for stem in stems:
            held = counts.get(stem)
            if held is None:
                held = counts[stem] = [0] * len(columns)
            held[column] += 1
    return counts


def _filters(stack: str | None, kind: str | None) -> tuple[str, list[object]]:
    where = ""
    params: list[object] = []
    if stack is not None:
        where += " AND (e.stack = %s OR e.stack IS NULL)"
        params.append(_without_nul(stack))
    if kind is not None:
        where += " AND e.kind = %s"
        params.append(kind)
    return where, params


def _bm25_sql(postings: str, key: str, stats: str, filtered: str, terms: int) -> str:
    """FTS5's BM25 over `postings` (whose `key` column names the document) for `terms` query
    terms: (id, score) of the documents holding any, best first, ties in id order, at most a
    limit. One branch per query term, as FTS5 has one phrase per term: its postings, and its idf
    from its document count (all its postings, before any filter, as FTS5 counts them); each
    document's terms are summed in query order, as FTS5 sums them, so equal documents score bit
    for bit the same. `stats` gives (n, avglen); `filtered` narrows each branch's postings."""
    branch = (
        "SELECT {k} AS k, p." + key + " AS id, p.doc_tf * %s::float8 + p.heading_tf * %s::float8 "
        "+ p.text_tf * %s::float8 + p.split_tf * %s::float8 AS tf, p.length, "
        "(SELECT greatest(ln((s.n - c.hits + 0.5) / (c.hits + 0.5)), 1e-6) "
        "  FROM stats s, (SELECT count(*)::float8 AS hits FROM " + postings + " "
        "  WHERE lexeme = %s) AS c) AS idf "
        f"FROM {postings} p WHERE p.lexeme = %s{filtered}"
    )
    branches = " UNION ALL ".join(branch.format(k=k) for k in range(terms))
    return (
        f"WITH stats AS MATERIALIZED ({stats}) "
        "SELECT t.id, sum(t.idf * ((t.tf * %s) / (t.tf + %s * (1 - %s + %s * t.length "
        "  / s.avglen)))) AS score "
        f"FROM ({branches} ORDER BY id, k) AS t CROSS JOIN stats s "
        "GROUP BY t.id ORDER BY score DESC, t.id LIMIT %s"
    )


def _bm25_params(stems: Sequence[str], params: Sequence[object], limit: int) -> list[object]:
    """The parameters of `_bm25_sql`'s query: the constants, each term's weights, stem and
    filter parameters, the limit (the column weights read now, so a test may change them)."""
    weights = (
        _memory.DOC_WEIGHT,
        _memory.HEADING_WEIGHT,
        _memory.TEXT_WEIGHT,
        _memory.SPLIT_WEIGHT,
    )
    values: list[object] = [BM25_K1 + 1, BM25_K1, BM25_B, BM25_B]
    for stem in stems:
        values += [*weights, stem, stem, *params]
    return [*values, limit]


def _hit(row: Sequence[Any]) -> Hit:
    return Hit(int(row[0]), row[1], row[2], row[3], row[4], row[5], row[6], row[7], 0.0)


class PostgresMemory:
    """The memory in the PostgreSQL database of `target` (the schema migrated on opening, unless
    `read_only`). Same methods and answers as `Memory`; one `PostgresMemory` per thread (it holds
    one connection); any number of processes and pods share the database."""

    def __init__(
        self,
        where: Target,
        *,
        embedder: Embedder | None = None,
        read_only: bool = False,
        busy_timeout_s: float = BUSY_TIMEOUT_S,
    ) -> None:
        self.target = where
        self.embedder = embedder
        self.read_only = read_only
        self._empty = False
        self._pgvector = False
        self._stems: dict[str, str] = {}
        self._delta: list[int] | None = None  # (entries, words) the open write added or removed
        self._where = f"{where.describe()} memory"
        self._db = connect(where, autocommit=True)
        try:
            self._prepare(busy_timeout_s)
        except BaseException:
            self._db.close()
            raise

    def _prepare(self, busy_timeout_s: float) -> None:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL records need it

        with self._errors():
            self._db.execute(f"SET lock_timeout = {max(1, round(busy_timeout_s * 1000))}")
            # A search sorts and sums the postings of its terms (tens of MB at 100k entries): in
            # memory, not on disk; and not JIT-compiled, which costs more than such a query saves.
            self._db.execute(f"SET work_mem = '{SEARCH_WORK_MEM}'")
            self._db.execute("SET jit = off")
            if self.read_only:
                self._db.execute("SET default_transaction_read_only = on")
                version = schema_version(self._db, COMPONENT)  # 0: never migrated
                if version > NEWEST:
                    raise RecordsError(
                        f"{self._where}: schema version {version} is newer than this version of "
                        f"the agents knows ({NEWEST}); upgrade the agents"
                    )
                self._empty = version == 0
            if self.embedder is not None and not self.read_only:
                # pgvector where the database offers it; refused or absent, cosine in-process.
                with contextlib.suppress(psycopg.Error), self._db.transaction():
                    self._db.execute("CREATE EXTENSION IF NOT EXISTS vector")
            self._pgvector = bool(
                self._db.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
            )
        if not self.read_only:
            migrate(self._db, COMPONENT, MIGRATIONS)
            with self._errors():
                unposted = self._db.execute(
                    "SELECT 1 FROM memory_entries WHERE NOT posted LIMIT 1"
                ).fetchone()
            if unposted:
                self._post_missing()

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> PostgresMemory:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- errors and transactions --------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        import psycopg  # noqa: PLC0415 - only the PostgreSQL records need it

        with errors(self._where):
            try:
                yield
            except psycopg.errors.LockNotAvailable:
                raise MemoryBusy(
                    f"{self._where}: another writer held the memory locked for longer than the "
                    "busy timeout; try again"
                ) from None

    @contextlib.contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        if self.read_only:
            raise MemoryInputError(f"{self._where}: the memory is open read-only; nothing written")
        if self._delta is not None:
            raise AssertionError("memory writes do not nest")  # the statistics are flushed once
        with self._errors(), self._db.transaction():
            self._delta = [0, 0]
            try:
                yield self._db
                entries, words = self._delta
                if entries or words:
                    # Last, so the shard row is locked only while this transaction commits.
                    self._db.execute(
                        "INSERT INTO memory_stats (shard, entries, words) "
                        "VALUES (mod(pg_backend_pid(), %s), %s, %s) ON CONFLICT (shard) DO UPDATE "
                        "SET entries = memory_stats.entries + excluded.entries, "
                        "words = memory_stats.words + excluded.words",
                        (STATS_SHARDS, entries, words),
                    )
            finally:
                self._delta = None

    def _counted(self, rows: Sequence[Sequence[Any]], sign: int) -> int:
        """Counts rows (length, ...) inserted (`sign` 1) or deleted (-1) in the statistics."""
        assert self._delta is not None  # only inside `_write`
        self._delta[0] += sign * len(rows)
        self._delta[1] += sign * sum(int(r[0]) for r in rows)
        return len(rows)

    # -- words --------------------------------------------------------------------------------
    def _stemmed(self, words: Iterable[str]) -> dict[str, str]:
        """{word: its stem} by the server's stemmer, cached per connection. A word FTS5's porter
        tokenizer passes through unstemmed (under 3 or over 64 bytes: `is`, `us`, `5s` stay
        whole, where Snowball's porter would cut the `s`) is its own stem here too."""
        if len(self._stems) > STEM_CACHE:
            self._stems.clear()  # before looking: every word wanted is then found or fetched
        wanted = set(words)
        for w in wanted - self._stems.keys():
            if not _FTS5_STEM_MIN_BYTES <= len(w.encode()) <= _FTS5_STEM_MAX_BYTES:
                self._stems[w] = w
        missing = [w for w in wanted if w not in self._stems]
        if missing:
            rows = self._db.execute(
                f"SELECT w, ts_lexize('{_STEMMER_IN_PUBLIC}', w) FROM unnest(%s::text[]) AS w",
                (missing,),
            ).fetchall()
            for word, lexemes in rows:
                self._stems[str(word)] = str(lexemes[0]) if lexemes else str(word)
        return {w: self._stems[w] for w in wanted}

    def _mark(self, text: str, stems: set[str]) -> str:
        """`text` with its words whose stem is one of `stems` between \\x02 and \\x03 (as FTS5's
        `highlight()` marks them)."""
        clean = _MARK_SAFE.sub("", text)  # stored text has none; never let one pass as a mark
        found = {w: _fold(w.lower()[:MAX_TERM_CHARS]) for w in _TERM.findall(clean)}
        stem_of = self._stemmed(found.values())
        return _TERM.sub(
            lambda m: f"\x02{m.group()}\x03" if stem_of[found[m.group()]] in stems else m.group(),
            clean,
        )

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
            row = db.execute(
                "SELECT id FROM memory_entries WHERE key = %s", (entry.key,)
            ).fetchone()
            self._embed_missing(db)
        assert row is not None  # inserted, or there already, in this transaction
        return int(row[0])

    def _insert(self, db: psycopg.Connection[Any], entries: Sequence[_Entry]) -> int:
        """Insert the entries not there yet (by key) with their postings; how many were new."""
        unique: dict[str, _Entry] = {}
        for e in entries:
            unique.setdefault(e.key, e)  # the same record twice in one batch: one row
        if not unique:
            return 0
        batch = [_storable(e) for e in unique.values()]
        lengths, posting = self._postings([(*entry_fields(e), e.text) for e in batch])
        rows = db.execute(
            "WITH input AS (SELECT * FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], "
            "  %s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::int[]) "
            "  WITH ORDINALITY AS u(k, kd, s, t, st, p, ti, tx, o, len, n)), "
            "new AS (INSERT INTO memory_entries (key, kind, source, time, stack, persona, title, "
            "  text, origin, length) SELECT k, kd, s, t, st, p, ti, tx, o, len FROM input "
            "  ORDER BY n ON CONFLICT (key) DO NOTHING RETURNING id, key, length), "
            "posted AS (INSERT INTO memory_postings (lexeme, entry_id, doc_tf, heading_tf, "
            "  text_tf, split_tf, length) "
            "  SELECT p.lexeme, new.id, p.doc_tf, p.heading_tf, p.text_tf, p.split_tf, new.length "
            "  FROM new JOIN input ON input.k = new.key "
            "  JOIN unnest(%s::bigint[], %s::text[], %s::int[], %s::int[], %s::int[], %s::int[]) "
            "  AS p(n, lexeme, doc_tf, heading_tf, text_tf, split_tf) ON p.n = input.n) "
            "SELECT length FROM new",
            (
                [e.key for e in batch],
                [e.kind for e in batch],
                [e.source for e in batch],
                [e.time for e in batch],
                [e.stack for e in batch],
                [e.persona for e in batch],
                [e.title for e in batch],
                [e.text for e in batch],
                [e.origin for e in batch],
                lengths,
                *posting,
            ),
        ).fetchall()
        return self._counted(rows, 1)

    def _postings(
        self, documents: Sequence[tuple[str, str, str, str]]
    ) -> tuple[list[int], tuple[list[int], list[str], list[int], list[int], list[int], list[int]]]:
        """The lengths in words of `documents` ((document, heading, parts, text) each, as
        `entry_fields` and the text give them) and their postings as columns: (document number
        from 1, stem, times in the document, heading, text and parts fields)."""
        columns = [(d, h, t, p) for d, h, p, t in documents]  # FTS5's column order
        words = [[_words(field) for field in doc] for doc in columns]
        stem = self._stemmed(w for doc in words for field in doc for w in field)
        numbers: list[int] = []
        lexemes: list[str] = []
        tfs: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
        for n, doc in enumerate(words, start=1):
            for lexeme, counts in _term_counts([[stem[w] for w in f] for f in doc]).items():
                numbers.append(n)
                lexemes.append(lexeme)
                for column, count in enumerate(counts):
                    tfs[column].append(count)
        posting = (numbers, lexemes, *tfs)
        return [sum(map(len, doc)) for doc in words], posting

    def _post_missing(self) -> None:
        """Postings for the entries that lack them (after migration 3), a batch per transaction;
        then the files of the runbooks among them."""
        origins: set[str] = set()
        while True:
            with self._write() as db:
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_POSTING_LOCK,))
                rows = db.execute(
                    "SELECT id, kind, source, title, text, origin FROM memory_entries "
                    "WHERE NOT posted ORDER BY id LIMIT %s",
                    (POST_BATCH,),
                ).fetchall()
                if not rows:
                    for origin in sorted(origins):
                        self._refresh_file(db, origin)
                    return
                lengths, posting = self._postings(
                    [
                        (*ranking_fields(kind, source, title), split_words(text), text)
                        for _, kind, source, title, text, _ in rows
                    ]
                )
                ids = [int(r[0]) for r in rows]
                db.execute(
                    "INSERT INTO memory_postings (lexeme, entry_id, doc_tf, heading_tf, text_tf, "
                    "split_tf, length) SELECT p.lexeme, i.id, p.doc_tf, p.heading_tf, p.text_tf, "
                    "p.split_tf, i.length FROM unnest(%s::bigint[], %s::int[]) WITH ORDINALITY "
                    "AS i(id, length, n) JOIN unnest(%s::bigint[], %s::text[], %s::int[], "
                    "%s::int[], %s::int[], %s::int[]) AS p(n, lexeme, doc_tf, heading_tf, text_tf, "
                    "split_tf) ON p.n = i.n",
                    (ids, lengths, *posting),
                )
                db.execute(
                    "UPDATE memory_entries e SET length = i.length, posted = true "
                    "FROM unnest(%s::bigint[], %s::int[]) AS i(id, length) WHERE e.id = i.id",
                    (ids, lengths),
                )
                self._counted([(n,) for n in lengths], 1)
                origins.update(str(r[5]) for r in rows if r[1] == "runbook" and r[5])

    def _refresh_file(self, db: psycopg.Connection[Any], origin: str) -> None:
        """The runbook file `origin` as one document (the document prior), from its sections,
        as the SQLite memory's `files` table holds it."""
        db.execute("DELETE FROM memory_files WHERE origin = %s", (origin,))
        rows = db.execute(
            "SELECT kind, source, title, text FROM memory_entries WHERE origin = %s AND "
            "kind = 'runbook' ORDER BY id",
            (origin,),
        ).fetchall()
        if not rows:
            return
        doc, heading, text, split = file_fields(
            [
                (*ranking_fields(kind, source, title), body, split_words(body))
                for kind, source, title, body in rows
            ]
        )
        (length,), posting = self._postings([(doc, heading, split, text)])
        row = db.execute(
            "INSERT INTO memory_files (origin, length) VALUES (%s, %s) RETURNING id",
            (origin, length),
        ).fetchone()
        assert row is not None
        db.execute(
            "INSERT INTO memory_file_postings (lexeme, file_id, doc_tf, heading_tf, text_tf, "
            "split_tf, length) SELECT p.lexeme, %s, p.doc_tf, p.heading_tf, p.text_tf, "
            "p.split_tf, %s FROM unnest(%s::text[], %s::int[], %s::int[], %s::int[], %s::int[]) "
            "AS p(lexeme, doc_tf, heading_tf, text_tf, split_tf)",
            (int(row[0]), length, *posting[1:]),
        )

    # -- the audit log ------------------------------------------------------------------------
    def index_audit(self, audit_path: str | Path) -> IndexReport:
        """Index the audit log's new whole lines since this host's last run; running it again
        adds nothing."""
        path = Path(audit_path)
        origin = _resolved(path, "audit log")
        host = socket.gethostname()
        added = skipped = 0
        with self._write() as db:
            db.execute(
                "INSERT INTO memory_sources (host, path, kind, byte_offset, line, head, "
                "indexed_at) VALUES (%s, %s, 'audit', 0, 0, '', %s) ON CONFLICT DO NOTHING",
                (host, origin, _now()),
            )
            # One indexer per log at a time: the second reads where the first stopped.
            row = db.execute(
                "SELECT byte_offset, line, head FROM memory_sources WHERE host = %s AND path = %s "
                "FOR UPDATE",
                (host, origin),
            ).fetchone()
            assert row is not None  # inserted above, or already there
            read = _AuditRead(path, origin, int(row[0]), int(row[1]), str(row[2]))
            for batch in read.batches():
                new = self._insert(db, batch)
                added += new
                skipped += len(batch) - new  # indexed before (a log read again from the start)
            db.execute(
                "UPDATE memory_sources SET byte_offset = %s, line = %s, head = %s, "
                "indexed_at = %s WHERE host = %s AND path = %s",
                (read.offset, read.line, read.head, _now(), host, origin),
            )
            self._embed_missing(db)
        return IndexReport(added=added, skipped=skipped + read.skipped, files=read.files)

    # -- runbooks -----------------------------------------------------------------------------
    def index_runbooks(self, folder: str | Path) -> IndexReport:
        """Index the Markdown files under `folder`, one entry per section; files that did not
        change are skipped, changed ones re-indexed, removed ones forgotten."""
        base, parsed, outside = _parse_runbooks(folder)
        added = removed = skipped = files = 0
        prefix = str(base).rstrip("/") + "/"
        with self._write() as db:
            lock = zlib.crc32(f"agents-memory-runbooks:{base}".encode()) - 2**31
            db.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            known = {
                str(p): str(h)
                for p, h in db.execute(
                    "SELECT path, head FROM memory_sources WHERE host = '' AND kind = 'runbook' "
                    "AND (path = %s OR left(path, %s) = %s)",
                    (str(base), len(prefix), prefix),
                )
            }
            for origin, (digest, entries) in parsed.items():
                if known.get(origin) == digest:
                    skipped += 1
                    continue
                files += 1
                keys = {e.key for e in entries}
                stale = [
                    int(i)
                    for i, key in db.execute(
                        "SELECT id, key FROM memory_entries WHERE origin = %s", (origin,)
                    )
                    if key not in keys
                ]
                if stale:
                    gone = db.execute(
                        "DELETE FROM memory_entries WHERE id = ANY(%s) RETURNING length", (stale,)
                    ).fetchall()
                    removed += self._counted(gone, -1)
                added += self._insert(db, entries)
                self._refresh_file(db, origin)
                db.execute(
                    "INSERT INTO memory_sources (host, path, kind, byte_offset, line, head, "
                    "indexed_at) VALUES ('', %s, 'runbook', 0, 0, %s, %s) ON CONFLICT (host, path) "
                    "DO UPDATE SET head = excluded.head, indexed_at = excluded.indexed_at",
                    (origin, digest, _now()),
                )
            for origin in sorted(set(known) - set(parsed)):
                gone = db.execute(
                    "DELETE FROM memory_entries WHERE origin = %s RETURNING length", (origin,)
                ).fetchall()
                removed += self._counted(gone, -1)
                db.execute("DELETE FROM memory_files WHERE origin = %s", (origin,))
                db.execute("DELETE FROM memory_sources WHERE host = '' AND path = %s", (origin,))
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
            stem_of = self._stemmed(_fold(t) for t in (*plan.terms, *plan.expansions))
            ranked = _rank(
                plan,
                lambda terms: self._bm25([stem_of[_fold(t)] for t in terms], where, params),
                lambda terms, origins: self._file_bm25([stem_of[_fold(t)] for t in terms], origins),
            )
            if self.embedder is not None and plan.terms:
                ranked = _rerank(ranked, *self._vector_scores(query, ranked, where, params))
            top = _diversified(ranked, self._sections, k)
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM memory_entries WHERE id = ANY(%s)", ([i for i, _ in top],)
            ).fetchall()
            wanted = set(stem_of.values())
            marked = {int(r[0]): self._mark(str(r[7]), wanted) for r in rows}
        return _ranked_hits(top, rows, marked, k, budget)

    def _sections(self, ids: list[int]) -> set[int]:
        """Which of `ids` are runbook sections (for `memory._diversified`)."""
        rows = self._db.execute(
            "SELECT id FROM memory_entries WHERE kind = 'runbook' AND id = ANY(%s)", (ids,)
        ).fetchall()
        return {int(r[0]) for r in rows}

    def _bm25(
        self, stems: list[str], where: str, params: list[object]
    ) -> list[tuple[int, float, str | None]]:
        """FTS5's BM25 (its constants, idf and arithmetic, statistics over the whole table) of the
        entries that hold any of `stems` (a query's terms, in order), best first, at most
        `CANDIDATES`: (id, score, the runbook file of a runbook section or None)."""
        filtered = (
            f" AND EXISTS (SELECT 1 FROM memory_entries e WHERE e.id = p.entry_id {where})"
            if where
            else ""
        )
        stats = (
            "SELECT coalesce(sum(entries), 0)::float8 AS n, greatest(coalesce(sum(words)::float8 "
            "/ nullif(sum(entries), 0), 1), 1) AS avglen FROM memory_stats"
        )
        rows = self._db.execute(
            "SELECT r.id, r.score, CASE WHEN e.kind = 'runbook' THEN e.origin END FROM ("
            + _bm25_sql("memory_postings", "entry_id", stats, filtered, len(stems))
            + ") AS r JOIN memory_entries e ON e.id = r.id ORDER BY r.score DESC, r.id",
            _bm25_params(stems, params, CANDIDATES),
        ).fetchall()
        return [(int(i), float(score), None if o is None else str(o)) for i, score, o in rows]

    def _file_bm25(self, stems: list[str], origins: Sequence[str]) -> dict[str, float]:
        """FTS5's BM25 of the runbook files `origins` as whole documents (the SQLite memory's
        `files_fts`), for `stems`."""
        if not stems or not origins:
            return {}
        stats = (
            "SELECT count(*)::float8 AS n, greatest(coalesce(sum(length)::float8 "
            "/ nullif(count(*), 0), 1), 1) AS avglen FROM memory_files"
        )
        filtered = " AND p.file_id IN (SELECT id FROM memory_files WHERE origin = ANY(%s))"
        rows = self._db.execute(
            "SELECT f.origin, r.score FROM ("
            + _bm25_sql("memory_file_postings", "file_id", stats, filtered, len(stems))
            + ") AS r JOIN memory_files f ON f.id = r.id",
            _bm25_params(stems, [list(origins)], len(origins)),
        ).fetchall()
        return {str(o): float(score) for o, score in rows}

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
        rows = self._db.execute(
            "SELECT id, vector FROM memory_vectors WHERE model = %s AND id = ANY(%s)",
            (self.embedder.name, [i for i, _ in ranked[:CANDIDATES]]),
        ).fetchall()
        mul = operator.mul
        cosines = {int(i): sum(map(mul, wanted, vector)) for i, vector in rows}
        return cosines, self._vector_ranking(wanted, where, params)

    def _vector_ranking(
        self, wanted: Sequence[float], where: str, params: Sequence[object]
    ) -> list[tuple[int, float]]:
        assert self.embedder is not None
        if self._pgvector:
            rows = self._db.execute(
                "SELECT v.id, 1 - (v.vector::vector <=> %s::vector) AS cosine FROM memory_vectors "
                f"v JOIN memory_entries e ON e.id = v.id WHERE v.model = %s {where} "
                "ORDER BY v.vector::vector <=> %s::vector, v.id LIMIT %s",
                (wanted, self.embedder.name, *params, wanted, CANDIDATES),
            ).fetchall()
            return [
                (int(i), 0.0 if math.isnan(c) else float(c)) for i, c in rows
            ]  # NaN: zero vector
        rows = self._db.execute(
            "SELECT v.id, v.vector FROM memory_vectors v JOIN memory_entries e ON e.id = v.id "
            f"WHERE v.model = %s {where}",
            (self.embedder.name, *params),
        ).fetchall()
        mul = operator.mul
        scored = [(int(i), sum(map(mul, wanted, vector))) for i, vector in rows]
        scored.sort(key=lambda pair: -pair[1])
        return scored[:CANDIDATES]

    def _missing_vectors(self, db: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
        """Entries without a vector of this embedder's model (none without an embedder)."""
        if self.embedder is None:
            return []
        return db.execute(
            "SELECT e.id, e.title, e.text FROM memory_entries e LEFT JOIN memory_vectors v "
            "ON v.id = e.id WHERE v.id IS NULL OR v.model != %s ORDER BY e.id",
            (self.embedder.name,),
        ).fetchall()

    def _embed_missing(self, db: psycopg.Connection[Any]) -> None:
        """Vectors for the entries that lack one, inside the caller's write transaction."""
        rows = self._missing_vectors(db)
        if self.embedder is None or not rows:
            return
        name = self.embedder.name
        for start in range(0, len(rows), 256):
            batch = rows[start : start + 256]
            vectors = self.embedder.embed([f"{t}\n{x}" for _, t, x in batch])
            with db.cursor() as cursor:
                cursor.executemany(
                    "INSERT INTO memory_vectors (id, model, vector) VALUES (%s, %s, %s::real[]) "
                    "ON CONFLICT (id) DO UPDATE SET model = excluded.model, "
                    "vector = excluded.vector",
                    [(int(i), name, list(v)) for (i, _, _), v in zip(batch, vectors, strict=True)],
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
                f"SELECT {_COLUMNS} FROM memory_entries e WHERE true {where} "
                'ORDER BY e.time COLLATE "C", e.id',
                params,
            ).fetchall()
        return [_hit(r) for r in rows]

    def counts(self) -> dict[str, int]:
        """Entries per kind."""
        if self._empty:
            return {}
        with self._errors():
            rows = self._db.execute(
                "SELECT kind, count(*) FROM memory_entries GROUP BY kind"
            ).fetchall()
        return {str(kind): int(n) for kind, n in rows}


def open_memory(
    settings: AgentSettings,
    *,
    embedder: Embedder | None = None,
    read_only: bool = False,
    path: str | Path | None = None,
) -> Memory | PostgresMemory:
    """The memory the settings name: the SQLite file `path` (default `<state_dir>/memory.sqlite`)
    with `records_backend=local` or an explicit `path`, else the stack's PostgreSQL."""
    if path is not None or settings.records_backend != "postgres":
        file = Path(path) if path is not None else settings.state_dir / "memory.sqlite"
        return Memory(file, embedder=embedder, read_only=read_only)
    return PostgresMemory(target(settings), embedder=embedder, read_only=read_only)

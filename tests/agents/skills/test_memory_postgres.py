"""The memory on PostgreSQL behaves as the SQLite memory does (the key behaviours run against
both stores), plus what only a shared database has: schema versions, pods with an audit log at
the same path each, concurrent indexers, hostile queries reaching a server, and the factory."""

from __future__ import annotations

import multiprocessing
import random
import socket
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from agents.protocol.postgres import RecordsError, Target
from agents.protocol.settings import AgentSettings
from agents.skills import tokens
from agents.skills.memory import IndexReport, Memory, MemoryInputError, render
from agents.skills.memory_postgres import NEWEST, PostgresMemory, open_memory
from tests.agents.protocol.test_findings_postgres import as_persona, persona_database
from tests.agents.skills.test_memory import (
    HOSTILE,
    RUNBOOK,
    SIBLING_RUNBOOKS,
    SIBLINGS_QUERY,
    ConceptEmbedder,
    ops_log,
    write,
)

Store = Memory | PostgresMemory


def pg_target(server: Any, database: str | None = None, password: str | None = None) -> Target:
    from tests.postgres_server import PASSWORD  # noqa: PLC0415

    secret = password or PASSWORD
    return Target(
        host="127.0.0.1",
        port=server.port,
        database=database or server.fresh_database(),
        user="postgres",
        password=lambda: secret,
        sslrootcert=server.ca,
    )


@pytest.fixture(params=["sqlite", "postgres"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[..., Store]]:
    """Opens the memory of one store (the same one each call), closed after the test."""
    opened: list[Store] = []
    if request.param == "sqlite":
        path = tmp_path / "memory.db"

        def make(**kwargs: Any) -> Store:
            opened.append(Memory(path, **kwargs))
            return opened[-1]

    else:
        where = pg_target(request.getfixturevalue("postgres_server"))

        def make(**kwargs: Any) -> Store:
            opened.append(PostgresMemory(where, **kwargs))
            return opened[-1]

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def memory(open_store: Callable[..., Store]) -> Store:
    return open_store()


@pytest.fixture
def pg(postgres_server: Any) -> Target:
    return pg_target(postgres_server)


# ---------------------------------------------------------------- the same behaviour on both


def test_runbooks_index_one_entry_per_section_with_front_matter(memory, tmp_path):
    write(tmp_path / "runbooks" / "rds-storage.md", RUNBOOK)
    report = memory.index_runbooks(tmp_path / "runbooks")
    assert (report.added, report.files) == (4, 1), report
    assert {(e.source, e.kind, e.stack, e.persona) for e in memory.entries()} == {
        (f"rds-storage.md#{a}", "runbook", "prod", "reliability-engineer")
        for a in (
            "rds-storage",
            "freestoragespace-alarm",
            "raise-the-storage-ceiling",
            "raise-the-storage-ceiling-1",
        )
    }


def test_audit_records_become_entries_with_file_line_sources(memory, tmp_path):
    ops_log(tmp_path / "audit.jsonl")
    report = memory.index_audit(tmp_path / "audit.jsonl")
    assert (report.added, report.skipped) == (4, 3), report
    decision = memory.entries(kind="decision")[0]
    assert decision.title == "decision refused: release-engineer up on dev"
    assert "why: cooling down: 540s left" in decision.passage
    lines = (tmp_path / "audit.jsonl").read_text().split("\n")
    assert '"decision"' in lines[int(decision.source.rsplit(":", 1)[1]) - 1], decision.source


def test_indexing_the_audit_log_again_adds_only_new_whole_lines(memory, tmp_path):
    log = ops_log(tmp_path / "audit.jsonl")
    assert memory.index_audit(log.path).added == 4
    assert memory.index_audit(log.path) == IndexReport()
    with log.path.open("ab") as fh:  # a record still being written: no newline yet
        fh.write(b'\n{"ts":"2026-11-29T10:00:00+00:00","event":"incident","summary":"NAT down"')
    assert memory.index_audit(log.path).added == 0
    with log.path.open("ab") as fh:
        fh.write(b"}\n")
    assert memory.index_audit(log.path).added == 1
    assert sum(memory.counts().values()) == 5


def test_a_rotated_audit_log_is_read_again_without_duplicates(memory, tmp_path):
    log = ops_log(tmp_path / "audit.jsonl")
    memory.index_audit(log.path)
    kept = log.path.read_text().split("\n")[:6]
    log.path.write_text("\n".join(kept) + "\n")
    log.append("incident", stack="prod", severity="SEV2", summary="trail stopped logging")
    assert memory.index_audit(log.path).added == 1
    assert sum(memory.counts().values()) == 5


def test_runbooks_index_again_only_what_changed(memory, tmp_path):
    folder = tmp_path / "runbooks"
    write(folder / "rds-storage.md", RUNBOOK)
    write(folder / "nat.md", "# NAT\n\nNAT gateways bill per GB.\n")
    memory.index_runbooks(folder)
    before = {e.source: e.id for e in memory.entries()}
    assert memory.index_runbooks(folder).added == 0
    write(folder / "rds-storage.md", RUNBOOK.replace("under 10%", "under 15%"))
    (folder / "nat.md").unlink()
    report = memory.index_runbooks(folder)
    assert (report.added, report.removed, report.files) == (1, 2, 1), report
    after = {e.source: e.id for e in memory.entries()}
    assert "nat.md#nat" not in after
    assert after["rds-storage.md#rds-storage"] == before["rds-storage.md#rds-storage"]
    assert "15%" in memory.search("free storage", kind="runbook")[0].passage


def test_adding_the_same_entry_twice_keeps_one_row(memory):
    first = memory.add("note", "NAT gateway b died", source="chat", time="2026-11-20T10:00:00Z")
    again = memory.add("note", "NAT gateway b died", source="chat", time="2026-11-20T10:00:00Z")
    assert first == again and memory.counts() == {"note": 1}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "gossip"}, "unknown kind"),
        ({"text": "  "}, "needs some text"),
        ({"time": "last tuesday"}, "ISO 8601"),
        ({"stack": ""}, "stack must be"),
    ],
)
def test_add_refuses_bad_entries_with_one_line(memory, fields, message):
    args = {"kind": "note", "text": "x", "source": "s", "time": "2026-11-20T10:00:00Z"} | fields
    kind, text = args.pop("kind"), args.pop("text")
    with pytest.raises(MemoryInputError, match=message) as err:
        memory.add(kind, text, **args)
    assert "\n" not in str(err.value)


def test_filters_by_stack_keep_general_entries_and_by_kind_exactly(memory):
    memory.add("incident", "NAT gateway down", source="a", time="2026-11-01", stack="prod")
    memory.add("incident", "NAT gateway down", source="b", time="2026-11-02", stack="dev")
    memory.add("runbook", "NAT gateway down: failover", source="c", time="2026-11-03")
    assert {h.source for h in memory.search("nat gateway", stack="prod")} == {"a", "c"}
    assert {h.source for h in memory.search("nat gateway", kind="incident")} == {"a", "b"}
    assert {h.source for h in memory.search("nat", stack="dev", kind="runbook")} == {"c"}
    assert [h.source for h in memory.entries(stack="dev")] == ["b", "c"]
    with pytest.raises(MemoryInputError, match="unknown kind"):
        memory.search("nat", kind="gossip")


def test_search_ranks_the_entry_that_matches_more_terms_first(memory, tmp_path):
    write(tmp_path / "rb" / "rds-storage.md", RUNBOOK)
    memory.index_runbooks(tmp_path / "rb")
    memory.index_audit(ops_log(tmp_path / "audit.jsonl").path)
    assert memory.search("instances failed to join")[0].kind == "incident"
    # both sections titled so match every word in their heading (the second is shorter)
    top = memory.search("raise storage ceiling")[0].source
    assert top.startswith("rds-storage.md#raise-the-storage-ceiling"), top


def test_rarer_terms_outrank_common_ones(memory):
    """BM25's idf on both stores: the entry with the rare word beats the one with the common."""
    for i in range(8):
        memory.add("note", f"prod stack check {i} passed", source=f"common{i}", time="2026-11-01")
    memory.add("note", "prod replication slot holds WAL", source="rare", time="2026-11-01")
    assert memory.search("prod stack replication", k=1)[0].source == "rare"


def test_passages_mark_stemmed_matches_and_fit_the_cap(memory):
    lines = [f"step {i}: nothing to see here, keep scrolling down the page" for i in range(60)]
    lines[41] = "step 41: drop the inactive replication slots holding WAL"
    memory.add("runbook", "\n".join(lines), source="wal", time="2026-11-01", title="WAL")
    (hit,) = memory.search("replication slot", k=1, budget=300)
    assert "replication slots" in hit.passage and hit.passage.startswith("…"), hit.passage
    assert "step 0:" not in hit.passage and tokens.count(hit.passage) <= 160


def test_query_words_are_literal_terms(memory):
    memory.add("note", "the near cache and the ünïcödé table", source="s", time="2026-11-01")
    assert [h.source for h in memory.search("NEAR")] == ["s"]
    assert [h.source for h in memory.search("unicode")] == ["s"]  # diacritics removed
    assert [h.source for h in memory.search("ünïcödé")] == ["s"]
    assert [h.source for h in memory.search("what is the")] == ["s"]  # only stopwords: kept


EXTRA_HOSTILE = [
    "' OR 1=1 --",
    "'); DELETE FROM memory_entries; --",
    "storage & !rds | (prod <-> dev)",
    "storage:* <2> rds",
    "\\'",
    "%s %(x)s {0}",
    "$1 $$ $tag$",
    "\x02marked\x03",
    ("rds storage " * 500)[:5000],
    "stor" * 1250,
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def indexed(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Store]:
    """One indexed memory per store for the module's searches: a search writes nothing, and
    each test checks afterwards that every entry is still there, so a query that changed the
    store fails its own test."""
    folder = tmp_path_factory.mktemp("indexed")
    if request.param == "sqlite":
        memory: Store = Memory(folder / "memory.db")
    else:
        memory = PostgresMemory(pg_target(request.getfixturevalue("postgres_server")))
    write(folder / "rb" / "rds-storage.md", RUNBOOK)
    memory.index_runbooks(folder / "rb")
    memory.index_audit(ops_log(folder / "audit.jsonl").path)
    yield memory
    memory.close()


@pytest.mark.parametrize("query", HOSTILE + EXTRA_HOSTILE, ids=range(len(HOSTILE + EXTRA_HOSTILE)))
def test_hostile_queries_are_text_never_syntax(indexed, query):
    hits = indexed.search(query, k=3, budget=500)
    assert len(hits) <= 3
    assert sum(indexed.counts().values()) == 8  # nothing was deleted


@pytest.mark.parametrize("budget", [30, 120, 400, 2000])
def test_search_under_a_budget_returns_what_renders_within_it(indexed, budget):
    hits = indexed.search("rds storage ceiling alarm", k=5, budget=budget)
    assert tokens.count(render(hits, budget)) <= budget
    assert "more hits left out" not in render(hits, budget)
    assert sum(indexed.counts().values()) == 8


def test_vectors_find_an_entry_that_shares_no_word_with_the_query(open_store):
    with open_store() as m:  # added without an embedder: vectors come on first use
        m.add("runbook", "the volume has no free storage left", source="rds", time="2026-11-01")
        m.add("finding", "NAT gateway spend up 340%", source="nat", time="2026-11-01")
        assert m.search("disk") == []
    with open_store(embedder=ConceptEmbedder()) as m:
        assert [h.source for h in m.search("disk", k=1)] == ["rds"]
        assert [h.source for h in m.search("bill", k=1)] == ["nat"]
        m.add("note", "storage volume for the logs", source="logs", time="2026-11-02")
        assert {h.source for h in m.search("disk", k=2)} == {"rds", "logs"}


def test_a_read_only_memory_never_writes(open_store):
    with open_store() as m:
        m.add("note", "NAT gateway b died", source="chat", time="2026-11-20T10:00:00Z")
    with open_store(read_only=True) as m:
        assert [h.source for h in m.search("nat gateway")] == ["chat"]
        with pytest.raises(MemoryInputError, match="read-only"):
            m.add("note", "x", source="s", time="2026-11-20")


def test_a_symlinked_runbook_out_of_the_folder_is_skipped(memory, tmp_path):
    secret = write(tmp_path / "credentials", "# creds\naws_secret_access_key = SUPERSECRET\n")
    books = tmp_path / "runbooks"
    write(books / "ok.md", "# NAT\nrestart the NAT gateway\n")
    (books / "leak.md").symlink_to(secret)
    report = memory.index_runbooks(books)
    assert report.files == 1 and [Path(p).name for p in report.outside] == ["leak.md"], report
    assert not memory.search("SUPERSECRET") and memory.search("NAT gateway")


def test_a_nul_is_recorded_and_read_back_the_same_on_both_stores(memory, tmp_path):
    """A NUL from an application log: dropped from title and text (as every control character
    is), kept as U+FFFD in the other fields; PostgreSQL's text would refuse it."""
    memory.add(
        "incident",
        "panic:\x00 disk full on /var",
        source="app.log",
        time="2026-11-01",
        stack="prod\x00",
        persona="sre\x00",
        title="disk\x00 full",
    )
    log = ops_log(tmp_path / "audit.jsonl")
    log.append("incident", stack="prod\x00", persona="sre\x00", summary="NAT\x00 gateway down")
    assert memory.index_audit(log.path).added == 5
    (disk,) = memory.search("disk full", k=1)
    assert (disk.title, disk.stack, disk.persona) == ("disk full", "prod\ufffd", "sre\ufffd")
    assert disk.passage == "panic: disk full on /var"
    nat = memory.search("nat gateway down", stack="prod\x00")
    assert [(h.title, h.stack) for h in nat] == [("incident: sre on prod", "prod\ufffd")], nat
    assert "summary: NAT gateway down" in nat[0].passage
    assert memory.counts() == {"incident": 3, "decision": 1, "approval": 1, "finding": 1}


# ---------------------------------------------------------------- PostgreSQL only


def test_a_persona_s_login_adds_indexes_and_searches_the_shared_memory(postgres_server, tmp_path):
    """After `records migrate` (as the master), a persona's own login, which may not create
    anything, uses the memory: adds, re-indexes (deletes), stems through the shared dictionary,
    embeds, reads what another persona added."""
    sre, dba = f"sre-{uuid.uuid4().hex[:8]}", f"dba-{uuid.uuid4().hex[:8]}"
    _, logins = persona_database(postgres_server, sre, dba)
    folder = tmp_path / "runbooks"
    write(folder / "rds-storage.md", RUNBOOK)
    with PostgresMemory(logins[sre], embedder=ConceptEmbedder()) as m:
        m.add("note", "replication slots hold WAL", source="sre", time="2026-11-01", persona=sre)
        assert m.index_runbooks(folder).added == 4
        write(folder / "rds-storage.md", RUNBOOK.replace("under 10%", "under 15%"))
        assert m.index_runbooks(folder).removed == 1
        assert [h.source for h in m.search("disk", k=1, kind="runbook")]
    with PostgresMemory(logins[dba]) as m:
        m.add("note", "NAT gateway b died", source="dba", time="2026-11-02", persona=dba)
        assert [h.source for h in m.search("replicating slot")] == ["sre"]  # stemmed
    with PostgresMemory(logins[sre], read_only=True) as m:
        assert m.counts() == {"note": 2, "runbook": 4}


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE memory_entries",
        "DROP TABLE memory_postings",
        "ALTER TABLE memory_stats ADD COLUMN x int",
        "CREATE TABLE memory_more (i int)",
        "CREATE TEXT SEARCH DICTIONARY mine (TEMPLATE = snowball, Language = porter)",
        "INSERT INTO agents_schema (component, version, name) VALUES ('memory', 99, 'x')",
    ],
)
def test_a_persona_s_login_cannot_change_the_memory_s_schema(postgres_server, statement):
    sre = f"sre-{uuid.uuid4().hex[:8]}"
    database, _ = persona_database(postgres_server, sre)
    conn = as_persona(postgres_server, database, sre)
    with conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute(statement)


def test_a_persona_s_login_behind_the_schema_is_told_to_run_records_migrate(postgres_server):
    sre = f"sre-{uuid.uuid4().hex[:8]}"
    _, logins = persona_database(postgres_server, sre, migrations=False)
    with pytest.raises(RecordsError, match="schema 0, this version needs") as err:
        PostgresMemory(logins[sre])
    assert "python -m agents records migrate" in str(err.value)
    assert "\n" not in str(err.value)


def test_a_read_only_memory_on_a_database_never_migrated_is_empty_and_untouched(pg):
    with PostgresMemory(pg, read_only=True) as m:
        assert m.search("anything") == [] and m.counts() == {} and m.entries() == []
    with psycopg.connect(**_conninfo(pg)) as conn:
        assert conn.execute("SELECT to_regclass('memory_entries')").fetchone() == (None,)


def _conninfo(t: Target) -> dict[str, Any]:
    return {
        "host": t.host,
        "port": t.port,
        "dbname": t.database,
        "user": t.user,
        "password": t.password(),
        "sslmode": "verify-full",
        "sslrootcert": str(t.sslrootcert),
    }


@pytest.mark.parametrize("read_only", [False, True])
def test_a_memory_schema_from_the_future_is_refused_with_one_line(pg, read_only):
    PostgresMemory(pg).close()
    with psycopg.connect(**_conninfo(pg)) as conn:
        conn.execute(
            "INSERT INTO agents_schema (component, version, name) VALUES ('memory', %s, 'x')",
            (NEWEST + 1,),
        )
    with pytest.raises(RecordsError, match="newer") as err:
        PostgresMemory(pg, read_only=read_only)
    assert "\n" not in str(err.value)


def test_wrong_credentials_are_one_line(postgres_server):
    where = pg_target(postgres_server, password="not-the-password")
    with pytest.raises(RecordsError, match="credentials were refused") as err:
        PostgresMemory(where)
    assert "\n" not in str(err.value)


@pytest.mark.slow
def test_opening_twice_migrates_once(pg):
    PostgresMemory(pg).close()
    PostgresMemory(pg).close()
    with psycopg.connect(**_conninfo(pg)) as conn:
        rows = conn.execute(
            "SELECT version FROM agents_schema WHERE component = 'memory' ORDER BY version"
        )
        assert rows.fetchall() == [(v,) for v in range(1, NEWEST + 1)]


def _indexer(where: Target, audit: str) -> None:
    with PostgresMemory(where) as m:
        m.index_audit(audit)


def _adder(where: Target, writer: int, n: int) -> None:
    with PostgresMemory(where) as m:
        for i in range(n):
            m.add("note", f"writer {writer} note {i}", source=f"w{writer}", time="2026-11-01")
            m.add("note", f"shared note {i}", source="both", time="2026-11-01")


def _in_child(target: Callable[..., None], args: tuple[Any, ...]) -> None:
    """`target(*args)` in a child, each `("target", port, database, ca, password)` of `_run_all`
    a `Target` again."""

    def rebuilt(a: Any) -> Any:
        if not (isinstance(a, tuple) and a[:1] == ("target",)):
            return a
        secret: str = a[4]
        return Target(
            host="127.0.0.1",
            port=a[1],
            database=a[2],
            user="postgres",
            password=lambda: secret,
            sslrootcert=a[3],
        )

    target(*map(rebuilt, args))


def _run_all(target: Callable[..., None], args: list[tuple[Any, ...]]) -> None:
    # forkserver, not fork: a test worker may hold threads (the kept policy packs' spawner, other
    # tests' servers) whose locks a forked child would inherit held and hang on; a Target goes
    # over as where it points and its password (a function does not pickle)
    ctx = multiprocessing.get_context("forkserver")
    portable = [
        tuple(
            ("target", a.port, a.database, a.sslrootcert, a.password())
            if isinstance(a, Target)
            else a
            for a in each
        )
        for each in args
    ]
    procs = [ctx.Process(target=_in_child, args=(target, a)) for a in portable]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * len(procs)


@pytest.mark.slow  # processes racing on one store: `make test-slow` (CI runs it)
def test_two_processes_indexing_one_log_at_once_keep_one_row_per_record(pg, tmp_path):
    log = ops_log(tmp_path / "audit.jsonl")
    for i in range(300):
        log.append("finding", stack="prod", severity="low", summary=f"drift number {i}")
    _run_all(_indexer, [(pg, str(log.path))] * 3)
    with PostgresMemory(pg) as m:
        assert m.counts() == {"incident": 1, "decision": 1, "approval": 1, "finding": 301}
        assert m.index_audit(log.path) == IndexReport()  # the offset was kept


@pytest.mark.slow
def test_two_processes_adding_at_once_lose_nothing_and_duplicate_nothing(pg):
    _run_all(_adder, [(pg, 0, 60), (pg, 1, 60)])
    with PostgresMemory(pg) as m:
        assert m.counts() == {"note": 180}


def test_two_pods_with_an_audit_log_at_the_same_path_are_both_indexed(pg, tmp_path, monkeypatch):
    log = tmp_path / "audit.jsonl"
    with PostgresMemory(pg) as m:
        monkeypatch.setattr(socket, "gethostname", lambda: "pod-a")
        ops_log(log)
        assert m.index_audit(log).added == 4
        log.unlink()  # pod b: a new pod, its own log at the same path
        monkeypatch.setattr(socket, "gethostname", lambda: "pod-b")
        log_b = ops_log(log)
        log_b.append("incident", stack="prod", severity="SEV2", summary="pod b saw the NAT die")
        assert m.index_audit(log).added == 5
        monkeypatch.setattr(socket, "gethostname", lambda: "pod-a")
        log_b.append("incident", stack="prod", severity="SEV3", summary="pod b again")
        # pod a's offset is its own: its log (as far as it knows) was replaced, so read again
        assert m.index_audit(log).added == 1
        assert m.counts()["incident"] == 3 + 1


def shared_settings(state: Path, pg: Target) -> AgentSettings:
    return AgentSettings(
        state_dir=state,
        records_backend="postgres",
        pg_host=pg.host,
        pg_port=pg.port,
        pg_database=pg.database,
        pg_user=pg.user,
        pg_auth="password",
        pg_password=SecretStr(pg.password()),
        pg_sslrootcert=pg.sslrootcert or Path(),
    )


def test_open_memory_chooses_the_store_from_the_settings(tmp_path, pg):
    local = AgentSettings(state_dir=tmp_path)
    with open_memory(local) as m:
        assert isinstance(m, Memory) and m.path == tmp_path / "memory.sqlite"
    with open_memory(local, path=tmp_path / "other.db") as m:
        assert isinstance(m, Memory) and m.path == tmp_path / "other.db"
    shared = shared_settings(tmp_path, pg)
    with open_memory(shared) as m:
        assert isinstance(m, PostgresMemory)
        m.add("note", "shared by every pod", source="s", time="2026-11-01")
    with open_memory(shared, read_only=True) as m:
        assert [h.source for h in m.search("every pod")] == ["s"]
    with open_memory(shared, path=tmp_path / "x.db") as m:  # an explicit file stays a file
        assert isinstance(m, Memory)


def test_the_search_memory_skill_reads_the_shared_memory(tmp_path, pg):
    from agents.skills.registry import SkillContext, skill  # noqa: PLC0415
    from tests.agents.runtime.test_runner import FakeGateway  # noqa: PLC0415

    context = SkillContext(settings=shared_settings(tmp_path, pg), gateway=FakeGateway)
    empty = skill("search-memory").call({"query": "nat cost"}, context)
    assert "nothing matched" in empty.text  # never migrated: an empty memory, not an error
    with PostgresMemory(pg) as m:
        m.add("incident", "NAT gateway data processing doubled", source="cli", time="2026-11-01")
    hit = skill("search-memory").call({"query": "NAT data processing", "budget": 200}, context)
    assert "NAT gateway" in hit.text and hit.tokens <= 200
    assert not (tmp_path / "memory.sqlite").exists()


def test_the_cli_indexes_and_searches_the_shared_memory(tmp_path, pg, monkeypatch, capsys):
    from agents.cli.main import main  # noqa: PLC0415

    settings = shared_settings(tmp_path / "state", pg)
    for field in ("records_backend", "pg_host", "pg_port", "pg_database", "pg_user", "pg_auth"):
        monkeypatch.setenv(f"AGENTS_{field.upper()}", str(getattr(settings, field)))
    monkeypatch.setenv("AGENTS_PG_PASSWORD", pg.password())
    monkeypatch.setenv("AGENTS_PG_SSLROOTCERT", str(pg.sslrootcert))
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    log = ops_log(tmp_path / "audit.jsonl")
    assert main(["memory", "index", "--audit", str(log.path)]) == 0
    assert main(["memory", "search", "instances failed to join", "--json"]) == 0
    assert '"kind": "incident"' in capsys.readouterr().out
    assert not (tmp_path / "state" / "memory.sqlite").exists()
    assert main(["memory", "search", "instances", "--db", str(tmp_path / "none.db")]) == 2


WORDS = ("rds", "storage", "alarm", "nat", "gateway", "egress", "cost", "replica", "backup")


def _note(seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) for _ in range(3 + seed % 9))


def _runbooks(folder: Path, version: int) -> None:
    """Two runbooks; version 2 drops two sections of the first and the whole second."""
    sections = [f"## Step {i}\n\n{_note(1000 + i)}\n" for i in range(6)]
    kept = sections if version == 1 else sections[:2] + sections[4:]
    write(folder / "storage.md", "# Storage\n\n" + _note(999) + "\n\n" + "\n".join(kept))
    if version == 1:
        write(folder / "nat.md", "# NAT\n\n" + _note(998) + "\n")
    else:
        (folder / "nat.md").unlink()


def _add_notes(store: Store, writer: int, i: int) -> None:
    """Writer `writer`'s note `i`, and the note `i` every writer adds."""
    text, title = _note(writer * 100 + i), f"writer {writer} note {i}"
    store.add("note", text, source=f"w{writer}", time="2026-11-01", title=title)
    store.add("note", _note(500 + i), source="both", time="2026-11-01", title=f"shared {i}")


def _mixed_writer(where: Target, writer: int, n: int, folder: str) -> None:
    with PostgresMemory(where) as m:
        for i in range(n):
            _add_notes(m, writer, i)
            if writer == 0 and i in (5, 25):  # re-index the runbooks while the others add
                _runbooks(Path(folder), 1 if i == 5 else 2)
                m.index_runbooks(folder)


def _ranking(store: Store, query: str) -> list[tuple[float, str, str]]:
    """The BM25 ranking as (score, source, title), ties in title order, those tied with the last
    candidate left out (which of them made the cut is arbitrary)."""
    hits = store.search(query, k=50)
    ranked = sorted(
        ((round(h.score, 6), h.source, h.title) for h in hits), key=lambda r: (-r[0], r[1], r[2])
    )
    if len(hits) == 50:
        # The cut is among BM25's candidates, before the file prior lowers runbook sections:
        # leave out everything at or below the lowest entry that is not a runbook section.
        cut = min(r[0] for r in ranked if "#" not in r[1] and not r[1].endswith(".md"))
        ranked = [r for r in ranked if r[0] > cut]
    return ranked


@pytest.mark.slow  # processes racing on one store: `make test-slow` (CI runs it)
def test_statistics_and_postings_stay_exact_under_concurrent_writes(pg, tmp_path):
    """Three writers add notes (the shared ones at once) while one re-indexes runbooks that lose
    sections: the statistics equal the table's, each entry's postings add up to its words, and
    BM25 ranks as SQLite does over the same entries."""
    folder = tmp_path / "runbooks"
    _run_all(_mixed_writer, [(pg, w, 40, str(folder)) for w in range(3)])
    with psycopg.connect(**_conninfo(pg)) as conn:
        stats = conn.execute("SELECT sum(entries), sum(words) FROM memory_stats").fetchone()
        table = conn.execute("SELECT count(*), sum(length) FROM memory_entries").fetchone()
        assert stats == table, f"memory_stats {stats} against memory_entries {table}"
        wrong = conn.execute(
            "SELECT e.source, e.title FROM memory_entries e LEFT JOIN (SELECT entry_id, "
            "sum(doc_tf + heading_tf + text_tf + split_tf) AS words, min(length) AS low, "
            "max(length) AS high "
            "FROM memory_postings GROUP BY entry_id) p ON p.entry_id = e.id "
            "WHERE p.words IS DISTINCT FROM e.length OR p.low != e.length OR p.high != e.length"
        ).fetchall()
        assert wrong == [], f"entries whose postings do not add up to their words: {wrong}"
    with Memory(tmp_path / "memory.db") as lite, PostgresMemory(pg) as shared:
        for writer in range(3):  # the same entries, one at a time
            for i in range(40):
                _add_notes(lite, writer, i)
        lite.index_runbooks(folder)  # version 2, as the writers left it
        assert shared.counts() == lite.counts() == {"note": 160, "runbook": 5}
        for query in [
            *WORDS,
            "nat gateway cost",
            "rds storage alarm backup",
            "step 4",
            "writer 1 note 7",
        ]:
            assert _ranking(shared, query) == _ranking(lite, query), query


def test_scores_are_fts5s_to_the_bit_even_for_terms_sharing_a_stem(pg, tmp_path):
    """FTS5 scores each query term (two words with one stem count twice); so does PostgreSQL,
    with FTS5's arithmetic in FTS5's order."""
    with Memory(tmp_path / "memory.db") as lite, PostgresMemory(pg) as shared:
        for store in (lite, shared):
            store.add("note", "deploy it; deploys are gated", source="a", time="2026-11-01")
            store.add("note", "the release deployer", source="b", time="2026-11-01", title="CI")
            store.add("note", "nothing to see", source="c", time="2026-11-01")
        for query in ("deploy deploys", "deploy", "release deploying ci"):
            expected = [(h.source, h.score) for h in lite.search(query)]
            assert [(h.source, h.score) for h in shared.search(query)] == expected, query


def test_short_words_are_stemmed_as_fts5_stems_them(pg, tmp_path):
    """FTS5's porter passes words under 3 bytes through whole (`is`, `us`, `5s`, `ms`), where
    Snowball's porter cuts the `s`: the stores must agree, or a section with such words scores
    differently on each (found on a held-out runbook corpus)."""
    with Memory(tmp_path / "memory.db") as lite, PostgresMemory(pg) as shared:
        for store in (lite, shared):
            store.add("note", "p99 is 5s and ms matter to us", source="a", time="2026-11-01")
            store.add("note", "i see a u-turn of 5 in the os", source="b", time="2026-11-01")
            store.add("note", "timeouts of five seconds", source="c", time="2026-11-01")
        for query in ("5s timeout", "p99 ms", "os is us", "i u 5", "seconds"):
            expected = [(h.source, h.score) for h in lite.search(query)]
            assert [(h.source, h.score) for h in shared.search(query)] == expected, query


def test_a_full_stem_cache_starts_over_without_losing_a_word(pg, tmp_path, monkeypatch):
    """Past STEM_CACHE words the cache is emptied; a search whose words were cached before (and
    short words, which never reach the server) still finds what it found with room to spare."""
    from agents.skills import memory_postgres  # noqa: PLC0415

    with Memory(tmp_path / "memory.db") as lite, PostgresMemory(pg) as shared:
        for store in (lite, shared):
            store.add("note", "rds storage is low, 5s p99", source="a", time="2026-11-01")
            store.add("note", "nat gateway cost grew", source="b", time="2026-11-01")
        expected = [(h.source, h.score) for h in lite.search("rds storage is 5s")]
        assert [(h.source, h.score) for h in shared.search("rds storage is 5s")] == expected
        monkeypatch.setattr(memory_postgres, "STEM_CACHE", 1)
        for store in (lite, shared):  # cached words beside new ones, past the cache's size
            store.add("note", "storage volumes of the gateway", source="c", time="2026-11-01")
        for query in ("rds storage is 5s", "nat gateway storage volumes", "rds storage is 5s"):
            wanted = [(h.source, h.score) for h in lite.search(query)]
            assert [(h.source, h.score) for h in shared.search(query)] == wanted, query


# ---------------------------------------------------------------- ranking (both stores)


def assert_same_ranking(lite: Memory, shared: Any, queries: Sequence[str], k: int = 10) -> None:
    """Both stores answer each query with the same sources in the same order and the same
    scores, to the bit (and answer something)."""
    for query in queries:
        expected = [(h.source, h.score) for h in lite.search(query, k=k)]
        assert expected, query
        assert [(h.source, h.score) for h in shared.search(query, k=k)] == expected, query


CRASH_RUNBOOKS = {
    "pods.md": """# Pod failures

## Crash loops

A container that exits again and again is restarted with a growing back-off.

## Out of memory

The kernel killed the container for using more than its memory limit; raise the limit.

## Image pulls

The registry refused the pull; check the credentials.
""",
    "alerts.md": """# Alert reference

## HTTPCode_Target_5XX_Count

The load balancer's targets answered with server errors.

## Misc

A long list of notes: the dashboard shows restarts, memory graphs, pods, latency, crash
reports from the mobile app, and the weekly review.
""",
    "queues.md": """# Queues

## Dead letter queue

Messages that failed five times land here; replay them after the fix.
""",
}


@pytest.fixture
def ranked_corpus(memory, tmp_path):
    for name, text in CRASH_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    memory.index_runbooks(tmp_path / "rb")
    return memory


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ("KubePodCrashLooping", "pods.md#crash-loops"),
        ("pod is crashlooping", "pods.md#crash-loops"),
        ("CrashLoopBackOff", "pods.md#crash-loops"),
        ("OOMKilled", "pods.md#out-of-memory"),
        ("container oom", "pods.md#out-of-memory"),
        ("HTTPCode_Target_5XX_Count", "alerts.md#httpcode_target_5xx_count"),
        ("target 5xx", "alerts.md#httpcode_target_5xx_count"),
        ("DLQ filling up", "queues.md#dead-letter-queue"),
    ],
)
def test_alert_names_and_symptoms_find_their_section(ranked_corpus, query, source):
    """CamelCase and alert names are split into words; short symptom forms (crashloop, OOM,
    5xx, DLQ) find the long forms the runbooks use."""
    hits = ranked_corpus.search(query, k=3)
    assert hits and hits[0].source == source, [(h.source, h.score) for h in hits]


def test_a_heading_that_names_the_query_outranks_a_passing_mention(ranked_corpus):
    """`crash` is in the heading of one section and in passing in another's text, which also
    mentions more of the other words: the heading wins."""
    hits = ranked_corpus.search("crash restarts", k=2)
    assert hits[0].source == "pods.md#crash-loops", hits


def test_split_words_are_indexed_beside_the_original_word(memory):
    memory.add("note", "the KubePodCrashLooping alert fired", source="a", time="2026-11-01")
    memory.add("note", "a crash in the looping code", source="b", time="2026-11-01")
    assert memory.search("KubePodCrashLooping", k=1)[0].source == "a"  # the whole word counts
    assert {h.source for h in memory.search("pod crash")} == {"a", "b"}


def test_ranking_with_fields_vocabulary_and_files_agrees_to_the_bit(pg, tmp_path):
    """The column weights, the expansions and the file prior give both stores the same
    scores to the bit."""
    for name, text in CRASH_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    with Memory(tmp_path / "memory.db") as lite, PostgresMemory(pg) as shared:
        for store in (lite, shared):
            store.index_runbooks(tmp_path / "rb")
            store.add("incident", "pods OOMKilled on prod", source="i", time="2026-11-01")
        assert_same_ranking(
            lite,
            shared,
            (
                "KubePodCrashLooping",
                "OOMKilled pods",
                "5xx from the targets",
                "dlq replay",
                "memory limit crash",
            ),
        )


def test_sections_of_the_best_matching_runbook_rise_together(memory, tmp_path, monkeypatch):
    """The file prior on either store: the sections of the runbook that matches best rank above
    a section elsewhere that matches some words in passing (and outranks one of them alone)."""
    from agents.skills import memory as memory_module  # noqa: PLC0415

    for name, text in SIBLING_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    memory.index_runbooks(tmp_path / "rb")
    stray = "queues.md#consumer-stopped"
    siblings = ["replication.md#drop-the-slot", "replication.md#slot-lag"]
    assert [h.source for h in memory.search(SIBLINGS_QUERY, k=3)] == [*siblings, stray]
    assert [h.source for h in memory.search("consumer stopped", k=1)] == [stray]
    monkeypatch.setattr(memory_module, "FILE_WEIGHT", 0.0)
    assert [h.source for h in memory.search(SIBLINGS_QUERY, k=3)] == [
        siblings[0],
        stray,
        siblings[1],
    ]


def test_the_file_prior_agrees_to_the_bit_with_audit_records_and_notes_beside(pg, tmp_path):
    """Runbook sections lifted by their file, audit records and notes (no file) in one ranking:
    both stores give the same order and the same scores."""
    for name, text in SIBLING_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    log = ops_log(tmp_path / "audit.jsonl").path
    with Memory(tmp_path / "memory.db") as lite, PostgresMemory(pg) as shared:
        for store in (lite, shared):
            store.index_runbooks(tmp_path / "rb")
            store.index_audit(log)
            store.add("note", "the consumer of slot 3 stopped", source="n", time="2026-11-01")
        assert_same_ranking(
            lite,
            shared,
            (
                SIBLINGS_QUERY,
                "replication slot consumer",
                "consumer stopped",
                "routine graphs check",
                "instances failed to join",
            ),
        )


def test_entries_from_schema_2_are_posted_again_by_the_first_writer(pg):
    """Migration 3 empties the postings: the first writer posts every entry (and its runbook
    file) again, and the statistics add up."""
    from agents.protocol.postgres import connect, migrate  # noqa: PLC0415
    from agents.skills.memory_postgres import MIGRATIONS  # noqa: PLC0415

    with connect(pg, autocommit=True) as conn:
        migrate(conn, "memory", MIGRATIONS[:2])
        conn.execute(
            "INSERT INTO memory_entries (key, kind, source, time, title, text, origin, length) "
            "VALUES ('a', 'runbook', 'pods.md#crash-loops', '2026-11-01', 'Pods > Crash loops', "
            "'restarted with a back-off', '/rb/pods.md', 7), "
            "('b', 'note', 'n', '2026-11-01', '', 'KubePodCrashLooping fired', NULL, 2)"
        )
    with PostgresMemory(pg) as m:
        assert [h.source for h in m.search("crashloop", k=2)] == ["pods.md#crash-loops", "n"]
    with psycopg.connect(**_conninfo(pg)) as conn:
        stats = conn.execute("SELECT sum(entries), sum(words) FROM memory_stats").fetchone()
        table = conn.execute("SELECT count(*), sum(length) FROM memory_entries").fetchone()
        assert stats == table
        assert conn.execute("SELECT origin FROM memory_files").fetchall() == [("/rb/pods.md",)]

"""A read-only database user (`records migrate --readers`, the in-cluster MCP server's
`agent_mcp_reader`) on a throwaway PostgreSQL: it reads every finding and the memory the personas
write, and the database refuses it every write, every schema change and every table it was not
given (the notification ledger, the memory's audit offsets), even with its session's read-only
default turned off: the grants are the boundary. `grant_reads` sets exactly its privileges and a
read policy of its own, again and again with the same result."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import psycopg
import pytest

from agents.protocol import findings_postgres, notify_postgres, postgres
from agents.protocol.findings_postgres import PostgresFindingStore
from agents.protocol.postgres import GROUP_ROLE, READ_ROLE, RW_ROLE, bootstrap, persona_role
from agents.skills import memory_postgres
from agents.skills.memory_postgres import PostgresMemory
from tests.agents.protocol.test_findings import alarm
from tests.agents.protocol.test_findings_postgres import pg_target, superuser
from tests.postgres_server import PASSWORD

READ_TABLES = ("agents_schema", *findings_postgres.READ_TABLES, *memory_postgres.READ_TABLES)


def readers_database(server: Any, *personas: str, reader: str) -> str:
    """A database as `records migrate --personas ... --readers <reader>` makes it: bootstrap,
    every component's migrations, the readers' grants; every login with a password (the test
    server has no rds_iam)."""
    database = f"agents_{uuid.uuid4().hex[:8]}"
    master = pg_target(server, "postgres")
    bootstrap(master, database, [persona_role(p) for p in personas], [reader])
    with postgres.connect(dataclasses.replace(master, database=database), autocommit=True) as c:
        postgres.migrate(c, "findings", findings_postgres.MIGRATIONS)
        postgres.migrate(c, "memory", memory_postgres.MIGRATIONS)
        postgres.migrate(c, "notifications", notify_postgres.MIGRATIONS)
        postgres.grant_reads(c, (*findings_postgres.READ_TABLES, *memory_postgres.READ_TABLES))
    with superuser(server, "postgres") as conn:
        for user in [*(persona_role(p) for p in personas), reader]:
            conn.execute(f"ALTER ROLE \"{user}\" PASSWORD '{PASSWORD}'")
    return database


def as_login(server: Any, database: str, user: str) -> psycopg.Connection[Any]:
    return psycopg.connect(**server.conninfo(database, user=user), autocommit=True)


def read_privileges(server: Any, database: str) -> set[tuple[str, str]]:
    """(table, privilege) of every grant the read role holds in schema public."""
    with superuser(server, database) as conn:
        rows = conn.execute(
            "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
            "WHERE grantee = %s AND table_schema = 'public'",
            (READ_ROLE,),
        ).fetchall()
    return {(str(t), str(p)) for t, p in rows}


def _tag() -> str:
    return uuid.uuid4().hex[:8]


@pytest.fixture
def team(postgres_server: Any) -> tuple[str, str, str, str]:
    """(database, reader, sre, dba): two personas that wrote findings and memory; a database
    of the test's own, for a test that changes grants or policies."""
    return make_team(postgres_server)


@pytest.fixture(scope="module")
def read_team(postgres_server: Any) -> tuple[str, str, str, str]:
    """`team`, one for the module's tests that only read it or whose every statement must be
    refused (each checks afterwards that nothing changed, so a statement that got through
    fails its own test)."""
    return make_team(postgres_server)


def make_team(postgres_server: Any) -> tuple[str, str, str, str]:
    sre, dba, reader = f"sre-{_tag()}", f"dba-{_tag()}", f"agent_reader_{_tag()}"
    database = readers_database(postgres_server, sre, dba, reader=reader)
    for persona in (sre, dba):
        login = pg_target(postgres_server, database, user=persona_role(persona))
        with PostgresFindingStore(login) as store:
            store.observe(persona, "prod", [], [alarm("a", "high")])
        with PostgresMemory(login) as memory:
            memory.add(
                "incident",
                f"{persona} saw the replica lag after the failover",
                source=f"{persona}-note",
                time="2026-11-01T10:00:00+00:00",
                stack="prod",
                persona=persona,
            )
    return database, reader, sre, dba


def test_a_reader_reads_every_persona_s_findings_and_the_memory(postgres_server, read_team):
    database, reader, sre, dba = read_team
    login = pg_target(postgres_server, database, user=reader)
    with PostgresFindingStore(login, read_only=True) as store:
        assert sorted(f.finding.persona for f in store.query()) == sorted([sre, dba])
    with PostgresMemory(login, read_only=True) as memory:
        hits = memory.search("replica lag failover")
        assert sorted(h.source for h in hits) == sorted([f"{sre}-note", f"{dba}-note"])
        assert memory.counts()["incident"] == 2
    with as_login(postgres_server, database, reader) as conn:
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
        (path,) = conn.execute("SHOW search_path").fetchone() or ("",)
        assert path.replace(" ", "") == "public,pg_temp"


def test_the_reader_reads_through_a_policy_of_its_own(postgres_server, team):
    """The personas' read-all policy gone, the reader still reads every finding; its own policy
    lets no one else read anything."""
    database, reader, sre, _ = team
    with superuser(postgres_server, database) as conn:
        conn.execute("DROP POLICY findings_read_all ON findings")
        (roles,) = conn.execute(
            "SELECT roles::text[] FROM pg_policies WHERE tablename = 'findings' "
            "AND policyname = 'findings_readers_read_all'"
        ).fetchone() or (None,)
        assert roles == [READ_ROLE]
    with as_login(postgres_server, database, reader) as conn:
        assert conn.execute("SELECT count(*) FROM findings").fetchone() == (2,)
    with as_login(postgres_server, database, persona_role(sre)) as conn:
        assert conn.execute("SELECT count(*) FROM findings").fetchone() == (0,)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO findings (persona, stack, kind, resource, severity, summary, evidence, "
        "proposed_action, status, first_seen, last_seen, count) VALUES ('x', 'prod', 'k', 'r', "
        "'low', 's', '{}', '', 'open', now(), now(), 1)",
        "UPDATE findings SET summary = 'hidden'",
        "DELETE FROM findings",
        "TRUNCATE findings",
        "INSERT INTO memory_entries (key, kind, source, time, title, text, length) "
        "VALUES ('k', 'note', 's', 't', 't', 't', 1)",
        "UPDATE memory_entries SET text = 'changed'",
        "DELETE FROM memory_entries",
        "DELETE FROM memory_postings",
        "UPDATE memory_stats SET entries = 0",
        "INSERT INTO agents_schema (component, version, name) VALUES ('findings', 99, 'x')",
        "UPDATE agents_schema SET version = 99",
        "SELECT nextval('findings_id_seq')",
        "CREATE TABLE public.mine (i int)",
        "CREATE TABLE mine (i int)",
        "CREATE TEMP TABLE findings (i int)",
        "CREATE FUNCTION public.now() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE VIEW public.v AS SELECT 1",
        "CREATE SCHEMA mine",
        "ALTER TABLE findings DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE findings ADD COLUMN x int",
        "ALTER TABLE memory_entries OWNER TO CURRENT_USER",
        "DROP TABLE findings",
        "DROP POLICY findings_readers_read_all ON findings",
        "CREATE POLICY mine ON findings FOR ALL USING (true)",
        f'GRANT "{RW_ROLE}" TO CURRENT_USER',
        "SELECT * FROM notify_claims",
        "SELECT * FROM notify_seen",
        "SELECT * FROM memory_sources",
        f'SET ROLE "{RW_ROLE}"',
        f'SET ROLE "{GROUP_ROLE}"',
    ],
)
def test_a_reader_writes_nothing_and_reads_nothing_else(postgres_server, read_team, statement):
    database, reader, _, _ = read_team
    with as_login(postgres_server, database, reader) as conn:
        # The session's read-only default is only a second guard: without it, the grants refuse.
        conn.execute("SET default_transaction_read_only = off")
        # In a transaction rolled back whatever happens: a statement that got through fails
        # this test and leaves the module's shared database as it was for the others.
        conn.autocommit = False
        try:
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        finally:
            conn.rollback()
    with superuser(postgres_server, database) as conn:
        assert conn.execute("SELECT count(*) FROM findings").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM memory_entries").fetchone() == (2,)


def test_with_the_default_a_reader_s_write_is_refused_as_read_only(postgres_server, read_team):
    database, reader, _, _ = read_team
    with (
        as_login(postgres_server, database, reader) as conn,
        pytest.raises(psycopg.errors.ReadOnlySqlTransaction),
    ):
        conn.execute("DELETE FROM findings")


def test_the_reader_holds_select_on_the_read_tables_only_and_nothing_else(
    postgres_server, read_team
):
    database, reader, _, _ = read_team
    assert read_privileges(postgres_server, database) == {(t, "SELECT") for t in READ_TABLES}
    with superuser(postgres_server, database) as conn:
        attributes = conn.execute(
            "SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, "
            "rolcanlogin FROM pg_roles WHERE rolname = %s",
            (reader,),
        ).fetchone()
        assert attributes == (False, False, False, False, False, True)
        member_of = conn.execute(
            "SELECT g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s",
            (reader,),
        ).fetchall()
        assert member_of == [(READ_ROLE,)]
        owned = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = ANY(%s)",
            ([reader, READ_ROLE],),
        ).fetchone()
        assert owned == (0,)
        for privilege in ("CREATE", "USAGE"):
            assert conn.execute(
                "SELECT has_schema_privilege(%s, 'public', %s)", (reader, privilege)
            ).fetchone() == (privilege == "USAGE",), privilege
        assert conn.execute(
            "SELECT has_database_privilege(%s, current_database(), 'CREATE'), "
            "has_database_privilege(%s, current_database(), 'TEMPORARY')",
            (reader, reader),
        ).fetchone() == (False, False)
        sequences = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relkind = 'S' AND "
            "(has_sequence_privilege(%s, oid, 'USAGE') OR has_sequence_privilege(%s, oid, "
            "'UPDATE'))",
            (reader, reader),
        ).fetchone()
        assert sequences == (0,)


def test_every_memory_table_a_search_needs_is_granted_and_the_ledger_never(
    postgres_server, read_team
):
    """`READ_TABLES` against what the migrations made: every memory table but the audit offsets
    (a new table must be named, or a reader's search fails), no notification table."""
    database, _, _, _ = read_team
    with superuser(postgres_server, database) as conn:
        tables = {
            t
            for (t,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        }
    memory = {t for t in tables if t.startswith("memory_")}
    assert memory - set(memory_postgres.READ_TABLES) == {"memory_sources"}
    assert not {t for t in READ_TABLES if t.startswith("notify_")}
    assert set(READ_TABLES) <= tables


def test_grant_reads_is_exact_and_idempotent(postgres_server, team):
    """Run again it changes nothing; a grant someone added is taken back, a policy someone
    changed is made again."""
    database, _, _, _ = team
    before = read_privileges(postgres_server, database)
    with superuser(postgres_server, database) as conn:
        conn.execute(f'GRANT SELECT, INSERT ON notify_claims, findings TO "{READ_ROLE}"')
        conn.execute("ALTER POLICY findings_readers_read_all ON findings USING (false)")
    assert read_privileges(postgres_server, database) != before
    master = pg_target(postgres_server, database)
    for _ in range(2):
        with postgres.connect(master, autocommit=True) as conn:
            granted = postgres.grant_reads(
                conn, (*findings_postgres.READ_TABLES, *memory_postgres.READ_TABLES)
            )
        assert granted == list(READ_TABLES)
        assert read_privileges(postgres_server, database) == before
    with superuser(postgres_server, database) as conn:
        assert conn.execute(
            "SELECT qual FROM pg_policies WHERE policyname = 'findings_readers_read_all'"
        ).fetchall() == [("true",)]


def test_a_name_is_a_persona_or_a_reader_never_both(postgres_server):
    master = pg_target(postgres_server, "postgres")
    user = f"agent_both_{_tag()}"
    with pytest.raises(postgres.RecordsError, match="not both"):
        bootstrap(master, f"agents_{_tag()}", [user], [user])


def test_a_persona_made_a_reader_leaves_the_rw_role(postgres_server):
    """A name that was a persona's, named a reader: out of the rw role, into the read role only
    (and back, the other way)."""
    master = pg_target(postgres_server, "postgres")
    database, user = f"agents_{_tag()}", f"agent_was_{_tag()}"
    bootstrap(master, database, [user])
    bootstrap(master, database, [], [user])

    def groups() -> set[str]:
        with superuser(postgres_server, "postgres") as conn:
            return {
                g
                for (g,) in conn.execute(
                    "SELECT g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
                    "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s",
                    (user,),
                )
            }

    assert groups() == {READ_ROLE}
    bootstrap(master, database, [user])
    assert groups() == {RW_ROLE}

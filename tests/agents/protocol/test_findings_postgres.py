"""The findings store on PostgreSQL behaves as the SQLite one does (the same behaviour tests run
on both), keeps one finding per identity when passes from several processes run at once, and
refuses in one line what it cannot use: a newer schema, refused credentials, a certificate that
does not verify, a missing CA bundle. A pass whose connection dies is rolled back as a whole."""

from __future__ import annotations

import dataclasses
import datetime
import multiprocessing
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from agents import InputError
from agents.protocol import postgres
from agents.protocol.backends import open_findings, read_findings
from agents.protocol.findings import Finding, FindingRecords, FindingsError, FindingStore
from agents.protocol.findings_postgres import (
    MIGRATIONS,
    SCHEMA_VERSION,
    PostgresFindingStore,
    pass_key,
)
from agents.protocol.postgres import GROUP_ROLE, RW_ROLE, Target, bootstrap, persona_role
from agents.protocol.settings import AgentSettings
from agents.skills import memory_postgres
from tests.agents.protocol import test_findings as behaviour
from tests.agents.protocol.test_findings import alarm
from tests.postgres_server import PASSWORD, SUPERUSER, other_ca

PERSONA = "observability-engineer"

# FindingStore's behaviour tests, run here against both stores (the `store` fixture below).
test_a_finding_seen_again_is_updated_not_duplicated = (
    behaviour.test_a_finding_seen_again_is_updated_not_duplicated
)
test_a_finding_no_longer_seen_closes_and_history_is_kept = (
    behaviour.test_a_finding_no_longer_seen_closes_and_history_is_kept
)
test_kinds_a_pass_did_not_check_stay_open = behaviour.test_kinds_a_pass_did_not_check_stay_open
test_filters_by_stack_and_severity_floor = behaviour.test_filters_by_stack_and_severity_floor


def pg_target(
    server: Any,
    database: str,
    *,
    user: str = SUPERUSER,
    password: str = PASSWORD,
    sslrootcert: Path | None = None,
) -> Target:
    return Target(
        host="127.0.0.1",
        port=server.port,
        database=database,
        user=user,
        password=lambda: password,
        sslrootcert=sslrootcert or server.ca,
        connect_timeout_s=10,
    )


def superuser(server: Any, database: str) -> psycopg.Connection[Any]:
    return psycopg.connect(**server.conninfo(database), autocommit=True)


@pytest.fixture
def database(postgres_server: Any) -> str:
    return str(postgres_server.fresh_database())


@pytest.fixture
def target(postgres_server: Any, database: str) -> Target:
    return pg_target(postgres_server, database)


Factory = Callable[[], FindingRecords]


@pytest.fixture(params=["sqlite", "postgres"])
def factory(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    """A way to open the store under test (again and again: a new pod opens it afresh)."""
    if request.param == "sqlite":
        return lambda: FindingStore(tmp_path / "findings.sqlite")
    server = request.getfixturevalue("postgres_server")
    t = pg_target(server, server.fresh_database())
    return lambda: PostgresFindingStore(t)


@pytest.fixture
def store(factory: Factory) -> Iterator[FindingRecords]:
    with factory() as s:
        yield s


def one_line(exc: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(exc.value)
    assert "\n" not in text and "Traceback" not in text, text
    return text


# -- the same results on both --------------------------------------------------------------------
def _passes(store: FindingRecords) -> list[dict[str, Any]]:
    """A sequence of passes touching every path: open, update, close, reopen, other stacks."""
    seen = []
    for persona, stack, checked, found in [
        (PERSONA, "prod", ["alarm.firing"], [alarm("a", "low"), alarm("b", "critical")]),
        (PERSONA, "prod", ["alarm.firing"], [alarm("a", "high")]),
        ("sre", "prod", [], [alarm("a", "medium")]),
        (PERSONA, "prod", ["alarm.firing"], [alarm("a"), alarm("b")]),
        (PERSONA, "prod", ["logs.errors"], []),
        (PERSONA, "prod", ["alarm.firing"], []),
    ]:
        result = store.observe(persona, stack, checked, found)
        seen.append(
            {
                what: [f.to_json() for f in getattr(result, what)]
                for what in ("opened", "updated", "closed")
            }
        )
    for status in ("open", "closed"):
        seen.append({status: [f.to_json() for f in store.query(status=status)]})
    seen.append({"high": [f.to_json() for f in store.query(severity="high", status="closed")]})
    return seen


TIMES = ("firstSeen", "lastSeen", "closedAt")


def _without_times(seen: Any) -> Any:
    if isinstance(seen, dict):
        return {k: _without_times(v) for k, v in seen.items() if k not in TIMES}
    if isinstance(seen, list):
        return [_without_times(v) for v in seen]
    return seen


def _times(seen: Any) -> Iterator[str]:
    if isinstance(seen, dict):
        for k, v in seen.items():
            if k in TIMES and v is not None:
                yield v
            yield from _times(v)
    elif isinstance(seen, list):
        for v in seen:
            yield from _times(v)


def test_both_stores_give_the_same_ids_counts_order_and_time_format(tmp_path, target):
    with FindingStore(tmp_path / "findings.sqlite") as lite, PostgresFindingStore(target) as pg:
        on_sqlite, on_postgres = _passes(lite), _passes(pg)
    assert _without_times(on_postgres) == _without_times(on_sqlite)
    iso = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
    stamps = list(_times(on_postgres))
    assert stamps and all(iso.fullmatch(s) for s in stamps), stamps
    assert len(stamps) == len(list(_times(on_sqlite)))


def test_a_new_connection_continues_the_finding(target):
    with PostgresFindingStore(target) as first:
        opened = first.observe(PERSONA, "prod", [], [alarm()]).opened[0]
    with PostgresFindingStore(target) as second:  # a new pod
        (again,) = second.observe(PERSONA, "prod", [], [alarm()]).updated
    assert (again.id, again.count, again.first_seen) == (opened.id, 2, opened.first_seen)


def test_a_finding_for_another_stack_rolls_the_pass_back(target):
    with PostgresFindingStore(target) as store:
        wrong = Finding("alarm.firing", "high", "dev", "r", "s")
        with pytest.raises(InputError, match="is for stack dev, not prod"):
            store.observe(PERSONA, "prod", [], [alarm(), wrong])
        assert store.query() == []
        assert len(store.observe(PERSONA, "prod", [], [alarm()]).opened) == 1


# -- passes at once --------------------------------------------------------------------------------
ROUNDS = 20
PROCESSES = 7


def _worker(info: dict[str, Any], index: int, barrier: Any) -> None:
    t = Target(
        info["host"],
        info["port"],
        info["database"],
        SUPERUSER,
        lambda: info["password"],
        sslrootcert=Path(info["ca"]),
    )
    with PostgresFindingStore(t) as store:
        for r in range(ROUNDS):
            own = [alarm("steady")] + ([alarm("flapping")] if r % 2 == 0 else [])
            barrier.wait()
            store.observe(f"p{index}", "prod", ["alarm.firing"], own)
            barrier.wait()
            if index < 2:  # two passes of one persona at once, both seeing one new problem
                seen_by_two = Finding(f"pair.r{r}", "high", "prod", "db", "seen by two at once")
                store.observe("pair", "prod", [], [seen_by_two])
            store.observe("everyone", "prod", ["alarm.firing"], [alarm("shared")])


@pytest.mark.slow  # processes racing on one store: `make test-slow` (CI runs it)
def test_seven_processes_at_once_lose_no_update_and_duplicate_no_finding(postgres_server, target):
    PostgresFindingStore(target).close()  # the schema, once, before the race
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(PROCESSES, timeout=60)  # one that dies breaks it: no hang
    info = {
        "host": target.host,
        "port": target.port,
        "database": target.database,
        "password": PASSWORD,
        "ca": str(postgres_server.ca),
    }
    procs = [ctx.Process(target=_worker, args=(info, i, barrier)) for i in range(PROCESSES)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + 180
    for p in procs:
        p.join(timeout=max(0.1, deadline - time.monotonic()))
    for p in procs:
        if p.is_alive():
            p.kill()
    assert [p.exitcode for p in procs] == [0] * PROCESSES
    with PostgresFindingStore(target) as store:
        open_now = store.query()
        closed = store.query(status="closed")
    by = {(f.finding.persona, f.finding.kind, f.finding.resource): f for f in open_now}
    assert len(by) == len(open_now), "a duplicate open finding"
    for i in range(PROCESSES):
        assert by[(f"p{i}", "alarm.firing", "steady")].count == ROUNDS, f"p{i} lost an update"
        flaps = [f for f in closed if f.finding.persona == f"p{i}"]
        assert len(flaps) == ROUNDS // 2 and {f.count for f in flaps} == {1}, f"p{i}"
    assert by[("everyone", "alarm.firing", "shared")].count == PROCESSES * ROUNDS
    pairs = [f for f in open_now if f.finding.persona == "pair"]
    assert sorted(f.finding.kind for f in pairs) == sorted(f"pair.r{r}" for r in range(ROUNDS))
    assert {f.count for f in pairs} == {2}, [(f.finding.kind, f.count) for f in pairs]


def test_the_pass_lock_is_per_persona_and_stack():
    assert pass_key("sre", "prod") == pass_key("sre", "prod")
    assert len({pass_key("sre", "prod"), pass_key("sre", "dev"), pass_key("dba", "prod")}) == 3
    assert -(2**63) <= pass_key("sre", "prod") < 2**63


# -- refusals, in one line -------------------------------------------------------------------------
def test_a_schema_from_the_future_is_refused_and_nothing_is_written(postgres_server, database):
    with superuser(postgres_server, database) as conn:
        conn.execute(postgres._SCHEMA_TABLE)
        conn.execute(
            "INSERT INTO agents_schema (component, version, name) VALUES ('findings', 99, 'x')"
        )
    t = pg_target(postgres_server, database)
    for read_only in (False, True):
        with pytest.raises(FindingsError) as refused:
            PostgresFindingStore(t, read_only=read_only)
        text = one_line(refused)
        assert "99" in text and str(SCHEMA_VERSION) in text and "upgrade" in text, text
    with superuser(postgres_server, database) as conn:
        assert conn.execute("SELECT to_regclass('findings')").fetchone() == (None,)
        rows = conn.execute("SELECT component, version FROM agents_schema").fetchall()
        assert rows == [("findings", 99)]


@pytest.mark.parametrize(
    ("change", "why"),
    [
        # PostgreSQL's json takes these; Python's decoder does not: the driver's JSON loader
        # raised RecursionError or ValueError out of the read (a traceback)
        ("evidence = (repeat('[', 5000) || repeat(']', 5000))::json", "not JSON"),
        ("evidence = ('{\"a\": ' || repeat('1', 5000) || '}')::json", "not JSON"),
        ("evidence = (repeat('[', 300) || repeat(']', 300))::json", "not JSON"),  # too deep
        ("severity = 'bogus'", "cannot be read"),  # these two raised InputError (exit 2)
        ("kind = ''", "cannot be read"),
    ],
)
def test_a_row_written_by_another_program_refuses_the_read_in_one_line(
    postgres_server, database, target, change, why
):
    with PostgresFindingStore(target) as store:
        (opened,) = store.observe(PERSONA, "prod", ["alarm.firing"], [alarm()]).opened
    with superuser(postgres_server, database) as conn:
        conn.execute(f"UPDATE findings SET {change}")
    for read_only in (False, True):
        with (
            PostgresFindingStore(target, read_only=read_only) as store,
            pytest.raises(FindingsError) as refused,
        ):
            store.query()
        text = one_line(refused)
        assert f"finding {opened.id}" in text and why in text and "damaged" in text, text


def test_a_pass_whose_result_cannot_be_read_is_rolled_back_whole(postgres_server, database, target):
    # as on SQLite (test_findings): the result is read in the pass's transaction
    with PostgresFindingStore(target) as store:
        (damaged,) = store.observe(PERSONA, "prod", ["alarm.firing"], [alarm()]).opened
    with superuser(postgres_server, database) as conn:
        conn.execute("UPDATE findings SET evidence = (repeat('[', 300) || repeat(']', 300))::json")
    with PostgresFindingStore(target) as store, pytest.raises(FindingsError) as refused:
        store.observe(PERSONA, "prod", ["alarm.firing"], [alarm("baseline-prod-db-cpu")])
    assert f"finding {damaged.id}'s evidence" in one_line(refused)
    with superuser(postgres_server, database) as conn:
        rows = conn.execute("SELECT id, status FROM findings").fetchall()
    assert rows == [(damaged.id, "open")]  # nothing of the pass


def test_wrong_credentials_are_one_line(postgres_server, database):
    with pytest.raises(FindingsError) as refused:
        PostgresFindingStore(pg_target(postgres_server, database, password="not-the-password"))
    assert "credentials were refused" in one_line(refused)


def test_a_certificate_that_does_not_verify_is_refused(postgres_server, database, tmp_path):
    t = pg_target(postgres_server, database, sslrootcert=other_ca(tmp_path / "other"))
    with pytest.raises(FindingsError) as refused:
        PostgresFindingStore(t)
    text = one_line(refused)
    assert "TLS" in text and "does not verify" in text, text


def test_a_missing_ca_bundle_is_refused(postgres_server, database, tmp_path):
    t = pg_target(postgres_server, database, sslrootcert=tmp_path / "rds-global-bundle.pem")
    with pytest.raises(FindingsError) as refused:
        PostgresFindingStore(t)
    text = one_line(refused)
    assert "CA bundle" in text and "missing" in text and "refusing" in text, text


def test_libpq_s_missing_bundle_message_is_named_as_such():
    exc = psycopg.OperationalError(
        'root certificate file "/x.pem" does not exist\nEither provide the file, use the '
        "system's trusted roots with sslrootcert=system, or change sslmode to disable server "
        "certificate verification."
    )
    assert postgres._reason(exc).startswith("TLS: the CA bundle cannot be read")


# -- bootstrap and the personas' roles -------------------------------------------------------------
def persona_database(
    server: Any, *personas: str, migrations: bool = True
) -> tuple[str, dict[str, Target]]:
    """A database as `records migrate` makes it (bootstrap, then every component's migrations,
    as the master) and each persona's own login (`agent_<persona>`; with a password here: the
    test server has no rds_iam)."""
    database = f"agents_{uuid.uuid4().hex[:8]}"
    master = pg_target(server, "postgres")
    bootstrap(master, database, [persona_role(p) for p in personas])
    if migrations:
        inner = dataclasses.replace(master, database=database)
        with postgres.connect(inner, autocommit=True) as conn:
            postgres.migrate(conn, "findings", MIGRATIONS)
            postgres.migrate(conn, "memory", memory_postgres.MIGRATIONS)
    with superuser(server, "postgres") as conn:
        for p in personas:
            conn.execute(f"ALTER ROLE \"{persona_role(p)}\" PASSWORD '{PASSWORD}'")
    return database, {p: pg_target(server, database, user=persona_role(p)) for p in personas}


def as_persona(server: Any, database: str, persona: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        **server.conninfo(database, user=persona_role(persona)),
        autocommit=True,
    )


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def test_bootstrap_creates_database_and_roles_once(postgres_server):
    tag = _tag()
    database, users = f"agents_{tag}", [f"agent_sre_{tag}", f"agent_dba_{tag}"]
    master = pg_target(postgres_server, "postgres")
    created = bootstrap(master, database, users)
    assert f"database {database}" in created and {f"role {u}" for u in users} <= set(created)
    assert bootstrap(master, database, users) == []  # the second run changes nothing
    with superuser(postgres_server, "postgres") as conn:
        member_of = {
            u: {
                r
                for (r,) in conn.execute(
                    "SELECT g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
                    "JOIN pg_roles m ON m.oid = a.member WHERE m.rolname = %s",
                    (u,),
                )
            }
            for u in users
        }
        assert member_of == {u: {RW_ROLE} for u in users}, member_of
        settings = conn.execute(
            "SELECT rolconfig FROM pg_roles WHERE rolname = %s", (users[0],)
        ).fetchone()
        assert settings == (["search_path=public, pg_temp"],), settings


def test_a_persona_records_its_own_findings_and_reads_every_persona_s(postgres_server):
    sre, dba = f"sre-{_tag()}", f"dba-{_tag()}"
    database, logins = persona_database(postgres_server, sre, dba)
    with PostgresFindingStore(logins[sre]) as store:
        assert store.observe(sre, "prod", [], [alarm()]).opened
    with PostgresFindingStore(logins[dba]) as store:  # another persona: the same tables
        store.observe(dba, "prod", [], [alarm()])
        assert sorted(f.finding.persona for f in store.query()) == sorted([sre, dba])
        (path,) = store._conn.execute("SHOW search_path").fetchone() or ("",)
        assert path.replace(" ", "") == "public,pg_temp", path
    with superuser(postgres_server, database) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'findings'")
        assert owner.fetchone() == (GROUP_ROLE,)


def test_a_persona_cannot_record_a_finding_for_another_persona(postgres_server):
    sre, dba = f"sre-{_tag()}", f"dba-{_tag()}"
    _, logins = persona_database(postgres_server, sre, dba)
    with PostgresFindingStore(logins[dba]) as store:
        with pytest.raises(FindingsError) as refused:
            store.observe(sre, "prod", [], [alarm()])
        assert "own persona's rows" in one_line(refused)
        assert store.query() == []  # the pass was rolled back


def test_a_persona_cannot_update_or_close_another_persona_s_finding(postgres_server):
    sre, dba = f"sre-{_tag()}", f"dba-{_tag()}"
    database, logins = persona_database(postgres_server, sre, dba)
    with PostgresFindingStore(logins[sre]) as store:
        (mine,) = store.observe(sre, "prod", ["alarm.firing"], [alarm()]).opened
    with PostgresFindingStore(logins[dba]) as store:  # a pass in sre's name that sees nothing
        assert store.observe(sre, "prod", ["alarm.firing"], []).closed == ()
    with as_persona(postgres_server, database, dba) as conn:
        changed = conn.execute(
            "UPDATE findings SET status = 'closed', summary = 'hidden' WHERE id = %s", (mine.id,)
        )
        assert changed.rowcount == 0, "row-level security let dba update sre's finding"
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM findings")
    with PostgresFindingStore(logins[sre]) as store:
        (still,) = store.query()
        assert (still.id, still.status, still.finding.summary) == (
            mine.id,
            "open",
            mine.finding.summary,
        )


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO agents_schema (component, version, name) VALUES ('findings', 99, 'x')",
        "UPDATE agents_schema SET version = 99",
        "DELETE FROM agents_schema",
        "CREATE TABLE public.mine (i int)",
        "CREATE FUNCTION public.now() RETURNS int LANGUAGE sql AS 'SELECT 1'",
        "CREATE TEMP TABLE findings (i int)",
        "TRUNCATE findings",
        "TRUNCATE memory_entries",
        "DROP TABLE findings",
        "DROP TABLE memory_entries",
        "ALTER TABLE findings DISABLE ROW LEVEL SECURITY",
        "ALTER TABLE memory_entries ADD COLUMN x int",
        "DROP TEXT SEARCH DICTIONARY agents_memory_stem",
        f'SET ROLE "{GROUP_ROLE}"',
    ],
)
def test_a_persona_cannot_change_the_schema_or_its_versions(postgres_server, statement):
    sre = f"sre-{_tag()}"
    database, _ = persona_database(postgres_server, sre)
    with as_persona(postgres_server, database, sre) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
        versions = conn.execute(
            "SELECT component, max(version) FROM agents_schema GROUP BY 1 ORDER BY 1"
        )
        assert versions.fetchall() == [
            ("findings", SCHEMA_VERSION),
            ("memory", memory_postgres.NEWEST),
        ]


def test_a_persona_behind_the_schema_is_told_to_run_records_migrate(postgres_server):
    sre = f"sre-{_tag()}"
    database, logins = persona_database(postgres_server, sre, migrations=False)
    with pytest.raises(FindingsError) as refused:
        PostgresFindingStore(logins[sre])
    text = one_line(refused)
    assert f"schema 0, this version needs {SCHEMA_VERSION}" in text, text
    assert "python -m agents records migrate" in text, text
    with superuser(postgres_server, database) as conn:
        assert conn.execute("SELECT to_regclass('agents_schema')").fetchone() == (None,)


def test_a_login_that_is_no_persona_cannot_connect(postgres_server):
    database, _ = persona_database(postgres_server, f"sre-{_tag()}")
    stranger = f"stranger_{_tag()}"
    with superuser(postgres_server, "postgres") as conn:
        conn.execute(f"CREATE ROLE \"{stranger}\" LOGIN PASSWORD '{PASSWORD}'")
    with pytest.raises(FindingsError) as refused:
        PostgresFindingStore(pg_target(postgres_server, database, user=stranger))
    assert "permission denied for database" in one_line(refused)


def test_a_superuser_migrates_a_database_the_group_cannot_write(postgres_server, database):
    with superuser(postgres_server, "postgres") as conn:
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (GROUP_ROLE,)).fetchone():
            conn.execute(f'CREATE ROLE "{GROUP_ROLE}" NOLOGIN')
    with PostgresFindingStore(pg_target(postgres_server, database)) as store:
        assert store.observe(PERSONA, "prod", [], [alarm()]).opened


def test_only_verify_full_is_accepted(postgres_server, database, tmp_path):
    """verify-ca skips the host-name check, and every RDS instance chains to the same CA."""
    with pytest.raises(ValidationError, match="pg_sslmode"):
        AgentSettings(state_dir=tmp_path, pg_sslmode="verify-ca")  # type: ignore[arg-type]
    lax = dataclasses.replace(pg_target(postgres_server, database), sslmode="verify-ca")
    with pytest.raises(FindingsError) as refused:
        PostgresFindingStore(lax)
    assert "only verify-full" in one_line(refused)


# -- NUL from application logs ---------------------------------------------------------------------
def test_a_nul_is_recorded_and_read_back_the_same_on_both_stores(store):
    """PostgreSQL's text refuses NUL (the pass would roll back); both stores keep it as U+FFFD."""
    logged = Finding(
        "logs.errors",
        "high",
        "prod",
        "api\x00pod",
        "panic: \x00\x00 in handler",
        {"line": "x\x00y", "lines\x00": ["\x00"], "n": 1},
        "read the log\x00",
    )
    (opened,) = store.observe(PERSONA, "prod", ["logs.errors"], [logged]).opened
    (again,) = store.observe(PERSONA, "prod", ["logs.errors"], [logged]).updated
    (stored,) = store.query(stack="prod")
    assert opened.id == again.id == stored.id and stored.count == 2
    assert stored.finding == Finding(
        "logs.errors",
        "high",
        "prod",
        "api\ufffdpod",
        "panic: \ufffd\ufffd in handler",
        {"line": "x\ufffdy", "lines\ufffd": ["\ufffd"], "n": 1},
        "read the log\ufffd",
        PERSONA,
    )


# -- a connection lost mid-pass --------------------------------------------------------------------
def _pass_in_thread(store: PostgresFindingStore) -> tuple[threading.Thread, list[Exception]]:
    """A pass that writes a new finding, then waits on the row lock of the existing one."""
    failed: list[Exception] = []

    def run() -> None:
        try:
            store.observe(PERSONA, "prod", ["alarm.firing"], [alarm("new"), alarm("old")])
        except Exception as exc:  # noqa: BLE001 - the test looks at what was raised
            failed.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, failed


def _waiting_backend(conn: psycopg.Connection[Any], database: str) -> int:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        row = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND wait_event_type = 'Lock'",
            (database,),
        ).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.05)
    raise AssertionError("the pass never waited on the row lock")


def _hold_old(server: Any, database: str) -> psycopg.Connection[Any]:
    blocker = psycopg.connect(**server.conninfo(database))
    blocker.execute("SELECT id FROM findings WHERE resource = 'old' FOR UPDATE")
    return blocker


def _assert_rolled_back_then_continued(store: PostgresFindingStore, target: Target) -> None:
    with PostgresFindingStore(target) as other:
        assert [(f.finding.resource, f.count) for f in other.query()] == [("old", 1)]
        assert other.query(status="closed") == []
    again = store.observe(PERSONA, "prod", ["alarm.firing"], [alarm("new"), alarm("old")])
    assert [f.finding.resource for f in again.opened] == ["new"]
    assert [(f.finding.resource, f.count) for f in again.updated] == [("old", 2)]


def test_a_pass_whose_connection_is_killed_is_rolled_back_and_the_next_one_works(
    postgres_server, database, target
):
    with PostgresFindingStore(target) as store:
        store.observe(PERSONA, "prod", ["alarm.firing"], [alarm("old")])
        blocker = _hold_old(postgres_server, database)
        thread, failed = _pass_in_thread(store)
        with superuser(postgres_server, database) as admin:
            pid = _waiting_backend(admin, database)
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        thread.join(timeout=30)
        blocker.rollback()
        blocker.close()
        assert len(failed) == 1 and isinstance(failed[0], FindingsError), failed
        text = str(failed[0])
        assert "\n" not in text and "cannot record findings" in text, text
        _assert_rolled_back_then_continued(store, target)


def test_a_server_restart_mid_pass_rolls_it_back_and_the_next_pass_reconnects(
    postgres_server, database, target
):
    with PostgresFindingStore(target) as store:
        store.observe(PERSONA, "prod", ["alarm.firing"], [alarm("old")])
        blocker = _hold_old(postgres_server, database)
        thread, failed = _pass_in_thread(store)
        with superuser(postgres_server, database) as admin:
            _waiting_backend(admin, database)
        try:
            postgres_server.stop("immediate")
        finally:
            postgres_server.start()
        thread.join(timeout=30)
        blocker.close()
        assert len(failed) == 1 and isinstance(failed[0], FindingsError), failed
        assert "\n" not in str(failed[0]), failed[0]
        _assert_rolled_back_then_continued(store, target)


# -- the settings' store, and reading without writing ---------------------------------------------
def pg_settings(server: Any, database: str, tmp_path: Path) -> AgentSettings:
    return AgentSettings(
        state_dir=tmp_path / "state",
        records_backend="postgres",
        pg_host="127.0.0.1",
        pg_port=server.port,
        pg_database=database,
        pg_user=SUPERUSER,
        pg_auth="password",
        pg_password=PASSWORD,  # type: ignore[arg-type]  # pydantic makes it a SecretStr
        pg_sslrootcert=server.ca,
    )


def test_the_settings_choose_the_store(postgres_server, database, tmp_path):
    local = AgentSettings(state_dir=tmp_path / "state")
    with open_findings(local) as store:
        assert isinstance(store, FindingStore) and store.source == "findings.sqlite"
    assert (tmp_path / "state" / "findings.sqlite").exists()
    with open_findings(pg_settings(postgres_server, database, tmp_path)) as store:
        assert isinstance(store, PostgresFindingStore) and store.source == "findings"


def test_reading_creates_nothing_and_reads_in_read_only_transactions(
    postgres_server, database, tmp_path
):
    settings = pg_settings(postgres_server, database, tmp_path)
    assert read_findings(settings) is None  # nothing recorded yet ...
    with superuser(postgres_server, database) as conn:  # ... and reading migrated nothing
        assert conn.execute("SELECT to_regclass('agents_schema')").fetchone() == (None,)
    with open_findings(settings) as store:
        store.observe(PERSONA, "prod", [], [alarm()])
    reader = read_findings(settings)
    assert isinstance(reader, PostgresFindingStore)
    with reader:
        assert [f.count for f in reader.query()] == [1]
        with pytest.raises(FindingsError, match="read-only"):
            reader.observe(PERSONA, "prod", [], [alarm()])
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            reader._conn.execute("DELETE FROM findings")
    with open_findings(settings) as store:
        assert [f.count for f in store.query()] == [1]


def test_timestamps_are_utc_seconds(target):
    with PostgresFindingStore(target) as store:
        (f,) = store.observe(PERSONA, "prod", [], [alarm()]).opened
    when = datetime.datetime.fromisoformat(f.first_seen)
    assert when.utcoffset() == datetime.timedelta(0) and when.microsecond == 0
    assert abs((datetime.datetime.now(datetime.UTC) - when).total_seconds()) < 60

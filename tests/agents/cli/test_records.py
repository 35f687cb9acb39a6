"""`python -m agents audit verify|drain`: the chain checked from the file or the CloudWatch group,
exit 1 on a broken chain, exit 2 (one line) on bad input; `run` sends its records to the sink."""

from __future__ import annotations

import json
import os

import boto3
import psycopg
import pytest
from moto import mock_aws
from pydantic import SecretStr

from agents.cli.main import main
from agents.protocol.audit import AuditLog
from agents.protocol.backends import open_findings, read_findings
from agents.protocol.findings import Finding, FindingsError
from agents.protocol.settings import AgentSettings
from agents.skills.memory_postgres import open_memory
from tests.agents.cli.test_commands import env  # noqa: F401 - the fixture
from tests.postgres_server import PASSWORD, SUPERUSER

GROUP = "/baseline/dev/agents/audit"


@pytest.fixture
def sink(env, monkeypatch):  # noqa: F811 - the fixture above
    boto3.client("logs", region_name="us-east-1").create_log_group(logGroupName=GROUP)
    monkeypatch.setenv("AGENTS_AUDIT_SINK", "cloudwatch")
    monkeypatch.setenv("AGENTS_AUDIT_LOG_GROUP", GROUP)
    monkeypatch.setenv("AGENTS_AUDIT_BATCH_S", "0.2")
    monkeypatch.delenv("AGENTS_AUDIT_WRITER", raising=False)
    return env


def verify_json(capsys, *argv):
    code = main(["audit", "verify", *argv, "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_a_pass_sends_its_chained_records_to_the_sink_and_both_verify(sink, capsys, tmp_path):
    assert main(["run", "release-engineer", "--stack", "dev", "--once", "--json"]) == 0
    capsys.readouterr()
    code, local = verify_json(capsys)
    assert code == 0 and local["ok"]
    code, remote = verify_json(capsys, "--source", "cloudwatch")
    assert code == 0 and remote["ok"]
    (writer,) = remote["writers"]
    assert writer["writer"] == "release-engineer" and writer["records"] >= 3
    assert writer["records"] == local["writers"][0]["records"]
    streams = boto3.client("logs", region_name="us-east-1").describe_log_streams(
        logGroupName=GROUP
    )["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["release-engineer"]


def test_a_deleted_record_fails_verify_with_the_gap_named(sink, capsys, tmp_path):
    main(["run", "release-engineer", "--stack", "dev", "--once", "--json"])
    capsys.readouterr()
    log = tmp_path / "state" / "audit.jsonl"
    lines = log.read_bytes().split(b"\n")
    victim = next(i for i, line in enumerate(lines) if b'"seq":2,' in line)
    del lines[victim]
    log.write_bytes(b"\n".join(lines))
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "gap: release-engineer: 1 record(s) missing: 2" in out


def test_drain_sends_what_waits_and_says_so(sink, capsys, tmp_path):
    AuditLog(tmp_path / "state" / "audit.jsonl", "cli@test").append("note", text="hello")
    assert main(["audit", "drain", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["delivered"] == 1 and report["remainingBytes"] == 0 and report["error"] is None


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["audit", "verify", "--source", "s3"], "invalid choice"),
        (["audit", "verify"], "no audit log at"),
        (["audit", "verify", "--source", "cloudwatch"], "AGENTS_AUDIT_LOG_GROUP"),
        (["audit", "drain"], "AGENTS_AUDIT_LOG_GROUP"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(env, capsys, argv, says):  # noqa: F811
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert says in err and len(err.splitlines()) <= 2 and "Traceback" not in err


@pytest.fixture
def database(postgres_server, monkeypatch, tmp_path):
    """The master's environment for `records migrate` on the throwaway server."""
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AGENTS_PG_HOST", "127.0.0.1")
    monkeypatch.setenv("AGENTS_PG_PORT", str(postgres_server.port))
    monkeypatch.setenv(
        "AGENTS_PG_DATABASE", "agents_" + tmp_path.name[-8:].lower().replace("-", "_")
    )
    monkeypatch.setenv("AGENTS_PG_SSLROOTCERT", str(postgres_server.ca))
    monkeypatch.setenv("AGENTS_PG_AUTH", "password")
    monkeypatch.setenv("AGENTS_PG_USER", SUPERUSER)
    monkeypatch.setenv("AGENTS_PG_PASSWORD", PASSWORD)
    return postgres_server


def test_records_migrate_makes_the_database_roles_and_schemas_a_persona_then_uses(
    database, capsys, monkeypatch, tmp_path
):
    users = "agent_release_engineer,agent_data_steward"
    assert main(["records", "migrate", "--personas", users, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    name = os.environ["AGENTS_PG_DATABASE"]
    assert f"database {name}" in first["created"] and "role agent_data_steward" in first["created"]
    assert first["versions"]["findings"] >= 1 and first["versions"]["memory"] >= 1
    # Again: nothing to create, same versions (idempotent).
    assert main(["records", "migrate", "--personas", users, "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again == {"created": [], "versions": first["versions"]}
    # A persona's own login (here with a password: the test server has no rds_iam) records.
    with psycopg.connect(**database.conninfo(), autocommit=True) as conn:
        conn.execute("ALTER ROLE agent_data_steward PASSWORD 'persona-test-only'")
    settings = AgentSettings(
        state_dir=tmp_path / "pod",
        records_backend="postgres",
        pg_host="127.0.0.1",
        pg_port=database.port,
        pg_database=name,
        pg_user="agent_data_steward",
        pg_auth="password",
        pg_password=SecretStr("persona-test-only"),
        pg_sslrootcert=database.ca,
    )
    finding = Finding("backup.no-dr-copy", "high", "prod", "db", "no copy in the DR region")
    with open_findings(settings) as store:
        assert len(store.observe("data-steward", "prod", [], [finding]).opened) == 1
        with pytest.raises(FindingsError, match="own persona's rows"):  # not another's
            store.observe("release-engineer", "prod", [], [finding])
    migrated = [r for r in AuditLog(tmp_path / "state" / "audit.jsonl").records()]
    assert [r["event"] for r in migrated] == ["records.migrated", "records.migrated"]


def test_records_migrate_reads_the_master_from_secrets_manager(database, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AGENTS_PG_USER")
    monkeypatch.delenv("AGENTS_PG_PASSWORD")
    monkeypatch.setenv("AGENTS_PG_AUTH", "iam")
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="rds!db-1", SecretString=json.dumps({"username": "postgres", "password": PASSWORD})
        )
        monkeypatch.setenv("AGENTS_PG_MASTER_SECRET", "rds!db-1")
        assert main(["records", "migrate", "--personas", "agent_x"]) == 0
        assert "findings schema" in capsys.readouterr().out
        boto3.client("secretsmanager", region_name="us-east-1").put_secret_value(
            SecretId="rds!db-1", SecretString="not json"
        )
        assert main(["records", "migrate", "--personas", "agent_x"]) == 1
        err = capsys.readouterr().err
        assert "not JSON with a username and a password" in err and "Traceback" not in err


@pytest.mark.parametrize(
    "secret",
    [
        "not json",
        # Secrets Manager holds at most 64 KiB: 30,000 levels, far past the decoder's depth
        '{"username": "postgres", "password": "x", "x": ' + "[" * 30_000 + "]" * 30_000 + "}",
    ],
    ids=["not JSON", "nested past the decoder's depth"],
)
def test_records_migrate_refuses_a_master_secret_that_is_not_json(
    capsys, monkeypatch, tmp_path, secret
):
    # the nested secret raised RecursionError out of `records migrate` as a traceback
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AGENTS_PG_HOST", "127.0.0.1")  # never reached: the secret is refused
    monkeypatch.setenv("AGENTS_PG_MASTER_SECRET", "rds!db-1")
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="rds!db-1", SecretString=secret
        )
        assert main(["records", "migrate", "--personas", "agent_x"]) == 1
    err = capsys.readouterr().err
    assert "not JSON with a username and a password" in err and "Traceback" not in err


def _read_grants(server, database_name):
    with psycopg.connect(**server.conninfo(database_name), autocommit=True) as conn:
        return sorted(
            conn.execute(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = 'baseline_agents_read' AND table_schema = 'public'"
            ).fetchall()
        )


def test_records_migrate_gives_an_existing_database_its_reader_once(
    database, capsys, monkeypatch, tmp_path
):
    """A database migrated without readers gets the reader on the next `records migrate
    --readers`; the reader reads what a persona wrote and writes nothing; run again, the
    migration creates nothing and the grants are the same."""
    from agents.protocol.findings_postgres import READ_TABLES as FINDINGS  # noqa: PLC0415
    from agents.skills.memory_postgres import READ_TABLES as MEMORY  # noqa: PLC0415

    tag = os.urandom(4).hex()
    persona, reader = f"agent_writer_{tag}", f"agent_reader_{tag}"
    name = os.environ["AGENTS_PG_DATABASE"]
    assert main(["records", "migrate", "--personas", persona, "--json"]) == 0
    first = json.loads(capsys.readouterr().out)
    argv = ["records", "migrate", "--personas", persona, "--readers", reader, "--json"]
    assert main(argv) == 0
    second = json.loads(capsys.readouterr().out)
    assert second == {"created": [f"role {reader}"], "versions": first["versions"]}
    grants = _read_grants(database, name)
    assert grants == sorted((t, "SELECT") for t in ("agents_schema", *FINDINGS, *MEMORY))
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == {"created": [], "versions": first["versions"]}
    assert _read_grants(database, name) == grants
    (record,) = AuditLog(tmp_path / "state" / "audit.jsonl").query({"event": "records.migrated"})[
        -1:
    ]
    assert record["readers"] == [reader] and "notify_claims" not in record["readable"]

    with psycopg.connect(**database.conninfo(), autocommit=True) as conn:
        for user in (persona, reader):
            conn.execute(f"ALTER ROLE {user} PASSWORD 'persona-test-only'")
    writer = _persona_settings(database, name, persona, tmp_path / "pod")
    finding = Finding("backup.no-dr-copy", "high", "prod", "db", "no copy in the DR region")
    with open_findings(writer) as store:
        store.observe(f"writer-{tag}", "prod", [], [finding])
    with open_memory(writer) as memory:
        memory.add("note", "the reader reads the memory", source="t", time="2026-11-01")
    readonly = _persona_settings(database, name, reader, tmp_path / "mcp")
    reading = read_findings(readonly)
    assert reading is not None
    with reading as store:
        assert [f.finding.summary for f in store.query()] == ["no copy in the DR region"]
    with open_memory(readonly, read_only=True) as memory:
        assert [h.source for h in memory.search("reader memory")] == ["t"]
    login = {**database.conninfo(name, user=reader), "password": "persona-test-only"}
    with psycopg.connect(**login, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE findings SET summary = 'hidden'")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM memory_entries")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE public.mine (i int)")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--personas", ""], "name at least one"),
        (["--personas", "Robert'); DROP TABLE x;--"], "not a usable PostgreSQL name"),
        (["--personas", "agent_x", "--readers", "Mcp-Reader"], "not a usable PostgreSQL name"),
        (["--personas", "agent_x", "--readers", "agent_x"], "a user is one"),
    ],
)
def test_records_migrate_refuses_bad_role_names(database, capsys, argv, says):
    assert main(["records", "migrate", *argv]) in (1, 2)
    assert says in capsys.readouterr().err


def test_records_migrate_with_wrong_credentials_is_one_line_and_a_record(
    database, capsys, monkeypatch, tmp_path
):
    monkeypatch.setenv("AGENTS_PG_PASSWORD", "wrong")
    assert main(["records", "migrate", "--personas", "agent_x"]) == 1
    err = capsys.readouterr().err.strip()
    assert "credentials were refused" in err and len(err.splitlines()) == 1
    assert AuditLog(tmp_path / "state" / "audit.jsonl").query({"event": "records.migrate-refused"})


def _persona_settings(server, database_name, user, state):
    return AgentSettings(
        state_dir=state,
        records_backend="postgres",
        pg_host="127.0.0.1",
        pg_port=server.port,
        pg_database=database_name,
        pg_user=user,
        pg_auth="password",
        pg_password=SecretStr("persona-test-only"),
        pg_sslrootcert=server.ca,
    )


def test_records_migrate_takes_the_personas_out_of_the_owner_group_of_an_older_database(
    database, capsys, monkeypatch, tmp_path
):
    """A database from before least privilege: the personas were members of the owner group
    (so any could migrate) and the schemas are at version 1. `records migrate` takes them out,
    applies the newer migrations, and each persona then writes only its own findings."""
    from agents.protocol import findings_postgres, notify_postgres, postgres  # noqa: PLC0415
    from agents.skills import memory_postgres  # noqa: PLC0415

    tag = os.urandom(4).hex()
    name = f"agents_old_{tag}"
    monkeypatch.setenv("AGENTS_PG_DATABASE", name)
    personas = {f"old-{tag}": f"agent_old_{tag}", f"other-{tag}": f"agent_other_{tag}"}
    reader = f"agent_reader_{tag}"
    with psycopg.connect(**database.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'baseline_agents'").fetchone():
            conn.execute("CREATE ROLE baseline_agents NOLOGIN")
        for user in personas.values():
            conn.execute(
                f"CREATE ROLE {user} LOGIN PASSWORD 'persona-test-only' IN ROLE baseline_agents"
            )
        conn.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{name}" TO baseline_agents')
    with psycopg.connect(**database.conninfo(name), autocommit=True) as conn:
        conn.execute("GRANT USAGE, CREATE ON SCHEMA public TO baseline_agents")
        conn.execute("SET ROLE baseline_agents")
        postgres.migrate(conn, "findings", findings_postgres.MIGRATIONS[:1])
        postgres.migrate(conn, "memory", memory_postgres.MIGRATIONS[:1])
    argv = ["records", "migrate", "--personas", ",".join(personas.values()), "--readers", reader]
    assert main([*argv, "--json"]) == 0
    versions = json.loads(capsys.readouterr().out)["versions"]
    assert versions == {
        "findings": findings_postgres.SCHEMA_VERSION,
        "memory": memory_postgres.NEWEST,
        "notifications": notify_postgres.SCHEMA_VERSION,
    }
    with psycopg.connect(**database.conninfo(), autocommit=True) as conn:
        left = conn.execute(
            "SELECT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = 'baseline_agents' "
            "AND m.rolname = ANY(%s)",
            (list(personas.values()),),
        ).fetchall()
    assert left == [], f"still members of the owner group: {left}"
    own, other = personas
    settings = _persona_settings(database, name, personas[own], tmp_path / "pod")
    finding = Finding("backup.no-dr-copy", "high", "prod", "db", "no copy in the DR region")
    with open_findings(settings) as store:
        assert len(store.observe(own, "prod", [], [finding]).opened) == 1
        with pytest.raises(FindingsError, match="own persona's rows"):
            store.observe(other, "prod", [], [finding])
    with open_memory(settings) as memory:
        memory.add("note", "the upgrade kept the memory", source="t", time="2026-11-01")
        assert [h.source for h in memory.search("upgrade memory")] == ["t"]
    # The reader the upgrade made reads both, and writes neither.
    with psycopg.connect(**database.conninfo(), autocommit=True) as conn:
        conn.execute(f"ALTER ROLE {reader} PASSWORD 'persona-test-only'")
    readonly = _persona_settings(database, name, reader, tmp_path / "mcp")
    reading = read_findings(readonly)
    assert reading is not None
    with reading as store:
        assert [f.finding.persona for f in store.query()] == [own]
    with open_memory(readonly, read_only=True) as memory:
        assert [h.source for h in memory.search("upgrade memory")] == ["t"]
    login = {**database.conninfo(name, user=reader), "password": "persona-test-only"}
    with psycopg.connect(**login, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM findings")


def test_a_release_is_refused_before_anything_is_spent_while_records_wait(
    sink, capsys, tmp_path, monkeypatch
):
    """The sink unreachable and a record older than the limit in the spool: the release is
    refused by the runner before a cooldown, a lease or the CLI, and says why."""
    monkeypatch.setenv("AGENTS_AUDIT_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AGENTS_AUDIT_MAX_LAG_S", "60")
    state = tmp_path / "state"
    state.mkdir()
    old = {"ts": "2026-01-01T00:00:00+00:00", "event": "request", "writer": "x", "seq": 1}
    (state / "audit.jsonl").write_text("\n" + json.dumps(old) + "\n")
    assert main(["run", "release-engineer", "--stack", "dev", "--once", "--json"]) == 1
    (up,) = [o for o in json.loads(capsys.readouterr().out) if o["operation"] == "up"]
    assert up["status"] == "refused" and "have not reached " + GROUP in up["detail"]
    assert not [c for c in sink.operations() if "up" in c]
    log = AuditLog(state / "audit.jsonl")
    assert not log.query({"event": "operation.started"})
    assert log.query({"event": "audit.sink.seed-failed"})


@pytest.mark.parametrize("damage", ["delete", "garbage"])
def test_verify_says_when_the_chain_cache_cannot_vouch_for_the_end(
    env,  # noqa: F811 - the fixture
    capsys,
    tmp_path,
    damage,
):
    log = AuditLog(tmp_path / "state" / "audit.jsonl", "w")
    for i in range(3):
        log.append("step", i=i)
    if damage == "delete":
        log.chain_path.unlink()
    else:
        log.chain_path.write_bytes(b"\x00not json")
    assert main(["audit", "verify"]) == 1
    out = capsys.readouterr().out
    assert "truncated: *: audit.jsonl.chain is " in out and "cannot be told" in out

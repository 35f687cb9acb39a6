"""The agents' records on PostgreSQL: one connection path, versioned schema migrations, and the
first-start bootstrap of the database and its roles.

Design decisions (issue 19; least privilege after the security review, M6):

- One database (`agents` by default) on the stack's own RDS instance. Three kinds of role:
  - `baseline_agents` (NOLOGIN) owns the schema's objects. Only the master (the `records
    migrate` Job) is its member, so only the master migrates (`SET ROLE baseline_agents` first).
  - `baseline_agents_rw` (NOLOGIN) may read and write rows and nothing else: SELECT, INSERT,
    UPDATE, DELETE on the tables and USAGE, SELECT on their sequences (GRANTs in the migrations
    and `ALTER DEFAULT PRIVILEGES FOR ROLE baseline_agents`), SELECT only on `agents_schema`,
    no CREATE on schema `public`. Not an owner, so it cannot ALTER, DROP or TRUNCATE.
  - one login role per persona, `agent_<persona>` (`-` as `_`), a member of
    `baseline_agents_rw` only; its `search_path` pinned to `public` (connections pin it too).
  - `baseline_agents_read` (NOLOGIN) may only read, and only what the readers need: SELECT on the
    tables each component names (`READ_TABLES`: the findings, the memory's search tables) and on
    `agents_schema`, nothing on the notification ledger or the memory's audit offsets, no
    sequence, no CREATE, no TEMPORARY, owns nothing. `grant_reads` sets exactly that on every
    `records migrate` (revoking anything else), and gives each of those tables under row-level
    security a read policy of its own (`<table>_readers_read_all`, every row), so the readers
    read every persona's rows whatever the personas' policies become.
  - reader login roles (`records migrate --readers`, e.g. `agent_mcp_reader` for the in-cluster
    MCP server), members of `baseline_agents_read` only (never of the rw or owner roles: taken
    out if they were), `search_path` pinned, `default_transaction_read_only` on.
  The database refuses everyone else: CONNECT and TEMPORARY are revoked from PUBLIC, CONNECT is
  granted to `baseline_agents_rw` and `baseline_agents_read`. Row-level security on `findings`
  (its migration 2) lets a persona read every finding but insert or update only its own
  (`persona_role`); the owner and superusers bypass it, as PostgreSQL has them do. The memory is
  shared by design.
- Authentication: `iam` by default, a 15-minute RDS IAM token made per connection with boto3's
  `generate_db_auth_token` (signed locally with the pod's credentials; the persona's IAM role may
  connect as its own database user only), or `password` for one machine and tests. A password is
  never in the pod spec.
- TLS always, always verified with the host name: `sslmode=verify-full` against
  `pg_sslrootcert`, the RDS CA bundle the image ships. `verify-ca` is not offered: every RDS
  instance's certificate chains to that bundle, so without the host-name check any instance
  would pass for ours. A certificate that does not verify is a refusal, never a fallback to an
  unverified connection.
- Every failure is one line (`RecordsError`) naming what failed: the server unreachable, the
  credentials refused, TLS not verified, the schema newer than this version knows, a schema
  this login may not migrate.
- Migrations: `agents_schema (component, version, name, applied_at)`; each component (findings,
  memory) lists its migrations in order. `migrate()` first reads the version without DDL: a
  current schema is used at once (a persona needs no CREATE right to open a store), a newer one
  is refused (an older agent must not write a newer schema's tables), and an older one is
  migrated by a caller that may (the master acting as the owner; on one machine a superuser or
  the database's owner, with no bootstrap), under a transaction-scoped advisory lock, in one
  transaction; anyone else is told to run `records migrate`.
"""

from __future__ import annotations

import contextlib
import json
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents import AgentsError, first_line

if TYPE_CHECKING:
    import psycopg

    from agents.protocol.settings import AgentSettings

GROUP_ROLE = "baseline_agents"  # owns the schema: only the master is a member
RW_ROLE = "baseline_agents_rw"  # rows only: every persona's login role is a member
READ_ROLE = "baseline_agents_read"  # SELECT on the named tables only: the readers' logins
SSLMODE = "verify-full"
# Objects are looked up in `public` only (and temporary ones, which no persona may make, last).
SEARCH_PATH = "public, pg_temp"
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RecordsError(AgentsError):
    """A record store on PostgreSQL cannot be used; the message says why, in one line."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    statements: tuple[str, ...]


@dataclass(frozen=True)
class Target:
    """Where and how to connect. `password` is called once per connection (an IAM token lasts
    15 minutes, so it is made afresh each time)."""

    host: str
    port: int
    database: str
    user: str
    password: Callable[[], str]
    sslmode: str = SSLMODE
    sslrootcert: Path | None = None
    connect_timeout_s: float = 10.0

    def describe(self) -> str:
        return f"postgresql://{self.user}@{self.host}:{self.port}/{self.database}"


def identifier(name: str) -> str:
    """A role or database name this module will put into SQL: lowercase letters, digits and `_`
    only (it is quoted as well, but a name outside that set is refused, not escaped)."""
    if not _IDENTIFIER.fullmatch(name):
        raise RecordsError(
            f"{name!r} is not a usable PostgreSQL name (lowercase letters, digits, _; at most 63)"
        )
    return name


def persona_role(persona: str) -> str:
    """The login role of a persona: `agent_` and its name with `-` as `_` (`data-steward` is
    `agent_data_steward`); the findings' row-level security compares the same way."""
    return identifier("agent_" + persona.replace("-", "_"))


def iam_token(host: str, port: int, user: str, region: str) -> str:
    """A 15-minute RDS IAM authentication token for `user` (signed locally; no call to AWS)."""
    import boto3  # noqa: PLC0415 - slow to import; only IAM auth needs it

    try:
        client = boto3.client("rds", region_name=region)
        return str(client.generate_db_auth_token(host, port, user, Region=region))
    except Exception as exc:  # no credentials, a bad region: one line
        raise RecordsError(f"cannot make an IAM token for {user}@{host}: {exc}") from exc


def target(settings: AgentSettings, *, user: str | None = None) -> Target:
    """The settings' PostgreSQL target (`records_backend=postgres`)."""
    if not settings.pg_host or not (user or settings.pg_user):
        raise RecordsError("the PostgreSQL records need AGENTS_PG_HOST and AGENTS_PG_USER")
    host, port = settings.pg_host, settings.pg_port
    login = user or settings.pg_user or ""
    region = settings.pg_region or settings.dynamodb_region
    password: Callable[[], str]
    if settings.pg_auth == "iam":

        def password() -> str:
            return iam_token(host, port, login, region)

    else:
        secret = settings.pg_password

        def password() -> str:
            if secret is None:
                raise RecordsError("AGENTS_PG_AUTH=password needs AGENTS_PG_PASSWORD")
            return secret.get_secret_value()

    return Target(
        host=host,
        port=port,
        database=settings.pg_database,
        user=login,
        password=password,
        sslmode=settings.pg_sslmode,
        sslrootcert=settings.pg_sslrootcert,
        connect_timeout_s=settings.pg_connect_timeout_s,
    )


def _reason(exc: BaseException) -> str:
    """The first line of a driver error, with the server's SQLSTATE reasons named plainly."""
    text = first_line(exc, 500)
    lowered = str(exc).lower()
    # Before the verification test: libpq's missing-bundle message mentions verification too.
    if "root certificate file" in lowered:
        return f"TLS: the CA bundle cannot be read ({text})"
    if "certificate verify failed" in lowered or ("certificate" in lowered and "verif" in lowered):
        return f"TLS: the server certificate does not verify against the CA bundle ({text})"
    # A bundle whose CA has the right name but not the right key: OpenSSL's own words.
    if "ssl error" in lowered and "signature" in lowered:
        return f"TLS: the server certificate does not verify against the CA bundle ({text})"
    if "does not match host name" in lowered:
        return f"TLS: the server certificate is for another host name ({text})"
    if "password authentication failed" in lowered or "pam authentication failed" in lowered:
        return f"the credentials were refused ({text})"
    if "row-level security" in lowered:
        return f"a persona's login writes only its own persona's rows ({text})"
    if "does not support ssl" in lowered or "server does not support ssl" in lowered:
        return f"TLS: the server does not offer TLS, so nothing was sent ({text})"
    return text


def connect(t: Target, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """One verified connection, or one `RecordsError` line."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL records need it

    if t.sslmode != SSLMODE:
        raise RecordsError(
            f"{t.describe()}: sslmode {t.sslmode!r} is not allowed; only {SSLMODE} (the server "
            "certificate verified, host name included)"
        )
    if t.sslrootcert is not None and not t.sslrootcert.is_file():
        raise RecordsError(
            f"{t.describe()}: the CA bundle {t.sslrootcert} is missing, so TLS cannot be "
            "verified; refusing to connect"
        )
    secret = t.password()
    try:
        return psycopg.connect(
            host=t.host,
            port=t.port,
            dbname=t.database,
            user=t.user,
            password=secret,
            sslmode=t.sslmode,
            sslrootcert=str(t.sslrootcert) if t.sslrootcert else None,
            connect_timeout=max(1, round(t.connect_timeout_s)),
            application_name="baseline-agents",
            options=f"-c search_path={SEARCH_PATH.replace(' ', '')}",
            autocommit=autocommit,
        )
    except psycopg.Error as exc:
        raise RecordsError(f"{t.describe()}: cannot connect: {_reason(exc)}") from None


@contextlib.contextmanager
def errors(where: str) -> Iterator[None]:
    """Driver errors inside as one `RecordsError` line naming `where`."""
    import psycopg  # noqa: PLC0415

    try:
        yield
    except psycopg.Error as exc:
        raise RecordsError(f"{where}: {_reason(exc)}") from None


class Reconnecting:
    """What a store on PostgreSQL shares: one connection, opened again where the last was lost
    (a server restart), and driver errors as one line of the store's own error class
    (`failure`) naming the target."""

    failure: type[Exception] = RecordsError
    target: Target
    _conn: psycopg.Connection[Any]

    def _open(self) -> psycopg.Connection[Any]:
        raise NotImplementedError

    @contextlib.contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            with errors(f"{self.target.describe()}: {what}"):
                yield
        except RecordsError as exc:
            raise self.failure(str(exc)) from None

    def _connection(self) -> psycopg.Connection[Any]:
        """The open connection, or a new one where the last was lost (a server restart)."""
        if self._conn.closed or self._conn.broken:
            self._conn.close()
            self._conn = self._open()
        return self._conn


_SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS public.agents_schema (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)"""


def _lock_key(component: str) -> int:
    return zlib.crc32(f"baseline-agents-schema:{component}".encode()) - 2**31


def schema_version(conn: psycopg.Connection[Any], component: str) -> int:
    """`component`'s schema version, 0 where nothing was migrated yet (reads only)."""
    row = conn.execute("SELECT to_regclass('public.agents_schema') IS NOT NULL").fetchone()
    if not (row and row[0]):
        return 0
    row = conn.execute(
        "SELECT coalesce(max(version), 0) FROM public.agents_schema WHERE component = %s",
        (component,),
    ).fetchone()
    return int(row[0]) if row else 0


def _role_exists(conn: psycopg.Connection[Any], role: str) -> bool:
    return bool(conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone())


def _is_member(conn: psycopg.Connection[Any], member: str, role: str) -> bool:
    """Whether `member` is a direct member of `role`."""
    return bool(
        conn.execute(
            "SELECT 1 FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = %s AND m.rolname = %s",
            (role, member),
        ).fetchone()
    )


def _schema_table_privileges(conn: psycopg.Connection[Any]) -> None:
    """`agents_schema` read by the personas, written by its owner only: the owner's default
    privileges give the rw role DML on every table it creates, this one included, and a persona
    that could write a version could make every agent refuse the database."""
    if _role_exists(conn, RW_ROLE):
        conn.execute(f'REVOKE ALL ON public.agents_schema FROM "{RW_ROLE}"')
        conn.execute(f'GRANT SELECT ON public.agents_schema TO "{RW_ROLE}"')


def _may_migrate(conn: psycopg.Connection[Any]) -> bool:
    """Inside the migration's transaction: act as the owner group where bootstrap() prepared
    the database (its one member is the master), then whether this login may create the
    schema's objects and record their versions. A superuser or the database's owner may (one
    machine, tests: no bootstrap, objects belong to whoever creates them); a persona may not."""
    row = conn.execute(
        "SELECT pg_has_role(current_user, g.oid, 'USAGE') "
        "AND has_schema_privilege(g.oid, 'public', 'CREATE') "
        "FROM pg_roles g WHERE g.rolname = %s",
        (GROUP_ROLE,),
    ).fetchone()
    if row and row[0]:
        conn.execute(f'SET LOCAL ROLE "{GROUP_ROLE}"')
    row = conn.execute(
        "SELECT has_schema_privilege('public', 'CREATE') AND coalesce("
        "has_table_privilege(to_regclass('public.agents_schema'), 'INSERT'), true)"
    ).fetchone()
    return bool(row and row[0])


def migrate(conn: psycopg.Connection[Any], component: str, migrations: Sequence[Migration]) -> int:
    """`component`'s schema version, its missing migrations applied first where this login may
    apply them (idempotent; concurrent starts queue on an advisory lock). A current schema is
    only read (no DDL, no lock); a newer one than `migrations` knows is refused; an older one
    that this login may not migrate (a persona) is refused with what to run instead."""
    newest = max((m.version for m in migrations), default=0)
    where = f"{conn.info.host}/{conn.info.dbname} {component} schema"

    def refuse_newer(current: int) -> None:
        if current > newest:
            raise RecordsError(
                f"{where}: version {current} is newer than this version of the agents knows "
                f"({newest}); upgrade the agents (nothing was written)"
            )

    with errors(where):
        current = schema_version(conn, component)
        refuse_newer(current)
        if current == newest:
            return current
        with conn.transaction():
            if not _may_migrate(conn):
                raise RecordsError(
                    f"{where}: schema {current}, this version needs {newest}: run `python -m "
                    "agents records migrate` (as the master user; nothing was written)"
                )
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("agents_schema"),))
            conn.execute(_SCHEMA_TABLE)
            _schema_table_privileges(conn)
            current = schema_version(conn, component)  # another start may have migrated it
            refuse_newer(current)
            for m in sorted(migrations, key=lambda m: m.version):
                if m.version <= current:
                    continue
                for statement in m.statements:
                    conn.execute(statement)  # our own literal DDL
                conn.execute(
                    "INSERT INTO public.agents_schema (component, version, name) "
                    "VALUES (%s, %s, %s)",
                    (component, m.version, m.name),
                )
                current = m.version
    return current


def grant_reads(conn: psycopg.Connection[Any], tables: Sequence[str]) -> list[str]:
    """The read role's privileges, exactly: SELECT on `agents_schema` and on those of `tables`
    that exist, nothing else in schema `public` (every other table and sequence revoked: the
    notification ledger, the memory's audit offsets), and a read policy of its own on each of
    them under row-level security (`<table>_readers_read_all ... FOR SELECT TO
    baseline_agents_read USING (true)`: every row, whichever persona wrote it). Run after the
    migrations, as the owner (as they are), in one transaction; idempotent. Nothing where there
    is no read role (one machine, no bootstrap). Returns the tables the readers may read."""
    from psycopg import sql  # noqa: PLC0415

    names = [identifier(t) for t in ("agents_schema", *tables)]
    read = sql.Identifier(READ_ROLE)
    with errors(f"{conn.info.host}/{conn.info.dbname} read grants"):
        if not _role_exists(conn, READ_ROLE):
            return []
        with conn.transaction():
            if not _may_migrate(conn):  # acts as the owner group where bootstrap prepared it
                raise RecordsError(
                    f"{conn.info.host}/{conn.info.dbname}: only the owner grants the readers' "
                    "reads: run `python -m agents records migrate` (as the master user)"
                )
            conn.execute(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {}").format(read))
            conn.execute(
                sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {}").format(read)
            )
            granted: list[str] = []
            for name in names:
                row = conn.execute(
                    "SELECT c.relrowsecurity FROM pg_class c JOIN pg_namespace n "
                    "ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relname = %s "
                    "AND c.relkind IN ('r', 'p')",
                    (name,),
                ).fetchone()
                if row is None:  # not made yet (a component this version does not migrate)
                    continue
                table = sql.Identifier("public", name)
                conn.execute(sql.SQL("GRANT SELECT ON {} TO {}").format(table, read))
                if row[0]:  # made again each time: exactly this, whatever was there
                    policy = sql.Identifier(identifier(f"{name}_readers_read_all"))
                    conn.execute(sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(policy, table))
                    conn.execute(
                        sql.SQL("CREATE POLICY {} ON {} FOR SELECT TO {} USING (true)").format(
                            policy, table, read
                        )
                    )
                granted.append(name)
    return granted


def master_target(settings: AgentSettings) -> Target:
    """The instance's master user for `records migrate`: from the Secrets Manager secret
    `pg_master_secret` (RDS's managed secret, JSON `username` and `password`), or, on one
    machine, the settings' own user and password (`pg_auth=password`)."""
    if not settings.pg_host:
        raise RecordsError("records migrate needs AGENTS_PG_HOST")
    if settings.pg_master_secret:
        import boto3  # noqa: PLC0415
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        name = settings.pg_master_secret
        try:
            client = boto3.client(
                "secretsmanager", region_name=settings.pg_region or settings.dynamodb_region
            )
            raw = client.get_secret_value(SecretId=name)["SecretString"]
            data = json.loads(raw)
            user, secret = str(data["username"]), str(data["password"])
        except (ClientError, BotoCoreError) as exc:
            raise RecordsError(f"master secret {name}: {_reason(exc)}") from None
        except (ValueError, KeyError, TypeError, RecursionError):  # RecursionError: too deep
            raise RecordsError(
                f"master secret {name}: not JSON with a username and a password"
            ) from None
        return Target(
            settings.pg_host,
            settings.pg_port,
            "postgres",
            user,
            lambda: secret,
            settings.pg_sslmode,
            settings.pg_sslrootcert,
            settings.pg_connect_timeout_s,
        )
    if settings.pg_auth != "password" or not settings.pg_user or settings.pg_password is None:
        raise RecordsError(
            "records migrate needs the master user: AGENTS_PG_MASTER_SECRET (RDS's managed "
            "secret), or AGENTS_PG_AUTH=password with AGENTS_PG_USER and AGENTS_PG_PASSWORD"
        )
    local = target(settings)
    return Target(
        local.host,
        local.port,
        "postgres",
        local.user,
        local.password,
        local.sslmode,
        local.sslrootcert,
        local.connect_timeout_s,
    )


def bootstrap(
    master: Target, database: str, users: Sequence[str], readers: Sequence[str] = ()
) -> list[str]:
    """First start and every upgrade, as the master-secret holder: the database, the owner group
    (the master its only member), the rw and read roles, one login role per persona, a member of
    the rw role only, and one per reader, a member of the read role only (`rds_iam` granted
    where the server has it, `search_path` pinned; a reader's transactions read-only by
    default); the database closed to PUBLIC, the schema's future objects granted to the rw role
    (the read role's tables are `grant_reads`'s, after the migrations). Idempotent; returns what
    it created."""
    from psycopg import sql  # noqa: PLC0415

    identifier(database)
    names = [identifier(u) for u in users]
    reader_names = [identifier(r) for r in readers]
    both = sorted(set(names) & set(reader_names))
    if both:
        raise RecordsError(f"{', '.join(both)}: a database user is a persona or a reader, not both")
    created: list[str] = []
    db, group, rw, read = (sql.Identifier(n) for n in (database, GROUP_ROLE, RW_ROLE, READ_ROLE))
    conn = connect(master, autocommit=True)
    with conn, errors(f"{master.describe()} bootstrap"):
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(db))
            created.append(f"database {database}")
        iam = _role_exists(conn, "rds_iam")
        for role in (GROUP_ROLE, RW_ROLE, READ_ROLE):
            if not _role_exists(conn, role):
                conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
                created.append(f"role {role}")
        # The master acts as the owner group, so the schema it migrates is the group's to keep.
        conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(group))

        def login_role(name: str, member_of: str, out_of: str, *, read_only: bool) -> None:
            """A login role `name` in `member_of` and not in `out_of` (a name once the other
            kind's), with the pinned search path and, on RDS, IAM authentication."""
            login = sql.Identifier(name)
            inside = sql.Identifier(member_of)
            if not _role_exists(conn, name):
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(login, inside))
                created.append(f"role {name}")
            else:
                conn.execute(sql.SQL("GRANT {} TO {}").format(inside, login))
            if _is_member(conn, name, out_of):
                conn.execute(sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(out_of), login))
            conn.execute(sql.SQL("ALTER ROLE {} SET search_path = " + SEARCH_PATH).format(login))
            if read_only:
                conn.execute(
                    sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(login)
                )
            if iam:
                conn.execute(sql.SQL("GRANT rds_iam TO {}").format(login))

        for name in names:
            login_role(name, RW_ROLE, READ_ROLE, read_only=False)
        # A reader writes nothing: out of the rw role (a name once a persona's) and of the owner
        # group (below). Its sessions are read-only by default too, a second guard: its grants
        # are the boundary.
        for name in reader_names:
            login_role(name, READ_ROLE, RW_ROLE, read_only=True)
        # Only the master acts as the owner: any other member (the personas were, once) leaves.
        for (member,) in conn.execute(
            "SELECT m.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
            "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = %s "
            "AND m.rolname <> current_user",
            (GROUP_ROLE,),
        ).fetchall():
            conn.execute(sql.SQL("REVOKE {} FROM {}").format(group, sql.Identifier(member)))
        conn.execute(sql.SQL("REVOKE CONNECT, TEMPORARY ON DATABASE {} FROM PUBLIC").format(db))
        conn.execute(sql.SQL("REVOKE TEMPORARY ON DATABASE {} FROM {}").format(db, group))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, rw))
        conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, read))
    inner = Target(
        master.host,
        master.port,
        database,
        master.user,
        master.password,
        master.sslmode,
        master.sslrootcert,
        master.connect_timeout_s,
    )
    conn = connect(inner, autocommit=True)
    with conn, errors(f"{inner.describe()} bootstrap"):
        # The group owns the public schema's new objects; the rw role only uses them.
        conn.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(group))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(rw))
        conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(read))
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        for grant in (
            "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}",
            "GRANT USAGE, SELECT ON SEQUENCES TO {}",
        ):
            conn.execute(
                sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA public " + grant).format(
                    group, rw
                )
            )
        if conn.execute("SELECT to_regclass('public.agents_schema')").fetchone() != (None,):
            _schema_table_privileges(conn)  # made before the rw role was (an upgrade)
    return created

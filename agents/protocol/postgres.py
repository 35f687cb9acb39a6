"""The agents' records on PostgreSQL: one connection path, versioned schema migrations, and the
first-start bootstrap of the database and its roles.

Design decisions (issue 19):

- One database (`agents` by default) on the stack's own RDS instance, one login role per persona
  (`agent_<persona>`), all members of the group role `baseline_agents`, which owns the schema's
  tables: any persona may apply a migration (`SET ROLE baseline_agents` first), none may drop
  another's grants, and none needs the master password.
- Authentication: `iam` by default, a 15-minute RDS IAM token made per connection with boto3's
  `generate_db_auth_token` (signed locally with the pod's credentials; the persona's IAM role may
  connect as its own database user only), or `password` for one machine and tests. A password is
  never in the pod spec.
- TLS always, always verified: `sslmode=verify-full` (or `verify-ca`) against `pg_sslrootcert`,
  the RDS CA bundle the image ships. A certificate that does not verify is a refusal, never a
  fallback to an unverified connection.
- Every failure is one line (`RecordsError`) naming what failed: the server unreachable, the
  credentials refused, TLS not verified, the schema newer than this version knows.
- Migrations: `agents_schema (component, version, name, applied_at)`; each component (findings,
  memory) lists its migrations in order. `migrate()` takes a transaction-scoped advisory lock per
  component, applies what is missing in one transaction, and refuses a database whose version is
  newer than the newest it knows (an older agent must not write a newer schema's tables).
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

from agents import AgentsError

if TYPE_CHECKING:
    import psycopg

    from agents.protocol.settings import AgentSettings

GROUP_ROLE = "baseline_agents"
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
    sslmode: str = "verify-full"
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
    text = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
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
    if "does not support ssl" in lowered or "server does not support ssl" in lowered:
        return f"TLS: the server does not offer TLS, so nothing was sent ({text})"
    return text


def connect(t: Target, *, autocommit: bool = False) -> psycopg.Connection[Any]:
    """One verified connection, or one `RecordsError` line."""
    import psycopg  # noqa: PLC0415 - only the PostgreSQL records need it

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


_SCHEMA_TABLE = """CREATE TABLE IF NOT EXISTS agents_schema (
    component TEXT NOT NULL,
    version INTEGER NOT NULL,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (component, version)
)"""


def _lock_key(component: str) -> int:
    return zlib.crc32(f"baseline-agents-schema:{component}".encode()) - 2**31


def schema_version(conn: psycopg.Connection[Any], component: str) -> int:
    row = conn.execute(
        "SELECT coalesce(max(version), 0) FROM agents_schema WHERE component = %s", (component,)
    ).fetchone()
    return int(row[0]) if row else 0


def migrate(conn: psycopg.Connection[Any], component: str, migrations: Sequence[Migration]) -> int:
    """Apply `component`'s missing migrations (idempotent; concurrent starts queue on an
    advisory lock) and return its version. A newer schema than `migrations` knows is refused."""
    newest = max((m.version for m in migrations), default=0)
    where = f"{conn.info.host}/{conn.info.dbname} {component} schema"
    with errors(where), conn.transaction():
        # The schema is the group's where bootstrap() prepared the database (the group may
        # create in it): its members, and the master, act as the group. Elsewhere (a database
        # made by hand, a superuser's test database) objects belong to whoever creates them.
        has_group = conn.execute(
            "SELECT pg_has_role(current_user, g.oid, 'USAGE') "
            "AND has_schema_privilege(g.oid, 'public', 'CREATE') "
            "FROM pg_roles g WHERE g.rolname = %s",
            (GROUP_ROLE,),
        ).fetchone()
        if has_group and has_group[0]:
            conn.execute(f'SET LOCAL ROLE "{GROUP_ROLE}"')
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_key("agents_schema"),))
        conn.execute(_SCHEMA_TABLE)
        current = schema_version(conn, component)
        if current > newest:
            raise RecordsError(
                f"{where}: version {current} is newer than this version of the agents knows "
                f"({newest}); upgrade the agents (nothing was written)"
            )
        for m in sorted(migrations, key=lambda m: m.version):
            if m.version <= current:
                continue
            for statement in m.statements:
                conn.execute(statement)  # our own literal DDL
            conn.execute(
                "INSERT INTO agents_schema (component, version, name) VALUES (%s, %s, %s)",
                (component, m.version, m.name),
            )
            current = m.version
    return current


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
        except (ValueError, KeyError, TypeError):
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


def bootstrap(master: Target, database: str, users: Sequence[str]) -> list[str]:
    """First start, as the master-secret holder: the database, the group role and one login
    role per persona (`rds_iam` granted where the server has it). Idempotent; returns what it
    created."""
    from psycopg import sql  # noqa: PLC0415

    identifier(database)
    names = [identifier(u) for u in users]
    created: list[str] = []
    conn = connect(master, autocommit=True)
    with conn, errors(f"{master.describe()} bootstrap"):
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (database,)).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
            created.append(f"database {database}")
        iam = bool(conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'rds_iam'").fetchone())
        if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (GROUP_ROLE,)).fetchone():
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(GROUP_ROLE)))
            created.append(f"role {GROUP_ROLE}")
        # The master may act as the group, so the schema it migrates is the group's to keep.
        conn.execute(sql.SQL("GRANT {} TO CURRENT_USER").format(sql.Identifier(GROUP_ROLE)))
        for name in names:
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone():
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN IN ROLE {}").format(
                        sql.Identifier(name), sql.Identifier(GROUP_ROLE)
                    )
                )
                created.append(f"role {name}")
            if iam:
                conn.execute(sql.SQL("GRANT rds_iam TO {}").format(sql.Identifier(name)))
        conn.execute(
            sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(
                sql.Identifier(database), sql.Identifier(GROUP_ROLE)
            )
        )
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
        # The group owns the public schema's new objects: members create and migrate them.
        conn.execute(
            sql.SQL("GRANT USAGE, CREATE ON SCHEMA public TO {}").format(sql.Identifier(GROUP_ROLE))
        )
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    return created

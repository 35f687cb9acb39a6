"""`python -m agents audit verify|drain` and `python -m agents records migrate`: the records that
outlive the pod (issue 19; agents.protocol.audit_sink, agents.protocol.postgres).

The settings (pydantic-settings, about 0.3 s to import) load inside the commands that read them:
every command's parser is built from this module, and one that needs no settings, such as
`policy` in a pipeline, should not pay for them."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from agents import InputError, ToolchainError
from agents.protocol.audit import AuditLog
from toolchain.untrusted import escape

if TYPE_CHECKING:
    from agents.protocol.settings import AgentSettings

EXIT_OK, EXIT_VERDICT = 0, 1


def _sink(settings: AgentSettings) -> Any:
    from agents.protocol.audit_sink import CloudWatchSink  # noqa: PLC0415

    if not settings.audit_log_group:
        raise InputError(
            "the audit log group is not set: AGENTS_AUDIT_LOG_GROUP (e.g. "
            "/baseline/dev/agents/audit)"
        )
    return CloudWatchSink(settings)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Every writer's chain, from the local log or from the CloudWatch group; exit 1 when any
    record is missing, edited, out of order or cut off."""
    from tabulate import tabulate  # noqa: PLC0415

    from agents.protocol.audit_verify import WriterReport, verify  # noqa: PLC0415
    from agents.protocol.settings import load_settings  # noqa: PLC0415 - see the module docstring

    settings = load_settings()
    log = AuditLog(settings.audit_log)
    if args.source == "cloudwatch":
        from agents.protocol.audit_sink import MAX_EVENT_BYTES  # noqa: PLC0415

        report = verify(
            _sink(settings).read_streams(),
            source=f"cloudwatch:{settings.audit_log_group}",
            stub_min_bytes=MAX_EVENT_BYTES,
        )
    else:
        if not settings.audit_log.exists():
            raise InputError(f"no audit log at {settings.audit_log}")
        cache = log.chain_problem()  # read before heads(), which would not rebuild it
        report = verify(
            (raw for _offset, raw, _record in log.raw_records()),
            source=f"file:{settings.audit_log}",
            heads=log.heads(),
        )
        if cache is not None:
            w = report.writers.setdefault("*", WriterReport("*"))
            w.problems.append({"kind": "truncated", "writer": "*", "detail": cache})
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
        return EXIT_OK if report.ok else EXIT_VERDICT
    rows = [
        [
            escape(w.writer),
            w.records,
            f"{w.first}..{w.last}" if w.records else "",
            w.duplicates,
            w.oversize,
            len(w.problems),
        ]
        for w in sorted(report.writers.values(), key=lambda w: w.writer)
    ]
    print(
        tabulate(
            rows,
            headers=["writer", "records", "seq", "duplicates", "oversize", "problems"],
            tablefmt="github",
        )
    )
    for problem in report.problems:
        print(f"{problem['kind']}: {escape(problem['writer'])}: {escape(problem['detail'])}")
    extra = []
    if report.legacy:
        extra.append(f"{report.legacy} record(s) from before chaining")
    if report.unreadable:
        extra.append(f"{report.unreadable} unreadable line(s)")
    verdict = "unbroken" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{escape(report.source)}: {verdict}" + (f" ({'; '.join(extra)})" if extra else ""))
    return EXIT_OK if report.ok else EXIT_VERDICT


def cmd_audit_drain(args: argparse.Namespace) -> int:
    """Send what the local log holds that the sink has not taken; exit 1 when some is left."""
    from agents.protocol.settings import load_settings  # noqa: PLC0415 - see the module docstring

    settings = load_settings()
    report = _sink(settings).drain()
    data = {
        "delivered": report.delivered,
        "batches": report.batches,
        "debris": report.debris,
        "oversize": report.oversize,
        "remainingBytes": report.remaining,
        "error": report.error,
    }
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        print(
            f"delivered {report.delivered} record(s) in {report.batches} batch(es) to "
            f"{escape(str(settings.audit_log_group))}; {report.remaining} byte(s) left"
            + (f"; error: {escape(report.error)}" if report.error else "")
        )
    return EXIT_OK if report.error is None and report.remaining == 0 else EXIT_VERDICT


def _users(value: str) -> list[str]:
    return [u.strip() for u in value.split(",") if u.strip()]


def cmd_records_migrate(args: argparse.Namespace) -> int:
    """First start, and every upgrade: the database, the group roles, one login role per persona
    and one per reader, then every component's schema migrations and the readers' grants (SELECT
    on the findings and the memory's search tables only), as the master-secret holder."""
    import dataclasses  # noqa: PLC0415

    from agents.protocol import findings_postgres, notify_postgres, postgres  # noqa: PLC0415
    from agents.protocol.settings import load_settings  # noqa: PLC0415 - see the module docstring
    from agents.skills import memory_postgres  # noqa: PLC0415

    settings = load_settings()
    users = _users(args.personas)
    readers = _users(args.readers)
    if not users and not readers:
        raise InputError(
            "--personas: name at least one database user (agent_<persona>), or a reader (--readers)"
        )
    for user in [*users, *readers]:
        postgres.identifier(user)
    both = sorted(set(users) & set(readers))
    if both:
        raise InputError(f"{', '.join(both)}: named in --personas and --readers; a user is one")
    audit = AuditLog(settings.audit_log, settings.audit_writer)
    from agents.protocol.audit_sink import start_drainer  # noqa: PLC0415

    drainer = start_drainer(settings, audit)  # a short-lived pod: its records go out too
    try:
        master = postgres.master_target(settings)
        try:
            created = postgres.bootstrap(master, settings.pg_database, users, readers)
            inner = dataclasses.replace(master, database=settings.pg_database)
            with postgres.connect(inner, autocommit=True) as conn:
                versions = {
                    "findings": postgres.migrate(conn, "findings", findings_postgres.MIGRATIONS),
                    "memory": postgres.migrate(conn, "memory", memory_postgres.MIGRATIONS),
                    "notifications": postgres.migrate(
                        conn, "notifications", notify_postgres.MIGRATIONS
                    ),
                }
                readable = postgres.grant_reads(
                    conn, (*findings_postgres.READ_TABLES, *memory_postgres.READ_TABLES)
                )
        except postgres.RecordsError as exc:
            audit.append("records.migrate-refused", database=settings.pg_database, error=str(exc))
            raise
        audit.append(
            "records.migrated",
            database=settings.pg_database,
            users=users,
            readers=readers,
            readable=readable,
            created=created,
            versions=versions,
        )
    finally:
        left = drainer.stop() if drainer is not None else None
    if left is not None and (left.remaining or left.error):
        raise SinkLeft(
            f"the migration's audit records did not all reach {settings.audit_log_group} "
            f"({left.error or 'not yet sent'}); run again"
        )
    if args.json:
        print(json.dumps({"created": created, "versions": versions}, indent=2))
    else:
        for what in created:
            print(f"created {what}")
        print(
            f"{settings.pg_database} on {settings.pg_host}: "
            + ", ".join(f"{k} schema {v}" for k, v in versions.items())
            + f"; {len(users)} persona role(s), {len(readers)} reader role(s)"
        )
    return EXIT_OK


class SinkLeft(ToolchainError):
    """Records that a short-lived command could not deliver before it ends."""


def add_records_commands(sub: Any) -> None:
    records = sub.add_parser("records", help="the agents' records on PostgreSQL")
    records_sub = records.add_subparsers(dest="records_command", metavar="{migrate}", required=True)
    migrate = records_sub.add_parser(
        "migrate",
        help="create the agents' database and persona roles and apply the schema migrations "
        "(as the master user: AGENTS_PG_MASTER_SECRET)",
    )
    migrate.add_argument(
        "--personas",
        default="",
        help="comma-separated database users that read and write, e.g. agent_release_engineer",
    )
    migrate.add_argument(
        "--readers",
        default="",
        help="comma-separated database users that only read the findings and the memory, e.g. "
        "agent_mcp_reader (the in-cluster MCP server)",
    )
    migrate.add_argument("--json", action="store_true")
    migrate.set_defaults(func=cmd_records_migrate)


def add_audit_commands(audit: argparse.ArgumentParser) -> None:
    sub = audit.add_subparsers(dest="audit_command", metavar="{verify,drain}")
    verify = sub.add_parser(
        "verify",
        help="check every writer's chain: gaps, edits, reordering, truncation (exit 1 if any)",
    )
    verify.add_argument("--source", choices=("file", "cloudwatch"), default="file")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(func=cmd_audit_verify)
    drain = sub.add_parser("drain", help="send the spooled audit records to CloudWatch Logs now")
    drain.add_argument("--json", action="store_true")
    drain.set_defaults(func=cmd_audit_drain)

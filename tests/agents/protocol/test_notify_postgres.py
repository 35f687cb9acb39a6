"""The notification ledger on PostgreSQL behaves as the SQLite one does (the behaviour tests of
`test_notify.py` run here with the `open_ledger` fixture below), and two pods on one database
publish a finding once. Skipped, with the reason, where the machine has no PostgreSQL."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from agents.protocol import postgres
from agents.protocol.notify import NotifyError, NotifyReport, notify_pass
from agents.protocol.notify_postgres import COMPONENT, MIGRATIONS, PostgresLedger
from tests.agents.protocol import test_notify as behaviour
from tests.agents.protocol.test_findings_postgres import pg_target
from tests.agents.protocol.test_notify import PERSONA, T0, OpenLedger, Sns, World, finding

sns = behaviour.sns
world = behaviour.world

test_exactly_one_message_per_new_high_finding_none_when_unchanged = (
    behaviour.test_exactly_one_message_per_new_high_finding_none_when_unchanged
)
test_medium_and_low_findings_are_not_announced = (
    behaviour.test_medium_and_low_findings_are_not_announced
)
test_a_reminder_after_the_interval_and_not_before = (
    behaviour.test_a_reminder_after_the_interval_and_not_before
)
test_a_resolve_when_a_pass_closes_the_finding = (
    behaviour.test_a_resolve_when_a_pass_closes_the_finding
)
test_an_escalation_when_the_severity_rises_critical_to_the_paging_topic = (
    behaviour.test_an_escalation_when_the_severity_rises_critical_to_the_paging_topic
)
test_two_pods_that_see_the_same_finding_publish_once = (
    behaviour.test_two_pods_that_see_the_same_finding_publish_once
)
test_two_pods_at_once_in_threads_publish_once = (
    behaviour.test_two_pods_at_once_in_threads_publish_once
)
test_a_failed_publish_is_audited_not_raised_and_retried_next_pass = (
    behaviour.test_a_failed_publish_is_audited_not_raised_and_retried_next_pass
)
test_the_rate_limit_defers_and_a_later_pass_sends = (
    behaviour.test_the_rate_limit_defers_and_a_later_pass_sends
)
test_a_claim_left_by_a_pod_killed_mid_publish_is_retried_after_its_lease = (
    behaviour.test_a_claim_left_by_a_pod_killed_mid_publish_is_retried_after_its_lease
)
test_a_finding_closed_before_its_message_went_out_is_cancelled = (
    behaviour.test_a_finding_closed_before_its_message_went_out_is_cancelled
)


@pytest.fixture
def open_ledger(postgres_server: Any) -> OpenLedger:
    """A ledger on one fresh database; each call is another pod's connection to it."""
    target = pg_target(postgres_server, postgres_server.fresh_database())
    return lambda: PostgresLedger(target)


def test_many_pods_at_once_on_postgres_publish_each_finding_once(
    tmp_path: Path, sns: Sns, open_ledger: OpenLedger
) -> None:
    w = World(tmp_path, sns, open_ledger, notify_max_per_hour=100)
    result = w.observe(*(finding(f"r{i}") for i in range(10)))
    reports: list[NotifyReport] = []
    barrier = threading.Barrier(6, timeout=60)  # one that fails breaks it: no hang

    def pod() -> None:
        with open_ledger() as ledger:
            barrier.wait()
            reports.append(
                notify_pass(
                    w.settings,
                    PERSONA,
                    "prod",
                    result,
                    w.audit,
                    now=T0,
                    ledger=ledger,
                    publisher=w.publisher,
                )
            )

    threads = [threading.Thread(target=pod) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(r.error is None for r in reports), [r.error for r in reports]
    assert sorted(k for r in reports for k in r.published) == sorted(
        f"new:{i}" for i in range(1, 11)
    )
    assert len(sns.received()) == 10


def test_the_rate_limit_holds_across_pods_on_postgres(
    tmp_path: Path, sns: Sns, open_ledger: OpenLedger
) -> None:
    w = World(tmp_path, sns, open_ledger, notify_max_per_hour=3)
    result = w.observe(*(finding(f"r{i}") for i in range(8)))
    reports: list[NotifyReport] = []

    def pod() -> None:
        with open_ledger() as ledger:
            reports.append(
                notify_pass(
                    w.settings,
                    PERSONA,
                    "prod",
                    result,
                    w.audit,
                    now=T0,
                    ledger=ledger,
                    publisher=w.publisher,
                )
            )

    threads = [threading.Thread(target=pod) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(len(r.published) for r in reports) == 3
    assert len(sns.received()) == 3


def test_the_schema_is_a_component_records_migrate_can_run(postgres_server: Any) -> None:
    database = postgres_server.fresh_database()
    target = pg_target(postgres_server, database)
    with postgres.connect(target, autocommit=True) as conn:
        assert postgres.migrate(conn, COMPONENT, MIGRATIONS) == 1
        assert postgres.migrate(conn, COMPONENT, MIGRATIONS) == 1  # idempotent
    with PostgresLedger(target) as ledger:
        assert ledger.counts() == {}


def test_an_unreachable_database_is_one_line(postgres_server: Any) -> None:
    target = pg_target(postgres_server, "postgres", password="wrong")
    with pytest.raises(NotifyError) as exc:
        PostgresLedger(target)
    assert "\n" not in str(exc.value)

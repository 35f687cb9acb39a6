"""The agents' memory: indexing the audit log and runbooks (idempotently), filters, passages
under a token budget, hostile queries, damaged files, concurrent writers, optional vectors, and
the benchmark's metric functions."""

from __future__ import annotations

import multiprocessing
import os
import random
import sqlite3
import stat
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import InputError
from agents.protocol.audit import AuditLog
from agents.skills import tokens
from agents.skills.memory import (
    SCHEMA_VERSION,
    DamagedMemory,
    Hit,
    IndexReport,
    Memory,
    MemoryInputError,
    VectorsUnavailable,
    audit_kind,
    best_passage,
    load_embedder,
    match_expression,
    query_terms,
    render,
    runbook_sections,
    vectors_available,
)
from benchmarks.skills_memory import ndcg_at_k, recall_at_k

RUNBOOK = """---
stack: prod
persona: reliability-engineer
---
# RDS storage

The database stores its data on gp3 volumes.

## FreeStorageSpace alarm

Fires when free storage stays under 10%.

```
# not a heading: a comment in a code block
df -h
```

## Raise the storage ceiling

Raise `baseline:dbMaxStorageGb` and run the offline plan.

## Raise the storage ceiling

A second section with the same heading.
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def memory(tmp_path):
    with Memory(tmp_path / "memory.db") as m:
        yield m


def ops_log(path: Path) -> AuditLog:
    """An audit log with one record of each kind the memory keeps and the mechanics it skips."""
    log = AuditLog(path)
    log.append("request", persona="release-engineer", stack="prod", operation="up", owner="o")
    log.append("lock.acquired", persona="release-engineer", stack="prod", token=7, owner="o")
    log.append(
        "operation.failed",
        persona="release-engineer",
        stack="prod",
        operation="up",
        token=7,
        error="NodeCreationFailure: Instances failed to join the kubernetes cluster",
    )
    log.append(
        "decision",
        persona="release-engineer",
        stack="dev",
        operation="up",
        decision="refused",
        why="cooling down: 540s left",
    )
    log.append(
        "approval.reviewed",
        approval="20261112093015-a1b2c3",
        stack="prod",
        persona="release-engineer",
        operation="up",
        verdict="needs-human",
        reasons=["replace of stateful aws:rds/instance:Instance db needs a human's approval"],
        digest="ab" * 32,
        reviewer="master-architect",
    )
    log.append("watchdog.breaker", stack="prod", operation="up", state="open", fail_counter=3)
    log.append("outcome", persona="release-engineer", stack="prod", status="failed", detail="x")
    return log


# ---------------------------------------------------------------- indexing


def test_runbook_sections_follow_headings_not_code_comments():
    sections = runbook_sections(RUNBOOK.split("---\n", 2)[2], "rds-storage.md")
    assert [(s.anchor, s.title) for s in sections] == [
        ("rds-storage", "RDS storage"),
        ("freestoragespace-alarm", "RDS storage > FreeStorageSpace alarm"),
        ("raise-the-storage-ceiling", "RDS storage > Raise the storage ceiling"),
        ("raise-the-storage-ceiling-1", "RDS storage > Raise the storage ceiling"),
    ]
    assert "# not a heading" in sections[1].text


def test_runbooks_index_one_entry_per_section_with_front_matter(memory, tmp_path):
    write(tmp_path / "runbooks" / "rds-storage.md", RUNBOOK)
    report = memory.index_runbooks(tmp_path / "runbooks")
    assert (report.added, report.files) == (4, 1)
    entries = memory.entries()
    assert {e.source for e in entries} == {
        "rds-storage.md#rds-storage",
        "rds-storage.md#freestoragespace-alarm",
        "rds-storage.md#raise-the-storage-ceiling",
        "rds-storage.md#raise-the-storage-ceiling-1",
    }
    assert {(e.kind, e.stack, e.persona) for e in entries} == {
        ("runbook", "prod", "reliability-engineer")
    }


def test_audit_kinds_keep_what_is_worth_remembering():
    kinds = {
        "finding": "finding",
        "gateway.policy": "finding",
        "watchdog.interrupted": "finding",
        "cost.unknown": "finding",
        "incident.resolved": "incident",
        "operation.failed": "incident",
        "routine.error": "incident",
        "decision": "decision",
        "state.repaired": "decision",
        "approval.decided": "approval",
        "approval.refused": "approval",
        "request": None,
        "lock.acquired": None,
        "operation.started": None,
        "outcome": None,
        "gateway.step": None,
    }
    assert {event: audit_kind({"event": event}) for event in kinds} == kinds


def test_audit_records_become_entries_with_file_line_sources(memory, tmp_path):
    ops_log(tmp_path / "audit.jsonl")
    report = memory.index_audit(tmp_path / "audit.jsonl")
    assert (report.added, report.skipped) == (4, 3)
    by_kind = {e.kind: e for e in memory.entries()}
    assert set(by_kind) == {"incident", "decision", "approval", "finding"}
    decision = by_kind["decision"]
    assert decision.title == "decision refused: release-engineer up on dev"
    assert "why: cooling down: 540s left" in decision.passage
    assert (decision.stack, decision.persona) == ("dev", "release-engineer")
    lines = (tmp_path / "audit.jsonl").read_text().split("\n")
    line = int(decision.source.rsplit(":", 1)[1])
    assert decision.source.startswith("audit.jsonl:") and '"decision"' in lines[line - 1]
    assert "ab" * 32 not in by_kind["approval"].passage  # digests are noise, not memory


# ---------------------------------------------------------------- idempotence


def test_indexing_the_audit_log_again_adds_only_new_whole_lines(memory, tmp_path):
    log = ops_log(tmp_path / "audit.jsonl")
    assert memory.index_audit(log.path).added == 4
    assert memory.index_audit(log.path) == IndexReport()  # nothing new read, nothing added
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
    kept = log.path.read_text().split("\n")[:6]  # rotation kept the first records only
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
    assert (report.added, report.removed, report.files) == (1, 2, 1)
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
        ({"source": None}, "source must be"),
    ],
)
def test_add_refuses_bad_entries_with_one_line(memory, fields, message):
    args = {"kind": "note", "text": "x", "source": "s", "time": "2026-11-20T10:00:00Z"} | fields
    kind, text = args.pop("kind"), args.pop("text")
    with pytest.raises(MemoryInputError, match=message) as err:
        memory.add(kind, text, **args)
    assert "\n" not in str(err.value)


# ---------------------------------------------------------------- filters and search


def test_filters_by_stack_keep_general_entries_and_by_kind_exactly(memory):
    memory.add("incident", "NAT gateway down", source="a", time="2026-11-01", stack="prod")
    memory.add("incident", "NAT gateway down", source="b", time="2026-11-02", stack="dev")
    memory.add("runbook", "NAT gateway down: failover", source="c", time="2026-11-03")
    assert {h.source for h in memory.search("nat gateway", stack="prod")} == {"a", "c"}
    assert {h.source for h in memory.search("nat gateway", kind="incident")} == {"a", "b"}
    assert {h.source for h in memory.search("nat", stack="dev", kind="runbook")} == {"c"}
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


# One runbook whose sections share a query's words between them, one section elsewhere that
# matches a few of them in passing, and runbooks that match none (so that a word in one file
# of six is rare enough for the whole-file BM25 to count).
SIBLING_RUNBOOKS = {
    "replication.md": """# Replication

## Slot lag

A replication slot that no consumer reads keeps WAL on the disk until the slot is dropped.

## Drop the slot

Once its consumer is gone for good, drop the slot; the retained WAL is freed at the next
checkpoint.

## Checkpoints

Checkpoints flush dirty pages to the data files every few minutes.
""",
    "queues.md": """# Queues

## Consumer stopped

A consumer that stopped reading lets the queue grow; restart the consumer.
""",
    **{
        f"filler-{i}.md": f"# Filler {i}\n\n## Section {i}\n\nRoutine check {i} of the graphs.\n"
        for i in range(4)
    },
}
SIBLINGS_QUERY = "wal retained by a slot whose consumer stopped"


def sources(hits: list[Hit]) -> list[str]:
    return [h.source for h in hits]


def test_sections_of_the_best_matching_runbook_rise_together(memory, tmp_path, monkeypatch):
    """The file prior: a section's score is mixed with its whole runbook's, so the sections of
    the runbook that matches the query best rank above a section of another runbook that
    matches some of its words in passing, which alone (no prior) outranks one of them; a query
    about that other section still finds it first."""
    from agents.skills import memory as memory_module  # noqa: PLC0415

    for name, text in SIBLING_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    memory.index_runbooks(tmp_path / "rb")
    stray = "queues.md#consumer-stopped"
    siblings = ["replication.md#drop-the-slot", "replication.md#slot-lag"]
    assert sources(memory.search(SIBLINGS_QUERY, k=3)) == [*siblings, stray]
    assert sources(memory.search("consumer stopped", k=1)) == [stray]
    monkeypatch.setattr(memory_module, "FILE_WEIGHT", 0.0)  # sections alone
    assert sources(memory.search(SIBLINGS_QUERY, k=3)) == [siblings[0], stray, siblings[1]]


def test_a_well_matched_runbook_leaves_room_for_what_happened_last_time(
    memory, tmp_path, monkeypatch
):
    """The sections of the runbook a query matches best rise together (the file prior) and
    would fill every slot; the incident of last time, which matches fewer of the words, still
    gets a slot in the top k (at most 60% of them go to one kind while the other has
    matches). Among runbooks alone, the order is the score's."""
    from agents.skills import memory as memory_module  # noqa: PLC0415

    for name, text in SIBLING_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    memory.index_runbooks(tmp_path / "rb")
    memory.add(
        "incident",
        "prod-db disk filled up: slot kept WAL",
        source="audit.jsonl:7",
        time="2026-11-02T03:00:00Z",
        stack="prod",
    )
    monkeypatch.setattr(memory_module, "KIND_SHARE", 1.0)  # one score alone
    plain = sources(memory.search(SIBLINGS_QUERY, k=3))
    runbooks_only = sources(memory.search(SIBLINGS_QUERY, k=3, kind="runbook"))
    assert "audit.jsonl:7" not in plain, plain
    assert "audit.jsonl:7" in sources(memory.search(SIBLINGS_QUERY, k=10))  # it does match
    monkeypatch.setattr(memory_module, "KIND_SHARE", 0.6)
    mixed = sources(memory.search(SIBLINGS_QUERY, k=3))
    assert mixed == [*plain[:2], "audit.jsonl:7"]  # 2 of 3 (60%, rounded up) runbook sections
    assert sources(memory.search(SIBLINGS_QUERY, k=3, kind="runbook")) == runbooks_only


_RANKED = st.lists(
    st.tuples(st.integers(0, 40), st.booleans()), max_size=30, unique_by=lambda p: p[0]
)


@given(_RANKED, st.integers(1, 12))
def test_diversified_keeps_each_kind_s_order_and_share(ranked, k):
    """`_diversified`: k entries of the ranking (or all), each kind's in the ranking's order,
    at most ceil(0.6 k) of one kind unless the other kind has no more entries; with one kind
    only, the ranking's first k."""
    import math  # noqa: PLC0415

    from agents.skills.memory import KIND_SHARE, _diversified  # noqa: PLC0415

    pairs = [(entry, float(-i)) for i, (entry, _) in enumerate(ranked)]
    sections = {entry for entry, section in ranked if section}
    asked: list[list[int]] = []

    def sections_of(ids: list[int]) -> set[int]:
        asked.append(ids)
        return sections

    top = _diversified(pairs, sections_of, k)
    assert asked == ([] if len(pairs) <= k else [[e for e, _ in pairs]])  # only when it matters
    assert len(top) == min(k, len(pairs))
    assert len({e for e, _ in top}) == len(top) and set(top) <= set(pairs)
    for group in (True, False):
        mine = [p for p in pairs if (p[0] in sections) is group]
        chosen = [p for p in top if (p[0] in sections) is group]
        assert chosen == mine[: len(chosen)]  # a kind's best, in order
        if len(chosen) > math.ceil(KIND_SHARE * k):  # past its share only when the other ran out
            assert len(top) - len(chosen) == len(pairs) - len(mine)
    picked = set(top)
    assert top == [p for p in pairs if p in picked]  # in the ranking's order
    if len(sections) in (0, len(pairs)):
        assert top == pairs[:k]


def test_diversified_fills_from_a_kind_s_best_when_the_other_runs_out() -> None:
    from agents.skills.memory import _diversified  # noqa: PLC0415

    # sections 1-4 and 6, one record 5: three sections, the record, then the best section left
    ranked = [(i, float(-i)) for i in range(1, 7)]
    assert [e for e, _ in _diversified(ranked, lambda _: {1, 2, 3, 4, 6}, 5)] == [1, 2, 3, 4, 5]
    assert [e for e, _ in _diversified(ranked, lambda _: {5}, 5)] == [1, 2, 3, 4, 5]  # the reverse
    assert [e for e, _ in _diversified(ranked, lambda _: {4, 5, 6}, 5)] == [1, 2, 3, 4, 5]
    assert [e for e, _ in _diversified(ranked, lambda _: {5, 6}, 5)] == [1, 2, 3, 5, 6]


def test_the_file_prior_never_reorders_the_sections_of_one_file(memory, tmp_path, monkeypatch):
    """Sections of one runbook share their file's score, so the prior moves them together: their
    order among themselves is their own scores' order, with or without it."""
    from agents.skills import memory as memory_module  # noqa: PLC0415

    for name, text in SIBLING_RUNBOOKS.items():
        write(tmp_path / "rb" / name, text)
    memory.index_runbooks(tmp_path / "rb")
    queries = [SIBLINGS_QUERY, "replication slot consumer", "checkpoint dirty pages", "wal disk"]

    def within_replication() -> list[list[str]]:
        return [
            [s for s in sources(memory.search(q, k=10)) if s.startswith("replication.md#")]
            for q in queries
        ]

    with_prior = within_replication()
    monkeypatch.setattr(memory_module, "FILE_WEIGHT", 0.0)
    assert within_replication() == with_prior
    assert all(with_prior)


def test_a_passage_is_the_window_around_the_matches_not_the_document():
    lines = [f"step {i}: nothing to see here, keep scrolling down the page" for i in range(60)]
    lines[41] = "step 41: drop the inactive \x02replication\x03 \x02slot\x03 holding WAL"
    passage = best_passage("\n".join(lines), 60)
    assert "replication slot" in passage and passage.startswith("…")
    assert tokens.count(passage) <= 60 and "step 0:" not in passage


def test_one_long_line_is_cut_around_its_match():
    line = "filler words " * 400 + "the \x02needle\x03 is here " + "more filler " * 400
    passage = best_passage(line, 30)
    assert "needle" in passage and tokens.count(passage) <= 30


def hit(i: int, passage: str) -> Hit:
    return Hit(i, "runbook", f"rb.md#s{i}", "2026-11-29T10:00:00", "prod", None, "T", passage, 1.0)


@settings(max_examples=150, deadline=None)
@given(
    passages=st.lists(st.text(min_size=1, max_size=400), max_size=8),
    budget=st.integers(min_value=0, max_value=1500),
)
def test_render_never_exceeds_the_budget(passages, budget):
    hits = [hit(i, p) for i, p in enumerate(passages)]
    try:
        text = render(hits, budget)
    except tokens.BudgetError:
        assert budget < tokens.count(render([], None)) + 20
        return
    assert tokens.count(text) <= budget


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    data = Path(__file__).resolve().parents[3] / "benchmarks" / "data" / "memory"
    with Memory(tmp_path_factory.mktemp("corpus") / "memory.db") as m:
        m.index_runbooks(data / "runbooks")
        m.index_audit(data / "audit.jsonl")
        yield m


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    query=st.sampled_from(["rds storage", "nat gateway cost", "approval expired", "lock"]),
    k=st.integers(min_value=1, max_value=10),
    budget=st.integers(min_value=0, max_value=2500),
)
def test_search_under_a_budget_returns_what_renders_within_it(corpus, query, k, budget):
    try:
        hits = corpus.search(query, k=k, budget=budget)
    except tokens.BudgetError:
        assert budget < 30
        return
    assert len(hits) <= k
    assert tokens.count(render(hits, budget)) <= budget
    assert "more hits left out" not in render(hits, budget)  # every hit returned is shown


HOSTILE = [
    "",
    "   ",
    '"',
    '""',
    '"unterminated phrase',
    'a"b',
    "NEAR",
    "NEAR(rds storage, 2)",
    "rds NEAR storage",
    "near/3",
    "*",
    "stor*",
    "-storage",
    "rds - storage",
    "+",
    "AND",
    "OR",
    "NOT",
    "rds AND OR NOT storage",
    "(",
    ")",
    "{title text}: rds",
    "title:rds",
    "^rds",
    ":",
    ".",
    "\\",
    "\x00",
    "'; DROP TABLE entries; --",
    "ünïcödé ïs fîne",
    "数据库 磁盘 空间",
    "🚀🔥",
    "x" * 20000,
    " ".join(["storage"] * 5000),
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_are_text_never_syntax(corpus, query):
    hits = corpus.search(query, k=3)
    assert len(hits) <= 3
    expression = match_expression(query)
    assert expression is None or expression.count('"') % 2 == 0


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(query=st.text(max_size=80))
def test_any_text_is_a_valid_query(corpus, query):
    corpus.search(query, k=2)


def test_query_words_are_literal_terms(memory):
    memory.add("note", "the near cache and the unicode table", source="s", time="2026-11-01")
    assert query_terms("How NEAR is the ünïcödé cache?") == ["near", "ünïcödé", "cache"]
    assert [h.source for h in memory.search("NEAR")] == ["s"]
    assert [h.source for h in memory.search("ünïcödé")] == ["s"]  # diacritics removed
    assert query_terms("what is it") == ["what", "is", "it"]  # only stopwords: keep them


# ---------------------------------------------------------------- the file


def test_a_new_memory_file_is_private_wal_and_versioned(tmp_path):
    path = tmp_path / "sub" / "memory.db"
    Memory(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_a_file_that_is_not_sqlite_is_refused_and_left_as_it_is(tmp_path):
    path = write(tmp_path / "memory.db", "these are my notes, not a database\n" * 50)
    before = path.read_bytes()
    with pytest.raises(DamagedMemory, match="not a SQLite database") as err:
        Memory(path)
    assert "\n" not in str(err.value) and isinstance(err.value, InputError)
    assert path.read_bytes() == before


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE songs (title TEXT)")
    db.commit()
    db.close()
    before = path.read_bytes()
    with pytest.raises(DamagedMemory, match="another program"):
        Memory(path)
    assert path.read_bytes() == before


def test_a_memory_from_a_newer_schema_is_refused(tmp_path):
    path = tmp_path / "memory.db"
    Memory(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(DamagedMemory, match="newer"):
        Memory(path)


def test_damaged_pages_are_reported_as_one_line_not_a_traceback(tmp_path):
    path = tmp_path / "memory.db"
    with Memory(path) as m:
        for i in range(300):
            m.add("note", f"entry {i} about rds storage " * 20, source=f"s{i}", time="2026-11-01")
    data = bytearray(path.read_bytes())
    page = 4096
    data[2 * page : len(data) - page] = random.Random(0).randbytes(len(data) - 3 * page)
    path.write_bytes(bytes(data))
    # Refused on opening or on the first read of a damaged page, whichever comes first.
    with pytest.raises(DamagedMemory, match="damaged") as err, Memory(path) as m:
        m.search("rds storage")
        m.entries()
    assert "\n" not in str(err.value)


def test_a_folder_is_not_a_memory_file(tmp_path):
    with pytest.raises(MemoryInputError, match="not a regular file"):
        Memory(tmp_path)


@pytest.mark.parametrize("make", ["missing", "folder"])
def test_an_audit_log_that_cannot_be_read_is_one_line(memory, tmp_path, make):
    path = tmp_path / "audit.jsonl"
    if make == "folder":
        path.mkdir()
    with pytest.raises(MemoryInputError, match=r"audit\.jsonl"):
        memory.index_audit(path)


def test_runbook_front_matter_must_be_a_mapping(memory, tmp_path):
    write(tmp_path / "rb" / "bad.md", "---\n- a list\n---\n# T\n\ntext\n")
    with pytest.raises(MemoryInputError, match=r"bad\.md"):
        memory.index_runbooks(tmp_path / "rb")


def _adder(path: str, writer: int, n: int) -> None:
    with Memory(path) as m:
        for i in range(n):
            m.add("note", f"writer {writer} note {i}", source=f"w{writer}", time="2026-11-01")


def _indexer(path: str, audit: str) -> None:
    with Memory(path) as m:
        m.index_audit(audit)


@pytest.mark.slow
def test_two_processes_adding_at_once_lose_no_rows(tmp_path):
    path = str(tmp_path / "memory.db")
    # not fork: a test worker may hold threads whose locks a forked child inherits held
    ctx = multiprocessing.get_context("forkserver")
    procs = [ctx.Process(target=_adder, args=(path, w, 150)) for w in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0, 0]
    with Memory(path) as m:
        assert m.counts() == {"note": 300}


@pytest.mark.slow
def test_two_processes_indexing_one_log_at_once_do_not_duplicate(tmp_path):
    path, audit = str(tmp_path / "memory.db"), ops_log(tmp_path / "audit.jsonl").path
    # not fork: a test worker may hold threads whose locks a forked child inherits held
    ctx = multiprocessing.get_context("forkserver")
    procs = [ctx.Process(target=_indexer, args=(path, str(audit))) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert [p.exitcode for p in procs] == [0, 0]
    with Memory(path) as m:
        assert sum(m.counts().values()) == 4


# ---------------------------------------------------------------- vectors


class ConceptEmbedder:
    """Words to a few concepts (synonyms share one), so meaning can match without words."""

    name = "concepts-1"
    CONCEPTS = ({"disk", "storage", "space", "volume"}, {"bill", "cost", "spend"})

    def embed(self, texts):
        rows = []
        for text in texts:
            words = set(query_terms(text))
            row = [float(len(words & c)) for c in self.CONCEPTS] + [0.01]
            norm = sum(x * x for x in row) ** 0.5
            rows.append([x / norm for x in row])
        return rows


def test_vectors_find_an_entry_that_shares_no_word_with_the_query(tmp_path):
    path = tmp_path / "memory.db"
    with Memory(path) as m:  # added without an embedder: vectors come on first use
        m.add("runbook", "the volume has no free storage left", source="rds", time="2026-11-01")
        m.add("finding", "NAT gateway spend up 340%", source="nat", time="2026-11-01")
        assert m.search("disk") == []
    with Memory(path, embedder=ConceptEmbedder()) as m:
        assert [h.source for h in m.search("disk", k=1)] == ["rds"]
        assert [h.source for h in m.search("bill", k=1)] == ["nat"]


def test_without_the_extra_vectors_say_how_to_install_them(monkeypatch):
    monkeypatch.setitem(sys.modules, "wordllama", None)  # import fails as when not installed
    with pytest.raises(VectorsUnavailable, match=r"pip install \.\[vectors\]") as err:
        load_embedder()
    assert "\n" not in str(err.value)


@pytest.mark.skipif(not vectors_available(), reason="the vectors extra is not installed")
def test_the_bundled_model_loads_without_the_network(monkeypatch):
    requests = pytest.importorskip("requests")  # installed with the extra

    def no_network(*args, **kwargs):
        raise AssertionError("the embedding model tried to download something")

    monkeypatch.setattr(requests, "get", no_network)
    embedder = load_embedder()
    disk, storage, nat = embedder.embed(["disk full", "storage exhausted", "nat gateway bill"])
    assert len(disk) == 256 and abs(sum(x * x for x in disk) - 1) < 1e-4
    cos = lambda a, b: sum(x * y for x, y in zip(a, b, strict=True))  # noqa: E731
    assert cos(disk, storage) > cos(disk, nat)
    assert embedder.embed([""]) == [[0.0] * 256]  # empty text: a zero vector, not NaN


# ---------------------------------------------------------------- the benchmark's metrics


def test_recall_at_k_counts_relevant_entries_in_the_top_k():
    assert recall_at_k(["a", "b", "c"], ["a", "c"], k=2) == 0.5
    assert recall_at_k(["a", "b"], ["a", "b"], k=5) == 1.0
    assert recall_at_k(["x"], ["a"], k=5) == 0.0
    assert recall_at_k(["x"], [], k=5) == 1.0


def test_ndcg_at_k_rewards_relevant_entries_ranked_early():
    assert ndcg_at_k(["a", "b"], ["a"], k=5) == 1.0
    assert ndcg_at_k(["b", "a"], ["a"], k=5) == pytest.approx(1 / 1.5849625)  # 1/log2(3)
    assert ndcg_at_k(["a", "x", "b"], ["a", "b"], k=5) == pytest.approx(
        (1 + 0.5) / (1 + 1 / 1.5849625)
    )
    assert ndcg_at_k(["x", "y"], ["a"], k=5) == 0.0
    assert ndcg_at_k(["b", "a"], ["a"], k=1) == 0.0


# -- red team: runbooks that lead out of their folder; read-only opening --------------------------
def test_a_symlinked_runbook_or_folder_out_of_the_folder_is_skipped_and_reported(tmp_path):
    from agents.skills.memory import Memory  # noqa: PLC0415

    secret = tmp_path / "credentials"
    secret.write_text("# creds\naws_secret_access_key = SUPERSECRET\n")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "more.md").write_text("# more\nSUPERSECRET too\n")
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "ok.md").write_text("# NAT\nrestart the NAT gateway\n")
    (books / "leak.md").symlink_to(secret)
    (books / "dir").symlink_to(outside, target_is_directory=True)
    with Memory(tmp_path / "m.sqlite") as mem:
        report = mem.index_runbooks(books)
        assert report.files == 1, report
        assert {Path(p).name for p in report.outside} == {"leak.md", "dir"}, report
        assert not mem.search("SUPERSECRET"), "a file outside the folder was indexed"
        assert mem.search("NAT gateway")


def test_a_read_only_memory_never_creates_nor_initialises_a_file(tmp_path):
    from agents.skills.memory import Memory, MemoryInputError  # noqa: PLC0415

    missing = tmp_path / "none.sqlite"
    with pytest.raises(MemoryInputError):
        Memory(missing, read_only=True)
    assert not missing.exists()
    empty = tmp_path / "empty.sqlite"
    empty.touch()
    with Memory(empty, read_only=True) as mem:
        assert mem.search("anything") == [] and mem.counts() == {}
    assert empty.stat().st_size == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.sqlite"]


def test_a_hard_linked_runbook_is_not_read(tmp_path):
    """A hard link is no symlink, yet it may name a file outside the folder (an archive can
    carry one): it is skipped and reported, never indexed."""
    outside = tmp_path / "credentials"
    outside.write_text("# secret\naws_secret_access_key = hunter2secretvalue\n")
    folder = tmp_path / "runbooks"
    folder.mkdir()
    (folder / "fine.md").write_text("# NAT\nthe NAT gateway costs\n")
    os.link(outside, folder / "linked.md")
    memory = Memory(tmp_path / "memory.sqlite")
    report = memory.index_runbooks(folder)
    assert [p for p in report.outside if p.endswith("linked.md")], report
    assert not memory.search("hunter2secretvalue")
    assert memory.search("NAT gateway"), "the folder's own runbook is indexed"


# -- schema 1 (before the ranking fields) ---------------------------------------------------------
_SCHEMA_1 = (
    """CREATE TABLE entries (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,
        source TEXT NOT NULL, time TEXT NOT NULL, stack TEXT, persona TEXT, title TEXT NOT NULL,
        text TEXT NOT NULL, origin TEXT)""",
    """CREATE VIRTUAL TABLE entries_fts USING fts5(title, text, content='entries',
        content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')""",
    "CREATE TABLE vectors (id INTEGER PRIMARY KEY, model TEXT NOT NULL, vector BLOB NOT NULL)",
    """CREATE TRIGGER entries_ai AFTER INSERT ON entries BEGIN
        INSERT INTO entries_fts(rowid, title, text) VALUES (new.id, new.title, new.text); END""",
    """CREATE TRIGGER entries_ad AFTER DELETE ON entries BEGIN
        INSERT INTO entries_fts(entries_fts, rowid, title, text)
            VALUES ('delete', old.id, old.title, old.text);
        DELETE FROM vectors WHERE id = old.id; END""",
    """CREATE TABLE sources (path TEXT PRIMARY KEY, kind TEXT NOT NULL, offset INTEGER NOT NULL,
        line INTEGER NOT NULL, head TEXT NOT NULL, indexed_at TEXT NOT NULL)""",
)


def test_a_schema_1_memory_is_searched_read_only_and_migrated_by_a_writer(tmp_path):
    path = tmp_path / "memory.db"
    db = sqlite3.connect(path)
    for statement in _SCHEMA_1:
        db.execute(statement)
    db.execute(
        "INSERT INTO entries (key, kind, source, time, title, text, origin) VALUES "
        "('k', 'runbook', 'pods.md#crash-loops', '2026-11-01', 'Pods > Crash loops', "
        "'restarted with a back-off', '/rb/pods.md')"
    )
    db.execute("PRAGMA application_id = 1095191885")  # "AGMM"
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with Memory(path, read_only=True) as m:  # ranked by schema 1's columns, nothing written
        assert [h.source for h in m.search("crash loops")] == ["pods.md#crash-loops"]
    with Memory(path) as m:
        assert [h.source for h in m.search("KubePodCrashLooping")] == ["pods.md#crash-loops"]
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
    assert db.execute("SELECT origin FROM files").fetchall() == [("/rb/pods.md",)]
    db.close()


def test_vectors_re_rank_bm25_s_candidates(tmp_path):
    """With an embedder, BM25's candidates are re-ranked by cosine (a tie in words is broken by
    meaning); entries BM25 did not find come only after them."""
    with Memory(tmp_path / "memory.db", embedder=ConceptEmbedder()) as m:
        m.add("note", "alarm on the volume: storage", source="disk", time="2026-11-01")
        m.add("note", "alarm on the bill: cost", source="bill", time="2026-11-01")
        m.add("note", "spend doubled", source="spend", time="2026-11-01")
        assert [h.source for h in m.search("alarm cost", k=3)] == ["bill", "disk", "spend"]

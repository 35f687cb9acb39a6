"""The skills' command line as users call it: `tokens`, `summarize`, `memory`, `logs analyze`;
each a report by default, JSON with --json, never over --budget, bad input one line and exit 2."""

from __future__ import annotations

import gzip
import json
import random

import pytest

from agents.cli.main import main
from agents.skills.tokens import count


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    return tmp_path / "state"


@pytest.fixture
def dev_export(dev_plan_export):
    """The session's dev plan as a file (tests/agents/conftest.py): read, never written."""
    return str(dev_plan_export)


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_tokens_counts_files_and_totals(tmp_path, capsys):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("hello world, Pulumi stack")
    b.write_text("x " * 100)
    code, out, _ = run(capsys, "tokens", str(a), str(b))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"6\t{a}" and lines[-1].endswith("total (o200k_base)")
    code, out, _ = run(capsys, "tokens", str(a), "--json")
    assert json.loads(out)["files"] == [{"file": str(a), "tokens": 6}]


def test_tokens_of_a_fifo_or_non_utf8_file_is_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\xff\xfe\x00")
    code, _, err = run(capsys, "tokens", str(bad))
    assert code == 2 and err.count("\n") == 1 and "not UTF-8" in err


@pytest.mark.slow
def test_tokens_counts_a_50_mb_file_exactly_in_chunks(tmp_path, capsys):
    # past the encoder's one-input limit and past any whole-file read cap: counted in chunks,
    # and the chunks' counts add up to the whole text's (each block ends where tokens split)
    block = "".join(
        f"2026-01-01T00:00:{i % 60:02d}Z INFO req {i} done in 0.{i}s ✓\n" for i in range(2000)
    )
    per_block = count(block)
    big = tmp_path / "big.log"
    repeats = 50 * 1024 * 1024 // len(block.encode()) + 1
    with big.open("w", encoding="utf-8") as handle:
        for _ in range(repeats):
            handle.write(block)
    assert big.stat().st_size > 50 * 1024 * 1024
    code, out, _ = run(capsys, "tokens", str(big), "--json")
    assert code == 0 and json.loads(out)["files"][0]["tokens"] == repeats * per_block


def test_logs_analyze_of_5000_clusters_prints_its_report_under_any_budget(tmp_path, capsys):
    # 5,000 events of words that each occur in one event only: no column has a common pattern
    rng = random.Random(5)
    syllables = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fo"]
    lines = []
    for k in range(5000):
        words = " ".join("".join(rng.choice(syllables) for _ in range(4)) for _ in range(6))
        lines += [f"2026-01-01T00:00:00Z ERROR {words} code {k * 3 + r}" for r in range(2)]
    log = tmp_path / "many.log"
    log.write_text("\n".join(lines) + "\n")
    code, out, _ = run(capsys, "logs", "analyze", str(log), "--json")
    assert code == 0 and len(json.loads(out)["clusters"]) == 5000
    code, out, err = run(capsys, "logs", "analyze", str(log))
    assert code == 0 and err == "" and out.count("\n#") == 5000
    code, out, _ = run(capsys, "logs", "analyze", str(log), "--budget", "1500")
    assert code == 0 and count(out.rstrip("\n")) <= 1500 and "more clusters" in out


@pytest.mark.slow
def test_summarize_the_dev_plan_under_a_budget(capsys, dev_export):
    code, out, _ = run(capsys, "summarize", "--export", dev_export, "--budget", "700")
    assert code == 0 and count(out.rstrip("\n")) <= 700
    assert out.startswith("# stack dev")
    code, out, _ = run(capsys, "summarize", "--export", dev_export, "--json")
    data = json.loads(out)
    assert code == 0 and data["stack"] == "dev"


def test_summarize_refuses_a_budget_out_of_range_and_a_missing_export(capsys, tmp_path, dev_export):
    code, _, err = run(capsys, "summarize", "--export", dev_export, "--budget", "-3")
    assert code == 2 and "--budget" in err
    code, _, err = run(capsys, "summarize", "--export", str(tmp_path / "none.json"))
    assert code == 2 and err.count("\n") == 1


def test_memory_add_index_search(state, capsys, tmp_path):
    books = tmp_path / "runbooks"
    books.mkdir()
    (books / "rds.md").write_text(
        "# RDS\n\n## Storage full\n\nWhen FreeStorageSpace drops, raise max_allocated_storage.\n"
    )
    code, out, _ = run(
        capsys, "memory", "add", "incident", "prod database ran out of storage", "--stack", "prod"
    )
    assert code == 0 and out.startswith("remembered entry")
    code, out, _ = run(capsys, "memory", "index", "--runbooks", str(books))
    assert code == 0 and "entries:" in out
    code, out, _ = run(capsys, "memory", "search", "storage", "--budget", "150", "--json")
    hits = json.loads(out)
    assert code == 0 and {h["kind"] for h in hits} == {"incident", "runbook"}
    code, out, _ = run(capsys, "memory", "search", "storage", "--budget", "150")
    assert count(out.rstrip("\n")) <= 150
    code, _, err = run(capsys, "memory", "add", "gossip", "x")
    assert code == 2 and "invalid choice" in err


def test_logs_analyze_a_gzip_file_with_assignments(tmp_path, capsys):
    lines = [
        f"2026-11-29T10:00:{i % 60:02d}Z INFO worker {i} finished job {i * 7}" for i in range(50)
    ]
    lines += [f"2026-11-29T10:01:{i:02d}Z ERROR payment {i} failed: timeout" for i in range(5)]
    log = tmp_path / "app.log.gz"
    log.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    out_file = tmp_path / "assign.txt"
    code, out, err = run(
        capsys, "logs", "analyze", str(log), "--assignments", str(out_file), "--budget", "300"
    )
    assert code == 0, err
    assert count(out.rstrip("\n")) <= 300
    assert out.index("failed: timeout") < out.index("finished job")  # errors rank first
    ids = out_file.read_text().split()
    assert len(ids) == 55 and len(set(ids[:50])) == 1 and len(set(ids[50:])) == 1
    code, out, _ = run(capsys, "logs", "analyze", str(log), "--json")
    assert json.loads(out)["lines_read"] == 55


def test_logs_analyze_makes_the_folder_of_its_assignments(tmp_path, capsys):
    """Like `plan --out`: a path in folders still to be made is written, not an error."""
    log = tmp_path / "app.log"
    log.write_text("2026-11-29T10:00:00Z INFO up\n2026-11-29T10:00:01Z INFO up\n")
    out_file = tmp_path / "new" / "deeper" / "assign.txt"
    code, _, err = run(capsys, "logs", "analyze", str(log), "--assignments", str(out_file))
    assert code == 0, err
    assert out_file.read_text().split() == ["1", "1"]
    assert [p.name for p in out_file.parent.iterdir()] == ["assign.txt"]  # no temporary left


def test_logs_analyze_needs_exactly_one_source(capsys, tmp_path):
    code, _, err = run(capsys, "logs", "analyze")
    assert code == 2 and "give a FILE" in err
    code, _, err = run(capsys, "logs", "analyze", str(tmp_path))
    assert code == 2 and err.count("\n") == 1 and "not a regular file" in err

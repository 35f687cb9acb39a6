"""Retrieval quality and token cost of the agents' memory (`agents.skills.memory`) on a labelled
ops corpus.

The corpus is `benchmarks/data/memory/`: 15 runbooks (Markdown, one entry per section), an audit
log of two and a half weeks of agent runs in the shapes `agents/*.py` write (findings,
incidents, decisions and approvals among requests, lock events and gateway steps), and
`queries.yaml`, queries in an on-call engineer's words, each labelled with the entries that answer
it (written before any tuning; see the README there). Each query runs with its own `stack` and
`kind` filters, if it has any, against a fresh memory file that indexes the whole corpus.

Reported per method (BM25 alone; BM25 fused with the bundled static embeddings when the
`vectors` extra is installed): recall@5 (the share of a query's relevant entries in its top 5,
averaged over queries), nDCG@5 (binary gains) and MRR@5 (the reciprocal rank of the first
relevant hit, 0 past 5), all with no budget; recall@5 in the token
budget (`search(..., budget=B)`: only the hits that `render(hits, B)` keeps count); the o200k
tokens of the rendered top 5 under the budget (mean and max), beside the tokens of handing over
the whole corpus (the runbook files and the audit log as they are, and just the text of the
indexed entries); the mean search time and the time to index the corpus.
`--store postgres` runs the same on `agents.skills.memory_postgres` in a throwaway PostgreSQL
server (the tests' `tests/postgres_server.py`: it needs the PostgreSQL binaries), `--store both`
on each store in turn.

Corpora: `--corpus DIR` (a folder with `runbooks/`, `queries.yaml` and optionally
`audit.jsonl`) measures that one; by default the corpus above, and also the held-out corpus
`benchmarks/data/memory-heldout/` when it exists (runbooks only: real runbooks nothing here was
tuned on, so its row is the figure to quote). `--half odd|even` keeps the odd- or even-numbered
queries (q01, q03, ... or q02, q04, ...: weights are chosen on the odd half, checked on the even).

Beside each corpus's rows, at the level of runbook files: "whole-file bm25" ranks each runbook
file as one document (FTS5's BM25 over the file's text, the query's words ORed, nothing else),
and "ours, by file" is our ranking with each hit replaced by its file (the first hit of a file
counts, later ones of the same file are skipped). A file is relevant when it holds a relevant
section; queries with no relevant runbook section (audit records only) are left out of both.
These two rows are the comparison an adopter makes first: does section search with its fields
and vocabulary find the right runbook as early as handing over whole files would?
Run: `.venv/bin/python -m benchmarks.skills_memory [--budget N] [--store S] [--corpus DIR]
[--half H] [--json]`.
"""

from __future__ import annotations

import contextlib
import json
import math
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from tabulate import tabulate

from agents.skills import tokens
from agents.skills.memory import (
    Embedder,
    Memory,
    load_embedder,
    match_expression,
    render,
    vectors_available,
)
from toolchain.inputs import OneLineParser, read_yaml_file

DATA = Path(__file__).resolve().parent / "data" / "memory"
HELDOUT = DATA.parent / "memory-heldout"
HELDOUT_B = DATA.parent / "memory-heldout-b"
HELDOUT_C = DATA.parent / "memory-heldout-c"
HELDOUT_D = DATA.parent / "memory-heldout-d"
K = 5
BUDGET = 1000


def recall_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int = K) -> float:
    """The share of `relevant` found in the first `k` of `ranked` (1.0 when nothing is
    relevant: there was nothing to miss)."""
    wanted = set(relevant)
    if not wanted:
        return 1.0
    return len(wanted & set(ranked[:k])) / len(wanted)


def ndcg_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int = K) -> float:
    """Normalised discounted cumulative gain of the first `k` of `ranked`, with gain 1 for a
    relevant entry and 0 otherwise: DCG = sum of 1/log2(rank + 1) over the relevant ranks,
    divided by the DCG of the ideal order (every relevant entry first)."""
    wanted = set(relevant)
    if not wanted:
        return 1.0
    dcg = sum(1 / math.log2(rank + 1) for rank, s in enumerate(ranked[:k], 1) if s in wanted)
    ideal = sum(1 / math.log2(rank + 1) for rank in range(1, min(len(wanted), k) + 1))
    return dcg / ideal


def mrr_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int = K) -> float:
    """1/rank of the first relevant entry in the first `k` of `ranked`, 0 when there is none
    there (1.0 when nothing is relevant)."""
    wanted = set(relevant)
    if not wanted:
        return 1.0
    return next((1 / rank for rank, s in enumerate(ranked[:k], 1) if s in wanted), 0.0)


def load_queries(
    path: Path = DATA / "queries.yaml", half: str | None = None
) -> list[dict[str, Any]]:
    data = read_yaml_file(path, "labelled queries")
    queries = data.get("queries") if isinstance(data, dict) else None
    if not isinstance(queries, list) or not queries:
        raise SystemExit(f"{path}: expected `queries:`, a list of labelled queries")
    if half is None:
        return queries
    kept = [q for n, q in enumerate(queries, 1) if n % 2 == (1 if half == "odd" else 0)]
    if not kept:
        raise SystemExit(f"{path}: no {half}-numbered queries")
    return kept


def _audit(corpus: Path) -> Path | None:
    """The corpus's audit log, or None (a corpus of runbooks only)."""
    path = corpus / "audit.jsonl"
    return path if path.is_file() else None


def _corpus_tokens(corpus: Path) -> int:
    files = sorted((corpus / "runbooks").rglob("*.md"))
    audit = _audit(corpus)
    return sum(tokens.count_file(f) for f in [*files, *([audit] if audit else [])])


def _file_of(source: str) -> str | None:
    """The runbook file of a section's source (`FILE.md#anchor`), None for anything else."""
    name = source.split("#", 1)[0]
    return name if name.endswith(".md") else None


def _file_ranking(sources: Sequence[str]) -> list[str]:
    """The files of ranked sources, each once, in the order they first appear."""
    return list(dict.fromkeys(f for f in map(_file_of, sources) if f is not None))


def _file_level(queries: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[str]]]:
    """(query, its relevant files) for each query with a relevant runbook section."""
    pairs = [(q, _file_ranking(q["relevant"])) for q in queries]
    return [(q, files) for q, files in pairs if files]


def whole_file_bm25(corpus: Path, queries: list[dict[str, Any]]) -> dict[str, Any]:
    """The baseline: each runbook file one document in an FTS5 table (its text as it is, front
    matter and all), FTS5's BM25 for the query's words ORed (`match_expression`), MRR@5 and
    recall@5 over relevant files."""
    folder = corpus / "runbooks"
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE VIRTUAL TABLE files USING fts5(name UNINDEXED, text, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    db.executemany(
        "INSERT INTO files (name, text) VALUES (?, ?)",
        [
            (f.relative_to(folder).as_posix(), f.read_text(encoding="utf-8"))
            for f in sorted(folder.rglob("*.md"))
        ],
    )
    rankings = []
    for q, relevant in _file_level(queries):
        match = match_expression(q["query"])
        ranked = (
            [
                str(name)
                for (name,) in db.execute(
                    "SELECT name FROM files WHERE files MATCH ? ORDER BY rank LIMIT ?", (match, K)
                )
            ]
            if match
            else []
        )
        rankings.append((ranked, relevant))
    db.close()
    return _file_row("whole-file bm25", rankings)


def _file_row(method: str, rankings: list[tuple[list[str], list[str]]]) -> dict[str, Any]:
    return {
        "method": method,
        "queries": len(rankings),
        "recall@5": round(statistics.mean(recall_at_k(r, w) for r, w in rankings), 3),
        "MRR@5": round(statistics.mean(mrr_at_k(r, w) for r, w in rankings), 3),
    }


def _evaluate(
    memory: Any, queries: list[dict[str, Any]], budget: int, method: str
) -> dict[str, Any]:
    recalls, ndcgs, mrrs, budget_recalls, spent, seconds = [], [], [], [], [], []
    by_file: list[tuple[list[str], list[str]]] = []
    memory.search(queries[0]["query"])  # warm up: the token counter's vocabulary, SQLite pages
    for q in queries:
        filters = {"stack": q.get("stack"), "kind": q.get("kind")}
        started = time.perf_counter()
        hits = memory.search(q["query"], k=K, **filters)
        seconds.append(time.perf_counter() - started)
        ranked = [h.source for h in hits]
        relevant_files = _file_ranking(q["relevant"])
        if relevant_files:
            # Deeper than K, so K distinct files can be counted.
            deep = memory.search(q["query"], k=50, **filters)
            by_file.append((_file_ranking([h.source for h in deep]), relevant_files))
        recalls.append(recall_at_k(ranked, q["relevant"]))
        ndcgs.append(ndcg_at_k(ranked, q["relevant"]))
        mrrs.append(mrr_at_k(ranked, q["relevant"]))
        kept = memory.search(q["query"], k=K, budget=budget, **filters)
        budget_recalls.append(recall_at_k([h.source for h in kept], q["relevant"]))
        spent.append(tokens.count(render(kept, budget)))
    return {
        "method": method,
        "recall@5": round(statistics.mean(recalls), 3),
        "nDCG@5": round(statistics.mean(ndcgs), 3),
        "MRR@5": round(statistics.mean(mrrs), 3),
        "recall@5 in budget": round(statistics.mean(budget_recalls), 3),
        "tokens mean": round(statistics.mean(spent)),
        "tokens max": max(spent),
        "search ms": round(1000 * statistics.mean(seconds), 2),
        "by file": _file_row(f"{method}, by file", by_file) if by_file else None,
    }


STORES = ("sqlite", "postgres")


@contextlib.contextmanager
def _opener(store: str) -> Iterator[Callable[[Embedder | None], Any]]:
    """Opens a fresh, empty memory of `store` per call."""
    if store == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            made = iter(range(1_000_000))
            yield lambda embedder: Memory(Path(tmp) / f"{next(made)}.db", embedder=embedder)
        return
    # The tests' throwaway server (initdb + pg_ctl, verified TLS): a benchmark helper, not a
    # layer of the product, so imported from tests/ rather than copied.
    from agents.protocol.postgres import Target  # noqa: PLC0415
    from agents.skills.memory_postgres import PostgresMemory  # noqa: PLC0415
    from tests.postgres_server import PASSWORD, running_server  # noqa: PLC0415

    with running_server() as server:

        def open_postgres(embedder: Embedder | None) -> Any:
            where = Target(
                host="127.0.0.1",
                port=server.port,
                database=server.fresh_database(),
                user="postgres",
                password=lambda: PASSWORD,
                sslrootcert=server.ca,
            )
            return PostgresMemory(where, embedder=embedder)

        yield open_postgres


def corpora(chosen: Path | None) -> list[Path]:
    """The corpora to measure: the one chosen, or the default and the held-out one if present."""
    if chosen is not None:
        return [chosen]
    held_out = (HELDOUT, HELDOUT_B, HELDOUT_C, HELDOUT_D)
    return [DATA, *(c for c in held_out if (c / "queries.yaml").is_file())]


def run(
    budget: int = BUDGET,
    stores: Sequence[str] = ("sqlite",),
    corpus: Path = DATA,
    half: str | None = None,
) -> dict[str, Any]:
    """Index `corpus` into a fresh memory of each store and evaluate every available method."""
    queries = load_queries(corpus / "queries.yaml", half)
    embedders: list[tuple[str, Embedder | None]] = [("bm25", None)]
    if vectors_available():
        embedders.append(("bm25+vectors", load_embedder()))
    model = embedders[-1][1]
    rows: list[dict[str, Any]] = []
    for store in stores:
        with _opener(store) as open_memory:
            for method, embedder in embedders:
                rows.append(_measure(open_memory(embedder), corpus, queries, budget, method, store))
    file_rows = [{"store": "-", **whole_file_bm25(corpus, queries)}] if _file_level(queries) else []
    file_rows += [{"store": r["store"], **r["by file"]} for r in rows if r["by file"]]
    return {
        "corpus": str(corpus),
        "queries": len(queries),
        "half": half or "all",
        "entries": rows[0].pop("entries"),
        "budget": budget,
        "corpus tokens": {
            "files": _corpus_tokens(corpus),
            "indexed entries": rows[0]["entry tokens"],
        },
        "vectors": model.name if model is not None else "not installed",
        "rows": [
            {k: v for k, v in r.items() if k not in ("entries", "entry tokens", "by file")}
            for r in rows
        ],
        "file rows": file_rows,
    }


def _measure(  # noqa: PLR0917
    memory: Any,
    corpus: Path,
    queries: list[dict[str, Any]],
    budget: int,
    method: str,
    store: str,
) -> dict[str, Any]:
    with memory:
        started = time.perf_counter()
        memory.index_runbooks(corpus / "runbooks")
        audit = _audit(corpus)
        if audit is not None:
            memory.index_audit(audit)
        indexed_s = time.perf_counter() - started
        row = {"store": store, **_evaluate(memory, queries, budget, method)}
        row["index s"] = round(indexed_s, 3)
        row["entries"] = memory.counts()
        row["entry tokens"] = sum(tokens.count(f"{h.title}\n{h.passage}") for h in memory.entries())
    return row


def main() -> int:
    parser = OneLineParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--budget", type=int, default=BUDGET, help="tokens for the top 5")
    parser.add_argument(
        "--store",
        choices=[*STORES, "both"],
        default="sqlite",
        help="the memory's store: the SQLite file, a throwaway PostgreSQL server, or each",
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="a corpus folder (runbooks/, queries.yaml, optional audit.jsonl); default: "
        f"{DATA.name}/ and, when they exist, {HELDOUT.name}/, {HELDOUT_B.name}/, "
        f"{HELDOUT_C.name}/ and {HELDOUT_D.name}/",
    )
    parser.add_argument(
        "--half", choices=["odd", "even"], default=None, help="only the odd or even queries"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    stores = STORES if args.store == "both" else (args.store,)
    results = [run(args.budget, stores, c, args.half) for c in corpora(args.corpus)]
    if args.json:
        json.dump(results if len(results) > 1 else results[0], sys.stdout, indent=2)
        print()
        return 0
    for n, result in enumerate(results):
        if n:
            print()
        entries = sum(result["entries"].values())
        print(
            f"{result['corpus']}: {result['queries']} labelled queries ({result['half']}) over "
            f"{entries} entries "
            f"({', '.join(f'{n} {k}' for k, n in sorted(result['entries'].items()))}); "
            f"vectors: {result['vectors']}"
        )
        print(tabulate(result["rows"], headers="keys"))
        corpus = result["corpus tokens"]
        print(
            f"whole corpus: {corpus['files']} tokens as files, {corpus['indexed entries']} as "
            f"indexed entries; top {K} under the budget: {result['budget']} tokens at most"
        )
        if result["file rows"]:
            print("by runbook file (queries with a relevant runbook section):")
            print(tabulate(result["file rows"], headers="keys"))
    return 0


if __name__ == "__main__":
    sys.exit(main())

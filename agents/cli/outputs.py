"""What no file a user names as an output (`--out`, `--out-dir`, `--assignments`) may replace:
the agents' state folder and everything in it (the append-only audit log, the MCP token store,
the approval key, locks, approvals, memory and findings). `toolchain.inputs.output_path` does the
checking; it imports nothing of `agents`, so the paths are handed to it from here.

Also what the command line prints: `fit_table`, a table whose long cells wrap to the terminal's
width (`COLUMNS`, else 120 columns), for `rules`, `policy` and `audit` (their `--json` keeps every
value whole)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from agents import InputError
from toolchain.inputs import state_dirs


def protected_outputs() -> list[Path]:
    """The state folder and its files by name (by name too, so a hard link or symlink to one
    of them elsewhere is caught by its inode), and the folders `toolchain.inputs.state_dirs`
    names (what the toolchain's own commands protect). Settings that do not load (a bad
    `AGENTS_*` variable) still protect the folder the variable names, or the default one: fail
    closed."""
    from agents.protocol.settings import load_settings  # noqa: PLC0415

    folders = state_dirs()
    try:
        settings = load_settings()
        state_dir, audit_log = settings.state_dir, settings.audit_log
    except InputError:
        state_dir = folders[0]
        audit_log = state_dir / "audit.jsonl"
    from agents.mcp.tokens import STORE_FILE  # noqa: PLC0415

    return [
        state_dir,
        audit_log,
        state_dir / STORE_FILE,
        state_dir / "approval.key",
        state_dir / "memory.sqlite",
        state_dir / "findings.sqlite",
        *folders,
    ]


# -- tables that fit the terminal ----------------------------------------------------------------
# What a table may take when stdout is not a terminal and COLUMNS is unset (a pipe, a file, CI):
# wide enough for a log viewer, narrow enough that no row runs off a review page.
FALLBACK_COLUMNS = 120
MIN_COLUMNS = 40  # below this, wrap as if there were this many (one word per line helps nobody)


def terminal_columns() -> int:
    """The terminal's width (`COLUMNS` first, as `shutil.get_terminal_size` reads it), else
    FALLBACK_COLUMNS; never below MIN_COLUMNS."""
    import shutil  # noqa: PLC0415

    return max(MIN_COLUMNS, shutil.get_terminal_size((FALLBACK_COLUMNS, 24)).columns)


def _text_width(cell: Any) -> int:
    return max((len(line) for line in str("" if cell is None else cell).splitlines()), default=0)


MIN_WRAPPED = 10  # a column is not wrapped narrower than this (unless the terminal is tiny)


def column_widths(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    columns: int,
    keep: Sequence[int] = (),
) -> list[int | None]:
    """Widths for the cells of a GitHub-style table (`| a | b |`: 3 characters per column and one
    more) so that it fits in `columns`; None where a column keeps its natural width. The columns
    in `keep` (times, ids, levels) keep theirs while the others can still have MIN_WRAPPED
    characters each. The others give up width in proportion to what they have beyond
    MIN_WRAPPED: a long description gives up the most and still stays the widest."""
    count = len(headers)
    # tabulate pads a header by 2 (`tabulate.MIN_PADDING`): a column is at least that wide.
    natural = [
        max([_text_width(h) + 2] + [_text_width(r[i]) for r in rows if i < len(r)])
        for i, h in enumerate(headers)
    ]
    budget = columns - 3 * count - 1
    over = sum(natural) - budget
    if over <= 0:
        return [None] * count
    kept = {i for i in keep if 0 <= i < count}
    floor = [natural[i] if i in kept else min(natural[i], MIN_WRAPPED) for i in range(count)]
    if sum(floor) > budget:  # too narrow even so: every column wraps, down to 4 characters
        kept = set()
        floor = [min(n, 4) for n in natural]
    slack = [natural[i] - floor[i] for i in range(count)]
    total = sum(slack)
    if total <= 0:
        return [None] * count
    cut = min(over, total)
    sizes = [natural[i] - (cut * slack[i]) // total for i in range(count)]
    # The cuts were rounded down: take the rest from the widest wrapped columns.
    rest = sum(sizes) - budget
    for i in sorted(range(count), key=lambda i: -sizes[i]):
        if rest <= 0:
            break
        if sizes[i] > floor[i]:
            sizes[i] -= 1
            rest -= 1
    return [None if sizes[i] >= natural[i] else sizes[i] for i in range(count)]


def fit_table(
    rows: Sequence[Sequence[Any]],
    headers: Sequence[str],
    *,
    keep: Sequence[int] = (),
    columns: int | None = None,
    colalign: Sequence[str] | None = None,
) -> str:
    """A GitHub-style table whose long cells wrap so that each line fits the terminal
    (`terminal_columns`); the text is all there, over several lines (`--json` keeps each value
    on one). Cells are expected to be escaped already (`toolchain.untrusted.escape`)."""
    from tabulate import tabulate  # noqa: PLC0415 - imported where a table is printed

    widths = column_widths(rows, headers, columns or terminal_columns(), keep)
    wrapped = any(w is not None for w in widths)
    cells = [["" if c is None else c for c in row] for row in rows]
    # A header is padded by 2 (see `column_widths`): wrapped 2 narrower than its column.
    header_widths: list[Any] = [None if w is None else max(w - 2, 1) for w in widths]
    return tabulate(
        cells,
        headers=list(headers),
        tablefmt="github",
        maxcolwidths=widths if wrapped and cells else None,
        maxheadercolwidths=header_widths if wrapped else None,
        colalign=colalign,
    )

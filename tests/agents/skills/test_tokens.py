"""Token accounting: o200k counts offline, and `fit` keeps whole blocks under the budget."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents import InputError
from agents.skills import tokens
from agents.skills.tokens import BudgetError, count, count_file, fit


def test_counts_o200k_tokens_offline() -> None:
    # Known o200k ids for this text (the encoding ships inside the bpe-openai wheel).
    assert count("hello world, Pulumi stack") == 6
    assert count("") == 0


def more(dropped) -> str:
    return f"+{len(dropped)} more blocks"


def test_keeps_everything_without_a_budget() -> None:
    blocks = [f"block {i}" for i in range(10)]
    fitted = fit(["head"], blocks, None, more)
    assert fitted.kept == 10 and fitted.dropped == 0
    assert fitted.text.splitlines() == ["head", *blocks]


def test_drops_the_least_important_blocks_and_says_so() -> None:
    blocks = [f"cluster {i}: template <*> seen {i} times" for i in range(40)]
    fitted = fit(["# 40 clusters"], blocks, 60, more)
    lines = fitted.text.splitlines()
    assert fitted.tokens <= 60 and count(fitted.text) == fitted.tokens
    assert lines[0] == "# 40 clusters"
    assert lines[1:-1] == blocks[: fitted.kept]  # the first (most important) ones, whole
    assert lines[-1] == f"+{fitted.dropped} more blocks"
    assert fitted.kept + fitted.dropped == 40 and fitted.dropped > 0


def test_a_budget_below_the_header_is_refused_with_the_need() -> None:
    with pytest.raises(BudgetError, match="below the"):
        fit(["a header that needs several tokens to say"], ["x"], 3, more)
    with pytest.raises(BudgetError, match="negative"):
        fit([], [], -1, more)


@settings(max_examples=60, deadline=None)
@given(
    blocks=st.lists(st.text(min_size=1, max_size=40), max_size=30),
    budget=st.integers(min_value=0, max_value=400),
)
def test_never_exceeds_the_budget_and_never_cuts_a_block(blocks: list[str], budget: int) -> None:
    try:
        fitted = fit(["head"], blocks, budget, more)
    except BudgetError:
        assert count(f"head\n+{len(blocks)} more blocks") > budget or budget < count("head")
        return
    assert count(fitted.text) == fitted.tokens <= budget
    kept = [b for b in blocks[: fitted.kept] if b]
    assert all(b in fitted.text for b in kept)
    assert fitted.kept + fitted.dropped == len(blocks)


def test_a_text_past_the_encoders_input_limit_is_counted_whole_and_exactly():
    """bpe-openai refuses one input of over 200,000 tokens; a big stack's export is more. The
    count goes piece by piece at line ends, and the pieces add up to the whole's count."""
    doc = {
        f"resource-{i}": {"type": "aws:ec2/instance:Instance", "tags": {"n": i}}
        for i in range(4000)
    }
    text = json.dumps(doc, indent=2) + "\n"
    assert len(text) > 3 * tokens.PIECE_CHARS
    assert tokens.count(text) == len(tokens._encoding().encode(text))
    huge = text * 8  # well past 200,000 tokens in one string
    assert tokens.count(huge) > 200_000


def test_a_file_counts_as_its_text_whatever_the_chunks(tmp_path) -> None:
    # multi-byte characters and line ends fall across chunk edges; no line end at all is cut
    text = "".join(f"línea {i}: señal ✓ {'x' * (i % 7)}\n" for i in range(3000)) + "tail"
    path = tmp_path / "t.txt"
    path.write_text(text, encoding="utf-8")
    for chunk in (1, 7, 1000, 1 << 20):
        assert count_file(path, chunk_bytes=chunk) == count(text)


def test_a_file_that_is_not_utf8_is_one_line_naming_where(tmp_path) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(b"ok line\n" * 10 + b"\xff\n")
    with pytest.raises(InputError, match=r"not UTF-8 \(near byte 80\)"):
        count_file(path, chunk_bytes=16)

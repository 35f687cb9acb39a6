"""The scale benchmark's input: passes over a system's lines, digits permuted per pass."""

from __future__ import annotations

import random

from benchmarks.skills_scale import floor_loop, renumbered

LINES = ["blk_-1608999687919862906 served 10.250.19.102:50010", "Zürich 42 ok", "no digits"]


def _shape(line: str) -> str:
    return "".join("0" if c.isdigit() else c for c in line)


def test_passes_keep_every_lines_shape_and_permute_its_digits_as_one_table() -> None:
    out = list(renumbered(LINES, 3 * len(LINES) + 1, seed=5))
    assert len(out) == 10
    assert out[:3] == LINES  # the first pass as the system wrote it
    rng, digits = random.Random(5), list("0123456789")
    for start in (3, 6, 9):  # each later pass: one permutation, drawn as the seed orders
        rng.shuffle(digits)
        table = str.maketrans("0123456789", "".join(digits))
        expected = [line.translate(table) for line in LINES][: len(out) - start]
        assert out[start : start + 3] == expected
        assert [_shape(line) for line in expected] == [_shape(line) for line in LINES][
            : len(expected)
        ]
    assert out[3] != LINES[0]  # values do change from pass to pass


def test_no_lines_asked_none_given() -> None:
    assert list(renumbered(LINES, 0)) == []


def test_floor_loops_do_the_work_they_are_timed_for() -> None:
    """`--floor`'s loops read every line, and `shapes` counts each distinct digit-zeroed line
    shape across chunks (a loop that skipped its work would time nothing)."""
    lines = [f"block blk_{i} of {i % 7} served" for i in range(9000)] + ["Zürich 42 ok", "no"]
    expected_shapes = {_shape(line) for line in lines}
    assert floor_loop("read", iter(lines)) == len(lines)
    assert floor_loop("split", iter(lines)) == len(lines)
    assert floor_loop("shapes", iter(lines)) == len(expected_shapes)

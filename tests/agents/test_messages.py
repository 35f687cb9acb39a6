"""The one-line forms of errors and reasons (`agents.one_line`, `first_line`, `unexpected_error`)
that every record, status and log line of the agents uses."""

from __future__ import annotations

from agents import first_line, one_line, unexpected_error


def test_one_line_joins_white_space_and_marks_a_cut():
    assert one_line("a\n  b\tc\r\nd") == "a b c d"
    cut = one_line("x" * 600)
    assert len(cut) == 500 and cut.endswith("...")
    assert one_line("y" * 300, 300) == "y" * 300
    assert one_line("y" * 301, 300) == "y" * 297 + "..."


def test_first_line_is_the_message_s_first_line_or_the_type():
    assert first_line(ValueError("\n  refused by the server\nDETAIL: more\n")) == (
        "refused by the server"
    )
    assert first_line(TimeoutError()) == "TimeoutError"
    assert first_line(OSError("z" * 900), 500) == "z" * 500


def test_an_unexpected_error_names_its_type_and_first_line():
    assert unexpected_error(KeyError("inputs")) == "KeyError: 'inputs'"
    assert unexpected_error(RuntimeError("\nboom\ntrace")) == "RuntimeError: boom"
    assert unexpected_error(RuntimeError("  \n ")) == "RuntimeError"
    assert len(unexpected_error(ValueError("v" * 1000))) == len("ValueError: ") + 300

"""The one-line forms of errors and reasons (`agents.one_line`, `first_line`, `unexpected_error`)
that every record, status and log line of the agents uses, and errors from drivers (SQLite,
botocore) cut to them."""

from __future__ import annotations

import sqlite3

from botocore.exceptions import EndpointConnectionError

from agents import first_line, one_line, unexpected_error
from agents.mcp.tokens import DynamoDBTokens, SecretsManagerTokens, TokenStoreError
from agents.skills.memory import Memory


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


class _Raising:
    """A boto3 client whose every call raises `exc`."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc

    def __getattr__(self, name: str):
        def call(**_kwargs):
            raise self.exc

        return call


def test_the_token_stores_record_a_botocore_error_in_one_capped_line():
    exc = EndpointConnectionError(endpoint_url="https://x/" + "p" * 2000 + "\nsecond line")
    for store in (
        SecretsManagerTokens(_Raising(exc), "tokens"),
        DynamoDBTokens(_Raising(exc), "t"),
    ):
        try:
            store.read()
        except TokenStoreError as refused:
            message = str(refused)
        else:
            raise AssertionError("read while unreachable")
        assert "\n" not in message and "second line" not in message
        assert len(message) < 400 and message.endswith(": refused")


def test_the_memory_names_a_sqlite_error_in_one_capped_line(tmp_path):
    memory = Memory(tmp_path / "memory.sqlite")
    error = sqlite3.OperationalError("disk I/O error " + "d" * 5000 + "\nat page 7")
    error.sqlite_errorname = "SQLITE_IOERR"
    message = str(memory._error(error))
    assert "cannot use the memory file (disk I/O error" in message and "page 7" not in message
    assert len(message) < 300 + len(str(memory.path)) + 60

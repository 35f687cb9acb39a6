"""The output guard: no user-named output replaces protected state or the command's input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from toolchain.inputs import OutputError, output_dir, output_path, write_atomic, write_output


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "audit.jsonl").write_text('{"event": "x"}\n')
    (folder / "mcp-tokens.json").write_text("{}")
    return folder


def test_a_protected_file_is_refused_and_left_as_it_was(state):
    audit = state / "audit.jsonl"
    with pytest.raises(OutputError, match="refused as the assignments"):
        write_output(audit, "0\n", "assignments", protect=[state, audit])
    assert audit.read_text() == '{"event": "x"}\n'


def test_anything_inside_the_protected_folder_is_refused(state):
    for target in (state / "new.txt", state / "mcp-tokens.json", state / "sub" / "x"):
        with pytest.raises(OutputError):
            output_path(target, protect=[state])
    with pytest.raises(OutputError):
        output_dir(state / "prices", protect=[state])


def test_a_symlink_to_a_protected_file_is_refused(state, tmp_path):
    link = tmp_path / "innocent.txt"
    link.symlink_to(state / "mcp-tokens.json")
    with pytest.raises(OutputError):
        output_path(link, protect=[state])


def test_a_hard_link_to_a_protected_file_is_refused(state, tmp_path):
    link = tmp_path / "hard.txt"
    os.link(state / "audit.jsonl", link)
    with pytest.raises(OutputError):
        output_path(link, protect=[state / "audit.jsonl"])


def test_a_symlinked_folder_into_the_state_is_refused(state, tmp_path):
    alias = tmp_path / "alias"
    alias.symlink_to(state)
    with pytest.raises(OutputError):
        output_path(alias / "new.txt", protect=[state])


def test_the_commands_own_input_is_refused_by_path_symlink_and_hard_link(tmp_path):
    log = tmp_path / "app.log"
    log.write_text("line\n")
    link, hard = tmp_path / "l", tmp_path / "h"
    link.symlink_to(log)
    os.link(log, hard)
    for target in (log, link, hard):
        with pytest.raises(OutputError, match="input"):
            output_path(target, "assignments", inputs=[log])
    assert log.read_text() == "line\n"


def test_devices_and_fifos_stay_refused(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for target in (Path("/dev/null"), fifo):
        with pytest.raises(OutputError):
            output_path(target)


def test_an_ordinary_path_is_written_atomically(tmp_path, state):
    out = write_output(tmp_path / "out.txt", "ok\n", protect=[state])
    assert out.read_text() == "ok\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_a_folder_swapped_for_a_link_after_the_check_is_not_written_through(tmp_path, monkeypatch):
    """The race a second review found: the output's folder is checked, then swapped for a link
    to the state folder before the write. The write opens the folder it checked, name by name,
    never through a link: it refuses, and the audit log is as it was."""
    from toolchain import inputs  # noqa: PLC0415

    state = tmp_path / "state"
    state.mkdir()
    audit = state / "audit.jsonl"
    audit.write_text("orig")
    shared = tmp_path / "shared"
    (shared / "x").mkdir(parents=True)
    checked = inputs.output_path

    def racing(path, what="output", **kwargs):
        target = checked(path, what, **kwargs)  # checked while x is a real folder
        (shared / "x").rename(shared / "x-real")
        (shared / "x").symlink_to(state)
        return target

    monkeypatch.setattr(inputs, "output_path", racing)
    with pytest.raises(inputs.OutputError, match="folder changed"):
        inputs.write_output(shared / "x" / "audit.jsonl", "OVERWRITTEN", protect=[state])
    assert audit.read_text() == "orig"
    assert sorted(p.name for p in state.iterdir()) == ["audit.jsonl"], "no temporary file left"


def test_an_output_beside_a_hard_link_to_a_protected_file_is_refused_when_written(
    tmp_path, monkeypatch
):
    from toolchain import inputs  # noqa: PLC0415

    state = tmp_path / "state"
    state.mkdir()
    audit = state / "audit.jsonl"
    audit.write_text("orig")
    out = tmp_path / "out.json"
    checked = inputs.output_path

    def racing(path, what="output", **kwargs):
        target = checked(path, what, **kwargs)  # a new path when checked
        os.link(audit, out)  # then a hard link to the audit log appears there
        return target

    monkeypatch.setattr(inputs, "output_path", racing)
    with pytest.raises(inputs.OutputError):
        inputs.write_output(out, "OVERWRITTEN", protect=[state, audit])
    assert audit.read_text() == "orig"


def test_a_finished_output_is_not_moved_into_a_folder_swapped_for_a_link(tmp_path, monkeypatch):
    """`logs analyze --assignments`: the finished file is moved over the output by name inside
    the folder that was checked; a folder swapped for a link to the state folder meanwhile is
    refused and the state is as it was."""
    from toolchain import inputs  # noqa: PLC0415

    state = tmp_path / "state"
    state.mkdir()
    (state / "audit.jsonl").write_text("orig")
    shared = tmp_path / "shared"
    (shared / "x").mkdir(parents=True)
    spill = shared / "x" / ".ids.spill"
    spill.write_text("1\n2\n")
    checked = inputs.output_path

    def racing(path, what="output", **kwargs):
        target = checked(path, what, **kwargs)
        (shared / "x").rename(shared / "x-real")
        (shared / "x").symlink_to(state)
        return target

    monkeypatch.setattr(inputs, "output_path", racing)
    with pytest.raises(inputs.OutputError, match="folder changed"):
        inputs.replace_output(spill, shared / "x" / "audit.jsonl", protect=[state])
    assert (state / "audit.jsonl").read_text() == "orig"
    assert sorted(p.name for p in state.iterdir()) == ["audit.jsonl"]


def test_an_exclusive_atomic_write_makes_a_new_file_and_never_replaces_one(tmp_path):
    target = tmp_path / "record.json"
    write_atomic(target, "first", exclusive=True)
    assert target.read_text() == "first"
    with pytest.raises(FileExistsError):
        write_atomic(target, "second", exclusive=True)
    assert target.read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record.json"]  # no temporary left
    (tmp_path / "elsewhere").write_text("x")
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere")
    with pytest.raises(FileExistsError):  # a link is not followed nor replaced
        write_atomic(link, "third", exclusive=True)
    assert (tmp_path / "elsewhere").read_text() == "x" and link.is_symlink()

"""The throwaway server's folder is deleted after the run, whether or not a background process
can be started to do it (`tests/postgres_server.py`)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests import postgres_server


def _folder_with_files(root: Path) -> Path:
    folder = root / "pgtest-x"
    for db in range(3):
        base = folder / "data" / "base" / str(db)
        base.mkdir(parents=True)
        for n in range(20):
            (base / str(n)).write_bytes(b"\0" * 512)
    return folder


@pytest.mark.slow
def test_the_folder_is_deleted_by_a_process_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder_with_files(tmp_path)
    shim = tmp_path / "bin"
    shim.mkdir()
    real_rm = shutil.which("rm")
    assert real_rm is not None
    (shim / "rm").write_text(f'#!/bin/sh\nsleep 2\nexec {real_rm} "$@"\n')  # a slow disk
    (shim / "rm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{shim}{os.pathsep}{os.environ['PATH']}")
    postgres_server.remove_in_background(folder)
    assert folder.exists()  # the call did not wait for the deletion
    deadline = time.monotonic() + 60
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert tmp_path.exists()  # nothing but the folder goes


def test_the_folder_is_deleted_here_when_no_process_can_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _folder_with_files(tmp_path)

    def no_shell(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("sh")

    monkeypatch.setattr(subprocess, "run", no_shell)
    postgres_server.remove_in_background(folder)
    assert not folder.exists()  # at once: deleted before the call returned


def test_a_name_with_a_space_is_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "a b"
    folder.mkdir()
    (folder / "f").write_text("x")
    keep = tmp_path / "a"  # what the name's first word would name, were it split
    keep.mkdir()
    postgres_server.remove_in_background(folder)
    deadline = time.monotonic() + 60
    while folder.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not folder.exists()
    assert keep.exists()

"""Issue 9: a disk that fills up while `pulumi up` runs must not lose the operation's records.

The probe keeps a 4 MiB reserve in the state folder; a write that finds the disk full frees it and
lands; the next operation cannot remake the reserve, so it refuses before it starts."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from pathlib import Path

import pytest

import agents.protocol.reserve as reserve_module
from agents.protocol.audit import AuditLog
from agents.protocol.locks.file import FileLockBackend
from agents.protocol.reserve import RESERVE_BYTES, RESERVE_NAME, release_reserve, retry_on_full
from agents.protocol.settings import AgentSettings
from agents.protocol.state_files import probe_state_dir
from tests.agents.runtime.test_runner import FakeGateway, agent

ENOSPC = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.fixture
def settings(tmp_path):
    return AgentSettings(state_dir=tmp_path / "state", lock_wait_s=0)


def test_the_probe_keeps_a_reserve_of_real_blocks(tmp_path):
    probe_state_dir(tmp_path)
    reserve = tmp_path / RESERVE_NAME
    assert reserve.stat().st_size == RESERVE_BYTES
    assert reserve.stat().st_blocks * 512 >= RESERVE_BYTES, "a sparse file would free nothing"
    assert reserve.stat().st_mode & 0o777 == 0o600


def test_a_full_disk_frees_the_reserve_once_and_other_errors_pass_through(tmp_path):
    probe_state_dir(tmp_path)
    tries = []

    def full_once() -> str:
        tries.append(1)
        if len(tries) == 1:
            raise ENOSPC
        return "landed"

    assert retry_on_full(tmp_path, full_once) == ("landed", True)
    assert not (tmp_path / RESERVE_NAME).exists()
    with pytest.raises(OSError, match="No space"):  # no reserve left: the error stands
        retry_on_full(tmp_path, lambda: (_ for _ in ()).throw(ENOSPC))
    probe_state_dir(tmp_path)

    def denied() -> None:
        raise PermissionError(errno.EACCES, "denied")

    with pytest.raises(PermissionError):
        retry_on_full(tmp_path, denied)
    assert (tmp_path / RESERVE_NAME).exists(), "only a full disk spends the reserve"


def test_a_writer_that_finds_the_reserve_just_freed_by_another_waits_for_its_space(tmp_path):
    """Two writers meet the full disk at once: the first frees the reserve, the second finds none
    to free, and the freed blocks may show a moment later. The second tries again for a while
    rather than losing its record (2 writers on a full tmpfs had lost 44 of 400)."""
    tries = []

    def full_for_a_moment() -> str:
        tries.append(1)
        if len(tries) <= 3:
            raise ENOSPC
        return "landed"

    assert not (tmp_path / RESERVE_NAME).exists()  # the other writer freed it
    assert retry_on_full(tmp_path, full_for_a_moment) == ("landed", False)  # not this one's
    assert len(tries) == 4


def test_a_writer_on_a_disk_that_stays_full_gives_up_in_bounded_time(tmp_path, monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(reserve_module.time, "sleep", slept.append)
    clock = iter(range(1000))
    monkeypatch.setattr(reserve_module.time, "monotonic", lambda: next(clock) * 0.01)
    with pytest.raises(OSError, match="No space"):
        retry_on_full(tmp_path, lambda: (_ for _ in ()).throw(ENOSPC))
    assert 0 < len(slept) <= reserve_module.SHARED_WAIT_S / 0.01 + 1


def test_the_reserve_is_not_made_again_in_the_space_a_used_one_just_freed(tmp_path, monkeypatch):
    """A probe right after a writer spent the reserve would fill the space the records need:
    the reserve is made only where it leaves room beside it, else the probe refuses."""
    real = os.statvfs

    class Little:
        def __init__(self, free: int) -> None:
            st = real(tmp_path)
            self.f_frsize = st.f_frsize
            self.f_bavail = free // st.f_frsize

    monkeypatch.setattr(
        reserve_module.os, "statvfs", lambda _p: Little(reserve_module.RESERVE_BYTES + 4096)
    )
    with pytest.raises(OSError, match="reserve"):
        reserve_module.ensure_reserve(tmp_path)
    assert not list(tmp_path.iterdir())  # nothing written
    monkeypatch.setattr(
        reserve_module.os,
        "statvfs",
        lambda _p: Little(reserve_module.RESERVE_BYTES + reserve_module.LEFT_BESIDE_BYTES),
    )
    reserve_module.ensure_reserve(tmp_path)
    assert (tmp_path / RESERVE_NAME).stat().st_size == RESERVE_BYTES


def test_an_up_during_which_the_disk_fills_still_records_its_outcome(settings, monkeypatch):
    locks = FileLockBackend(settings.state_dir / "locks")
    full = {"now": False}
    real_write, real_unlink = os.write, os.unlink

    def write(fd: int, data: bytes) -> int:
        if full["now"]:
            raise ENOSPC
        return real_write(fd, data)

    def unlink(path, *args, **kwargs):
        real_unlink(path, *args, **kwargs)
        if os.path.basename(str(path)) == RESERVE_NAME:
            full["now"] = False  # the reserve's blocks are free again

    monkeypatch.setattr(os, "write", write)
    monkeypatch.setattr(os, "unlink", unlink)
    gw = FakeGateway(during_up=lambda: full.update(now=True))  # another process fills the disk
    out = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert out.status == "done", out
    audit = AuditLog(settings.audit_log)
    events = [r["event"] for r in audit.records()]
    assert "operation.succeeded" in events and "state.reserve-used" in events
    assert events[-1] == "outcome"
    record = locks.read_record("dev", "operation")
    assert record is not None and record.value["status"] == "succeeded"

    # Still full: the next operation cannot remake the reserve, so it refuses before starting.
    full["now"] = True
    gw.calls.clear()
    nxt = agent("release-engineer", settings, locks, gw, protected=False).perform("dev", "up")
    assert nxt.status == "refused" and "cannot take a write" in nxt.detail
    assert gw.calls == []


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_on_a_really_full_file_system_the_audit_line_lands_whole(tmp_path):
    mnt = tmp_path / "small"
    if os.geteuid() != 0 or not _mount_tmpfs(mnt, "6m"):
        pytest.skip("needs permission to mount a small tmpfs (root); the ENOSPC cases above run")
    try:
        probe_state_dir(mnt)
        with (mnt / "filler").open("wb") as fh, contextlib.suppress(OSError):
            while True:  # fill every block left
                fh.write(b"\1" * 65536)
                fh.flush()
        audit = AuditLog(mnt / "audit.jsonl")
        audit.append("operation.succeeded", stack="dev", detail="x" * 1000)
        assert [r["event"] for r in audit.records()] == [
            "operation.succeeded",
            "state.reserve-used",
        ]
        assert not release_reserve(mnt)
        with pytest.raises(Exception, match="cannot take a write"):
            probe_state_dir(mnt)  # no new operation starts until space is freed
    finally:
        subprocess.run(["umount", str(mnt)], check=False)

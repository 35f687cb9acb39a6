"""The packs as Pulumi installs and publishes them (`toolchain.packs`): each pack folder, in the
repository and as built for `pulumi policy publish`, loads from a clean virtualenv made from its
own `requirements.txt` alone, as `pulumi install` makes it (pip in the pack's folder), and judges
a resource as the repository's own gate does."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.policies.conftest import analyze
from toolchain import packs
from toolchain.gate import AnalyzerProcess

ROOT = Path(__file__).resolve().parents[2]
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
OPEN_SSH = {
    "ingress": [{"protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"]}],
    "description": "ssh from anywhere",
}
NETWORK_WORDS = ("connect", "network", "resolve", "dns", "timed out", "temporary failure")


def test_the_repository_pack_folders_are_in_step_with_the_pins():
    """Each pack folder's requirements.txt pins what the repository's requirements.txt pins (a
    pin moved without `python -m toolchain.packs --sync` fails here) and names its own venv."""
    assert packs.stale_files() == []
    pinned = packs.pins()
    for pack in packs.PACKS:
        lines = (ROOT / "policies" / pack / "requirements.txt").read_text().splitlines()
        wanted = [ln for ln in lines if ln and not ln.startswith("#")]
        assert wanted == [*pinned.values(), "-e ../.."]
        assert "virtualenv: venv" in (ROOT / "policies" / pack / "PulumiPolicy.yaml").read_text()


def test_a_pin_missing_from_the_requirements_is_refused(tmp_path):
    (tmp_path / "requirements.txt").write_text("pulumi==3.272.0\npulumi-policy>=1\n")
    with pytest.raises(packs.PackBuildError, match="pins no version of pulumi-policy"):
        packs.pins(tmp_path)


def test_the_helpers_wheel_is_complete_verifiable_and_the_same_every_time():
    name, first = packs.wheel_bytes()
    _, again = packs.wheel_bytes()
    assert first == again and name.endswith("-py3-none-any.whl")
    with zipfile.ZipFile(io.BytesIO(first)) as wheel:
        names = set(wheel.namelist())
        record = next(n for n in names if n.endswith(".dist-info/RECORD"))
        for line in wheel.read(record).decode().splitlines():
            path, digest, size = line.split(",")
            if path == record:
                continue
            data = wheel.read(path)
            want = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            assert digest == f"sha256={want}" and int(size) == len(data), path
        assert {"policies/common.py", "policies/security/iam.py", "toolchain/export.py"} <= names
        assert any(n.startswith("toolchain/cost/prices/") for n in names)  # the price data
        assert not any("/config/" in n or "__pycache__" in n for n in names)
        metadata = wheel.read(next(n for n in names if n.endswith("/METADATA"))).decode()
        assert f"Requires-Dist: {packs.pins()['pulumi-policy']}" in metadata


@pytest.mark.parametrize("inside", ["policies", "policies/security", "toolchain", ".", ".."])
def test_the_packs_are_never_written_over_their_sources(inside):
    with pytest.raises(packs.PackBuildError):
        packs.check_out(ROOT / inside)


def test_a_bad_out_path_is_one_line_and_exit_2(tmp_path, capsys):
    file = tmp_path / "a-file"
    file.write_text("keep")
    assert packs.main(["--out", str(file)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a folder" in err
    assert file.read_text() == "keep"


def test_a_build_that_fails_leaves_the_previous_one_whole(tmp_path, monkeypatch):
    first = packs.build(tmp_path)
    before = {p: p.read_bytes() for b in first for p in b.folder.rglob("*") if p.is_file()}

    def broken(*_args, **_kw):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(packs.shutil, "copyfile", broken)
    with pytest.raises(OSError, match="No space"):
        packs.build(tmp_path)
    after = {p: p.read_bytes() for b in first for p in b.folder.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cost", "security"]  # no debris


@pytest.mark.slow
def test_builds_at_once_into_one_folder_each_leave_it_whole(tmp_path, monkeypatch):
    """Three builds into one folder at the same moment (two pipelines' steps): each finishes, and
    the folder holds whole packs and nothing else. (Deleting is slowed, as on a loaded disk, so
    that the builds' steps interleave: three processes had collided in 8 of 600 builds.)"""
    rmtree = shutil.rmtree

    def slow_rmtree(path: object, *args: object, **kwargs: object) -> None:
        time.sleep(0.01)
        rmtree(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(packs.shutil, "rmtree", slow_rmtree)
    barrier = threading.Barrier(3, timeout=60)
    failures: list[str] = []

    def build() -> None:
        barrier.wait()
        try:
            packs.build(tmp_path)
        except Exception as exc:  # noqa: BLE001 - every failure is reported
            failures.append(f"{type(exc).__name__}: {exc}")

    for _ in range(12):
        threads = [threading.Thread(target=build) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    assert failures == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cost", "security"]
    for pack in ("cost", "security"):
        assert (tmp_path / pack / "__main__.py").read_bytes() == (
            packs.ROOT / "policies" / pack / "__main__.py"
        ).read_bytes()


def test_a_file_system_that_cannot_lock_a_folder_still_builds(tmp_path, monkeypatch):
    def no_folder_locks(_fd: int, _operation: int) -> None:
        raise OSError(9, "Bad file descriptor")  # NFS: flock on a folder opened to read

    monkeypatch.setattr(packs.fcntl, "flock", no_folder_locks)
    built = packs.build(tmp_path)
    assert sorted(b.folder.name for b in built) == ["cost", "security"]
    assert (tmp_path / "cost" / "__main__.py").exists()

    def denied(_fd: int, _operation: int) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(packs.fcntl, "flock", denied)
    with pytest.raises(PermissionError):  # any other failure stands
        packs.build(tmp_path)


# -- installed as `pulumi install` does it, then loaded as the engine loads it ------------------
def _installer() -> list[str] | None:
    uv = Path(sys.executable).parent / "uv"
    return [str(uv), "pip", "install", "--quiet"] if uv.exists() else None


def pulumi_install(pack_dir: Path, venv: Path) -> Path:
    """A clean virtualenv with the pack's requirements.txt alone, installed from the pack's
    folder (the CLI runs pip there). uv when the project has it (same index, same pins; seconds
    instead of a minute), else pip."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    installer = _installer()
    if installer is None:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        command = [str(python), "-m", "pip", "install", "--quiet", "-r", "requirements.txt"]
    else:
        command = [*installer, "--python", str(python), "-r", "requirements.txt"]
    done = subprocess.run(
        command, cwd=pack_dir, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode:
        said = done.stderr.strip()
        if any(w in said.lower() for w in NETWORK_WORDS):
            pytest.skip(f"the package index cannot be reached to install the pack: {said[-200:]}")
        raise AssertionError(f"installing {pack_dir} failed: {said[-2000:]}")
    return python


@pytest.fixture(scope="module")
def reference() -> Iterator[AnalyzerProcess]:
    with AnalyzerProcess(ROOT / "policies" / "security", project="baseline", stack="test") as a:
        yield a


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return packs.build(tmp_path_factory.mktemp("packs"))[0].folder.parent


def _loads_and_judges_like_the_repo(pack_dir: Path, python: Path, reference: AnalyzerProcess):
    # The helpers come from the clean venv, not from the repository.
    where = subprocess.run(
        [str(python), "-c", "import policies, toolchain; print(policies.__file__)"],
        cwd=pack_dir,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with AnalyzerProcess(pack_dir, project="baseline", stack="test", python=python) as pack:
        assert pack.name == reference.name and pack.policies == reference.policies
        found = {v.policyName for v in analyze(pack, SECURITY_GROUP, OPEN_SSH)}
        want = {v.policyName for v in analyze(reference, SECURITY_GROUP, OPEN_SSH)}
        assert found == want and found  # the open port is judged, the same way
    return where


@pytest.mark.slow
def test_a_built_pack_loads_from_its_own_folder_alone(built, tmp_path, reference):
    """The folder `pulumi policy publish` uploads: copied elsewhere (nothing of the repository
    beside it), installed, loaded: the helpers come from its wheel."""
    alone = tmp_path / "security"
    shutil.copytree(built / "security", alone)
    python = pulumi_install(alone, alone / "venv")
    where = _loads_and_judges_like_the_repo(alone, python, reference)
    assert where.startswith(str(alone / "venv"))


@pytest.mark.slow
def test_a_repository_pack_loads_from_a_venv_made_from_its_requirements(tmp_path, reference):
    """`pulumi preview --policy-pack policies/security` on a fresh clone: the CLI makes the
    pack's venv from its requirements.txt; the repository comes in editable."""
    folder = ROOT / "policies" / "security"
    python = pulumi_install(folder, tmp_path / "venv")
    where = _loads_and_judges_like_the_repo(folder, python, reference)
    assert where == str(ROOT / "policies" / "__init__.py")
    editable = list((tmp_path / "venv").rglob("*aws_baseline*.pth")) + list(
        (tmp_path / "venv").rglob("__editable__*")
    )
    assert editable  # through the editable install, not a path the test set

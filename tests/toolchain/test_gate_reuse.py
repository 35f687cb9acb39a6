"""`run_gate` keeps the packs' processes for the next run of the same packs, project and stack:
same verdicts, the same processes, never shared by two callers at once, started again when a
pack died or the gate is old, and gone with the process that kept them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from toolchain import gate as gate_module
from toolchain.export import StackExport, parse_export
from toolchain.gate import CONFIG_DIR, PACKS, project_of, run_gate, stack_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def small(dev: StackExport) -> StackExport:
    """The dev plan's first 30 resources (the stack, its providers, and some to judge): what
    is kept does not depend on the export's size, and a small one is judged quickly."""
    deployment = dev.data["deployment"]
    data = {**dev.data, "deployment": {**deployment, "resources": deployment["resources"][:30]}}
    return parse_export(data, "the dev plan, cut short")


def pack_pids(export: StackExport) -> dict[str, int]:
    """The pids of the packs kept for this export's stack (empty when none is kept)."""
    key = (tuple(PACKS), project_of(export) or "project", stack_of(export) or "stack")
    kept = gate_module._KEPT.get(key)
    if kept is None:
        return {}
    return {name: a.proc.pid for name, a in kept[0].analyzers.items() if a.proc is not None}


def verdicts(export: StackExport) -> list[tuple[str, str, str]]:
    result = run_gate(export, CONFIG_DIR / "dev")
    return [(v.policyPack, v.policyName, v.urn) for v in result.violations]


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead too (its parent has not reaped it yet).
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_the_next_run_reuses_the_packs_and_judges_alike(small):
    first = verdicts(small)
    pids = pack_pids(small)
    assert set(pids) == set(PACKS)
    assert verdicts(small) == first
    assert pack_pids(small) == pids, "the packs were started again"


def test_a_pack_that_died_while_kept_is_started_again(small):
    first = verdicts(small)
    pids = pack_pids(small)
    os.kill(pids["security"], signal.SIGKILL)
    assert verdicts(small) == first
    assert pack_pids(small)["security"] != pids["security"]


def test_an_old_gate_is_started_again(small, monkeypatch):
    verdicts(small)
    pids = pack_pids(small)
    monkeypatch.setattr(gate_module, "KEEP_S", 0.0)
    time.sleep(0.01)
    verdicts(small)
    assert set(pack_pids(small).values()).isdisjoint(pids.values())
    assert not any(alive(p) for p in pids.values()), "the old gate's packs were left running"


@pytest.mark.slow
def test_callers_at_once_each_have_a_gate_of_their_own_and_one_is_kept(small):
    """A kept gate serves one caller at a time: callers in threads at once judge alike, and one
    gate is kept afterwards, whose packs were started by the pack-starting thread and so outlive
    the callers' threads."""
    expected = verdicts(small)
    seen: list[list[tuple[str, str, str]]] = []
    threads = [threading.Thread(target=lambda: seen.append(verdicts(small))) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == [expected] * 3
    pids = pack_pids(small)
    assert set(pids) == set(PACKS) and all(alive(p) for p in pids.values())
    assert verdicts(small) == expected
    assert pack_pids(small) == pids


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="parent-death signal is Linux's")
def test_the_packs_die_with_the_process_that_kept_them(small, tmp_path):
    """A killed agent leaves no pack running: the kept packs get SIGKILL from the kernel."""
    (tmp_path / "export.json").write_text(json.dumps(small.data))
    script = (
        "import json, sys\n"
        "from toolchain.export import load_export\n"
        "from toolchain import gate\n"
        f"export = load_export({str(tmp_path / 'export.json')!r})\n"
        "gate.run_gate(export, gate.CONFIG_DIR / 'dev')\n"
        "(g, _), = gate._KEPT.values()\n"
        "print(json.dumps([a.proc.pid for a in g.analyzers.values()]), flush=True)\n"
        "sys.stdin.read()\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    pids = [int(p) for p in proc.stdout.readline().strip("[]\n").split(",")]
    assert len(pids) == len(PACKS) and all(alive(p) for p in pids)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), "a pack outlived the process that kept it"

"""Hostile inputs and faults, through the real command line: FIFOs, devices and folders where files
belong, YAML alias bombs and duplicate keys, bytes that are not UTF-8, JSON nested 10,000 deep,
files past the size cap, stack names that climb out of `build/`, numbers out of range, exports
without resources, a full disk and a closed stdout pipe.

Every case asserts the exit code, exactly one line on stderr, no traceback, and that no output was
half-written or replaced. Most run `agents.cli.main.main` in-process (fast); a FIFO and a closed
pipe
need a real process. A hypothesis property test then throws random bytes and random JSON/YAML at
every file reader and asserts it returns or raises InputError, nothing else, within a deadline.
"""

from __future__ import annotations

import errno
import json
import os
import stat
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import InputError
from agents.cli.main import main
from baseline.personas import parse_personas
from toolchain.cost import load_prices, load_usage
from toolchain.export import SECRET_SIG, SECRET_VALUE_SIG, load_export
from toolchain.gate import load_policy_config
from toolchain.inputs import (
    EXPORT_MAX_BYTES,
    YAML_MAX_BYTES,
    OutputError,
    output_path,
    read_json,
    read_yaml_file,
)
from toolchain.plan import ROOT, read_stack_config

ALIAS_BOMB = "\n".join(
    ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]" for i in range(8)]
)


def one_error_line(capsys: pytest.CaptureFixture[str], *expected: str, progress: int = 0) -> str:
    """The single error line of a failed command (after `progress` lines of progress that
    commands like `plan` print on stderr), checked to contain every `expected` part."""
    err = capsys.readouterr().err
    assert "Traceback" not in err, err
    lines = err.splitlines()[progress:]
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for part in expected:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"
    return lines[0]


def run_cli(argv: list[str], *, timeout: float = 20, **kwargs: Any) -> subprocess.CompletedProcess:
    """`python -m agents ...` in a real process, from the repository root, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "agents", *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,
    )


def minimal_export() -> dict[str, Any]:
    urn = "urn:pulumi:dev::baseline::pulumi:pulumi:Stack::baseline-dev"
    return {
        "version": 3,
        "deployment": {"resources": [{"urn": urn, "type": "pulumi:pulumi:Stack"}]},
    }


@pytest.fixture
def export_file(tmp_path: Path) -> Path:
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(minimal_export()))
    return path


# ---------------------------------------------------------------- not a regular file


@pytest.mark.parametrize(
    "argv",
    [
        ["policy", "--stack", "dev", "--export", "{fifo}"],
        ["cost", "--export", "{fifo}"],
        ["cost", "--export", "{export}", "--usage", "{fifo}"],
        ["plan", "--stack", "dev", "--no-policy", "--config", "{fifo}", "--out", "{out}"],
    ],
    ids=["policy-export", "cost-export", "cost-usage", "plan-config"],
)
def test_a_fifo_is_refused_without_blocking(tmp_path, export_file, argv):
    fifo = tmp_path / "input.fifo"
    os.mkfifo(fifo)
    out = tmp_path / "out.json"
    args = [a.format(fifo=fifo, export=export_file, out=out) for a in argv]
    # No writer ever opens the FIFO: a reader that blocked on it would hit the timeout.
    result = run_cli(args, timeout=30)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {fifo}: a FIFO, not a regular file")
    assert not out.exists()


def test_a_directory_as_export_is_refused(tmp_path, capsys):
    assert main(["policy", "--stack", "dev", "--export", str(tmp_path)]) == 2
    one_error_line(capsys, str(tmp_path), "a directory, not a regular file")


def test_a_directory_as_stack_config_is_refused(tmp_path, capsys):
    assert main(["plan", "--stack", "dev", "--config", str(tmp_path)]) == 2
    one_error_line(capsys, "a directory, not a regular file", "stack config")


def test_a_device_as_out_is_refused_and_left_alone(tmp_path, capsys):
    device = tmp_path / "null"
    try:
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("creating a device node needs root")
    assert main(["plan", "--stack", "dev", "--no-policy", "--out", str(device)]) == 2
    one_error_line(capsys, str(device), "a device")
    assert stat.S_ISCHR(os.stat(device).st_mode)  # not replaced by a regular file


def test_a_symlink_to_dev_null_as_out_is_refused(tmp_path, capsys):
    link = tmp_path / "out.json"
    link.symlink_to("/dev/null")
    assert main(["plan", "--stack", "dev", "--no-policy", "--out", str(link)]) == 2
    one_error_line(capsys, "a device", "only to a regular file or a new path")
    assert link.is_symlink() and os.readlink(link) == "/dev/null"


def test_a_directory_as_out_is_refused(tmp_path, capsys):
    assert main(["plan", "--stack", "dev", "--no-policy", "--out", str(tmp_path)]) == 2
    one_error_line(capsys, "a directory")
    assert list(tmp_path.iterdir()) == []


def test_out_under_a_file_is_refused(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("keep")
    assert main(["plan", "--stack", "dev", "--no-policy", "--out", str(blocker / "x.json")]) == 2
    one_error_line(capsys, "is not a folder")
    assert blocker.read_text() == "keep"


def test_out_resolves_a_symlink_to_the_file_it_names(tmp_path):
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    assert output_path(link) == target.resolve()
    assert output_path(tmp_path / "new" / "x.json") == (tmp_path / "new" / "x.json").resolve()
    with pytest.raises(OutputError):
        output_path(tmp_path)


# ---------------------------------------------------------------- YAML


def test_a_yaml_alias_bomb_is_refused(tmp_path, capsys, export_file):
    usage = tmp_path / "usage.yaml"
    usage.write_text(ALIAS_BOMB)  # 9**9 nodes once expanded
    assert main(["cost", "--export", str(export_file), "--usage", str(usage)]) == 2
    one_error_line(capsys, str(usage), "aliases expand to more than")


def test_a_recursive_alias_is_refused(tmp_path, capsys):
    config = tmp_path / "Pulumi.x.yaml"
    config.write_text("config: &c\n  baseline:loop: [*c]\n")
    assert main(["plan", "--stack", "dev", "--config", str(config)]) == 2
    one_error_line(capsys, str(config), "recursive alias *c at line 2")


def test_duplicate_yaml_keys_are_refused(tmp_path, capsys):
    config = tmp_path / "Pulumi.x.yaml"
    config.write_text("config:\n  baseline:natStrategy: single\n  baseline:natStrategy: per-az\n")
    out = tmp_path / "out.json"
    out.write_text('{"previous": "export"}\n')
    assert main(["plan", "--stack", "dev", "--config", str(config), "--out", str(out)]) == 2
    one_error_line(capsys, "duplicate key 'baseline:natStrategy'", "line 3")
    assert out.read_text() == '{"previous": "export"}\n'  # not replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Pulumi.x.yaml", "out.json"]


def test_non_utf8_yaml_names_the_byte_offset(tmp_path, capsys, export_file):
    usage = tmp_path / "usage.yaml"
    usage.write_bytes(b"version: 1\n# caf\xe9\n")
    assert main(["cost", "--export", str(export_file), "--usage", str(usage)]) == 2
    one_error_line(capsys, str(usage), "not UTF-8", "0xe9 at offset 16")


def test_deeply_nested_yaml_is_refused(tmp_path, capsys, export_file):
    usage = tmp_path / "usage.yaml"
    usage.write_text("[" * 5000 + "]" * 5000)
    assert main(["cost", "--export", str(export_file), "--usage", str(usage)]) == 2
    one_error_line(capsys, "nested deeper than 200")


def test_the_shipped_personas_still_load_with_their_anchors():
    doc = read_yaml_file(ROOT / "baseline" / "personas.yaml", "personas")
    assert len(parse_personas(doc)) >= 7


# ---------------------------------------------------------------- JSON and exports


def test_json_nested_10k_deep_is_refused(tmp_path, capsys):
    export = tmp_path / "deep.json"
    export.write_text('{"version": 3, "deployment": ' + "[" * 10_000 + "]" * 10_000 + "}")
    assert main(["policy", "--stack", "dev", "--export", str(export)]) == 2
    one_error_line(capsys, str(export), "nests deeper than the 200 levels allowed")


def test_non_utf8_export_names_the_byte_offset(tmp_path, capsys):
    export = tmp_path / "bad.json"
    export.write_bytes(b'{"version": 3, "x": "\xff"}')
    assert main(["cost", "--export", str(export)]) == 2
    one_error_line(capsys, "not UTF-8", "0xff at offset 21")


def test_duplicate_json_keys_are_refused(tmp_path, capsys):
    export = tmp_path / "dup.json"
    export.write_text('{"version": 3, "version": 2, "deployment": {"resources": []}}')
    assert main(["policy", "--stack", "dev", "--export", str(export)]) == 2
    one_error_line(capsys, "duplicate key 'version'")


def test_an_export_past_the_size_cap_is_refused_unread(tmp_path, capsys):
    export = tmp_path / "huge.json"
    with export.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(EXPORT_MAX_BYTES + 1)
    assert main(["cost", "--export", str(export)]) == 2
    one_error_line(capsys, f"{EXPORT_MAX_BYTES + 1} bytes, more than the {EXPORT_MAX_BYTES}")


def test_a_yaml_file_past_the_size_cap_is_refused(tmp_path, capsys, export_file):
    usage = tmp_path / "usage.yaml"
    with usage.open("wb") as fh:
        fh.truncate(YAML_MAX_BYTES + 1)
    assert main(["cost", "--export", str(export_file), "--usage", str(usage)]) == 2
    one_error_line(capsys, "more than the 1048576 allowed")


@pytest.mark.parametrize("resources", [{}, [], "", None], ids=["object", "list", "str", "null"])
def test_the_gate_refuses_an_export_without_resources(tmp_path, capsys, resources):
    export = tmp_path / "empty.json"
    deployment = {} if resources is None else {"resources": resources}
    export.write_text(json.dumps({"version": 3, "deployment": deployment}))
    assert main(["policy", "--stack", "dev", "--export", str(export)]) == 2
    line = one_error_line(capsys, str(export), "'deployment.resources'")
    assert "is empty" in line or "is not a list" in line


def test_nan_in_an_export_is_refused(tmp_path, capsys):
    export = tmp_path / "nan.json"
    export.write_text('{"version": 3, "deployment": {"resources": [NaN]}}')
    assert main(["cost", "--export", str(export)]) == 2
    one_error_line(capsys, "NaN is not a JSON number")


def test_a_long_path_is_one_line(tmp_path, capsys):
    assert main(["cost", "--export", str(tmp_path / ("x" * 5000))]) == 2
    line = one_error_line(capsys, "cannot read the stack export")
    assert len(line) <= 510


# ---------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["plan", "--stack", "../x"], "invalid stack name '../x'"),
        (["plan", "--stack", "Dev"], "invalid stack name 'Dev'"),
        (["plan", "--stack", "a" * 64], "at most 63 characters"),
        (["plan", "--stack", "-dev"], "argument --stack"),
        (["policy", "--stack", "../../etc", "--export", "x.json"], "invalid stack name"),
        (["cost", "savings", "--stack", "dev/../../x"], "invalid stack name"),
        (["run", "release-engineer", "--stack", "PROD"], "invalid stack name"),
        (["audit", "--stack", "a b"], "invalid stack name"),
        (["repair", "--stack", "../x"], "invalid stack name"),
        (["audit", "--limit", "-1"], "expected 1 to 100000, got -1"),
        (["audit", "--limit", "0"], "expected 1 to 100000, got 0"),
        (["audit", "--limit", "100001"], "expected 1 to 100000"),
        (["audit", "--limit", "ten"], "expected an integer"),
        (["audit", "--since", "yesterday"], "expected an ISO 8601 timestamp"),
        (["run", "release-engineer", "--interval", "-1"], "expected 1 to 86400, got -1"),
        (["run", "release-engineer", "--interval", "nan"], "expected 1 to 86400"),
        (["run", "release-engineer", "--interval", "1e9"], "expected 1 to 86400"),
        (["cost", "refresh-prices", "--region", "../x"], "invalid AWS region"),
        (["approve", "x" * 10_000], "is not an approval id"),
        (["reject", "../../approval.key"], "is not an approval id"),
        (["run", "release-engineer", "--approval", "20261126185012-A1B2C3"], "not an approval id"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(tmp_path, capsys, argv, message):
    before = sorted(p.name for p in (ROOT / "build").glob("*")) if (ROOT / "build").is_dir() else []
    assert main(argv) == 2
    one_error_line(capsys, message)
    after = sorted(p.name for p in (ROOT / "build").glob("*")) if (ROOT / "build").is_dir() else []
    assert after == before
    assert not (ROOT / "x.plan.json").exists()


# ---------------------------------------------------------------- faults


@pytest.mark.slow
def test_a_full_disk_leaves_the_old_export_whole(tmp_path, capsys, monkeypatch):
    out = tmp_path / "dev.plan.json"
    out.write_text('{"old": true}\n')

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    assert main(["plan", "--stack", "dev", "--no-policy", "--out", str(out)]) == 2
    one_error_line(capsys, str(out.resolve()), "the disk is full", "nothing written", progress=1)
    assert out.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary file left


def test_a_read_only_folder_is_one_line(tmp_path, capsys, monkeypatch):
    import toolchain.inputs  # noqa: PLC0415

    real_open = os.open

    def read_only(path: Any, flags: int, *args: Any, **kwargs: Any) -> Any:
        if flags & os.O_CREAT:
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_open(path, flags, *args, **kwargs)

    # Tests run as root, whom file modes do not stop; fail the temporary file like a ro mount.
    monkeypatch.setattr(toolchain.inputs.os, "open", read_only)
    out = tmp_path / "out.json"
    from toolchain.inputs import write_output  # noqa: PLC0415

    with pytest.raises(OutputError, match="Read-only file system"):
        write_output(out, "{}")
    assert not out.exists()


def test_a_closed_stdout_pipe_ends_quietly(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    record = json.dumps(
        {"ts": "2026-11-29T00:00:00", "event": "x", "stack": "dev", "pad": "y" * 200}
    )
    (state / "audit.jsonl").write_text((record + "\n") * 2000)  # ~500 KiB, far past a pipe buffer
    env = {**os.environ, "AGENTS_STATE_DIR": str(state)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "agents", "audit", "--json", "--limit", "100000"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()  # like `| head -1`: read one line, then go away
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=30)
    assert code == 141, err
    assert err == ""


# ---------------------------------------------------------------- property: every reader


def _policy_config(path: Path) -> Any:
    return load_policy_config(path.parent, path.stem)


READERS: dict[str, tuple[str, Callable[[Path], Any]]] = {
    "read_json": ("x.json", lambda p: read_json(p, "file")),
    "read_yaml_file": ("x.yaml", lambda p: read_yaml_file(p, "file")),
    "load_export": ("x.json", load_export),
    "load_policy_config": ("security.json", _policy_config),
    "load_prices": ("aws-prices-2026-01-01.json", load_prices),
    "load_usage": ("usage.yaml", load_usage),
    "read_stack_config": ("Pulumi.x.yaml", read_stack_config),
    "personas": ("personas.yaml", lambda p: parse_personas(read_yaml_file(p, "personas"), str(p))),
}

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)


yaml_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
yaml_keys = st.none() | st.booleans() | st.integers() | st.text(max_size=20)
# YAML allows what JSON does not: keys that are numbers, booleans or null; NaN and infinities.
yaml_values = st.recursive(
    yaml_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(yaml_keys, children, max_size=5)
    ),
    max_leaves=30,
)


def _documents() -> st.SearchStrategy[bytes]:
    as_json = json_values.map(lambda v: json.dumps(v).encode())
    as_yaml = json_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True).encode())
    export_like = json_values.map(
        lambda v: json.dumps({"version": 3, "deployment": {"resources": v}}).encode()
    )
    usage_like = yaml_values.map(
        lambda v: yaml.safe_dump({"version": 1, "defaults": v, "resources": v}).encode()
    )
    odd_yaml = yaml_values.map(lambda v: yaml.safe_dump(v).encode())
    config_like = yaml_values.map(lambda v: yaml.safe_dump({"config": v}).encode())
    return st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        as_json,
        as_yaml,
        export_like,
        usage_like,
        odd_yaml,
        config_like,
        # Inject YAML syntax the dumper never writes: anchors, aliases, tags, flow collections.
        st.lists(
            st.sampled_from(["&a", "*a", "!!binary", "!!timestamp", "<<:", "[", "{", ":", "-", "1"])
            | st.text(max_size=5),
            max_size=20,
        ).map(lambda parts: " ".join(parts).encode()),
    )


@pytest.mark.parametrize("reader", sorted(READERS))
@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=_documents())
def test_every_reader_returns_or_raises_input_error(reader, data):
    name, read = READERS[reader]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        try:
            read(path)
        except InputError as exc:
            assert str(exc).startswith(str(path)), exc  # names the file first


def test_a_secret_whose_plaintext_is_not_json_is_refused(tmp_path, capsys):
    export = minimal_export()
    export["deployment"]["resources"].append(
        {
            "urn": "urn:pulumi:dev::baseline::aws:s3/bucketV2:BucketV2::b",
            "type": "aws:s3/bucketV2:BucketV2",
            "custom": True,
            "inputs": {"bucket": {SECRET_SIG: SECRET_VALUE_SIG, "plaintext": "{not json"}},
        }
    )
    path = tmp_path / "secret.json"
    path.write_text(json.dumps(export))
    assert main(["policy", "--stack", "dev", "--export", str(path)]) == 2
    one_error_line(capsys, "a secret in the export: not JSON", progress=1)

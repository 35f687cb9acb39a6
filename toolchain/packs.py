"""The policy packs as Pulumi installs and publishes them: one self-contained folder per pack.

`pulumi install` and `pulumi policy publish` see only a pack's folder: its `PulumiPolicy.yaml`, its
`requirements.txt` and the files beside them. Inside this repository the packs import their shared
helpers (`policies.common`, `policies.values`, ...) and the stack-export toolchain
(`toolchain.cost`, `toolchain.export`, `toolchain.aws_types`) from the repository, which the pack
folders reach in two ways:

- In the repository (`pulumi preview --policy-pack policies/security`): each pack folder has its
  own `requirements.txt` (the runtime pins plus `-e ../..`, this repository as an editable
  package) and its own virtualenv (`venv` in `PulumiPolicy.yaml`). The Pulumi CLI makes that
  virtualenv and installs the requirements the first time it loads the pack (it runs
  `pip install -r requirements.txt` in the pack's folder, so `../..` is the repository root);
  `pulumi install` in the pack's folder does the same. Our own gate (`toolchain.gate`) starts the
  packs with the project's interpreter instead and needs neither.
- Built for publishing (`python -m toolchain.packs`, `make packs`): `build/packs/<pack>/` holds
  the pack's `__main__.py`, a `PulumiPolicy.yaml` with its own virtualenv, and `wheels/` with one
  wheel, `aws_baseline_policies`, of the packages the packs import (`policies`, `toolchain`, with
  the price and tag data); its `requirements.txt` names the pins and that wheel by a path inside
  the folder. Nothing outside the folder is needed, so `pulumi policy publish build/packs/security`
  uploads all of it.

The runtime pins (`PACK_REQUIREMENTS`) are read from the repository's `requirements.txt`, so a
pack never pins another version than the program's; `tests/toolchain/test_packs.py` checks the
in-repository folders' files say the same, and installs both kinds into a clean virtualenv from
their `requirements.txt` alone and loads them.

The wheel is written here (PEP 427: a zip with `METADATA`, `WHEEL` and a `RECORD` of SHA-256
sums) rather than by a build backend: pure Python files and data, no compiler, no network, and
the same bytes for the same sources (fixed timestamps, sorted entries).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import fcntl
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import tomllib
import zipfile
from dataclasses import dataclass
from pathlib import Path

from toolchain import InputError
from toolchain.inputs import OneLineParser

ROOT = Path(__file__).resolve().parent.parent
PACKS = ("security", "cost")
DIST = "aws_baseline_policies"
# What a pack needs at run time besides the wheel (their versions: the repository's pins).
PACK_REQUIREMENTS = ("pulumi", "pulumi-policy", "pyyaml", "semver")
# Package data of `toolchain` the packs read (prices, usage defaults, how each type takes tags).
DATA_SUFFIXES = (".json", ".yaml")
_EPOCH = (1980, 1, 1, 0, 0, 0)


class PackBuildError(InputError):
    """The packs cannot be built as asked (a missing pin, an output path that is not allowed)."""


@dataclass(frozen=True)
class BuiltPack:
    name: str
    folder: Path
    wheel: Path


def version(root: Path = ROOT) -> str:
    data = tomllib.loads((root / "pyproject.toml").read_text())
    return str(data["project"]["version"])


def pins(root: Path = ROOT) -> dict[str, str]:
    """`name==version` of each of `PACK_REQUIREMENTS`, as the repository's requirements.txt pins
    it. A missing or unpinned one is an error: a pack must not float."""
    found: dict[str, str] = {}
    for raw in (root / "requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" not in line:
            continue
        name, _, pinned = line.partition("==")
        key = name.strip().lower().replace("_", "-")
        if key in PACK_REQUIREMENTS:
            found[key] = f"{key}=={pinned.strip()}"
    missing = [n for n in PACK_REQUIREMENTS if n not in found]
    if missing:
        raise PackBuildError(f"requirements.txt pins no version of {', '.join(missing)}")
    return {n: found[n] for n in PACK_REQUIREMENTS}


def repo_requirements(root: Path = ROOT) -> str:
    """The `requirements.txt` of a pack folder inside the repository."""
    lines = [
        "# What `pulumi install` (or the CLI, at the pack's first load) puts in this pack's",
        "# virtualenv: the runtime pins of the repository's requirements.txt, and the repository",
        "# itself, editable, for the shared helpers (`policies`, `toolchain`). pip runs in this",
        "# folder, so ../.. is the repository root. Kept in step by `python -m toolchain.packs`.",
        *pins(root).values(),
        "-e ../..",
    ]
    return "\n".join(lines) + "\n"


def pack_yaml(pack: str, root: Path = ROOT) -> str:
    """`PulumiPolicy.yaml`: the pack's description and version, its own virtualenv."""
    description = {
        "security": 'Baseline security rules for the AWS platform (see README, "Policy rules").',
        "cost": 'Baseline cost rules for the AWS platform (see README, "Policy rules").',
    }[pack]
    return (
        f"description: {description}\n"
        "runtime:\n"
        "  name: python\n"
        "  options:\n"
        "    virtualenv: venv\n"
        f"version: {version(root)}\n"
    )


def _sources(root: Path) -> list[tuple[str, Path]]:
    """(archive name, file) of what goes in the wheel: every module of `policies` and
    `toolchain`, and toolchain's data files; no caches, no policy config."""
    chosen: list[tuple[str, Path]] = []
    for package in ("policies", "toolchain"):
        base = root / package
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            if not path.is_file() or "__pycache__" in rel.parts or "config" in rel.parts[1:2]:
                continue
            if path.suffix == ".py" or (package == "toolchain" and path.suffix in DATA_SUFFIXES):
                chosen.append((rel.as_posix(), path))
    return chosen


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"sha256={digest}"


def wheel_bytes(root: Path = ROOT) -> tuple[str, bytes]:
    """(file name, bytes) of the helpers' wheel."""
    ver = version(root)
    info = f"{DIST}-{ver}.dist-info"
    requires = [p for n, p in pins(root).items() if n != "pulumi"]
    metadata = "\n".join(
        [
            "Metadata-Version: 2.1",
            f"Name: {DIST.replace('_', '-')}",
            f"Version: {ver}",
            "Summary: The shared helpers of the baseline policy packs (policies, toolchain).",
            "Requires-Python: >=3.11",
            *(f"Requires-Dist: {r}" for r in requires),
            "",
        ]
    )
    wheel_meta = "Wheel-Version: 1.0\nGenerator: toolchain.packs\nRoot-Is-Purelib: true\n"
    wheel_meta += "Tag: py3-none-any\n"
    entries: list[tuple[str, bytes]] = [(name, path.read_bytes()) for name, path in _sources(root)]
    entries += [
        (f"{info}/METADATA", metadata.encode()),
        (f"{info}/WHEEL", wheel_meta.encode()),
        (f"{info}/top_level.txt", b"policies\ntoolchain\n"),
    ]
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{info}/RECORD,,\n"
    entries.append((f"{info}/RECORD", record.encode()))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            member = zipfile.ZipInfo(name, date_time=_EPOCH)
            member.external_attr = 0o644 << 16
            member.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(member, data)
    return f"{DIST}-{ver}-py3-none-any.whl", buffer.getvalue()


def check_out(out: Path, root: Path = ROOT) -> Path:
    """Where the packs may be written: never inside the sources they are built from, the
    repository root itself, or a virtualenv."""
    target = out.resolve()
    for source in (root / "policies", root / "toolchain", root / ".venv"):
        if target == source.resolve() or source.resolve() in target.parents:
            raise PackBuildError(f"--out {out}: inside {source.name}/, which the packs come from")
    if target in (root.resolve(), *root.resolve().parents):
        raise PackBuildError(f"--out {out}: the repository or a folder above it; name a subfolder")
    if target.exists() and not target.is_dir():
        raise PackBuildError(f"--out {out}: not a folder")
    return target


def build(out: Path, root: Path = ROOT) -> list[BuiltPack]:
    """Write `out/<pack>/` for every pack. Each folder is built beside its place and swapped in
    whole, so a failed build leaves the previous one as it was."""
    target = check_out(out, root)
    target.mkdir(parents=True, exist_ok=True)
    wheel_name, wheel = wheel_bytes(root)
    requirements = "\n".join(
        [
            "# The runtime pins of the repository, and the packs' shared helpers as a wheel inside",
            "# this folder (pip runs here, so the path is the folder's own).",
            *pins(root).values(),
            f"./wheels/{wheel_name}",
            "",
        ]
    )
    # One build swaps the folders at a time (a lock on the out folder itself, so no file is left
    # in it): builds at once into one folder had collided on the `.<pack>.old` names (8 of 600).
    # Where the file system cannot lock a folder (NFS emulates flock with byte-range locks,
    # which a folder opened to read cannot take), builds go on unserialized, as before: a
    # collision there fails the build, it never mixes two builds' files.
    lock = os.open(target, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in _NO_FOLDER_LOCKS:
                raise
        return _swap_in(target, root, wheel_name, wheel, requirements)
    finally:
        os.close(lock)


_NO_FOLDER_LOCKS = frozenset({errno.EBADF, errno.EINVAL, errno.ENOLCK, errno.EOPNOTSUPP})


def _swap_in(
    target: Path, root: Path, wheel_name: str, wheel: bytes, requirements: str
) -> list[BuiltPack]:
    built = []
    for pack in PACKS:
        staging = Path(tempfile.mkdtemp(prefix=f".{pack}-", dir=target))
        try:
            (staging / "wheels").mkdir()
            (staging / "wheels" / wheel_name).write_bytes(wheel)
            (staging / "requirements.txt").write_text(requirements)
            (staging / "PulumiPolicy.yaml").write_text(pack_yaml(pack, root))
            shutil.copyfile(root / "policies" / pack / "__main__.py", staging / "__main__.py")
            for path in staging.rglob("*"):
                path.chmod(0o755 if path.is_dir() else 0o644)
            staging.chmod(0o755)
            final = target / pack
            old = target / f".{pack}.old"
            shutil.rmtree(old, ignore_errors=True)
            if final.exists():
                final.rename(old)
            staging.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        built.append(BuiltPack(pack, final, final / "wheels" / wheel_name))
    return built


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m toolchain.packs",
        description="Build self-contained policy pack folders for pulumi policy publish.",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "packs")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument(
        "--sync",
        action="store_true",
        help="instead, rewrite the in-repository pack folders' requirements.txt and "
        "PulumiPolicy.yaml from the repository's pins (after a pin moves)",
    )
    args = parser.parse_args(argv)
    try:
        if args.sync:
            for path in sync():
                print(f"wrote {path.relative_to(ROOT)}")
            return 0
        built = build(args.out)
    except (InputError, OSError) as exc:
        print(f"packs: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(
            json.dumps(
                [{"pack": b.name, "folder": str(b.folder), "wheel": str(b.wheel)} for b in built],
                indent=2,
            )
        )
    else:
        width = max(len(b.name) for b in built)
        for b in built:
            size = b.wheel.stat().st_size
            print(f"{b.name:<{width}}  {b.folder}  ({b.wheel.name}, {size:,} bytes)")
        print(f"publish with: pulumi policy publish {built[0].folder}")
    return 0


def stale_files(root: Path = ROOT) -> list[Path]:
    """In-repository pack files that differ from what this module would write."""
    stale = []
    for pack in PACKS:
        folder = root / "policies" / pack
        expected = {
            folder / "requirements.txt": repo_requirements(root),
            folder / "PulumiPolicy.yaml": pack_yaml(pack, root),
        }
        for path, text in expected.items():
            current = None
            with contextlib.suppress(OSError, UnicodeDecodeError):
                current = path.read_text()
            if current != text:
                stale.append(path)
    return stale


def sync(root: Path = ROOT) -> list[Path]:
    """Write the in-repository pack files that are stale; returns them."""
    written = []
    for path in stale_files(root):
        pack = path.parent.name
        text = repo_requirements(root) if path.name == "requirements.txt" else pack_yaml(pack, root)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(path)
        written.append(path)
    return written


if __name__ == "__main__":
    raise SystemExit(main())

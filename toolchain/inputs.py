"""Readers of every file and argument a user hands to `python -m agents`, built to fail closed.

Every problem is an `InputError` (the caller picks the subclass) with one line naming the file and
what is wrong; `agents.cli.main.main` turns it into exit 2. The decisions:

- Regular files only. A path is `stat`ed before it is opened and refused unless it is a regular
  file (a FIFO would block the reader forever, a device would stream without end, a directory is
  not data); it is then opened with `O_NONBLOCK`, so a FIFO swapped in between the two steps
  still cannot block, and `fstat`ed again.
- A size cap per kind: `EXPORT_MAX_BYTES` (64 MiB; the prod plan is under 0.5 MiB and a large
  live stack a few MiB), `JSON_MAX_BYTES` (16 MiB; price files and policy configs) and
  `YAML_MAX_BYTES` (1 MiB; stack files, usage files, personas). At most cap + 1 bytes are ever read.
- UTF-8 only, checked strictly; the error gives the byte offset of the first bad byte.
- JSON: nesting bounded by `MAX_DEPTH` (200; an export nests about 12 deep) by a scan before the
  parser runs, duplicate keys refused (the last one would silently win), NaN, Infinity and
  numbers that overflow to infinity refused (a NaN price or limit compares false with everything).
- YAML through a strict loader (PyYAML's safe loader, pure Python so its composer can be
  bounded): duplicate keys refused, keys that are not strings refused (`yes:`, `1:` and `null:`
  keys are YAML 1.1 surprises; none of our files has one), nesting bounded by `MAX_DEPTH`,
  explicit tags (`!!binary`, `!!timestamp`, ...) refused (our files need none, and PyYAML's
  constructors for them fail in odd ways on odd scalars), and aliases bounded rather than banned,
  because `baseline/personas.yaml` shares IAM statements through anchors: at most `MAX_ALIASES`
  aliases per document, which together may expand to at most `MAX_ALIAS_NODES` nodes. A
  "billion laughs" document exceeds that budget after a bounded walk, and a recursive alias
  (`&a [*a]`) is refused outright, before anything is built from either.
- Outputs (`--out`, `--out-dir`, `--assignments`) go only onto a regular file or a new path, are
  resolved (a symlink is followed to where the data will really land) and that path is what the
  commands print; a write that fails (read-only or full disk) leaves the old file as it was and is
  one line. The caller names what no output may replace (`protect`: the agents' state folder and
  its files; this module cannot know them, as it imports nothing of `agents`) and the command's
  own `inputs`; both are compared by path and by inode (`check_output`).
- Names and numbers from the command line are checked by the `type=` functions at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import math
import os
import re
import stat
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from toolchain import InputError
from toolchain.untrusted import escape

EXPORT_MAX_BYTES = 64 * 1024 * 1024
JSON_MAX_BYTES = 16 * 1024 * 1024
YAML_MAX_BYTES = 1024 * 1024
MAX_DEPTH = 200
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000

STACK_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")


class OutputError(InputError):
    """An output path that cannot be written (not a regular file, read-only, disk full)."""


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def _oserror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def open_regular(
    path: str | Path, what: str, *, error: type[InputError] = InputError
) -> tuple[int, os.stat_result]:
    """A read-only file descriptor of a regular file, and its fstat: refuses FIFOs, devices,
    directories and sockets at once (opened non-blocking, checked again after the open in case
    the path was swapped), with one line naming the file and `what` it should have been."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except OSError as exc:
        raise error(f"{p}: cannot read the {what} ({_oserror(exc)})") from exc
    except ValueError as exc:  # an embedded NUL in the path
        raise error(f"{p!r}: not a usable path for the {what}") from exc
    if not stat.S_ISREG(mode):
        raise error(f"{p}: {_kind(mode)}, not a regular file; the {what} must be a file")
    try:
        fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
    except OSError as exc:
        raise error(f"{p}: cannot read the {what} ({_oserror(exc)})") from exc
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):  # replaced between stat and open
        os.close(fd)
        raise error(f"{p}: {_kind(info.st_mode)}, not a regular file; the {what} must be a file")
    return fd, info


def read_limited(fd: int, limit: int) -> bytes | None:
    """The rest of the open file `fd`, read in 1 MiB steps, or None once it is past `limit`
    bytes (reading at most one byte more): a file that grows while it is read cannot make the
    reader hold more than `limit`. `OSError` is the caller's to word."""
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(1 << 20, limit + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return None if size > limit else b"".join(chunks)


def read_bytes(
    path: str | Path, what: str, *, limit: int, error: type[InputError] = InputError
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (see the module docstring)."""
    p = Path(path)
    fd, info = open_regular(p, what, error=error)
    try:
        if info.st_size > limit:
            raise error(f"{p}: the {what} is {info.st_size} bytes, more than the {limit} allowed")
        data = read_limited(fd, limit)
    except OSError as exc:
        raise error(f"{p}: cannot read the {what} ({_oserror(exc)})") from exc
    finally:
        os.close(fd)
    if data is None:  # grew while being read
        raise error(f"{p}: the {what} is more than the {limit} bytes allowed")
    return data


def decode_utf8(data: bytes, source: str, what: str, error: type[InputError]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(
            f"{source}: the {what} is not UTF-8 "
            f"(byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from exc


def read_text(
    path: str | Path, what: str, *, limit: int, error: type[InputError] = InputError
) -> str:
    return decode_utf8(read_bytes(path, what, limit=limit, error=error), str(path), what, error)


# ---------------------------------------------------------------- JSON

# Always matches (to the closing quote or the end), so it never backtracks: linear time.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")


def json_depth(data: bytes, stop_after: int = MAX_DEPTH) -> int:
    """The deepest nesting of arrays and objects in JSON text (brackets inside strings ignored),
    counted no further than `stop_after` + 1; linear and without recursion, so it runs before the
    (recursive) parser."""
    brackets = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", data))
    depth = deepest = 0
    for byte in brackets:
        if byte in b"[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > stop_after:
                    break
        else:
            depth -= 1
    return deepest


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(f"duplicate key {key!r}")
            seen.add(key)
    return obj


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:40]} is out of range")
    return number


def parse_json(data: bytes, source: str, what: str, *, error: type[InputError] = InputError) -> Any:
    """Decoded JSON from bytes, with the checks of the module docstring."""
    text = decode_utf8(data, source, what, error)
    if json_depth(data) > MAX_DEPTH:
        raise error(f"{source}: the {what} nests deeper than the {MAX_DEPTH} levels allowed")
    try:
        return json.loads(
            text, object_pairs_hook=_unique_keys, parse_constant=_no_constant, parse_float=_finite
        )
    except json.JSONDecodeError as exc:
        raise error(f"{source}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    except RecursionError as exc:  # a backstop: json_depth should have stopped it
        raise error(f"{source}: the {what} nests too deep") from exc
    except ValueError as exc:  # duplicate key, NaN, an integer of thousands of digits
        raise error(f"{source}: not usable JSON ({str(exc).splitlines()[0]})") from exc


def read_json(
    path: str | Path,
    what: str,
    *,
    limit: int = JSON_MAX_BYTES,
    error: type[InputError] = InputError,
) -> Any:
    """A JSON file's value: a regular file of at most `limit` bytes, UTF-8, bounded depth, no
    duplicate keys."""
    return parse_json(
        read_bytes(path, what, limit=limit, error=error), str(path), what, error=error
    )


# ---------------------------------------------------------------- YAML


def _strict_loader() -> type:
    """The loader class, built on first use: commands that read no YAML never import PyYAML."""
    import yaml  # noqa: PLC0415
    from yaml.composer import ComposerError  # noqa: PLC0415
    from yaml.constructor import ConstructorError  # noqa: PLC0415
    from yaml.events import AliasEvent  # noqa: PLC0415
    from yaml.nodes import CollectionNode, MappingNode, Node  # noqa: PLC0415

    def expanded_size(node: Node, budget: int) -> int:
        """Nodes under `node` with every alias expanded, counting stops past `budget` (so a
        billion laughs or a cycle costs at most `budget` steps)."""
        count, todo = 0, [node]
        while todo and count <= budget:
            current = todo.pop()
            count += 1
            if isinstance(current, MappingNode):
                for key, value in current.value:
                    todo += (key, value)
            elif isinstance(current, CollectionNode):
                todo += current.value
        return count

    class StrictLoader(yaml.SafeLoader):
        def __init__(self, stream: str) -> None:
            super().__init__(stream)
            self._depth = 0
            self._aliases = 0
            self._alias_nodes = 0
            self._open_anchors: list[str] = []  # anchors of the nodes being composed

        def compose_node(self, parent: Node | None, index: Any) -> Any:
            event = self.peek_event()
            if self.check_event(AliasEvent):
                if event.anchor in self._open_anchors:
                    raise ComposerError(
                        None, None, f"recursive alias *{event.anchor}", event.start_mark
                    )
                target = self.anchors.get(event.anchor)
                if target is not None:
                    self._aliases += 1
                    if self._aliases > MAX_ALIASES:
                        raise ComposerError(
                            None, None, f"more than {MAX_ALIASES} aliases", event.start_mark
                        )
                    budget = MAX_ALIAS_NODES - self._alias_nodes
                    self._alias_nodes += expanded_size(target, budget)
                    if self._alias_nodes > MAX_ALIAS_NODES:
                        raise ComposerError(
                            None,
                            None,
                            f"aliases expand to more than {MAX_ALIAS_NODES} nodes "
                            "(an alias bomb or a recursive alias)",
                            event.start_mark,
                        )
                return super().compose_node(parent, index)
            if getattr(event, "tag", None) not in (None, "!"):
                raise ComposerError(
                    None, None, f"explicit tag {event.tag} (not allowed)", event.start_mark
                )
            anchor = getattr(event, "anchor", None)
            if anchor is not None:
                self._open_anchors.append(anchor)
            self._depth += 1
            try:
                if self._depth > MAX_DEPTH:
                    raise ComposerError(
                        None, None, f"nested deeper than {MAX_DEPTH}", event.start_mark
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1
                if anchor is not None:
                    self._open_anchors.pop()

        def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
            self.flatten_mapping(node)
            seen: set[Any] = set()
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=deep)
                try:
                    duplicate = key in seen
                except TypeError:  # unhashable: the base class says so
                    continue
                if not isinstance(key, str):  # `yes:`/`1:`/`null:` keys are YAML 1.1 surprises
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"key {key!r} is not a string (quote it)",
                        key_node.start_mark,
                    )
                if duplicate:
                    raise ConstructorError(
                        "while constructing a mapping",
                        node.start_mark,
                        f"duplicate key {key!r}",
                        key_node.start_mark,
                    )
                seen.add(key)
            return super().construct_mapping(node, deep=deep)

    return StrictLoader


_loader: type | None = None


def _yaml_message(exc: Exception) -> str:
    problem = getattr(exc, "problem", None)
    mark = getattr(exc, "problem_mark", None)
    if problem and mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return (str(exc).splitlines() or ["unreadable"])[0]


def parse_yaml(text: str, source: str, what: str, *, error: type[InputError] = InputError) -> Any:
    """The one document of YAML text (None when empty), with the checks of the module
    docstring."""
    import yaml  # noqa: PLC0415

    global _loader  # noqa: PLW0603 - built once, on first use
    if _loader is None:
        _loader = _strict_loader()
    loader = None
    try:
        loader = _loader(text)  # reads the first characters: may already raise
        return loader.get_single_data()
    except yaml.YAMLError as exc:
        raise error(f"{source}: not valid YAML ({_yaml_message(exc)})") from exc
    except RecursionError as exc:  # a backstop: the composer's depth bound should stop it
        raise error(f"{source}: the {what} nests too deep") from exc
    except (ValueError, OverflowError) as exc:  # a bad !!timestamp, an integer of 5000 digits
        raise error(f"{source}: not usable YAML ({str(exc).splitlines()[0]})") from exc
    finally:
        if loader is not None:
            loader.dispose()


def read_yaml_file(
    path: str | Path,
    what: str,
    *,
    limit: int = YAML_MAX_BYTES,
    error: type[InputError] = InputError,
) -> Any:
    return parse_yaml(read_text(path, what, limit=limit, error=error), str(path), what, error=error)


# ---------------------------------------------------------------- outputs


def default_state_dir() -> Path:
    """Where the agents keep their state when `AGENTS_STATE_DIR` names no folder: under
    `XDG_STATE_HOME` (or `~/.local/state`), `baseline-agents`. Defined here, below the agents,
    so that a command of the toolchain refuses to write into it too (`state_dirs`) without
    importing them; `agents.protocol.settings` takes its default from here."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "baseline-agents"


def state_dirs() -> list[Path]:
    """The agents' state folders as the environment names them: `AGENTS_STATE_DIR` when set,
    and the default folder always (state an earlier run left there is state still). No output
    of any command may land in them: the audit log, the approval key, the token store and the
    records are there. For `protect` of a command outside the agents (the PR comment); the
    agents' own commands protect their loaded settings' folder and files by name as well."""
    folders = [default_state_dir()]
    named = (os.environ.get("AGENTS_STATE_DIR") or "").strip()
    if named:
        folders.insert(0, Path(named))
    return folders


def output_path(
    path: str | Path,
    what: str = "output",
    *,
    protect: Sequence[str | Path] = (),
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Where an output really lands: the path resolved through symlinks, refused unless it is a
    regular file or does not exist yet (inside a folder, or a folder still to be made), and
    refused when it is (or is inside) one of `protect` (the agents' state folder, the audit log,
    the token store: files no report may replace) or is one of the command's `inputs` (a log
    overwritten by its own analysis); both compared by path and by inode, so a symlink or a hard
    link to them is refused too. See `check_output`."""
    target = _output_target(path, what, folder=False)
    check_output(target, what, protect=protect, inputs=inputs, shown=path)
    return target


def _identity(path: str | Path) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return info.st_dev, info.st_ino


def _resolved_or_none(path: str | Path) -> Path | None:
    try:
        return Path(path).resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def check_output(
    target: Path,
    what: str,
    *,
    protect: Sequence[str | Path] = (),
    inputs: Sequence[str | Path] = (),
    shown: str | Path | None = None,
) -> None:
    """Refuse (`OutputError`, one line) an output `target` (already resolved) that would land on
    or inside a protected path, or on an input of the same command: compared by resolved path,
    and by (device, inode) of the target and of each folder above it, so neither a symlink, a
    hard link, a bind mount nor another spelling of the path gets through."""
    name = shown if shown is not None else target
    ancestors: list[tuple[int, int]] = []
    for folder in (target, *target.parents):
        ident = _identity(folder)
        if ident is not None:
            ancestors.append(ident)
    own = _identity(target)
    for kind, paths in (("protected", protect), ("input", inputs)):
        for raw in paths:
            guarded = _resolved_or_none(raw)
            ident = _identity(raw)
            inside = guarded is not None and (target == guarded or target.is_relative_to(guarded))
            same = ident is not None and (
                own == ident or (kind == "protected" and ident in ancestors)
            )
            if inside or same:
                why = (
                    f"it is the command's input {raw}"
                    if kind == "input"
                    else f"{raw} is the agents' state, which no output may replace"
                )
                raise OutputError(f"{name}: refused as the {what}: {why}; choose another path")


def _check_parent(resolved: Path, what: str) -> Path:
    for parent in resolved.parents:
        try:
            mode = os.stat(parent).st_mode
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            raise OutputError(
                f"{resolved}: cannot write the {what} there ({_oserror(exc)})"
            ) from exc
        if not stat.S_ISDIR(mode):
            raise OutputError(f"{resolved}: {parent} is not a folder; cannot write the {what}")
        break
    return resolved


def output_dir(
    path: str | Path, what: str = "output folder", *, protect: Sequence[str | Path] = ()
) -> Path:
    """A folder for outputs: an existing directory or a new path, resolved; never a protected
    folder nor one inside it (see `check_output`)."""
    target = _output_target(path, what, folder=True)
    check_output(target, what, protect=protect, shown=path)
    return target


def _output_target(path: str | Path, what: str, *, folder: bool) -> Path:
    action = f"cannot use it as the {what}" if folder else f"cannot write the {what} there"
    try:
        resolved = Path(path).resolve()
    except (OSError, RuntimeError, ValueError) as exc:  # a symlink loop, a NUL in the path
        raise OutputError(f"{path!r}: {action} ({exc})") from exc
    try:
        mode = os.stat(resolved).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return _check_parent(resolved, what)
    except OSError as exc:
        raise OutputError(f"{path}: {action} ({_oserror(exc)})") from exc
    if folder and not stat.S_ISDIR(mode):
        raise OutputError(f"{path}: {_kind(mode)}; the {what} must be a folder or a new path")
    if not folder and not stat.S_ISREG(mode):
        raise OutputError(
            f"{path}: {_kind(mode)}; the {what} goes only to a regular file or a new path"
        )
    return resolved


def write_output(
    path: str | Path,
    text: str,
    what: str = "output",
    *,
    protect: Sequence[str | Path] = (),
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Write an output atomically (see `write_atomic`) to the checked, resolved path (see
    `output_path`) and return it; a failure is one line and leaves whatever was there
    untouched."""

    target = output_path(path, what, protect=protect, inputs=inputs)
    with _checked_folder(target, what, protect, inputs) as folder:
        try:
            _write_in(folder, target.name, text)
        except OSError as exc:
            why = "the disk is full" if exc.errno == errno.ENOSPC else _oserror(exc)
            raise OutputError(
                f"{target}: cannot write the {what} ({why}); nothing written"
            ) from exc
    return target


@contextlib.contextmanager
def _checked_folder(
    target: Path, what: str, protect: Sequence[str | Path], inputs: Sequence[str | Path]
) -> Iterator[int]:
    """The open folder of `target` (see `_open_folder`), checked once more: `output_path` read
    paths, and the folder may have been swapped for a link to a protected one since. What is
    checked here is the folder actually opened, and the file it would replace."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder, seen = _open_folder(target.parent)
    except OSError as exc:
        raise OutputError(
            f"{target}: cannot write the {what}: its folder changed or cannot be opened "
            f"({_oserror(exc)}); nothing written"
        ) from exc
    try:
        guarded = {i for i in (_identity(p) for p in (*protect, *inputs)) if i is not None}
        existing = _identity_at(target.name, folder)
        if guarded & {*seen, existing} - {None}:
            raise OutputError(
                f"{target}: refused as the {what}: its folder changed to a protected one or "
                "an input while it was being written; nothing written"
            )
        yield folder
    finally:
        os.close(folder)


def _open_folder(path: Path) -> tuple[int, list[tuple[int, int]]]:
    """A descriptor of the folder `path` (absolute, resolved), opened one name at a time from
    `/` without following a symlink (a name swapped for a link since `path` was resolved is
    refused: ELOOP or ENOTDIR), and the (device, inode) of every folder on the way."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
    fd = os.open("/", flags)
    seen = [(os.fstat(fd).st_dev, os.fstat(fd).st_ino)]
    try:
        for name in path.parts[1:]:
            nxt = os.open(name, flags | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
            info = os.fstat(fd)
            seen.append((info.st_dev, info.st_ino))
    except BaseException:
        os.close(fd)
        raise
    return fd, seen


def _identity_at(name: str, folder: int) -> tuple[int, int] | None:
    try:
        info = os.stat(name, dir_fd=folder, follow_symlinks=False)
    except OSError:
        return None
    return info.st_dev, info.st_ino


def _write_in(folder: int, name: str, text: str, *, exclusive: bool = False) -> None:
    """The atomic write of `write_atomic` and `write_output`, inside an open folder: a new
    temporary file there (never through a link), written and fsynced, then renamed over `name`;
    removed on any failure. `exclusive`: linked to `name` instead, which fails with
    `FileExistsError` when `name` exists (whatever it is), and then removed."""
    try:
        mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
    except FileNotFoundError:
        pass
    else:
        if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
            raise FileExistsError(errno.EEXIST, "exists and is not a regular file", name)
    tmp = f".{name}.{os.urandom(6).hex()}.tmp"
    fd = os.open(
        tmp,
        os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
        0o600,
        dir_fd=folder,
    )
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if exclusive:
            os.link(tmp, name, src_dir_fd=folder, dst_dir_fd=folder, follow_symlinks=False)
            with contextlib.suppress(OSError):  # written: a temporary left behind is harmless
                os.unlink(tmp, dir_fd=folder)
        else:
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=folder)
        raise


def replace_output(
    source: str | Path,
    path: str | Path,
    what: str = "output",
    *,
    protect: Sequence[str | Path] = (),
    inputs: Sequence[str | Path] = (),
) -> Path:
    """Move a finished temporary file (`source`, in the target's folder) over the output `path`,
    checked again first (the path may have been swapped while the data was made): the same
    atomic rename as `write_atomic`, one line on failure, `source` removed either way."""
    try:
        target = output_path(path, what, protect=protect, inputs=inputs)
        with _checked_folder(target, what, protect, inputs) as folder:
            try:
                # By name inside the checked folder: a source made in another (swapped) folder
                # is not there, and nothing is moved.
                os.replace(Path(source).name, target.name, src_dir_fd=folder, dst_dir_fd=folder)
            except OSError as exc:
                why = "the disk is full" if exc.errno == errno.ENOSPC else _oserror(exc)
                raise OutputError(
                    f"{target}: cannot write the {what} ({why}); nothing written"
                ) from exc
        return target
    finally:
        Path(source).unlink(missing_ok=True)


# ---------------------------------------------------------------- command-line values


class OneLineParser(argparse.ArgumentParser):
    """argparse whose usage error is one line on stderr, `<prog>: error: <problem>`, and exit 2
    (argparse's own prints the usage line first). The problem is escaped: it quotes what was
    typed, control characters included. `--help` prints the usage in full, as before."""

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}: error: {escape(message)}\n")


def stack_name(value: str) -> str:
    """argparse `type=`: a stack name as Pulumi and our file names allow it."""
    if not STACK_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(
            f"invalid stack name {value[:80]!r}: lowercase letters, digits and '-', "
            "starting with a letter or digit, at most 63 characters"
        )
    return value


# The ids `agents.protocol.approvals` makes (and the only ones it reads).
APPROVAL_ID = re.compile(r"[0-9]{14}-[0-9a-f]{6}")


def approval_id(value: str) -> str:
    """An approval id as the store makes them (`20261126185012-a1b2c3`): anything else (a long
    string, a path) is refused before it reaches the file system."""
    if not APPROVAL_ID.fullmatch(value):
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise argparse.ArgumentTypeError(
            f"{shown!r} is not an approval id (YYYYMMDDhhmmss-xxxxxx, as `status` lists them)"
        )
    return value


def int_range(low: int, high: int) -> Callable[[str], int]:
    """argparse `type=`: an integer within [low, high]."""

    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {value[:80]!r}") from None
        if not low <= number <= high:
            raise argparse.ArgumentTypeError(f"expected {low} to {high}, got {number}")
        return number

    parse.__name__ = "integer"
    return parse


def float_range(low: float, high: float) -> Callable[[str], float]:
    """argparse `type=`: a finite number within [low, high] (NaN and inf refused)."""

    def parse(value: str) -> float:
        try:
            number = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {value[:80]!r}") from None
        if not low <= number <= high:  # False for NaN too
            raise argparse.ArgumentTypeError(f"expected {low:g} to {high:g}, got {value[:80]}")
        return number

    parse.__name__ = "number"
    return parse


def iso_timestamp(value: str) -> str:
    """argparse `type=`: an ISO 8601 date or timestamp (compared as text with the log's)."""
    import datetime  # noqa: PLC0415

    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an ISO 8601 timestamp like 2026-11-29T14:00:00, got {value[:80]!r}"
        ) from None
    return value


def finite_number(value: Any) -> float | None:
    """`value` as a finite float, or None when it is not a number a reader may use: a bool (YAML's
    `true` would count as 1), anything but an int or a float, NaN, an infinity (YAML's `.inf`), or
    an integer too large for a float (which would overflow to `inf` or raise)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def aws_region(value: str) -> str:
    """argparse `type=`: an AWS region name such as us-east-1."""
    if not re.fullmatch(r"[a-z]{2}(-[a-z]+)+-\d{1,2}", value):
        raise argparse.ArgumentTypeError(f"invalid AWS region {value[:80]!r} (like us-east-1)")
    return value


def write_atomic(path: str | Path, text: str, *, exclusive: bool = False) -> None:
    """Write a file so that readers see the old content or the new, never a part: a temporary
    file in the same folder, flushed and fsynced, then renamed over the target. A target that
    exists but is not a regular file (a device, a FIFO, a folder) is never replaced; on any
    failure the temporary file is removed and the target is as it was. `exclusive`: only a new
    file is made; a target that exists (made by another writer meanwhile too) raises
    `FileExistsError` and is left as it is."""
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        pass
    else:
        if not stat.S_ISREG(mode):
            raise FileExistsError(errno.EEXIST, "exists and is not a regular file", str(p))
    p.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(p.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _write_in(folder, p.name, text, exclusive=exclusive)
    finally:
        os.close(folder)


def read_yaml(path: Path, what: str, error: type[InputError] = InputError) -> Any:
    """A YAML file's document (None when empty); a file that cannot be read or parsed raises
    `error` with one line naming the file and `what` it should have been (the checks of
    `read_yaml_file`)."""
    return read_yaml_file(path, what, error=error)

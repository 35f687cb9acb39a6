"""Stack exports a tool reads by path (`export`, `baseline` of `summarize-infra` and
`cost-estimate`): only regular files inside the allowed folders (`AGENTS_MCP_EXPORT_DIRS`).

Design decisions (fail closed):

- A path is what the client gave: relative to an allowed folder (tried in the order of the
  setting; the first that has it wins) or absolute inside one. `..`, NUL, an empty path and
  paths over 1024 characters are refused before the file system is touched.
- The path is resolved (symlinks followed) and must land inside an allowed folder (itself
  resolved): a symlink that points out is refused. The resolved path is then opened one name at a
  time from `/` without following a symlink, so a name swapped for a link after the check is
  refused too (the file read is the file checked).
- Regular files only, with one link: a FIFO, a device, a folder or a socket is refused before it
  is opened (and again after, from the descriptor), and a hard link (which could name a file of
  another folder) is refused. At most `toolchain.inputs.EXPORT_MAX_BYTES` are read, then parsed
  by the project's readers (`toolchain.inputs.parse_json`: UTF-8, bounded depth, no duplicate
  keys, no NaN; `toolchain.export.parse_export`: a version 3 export with resources).
- Every refusal is an `ExportRefused` of one line that names the path as the client gave it
  (escaped, clipped), never a folder of the server's own layout; the MCP server records it on the
  audit log (`mcp.call`, outcome `refused`).
"""

from __future__ import annotations

import dataclasses
import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from agents import one_line
from agents.skills.registry import SkillInputError
from toolchain import ToolchainError, untrusted
from toolchain.inputs import read_limited

if TYPE_CHECKING:
    from toolchain.export import StackExport

MAX_PATH_CHARS = 1024
SETTING = "AGENTS_MCP_EXPORT_DIRS"


class ExportRefused(SkillInputError):
    """An export path refused (outside the allowed folders, not a regular file, unreadable or
    not an export); one line, without the server's folders."""


def shown(path: str) -> str:
    """The path as the client gave it, quoted, escaped and clipped: safe in one line."""
    clipped = path if len(path) <= 120 else path[:117] + "..."
    return repr(untrusted.escape(clipped))


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISLNK(mode):
        return "a symlink"
    return "a special file"


def _roots(folders: Sequence[Path]) -> list[Path]:
    """The allowed folders that exist, resolved (one that does not exist holds nothing)."""
    roots: list[Path] = []
    for folder in folders:
        try:
            real = folder.resolve(strict=True)
        except (OSError, RuntimeError):
            continue
        if real.is_dir():
            roots.append(real)
    return roots


def _candidates(given: str, label: str, roots: list[Path]) -> list[Path]:
    if not given.strip() or "\x00" in given or len(given) > MAX_PATH_CHARS:
        raise ExportRefused(f"{label}: not a usable path")
    pure = PurePosixPath(given)
    if ".." in pure.parts:
        raise ExportRefused(f"{label}: '..' is not allowed in an export path")
    if pure.is_absolute():
        return [Path(pure)]
    return [root / pure for root in roots]


def _open_resolved(real: Path, label: str) -> int:
    """A descriptor of the regular file at `real` (absolute, resolved), opened one name at a
    time from `/` without following any symlink."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NOFOLLOW
    fd = os.open("/", flags)
    try:
        for name in real.parts[1:-1]:
            nxt = os.open(name, flags, dir_fd=fd)
            os.close(fd)
            fd = nxt
        mode = os.stat(real.name, dir_fd=fd, follow_symlinks=False).st_mode
        if not stat.S_ISREG(mode):
            raise ExportRefused(f"{label}: {_kind(mode)}, not a regular file")
        file_fd = os.open(
            real.name,
            os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC | os.O_NOFOLLOW,
            dir_fd=fd,
        )
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.ENOENT):
            raise ExportRefused(f"{label}: changed while it was being opened; refused") from None
        raise ExportRefused(f"{label}: cannot be read ({exc.strerror or 'error'})") from None
    finally:
        os.close(fd)
    return file_fd


def _read(fd: int, label: str, limit: int) -> bytes:
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):  # swapped between the stat and the open
            raise ExportRefused(f"{label}: {_kind(info.st_mode)}, not a regular file")
        if info.st_nlink != 1:
            raise ExportRefused(
                f"{label}: a file with {info.st_nlink} hard links (one may be outside the "
                "allowed folders); copy it instead"
            )
        if info.st_size > limit:
            raise ExportRefused(f"{label}: {info.st_size} bytes, more than the {limit} allowed")
        data = read_limited(fd, limit)
    except OSError as exc:
        raise ExportRefused(f"{label}: cannot be read ({exc.strerror or 'error'})") from None
    finally:
        os.close(fd)
    if data is None:  # grew while being read
        raise ExportRefused(f"{label}: more than the {limit} bytes allowed")
    return data


def read_export(given: str, what: str, folders: Sequence[Path]) -> StackExport:
    """The stack export at `given` (see the module docstring); `what` names it in errors
    (`export`, `baseline`). Its `source` is the path as given."""
    from toolchain.export import parse_export  # noqa: PLC0415
    from toolchain.inputs import EXPORT_MAX_BYTES, parse_json  # noqa: PLC0415

    label = f"{what} {shown(given)}"
    if not folders:
        raise ExportRefused(f"{label}: reading exports by path is off ({SETTING} is empty)")
    roots = _roots(folders)
    candidates = _candidates(given, label, roots)
    for candidate in candidates:
        try:
            real = candidate.resolve(strict=True)
        except FileNotFoundError:
            continue
        except (OSError, RuntimeError):
            raise ExportRefused(f"{label}: cannot be resolved (a symlink loop?)") from None
        if not any(real == root or real.is_relative_to(root) for root in roots):
            raise ExportRefused(
                f"{label}: outside the folders exports are read from ({SETTING}); a symlink "
                "may not point out of them"
            )
        data = _read(_open_resolved(real, label), label, EXPORT_MAX_BYTES)
        try:
            export = parse_export(
                parse_json(data, label, f"{what} export", error=ExportRefused),
                label,
                require_resources=True,
            )
        except ToolchainError as exc:
            raise ExportRefused(one_line(str(exc), 300)) from None
        # Named as the client named it: the source shows in the answer, the server's folder not.
        return dataclasses.replace(export, source=untrusted.escape(given[:200]))
    if Path(given).is_absolute() and not any(
        Path(given) == r or Path(given).is_relative_to(r) for r in roots
    ):
        raise ExportRefused(f"{label}: outside the folders exports are read from ({SETTING})")
    raise ExportRefused(f"{label}: no such file in the folders exports are read from ({SETTING})")


__all__ = ["ExportRefused", "read_export"]

"""The command lines of README.md's shell blocks, as a reader would type them (issue 21).

A shell block is a fence opened with ```sh, ```bash, ```shell or ```console. In it, a command is
a line (with its `\\` continuations joined) minus a trailing `# comment`; whole-line comments and
blank lines are not commands. A leading `$ ` prompt is dropped; in a ```console block only the
`$ ` lines are commands (the others are what they print). Other fences (```json, ```python, and
the plain ``` of synopses and transcripts) are not shell blocks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SHELL_FENCES = frozenset({"sh", "bash", "shell", "console"})
_FENCE = re.compile(r"^\s*```\s*([\w+-]*)")


@dataclass(frozen=True)
class Command:
    line: int  # README line (1-based) where the command starts
    text: str  # as typed: continuations joined, the trailing comment dropped, spaces collapsed
    fence: str  # the block's language: sh, bash, shell or console


def strip_comment(line: str) -> str:
    """`line` without a trailing `# comment` (a `#` outside quotes, at the start or after a
    space), right-stripped."""
    quote = ""
    escaped = False
    for i, ch in enumerate(line):
        if escaped:
            escaped = False
        elif ch == "\\" and quote != "'":
            escaped = True
        elif quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip()
    return line.rstrip()


def _normalize(text: str) -> str:
    # Collapses runs of spaces outside quotes only ("a  b" inside quotes is kept as typed).
    out: list[str] = []
    quote = ""
    for ch in text.strip():
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch.isspace():
            if not out or out[-1] != " ":
                out.append(" ")
            continue
        out.append(ch)
    return "".join(out)


def extract(markdown: str) -> list[Command]:
    """Every command of `markdown`'s shell blocks, in the order they appear."""
    commands: list[Command] = []
    lines = markdown.splitlines()
    fence: str | None = None  # the open block's language ("" for a plain fence), None outside
    i = 0
    while i < len(lines):
        raw = lines[i]
        match = _FENCE.match(raw)
        if match:
            fence = match.group(1).lower() if fence is None else None
            i += 1
            continue
        if fence not in SHELL_FENCES:
            i += 1
            continue
        start = i
        stripped = raw.strip()
        prompted = stripped.startswith("$ ") or stripped == "$"
        if fence == "console" and not prompted:
            i += 1
            continue
        if prompted:
            stripped = stripped[1:].lstrip()
        parts = [stripped]
        while parts[-1].endswith("\\") and i + 1 < len(lines) and not _FENCE.match(lines[i + 1]):
            parts[-1] = parts[-1][:-1]
            i += 1
            parts.append(lines[i].strip())
        i += 1
        text = _normalize(strip_comment(" ".join(parts)))
        if text:
            commands.append(Command(line=start + 1, text=text, fence=fence or ""))
    return commands


def extract_file(path: Path) -> list[Command]:
    return extract(path.read_text(encoding="utf-8"))


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_OPTIONAL = re.compile(r"\s*\[[^\[\]]*\]")
_PLACEHOLDERS = (
    re.compile(r"<[^<>\s]+>"),  # <id>
    re.compile(r"(?<![\w./$-])[A-Z][A-Z0-9_]*[A-Z0-9](?![\w./-])"),  # FINDING_ID, PERSONA, TS
    re.compile(r"(?<=\w)\|(?=\w)"),  # dev|prod: alternatives, not a pipe
    re.compile(r"\.\.\.|…"),  # and so on
)


def drop_optional(text: str) -> str:
    """`text` without its `[optional]` parts (a synopsis's brackets), i.e. its shortest form."""
    previous = None
    while previous != text:
        previous, text = text, _OPTIONAL.sub("", text)
    return text


def placeholders(text: str) -> list[str]:
    """The parts of `text` a reader has to replace before running it (outside quotes)."""
    bare = _QUOTED.sub("''", text)
    found: list[str] = []
    for pattern in _PLACEHOLDERS:
        found += pattern.findall(bare)
    if "[" in bare and "]" in bare:
        found.append("[...]")
    return found

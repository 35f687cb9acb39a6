"""The README's command lines, run as written, so that a stale example fails CI (issue 21).

Every command of README.md's shell blocks (`tests/readme_commands.py` says what one is) is either
runnable here, and then run, or named in `NOT_RUN` with the reason it cannot run here (the Pulumi
CLI, AWS credentials, docker, a network, a long run). A command that is neither, e.g. a new one,
fails `test_every_command_is_run_or_declared` until it runs or is declared.

Runnable here: `python -m agents ...` (also `python3`, `.venv/bin/python`), `baseline-agents
...`, `.venv/bin/baseline-agents ...`, and the offline make targets in `OFFLINE_MAKE_TARGETS`.
They run in the order they appear, each in its own shell, from the root of a copy of the
working tree (so `build/`, `cost.md` and the like land there, not in the checkout), with the
project's `.venv/bin` first on PATH (`python` is the venv's), one fresh AGENTS_STATE_DIR for
the whole sequence, and AWS pointing nowhere (an endpoint that refuses, fake keys, no profile).
A synopsis's `[optional]` parts are dropped (the shortest form runs); any other placeholder
must be filled from `PROVIDED` or the line declared. Each must exit 0, or the code in
`EXIT_CODES` where the README says it exits otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from agents.cli.main import build_parser
from tests.readme_commands import (
    Command,
    drop_optional,
    extract,
    extract_file,
    placeholders,
    strip_comment,
)

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# Offline make targets (no credentials, no network, seconds).
OFFLINE_MAKE_TARGETS = frozenset({"plan", "plan-prod", "packs", "native", ".venv/.installed"})
_RUNNABLE = re.compile(
    r"^(?:(?:\.venv/bin/)?python3?\s+-m\s+agents|(?:\.venv/bin/)?baseline-agents)(?:\s|$)"
)
_MAKE = re.compile(r"^make\s+(\S+)$")

PULUMI = "needs the Pulumi CLI and AWS credentials"
DEPLOYED = (
    "the deployed setup: an S3 state backend, an AWS profile, a DynamoDB lock table and a "
    "Secrets Manager key; the runs need the Pulumi CLI and AWS"
)
DOCKER = "needs docker buildx (and a registry to push to)"

# Commands that cannot run here, exactly as extracted, each with its reason. An entry whose
# command is no longer in the README fails `test_not_run_names_only_readme_commands`.
NOT_RUN: dict[str, str] = {
    # Quick start
    "make test": "the whole suite (CI's test job runs it)",
    "make test-slow": "the long end-to-end tests, this one included (CI runs them)",
    "make bench": "long: the benchmarks take minutes",
    "make chaos": "long: the agents under injected faults for 4 minutes",
    "make image": DOCKER,
    # Policy packs, the Pulumi way
    "pulumi preview -s prod --policy-pack policies/security --policy-pack-config "
    "policies/config/prod/security.json --policy-pack policies/cost --policy-pack-config "
    "policies/config/prod/cost.json": PULUMI,
    "export AGENTS_MCP_TOKEN_STORE=dynamodb AGENTS_DYNAMODB_TABLE=baseline-agent-locks "
    "AGENTS_DYNAMODB_REGION=us-east-1": "points the shell at the cluster's lock table (AWS)",
    "python -m agents mcp-token create --name alice-laptop --ttl-days 30 > "
    "~/.config/baseline/dev-mcp.token": "writes the token into the cluster's lock table (AWS)",
    "kubectl port-forward -n agents-mcp svc/agents-mcp 8765:8765": "needs a cluster",
    "pulumi policy publish build/packs/security": PULUMI + " (and a Pulumi Cloud organization)",
    "pulumi policy publish build/packs/cost": PULUMI + " (and a Pulumi Cloud organization)",
    # Cost diff for a pull request
    "git worktree add /tmp/base origin/main": (
        "adds a git worktree of origin/main to the checkout (a base branch; the next line's "
        "plan of it is PROVIDED below)"
    ),
    '(cd /tmp/base && "$OLDPWD/.venv/bin/python" -m agents plan --stack prod --no-policy '
    "--out /tmp/base.json)": "plans the worktree of the line above (PROVIDED below)",
    'gh pr comment "$PR" --body-file cost.md': "needs the GitHub CLI, a network and a pull request",
    # Running the agents for real
    "export PULUMI_BACKEND_URL=s3://my-state-bucket": DEPLOYED,
    "export AWS_PROFILE=platform-deployer": DEPLOYED,
    "export AGENTS_STATE_DIR=/var/lib/baseline-agents": DEPLOYED,
    "export AGENTS_LOCK_BACKEND=dynamodb AGENTS_DYNAMODB_TABLE=baseline-agent-locks": DEPLOYED,
    "export AGENTS_APPROVAL_KEY_SECRET=baseline-agents/dev/approval-key": DEPLOYED,
    "python -m agents init-lock-table": DEPLOYED,
    "python -m agents init-approval-key": DEPLOYED,
    "python -m agents run reliability-engineer --once": DEPLOYED,
    "python -m agents run release-engineer --stack prod --once": DEPLOYED,
    "python -m agents status": DEPLOYED,
    'python -m agents approve 20261126185012-a1b2c3 --reason "replacement reviewed with the DBA"': (
        DEPLOYED + "; the id is one the release engineer's pass printed"
    ),
    # Reading the records
    "python -m agents audit verify --source cloudwatch": (
        "reads the audit log group from CloudWatch Logs: needs AWS credentials and "
        "AGENTS_AUDIT_LOG_GROUP"
    ),
    # The image
    "make image PLATFORMS=linux/amd64 PUSH=--load": DOCKER,
    "docker buildx build --platform linux/amd64,linux/arm64 -t ghcr.io/OWNER/baseline-agents:TAG "
    "--push .": DOCKER,
    # Skills
    "python -m agents logs analyze app.log.gz [--budget 2000] [--json] [--assignments ids.txt]": (
        "a synopsis over the reader's own log file (tests/agents/skills cover the command)"
    ),
    "python -m agents logs analyze --group /aws/eks/prod/cluster --region us-east-1 --minutes 60": (
        "reads a CloudWatch Logs group: needs AWS credentials"
    ),
    "kubectl logs deploy/api | python -m agents logs analyze -": "needs kubectl and a cluster",
    # MCP
    "python -m agents mcp --transport http --port 8765": (
        "a server that runs until stopped, on a fixed port (tests/agents/mcp cover it)"
    ),
    # Deploying for real
    "pulumi login --local": "needs the Pulumi CLI",
    "pulumi login s3://my-state-bucket?region=us-east-1&awssdk=v2": PULUMI,
    "pulumi stack init dev": "needs the Pulumi CLI",
    "$EDITOR Pulumi.dev.yaml": "opens an editor (interactive)",
    "make preview STACK=dev": PULUMI,
    "make up STACK=dev": PULUMI,
}

# A command that needs one the README shows further down runs right after that one.
RUN_AFTER: dict[str, tuple[str, str]] = {
    'python -m agents memory search "what failed on prod last week"': (
        "python -m agents memory index --runbooks benchmarks/data/memory/runbooks",
        "a search needs an index; the README indexes further down",
    ),
}

# Paths that a NOT_RUN line would have written: the path in a command is replaced by a file in
# the run's folder, made (before the command runs) by the function from the working copy.
PROVIDED: dict[str, Callable[[Path, Path], object]] = {
    # the base branch's plan; here the branch's own plan stands in (a diff with no change)
    "/tmp/base.json": lambda work, path: shutil.copyfile(work / "build/new.json", path),
}

# Exit codes other than 0, where the README says a command exits so: command -> (code, where).
EXIT_CODES: dict[str, tuple[int, str]] = {}

# Cheap evidence that a command did its job: a word of its output, or of the file it wrote.
EXPECT: dict[str, tuple[str, str]] = {
    "make plan": ("output", "dev.plan.json"),
    "make plan-prod": ("output", "prod.plan.json"),
    "make packs": ("output", "pulumi policy publish"),
    "make native": ("output", "native: "),  # compiled, or why not
    ".venv/bin/python -m agents plan --stack prod --no-policy --out build/new.json": (
        "build/new.json",
        '"resources"',
    ),
    ".venv/bin/python -m agents cost --export build/new.json --baseline /tmp/base.json "
    "--markdown > cost.md": ("cost.md", "prod"),
    "python -m agents memory index --runbooks benchmarks/data/memory/runbooks": (
        "output",
        "runbook",
    ),
    "python -m agents summarize --export build/prod.plan.json [--baseline old.json] "
    "[--budget 3000]": ("output", "prod"),
    "python -m agents tokens build/prod.plan.json": ("output", "build/prod.plan.json"),
    "python -m agents mcp-token create --name ci-reviewer > reviewer.token": (
        "output",
        "ci-reviewer",
    ),
}

COMMAND_TIMEOUT_S = 180
# Not copied into the working copy: the checkout's caches and outputs (.venv is linked).
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "build",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".agents-state",
    "node_modules",
    "*.egg-info",
)


def commands() -> list[Command]:
    return extract_file(README)


def runnable(text: str) -> bool:
    if _RUNNABLE.match(text):
        return True
    make = _MAKE.match(text)
    return bool(make and make.group(1) in OFFLINE_MAKE_TARGETS)


def to_run() -> list[Command]:
    """The runnable commands, in README order, a RUN_AFTER one moved after its prerequisite."""
    ordered = [c for c in commands() if c.text not in NOT_RUN and runnable(c.text)]
    deferred = [c for c in ordered if c.text in RUN_AFTER]
    ordered = [c for c in ordered if c.text not in RUN_AFTER]
    for command in deferred:
        after = RUN_AFTER[command.text][0]
        index = next(i for i, c in enumerate(ordered) if c.text == after)
        ordered.insert(index + 1, command)
    return ordered


def _unfilled(text: str) -> list[str]:
    for path in PROVIDED:
        text = text.replace(path, "provided")
    return placeholders(drop_optional(text))


# --- the extraction itself ---------------------------------------------------------------------


def test_extraction_joins_continuations_and_drops_comments_and_output():
    markdown = "\n".join(
        [
            "```sh",
            "make plan    # a comment",
            "# a whole-line comment",
            "",
            "pulumi preview -s prod \\",
            "  --policy-pack policies/security   # packs",
            'python -m agents memory search "a # in quotes"  # not this',
            "$ python -m agents status",
            "```",
            "```",
            "python -m agents plan --stack dev|prod   # a synopsis: not a shell block",
            "```",
            "```console",
            "$ python -m agents rules",
            "| printed | table |",
            "```",
            "```json",
            '{"command": "x"}',
            "```",
        ]
    )
    found = [(c.line, c.text, c.fence) for c in extract(markdown)]
    assert found == [
        (2, "make plan", "sh"),
        (5, "pulumi preview -s prod --policy-pack policies/security", "sh"),
        (7, 'python -m agents memory search "a # in quotes"', "sh"),
        (8, "python -m agents status", "sh"),
        (14, "python -m agents rules", "console"),
    ]


def test_placeholders_are_found_outside_quotes_and_optional_parts_dropped():
    assert placeholders('python -m agents memory search "NAT cost doubled" --k 5') == []
    assert placeholders("python -m agents approve FINDING_ID") == ["FINDING_ID"]
    assert placeholders("python -m agents approve <id>") == ["<id>"]
    assert placeholders("python -m agents plan --stack dev|prod") == ["|"]
    assert placeholders('gh pr comment "$PR"') == []
    text = "python -m agents summarize --export x.json [--baseline old.json] [--budget 3000]"
    assert drop_optional(text) == "python -m agents summarize --export x.json"


# --- every command runs or says why not --------------------------------------------------------


def test_the_readme_has_commands_to_check():
    assert len(commands()) >= 10
    assert to_run(), "no README command is runnable here: the classification is broken"


def test_every_command_is_run_or_declared():
    undeclared = [
        f"README.md:{c.line}: {c.text}"
        for c in commands()
        if c.text not in NOT_RUN and not runnable(c.text)
    ]
    assert not undeclared, (
        "README commands that cannot run here and are not declared: make them runnable "
        "offline, or add each to NOT_RUN in tests/test_readme.py with the reason:\n"
        + "\n".join(undeclared)
    )


def test_runnable_commands_have_no_unfilled_placeholder():
    unfilled = [
        f"README.md:{c.line}: {c.text}: {_unfilled(c.text)}" for c in to_run() if _unfilled(c.text)
    ]
    assert not unfilled, (
        "placeholders in runnable README commands: fill them (PROVIDED) or declare the line "
        "(NOT_RUN):\n" + "\n".join(unfilled)
    )


def test_the_tables_name_only_readme_commands():
    texts = {c.text for c in commands()}
    stale = [t for t in NOT_RUN if t not in texts]
    stale += [t for t in EXPECT if t not in texts]
    stale += [t for t in EXIT_CODES if t not in texts]
    stale += [t for t, (after, _) in RUN_AFTER.items() for t in (t, after) if t not in texts]
    stale += [p for p in PROVIDED if not any(p in t for t in texts)]
    assert not stale, "entries of tests/test_readme.py no longer in README.md:\n" + "\n".join(stale)
    assert not (set(EXPECT) | set(EXIT_CODES)) & set(NOT_RUN)


# --- running them ------------------------------------------------------------------------------


def _working_copy(tmp: Path) -> Path:
    """A copy of the working tree whose `.venv` links to the checkout's venv, entry by entry,
    beside a stamp of its own: the README's make lines then use the installed venv as it is,
    and never reinstall the shared one (which they would whenever requirements*.txt or
    pyproject.toml is newer than the checkout's stamp). `build/native` is copied as well."""
    work = tmp / "repo"
    shutil.copytree(ROOT, work, ignore=_NOT_COPIED, symlinks=True)
    venv = work / ".venv"
    venv.mkdir()
    for entry in (ROOT / ".venv").iterdir():
        if entry.name != ".installed":
            (venv / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    (venv / ".installed").touch()
    # The checkout's compiled log clustering too, when it has one: the README's `make native`
    # then checks it against the copy's sources (the same files) and keeps it, where a build from
    # nothing would spend half this test's time compiling what `make test` compiled just before
    # (a fresh clone's `make test` is where the build from nothing is run). A build for other
    # sources fails that check and is rebuilt, as in any checkout.
    native = ROOT / "build" / "native"
    if native.is_dir():
        shutil.copytree(native, work / "build" / "native", symlinks=True)
    return work


def _environment(work: Path, state: Path) -> dict[str, str]:
    drop = ("AWS_", "AGENTS_", "PULUMI_", "MAKE", "MFLAGS", "VIRTUAL_ENV", "PYTHON")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(
        PATH=f"{work / '.venv' / 'bin'}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        AGENTS_STATE_DIR=str(state),
        AWS_ENDPOINT_URL="http://127.0.0.1:1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE=str(state.parent / "no-aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(state.parent / "no-aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.splitlines()[-lines:])


@pytest.mark.slow
def test_readme_commands_run_as_written(tmp_path):
    venv = ROOT / ".venv" / "bin" / "python"
    if not venv.exists():
        pytest.skip(
            "no .venv in the checkout (the README's commands use it): make .venv/.installed"
        )
    work = _working_copy(tmp_path)
    state = tmp_path / "state"
    env = _environment(work, state)

    failures: list[str] = []
    timings: list[str] = []
    for command in to_run():
        text = drop_optional(command.text)
        for path, make in PROVIDED.items():
            if path in text:
                local = tmp_path / "provided" / Path(path).name
                local.parent.mkdir(exist_ok=True)
                make(work, local)
                text = text.replace(path, str(local))
        started = time.monotonic()
        try:
            done = subprocess.run(
                ["bash", "-c", text],
                cwd=work,
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=COMMAND_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            failures.append(f"README.md:{command.line}: {command.text}\n  timed out")
            continue
        timings.append(f"{time.monotonic() - started:5.1f}s  {command.text}")
        output = done.stdout + done.stderr
        want, where = EXIT_CODES.get(command.text, (0, ""))
        if done.returncode != want:
            failures.append(
                f"README.md:{command.line}: {command.text}\n  exit {done.returncode}, "
                f"expected {want}{f' ({where})' if where else ''}:\n{_tail(output)}"
            )
            continue
        if command.text in EXPECT:
            source, word = EXPECT[command.text]
            seen = output if source == "output" else (work / source).read_text(errors="replace")
            if word not in seen:
                failures.append(
                    f"README.md:{command.line}: {command.text}\n  {word!r} not in its "
                    f"{source}:\n{_tail(seen)}"
                )
    print("\n".join(timings))
    assert not failures, "README commands that fail as written:\n\n" + "\n\n".join(failures)


# --- the synopses (plain fences) name commands and flags that exist ---------------------------


def _subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def _synopsis_problems(text: str, root: argparse.ArgumentParser) -> list[str]:
    """What in one synopsis line (`python -m agents cost --export FILE [--json | --markdown]`)
    the CLI does not have: a subcommand or a flag."""
    words = shlex.split(text.replace("[", " ").replace("]", " "))[3:]
    parser, problems, i = root, [], 0
    while i < len(words):
        word = words[i]
        i += 1
        if word == "|":
            continue
        if word.startswith("-"):
            action = parser._option_string_actions.get(word)
            if action is None:
                problems.append(f"no flag {word} for `{parser.prog}`")
            elif action.nargs != 0 and i < len(words) and not words[i].startswith("-"):
                i += 1  # its value
            continue
        subs = _subparsers(parser)
        names = word.split("|")
        if subs and names[0] in subs:
            problems += [f"no subcommand `{parser.prog} {n}`" for n in names if n not in subs]
            parser = subs[names[0]]
        elif subs and not any(
            not a.option_strings and not isinstance(a, argparse._SubParsersAction)
            for a in parser._actions
        ):  # not a subcommand, nor a positional argument of this command
            problems.append(f"no subcommand `{parser.prog} {word}`")
    return problems


def test_synopses_name_subcommands_and_flags_that_exist():
    """The plain fences' `python -m agents ...` lines are synopses (placeholders, `[options]`,
    `a|b`), not run; but each subcommand and flag they name must exist."""
    root = build_parser()
    lines = README.read_text(encoding="utf-8").splitlines()
    problems: list[str] = []
    fence: str | None = None
    checked = 0
    for number, raw in enumerate(lines, 1):
        if raw.lstrip().startswith("```"):
            fence = raw.strip()[3:].strip() if fence is None else None
            continue
        line = raw.strip().removeprefix("$ ")
        if fence == "" and line.startswith("python -m agents "):
            checked += 1
            text = strip_comment(line)
            problems += [f"README.md:{number}: {p}" for p in _synopsis_problems(text, root)]
    assert checked, "no synopsis found in README.md's plain fences"
    assert not problems, "README synopses naming what the CLI lacks:\n" + "\n".join(problems)

"""`make preview STACK=...` and `make up STACK=...`: a person's own `pulumi preview` / `pulumi up`,
never without the policy packs.

It runs the real Pulumi CLI (`pulumi` on PATH, or `--pulumi PATH`) from the repository root as

    pulumi <preview|up> --stack STACK
        --policy-pack policies/security --policy-pack-config <config>/security.json
        --policy-pack policies/cost     --policy-pack-config <config>/cost.json  [ARGS...]

with `<config>` the stack's policy config folder (`toolchain.gate.policy_config_dir`: a stack
without its own gets the default, with a notice), and `BASELINE_POLICY_PACKS` set, so the program
records in its outputs that the packs were attached (a run without them warns and says so: see
`baseline/program.py`). A mandatory violation fails the CLI, which is this command's exit status.
The agents' gateway runs the same packs the same way for every preview and up it makes.

Bad input (an unknown stack, a missing policy config file, no CLI) is one line and exit 2.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from toolchain import InputError
from toolchain.gate import PACKS, POLICIES, POLICY_PACKS_ENV, PolicyConfigError, policy_config_dir
from toolchain.inputs import OneLineParser

ROOT = Path(__file__).resolve().parent.parent
OPERATIONS = ("preview", "up")


# The CLI's flags that would change what the packs judge or with which config: passed after
# this command's own, the CLI's last `--stack` wins, so `-s prod` ran prod under dev's config.
OWN_FLAGS = frozenset({"stack", "policy-pack", "policy-pack-config", "cwd", "config-file"})
OWN_SHORTHANDS = frozenset("sC")  # -s (--stack), -C (--cwd)


def _overriding(arg: str) -> bool:
    """Whether a passed-through argument sets one of `OWN_FLAGS`: as `--name` or `--name=v`, or
    as a shorthand, alone or among others (`-ys prod`: pflag reads each letter as a flag until
    one takes a value). A shorthand group is read as flags letter by letter, so a value glued
    to another flag that holds an `s` (`-mfix-s`) is refused too: write `--message=...`."""
    if arg.startswith("--"):
        return arg[2:].split("=", 1)[0] in OWN_FLAGS
    if arg.startswith("-") and len(arg) > 1:
        return not OWN_SHORTHANDS.isdisjoint(arg[1:].split("=", 1)[0])
    return False


def command(operation: str, stack: str, pulumi: str, extra: Sequence[str] = ()) -> list[str]:
    """The CLI's argv for `operation` on `stack` with both packs and the stack's policy config.
    The notice of a default config goes to stderr. An extra argument that would set the stack,
    the packs, their config or the program's folder is refused (`_overriding`)."""
    if operation not in OPERATIONS:
        raise InputError(f"operation {operation!r}: one of {', '.join(OPERATIONS)}")
    for arg in extra:
        if _overriding(arg):
            raise InputError(
                f"argument {arg[:40]!r} would set the stack, the policy packs, their config or "
                f"the program's folder, which this command sets itself (--stack {stack})"
            )
    if not (ROOT / f"Pulumi.{stack}.yaml").is_file():
        raise InputError(f"unknown stack {stack!r} (no Pulumi.{stack}.yaml)")
    try:
        folder, notice = policy_config_dir(stack)
    except PolicyConfigError as exc:
        raise InputError(str(exc)) from exc
    if notice:
        print(f"notice: {notice}", file=sys.stderr)
    argv = [pulumi, operation, "--stack", stack]
    for pack in PACKS:
        config = folder / f"{pack}.json"
        if not config.is_file():
            raise InputError(f"{config}: missing (the {pack} pack's config for stack {stack})")
        argv += ["--policy-pack", str(POLICIES / pack), "--policy-pack-config", str(config)]
    return [*argv, *extra]


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(
        prog="python -m toolchain.deploy",
        description="pulumi preview/up of a stack with both policy packs and its policy config.",
    )
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--pulumi", default=None, help="the CLI (default: pulumi on PATH)")
    args, extra = parser.parse_known_args(argv)
    pulumi = args.pulumi or shutil.which("pulumi")
    if not pulumi:
        print(
            "error: no `pulumi` on PATH: install the Pulumi CLI (README, 'Deploying')",
            file=sys.stderr,
        )
        return 2
    try:
        cli = command(args.operation, args.stack, pulumi, extra)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    env = {**os.environ, POLICY_PACKS_ENV: ",".join(PACKS)}
    print("running: " + " ".join(cli[1:]), file=sys.stderr)
    return subprocess.run(cli, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    raise SystemExit(main())

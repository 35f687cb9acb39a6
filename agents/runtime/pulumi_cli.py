"""The Pulumi CLI as the Automation API runs it, with every command a supervised child.

`LocalWorkspace(pulumi_command=...)` is the seam: the workspace and `Stack` run every CLI command
through `PulumiCommand.run`. `SupervisedPulumiCommand.run` is the SDK's `run` (same arguments, same
environment, same streaming of stdout and stderr to the callbacks, same `CommandError`s) with one
difference: the process is started by `agents.protocol.supervision.Supervisor.spawn` (its own
process group,
killed with the agent) and ends with `Supervisor.finished`, which raises `Interrupted` when a stop
signal cancelled it. Kept in its own module because importing `pulumi.automation` is slow: the
gateway imports it on its first operation.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Mapping
from typing import IO, Any

from pulumi.automation import CommandResult, PulumiCommand
from pulumi.automation.errors import create_command_error
from semver import VersionInfo

from agents.protocol.supervision import SUPERVISOR, Supervisor, signal_group

OnOutput = Callable[[str], Any]


class SupervisedPulumiCommand(PulumiCommand):
    """`PulumiCommand` whose commands run under `supervisor` (see the module docstring)."""

    def __init__(
        self,
        root: str | None = None,
        version: VersionInfo | None = None,
        *,
        supervisor: Supervisor = SUPERVISOR,
    ) -> None:
        super().__init__(root=root, version=version)
        self.supervisor = supervisor

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: OnOutput | None = None,
        on_error: OnOutput | None = None,
    ) -> CommandResult:
        # As the SDK does: --non-interactive before any `--` separator.
        head = args[: args.index("--")] if "--" in args else args
        if "--non-interactive" not in head:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):  # plugins bundled next to the CLI come first
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env.get("PATH", "")])

        stdout_chunks: list[str] = []
        stderr_chunks: list[str] = []

        def consume(stream: IO[str], callback: OnOutput | None, chunks: list[str]) -> None:
            for line in iter(stream.readline, ""):
                stripped = line.rstrip()
                if callback:
                    callback(stripped)
                chunks.append(stripped)
            stream.close()

        process = self.supervisor.spawn(
            [self.command, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            encoding="utf-8",
        )
        try:
            assert process.stdout is not None and process.stderr is not None
            readers = [
                threading.Thread(target=consume, args=(process.stdout, on_output, stdout_chunks)),
                threading.Thread(target=consume, args=(process.stderr, on_error, stderr_chunks)),
            ]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            code = process.wait()
        finally:
            if process.poll() is None:  # left by an exception in this thread: not alive after it
                signal_group(process.pid, signal.SIGKILL)
                process.wait()
            self.supervisor.finished(process)

        result = CommandResult(
            stderr="\n".join(stderr_chunks), stdout="\n".join(stdout_chunks), code=code
        )
        if code != 0:
            raise create_command_error(result)
        return result

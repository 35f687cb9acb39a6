"""The agents spawn the Pulumi CLI (a supervised child: its own group, killed with the agent)
while gRPC is live in the same process. A spawned child must run what it was asked, never die
between fork and exec on gRPC's fork handlers (grpc/grpc#43055)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CHILDREN = 120

SCRIPT = textwrap.dedent(
    f"""
    import os, sys, threading
    from concurrent import futures
    import toolchain  # first, as every entry point of the project does
    import grpc
    from agents.protocol.supervision import Supervisor

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    stop = threading.Event()

    def busy():  # a channel at work on another thread, as the engine's event stream is
        while not stop.is_set():
            with grpc.insecure_channel(f"127.0.0.1:{{port}}") as channel:
                try:
                    grpc.channel_ready_future(channel).result(timeout=1)
                except grpc.FutureTimeoutError:
                    pass

    threading.Thread(target=busy, daemon=True).start()
    supervisor = Supervisor()
    died = []
    for _ in range({CHILDREN}):
        proc = supervisor.spawn(["/bin/true"], stderr=subprocess.PIPE)
        _, err = proc.communicate()
        supervisor.finished(proc)
        if proc.returncode != 0:
            died.append((proc.returncode, err.decode(errors="replace")[:200]))
    stop.set()
    print(len(died), died[:1])
    """
).replace("import os, sys, threading", "import os, subprocess, sys, threading")


def test_children_spawned_beside_live_grpc_run_what_they_were_asked() -> None:
    # The child decides for itself: not the setting this test process already has.
    env = {k: v for k, v in os.environ.items() if k != "GRPC_ENABLE_FORK_SUPPORT"}
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    died, _, first = done.stdout.strip().partition(" ")
    assert died == "0", f"{died} of {CHILDREN} children died before running: {first}"

"""The MCP server's HTTP app served for a test: uvicorn in a thread on a free loopback port."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn

from agents.mcp.server import http_app


@contextlib.contextmanager
def served_over_http(server: Any) -> Iterator[str]:
    """`server` answering over HTTP while the block runs; yields its MCP URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    runner = uvicorn.Server(uvicorn.Config(http_app(server, "127.0.0.1"), log_level="warning"))
    thread = threading.Thread(target=runner.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not runner.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert runner.started, "the HTTP server did not start"
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        runner.should_exit = True
        thread.join(10)
        sock.close()

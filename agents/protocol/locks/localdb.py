"""A DynamoDB on 127.0.0.1 for the lock tests, the lock benchmark and development: moto's server
(a development dependency) in a child process, serving one request at a time.

Why one at a time: moto's backends are plain Python objects, and its threaded server can switch
threads between a conditional write's check and its write, which real DynamoDB never does (each
request, and each transaction, is atomic). Serialising requests restores that, so the lock tests
exercise the protocol rather than moto's races. The server runs in its own process so that its
state is separate from any in-process `moto.mock_aws` and its work does not compete with the
caller's interpreter lock.

    with LocalDynamoDB() as db:
        client = dynamodb_client("us-east-1", db.endpoint_url)

Clients need credentials of any value (`AWS_ACCESS_KEY_ID=testing`, ...). Run it by hand with
`python -m agents.protocol.locks.localdb [--port N]`; it prints its endpoint, then serves until
stopped.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from toolchain.inputs import OneLineParser

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

HOST = "127.0.0.1"
START_TIMEOUT_S = 60.0


def serialised(app: WSGIApplication) -> WSGIApplication:
    """`app`, serving one request at a time (the whole response is produced under the lock)."""
    lock = threading.Lock()

    def serve_one(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with lock:
            try:
                body = app(environ, start_response)
            except NotImplementedError as exc:
                # An API moto lacks (CloudTrail's LookupEvents, ...): one error answer the client
                # reads as the service refusing, not a traceback on the server's stderr.
                start_response(
                    "501 Not Implemented", [("Content-Type", "application/x-amz-json-1.1")]
                )
                reason = str(exc).replace('"', "'")
                return [f'{{"__type": "NotImplemented", "message": "{reason}"}}'.encode()]
            try:
                return [b"".join(body)]
            finally:
                close = getattr(body, "close", None)
                if close is not None:
                    close()

    return serve_one


def serve(port: int = 0) -> None:
    """Serve on 127.0.0.1:`port` (0: any free port), printing the endpoint URL first."""
    from moto.moto_server.werkzeug_app import (  # noqa: PLC0415 - a development dependency
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server  # noqa: PLC0415

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = DomainDispatcherApplication(create_backend_app)
    server = make_server(
        HOST, port, serialised(app), threaded=True, request_handler=MotoRequestHandler
    )
    print(f"http://{HOST}:{server.server_port}", flush=True)
    server.serve_forever()


class LocalDynamoDB:
    """`python -m agents.protocol.locks.localdb` as a child process, for a `with` block."""

    def __init__(self, port: int = 0) -> None:
        self.port = port
        self.endpoint_url = ""
        self._proc: subprocess.Popen[str] | None = None

    def __enter__(self) -> LocalDynamoDB:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "agents.protocol.locks.localdb", "--port", str(self.port)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        ready: list[str] = []
        reader = threading.Thread(target=lambda: ready.append(self._proc_line()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not ready or not ready[0].startswith("http://"):
            self.stop()
            raise RuntimeError(f"the local DynamoDB did not start within {START_TIMEOUT_S:g} s")
        self.endpoint_url = ready[0]
        return self

    def _proc_line(self) -> str:
        assert self._proc is not None and self._proc.stdout is not None
        return self._proc.stdout.readline().strip()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def pid(self) -> int:
        """The server's process (the chaos run pauses it to make an outage)."""
        if self._proc is None:
            raise RuntimeError("the local DynamoDB is not running")
        return self._proc.pid

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0, help="0 (default): any free port")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        serve(args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())

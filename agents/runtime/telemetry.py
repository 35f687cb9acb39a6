"""The agents' traces: OpenTelemetry spans for passes, operations, Pulumi calls and skill calls,
sent through OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set, and
nothing at all otherwise.

Spans (attribute names are plain, so that X-Ray can index them as annotations):

- `agents.pass`: persona, stack, outcomes, failed. A root span: one persona routine on one
  stack.
- `agents.operation`: persona, stack, operation, fencing_token, approval_id, status. Child of
  the pass; one per `Agent.perform` (scope, cooldown, breaker, lease, approval, the call).
- `pulumi.<operation>` (`pulumi.preview`, `pulumi.up`, `pulumi.drift-check`, ...): stack,
  operation, run_id (the audit log's run id), outcome (`ok`, `busy`, `policy-violation`, ...).
  Child of the operation (an `up` with an approved fingerprint holds its checking preview).
- `agents.skill`: skill, budget, tokens. Child of whatever calls the skill.

A span whose work raised (or an operation that failed or was interrupted) has status ERROR, an
`exception` event (`record_exception`) and `error.type`.

Decisions:

- **Off means off.** Without an endpoint (or with `OTEL_SDK_DISABLED=true`) nothing of the SDK is
  imported, no exporter thread starts, and `span()` is a generator that yields a do-nothing span:
  the agents' hot paths pay for a context manager that reads one attribute.
- **Our own provider, not the global one.** OpenTelemetry's global tracer provider can be set once
  per process; the agents keep theirs here, so that tests (and a second `configure`) can install
  another, and nothing else in the process (the Pulumi SDK) is affected.
- **Telemetry never breaks the agent.** `span()` catches every error of the SDK itself; an error
  of the work inside it passes through untouched, after being recorded.
- **Bounded exit.** `shutdown()` flushes in a daemon thread and waits at most
  `AGENTS_TELEMETRY_FLUSH_S` (default 5 s): a collector that does not answer costs the agent
  that long at exit, never a hang. It runs at the end of `run` and, as a fallback, at interpreter
  exit.
- **Resource:** `service.name` `baseline-agents` (unless `OTEL_SERVICE_NAME` says otherwise),
  `service.version` (the project's version), and where known `k8s.namespace.name` (the service
  account's namespace file, or `POD_NAMESPACE`) and `k8s.pod.name` (the pod's host name);
  `OTEL_RESOURCE_ATTRIBUTES` adds to or overrides them. The exporter reads the standard
  `OTEL_EXPORTER_OTLP_*` variables (headers, timeout, compression); the sampler
  `OTEL_TRACES_SAMPLER` (default: every trace).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents import one_line

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

    from agents.protocol.settings import AgentSettings

SERVICE_NAME = "baseline-agents"
ENDPOINT_VARS = ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
NAMESPACE_FILE = Path("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
DEFAULT_FLUSH_S = 5.0
ROOT = Path(__file__).resolve().parents[2]


class Span:
    """What the code inside `span()` may do with its span; every method is safe to call whether
    telemetry is on or off, and never raises."""

    __slots__ = ("_span",)

    def __init__(self, otel_span: Any = None) -> None:
        self._span = otel_span

    @property
    def recording(self) -> bool:
        return self._span is not None

    def set(self, **attributes: Any) -> None:
        """Set attributes; None values are left out, other values become str/bool/int/float."""
        if self._span is None:
            return
        with contextlib.suppress(Exception):
            self._span.set_attributes(_attributes(attributes))

    def error(self, problem: BaseException | str) -> None:
        """Mark the span failed: status ERROR, `error.type`, and the exception as an event."""
        if self._span is None:
            return
        with contextlib.suppress(Exception):
            from opentelemetry.trace import Status, StatusCode  # noqa: PLC0415

            if isinstance(problem, BaseException):
                self._span.record_exception(problem)
                kind, text = type(problem).__name__, f"{type(problem).__name__}: {problem}"
            else:
                kind, text = "failed", problem
            self._span.set_attribute("error.type", kind)
            self._span.set_status(Status(StatusCode.ERROR, one_line(text)))


NO_SPAN = Span()


@dataclass
class _State:
    tracer: Tracer | None = None
    provider: TracerProvider | None = None
    flush_s: float = DEFAULT_FLUSH_S
    exit_hook: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATE = _State()


def enabled() -> bool:
    return _STATE.tracer is not None


def tracer() -> Tracer:
    """The agents' tracer: the SDK's when `configure` turned telemetry on, a no-op one otherwise."""
    if _STATE.tracer is not None:
        return _STATE.tracer
    from opentelemetry.trace import NoOpTracer  # noqa: PLC0415

    return NoOpTracer()


def endpoint(environ: Mapping[str, str] | None = None) -> str | None:
    """The OTLP endpoint the environment names, or None when traces are off."""
    env = os.environ if environ is None else environ
    if env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return None
    for name in ENDPOINT_VARS:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def configure(
    settings: AgentSettings | None = None, *, exporter: SpanExporter | None = None
) -> bool:
    """Turn traces on when the environment names an OTLP endpoint (or when a test passes its own
    `exporter`, spans then go to it synchronously); True when they are on. A second call while
    traces are on keeps the provider already installed (a test's, say). Never raises: telemetry
    that cannot start leaves the agent without traces, not without its work."""
    with _STATE.lock:
        if settings is not None:
            _STATE.flush_s = settings.telemetry_flush_s
        if _STATE.tracer is not None:
            return True
        if exporter is None and endpoint() is None:
            return False
        try:
            _STATE.provider, _STATE.tracer = _start(exporter)
        except Exception as exc:  # noqa: BLE001 - see the docstring
            _STATE.provider = _STATE.tracer = None
            print(f"warning: traces are off: {one_line(str(exc))}", file=sys.stderr, flush=True)
            return False
        if not _STATE.exit_hook:
            atexit.register(shutdown)
            _STATE.exit_hook = True
    return True


def _start(exporter: SpanExporter | None) -> tuple[TracerProvider, Tracer]:
    from opentelemetry.sdk.resources import Resource  # noqa: PLC0415
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415
    from opentelemetry.sdk.trace.export import (  # noqa: PLC0415
        BatchSpanProcessor,
        SimpleSpanProcessor,
    )

    # shutdown_on_exit=False: the SDK's own exit hook waits up to 30 s; ours is bounded.
    provider = TracerProvider(
        resource=Resource.create(resource_attributes()), shutdown_on_exit=False
    )
    if exporter is None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (  # noqa: PLC0415
            OTLPSpanExporter,
        )

        # The exporter reads OTEL_EXPORTER_OTLP_* itself (endpoint + /v1/traces, headers, ...).
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, provider.get_tracer("agents", project_version())


def shutdown() -> None:
    """Flush and stop the provider, waiting at most `telemetry_flush_s`; traces are off after."""
    with _STATE.lock:
        provider, _STATE.provider, _STATE.tracer = _STATE.provider, None, None
        flush_s = _STATE.flush_s
    if provider is None:
        return
    worker = threading.Thread(target=_quietly_shut, args=(provider,), daemon=True)
    worker.start()
    worker.join(flush_s)


def _quietly_shut(provider: TracerProvider) -> None:
    with contextlib.suppress(Exception):
        provider.shutdown()


@contextlib.contextmanager
def span(name: str, **attributes: Any) -> Iterator[Span]:
    """A span around the block, child of the current one. An exception (or `Interrupted`) that
    leaves the block is recorded on the span (status ERROR) and re-raised unchanged; telemetry's
    own errors are swallowed."""
    current = _STATE.tracer
    if current is None:
        yield NO_SPAN
        return
    try:
        from opentelemetry import context, trace  # noqa: PLC0415

        otel_span = current.start_span(name, attributes=_attributes(attributes))
        token = context.attach(trace.set_span_in_context(otel_span))
    except Exception:  # noqa: BLE001 - telemetry never breaks the work
        yield NO_SPAN
        return
    wrapped = Span(otel_span)
    try:
        yield wrapped
    except GeneratorExit:
        raise
    except BaseException as exc:
        wrapped.error(exc)
        raise
    finally:
        with contextlib.suppress(Exception):
            context.detach(token)
        with contextlib.suppress(Exception):
            otel_span.end()


def annotate(**attributes: Any) -> None:
    """Set attributes on the current span (the one `span()` opened around the caller), if any."""
    if _STATE.tracer is None:
        return
    with contextlib.suppress(Exception):
        from opentelemetry import trace  # noqa: PLC0415

        current = trace.get_current_span()
        if current.is_recording():
            current.set_attributes(_attributes(attributes))


def resource_attributes(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The resource attributes the agents know of themselves; the environment's own
    (`OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES`) win over these."""
    env = os.environ if environ is None else environ
    given = _declared(env.get("OTEL_RESOURCE_ATTRIBUTES", ""))
    found: dict[str, str] = {"service.version": project_version()}
    if not env.get("OTEL_SERVICE_NAME", "").strip():
        found["service.name"] = SERVICE_NAME
    namespace = env.get("POD_NAMESPACE", "").strip() or _read(NAMESPACE_FILE)
    if namespace:
        found["k8s.namespace.name"] = namespace
    if env.get("KUBERNETES_SERVICE_HOST") and env.get("HOSTNAME"):
        found["k8s.pod.name"] = env["HOSTNAME"]  # a pod's host name is its name
    return {k: v for k, v in found.items() if k not in given}


def project_version() -> str:
    """The project's version: its installed metadata, else pyproject.toml (the image copies the
    code without installing it), else "unknown"."""
    from importlib import metadata  # noqa: PLC0415

    try:
        return metadata.version("aws-baseline")
    except metadata.PackageNotFoundError:
        pass
    try:
        import tomllib  # noqa: PLC0415

        with (ROOT / "pyproject.toml").open("rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, ValueError):
        return "unknown"


def _declared(text: str) -> set[str]:
    return {part.split("=", 1)[0].strip() for part in text.split(",") if "=" in part}


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()[:253]
    except (OSError, ValueError):
        return ""


def _attributes(values: Mapping[str, Any]) -> dict[str, Any]:
    """Attribute values OpenTelemetry takes: None dropped, anything but str/bool/int/float as
    its string."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        out[key] = value if isinstance(value, str | bool | int | float) else str(value)
    return out

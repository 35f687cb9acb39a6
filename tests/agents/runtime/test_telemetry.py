"""Traces (agents/runtime/telemetry.py): a `run --once` pass through `agents.cli.main.main`, with
the CLI double
and moto as in test_commands, leaves the span tree pass -> operation -> Pulumi call, attributes
set and failures recorded; skill calls are spans of their own; off means no SDK and no exporter
thread; and with OTEL_EXPORTER_OTLP_ENDPOINT the spans really travel as OTLP/HTTP, with a
bounded wait at exit."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from agents.cli.main import main
from agents.protocol.audit import AuditLog
from agents.protocol.settings import AgentSettings
from agents.protocol.supervision import Interrupted
from agents.runtime import telemetry
from agents.skills.registry import SKILLS, SkillContext, SkillInputError
from tests.agents.runtime.test_gateway import FAKE, FakeCli, use_the_double

OTEL_VARS = (
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_SDK_DISABLED",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
)


@pytest.fixture(autouse=True)
def no_telemetry_left(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in OTEL_VARS:
        monkeypatch.delenv(name, raising=False)
    telemetry.shutdown()
    yield
    telemetry.shutdown()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeCli]:
    """As in test_commands: the CLI double, a state folder, AWS calls on moto."""
    use_the_double(monkeypatch, tmp_path / "argv.jsonl")
    monkeypatch.setenv("AGENTS_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("AGENTS_PULUMI_COMMAND", str(FAKE))
    monkeypatch.setenv("AGENTS_LOCK_WAIT_S", "0")
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield FakeCli(tmp_path / "argv.jsonl", monkeypatch)


@pytest.fixture
def spans() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    assert telemetry.configure(exporter=exporter)
    return exporter


def named(finished: Any, name: str) -> list[ReadableSpan]:
    return [s for s in finished if s.name == name]


def parent_of(span: ReadableSpan, finished: Any) -> ReadableSpan | None:
    if span.parent is None:
        return None
    (found,) = [s for s in finished if s.context.span_id == span.parent.span_id]
    return found


def exception_types(span: ReadableSpan) -> list[str]:
    """The class names (without module) of the exceptions recorded on the span."""
    return [
        str((e.attributes or {})["exception.type"]).rsplit(".", 1)[-1]
        for e in span.events
        if e.name == "exception"
    ]


# -- a pass --------------------------------------------------------------------------------------
def test_a_pass_is_a_tree_of_pass_operation_and_pulumi_spans(env, spans, capsys, tmp_path):
    assert main(["run", "release-engineer", "--stack", "dev", "--once", "--json"]) == 0, (
        capsys.readouterr()
    )
    finished = spans.get_finished_spans()
    (pass_,) = named(finished, "agents.pass")
    assert parent_of(pass_, finished) is None
    assert dict(pass_.attributes or {}) == {
        "persona": "release-engineer",
        "stack": "dev",
        "outcomes": 1,
        "failed": 0,
    }
    assert pass_.status.status_code is StatusCode.UNSET

    (operation,) = named(finished, "agents.operation")
    assert parent_of(operation, finished) is pass_
    attrs = dict(operation.attributes or {})
    assert (attrs["persona"], attrs["stack"], attrs["operation"], attrs["status"]) == (
        "release-engineer",
        "dev",
        "up",
        "done",
    )
    assert isinstance(attrs["fencing_token"], int) and attrs["fencing_token"] >= 1
    acquired = AuditLog(tmp_path / "state" / "audit.jsonl").query({"event": "lock.acquired"})
    assert attrs["fencing_token"] == acquired[-1]["token"]

    # The preview that builds the proposal, then `up`, which previews again (the approved
    # fingerprint must still hold) before it applies.
    calls = [s for s in finished if s.name.startswith("pulumi.")]
    assert sorted(s.name for s in calls) == ["pulumi.preview", "pulumi.preview", "pulumi.up"]
    (up,) = named(finished, "pulumi.up")
    first, check = sorted(named(finished, "pulumi.preview"), key=lambda s: s.start_time or 0)
    assert parent_of(first, finished) is operation and parent_of(up, finished) is operation
    assert parent_of(check, finished) is up
    audit = AuditLog(tmp_path / "state" / "audit.jsonl")
    runs = {r["run"] for r in audit.query({"event": "gateway.done"})}
    for call in calls:
        a = dict(call.attributes or {})
        assert (a["stack"], a["outcome"]) == ("dev", "ok"), call.name
        assert a["operation"] == call.name.removeprefix("pulumi.")
        assert a["run_id"] in runs, f"{call.name}: run id {a['run_id']} not in the audit log"
    assert len({s.context.trace_id for s in finished}) == 1, "one trace per pass"
    assert telemetry.enabled() is False, "run shuts telemetry down as it ends"


@pytest.mark.slow  # an agent process end to end: make test-slow (CI runs it)
def test_an_approval_id_and_a_pending_status_are_attributes(env, spans, capsys):
    main(["run", "release-engineer", "--stack", "prod", "--once", "--json"])
    (outcome,) = json.loads(capsys.readouterr().out)
    (operation,) = named(spans.get_finished_spans(), "agents.operation")
    attrs = dict(operation.attributes or {})
    assert (attrs["status"], attrs["approval_id"]) == ("pending-approval", outcome["approval"])
    assert operation.status.status_code is StatusCode.UNSET, "waiting for a human is no error"


def test_a_failed_update_is_recorded_as_an_error_up_the_tree(env, spans, capsys):
    env.scenario("resource-error")
    assert main(["run", "release-engineer", "--stack", "dev", "--once", "--json"]) == 1
    capsys.readouterr()
    finished = spans.get_finished_spans()
    (up,) = named(finished, "pulumi.up")
    assert up.status.status_code is StatusCode.ERROR
    assert "GatewayCommandError" in exception_types(up)
    assert (up.attributes or {})["outcome"] == "failed"
    assert (up.attributes or {})["error.type"] == "GatewayCommandError"
    assert "pulumi up on stack 'dev' failed" in (up.status.description or "")

    (operation,) = named(finished, "agents.operation")
    assert operation.status.status_code is StatusCode.ERROR
    assert (operation.attributes or {})["status"] == "failed"
    (pass_,) = named(finished, "agents.pass")
    assert pass_.status.status_code is StatusCode.ERROR
    assert (pass_.attributes or {})["failed"] == 1


# -- skills --------------------------------------------------------------------------------------
def test_a_skill_call_is_a_span_with_its_tokens_and_budget(spans, tmp_path):
    settings = AgentSettings(state_dir=tmp_path / "state")
    AuditLog(settings.audit_log).append("request", stack="dev", persona="release-engineer")
    result = SKILLS["audit-log"].call({"limit": 5, "budget": 300}, SkillContext(settings))
    (span,) = named(spans.get_finished_spans(), "agents.skill")
    assert dict(span.attributes or {}) == {
        "skill": "audit-log",
        "budget": 300,
        "tokens": result.tokens,
    }
    assert span.status.status_code is StatusCode.UNSET


def test_a_skill_refusing_its_input_is_an_error_span(spans, tmp_path):
    context = SkillContext(AgentSettings(state_dir=tmp_path / "state"))
    with pytest.raises(SkillInputError):
        SKILLS["audit-log"].call({"limit": 0}, context)
    (span,) = named(spans.get_finished_spans(), "agents.skill")
    assert span.status.status_code is StatusCode.ERROR
    assert exception_types(span) == ["SkillInputError"]


# -- the span helper -----------------------------------------------------------------------------
def test_off_means_no_sdk_no_exporter_thread_and_a_do_nothing_span(tmp_path):
    before = {t.name for t in threading.enumerate()}
    assert telemetry.configure(AgentSettings(state_dir=tmp_path / "state")) is False
    assert not telemetry.enabled()
    with telemetry.span("agents.pass", persona="x") as span:
        span.set(stack="dev")
        span.error("nothing to record")
    assert span is telemetry.NO_SPAN and not span.recording
    assert {t.name for t in threading.enumerate()} == before
    assert type(telemetry.tracer()).__name__ == "NoOpTracer"


def test_traces_that_cannot_start_leave_the_agent_running_and_say_so(monkeypatch, capsys):
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")

    def broken(_exporter: Any) -> Any:
        raise ImportError("no module named opentelemetry.exporter")

    monkeypatch.setattr(telemetry, "_start", broken)
    assert telemetry.configure() is False and not telemetry.enabled()
    err = capsys.readouterr().err
    assert err == "warning: traces are off: no module named opentelemetry.exporter\n"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "  "}, None),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, "http://collector:4318"),
        (
            {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://c:4318/v1/traces"},
            "http://c:4318/v1/traces",
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4318", "OTEL_SDK_DISABLED": "true"}, None),
    ],
)
def test_the_endpoint_comes_from_the_standard_variables(environ, expected):
    assert telemetry.endpoint(environ) == expected


def test_an_error_leaving_the_block_is_recorded_and_raised_unchanged(spans):
    problem = ValueError("bad value")
    with pytest.raises(ValueError) as info, telemetry.span("agents.pass", stack="dev"):
        raise problem
    assert info.value is problem
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "ValueError: bad value"
    assert exception_types(span) == ["ValueError"]


def test_an_interrupted_operation_is_an_error_too(spans):
    with pytest.raises(Interrupted), telemetry.span("agents.operation"):
        raise Interrupted(15)
    (span,) = spans.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "Interrupted: interrupted by SIGTERM"


def test_telemetry_that_breaks_never_breaks_the_work(spans, monkeypatch):
    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("the SDK is broken")

    tracer = telemetry.tracer()
    monkeypatch.setattr(tracer, "start_span", broken)
    ran = []
    with telemetry.span("agents.pass") as span:
        span.set(weird=object(), skipped=None)
        ran.append(True)
    assert ran == [True] and span is telemetry.NO_SPAN


def test_attribute_values_are_kept_plain(spans):
    with telemetry.span("agents.operation", token=7, flag=True, ratio=0.5, what=None) as span:
        span.set(path=Path("/var/lib/baseline-agents"), count=3)
    (done,) = spans.get_finished_spans()
    assert dict(done.attributes or {}) == {
        "token": 7,
        "flag": True,
        "ratio": 0.5,
        "path": "/var/lib/baseline-agents",
        "count": 3,
    }


def test_the_resource_names_the_service_and_where_it_runs(monkeypatch):
    environ = {
        "POD_NAMESPACE": "agents-release-engineer",
        "KUBERNETES_SERVICE_HOST": "10.100.0.1",
        "HOSTNAME": "release-engineer-7d9c-abcde",
    }
    attrs = telemetry.resource_attributes(environ)
    assert attrs == {
        "service.name": "baseline-agents",
        "service.version": telemetry.project_version(),
        "k8s.namespace.name": "agents-release-engineer",
        "k8s.pod.name": "release-engineer-7d9c-abcde",
    }
    assert telemetry.project_version() not in ("", "unknown")
    overridden = telemetry.resource_attributes(
        {**environ, "OTEL_SERVICE_NAME": "mine", "OTEL_RESOURCE_ATTRIBUTES": "k8s.pod.name=p1"}
    )
    assert "service.name" not in overridden and "k8s.pod.name" not in overridden
    assert "k8s.pod.name" not in telemetry.resource_attributes({"HOSTNAME": "laptop"})


# -- OTLP over HTTP ------------------------------------------------------------------------------
class Collector(ThreadingHTTPServer):
    """An OTLP/HTTP receiver on 127.0.0.1: keeps each export request it is sent."""

    daemon_threads = True

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, bytes]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.server.requests.append(  # type: ignore[attr-defined]
                    (self.path, self.headers["Content-Type"], body)
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


def test_with_an_endpoint_spans_travel_as_otlp_http(monkeypatch, tmp_path):
    collector = Collector()
    threading.Thread(target=collector.serve_forever, daemon=True).start()
    try:
        port = collector.server_address[1]
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{port}")
        assert telemetry.configure(AgentSettings(state_dir=tmp_path / "state"))
        assert any(t.name.startswith("OtelBatch") for t in threading.enumerate())
        with (
            telemetry.span("agents.pass", persona="cost-optimizer", stack="prod"),
            telemetry.span("agents.operation", operation="preview"),
        ):
            pass
        telemetry.shutdown()  # flushes
    finally:
        collector.shutdown()
        collector.server_close()
    assert collector.requests, "nothing reached the collector"
    path, content_type, body = collector.requests[0]
    assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
    request = ExportTraceServiceRequest.FromString(body)
    (resource_spans,) = request.resource_spans
    resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
    assert resource["service.name"] == "baseline-agents"
    assert resource["service.version"] == telemetry.project_version()
    names = sorted(s.name for scope in resource_spans.scope_spans for s in scope.spans)
    assert names == ["agents.operation", "agents.pass"]


def test_a_collector_that_never_answers_delays_the_exit_by_the_flush_bound_only(
    monkeypatch, tmp_path
):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()  # accepts connections (the kernel does), never answers
    try:
        monkeypatch.setenv(
            "OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{silent.getsockname()[1]}"
        )
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "3")  # the exporter's own give-up
        settings = AgentSettings(state_dir=tmp_path / "state", telemetry_flush_s=1)
        assert telemetry.configure(settings)
        with telemetry.span("agents.pass"):
            pass
        started = time.monotonic()
        telemetry.shutdown()
        assert time.monotonic() - started < 5, "the exit waits about telemetry_flush_s, no more"
        assert not telemetry.enabled()
    finally:
        silent.close()

"""The audit log off the node: the local log is the spool, CloudWatch Logs (moto) the sink.
Nothing is dropped silently, and mutating work is refused while records wait too long."""

from __future__ import annotations

import json
import socket
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from moto import mock_aws

from agents.protocol import audit_sink
from agents.protocol.audit import AuditLog, record_hash
from agents.protocol.audit_sink import CloudWatchSink, Drainer, SinkError, lag, refusal
from agents.protocol.audit_verify import verify
from agents.protocol.settings import AgentSettings

GROUP = "/baseline/dev/agents/audit"
REGION = "us-east-1"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        client = boto3.client("logs", region_name=REGION)
        client.create_log_group(logGroupName=GROUP)
        yield client


def settings_for(folder, writer="release-engineer", **extra) -> AgentSettings:
    return AgentSettings(
        state_dir=folder,
        audit_sink="cloudwatch",
        audit_log_group=GROUP,
        audit_writer=writer,
        **extra,
    )


def pod(tmp_path, name, client, writer="release-engineer"):
    settings = settings_for(tmp_path / name, writer)
    log = AuditLog(settings.audit_log, writer)
    return settings, log, CloudWatchSink(settings, client=client, audit=log)


def test_every_record_reaches_the_writers_stream_and_verifies_there(tmp_path, aws):
    settings, log, sink = pod(tmp_path, "pod", aws)
    for i in range(25):
        log.append("step", stack="dev", i=i)
    report = sink.drain()
    assert report.error is None and report.remaining == 0 and report.delivered == 25
    streams = [
        s["logStreamName"] for s in aws.describe_log_streams(logGroupName=GROUP)["logStreams"]
    ]
    assert streams == ["release-engineer"]
    checked = verify(sink.read_back(), source="cloudwatch")
    assert checked.ok and checked.writers["release-engineer"].last == 25
    assert lag(settings).seconds == 0 and refusal(settings) is None


def test_an_unreachable_sink_keeps_every_record_and_refuses_mutations_past_the_limit(tmp_path, aws):
    settings, log, _ = pod(tmp_path, "pod", aws)
    down = boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=0.2),
    )
    sink = CloudWatchSink(settings, client=down, audit=log)
    log.append("request", stack="dev")
    failed = sink.drain()
    assert failed.error and "CloudWatch Logs" in failed.error and failed.remaining > 0
    cursor = json.loads((settings.state_dir / "audit-sink.json").read_text())
    assert cursor["lastError"] == failed.error and cursor["offset"] == 0
    assert refusal(settings) is None  # young: still within the limit
    later = time.time() + settings.audit_max_lag_s + 1
    reason = refusal(settings, now=later)
    assert reason and "have not reached" in reason and GROUP in reason
    # The sink comes back: everything goes, nothing was lost.
    log.append("outcome", stack="dev")
    back = CloudWatchSink(settings, client=aws, audit=log).drain()
    assert back.error is None and back.remaining == 0
    assert refusal(settings, now=later) is None
    events = [json.loads(m)["event"] for m in CloudWatchSink(settings, client=aws).read_back()]
    assert events[:2] == ["request", "outcome"]


def test_a_damaged_cursor_is_refused_recorded_and_delivery_starts_again(tmp_path, aws):
    settings, log, sink = pod(tmp_path, "pod", aws)
    for i in range(3):
        log.append("step", i=i)
    sink.drain()
    (settings.state_dir / "audit-sink.json").write_bytes(b"{\x00 not json")
    assert "damaged" in (refusal(settings) or "")
    report = sink.drain()
    assert report.error is None
    assert [r["event"] for r in log.query({"event": "audit.sink.cursor-damaged"})]
    checked = verify(sink.read_back(), source="cloudwatch")
    assert checked.ok and checked.writers["release-engineer"].duplicates == 3
    assert refusal(settings) is None


def test_a_cursor_of_another_log_is_not_trusted(tmp_path, aws):
    settings, log, sink = pod(tmp_path, "pod", aws)
    log.append("one")
    sink.drain()
    settings.audit_log.write_bytes(b"")  # the log was replaced
    AuditLog(settings.audit_log, "x").append("new-log")
    assert "past the end" in (refusal(settings) or "") or "another" in (refusal(settings) or "")


def test_debris_in_the_spool_is_skipped_with_a_record(tmp_path, aws):
    settings, log, sink = pod(tmp_path, "pod", aws)
    log.append("one")
    with settings.audit_log.open("ab") as fh:
        fh.write(b'\n{"ts": "2026-12-05T00:00:00", "ev')  # a killed writer's fragment
    log.append("two")
    report = sink.drain()
    assert report.debris == 1
    debris = log.query({"event": "audit.sink.debris"})
    assert debris and debris[0]["bytes"] > 0
    sink.drain()  # the debris record itself goes too
    events = [json.loads(m)["event"] for m in sink.read_back()]
    assert events == ["one", "two", "audit.sink.debris"]


def test_a_record_over_the_sinks_limit_goes_as_a_stub_that_keeps_the_chain(
    tmp_path, aws, monkeypatch
):
    monkeypatch.setattr(audit_sink, "MAX_EVENT_BYTES", 400)
    _, log, sink = pod(tmp_path, "pod", aws)
    log.append("small")
    log.append("big", detail="x" * 1000)
    log.append("small-again")
    report = sink.drain()
    assert report.oversize == 1
    assert log.query({"event": "audit.sink.oversize"})[0]["record_seq"] == 2
    sink.drain()
    checked = verify(
        sink.read_streams(), source="cloudwatch", stub_min_bytes=audit_sink.MAX_EVENT_BYTES
    )
    assert checked.ok, checked.problems
    assert checked.writers["release-engineer"].oversize == 1


def test_a_new_pod_continues_the_writers_chain_from_the_sink(tmp_path, aws):
    _, log1, sink1 = pod(tmp_path, "pod1", aws)
    for i in range(4):
        log1.append("step", i=i)
    sink1.drain()
    _, log2, sink2 = pod(tmp_path, "pod2", aws)  # a new state folder: emptyDir after a rollout
    assert sink2.seed()
    for i in range(3):
        log2.append("step", i=4 + i)
    sink2.drain()
    checked = verify(sink2.read_back(), source="cloudwatch")
    assert checked.ok, checked.problems
    assert checked.writers["release-engineer"].last == 7


def test_a_pod_that_cannot_seed_says_so_and_verify_sees_the_restart(tmp_path, aws):
    _, log1, sink1 = pod(tmp_path, "pod1", aws)
    log1.append("one")
    sink1.drain()
    _, log2, sink2 = pod(tmp_path, "pod2", aws)
    log2.append("unseeded")  # never seeded: a second record numbered 1
    sink2.drain()
    kinds = {p["kind"] for p in verify(sink2.read_back(), source="cloudwatch").problems}
    assert kinds == {"edited"}


def test_a_chunk_accepted_in_part_sends_only_what_was_not_taken(tmp_path, aws):
    settings, _, _ = pod(tmp_path, "pod", aws)
    a, b = AuditLog(settings.audit_log, "a"), AuditLog(settings.audit_log, "b")
    for i in range(4):
        (a if i % 2 else b).append("step", i=i)

    class Flaky:
        def __init__(self):
            self.calls = 0

        def __getattr__(self, name):
            return getattr(aws, name)

        def put_log_events(self, **kw):
            self.calls += 1
            if self.calls == 2:
                raise EndpointConnectionError(endpoint_url="http://sink")
            return aws.put_log_events(**kw)

    sink = CloudWatchSink(settings, client=Flaky(), audit=a)
    assert sink.drain().error
    assert sink.drain().error is None
    checked = verify(sink.read_back(), source="cloudwatch")
    assert checked.ok and sum(w.duplicates for w in checked.writers.values()) == 0
    assert {w: r.last for w, r in checked.writers.items()} == {"a": 2, "b": 2}


def test_the_file_sink_never_refuses(tmp_path):
    settings = AgentSettings(state_dir=tmp_path)
    AuditLog(settings.audit_log).append("x")
    assert refusal(settings, now=time.time() + 10**6) is None


def test_a_log_that_grows_after_a_drain_keeps_its_cursor(tmp_path, aws):
    settings, log, sink = pod(tmp_path, "pod", aws)
    log.append("one")
    sink.drain()
    for i in range(50):  # past the first 4 KiB the cursor's head hash covers
        log.append("more", i=i)
    assert refusal(settings) is None and lag(settings).problem is None
    assert sink.drain().delivered == 50


def test_a_drainer_whose_clock_runs_behind_keeps_the_streams_order(tmp_path, aws):
    settings, log, _ = pod(tmp_path, "pod", aws)
    now = time.time()
    log.append("first")
    CloudWatchSink(settings, client=aws, audit=log, clock=lambda: now).drain()
    log.append("second")  # drained by a process whose clock is 2 s behind
    CloudWatchSink(settings, client=aws, audit=log, clock=lambda: now - 2).drain()
    events = aws.get_log_events(
        logGroupName=GROUP, logStreamName="release-engineer", startFromHead=True
    )["events"]
    assert [json.loads(e["message"])["event"] for e in events] == ["first", "second"]
    assert events[0]["timestamp"] < events[1]["timestamp"]
    assert verify(CloudWatchSink(settings, client=aws).read_back(), source="cloudwatch").ok


def test_the_agents_drainer_sends_the_old_spool_first_then_keeps_draining(tmp_path, aws):
    settings = settings_for(tmp_path / "pod", audit_batch_s=0.05)
    log = AuditLog(settings.audit_log, "release-engineer")
    log.append("before-the-restart")  # left by the process before this one
    drainer = Drainer(CloudWatchSink(settings, client=aws, audit=log)).start()
    try:
        assert lag(settings).pending == 0  # drained before the first pass
        log.append("during-the-pass")
        deadline = time.monotonic() + 10
        while lag(settings).pending and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        left = drainer.stop()
    assert left.remaining == 0 and left.error is None
    events = [json.loads(m)["event"] for m in CloudWatchSink(settings, client=aws).read_back()]
    assert events == ["before-the-restart", "during-the-pass"]


def test_a_sink_down_at_start_is_on_the_record_and_the_spool_waits(tmp_path, aws):
    settings = settings_for(tmp_path / "pod")
    log = AuditLog(settings.audit_log, "release-engineer")
    down = boto3.client(
        "logs",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",
        config=Config(retries={"max_attempts": 1}, connect_timeout=0.2),
    )
    drainer = Drainer(
        CloudWatchSink(settings, client=down, audit=log), seed_attempts=2, pause_s=0.01
    ).start()
    left = drainer.stop()
    (failed,) = log.query({"event": "audit.sink.seed-failed"})
    assert "CloudWatch Logs" in failed["error"]
    assert left.remaining > 0 and left.error  # kept, not dropped
    assert CloudWatchSink(settings, client=aws, audit=log).drain().remaining == 0


def test_a_sink_that_hangs_at_start_is_a_recorded_failure_not_a_crash(tmp_path, aws):
    """A sink that takes the connection and never answers (a paused process, a black-holed
    route): the read times out, the failure is kept in the cursor, and the agent goes on to its
    gate, which refuses once records wait past the limit. (A found bug: the timeout, having no
    service answer, crashed the agent with a traceback before any refusal could be said.)"""
    settings = settings_for(tmp_path / "pod")
    log = AuditLog(settings.audit_log, "release-engineer")
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)  # the kernel completes the handshake; nothing ever reads or answers
        silent = boto3.client(
            "logs",
            region_name=REGION,
            endpoint_url=f"http://127.0.0.1:{hung.getsockname()[1]}",
            config=Config(retries={"max_attempts": 1}, connect_timeout=0.3, read_timeout=0.3),
        )
        log.append("request", stack="dev")
        drainer = Drainer(
            CloudWatchSink(settings, client=silent, audit=log), seed_attempts=1, pause_s=0.01
        ).start()
        left = drainer.stop(timeout_s=1)
    assert left.error and "CloudWatch Logs" in left.error and "timeout" in left.error.lower()
    assert left.remaining > 0
    later = time.time() + settings.audit_max_lag_s + 1
    reason = refusal(settings, now=later)
    assert reason and "have not reached" in reason
    assert CloudWatchSink(settings, client=aws, audit=log).drain().remaining == 0


def test_a_forged_stub_hiding_a_records_content_is_an_edit(tmp_path, aws, monkeypatch):
    """A record replaced by `oversize: true` and the hash of the original: in the local log it
    never belongs; in the sink it needs its `audit.sink.oversize` record and a size over the
    limit."""
    _, log, _ = pod(tmp_path, "pod", aws)
    log.append("decision", approved=False)
    log.append("after")
    lines = [raw for _o, raw, _r in log.raw_records()]
    first = json.loads(lines[0])
    stub = {k: first[k] for k in ("ts", "event", "writer", "seq", "prev")}
    stub.update(oversize=True, sha256=record_hash(lines[0]), bytes=2_000_000)
    forged = [json.dumps(stub, separators=(",", ":")).encode(), lines[1]]
    as_file = verify(forged, source="file")
    assert {p["kind"] for p in as_file.problems} == {"edited"}
    assert "a stub in place of its content" in as_file.problems[0]["detail"]
    in_sink = verify(
        [("release-engineer", raw) for raw in forged],
        source="cloudwatch",
        stub_min_bytes=audit_sink.MAX_EVENT_BYTES,
    )
    assert [p["kind"] for p in in_sink.problems] == ["edited"]
    assert "without its oversize record" in in_sink.problems[0]["detail"]


def test_a_record_of_one_writer_in_anothers_stream_is_misfiled(tmp_path, aws):
    _, _, sink = pod(tmp_path, "pod", aws)
    forger = AuditLog(tmp_path / "forger.jsonl", "security-auditor")
    forger.append("approval.decided", approval="x", decision="approve")
    (raw,) = [raw for _o, raw, _r in forger.raw_records()]
    aws.create_log_stream(logGroupName=GROUP, logStreamName="release-engineer")
    aws.put_log_events(
        logGroupName=GROUP,
        logStreamName="release-engineer",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": raw.decode()}],
    )
    report = verify(sink.read_streams(), source="cloudwatch")
    assert [p["kind"] for p in report.problems] == ["misfiled"]
    with pytest.raises(SinkError, match="not a chained record of this writer"):
        sink.seed()  # nor is another writer's record taken as this writer's head


@pytest.mark.parametrize(
    "message",
    ["{not json", '{"writer": "release-engineer", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"],
    ids=["not JSON", "nested past the decoder's depth"],
)
def test_a_last_event_that_is_not_json_is_not_a_head_to_seed_from(tmp_path, aws, message):
    # an event nested past the decoder's depth raised RecursionError out of `seed` (a new pod's
    # start) instead of the refusal an event that is not JSON gets
    _, _, sink = pod(tmp_path, "pod", aws)
    aws.create_log_stream(logGroupName=GROUP, logStreamName="release-engineer")
    aws.put_log_events(
        logGroupName=GROUP,
        logStreamName="release-engineer",
        logEvents=[{"timestamp": int(time.time() * 1000), "message": message}],
    )
    with pytest.raises(SinkError, match="the last event is not a chained record of this writer"):
        sink.seed()


def test_a_log_cut_and_grown_back_past_the_cursor_is_not_taken_for_the_delivered_one(tmp_path, aws):
    settings, log, sink = pod(tmp_path, "pod", aws)
    for i in range(100):  # past the first 4 KiB, which the cut keeps
        log.append("step", i=i)
    sink.drain()
    data = settings.audit_log.read_bytes()
    settings.audit_log.write_bytes(data[: len(data) // 2])
    for i in range(60):
        log.append("regrown", i=i)
    reason = refusal(settings)
    assert reason and "changed before the delivered offset" in reason
    report = sink.drain()  # recorded, and sent again from the start: nothing skipped
    assert report.error is None and report.remaining == 0
    assert log.query({"event": "audit.sink.cursor-damaged"})
    sent = {json.loads(m).get("i") for m in sink.read_back() if b'"regrown"' in m}
    assert sent == set(range(60))


@pytest.mark.parametrize(
    "cursor",
    [
        '{"offset": 1e400, "head": ""}',
        '{"offset": -5, "head": ""}',
        '{"offset": 0, "head": "", "stamp": 1e400}',
        '{"offset": true, "head": ""}',
        "[]",
    ],
)
def test_a_cursor_with_numbers_out_of_range_is_damaged_not_a_crash(tmp_path, aws, cursor):
    settings, log, sink = pod(tmp_path, "pod", aws)
    log.append("one")
    (settings.state_dir / "audit-sink.json").write_text(cursor)
    assert "damaged" in (refusal(settings) or "")
    assert sink.drain().error is None
    assert refusal(settings) is None


@pytest.mark.parametrize("chain", ['{"end": -5, "heads": {}}', '{"end": 1e400, "heads": {}}'])
def test_a_chain_cache_with_numbers_out_of_range_is_rebuilt(tmp_path, chain):
    log = AuditLog(tmp_path / "a.jsonl", "w")
    log.append("one")
    log.chain_path.write_text(chain)
    log.append("two")
    assert log.heads()["w"][0] == 2


def test_a_waiting_record_from_the_future_makes_the_lag_unknown(tmp_path):
    settings = settings_for(tmp_path / "pod")
    settings.state_dir.mkdir()
    ahead = {"ts": "2999-01-01T00:00:00+00:00", "event": "x", "writer": "w", "seq": 1}
    settings.audit_log.write_text("\n" + json.dumps(ahead) + "\n")
    assert "from the future" in (refusal(settings) or "")


def test_a_new_pod_that_seeds_says_so_on_the_record(tmp_path, aws):
    _, log1, sink1 = pod(tmp_path, "pod1", aws)
    log1.append("one")
    sink1.drain()
    _, log2, sink2 = pod(tmp_path, "pod2", aws)
    Drainer(sink2).start().stop()
    (seeded,) = log2.query({"event": "audit.sink.seeded"})
    assert seeded["from_seq"] == 1 and seeded["seq"] == 2

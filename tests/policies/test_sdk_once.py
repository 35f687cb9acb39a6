"""The packs convert each resource once per request (`policies.sdk_once`) and read a stack
request's resources once for all stack rules: the same verdicts, fewer conversions, and the SDK
left as it is when it changes shape."""

from __future__ import annotations

import types
from typing import Any

import pytest
from google.protobuf import struct_pb2

from policies import sdk_once


def fake_sdk() -> tuple[types.SimpleNamespace, dict[str, int]]:
    calls = {"to_dict": 0, "deserialize": 0}

    def message_to_dict(message: Any, *args: Any, **kwargs: Any) -> Any:
        calls["to_dict"] += 1
        return {k: v for k, v in message.items()}

    def deserialize(props: Any, proxy_secrets: bool = False) -> Any:
        calls["deserialize"] += 1
        return {"secrets": proxy_secrets, **props}

    json_format = types.SimpleNamespace(MessageToDict=message_to_dict, Parse=object())
    return types.SimpleNamespace(json_format=json_format, deserialize_properties=deserialize), calls


def convert(sdk: Any, message: Any, proxy_secrets: bool = False) -> Any:
    """What the SDK does once per rule."""
    return sdk.deserialize_properties(sdk.json_format.MessageToDict(message), proxy_secrets)


def struct(**values: Any) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(values)
    return message


def test_one_message_is_converted_once_for_every_rule() -> None:
    sdk, calls = fake_sdk()
    assert sdk_once.install(sdk)
    message = struct(name="bucket")
    results = [convert(sdk, message) for _ in range(74)]
    assert calls == {"to_dict": 1, "deserialize": 1}
    assert all(r is results[0] for r in results) and results[0]["name"] == "bucket"


def test_other_content_and_the_secrets_flag_are_converted_anew() -> None:
    sdk, calls = fake_sdk()
    sdk_once.install(sdk)
    a, b = struct(name="a"), struct(name="b")
    assert (convert(sdk, a)["name"], convert(sdk, b)["name"]) == ("a", "b")
    assert calls["to_dict"] == 2
    assert convert(sdk, a, proxy_secrets=True)["secrets"] is True
    assert convert(sdk, a)["secrets"] is False
    assert sdk.json_format.Parse is not None, "the rest of json_format is untouched"


def test_the_same_properties_in_the_next_request_are_not_converted_again() -> None:
    """A gate that sees a stack again (one resource changed) sends new messages with the same
    content: found by their serialized bytes, converted once, the same answers."""
    sdk, calls = fake_sdk()
    sdk_once.install(sdk)
    first = [convert(sdk, struct(name=f"r{i}", size=i)) for i in range(50)]
    again = [convert(sdk, struct(name=f"r{i}", size=i)) for i in range(49)]
    changed = convert(sdk, struct(name="r49", size=999))
    assert calls["to_dict"] == 51
    assert again == first[:49] and changed["size"] == 999 and first[49]["size"] == 49


def test_past_the_limit_memory_is_cleared_and_answers_stay_right(monkeypatch: Any) -> None:
    monkeypatch.setattr(sdk_once, "LIMIT", 3)
    sdk, _ = fake_sdk()
    sdk_once.install(sdk)
    messages = [struct(n=i) for i in range(10)]
    assert [convert(sdk, m)["n"] for m in messages] == list(range(10))
    assert [convert(sdk, m)["n"] for m in messages] == list(range(10))


def test_an_sdk_of_another_shape_is_left_as_it_is() -> None:
    sdk = types.SimpleNamespace(deserialize_properties=lambda p, s=False: p)
    assert not sdk_once.install(sdk)
    assert not hasattr(sdk, "json_format")


def test_the_installed_sdk_is_the_packs_own() -> None:
    from pulumi_policy import policy  # noqa: PLC0415

    # The names the SDK calls in its loops over the rules: if they move, install() says so
    # and this test names the version that moved them.
    assert hasattr(policy, "json_format") and hasattr(policy, "deserialize_properties")
    assert hasattr(policy, "unknown_checking_proxy")
    for name in (*sdk_once.PER_REQUEST, "AnalyzeStack"):
        assert callable(getattr(policy._PolicyAnalyzerServicer, name, None)), name


def servicer_sdk() -> tuple[types.SimpleNamespace, list[str]]:
    """The fake SDK with a servicer whose per-rule reads of a request are counted."""
    sdk, _ = fake_sdk()
    made: list[str] = []

    class Servicer:
        def _get_resource_options(self, request: Any) -> dict[str, Any]:
            made.append(f"options {request.urn}")
            return {"protect": request.protect}

        def _get_provider_resource(self, request: Any) -> dict[str, Any]:
            made.append(f"provider {request.urn}")
            return {"region": request.region}

    sdk._PolicyAnalyzerServicer = Servicer
    return sdk, made


def test_a_requests_options_and_provider_are_made_once_for_every_rule() -> None:
    sdk, made = servicer_sdk()
    assert sdk_once.install(sdk)
    servicer = sdk._PolicyAnalyzerServicer()
    a = types.SimpleNamespace(urn="a", protect=True, region="us-east-1")
    b = types.SimpleNamespace(urn="b", protect=False, region="eu-west-1")
    for _ in range(74):  # every rule of one Analyze request
        options, provider = servicer._get_resource_options(a), servicer._get_provider_resource(a)
    assert made == ["options a", "provider a"]
    assert options == {"protect": True} and provider == {"region": "us-east-1"}
    # another request (the next resource, the same content or not) gets its own
    assert servicer._get_provider_resource(b) == {"region": "eu-west-1"}
    assert made[-1] == "provider b"


def test_per_request_memory_is_bounded_and_answers_stay_right(monkeypatch: Any) -> None:
    monkeypatch.setattr(sdk_once, "LIMIT", 3)
    sdk, made = servicer_sdk()
    sdk_once.install(sdk)
    servicer = sdk._PolicyAnalyzerServicer()
    requests = [
        types.SimpleNamespace(urn=str(i), protect=i % 2 == 0, region="r") for i in range(10)
    ]
    for _ in range(2):
        assert [servicer._get_resource_options(r)["protect"] for r in requests] == [
            i % 2 == 0 for i in range(10)
        ]
    assert len(made) == 20  # cleared past the limit, so made again: never a stale answer


def proxied_sdk() -> tuple[types.SimpleNamespace, list[Any]]:
    """The fake SDK with the real unknown-checking proxy, its calls counted."""
    from pulumi_policy.proxy import unknown_checking_proxy  # noqa: PLC0415

    sdk, _ = fake_sdk()
    made: list[Any] = []

    def proxy(props: Any) -> Any:
        made.append(props)
        return unknown_checking_proxy(props)

    sdk.unknown_checking_proxy = proxy
    return sdk, made


def test_every_rule_reading_one_resource_shares_one_proxy() -> None:
    sdk, made = proxied_sdk()
    sdk_once.install(sdk)
    message = struct(name="bucket", tags={"team": "a"})
    proxies = [sdk.unknown_checking_proxy(convert(sdk, message)) for _ in range(74)]
    assert len(made) == 1 and all(p is proxies[0] for p in proxies)
    assert proxies[0]["tags"]["team"] == "a"


def test_a_remediation_writes_into_a_proxy_no_other_request_sees() -> None:
    """`Remediate` converts with `proxy_secrets` and its remediations write into the proxy:
    each call gets its own, and what one wrote is in no later reading."""
    sdk, made = proxied_sdk()
    sdk_once.install(sdk)
    message = struct(name="vol", type="gp2")
    written = sdk.unknown_checking_proxy(convert(sdk, message, proxy_secrets=True))
    written["type"] = "gp3"  # what a remediation does
    again = sdk.unknown_checking_proxy(convert(sdk, message, proxy_secrets=True))
    read = sdk.unknown_checking_proxy(convert(sdk, message))
    assert again is not written and again["type"] == "gp2"
    assert read["type"] == "gp2" and len(made) == 3


def test_an_unknown_value_still_raises_through_a_shared_proxy() -> None:
    from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError  # noqa: PLC0415

    sdk, _ = proxied_sdk()
    sdk_once.install(sdk)
    message = struct(arn=UNKNOWN_STRING_VALUE)
    for _ in range(2):  # the first reading and a later rule's
        props = sdk.unknown_checking_proxy(convert(sdk, message))
        with pytest.raises(UnknownValueError):
            props["arn"]


def stack_request() -> Any:
    """An `AnalyzeStack` request of two resources, as the engine sends one."""
    from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415

    bucket = analyzer_pb2.AnalyzerResource(
        type="aws:s3/bucket:Bucket",
        urn="urn:pulumi:dev::baseline::aws:s3/bucket:Bucket::logs",
        name="logs",
        parent="urn:pulumi:dev::baseline::pulumi:pulumi:Stack::baseline-dev",
        dependencies=["urn:key", "urn:role"],
    )
    bucket.propertyDependencies["policy"].urns.extend(["urn:role"])
    bucket.propertyDependencies["kmsKeyId"].urns.extend(["urn:key", "urn:alias"])
    bucket.properties.update({"bucket": "logs", "forceDestroy": False})
    bucket.options.protect = True
    bucket.provider.type = "pulumi:providers:aws"
    bucket.provider.properties.update({"region": "eu-west-1"})
    key = analyzer_pb2.AnalyzerResource(type="aws:kms/key:Key", urn="urn:key", name="key")
    return analyzer_pb2.AnalyzeStackRequest(resources=[bucket, key])


def what_a_rule_reads(r: Any) -> tuple[Any, ...]:
    """Every field of a resource the SDK's `AnalyzeStack` reads for each stack rule."""
    return (
        r.type,
        r.urn,
        r.name,
        r.parent,
        list(r.dependencies),
        {k: list(v.urns) for k, v in r.propertyDependencies.items()},
        dict(r.properties.items()),
        r.options.protect,
        r.HasField("provider"),
        r.provider.properties["region"] if r.HasField("provider") else None,
    )


def test_a_stack_request_is_read_once_and_reads_as_the_message() -> None:
    sdk, _ = fake_sdk()
    seen: list[Any] = []

    class Servicer:
        def AnalyzeStack(self, request: Any, context: Any) -> str:
            for _ in range(19):  # every stack rule reads every resource
                seen.append([(r, what_a_rule_reads(r)) for r in request.resources])
            return f"response to {context}"

    sdk._PolicyAnalyzerServicer = Servicer
    assert sdk_once.install(sdk)
    request = stack_request()
    assert Servicer().AnalyzeStack(request, "ctx") == "response to ctx"
    expected = [what_a_rule_reads(r) for r in request.resources]
    assert all([fields for _, fields in rule] == expected for rule in seen)
    # the same resource objects and the same properties message for every rule: read once,
    # and a properties conversion remembered by the message is found again
    first = [r for r, _ in seen[0]]
    assert all([r for r, _ in rule] == first for rule in seen)
    assert first[0].properties is request.resources[0].properties

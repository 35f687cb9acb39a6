"""How the gate drives its packs: each export's requests are built once and sent to every pack,
the packs start before the command line pays for anything it does not need, and a pack starts
without importing pulumi-aws or the cost estimate. (What the rules decide is tested in
tests/policies.)"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import json_format

from toolchain.export import SECRET_SIG, SECRET_VALUE_SIG, ExportError, StackExport
from toolchain.gate import (
    ExportRequests,
    Gate,
    PolicyConfigError,
    PolicyMeta,
    Violation,
    _provider,
    _wire,
    analyze_request,
)

ROOT = Path(__file__).resolve().parents[2]


def _analyzed(export: StackExport) -> list[str]:
    return [
        r.urn for r in export.resources if r.custom and not r.type.startswith("pulumi:providers:")
    ]


def test_one_analyze_request_per_resource_with_its_inputs_and_provider(prod):
    requests = ExportRequests.of(prod)
    assert [r.urn for r in requests.analyze] == _analyzed(prod)
    providers = {r.urn: r for r in prod.resources if r.type.startswith("pulumi:providers:")}
    for request in requests.analyze:
        resource = prod.index[request.urn]
        provider = providers.get(resource.provider_urn or "")
        # The same message the one-resource path (`AnalyzerProcess.analyze`) sends.
        expected = analyze_request(resource, None if provider is None else _provider(provider))
        assert request == expected, request.urn
        assert request.provider.urn == (provider.urn if provider else ""), request.urn


def test_the_stack_request_holds_every_resource_but_the_stack_with_its_outputs(prod):
    stack_request = ExportRequests.of(prod).analyze_stack
    resources = [r for r in prod.resources if r.type != "pulumi:pulumi:Stack"]
    assert [r.urn for r in stack_request.resources] == [r.urn for r in resources]
    for item, resource in zip(stack_request.resources, resources, strict=True):
        assert json_format.MessageToDict(item.properties) == _wire(resource.outputs), item.urn
        assert item.parent == (resource.parent or ""), item.urn
        assert list(item.dependencies) == list(resource.dependencies), item.urn
        assert item.provider.urn == (resource.provider_urn or ""), item.urn


class _RecordingPack:
    """Stands in for an `AnalyzerProcess` that is already connected, keeping what it is sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.stub = object()
        self.policies: dict[str, PolicyMeta] = {}
        self.sent: list[Any] = []

    def configure(self, normalized: Mapping[str, Any], **_: str) -> None:
        assert normalized == {}

    def send_analyze(self, request: Any) -> list[Violation]:
        self.sent.append(request)
        return []

    def send_analyze_stack(self, request: Any) -> list[Violation]:
        self.sent.append(request)
        return []


def test_every_pack_is_sent_the_same_requests_built_once(prod, tmp_path):
    for pack in ("security", "cost"):
        (tmp_path / f"{pack}.json").write_text("{}")
    gate = Gate()
    packs = {pack: _RecordingPack(pack) for pack in ("security", "cost")}
    gate.analyzers = packs  # type: ignore[assignment]
    result = gate.run(prod, tmp_path)
    security, cost = packs["security"].sent, packs["cost"].sent
    assert len(security) == len(_analyzed(prod)) + 1 == result.resources + 1
    assert [id(m) for m in security] == [id(m) for m in cost]


def _run(code: str, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_the_policy_command_starts_the_packs_before_heavy_imports(dev, tmp_path):
    export = tmp_path / "dev.json"
    export.write_text(json.dumps(dev.data))
    code = (
        "import sys\n"
        "from toolchain import gate as policy_gate\n"
        "def spawn(gate):\n"
        "    heavy = ('tabulate', 'pulumi', 'grpc', 'google.protobuf', 'yaml', 'pydantic',\n"
        "             'pydantic_settings')\n"
        "    print(sorted(m for m in heavy if m in sys.modules))\n"
        "    raise SystemExit(0)\n"
        "policy_gate.Gate.spawn = spawn\n"
        "from agents.cli.main import main\n"
        "main(['policy', '--export', sys.argv[1], '--stack', 'dev'])\n"
    )
    assert _run(code, str(export)) == "[]"


def _pack_imports(pack: str, modules: Sequence[str]) -> list[str]:
    """Which of `modules` a pack's rule modules import (every module the pack's entry point
    assembles, imported without starting its server)."""
    code = (
        "import pkgutil, sys, importlib\n"
        f"import policies.{pack} as pack\n"
        "for m in pkgutil.iter_modules(pack.__path__):\n"
        "    if m.name != '__main__':\n"
        "        importlib.import_module(f'{pack.__name__}.{m.name}')\n"
        f"print(json.dumps(sorted(m for m in {list(modules)!r} if m in sys.modules)))\n"
    )
    return list(json.loads(_run("import json\n" + code)))


def test_the_packs_start_without_pulumi_aws_or_the_cost_estimate():
    heavy = ["pulumi_aws", "toolchain.cost", "toolchain.cost.estimate", "toolchain.plan", "boto3"]
    assert _pack_imports("cost", heavy) == []
    assert _pack_imports("security", heavy) == []


def test_a_bad_policy_config_fails_before_any_pack_is_waited_for(tmp_path, prod):
    gate = Gate()
    (tmp_path / "security.json").write_text("{}")
    with pytest.raises(PolicyConfigError, match=r"cost\.json"):
        gate.run(prod, tmp_path)
    assert all(a.proc is None for a in gate.analyzers.values()), "a pack was started"


def test_requests_build_each_provider_once_whatever_the_resources(prod, monkeypatch):
    from benchmarks.cost import replicated  # noqa: PLC0415 - the benchmarks' synthetic exports
    from toolchain import gate  # noqa: PLC0415
    from toolchain.export import parse_export  # noqa: PLC0415

    big = parse_export(replicated(prod, 5))
    built: list[str] = []
    real = gate._provider

    def counting(p: Any) -> Any:
        built.append(p.urn)
        return real(p)

    monkeypatch.setattr(gate, "_provider", counting)
    requests = ExportRequests.of(big)
    providers = [r.urn for r in big.resources if r.type.startswith("pulumi:providers:")]
    assert sorted(built) == sorted(providers)  # once each, not once per resource
    assert len(requests.analyze) == len(_analyzed(big))
    assert len(requests.analyze_stack.resources) == len(big.resources) - 5  # five stacks


def _fresh_struct(props: Mapping[str, Any]) -> Any:
    from google.protobuf import struct_pb2  # noqa: PLC0415

    return json_format.ParseDict(_wire(dict(props)), struct_pb2.Struct())


def _remembered() -> int:
    """How many Structs the gate remembers now."""
    from toolchain import gate  # noqa: PLC0415

    return gate._struct_of_json.cache_info().currsize


def test_a_remembered_struct_is_the_one_its_properties_make_and_no_other():
    from toolchain import gate  # noqa: PLC0415

    gate._struct_of_json.cache_clear()
    values: list[Any] = [1, 1.5, True, False, "1", "true", None, [1], [], {}, {"x": 1}, "é", 0]
    for round_ in range(2):  # made, then remembered
        for value in values:
            props = {"a": value, "b": {"c": [value, "s"]}}
            assert gate._struct(props) == _fresh_struct(props), (round_, value)
            assert gate._struct(dict(reversed(props.items()))) == _fresh_struct(props)
    assert _remembered() == len(values)  # the reversed dicts were the same entries
    # A secret is sent with its value whether made or remembered.
    secret = {"pw": {SECRET_SIG: SECRET_VALUE_SIG, "plaintext": '"hunter2"'}}
    for _ in range(2):
        sent = json_format.MessageToDict(gate._struct(secret))
        assert sent == {"pw": {SECRET_SIG: SECRET_VALUE_SIG, "value": "hunter2"}}


def test_a_struct_that_cannot_be_made_is_refused_every_time_and_the_memory_is_bounded(
    monkeypatch,
):
    from toolchain import gate  # noqa: PLC0415

    gate._struct_of_json.cache_clear()
    bad = {"pw": {SECRET_SIG: SECRET_VALUE_SIG, "plaintext": "{not json"}}
    for _ in range(2):
        with pytest.raises(ExportError):
            gate._struct(bad)
    assert _remembered() == 0
    most = gate.STRUCT_MEMO_ENTRIES
    for i in range(most + 7):
        assert gate._struct({"n": i}) == _fresh_struct({"n": i})
    assert _remembered() == most  # 7 on kept
    made: list[object] = []
    real_wire = gate._wire

    def counted(value: Any) -> Any:
        if isinstance(value, dict):  # the properties, not the values it recurses into
            made.append(value)
        return real_wire(value)

    monkeypatch.setattr(gate, "_wire", counted)
    gate._struct({"n": 7})  # remembered, and now the most recently used
    assert not made
    gate._struct({"n": most + 7})  # made: 8, the least recently used, leaves
    assert made == [{"n": most + 7}]
    gate._struct({"n": 7})
    assert made == [{"n": most + 7}]
    assert gate._struct({"n": 8}) == _fresh_struct({"n": 8})  # made again after it left
    assert made == [{"n": most + 7}, {"n": 8}]


@pytest.mark.parametrize(
    "props",
    [
        {"a": (1, 2)},  # a tuple: a list's JSON
        {1: "x"},  # a key that is not a string: the string's JSON
        {"a": float("nan")},  # NaN is not equal to itself
    ],
    ids=["tuple", "int-key", "nan"],
)
def test_properties_that_are_not_their_json_are_converted_each_time(props):
    """A value whose JSON is shared with another value's is never answered from the memory:
    it converts (or fails to) as it would without it."""
    from toolchain import gate  # noqa: PLC0415

    gate._struct_of_json.cache_clear()
    twin = json.loads(json.dumps(props))  # the JSON-native value of the same text
    gate._struct(twin)  # remembered
    outcomes = []
    for convert in (gate._struct, _fresh_struct):
        try:
            outcomes.append(("made", json_format.MessageToDict(convert(props))))
        except Exception as exc:  # noqa: BLE001 - the same failure either way
            outcomes.append(("failed", type(exc).__name__))
    assert outcomes[0] == outcomes[1]
    assert _remembered() == 1


def test_a_diagnostic_of_a_level_this_reader_does_not_know_counts_as_mandatory():
    """A pack (a newer SDK, a pack of another author) may send a level the proto of this reader
    has no name for: it must block, not pass as advisory."""
    from types import SimpleNamespace  # noqa: PLC0415

    from toolchain.gate import AnalyzerProcess  # noqa: PLC0415

    analyzer = object.__new__(AnalyzerProcess)
    analyzer.name = "pack"
    diagnostic = SimpleNamespace(
        policyPackName="", policyName="p", enforcementLevel=7, severity=3, urn="", message="m"
    )
    (found,) = analyzer._violations(SimpleNamespace(diagnostics=[diagnostic]), "urn:x")
    assert (found.enforcementLevel, found.urn) == ("mandatory", "urn:x")

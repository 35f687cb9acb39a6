"""Rules are tested the way the engine runs them: each pack runs in its own process, started as
`python -m pulumi.policy <engine> policies/<pack>`, and is driven over the analyzer gRPC interface
(`Configure`, `Analyze`, `AnalyzeStack`) by `toolchain.gate`. The packs are started once per
session and reconfigured per test."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from toolchain.export import Resource, StackExport, parse_export
from toolchain.gate import AnalyzerProcess, Gate, Violation, normalize_config

PROVIDER_URN = "urn:pulumi:test::baseline::pulumi:providers:aws::aws"
COST_TAGS = {"project": "baseline", "stack": "test", "owner": "team", "cost-center": "cc-1"}


@pytest.fixture(scope="session")
def gate() -> Iterator[Gate]:
    with Gate(project="baseline", stack="test") as g:
        yield g


@pytest.fixture(scope="session")
def security(gate: Gate) -> AnalyzerProcess:
    return gate.analyzers["security"]


@pytest.fixture(scope="session")
def cost(gate: Gate) -> AnalyzerProcess:
    return gate.analyzers["cost"]


def provider(default_tags: Mapping[str, str] | None = None, region: str = "us-east-1") -> Resource:
    inputs: dict[str, Any] = {"region": region}
    if default_tags is not None:
        inputs["defaultTags"] = json.dumps({"tags": dict(default_tags)})
    return Resource(
        urn=PROVIDER_URN,
        type="pulumi:providers:aws",
        custom=True,
        inputs=inputs,
        outputs=inputs,
        parent=None,
        provider=None,
        dependencies=(),
        raw={"id": "p1"},
    )


def resource(
    type_token: str,
    inputs: Mapping[str, Any],
    name: str = "r",
    outputs: Mapping[str, Any] | None = None,
) -> Resource:
    token_type = type_token
    return Resource(
        urn=f"urn:pulumi:test::baseline::{token_type}::{name}",
        type=type_token,
        custom=True,
        inputs=dict(inputs),
        outputs=dict(outputs or inputs),
        parent=None,
        provider=f"{PROVIDER_URN}::p1",
        dependencies=(),
        raw={"id": f"{name}-id"},
    )


def analyze(
    analyzer: AnalyzerProcess,
    type_token: str,
    inputs: Mapping[str, Any],
    *,
    config: Mapping[str, Any] | None = None,
    default_tags: Mapping[str, str] | None = COST_TAGS,
    name: str = "r",
) -> list[Violation]:
    """`Analyze` one resource (its inputs, as in a preview) with the pack configured by
    `config` (a `--policy-pack-config` document)."""
    analyzer.configure(normalize_config(config or {}, analyzer.policies, "test config"))
    return analyzer.analyze(resource(type_token, inputs, name), provider(default_tags))


def analyze_stack(
    analyzer: AnalyzerProcess, resources: list[Resource], *, config: Mapping[str, Any] | None = None
) -> list[Violation]:
    """`AnalyzeStack` over resources (their outputs) with the pack configured by `config`."""
    analyzer.configure(normalize_config(config or {}, analyzer.policies, "test config"))
    prov = provider(COST_TAGS)
    return analyzer.analyze_stack([prov, *resources], {PROVIDER_URN: prov})


def names(violations: list[Violation]) -> set[str]:
    return {v.policyName for v in violations}


def mutate(
    export: StackExport,
    urn_or_type: str,
    *,
    name_contains: str = "",
    set_values: Mapping[str, Any] | None = None,
    delete: list[str] | None = None,
) -> tuple[StackExport, str]:
    """A copy of an export with one resource's inputs and outputs changed (dotted paths;
    list indexes as numbers). Returns the copy and the mutated resource's URN. Only that
    resource is copied; the others are shared with `export` (nothing here changes them)."""
    resources = list(export.data["deployment"]["resources"])
    data = {**export.data, "deployment": {**export.data["deployment"], "resources": resources}}
    for i, original in enumerate(resources):
        if (
            original["urn"] == urn_or_type or original["type"] == urn_or_type
        ) and name_contains in original["urn"].rsplit("::", 1)[-1]:
            raw = resources[i] = copy.deepcopy(original)
            for part in ("inputs", "outputs"):
                for path, value in (set_values or {}).items():
                    _set(raw.setdefault(part, {}), path, value)
                for path in delete or []:
                    _delete(raw.setdefault(part, {}), path)
            return parse_export(data, f"{export.source} mutated"), raw["urn"]
    raise LookupError(f"no resource {urn_or_type} named *{name_contains}* in {export.source}")


def _walk(obj: Any, path: str) -> tuple[Any, str]:
    keys = path.split(".")
    for key in keys[:-1]:
        obj = obj[int(key)] if isinstance(obj, list) else obj.setdefault(key, {})
    return obj, keys[-1]


def _set(obj: Any, path: str, value: Any) -> None:
    parent, key = _walk(obj, path)
    if isinstance(parent, list):
        parent[int(key)] = value
    else:
        parent[key] = value


def _delete(obj: Any, path: str) -> None:
    parent, key = _walk(obj, path)
    if isinstance(parent, list):
        del parent[int(key)]
    else:
        parent.pop(key, None)

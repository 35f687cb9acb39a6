"""The offline plan: the Pulumi program run under Pulumi's mock runtime with a stack's config,
written as a stack export (deployment JSON, version 3) that the policy gate, the cost estimate and
the agents read like the export of a live stack.

No CLI, plugin or credentials are needed. Provider-computed outputs (ids, ARNs, endpoints) come
from `toolchain.mocks.PlatformMocks`; everything the program decides (inputs, parents, providers,
dependencies) is recorded exactly as the SDK sends it to the engine. Secrets are written the way
`pulumi stack export` writes them without `--show-secrets`: as ciphertext (here a digest).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import heapq
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from toolchain import InputError
from toolchain.export import SECRET_SIG, SECRET_VALUE_SIG, STACK_TYPE, StackExport, parse_export
from toolchain.inputs import read_yaml
from toolchain.mocks import OFFLINE_ACCOUNT_ID, PlatformMocks, RecordingMonitor, Registration

ROOT = Path(__file__).resolve().parent.parent
PROJECT = "baseline"


class PlanError(InputError):
    """The plan could not be made from the given config (the message names the key or file)."""


def stack_config_file(stack: str) -> Path:
    return ROOT / f"Pulumi.{stack}.yaml"


def read_stack_config(path: Path) -> dict[str, Any]:
    """The `config:` map of a stack file (Pulumi.<stack>.yaml or any file of that shape)."""
    doc = read_yaml(path, "stack config", PlanError)
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise PlanError(f"{path}: expected a mapping with a 'config:' section")
    return dict(doc.get("config") or {})


def engine_config(values: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Stack-file values as the engine hands them to a program: namespaced keys, strings, structured
    values JSON-encoded. `secure:` values cannot be decrypted offline; they become a placeholder and
    are marked secret."""
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[full] = "offline-plan-secret"
            secret_keys.append(full)
        elif isinstance(value, str):
            config[full] = value
        else:
            config[full] = json.dumps(value)
    return config, secret_keys


@dataclass(frozen=True)
class Plan:
    stack: str
    export: StackExport

    def counts(self) -> list[tuple[str, str, int]]:
        """(component, type, count) for every custom resource, sorted."""
        c: Counter[tuple[str, str]] = Counter()
        for r in self.export.resources:
            if r.managed:
                c[(self.export.component_of(r), r.type)] += 1
        return sorted((comp, typ, n) for (comp, typ), n in c.items())


def run_plan(stack: str, config_values: Mapping[str, Any] | None = None) -> Plan:
    """Run the program offline for `stack` with the given stack-file config (by default the
    stack's own Pulumi.<stack>.yaml)."""
    from baseline.config import from_pulumi  # noqa: PLC0415
    from baseline.program import build  # noqa: PLC0415

    if config_values is None:
        config_values = read_stack_config(stack_config_file(stack))
    export = run_program(stack, lambda: build(from_pulumi()), config_values)
    return Plan(stack=stack, export=export)


def run_program(
    stack: str,
    program: Callable[[], Mapping[str, Any]],
    config_values: Mapping[str, Any] | None = None,
    account_id: str | None = None,
) -> StackExport:
    """Run any program function (the baseline, or one component in a test) under the mock
    runtime and return what it registered as a stack export. `program` returns the outputs;
    `account_id` is the account the mocks' caller identity and ARNs are in: by default the
    stack's own (`accountId`), as the deploy role's session in that account would answer, so the
    program's account check passes offline.

    One run at a time in a process (`_RUN_LOCK`): the SDK's runtime state (its settings, the
    root Stack resource, the config, the mocks) is the process's own, and three threads running
    a program at once had one finish, one fail (AttributeError) and one hang for good. A caller
    in another thread waits its turn. A program that plans again inside its own run is refused
    with a `PlanError` (the inner run would close the outer one's event loop)."""
    if getattr(_INSIDE, "run", False):
        raise PlanError(f"the plan of {stack} was asked for inside another plan's run")
    with _RUN_LOCK:
        _INSIDE.run = True
        try:
            return _run_program(stack, program, config_values, account_id)
        finally:
            _INSIDE.run = False


# `run_program`'s turn (the SDK's runtime state is per process), and whether this thread is in one
_RUN_LOCK = threading.Lock()
_INSIDE = threading.local()


def _run_program(
    stack: str,
    program: Callable[[], Mapping[str, Any]],
    config_values: Mapping[str, Any] | None,
    account_id: str | None,
) -> StackExport:
    # Imported here: the SDK loads in about a second, which commands that only read an export
    # should not pay.
    import pulumi  # noqa: PLC0415
    from pulumi.runtime import mocks as pulumi_mocks  # noqa: PLC0415
    from pulumi.runtime import settings  # noqa: PLC0415
    from pulumi.runtime.config import set_all_config  # noqa: PLC0415
    from pulumi.runtime.stack import run_pulumi_func  # noqa: PLC0415
    from pulumi.runtime.sync_await import _sync_await  # noqa: PLC0415

    from baseline.config import ConfigError  # noqa: PLC0415

    config, secret_keys = engine_config(config_values or {})
    if account_id is None:
        account_id = config.get(f"{PROJECT}:accountId") or OFFLINE_ACCOUNT_ID
    mocks = PlatformMocks(account_id)
    monitor = RecordingMonitor(mocks)
    # A loop of our own (set before the root Stack resource is made), closed at the end, so
    # nothing is left for the garbage collector to close noisily at exit.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    outputs: dict[str, Any] = {}

    def run() -> Any:
        exported = program()

        async def resolve() -> None:
            for name, value in exported.items():
                out = pulumi.Output.from_input(value)
                resolved = await out.future()
                outputs[name] = _secret(resolved) if await out.is_secret() else resolved

        return resolve()

    try:
        with _without_source_positions():  # from the root Stack resource on
            settings.ROOT.set(None)  # a fresh root Stack resource for every run in this process
            pulumi_mocks.set_mocks(
                mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor
            )
            set_all_config(config, secret_keys)
            _sync_await(run_pulumi_func(run))
    except (ConfigError, pulumi.RunError) as exc:  # RunError: the program's one-line refusals
        raise PlanError(str(exc)) from exc
    finally:
        monitor.close()
        loop.close()
        asyncio.set_event_loop(None)
    data = to_export(monitor.registrations, monitor.component_outputs, outputs)
    return parse_export(data, f"offline plan of {stack}")


@contextlib.contextmanager
def _without_source_positions() -> Iterator[None]:
    """The SDK's per-resource stack trace left out while the mock runtime runs the program.

    For every resource the SDK walks the Python stack and turns each frame into a file URI, for
    the engine to record where in the program the resource was made. The offline plan's export
    has no such field and the mocks read none, and the walk was an eighth of a plan's work (the
    prod plan's function calls, counted by cProfile: 2.38M with it, 2.09M without; exports the
    same, 2026-12-07). Replaced from the root Stack resource to the end, with the empty
    trace the SDK itself sends when it finds no user frame, and restored after. Runs take turns
    (`_RUN_LOCK`) and never nest, so one save and restore is enough. An SDK without the function
    is left as it is."""
    from pulumi.runtime import resource  # noqa: PLC0415
    from pulumi.runtime.proto import source_pb2  # noqa: PLC0415

    original = getattr(resource, "_get_stack_trace", None)
    if original is None:
        yield
        return
    resource._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        resource._get_stack_trace = original


def _secret(value: Any) -> dict[str, str]:
    digest = hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
    return {SECRET_SIG: SECRET_VALUE_SIG, "ciphertext": f"offline-plan:{digest[:32]}"}


def _redact(value: Any) -> Any:
    """Secrets as `pulumi stack export` writes them without --show-secrets."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE_SIG:
            return _secret(value.get("value"))
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _stable_order(registrations: list[Registration]) -> list[Registration]:
    by_urn = {r.urn: r for r in registrations}
    needs: dict[str, set[str]] = {}
    for r in registrations:
        edges = {r.parent, r.provider.rsplit("::", 1)[0] if r.provider else "", *r.dependencies}
        needs[r.urn] = {u for u in edges if u in by_urn and u != r.urn}
    users: dict[str, list[str]] = {u: [] for u in by_urn}
    for urn, deps in needs.items():
        for dep in deps:
            users[dep].append(urn)
    ready = [u for u, deps in needs.items() if not deps]
    heapq.heapify(ready)
    ordered: list[Registration] = []
    while ready:
        urn = heapq.heappop(ready)
        ordered.append(by_urn[urn])
        for user in users[urn]:
            needs[user].discard(urn)
            if not needs[user]:
                heapq.heappush(ready, user)
    if len(ordered) != len(registrations):  # the engine refuses cycles; so do we
        raise RuntimeError("the program's resources depend on each other in a cycle")
    return ordered


def to_export(
    registrations: list[Registration],
    component_outputs: dict[str, dict[str, Any]],
    stack_outputs: dict[str, Any],
) -> dict[str, Any]:
    """The registrations as a version 3 deployment. Like the engine's, the order is a dependency
    order (parents, providers and dependencies first); ties are broken by URN so that two plans of
    the same program are byte-for-byte alike whatever order the SDK registered them in."""
    resources: list[dict[str, Any]] = []
    for reg in _stable_order(registrations):
        entry: dict[str, Any] = {"urn": reg.urn, "custom": reg.custom, "type": reg.type}
        if reg.custom:
            entry["id"] = reg.id
        if reg.type == STACK_TYPE:
            entry["inputs"], entry["outputs"] = {}, stack_outputs
        elif reg.custom:
            entry["inputs"], entry["outputs"] = _redact(reg.inputs), _redact(reg.outputs)
        else:
            entry["inputs"] = {}
            entry["outputs"] = _redact(component_outputs.get(reg.urn, {}))
        if reg.parent:
            entry["parent"] = reg.parent
        if reg.protect:
            entry["protect"] = True
        # The SDK gathers dependencies from sets; sorted, two plans compare equal.
        if reg.dependencies:
            entry["dependencies"] = sorted(set(reg.dependencies))
        if reg.provider:
            entry["provider"] = reg.provider
        deps = {k: sorted(set(v)) for k, v in reg.property_dependencies.items() if v}
        if deps:
            entry["propertyDependencies"] = deps
        if reg.ignore_changes:
            entry["ignoreChanges"] = reg.ignore_changes
        resources.append(entry)
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return {
        "version": 3,
        "deployment": {
            "manifest": {
                "time": now,
                "magic": "",
                "version": f"offline-plan (pulumi python sdk {version('pulumi')})",
            },
            "resources": resources,
        },
    }


def known_stacks() -> list[str]:
    """The stacks of the project: one `Pulumi.<stack>.yaml` each beside `Pulumi.yaml`."""
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))

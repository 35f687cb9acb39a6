"""The offline policy gate: the project's CrossGuard packs run over a stack export, spoken to
exactly as the Pulumi engine speaks to them.

Each pack is started the way the engine starts a Python policy pack (the
`pulumi-analyzer-policy-python` shim runs `python -u -m pulumi.policy <engine> <pack-dir>`); the
pack serves the analyzer gRPC interface on 127.0.0.1 and prints its port. The gate then calls
`GetAnalyzerInfo`, `Configure` with the stack's policy config (the same JSON files
`pulumi preview --policy-pack-config` takes), `ConfigureStack`, `Analyze` once per resource with
its inputs and its provider (as the engine does during a preview), and `AnalyzeStack` once with
every resource's outputs, parents and dependencies. What the rules see is what they would see in a
real preview; nothing in the rules knows about this gate.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from toolchain import InputError, ToolchainError
from toolchain.export import (
    SECRET_SIG,
    SECRET_VALUE_SIG,
    STACK_TYPE,
    ExportError,
    Resource,
    StackExport,
)
from toolchain.inputs import YAML_MAX_BYTES, parse_json, read_json
from toolchain.processes import die_with_parent

ROOT = Path(__file__).resolve().parent.parent
POLICIES = ROOT / "policies"
PACKS = ("security", "cost")
# Set on a `pulumi preview`/`up` that runs the packs (the agents' gateway, `make preview|up`): the
# names of the packs attached. The program reads it and says so in its outputs, and warns when a
# run has none (a person's bare `pulumi up`).
POLICY_PACKS_ENV = "BASELINE_POLICY_PACKS"
# Which role the program's providers assume (baseline/accounts.py, `provider_role_arn`): `preview`
# for a run that only reads the cloud (preview, drift check), the stack's read-only
# `previewRoleArn`; `deploy` (or unset: a person's `pulumi up`) for one that changes it, the stack's
# `deployRoleArn`. Any other value stops the program (fail closed). Set per operation by the agents'
# gateway.
PROVIDER_ROLE_ENV = "BASELINE_PROVIDER_ROLE"
PROVIDER_ROLES = ("preview", "deploy")
CONFIG_DIR = POLICIES / "config"
# The policy config of a stack without its own folder (a pull request's new `Pulumi.qa.yaml`):
# production's, whose security rules are the strictest (every one mandatory); see
# `policy_config_dir`.
DEFAULT_CONFIG_STACK = "prod"
START_TIMEOUT_S = 60.0
# Verdicts a pack remembers per resource request (see `Gate._analyze`): enough
# for several stacks of thousands of resources, a few megabytes at most.
MEMO_ENTRIES = 50_000
# What the engine and the policy SDK allow a message to weigh (pulumi's `_MAX_RPC_MESSAGE_SIZE`):
# the gRPC default of 4 MiB is too little for the answers about a large stack.
MAX_MESSAGE_BYTES = 400 * 1024 * 1024
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "remediate", "disabled")


class PolicyGateError(ToolchainError):
    """A pack could not be started or answered wrongly (not the user's input)."""


class PolicyConfigError(InputError):
    """A policy config file is missing or malformed."""


@dataclass(frozen=True)
class Violation:
    policyPack: str
    policyName: str
    enforcementLevel: str
    severity: str
    urn: str
    message: str

    @property
    def mandatory(self) -> bool:
        return self.enforcementLevel == "mandatory"

    @property
    def detail(self) -> str:
        """The rule's own message, without the description the SDK puts in front of it."""
        return self.message.split("\n", 1)[1] if "\n" in self.message else self.message


@dataclass(frozen=True)
class PolicyMeta:
    name: str
    description: str
    enforcementLevel: str
    severity: str
    tags: tuple[str, ...]
    framework: str
    remediation: str

    @property
    def rule_id(self) -> str:
        return next((t[3:] for t in self.tags if t.startswith("id:")), "")

    @property
    def controls(self) -> tuple[str, ...]:
        return tuple(t for t in self.tags if not t.startswith("id:"))


@dataclass
class GateResult:
    violations: list[Violation] = field(default_factory=list)
    packs: dict[str, dict[str, PolicyMeta]] = field(default_factory=dict)
    resources: int = 0
    config_dir: str = ""  # the policy config folder the packs ran with
    notice: str | None = None  # set when that folder is the default one (`policy_config_dir`)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.mandatory]

    def to_json(self) -> list[dict[str, Any]]:
        return [asdict(v) for v in self.violations]


_LEVEL_NAMES = {0: "advisory", 1: "mandatory", 2: "disabled", 3: "remediate"}
_SEVERITY_NAMES = {0: "unspecified", 1: "low", 2: "medium", 3: "high", 4: "critical"}


def _level_enum(name: str) -> int:
    return {v: k for k, v in _LEVEL_NAMES.items()}[name]


def policy_config_dir(stack: str) -> tuple[Path, str | None]:
    """The policy config folder of a stack and, when it is not the stack's own, the one-line
    notice saying so. `policies/config/<stack>/` when anything is at that path (a folder that is
    broken, incomplete or not a folder still refuses, when it is read); for a stack with nothing
    there, the default `policies/config/<DEFAULT_CONFIG_STACK>/`. A name that is not a stack
    name is refused (fail closed: no default for a path that names something else)."""
    from toolchain.inputs import STACK_NAME  # noqa: PLC0415

    if not STACK_NAME.fullmatch(stack):
        raise PolicyConfigError(f"{stack[:80]!r} is not a stack name: no policy config for it")
    own = CONFIG_DIR / stack
    if os.path.lexists(own):
        return own, None
    default = CONFIG_DIR / DEFAULT_CONFIG_STACK
    return default, (
        f"no policy config for stack '{stack}' ({own} does not exist): using the default, "
        f"{default} (the strictest security rules); add {own}/ to give the stack its own"
    )


def load_policy_config(config_dir: Path, pack: str) -> dict[str, Any]:
    """A pack's `--policy-pack-config` file (`<config_dir>/<pack>.json`)."""
    path = config_dir / f"{pack}.json"
    # A hand-written config file: the 1 MiB cap of the other hand-written files.
    data = read_json(path, "policy config", limit=YAML_MAX_BYTES, error=PolicyConfigError)
    if not isinstance(data, dict):
        raise PolicyConfigError(f"{path}: expected a JSON object of policy names")
    return data


def normalize_config(
    raw: Mapping[str, Any], policies: Mapping[str, PolicyMeta], source: str
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What the CLI does with a policy config file: `all` sets every policy's level, a policy's
    entry (a level, or an object with `enforcementLevel` and properties) overrides it. Unknown
    policy names and levels are refused, naming the key."""
    out: dict[str, tuple[str, dict[str, Any]]] = {}
    default_level = raw.get("all")
    if default_level is not None and default_level not in ENFORCEMENT_LEVELS:
        raise PolicyConfigError(f"{source}: 'all': unknown enforcement level {default_level!r}")
    for key in raw:
        if key != "all" and key not in policies:
            raise PolicyConfigError(f"{source}: '{key}' is not a policy of this pack")
    for name, meta in policies.items():
        level = default_level or meta.enforcementLevel
        props: dict[str, Any] = {}
        entry = raw.get(name)
        if isinstance(entry, str):
            level = entry
        elif isinstance(entry, dict):
            level = entry.get("enforcementLevel", level)
            props = {k: v for k, v in entry.items() if k != "enforcementLevel"}
        elif entry is not None:
            raise PolicyConfigError(f"{source}: '{name}': expected a level or an object")
        if level not in ENFORCEMENT_LEVELS:
            raise PolicyConfigError(f"{source}: '{name}': unknown enforcement level {level!r}")
        out[name] = (level, props)
    return out


def _wire(value: Any) -> Any:
    """Export values as the engine sends them to analyzers: secrets as secret objects with a
    value (the offline gate cannot decrypt ciphertext, so the value is a placeholder)."""
    if isinstance(value, dict):
        if value.get(SECRET_SIG) == SECRET_VALUE_SIG:
            inner = value.get("plaintext")
            plain = "[secret]"
            if isinstance(inner, str):  # JSON inside a string of the export: the same bounds
                data = inner.encode("utf-8", "surrogatepass")  # a lone surrogate fails decoding
                plain = parse_json(data, "a secret in the export", "plaintext", error=ExportError)
            return {SECRET_SIG: SECRET_VALUE_SIG, "value": _wire(plain)}
        return {k: _wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_wire(v) for v in value]
    return value


# The one thread that starts the packs' processes (see `AnalyzerProcess.spawn`).
_SPAWNER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policy-packs")


class AnalyzerProcess:
    """One policy pack, started like the engine starts it, behind its analyzer gRPC stub."""

    def __init__(
        self,
        pack_dir: Path,
        *,
        project: str,
        stack: str,
        program_config: Mapping[str, str] | None = None,
        python: str | Path | None = None,
    ) -> None:
        self.pack_dir = pack_dir
        # The interpreter the pack runs under: this process's by default; a pack's own
        # virtualenv's, as the CLI's `pulumi-analyzer-policy-python` starts it, when given.
        self.python = str(python or sys.executable)
        self.project = project
        self.stack = stack
        self.program_config = dict(program_config or {})
        self.proc: subprocess.Popen[bytes] | None = None
        self._channel: Any = None
        self.stub: Any = None
        self.name = ""
        self.policies: dict[str, PolicyMeta] = {}

    def __enter__(self) -> AnalyzerProcess:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.spawn()
        self.connect()

    def spawn(self) -> None:
        """Launch the pack's process and return at once: the pack imports the SDK and its rules
        (a few tenths of a second) while the caller does other work. `connect` waits for it."""
        if self.proc is not None:
            return
        env = {
            **os.environ,
            "PULUMI_PROJECT": self.project,
            "PULUMI_STACK": self.stack,
            "PULUMI_DRY_RUN": "true",
            "PULUMI_CONFIG": json.dumps(self.program_config),
        }
        # Started from one long-lived thread (`_SPAWNER`): the pack dies with the thread that
        # forked it (toolchain/processes.py), so not with a short-lived caller's, and with the
        # process in any case.
        self.proc = _SPAWNER.submit(
            subprocess.Popen,
            [self.python, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(self.pack_dir.resolve())],
            cwd=self.pack_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=die_with_parent(os.getpid()),
        ).result()

    def connect(self) -> None:
        """Wait for the pack to serve, then read its name and policies (`GetAnalyzerInfo`)."""
        if self.stub is not None:
            return
        import grpc  # noqa: PLC0415
        from pulumi.runtime.proto import analyzer_pb2_grpc  # noqa: PLC0415

        self.spawn()
        port = self._read_port()
        self._channel = grpc.insecure_channel(
            f"127.0.0.1:{port}", options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES)]
        )
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self._channel)
        self._load_info()

    def _read_port(self) -> int:
        assert self.proc is not None and self.proc.stdout is not None
        line: list[bytes] = []
        reader = threading.Thread(
            target=lambda: line.append(self.proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        )
        reader.start()
        reader.join(START_TIMEOUT_S)
        text = line[0].decode().strip() if line else ""
        if not text.isdigit():
            self.proc.kill()
            err = (self.proc.stderr.read().decode() if self.proc.stderr else "").strip()
            last = err.splitlines()[-1] if err else "no output"
            raise PolicyGateError(f"policy pack {self.pack_dir.name} did not start: {last}")
        return int(text)

    def _load_info(self) -> None:
        # The first call waits for the connection itself (rather than `channel_ready_future`, whose
        # connectivity-polling thread makes closing the channel soon after take up to 0.2 s).
        info = self.stub.GetAnalyzerInfo(_empty(), wait_for_ready=True, timeout=START_TIMEOUT_S)
        self.name = info.name
        self.policies = {
            p.name: PolicyMeta(
                name=p.name,
                description=p.description,
                enforcementLevel=_LEVEL_NAMES.get(p.enforcementLevel, "advisory"),
                severity=_SEVERITY_NAMES.get(p.severity, "unspecified"),
                tags=tuple(p.tags),
                framework=(
                    f"{p.framework.name} {p.framework.reference}".strip()
                    if p.HasField("framework")
                    else ""
                ),
                remediation=p.remediation_steps,
            )
            for p in info.policies
        }

    def configure(
        self,
        normalized: Mapping[str, tuple[str, dict[str, Any]]],
        *,
        stack: str | None = None,
        project: str | None = None,
    ) -> None:
        from google.protobuf import json_format, struct_pb2  # noqa: PLC0415
        from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415

        request = analyzer_pb2.ConfigureAnalyzerRequest()
        for name, (level, props) in normalized.items():
            cfg = analyzer_pb2.PolicyConfig(enforcementLevel=_level_enum(level))  # type: ignore[arg-type]
            cfg.properties.CopyFrom(json_format.ParseDict(props, struct_pb2.Struct()))
            request.policyConfig[name].CopyFrom(cfg)
        self.stub.Configure(request)
        self.stub.ConfigureStack(
            analyzer_pb2.AnalyzerStackConfigureRequest(
                stack=stack or self.stack,
                project=project or self.project,
                organization="organization",
                dry_run=True,
            )
        )

    def analyze(self, resource: Resource, provider: Resource | None) -> list[Violation]:
        """`Analyze` one resource: its inputs and its provider."""
        return self.send_analyze(
            analyze_request(resource, None if provider is None else _provider(provider))
        )

    def analyze_stack(
        self, resources: Sequence[Resource], providers: Mapping[str, Resource]
    ) -> list[Violation]:
        """`AnalyzeStack` over resources: their outputs, parents and dependencies."""
        return self.send_analyze_stack(analyze_stack_request(resources, providers))

    def send_analyze(self, request: Any) -> list[Violation]:
        """Send a built `AnalyzeRequest` (see `ExportRequests`)."""
        return self._violations(self._call(self.stub.Analyze, request, request.urn), request.urn)

    def send_analyze_stack(self, request: Any) -> list[Violation]:
        """Send a built `AnalyzeStackRequest` (see `ExportRequests`)."""
        return self._violations(self._call(self.stub.AnalyzeStack, request, "the stack"), "")

    def _call(self, method: Any, request: Any, what: str) -> Any:
        """One analysis; a pack that fails on it (a policy raising on a property of a shape
        it did not expect, a pack that died) is a `PolicyGateError` naming the pack and what it
        judged: no verdict, so nothing passes (it had been a gRPC traceback)."""
        import grpc  # noqa: PLC0415

        try:
            return method(request)
        except grpc.RpcError as exc:
            details = exc.details() if isinstance(exc, grpc.Call) else str(exc)
            first = (str(details or exc).splitlines() or [""])[0][:300]
            raise PolicyGateError(
                f"policy pack {self.name} failed on {what}: {first}; no verdict"
            ) from exc

    def _violations(self, response: Any, default_urn: str) -> list[Violation]:
        return [
            Violation(
                policyPack=d.policyPackName or self.name,
                policyName=d.policyName,
                # a level this reader does not know counts as mandatory (fail closed)
                enforcementLevel=_LEVEL_NAMES.get(d.enforcementLevel, "mandatory"),
                severity=_SEVERITY_NAMES.get(d.severity, "unspecified"),
                urn=d.urn or default_urn,
                message=d.message,
            )
            for d in response.diagnostics
        ]

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream is not None:
                    stream.close()


def _empty() -> Any:
    from google.protobuf import empty_pb2  # noqa: PLC0415

    return empty_pb2.Empty()


# How many properties' Structs `_struct` remembers (least recently used first out): converting is
# the most of building a request (protobuf's `json_format` walks every value in Python), and a
# gate that sees a stack again (an agent's next pass, the corpus's one-resource mutations, the
# savings variants) meets the same properties again.
STRUCT_MEMO_ENTRIES = 4096


def _struct(props: Mapping[str, Any]) -> Any:
    """`props` as the `Struct` the engine sends (`_wire`), to be copied into a request (never
    changed: it may be handed out again). Remembered by the properties' JSON with sorted keys:
    two dicts of one JSON are one Struct (a Struct's map has no order, and its numbers are
    doubles), which is also how `Gate._analyze` already tells requests apart. Only properties
    that are their JSON's own value are remembered or looked up (what an export holds): a tuple,
    a key that is not a string or a NaN would share a JSON text with a value that converts
    otherwise (or not at all), so those are converted each time."""
    try:
        text = json.dumps(props, sort_keys=True, ensure_ascii=False, allow_nan=True)
        plain = json.loads(text) == props
    except (TypeError, ValueError):
        plain = False
    return _struct_of_json(text) if plain else _converted(props)


@functools.lru_cache(maxsize=STRUCT_MEMO_ENTRIES)
def _struct_of_json(text: str) -> Any:
    """The Struct of the properties that are `text`'s own value (see `_struct`). A conversion
    that fails raises each time: only what was made is remembered."""
    return _converted(json.loads(text))


def _converted(props: Mapping[str, Any]) -> Any:
    from google.protobuf import json_format, struct_pb2  # noqa: PLC0415

    return json_format.ParseDict(_wire(dict(props)), struct_pb2.Struct())


def _options(r: Resource) -> Any:
    from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415

    return analyzer_pb2.AnalyzerResourceOptions(
        protect=bool(r.raw.get("protect")),
        ignoreChanges=list(r.raw.get("ignoreChanges") or []),
        parent=r.parent or "",
    )


def _provider(p: Resource) -> Any:
    from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415

    msg = analyzer_pb2.AnalyzerProviderResource(type=p.type, urn=p.urn, name=p.name)
    msg.properties.CopyFrom(_struct(p.inputs))
    return msg


def analyze_request(resource: Resource, provider: Any | None) -> Any:
    """The `AnalyzeRequest` for one resource: its inputs, as during a preview, and its provider
    (an `AnalyzerProviderResource`, built once per provider)."""
    from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415

    request = analyzer_pb2.AnalyzeRequest(
        type=resource.type, urn=resource.urn, name=resource.name, options=_options(resource)
    )
    request.properties.CopyFrom(_struct(resource.inputs))
    if provider is not None:
        request.provider.CopyFrom(provider)
    return request


def analyze_stack_request(
    resources: Sequence[Resource],
    providers: Mapping[str, Resource],
    provider_messages: Mapping[str, Any] | None = None,
) -> Any:
    """The `AnalyzeStackRequest` over resources: each one's outputs, parent, dependencies and
    provider (`provider_messages` by URN, when they are already built)."""
    from pulumi.runtime.proto import analyzer_pb2  # noqa: PLC0415

    built = dict(provider_messages or {})
    request = analyzer_pb2.AnalyzeStackRequest()
    for r in resources:
        item = analyzer_pb2.AnalyzerResource(
            type=r.type,
            urn=r.urn,
            name=r.name,
            options=_options(r),
            parent=r.parent or "",
            dependencies=list(r.dependencies),
        )
        item.properties.CopyFrom(_struct(r.outputs))
        provider = providers.get(r.provider_urn or "")
        if provider is not None:
            if provider.urn not in built:
                built[provider.urn] = _provider(provider)
            item.provider.CopyFrom(built[provider.urn])
        for key, urns in (r.raw.get("propertyDependencies") or {}).items():
            item.propertyDependencies[key].urns.extend(urns)
        request.resources.append(item)
    return request


@dataclass(frozen=True)
class ExportRequests:
    """An export as the packs are sent it: one `AnalyzeRequest` per custom resource (providers
    aside) and one `AnalyzeStackRequest` over every resource but the stack. Built once per
    `Gate.run` and sent to every pack (protobuf messages are only read once built)."""

    analyze: tuple[Any, ...]
    analyze_stack: Any  # None when the stack rules are not to run

    @classmethod
    def of(cls, export: StackExport, *, stack_rules: bool = True) -> ExportRequests:
        resources = [r for r in export.resources if r.type != STACK_TYPE]
        providers = {r.urn: r for r in resources if r.is_provider}
        messages = {urn: _provider(p) for urn, p in providers.items()}
        analyzed = [r for r in resources if r.managed]
        return cls(
            analyze=tuple(analyze_request(r, messages.get(r.provider_urn or "")) for r in analyzed),
            analyze_stack=(
                analyze_stack_request(resources, providers, messages) if stack_rules else None
            ),
        )


def stack_of(export: StackExport) -> str:
    """The stack named in an export's URNs (`urn:pulumi:<stack>::<project>::...`)."""
    for r in export.resources:
        head = r.urn.split("::", 1)[0].split(":")
        if len(head) == 3 and head[:2] == ["urn", "pulumi"]:
            return head[2]
    return ""


def project_of(export: StackExport) -> str:
    for r in export.resources:
        bits = r.urn.split("::")
        if len(bits) > 1:
            return bits[1]
    return ""


class Gate:
    """The packs, started once, run over any number of exports (tests and agents reuse one)."""

    def __init__(
        self, packs: Iterable[str] = PACKS, *, project: str = "baseline", stack: str = "stack"
    ) -> None:
        self.analyzers = {
            pack: AnalyzerProcess(POLICIES / pack, project=project, stack=stack) for pack in packs
        }
        self._memo: dict[str, OrderedDict[bytes, tuple[Violation, ...]]] = {}

    def _analyze(self, pack: str, request: Any, setting: str) -> list[Violation]:
        """`Analyze` one resource, answered from memory when this pack has already judged the
        very same request (byte for byte) under the very same config, stack and project. A
        rule's verdict on one resource is a function of exactly those, so a gate that sees the
        same stack again (an agent's next pass, the corpus's one-resource mutations, the savings
        variants) sends only what changed; `AnalyzeStack` is always sent."""
        memo = self._memo.setdefault(pack, OrderedDict())
        key = hashlib.blake2b(
            setting.encode() + b"\0" + request.SerializeToString(deterministic=True),
            digest_size=20,
        ).digest()
        known = memo.get(key)
        if known is None:
            known = tuple(self.analyzers[pack].send_analyze(request))
            memo[key] = known
            if len(memo) > MEMO_ENTRIES:
                memo.popitem(last=False)
        else:
            memo.move_to_end(key)
        return list(known)

    def spawn(self) -> Gate:
        """Launch every pack's process without waiting for it (see `AnalyzerProcess.spawn`)."""
        for analyzer in self.analyzers.values():
            analyzer.spawn()
        return self

    def connect(self) -> None:
        """Wait for every pack to serve (in parallel; at once for those already connected)."""
        pending = [a for a in self.analyzers.values() if a.stub is None]
        if pending:
            with ThreadPoolExecutor(max_workers=len(pending)) as pool:
                list(pool.map(lambda a: a.connect(), pending))

    def close(self) -> None:
        for analyzer in self.analyzers.values():
            analyzer.close()

    def __enter__(self) -> Gate:
        self.spawn()
        self.connect()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(
        self,
        export: StackExport,
        config_dir: Path,
        packs: Iterable[str] | None = None,
        *,
        stack_rules: bool = True,
    ) -> GateResult:
        """Run the packs (all by default) over an export with the policy config in `config_dir`
        (one `<pack>.json` per pack, the files `--policy-pack-config` takes). The config is read
        and the requests are built before waiting for packs that are still starting.
        `stack_rules=False` sends the resources only, not `AnalyzeStack`: a partial verdict, for
        a caller that looks for one resource rule's finding (the policy corpus's tests)."""
        configs = {
            pack: load_policy_config(config_dir, pack)
            for pack in (packs if packs is not None else self.analyzers)
        }
        requests = ExportRequests.of(export, stack_rules=stack_rules)
        self.connect()
        stack, project = stack_of(export) or "stack", project_of(export) or "project"

        def one_pack(pack: str) -> tuple[str, dict[str, PolicyMeta], list[Violation]]:
            analyzer = self.analyzers[pack]
            normalized = normalize_config(
                configs[pack], analyzer.policies, str(config_dir / f"{pack}.json")
            )
            analyzer.configure(normalized, stack=stack, project=project)
            setting = json.dumps([normalized, stack, project], sort_keys=True, default=str)
            found: list[Violation] = []
            for request in requests.analyze:
                found += self._analyze(pack, request, setting)
            if requests.analyze_stack is not None:
                found += analyzer.send_analyze_stack(requests.analyze_stack)
            return analyzer.name, analyzer.policies, found

        result = GateResult(resources=len(requests.analyze), config_dir=str(config_dir))
        with ThreadPoolExecutor(max_workers=len(configs)) as pool:
            for name, policies, found in pool.map(one_pack, configs):
                result.packs[name] = policies
                result.violations += found
        order = {"mandatory": 0, "advisory": 1}
        result.violations.sort(
            key=lambda v: (order.get(v.enforcementLevel, 2), v.policyPack, v.policyName, v.urn)
        )
        return result


# Gates kept for the next `run_gate` of the same packs, project and stack (see `run_gate`), with
# when they started: a kept gate is used for at most KEEP_S seconds, so packs whose data changed
# on disk (a price refresh) are started again within that time.
KEEP_S = 900.0
_KEPT: dict[tuple[tuple[str, ...], str, str], tuple[Gate, float]] = {}
_KEPT_LOCK = threading.Lock()


def _close_kept() -> None:
    with _KEPT_LOCK:
        kept = [gate for gate, _ in _KEPT.values()]
        _KEPT.clear()
    for gate in kept:
        gate.close()


atexit.register(_close_kept)


def run_gate(
    export: StackExport,
    config_dir: Path,
    packs: Iterable[str] = PACKS,
    *,
    notice: str | None = None,
) -> GateResult:
    """Run the packs over one export. The packs' processes are kept for the next call of the
    same packs, project and stack in this process (an agent's next pass, the next tool call):
    starting a pack costs more than judging a plan, and a kept gate remembers its verdicts, so
    the next run sends only what changed. A kept gate serves one caller at a time (a concurrent
    caller starts its own, and one of the two is kept); a gate whose run failed is closed, never
    kept, and a kept gate that fails is replaced by a fresh one once (a pack that died while
    idle); a kept gate older than KEEP_S is started again (its packs read their data when they
    start); the rest close at exit. `notice` (from `policy_config_dir`) is kept in the result."""
    names = tuple(packs)
    project, stack = project_of(export) or "project", stack_of(export) or "stack"
    key = (names, project, stack)
    with _KEPT_LOCK:
        gate, started = _KEPT.pop(key, (None, 0.0))
    if gate is not None and time.monotonic() - started > KEEP_S:
        gate.close()
        gate = None
    if gate is not None:
        try:
            result = gate.run(export, config_dir)
        except ToolchainError:
            gate.close()  # the input's fault (a bad config, say): the same from a fresh gate
            raise
        except Exception:  # noqa: BLE001 - the pack's process or channel: start afresh, once
            gate.close()
            gate = None
    if gate is None:
        gate, started = Gate(names, project=project, stack=stack).spawn(), time.monotonic()
        try:
            result = gate.run(export, config_dir)
        except Exception:
            gate.close()
            raise
    with _KEPT_LOCK:
        kept, _ = _KEPT.setdefault(key, (gate, started))
    if kept is not gate:
        gate.close()  # another caller's gate was kept meanwhile
    result.notice = notice
    return result


def rule_table(gate: Gate, stacks: Sequence[str] = ("dev", "prod")) -> list[dict[str, str]]:
    """One row per rule: id, pack, name, description, controls, severity and the enforcement
    each stack's policy config gives it (what the README's rule table shows)."""
    levels = {}
    for stack in stacks:
        for pack, analyzer in gate.analyzers.items():
            raw = load_policy_config(CONFIG_DIR / stack, pack)
            for name, (level, _) in normalize_config(
                raw, analyzer.policies, f"{stack}/{pack}.json"
            ).items():
                levels[(stack, analyzer.name, name)] = level
    rows = []
    for analyzer in gate.analyzers.values():
        for meta in analyzer.policies.values():
            row = {
                "id": meta.rule_id,
                "pack": analyzer.name,
                "policy": meta.name,
                "checks": meta.description,
                "controls": ", ".join(meta.controls),
                "severity": meta.severity,
            }
            for stack in stacks:
                row[stack] = levels[(stack, analyzer.name, meta.name)]
            rows.append(row)
    return sorted(rows, key=lambda r: r["id"])

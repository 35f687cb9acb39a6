"""Drift repaired under review (issue 24): what a drift check found, sorted into what may be
repaired, what is expected (a declared exception) and what cannot be read; and the repair as a
proposal that goes to approval like any other change.

- **The repair** is the operation `repair-drift` of the release engineer (the one persona that
  may `refresh` and `up`): under one lease it checks the drift again, refreshes exactly the
  drifted resources (`pulumi refresh --target`), previews the restore with both policy packs
  (`--target` the same resources), and runs `up` on them with that preview's fingerprint as
  `expect`. A restore plan that would change any resource that did not drift is refused before
  `up`: changes beyond the drift are a release, not a repair.
- **The proposal** (`repair_proposal`) is a `Proposal` of the stack, the applier
  (`release-engineer`), the operation `repair-drift`, and one change per drifted resource: its
  drift op (`update`: it differs; `delete`: it is gone), URN, type and the properties that
  differ. Its digest binds an approval to exactly that drift: the release engineer checks the
  drift again before anything runs, builds the proposal again, and consumes the approval only if
  the digests match (so another stack, another operation, more, fewer or other drifted resources
  or properties, an expired or used approval: refused, nothing refreshed, nothing applied).
- **Declared exceptions** (`load_exceptions`) live beside the stack's policy config:
  `policies/config/<stack>/drift.json`, reviewed like any other config. A missing file is no
  exception (never the default stack's: fewer exceptions is the safe side). Each exception names
  resources by URN pattern (`fnmatch`) and/or type, optionally the only properties whose drift
  it covers, and always the reason. An excepted drift is not repaired, but it is never silent:
  an `info` finding (`drift.excepted`) and an audit line carry the reason. A file that cannot be
  read or validated proposes no repair at all (fail closed), and says so.

```json
{"exceptions": [
  {"type": "aws:eks/nodeGroup:NodeGroup", "properties": ["scalingConfig"],
   "reason": "Karpenter and the cluster autoscaler resize node groups"},
  {"urn": "urn:pulumi:dev::baseline::*aws:ssm/parameter:Parameter::scratch-*",
   "reason": "scratch parameters are edited by hand in dev"}
]}
```
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agents import InputError
from agents.protocol.approvals import Change, Proposal
from agents.runtime.gateway import DriftResult, GatewayError, Step
from toolchain.gate import CONFIG_DIR

REPAIR = "repair-drift"
# The persona that applies a repair: the one that may `refresh` and `up`.
APPLIER = "release-engineer"
# What a refresh reports for a resource that drifted: it differs, or it is gone.
DRIFT_OPS = frozenset({"update", "delete"})
CONFIG_FILE = "drift.json"
_EXCEPTION_KEYS = frozenset({"urn", "type", "properties", "reason"})
MAX_EXCEPTIONS = 500


class DriftConfigError(InputError):
    """The stack's drift exceptions cannot be read or are not valid."""


class RepairOutOfScope(GatewayError):
    """The restore plan changes resources that did not drift: nothing was applied."""

    outcome = "repair-out-of-scope"


@dataclass(frozen=True)
class DriftException:
    reason: str
    urn: str | None = None  # an fnmatch pattern over the resource's URN
    type: str | None = None  # a type token, exactly
    properties: tuple[str, ...] = ()  # empty: any drift of the resource, its deletion included

    def covers(self, step: Step) -> bool:
        if self.urn is not None and not fnmatch.fnmatchcase(step.urn, self.urn):
            return False
        if self.type is not None and step.type != self.type:
            return False
        if self.properties:
            # Only a resource that is still there, differing in covered properties only.
            return (
                step.op == "update" and bool(step.diffs) and set(step.diffs) <= set(self.properties)
            )
        return True

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"reason": self.reason}
        if self.urn is not None:
            found["urn"] = self.urn
        if self.type is not None:
            found["type"] = self.type
        if self.properties:
            found["properties"] = list(self.properties)
        return found


def config_file(stack: str) -> Path:
    return CONFIG_DIR / stack / CONFIG_FILE


def load_exceptions(stack: str) -> tuple[DriftException, ...]:
    """The stack's declared drift exceptions (`policies/config/<stack>/drift.json`); none when
    the file does not exist. `DriftConfigError` for a file that is there but not valid."""
    from toolchain.inputs import STACK_NAME, read_json  # noqa: PLC0415

    if not STACK_NAME.fullmatch(stack):
        raise DriftConfigError(f"{stack[:80]!r} is not a stack name: no drift config for it")
    path = config_file(stack)
    if not path.exists() and not path.is_symlink():
        return ()
    data = read_json(path, "drift exceptions", error=DriftConfigError)

    def bad(why: str) -> DriftConfigError:
        return DriftConfigError(f"{path}: {why}")

    if not isinstance(data, dict) or set(data) - {"exceptions"}:
        raise bad('expected {"exceptions": [...]} and nothing else')
    entries = data.get("exceptions", [])
    if not isinstance(entries, list) or len(entries) > MAX_EXCEPTIONS:
        raise bad(f"exceptions is not a list of at most {MAX_EXCEPTIONS} entries")
    found = []
    for i, entry in enumerate(entries):
        where = f"exceptions[{i}]"
        if not isinstance(entry, dict) or set(entry) - _EXCEPTION_KEYS:
            raise bad(f"{where}: expected an object of {sorted(_EXCEPTION_KEYS)}")
        reason, urn, kind = entry.get("reason"), entry.get("urn"), entry.get("type")
        props = entry.get("properties", [])
        if not isinstance(reason, str) or not reason.strip():
            raise bad(f"{where}: every exception says why (a non-empty reason)")
        if urn is None and kind is None:
            raise bad(f"{where}: name the resources (urn pattern, type, or both)")
        for name, value in (("urn", urn), ("type", kind)):
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise bad(f"{where}: {name} is not a non-empty string")
        if urn is not None and urn.strip() in ("*", "urn:pulumi:*"):
            raise bad(f"{where}: an exception for every resource is silence, not an exception")
        if not isinstance(props, list) or not all(isinstance(p, str) and p for p in props):
            raise bad(f"{where}: properties is not a list of property names")
        found.append(
            DriftException(reason=reason.strip(), urn=urn, type=kind, properties=tuple(props))
        )
    return tuple(found)


@dataclass(frozen=True)
class DriftPlan:
    """A drift check's steps, sorted: `repairable` (no exception covers them), `excepted` (with
    the exception that does), `unreadable` (why a step, or the result, cannot be trusted)."""

    repairable: tuple[Step, ...]
    excepted: tuple[tuple[Step, DriftException], ...]
    unreadable: tuple[str, ...]

    @property
    def urns(self) -> tuple[str, ...]:
        return tuple(s.urn for s in self.repairable)


def classify(result: DriftResult, exceptions: Sequence[DriftException]) -> DriftPlan:
    repairable: list[Step] = []
    excepted: list[tuple[Step, DriftException]] = []
    unreadable: list[str] = []
    if result.drifted and not result.steps:
        unreadable.append(
            f"the refresh counted changes ({dict(result.changes)}) but named no resource"
        )
    for step in result.steps:
        if not step.urn.startswith("urn:pulumi:") or not step.type:
            unreadable.append(f"a drifted resource without a URN or type ({step.urn[:200]!r})")
        elif step.op not in DRIFT_OPS:
            unreadable.append(f"{step.urn}: the refresh reported {step.op!r}, not a drift op")
        elif (rule := next((e for e in exceptions if e.covers(step)), None)) is not None:
            excepted.append((step, rule))
        else:
            repairable.append(step)
    return DriftPlan(tuple(repairable), tuple(excepted), tuple(unreadable))


def repair_proposal(stack: str, steps: Iterable[Step]) -> Proposal:
    """The repair of these drifted resources, as the change a reviewer approves."""
    steps = tuple(steps)
    return Proposal(
        stack=stack,
        persona=APPLIER,
        operation=REPAIR,
        changes=tuple(Change(s.op, s.urn, s.type, tuple(s.diffs), s.inputs_digest) for s in steps),
        summary=dict(Counter(s.op for s in steps)),
    )


def beyond(urns: Iterable[str], steps: Iterable[Step]) -> list[str]:
    """URNs a restore plan changes that are not among the drifted `urns`."""
    allowed = set(urns)
    return sorted({s.urn for s in steps} - allowed)

"""The corpus of misconfigured exports: each entry of `corpus/<pack>[-<area>].yaml` mutates one
resource of the real dev or prod plan (or removes it) and names the policy that must catch it.
The gate runs the pack over the whole mutated export, so an entry passes only when the rule fires
on the real graph and names the mutated resource's URN.

Entry fields: `policy`, `stack` (dev|prod), `type` (type token of the resource to mutate),
`name` (optional substring of its logical name), `retype` (optional: the mutated resource
becomes one of this type, for types the real plans do not hold, such as AWS Chatbot channels),
`set` ({dotted.path: value}, applied to inputs and
outputs), `delete` ([dotted.path]), `remove: true` (drop the resource; the violation is then
expected on no particular URN), and `why` (a sentence).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.policies.conftest import mutate
from toolchain.export import StackExport, parse_export
from toolchain.gate import CONFIG_DIR

CORPUS = Path(__file__).parent / "corpus"
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def entries() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in sorted(CORPUS.glob("*.yaml")):
        # the repository's own files: libyaml's parser where PyYAML has it, about eight times the
        # pure-Python one's speed (each worker reads the corpus when it collects the tests)
        for i, entry in enumerate(yaml.load(path.read_text(), Loader=_LOADER) or []):
            # `<pack>.yaml` or `<pack>-<area>.yaml`: the pack is the name's first word.
            pack = path.stem.split("-", 1)[0]
            found.append((f"{path.stem}[{i}]:{entry['policy']}", {**entry, "pack": pack}))
    return found


def remove(export: StackExport, type_token: str, name: str) -> StackExport:
    data = copy.deepcopy(export.data)
    kept = [
        r
        for r in data["deployment"]["resources"]
        if not (r["type"] == type_token and name in r["urn"].rsplit("::", 1)[-1])
    ]
    assert len(kept) < len(data["deployment"]["resources"]), f"nothing to remove: {type_token}"
    data["deployment"]["resources"] = kept
    return parse_export(data, "removed")


def retype(export: StackExport, urn: str, type_token: str) -> tuple[StackExport, str]:
    data = copy.deepcopy(export.data)
    new_urn = urn
    for r in data["deployment"]["resources"]:
        if r["urn"] == urn:
            head, _, name = urn.rpartition("::")
            prefix, _, qualified = head.rpartition("::")
            parents = qualified.rpartition("$")[0]
            new_type = f"{parents}${type_token}" if parents else type_token
            new_urn = f"{prefix}::{new_type}::{name}"
            r["type"], r["urn"] = type_token, new_urn
    return parse_export(data, "retyped"), new_urn


ENTRIES = entries()


@pytest.mark.parametrize(("label", "entry"), ENTRIES, ids=[label for label, _ in ENTRIES])
def test_corpus_entry_is_caught_naming_the_resource(gate, dev, prod, label, entry):
    base = dev if entry["stack"] == "dev" else prod
    if entry.get("remove"):
        export, urn = remove(base, entry["type"], entry.get("name", "")), None
    else:
        export, urn = mutate(
            base,
            entry["type"],
            name_contains=entry.get("name", ""),
            set_values=entry.get("set"),
            delete=entry.get("delete"),
        )
        if entry.get("retype"):
            export, urn = retype(export, urn, entry["retype"])
    # The resources alone first (their verdicts are remembered; the stack rules read every
    # resource again), the stack rules too when a resource rule did not catch it.
    hits: list = []
    for stack_rules in (False, True):
        result = gate.run(
            export, CONFIG_DIR / entry["stack"], packs=[entry["pack"]], stack_rules=stack_rules
        )
        hits = [v for v in result.violations if v.policyName == entry["policy"]]
        if hits:
            break
    assert hits, f"{label}: not caught ({entry.get('why', '')})"
    if urn is not None:
        assert urn in {v.urn for v in hits}, (
            f"{label}: caught on {[v.urn for v in hits]}, not {urn}"
        )


def test_every_rule_has_a_corpus_entry(gate):
    covered = {(e["pack"], e["policy"]) for _, e in ENTRIES}
    missing = [
        (pack, name)
        for pack, analyzer in gate.analyzers.items()
        for name in analyzer.policies
        if (pack, name) not in covered
    ]
    assert not missing, missing

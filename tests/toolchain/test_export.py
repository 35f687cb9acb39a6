"""`toolchain.export`: the readers every tool uses stay linear in the resources (lookups by type
and by component are built once, however deep the tree of components), and answer as the
export says."""

from __future__ import annotations

import re
from typing import Any

import pytest

from toolchain.export import STACK_TYPE, ExportError, StackExport, as_number, parse_export

STACK_URN = "urn:pulumi:dev::baseline::pulumi:pulumi:Stack::baseline-dev"


def _urn(type_token: str, name: str) -> str:
    return f"urn:pulumi:dev::baseline::{type_token}::{name}"


def _export(resources: list[dict[str, Any]]) -> StackExport:
    stack = {"urn": STACK_URN, "type": STACK_TYPE, "outputs": {"vpcId": "vpc-1"}}
    return parse_export({"version": 3, "deployment": {"resources": [stack, *resources]}})


def _chain(depth: int) -> list[dict[str, Any]]:
    """A component at the top and `depth` components nested under it, each the child of the
    one before; the last holds a bucket."""
    out: list[dict[str, Any]] = [
        {"urn": _urn("baseline:c:C", "top"), "type": "baseline:c:C", "parent": STACK_URN}
    ]
    for i in range(depth):
        out.append(
            {"urn": _urn("baseline:c:C", f"c{i}"), "type": "baseline:c:C", "parent": out[-1]["urn"]}
        )
    out.append(
        {
            "urn": _urn("aws:s3/bucket:Bucket", "logs"),
            "type": "aws:s3/bucket:Bucket",
            "custom": True,
            "parent": out[-1]["urn"],
        }
    )
    return out


class _CountingIndex(dict[str, Any]):
    """The export's URN index, counting look-ups."""

    lookups = 0

    def get(self, key: Any, default: Any = None) -> Any:
        self.lookups += 1
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        self.lookups += 1
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.lookups += 1
        return super().__contains__(key)


def test_component_of_walks_each_chain_of_parents_once():
    depth = 2_000
    export = _export(_chain(depth))
    counting = _CountingIndex(export.index)
    export.__dict__["index"] = counting  # the cached property's value
    names = {export.component_of(r) for r in export.resources if r.type != STACK_TYPE}
    assert names == {"top"}
    # each resource's parent is looked up about once, not once per resource below it
    assert counting.lookups <= 3 * len(export.resources), counting.lookups


def test_component_of_is_the_child_of_the_stack_or_the_stack_itself():
    export = _export(_chain(3))
    bucket = export.index[_urn("aws:s3/bucket:Bucket", "logs")]
    assert export.component_of(bucket) == "top"
    loose = _export(
        [{"urn": _urn("aws:s3/bucket:Bucket", "b"), "type": "aws:s3/bucket:Bucket", "custom": True}]
    )
    assert loose.component_of(loose.index[_urn("aws:s3/bucket:Bucket", "b")]) == "(stack)"


def test_a_cycle_of_parents_ends():
    a, b = _urn("baseline:c:C", "a"), _urn("baseline:c:C", "b")
    export = _export(
        [
            {"urn": a, "type": "baseline:c:C", "parent": b},
            {"urn": b, "type": "baseline:c:C", "parent": a},
        ]
    )
    assert export.component_of(export.index[a]) in {"a", "b"}


def test_of_type_keeps_the_export_order_and_hands_out_copies():
    export = _export(_chain(5))
    components = export.of_type("baseline:c:C")
    assert [r.name for r in components] == ["top", *(f"c{i}" for i in range(5))]
    components.clear()
    assert len(export.of_type("baseline:c:C")) == 6
    assert export.of_type("aws:ec2/vpc:Vpc") == []


def test_stack_outputs_are_the_stack_resource_s():
    assert _export([]).stack_outputs == {"vpcId": "vpc-1"}
    assert parse_export({"version": 3, "deployment": {"resources": []}}).stack_outputs == {}


BUCKET = {"urn": _urn("aws:s3/bucket:Bucket", "logs"), "type": "aws:s3/bucket:Bucket"}


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("custom", "yes", "'custom' is not true or false"),
        ("inputs", [1], "'inputs' is not an object"),
        ("outputs", "x", "'outputs' is not an object"),
        ("parent", {"a": 1}, "'parent' is not a string"),
        ("provider", 5, "'provider' is not a string"),
        ("dependencies", 5, "'dependencies' is not a list of strings"),
        ("dependencies", [STACK_URN, 3], "'dependencies' is not a list of strings"),
        ("inputs", {"allocatedStorage": 10**400}, "past a float's range"),
        ("inputs", {"tags": {"a": [1, {"b": float("inf")}]}}, "not finite"),
        ("outputs", {"x": float("nan")}, "not finite"),
    ],
)
def test_a_field_of_another_type_than_the_engine_writes_is_refused_naming_it(field, value, says):
    """Each reader (packs, cost, summaries) relies on these shapes; a field of another type made
    each fail in its own way, some with a traceback (`agents cost` on `inputs: [1]`)."""
    with pytest.raises(
        ExportError, match=rf"resource 1 \(aws:s3/bucket:Bucket\): .*{re.escape(says)}"
    ):
        _export([{**BUCKET, field: value}])


def test_absent_and_null_fields_still_read_as_empty():
    bucket = {**BUCKET, "custom": True, "inputs": None, "parent": None, "dependencies": None}
    (read,) = _export([bucket]).of_type("aws:s3/bucket:Bucket")
    assert (read.inputs, read.outputs, read.parent, read.dependencies) == ({}, {}, None, ())
    assert as_number(10**400) is None and as_number("12") == 12.0

"""Facts about AWS types, read from pulumi-aws: which classes they are, how they take tags. How a
type takes tags comes from a committed table (generated from pulumi-aws's source text), and from
the class itself for a type the table does not know."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest

from toolchain import aws_types
from toolchain.aws_types import (
    REGENERATE,
    TABLE,
    introspected_tag_shape,
    resource_class,
    tag_shape,
    taggable,
)

ASG = "aws:autoscaling/group:Group"


@pytest.fixture(scope="module")
def fresh_scan() -> dict[str, Any]:
    return aws_types.scan()


@pytest.fixture
def table_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """A table file of the test's own in place of the committed one (caches cleared around)."""
    path = tmp_path / "aws_tag_types.json"
    monkeypatch.setattr(aws_types, "TABLE", path)
    aws_types._table.cache_clear()
    tag_shape.cache_clear()
    yield path
    aws_types._table.cache_clear()
    tag_shape.cache_clear()


def test_type_tokens_name_their_classes():
    assert resource_class("aws:ec2/vpc:Vpc") is aws.ec2.Vpc
    assert resource_class("aws:rds/instance:Instance") is aws.rds.Instance
    assert resource_class("kubernetes:core/v1:Namespace") is None
    assert resource_class("aws:nosuch/thing:Thing") is None


def test_a_module_named_like_a_python_keyword_resolves():
    # pulumi-aws names the module of `aws:lambda/...` types `lambda_`.
    assert resource_class("aws:lambda/function:Function") is aws.lambda_.Function


def test_taggable_follows_the_tags_input():
    assert taggable("aws:ec2/vpc:Vpc")
    assert taggable("aws:eks/nodeGroup:NodeGroup")
    assert taggable(ASG)
    assert not taggable("aws:ec2/route:Route")
    assert not taggable("aws:s3/bucketPolicy:BucketPolicy")
    assert not taggable("pulumi:providers:aws")


def test_tag_shapes():
    assert tag_shape("aws:ec2/vpc:Vpc") == "map"
    assert tag_shape("aws:lambda/function:Function") == "map"
    assert tag_shape(ASG) == "list"
    assert tag_shape("aws:ec2/route:Route") == "none"
    # DevOps Guru's `tags` selects the resources it watches; the collection itself has no tags.
    assert tag_shape("aws:devopsguru/resourceCollection:ResourceCollection") == "none"
    assert tag_shape("kubernetes:core/v1:Namespace") == "none"


def test_the_committed_table_is_a_fresh_scan_of_the_installed_pulumi_aws(fresh_scan):
    committed = json.loads(TABLE.read_text())
    stale = {
        token: (committed["types"].get(token), shape)
        for token, shape in fresh_scan["types"].items()
        if committed["types"].get(token) != shape
    }
    gone = sorted(set(committed["types"]) - set(fresh_scan["types"]))
    assert committed == fresh_scan, (
        f"{TABLE.name} was made from pulumi-aws {committed['pulumiAws']}, pulumi-aws "
        f"{fresh_scan['pulumiAws']} is installed ({len(stale)} types differ or are new, e.g. "
        f"{dict(list(stale.items())[:5])}; {len(gone)} are gone); run `{REGENERATE}`"
    )
    assert TABLE.read_text() == aws_types.render(fresh_scan), f"run `{REGENERATE}`"


def test_the_scan_reads_the_installed_version(fresh_scan):
    assert fresh_scan["pulumiAws"] == importlib.metadata.version("pulumi_aws")


def test_the_scan_finds_every_resource_type(fresh_scan):
    types = fresh_scan["types"]
    assert len(types) > 1000
    assert all(token.startswith("aws:") for token in types)
    assert set(types.values()) == {"map", "list", "none"}


@pytest.mark.parametrize(
    "type_token",
    [
        ASG,
        "aws:ec2/route:Route",
        "aws:lambda/function:Function",
        "aws:devopsguru/resourceCollection:ResourceCollection",
    ],
)
def test_the_scan_agrees_with_the_classes(fresh_scan, type_token):
    assert fresh_scan["types"][type_token] == introspected_tag_shape(type_token), type_token


def test_the_scan_agrees_with_the_classes_for_every_planned_type(fresh_scan, dev, prod):
    planned = {r.type for export in (dev, prod) for r in export.resources if r.custom}
    aws_planned = sorted(t for t in planned if t.startswith("aws:"))
    assert len(aws_planned) > 30
    differ = {
        t: (fresh_scan["types"].get(t), introspected_tag_shape(t))
        for t in aws_planned
        if fresh_scan["types"].get(t) != introspected_tag_shape(t)
    }
    assert not differ, f"table vs class: {differ}"


def test_a_type_missing_from_the_table_is_read_from_its_class(table_file):
    table_file.write_text(
        json.dumps({"pulumiAws": aws_types.pulumi_aws_version(), "types": {ASG: "list"}})
    )
    assert tag_shape(ASG) == "list"
    assert tag_shape("aws:ec2/vpc:Vpc") == "map"
    assert tag_shape("aws:ec2/route:Route") == "none"
    assert "aws:ec2/vpc:Vpc" not in aws_types._table()


def test_the_table_wins_over_the_class_for_a_type_it_knows(table_file):
    # Proves that the answer comes from the table (a real table never contradicts the class).
    table_file.write_text(
        json.dumps({"pulumiAws": aws_types.pulumi_aws_version(), "types": {ASG: "map"}})
    )
    assert tag_shape(ASG) == "map"


def test_a_table_of_another_pulumi_aws_version_is_ignored(table_file):
    table_file.write_text(
        json.dumps({"pulumiAws": "0.0.1", "types": {ASG: "map", "aws:ec2/route:Route": "map"}})
    )
    assert tag_shape(ASG) == "list"
    assert tag_shape("aws:ec2/route:Route") == "none"


@pytest.mark.parametrize("content", ["", "{not json", '{"types": []}', "[]"])
def test_an_unreadable_table_falls_back_to_the_classes(table_file, content):
    table_file.write_text(content)
    assert tag_shape(ASG) == "list"
    assert tag_shape("aws:ec2/vpc:Vpc") == "map"


def test_answering_from_the_table_does_not_import_pulumi_aws():
    code = (
        "import sys\n"
        "from toolchain.aws_types import tag_shape, taggable\n"
        "assert tag_shape('aws:autoscaling/group:Group') == 'list'\n"
        "assert taggable('aws:ec2/vpc:Vpc') and not taggable('aws:ec2/route:Route')\n"
        "print(sorted(m for m in sys.modules if m.startswith('pulumi_aws')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]", f"pulumi_aws modules imported: {out}"


@pytest.mark.slow
def test_write_then_check(table_file, capsys, fresh_scan):
    assert aws_types.main(["--check"]) == 1
    assert REGENERATE in capsys.readouterr().err
    assert aws_types.main(["--write"]) == 0
    assert json.loads(table_file.read_text()) == fresh_scan
    assert aws_types.main(["--check"]) == 0

"""What the program and the tools need to know about AWS resource types, read from pulumi-aws
itself rather than kept in a list: which class a type token names, and how it takes tags.
Used by the offline plan's mock provider (to compute `tagsAll`), the cost pack's tag rule and the
tests.

How each type takes tags is answered from `aws_tag_types.json`, a table generated from
pulumi-aws's source text (without importing it: importing its modules costs seconds, which the
policy gate would pay on its first resource). The table names the pulumi-aws version it was made
from; with another version installed, or for a type the table does not know, the answer comes from
the class itself, which is correct, only slower. Regenerate the table after upgrading pulumi-aws:

    .venv/bin/python -m toolchain.aws_types --write
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import keyword
import re
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Literal

TagShape = Literal["map", "list", "none"]
TABLE = Path(__file__).with_name("aws_tag_types.json")
REGENERATE = ".venv/bin/python -m toolchain.aws_types --write"

# A resource class in pulumi-aws's generated code, and its `tags` input in `_internal_init`.
_RESOURCE_CLASS = re.compile(
    r'^@pulumi\.type_token\("(?P<token>aws:[^"]+)"\)\nclass \w+\(pulumi\.CustomResource\):',
    re.MULTILINE,
)
_INTERNAL_INIT = re.compile(r"^    def _internal_init\(.*?\):$", re.MULTILINE | re.DOTALL)
_TAGS_PARAM = re.compile(r"^\s+tags: (?P<annotation>.+?) = None,?$", re.MULTILINE)


def shape_of(annotation: str | None) -> TagShape:
    """How a `tags` input takes tags, from its type annotation (the source text or the typing
    repr): a map of key to value; a list of tag objects (an autoscaling group's {key, value,
    propagateAtLaunch}, to which the provider's default tags do not apply); or, with no `tags`
    input or one that is not tags of the resource itself (a DevOps Guru resource collection's tag
    filter), none."""
    if annotation is None:
        return "none"
    if "Sequence[" in annotation:
        return "list"
    return "map" if "Mapping[" in annotation else "none"


@cache
def resource_class(type_token: str) -> type | None:
    """The pulumi-aws class of a type token (`aws:ec2/vpc:Vpc` is `pulumi_aws.ec2.Vpc`)."""
    pkg, _, rest = type_token.partition(":")
    module, _, cls = rest.partition(":")
    if pkg != "aws" or not cls:
        return None
    mod = module.split("/")[0]
    if keyword.iskeyword(mod):  # `aws:lambda/function:Function` is `pulumi_aws.lambda_.Function`
        mod += "_"
    try:
        found = getattr(
            importlib.import_module("pulumi_aws" if mod == "index" else f"pulumi_aws.{mod}"),
            cls,
            None,
        )
    except ImportError:
        return None
    return found if isinstance(found, type) else None


def introspected_tag_shape(type_token: str) -> TagShape:
    """How a type takes tags, from its pulumi-aws class (imports the class's module)."""
    init = getattr(resource_class(type_token), "_internal_init", None)
    param = inspect.signature(init).parameters.get("tags") if init is not None else None
    return shape_of(None if param is None else str(param.annotation))


@cache
def tag_shape(type_token: str) -> TagShape:
    """How an AWS resource type takes tags: "map", "list" or "none"."""
    if not type_token.startswith("aws:"):
        return "none"
    known = _table().get(type_token)
    return known if known is not None else introspected_tag_shape(type_token)


def taggable(type_token: str) -> bool:
    """Whether an AWS resource type takes tags, as a map or as a list (see `tag_shape`)."""
    return tag_shape(type_token) != "none"


def pulumi_aws_dir() -> Path:
    """The installed pulumi_aws package's folder, found without importing it."""
    spec = importlib.util.find_spec("pulumi_aws")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("pulumi_aws is not installed")
    return Path(next(iter(spec.submodule_search_locations)))


def pulumi_aws_version(package_dir: Path | None = None) -> str:
    """The installed pulumi-aws version, from its plugin manifest (no import, no metadata scan)."""
    manifest = (package_dir or pulumi_aws_dir()) / "pulumi-plugin.json"
    return str(json.loads(manifest.read_text())["version"])


def scan(package_dir: Path | None = None) -> dict[str, Any]:
    """The tag table of an installed pulumi-aws, read from its source text: its version and, for
    every AWS resource type token, how the type takes tags."""
    root = package_dir or pulumi_aws_dir()
    types: dict[str, TagShape] = {}
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if "pulumi.CustomResource" not in text:
            continue
        classes = list(_RESOURCE_CLASS.finditer(text))
        for i, found in enumerate(classes):
            body = text[found.end() : classes[i + 1].start() if i + 1 < len(classes) else None]
            init = _INTERNAL_INIT.search(body)
            param = _TAGS_PARAM.search(init.group(0)) if init else None
            types[found["token"]] = shape_of(param["annotation"] if param else None)
    return {"pulumiAws": pulumi_aws_version(root), "types": dict(sorted(types.items()))}


def render(table: dict[str, Any]) -> str:
    """The table file's text: one type a line, so an upgrade's diff shows what changed."""
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


@cache
def _table() -> dict[str, TagShape]:
    """The committed table's types; nothing when it cannot be read or was made from another
    pulumi-aws version than the one installed (every answer then comes from the classes)."""
    try:
        table = json.loads(TABLE.read_text())
        installed = pulumi_aws_version()
    except (OSError, ValueError, KeyError, ModuleNotFoundError):
        return {}
    if not isinstance(table, dict) or table.get("pulumiAws") != installed:
        return {}
    types = table.get("types")
    if not isinstance(types, dict):
        return {}
    return {token: shape for token, shape in types.items() if shape in ("map", "list", "none")}


def main(argv: Sequence[str] | None = None) -> int:
    # the policy pack imports this module; only the CLI needs the parser
    from toolchain.inputs import OneLineParser  # noqa: PLC0415

    parser = OneLineParser(
        prog="python -m toolchain.aws_types",
        description="Generate the table of how each AWS resource type takes tags "
        f"({TABLE.name}) from the installed pulumi-aws's source.",
    )
    parser.add_argument("--write", action="store_true", help=f"write {TABLE}")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 when the committed table is out of date"
    )
    args = parser.parse_args(argv)
    text = render(scan())
    if args.write:
        TABLE.write_text(text)
        print(f"wrote {TABLE} ({len(json.loads(text)['types'])} types)")
    elif args.check:
        current = TABLE.read_text() if TABLE.exists() else ""
        if current != text:
            print(f"{TABLE} is out of date; run `{REGENERATE}`", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

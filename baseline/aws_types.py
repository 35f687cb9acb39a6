"""What the program and the tools need to know about AWS resource types, read from pulumi-aws
itself rather than kept in a list: which class a type token names, and whether it takes tags.
Used by the offline plan's mock provider (to compute `tagsAll`), the cost pack's tag rule and the
tests."""

from __future__ import annotations

import importlib
import inspect
from functools import cache


@cache
def resource_class(type_token: str) -> type | None:
    """The pulumi-aws class of a type token (`aws:ec2/vpc:Vpc` is `pulumi_aws.ec2.Vpc`)."""
    pkg, _, rest = type_token.partition(":")
    module, _, cls = rest.partition(":")
    if pkg != "aws" or not cls:
        return None
    mod = module.split("/")[0]
    try:
        found = getattr(
            importlib.import_module("pulumi_aws" if mod == "index" else f"pulumi_aws.{mod}"),
            cls,
            None,
        )
    except ImportError:
        return None
    return found if isinstance(found, type) else None


@cache
def taggable(type_token: str) -> bool:
    """Whether an AWS resource type takes tags (its pulumi-aws class has a `tags` input): the
    provider then computes `tagsAll`: the resource's tags over the provider's default tags."""
    cls = resource_class(type_token)
    init = getattr(cls, "_internal_init", None)
    return init is not None and "tags" in inspect.signature(init).parameters

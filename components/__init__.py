"""One ComponentResource per concern, built from pulumi-aws (and pulumi-kubernetes) resources so
that every child, and every property a policy or the cost estimate judges, is in the resource graph.

Each module exports `<X>Args` (a frozen dataclass with safe defaults) and `<X>`, the component, with
type token `baseline:<module>:<X>`, children named `f"{name}-<role>"` and parented to it. Components
never read config; the program passes everything through Args.
"""

import json
from typing import Any

import pulumi

PACKAGE = "baseline"


def child(parent: pulumi.Resource, **kwargs: Any) -> pulumi.ResourceOptions:
    """Options for a component's child: parented to it, so it inherits its providers."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def policy_json(statements: list[dict[str, Any]]) -> str:
    """An IAM policy document (version 2012-10-17) as the compact JSON AWS stores."""
    return json.dumps({"Version": "2012-10-17", "Statement": statements}, separators=(",", ":"))


def assume_role_policy(service: str) -> str:
    """Trust policy that lets one AWS service assume a role."""
    return policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
            }
        ]
    )

"""Upstream documents the program deploys and the packs judge against, kept as data beside the code
that reads them (like `aws_tag_types.json`), so that the component and the rule read one copy.

- `aws_load_balancer_controller_iam_policy.json`: the AWS Load Balancer Controller's IAM policy,
  verbatim from kubernetes-sigs/aws-load-balancer-controller `docs/install/iam_policy.json`
  (commit c533211514b7bba513b686575921712a2ac7166f). It lets the controller change and delete
  only the load balancers, target groups and security groups that carry its tag
  `elbv2.k8s.aws/cluster`, and create them only with that tag in the request. Replace the file
  with the one at the tag of the chart's appVersion when the chart version moves.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LOAD_BALANCER_CONTROLLER_POLICY = HERE / "aws_load_balancer_controller_iam_policy.json"
LOAD_BALANCER_CONTROLLER_SOURCE = (
    "kubernetes-sigs/aws-load-balancer-controller docs/install/iam_policy.json "
    "@ c533211514b7bba513b686575921712a2ac7166f"
)
# The tag the controller puts on what it creates, and the only thing it may then change.
LOAD_BALANCER_CONTROLLER_TAG = "elbv2.k8s.aws/cluster"


@cache
def load_balancer_controller_policy() -> dict[str, Any]:
    """The upstream policy document (parsed; cached, callers must not change it)."""
    doc: dict[str, Any] = json.loads(LOAD_BALANCER_CONTROLLER_POLICY.read_text())
    return doc

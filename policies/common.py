"""What the rules of both packs share: rule metadata, reading properties as the engine hands them
to a policy (camelCase inputs; `Analyze` sees a resource's inputs, `AnalyzeStack` its outputs), and
the cost-allocation tags a resource ends up with once its provider's default tags are merged in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import PolicyComplianceFramework, ResourceValidationArgs

PROJECT_TAG_KEYS = ("project", "stack", "owner", "cost-center")


def rule_tags(
    rule_id: str, *, cis: str | None = None, fsbp: str | None = None, checkov: str | None = None
) -> list[str]:
    """Policy tags: the rule's stable id first, then the benchmark controls it implements
    (`cis-aws-v3:2.3.1`, `aws-fsbp:RDS.3`, `checkov:CKV_AWS_16`)."""
    tags = [f"id:{rule_id}"]
    if cis:
        tags.append(f"cis-aws-v3:{cis}")
    if fsbp:
        tags.append(f"aws-fsbp:{fsbp}")
    if checkov:
        tags.append(f"checkov:{checkov}")
    return tags


def framework(
    *, cis: str | None = None, fsbp: str | None = None
) -> PolicyComplianceFramework | None:
    """The compliance framework a rule belongs to (CIS first, then AWS FSBP)."""
    if cis:
        return PolicyComplianceFramework(name="cis-aws-foundations", version="3.0.0", reference=cis)
    if fsbp:
        return PolicyComplianceFramework(
            name="aws-foundational-security-best-practices", version="1.0.0", reference=fsbp
        )
    return None


def config(args: Any, key: str, default: Any) -> Any:
    """A policy config property (from `--policy-pack-config`), or its default."""
    cfg = getattr(args, "get_config", None)
    values: Mapping[str, Any] = (cfg() if callable(cfg) else None) or {}
    return values.get(key, default)


def provider_default_tags(args: ResourceValidationArgs) -> dict[str, str]:
    """The default tags of the resource's provider. The aws provider's `defaultTags` input is
    JSON-encoded in its state (`{"tags": {...}}`)."""
    provider = args.provider
    if provider is None:
        return {}
    raw = provider.props.get("defaultTags")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except json.JSONDecodeError:
            return {}
    if isinstance(raw, Mapping):
        tags = raw.get("tags") or {}
        return {str(k): str(v) for k, v in tags.items()}
    return {}


def effective_tags(args: ResourceValidationArgs) -> dict[str, str]:
    """The tags AWS will store: the resource's own over its provider's default tags."""
    own = args.props.get("tags") or {}
    return {**provider_default_tags(args), **{str(k): str(v) for k, v in own.items()}}


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [value]
    return list(value)


def policy_document(value: Any) -> dict[str, Any] | None:
    """An IAM/S3/KMS policy document given as a JSON string or an object."""
    if isinstance(value, str):
        try:
            doc = json.loads(value)
        except json.JSONDecodeError:
            return None
        return doc if isinstance(doc, dict) else None
    return dict(value) if isinstance(value, Mapping) else None


def statements(doc: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not doc:
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, Mapping)]  # type: ignore[misc]

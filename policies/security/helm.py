"""Helm release rules: the security contexts the chart values set, and the images they pull.

The plan shows a release's `values` (a nested map, or a JSON or YAML document as text), not the
chart's templates, so what is judged is what the values set, wherever they set it
(`securityContext`, `podSecurityContext`, `controller.securityContext`, ...: every mapping under a
key that ends in `securityContext`, at any depth; every `image` at any depth). A chart's own
defaults are the chart's version's: an image whose tag the values leave out is the chart's
appVersion, pinned only when the release pins the chart's `version`. Values that cannot be read
(text that is not a JSON or YAML mapping, value files the plan does not show) fail both rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import yaml
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
)

from policies.common import config, fail_closed, matches_any, rule_tags, string_list
from policies.karpenter import items, mapping
from policies.values import ValueProblem, boolean

RELEASE = re.compile(r"^kubernetes:helm\.sh/v3:Release$")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
UNPINNED_TAGS = ("", "latest")
# One exact chart version (`1.9.0`, `v0.58.2-rc.1`), not a range (`^1.9`, `1.x`, `>=1`).
VERSION = re.compile(r"^v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$")
_MAX_DEPTH = 64


def release_name(props: Mapping[str, Any]) -> str:
    namespace, name = props.get("namespace"), props.get("name")
    name = name if isinstance(name, str) else str(props.get("chart") or "")
    return f"{namespace if isinstance(namespace, str) else 'default'}/{name}"


def release_values(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """The release's values as a mapping, from a map or from JSON or YAML text."""
    if props.get("valueYamlFiles"):
        raise ValueProblem("valueYamlFiles", props.get("valueYamlFiles"), "values the plan shows")
    raw = props.get("values")
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except (ValueError, RecursionError):  # RecursionError: nested past the decoder's depth
            try:
                raw = yaml.safe_load(raw)
            except (yaml.YAMLError, RecursionError):  # the YAML composer recurses too
                raise ValueProblem("values", raw, "a JSON or YAML mapping") from None
        if raw is None:
            return {}
    return mapping(raw, "values")


def walk(value: Any, path: str = "values", depth: int = 0) -> Iterator[tuple[str, str, Any]]:
    """(path, key, value) of every entry of the values, at any depth (lists included)."""
    if depth > _MAX_DEPTH:
        raise ValueProblem(path, "...", f"values nested less than {_MAX_DEPTH} deep")
    if isinstance(value, Mapping):
        for key, child in value.items():
            here = f"{path}.{key}"
            yield here, str(key), child
            yield from walk(child, here, depth + 1)
    elif isinstance(value, Sequence) and not isinstance(value, str):
        for i, child in enumerate(items(value, path)):
            yield from walk(child, f"{path}[{i}]", depth + 1)


def context_problems(context: Mapping[str, Any], path: str) -> list[str]:
    problems = []
    if boolean(context.get("privileged"), f"{path}.privileged") is True:
        problems.append(f"{path}.privileged is true")
    escalation = context.get("allowPrivilegeEscalation")
    if boolean(escalation, f"{path}.allowPrivilegeEscalation") is True:
        problems.append(f"{path}.allowPrivilegeEscalation is true")
    if boolean(context.get("runAsNonRoot"), f"{path}.runAsNonRoot") is False:
        problems.append(f"{path}.runAsNonRoot is false")
    user = context.get("runAsUser")
    readable = isinstance(user, int | float) or (isinstance(user, str) and user.strip().isdigit())
    if user is not None and (isinstance(user, bool) or not readable):
        raise ValueProblem(f"{path}.runAsUser", user, "a uid")
    if user is not None and float(user) == 0:
        problems.append(f"{path}.runAsUser is 0 (root)")
    capabilities = mapping(context.get("capabilities"), f"{path}.capabilities")
    added = [str(c).upper() for c in items(capabilities.get("add"), f"{path}.capabilities.add")]
    if extra := [c for c in added if c not in ("NET_BIND_SERVICE",)]:
        problems.append(f"{path}.capabilities.add holds {extra}")
    return problems


@fail_closed
def helm_release_security_context_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not RELEASE.match(args.resource_type):
        return
    release = release_name(args.props)
    root_allowed = matches_any(release, [str(p) for p in config(args, "allowRoot", [])])
    problems = []
    for path, key, value in walk(release_values(args.props)):
        if value is None or not key.lower().endswith("securitycontext"):
            continue
        found = context_problems(mapping(value, path), path)
        if root_allowed:
            found = [p for p in found if not p.endswith(("(root)", "runAsNonRoot is false"))]
        problems += found
    if problems:
        report_violation(
            f"Helm release {release} sets {'; '.join(problems)}. Those pods can reach the node "
            "(privileged, added capabilities) or gain root (escalation, uid 0). Set "
            "privileged: false, allowPrivilegeEscalation: false, runAsNonRoot: true and no "
            "added capabilities in the chart values, or name the release in this rule's "
            "allowRoot (with the reason) if it must run as root.",
            None,
        )


helm_release_security_context = ResourceValidationPolicy(
    name="helm-release-security-context",
    description="Helm release values set no privileged container, privilege escalation, root "
    "user or added capability in any security context (root only for releases the policy config "
    "allows).",
    validate=helm_release_security_context_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "allowRoot": string_list(
                "Releases (`namespace/name` glob patterns) allowed to run as "
                "root (never privileged or escalating)."
            )
        }
    ),
    tags=rule_tags("SEC-K8S-011", checkov="CKV_K8S_20"),
    remediation_steps="Fix the securityContext in the release's values.",
)


def image_problem(image: Any, path: str, chart_pinned: bool) -> str | None:
    """Why an `image` entry of the values is not pinned, or None."""
    if isinstance(image, str):
        reference = image.strip()
        if "@" in reference:
            pin = reference.rsplit("@", 1)[1]
            return None if DIGEST.match(pin) else f"{path} has a malformed digest"
        last = reference.rsplit("/", 1)[-1]
        shown = last.rsplit(":", 1)[1] if ":" in last else ""
        return f"{path} is {image!r}, not pinned" if shown in UNPINNED_TAGS else None
    entry = mapping(image, path)
    digest: Any = entry.get("digest")
    if digest not in (None, ""):
        if isinstance(digest, str) and DIGEST.match(digest.strip()):
            return None
        raise ValueProblem(f"{path}.digest", digest, "sha256:<64 hex digits>")
    if "tag" not in entry or entry.get("tag") is None:
        return None if chart_pinned else f"{path} takes the tag of an unpinned chart version"
    tag = entry.get("tag")
    if isinstance(tag, int | float) and not isinstance(tag, bool):
        return None
    if not isinstance(tag, str):
        raise ValueProblem(f"{path}.tag", tag, "an image tag")
    if "@sha256:" in tag:
        return None if DIGEST.match(tag.rsplit("@", 1)[1]) else f"{path} has a malformed digest"
    return f"{path}.tag is {tag!r}, not pinned" if tag.strip() in UNPINNED_TAGS else None


@fail_closed
def helm_release_image_pinned_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not RELEASE.match(args.resource_type):
        return
    version = args.props.get("version")
    if version is not None and not isinstance(version, str):
        raise ValueProblem("version", version, "a chart version")
    chart_pinned = bool(VERSION.match((version or "").strip()))
    problems = []
    if not chart_pinned:
        problems.append(f"the chart version is {version or 'not set'}")
    for path, key, value in walk(release_values(args.props)):
        if value is None or not (key.lower() == "image" or key.endswith("Image")):
            continue
        if isinstance(value, Mapping) and not ({"repository", "tag", "digest"} & set(value)):
            continue
        if problem := image_problem(value, path, chart_pinned):
            problems.append(problem)
    if problems:
        report_violation(
            f"Helm release {release_name(args.props)}: {'; '.join(problems)}. What runs could "
            "then change with no change to the stack (a moved tag, a new chart). Pin the chart's "
            "version and set each image by digest or by a fixed tag (not latest, not empty).",
            None,
        )


helm_release_image_pinned = ResourceValidationPolicy(
    name="helm-release-image-pinned",
    description="Helm releases pin their chart version, and every image their values set is "
    "pinned by digest or by a fixed tag (not latest or empty).",
    validate=helm_release_image_pinned_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(properties={}),
    tags=rule_tags("SEC-K8S-012", checkov="CKV_K8S_14"),
    remediation_steps="Set the release's version and each image's digest or tag.",
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    helm_release_security_context,
    helm_release_image_pinned,
]

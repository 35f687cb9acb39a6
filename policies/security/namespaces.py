"""Namespace rules: Pod Security Admission enforced at the configured level, and a default-deny
ingress NetworkPolicy in every namespace of the plan that runs workloads.

Pod Security Admission reads `pod-security.kubernetes.io/enforce` (`privileged` < `baseline` <
`restricted`; absent is `privileged`, i.e. nothing enforced) and `.../enforce-version` (absent or
`latest` is the cluster's own version; `v1.N` pins the checks of that release, so a pin older than
`minimumEnforceVersion` misses what later releases check). System namespaces are exempted by
config (`exemptNamespaces`), and a namespace may be allowed a lower level by config
(`namespaceLevels`, e.g. a log shipper's namespace that needs a hostPath).

A namespace runs workloads when a workload (Pod, Deployment, ...) or a Helm release of the plan
is in it (by name, or, while the name is not known, by the engine's recorded dependency). Its
ingress is denied by default when some NetworkPolicy of the namespace selects every pod
(`podSelector: {}`) for Ingress (listed in `policyTypes`, or implied by their absence), and no
policy selecting every pod lets every source in on every port (an ingress rule without `from`,
with an empty peer, `namespaceSelector: {}`, or `0.0.0.0/0`/`::/0`, and no `ports`): NetworkPolicies
add up, so one such allow undoes the deny.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from policies.common import config, fail_closed, known, matches_any, rule_tags, string_list
from policies.karpenter import items, mapping
from policies.security.pods import is_workload
from policies.values import ValueProblem

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = re.compile(r"^kubernetes:networking\.k8s\.io/v1:NetworkPolicy$")
HELM_RELEASE = re.compile(r"^kubernetes:helm\.sh/v3:Release$")
ENFORCE = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION = "pod-security.kubernetes.io/enforce-version"
LEVELS = {"privileged": 0, "baseline": 1, "restricted": 2}
DEFAULT_MINIMUM_LEVEL = "baseline"
DEFAULT_MINIMUM_ENFORCE_VERSION = "v1.30"
DEFAULT_EXEMPT_NAMESPACES = ["kube-system", "kube-public", "kube-node-lease"]
_VERSION = re.compile(r"^v1\.(\d+)$")
_OPEN_CIDRS = ("0.0.0.0/0", "::/0")


def _level(value: Any, what: str) -> int:
    if not isinstance(value, str) or value.strip() not in LEVELS:
        raise ValueProblem(what, value, "privileged, baseline or restricted")
    return LEVELS[value.strip()]


def _minor(value: Any, what: str) -> int | None:
    """The minor version a PSA version label pins, or None for `latest`."""
    if isinstance(value, str) and value.strip() == "latest":
        return None
    match = _VERSION.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise ValueProblem(what, value, "latest or v1.<minor>")
    return int(match.group(1))


def _minimum_level(args: Any, name: str | None) -> tuple[str, int]:
    levels = mapping(config(args, "namespaceLevels", {}), "namespaceLevels")
    if name is not None:
        for pattern, level in levels.items():
            if matches_any(name, [str(pattern)]):
                return str(level), _level(level, f"namespaceLevels[{pattern}]")
    level = config(args, "minimumLevel", DEFAULT_MINIMUM_LEVEL)
    return str(level), _level(level, "minimumLevel")


@fail_closed
def namespace_pod_security_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != NAMESPACE:
        return
    metadata = mapping(args.props.get("metadata"), "metadata")
    name = known(metadata, "name")
    name = name if isinstance(name, str) else None
    exempt = [str(p) for p in config(args, "exemptNamespaces", DEFAULT_EXEMPT_NAMESPACES)]
    if name is not None and matches_any(name, exempt):
        return
    labels = mapping(metadata.get("labels"), "metadata.labels")
    minimum_name, minimum = _minimum_level(args, name)
    enforce = labels.get(ENFORCE)
    fix = (
        f"Label the namespace {ENFORCE}: {minimum_name} (or stricter) and {ENFORCE_VERSION}: latest"
    )
    if enforce is None:
        report_violation(
            f"Namespace {name or '(name not known yet)'} has no {ENFORCE} label, so Pod Security "
            f"Admission lets any pod in (privileged, host paths, host network). {fix}.",
            None,
        )
    elif _level(enforce, f"label {ENFORCE}") < minimum:
        report_violation(
            f"Namespace {name} enforces {enforce}, weaker than the minimum {minimum_name}. {fix}, "
            "or allow it a lower level in this rule's namespaceLevels with the reason.",
            None,
        )
    version = labels.get(ENFORCE_VERSION)
    oldest = _minor(
        config(args, "minimumEnforceVersion", DEFAULT_MINIMUM_ENFORCE_VERSION),
        "minimumEnforceVersion",
    )
    pinned = None if version is None else _minor(version, f"label {ENFORCE_VERSION}")
    if pinned is not None and oldest is not None and pinned < oldest:
        report_violation(
            f"Namespace {name} pins {ENFORCE_VERSION}: {version}, older than v1.{oldest}: pods "
            f"are judged by that release's checks and miss later ones. {fix}.",
            None,
        )


namespace_pod_security = ResourceValidationPolicy(
    name="namespace-pod-security-enforced",
    description="Every namespace enforces a Pod Security Standard at least as strict as the "
    "policy config's minimum (default baseline; exemptions and lower levels per namespace by "
    "config), not pinned to an old version.",
    validate=namespace_pod_security_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "minimumLevel": {
                "type": "string",
                "enum": list(LEVELS),
                "default": DEFAULT_MINIMUM_LEVEL,
                "description": "The weakest enforced level allowed.",
            },
            "namespaceLevels": {
                "type": "object",
                "additionalProperties": {"type": "string", "enum": list(LEVELS)},
                "default": {},
                "description": "Namespace patterns allowed another minimum, with the level.",
            },
            "exemptNamespaces": string_list(
                "Namespace patterns the rule does not judge.", DEFAULT_EXEMPT_NAMESPACES
            ),
            "minimumEnforceVersion": {
                "type": "string",
                "default": DEFAULT_MINIMUM_ENFORCE_VERSION,
                "description": "The oldest enforce-version pin allowed (v1.<minor>).",
            },
        }
    ),
    tags=rule_tags("SEC-K8S-009"),
    remediation_steps="Label the namespace pod-security.kubernetes.io/enforce (and "
    "enforce-version: latest).",
)


# -- default-deny ingress -------------------------------------------------------------------------


def _selects_every_pod(policy: Mapping[str, Any], what: str) -> bool:
    selector = mapping(policy.get("podSelector"), f"{what}.podSelector")
    labels = mapping(selector.get("matchLabels"), f"{what}.podSelector.matchLabels")
    expressions = items(selector.get("matchExpressions"), f"{what}.podSelector.matchExpressions")
    return not labels and not expressions


def _covers_ingress(policy: Mapping[str, Any], what: str) -> bool:
    types = items(policy.get("policyTypes"), f"{what}.policyTypes")
    return not types or "Ingress" in types


def open_peer(peer: Mapping[str, Any], what: str) -> bool:
    """A NetworkPolicy peer that admits everyone: empty, an ipBlock of all addresses with no
    exception, or empty namespace and pod selectors (every pod of every namespace)."""
    if not peer:
        return True
    block = mapping(peer.get("ipBlock"), f"{what}.ipBlock")
    if block:
        return block.get("cidr") in _OPEN_CIDRS and not items(
            block.get("except"), f"{what}.ipBlock.except"
        )
    if peer.get("namespaceSelector") is None:
        return False
    namespaces = mapping(peer.get("namespaceSelector"), f"{what}.namespaceSelector")
    pods = mapping(peer.get("podSelector"), f"{what}.podSelector")
    return not any(namespaces.values()) and not any(pods.values())


def _allows_everyone(policy: Mapping[str, Any], what: str) -> bool:
    for i, raw in enumerate(items(policy.get("ingress"), f"{what}.ingress")):
        rule = mapping(raw, f"{what}.ingress[{i}]")
        if items(rule.get("ports"), f"{what}.ingress[{i}].ports"):
            continue
        peers = items(rule.get("from"), f"{what}.ingress[{i}].from")
        if not peers or any(
            open_peer(mapping(p, f"{what}.ingress[{i}].from[{j}]"), f"from[{j}]")
            for j, p in enumerate(peers)
        ):
            return True
    return False


def _namespace_value(res: PolicyResource, key: str) -> tuple[str | None, bool]:
    """(namespace named by `key`, whether it is known) of a workload's metadata or a release."""
    try:
        if key == "metadata":
            metadata = mapping(res.props.get("metadata"), "metadata")
            value = metadata.get("namespace")
            return (value if isinstance(value, str) else "default"), True
        value = res.props.get(key)
        return (value if isinstance(value, str) else "default"), True
    except UnknownValueError:
        return None, False


@fail_closed
def namespace_default_deny_ingress_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    exempt = [str(p) for p in config(args, "exemptNamespaces", [])]
    namespaces: list[tuple[PolicyResource, str | None]] = []
    used_names: set[str] = set()
    used_urns: set[str] = set()
    # name -> (isolated for ingress, the policy that opens it to everyone again)
    denied: dict[str, tuple[bool, str | None]] = {}
    for res in args.resources:
        try:
            if res.resource_type == NAMESPACE:
                metadata = mapping(known(res.props, "metadata"), "metadata")
                name = known(metadata, "name")
                namespaces.append((res, name if isinstance(name, str) else None))
            elif is_workload(res.resource_type) or HELM_RELEASE.match(res.resource_type):
                key = "metadata" if is_workload(res.resource_type) else "namespace"
                name, is_known = _namespace_value(res, key)
                if is_known and name is not None:
                    used_names.add(name)
                else:
                    used_urns |= {d.urn for d in res.property_dependencies.get(key, [])}
            elif NETWORK_POLICY.match(res.resource_type):
                metadata = mapping(res.props.get("metadata"), "metadata")
                name = metadata.get("namespace")
                name = name if isinstance(name, str) else "default"
                spec = mapping(res.props.get("spec"), "spec")
                if _selects_every_pod(spec, "spec") and _covers_ingress(spec, "spec"):
                    opener = denied.get(name, (False, None))[1]
                    if opener is None and _allows_everyone(spec, "spec"):
                        opener = res.urn
                    denied[name] = (True, opener)
        except ValueProblem as problem:
            problem.urn = res.urn
            raise
    for res, name in namespaces:
        runs = (name is not None and name in used_names) or res.urn in used_urns
        if not runs or (name is not None and matches_any(name, exempt)):
            continue
        isolated, opener = denied.get(name or "", (False, None))
        if isolated and opener is None:
            continue
        why = (
            f"NetworkPolicy {opener.rsplit('::', 1)[-1]} selects every pod and lets every "
            "source in again"
            if opener
            else "no NetworkPolicy selects every pod for Ingress"
        )
        report_violation(
            f"Namespace {name or res.urn} runs workloads but does not deny ingress by default "
            f"({why}): any pod of the cluster, or anything routed to the VPC, reaches every pod "
            "in it. Add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress] and no "
            "ingress rules, and allow what each workload needs in narrower policies.",
            opener or res.urn,
        )


namespace_default_deny_ingress = StackValidationPolicy(
    name="namespace-default-deny-ingress",
    description="Every namespace the plan creates that runs workloads has a NetworkPolicy that "
    "denies ingress to all its pods by default, not undone by another policy.",
    validate=namespace_default_deny_ingress_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={"exemptNamespaces": string_list("Namespace patterns the rule does not judge.")}
    ),
    tags=rule_tags("SEC-K8S-010"),
    remediation_steps="Add a default-deny ingress NetworkPolicy to the namespace "
    "(components/identity.py and components/telemetry.py do).",
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    namespace_pod_security,
    namespace_default_deny_ingress,
]

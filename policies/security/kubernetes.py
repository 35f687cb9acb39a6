"""Kubernetes workload rules for the agents' Deployments: the pod's security context (beyond Pod
Security Standards `restricted`: a read-only root file system and a high uid), probes and
resources, and images pinned by digest.

A Deployment is in scope when its namespace matches the policy config's `namespaces` patterns
(default `agents-*`), or, when the namespace is not known yet (a preview of a new namespace), when
it is labelled `app.kubernetes.io/part-of: baseline-agents`. Every container and init container of
the pod template is judged; a container setting overrides its pod's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)

from policies.common import (
    as_number,
    config,
    fail_closed,
    known,
    matches_any,
    rule_tags,
    string_list,
)
from policies.karpenter import items, mapping
from policies.values import ValueProblem, boolean

DEPLOYMENT = re.compile(r"^kubernetes:apps/v1(beta\d)?:Deployment$")
DEFAULT_NAMESPACES = ["agents-*"]
PART_OF = ("app.kubernetes.io/part-of", "baseline-agents")
DEFAULT_MINIMUM_USER = 10000
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
# Pod Security Standards `restricted` lets a container add this one capability back.
ALLOWED_ADDED_CAPABILITIES = ("NET_BIND_SERVICE",)
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_NAMESPACES_SCHEMA: dict[str, Any] = {
    "namespaces": string_list(
        "Namespace patterns whose Deployments the rule judges.", DEFAULT_NAMESPACES
    )
}


def in_scope(args: ResourceValidationArgs) -> bool:
    if not DEPLOYMENT.match(args.resource_type):
        return False
    metadata = mapping(known(args.props, "metadata"), "metadata")
    namespace = known(metadata, "namespace")
    if isinstance(namespace, str):
        patterns = [str(p) for p in config(args, "namespaces", DEFAULT_NAMESPACES)]
        return matches_any(namespace, patterns)
    labels = mapping(known(metadata, "labels"), "metadata.labels")
    return labels.get(PART_OF[0]) == PART_OF[1]


def pod_spec(args: ResourceValidationArgs) -> Mapping[str, Any]:
    spec = mapping(args.props.get("spec"), "spec")
    template = mapping(spec.get("template"), "spec.template")
    return mapping(template.get("spec"), "spec.template.spec")


def containers(pod: Mapping[str, Any], *, init: bool = True) -> Iterator[tuple[str, Mapping]]:
    """(label, container) of the pod's containers, and of its init containers with `init`."""
    kinds = ("containers", "initContainers") if init else ("containers",)
    for kind in kinds:
        for i, raw in enumerate(items(pod.get(kind), f"spec.template.spec.{kind}")):
            container = mapping(raw, f"{kind}[{i}]")
            yield f"{kind}[{i}] ({container.get('name') or 'unnamed'})", container


def _setting(container: Mapping[str, Any], pod: Mapping[str, Any], key: str) -> Any:
    own = mapping(container.get("securityContext"), "securityContext")
    if own.get(key) is not None:
        return own.get(key)
    return mapping(pod.get("securityContext"), "spec.template.spec.securityContext").get(key)


def security_context_problems(
    container: Mapping[str, Any], pod: Mapping[str, Any], minimum_user: float
) -> list[str]:
    """What a container's effective security context lacks."""
    own = mapping(container.get("securityContext"), "securityContext")
    problems = []
    if boolean(_setting(container, pod, "runAsNonRoot"), "runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    user = as_number(_setting(container, pod, "runAsUser"), "runAsUser")
    if user is None or user < minimum_user:
        shown = "not set" if user is None else f"{user:g}"
        problems.append(f"runAsUser is {shown}, not a uid of {minimum_user:g} or more")
    if boolean(own.get("readOnlyRootFilesystem"), "readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if boolean(own.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if boolean(own.get("privileged"), "privileged") is True:
        problems.append("privileged is true")
    capabilities = mapping(own.get("capabilities"), "securityContext.capabilities")
    dropped = items(capabilities.get("drop"), "capabilities.drop")
    if not any(isinstance(c, str) and c.upper() == "ALL" for c in dropped):
        problems.append("capabilities.drop does not hold ALL")
    added = [str(c) for c in items(capabilities.get("add"), "capabilities.add")]
    if extra := [c for c in added if c.upper() not in ALLOWED_ADDED_CAPABILITIES]:
        problems.append(f"capabilities.add holds {extra}")
    seccomp = _setting(container, pod, "seccompProfile")
    kind = mapping(seccomp, "seccompProfile").get("type")
    if kind not in SECCOMP_TYPES:
        problems.append(f"seccompProfile.type is {kind or 'not set'}, not RuntimeDefault")
    return problems


@fail_closed
def agent_pod_security_context_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not in_scope(args):
        return
    pod = pod_spec(args)
    minimum = as_number(config(args, "minimumUser", DEFAULT_MINIMUM_USER), "minimumUser")
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if boolean(pod.get(flag), flag) is True:
            report_violation(
                f"The pod sets {flag}: true, sharing the node's namespaces with an agent that "
                f"holds cloud credentials. Remove {flag}.",
                None,
            )
    found = list(containers(pod))
    if not found:
        raise ValueProblem("spec.template.spec.containers", None, "a list of containers")
    for label, container in found:
        problems = security_context_problems(container, pod, minimum or DEFAULT_MINIMUM_USER)
        if problems:
            report_violation(
                f"{label}: {'; '.join(problems)}. Set the container's securityContext to "
                f"runAsNonRoot: true, runAsUser: {DEFAULT_MINIMUM_USER + 1} (or another uid of "
                f"{minimum or DEFAULT_MINIMUM_USER:g} or more), readOnlyRootFilesystem: true "
                "(writable emptyDirs where needed), allowPrivilegeEscalation: false, "
                "capabilities.drop: [ALL] and seccompProfile.type: RuntimeDefault.",
                None,
            )


agent_pod_security_context = ResourceValidationPolicy(
    name="agent-pod-security-context",
    description="Agent Deployments run every container as a non-root high uid, with a read-only "
    "root file system, no privilege escalation, no capabilities and the RuntimeDefault seccomp "
    "profile, and share no host namespace.",
    validate=agent_pod_security_context_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            **_NAMESPACES_SCHEMA,
            "minimumUser": {
                "type": "integer",
                "minimum": 1,
                "default": DEFAULT_MINIMUM_USER,
                "description": "The lowest runAsUser allowed (high uids match no host user).",
            },
        }
    ),
    tags=rule_tags("SEC-K8S-001", checkov="CKV_K8S_22"),
    remediation_steps="Set the pod's and containers' securityContext as the message says "
    "(components/workloads.py does).",
)


@fail_closed
def agent_pod_probes_and_resources_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not in_scope(args):
        return
    found = list(containers(pod_spec(args), init=False))
    if not found:
        raise ValueProblem("spec.template.spec.containers", None, "a list of containers")
    for label, container in found:
        problems = []
        for probe in ("livenessProbe", "readinessProbe"):
            if not mapping(container.get(probe), probe):
                problems.append(f"no {probe}")
        resources = mapping(container.get("resources"), "resources")
        requests = mapping(resources.get("requests"), "resources.requests")
        limits = mapping(resources.get("limits"), "resources.limits")
        for what, section, key in (
            ("requests.cpu", requests, "cpu"),
            ("requests.memory", requests, "memory"),
            ("limits.memory", limits, "memory"),
        ):
            if section.get(key) in (None, ""):
                problems.append(f"no resources.{what}")
        if problems:
            report_violation(
                f"{label}: {', '.join(problems)}. Without probes a hung agent keeps its lease "
                "and is never restarted; without requests it is scheduled onto full nodes, and "
                "without a memory limit one runaway command can starve the node. Add liveness "
                "(/healthz) and readiness (/readyz) probes, CPU and memory requests and a memory "
                "limit.",
                None,
            )


agent_pod_probes_and_resources = ResourceValidationPolicy(
    name="agent-pod-probes-and-resources",
    description="Agent Deployments give every container liveness and readiness probes, CPU and "
    "memory requests and a memory limit.",
    validate=agent_pod_probes_and_resources_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(properties=_NAMESPACES_SCHEMA),
    tags=[*rule_tags("SEC-K8S-002", checkov="CKV_K8S_8"), "checkov:CKV_K8S_9"],
    remediation_steps="Add livenessProbe, readinessProbe, resources.requests (cpu, memory) and "
    "resources.limits.memory to each container.",
)


@fail_closed
def agent_image_pinned_by_digest_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not in_scope(args):
        return
    for label, container in containers(pod_spec(args)):
        image = container.get("image")
        if not isinstance(image, str) or not DIGEST.search(image):
            report_violation(
                f"{label}: image {image!r} is not pinned by digest, so what runs can change "
                "without a change to the stack (a re-pushed tag), unreviewed and unrecorded. Set "
                "the stack config key agentImageDigest (repository@sha256:<digest>).",
                None,
            )


agent_image_pinned_by_digest = ResourceValidationPolicy(
    name="agent-image-pinned-by-digest",
    description="Agent Deployments pull every image by digest (repository@sha256:...), not by a "
    "movable tag.",
    validate=agent_image_pinned_by_digest_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(properties=_NAMESPACES_SCHEMA),
    tags=rule_tags("SEC-K8S-003", checkov="CKV_K8S_43"),
    remediation_steps="Set agentImageDigest in the stack config to the digest of the released "
    "image.",
)

POLICIES = [
    agent_pod_security_context,
    agent_pod_probes_and_resources,
    agent_image_pinned_by_digest,
]

"""Tenant rules: every environment namespace (where application teams run: dev, staging, qa, prod)
has a ResourceQuota and a LimitRange, and denies ingress and egress by default; and the cluster's
network policies are enforced by something (the VPC CNI's network policy agent).

An environment namespace is a Namespace of the plan labelled `environment` (the program's marker,
components/cluster.py), or one whose name matches the policy config's `namespaces` patterns, so
that dropping the label does not take a namespace out of the rule's sight.

Default-deny per direction: some NetworkPolicy of the namespace selects every pod
(`podSelector: {}`) for that direction (listed in `policyTypes`; with no `policyTypes`, Ingress
always and Egress when egress rules are given), and no policy selecting every pod allows every
peer on every port in that direction (a rule without peers, an empty peer, `namespaceSelector:
{}`, or `0.0.0.0/0`/`::/0` without exceptions): NetworkPolicies add up, so one such allow undoes
the deny. Narrower allows (same namespace, DNS, the VPC's CIDR, the internet except private
space) are what the deny is for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.common import as_bool, config, fail_closed, matches_any, rule_tags, string_list
from policies.karpenter import items, mapping
from policies.security.namespaces import open_peer
from policies.values import ValueProblem
from toolchain.quantities import QuantityError, parse_quantity

NAMESPACE = "kubernetes:core/v1:Namespace"
RESOURCE_QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMIT_RANGE = "kubernetes:core/v1:LimitRange"
NETWORK_POLICY = re.compile(r"^kubernetes:networking\.k8s\.io/v1:NetworkPolicy$")
EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_ADDON = "aws:eks/addon:Addon"
ENVIRONMENT_LABEL = "environment"
DEFAULT_REQUIRED_RESOURCES = [
    "requests.cpu",
    "requests.memory",
    "limits.memory",
    "pods",
    "services.loadbalancers",
]
_DIRECTIONS = (("Ingress", "ingress", "from"), ("Egress", "egress", "to"))


def _name_of(res: PolicyResource, what: str) -> str | None:
    metadata = mapping(res.props.get("metadata"), f"{what}.metadata")
    name = metadata.get("name")
    return name if isinstance(name, str) else None


def _namespace_of(res: PolicyResource) -> str:
    metadata = mapping(res.props.get("metadata"), "metadata")
    value = metadata.get("namespace")
    return value if isinstance(value, str) else "default"


def environment_namespaces(args: StackValidationArgs) -> list[tuple[PolicyResource, str]]:
    """The plan's environment namespaces: labelled `environment`, or named by the config."""
    patterns = [str(p) for p in config(args, "namespaces", [])]
    found = []
    for res in args.resources:
        if res.resource_type != NAMESPACE:
            continue
        try:
            metadata = mapping(res.props.get("metadata"), "metadata")
            labels = mapping(metadata.get("labels"), "metadata.labels")
            name = metadata.get("name")
        except ValueProblem as problem:
            problem.urn = res.urn
            raise
        if not isinstance(name, str):
            continue
        if ENVIRONMENT_LABEL in labels or matches_any(name, patterns):
            found.append((res, name))
    return found


# -- quota and limit range ------------------------------------------------------------------------


def _quota_resources(res: PolicyResource) -> set[str]:
    """The resources a ResourceQuota caps, each with a readable quantity."""
    spec = mapping(res.props.get("spec"), "spec")
    hard = mapping(spec.get("hard"), "spec.hard")
    for key, value in hard.items():
        try:
            parse_quantity(value, f"spec.hard[{key}]")
        except QuantityError:
            raise ValueProblem(f"spec.hard[{key}]", value, "a Kubernetes quantity") from None
    if items(spec.get("scopes"), "spec.scopes") or spec.get("scopeSelector"):
        return set()  # a scoped quota caps only some pods: it is not the namespace's cap
    return {str(k) for k in hard}


def _limit_range_defaults(res: PolicyResource) -> set[str]:
    """What a LimitRange fills in or bounds for containers (`request.cpu`, `limit.memory`, ...)."""
    spec = mapping(res.props.get("spec"), "spec")
    given: set[str] = set()
    for i, raw in enumerate(items(spec.get("limits"), "spec.limits")):
        limit = mapping(raw, f"spec.limits[{i}]")
        if limit.get("type") != "Container":
            continue
        for key, prefix in (("defaultRequest", "request"), ("default", "limit"), ("max", "limit")):
            values = mapping(limit.get(key), f"spec.limits[{i}].{key}")
            for resource, value in values.items():
                try:
                    parse_quantity(value, f"spec.limits[{i}].{key}.{resource}")
                except QuantityError:
                    raise ValueProblem(
                        f"spec.limits[{i}].{key}.{resource}", value, "a Kubernetes quantity"
                    ) from None
                given.add(f"{prefix}.{resource}")
    return given


@fail_closed
def tenant_namespace_quota_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    required = [str(r) for r in config(args, "requiredResources", DEFAULT_REQUIRED_RESOURCES)]
    capped: dict[str, set[str]] = {}
    defaults: dict[str, set[str]] = {}
    for res in args.resources:
        try:
            if res.resource_type == RESOURCE_QUOTA:
                capped.setdefault(_namespace_of(res), set()).update(_quota_resources(res))
            elif res.resource_type == LIMIT_RANGE:
                defaults.setdefault(_namespace_of(res), set()).update(_limit_range_defaults(res))
        except ValueProblem as problem:
            problem.urn = res.urn
            raise
    for res, name in environment_namespaces(args):
        missing = [r for r in required if r not in capped.get(name, set())]
        if name not in capped:
            report_violation(
                f"Environment namespace {name} has no ResourceQuota: one team's pods, volumes and "
                "load balancers can take the shared nodes and run up the bill. Add a "
                f"ResourceQuota capping {', '.join(required)} (components/tenants.py does, from "
                "the stack's tenant* keys).",
                res.urn,
            )
        elif missing:
            report_violation(
                f"Environment namespace {name}'s ResourceQuota does not cap {', '.join(missing)}. "
                "Add them to spec.hard (unscoped).",
                res.urn,
            )
        need = {"request.cpu", "request.memory", "limit.memory"}
        if not need <= defaults.get(name, set()):
            report_violation(
                f"Environment namespace {name} has no LimitRange giving containers a default CPU "
                "and memory request and memory limit: under the quota, every pod that leaves "
                "one out is refused, and nothing bounds one container's memory. Add a "
                "LimitRange of type Container with defaultRequest (cpu, memory) and default or "
                "max (memory).",
                res.urn,
            )


tenant_namespace_quota = StackValidationPolicy(
    name="tenant-namespace-quota",
    description="Every environment namespace (labelled environment, or named in the policy "
    "config) has an unscoped ResourceQuota capping CPU and memory requests, memory limits, pods "
    "and load balancers, and a LimitRange giving containers default requests and a memory limit.",
    validate=tenant_namespace_quota_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            "namespaces": string_list(
                "Namespace patterns judged as environments, labelled or not."
            ),
            "requiredResources": string_list(
                "What the quota's spec.hard must cap.", DEFAULT_REQUIRED_RESOURCES
            ),
        }
    ),
    tags=rule_tags("SEC-K8S-015"),
    remediation_steps="Give the namespace a ResourceQuota and a LimitRange (components/tenants.py, "
    "stack keys tenant*).",
)


# -- default deny, both directions ----------------------------------------------------------------


def _selects_every_pod(spec: Mapping[str, Any]) -> bool:
    selector = mapping(spec.get("podSelector"), "spec.podSelector")
    labels = mapping(selector.get("matchLabels"), "spec.podSelector.matchLabels")
    expressions = items(selector.get("matchExpressions"), "spec.podSelector.matchExpressions")
    return not labels and not expressions


def _directions(spec: Mapping[str, Any]) -> set[str]:
    """The directions a policy isolates: its policyTypes, or Kubernetes' default without them."""
    types = [str(t) for t in items(spec.get("policyTypes"), "spec.policyTypes")]
    if types:
        unknown = set(types) - {"Ingress", "Egress"}
        if unknown:
            raise ValueProblem("spec.policyTypes", types, "Ingress and/or Egress")
        return set(types)
    return {"Ingress", "Egress"} if spec.get("egress") is not None else {"Ingress"}


def _allows_everything(spec: Mapping[str, Any], key: str, peers_key: str) -> bool:
    for i, raw in enumerate(items(spec.get(key), f"spec.{key}")):
        rule = mapping(raw, f"spec.{key}[{i}]")
        if items(rule.get("ports"), f"spec.{key}[{i}].ports"):
            continue
        peers = items(rule.get(peers_key), f"spec.{key}[{i}].{peers_key}")
        if not peers or any(
            open_peer(mapping(p, f"spec.{key}[{i}].{peers_key}[{j}]"), f"{peers_key}[{j}]")
            for j, p in enumerate(peers)
        ):
            return True
    return False


@fail_closed
def tenant_namespace_default_deny_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    # (namespace, direction) -> isolated; and the first policy that opens it to everything.
    isolated: set[tuple[str, str]] = set()
    openers: dict[tuple[str, str], str] = {}
    for res in args.resources:
        if not NETWORK_POLICY.match(res.resource_type):
            continue
        try:
            name = _namespace_of(res)
            spec = mapping(res.props.get("spec"), "spec")
            if not _selects_every_pod(spec):
                continue
            for direction, key, peers_key in _DIRECTIONS:
                if direction not in _directions(spec):
                    continue
                isolated.add((name, direction))
                if _allows_everything(spec, key, peers_key):
                    openers.setdefault((name, direction), res.urn)
        except ValueProblem as problem:
            problem.urn = res.urn
            raise
    for res, name in environment_namespaces(args):
        for direction, _, _ in _DIRECTIONS:
            opener = openers.get((name, direction))
            if (name, direction) in isolated and opener is None:
                continue
            why = (
                f"NetworkPolicy {opener.rsplit('::', 1)[-1]} selects every pod and allows every "
                f"{direction.lower()} peer on every port"
                if opener
                else f"no NetworkPolicy selects every pod for {direction}"
            )
            report_violation(
                f"Environment namespace {name} does not deny {direction.lower()} by default "
                f"({why}): "
                + (
                    "any pod of the cluster, or anything routed to the VPC, reaches its pods. "
                    if direction == "Ingress"
                    else "its pods reach every other namespace, the node's metadata service and "
                    "any network the VPC routes to. "
                )
                + "Add a NetworkPolicy with podSelector: {}, policyTypes: [Ingress, Egress] and "
                "no rules (components/tenants.py's default-deny), and allow what the team needs "
                "in narrower policies.",
                opener or res.urn,
            )


tenant_namespace_default_deny = StackValidationPolicy(
    name="tenant-namespace-default-deny",
    description="Every environment namespace (labelled environment, or named in the policy "
    "config) has NetworkPolicies that deny both ingress and egress to all its pods by default, "
    "not undone by a policy that allows every peer on every port.",
    validate=tenant_namespace_default_deny_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            "namespaces": string_list("Namespace patterns judged as environments, labelled or not.")
        }
    ),
    tags=rule_tags("SEC-K8S-016"),
    remediation_steps="Add a default-deny NetworkPolicy (ingress and egress) to the namespace "
    "(components/tenants.py).",
)


# -- enforcement ----------------------------------------------------------------------------------


def _enables_network_policy(res: PolicyResource) -> bool:
    raw = res.props.get("configurationValues")
    if raw is None or raw == "":
        return False
    try:
        values = json.loads(raw) if isinstance(raw, str) else raw
    except (json.JSONDecodeError, RecursionError):  # not JSON, or nested past its depth
        raise ValueProblem("configurationValues", raw, "a JSON document") from None
    values = mapping(values, "configurationValues")
    flag = values.get("enableNetworkPolicy")
    if flag is None:
        return False
    parsed = as_bool(flag)
    if parsed is None:
        raise ValueProblem("configurationValues.enableNetworkPolicy", flag, '"true" or "false"')
    return parsed


@fail_closed
def eks_network_policy_enforced_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    clusters = [r for r in args.resources if r.resource_type == EKS_CLUSTER]
    policies = [r for r in args.resources if NETWORK_POLICY.match(r.resource_type)]
    cnis = []
    for res in args.resources:
        if res.resource_type == EKS_ADDON and res.props.get("addonName") == "vpc-cni":
            cnis.append(res)
    for res in cnis:
        try:
            enabled = _enables_network_policy(res)
        except ValueProblem as problem:
            problem.urn = res.urn
            raise
        if not enabled:
            report_violation(
                "The vpc-cni add-on does not run its network policy agent "
                '(configurationValues enableNetworkPolicy is not "true"): the cluster\'s '
                "NetworkPolicies, every namespace's default-deny among them, are accepted by the "
                'API server and enforced by nothing. Set {"enableNetworkPolicy": "true"} in the '
                "add-on's configuration_values (components/cluster.py's vpc_cni_configuration).",
                res.urn,
            )
    if clusters and policies and not cnis:
        report_violation(
            "The plan declares NetworkPolicies but no vpc-cni add-on: the vpc-cni EKS installs by "
            "itself runs no network policy agent, so nothing enforces them. Manage vpc-cni as an "
            'EKS add-on with configuration_values {"enableNetworkPolicy": "true"}.',
            clusters[0].urn,
        )


eks_network_policy_enforced = StackValidationPolicy(
    name="eks-network-policy-enforced",
    description="Every vpc-cni EKS add-on runs its network policy agent (enableNetworkPolicy), "
    "and a plan that declares NetworkPolicies for an EKS cluster manages vpc-cni as an add-on, so "
    "that the policies are enforced.",
    validate=eks_network_policy_enforced_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    tags=rule_tags("SEC-EKS-008"),
    remediation_steps='Set {"enableNetworkPolicy": "true"} in the vpc-cni add-on\'s '
    "configuration_values.",
)

POLICIES: list[StackValidationPolicy] = [
    tenant_namespace_quota,
    tenant_namespace_default_deny,
    eks_network_policy_enforced,
]

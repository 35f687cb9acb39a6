"""Pod rules for every workload of the plan (Pod, Deployment, ReplicaSet, DaemonSet, StatefulSet,
Job, CronJob; any namespace): host paths that grant the node, service account tokens mounted by
pods that do not call the Kubernetes API, the pod security context (Pod Security Standards
`restricted`) outside the agents' namespaces too, and credentials written into the spec as
environment variables.

Host paths are judged by what they reach, after normalising (`//`, `.`, `..`, trailing slashes;
`/var/run` is the same directory as `/run` on every current distribution): a path is dangerous
when it is, holds, or lies inside one of the node's sensitive paths (`/var` holds
`/var/lib/kubelet`, `/etc/kubernetes/pki` lies inside `/etc`). A log folder (`/var/log`) mounted
read-only by every container is allowed by default (`readOnlyAllowed`): a log shipper needs it,
and only a writable one lets a pod plant the symlinks that the kubelet follows when it serves logs.

A value not known yet (a preview) is left to the SDK, which says the rule could not run and runs it
again during the update; a value present but of the wrong kind fails the rule (`fail_closed`).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
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

from policies.common import config, fail_closed, matches_any, rule_tags, string_list
from policies.karpenter import items, mapping
from policies.values import ValueProblem, boolean

WORKLOAD = re.compile(
    r"^kubernetes:(?:"
    r"apps/v1(?:beta\d)?:(?:Deployment|DaemonSet|StatefulSet|ReplicaSet)"
    r"|batch/v1(?:beta1)?:(?:Job|CronJob)"
    r"|core/v1:Pod)$"
)
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"

# Paths on the node whose reach is the node: the host's root, its configuration and credentials,
# the kernel's interfaces, the kubelet's and the container runtimes' state, and their sockets.
SENSITIVE_HOST_PATHS = (
    "/",
    "/etc",
    "/root",
    "/home",
    "/proc",
    "/sys",
    "/dev",
    "/boot",
    "/usr",
    "/bin",
    "/sbin",
    "/lib",
    "/lib64",
    "/var/lib/kubelet",
    "/var/lib/docker",
    "/var/lib/containerd",
    "/var/lib/containers",
    "/var/lib/cni",
    "/var/lib/etcd",
    "/var/log",
    "/run/containerd",
    "/run/crio",
    "/run/docker",
    "/run/docker.sock",
    "/run/dockershim.sock",
    "/run/cri-dockerd.sock",
    "/run/secrets",
)
DEFAULT_READ_ONLY_ALLOWED = ["/var/log"]
DEFAULT_EXEMPT_NAMESPACES = ["kube-system"]
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
ALLOWED_ADDED_CAPABILITIES = ("NET_BIND_SERVICE",)
_CONTAINER_KINDS = ("containers", "initContainers", "ephemeralContainers")
_EXEMPT_SCHEMA: dict[str, Any] = {
    "exemptWorkloads": string_list(
        "Workloads the rule does not judge, as `namespace/name` glob patterns."
    )
}


# -- reading a workload ---------------------------------------------------------------------------


def is_workload(type_token: str) -> bool:
    return bool(WORKLOAD.match(type_token))


def kind_of(type_token: str) -> str:
    return type_token.rsplit(":", 1)[-1]


def namespace_and_name(props: Mapping[str, Any]) -> tuple[str, str]:
    """A workload's namespace (Kubernetes' `default` when unset) and name."""
    metadata = mapping(props.get("metadata"), "metadata")
    namespace = metadata.get("namespace")
    name = metadata.get("name")
    if namespace is not None and not isinstance(namespace, str):
        raise ValueProblem("metadata.namespace", namespace, "a namespace name")
    return namespace or "default", name if isinstance(name, str) else ""


def pod_spec_of(type_token: str, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """(path, pod spec) of a workload: a Pod's own spec, a CronJob's job template's pod template,
    the others' pod template."""
    spec = mapping(props.get("spec"), "spec")
    kind = kind_of(type_token)
    if kind == "Pod":
        return "spec", spec
    if kind == "CronJob":
        job = mapping(spec.get("jobTemplate"), "spec.jobTemplate")
        spec = mapping(job.get("spec"), "spec.jobTemplate.spec")
        prefix = "spec.jobTemplate.spec.template"
    else:
        prefix = "spec.template"
    template = mapping(spec.get("template"), prefix)
    return f"{prefix}.spec", mapping(template.get("spec"), f"{prefix}.spec")


def pod_containers(pod: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(label, container) of every container, init container and ephemeral container."""
    for kind in _CONTAINER_KINDS:
        for i, raw in enumerate(items(pod.get(kind), f"{path}.{kind}")):
            container = mapping(raw, f"{path}.{kind}[{i}]")
            yield f"{kind}[{i}] ({container.get('name') or 'unnamed'})", container


def exempt(args: Any, namespace: str, name: str, key: str = "exemptWorkloads") -> bool:
    patterns = [str(p) for p in config(args, key, [])]
    return matches_any(f"{namespace}/{name}", patterns)


# -- host paths -----------------------------------------------------------------------------------


def normalise_host_path(value: Any, what: str) -> str:
    """An absolute host path as the node resolves it: `//`, `.` and `..` folded, no trailing
    slash, `/var/run` read as `/run` (a symlink to it)."""
    if not isinstance(value, str) or not value.strip().startswith("/"):
        raise ValueProblem(what, value, "an absolute path")
    path = posixpath.normpath("/" + value.strip().lstrip("/"))
    if path == "/var/run" or path.startswith("/var/run/"):
        path = "/run" + path[len("/var/run") :]
    return path


def _within(path: str, folder: str) -> bool:
    return folder in ("/", path) or path.startswith(folder + "/")


def reached_sensitive_paths(path: str, sensitive: tuple[str, ...]) -> list[str]:
    """The sensitive paths a mount of `path` reaches: those it holds, or the one it lies in."""
    found = []
    for danger in sensitive:
        target = normalise_host_path(danger, "a sensitive path")
        if _within(target, path) or (target != "/" and _within(path, target)):
            found.append(target)
    return found


def _mounts_read_only(pod: Mapping[str, Any], path: str, volume: str) -> bool:
    """Whether every container mounting `volume` mounts it read-only."""
    for label, container in pod_containers(pod, path):
        for j, raw in enumerate(items(container.get("volumeMounts"), f"{label}.volumeMounts")):
            mount = mapping(raw, f"{label}.volumeMounts[{j}]")
            if mount.get("name") != volume:
                continue
            if boolean(mount.get("readOnly"), f"{label}.volumeMounts[{j}].readOnly") is not True:
                return False
    return True


@fail_closed
def pod_host_path_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_workload(args.resource_type):
        return
    namespace, name = namespace_and_name(args.props)
    if exempt(args, namespace, name):
        return
    path, pod = pod_spec_of(args.resource_type, args.props)
    read_only_allowed = [
        normalise_host_path(p, "readOnlyAllowed")
        for p in config(args, "readOnlyAllowed", DEFAULT_READ_ONLY_ALLOWED)
    ]
    for i, raw in enumerate(items(pod.get("volumes"), f"{path}.volumes")):
        volume = mapping(raw, f"{path}.volumes[{i}]")
        if volume.get("hostPath") is None:
            continue
        host = mapping(volume.get("hostPath"), f"{path}.volumes[{i}].hostPath")
        host_path = normalise_host_path(host.get("path"), f"{path}.volumes[{i}].hostPath.path")
        reached = reached_sensitive_paths(host_path, SENSITIVE_HOST_PATHS)
        if not reached:
            continue
        if any(_within(host_path, ok) for ok in read_only_allowed) and _mounts_read_only(
            pod, path, str(volume.get("name"))
        ):
            continue
        report_violation(
            f"Volume {volume.get('name')!r} mounts the node's {host_path} (which reaches "
            f"{', '.join(reached)}): a container holding it can take over the node (a runtime "
            "socket starts privileged containers; /etc, /var/lib/kubelet and /root hold the "
            "node's credentials; a writable /var/log lets it read any host file through the "
            "kubelet). Use an emptyDir, a projected volume or a narrower path outside these; a "
            "log shipper may mount /var/log read-only.",
            None,
        )


pod_host_path = ResourceValidationPolicy(
    name="pod-no-sensitive-host-path",
    description="No workload mounts a host path that reaches the node's root, configuration, "
    "credentials, kernel interfaces, kubelet or container runtime state or sockets (judged after "
    "normalising the path; an ancestor reaches what it holds; a log folder only read-only).",
    validate=pod_host_path_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.CRITICAL,
    config_schema=PolicyConfigSchema(
        properties={
            **_EXEMPT_SCHEMA,
            "readOnlyAllowed": string_list(
                "Sensitive host paths (and what lies inside them) that a pod may "
                "mount when every container mounts them read-only.",
                DEFAULT_READ_ONLY_ALLOWED,
            ),
        }
    ),
    tags=rule_tags("SEC-K8S-004", checkov="CKV_K8S_27"),
    remediation_steps="Replace the hostPath with an emptyDir or a narrower path; mount a log "
    "folder read-only.",
)


# -- service account tokens -----------------------------------------------------------------------


def _text(value: Any, what: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueProblem(what, value, "a name")
    return value


@fail_closed
def pod_service_account_token_validator(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    allowed = [str(p) for p in config(args, "apiServiceAccounts", [])]
    # What each ServiceAccount of the plan says (None: it says nothing, so the token is mounted).
    accounts: dict[tuple[str, str], bool | None] = {}
    workloads: list[PolicyResource] = []
    for res in args.resources:
        if res.resource_type == SERVICE_ACCOUNT:
            try:
                namespace, name = namespace_and_name(res.props)
                flag = boolean(
                    res.props.get("automountServiceAccountToken"), "automountServiceAccountToken"
                )
            except ValueProblem as problem:
                problem.urn = res.urn
                raise
            accounts[(namespace, name)] = flag
        elif is_workload(res.resource_type):
            workloads.append(res)
    for res in workloads:
        try:
            namespace, name = namespace_and_name(res.props)
            if exempt(args, namespace, name):
                continue
            path, pod = pod_spec_of(res.resource_type, res.props)
            account = (
                _text(pod.get("serviceAccountName"), f"{path}.serviceAccountName")
                or _text(pod.get("serviceAccount"), f"{path}.serviceAccount")
                or "default"
            )
            if matches_any(f"{namespace}/{account}", allowed):
                continue
            own = boolean(
                pod.get("automountServiceAccountToken"), f"{path}.automountServiceAccountToken"
            )
        except ValueProblem as problem:
            problem.urn = res.urn
            raise
        if own is False:
            continue
        if own is True:
            why = "the pod sets automountServiceAccountToken: true"
        elif (namespace, account) not in accounts:
            why = (
                f"the pod says nothing and service account {namespace}/{account} is not in the "
                "plan, so Kubernetes' default (mount) applies"
            )
        elif accounts[(namespace, account)] is not False:
            why = f"neither the pod nor service account {namespace}/{account} turns it off"
        else:
            continue
        report_violation(
            f"{kind_of(res.resource_type)} {namespace}/{name} mounts a Kubernetes API token of "
            f"service account {namespace}/{account}: {why}. A pod that does not call the API "
            "gives anyone who runs code in it that credential for nothing. Set "
            "automountServiceAccountToken: false on the pod (or its service account), or list "
            f"'{namespace}/{account}' in this rule's apiServiceAccounts if it needs the API.",
            res.urn,
        )


pod_service_account_token = StackValidationPolicy(
    name="pod-service-account-token-not-mounted",
    description="Workloads mount no Kubernetes API token unless their service account is one "
    "the policy config says needs the API (the pod's automountServiceAccountToken, else its "
    "service account's in the plan, else Kubernetes' default, which mounts).",
    validate=pod_service_account_token_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.MEDIUM,
    config_schema=PolicyConfigSchema(
        properties={
            **_EXEMPT_SCHEMA,
            "apiServiceAccounts": string_list(
                "Service accounts whose pods call the Kubernetes API, as "
                "`namespace/name` glob patterns."
            ),
        }
    ),
    tags=rule_tags("SEC-K8S-005", checkov="CKV_K8S_38"),
    remediation_steps="Set automountServiceAccountToken: false on the pod spec or the "
    "ServiceAccount (components/workloads.py and components/identity.py do).",
)


# -- security context of every workload -----------------------------------------------------------


def _setting(container: Mapping[str, Any], pod: Mapping[str, Any], key: str, path: str) -> Any:
    own = mapping(container.get("securityContext"), "securityContext")
    if own.get(key) is not None:
        return own.get(key)
    return mapping(pod.get("securityContext"), f"{path}.securityContext").get(key)


def restricted_problems(container: Mapping[str, Any], pod: Mapping[str, Any], path: str) -> list:
    """What a container's effective security context lacks for Pod Security Standards
    `restricted` (a container's setting overrides its pod's)."""
    own = mapping(container.get("securityContext"), "securityContext")
    problems = []
    if boolean(own.get("privileged"), "privileged") is True:
        problems.append("privileged is true")
    if boolean(own.get("allowPrivilegeEscalation"), "allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if boolean(_setting(container, pod, "runAsNonRoot", path), "runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    user = _setting(container, pod, "runAsUser", path)
    if user is not None and (isinstance(user, bool) or not isinstance(user, int | float)):
        raise ValueProblem("runAsUser", user, "a uid")
    if user == 0:
        problems.append("runAsUser is 0 (root)")
    capabilities = mapping(own.get("capabilities"), "securityContext.capabilities")
    dropped = items(capabilities.get("drop"), "capabilities.drop")
    if not any(isinstance(c, str) and c.upper() == "ALL" for c in dropped):
        problems.append("capabilities.drop does not hold ALL")
    added = [str(c) for c in items(capabilities.get("add"), "capabilities.add")]
    if extra := [c for c in added if c.upper() not in ALLOWED_ADDED_CAPABILITIES]:
        problems.append(f"capabilities.add holds {extra}")
    seccomp = mapping(_setting(container, pod, "seccompProfile", path), "seccompProfile")
    if seccomp.get("type") not in SECCOMP_TYPES:
        problems.append(f"seccompProfile.type is {seccomp.get('type') or 'not set'}")
    return problems


@fail_closed
def workload_security_context_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_workload(args.resource_type):
        return
    namespace, name = namespace_and_name(args.props)
    namespaces = [str(p) for p in config(args, "exemptNamespaces", DEFAULT_EXEMPT_NAMESPACES)]
    if matches_any(namespace, namespaces) or exempt(args, namespace, name):
        return
    path, pod = pod_spec_of(args.resource_type, args.props)
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if boolean(pod.get(flag), f"{path}.{flag}") is True:
            report_violation(
                f"The pod sets {flag}: true and shares the node's namespace. Remove {flag}.", None
            )
    found = list(pod_containers(pod, path))
    if not found:
        raise ValueProblem(f"{path}.containers", None, "a list of containers")
    for label, container in found:
        if problems := restricted_problems(container, pod, path):
            report_violation(
                f"{label}: {'; '.join(problems)}. Set the container's securityContext to "
                "runAsNonRoot: true, allowPrivilegeEscalation: false, privileged: false, "
                "capabilities.drop: [ALL] and seccompProfile.type: RuntimeDefault (or name the "
                "workload in this rule's exemptWorkloads, with the reason, if it must differ).",
                None,
            )


workload_security_context = ResourceValidationPolicy(
    name="workload-pod-security-context",
    description="Every workload, in any namespace, runs its containers as non-root, unprivileged, "
    "without privilege escalation or capabilities, under the RuntimeDefault seccomp profile and "
    "sharing no host namespace (Pod Security Standards restricted).",
    validate=workload_security_context_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            **_EXEMPT_SCHEMA,
            "exemptNamespaces": string_list(
                "Namespace patterns the rule does not judge (system add-ons).",
                DEFAULT_EXEMPT_NAMESPACES,
            ),
        }
    ),
    tags=rule_tags("SEC-K8S-006", checkov="CKV_K8S_20"),
    remediation_steps="Set the pod's and containers' securityContext as the message says.",
)

# -- credentials in the environment ---------------------------------------------------------------

# Names that say a variable holds a credential. A literal value under such a name is in the spec,
# so in the stack's state, the plan, `kubectl get -o yaml` and every audit of the object.
DEFAULT_SECRET_NAME_PATTERNS = [
    "*PASSWORD*",
    "*PASSWD*",
    "*PASSPHRASE*",
    "*SECRET*",
    "*TOKEN*",
    "*API_KEY*",
    "*APIKEY*",
    "*PRIVATE_KEY*",
    "*ACCESS_KEY*",
    "*CREDENTIAL*",
]
# Variables that hold where a credential is, not the credential: the agents' approval key is read
# from Secrets Manager by this name at run time.
DEFAULT_REFERENCE_NAMES = [
    "*_SECRET_ARN",
    "*_SECRET_ID",
    "*_SECRET_NAME",
    "*_SECRET_KEY_REF",
    "AGENTS_APPROVAL_KEY_SECRET",
]
# Settings whose names say token or secret but whose values are a choice or a number: a literal is
# not a credential when it is exactly one of those (judged by the value, so a credential put in
# such a variable still fails).
DEFAULT_SETTING_VALUES = {
    "AGENTS_MCP_TOKEN_STORE": "file|dynamodb|secretsmanager",
    "AGENTS_MCP_TOKEN_REFRESH_S": r"[0-9]{1,3}(\.[0-9]{1,3})?",
}
# Variables that must not exist in a pod spec in any form: the agents reach PostgreSQL with IAM
# authentication only, so a password for it (even from a Secret) is a second way in.
DEFAULT_FORBIDDEN_NAMES = ["AGENTS_PG_PASSWORD", "PGPASSWORD"]
# A value naming where a credential is (an ARN, a mounted file) rather than the credential.
_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]+:")
_FILE_SUFFIXES = ("_FILE", "_PATH", "_DIR")


def _env_problem(
    variable: Mapping[str, Any],
    where: str,
    secret_patterns: list[str],
    references: list[str],
    forbidden: list[str],
    *,
    settings: Mapping[str, str] | None = None,
) -> str | None:
    """Why one `env` entry carries a credential in the spec (or a forbidden one at all), or None."""
    name = variable.get("name")
    if not isinstance(name, str) or not name:
        raise ValueProblem(f"{where}.name", name, "a variable name")
    upper = name.upper()
    value_from = mapping(variable.get("valueFrom"), f"{where}.valueFrom")
    if matches_any(upper, [p.upper() for p in forbidden]):
        source = "a literal value" if "valueFrom" not in variable else "valueFrom"
        return (
            f"{name} is set ({source}); it must not be in a pod spec at all (IAM authentication "
            "only). Remove it"
        )
    if not matches_any(upper, [p.upper() for p in secret_patterns]):
        return None
    if matches_any(upper, [p.upper() for p in references]) or upper.endswith(_FILE_SUFFIXES):
        return None
    if value_from:
        if value_from.get("configMapKeyRef") is not None:
            return (
                f"{name} comes from a ConfigMap, which is stored and shown in plain text. Keep it "
                "in a Secret (valueFrom.secretKeyRef) or, better, in Secrets Manager read at run "
                "time"
            )
        return None  # a Secret, a field or a resource reference: not in the spec
    value = variable.get("value")
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueProblem(f"{where}.value", value, "a string")
    if _ARN.match(value.strip()):
        return None  # where the credential is (Secrets Manager, SSM), read at run time
    allowed = {k.upper(): v for k, v in (settings or {}).items()}.get(upper)
    if allowed is not None and re.fullmatch(allowed, value):
        return None  # a setting's choice or number, not a credential
    return (
        f"{name} holds a literal value, so the credential is in the spec, the stack's state and "
        "every reader of the object. Read it at run time instead: an ARN of a Secrets Manager "
        "secret the pod's role may read, a mounted file, or valueFrom.secretKeyRef"
    )


@fail_closed
def pod_plaintext_secret_env_validator(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if not is_workload(args.resource_type):
        return
    namespace, name = namespace_and_name(args.props)
    if exempt(args, namespace, name):
        return
    secret_patterns = [str(p) for p in config(args, "secretNames", DEFAULT_SECRET_NAME_PATTERNS)]
    references = [str(p) for p in config(args, "referenceNames", DEFAULT_REFERENCE_NAMES)]
    forbidden = [str(p) for p in config(args, "forbiddenNames", DEFAULT_FORBIDDEN_NAMES)]
    settings = config(args, "settingValues", DEFAULT_SETTING_VALUES)
    if not isinstance(settings, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in settings.items()
    ):
        raise ValueProblem("settingValues", settings, "an object of variable name to pattern")
    path, pod = pod_spec_of(args.resource_type, args.props)
    for label, container in pod_containers(pod, path):
        for j, raw in enumerate(items(container.get("env"), f"{label}.env")):
            where = f"{label}.env[{j}]"
            variable = mapping(raw, where)
            problem = _env_problem(
                variable, where, secret_patterns, references, forbidden, settings=settings
            )
            if problem:
                report_violation(f"{where}: {problem}.", None)


pod_plaintext_secret_env = ResourceValidationPolicy(
    name="pod-no-plaintext-secret-env",
    description="No workload's containers carry a credential as a literal environment value (a "
    "variable named like a password, secret, token or key holds a reference, not the value), and "
    "no pod spec sets a variable the platform forbids outright, such as AGENTS_PG_PASSWORD.",
    validate=pod_plaintext_secret_env_validator,
    enforcement_level=EnforcementLevel.MANDATORY,
    severity=Severity.HIGH,
    config_schema=PolicyConfigSchema(
        properties={
            **_EXEMPT_SCHEMA,
            "secretNames": string_list(
                "Variable name patterns (any case) that hold a credential.",
                DEFAULT_SECRET_NAME_PATTERNS,
            ),
            "referenceNames": string_list(
                "Variable name patterns whose literal value names where a "
                "credential is (a secret's name or id), not the credential.",
                DEFAULT_REFERENCE_NAMES,
            ),
            "settingValues": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "default": DEFAULT_SETTING_VALUES,
                "description": "Variables named like a credential whose literal value is not one "
                "when it matches the pattern in full (a setting's choice or number).",
            },
            "forbiddenNames": string_list(
                "Variable name patterns no pod spec may set in any form (literal, "
                "Secret or other reference).",
                DEFAULT_FORBIDDEN_NAMES,
            ),
        }
    ),
    tags=rule_tags("SEC-K8S-013"),
    remediation_steps="Remove the literal value: read the credential at run time (an ARN of a "
    "Secrets Manager secret the pod's IAM role may read, a mounted file, or "
    "valueFrom.secretKeyRef); remove a forbidden variable such as AGENTS_PG_PASSWORD (the agents "
    "use IAM database authentication).",
)

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    pod_host_path,
    pod_service_account_token,
    workload_security_context,
    pod_plaintext_secret_env,
]

"""examples/app.yaml applies cleanly to every environment namespace of the dev and prod plans:
each object against the Kubernetes JSON schema of the cluster's version (kubernetes-validate,
strict: no unknown fields), its pod spec under the Pod Security Standard the namespace enforces
(restricted), its requests and limits (after the namespace's LimitRange fills the defaults) at the
HPA's largest replica count inside the namespace's ResourceQuota, and its wiring (the Service,
HPA, Ingress class and NetworkPolicy reach what they name)."""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Iterator, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from toolchain.export import StackExport
from toolchain.quantities import parse_quantity

APP = Path(__file__).resolve().parents[2] / "examples" / "app.yaml"
NAMESPACE = "kubernetes:core/v1:Namespace"
QUOTA = "kubernetes:core/v1:ResourceQuota"
LIMITS = "kubernetes:core/v1:LimitRange"

# Pod Security Standards, restricted (which includes baseline), as the Kubernetes documentation
# lists them: https://kubernetes.io/docs/concepts/security/pod-security-standards/
RESTRICTED_VOLUME_TYPES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
BASELINE_CAPABILITIES = {
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
}
SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
SECCOMP_ALLOWED = {"RuntimeDefault", "Localhost"}


def documents(path: Path = APP) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text()) if d]


def one_of(docs: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, f"examples/app.yaml: expected one {kind}, found {len(found)}"
    return found[0]


def containers(pod: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in pod.get(key) or []:
            yield f"{key}[{c.get('name')}]", c


def pod_security_restricted(pod: Mapping[str, Any]) -> list[str]:
    """What in a pod spec the Pod Security Standard `restricted` forbids (empty: admitted)."""
    problems: list[str] = []
    pod_sc = pod.get("securityContext") or {}
    for host in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(host):
            problems.append(f"{host} is true")
    for volume in pod.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUME_TYPES:
            problems.append(f"volume {volume.get('name')}: {sorted(kinds)} not allowed")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in SAFE_SYSCTLS:
            problems.append(f"sysctl {sysctl.get('name')} is not a safe one")
    if pod_sc.get("runAsUser") == 0:
        problems.append("securityContext.runAsUser is 0")
    pod_non_root = pod_sc.get("runAsNonRoot") is True
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_seccomp is not None and pod_seccomp not in SECCOMP_ALLOWED:
        problems.append(f"pod seccompProfile {pod_seccomp}")
    for where, c in containers(pod):
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            problems.append(f"{where}: privileged")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: allowPrivilegeEscalation is not false")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            problems.append(f"{where}: capabilities do not drop ALL")
        added = set(caps.get("add") or [])
        if not added <= {"NET_BIND_SERVICE"}:
            problems.append(f"{where}: adds capabilities {sorted(added)}")
        if not added <= BASELINE_CAPABILITIES:
            problems.append(f"{where}: adds capabilities beyond baseline")
        if sc.get("runAsNonRoot") is False or not (pod_non_root or sc.get("runAsNonRoot")):
            problems.append(f"{where}: runAsNonRoot is not true (pod or container)")
        if sc.get("runAsUser") == 0:
            problems.append(f"{where}: runAsUser is 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type")
        if seccomp is not None and seccomp not in SECCOMP_ALLOWED:
            problems.append(f"{where}: seccompProfile {seccomp}")
        if seccomp is None and pod_seccomp is None:
            problems.append(f"{where}: no seccompProfile (RuntimeDefault or Localhost)")
        if sc.get("procMount") not in (None, "Default"):
            problems.append(f"{where}: procMount {sc.get('procMount')}")
        for port in c.get("ports") or []:
            if port.get("hostPort"):
                problems.append(f"{where}: hostPort {port['hostPort']}")
        if (sc.get("seLinuxOptions") or {}).get("user") or (sc.get("seLinuxOptions") or {}).get(
            "role"
        ):
            problems.append(f"{where}: seLinuxOptions user/role set")
    return problems


def with_limit_range(pod: Mapping[str, Any], limit_range: Mapping[str, Any]) -> dict[str, Any]:
    """The pod as the LimitRanger admission leaves it: defaults filled in where a container has
    none; a container over the range's max is a problem of `over_limit_range`."""
    filled: dict[str, Any] = copy.deepcopy(dict(pod))
    for item in limit_range["limits"]:
        if item["type"] != "Container":
            continue
        for _, c in containers(filled):
            res = c.setdefault("resources", {})
            for key, default in (("requests", "defaultRequest"), ("limits", "default")):
                for name, value in (item.get(default) or {}).items():
                    res.setdefault(key, {}).setdefault(name, value)
    return filled


def over_limit_range(pod: Mapping[str, Any], limit_range: Mapping[str, Any]) -> list[str]:
    problems = []
    for item in limit_range["limits"]:
        if item["type"] != "Container":
            continue
        for where, c in containers(pod):
            for name, ceiling in (item.get("max") or {}).items():
                limit = (c.get("resources") or {}).get("limits", {}).get(name)
                if limit is None or parse_quantity(limit) > parse_quantity(ceiling):
                    problems.append(f"{where}: limits.{name} {limit} over max {ceiling}")
    return problems


def usage(docs: list[dict[str, Any]], pod: Mapping[str, Any], replicas: int) -> dict[str, Decimal]:
    """What the application counts against a ResourceQuota at `replicas` pods."""
    total: dict[str, Decimal] = {"pods": Decimal(replicas)}
    for _, c in containers(pod):
        res = c.get("resources") or {}
        for key in ("requests", "limits"):
            for name, value in (res.get(key) or {}).items():
                total[f"{key}.{name}"] = total.get(f"{key}.{name}", Decimal(0)) + replicas * (
                    parse_quantity(value)
                )
    claims = [d for d in docs if d["kind"] == "PersistentVolumeClaim"]
    total["persistentvolumeclaims"] = Decimal(len(claims))
    total["requests.storage"] = sum(
        (parse_quantity(d["spec"]["resources"]["requests"]["storage"]) for d in claims),
        Decimal(0),
    )
    total["services.loadbalancers"] = Decimal(
        sum(1 for d in docs if d["kind"] == "Service" and d["spec"].get("type") == "LoadBalancer")
    )
    total["count/ingresses.networking.k8s.io"] = Decimal(
        sum(1 for d in docs if d["kind"] == "Ingress")
    )
    return total


def environment_settings(export: StackExport) -> Iterator[tuple[str, dict, dict, dict]]:
    """(namespace, its labels, its quota's hard map, its LimitRange spec) per environment."""
    quotas = {q.inputs["metadata"]["namespace"]: q for q in export.of_type(QUOTA)}
    limits = {r.inputs["metadata"]["namespace"]: r for r in export.of_type(LIMITS)}
    for ns in export.of_type(NAMESPACE):
        labels = ns.inputs["metadata"].get("labels") or {}
        if "environment" not in labels:
            continue
        name = ns.inputs["metadata"]["name"]
        assert name in quotas and name in limits, f"{ns.urn}: no quota or limit range"
        yield name, labels, quotas[name].inputs["spec"]["hard"], limits[name].inputs["spec"]


@pytest.fixture(scope="module")
def docs() -> list[dict[str, Any]]:
    return documents()


def cluster_version(export: StackExport) -> str:
    (cluster,) = export.of_type("aws:eks/cluster:Cluster")
    return f"{cluster.inputs['version']}.0"


def test_each_object_matches_the_clusters_kubernetes_schema(docs, each_stack) -> None:
    version = cluster_version(each_stack)
    for doc in docs:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as err:
            pytest.fail(f"examples/app.yaml {doc['kind']}/{doc['metadata']['name']}: {err}")


def test_the_schema_check_catches_a_misspelt_field(docs, dev) -> None:
    broken = copy.deepcopy(one_of(docs, "Deployment"))
    broken["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, cluster_version(dev), strict=True)


def test_the_pod_passes_the_namespaces_pod_security_level(docs, each_stack) -> None:
    pod = one_of(docs, "Deployment")["spec"]["template"]["spec"]
    for name, labels, _, _ in environment_settings(each_stack):
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted", name
        assert pod_security_restricted(pod) == [], f"{name}: {pod_security_restricted(pod)}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda p: p["securityContext"].pop("runAsNonRoot"), "runAsNonRoot"),
        (lambda p: p["securityContext"].pop("seccompProfile"), "seccompProfile"),
        (lambda p: p["containers"][0]["securityContext"]["capabilities"].pop("drop"), "drop ALL"),
        (lambda p: p["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "hostPath"),
        (lambda p: p.update(hostNetwork=True), "hostNetwork"),
        (
            lambda p: p["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True),
            "allowPrivilegeEscalation",
        ),
    ],
)
def test_the_pod_security_check_refuses_what_restricted_refuses(docs, change, expected) -> None:
    pod = copy.deepcopy(one_of(docs, "Deployment")["spec"]["template"]["spec"])
    change(pod)
    assert any(expected in p for p in pod_security_restricted(pod)), pod_security_restricted(pod)


def test_the_app_fits_the_quota_at_its_largest_scale(docs, each_stack) -> None:
    hpa = one_of(docs, "HorizontalPodAutoscaler")
    pod = one_of(docs, "Deployment")["spec"]["template"]["spec"]
    for name, _, hard, limit_range in environment_settings(each_stack):
        admitted = with_limit_range(pod, limit_range)
        assert over_limit_range(admitted, limit_range) == [], name
        used = usage(docs, admitted, hpa["spec"]["maxReplicas"])
        for resource, cap in hard.items():
            if resource in ("requests.cpu", "requests.memory", "limits.memory"):
                # The quota refuses a pod that leaves out what it counts.
                for where, c in containers(admitted):
                    kind, _, res = resource.partition(".")
                    assert res in c["resources"].get(kind, {}), f"{name}: {where} no {resource}"
            assert used.get(resource, Decimal(0)) <= parse_quantity(cap), (
                f"{name}: the app needs {used.get(resource)} {resource}, the quota allows {cap}"
            )


def test_the_quota_check_refuses_an_app_too_big(docs, dev) -> None:
    pod = copy.deepcopy(one_of(docs, "Deployment")["spec"]["template"]["spec"])
    pod["containers"][0]["resources"]["requests"]["cpu"] = "64"
    name, _, hard, limit_range = next(environment_settings(dev))
    used = usage(docs, with_limit_range(pod, limit_range), 1)
    assert used["requests.cpu"] > parse_quantity(hard["requests.cpu"]), name


def test_the_objects_reach_what_they_name(docs, each_stack) -> None:
    deployment, service = one_of(docs, "Deployment"), one_of(docs, "Service")
    ingress, hpa = one_of(docs, "Ingress"), one_of(docs, "HorizontalPodAutoscaler")
    claim, policy = one_of(docs, "PersistentVolumeClaim"), one_of(docs, "NetworkPolicy")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    pod = deployment["spec"]["template"]["spec"]
    assert service["spec"]["selector"].items() <= labels.items()
    ports = {p["name"]: p["containerPort"] for p in pod["containers"][0]["ports"]}
    assert service["spec"]["ports"][0]["targetPort"] in ports
    assert ingress["spec"]["ingressClassName"] == "alb"
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    claims = {
        v["persistentVolumeClaim"]["claimName"]
        for v in pod["volumes"]
        if "persistentVolumeClaim" in v
    }
    assert claims == {claim["metadata"]["name"]}
    assert "storageClassName" not in claim["spec"], "the cluster's default class (gp3)"
    # The ALB reaches the pods' port from inside the VPC: the policy's CIDR holds the VPC's.
    (vpc,) = [v.inputs["cidrBlock"] for v in each_stack.of_type("aws:ec2/vpc:Vpc")]
    (rule,) = policy["spec"]["ingress"]
    (peer,) = rule["from"]
    assert ipaddress.IPv4Network(vpc).subnet_of(ipaddress.IPv4Network(peer["ipBlock"]["cidr"]))
    assert {p["port"] for p in rule["ports"]} == set(ports.values())
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= labels.items()

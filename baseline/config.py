"""Typed stack configuration, read once from the stack's config into a frozen `StackConfig`.

Every key is declared in `Pulumi.yaml` (type, description, default); this module reads those
declarations, so a default lives in one place. A key with no default is required. Values arrive as
the engine hands them to a program: strings, with arrays JSON-encoded. `parse` checks the declared
type and then what the key means (a CIDR, a Graviton type, a range); every error names the key.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from baseline import BaselineError
from toolchain.quantities import QuantityError, parse_quantity

PROJECT = "baseline"
PROJECT_FILE = Path(__file__).resolve().parent.parent / "Pulumi.yaml"

NAT_STRATEGIES = ("single", "per-az")
AUTOSCALERS = ("karpenter", "none")
CAPACITY_TYPES = ("spot", "on-demand")
TENANT_EGRESS = ("internet", "vpc")
CHAOS_EXPERIMENTS = ("spot-interruption", "az-network", "rds-failover")
# A SPOT pool is one instance type in one AZ; several families keep a shortage in one from
# stranding the workloads (the same count the managed SPOT group asks for).
SPOT_MIN_FAMILIES = 3
INTERFACE_ENDPOINT_SERVICES = ("ecr.api", "ecr.dkr", "sts", "logs")
# CloudWatch Logs accepts only these retention periods.
LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
# Graviton families: the instance family's name ends in "g" followed by optional feature letters
# (m7g, c7gn, r6gd, t4g, x2gd). Validated against the family, not a list, so new sizes just work.
_GRAVITON_TYPE = re.compile(r"^(?:db\.)?[a-z]+\d+g[a-z]*\.[a-z0-9]+$")
_REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
_K8S_VERSION = re.compile(r"^1\.(\d+)$")
_ENV_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?$")
_DNS_LABEL = re.compile(r"^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$")
_SLO = re.compile(r"^(agent-passes|eks-api|database):(\d{2}(?:\.\d{1,4})?)$")
_SLACK_ID = re.compile(r"^[A-Z0-9]{9,12}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_GRAVITON_FAMILY = re.compile(r"^[a-z]+\d+g[a-z]*$")
_INSTANCE_SIZE = re.compile(r"^(?:nano|micro|small|medium|large|\d*xlarge|metal)$")
_VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_DISRUPTION_BUDGET = re.compile(r"^(?:\d+|(?:100|[1-9]?\d)%)$")
_ADDON_VERSION = re.compile(r"^v\d+\.\d+\.\d+-eksbuild\.\d+$")
_AMI_ALIAS = re.compile(r"^al2023@(?:latest|v\d{8})$")
# An image repository as a registry host (optional port) and a lower-case path, no tag or digest.
_IMAGE_REPOSITORY = re.compile(
    r"^(?:[a-z0-9]+(?:[.-][a-z0-9]+)*(?::\d+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*"
    r"(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$"
)
# `namespace:level:reason`: an exception to Pod Security restricted, with its justification.
_POD_SECURITY_EXCEPTION = re.compile(
    r"^([a-z0-9](?:[-a-z0-9]{0,30}[a-z0-9])?):(baseline|privileged):\s*\S.*$"
)
# An IAM role of any path: not a user (long-lived keys), an account's root or a wildcard.
_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)$")
# The stack's deploy role: a role of the stack's own account (group 1), any path.
_DEPLOY_ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]+$")
_IMAGE_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_IMAGE_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class ConfigError(BaselineError):
    """A stack config value is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class StackConfig:
    """The stack's settings, after type and meaning checks. Field names are the config keys in
    snake_case (`natStrategy` is `nat_strategy`)."""

    stack: str
    region: str
    dr_region: str
    account_id: str
    deploy_role_arn: str
    preview_role_arn: str
    owner: str
    cost_center: str
    vpc_cidr: str
    az_count: int
    nat_strategy: str
    interface_endpoints: tuple[str, ...]
    flow_log_retention_days: int
    cluster_version: str
    cluster_public_access_cidrs: tuple[str, ...]
    cluster_log_retention_days: int
    system_node_instance_types: tuple[str, ...]
    system_nodes_min: int
    system_nodes_max: int
    workload_instance_types: tuple[str, ...]
    workload_on_demand_min: int
    workload_on_demand_max: int
    workload_spot_min: int
    workload_spot_max: int
    node_volume_gb: int
    autoscaler: str
    karpenter_version: str
    karpenter_replicas: int
    node_pool_instance_families: tuple[str, ...]
    node_pool_instance_sizes: tuple[str, ...]
    node_pool_capacity_types: tuple[str, ...]
    node_pool_cpu_limit: int
    node_pool_disruption_budget: str
    node_ami_alias: str
    container_log_retention_days: int
    collector_replicas: int
    enable_ebs_csi_driver: bool
    ebs_csi_driver_version: str
    enable_load_balancer_controller: bool
    load_balancer_controller_chart_version: str
    load_balancer_controller_replicas: int
    enable_metrics_server: bool
    metrics_server_chart_version: str
    metrics_server_replicas: int
    agent_image: str
    agent_image_tag: str
    agent_image_digest: str
    agent_interval_seconds: int
    agent_audit_log_retention_days: int
    enable_mcp_server: bool
    mcp_server_replicas: int
    mcp_server_client_namespaces: tuple[str, ...]
    db_instance_class: str
    db_engine_version: str
    db_allocated_storage_gb: int
    db_max_allocated_storage_gb: int
    db_backup_retention_days: int
    db_multi_az: bool
    db_deletion_protection: bool
    db_performance_insights_retention_days: int
    db_replicate_backups_to_dr: bool
    db_log_retention_days: int
    enable_cloud_trail: bool
    trail_log_retention_days: int
    alert_emails: tuple[str, ...]
    monthly_budget_usd: int
    budget_alert_thresholds: tuple[int, ...]
    cost_anomaly_threshold_usd: int
    slos: tuple[str, ...]
    slo_window_days: int
    pagerduty_integration_url: str
    slack_team_id: str
    slack_channel_id: str
    chaos_experiments: tuple[str, ...]
    environments: tuple[str, ...]
    tenant_requests_cpu: str
    tenant_requests_memory: str
    tenant_limits_memory: str
    tenant_pods: int
    tenant_storage: str
    tenant_persistent_volume_claims: int
    tenant_load_balancers: int
    tenant_default_cpu_request: str
    tenant_default_memory_request: str
    tenant_default_memory_limit: str
    tenant_max_container_memory: str
    tenant_egress: tuple[str, ...]
    tenant_pod_security_exceptions: tuple[str, ...]
    cluster_admin_role_arns: tuple[str, ...]
    cluster_editor_role_arns: tuple[str, ...]
    cluster_viewer_role_arns: tuple[str, ...]
    protected: bool

    @property
    def agent_image_reference(self) -> str:
        """The agents' image as the Deployments pull it: by digest when one is set (immutable),
        else by tag."""
        if self.agent_image_digest:
            return f"{self.agent_image}@{self.agent_image_digest}"
        return f"{self.agent_image}:{self.agent_image_tag}"

    @property
    def slo_targets(self) -> tuple[tuple[str, float], ...]:
        """(SLI, target as a fraction) per declared SLO: `agent-passes:99.9` is 0.999."""
        return tuple(
            (sli, round(float(pct) / 100, 6)) for sli, pct in (s.split(":") for s in self.slos)
        )

    @property
    def pod_security_levels(self) -> dict[str, str]:
        """Environment -> the Pod Security level it enforces instead of `restricted`, from the
        named, justified exceptions (`namespace:level:reason`)."""
        return {
            ns: level
            for ns, level, _ in (e.split(":", 2) for e in self.tenant_pod_security_exceptions)
        }

    @property
    def cost_tags(self) -> dict[str, str]:
        """The cost-allocation tags every taggable resource carries (the default tags)."""
        return {
            "project": PROJECT,
            "stack": self.stack,
            "owner": self.owner,
            "cost-center": self.cost_center,
        }


@dataclass(frozen=True)
class KeySpec:
    """One key's declaration in Pulumi.yaml."""

    name: str  # camelCase, without the project namespace
    type: str  # string | integer | boolean | array
    item_type: str | None
    description: str
    default: Any  # None when the key is required


def snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@cache
def declared_keys(project_file: Path = PROJECT_FILE) -> dict[str, KeySpec]:
    """The project's config keys as declared in Pulumi.yaml, by camelCase name."""
    try:
        doc = yaml.safe_load(project_file.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{project_file}: cannot read the project file ({exc})") from exc
    specs: dict[str, KeySpec] = {}
    for full, decl in (doc.get("config") or {}).items():
        namespace, _, name = full.partition(":")
        if namespace != PROJECT:
            continue
        items = decl.get("items") or {}
        specs[name] = KeySpec(
            name=name,
            type=decl["type"],
            item_type=items.get("type"),
            description=decl.get("description", ""),
            default=decl.get("default"),
        )
    return specs


def _typed(key: str, spec: KeySpec, raw: Any) -> Any:
    """Convert one raw value (an engine string, or a YAML value from a stack file) to its type."""
    where = f"config key '{PROJECT}:{key}'"
    if spec.type == "string":
        if spec.default == "" and isinstance(raw, str) and not raw.strip():
            return ""  # an optional string: declared with an empty default
        if not isinstance(raw, str) or not raw.strip():
            raise ConfigError(f"{where}: expected a non-empty string, got {raw!r}")
        return raw.strip()
    if spec.type == "integer":
        if isinstance(raw, bool):
            raise ConfigError(f"{where}: expected an integer, got {raw!r}")
        if isinstance(raw, int):
            return raw
        if isinstance(raw, str) and re.fullmatch(r"-?\d+", raw.strip()):
            return int(raw)
        raise ConfigError(f"{where}: expected an integer, got {raw!r}")
    if spec.type == "boolean":
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        raise ConfigError(f"{where}: expected true or false, got {raw!r}")
    if spec.type == "array":
        value = raw
        if isinstance(raw, str):
            try:
                value = json.loads(raw)
            except json.JSONDecodeError:
                raise ConfigError(f"{where}: expected a list, got {raw!r}") from None
        if not isinstance(value, list):
            raise ConfigError(f"{where}: expected a list, got {raw!r}")
        item_spec = KeySpec(key, spec.item_type or "string", None, "", None)
        return tuple(_typed(f"{key}[{i}]", item_spec, item) for i, item in enumerate(value))
    raise ConfigError(f"{where}: Pulumi.yaml declares unsupported type {spec.type!r}")


def _check(cond: bool, key: str, expected: str, value: Any) -> None:
    if not cond:
        raise ConfigError(f"config key '{PROJECT}:{key}': expected {expected}, got {value!r}")


def _validate(v: dict[str, Any]) -> None:
    """Checks of meaning, one key (or pair of keys) at a time, in declaration order."""
    for key in ("region", "drRegion"):
        _check(bool(_REGION.match(v[key])), key, "an AWS region such as us-east-1", v[key])
    _check(v["drRegion"] != v["region"], "drRegion", "a region other than region", v["drRegion"])
    _validate_account(v)
    try:
        net = ipaddress.ip_network(v["vpcCidr"])
    except ValueError:
        net = None
    _check(
        net is not None and net.version == 4 and 16 <= net.prefixlen <= 20,
        "vpcCidr",
        "an IPv4 network from /16 to /20 such as 10.0.0.0/16",
        v["vpcCidr"],
    )
    _check(2 <= v["azCount"] <= 6, "azCount", "an integer from 2 to 6", v["azCount"])
    _check(
        v["natStrategy"] in NAT_STRATEGIES,
        "natStrategy",
        " or ".join(NAT_STRATEGIES),
        v["natStrategy"],
    )
    for svc in v["interfaceEndpoints"]:
        _check(
            svc in INTERFACE_ENDPOINT_SERVICES,
            "interfaceEndpoints",
            "services among " + ", ".join(INTERFACE_ENDPOINT_SERVICES),
            svc,
        )
    for key in (
        "flowLogRetentionDays",
        "clusterLogRetentionDays",
        "trailLogRetentionDays",
        "dbLogRetentionDays",
        "containerLogRetentionDays",
        "agentAuditLogRetentionDays",
    ):
        _check(
            v[key] in LOG_RETENTION_DAYS,
            key,
            "a CloudWatch Logs retention (1, 3, 5, 7, 14, "
            "30, 60, 90, 120, 150, 180, 365, 400, 545, 731, ...)",
            v[key],
        )
    m = _K8S_VERSION.match(v["clusterVersion"])
    _check(
        m is not None and int(m.group(1)) >= 29,
        "clusterVersion",
        "a Kubernetes version 1.29 or later such as 1.33",
        v["clusterVersion"],
    )
    for cidr in v["clusterPublicAccessCidrs"]:
        try:
            pub = ipaddress.ip_network(cidr)
        except ValueError:
            pub = None
        _check(
            pub is not None and pub.prefixlen > 0,
            "clusterPublicAccessCidrs",
            "CIDRs narrower than the whole internet (no 0.0.0.0/0)",
            cidr,
        )
    for key in ("systemNodeInstanceTypes", "workloadInstanceTypes"):
        _check(len(v[key]) > 0, key, "at least one instance type", list(v[key]))
        for t in v[key]:
            _check(
                bool(_GRAVITON_TYPE.match(t)) and not t.startswith("db."),
                key,
                "Graviton (arm64) instance types such as m7g.large",
                t,
            )
    for group in ("systemNodes", "workloadOnDemand", "workloadSpot"):
        lo, hi = v[f"{group}Min"], v[f"{group}Max"]
        _check(lo >= 0, f"{group}Min", "an integer of 0 or more", lo)
        _check(hi >= lo, f"{group}Max", f"at least {group}Min ({lo})", hi)
    _check(v["systemNodesMax"] >= 1, "systemNodesMax", "1 or more", v["systemNodesMax"])
    _check(v["autoscaler"] in AUTOSCALERS, "autoscaler", " or ".join(AUTOSCALERS), v["autoscaler"])
    if v["autoscaler"] == "none":
        _check(
            v["workloadOnDemandMax"] + v["workloadSpotMax"] >= 1,
            "workloadSpotMax",
            "room for at least one workload node (workloadOnDemandMax + workloadSpotMax >= 1)",
            v["workloadSpotMax"],
        )
    else:
        # Karpenter does not scale managed node groups (and no cluster autoscaler runs), so a
        # managed workload group is a fixed floor: a max above its min would never be used.
        for group in ("workloadOnDemand", "workloadSpot"):
            _check(
                v[f"{group}Max"] == v[f"{group}Min"],
                f"{group}Max",
                f"{group}Min ({v[f'{group}Min']}): with autoscaler karpenter a managed workload "
                "group is a fixed floor, Karpenter adds the rest",
                v[f"{group}Max"],
            )
    # Judged with autoscaler none too: a bad value waiting in a stack file is found at once.
    _validate_karpenter(v)
    _validate_addons(v)
    _validate_mcp_server(v)
    if v["workloadSpotMax"] > 0:
        families = {t.split(".")[0] for t in v["workloadInstanceTypes"]}
        _check(
            len(families) >= 3,
            "workloadInstanceTypes",
            "at least three instance families for SPOT capacity fallback",
            list(v["workloadInstanceTypes"]),
        )
    _check(20 <= v["nodeVolumeGb"] <= 1000, "nodeVolumeGb", "20 to 1000 GiB", v["nodeVolumeGb"])
    _check(1 <= v["collectorReplicas"] <= 5, "collectorReplicas", "1 to 5", v["collectorReplicas"])
    _check(
        bool(_IMAGE_REPOSITORY.match(v["agentImage"])),
        "agentImage",
        "an image repository without tag or digest, such as ghcr.io/owner/baseline-agents",
        v["agentImage"],
    )
    _check(
        bool(_IMAGE_TAG.match(v["agentImageTag"])),
        "agentImageTag",
        "an image tag such as 0.1.0",
        v["agentImageTag"],
    )
    _check(
        v["agentImageDigest"] == "" or bool(_IMAGE_DIGEST.match(v["agentImageDigest"])),
        "agentImageDigest",
        "empty, or a digest sha256:<64 lower-case hex digits>",
        v["agentImageDigest"],
    )
    _check(
        1 <= v["agentIntervalSeconds"] <= 86400,
        "agentIntervalSeconds",
        "1 to 86400 seconds",
        v["agentIntervalSeconds"],
    )
    _check(
        bool(_GRAVITON_TYPE.match(v["dbInstanceClass"])) and v["dbInstanceClass"].startswith("db."),
        "dbInstanceClass",
        "a Graviton RDS class such as db.t4g.medium or db.r7g.large",
        v["dbInstanceClass"],
    )
    _check(
        bool(re.fullmatch(r"1[3-9](\.\d+)?", v["dbEngineVersion"])),
        "dbEngineVersion",
        "a PostgreSQL version 13 or later such as 17 or 16.4",
        v["dbEngineVersion"],
    )
    _check(
        20 <= v["dbAllocatedStorageGb"] <= 65536,
        "dbAllocatedStorageGb",
        "20 to 65536 GiB",
        v["dbAllocatedStorageGb"],
    )
    _check(
        v["dbMaxAllocatedStorageGb"] >= v["dbAllocatedStorageGb"],
        "dbMaxAllocatedStorageGb",
        f"at least dbAllocatedStorageGb ({v['dbAllocatedStorageGb']})",
        v["dbMaxAllocatedStorageGb"],
    )
    _check(
        1 <= v["dbBackupRetentionDays"] <= 35,
        "dbBackupRetentionDays",
        "1 to 35 days",
        v["dbBackupRetentionDays"],
    )
    pi = v["dbPerformanceInsightsRetentionDays"]
    _check(
        pi in (7, 731) or (pi % 31 == 0 and 31 <= pi <= 713),
        "dbPerformanceInsightsRetentionDays",
        "7, a multiple of 31 up to 713, or 731",
        pi,
    )
    for email in v["alertEmails"]:
        _check(bool(_EMAIL.match(email)), "alertEmails", "email addresses", email)
    _check(
        v["monthlyBudgetUsd"] > 0, "monthlyBudgetUsd", "a positive amount", v["monthlyBudgetUsd"]
    )
    _check(
        len(v["budgetAlertThresholds"]) > 0,
        "budgetAlertThresholds",
        "at least one percentage",
        list(v["budgetAlertThresholds"]),
    )
    for pct in v["budgetAlertThresholds"]:
        _check(1 <= pct <= 200, "budgetAlertThresholds", "percentages from 1 to 200", pct)
    _check(
        v["costAnomalyThresholdUsd"] > 0,
        "costAnomalyThresholdUsd",
        "a positive amount",
        v["costAnomalyThresholdUsd"],
    )
    _validate_slos(v)
    _check(len(v["environments"]) > 0, "environments", "at least one environment", [])
    for env in v["environments"]:
        _check(
            bool(_ENV_NAME.match(env)),
            "environments",
            "lower-case DNS labels such as dev or staging",
            env,
        )
    _check(
        len(set(v["environments"])) == len(v["environments"]),
        "environments",
        "names without repeats",
        list(v["environments"]),
    )
    _validate_tenants(v)


def _check_role_arn(v: dict[str, Any], key: str, example: str) -> None:
    """`v[key]` is empty or an IAM role ARN of the stack's own account."""
    arn = v[key]
    m = _DEPLOY_ROLE_ARN.match(arn)
    _check(
        not arn or m is not None,
        key,
        f"empty, or an IAM role ARN such as arn:aws:iam::111122223333:role/{example}",
        arn,
    )
    _check(
        m is None or m.group(1) == v["accountId"],
        key,
        f"a role of the stack's account accountId ({v['accountId']}), so that the providers land "
        "there",
        arn,
    )


def _validate_account(v: dict[str, Any]) -> None:
    """Where the stack lives and the role its providers assume there."""
    _check(
        bool(re.fullmatch(r"\d{12}", v["accountId"])),
        "accountId",
        'an AWS account id of 12 digits, quoted in the stack file (accountId: "111122223333")',
        v["accountId"],
    )
    role = v["deployRoleArn"]
    _check_role_arn(v, "deployRoleArn", "baseline-deployer-dev")
    # The read-only role the providers assume for a run that only reads (BASELINE_PROVIDER_ROLE=
    # preview): every persona may assume it, so it must not be the deploy role.
    preview = v["previewRoleArn"]
    _check_role_arn(v, "previewRoleArn", "baseline-previewer-dev")
    _check(
        not preview or preview != role,
        "previewRoleArn",
        "a read-only role other than deployRoleArn (every agent may assume it)",
        preview,
    )


def _check_entries(
    v: dict[str, Any],
    key: str,
    pattern: re.Pattern[str],
    valid: Callable[[re.Match[str]], bool],
    *,
    expected: str,
    one_per: str,
) -> None:
    """Each entry of the list `key` matches `pattern` and is `valid`, and no two share their
    first group (the namespace, the SLI)."""
    seen: set[str] = set()
    for entry in v[key]:
        m = pattern.match(entry)
        _check(m is not None and valid(m), key, expected, entry)
        assert m is not None
        _check(m.group(1) not in seen, key, one_per, entry)
        seen.add(m.group(1))


def _validate_tenants(v: dict[str, Any]) -> None:
    """The environment namespaces' guardrails and the people given access to them."""
    sizes: dict[str, Decimal] = {}
    for key in (
        "tenantRequestsCpu",
        "tenantRequestsMemory",
        "tenantLimitsMemory",
        "tenantStorage",
        "tenantDefaultCpuRequest",
        "tenantDefaultMemoryRequest",
        "tenantDefaultMemoryLimit",
        "tenantMaxContainerMemory",
    ):
        try:
            sizes[key] = parse_quantity(v[key], key)
        except QuantityError:
            sizes[key] = Decimal(0)
        _check(sizes[key] > 0, key, "a positive Kubernetes quantity such as 4, 500m or 8Gi", v[key])
    for key in ("tenantPods", "tenantPersistentVolumeClaims", "tenantLoadBalancers"):
        _check(v[key] >= 0, key, "zero or more", v[key])
    for low, high in (
        ("tenantRequestsMemory", "tenantLimitsMemory"),
        ("tenantDefaultMemoryRequest", "tenantDefaultMemoryLimit"),
        ("tenantDefaultMemoryLimit", "tenantMaxContainerMemory"),
        ("tenantDefaultCpuRequest", "tenantRequestsCpu"),
    ):
        _check(sizes[low] <= sizes[high], low, f"at most {high} ({v[high]})", v[low])
    egress = v["tenantEgress"]
    for dest in egress:
        _check(dest in TENANT_EGRESS, "tenantEgress", " and/or ".join(TENANT_EGRESS), dest)
    _check(len(set(egress)) == len(egress), "tenantEgress", "no repeats", list(egress))
    _check_entries(
        v,
        "tenantPodSecurityExceptions",
        _POD_SECURITY_EXCEPTION,
        lambda m: m.group(1) in v["environments"],
        expected="`namespace:level:reason` with an environment's namespace, level baseline "
        "or privileged and the reason, such as `qa:baseline:the load-test agent needs NET_RAW`",
        one_per="one per namespace",
    )
    owner: dict[str, str] = {}
    for key in ("clusterAdminRoleArns", "clusterEditorRoleArns", "clusterViewerRoleArns"):
        names: set[str] = set()
        for arn in v[key]:
            m = _ROLE_ARN.match(arn)
            _check(
                m is not None,
                key,
                "IAM role ARNs such as arn:aws:iam::123456789012:role/platform-admin (not a "
                "user, an account's root or a wildcard)",
                arn,
            )
            assert m is not None
            _check(arn not in owner, key, f"roles not also in {owner.get(arn)}", arn)
            _check(m.group(1).lower() not in names, key, "roles with different names", arn)
            owner[arn] = key
            names.add(m.group(1).lower())


def _validate_slos(v: dict[str, Any]) -> None:
    """The SLO and paging keys; empty routing values switch that route off."""
    _check_entries(
        v,
        "slos",
        _SLO,
        lambda m: 50 <= float(m.group(2)) < 100,
        expected="`sli:percent` with sli one of agent-passes, eks-api, database and a target "
        "from 50 to below 100, such as agent-passes:99.9",
        one_per="one SLO per SLI",
    )
    _check(1 <= v["sloWindowDays"] <= 90, "sloWindowDays", "1 to 90 days", v["sloWindowDays"])
    url = v["pagerdutyIntegrationUrl"]
    _check(
        not url or bool(re.match(r"^https://[^\s/]+\.[^\s/]+/\S*$", url)),
        "pagerdutyIntegrationUrl",
        "an https:// URL (PagerDuty's SNS integration URL), or empty",
        "<secret>" if url else url,
    )
    for key in ("slackTeamId", "slackChannelId"):
        _check(
            not v[key] or bool(_SLACK_ID.match(v[key])),
            key,
            "a Slack id (9 to 12 upper-case letters and digits), or empty",
            v[key],
        )
    _check(
        bool(v["slackTeamId"]) == bool(v["slackChannelId"]),
        "slackChannelId",
        "to be set together with slackTeamId (both or neither)",
        v["slackChannelId"],
    )
    chaos = v["chaosExperiments"]
    for exp in chaos:
        _check(exp in CHAOS_EXPERIMENTS, "chaosExperiments", f"any of {CHAOS_EXPERIMENTS}", exp)
    _check(len(set(chaos)) == len(chaos), "chaosExperiments", "no repeats", list(chaos))
    _check(
        not chaos or bool(v["slos"]),
        "chaosExperiments",
        "no experiments without slos (their page alarms are the stop conditions)",
        list(chaos),
    )
    _check(
        "rds-failover" not in chaos or v["dbMultiAz"],
        "chaosExperiments",
        "rds-failover only with dbMultiAz true (a single-AZ instance has no standby)",
        list(chaos),
    )
    _check(
        "spot-interruption" not in chaos or v["autoscaler"] == "karpenter",
        "chaosExperiments",
        "spot-interruption only with autoscaler karpenter (it targets Karpenter's nodes)",
        list(chaos),
    )


def _validate_addons(v: dict[str, Any]) -> None:
    """The add-on keys (judged when an add-on is off too)."""
    _check(
        v["ebsCsiDriverVersion"] == "" or bool(_ADDON_VERSION.match(v["ebsCsiDriverVersion"])),
        "ebsCsiDriverVersion",
        "empty, or an EKS add-on version such as v1.2.3-eksbuild.1",
        v["ebsCsiDriverVersion"],
    )
    for key in ("loadBalancerControllerChartVersion", "metricsServerChartVersion"):
        _check(bool(_VERSION.match(v[key])), key, "a chart version such as 1.2.3", v[key])
    for key in ("loadBalancerControllerReplicas", "metricsServerReplicas"):
        _check(
            1 <= v[key] <= max(v["systemNodesMin"], 1),
            key,
            f"1 to systemNodesMin ({v['systemNodesMin']}): the replicas run on the system nodes",
            v[key],
        )


def _validate_mcp_server(v: dict[str, Any]) -> None:
    """The in-cluster MCP server's keys (judged when it is off too)."""
    _check(1 <= v["mcpServerReplicas"] <= 5, "mcpServerReplicas", "1 to 5", v["mcpServerReplicas"])
    clients = v["mcpServerClientNamespaces"]
    for ns in clients:
        _check(
            bool(_DNS_LABEL.match(ns)),
            "mcpServerClientNamespaces",
            "namespace names (DNS labels such as ops-tools)",
            ns,
        )
    _check(
        len(set(clients)) == len(clients), "mcpServerClientNamespaces", "no repeats", list(clients)
    )


def _validate_karpenter(v: dict[str, Any]) -> None:
    """The Karpenter keys."""
    m = _VERSION.match(v["karpenterVersion"])
    _check(
        m is not None and int(m.group(1)) >= 1,
        "karpenterVersion",
        "a Karpenter release 1.0.0 or later (the v1 API) such as 1.9.0",
        v["karpenterVersion"],
    )
    _check(
        1 <= v["karpenterReplicas"] <= v["systemNodesMin"],
        "karpenterReplicas",
        f"1 to systemNodesMin ({v['systemNodesMin']}): one controller per system node",
        v["karpenterReplicas"],
    )
    families = v["nodePoolInstanceFamilies"]
    _check(len(families) > 0, "nodePoolInstanceFamilies", "at least one family", [])
    for family in families:
        _check(
            bool(_GRAVITON_FAMILY.match(family)),
            "nodePoolInstanceFamilies",
            "Graviton (arm64) instance families such as m7g or c7g",
            family,
        )
    sizes = v["nodePoolInstanceSizes"]
    _check(len(sizes) > 0, "nodePoolInstanceSizes", "at least one size", [])
    for size in sizes:
        _check(
            bool(_INSTANCE_SIZE.match(size)),
            "nodePoolInstanceSizes",
            "instance sizes such as large, xlarge or 2xlarge",
            size,
        )
    capacity = v["nodePoolCapacityTypes"]
    _check(
        len(capacity) > 0 and set(capacity) <= set(CAPACITY_TYPES),
        "nodePoolCapacityTypes",
        "one or both of spot, on-demand",
        list(capacity),
    )
    _check(
        len(set(capacity)) == len(capacity), "nodePoolCapacityTypes", "no repeats", list(capacity)
    )
    if "spot" in capacity:
        _check(
            len(set(families)) >= SPOT_MIN_FAMILIES,
            "nodePoolInstanceFamilies",
            f"at least {SPOT_MIN_FAMILIES} families for SPOT capacity fallback",
            list(families),
        )
    _check(
        1 <= v["nodePoolCpuLimit"] <= 10000,
        "nodePoolCpuLimit",
        "1 to 10000 vCPUs",
        v["nodePoolCpuLimit"],
    )
    _check(
        bool(_DISRUPTION_BUDGET.match(v["nodePoolDisruptionBudget"])),
        "nodePoolDisruptionBudget",
        "a node count such as 1 or a percentage such as 10%",
        v["nodePoolDisruptionBudget"],
    )
    _check(
        bool(_AMI_ALIAS.match(v["nodeAmiAlias"])),
        "nodeAmiAlias",
        "al2023@latest or al2023@vYYYYMMDD",
        v["nodeAmiAlias"],
    )


def parse(values: Mapping[str, Any], stack: str, project_file: Path = PROJECT_FILE) -> StackConfig:
    """Build a `StackConfig` from raw values keyed `baseline:<key>` or `<key>`; other namespaces
    (aws:, pulumi:) are ignored. Unknown project keys are refused, so a typo is not silently
    replaced by a default."""
    specs = declared_keys(project_file)
    raw: dict[str, Any] = {}
    for full, value in values.items():
        namespace, sep, name = full.partition(":")
        if not sep:
            namespace, name = PROJECT, full
        if namespace != PROJECT:
            continue
        if name not in specs:
            raise ConfigError(
                f"config key '{PROJECT}:{name}': not a key of this project "
                f"(see the config section of Pulumi.yaml)"
            )
        raw[name] = value
    typed: dict[str, Any] = {}
    for name, spec in specs.items():
        if name in raw and raw[name] is not None:
            typed[name] = _typed(name, spec, raw[name])
        elif spec.default is not None:
            typed[name] = _typed(name, spec, spec.default)
        else:
            raise ConfigError(
                f"config key '{PROJECT}:{name}': required but not set ({spec.description})"
            )
    _validate(typed)
    by_field = {snake(k): val for k, val in typed.items()}
    missing = {f.name for f in fields(StackConfig)} - set(by_field) - {"stack"}
    if missing:  # a StackConfig field with no declaration in Pulumi.yaml is a programming error
        raise ConfigError(f"Pulumi.yaml declares no key for {sorted(missing)}")
    return StackConfig(stack=stack, **by_field)


def from_pulumi() -> StackConfig:
    """Read the running stack's config (under `pulumi up`, or under the offline plan's mocks).

    All of the stack's keys are read, not only the declared ones, so that a misspelt key in a
    stack file stops the run instead of being ignored."""
    import pulumi  # noqa: PLC0415 - keep pure parsing importable without the SDK's start-up cost
    from pulumi.runtime import config as runtime_config  # noqa: PLC0415

    values: dict[str, Any] = dict(runtime_config.get_config_env())
    values.update(runtime_config.CONFIG.get())
    cfg = parse(values, pulumi.get_stack())
    secret = f"{PROJECT}:pagerdutyIntegrationUrl"
    if cfg.pagerduty_integration_url and not runtime_config.is_config_secret(secret):
        # The URL lets anyone page the on-call: never in clear in the stack file.
        raise ConfigError(
            f"config key '{secret}': must be a secret; set it with "
            f"`pulumi config set --secret pagerdutyIntegrationUrl <url>`"
        )
    return cfg

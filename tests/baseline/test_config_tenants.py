"""The tenant and access keys: defaults, the exceptions' format, quantities that must parse and
nest, and principals that must be named roles; every error names the key."""

from __future__ import annotations

import pytest

from baseline.config import ConfigError, parse
from tests.conftest import stack_values

ROLE = "arn:aws:iam::123456789012:role/platform/PlatformAdmin"


def parsed(**overrides):
    return parse(stack_values("dev", **overrides), "dev")


def test_defaults_give_every_namespace_a_quota_and_egress_and_nobody_access():
    values = {k: v for k, v in stack_values("dev").items() if "tenant" not in k and "Role" not in k}
    cfg = parse(values, "dev")
    assert cfg.tenant_requests_cpu == "4" and cfg.tenant_pods == 40
    assert cfg.tenant_egress == ("internet", "vpc")
    assert cfg.pod_security_levels == {}
    assert cfg.cluster_admin_role_arns == cfg.cluster_editor_role_arns == ()


def test_an_exception_is_named_leveled_and_justified():
    cfg = parsed(tenantPodSecurityExceptions=["qa:baseline:the load-test tool runs as root"])
    assert cfg.pod_security_levels == {"qa": "baseline"}


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("tenantPodSecurityExceptions", ["qa:baseline"]),  # no reason
        ("tenantPodSecurityExceptions", ["qa:lenient:because"]),
        ("tenantPodSecurityExceptions", ["prod:baseline:not an environment of dev"]),
        ("tenantPodSecurityExceptions", ["qa:baseline:one", "qa:privileged:two"]),
        ("tenantRequestsCpu", "lots"),
        ("tenantRequestsCpu", "0"),
        ("tenantDefaultMemoryLimit", "8Gi"),  # above tenantMaxContainerMemory
        ("tenantRequestsMemory", "32Gi"),  # above tenantLimitsMemory
        ("tenantPods", -1),
        ("tenantEgress", ["everywhere"]),
        ("tenantEgress", ["vpc", "vpc"]),
        ("clusterAdminRoleArns", ["arn:aws:iam::123456789012:root"]),
        ("clusterEditorRoleArns", ["*"]),
        ("clusterViewerRoleArns", ["arn:aws:iam::123456789012:user/alice"]),
    ],
)
def test_bad_values_fail_naming_the_key(key, value):
    with pytest.raises(ConfigError, match=f"'baseline:{key}'"):
        parsed(**{key: value})


def test_a_role_has_one_kind_of_access():
    with pytest.raises(ConfigError, match="'baseline:clusterEditorRoleArns'"):
        parsed(clusterAdminRoleArns=[ROLE], clusterEditorRoleArns=[ROLE])

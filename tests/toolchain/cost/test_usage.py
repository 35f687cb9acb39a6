"""The usage file: documented defaults, overrides by name, <type>::<name> and URN, and malformed
files refused with a line that names the file and the key."""

from __future__ import annotations

import pytest

from toolchain.cost import CostError, load_usage
from toolchain.cost.usage import DEFAULT_USAGE_FILE, SCHEMA, _read


def test_default_file_sets_every_usage_key_of_every_type():
    defaults = load_usage().defaults
    for type_token, keys in SCHEMA.items():
        assert set(defaults.get(type_token, {})) == set(keys), type_token


def test_default_file_is_loaded_alone_without_a_user_file():
    assert load_usage().sources == (str(DEFAULT_USAGE_FILE),)
    assert _read(DEFAULT_USAGE_FILE)["version"] == 1


def test_user_file_is_laid_over_the_defaults(usage_file):
    usage = usage_file("stack: {nat_egress_gb: 900}\n")
    assert usage.stack["nat_egress_gb"] == 900
    assert usage.account["free_dashboards"] == 3  # untouched default


def test_more_specific_override_wins(dev, usage_file):
    (group,) = [r for r in dev.of_type("aws:eks/nodeGroup:NodeGroup") if r.name.endswith("spot")]
    usage = usage_file(
        f"resources:\n  {group.name}: {{nodes: 2}}\n  {group.type}::{group.name}: {{nodes: 3}}\n"
    )
    assert usage.for_resource(group)["nodes"] == 3
    usage = usage_file(f"resources:\n  '{group.urn}': {{nodes: 4}}\n  {group.name}: {{nodes: 2}}\n")
    assert usage.for_resource(group)["nodes"] == 4


def test_override_keys_apply_only_to_types_that_read_them(prod, usage):
    # "audit-trail" names a bucket, a trail and a log group; standard_gb is only the bucket's
    log_group = next(
        r for r in prod.of_type("aws:cloudwatch/logGroup:LogGroup") if r.name == "audit-trail"
    )
    assert "standard_gb" not in usage.for_resource(log_group)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("defaults: [\n", "not valid YAML"),
        ("- a list\n", "expected a mapping"),
        ("nodes: 3\n", "unknown top-level key 'nodes'"),
        ("version: 2\n", "version: expected 1"),
        (
            "resources: {cluster-system: {nodez: 3}}\n",
            "resources.cluster-system.nodez: unknown usage key",
        ),
        ("resources: {cluster-system: {nodes: -1}}\n", "expected a whole number >= 0 or null"),
        ("resources: {network-nat-0: {gb_processed: lots}}\n", "got 'lots'"),
        ("defaults: {aws:ec2/vpc:Vpc: {gb: 1}}\n", "no usage keys for this type"),
        (
            "defaults: {aws:eks/nodeGroup:NodeGroup: {spot_discount: 1.5}}\n",
            "a fraction from 0 to 1",
        ),
        ("resources: {audit-trail: {additional_copy: 'yes'}}\n", "true or false"),
        ("spot_prices: {us-east-1: {m7g.large: free}}\n", "spot_prices.us-east-1.m7g.large"),
        ("account: {free_dashboards: 2.5}\n", "account.free_dashboards"),
        # NaN and infinity would price as $nan or $inf (and print `Infinity`, not JSON); an
        # integer too large for a float cannot be multiplied by a price at all.
        ("stack: {nat_egress_gb: .inf}\n", "stack.nat_egress_gb: expected a number >= 0, got inf"),
        ("stack: {nat_egress_gb: .nan}\n", "stack.nat_egress_gb"),
        ("spot_prices: {us-east-1: {m7g.large: .inf}}\n", "spot_prices.us-east-1.m7g.large"),
        (f"resources: {{cluster-system: {{nodes: 1{'0' * 400}}}}}\n", "cluster-system.nodes"),
    ],
)
def test_malformed_usage_file_is_refused(tmp_path, text, message):
    path = tmp_path / "usage.yaml"
    path.write_text(text)
    with pytest.raises(CostError, match=message.replace(".", r"\.").replace("[", r"\[")) as err:
        load_usage(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert "0" * 100 not in str(err.value)  # a value is shown cut short (400 digits), not whole


def test_missing_usage_file_is_refused(tmp_path):
    with pytest.raises(CostError, match="cannot read the usage file"):
        load_usage(tmp_path / "nope.yaml")

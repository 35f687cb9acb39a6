"""stack-monthly-budget: the stack's estimated monthly cost against the budget in policy config,
driven through AnalyzeStack over the real plans."""

from tests.policies.conftest import names
from toolchain.export import StackExport
from toolchain.gate import normalize_config


def run(cost, export: StackExport, config):
    cost.configure(normalize_config(config, cost.policies, "test config"))
    resources = [r for r in export.resources if r.type != "pulumi:pulumi:Stack"]
    providers = {r.urn: r for r in resources if r.type.startswith("pulumi:providers:")}
    return [
        v
        for v in cost.analyze_stack(resources, providers)
        if v.policyName == "stack-monthly-budget"
    ]


def test_a_stack_under_its_budget_passes(cost, dev):
    assert run(cost, dev, {"stack-monthly-budget": {"monthlyBudgetUsd": 600}}) == []


def test_a_stack_over_its_budget_fails_naming_the_costliest_resource(cost, prod):
    found = run(cost, prod, {"stack-monthly-budget": {"monthlyBudgetUsd": 100}})
    assert len(found) == 1, names(found)
    assert "exceeds the budget $100.00" in found[0].message
    assert found[0].urn.endswith("database-postgres"), found[0].urn


def test_without_a_configured_budget_the_default_of_1000_applies(cost, dev, prod):
    assert run(cost, dev, {}) == []  # dev costs about $240
    assert run(cost, prod, {}) != []  # prod costs about $1,100

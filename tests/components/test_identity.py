"""Identity: per persona an IRSA role pinned to its own service account, the persona's policy,
a namespace enforcing the restricted Pod Security Standard and an annotated service account."""

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pytest

from baseline.personas import load_personas
from components.identity import (
    Identity,
    IdentityArgs,
    IrsaIdentity,
    check_identities,
    irsa_trust_policy,
    pod_security_labels,
)
from tests.conftest import run_component
from toolchain.export import Resource, StackExport

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE_ACCOUNT = "kubernetes:core/v1:ServiceAccount"
ISSUER = "oidc.eks.us-east-1.amazonaws.com/id/0123456789ABCDEF0123456789ABCDEF"
PROVIDER_ARN = f"arn:aws:iam::123456789012:oidc-provider/{ISSUER}"
PSS_MODES = ("enforce", "audit", "warn")


def identities() -> list[IrsaIdentity]:
    """The shipped personas, mapped the way the program maps them."""
    return [
        IrsaIdentity(
            name=p.name,
            namespace=p.namespace,
            service_account=p.service_account,
            policy_statements=p.iam_statements(),
        )
        for p in load_personas()
    ]


@pytest.fixture(scope="module")
def export() -> StackExport:
    def program():
        aws_provider = aws.Provider("aws", region="us-east-1")
        k8s_provider = k8s.Provider("k8s", kubeconfig="{}")
        identity = Identity(
            "identity",
            IdentityArgs(
                oidc_provider_arn=PROVIDER_ARN,
                oidc_provider_url=ISSUER,
                personas=identities(),
            ),
            pulumi.ResourceOptions(providers=[aws_provider, k8s_provider]),
        )
        return {"roleArns": identity.role_arns, "namespaces": identity.namespaces}

    return run_component(program)


def of_persona(export: StackExport, type_token: str) -> dict[str, Resource]:
    """Resources of a type by persona (children are named `identity-<persona>`)."""
    return {r.name.removeprefix("identity-"): r for r in export.of_type(type_token)}


def trust_statement(role: Resource) -> dict:
    doc = json.loads(role.inputs["assumeRolePolicy"])
    assert len(doc["Statement"]) == 1, role.urn
    return doc["Statement"][0]


# -- pure functions -----------------------------------------------------------------------------


def test_trust_policy_pins_sub_and_aud():
    statement = json.loads(irsa_trust_policy(PROVIDER_ARN, ISSUER, "ns", "sa"))["Statement"][0]
    assert statement["Condition"] == {
        "StringEquals": {
            f"{ISSUER}:sub": "system:serviceaccount:ns:sa",
            f"{ISSUER}:aud": "sts.amazonaws.com",
        }
    }


def test_trust_policy_drops_the_scheme_of_an_issuer_url():
    with_scheme = irsa_trust_policy(PROVIDER_ARN, f"https://{ISSUER}", "ns", "sa")
    assert with_scheme == irsa_trust_policy(PROVIDER_ARN, ISSUER, "ns", "sa")


def test_two_identities_on_one_service_account_are_rejected():
    twins = [IrsaIdentity("a", "agents", "sa"), IrsaIdentity("b", "agents", "sa")]
    with pytest.raises(ValueError, match="already bound"):
        check_identities(twins)


def test_a_name_that_is_not_a_dns_label_is_rejected():
    with pytest.raises(ValueError, match="DNS label"):
        check_identities([IrsaIdentity("a", "Agents_A", "sa")])


# -- the component ------------------------------------------------------------------------------


def test_one_role_namespace_and_service_account_per_persona(export):
    names = {p.name for p in load_personas()}
    for type_token in (ROLE, ROLE_POLICY, NAMESPACE, SERVICE_ACCOUNT):
        assert set(of_persona(export, type_token)) == names, type_token


def test_each_trust_policy_pins_its_own_service_account_and_the_sts_audience(export):
    roles = of_persona(export, ROLE)
    for p in load_personas():
        role = roles[p.name]
        statement = trust_statement(role)
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity", role.urn
        assert statement["Principal"] == {"Federated": PROVIDER_ARN}, role.urn
        assert statement["Condition"] == {
            "StringEquals": {
                f"{ISSUER}:sub": f"system:serviceaccount:{p.namespace}:{p.service_account}",
                f"{ISSUER}:aud": "sts.amazonaws.com",
            }
        }, role.urn


def test_role_sessions_last_at_most_an_hour(export):
    for role in export.of_type(ROLE):
        assert role.inputs["maxSessionDuration"] == 3600, role.urn


def test_each_role_policy_holds_its_personas_statements(export):
    policies = of_persona(export, ROLE_POLICY)
    roles = of_persona(export, ROLE)
    for p in load_personas():
        policy = policies[p.name]
        assert json.loads(policy.inputs["policy"])["Statement"] == p.iam_statements(), policy.urn
        assert policy.inputs["role"] == roles[p.name].outputs["id"], policy.urn


def test_no_persona_policy_grants_a_wildcard_action(export):
    for policy in export.of_type(ROLE_POLICY):
        for statement in json.loads(policy.inputs["policy"])["Statement"]:
            actions = statement["Action"]
            for action in [actions] if isinstance(actions, str) else actions:
                assert action not in ("*", "*:*"), policy.urn
                assert not action.endswith(":*"), (policy.urn, action)


def test_each_namespace_enforces_audits_and_warns_restricted(export):
    namespaces = of_persona(export, NAMESPACE)
    for p in load_personas():
        ns = namespaces[p.name]
        labels = ns.inputs["metadata"]["labels"]
        assert ns.inputs["metadata"]["name"] == p.namespace, ns.urn
        for mode in PSS_MODES:
            assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted", (ns.urn, mode)
            assert labels[f"pod-security.kubernetes.io/{mode}-version"] == "latest", (ns.urn, mode)


def test_pod_security_labels_cover_the_three_modes():
    assert len(pod_security_labels()) == 6


def test_service_accounts_are_annotated_with_their_roles_arn(export):
    roles = of_persona(export, ROLE)
    accounts = of_persona(export, SERVICE_ACCOUNT)
    for p in load_personas():
        sa = accounts[p.name]
        metadata = sa.inputs["metadata"]
        assert (metadata["namespace"], metadata["name"]) == (p.namespace, p.service_account)
        annotation = metadata["annotations"]["eks.amazonaws.com/role-arn"]
        assert annotation == roles[p.name].outputs["arn"], sa.urn


def test_service_accounts_do_not_mount_an_api_token(export):
    for sa in export.of_type(SERVICE_ACCOUNT):
        assert sa.inputs["automountServiceAccountToken"] is False, sa.urn


def test_kubernetes_resources_use_the_kubernetes_provider(export):
    for type_token in (NAMESPACE, SERVICE_ACCOUNT):
        for r in export.of_type(type_token):
            assert r.provider_urn and r.provider_urn.endswith("pulumi:providers:kubernetes::k8s"), (
                r.urn
            )


def test_aws_resources_use_the_aws_provider(export):
    for type_token in (ROLE, ROLE_POLICY):
        for r in export.of_type(type_token):
            assert r.provider_urn and r.provider_urn.endswith("pulumi:providers:aws::aws"), r.urn


def test_the_role_arns_are_exported_by_persona(export):
    roles = of_persona(export, ROLE)
    assert export.stack_outputs["roleArns"] == {n: r.outputs["arn"] for n, r in roles.items()}


# -- per-stack roles: no role of one stack reaches the other --------------------------------------

STACKS = {
    "dev": ("111122223333", "oidc.eks.us-east-1.amazonaws.com/id/DEVDEVDEVDEVDEVDEVDEVDEVDEVDEV00"),
    "prod": (
        "444455556666",
        "oidc.eks.us-east-1.amazonaws.com/id/PRODPRODPRODPRODPRODPRODPROD0000",
    ),
}


def stack_export(stack: str) -> StackExport:
    from baseline.personas import stack_roles  # noqa: PLC0415

    account, issuer = STACKS[stack]
    provider_arn = f"arn:aws:iam::{account}:oidc-provider/{issuer}"
    roles = stack_roles(
        stack,
        account,
        f"arn:aws:iam::{account}:role/baseline-deployer-{stack}",
        f"arn:aws:iam::{account}:role/baseline-previewer-{stack}",
    )

    def program():
        aws_provider = aws.Provider("aws", region="us-east-1")
        k8s_provider = k8s.Provider("k8s", kubeconfig="{}")
        identity = Identity(
            "identity",
            IdentityArgs(
                oidc_provider_arn=provider_arn,
                oidc_provider_url=issuer,
                personas=[
                    IrsaIdentity(
                        name=r.persona.name,
                        namespace=r.persona.namespace,
                        service_account=r.persona.service_account,
                        policy_statements=r.statements,
                        role_name=r.name,
                    )
                    for r in roles
                ],
            ),
            pulumi.ResourceOptions(providers=[aws_provider, k8s_provider]),
        )
        return {"roleArns": identity.role_arns}

    return run_component(program, stack=stack)


@pytest.fixture(scope="module")
def per_stack() -> dict[str, StackExport]:
    return {stack: stack_export(stack) for stack in STACKS}


@pytest.mark.parametrize("stack", list(STACKS))
def test_role_names_carry_the_stack(per_stack, stack):
    for role in per_stack[stack].of_type(ROLE):
        persona = role.name.removeprefix("identity-")
        assert role.inputs["name"] == f"baseline-{stack}-{persona}", role.urn


@pytest.mark.parametrize(("stack", "other"), [("dev", "prod"), ("prod", "dev")])
def test_no_trust_policy_admits_the_other_stacks_cluster_or_account(per_stack, stack, other):
    other_account, other_issuer = STACKS[other]
    for role in per_stack[stack].of_type(ROLE):
        trust = role.inputs["assumeRolePolicy"]
        assert other_issuer not in trust and other_account not in trust, role.urn
        statement = trust_statement(role)
        assert statement["Principal"]["Federated"].startswith(
            f"arn:aws:iam::{STACKS[stack][0]}:oidc-provider/{STACKS[stack][1]}"
        ), role.urn


@pytest.mark.parametrize(("stack", "other"), [("dev", "prod"), ("prod", "dev")])
def test_no_role_policy_reaches_the_other_stacks_state_keys_or_secrets(per_stack, stack, other):
    """Judged by the security pack's own reading (effective grants after conditions), and by
    probes: the other stack's checkpoint, lock, approval key and deploy role are not matched."""
    from policies.iam_documents import parse_document, resource_matches  # noqa: PLC0415
    from policies.security.stacks import Scope, stack_reach  # noqa: PLC0415

    account, other_account = STACKS[stack][0], STACKS[other][0]
    scope = Scope(stack, "baseline", ("baseline-pulumi-state-*",), frozenset())
    probes = [
        (
            "s3:GetObject",
            f"arn:aws:s3:::baseline-pulumi-state-x/.pulumi/stacks/baseline/{other}.json",
        ),
        (
            "s3:DeleteObject",
            f"arn:aws:s3:::baseline-pulumi-state-x/.pulumi/locks/baseline/{other}/l",
        ),
        (
            "secretsmanager:GetSecretValue",
            f"arn:aws:secretsmanager:us-east-1:{account}:secret:baseline-agents/{other}/approval-key-x",
        ),
        ("sts:AssumeRole", f"arn:aws:iam::{other_account}:role/baseline-deployer-{other}"),
        ("kms:Decrypt", f"arn:aws:kms:us-east-1:{other_account}:key/k"),
    ]
    for policy in per_stack[stack].of_type(ROLE_POLICY):
        statements = parse_document(policy.inputs["policy"], policy.urn)
        assert stack_reach(statements, scope) == [], policy.urn
        for s in statements:
            for action, probe in probes:
                reached = s.covers_action(action) and any(
                    resource_matches(pattern, probe) for pattern in s.resources or ()
                )
                assert not reached, (policy.urn, s.sid, action, probe)
            for c in s.conditions:
                if c.key == "aws:resourcetag/stack":
                    assert c.values == (stack,), (policy.urn, s.sid)


def assumable(statements, arns):
    """The role ARNs among `arns` a policy lets its holder assume, judged on the effective
    grants: an Allow covering sts:AssumeRole whose Resource (or NotResource) admits the ARN, no
    Deny that does."""
    from policies.iam_documents import resource_matches  # noqa: PLC0415

    def reaches(s, arn):
        if not s.covers_action("sts:AssumeRole"):
            return False
        if s.resources is not None:
            return any(resource_matches(p, arn) for p in s.resources)
        return not any(resource_matches(p, arn) for p in s.not_resources or ())

    return {
        arn
        for arn in arns
        if any(s.allow and reaches(s, arn) for s in statements)
        and not any(not s.allow and reaches(s, arn) for s in statements)
    }


@pytest.mark.parametrize("stack", list(STACKS))
def test_only_the_release_engineers_role_may_assume_the_deploy_role(per_stack, stack):
    """Least privilege (issue 24): the deploy role's write rights are the release engineer's,
    who alone changes stacks; every other persona runs the program through the read-only preview
    role only. Judged on each role's effective policy, with probes for the stack's two roles, the
    other stack's and any other role of the account."""
    from policies.iam_documents import parse_document  # noqa: PLC0415

    account, other = STACKS[stack][0], STACKS["prod" if stack == "dev" else "dev"][0]
    deploy = f"arn:aws:iam::{account}:role/baseline-deployer-{stack}"
    preview = f"arn:aws:iam::{account}:role/baseline-previewer-{stack}"
    probes = [
        deploy,
        preview,
        f"arn:aws:iam::{account}:role/baseline-deployer-x",
        f"arn:aws:iam::{account}:role/admin",
        f"arn:aws:iam::{other}:role/baseline-deployer-{stack}",
    ]
    policies = per_stack[stack].of_type(ROLE_POLICY)
    assert len(policies) == 7
    for policy in policies:
        persona = policy.name.removeprefix("identity-")
        may = assumable(parse_document(policy.inputs["policy"], policy.urn), probes)
        assert may == ({deploy, preview} if persona == "release-engineer" else {preview}), (
            policy.urn
        )

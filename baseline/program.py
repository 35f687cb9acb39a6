"""The composition of the baseline: providers, then components built from their Args, in
dependency order. `build` returns the stack outputs; `__main__.py` exports them.

Kept free of config reading and of `pulumi.export`, so that the offline plan and the agents run
exactly this function under Pulumi's mock runtime.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from baseline.accounts import AccountError, ProviderRoleError, check_account, provider_role_arn
from baseline.config import StackConfig
from baseline.personas import stack_roles
from components.access import Access, AccessArgs
from components.addons import Addons, AddonsArgs
from components.audit import Audit, AuditArgs
from components.autoscaling import DISCOVERY_TAG, Autoscaling, AutoscalingArgs
from components.cluster import Cluster, ClusterArgs
from components.database import Database, DatabaseArgs
from components.fis import Fis, FisArgs
from components.identity import Identity, IdentityArgs, IrsaIdentity
from components.logging import Logging, LoggingArgs
from components.mcp import Mcp, McpArgs, McpRecords
from components.network import Network, NetworkArgs
from components.observability import Observability, ObservabilityArgs
from components.records import MCP_DB_USER, Records, RecordsArgs, RecordsWriter
from components.slo import Slo, SloArgs, SloSpec
from components.telemetry import Telemetry, TelemetryArgs
from components.tenants import TenantLimits, TenantQuota, Tenants, TenantsArgs
from components.workloads import (
    AgentNotify,
    AgentRecords,
    AgentWorkload,
    Workloads,
    WorkloadsArgs,
    approval_key_secret,
)


def aws_provider(name: str, cfg: StackConfig, region: str, role_arn: str) -> aws.Provider:
    """An AWS provider of the stack: it acts in the stack's account only (the engine refuses
    credentials of another one) and as `role_arn` (the run's role: `provider_role_arn`) when
    there is one."""
    assume = (
        [aws.ProviderAssumeRoleArgs(role_arn=role_arn, session_name=f"baseline-{cfg.stack}")]
        if role_arn
        else None
    )
    return aws.Provider(
        name,
        region=region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=cfg.cost_tags),
        allowed_account_ids=[cfg.account_id],
        assume_roles=assume,
    )


def helm_release_namespaces(cfg: StackConfig) -> tuple[str, ...]:
    """The namespaces the stack's Helm releases live in (each keeps its records there as
    Secrets): the add-ons' (load balancer controller, metrics-server), the telemetry's (Fluent
    Bit, the collector) and Karpenter's. tests/baseline/test_program.py checks the plan's
    releases against it."""
    spaces = {TelemetryArgs.logging_namespace, TelemetryArgs.tracing_namespace}
    if cfg.enable_load_balancer_controller or cfg.enable_metrics_server:
        spaces.add(AddonsArgs.namespace)
    if cfg.autoscaler == "karpenter":
        spaces.add(AutoscalingArgs.namespace)
    return tuple(sorted(spaces))


def build(cfg: StackConfig, provider_role: str = "deploy") -> dict[str, Any]:
    """The stack's resources and outputs. `provider_role` is what the run asked for
    (`BASELINE_PROVIDER_ROLE`, read by `__main__.py`): `preview` for a run that only reads, whose
    providers (AWS and Kubernetes) assume the stack's read-only `previewRoleArn`; `deploy` (or
    empty) for one that changes the stack, `deployRoleArn`. Another value stops the run."""
    try:
        role_arn = provider_role_arn(
            cfg.stack, provider_role, cfg.deploy_role_arn, cfg.preview_role_arn
        )
    except ProviderRoleError as exc:
        raise pulumi.RunError(str(exc)) from None  # one line, no traceback
    if provider_role.strip() == "preview" and role_arn and role_arn == cfg.deploy_role_arn:
        # Not silent: the run asked to only read, and gets the deploy role only if its caller
        # may assume it (IAM decides; only the release engineer's role may).
        pulumi.log.warn(
            f"stack '{cfg.stack}' has no previewRoleArn: this read-only run assumes the deploy "
            f"role {role_arn}"
        )
    primary = aws_provider("aws", cfg, cfg.region, role_arn)
    on_primary = pulumi.ResourceOptions(providers=[primary])
    # Stateful components (the database, the trail's bucket and keys) are protected on a
    # protected stack: `pulumi destroy` and replacements stop at them.
    stateful = pulumi.ResourceOptions(providers=[primary], protect=cfg.protected)
    invoke = pulumi.InvokeOptions(provider=primary)
    # The identity the provider acts as (the run's role's session, or the deployer's own), checked
    # before the first resource: a run in another account stops here, creating nothing.
    account_id = aws.get_caller_identity(opts=invoke).account_id
    try:
        check_account(cfg.stack, cfg.account_id, account_id, role_arn)
    except AccountError as exc:
        raise pulumi.RunError(str(exc)) from None  # one line, no traceback
    zones = aws.get_availability_zones(state="available", opts=invoke)
    cluster_name = f"baseline-{cfg.stack}"
    karpenter = cfg.autoscaler == "karpenter"
    # Karpenter finds the subnets and the nodes' security group to launch into by this tag.
    discovery = {DISCOVERY_TAG: cluster_name} if karpenter else {}

    logging = Logging("logging", LoggingArgs(account_id=account_id, region=cfg.region), on_primary)

    network = Network(
        "network",
        NetworkArgs(
            region=cfg.region,
            availability_zones=list(zones.names)[: cfg.az_count],
            vpc_cidr=cfg.vpc_cidr,
            nat_strategy=cfg.nat_strategy,
            interface_endpoints=cfg.interface_endpoints,
            flow_log_retention_days=cfg.flow_log_retention_days,
            log_kms_key_arn=logging.key_arn,
            private_subnet_tags=discovery,
        ),
        on_primary,
    )

    cluster = Cluster(
        "cluster",
        ClusterArgs(
            region=cfg.region,
            vpc_id=network.vpc_id,
            private_subnet_ids=network.private_subnet_ids,
            cluster_name=cluster_name,
            cluster_version=cfg.cluster_version,
            public_access_cidrs=cfg.cluster_public_access_cidrs,
            # Deployers and agents inside the VPC reach the private endpoint.
            private_access_cidrs=(cfg.vpc_cidr,),
            log_retention_days=cfg.cluster_log_retention_days,
            log_kms_key_arn=logging.key_arn,
            system_instance_types=cfg.system_node_instance_types,
            system_min=cfg.system_nodes_min,
            system_max=cfg.system_nodes_max,
            workload_instance_types=cfg.workload_instance_types,
            on_demand_min=cfg.workload_on_demand_min,
            on_demand_max=cfg.workload_on_demand_max,
            spot_min=cfg.workload_spot_min,
            spot_max=cfg.workload_spot_max,
            node_volume_gb=cfg.node_volume_gb,
            environments=cfg.environments,
            pod_security_exceptions=cfg.pod_security_levels,
            # People who administer the cluster (operators, break-glass), beside the deployer.
            admin_role_arns=cfg.cluster_admin_role_arns,
            # EC2 instances launched by EKS do not get the provider's default tags.
            node_tags=cfg.cost_tags,
            deletion_protection=cfg.protected,
            external_workload_capacity=karpenter,
            node_security_group_tags=discovery,
            # The Kubernetes provider's token is the same role's as the AWS providers' (the
            # cluster's creator is the deploy role).
            provider_role_arn=role_arn,
            # The preview role reads the cluster for a read-only run: every object, and Secrets
            # only where the Helm releases keep their records (a refresh of a release reads them).
            reader_role_arns=(cfg.preview_role_arn,) if cfg.preview_role_arn else (),
            reader_secret_namespaces=helm_release_namespaces(cfg),
        ),
        on_primary,
    )
    in_cluster = pulumi.ResourceOptions(providers=[primary, cluster.kubernetes_provider])

    # Each environment namespace's guardrails (quota, limits, default-deny network policies), and
    # the people who edit or read what runs there.
    Tenants(
        "tenants",
        TenantsArgs(
            namespaces={
                env: ns.metadata.apply(lambda m: str(m.name))
                for env, ns in cluster.namespaces.items()
            },
            vpc_cidr=cfg.vpc_cidr,
            quota=TenantQuota(
                requests_cpu=cfg.tenant_requests_cpu,
                requests_memory=cfg.tenant_requests_memory,
                limits_memory=cfg.tenant_limits_memory,
                pods=cfg.tenant_pods,
                storage=cfg.tenant_storage,
                persistent_volume_claims=cfg.tenant_persistent_volume_claims,
                load_balancers=cfg.tenant_load_balancers,
            ),
            limits=TenantLimits(
                default_cpu_request=cfg.tenant_default_cpu_request,
                default_memory_request=cfg.tenant_default_memory_request,
                default_memory_limit=cfg.tenant_default_memory_limit,
                max_container_memory=cfg.tenant_max_container_memory,
            ),
            egress=cfg.tenant_egress,
        ),
        in_cluster,
    )
    Access(
        "access",
        AccessArgs(
            cluster_name=cluster.cluster_name,
            namespaces=cfg.environments,
            editor_role_arns=cfg.cluster_editor_role_arns,
            viewer_role_arns=cfg.cluster_viewer_role_arns,
        ),
        on_primary,
    )

    if karpenter:
        Autoscaling(
            "autoscaling",
            AutoscalingArgs(
                cluster_name=cluster.cluster_name,
                region=cfg.region,
                account_id=account_id,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_provider_url=cluster.oidc_provider_url,
                cluster_security_group_id=cluster.cluster_security_group_id,
                karpenter_version=cfg.karpenter_version,
                controller_replicas=cfg.karpenter_replicas,
                instance_families=cfg.node_pool_instance_families,
                instance_sizes=cfg.node_pool_instance_sizes,
                capacity_types=cfg.node_pool_capacity_types,
                cpu_limit=cfg.node_pool_cpu_limit,
                disruption_budget=cfg.node_pool_disruption_budget,
                ami_alias=cfg.node_ami_alias,
                node_volume_gb=cfg.node_volume_gb,
                node_tags=cfg.cost_tags,
            ),
            in_cluster,
        )

    # What application teams ship on: volumes (EBS CSI and the default gp3 class), load
    # balancers for Ingresses and Services (AWS Load Balancer Controller), HPA metrics.
    addons = Addons(
        "addons",
        AddonsArgs(
            cluster_name=cluster.cluster_name,
            region=cfg.region,
            vpc_id=network.vpc_id,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
            enable_ebs_csi_driver=cfg.enable_ebs_csi_driver,
            ebs_csi_driver_version=cfg.ebs_csi_driver_version,
            enable_load_balancer_controller=cfg.enable_load_balancer_controller,
            load_balancer_controller_chart_version=cfg.load_balancer_controller_chart_version,
            load_balancer_controller_replicas=cfg.load_balancer_controller_replicas,
            enable_metrics_server=cfg.enable_metrics_server,
            metrics_server_chart_version=cfg.metrics_server_chart_version,
            metrics_server_replicas=cfg.metrics_server_replicas,
        ),
        in_cluster,
    )

    telemetry = Telemetry(
        "telemetry",
        TelemetryArgs(
            cluster_name=cluster_name,
            region=cfg.region,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
            log_retention_days=cfg.container_log_retention_days,
            log_kms_key_arn=logging.key_arn,
            collector_replicas=cfg.collector_replicas,
        ),
        in_cluster,
    )

    dr = None
    if cfg.db_replicate_backups_to_dr:
        dr = aws_provider("aws-dr", cfg, cfg.dr_region, role_arn)
    database = Database(
        "database",
        DatabaseArgs(
            vpc_id=network.vpc_id,
            subnet_ids=network.database_subnet_ids,
            client_security_group_ids=[cluster.node_security_group_id],
            instance_class=cfg.db_instance_class,
            engine_version=cfg.db_engine_version,
            allocated_storage_gb=cfg.db_allocated_storage_gb,
            max_allocated_storage_gb=cfg.db_max_allocated_storage_gb,
            backup_retention_days=cfg.db_backup_retention_days,
            multi_az=cfg.db_multi_az,
            deletion_protection=cfg.db_deletion_protection,
            performance_insights_retention_days=cfg.db_performance_insights_retention_days,
            replicate_backups_to_dr=cfg.db_replicate_backups_to_dr,
            dr_provider=dr,
            identifier=f"baseline-{cfg.stack}",
            log_retention_days=cfg.db_log_retention_days,
            log_kms_key_arn=logging.key_arn,
        ),
        stateful,
    )

    # One IRSA role, namespace and service account per agent persona that serves the stack; the
    # personas file is the one source of truth the agents read too. The roles are the stack's
    # (`baseline-<stack>-<persona>`, trusted by this cluster only) and reach this stack's state,
    # keys and secrets only.
    roles = stack_roles(cfg.stack, cfg.account_id, cfg.deploy_role_arn, cfg.preview_role_arn)
    approval_key = approval_key_secret(cfg.stack)
    identity = Identity(
        "identity",
        IdentityArgs(
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
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
        in_cluster,
    )
    # The personas that act on this stack: each keeps its records on the stack's database (as
    # its own user) and audit log group, prepared by a one-shot migration.
    serving = [r.persona for r in roles]
    # RDS makes the secret with the instance; an ARN, never the credential, goes further.
    master_secret_arn = database.master_user_secret_arn.apply(lambda arn: arn or "")
    records = Records(
        "records",
        RecordsArgs(
            stack=cfg.stack,
            region=cfg.region,
            account_id=account_id,
            oidc_provider_arn=cluster.oidc_provider_arn,
            oidc_provider_url=cluster.oidc_provider_url,
            db_resource_id=database.resource_id,
            master_secret_arn=master_secret_arn,
            master_secret_kms_key_arn=database.kms_key_arn,
            writers=[RecordsWriter(p.name, identity.role_names[p.name]) for p in serving],
            log_retention_days=cfg.agent_audit_log_retention_days,
            log_kms_key_arn=logging.key_arn,
        ),
        in_cluster,
    )
    observability = Observability(
        "observability",
        ObservabilityArgs(
            stack=cfg.stack,
            region=cfg.region,
            account_id=account_id,
            alert_emails=cfg.alert_emails,
            monthly_budget_usd=cfg.monthly_budget_usd,
            budget_alert_thresholds=cfg.budget_alert_thresholds,
            cost_anomaly_threshold_usd=cfg.cost_anomaly_threshold_usd,
            db_instance_identifier=database.instance_identifier,
            db_allocated_storage_gb=cfg.db_allocated_storage_gb,
            cluster_name=cluster.cluster_name,
            nat_gateway_ids=network.nat_gateway_ids,
        ),
        on_primary,
    )

    slo = None
    if cfg.slos:
        slo = Slo(
            "slo",
            SloArgs(
                stack=cfg.stack,
                region=cfg.region,
                account_id=account_id,
                slos=[SloSpec(sli, target, cfg.slo_window_days) for sli, target in cfg.slo_targets],
                ticket_topic_arn=observability.alert_topic_arn,
                topic_kms_key_arn=observability.alert_key_arn,
                cluster_name=cluster_name,
                db_instance_identifier=database.instance_identifier,
                # Kept secret in the state and the plan: the URL lets anyone page the on-call.
                pagerduty_integration_url=(
                    pulumi.Output.secret(cfg.pagerduty_integration_url)
                    if cfg.pagerduty_integration_url
                    else None
                ),
                slack_team_id=cfg.slack_team_id or None,
                slack_channel_id=cfg.slack_channel_id or None,
            ),
            on_primary,
        )

    # The agent of each persona that acts on this stack, as a Deployment in the persona's
    # namespace under its service account.
    workloads = Workloads(
        "workloads",
        WorkloadsArgs(
            stack=cfg.stack,
            region=cfg.region,
            image=cfg.agent_image_reference,
            approval_key_secret=approval_key,
            agents=[
                AgentWorkload(
                    persona=p.name,
                    namespace=identity.namespaces[p.name],
                    service_account=identity.service_accounts[p.name],
                    role_name=identity.role_names[p.name],
                )
                for p in serving
            ],
            interval_seconds=cfg.agent_interval_seconds,
            otlp_endpoint=telemetry.collector_endpoint,
            records=AgentRecords(
                pg_host=database.address,
                pg_port=database.port,
                audit_log_group=records.audit_log_group_name,
                master_secret_arn=master_secret_arn,
                migration_namespace=records.migration_namespace,
                migration_service_account=records.migration_service_account,
                # The in-cluster MCP server reads the records as its own read-only user.
                readers=[MCP_DB_USER] if cfg.enable_mcp_server else [],
            ),
            # New, escalating and resolved findings of high severity and above, as Chatbot cards
            # on the stack's alert topic (critical ones on the paging topic when there is one).
            notify=AgentNotify(
                alert_topic_arn=observability.alert_topic_arn,
                key_arn=observability.alert_key_arn,
                page_topic_arn=slo.page_topic_arn if slo is not None else None,
            ),
        ),
        in_cluster,
    )

    if slo is not None and cfg.chaos_experiments:
        Fis(
            "fis",
            FisArgs(
                stack=cfg.stack,
                region=cfg.region,
                account_id=account_id,
                stop_alarm_arns=slo.page_alarm_arns,
                experiments=cfg.chaos_experiments,
                cluster_name=cluster_name,
                vpc_id=network.vpc_id,
                # The first AZ's private (nodes) and database subnets.
                az_subnet_ids=[network.private_subnet_ids[0], network.database_subnet_ids[0]],
                db_instance_arn=database.instance_arn,
            ),
            on_primary,
        )

    outputs: dict[str, Any] = {
        "stack": cfg.stack,
        "region": cfg.region,
        "vpcId": network.vpc_id,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
        "databaseSubnetIds": network.database_subnet_ids,
        "clusterName": cluster.cluster_name,
        "clusterEndpoint": cluster.cluster_endpoint,
        "kubeconfig": cluster.kubeconfig,
        "oidcProviderArn": cluster.oidc_provider_arn,
        "nodeSecurityGroupId": cluster.node_security_group_id,
        "namespaces": list(cluster.namespaces),
        "databaseEndpoint": database.endpoint,
        "databaseSecretArn": database.master_user_secret_arn,
        "agentRoleArns": identity.role_arns,
        "agentAuditLogGroup": records.audit_log_group_name,
        "containerLogGroups": telemetry.log_group_names,
        "otlpEndpoint": telemetry.collector_endpoint,
        "defaultStorageClass": addons.storage_class_name,
        "alertTopicArn": observability.alert_topic_arn,
        "dashboardName": observability.dashboard_name,
        "budgetName": observability.budget_name,
        "sloDashboardName": slo.dashboard_name if slo else None,
        "sloPageAlarmNames": slo.page_alarm_names if slo else [],
        "trailArn": None,
    }

    if cfg.enable_cloud_trail:
        audit = Audit(
            "audit",
            AuditArgs(
                account_id=account_id,
                region=cfg.region,
                trail_name=f"baseline-{cfg.stack}",
                log_retention_days=cfg.trail_log_retention_days,
            ),
            stateful,
        )
        outputs["trailArn"] = audit.trail_arn

    if cfg.enable_mcp_server:
        # The agents' read-only tools for people's MCP clients, inside the cluster: tokens from
        # the lock table, status from the shared state, the stack's logs and alarms.
        mcp = Mcp(
            "mcp",
            McpArgs(
                stack=cfg.stack,
                region=cfg.region,
                account_id=account_id,
                image=cfg.agent_image_reference,
                approval_key_secret=approval_key,
                oidc_provider_arn=cluster.oidc_provider_arn,
                oidc_provider_url=cluster.oidc_provider_url,
                log_group_names=[
                    records.audit_log_group_name,
                    *telemetry.log_group_names.values(),
                    network.flow_log_group_name,
                    # Named by EKS and RDS for the cluster's and the instance's log exports.
                    f"/aws/eks/{cluster_name}/cluster",
                    f"/aws/rds/instance/baseline-{cfg.stack}/postgresql",
                    f"/aws/rds/instance/baseline-{cfg.stack}/upgrade",
                ],
                client_namespaces=cfg.mcp_server_client_namespaces,
                replicas=cfg.mcp_server_replicas,
                # `findings` and `search-memory` from the stack's database, read-only.
                records=McpRecords(
                    pg_host=database.address,
                    pg_port=database.port,
                    db_resource_id=database.resource_id,
                    migration_job_name=workloads.migration_job_name,
                ),
            ),
            in_cluster,
        )
        outputs["mcpEndpoint"] = mcp.endpoint
    return outputs

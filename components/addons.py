"""Add-ons: what an application team needs from the cluster to ship on it, after terraform-aws-eks
and EKS Blueprints' defaults. Each part is switched by a flag in the Args.

- Storage. The `aws-ebs-csi-driver` EKS add-on (its controller on the tainted system nodes) with an
  IRSA role holding the AWS managed `AmazonEBSCSIDriverPolicy` and, for the volumes' key, the
  grants the EKS user guide lists for a customer-managed key (grants only for AWS resources, so
  EC2 can attach the volume). A default StorageClass `gp3`: encrypted with a customer-managed,
  rotating KMS key of its own, `WaitForFirstConsumer` (the volume is made in the AZ of the node
  its pod is scheduled to, not in a random one the pod then cannot reach), expansion allowed,
  volumes deleted with their claim.
- Ingress. The AWS Load Balancer Controller (the `aws-load-balancer-controller` chart, pinned) on
  the system nodes, with an IRSA role holding the upstream policy verbatim
  (`toolchain.upstream`): it creates load balancers, target groups and security groups only with
  its tag `elbv2.k8s.aws/cluster` and changes or deletes only those carrying it. The nodes'
  metadata hop limit is 1, so the controller is given its region and VPC instead of reading
  them from IMDS.
- Autoscaling inputs. metrics-server (the upstream chart, pinned) on the system nodes, so that
  HorizontalPodAutoscalers and `kubectl top` work.

The load balancers the controller creates at run time (one per Ingress group or Service of type
LoadBalancer) are not in the plan: the cost estimate lists the controller as not priced, and why.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components import PACKAGE, child, policy_json
from components.identity import ROLE_ARN_ANNOTATION, irsa_trust_policy
from toolchain.upstream import load_balancer_controller_policy

EBS_CSI_POLICY_ARN = "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
EBS_CSI_PROVISIONER = "ebs.csi.aws.com"
EBS_CSI_SERVICE_ACCOUNT = "ebs-csi-controller-sa"
LOAD_BALANCER_CONTROLLER_REPOSITORY = "https://aws.github.io/eks-charts"
LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT = "aws-load-balancer-controller"
METRICS_SERVER_REPOSITORY = "https://kubernetes-sigs.github.io/metrics-server/"
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
SYSTEM_TOLERATIONS = ({"key": "CriticalAddonsOnly", "operator": "Exists"},)
# The key actions the EKS user guide ("Create an Amazon EBS CSI driver IAM role") adds to the
# driver's role for volumes encrypted with a customer-managed key.
EBS_KEY_GRANT_ACTIONS = ("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
EBS_KEY_USE_ACTIONS = (
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:DescribeKey",
)


@dataclass(frozen=True)
class AddonsArgs:
    # The EKS cluster's name (an output of the cluster: what needs the cluster waits for it).
    cluster_name: pulumi.Input[str]
    region: str
    vpc_id: pulumi.Input[str]
    oidc_provider_arn: pulumi.Input[str]
    # The issuer without the scheme, as IAM condition keys spell it.
    oidc_provider_url: pulumi.Input[str]
    enable_ebs_csi_driver: bool = True
    # Empty: the add-on version EKS makes default for the cluster's Kubernetes version, fixed at
    # creation (an EKS add-on is only upgraded when its version changes here).
    ebs_csi_driver_version: str = ""
    storage_class_name: str = "gp3"
    enable_load_balancer_controller: bool = True
    load_balancer_controller_chart_version: str = "1.4.1"
    load_balancer_controller_replicas: int = 2
    enable_metrics_server: bool = True
    metrics_server_chart_version: str = "3.13.0"
    metrics_server_replicas: int = 1
    # Where the controllers run: the managed system nodes (tainted CriticalAddonsOnly).
    system_node_selector: Mapping[str, str] = field(default_factory=lambda: {"role": "system"})
    namespace: str = "kube-system"


def check_addons(args: AddonsArgs) -> None:
    for what, count in (
        ("load_balancer_controller_replicas", args.load_balancer_controller_replicas),
        ("metrics_server_replicas", args.metrics_server_replicas),
    ):
        if count < 1:
            raise ValueError(f"{what}: at least one replica is needed, got {count}")


def ebs_csi_configuration(node_selector: Mapping[str, str]) -> str:
    """The add-on's controller (the part that calls EC2) on the system nodes; its node DaemonSet
    tolerates every taint by default and runs everywhere. The add-on's own default StorageClass
    stays off: `storage_class_spec` is the default."""
    return json.dumps(
        {
            "controller": {
                "nodeSelector": dict(node_selector),
                "tolerations": [dict(t) for t in SYSTEM_TOLERATIONS],
            },
            "defaultStorageClass": {"enabled": False},
        },
        separators=(",", ":"),
    )


def ebs_key_policy(key_arn: str) -> str:
    """What the driver needs of the volumes' key: grants for AWS resources only (EC2 decrypts the
    volume for the instance through them), and the key's data operations; on this key only."""
    return policy_json(
        [
            {
                "Sid": "GrantsForAttachedVolumes",
                "Effect": "Allow",
                "Action": list(EBS_KEY_GRANT_ACTIONS),
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
            {
                "Sid": "UseTheVolumeKey",
                "Effect": "Allow",
                "Action": list(EBS_KEY_USE_ACTIONS),
                "Resource": key_arn,
            },
        ]
    )


def storage_class_parameters(key_arn: str) -> dict[str, str]:
    """EBS CSI parameters (strings, as Kubernetes stores them): gp3, encrypted with the key."""
    return {
        "type": "gp3",
        "encrypted": "true",
        "kmsKeyId": key_arn,
        "csi.storage.k8s.io/fstype": "ext4",
    }


def load_balancer_controller_policy_document() -> str:
    """The controller's policy: the upstream document, unchanged."""
    return json.dumps(load_balancer_controller_policy(), separators=(",", ":"))


def load_balancer_controller_values(
    args: AddonsArgs, cluster_name: str, vpc_id: str, role_arn: str
) -> dict[str, Any]:
    return {
        "clusterName": cluster_name,
        # IMDSv2 with hop limit 1 keeps pods off the node's metadata: say where instead.
        "region": args.region,
        "vpcId": vpc_id,
        "replicaCount": args.load_balancer_controller_replicas,
        "serviceAccount": {
            "create": True,
            "name": LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT,
            "annotations": {ROLE_ARN_ANNOTATION: role_arn},
        },
        "nodeSelector": dict(args.system_node_selector),
        "tolerations": [dict(t) for t in SYSTEM_TOLERATIONS],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"memory": "256Mi"},
        },
    }


def metrics_server_values(args: AddonsArgs) -> dict[str, Any]:
    return {
        "replicas": args.metrics_server_replicas,
        "nodeSelector": dict(args.system_node_selector),
        "tolerations": [dict(t) for t in SYSTEM_TOLERATIONS],
        # With one replica a budget would block every drain; with two, one stays up.
        "podDisruptionBudget": {
            "enabled": args.metrics_server_replicas > 1,
            "minAvailable": 1,
        },
    }


class Addons(pulumi.ComponentResource):
    storage_class_name: str | None
    ebs_csi_role_arn: pulumi.Output[str] | None
    volume_key_arn: pulumi.Output[str] | None
    load_balancer_controller_role_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: AddonsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(f"{PACKAGE}:addons:Addons", name, None, opts)
        check_addons(args)
        cluster_name = pulumi.Output.from_input(args.cluster_name)
        oidc = pulumi.Output.all(args.oidc_provider_arn, args.oidc_provider_url)

        def irsa_role(role: str, service_account: str) -> aws.iam.Role:
            return aws.iam.Role(
                f"{name}-{role}",
                description=pulumi.Output.concat(
                    f"IRSA role of {role} in EKS cluster ",
                    cluster_name,
                    f", for service account {args.namespace}/{service_account}",
                ),
                assume_role_policy=oidc.apply(
                    lambda p: irsa_trust_policy(p[0], p[1], args.namespace, service_account)
                ),
                opts=child(self),
            )

        self.storage_class_name = None
        self.ebs_csi_role_arn = None
        self.volume_key_arn = None
        self.load_balancer_controller_role_arn = None

        # -- storage ---------------------------------------------------------------------------
        if args.enable_ebs_csi_driver:
            key = aws.kms.Key(
                f"{name}-volumes",
                description=pulumi.Output.concat(
                    "Encryption of the EBS volumes of EKS cluster ", cluster_name
                ),
                enable_key_rotation=True,
                deletion_window_in_days=30,
                opts=child(self),
            )
            aws.kms.Alias(
                f"{name}-volumes",
                name=cluster_name.apply(lambda n: f"alias/eks/{n}-volumes"),
                target_key_id=key.key_id,
                opts=child(self),
            )
            ebs_role = irsa_role("ebs-csi", EBS_CSI_SERVICE_ACCOUNT)
            ebs_managed = aws.iam.RolePolicyAttachment(
                f"{name}-ebs-csi",
                role=ebs_role.name,
                policy_arn=EBS_CSI_POLICY_ARN,
                opts=child(self),
            )
            ebs_key = aws.iam.RolePolicy(
                f"{name}-ebs-csi-key",
                role=ebs_role.id,
                policy=key.arn.apply(ebs_key_policy),
                opts=child(self),
            )
            driver = aws.eks.Addon(
                f"{name}-ebs-csi-driver",
                cluster_name=args.cluster_name,
                addon_name="aws-ebs-csi-driver",
                addon_version=args.ebs_csi_driver_version or None,
                service_account_role_arn=ebs_role.arn,
                configuration_values=ebs_csi_configuration(args.system_node_selector),
                resolve_conflicts_on_create="OVERWRITE",
                resolve_conflicts_on_update="OVERWRITE",
                opts=child(self, depends_on=[ebs_managed, ebs_key]),
            )
            k8s.storage.v1.StorageClass(
                f"{name}-storage-class",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=args.storage_class_name,
                    annotations={DEFAULT_CLASS_ANNOTATION: "true"},
                ),
                provisioner=EBS_CSI_PROVISIONER,
                parameters=key.arn.apply(storage_class_parameters),
                volume_binding_mode="WaitForFirstConsumer",
                allow_volume_expansion=True,
                reclaim_policy="Delete",
                opts=child(self, depends_on=[driver]),
            )
            self.storage_class_name = args.storage_class_name
            self.ebs_csi_role_arn = ebs_role.arn
            self.volume_key_arn = key.arn

        # -- ingress ---------------------------------------------------------------------------
        if args.enable_load_balancer_controller:
            lb_role = irsa_role("lb-controller", LOAD_BALANCER_CONTROLLER_SERVICE_ACCOUNT)
            lb_grant = aws.iam.RolePolicy(
                f"{name}-lb-controller",
                role=lb_role.id,
                policy=load_balancer_controller_policy_document(),
                opts=child(self),
            )
            k8s.helm.v3.Release(
                f"{name}-lb-controller",
                name="aws-load-balancer-controller",
                chart="aws-load-balancer-controller",
                version=args.load_balancer_controller_chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(
                    repo=LOAD_BALANCER_CONTROLLER_REPOSITORY
                ),
                namespace=args.namespace,
                values=pulumi.Output.all(cluster_name, args.vpc_id, lb_role.arn).apply(
                    lambda a: load_balancer_controller_values(args, a[0], a[1], a[2])
                ),
                opts=child(self, depends_on=[lb_grant]),
            )
            self.load_balancer_controller_role_arn = lb_role.arn

        # -- metrics ---------------------------------------------------------------------------
        if args.enable_metrics_server:
            k8s.helm.v3.Release(
                f"{name}-metrics-server",
                name="metrics-server",
                chart="metrics-server",
                version=args.metrics_server_chart_version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=METRICS_SERVER_REPOSITORY),
                namespace=args.namespace,
                values=metrics_server_values(args),
                opts=child(self),
            )

        self.register_outputs(
            {
                "storageClassName": self.storage_class_name,
                "ebsCsiRoleArn": self.ebs_csi_role_arn,
                "volumeKeyArn": self.volume_key_arn,
                "loadBalancerControllerRoleArn": self.load_balancer_controller_role_arn,
            }
        )

"""The composition of the baseline: providers, then components built from their Args, in
dependency order. `build` returns the stack outputs; `__main__.py` exports them.

Kept free of config reading and of `pulumi.export`, so that the offline plan and the agents run
exactly this function under Pulumi's mock runtime.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from baseline.config import StackConfig
from components.network import Network, NetworkArgs


def build(cfg: StackConfig) -> dict[str, Any]:
    default_tags = aws.ProviderDefaultTagsArgs(tags=cfg.cost_tags)
    primary = aws.Provider("aws", region=cfg.region, default_tags=default_tags)
    zones = aws.get_availability_zones(
        state="available", opts=pulumi.InvokeOptions(provider=primary)
    )
    azs = list(zones.names)[: cfg.az_count]

    network = Network(
        "network",
        NetworkArgs(
            region=cfg.region,
            availability_zones=azs,
            vpc_cidr=cfg.vpc_cidr,
            nat_strategy=cfg.nat_strategy,
            interface_endpoints=cfg.interface_endpoints,
            flow_log_retention_days=cfg.flow_log_retention_days,
        ),
        pulumi.ResourceOptions(providers=[primary]),
    )

    return {
        "region": cfg.region,
        "vpcId": network.vpc_id,
        "publicSubnetIds": network.public_subnet_ids,
        "privateSubnetIds": network.private_subnet_ids,
        "databaseSubnetIds": network.database_subnet_ids,
    }

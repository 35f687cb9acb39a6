"""What the platform's cost levers save, measured against a naive variant of the same stack.

The production-readiness assessment this project implements claims five levers: SPOT workload
nodes (~$80/month), a single NAT gateway (~$60), Graviton (~15% of compute), cross-region backup
copies instead of a Multi-AZ database (~$45) and one consolidated cluster (~$73); ~$250-300 in all.

Each lever is priced as the naive variant of one decision, all else equal, against the stack as
planned: saving = cost(stack with that decision undone) - cost(stack). Decisions config can undo
are planned through config, so the program builds everything that follows from them (NAT
gateways with their addresses, routes and alarms; a Multi-AZ database without DR copies). The
others cannot be expressed in config (it accepts only Graviton types, and a stack has one
cluster), so they are applied to the planned export: SPOT groups become ON_DEMAND, instance
types become their x86 equivalents (m7g -> m6i, m6g -> m5, c7g -> c6i, r7g -> r6i, t4g -> t3),
and the cluster's resources are copied once per further environment. The combined naive variant
applies all of them; it differs a little from the sum of the levers because they overlap (SPOT
nodes turned on-demand are dearer again on x86).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from toolchain.cost.estimate import (
    EKS_CLUSTER,
    LAUNCH_TEMPLATE,
    Estimate,
    estimate,
    node_count,
)
from toolchain.cost.prices import PriceBook
from toolchain.cost.usage import (
    NAT_GATEWAY,
    NODE_GROUP,
    RDS_BACKUP_REPLICATION,
    RDS_INSTANCE,
    Usage,
)
from toolchain.export import StackExport, parse_export

X86_EQUIVALENT = {
    "t4g": "t3",
    "m7g": "m6i",
    "m6g": "m5",
    "c7g": "c6i",
    "c6g": "c5",
    "r7g": "r6i",
    "r6g": "r5",
}
CLAIMED_TOTAL = "~$250-300"
# Within this share of the claim, our figure is said to match it.
MATCH = 0.15


@dataclass(frozen=True)
class Lever:
    key: str
    title: str
    claimed: str
    claimed_usd: float | None
    saving: float
    why: str


@dataclass(frozen=True)
class SavingsReport:
    stack: str
    actual: Estimate
    naive: Estimate
    levers: tuple[Lever, ...]

    @property
    def levers_total(self) -> float:
        return sum(lever.saving for lever in self.levers)

    @property
    def combined(self) -> float:
        """Naive variant (every lever undone at once) minus the stack as planned."""
        return self.naive.total - self.actual.total

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "monthlyTotal": round(self.actual.total, 2),
            "naiveMonthlyTotal": round(self.naive.total, 2),
            "prices": {"file": self.actual.price_file, "date": self.actual.price_date},
            "levers": [
                {
                    "lever": lever.key,
                    "title": lever.title,
                    "saving": round(lever.saving, 2),
                    "claimed": lever.claimed,
                    "claimedUsd": None
                    if lever.claimed_usd is None
                    else round(lever.claimed_usd, 2),
                    "why": lever.why,
                }
                for lever in self.levers
            ],
            "leversTotal": round(self.levers_total, 2),
            "combined": round(self.combined, 2),
            "claimedTotal": CLAIMED_TOTAL,
        }


def transform(export: StackExport, change: Callable[[list[dict[str, Any]]], None]) -> StackExport:
    """A copy of an export whose resource list `change` has edited in place."""
    data = copy.deepcopy(export.data)
    change(data["deployment"]["resources"])
    return parse_export(data, export.source)


def on_demand(export: StackExport) -> StackExport:
    """Every SPOT node group on demand."""

    def change(resources: list[dict[str, Any]]) -> None:
        for r in resources:
            if r["type"] == NODE_GROUP and (r.get("inputs") or {}).get("capacityType") == "SPOT":
                r["inputs"]["capacityType"] = "ON_DEMAND"

    return transform(export, change)


def x86_type(instance_type: str) -> str:
    family, _, size = instance_type.partition(".")
    return f"{X86_EQUIVALENT.get(family, family)}.{size}"


def x86(export: StackExport) -> StackExport:
    """Every node group on the x86 equivalents of its Graviton types."""

    def change(resources: list[dict[str, Any]]) -> None:
        for r in resources:
            ins = r.get("inputs") or {}
            if r["type"] == NODE_GROUP and ins.get("instanceTypes"):
                ins["instanceTypes"] = [x86_type(t) for t in ins["instanceTypes"]]
                if "ARM_64" in str(ins.get("amiType", "")):
                    ins["amiType"] = str(ins["amiType"]).replace("ARM_64", "x86_64")

    return transform(export, change)


def cluster_per_environment(export: StackExport, environments: Sequence[str]) -> StackExport:
    """The cluster's AWS resources copied once for each environment after the first, as if each
    environment had a cluster of its own (Kubernetes objects stay where they are)."""
    clusters = {r.urn for r in export.of_type(EKS_CLUSTER)}
    if not clusters or len(environments) < 2:
        return export
    component = {
        r.urn
        for r in export.resources
        if r.custom
        and export.component_of(r) in {export.component_of(export.index[u]) for u in clusters}
        and not r.type.startswith(("kubernetes:", "pulumi:"))
    }

    def change(resources: list[dict[str, Any]]) -> None:
        copies = []
        for env in environments[1:]:
            for r in resources:
                if r["urn"] not in component:
                    continue
                c = copy.deepcopy(r)
                # The copy keeps its logical name (so per-resource usage applies to it too) and
                # gets a URN of its own through the stack part: urn:pulumi:<stack>-<env>::...
                c["urn"] = _renamed(r["urn"], env)
                outputs = c.get("outputs") or {}
                if r["type"] == LAUNCH_TEMPLATE and isinstance(outputs.get("id"), str):
                    outputs["id"] = f"{outputs['id']}-{env}"
                lt = (c.get("inputs") or {}).get("launchTemplate")
                if (
                    r["type"] == NODE_GROUP
                    and isinstance(lt, dict)
                    and isinstance(lt.get("id"), str)
                ):
                    lt["id"] = f"{lt['id']}-{env}"
                c["dependencies"] = [
                    _renamed(d, env) if d in component else d for d in c.get("dependencies") or []
                ]
                copies.append(c)
        resources.extend(copies)

    return transform(export, change)


def _renamed(urn: str, env: str) -> str:
    head, sep, rest = urn.partition("::")
    return f"{head}-{env}{sep}{rest}"


def _compute(est: Estimate) -> float:
    """Instance-hours of the node groups (the first item of each node group line)."""
    return sum(line.items[0].monthly for line in est.lines if line.type == NODE_GROUP)


def _money(x: float) -> str:
    return f"${x:,.2f}"


def _verdict(saving: float, claimed: float) -> str:
    if claimed and abs(saving - claimed) <= MATCH * claimed:
        return "close to the claim"
    return "above the claim" if saving > claimed else "below the claim"


def _spot_why(actual: StackExport, saving: float, usage: Usage) -> str:
    groups = [r for r in actual.of_type(NODE_GROUP) if r.inputs.get("capacityType") == "SPOT"]
    if not groups:
        return "no SPOT node group in this stack: nothing to save"
    parts = []
    nodes = 0
    for r in groups:
        n = node_count(r, usage.for_resource(r))
        nodes += n
        scaling = r.inputs.get("scalingConfig") or {}
        parts.append(
            f"{r.name}: {n} x {r.inputs['instanceTypes'][0]} "
            f"(min {scaling.get('minSize')}, max {scaling.get('maxSize')})"
        )
    per_node = saving / nodes if nodes else 0.0
    enough = f"; ~$80 is about {80 / per_node:.1f} such nodes" if per_node else ""
    return (
        f"{_verdict(saving, 80)}: {'; '.join(parts)} at the usage file's spot discount "
        f"saves {_money(per_node)} per node{enough}. The figure scales with the nodes the "
        "autoscaler runs (usage `nodes`)"
    )


def _nat_why(actual: StackExport, naive: Estimate, saving: float) -> str:
    gateways = [line for line in naive.lines if line.type == NAT_GATEWAY]
    have, would = len(actual.of_type(NAT_GATEWAY)), len(gateways)
    if would <= have:
        return (
            f"this stack already runs a NAT gateway per AZ ({have}), for resilience: "
            "the lever is not taken here (it is dev's)"
        )
    extra = would - have
    hours = gateways[0].items[0]
    return (
        f"{_verdict(saving, 60)}: {extra} more gateway(s) at ${hours.unit_usd:.3f}/h "
        f"({_money(hours.monthly * extra)}) plus their public IPv4 addresses and alarms, less "
        "the cross-AZ transfer a single gateway pays; the claim counts the gateway-hours of "
        "about two gateways"
    )


def _graviton_why(saving: float, compute_x86: float) -> str:
    if compute_x86 <= 0:
        return "no node group: nothing to save"
    share = saving / compute_x86
    return (
        f"{share:.0%} of the x86 compute ({_money(compute_x86)}): the x86 equivalents "
        "(m7g -> m6i, t4g -> t3) list at 15-19% more per hour; root volumes do not change"
    )


def _db_why(actual: StackExport, saving: float, dr_cost: float) -> str:
    db = actual.of_type(RDS_INSTANCE)
    if not db:
        return "no database in this stack"
    ins = db[0].inputs
    if ins.get("multiAz"):
        return (
            f"this stack runs Multi-AZ and also replicates backups to the DR region "
            f"({_money(dr_cost)}/month): it pays for both, for resilience, so the lever is not "
            "taken; the negative figure is what the DR copies and their key cost"
        )
    dr = f" minus its DR copies ({_money(dr_cost)})" if dr_cost else " (it has no DR copies)"
    return (
        f"{_verdict(saving, 45)}: Multi-AZ doubles the {ins.get('instanceClass')} instance-hours "
        f"and the storage rate of {ins.get('allocatedStorage')} GB{dr}; the claim assumes "
        "a class of about $0.06/h"
    )


def _cluster_why(envs: Sequence[str], saving: float) -> str:
    if len(envs) < 2:
        return f"this stack hosts one environment ({', '.join(envs)}): nothing to consolidate"
    extra = len(envs) - 1
    return (
        f"{_verdict(saving, 73)}: this stack hosts {len(envs)} environments ({', '.join(envs)}); "
        f"a cluster each is {extra} more cluster(s) of {_money(saving / extra)}: control plane "
        "$73.00 plus its own system and workload nodes, key and logs; the claim counts one "
        "control plane only"
    )


Planner = Callable[[str, Mapping[str, Any]], StackExport]


def savings(
    stack: str,
    prices: PriceBook,
    usage: Usage,
    config_values: Mapping[str, Any],
    plan: Planner,
) -> SavingsReport:
    """Price each lever on `stack`'s export and on its naive variants. `plan(stack, values)` makes
    the export of the stack's program under the given config values (the offline plan, passed in
    by the caller: the cost room reads exports and never runs the program itself)."""
    values = dict(config_values)
    nat_values = {**values, "baseline:natStrategy": "per-az"}
    db_values = {**values, "baseline:dbMultiAz": True, "baseline:dbReplicateBackupsToDr": False}
    naive_values = {**nat_values, **db_values}
    envs = list(values.get("baseline:environments") or ["dev"])

    def price(export: StackExport) -> Estimate:
        return estimate(export, prices, usage)

    actual = plan(stack, values)
    base = price(actual)
    nat = actual if nat_values == values else plan(stack, nat_values)
    db = actual if db_values == values else plan(stack, db_values)
    naive_config = plan(stack, naive_values) if naive_values != values else actual
    naive = price(cluster_per_environment(on_demand(x86(naive_config)), envs))

    spot_saving = price(on_demand(actual)).total - base.total
    nat_est = price(nat)
    nat_saving = nat_est.total - base.total
    x86_est = price(x86(actual))
    graviton_saving = x86_est.total - base.total
    db_saving = price(db).total - base.total
    dr_cost = sum(line.monthly for line in base.lines if line.type == RDS_BACKUP_REPLICATION)
    cluster_saving = price(cluster_per_environment(actual, envs)).total - base.total
    compute_x86 = _compute(x86_est)
    levers = (
        Lever("spot", "SPOT workload nodes", "~$80", 80.0, spot_saving,
              _spot_why(actual, spot_saving, usage)),
        Lever("single-nat", "single NAT gateway", "~$60", 60.0, nat_saving,
              _nat_why(actual, nat_est, nat_saving)),
        Lever("graviton", "Graviton instead of x86", "~15% of compute", 0.15 * compute_x86,
              graviton_saving, _graviton_why(graviton_saving, compute_x86)),
        Lever("backups-not-multi-az", "cross-region backups instead of Multi-AZ", "~$45", 45.0,
              db_saving, _db_why(actual, db_saving, dr_cost)),
        Lever("consolidation", "one cluster for all environments", "~$73", 73.0, cluster_saving,
              _cluster_why(envs, cluster_saving)),
    )  # fmt: skip
    return SavingsReport(stack=stack, actual=base, naive=naive, levers=levers)

"""`summarize_infra`: a stack export (plan or live) as a compact text and JSON for an LLM.

What is kept: every resource by logical name, grouped by top-level component and short type
(`aws:ec2/subnet:Subnet` is `ec2.Subnet`), each with only its security- and cost-relevant settings
(instance types, capacity, scaling sizes, encryption and keys, public access, retention, Multi-AZ,
backups, deletion protection, engine versions, storage, security group ports and sources, IAM trust
and the services a policy grants, ...); every stack output; the policy gate's violations and the
cost estimate (both handed in as data: the summary never starts the packs itself;
`summarize_checked` is the wrapper that runs them); and, given a baseline export, the change set.

Design decisions:
- Secrets are replaced by `[secret]` before any renderer sees a value (`_redact`), in inputs,
  outputs and diffs alike, at any depth; nothing downstream can print a plaintext or ciphertext.
- References are shown as the logical name of the resource they point to (a key ARN is
  `kms=audit-kms`): shorter and more telling than ids. A reference to a resource of the resource's
  own name (a bucket's versioning pointing at its bucket) is left out.
- Settings shared by every resource of a type in a component are printed once on the type's
  line; resources with identical remaining settings share a line. Defaults and nulls are left out;
  a security setting that is off is printed (`rotation=off`), so an absence never hides a finding.
- Tags are left out, except the providers' default tags (the cost-allocation tags), once.
- Budgets (`render`): the head (stack, counts, violations, cost totals, change counts) is always
  kept; then blocks in order of importance: the change set, components with violations, then by
  cost, then the rest, and the outputs last. Over budget, the least important blocks lose their
  settings first (names only), then their names (type counts only), then are left out; the text
  says which.
- Replacements in a change set: a changed property the provider cannot update in place (a curated
  table of the types this platform uses, `FORCE_NEW`), or, between two exports of the same stack,
  a new physical id. Resources are matched by URN without the stack part, so dev can be compared
  with prod.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents import InputError
from agents.skills.tokens import BudgetError, Fitted, count, fit
from toolchain.export import (
    SHAPE_ERRORS,
    STACK_TYPE,
    Resource,
    StackExport,
    is_secret,
    load_export,
    misshapen,
    parse_export,
)

SECRET = "[secret]"
# Longest value shown for a property of a type without a renderer, or in a change set; and for a
# stack output (a kubeconfig or a document is not a fact worth a thousand tokens).
MAX_VALUE_CHARS = 200
MAX_OUTPUT_CHARS = 1000

# A fact: (key, value, bare). Text: `value` when bare, `key` when value is "", else `key=value`.
Fact = tuple[str, str, bool]

LEGEND = (
    "notation: `## component $/mo`; `type names: settings` (settings shared by a type's resources "
    "on its first line); references are logical names (own-name references left out); "
    "$=USD/month; protect=Pulumi protect; !rule=policy violation; [secret]=secret value; "
    "allow=svc:n: n actions of a service allowed (n*: some by wildcard, svc:*: all)"
)


class SummaryError(InputError):
    """Violations, cost or an export handed to the summary in a shape it cannot read."""


# --------------------------------------------------------------------------- values


def _redact(value: Any) -> Any:
    """The value with every secret (at any depth) replaced by `[secret]`."""
    if is_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return value


def _num(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _clip(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1]}…"


def _json_doc(value: Any) -> Any:
    """A JSON document held in a string (policies, dashboards), or None."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
            return None
    return None


def short_type(token: str) -> str:
    """`aws:ec2/subnet:Subnet` -> `ec2.Subnet`; `kubernetes:core/v1:Namespace` -> `k8s.Namespace`;
    `pulumi:providers:aws` -> `provider.aws`."""
    parts = token.split(":")
    if len(parts) != 3:
        return token
    pkg, module, name = parts
    if pkg == "pulumi" and module == "providers":
        return f"provider.{name}"
    if pkg == "aws":
        return f"{module.split('/')[0]}.{name}"
    if pkg == "kubernetes":
        return f"k8s.{name}"
    return f"{pkg}.{module.split('/')[0]}.{name}"


def _stack_key(urn: str) -> str:
    """A URN without its stack (`urn:pulumi:<stack>::`), to match a resource across stacks."""
    return urn.split("::", 1)[1] if urn.startswith("urn:pulumi:") and "::" in urn else urn


def _stack_and_project(export: StackExport) -> tuple[str, str]:
    for r in export.resources:
        bits = r.urn.split("::")
        head = bits[0].split(":")
        if len(head) == 3 and head[:2] == ["urn", "pulumi"] and len(bits) > 1:
            return head[2], bits[1]
    return "", ""


def _brace(names: Sequence[str]) -> str:
    """Names with a common prefix as `prefix{a,b,c}` (for references; never for the names a
    summary must list)."""
    if len(names) < 3:
        return ",".join(names)
    prefix = names[0]
    for n in names[1:]:
        while not n.startswith(prefix):
            prefix = prefix[:-1]
    cut = prefix.rfind("-") + 1
    if cut < 4:
        return ",".join(names)
    return f"{prefix[:cut]}{{{','.join(n[cut:] for n in names)}}}"


# --------------------------------------------------------------------------- context


_AWS_ID = re.compile(r"^[a-z]{2,12}-[0-9a-f]{8,17}$")


def _id_leaves(value: Any, path: str) -> Iterable[tuple[str, str]]:
    """(path, value) of the AWS ids (`sg-0123abcd...`) nested in a resource's outputs: what a
    provider computes beside the resource's own id (the security group EKS makes)."""
    if isinstance(value, dict) and not is_secret(value):
        for k, v in value.items():
            yield from _id_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, str) and _AWS_ID.match(value):
        yield path, value


class _Refs:
    """Physical ids and ARNs of an export's resources, to their logical names. An ARN match wins
    over an id match, and an id over an id computed into another resource's outputs. A value held
    by resources of different names (a cluster and a database both called `baseline-prod`) is
    ambiguous and left as it is; resources of one name (a bucket and its settings, all with the
    bucket's name as id) are not."""

    def __init__(self, export: StackExport) -> None:
        self.found: dict[str, dict[int, set[tuple[str, str]]]] = defaultdict(
            lambda: defaultdict(set)
        )
        # (value, rank) -> (the one name its holders have, else None; the holders' URNs)
        self._held: dict[tuple[str, int], tuple[str | None, frozenset[str]]] = {}
        for r in export.resources:
            if not r.custom or r.type == STACK_TYPE:
                continue
            arn = r.outputs.get("arn")
            if isinstance(arn, str) and arn:
                self.found[arn][0].add((r.urn, r.name))
            for ident in (r.raw.get("id"), r.outputs.get("id"), r.outputs.get("keyId")):
                if isinstance(ident, str) and len(ident) > 3:
                    self.found[ident][1].add((r.urn, r.name))
            for path, value in _id_leaves(r.outputs, ""):
                if path not in ("id", "arn", "keyId"):
                    self.found[value][2].add((r.urn, f"{r.name}.{path.rsplit('.', 1)[-1]}"))

    def name(self, value: Any, exclude: str = "") -> str | None:
        """The logical name `value` points to, not counting the resource of URN `exclude` (a
        resource's own id is not a reference)."""
        if not isinstance(value, str):
            return None
        ranks = self.found.get(value)
        if ranks is None and value.endswith(":*"):
            value = value[:-2]
            ranks = self.found.get(value)
        if not ranks:
            return None
        rank = min(ranks)
        # What the holders say is worked out once per value, not once per reference to it: a
        # value held by thousands of resources (a shared ARN) would make the summary quadratic.
        held = self._held.get((value, rank))
        if held is None:
            holders = ranks[rank]
            names = {name for _, name in holders}
            one = next(iter(names)) if len(names) == 1 else None
            held = self._held[(value, rank)] = (one, frozenset(urn for urn, _ in holders))
        name, urns = held
        # Held by the resource itself and by others of another name: its own id, not a reference.
        return name if name is not None and (len(urns) > 1 or exclude not in urns) else None


@dataclass
class _Ctx:
    export: StackExport
    refs: _Refs
    account: str
    region: str  # the main region: resources elsewhere say theirs
    self_urn: str = ""  # the resource being rendered (its own ids are not references)

    def ref(self, value: Any, own: str = "") -> str | None:
        """A reference as the logical name it points to, else the value itself; None when it
        points at a resource of the name `own` or is empty."""
        if value in (None, "", []):
            return None
        if isinstance(value, list):
            shown = [self.ref(v, own) or "" for v in value]
            shown = [s for s in shown if s]
            return _brace(sorted(set(shown))) if shown else None
        name = self.refs.name(value, self.self_urn)
        if name is not None:
            return None if name == own else name
        return _clip(_flat(value), MAX_VALUE_CHARS)

    def principal(self, value: Any) -> list[str]:
        """Principals of a policy statement, short: `eks` for eks.amazonaws.com, `root` for the
        stack's own account root, `oidc:<subject>` for a web identity."""
        if value == "*":
            return ["*"]
        if isinstance(value, str):
            return [value]
        out: list[str] = []
        if isinstance(value, dict):
            for kind, items in value.items():
                for p in items if isinstance(items, list) else [items]:
                    out.append(self._one_principal(kind, str(p)))
        return out

    def _one_principal(self, kind: str, p: str) -> str:
        if kind == "Service":
            return p.removesuffix(".amazonaws.com")
        if p == "*":
            return "*"
        if p.startswith("arn:aws:iam::") and p.endswith(":root"):
            acct = p.split(":")[4]
            return "root" if acct == self.account else f"{acct}:root"
        if kind == "Federated" and ":oidc-provider/" in p:
            return "oidc"
        return self.ref(p) or p


def _flat(value: Any) -> str:
    """Any redacted value as compact text."""
    if isinstance(value, dict):
        return "{" + ",".join(f"{k}={_flat(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_flat(v) for v in value) + "]"
    return _num(value)


def _account_of(export: StackExport) -> str:
    accounts: Counter[str] = Counter()
    for r in export.resources:
        arn = r.outputs.get("arn")
        if isinstance(arn, str) and arn.startswith("arn:aws:"):
            bits = arn.split(":")
            if len(bits) > 4 and bits[4].isdigit():
                accounts[bits[4]] += 1
    return accounts.most_common(1)[0][0] if accounts else ""


def _provider_region(export: StackExport, r: Resource) -> str:
    provider = export.index.get(r.provider_urn or "")
    region = provider.inputs.get("region") if provider is not None else None
    return region if isinstance(region, str) else ""


def _context(export: StackExport) -> _Ctx:
    regions: Counter[str] = Counter()
    for r in export.resources:
        if r.managed:
            region = _provider_region(export, r)
            if region:
                regions[region] += 1
    main = regions.most_common(1)[0][0] if regions else ""
    return _Ctx(export, _Refs(export), _account_of(export), main)


# --------------------------------------------------------------------------- facts


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


class _Facts:
    def __init__(self) -> None:
        self.items: list[Fact] = []

    def kv(self, key: str, value: Any) -> None:
        if _empty(value):
            return
        self.items.append((key, value if isinstance(value, str) else _flat(value), False))

    def bare(self, key: str, value: Any) -> None:
        if _empty(value):
            return
        self.items.append((key, value if isinstance(value, str) else _flat(value), True))

    def flag(self, key: str, on: Any = True) -> None:
        if on:
            self.items.append((key, "", False))

    def onoff(self, key: str, value: Any) -> None:
        """A security setting shown both ways (`rotation=on` / `rotation=off`) when set."""
        if isinstance(value, bool):
            self.items.append((key, "on" if value else "off", False))
        elif isinstance(value, str) and value.lower() in ("true", "false"):
            self.items.append((key, "on" if value.lower() == "true" else "off", False))
        elif value is not None:
            self.kv(key, value)


def _get(inputs: Mapping[str, Any], path: str) -> Any:
    value: Any = inputs
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _statements(doc: Any) -> list[dict[str, Any]]:
    if not isinstance(doc, dict):
        return []
    st = doc.get("Statement")
    items = st if isinstance(st, list) else [st]
    return [s for s in items if isinstance(s, dict)]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _identity_policy(f: _Facts, doc: Any) -> None:
    """An identity policy: the actions it allows per service (`s3:4`; `ec2:2*` when some are
    wildcards, `iam:*` for all), the number of deny statements, `ADMIN` when it allows every
    action on every resource, `notaction` when a statement grants by exclusion."""
    per_service: dict[str, int] = {}
    wild: dict[str, str] = {}  # service -> "*" (all its actions) or "some" (a wildcard verb)
    for s in _statements(doc):
        if s.get("Effect") != "Allow":
            continue
        actions = [str(a) for a in _as_list(s.get("Action"))]
        if any(a in ("*", "*:*") for a in actions) and "*" in _as_list(s.get("Resource")):
            f.flag("ADMIN")
        if "NotAction" in s:
            f.flag("notaction")
        for a in actions:
            service, _, verb = a.partition(":")
            per_service[service] = per_service.get(service, 0) + 1
            if verb == "*":
                wild[service] = "*"
            elif "*" in verb:
                wild.setdefault(service, "some")
    denies = sum(1 for s in _statements(doc) if s.get("Effect") == "Deny")
    shown = [
        f"{svc}:*" if wild.get(svc) == "*" else f"{svc}:{n}{'*' if svc in wild else ''}"
        for svc, n in per_service.items()
    ]
    f.kv("allow", ",".join(shown))
    if denies:
        f.kv("deny", denies)


def _resource_policy(f: _Facts, ctx: _Ctx, doc: Any, key: str = "policy") -> None:
    """A resource policy: who is allowed (principals), `tls-only` for the deny of insecure
    transport, `PUBLIC` for an unconditioned allow to everyone."""
    allowed: list[str] = []
    denied: list[str] = []
    for s in _statements(doc):
        principals = ctx.principal(s.get("Principal"))
        cond = s.get("Condition")
        if s.get("Effect") == "Deny":
            secure = _get(cond or {}, "Bool.aws:SecureTransport")
            denied.extend(["tls-only"] if str(secure).lower() == "false" else principals)
            continue
        if "*" in principals and not cond:
            f.flag("PUBLIC")
        allowed.extend(f"{p}?" if cond and p == "*" else p for p in principals)
    shown = list(dict.fromkeys(allowed))
    f.kv(f"{key}.allow", ",".join(shown))
    f.kv(f"{key}.deny", ",".join(dict.fromkeys(denied)))


def _ports(rule: Mapping[str, Any], proto_key: str = "protocol") -> str:
    proto = str(rule.get(proto_key) or rule.get("protocol") or "")
    if proto in ("-1", "all"):
        return "all"
    lo, hi = rule.get("fromPort"), rule.get("toPort")
    if lo is None and hi is None:
        return proto
    lo_s, hi_s = _num(lo), _num(hi)
    return f"{proto}{lo_s}" if lo_s == hi_s else f"{proto}{lo_s}-{hi_s}"


def _sources(ctx: _Ctx, rule: Mapping[str, Any]) -> str:
    out: list[str] = []
    for key in ("cidrBlocks", "ipv6CidrBlocks", "prefixListIds"):
        out.extend(str(v) for v in _as_list(rule.get(key)))
    for key in ("cidrIpv4", "cidrIpv6", "prefixListId"):
        if rule.get(key):
            out.append(str(rule[key]))
    for key in ("securityGroups", "referencedSecurityGroupId", "sourceSecurityGroupId"):
        for sg in _as_list(rule.get(key)):
            out.append(f"sg:{ctx.ref(sg) or sg}")
    if rule.get("self"):
        out.append("self")
    return ",".join(out) or "?"


def _sg(f: _Facts, ctx: _Ctx, i: Mapping[str, Any], name: str) -> None:
    for key, label in (("ingress", "in"), ("egress", "out")):
        if key not in i:
            continue
        rules = [r for r in _as_list(i[key]) if isinstance(r, dict)]
        f.kv(label, " ".join(f"{_ports(r)}:{_sources(ctx, r)}" for r in rules) or "none")
    f.kv("vpc", ctx.ref(i.get("vpcId"), name) if _many(ctx, "aws:ec2/vpc:Vpc") else None)


def _many(ctx: _Ctx, type_token: str) -> bool:
    return len(ctx.export.of_type(type_token)) > 1


def _days(value: Any) -> str | None:
    return None if value is None else f"{_num(value)}d"


# A renderer adds the facts of one resource from its redacted inputs and its logical name.
_Renderer = Callable[[_Facts, _Ctx, dict[str, Any], str], None]


def _r_vpc(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("cidr", i.get("cidrBlock"))
    f.flag("ipv6", i.get("assignGeneratedIpv6CidrBlock"))


def _r_subnet(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("cidr", i.get("cidrBlock"))
    f.bare("az", i.get("availabilityZone") or i.get("availabilityZoneId"))
    f.flag("public-ip-on-launch", i.get("mapPublicIpOnLaunch") is True)


def _r_route(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    dest = i.get("destinationCidrBlock") or i.get("destinationIpv6CidrBlock")
    dest = dest or i.get("destinationPrefixListId")
    targets = (
        "gatewayId",
        "natGatewayId",
        "transitGatewayId",
        "vpcEndpointId",
        "networkInterfaceId",
        "vpcPeeringConnectionId",
        "egressOnlyGatewayId",
    )
    target = next((i[k] for k in targets if i.get(k)), None)
    f.bare("route", f"{_num(dest)}->{ctx.ref(target) or '?'}")
    f.kv("rt", ctx.ref(i.get("routeTableId"), name))


def _r_rt_assoc(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("rt", ctx.ref(i.get("routeTableId"), name))
    f.kv("subnet", ctx.ref(i.get("subnetId"), name))
    f.kv("gateway", ctx.ref(i.get("gatewayId"), name))


def _r_route_table(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    for route in _as_list(i.get("routes")):
        if isinstance(route, dict):
            target = next((v for k, v in route.items() if k.endswith("Id") and v), None)
            f.bare("route", f"{route.get('cidrBlock')}->{ctx.ref(target) or '?'}")


def _r_sg_rule(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("sg", ctx.ref(i.get("securityGroupId"), name))
    kind = i.get("type")
    label = {"ingress": "in", "egress": "out"}.get(str(kind), "in")
    f.kv(label, f"{_ports(i, 'ipProtocol')}:{_sources(ctx, i)}")


def _r_sg_vpc_rule(direction: str) -> _Renderer:
    def render(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
        f.kv("sg", ctx.ref(i.get("securityGroupId"), name))
        f.kv(direction, f"{_ports(i, 'ipProtocol')}:{_sources(ctx, i)}")

    return render


def _r_nat(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("subnet", ctx.ref(i.get("subnetId"), name))
    if i.get("connectivityType") not in (None, "public"):
        f.kv("type", i.get("connectivityType"))


def _r_eip(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("instance", ctx.ref(i.get("instance"), name))


def _r_endpoint(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    service = str(i.get("serviceName") or "")
    if service.startswith("com.amazonaws.") and service.count(".") > 2:
        service = service.split(".", 3)[-1]  # com.amazonaws.<region>.ecr.api -> ecr.api
    f.bare("type", i.get("vpcEndpointType") or "Gateway")
    f.bare("service", service)
    f.flag("privateDns", i.get("privateDnsEnabled") is True)
    f.kv("sg", ctx.ref(i.get("securityGroupIds"), name))
    f.kv("subnets", ctx.ref(i.get("subnetIds"), name))
    f.kv("rts", len(_as_list(i.get("routeTableIds"))) or None)
    doc = _json_doc(i.get("policy"))
    if doc is not None:
        _resource_policy(f, ctx, doc)


def _r_flow_log(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("traffic", i.get("trafficType"))
    f.kv("to", ctx.ref(i.get("logDestination") or i.get("logGroupName"), name))
    f.kv(
        "agg", f"{_num(i['maxAggregationInterval'])}s" if i.get("maxAggregationInterval") else None
    )


def _r_launch_template(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    for m in _as_list(i.get("blockDeviceMappings")):
        ebs = m.get("ebs") if isinstance(m, dict) else None
        if isinstance(ebs, dict):
            size = f"{_num(ebs.get('volumeSize'))}GB" if ebs.get("volumeSize") else ""
            f.kv("ebs", f"{size}{ebs.get('volumeType') or ''}".strip())
            f.onoff("encrypted", ebs.get("encrypted"))
            f.kv("ebs.kms", ctx.ref(ebs.get("kmsKeyId"), name))
    meta = i.get("metadataOptions")
    if isinstance(meta, dict):
        f.bare("imds", "imdsv2" if meta.get("httpTokens") == "required" else "IMDSv1-allowed")
        f.kv("hops", meta.get("httpPutResponseHopLimit"))
    f.kv("instanceType", i.get("instanceType"))
    f.kv("ami", i.get("imageId"))
    f.kv("sg", ctx.ref(i.get("vpcSecurityGroupIds"), name))
    f.flag("userData", bool(i.get("userData")))


def _r_eks_cluster(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("v", i.get("version"))
    vpc = i.get("vpcConfig") or {}
    public = vpc.get("endpointPublicAccess")
    private = vpc.get("endpointPrivateAccess")
    access = "+".join(
        k for k, on in (("public", public is not False), ("private", private is True)) if on
    )
    f.kv("api", access)
    if public is not False:
        f.kv("publicCidrs", ",".join(map(str, _as_list(vpc.get("publicAccessCidrs")))) or "all")
    for enc in _as_list(i.get("encryptionConfig")):
        if isinstance(enc, dict):
            key = _get(enc, "provider.keyArn")
            f.kv(f"kms.{'+'.join(map(str, _as_list(enc.get('resources'))))}", ctx.ref(key))
    if not i.get("encryptionConfig"):
        f.kv("secrets-kms", "none")
    f.kv("logs", ",".join(map(str, _as_list(i.get("enabledClusterLogTypes")))) or "none")
    f.kv("auth", _get(i, "accessConfig.authenticationMode"))
    f.onoff("creatorAdmin", _get(i, "accessConfig.bootstrapClusterCreatorAdminPermissions"))
    f.onoff("deletionProtection", i.get("deletionProtection"))
    f.kv("support", _get(i, "upgradePolicy.supportType"))
    f.kv("sg", ctx.ref(vpc.get("securityGroupIds"), name))
    f.kv("subnets", ctx.ref(vpc.get("subnetIds"), name))
    f.kv("role", ctx.ref(i.get("roleArn"), name))


def _r_node_group(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("instanceTypes", ",".join(map(str, _as_list(i.get("instanceTypes")))) or "t3.medium")
    f.bare("capacity", i.get("capacityType") or "ON_DEMAND")
    s = i.get("scalingConfig") or {}
    f.kv("min/desired/max", "/".join(_num(s.get(k)) for k in ("minSize", "desiredSize", "maxSize")))
    f.kv("ami", i.get("amiType"))
    f.kv("disk", f"{_num(i['diskSize'])}GB" if i.get("diskSize") else None)
    f.kv("lt", ctx.ref(_get(i, "launchTemplate.id") or _get(i, "launchTemplate.name"), name))
    f.kv("v", i.get("version"))
    f.kv("taints", len(_as_list(i.get("taints"))) or None)
    f.kv("maxUnavailable%", _get(i, "updateConfig.maxUnavailablePercentage"))
    f.kv("role", ctx.ref(i.get("nodeRoleArn"), name))
    f.kv("subnets", ctx.ref(i.get("subnetIds"), name))
    f.flag("remoteAccess", bool(i.get("remoteAccess")))


def _r_addon(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    addon = str(i.get("addonName") or "")
    f.kv("addon", addon if addon not in name else None)
    f.kv("v", i.get("addonVersion"))
    f.kv("role", ctx.ref(i.get("serviceAccountRoleArn"), name))


def _r_oidc(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("clients", ",".join(map(str, _as_list(i.get("clientIdLists")))))


def _r_role(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    trust: list[str] = []
    for s in _statements(_json_doc(i.get("assumeRolePolicy"))):
        if s.get("Effect") != "Allow":
            continue
        principals = ctx.principal(s.get("Principal"))
        subject = None
        for op in (s.get("Condition") or {}).values():
            if isinstance(op, dict):
                for key, value in op.items():
                    if str(key).endswith(":sub"):
                        subject = str(value).removeprefix("system:serviceaccount:")
        if subject is not None:
            principals = [f"{p}:{subject}" if p == "oidc" else p for p in principals]
        trust.extend(principals)
    f.kv("trust", ",".join(dict.fromkeys(trust)))
    if i.get("maxSessionDuration") not in (None, 3600):
        f.kv("maxSession", f"{_num(i['maxSessionDuration'])}s")
    f.kv("boundary", ctx.ref(i.get("permissionsBoundary")))
    managed = [str(a).rsplit("/", 1)[-1] for a in _as_list(i.get("managedPolicyArns"))]
    f.kv("managed", ",".join(managed))
    for p in _as_list(i.get("inlinePolicies")):
        if isinstance(p, dict):
            _identity_policy(f, _json_doc(p.get("policy")))


def _r_role_policy(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("role", ctx.ref(i.get("role"), name))
    _identity_policy(f, _json_doc(i.get("policy")))


def _r_policy_attachment(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("role", ctx.ref(i.get("role"), name))
    arn = str(i.get("policyArn") or "")
    f.kv("policy", ctx.refs.name(arn, ctx.self_urn) or arn.rsplit("/", 1)[-1])


def _r_iam_policy(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    _identity_policy(f, _json_doc(i.get("policy")))


def _r_kms_key(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.onoff("rotation", i.get("enableKeyRotation", False))
    f.kv("deletionWindow", _days(i.get("deletionWindowInDays")))
    f.flag("multiRegion", i.get("multiRegion") is True)
    if i.get("keyUsage") not in (None, "ENCRYPT_DECRYPT"):
        f.kv("usage", i.get("keyUsage"))
    spec = i.get("customerMasterKeySpec") or i.get("keySpec")
    if spec not in (None, "SYMMETRIC_DEFAULT"):
        f.kv("spec", spec)
    doc = _json_doc(i.get("policy"))
    if doc is not None:
        _resource_policy(f, ctx, doc)


def _r_kms_alias(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("key", ctx.ref(i.get("targetKeyId"), name))


def _r_log_group(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    retention = i.get("retentionInDays")
    f.kv("retention", _days(retention) if retention else "never-expires")
    f.kv("kms", ctx.ref(i.get("kmsKeyId"), name) if i.get("kmsKeyId") else "aws-owned")
    f.kv("class", i.get("logGroupClass"))


def _r_trail(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.onoff("logging", i.get("enableLogging", True))
    f.onoff("multiRegion", i.get("isMultiRegionTrail", False))
    f.onoff("validation", i.get("enableLogFileValidation", False))
    f.onoff("globalEvents", i.get("includeGlobalServiceEvents", True))
    f.kv("kms", ctx.ref(i.get("kmsKeyId"), name) if i.get("kmsKeyId") else "none")
    f.kv("bucket", ctx.ref(i.get("s3BucketName"), name))
    f.kv("logGroup", ctx.ref(i.get("cloudWatchLogsGroupArn"), name))
    f.flag("dataEvents", bool(i.get("eventSelectors") or i.get("advancedEventSelectors")))
    f.flag("insights", bool(i.get("insightSelectors")))


def _r_bucket(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.flag("forceDestroy", i.get("forceDestroy") is True)
    f.flag("objectLock", i.get("objectLockEnabled") is True)
    f.kv("acl", i.get("acl") if i.get("acl") not in (None, "private") else None)
    enc = _get(i, "serverSideEncryptionConfiguration.rule.applyServerSideEncryptionByDefault")
    if isinstance(enc, dict):
        f.kv("sse", enc.get("sseAlgorithm"))
    if isinstance(i.get("versioning"), dict):
        f.onoff("versioning", i["versioning"].get("enabled"))
    doc = _json_doc(i.get("policy"))
    if doc is not None:
        _resource_policy(f, ctx, doc)


def _r_public_access_block(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    keys = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    off = [k for k in keys if i.get(k) is not True]
    f.bare("block", "all-blocked" if not off else f"NOT:{','.join(off)}")
    f.kv("bucket", ctx.ref(i.get("bucket"), name))


def _r_ownership(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("ownership", _get(i, "rule.objectOwnership"))
    f.kv("bucket", ctx.ref(i.get("bucket"), name))


def _r_bucket_policy(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("bucket", ctx.ref(i.get("bucket"), name))
    _resource_policy(f, ctx, _json_doc(i.get("policy")))


def _r_bucket_logging(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("bucket", ctx.ref(i.get("bucket"), name))
    f.kv("to", ctx.ref(i.get("targetBucket"), name) or "self")


def _r_bucket_sse(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("bucket", ctx.ref(i.get("bucket"), name))
    for rule in _as_list(i.get("rules")):
        if isinstance(rule, dict):
            default = rule.get("applyServerSideEncryptionByDefault") or {}
            f.bare("sse", default.get("sseAlgorithm"))
            f.kv("kms", ctx.ref(default.get("kmsMasterKeyId"), name))
            f.flag("bucketKey", rule.get("bucketKeyEnabled") is True)


def _r_bucket_versioning(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("bucket", ctx.ref(i.get("bucket"), name))
    f.kv("versioning", _get(i, "versioningConfiguration.status"))
    f.kv("mfaDelete", _get(i, "versioningConfiguration.mfaDelete"))


def _r_bucket_lifecycle(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("bucket", ctx.ref(i.get("bucket"), name))
    for rule in _as_list(i.get("rules")):
        if not isinstance(rule, dict) or rule.get("status") == "Disabled":
            continue
        parts = [
            f"{t.get('storageClass')}@{_num(t.get('days'))}d"
            for t in _as_list(rule.get("transitions"))
            if isinstance(t, dict)
        ]
        if _get(rule, "expiration.days"):
            parts.append(f"expire@{_num(_get(rule, 'expiration.days'))}d")
        if _get(rule, "noncurrentVersionExpiration.noncurrentDays"):
            days = _num(_get(rule, "noncurrentVersionExpiration.noncurrentDays"))
            parts.append(f"noncurrent@{days}d")
        f.kv("lifecycle", ",".join(parts))


def _r_rds(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("engine", f"{_num(i.get('engine'))} {_num(i.get('engineVersion'))}".strip())
    f.bare("class", i.get("instanceClass"))
    f.onoff("multiAz", i.get("multiAz", False))
    storage = f"{_num(i.get('allocatedStorage'))}GB" if i.get("allocatedStorage") else ""
    if i.get("maxAllocatedStorage"):
        storage += f"->{_num(i['maxAllocatedStorage'])}GB"
    f.kv("storage", f"{storage} {i.get('storageType') or ''}".strip())
    f.kv("iops", i.get("iops"))
    f.onoff("encrypted", i.get("storageEncrypted", False))
    f.kv("kms", ctx.ref(i.get("kmsKeyId"), name))
    f.kv("backup", _days(i.get("backupRetentionPeriod", 1)))
    f.onoff("deletionProtection", i.get("deletionProtection", False))
    if i.get("skipFinalSnapshot") is True:
        f.flag("skipFinalSnapshot")
    f.onoff("public", i.get("publiclyAccessible", False))
    f.kv("port", i.get("port"))
    f.onoff("iamAuth", i.get("iamDatabaseAuthenticationEnabled"))
    if i.get("manageMasterUserPassword"):
        f.kv("masterPassword", "managed")
    if i.get("performanceInsightsEnabled"):
        f.kv("perfInsights", _days(i.get("performanceInsightsRetentionPeriod", 7)))
    if i.get("monitoringInterval"):
        f.kv("monitoring", f"{_num(i['monitoringInterval'])}s")
    f.kv("logs", ",".join(map(str, _as_list(i.get("enabledCloudwatchLogsExports")))))
    f.kv("ca", i.get("caCertIdentifier"))
    f.onoff("autoMinorUpgrade", i.get("autoMinorVersionUpgrade"))
    f.kv("params", ctx.ref(i.get("parameterGroupName"), name))
    f.kv("subnets", ctx.ref(i.get("dbSubnetGroupName"), name))
    f.kv("sg", ctx.ref(i.get("vpcSecurityGroupIds"), name))
    f.kv("replicaOf", ctx.ref(i.get("replicateSourceDb"), name))
    for key in ("password", "masterPassword"):
        if i.get(key) is not None:
            f.kv(key, SECRET if i[key] == SECRET else "set")


def _r_param_group(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("family", i.get("family"))
    for p in _as_list(i.get("parameters")):
        if isinstance(p, dict):
            f.kv(str(p.get("name")), p.get("value"))


def _r_subnet_group(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("subnets", ctx.ref(i.get("subnetIds"), name))


def _r_backup_replication(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("source", ctx.ref(i.get("sourceDbInstanceArn"), name))
    f.kv("retention", _days(i.get("retentionPeriod", 7)))
    f.kv("kms", ctx.ref(i.get("kmsKeyId"), name))


def _r_topic(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("kms", ctx.ref(i.get("kmsMasterKeyId"), name) if i.get("kmsMasterKeyId") else "none")
    f.flag("fifo", i.get("fifoTopic") is True)
    doc = _json_doc(i.get("policy"))
    if doc is not None:
        _resource_policy(f, ctx, doc)


def _r_topic_policy(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.kv("topic", ctx.ref(i.get("arn"), name))
    _resource_policy(f, ctx, _json_doc(i.get("policy")))


def _r_subscription(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("protocol", i.get("protocol"))
    endpoint = ctx.ref(i.get("endpoint"), name)
    f.kv("to", endpoint if endpoint is None or endpoint not in name else None)
    f.kv("topic", ctx.ref(i.get("topic"), name))


_OPS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": ">=",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "<=",
}


def _r_alarm(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    metric = i.get("metricName")
    if not metric:
        queries = [q for q in _as_list(i.get("metricQueries")) if isinstance(q, dict)]
        metric = next((q.get("id") for q in queries if q.get("returnData")), "math")
    op = _OPS.get(str(i.get("comparisonOperator")), str(i.get("comparisonOperator")))
    f.bare("when", f"{metric}{op}{_num(i.get('threshold'))}")
    f.kv("periods", i.get("evaluationPeriods"))
    f.kv("actions", ctx.ref(i.get("alarmActions"), name) or "none")


def _r_budget(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("limit", f"{_num(i.get('limitAmount'))}{i.get('limitUnit') or ''}/{i.get('timeUnit')}")
    f.kv("type", i.get("budgetType") if i.get("budgetType") != "COST" else None)
    alerts = [
        f"{_num(n.get('threshold'))}{'%' if n.get('thresholdType') == 'PERCENTAGE' else ''}"
        f"{'fc' if n.get('notificationType') == 'FORECASTED' else ''}"
        for n in _as_list(i.get("notifications"))
        if isinstance(n, dict)
    ]
    f.kv("alerts", ",".join(alerts))


def _r_anomaly_subscription(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.bare("frequency", i.get("frequency"))
    values = _get(i, "thresholdExpression.dimension.values")
    f.kv("threshold", ",".join(map(str, _as_list(values))))


def _r_namespace(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    labels = _get(i, "metadata.labels") or {}
    pss = [labels.get(f"pod-security.kubernetes.io/{m}") for m in ("enforce", "audit", "warn")]
    f.kv("pss", "/".join(str(p or "-") for p in pss) if any(pss) else "none")
    ns = str(_get(i, "metadata.name") or "")
    f.kv("ns", ns if ns not in name else None)


def _r_service_account(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    f.onoff("automount", i.get("automountServiceAccountToken"))
    annotations = _get(i, "metadata.annotations") or {}
    f.kv("role", ctx.ref(annotations.get("eks.amazonaws.com/role-arn"), name))


def _r_nothing(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    """Types whose inputs hold nothing security- or cost-relevant (routing tables, gateways,
    dashboards): their names are the fact."""


RENDERERS: dict[str, _Renderer] = {
    "aws:ec2/vpc:Vpc": _r_vpc,
    "aws:ec2/subnet:Subnet": _r_subnet,
    "aws:ec2/route:Route": _r_route,
    "aws:ec2/routeTable:RouteTable": _r_route_table,
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _r_rt_assoc,
    "aws:ec2/internetGateway:InternetGateway": _r_nothing,
    "aws:ec2/securityGroup:SecurityGroup": _sg,
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _sg,
    "aws:ec2/securityGroupRule:SecurityGroupRule": _r_sg_rule,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _r_sg_vpc_rule("in"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _r_sg_vpc_rule("out"),
    "aws:ec2/natGateway:NatGateway": _r_nat,
    "aws:ec2/eip:Eip": _r_eip,
    "aws:ec2/vpcEndpoint:VpcEndpoint": _r_endpoint,
    "aws:ec2/flowLog:FlowLog": _r_flow_log,
    "aws:ec2/launchTemplate:LaunchTemplate": _r_launch_template,
    "aws:eks/cluster:Cluster": _r_eks_cluster,
    "aws:eks/nodeGroup:NodeGroup": _r_node_group,
    "aws:eks/addon:Addon": _r_addon,
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _r_oidc,
    "aws:iam/role:Role": _r_role,
    "aws:iam/rolePolicy:RolePolicy": _r_role_policy,
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _r_policy_attachment,
    "aws:iam/policy:Policy": _r_iam_policy,
    "aws:kms/key:Key": _r_kms_key,
    "aws:kms/alias:Alias": _r_kms_alias,
    "aws:cloudwatch/logGroup:LogGroup": _r_log_group,
    "aws:cloudtrail/trail:Trail": _r_trail,
    "aws:s3/bucket:Bucket": _r_bucket,
    "aws:s3/bucketV2:BucketV2": _r_bucket,
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _r_public_access_block,
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _r_ownership,
    "aws:s3/bucketPolicy:BucketPolicy": _r_bucket_policy,
    "aws:s3/bucketLogging:BucketLogging": _r_bucket_logging,
    "aws:s3/bucketLoggingV2:BucketLoggingV2": _r_bucket_logging,
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": (
        _r_bucket_sse
    ),
    "aws:s3/bucketVersioning:BucketVersioning": _r_bucket_versioning,
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _r_bucket_lifecycle,
    "aws:rds/instance:Instance": _r_rds,
    "aws:rds/parameterGroup:ParameterGroup": _r_param_group,
    "aws:rds/subnetGroup:SubnetGroup": _r_subnet_group,
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
        _r_backup_replication
    ),
    "aws:sns/topic:Topic": _r_topic,
    "aws:sns/topicPolicy:TopicPolicy": _r_topic_policy,
    "aws:sns/topicSubscription:TopicSubscription": _r_subscription,
    "aws:cloudwatch/metricAlarm:MetricAlarm": _r_alarm,
    "aws:cloudwatch/dashboard:Dashboard": _r_nothing,
    "aws:budgets/budget:Budget": _r_budget,
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": _r_nothing,
    "aws:costexplorer/anomalySubscription:AnomalySubscription": _r_anomaly_subscription,
    "kubernetes:core/v1:Namespace": _r_namespace,
    "kubernetes:core/v1:ServiceAccount": _r_service_account,
}

# For types without a renderer: the inputs whose key says they matter for security or cost.
_RELEVANT = re.compile(
    r"encrypt|kms|public|retention|backup|deletion|protect|multiaz|version|engine|class|"
    r"instancetype|capacity|size|storage|iops|throughput|port|cidr|ssl|tls|https|logging|"
    r"rotation|policy|principal|acl|admin|password|token|replica|snapshot|tier|memory|cpu|"
    r"count|min|max|desired|ttl|expir|lifecycle",
    re.IGNORECASE,
)


def _generic(f: _Facts, ctx: _Ctx, i: dict[str, Any], name: str) -> None:
    for key, value in i.items():
        if key.startswith("__") or not _RELEVANT.search(key):
            continue
        doc = _json_doc(value)
        if isinstance(doc, dict) and "Statement" in doc:
            _resource_policy(f, ctx, doc, key)
        elif not isinstance(value, dict | list):
            f.kv(key, ctx.ref(value, name) if isinstance(value, str) else value)
        else:
            f.kv(key, value)


def _secret_paths(value: Any, path: str = "") -> list[str]:
    """Paths of the secret values inside a redacted value."""
    if value == SECRET:
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _secret_paths(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [p for n, v in enumerate(value) for p in _secret_paths(v, f"{path}[{n}]")]
    return []


def resource_facts(r: Resource, ctx: _Ctx) -> list[Fact]:
    """The security- and cost-relevant settings of one resource, from its (redacted) inputs."""
    inputs = _redact(r.inputs)
    ctx.self_urn = r.urn
    f = _Facts()
    try:
        RENDERERS.get(r.type, _generic)(f, ctx, inputs, r.name)
    except SHAPE_ERRORS as exc:  # refused, not described as what it is not (public, say)
        raise SummaryError(f"{misshapen(r, exc)}; the summary cannot describe it") from exc
    shown = {key for key, _, _ in f.items}
    for path in _secret_paths(inputs):
        if path not in shown and path.split(".")[0] not in shown:
            f.kv(path, SECRET)
    region = _provider_region(ctx.export, r)
    if region and region != ctx.region:
        f.kv("region", region)
    if r.raw.get("protect"):
        f.flag("protect")
    return f.items


def _fact_text(fact: Fact) -> str:
    key, value, bare = fact
    if bare:
        return value
    return f"{key}={value}" if value else key


def _facts_text(facts: Iterable[Fact]) -> str:
    return " ".join(_fact_text(x) for x in facts)


def _facts_json(facts: Iterable[Fact]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value, _ in facts:
        shown: Any = value if value else True
        if key in out:
            prior = out[key]
            out[key] = [*prior, shown] if isinstance(prior, list) else [prior, shown]
        else:
            out[key] = shown
    return out


# --------------------------------------------------------------------------- inputs from tools


@dataclass(frozen=True)
class Finding:
    """One violation of the policy gate, as the summary shows it."""

    pack: str
    policy: str
    level: str
    severity: str
    urn: str
    resource: str  # logical name, or `(stack)` for a stack-level violation
    type: str  # short type
    detail: str

    def to_json(self) -> dict[str, str]:
        return {
            "pack": self.pack,
            "policy": self.policy,
            "level": self.level,
            "severity": self.severity,
            "resource": self.resource,
            "type": self.type,
            "urn": self.urn,
            "detail": self.detail,
        }


def _findings(export: StackExport, violations: Any) -> list[Finding] | None:
    """Violations as `GateResult`, a sequence of `Violation`s or of their JSON objects
    (`python -m agents policy --json`)."""
    if violations is None:
        return None
    items = getattr(violations, "violations", violations)
    if isinstance(items, Mapping) or not isinstance(items, Iterable):
        raise SummaryError("violations: expected the gate's result or a list of violations")
    out = []
    for n, v in enumerate(items):
        get = v.get if isinstance(v, Mapping) else lambda k, _v=v: getattr(_v, k, None)
        urn, name, message = get("urn"), get("policyName"), get("message")
        if not isinstance(name, str) or not isinstance(message, str):
            raise SummaryError(f"violations[{n}]: has no 'policyName' and 'message'")
        urn = urn if isinstance(urn, str) else ""
        r = export.index.get(urn)
        out.append(
            Finding(
                pack=str(get("policyPack") or ""),
                policy=name,
                level=str(get("enforcementLevel") or "advisory"),
                severity=str(get("severity") or ""),
                urn=urn,
                resource=r.name if r is not None else urn.rsplit("::", 1)[-1] or "(stack)",
                type=short_type(r.type) if r is not None else "",
                detail=message.split("\n", 1)[1] if "\n" in message else message,
            )
        )
    order = {"mandatory": 0, "advisory": 1}
    return sorted(out, key=lambda x: (order.get(x.level, 2), x.pack, x.policy, x.urn))


@dataclass(frozen=True)
class CostTotals:
    """The parts of a cost estimate the summary shows."""

    total: float
    by_component: tuple[tuple[str, float, int], ...]
    by_urn: dict[str, float]
    not_priced: tuple[tuple[str, int, str], ...]  # (type, count, reason)
    price_date: str

    def to_json(self) -> dict[str, Any]:
        return {
            "monthlyTotal": round(self.total, 2),
            "byComponent": {c: round(m, 2) for c, m, _ in self.by_component},
            "notPriced": [{"type": t, "count": n, "reason": r} for t, n, r in self.not_priced],
            "priceDate": self.price_date,
        }


def _cost(cost: Any) -> CostTotals | None:
    """An `toolchain.cost.Estimate`, or its JSON (`python -m agents cost --json`)."""
    if cost is None:
        return None
    if hasattr(cost, "to_json") and not isinstance(cost, Mapping):
        cost = cost.to_json()
    if not isinstance(cost, Mapping) or "monthlyTotal" not in cost:
        raise SummaryError("cost: expected an estimate or its JSON (with 'monthlyTotal')")
    by_urn: dict[str, float] = defaultdict(float)
    for line in cost.get("resources") or []:
        by_urn[str(line.get("urn"))] += float(line.get("monthly") or 0.0)
    return CostTotals(
        total=float(cost["monthlyTotal"]),
        by_component=tuple(
            (str(c["component"]), float(c["monthly"]), int(c.get("resources") or 0))
            for c in cost.get("byComponent") or []
        ),
        by_urn=dict(by_urn),
        not_priced=tuple(
            (str(g.get("type")), int(g.get("count") or 0), str(g.get("reason")))
            for g in cost.get("notPriced") or []
        ),
        price_date=str((cost.get("prices") or {}).get("date") or ""),
    )


def _usd(x: float) -> str:
    return f"${x:,.2f}"


# --------------------------------------------------------------------------- the summary


@dataclass(frozen=True)
class ResourceSummary:
    name: str
    type: str  # full type token
    urn: str
    facts: tuple[Fact, ...]

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "settings": _facts_json(self.facts)}


@dataclass(frozen=True)
class ComponentSummary:
    name: str
    type: str
    protected: bool  # the component and every resource in it carry `protect`
    monthly: float | None
    violations: int
    resources: tuple[ResourceSummary, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "protected": self.protected,
            "monthly": None if self.monthly is None else round(self.monthly, 2),
            "violations": self.violations,
            "resources": [r.to_json() for r in self.resources],
        }


@dataclass(frozen=True)
class PropertyChange:
    path: str
    old: str
    new: str


@dataclass(frozen=True)
class Change:
    kind: str  # added | removed | replaced | changed
    name: str
    type: str
    component: str
    changes: tuple[PropertyChange, ...] = ()
    replace_keys: tuple[str, ...] = ()
    facts: tuple[Fact, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "change": self.kind,
            "name": self.name,
            "type": self.type,
            "component": self.component,
        }
        if self.changes:
            out["properties"] = [{"path": c.path, "old": c.old, "new": c.new} for c in self.changes]
        if self.replace_keys:
            out["replaceBecause"] = list(self.replace_keys)
        if self.facts:
            out["settings"] = _facts_json(self.facts)
        return out


@dataclass(frozen=True)
class ChangeSet:
    baseline: str
    resources: tuple[Change, ...]
    outputs: tuple[PropertyChange, ...]

    def of(self, kind: str) -> list[Change]:
        return [c for c in self.resources if c.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "counts": {k: len(self.of(k)) for k in ("added", "removed", "replaced", "changed")},
            "resources": [c.to_json() for c in self.resources],
            "outputs": [{"name": o.path, "old": o.old, "new": o.new} for o in self.outputs],
        }


@dataclass(frozen=True)
class InfraSummary:
    stack: str
    project: str
    source: str
    resources: int
    managed: int
    providers: tuple[tuple[str, str, str], ...]  # (name, short type, region)
    default_tags: str
    components: tuple[ComponentSummary, ...]
    outputs: tuple[tuple[str, str], ...]  # (name, value with secrets as [secret])
    violations: tuple[Finding, ...] | None
    cost: CostTotals | None
    changes: ChangeSet | None = None
    stack_name: str = ""  # the logical name of the Stack resource
    nat_gateways: int = 0
    regions: tuple[str, ...] = field(default=())
    # What the reader must know about how the summary was made: the policy config the gate ran
    # with, when it is the default one and not the stack's own (`policy_violations`).
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "project": self.project,
            "source": self.source,
            "resources": self.resources,
            "managed": self.managed,
            "regions": list(self.regions),
            "natGateways": self.nat_gateways,
            "providers": [{"name": n, "type": t, "region": r} for n, t, r in self.providers],
            "defaultTags": self.default_tags,
            "violations": None
            if self.violations is None
            else [v.to_json() for v in self.violations],
            "cost": None if self.cost is None else self.cost.to_json(),
            "components": [c.to_json() for c in self.components],
            "outputs": dict(self.outputs),
            "changes": None if self.changes is None else self.changes.to_json(),
            "notes": list(self.notes),
        }


def _as_export(export: Any, what: str) -> StackExport:
    if isinstance(export, StackExport):
        return export
    if isinstance(export, str | Path):
        return load_export(export)
    if isinstance(export, Mapping):
        return parse_export(dict(export), what)
    raise SummaryError(f"{what}: expected a stack export, its JSON or a file path")


def _tags_text(raw: Any) -> str:
    doc = _json_doc(raw) if isinstance(raw, str) else raw
    tags = doc.get("tags", doc) if isinstance(doc, dict) else None
    if not isinstance(tags, dict):
        return ""
    return " ".join(f"{k}={_flat(_redact(v))}" for k, v in tags.items())


def summarize_infra(
    export: StackExport | Mapping[str, Any] | str | Path,
    *,
    violations: Any = None,
    cost: Any = None,
    baseline: StackExport | Mapping[str, Any] | str | Path | None = None,
    notes: Sequence[str] = (),
) -> InfraSummary:
    """Summarize an export. `violations`: the gate's `GateResult`, its violations or their JSON;
    `cost`: an `Estimate` or its JSON; `baseline`: an earlier export for the change set; `notes`:
    lines for the head. The `notice` of a `GateResult` or of `policy_violations`' list (the gate
    ran with the default policy config) is one of the notes. Nothing is run here:
    `summarize_checked` runs the gate and the estimate."""
    exp = _as_export(export, "export")
    notice = getattr(violations, "notice", None)
    head_notes = tuple(dict.fromkeys([*notes, *([notice] if isinstance(notice, str) else [])]))
    ctx = _context(exp)
    stack, project = _stack_and_project(exp)
    findings = _findings(exp, violations)
    totals = _cost(cost)
    flagged: dict[str, list[str]] = defaultdict(list)
    for v in findings or []:
        flagged[v.urn].append(v.policy)

    members: dict[str, list[Resource]] = defaultdict(list)
    heads: dict[str, Resource] = {}
    providers = []
    stack_name = ""
    for r in exp.resources:
        if r.type == STACK_TYPE:
            stack_name = r.name
            continue
        if r.is_provider:
            region = r.inputs.get("region")
            providers.append(
                (r.name, short_type(r.type), region if isinstance(region, str) else "")
            )
            continue
        component = exp.component_of(r)
        if not r.custom and r.name == component and r.parent in exp.index:
            parent = exp.index[r.parent]
            if parent.type == STACK_TYPE:
                heads[component] = r
                continue
        members[component].append(r)

    comp_cost: dict[str, float] = {c: m for c, m, _ in totals.by_component} if totals else {}
    components = []
    for name in dict.fromkeys([*heads, *members]):
        rs = members.get(name, [])
        head = heads.get(name)
        protected = bool(rs) and all(r.raw.get("protect") for r in rs)
        protected = protected and (head is None or bool(head.raw.get("protect")))
        summaries = []
        for r in rs:
            facts = resource_facts(r, ctx)
            if protected:
                facts = [x for x in facts if x[0] != "protect"]
            if totals is not None and totals.by_urn.get(r.urn, 0.0) >= 0.005:
                facts.append(("$", f"${totals.by_urn[r.urn]:,.2f}", True))
            facts.extend((f"!{p}", "", False) for p in flagged.get(r.urn, []))
            summaries.append(ResourceSummary(r.name, r.type, r.urn, tuple(facts)))
        components.append(
            ComponentSummary(
                name=name,
                type=head.type if head is not None else "",
                protected=protected,
                monthly=comp_cost.get(name) if totals is not None else None,
                violations=sum(len(flagged.get(r.urn, [])) for r in rs),
                resources=tuple(summaries),
            )
        )

    tags = {_tags_text(p.inputs.get("defaultTags")) for p in exp.resources if p.is_provider}
    tags.discard("")
    outputs = tuple(
        (k, _clip(_flat(_redact(v)), MAX_OUTPUT_CHARS)) for k, v in exp.stack_outputs.items()
    )
    regions = sorted({p[2] for p in providers if p[2]})
    return InfraSummary(
        stack=stack,
        project=project,
        source=exp.source,
        resources=len(exp.resources),
        managed=sum(1 for r in exp.resources if r.managed),
        providers=tuple(providers),
        default_tags=" | ".join(sorted(tags)),
        components=tuple(components),
        outputs=outputs,
        violations=None if findings is None else tuple(findings),
        cost=totals,
        changes=None if baseline is None else diff_exports(_as_export(baseline, "baseline"), exp),
        stack_name=stack_name,
        nat_gateways=len(exp.of_type("aws:ec2/natGateway:NatGateway")),
        regions=tuple(regions),
        notes=head_notes,
    )


# --------------------------------------------------------------------------- change set

# Inputs the AWS provider cannot change in place (ForceNew in its schema), for the types this
# platform uses: a change to one of them replaces the resource. Not exhaustive; any other change is
# shown as an update.
FORCE_NEW: dict[str, frozenset[str]] = {
    k: frozenset(v.split())
    for k, v in {
        "aws:ec2/vpc:Vpc": "cidrBlock ipv4IpamPoolId",
        "aws:ec2/subnet:Subnet": "vpcId cidrBlock availabilityZone availabilityZoneId",
        "aws:ec2/securityGroup:SecurityGroup": "name namePrefix description vpcId",
        "aws:ec2/eip:Eip": "domain networkBorderGroup",
        "aws:ec2/natGateway:NatGateway": "allocationId subnetId connectivityType privateIp",
        "aws:ec2/route:Route": "routeTableId destinationCidrBlock destinationIpv6CidrBlock "
        "destinationPrefixListId",
        "aws:ec2/routeTable:RouteTable": "vpcId",
        "aws:ec2/routeTableAssociation:RouteTableAssociation": "subnetId gatewayId",
        "aws:ec2/vpcEndpoint:VpcEndpoint": "vpcId serviceName vpcEndpointType",
        "aws:ec2/flowLog:FlowLog": "logDestination logDestinationType trafficType vpcId "
        "iamRoleArn maxAggregationInterval logFormat subnetId",
        "aws:ec2/launchTemplate:LaunchTemplate": "name namePrefix",
        "aws:ec2/securityGroupRule:SecurityGroupRule": "type fromPort toPort protocol "
        "cidrBlocks ipv6CidrBlocks securityGroupId sourceSecurityGroupId self prefixListIds",
        "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": "securityGroupId",
        "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": "securityGroupId",
        "aws:eks/cluster:Cluster": "name roleArn encryptionConfig kubernetesNetworkConfig",
        "aws:eks/nodeGroup:NodeGroup": "clusterName nodeGroupName nodeGroupNamePrefix "
        "nodeRoleArn subnetIds amiType capacityType diskSize instanceTypes remoteAccess",
        "aws:eks/addon:Addon": "clusterName addonName",
        "aws:rds/instance:Instance": "engine dbName kmsKeyId storageEncrypted username "
        "availabilityZone characterSetName snapshotIdentifier timezone",
        "aws:rds/parameterGroup:ParameterGroup": "name namePrefix family description",
        "aws:rds/subnetGroup:SubnetGroup": "name namePrefix",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication": (
            "kmsKeyId retentionPeriod sourceDbInstanceArn preSignedUrl"
        ),
        "aws:kms/key:Key": "customerMasterKeySpec keySpec keyUsage multiRegion",
        "aws:kms/alias:Alias": "name namePrefix",
        "aws:s3/bucket:Bucket": "bucket bucketPrefix objectLockEnabled",
        "aws:s3/bucketV2:BucketV2": "bucket bucketPrefix objectLockEnabled",
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": "bucket",
        "aws:s3/bucketOwnershipControls:BucketOwnershipControls": "bucket",
        "aws:s3/bucketPolicy:BucketPolicy": "bucket",
        "aws:s3/bucketLogging:BucketLogging": "bucket",
        "aws:s3/bucketServerSideEncryptionConfiguration:"
        "BucketServerSideEncryptionConfiguration": "bucket",
        "aws:s3/bucketVersioning:BucketVersioning": "bucket",
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": "bucket",
        "aws:cloudwatch/logGroup:LogGroup": "name namePrefix",
        "aws:cloudtrail/trail:Trail": "name",
        "aws:iam/role:Role": "name namePrefix path",
        "aws:iam/rolePolicy:RolePolicy": "name namePrefix role",
        "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "role policyArn",
        "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "url",
        "aws:sns/topic:Topic": "name namePrefix fifoTopic",
        "aws:sns/topicPolicy:TopicPolicy": "arn",
        "aws:sns/topicSubscription:TopicSubscription": "topic endpoint protocol",
        "aws:cloudwatch/dashboard:Dashboard": "dashboardName",
        "aws:budgets/budget:Budget": "name namePrefix accountId",
        "aws:costexplorer/anomalyMonitor:AnomalyMonitor": "monitorType monitorDimension "
        "monitorSpecification",
        "kubernetes:core/v1:Namespace": "metadata.name",
        "kubernetes:core/v1:ServiceAccount": "metadata.name metadata.namespace",
    }.items()
}

_Leaf = tuple[str, str]  # (comparable form, shown form)


def _leaf(value: Any, ctx: _Ctx, own: str) -> _Leaf:  # own: the resource's URN
    """A plain value as compared and shown: a reference to another resource by that resource's
    logical name (so dev and prod, whose ids differ, compare equal where they point at the same
    resource), anything else (the resource's own names included) by its value."""
    name = ctx.refs.name(value, own)
    if name is not None:
        return json.dumps(["ref", name]), name
    return json.dumps(value, sort_keys=True), _num(value)


def _leaves(value: Any, path: str, ctx: _Ctx, own: str, out: dict[str, _Leaf]) -> None:
    """Flatten a property into path -> leaf; JSON documents in strings are opened; lists of
    plain values are one leaf (an insertion is one change, not a shift of every index)."""
    if is_secret(value):
        out[path] = (json.dumps(value, sort_keys=True), SECRET)
        return
    doc = _json_doc(value)
    if isinstance(doc, dict | list):
        value = doc
    if isinstance(value, dict):
        for k, v in value.items():
            if not str(k).startswith("__"):
                _leaves(v, f"{path}.{k}" if path else str(k), ctx, own, out)
        return
    if isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for n, v in enumerate(value):
            _leaves(v, f"{path}[{n}]", ctx, own, out)
        return
    if isinstance(value, list):
        leaves = [_leaf(v, ctx, own) for v in value]
        shown = ",".join(x[1] for x in leaves)
        out[path] = (json.dumps([x[0] for x in leaves]), _clip(f"[{shown}]"))
        return
    compared, shown = _leaf(value, ctx, own)
    out[path] = (compared, _clip(shown))


def _property_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    old_ctx: _Ctx,
    new_ctx: _Ctx,
    urns: tuple[str, str] = ("", ""),
) -> list[PropertyChange]:
    a: dict[str, _Leaf] = {}
    b: dict[str, _Leaf] = {}
    _leaves(dict(old), "", old_ctx, urns[0], a)
    _leaves(dict(new), "", new_ctx, urns[1], b)
    out = []
    for path in dict.fromkeys([*a, *b]):
        x, y = a.get(path), b.get(path)
        if x is not None and y is not None and x[0] == y[0]:
            continue
        out.append(PropertyChange(path, x[1] if x else "(none)", y[1] if y else "(none)"))
    return out


def _top(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def diff_exports(baseline: StackExport, export: StackExport) -> ChangeSet:
    """What changes from `baseline` to `export`, resource by resource (matched by URN without the
    stack), and the stack outputs that change. A reference is compared by the logical name it
    points to, so dev and prod (whose ids differ) compare equal where they point at the same
    resource; a replaced resource is reported once, not on every resource pointing to it."""
    old_ctx, new_ctx = _context(baseline), _context(export)
    same_stack = _stack_and_project(baseline)[0] == _stack_and_project(export)[0]
    before = {_stack_key(r.urn): r for r in baseline.resources if r.type != STACK_TYPE}
    after = {_stack_key(r.urn): r for r in export.resources if r.type != STACK_TYPE}
    changes: list[Change] = []
    for key, r in after.items():
        component = export.component_of(r)
        old = before.get(key)
        if old is None:
            facts = resource_facts(r, new_ctx) if r.custom else []
            changes.append(Change("added", r.name, r.type, component, facts=tuple(facts)))
            continue
        props = _property_changes(old.inputs, r.inputs, old_ctx, new_ctx, (old.urn, r.urn))
        if bool(old.raw.get("protect")) != bool(r.raw.get("protect")):
            props.append(PropertyChange("(protect)", _num(bool(old.raw.get("protect"))),
                                        _num(bool(r.raw.get("protect")))))  # fmt: skip
        old_region = _provider_region(baseline, old)
        new_region = _provider_region(export, r)
        if old_region != new_region:
            props.append(PropertyChange("(region)", old_region or "-", new_region or "-"))
        force = FORCE_NEW.get(r.type, frozenset())
        reasons = [
            p.path
            for p in props
            if _top(p.path) in force or p.path in force or p.path == "(region)"
        ]
        old_id, new_id = old.raw.get("id"), r.raw.get("id")
        if same_stack and r.custom and old_id and new_id and old_id != new_id:
            reasons.append("(new id)")
        if reasons:
            changes.append(
                Change("replaced", r.name, r.type, component, tuple(props), tuple(reasons))
            )
        elif props:
            changes.append(Change("changed", r.name, r.type, component, tuple(props)))
    for key, r in before.items():
        if key not in after:
            changes.append(Change("removed", r.name, r.type, baseline.component_of(r)))
    outputs = _property_changes(
        {k: v for k, v in baseline.stack_outputs.items()},
        {k: v for k, v in export.stack_outputs.items()},
        old_ctx,
        new_ctx,
    )
    return ChangeSet(baseline.source, tuple(changes), tuple(outputs))


# --------------------------------------------------------------------------- text


@dataclass(frozen=True)
class _Block:
    """One block of the report: its forms from the fullest to the shortest, what it is, and
    what each shorter form leaves out."""

    label: str
    forms: tuple[str, ...]
    loses: tuple[str, ...]  # loses[n - 1]: what forms[n] leaves out


def _type_lines(rs: Sequence[ResourceSummary], detail: int) -> list[str]:
    """Lines of one type in one component. detail 2: settings; 1: names only; 0: count."""
    kind = short_type(rs[0].type)
    if detail == 0:
        return [f"{kind} x{len(rs)}"]  # joined into one line by _component_text
    if detail == 1:
        return [f"{kind} {', '.join(r.name for r in rs)}"]
    common: list[Fact] = []
    if len(rs) > 1:
        common = [x for x in rs[0].facts if all(x in r.facts for r in rs[1:])]
    groups: dict[str, list[str]] = {}
    for r in rs:
        rest = _facts_text(x for x in r.facts if x not in common)
        groups.setdefault(rest, []).append(r.name)
    shared = _facts_text(common)
    if len(groups) == 1:
        (rest, names), = groups.items()  # fmt: skip
        settings = " ".join(s for s in (shared, rest) if s)
        return [f"{kind} {', '.join(names)}" + (f": {settings}" if settings else "")]
    lines = [f"{kind} x{len(rs)}" + (f": {shared}" if shared else "")]
    lines.extend(
        f" {', '.join(names)}" + (f": {rest}" if rest else "") for rest, names in groups.items()
    )
    return lines


def _component_head(c: ComponentSummary) -> str:
    bits = [f"## {c.name}"]
    if c.monthly is not None:
        bits.append(f"{_usd(c.monthly)}/mo")
    if c.protected:
        bits.append("protect=all")
    if c.violations:
        bits.append(f"violations={c.violations}")
    return " ".join(bits)


def _component_text(c: ComponentSummary, detail: int) -> str:
    by_type: dict[str, list[ResourceSummary]] = {}
    for r in c.resources:
        by_type.setdefault(r.type, []).append(r)
    if detail == 0:
        counts = ", ".join(_type_lines(rs, 0)[0] for rs in by_type.values())
        return f"{_component_head(c)}: {counts}" if counts else _component_head(c)
    lines = [_component_head(c)]
    for rs in by_type.values():
        lines.extend(_type_lines(rs, detail))
    return "\n".join(lines)


def _change_line(ch: Change, detail: int) -> str:
    sign = {"added": "+", "removed": "-", "replaced": "±", "changed": "~"}[ch.kind]
    head = f"{sign} {short_type(ch.type)} {ch.name}"
    if detail == 0:
        return head
    if ch.kind == "replaced":
        head += f" [replace: {','.join(ch.replace_keys)}]"
    if ch.kind == "added" and ch.facts:
        return f"{head}: {_facts_text(ch.facts)}"
    if ch.changes:
        if detail == 1:
            return f"{head}: {', '.join(p.path for p in ch.changes)}"
        return f"{head}: " + "; ".join(f"{p.path}: {p.old} -> {p.new}" for p in ch.changes)
    return head


def _blocks(s: InfraSummary) -> list[_Block]:
    """The report's blocks, most important first."""
    blocks: list[_Block] = []
    order = sorted(
        s.components,
        key=lambda c: (-c.violations, -(c.monthly or 0.0), -len(c.resources)),
    )
    rank = {c.name: n for n, c in enumerate(order)}
    if s.changes is not None:
        by_comp: dict[str, list[Change]] = {}
        for ch in s.changes.resources:
            by_comp.setdefault(ch.component, []).append(ch)
        for comp, chs in sorted(by_comp.items(), key=lambda kv: rank.get(kv[0], len(rank))):
            forms = tuple(
                "\n".join([f"## changes in {comp}", *(_change_line(c, d) for c in chs)])
                for d in (2, 1, 0)
            )
            loses = ("old and new values", "changed properties")
            blocks.append(_Block(f"changes in {comp}", forms, loses))
        if s.changes.outputs:
            out = s.changes.outputs
            forms = (
                "\n".join(["## output changes", *(f"~ {o.path}: {o.old} -> {o.new}" for o in out)]),
                "## output changes: " + ", ".join(o.path for o in out),
            )
            blocks.append(_Block("output changes", forms, ("old and new values",)))
    for c in order:
        forms = tuple(_component_text(c, d) for d in (2, 1, 0))
        blocks.append(_Block(c.name, forms, ("settings", "names")))
    if s.outputs:
        full = "\n".join(["## outputs", *(f"{k}={v}" for k, v in s.outputs)])
        names = "## outputs: " + ", ".join(k for k, _ in s.outputs)
        blocks.append(_Block("outputs", (full, names), ("values",)))
    return blocks


def _head(s: InfraSummary) -> list[str]:
    providers = ", ".join(
        f"{n} ({r})" if r else f"{n} ({t.removeprefix('provider.')})" for n, t, r in s.providers
    )
    lines = [
        f"# stack {s.stack} (project {s.project}, stack resource {s.stack_name}) from {s.source}",
        f"{s.resources} resources, {s.managed} managed, {len(s.components)} components; "
        f"NAT gateways {s.nat_gateways}; providers {providers}",
    ]
    if s.default_tags:
        lines.append(f"default tags: {s.default_tags}")
    if s.violations is None:
        lines.append("policy: not run")
    else:
        mandatory = sum(1 for v in s.violations if v.level == "mandatory")
        lines.append(f"policy violations: {len(s.violations)} ({mandatory} mandatory)")
        lines.extend(
            f"! {v.level}/{v.severity} {v.pack}/{v.policy} on {v.type} {v.resource}: {v.detail}"
            for v in s.violations
        )
    lines.extend(f"note: {n}" for n in s.notes)
    if s.cost is None:
        lines.append("cost: not estimated")
    else:
        parts = ", ".join(f"{c} {_usd(m)}" for c, m, _ in s.cost.by_component)
        date = f" (prices {s.cost.price_date})" if s.cost.price_date else ""
        lines.append(f"cost: {_usd(s.cost.total)}/mo{date}: {parts}")
        for t, n, reason in s.cost.not_priced:
            lines.append(f"not priced: {n} {short_type(t)}: {reason}")
    if s.changes is not None:
        counts = ", ".join(
            f"{len(s.changes.of(k))} {k}" for k in ("added", "removed", "replaced", "changed")
        )
        lines.append(f"changes vs {s.changes.baseline}: {counts}; outputs {len(s.changes.outputs)}")
    lines.append(LEGEND)
    return lines


def render(summary: InfraSummary, budget: int | None = None) -> str:
    """The summary as text within `budget` o200k tokens (None: everything). Over budget, the
    least important blocks are shortened (names only, then counts only) one by one from the end
    until all fit, and dropped from the end when even the shortest forms do not; a last line says
    what was shortened or dropped. `BudgetError` when the head alone does not fit."""
    head = _head(summary)
    blocks = _blocks(summary)
    whole = "\n".join(p for p in [*head, *(b.forms[0] for b in blocks)] if p)
    if budget is None:
        return whole
    # (`fit` estimates block by block, and may stop short of an exact fit.) The whole text is
    # counted only when it may fit: a large stack's would cost more than the summary (and is
    # past what the encoder takes at once).
    firsts = [b.forms[0] for b in blocks]
    if budget >= 0 and _may_fit(head, firsts, budget) and count(whole) <= budget:
        return whole

    # Degradation steps: (block index, form) applied in order: each block, least important
    # first, to names only; then each to counts only.
    steps: list[tuple[int, int]] = []
    depth = max((len(b.forms) for b in blocks), default=1)
    for level in range(1, depth):
        steps.extend(
            (i, level) for i in reversed(range(len(blocks))) if len(blocks[i].forms) > level
        )

    def attempt(n_steps: int, *, final: bool = False) -> Fitted | None:
        level = [0] * len(blocks)
        for i, lv in steps[:n_steps]:
            level[i] = lv
        texts = [b.forms[lv] for b, lv in zip(blocks, level, strict=True)]

        def note(kept: int, dropped: Sequence[int] = ()) -> str:
            lost: dict[str, list[str]] = {}
            for b, lv in zip(blocks[:kept], level, strict=False):
                if lv:
                    lost.setdefault(b.loses[lv - 1], []).append(b.label)
            parts = [f"{what} left out of {', '.join(labels)}" for what, labels in lost.items()]
            if dropped:
                labels = [blocks[i].label for i in dropped]
                more = f" and {len(labels) - 8} more" if len(labels) > 8 else ""
                parts.append(f"left out: {', '.join(labels[:8])}{more}")
            return f"[to fit {budget} tokens: {'; '.join(parts)}]" if parts else ""

        if final:  # blocks may be dropped: the one note says what, built once they are known
            return fit(head, texts, budget, lambda dropped: note(dropped[0], dropped))
        try:
            fitted = fit(head, texts, budget, lambda _: "", [note(len(blocks))])
        except BudgetError:
            return None
        return None if fitted.dropped else fitted

    # The fewest steps after which every block fits (binary search: each step shortens the
    # text); when even the last step does not fit them all, blocks are dropped from the end.
    if attempt(len(steps)) is None:
        return attempt(len(steps), final=True).text  # type: ignore[union-attr]
    lo, hi = 0, len(steps)
    while lo < hi:
        mid = (lo + hi) // 2
        if attempt(mid) is None:
            lo = mid + 1
        else:
            hi = mid
    return attempt(lo).text  # type: ignore[union-attr]


def _may_fit(head: Sequence[str], texts: Sequence[str], budget: int) -> bool:
    """Whether `head` and `texts`, one a line, may fit `budget` tokens: counted piece by piece
    and only as far as they could fit (a newline between pieces may join a token of either: at
    most two tokens each)."""
    spent = 0
    for n, text in enumerate([*head, *texts], start=1):
        spent += count(text) if text else 0
        if spent - 2 * n > budget:
            return False
    return True


# --------------------------------------------------------------------------- fidelity


def _named(name: str, text: str) -> bool:
    """`name` appears in `text` as a whole name (not inside a longer name)."""
    pattern = rf"(?<![\w./@-]){re.escape(name)}(?![\w@-]|\.\w)"
    return re.search(pattern, text) is not None


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _secret_strings(value: Any) -> Iterable[str]:
    """The ciphertexts and plaintexts (decoded, and each string inside) of the secrets in a
    value, long enough (6 characters) not to match by chance."""
    if is_secret(value):
        found = [v for k, v in value.items() if k in ("plaintext", "ciphertext", "value")]
        for inner in found:
            yield from _strings(inner)
            if not isinstance(inner, str):
                continue
            try:
                decoded = json.loads(inner)
            except (ValueError, RecursionError):
                continue
            yield from _strings(decoded)
    elif isinstance(value, dict | list):
        for v in value.values() if isinstance(value, dict) else value:
            yield from _secret_strings(v)


def check_summary(
    summary_or_text: InfraSummary | str,
    export: StackExport | Mapping[str, Any] | str | Path,
    violations: Any = None,
) -> list[str]:
    """Problems of a summary against its export (empty when faithful): every resource (by
    logical name), every stack output and every violation (its policy and resource on one line)
    must be named in the full text, and no secret's plaintext or ciphertext may appear in it."""
    exp = _as_export(export, "export")
    text = render(summary_or_text) if isinstance(summary_or_text, InfraSummary) else summary_or_text
    problems = []
    for r in exp.resources:
        if not _named(r.name, text):
            problems.append(f"resource {r.name} ({r.type}) is not named")
    for name in exp.stack_outputs:
        if not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text):
            problems.append(f"output {name} is not named")
    lines = text.splitlines()
    for v in _findings(exp, violations) or []:
        # The head names a rule as `<pack>/<rule>`; a resource's line as `!<rule>`.
        rule = (v.policy, f"{v.pack}/{v.policy}")
        if not any(
            any(_named(r, line) for r in rule) and _named(v.resource, line) for line in lines
        ):
            problems.append(f"violation {v.policy} on {v.resource} is not named")
    secrets = {s for r in exp.resources for s in _secret_strings([r.inputs, r.outputs])}
    secrets = {s for s in secrets if len(s) >= 6}
    problems.extend(
        f"a secret value appears in the summary ({len(s)} characters)" for s in secrets if s in text
    )
    return problems


# --------------------------------------------------------------------------- wrappers


class GateViolations(list[Any]):
    """The policy gate's violations (a list), and its `notice` when the policy config it ran
    with is the default one, not the stack's own (`toolchain.gate.policy_config_dir`):
    `summarize_infra` makes the notice a note of the summary."""

    notice: str | None = None


def policy_violations(export: StackExport, config_dir: Path | None = None) -> GateViolations:
    """Run the policy gate over an export with a policy config: `config_dir`, by default the
    folder of the export's stack (`policies/config/<stack>`), or for a stack without one the
    default with a notice (`toolchain.gate.policy_config_dir`). An export that names no stack,
    or a name that is not a stack name, is refused."""
    from toolchain.gate import (  # noqa: PLC0415
        CONFIG_DIR,
        PolicyConfigError,
        policy_config_dir,
        run_gate,
        stack_of,
    )

    notice = None
    if config_dir is not None:
        folder = config_dir
    else:
        stack = stack_of(export)
        if not stack:
            raise SummaryError(
                f"the export names no stack, so no policy config in {CONFIG_DIR}: pass config_dir"
            )
        try:
            folder, notice = policy_config_dir(stack)
        except PolicyConfigError as exc:
            raise SummaryError(f"{exc}: pass config_dir") from None
    if not folder.is_dir():
        raise SummaryError(f"{folder}: not a policy config folder (security.json, cost.json)")
    result = run_gate(export, folder, notice=notice)
    found = GateViolations(result.violations)
    found.notice = result.notice
    return found


def cost_estimate(export: StackExport, prices: Any = None, usage: Any = None) -> Any:
    """The cost estimate of an export with the repository's price file and default usage (or
    the `PriceBook` and `Usage` given)."""
    from toolchain.cost import estimate, load_prices, load_usage  # noqa: PLC0415

    return estimate(export, prices or load_prices(), usage or load_usage())


def summarize_checked(
    export: StackExport | Mapping[str, Any] | str | Path,
    *,
    baseline: StackExport | Mapping[str, Any] | str | Path | None = None,
    config_dir: Path | None = None,
) -> InfraSummary:
    """`summarize_infra` with the policy gate and the cost estimate run here."""
    exp = _as_export(export, "export")
    return summarize_infra(
        exp,
        violations=policy_violations(exp, config_dir),
        cost=cost_estimate(exp),
        baseline=baseline,
    )

"""The Pulumi program (`pulumi up -s dev|prod`): config in, components composed, outputs out (and
whether the policy packs were attached to this run: baseline/policy_guard.py)."""

import pulumi

from baseline.config import from_pulumi
from baseline.policy_guard import with_policy_guard
from baseline.program import build

for _name, _value in with_policy_guard(build(from_pulumi())).items():
    pulumi.export(_name, _value)

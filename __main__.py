"""The Pulumi program (`pulumi up -s dev|prod`): config in, components composed, outputs out (and
whether the policy packs were attached to this run: baseline/policy_guard.py). The providers'
role is the run's (`BASELINE_PROVIDER_ROLE`: preview or deploy, baseline/accounts.py)."""

import os

import pulumi

from baseline.config import from_pulumi
from baseline.policy_guard import with_policy_guard
from baseline.program import build
from toolchain.gate import PROVIDER_ROLE_ENV

# Which role the providers assume for this run (baseline/accounts.py, `provider_role_arn`).
_role = os.environ.get(PROVIDER_ROLE_ENV, "")
for _name, _value in with_policy_guard(build(from_pulumi(), provider_role=_role)).items():
    pulumi.export(_name, _value)

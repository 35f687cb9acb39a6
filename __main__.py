"""The Pulumi program (`pulumi up -s dev|prod`): config in, components composed, outputs out."""

import pulumi

from baseline.config import from_pulumi
from baseline.program import build

for _name, _value in build(from_pulumi()).items():
    pulumi.export(_name, _value)

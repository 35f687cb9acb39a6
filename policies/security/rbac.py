"""(being written)"""

from pulumi_policy import ResourceValidationPolicy, StackValidationPolicy

POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = []

"""The Pulumi program's own code: typed stack config and the composition of the components.

`__main__.py` (run by `pulumi up`) and the offline plan (`python -m agents plan`) both call
`baseline.program.build(baseline.config.from_pulumi())`, so what is planned is what is deployed.
"""


class BaselineError(Exception):
    """Base of the program's errors; the message says what the user must change."""

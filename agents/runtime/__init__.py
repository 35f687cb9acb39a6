"""The agents at run time: the Pulumi CLI and the Automation API gateway, the runner that takes
each operation through the protocol, health endpoints, telemetry, SLI points and status.
Uses `agents.protocol`, `toolchain` and `baseline`."""

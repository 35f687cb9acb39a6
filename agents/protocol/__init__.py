"""Coordination, safety and the records: settings, the audit log and its disk reserve, locks and
leases, approvals, circuit breakers, the state folder, the findings store and process
supervision. Uses `toolchain` and `baseline` only; the agents' other rooms build on it."""

"""CrossGuard policy packs: `policies/security` and `policies/cost`, each loadable by
`pulumi preview --policy-pack policies/<pack>`, and run offline over stack exports by
`python -m agents policy` through the same analyzer gRPC interface the engine uses.

Per-stack policy config lives in `policies/config/<stack>/<pack>.json`, the files given to
`--policy-pack-config`; environment differences come from there, never from the stack name.
"""

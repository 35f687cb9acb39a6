# syntax=docker/dockerfile:1
# The agents' image: `python -m agents` (ENTRYPOINT), the Pulumi program, the policy packs and the
# Pulumi CLI, for linux/amd64 and linux/arm64 (Graviton nodes). Build and publish:
#   docker buildx build --platform linux/amd64,linux/arm64 \
#     -t ghcr.io/OWNER/baseline-agents:TAG --push .
# then set the pushed digest as `agentImageDigest` in the stack config (README, "The image").
#
# Base: python:3.11-slim-bookworm pinned by the digest of its multi-arch index (an OCI image
# index: linux/amd64, linux/arm64/v8 and others; Python 3.11.16, built 2026-08-25), as the Docker
# Official Images' record docker-library/repo-info (repos/python/remote/3.11-slim-bookworm.md)
# lists it; it could not be pulled from where this file was written. To refresh it, run
#   docker buildx imagetools inspect python:3.11-slim-bookworm
# and put the index digest ("Digest:" at the top, not a platform's) in all four FROM lines.
#
# Pulumi CLI: pinned with the SHA-256 of each architecture's tarball. The values below are those a
# nixpkgs tree's pulumi-bin package records for 3.267.0 (converted from Nix base32); they could not
# be compared with the release's own checksums file from where this was written, and a wrong one
# fails the build rather than letting another file in. To move to another version, take both
# sums from
#   https://get.pulumi.com/releases/sdk/pulumi-<version>-checksums.txt
# and pass them as build args (or edit the defaults).
#
# RDS CA bundle: the agents verify their PostgreSQL server's certificate against it
# (AGENTS_PG_SSLROOTCERT=/etc/ssl/certs/rds-global-bundle.pem). It is fetched from RDS's trust
# store and pinned by its SHA-256 like the CLI; a wrong sum fails the build. The default is the sum
# a third party recorded for the bundle downloaded on 2026-09-25 (165,408 bytes, 108
# certificates); it could not be fetched from where this was written, so compare it before the
# first build. AWS adds CAs to the bundle from time to time; to take a new one, run
#   curl -sS https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem | sha256sum
# and pass the sum as RDS_CA_BUNDLE_SHA256 (or edit the default).

FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b AS builder
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ENV PYTHONDONTWRITEBYTECODE=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
# The virtualenv sits where the program (Pulumi.yaml) and the policy packs
# (policies/*/PulumiPolicy.yaml) name it, /app/.venv, so the CLI's language hosts use it; the
# .pth puts /app on its path, as `pip install -e .` does in development.
COPY requirements.txt ./
RUN python -m venv /app/.venv \
 && /app/.venv/bin/pip install --no-cache-dir -r requirements.txt \
 && echo /app > "$(/app/.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/aws-baseline.pth"

FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b AS pulumi
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# Set by BuildKit for each platform of a `--platform` list.
ARG TARGETARCH
ARG PULUMI_VERSION=3.267.0
ARG PULUMI_SHA256_AMD64=527c1ce7c16cb38525a96d55422f221e819476e2b0743ae55c9862ad775ae10a
ARG PULUMI_SHA256_ARM64=e01a439cd1273819c9e836d86cc34c0bcca703a0dd06137c74053bcd49a45e6e
# The slim image has no curl or wget: Python fetches (HTTPS, the image's CA certificates), and
# nothing is unpacked unless the checksum matches.
RUN case "${TARGETARCH}" in \
      amd64) arch=x64; sum="${PULUMI_SHA256_AMD64}" ;; \
      arm64) arch=arm64; sum="${PULUMI_SHA256_ARM64}" ;; \
      *) echo "no Pulumi CLI for TARGETARCH '${TARGETARCH}' (build with buildx)" >&2; exit 1 ;; \
    esac \
 && url="https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-${arch}.tar.gz" \
 && python -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "${url}" /tmp/pulumi.tar.gz \
 && echo "${sum}  /tmp/pulumi.tar.gz" | sha256sum --check --strict - \
 && mkdir -p /opt/pulumi/bin \
 && tar -xzf /tmp/pulumi.tar.gz -C /opt/pulumi/bin --strip-components=1 --no-same-owner \
 && rm /tmp/pulumi.tar.gz \
 && PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME=/tmp/pulumi-home /opt/pulumi/bin/pulumi version

FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b AS rds-ca
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG RDS_CA_BUNDLE_URL=https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
ARG RDS_CA_BUNDLE_SHA256=e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3
# Python fetches (the slim image has no curl); nothing is kept unless the checksum matches and the
# file holds certificates only (no private key).
RUN python -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
      "${RDS_CA_BUNDLE_URL}" /tmp/rds-global-bundle.pem \
 && echo "${RDS_CA_BUNDLE_SHA256}  /tmp/rds-global-bundle.pem" | sha256sum --check --strict - \
 && grep -q -- "-----BEGIN CERTIFICATE-----" /tmp/rds-global-bundle.pem \
 && ! grep -q -- "PRIVATE KEY" /tmp/rds-global-bundle.pem \
 && install -D -m 0644 /tmp/rds-global-bundle.pem /opt/rds-ca/rds-global-bundle.pem

FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b
LABEL org.opencontainers.image.title="baseline-agents" \
      org.opencontainers.image.description="The baseline platform's ops agents (python -m agents) with the Pulumi CLI"
# A fixed non-root user (uid/gid 10001) that the Deployments' securityContext names; the state
# folder is theirs (a volume is mounted there in the cluster).
RUN groupadd --system --gid 10001 agents \
 && useradd --system --no-log-init --uid 10001 --gid 10001 --home-dir /home/agents \
      --create-home --shell /usr/sbin/nologin agents \
 && install -d -o 10001 -g 10001 -m 0700 /var/lib/baseline-agents
# Read-only root filesystem: no bytecode written, the CLI's home (plugins it downloads,
# workspace files) under /tmp (an emptyDir in the cluster), the state in its own volume.
# AGENTS_HEALTH_HOST: the kubelet probes the pod's address; the server itself starts only when
# AGENTS_HEALTH_PORT is set.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:/opt/pulumi/bin:$PATH \
    PULUMI_HOME=/tmp/pulumi-home \
    PULUMI_SKIP_UPDATE_CHECK=true \
    AGENTS_STATE_DIR=/var/lib/baseline-agents \
    AGENTS_HEALTH_HOST=0.0.0.0
COPY --from=pulumi /opt/pulumi /opt/pulumi
COPY --from=rds-ca /opt/rds-ca/rds-global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
COPY --from=builder /app/.venv /app/.venv
WORKDIR /app
COPY pyproject.toml Pulumi.yaml Pulumi.*.yaml __main__.py ./
COPY toolchain ./toolchain
COPY agents ./agents
COPY baseline ./baseline
COPY components ./components
COPY policies ./policies
USER 10001:10001
# Kubernetes probes /healthz and /readyz instead (agents/runtime/health.py); Docker's own check would need
# the health port set and a client in the image, and the kubelet ignores it.
HEALTHCHECK NONE
ENTRYPOINT ["python", "-m", "agents"]
# The watchdog: read-only, safe to run anywhere; each Deployment names its own persona.
CMD ["run", "reliability-engineer"]

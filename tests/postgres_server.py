"""A throwaway PostgreSQL server for tests: `initdb` + `pg_ctl` on a free port in a temporary
folder, TLS on with a certificate from a CA made here (so clients verify it exactly as they
verify RDS's), password authentication over TLS only. As root the server runs as the `postgres`
user (PostgreSQL refuses to run as root). `find_binaries()` is None where the machine has no
PostgreSQL: the fixture then skips with that reason.

Each pytest-xdist worker starts its own server (about a second); `fresh_database()` gives a test
its own database so tests never see each other's rows."""

from __future__ import annotations

import contextlib
import datetime
import glob
import ipaddress
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SUPERUSER = "postgres"
PASSWORD = "test-only-" + uuid.uuid4().hex  # made per run; never a real secret


def find_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: PATH first, then Debian's versioned folders."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if (Path(folder) / "initdb").exists() and (Path(folder) / "pg_ctl").exists():
            return Path(folder)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _make_ca_and_cert(folder: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for localhost/127.0.0.1 signed by it."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "baseline tests CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "server.crt", folder / "server.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_file.chmod(0o600)
    return ca_file, cert_file, key_file


def other_ca(folder: Path) -> Path:
    """A CA bundle the server's certificate does not chain to (for TLS-failure tests)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca, _, _ = _make_ca_and_cert(folder)
    return ca


@dataclass
class PostgresServer:
    folder: Path
    bin: Path
    port: int
    ca: Path
    process_user: str | None

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin / args[0]), *args[1:]]
        if self.process_user:
            command = ["runuser", "-u", self.process_user, "--", *command]
        return subprocess.run(
            command, check=check, capture_output=True, text=True, timeout=120, cwd=self.folder
        )

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )

    def stop(self, mode: str = "immediate") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def pause(self) -> None:
        """SIGSTOP the postmaster and its backends (a server that hangs, not one that is down)."""
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)

    def resume(self) -> None:
        for pid in self._pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGCONT)

    def _pids(self) -> list[int]:
        main = self.pid()
        found = [main]
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError):
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                    if int(fields[1]) == main:
                        found.append(int(entry.name))
        return found

    def conninfo(self, database: str = "postgres", user: str = SUPERUSER) -> dict[str, object]:
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "dbname": database,
            "user": user,
            "password": PASSWORD,
            "sslmode": "verify-full",
            "sslrootcert": str(self.ca),
        }

    def fresh_database(self) -> str:
        """A new, empty database for one test."""
        name = "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(**self.conninfo(), autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(f'CREATE DATABASE "{name}"')
        return name


@contextlib.contextmanager
def running_server() -> Iterator[PostgresServer]:
    """Start a server in a new temporary folder; stop it and remove the folder after."""
    binaries = find_binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL binaries (initdb, pg_ctl)")
    folder = Path(tempfile.mkdtemp(prefix="pgtest-"))
    user = SUPERUSER if os.geteuid() == 0 else None
    server = PostgresServer(folder, binaries, _free_port(), folder / "ca.pem", user)
    try:
        _ca, cert, key = _make_ca_and_cert(folder)
        (folder / "pw").write_text(PASSWORD + "\n")
        if user:
            entry = pwd.getpwnam(user)
            folder.chmod(0o755)
            for path in (folder, cert, key, folder / "pw"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        server._run(
            "initdb",
            "-D",
            str(server.data),
            "-U",
            SUPERUSER,
            "--pwfile",
            str(folder / "pw"),
            "--auth",
            "scram-sha-256",
            "-E",
            "UTF8",
            "--locale",
            "C",
        )
        (folder / "pw").unlink()
        with (server.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {server.port}\n"
                f"unix_socket_directories = '{folder}'\n"
                f"ssl = on\nssl_cert_file = '{cert}'\nssl_key_file = '{key}'\n"
                "max_connections = 200\nfsync = off\nshared_buffers = 32MB\n"
            )
        (server.data / "pg_hba.conf").write_text(
            "local all all scram-sha-256\n"
            "hostssl all all 127.0.0.1/32 scram-sha-256\n"
            "hostnossl all all 127.0.0.1/32 reject\n"
        )
        if user:
            entry = pwd.getpwnam(user)
            os.chown(server.data / "pg_hba.conf", entry.pw_uid, entry.pw_gid)
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.resume()
        with contextlib.suppress(Exception):
            server.stop()
        remove_in_background(folder)


def remove_in_background(folder: Path) -> None:
    """Delete `folder` in a process that outlives this one, without waiting for it. A server's
    folder holds every database its worker's tests made: after a worker's share of `make test`
    about 1.2 GB in tens of thousands of files, whose deletion took 7-9 s at the very end of each
    worker's run, wall time of the whole suite. `sh` starts `rm` in the background and exits at
    once, so `rm` is nobody's child to wait for (no zombie, no "still running" warning); it
    runs in a session of its own, so a signal to the test run's process group does not stop
    it half way. Where it cannot start, the folder is removed here, as before."""
    try:
        subprocess.run(
            ["sh", "-c", 'rm -rf -- "$1" >/dev/null 2>&1 &', "sh", str(folder)],
            check=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        shutil.rmtree(folder, ignore_errors=True)

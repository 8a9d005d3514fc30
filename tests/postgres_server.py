"""A throwaway PostgreSQL server for tests: a cluster made with initdb in a temporary folder,
listening on a free port of 127.0.0.1 and a unix socket in that folder, stopped and removed after.

PostgreSQL refuses to run as root: as root the server runs as the `postgres` user (the Debian
package makes it), which then owns the folder."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "postgres"  # the system user the server runs as when the tests run as root
ROLE = "ictbench"
PASSWORD = "ictbench-test-only"


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: Debian keeps them off PATH, in
    /usr/lib/postgresql/<version>/bin; elsewhere they are on PATH."""
    debian = sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda folder: (
            int(Path(folder).parent.name) if Path(folder).parent.name.isdigit() else 0
        ),
        reverse=True,
    )
    on_path = [str(Path(found).resolve().parent) for found in [shutil.which("pg_ctl")] if found]
    for folder in map(Path, [*debian, *on_path]):
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None."""
    if server_binaries() is None:
        return "PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and PostgreSQL refuses to: there is no `{SERVER_USER}` user to run it as"
        if shutil.which("runuser") is None:
            return (
                f"running as root, and `runuser` is missing to start PostgreSQL as `{SERVER_USER}`"
            )
    return None


@dataclass(frozen=True)
class PostgresServer:
    folder: Path
    port: int
    host: str = "127.0.0.1"
    user: str = ROLE
    password: str = PASSWORD

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname=database,
        )

    def create_database(self, name: str) -> str:
        connection = self.connect()
        try:
            connection.autocommit = True  # CREATE DATABASE refuses to run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(f'create database "{name}"')
        finally:
            connection.close()
        return name

    def dagster_env(self, database: str) -> dict[str, str]:
        """The variables docs/examples/dagster-postgres.yaml reads its credentials from."""
        return {
            "DAGSTER_PG_HOST": self.host,
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USERNAME": self.user,
            "DAGSTER_PG_PASSWORD": self.password,
        }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """A fresh cluster with a password-protected role, started; stopped and removed afterwards."""
    binaries = server_binaries()
    assert binaries is not None, unavailable_reason()
    as_server_user: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="ictbench-postgres-"))
    password_file = folder / "password"
    password_file.write_text(PASSWORD + "\n")
    if os.geteuid() == 0:
        server = pwd.getpwnam(SERVER_USER)
        for path in (folder, password_file):
            os.chown(path, server.pw_uid, server.pw_gid)
        as_server_user = ["runuser", "-u", SERVER_USER, "--"]

    def run(program: str, *arguments: str) -> None:
        # the server user may not read the current folder (root's home): work from the cluster's
        subprocess.run(
            [*as_server_user, str(binaries / program), *arguments],
            cwd=folder,
            check=True,
            capture_output=True,
            text=True,
        )

    data = folder / "data"
    run(
        "initdb",
        "--pgdata",
        str(data),
        "--username",
        ROLE,
        "--pwfile",
        str(password_file),
        "--auth-local",
        "trust",
        "--auth-host",
        "scram-sha-256",
        "--encoding",
        "UTF8",
        "--no-sync",
    )
    port = free_port()
    # a test cluster: durability is not the point, speed is
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    try:
        run(
            "pg_ctl",
            "--pgdata",
            str(data),
            "--log",
            str(folder / "server.log"),
            "-o",
            options,
            "-w",
            "start",
        )
        yield PostgresServer(folder, port)
    finally:
        if (data / "postmaster.pid").exists():
            run("pg_ctl", "--pgdata", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)

"""A throwaway PostgreSQL server for the team-database tests (issue 15).

``initdb`` into a fresh folder, ``postgres`` listening on a Unix socket in
that folder only (``listen_addresses=''``: no TCP port is opened, so parallel
runs and a real server on the machine never meet), stopped and removed at the
end. initdb and postgres refuse to run as root, and CI runs as root: there
the server runs as ``nobody`` (``setpriv``, util-linux, always installed on
Debian), in a folder it owns under /tmp (pytest's own tmp folder is 0700
root's). As a normal user it runs as that user.

The server binaries come from the Debian package ``postgresql`` (listed in
tools/install-debian-deps), found on PATH or in /usr/lib/postgresql/*/bin; a
machine without them FAILS these tests with that message, it never skips them.

A test server (not a durable one) lives in /dev/shm when there is one: its
folder gathers a database per team test (~340 files each, 18,000 after the
team tests), and unlinking them on a loaded ext4 disk took 7-36 s at the end
of a run, 0.2 s in memory. The fixture stops it with ``immediate`` (its data
goes with it) after checking that no client connection is left: one is a
leak (a pool or a connection not closed) that fails the run, never one the
stop kills unseen.

Local connections use ``trust`` authentication: a test connects as whichever
role it needs (the station and coach roles of docs/team.md) with no password,
so what the tests prove about privileges is what the server enforces on the
role, not on how it logged in.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

SERVER_TOOLS = ("initdb", "pg_ctl", "postgres")
ADMIN_ROLE = "team_admin"            # the cluster's superuser in the tests
UNPRIVILEGED_USER = "nobody"         # who runs the server when the tests run as root
START_TIMEOUT_S = 30
MEMORY_FOLDER = Path("/dev/shm")     # tmpfs on Linux: the test server's files cost no disk I/O
LEAK_WAIT_S = 2.0                    # a client that closed its socket ends its backend within it


def server_bin_dir() -> Path:
    """The folder holding initdb, pg_ctl and postgres, or a failed test saying
    which package to install."""
    on_path = shutil.which("initdb")
    candidates = ([str(Path(on_path).resolve().parent)] if on_path else []) + sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0,
        reverse=True)
    for folder in candidates:
        if all((Path(folder) / tool).is_file() for tool in SERVER_TOOLS):
            return Path(folder)
    pytest.fail("PostgreSQL server binaries (initdb, pg_ctl, postgres) not found on PATH or "
                "in /usr/lib/postgresql/*/bin: install the Debian package postgresql "
                "(tools/install-debian-deps installs it)")


@dataclass
class TestServer:
    """One running server; ``conninfo(dbname, user)`` reaches it."""

    folder: Path
    bin_dir: Path
    run_as: list[str]
    # False: fsync, full-page writes and synchronous commit off, for the tests'
    # speed: a server stopped by pg_ctl (fast or smart) loses nothing, but a
    # killed one may lose its last ~0.6 s of commits (synchronous_commit=off
    # acknowledges a COMMIT before its WAL is written), which a station would
    # already have noted as uploaded. True: PostgreSQL's defaults, for any
    # kill -9 (benchmarks/bench_sync.py).
    durable: bool = False

    @property
    def socket_dir(self) -> Path:
        return self.folder

    @property
    def data_dir(self) -> Path:
        return self.folder / "data"

    def conninfo(self, dbname: str = "postgres", user: str = ADMIN_ROLE) -> str:
        return f"host={self.socket_dir} port=5432 dbname={dbname} user={user}"

    def pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.run_as, str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args],
            capture_output=True, text=True, check=check, timeout=START_TIMEOUT_S + 5)

    def start(self) -> None:
        options = f"-k {self.socket_dir} -c listen_addresses='' -c max_connections=40"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        result = self.pg_ctl("-w", "-t", str(START_TIMEOUT_S), "-o", options,
                             "-l", str(self.folder / "server.log"), "start", check=False)
        if result.returncode != 0:
            log = (self.folder / "server.log")
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            pytest.fail(f"the test PostgreSQL did not start: {result.stderr.strip()}\n{tail}")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "stop", check=False)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def _run_as() -> tuple[list[str], int | None, int | None]:
    if os.geteuid() != 0:
        return [], None, None
    user = pwd.getpwnam(UNPRIVILEGED_USER)
    return ([shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={user.pw_uid}",
             f"--regid={user.pw_gid}", "--clear-groups", "--"], user.pw_uid, user.pw_gid)


def start_server(durable: bool = False) -> TestServer:
    bin_dir = server_bin_dir()
    run_as, uid, gid = _run_as()
    in_memory = not durable and MEMORY_FOLDER.is_dir() and os.access(MEMORY_FOLDER, os.W_OK)
    folder = Path(tempfile.mkdtemp(prefix="backstation-pg-",
                                   dir=MEMORY_FOLDER if in_memory else None))
    if uid is not None:
        os.chown(folder, uid, gid)
    server = TestServer(folder, bin_dir, run_as, durable)
    result = subprocess.run(
        [*run_as, str(bin_dir / "initdb"), "-D", str(server.data_dir), "-U", ADMIN_ROLE,
         "--auth=trust", "--no-sync", "--encoding=UTF8", "--locale=C"],
        capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.fail(f"initdb failed: {result.stderr.strip()}")
    server.start()
    return server


def client_connections(server: TestServer, wait_s: float = 0.0) -> list[str]:
    """The server's client connections other than this check's own, as
    ``user@database (application, state)``; with ``wait_s``, what is still
    there after waiting up to that long for them to end."""
    deadline = time.monotonic() + wait_s
    with psycopg.connect(server.conninfo(), autocommit=True) as conn:
        while True:
            rows = conn.execute(
                "SELECT usename, datname, application_name, state FROM pg_stat_activity"
                " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
                " ORDER BY pid").fetchall()
            if not rows or time.monotonic() >= deadline:
                return [f"{user}@{db} ({app or 'no application name'}, {state})"
                        for user, db, app, state in rows]
            time.sleep(0.05)


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server for the whole test run, on a Unix socket in its own folder."""
    server = start_server()
    try:
        yield server
        if server.postmaster_pid() is not None:
            left = client_connections(server, wait_s=LEAK_WAIT_S)
            if left:
                pytest.fail("connections to the test PostgreSQL left open at the end of the "
                            "run (a pool or a connection not closed): " + "; ".join(left))
    finally:
        server.stop("immediate")
        shutil.rmtree(server.folder, ignore_errors=True)

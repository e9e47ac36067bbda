"""The throwaway PostgreSQL server the team-database tests run against (tests/pg.py)."""

from __future__ import annotations

import os

import psycopg
import pytest

from . import pg


def test_test_server_listens_on_its_own_socket_only(pg_server):
    with psycopg.connect(pg_server.conninfo()) as conn:
        listen, socket_dirs = conn.execute(
            "SELECT current_setting('listen_addresses'),"
            " current_setting('unix_socket_directories')").fetchone()
    assert listen == ""                                   # no TCP port
    assert socket_dirs == str(pg_server.socket_dir)
    assert (pg_server.socket_dir / ".s.PGSQL.5432").is_socket()


def test_test_server_runs_unprivileged(pg_server):
    pid = pg_server.postmaster_pid()
    assert pid is not None
    assert os.stat(f"/proc/{pid}").st_uid != 0


def test_missing_server_binaries_fail_with_the_package_to_install(monkeypatch):
    monkeypatch.setattr(pg.shutil, "which", lambda name: None)
    monkeypatch.setattr(pg.glob, "glob", lambda pattern: [])
    with pytest.raises(pytest.fail.Exception, match="install the Debian package postgresql"):
        pg.server_bin_dir()

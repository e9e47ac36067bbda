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


def test_test_server_lives_in_memory(pg_server):
    # ~340 files per team test's database: unlinking 18,000 of them on a loaded
    # disk made the run's end take 7-36 s.
    assert pg_server.folder.parent == pg.MEMORY_FOLDER
    assert (pg.MEMORY_FOLDER / pg_server.folder.name / "data" / "PG_VERSION").is_file()


def test_a_connection_left_open_is_named_and_one_closed_is_not(pg_server):
    name = "left-open-by-a-test"
    conn = psycopg.connect(pg_server.conninfo(), application_name=name)
    try:
        assert f"team_admin@postgres ({name}, idle)" in pg.client_connections(pg_server)
    finally:
        conn.close()
    assert not [c for c in pg.client_connections(pg_server, wait_s=pg.LEAK_WAIT_S) if name in c]

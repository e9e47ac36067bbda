"""`backstation sync [--server NAME]` (docs/team.md): a line on stdout when it
worked, one line on stderr and exit 6 when the team server cannot be used."""

from __future__ import annotations

import shutil
import socket
import struct
import tempfile
import threading
from pathlib import Path

import pytest

from backstation.cli import EXIT_STORAGE_ERROR, main
from backstation.storage import Database
from backstation.team import ServerUnreachable
from backstation.team.connection import DEAD_PEER_S, EXIT_TEAM_ERROR, connect

from .team import record_session, team_server, write_service_file  # noqa: F401


def test_sync_command_uploads_and_says_how_many(tmp_path, team_server, capsys):
    path = tmp_path / "rack1.db"
    with Database(path) as db:
        record_session(db, seconds=0.5)
        record_session(db, seconds=0.5)
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == 0
    assert capsys.readouterr().out == (
        "sync to rack1 (station rack1): 2 sessions uploaded, 0 already there\n")
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == 0
    assert "0 sessions uploaded" in capsys.readouterr().out
    assert team_server.count("sessions") == 2


def test_sync_to_a_server_that_is_down_says_so_in_one_line_and_keeps_everything(
        tmp_path, monkeypatch, capsys):
    service_file = tmp_path / "pg_service.conf"
    # A socket folder with no server in it: what a stopped server looks like.
    write_service_file(service_file, {"team": f"host={tmp_path} port=5432 dbname=t user=u"})
    monkeypatch.setenv("PGSERVICEFILE", str(service_file))
    path = tmp_path / "rack1.db"
    with Database(path) as db:
        sid = record_session(db, seconds=0.5)
    assert main(["sync", "--server", "team", "--db", str(path)]) == EXIT_TEAM_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("backstation: cannot reach the team server 'team': ")
    with Database(path) as db:
        assert db.pending_uploads("team") == [sid]


def test_sync_to_an_unknown_service_names_it(tmp_path, monkeypatch, capsys):
    service_file = tmp_path / "pg_service.conf"
    write_service_file(service_file, {})
    monkeypatch.setenv("PGSERVICEFILE", str(service_file))
    Database(tmp_path / "s.db").close()
    assert main(["sync", "--server", "nowhere", "--db", str(tmp_path / "s.db")]) == 6
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert 'definition of service "nowhere" not found' in err


def test_sync_of_a_database_that_does_not_exist_refuses_and_creates_nothing(tmp_path, capsys):
    path = tmp_path / "typo.db"
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == EXIT_STORAGE_ERROR
    out, err = capsys.readouterr()
    assert out == ""
    assert err == f"backstation: no database at {path} (record a session first, or check --db)\n"
    assert list(tmp_path.iterdir()) == []


def test_psycopgs_warning_on_ending_a_broken_copy_is_not_a_second_line(caplog):
    import logging

    import backstation.team.connection  # noqa: F401  (installs the filter)

    with caplog.at_level(logging.WARNING):
        logging.getLogger("psycopg").warning("error ignored terminating %s: %s",
                                             "<psycopg.Copy [BAD] at 0x7f>",
                                             "the connection is lost")
        logging.getLogger("psycopg").warning("a warning of another kind")
    assert [r.getMessage() for r in caplog.records] == ["a warning of another kind"]


def test_a_team_connection_gives_up_on_a_silent_network_in_seconds_not_hours(team_server):
    # Wi-Fi lost mid-upload sends no FIN or RST: TCP keepalives and a user
    # timeout end the connection, so the upload fails and is retried.
    with connect("rack1") as conn:
        dsn = dict(part.split("=", 1) for part in conn.info.dsn.split())
    assert dsn["keepalives"] == "1"
    idle_s, every_s, probes = (int(dsn[k]) for k in (
        "keepalives_idle", "keepalives_interval", "keepalives_count"))
    assert idle_s + every_s * probes <= DEAD_PEER_S
    assert int(dsn["tcp_user_timeout"]) == DEAD_PEER_S * 1000


def test_a_login_without_its_password_is_told_where_the_password_goes(tmp_path, monkeypatch):
    # A server that asks for a password (PostgreSQL's AuthenticationCleartextPassword),
    # on a socket in a short folder (a socket's path has at most 107 bytes).
    folder = Path(tempfile.mkdtemp(prefix="bs-auth-"))
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(folder / ".s.PGSQL.5432"))
    listener.listen(1)
    listener.settimeout(10)

    def ask_for_a_password():
        conn, _ = listener.accept()
        with conn:
            conn.recv(1024)                                  # the startup packet
            conn.sendall(b"R" + struct.pack("!ii", 8, 3))
            conn.recv(1024)                                  # libpq, with none, hangs up

    server = threading.Thread(target=ask_for_a_password)
    server.start()
    write_service_file(tmp_path / "pg_service.conf",
                       {"team": f"host={folder} port=5432 dbname=t user=station_rack1"})
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "pg_service.conf"))
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "no-pgpass"))
    try:
        with pytest.raises(ServerUnreachable) as failed:
            connect("team")
    finally:
        server.join(10)
        listener.close()
        shutil.rmtree(folder)
    message = str(failed.value)
    assert message.startswith("cannot reach the team server 'team': ")
    assert "no password supplied" in message and "\n" not in message
    assert message.endswith("; the login's password goes in ~/.pgpass (docs/team.md)")

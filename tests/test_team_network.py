"""A network that drops under `backstation sync` (issue 15, faults), through
a TCP proxy (tests/tcp_proxy.py) rather than the server ending the backend
politely (tests/test_team_faults.py): the connection reset in the middle of a
session's COPY, and a connection that goes silent. One line, exit 6, nothing
of the session on the server; the next sync sends it once and whole."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from backstation.cli import main
from backstation.storage import Database
from backstation.team.connection import DEAD_PEER_ENV, EXIT_TEAM_ERROR

from .pg import ADMIN_ROLE
from .team import STATIONS, record_session, team_server, write_service_file  # noqa: F401
from .tcp_proxy import tcp_proxy  # noqa: F401
from .test_team_faults import _rows_visible, _whole_on_server

FAR = "rack1_far"                    # rack1's login, reached through the proxy
SILENT_BOUND_S = 1                   # DEAD_PEER_ENV in the silent test
SYNC_START_S = 6.0                   # a process importing numpy and psycopg on a loaded CI
SYNC_WAIT_S = 20.0                   # a sync that has not ended by then hangs


def _through_proxy(team_server, tcp_proxy, tmp_path, monkeypatch) -> None:
    services = {**team_server.conninfo_for,
                FAR: f"host=127.0.0.1 port={tcp_proxy.port} dbname={team_server.dbname}"
                     f" user={STATIONS['rack1']}"}
    write_service_file(tmp_path / "pg_service.conf", services)
    monkeypatch.setenv("PGSERVICEFILE", str(tmp_path / "pg_service.conf"))


def _sessions(path, seconds: tuple[float, ...]) -> tuple[list[int], str]:
    """Sessions of ``seconds`` at 1 kHz; the ids and the second's uid."""
    with Database(path) as db:
        sids = [record_session(db, seconds=s, rate_hz=1000, flushes_per_s=4) for s in seconds]
        return sids, db.get_session(sids[1]).uid


def test_a_network_reset_mid_copy_fails_in_one_line_and_the_rerun_uploads_it_whole(
        tmp_path, team_server, tcp_proxy, monkeypatch, capsys, caplog):
    _through_proxy(team_server, tcp_proxy, tmp_path, monkeypatch)
    path = tmp_path / "rack1.db"
    sids, cut_uid = _sessions(path, (0.5, 20))
    tcp_proxy.strike("cut", after_bytes=300_000)     # the first whole, the second's samples half
    assert main(["sync", "--server", FAR, "--db", str(path)]) == EXIT_TEAM_ERROR
    out, err = capsys.readouterr()
    assert tcp_proxy.faults == 1 and out == "" and err.count("\n") == 1
    assert err.startswith(f"backstation: the connection to the team server {FAR!r} failed "
                          f"while uploading session {sids[1]} (")
    assert err.endswith("1 session uploaded before it; run sync again\n")
    assert not [r for r in caplog.records if r.name.startswith("psycopg")]
    assert _rows_visible(team_server, cut_uid) == dict.fromkeys(
        ("sessions", "force_chunks", "distance_chunks", "reps", "events"), 0)
    with Database(path) as db:
        assert db.pending_uploads(FAR) == sids[1:]

    tcp_proxy.strike(None)
    assert main(["sync", "--server", FAR, "--db", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"sync to {FAR} (station rack1): 1 session uploaded")
    with Database(path) as db:
        figures = _whole_on_server(team_server, db)
    assert figures["found"] == figures["wanted"] and len(figures["found"]) == 2
    assert team_server.count("sessions") == 2


def test_a_network_gone_silent_mid_upload_is_given_up_in_seconds_and_the_rerun_finishes(
        tmp_path, team_server, tcp_proxy, monkeypatch, capsys):
    _through_proxy(team_server, tcp_proxy, tmp_path, monkeypatch)
    path = tmp_path / "rack1.db"
    sids, silent_uid = _sessions(path, (0.5, 20))
    tcp_proxy.strike("silent", after_bytes=300_000)
    env = {**os.environ, DEAD_PEER_ENV: str(SILENT_BOUND_S)}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "backstation", "sync", "--server", FAR,
                             "--db", str(path)], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=SYNC_WAIT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    took_s = time.monotonic() - started
    assert tcp_proxy.faults == 1 and proc.returncode == EXIT_TEAM_ERROR
    assert out == "" and err.count("\n") == 1
    assert err.startswith(f"backstation: the connection to the team server {FAR!r} failed "
                          f"while uploading session {sids[1]} (")
    assert _rows_visible(team_server, silent_uid)["sessions"] == 0
    assert took_s < SILENT_BOUND_S + SYNC_START_S, took_s

    # The silenced backend still holds the session's uncommitted row: a rerun
    # waits for it only as long as for a silent connection, then says so.
    tcp_proxy.strike(None)
    monkeypatch.setenv(DEAD_PEER_ENV, str(SILENT_BOUND_S))
    started = time.monotonic()
    assert main(["sync", "--server", FAR, "--db", str(path)]) == EXIT_TEAM_ERROR
    held = capsys.readouterr()
    assert held.out == "" and held.err.count("\n") == 1
    assert f"still holds session {sids[1]} for an upload whose connection was lost" in held.err
    assert time.monotonic() - started < SILENT_BOUND_S + SYNC_START_S
    with Database(path) as db:
        assert db.pending_uploads(FAR) == sids[1:]
    tcp_proxy.end_silenced()      # the server notices the dead connection
    assert main(["sync", "--server", FAR, "--db", str(path)]) == 0
    assert capsys.readouterr().out.startswith(f"sync to {FAR} (station rack1): 1 session uploaded")
    with Database(path) as db:
        figures = _whole_on_server(team_server, db)
    assert figures["found"] == figures["wanted"] and len(figures["found"]) == 2


def test_a_dead_peer_bound_that_is_not_whole_seconds_is_refused_in_one_line(
        tmp_path, monkeypatch, capsys):
    with Database(tmp_path / "rack1.db"):
        pass
    monkeypatch.setenv(DEAD_PEER_ENV, "soon")
    assert main(["sync", "--server", FAR, "--db", str(tmp_path / "rack1.db")]) == EXIT_TEAM_ERROR
    assert capsys.readouterr().err == (f"backstation: {DEAD_PEER_ENV} must be a whole number "
                                       "of seconds, not 'soon'\n")

"""Least privilege on the team server, enforced by the server itself (grants
and row-level security, team/schema.py v2): a station adds its own sessions
and reads the team's; only a coach corrects or deletes."""

from __future__ import annotations

import uuid

import psycopg
import pytest

from backstation.storage import Database
from backstation.team import TeamError, sync

from .team import record_session, team_server, write_service_file  # noqa: F401


@pytest.fixture
def two_sessions(tmp_path, team_server):
    """rack1's and rack2's sessions on the server: {station: session uid}."""
    uids = {}
    for station in ("rack1", "rack2"):
        with Database(tmp_path / f"{station}.db") as db:
            sid = record_session(db, athlete=f"Athlete of {station}", seconds=1)
            sync(db, station)
            uids[station] = db.get_session(sid).uid
    return uids


def test_a_station_cannot_delete_another_stations_session(team_server, two_sessions):
    with team_server.connect("rack1") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM sessions WHERE uid = %s", (two_sessions["rack2"],))
        for table in ("force_chunks", "reps", "events"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"DELETE FROM {table} WHERE session_uid = %s",
                             (two_sessions["rack2"],))
    assert team_server.count("sessions") == 2


def test_a_station_cannot_change_another_stations_session(team_server, two_sessions):
    with team_server.connect("rack1") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE sessions SET notes = 'mine now' WHERE uid = %s",
                         (two_sessions["rack2"],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE reps SET valid = true WHERE session_uid = %s",
                         (two_sessions["rack2"],))


def test_a_station_reads_the_teams_sessions(team_server, two_sessions):
    with team_server.connect("rack1") as conn:
        stations = conn.execute("SELECT station FROM sessions ORDER BY station").fetchall()
        chunks = conn.execute("SELECT count(DISTINCT session_uid) FROM force_chunks").fetchone()
    assert stations == [("rack1",), ("rack2",)]
    assert chunks == (2,)


def test_a_station_cannot_insert_as_another_station_or_into_its_session(team_server,
                                                                         two_sessions):
    with team_server.connect("rack1") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(
                "INSERT INTO sessions (uid, station, local_id, started_at, exercise,"
                " force_samples, distance_samples, crc_errors, malformed, overlong, lost_force,"
                " lost_distance, reconnects, reboots) VALUES"
                " (%s, 'rack2', 1, now(), 'inverted-row', 0, 0, 0, 0, 0, 0, 0, 0, 0)",
                (uuid.uuid4(),))
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO events (session_uid, ord, t_host_s, kind, detail)"
                         " VALUES (%s, 99, 0, 'fault', 'forged')", (two_sessions["rack2"],))


def test_a_coach_corrects_and_deletes_any_session(team_server, two_sessions):
    with team_server.connect("coach") as conn:
        conn.execute("UPDATE reps SET valid = true, reason = NULL WHERE session_uid = %s",
                     (two_sessions["rack2"],))
        conn.execute("DELETE FROM sessions WHERE uid = %s", (two_sessions["rack1"],))
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO stations (name, login_role) VALUES ('rack9', 'x')")
    assert team_server.count("sessions") == 1
    with team_server.connect() as conn:       # the session's rows went with it
        assert conn.execute("SELECT count(*) FROM force_chunks WHERE session_uid = %s",
                            (two_sessions["rack1"],)).fetchone()[0] == 0


def test_a_login_that_is_no_registered_station_is_told_so(tmp_path, pg_server, team_server):
    with team_server.connect() as conn:
        conn.execute("CREATE ROLE not_a_station LOGIN IN ROLE backstation_station")
    write_service_file(tmp_path / "pg_service.conf", {
        "stray": pg_server.conninfo(team_server.dbname, "not_a_station")})
    with Database(tmp_path / "s.db") as db:
        record_session(db, seconds=0.5)
        with pytest.raises(TeamError, match="'not_a_station' .* is not a registered station"):
            sync(db, "stray")
        assert len(db.pending_uploads("stray")) == 1


def test_adding_a_station_says_what_was_done_and_a_taken_name_or_login_in_one_line(
        team_server, capsys):
    from backstation.team import admin
    from backstation.team.connection import EXIT_TEAM_ERROR

    assert admin.main(["--server", "owner", "add-station", "rack3", "station_rack3"]) == 0
    assert capsys.readouterr().out == (
        "station rack3: login station_rack3 (its password: "
        "psql \"service=owner\" -c '\\password station_rack3')\n")
    for argv in (["rack1", "station_other"], ["rack9", "station_rack2"]):
        assert admin.main(["--server", "owner", "add-station", *argv]) == EXIT_TEAM_ERROR
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "is already registered, with the login" in err
        assert "duplicate key" not in err
    with team_server.connect() as conn:
        assert conn.execute("SELECT name, login_role FROM stations ORDER BY name").fetchall() == [
            ("rack1", "station_rack1"), ("rack2", "station_rack2"), ("rack3", "station_rack3")]

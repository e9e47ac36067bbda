"""`backstation sync`'s engine (team/upload.py): finished sessions go whole,
once, to the team server; athletes are shared by a stable id."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.storage import Database
from backstation.storage.blobs import RAW_DTYPE, from_blob
from backstation.team import TeamError, sync

from .team import record_session, team_server  # noqa: F401


def test_sync_uploads_a_finished_session_whole(tmp_path, team_server):
    with Database(tmp_path / "rack1.db") as db:
        sid = record_session(db)
        still_recording = db.create_session()
        report = sync(db, "rack1")
        local = db.get_session(sid)
        force = db.load_force(sid)
        assert report.uploaded == [sid] and report.already == []
        assert report.station == "rack1"
        assert db.pending_uploads("rack1") == []
        assert still_recording not in report.uploaded
    with team_server.connect() as conn:
        row = conn.execute("SELECT station, local_id, force_samples, crc_errors, reconnects,"
                           " started_at = %s::timestamptz FROM sessions WHERE uid = %s",
                           (local.started_at, local.uid)).fetchone()
        assert row == ("rack1", sid, local.force_samples, 2, 1, True)
        assert conn.execute("SELECT count(*) FROM calibrations").fetchone()[0] == 2
        assert conn.execute("SELECT kind FROM events ORDER BY ord").fetchall() == [
            ("contact",), ("time_origin",)]
        assert conn.execute("SELECT valid, reason, metrics::text FROM reps ORDER BY rep_index"
                            ).fetchall() == [
            (True, None, '{"peak_force_n": 512.25, "rfd_n_per_s": null}'),
            (False, "no_contact", '{"peak_force_n": 498.0}')]
        raw = [from_blob(blob, RAW_DTYPE, n * ch, "raw").reshape(n, ch) for n, ch, blob in
               conn.execute("SELECT n, channels, raw FROM force_chunks ORDER BY chunk_no")]
    np.testing.assert_array_equal(np.concatenate(raw), force.raw)


def test_uploading_twice_changes_nothing(tmp_path, team_server):
    with Database(tmp_path / "rack1.db") as db:
        sid = record_session(db)
        sync(db, "rack1")
        before = {t: team_server.count(t) for t in ("sessions", "force_chunks", "reps")}
        assert sync(db, "rack1").uploaded == []
        # The station lost its record of the upload (a crash after the
        # server's COMMIT): the server recognises the session by its uid.
        db._conn.execute("DELETE FROM uploads")
        report = sync(db, "rack1")
        assert report.uploaded == [] and report.already == [sid]
        assert db.pending_uploads("rack1") == []
    assert {t: team_server.count(t) for t in before} == before


def test_an_athlete_recorded_on_two_stations_is_one_athlete(tmp_path, team_server):
    with Database(tmp_path / "rack1.db") as one, Database(tmp_path / "rack2.db") as two:
        record_session(one, athlete="Anna")
        record_session(two, athlete="anna")       # another station, its own uid for her
        assert one.get_athlete("Anna").uid != two.get_athlete("anna").uid
        sync(one, "rack1")
        sync(two, "rack2")
        team_uid = one.get_athlete("Anna").uid
        assert two.get_athlete("anna").uid == team_uid     # rack2 adopted the team's id
    with team_server.connect() as conn:
        assert conn.execute("SELECT count(*) FROM athletes").fetchone()[0] == 1
        rows = conn.execute("SELECT station, athlete_uid::text FROM sessions ORDER BY station")
        assert rows.fetchall() == [("rack1", team_uid), ("rack2", team_uid)]


def test_a_team_database_at_another_schema_version_is_refused_with_what_to_do(
        tmp_path, team_server):
    with team_server.connect() as conn:
        conn.execute("UPDATE backstation_schema SET version = 1")
    with Database(tmp_path / "rack1.db") as db:
        record_session(db, seconds=0.5)
        with pytest.raises(TeamError, match=r"schema version 1, this Back Station needs 2: "
                                            r"its owner runs .*migrate"):
            sync(db, "rack1")
        assert len(db.pending_uploads("rack1")) == 1
    assert team_server.count("sessions") == 0


def test_a_session_deleted_on_the_station_during_a_sync_is_skipped_not_a_failure(
        tmp_path, team_server):
    with Database(tmp_path / "rack1.db") as db:
        first, deleted, third = (record_session(db, seconds=0.5) for _ in range(3))

        def delete_the_next(session_id: int, _sent: bool) -> None:
            if session_id == first:             # History's Delete while sync runs
                db.delete_session(deleted)

        report = sync(db, "rack1", on_session=delete_the_next)
        assert report.uploaded == [first, third]
        assert db.pending_uploads("rack1") == []
    assert team_server.count("sessions") == 2


REFUSED_NOTE = "refused by the team rule"


def refuse_a_session(team_server, db: Database, session_id: int) -> None:
    """A team rule the session breaks: a CHECK on the server, a note on the station."""
    with team_server.connect() as conn:
        conn.execute("ALTER TABLE sessions ADD CONSTRAINT no_such_note"
                     f" CHECK (notes IS DISTINCT FROM '{REFUSED_NOTE}')")
    db._conn.execute("UPDATE sessions SET notes = ? WHERE id = ?", (REFUSED_NOTE, session_id))
    db._conn.commit()


def test_a_session_the_server_refuses_is_reported_and_skipped_the_others_uploaded(
        tmp_path, team_server, capsys):
    from backstation.cli import main
    from backstation.team.connection import EXIT_TEAM_ERROR

    path = tmp_path / "rack1.db"
    with Database(path) as db:
        first, refused, third = (record_session(db, seconds=0.5) for _ in range(3))
        refuse_a_session(team_server, db, refused)
        report = sync(db, "rack1")
        assert report.uploaded == [first, third]
        assert [r.session_id for r in report.refused] == [refused]
        assert db.pending_uploads("rack1") == [refused]      # kept, tried again next time
    summary, line = report.lines()
    assert summary == ("sync to rack1 (station rack1): 2 sessions uploaded, 0 already there; "
                       "1 session refused by the server")
    assert line.startswith(f"session {refused} refused by the team server, kept on this "
                           'station: new row for relation "sessions" violates check constraint')
    assert team_server.count("sessions") == 2
    # The command line: the same lines, exit 6; a later session still goes up.
    with Database(path) as db:
        fourth = record_session(db, seconds=0.5)
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == EXIT_TEAM_ERROR
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ("sync to rack1 (station rack1): 1 session uploaded, 0 already there; "
                      "1 session refused by the server")
    assert out[1].startswith(f"session {refused} refused by the team server") and len(out) == 2
    with Database(path) as db:
        assert db.pending_uploads("rack1") == [refused] and fourth not in db.pending_uploads(
            "rack1")

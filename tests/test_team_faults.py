"""Faults during `backstation sync` (team/upload.py): the connection cut in
the middle of a COPY, and two uploaders of the same session at once. Nothing
is lost, nothing is there twice, no half session is ever visible."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import numpy as np
import psycopg
import pytest

from backstation.cli import main
from backstation.storage import Database
from backstation.storage.blobs import RAW_DTYPE, from_blob
from backstation.team import UploadInterrupted, admin, read, sync
from backstation.team import upload as upload_module
from backstation.team.connection import EXIT_TEAM_ERROR
from backstation.team.upload import AthleteConflict

from .team import new_team_server, record_session, team_server  # noqa: F401

WAIT_S = 10.0


def _rows_visible(team_server, session_uid: str) -> dict[str, int]:
    with team_server.connect() as conn:
        return {table: conn.execute(f"SELECT count(*) FROM {table} WHERE {key} = %s",
                                    (session_uid,)).fetchone()[0]
                for table, key in (("sessions", "uid"), ("force_chunks", "session_uid"),
                                   ("distance_chunks", "session_uid"),
                                   ("reps", "session_uid"), ("events", "session_uid"))}


def test_a_connection_cut_mid_copy_leaves_nothing_and_the_rerun_uploads_it_whole(
        tmp_path, team_server, monkeypatch):
    with Database(tmp_path / "rack1.db") as db:
        first = record_session(db, seconds=1)
        cut = record_session(db, seconds=5)
        cut_uid = db.get_session(cut).uid
        original = upload_module._copy_chunks
        cuts = []

        class CutAfterThreeRows(list):
            """The chunk rows; after the third is written to the COPY, another
            connection terminates the uploader's backend."""

            def __init__(self, rows, pid):
                super().__init__(rows)
                self.pid = pid

            def __iter__(self):
                for i, row in enumerate(super().__iter__()):
                    if i == 3:
                        with team_server.connect() as admin:
                            assert admin.execute("SELECT pg_terminate_backend(%s)",
                                                 (self.pid,)).fetchone()[0]
                        cuts.append(self.pid)
                    yield row

        def copy_cut(conn, table, columns, session_uid, rows):
            if str(session_uid) == cut_uid and table == "force_chunks" and not cuts:
                rows = CutAfterThreeRows(rows, conn.info.backend_pid)
            return original(conn, table, columns, session_uid, rows)

        monkeypatch.setattr(upload_module, "_copy_chunks", copy_cut)
        with pytest.raises(UploadInterrupted, match=f"session {cut}.*run sync again"):
            sync(db, "rack1")
        assert cuts
        assert db.pending_uploads("rack1") == [cut]            # the first one is done
        assert _rows_visible(team_server, cut_uid) == dict.fromkeys(
            ("sessions", "force_chunks", "distance_chunks", "reps", "events"), 0)

        report = sync(db, "rack1")
        assert report.uploaded == [cut]
        local = db.get_session(cut)
        n_chunks = db._conn.execute("SELECT count(*) FROM force_chunks WHERE session_id = ?",
                                    (cut,)).fetchone()[0]
    visible = _rows_visible(team_server, cut_uid)
    assert visible["sessions"] == 1 and visible["force_chunks"] == n_chunks
    with team_server.connect() as conn:
        assert conn.execute("SELECT sum(n) FROM force_chunks WHERE session_uid = %s",
                            (cut_uid,)).fetchone()[0] == local.force_samples
    assert team_server.count("sessions") == 2 and first != cut


def test_the_same_session_uploaded_by_two_processes_at_once_is_there_once(
        tmp_path, team_server, monkeypatch):
    path = tmp_path / "rack1.db"
    with Database(path) as db:
        sid = record_session(db, seconds=2)
        uid = db.get_session(sid).uid
    original = upload_module._copy_chunks
    first_in = threading.Event()
    let_first_commit = threading.Event()

    def copy_then_hold(conn, table, columns, session_uid, rows):
        original(conn, table, columns, session_uid, rows)
        if threading.current_thread().name == "uploader-1" and table == "distance_chunks":
            first_in.set()
            assert let_first_commit.wait(WAIT_S)

    monkeypatch.setattr(upload_module, "_copy_chunks", copy_then_hold)
    reports, errors = {}, []

    def uploader(name: str) -> None:
        try:
            with Database(path) as db:
                reports[name] = sync(db, "rack1")
        except BaseException as exc:           # reported by the test, not lost in a thread
            errors.append(exc)
            first_in.set()

    one = threading.Thread(target=uploader, args=("uploader-1",), name="uploader-1")
    one.start()
    assert first_in.wait(WAIT_S)
    two = threading.Thread(target=uploader, args=("uploader-2",), name="uploader-2")
    two.start()
    # The second uploader waits on the first's uncommitted session row.
    deadline = time.monotonic() + WAIT_S
    with team_server.connect() as conn:
        while not conn.execute("SELECT count(*) FROM pg_stat_activity WHERE"
                               " wait_event_type = 'Lock' AND usename = 'station_rack1'"
                               ).fetchone()[0]:
            assert time.monotonic() < deadline, "the second uploader never waited"
            time.sleep(0.01)                   # the poll's interval, not a guess at timing
    let_first_commit.set()
    one.join(WAIT_S)
    two.join(WAIT_S)
    assert not errors, errors
    assert reports["uploader-1"].uploaded == [sid]
    assert reports["uploader-2"].already == [sid] and reports["uploader-2"].uploaded == []
    visible = _rows_visible(team_server, uid)
    assert visible["sessions"] == 1 and visible["reps"] == 2
    with Database(path) as db:
        assert db.pending_uploads("rack1") == []


def _whole_on_server(team_server, db: Database) -> dict[str, tuple]:
    """Each local session's (sessions rows, force samples, distance samples,
    raw count sum) on the server, by uid, against the station's own figures."""
    wanted, found = {}, {}
    with team_server.connect() as conn:
        for info in db.list_sessions():
            force = db.load_force(info.id)
            wanted[info.uid] = (1, info.force_samples, info.distance_samples,
                                int(force.raw.astype(np.int64).sum()))
            rows = conn.execute("SELECT count(*) FROM sessions WHERE uid = %s",
                                (info.uid,)).fetchone()[0]
            n_force, raw_sum = 0, 0
            for n, channels, blob in conn.execute(
                    "SELECT n, channels, raw FROM force_chunks WHERE session_uid = %s",
                    (info.uid,)):
                n_force += n
                raw_sum += int(from_blob(blob, RAW_DTYPE, n * channels, "raw")
                               .astype(np.int64).sum())
            n_distance = conn.execute("SELECT coalesce(sum(n), 0) FROM distance_chunks"
                                      " WHERE session_uid = %s", (info.uid,)).fetchone()[0]
            found[info.uid] = (rows, n_force, n_distance, raw_sum)
    return {"wanted": wanted, "found": found}


def test_the_server_restarted_during_a_sync_fails_in_one_line_and_the_rerun_finishes(
        tmp_path, pg_server, team_server, monkeypatch, capsys):
    path = tmp_path / "rack1.db"
    with Database(path) as db:
        sids = [record_session(db, seconds=4) for _ in range(3)]
        restarted_in = db.get_session(sids[1]).uid
    original = upload_module._copy_chunks
    stops = []

    def restarted_rows(rows):
        for i, row in enumerate(rows):
            if i == 2:                        # in the middle of the session's COPY
                stops.append(pg_server.postmaster_pid())
                pg_server.stop("fast")
                pg_server.start()
            yield row

    def copy_across_a_restart(conn, table, columns, session_uid, rows):
        if str(session_uid) == restarted_in and table == "force_chunks" and not stops:
            rows = restarted_rows(rows)
        return original(conn, table, columns, session_uid, rows)

    monkeypatch.setattr(upload_module, "_copy_chunks", copy_across_a_restart)
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == EXIT_TEAM_ERROR
    out, err = capsys.readouterr()
    assert stops and out == "" and err.count("\n") == 1
    assert err.startswith(f"backstation: the connection to the team server 'rack1' failed "
                          f"while uploading session {sids[1]} (")
    assert err.endswith("1 session uploaded before it; run sync again\n")
    with Database(path) as db:
        assert db.pending_uploads("rack1") == sids[1:]
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == 0
    assert capsys.readouterr().out.startswith("sync to rack1 (station rack1): 2 sessions uploaded")
    with Database(path) as db:
        figures = _whole_on_server(team_server, db)
    assert figures["found"] == figures["wanted"] and len(figures["found"]) == 3
    assert team_server.count("sessions") == 3


def test_sessions_of_stations_whose_clocks_are_hours_off_upload_and_list_once_in_order(
        tmp_path, team_server, capsys):
    now = datetime.now(timezone.utc)
    clocks = {"rack1": timedelta(hours=9), "rack2": timedelta(hours=-7)}   # ahead, behind
    for station, skew in clocks.items():
        with Database(tmp_path / f"{station}.db") as db:
            for minutes in (0, 30):
                record_session(db, seconds=0.5,
                               started_at=now + skew + timedelta(minutes=minutes))
    # Interleaved: rack1 syncs one, rack2 both, then rack1 the rest.
    with Database(tmp_path / "rack1.db") as one, Database(tmp_path / "rack2.db") as two:
        one._conn.execute("INSERT INTO uploads (session_id, server, uploaded_at)"
                          " VALUES (2, 'rack1', 'x')")   # held back for now
        assert sync(one, "rack1").uploaded == [1]
        assert sync(two, "rack2").uploaded == [1, 2]
        one._conn.execute("DELETE FROM uploads WHERE session_id = 2")
        assert sync(one, "rack1").uploaded == [2]
        local = {(station, s.id): s for station, db in (("rack1", one), ("rack2", two))
                 for s in db.list_sessions()}
    with team_server.connect("coach") as conn:
        listed = read.list_sessions(conn)
    assert [(t.station, t.info.id) for t in listed] == [
        ("rack2", 1), ("rack2", 2), ("rack1", 1), ("rack1", 2)]       # by the stations' times
    for t in listed:
        assert t.info == local[(t.station, t.info.id)]
    assert main(["sessions", "--server", "rack2"]) == 0
    lines = capsys.readouterr().out.splitlines()[1:]
    assert [line.split()[:3] for line in lines] == [
        [t.station, str(t.info.id), t.info.started_at[:16]] for t in listed]


def test_two_stations_editing_an_athletes_body_mass_differently_see_the_conflict(
        tmp_path, team_server, capsys):
    one_path, two_path = tmp_path / "rack1.db", tmp_path / "rack2.db"
    with Database(one_path) as one, Database(two_path) as two:
        record_session(one, "Anna", seconds=0.5, body_mass_kg=70.0)
        record_session(two, "anna", seconds=0.5, body_mass_kg=70.0)
        assert sync(one, "rack1").conflicts == []
        assert sync(two, "rack2").conflicts == []
        one.get_or_create_athlete("Anna", 72.0)            # weighed on rack1
        two.get_or_create_athlete("anna", 68.5)            # and on rack2, differently
        first = sync(one, "rack1")
        assert first.conflicts == [AthleteConflict("Anna", 72.0, 70.0)]
    assert main(["sync", "--server", "rack2", "--db", str(two_path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "sync to rack2 (station rack2): 0 sessions uploaded, 0 already there; "
        "1 athlete differs from the team",
        "athlete Anna: body mass 68.5 kg on this station, 70 kg on the team server, which "
        "keeps its own until a coach sets it (docs/team.md)"]
    with team_server.connect() as conn:
        assert conn.execute("SELECT body_mass_kg FROM athletes").fetchall() == [(70.0,)]
    with Database(one_path) as one, Database(two_path) as two:
        assert one.get_athlete("Anna").body_mass_kg == 72.0     # neither station's changed
        assert two.get_athlete("anna").body_mass_kg == 68.5
    # The coach decides for rack2's figure: rack2 agrees, rack1 is still told.
    assert admin.main(["--server", "coach", "set-body-mass", "ANNA", "68.5"]) == 0
    assert capsys.readouterr().out == "Anna: 68.5 kg on the team server\n"
    with Database(one_path) as one, Database(two_path) as two:
        assert sync(two, "rack2").conflicts == []
        assert sync(one, "rack1").conflicts == [AthleteConflict("Anna", 72.0, 68.5)]
    with team_server.connect() as conn:                 # each session kept its own mass
        assert conn.execute("SELECT body_mass_kg FROM sessions").fetchall() == [(70.0,)] * 2
    # Only a coach settles it; an athlete the team lacks, or a mass nobody has, is one line.
    for argv, says in ((["--server", "rack1", "set-body-mass", "Anna", "60"],
                        "backstation: the team server 'rack1': permission denied for table"
                        " athletes\n"),
                       (["--server", "coach", "set-body-mass", "Zoe", "60"],
                        "backstation: no athlete 'Zoe' on the team server\n")):
        assert admin.main(argv) == EXIT_TEAM_ERROR
        assert capsys.readouterr().err == says
    with pytest.raises(SystemExit):
        admin.main(["--server", "coach", "set-body-mass", "Anna", "5"])
    assert "body mass must be between 20 and 300 kg, not 5" in capsys.readouterr().err


def test_two_athletes_a_station_tells_apart_and_the_team_does_not_never_stop_sync(
        pg_server, tmp_path, monkeypatch):
    # SQLite's NOCASE folds ASCII only: "Émile" and "émile" are two athletes on
    # the station; a server whose locale folds every letter knows one. The
    # second's sessions go to the team's Émile, and the station keeps both.
    team = new_team_server(pg_server, tmp_path, monkeypatch, ctype="C.UTF-8")
    path = tmp_path / "rack1.db"
    with Database(path) as db:
        first = record_session(db, "Émile", seconds=0.5)
        second = record_session(db, "émile", seconds=0.5)
        later = record_session(db, "Ben", seconds=0.5)
        uids = {a.name: a.uid for a in db.list_athletes()}
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == 0
    with Database(path) as db:
        assert db.pending_uploads("rack1") == []
        assert {a.name: a.uid for a in db.list_athletes()} == uids     # none adopted twice
    assert main(["sync", "--server", "rack1", "--db", str(path)]) == 0
    with team.connect() as conn:
        rows = conn.execute("SELECT s.local_id, a.name FROM sessions s JOIN athletes a"
                            " ON a.uid = s.athlete_uid ORDER BY s.local_id").fetchall()
    assert rows == [(first, "Émile"), (second, "Émile"), (later, "Ben")]

"""Faults during `backstation sync` (team/upload.py): the connection cut in
the middle of a COPY, and two uploaders of the same session at once. Nothing
is lost, nothing is there twice, no half session is ever visible."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from backstation.storage import Database
from backstation.team import UploadInterrupted, sync
from backstation.team import upload as upload_module

from .team import record_session, team_server  # noqa: F401

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

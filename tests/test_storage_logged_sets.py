"""Schema v8: sets logged by hand of the exercises done with dumbbells away
from the bar (exercises.LOGGED_EXERCISES): stored, numbered, refused in one
line when a value cannot be, deleted with their session, written by both
writers, and placed among the station's sets in the order done."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timezone
from pathlib import Path

import pytest

from backstation.exercises import DUMBBELL_SHRUG, REAR_DELT_FLYE
from backstation.storage import (Database, LoggedSet, OlderDatabase, SessionNotFound,
                                 SessionWriter, SetRecord, StorageError, upgrade)
from backstation.storage.logged import in_order
from backstation.storage.schema import MIGRATIONS
from backstation.storage.threaded_writer import ThreadedWriter

AT = datetime(2026, 12, 2, 17, 5, 30, 250_000, tzinfo=timezone.utc)


def _station_set(sid: int, index: int, t_start_us: int) -> SetRecord:
    return SetRecord(sid, index, "inverted-row", None, None, False, t_start_us,
                     t_start_us + 20_000_000, 8, 0, {})


def test_a_logged_set_round_trips_with_every_field(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session()
        stored = db.add_logged_set(sid, DUMBBELL_SHRUG, 12, load_kg=22.5, hold_s=2.0, rpe=8.5,
                                   notes="  slow lowering ", t_device_us=61_000_000,
                                   logged_at=AT)
        flye = db.add_logged_set(sid, REAR_DELT_FLYE, 15, load_kg=6)
    with Database(tmp_path / "s.db", read_only=True) as db:
        assert db.logged_sets(sid) == [stored, flye]
    assert stored == LoggedSet(sid, 1, DUMBBELL_SHRUG, 12, 22.5, 2.0, 8.5, "slow lowering",
                               "2026-12-02T17:05:30.250+00:00", 61_000_000)
    assert (flye.set_no, flye.hold_s, flye.rpe, flye.notes, flye.t_device_us) == (
        2, None, None, None, None)
    assert datetime.fromisoformat(flye.logged_at).tzinfo is not None


@pytest.mark.parametrize("kwargs, said", [
    ({"exercise": "curl", "reps": 10}, "unknown exercise 'curl'; sets logged by hand are of "
                                       "rear-delt-flye, dumbbell-shrug"),
    ({"exercise": "inverted-row", "reps": 10}, "unknown exercise 'inverted-row'"),
    ({"exercise": REAR_DELT_FLYE, "reps": 0}, "reps must be between 1 and 200, not 0"),
    ({"exercise": REAR_DELT_FLYE, "reps": 201}, "reps must be between 1 and 200, not 201"),
    ({"exercise": REAR_DELT_FLYE, "reps": 12.5}, "reps must be a whole number, not 12.5"),
    ({"exercise": REAR_DELT_FLYE, "reps": float("nan")}, "reps must be between 1 and 200"),
    ({"exercise": REAR_DELT_FLYE, "reps": 10, "load_kg": -1},
     "the dumbbell's mass must be between 0 and 100 kg, not -1"),
    ({"exercise": REAR_DELT_FLYE, "reps": 10, "load_kg": 100.5},
     "the dumbbell's mass must be between 0 and 100 kg, not 100.5"),
    ({"exercise": DUMBBELL_SHRUG, "reps": 10, "hold_s": 121},
     "the hold must be between 0 and 120 s, not 121"),
    ({"exercise": DUMBBELL_SHRUG, "reps": 10, "hold_s": float("inf")},
     "the hold must be between 0 and 120 s, not inf"),
    ({"exercise": DUMBBELL_SHRUG, "reps": 10, "rpe": 0.5}, "RPE must be between 1 and 10"),
])
def test_a_value_that_cannot_be_is_refused_in_one_line_and_nothing_is_stored(
        tmp_path, kwargs, said):
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session()
        with pytest.raises(ValueError) as refused:
            db.add_logged_set(sid, **kwargs)
        assert said in str(refused.value) and "\n" not in str(refused.value)
        assert db.logged_sets(sid) == []


def test_the_limits_themselves_are_accepted(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session()
        db.add_logged_set(sid, REAR_DELT_FLYE, 1, load_kg=0, hold_s=0)
        db.add_logged_set(sid, DUMBBELL_SHRUG, 200.0, load_kg=100, hold_s=120)
        assert [(s.reps, s.load_kg, s.hold_s) for s in db.logged_sets(sid)] == [
            (1, 0.0, 0.0), (200, 100.0, 120.0)]
        assert isinstance(db.logged_sets(sid)[1].reps, int)


def test_a_set_logged_for_no_session_is_refused(tmp_path):
    with Database(tmp_path / "s.db") as db:
        with pytest.raises(SessionNotFound):
            db.add_logged_set(7, REAR_DELT_FLYE, 10)


def test_a_deleted_logged_set_leaves_the_others_their_numbers(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session()
        for reps in (15, 14, 12):
            db.add_logged_set(sid, REAR_DELT_FLYE, reps, load_kg=6)
        db.delete_logged_set(sid, 2)
        assert [(s.set_no, s.reps) for s in db.logged_sets(sid)] == [(1, 15), (3, 12)]
        assert db.add_logged_set(sid, REAR_DELT_FLYE, 10).set_no == 4
        with pytest.raises(StorageError, match=f"session {sid} has no logged set 2 to delete"):
            db.delete_logged_set(sid, 2)


def test_deleting_a_session_deletes_its_logged_sets_and_no_other(tmp_path):
    with Database(tmp_path / "s.db") as db:
        gone, kept = db.create_session(), db.create_session()
        db.add_logged_set(gone, REAR_DELT_FLYE, 15, load_kg=6)
        db.add_logged_set(kept, DUMBBELL_SHRUG, 12, load_kg=20)
        db.delete_session(gone)
        rows = db._conn.execute("SELECT session_id FROM logged_sets").fetchall()
        assert [tuple(r) for r in rows] == [(kept,)]
        assert db.logged_sets(gone) == [] and len(db.logged_sets(kept)) == 1


def test_a_v7_database_is_refused_read_only_and_upgraded_keeping_its_sessions(tmp_path):
    path = tmp_path / "v7.db"
    with Database(path, migrations=MIGRATIONS[:7]) as db:
        sid = db.create_session()
        db.save_set(_station_set(sid, 1, 1_000_000))
        db.finish_session(sid)
        assert db.logged_sets(sid) == []           # no table yet: nothing logged, no error
    with pytest.raises(OlderDatabase):
        Database(path, read_only=True)
    assert upgrade(path) is True
    with Database(path, read_only=True) as db:
        assert db.schema_version == len(MIGRATIONS) > 7
        assert db.logged_sets(sid) == [] and len(db.sets(sid)) == 1
    with Database(path) as db:
        assert db.add_logged_set(sid, REAR_DELT_FLYE, 15).set_no == 1


def test_a_v7_file_written_by_raw_sql_gains_the_table(tmp_path):
    path = tmp_path / "v7.db"
    from backstation.storage.schema import migrate
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, MIGRATIONS[:7])
    conn.close()
    with Database(path) as db:
        columns = [r[1] for r in db._conn.execute("PRAGMA table_info(logged_sets)")]
    assert columns == ["id", "session_id", "set_no", "exercise", "reps", "load_kg", "hold_s",
                       "rpe", "notes", "logged_at", "t_device_us"]


def test_the_session_writer_stores_logged_sets_with_the_flush_in_order(tmp_path):
    with Database(tmp_path / "s.db") as db:
        sid = db.create_session()
        writer = SessionWriter(db, sid)
        writer.add_logged_set(REAR_DELT_FLYE, 15, load_kg=6, t_device_us=5_000_000,
                              logged_at=AT)
        writer.add_logged_set(DUMBBELL_SHRUG, 12, load_kg=20, hold_s=2, rpe=7)
        assert writer.has_pending and db.logged_sets(sid) == []
        with pytest.raises(ValueError, match="reps must be between 1 and 200, not 0"):
            writer.add_logged_set(REAR_DELT_FLYE, 0)
        writer.flush()
        assert not writer.has_pending
        stored = db.logged_sets(sid)
        assert [(s.set_no, s.exercise, s.reps, s.load_kg, s.hold_s, s.rpe) for s in stored] == [
            (1, REAR_DELT_FLYE, 15, 6.0, None, None), (2, DUMBBELL_SHRUG, 12, 20.0, 2.0, 7.0)]
        assert (stored[0].t_device_us, stored[0].logged_at) == (
            5_000_000, "2026-12-02T17:05:30.250+00:00")


def test_a_failed_flush_keeps_the_logged_set_and_the_next_one_stores_it_once(tmp_path):
    with Database(tmp_path / "s.db", busy_timeout_s=0.05) as db:
        sid = db.create_session()
        writer = SessionWriter(db, sid)
        writer.add_logged_set(REAR_DELT_FLYE, 15, load_kg=6)
        other = sqlite3.connect(db.path, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            with pytest.raises(StorageError, match="locked"):
                writer.flush()
            other.execute("ROLLBACK")
        finally:
            other.close()
        writer.flush()
        writer.flush()
        assert [s.set_no for s in db.logged_sets(sid)] == [1]


def test_the_threaded_writer_refuses_at_once_and_stores_on_its_thread(tmp_path):
    db = Database(tmp_path / "s.db")
    sid = db.create_session()
    errors: list[str] = []
    writer = ThreadedWriter(db, sid, on_error=errors.append)
    try:
        with pytest.raises(ValueError, match="unknown exercise 'row'"):
            writer.add_logged_set("row", 10)
        writer.add_logged_set(DUMBBELL_SHRUG, 12, load_kg=20, hold_s=2, t_device_us=9)
        writer.finish()
    finally:
        writer.close()
        db.close()
    assert errors == []
    with Database(tmp_path / "s.db", read_only=True) as reader:
        [stored] = reader.logged_sets(sid)
    assert (stored.exercise, stored.reps, stored.hold_s, stored.t_device_us) == (
        DUMBBELL_SHRUG, 12, 2.0, 9)


def test_logged_sets_take_their_place_among_the_station_sets_by_when_they_were_logged():
    station = [_station_set(1, i, t) for i, t in ((1, 10_000_000), (2, 60_000_000),
                                                  (3, 120_000_000))]

    def logged(no: int, t_us: int | None) -> LoggedSet:
        return LoggedSet(1, no, REAR_DELT_FLYE, 15, 6.0, None, None, None, "x", t_us)

    order = in_order(list(reversed(station)), [
        logged(3, None), logged(1, 5_000_000), logged(2, 60_000_000)])
    assert [(type(e).__name__, getattr(e, "set_index", None) or e.set_no) for e in order] == [
        ("LoggedSet", 1), ("SetRecord", 1), ("SetRecord", 2), ("LoggedSet", 2),
        ("SetRecord", 3), ("LoggedSet", 3)]
    assert in_order(station, []) == station
    assert in_order([], [logged(1, None)]) == [logged(1, None)]

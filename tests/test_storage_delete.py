"""Deleting a session removes everything recorded with it and nothing else."""

from __future__ import annotations

import sqlite3

import pytest

from backstation.samples import DistanceBlock, ForceBlock
from backstation.storage import Database, RepRecord, SessionNotFound, SetRecord


def _fill(db: Database, athlete) -> int:
    sid = db.create_session(athlete=athlete, device_id="AB12", force_channels=2)
    db.append_force(sid, ForceBlock.from_rows([1, 2], [10, 20], [(1, 2), (3, 4)], [0.1, 0.2], 2))
    db.append_distance(sid, DistanceBlock.from_rows([1], [15], [300], [0.15]))
    db.add_calibration(sid, 0, 100, 2.5, source="cal", mass_grams=5000.0)
    db.add_event(sid, "hello", "AB12", t_host_s=0.0)
    db.save_set(SetRecord(sid, 1, "inverted-row", None, None, False, 10, 20, 1, 0, {}))
    db.save_rep(RepRecord(sid, 1, 1, True, None, 10, 20, 500.0, 3.0, {}))
    return sid


def _rows(path, table: str, sid: int) -> int:
    with sqlite3.connect(path) as conn:
        return conn.execute(f"SELECT count(*) FROM {table} WHERE session_id = ?",
                            (sid,)).fetchone()[0]


def test_delete_session_removes_its_samples_and_judgement_but_not_others(tmp_path):
    path = tmp_path / "d.db"
    with Database(path) as db:
        ada = db.get_or_create_athlete("Ada", 60.0)
        doomed, kept = _fill(db, ada), _fill(db, ada)
        db.delete_session(doomed)
        assert [s.id for s in db.list_sessions()] == [kept]
        with pytest.raises(SessionNotFound):
            db.get_session(doomed)
        assert len(db.load_force(kept)) == 2 and len(db.reps(kept)) == 1
        assert db.get_athlete("Ada") is not None and db.get_device("AB12") is not None
    for table in ("force_chunks", "distance_chunks", "calibrations", "events", "sets", "reps"):
        assert _rows(path, table, doomed) == 0, table
        assert _rows(path, table, kept) > 0, table


def test_deleting_an_unknown_session_says_so(tmp_path):
    with Database(tmp_path / "d.db") as db:
        with pytest.raises(SessionNotFound):
            db.delete_session(42)

"""Schema v2: judged sets and reps, the athlete's contact threshold, and the
upgrade of a database the first release wrote."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.samples import ForceBlock
from backstation.storage import Database, RepRecord, SessionWriter, SetRecord, StorageError
from backstation.storage.schema import MIGRATIONS


def _rep(sid, set_index, rep_index, valid=True, reason=None, peak=612.5):
    return RepRecord(session_id=sid, set_index=set_index, rep_index=rep_index, valid=valid,
                     reason=reason, t_start_us=rep_index * 3_000_000,
                     t_end_us=rep_index * 3_000_000 + 2_500_000, peak_force_n=peak,
                     min_gap_mm=8.0, metrics={"rom_mm": 480.0, "rfd_n_per_s": float("nan")})


def _set(sid, set_index, valid_reps=0, t_end_us=None):
    return SetRecord(session_id=sid, set_index=set_index, exercise="inverted-row",
                     variant="heels-floor", added_load_kg=None, manual=False, t_start_us=0,
                     t_end_us=t_end_us, valid_reps=valid_reps, no_reps=0,
                     metrics={"velocity_loss_pct": 12.5})


def test_a_database_written_by_the_first_release_is_upgraded_with_its_samples(tmp_path):
    path = tmp_path / "v1.db"
    with Database(path, migrations=MIGRATIONS[:1]) as db:
        athlete = db.get_or_create_athlete("Ada", 61.0)
        sid = db._conn.execute(          # as the first release's create_session wrote it
            "INSERT INTO sessions (started_at, athlete_id, force_channels) VALUES (?, ?, 2)",
            ("2026-11-23T20:00:00Z", athlete.id)).lastrowid
        db.append_force(sid, ForceBlock(np.arange(3, dtype=np.uint16),
                                        np.array([0, 12_500, 25_000]),
                                        np.array([[1, 2], [3, 4], [5, 6]], np.int32),
                                        np.zeros(3)))
    with Database(path) as db:
        assert db.schema_version == len(MIGRATIONS) >= 2
        info = db.get_session(sid)
        assert info.athlete_name == "Ada" and info.contact_mm is None
        assert db.load_force(sid).raw.tolist() == [[1, 2], [3, 4], [5, 6]]
        assert db.get_athlete("ada").contact_mm is None
        assert db.sets(sid) == [] and db.reps(sid) == []


def test_sets_and_reps_round_trip_and_upsert(tmp_path):
    with Database(tmp_path / "t.db") as db:
        sid = db.create_session()
        db.save_set(_set(sid, 1))
        db.save_rep(_rep(sid, 1, 1))
        db.save_rep(_rep(sid, 1, 2, valid=False, reason="no_contact", peak=580.0))
        db.save_set(_set(sid, 1, valid_reps=1, t_end_us=9_000_000))   # the set, finished
        (stored_set,) = db.sets(sid)
        reps = db.reps(sid)
    assert stored_set.valid_reps == 1 and stored_set.t_end_us == 9_000_000
    assert stored_set.metrics == {"velocity_loss_pct": 12.5}
    assert [(r.rep_index, r.valid, r.reason) for r in reps] == [
        (1, True, None), (2, False, "no_contact")]
    assert reps[0].metrics["rfd_n_per_s"] is None, "NaN is stored as null, not as invalid JSON"


def test_writer_keeps_only_the_latest_version_of_a_set_per_flush(tmp_path):
    with Database(tmp_path / "t.db") as db:
        sid = db.create_session()
        writer = SessionWriter(db, sid, clock=lambda: 0.0)
        writer.add_set(_set(sid, 1))
        writer.add_rep(_rep(sid, 1, 1))
        writer.add_set(_set(sid, 1, valid_reps=1))
        writer.flush()
        assert [s.valid_reps for s in db.sets(sid)] == [1]
        assert len(db.reps(sid)) == 1
        assert not writer.has_pending


def test_contact_threshold_is_stored_per_athlete(tmp_path):
    with Database(tmp_path / "t.db") as db:
        db.get_or_create_athlete("Ada", 61.0)
        db.set_athlete_contact("Ada", 31.5)
        athlete = db.get_athlete("ADA")
    assert athlete.contact_mm == 31.5 and athlete.contact_calibrated_at is not None
    assert athlete.body_mass_kg == 61.0


def test_a_set_s_rpe_and_note_survive_the_judge_s_updates_of_the_set(tmp_path):
    with Database(tmp_path / "t.db") as db:
        sid = db.create_session()
        db.save_set(_set(sid, 1))
        assert db.note_set(sid, 1, 8.0, "  heavy  ") is True
        db.save_set(_set(sid, 1, valid_reps=6, t_end_us=9_000_000))   # the judge, later
        (s,) = db.sets(sid)
        assert (s.valid_reps, s.rpe, s.notes) == (6, 8.0, "heavy")
        with pytest.raises(ValueError, match="RPE must be between 1 and 10, not 11"):
            db.note_set(sid, 1, 11, None)
        with pytest.raises(StorageError, match="no set 2"):
            db.note_set(sid, 2, 7, None)
        assert db.note_set(sid, 2, 7, None, skip_missing=True) is False
        db.note_set(sid, 1, None, "  ")                # nothing given: both kept
        assert (db.sets(sid)[0].rpe, db.sets(sid)[0].notes) == (8.0, "heavy")
        db.note_set(sid, 1, None, "grip")              # a note later keeps the RPE
        assert (db.sets(sid)[0].rpe, db.sets(sid)[0].notes) == (8.0, "grip")


def test_a_v5_database_gains_the_sets_rpe_and_notes(tmp_path):
    path = tmp_path / "v5.db"
    with Database(path, migrations=MIGRATIONS[:5]) as db:
        sid = db.create_session()
        db.save_set(_set(sid, 1))
    with Database(path) as db:
        assert db.note_set(sid, 1, 7.5, "ok") and db.sets(sid)[0].rpe == 7.5

"""sets.csv with the sets logged by hand (storage/logged.py): a row a set in
the order done, the logged ones flagged, ``reps`` a column a spreadsheet can
total; a team session's export has none (they stay on the station)."""

from __future__ import annotations

import csv

from backstation.exercises import DUMBBELL_SHRUG, REAR_DELT_FLYE
from backstation.export import SET_COLUMNS, export_session
from backstation.storage import Database, RepRecord, SetRecord
from backstation.storage.bundle_reader import BundleReader


def _session(path) -> int:
    """Set 1 of the station: a valid rep, a no-rep and one of unknown contact;
    a flye logged before it and a shrug after it."""
    with Database(path) as db:
        sid = db.create_session(athlete=db.get_or_create_athlete("Ada"), exercise="inverted-row")
        db.save_set(SetRecord(sid, 1, "mid-back-shrug", None, None, False, 10_000_000,
                              30_000_000, 1, 1, {}))
        for k, valid in enumerate((True, False, None), 1):
            t = 10_000_000 + k * 3_000_000
            db.save_rep(RepRecord(sid, 1, k, valid, "no_contact" if valid is False else None,
                                  t, t + 2_000_000, 500.0, 20.0, {}))
        db.add_logged_set(sid, REAR_DELT_FLYE, 15, load_kg=6, rpe=7, t_device_us=2_000_000)
        db.add_logged_set(sid, DUMBBELL_SHRUG, 12, load_kg=22.5, hold_s=2, notes="slow",
                          t_device_us=40_000_000)
        db.finish_session(sid)
    return sid


def _rows(folder) -> list[dict]:
    with open(folder / "sets.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_sets_csv_has_the_logged_sets_in_the_order_done(tmp_path):
    sid = _session(tmp_path / "s.db")
    with Database(tmp_path / "s.db", read_only=True) as db:
        export_session(db, sid, tmp_path / "out")
    with open(tmp_path / "out" / "sets.csv", newline="") as f:
        assert next(csv.reader(f)) == list(SET_COLUMNS)
    rows = _rows(tmp_path / "out")
    wanted = ("exercise", "set", "logged", "reps", "valid_reps", "no_reps", "load_kg", "hold_s",
              "rpe", "notes", "t_start_s")
    assert [tuple(r[c] for c in wanted) for r in rows] == [
        (REAR_DELT_FLYE, "", "1", "15", "", "", "6.0", "", "7.0", "", ""),
        # the station's set: its own exercise, and every rep in reps (unknown contact too)
        ("mid-back-shrug", "1", "0", "3", "1", "1", "", "", "", "", rows[1]["t_start_s"]),
        (DUMBBELL_SHRUG, "", "1", "12", "", "", "22.5", "2.0", "", "slow", ""),
    ]
    assert {r["athlete"] for r in rows} == {"Ada"} and rows[1]["t_start_s"] != ""
    assert {r["session"] for r in rows} == {str(sid)}      # turns of a workout stay apart


def test_a_team_copy_exports_no_logged_set(tmp_path):
    sid = _session(tmp_path / "s.db")
    with Database(tmp_path / "s.db") as db:
        reader = BundleReader(db.upload_bundle(sid))
    assert reader.logged_sets(sid) == []
    export_session(reader, sid, tmp_path / "team")
    assert [(r["logged"], r["set"]) for r in _rows(tmp_path / "team")] == [("0", "1")]


def test_reps_csv_gives_each_rep_its_sets_exercise(tmp_path):
    """The session's row says inverted-row; its set is a shrug set: so are its reps."""
    sid = _session(tmp_path / "s.db")
    with Database(tmp_path / "s.db", read_only=True) as db:
        export_session(db, sid, tmp_path / "out")
    with open(tmp_path / "out" / "reps.csv", newline="") as f:
        reps = list(csv.DictReader(f))
    assert [r["exercise"] for r in reps] == ["mid-back-shrug"] * 3

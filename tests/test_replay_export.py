"""A recorded session judged again gives what live gave; its export opens in a
spreadsheet with units and '.' decimals whatever the locale."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import numpy as np
import pytest

from backstation.analysis.calibration import ForceCalibration
from backstation.export import export_session
from backstation.replay import Replay
from backstation.storage import CalibrationRecord, Database
from backstation.storage.records import stored_time_origin_us

from .e2e import backstation, record_in_process


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One partial-scenario session recorded in-process through the real pipeline."""
    path = tmp_path_factory.mktemp("rec") / "s.db"
    live = record_in_process(path, "sim://?scenario=partial&seed=4&speed=40", 2.5,
                             athlete="Ada", body_mass_kg=62.0)
    yield path, live


def test_replay_gives_the_same_json_as_live(recorded):
    path, live = recorded
    with Database(path) as db:
        again = Replay(db, live["session_id"]).to_json()
    assert again == live
    reps = [r for s in live["sets"] for r in s["reps"]]
    assert reps, "the partial scenario has reps"
    assert any(r["reason"] == "no_contact" for r in reps)


def test_replay_command_prints_what_record_printed(recorded, tmp_path):
    path, live = recorded
    proc = backstation("replay", str(live["session_id"]), "--db", str(path), "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out) == live


def test_export_writes_samples_and_reps_with_units(recorded, tmp_path):
    path, live = recorded
    with Database(path) as db:
        samples_path, reps_path, sets_path = export_session(db, live["session_id"], tmp_path)
        force = db.load_force(live["session_id"])
        stored_reps = db.reps(live["session_id"])
        info = db.get_session(live["session_id"])
        t0_us = stored_time_origin_us(db.events(live["session_id"]))
    with open(samples_path, newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header == ["t_s", "left_n", "right_n", "total_n", "gap_mm", "contact",
                      "raw_left_counts", "raw_right_counts"]
    assert len(body) == len(force)
    # Times count from the session's first sample (force or distance), as the reps' do.
    assert t0_us is not None and 0 <= force.t_device_us[0] - t0_us < 100_000
    assert body[0][0] == f"{(force.t_device_us[0] - t0_us) / 1e6:.6f}"
    assert [int(v) for v in body[-1][-2:]] == force.raw[-1].tolist()
    left, right, total = (float(v) for v in body[len(body) // 2][1:4])
    assert total == pytest.approx(left + right, abs=0.02)
    assert {row[5] for row in body} <= {"0", "1"} and "1" in {row[5] for row in body}
    assert all("," not in cell for row in body for cell in row)

    with open(reps_path, newline="") as f:
        reps = list(csv.DictReader(f))
    assert len(reps) == len(stored_reps)
    for row, rep in zip(reps, stored_reps):
        assert row["valid"] == str(int(rep.valid))
        assert row["reason"] == (rep.reason or "")
        assert float(row["peak_force_n"]) == rep.metrics["peak_force_n"]
        assert rep.metrics["peak_force_n"] == pytest.approx(rep.peak_force_n, abs=0.05)
        assert float(row["impulse_n_s"]) == rep.metrics["impulse_ns"]   # the unit spelled out
    assert "impulse_ns" not in reps[0]
    # who, when and what, on every row of reps.csv and sets.csv
    started = datetime.fromisoformat(info.started_at).astimezone().strftime("%Y-%m-%d %H:%M")
    assert {(r["athlete"], r["date"], r["exercise"]) for r in reps} == {
        ("Ada", started, "inverted-row")}
    with open(sets_path, newline="") as f:
        sets = list(csv.DictReader(f))
    assert [(int(s["set"]), int(s["valid_reps"]), int(s["no_reps"]), s["corrected"])
            for s in sets] == [(s["index"], s["valid_reps"], s["no_reps"], "0")
                               for s in live["sets"]]
    assert {(s["athlete"], s["date"], s["exercise"]) for s in sets} == {
        ("Ada", started, "inverted-row")}
    assert [float(s["velocity_loss_pct"]) if s["velocity_loss_pct"] else None for s in sets] \
        == [s["velocity_loss_pct"] for s in live["sets"]]


def test_export_command_reports_a_missing_session_clearly(tmp_path, recorded):
    path, _ = recorded
    proc = backstation("export", "999", "--db", str(path), "--out", str(tmp_path))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "999" in err and "Traceback" not in err


def test_newtons_apply_each_calibration_from_its_time_on():
    def cal(ch, offset, scale, t):
        return CalibrationRecord(id=0, session_id=1, channel=ch, offset_counts=offset,
                                 counts_per_newton=scale, t_device_us=t, recorded_at="",
                                 source="device", mass_grams=None)
    raw = np.array([[1100], [1100], [1100]], dtype=np.int32)
    t = np.array([0, 1000, 2000], dtype=np.int64)
    cals = [cal(0, 100, 10.0, None), cal(0, 600, 10.0, 1000)]
    newtons = ForceCalibration.from_records(1, cals).newtons(raw, t)
    assert newtons[:, 0].tolist() == [100.0, 100.0, 50.0]


def test_exported_contact_flags_match_the_contacts_a_replay_finds(recorded, tmp_path):
    path, live = recorded
    with Database(path) as db:
        samples_path, *_ = export_session(db, live["session_id"], tmp_path)
        replay = Replay(db, live["session_id"])
    t_us = replay.force.t_device_us
    expected = np.zeros(len(t_us), dtype=bool)
    for start, end in replay.contact_intervals_us():
        stop = len(t_us) if end is None else np.searchsorted(t_us, end, side="left")
        expected[np.searchsorted(t_us, start, side="left"):stop] = True
    with open(samples_path, newline="") as f:
        flags = np.array([row["contact"] == "1" for row in csv.DictReader(f)])
    assert expected.any()
    np.testing.assert_array_equal(flags, expected)


def test_replayed_set_and_rep_rows_equal_the_stored_ones_byte_for_byte(recorded):
    """History, Progress and both CSVs read these rows: replay writes the same."""
    from .test_replay_manual_sets import (
        replay_rep_rows, replay_set_rows, stored_rep_rows, stored_set_rows,
    )
    path, live = recorded
    sid = live["session_id"]
    with Database(path) as db:
        replay = Replay(db, sid)
    assert stored_set_rows(path, sid) and stored_rep_rows(path, sid)
    assert replay_set_rows(replay) == stored_set_rows(path, sid)
    assert replay_rep_rows(replay) == stored_rep_rows(path, sid)


def test_replay_shows_a_coachs_corrections_and_says_what_the_judge_said(recorded, tmp_path):
    """A copy of the session with a no-rep overruled to valid, a valid rep
    deleted: replay judges alike, then shows the result as the coach left it,
    as History does; the summary line counts the corrections."""
    import shutil

    path, live = recorded
    sid = live["session_id"]
    copy = tmp_path / "c.db"
    shutil.copy(path, copy)
    sets = live["sets"]
    s_no, r_no = next((s["index"], r["index"]) for s in sets for r in s["reps"]
                      if r["valid"] is False)
    s_ok, r_ok = next((s["index"], r["index"]) for s in sets for r in s["reps"]
                      if r["valid"] and (s["index"], r["index"]) != (s_no, r_no))
    with Database(copy) as db:
        db.correct(sid, s_no, r_no, "valid")
        db.correct(sid, s_ok, r_ok, "delete")
        stored = {(r.set_index, r.rep_index): (r.valid, r.reason, r.judged) for r in db.reps(sid)}
        counts = {s.set_index: (s.valid_reps, s.no_reps) for s in db.sets(sid)}
    proc = backstation("replay", str(sid), "--db", str(copy), "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    again = json.loads(out)
    shown = {(s["index"], r["index"]): (r["valid"], r["reason"],
                                        None if "judged" not in r else
                                        (r["judged"]["valid"], r["judged"]["reason"]))
             for s in again["sets"] for r in s["reps"]}
    assert shown == stored and (s_ok, r_ok) not in shown
    assert shown[(s_no, r_no)][2][0] is False
    assert {s["index"]: (s["valid_reps"], s["no_reps"]) for s in again["sets"]} == counts
    assert [(c["action"], c["applied"]) for c in again["corrections"]] == [
        ("valid", True), ("delete", True)]
    proc = backstation("replay", str(sid), "--db", str(copy))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "2 corrections by the coach" in out



def test_replay_applies_a_correction_only_to_the_rep_the_coach_saw(recorded, tmp_path):
    """The stored rep a correction names no longer starts where this judge
    starts any rep (as after a change of the judge): the correction is listed
    as not applied, and no other rep takes it."""
    import shutil
    import sqlite3

    path, live = recorded
    sid = live["session_id"]
    copy = tmp_path / "c.db"
    shutil.copy(path, copy)
    s_no, r_no = next((s["index"], r["index"]) for s in live["sets"] for r in s["reps"]
                      if r["valid"] is False)
    with Database(copy) as db:
        db.correct(sid, s_no, r_no, "valid")
    conn = sqlite3.connect(copy)
    with conn:
        conn.execute("UPDATE reps SET t_start_us = t_start_us - 400000 WHERE session_id = ?"
                     " AND set_index = ? AND rep_index = ?", (sid, s_no, r_no))
    conn.close()
    with Database(copy, read_only=True) as db:
        again = Replay(db, sid).to_json()
    assert [c["applied"] for c in again["corrections"]] == [False]
    assert again["sets"] == live["sets"]            # the judgement, uncorrected

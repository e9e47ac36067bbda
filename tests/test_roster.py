"""The roster (issue 13, item 1): athletes kept with their body mass, contact
threshold, straight-arm gap and notes; names matched whatever their case and
checked for typos; sessions filed under another athlete; another athlete
stepping up between sets begins a new session on the same link."""

from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from backstation.cli import main
from backstation.device.sim.protocol_sim import simulated_url
from backstation.link import DeviceLink
from backstation.replay import Replay
from backstation.session import LiveSession, SessionOptions
from backstation.storage import Database
from backstation.storage.database import KEEP
from backstation.storage.records import CARRIED_SOURCE

WAIT_S = 20.0


# -- storage ------------------------------------------------------------------------------


def test_an_athlete_is_added_once_whatever_the_case(tmp_path):
    with Database(tmp_path / "s.db") as db:
        alex = db.add_athlete("Alex", body_mass_kg=72, straight_arm_mm=610, notes=" left knee ")
        assert (alex.body_mass_kg, alex.straight_arm_mm, alex.notes) == (72, 610, "left knee")
        with pytest.raises(ValueError, match="already on the roster"):
            db.add_athlete("  alex ")
        assert db.get_athlete("ALEX").id == alex.id
        assert [a.name for a in db.list_athletes()] == ["Alex"]


def test_a_change_replaces_only_the_fields_given(tmp_path):
    with Database(tmp_path / "s.db") as db:
        db.add_athlete("Alex", body_mass_kg=72, contact_mm=30, notes="keep me")
        changed = db.update_athlete("alex", body_mass_kg=74.5, straight_arm_mm=None)
        assert (changed.body_mass_kg, changed.contact_mm, changed.notes) == (74.5, 30, "keep me")
        cleared = db.update_athlete("Alex", notes="", contact_mm=None, body_mass_kg=KEEP)
        assert (cleared.notes, cleared.contact_mm, cleared.body_mass_kg) == (None, None, 74.5)
        with pytest.raises(ValueError, match="body mass must be between"):
            db.update_athlete("Alex", body_mass_kg=7)
        with pytest.raises(ValueError, match="straight-arm gap must be between"):
            db.update_athlete("Alex", straight_arm_mm=20000)
        with pytest.raises(ValueError, match="no athlete called 'Zoe'"):
            db.update_athlete("Zoe", notes="x")
        assert db.get_athlete("Alex").body_mass_kg == 74.5       # a refusal changed nothing


def test_a_rename_keeps_the_athletes_sessions_and_refuses_a_name_taken(tmp_path):
    with Database(tmp_path / "s.db") as db:
        ben = db.add_athlete("Ben")
        db.add_athlete("Alex")
        session = db.create_session(athlete=ben)
        db.update_athlete("ben", new_name="Benjamin")
        assert db.get_session(session).athlete_name == "Benjamin"
        with pytest.raises(ValueError, match="'alex' is already on the roster"):
            db.update_athlete("Benjamin", new_name="alex")
        assert db.update_athlete("Benjamin", new_name="BENJAMIN").name == "BENJAMIN"


def test_a_typo_of_a_roster_name_is_found(tmp_path):
    with Database(tmp_path / "s.db") as db:
        for name in ("Alex", "Anna", "Ben"):
            db.add_athlete(name)
        assert db.similar_athletes("Alx") == ["Alex"]
        assert db.similar_athletes("alex") == []          # that is Alex, not a typo
        assert db.similar_athletes("Zoe") == []


def test_a_session_is_filed_under_another_athlete_keeping_its_body_mass(tmp_path):
    with Database(tmp_path / "s.db") as db:
        alex = db.add_athlete("Alex", body_mass_kg=72)
        db.add_athlete("Ben", body_mass_kg=90)
        session = db.create_session(athlete=alex)
        info = db.reassign_session(session, "ben")
        assert (info.athlete_name, info.body_mass_kg) == ("Ben", 72)
        assert db.reassign_session(session, None).athlete_name is None
        with pytest.raises(ValueError, match="no athlete called 'Zoe'"):
            db.reassign_session(session, "Zoe")
        with pytest.raises(LookupError):
            db.reassign_session(session + 1, "Ben")


def test_an_older_database_gains_the_roster_columns(tmp_path):
    from backstation.storage.schema import MIGRATIONS, migrate
    import sqlite3
    conn = sqlite3.connect(tmp_path / "s.db", isolation_level=None)
    migrate(conn, MIGRATIONS[:6])
    conn.execute("INSERT INTO athletes (name, body_mass_kg, created_at) VALUES ('Ada', 60, 'x')")
    conn.close()
    with Database(tmp_path / "s.db") as db:
        ada = db.update_athlete("ada", straight_arm_mm=580, notes="new")
        assert (ada.body_mass_kg, ada.straight_arm_mm, ada.notes) == (60, 580, "new")


# -- the command line ---------------------------------------------------------------------


def test_athletes_command_adds_changes_lists_and_assigns(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    db = ["--db", str(db_path)]
    assert main(["athletes", "add", "Alex", "--body-mass", "72", "--notes", "left knee", *db]) == 0
    assert main(["athletes", "set", "ALEX", "--straight-arm-mm", "605", *db]) == 0
    assert main(["athletes", "add", "Ben", *db]) == 0
    capsys.readouterr()
    assert main(["athletes", "--json", *db]) == 0
    roster = json.loads(capsys.readouterr().out)
    assert [(a["name"], a["body_mass_kg"], a["straight_arm_mm"], a["notes"]) for a in roster] == [
        ("Alex", 72, 605, "left knee"), ("Ben", None, None, None)]
    with Database(db_path) as d:
        session = d.create_session(athlete=d.get_athlete("Alex"))
    assert main(["athletes", "assign", str(session), "ben", *db]) == 0
    assert capsys.readouterr().out.strip() == f"session {session}: Ben"
    assert main(["athletes", "assign", str(session), "-", *db]) == 0
    assert "no athlete" in capsys.readouterr().out


@pytest.mark.parametrize("argv, said", [
    (["athletes", "add", "alex"], "'alex' is already on the roster"),
    (["athletes", "set", "Zoe", "--notes", "x"], "no athlete called 'Zoe' on the roster"),
    (["athletes", "set", "Alex", "--name", "ben"], "'ben' is already on the roster"),
    (["athletes", "assign", "1", "Zoe"], "no athlete called 'Zoe' on the roster"),
])
def test_athletes_command_refuses_in_one_line(tmp_path, capsys, argv, said):
    db = ["--db", str(tmp_path / "s.db")]
    for name in ("Alex", "Ben"):
        assert main(["athletes", "add", name, *db]) == 0
    capsys.readouterr()
    assert main([*argv, *db]) == 2
    err = capsys.readouterr().err
    assert err == f"backstation: {said}\n"


def test_record_refuses_a_typo_of_a_roster_name_and_adds_a_new_one(tmp_path, capsys):
    db = ["--db", str(tmp_path / "s.db")]
    assert main(["athletes", "add", "Alex", *db]) == 0
    url = simulated_url("clean", speed=50)
    assert main(["record", "--port", url, "--duration", "1", "--athlete", "Alx", *db]) == 2
    assert "did you mean 'Alex'?" in capsys.readouterr().err
    with Database(tmp_path / "s.db") as d:
        assert d.list_sessions() == []
    assert main(["record", "--port", url, "--duration", "1", "--athlete", "alex", *db]) == 0
    assert main(["record", "--port", url, "--duration", "1", "--athlete", "Zoe", *db]) == 0
    assert "Zoe is new: added to the roster" in capsys.readouterr().err
    with Database(tmp_path / "s.db") as d:
        assert [s.athlete_name for s in d.list_sessions()] == ["Alex", "Zoe"]


# -- another athlete steps up: a new session on the same link -----------------------------


def _step_until(session: LiveSession, done) -> None:
    deadline = time.monotonic() + WAIT_S
    while not done():
        session.step()
        assert time.monotonic() < deadline, "gave up waiting"
        threading.Event().wait(0.01)


def test_hand_over_begins_a_session_for_the_next_athlete_on_the_same_link(tmp_path):
    link = DeviceLink(simulated_url("clean", seed=3, speed=16))
    link.open()
    try:
        with Database(tmp_path / "s.db") as db:
            db.add_athlete("Alex", body_mass_kg=72, contact_mm=30)
            db.add_athlete("Ben", body_mass_kg=90, contact_mm=40)
            first = LiveSession(db, link, SessionOptions(athlete="Alex"))
            link.start()
            _step_until(first, lambda: first.last_fed_us is not None)
            result, second = first.hand_over(SessionOptions(athlete="Ben"))
            assert second.session_id != first.session_id
            assert (second.body_mass_kg, second.contact_mm) == (90, 40)
            _step_until(second, lambda: second.sets)      # the scenario's set, judged
            second_result = second.finish()
            one, two = db.get_session(first.session_id), db.get_session(second.session_id)
            assert (one.athlete_name, two.athlete_name) == ("Alex", "Ben")
            assert one.ended_at is not None and two.ended_at is not None
            # Every sample is in exactly one of the two sessions, none twice.
            t1 = db.load_force(first.session_id).t_device_us
            t2 = db.load_force(second.session_id).t_device_us
            assert len(t1) and len(t2) and t1[-1] < t2[0]
            assert result["stream"]["force_samples"] == len(t1)
            assert two.force_samples == second_result["stream"]["force_samples"] == len(t2)
            # The second session was judged with the calibration in force when it began,
            # and stored it, so its replay gives what live gave.
            carried = [c for c in db.calibrations(second.session_id)
                       if c.source == CARRIED_SOURCE]
            assert sorted(c.channel for c in carried) == [0, 1]
            assert all(c.t_device_us is None for c in carried)
            replay = Replay(db, second.session_id)
            assert [r.valid for r in replay.rep_records] == [
                r.valid for r in db.judged_reps(second.session_id)]
            assert np.isfinite([r.peak_force_n for r in db.judged_reps(second.session_id)]).all()
            assert len(db.judged_reps(second.session_id)) >= 5
    finally:
        link.close()


def test_a_refused_new_athlete_is_not_added_at_all(tmp_path):
    with Database(tmp_path / "s.db") as db:
        with pytest.raises(ValueError, match="body mass must be between"):
            db.add_athlete("Bob", body_mass_kg=500)
        assert db.get_athlete("Bob") is None


def test_a_name_the_database_tells_apart_only_by_a_non_ascii_case_is_taken_for_a_typo(tmp_path):
    """SQLite's NOCASE folds ASCII only: "åsa" is not Åsa there, and would be
    a second athlete; the typo check says so instead."""
    with Database(tmp_path / "s.db") as db:
        db.add_athlete("Åsa")
        assert db.similar_athletes("åsa") == ["Åsa"]
        assert "did you mean 'Åsa'?" in db.athlete_refusal("åsa")
        assert db.athlete_refusal("Åsa") is None and db.athlete_refusal("Zoe") is None


def test_athletes_options_given_before_the_action_are_kept(tmp_path, capsys):
    db_path = tmp_path / "s.db"
    assert main(["athletes", "--db", str(db_path), "add", "Zed"]) == 0
    with Database(db_path) as db:
        assert db.get_athlete("Zed") is not None


@pytest.fixture
def alex_recording(tmp_path):
    """Alex's session recording the simulated station's clean scenario: (database, session)."""
    link = DeviceLink(simulated_url("clean", seed=3, speed=16))
    link.open()
    try:
        with Database(tmp_path / "s.db") as db:
            session = LiveSession(db, link, SessionOptions(athlete="Alex"))
            link.start()
            yield db, session
    finally:
        link.close()


def test_a_hand_over_refused_when_a_set_has_begun_leaves_the_session_recording(alex_recording):
    from backstation.session import SET_BEGUN_TEXT, SetBegun
    db, first = alex_recording
    _step_until(first, lambda: first.in_set)
    with pytest.raises(SetBegun, match=SET_BEGUN_TEXT):
        first.hand_over(SessionOptions(athlete="Ben"))
    assert [s.id for s in db.list_sessions()] == [first.session_id]   # none begun
    _step_until(first, lambda: first.sets)       # the set goes on, Alex's
    first.finish()
    assert [s.valid_reps for s in db.sets(first.session_id)] == [8]


def test_a_hand_over_refused_for_a_body_mass_no_person_has_changes_nothing(alex_recording):
    db, first = alex_recording
    _step_until(first, lambda: first.last_fed_us is not None)
    with pytest.raises(ValueError, match="body mass must be between"):
        first.hand_over(SessionOptions(athlete="Ben", body_mass_kg=5))
    assert [s.id for s in db.list_sessions()] == [first.session_id]
    assert db.get_session(first.session_id).ended_at is None
    first.finish()


def test_the_athletes_squeeze_depth_judges_their_shrugs_and_replay_judges_alike(tmp_path):
    """A deep squeeze depth on the roster (the judge waits for half of it
    before a squeeze begins) changes what counts; it is stored with the
    session, so replay gives what live gave, and without it replay would not."""
    from backstation.storage.records import SHRUG_EVENT
    link = DeviceLink(simulated_url("shrug", seed=2, speed=40))
    link.open()
    try:
        with Database(tmp_path / "s.db") as db:
            db.add_athlete("Deep", squeeze_mm=110)
            session = LiveSession(db, link, SessionOptions(athlete="deep",
                                                           exercise="mid-back-shrug"))
            assert session.judge.config.shrug_squeeze_mm == 110
            link.start()
            _step_until(session, lambda: len(session.sets) == 2)
            session.finish()
            stored = [(r.valid, r.reason) for r in db.judged_reps(session.session_id)]
            replay = Replay(db, session.session_id)
            assert [(r.valid, r.reason) for r in replay.rep_records] == stored
            assert [e.kind for e in db.events(session.session_id)].count(SHRUG_EVENT) == 1
            # Judged by the default depth instead, the same samples give other reps.
            db._conn.execute("DELETE FROM events WHERE session_id = ? AND kind = ?",
                             (session.session_id, SHRUG_EVENT))
            default = Replay(db, session.session_id)
            assert default.judge.config.shrug_squeeze_mm == 40
            assert [(r.valid, r.reason) for r in default.rep_records] != stored
    finally:
        link.close()


def test_the_summary_line_counts_one_set_as_one_set():
    from backstation.cli import _summary_line
    stream = {"force_samples": 1, "distance_samples": 1, "lost_samples": 0, "crc_errors": 0,
              "malformed": 0, "reconnects": 0}
    one = _summary_line({"session_id": 2, "stream": stream,
                         "sets": [{"reps": [{"valid": True}]}]})
    assert one.startswith("session 2: 1 set, 1 valid reps")
    two = _summary_line({"session_id": 2, "stream": stream, "sets": [{"reps": []}] * 2})
    assert two.startswith("session 2: 2 sets, 0 valid reps")


def test_the_squeeze_depth_is_measured_from_the_athletes_good_shrugs(tmp_path, capsys):
    """Recorded with the default depth, the simulated athlete's squeezes (30-55
    mm) are found; the median of the good ones becomes theirs."""
    from statistics import median

    from backstation.progress import measured_squeeze
    db_arg = ["--db", str(tmp_path / "s.db")]
    assert main(["athletes", "set", "Sam", "--squeeze-from-shrugs", *db_arg]) == 2
    assert main(["athletes", "add", "Sam", *db_arg]) == 0
    assert main(["athletes", "set", "Sam", "--squeeze-from-shrugs", *db_arg]) == 2
    assert "fewer than 3 good mid-back shrugs recorded for 'Sam'" in capsys.readouterr().err
    url = simulated_url("shrug", seed=1, speed=40)
    assert main(["record", "--port", url, "--duration", "4", "--athlete", "Sam",
                 "--exercise", "mid-back-shrug", *db_arg]) == 0
    with Database(tmp_path / "s.db") as db:
        depths = [r.metrics["rom_mm"] for s in db.list_sessions() for r in db.reps(s.id)
                  if r.valid]
        measured = measured_squeeze(db, "sam")
    assert len(depths) >= 6 and all(25 <= d <= 60 for d in depths)
    assert measured == (pytest.approx(median(depths)), len(depths))
    assert main(["athletes", "set", "Sam", "--squeeze-from-shrugs", *db_arg]) == 0
    with Database(tmp_path / "s.db") as db:
        assert db.get_athlete("Sam").squeeze_mm == round(median(depths))

"""A session with a manual set, recorded live through the real ``LiveSession``
on a simulated station, replays to exactly what live stored: the set and rep
rows as the database holds them (JSON text compared byte for byte), the
session JSON, and ``backstation replay --json``."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from backstation.device.sim import protocol_sim
from backstation.device.sim.station import SimulatedStation
from backstation.record import Recorder, RecordOptions
from backstation.replay import Replay
from backstation.analysis import SetStarted
from backstation.samples import DistanceBlock, ForceBlock
from backstation.session import (
    MANUAL_SET_EVENT, SET_LABELS_EVENT, LiveSession, SessionJudge, SessionOptions, analysis_config,
)
from backstation.storage import Database, SessionWriter
from backstation.storage.training import metrics_json

from .e2e import backstation

SCENARIO, SEED, SPEED = "pause-bottom", 3, 10
URL = f"sim://?scenario={SCENARIO}&seed={SEED}&speed={SPEED}"
END_AFTER_SET_S = 2.0        # the manual end: this long after the athlete let go
STOP_AFTER_SET_S = 4.0
SAFETY_DURATION_S = 60.0


def _truth_set():
    (only_set,) = SimulatedStation(SCENARIO, SEED).truth.sets
    return only_set


class ManualSetScript:
    """``on_step`` for the Recorder: what a person at the app would do.
    Space as soon as samples flow (before the athlete gets on), a variant
    chosen mid-set, Space again after the athlete let go, then stop."""

    def __init__(self, stop: threading.Event, truth_set, *, tare: bool = False):
        self.stop = stop
        self.end_us = int((truth_set.t_end_s + END_AFTER_SET_S) * 1e6)
        self.stop_us = int((truth_set.t_end_s + STOP_AFTER_SET_S) * 1e6)
        self.labels_us = int((truth_set.t_start_s + 5.0) * 1e6)
        self.tare = tare
        self.started_us: int | None = None
        self.ended_us: int | None = None
        self.tared_us: int | None = None
        self.labelled = False

    def __call__(self, session: LiveSession, _step) -> None:
        judge = session.judge
        t_us = judge.last_fed_us
        if t_us is None:
            return
        if self.started_us is None:
            judge.start_set()
            self.started_us = judge.manual_requests[-1].t_us
            assert judge.in_set
        elif self.tare and self.tared_us is None and t_us - judge.t0_us >= 1_500_000:
            self.tared_us = judge.software_tare()
        elif not self.labelled and t_us >= self.labels_us:
            session.set_labels("heels-bench", 10.0)
            self.labelled = True
        elif self.ended_us is None and t_us >= self.end_us:
            judge.end_set()
            self.ended_us = judge.manual_requests[-1].t_us
            assert not judge.in_set
        elif t_us >= self.stop_us:
            self.stop.set()


def record_with_manual_set(db_path, *, tare: bool = False) -> tuple[dict, ManualSetScript]:
    stop = threading.Event()
    script = ManualSetScript(stop, _truth_set(), tare=tare)
    options = RecordOptions(port=URL, duration_s=SAFETY_DURATION_S,
                            session=SessionOptions(athlete="Ada", body_mass_kg=70.0))
    with Database(db_path) as db:
        live = Recorder(db, options, on_step=script).run(stop)
    protocol_sim.clear_registry()
    return live, script


def stored_set_rows(db_path, session_id: int) -> list[tuple]:
    """The set rows exactly as stored (metrics as its JSON text)."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT set_index, exercise, variant, added_load_kg, manual, t_start_us, t_end_us,"
            " valid_reps, no_reps, metrics FROM sets WHERE session_id = ? ORDER BY set_index",
            (session_id,)).fetchall()


def stored_rep_rows(db_path, session_id: int) -> list[tuple]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT set_index, rep_index, valid, reason, t_start_us, t_end_us, peak_force_n,"
            " min_gap_mm, metrics FROM reps WHERE session_id = ?"
            " ORDER BY set_index, rep_index", (session_id,)).fetchall()


def replay_set_rows(replay: Replay) -> list[tuple]:
    """The rows live would have written for the replay's records."""
    return [(r.set_index, r.exercise, r.variant, r.added_load_kg, int(r.manual), r.t_start_us,
             r.t_end_us, r.valid_reps, r.no_reps, metrics_json(r.metrics))
            for r in replay.set_records]


def replay_rep_rows(replay: Replay) -> list[tuple]:
    return [(r.set_index, r.rep_index, None if r.valid is None else int(r.valid), r.reason,
             r.t_start_us, r.t_end_us, r.peak_force_n, r.min_gap_mm, metrics_json(r.metrics))
            for r in replay.rep_records]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    path = tmp_path_factory.mktemp("manual") / "s.db"
    live, script = record_with_manual_set(path)
    yield path, live, script


def test_the_manual_start_came_before_the_athlete_got_on(recorded):
    path, live, script = recorded
    assert script.started_us is not None and script.ended_us is not None
    assert script.started_us < _truth_set().t_start_s * 1e6, \
        "the first step came after the athlete got on: the scenario ran too fast"
    with Database(path) as db:
        events = [(e.detail, e.t_device_us) for e in db.events(live["session_id"])
                  if e.kind == MANUAL_SET_EVENT]
    assert events == [("start", script.started_us), ("end", script.ended_us)]


def test_stored_sets_and_reps_equal_the_replay_byte_for_byte(recorded):
    path, live, _ = recorded
    sid = live["session_id"]
    with Database(path) as db:
        replay = Replay(db, sid)
    stored_sets = stored_set_rows(path, sid)
    assert stored_sets, "the manual set was stored"
    assert replay_set_rows(replay) == stored_sets
    assert replay_rep_rows(replay) == stored_rep_rows(path, sid)


def test_replay_json_equals_what_live_returned(recorded):
    path, live, _ = recorded
    with Database(path) as db:
        assert Replay(db, live["session_id"]).to_json() == live


def test_replay_command_prints_what_live_returned(recorded):
    path, live, _ = recorded
    proc = backstation("replay", str(live["session_id"]), "--db", str(path), "--json")
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out) == live


def test_the_set_label_chosen_mid_set_is_stored_and_replayed(recorded):
    path, live, _ = recorded
    sid = live["session_id"]
    with Database(path) as db:
        kinds = [e.kind for e in db.events(sid)]
        replay = Replay(db, sid)
    assert SET_LABELS_EVENT in kinds
    (first, *_) = stored_set_rows(path, sid)
    assert first[2:4] == ("heels-bench", 10.0)
    assert [(r.variant, r.added_load_kg) for r in replay.set_records][0] == ("heels-bench", 10.0)


def test_the_manual_set_spans_the_athletes_six_good_reps(recorded):
    """The verdicts: one manual set from the press to the press, six valid reps."""
    path, live, script = recorded
    with Database(path) as db:
        (only_set,) = db.sets(live["session_id"])
        reps = db.reps(live["session_id"])
    assert only_set.manual
    assert (only_set.t_start_us, only_set.t_end_us) == (script.started_us, script.ended_us)
    assert [r.valid for r in reps] == [True] * 6
    assert (only_set.valid_reps, only_set.no_reps) == (6, 0)


def test_a_software_tare_is_stored_and_replayed(tmp_path):
    path = tmp_path / "tare.db"
    live, script = record_with_manual_set(path, tare=True)
    sid = live["session_id"]
    assert script.tared_us is not None
    with Database(path) as db:
        tares = [c for c in db.calibrations(sid) if c.source == "software_tare"]
        replay = Replay(db, sid)
    assert sorted(c.channel for c in tares) == [0, 1]
    assert {c.t_device_us for c in tares} == {script.tared_us}
    assert replay.to_json() == live
    assert replay_set_rows(replay) == stored_set_rows(path, sid)
    assert replay_rep_rows(replay) == stored_rep_rows(path, sid)


# -- the judge's public face, on hand-made samples --------------------------------

def _force(t0_us: int, n: int, step_us: int = 10_000) -> ForceBlock:
    t = [t0_us + i * step_us for i in range(n)]
    return ForceBlock.from_rows(list(range(n)), t, [(0, 0)] * n, [0.0] * n, 2)


def _distance(t0_us: int, n: int, step_us: int = 50_000) -> DistanceBlock:
    t = [t0_us + i * step_us for i in range(n)]
    return DistanceBlock.from_rows(list(range(n)), t, [500] * n, [0.0] * n)


def _judge(writer=None) -> SessionJudge:
    judge = SessionJudge(1, analysis_config(SessionOptions(), None, force_rate_hz=100), 2, writer)
    for channel in (0, 1):
        judge.calibrate(channel, 0, 1.0)
    return judge


def test_in_set_counts_a_manual_start_the_analysis_has_not_reached_yet():
    judge = _judge()
    judge.feed(_force(0, 100), DistanceBlock.empty())   # force waits for the distance stream
    assert judge.start_set() == [] and judge.current_set is None
    assert judge.in_set and judge.manual_requests[-1].t_us == 990_000
    events = judge.feed(_force(1_000_000, 50), _distance(0, 30))
    assert [e.t_us for e in events if isinstance(e, SetStarted)] == [990_000]
    assert judge.in_set and judge.current_set is not None and judge.current_set.manual
    judge.end_set()
    assert not judge.in_set
    judge.feed(_force(1_500_000, 50), _distance(1_500_000, 10))
    assert not judge.in_set and judge.current_set is None
    assert [(s.t_start_us, s.t_end_us, s.manual) for s in judge.sets] == [(990_000, 1_490_000, True)]


def test_replay_counts_seconds_from_the_sample_live_counted_from(tmp_path):
    """Live's first block held only force; the distance that came next began
    earlier. The stored time origin keeps replay on live's zero."""
    with Database(tmp_path / "t0.db") as db:
        sid = db.create_session(force_channels=2, force_rate_hz=100, distance_sensor="hcsr04",
                                contact_mm=25.0)
        writer = SessionWriter(db, sid)
        judge = _judge(writer)
        for force, distance in [(_force(200_000, 50), DistanceBlock.empty()),
                                (_force(700_000, 50), _distance(100_000, 20))]:
            writer.add_force(force)
            writer.add_distance(distance)
            judge.feed(force, distance)
        judge.finish()
        writer.finish()
        assert judge.t0_us == 200_000
        assert Replay(db, sid).judge.t0_us == 200_000

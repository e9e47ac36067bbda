"""A workout that alternates rows and mid-back shrugs on one station: the
exercise is chosen between sets (``SessionJudge.set_exercise``), stored with
its device time, and ``Replay`` judges every set by the same exercise, so the
replayed set and rep records equal the stored ones, exercise column included."""

from __future__ import annotations

import pytest

from backstation.device.sim import SimulatedStation
from backstation.device.sim.shrug import HOLD_TARGET_S, SCENARIO_EXERCISES, SQUEEZE_MM
from backstation.exercises import INVERTED_ROW, MID_BACK_SHRUG
from backstation.protocol.commands import start
from backstation.protocol.stream import DeviceStream
from backstation.replay import Replay
from backstation.session import SessionJudge, SessionOptions, analysis_config
from backstation.storage.records import EXERCISE_EVENT
from backstation.storage import Database, SessionWriter

SCENARIO, SEED = "row-shrug", 5
READ_S = 0.5                  # the host's reads
CHOSEN_AFTER_SET_S = 3.0      # the coach picks the next exercise this long after a set


def record(db: Database, *, choose_before_samples: str | None = None) -> tuple[int, list]:
    """The workout recorded live: the stream read every READ_S, the next
    set's exercise chosen in each rest (the newest sample's time)."""
    station = SimulatedStation(SCENARIO, SEED)
    stream = DeviceStream()
    stream.feed(station.advance(READ_S), READ_S)
    station.receive(start().line())
    hello = stream.hello
    options = SessionOptions(body_mass_kg=station.truth.body_mass_kg, exercise=INVERTED_ROW)
    config = analysis_config(options, hello)
    config.shrug_squeeze_mm, config.shrug_hold_s = SQUEEZE_MM, HOLD_TARGET_S
    session_id = db.create_session(body_mass_kg=options.body_mass_kg, exercise=options.exercise,
                                   force_channels=hello.force_channels,
                                   force_rate_hz=hello.force_rate_hz,
                                   distance_sensor=hello.distance_sensor)
    writer = SessionWriter(db, session_id)
    judge = SessionJudge(session_id, config, hello.force_channels, writer)
    if choose_before_samples is not None:
        judge.set_exercise(choose_before_samples)
    for cal in stream.calibration.values():
        judge.calibrate(cal.channel, cal.offset_counts, cal.counts_per_newton, t_from_us=None)
        writer.add_calibration(cal.channel, cal.offset_counts, cal.counts_per_newton)
    chosen = list(zip([s.t_end_s + CHOSEN_AFTER_SET_S for s in station.truth.sets],
                      SCENARIO_EXERCISES[SCENARIO][1:]))
    t, end = READ_S, station.truth.duration_s + 0.5
    while t < end:
        t = min(end, t + READ_S)
        stream.feed(station.advance(t), t)
        force, distance = stream.take_blocks()
        writer.add_force(force)
        writer.add_distance(distance)
        judge.feed(force, distance)
        if chosen and judge.last_fed_us is not None and judge.last_fed_us >= chosen[0][0] * 1e6:
            judge.set_exercise(chosen.pop(0)[1])
    judge.finish()
    writer.finish()
    return session_id, judge.sets


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    path = tmp_path_factory.mktemp("workout") / "station.db"
    with Database(path) as db:
        session_id, sets = record(db)
    return path, session_id, sets


def test_each_set_is_judged_and_stored_as_the_exercise_chosen_before_it(recorded):
    path, session_id, sets = recorded
    assert [s.exercise for s in sets] == list(SCENARIO_EXERCISES[SCENARIO])
    shrugs = sets[1].reps
    assert len(shrugs) == 5 and sum(r.reason == "no_hold" for r in shrugs) == 1
    assert all(r.reason is None for s in (sets[0], sets[2]) for r in s.reps)
    with Database(path) as db:
        stored = db.judged_sets(session_id)
        events = [e for e in db.events(session_id) if e.kind == EXERCISE_EVENT]
        info = db.get_session(session_id)
    assert [s.exercise for s in stored] == list(SCENARIO_EXERCISES[SCENARIO])
    assert [e.detail for e in events] == [MID_BACK_SHRUG, INVERTED_ROW]
    assert all(e.t_device_us is not None for e in events)
    assert info.exercise == INVERTED_ROW          # the session row keeps the first


def test_replay_gives_the_stored_sets_and_reps(recorded):
    path, session_id, _ = recorded
    with Database(path) as db:
        replay = Replay(db, session_id)
        stored_sets, stored_reps = db.judged_sets(session_id), db.judged_reps(session_id)
    assert [s.exercise for s in replay.set_records] == list(SCENARIO_EXERCISES[SCENARIO])
    assert replay.set_records == stored_sets
    assert replay.rep_records == stored_reps


def test_an_exercise_chosen_before_any_sample_is_the_first_sets_on_replay_too(tmp_path):
    with Database(tmp_path / "station.db") as db:
        session_id, sets = record(db, choose_before_samples=MID_BACK_SHRUG)
        replay = Replay(db, session_id)
        stored = db.judged_sets(session_id)
    assert [s.exercise for s in sets] == [MID_BACK_SHRUG, MID_BACK_SHRUG, INVERTED_ROW]
    assert replay.set_records == stored


def test_an_exercise_the_station_does_not_judge_is_refused_and_not_stored(tmp_path):
    with Database(tmp_path / "station.db") as db:
        session_id = db.create_session()
        writer = SessionWriter(db, session_id)
        judge = SessionJudge(session_id, analysis_config(SessionOptions(), None), 2, writer)
        with pytest.raises(ValueError, match="rear-delt-fly"):
            judge.set_exercise("rear-delt-fly")
        writer.finish()
        assert [e for e in db.events(session_id) if e.kind == EXERCISE_EVENT] == []
    assert judge.exercise == INVERTED_ROW


def test_a_live_session_judges_each_set_by_the_exercise_the_coach_chose(tmp_path):
    """Through the real LiveSession on a simulated station (the link's reader
    thread, the writer): rows, then shrugs chosen in the rest, then rows."""
    import threading
    import time

    from backstation.device.sim.protocol_sim import simulated_url
    from backstation.link import DeviceLink
    from backstation.session import LiveSession

    def step_until(session, done, wait_s=30.0):
        deadline = time.monotonic() + wait_s
        while not done():
            session.step()
            assert time.monotonic() < deadline, "gave up waiting"
            threading.Event().wait(0.01)

    link = DeviceLink(simulated_url(SCENARIO, seed=SEED, speed=20))
    link.open()
    try:
        with Database(tmp_path / "station.db") as db:
            session = LiveSession(db, link, SessionOptions())
            link.start()
            for exercise in (MID_BACK_SHRUG, INVERTED_ROW):
                done = len(session.sets) + 1
                step_until(session, lambda: len(session.sets) == done)
                session.set_exercise(exercise)
                assert session.exercise == exercise
            step_until(session, lambda: len(session.sets) == 3)
            session.finish()
            stored = db.judged_sets(session.session_id)
            replay = Replay(db, session.session_id)
            assert replay.rep_records == db.judged_reps(session.session_id)
    finally:
        link.close()
    assert [s.exercise for s in stored] == list(SCENARIO_EXERCISES[SCENARIO])
    assert replay.set_records == stored
    with pytest.raises(ValueError):
        session.set_exercise("rows")

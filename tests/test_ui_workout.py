"""The article's workout in the app (issue 13, item 4), through the real
controller on the simulated station's ``upper-back-workout`` scenario: three
sets of rows, three of mid-back shrugs judged as shrugs, three rear-delt flye
sets logged by the coach, a burnout finisher; the plan's rests; the pacing of
dumbbell sets; a second athlete's own place in the plan."""

from __future__ import annotations

import pytest

from backstation.device.sim import protocol_sim
from backstation.exercises import INVERTED_ROW, MID_BACK_SHRUG, REAR_DELT_FLYE
from backstation.storage import Database
from backstation.ui.live.workout import NO_SESSION_TEXT, Pacer, WorkoutDialog
from backstation.workout import (
    FLYE_REST_S, ROW_LEVELS, ROW_REST_S, SHRUG_REST_S, article_workout,
)

WAIT_MS = 60_000


@pytest.fixture(autouse=True)
def forget_stations():
    yield
    protocol_sim.clear_registry()


def test_the_workout_is_walked_from_start_to_end_on_the_simulated_station(qtbot, main_window):
    window = main_window
    with Database(window.db_path) as db:
        db.add_athlete("Alex", body_mass_kg=75)
    window.live.connection.set_athlete("Alex", 75)
    dialog = window.open_workout()
    dialog.start()
    assert dialog.problem.text() == NO_SESSION_TEXT            # nothing to keep its sets in
    dialog.close()

    ended, rests = [], []
    window.controller.set_ended.connect(ended.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("upper-back-workout", speed=60)
    dialog = window.open_workout()
    assert "no inverted rows recorded yet" in dialog.why.text()
    dialog.level_box.setCurrentIndex(1)                       # the coach's choice: a bench
    dialog.start()
    live, bar = window.live, window.live.workout_bar
    runner = live.workout
    assert bar.isVisible()
    assert bar.place.text().startswith("Alex: Inverted row · set 1 of 3 · 12 reps — heels on a bench")
    assert live.set_controls.variant == "heels-bench"

    def rest_target() -> float:
        return live.counter._rest[2] if live.counter.resting else None   # noqa: SLF001

    for n in (1, 2, 3):
        qtbot.waitUntil(lambda: len(ended) == n, timeout=WAIT_MS)
        rests.append(rest_target())
    assert [s.exercise for s in ended] == [INVERTED_ROW] * 3
    assert [s.valid_reps for s in ended] == [12, 12, 12]
    assert bar.place.text().startswith("Alex: Mid-back shrug · set 1 of 3 · 10 reps, 2 s holds")
    assert window.controller.session.exercise == MID_BACK_SHRUG
    assert live.set_controls.exercise == MID_BACK_SHRUG
    for n in (4, 5, 6):
        qtbot.waitUntil(lambda: len(ended) == n, timeout=WAIT_MS)
        rests.append(rest_target())
    assert [s.exercise for s in ended[3:]] == [MID_BACK_SHRUG] * 3
    assert [s.valid_reps for s in ended[3:]] == [10, 10, 10]       # judged as shrugs
    assert rests == [ROW_REST_S] * 3 + [SHRUG_REST_S] * 3

    # The flyes, away from the bar: logged while the simulated athlete is away.
    assert runner.step.exercise == REAR_DELT_FLYE and bar.log_button.isVisible()
    for _ in range(3):
        bar.reps_box.setValue(15)
        bar.load_box.setValue(6)
        bar.log_button.click()
        assert live.counter.resting and rest_target() == FLYE_REST_S
    assert runner.step.finisher
    assert bar.place.text().startswith("Alex: Inverted row (burnout finisher) · set 1 of 1")
    assert live.set_controls.variant == "heels-floor"
    assert window.controller.session.exercise == INVERTED_ROW
    qtbot.waitUntil(lambda: len(ended) == 7, timeout=WAIT_MS)
    assert ended[6].exercise == INVERTED_ROW and ended[6].valid_reps >= 15
    assert bar.place.text() == "Alex: Workout done: 10 sets"
    assert window.windowTitle() == "Back Station — Alex"
    assert rest_target() == 0                                  # no target rest after the last

    session_id = window.controller.session.session_id
    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS):
        window.controller.disconnect()
    with Database(window.db_path) as db:
        sets = db.sets(session_id)
        assert [(s.exercise, s.variant) for s in sets] == (
            [(INVERTED_ROW, "heels-bench")] * 3 + [(MID_BACK_SHRUG, None)] * 3
            + [(INVERTED_ROW, "heels-floor")])
        logged = db.logged_sets(session_id)
        assert [(s.exercise, s.reps, s.load_kg) for s in logged] == [(REAR_DELT_FLYE, 15, 6)] * 3


def test_a_second_athlete_has_their_own_place_in_the_workout(qtbot, main_window):
    window = main_window
    with Database(window.db_path) as db:
        db.add_athlete("Alex")
        db.add_athlete("Ben")
    window.refresh_roster()
    window.live.connection.set_athlete("Alex")
    # Real time: the switches all happen before the simulated athlete's first set.
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("upper-back-workout", speed=1)
    runner = window.live.workout
    assert runner.start(article_workout(ROW_LEVELS[0])) is None
    runner.skip_step()
    assert runner.step.exercise == MID_BACK_SHRUG
    window.live.connection.set_athlete("Ben")
    with qtbot.waitSignal(window.controller.athlete_changed, timeout=WAIT_MS):
        window.live.connection.athlete_changed.emit()
    assert runner.step.exercise == INVERTED_ROW and runner.walker.set_no == 1   # Ben's own
    assert window.controller.session.exercise == INVERTED_ROW
    window.live.connection.set_athlete("Alex")
    with qtbot.waitSignal(window.controller.athlete_changed, timeout=WAIT_MS):
        window.live.connection.athlete_changed.emit()
    assert runner.step.exercise == MID_BACK_SHRUG                 # Alex where Alex was
    assert window.controller.session.exercise == MID_BACK_SHRUG
    assert window.controller.session.variant is None              # a shrug has no row level
    with Database(window.db_path) as db:                # each session's first set's exercise
        assert [s.exercise for s in db.list_sessions()][-1] == MID_BACK_SHRUG
        assert [s.exercise for s in db.list_sessions()][-2] == INVERTED_ROW    # Ben's
    assert not window.controller.set_open


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_hold_counts_down_with_ticks_and_counts_a_rep_when_held(qtbot):
    clock = Clock()
    pacer = Pacer(clock=clock)
    shown, cues, reps = [], [], []
    pacer.shown.connect(shown.append)
    pacer.cue.connect(cues.append)
    pacer.rep_done.connect(lambda: reps.append(1))
    pacer.hold(2.0)
    for t in (0.5, 1.0, 1.5, 1.99, 2.0):
        clock.now = 100.0 + t
        pacer._tick()                                          # noqa: SLF001 - the timer's slot
    assert shown == ["HOLD 2", "HOLD 1", "HOLD DONE"]
    assert cues == ["tick", "tick", "hold_done"] and reps == [1]
    assert pacer.running is None


def test_the_flye_tempo_cues_lift_then_a_slow_lowering_and_counts_each_rep(qtbot):
    clock = Clock()
    pacer = Pacer(clock=clock)
    shown, reps = [], []
    pacer.shown.connect(shown.append)
    pacer.rep_done.connect(lambda: reps.append(1))
    pacer.tempo(3.0)
    for step in range(1, 17):                   # 0.5 s steps: two cycles of 1 s + 3 s
        clock.now = 100.0 + step * 0.5
        pacer._tick()                                          # noqa: SLF001
    assert shown[:4] == ["LIFT", "LOWER 3", "LOWER 2", "LOWER 1"]
    assert len(reps) == 2 and pacer.running == "tempo"
    pacer.stop()
    assert pacer.running is None

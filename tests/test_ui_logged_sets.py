"""Sets logged by hand in the app: the exercises done with dumbbells away from
the bar (exercises.LOGGED_EXERCISES), logged while recording through the real
AcquisitionController against the simulated station, refused in one line when
a value cannot be, stored in their place among the station's sets, shown by
History in the order done and written to sets.csv."""

from __future__ import annotations

import csv

import pytest

from backstation.device.sim import protocol_sim
from backstation.exercises import DUMBBELL_SHRUG, REAR_DELT_FLYE
from backstation.export import export_session
from backstation.storage import Database, SetRecord
from backstation.ui.history import HistoryView
from backstation.ui.history.view import SUMMARY_MAX_LINES

WAIT_MS = 30_000


@pytest.fixture(autouse=True)
def forget_stations():
    yield
    protocol_sim.clear_registry()


def toast(window) -> str:
    return window.toast.text() if window.toast.isVisible() else ""


def summary_lines(view: HistoryView) -> list[str]:
    return view.set_summary.text().splitlines()


def test_sets_logged_while_recording_are_stored_in_order_shown_in_history_and_the_csv(
        qtbot, main_window, tmp_path):
    window = main_window
    controller = window.controller
    assert controller.log_set(REAR_DELT_FLYE, 15, 6) == (
        "no session is recording: a logged set goes with a recording")
    started, ended, logged = [], [], []
    controller.set_started.connect(started.append)
    controller.set_ended.connect(ended.append)
    controller.set_logged.connect(logged.append)
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        # 8x: the scenario's 4 s at rest last 0.5 s here, time enough to log before set 1
        window.connect_simulated("clean", speed=8)
    qtbot.waitUntil(lambda: controller.session.last_fed_us is not None, timeout=WAIT_MS)
    assert not started, "the scenario begins at rest, so this set is logged before set 1"

    # Before the first set at the bar: a rear-delt flye set.
    assert controller.log_set(REAR_DELT_FLYE, 15, 6, notes="  last rep slow ") is None
    assert "Rear-delt flye: 1 × 15 @ 6 kg logged" in toast(window)
    # Values that cannot be are refused at once, in one line, and nothing is queued.
    for args, said in (((DUMBBELL_SHRUG, 12, 20, 500), "the hold must be between 0 and 120 s, "
                                                        "not 500"),
                       (("curl", 10), "unknown exercise 'curl'"),
                       ((REAR_DELT_FLYE, 0, 6), "reps must be between 1 and 200, not 0"),
                       ((REAR_DELT_FLYE, 10, 250), "the dumbbell's mass must be between 0 and "
                                                   "100 kg, not 250")):
        refused = controller.log_set(*args)
        assert refused is not None and said in refused and "\n" not in refused
    assert len(logged) == 1 and len(controller.session.logged_sets) == 1

    qtbot.waitUntil(lambda: len(ended) == 1, timeout=WAIT_MS)
    for _ in range(2):                                    # after set 1: two shrug sets, alike
        assert controller.log_set(DUMBBELL_SHRUG, 12, 20, hold_s=2, rpe=8) is None
    assert [e.set_no for e in logged] == [1, 2, 3]
    with qtbot.waitSignal(controller.disconnected, timeout=WAIT_MS) as saved:
        controller.disconnect()
    session_id = saved.args[0]["session_id"]

    with Database(window.db_path) as db:
        stored, sets = db.logged_sets(session_id), db.sets(session_id)
        export_session(db, session_id, tmp_path / "out")
    assert stored == logged                               # what the app was told is what is kept
    assert [(s.exercise, s.reps, s.load_kg, s.hold_s, s.rpe) for s in stored] == [
        (REAR_DELT_FLYE, 15, 6.0, None, None), (DUMBBELL_SHRUG, 12, 20.0, 2.0, 8.0),
        (DUMBBELL_SHRUG, 12, 20.0, 2.0, 8.0)]
    first_set = sets[0]
    assert stored[0].t_device_us < first_set.t_start_us <= stored[1].t_device_us

    # History: the session's sets in the order done, the alike shrug sets on one line.
    history = window.history
    history.refresh()
    qtbot.waitUntil(lambda: history.model.row_of(session_id) is not None, timeout=WAIT_MS)
    row = history.model.row_at(history.model.row_of(session_id))
    assert row.sets == len(sets) + 3
    with qtbot.waitSignal(history.session_opened, timeout=WAIT_MS):
        history.open_session(session_id)
    lines = summary_lines(history)
    assert lines[0] == "Rear-delt flye: 1 × 15 @ 6 kg, “last rep slow”"
    assert lines[1].startswith(f"Set {first_set.set_index}: Inverted row, valid reps "
                               f"{first_set.valid_reps}")
    assert lines[len(sets) + 1] == "Dumbbell shrug (incline bench): 2 × 12 @ 20 kg, hold 2 s, RPE 8"

    # sets.csv: a row a set, in the order done; the logged ones say so.
    with open(tmp_path / "out" / "sets.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(r["exercise"], r["logged"], r["reps"]) for r in rows] == [
        (REAR_DELT_FLYE, "1", "15"),
        *((s.exercise, "0", str(s.valid_reps + s.no_reps)) for s in sets),
        (DUMBBELL_SHRUG, "1", "12"), (DUMBBELL_SHRUG, "1", "12")]
    assert (rows[0]["load_kg"], rows[0]["hold_s"], rows[0]["set"], rows[0]["valid_reps"],
            rows[0]["notes"]) == ("6.0", "", "", "", "last rep slow")
    assert (rows[-1]["load_kg"], rows[-1]["hold_s"], rows[-1]["rpe"]) == ("20.0", "2.0", "8.0")


def _session_with_logged_sets(path) -> int:
    """Two station sets (no samples) and logged sets before, between and after them."""
    with Database(path) as db:
        sid = db.create_session(athlete=db.get_or_create_athlete("Ada"))
        for index, start_us in ((1, 10_000_000), (2, 70_000_000)):
            db.save_set(SetRecord(sid, index, "inverted-row", None, None, False, start_us,
                                  start_us + 20_000_000, 8, 1, {}))
        db.add_logged_set(sid, REAR_DELT_FLYE, 15, load_kg=6, t_device_us=5_000_000)
        for _ in range(3):
            db.add_logged_set(sid, REAR_DELT_FLYE, 12, load_kg=8, t_device_us=40_000_000)
        db.add_logged_set(sid, DUMBBELL_SHRUG, 10, load_kg=24, hold_s=3, notes="slow",
                          t_device_us=40_000_000)
        db.add_logged_set(sid, DUMBBELL_SHRUG, 10, load_kg=24, hold_s=3)   # logged afterwards
        db.finish_session(sid)
    return sid


@pytest.mark.parametrize("width, height", [(800, 420), (800, 480), (1366, 768)])
def test_history_shows_logged_sets_between_the_station_sets_on_small_screens(
        qtbot, themed, tmp_path, width, height):
    path = tmp_path / "s.db"
    sid = _session_with_logged_sets(path)
    view = HistoryView(path)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0 and view.busy.isHidden(), timeout=WAIT_MS)
    assert view.model.row_at(0).sets == 2 + 6
    with qtbot.waitSignal(view.session_opened, timeout=WAIT_MS):
        view.open_session(sid)
    lines = summary_lines(view)
    assert [line.split(":")[0] for line in lines] == [
        "Rear-delt flye", "Set 1", "Rear-delt flye", "Dumbbell shrug (incline bench)", "Set 2",
        "Dumbbell shrug (incline bench)"]
    assert lines[2] == "Rear-delt flye: 3 × 12 @ 8 kg"
    assert lines[3] == "Dumbbell shrug (incline bench): 1 × 10 @ 24 kg, hold 3 s, “slow”"
    # Every line is read whole: on the screen, or (a short screen) in the rep table's tooltip.
    if view.set_summary.isVisible():
        assert view.set_summary.width() <= view.width()
        assert view.set_summary.heightForWidth(view.set_summary.width()) <= (
            view.set_summary.height())
        # Six lines scroll in four: the reps to correct stay in sight.
        spacing = view.set_summary.fontMetrics().lineSpacing()
        assert view.summary_scroll.height() <= SUMMARY_MAX_LINES * spacing + 4
        rows = view.rep_table.verticalHeader().defaultSectionSize()
        assert view.rep_table.viewport().height() >= (3 if width >= 1200 else 1) * rows
    else:
        assert all(line in view.rep_table.toolTip() for line in lines)
    view.close()


def test_a_set_is_logged_at_the_newest_sample_received_not_the_last_tick(qtbot, main_window):
    """Between two display ticks the link holds samples the session has not
    judged yet: log_set takes them first, so its place is now, not 30 ms ago."""
    controller = main_window.controller
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        main_window.connect_simulated("clean", speed=20)
    session, link = controller.session, controller.link
    qtbot.waitUntil(lambda: session.last_fed_us is not None, timeout=WAIT_MS)
    controller._timer.stop()                       # no tick steps the session meanwhile
    controller._step_once(controller._live)
    judged_us, received = session.last_fed_us, link.stats.force_samples
    qtbot.waitUntil(lambda: link.stats.force_samples > received + 5, timeout=WAIT_MS)
    assert controller.log_set(REAR_DELT_FLYE, 15, 6) is None
    assert session.logged_sets[0].t_device_us > judged_us
    controller._timer.start()

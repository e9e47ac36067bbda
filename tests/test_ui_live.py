"""The desktop app against the simulated station (pytest-qt, offscreen).

Simulated scenarios run 10-20x faster than real time; every wait is a
qtbot.waitUntil/waitSignal with a timeout. Each test closes its window,
which runs the controller's shutdown order and joins every thread.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

from backstation.device.sim import protocol_sim
from backstation.link import LinkState
from backstation.storage import Database
from backstation.device.sim.protocol_sim import simulated_url
from backstation.ui.live.live_view import UNPLUGGED_TEXT
from backstation.ui.main_window import MainWindow

WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def isolated(tmp_path):
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    yield
    protocol_sim.clear_registry()


@pytest.fixture
def window(main_window):
    return main_window


def _truth(url: str):
    station = protocol_sim.station_for_url(url)
    assert station is not None
    return station.truth


def test_simulated_station_connects_and_samples_are_plotted_and_keep_coming(qtbot, window):
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=10)
    assert window.live.connection.state_label.text() == "streaming"
    qtbot.waitUntil(lambda: len(window.live.plot.curve_data("total")[0]) > 50, timeout=WAIT_MS)
    first = window.controller.buffers.newest_s
    qtbot.waitUntil(lambda: window.controller.buffers.newest_s > first + 2.0, timeout=WAIT_MS)
    x, y = window.live.plot.curve_data("total")
    assert len(x) == len(y) > 50
    assert x.max() <= 0.0 and x.min() >= -window.live.plot.window_s - 1.0   # relative to now
    assert len(window.live.plot.curve_data("gap")[0]) > 10
    qtbot.waitUntil(lambda: "force 8" in window.health.summary.text(), timeout=WAIT_MS)


def test_reps_are_counted_as_the_scenario_truth_shown_in_the_table_and_saved(qtbot, window):
    url = simulated_url("partial", seed=0, speed=20)
    ended = []
    window.controller.set_ended.connect(ended.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("partial", speed=20)
    qtbot.waitUntil(lambda: len(ended) >= 1, timeout=WAIT_MS)
    truth = _truth(url).sets[0]
    judged = ended[0]
    assert (judged.valid_reps, judged.no_reps) == (truth.valid_reps, truth.no_reps)
    assert [r.valid for r in judged.reps] == [r.valid for r in truth.reps]
    counter = window.live.counter
    assert counter.count_text == str(truth.valid_reps)
    model = window.live.rep_model
    assert model.rowCount() == len(truth.reps)
    results = [model.data(model.index(row, 1)) for row in range(model.rowCount())]
    assert sum(text.startswith("✓") for text in results) == truth.valid_reps
    assert any("chest did not touch" in text for text in results)

    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS) as saved:
        window.controller.disconnect()
    session_id = saved.args[0]["session_id"]
    with Database(window.db_path) as db:
        info = db.get_session(session_id)
        assert info.ended_at is not None
        assert info.force_samples > 1000 and info.distance_samples > 100
        reps = [r for r in db.reps(session_id) if r.set_index == judged.index]
        assert [r.valid for r in reps] == [r.valid for r in truth.reps]


def test_the_coach_overrules_the_newest_rep_in_the_rest_and_undoes_it(qtbot, window):
    """Through the real controller against the simulated station: in the rest
    after set 1 (15-20 s of the scenario, 1.2-1.7 s here), its last rep is
    overruled, the overruling undone and made again; the counter and table
    follow at once, and the session stores the judge's verdict with the
    coach's beside it."""
    ended = []
    window.controller.set_ended.connect(ended.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("partial", speed=12)
    live, session = window.live, window.controller.session
    buttons, model = live.correction_buttons, live.rep_model
    assert not buttons["no_rep"].isEnabled() and not buttons["undo"].isEnabled()
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=WAIT_MS)
    last = ended[0].reps[-1]
    assert session.newest_rep == (last.set_index, last.index)
    action, shown, count = (("no_rep", "✗ no-rep by the coach", -1) if last.valid
                            else ("valid", "✓ valid by the coach", +1))
    judged = model.data(model.index(model.rowCount() - 1, 1))
    valid_before = int(live.counter.count_text)

    buttons[action].click()
    row = model.rowCount() - 1
    assert model.data(model.index(row, 1)) == shown
    assert model.data(model.index(row, 1), Qt.ToolTipRole) == f"{shown} (judged: {judged[2:]})"
    assert live.counter.count_text == str(valid_before + count)
    assert live.counter.flash_text == shown.upper()
    buttons["undo"].click()
    assert model.data(model.index(row, 1)) == judged
    assert live.counter.count_text == str(valid_before)
    assert session.corrections == [] and not buttons["undo"].isEnabled()
    buttons[action].click()

    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS) as saved:
        window.controller.disconnect()
    session_id = saved.args[0]["session_id"]
    with Database(window.db_path) as db:
        assert [(c.set_index, c.rep_index, c.action) for c in db.corrections(session_id)] \
            == [(last.set_index, last.index, action)]
        rep = next(r for r in db.reps(session_id)
                   if (r.set_index, r.rep_index) == (last.set_index, last.index))
        (first_set, *_) = db.sets(session_id)
    assert rep.valid is (not last.valid) and rep.judged == (last.valid, last.reason)
    assert first_set.corrected and first_set.valid_reps == valid_before + count


def test_a_new_session_s_reps_show_their_own_verdicts_not_the_last_session_s_corrections(
        qtbot, window):
    from backstation.analysis import Rep
    from backstation.storage import RepRecord
    model, live = window.live.rep_model, window.live

    def rep(i, valid):
        return Rep(set_index=1, index=i, valid=valid, reason=None if valid else "no_contact",
                   t_start_us=i * 3_000_000, t_end_us=i * 3_000_000 + 2_000_000)
    model.add_rep(rep(1, True))
    model.add_rep(rep(2, True))
    model.apply_corrections([RepRecord(0, 1, 1, False, "coach", 0, 1, None, None, {},
                                       judged=(True, None))])        # 1.1 overruled, 1.2 deleted
    assert model.rowCount() == 1 and model.data(model.index(0, 1)) == "✗ no-rep by the coach"
    model.clear()                       # a new session (or set)
    model.add_rep(rep(1, True))
    model.add_rep(rep(2, False))
    assert [model.data(model.index(r, 1)) for r in range(2)] == ["✓ valid",
                                                                 "✗ chest did not touch"]
    # Space stays the set key: the coach's buttons never take the focus
    assert all(b.focusPolicy() == Qt.NoFocus for b in live.correction_buttons.values())


def test_unplug_shows_a_banner_then_reconnects_by_itself(qtbot, window):
    states = []
    window.controller.state_changed.connect(states.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("unplug", speed=10)
    banner = window.live.banner
    qtbot.waitUntil(lambda: banner.isVisible() and banner.text() == UNPLUGGED_TEXT,
                    timeout=WAIT_MS)
    assert window.live.connection.state_label.text() == "reconnecting…"
    qtbot.waitUntil(lambda: not banner.isVisible(), timeout=WAIT_MS)
    assert window.controller.state is LinkState.STREAMING
    assert window.controller.link.stats.reconnects == 1
    assert LinkState.RECONNECTING in states
    qtbot.waitUntil(lambda: "reconnects 1" in window.health.summary.text(), timeout=WAIT_MS)


def test_pause_and_scroll_back_keep_recording(qtbot, window):
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=20)
    buffers = window.controller.buffers
    qtbot.waitUntil(lambda: (buffers.newest_s or 0) > 15, timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key_P)
    plot = window.live.plot
    assert plot.paused and window.live.pause_button.isChecked()
    frozen = plot.anchor_s
    samples = len(buffers.force_t_s)
    plot.scroll_to(5.0)
    assert plot.anchor_s == pytest.approx(10.0)      # no earlier than one window from the start
    x_paused = plot.curve_data("total")[0].copy()
    qtbot.waitUntil(lambda: len(buffers.force_t_s) > samples + 400, timeout=WAIT_MS)
    assert plot.anchor_s == pytest.approx(10.0)      # the view stayed where it was put
    assert len(plot.curve_data("total")[0]) == len(x_paused)
    assert buffers.newest_s > frozen
    qtbot.keyClick(window, Qt.Key_P)
    assert not plot.paused
    qtbot.waitUntil(lambda: plot.anchor_s >= buffers.newest_s - 0.2, timeout=WAIT_MS)


def test_keys_switch_the_window_and_space_starts_and_ends_a_manual_set(qtbot, window):
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=10)
    qtbot.waitUntil(lambda: window.controller.session.judge.last_fed_us is not None,
                    timeout=WAIT_MS)
    qtbot.keyClick(window, Qt.Key_3)
    assert window.live.plot.window_s == 60
    qtbot.keyClick(window, Qt.Key_1)
    assert window.live.plot.window_s == 10
    with qtbot.waitSignal(window.controller.set_started, timeout=WAIT_MS):
        qtbot.keyClick(window, Qt.Key_Space)
    assert window.controller.set_open
    assert "manual" in window.live.counter.set_text
    with qtbot.waitSignal(window.controller.set_ended, timeout=WAIT_MS) as ended:
        qtbot.keyClick(window, Qt.Key_Space)
    assert ended.args[0].manual and not window.controller.set_open
    with qtbot.waitSignal(window.controller.command_finished, timeout=WAIT_MS) as tared:
        qtbot.keyClick(window, Qt.Key_T)
    assert tared.args[0] == "tare" and set(tared.args[1]) == {0, 1}


def test_settings_are_remembered_between_runs(qtbot, tmp_path):
    first = MainWindow(tmp_path / "s.db", audio_folder=tmp_path / "cues", port_lister=lambda: [])
    qtbot.addWidget(first)
    first.live.connection.set_athlete("Ann", 71.5)
    first.live.set_window(30)
    first.remember_choices()
    first.close()
    second = MainWindow(tmp_path / "s.db", audio_folder=tmp_path / "cues", port_lister=lambda: [])
    qtbot.addWidget(second)
    assert second.live.plot.window_s == 30
    assert second.live.connection.athlete == "Ann"
    assert second.live.connection.body_mass.value() == 71.5
    second.close()


def test_simulate_flag_connects_at_once_to_the_named_scenario(qtbot, window):
    from argparse import Namespace

    from backstation.ui.app import start_connection
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        start_connection(window, Namespace(simulate=True, scenario="noisy-line", port=None))
    assert window.controller.link.url.startswith("sim://?scenario=noisy-line")
    assert window.live.connection.scenario_box.currentText() == "noisy-line"


def test_load_cells_at_10_sps_show_a_clear_warning(qtbot, window):
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("slow-adc", speed=10)
    qtbot.waitUntil(lambda: window.health.warning.isVisible(), timeout=WAIT_MS)
    assert "10 SPS" in window.health.warning.text()


def test_calibration_key_opens_the_wizard_without_blocking_the_live_view(qtbot, window):
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=10)
    qtbot.keyClick(window, Qt.Key_C)
    dialogs = list(window._dialogs)
    assert len(dialogs) == 1
    assert dialogs[0].isVisible() and not dialogs[0].isModal()
    samples = len(window.controller.buffers.force_t_s)
    qtbot.waitUntil(lambda: len(window.controller.buffers.force_t_s) > samples + 100,
                    timeout=WAIT_MS)


@pytest.mark.parametrize("view", ["backstation.ui.history", "backstation.ui.calibration"])
def test_a_view_that_does_not_import_stops_the_app_loudly(view):
    """No placeholder tab, no quiet log line: the ImportError reaches the user."""
    import subprocess
    import sys
    code = (f"import sys; sys.modules[{view!r}] = None\n"
            "import backstation.ui.main_window")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert "ImportError" in result.stderr or "ModuleNotFoundError" in result.stderr


def test_a_failing_write_is_a_banner_not_a_dialog(qtbot, window, tmp_path):
    """Another program holds the database's write lock past the busy timeout
    (5 s): saving really fails; the live view says so in its banner, no dialog
    opens, and the recording goes on."""
    import sqlite3

    from PySide6.QtWidgets import QApplication
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=4)
    writer = window.controller.session.writer
    qtbot.waitUntil(lambda: writer.flushes >= 1, timeout=WAIT_MS)
    other = sqlite3.connect(tmp_path / "sessions.db", isolation_level=None, timeout=30)
    other.execute("BEGIN IMMEDIATE")
    try:
        qtbot.waitUntil(lambda: window.live.banner.isVisible(), timeout=WAIT_MS)
        assert "database is locked" in window.live.banner.text()
        assert QApplication.activeModalWidget() is None
        assert [w for w in QApplication.topLevelWidgets() if w.isVisible()] == [window]
        assert window.controller.is_connected
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_rep_cues_are_generated_wavs_and_silent_without_audio(tmp_path):
    import wave

    from backstation.ui.audio import CUE_TONES, RATE_HZ, RepCues, ensure_cue_files
    files = ensure_cue_files(tmp_path)
    assert set(files) == set(CUE_TONES)
    for key, path in files.items():
        with wave.open(str(path)) as w:
            assert w.getframerate() == RATE_HZ == 22050
            assert w.getnframes() == sum(int(RATE_HZ * s) for _f, s in CUE_TONES[key]) > 600


def test_without_qt_multimedia_the_cues_are_silent(tmp_path, monkeypatch):
    import sys

    from backstation.ui.audio import RepCues
    monkeypatch.setitem(sys.modules, "PySide6.QtMultimedia", None)    # import fails
    cues = RepCues(tmp_path / "cues")
    assert not cues.available and not (tmp_path / "cues").exists()
    cues.play(True)
    cues.play(False)


def test_a_valid_rep_plays_the_bright_cue_a_no_rep_the_buzz_and_muted_none(tmp_path):
    from types import SimpleNamespace

    from backstation.ui.audio import RepCues
    cues = RepCues(tmp_path / "cues")
    played: list[str] = []
    cues._effects = {key: SimpleNamespace(play=lambda key=key: played.append(key))
                     for key in ("valid", "no_rep")}
    cues.play(True)
    cues.play(False)
    cues.enabled = False
    cues.play(True)
    assert played == ["valid", "no_rep"]


def test_the_rep_table_shows_eight_reps_and_the_latest_and_a_no_rep_says_why_on_one_line(
        qtbot, window):
    from backstation.analysis import Rep
    live = window.live
    qtbot.waitExposed(window)
    for i in range(1, 11):
        rep = Rep(set_index=1, index=i, valid=i % 4 != 0,
                  reason=None if i % 4 else "sensor_dropout", t_start_us=i * 3_000_000,
                  t_end_us=i * 3_000_000 + 2_500_000, peak_force_n=600.0 + i, rom_mm=460.0,
                  mean_concentric_velocity_m_s=0.5, asymmetry_pct=-4.2, top_hold_s=0.9)
        live._on_rep_completed(rep)
    table = live.rep_table
    last = table.model().rowCount() - 1
    assert table.viewport().height() >= 8 * table.rowHeight(0)       # a typical set, whole
    assert 0 <= table.rowViewportPosition(last)                     # the newest in sight
    assert table.rowViewportPosition(last) + table.rowHeight(last) <= table.viewport().height()
    assert table.horizontalScrollBar().isHidden() or table.horizontalScrollBar().maximum() == 0
    result = table.model().index(7, 1)
    assert table.columnWidth(1) >= table.sizeHintForColumn(1) and "dropout" in result.data()
    live._on_rep_completed(Rep(set_index=1, index=11, valid=False, reason="no_contact",
                               t_start_us=40_000_000, t_end_us=42_000_000))
    assert live.counter.flash_text == "✗ CHEST DID NOT TOUCH"


def test_a_rest_timer_runs_from_the_set_s_end_and_says_when_the_rest_is_up(qtbot, window):
    """Through the real controller against the simulated station, a 1 s target
    rest: when set 1 ends the counter shows the rest's clock against the
    target, then says the rest is up (once); the next set clears it."""
    from backstation.ui.live.counter import REST_UP_TEXT
    live = window.live
    live.set_controls.rest_box.setValue(1)
    ended, over = [], []
    window.controller.set_ended.connect(ended.append)
    live.counter.rest_over.connect(over.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("partial", speed=8)     # a 15-20 s rest: 2-2.5 s
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=WAIT_MS)
    assert live.counter.set_text.startswith("set 1 done · rest 0:0")
    assert live.counter.set_text.endswith("of 0:01")
    with qtbot.waitSignal(live.counter.rest_over, timeout=5_000) as up:
        pass
    assert up.args == [1] and live.counter.set_text.startswith(REST_UP_TEXT)
    qtbot.waitUntil(lambda: live.counter.set_text.startswith("SET 2"), timeout=WAIT_MS)
    assert over == [1] and not live.counter.resting
    window.controller.disconnect()
    qtbot.waitUntil(lambda: window.controller.session is None, timeout=WAIT_MS)


def test_the_set_line_shows_velocity_loss_and_says_stop_past_the_line_once(qtbot, window):
    """Through the real controller against the simulated station: the set's
    line shows the open set's velocity loss against its best rep, as the
    analysis has it; past the stop line (1 % here) it says STOP, once a set."""
    live = window.live
    live.set_controls.stop_loss_box.setValue(1)
    stops, reps = [], []
    live.counter.velocity_stop.connect(lambda s, pct: stops.append((s, pct)))
    window.controller.rep_completed.connect(reps.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("partial", speed=8)
    qtbot.waitUntil(lambda: len(stops) == 1, timeout=WAIT_MS)
    current = window.controller.session.current_set
    assert stops[0][0] == current.index and stops[0][1] >= 1.0
    assert live.counter.set_text == (f"SET {current.index} · STOP: velocity loss "
                                     f"{current.velocity_loss_pct:.0f} %")
    n = len(reps)
    qtbot.waitUntil(lambda: len(reps) > n, timeout=WAIT_MS)
    assert len(stops) == 1                      # said once a set
    window.controller.disconnect()
    qtbot.waitUntil(lambda: window.controller.session is None, timeout=WAIT_MS)


def test_the_plot_shows_the_newest_force_large_and_a_target_line_in_the_units_shown(qtbot,
                                                                                    window):
    """Through the real controller against the simulated station: the newest
    total force as a number under the plot, in N or % body mass;
    a target of 100 % body mass as a line at the athlete's weight, on the axis."""
    from backstation.units import weight_n
    from backstation.vocabulary import number_text
    live = window.live
    live.connection.body_mass.setValue(70.0)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("partial", speed=4)
    plot, buffers = live.plot, window.controller.buffers
    qtbot.waitUntil(lambda: buffers.newest_s is not None and buffers.newest_s > 3.0,
                    timeout=WAIT_MS)
    plot.refresh()
    assert plot.readout_text == f"{number_text(buffers.total_n.view()[-1])} N"
    assert plot.target_y is None
    live.set_controls.target_box.setValue(100)
    assert plot.target_y == pytest.approx(weight_n(70.0))
    assert plot.force_range[1] >= weight_n(70.0)          # the line is on the axis
    live.set_percent_body_mass(True)
    plot.refresh()
    assert plot.target_y == pytest.approx(100.0)
    assert plot.readout_text == (
        f"{number_text(buffers.total_n.view()[-1] * 100 / weight_n(70.0))} % BM")
    live.set_controls.target_box.setValue(0)
    assert plot.target_y is None
    live.set_controls.target_box.setValue(100)
    plot.body_mass_kg = None                              # no body mass: no line to draw
    plot.set_target_pct_bm(100)
    assert plot.target_y is None
    window.controller.disconnect()
    qtbot.waitUntil(lambda: window.controller.session is None, timeout=WAIT_MS)


def test_the_last_set_s_rpe_and_note_are_saved_and_shown_in_history_and_the_csv(
        qtbot, window, tmp_path):
    """Through the real controller against the simulated station: after set 1
    the coach enters the athlete's RPE and a note; the session keeps them on
    the set, History's set summary and sets.csv show them."""
    import csv

    from backstation.export import export_session
    from backstation.ui.history.rep_model import set_summary
    live = window.live
    ended = []
    window.controller.set_ended.connect(ended.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("partial", speed=8)
    controls = live.set_controls
    controls.rpe_box.setValue(7)
    controls.note_button.click()                      # before any set ended: said, not stored
    assert "no set has ended" in live.banner.text()
    controls.clear_note()
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=WAIT_MS)
    controls.rpe_box.setValue(8.5)
    controls.note_edit.setText("  grip slipped on rep 6 ")
    controls.note_button.click()
    assert controls.rpe_box.value() == 0 and controls.note_edit.text() == ""   # ready again
    controls.note_button.click()                    # again, with nothing: nothing erased
    assert "enter the athlete's RPE or a note" in live.banner.text()
    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS) as saved:
        window.controller.disconnect()
    session_id = saved.args[0]["session_id"]
    with Database(window.db_path) as db:
        first = db.sets(session_id)[0]
        export_session(db, session_id, tmp_path / "out")
    assert (first.set_index, first.rpe, first.notes) == (1, 8.5, "grip slipped on rep 6")
    assert "RPE 8.5" in set_summary(first) and "grip slipped on rep 6" in set_summary(first)
    with open(tmp_path / "out" / "sets.csv", newline="") as f:
        row = next(csv.DictReader(f))
    assert (row["rpe"], row["notes"]) == ("8.5", "grip slipped on rep 6")



class _Clock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def test_the_counter_s_rest_clock_and_velocity_loss_line(qtbot):
    """The counter alone, on a clock the test moves: the rest against its
    target (or none), up once; a set's velocity loss with and without a stop
    line, not shown in a rest; STOP said again in the next set."""
    from backstation.ui.live.counter import REST_UP_TEXT, RepCounterView
    clock = _Clock()
    counter = RepCounterView(clock=clock)
    qtbot.addWidget(counter)
    up = []
    counter.rest_over.connect(up.append)
    counter.start_set(1)
    counter.show_velocity_loss(12.4, 0)
    assert counter.set_text == "SET 1 · velocity loss 12 %"
    counter.show_velocity_loss(21.0, 20)
    assert counter.set_text == "SET 1 · STOP: velocity loss 21 %"
    counter.end_set(1, 90)
    clock.t += 65
    counter._show_rest()                      # the timer's tick
    assert counter.set_text == "set 1 done · rest 1:05 of 1:30"
    counter.show_velocity_loss(30.0, 20)      # a late rep's figure: the rest stays shown
    assert counter.set_text.startswith("set 1 done · rest")
    clock.t += 30
    counter._show_rest()
    counter._show_rest()
    assert counter.set_text == f"{REST_UP_TEXT} (1:35)" and up == [1]
    counter.start_set(2)
    assert not counter.resting and not counter._rest_timer.isActive()
    stops = []
    counter.velocity_stop.connect(lambda s, pct: stops.append(s))
    counter.show_velocity_loss(25.0, 20)
    counter.show_velocity_loss(26.0, 20)
    assert stops == [2]                       # once a set, and again in a new set
    counter.end_set(2, 0)                     # no target: the clock only
    clock.t += 10
    counter._show_rest()
    assert counter.set_text == "set 2 done · rest 0:10"
    counter.stop_rest()                       # the session ended: no clock left running
    assert counter.set_text == "set 2 done" and not counter._rest_timer.isActive()


def test_the_force_readout_never_says_minus_zero_or_nan(qtbot, window):
    import numpy as np
    plot = window.live.plot
    plot._show_readout(np.array([12.0, -0.4]))           # noqa: SLF001 - a tared bar's noise
    assert plot.readout_text == "0 N"
    plot._show_readout(np.array([-12.6]))                # noqa: SLF001
    assert plot.readout_text == "-13 N"
    plot._show_readout(np.array([np.nan]))               # noqa: SLF001 - not calibrated yet
    assert plot.readout_text == ""


def test_the_target_line_can_be_the_athletes_best_peak_so_far(qtbot, window):
    live = window.live
    live.set_controls.best_button.setChecked(True)             # nobody named: no best
    assert live.plot.target_y is None
    live.connection.set_athlete("Ada", 60.0)
    ended = []
    window.controller.set_ended.connect(ended.append)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=20)
    assert live.plot.target_y is None and "No best peak yet" in live.banner.text()
    qtbot.waitUntil(lambda: len(ended) == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.controller.disconnected, timeout=WAIT_MS):
        window.controller.disconnect()
    with Database(window.db_path) as db:
        best = max(r.peak_force_n for s in db.list_sessions() for r in db.reps(s.id) if r.valid)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_simulated("clean", speed=20)
    assert live.plot.target_n == pytest.approx(best)
    assert live.plot.target_y == pytest.approx(best)
    live.set_percent_body_mass(True)
    from backstation.units import weight_n
    assert live.plot.target_y == pytest.approx(100 * best / weight_n(60.0))
    live.set_controls.best_button.setChecked(False)
    assert live.plot.target_y is None and live.set_controls.target_box.isEnabled()

"""Every action answers where the coach is looking (issue 14, item 2): a
message is a widget with a size inside the window, the force axis of a bar at
rest is a quiet line, the plot says LIVE / PAUSED / DISCONNECTED as it is, a
scrolled-back axis is in session time, a new session counts from zero, the
active window button looks active, a no-rep's reason stays until the next rep.
"""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QRect, Qt, QTimer
from PySide6.QtWidgets import QLabel

from backstation.analysis import Rep, SetResult, SetStarted
from backstation.device.sim.protocol_sim import simulated_url
from backstation.ui import theme
from backstation.ui.buffers import SessionBuffers
from backstation.ui.live.plot import (
    FORCE_MIN_SPAN, LIVE_AXIS_LABEL, PAUSED_AXIS_LABEL, STATE_TEXT, SessionBuffersView,
    StreamState,
)
from backstation.vocabulary import verdict_label

WAIT_MS = 20_000


def _on_screen(widget, window) -> bool:
    """Shown, with a size, and wholly inside the window."""
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    return window.rect().contains(rect)


def _shown_saying(window, words: str) -> list[QLabel]:
    return [label for label in window.findChildren(QLabel)
            if words in label.text() and _on_screen(label, window)]


def test_a_refused_tare_is_said_in_a_visible_widget_inside_the_window(qtbot, main_window):
    qtbot.waitExposed(main_window)
    qtbot.keyClick(main_window, Qt.Key_T)           # no station: the request is refused
    qtbot.waitUntil(lambda: bool(_shown_saying(main_window, "no station connected")),
                    timeout=WAIT_MS)
    [label] = _shown_saying(main_window, "no station connected")
    assert "Tare" in label.text()


def test_connected_and_saved_are_said_on_screen(qtbot, main_window):
    qtbot.waitExposed(main_window)
    with qtbot.waitSignal(main_window.controller.connected, timeout=WAIT_MS) as hello:
        main_window.connect_to(simulated_url("clean", speed=8))
    device_id = hello.args[0].device_id
    qtbot.waitUntil(lambda: bool(_shown_saying(main_window, device_id)), timeout=WAIT_MS)
    with qtbot.waitSignal(main_window.controller.disconnected, timeout=WAIT_MS) as ended:
        main_window.controller.disconnect()
    session_id = ended.args[0]["session_id"]
    qtbot.waitUntil(lambda: bool(_shown_saying(main_window, f"Session {session_id} saved")),
                    timeout=WAIT_MS)


def _resting_plot(qtbot, force_n: float = 0.7) -> SessionBuffersView:
    buffers = SessionBuffers(2)
    t = np.arange(0, 30, 1 / 80)
    noise = force_n * np.sin(t * 7)
    buffers.force_t_s.extend(t)
    for c in range(2):
        buffers.force_n[c].extend(noise / 2)
    buffers.total_n.extend(noise)
    view = SessionBuffersView(buffers)
    qtbot.addWidget(view)
    view.resize(800, 500)
    view.show()
    qtbot.waitExposed(view)
    view.refresh()
    return view


def test_a_bar_at_rest_is_drawn_on_an_axis_of_at_least_100_newtons_without_si_prefix(qtbot):
    view = _resting_plot(qtbot)
    lo, hi = view.force_range
    assert hi - lo >= FORCE_MIN_SPAN["N"]
    assert lo <= 0 < hi
    axis = view._force.getAxis("left")
    assert axis.autoSIPrefixScale == 1.0
    assert "x0.001" not in axis.labelString() and "(x" not in axis.labelString()


def test_a_pull_higher_than_the_minimum_span_is_shown_whole(qtbot):
    view = _resting_plot(qtbot, force_n=640.0)
    lo, hi = view.force_range
    assert lo <= -640.0 and hi >= 640.0


def test_the_state_line_says_disconnected_until_samples_stream(qtbot, main_window):
    plot = main_window.live.plot
    assert plot.state_text == STATE_TEXT[StreamState.DISCONNECTED][0]
    with qtbot.waitSignal(main_window.controller.connected, timeout=WAIT_MS):
        main_window.connect_to(simulated_url("clean", speed=8))
    qtbot.waitUntil(lambda: plot.state_text == STATE_TEXT[StreamState.LIVE][0], timeout=WAIT_MS)
    plot.pause()
    assert plot.state_text == STATE_TEXT[StreamState.PAUSED][0]
    plot.resume()
    with qtbot.waitSignal(main_window.controller.disconnected, timeout=WAIT_MS):
        main_window.controller.disconnect()
    assert plot.state_text == STATE_TEXT[StreamState.DISCONNECTED][0]


def test_scrolled_back_the_time_axis_is_in_session_time(qtbot):
    view = _resting_plot(qtbot)
    assert view.time_axis_label == LIVE_AXIS_LABEL
    view.scroll_to(16.0)
    assert view.time_axis_label == PAUSED_AXIS_LABEL
    x, _ = view.curve_data("total")
    lo, hi = view._force.vb.viewRange()[0]
    assert lo == pytest.approx(16.0 - view.window_s) and hi == pytest.approx(16.3)
    assert x.min() >= 16.0 - view.window_s - 1.0 and x.max() == pytest.approx(16.5, abs=0.02)
    view.resume()
    assert view.time_axis_label == LIVE_AXIS_LABEL
    x, _ = view.curve_data("total")
    assert x.max() == pytest.approx(0.0)


def _rep(index: int, valid: bool, reason: str | None = None) -> Rep:
    return Rep(set_index=1, index=index, valid=valid, reason=reason,
               t_start_us=index * 3_000_000, t_end_us=index * 3_000_000 + 2_000_000,
               peak_force_n=600.0, rom_mm=450.0, mean_concentric_velocity_m_s=0.4)


def test_a_new_session_counts_from_zero(qtbot, main_window):
    live = main_window.live
    live._on_set_started(SetStarted(set_index=3, t_us=0))
    for i in range(1, 4):
        live._on_rep_completed(_rep(i, valid=True))
    assert live.counter.count_text == "3"
    with qtbot.waitSignal(main_window.controller.connected, timeout=WAIT_MS):
        main_window.connect_to(simulated_url("clean", speed=8))
    assert live.counter.count_text == "0"
    assert live.counter.no_reps == 0
    assert "SET 3" not in live.counter.set_text
    assert live.counter.flash_text == ""


def test_the_active_window_button_looks_active(qtbot, main_window):
    main_window.setStyleSheet(theme.STYLESHEET)
    qtbot.waitExposed(main_window)
    main_window.live.set_window(30)
    buttons = main_window.live.window_buttons

    def background(seconds: int):
        image = buttons.button(seconds).grab().toImage()
        return image.pixelColor(6, image.height() // 2).name()

    assert buttons.button(30).isChecked()
    assert background(30) != background(10)
    assert background(10) == background(60)
    main_window.live.set_window(10)
    assert background(10) != background(30)


def test_a_no_reps_reason_stays_until_the_next_rep(qtbot, main_window):
    counter = main_window.live.counter
    main_window.live._on_rep_completed(_rep(1, valid=False, reason="no_contact"))
    said = verdict_label(False, "no_contact").upper()
    assert counter.flash_text == said
    # Nothing is due to clear it (it used to go after 2 s, by a timer).
    assert not [t for t in counter.findChildren(QTimer) if t.isActive()]
    main_window.live._on_set_ended(SetResult(index=1, exercise="inverted-row", t_start_us=0))
    assert counter.flash_text == said             # the rest between sets keeps it too
    main_window.live._on_rep_completed(_rep(2, valid=True))
    assert counter.flash_text == verdict_label(True, None).upper()

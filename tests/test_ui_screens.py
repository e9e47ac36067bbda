"""Every screen from 800x480 up (issue 14, item 1): the window takes the
screen's size and what a coach needs is inside it, whole; the settings
panel gives way during a set and on a narrow screen; rack mode shows the
counter, the curve and the last rep, large; controls are 9 mm for chalky
hands."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QAbstractButton, QComboBox, QDoubleSpinBox, QLineEdit

from backstation.device.sim.protocol_sim import simulated_url
from backstation.ui import theme

WAIT_MS = 20_000
SCREENS = [(800, 480), (1024, 600), (1366, 768), (1920, 1080)]


def _inside(widget, window) -> bool:
    if not widget.isVisible() or widget.width() <= 0 or widget.height() <= 0:
        return False
    rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
    return window.rect().contains(rect)


def _resize(qtbot, window, width: int, height: int) -> None:
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.size() == QSize(width, height), timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.live.size().width() <= width, timeout=WAIT_MS)


def _buttons_whole(live) -> list[str]:
    """The visible buttons whose text does not fit them."""
    return [b.text() for b in live.findChildren(QAbstractButton)
            if b.isVisible() and b.width() < b.sizeHint().width()]


@pytest.mark.parametrize("width,height", SCREENS)
def test_the_window_fits_the_screen_with_every_control_inside_it(qtbot, themed, main_window,
                                                                  width, height):
    window, live = main_window, main_window.live
    qtbot.waitExposed(window)
    _resize(qtbot, window, width, height)
    # Not connected: the station settings and Connect are there.
    for widget in (live.connection.connect_button, live.connection.port_box, live.plot,
                   live.controls_bar, live.settings_button, live.rack_button,
                   live.set_controls.start_stop, *live.window_buttons.buttons()):
        assert _inside(widget, window), widget
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_to(simulated_url("clean", speed=16))
    qtbot.waitUntil(lambda: window.controller.set_open, timeout=WAIT_MS)
    # A set: the settings panel has given way; counter, curve and last rep are on screen.
    qtbot.waitUntil(lambda: not live.settings_shown, timeout=WAIT_MS)
    for widget in (live.plot, live.counter, live.last_rep, live.controls_bar,
                   live.set_controls.start_stop, live.rack_button):
        assert _inside(widget, window), widget
    assert live.counter._count.height() >= live.counter._count.sizeHint().height()
    assert not _buttons_whole(live)
    assert live.plot.width() >= width // 3
    if width < 1400:           # connected on a laptop or smaller: still hidden between sets
        with qtbot.waitSignal(window.controller.set_ended, timeout=WAIT_MS):
            pass
        assert not live.settings_shown and live.plot.width() >= width // 3


def test_on_a_narrow_screen_the_settings_come_back_at_a_press(qtbot, themed, main_window):
    window, live = main_window, main_window.live
    qtbot.waitExposed(window)
    _resize(qtbot, window, 800, 480)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_to(simulated_url("clean", speed=8))
    qtbot.waitUntil(lambda: not live.settings_shown, timeout=WAIT_MS)
    qtbot.mouseClick(live.settings_button, Qt.LeftButton)
    assert live.settings_shown and _inside(live.connection.connect_button, window)
    qtbot.mouseClick(live.settings_button, Qt.LeftButton)
    assert not live.settings_shown


def test_rack_mode_is_the_counter_the_curve_and_the_last_rep_over_the_whole_screen(
        qtbot, themed, main_window):
    window, live = main_window, main_window.live
    qtbot.waitExposed(window)
    counter_font = live.counter._count.font().pointSize()
    qtbot.keyClick(window, Qt.Key_R)
    assert live.rack_mode and window.isFullScreen()
    for hidden in (window.menuBar(), window.statusBar(), window.tabs.tabBar(), live.rep_table,
                   live.side, *live.window_buttons.buttons()):
        assert not hidden.isVisible()
    for shown in (live.plot, live.counter, live.last_rep, live.rack_button):
        assert _inside(shown, window)
    assert live.counter._count.font().pointSize() > counter_font
    qtbot.mouseClick(live.rack_button, Qt.LeftButton)       # a button leaves it too
    assert not live.rack_mode and not window.isFullScreen()
    assert window.menuBar().isVisible() and window.tabs.tabBar().isVisible()


def test_every_control_of_the_live_view_is_at_least_9_mm(qtbot, themed, main_window):
    live = main_window.live
    qtbot.waitExposed(main_window)
    px = theme.touch_px(live)
    assert px >= round(9.0 * live.screen().logicalDotsPerInch() / 25.4)
    small = [(w.metaObject().className(), getattr(w, "text", lambda: "")(), w.height())
             for kind in (QAbstractButton, QComboBox, QLineEdit, QDoubleSpinBox)
             for w in live.findChildren(kind) if w.isVisible() and w.height() < px]
    assert not small


def test_on_a_small_screen_the_force_legend_is_one_row_over_the_curves(qtbot, themed, main_window):
    """At 800x480 a column of three names hid a third of the force plot's
    newest seconds; where the plot is wide enough (a set running) they take
    one row, and where it is not (the settings open beside it) they stay
    inside it."""
    import pyqtgraph as pg
    window, live = main_window, main_window.live
    qtbot.waitExposed(window)
    _resize(qtbot, window, 800, 480)
    canvas = live.plot.findChild(pg.GraphicsLayoutWidget)
    (legend,) = [item for item in canvas.scene().items() if isinstance(item, pg.LegendItem)]
    assert [label.text for _, label in legend.items] == ["total", "left", "right"]

    def fits() -> bool:
        return legend.boundingRect().width() <= legend.parentItem().boundingRect().width()

    assert live.settings_shown and fits()
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_to(simulated_url("clean", speed=8))
    qtbot.waitUntil(lambda: not live.settings_shown, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len({round(label.mapToScene(0, 0).y()) for _, label in legend.items}) == 1,
                    timeout=WAIT_MS)
    assert legend.boundingRect().height() <= 0.4 * legend.parentItem().boundingRect().height()
    assert fits()


@pytest.mark.parametrize("width,height", SCREENS)
def test_a_workouts_bar_and_its_dumbbell_set_fit_every_screen(qtbot, themed, main_window,
                                                               width, height):
    """The workout's place, Skip and End, and for a dumbbell set its reps, mass,
    pacing and Log: whole and on screen, the counter keeping its height."""
    from backstation.workout import article_workout
    window, live = main_window, main_window.live
    qtbot.waitExposed(window)
    _resize(qtbot, window, width, height)
    with qtbot.waitSignal(window.controller.connected, timeout=WAIT_MS):
        window.connect_to(simulated_url("clean", speed=1))
    assert live.workout.start(article_workout(dumbbell_shrugs=True)) is None
    live.workout.skip_step()                               # the dumbbell shrug: logged
    bar = live.workout_bar
    qtbot.waitUntil(lambda: bar.log_row.isVisible(), timeout=WAIT_MS)
    for widget in (bar.place, bar.skip_button, bar.end_button, bar.reps_box, bar.load_box,
                   bar.pace_button, bar.log_button, live.plot, live.counter):
        assert _inside(widget, window), widget
    assert bar.place.text().startswith("Dumbbell shrug (incline bench) · set 1 of 3")
    assert bar.place.fontMetrics().horizontalAdvance(bar.place.text()) <= bar.place.width()
    assert live.counter._count.height() >= live.counter._count.sizeHint().height()
    assert not _buttons_whole(live)

"""The simulated station does what a real one does, through the real
AcquisitionController: the calibration wizard with known masses hung by the
wizard itself, the wrong-hook warning, contact calibration with the simulated
athlete's held touch, no ``None`` in any label, and the scenario's end said in
the live view with a restart."""

from __future__ import annotations

import contextlib
import math
import re

import pytest
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget

from backstation.device.sim import protocol_sim
from backstation.storage import Database
from backstation.ui.acquisition import AcquisitionController
from backstation.ui.calibration import CalibrationWizard, ContactCalibrationDialog
from backstation.session import CalibrationLabel, SessionOptions
from backstation.ui.calibration.contact import NO_ATHLETE_TEXT, SIMULATED_MOVE
from backstation.ui.calibration.mass import reading_problem, readings_text
from backstation.units import weight_n

WAIT_MS = 20_000
SMALL_SCREEN = (800, 480)


@contextlib.contextmanager
def _connected(qtbot, path, url):
    """The real controller recording from ``url``; closed afterwards."""
    controller = AcquisitionController(path)
    failures: list[str] = []
    controller.connection_failed.connect(failures.append)
    try:
        controller.connect_to(url)
        qtbot.waitUntil(lambda: controller.is_connected or bool(failures), timeout=WAIT_MS)
        assert not failures, f"could not connect to {url}: {failures[0]}"
        qtbot.waitUntil(lambda: controller.latest_force_n() is not None, timeout=WAIT_MS)
        yield controller, protocol_sim.station_for_url(url)
    finally:
        controller.close()


def _texts(widget: QWidget) -> list[str]:
    """Every word a person can read on ``widget``: labels, buttons, the title."""
    texts = [widget.windowTitle()]
    texts += [w.text() for w in widget.findChildren(QLabel)]
    texts += [w.text() for w in widget.findChildren(QAbstractButton)]
    if hasattr(widget, "currentPage") and widget.currentPage() is not None:
        texts.append(widget.currentPage().title())
    return texts


def _assert_no_none(widget: QWidget) -> None:
    shown = [t for t in _texts(widget) if "None" in t]
    assert not shown, f"None reached the screen: {shown}"


def _cut_labels(widget: QWidget) -> list[str]:
    """The texts of shown labels that their height cuts off."""
    return [label.text() for label in widget.findChildren(QLabel)
            if label.isVisible() and label.text() and
            (label.heightForWidth(label.width()) if label.wordWrap()
             else label.sizeHint().height()) > label.height()]


def _shown_n(page) -> tuple[float, float]:
    """The two forces a wizard page shows: "Left 196.1 N   Right -0.2 N"."""
    match = re.fullmatch(r"Left (-?[0-9.]+) N   Right (-?[0-9.]+) N", page.readings.text())
    return (float(match[1]), float(match[2])) if match else (math.nan, math.nan)


def _tared_wizard(qtbot, controller, station, path) -> CalibrationWizard:
    """The wizard with its tare done on a bar the wizard cleared."""
    wizard = CalibrationWizard(controller, path)
    qtbot.addWidget(wizard)
    wizard.show()
    tare = wizard.tare_page
    qtbot.waitUntil(tare.bench.isVisible, timeout=WAIT_MS)
    controller.simulated_station().hang(1, 20_000)   # left from before: the page shows it live
    qtbot.waitUntil(lambda: _shown_n(tare)[1] > 150, timeout=WAIT_MS)
    tare.bench.buttons["Clear the bar"].click()
    assert station.bench.hung_grams == [0.0, 0.0]
    cleared_s = station.now_s
    # let go (1 s) and slide out (0.5 s): the bar is empty, then tare it
    qtbot.waitUntil(lambda: station.now_s > cleared_s + 2.0, timeout=WAIT_MS)
    with qtbot.waitSignal(wizard.tared, timeout=WAIT_MS):
        tare.button.click()
    # the page's live readings: both sides at zero now (0.15 N of noise a sample)
    qtbot.waitUntil(lambda: all(abs(n) < 1.0 for n in _shown_n(tare)), timeout=WAIT_MS)
    wizard.next()
    return wizard


def _calibrate(qtbot, wizard, page) -> None:
    with qtbot.waitSignal(wizard.calibrated, timeout=WAIT_MS):
        page.button.click()
    assert page.isComplete(), page.status.text()


def test_the_wizard_calibrates_the_simulated_station_with_masses_it_hangs_itself(qtbot,
                                                                                  tmp_path):
    """Tare, 20 kg on the left hook and 10 kg on the right, each hung by the
    wizard's own simulated-bench button: each CAL is the board's true scale
    within 0.2 % (the cells' noise leaves 0.013 % and 0.03 % rms in 1000
    calibrations of the station alone), the check passes, and closing the
    wizard takes the masses off and gives the scenario its athlete back."""
    url = "sim://?scenario=clean&seed=6&speed=5"
    path = tmp_path / "sim.db"
    with _connected(qtbot, path, url) as (controller, station):
        wizard = _tared_wizard(qtbot, controller, station, path)
        for page, kg in ((wizard.left_page, "20"), (wizard.right_page, "10")):
            assert wizard.currentPage() is page and page.bench.isVisible()
            page.mass.edit.setText(kg)
            page.bench.buttons[f"Hang it on the {page.side} hook"].click()
            hung_s = station.now_s
            grams = float(kg) * 1000
            assert station.bench.hung_grams[page.channel] == grams
            assert station.bench.hung_grams[1 - page.channel] == 0.0       # only this hook
            qtbot.waitUntil(lambda: abs(_shown_n(page)[page.channel] - weight_n(grams / 1000))
                            < 1.5, timeout=WAIT_MS)                   # read on its side
            qtbot.waitUntil(lambda: page.hint.text() == "", timeout=WAIT_MS)   # they agree
            # let it stop swinging (bench.BOUNCE_TAU_S 0.35 s), as on a real bench
            qtbot.waitUntil(lambda: station.now_s > hung_s + 1.5, timeout=WAIT_MS)
            _calibrate(qtbot, wizard, page)
            true_scale = station.identity.counts_per_newton[page.channel]
            assert page.result.counts_per_newton == pytest.approx(true_scale, rel=2e-3)
            wizard.next()
        check = wizard.check_page
        assert wizard.currentPage() is check
        check.bench.buttons["Hang both masses"].click()
        assert station.bench.hung_grams == [20_000.0, 10_000.0]
        qtbot.waitUntil(lambda: check.passed[0] and check.passed[1], timeout=WAIT_MS)
        _assert_no_none(wizard)
        wizard.accept()
        assert station.bench.hung_grams == [0.0, 0.0]
        assert station.bench.athlete.script is None            # the scenario's athlete again


def test_the_wizard_says_so_when_the_mass_hangs_on_the_other_hook(qtbot, tmp_path, themed):
    """In plain words, on an 800x480 screen, every line and button whole."""
    url = "sim://?scenario=clean&seed=6&speed=5"
    path = tmp_path / "sim.db"
    with _connected(qtbot, path, url) as (controller, station):
        wizard = _tared_wizard(qtbot, controller, station, path)
        wizard.resize(*SMALL_SCREEN)
        page = wizard.left_page
        page.mass.edit.setText("20")
        protocol_sim.operate(url, lambda s: s.bench.hang_mass(1, 20_000))   # on the RIGHT hook
        qtbot.waitUntil(lambda: "the right side reads" in page.hint.text(), timeout=WAIT_MS)
        hint = page.hint.text()
        assert hint.startswith("The left side reads ") and "is the 20 kg on the LEFT hook?" in hint
        right_n = float(hint.split("the right side reads ")[1].split(" N")[0])
        assert right_n > 150                                        # 196 N: where the mass is
        left_n = float(hint.split("reads ")[1].split(" N")[0])
        assert abs(left_n) < 2.0
        qtbot.waitUntil(lambda: not _cut_labels(wizard), timeout=WAIT_MS)
        assert wizard.size().width() <= SMALL_SCREEN[0] and wizard.height() <= SMALL_SCREEN[1]
        for button in page.findChildren(QAbstractButton):
            if button.isVisible():
                assert page.rect().contains(button.geometry().translated(
                    button.parentWidget().mapTo(page, button.parentWidget().rect().topLeft()))), \
                    button.text()
        page.bench.buttons["Hang it on the left hook"].click()       # moved to the left hook
        qtbot.waitUntil(lambda: page.hint.text() == "", timeout=WAIT_MS)
        assert station.bench.hung_grams == [20_000.0, 0.0]
        _assert_no_none(wizard)
        wizard.reject()


def test_contact_calibration_succeeds_with_the_simulated_athletes_held_touch(qtbot, tmp_path):
    url = "sim://?scenario=clean&seed=3&speed=4"
    path = tmp_path / "sim.db"
    with _connected(qtbot, path, url) as (controller, station):
        dialog = ContactCalibrationDialog(controller, path, "Ada", hold_s=0.5)
        qtbot.addWidget(dialog)
        dialog.show()
        assert dialog.bench.isVisible()
        with qtbot.waitSignal(dialog.threshold_measured, timeout=WAIT_MS) as measured:
            dialog.bench.buttons[SIMULATED_MOVE].click()
        assert station.bench.touch_window_s is not None
        # the chest held at 8 mm: a threshold just above what the sensor read then
        assert 10 <= measured.args[0] <= 30
        with qtbot.waitSignal(dialog.contact_stored, timeout=WAIT_MS) as stored:
            dialog.save_button.click()
        assert stored.args == ["Ada", measured.args[0]]
        assert station.bench.athlete.script is None            # the scenario's athlete again
    with Database(path) as db:
        assert db.get_athlete("Ada").contact_mm == measured.args[0]


def test_contact_calibration_without_an_athlete_says_so_and_fits_a_small_screen(qtbot,
                                                                                tmp_path):
    url = "sim://?scenario=clean&seed=3&speed=4"
    path = tmp_path / "sim.db"
    with _connected(qtbot, path, url) as (controller, _station):
        dialog = ContactCalibrationDialog(controller, path, None, hold_s=0.5)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        _assert_no_none(dialog)
        assert dialog.instructions.text().startswith("Pull up, touch the bar")
        assert dialog.message.text() == NO_ATHLETE_TEXT
        for size in (dialog.minimumSize(), dialog.minimumSizeHint()):   # it fits 800x480
            assert size.width() <= SMALL_SCREEN[0] and size.height() <= SMALL_SCREEN[1]
        dialog.resize(dialog.minimumSize())
        qtbot.waitUntil(lambda: dialog.width() == dialog.minimumWidth(), timeout=WAIT_MS)
        with qtbot.waitSignal(dialog.threshold_measured, timeout=WAIT_MS):
            dialog.bench.buttons[SIMULATED_MOVE].click()
        assert not dialog.save_button.isEnabled()                   # whose would it be?
        assert NO_ATHLETE_TEXT in dialog.message.text()
        _assert_no_none(dialog)
        qtbot.waitUntil(lambda: not _cut_labels(dialog), timeout=WAIT_MS)  # every line whole
        dialog.reject()
    assert not path.exists() or Database(path).get_athlete("None") is None


def test_the_live_view_says_the_scenario_ended_and_restarts_it(qtbot, tmp_path, themed):
    from backstation.ui.live.live_view import RESTART_SCENARIO_TEXT, LiveView

    url = "sim://?scenario=touch-and-go&seed=1&speed=25"
    controller = AcquisitionController(tmp_path / "sim.db")
    view = LiveView(controller)
    qtbot.addWidget(view)
    view.resize(*SMALL_SCREEN)
    view.show()
    try:
        with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
            controller.connect_to(url, SessionOptions(athlete="Ada", body_mass_kg=70.0))
        first_session = controller.session.session_id
        old_station = protocol_sim.station_for_url(url)
        assert view.scenario_notice.isHidden()
        with qtbot.waitSignal(controller.scenario_ended, timeout=WAIT_MS):
            pass
        assert old_station.scenario_ended
        notice = view.scenario_notice
        assert notice.isVisible() and "simulated scenario has ended" in notice.text()
        assert notice.button.text() == RESTART_SCENARIO_TEXT and notice.button.isVisible()
        qtbot.waitUntil(lambda: not _cut_labels(notice), timeout=WAIT_MS)   # whole at 800 px
        assert notice.geometry().right() < view.width()
        assert notice.button.geometry().right() <= notice.width()
        with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
            notice.button.click()
        assert notice.isHidden()
        new_station = protocol_sim.station_for_url(url)
        assert new_station is not old_station and not new_station.scenario_ended
        assert controller.session.session_id != first_session      # a new recording
        assert controller.session.athlete == "Ada"                 # of the same athlete
        qtbot.waitUntil(lambda: len(controller.buffers.force_t_s) > 0, timeout=WAIT_MS)
    finally:
        controller.close()


def test_the_readings_say_in_plain_words_what_hangs_where():
    assert readings_text(None) == "Left —   Right —"
    assert readings_text((0.25, float("nan"))) == "Left 0.2 N   Right —"
    assert reading_problem(0, 20_000, (0.3, 196.1)) == (
        "The left side reads 0.3 N (the right side reads 196.1 N) — "
        "is the 20 kg on the LEFT hook?")
    assert reading_problem(1, 500, (0.0, 0.1)) == (
        "The right side reads 0.1 N — is the 500 g on the RIGHT hook?")
    assert "more than 5 kg weighs (49.0 N)" in reading_problem(1, 5_000, (0.0, 150.0))
    assert reading_problem(0, 20_000, (190.0, 0.0)) is None       # an uncalibrated scale: near
    assert reading_problem(0, 20_000, None) is None               # nothing read yet
    assert reading_problem(0, 20_000, (float("nan"), 0.0)) is None


def test_a_label_stored_after_its_session_ended_names_no_session(qtbot, tmp_path):
    from PySide6.QtCore import QObject

    wizard = CalibrationWizard(QObject(), tmp_path / "none.db")
    qtbot.addWidget(wizard)
    wizard._on_stored(CalibrationLabel(0, 60_000, 1650.0, "cal", 10_000.0))
    assert wizard.storage_note.text() == "Stored with the session."
    _assert_no_none(wizard)


def test_in_the_app_the_scenario_ended_notice_restarts_it(qtbot, main_window):
    """Through the main window (``backstation --simulate``)."""
    controller = main_window.controller
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        main_window.connect_simulated("touch-and-go", speed=25)
    first_session = controller.session.session_id
    notice = main_window.live.scenario_notice
    qtbot.waitUntil(notice.isVisible, timeout=WAIT_MS)
    with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
        notice.button.click()
    assert controller.session.session_id != first_session
    assert not protocol_sim.station_for_url(controller.link.port).scenario_ended

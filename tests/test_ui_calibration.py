"""The calibration wizard and the contact calibration, driven through a fake
controller with the AcquisitionController's command interface."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from PySide6.QtCore import QObject, QTimer, Signal

from backstation.analysis import contact_threshold_from_touch
from backstation.protocol.sentences import Cal
from backstation.storage import Database
from backstation.ui.calibration import CalibrationWizard, ContactCalibrationDialog
from backstation.ui.calibration.mass import parse_mass_grams
from backstation.ui.delivery import Future

WAIT_MS = 5_000
COUNTS_PER_N = {0: 1650.0, 1: 1070.0}


class FakeSession:
    def __init__(self, session_id: int):
        self.session_id = session_id


class FakeController(QObject):
    """Answers later (as the real one does from its command thread), each
    command with its own future; with a database, it stores each CAL as the
    live session does (source 'device') and a label beside it."""

    command_finished = Signal(str, object)
    command_failed = Signal(str, str)

    def __init__(self, db_path=None, session_id=None):
        super().__init__()
        self.db_path = db_path
        self.session = FakeSession(session_id) if session_id is not None else None
        self.calls: list[tuple] = []
        self.fail_next: str | None = None
        self.force_n: tuple[float, ...] | None = None
        self.gaps_mm = np.empty(0)
        self.t_device_us = 1_000_000

    def tare(self, channel=None):
        self.calls.append(("tare", channel))
        cals = {ch: Cal(ch, 60_000 + ch, COUNTS_PER_N[ch]) for ch in (0, 1)}
        future = Future("tare")
        QTimer.singleShot(0, lambda: self._answer(future, cals))
        return future

    def calibrate(self, channel, mass_grams):
        self.calls.append(("calibrate", channel, mass_grams))
        cal = Cal(channel, 60_000 + channel, COUNTS_PER_N[channel] * (1 + channel / 100))
        future = Future("calibrate")
        QTimer.singleShot(0, lambda: self._answer(future, cal))
        return future

    def label_calibration(self, label):
        future = Future("label_calibration")
        with Database(self.db_path) as db:
            device = [c for c in db.calibrations(self.session.session_id)
                      if c.source == "device" and c.channel == label.channel
                      and c.offset_counts == label.offset_counts]
            db.add_calibration(self.session.session_id, label.channel, label.offset_counts,
                               label.counts_per_newton, source=label.source,
                               t_device_us=device[-1].t_device_us, mass_grams=label.mass_grams)
        QTimer.singleShot(0, lambda: future.settle(True, label))
        return future

    def latest_force_n(self):
        return self.force_n

    def recent_gaps_mm(self, seconds):
        return self.gaps_mm

    def _answer(self, future, result):
        name = future.name
        if self.fail_next == name:
            self.fail_next = None
            future.settle(False, "no reply from the station")
            self.command_failed.emit(name, "no reply from the station")
            return
        if self.session is not None:
            self.t_device_us += 500_000
            with Database(self.db_path) as db:
                for cal in (result.values() if isinstance(result, dict) else [result]):
                    db.add_calibration(self.session.session_id, cal.channel, cal.offset_counts,
                                       cal.counts_per_newton, t_device_us=self.t_device_us)
        future.settle(True, result)
        self.command_finished.emit(name, result)


@pytest.fixture
def db_session(tmp_path):
    path = tmp_path / "cal.db"
    with Database(path) as db:
        session_id = db.create_session(device_id="4A19669B", force_channels=2)
    return path, session_id


def _wizard(qtbot, controller, path, **kwargs) -> CalibrationWizard:
    wizard = CalibrationWizard(controller, path, **kwargs)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _run_page(qtbot, page) -> None:
    page.button.click()
    qtbot.waitUntil(page.isComplete, timeout=WAIT_MS)


def test_mass_entry_accepts_kg_g_and_a_comma_and_refuses_nonsense():
    assert parse_mass_grams("10", "kg") == 10_000
    assert parse_mass_grams("2,5", "kg") == 2_500
    assert parse_mass_grams("500", "g") == 500
    for text, unit in (("", "kg"), ("ten", "kg"), ("-1", "kg"), ("0.01", "kg"), ("900", "kg")):
        with pytest.raises(ValueError):
            parse_mass_grams(text, unit)


def test_wizard_walks_tare_left_right_check_and_stores_each_mass(qtbot, db_session):
    path, session_id = db_session
    controller = FakeController(path, session_id)
    wizard = _wizard(qtbot, controller, path)
    assert wizard.currentPage() is wizard.tare_page and not wizard.tare_page.isComplete()
    with qtbot.waitSignal(wizard.tared, timeout=WAIT_MS):
        wizard.tare_page.button.click()
    assert "zero" in wizard.tare_page.status.text()
    wizard.next()

    left = wizard.left_page
    assert wizard.currentPage() is left and not left.button.isEnabled()
    left.mass.edit.setText("ten")
    assert not left.button.isEnabled() and "not a number" in left.mass.problem.text()
    left.mass.edit.setText("10")
    assert left.button.isEnabled() and "98.1 N" in left.mass.problem.text()
    with qtbot.waitSignal(wizard.calibration_stored, timeout=WAIT_MS) as stored_left:
        _run_page(qtbot, left)
    wizard.next()

    right = wizard.right_page
    right.mass.unit.setCurrentText("g")
    right.mass.edit.setText("5000")
    with qtbot.waitSignal(wizard.calibration_stored, timeout=WAIT_MS) as stored_right:
        _run_page(qtbot, right)
    assert stored_left.args == [0, 10_000.0] and stored_right.args == [1, 5_000.0]
    assert controller.calls == [("tare", None), ("calibrate", 0, 10_000.0),
                                ("calibrate", 1, 5_000.0)]
    wizard.next()

    check = wizard.check_page
    assert wizard.currentPage() is check
    controller.force_n = (98.0, 45.0)               # right reads 8 % light
    qtbot.waitUntil(lambda: check.errors_pct[1] is not None, timeout=WAIT_MS)
    assert check.passed == {0: True, 1: False}
    assert check.verdicts[0].text() == "PASS" and check.verdicts[1].text() == "FAIL"
    assert "-8.2 %" in check.rows[1].text()
    controller.force_n = (98.0, 49.1)
    qtbot.waitUntil(lambda: check.passed[1], timeout=WAIT_MS)

    with Database(path) as db:
        cals = db.calibrations(session_id)
    by_source = {(c.source, c.channel): c for c in cals}
    assert by_source[("cal", 0)].mass_grams == 10_000.0
    assert by_source[("cal", 1)].mass_grams == 5_000.0
    for ch in (0, 1):
        # stored beside the session's own record of that CAL, at the same point
        device = [c for c in cals if c.source == "device" and c.channel == ch][-1]
        assert by_source[("cal", ch)].t_device_us == device.t_device_us
        assert by_source[("cal", ch)].recorded_at
    assert {c.channel for c in cals if c.source == "tare"} == {0, 1}
    wizard.accept()


def test_a_failed_tare_is_shown_and_can_be_retried(qtbot, tmp_path):
    controller = FakeController()
    controller.fail_next = "tare"
    wizard = _wizard(qtbot, controller, tmp_path / "none.db")
    page = wizard.tare_page
    with qtbot.waitSignal(controller.command_failed, timeout=WAIT_MS):
        page.button.click()
    assert "no reply from the station" in page.status.text()
    assert not page.isComplete() and page.button.isEnabled()
    _run_page(qtbot, page)
    assert controller.calls == [("tare", None), ("tare", None)]
    wizard.reject()


def test_without_a_recording_session_the_wizard_says_the_next_session_stores_it(qtbot,
                                                                                tmp_path):
    controller = FakeController()
    path = tmp_path / "none.db"
    wizard = _wizard(qtbot, controller, path)
    _run_page(qtbot, wizard.tare_page)
    wizard.next()
    wizard.left_page.mass.edit.setText("20")
    _run_page(qtbot, wizard.left_page)
    assert "next session" in wizard.storage_note.text()
    assert not path.exists()
    wizard.reject()


def _contact(qtbot, controller, path, name="Ada") -> ContactCalibrationDialog:
    dialog = ContactCalibrationDialog(controller, path, name, hold_s=0.3)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_contact_calibration_measures_the_touch_and_stores_it(qtbot, tmp_path):
    path = tmp_path / "c.db"
    controller = FakeController()
    rng = np.random.default_rng(1)
    controller.gaps_mm = (12 + rng.integers(-2, 3, 25)).astype(np.int32)
    dialog = _contact(qtbot, controller, path)
    assert not dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.threshold_measured, timeout=WAIT_MS) as measured:
        dialog.start_button.click()
    assert measured.args[0] == contact_threshold_from_touch(controller.gaps_mm)
    assert dialog.save_button.isEnabled()
    with qtbot.waitSignal(dialog.contact_stored, timeout=WAIT_MS) as stored:
        dialog.save_button.click()
    assert stored.args == ["Ada", measured.args[0]]
    assert dialog.result() == dialog.DialogCode.Accepted
    with Database(path) as db:
        athlete = db.get_athlete("Ada")
    assert athlete.contact_mm == measured.args[0] and athlete.contact_calibrated_at


def test_a_bad_touch_shows_why_and_a_retry_can_succeed(qtbot, tmp_path):
    path = tmp_path / "c.db"
    controller = FakeController()
    controller.gaps_mm = np.full(25, 400, dtype=np.int32)       # chest nowhere near the bar
    dialog = _contact(qtbot, controller, path)
    with qtbot.waitSignal(dialog.touch_rejected, timeout=WAIT_MS) as rejected:
        dialog.start_button.click()
    assert "not on the bar" in rejected.args[0]
    assert "not on the bar" in dialog.message.text() and not dialog.save_button.isEnabled()
    assert dialog.start_button.text() == "Try again" and dialog.start_button.isEnabled()
    controller.gaps_mm = np.full(25, 15, dtype=np.int32)
    with qtbot.waitSignal(dialog.threshold_measured, timeout=WAIT_MS):
        dialog.start_button.click()
    assert dialog.save_button.isEnabled()
    dialog.reject()
    assert not path.exists()                                    # nothing stored on cancel


@contextlib.contextmanager
def _tared_on_the_simulated_station(qtbot, path, session_ids):
    """The real AcquisitionController recording from sim:// and the wizard
    over it, its tare done; the session's id is added to ``session_ids``."""
    from backstation.device.sim import protocol_sim
    from backstation.ui.acquisition import AcquisitionController

    controller = AcquisitionController(path)
    try:
        with qtbot.waitSignal(controller.connected, timeout=20_000):
            controller.connect_to("sim://?scenario=clean&seed=6&speed=10")
        qtbot.waitUntil(lambda: controller.latest_force_n() is not None, timeout=20_000)
        session_ids.append(controller.session.session_id)
        wizard = _wizard(qtbot, controller, path)
        with qtbot.waitSignal(wizard.tared, timeout=20_000):
            wizard.tare_page.button.click()
        yield controller, wizard
    finally:
        controller.close()
        protocol_sim.clear_registry()


def _stored_tares(path, session_id):
    """The session's calibrations, and those of them the wizard's tare labelled."""
    with Database(path) as db:
        cals = db.calibrations(session_id)
    return [c for c in cals if c.source == "tare"], cals


def test_wizard_tares_a_simulated_station_through_the_real_controller(qtbot, tmp_path):
    """The real AcquisitionController recording from sim://: the tare reaches the
    station, its CALs are stored by the session and the wizard's 'tare' rows
    sit beside them; a CAL with nothing on the hook is refused with a message."""
    path, session_ids = tmp_path / "real.db", []
    with _tared_on_the_simulated_station(qtbot, path, session_ids) as (controller, wizard):
        qtbot.waitUntil(lambda: "Stored" in wizard.storage_note.text(), timeout=20_000)
        wizard.next()
        wizard.left_page.mass.edit.setText("10")
        with qtbot.waitSignal(controller.command_failed, timeout=20_000):
            wizard.left_page.button.click()
        assert "Failed" in wizard.left_page.status.text()
        assert not wizard.left_page.isComplete()
        wizard.reject()
    tares, cals = _stored_tares(path, session_ids[0])
    assert sorted(c.channel for c in tares) == [0, 1]
    for tare in tares:
        assert any(c.source == "device" and c.channel == tare.channel
                   and c.offset_counts == tare.offset_counts
                   and c.t_device_us == tare.t_device_us for c in cals)


def test_every_wizard_button_and_field_is_big_enough_for_a_chalky_finger(qtbot, tmp_path):
    from PySide6.QtWidgets import QWizard
    from backstation.ui.calibration.wizard import NAV_BUTTON_HEIGHT_PX
    controller = FakeController()
    wizard = _wizard(qtbot, controller, tmp_path / "c.db")
    qtbot.waitExposed(wizard)
    for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                  QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton):
        assert wizard.button(which).minimumHeight() >= NAV_BUTTON_HEIGHT_PX
    for page in (wizard.tare_page, wizard.left_page, wizard.right_page):
        assert page.button.minimumHeight() >= NAV_BUTTON_HEIGHT_PX
    for field in (wizard.left_page.mass.edit, wizard.left_page.mass.unit):
        assert field.minimumHeight() >= NAV_BUTTON_HEIGHT_PX
    # The check page's readings show whole beside their verdicts at the wizard's size.
    check = wizard.check_page
    check.expected_n = {0: 98.07, 1: 98.07}
    controller.force_n = (-1098.3, 1097.1)
    check._on_tick()
    wizard.resize(wizard.minimumSize())
    for page in (wizard.tare_page, wizard.left_page, wizard.right_page):
        page.done = True
        wizard.next()
    assert wizard.currentPage() is check
    qtbot.waitUntil(lambda: check.rows[0].width() > 0, timeout=WAIT_MS)
    for channel in (0, 1):
        row = check.rows[channel]
        assert row.fontMetrics().horizontalAdvance(row.text()) <= row.width()
    wizard.reject()


def test_wizard_calibrates_a_simulated_station_with_known_masses_through_the_real_controller(
        qtbot, tmp_path):
    """The whole wizard against sim:// and the real AcquisitionController: tare the
    empty bar, hang 10 kg on the left hook, then on the right, and the check page
    reads the mass back on each side within 1 %; every step is stored with its mass."""
    from backstation.device.sim import protocol_sim
    from backstation.ui.acquisition import AcquisitionController

    url = "sim://?scenario=asymmetric&seed=3&speed=20"
    mass_n = 10 * 9.80665
    path = tmp_path / "real.db"
    controller = AcquisitionController(path)
    try:
        with qtbot.waitSignal(controller.connected, timeout=20_000):
            controller.connect_to(url)
        station = protocol_sim.station_for_url(url)
        athlete_gone_s = station.truth.sets[-1].t_end_s + 2.0
        qtbot.waitUntil(lambda: station.now_s > athlete_gone_s, timeout=30_000)
        session_id = controller.session.session_id
        wizard = _wizard(qtbot, controller, path)
        with qtbot.waitSignal(wizard.tared, timeout=20_000):
            wizard.tare_page.button.click()
        wizard.next()
        for page, loads in ((wizard.left_page, [mass_n, 0.0]),
                            (wizard.right_page, [0.0, mass_n])):
            station.external_load_n[:] = loads
            page.mass.edit.setText("10")
            with qtbot.waitSignal(wizard.calibrated, timeout=20_000):
                page.button.click()
            assert page.isComplete()
            wizard.next()
        station.external_load_n[:] = [mass_n, mass_n]     # both hooks loaded for the check
        check = wizard.check_page
        assert wizard.currentPage() is check
        qtbot.waitUntil(lambda: all(check.passed.get(ch) for ch in (0, 1)), timeout=20_000)
        left_n, right_n = controller.latest_force_n()
        assert left_n == pytest.approx(mass_n, rel=0.01)
        assert right_n == pytest.approx(mass_n, rel=0.01)
        wizard.reject()
    finally:
        controller.close()
    with Database(path) as db:
        cals = db.calibrations(session_id)
    scaled = [c for c in cals if c.source == "cal"]
    assert sorted((c.channel, c.mass_grams) for c in scaled) == [(0, 10_000.0), (1, 10_000.0)]


def test_a_tare_from_the_live_view_during_the_wizards_tare_is_not_taken_for_the_wizards(
        qtbot, tmp_path):
    """T pressed in the live view (the window's T: ``controller.tare()``), then the
    wizard's Tare while the first still runs: the station takes the first and
    refuses the second. The wizard's page shows its own reply, the refusal,
    not the live view's success."""
    from backstation.device.sim import protocol_sim
    from backstation.link import CommandFailed, DeviceLink
    from backstation.ui.acquisition import AcquisitionController

    tares: list[int | None] = []

    class SecondTareRefused(DeviceLink):
        def tare(self, channel=None, timeout_s=None):
            tares.append(channel)
            if len(tares) == 2:
                raise CommandFailed("TARE", "busy")
            return super().tare(channel, timeout_s)

    path = tmp_path / "real.db"
    controller = AcquisitionController(path, link_factory=SecondTareRefused)
    try:
        with qtbot.waitSignal(controller.connected, timeout=20_000):
            controller.connect_to("sim://?scenario=clean&seed=6&speed=10")
        qtbot.waitUntil(lambda: controller.latest_force_n() is not None, timeout=20_000)
        wizard = _wizard(qtbot, controller, path)
        page = wizard.tare_page
        live_view_tare = controller.tare()                  # the live view's T
        page.button.click()                                 # the wizard's Tare, queued behind it
        with qtbot.waitSignal(live_view_tare.succeeded, timeout=20_000):
            pass
        qtbot.waitUntil(lambda: not page.pending, timeout=20_000)
        assert len(tares) == 2
        assert "busy" in page.status.text() and not page.isComplete()
        assert page.button.isEnabled()                      # it can be tried again
        wizard.reject()
    finally:
        controller.close()
        protocol_sim.clear_registry()


def test_finishing_the_wizard_waits_for_nothing_and_the_session_still_stores_the_tare(
        qtbot, tmp_path):
    """The session stores which command made a CAL (beside its own row), so the
    wizard has no job to wait for when it is finished: it holds no thread and
    joins none, and the rows land all the same."""
    import ast
    import inspect

    from backstation.ui.calibration import wizard as wizard_module

    calls = {node.func.attr for node in ast.walk(ast.parse(inspect.getsource(wizard_module)))
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}
    assert not calls & {"join", "join_all", "wait"}

    path, session_ids = tmp_path / "real.db", []
    with _tared_on_the_simulated_station(qtbot, path, session_ids) as (_, wizard):
        wizard.accept()                           # Finish at once: nothing is waited for
        wizard.deleteLater()
    tares, cals = _stored_tares(path, session_ids[0])
    assert sorted(c.channel for c in tares) == [0, 1]
    for tare in tares:
        assert any(c.source == "device" and c.channel == tare.channel
                   and c.t_device_us == tare.t_device_us for c in cals)

"""The calibration wizard: tare, a known mass on the left hook, one on the
right, then a check of the live force against those masses.

Commands go through the acquisition controller, which runs them off the GUI
thread and answers with ``command_finished(name, result)`` or
``command_failed(name, message)``; a failure is shown on the page and the
step can be retried. While a session records, each calibration is also
stored with its mass (see ``recording.py``); without one, the station keeps
the calibration and the next session stores it when it starts.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (QGridLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
                               QWizard, QWizardPage)

from ..jobs import DatabaseJob, JobOwner
from .mass import MassEntry, expected_force_n
from .recording import record_calibration

CHECK_INTERVAL_MS = 200
CHECK_TOLERANCE_PCT = 2.0
FINISH_STORE_WAIT_S = 2.0
SIDES = ("left", "right")
MIN_WIDTH_PX, MIN_HEIGHT_PX = 640, 420    # fits a 800x480 Pi screen; the check rows fit whole
NAV_BUTTON_HEIGHT_PX = 52                 # a chalky fingertip, not a mouse pointer
PASS_COLOUR, FAIL_COLOUR = "#3DDC97", "#FF7F50"


def _big(widget: QWidget, scale: float = 1.3, bold: bool = False) -> QWidget:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    widget.setFont(font)
    return widget


def error_pct(measured_n: float, expected_n: float) -> float:
    return 100.0 * (measured_n - expected_n) / expected_n


class CommandPage(QWizardPage):
    """A page that runs one controller command and is complete once it succeeded."""

    def __init__(self, title: str, instructions: str, button_text: str, command: str,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.command = command
        self.done = False
        self.result: object = None
        self.setTitle(title)
        text = _big(QLabel(instructions, self))
        text.setWordWrap(True)
        self.button = _big(QPushButton(button_text, self), 1.4, bold=True)
        self.button.setMinimumHeight(int(NAV_BUTTON_HEIGHT_PX * 1.2))
        self.button.clicked.connect(self._on_button_clicked)
        self.status = _big(QLabel(self))
        self.status.setWordWrap(True)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(text)
        self.extra = QVBoxLayout()
        self.layout_.addLayout(self.extra)
        self.layout_.addWidget(self.button)
        self.layout_.addWidget(self.status)
        self.layout_.addStretch(1)
        self.pending = False

    def isComplete(self) -> bool:
        return self.done and not self.pending

    def _on_button_clicked(self) -> None:
        self.pending = True
        self.button.setEnabled(False)
        self.status.setText("Working…")
        self.completeChanged.emit()
        self.run_command()

    def run_command(self) -> None:
        raise NotImplementedError

    def finish(self, result: object) -> None:
        self.pending = False
        self.done = True
        self.result = result
        self.button.setEnabled(True)
        self.status.setText(self.success_text())
        self.completeChanged.emit()

    def fail(self, message: str) -> None:
        self.pending = False
        self.button.setEnabled(self.can_run())
        self.status.setText(f"Failed: {message}. Check the station and try again.")
        self.completeChanged.emit()

    def can_run(self) -> bool:
        return True

    def success_text(self) -> str:
        return "Done."


class TarePage(CommandPage):
    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(
            "1. Tare", "Take everything off the bar: nothing on either hook, nobody touching "
            "it. Then press Tare: both sides read zero from now on.", "Tare", "tare", parent)
        self.controller = controller

    def run_command(self) -> None:
        self.controller.tare()

    def success_text(self) -> str:
        return "Tared: both sides read zero."


class MassPage(CommandPage):
    def __init__(self, controller, channel: int, parent: QWidget | None = None):
        side = SIDES[channel]
        super().__init__(
            f"{channel + 2}. Known mass, {side} side",
            f"Hang a known mass on the {side.upper()} hook only, let it stop swinging, "
            "enter its mass and press the button.", f"Calibrate {side}", "calibrate", parent)
        self.controller = controller
        self.channel = channel
        self.side = side
        self.mass = MassEntry(self)
        _big(self.mass.edit, 1.4)
        _big(self.mass.unit, 1.4)
        self.mass.unit.setMinimumWidth(90)
        for field in (self.mass.edit, self.mass.unit):
            field.setMinimumHeight(NAV_BUTTON_HEIGHT_PX)
        self.extra.addWidget(self.mass)
        self.mass.mass_changed.connect(self._on_mass_changed)
        self.button.setEnabled(False)
        self.mass_grams: float | None = None     # the mass the calibration used

    def can_run(self) -> bool:
        return self.mass.mass_grams() is not None

    def _on_mass_changed(self, grams: float | None) -> None:
        if not self.pending:
            self.button.setEnabled(grams is not None)

    def run_command(self) -> None:
        self.mass_grams = self.mass.mass_grams()
        self.controller.calibrate(self.channel, self.mass_grams)

    def success_text(self) -> str:
        return f"{self.side.capitalize()} calibrated with {self.mass_grams / 1000:g} kg."


class CheckPage(QWizardPage):
    """Live force per side against the known masses; a side passes when it
    reads its mass within ``CHECK_TOLERANCE_PCT``."""

    def __init__(self, controller, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.setTitle("4. Check")
        text = _big(QLabel("Hang the same masses again, on their own sides (both at once or "
                           "one at a time). Each side passes when it reads its mass within "
                           f"{CHECK_TOLERANCE_PCT:g} %.", self))
        text.setWordWrap(True)
        grid = QGridLayout()
        self.rows: dict[int, QLabel] = {}
        self.verdicts: dict[int, QLabel] = {}
        for channel, side in enumerate(SIDES):
            grid.addWidget(_big(QLabel(side.capitalize(), self), 1.5, bold=True), channel, 0)
            self.rows[channel] = _big(QLabel("—", self), 1.5)
            self.verdicts[channel] = _big(QLabel("", self), 1.5, bold=True)
            grid.addWidget(self.rows[channel], channel, 1)
            grid.addWidget(self.verdicts[channel], channel, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(grid)
        layout.addStretch(1)
        self.expected_n: dict[int, float] = {}
        self.passed: dict[int, bool] = {0: False, 1: False}
        self.errors_pct: dict[int, float | None] = {0: None, 1: None}
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self._on_tick)

    def initializePage(self) -> None:
        self.passed = {0: False, 1: False}
        self._on_tick()
        self.timer.start()

    def cleanupPage(self) -> None:
        self.timer.stop()

    @Slot()
    def _on_tick(self) -> None:
        forces = self.controller.latest_force_n() or ()
        for channel in (0, 1):
            expected = self.expected_n.get(channel)
            measured = forces[channel] if channel < len(forces) else None
            if expected is None or measured is None or not math.isfinite(measured):
                self.rows[channel].setText("no reading" if expected else "not calibrated")
                continue
            err = error_pct(measured, expected)
            self.errors_pct[channel] = err
            self.rows[channel].setText(f"{measured:.1f} N of {expected:.1f} N ({err:+.1f} %)")
            if abs(err) <= CHECK_TOLERANCE_PCT:
                self.passed[channel] = True
            verdict = "PASS" if self.passed[channel] else ("off" if abs(err) > 50 else "FAIL")
            self.verdicts[channel].setText(verdict)
            colour = PASS_COLOUR if verdict == "PASS" else FAIL_COLOUR
            self.verdicts[channel].setStyleSheet(f"color: {colour};")


class CalibrationWizard(QWizard):
    """Tare -> left mass -> right mass -> check.

    ``session_id``: the recording session the calibrations are stored with
    (default: the controller's current session, if any)."""

    calibrated = Signal(int, float)           # channel, mass (g): the device took it
    calibration_stored = Signal(int, float)   # channel, mass (g): stored with the session
    tared = Signal()
    storage_failed = Signal(str)

    def __init__(self, controller: QObject, db_path: Path, parent: QWidget | None = None, *,
                 session_id: int | None = None):
        super().__init__(parent)
        self.controller = controller
        self.db_path = Path(db_path)
        self._session_id = session_id
        self._jobs = JobOwner()
        self.setWindowTitle("Calibrate the bar")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.setMinimumSize(MIN_WIDTH_PX, MIN_HEIGHT_PX)
        for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.NextButton,
                      QWizard.WizardButton.FinishButton, QWizard.WizardButton.CancelButton):
            button = _big(self.button(which), 1.3, bold=which != QWizard.WizardButton.BackButton
                          and which != QWizard.WizardButton.CancelButton)
            button.setMinimumSize(130, NAV_BUTTON_HEIGHT_PX)
        self.tare_page = TarePage(controller, self)
        self.left_page = MassPage(controller, 0, self)
        self.right_page = MassPage(controller, 1, self)
        self.check_page = CheckPage(controller, self)
        for page in (self.tare_page, self.left_page, self.right_page, self.check_page):
            self.addPage(page)
        self.storage_note = _big(QLabel(self))
        self.storage_note.setWordWrap(True)
        self.storage_note.setAlignment(Qt.AlignmentFlag.AlignLeft)
        self.check_page.layout().addWidget(self.storage_note)
        controller.command_finished.connect(self._on_command_finished)
        controller.command_failed.connect(self._on_command_failed)
        self.finished.connect(self._on_wizard_finished)

    # -- controller answers ---------------------------------------------------

    def _pending_page(self, name: str) -> CommandPage | None:
        page = self.currentPage()
        if isinstance(page, CommandPage) and page.pending and page.command == name:
            return page
        return None

    @Slot(str, object)
    def _on_command_finished(self, name: str, result: object) -> None:
        page = self._pending_page(name)
        if page is None:
            return                    # a command someone else sent (the live view's T key)
        page.finish(result)
        if page is self.tare_page:
            self.tared.emit()
            cals = result.values() if isinstance(result, dict) else ()
            for cal in cals:
                self._store(cal, "tare", None)
        elif isinstance(page, MassPage):
            self.check_page.expected_n[page.channel] = expected_force_n(page.mass_grams)
            self.calibrated.emit(page.channel, page.mass_grams)
            if result is not None:
                self._store(result, "cal", page.mass_grams)

    @Slot(str, str)
    def _on_command_failed(self, name: str, message: str) -> None:
        page = self._pending_page(name)
        if page is not None:
            page.fail(message)

    # -- storage ------------------------------------------------------------

    def session_id(self) -> int | None:
        if self._session_id is not None:
            return self._session_id
        session = getattr(self.controller, "session", None)
        return getattr(session, "session_id", None)

    def _store(self, cal, source: str, mass_grams: float | None) -> None:
        session_id = self.session_id()
        if session_id is None:
            self.storage_note.setText("No session is recording: the station keeps this "
                                      "calibration and the next session stores it.")
            return
        channel, offset, scale = cal.channel, cal.offset_counts, cal.counts_per_newton

        def work(db, cancel):
            return record_calibration(db, session_id, channel, offset, scale, source=source,
                                      mass_grams=mass_grams, cancel=cancel)
        job = DatabaseJob(self.db_path, work, "calibration-store", self)
        job.succeeded.connect(lambda row_id: self._on_stored(row_id, channel, mass_grams))
        job.failed.connect(self._on_store_failed)
        self._jobs.run(job)

    def _on_stored(self, row_id: int | None, channel: int, mass_grams: float | None) -> None:
        if row_id is None:
            self._on_store_failed("the session did not record the station's calibration, "
                                  "so its mass was not stored")
        else:
            self.storage_note.setText(f"Stored with session {self.session_id()}.")
            if mass_grams is not None:
                self.calibration_stored.emit(channel, mass_grams)

    @Slot(str)
    def _on_store_failed(self, message: str) -> None:
        self.storage_note.setText(f"Calibration applied, but not stored: {message}")
        self.storage_failed.emit(message)

    # -- lifetime -----------------------------------------------------------

    def shutdown(self) -> None:
        self.check_page.timer.stop()
        self._jobs.join_all()

    def _on_wizard_finished(self, _result: int) -> None:
        # A mass still being stored (waiting for the session to write its CAL)
        # gets a moment to land before the wizard lets go of it.
        self.check_page.timer.stop()
        self._jobs.join_all(FINISH_STORE_WAIT_S, cancel=False)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

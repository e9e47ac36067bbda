"""The calibration wizard: tare, a known mass on the left hook, one on the
right, then a check of the live force against those masses.

Commands go through the acquisition controller, which runs them off the GUI
thread; each returns its own future (``ui/delivery.py``), so a page hears
its own command's reply and never another's (a TARE from the live view's T
key during the wizard's is the live view's). A failure is shown on the page
and the step can be retried. While a session records, the session stores
each calibration with the command that made it and its mass
(``LiveSession.label_calibration``: beside its own row of that CAL, written
by its writer, so nothing here waits for the disk or for another writer);
without one, the station keeps the calibration and the next session stores
it when it starts.

The known-mass pages show both sides' live force while they wait (the
controller's calibrated newtons) and say in plain words when the readings
do not fit the mass on that hook (``mass.reading_problem``). On a simulated
station each page offers what a person at the bench would do (clear the
bar, hang the mass; ``simulated.BenchRow``); when the wizard closes, those
masses come off and the scenario's athlete comes back.
"""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import (QGridLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget,
                               QWizard, QWizardPage)

from ...session import CalibrationLabel
from .mass import MassEntry, expected_force_n, mass_text, reading_problem, readings_text
from .simulated import BenchRow, controls_of

CHECK_INTERVAL_MS = 200
READINGS_INTERVAL_MS = 200
CHECK_TOLERANCE_PCT = 2.0
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
    """A page that runs one controller command and is complete once it succeeded.
    ``run_command`` returns the command's future: its reply is this page's."""

    succeeded = Signal(object)      # the command's result, once the page shows it

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
        future = self.run_command()
        future.succeeded.connect(self.finish)
        future.failed.connect(self.fail)

    def run_command(self):
        """Send the command; returns its future (``ui/delivery.Future``)."""
        raise NotImplementedError

    def finish(self, result: object) -> None:
        self.pending = False
        self.done = True
        self.result = result
        self.button.setEnabled(True)
        self.status.setText(self.success_text())
        self.completeChanged.emit()
        self.succeeded.emit(result)

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
        self.readings = _big(QLabel(readings_text(None), self), 1.3, bold=True)
        self.bench = BenchRow(controller, self)
        self.bench.add_move("Clear the bar", self._clear_bar)
        row = QHBoxLayout()
        row.addWidget(self.readings, 1)
        row.addWidget(self.bench)
        self.extra.addLayout(row)

    @staticmethod
    def _clear_bar(controls) -> None:
        controls.clear_bar()
        controls.hang(0, 0.0)
        controls.hang(1, 0.0)

    def initializePage(self) -> None:
        self.bench.refresh()
        self.show_readings()

    def show_readings(self) -> None:
        """Both sides' live force: zero once tared with nothing on the bar."""
        self.readings.setText(readings_text(self.controller.latest_force_n()))

    def run_command(self):
        return self.controller.tare()

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
        self.readings = _big(QLabel(readings_text(None), self), 1.3, bold=True)
        self.hint = _big(QLabel(self))
        self.hint.setObjectName("warning")
        self.hint.setWordWrap(True)
        self.bench = BenchRow(controller, self)
        self.bench.add_move(f"Hang it on the {side} hook", self._hang)
        row = QHBoxLayout()          # one line for both: the page fits an 800x480 screen
        row.addWidget(self.readings, 1)
        row.addWidget(self.bench)
        self.extra.addLayout(row)
        self.extra.addWidget(self.hint)
        self.hint.hide()
        self.mass.mass_changed.connect(self._on_mass_changed)
        self.button.setEnabled(False)
        self.mass_grams: float | None = None     # the mass the calibration used

    def initializePage(self) -> None:
        self.bench.refresh()
        self.show_readings()

    def _hang(self, controls) -> str | None:
        grams = self.mass.mass_grams()
        if grams is None:
            return "enter the mass first"
        controls.hang_only(self.channel, grams)
        return None

    def show_readings(self) -> None:
        """Both sides' live force, and what it says about the mass on this hook."""
        forces = self.controller.latest_force_n()
        self.readings.setText(readings_text(forces))
        grams = self.mass.mass_grams()
        problem = None if grams is None else reading_problem(self.channel, grams, forces)
        self.hint.setText(problem or "")
        self.hint.setVisible(bool(problem))     # no empty line: the page fits 800x480

    def can_run(self) -> bool:
        return self.mass.mass_grams() is not None

    def _on_mass_changed(self, grams: float | None) -> None:
        if not self.pending:
            self.button.setEnabled(grams is not None)

    def run_command(self):
        self.mass_grams = self.mass.mass_grams()
        return self.controller.calibrate(self.channel, self.mass_grams)

    def success_text(self) -> str:
        return f"{self.side.capitalize()} calibrated with {mass_text(self.mass_grams)}."


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
        self.bench = BenchRow(controller, self)
        self.bench.add_move("Hang both masses", self._hang_both)
        layout = QVBoxLayout(self)
        layout.addWidget(text)
        layout.addLayout(grid)
        layout.addWidget(self.bench)
        layout.addStretch(1)
        self.expected_n: dict[int, float] = {}
        self.masses_grams: dict[int, float] = {}
        self.passed: dict[int, bool] = {0: False, 1: False}
        self.errors_pct: dict[int, float | None] = {0: None, 1: None}
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self._on_tick)

    def _hang_both(self, controls) -> str | None:
        if not self.masses_grams:
            return "calibrate a side first"
        for channel, grams in self.masses_grams.items():
            controls.hang(channel, grams)
        return None

    def initializePage(self) -> None:
        self.bench.refresh()
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
    """Tare -> left mass -> right mass -> check. Each calibration is stored
    with the controller's recording session, if one records. ``db_path`` is
    the database that session writes (kept for the caller's sake: the
    session's writer stores the rows)."""

    calibrated = Signal(int, float)           # channel, mass (g): the device took it
    calibration_stored = Signal(int, float)   # channel, mass (g): stored with the session
    tared = Signal()
    storage_failed = Signal(str)

    def __init__(self, controller: QObject, db_path: Path | None = None,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.db_path = Path(db_path) if db_path is not None else None
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
        self.bench_moved = False      # a simulated station's bench was used: undone at the end
        for page in (self.tare_page, self.left_page, self.right_page, self.check_page):
            page.bench.moved.connect(self._on_bench_moved)
        self.readings_timer = QTimer(self)
        self.readings_timer.setInterval(READINGS_INTERVAL_MS)
        self.readings_timer.timeout.connect(self._on_readings_tick)
        self.readings_timer.start()
        self.tare_page.succeeded.connect(self._on_tared)
        self.left_page.succeeded.connect(lambda cal: self._on_calibrated(self.left_page, cal))
        self.right_page.succeeded.connect(lambda cal: self._on_calibrated(self.right_page, cal))
        self.finished.connect(self._on_wizard_finished)

    # -- this wizard's commands' replies --------------------------------------------

    def _on_tared(self, cals: object) -> None:
        self.tared.emit()
        for cal in (cals.values() if isinstance(cals, dict) else ()):
            self._store(cal, "tare", None)

    def _on_calibrated(self, page: "MassPage", cal: object) -> None:
        self.check_page.expected_n[page.channel] = expected_force_n(page.mass_grams)
        self.check_page.masses_grams[page.channel] = page.mass_grams
        self.calibrated.emit(page.channel, page.mass_grams)
        if cal is not None:
            self._store(cal, "cal", page.mass_grams)

    # -- live readings and the simulated bench --------------------------------

    @Slot()
    def _on_readings_tick(self) -> None:
        page = self.currentPage()
        if page is not None and hasattr(page, "bench"):
            page.bench.refresh()      # connected or disconnected since the page opened
        if isinstance(page, (TarePage, MassPage)):
            page.show_readings()

    @Slot(str)
    def _on_bench_moved(self, _move: str) -> None:
        self.bench_moved = True

    def _put_the_bench_back(self) -> None:
        """The masses come off the hooks and the scenario's athlete comes back."""
        controls = controls_of(self.controller) if self.bench_moved else None
        self.bench_moved = False
        if controls is None:
            return
        try:
            controls.hang(0, 0.0)
            controls.hang(1, 0.0)
            controls.resume_scenario()
        except KeyError:          # the station is gone (a restart): nothing to put back
            pass

    # -- storage ------------------------------------------------------------

    def session_id(self) -> int | None:
        session = getattr(self.controller, "session", None)
        return getattr(session, "session_id", None)

    def _store(self, cal, source: str, mass_grams: float | None) -> None:
        session_id = self.session_id()
        if session_id is None:
            self.storage_note.setText("No session is recording: the station keeps this "
                                      "calibration and the next session stores it.")
            return
        label = CalibrationLabel(cal.channel, cal.offset_counts, cal.counts_per_newton,
                                 source, mass_grams)
        # Bound methods, not lambdas: a wizard closed before the reply hears nothing.
        future = self.controller.label_calibration(label)
        future.succeeded.connect(self._on_stored)
        future.failed.connect(self._on_store_failed)

    @Slot(object)
    def _on_stored(self, label: CalibrationLabel) -> None:
        session_id = self.session_id()          # None once that session has ended
        self.storage_note.setText("Stored with the session." if session_id is None
                                  else f"Stored with session {session_id}.")
        if label.mass_grams is not None:
            self.calibration_stored.emit(label.channel, label.mass_grams)

    @Slot(str)
    def _on_store_failed(self, message: str) -> None:
        self.storage_note.setText(f"Calibration applied, but not stored: {message}")
        self.storage_failed.emit(message)

    # -- lifetime -----------------------------------------------------------

    def shutdown(self) -> None:
        self.check_page.timer.stop()
        self.readings_timer.stop()

    def _on_wizard_finished(self, _result: int) -> None:
        # Nothing to wait for: a calibration still to be stored is the session's.
        self.check_page.timer.stop()
        self.readings_timer.stop()
        self._put_the_bench_back()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

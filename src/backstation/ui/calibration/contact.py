"""The athlete's contact calibration: chest on the bar, hold for 2 s.

The countdown runs on a QTimer (the GUI keeps painting); when it ends the
last 2 s of gap readings from the controller become a threshold through
``analysis.contact_threshold_from_touch``. A bad touch shows its reason and
the athlete tries again. Saving is a database write, so it runs on a worker;
the dialog closes once it is stored. The threshold applies to sessions
started after it is saved, and belongs to an athlete: without one named the
touch is measured but not saved.

On a simulated station the dialog offers the athlete's move
(``simulated.BenchRow``): the simulated athlete pulls up and holds the chest
on the bar, and the countdown starts by itself once the chest is there;
when the dialog closes, the scenario's athlete comes back.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QCloseEvent, QFont
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from ...analysis import contact_threshold_from_touch
from ..jobs import DatabaseJob, JobOwner
from .simulated import BenchRow, controls_of

HOLD_S = 2.0
TICK_MS = 100
MIN_WIDTH_PX, MIN_HEIGHT_PX = 560, 400     # within an 800x480 screen, every line whole
NO_ATHLETE_TEXT = "Enter the athlete's name under Station to save a contact threshold."
SIMULATED_MOVE = "Athlete: pull up and hold"


def _font(widget: QWidget, scale: float, bold: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    widget.setFont(font)


class ContactCalibrationDialog(QDialog):
    threshold_measured = Signal(float)        # mm, not yet stored
    touch_rejected = Signal(str)              # why the touch was not usable
    contact_stored = Signal(str, float)       # athlete, mm

    def __init__(self, controller: QObject, db_path: Path, athlete_name: str | None,
                 parent: QWidget | None = None, *, hold_s: float = HOLD_S):
        super().__init__(parent)
        self.controller = controller
        self.db_path = Path(db_path)
        self.athlete_name = athlete_name
        self.hold_s = hold_s
        self.threshold_mm: float | None = None
        self._jobs = JobOwner()
        self._remaining_ms = 0
        self.setWindowTitle("Contact calibration"
                            + (f" — {athlete_name}" if athlete_name else ""))
        self.setMinimumSize(MIN_WIDTH_PX, MIN_HEIGHT_PX)

        who = f"{athlete_name}: pull up" if athlete_name else "Pull up"
        self.instructions = QLabel(
            f"{who}, touch the bar with your chest and hold it there. "
            f"Press Start when you are touching; hold still for {hold_s:g} s.", self)
        self.instructions.setWordWrap(True)
        _font(self.instructions, 1.3)
        self.countdown = QLabel("", self)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        _font(self.countdown, 3.0, bold=True)
        self.message = QLabel("", self)
        self.message.setWordWrap(True)
        _font(self.message, 1.4, bold=True)
        self.start_button = QPushButton("Start", self)
        _font(self.start_button, 1.4, bold=True)
        self.start_button.clicked.connect(self.start)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setEnabled(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        self.bench = BenchRow(controller, self)
        self.bench.add_move(SIMULATED_MOVE, self._pull_up_and_hold)
        self.bench.refresh()
        self.bench_moved = False
        self.bench.moved.connect(self._on_bench_moved)
        layout = QVBoxLayout(self)
        for w in (self.instructions, self.countdown, self.start_button, self.bench, self.message):
            layout.addWidget(w)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        if not athlete_name:
            self.message.setText(NO_ATHLETE_TEXT)

        self.timer = QTimer(self)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._on_tick)
        self.touch_timer = QTimer(self)     # the simulated athlete on the way to the bar
        self.touch_timer.setInterval(TICK_MS)
        self.touch_timer.timeout.connect(self._on_touch_tick)

    @Slot(str)
    def _on_bench_moved(self, _move: str) -> None:
        self.bench_moved = True

    def _pull_up_and_hold(self, controls) -> None:
        controls.hold_touch(self.hold_s)
        self.start_button.setEnabled(False)
        self.message.setText("The simulated athlete is pulling up…")
        self.touch_timer.start()

    @Slot()
    def _on_touch_tick(self) -> None:
        controls = controls_of(self.controller)
        try:
            touching = controls is not None and controls.touching()
        except KeyError:          # the station is gone
            touching = False
            controls = None
        if controls is None:
            self.touch_timer.stop()
            self.start_button.setEnabled(True)
            self.message.setText("The simulated station is gone: connect it again.")
        elif touching:
            self.touch_timer.stop()
            self.start()

    @Slot()
    def start(self) -> None:
        """Begin the hold; the gaps are read when the countdown ends."""
        self.threshold_mm = None
        self.save_button.setEnabled(False)
        self.start_button.setEnabled(False)
        self.message.setText("Hold still…")
        self._remaining_ms = int(round(self.hold_s * 1000))
        self._show_remaining()
        self.timer.start()

    def _show_remaining(self) -> None:
        self.countdown.setText(f"{max(self._remaining_ms, 0) / 1000:.1f} s")

    @Slot()
    def _on_tick(self) -> None:
        self._remaining_ms -= TICK_MS
        self._show_remaining()
        if self._remaining_ms > 0:
            return
        self.timer.stop()
        self.start_button.setEnabled(True)
        gaps = np.asarray(self.controller.recent_gaps_mm(self.hold_s), dtype=float)
        try:
            threshold = contact_threshold_from_touch(gaps)
        except ValueError as exc:
            self.start_button.setText("Try again")
            self.message.setText(f"Not a steady touch: {exc}")
            self.touch_rejected.emit(str(exc))
            return
        self.threshold_mm = threshold
        self.start_button.setText("Measure again")
        said = f"Contact when the gap is {threshold:.0f} mm or less."
        self.message.setText(said if self.athlete_name else f"{said} {NO_ATHLETE_TEXT}")
        self.save_button.setEnabled(bool(self.athlete_name))
        self.threshold_measured.emit(threshold)

    @Slot()
    def save(self) -> None:
        if self.threshold_mm is None or not self.athlete_name:
            return
        name, mm = self.athlete_name, self.threshold_mm
        self.save_button.setEnabled(False)
        job = DatabaseJob(self.db_path, lambda db, cancel: db.set_athlete_contact(name, mm),
                          "contact-store", self)
        job.succeeded.connect(self._on_stored)
        job.failed.connect(self._on_store_failed)
        self._jobs.run(job)

    @Slot(object)
    def _on_stored(self, athlete) -> None:
        self.contact_stored.emit(athlete.name, float(athlete.contact_mm))
        self.accept()

    @Slot(str)
    def _on_store_failed(self, message: str) -> None:
        self.message.setText(f"Not saved: {message}")
        self.save_button.setEnabled(True)

    def shutdown(self) -> None:
        self.timer.stop()
        self.touch_timer.stop()
        self._jobs.join_all()

    def done(self, result: int) -> None:
        self.timer.stop()
        self.touch_timer.stop()
        self._scenario_back()
        super().done(result)

    def _scenario_back(self) -> None:
        controls = controls_of(self.controller) if self.bench_moved else None
        self.bench_moved = False
        if controls is not None:
            try:
                controls.resume_scenario()
            except KeyError:      # the station is gone: nothing to give back
                pass

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

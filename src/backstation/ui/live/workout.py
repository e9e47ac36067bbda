"""The workout in the Live tab (workout.py's plan and walker): a bar that says
where the athlete is ("Inverted row · set 2 of 3 · 12 reps") and what to
cue, the start dialog with the next progression proposed, and the runner that
walks the plan as sets end.

Station exercises (rows, shrugs on the bar) advance when the station's set
ends: the runner chooses the exercise the judge uses and the set labels
(the row's level) before each one. Dumbbell exercises are logged by the
coach (reps, dumbbell mass); the bar paces them: a hold countdown for the
dumbbell shrug, a lift-and-lower-slowly tempo for the rear-delt flye, with
ticks. Between sets the counter's rest clock runs with the plan's rest.
Each athlete has their own place: another athlete stepping up between sets
continues theirs (or begins one at their proposed level).
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
    QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ...analysis import SetResult
from ...exercises import DUMBBELL_SHRUG, REAR_DELT_FLYE
from ...storage import Database, StorageError
from ...workout import (
    FLYE_LOWER_S, ROW_LEVELS, Level, Plan, Proposal, Step, Walker, article_workout,
    athlete_proposal,
)
from .. import theme
from ..acquisition import AcquisitionController
from .counter import FitLabel

PACE_TICK_MS = 100
# Narrower than this (px), the bar shows the place only; the cue is its tooltip.
CUE_SHOWN_WIDTH_PX = 1100
LIFT_S = 1.0                    # the flye's lift, before its slow lowering
NO_SESSION_TEXT = "Connect the station first: a workout's sets are kept with its session"


def athlete_key(name: str | None) -> str:
    return (name or "").strip().casefold()


class Pacer(QObject):
    """A hold countdown, or a lift-and-lower tempo, in whole seconds:
    ``shown`` the text to show ("HOLD 2", "LOWER 3", "LIFT"), ``cue`` a
    sound (a tick each second, "hold_done" at a hold's end), ``rep_done``
    once per hold held or lift-and-lower done."""

    shown = Signal(str)
    cue = Signal(str)
    rep_done = Signal()

    def __init__(self, parent: QObject | None = None, clock=time.monotonic):
        super().__init__(parent)
        self._clock = clock
        self._timer = QTimer(self)
        self._timer.setInterval(PACE_TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._mode: str | None = None
        self._since = 0.0
        self._length_s = 0.0
        self._last_whole: int | None = None

    @property
    def running(self) -> str | None:
        """"hold", "tempo", or None."""
        return self._mode

    def hold(self, seconds: float) -> None:
        self._start("hold", seconds)

    def tempo(self, lower_s: float = FLYE_LOWER_S) -> None:
        self._start("tempo", lower_s)

    def stop(self) -> None:
        self._mode = None
        self._timer.stop()
        self.shown.emit("")

    def _start(self, mode: str, seconds: float) -> None:
        self._mode, self._length_s = mode, float(seconds)
        self._since = self._clock()
        self._last_whole = None
        self._timer.start()
        self._tick()

    def _tick(self) -> None:
        elapsed = self._clock() - self._since
        if self._mode == "hold":
            left = self._length_s - elapsed
            if left <= 0:
                self._mode = None
                self._timer.stop()
                self.shown.emit("HOLD DONE")
                self.cue.emit("hold_done")
                self.rep_done.emit()
                return
            self._say(math.ceil(left), f"HOLD {math.ceil(left)}")
        elif self._mode == "tempo":
            cycle = LIFT_S + self._length_s
            if elapsed >= cycle:
                self._since += cycle
                self.rep_done.emit()
                elapsed -= cycle
            if elapsed < LIFT_S:
                self._say(-1, "LIFT")
            else:
                left = math.ceil(self._length_s - (elapsed - LIFT_S))
                self._say(left, f"LOWER {left}")

    def _say(self, whole: int, text: str) -> None:
        if whole != self._last_whole:
            self._last_whole = whole
            self.shown.emit(text)
            self.cue.emit("tick")


class WorkoutRunner(QObject):
    """Walks a plan for each athlete as their sets end or are logged."""

    changed = Signal()            # the place (or the workout itself) changed
    cue = Signal(str)             # a sound cue (ui/audio.py CUE_TONES)

    def __init__(self, controller: AcquisitionController, parent: QObject | None = None):
        super().__init__(parent)
        self.controller = controller
        self._walkers: dict[str, Walker] = {}
        self._dumbbell_shrugs = False
        self.active = False
        self.db_path: Path | None = None
        self.apply_labels = lambda level: None     # the set controls show a row level
        self.show_exercise = lambda exercise: None  # ... and the exercise judged

    @property
    def walker(self) -> Walker | None:
        if not self.active:
            return None
        return self._walkers.get(self._athlete())

    @property
    def step(self) -> Step | None:
        walker = self.walker
        return None if walker is None else walker.step

    def _athlete(self) -> str:
        session = self.controller.session
        return athlete_key(None if session is None else session.athlete)

    def start(self, plan: Plan, *, dumbbell_shrugs: bool = False) -> str | None:
        """Walk ``plan`` for the athlete recording now; why not, or None."""
        if self.controller.session is None:
            return NO_SESSION_TEXT
        self._walkers = {self._athlete(): Walker(plan)}
        self._dumbbell_shrugs = dumbbell_shrugs
        self.active = True
        self._begin_step()
        return None

    def end(self) -> None:
        self.active = False
        self._walkers = {}
        self.changed.emit()

    def skip_step(self) -> None:
        walker = self.walker
        if walker is not None:
            walker.skip_step()
            self._begin_step()

    def set_ended(self, result: SetResult) -> int | None:
        """A station set ended: if it is the one due, the plan moves on;
        returns the plan's rest after it (s), or None if it was not the plan's."""
        walker, step = self.walker, self.step
        if walker is None or step is None or not step.judged:
            return None
        if result.exercise != step.exercise or not result.reps:
            return None
        rest = walker.set_done(result.valid_reps)
        self._begin_step()
        return rest

    def log_set(self, reps: int, load_kg: float | None) -> tuple[str | None, int]:
        """The coach logs the dumbbell set due: (why not or None, the rest after it)."""
        walker, step = self.walker, self.step
        if walker is None or step is None or step.judged:
            return "no dumbbell set is due", 0
        why = self.controller.log_set(step.exercise, reps, load_kg=load_kg, hold_s=step.hold_s)
        if why is not None:
            return why, 0
        rest = walker.set_done(reps)
        self._begin_step()
        return None, rest

    def _begin_step(self) -> None:
        """The station judges the step's exercise, and labels a row's sets with its level."""
        step = self.step
        if step is not None and step.judged:
            self.controller.set_exercise(step.exercise)
            self.show_exercise(step.exercise)
            if step.level is not None:
                self.apply_labels(step.level)
            else:
                self.controller.set_variant(None, None)
        self.changed.emit()

    def exercise_for(self, athlete: str | None) -> str | None:
        """The exercise ``athlete``'s next station set is, in this workout (their
        place, or the plan's start); None outside a workout or for a dumbbell set."""
        if not self.active:
            return None
        walker = self._walkers.get(athlete_key(athlete))
        step = walker.step if walker is not None else next(iter(self._plan().steps), None)
        return step.exercise if step is not None and step.judged else None

    def _plan(self) -> Plan:
        return next(iter(self._walkers.values())).plan

    def session_began(self) -> None:
        """A session began (connected, or another athlete stepped up): the
        athlete's place in the workout, or theirs begun at their proposed level;
        its exercise and labels set. Called last, after the live view's own."""
        if not self.active:
            return
        key = self._athlete()
        if key not in self._walkers:
            session = self.controller.session
            level = self.proposal(None if session is None else session.athlete).level
            self._walkers[key] = Walker(article_workout(level,
                                                        dumbbell_shrugs=self._dumbbell_shrugs))
        self._begin_step()

    def proposal(self, athlete: str | None) -> Proposal:
        """The next row level proposed for ``athlete`` from the stored sessions."""
        if athlete is None or self.db_path is None:
            return Proposal(ROW_LEVELS[0], "no athlete named: the first level")
        try:
            with Database(self.db_path, read_only=True) as db:
                return athlete_proposal(db, athlete)
        except (StorageError, ValueError) as exc:      # ValueError: a damaged stored date
            return Proposal(ROW_LEVELS[0], f"the sessions could not be read ({exc})")


class WorkoutBar(QWidget):
    """Over the live view while a workout runs: a row with the place (and
    the cue, where there is room), Skip and End; for a dumbbell set a second
    row with its pacing, reps, mass and Log button."""

    def __init__(self, runner: WorkoutRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = runner
        self.place = FitLabel(1.25)
        self.pace = QLabel()
        self.pace.setFont(theme.font(1.4, bold=True))
        self.pace.setStyleSheet(f"color: {theme.WARNING};")
        self.reps_box = QSpinBox()
        self.reps_box.setRange(0, 200)
        self.reps_box.setSuffix(" reps")
        self.load_box = QDoubleSpinBox()
        self.load_box.setRange(0, 100)
        self.load_box.setSingleStep(1.0)
        self.load_box.setDecimals(1)
        self.load_box.setSuffix(" kg")
        self.load_box.setSpecialValueText("kg?")
        self.load_box.setToolTip("the dumbbell's mass (each hand)")
        self.pace_button = QPushButton()
        self.log_button = QPushButton("Log set")
        self.log_button.setObjectName("primary")
        self.skip_button = QPushButton("Skip")
        self.skip_button.setToolTip("on to the next exercise")
        self.end_button = QPushButton("End")
        self.end_button.setToolTip("end the workout (the sets done are kept)")
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.place, 1)
        top.addWidget(self.skip_button)
        top.addWidget(self.end_button)
        logging = QHBoxLayout()
        logging.setContentsMargins(0, 0, 0, 0)
        logging.addWidget(self.pace, 1)
        for w in (self.reps_box, self.load_box, self.pace_button, self.log_button):
            logging.addWidget(w)
        self.log_row = QWidget()
        self.log_row.setLayout(logging)
        rows = QVBoxLayout(self)
        rows.setContentsMargins(0, 0, 0, 0)
        rows.setSpacing(2)
        rows.addLayout(top)
        rows.addWidget(self.log_row)
        self.pacer = Pacer(self)
        self.pacer.shown.connect(self.pace.setText)
        self.pacer.cue.connect(runner.cue)
        self.pacer.rep_done.connect(self._on_paced_rep)
        self.pace_button.clicked.connect(self._on_pace_clicked)
        self.skip_button.clicked.connect(runner.skip_step)
        self.end_button.clicked.connect(runner.end)
        runner.changed.connect(self.show_place)
        self._place: tuple[int, int, int] | None = None   # the walker and its set due shown
        self.hidden_by_rack = False          # rack mode: counter, curve and last rep only
        self.show_place()

    def show_place(self) -> None:
        walker, step = self.runner.walker, self.runner.step
        self.setVisible(walker is not None and not self.hidden_by_rack)
        if walker is None:
            self.pacer.stop()
            self._place = None
            return
        cue = f" — {step.cue}" if step is not None and step.cue else ""
        wide = self.width() >= CUE_SHOWN_WIDTH_PX
        session = self.runner.controller.session
        # Whose place: athletes take turns, and the Station box hides on a small screen.
        who = f"{session.athlete}: " if session is not None and session.athlete else ""
        self.place.setText(who + walker.place_text() + (cue if wide else ""))
        self.place.setToolTip(who + walker.place_text() + cue)
        logged = step is not None and not step.judged
        self.log_row.setVisible(logged)
        self.skip_button.setVisible(step is not None)
        self.end_button.setText("End" if step is not None else "Close")
        place = (id(walker), walker.step_index, walker.set_no)   # another athlete's: another
        if place != self._place:                 # a new set due: paced and counted anew
            self.pacer.stop()
            self.reps_box.setValue(0)
        self._place = place
        if logged:
            self.pace_button.setText("Hold" if step.exercise == DUMBBELL_SHRUG else "Tempo")
            self.pace_button.setToolTip(
                f"count down a {step.hold_s:g} s hold; each hold held counts a rep"
                if step.exercise == DUMBBELL_SHRUG else
                f"pace each rep: lift, then lower for {FLYE_LOWER_S:g} s (press again to stop)")

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        if self.runner.walker is not None:
            self.show_place()

    def _on_pace_clicked(self) -> None:
        step = self.runner.step
        if step is None:
            return
        if self.pacer.running == "tempo":
            self.pacer.stop()
        elif step.exercise == DUMBBELL_SHRUG:
            self.pacer.hold(step.hold_s or 0)
        elif step.exercise == REAR_DELT_FLYE:
            self.pacer.tempo()

    def _on_paced_rep(self) -> None:
        self.reps_box.setValue(self.reps_box.value() + 1)
        step = self.runner.step
        if (self.pacer.running == "tempo" and step is not None and step.reps is not None
                and self.reps_box.value() >= step.reps):
            self.pacer.stop()
            self.runner.cue.emit("hold_done")


class WorkoutDialog(QDialog):
    """Start the article's workout for the athlete recording: the row level
    proposed from their sessions (the coach may choose another), and the
    shrug on the bar or with dumbbells."""

    def __init__(self, runner: WorkoutRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Workout")
        self.runner = runner
        session = runner.controller.session
        athlete = None if session is None else session.athlete
        proposal = runner.proposal(athlete)
        self.athlete = QLabel(athlete or "no athlete named")
        self.why = QLabel(proposal.why)
        self.why.setWordWrap(True)
        self.why.setStyleSheet(f"color: {theme.MUTED};")
        self.level_box = QComboBox()
        for level in ROW_LEVELS:
            self.level_box.addItem(level.text)
        self.level_box.setCurrentIndex(ROW_LEVELS.index(proposal.level))
        self.shrug_box = QComboBox()
        self.shrug_box.addItem("on the bar (judged)", False)
        self.shrug_box.addItem("dumbbells on an incline bench (logged)", True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.start)
        buttons.rejected.connect(self.reject)
        self.problem = QLabel()
        self.problem.setStyleSheet(f"color: {theme.NO_REP};")
        form = QFormLayout()
        form.addRow("Athlete", self.athlete)
        form.addRow("Inverted rows", self.level_box)
        form.addRow("", self.why)
        form.addRow("Mid-back shrugs", self.shrug_box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)

    @property
    def level(self) -> Level:
        return ROW_LEVELS[self.level_box.currentIndex()]

    def start(self) -> None:
        dumbbells = bool(self.shrug_box.currentData())
        why = self.runner.start(article_workout(self.level, dumbbell_shrugs=dumbbells),
                                dumbbell_shrugs=dumbbells)
        if why is not None:
            self.problem.setText(why)
            return
        self.accept()

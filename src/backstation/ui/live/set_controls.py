"""The set's settings (the exercise judged, variant, added load, the target rest, the velocity loss
that says stop, a target force), the last set's RPE and note, and the manual
start/stop."""

from __future__ import annotations

from PySide6.QtCore import Signal

from ...exercises import DEFAULT_EXERCISE, JUDGED_EXERCISES, exercise_text
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLineEdit,
                               QPushButton, QSpinBox, QWidget)

VARIANTS = (("heels-floor", "Heels on floor"), ("heels-bench", "Heels on bench"))
DEFAULT_REST_S = 120        # the target rest between sets (0: none)
MAX_REST_S = 600
DEFAULT_STOP_LOSS_PCT = 20  # velocity loss within a set that says stop (0: none)
MAX_TARGET_PCT_BM = 300     # a target force line, % body mass (0: none)
RPE_MIN = 1.0               # the scale's bottom: under it the box says "–", no RPE


def _spin(top: int, step: int, suffix: str, none_text: str, value: int, tip: str) -> QSpinBox:
    """A whole-number setting from 0 (shown as ``none_text``: off) to ``top``."""
    box = QSpinBox()
    box.setRange(0, top)
    box.setSingleStep(step)
    box.setSuffix(suffix)
    box.setSpecialValueText(none_text)
    box.setValue(value)
    box.setToolTip(tip)
    return box


class SetControls(QWidget):
    exercise_changed = Signal(str)             # the exercise of the sets from now on
    variant_changed = Signal(object, object)   # variant, added_load_kg (None when 0)
    start_stop_requested = Signal()
    rest_changed = Signal(int)                 # the target rest, s (0: none)
    stop_loss_changed = Signal(int)            # the velocity loss that says stop, % (0: none)
    target_changed = Signal(int)               # the target force, % body mass (0: none)
    best_target_toggled = Signal(bool)         # the target: the athlete's previous best peak
    note_requested = Signal(object, object)    # the last set's RPE (None: none), its note

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.exercise_box = QComboBox()
        for exercise in JUDGED_EXERCISES:
            self.exercise_box.addItem(exercise_text(exercise), exercise)
        self.exercise_box.setCurrentIndex(JUDGED_EXERCISES.index(DEFAULT_EXERCISE))
        self.exercise_box.setToolTip("what the station judges in the sets from now on")
        self.variant_box = QComboBox()
        for key, text in VARIANTS:
            self.variant_box.addItem(text, key)
        self.load_box = QDoubleSpinBox()
        self.load_box.setRange(0, 200)
        self.load_box.setSingleStep(2.5)
        self.load_box.setDecimals(1)
        self.load_box.setSuffix(" kg")
        self.rest_box = _spin(MAX_REST_S, 15, " s", "no target", DEFAULT_REST_S,
                              "the rest between sets: the counter shows it, and says when it "
                              "is up")
        self.stop_loss_box = _spin(60, 5, " %", "never", DEFAULT_STOP_LOSS_PCT,
                                   "stop the set when its velocity has fallen this far from its "
                                   "best rep: the counter says STOP")
        self.target_box = _spin(MAX_TARGET_PCT_BM, 5, " % BM", "none", 0,
                                "a target force, in % of body mass: a line on the force plot "
                                "(with the athlete's body mass entered)")
        # After a set: the athlete's RPE and the coach's note, for the set just ended.
        self.rpe_box = QDoubleSpinBox()
        self.rpe_box.setRange(0, 10)
        self.rpe_box.setSingleStep(1.0)       # 8.5 may be typed
        self.rpe_box.setDecimals(1)
        self.rpe_box.setSpecialValueText("–")
        self.rpe_box.setToolTip("the athlete's rating of the set just ended, 1-10")
        self.note_edit = QLineEdit()
        self.note_edit.setPlaceholderText("note on the set just ended")
        self.note_button = QPushButton("Save for last set")
        self.start_stop = QPushButton("Start set (Space)")
        self.start_stop.setObjectName("primary")
        self.start_stop.setToolTip("sets also start and end by themselves when the bar takes load")
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Exercise", self.exercise_box)
        form.addRow("Variant", self.variant_box)
        form.addRow("Added load", self.load_box)
        form.addRow("Rest", self.rest_box)
        form.addRow("Stop at loss", self.stop_loss_box)
        self.best_button = QPushButton("Best")
        self.best_button.setCheckable(True)
        self.best_button.setToolTip("the target line at the athlete's best peak force so far "
                                    "(their inverted rows on this station)")
        target = QHBoxLayout()
        target.setContentsMargins(0, 0, 0, 0)
        target.addWidget(self.target_box, 1)
        target.addWidget(self.best_button)
        form.addRow("Target", target)
        form.addRow("RPE", self.rpe_box)
        form.addRow("Note", self.note_edit)
        form.addRow(self.note_button)
        form.addRow(self.start_stop)
        self.exercise_box.activated.connect(lambda _i: self.exercise_changed.emit(self.exercise))
        self.variant_box.currentIndexChanged.connect(self._on_changed)
        self.load_box.valueChanged.connect(self._on_changed)
        self.start_stop.clicked.connect(self.start_stop_requested)
        self.rest_box.valueChanged.connect(self.rest_changed)
        self.stop_loss_box.valueChanged.connect(self.stop_loss_changed)
        self.target_box.valueChanged.connect(self.target_changed)
        self.best_button.toggled.connect(self._on_best_toggled)
        self.note_button.clicked.connect(self._on_note_clicked)
        self.set_open(False)

    @property
    def exercise(self) -> str:
        return self.exercise_box.currentData()

    def show_exercise(self, exercise: str) -> None:
        """Show the exercise judged now (no ``exercise_changed``)."""
        index = self.exercise_box.findData(exercise)
        if index >= 0:
            self.exercise_box.setCurrentIndex(index)

    @property
    def variant(self) -> str:
        return self.variant_box.currentData()

    @property
    def rest_s(self) -> int:
        return self.rest_box.value()

    @property
    def stop_loss_pct(self) -> int:
        return self.stop_loss_box.value()

    @property
    def added_load_kg(self) -> float | None:
        return self.load_box.value() or None

    def show_labels(self, variant: str, added_load_kg: float | None) -> None:
        """Show these set labels, as if the coach had chosen them (``variant_changed``)."""
        index = self.variant_box.findData(variant)
        self.variant_box.blockSignals(True)
        self.load_box.blockSignals(True)
        if index >= 0:
            self.variant_box.setCurrentIndex(index)
        self.load_box.setValue(added_load_kg or 0.0)
        self.variant_box.blockSignals(False)
        self.load_box.blockSignals(False)
        self._on_changed()

    def set_open(self, is_open: bool) -> None:
        self.start_stop.setText("End set (Space)" if is_open else "Start set (Space)")

    def _on_best_toggled(self, on: bool) -> None:
        self.target_box.setEnabled(not on)      # one target line at a time
        self.best_target_toggled.emit(on)

    def _on_note_clicked(self) -> None:
        rpe = self.rpe_box.value()
        self.note_requested.emit(rpe if rpe >= RPE_MIN else None, self.note_edit.text() or None)

    def clear_note(self) -> None:
        """Ready for the next set's RPE and note."""
        self.rpe_box.setValue(0)
        self.note_edit.clear()

    def _on_changed(self, *_args) -> None:
        self.variant_changed.emit(self.variant, self.added_load_kg)

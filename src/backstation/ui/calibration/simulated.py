"""``BenchRow``: what a person beside a simulated station would do, as
buttons on a calibration page (hang the known mass, clear the bar, the
athlete's touch). Shown only while the controller's station is simulated
(``AcquisitionController.simulated_station``); each button runs its move on
the station's ``StationControls`` (``device/sim/controls.py``).
"""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

SIMULATED_TITLE = "Simulated station:"


def controls_of(controller: QObject):
    """The simulated station's controls, or None (a real station, none, or a
    controller that cannot say)."""
    simulated = getattr(controller, "simulated_station", None)
    return simulated() if callable(simulated) else None


class BenchRow(QWidget):
    """One row: a title and a button per move. A move is ``action(controls)``
    returning None, or a sentence saying why it could not be done."""

    moved = Signal(str)          # the button's text, once its move was made

    def __init__(self, controller: QObject, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.buttons: dict[str, QPushButton] = {}
        self.problem = QLabel(self)
        self.problem.setObjectName("warning")
        self.problem.setWordWrap(True)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        # No title beside the buttons: with the readings on the same line the page
        # fits an 800x480 screen only so; each button says in its tooltip whose it is.
        self._layout.addWidget(self.problem, 1)
        self.setVisible(False)

    def add_move(self, text: str, action: Callable[[object], str | None]) -> QPushButton:
        button = QPushButton(text, self)
        button.setToolTip(f"{SIMULATED_TITLE} {text.lower()}")
        button.clicked.connect(lambda _=False: self._run(text, action))
        self._layout.insertWidget(self._layout.count() - 1, button)
        self.buttons[text] = button
        return button

    def refresh(self) -> None:
        """Shown while the station is simulated."""
        self.setVisible(controls_of(self.controller) is not None)

    def _run(self, text: str, action: Callable[[object], str | None]) -> None:
        controls = controls_of(self.controller)
        if controls is None:
            self.problem.setText("the station is no longer simulated")
            return
        try:
            why_not = action(controls)
        except (KeyError, ValueError) as exc:     # the station is gone, or a bad mass
            why_not = str(exc.args[0] if exc.args else exc)
        self.problem.setText(why_not or "")
        if why_not is None:
            self.moved.emit(text)

"""The station's health across the live view (a ``StationHealth`` view): one
line per sensor that does not answer, in the owner's words
(``protocol/sentences.py``), large enough to read from 2 m. It stays until the
station says otherwise (a new HELLO without it, the sensor's data again) and
hides when every sensor answers, or when no station is connected."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from ...protocol.health import StationHealth
from .. import theme

MARK = "⚠ "


class StationHealthView(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("stationHealth")
        self.setFont(theme.font(1.6, bold=True))
        self.setAlignment(Qt.AlignCenter)
        self.setWordWrap(True)
        self.hide()

    def show_health(self, health: StationHealth) -> None:
        problems = health.problems
        if not problems:
            self.clear_health()
            return
        self.setText("\n".join(MARK + p for p in problems))
        self.show()

    def clear_health(self) -> None:
        self.setText("")
        self.hide()

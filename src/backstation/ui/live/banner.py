"""A non-modal banner across the top of the live view (an unplug, a disk
problem): shown and hidden by events, never a dialog on an I/O error path.
``ActionBanner`` is one with a button that offers the remedy."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from .. import theme


class Banner(QLabel):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("banner")
        self.setFont(theme.font(1.5, bold=True))
        self.setAlignment(Qt.AlignCenter)
        self.setWordWrap(True)
        self.hide()

    def show_message(self, text: str, kind: str = "warning") -> None:
        self.setProperty("kind", kind)
        self.style().unpolish(self)
        self.style().polish(self)
        self.setText(text)
        self.show()


class ActionBanner(QWidget):
    """A banner with one button beside it, for a message that offers its own
    remedy (the simulated scenario has ended: restart it). ``action_clicked``
    when the button is pressed; the banner hides itself then."""

    action_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = Banner(self)
        self.label.show()
        self.button = QPushButton(self)
        self.button.setFont(theme.font(1.3, bold=True))
        self.button.setFocusPolicy(Qt.NoFocus)
        theme.make_touchable(self.button)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.button.clicked.connect(self._on_button_clicked)
        self.hide()

    def text(self) -> str:
        return self.label.text()

    def show_message(self, text: str, action_text: str, kind: str = "warning") -> None:
        self.label.show_message(text, kind)
        self.button.setText(action_text)
        self.show()

    def _on_button_clicked(self) -> None:
        self.hide()
        self.action_clicked.emit()

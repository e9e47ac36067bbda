"""``Toast``: what an action did, said where the coach is looking.

A short message (tare done, session saved, a request refused) floats over
the bottom of the window, above whichever tab is shown, for a few seconds;
a newer one replaces it. It is a child of the window, not of the status
bar, so it always has the window's width to show itself in. The words for a
station command's outcome live here (``command_done_text``,
``command_failed_text``).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer
from PySide6.QtWidgets import QLabel, QWidget

from . import theme

TOAST_MS = 6000
ERROR_TOAST_MS = 10000          # a refusal stays long enough to be read from the rack
MARGIN_PX = 12
MAX_WIDTH_FRACTION = 0.9

# What a person calls each command of AcquisitionController (its name argument).
COMMAND_TEXT = {"tare": "Tare", "rate": "Sample rate change", "calibrate": "Calibration"}


def command_done_text(name: str) -> str:
    return f"{COMMAND_TEXT.get(name, name)} done"


def command_failed_text(name: str, message: str) -> str:
    """ "Tare refused: unstable (…)", the station's "TARE failed: " not said twice."""
    said = f"{name.upper()} failed: "
    if message.upper().startswith(said.upper()):
        message = message[len(said):]
    return f"{COMMAND_TEXT.get(name, name)} refused: {message}"


class Toast(QLabel):
    """A message over the bottom of ``host`` (the main window), shown for a
    few seconds; ``kind`` is "info" or "error" (the stylesheet's colours)."""

    def __init__(self, host: QWidget):
        super().__init__(host)
        self.setObjectName("toast")
        self.setFont(theme.font(1.3, bold=True))
        self.setAlignment(Qt.AlignCenter)
        self.setWordWrap(True)
        self.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        self._apply_kind("info")
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.hide)
        host.installEventFilter(self)
        self.hide()

    def show_message(self, text: str, kind: str = "info") -> None:
        self._apply_kind(kind)
        self.setText(text)
        self._place()
        self.show()
        self.raise_()
        self._timer.start(ERROR_TOAST_MS if kind == "error" else TOAST_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.parent() and event.type() == QEvent.Resize and self.isVisible():
            self._place()
        return False

    def _apply_kind(self, kind: str) -> None:
        background = theme.TOAST_ERROR if kind == "error" else theme.TOAST_INFO
        self.setStyleSheet(f"QLabel#toast {{ background: {background}; color: white; "
                           f"border: 1px solid {theme.MUTED}; border-radius: 8px; "
                           f"padding: 0.5em 1em; }}")

    def _place(self) -> None:
        host = self.parentWidget()
        max_w = max(1, int(host.width() * MAX_WIDTH_FRACTION))
        self.setMaximumWidth(max_w)
        width = min(max_w, self.sizeHint().width())
        height = max(self.heightForWidth(width), self.sizeHint().height())
        bottom = host.height() - MARGIN_PX
        status = getattr(host, "statusBar", None)
        if callable(status) and status().isVisible():
            bottom -= status().height()
        self.setGeometry((host.width() - width) // 2, max(0, bottom - height), width, height)

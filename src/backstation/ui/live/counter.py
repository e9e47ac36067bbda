"""What a lifter reads from two metres: the valid-rep count, the no-reps, a
no-rep's reason shown large for a moment, and the last rep's numbers."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from ...analysis import Rep
from .. import theme
from .rep_table import REASON_TEXT

FLASH_MS = 2000


class RepCounterView(QWidget):
    """Valid reps huge; no-reps under them; a no-rep flashes its reason."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.valid_reps = 0
        self.no_reps = 0
        self._title = QLabel("VALID REPS")
        self._title.setFont(theme.font(1.2, bold=True))
        self._title.setStyleSheet(f"color: {theme.MUTED};")
        self._count = QLabel("0")
        self._count.setFont(theme.font(7.0, bold=True))
        self._count.setStyleSheet(f"color: {theme.VALID};")
        self._no_reps = QLabel()
        self._no_reps.setFont(theme.font(1.8, bold=True))
        self._flash = QLabel(" ")
        self._flash.setFont(theme.font(2.4, bold=True))
        self._reason = QLabel(" ")          # its own line, so the layout never jumps
        self._reason.setFont(theme.font(2.0, bold=True))
        self._set_label = QLabel("waiting for a set")
        self._set_label.setFont(theme.font(1.3))
        self._set_label.setStyleSheet(f"color: {theme.MUTED};")
        for label in (self._title, self._count, self._no_reps, self._flash, self._reason,
                      self._set_label):
            label.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._set_label)
        layout.addWidget(self._title)
        layout.addWidget(self._count, 1)
        layout.addWidget(self._no_reps)
        layout.addWidget(self._flash)
        layout.addWidget(self._reason)
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._on_flash_expired)
        self._show_counts()

    @property
    def flash_text(self) -> str:
        return f"{self._flash.text()} {self._reason.text()}".strip()

    @property
    def set_text(self) -> str:
        return self._set_label.text()

    @property
    def count_text(self) -> str:
        return self._count.text()

    def start_set(self, set_index: int, manual: bool = False) -> None:
        self.valid_reps = 0
        self.no_reps = 0
        self._set_label.setText(f"SET {set_index}" + (" (manual)" if manual else ""))
        self._set_label.setStyleSheet(f"color: {theme.TEXT};")
        self._on_flash_expired()
        self._show_counts()

    def end_set(self, set_index: int) -> None:
        self._set_label.setText(f"set {set_index} done · rest")
        self._set_label.setStyleSheet(f"color: {theme.MUTED};")

    def add_rep(self, rep: Rep) -> None:
        if rep.valid:
            self.valid_reps += 1
            self._flash.setText("✓ GOOD REP")
            self._flash.setStyleSheet(f"color: {theme.VALID};")
            self._reason.setText(" ")
        else:
            self.no_reps += 1
            reason = REASON_TEXT.get(rep.reason or "", rep.reason or "contact unknown")
            self._flash.setText("✗ NO REP")
            self._flash.setStyleSheet(f"color: {theme.NO_REP};")
            self._reason.setText(reason.upper())
            self._reason.setStyleSheet(f"color: {theme.NO_REP};")
        self._flash_timer.start()
        self._show_counts()

    def _show_counts(self) -> None:
        self._count.setText(str(self.valid_reps))
        self._no_reps.setText(f"no-reps: {self.no_reps}")
        self._no_reps.setStyleSheet(f"color: {theme.NO_REP if self.no_reps else theme.MUTED};")

    def _on_flash_expired(self) -> None:
        self._flash.setText(" ")
        self._reason.setText(" ")


class LastRepView(QWidget):
    """The last rep's metrics, big enough to read between reps."""

    FIELDS = [
        ("peak", "Peak force"), ("pct", "% body mass"), ("asym", "Left/right"),
        ("rom", "Range"), ("vel", "Pull speed"), ("hold", "Squeeze"),
    ]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self._values: dict[str, QLabel] = {}
        for i, (key, title) in enumerate(self.FIELDS):
            name = QLabel(title)
            name.setStyleSheet(f"color: {theme.MUTED};")
            value = QLabel("–")
            value.setFont(theme.font(1.7, bold=True))
            grid.addWidget(name, (i // 2) * 2, i % 2)
            grid.addWidget(value, (i // 2) * 2 + 1, i % 2)
            self._values[key] = value

    def value_text(self, key: str) -> str:
        return self._values[key].text()

    def show_rep(self, rep: Rep) -> None:
        def f(v, fmt):
            return "–" if v is None else fmt.format(v)
        asym = rep.asymmetry_pct
        side = "" if asym is None or abs(asym) < 0.5 else (" L" if asym > 0 else " R")
        self._values["peak"].setText(f(rep.peak_force_n, "{:.0f} N"))
        self._values["pct"].setText(f(rep.peak_force_pct_bm, "{:.0f} %"))
        self._values["asym"].setText(f(None if asym is None else abs(asym), "{:.1f} %") + side)
        self._values["rom"].setText(f(rep.rom_mm, "{:.0f} mm"))
        self._values["vel"].setText(f(rep.mean_concentric_velocity_m_s, "{:.2f} m/s"))
        self._values["hold"].setText(f(rep.top_hold_s, "{:.1f} s"))

    def clear(self) -> None:
        for value in self._values.values():
            value.setText("–")

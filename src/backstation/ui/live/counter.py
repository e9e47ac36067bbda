"""What a lifter reads from two metres: the valid-rep count, the no-reps, a
no-rep's reason shown large for a moment, and the last rep's numbers."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...analysis import Rep
from .. import theme
from ...vocabulary import metric_name, verdict_label

FLASH_MS = 2000
LAST_REP_COLUMNS = 3        # 3 x 2 rather than 2 x 3: one row less, more room for the table


class FitLabel(QLabel):
    """One line of large text that shrinks its font to fit the width instead
    of being cut off ("✗ SENSOR DROPOUT" on a narrow screen)."""

    def __init__(self, scale: float, parent: QWidget | None = None):
        super().__init__(" ", parent)
        self._full_font = theme.font(scale, bold=True)
        self.setFont(self._full_font)
        # Height from the full font, so a shrunk text never makes the layout jump.
        self.setMinimumHeight(QFontMetrics(self._full_font).height())
        self.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Fixed)

    def setText(self, text: str) -> None:  # noqa: N802 - Qt API
        super().setText(text)
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        f = self.font()
        f.setPointSize(self._full_font.pointSize())
        room_px = max(self.width() - 8, 40)
        while f.pointSize() > 10 and QFontMetrics(f).horizontalAdvance(self.text()) > room_px:
            f.setPointSize(f.pointSize() - 1)
        if f != self.font():
            self.setFont(f)


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
        self._count.setFont(theme.font(6.0, bold=True))
        self._count.setStyleSheet(f"color: {theme.VALID};")
        self._no_reps = QLabel()
        self._no_reps.setFont(theme.font(1.6, bold=True))
        # A no-rep's reason is the verdict ("✗ CHEST DID NOT TOUCH"): one line, the
        # red and the cross say "no rep" already.
        self._flash = FitLabel(2.2)
        self._set_label = QLabel("waiting for a set")
        self._set_label.setFont(theme.font(1.3))
        self._set_label.setStyleSheet(f"color: {theme.MUTED};")
        for label in (self._title, self._count, self._no_reps, self._flash, self._set_label):
            label.setAlignment(Qt.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._set_label)
        layout.addWidget(self._title)
        layout.setSpacing(2)
        layout.addWidget(self._count)
        layout.addWidget(self._no_reps)
        layout.addWidget(self._flash)
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._on_flash_expired)
        self._show_counts()

    @property
    def flash_text(self) -> str:
        return self._flash.text().strip()

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
            self._flash.setStyleSheet(f"color: {theme.VALID};")
        else:
            self.no_reps += 1
            self._flash.setStyleSheet(f"color: {theme.NO_REP};")
        self._flash.setText(verdict_label(rep.valid, rep.reason).upper())
        self._flash_timer.start()
        self._show_counts()

    def _show_counts(self) -> None:
        self._count.setText(str(self.valid_reps))
        self._no_reps.setText(f"no-reps: {self.no_reps}")
        self._no_reps.setStyleSheet(f"color: {theme.NO_REP if self.no_reps else theme.MUTED};")

    def _on_flash_expired(self) -> None:
        self._flash.setText(" ")


class LastRepView(QWidget):
    """The last rep's metrics, big enough to read between reps."""

    FIELDS = [(key, metric_name(metric)) for key, metric in (
        ("peak", "peak_force_n"), ("pct", "peak_force_pct_bm"), ("asym", "asymmetry_pct"),
        ("rom", "rom_mm"), ("vel", "mean_concentric_velocity_m_s"), ("hold", "top_hold_s"),
    )]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(1)
        grid.setHorizontalSpacing(18)
        self._values: dict[str, QLabel] = {}
        for i, (key, title) in enumerate(self.FIELDS):
            row, column = divmod(i, LAST_REP_COLUMNS)
            name = QLabel(title)
            name.setStyleSheet(f"color: {theme.MUTED};")
            value = QLabel("–")
            value.setFont(theme.font(1.5, bold=True))
            grid.addWidget(name, row * 2, column)
            grid.addWidget(value, row * 2 + 1, column)
            self._values[key] = value

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

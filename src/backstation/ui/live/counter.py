"""What a lifter reads from two metres: the valid-rep count, the no-reps, the
last rep's verdict (a no-rep's reason) shown large until the next rep, and
the last rep's numbers."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ...analysis import Rep
from ...verdicts import count_verdicts
from .. import theme
from ...vocabulary import (METRICS, MISSING_TEXT, NO_REPS_TEXT, VALID_REPS_TEXT, metric_name,
                           metric_text, value_text, verdict_label)

WAITING_TEXT = "waiting for a set"
REST_TICK_MS = 250          # the rest's clock is redrawn this often
REST_UP_TEXT = "REST UP · next set when ready"
# The count's size (x the theme's base font) by (rack mode, the view's height:
# "short" as 800x480, "medium" as a 768-800 px laptop, "tall"). Rack mode is
# read from two metres.
COUNT_SCALE = {(False, "tall"): 6.0, (False, "medium"): 4.6, (False, "short"): 3.4,
               (True, "tall"): 11.0, (True, "medium"): 9.0, (True, "short"): 8.0}
VALUE_SCALE = 1.5
RACK_VALUE_SCALE = 2.3
LAST_REP_COLUMNS = 3        # 3 x 2 rather than 2 x 3: one row less, more room for the table


class FitLabel(QLabel):
    """One line of large text that shrinks its font to fit the width instead
    of being cut off ("✗ SENSOR DROPOUT" on a narrow screen)."""

    def __init__(self, scale: float, parent: QWidget | None = None, bold: bool = True):
        super().__init__(" ", parent)
        self._full_font = theme.font(scale, bold=bold)
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


def rest_text(elapsed_s: float) -> str:
    """A rest's clock: "1:05"."""
    whole = int(elapsed_s)
    return f"{whole // 60}:{whole % 60:02d}"


class RepCounterView(QWidget):
    """Valid reps huge; no-reps under them; the last verdict (a no-rep's
    reason) stays until the next rep or the next set. Between sets, the rest
    since the last one ended, against the target rest: when it is up the line
    turns to ``REST_UP_TEXT`` and ``rest_over`` is emitted, once."""

    rest_over = Signal(int)          # the set the rest followed
    velocity_stop = Signal(int, float)   # the set, its velocity loss (%): past the stop line

    def __init__(self, parent: QWidget | None = None, clock=time.monotonic):
        super().__init__(parent)
        self._clock = clock
        self._rest: tuple[int, float, float] | None = None   # set, from (clock), target s
        self._rest_announced = False
        self._set_title = ""             # "SET 2 (manual)": the set line's start
        self._stop_announced = False     # this set's velocity loss passed the stop line
        self._rest_timer = QTimer(self)
        self._rest_timer.setInterval(REST_TICK_MS)
        self._rest_timer.timeout.connect(self._show_rest)
        self.set_index: int | None = None     # the set counted (None: none yet)
        self.valid_reps = 0
        self.no_reps = 0
        self._title = QLabel(VALID_REPS_TEXT.upper())
        self._title.setFont(theme.font(1.2, bold=True))
        self._title.setStyleSheet(f"color: {theme.MUTED};")
        self._count = QLabel("0")
        self._count.setFont(theme.font(COUNT_SCALE[False, "tall"], bold=True))
        self._count.setStyleSheet(f"color: {theme.VALID};")
        self._no_reps = QLabel()
        self._no_reps.setFont(theme.font(1.6, bold=True))
        # A no-rep's reason is the verdict ("✗ CHEST DID NOT TOUCH"): one line, the
        # red and the cross say "no rep" already.
        self._flash = FitLabel(2.2)
        # The set's line carries the rest's clock or the velocity loss: it shrinks to fit.
        self._set_label = FitLabel(1.3, bold=False)
        self._set_label.setText(WAITING_TEXT)
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
        self.stop_rest()
        self.set_index = set_index
        self.valid_reps = 0
        self.no_reps = 0
        self._set_title = f"SET {set_index}" + (" (manual)" if manual else "")
        self._stop_announced = False
        self._set_label.setText(self._set_title)
        self._set_label.setStyleSheet(f"color: {theme.TEXT};")
        self._clear_verdict()
        self._show_counts()

    def set_size(self, rack: bool, height: str) -> None:
        """The count's size for rack mode and the view's height (``COUNT_SCALE``)."""
        self._count.setFont(theme.font(COUNT_SCALE[rack, height], bold=True))
        # Short, the set's line and the green number say it.
        self._title.setVisible(height != "short")

    def reset(self) -> None:
        """A new session: nothing counted yet, no set."""
        self.stop_rest()
        self.set_index = None
        self.valid_reps = 0
        self.no_reps = 0
        self._set_label.setText(WAITING_TEXT)
        self._set_label.setStyleSheet(f"color: {theme.MUTED};")
        self._clear_verdict()
        self._show_counts()

    def show_velocity_loss(self, loss_pct: float | None, stop_pct: float) -> None:
        """The open set's velocity loss against its best rep (VBT practice: stop
        the set at a loss such as 20 %), on the set's line; past ``stop_pct``
        (0: no stop line) it says STOP, and ``velocity_stop`` is emitted once."""
        if self.set_index is None or self.resting or loss_pct is None:
            return
        past = bool(stop_pct) and loss_pct >= stop_pct
        loss = f"velocity loss {loss_pct:.0f} %"
        self._set_label.setText(f"{self._set_title} · " + (f"STOP: {loss}" if past else loss))
        self._set_label.setStyleSheet(f"color: {theme.NO_REP}; font-weight: bold;" if past
                                      else f"color: {theme.TEXT};")
        if past and not self._stop_announced:
            self._stop_announced = True
            self.velocity_stop.emit(self.set_index, float(loss_pct))

    def end_set(self, set_index: int, rest_target_s: float = 0.0) -> None:
        """The set ended: the rest's clock starts (``rest_target_s`` 0: no target)."""
        self._rest = (set_index, self._clock(), rest_target_s)
        self._rest_announced = False
        self._rest_timer.start()
        self._show_rest()

    def stop_rest(self) -> None:
        """No rest's clock any more (a set began, the session ended): a rest
        shown says only which set is done."""
        if self._rest is not None:
            self._set_label.setText(f"set {self._rest[0]} done")
            self._set_label.setStyleSheet(f"color: {theme.MUTED};")
        self._rest = None
        self._rest_timer.stop()

    @property
    def resting(self) -> bool:
        return self._rest is not None

    def _show_rest(self) -> None:
        if self._rest is None:
            return
        set_index, since, target_s = self._rest
        elapsed = self._clock() - since
        if target_s and elapsed >= target_s:
            self._set_label.setText(f"{REST_UP_TEXT} ({rest_text(elapsed)})")
            self._set_label.setStyleSheet(f"color: {theme.VALID}; font-weight: bold;")
            if not self._rest_announced:
                self._rest_announced = True
                self.rest_over.emit(set_index)
            return
        goal = f" of {rest_text(target_s)}" if target_s else ""
        self._set_label.setText(f"set {set_index} done · rest {rest_text(elapsed)}{goal}")
        self._set_label.setStyleSheet(f"color: {theme.MUTED};")

    def add_rep(self, rep: Rep) -> None:
        valid, no = count_verdicts([rep.valid])
        self.valid_reps += valid
        self.no_reps += no
        self._flash.setStyleSheet(f"color: {theme.VALID if rep.valid else theme.NO_REP};")
        self._flash.setText(verdict_label(rep.valid, rep.reason).upper())
        self._show_counts()

    def show_corrected(self, valid_reps: int, no_reps: int, verdict: str | None,
                       valid: bool | None) -> None:
        """The counted set's counts as a coach's correction left them, and
        ``verdict`` (the corrected rep's, ``valid`` its colour) as the last one
        shown; None: the rep was deleted, and no verdict is shown."""
        self.valid_reps, self.no_reps = valid_reps, no_reps
        if verdict is None:
            self._clear_verdict()
        else:
            self._flash.setStyleSheet(f"color: {theme.VALID if valid else theme.NO_REP};")
            self._flash.setText(verdict.upper())
        self._show_counts()

    def _show_counts(self) -> None:
        self._count.setText(str(self.valid_reps))
        self._no_reps.setText(f"{NO_REPS_TEXT}: {self.no_reps}")
        self._no_reps.setStyleSheet(f"color: {theme.NO_REP if self.no_reps else theme.MUTED};")

    def _clear_verdict(self) -> None:
        self._flash.setText(" ")


class LastRepView(QWidget):
    """The last rep's metrics, big enough to read between reps; in rack mode
    the three a lifter asks for, larger, in one row."""

    KEYS = ("peak_force_n", "peak_force_pct_bm", "asymmetry_pct",
            "rom_mm", "mean_concentric_velocity_m_s", "top_hold_s")
    RACK_KEYS = ("peak_force_n", "rom_mm", "mean_concentric_velocity_m_s")
    FIELDS = [(key, metric_name(key)) for key in KEYS]

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._grid = QGridLayout(self)
        self._grid.setContentsMargins(0, 0, 0, 0)
        self._grid.setVerticalSpacing(1)
        self._grid.setHorizontalSpacing(18)
        self._names: dict[str, QLabel] = {}
        self._values: dict[str, QLabel] = {}
        for key, title in self.FIELDS:
            name = QLabel(title)
            name.setStyleSheet(f"color: {theme.MUTED};")
            self._names[key] = name
            self._values[key] = QLabel(MISSING_TEXT)
        self._rep: Rep | None = None
        self._large = False
        self.set_large(False)

    def value_text(self, key: str) -> str:
        return self._values[key].text()

    def show_rep(self, rep: Rep) -> None:
        self._rep = rep
        for key, label in self._values.items():
            value = getattr(rep, key)
            # Large, the unit goes with the name: the numbers fit beside the curve.
            label.setText(value_text(key, value) if self._large else metric_text(key, value))

    def set_large(self, on: bool) -> None:
        self._large = on
        for key, name in self._names.items():
            name.setText(f"{metric_name(key)}, {METRICS[key].unit}" if on else metric_name(key))
        if self._rep is not None:
            self.show_rep(self._rep)
        keys = self.RACK_KEYS if on else self.KEYS
        columns = len(keys) if on else LAST_REP_COLUMNS
        for key in self.KEYS:
            for w in (self._names[key], self._values[key]):
                self._grid.removeWidget(w)
                w.setVisible(key in keys)
            self._values[key].setFont(theme.font(RACK_VALUE_SCALE if on else VALUE_SCALE,
                                                 bold=True))
        for i, key in enumerate(keys):
            row, column = divmod(i, columns)
            self._grid.addWidget(self._names[key], row * 2, column)
            self._grid.addWidget(self._values[key], row * 2 + 1, column)

    def clear(self) -> None:
        self._rep = None
        for value in self._values.values():
            value.setText(MISSING_TEXT)

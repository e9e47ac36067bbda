"""``SessionBuffersView``: the live plot of a ``SessionBuffers``.

Force (left, right, total; N or % body mass) above, the gap with the
athlete's contact band below, rep boundaries and contacts marked. Drawn as
pyqtgraph's scrolling-plot example does and docs/design.md §7 measured: items made
once, ``setData`` once per curve per frame with the visible slice only, and
x = t - t_anchor so the view range never moves (a moving range renders
twice). Paused, the anchor stops and a scroll bar moves it back over the
whole session while recording goes on.
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtWidgets import (
    QGraphicsItem, QHBoxLayout, QLabel, QScrollBar, QVBoxLayout, QWidget,
)

from ...defaults import DEFAULT_CONTACT_MM
from ...units import weight_n
from ...vocabulary import number_text
from .. import theme
from ..buffers import GrowingArray, SessionBuffers
from .decimate import decimation_factor, peak_decimate

WINDOWS_S = (10, 30, 60)
SCROLL_STEPS_PER_S = 10
MARKER_POOL = 64
LEGEND_ENTRY_PX = 45       # a legend entry beside its name: the line sample, the spacing, the frame
# The force axis never spans less than this from zero, so a bar at rest
# (±0.7 N of noise) reads as the quiet line it is, not a violent signal.
FORCE_MIN_SPAN = {"N": 100.0, "% BM": 20.0}
FORCE_FLOOR_FRACTION = 0.05
# The top of the force axis moves in these steps (fewer range changes, each a full repaint).
FORCE_STEP = {"N": 50.0, "% BM": 10.0}
# One-pixel (cosmetic) pens: Qt's raster engine draws them on its line fast
# path, wider ones through the stroker; the curves' share of a frame fell by
# about two thirds (docs/performance.md, the live view's CPU budget).
CURVE_PEN_PX = 1
# Rack mode's curve is read from 2 m: wide pens, at 1.3-3.5 ms a frame more
# (measured with the 3 / 2 px pens the plot had before).
RACK_PEN_PX = 3
READOUT_SCALE = 1.8        # the newest force's number, x the theme's base font
READOUT_WIDEST = "-0000 % BM"
LIVE_AXIS_LABEL = "seconds (0 = now)"
PAUSED_AXIS_LABEL = "session time, s"


class StreamState:
    """What the plot's state line says: the stream's state as it is."""
    LIVE = "live"
    PAUSED = "paused"
    CONNECTING = "connecting"
    IDLE = "idle"                  # connected, the station not streaming
    RECONNECTING = "reconnecting"
    DISCONNECTED = "disconnected"


STATE_TEXT = {
    StreamState.LIVE: ("● LIVE", theme.VALID),
    StreamState.PAUSED: ("❚❚ PAUSED (P resumes)", theme.WARNING),
    StreamState.CONNECTING: ("◌ CONNECTING…", theme.WARNING),
    StreamState.IDLE: ("● CONNECTED, NOT STREAMING", theme.WARNING),
    StreamState.RECONNECTING: ("◌ RECONNECTING…", theme.WARNING),
    StreamState.DISCONNECTED: ("○ DISCONNECTED", theme.NO_REP),
}


class _WindowCurve(pg.PlotCurveItem):
    """A curve whose bounds are its plot's view, set once a frame by the
    plot (``set_bounds``): what it draws outside the view is clipped by the
    view box anyway, and pyqtgraph's own bounds (the data's extremes and a
    pixel margin, recomputed after each ``setData``, asked for several times
    a paint) cost about as much as drawing the curve. ``view_bounds``
    False is the reference twin: pyqtgraph's bounds (the tests compare the
    pixels of both)."""

    def __init__(self, *args, **kwargs):
        self._bounds = QRectF()
        self.view_bounds = True
        super().__init__(*args, **kwargs)

    def set_bounds(self, rect: QRectF) -> None:
        if rect != self._bounds:
            self.prepareGeometryChange()
            self._bounds = rect

    def boundingRect(self) -> QRectF:     # noqa: N802 - Qt's name
        return self._bounds if self.view_bounds else super().boundingRect()


class SessionBuffersView(QWidget):
    paused_changed = Signal(bool)

    def __init__(self, buffers: SessionBuffers, parent: QWidget | None = None):
        super().__init__(parent)
        self._buffers = buffers
        self.window_s = 10
        self.percent_body_mass = False
        self.body_mass_kg: float | None = None
        self.contact_mm = DEFAULT_CONTACT_MM
        self.paused = False
        self.connection = StreamState.DISCONNECTED     # LIVE when samples stream
        self._anchor_s = 0.0
        self._force_range: tuple[float, float] | None = None
        self._dirty = True
        self._drawn_revision = -1

        pg.setConfigOptions(antialias=False, background=theme.BACKGROUND, foreground=theme.MUTED)
        self._canvas = pg.GraphicsLayoutWidget()
        self._force = self._canvas.addPlot(row=0, col=0)
        self._gap = self._canvas.addPlot(row=1, col=0)
        self._canvas.ci.layout.setRowStretchFactor(0, 3)
        self._canvas.ci.layout.setRowStretchFactor(1, 2)
        self._gap.setXLink(self._force)
        tick_font = theme.font(1.0)
        for plot in (self._force, self._gap):
            plot.setMouseEnabled(x=False, y=False)
            plot.hideButtons()
            plot.setMenuEnabled(False)
            plot.showGrid(x=True, y=True, alpha=0.18)
            plot.disableAutoRange(axis="x")
            for name in ("left", "bottom"):
                plot.getAxis(name).setTickFont(tick_font)
                plot.getAxis(name).enableAutoSIPrefix(False)    # never "force N (x0.001)"
        # On a dimmed panel, in one row where the plot is wide enough for it: a
        # column of three names over the newest seconds hid the curves on a
        # small screen (``_fit_legend``).
        legend = self._force.addLegend(offset=(8, 4), labelTextSize=f"{theme.point_size(1.0)}pt",
                                       brush=pg.mkBrush(theme.BACKGROUND + "c8"))
        self._force.vb.sigResized.connect(self._fit_legend)
        # Every frame repaints the whole plot area; the axes (whose grid lines
        # span it) and the legend would re-lay out their text each time: cached
        # as pixmaps they are redrawn only when their ticks change (half the
        # frame's cost at 80 Hz).
        for item in (legend, *(plot.getAxis(name) for plot in (self._force, self._gap)
                               for name in ("left", "bottom"))):
            item.setCacheMode(QGraphicsItem.DeviceCoordinateCache)
        self._force.disableAutoRange(axis="y")
        self._gap.setLabel("bottom", LIVE_AXIS_LABEL)
        self._gap.setLabel("left", "gap mm")
        self._gap.setYRange(0, 700, padding=0)
        self._gap.disableAutoRange(axis="y")
        self._gap.invertY(False)

        # Bare PlotCurveItems, fed the window's slice (peak-decimated when
        # long, decimate.py): a PlotDataItem's setData bookkeeping was a third
        # of a frame's refresh.
        self._curves = {
            "total": _WindowCurve(name="total", pen=pg.mkPen(theme.TOTAL, width=CURVE_PEN_PX)),
            "left": _WindowCurve(name="left", pen=pg.mkPen(theme.LEFT, width=CURVE_PEN_PX)),
            "right": _WindowCurve(name="right", pen=pg.mkPen(theme.RIGHT, width=CURVE_PEN_PX,
                                                              style=Qt.DashLine)),
        }
        for curve in self._curves.values():
            self._force.addItem(curve)
        self._gap_curve = _WindowCurve(pen=pg.mkPen(theme.GAP, width=CURVE_PEN_PX),
                                       connect="finite")
        self._gap.addItem(self._gap_curve)
        self._band = pg.LinearRegionItem((0, self.contact_mm), orientation="horizontal",
                                         movable=False, brush=pg.mkBrush(*theme.CONTACT_BAND),
                                         pen=pg.mkPen(theme.GAP, width=1))
        self._gap.addItem(self._band)
        self._contacts = pg.ScatterPlotItem(size=14, symbol="t1", brush=pg.mkBrush(theme.VALID),
                                            pen=pg.mkPen(None))
        self._gap.addItem(self._contacts)
        self._markers = {plot: [self._new_marker(plot) for _ in range(MARKER_POOL)]
                         for plot in (self._force, self._gap)}
        self._marker_styles: dict[object, list] = {plot: [None] * MARKER_POOL
                                                   for plot in self._markers}
        self._pens = {"start": pg.mkPen(theme.MUTED, width=1, style=Qt.DotLine),
                      True: pg.mkPen(theme.VALID, width=2, style=Qt.SolidLine),
                      False: pg.mkPen(theme.NO_REP, width=2, style=Qt.DashLine)}
        # The set's target force as a line: a % of body mass (``set_target_pct_bm``)
        # or a force in newtons, the athlete's previous best (``set_target_n``).
        self.target_pct_bm = 0.0
        self.target_n: float | None = None
        self._target = pg.InfiniteLine(
            angle=0, movable=False, pen=pg.mkPen(theme.VALID, width=2, style=Qt.DashLine),
            label="target", labelOpts={"position": 0.02, "color": theme.VALID,
                                       "anchors": [(0, 1), (0, 1)]})
        self._force.addItem(self._target, ignoreBounds=True)
        self._target.hide()
        self._set_units_label()
        self._apply_window()
        self._fit_force_axis(0.0, 0.0)

        self._state = QLabel()
        self._state.setFont(theme.font(1.1, bold=True))
        # The newest total force, large, under the plot (read from the rack; over
        # the plot it would hide the newest samples or the legend).
        self._readout = QLabel()
        self._readout.setFont(theme.font(READOUT_SCALE, bold=True))
        self._readout.setStyleSheet(f"color: {theme.TOTAL};")
        # As wide as its widest number: the scroll bar beside it never jitters.
        self._readout.setMinimumWidth(self._readout.fontMetrics().horizontalAdvance(
            READOUT_WIDEST))
        self._scroll = QScrollBar(Qt.Horizontal)
        self._scroll.setRange(0, 0)
        self._scroll.setToolTip("paused: drag to look back over the whole session")
        self._scroll.valueChanged.connect(self._on_scrolled)
        self._scroll.sliderPressed.connect(self.pause)
        bottom = QHBoxLayout()
        bottom.addWidget(self._state)
        bottom.addWidget(self._readout)
        bottom.addWidget(self._scroll, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._canvas, 1)
        layout.addLayout(bottom)
        self._show_state()

    # -- settings --------------------------------------------------------------

    def set_buffers(self, buffers: SessionBuffers) -> None:
        self._buffers = buffers
        self._readout.clear()          # the last session's number is not this one's
        self.resume()
        self._dirty = True

    def _fit_legend(self) -> None:
        """The force legend in one row if it fits the plot's width, else in a column."""
        legend, width = self._force.legend, self._force.vb.boundingRect().width()
        one_row = sum(label.boundingRect().width() + LEGEND_ENTRY_PX for _, label in legend.items)
        columns = len(legend.items) if one_row <= 0.9 * width else 1
        if legend.columnCount != columns:
            legend.setColumnCount(columns)

    def set_window(self, seconds: int) -> None:
        self.window_s = seconds
        self._apply_window()
        self._dirty = True
        self.refresh()

    def set_percent_body_mass(self, on: bool) -> None:
        self.percent_body_mass = on and bool(self.body_mass_kg)
        self._set_units_label()
        self._place_target()
        self._dirty = True
        self.refresh()

    def set_target_pct_bm(self, pct: float) -> None:
        """A target force as a line, in % of body mass (0: none; none either
        without a body mass to take it of)."""
        self.target_pct_bm = float(pct)
        self._place_target()
        self._dirty = True
        self.refresh()

    def set_target_n(self, newtons: float | None) -> None:
        """The athlete's previous best peak as the target line (None: the % body
        mass target, if any, again)."""
        self.target_n = None if newtons is None or not newtons > 0 else float(newtons)
        self._place_target()
        self._dirty = True
        self.refresh()

    def _place_target(self) -> None:
        y = self.target_y
        self._target.setVisible(y is not None)
        if y is not None:
            self._target.setValue(y)
            self._target.label.setFormat(
                f"best {self.target_n:.0f} N" if self.target_n is not None
                else f"target {self.target_pct_bm:.0f} % BM")

    @property
    def target_y(self) -> float | None:
        """The target line's height in the plot's units; None when it is not shown."""
        if self.target_n is not None:
            return self.target_n * self._force_scale()
        if not self.target_pct_bm or not self.body_mass_kg:
            return None
        return self.target_pct_bm * weight_n(self.body_mass_kg) / 100.0 * self._force_scale()

    @property
    def readout_text(self) -> str:
        return self._readout.text()

    def set_large(self, on: bool) -> None:
        """Rack mode: the curves drawn ``RACK_PEN_PX`` wide (else ``CURVE_PEN_PX``)."""
        width = RACK_PEN_PX if on else CURVE_PEN_PX
        for curve in (*self._curves.values(), self._gap_curve):
            pen = pg.mkPen(curve.opts["pen"])
            pen.setWidth(width)
            curve.setPen(pen)

    @property
    def curve_pen_px(self) -> int:
        return self._curves["total"].opts["pen"].width()

    def set_contact_mm(self, contact_mm: float) -> None:
        self.contact_mm = contact_mm
        self._band.setRegion((0, contact_mm))

    def set_connection(self, state: str) -> None:
        """The link's side of the state line (a ``StreamState`` other than PAUSED)."""
        self.connection = state
        self._show_state()

    @property
    def state(self) -> str:
        """What the state line says now (a ``StreamState``)."""
        return StreamState.PAUSED if self.paused else self.connection

    @property
    def state_text(self) -> str:
        return self._state.text()

    @property
    def time_axis_label(self) -> str:
        return self._gap.getAxis("bottom").labelText

    @property
    def force_range(self) -> tuple[float, float]:
        lo, hi = self._force.vb.viewRange()[1]
        return float(lo), float(hi)

    def pause(self) -> None:
        if not self.paused:
            self.paused = True
            self._anchor_s = self._buffers.newest_s or 0.0
            self._show_state()
            self._apply_window()
            self._dirty = True
            self.paused_changed.emit(True)
            self.refresh()

    def resume(self) -> None:
        if self.paused:
            self.paused = False
            self._show_state()
            self._apply_window()
            self._dirty = True
            self.paused_changed.emit(False)
            self.refresh()

    def toggle_pause(self) -> None:
        self.resume() if self.paused else self.pause()

    def scroll_to(self, anchor_s: float) -> None:
        """Paused view ending at ``anchor_s`` (session seconds)."""
        self.pause()
        newest = self._buffers.newest_s or 0.0
        self._anchor_s = float(min(max(anchor_s, min(self.window_s, newest)), newest))
        self._apply_window()
        self._dirty = True
        self._sync_scrollbar()
        self.refresh()

    @property
    def anchor_s(self) -> float:
        return self._anchor_s

    def curve_data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        item = self._gap_curve if name == "gap" else self._curves[name]
        x, y = item.getData()
        return (np.empty(0), np.empty(0)) if x is None else (x, y)

    # -- drawing -------------------------------------------------------------------

    def refresh(self) -> None:
        """One frame: called on every controller step (the display tick)."""
        newest = self._buffers.newest_s
        if newest is None:
            return
        if not self.paused:
            self._anchor_s = newest
            # A frame only when the buffers changed: a tick with nothing new
            # (between the link's reads, a station not streaming) sets no
            # data, so nothing is repainted.
            self._dirty |= self._buffers.revision != self._drawn_revision
        self._sync_scrollbar()
        if not self._dirty:
            return
        self._dirty = False
        self._drawn_revision = self._buffers.revision
        anchor = self._anchor_s
        # Live, x counts back from now and the view range never moves; paused,
        # x is session time, so the axis says when the shown samples were.
        origin = 0.0 if self.paused else anchor
        lo, hi = anchor - self.window_s - 1.0, anchor + 0.5
        b = self._buffers
        t = b.force_t_s.view()
        i, j = np.searchsorted(t, [lo, hi])
        x = t[i:j] - origin
        scale = self._force_scale()
        ds = decimation_factor(len(x), float(x[-1] - x[0]) if len(x) else 0.0,
                               self.window_s + 0.3, self._force.vb.width())
        x_shown = peak_decimate(x, x, ds)[0]
        columns = {"total": b.total_n, "left": b.force_n[0] if b.channels > 0 else None,
                   "right": b.force_n[1] if b.channels > 1 else None}
        y_lo, y_hi = 0.0, 0.0
        for name, column in columns.items():
            curve = self._curves[name]
            if column is None:
                curve.setData([], [])
            else:
                y = peak_decimate(x, _slice(column, i, j) * scale, ds)[1]
                curve.setData(x_shown, y, skipFiniteCheck=True)
                if y.size:     # every force sample is finite (SessionBuffers.add)
                    y_lo, y_hi = min(y_lo, float(y.min())), max(y_hi, float(y.max()))
        target = self.target_y
        self._fit_force_axis(y_lo, y_hi if target is None else max(y_hi, target))
        self._show_readout(_slice(b.total_n, max(i, j - 1), j) * scale)
        gt = b.gap_t_s.view()
        gi, gj = np.searchsorted(gt, [lo, hi])
        self._gap_curve.setData(gt[gi:gj] - origin, b.gap_mm.view()[gi:gj])
        for plot, curves in ((self._force, self._curves.values()), (self._gap, [self._gap_curve])):
            view = plot.vb.viewRect()
            bounds = view.adjusted(-0.02 * view.width(), -0.02 * view.height(),
                                   0.02 * view.width(), 0.02 * view.height())
            for curve in curves:
                curve.set_bounds(bounds)
        self._draw_marks(lo, hi, origin)

    def _show_readout(self, total: np.ndarray) -> None:
        """The newest total force shown (the anchor's, paused)."""
        newest = float(total[-1]) if total.size else math.nan
        text = f"{number_text(newest)} {self._units()}" if math.isfinite(newest) else ""
        if text != self._readout.text():
            self._readout.setText(text)

    def _fit_force_axis(self, y_lo: float, y_hi: float) -> None:
        """From zero (or the lowest sample) to the highest, in steps, never
        spanning less than ``FORCE_MIN_SPAN``; set only when it changes."""
        units = self._units()
        step = FORCE_STEP[units]
        span = FORCE_MIN_SPAN[units]
        # A little below zero, so the resting line is seen; more only for a real pull down.
        floor = -FORCE_FLOOR_FRACTION * span
        lo = floor if y_lo >= floor else -step * np.ceil(-y_lo / step)
        hi = max(span, step * np.ceil(y_hi * 1.05 / step))
        if self._force_range != (lo, hi):
            self._force_range = (lo, hi)
            self._force.setYRange(lo, hi, padding=0)

    def _units(self) -> str:
        return "% BM" if self.percent_body_mass else "N"

    def _draw_marks(self, lo: float, hi: float, origin: float) -> None:
        visible = [r for r in self._buffers.reps if r.t_end_s >= lo and r.t_start_s <= hi]
        lines = []
        for rep in visible[-(MARKER_POOL // 2):]:
            lines.append((rep.t_start_s - origin, "start"))
            lines.append((rep.t_end_s - origin, bool(rep.valid)))
        # Pens and visibility only where they changed (each call repaints the
        # line); the style key of a hidden marker is None.
        for plot, pool in self._markers.items():
            styles = self._marker_styles[plot]
            for k, marker in enumerate(pool):
                if k < len(lines):
                    marker.setPos(lines[k][0])
                    if styles[k] != lines[k][1]:
                        marker.setPen(self._pens[lines[k][1]])
                        marker.show()
                        styles[k] = lines[k][1]
                elif styles[k] is not None:
                    marker.hide()
                    styles[k] = None
        contacts = [t - origin for t, on in self._buffers.contacts if on and lo <= t <= hi]
        self._contacts.setData(contacts, [self.contact_mm] * len(contacts))

    def _force_scale(self) -> float:
        if self.percent_body_mass and self.body_mass_kg:
            return 100.0 / weight_n(self.body_mass_kg)
        return 1.0

    def _new_marker(self, plot) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False)
        plot.addItem(line, ignoreBounds=True)
        line.hide()
        return line

    def _set_units_label(self) -> None:
        self._force.setLabel("left", "force % body mass" if self.percent_body_mass else "force N")

    def _apply_window(self) -> None:
        if self.paused:
            self._force.setXRange(self._anchor_s - self.window_s, self._anchor_s + 0.3, padding=0)
            self._gap.setLabel("bottom", PAUSED_AXIS_LABEL)
        else:
            self._force.setXRange(-self.window_s, 0.3, padding=0)
            self._gap.setLabel("bottom", LIVE_AXIS_LABEL)

    def _sync_scrollbar(self) -> None:
        newest = self._buffers.newest_s or 0.0
        top = int(max(0.0, newest) * SCROLL_STEPS_PER_S)
        self._scroll.blockSignals(True)
        self._scroll.setRange(int(min(self.window_s, newest) * SCROLL_STEPS_PER_S), max(top, 0))
        self._scroll.setPageStep(self.window_s * SCROLL_STEPS_PER_S)
        self._scroll.setValue(int(self._anchor_s * SCROLL_STEPS_PER_S) if self.paused else top)
        self._scroll.blockSignals(False)

    def _on_scrolled(self, value: int) -> None:
        self.scroll_to(value / SCROLL_STEPS_PER_S)

    def _show_state(self) -> None:
        text, colour = STATE_TEXT[self.state]
        self._state.setText(text)
        self._state.setStyleSheet(f"color: {colour};")


def _slice(column: GrowingArray, i: int, j: int) -> np.ndarray:
    return column.view()[i:j]

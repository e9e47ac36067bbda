"""A stored session's curves: force (left, right, total) above, the gap below,
sharing the time axis, with each rep shaded valid or no-rep.

Colours are Okabe–Ito (readable with the common colour-vision deficiencies);
the background follows the palette so the app's theme decides dark or light.
Items are created once per session; pyqtgraph's peak downsampling and clip
to view keep an hour-long session cheap to draw (docs/design.md §7).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget

from ...vocabulary import VERDICT_MARK
from .loading import LoadedSession
from .rep_model import rep_result

LEFT_COLOUR = "#56B4E9"     # sky blue
RIGHT_COLOUR = "#E69F00"    # orange
TOTAL_COLOUR = "#CC79A7"    # reddish purple
GAP_COLOUR = "#0072B2"      # blue
VALID_COLOUR = "#009E73"    # bluish green
NO_REP_COLOUR = "#D55E00"   # vermillion
CONTACT_COLOUR = "#F0E442"  # yellow
MARKER_ALPHA = 60
LABEL_ROWS = 2
LABEL_GAP_PX = 6
# The force and gap axes' titles, longest first: each plot shows the longest
# that fits its height, turned (History on a small screen: "Force (N)" and
# "Gap (mm)" ran into each other beside 35-70 px plots; the ticks stay, and the
# gap plot's contact line says mm).
FORCE_TITLES = ("Force (N)", "N", "")
GAP_TITLES = ("Gap (mm)", "mm", "")
# How far a title may pass its plot's height, half above and half below: into
# the time axis's ticks between the plots and below, never into the other title.
TITLE_OVERHANG_PX = 24


def rep_label(rep) -> str:
    """Short enough to sit above its own rep: the number and a tick or cross
    (shape as well as colour, for colour-blind eyes)."""
    return f"{rep.rep_index} {VERDICT_MARK[rep.valid]}"


def rep_tooltip(rep) -> str:
    return f"Set {rep.set_index}, rep {rep.rep_index}: {rep_result(rep)}"


def _brush(colour: str, alpha: int) -> QColor:
    c = QColor(colour)
    c.setAlpha(alpha)
    return c


class SessionPlot(pg.GraphicsLayoutWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.force_plot = self.addPlot(row=0, col=0)
        self.gap_plot = self.addPlot(row=1, col=0)
        self.gap_plot.setXLink(self.force_plot)
        self.ci.layout.setRowStretchFactor(0, 3)
        self.ci.layout.setRowStretchFactor(1, 2)
        # Units in the label, never scaled: pyqtgraph's SI prefix made "Gap (kmm)"
        # and "x0.001" on a short plot.
        self.gap_plot.setLabel("bottom", "Time (s)")
        self._titles = {self.force_plot: FORCE_TITLES, self.gap_plot: GAP_TITLES}
        self._title_px = {plot: [self._text_px(plot, title) for title in titles]
                          for plot, titles in self._titles.items()}
        for plot, titles in self._titles.items():
            plot.setLabel("left", titles[0])
        for plot in (self.force_plot, self.gap_plot):
            for name in ("left", "bottom"):
                plot.getAxis(name).enableAutoSIPrefix(False)
        self.force_plot.addLegend(offset=(10, 5))
        self.curves = {
            "left": self._curve(self.force_plot, "Left", LEFT_COLOUR, 1.5),
            "right": self._curve(self.force_plot, "Right", RIGHT_COLOUR, 1.5),
            "total": self._curve(self.force_plot, "Total", TOTAL_COLOUR, 2.5),
            "gap": self._curve(self.gap_plot, None, GAP_COLOUR, 2.0),
        }
        self._markers: list[tuple[pg.PlotItem, pg.GraphicsObject]] = []
        self._labels: list[tuple[float, pg.TextItem]] = []     # (centre s, label)
        self._label_base_n = 0.0
        # Which labels fit depends on the zoom and the size: place them again
        # when either changes (both signals fire at once, not at paint time).
        box = self.force_plot.getViewBox()
        box.sigRangeChanged.connect(self._place_labels)
        box.sigResized.connect(self._place_labels)
        for plot in (self.force_plot, self.gap_plot):
            plot.getViewBox().sigResized.connect(self._on_plot_resized)

    @staticmethod
    def _text_px(plot: pg.PlotItem, title: str) -> float:
        """How long ``title`` is on ``plot``'s left axis, turned: its height there."""
        label = plot.getAxis("left").label
        plot.setLabel("left", title)
        return label.boundingRect().width() - 2 * label.document().documentMargin()

    def axis_titles(self) -> tuple[str, str]:
        """The force and gap axes' titles as shown."""
        return (self.force_plot.getAxis("left").labelText,
                self.gap_plot.getAxis("left").labelText)

    def _on_plot_resized(self) -> None:
        # A title changes its axis's width only, never a plot's height: no see-saw.
        for plot, titles in self._titles.items():
            room = plot.getViewBox().height() + TITLE_OVERHANG_PX
            fits = next(t for t, px in zip(titles, self._title_px[plot]) if px <= room or not t)
            if plot.getAxis("left").labelText != fits:
                plot.setLabel("left", fits)

    @staticmethod
    def _curve(plot: pg.PlotItem, name: str | None, colour: str, width: float) -> pg.PlotDataItem:
        item = plot.plot(name=name, pen=pg.mkPen(colour, width=width))
        item.setDownsampling(auto=True, method="peak")
        item.setClipToView(True)
        return item

    def clear_session(self) -> None:
        for curve in self.curves.values():
            curve.setData([], [])
        for plot, item in self._markers:
            plot.removeItem(item)
        self._markers.clear()
        self._labels.clear()

    def show_session(self, session: LoadedSession) -> None:
        self.clear_session()
        t = session.force_t_s
        if session.force_n.shape[1] >= 1:
            self.curves["left"].setData(t, session.force_n[:, 0], connect="finite")
        if session.force_n.shape[1] >= 2:
            self.curves["right"].setData(t, session.force_n[:, 1], connect="finite")
        self.curves["total"].setData(t, session.total_n, connect="finite")
        self.curves["gap"].setData(session.gap_t_s, session.gap_mm, connect="finite")
        if session.info.contact_mm is not None:
            self._add(self.gap_plot, pg.InfiniteLine(
                pos=session.info.contact_mm, angle=0,
                pen=pg.mkPen(CONTACT_COLOUR, width=1.5, style=pg.QtCore.Qt.PenStyle.DashLine),
                label=f"contact {session.info.contact_mm:.0f} mm",
                labelOpts={"position": 0.01, "color": CONTACT_COLOUR, "anchors": [(0, 1), (0, 1)],
                           "fill": _brush(self.palette().color(QPalette.ColorRole.Base).name(),
                                          200)}))
        for start, end in session.contacts_s:
            self._add(self.gap_plot, pg.LinearRegionItem(
                (start, end), movable=False, brush=_brush(CONTACT_COLOUR, 40),
                pen=pg.mkPen(None)))
        finite = session.total_n[np.isfinite(session.total_n)]
        self._label_base_n = float(finite.max()) if finite.size else 0.0
        for rep in session.reps:
            start, end = session.rep_span_s(rep)
            colour = NO_REP_COLOUR if rep.valid is False else VALID_COLOUR
            tip = rep_tooltip(rep)
            region = pg.LinearRegionItem((start, end), movable=False,
                                         brush=_brush(colour, MARKER_ALPHA), pen=pg.mkPen(colour))
            region.setToolTip(tip)
            self._add(self.force_plot, region)
            text = pg.TextItem(html=f'<span style="color:{colour}">{rep_label(rep)}</span>',
                               anchor=(0.5, 1))
            text.setToolTip(tip)
            text.setPos((start + end) / 2, self._label_base_n)
            self._add(self.force_plot, text)
            self._labels.append(((start + end) / 2, text))
        self.gap_plot.enableAutoRange()
        self.force_plot.enableAutoRange(axis="x")
        # Labels take no part in auto-range: leave room above the curves for them.
        finite_all = session.force_n[np.isfinite(session.force_n)]
        bottom_n = min(0.0, float(finite_all.min())) if finite_all.size else 0.0
        self.force_plot.setYRange(bottom_n, max(self._label_base_n, 1.0) * 1.4, padding=0.02)
        self._place_labels()

    def _place_labels(self) -> None:
        """Two staggered rows above the curves; a label that would touch a
        neighbour in both rows is hidden until the user zooms in (the shaded
        span, its colour and the table still say what the rep was)."""
        if not self._labels:
            return
        view = self.force_plot.getViewBox()
        (x0, x1), (y0, y1) = view.viewRange()
        size = view.size()
        if size.width() <= 0 or size.height() <= 0:
            return
        px_x = (x1 - x0) / size.width()        # data units per screen pixel
        px_y = (y1 - y0) / size.height()
        if not (px_x > 0 and px_y > 0):
            return
        row_ends_px: list[float] = [-np.inf] * LABEL_ROWS
        for centre_s, text in self._labels:
            width_px = text.boundingRect().width()
            height_px = text.boundingRect().height()
            left_px = centre_s / px_x - width_px / 2
            row = next((r for r, end in enumerate(row_ends_px)
                        if left_px >= end + LABEL_GAP_PX), None)
            text.setVisible(row is not None)
            if row is None:
                continue
            row_ends_px[row] = left_px + width_px
            text.setPos(centre_s, self._label_base_n + (4 + row * height_px) * px_y)

    def labels_shown(self) -> list[tuple[float, float, float, float]]:
        """(left, right, top, bottom) in scene pixels of each visible rep label."""
        out = []
        for _, text in self._labels:
            if text.isVisible():
                r = text.mapRectToScene(text.boundingRect())
                out.append((r.left(), r.right(), r.top(), r.bottom()))
        return out

    def _add(self, plot: pg.PlotItem, item: pg.GraphicsObject) -> None:
        plot.addItem(item)
        self._markers.append((plot, item))

    def marker_count(self) -> int:
        return len(self._markers)

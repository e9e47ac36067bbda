"""Progress charts per athlete over weeks: valid reps per set, best peak force
(N and % body mass), velocity loss per set."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QCloseEvent, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from ..jobs import BusyIndicator, DatabaseJob, JobOwner, ServerJob

if TYPE_CHECKING:
    from ...team.pool import TeamPool
from ...progress import AthleteProgress, athlete_progress, team_athlete_progress
from .session_plot import NO_REP_COLOUR, RIGHT_COLOUR, TOTAL_COLOUR, VALID_COLOUR
from .view import Banner, enlarge, team_failure_text
from ...vocabulary import METRICS, VALID_REPS_TEXT, metric_name

# (key, title, y label, colour); the words are the vocabulary's, as in the
# live view and History.
CHARTS: tuple[tuple[str, str, str, str], ...] = (
    ("valid_reps", f"{VALID_REPS_TEXT} per set", "reps", VALID_COLOUR),
    ("peak_n", f"Best {metric_name('peak_force_n').lower()}", METRICS["peak_force_n"].unit,
     TOTAL_COLOUR),
    ("peak_pct_bm", f"Best {metric_name('peak_force_n').lower()}, "
                    f"{metric_name('peak_force_pct_bm')}", METRICS["peak_force_pct_bm"].unit,
     RIGHT_COLOUR),
    ("velocity_loss", f"{metric_name('velocity_loss_pct')} per set",
     METRICS["velocity_loss_pct"].unit, NO_REP_COLOUR),
)
# The time axis spans at least this much, so its ticks are dates, never the
# seconds between two sessions of one afternoon ("34.500").
MIN_TIME_SPAN_S = 4 * 86400.0
DAY_S = 86400.0


class ProgressView(QWidget):
    athletes_listed = Signal(int)
    progress_shown = Signal(str)         # the athlete whose charts are now drawn
    failed = Signal(str)

    def __init__(self, db_path: Path, parent: QWidget | None = None, *,
                 team_server: str | None = None, team_pool: TeamPool | None = None):
        """``team_server``: as HistoryView's; ``set_team_mode`` charts an
        athlete's sessions on every station."""
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.team_server = team_server
        self.team_pool = team_pool
        self.team_mode = False
        self._jobs = JobOwner()
        self.progress: AthleteProgress | None = None

        self.athlete_combo = QComboBox(self)
        enlarge(self.athlete_combo, 1.4)
        self.athlete_combo.currentTextChanged.connect(self._on_athlete_changed)
        label = QLabel("Athlete", self)
        enlarge(label, 1.4, bold=True)
        self.busy = BusyIndicator(self)
        self.banner = Banner(self)

        self.charts = pg.GraphicsLayoutWidget(self)
        self.charts.setBackground(self.palette().color(QPalette.ColorRole.Base))
        self.plots: dict[str, pg.PlotItem] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        for i, (key, title, units, colour) in enumerate(CHARTS):
            plot = self.charts.addPlot(row=i // 2, col=i % 2, title=title,
                                       axisItems={"bottom": pg.DateAxisItem()})
            plot.setLabel("left", units)
            plot.showGrid(x=True, y=True, alpha=0.2)
            self.plots[key] = plot
            self.curves[key] = plot.plot(pen=pg.mkPen(colour, width=2), symbol="o",
                                         symbolSize=10, symbolBrush=colour, symbolPen=None)

        top = QHBoxLayout()
        top.addWidget(label)
        top.addWidget(self.athlete_combo, 1)
        top.addWidget(self.busy)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.charts, 1)
        self.refresh()

    def set_team_mode(self, on: bool) -> None:
        """The team server's athletes and sessions, or this station's own."""
        on = bool(on) and self.team_server is not None
        if on != self.team_mode:
            self.team_mode = on
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """List the athletes again and redraw the chosen one."""
        mode = self.team_mode
        if mode:
            def work(conn, cancel):
                from ...team import read    # psycopg: loaded once a team server is used

                return read.list_athletes(conn)
            job = ServerJob(self.team_server, work, "progress-team-athletes", self,
                            pool=self.team_pool)
        else:
            job = DatabaseJob(self.db_path,
                              lambda db, cancel: [a.name for a in db.list_athletes()],
                              "progress-athletes", self, read_only=True, if_no_database=list)
        # A list asked for before a switch of mode is not shown.
        job.succeeded.connect(lambda names: mode == self.team_mode
                              and self._on_athletes_loaded(names))
        self._run(job)

    def show_athlete(self, name: str) -> None:
        if self.athlete_combo.currentText() == name:
            self._load(name)
        else:
            self.athlete_combo.setCurrentText(name)   # loads via _on_athlete_changed

    def point_count(self, key: str) -> int:
        x, _ = self.curves[key].getOriginalDataset()
        return 0 if x is None else len(x)

    def shutdown(self) -> None:
        self._jobs.join_all()

    def _run(self, job: DatabaseJob) -> None:
        job.failed.connect(self._on_job_failed)
        self.busy.track(job)
        self._jobs.run(job)

    def _load(self, name: str) -> None:
        mode = self.team_mode
        if mode:
            job = ServerJob(self.team_server,
                            lambda conn, cancel: team_athlete_progress(conn, name),
                            "progress-team-load", self, pool=self.team_pool)
        else:
            job = DatabaseJob(self.db_path, lambda db, cancel: athlete_progress(db, name),
                              "progress-load", self, read_only=True)
        job.succeeded.connect(lambda progress: mode == self.team_mode
                              and self._on_progress_loaded(progress))
        self._run(job)

    @Slot(object)
    def _on_athletes_loaded(self, names: list[str]) -> None:
        current = self.athlete_combo.currentText()
        self.athlete_combo.blockSignals(True)
        self.athlete_combo.clear()
        self.athlete_combo.addItems(names)
        self.athlete_combo.blockSignals(False)
        if current in names:
            self.athlete_combo.setCurrentText(current)
        self.banner.show_message("" if names else "No athlete yet: record a session with "
                                 "an athlete's name to see progress here.")
        self.athletes_listed.emit(len(names))
        if self.athlete_combo.currentText():
            self._load(self.athlete_combo.currentText())

    @Slot(str)
    def _on_athlete_changed(self, name: str) -> None:
        if name:
            self._load(name)

    @Slot(object)
    def _on_progress_loaded(self, progress: AthleteProgress) -> None:
        if progress.athlete != self.athlete_combo.currentText():
            return                          # another athlete was chosen meanwhile
        self.progress = progress
        sets, sessions = progress.sets, progress.sessions
        set_x = np.array([p.when.timestamp() for p in sets], dtype=float)
        self.curves["valid_reps"].setData(set_x, np.array([p.valid_reps for p in sets], float))
        loss = [(p.when.timestamp(), p.velocity_loss_pct) for p in sets
                if p.velocity_loss_pct is not None]
        self.curves["velocity_loss"].setData(*_xy(loss))
        self.curves["peak_n"].setData(*_xy([(p.when.timestamp(), p.best_peak_force_n)
                                            for p in sessions]))
        self.curves["peak_pct_bm"].setData(*_xy([(p.when.timestamp(), p.best_peak_force_pct_bm)
                                                 for p in sessions
                                                 if p.best_peak_force_pct_bm is not None]))
        for key, plot in self.plots.items():
            x, y = self.curves[key].getOriginalDataset()
            plot.setXRange(*_time_range(x), padding=0)
            if y is not None and len(y):
                # From zero: a change of one rep must not look like a collapse.
                plot.setYRange(min(0.0, float(np.min(y))), max(1.0, float(np.max(y))) * 1.15)
        self.banner.show_message(
            f"No judged set stored for {progress.athlete} yet." if progress.empty else
            f"Practice on the simulated station: {progress.athlete} has no session on a real "
            "station yet." if progress.simulated else "")
        self.progress_shown.emit(progress.athlete)

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        if self.team_mode:
            message = team_failure_text(message)
        self.banner.show_message(message)
        self.failed.emit(message)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)


def _time_range(x: np.ndarray | None) -> tuple[float, float]:
    """From the first point to the last, half a day beyond each, and at least
    ``MIN_TIME_SPAN_S`` wide (centred), so the axis reads in dates."""
    if x is None or not len(x):
        now = datetime.now().timestamp()
        return now - MIN_TIME_SPAN_S, now
    lo, hi = float(np.min(x)) - DAY_S / 2, float(np.max(x)) + DAY_S / 2
    if hi - lo < MIN_TIME_SPAN_S:
        middle = (lo + hi) / 2
        lo, hi = middle - MIN_TIME_SPAN_S / 2, middle + MIN_TIME_SPAN_S / 2
    return lo, hi


def _xy(points: list[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not points:
        return np.empty(0), np.empty(0)
    x, y = zip(*points)
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

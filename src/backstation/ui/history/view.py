"""The session browser: list, open (curves, rep markers, rep table),
correct the judge's verdicts, delete, export. Every database call runs on a
``DatabaseJob``; errors are shown in the view's banner, never as a traceback
or a modal box."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction, QCloseEvent, QFont
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFrame, QHBoxLayout, QHeaderView,
                               QLabel, QMenu, QMessageBox, QPushButton, QScrollArea, QSplitter,
                               QTableView, QVBoxLayout, QWidget)

from ...storage import Database, RepRecord, StorageError
from ...storage.bundle_reader import BundleReader
from ...storage.corrections import DELETE, MARK_NO_REP, MARK_VALID
from ...vocabulary import date_time_text
from ..jobs import BusyIndicator, DatabaseJob, JobOwner, ServerJob
from ..plain_text import plain_label, plain_tooltip
from .loading import LoadedSession, load_session
from .rep_model import COLUMNS as REP_COLUMNS
from .rep_model import RepTableModel, session_summary
from .session_model import COLUMNS as SESSION_COLUMN_TITLES
from .session_model import (SessionRow, SessionTableModel, format_duration, session_rows,
                            team_session_rows)
from .session_plot import SessionPlot

if TYPE_CHECKING:
    from ...team.pool import TeamPool
    from ..export_dialog import ExportRun

FONT_SCALE = 1.25    # read from a step back from the rack
DELETE_SET = "delete_set"
# The Correct menu: (key, text, tooltip).
CORRECTIONS = (
    (MARK_VALID, "✓ Valid", "Count the chosen rep: the coach overrules the judge"),
    (MARK_NO_REP, "✗ No-rep", "Do not count the chosen rep: the coach overrules the judge"),
    (DELETE, "Delete rep", "Leave the chosen rep out (not a rep at all)"),
    (DELETE_SET, "Delete set", "Leave the chosen rep's whole set out"),
)
SUMMARY_MAX_LINES = 4           # the set summary's lines shown; more scroll
SUMMARY_MAX_LINES_STACKED = 2   # ... on a narrow screen, the list above the session
NO_ATHLETE = "(no athlete)"      # Correct → File under athlete: nobody named
SESSION_COLUMNS = [key for key, _ in SESSION_COLUMN_TITLES]
REP_COLUMN_KEYS = [key for _, key in REP_COLUMNS]
MAX_LIST_FRACTION = 0.45  # the session list never takes more of the width than this
# Narrower than this, the session list goes above the session (an 800 or 1024
# px screen): side by side, neither the list nor the rep table had its columns.
STACK_WIDTH_PX = 1200
STACKED_LIST_ROWS = 2
# Lower than this (an 800x480 screen), stacked, the list shows one row and the
# set summary goes into the rep table's tooltip: the curves and reps keep the room.
SHORT_HEIGHT_PX = 480
# The team view's filters: their first entry shows every station / athlete.
ALL_STATIONS = "All stations"
ALL_ATHLETES = "All athletes"
# View → "Team's sessions" (ui/main_window.py) switches History and Progress
# between the team's sessions and this station's own.
TEAM_SESSIONS_SHORTCUT = "Ctrl+T"


def team_failure_text(message: str) -> str:
    """A failed read of the team server, with the way to this station's own sessions."""
    return f"{message} (this station's own sessions: {TEAM_SESSIONS_SHORTCUT})"


def enlarge(widget: QWidget, scale: float = FONT_SCALE, bold: bool = False) -> None:
    font = QFont(widget.font())
    font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(bold)
    widget.setFont(font)


class Banner(QLabel):
    """A non-modal message line inside the view (errors, results)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        plain_label(self)                # a server's message
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.setForegroundRole(self.foregroundRole())
        enlarge(self, bold=True)
        self.hide()

    def show_message(self, text: str) -> None:
        self.setText(text)
        self.setVisible(bool(text))


class BalancedTableView(QTableView):
    """Columns as wide as their contents; width left over is shared out
    evenly, so no one column (the last) runs across the screen while the
    others are cramped. Where the width is short, the ``optional`` columns
    give way, in their order, rather than every column being cut."""

    def __init__(self, model, parent: QWidget | None = None, optional: tuple[int, ...] = ()):
        super().__init__(parent)
        self.setModel(model)
        self.optional_columns = list(optional)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(False)
        model.modelReset.connect(self.balance_columns)
        model.rowsInserted.connect(self.balance_columns)

    def _wanted(self) -> list[int]:
        """The columns to show when there is room: all but those hidden for good."""
        return [c for c in range(self.model().columnCount())
                if not self.isColumnHidden(c) or c in self.optional_columns]

    def _column_width(self, c: int) -> int:
        hidden = self.isColumnHidden(c)
        if hidden:
            self.setColumnHidden(c, False)     # a hidden section's header hint is 0
        width = max(self.sizeHintForColumn(c), self.horizontalHeader().sectionSizeHint(c))
        if hidden:
            self.setColumnHidden(c, True)
        return width

    def content_width(self) -> int:
        """The width that shows every column whole (optional ones included),
        without a scroll bar."""
        return (sum(self._column_width(c) for c in self._wanted()) + 2 * self.frameWidth()
                + self.verticalScrollBar().sizeHint().width())

    def balance_columns(self) -> None:
        # Room kept for a vertical scroll bar that more rows may bring, so
        # adding a row never brings a horizontal one too.
        room = self.viewport().width() - (0 if self.verticalScrollBar().isVisible()
                                           else self.verticalScrollBar().sizeHint().width())
        shown = self._wanted()
        widths = {c: self._column_width(c) for c in shown}
        for c in self.optional_columns:
            if sum(widths[k] for k in shown) <= room:
                break
            shown.remove(c)
        for c in self.optional_columns:
            self.setColumnHidden(c, c not in shown)
        if not shown:
            return
        for c in shown:
            self.setColumnWidth(c, widths[c])
        spare = room - sum(self.columnWidth(c) for c in shown)
        if spare > 0:
            each, rest = divmod(spare, len(shown))
            for i, c in enumerate(shown):
                self.setColumnWidth(c, self.columnWidth(c) + each + (1 if i < rest else 0))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.balance_columns()


def make_table(model, parent: QWidget, optional: tuple[int, ...] = ()) -> BalancedTableView:
    table = BalancedTableView(model, parent, optional)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    # A little air in each cell, so a right-aligned number never runs into
    # the left-aligned text of the next column ("4 no-rep").
    table.setStyleSheet("QTableView::item { padding: 0 0.4em; }")
    table.verticalHeader().hide()
    enlarge(table)
    return table


class HistoryView(QWidget):
    sessions_listed = Signal(int)        # how many sessions the list shows
    session_opened = Signal(int)
    session_deleted = Signal(int)
    session_corrected = Signal(int)      # a coach's correction stored (or undone)
    failed = Signal(str)                 # the message the banner now shows

    def __init__(self, db_path: Path, parent: QWidget | None = None, *,
                 team_server: str | None = None, team_pool: TeamPool | None = None):
        """``team_server``: the team server's service name, if one is set;
        ``set_team_mode`` then lists the team's sessions instead of this station's."""
        super().__init__(parent)
        self.db_path = Path(db_path)
        self.team_server = team_server
        self.team_pool = team_pool
        self.team_mode = False
        self._jobs = JobOwner()
        self._loading_id: int | None = None
        self._open_request = 0           # newer open requests win over slower older ones
        self._list_request = 0           # and newer lists over older ones (refresh)
        self.current: LoadedSession | None = None
        self.export_run: "ExportRun | None" = None

        self.model = SessionTableModel(self)
        # Short of width, the duration, the set count and the no-reps give way
        # (the date, the athlete and the valid reps stay).
        self.table = make_table(self.model, self, optional=tuple(
            SESSION_COLUMNS.index(key) for key in ("duration", "sets", "no_reps")))
        # The station id is in each row's tooltip: the list keeps what a coach looks for.
        self.table.setColumnHidden(SESSION_COLUMNS.index("device"), True)
        # The station column only in the team's list (set_team_mode).
        self.table.setColumnHidden(SESSION_COLUMNS.index("station"), True)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)

        self.refresh_button = QPushButton("Refresh", self)
        self.delete_button = QPushButton("Delete…", self)
        self.export_button = QPushButton("Export…", self)
        for button in (self.refresh_button, self.delete_button, self.export_button):
            enlarge(button)
        self.refresh_button.clicked.connect(self.refresh)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.busy = BusyIndicator(self)
        self.banner = Banner(self)
        # The team view's filters, by station and by athlete (hidden otherwise).
        self.station_filter = QComboBox(self)
        self.athlete_filter = QComboBox(self)
        for combo, everyone in ((self.station_filter, ALL_STATIONS),
                                (self.athlete_filter, ALL_ATHLETES)):
            combo.addItem(everyone)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
            enlarge(combo)
            combo.hide()
            combo.currentIndexChanged.connect(self._on_filter_changed)

        # Athlete, station and exercise names come from other stations: plain text.
        self.title = plain_label(QLabel("Choose a session", self))
        enlarge(self.title, 1.5, bold=True)
        self.plot = SessionPlot(self)
        self.set_summary = plain_label(QLabel(self))
        self.set_summary.setWordWrap(True)
        enlarge(self.set_summary)
        # A workout's many sets scroll in a few lines: the curves and the reps keep the room.
        self.summary_scroll = QScrollArea(self)
        self.summary_scroll.setWidget(self.set_summary)
        self.summary_scroll.setWidgetResizable(True)
        self.summary_scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.summary_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.rep_model = RepTableModel(self)
        # Short of width, the rep table drops the secondary metrics first.
        self.rep_table = make_table(self.rep_model, self, optional=tuple(
            REP_COLUMN_KEYS.index(key) for key in ("asymmetry_pct", "top_hold_s",
                                                    "peak_force_pct_bm")))
        self.rep_table.selectionModel().currentRowChanged.connect(
            lambda *_: self._update_correction_buttons())
        # A coach's corrections of the open session (storage/corrections.py): the
        # judge's verdict stays stored beside them, and Undo takes back the newest.
        # One menu button and Undo: the row fits an 800 px screen.
        self.correct_button = QPushButton("Correct", self)     # a menu (the row's room)
        self.correct_button.setToolTip("Overrule the judge on the chosen rep, or leave it or "
                                       "its set out")
        menu = QMenu(self.correct_button)
        self.correction_actions: dict[str, QAction] = {}
        for key, text, tip in CORRECTIONS:
            action = menu.addAction(text)
            action.setToolTip(tip)
            self.correction_actions[key] = action
        menu.addSeparator()
        # Filed under another athlete on the roster: offered when the menu opens.
        self.athlete_menu = menu.addMenu("File under athlete")
        self.athlete_menu.setToolTip("The session is this athlete's (it keeps the body mass "
                                     "it was judged with)")
        self.athlete_menu.aboutToShow.connect(self._fill_athlete_menu)
        self.correct_button.setMenu(menu)
        for key in (MARK_VALID, MARK_NO_REP, DELETE):
            self.correction_actions[key].triggered.connect(
                lambda _=False, action=key: self.correct(action))
        self.correction_actions[DELETE_SET].triggered.connect(
            lambda: self.correct(DELETE, whole_set=True))
        self.undo_button = QPushButton("Undo", self)
        self.undo_button.setToolTip("Take back the newest correction of this session")
        self.undo_button.clicked.connect(self.undo_correction)
        for button in (self.correct_button, self.undo_button):
            enlarge(button)
            # Narrower padding than the theme's: with them the row fits an 800 px screen.
            button.setStyleSheet("QPushButton { padding-left: 0.55em; padding-right: 0.55em; }")
        self._keep_rep: tuple[int, int] | None = None   # chosen again once reloaded
        self._correcting = False        # a correction's job runs: one at a time

        buttons = QHBoxLayout()
        for w in (self.refresh_button, self.delete_button, self.export_button,
                  self.station_filter, self.athlete_filter):
            buttons.addWidget(w)
        buttons.addStretch(1)
        buttons.addWidget(self.correct_button)
        buttons.addWidget(self.undo_button)
        buttons.addWidget(self.busy)
        detail = QWidget(self)
        detail_layout = QVBoxLayout(detail)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        detail_layout.addWidget(self.title)
        detail_layout.addWidget(self.plot, 3)
        detail_layout.addWidget(self.summary_scroll)
        detail_layout.addWidget(self.rep_table, 2)
        self.splitter = splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.table)
        splitter.addWidget(detail)
        splitter.setStretchFactor(0, 0)    # a wider window widens the plot, not the list
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self._list_width_chosen = False    # once the user drags the splitter, it is theirs
        splitter.splitterMoved.connect(self._on_splitter_moved)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.banner)
        layout.addWidget(splitter, 1)
        self._update_buttons()
        self.refresh()

    # -- public -------------------------------------------------------------

    def set_team_mode(self, on: bool) -> None:
        """List the team server's sessions (every station's, filtered by
        station and athlete) or this station's own. No team server: stays off."""
        on = bool(on) and self.team_server is not None
        if on == self.team_mode:
            return
        self.team_mode = on
        self.station_filter.setVisible(on)
        self.athlete_filter.setVisible(on)
        # Delete acts on this station's own sessions: its room goes to the filters.
        # Export takes either (a team session read from the server).
        self.delete_button.setVisible(not on)
        self.table.setColumnHidden(SESSION_COLUMNS.index("station"), not on)
        self._open_request += 1            # an open still running belongs to the other list
        self.table.clearSelection()
        self.model.set_rows([])
        self._show_nothing()
        self._update_buttons()
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        """List the sessions again (e.g. when a recording has ended)."""
        # Only the newest list is shown: an older one (another filter, the other
        # list) that ends later, as a server's replies may, is dropped.
        self._list_request += 1
        request = self._list_request
        if self.team_mode:
            self._refresh_team(request)
            return
        job = DatabaseJob(self.db_path, lambda db, cancel: session_rows(db), "history-list", self,
                          read_only=True, if_no_database=list)
        job.succeeded.connect(lambda rows: request == self._list_request
                              and self._on_sessions_loaded(rows))
        self._run(job)

    def _refresh_team(self, request: int) -> None:
        station = self._filter(self.station_filter)
        athlete = self._filter(self.athlete_filter)

        def work(conn, cancel):
            from ...team import read    # psycopg: loaded once a team server is used

            return (team_session_rows(conn, station, athlete), read.list_stations(conn),
                    read.list_athletes(conn))
        job = ServerJob(self.team_server, work, "history-team-list", self,
                        pool=self.team_pool)
        job.succeeded.connect(lambda result: request == self._list_request
                              and self._on_team_sessions_loaded(result))
        self._run(job)

    @staticmethod
    def _filter(combo: QComboBox) -> str | None:
        """The chosen station or athlete; None for the first entry (everyone)."""
        return combo.currentText() if combo.currentIndex() > 0 else None

    def open_session(self, session_id: int, station: str = "") -> None:
        """Open a session of the list shown (``station``: a team session's)."""
        row = self.model.row_of(session_id, station)
        if row is not None and self.table.currentIndex().row() != row:
            self.table.selectRow(row)      # opens it through _on_current_row_changed
        elif row is not None:
            self._load(self.model.row_at(row))
        elif not station:
            self._load_local(session_id)

    def selected_session_id(self) -> int | None:
        row = self.selected_row()
        return None if row is None else row.session_id

    def selected_row(self) -> SessionRow | None:
        index = self.table.currentIndex()
        return self.model.row_at(index.row()) if index.isValid() else None

    def delete_session(self, session_id: int) -> None:
        """Ask, then delete (samples, calibrations, judgement) on a worker."""
        row = self.model.row_of(session_id)
        what = f"session {session_id}"
        if row is not None:
            r: SessionRow = self.model.row_at(row)
            what = (f"the session of {date_time_text(r.started_at)} ({r.athlete}, "
                    f"{r.valid_reps} valid reps, {format_duration(r.duration_s)})")
        answer = QMessageBox.question(
            self, "Delete session",
            f"Delete {what}?\n\nIts samples and reps are removed for good.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return

        def work(db, cancel):
            db.delete_session(session_id)
            return session_id
        job = DatabaseJob(self.db_path, work, "history-delete", self)
        job.succeeded.connect(self._on_session_deleted)
        self._run(job)

    def selected_rep(self) -> RepRecord | None:
        index = self.rep_table.currentIndex()
        return self.rep_model.rep_at(index.row()) if index.isValid() else None

    def correct(self, action: str, whole_set: bool = False) -> None:
        """Overrule the judge on the chosen rep (``action``: corrections.ACTIONS),
        or delete the chosen rep's whole set; the session is shown again."""
        rep = self.selected_rep()
        if self.current is None or rep is None or self.team_mode:
            return
        session_id, set_index = self.current.info.id, rep.set_index
        rep_index = None if whole_set else rep.rep_index
        self._keep_rep = (rep.set_index, rep.rep_index)
        self._store_correction(session_id, lambda db: db.correct(
            session_id, set_index, rep_index, action))

    def _fill_athlete_menu(self) -> None:
        self.athlete_menu.clear()
        try:
            with Database(self.db_path, read_only=True) as db:
                names = [a.name for a in db.list_athletes()]
        except StorageError as exc:
            self.athlete_menu.addAction(str(exc)).setEnabled(False)
            return
        current = None if self.current is None else self.current.info.athlete_name
        for name in [*names, None]:
            # "&" would mark a shortcut letter in a menu: doubled, it is shown.
            action = self.athlete_menu.addAction((name or NO_ATHLETE).replace("&", "&&"))
            action.setCheckable(True)
            action.setChecked(name == current)
            action.triggered.connect(lambda _=False, name=name: self.file_under(name))

    def file_under(self, athlete: str | None) -> None:
        """File the open session under ``athlete`` on the roster (None: nobody)."""
        if self.current is None or self.team_mode or self.current.info.ended_at is None:
            return
        session_id = self.current.info.id
        rep = self.selected_rep()
        self._keep_rep = None if rep is None else (rep.set_index, rep.rep_index)
        self._store_correction(session_id, lambda db: db.reassign_session(session_id, athlete))

    def undo_correction(self) -> None:
        """Take back the open session's newest correction."""
        if self.current is None or self.team_mode:
            return
        session_id = self.current.info.id
        rep = self.selected_rep()
        self._keep_rep = None if rep is None else (rep.set_index, rep.rep_index)
        self._store_correction(session_id, lambda db: db.undo_correction(session_id))

    def _store_correction(self, session_id: int, change) -> None:
        self._correcting = True
        self._update_correction_buttons()
        job = DatabaseJob(self.db_path, lambda db, cancel: change(db), "history-correct", self)
        job.succeeded.connect(lambda _: self._on_corrected(session_id))
        job.failed.connect(lambda _: self._correction_failed())
        self._run(job)

    def _correction_failed(self) -> None:
        self._correcting, self._keep_rep = False, None
        self._update_correction_buttons()

    def _on_corrected(self, session_id: int) -> None:
        self._correcting = False
        self.session_corrected.emit(session_id)
        self.refresh()                        # the list's counts
        if self.current is not None and self.current.info.id == session_id:
            self._load_local(session_id)

    def _fit_summary(self) -> None:
        """The set summary's height: its text's, up to SUMMARY_MAX_LINES lines (then it scrolls)."""
        width = max(self.summary_scroll.viewport().width(), 100)
        wanted = self.set_summary.heightForWidth(width)
        lines = (SUMMARY_MAX_LINES_STACKED if self.width() < STACK_WIDTH_PX
                 else SUMMARY_MAX_LINES)
        most = self.set_summary.fontMetrics().lineSpacing() * lines + 4
        self.summary_scroll.setFixedHeight(max(min(wanted, most), 1))

    def shutdown(self) -> None:
        """Join every worker (the owner calls this before the app quits)."""
        self._jobs.join_all()
        if self.export_run is not None:
            self.export_run.shutdown()

    # -- internals ----------------------------------------------------------

    def _run(self, job: DatabaseJob) -> None:
        job.failed.connect(self._on_job_failed)
        self.busy.track(job)
        self._jobs.run(job)

    def _load(self, row: SessionRow) -> None:
        if not row.station:
            self._load_local(row.session_id)
            return
        uid, session_id = row.uid, row.session_id

        def work(conn, cancel):
            from ...team import read

            # The team's copy read with the Database's read methods (BundleReader):
            # drawn by the same code as a local session.
            return load_session(BundleReader(read.load_session(conn, uid)), session_id)
        self._start_load(session_id, f"{row.station}/{session_id}",
                         ServerJob(self.team_server, work, "history-team-open", self,
                                   pool=self.team_pool))

    def _load_local(self, session_id: int) -> None:
        self._start_load(session_id, str(session_id), DatabaseJob(
            self.db_path, lambda db, cancel: load_session(db, session_id), "history-open",
            self, read_only=True))

    def _start_load(self, session_id: int, name: str, job: DatabaseJob) -> None:
        if self.current is None or self.current.info.id != session_id:
            self._keep_rep = None          # another session: no rep of it to keep chosen
        self._open_request += 1
        self._loading_id = session_id
        request = self._open_request
        job.succeeded.connect(lambda loaded: self._on_session_loaded(request, name, loaded))
        self.title.setText(f"Loading session {name}…")
        self._run(job)

    def fit_list(self) -> None:
        """Give the session list the width of its columns (capped), unless the
        user has already chosen one. On a narrow screen the list goes above
        the session instead, a few rows high, and both have the full width."""
        stacked = self.width() < STACK_WIDTH_PX
        orientation = Qt.Orientation.Vertical if stacked else Qt.Orientation.Horizontal
        if self.splitter.orientation() != orientation:
            self.splitter.setOrientation(orientation)
            self._list_width_chosen = False
        if self._list_width_chosen:
            return
        # Stacked, the list's chosen row names the session: its title gives the plot the room.
        self.title.setVisible(not stacked)
        short = stacked and self.height() < SHORT_HEIGHT_PX
        self.summary_scroll.setVisible(not short)
        self.rep_table.setToolTip(plain_tooltip(self.set_summary.text()) if short else "")
        self._fit_summary()
        if stacked:
            total = self.splitter.height()
            rows = self.table.verticalHeader().defaultSectionSize()
            list_h = min(self.table.horizontalHeader().sizeHint().height()
                         + (1 if short else STACKED_LIST_ROWS) * rows
                         + 2 * self.table.frameWidth(),
                         int(total * MAX_LIST_FRACTION))
            if total > 0:
                self.splitter.setSizes([list_h, total - list_h - self.splitter.handleWidth()])
        else:
            total = self.splitter.width()
            if total <= 0:
                return
            list_w = min(self.table.content_width(), int(total * MAX_LIST_FRACTION))
            self.splitter.setSizes([list_w, total - list_w - self.splitter.handleWidth()])
        self.table.balance_columns()
        self.rep_table.balance_columns()

    def _on_splitter_moved(self, _pos: int, _index: int) -> None:
        self._list_width_chosen = True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.fit_list()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_list()
        self._fit_summary()

    def _update_buttons(self) -> None:
        # A team session is deleted or corrected by a coach on the server (docs/team.md).
        chosen = self.table.currentIndex().isValid()
        self.delete_button.setEnabled(chosen and not self.team_mode)
        self.export_button.setEnabled(chosen)
        self._update_correction_buttons()

    def _update_correction_buttons(self) -> None:
        # A team session travels as its judge stored it: corrections are the station's.
        for button in (self.correct_button, self.undo_button):
            button.setVisible(not self.team_mode)
        # One still recording is corrected in the Live tab (its Undo takes back its own).
        own = (self.current is not None and not self.team_mode and not self._correcting
               and self.current.info.ended_at is not None)
        rep = self.selected_rep() if own else None
        self.correct_button.setEnabled(own)
        for action in self.correction_actions.values():
            action.setEnabled(rep is not None)
        if rep is not None:
            self.correction_actions[MARK_VALID].setEnabled(rep.valid is not True)
            self.correction_actions[MARK_NO_REP].setEnabled(rep.valid is not False)
        self.undo_button.setEnabled(own and self.current.corrections > 0)

    def _show_nothing(self) -> None:
        self.current = None
        self.title.setText("Choose a session")
        self.plot.clear_session()
        self.rep_model.set_reps([])
        self.set_summary.clear()
        self._update_correction_buttons()

    @Slot(object)
    def _on_team_sessions_loaded(self, result) -> None:
        rows, stations, athletes = result
        for combo, everyone, names in ((self.station_filter, ALL_STATIONS, stations),
                                       (self.athlete_filter, ALL_ATHLETES, athletes)):
            chosen = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems([everyone, *names])
            combo.setCurrentText(chosen if chosen in names else everyone)
            combo.blockSignals(False)
        self._on_sessions_loaded(rows)

    @Slot(object)
    def _on_sessions_loaded(self, rows: list[SessionRow]) -> None:
        chosen = self.selected_row()
        self.model.set_rows(rows)
        self.fit_list()
        self.banner.show_message("")
        row = None if chosen is None else self.model.row_like(chosen)
        if row is not None:
            self.table.selectionModel().blockSignals(True)
            self.table.selectRow(row)
            self.table.selectionModel().blockSignals(False)
        elif chosen is not None:
            self._show_nothing()
        self._update_buttons()
        self.sessions_listed.emit(len(rows))

    def _on_current_row_changed(self, current, previous) -> None:
        self._update_buttons()
        if current.isValid():
            self._load(self.model.row_at(current.row()))

    def _on_filter_changed(self, _index: int) -> None:
        if self.team_mode:
            self.refresh()

    def _on_session_loaded(self, request: int, name: str, loaded: LoadedSession) -> None:
        if request != self._open_request:
            return                        # the user has opened another one since
        self.current = loaded
        info = loaded.info
        self.title.setText(f"Session {name} — {info.athlete_name or 'no athlete'}"
                           f", {format_duration(info.duration_s)}")
        self.plot.show_session(loaded)
        self.rep_model.set_reps(loaded.reps)
        keep, self._keep_rep = self._keep_rep, None
        row = next((i for i, r in enumerate(loaded.reps)
                    if keep is not None and (r.set_index, r.rep_index) >= keep), None)
        if row is None and keep is not None and loaded.reps:
            row = len(loaded.reps) - 1
        if row is not None:
            self.rep_table.selectRow(row)
        self._update_correction_buttons()
        self.set_summary.setText("\n".join(session_summary(loaded.sets_in_order()))
                                 or "No set was recorded in this session.")
        self._fit_summary()
        if self.summary_scroll.isHidden():
            self.rep_table.setToolTip(plain_tooltip(self.set_summary.text()))
        self.session_opened.emit(info.id)

    @Slot(object)
    def _on_session_deleted(self, session_id: int) -> None:
        if self._loading_id == session_id:
            self._open_request += 1       # an open still running would bring it back
        if self.current is not None and self.current.info.id == session_id:
            self._show_nothing()
        self.session_deleted.emit(session_id)
        self.refresh()

    @Slot(str)
    def _on_job_failed(self, message: str) -> None:
        if self.team_mode:
            message = team_failure_text(message)
        self.banner.show_message(message)
        if self.title.text().startswith("Loading"):
            self.title.setText("Could not open the session")
        self.failed.emit(message)

    def _on_delete_clicked(self) -> None:
        session_id = self.selected_session_id()
        if session_id is not None:
            self.delete_session(session_id)

    def _on_export_clicked(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        # Imported here: export_dialog uses this package's jobs (a cycle at import time).
        from ..export_dialog import TeamCopy, export_with_dialog
        if self.export_run is not None and self.export_run.is_running():
            self.banner.show_message("An export is still running; wait for it to finish.")
            return
        team = (None if not row.station or row.uid is None
                else TeamCopy(self.team_server, row.station, row.uid, self.team_pool))
        self.export_run = export_with_dialog(self, self.db_path, row.session_id, team=team)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)

"""The live tab: connection and set controls at the side, the plot in the
middle, the rep counter, last rep and rep table where a lifter looks."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QDoubleSpinBox, QFrame, QGroupBox, QHBoxLayout, QLineEdit,
    QPushButton, QScrollArea, QVBoxLayout, QWidget,
)

from ...analysis import Rep, SetResult, SetStarted
from ...link import LinkState, ReconnectCause, StreamResumed, StreamStalled
from ...progress import athlete_progress
from ...protocol.sentences import Hello
from ...storage import Database, StorageError
from ...storage.corrections import MARK_NO_REP, MARK_VALID
from ...vocabulary import short_verdict_label
from .. import theme
from ..acquisition import AcquisitionController
from .banner import ActionBanner, Banner
from .connection_panel import ConnectionPanel
from .counter import LastRepView, RepCounterView
from .plot import WINDOWS_S, SessionBuffersView, StreamState
from .rep_table import RepTableModel, RepTableView
from .set_controls import SetControls
from .station_health import StationHealthView
from .workout import WorkoutBar, WorkoutRunner

UNDO = "undo"
# The buttons beside the counter: (key, text, tooltip). They act on the newest rep.
LIVE_CORRECTIONS = (
    (MARK_VALID, "✓", "Valid: count the newest rep (the coach overrules the judge)"),
    (MARK_NO_REP, "✗", "No-rep: do not count the newest rep (the coach overrules the judge)"),
    (UNDO, "↶", "Undo: take back the newest correction"),
)
# Short: on an 800x480 screen a long banner leaves the curves no room.
SCENARIO_ENDED_TEXT = "The simulated scenario has ended"
SCENARIO_ENDED_TIP = ("Nobody comes to the bar any more: restart the scenario to play it "
                      "again as a new session")
RESTART_SCENARIO_TEXT = "Restart the scenario"
NO_BEST_TEXT = ("No best peak yet: the athlete needs a name and a valid inverted row recorded "
                "on this station")
# How long "saving works again" stays in the banner before it clears.
RECOVERED_SHOWN_MS = 4000
UNPLUGGED_TEXT = "Station unplugged: recording continues when it is back (reconnecting…)"
# The banner while reconnecting, by what happened (the link's ReconnectCause).
RECONNECTING_TEXT = {
    ReconnectCause.PORT_LOST: UNPLUGGED_TEXT,
    ReconnectCause.SILENT: "The station stopped sending: recording continues when it is back "
                           "(reconnecting…)",
    ReconnectCause.ANOTHER_STATION: "Another station answered on this port: its data is not "
                                    "recorded (waiting for yours…)",
}


# Below this width (px) the settings panel hides once a station is connected:
# the plot and the counter need the room more (a 1366, 1024 or 800 px screen).
COMPACT_WIDTH_PX = 1400
# Below this width the settings, while shown, take the counter's room.
NARROW_WIDTH_PX = 1180
# Below this height (px) the rep table gives its room to the counter and last
# rep; below the next, the counter is smaller, so a set of 8 reps shows whole.
SHORT_HEIGHT_PX = 560
MEDIUM_HEIGHT_PX = 780
MIN_WIDTH_PX, MIN_HEIGHT_PX = 480, 300
# The plot's state line, by the link's state.
PLOT_STATE = {
    LinkState.CLOSED: StreamState.DISCONNECTED,
    LinkState.CONNECTING: StreamState.CONNECTING,
    LinkState.IDLE: StreamState.IDLE,
    LinkState.STREAMING: StreamState.LIVE,
    LinkState.RECONNECTING: StreamState.RECONNECTING,
}


class LiveView(QWidget):
    """The live tab. Its layout adapts: the settings panel (station, set)
    hides during a set, and on a narrow screen once connected (the Settings
    button brings it back); the rep table gives way on a short screen; rack
    mode shows only the counter, the curve and the last rep, large."""

    window_changed = Signal(int)
    units_changed = Signal(bool)          # True: % body mass
    rack_mode_changed = Signal(bool)

    def __init__(self, controller: AcquisitionController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.banner = Banner()
        self.scenario_notice = ActionBanner()     # the simulated scenario has ended
        self.station_health = StationHealthView()
        self._stall_text: str | None = None     # the banner's text for the stall now shown
        self._storage_text: str | None = None   # the banner's text for saving failing / again
        self._recovered_timer = QTimer(self)
        self._recovered_timer.setSingleShot(True)
        self._recovered_timer.setInterval(RECOVERED_SHOWN_MS)
        self._recovered_timer.timeout.connect(self._clear_storage_banner)
        self.connection = ConnectionPanel()
        self.set_controls = SetControls()
        self.plot = SessionBuffersView(controller.buffers)
        self.counter = RepCounterView()
        # The coach overrules the judge on the newest rep (earlier ones: History),
        # beside the counter that shows its verdict.
        self.correction_buttons = {}
        fix = QVBoxLayout()       # a column beside the counter: no height taken from it
        fix.setContentsMargins(0, 0, 0, 0)
        for key, text, tip in LIVE_CORRECTIONS:
            button = QPushButton(text)
            button.setToolTip(tip)
            button.setFont(theme.font(1.3, bold=True))
            button.setMinimumWidth(button.sizeHint().width())   # the glyph whole, never cut
            fix.addWidget(button)
            self.correction_buttons[key] = button
        fix.addStretch(1)
        self.correction_bar = QWidget()
        self.correction_bar.setLayout(fix)
        self.last_rep = LastRepView()
        # The article's workout, when one runs: its place over the plot and counter.
        self.workout = WorkoutRunner(controller, self)
        self.workout.apply_labels = lambda level: self.set_controls.show_labels(
            level.variant, level.added_load_kg)
        self.workout.show_exercise = self.set_controls.show_exercise
        self.workout_bar = WorkoutBar(self.workout)
        self.workout.changed.connect(self._update_layout)
        self.rep_model = RepTableModel(self)
        self.rep_table = RepTableView(self.rep_model)

        self.window_buttons = QButtonGroup(self)
        self.settings_button = QPushButton("⚙ Settings")
        self.settings_button.setCheckable(True)
        self.settings_button.setToolTip("show or hide the station and set settings "
                                        "(hidden by themselves during a set and on a small screen)")
        self.rack_button = QPushButton("Rack mode (R)")
        self.rack_button.setCheckable(True)
        self.rack_button.setToolTip("counter, curve and last rep over the whole screen, "
                                    "read from the rack")
        self.pause_button = QPushButton("Pause (P)")
        self.pause_button.setCheckable(True)
        bar = QHBoxLayout()           # always on screen: what a coach presses during a set
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.settings_button)
        bar.addWidget(self.set_controls.start_stop)
        for seconds in WINDOWS_S:
            button = QPushButton(f"{seconds} s")
            button.setCheckable(True)
            button.setToolTip(f"show the last {seconds} s (key {WINDOWS_S.index(seconds) + 1})")
            self.window_buttons.addButton(button, seconds)
            bar.addWidget(button)
        self.window_buttons.button(self.plot.window_s).setChecked(True)
        bar.addWidget(self.pause_button)
        bar.addStretch(1)
        bar.addWidget(self.rack_button)
        self.controls_bar = QWidget()
        self.controls_bar.setLayout(bar)
        # Narrower padding than the theme's: the bar fits an 800 px screen whole.
        self.controls_bar.setStyleSheet("QPushButton { padding: 0.3em 0.55em; }")
        self.units_button = QPushButton("Force in N")
        self.units_button.setCheckable(True)
        self.units_button.setToolTip("force in newtons or in % of body mass")

        side = QVBoxLayout()
        side.setContentsMargins(0, 0, 0, 0)
        for title, widget in (("Station", self.connection), ("Set", self.set_controls)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            side.addWidget(box)
        side.addWidget(self.units_button)
        side.addStretch(1)
        self.side_panel = QWidget()
        self.side_panel.setLayout(side)
        side_scroll = QScrollArea()        # a short screen scrolls the settings, never cuts them
        side_scroll.setWidget(self.side_panel)
        side_scroll.setWidgetResizable(True)
        side_scroll.setFrameShape(QFrame.NoFrame)
        side_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        side_scroll.setFixedWidth(self.side_panel.sizeHint().width()
                                  + side_scroll.verticalScrollBar().sizeHint().width())
        self.side = side_scroll

        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.counter, 1)
        top.addWidget(self.correction_bar)
        right.addLayout(top)
        self.last_rep_box = QGroupBox("Last rep")
        QVBoxLayout(self.last_rep_box).addWidget(self.last_rep)
        right.addWidget(self.last_rep_box)
        right.addWidget(self.rep_table, 1)       # every spare pixel: the set's reps
        right.addStretch(0)        # takes the spare pixels only while the table is hidden
        self.right_column = QWidget()
        self.right_column.setLayout(right)

        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.side)
        body.addWidget(self.plot, 5)
        body.addWidget(self.right_column, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.scenario_notice)
        layout.addWidget(self.station_health)
        layout.addWidget(self.controls_bar)
        layout.addWidget(self.workout_bar)
        layout.addLayout(body, 1)

        self.rack_mode = False
        self._side_choice: bool | None = None     # the coach's own show / hide, until a set
        self._compact: bool | None = None
        theme.make_touchable(*self.findChildren(QPushButton), *self.findChildren(QComboBox),
                             *self.findChildren(QLineEdit), *self.findChildren(QDoubleSpinBox))
        for w in self.findChildren(QPushButton):
            w.setFocusPolicy(Qt.NoFocus)      # Space belongs to the set, not to a button
        self.window_buttons.idClicked.connect(self.set_window)
        self.settings_button.clicked.connect(self._on_settings_clicked)
        self.rack_button.clicked.connect(self.set_rack_mode)
        self.units_button.toggled.connect(self._on_units_toggled)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.plot.paused_changed.connect(self._on_plot_paused)
        for key in (MARK_VALID, MARK_NO_REP):
            self.correction_buttons[key].clicked.connect(
                lambda _=False, action=key: self.correct_last_rep(action))
        self.correction_buttons[UNDO].clicked.connect(self.undo_correction)
        controller.corrections_changed.connect(self._on_corrections_changed)
        self._update_correction_buttons()
        self.set_controls.start_stop_requested.connect(self.toggle_set)
        self.set_controls.variant_changed.connect(controller.set_variant)
        self.set_controls.exercise_changed.connect(self.set_exercise)
        self.set_controls.target_changed.connect(self.plot.set_target_pct_bm)
        self.set_controls.best_target_toggled.connect(lambda _on: self.show_best_target())
        self.set_controls.note_requested.connect(self.note_last_set)
        self.connection.disconnect_requested.connect(controller.disconnect)
        controller.connection_started.connect(self._on_connection_started)
        controller.connected.connect(self._on_connected)
        controller.athlete_changed.connect(lambda _result: self._begin_session())
        controller.connection_failed.connect(self._on_connection_failed)
        controller.disconnected.connect(self._on_disconnected)
        controller.stepped.connect(self._on_stepped)
        controller.station_health_changed.connect(self.station_health.show_health)
        controller.rep_completed.connect(self._on_rep_completed)
        controller.set_started.connect(self._on_set_started)
        controller.set_ended.connect(self._on_set_ended)
        controller.state_changed.connect(self._on_state_changed)
        controller.link_lost.connect(self._on_link_lost)
        controller.stream_stalled.connect(self._on_stream_stalled)
        controller.stream_resumed.connect(self._on_stream_resumed)
        controller.storage_failed.connect(self._on_storage_failed)
        controller.storage_recovered.connect(self._on_storage_recovered)
        controller.recording_stopped.connect(self._on_recording_stopped)
        controller.scenario_ended.connect(self._on_scenario_ended)
        self.scenario_notice.action_clicked.connect(controller.restart_scenario)
        self.workout_bar.log_button.clicked.connect(self.log_workout_set)

    # -- actions (buttons and shortcuts) ---------------------------------------

    def toggle_set(self) -> None:
        if self.controller.set_open:
            self.controller.end_set()
        else:
            self.controller.start_set()

    def correct_last_rep(self, action: str) -> None:
        """The coach's verdict on the newest rep (corrections.MARK_VALID / MARK_NO_REP)."""
        problem = self.controller.correct_last_rep(action)
        if problem is not None:
            self.banner.show_message(problem)

    def note_last_set(self, rpe: float | None, notes: str | None) -> None:
        """The athlete's RPE and the coach's note on the set just ended."""
        problem = self.controller.note_last_set(rpe, notes)
        if problem is not None:
            self.banner.show_message(problem)
        else:
            self.set_controls.clear_note()

    def show_best_target(self) -> None:
        """With Set → Target → Best, the line at the athlete's best peak so far
        (progress.AthleteProgress, as Progress charts it); else none of that."""
        session = self.controller.session
        if not self.set_controls.best_button.isChecked():
            self.plot.set_target_n(None)
            return
        best = None
        if session is not None and session.athlete:
            try:
                with Database(self.controller.db_path, read_only=True) as db:
                    best = athlete_progress(db, session.athlete).best_peak_force_n
            except (StorageError, ValueError) as exc:    # ValueError: a damaged stored date
                self._say_if_free(f"The best peak could not be read: {exc}")
        if best is None:
            self._say_if_free(NO_BEST_TEXT)
        self.plot.set_target_n(best)

    def _say_if_free(self, text: str) -> None:
        """In the banner unless it says something else (a stall, saving failing)."""
        if self.banner.isHidden() or self.banner.text() in (NO_BEST_TEXT, text):
            self.banner.show_message(text)

    def set_exercise(self, exercise: str) -> None:
        """The exercise the station judges from the next set on."""
        problem = self.controller.set_exercise(exercise)
        if problem is not None and self.controller.session is not None:
            self.banner.show_message(problem)

    def log_workout_set(self) -> None:
        """The coach logs the workout's dumbbell set: its rest begins."""
        bar = self.workout_bar
        problem, rest = self.workout.log_set(bar.reps_box.value(), bar.load_box.value() or None)
        if problem is not None:
            self.banner.show_message(problem)
            return
        walker = self.workout.walker
        self.counter.end_set(len(walker.done) if walker else 0, rest)

    def undo_correction(self) -> None:
        problem = self.controller.undo_correction()
        if problem is not None:
            self.banner.show_message(problem)

    def toggle_pause(self) -> None:
        self.plot.toggle_pause()

    def set_window(self, seconds: int) -> None:
        self.window_buttons.button(seconds).setChecked(True)
        self.plot.set_window(seconds)
        self.window_changed.emit(seconds)

    def set_percent_body_mass(self, on: bool) -> None:
        self.units_button.setChecked(on)

    def toggle_rack_mode(self) -> None:
        self.set_rack_mode(not self.rack_mode)

    def set_rack_mode(self, on: bool) -> None:
        """Counter, curve and last rep only, large; the window's owner goes
        full screen on ``rack_mode_changed``."""
        on = bool(on)
        self.rack_button.setChecked(on)
        self.rack_button.setText("Leave rack mode (R)" if on else "Rack mode (R)")
        if on == self.rack_mode:
            return
        self.rack_mode = on
        for w in (self.settings_button, self.pause_button, *self.window_buttons.buttons()):
            w.setVisible(not on)
        self.last_rep.set_large(on)
        self.plot.set_large(on)
        self._update_layout()
        self.rack_mode_changed.emit(on)

    @property
    def settings_shown(self) -> bool:
        return not self.side.isHidden()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt API
        """Small: the window may be as small as the screen (800x480) and the
        layout then makes room (``_update_layout``), rather than the sum of
        every panel's minimum forbidding it."""
        return QSize(MIN_WIDTH_PX, MIN_HEIGHT_PX)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        compact = self.width() < COMPACT_WIDTH_PX
        if compact != self._compact:
            self._compact = compact
            self._side_choice = None       # a new screen size: the layout decides again
        self._update_layout()

    def _update_layout(self) -> None:
        connected = self.controller.is_connected or self.controller.session is not None
        auto = not self.controller.set_open and (not self._compact or not connected)
        show_side = not self.rack_mode and (auto if self._side_choice is None
                                            else self._side_choice)
        short = self.height() < SHORT_HEIGHT_PX
        self.side.setVisible(show_side)
        self.settings_button.setChecked(show_side)
        # Narrow and showing the settings: they take the counter's room for now.
        self.right_column.setVisible(not (self.width() < NARROW_WIDTH_PX and show_side))
        self.rep_table.setVisible(not self.rack_mode and not short)
        self.workout_bar.hidden_by_rack = self.rack_mode
        self.workout_bar.show_place()
        # Short, a workout's bar takes the last rep's room (the rep table's is gone already).
        self.last_rep_box.setVisible(self.rack_mode or not (short and self.workout_bar.isVisible()))
        self.counter.set_size(self.rack_mode, "short" if short else
                              "medium" if self.height() < MEDIUM_HEIGHT_PX else "tall")

    def _on_settings_clicked(self, checked: bool) -> None:
        self._side_choice = checked
        self._update_layout()

    # -- slots ------------------------------------------------------------------------

    def _on_units_toggled(self, on: bool) -> None:
        self.plot.set_percent_body_mass(on)
        shown = self.plot.percent_body_mass
        self.units_button.setText("Force in % BM" if shown else "Force in N")
        if on and not shown:
            self.units_button.setChecked(False)
            self.banner.show_message("Enter the athlete's body mass to show % body mass")
        self.units_changed.emit(shown)

    def _on_pause_toggled(self, on: bool) -> None:
        if on != self.plot.paused:
            self.plot.toggle_pause()

    def _on_plot_paused(self, paused: bool) -> None:
        self.pause_button.setChecked(paused)
        self.pause_button.setText("Resume (P)" if paused else "Pause (P)")

    def _on_connection_started(self, url: str) -> None:
        self.banner.hide()
        self.scenario_notice.hide()
        self.station_health.clear_health()
        self.connection.set_state(LinkState.CONNECTING)
        self.plot.set_connection(PLOT_STATE[LinkState.CONNECTING])

    def _on_connected(self, hello: Hello) -> None:
        self._begin_session()

    def _begin_session(self) -> None:
        """A session begins recording: connected, or another athlete stepped up."""
        session = self.controller.session
        self.plot.set_buffers(self.controller.buffers)
        if session is not None:
            self.plot.body_mass_kg = session.body_mass_kg
            self.plot.set_contact_mm(session.contact_mm)
            self.controller.set_variant(self.set_controls.variant,
                                        self.set_controls.added_load_kg)
        self.plot.set_percent_body_mass(self.units_button.isChecked())
        self.rep_model.clear()
        self.last_rep.clear()
        self.counter.reset()          # a new session counts from nothing
        self.set_controls.set_open(False)
        if session is not None and session.exercise != self.set_controls.exercise:
            self.controller.set_exercise(self.set_controls.exercise)   # chosen meanwhile
        self.show_best_target()       # the athlete's own best
        self.workout.session_began()  # last: a workout's step sets the exercise and labels
        self._update_correction_buttons()
        self._update_layout()

    def _on_connection_failed(self, message: str) -> None:
        self.connection.set_state(LinkState.CLOSED)
        self.plot.set_connection(PLOT_STATE[LinkState.CLOSED])
        self.banner.show_message(f"Could not connect: {message}", "error")

    def _on_disconnected(self, _result: object) -> None:
        self.counter.stop_rest()
        self._update_correction_buttons()
        self.connection.set_state(LinkState.CLOSED)
        self.plot.set_connection(PLOT_STATE[LinkState.CLOSED])
        self.station_health.clear_health()
        self.set_controls.set_open(False)
        self._side_choice = None
        self._update_layout()

    def _on_stepped(self, _step: object) -> None:
        if self.isVisible():
            self.plot.refresh()

    def _on_rep_completed(self, rep: Rep) -> None:
        self.counter.add_rep(rep)
        self.last_rep.show_rep(rep)
        self.rep_model.add_rep(rep)
        session = self.controller.session
        current = None if session is None else session.current_set
        if current is not None and current.index == rep.set_index:
            self.counter.show_velocity_loss(current.velocity_loss_pct,
                                            self.set_controls.stop_loss_pct)
        self._update_correction_buttons()

    def _on_corrections_changed(self, records) -> None:
        sets, reps = records
        self.rep_model.apply_corrections(reps)
        counted = next((s for s in sets if s.set_index == self.counter.set_index), None)
        if counted is not None:
            last = next((r for r in reversed(reps) if r.set_index == counted.set_index), None)
            self.counter.show_corrected(
                counted.valid_reps, counted.no_reps,
                None if last is None else short_verdict_label(last.valid, last.reason,
                                                              last.judged),
                None if last is None else last.valid)
        self._update_correction_buttons()

    def _update_correction_buttons(self) -> None:
        session = self.controller.session
        newest = None if session is None else session.newest_rep
        # the newest rep is the counted set's: what the buttons change is in sight
        has_rep = newest is not None and newest[0] == self.counter.set_index
        self.correction_buttons[MARK_VALID].setEnabled(has_rep)
        self.correction_buttons[MARK_NO_REP].setEnabled(has_rep)
        self.correction_buttons[UNDO].setEnabled(session is not None
                                                 and bool(session.corrections))

    def _on_set_started(self, event: SetStarted) -> None:
        current = self.controller.session.current_set \
            if self.controller.session else None
        self.counter.start_set(event.set_index, bool(current and current.manual))
        self.rep_model.clear()
        self.set_controls.set_open(True)
        self._side_choice = None           # a set takes the room: the settings hide
        self._update_layout()

    def _on_set_ended(self, result: SetResult) -> None:
        rest = self.workout.set_ended(result)     # the plan's rest, when it is the plan's set
        self.counter.end_set(result.index, self.set_controls.rest_s if rest is None else rest)
        self.set_controls.set_open(False)
        self._side_choice = None
        self._update_layout()

    def _on_state_changed(self, state: LinkState) -> None:
        self.connection.set_state(state)
        self.plot.set_connection(PLOT_STATE[state])
        if state is LinkState.RECONNECTING:
            if not self._banner_shows(*RECONNECTING_TEXT.values()):
                self.banner.show_message(UNPLUGGED_TEXT)   # link_lost words it when it comes
        elif state is LinkState.STREAMING and self._banner_shows(*RECONNECTING_TEXT.values()):
            self.banner.hide()

    def _on_link_lost(self, cause: ReconnectCause) -> None:
        self.banner.show_message(RECONNECTING_TEXT[cause])

    def _on_stream_stalled(self, event: StreamStalled) -> None:
        self._stall_text = event.message
        self.banner.show_message(event.message)

    def _on_stream_resumed(self, _event: StreamResumed) -> None:
        if self._stall_text is not None and self._banner_shows(self._stall_text):
            self.banner.hide()
        self._stall_text = None

    def _banner_shows(self, *texts: str) -> bool:
        return not self.banner.isHidden() and self.banner.text() in texts

    def _on_storage_failed(self, message: str) -> None:
        self._storage_text = message
        self.banner.show_message(message, "error")

    def _on_storage_recovered(self, message: str) -> None:
        """Said where the failure was, then cleared after a few seconds."""
        if self._storage_text is not None and not self._banner_shows(self._storage_text):
            self._storage_text = None
            return      # something newer is shown; the failure was already replaced
        self._storage_text = message
        self.banner.show_message(message)
        self._recovered_timer.start()

    def _clear_storage_banner(self) -> None:
        if self._storage_text is not None and self._banner_shows(self._storage_text):
            self.banner.hide()
        self._storage_text = None

    def _on_scenario_ended(self, _url: str) -> None:
        self.scenario_notice.show_message(SCENARIO_ENDED_TEXT, RESTART_SCENARIO_TEXT)
        self.scenario_notice.setToolTip(SCENARIO_ENDED_TIP)

    def _on_recording_stopped(self, message: str) -> None:
        self._storage_text = None
        self.banner.show_message(message, "error")

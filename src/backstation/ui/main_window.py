"""The main window: Live / History / Progress tabs, the calibration actions,
the keyboard shortcuts a lifter uses with chalky hands, the status bar (stream
health), a toast for what an action did, rack mode's full screen.

"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLabel, QMainWindow, QTabWidget, QWidget

from ..device.sim.scenarios import DEFAULT_SCENARIO
from ..link import find_ports
from ..resources import SOUNDS_FOLDER
from ..session import SessionOptions
from ..storage import Database, StorageError
from ..team.background import DONE, FAILED, UPLOADING
from ..team.pool import TeamPool
from . import settings as cfg
from . import theme
from .acquisition import AcquisitionController
from .audio import RepCues
from .calibration import CalibrationWizard, ContactCalibrationDialog
from .history import HistoryView, ProgressView
from .history.view import TEAM_SESSIONS_SHORTCUT
from .live.connection_panel import SIMULATED, simulated_url
from .live.set_controls import DEFAULT_REST_S, DEFAULT_STOP_LOSS_PCT
from .live.health import StreamHealthView
from .live.live_view import LiveView
from .live.workout import WorkoutDialog
from .roster import RosterDialog
from .plain_text import plain_label
from .team_sync import TeamSync, TeamSyncStatus
from .toast import Toast, command_done_text, command_failed_text

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1400, 860)       # shrunk to the screen's free area when smaller


class MainWindow(QMainWindow):
    def __init__(self, db_path: Path, *, audio_folder: Path | None = None,
                 port_lister=find_ports, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Back Station")
        self.db_path = Path(db_path)
        self._port_lister = port_lister
        self.settings = cfg.open_settings()
        self.controller = AcquisitionController(self.db_path, self)
        self.live = LiveView(self.controller)
        self.cues = RepCues(audio_folder or SOUNDS_FOLDER, self)
        self.health = StreamHealthView()
        self.statusBar().addPermanentWidget(self.health, 1)
        # Finished sessions go to the team server in the background, if one is set.
        self.team_server: str | None = None
        self.settings_problem: QLabel | None = None     # a team_server that is no name
        try:
            self.team_server = cfg.team_server(self.settings)
        except ValueError as exc:
            self.settings_problem = plain_label(QLabel(str(exc)))
            self.settings_problem.setStyleSheet(f"color: {theme.WARNING};")
            self.statusBar().addPermanentWidget(self.settings_problem)
        self.team_pool: TeamPool | None = None
        self.team_sync: TeamSync | None = None
        self.team_status: TeamSyncStatus | None = None
        if self.team_server is not None:
            # One pool of connections to the server (opened on first use),
            # shared by the uploads and History/Progress; closed last.
            self.team_pool = TeamPool(self.team_server)
            self.team_sync = TeamSync(self.db_path, self.team_server, self, pool=self.team_pool)
            self.team_status = TeamSyncStatus(self.team_server)
            self.team_sync.state_changed.connect(self.team_status.show_state)
            self.team_sync.state_changed.connect(self._on_team_sync_state)
            self._team_uploading = False
            self.statusBar().addPermanentWidget(self.team_status)
        self._dialogs: list[QWidget] = []
        self._has_shut_down = False

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.live, "Live")
        self.history = HistoryView(self.db_path, team_server=self.team_server,
                                   team_pool=self.team_pool)
        self.progress = ProgressView(self.db_path, team_server=self.team_server,
                                     team_pool=self.team_pool)
        self.history.session_corrected.connect(lambda _id: self.progress.refresh())
        self.tabs.addTab(self.history, "History")
        self.tabs.addTab(self.progress, "Progress")
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.setCentralWidget(self.tabs)
        self.toast = Toast(self)
        self._geometry_before_rack = None

        self._make_actions()
        self.live.connection.connect_requested.connect(self.connect_to)
        self.live.connection.refresh_requested.connect(self.refresh_ports)
        self.live.connection.athlete_changed.connect(self._on_athlete_chosen)
        self.controller.athlete_changed.connect(self._on_athlete_handed_over)
        self.controller.athlete_unchanged.connect(self._on_athlete_unchanged)
        self.live.window_changed.connect(lambda s: self.settings.setValue("window_s", s))
        self.live.units_changed.connect(lambda on: self.settings.setValue("percent_bm", on))
        self.live.set_controls.rest_changed.connect(
            lambda s: self.settings.setValue("rest_s", s))
        self.live.set_controls.stop_loss_changed.connect(
            lambda pct: self.settings.setValue("stop_loss_pct", pct))
        self.live.set_controls.target_changed.connect(
            lambda pct: self.settings.setValue("target_pct_bm", pct))
        self.controller.rep_completed.connect(self._on_rep_completed)
        self.live.counter.rest_over.connect(lambda _set: self.cues.cue("rest_over"))
        self.live.workout.cue.connect(self.cues.cue)
        self.live.workout.db_path = self.db_path
        self.live.counter.velocity_stop.connect(lambda _set, _loss: self.cues.cue("stop"))
        self.controller.stats_changed.connect(self.health.show_health)
        self.controller.message_posted.connect(self._on_message_posted)
        self.controller.command_finished.connect(self._on_command_finished)
        self.controller.command_failed.connect(self._on_command_failed)
        self.controller.disconnected.connect(self._on_disconnected)
        self.controller.connected.connect(self._on_connected)
        self.live.rack_mode_changed.connect(self._on_rack_mode_changed)
        self._restore_settings()
        self.refresh_ports()
        self.refresh_roster()
        if self.team_sync is not None:
            self.team_sync.start()          # what earlier runs left pending
            self.show_team_sessions(True)

    def _make_actions(self) -> None:
        menu = self.menuBar()
        station = menu.addMenu("&Station")
        view = menu.addMenu("&View")
        self.actions: dict[str, QAction] = {}

        def add(key: str, text: str, shortcut, slot, menu_=station) -> QAction:
            action = QAction(text, self)
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ApplicationShortcut)
            action.triggered.connect(slot)
            menu_.addAction(action)
            self.addAction(action)
            self.actions[key] = action
            return action

        add("set", "Start / end set", Qt.Key_Space, self.live.toggle_set)
        add("tare", "Tare", Qt.Key_T, lambda: self.controller.tare())
        add("wizard", "Calibration wizard…", Qt.Key_C, self.open_calibration_wizard)
        add("contact", "Contact calibration…", "Shift+C", self.open_contact_calibration)
        add("roster", "Athletes…", Qt.Key_A, self.open_roster)
        add("workout", "Workout…", Qt.Key_W, self.open_workout)
        add("rate80", "Ask for 80 SPS", "Ctrl+R", lambda: self.controller.set_rate(80))
        add("team_server", "Team server…", "", self.choose_team_server)
        station.addSeparator()
        add("quit", "Quit", "Ctrl+Q", self.close)
        add("pause", "Pause / resume scrolling", Qt.Key_P, self.live.toggle_pause, view)
        for i, seconds in enumerate((10, 30, 60), start=1):
            add(f"window{seconds}", f"Last {seconds} s", str(i),
                lambda _=False, s=seconds: self.live.set_window(s), view)
        add("fullscreen", "Full screen", Qt.Key_F11, self.toggle_full_screen, view)
        add("rack", "Rack mode", Qt.Key_R, self.live.toggle_rack_mode, view)
        mute = add("mute", "Sound cues", "M", self._on_mute_toggled, view)
        mute.setCheckable(True)
        mute.setChecked(True)
        if self.team_server is not None:
            # History and Progress show the team's sessions (every station's)
            # while this is on, this station's own while it is off.
            team = add("team", f"Team's sessions ({self.team_server})",
                       TEAM_SESSIONS_SHORTCUT, self.show_team_sessions, view)
            team.setCheckable(True)

    # -- connection ---------------------------------------------------------------

    def refresh_ports(self) -> None:
        try:
            ports = self._port_lister()
        except Exception as exc:   # noqa: BLE001 - a broken port scan must not stop the app
            log.warning("port scan failed: %s", exc)
            ports = []
        self.live.connection.set_ports(ports, cfg.value(self.settings, "port", None))

    def remember_choices(self) -> None:
        panel = self.live.connection
        self.settings.setValue("port", panel.port_box.currentData())
        self.settings.setValue("scenario", panel.scenario_box.currentText())
        self.settings.setValue("athlete", panel.athlete or "")
        self.settings.setValue("body_mass_kg", panel.body_mass.value())

    def refresh_roster(self) -> None:
        """The roster's names offered in the athlete box (none before any recording)."""
        try:
            with Database(self.db_path, read_only=True) as db:
                roster = [(a.name, a.body_mass_kg) for a in db.list_athletes()]
        except StorageError:
            roster = []      # no database yet, or History says what is wrong with it
        self.live.connection.set_roster(roster)

    def athlete_refusal(self, name: str | None) -> str | None:
        """Why ``name`` is not recorded under: a new name that looks like a
        typo of one on the roster (``Database.athlete_refusal``); else None."""
        if name is None:
            return None
        try:
            with Database(self.db_path, read_only=True) as db:
                refusal = db.athlete_refusal(name)
        except StorageError:
            return None
        return None if refusal is None else f"{refusal} (Athletes… adds a new athlete)"

    def connect_to(self, url: str) -> None:
        panel = self.live.connection
        athlete, mass = panel.athlete, panel.body_mass_kg
        refusal = self.athlete_refusal(athlete)
        if refusal is not None:
            self.show_message(refusal, "error")
            return
        self.remember_choices()
        self.controller.connect_to(url, SessionOptions(
            athlete=athlete, body_mass_kg=mass, exercise=self.live.set_controls.exercise,
            variant=self.live.set_controls.variant,
            added_load_kg=self.live.set_controls.added_load_kg))

    def connect_simulated(self, scenario: str, speed: float = 1.0) -> None:
        self.live.connection.sim_speed = speed
        self.live.connection.select_simulated(scenario)
        self.connect_to(simulated_url(scenario, speed=speed))

    # -- dialogs --------------------------------------------------------------------

    def open_calibration_wizard(self) -> CalibrationWizard:
        return self._show_dialog(CalibrationWizard(self.controller, self.db_path, self))

    def open_contact_calibration(self) -> ContactCalibrationDialog:
        athlete = self.live.connection.athlete
        return self._show_dialog(
            ContactCalibrationDialog(self.controller, self.db_path, athlete, self))

    def _show_dialog(self, dialog: QWidget) -> QWidget:
        dialog.setAttribute(Qt.WA_DeleteOnClose, True)
        dialog.destroyed.connect(lambda *_: self._dialogs.remove(dialog)
                                 if dialog in self._dialogs else None)
        self._dialogs.append(dialog)
        dialog.show()       # non-modal: the live view keeps recording behind it
        return dialog

    def open_workout(self) -> WorkoutDialog:
        """Start the article's workout for the athlete recording (``WorkoutDialog``)."""
        return self._show_dialog(WorkoutDialog(self.live.workout, self))

    def open_roster(self) -> RosterDialog:
        dialog = RosterDialog(self.db_path, self)
        dialog.renamed.connect(self._on_athlete_renamed)
        dialog.roster_changed.connect(self.refresh_roster)
        dialog.roster_changed.connect(self.progress.refresh)
        dialog.roster_changed.connect(self.history.refresh)
        return self._show_dialog(dialog)

    def _on_athlete_renamed(self, old: str, new: str) -> None:
        """The Athlete box follows a rename of the athlete it shows."""
        panel = self.live.connection
        if (panel.athlete or "").casefold() == old.casefold():
            panel.set_athlete(new, panel.body_mass_kg)
            self.remember_choices()

    def _on_athlete_chosen(self) -> None:
        """Another athlete or body mass chosen: while recording, between sets,
        their session begins on the same link (controller.change_athlete)."""
        panel = self.live.connection
        self.remember_choices()
        session = self.controller.session
        if session is None:
            return          # not recording: the next connect takes them
        athlete, mass = panel.athlete, panel.body_mass_kg
        if (athlete or "").casefold() == (session.athlete or "").casefold():
            if athlete is not None and mass is not None and mass != session.body_mass_kg:
                self._remember_body_mass(athlete, mass, session.body_mass_kg)
            return
        why = self.athlete_refusal(athlete) or self.controller.change_athlete(
            athlete, mass, exercise=self.live.workout.exercise_for(athlete))
        if why is not None:
            self._on_athlete_unchanged(why)

    def _remember_body_mass(self, athlete: str, mass: float, judged: float | None) -> None:
        """The same athlete, another body mass: the roster keeps it for their next
        session; this one keeps the mass its % body mass figures were judged with."""
        try:
            with Database(self.db_path) as db:
                db.update_athlete(athlete, body_mass_kg=mass)
        except (ValueError, StorageError) as exc:
            self.show_message(str(exc), "error")
            return
        kept = "no body mass" if judged is None else f"{judged:g} kg"
        self.show_message(f"{athlete}: {mass:g} kg from the next session (this one keeps {kept})")
        self.refresh_roster()

    def _on_athlete_unchanged(self, why: str) -> None:
        """A change of athlete refused: said, and the box shows who is recording."""
        self.show_message(why, "error")
        session = self.controller.session
        if session is not None:
            self.live.connection.set_athlete(session.athlete, session.body_mass_kg)

    def _on_athlete_handed_over(self, result: dict | None) -> None:
        session = self.controller.session
        who = (session.athlete or "no athlete named") if session is not None else None
        saved = "" if result is None else f"Session {result['session_id']} saved; "
        self.show_message(f"{saved}now recording {who}" if who else saved.rstrip("; "))
        if session is not None:
            self.live.connection.set_athlete(session.athlete, session.body_mass_kg)
        self.refresh_roster()
        self._show_athlete_in_title()
        if self.team_sync is not None:
            self.team_sync.request()
        self.history.refresh()
        self.progress.refresh()

    def show_team_sessions(self, on: bool) -> None:
        """History and Progress read the team server (on) or this station's database."""
        if "team" in self.actions:
            self.actions["team"].setChecked(on)
        self.history.set_team_mode(on)
        self.progress.set_team_mode(on)

    def choose_team_server(self) -> None:
        """Ask for the team server's service name; kept in the settings and
        used from the next start (docs/team.md)."""
        current = cfg.value(self.settings, cfg.TEAM_SERVER_KEY, "")
        text, ok = QInputDialog.getText(
            self, "Team server", "The team server's service name in the libpq service file\n"
            "(never a host or a password; empty: no team server):", text=current)
        if not ok:
            return
        try:
            name = cfg.team_server_name(text)
        except ValueError as exc:
            self.show_message(str(exc), "error")
            return
        self.settings.setValue(cfg.TEAM_SERVER_KEY, name or "")
        self.settings.sync()
        if name == self.team_server:
            return
        self.show_message(f"Team server {name}: used from the next start" if name
                          else "No team server from the next start")

    def toggle_full_screen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    # -- slots ----------------------------------------------------------------------

    def _on_rep_completed(self, rep) -> None:
        self.cues.play(bool(rep.valid))

    def _on_mute_toggled(self, on: bool) -> None:
        self.cues.enabled = on

    def show_message(self, text: str, kind: str = "info") -> None:
        """Said over the window, whichever tab is shown (``Toast``)."""
        self.toast.show_message(text, kind)

    def _on_message_posted(self, text: str) -> None:
        self.show_message(text)

    def _on_command_finished(self, name: str, _result: object) -> None:
        self.show_message(command_done_text(name))

    def _on_command_failed(self, name: str, message: str) -> None:
        self.show_message(command_failed_text(name, message), "error")

    def _on_connected(self, hello) -> None:
        self.show_message(f"Connected to station {hello.device_id}")
        session = self.controller.session
        if session is not None:
            self.live.connection.set_athlete(session.athlete, session.body_mass_kg)
        self.refresh_roster()
        self._show_athlete_in_title()

    def _show_athlete_in_title(self) -> None:
        """Who is recording, in the window's title (the Station box may be hidden)."""
        session = self.controller.session
        athlete = None if session is None else session.athlete
        self.setWindowTitle(f"Back Station — {athlete}" if athlete else "Back Station")

    def _on_rack_mode_changed(self, on: bool) -> None:
        for bar in (self.menuBar(), self.statusBar(), self.tabs.tabBar()):
            bar.setVisible(not on)
        if on:
            self.tabs.setCurrentWidget(self.live)
            self._geometry_before_rack = self.geometry()
            # The screen's whole area also without a window manager (a kiosk Pi, Xvfb).
            self.setGeometry(self.screen().geometry())
            self.showFullScreen()
        else:
            self.showNormal()
            if self._geometry_before_rack is not None:
                self.setGeometry(self._geometry_before_rack)

    def _on_disconnected(self, result: object) -> None:
        self.health.show_disconnected()
        self._show_athlete_in_title()
        if isinstance(result, dict):
            self.show_message(f"Session {result['session_id']} saved")
        if self.team_sync is not None:
            # Saved, or ended as interrupted (its last samples not saved): either
            # way a finished session for the team, so its state shown is not stale.
            self.team_sync.request()
        self.history.refresh()
        self.progress.refresh()

    def _on_team_sync_state(self, state) -> None:
        """Uploads done: the team's lists now have the sessions just sent."""
        if state.phase == UPLOADING:
            self._team_uploading = True
        elif self._team_uploading and state.phase in (DONE, FAILED):
            self._team_uploading = False
            for view in (self.history, self.progress):
                if view.team_mode:
                    view.refresh()

    def _on_tab_changed(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if widget is self.live:
            self.live.plot.refresh()
        elif hasattr(widget, "refresh"):
            widget.refresh()

    # -- settings and shutdown --------------------------------------------------------

    def _restore_settings(self) -> None:
        s = self.settings
        geometry = s.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.resize(*DEFAULT_SIZE)
        self._fit_screen()
        panel = self.live.connection
        panel.set_athlete(cfg.value(s, "athlete", "") or None,
                          cfg.value(s, "body_mass_kg", 0.0, float))
        scenario = cfg.value(s, "scenario", DEFAULT_SCENARIO)
        if panel.scenario_box.findText(scenario) >= 0:
            panel.scenario_box.setCurrentText(scenario)
        window_s = cfg.value(s, "window_s", 10, int)
        if window_s in (10, 30, 60):
            self.live.set_window(window_s)
        self.live.set_percent_body_mass(cfg.value(s, "percent_bm", False, bool))
        self.live.set_controls.rest_box.setValue(cfg.value(s, "rest_s", DEFAULT_REST_S, int))
        self.live.set_controls.stop_loss_box.setValue(
            cfg.value(s, "stop_loss_pct", DEFAULT_STOP_LOSS_PCT, int))
        self.live.set_controls.target_box.setValue(cfg.value(s, "target_pct_bm", 0, int))

    def _fit_screen(self) -> None:
        """No bigger than the screen's free area (a 1366x768 laptop, an 800x480 Pi)."""
        screen = self.screen()
        if screen is None:
            return
        free = screen.availableGeometry()
        frame_w = self.frameGeometry().width() - self.width()
        frame_h = self.frameGeometry().height() - self.height()
        width = min(self.width(), free.width() - frame_w)
        height = min(self.height(), free.height() - frame_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
            self.move(free.topLeft())

    @property
    def has_shut_down(self) -> bool:
        return self._has_shut_down

    def shut_down(self) -> None:
        """The window's shutdown order, once: dialogs -> acquisition (its own
        order, bounded: docs/architecture.md "Shutdown") -> the History and
        Progress views -> the team uploads (after the session being sent) ->
        the team server's pool (its threads joined) -> settings. ``closeEvent``
        calls it; so does ``app.run`` when the display went away and no close
        event came."""
        if self._has_shut_down:
            return
        self._has_shut_down = True
        if self.team_sync is not None:
            self.team_sync.ask_to_stop()
        for dialog in list(self._dialogs):
            dialog.close()
        self.controller.close()
        for view in (self.history, self.progress):
            if hasattr(view, "shutdown"):
                view.shutdown()
        if self.team_sync is not None:
            self.team_sync.shutdown()
        if self.team_pool is not None:
            self.team_pool.close()
        self.settings.setValue("geometry", self.saveGeometry())
        self.settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt API
        self.shut_down()
        super().closeEvent(event)

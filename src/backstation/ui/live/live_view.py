"""The live tab: connection and set controls at the side, the plot in the
middle, the rep counter, last rep and rep table where a lifter looks."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QGroupBox, QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget,
)

from ...analysis import Rep, SetResult, SetStarted
from ...link import LinkState, ReconnectCause, StreamResumed, StreamStalled
from ...protocol.sentences import Hello
from ..acquisition import AcquisitionController
from .banner import Banner
from .connection_panel import ConnectionPanel
from .counter import LastRepView, RepCounterView
from .plot import WINDOWS_S, SessionBuffersView
from .rep_table import RepTableModel, RepTableView
from .set_controls import SetControls
from .station_health import StationHealthView

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


class LiveView(QWidget):
    window_changed = Signal(int)
    units_changed = Signal(bool)          # True: % body mass

    def __init__(self, controller: AcquisitionController, parent: QWidget | None = None):
        super().__init__(parent)
        self.controller = controller
        self.banner = Banner()
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
        self.last_rep = LastRepView()
        self.rep_model = RepTableModel(self)
        self.rep_table = RepTableView(self.rep_model)

        self.window_buttons = QButtonGroup(self)
        window_row = QHBoxLayout()
        for seconds in WINDOWS_S:
            button = QPushButton(f"{seconds} s")
            button.setCheckable(True)
            button.setToolTip(f"show the last {seconds} s (key {WINDOWS_S.index(seconds) + 1})")
            self.window_buttons.addButton(button, seconds)
            window_row.addWidget(button)
        self.window_buttons.button(self.plot.window_s).setChecked(True)
        self.units_button = QPushButton("Force in N")
        self.units_button.setCheckable(True)
        self.units_button.setToolTip("force in newtons or in % of body mass")
        self.pause_button = QPushButton("Pause (P)")
        self.pause_button.setCheckable(True)
        view_row = QHBoxLayout()
        view_row.addWidget(self.units_button)
        view_row.addWidget(self.pause_button)
        view_box = QGroupBox("View")
        view_layout = QVBoxLayout(view_box)
        view_layout.addLayout(window_row)
        view_layout.addLayout(view_row)

        side = QVBoxLayout()
        for title, widget in (("Station", self.connection), ("Set", self.set_controls)):
            box = QGroupBox(title)
            QVBoxLayout(box).addWidget(widget)
            side.addWidget(box)
        side.addWidget(view_box)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)

        right = QVBoxLayout()
        right.addWidget(self.counter)
        last_box = QGroupBox("Last rep")
        QVBoxLayout(last_box).addWidget(self.last_rep)
        right.addWidget(last_box)
        right.addWidget(self.rep_table, 1)       # every spare pixel: the set's reps
        right_widget = QWidget()
        right_widget.setLayout(right)

        splitter = QSplitter(Qt.Horizontal)
        splitter.addWidget(side_widget)
        splitter.addWidget(self.plot)
        splitter.addWidget(right_widget)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 5)
        splitter.setStretchFactor(2, 3)
        splitter.setChildrenCollapsible(False)
        char_px = self.fontMetrics().averageCharWidth()      # scales with the DPI and font
        splitter.setSizes([34 * char_px, 100 * char_px, 52 * char_px])
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.station_health)
        layout.addWidget(splitter, 1)

        for w in self.findChildren(QPushButton):
            w.setFocusPolicy(Qt.NoFocus)      # Space belongs to the set, not to a button
        self.window_buttons.idClicked.connect(self.set_window)
        self.units_button.toggled.connect(self._on_units_toggled)
        self.pause_button.toggled.connect(self._on_pause_toggled)
        self.plot.paused_changed.connect(self._on_plot_paused)
        self.set_controls.start_stop_requested.connect(self.toggle_set)
        self.set_controls.variant_changed.connect(controller.set_variant)
        self.connection.disconnect_requested.connect(controller.disconnect)
        controller.connection_started.connect(self._on_connection_started)
        controller.connected.connect(self._on_connected)
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

    # -- actions (buttons and shortcuts) ---------------------------------------

    def toggle_set(self) -> None:
        if self.controller.set_open:
            self.controller.end_set()
        else:
            self.controller.start_set()

    def toggle_pause(self) -> None:
        self.plot.toggle_pause()

    def set_window(self, seconds: int) -> None:
        self.window_buttons.button(seconds).setChecked(True)
        self.plot.set_window(seconds)
        self.window_changed.emit(seconds)

    def set_percent_body_mass(self, on: bool) -> None:
        self.units_button.setChecked(on)

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
        self.station_health.clear_health()
        self.connection.set_state(LinkState.CONNECTING)

    def _on_connected(self, hello: Hello) -> None:
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

    def _on_connection_failed(self, message: str) -> None:
        self.connection.set_state(LinkState.CLOSED)
        self.banner.show_message(f"Could not connect: {message}", "error")

    def _on_disconnected(self, _result: object) -> None:
        self.connection.set_state(LinkState.CLOSED)
        self.station_health.clear_health()
        self.set_controls.set_open(False)

    def _on_stepped(self, _step: object) -> None:
        if self.isVisible():
            self.plot.refresh()

    def _on_rep_completed(self, rep: Rep) -> None:
        self.counter.add_rep(rep)
        self.last_rep.show_rep(rep)
        self.rep_model.add_rep(rep)

    def _on_set_started(self, event: SetStarted) -> None:
        current = self.controller.session.current_set \
            if self.controller.session else None
        self.counter.start_set(event.set_index, bool(current and current.manual))
        self.rep_model.clear()
        self.set_controls.set_open(True)

    def _on_set_ended(self, result: SetResult) -> None:
        self.counter.end_set(result.index)
        self.set_controls.set_open(False)

    def _on_state_changed(self, state: LinkState) -> None:
        self.connection.set_state(state)
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

    def _on_recording_stopped(self, message: str) -> None:
        self._storage_text = None
        self.banner.show_message(message, "error")

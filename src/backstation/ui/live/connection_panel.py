"""Where to connect: stations found on serial ports, or the simulated station
with a scenario; who is training (picked from the roster or typed, also while
connected: another athlete steps up between sets); the link's state."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QPushButton,
    QWidget,
)

from ...device.sim.protocol_sim import simulated_url
from ...device.sim.scenarios import all_scenarios
from ...link import LinkState, PortInfo
from ...storage.records import BODY_MASS_KG_RANGE
from .. import theme

SIMULATED = "sim"
STATE_TEXT = {
    LinkState.CLOSED: ("not connected", theme.MUTED),
    LinkState.CONNECTING: ("connecting…", theme.WARNING),
    LinkState.IDLE: ("connected", theme.TEXT),
    LinkState.STREAMING: ("streaming", theme.VALID),
    LinkState.RECONNECTING: ("reconnecting…", theme.WARNING),
}


class ConnectionPanel(QWidget):
    connect_requested = Signal(str)       # url
    disconnect_requested = Signal()
    refresh_requested = Signal()
    # The coach chose another athlete or body mass (picked, or typed and left).
    athlete_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sim_speed = 1.0
        self.port_box = QComboBox()
        self.port_box.setMinimumContentsLength(18)
        self.scenario_box = QComboBox()
        self.scenario_box.addItems(all_scenarios())
        self.athlete_box = QComboBox()
        self.athlete_box.setEditable(True)
        self.athlete_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.athlete_box.lineEdit().setPlaceholderText("athlete name")
        self.athlete_box.setToolTip("Pick from the roster or type a new name; between sets "
                                    "another athlete can step up without disconnecting")
        self._roster: dict[str, float | None] = {}     # casefolded name -> body mass
        self._chosen: tuple[str | None, float | None] = (None, None)
        self.body_mass = QDoubleSpinBox()
        self.body_mass.setRange(0, BODY_MASS_KG_RANGE[1])     # 0: none; storage checks the rest
        self.body_mass.setDecimals(1)
        self.body_mass.setSuffix(" kg")
        self.body_mass.setSpecialValueText("body mass?")
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primary")
        self.refresh_button = QPushButton("↻")
        self.refresh_button.setToolTip("look for stations again")
        self.state_label = QLabel()
        self.state_label.setFont(theme.font(1.2, bold=True))
        ports = QHBoxLayout()
        ports.addWidget(self.port_box, 1)
        ports.addWidget(self.refresh_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Station", ports)
        form.addRow("Scenario", self.scenario_box)
        form.addRow("Athlete", self.athlete_box)
        form.addRow("Body mass", self.body_mass)
        form.addRow(self.connect_button)
        form.addRow(self.state_label)
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.port_box.currentIndexChanged.connect(self._on_port_changed)
        # Chosen by a click in the list or Enter: not by the wheel or an arrow key
        # passing over names, nor by leaving a name half typed.
        self.athlete_box.installEventFilter(self)
        self.athlete_box.activated.connect(self._on_athlete_picked)
        self.athlete_box.lineEdit().returnPressed.connect(self._on_athlete_picked)
        self.body_mass.editingFinished.connect(self._on_choice_edited)
        self.set_state(LinkState.CLOSED)

    # -- who is training ------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt API
        if watched is self.athlete_box and not self.athlete_box.view().isVisible():
            if event.type() == QEvent.Type.Wheel:
                return True
            if (event.type() == QEvent.Type.KeyPress
                    and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down)):
                return True
        return super().eventFilter(watched, event)

    @property
    def athlete(self) -> str | None:
        """The athlete's name as typed or picked (blanks trimmed); None if empty."""
        return self.athlete_box.currentText().strip() or None

    @property
    def body_mass_kg(self) -> float | None:
        return self.body_mass.value() or None

    def set_athlete(self, name: str | None, body_mass_kg: float | None = None) -> None:
        """Show this athlete and body mass (no ``athlete_changed``)."""
        self.athlete_box.setEditText(name or "")
        self.body_mass.setValue(body_mass_kg or 0.0)
        self._chosen = (self.athlete, self.body_mass_kg)

    def set_roster(self, athletes: list[tuple[str, float | None]]) -> None:
        """The roster's (name, body mass), offered in the athlete box; what is
        typed there stays."""
        text = self.athlete_box.currentText()
        self.athlete_box.blockSignals(True)
        self.athlete_box.clear()
        for name, _mass in athletes:
            self.athlete_box.addItem(name)
        self.athlete_box.setEditText(text)
        self.athlete_box.blockSignals(False)
        self._roster = {name.casefold(): mass for name, mass in athletes}

    def _on_athlete_picked(self, _index: int = 0) -> None:
        """A name picked, or typed and Enter pressed: the athlete's body mass
        from the roster (none known: none, not the last athlete's)."""
        if self.athlete != self._chosen[0]:
            self.body_mass.setValue(self._roster.get((self.athlete or "").casefold()) or 0.0)
        self._on_choice_edited()

    def _on_choice_edited(self) -> None:
        chosen = (self.athlete, self.body_mass_kg)
        if chosen != self._chosen:
            self._chosen = chosen
            self.athlete_changed.emit()

    def set_ports(self, ports: list[PortInfo], preferred: str | None = None) -> None:
        self.port_box.blockSignals(True)
        self.port_box.clear()
        for port in ports:
            mark = "" if port.likely_station else " (other)"
            self.port_box.addItem(f"{port.device} – {port.label}{mark}", port.device)
        self.port_box.addItem("Simulated station", SIMULATED)
        index = self.port_box.findData(preferred) if preferred else -1
        if index < 0:
            likely = [i for i, p in enumerate(ports) if p.likely_station]
            index = likely[0] if likely else self.port_box.count() - 1
        self.port_box.setCurrentIndex(index)
        self.port_box.blockSignals(False)
        self._on_port_changed()

    def selected_url(self) -> str:
        data = self.port_box.currentData()
        if data == SIMULATED or data is None:
            return simulated_url(self.scenario_box.currentText(), speed=self.sim_speed)
        return str(data)

    def select_simulated(self, scenario: str) -> None:
        self.port_box.setCurrentIndex(self.port_box.findData(SIMULATED))
        i = self.scenario_box.findText(scenario)
        if i >= 0:
            self.scenario_box.setCurrentIndex(i)

    def set_state(self, state: LinkState, busy: bool = False) -> None:
        text, colour = STATE_TEXT[state]
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {colour};")
        connected = state is not LinkState.CLOSED
        self.connect_button.setText("Disconnect" if connected else "Connect")
        for w in (self.port_box, self.scenario_box, self.refresh_button):
            w.setEnabled(not connected)
        if not connected:
            self._on_port_changed()

    def _on_port_changed(self, *_args) -> None:
        is_sim = self.port_box.currentData() == SIMULATED
        self.scenario_box.setEnabled(is_sim and self.port_box.isEnabled())

    def _on_connect_clicked(self) -> None:
        if self.connect_button.text() == "Disconnect":
            self.disconnect_requested.emit()
        else:
            self.connect_requested.emit(self.selected_url())

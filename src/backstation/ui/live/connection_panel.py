"""Where to connect: stations found on serial ports, or the simulated station
with a scenario; who is training; the link's state."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QWidget,
)

from ...device.sim.protocol_sim import simulated_url
from ...device.sim.scenarios import all_scenarios
from ...link import LinkState, PortInfo
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

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.sim_speed = 1.0
        self.port_box = QComboBox()
        self.port_box.setMinimumContentsLength(18)
        self.scenario_box = QComboBox()
        self.scenario_box.addItems(all_scenarios())
        self.athlete_edit = QLineEdit()
        self.athlete_edit.setPlaceholderText("athlete name")
        self.body_mass = QDoubleSpinBox()
        self.body_mass.setRange(0, 250)
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
        form.addRow("Athlete", self.athlete_edit)
        form.addRow("Body mass", self.body_mass)
        form.addRow(self.connect_button)
        form.addRow(self.state_label)
        self.connect_button.clicked.connect(self._on_connect_clicked)
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.port_box.currentIndexChanged.connect(self._on_port_changed)
        self.set_state(LinkState.CLOSED)

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
        for w in (self.port_box, self.scenario_box, self.athlete_edit, self.body_mass,
                  self.refresh_button):
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

"""Stream health for the status bar (a ``StreamHealth`` view): rates from
STAT, losses, CRC errors, latency, and a clear warning at 10 SPS (its
wording: ``protocol/sentences.slow_adc_message``)."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from .. import theme
from ...protocol.sentences import slow_adc_message
from ..acquisition import StreamHealth


class StreamHealthView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("no station")
        self.warning = QLabel()
        self.warning.setObjectName("warning")
        self.warning.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.warning)
        layout.addWidget(self.summary)

    def show_disconnected(self) -> None:
        self.summary.setText("no station")
        self.summary.setStyleSheet(f"color: {theme.MUTED};")
        self.warning.hide()

    def show_health(self, health: StreamHealth) -> None:
        s = health.stats
        parts = [
            f"force {_hz(health.force_hz)}", f"distance {_hz(health.distance_hz)}",
            f"lost {s.lost_samples}", f"CRC errors {s.crc_errors}",
            f"malformed {s.malformed + s.overlong}",
            f"latency {'–' if health.latency_ms is None else f'{health.latency_ms:.0f} ms'}",
        ]
        if s.reconnects:
            parts.append(f"reconnects {s.reconnects}")
        self.summary.setText("  ·  ".join(parts))
        bad = s.lost_samples or s.crc_errors
        self.summary.setStyleSheet(f"color: {theme.WARNING if bad else theme.MUTED};")
        if health.slow_force_rate_hz is not None:
            self.warning.setText("⚠ " + slow_adc_message(health.slow_force_rate_hz))
            self.warning.show()
        elif health.storage_error:
            self.warning.setText("⚠ not saving: " + health.storage_error)
            self.warning.show()
        else:
            self.warning.hide()


def _hz(value: float | None) -> str:
    return "– Hz" if value is None else f"{value:.1f} Hz"

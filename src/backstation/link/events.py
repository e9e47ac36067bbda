"""What the link reports to its owner: state changes and typed events.

The reader thread puts these on a queue; the owner (the acquisition
controller, the headless recorder) drains them on its own schedule. Events
carry ``t_host_s`` (the link's clock when it happened) so a log or the UI can
order them against samples.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Union

from ..protocol.health import StationHealth
from ..protocol.sentences import Cal, Hello, Stat


class LinkState(enum.Enum):
    CONNECTING = "CONNECTING"      # port open, waiting for HELLO
    IDLE = "IDLE"                  # adopted, not streaming
    STREAMING = "STREAMING"        # adopted, START acknowledged
    RECONNECTING = "RECONNECTING"  # port lost; looking for the same device_id
    CLOSED = "CLOSED"              # not opened yet, failed to open, or closed


class ReconnectCause(enum.Enum):
    """Why the link went RECONNECTING (``StateChanged.cause``)."""

    PORT_LOST = "port_lost"                # the port failed: unplugged, a read or write failed
    ANOTHER_STATION = "another_station"    # another station spoke on the port: refused
    SILENT = "silent"                      # no data even after INFO and START were sent again


@dataclass(frozen=True, slots=True)
class StateChanged:
    t_host_s: float
    state: LinkState
    previous: LinkState
    reconnects: int
    cause: ReconnectCause | None = None    # set when ``state`` is RECONNECTING


@dataclass(frozen=True, slots=True)
class Connected:
    """A device was adopted: at open, or again after a reconnect."""

    t_host_s: float
    hello: Hello
    port: str
    reconnects: int


@dataclass(frozen=True, slots=True)
class CalibrationReceived:
    t_host_s: float
    cal: Cal
    # The newest sample before the CAL on the session time axis: the new
    # calibration applies to samples after it (None: before any sample).
    t_device_us: int | None = None


@dataclass(frozen=True, slots=True)
class StatReceived:
    t_host_s: float
    stat: Stat


@dataclass(frozen=True, slots=True)
class DeviceRebooted:
    """An unrequested HELLO on a live port: the device restarted (watchdog, brown-out)."""

    t_host_s: float
    hello: Hello


@dataclass(frozen=True, slots=True)
class DeviceRefused:
    """While reconnecting, a port answered with another station's id: left alone."""

    t_host_s: float
    port: str
    expected_device_id: str
    found_device_id: str


@dataclass(frozen=True, slots=True)
class StreamStalled:
    """Streaming, and no sample for ``quiet_s`` (``STALL_AFTER_S``, 2 s): the
    link sends INFO and START again; if still nothing comes, it treats the port
    as lost and reconnects. One per stall, followed by ``StreamResumed``."""

    t_host_s: float
    quiet_s: float

    @property
    def message(self) -> str:
        """One line a coach reads from 2 m (the app's banner, ``record``'s stderr)."""
        return f"No data from the station for {self.quiet_s:.0f} s: check the cable"


@dataclass(frozen=True, slots=True)
class StreamResumed:
    """Samples flow again after a ``StreamStalled``; ``stalled_s`` without any."""

    t_host_s: float
    stalled_s: float

    @property
    def message(self) -> str:
        return f"Data from the station again, after {self.stalled_s:.1f} s without any"


@dataclass(frozen=True, slots=True)
class ReaderBehind:
    """The reader fell behind the station: samples are read ``backlog_s`` later
    than when the stream began (device clock against host clock). One per
    episode: again only after it caught up (docs/performance.md)."""

    t_host_s: float
    backlog_s: float

    @property
    def message(self) -> str:
        return (f"Reading the station {self.backlog_s:.1f} s late: this computer is too busy "
                "to keep up")


@dataclass(frozen=True, slots=True)
class HealthChanged:
    """The problems the station's health shows changed (``protocol/health.py``):
    a HELLO began a new report, a load cell was reported absent, or a sensor
    reported missing sent data again. ``health.problems`` is empty when all answer."""

    t_host_s: float
    health: StationHealth


@dataclass(frozen=True, slots=True)
class LinkFault:
    """Something the user should see that did not stop the link (lost port, unmatched ERR)."""

    t_host_s: float
    message: str


LinkEvent = Union[StateChanged, Connected, CalibrationReceived, StatReceived,
                  DeviceRebooted, DeviceRefused, StreamStalled, StreamResumed, ReaderBehind,
                  HealthChanged, LinkFault]

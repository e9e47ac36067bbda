"""The serial link to a station: port discovery, errors, and the reader thread.

Plain Python; no Qt. A Qt wrapper drains ``DeviceLink`` on a timer.
"""

from .errors import (
    CommandFailed, CommandTimeout, ConnectionLost, LinkError, NoHello, NotASerialPort,
    NotConnected, PermissionDenied, PortBusy, PortNotFound, RefusedHello, UnsupportedProtocol,
    WrongDevice, map_serial_error,
)
from .events import (
    CalibrationReceived, Connected, DeviceRebooted, DeviceRefused, HealthChanged, LinkEvent,
    LinkFault, LinkState, ReaderBehind, ReconnectCause, StateChanged, StatReceived, StreamResumed, StreamStalled,
)
from .link import DEFAULT_BAUDRATE, DeviceLink
from .ports import PortInfo, find_ports
from .replies import Latency

__all__ = [
    "CalibrationReceived", "CommandFailed", "CommandTimeout", "Connected", "ConnectionLost",
    "DEFAULT_BAUDRATE", "DeviceLink", "DeviceRebooted", "DeviceRefused", "HealthChanged", "Latency",
    "LinkError", "LinkEvent", "LinkFault", "LinkState", "NoHello", "NotASerialPort",
    "NotConnected", "PermissionDenied", "PortBusy", "PortInfo", "PortNotFound", "ReaderBehind",
    "ReconnectCause",
    "RefusedHello",
    "StateChanged", "StatReceived", "StreamResumed", "StreamStalled", "UnsupportedProtocol",
    "WrongDevice", "find_ports", "map_serial_error",
]

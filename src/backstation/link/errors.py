"""What can go wrong on a serial link, in words meant for the person at the rack.

Every ``LinkError`` message says what happened and what to do about it; the
UI and the command line show ``str(error)`` as it is. ``map_serial_error``
turns pyserial's and the OS's exceptions into these, so no caller has to
know errno values or platform wording.
"""

from __future__ import annotations

import errno
import sys
from collections.abc import Iterable

from ..protocol.sentences import PROTOCOL_VERSION, Err, absent_force_message


class LinkError(Exception):
    """Base class: the message is meant for the user."""


class PortNotFound(LinkError):
    def __init__(self, port: str, available: Iterable[str] = ()):
        self.port = port
        self.available = list(available)
        listed = ", ".join(self.available) if self.available else "none"
        super().__init__(f"serial port {port} not found (ports present: {listed}); "
                         "is the station plugged in?")


class PortBusy(LinkError):
    def __init__(self, port: str):
        self.port = port
        super().__init__(f"serial port {port} is in use by another program: close the "
                         "Arduino IDE serial monitor, or the other Back Station window, "
                         "and try again")


class PermissionDenied(LinkError):
    def __init__(self, port: str):
        self.port = port
        super().__init__(f"no permission to open {port}: run "
                         "`sudo usermod -aG dialout $USER`, then log out and in again")


class NotASerialPort(LinkError):
    """The path exists but is a folder or a plain file, not a serial device."""

    def __init__(self, port: str, folder: bool = False):
        self.port = port
        what = "a folder" if folder else "not a serial port"
        super().__init__(f"{port} is {what}: name the station's port (e.g. /dev/ttyACM0, "
                         "/dev/ttyUSB0 or /dev/backstation-*), or a sim:// URL")


class NoHello(LinkError):
    def __init__(self, port: str, baudrate: int, timeout_s: float):
        self.port = port
        self.baudrate = baudrate
        self.timeout_s = timeout_s
        super().__init__(f"no HELLO from {port} within {timeout_s:g} s at {baudrate} baud: "
                         "wrong baud rate, or not a Back Station")


class RefusedHello(LinkError):
    """A HELLO arrived with a good CRC but content off the contract."""

    def __init__(self, port: str, reason: str):
        self.port = port
        self.reason = reason
        super().__init__(f"the station on {port} sent a HELLO this app refuses ({reason}): "
                         "its firmware does not follow protocol "
                         f"{PROTOCOL_VERSION}; update the firmware or the app")


class UnsupportedProtocol(LinkError):
    def __init__(self, port: str, device_protocol: int, app_protocol: int = PROTOCOL_VERSION):
        self.port = port
        self.device_protocol = device_protocol
        self.app_protocol = app_protocol
        newer = "app" if device_protocol > app_protocol else "firmware"
        super().__init__(f"the station on {port} speaks protocol {device_protocol}, this app "
                         f"speaks {app_protocol}: update the {newer}")


class WrongDevice(LinkError):
    def __init__(self, port: str, expected_device_id: str, found_device_id: str):
        self.port = port
        self.expected_device_id = expected_device_id
        self.found_device_id = found_device_id
        super().__init__(f"expected station {expected_device_id}, found {found_device_id} "
                         f"on {port}: not adopted")


# The ERR reasons of docs/design.md §3 and what the user can do about each.
_REASON_HINTS = {
    "busy": "the station is busy; try again in a moment",
    "range": "a value is out of range",
    "unknown": "the firmware does not know this command; update the firmware",
    "unstable": "the load kept moving; hold the bar still and try again",
    "crc": "the command was garbled on the way; try again",
    "syntax": "the command was malformed",
    "absent": "that load cell is not answering: check its HX711's wiring",
    "overflow": "more commands came at once than the station holds; send them one at a time",
}


class CommandFailed(LinkError):
    def __init__(self, command: str, reason: str):
        self.command = command
        self.reason = reason
        hint = _REASON_HINTS.get(reason)
        super().__init__(f"{command} failed: {reason}" + (f" ({hint})" if hint else ""))


# Unsolicited ERRs that are a state the station reports, not a refusal.
_STATUS_ERRS = {
    ("EEPROM", "blank"): "the station's calibration memory (EEPROM) is blank: it runs on "
                         "default calibrations; calibrate it (tare, then a known mass)",
    ("EEPROM", "corrupt"): "the station's calibration memory (EEPROM) is corrupt: it runs on "
                           "default calibrations; calibrate it again",
}


def unsolicited_err_message(command: str, reason: str) -> str:
    """What to tell the user about an ERR that answers no command in flight."""
    status = _STATUS_ERRS.get((command, reason))
    if status is not None:
        return status
    channel = Err(command, reason).absent_force_channel
    if channel is not None:
        return absent_force_message(channel)
    hint = _REASON_HINTS.get(reason)
    return (f"the station refused {command}: {reason}" + (f" ({hint})" if hint else ""))


class CommandTimeout(LinkError):
    def __init__(self, command: str, timeout_s: float):
        self.command = command
        self.timeout_s = timeout_s
        super().__init__(f"no reply to {command} within {timeout_s:g} s")


class NotConnected(LinkError):
    """A command was issued while the link is reconnecting, closed or not yet open."""

    def __init__(self, command: str, port: str, state: str):
        self.command = command
        self.port = port
        self.state = state
        super().__init__(f"cannot send {command}: the station on {port} is not connected "
                         f"({state.lower()})")


class ConnectionLost(LinkError):
    """The port went away while a command was in flight."""

    def __init__(self, port: str, detail: str = ""):
        self.port = port
        super().__init__(f"lost the connection to {port}" + (f" ({detail})" if detail else "")
                         + "; reconnecting")


def map_serial_error(exc: BaseException, port: str, available: Iterable[str] = (),
                     platform: str = sys.platform) -> LinkError:
    """The ``LinkError`` for an exception raised while opening or using ``port``.

    pyserial on POSIX keeps the OS errno (``SerialException(errno, text)``);
    on Windows it only has the text ("PermissionError(13, 'Access is denied.')"),
    and there "access denied" means another program holds the port.
    """
    if isinstance(exc, LinkError):
        return exc
    code = getattr(exc, "errno", None)
    text = str(exc)
    lowered = text.lower()
    if "exclusively lock" in lowered or code == errno.EBUSY:
        return PortBusy(port)
    if platform.startswith("win"):
        if "permissionerror" in lowered or "access is denied" in lowered:
            return PortBusy(port)
        if "filenotfounderror" in lowered or "cannot find the file" in lowered:
            return PortNotFound(port, available)
    if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO):
        return PortNotFound(port, available)
    if code in (errno.EACCES, errno.EPERM):
        return PermissionDenied(port)
    if code == errno.EISDIR or "is a directory" in lowered:
        return NotASerialPort(port, folder=True)
    # pyserial's "Could not configure port: (25, 'Inappropriate ioctl for device')"
    # (termios on a plain file or /dev/null) keeps the errno only in its text.
    if code == errno.ENOTTY or "inappropriate ioctl" in lowered:
        return NotASerialPort(port)
    if code in (errno.EAGAIN, errno.EWOULDBLOCK) and "lock" in lowered:
        return PortBusy(port)
    # URL handlers (sim://) and some drivers only have the text.
    if "no such file or directory" in lowered:
        return PortNotFound(port, available)
    if "device or resource busy" in lowered:
        return PortBusy(port)
    if "permission denied" in lowered:
        return PermissionDenied(port)
    if "protocol" in lowered and "not known" in lowered:
        return LinkError(f"{port}: unknown URL scheme ({text})")
    return LinkError(f"{port}: {text}")

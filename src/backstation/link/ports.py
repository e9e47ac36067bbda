"""Which serial ports might be a Back Station, recognised by USB VID/PID.

``find_ports`` is a pure function over port records (anything with
``device``, ``vid``, ``pid``, ``description``, ``serial_number``, like
pyserial's ``ListPortInfo``), so tests feed it fakes; by default it asks
``serial.tools.list_ports.comports()``. The station is an Uno or Nano: its
USB side is either Arduino's own 16U2/4809 firmware or a cheap bridge chip
(CH340 on most Nano clones, FTDI on older Nanos, CP210x/PL2303 on others).
A ``likely_station`` port is one worth probing for HELLO; others (built-in
UARTs, Bluetooth, modems) are listed but never probed automatically.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ARDUINO_VID = 0x2341
ARDUINO_ORG_VID = 0x2A03
# Vendors whose every board is worth probing, whatever its product id.
ANY_PRODUCT_VIDS = (ARDUINO_VID, ARDUINO_ORG_VID)

# (vid, pid) -> (label, rank). Lower rank sorts first among likely ports:
# genuine Arduino boards, then the bridges Nano clones use, most common first.
KNOWN_USB_IDS: dict[tuple[int, int], tuple[str, int]] = {
    (ARDUINO_VID, 0x0043): ("Arduino Uno", 0),
    (ARDUINO_VID, 0x0001): ("Arduino Uno", 0),
    (ARDUINO_VID, 0x0243): ("Arduino Uno", 0),
    (ARDUINO_VID, 0x0058): ("Arduino Nano Every", 0),
    (ARDUINO_VID, 0x0010): ("Arduino Mega 2560", 1),
    (ARDUINO_VID, 0x0042): ("Arduino Mega 2560", 1),
    (ARDUINO_VID, 0x8036): ("Arduino Leonardo", 1),
    (ARDUINO_VID, 0x8037): ("Arduino Micro", 1),
    (ARDUINO_VID, 0x0069): ("Arduino Uno R4 Minima", 1),
    (ARDUINO_VID, 0x1002): ("Arduino Uno R4 WiFi", 1),
    (ARDUINO_ORG_VID, 0x0043): ("Arduino Uno (arduino.org)", 0),
    (ARDUINO_ORG_VID, 0x0001): ("Arduino Uno (arduino.org)", 0),
    (ARDUINO_ORG_VID, 0x0042): ("Arduino Mega 2560 (arduino.org)", 1),
    (0x1A86, 0x7523): ("CH340 USB-serial (Nano clone)", 2),
    (0x1A86, 0x5523): ("CH341 USB-serial (Nano clone)", 2),
    (0x0403, 0x6001): ("FTDI FT232R USB-serial (Nano)", 3),
    (0x0403, 0x6015): ("FTDI FT231X USB-serial", 3),
    (0x10C4, 0xEA60): ("CP210x USB-serial", 4),
    (0x067B, 0x2303): ("PL2303 USB-serial", 5),
}
_OTHER_RANK = 9


@dataclass(frozen=True, slots=True)
class PortInfo:
    device: str                 # what to open: /dev/ttyACM0, COM3
    label: str                  # what to show: "Arduino Uno"
    likely_station: bool
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None
    description: str = ""

    @property
    def usb_id(self) -> str:
        if self.vid is None or self.pid is None:
            return ""
        return f"{self.vid:04X}:{self.pid:04X}"


def describe_port(record: Any) -> tuple[PortInfo, int]:
    """One port record as a ``PortInfo``, with its sort rank."""
    vid = getattr(record, "vid", None)
    pid = getattr(record, "pid", None)
    description = getattr(record, "description", None) or ""
    known = KNOWN_USB_IDS.get((vid, pid)) if vid is not None else None
    if known is not None:
        label, rank = known
        likely = True
    elif vid in ANY_PRODUCT_VIDS:
        label, rank, likely = f"Arduino board (USB {vid:04X}:{pid or 0:04X})", 1, True
    else:
        device = getattr(record, "device", "")
        label = description if description and description != "n/a" else device
        rank, likely = _OTHER_RANK, False
    info = PortInfo(device=record.device, label=label, likely_station=likely, vid=vid,
                    pid=pid, serial_number=getattr(record, "serial_number", None),
                    description=description)
    return info, rank


def find_ports(records: Iterable[Any] | None = None) -> list[PortInfo]:
    """Every serial port, likely stations first (genuine boards before clones)."""
    if records is None:
        from serial.tools import list_ports
        records = list_ports.comports()
    described = [describe_port(r) for r in records]
    described.sort(key=lambda pair: (not pair[0].likely_station, pair[1],
                                     _natural_key(pair[0].device)))
    return [info for info, _ in described]


def _natural_key(device: str) -> list[Any]:
    """COM10 after COM9, ttyUSB10 after ttyUSB2."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", device)]

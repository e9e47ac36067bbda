"""pyserial URL handler ``sim://?scenario=NAME&seed=N&speed=X``: the simulated
station as a serial port, for ``serial.serial_for_url`` after ``register()``.

Query parameters: ``scenario`` (default ``DEFAULT_SCENARIO``, realistic), ``seed`` (0), ``speed``
(scenario seconds per wall second, 1), ``device_id`` (8 hex digits),
``swap`` (1: another board comes back after the unplug), ``boot_offset_us``
(micros() at boot), ``faults`` (line faults per second), ``first_seq``,
``force_rate_hz`` (the HX711 rate at boot, e.g. 1000 for benchmarks),
``distance_rate_hz`` (the HC-SR04 cycle rate, default ~20), ``absent_force`` (HX711s not
there from boot, e.g. ``1`` or ``0,1``: the station reports them as the firmware does),
``eeprom`` (``blank`` or ``corrupt``: no calibration record, ERR,EEPROM,… after each HELLO),
``distance_sensor`` (``none``: no distance sensor answers; HELLO says so),
``hang`` (known masses on the hooks from boot: ``left:20kg``, ``right:500g`` or
both, comma-separated; ``bench.parse_hang``).

The station behind a URL lives in a module registry, so closing and
reopening the same URL reaches the same (persistent) device; its scenario
clock starts at the first open and runs on wall time x speed whether the
port is open or not. Opening is a DTR reset: the board reboots and says
HELLO 0.1 s later. While the scenario has the cable out, open/read/write
raise ``SerialException`` like a vanished tty, and a handle opened before the
unplug stays dead: the host must reopen. ``clear_registry()`` forgets all,
``forget(url)`` one station: the next open starts its scenario afresh.
"""

from __future__ import annotations

import random
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Callable

import serial
from serial.serialutil import PortNotOpenError, SerialBase, SerialException

from ...protocol.sentences import BAUD_RATE, check_force_rate_hz
from .bench import parse_hang
from .scenarios import DEFAULT_SCENARIO, all_scenarios
from .station import SimulatedStation

PACKAGE = "backstation.device.sim"
MAX_WAIT_S = 0.02   # read() polls the station at least this often
DEVICE_BAUD = BAUD_RATE


def misread(data: bytes, ratio: float, rng: random.Random) -> bytes:
    """What a UART set to the wrong baud rate makes of ``data``: framing
    errors, so roughly ``ratio`` bytes of noise per byte sent, and never the
    sentence that was sent."""
    return bytes(rng.randrange(256) for _ in range(int(len(data) * ratio)))


def register() -> None:
    """Let ``serial.serial_for_url`` find ``sim://`` (idempotent)."""
    if PACKAGE not in serial.protocol_handler_packages:
        serial.protocol_handler_packages.append(PACKAGE)


@dataclass
class _Entry:
    station: SimulatedStation
    speed: float
    wall0_s: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now_s(self) -> float:
        return (time.monotonic() - self.wall0_s) * self.speed


_REGISTRY: dict[str, _Entry] = {}
_REGISTRY_LOCK = threading.Lock()


def clear_registry() -> None:
    with _REGISTRY_LOCK:
        _REGISTRY.clear()


def forget(url: str) -> None:
    """The station behind ``url`` is dropped: the next open of ``url`` boots
    a new one at the start of its scenario (a port still open on the old one
    keeps reading it until it is closed)."""
    with _REGISTRY_LOCK:
        _REGISTRY.pop(url, None)


def speed_for_url(url: str) -> float | None:
    """Scenario seconds per wall second of the station behind an opened URL."""
    entry = _REGISTRY.get(url)
    return entry.speed if entry else None


def station_for_url(url: str) -> SimulatedStation | None:
    """The station behind an opened URL (tests read its truth and tallies)."""
    entry = _REGISTRY.get(url)
    return entry.station if entry else None


def operate(url: str, action: Callable[[SimulatedStation], object]) -> object:
    """Run ``action`` on the station behind an opened URL, between two reads
    of its port (its lock held): a bench fault played mid-run, e.g.
    ``operate(url, lambda s: s.replug_load_cell(1))``. What it writes goes
    out with the next read."""
    entry = _REGISTRY.get(url)
    if entry is None:
        raise KeyError(f"no simulated station behind {url!r}: open it first")
    with entry.lock:
        return action(entry.station)


def simulated_url(scenario: str = DEFAULT_SCENARIO, seed: int = 0, speed: float = 1.0) -> str:
    """The ``sim://`` URL of a simulated station (``parse_url`` reads it back)."""
    url = f"sim://?scenario={scenario}&seed={seed}"
    return url if speed == 1.0 else f"{url}&speed={speed:g}"


def parse_url(url: str) -> tuple[dict, float]:
    """Station keyword arguments and the speed from a ``sim://`` URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() != "sim":
        raise SerialException(f"expected a sim:// URL, got {url!r}")
    try:
        query = dict(urllib.parse.parse_qsl(parts.query, strict_parsing=bool(parts.query)))
        kwargs: dict = {"scenario": query.pop("scenario", DEFAULT_SCENARIO),
                        "seed": int(query.pop("seed", 0))}
        speed = float(query.pop("speed", 1.0))
        if "device_id" in query:
            kwargs["device_id"] = query.pop("device_id")
        if "swap" in query:
            kwargs["swap_device"] = query.pop("swap") not in ("0", "false", "")
        if "absent_force" in query:   # a bench fault: HX711s not there, e.g. "1" or "0,1"
            kwargs["absent_force"] = tuple(int(c) for c in query.pop("absent_force").split(","))
        if "eeprom" in query:         # blank or corrupt: the station runs on defaults
            kwargs["eeprom"] = query.pop("eeprom")
        if "distance_sensor" in query:   # none: no distance sensor answers
            kwargs["distance_sensor"] = query.pop("distance_sensor")
        if "hang" in query:              # known masses on the hooks, e.g. left:20kg
            kwargs["hang"] = parse_hang(query.pop("hang"))
        for name, key, conv in (("boot_offset_us", "boot_offset_us", int),
                                ("faults", "faults_per_s", float), ("first_seq", "first_seq", int),
                                ("force_rate_hz", "force_rate_hz", int),
                                ("distance_rate_hz", "distance_rate_hz", float)):
            if name in query:
                kwargs[key] = conv(query.pop(name))
        if "force_rate_hz" in kwargs:
            check_force_rate_hz(kwargs["force_rate_hz"])
    except ValueError as e:
        raise SerialException(f"bad sim:// URL {url!r}: {e}") from None
    if query:
        raise SerialException(f"unknown sim:// parameters: {', '.join(sorted(query))}")
    if kwargs["scenario"] not in all_scenarios():
        raise SerialException(f"unknown scenario {kwargs['scenario']!r}")
    if not speed > 0:
        raise SerialException("speed must be > 0")
    return kwargs, speed


def _entry_for(url: str) -> tuple[_Entry, bool]:
    """The registry entry for ``url`` and whether it was just created."""
    with _REGISTRY_LOCK:
        entry = _REGISTRY.get(url)
        if entry is not None:
            return entry, False
        kwargs, speed = parse_url(url)
        entry = _Entry(SimulatedStation(**kwargs), speed)
        _REGISTRY[url] = entry
        return entry, True


class Serial(SerialBase):
    """A port onto the simulated station (see the module docstring)."""

    def __init__(self, *args, **kwargs):
        self._entry: _Entry | None = None
        self._rx = bytearray()
        self._dead = False
        self._opened_s = 0.0
        self._cancel = threading.Event()
        self._noise = random.Random(0)
        super().__init__(*args, **kwargs)

    def open(self) -> None:
        if self._port is None:
            raise SerialException("Port must be configured before it can be used.")
        if self.is_open:
            raise SerialException("Port is already open.")
        entry, created = _entry_for(self.portstr)
        with entry.lock:
            now = entry.now_s()
            entry.station.advance(now)   # nobody listened: those bytes are gone
            if entry.station.unplugged(now):
                raise SerialException(f"could not open port {self.portstr}: "
                                      "[Errno 2] No such file or directory")
            if not created:   # a new station has just booted at t=0
                entry.station.reset()
            self._opened_s = now
        self._entry = entry
        self._rx = bytearray()
        self._dead = False
        self._cancel.clear()
        self.is_open = True

    def close(self) -> None:
        self.is_open = False
        self._cancel.set()

    def from_url(self, url: str) -> str:
        parse_url(url)
        return url

    def _reconfigure_port(self) -> None:
        pass

    def _update_dtr_state(self) -> None:
        pass

    def _update_rts_state(self) -> None:
        pass

    def _update_break_state(self) -> None:
        pass

    def _pump(self) -> None:
        """Bring the station up to now; notice the cable being pulled."""
        entry = self._entry
        with entry.lock:
            now = entry.now_s()
            window = entry.station.unplug_window
            if window and self._opened_s < window[0] <= now:
                if entry.station.now_s < window[0]:
                    self._rx += self._through_uart(entry.station.advance(window[0]))
                entry.station.advance(now)
                self._dead = True
            else:
                self._rx += self._through_uart(entry.station.advance(now))

    def _through_uart(self, data: bytes) -> bytes:
        """The bytes as the other side's UART sees them, at this port's baud rate."""
        if not data or self._baudrate == DEVICE_BAUD:
            return data
        return misread(data, self._baudrate / DEVICE_BAUD, self._noise)

    def _check(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()
        self._pump()

    @property
    def in_waiting(self) -> int:
        self._check()
        if self._dead and not self._rx:
            raise SerialException("device disconnected (USB cable pulled)")
        return len(self._rx)

    def read(self, size: int = 1) -> bytes:
        self._check()
        deadline = None if self._timeout is None else time.monotonic() + self._timeout
        while len(self._rx) < size:
            if self._dead:
                if self._rx:
                    break
                raise SerialException("device reports readiness to read but returned no data "
                                      "(device disconnected or multiple access on port?)")
            wait_s = MAX_WAIT_S
            if deadline is not None:
                wait_s = min(wait_s, deadline - time.monotonic())
                if wait_s <= 0:
                    break
            if self._cancel.wait(wait_s):
                self._cancel.clear()
                break
            if not self.is_open:
                break
            self._pump()
        data = bytes(self._rx[:size])
        del self._rx[:size]
        return data

    def write(self, data: bytes) -> int:
        self._check()
        if self._dead:
            raise SerialException("write failed: [Errno 5] Input/output error")
        data = self._through_uart(bytes(data))
        with self._entry.lock:
            self._entry.station.receive(data)
        return len(data)

    def reset_input_buffer(self) -> None:
        self._check()
        self._rx.clear()

    def reset_output_buffer(self) -> None:
        if not self.is_open:
            raise PortNotOpenError()

    def cancel_read(self) -> None:
        self._cancel.set()

    def cancel_write(self) -> None:
        pass

    @property
    def out_waiting(self) -> int:
        return 0

    @property
    def cts(self) -> bool:
        return True

    @property
    def dsr(self) -> bool:
        return True

    @property
    def ri(self) -> bool:
        return False

    @property
    def cd(self) -> bool:
        return True

"""Opening a port and recognising the station on it.

``open_port`` is the one place that calls ``serial.serial_for_url``, so real
ports, ptys, ``loop://`` and the simulator's ``sim://`` all open the same
way, and every failure comes out as a ``LinkError``. ``probe_hello`` is the
handshake of docs/design.md §3: an Uno resets when the port opens (DTR), so wait up
to 3 s for its boot HELLO, then ask with INFO and wait a little more.

The probe decodes with a throwaway decoder and hands back the raw chunks, so
the link can feed them to its ``DeviceStream`` only after it decided to
adopt the device (a refused device must leave no trace in the session).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import serial

from ..protocol import commands
from ..protocol.decoder import StreamDecoder
from ..protocol.sentences import PROTOCOL_VERSION, Hello
from .errors import LinkError, NoHello, RefusedHello, UnsupportedProtocol, map_serial_error
from .ports import find_ports

READ_TIMEOUT_S = 0.05   # bounds how long the reader takes to notice its stop event
WRITE_TIMEOUT_S = 1.0   # a device that stopped reading must not hang a command forever
INFO_TIMEOUT_S = 1.0    # after INFO, how long a live firmware may take to answer

SerialLike = Any        # pyserial's Serial or anything with read/write/in_waiting/close
Opener = Callable[[str, int], SerialLike]


def register_url_handlers() -> bool:
    """Make ``sim://`` known to pyserial when the simulator is installed."""
    try:
        from ..device.sim import protocol_sim  # type: ignore[attr-defined]
    except ImportError:
        return False
    register = getattr(protocol_sim, "register", None)
    if register is not None:
        register()
    return True


def open_port(url: str, baudrate: int) -> SerialLike:
    """Open ``url`` for exclusive use; any failure is a ``LinkError`` saying why."""
    if url.startswith("sim://") and not register_url_handlers():
        raise LinkError(f"{url}: the simulated station is not installed with this app")
    options = dict(baudrate=baudrate, timeout=READ_TIMEOUT_S, write_timeout=WRITE_TIMEOUT_S,
                   do_not_open=False)
    try:
        try:
            return serial.serial_for_url(url, exclusive=True, **options)
        except TypeError:
            # A URL handler that predates pyserial's ``exclusive`` option.
            return serial.serial_for_url(url, **options)
    except (serial.SerialException, OSError, ValueError) as exc:
        raise map_serial_error(exc, url, _present_ports()) from exc


def _present_ports() -> list[str]:
    try:
        return [p.device for p in find_ports()]
    except Exception:  # listing ports is only decoration for an error message
        return []


def close_quietly(ser: SerialLike | None) -> None:
    if ser is None:
        return
    try:
        ser.close()
    except Exception:  # the port is already gone; nothing left to release
        pass


def read_chunk(ser: SerialLike) -> bytes:
    """Whatever arrived, or wait up to READ_TIMEOUT_S for one byte (never
    ``readline``, which reads one byte per call: docs/design.md §7)."""
    return ser.read(ser.in_waiting or 1)


@dataclass
class Probe:
    hello: Hello
    chunks: list[tuple[bytes, float]] = field(default_factory=list)  # (data, t_host_s)
    info_sent: bool = False


def probe_hello(ser: SerialLike, port: str, baudrate: int, hello_timeout_s: float,
                clock: Callable[[], float], stop: threading.Event,
                info_timeout_s: float = INFO_TIMEOUT_S) -> Probe | None:
    """Wait for HELLO (sending INFO once if it is late); ``None`` if ``stop`` was set.

    Raises ``NoHello``, ``UnsupportedProtocol``, ``RefusedHello`` (a HELLO
    refused for its content, with the decoder's reason), or pyserial/OS errors
    from the port. A refused HELLO is the station's answer: no waiting on.
    """
    decoder = StreamDecoder()
    chunks: list[tuple[bytes, float]] = []
    info_sent = False
    deadline = time.monotonic() + hello_timeout_s
    while not stop.is_set():
        data = read_chunk(ser)
        if data:
            chunks.append((data, clock()))
            for sentence in decoder.feed(data):
                if isinstance(sentence, Hello):
                    if sentence.protocol != PROTOCOL_VERSION:
                        raise UnsupportedProtocol(port, sentence.protocol)
                    return Probe(sentence, chunks, info_sent)
            refused = decoder.refusals.get("HELLO")
            if refused is not None:
                protocol = Hello.protocol_of(refused.fields)
                if protocol is not None and protocol != PROTOCOL_VERSION:
                    raise UnsupportedProtocol(port, protocol)
                raise RefusedHello(port, refused.reason)
        if time.monotonic() >= deadline:
            if info_sent:
                raise NoHello(port, baudrate, hello_timeout_s)
            ser.write(commands.info().line())
            info_sent = True
            deadline = time.monotonic() + info_timeout_s
    return None

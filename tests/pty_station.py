"""A station of the tests' own on a pty: the master side is driven here, the
link opens the slave path like any serial port. Sentences are framed with
``binascii.crc_hqx`` as docs/protocol.md §1 describes, not with the project's
encoder, and what the link writes is kept byte for byte.

``PtyPort`` is the wire: a reader thread that splits what the link writes into
lines and writes back a subclass's ``answer``; ``PtyDevice`` is a station
answering INFO, START, STOP and PING; ``Usb`` one USB socket a ``DeviceLink``'s
opener opens whichever device is plugged in; ``wait_for_event`` waits on a
link's events."""

from __future__ import annotations

import binascii
import fcntl
import os
import select
import struct
import termios
import threading
import time
import tty

import pytest
import serial

ID = "0000BEEF"
# Upper bound for anything the tests wait on; normally milliseconds. Generous:
# a shared 2-core machine under load can leave a thread unscheduled for seconds.
WAIT_S = 30.0


def frame(body: str, crc_ok: bool = True) -> bytes:
    """``$body*CRC\\r\\n``; ``crc_ok=False`` spoils the checksum (one bit).
    The body is UTF-8, so a test can send what the protocol's ASCII forbids."""
    data = body.encode("utf-8")
    crc = binascii.crc_hqx(data, 0xFFFF) ^ (0 if crc_ok else 0x0100)
    return b"$" + data + b"*" + b"%04X" % crc + b"\r\n"


def hello(device_id=ID, channels=2, protocol=1) -> bytes:
    return frame(f"HELLO,{protocol},evil-1,{device_id},{channels},80,hcsr04")


class PtyPort:
    """The master side of a pty. Every byte the link writes is kept in
    ``received`` and each line (without its ``\\n``) in ``lines``; the reply to
    a line is ``answer(line)``. With ``PACKET_MODE`` (TIOCPKT) the port also
    sees the other side open it: pyserial flushes its input on open, and
    ``port_flushed`` is called."""

    PACKET_MODE = False
    THREAD_NAME = "pty-station"

    def __init__(self):
        self.received = bytearray()
        self.lines: list[bytes] = []
        self.changed = threading.Condition()
        self.master, self.slave = os.openpty()
        tty.setraw(self.master)
        self.path = os.ttyname(self.slave)
        self._stop = threading.Event()
        # The test's thread and the reader (its replies) both write: one whole
        # write at a time, or a reply lands inside a sample frame and breaks it.
        self._write_lock = threading.RLock()   # a subclass may hold it around several writes
        self._thread = threading.Thread(target=self._run, name=self.THREAD_NAME)
        self._thread.start()

    def answer(self, line: bytes) -> bytes:
        """The bytes to write back for one line the link wrote (b"": nothing)."""
        return b""

    def port_flushed(self) -> None:
        """PACKET_MODE only: the other side opened the port (and flushed it)."""

    @property
    def unplugged(self) -> bool:
        return self._stop.is_set()

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        with self._write_lock:
            while view:
                select.select([], [self.master], [], WAIT_S)
                view = view[os.write(self.master, view[:4096]):]

    def wait_for_line(self, text: bytes, count: int = 1) -> None:
        with self.changed:
            assert self.changed.wait_for(
                lambda: sum(line.startswith(text) for line in self.lines) >= count, WAIT_S), (
                f"{text!r} not received {count}x: {self.lines}")

    def _run(self) -> None:
        if self.PACKET_MODE:
            fcntl.ioctl(self.master, termios.TIOCPKT, struct.pack("i", 1))
        pending = b""
        while not self._stop.is_set():
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            try:
                data = os.read(self.master, 4097)
            except OSError:
                continue                        # no slave open at the moment
            if self.PACKET_MODE:
                if data[0] != termios.TIOCPKT_DATA:
                    if data[0] & termios.TIOCPKT_FLUSHREAD:
                        self.port_flushed()
                    continue
                data = data[1:]
            pending += data
            with self.changed:
                self.received += data
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                with self.changed:
                    self.lines.append(line)
                    self.changed.notify_all()
                reply = self.answer(line)
                if reply:
                    self.write(reply)

    def unplug(self) -> None:
        """Stop answering and close the pty (idempotent)."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join(WAIT_S)
            os.close(self.master)
            os.close(self.slave)

    close = unplug


def command_word(line: bytes) -> str:
    """A command line's word, upper case ("" for a blank line)."""
    return line.split(b"*")[0].split()[0].decode().upper() if line.strip() else ""


class PtyDevice(PtyPort):
    """A station on a pty. Answers INFO (HELLO + CALs), START/STOP/PING (ACK),
    or what ``replies`` says; ``samples`` makes F sentences from one boot."""

    THREAD_NAME = "pty-device"

    def __init__(self, device_id=ID, channels=2, replies=None):
        self.device_id = device_id
        self.channels = channels
        self.replies = dict(replies or {})
        self.streaming = False
        self.f_seq = 0
        self.t_us = 1_000_000
        super().__init__()

    def greeting(self) -> bytes:
        return hello(self.device_id, self.channels) + b"".join(
            frame(f"CAL,{ch},0,100.0000") for ch in range(self.channels))

    def answer(self, line: bytes) -> bytes:
        word = command_word(line)
        if word in self.replies:
            return self.replies[word]
        if word == "INFO":
            return self.greeting()
        if word in ("START", "STOP"):
            self.streaming = word == "START"
        return frame(f"ACK,{word}")

    def samples(self, n: int) -> bytes:
        out = b""
        for _ in range(n):
            raw = ",".join(str(self.f_seq + ch) for ch in range(self.channels))
            out += frame(f"F,{self.f_seq % 65536},{self.t_us},{raw}")
            self.f_seq += 1
            self.t_us += 12_500
        return out


class Usb:
    """One fake USB socket: the link's opener opens whichever pty is plugged in."""

    def __init__(self):
        self.device: PtyPort | None = None

    def plug(self, device: PtyPort) -> PtyPort:
        self.device = device
        return device

    def open(self, url: str, baudrate: int):
        if self.device is None or self.device.unplugged:
            raise serial.SerialException(2, f"could not open port {url}: No such file")
        return serial.Serial(self.device.path, baudrate, timeout=0.05, write_timeout=1.0,
                             exclusive=True)


@pytest.fixture
def usb():
    """A ``Usb`` whose device is unplugged after the test."""
    usb = Usb()
    yield usb
    if usb.device is not None:
        usb.device.unplug()


def wait_for_event(link, kind: type, seen: list | None = None, wait_s: float = WAIT_S):
    """The first event of ``kind`` in ``seen`` or, draining ``link``'s events
    into ``seen``, still to come within ``wait_s``."""
    seen = [] if seen is None else seen
    for event in seen:
        if isinstance(event, kind):
            return event
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        seen.extend(link.drain_events(timeout_s=deadline - time.monotonic()))
        for event in seen:
            if isinstance(event, kind):
                return event
    raise AssertionError(f"no {kind.__name__} within {wait_s} s")

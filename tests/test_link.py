"""DeviceLink against fake stations: a fake serial object (plug/unplug at will)
and a real pty pair driven by a small fake device thread.

Command lines are checked byte-exactly (pymeasure ``expected_protocol``
style): the literals below are what the firmware must receive.
"""

from __future__ import annotations

import errno
import threading
import time

import numpy as np
import pytest
import serial

from backstation.link import link as link_module
from backstation.link import (
    CalibrationReceived, CommandFailed, CommandTimeout, Connected, ConnectionLost,
    DeviceLink, DeviceRebooted, DeviceRefused, LinkFault, LinkState, NoHello, NotConnected, PortBusy,
    PortInfo, PortNotFound, StateChanged, StatReceived, UnsupportedProtocol, WrongDevice,
)
from backstation.protocol.commands import CommandError, parse_command
from backstation.protocol.sentences import (
    Ack, Cal, DistanceSample, Err, ForceSample, Hello, Stat, encode,
)

from .pty_station import WAIT_S, PtyPort, wait_for_event

OURS = "0000BEEF"
OTHER = "DEADBEEF"


@pytest.fixture(autouse=True)
def generous_command_timeouts(monkeypatch):
    """The fakes answer within the write; the link's reply timeouts (sized for a
    real station) only bound a wait here, so a loaded machine must not trip them.
    Tests of a timeout pass their own ``timeout_s``."""
    monkeypatch.setattr(link_module, "DEFAULT_COMMAND_TIMEOUT_S", WAIT_S)
    monkeypatch.setattr(link_module, "COMMAND_TIMEOUT_S", {})
    monkeypatch.setattr(link_module, "CAL_AFTER_ACK_S", WAIT_S)


@pytest.fixture(autouse=True)
def threads_joined_by_close():
    """Stricter than conftest's check: no grace period, close() must have joined."""
    before = set(threading.enumerate())
    yield
    left = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    assert not left, f"threads left running: {left}"


# -- a fake station: the firmware's replies, without timing ---------------------------


class FakeStation:
    def __init__(self, device_id=OURS, protocol=1, hello_on_open=True, answer_info=True,
                 channels=2, silent=(), errors=None):
        self.hello = Hello(protocol, "fake-1.0", device_id, channels, 80, "hcsr04")
        self.cals = {ch: Cal(ch, 1000 * (ch + 1), 100.0 + ch) for ch in range(channels)}
        self.hello_on_open = hello_on_open
        self.answer_info = answer_info
        self.silent = set(silent)
        self.errors = dict(errors or {})
        self.streaming = False
        self.received = bytearray()
        self.port: FakeSerial | None = None
        self._f_seq = 0
        self._d_seq = 0
        self._t_us = 1_000_000

    def greeting(self) -> bytes:
        return encode(self.hello) + b"".join(encode(c) for c in self.cals.values())

    def boot_bytes(self) -> bytes:
        return self.greeting() if self.hello_on_open else b""

    def handle(self, line: bytes) -> bytes:
        try:
            cmd = parse_command(line)
        except CommandError as exc:
            return encode(Err(exc.command, exc.reason))
        if cmd.name in self.silent:
            return b""
        if cmd.name in self.errors:
            return encode(Err(cmd.name, self.errors[cmd.name]))
        if cmd.name == "INFO":
            return self.greeting() if self.answer_info else b""
        if cmd.name == "START":
            self.streaming = True
        elif cmd.name == "STOP":
            self.streaming = False
        ack = encode(Ack(cmd.name))
        if cmd.name == "TARE":
            channels = [int(cmd.args[0])] if cmd.args else list(self.cals)
            for ch in channels:
                self.cals[ch] = Cal(ch, 5, self.cals[ch].counts_per_newton)
            return ack + b"".join(encode(self.cals[ch]) for ch in channels)
        if cmd.name == "CAL":
            ch = int(cmd.args[0])
            self.cals[ch] = Cal(ch, self.cals[ch].offset_counts, 98.0665)
            return ack + encode(self.cals[ch])
        if cmd.name == "SETCAL":
            ch = int(cmd.args[0])
            self.cals[ch] = Cal(ch, int(cmd.args[1]), float(cmd.args[2]))
            return encode(self.cals[ch]) + ack  # CAL before ACK is allowed too
        return ack

    def samples(self, force: int, distance: int = 0) -> bytes:
        """``force`` F sentences at 80 Hz, one D every 4th; raw = seq*10, -seq."""
        out = bytearray()
        for i in range(force):
            out += encode(ForceSample(self._f_seq, self._t_us, (self._f_seq * 10, -self._f_seq)))
            if i % 4 == 0 and distance > 0:
                out += encode(DistanceSample(self._d_seq, self._t_us, 300 + self._d_seq))
                self._d_seq += 1
                distance -= 1
            self._f_seq += 1
            self._t_us += 12_500
        return bytes(out)


class FakeSerial:
    """The host side of a USB port: read/write/in_waiting/close/cancel_read."""

    def __init__(self, station: FakeStation):
        self.station = station
        self.cond = threading.Condition()
        self.buffer = bytearray(station.boot_bytes())
        self.dead = False
        self.closed = False
        self._line = bytearray()

    @property
    def in_waiting(self) -> int:
        with self.cond:
            self._check()
            return len(self.buffer)

    def read(self, size: int = 1) -> bytes:
        with self.cond:
            self._check()
            if not self.buffer:
                self.cond.wait(0.05)
                self._check()
            data = bytes(self.buffer[:size])
            del self.buffer[:size]
            return data

    def write(self, data: bytes) -> int:
        with self.cond:
            self._check()
            self.station.received += data
            self._line += data
            while b"\n" in self._line:
                line, _, rest = bytes(self._line).partition(b"\n")
                self._line = bytearray(rest)
                self.buffer += self.station.handle(line + b"\n")
            self.cond.notify_all()
            return len(data)

    def push(self, data: bytes) -> None:
        with self.cond:
            self.buffer += data
            self.cond.notify_all()

    def cancel_read(self) -> None:
        with self.cond:
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()

    def kill(self) -> None:
        with self.cond:
            self.dead = True
            self.cond.notify_all()

    def _check(self) -> None:
        if self.dead:
            raise serial.SerialException("device reports readiness to read but returned no "
                                         "data (device disconnected or multiple access on port?)")
        if self.closed:
            raise serial.PortNotOpenError()


class FakeUsb:
    """Ports that can be plugged and unplugged; its ``open`` is the link's opener."""

    def __init__(self):
        self.stations: dict[str, FakeStation] = {}
        self.opened: list[tuple[str, FakeSerial]] = []

    def plug(self, url: str, station: FakeStation) -> FakeStation:
        self.stations[url] = station
        return station

    def unplug(self, url: str) -> None:
        station = self.stations.pop(url)
        if station.port is not None:
            station.port.kill()

    def open(self, url: str, baudrate: int) -> FakeSerial:
        station = self.stations.get(url)
        if station is None:
            raise serial.SerialException(errno.ENOENT, f"could not open port {url}: "
                                                       "[Errno 2] No such file or directory")
        ser = FakeSerial(station)
        station.port = ser
        self.opened.append((url, ser))
        return ser


@pytest.fixture
def usb():
    return FakeUsb()


def make_link(usb, url="fake://station", **kw) -> DeviceLink:
    kw.setdefault("hello_timeout_s", 0.2)
    kw.setdefault("info_timeout_s", 0.2)
    kw.setdefault("reconnect_interval_s", 0.02)
    kw.setdefault("refused_retry_s", 0.05)
    kw.setdefault("port_lister", lambda: [])
    return DeviceLink(url, opener=usb.open, **kw)


@pytest.fixture
def link_factory(usb):
    links = []

    def factory(**kw):
        link = make_link(usb, **kw)
        links.append(link)
        return link

    yield factory
    for link in links:
        link.close()


# -- opening -----------------------------------------------------------------------


def test_open_adopts_the_device_from_its_boot_hello_without_sending_anything(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    hello = link.open()
    assert hello.device_id == OURS and hello.protocol == 1
    assert link.state is LinkState.IDLE
    assert link.device_id == OURS and link.hello == hello
    assert bytes(station.received) == b""
    assert link.calibration == station.cals
    events = link.drain_events()
    assert [type(e) for e in events] == [StateChanged, Connected, CalibrationReceived,
                                         CalibrationReceived, StateChanged]
    assert [e.state for e in events if isinstance(e, StateChanged)] == [
        LinkState.CONNECTING, LinkState.IDLE]


def test_late_device_is_asked_with_info_and_its_reply_adopted(usb, link_factory):
    station = usb.plug("fake://station", FakeStation(hello_on_open=False))
    link = link_factory()
    assert link.open().device_id == OURS
    assert bytes(station.received) == b"INFO*01C6\n"
    assert link.state is LinkState.IDLE
    assert link.stats.reboots == 0


def test_silent_port_raises_no_hello_after_info_and_releases_the_port(usb, link_factory):
    usb.plug("fake://station", FakeStation(hello_on_open=False, answer_info=False))
    link = link_factory()
    started = time.monotonic()
    with pytest.raises(NoHello, match="wrong baud rate, or not a Back Station"):
        link.open()
    assert 0.4 <= time.monotonic() - started < WAIT_S  # hello 0.2 s + INFO 0.2 s
    assert link.state is LinkState.CLOSED
    assert usb.opened[0][1].closed
    assert usb.stations["fake://station"].received == b"INFO*01C6\n"


def test_protocol_2_device_is_refused_as_unsupported(usb, link_factory):
    usb.plug("fake://station", FakeStation(protocol=2))
    link = link_factory()
    with pytest.raises(UnsupportedProtocol, match="speaks protocol 2, this app speaks 1"):
        link.open()
    assert usb.opened[0][1].closed and link.state is LinkState.CLOSED


def test_another_station_than_expected_is_not_adopted(usb, link_factory):
    usb.plug("fake://station", FakeStation(device_id=OTHER))
    link = link_factory(expect_device_id=OURS.lower())
    with pytest.raises(WrongDevice) as caught:
        link.open()
    assert (caught.value.expected_device_id, caught.value.found_device_id) == (OURS, OTHER)
    assert usb.opened[0][1].closed


def test_missing_port_raises_port_not_found(usb, link_factory):
    link = link_factory()
    with pytest.raises(PortNotFound, match="fake://station"):
        link.open()
    assert link.state is LinkState.CLOSED


def test_a_link_opens_once(usb, link_factory):
    usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.close()
    with pytest.raises(Exception, match="already opened"):
        link.open()


# -- commands ------------------------------------------------------------------------


def test_commands_are_written_byte_exactly_and_return_on_their_ack(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    assert link.state is LinkState.STREAMING
    round_trip_s = link.ping()
    assert 0 < round_trip_s < WAIT_S
    assert link.latency.count == 1 and link.latency.last_s == round_trip_s
    link.set_rate(80)
    assert link.info().device_id == OURS
    link.stop()
    assert link.state is LinkState.IDLE
    assert bytes(station.received) == (b"START*0D17\nPING*6427\nRATE 80*264E\nINFO*01C6\n"
                                       b"STOP*AF2E\n")
    assert not any(isinstance(e, DeviceRebooted) for e in link.drain_events())


def test_calibration_commands_return_the_cal_the_device_sent(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    assert link.tare() == {0: Cal(0, 5, 100.0), 1: Cal(1, 5, 101.0)}
    assert link.tare(1) == {1: Cal(1, 5, 101.0)}
    assert link.calibrate(0, 20000) == Cal(0, 5, 98.0665)
    assert link.set_calibration(1, -1200, 105.5) == Cal(1, -1200, 105.5)
    assert link.calibration[1] == Cal(1, -1200, 105.5)
    assert bytes(station.received) == (b"TARE*612B\nTARE 1*8D86\nCAL 0 20000*9ABC\n"
                                       b"SETCAL 1 -1200 105.5*1AE4\n")


def test_err_reply_raises_command_failed_with_the_reason(usb, link_factory):
    usb.plug("fake://station", FakeStation(errors={"TARE": "unstable"}))
    link = link_factory()
    link.open()
    with pytest.raises(CommandFailed) as caught:
        link.tare(0)
    assert (caught.value.command, caught.value.reason) == ("TARE", "unstable")
    assert link.ping() > 0  # the link is still usable


def test_unanswered_command_times_out_and_the_next_one_still_works(usb, link_factory):
    station = usb.plug("fake://station", FakeStation(silent={"PING"}))
    link = link_factory()
    link.open()
    with pytest.raises(CommandTimeout, match="PING"):
        link.ping(timeout_s=0.1)
    station.silent.clear()
    assert link.ping() > 0


def test_rate_other_than_10_or_80_is_refused_before_sending(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    with pytest.raises(ValueError):
        link.set_rate(40)
    assert bytes(station.received) == b""


# -- samples and events ------------------------------------------------------------------


def test_samples_sent_before_stop_are_all_drained_with_their_values(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    station.port.push(station.samples(force=40, distance=10))
    link.stop()  # returns after ACK,STOP: everything before it is queued
    force, distance = link.drain()
    assert len(force) == 40 and len(distance) == 10
    assert force.seq.tolist() == list(range(40))
    np.testing.assert_array_equal(force.raw[:, 0], np.arange(40) * 10)
    np.testing.assert_array_equal(force.raw[:, 1], -np.arange(40))
    np.testing.assert_array_equal(np.diff(force.t_device_us), 12_500)
    assert force.t_device_us[0] == 1_000_000
    assert distance.gap_mm.tolist() == list(range(300, 310))
    assert link.stats.force_samples == 40 and link.stats.distance_samples == 10
    assert link.stats.lost_samples == 0
    empty_force, empty_distance = link.drain()
    assert len(empty_force) == 0 and len(empty_distance) == 0


def test_drain_waits_for_the_first_block(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    pusher = threading.Timer(0.05, lambda: station.port.push(station.samples(force=3)))
    pusher.start()
    try:
        force, _ = link.drain(timeout_s=WAIT_S)
    finally:
        pusher.join(WAIT_S)   # it may still be finishing when the block is already in
    assert len(force) >= 1


def test_stat_and_unmatched_err_become_events(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    stat = Stat(2_000_000, 8000, 2000, 3, 0)
    station.port.push(encode(stat) + encode(Err("RATE", "range")))
    seen: list = []
    wait_for_event(link, StatReceived, seen)
    wait_for_event(link, LinkFault, seen)
    (event,) = [e for e in seen if isinstance(e, StatReceived)]
    assert event.stat == stat and link.last_stat == stat
    (fault,) = [e for e in seen if isinstance(e, LinkFault)]
    assert "RATE" in fault.message and "range" in fault.message


def test_unrequested_hello_while_streaming_is_a_reboot_and_start_is_resent(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    station.port.push(station.samples(force=5))
    station.port.push(station.greeting())
    rebooted = wait_for_event(link, DeviceRebooted)
    assert rebooted.hello.device_id == OURS
    link.ping()  # PING is answered after the re-sent START, so START has been written
    assert bytes(station.received) == b"START*0D17\nSTART*0D17\nPING*6427\n"


# -- reconnection ------------------------------------------------------------------------


def test_same_device_coming_back_is_adopted_and_streaming_resumes(usb, link_factory):
    usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    link.drain_events()
    usb.unplug("fake://station")
    assert link.wait_for_state(LinkState.RECONNECTING, WAIT_S)
    with pytest.raises(NotConnected, match="not connected"):
        link.ping()
    back = usb.plug("fake://station", FakeStation())
    events: list = []
    connected = wait_for_event(link, Connected, events)
    assert connected.reconnects == 1 and connected.hello.device_id == OURS
    assert link.wait_for_state(LinkState.STREAMING, WAIT_S)
    link.ping()
    assert bytes(back.received) == b"START*0D17\nPING*6427\n"
    assert link.stats.reconnects == 1
    states = [e for e in events + link.drain_events() if isinstance(e, StateChanged)]
    assert (states[-1].state, states[-1].reconnects) == (LinkState.STREAMING, 1)
    back.port.push(back.samples(force=8))
    link.stop()
    assert len(link.drain()[0]) == 8


def test_other_device_on_the_port_is_refused_until_ours_returns(usb, link_factory):
    usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    link.drain_events()
    usb.unplug("fake://station")
    assert link.wait_for_state(LinkState.RECONNECTING, WAIT_S)
    stranger = usb.plug("fake://station", FakeStation(device_id=OTHER))
    refused = wait_for_event(link, DeviceRefused)
    assert (refused.port, refused.expected_device_id, refused.found_device_id) == (
        "fake://station", OURS, OTHER)
    assert link.state is LinkState.RECONNECTING
    assert b"START" not in bytes(stranger.received)
    assert link.hello.device_id == OURS and link.stats.reconnects == 0
    usb.unplug("fake://station")
    usb.plug("fake://station", FakeStation())
    assert wait_for_event(link, Connected).hello.device_id == OURS
    assert link.wait_for_state(LinkState.STREAMING, WAIT_S)


def test_device_coming_back_on_another_port_is_found_through_the_port_list(usb):
    usb.plug("/dev/ttyFAKE0", FakeStation())
    listed: list[PortInfo] = []
    link = make_link(usb, url="/dev/ttyFAKE0", port_lister=lambda: list(listed))
    try:
        link.open()
        link.drain_events()
        usb.unplug("/dev/ttyFAKE0")
        assert link.wait_for_state(LinkState.RECONNECTING, WAIT_S)
        usb.plug("/dev/ttyFAKE1", FakeStation())
        listed.append(PortInfo("/dev/ttyFAKE1", "Arduino Uno", True, 0x2341, 0x0043))
        assert wait_for_event(link, Connected).port == "/dev/ttyFAKE1"
        assert link.port == "/dev/ttyFAKE1" and link.wait_for_state(LinkState.IDLE, WAIT_S)
    finally:
        link.close()


def test_write_failure_raises_connection_lost_and_starts_reconnecting(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.drain_events()
    station.port.dead = True  # dies without waking the reader: the write notices first
    with pytest.raises(ConnectionLost):
        link.ping()
    # The station is still plugged in, so the link gets it straight back.
    seen: list = []
    assert wait_for_event(link, Connected, seen).reconnects == 1
    states = [e.state for e in seen if isinstance(e, StateChanged)]
    assert states[:2] == [LinkState.RECONNECTING, LinkState.IDLE]


def test_close_while_reconnecting_returns_promptly(usb, link_factory):
    usb.plug("fake://station", FakeStation())
    link = link_factory(reconnect_interval_s=10 * WAIT_S)
    link.open()
    usb.unplug("fake://station")
    assert link.wait_for_state(LinkState.RECONNECTING, WAIT_S)
    started = time.monotonic()
    link.close()   # not held up by the wait before the next attempt (and the reader joined)
    assert time.monotonic() - started < WAIT_S
    assert link.state is LinkState.CLOSED


# -- closing -------------------------------------------------------------------------------


def test_close_sends_stop_when_streaming_joins_the_reader_and_is_idempotent(usb, link_factory):
    station = usb.plug("fake://station", FakeStation())
    link = link_factory()
    link.open()
    link.start()
    assert any(t.name.startswith("backstation-link") for t in threading.enumerate())
    port = station.port
    link.close()
    link.close()
    assert bytes(station.received) == b"START*0D17\nSTOP*AF2E\n"
    assert port.closed and link.state is LinkState.CLOSED
    assert not any(t.name.startswith("backstation-link") for t in threading.enumerate())
    with pytest.raises(NotConnected):
        link.ping()


def test_context_manager_opens_and_closes(usb):
    usb.plug("fake://station", FakeStation())
    with make_link(usb) as link:
        assert link.state is LinkState.IDLE
    assert link.state is LinkState.CLOSED


# -- a real pty: pyserial's POSIX port, exclusive locking, chunked reads ---------------------


class PtyStation(PtyPort):
    """``FakeStation``'s replies on a real pty; the link opens the slave path."""

    def __init__(self, station: FakeStation):
        self.station = station
        super().__init__()

    def answer(self, line: bytes) -> bytes:
        return self.station.handle(line + b"\n")


@pytest.fixture
def pty_station():
    station = PtyStation(FakeStation())
    yield station
    station.close()


def test_pty_station_is_asked_with_info_streams_and_stops(pty_station):
    # pyserial flushes the input on open, so the boot HELLO is gone: INFO must ask.
    link = DeviceLink(pty_station.path, hello_timeout_s=0.2, info_timeout_s=WAIT_S)
    try:
        assert link.open().device_id == OURS
        link.start()
        pty_station.write(pty_station.station.samples(force=200, distance=50))
        link.stop()
        force, distance = link.drain()
        assert force.seq.tolist() == list(range(200))
        assert len(distance) == 50
        assert bytes(pty_station.received) == b"INFO*01C6\nSTART*0D17\nSTOP*AF2E\n"
    finally:
        link.close()


def test_pty_already_held_by_another_program_is_busy(pty_station):
    holder = serial.Serial(pty_station.path, exclusive=True)
    try:
        with pytest.raises(PortBusy, match="Arduino IDE serial monitor"):
            DeviceLink(pty_station.path, hello_timeout_s=0.1).open()
    finally:
        holder.close()


def test_nonexistent_device_path_is_port_not_found():
    with pytest.raises(PortNotFound, match="/dev/ttyNOPE9"):
        DeviceLink("/dev/ttyNOPE9").open()

"""The station's health as the link keeps it (protocol/health.py, docs/protocol.md
§3 "Health"): a load cell reported absent stays absent until the station says
otherwise, a new HELLO without its ERR, or its channel reading the chip again;
a distance sensor HELLO said none until D comes. Wire cases against a station
of the test's own on a pty (tests/pty_station.py: binascii.crc_hqx framing as
docs/protocol.md says)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import serial

from backstation.link import DeviceLink, HealthChanged
from backstation.protocol import Hello
from backstation.protocol.health import StationHealth
from backstation.protocol.sentences import NO_DISTANCE_MESSAGE, absent_force_message

from .pty_station import WAIT_S, PtyPort, command_word, frame

ID = "0000C0DE"


class Station(PtyPort):
    """Two load cells and a distance sensor on a pty's master side. INFO gets
    HELLO, two CALs and an ERR,FORCE<n>,absent per channel in ``absent``;
    START/STOP/PING an ACK. The test writes samples with ``force``/``distance``."""

    def __init__(self, absent=(), distance_sensor="hcsr04"):
        self.absent = set(absent)
        self.distance_sensor = distance_sensor
        self.seq = {"F": 0, "D": 0}
        self.t_us = 1_000_000
        super().__init__()

    def info(self) -> bytes:
        out = frame(f"HELLO,1,t-1,{ID},2,80,{self.distance_sensor}")
        out += b"".join(frame(f"CAL,{ch},0,100.0000") for ch in (0, 1))
        return out + b"".join(frame(f"ERR,FORCE{ch},absent") for ch in sorted(self.absent))

    def force(self, n: int, right_raw: int = -1) -> bytes:
        out = b""
        for _ in range(n):
            self.t_us += 12_500
            out += frame(f"F,{self.seq['F']},{self.t_us},1500,{right_raw}")
            self.seq["F"] += 1
        return out

    def distance(self, n: int) -> bytes:
        out = b""
        for _ in range(n):
            self.t_us += 50_000
            out += frame(f"D,{self.seq['D']},{self.t_us},300")
            self.seq["D"] += 1
        return out

    def answer(self, line: bytes) -> bytes:
        word = command_word(line)
        if not word:
            return b""
        return self.info() if word == "INFO" else frame(f"ACK,{word}")


@pytest.fixture
def connect():
    made: list[tuple[Station, DeviceLink]] = []

    def make(**kw) -> tuple[Station, DeviceLink]:
        station = Station(**kw)
        link = DeviceLink("fake://bench", hello_timeout_s=0.1, info_timeout_s=WAIT_S,
                          port_lister=lambda: [],
                          opener=lambda url, baud: serial.Serial(station.path, baud,
                                                                 timeout=0.05))
        made.append((station, link))
        link.open()
        link.start()
        return station, link

    yield make
    for station, link in made:
        link.close()
        station.close()


def health_when(link: DeviceLink, done) -> list[StationHealth]:
    """Every health the link reported until ``done(link.health)``."""
    seen: list[StationHealth] = []
    deadline = time.monotonic() + WAIT_S
    while not done(link.health):
        assert time.monotonic() < deadline, f"gave up; health {link.health}, seen {seen}"
        seen += [e.health for e in link.drain_events(0.05) if isinstance(e, HealthChanged)]
    seen += [e.health for e in link.drain_events() if isinstance(e, HealthChanged)]
    return seen


def samples_read(link: DeviceLink, force: int = 0, distance: int = 0) -> None:
    """Wait until the link handed over that many samples (its health already
    reflects them: it is updated before they are queued)."""
    got_f = got_d = 0
    deadline = time.monotonic() + WAIT_S
    while got_f < force or got_d < distance:
        assert time.monotonic() < deadline, f"{got_f} F and {got_d} D read"
        f, d = link.drain(0.05)
        got_f, got_d = got_f + len(f), got_d + len(d)


def test_a_load_cell_stays_absent_while_its_channel_reads_the_pulled_up_dout(connect) -> None:
    station, link = connect(absent=(1,))
    assert link.health.problems == (absent_force_message(1),)
    station.write(station.force(80))                 # right channel -1: still absent
    samples_read(link, force=80)
    assert link.health.absent_force_channels == (1,)


def test_a_load_cell_answering_again_clears_it(connect) -> None:
    station, link = connect(absent=(1,))
    station.write(station.force(20) + station.force(1, right_raw=-81234))
    seen = health_when(link, lambda h: not h.absent_force_channels)
    assert seen[-1].problems == ()
    assert link.absent_force_channels == ()


def test_a_hello_without_the_report_clears_it_and_one_with_it_keeps_it(connect) -> None:
    station, link = connect(absent=(0, 1))
    assert link.absent_force_channels == (0, 1)
    station.absent = {0}
    assert link.info().device_id == ID
    health_when(link, lambda h: h.absent_force_channels == (0,))
    station.absent = set()
    link.info()
    health_when(link, lambda h: h.problems == ())


def test_no_distance_sensor_holds_until_a_d_comes(connect) -> None:
    station, link = connect(distance_sensor="none")
    assert link.health.problems == (NO_DISTANCE_MESSAGE,)
    station.write(station.force(40, right_raw=5))
    samples_read(link, force=40)
    assert link.health.problems == (NO_DISTANCE_MESSAGE,)
    station.write(station.distance(1))
    seen = health_when(link, lambda h: not h.distance_silent)
    assert seen[-1].problems == () and seen[-1].distance_sensor == "none"


# -- the rule itself, without a wire ------------------------------------------------------


def test_health_from_samples_only_clears_a_channel_that_read_something_else() -> None:
    health = StationHealth.from_hello(Hello(1, "t", ID, 2, 80, "none")).with_absent(1)
    health = health.with_absent(0)
    raw = np.array([[-1, -1], [-1, 7]], np.int32)
    after = health.after_samples(raw, 0)
    assert after.absent_force_channels == (0,) and after.distance_silent
    assert after.after_samples(np.empty((0, 2), np.int32), 0) is after
    assert after.after_samples(np.array([[-1, 3]], np.int32), 2).problems == (
        absent_force_message(0),)
    assert health.to_json() == {"force_channels_absent": [0, 1], "distance_sensor": "none",
                                "problems": [absent_force_message(0), absent_force_message(1),
                                             NO_DISTANCE_MESSAGE]}

"""The simulated station as a serial port: the sim:// URL handler and the
pty runner, opened with pyserial like a real Back Station."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
import threading
import time

import pytest
import serial

from backstation.device.sim import make_scenario
from backstation.device.sim import protocol_sim
from backstation.device.sim.pty_runner import PtyRunner, main_sim, run_pty
from backstation.protocol import ForceSample, Hello, StreamDecoder
from backstation.protocol.commands import start

BAUD = 250_000  # the station's rate: any other reads as noise, as on a real UART

DEADLINE_S = 5.0


@pytest.fixture(autouse=True)
def fresh_registry():
    protocol_sim.register()
    protocol_sim.clear_registry()
    yield
    protocol_sim.clear_registry()


def read_until(port, decoder, predicate, timeout_s=DEADLINE_S):
    """Read and decode until a sentence satisfies ``predicate``; return all seen."""
    seen = []
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        seen += decoder.feed(port.read(port.in_waiting or 1))
        if any(predicate(s) for s in seen):
            return seen
    raise AssertionError(f"nothing matched within {timeout_s} s; saw {len(seen)} sentences")


def retry_open(open_port, timeout_s=DEADLINE_S):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return open_port()
        except serial.SerialException:
            if time.monotonic() > deadline:
                raise
            threading.Event().wait(0.01)


def test_handler_module_imports_directly():
    # serial_for_url would hide an ImportError as "protocol not known".
    module = importlib.import_module("backstation.device.sim.protocol_sim")
    assert issubclass(module.Serial, serial.serialutil.SerialBase)


def test_register_is_idempotent():
    protocol_sim.register()
    protocol_sim.register()
    assert serial.protocol_handler_packages.count("backstation.device.sim") == 1


def test_bad_urls_are_refused():
    for url in ("sim://?scenario=nope", "sim://?speed=0", "sim://?colour=red", "sim://?seed=x"):
        with pytest.raises(serial.SerialException):
            serial.serial_for_url(url)


def test_url_port_says_hello_then_streams_after_start():
    url = "sim://?scenario=clean&seed=3&speed=10"
    with serial.serial_for_url(url, baudrate=BAUD, timeout=0.5) as port:
        decoder = StreamDecoder()
        hello = read_until(port, decoder, lambda s: isinstance(s, Hello))[0]
        assert hello.device_id == protocol_sim.station_for_url(url).device_id
        port.write(start().line())
        seen = read_until(port, decoder,
                          lambda s: isinstance(s, ForceSample) and s.seq >= 100)
        assert decoder.counters.errors == 0
        assert sum(isinstance(s, ForceSample) for s in seen) > 100


def test_read_honours_the_timeout_and_cancel_read():
    with serial.serial_for_url("sim://?seed=1&speed=10", baudrate=BAUD, timeout=0.05) as port:
        read_until(port, StreamDecoder(), lambda s: isinstance(s, Hello))
        t0 = time.monotonic()
        assert port.read(10**6) == b""   # no START: the boot chatter was all
        assert 0.04 < time.monotonic() - t0 < 1.0
        port.timeout = None
        canceller = threading.Timer(0.1, port.cancel_read)
        canceller.start()
        t0 = time.monotonic()
        try:
            assert port.read(10**6) == b""
        finally:
            canceller.join(DEADLINE_S)
        assert time.monotonic() - t0 < 1.0


def test_url_unplug_raises_then_the_device_comes_back_rebooted_with_another_id():
    url = "sim://?scenario=unplug&seed=2&speed=50&swap=1"
    port = serial.serial_for_url(url, baudrate=BAUD, timeout=0.2)
    decoder = StreamDecoder()
    first = read_until(port, decoder, lambda s: isinstance(s, Hello))[0]
    port.write(start().line())
    with pytest.raises(serial.SerialException):
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            decoder.feed(port.read(4096))
    with pytest.raises(serial.SerialException):
        port.write(b"PING\n")
    port.close()
    port = retry_open(lambda: serial.serial_for_url(url, baudrate=BAUD, timeout=0.2))
    try:
        decoder.reset()
        again = read_until(port, decoder, lambda s: isinstance(s, Hello))
        hello = [s for s in again if isinstance(s, Hello)][0]
        assert hello.device_id != first.device_id
        assert not any(isinstance(s, ForceSample) for s in again)   # waits for START
        station = protocol_sim.station_for_url(url)
        assert len(station.boots) >= 2 and station.boots[-1].t_s >= station.unplug_window[1]
    finally:
        port.close()


def test_opening_during_the_unplug_gap_fails_like_a_missing_tty():
    url = "sim://?scenario=unplug&seed=2&speed=50"
    serial.serial_for_url(url).close()
    station = protocol_sim.station_for_url(url)
    start_s, end_s = station.unplug_window
    entry = protocol_sim._REGISTRY[url]
    entry.wall0_s = time.monotonic() - (start_s + end_s) / 2 / entry.speed   # jump into the gap
    with pytest.raises(serial.SerialException):
        serial.serial_for_url(url)


def test_reopen_reaches_the_same_device_and_resets_it():
    url = "sim://?scenario=clean&seed=4&speed=10"
    with serial.serial_for_url(url, baudrate=BAUD, timeout=0.5) as port:
        read_until(port, StreamDecoder(), lambda s: isinstance(s, Hello))
    with serial.serial_for_url(url, baudrate=BAUD, timeout=0.5) as port:
        read_until(port, StreamDecoder(), lambda s: isinstance(s, Hello))
    assert len(protocol_sim.station_for_url(url).boots) == 2


@pytest.fixture
def runner():
    scenario = dataclasses.replace(make_scenario("unplug", 1), unplug_at_s=6.0)
    r = PtyRunner(scenario, seed=1, speed=10)
    yield r
    r.stop()
    assert r._thread is None or not r._thread.is_alive()


def test_pty_port_opens_says_hello_and_streams(runner):
    path = runner.start()
    assert os.path.islink(path)
    with serial.Serial(path, 250000, timeout=0.5) as port:
        decoder = StreamDecoder()
        read_until(port, decoder, lambda s: isinstance(s, Hello))
        port.write(start().line())
        read_until(port, decoder, lambda s: isinstance(s, ForceSample) and s.seq >= 50)
        assert decoder.counters.errors == 0


def test_pty_unplug_removes_the_path_and_brings_it_back_rebooted(runner):
    path = runner.start()
    port = serial.Serial(path, timeout=0.2)
    try:
        read_until(port, StreamDecoder(), lambda s: isinstance(s, Hello))
        port.write(start().line())
        assert runner.wait_plugged(False, DEADLINE_S)
        assert not os.path.lexists(path)
        with pytest.raises(serial.SerialException):
            deadline = time.monotonic() + DEADLINE_S
            while time.monotonic() < deadline:
                port.read(4096)
    finally:
        port.close()
    assert runner.wait_plugged(True, DEADLINE_S)
    with serial.Serial(path, timeout=0.5) as port:
        read_until(port, StreamDecoder(), lambda s: isinstance(s, Hello))
    summary = runner.summary()
    assert summary["replugs"] == 1 and summary["host_opens"] == 2
    assert summary["boots"][-1]["t_s"] >= 9.0


def test_run_pty_stops_on_its_event_and_writes_a_json_summary(tmp_path):
    stop = threading.Event()
    out_file = tmp_path / "summary.json"
    lines = []

    class Out:
        def write(self, text):
            lines.append(text)
            if text.strip().startswith("/"):
                stop.set()

        def flush(self):
            pass

    summary = run_pty("clean", 1, 10, stop_event=stop, summary_path=str(out_file), out=Out())
    assert not os.path.lexists(summary["port"])
    data = json.loads(out_file.read_text())
    assert data["device_ids"] == summary["device_ids"]
    assert len(data["truth"]["sets"]) == 3


def test_main_sim_lists_scenarios(capsys):
    assert main_sim(["--list"]) == 0
    listed = capsys.readouterr().out
    for name in ("clean", "partial", "burnout", "noisy-line", "unplug", "slow-adc"):
        assert name in listed

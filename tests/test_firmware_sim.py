"""The real firmware .elf in simavr (firmware/arduino/sim/bs-simavr), against
two HX711s and an HC-SR04 played by their datasheets, read through the app's
own codec. simavr runs this firmware at about 1.3x real time here, so the
runs are sized in simulated seconds; the 30 s run dominates the file.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
import serial

from backstation.protocol import Ack, Cal, Err, Hello, Stat
from backstation.protocol.commands import Command, calibrate, info, ping, rate, set_calibration
from backstation.protocol.commands import start, stop, tare
from backstation.protocol.crc import crc16_ccitt_false
from backstation.protocol.stream import DeviceStream

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_DIR = ROOT / "firmware" / "arduino"
HARNESS = FIRMWARE_DIR / "build" / "sim" / "bs-simavr"
ELF = FIRMWARE_DIR / "build" / "uno" / "backstation.elf"
G_MS2 = 9.80665


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    missing = [t for t in ("make", "avr-g++", "gcc", "pkg-config") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {missing}: install the packages in .ci/firmware-deps.txt")
    result = subprocess.run(["make", "-s", "-j2", "all", "sim"], cwd=FIRMWARE_DIR,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


class Station:
    """One harness process and the host's end of its pty, decoded by DeviceStream."""

    def __init__(self, *args: str, fast: bool = True):
        cmd = [str(HARNESS), str(ELF), *(["--fast"] if fast else []), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.port = self.proc.stdout.readline().strip()
        assert self.port.startswith("/dev/"), self.port
        self.stream = DeviceStream()
        self.control: list = []
        self.ser: serial.Serial | None = None
        self.closed = False
        self.summary: dict | None = None

    def open(self) -> None:
        self.ser = serial.Serial(self.port, 250000, timeout=0)

    def pump(self, timeout_s: float = 0.05) -> None:
        if self.closed:
            return
        ready, _, _ = select.select([self.ser.fileno()], [], [], timeout_s)
        if ready:
            try:
                data = self.ser.read(65536)
            except serial.SerialException:   # the harness ended its run and closed the pty
                self.closed = True
                return
            self.control += self.stream.feed(data, time.monotonic())

    def send(self, command: Command) -> None:
        if isinstance(command, Command) and command.name == "INFO":
            self.stream.info_requested()
        self.ser.write(command.line())

    def wait_for(self, predicate, timeout_s: float = 10.0):
        """Pump until ``predicate(sentence)`` holds for a new control sentence."""
        seen = len(self.control)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for sentence in self.control[seen:]:
                if predicate(sentence):
                    return sentence
            seen = len(self.control)
            self.pump()
        raise AssertionError(f"timed out; last sentences: {self.control[-5:]}")

    def stop(self) -> dict:
        if self.ser is not None:
            self.ser.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=20)
        assert self.proc.returncode == 0, err
        self.summary = json.loads(out.strip().splitlines()[-1])
        return self.summary

    def __enter__(self) -> "Station":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        if self.summary is None:
            self.proc.communicate(timeout=10)   # reaps it and closes its pipes
        if self.ser is not None and self.ser.is_open:
            self.ser.close()


def _is(kind, **fields):
    return lambda s: isinstance(s, kind) and all(getattr(s, k) == v for k, v in fields.items())


def _eeprom_file(path: Path, device_id: int, cals: list[tuple[int, float]]) -> None:
    """An EEPROM image as the firmware writes it (bs_calib.h EepromRecord)."""
    body = b"BS" + bytes([1, 0]) + struct.pack("<I", device_id)
    for offset, cpn in cals:
        body += struct.pack("<ii", offset, round(cpn * 10000))
    image = body + struct.pack("<H", crc16_ccitt_false(body))
    path.write_bytes(image + b"\xff" * (1024 - len(image)))


# ----- 30 s with everything at once --------------------------------------------------------
RUN_S = 30.0
FORCE_STEP_S = 0.25
EXTREMES = [(-8388608, 8388607), (8388607, -8388608), (0, -1), (123456, -654321)]
GAPS = [(0.0, 412), (3.0, 25), (6.0, "none"), (8.0, 1500), (12.0, 3000), (16.0, 180),
        (20.0, "none"), (21.0, 700), (25.0, 60)]


def _force_script() -> list[tuple[float, int, int]]:
    points = []
    for i in range(int(RUN_S / FORCE_STEP_S) + 1):
        raw = EXTREMES[i % len(EXTREMES)] if i % 3 == 0 else (1000 * i - 50000, -777 * i)
        points.append((i * FORCE_STEP_S, *raw))
    return points


def _gap_at(t_s: float):
    gap = GAPS[0][1]
    for t, g in GAPS:
        if t <= t_s:
            gap = g
    return gap


def test_thirty_seconds_streamed_exactly_with_sonar_and_commands(tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("".join(f"force {t} {a} {b}\n" for t, a, b in _force_script())
                      + "".join(f"gap {t} {g}\n" for t, g in GAPS))
    trace = tmp_path / "trace.txt"
    with Station("--script", str(script), "--trace", str(trace),
                 "--duration", str(RUN_S)) as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        assert (hello.force_rate_hz, hello.distance_sensor, hello.force_channels) == (80, "hcsr04", 2)
        st.send(start())
        st.wait_for(_is(Ack, command="START"))
        pings = 0
        commands = [ping(), info(), set_calibration(0, -81234, 214.5678), ping(), tare(1)]
        next_command_s = time.monotonic()
        while st.proc.poll() is None:
            if time.monotonic() >= next_command_s:
                command = commands[pings % len(commands)]
                st.send(command)
                pings += 1
                next_command_s += 0.4
            st.pump()
        st.pump(0.2)
        summary = st.stop()
    force, distance = st.stream.take_blocks()
    stats = st.stream.stats

    assert (stats.crc_errors, stats.malformed, stats.overlong, stats.lost_samples) == (0, 0, 0, 0)
    hx = summary["hx711"]
    assert hx["never_read"] == 0 and hx["read_collisions"] == 0, hx
    assert (hx["sck_high_violations"], hx["power_downs"], hx["wrong_pulse_count"]) == (0, 0, 0), hx
    assert summary["uart"]["tx_dropped"] == 0

    # Every conversion the HX711s made while streaming arrived, in order, bit-exact.
    presented = [tuple(int(v) for v in line.split()[1:]) for line in trace.read_text().splitlines()]
    received = [tuple(int(v) for v in row) for row in force.raw]
    assert len(received) > 0.95 * RUN_S * 80 - 80
    starts = [k for k, row in enumerate(presented) if row == received[0]]
    assert any(received == presented[k:k + len(received)] for k in starts)
    assert set(EXTREMES) <= set(received)

    # Gaps within 1 %, -1 while nothing was in range (device time = time since boot).
    assert len(distance) > 16 * RUN_S * 0.9
    checked = 0
    for gap, t_us in zip(distance.gap_mm, distance.t_device_us):
        t = t_us / 1e6
        if any(abs(t - change) < 0.1 for change, _ in GAPS):
            continue
        want = _gap_at(t)
        if want == "none":
            assert gap == -1, (t, gap)
        else:
            assert abs(gap - want) <= max(1, 0.01 * want), (t, gap, want)
        checked += 1
    assert checked > 0.8 * len(distance)

    # Commands kept being answered while streaming; the device saw no loss either.
    acks = [s for s in st.control if isinstance(s, Ack) and s.command == "PING"]
    assert len(acks) == sum(1 for i in range(pings) if commands[i % len(commands)].name == "PING")
    refusals = {(s.command, s.reason) for s in st.control if isinstance(s, Err)}
    # a blank EEPROM is announced; a TARE while the scripted load jumps is refused
    assert refusals <= {("EEPROM", "blank"), ("TARE", "unstable"), ("SETCAL", "busy")}, refusals
    stats_lines = [s for s in st.control if isinstance(s, Stat)]
    assert len(stats_lines) >= RUN_S - 3
    for s in stats_lines[1:]:
        assert abs(s.force_hz_x100 - 8000) <= 80, s
        assert abs(s.distance_hz_x100 - 1667) <= 50, s
    assert stats_lines[-1].missed_samples == 0 and stats_lines[-1].tx_overflows == 0


# ----- board variants ------------------------------------------------------------------------
def test_rate_tied_low_and_no_sensor_are_reported_truthfully() -> None:
    with Station("--rate-pin", "low", "--gap", "absent", "--force", "100,200",
                 "--duration", "3") as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        assert (hello.force_rate_hz, hello.distance_sensor) == (10, "none")
        st.send(rate(80))
        st.wait_for(_is(Err, command="RATE", reason="fixed"))
        st.send(start())
        stat = st.wait_for(_is(Stat, distance_hz_x100=0), timeout_s=10)
        summary = st.stop()
    force, distance = st.stream.take_blocks()
    assert len(distance) == 0
    assert abs(stat.force_hz_x100 - 1000) <= 20, stat
    assert set(map(tuple, force.raw.tolist())) == {(100, 200)}
    assert summary["hx711"]["never_read"] == 0


def test_rate_command_switches_a_wired_rate_pin() -> None:
    with Station("--rate-pin", "d9", "--duration", "4") as st:
        st.open()
        assert st.wait_for(_is(Hello)).force_rate_hz == 80
        st.send(rate(10))
        st.wait_for(_is(Ack, command="RATE"))
        st.send(info())
        assert st.wait_for(_is(Hello)).force_rate_hz == 10
        st.send(start())
        st.wait_for(_is(Stat))
        stat = st.wait_for(_is(Stat))
        summary = st.stop()
    assert abs(stat.force_hz_x100 - 1000) <= 20, stat
    assert summary["hx711"]["rate_hz"] == 10 and summary["hx711"]["never_read"] == 0


# ----- EEPROM ------------------------------------------------------------------------------
def test_tare_cal_and_setcal_survive_a_reset_through_eeprom(tmp_path: Path) -> None:
    eeprom = tmp_path / "eeprom.bin"
    script = tmp_path / "script.txt"
    script.write_text("force 0 1234 5000\nforce 1.6 1234 47084\n")
    with Station("--script", str(script), "--eeprom", str(eeprom), "--duration", "6") as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        st.wait_for(_is(Err, command="EEPROM", reason="blank"))
        st.send(tare(0))
        assert st.wait_for(_is(Cal, channel=0)).offset_counts == 1234
        st.send(set_calibration(1, 5000, 500))
        st.wait_for(_is(Cal, channel=1))
        st.send(start())
        while st.stream.last_t_device_us is None or st.stream.last_t_device_us < 1_700_000:
            st.pump()
        st.send(calibrate(1, 20000))
        cal1 = st.wait_for(_is(Cal, channel=1))
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        first = st.stop()
    assert first["eeprom_saved"] is True
    assert (cal1.offset_counts, cal1.counts_per_newton) == (5000, round(42084 / (20 * G_MS2), 4))

    with Station("--eeprom", str(eeprom), "--duration", "1") as again:
        again.open()
        hello_again = again.wait_for(_is(Hello))
        cals = [again.wait_for(_is(Cal, channel=ch)) for ch in (0, 1)]
        again.pump(0.3)
        again.stop()
    assert hello_again.device_id == hello.device_id
    assert (cals[0].offset_counts, cals[0].counts_per_newton) == (1234, 1000.0)
    assert (cals[1].offset_counts, cals[1].counts_per_newton) == (5000, cal1.counts_per_newton)
    assert not [s for s in again.control if isinstance(s, Err)]


# ----- the app records the emulated station ---------------------------------------------------
LOADS_N = [0.0, 150.0, 400.0, 250.0, 600.0, 90.0]
CAL = [(-81234, 214.5678), (52000, -431.25)]


def test_backstation_record_stores_the_scripted_load(tmp_path: Path) -> None:
    from backstation.storage import Database

    eeprom = tmp_path / "eeprom.bin"
    _eeprom_file(eeprom, 0x1A2B3C4D, CAL)
    script = tmp_path / "script.txt"
    lines = []
    for i, load in enumerate(LOADS_N * 2):
        raws = [round(off + cpn * load * share) for (off, cpn), share in zip(CAL, (0.6, 0.4))]
        lines.append(f"force {0.5 * i} {raws[0]} {raws[1]}\n")
    script.write_text("".join(lines) + "gap 0 300\n")
    db = tmp_path / "sessions.sqlite"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with Station("--script", str(script), "--eeprom", str(eeprom), fast=False) as st:
        rec = subprocess.run([sys.executable, "-m", "backstation", "record", "--port", st.port,
                              "--duration", "4", "--json", "--db", str(db)],
                             capture_output=True, text=True, timeout=60, env=env)
        st.stop()
    assert rec.returncode == 0, rec.stderr
    result = json.loads(rec.stdout)
    assert result["device"]["device_id"] == "1A2B3C4D"
    assert result["stream"]["crc_errors"] == 0 and result["stream"]["lost_samples"] == 0
    assert result["stream"]["force_samples"] > 200

    database = Database(db)
    try:
        force = database.load_force(result["session_id"])
        cals = {c.channel: c for c in database.calibrations(result["session_id"])}
    finally:
        database.close()
    assert {ch: (c.offset_counts, c.counts_per_newton) for ch, c in cals.items()} == dict(enumerate(CAL))
    newtons = sum((force.raw[:, ch] - cals[ch].offset_counts) / cals[ch].counts_per_newton
                  for ch in (0, 1))
    levels = []
    for total in newtons:
        match = [load for load in LOADS_N if abs(total - load) <= max(0.005 * load, 0.01)]
        assert match, total
        if not levels or levels[-1] != match[0]:
            levels.append(match[0])
    assert len(levels) >= 6
    assert all(b == LOADS_N[(LOADS_N.index(a) + 1) % len(LOADS_N)] for a, b in zip(levels, levels[1:]))

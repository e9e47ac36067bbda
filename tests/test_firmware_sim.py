"""The real firmware .elf in simavr (firmware/arduino/sim/bs-simavr), against
two HX711s and an HC-SR04 played by their datasheets, read through the app's
own codec. simavr runs this firmware at 1-3x real time on an idle machine and
far slower on a loaded one, so everything is timed by the device's own clock
(the samples' t_us, the harness's trace), never by the wall clock; the 30 s
run dominates the file.
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
from backstation.units import G_MS2

ROOT = Path(__file__).resolve().parent.parent
FIRMWARE_DIR = ROOT / "firmware" / "arduino"
HARNESS = FIRMWARE_DIR / "build" / "sim" / "bs-simavr"
ELF = FIRMWARE_DIR / "build" / "uno" / "backstation.elf"
# Build variants (firmware/arduino/Makefile `variants`): RATE wired to D9, and
# the Arduino IDE's 64-byte TX buffer.
ELF_RATE_D9 = FIRMWARE_DIR / "build" / "uno-rate-d9" / "backstation.elf"
ELF_IDE = FIRMWARE_DIR / "build" / "uno-ide" / "backstation.elf"
# Bounds waits for what never comes; a loaded 2-core machine can run simavr far
# below real time, so this is generous (passing runs never get near it).
WAIT_S = 60.0


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    missing = [t for t in ("make", "avr-g++", "gcc", "pkg-config") if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {missing}: install the packages in .ci/firmware-deps.txt")
    result = subprocess.run(["make", "-s", "-j2", "all", "variants", "sim"], cwd=FIRMWARE_DIR,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


class Station:
    """One harness process and the host's end of its pty, decoded by DeviceStream.

    Waits are on what the device sent, never on the wall clock: a loaded
    machine slows the simulation and the host alike, and a fast-mode harness
    runs ahead of a host that is not scheduled. ``WAIT_S`` only bounds a wait
    for something that never comes; a harness that has ended fails at once.
    """

    def __init__(self, *args: str, fast: bool = True, elf: Path = ELF):
        cmd = [str(HARNESS), str(elf), *(["--fast"] if fast else []), *args]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.port = self.proc.stdout.readline().strip()
        assert self.port.startswith("/dev/"), self.port
        self.stream = DeviceStream()
        self.control: list = []
        self.matched = 0   # control[:matched] is behind the last wait_for match
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

    def wait_until(self, condition, what: str, timeout_s: float = WAIT_S) -> None:
        """Pump until ``condition()`` holds."""
        deadline = time.monotonic() + timeout_s
        while not condition():
            if self.closed:
                raise AssertionError(f"harness ended before {what}; "
                                     f"last sentences: {self.control[-5:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {what} in {timeout_s:g} s; "
                                     f"last sentences: {self.control[-5:]}")
            self.pump()

    def wait_for(self, predicate, timeout_s: float = WAIT_S):
        """The first control sentence after the previous match for which ``predicate`` holds.

        Sentences that came in the same read as an earlier match (HELLO, CALs
        and the EEPROM note arrive together when the host is slow) still count.
        """
        found: list = []

        def match() -> bool:
            for k in range(self.matched, len(self.control)):
                if predicate(self.control[k]):
                    self.matched = k + 1
                    found.append(self.control[k])
                    return True
            return False

        self.wait_until(match, "matching sentence", timeout_s)
        return found[0]

    def wait_device_time(self, t_us: int, timeout_s: float = WAIT_S) -> None:
        """Pump until samples stamped at or after ``t_us`` (device time) arrived."""
        self.wait_until(lambda: (self.stream.last_t_device_us or 0) >= t_us,
                        f"sample at t >= {t_us} us", timeout_s)

    def stop(self) -> dict:
        if self.ser is not None:
            self.ser.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, err = self.proc.communicate(timeout=WAIT_S)
        assert self.proc.returncode == 0, err
        self.summary = json.loads(out.strip().splitlines()[-1])
        return self.summary

    def __enter__(self) -> "Station":
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        if self.summary is None:
            self.proc.communicate(timeout=WAIT_S)   # reaps it and closes its pipes
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
COMMAND_EVERY_US = 400_000
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
    # a board whose RATE is tied high (80 SPS): the firmware never drives D9 by default
    with Station("--script", str(script), "--trace", str(trace), "--rate-pin", "high") as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        assert (hello.force_rate_hz, hello.distance_sensor, hello.force_channels) == (80, "hcsr04", 2)
        st.send(start())
        st.wait_for(_is(Ack, command="START"))
        # A command every COMMAND_EVERY_US of device time, so a slow host sees
        # the same run as a fast one; the run ends when the host says so, with
        # nothing in flight, rather than at a --duration that may cut a reply.
        commands = [ping(), info(), set_calibration(0, -81234, 214.5678), ping(), tare(1)]
        sent: list[Command] = []
        t_us = st.stream.last_t_device_us or 0
        while t_us < RUN_S * 1e6:
            command = commands[len(sent) % len(commands)]
            st.send(command)
            sent.append(command)
            t_us += COMMAND_EVERY_US
            st.wait_device_time(t_us)
        tares = sum(1 for c in sent if c.name == "TARE")
        st.wait_until(lambda: tares == sum(1 for s in st.control if isinstance(s, (Ack, Err))
                                           and s.command == "TARE"), "an answer to every TARE")
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        summary = st.stop()
    force, distance = st.stream.take_blocks()
    stats = st.stream.stats

    assert (stats.crc_errors, stats.malformed, stats.overlong, stats.lost_samples) == (0, 0, 0, 0)
    hx = summary["hx711"]
    assert hx["never_read"] == 0 and hx["read_collisions"] == 0, hx
    assert (hx["sck_high_violations"], hx["power_downs"], hx["wrong_pulse_count"]) == (0, 0, 0), hx
    assert hx["sck_too_short"] == 0 and hx["sck_high_max_us"] < 5, hx   # datasheet 0.2 us .. 50 us
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
    assert len(acks) == sum(1 for c in sent if c.name == "PING")
    refusals = {(s.command, s.reason) for s in st.control if isinstance(s, Err)}
    # a blank EEPROM is announced; a TARE while the scripted load jumps is refused
    assert refusals <= {("EEPROM", "blank"), ("TARE", "unstable"), ("SETCAL", "busy")}, refusals
    # ...at boot and after the first INFO, and no more once the first SETCAL stored a record
    assert sum(1 for s in st.control if isinstance(s, Err) and s.command == "EEPROM") == 2
    stats_lines = [s for s in st.control if isinstance(s, Stat)]
    assert len(stats_lines) >= RUN_S - 3
    for s in stats_lines[1:]:
        assert abs(s.force_hz_x100 - 8000) <= 80, s
        assert abs(s.distance_hz_x100 - 1667) <= 50, s
    assert stats_lines[-1].missed_samples == 0 and stats_lines[-1].tx_overflows == 0


# ----- board variants ------------------------------------------------------------------------
def test_rate_tied_low_and_no_sensor_are_reported_truthfully() -> None:
    with Station("--rate-pin", "low", "--gap", "absent", "--force", "100,200") as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        assert (hello.force_rate_hz, hello.distance_sensor) == (10, "none")
        st.send(rate(80))
        st.wait_for(_is(Err, command="RATE", reason="fixed"))
        st.send(start())
        stat = st.wait_for(_is(Stat, distance_hz_x100=0))
        summary = st.stop()
    force, distance = st.stream.take_blocks()
    assert len(distance) == 0
    assert abs(stat.force_hz_x100 - 1000) <= 20, stat
    assert set(map(tuple, force.raw.tolist())) == {(100, 200)}
    assert summary["hx711"]["never_read"] == 0


def test_rate_command_switches_a_wired_rate_pin() -> None:
    with Station("--rate-pin", "d9", elf=ELF_RATE_D9) as st:
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
EEPROM_WRITE_US = 200_000   # 26 bytes x 3.4 ms, with room


def test_tare_cal_and_setcal_survive_a_reset_through_eeprom(tmp_path: Path) -> None:
    eeprom = tmp_path / "eeprom.bin"
    script = tmp_path / "script.txt"
    script.write_text("force 0 1234 5000\nforce 1.6 1234 47084\n")
    with Station("--script", str(script), "--eeprom", str(eeprom), "--rate-pin", "high") as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        st.wait_for(_is(Err, command="EEPROM", reason="blank"))
        st.send(tare(0))
        assert st.wait_for(_is(Cal, channel=0)).offset_counts == 1234
        st.send(set_calibration(1, 5000, 500))
        st.wait_for(_is(Cal, channel=1))
        st.send(start())
        st.wait_device_time(1_700_000)
        st.send(calibrate(1, 20000))
        cal1 = st.wait_for(_is(Cal, channel=1))
        # The CAL is sent as the record starts going to EEPROM, a byte per
        # 3.4 ms write: let the device finish before the power goes.
        st.wait_device_time(st.stream.last_t_device_us + EEPROM_WRITE_US)
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        first = st.stop()
    assert first["eeprom_saved"] is True
    assert (cal1.offset_counts, cal1.counts_per_newton) == (5000, round(42084 / (20 * G_MS2), 4))

    with Station("--eeprom", str(eeprom)) as again:
        again.open()
        hello_again = again.wait_for(_is(Hello))
        cals = [again.wait_for(_is(Cal, channel=ch)) for ch in (0, 1)]
        again.send(ping())   # its ACK comes after anything the boot greeting had to say
        again.wait_for(_is(Ack, command="PING"))
        again.stop()
    assert hello_again.device_id == hello.device_id
    assert (cals[0].offset_counts, cals[0].counts_per_newton) == (1234, 1000.0)
    assert (cals[1].offset_counts, cals[1].counts_per_newton) == (5000, cal1.counts_per_newton)
    assert not [s for s in again.control if isinstance(s, Err)]


# ----- the app records the emulated station ---------------------------------------------------
LOADS_N = [0.0, 150.0, 400.0, 250.0, 600.0, 90.0]
CAL = [(-81234, 214.5678), (52000, -431.25)]
LOAD_STEP_S = 0.5
RECORD_UNTIL_US = 5_500_000   # since boot: ~9 of the 12 scripted 0.5 s loads streamed


def _wait_for_conversion_at(trace: Path, t_us: int, recorder: subprocess.Popen) -> None:
    """Until the harness's trace (a line per HX711 conversion, since boot) reaches ``t_us``."""
    deadline = time.monotonic() + WAIT_S
    while True:
        text = trace.read_text() if trace.exists() else ""
        end = text.rfind("\n")
        last = text[:end].rpartition("\n")[2] if end >= 0 else ""
        if last and float(last.split()[0]) >= t_us:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"simulation did not reach {t_us} us in {WAIT_S} s")
        try:   # polls the trace, and fails at once if the recorder gave up
            recorder.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"recorder ended early: {recorder.communicate()}")


def test_backstation_record_stores_the_scripted_load(tmp_path: Path) -> None:
    from backstation.storage import Database

    eeprom = tmp_path / "eeprom.bin"
    _eeprom_file(eeprom, 0x1A2B3C4D, CAL)
    script = tmp_path / "script.txt"
    lines = []
    for i, load in enumerate(LOADS_N * 2):
        raws = [round(off + cpn * load * share) for (off, cpn), share in zip(CAL, (0.6, 0.4))]
        lines.append(f"force {LOAD_STEP_S * i} {raws[0]} {raws[1]}\n")
    script.write_text("".join(lines) + "gap 0 300\n")
    db = tmp_path / "sessions.sqlite"
    trace = tmp_path / "trace.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    # Real time, as a board; the recording ends by Ctrl-C once the simulation
    # has played the script (a loaded machine runs it slower than real time).
    with Station("--script", str(script), "--eeprom", str(eeprom), "--trace", str(trace),
                 "--rate-pin", "high", fast=False) as st:
        rec = subprocess.Popen([sys.executable, "-m", "backstation", "record", "--port", st.port,
                                "--json", "--db", str(db)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        try:
            _wait_for_conversion_at(trace, RECORD_UNTIL_US, rec)
            rec.send_signal(signal.SIGINT)
            out, err = rec.communicate(timeout=WAIT_S)
        finally:
            if rec.poll() is None:
                rec.kill()
                rec.communicate()
        st.stop()
    assert rec.returncode == 0, err
    result = json.loads(out)
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

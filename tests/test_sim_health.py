"""The station's health report (docs/protocol.md §3, issue 12) as the
simulated station plays it, and what the host makes of it: a missing HX711 is
said after every HELLO, a TARE/CAL on it fails at once without blocking the
other channel, one unplugged mid-run is said at once, and the link, ``record
--json`` and the app name it in a maker's words."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backstation.device.sim import SimulatedStation, protocol_sim
from backstation.link import DeviceLink, LinkFault
from backstation.protocol import Ack, Cal, DistanceSample, Err, ForceSample, Hello, StreamDecoder
from backstation.protocol.commands import start, tare
from backstation.protocol.sentences import ABSENT_RAW, NO_DISTANCE_MESSAGE, absent_force_message
from backstation.ui.acquisition import AcquisitionController

ROOT = Path(__file__).resolve().parent.parent
WAIT_MS = 20_000


@pytest.fixture(autouse=True)
def fresh_simulators():
    yield
    protocol_sim.clear_registry()


def _run(station: SimulatedStation, until_s: float, line: bytes = b"") -> list:
    if line:
        station.receive(line)
    return StreamDecoder().feed(station.advance(until_s))


def test_the_message_names_the_side_and_the_pin_to_check() -> None:
    assert absent_force_message(1) == ("the right load cell (channel 1) is not answering: "
                                       "check its DOUT wire (D6), its VCC and GND, and SCK (D4)")
    assert "left" in absent_force_message(0) and "(D5)" in absent_force_message(0)
    assert Err("FORCE1", "absent").absent_force_channel == 1
    assert Err("TARE", "absent").absent_force_channel is None
    assert Err("FORCE1", "busy").absent_force_channel is None


def test_a_missing_chip_is_reported_after_hello_and_fails_its_tare_at_once() -> None:
    station = SimulatedStation("clean", seed=3, absent_force=(1,))
    boot = _run(station, 1.0)
    assert [type(s) for s in boot] == [Hello, Cal, Cal, Err]
    assert boot[-1] == Err("FORCE1", "absent")
    assert _run(station, 1.01, b"TARE 1\n") == [Err("TARE", "absent")]
    assert _run(station, 1.02, b"TARE\n") == [Err("TARE", "absent")]
    assert _run(station, 1.03, b"CAL 1 20000\n") == [Err("CAL", "absent")]
    out = _run(station, 2.0, b"TARE 0\n")                   # the other channel is not blocked
    assert out[0] == Ack("TARE", ("0",)) and isinstance(out[1], Cal)
    samples = [s for s in _run(station, 3.0, start().line()) if isinstance(s, ForceSample)]
    assert samples and {s.raw[1] for s in samples} == {-1}
    assert len({s.raw[0] for s in samples}) > 1
    control = [s for s in _run(station, 3.1, b"INFO\n") if isinstance(s, (Hello, Cal, Err))]
    assert [type(s) for s in control] == [Hello, Cal, Cal, Err] and control[-1].command == "FORCE1"


def test_both_chips_missing_stream_no_force() -> None:
    station = SimulatedStation("clean", seed=3, absent_force=(0, 1))
    _run(station, 1.0)
    out = _run(station, 3.0, start().line())
    assert not [s for s in out if isinstance(s, ForceSample)]


def test_a_blank_eeprom_is_said_after_every_hello_until_a_calibration_is_stored() -> None:
    station = SimulatedStation("clean", seed=3, eeprom="blank", absent_force=(0,))
    boot = _run(station, 1.0)
    assert boot[-2:] == [Err("EEPROM", "blank"), Err("FORCE0", "absent")]   # the firmware's order
    _run(station, 1.01, b"SETCAL 1 100 250\n")
    control = [s for s in _run(station, 1.02, b"INFO\n") if isinstance(s, Err)]
    assert control == [Err("FORCE0", "absent")]


def test_a_chip_unplugged_mid_tare_is_said_at_once_and_ends_the_tare() -> None:
    station = SimulatedStation("clean", seed=3)
    _run(station, 1.0)
    _run(station, 1.2, b"TARE\n")
    station.unplug_load_cell(0)
    assert _run(station, 1.3) == [Err("FORCE0", "absent"), Err("TARE", "absent")]
    assert _run(station, 1.31, b"PING\r") == [Ack("PING")]   # CR ends a line, as on the firmware


def test_the_link_keeps_the_health_and_says_it_in_a_makers_words() -> None:
    protocol_sim.register()
    link = DeviceLink("sim://?scenario=clean&seed=5&speed=20&absent_force=1")
    link.open()
    try:
        faults: list[str] = []
        link.ping()   # the ping's ACK comes after the boot greeting's health report
        faults += [e.message for e in link.drain_events(0.5) if isinstance(e, LinkFault)]
        assert link.absent_force_channels == (1,)
        assert absent_force_message(1) in faults
    finally:
        link.close()


def test_record_json_carries_the_health(tmp_path: Path) -> None:
    env_src = str(ROOT / "src")
    code = ("import sys; from backstation.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run(
        [sys.executable, "-c", code, "record", "--port",
         "sim://?scenario=clean&seed=2&speed=20&absent_force=0", "--json",
         "--db", str(tmp_path / "s.db"), "--duration", "1.5"],
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": env_src, "PATH": ""})
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)["health"]
    assert health["force_channels_absent"] == [0]
    assert health["problems"] == [absent_force_message(0)]
    assert health["distance_sensor"] == "hcsr04"
    assert absent_force_message(0) in result.stderr


def test_record_json_says_when_no_distance_sensor_answers(tmp_path: Path) -> None:
    code = "import sys; from backstation.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", code, "record", "--port", "sim://?scenario=clean&seed=2&speed=20&distance_sensor=none",
         "--json", "--db", str(tmp_path / "s.db"), "--duration", "1.0"],
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT / "src"), "PATH": ""})
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)["health"]
    assert health == {"force_channels_absent": [], "distance_sensor": "none",
                      "problems": [NO_DISTANCE_MESSAGE]}
    assert NO_DISTANCE_MESSAGE in result.stderr


def test_the_app_names_the_missing_load_cell(qtbot, tmp_path) -> None:
    controller = AcquisitionController(tmp_path / "s.db")
    try:
        messages: list[str] = []
        controller.message_posted.connect(messages.append)
        with qtbot.waitSignal(controller.connected, timeout=WAIT_MS):
            controller.connect_to("sim://?scenario=clean&seed=7&speed=10&absent_force=1")
        qtbot.waitUntil(lambda: absent_force_message(1) in messages, timeout=WAIT_MS)
    finally:
        controller.close()


def test_a_chip_plugged_back_is_not_announced_but_its_channel_reads_again() -> None:
    station = SimulatedStation("clean", seed=3, absent_force=(1,))
    _run(station, 1.0)
    before = [s for s in _run(station, 2.0, start().line()) if isinstance(s, ForceSample)]
    assert before and {s.raw[1] for s in before} == {ABSENT_RAW}
    station.replug_load_cell(1)
    after = _run(station, 3.0)
    assert not [s for s in after if isinstance(s, Err)]     # as the firmware: nothing said
    samples = [s for s in after if isinstance(s, ForceSample)]
    assert samples and ABSENT_RAW not in {s.raw[1] for s in samples}
    control = [s for s in _run(station, 3.1, b"INFO\n") if isinstance(s, (Hello, Cal, Err))]
    assert [type(s) for s in control] == [Hello, Cal, Cal]


def test_both_chips_gone_then_one_back_streams_force_again() -> None:
    station = SimulatedStation("clean", seed=3, absent_force=(0, 1))
    _run(station, 1.0)
    assert not [s for s in _run(station, 2.0, start().line()) if isinstance(s, ForceSample)]
    station.replug_load_cell(0)
    samples = [s for s in _run(station, 3.0) if isinstance(s, ForceSample)]
    assert samples and {s.raw[1] for s in samples} == {ABSENT_RAW}
    assert ABSENT_RAW not in {s.raw[0] for s in samples}


def test_a_distance_sensor_wired_in_sends_d_and_the_next_hello_says_so() -> None:
    station = SimulatedStation("clean", seed=3, distance_sensor="none")
    boot = _run(station, 1.0)
    assert boot[0].distance_sensor == "none"
    assert not [s for s in _run(station, 2.0, start().line()) if isinstance(s, DistanceSample)]
    station.connect_distance_sensor()
    assert [s for s in _run(station, 3.0) if isinstance(s, DistanceSample)]
    hello = next(s for s in _run(station, 3.1, b"INFO\n") if isinstance(s, Hello))
    assert hello.distance_sensor == "hcsr04"

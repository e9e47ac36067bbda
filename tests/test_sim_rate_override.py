"""The simulator's rate overrides (used by benchmarks/): an upgraded ADC at
1 kHz and a faster distance sensor, chosen by argument or sim:// URL."""

from backstation.device.sim import SimulatedStation
from backstation.device.sim.protocol_sim import parse_url
from backstation.protocol.decoder import StreamDecoder
from backstation.protocol.sentences import DistanceSample, ForceSample, Hello


def _sentences(station: SimulatedStation, seconds: float) -> list:
    station.advance(0.2)
    station.start_streaming()
    return StreamDecoder().feed(station.advance(0.2 + seconds))


def test_force_rate_override_streams_at_that_rate_and_says_so_in_hello():
    station = SimulatedStation("clean", 3, force_rate_hz=1000, distance_rate_hz=50)
    assert station.hello().force_rate_hz == 1000
    out = _sentences(station, 2.0)
    forces = sum(isinstance(s, ForceSample) for s in out)
    distances = sum(isinstance(s, DistanceSample) for s in out)
    assert 1990 <= forces <= 2025          # the HX711 clock runs 0.2-1 % fast
    assert 95 <= distances <= 101


def test_without_override_the_rate_pin_decides():
    station = SimulatedStation("clean", 3)
    assert station.hello().force_rate_hz == 80
    out = _sentences(station, 1.0)
    assert 70 <= sum(isinstance(s, ForceSample) for s in out) <= 82
    assert not any(isinstance(s, Hello) for s in out)


def test_url_carries_the_overrides():
    kwargs, speed = parse_url("sim://?scenario=clean&force_rate_hz=1000&distance_rate_hz=50&speed=4")
    assert kwargs["force_rate_hz"] == 1000 and kwargs["distance_rate_hz"] == 50.0 and speed == 4.0


# -- the protocol owns the range (issue 10 follow-up C) ------------------------------------

import subprocess  # noqa: E402
import sys  # noqa: E402

import pytest  # noqa: E402
from serial import SerialException  # noqa: E402

from backstation.protocol.sentences import FORCE_RATE_RANGE_HZ  # noqa: E402

OUTSIDE = [0, FORCE_RATE_RANGE_HZ[1] + 1, 99999]


@pytest.mark.parametrize("hz", OUTSIDE)
def test_the_simulator_refuses_a_rate_its_hello_may_not_say(hz):
    with pytest.raises(ValueError, match=f"force rate {hz} Hz is outside the protocol's 1..2000"):
        SimulatedStation("clean", 3, force_rate_hz=hz)


def test_the_fastest_rate_the_protocol_allows_is_simulated_and_its_hello_decodes():
    station = SimulatedStation("clean", 3, force_rate_hz=FORCE_RATE_RANGE_HZ[1])
    out = _sentences(station, 0.1)
    assert [s.force_rate_hz for s in out if isinstance(s, Hello)] in ([], [2000])
    assert station.hello().force_rate_hz == 2000
    assert sum(isinstance(s, ForceSample) for s in out) >= 190


@pytest.mark.parametrize("hz", OUTSIDE)
def test_a_sim_url_with_a_rate_outside_the_protocol_is_one_clear_error(hz):
    with pytest.raises(SerialException, match=f"force rate {hz} Hz is outside the protocol's"):
        parse_url(f"sim://?scenario=clean&force_rate_hz={hz}")


@pytest.mark.parametrize("hz", [0, 99999])
def test_backstation_sim_refuses_a_rate_outside_the_protocol_in_one_line(hz):
    run = subprocess.run([sys.executable, "-m", "backstation", "sim", "--force-rate", str(hz),
                          "--duration", "5"], capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        f"backstation sim: --force-rate: force rate {hz} Hz is outside the protocol's "
        "1..2000 Hz"]

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

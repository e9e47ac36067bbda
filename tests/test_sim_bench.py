"""The bench beside the simulated station: a known mass on a hook (a method
and the ``hang`` URL parameter), the athlete sent away, a held touch, the
scenario's end. Checked on the station's own bytes and its truth."""

from __future__ import annotations

import numpy as np
import pytest
import serial
from serial import SerialException

from backstation.device.sim import SimulatedStation, protocol_sim
from backstation.device.sim.bench import parse_hang
from backstation.device.sim.controls import StationControls
from backstation.protocol import Ack, Cal, DistanceSample, Err, ForceSample, StreamDecoder
from backstation.protocol.commands import calibrate, start, tare
from backstation.units import weight_n


def _sentences(station: SimulatedStation, until_s: float) -> list:
    return StreamDecoder().feed(station.advance(until_s))


def _streaming(station: SimulatedStation) -> None:
    station.advance(station.now_s + 0.5)
    station.receive(start().line())


def _side_newtons(station: SimulatedStation, sentences: list, channel: int) -> np.ndarray:
    """Raw counts back to newtons by the board's true scale (the test's truth)."""
    raw = np.array([s.raw[channel] for s in sentences if isinstance(s, ForceSample)], float)
    ident = station.identity
    return (raw - ident.offset_counts[channel]) / ident.counts_per_newton[channel]


@pytest.mark.parametrize("text, hung", [
    ("left:20kg", {0: 20_000.0}),
    ("right:500g", {1: 500.0}),
    ("LEFT: 2.5 kg,right:10kg", {0: 2_500.0, 1: 10_000.0}),
    ("0:1kg", {0: 1_000.0}),
    ("left:0kg", {0: 0.0}),
])
def test_hang_names_a_hook_and_a_mass(text, hung):
    assert parse_hang(text) == hung


@pytest.mark.parametrize("text, said", [
    ("middle:2kg", "left or right"),
    ("left:2", "kg or g"),
    ("left:-2kg", "kg or g"),
    ("left:201kg", "0 to 200 kg"),
    ("left20kg", "side:mass"),
    ("left:1kg,left:2kg", "named twice"),
])
def test_a_bad_hang_says_what_is_wrong_in_one_line(text, said):
    with pytest.raises(ValueError, match=said) as caught:
        parse_hang(text)
    assert "\n" not in str(caught.value)


def test_a_hung_mass_loads_only_its_side_with_the_cells_noise():
    station = SimulatedStation("clean", seed=4)
    _streaming(station)
    station.advance(2.0)                       # the lead-in: nobody on the bar
    station.bench.hang_mass(0, 20_000)
    _sentences(station, 3.5)                    # it stops bouncing
    out = _sentences(station, 4.0)
    left, right = _side_newtons(station, out, 0), _side_newtons(station, out, 1)
    assert left.mean() == pytest.approx(weight_n(20.0), abs=0.2)
    assert abs(right.mean()) < 0.2
    assert 0.05 < left.std() < 0.4              # mechanical + ADC noise, as any load has
    station.bench.hang_mass(0, 0)
    left = _side_newtons(station, _sentences(station, 4.3), 0)
    assert abs(left.mean()) < 0.2


def test_tare_then_cal_with_a_hung_mass_gives_the_boards_true_scale():
    station = SimulatedStation("clean", seed=4)
    station.advance(1.0)
    station.receive(tare(1).line())
    station.advance(2.0)
    station.bench.hang_mass(1, 10_000)
    station.advance(3.0)                        # let it stop swinging
    station.receive(calibrate(1, 10_000).line())
    ack, cal = StreamDecoder().feed(station.advance(4.2))[-2:]
    assert ack == Ack("CAL", ("1",)) and isinstance(cal, Cal)
    # 1 s of samples at 80 SPS: the noise averages to well under 0.05 %.
    assert cal.counts_per_newton == pytest.approx(station.identity.counts_per_newton[1], rel=5e-4)


def test_a_mass_just_hung_bounces_and_a_cal_then_is_refused_as_unstable():
    station = SimulatedStation("clean", seed=4)
    _streaming(station)
    station.advance(1.0)
    station.bench.hang_mass(0, 20_000)
    station.receive(calibrate(0, 20_000).line())
    out = _sentences(station, 2.2)
    assert Err("CAL", "unstable") in out
    swing = _side_newtons(station, out, 0)[:40]                 # its first half second
    assert swing.max() - swing.min() > 10.0                     # UNSTABLE_N, peak to peak
    station.receive(calibrate(0, 20_000).line())                # a second later: still
    assert Ack("CAL", ("0",)) in _sentences(station, 3.4)


def test_a_mass_hung_from_boot_is_still():
    station = SimulatedStation("clean", seed=4, hang={0: 20_000})
    _streaming(station)
    left = _side_newtons(station, _sentences(station, 1.5), 0)
    assert left.max() - left.min() < 3.0


def test_the_hang_url_parameter_hangs_the_mass_from_boot_and_a_bad_one_is_refused():
    url = "sim://?scenario=clean&seed=2&hang=left:20kg"
    protocol_sim.register()
    port = serial.serial_for_url(url, timeout=0.05)
    try:
        assert protocol_sim.station_for_url(url).bench.hung_grams == [20_000.0, 0.0]
        assert protocol_sim.station_for_url(url).external_load_n[0] == weight_n(20.0)
        controls = StationControls(url)
        controls.hang_only(1, 5_000)
        assert controls.hung_grams() == (0.0, 5_000.0)
    finally:
        port.close()
    with pytest.raises(SerialException, match="hook 'up': left or right"):
        protocol_sim.parse_url("sim://?scenario=clean&hang=up:1kg")


def test_a_station_without_a_hung_mass_is_the_same_station():
    """``hang`` only adds: no mass on the hooks is the bytes of before."""
    a = SimulatedStation("clean", seed=9)
    b = SimulatedStation("clean", seed=9, hang={0: 0.0})
    for s in (a, b):
        _streaming(s)
    assert a.advance(20.0) == b.advance(20.0)


def test_the_athlete_sent_away_leaves_an_empty_bar_and_a_tare_succeeds():
    station = SimulatedStation("clean", seed=11)
    _streaming(station)
    station.advance(station.truth.reps[0].t_start_s)     # mid-set
    station.bench.clear_bar()
    out = _sentences(station, station.now_s + 3.0)
    assert abs(_side_newtons(station, out[-40:], 0).mean()) < 0.5
    gaps = [s.gap_mm for s in out[-30:] if isinstance(s, DistanceSample) and s.gap_mm >= 0]
    assert np.median(gaps) > 800                          # the sensor sees the floor
    station.receive(tare().line())
    assert Ack("TARE") in _sentences(station, station.now_s + 1.0)


def test_a_held_touch_puts_the_chest_on_the_bar_for_the_time_asked():
    station = SimulatedStation("clean", seed=11)
    _streaming(station)
    station.advance(2.0)
    touch_from_s, touch_until_s = station.bench.hold_touch(3.0)
    assert touch_until_s - touch_from_s == pytest.approx(3.0)
    _sentences(station, touch_from_s + 0.2)
    assert station.bench.touching
    held = [s.gap_mm for s in _sentences(station, touch_until_s - 0.1)
            if isinstance(s, DistanceSample) and s.gap_mm >= 0]
    assert len(held) > 40 and max(held) <= 15
    loaded = _side_newtons(station, _sentences(station, touch_until_s), 0)
    assert loaded.mean() > 100                             # hanging on the bar to hold it
    station.advance(touch_until_s + 6.0)
    assert not station.bench.touching
    assert station.bench.athlete.gap_mm(station.now_s) == station.scenario.athlete.floor_gap_mm


@pytest.mark.parametrize("move", ["hold_touch", "clear_bar"])
def test_bench_moves_give_the_same_bytes_in_bulk_and_one_at_a_time(move):
    """The station's bulk path and its one-at-a-time twin agree through a bench move."""
    outs = []
    for reference in (False, True):
        station = SimulatedStation("clean", seed=5, reference=reference)
        _streaming(station)
        station.advance(7.3)
        station.bench.hang_mass(1, 2_500)
        getattr(station.bench, move)(*((2.0,) if move == "hold_touch" else ()))
        outs.append(station.advance(16.0))
    assert outs[0] == outs[1]


def test_the_scenario_ends_when_its_script_runs_out():
    station = SimulatedStation("clean", seed=1)
    station.advance(station.timeline.end_s - 0.5)
    assert not station.scenario_ended
    station.advance(station.timeline.end_s + 0.1)
    assert station.scenario_ended


def test_forgetting_a_url_restarts_its_scenario_at_the_next_open():
    url = "sim://?scenario=clean&seed=1&speed=1000"
    protocol_sim.register()
    port = serial.serial_for_url(url, timeout=0.05)
    port.read(10)
    port.close()
    old = protocol_sim.station_for_url(url)
    StationControls(url).forget()
    assert protocol_sim.station_for_url(url) is None
    port = serial.serial_for_url(url, timeout=0.05)
    try:
        assert protocol_sim.station_for_url(url) is not old
        assert protocol_sim.station_for_url(url).now_s < old.now_s
    finally:
        port.close()


def test_backstation_sim_hangs_the_masses_from_boot_and_refuses_a_bad_hang(monkeypatch, capsys):
    from backstation.device.sim import pty_runner

    ran = {}
    monkeypatch.setattr(pty_runner, "run_pty", lambda *args, **kwargs: ran.update(kwargs))
    assert pty_runner.main_sim(["--scenario", "clean", "--hang", "left:20kg,right:500g"]) == 0
    assert ran["hang"] == {0: 20_000.0, 1: 500.0}
    with pytest.raises(SystemExit):
        pty_runner.main_sim(["--hang", "up:1kg"])
    assert "argument --hang: hook 'up': left or right" in capsys.readouterr().err

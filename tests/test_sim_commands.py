"""Command/response exchanges with the simulated firmware, byte-exact where
the reply is deterministic (pymeasure's expected_protocol style)."""

from __future__ import annotations

import pytest

from backstation.device.sim import SimulatedStation
from backstation.device.sim.model import G_MS2
from backstation.protocol import Ack, Cal, Err, ForceSample, Hello, StreamDecoder, frame
from backstation.protocol.commands import calibrate, info, ping, rate, set_calibration, start, stop, tare


@pytest.fixture
def station():
    s = SimulatedStation("clean", seed=11)
    s.advance(1.0)   # boot chatter
    return s


def exchange(station: SimulatedStation, line: bytes, settle_s: float = 0.001) -> bytes:
    station.receive(line)
    return station.advance(station.now_s + settle_s)


@pytest.mark.parametrize("line, reply", [
    (b"PING\n", b"ACK,PING"),
    (b"ping\r\n", b"ACK,PING"),
    (ping().line(), b"ACK,PING"),
    (b"PING*0000\n", b"ERR,PING,crc"),
    (b"FOO 1\n", b"ERR,FOO,unknown"),
    (b"PING now\n", b"ERR,PING,syntax"),
    (b"TARE x\n", b"ERR,TARE,syntax"),
    (b"TARE 5\n", b"ERR,TARE,range"),
    (b"CAL 0\n", b"ERR,CAL,syntax"),
    (b"CAL 0 0\n", b"ERR,CAL,range"),
    (b"CAL 2 1000\n", b"ERR,CAL,range"),
    (b"SETCAL 0 99999999 400\n", b"ERR,SETCAL,range"),
    (b"SETCAL 0 100 0\n", b"ERR,SETCAL,range"),
    (b"RATE 40\n", b"ERR,RATE,range"),
    (b"RATE 80\n", b"ACK,RATE,80"),
    (b"X" * 80 + b"\n", b"ERR,CMD,overlong"),
])
def test_command_gets_exactly_this_reply(station, line, reply):
    assert exchange(station, line) == frame(reply)


def test_blank_lines_are_ignored(station):
    assert exchange(station, b"\r\n\n  \n") == b""


def test_info_repeats_hello_and_calibration(station):
    cals = station.calibration
    expected = (frame(f"HELLO,1,sim-0.1.0,{station.device_id},2,80,hcsr04")
                + frame(cals[0].body()) + frame(cals[1].body()))
    assert exchange(station, info().line()) == expected


def test_start_acks_then_streams_and_stop_ends_the_stream_with_its_ack(station):
    out = exchange(station, start().line(), 2.0)
    assert out.startswith(frame("ACK,START"))
    sentences = StreamDecoder().feed(out)
    assert sum(isinstance(s, ForceSample) for s in sentences) in range(155, 165)
    out = exchange(station, stop().line())
    assert out == frame("ACK,STOP")
    assert station.advance(station.now_s + 5.0) == b""


def test_tare_averages_the_unloaded_bar_and_reports_the_new_offsets(station):
    assert exchange(station, tare().line(), 0.5) == b""   # still averaging
    out = station.advance(station.now_s + 0.5)
    sentences = StreamDecoder().feed(out)
    assert sentences[0] == Ack("TARE")
    cals = sentences[1:]
    assert [c.channel for c in cals] == [0, 1]
    for cal in cals:
        within_n = 0.1 * station.identity.counts_per_newton[cal.channel]   # noise of a 0.75 s mean
        assert cal.offset_counts == pytest.approx(station.identity.offset_counts[cal.channel],
                                                  abs=within_n)
        assert cal == station.calibration[cal.channel]


def test_tare_of_one_channel_names_it(station):
    out = exchange(station, tare(1).line(), 1.0)
    sentences = StreamDecoder().feed(out)
    assert sentences[0] == Ack("TARE", ("1",))
    assert [type(s) for s in sentences[1:]] == [Cal] and sentences[1].channel == 1


def test_commands_that_need_the_adc_are_busy_while_a_tare_runs(station):
    station.receive(tare().line())
    assert exchange(station, calibrate(0, 1000).line()) == frame("ERR,CAL,busy")
    assert exchange(station, b"TARE\n") == frame("ERR,TARE,busy")
    assert exchange(station, rate(10).line()) == frame("ERR,RATE,busy")
    assert exchange(station, ping().line()) == frame("ACK,PING")


def test_tare_while_the_athlete_pulls_is_refused_as_unstable():
    station = SimulatedStation("clean", seed=11)
    rep = station.truth.reps[0]
    station.advance(rep.t_start_s)
    out = exchange(station, tare().line(), 1.0)
    assert out == frame("ERR,TARE,unstable")
    assert station.calibration == list(station.identity.eeprom_cal)


def test_cal_with_a_known_mass_measures_the_channel_scale(station):
    station.external_load_n[0] = 10.0 * G_MS2
    station.advance(station.now_s + 0.2)
    out = exchange(station, calibrate(0, 10_000).line(), 1.1)
    sentences = StreamDecoder().feed(out)
    assert sentences[0] == Ack("CAL", ("0",))
    cal = sentences[1]
    assert cal.channel == 0
    assert cal.offset_counts == station.identity.eeprom_cal[0].offset_counts
    # The EEPROM offset is off by up to 150 counts: well under 1 % of 10 kg.
    assert cal.counts_per_newton == pytest.approx(station.identity.counts_per_newton[0], rel=0.01)


def test_cal_without_the_mass_is_an_implausible_scale(station):
    out = exchange(station, calibrate(1, 10_000).line(), 1.1)
    assert out == frame("ERR,CAL,range")


def test_setcal_stores_and_echoes_the_calibration(station):
    out = exchange(station, set_calibration(0, 12345, 500.5).line())
    assert out == frame("ACK,SETCAL,0") + frame("CAL,0,12345,500.5000")


def test_calibration_survives_a_reboot(station):
    exchange(station, set_calibration(1, -4000, 777.25).line())
    station.advance(station.now_s + 1.0)
    station.reset()
    sentences = StreamDecoder().feed(station.advance(station.now_s + 0.5))
    assert isinstance(sentences[0], Hello)
    assert sentences[2] == Cal(1, -4000, 777.25)


def test_rate_10_switches_the_adc_and_hello_says_so(station):
    assert exchange(station, rate(10).line()) == frame("ACK,RATE,10")
    out = exchange(station, start().line(), 3.0)
    forces = [s for s in StreamDecoder().feed(out) if isinstance(s, ForceSample)]
    assert len(forces) in range(24, 29)   # 0.4 s settling, then ~10 SPS
    hello = StreamDecoder().feed(exchange(station, info().line()))[0]
    assert hello.force_rate_hz == 10


def test_rate_80_is_refused_when_the_rate_pin_is_tied_low():
    station = SimulatedStation("slow-adc", seed=1)
    station.advance(1.0)
    assert exchange(station, rate(80).line()) == frame("ERR,RATE,fixed")
    assert exchange(station, rate(10).line()) == frame("ACK,RATE,10")


def test_bytes_sent_while_the_bootloader_runs_are_lost():
    station = SimulatedStation("clean", seed=1)
    station.advance(0.01)
    station.receive(ping().line())
    out = station.advance(1.0)
    assert not any(isinstance(s, (Ack, Err)) for s in StreamDecoder().feed(out))

"""The real firmware in simavr against the faults of a real bench (issue 12):
a serial monitor with another line ending, a pasted burst of commands, an
HX711 that is missing, unplugged mid-stream, plugged back, or whose DOUT the
pull-up does not hold, D9 wired to a board whose RATE
is tied, chips that keep old data across a RATE change, the Arduino IDE's
64-byte TX buffer, a power cut in the middle of an EEPROM write, and two
HX711s on their own oscillators. The harness (firmware/arduino/sim/) plays
each one; the station (tests/test_firmware_sim.py) is read through the app's
own codec and timed by the device's clock only.
"""

from __future__ import annotations

import bisect
import shutil
from pathlib import Path

from backstation.protocol import Ack, Cal, Err, ForceSample, Hello, Stat
from backstation.protocol.commands import calibrate, info, ping, set_calibration, start, stop
from backstation.protocol.commands import tare
from backstation.protocol.health import StationHealth
from backstation.protocol.sentences import ABSENT_RAW

from .test_firmware_sim import ELF_IDE, ELF_RATE_D9, Station, _is, built  # noqa: F401

OVERFLOW = ("CMD", "overflow")


def _errs(st: Station) -> list[tuple[str, str]]:
    return [(s.command, s.reason) for s in st.control if isinstance(s, Err)]


def _count(st: Station, kind, **fields) -> int:
    return sum(1 for s in st.control if _is(kind, **fields)(s))


# ----- item 5: line endings and pasted bursts ---------------------------------------------
def test_commands_end_on_cr_crlf_lf_or_a_pause_after_no_line_ending() -> None:
    with Station("--rate-pin", "high") as st:
        st.open()
        st.wait_for(_is(Hello))
        st.stream.info_requested()
        st.ser.write(b"info\rping\rping\r")                  # Serial Monitor "Carriage return"
        st.wait_for(_is(Hello))
        st.wait_until(lambda: _count(st, Ack, command="PING") == 2, "two PING answers")
        st.ser.write(b"ping\r\n")                            # "Both NL & CR", PuTTY + Ctrl-J
        st.wait_until(lambda: _count(st, Ack, command="PING") == 3, "a PING ended by CR LF")
        st.ser.write(b"ping")                                # "No line ending": taken when idle
        st.wait_until(lambda: _count(st, Ack, command="PING") == 4, "a PING with no line ending")
        st.stop()
    assert set(_errs(st)) <= {("EEPROM", "blank")}, _errs(st)


def _answers(st: Station) -> int:
    """Sentences that answer one command line each (HELLO: INFO; the boot HELLO excluded)."""
    return (_count(st, Ack) + _count(st, Hello) - 1
            + sum(1 for c, r in _errs(st) if c not in ("EEPROM", "FORCE0", "FORCE1")))


def test_a_pasted_burst_is_answered_line_by_line_in_full_or_refused_whole() -> None:
    lines = [b"ping", b"info", b"tare 9", b"ping", b"rate 12", b"stop"] * 6   # 210 bytes
    with Station("--rate-pin", "high") as st:
        st.open()
        st.wait_for(_is(Hello))
        for _ in range(lines.count(b"info")):
            st.stream.info_requested()
        st.ser.write(b"\n".join(lines) + b"\n")               # in 8.4 ms
        st.wait_until(lambda: _answers(st) == len(lines), "an answer to every line")
        st.ser.write(b"ping\n")
        st.wait_until(lambda: _answers(st) == len(lines) + 1, "the PING after the burst")
        st.stop()
    errs = _errs(st)
    refused = errs.count(OVERFLOW)
    assert set(errs) <= {("EEPROM", "blank"), ("TARE", "range"), ("RATE", "range"), OVERFLOW}, errs
    # what was refused is refused whole: every other line got exactly its own answer
    answered = (_count(st, Ack, command="PING") - 1 + _count(st, Hello) - 1 + errs.count(("TARE", "range"))
                + errs.count(("RATE", "range")) + _count(st, Ack, command="STOP"))
    assert answered + refused == len(lines)
    assert answered >= len(lines) // 2
    assert isinstance(st.control[-1], Ack) and st.control[-1].command == "PING"
    assert (st.stream.stats.crc_errors, st.stream.stats.malformed) == (0, 0)


def test_a_burst_longer_than_the_queue_is_refused_whole_never_garbled() -> None:
    lines = [b"info"] * 60                                    # 300 bytes of 130-byte replies
    with Station("--rate-pin", "high") as st:
        st.open()
        st.wait_for(_is(Hello))
        for _ in lines:
            st.stream.info_requested()
        st.ser.write(b"\n".join(lines) + b"\n")
        st.wait_for(_is(Err, command="CMD", reason="overflow"))
        st.ser.write(b"ping\n")
        st.wait_for(_is(Ack, command="PING"))
        st.stop()
    hellos = _count(st, Hello) - 1
    assert 0 < hellos < len(lines)
    assert set(_errs(st)) <= {("EEPROM", "blank"), OVERFLOW}, _errs(st)
    # every HELLO answered in full: its two CALs follow it
    assert _count(st, Cal) == 2 * (hellos + 1)
    assert (st.stream.stats.crc_errors, st.stream.stats.malformed) == (0, 0)


# ----- items 1 + 2: a missing chip --------------------------------------------------------
def test_a_missing_chip_is_reported_and_fails_calibration_fast_without_blocking_the_other() -> None:
    with Station("--rate-pin", "high", "--absent", "1", "--force", "1500,0") as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        st.wait_for(_is(Err, command="FORCE1", reason="absent"))
        st.send(tare(1))
        st.wait_for(_is(Err, command="TARE", reason="absent"))
        st.send(tare())                                    # both: one of them cannot
        st.wait_for(_is(Err, command="TARE", reason="absent"))
        st.send(calibrate(1, 20000))
        st.wait_for(_is(Err, command="CAL", reason="absent"))
        st.send(tare(0))                                   # the live channel is not blocked
        st.wait_for(_is(Ack, command="TARE"))
        assert st.wait_for(_is(Cal, channel=0)).offset_counts == 1500
        st.send(start())
        st.wait_for(_is(Stat))
        stat = st.wait_for(_is(Stat))
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        st.stop()
    assert hello.force_rate_hz == 80
    assert abs(stat.force_hz_x100 - 8000) <= 80, stat
    assert ("TARE", "busy") not in _errs(st)
    force, _ = st.stream.take_blocks()
    assert set(force.raw[:, 0].tolist()) == {1500}


def test_both_chips_missing_stream_no_force_and_say_so() -> None:
    with Station("--rate-pin", "high", "--absent", "0", "--absent", "1") as st:
        st.open()
        st.wait_for(_is(Hello))
        st.wait_for(_is(Err, command="FORCE0", reason="absent"))
        st.wait_for(_is(Err, command="FORCE1", reason="absent"))
        st.send(start())
        st.wait_for(_is(Stat))
        stat = st.wait_for(_is(Stat))
        st.stop()
    assert stat.force_hz_x100 == 0
    assert st.stream.stats.force_samples == 0


def test_a_chip_unplugged_mid_stream_is_reported_and_ends_its_tare() -> None:
    with Station("--rate-pin", "high", "--unplug", "1@2.0", "--force", "700,900") as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(start())
        st.wait_for(_is(Ack, command="START"))
        st.wait_device_time(1_700_000)
        st.send(tare(1))                                   # averaging when the chip goes
        st.wait_for(_is(Err, command="FORCE1", reason="absent"))
        st.wait_for(_is(Err, command="TARE", reason="absent"))
        st.send(tare(0))
        st.wait_for(_is(Ack, command="TARE"))
        t_us = st.stream.last_t_device_us
        st.wait_device_time(t_us + 1_000_000)              # channel 0 goes on streaming
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        st.stop()
    force, _ = st.stream.take_blocks()
    assert force.t_device_us[-1] > 3_500_000
    assert ("TARE", "busy") not in _errs(st)


def test_a_chip_plugged_back_is_not_announced_but_its_channel_reads_it_again() -> None:
    """What the host's health relies on (protocol/health.py): while absent the
    channel reads ABSENT_RAW (the pulled-up DOUT); back, it reads the chip, and
    nothing else says so until an INFO leaves it out of the report."""
    with Station("--rate-pin", "high", "--unplug", "1@1.5", "--replug", "1@2.5",
                 "--force", "700,900") as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(start())
        st.wait_for(_is(Ack, command="START"))
        st.wait_for(_is(Err, command="FORCE1", reason="absent"))
        gone = len(st.control)
        st.wait_device_time(3_500_000)
        since = st.control[gone:]
        st.send(info())
        st.wait_for(_is(Hello))
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        asked = next(k for k in range(gone, len(st.control)) if isinstance(st.control[k], Hello))
        report = st.control[asked:]
        st.stop()
    assert all(isinstance(s, Stat) for s in since), since       # the return is not announced
    assert not [s for s in report if _is(Err, command="FORCE1")(s)]   # INFO leaves it out
    force, _ = st.stream.take_blocks()
    t_us, right = force.t_device_us, force.raw[:, 1]
    assert set(right[t_us < 1_400_000].tolist()) == {900}
    assert set(right[(t_us > 2_200_000) & (t_us < 2_450_000)].tolist()) == {ABSENT_RAW}
    assert set(right[t_us > 2_700_000].tolist()) == {900}
    assert set(force.raw[:, 0].tolist()) == {700}
    health = StationHealth().with_absent(1)
    assert health.after_samples(force.raw[t_us < 2_450_000][-5:], 0).absent_force_channels == (1,)
    assert health.after_samples(force.raw[t_us > 2_700_000], 0).problems == ()


def test_without_the_pull_up_a_missing_chip_reads_zero_and_goes_unreported() -> None:
    """The limit of the health report: a DOUT the pull-up does not hold high
    (a firmware without the pull-up, perhaps an unpowered chip clamping it) reads low,
    as a chip with data ready does. The station cannot tell: the channel reads
    0, never ABSENT_RAW, at the live chip's rate, and nothing says so."""
    with Station("--rate-pin", "high", "--absent", "1", "--no-pullup",
                 "--force", "1500,900") as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(start())
        st.wait_for(_is(Stat))
        stat = st.wait_for(_is(Stat))
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        st.stop()
    assert not [e for e in _errs(st) if e[0].startswith("FORCE")]
    assert abs(stat.force_hz_x100 - 8000) <= 80, stat
    force, _ = st.stream.take_blocks()
    assert set(force.raw[:, 1].tolist()) == {0}
    assert set(force.raw[:, 0].tolist()) == {1500}


# ----- item 4: D9 ------------------------------------------------------------------------
def test_d9_is_not_driven_unless_the_build_wires_rate_to_it() -> None:
    with Station("--rate-pin", "low") as st:
        st.open()
        assert st.wait_for(_is(Hello)).force_rate_hz == 10
        summary = st.stop()
    assert summary["hx711"]["rate_shorts"] == 0
    # the RATE-on-D9 build drives it: the harness sees the short on a board tied low
    with Station("--rate-pin", "low", elf=ELF_RATE_D9) as st:
        st.open()
        st.wait_for(_is(Hello))
        summary = st.stop()
    assert summary["hx711"]["rate_shorts"] > 0


# ----- item 3: boot rate detection --------------------------------------------------------
def test_boot_rate_survives_old_data_and_a_slow_settling_after_the_rate_change() -> None:
    with Station("--rate-pin", "d9", "--keep-data-on-rate-change", "--settle-periods", "6",
                 elf=ELF_RATE_D9) as st:
        st.open()
        hello = st.wait_for(_is(Hello))
        st.send(start())
        st.wait_for(_is(Stat))
        stat = st.wait_for(_is(Stat))
        st.stop()
    assert abs(stat.force_hz_x100 - 8000) <= 80, stat
    assert hello.force_rate_hz == 80


# ----- item 6: the Arduino IDE's 64-byte TX buffer ----------------------------------------
def test_the_ide_build_delivers_every_status_and_reply() -> None:
    with Station("--rate-pin", "high", "--absent", "1", elf=ELF_IDE) as st:
        st.open()
        st.wait_for(_is(Hello))
        st.wait_for(_is(Cal, channel=1))
        st.wait_for(_is(Err, command="EEPROM", reason="blank"))
        st.wait_for(_is(Err, command="FORCE1", reason="absent"))
        st.send(start())
        st.wait_for(_is(Stat))
        for _ in range(5):
            st.send(set_calibration(0, 100, 250.5))   # 3 sentences while F streams
            st.wait_for(_is(Cal, channel=0))
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        st.stop()
    assert _count(st, Ack, command="SETCAL") == 5


# ----- item 8: a power cut in the middle of an EEPROM write ------------------------------------
def _boot_and_read(eeprom: Path, *extra: str) -> Station:
    with Station("--rate-pin", "high", "--eeprom", str(eeprom), *extra) as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(ping())
        st.wait_for(_is(Ack, command="PING"))
        st.stop()
    return st


def _store_setcal(eeprom: Path, channel: int, offset: int, scale: float, *extra: str) -> dict:
    with Station("--rate-pin", "high", "--eeprom", str(eeprom), *extra) as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(set_calibration(channel, offset, scale))
        st.wait_for(_is(Cal, channel=channel))
        st.send(start())
        # 26 bytes x 3.3 ms, or until the harness cuts the power mid-write
        t0 = []

        def stored() -> bool:
            t = st.stream.last_t_device_us
            if t is not None and not t0:
                t0.append(t)
            return st.closed or (t is not None and t >= t0[0] + 300_000)

        st.wait_until(stored, "the record stored")
        return st.stop()


def test_calibration_and_device_id_survive_a_power_cut_at_any_eeprom_write(tmp_path: Path) -> None:
    base = tmp_path / "base.bin"
    _store_setcal(base, 0, 1234, 500.0)
    first = _boot_and_read(base)
    hello = next(s for s in first.control if isinstance(s, Hello))
    assert not _errs(first)

    full = tmp_path / "full.bin"
    shutil.copy(base, full)
    writes = _store_setcal(full, 1, 777, 300.0)["eeprom"]["writes"]
    assert writes >= 5
    for cut in sorted({1, 2, writes // 3, writes // 2, writes - 1, writes}):
        image = tmp_path / f"cut{cut}.bin"
        shutil.copy(base, image)
        summary = _store_setcal(image, 1, 777, 300.0, "--eeprom-cut-at", str(cut))
        assert summary["eeprom"]["power_cut"] is True
        again = _boot_and_read(image)
        hello_again = next(s for s in again.control if isinstance(s, Hello))
        cals = {s.channel: (s.offset_counts, s.counts_per_newton)
                for s in again.control if isinstance(s, Cal)}
        assert hello_again.device_id == hello.device_id, cut
        assert not _errs(again), (cut, _errs(again))
        assert cals[0] == (1234, 500.0)
        assert cals[1] in ((0, 1000.0), (777, 300.0)), (cut, cals)
        if cut == writes:
            assert cals[1] == (0, 1000.0)   # the last byte torn: the old record stands


# ----- item 9: sample times and a floating ECHO --------------------------------------------
def test_a_sample_is_stamped_when_the_pair_became_ready_even_during_a_reply(tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    with Station("--rate-pin", "high", "--trace", str(trace)) as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(start())
        st.wait_until(lambda: st.stream.last_t_device_us is not None, "a sample")
        t_us = st.stream.last_t_device_us
        for _ in range(20):                       # an INFO reply (~3 ms) every 8 samples
            st.send(info())
            t_us += 100_000
            st.wait_device_time(t_us)
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        st.stop()
    force, _ = st.stream.take_blocks()
    conversions = [float(line.split()[0]) for line in trace.read_text().splitlines()]
    # each sample's t_us against the conversion it carries: one constant offset
    # (micros() starts after the harness's clock) within micros()'s 4 us steps,
    # whatever the loop was doing (stamped when polled, it spread 28 us here)
    offsets = [t - conversions[bisect.bisect_right(conversions, t) - 1]
               for t in force.t_device_us.tolist()]
    assert len(offsets) > 150
    assert max(offsets) - min(offsets) <= 8, (min(offsets), max(offsets))


def test_a_floating_echo_pin_is_no_distance_sensor() -> None:
    with Station("--rate-pin", "high", "--gap", "floating") as st:
        st.open()
        assert st.wait_for(_is(Hello)).distance_sensor == "none"
        st.send(start())
        for _ in range(3):
            stat = st.wait_for(_is(Stat))
        st.stream.info_requested()
        st.send(info())
        hello = st.wait_for(_is(Hello))
        summary = st.stop()
    assert summary["hcsr04"]["noise_edges"] >= 5
    assert hello.distance_sensor == "none" and stat.distance_hz_x100 == 0
    assert st.stream.stats.distance_samples == 0


def test_a_real_sensor_is_still_found_and_nothing_in_range_is_minus_one() -> None:
    with Station("--rate-pin", "high", "--gap", "none") as st:
        st.open()
        assert st.wait_for(_is(Hello)).distance_sensor == "hcsr04"
        st.send(start())
        st.wait_for(_is(Stat))
        st.stop()
    _, distance = st.stream.take_blocks()
    assert len(distance) > 0 and set(distance.gap_mm.tolist()) == {-1}


# ----- item 7: two HX711s on their own oscillators ---------------------------------------------
RUN_OSC_US = 10_000_000


def test_lock_step_reading_of_chips_3_percent_apart_costs_what_the_readme_says() -> None:
    """Kept lock-step (firmware/arduino/README.md, "Two oscillators"): the
    faster chip's extra conversions are never read, and no read is torn."""
    with Station("--rate-pin", "high", "--osc-ppm", "0,30000") as st:
        st.open()
        st.wait_for(_is(Hello))
        st.send(start())
        st.wait_device_time(RUN_OSC_US)
        st.send(stop())
        st.wait_for(_is(Ack, command="STOP"))
        summary = st.stop()
    slow, fast = summary["hx711"]["chips"]
    assert slow["never_read"] + slow["read_collisions"] <= 2, slow
    # the fast chip's extra 3 %: mostly never read, some finishing mid-read (torn on a real chip)
    skipped = fast["never_read"] + fast["read_collisions"]
    assert abs(skipped / fast["conversions"] - 0.03 / 1.03) < 0.004, fast
    assert fast["read_collisions"] <= 0.015 * fast["conversions"], fast
    force, _ = st.stream.take_blocks()
    assert st.stream.stats.lost_samples == 0 and len(force) > 0.9 * RUN_OSC_US / 12_500

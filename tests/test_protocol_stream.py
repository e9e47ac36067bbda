"""DeviceStream: sentences become sample blocks on the session's time axis,
across clock wraps, reboots and reconnects, with losses counted."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from backstation.protocol import (
    Ack, Cal, DistanceSample, ForceSample, Hello, StreamDecoder, encode,
)
from backstation.protocol.stream import DeviceStream

FORCE_STEP_US = 12_500  # 80 Hz
DIST_STEP_US = 50_000   # 20 Hz
HELLO = Hello(1, "bs-0.1.0", "1A2B3C4D", 2, 80, "hcsr04")
HELLO_NO_DISTANCE = Hello(1, "bs-0.1.0", "1A2B3C4D", 2, 80, "none")


@dataclass
class FakeDevice:
    """A device's side of the wire: F at 80 Hz and D at 20 Hz from one boot."""

    t_us: int = 1_000_000
    f_seq: int = 0
    d_seq: int = 0
    boot_host_s: float = 100.0
    with_distance: bool = True

    @property
    def host_s(self) -> float:
        return self.boot_host_s + self.t_us / 1e6

    def run(self, n_force: int, skip_force: int = 0) -> bytes:
        out = b""
        for _ in range(n_force):
            if skip_force:
                skip_force -= 1
            else:
                out += encode(ForceSample(self.f_seq % 65536, self.t_us % (1 << 32),
                                          (1000 + self.f_seq, -self.f_seq)))
            if self.with_distance and self.t_us % DIST_STEP_US == 0:
                out += encode(DistanceSample(self.d_seq % 65536, self.t_us % (1 << 32), 300))
                self.d_seq += 1
            self.f_seq += 1
            self.t_us += FORCE_STEP_US
        return out

    def reboot(self, after_s: float) -> None:
        """Power lost and back: the device's clock and counters restart, and
        ``pump`` delivers its first samples ``after_s`` after the last read."""
        last_read_host_s = self.host_s
        self.t_us = 500_000
        self.f_seq = 0
        self.d_seq = 0
        first_read_t_us = self.t_us + 10 * FORCE_STEP_US
        self.boot_host_s = last_read_host_s + after_s - first_read_t_us / 1e6


def started(device: FakeDevice, hello: Hello = HELLO) -> DeviceStream:
    stream = DeviceStream()
    stream.feed(encode(hello), device.host_s)
    return stream


def pump(stream: DeviceStream, device: FakeDevice, n_force: int, skip_force: int = 0):
    """Feed the device's next samples, 1/8 s per read, like a reader thread."""
    control = []
    for _ in range(n_force // 10):
        control += stream.feed(device.run(10, min(skip_force, 10)), device.host_s)
        skip_force = max(0, skip_force - 10)
    return control


def session_times(stream: DeviceStream) -> tuple[np.ndarray, np.ndarray]:
    force, distance = stream.take_blocks()
    return force.t_device_us, distance.t_device_us


# -- blocks ----------------------------------------------------------------------------


def test_samples_become_blocks_with_the_right_columns():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 80)
    force, distance = stream.take_blocks()
    assert len(force) == 80 and force.channels == 2
    assert force.seq.dtype == np.uint16 and force.raw.dtype == np.int32
    assert force.t_device_us.dtype == np.int64 and force.t_host_s.dtype == np.float64
    assert list(force.seq[:3]) == [0, 1, 2]
    assert force.raw[5].tolist() == [1005, -5]
    assert list(np.diff(force.t_device_us)) == [FORCE_STEP_US] * 79
    assert len(distance) == 20 and distance.gap_mm.tolist() == [300] * 20
    assert list(np.diff(distance.t_device_us)) == [DIST_STEP_US] * 19
    empty_force, empty_distance = stream.take_blocks()
    assert len(empty_force) == 0 and empty_force.channels == 2 and len(empty_distance) == 0


def test_control_sentences_are_returned_and_calibration_kept():
    device = FakeDevice()
    stream = DeviceStream()
    cal = Cal(1, -500, 210.0)
    control = stream.feed(encode(HELLO) + encode(cal) + device.run(4) + encode(Ack("START")),
                          device.host_s)
    assert control == [HELLO, cal, Ack("START")]
    assert stream.hello == HELLO and stream.calibration == {1: cal}
    assert stream.decoder.force_channels == 2


def test_stats_count_samples_and_decoder_errors():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 40)
    stream.feed(b"garbage\n$F,1,2,3*0000\r\n", device.host_s)
    stats = stream.stats
    assert (stats.force_samples, stats.distance_samples) == (40, 10)
    assert (stats.malformed, stats.crc_errors, stats.lost_samples) == (1, 1, 0)


def test_force_sequence_gap_is_counted_as_lost():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 40)
    pump(stream, device, 40, skip_force=7)
    assert stream.stats.lost_force == 7 and stream.reboots == 0


# -- time axis -------------------------------------------------------------------------


def test_time_axis_continues_across_the_device_clock_wrap():
    device = FakeDevice(t_us=(1 << 32) - 40 * FORCE_STEP_US)
    stream = started(device)
    pump(stream, device, 80)
    force_t, distance_t = session_times(stream)
    assert np.all(np.diff(force_t) == FORCE_STEP_US)
    assert force_t[-1] > 1 << 32
    assert np.all(np.diff(distance_t) > 0)
    assert stream.reboots == 0 and stream.stats.lost_samples == 0


def test_unrequested_hello_after_samples_is_a_reboot_and_the_gap_is_lost():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 80)
    last_t = stream.last_t_device_us
    device.reboot(after_s=3.0)
    stream.feed(encode(HELLO), device.host_s)
    pump(stream, device, 80)
    assert stream.reboots == 1
    force_t, _ = session_times(stream)
    assert np.all(np.diff(force_t) > 0)
    after = force_t[80]
    # The time axis continues by the host's clock: ~3 s after the last sample.
    assert after - last_t == pytest.approx(3_000_000, abs=FORCE_STEP_US)
    assert stream.stats.lost_force == pytest.approx(239, abs=1)
    assert stream.stats.lost_distance == pytest.approx(59, abs=1)


def test_hello_in_reply_to_info_is_not_a_reboot():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 40)
    stream.info_requested()
    stream.feed(encode(HELLO), device.host_s)
    pump(stream, device, 40)
    assert stream.reboots == 0
    force_t, _ = session_times(stream)
    assert np.all(np.diff(force_t) == FORCE_STEP_US)
    assert stream.stats.lost_samples == 0


def test_only_the_next_hello_after_info_is_a_reply():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 40)
    stream.info_requested()
    stream.feed(encode(HELLO), device.host_s)
    pump(stream, device, 40)
    device.reboot(after_s=1.0)
    stream.feed(encode(HELLO), device.host_s)
    pump(stream, device, 40)
    assert stream.reboots == 1


def test_force_samples_that_break_continuity_are_a_reboot_even_without_hello():
    device = FakeDevice(t_us=50_000_000)
    stream = started(device)
    pump(stream, device, 80)
    last_t = stream.last_t_device_us
    device.reboot(after_s=2.0)  # the HELLO is lost on the way
    pump(stream, device, 80)
    assert stream.reboots == 1
    force_t, _ = session_times(stream)
    assert np.all(np.diff(force_t) > 0)
    assert force_t[80] - last_t == pytest.approx(2_000_000, abs=FORCE_STEP_US)
    assert stream.stats.lost_force == pytest.approx(159, abs=1)


def test_a_distance_sample_first_after_a_silent_reboot_does_not_jump_the_clock():
    """With the HELLO lost, a D before any F must not read as a 32-bit wrap."""
    device = FakeDevice(t_us=50_000_000)
    stream = started(device)
    pump(stream, device, 80)
    last_t = stream.last_t_device_us
    last_read_host_s = device.host_s
    device.reboot(after_s=2.0)
    # 500000 us is a multiple of the D period, so a D comes first.
    stream.feed(encode(DistanceSample(0, device.t_us, 300)), last_read_host_s + 2.0)
    device.d_seq = 1
    device.t_us += FORCE_STEP_US
    pump(stream, device, 80)
    force_t, distance_t = session_times(stream)
    assert stream.reboots == 1
    assert distance_t[20] - last_t == pytest.approx(2_000_000, abs=DIST_STEP_US)
    assert force_t[-1] - last_t < 4_000_000
    assert np.all(np.diff(force_t) > 0) and np.all(np.diff(distance_t) > 0)


def test_reboot_of_a_device_without_distance_sensor_loses_no_distance_samples():
    device = FakeDevice(with_distance=False)
    stream = started(device, HELLO_NO_DISTANCE)
    pump(stream, device, 80)
    device.reboot(after_s=3.0)
    stream.feed(encode(HELLO_NO_DISTANCE), device.host_s)
    pump(stream, device, 80)
    assert stream.reboots == 1
    assert stream.stats.lost_distance == 0
    assert stream.stats.lost_force == pytest.approx(239, abs=1)


def test_reopened_port_with_samples_continuing_is_not_a_reboot():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 80)
    stream.port_reopened()
    device.run(160)  # 2 s of samples the host never read
    pump(stream, device, 80)
    stats = stream.stats
    assert stream.reboots == 0 and stats.reconnects == 1
    assert stats.lost_force == 160
    assert stats.lost_distance == 40
    force_t, _ = session_times(stream)
    assert force_t[80] - force_t[79] == 161 * FORCE_STEP_US


def test_hello_after_a_reopen_before_any_sample_is_a_reboot_even_if_requested():
    device = FakeDevice()
    stream = started(device)
    pump(stream, device, 80)
    stream.port_reopened()  # opening the port reset the board through DTR
    device.reboot(after_s=1.5)
    stream.info_requested()
    stream.feed(encode(HELLO), device.host_s)
    pump(stream, device, 80)
    assert stream.reboots == 1
    force_t, _ = session_times(stream)
    assert np.all(np.diff(force_t) > 0)


def test_reopen_drops_a_partial_line():
    device = FakeDevice()
    stream = started(device)
    stream.feed(device.run(4)[:-9], device.host_s)
    stream.port_reopened()
    stream.feed(device.run(4), device.host_s)
    force, _ = stream.take_blocks()
    assert len(force) == 7 and stream.stats.crc_errors + stream.stats.malformed == 0


def test_device_stream_uses_its_own_decoder_by_default():
    assert DeviceStream().decoder is not DeviceStream().decoder
    assert isinstance(DeviceStream().decoder, StreamDecoder)

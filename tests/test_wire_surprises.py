"""Sentences valid on the wire but surprising (issue 10, docs/protocol.md §6
"Surprising sentences"), fed to ``DeviceStream`` as a hostile station would
send them. The bytes are framed with ``binascii.crc_hqx`` from the protocol
document (tests/pty_station.py's ``frame``), not with the project's encoder.
"""

from __future__ import annotations

import numpy as np
import pytest

from backstation.protocol.stream import DeviceStream

from .pty_station import frame

ID = "1A2B3C4D"
STEP_US = 12_500   # 80 Hz


def hello(device_id=ID, protocol=1, channels=2, rate=80, sensor="hcsr04") -> bytes:
    return frame(f"HELLO,{protocol},bs-0.1.0,{device_id},{channels},{rate},{sensor}")


class Device:
    """F at ``rate`` Hz (2 channels), one D every 4th F, from one boot."""

    def __init__(self, rate_hz: float = 80.0, t_us: int = 1_000_000, host_s: float = 100.0):
        self.step_us = int(1e6 / rate_hz)
        self.t_us = t_us
        self.f_seq = 0
        self.d_seq = 0
        self.boot_host_s = host_s - t_us / 1e6

    @property
    def host_s(self) -> float:
        return self.boot_host_s + self.t_us / 1e6

    def samples(self, n: int) -> bytes:
        out = b""
        for i in range(n):
            out += frame(f"F,{self.f_seq % 65536},{self.t_us},{1000 + self.f_seq},{-self.f_seq}")
            if self.f_seq % 4 == 0:
                out += frame(f"D,{self.d_seq % 65536},{self.t_us},{300 + self.d_seq % 100}")
                self.d_seq += 1
            self.f_seq += 1
            self.t_us += self.step_us
        return out


def started(device: Device, **hello_fields) -> DeviceStream:
    stream = DeviceStream()
    stream.feed(hello(**hello_fields) + frame("CAL,0,-1000,200.0000") + frame("CAL,1,500,210.0000"),
                device.host_s)
    return stream


def pump(stream: DeviceStream, device: Device, n: int, per_read: int = 10) -> list:
    control = []
    for _ in range(n // per_read):
        control += stream.feed(device.samples(per_read), device.host_s)
    return control


# -- item 2: a CAL for a channel the HELLO did not announce ---------------------------------


@pytest.mark.parametrize("channel", [2, 3])
def test_cal_for_an_unannounced_channel_is_counted_never_kept(channel):
    device = Device()
    stream = started(device)
    control = stream.feed(frame(f"CAL,{channel},0,100.0000"), device.host_s)
    assert control == []
    assert set(stream.calibration) == {0, 1}
    assert stream.stats.rejected == 1 and stream.stats.malformed == 1


# -- items 1, 5: a HELLO from another station mid-stream -------------------------------------


@pytest.mark.parametrize("other", [dict(device_id="DEADBEEF"), dict(protocol=2),
                                   dict(channels=4), dict(channels=1)])
def test_hello_of_another_station_refuses_the_rest_and_keeps_what_came_before(other):
    device = Device()
    stream = started(device)
    # One read: samples, the other station's HELLO and CAL, then its samples.
    chunk = device.samples(10) + hello(**other) + frame("CAL,0,0,1.0000") + (
        frame("F,0,5000,1,2,3,4") + frame("F,1,17500,1,2") + frame("D,0,5000,100"))
    control = stream.feed(chunk, device.host_s)
    assert stream.refused is not None
    assert control[-1].device_id == other.get("device_id", ID)
    force, distance = stream.take_blocks()
    assert len(force) == 10 and len(distance) == 3
    assert stream.hello.device_id == ID and stream.hello.force_channels == 2
    assert stream.calibration[0].counts_per_newton == 200.0
    assert stream.reboots == 0
    # Nothing more is taken until the port is reopened.
    assert stream.feed(device.samples(10), device.host_s) == []
    assert len(stream.take_blocks()[0]) == 0


def test_hello_of_the_same_station_and_shape_is_a_reboot():
    device = Device()
    stream = started(device)
    pump(stream, device, 40)
    device.t_us, device.f_seq, device.d_seq = 300_000, 0, 0
    stream.feed(hello(rate=10), device.host_s + 1.0)   # a rate change is the same station
    stream.feed(device.samples(10), device.host_s + 1.0)
    assert stream.refused is None and stream.reboots == 1


# -- item 6: single sentences that would move the time axis ---------------------------------


@pytest.mark.parametrize("shift_s", [-10.0, -0.5, 10.0, 3600.0])
def test_a_distance_sample_dated_far_away_is_counted_not_stored_and_moves_nothing(shift_s):
    device = Device(t_us=50_000_000)
    stream = started(device)
    pump(stream, device, 80)
    bad_t = device.t_us + int(shift_s * 1e6)
    stream.feed(frame(f"D,{device.d_seq},{bad_t},400"), device.host_s)
    device.d_seq += 1   # the stray took the next seq; the next D carries on after it
    pump(stream, device, 80)
    force, distance = stream.take_blocks()
    assert stream.stats.rejected == 1
    assert 400 not in distance.gap_mm.tolist()
    assert np.all(np.diff(force.t_device_us) == STEP_US)
    assert np.all(np.diff(distance.t_device_us) == 4 * STEP_US)
    assert stream.reboots == 0 and stream.stats.lost_force == 0
    assert stream.stats.lost_distance == 1   # its seq is missing from the stored ones


def test_a_force_sample_dated_hours_ahead_is_counted_not_stored():
    device = Device(t_us=50_000_000)
    stream = started(device)
    pump(stream, device, 80)
    stream.feed(frame(f"F,{device.f_seq},{device.t_us + 3_600_000_000},7,7"), device.host_s)
    device.f_seq += 1
    device.t_us += STEP_US
    pump(stream, device, 80)
    force, _ = stream.take_blocks()
    assert stream.stats.rejected == 1 and stream.reboots == 0
    assert force.t_device_us[-1] - force.t_device_us[0] < 3_000_000


def test_a_clock_jump_that_the_next_samples_confirm_is_believed():
    """A stray cannot lock the stream out: samples that agree with each other win."""
    device = Device(t_us=50_000_000)
    stream = started(device)
    pump(stream, device, 80)
    device.t_us += 3_600_000_000   # the device clock really jumped an hour
    device.boot_host_s -= 3600.0    # (the host's did not)
    pump(stream, device, 80)
    force, _ = stream.take_blocks()
    # The first two F (and one D) after the jump are held to be strays; the
    # third F confirms them, and the axis carries on by the host's clock.
    assert len(force) == 160 - 2 and stream.stats.rejected == 3
    assert np.all(np.diff(force.t_device_us) > 0)
    assert force.t_device_us[-1] - force.t_device_us[0] < 3_000_000
    assert stream.stats.lost_force <= 12   # the host clock bridges the jump: one read or so


def test_hello_rate_far_outside_the_contract_is_malformed():
    device = Device()
    stream = DeviceStream()
    stream.feed(hello(rate=99999) + hello(rate=0) + hello(rate=2001), device.host_s)
    assert stream.hello is None and stream.stats.malformed == 3


def test_a_hello_rate_that_lies_does_not_count_a_reboot_per_sample():
    device = Device(rate_hz=10)           # says 80, runs at 10
    stream = started(device, rate=80)
    pump(stream, device, 200)
    assert stream.reboots == 0 and stream.stats.lost_force == 0 and stream.stats.rejected == 0


def test_reconnect_without_a_reboot_counts_no_reboot_and_no_loss():
    device = Device()
    stream = started(device)
    pump(stream, device, 80)
    stream.port_reopened()
    stream.info_requested()               # the link asked who is there
    device.samples(40)                    # half a second nobody read, seq carries on
    stream.feed(hello(), device.host_s)
    pump(stream, device, 80)
    stats = stream.stats
    assert stats.reboots == 0 and stats.lost_force == 40 and stats.lost_distance == 10


# -- item 3: numbers that are not finite or physical ------------------------------------------


@pytest.mark.parametrize("scale", ["5e-324", "0.0000", "0.00001", "-0.00009", "inf", "nan",
                                   "1e3"])
def test_a_cal_scale_that_is_not_a_finite_wire_number_is_malformed(scale):
    device = Device()
    stream = started(device)
    control = stream.feed(frame(f"CAL,0,0,{scale}"), device.host_s)
    assert control == [] and stream.stats.malformed == 1
    assert stream.calibration[0].counts_per_newton == 200.0


def test_smallest_wire_scale_is_accepted():
    device = Device()
    stream = started(device)
    (cal,) = stream.feed(frame("CAL,0,0,-0.0001"), device.host_s)
    assert cal.counts_per_newton == -0.0001 and np.isfinite(cal.newtons(8388607))


@pytest.mark.parametrize("kind", ["F", "D"])
def test_a_repeated_device_time_is_counted_not_stored(kind):
    device = Device()
    stream = started(device)
    pump(stream, device, 40)
    t = device.t_us - STEP_US
    if kind == "F":
        line = frame(f"F,{device.f_seq},{t},1,1")
        device.f_seq += 1
    else:
        line = frame(f"D,{device.d_seq},{t - (device.f_seq - 1) % 4 * STEP_US},1")
        device.d_seq += 1
    stream.feed(line, device.host_s)
    pump(stream, device, 40)
    force, distance = stream.take_blocks()
    assert stream.stats.rejected == 1 and stream.reboots == 0
    assert np.all(np.diff(force.t_device_us) > 0) and np.all(np.diff(distance.t_device_us) > 0)


# -- item 11: numbers Python takes but the contract does not ----------------------------------


@pytest.mark.parametrize("body", [
    "F,+5,2000000,1,2", "F,5,2000000, 7,2", "F,5,2000000,1_000,2", "F,5,2000000,٣,2",
    "D,+5,2000000,300", "D,5,2000000,1_0", "D,5,2000000,+300",
    "CAL,0,0,1_00.5", "CAL,0,+1,100.0", "CAL,0,1,100.", "CAL,0,1,.5", "CAL,+1,1,100.0",
    "HELLO,+1,bs,1A2B3C4D,2,80,none", "HELLO,1,bs,1A2B3C4D,+2,80,none",
    "HELLO,1,bs,1A2B3C4D,2,8_0,none", "STAT,1,+2,3,4,5", "STAT,-0,2,3,4,5",
])
def test_off_contract_numbers_are_malformed_and_never_stored(body):
    device = Device()
    stream = started(device)
    line = frame(body)
    # Twenty canonical lines around it, so the decoder's bulk path sees it too.
    control = stream.feed(device.samples(10) + line + device.samples(10), device.host_s)
    force, distance = stream.take_blocks()
    assert stream.stats.malformed == 1
    assert len(force) == 20 and len(distance) == 5
    assert all(s.__class__.__name__ != "Cal" for s in control)

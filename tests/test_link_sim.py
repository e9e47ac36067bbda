"""DeviceLink over the simulated station's ``sim://`` URL, faster than real time."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from backstation.device.sim import protocol_sim
from backstation.link import (
    Connected, DeviceLink, DeviceRefused, LinkState, PortNotFound,
)

from .pty_station import wait_for_event

WAIT_S = 10.0


@pytest.fixture(autouse=True)
def fresh_simulators():
    yield
    protocol_sim.clear_registry()


def collect(link: DeviceLink, force_samples: int):
    """Drain until at least ``force_samples`` arrived (bounded by WAIT_S)."""
    force, distance = [], []
    deadline = time.monotonic() + WAIT_S
    while sum(map(len, force)) < force_samples and time.monotonic() < deadline:
        f, d = link.drain(timeout_s=0.5)
        force.append(f)
        distance.append(d)
    return force, distance


def test_clean_simulated_station_streams_every_sample_in_order():
    url = "sim://?scenario=clean&seed=11&speed=20"
    link = DeviceLink(url)
    try:
        hello = link.open()
        assert hello.protocol == 1 and hello.force_channels == 2
        assert sorted(link.calibration) == [0, 1]
        link.start()
        force, distance = collect(link, 300)
        link.stop()
        force.append(link.drain()[0])
        seq = np.concatenate([f.seq for f in force]).astype(np.int64)
        t_us = np.concatenate([f.t_device_us for f in force])
        assert len(seq) >= 300
        assert np.all(np.diff(seq) == 1)
        rate_hz = 1e6 * (len(t_us) - 1) / (t_us[-1] - t_us[0])
        assert 78 < rate_hz < 83
        assert sum(map(len, distance)) > 0
        stats = link.stats
        assert (stats.crc_errors, stats.malformed, stats.lost_samples) == (0, 0, 0)
        assert stats.force_samples == len(seq)
    finally:
        link.close()
    assert link.state is LinkState.CLOSED


def test_unplugged_simulated_station_is_readopted_and_streams_again():
    url = "sim://?scenario=unplug&seed=12&speed=20"
    link = DeviceLink(url, reconnect_interval_s=0.05)
    seen: list = []
    try:
        device_id = link.open().device_id
        link.start()
        link.drain_events()
        connected = wait_for_event(link, Connected, seen, WAIT_S)
        assert (connected.reconnects, connected.hello.device_id) == (1, device_id)
        assert LinkState.RECONNECTING in [getattr(e, "state", None) for e in seen]
        assert link.wait_for_state(LinkState.STREAMING, WAIT_S)
        link.drain()
        force, _ = collect(link, 80)
        t_us = np.concatenate([f.t_device_us for f in force])
        assert len(t_us) >= 80 and np.all(np.diff(t_us) > 0)
        stats = link.stats
        assert stats.reconnects == 1 and stats.reboots == 1
        # The gap is measured by the host's clock: at speed 20, 3 s of cable-out
        # are 0.15 s of wall time, so ~12 samples, not ~240, count as lost.
        assert stats.lost_force > 0
    finally:
        link.close()


def test_a_different_board_after_the_unplug_is_refused():
    url = "sim://?scenario=unplug&seed=13&speed=20&swap=1"
    link = DeviceLink(url, reconnect_interval_s=0.05)
    seen: list = []
    try:
        device_id = link.open().device_id
        link.start()
        link.drain_events()
        refused = wait_for_event(link, DeviceRefused, seen, WAIT_S)
        assert refused.expected_device_id == device_id
        assert refused.found_device_id != device_id and refused.port == url
        assert link.state is LinkState.RECONNECTING
        assert not any(isinstance(e, Connected) for e in seen)
        assert link.hello.device_id == device_id
    finally:
        link.close()


def test_unknown_scenario_is_a_link_error_not_a_crash():
    with pytest.raises(Exception) as caught:
        DeviceLink("sim://?scenario=nope").open()
    from backstation.link import LinkError
    assert isinstance(caught.value, LinkError) and "nope" in str(caught.value)
    assert not isinstance(caught.value, PortNotFound)
    assert not [t for t in threading.enumerate() if t.name.startswith("backstation-link")]

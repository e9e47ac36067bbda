"""SessionBuffers: the live plot's model (no Qt)."""

from __future__ import annotations

import numpy as np

from backstation.analysis.calibration import ForceCalibration
from backstation.samples import DistanceBlock, ForceBlock
from backstation.ui.buffers import GrowingArray, SessionBuffers


def _force(t_us, raw):
    n = len(t_us)
    return ForceBlock(np.arange(n, dtype=np.uint16), np.asarray(t_us, np.int64),
                      np.asarray(raw, np.int32).reshape(n, 2), np.zeros(n))


def test_growing_array_keeps_every_value_across_reallocations():
    a = GrowingArray(capacity=4)
    for k in range(10):
        a.extend(np.arange(k * 3, k * 3 + 3, dtype=float))
    assert np.array_equal(a.view(), np.arange(30, dtype=float))


def test_force_is_calibrated_per_sample_time_and_uncalibrated_samples_are_counted():
    cal = ForceCalibration(2)
    cal.set(0, 1000, 10.0, t_from_us=1_500)
    cal.set(1, 0, 2.0)
    b = SessionBuffers(2)
    b.add(_force([1_000, 2_000, 3_000], [(1100, 20)] * 3), DistanceBlock.empty(), cal)
    assert b.uncalibrated_samples == 1            # channel 0 had no scale at 1 000 us
    assert np.allclose(b.force_t_s.view(), [0.001, 0.002])
    assert np.allclose(b.force_n[0].view(), [10.0, 10.0])
    assert np.allclose(b.total_n.view(), [20.0, 20.0])
    assert b.latest_force_n() == (10.0, 10.0)


def test_missing_echo_is_a_hole_and_recent_gaps_skip_it():
    b = SessionBuffers(2)
    d = DistanceBlock(np.arange(4, dtype=np.uint16),
                      np.array([0, 500_000, 1_000_000, 1_500_000], np.int64),
                      np.array([300, -1, 20, 22], np.int32), np.zeros(4))
    b.add(ForceBlock.empty(2), d, ForceCalibration(2))
    assert np.isnan(b.gap_mm.view()[1])
    assert list(b.recent_gaps_mm(0.6)) == [20.0, 22.0]
    assert b.newest_s == 1.5

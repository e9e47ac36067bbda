"""ForceCalibration.newtons, the one owner of raw counts -> newtons, against a
plain per-sample reference over random calibration histories."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backstation.analysis.calibration import ForceCalibration

CHANNELS = 2


def reference_newtons(history, raw, t_us, channels):
    """Per sample and channel: the last calibration set (in call order) whose
    time is strictly before the sample; None as a time means from the start."""
    out = np.full((len(t_us), raw.shape[1]), np.nan)
    for i, t in enumerate(t_us):
        for c in range(min(channels, raw.shape[1])):
            best = None
            for ch, offset, scale, t_from in history:
                start = -math.inf if t_from is None else t_from
                if ch == c and t > start and (best is None or start >= best[0]):
                    best = (start, offset, scale)
            if best is not None:
                out[i, c] = (float(raw[i, c]) - best[1]) / best[2]
    return out


times = st.integers(-5, 60).map(lambda k: k * 1000)      # often equal to a sample's time
history_entry = st.tuples(st.integers(0, CHANNELS - 1), st.integers(-(1 << 23), (1 << 23) - 1),
                          st.sampled_from([-250.0, -1.5, 0.0001, 0.37, 21.0, 4000.0]),
                          st.none() | times)


@settings(max_examples=300, deadline=None)
@given(history=st.lists(history_entry, max_size=8),
       t_us=st.lists(times, max_size=40),
       raw_seed=st.integers(0, 2**32 - 1),
       columns=st.integers(1, CHANNELS + 1))
def test_newtons_match_a_per_sample_reference_over_random_histories(history, t_us, raw_seed,
                                                                    columns):
    cal = ForceCalibration(CHANNELS)
    for ch, offset, scale, t_from in history:
        cal.set(ch, offset, scale, t_from)
    rng = np.random.default_rng(raw_seed)
    raw = rng.integers(-(1 << 23), 1 << 23, size=(len(t_us), columns)).astype(np.int32)
    t = np.array(t_us, dtype=np.int64)            # unsorted, with repeats
    got = cal.newtons(raw, t)
    want = reference_newtons(history, raw, t, CHANNELS)
    assert got.shape == raw.shape
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.allclose(got[~np.isnan(got)], want[~np.isnan(want)], rtol=0, atol=0)


def test_a_calibration_applies_strictly_after_its_time_and_agrees_with_at():
    cal = ForceCalibration(1)
    cal.set(0, 100, 10.0)
    cal.set(0, 600, 10.0, t_from_us=1000)
    t = np.array([0, 1000, 1001, 2000], dtype=np.int64)
    raw = np.full((4, 1), 1100, dtype=np.int32)
    assert cal.newtons(raw, t)[:, 0].tolist() == [100.0, 100.0, 50.0, 50.0]
    for t_us, n in zip(t.tolist(), cal.newtons(raw, t)[:, 0]):
        entry = cal.at(0, t_us)
        assert n == (1100 - entry.offset_counts) / entry.counts_per_newton


def test_a_software_tare_changes_only_later_samples():
    cal = ForceCalibration(1)
    cal.set(0, 0, 2.0)
    cal.tare(0, 200, t_from_us=1500)
    raw = np.full((3, 1), 400, dtype=np.int32)
    assert cal.newtons(raw, np.array([1000, 1500, 2000]))[:, 0].tolist() == [200.0, 200.0, 100.0]


@dataclass
class _Row:
    channel: int
    offset_counts: int
    counts_per_newton: float
    t_device_us: int | None


def test_stored_rows_build_the_same_calibration_and_a_refused_row_is_named():
    refused: list[str] = []
    cal = ForceCalibration.from_records(1, [_Row(0, 100, 10.0, None), _Row(0, 0, 0.0, 500),
                                            _Row(1, 0, 1.0, None), _Row(0, 600, 10.0, 1000)],
                                        refused)
    raw = np.full((3, 1), 1100, dtype=np.int32)
    assert cal.newtons(raw, np.array([0, 1000, 2000]))[:, 0].tolist() == [100.0, 100.0, 50.0]
    assert len(refused) == 1 and "channel 0" in refused[0] and "\n" not in refused[0]

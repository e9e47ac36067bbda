"""The terminal readout never shows a number that is not one."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np

from backstation.analysis.calibration import ForceCalibration
from backstation.monitor import LiveReadout
from backstation.protocol.stream import StreamStats
from backstation.samples import DistanceBlock, ForceBlock


def _readout_line(calibration: ForceCalibration, raw=(100, 200), t_us=10, late=0) -> str:
    link = SimpleNamespace(calibration={}, stats=StreamStats(), last_stat=None,
                           state=SimpleNamespace(value="STREAMING"))
    session = SimpleNamespace(link=link, calibration=calibration, late_samples=late)
    force = ForceBlock(np.array([1], np.uint16), np.array([t_us], np.int64),
                       np.array([raw], np.int32), np.array([0.0]))
    distance = DistanceBlock(np.zeros(0, np.uint16), np.zeros(0, np.int64),
                             np.zeros(0, np.int32), np.zeros(0))
    out = io.StringIO()
    LiveReadout(out, clock=lambda: 100.0).update(session, SimpleNamespace(
        force=force, distance=distance, analysis=[]))
    return out.getvalue()


def test_force_of_an_uncalibrated_channel_is_shown_as_dashes():
    cal = ForceCalibration(2)
    cal.set(1, 0, 0.0001)                     # the largest forces a scale may give
    line = _readout_line(cal, raw=(100, 8388607))
    assert "L      -- N" in line and "total      -- N" in line
    assert "inf" not in line.lower() and "nan" not in line.lower()


def test_readout_shows_the_sessions_calibration_with_its_software_tare():
    cal = ForceCalibration(2)
    cal.set(0, 0, 2.0)
    cal.set(1, 0, 2.0)
    cal.tare(0, 100, t_from_us=5)             # the device never heard of this zero
    line = _readout_line(cal, raw=(300, 300), t_us=10)
    assert "L   100.0 N" in line and "R   150.0 N" in line and "total   250.0 N" in line


def test_samples_too_late_to_judge_are_shown_with_the_stream_health():
    cal = ForceCalibration(2)
    assert "late" not in _readout_line(cal)
    assert "crc 0  late 3  streaming" in _readout_line(cal, late=3)

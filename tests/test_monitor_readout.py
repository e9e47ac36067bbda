"""The terminal readout never shows a number that is not one."""

from __future__ import annotations

import io
from types import SimpleNamespace

import numpy as np

from backstation.monitor import LiveReadout
from backstation.protocol.stream import StreamStats
from backstation.samples import DistanceBlock, ForceBlock


class _Cal:
    def __init__(self, counts_per_newton: float):
        self.counts_per_newton = counts_per_newton

    def newtons(self, raw: int) -> float:
        return raw / self.counts_per_newton


def test_force_from_a_degenerate_calibration_is_shown_as_dashes():
    link = SimpleNamespace(calibration={0: _Cal(5e-324)}, stats=StreamStats(), last_stat=None,
                           state=SimpleNamespace(value="STREAMING"))
    force = ForceBlock(np.array([1], np.uint16), np.array([10], np.int64),
                       np.array([[100, 200]], np.int32), np.array([0.0]))
    distance = DistanceBlock(np.zeros(0, np.uint16), np.zeros(0, np.int64),
                             np.zeros(0, np.int32), np.zeros(0))
    out = io.StringIO()
    LiveReadout(out, clock=lambda: 100.0).update(SimpleNamespace(link=link),
                                                 SimpleNamespace(force=force, distance=distance,
                                                                 analysis=[]))
    line = out.getvalue()
    assert "L      -- N" in line and "R      -- N" in line and "total      -- N" in line
    assert "inf" not in line.lower() and "nan" not in line.lower()

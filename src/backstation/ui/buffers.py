"""The whole session in newtons and millimetres, for the live plot and its
scroll-back: growing numpy columns appended once per drain, never one object
per sample. Plain Python + numpy (no Qt), so it is tested without a display.

Times are seconds since the session's first sample (``t0_us``), the same
origin the rep table and the exports use.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..analysis.calibration import ForceCalibration
from ..samples import DistanceBlock, ForceBlock

INITIAL_CAPACITY = 4096


class GrowingArray:
    """A numpy column that doubles its capacity; ``view()`` is the filled part."""

    def __init__(self, dtype=np.float64, capacity: int = INITIAL_CAPACITY):
        self._data = np.empty(capacity, dtype=dtype)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def extend(self, values: np.ndarray) -> None:
        n = len(values)
        if self._n + n > len(self._data):
            grown = np.empty(max(2 * len(self._data), self._n + n), dtype=self._data.dtype)
            grown[:self._n] = self._data[:self._n]
            self._data = grown
        self._data[self._n:self._n + n] = values
        self._n += n

    def view(self) -> np.ndarray:
        return self._data[:self._n]


@dataclass(frozen=True)
class RepMark:
    t_start_s: float
    t_end_s: float
    valid: bool | None
    t_contact_s: float | None


class SessionBuffers:
    """Calibrated force per channel and in total, the gap, and rep/contact marks."""

    def __init__(self, channels: int = 2):
        self.channels = channels
        self.t0_us: int | None = None
        self.force_t_s = GrowingArray()
        self.force_n = [GrowingArray() for _ in range(channels)]
        self.total_n = GrowingArray()
        self.gap_t_s = GrowingArray()
        self.gap_mm = GrowingArray()       # NaN where the sensor saw nothing
        self.reps: list[RepMark] = []
        self.contacts: list[tuple[float, bool]] = []
        self.uncalibrated_samples = 0
        # Counts every change a plot would show (samples, reps, contacts): a
        # view that drew this revision has nothing new to draw.
        self.revision = 0

    def add(self, force: ForceBlock, distance: DistanceBlock,
            calibration: ForceCalibration) -> None:
        if self.t0_us is None:
            firsts = [int(b.t_device_us[0]) for b in (force, distance) if len(b)]
            if not firsts:
                return
            self.t0_us = min(firsts)
        if len(force):
            newtons = calibration.newtons(force.raw, force.t_device_us)
            ok = ~np.isnan(newtons).any(axis=1)
            self.uncalibrated_samples += int((~ok).sum())
            if ok.any():
                self.force_t_s.extend(self.seconds(force.t_device_us[ok]))
                for c in range(self.channels):
                    self.force_n[c].extend(newtons[ok, c])
                self.total_n.extend(newtons[ok].sum(axis=1))
                self.revision += 1
        if len(distance):
            gap = distance.gap_mm.astype(np.float64)
            gap[gap < 0] = np.nan
            self.gap_t_s.extend(self.seconds(distance.t_device_us))
            self.gap_mm.extend(gap)
            self.revision += 1

    def seconds(self, t_device_us: np.ndarray | int) -> np.ndarray | float:
        return (np.asarray(t_device_us, dtype=np.int64) - (self.t0_us or 0)) / 1e6

    def add_rep(self, t_start_us: int, t_end_us: int, valid: bool | None,
                t_contact_us: int | None) -> None:
        contact = None if t_contact_us is None else float(self.seconds(t_contact_us))
        self.reps.append(RepMark(float(self.seconds(t_start_us)), float(self.seconds(t_end_us)),
                                 valid, contact))
        self.revision += 1

    def add_contact(self, t_us: int, in_contact: bool) -> None:
        self.contacts.append((float(self.seconds(t_us)), in_contact))
        self.revision += 1

    @property
    def newest_s(self) -> float | None:
        """The newest sample time, force or distance."""
        ends = [a.view()[-1] for a in (self.force_t_s, self.gap_t_s) if len(a)]
        return float(max(ends)) if ends else None

    def latest_force_n(self) -> tuple[float, ...] | None:
        if not len(self.force_t_s):
            return None
        return tuple(float(c.view()[-1]) for c in self.force_n)

    def recent_gaps_mm(self, seconds: float) -> np.ndarray:
        """Valid gap readings of the last ``seconds`` of device time."""
        t = self.gap_t_s.view()
        if not len(t):
            return np.empty(0)
        i = int(np.searchsorted(t, t[-1] - seconds, "left"))
        gaps = self.gap_mm.view()[i:]
        return gaps[~np.isnan(gaps)].copy()

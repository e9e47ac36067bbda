"""Two levels of the gap the rep tracker keeps (reps.py): the highest gap of
the last few seconds, which a pull falls from, and the athlete's straight-arm
hang, which a rep must come back to."""

from __future__ import annotations

import numpy as np

from .config import LOCKOUT_TOL_MM

HIGH_WINDOW_US = 4_000_000  # a pull falls from the highest gap of the last 4 s
REST_LEVELS = 5             # the straight-arm reference: median of this many rest levels


class RecentHigh:
    """The highest (confirmed) gap of the last HIGH_WINDOW_US: a slow drift of
    the hang (shoulders packing during a long hang) is not taken for the
    start of a pull."""

    def __init__(self) -> None:
        self.mm: float | None = None
        self.t_us = 0
        self._candidates: list[tuple[int, float]] = []   # falling, newest last

    def set(self, high_mm: float | None, t_us: int) -> None:
        """Start again from this level (None: no level yet)."""
        self._candidates = [] if high_mm is None else [(t_us, high_mm)]
        self.mm, self.t_us = high_mm, t_us

    def push(self, high_mm: float, t_high_us: int, t_now_us: int) -> bool:
        """A confirmed level at ``t_high_us``; True if it is the new high."""
        candidates = self._candidates
        while candidates and candidates[-1][1] <= high_mm:
            candidates.pop()
        candidates.append((t_high_us, high_mm))
        while candidates[0][0] < t_now_us - HIGH_WINDOW_US:
            candidates.pop(0)
        new = self.mm is None or candidates[0] != (self.t_us, self.mm)
        self.t_us, self.mm = candidates[0]
        return new and candidates[0] == (t_high_us, high_mm)


class HangReference:
    """The athlete's straight-arm hang in this set: the median of the last
    REST_LEVELS rest levels (the confirmed high before each pull). A rest
    level more than LOCKOUT_TOL_MM short of it (the bottom of a no-lockout
    turn) is not taken, so bent-arm reps do not lower the bar for the next
    ones; higher ones are (a relaxed hang after a long rest)."""

    def __init__(self) -> None:
        self._levels: list[float] = []
        self._mm: float | None = None      # their median: recomputed in take(), read on every reading

    @property
    def mm(self) -> float | None:
        return self._mm

    def take(self, level_mm: float) -> None:
        ref = self._mm
        if ref is None or level_mm >= ref - LOCKOUT_TOL_MM:
            self._levels.append(level_mm)
            del self._levels[:-REST_LEVELS]
            self._mm = float(np.median(self._levels))

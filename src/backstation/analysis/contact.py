"""Did the chest touch the bar? The gap channel, judged with hysteresis and
a minimum dwell so that HC-SR04 noise (+-3 mm) cannot make or break a
contact, and a missed echo (-1) counts for nothing either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import CONTACT_DWELL_SAMPLES, CONTACT_HYSTERESIS_MM, GAP_HOLD_S

NO_ECHO_MM = -1
TOUCH_MIN_VALID_SAMPLES = 10
TOUCH_MIN_VALID_SHARE = 0.6
TOUCH_MAX_SPREAD_MM = 15.0     # p90 - p10 of a steady touch
TOUCH_MAX_GAP_MM = 80.0        # a median gap above this is not a touch
TOUCH_MARGIN_MM = 10.0


@dataclass
class GapFilter:
    """For displays (a live gap readout): a missed echo keeps the last good
    gap for ``GAP_HOLD_S``; after that the gap is unknown (None). The
    judgement itself uses real readings only."""

    hold_us: int = int(GAP_HOLD_S * 1e6)
    _last_gap_mm: float | None = None
    _last_t_us: int | None = None

    def update(self, t_us: int, gap_mm: int) -> float | None:
        if gap_mm != NO_ECHO_MM and gap_mm >= 0:
            self._last_gap_mm, self._last_t_us = float(gap_mm), t_us
            return self._last_gap_mm
        if self._last_t_us is not None and t_us - self._last_t_us <= self.hold_us:
            return self._last_gap_mm
        return None


@dataclass
class ContactDetector:
    """Contact is made after ``dwell`` consecutive readings at or under the
    threshold (dated from the first of them) and broken after ``dwell``
    consecutive readings above threshold + hysteresis. Missed echoes are
    skipped: they neither extend nor reset a run."""

    contact_mm: float
    hysteresis_mm: float = CONTACT_HYSTERESIS_MM
    dwell: int = CONTACT_DWELL_SAMPLES
    in_contact: bool = False
    _run: int = 0
    _run_start_us: int = 0

    def update(self, t_us: int, gap_mm: int) -> int | None:
        """One distance reading; returns the time of a change, or None."""
        if gap_mm == NO_ECHO_MM or gap_mm < 0:
            return None
        toward = gap_mm > self.contact_mm + self.hysteresis_mm if self.in_contact \
            else gap_mm <= self.contact_mm
        if not toward:
            self._run = 0
            return None
        if self._run == 0:
            self._run_start_us = t_us
        self._run += 1
        if self._run >= self.dwell:
            self.in_contact = not self.in_contact
            self._run = 0
            return self._run_start_us
        return None


def contact_threshold_from_touch(gap_mm: np.ndarray) -> float:
    """The athlete holds the chest on the bar for ~2 s: a threshold just above
    what the sensor reads then (the 95th percentile plus a margin of
    max(10 mm, 3 robust SDs)). Raises ValueError when the readings are not a
    steady touch, saying why."""
    gaps = np.asarray(gap_mm, dtype=float).ravel()
    if gaps.size == 0:
        raise ValueError("no distance readings: hold the chest on the bar for 2 s")
    valid = gaps[gaps >= 0]
    if valid.size < TOUCH_MIN_VALID_SAMPLES or valid.size < TOUCH_MIN_VALID_SHARE * gaps.size:
        raise ValueError(f"the sensor missed {gaps.size - valid.size} of {gaps.size} echoes: "
                         "check it faces the chest and try again")
    median = float(np.median(valid))
    if median > TOUCH_MAX_GAP_MM:
        raise ValueError(f"the gap was {median:.0f} mm: the chest was not on the bar")
    p10, p90, p95 = np.percentile(valid, [10, 90, 95])
    if p90 - p10 > TOUCH_MAX_SPREAD_MM:
        raise ValueError(f"the gap moved by {p90 - p10:.0f} mm: hold still against the bar")
    robust_sd = 1.4826 * float(np.median(np.abs(valid - median)))
    return float(np.ceil(p95 + max(TOUCH_MARGIN_MM, 3.0 * robust_sd)))

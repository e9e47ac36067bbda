"""Did the chest touch the bar? The gap channel, judged with hysteresis and
a minimum dwell so that HC-SR04 noise (+-3 mm) cannot make or break a
contact, and a missed echo (-1) counts for nothing either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
    skipped: they neither extend nor reset a run.

    A touch-and-go chest passes the bar faster than two readings of a slow
    sensor (a 10 Hz ultrasound at two reps a second). One reading makes a
    contact too when it is *deep* (at or under threshold - hysteresis) and the
    chest's path on both sides points at it: the line through the two
    readings before it and the line through the two after it both reach the
    threshold by its time. A stray near-zero reading (a sleeve, a
    hand) where the chest is still or passing elsewhere has no such path; it
    is decided two readings late, then broken at the next reading (which
    itself counts toward no new contact)."""

    contact_mm: float
    hysteresis_mm: float = CONTACT_HYSTERESIS_MM
    dwell: int = CONTACT_DWELL_SAMPLES
    in_contact: bool = False
    _run: int = 0
    _run_start_us: int = 0
    _recent: list[tuple[int, float]] = field(default_factory=list)   # the last five readings
    _break_at_us: int | None = None     # a one-reading contact ends here

    def update(self, t_us: int, gap_mm: int) -> int | None:
        """One distance reading; returns the time of a change, or None."""
        if gap_mm == NO_ECHO_MM or gap_mm < 0:
            return None
        if self._break_at_us is not None:
            t_break, self._break_at_us = self._break_at_us, None
            self.in_contact, self._run = False, 0
            self._remember(t_us, gap_mm)
            return t_break
        self._remember(t_us, gap_mm)
        toward = gap_mm > self.contact_mm + self.hysteresis_mm if self.in_contact \
            else gap_mm <= self.contact_mm
        if not toward:
            self._run = 0
            return self._lone_contact()
        if self._run == 0:
            self._run_start_us = t_us
        self._run += 1
        if self._run >= self.dwell:
            self.in_contact = not self.in_contact
            self._run = 0
            return self._run_start_us
        return None

    def forget_path(self) -> None:
        """The stream broke: readings on both sides of the gap make no path
        (a one-reading contact under way is broken where it was)."""
        self._recent.clear()

    def _remember(self, t_us: int, gap_mm: float) -> None:
        self._recent.append((t_us, float(gap_mm)))
        del self._recent[:-5]

    def _lone_contact(self) -> int | None:
        """The reading two back, alone under the threshold, deep, with the
        chest's path on both sides pointing at it: a contact then."""
        if self.in_contact or len(self._recent) < 5:
            return None
        (t0, g0), (t1, g1), (tc, gc), (t3, g3), (t4, g4) = self._recent
        edge = self.contact_mm
        if not (gc <= self.contact_mm - self.hysteresis_mm
                and g1 > self.contact_mm and g3 > self.contact_mm):
            return None
        before = g1 + (g1 - g0) * (tc - t1) / max(t1 - t0, 1)
        after = g3 - (g4 - g3) * (t3 - tc) / max(t4 - t3, 1)
        if before > edge or after > edge:
            return None
        self.in_contact, self._break_at_us = True, t3
        return tc


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

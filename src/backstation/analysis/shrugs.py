"""Finding and judging mid-back shrugs in the gap (docs/analysis.md,
"Mid-back shrug").

The athlete hangs under the bar with straight arms and squeezes the
shoulder blades together: the chest rises a few centimetres (the gap falls
by the athlete's squeeze depth, ``AnalysisConfig.shrug_squeeze_mm``), is
held, and comes back down. A rep is one such fall from the hang and back;
it counts when the arms stayed straight (the gap fell less than a row's
worth: ``arms_bent`` otherwise) and the squeeze was held for the target
time (``AnalysisConfig.shrug_hold_s``: ``no_hold`` otherwise).

The tracker sees only readings the motion gate accepted (gapclean.py) and
only while the bar is held; as the row's tracker, it decides nothing on one
reading: a decision takes the readings of the last ``CONFIRM_US`` (the
median of three or more; of two, the higher for a fall and the lower for a
return). It uses the gap alone (a shrug barely changes the load), so
the force stream is never waited for, and the result depends only on the
readings in time order: any cut of the stream gives the same reps.

**The hang** is the level of a still stretch of readings (``STILL_US``
within ``STILL_SPREAD_MM``, drifting slower than ``STILL_SLOPE_MM_S``) while
no squeeze is under way: getting on (the gap still falling into the hang)
makes none, and a hang that moves between reps (shoulders relaxed or packed)
is followed. The first hang after getting on is provisional: a quick return
from it to a still hang ``start_mm`` further from the bar shows that it was
a squeeze begun while the chest still settled, held; it is reported then.

States: ``seek`` (no hang yet) -> ``rest`` (the hang is known; waiting for a
fall of ``start_mm``) -> ``squeeze`` (from the last reading near the hang;
until two readings are back within ``back_mm`` of the hang, or the chest
is still again a good part of the way back: the new hang) -> ``rest``. A
stream gap that cut a squeeze (a ``sensor_dropout``) leaves the tracker in
``cut`` until the chest is back at the hang: the rest of that squeeze is no
new rep; a squeeze under way when the stream comes back, none cut, began in
the gap: a ``sensor_dropout`` from the first sample after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..verdicts import ARMS_BENT_REASON, NO_HOLD_REASON
from .results import Rep

START_SHARE = 0.5            # a squeeze has begun when the gap fell this share of the squeeze depth ...
START_MIN_MM = 12.0          # ... and at least this (a time-of-flight sensor's noise is +-10 mm)
BENT_MARGIN_MM = 60.0        # arms_bent: a fall this much deeper than the squeeze depth, ...
                             # ... or the row's minimum range if that is less (a row's worth)
BACK_SHARE = 0.5             # back at the hang: two readings within this share of start_mm of it,
PART_BACK_MM = 10.0          # ... or still again this far back from the squeeze's top ...
PART_BACK_SHARE = 0.35       # ... or this share of its fall, whichever is more (a hang a little
PART_BACK_US = 1_000_000     # higher), having come back that far within this before (a let-go is
                             # quick; a held squeeze that creeps a few mm is still held)
BELOW_HANG_MM = 150.0        # a reading this far past the hang is not the chest of a body holding the bar
EDGE_MIN_MM = 3.0            # the squeeze began at the last reading within this of the hang, or
EDGE_NOISE = 2.0             # this many times the noise at the hang (at most EDGE_SHARE of
EDGE_SHARE = 0.5             # start_mm): a reading the noise alone put there is no start
CONFIRM_US = 150_000         # a decision takes the readings of this long, at least the last two
FIRST_KEEP_US = 30_000_000   # the readings since getting on kept while the hang is provisional
STILL_US = 600_000           # a still stretch: the readings of this long ...
STILL_MIN_READINGS = 4       # ... at least this many ...
STILL_SPREAD_MM = 12.0       # ... between their 20th and 80th percentiles ...
STILL_SLOPE_MM_S = 12.0      # ... drifting slower than this
HOLD_BAND_MIN_MM = 5.0       # the hold: the time the chest is within this of the held level ...
HOLD_BAND_SHARE = 0.1        # ... or this share of the depth ...
HOLD_BAND_NOISE = 2.0        # ... or this many times the sensor's noise at the hang (3-reading medians)


@dataclass
class ShrugDraft:
    """One shrug as the tracker saw it; ``shrug_verdict`` judges it."""

    t_start_us: int
    t_end_us: int = 0
    hang_mm: float = 0.0
    fall_mm: float = 0.0           # the deepest fall from the hang, confirmed by two readings
    depth_mm: float | None = None  # hang - the held level (the median reading in the hold)
    held_mm: float | None = None   # the held level
    hold_s: float | None = None
    t_top_in_us: int | None = None   # first and last time in the hold
    t_top_out_us: int | None = None
    arms_bent: bool = False
    released: bool = False
    cut: bool = False


def shrug_verdict(draft: ShrugDraft, hold_target_s: float) -> tuple[bool, str | None]:
    """(valid, reason) in this order: let go, stream broke, arms bent, not held, valid."""
    if draft.released:
        return False, "bar_released"
    if draft.cut:
        return False, "sensor_dropout"
    if draft.arms_bent:
        return False, ARMS_BENT_REASON
    if draft.hold_s is None or draft.hold_s < hold_target_s:
        return False, NO_HOLD_REASON
    return True, None


def fill_shrug_metrics(rep: Rep, draft: ShrugDraft) -> None:
    """The shrug's own gap figures over the row's (metrics.fill_rep_metrics
    gives the force figures): ``rom_mm`` is the squeeze depth, ``top_hold_s``
    the hold, ``min_gap_mm`` the held level, concentric / eccentric the way
    into and out of the hold."""
    rep.rom_mm = draft.depth_mm
    rep.min_gap_mm = draft.held_mm
    rep.top_hold_s = draft.hold_s
    if draft.t_top_in_us is None or draft.t_top_out_us is None:
        rep.concentric_s = rep.eccentric_s = rep.mean_concentric_velocity_m_s = None
        return
    rep.concentric_s = max(0.0, (draft.t_top_in_us - draft.t_start_us) / 1e6)
    rep.eccentric_s = max(0.0, (draft.t_end_us - draft.t_top_out_us) / 1e6)
    rep.mean_concentric_velocity_m_s = (draft.depth_mm / 1000.0 / rep.concentric_s
                                        if rep.concentric_s > 0 and draft.depth_mm else None)


class ShrugTracker:
    """Shrugs of one set, from the gap readings in time order."""

    def __init__(self, squeeze_mm: float, min_range_mm: float):
        self.start_mm = max(START_MIN_MM, START_SHARE * squeeze_mm)
        self.bent_mm = min(min_range_mm, squeeze_mm + BENT_MARGIN_MM)
        self.back_mm = BACK_SHARE * self.start_mm
        self.hang_mm: float | None = None
        self.state = "seek"
        self.rep: ShrugDraft | None = None
        self._prev: tuple[int, float] | None = None    # the reading before, to confirm with
        self._recent: list[tuple[int, float]] = []      # the last STILL_US, for the still test
        self._near_us: int | None = None                # the last reading near the hang ...
        self._since_near: list[tuple[int, float]] = []  # ... and the readings after it
        self._readings: list[tuple[int, float]] = []    # the open squeeze's
        self._resumed_us: int | None = None             # the stream came back here mid-set
        self._cut_squeeze = False  # the last stream gap cut a squeeze under way
        # The first hang after getting on is provisional until a squeeze falls
        # from it: it may be a squeeze begun before the chest settled, held.
        self._provisional = False
        self._first: list[tuple[int, float]] = []     # the readings since getting on, meanwhile
        self.noise_mm = 0.0        # the readings' noise at the hang (successive differences)

    # -- readings -----------------------------------------------------------------
    def on_gap(self, t_us: int, gap_mm: float, loaded: bool = True,
               now: bool = True) -> list[ShrugDraft]:
        if not loaded:
            # Nobody holds the bar: whoever gets on next may hang elsewhere.
            self._forget()
            return []
        if self.hang_mm is not None and gap_mm > self.hang_mm + BELOW_HANG_MM:
            # Not the chest: a body holding the bar hangs no lower than its
            # straight arms (a stray, or a stuck run the gate took; the hands
            # opening is told by the load).
            return []
        prev, self._prev = self._prev, (t_us, gap_mm)
        self._recent.append((t_us, gap_mm))
        while self._recent[0][0] < t_us - STILL_US:
            self._recent.pop(0)
        if self.state == "squeeze":
            return self._on_squeeze(t_us, gap_mm, prev, now)
        if self.state == "cut":
            # A squeeze the stream gap cut (a sensor_dropout already) goes on:
            # it is over once the chest is back at the hang.
            low = self._confirmed(False)
            if low is not None and low >= self.hang_mm - self.back_mm:
                self.state = "rest"
                self._near(t_us)
            return []
        if self.state == "seek":
            self._keep_first(t_us, gap_mm)
            self.hang_mm = self._still_level()
            if self.hang_mm is not None:
                self.state = "rest"
                self._provisional = True
                self._near(t_us)
            return []
        if self._provisional:
            self._keep_first(t_us, gap_mm)
        # rest
        high = self._confirmed(True)
        if high is not None and self.hang_mm - high >= self.start_mm:
            resumed = self._resumed_us
            self._resumed_us = None
            self._begin(t_us, gap_mm, high, resumed)
            return []
        if prev is not None:
            self._resumed_us = None       # the first pair after a stream gap was no squeeze
        edge = min(EDGE_SHARE * self.start_mm, max(EDGE_MIN_MM, EDGE_NOISE * self.noise_mm))
        if gap_mm >= self.hang_mm - edge:
            self._near(t_us)
        else:
            self._since_near.append((t_us, gap_mm))
        level = self._still_level()
        if level is not None:
            done = []
            if self._provisional and level - self.hang_mm >= self.start_mm:
                done = self._squeezed_from_getting_on(level)
            self.hang_mm = level          # the hang moved (shoulders relaxed or packed)
            return done
        return []

    def _keep_first(self, t_us: int, gap_mm: float) -> None:
        self._first.append((t_us, gap_mm))
        while self._first[0][0] < t_us - FIRST_KEEP_US:
            self._first.pop(0)

    def on_missing(self) -> None:
        """A missed echo: it neither confirms nor breaks anything."""

    def _near(self, t_us: int) -> None:
        self._near_us = t_us
        self._since_near = []

    def _squeezed_from_getting_on(self, level: float) -> list[ShrugDraft]:
        """The provisional hang was a squeeze, held: the chest came back quickly
        to a still hang ``start_mm`` or more further from the bar. It began
        where the chest, still coming down from getting on, passed near that
        hang, and ends where it came back."""
        self._provisional = False
        t0 = self._recent[0][0]
        held = level - self.start_mm
        before = [r for r in self._first if r[0] < t0]
        back = max(PART_BACK_MM, PART_BACK_SHARE * (level - self.hang_mm))
        if not self._came_back(level - back, before):
            return []
        i = len(before)
        while i > 0 and before[i - 1][1] > held:        # the way back
            i -= 1
        j = i
        while j > 0 and before[j - 1][1] <= held:       # the squeeze
            j -= 1
        if i - j < 2 or j == 0:
            return []
        edge = min(EDGE_SHARE * self.start_mm, max(EDGE_MIN_MM, EDGE_NOISE * self.noise_mm))
        near = [r[0] for r in before[:j] if r[1] >= level - edge]
        start = near[-1] if near else before[j - 1][0]
        end = next((r[0] for r in before[i:] if r[1] >= level - self.back_mm), t0)
        rep = ShrugDraft(start, end, hang_mm=level)
        squeeze = [r for r in before if start <= r[0] <= end]
        highs = [max(a[1], b[1]) for a, b in zip(squeeze, squeeze[1:])]
        rep.fall_mm = level - min(highs) if highs else 0.0
        rep.arms_bent = rep.fall_mm >= self.bent_mm
        _measure_hold(rep, squeeze, self.noise_mm)
        self._first = []
        return [rep]

    def _begin(self, t_us: int, gap_mm: float, high_mm: float, resumed_us: int | None) -> None:
        self._provisional = False
        self._first = []
        start = self._near_us if self._near_us is not None else t_us
        if resumed_us is not None:
            start = resumed_us    # no reading saw where it began: the stream was out
        self.rep = ShrugDraft(start, hang_mm=self.hang_mm, cut=resumed_us is not None)
        self._readings = [r for r in self._since_near if r[0] >= start] + [(t_us, gap_mm)]
        self.state = "squeeze"
        self._confirm_fall(high_mm)

    def _confirmed(self, high: bool) -> float | None:
        """Where the latest readings agree the chest is: of those of the last
        CONFIRM_US (at least the last two; None with fewer), the median of
        three or more, else the higher of the two (``high``: a fall counts
        by the higher) or the lower (a return). One wrong reading, or a noisy
        time-of-flight sensor's excursion, decides nothing."""
        r = self._recent
        if len(r) < 2:            # one reading since the hang was lost or the stream came back
            return None
        t_now = r[-1][0]
        last = [g for t, g in r if t >= t_now - CONFIRM_US]
        if len(last) < 2:
            last = [r[-2][1], r[-1][1]]
        if len(last) >= 3:
            return float(np.median(last))
        return max(last) if high else min(last)

    def _confirm_fall(self, high_mm: float) -> None:
        fall = self.hang_mm - high_mm
        if fall > self.rep.fall_mm:
            self.rep.fall_mm = fall
            if fall >= self.bent_mm:
                self.rep.arms_bent = True

    def _on_squeeze(self, t_us: int, gap_mm: float, prev: tuple[int, float] | None,
                    now: bool) -> list[ShrugDraft]:
        self._readings.append((t_us, gap_mm))
        high, low = self._confirmed(True), self._confirmed(False)
        if high is None:
            return []
        self._confirm_fall(high)
        if not now:
            # The load is off the bar already: the hands opened and the body
            # drops. The release (or the load back on) decides.
            return []
        if low >= self.hang_mm - self.back_mm:
            return [self._close(max(prev[0], t_us - CONFIRM_US))]
        level = self._still_level()
        back = max(PART_BACK_MM, PART_BACK_SHARE * self.rep.fall_mm)
        if level is not None and level >= self.hang_mm - self.rep.fall_mm + back \
                and self._came_back(level - back):
            # Still again, part of the way back: the shoulders stayed a little packed.
            done = self._close(self._recent[0][0])
            self.hang_mm = level
            return [done]
        return []

    def _came_back(self, from_mm: float, readings: list[tuple[int, float]] | None = None) -> bool:
        """The chest was at ``from_mm`` or nearer the bar (two readings in a
        row) within PART_BACK_US before the still stretch began."""
        t0 = self._recent[0][0]
        readings = self._readings if readings is None else readings
        before = [g for t, g in readings if t0 - PART_BACK_US <= t < t0]
        return any(max(a, b) <= from_mm for a, b in zip(before, before[1:]))

    def _still_level(self) -> float | None:
        """The median of the last STILL_US of readings if they are still, else None."""
        r = self._recent
        if len(r) < STILL_MIN_READINGS or r[-1][0] - r[0][0] < 0.75 * STILL_US:
            return None
        t = np.array([x[0] for x in r], float) / 1e6
        g = np.array([x[1] for x in r], float)
        lo, hi = np.percentile(g, [20, 80])
        if hi - lo > STILL_SPREAD_MM:
            return None
        if abs(np.polyfit(t - t[0], g, 1)[0]) > STILL_SLOPE_MM_S:
            return None
        # The median step between readings of a still chest is 0.95 x its noise's SD.
        self.noise_mm = float(np.median(np.abs(np.diff(g)))) / 0.954
        return float(np.median(g))

    # -- closing ------------------------------------------------------------------
    def _close(self, t_end_us: int) -> ShrugDraft:
        rep, self.rep = self.rep, None
        rep.t_end_us = max(t_end_us, rep.t_start_us)
        readings = [r for r in self._readings if r[0] <= rep.t_end_us]
        self._readings = []
        self.state = "rest" if self.hang_mm is not None else "seek"
        self._near(rep.t_end_us)
        _measure_hold(rep, readings, self.noise_mm)
        return rep

    def release(self, t_below_us: int) -> list[ShrugDraft]:
        """The load went off mid-set: a squeeze under way was let go of."""
        if self.state != "squeeze":
            return []
        self.rep.released = True
        done = self._close(t_below_us)
        self._forget()
        return [done]

    def cut(self, t_last_us: int) -> list[ShrugDraft]:
        """The stream broke mid-set: a squeeze under way is a sensor_dropout."""
        done = []
        if self.state == "squeeze":
            self.rep.cut = True
            done = [self._close(t_last_us)]
            self._cut_squeeze = True
        return done

    def resume(self, t_us: int) -> None:
        """The stream came back at ``t_us`` (the athlete held on: the hang is
        kept). A squeeze already under way in the first two readings began
        in the gap: no reading saw it begin, it is a sensor_dropout."""
        self._prev = None
        self._recent = []
        self._resumed_us = t_us if self.hang_mm is not None else None
        if self._cut_squeeze:
            self._cut_squeeze = False
            self._resumed_us = None
            self.state = "cut"
        self._near_us = None
        self._since_near = []

    def stop(self, t_last_us: int) -> list[ShrugDraft]:
        """Ended on purpose (end of data, a manual end): a squeeze under way
        was cut off by that, not by the athlete: dropped."""
        if self.state in ("squeeze", "cut"):
            self.rep, self._readings = None, []
            self.state = "rest"
        return []

    def _forget(self) -> None:
        if self.state == "squeeze":
            self.rep, self._readings = None, []
        self.state, self.hang_mm, self._cut_squeeze = "seek", None, False
        self._provisional, self._first = False, []
        self._prev, self._recent = None, []
        self._near_us, self._since_near, self._resumed_us = None, [], None

    # -- force: a shrug is judged from the gap alone -------------------------------
    def on_force(self, t_us: int, force_n: float, prev: tuple[int, float] | None) -> list:
        return []

    def force_quiet_count(self, t_us: np.ndarray, force_n: np.ndarray) -> int:
        return len(t_us)


def _measure_hold(rep: ShrugDraft, readings: list[tuple[int, float]], noise_mm: float) -> None:
    """The squeeze's top (the lowest 3-reading median), the hold (first to
    last time within the hold band of it) and the held level (the median
    reading in between)."""
    if not readings:
        return
    t = np.array([r[0] for r in readings], np.int64)
    g = np.array([r[1] for r in readings], float)
    if g.size >= 3:
        smooth = np.median(np.stack([g[:-2], g[1:-1], g[2:]]), axis=0)
        t_mid = t[1:-1]
    else:
        smooth, t_mid = g, t
    top = float(smooth.min())
    band = max(HOLD_BAND_MIN_MM, HOLD_BAND_SHARE * (rep.hang_mm - top), HOLD_BAND_NOISE * noise_mm)
    # The held level: the median of the readings near the top; the hold is
    # the time within the band either side of it (a squeeze that creeps a
    # few mm while held is still held).
    level = float(np.median(smooth[smooth <= top + band]))
    inside = np.flatnonzero(np.abs(smooth - level) <= band)
    rep.t_top_in_us, rep.t_top_out_us = int(t_mid[inside[0]]), int(t_mid[inside[-1]])
    rep.hold_s = (rep.t_top_out_us - rep.t_top_in_us) / 1e6
    rep.held_mm = level
    rep.depth_mm = rep.hang_mm - level

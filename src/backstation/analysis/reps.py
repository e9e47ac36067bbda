"""Finding reps in the gap, timing them with the force.

The gap says *that* a rep happened: it falls from the bottom by at least
``min_range_mm`` (a pull), reaches its minimum (the top) and rises again.
The force says *when*: a pull starts where the total force left its rest
level (the chest starts accelerating up; onset.py dates it from a still
hang), which the gap only shows once the chest has moved several mm; the
rep ends where the chest settled (under SETTLED_MM_S) after the lowering,
found from the force's braking and the gap, or where the next pull begins,
whichever comes first.

The tracker sees only readings the motion gate accepted (gapclean.py), and
every decision it makes from the gap is confirmed by two consecutive
readings: a fall counts by the higher of the two, a rise by the lower, so a
lone wrong reading that slipped through the gate decides nothing. Only
readings taken while the bar is loaded can start a pull or set the level a
pull falls from: a coach who started the set by hand before the athlete got
on, the floor and the legs the sensor sees while the athlete walks in, or
an empty bar never make a rep.

**Straight arms** are judged against the athlete's own resting hang in this
set (levels.HangReference): the median of the last rest levels, a rest level being
the (confirmed) highest gap before each pull. A rest level that is itself
well short of that reference (the bottom of a no-lockout turn) is not
taken, so bent-arm reps do not lower the bar for the next ones; higher
ones are (a relaxed hang after a long rest). The highest gap at the very
start of the loaded readings is not a rest level when the gap was still
falling from it (the athlete got on in one motion). Until a first rest
level is known, a rep is straight when it comes back ``FIRST_REP_RETURN``
of the way to where its pull began, or to within ``LOCKOUT_TOL_MM`` of it,
and its end is looked for near where it began.

States: ``bottom`` (waiting for a pull) -> ``up`` (pull confirmed, tracking
the top and the way back) -> ``locked`` (the arms are straight again;
waiting for the force to settle to close the rep) -> ``bottom``. From
``up``, a second fall of ``min_range_mm`` before reaching straight closes
the rep as ``no_lockout`` at the turning point and opens the next one; a
release (the load off mid-rep) goes to ``let_go``, where the gap tells a
hand that let go (the body drops: ``bar_released``) from an athlete
standing up out of the rep (no rep).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import (
    END_TIMEOUT_S, LOCKOUT_TOL_MM, ONSET_WINDOW_S, AnalysisConfig, onset_margin_n,
)
from ..defaults import DEFAULT_CONTACT_MM, SETTLED_MM_S
from ..units import G_MS2
from .history import History
from .levels import HangReference, RecentHigh
from .onset import quiet_onset

FIRST_REP_SETTLE_S = 1.0   # the first pull's rest level is looked for this long after the load came on
FIRST_REP_RETURN = 0.85    # with no rest level yet: straight = back this share of the way
TURN_WINDOW_US = 40_000    # the rep's end is looked for this close to the turn at the bottom
ARRIVAL_SLACK_US = 60_000
BEYOND_HANG_MM = 60.0            # further than this past the resting hang: the body is dropping
RELEASE_DROP_MM = 100.0          # let go mid-rep: the gap rises this much ...
RELEASE_STILL_MM = 20.0          # ... not after the chest stayed within this of where it was ...
RELEASE_STILL_US = 120_000       # ... for this long after the load went off (stood up, then walked away)
RELEASE_WATCH_US = 300_000       # ... within this long after the load went under: a body falls at once;
                                 # an athlete who stood up stays, then walks away
LONE_DIP_MM = 60.0               # ... measured from no lone reading this much nearer than both neighbours
SHORT_PULL_US = 1_500_000        # a pull let go of this soon after the gap left the bottom is a rep
PAIR_AFTER_US = 100_000          # a reading this soon after the load went off confirms the one before
ONSET_LOOKBACK_US = 800_000      # a pull's force rise is looked for this long before the gap left
REST_SKIP_US = 300_000           # the rest level skips this much of the hang's start (settling) ...
REST_BEFORE_LEAVE_US = 400_000   # ... and the last of it before the gap left (the pull's push)
REST_MIN_US = 1_000_000          # ... and needs a hang this long, else the lowest force is taken
RESUME_MOVE_MM = 10.0      # after a stream gap, the first two readings closing in this much (and
                           # above the hang): a pull began in the gap, if it shows within
RESUME_PULL_US = 1_500_000   # this long
RESUME_LOWERED_MM = 50.0   # a rep the gap cut this far down from its top was being lowered
SETTLING_FALL_MM = 15.0    # getting on: the gap still falls by this (more than a reading's noise) ...
SETTLING_STILL_US = 400_000  # ... within this, or the athlete has settled under the bar
SETTLING_REACH_MM = 50.0   # getting on never brings the chest this close to the contact threshold
LOAD_STILL_US = 250_000    # after getting on, a rest level needs the load to have held still this long ...
LOAD_STILL_SHARE = 0.08    # ... within this share of itself ...
LOAD_HANG_SHARE = 0.85     # ... at this share of the force about the high, or more
LOAD_LOOKBACK_US = 10_000_000  # ... in the last 10 s
STILL_FORCE_BEFORE_US = 300_000  # a pull's force is looked for from this long before its high ...
STILL_FORCE_SHARE = 0.25   # ... and must change at least this share of what its rise needs
END_BAND_MM = 40.0         # after lockout the rep's end is looked for this close to the hang
ARRIVE_FIT_US = 300_000    # after lockout the chest has arrived when a line through the readings
                           # over this long rises under SETTLED_MM_S; with too few readings, ...
STRAY_FIT_MM = 25.0        # (a reading this far off the robust line is a stray)
ARRIVE_MM = 10.0           # ... when it rose less than this ...
ARRIVE_US = 150_000        # ... over this long
FORCE_SETTLE_US = 100_000  # after lockout the force has settled when still this long under the threshold
FORCE_STILL_US = 250_000   # ... or, over it, within half the onset margin this long
LEAVE_MM = 30.0            # the gap has clearly left its high this far below it
LOWERING_LOOK_US = 1_500_000   # the lowering's fastest moment is looked for this long before lockout
SPEED_FIT_US = 100_000     # ... and its speed fitted to the readings this close to it
STOPPED_MM = 5.0           # ... and the chest came down no more than this after it settled
BOTTOM_MEDIAN = 5          # the chest arrived at the bottom: a running median of this many readings ...
BOTTOM_BAND_MM = 15.0      # ... within this of its highest


def push_index(force: np.ndarray) -> int:
    """Where a pull pushed hardest in the force from before its start up to
    where its gap left the hang: the highest force after the force first
    came down to the stretch's median. Before that the stretch may begin in
    the braking of the lowering before, which can be higher than a slow
    pull's push by the time the gap leaves (both within a margin of rest)."""
    settled = int(np.argmax(force <= np.median(force)))
    return settled + int(np.argmax(force[settled:]))


@dataclass
class RepDraft:
    t_start_us: int
    t_end_us: int = 0
    base_n: float = 0.0
    lockout: bool = False
    released: bool = False
    cut: bool = False          # the data stopped mid-rep


def line_slope(t_us, values) -> float | None:
    """Slope (per second) of the line through readings at ``t_us``: least
    squares over the readings within STRAY_FIT_MM of Siegel's repeated
    median line (for each reading the median of its slopes to the others,
    then the median of those), so that up to half the readings may be
    strays the gate let through without tilting it (a plain least-squares
    line, or the median of all pairwise slopes, breaks with one stray in
    four), while the rest are weighed as least squares does (a repeated
    median alone scatters more on a noisy time-of-flight sensor); None
    when the readings share one time."""
    t = np.asarray(t_us, float) / 1e6
    v = np.asarray(values, float)
    dt = t[None, :] - t[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        slopes = np.where(dt != 0, (v[None, :] - v[:, None]) / np.where(dt != 0, dt, 1.0), np.nan)
    own = [np.median(row[np.isfinite(row)]) for row in slopes if np.isfinite(row).any()]
    if not own:
        return None
    slope = float(np.median(own))
    level = float(np.median(v - slope * t))
    keep = np.abs(v - slope * t - level) <= STRAY_FIT_MM
    if keep.sum() >= 2 and np.ptp(t[keep]) > 0:
        slope = float(np.polyfit(t[keep] - t[keep][0], v[keep], 1)[0])
    return slope


class RepTracker:
    def __init__(self, min_range_mm: float, forces: History, set_start_us: int,
                 settle: bool = True, contact_mm: float = DEFAULT_CONTACT_MM,
                 load_threshold_n: float = AnalysisConfig.load_threshold_n):
        self.min_range_mm = min_range_mm
        self.load_threshold_n = load_threshold_n
        self._reach_mm = contact_mm + SETTLING_REACH_MM
        self.forces = forces
        self.state = "bottom"
        self._hang = HangReference()
        self._settle = settle
        self._lo_us = set_start_us
        self._quiet_from_us = set_start_us     # a pull's rest is looked for from here
        self._loaded_readings = 0              # loaded readings since the set (or a stream gap) began
        self._got_on_us = 0                    # the first loaded reading after getting on
        self._prev_mm: float | None = None     # the previous reading, for two-reading confirmation
        self._prev_t_us = 0
        self._missed = False                   # no reading since the previous one
        self._let_go_t_us = 0                  # a release mid-rep: when, and the gap then
        self._off_us = 0                       # ... when the force crossed the load line
        self._let_go_from_mm: float | None = None
        self._past_hang = False                # the open rep's gap went past the hang
        self._prev_before_mm = 0.0
        self._since_lock: list[tuple[int, float]] = []   # readings since the lockout
        self._settled_t_us: int | None = None  # after lockout: the force is back at rest, still
        self._braked_t_us: int | None = None   # ... first back under the threshold (the lowering braked)
        self._arrived_t_us: int | None = None  # ... the chest stopped coming down
        self._arrive_speed: tuple[int, float] | None = None  # ... its last fitted speed, and when
        self._near_rest = False                # ... the chest is near its hang: an end is looked for
        self._after_miss = False               # ... before the current one
        self._high = RecentHigh()
        self._high_at_start = False            # the high is one of the first loaded readings
        self._fall_mm, self._fall_t_us = 0.0, 0  # ... and where its fall last went SETTLING_FALL_MM lower
        self._pause: tuple[float, int, int] | None = None  # ... and where it went slowest: mm, t, wait
        self._high_from_pause = False          # the high is that pause (no rest level)
        self._settling_since_resume_us: int | None = None   # closing in ever since a stream gap
        self._since_resume_low_mm = float("inf")               # ... the closest reading since
        self._since_resume_step: tuple[float, int] = (float("inf"), 0)  # ... where it last closed in 15 mm
        self._before_gap_mm: float | None = None  # the settled high before it (no hang known yet)
        self._pull_from_mm = 0.0               # the high the open rep's pull fell from
        self.rep: RepDraft | None = None
        self._top_mm = self._peak_mm = 0.0
        self._top_t_us = 0           # ... and when the gap was there
        self._back_mm = 0.0          # highest gap since the top
        self._back_t_us = 0
        self._lock_t_us = 0
        self._end_threshold_n = 0.0  # the open rep's end settles under this (its hang's rest + margin)
        self._hang_threshold_n: float | None = None   # the last rep begun from a hang: its threshold
        self._near_high = True
        self._leave_t_us: int | None = None   # first reading clearly below the high
        self._phase_gaps: list[tuple[int, float]] = []
        self._resumed_us: int | None = None    # the stream came back here: is a pull under way?
        self._mid_pull_us: int | None = None   # ... yes: the next rep began in the gap, by then
        self._cut_mid_rep = False              # the last stream gap cut a rep under way
        self._cut_back_mm: float | None = None  # ... on its way down, this far from the bar
        # the gap's last leaving of the bottom: (high mm, high's time, left at, back at or None)
        self._short: tuple[float, int, int, int | None] | None = None

    def _bottom_arrival(self, from_us: int, until_us: int) -> int | None:
        """Where the chest arrived at the bottom it pulls from: the gap's
        running median of BOTTOM_MEDIAN readings came within BOTTOM_BAND_MM
        of its highest before ``until_us``, for the last time before that
        highest (the pull's own start falls from it later). Before it the
        chest was still coming down (a lowering, shoulders relaxing after
        the lockout), and the force's changes then are no pull's."""
        pts = [(t, g) for t, g in self._phase_gaps if from_us <= t < until_us]
        if len(pts) < BOTTOM_MEDIAN:
            return None
        t = np.array([p[0] for p in pts])
        med = np.median(np.lib.stride_tricks.sliding_window_view(
            np.array([p[1] for p in pts], float), BOTTOM_MEDIAN), axis=1)
        top = int(np.argmax(med))
        below = np.flatnonzero(med[:top] < med[top] - BOTTOM_BAND_MM)
        first = int(below[-1]) + 1 if below.size else 0
        return int(t[first + BOTTOM_MEDIAN // 2])

    def _near_run_start(self, high_mm: float, until_us: int) -> int | None:
        """Start of the last unbroken run of readings near the high before
        ``until_us``: where the chest arrived at the bottom. The pull's rest
        level is looked for only after it (not in the lowering before it,
        where the force dips under rest)."""
        start = None
        for t, g in reversed(self._phase_gaps):
            if t >= until_us:
                continue
            if g < high_mm - LEAVE_MM:
                break
            start = t
        return start

    def _track_leave(self, t_us: int, gap_mm: float, high_mm: float, level_mm: float) -> None:
        """A pull's start is looked for before the gap clearly left its high
        (``level_mm``): later in the pull the force passes through its rest
        level again (zero acceleration mid-pull), which must not be taken for
        the start. One reading below marks the leaving (a fast rep leaves in
        two), two in a row near the level (``high_mm``) the coming back, so
        one wrong high reading mid-pull does not move the mark."""
        if high_mm >= level_mm - LEAVE_MM:
            if not self._near_high and self._short is not None and self._short[3] is None:
                self._short = self._short[:3] + (t_us,)
            self._near_high = True
        elif self._near_high and gap_mm < level_mm - LEAVE_MM:
            self._near_high, self._leave_t_us = False, t_us
        if self.state == "bottom" and not self._near_high and not self._high_at_start \
                and self._leave_t_us is not None and self._prev_before_mm is not None \
                and max(gap_mm, self._prev_before_mm) < level_mm - LEAVE_MM \
                and (self._short is None or self._short[2] != self._leave_t_us):
            # left, and two readings in a row say so: a pull under way
            # (``release`` may find it let go of before the minimum range)
            self._short = (level_mm, self._high.t_us, self._leave_t_us, None)

    @property
    def reference_mm(self) -> float | None:
        """The athlete's straight-arm hang in this set (levels.HangReference)."""
        return self._hang.mm

    def _end_level_mm(self) -> float:
        """Where the open rep's lowering ends: the straight-arm hang, or
        before one is known, where its pull began."""
        ref = self.reference_mm
        return ref if ref is not None else self._pull_from_mm

    # -- gap -----------------------------------------------------------------
    def on_gap(self, t_us: int, gap_mm: float, loaded: bool = True,
               loaded_now: bool = True) -> list[RepDraft]:
        """One reading the motion gate accepted; ``loaded``: the athlete holds
        the bar (see SetSegmenter.holding); ``loaded_now``: the force is over
        the load threshold at this very reading."""
        if self.state == "up" and not loaded_now:
            # The hands are coming off: what the gap does now is no pull, but
            # it tells a body let go from one that stood up (``release``).
            self._phase_gaps.append((t_us, gap_mm))
            return []
        if self.state == "let_go":
            self._prev_mm, self._prev_t_us = gap_mm, t_us
            return self._on_gap_let_go(t_us, gap_mm)
        prev, self._prev_mm = self._prev_mm, gap_mm
        self._prev_before_mm = prev
        self._after_miss, self._missed = self._missed, False
        prev_t, self._prev_t_us = self._prev_t_us, t_us
        self._phase_gaps.append((t_us, gap_mm))
        if len(self._phase_gaps) > 400:
            del self._phase_gaps[:200]
        if prev is None:
            return []
        low = max(gap_mm, prev)      # both readings are at or under it
        high = min(gap_mm, prev)     # both readings are at or over it
        t_top = t_us if gap_mm >= prev else prev_t     # the higher of the two, nearer a turn
        done: list[RepDraft] = []
        if self.state == "up":
            done += self._on_gap_up(t_us, gap_mm, prev_t, t_top, low, high)
        elif self.state == "locked":
            if not loaded_now and self._braked_t_us is not None:
                # Let go after the rep (getting off, a regrip): the chest moves
                # with the body now, not the rep; it ended where the force
                # settled, or where it came back to rest if it had no time to.
                done.append(self._close(self._settled_t_us or self._braked_t_us))
            else:
                done += self._on_gap_locked(t_us, gap_mm)
        if self.state == "up" or done:
            pass
        elif not loaded:
            if self._loaded_readings:       # let go (a regrip): getting on again follows
                self._loaded_readings, self._settle = 0, True
                self._high.set(None, 0)
        else:
            self._loaded_readings += 1
            if self._loaded_readings == 1:
                self._pause = None
                self._got_on_us = t_us if self._settle else 0
                if self._settle:
                    self._lo_us = max(self._lo_us, t_us + int(FIRST_REP_SETTLE_S * 1e6) - 100_000)
                self._quiet_from_us = max(self._quiet_from_us, t_us)
            if self._high_at_start and self._still_since_fall(t_us):
                self._high_at_start = False     # no fall worth the name for a while: settled
            if self._high_at_start and self._high.mm is not None and (
                    high < self._high.mm or (self._pause is not None and low <= self._reach_mm)):
                # Still settling from getting on (the gap falls from where the
                # load came on): that fall is not a pull; the high follows it.
                # (Two readings at the bar end it, however the first got there.)
                if high <= self._fall_mm - SETTLING_FALL_MM:
                    # (a sensor repeating itself meanwhile showed no pause)
                    wait = 0 if self._stuck_since_fall(t_us) else t_us - self._fall_t_us
                    if self._pause is None or wait > self._pause[2]:
                        self._pause = (high, t_us, wait)    # where the fall picked up again
                    self._fall_mm, self._fall_t_us = high, t_us
                self._high.set(high, t_top)
                if self._pause is not None and low <= self._reach_mm \
                        and low <= self._pause[0] - self.min_range_mm:
                    # Getting on never brings the chest to the bar: the athlete
                    # pulled straight out of it, from where the fall went slowest.
                    self._high.set(self._pause[0], self._pause[1])
                    self._high_at_start, self._pause, self._high_from_pause = False, None, True
            elif self._high.push(high, t_top, t_us):
                # a new high among the first readings, or within a reading's
                # noise of a fall still under way: still getting on
                still_falling = self._high_at_start and high <= self._fall_mm + SETTLING_FALL_MM \
                    and not self._still_since_fall(t_us)
                if not still_falling:
                    self._fall_mm, self._fall_t_us = high, t_us
                self._high_at_start = self._loaded_readings <= 2 or still_falling
            self._track_leave(t_us, gap_mm, high, self._high.mm)
        if self._resumed_us is not None:     # the first two readings after a stream gap
            ref = self.reference_mm if self.reference_mm is not None else self._before_gap_mm
            if self.state == "bottom" and loaded and ref is not None and (
                    (gap_mm < prev - RESUME_MOVE_MM and gap_mm < ref)
                    or (max(gap_mm, prev) <= ref - self.min_range_mm and (
                        not self._cut_mid_rep or (self._cut_back_mm is not None
                                                  and max(gap_mm, prev) <= self._cut_back_mm - RESUME_MOVE_MM)))):
                # The stream came back with the chest closing in on the bar,
                # above the hang, or already a pull's range above it: a pull
                # began in the gap. It falls from the hang (no getting on to
                # follow), and no reading saw its start. A rep the gap cut is
                # that chest's, unless it was being lowered and the chest is
                # now nearer the bar than where the gap cut it: it turned and
                # pulled again in the gap.
                self._high.set(ref, self._resumed_us)
                self._high_at_start, self._mid_pull_us = False, self._resumed_us
            self._resumed_us = None
        if self._settling_since_resume_us is not None:
            ref = self.reference_mm if self.reference_mm is not None else self._before_gap_mm
            self._since_resume_low_mm = min(self._since_resume_low_mm, low)
            if low <= self._since_resume_step[0] - SETTLING_FALL_MM:
                self._since_resume_step = (low, t_us)
            if ref is None or high >= ref - LEAVE_MM or high >= self._since_resume_low_mm + LEAVE_MM \
                    or t_us - self._since_resume_step[1] >= SETTLING_STILL_US:
                # at the hang, on the way down, or still (a hang of its own)
                # since the stream came back: no pull was under way
                self._settling_since_resume_us = None
        if self.state != "up" and loaded and self._high.mm is not None \
                and low <= self._high.mm - self.min_range_mm \
                and self._force_still(self._high.t_us, self._high.mm, t_us, low):
            self._high.set(high, t_top)     # the high starts again from the chest
        if self.state != "up" and loaded and self._high.mm is not None \
                and low <= self._high.mm - self.min_range_mm:
            if not (self._high_at_start or self._high_from_pause) and self._loaded_hang(t_us):
                self._hang.take(self._high.mm)
                self._got_on_us = 0
            self._high_from_pause = False
            if self.state == "locked":
                if self._braked_t_us is not None and self._arrived_t_us is not None:
                    # braked and arrived, with no time to settle before this pull
                    done.append(self._close(max(self._braked_t_us, self._arrived_t_us)))
                else:
                    # Up to where the gap left the bottom: by the time the pull is
                    # confirmed the force may already be past its mid-pull dip.
                    done.append(self._close_at_turn(t_us))
            self._pull_from_mm = self._high.mm
            above_since = self._settling_since_resume_us
            self._begin(t_us, low, max(self._lo_us, self._high.t_us - int(ONSET_WINDOW_S * 1e6)))
            if self._mid_pull_us is not None and t_us - self._mid_pull_us <= RESUME_PULL_US:
                # begun in the stream gap: a dropout
                self.rep.t_start_us, self.rep.cut = self._mid_pull_us, True
            elif above_since is not None:
                # never back at the hang since the stream came back above it:
                # the pull was under way in the gap
                self.rep.t_start_us, self.rep.cut = above_since, True
        self._mid_pull_us = None if self.state == "up" or not loaded else self._mid_pull_us
        return done

    def _force_still(self, t0: int, high_mm: float, t_us: int, low_mm: float) -> bool:
        """The gap fell a pull's range from ``high_mm`` (at ``t0``), but the force did not
        move as that needs: a chest that rose that far in that time was
        accelerated at least 2·rise/time², which the bar feels (the force is
        the body's weight plus its acceleration). A force that stayed within
        STILL_FORCE_SHARE of that change, and within a pull's onset margin of
        its level, says the readings were not the chest (strays the gate let
        through); a slow pull's small change is in proportion to its slow
        rise, and a fast one's readings may lag (an echo held), so only a
        force that barely moved rules a pull out."""
        if self._mid_pull_us is not None:   # (bottom state) the high is where a stream gap ended: no time to go by
            return False
        t, force = self.forces.column("total_n", t0 - STILL_FORCE_BEFORE_US, t_us)
        if force.size < 2:
            return False
        rest_n = float(np.median(force))
        rise_m, dt_s = (high_mm - low_mm) / 1000, max(t_us - t0, 1000) / 1e6
        needed_n = rest_n * (2 * rise_m / dt_s ** 2) / G_MS2
        return float(force.max() - force.min()) < min(STILL_FORCE_SHARE * needed_n,
                                                      onset_margin_n(rest_n))

    def _still_since_fall(self, t_us: int) -> bool:
        """Getting on: the gap has not fallen by SETTLING_FALL_MM for
        SETTLING_STILL_US, and the sensor was not repeating itself meanwhile."""
        return t_us - self._fall_t_us >= SETTLING_STILL_US and not self._stuck_since_fall(t_us)

    def _stuck_since_fall(self, t_us: int) -> bool:
        """The readings since the fall last went on (two or more, before
        ``t_us``) were all one value: a sensor repeating itself, which shows
        no chest at all, still or not (a still chest's readings differ by
        their noise)."""
        values = [g for t, g in self._phase_gaps if self._fall_t_us < t < t_us]
        return len(values) >= 2 and len(set(values)) == 1

    def _loaded_hang(self, t_us: int) -> bool:
        """Is the high a pull falls from (at ``t_us``, the pull confirmed) a
        rest level? After getting on, only once the load has held still at
        the hang's level (for LOAD_STILL_US within LOAD_STILL_SHARE, at
        least LOAD_HANG_SHARE of the force about the high) since it came on:
        a chest held still while the weight still comes off the feet is not
        yet hanging (its level is not the straight-arm one), and the pull
        may begin before the load ever settles."""
        if not self._got_on_us:
            return True
        t_high = self._high.t_us
        _, near = self.forces.column("total_n", t_high - LOAD_STILL_US, t_high + LOAD_STILL_US // 2)
        t, force = self.forces.column("total_n", max(self._got_on_us, t_us - LOAD_LOOKBACK_US), t_us)
        if near.size == 0 or t.size < 2:
            return True
        level = float(np.median(near))
        ends = np.searchsorted(t, t + LOAD_STILL_US, side="right")
        starts = np.nonzero((ends < t.size) & (ends - np.arange(t.size) >= 2))[0]
        if starts.size == 0:
            return False
        bounds = np.column_stack([starts, ends[starts]]).ravel()
        high = np.maximum.reduceat(force, bounds)[::2]
        low = np.minimum.reduceat(force, bounds)[::2]
        mean = np.add.reduceat(force, bounds)[::2] / (ends[starts] - starts)
        return bool(np.any((high - low <= LOAD_STILL_SHARE * mean) & (mean >= LOAD_HANG_SHARE * level)))

    def _straight(self, high_mm: float) -> bool:
        ref = self.reference_mm
        if ref is not None:
            return high_mm >= ref - LOCKOUT_TOL_MM
        return high_mm >= min(self._top_mm + FIRST_REP_RETURN * (self._pull_from_mm - self._top_mm),
                              self._pull_from_mm - LOCKOUT_TOL_MM)

    def on_missing(self) -> None:
        """No reading of the chest this time (a missed echo, or one the gate
        set aside). A reading next to one has no neighbour to confirm it,
        nor one to contradict it: such a reading alone may show a fast turn
        back to straight arms (see ``_on_gap_up``)."""
        if self.state == "up" and self._prev_mm is not None:
            self._peak_mm = max(self._peak_mm, self._prev_mm)
        self._missed = True

    def _on_gap_up(self, t_us: int, gap_mm: float, prev_t: int, t_top: int, low: float,
                   high: float) -> list[RepDraft]:
        if self._turned(low) and low < self._top_mm \
                and not self._force_still(self._back_t_us, self._back_mm, t_us, low):
            return self._close_turn(t_us, low)
        if low < self._top_mm:
            self._top_mm, self._back_mm, self._back_t_us = low, low, t_us
            self._top_t_us = t_us
            self._peak_mm = low
            return []
        if self._after_miss:
            self._peak_mm = max(self._peak_mm, gap_mm)
        if high > self._back_mm:
            self._back_mm, self._back_t_us = high, t_top
        self._track_leave(t_us, gap_mm, high, self._back_mm)
        ref = self.reference_mm
        if ref is not None and gap_mm > ref + BEYOND_HANG_MM:
            # Further from the bar than a straight-arm hang: the hands are
            # letting go and the body drops (the release follows).
            self._past_hang = True
            return []
        if self._straight(high):
            self.rep.lockout = True
            self.state, self._lock_t_us = "locked", prev_t     # straight from the first of the two
            self._since_lock = [(prev_t, self._prev_before_mm), (t_us, gap_mm)]
            self._settled_t_us = self._arrived_t_us = self._braked_t_us = None
            self._arrive_speed = None
            self._near_rest = high >= self._end_level_mm() - END_BAND_MM
            self._high.set(high, t_top)
            self._high_at_start = False
            self._near_high, self._leave_t_us = True, None
            return []
        if self._turned(low):
            return self._close_turn(t_us, low)
        return []

    def _turned(self, low: float) -> bool:
        """Since the top the gap came back a pull's range and has now fallen
        a pull's range again (two readings): the next pull. These readings
        may be nearer the bar than the top was (a sensor that repeated itself
        or missed echoes on the way up shows no reading between); then the
        force must have moved as such a pull needs (``_force_still``), or
        they are wrong readings the gate let through, and a new top."""
        return self._back_mm >= self._top_mm + self.min_range_mm \
            and low <= self._back_mm - self.min_range_mm

    def _close_turn(self, t_us: int, low: float) -> list[RepDraft]:
        """Pulling again before two readings at straight. A turn so fast
        that a missed echo left one reading of it (a touch-and-go rep at
        20 Hz) still counts if that reading, beside the missed echo, was at
        straight: nothing contradicts it."""
        self.rep.lockout = self._straight(self._peak_mm)
        rep = self._close(self._settled_after_turn(t_us))
        self._pull_from_mm = self._back_mm
        self._begin(t_us, low, rep.t_end_us, from_bent=not rep.lockout)
        return [rep]

    def resume(self, t_us: int) -> None:
        """The stream came back after a gap with the set still on: the
        readings before the gap vouch for nothing after it, but the athlete
        and their straight-arm hang are the same."""
        self._prev_mm, self._missed = None, False
        self._before_gap_mm = self._high.mm if not self._high_at_start else None
        self._high.set(None, 0)
        self._high_at_start, self._pause = False, None
        self._settling_since_resume_us, self._since_resume_low_mm = t_us, float("inf")
        self._since_resume_step = (float("inf"), t_us)
        self._loaded_readings = 0
        self._settle = False
        self._lo_us = self._quiet_from_us = t_us
        self._phase_gaps.clear()
        self._near_high, self._leave_t_us, self._short = True, None, None
        self._resumed_us = t_us

    def _begin(self, t_confirm_us: int, gap_mm: float, lo_us: int, from_bent: bool = False) -> None:
        """A pull confirmed at ``t_confirm_us``: the rep starts where the force
        rose from its rest level: from a still hang, at the force's change
        point (onset.quiet_onset), looked for from where the chest arrived at
        the bottom; else where it crossed the rest level's threshold
        (``_onset_index``). ``from_bent``: it began at a no-lockout turn (the
        arms bent)."""
        # begun in a stream gap: the force before it is not the hang's either
        in_gap = self._mid_pull_us is not None or self._settling_since_resume_us is not None
        self._settling_since_resume_us = None
        scan_to = t_confirm_us
        if self._leave_t_us is not None and lo_us <= self._leave_t_us <= t_confirm_us:
            scan_to = self._leave_t_us
        high = self._back_mm if self.state == "up" else self._high.mm
        arrived = self._near_run_start(high, scan_to)
        quiet_lo = max(self._quiet_from_us, scan_to - int(ONSET_WINDOW_S * 1e6))
        if arrived is not None:   # one reading's slack: the turn may precede it
            lo_us = max(lo_us, arrived - ARRIVAL_SLACK_US)
        bottom = self._bottom_arrival(quiet_lo, scan_to)
        if bottom is not None:
            quiet_lo = max(quiet_lo, bottom - ARRIVAL_SLACK_US)
        t, cols = self.forces.window(lo_us, scan_to)
        force = cols["total_n"]
        if force.size == 0:
            start, base = lo_us, 0.0
        else:
            # Only up to the pull's push (its force peak): later, past
            # mid-pull, the force passes its rest level again.
            peak = push_index(force)
            t, force = t[: peak + 1], force[: peak + 1]
            base = float(force.min())
            # A hang long enough to show its level: the rest is its median, not
            # its lowest sample (the body may still settle as the chest arrives,
            # the force creeping up to rest), so the threshold clears the noise
            # of the hang and the start is where the pull leaves it.
            hang = force[(t >= t[0] + REST_SKIP_US) & (t <= scan_to - REST_BEFORE_LEAVE_US)]
            if hang.size and t[-1] - t[0] >= REST_MIN_US:
                base = float(np.median(hang))
            threshold = base + onset_margin_n(base)
            i = self._onset_index(t, force, threshold, scan_to)
            start = int(t[i])
            if i + 1 < force.size and force[i + 1] > force[i] and force[i] <= threshold:
                # where the rise crossed the threshold (never outside the two samples)
                frac = min(1.0, (threshold - force[i]) / (force[i + 1] - force[i]))
                start = int(round(t[i] + frac * (t[i + 1] - t[i])))
            # From a still hang: the force's change point (onset.py). The end
            # threshold keeps the rest above, which the end rules were measured
            # with (a rep begun from a turn has no still hang to take one from).
            tq, qcols = self.forces.window(quiet_lo, int(t[-1]) + 1)
            pts = [(tg, g) for tg, g in self._phase_gaps if tq.size and tg >= tq[0]]
            gaps = (np.array([p[0] for p in pts]), np.array([p[1] for p in pts], float))
            quiet = quiet_onset(tq, qcols["total_n"], onset_margin_n(base), gaps)
            if quiet is not None:
                start = quiet[0]
            self._end_threshold_n = threshold
            # A rep begun from a no-lockout turn ends at the hang, where the bar
            # carries another share of the body than with the arms bent (the
            # body pivots at the heels): it settles under the hang's threshold.
            # So does one begun in a stream gap (its force seen mid-pull).
            if not (from_bent or in_gap):
                self._hang_threshold_n = threshold
            elif self._hang_threshold_n is not None:
                self._end_threshold_n = self._hang_threshold_n
        self.rep = RepDraft(start, base_n=base)
        self.state = "up"
        self._short = None
        self._past_hang = False
        self._near_high, self._leave_t_us = True, None
        self._top_mm = self._back_mm = self._peak_mm = gap_mm
        self._top_t_us = t_confirm_us
        self._back_t_us = t_confirm_us

    @staticmethod
    def _onset_index(t: np.ndarray, force: np.ndarray, threshold: float, leave_us: int) -> int:
        """The last sample at rest before the pull: in the ONSET_LOOKBACK_US
        before the gap left the bottom, from the first sample at rest (past
        the braking of the lowering before), where the force first rose over
        ``threshold`` (a pull may push twice: a first surge, a slow rise, a
        second surge; it began with the first); if the force never was at
        rest in that stretch (a slow pull began before it), where it last
        rose over before it."""
        above = force > threshold
        w0 = int(np.searchsorted(t, leave_us - ONSET_LOOKBACK_US))
        at_rest = np.nonzero(~above[w0:])[0]
        if at_rest.size:               # first at rest in the stretch (after any braking) ...
            r = w0 + int(at_rest[0])
            rises = np.nonzero(above[r + 1:] & ~above[r:-1])[0]
            if rises.size:             # ... then the first rise from there
                return r + int(rises[0])
        below = np.nonzero(~above[:max(w0, 1)])[0]
        return int(below[-1]) if below.size else 0

    # -- force ---------------------------------------------------------------
    def on_force(self, t_us: int, force_n: float, prev: tuple[int, float] | None) -> list[RepDraft]:
        if self.state != "locked" or t_us <= self._lock_t_us:
            return []
        left = self._leave_t_us is not None and self._leave_t_us > self._lock_t_us
        if left:     # the next pull is under way: its mid-pull dip is not our end
            if t_us - self._lock_t_us > END_TIMEOUT_S * 1e6:
                return [self._close_at_turn(t_us)]
            return []
        thr = self._end_threshold_n
        if self._settled_t_us is None and self._near_rest and force_n > thr:
            end = self._settled_off_level(t_us)
            if end is not None:
                self._settled_t_us = end
                if self._braked_t_us is None:
                    self._braked_t_us = end
                if self._arrived_t_us is not None:
                    return [self._close(max(self._chest_settled(end), self._arrived_t_us))]
                return []
        if self._settled_t_us is None and self._near_rest and force_n <= thr:
            if self._braked_t_us is None:
                braked = t_us
                if prev is not None and prev[1] > thr and prev[0] >= self._lock_t_us:
                    frac = (prev[1] - thr) / (prev[1] - force_n)
                    braked = int(round(prev[0] + frac * (t_us - prev[0])))
                self._braked_t_us = braked
            end = self._force_settled(t_us)
            if end is not None:
                self._settled_t_us = end
                if self._arrived_t_us is not None:
                    return [self._close(max(self._chest_settled(end), self._arrived_t_us))]
                return []
        if t_us - self._lock_t_us > END_TIMEOUT_S * 1e6:
            if self._braked_t_us is not None:      # still creeping down, or swinging: it settled
                end = self._settled_t_us or self._braked_t_us
                if self._arrived_t_us is not None:   # the force swung on after the chest arrived
                    end = max(end, self._arrived_t_us)
                return [self._close(end)]
            return [self._close_at_force_min(self._lock_t_us, t_us)]
        return []

    def _force_settled(self, t_us: int) -> int | None:
        """After lockout, with the force at ``t_us`` back under the pull's
        threshold: where it settled, if it has - held under the threshold
        and still (within the onset margin) for FORCE_SETTLE_US, as a chest
        that came to rest does (a body still bouncing on the arm stop swings
        the force through it). The settle is where it last came down through
        the threshold (interpolated), or the still stretch's start if later."""
        t, force = self.forces.column("total_n", self._lock_t_us, t_us)
        thr = self._end_threshold_n
        # held from the last sample at or before FORCE_SETTLE_US back: at 10 SPS the
        # window itself holds a single sample when the period is a little over 100 ms
        first = max(0, int(np.searchsorted(t, t_us - FORCE_SETTLE_US, side="right")) - 1)
        w = force[first:]
        if w.size < 2 or w.max() > thr or w.max() - w.min() > onset_margin_n(self.rep.base_n):
            return None
        above = np.nonzero(force > thr)[0]
        if not above.size:
            crossed = int(t[0])
        else:
            k = int(above[-1])
            frac = (force[k] - thr) / (force[k] - force[k + 1])
            crossed = int(round(t[k] + frac * (t[k + 1] - t[k])))
        return max(crossed, int(t[first]))

    def _settled_off_level(self, t_us: int) -> int | None:
        """After lockout, the force over the end threshold: it settled there
        if it has been still (within half the onset margin) for
        FORCE_STILL_US, at least that margin under its highest since lockout
        (the braking is over) and within it of its least since that highest
        (not rising into a pull). A slow lowering changes the force by more than that
        over FORCE_STILL_US, so it is not taken for a settle. The bar
        carries a different share of the body at a different hang (a
        relaxed or packed one, shoulders that sag after a long hang: the
        body pivots at the heels)."""
        t, force = self.forces.column("total_n", self._lock_t_us, t_us)
        recent = t >= t_us - FORCE_STILL_US
        if recent.all() or not recent.any():
            return None
        w = force[recent]
        margin = onset_margin_n(self.rep.base_n)
        peak = int(np.argmax(force))
        if w.size < 2 or w.max() - w.min() > margin / 2 or float(force[peak]) - w.max() < margin \
                or w.max() > float(force[peak:].min()) + margin:     # rising again: a pull
            return None
        return int(t[recent][0])

    def _chest_settled(self, t_force_us: int, from_us: int | None = None,
                       level: float | None = None) -> int:
        """Where the chest settled (under SETTLED_MM_S) at the end of a
        lowering whose force settled at ``t_force_us``. The bar's force over
        its settled level is what decelerates the chest (momentum = the
        integral of the force over rest), so the chest's speed at any moment
        of the braking is its fastest speed times the share of the braking's
        impulse still to come. The fastest moment is where the force rose
        through its settled level (no acceleration), its speed the gap's
        slope there. The force settles only when the braking is over, after
        the chest's last slow millimetres; the chest has settled before.
        The lowering is looked for from ``from_us`` (the top of a rep that
        came back short of straight), else from the top, at most
        LOWERING_LOOK_US before lockout; the settled ``level`` is what the force was seen at after
        ``t_force_us``, unless given (the next pull followed at once)."""
        if from_us is None:
            from_us = max(self._top_t_us, self._lock_t_us - LOWERING_LOOK_US)
        t, force = self.forces.column("total_n", max(self.rep.t_start_us, from_us),
                                      t_force_us + FORCE_STILL_US)
        if level is None:
            after = force[t >= t_force_us]      # the settled level: what was seen of it
            if after.size < 2 or t[-1] <= t_force_us:
                return t_force_us
            level = float(np.median(after))
        inside = t <= t_force_us
        t, over = t[inside], np.maximum(force[inside] - level, 0.0)
        if t.size < 3:
            return t_force_us
        braking = int(np.argmax(over))
        under = np.flatnonzero(over[:braking] <= 0.0)
        if not under.size:
            return t_force_us
        fast = int(under[-1])
        pts = [(tg, g) for tg, g in self._phase_gaps if abs(tg - t[fast]) <= SPEED_FIT_US]
        if len(pts) < 3:
            return t_force_us
        speed = line_slope([p[0] for p in pts], [p[1] for p in pts])
        if speed is None or speed <= 2 * SETTLED_MM_S:
            return t_force_us
        # impulse still to come from each sample to the force's settle
        dt = np.diff(t) / 1e6
        step = (over[1:] + over[:-1]) / 2 * dt
        to_come = np.concatenate([np.cumsum(step[::-1])[::-1], [0.0]])
        if to_come[fast] <= 0.0:
            return t_force_us
        share = to_come[fast:] / to_come[fast]
        settled = np.flatnonzero(share <= SETTLED_MM_S / speed)
        k = fast + int(settled[0])
        end = int(t[k])
        if k > fast and share[k - fast - 1] > share[k - fast]:
            want = SETTLED_MM_S / speed
            a, b = share[k - fast - 1], share[k - fast]
            frac = (a - want) / (a - b)
            end = int(round(t[k - 1] + frac * (t[k] - t[k - 1])))
        # The bar carries a share of the body that changes with the chest's
        # height (a body pivots at its heels), so the force over its settled
        # level is not all braking. The gap says whether the chest had
        # stopped: it came down no more than STOPPED_MM after.
        then = [g for tg, g in self._phase_gaps if end <= tg <= end + SPEED_FIT_US]
        later = [g for tg, g in self._phase_gaps if t_force_us - SPEED_FIT_US <= tg <= t_force_us]
        if not then or not later or np.median(later) - np.median(then) > STOPPED_MM:
            return t_force_us
        return end

    def _on_gap_locked(self, t_us: int, gap_mm: float) -> list[RepDraft]:
        """After lockout the chest may still be coming down: a slow lowering
        brakes so gently that the force is back at rest before the chest
        has arrived. The rep ends when both have happened: the force settled
        and the chest arrived. Arrived: a line through the readings of the
        last ARRIVE_FIT_US (``line_slope``: strays do not tilt it)
        comes down slower than SETTLED_MM_S, dated at the window's middle, between this
        window and the one before it; with too few readings for the line,
        the gap rose under ARRIVE_MM over the last ARRIVE_US, dated ARRIVE_US
        back."""
        self._since_lock.append((t_us, gap_mm))
        ref = self.reference_mm
        if ref is not None and gap_mm > ref + BEYOND_HANG_MM and self._braked_t_us is None:
            # Past the hang before the lowering was braked: not arms back to
            # straight but a body dropping (the release follows).
            self.rep.lockout, self.state, self._past_hang = False, "up", True
            return []
        if gap_mm >= self._end_level_mm() - END_BAND_MM:
            self._near_rest = True
        if self._arrived_t_us is not None:
            return []
        recent = [(t, g) for t, g in self._since_lock if t >= t_us - ARRIVE_FIT_US]
        fitted = len(recent) >= 4 and recent[0][0] <= t_us - ARRIVE_FIT_US * 3 // 4
        before = self._arrive_speed
        if fitted:
            speed = line_slope([p[0] for p in recent], [p[1] for p in recent])
            # (signed: a chest no longer coming down has arrived, even if the
            # next pull already took it up)
            self._arrive_speed = None if speed is None else (t_us - ARRIVE_FIT_US // 2, speed)
        if fitted and self._arrive_speed is not None:
            mid, speed = self._arrive_speed
            if speed >= SETTLED_MM_S:
                return []
            if before is not None and before[1] > SETTLED_MM_S:
                frac = (before[1] - SETTLED_MM_S) / (before[1] - speed)
                mid = int(round(before[0] + frac * (mid - before[0])))
            self._arrived_t_us = max(self._lock_t_us, mid)
        else:
            back = [g for t, g in self._since_lock if t <= t_us - ARRIVE_US]
            if not back or gap_mm - back[-1] >= ARRIVE_MM:
                return []
            self._arrived_t_us = max(self._lock_t_us, t_us - ARRIVE_US)
        self._near_rest = True
        if self._settled_t_us is not None:
            return [self._close(max(self._chest_settled(self._settled_t_us), self._arrived_t_us))]
        return []

    def force_quiet_count(self, t_us: np.ndarray, force_n: np.ndarray) -> int:
        """How many leading samples ``on_force`` would answer with nothing
        (the tracker's state does not change between gap readings)."""
        if self.state != "locked":
            return len(t_us)
        since = t_us - self._lock_t_us
        if not (self._leave_t_us is not None and self._leave_t_us > self._lock_t_us) \
                and self._settled_t_us is None and self._near_rest:
            due = np.ones(len(t_us), bool)     # any sample may show the force settled
        else:
            due = since > END_TIMEOUT_S * 1e6
        due &= since > 0
        return int(np.argmax(due)) if due.any() else len(t_us)

    # -- closing -------------------------------------------------------------
    def _settled_after_turn(self, t_us: int) -> int:
        """No lockout: the lowering stopped short and the next pull began.
        The rep ends where the force settled after braking the lowering,
        looked for from where the gap arrived near its turning point until
        it left for the next pull: after the braking peak (the highest force
        before the least), the first FORCE_SETTLE_US still within the onset
        margin and within it of the least force. With the arms bent the bar
        carries less than at the hang, so the force passes under the pull's
        threshold before the chest stops. Failing that (no pause before the
        next pull), at the least force, where the braking turned into the
        pull; with no force, at the turning point. The chest may have settled
        before the force did (``_chest_settled``, from the top)."""
        leave = self._leave_t_us if self._leave_t_us is not None else t_us
        arrived = self._near_run_start(self._back_mm, leave)
        if arrived is None:
            return self._back_t_us
        t, cols = self.forces.window(arrived, leave)
        force = cols["total_n"]
        margin = onset_margin_n(self.rep.base_n)
        ends = np.searchsorted(t, t + FORCE_SETTLE_US)
        if not force.size:
            return self._back_t_us
        least = int(np.argmin(force))                 # between the braking and the next pull
        braked = int(np.argmax(force[:least + 1]))    # the braking peak before it
        for k in np.flatnonzero(ends < t.size):
            if k < braked:
                continue
            w = force[k:ends[k] + 1]
            if w.max() <= force[least] + margin:     # still, near the least: w.min() >= the least
                return self._chest_settled(int(t[k]), self._top_t_us, float(np.median(w)))
        # no still stretch: braked straight into the next pull
        return self._chest_settled(int(t[least]), self._top_t_us, float(force[least]))

    def _close_at_turn(self, t_us: int) -> RepDraft:
        """The gap left the bottom again before the force settled: the rep
        ends at the turn, the highest gap, where the force is at its rest
        level between braking and pulling. Mid-pull it passes that level
        again, so only the force near the turn is looked at."""
        leave = self._leave_t_us
        scan_to = leave if leave is not None and leave > self._lock_t_us else t_us
        lo = max(self._lock_t_us, self._high.t_us - TURN_WINDOW_US)
        hi = min(scan_to, self._high.t_us + TURN_WINDOW_US)
        if hi <= lo:
            lo, hi = self._lock_t_us, scan_to
        return self._close_at_force_min(lo, hi)

    def _close_at_force_min(self, t0_us: int, t1_us: int) -> RepDraft:
        t, cols = self.forces.window(t0_us, t1_us)
        end = int(t[int(np.argmin(cols["total_n"]))]) if t.size else t1_us
        return self._close(end)

    def _close(self, t_end_us: int) -> RepDraft:
        rep = self.rep
        rep.t_end_us = max(t_end_us, rep.t_start_us)
        self.rep = None
        self._lo_us = self._quiet_from_us = rep.t_end_us
        if self.state == "up":      # no lockout: the next pull starts from here
            self._high.set(self._back_mm, self._back_t_us)
        self.state = "bottom"
        return rep

    def release(self, t_below_us: int) -> list[RepDraft]:
        """The load went off mid-set. A fall of the gap that never raised the
        force above its rest level was the athlete getting off (standing up
        can bring the chest toward the bar), not a pull: it is dropped. A
        pull let go of before it fell the minimum range (two readings in a
        row had the chest ``LEAVE_MM`` off the bottom within ``SHORT_PULL_US``
        before) is a rep too, judged as one let go of mid-rep."""
        short, self._short = self._short, None
        if short is None or not (0 <= t_below_us - short[2] <= SHORT_PULL_US) \
                or (short[3] is not None and short[3] < t_below_us - RELEASE_WATCH_US):
            short = None
        if self.state == "bottom" and short is not None and short[2] > self._lo_us:
            # The gap had left the bottom a little before the load went off,
            # and came back (if it did) only as the load was going: a pull
            # under way, short of the minimum range, let go of.
            high_mm, high_t_us, self._leave_t_us, _ = short
            self._high.set(high_mm, high_t_us)
            self._pull_from_mm = high_mm
            last = [g for t, g in self._phase_gaps if t <= t_below_us]
            self._begin(t_below_us, last[-1] if last else high_mm,
                        max(self._lo_us, high_t_us - int(ONSET_WINDOW_S * 1e6)))
        return self._release_open(t_below_us)

    def _release_open(self, t_below_us: int) -> list[RepDraft]:
        if self.state == "up":
            _, force = self.forces.column("total_n", self.rep.t_start_us, t_below_us)
            base = self.rep.base_n
            if not (force.size and force.max() > base + onset_margin_n(base)):
                self.rep, self.state = None, "bottom"
                return []
            if self._past_hang:          # the body has dropped already
                self.rep.released = True
                return [self._close(t_below_us)]
            # Let go mid-rep, or stood up out of the rep: the body drops when
            # the hands let go of a pull; standing up, the chest stays. The
            # drop is measured from the closest the chest came in the last
            # RELEASE_WATCH_US (the load may bounce over the threshold as the
            # body falls, so it is known off only a little later), and the
            # readings since the load went off count already.
            # A lone reading well nearer the bar than both its neighbours (a
            # stray the motion gate let through) is no closest approach.
            seq = self._phase_gaps
            lone = {i for i in range(1, len(seq) - 1)
                    if seq[i][1] < min(seq[i - 1][1], seq[i + 1][1]) - LONE_DIP_MM}
            window = [(i, g) for i, (t, g) in enumerate(seq)
                      if t_below_us - RELEASE_WATCH_US <= t <= t_below_us]
            before = [g for i, g in window if i not in lone] or [g for _, g in window]
            since = [(t, g) for t, g in self._phase_gaps if t > t_below_us]
            self.state, self._let_go_t_us = "let_go", t_below_us
            self._off_us = self._load_crossing_us(t_below_us)
            # Confirmed by two readings in a row (the higher of the two; a
            # reading just after the load went off counts too): a stray in a
            # burst that the lone rule misses decides nothing.
            after = [g for i, (t, g) in enumerate(seq)
                     if t_below_us < t <= t_below_us + PAIR_AFTER_US and i not in lone][:1]
            pairs = [max(a, b) for a, b in zip(before, before[1:] + after)] if len(before) > 1 else []
            self._let_go_from_mm = min(pairs) if pairs else (min(before) if before else self._prev_mm)
            for t, g in since:
                done = self._on_gap_let_go(t, g, seen=True)
                if done or self.state != "let_go":
                    return done
            return []
        if self.state == "locked":
            return [self._close_at_force_min(self._lock_t_us, t_below_us)]
        if self.state == "let_go":       # the set ended before the gap told
            self.rep, self.state = None, "bottom"
        return []

    def _load_crossing_us(self, t_below_us: int) -> int:
        """When the force crossed the load line, between the last sample over
        it and the first under it (``t_below_us``): at 10 SPS the samples are
        100 ms apart, as long as a body let go takes to fall 20 mm."""
        t, force = self.forces.column("total_n", t_below_us - RELEASE_WATCH_US, t_below_us + 1)
        if t.size < 2 or int(t[-1]) != t_below_us or force[-2] <= self.load_threshold_n:
            return t_below_us
        share = (force[-2] - self.load_threshold_n) / (force[-2] - force[-1])
        return int(t[-2] + share * (t[-1] - t[-2]))

    def _on_gap_let_go(self, t_us: int, gap_mm: float, seen: bool = False) -> list[RepDraft]:
        """After a release mid-rep: ``bar_released`` once the gap shows the
        body dropping (RELEASE_DROP_MM within RELEASE_WATCH_US); none by
        then, the athlete got off (stood up): no rep. ``seen``: the reading is
        in ``_phase_gaps`` already."""
        if not seen:
            self._phase_gaps.append((t_us, gap_mm))
        if t_us > self._let_go_t_us + RELEASE_WATCH_US:
            self.rep, self.state = None, "bottom"
        elif self._let_go_from_mm is not None and gap_mm >= self._let_go_from_mm + RELEASE_DROP_MM:
            # A body let go falls at once; one that stood up stays where it
            # was a while before it walks away.
            near = [t for t, g in self._phase_gaps
                    if t <= t_us and g <= self._let_go_from_mm + RELEASE_STILL_MM]
            if near and near[-1] > self._off_us + RELEASE_STILL_US:
                self.rep, self.state = None, "bottom"
                return []
            self.rep.released = True
            self.state = "up"
            return [self._close(self._let_go_t_us)]
        return []

    def cut(self, t_last_us: int) -> list[RepDraft]:
        """The stream broke mid-set (a data gap): close what is open; a rep
        that had not locked out is a ``sensor_dropout``."""
        self._cut_mid_rep = self.state == "up"
        lowered = self._cut_mid_rep and self._back_mm - self._top_mm >= RESUME_LOWERED_MM
        self._cut_back_mm = self._back_mm if lowered else None
        if self.state == "up":
            self.rep.cut = True
            return [self._close(t_last_us)]
        if self.state == "let_go":
            self.rep, self.state = None, "bottom"
            return []
        done = self._close_locked(t_last_us)
        self.state = "bottom"
        return done

    def stop(self, t_last_us: int) -> list[RepDraft]:
        """The recording or the set was ended on purpose (end of data, a
        manual end): a rep not yet locked out was cut off by that, not by the
        athlete, so it is dropped; a locked-out one is closed with its verdict."""
        if self.state in ("up", "let_go"):
            self.rep, self.state = None, "bottom"
            return []
        return self._close_locked(t_last_us)

    def _close_locked(self, t_last_us: int) -> list[RepDraft]:
        if self.state != "locked":
            return []
        if self._leave_t_us is not None and self._leave_t_us > self._lock_t_us:
            return [self._close_at_turn(t_last_us)]     # the next pull had begun
        return [self._close_at_force_min(self._lock_t_us, t_last_us)]

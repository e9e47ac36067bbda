"""Reps from force alone (no distance sensor): contact stays unknown.

What the force on the bar does during a rep depends on the athlete and the
station: it rises as the chest accelerates up, and at the top it may sit
well under the hang (a body pivoting at the heels puts less of its weight on
the bar the higher it is), at it, or over it (a squeeze on a near-level
body); lowering may even lift it over the hang. What every rep shares: the
force leaves a still hang, by rising or (a slow pull that barely raises it)
by falling well under it for its top, and comes back to a still level near
it; a touch-and-go set never comes back, but shows one *top* per rep (the
force well under rest for a while). The tracker keeps the athlete's hang,
so that a top held still is not taken for a rest.

States: ``rest`` (waiting for a rise over the rest level, or a fall well
under the hang), ``episode`` (a rep
under way: tops, highs, hangs, the settle), ``settled`` (a rep over, or a
short pull without a top, waiting for what comes next to tell whether the
settle was a hold at the top or a steady climb).
docs/analysis.md ("Without a distance sensor") gives each rule, why, and
how it fails. Everything the tracker needs is read back from the force
history, so samples the pipeline takes in bulk (``force_quiet_count``) need
not be shown to it while it rests or stays settled.
"""

from __future__ import annotations

import numpy as np

from .config import FORCE_ONLY_RISE_SHARE, RELEASE_CONFIRM_S, AnalysisConfig, onset_margin_n
from .history import History
from .onset import QUIET_SHARE, quiet_mask
from .reps import FIRST_REP_SETTLE_S, RepDraft

REST_WINDOW_S = 2.0
REST_WINDOW_US = int(REST_WINDOW_S * 1e6)
REST_LAG_US = 300_000       # the rest window ends this long before the sample: a pull may sag first
REST_SPREAD_SHARE = 0.05    # a rest window whose least force is this share under its median is no still hang
REST_CYCLE_US = 1_000_000   # ... and then gives its median only if it lasts this long (most of a cycle)
GET_ON_SETTLE_US = int(FIRST_REP_SETTLE_S * 1e6)   # after the load came back on, before a rest level
RELEASE_CONFIRM_US = int(RELEASE_CONFIRM_S * 1e6)  # under the load line this long: the load was off
LOW_SHARE = 0.15            # a top: the force this share under rest ...
LOW_MIN_US = 80_000         # ... for this long (a shorter dip is a jolt)
LOW_MIN_SAMPLES = 2         # ... in this many samples half as far under, or one twice as deep (10 SPS)
SETTLE_BAND_SHARE = 0.10    # the episode ends back within this share of rest ...
SETTLE_STILL_SHARE = 0.04   # ... moving less than this share of rest ...
SETTLE_S = 0.5              # ... for this long
SETTLE_WINDOW_US = int(SETTLE_S * 1e6)
HANG_US = 300_000           # still this long in the band between touch-and-go reps: a hang
NO_TOP_MIN_US = 1_000_000   # an episode without a top is a rep if it lasts this long
DIP_SHARE = 0.06            # settled, then under rest by this share for this long, and back
DIP_MIN_US = 150_000        # (not the load going off): the lowering from a hold at the top
PENDING_US = 2_500_000      # settled this long after a rep: it was not a hold at the top
LOW_OPEN_US = 400_000       # resting, the force this long LOW_SHARE under the hang: a pull that barely rose
LEFT_LOOK_US = 3_000_000    # ... left the hang within this long before
HANG_MOVED_US = 8_000_000   # a low held still this long (no top hold lasts it): the athlete hangs lower


class ForceOnlyRepTracker:
    def __init__(self, forces: History, set_start_us: int, settle: bool = True,
                 load_threshold_n: float = AnalysisConfig.load_threshold_n):
        self.forces = forces
        self.load_threshold_n = load_threshold_n
        self.state = "rest"
        self._lo_us = set_start_us + (GET_ON_SETTLE_US if settle else 0)
        self._base = 0.0
        self._margin = 0.0
        self._hang_n: float | None = None       # the hang: the set's first still rest, then each episode's
        self._hang_at_us: int | None = self._lo_us + REST_WINDOW_US + REST_LAG_US   # the first is looked for here
        self._open: RepDraft | None = None
        self._pending: RepDraft | None = None   # settled: the rep just over, not reported yet
        self._pending_complete = False          # ... it braked after its top and hung still: what rises next is a pull
        self._settled_us = 0
        self._settled_split: tuple[int, int] | None = None   # the pending rep's split, if it rose after its top
        self._reset_episode()

    @property
    def rep(self) -> RepDraft | None:
        """The earliest rep not reported yet (its window stays in the history)."""
        return self._pending or self._climb or self._open

    def _reset_episode(self) -> None:
        self._open = None
        self._climb: RepDraft | None = None     # settled: a short pull without a top, maybe a climb
        self._reset_episode_marks()

    def _reset_episode_marks(self) -> None:
        self._has_top = False                   # the open rep had its top
        self._back = False                      # ... and hung still near rest after it
        self._at_rest_us = 0                    # the last sample at the rest level
        self._in_high = False
        self._hang: tuple[int, int] | None = None       # after the top, a still hang: from, to
        self._split_us: tuple[int, int] | None = None     # after the top, where the rep ends and the next begins
        self._split_anchored = False              # ... found after a still hang: later highs keep it
        self._low_from: int | None = None       # the low (or dip) under way: since
        self._low_n, self._low_least = 0, 0.0   # ... its samples (half as far under) and its least force
        self._soft_n = 0                        # samples in a row half as far under rest as a low
        self._band_from: int | None = None      # back in the settle band since

    # ---- rest ---------------------------------------------------------

    def _rest_from_us(self, t_us: int) -> int:
        """Where the rest window of sample ``t_us`` begins: the last
        ``REST_WINDOW_S``, not before ``_lo_us`` and not before
        ``GET_ON_SETTLE_US`` after the load was last off (under the load
        line for ``RELEASE_CONFIRM_S``: a shorter drop is the top of a fast
        rep, the hands barely holding while the chest falls back). The load
        going off is looked for from that long before the latest off that
        could still matter, even before ``_lo_us`` (a set begun by hand on an
        empty bar)."""
        lo = max(self._lo_us, t_us - REST_WINDOW_US)
        t, force = self.forces.column("total_n", lo - GET_ON_SETTLE_US - RELEASE_CONFIRM_US, t_us)
        off = force <= self.load_threshold_n
        if off.any():
            edges = np.flatnonzero(np.diff(off.astype(np.int8)))
            starts = np.concatenate(([0] if off[0] else [], edges[~off[edges]] + 1)).astype(int)
            ends = np.concatenate((edges[off[edges]], [off.size - 1] if off[-1] else [])).astype(int)
            long = t[ends] - t[starts] >= RELEASE_CONFIRM_US
            if long.any():
                lo = max(lo, int(t[ends[long][-1]]) + GET_ON_SETTLE_US)
        return lo

    def _rest_level(self, t_us: int, still_only: bool = False) -> float | None:
        """The force of a still hang: the least in the rest window if the
        window is near still (within ``REST_SPREAD_SHARE`` of its median: a
        pull may begin with a slow rise), else its median (a set that never
        hangs still, touch-and-go: over a cycle the mean force is the static
        load, and a top's drop or the lowering under it is short), if the
        window lasts ``REST_CYCLE_US`` (and not ``still_only``). None under
        the load line, or well under the hang (a top held still)."""
        t, force = self.forces.column("total_n", self._rest_from_us(t_us), t_us - REST_LAG_US)
        if force.size < 3:
            return None
        least, middle = float(force.min()), float(np.median(force))
        if middle - least <= REST_SPREAD_SHARE * middle:
            level = least
        elif t[-1] - t[0] >= REST_CYCLE_US and not still_only:
            level = middle
        else:
            return None                 # moving, and too short a window to hold a cycle
        if level <= self.load_threshold_n:
            return None
        if self._hang_n is not None and level < self._hang_n * (1 - LOW_SHARE):
            return None                 # a top held still, not the hang
        return level

    def _begin(self, t_confirm_us: int, base: float) -> None:
        self._base = self._hang_n = base
        self._margin = onset_margin_n(base)
        t, cols = self.forces.window(self._lo_us, t_confirm_us)
        below = np.nonzero(cols["total_n"] <= base + self._margin)[0]
        start = int(t[below[-1]]) if below.size else t_confirm_us
        self._reset_episode()
        self._open = RepDraft(start, base_n=base)
        self._at_rest_us, self._in_high = start, True
        self.state = "episode"

    def _begin_low(self, low_from: int, t_us: int, hang: float) -> None:
        """The force has been well under the hang since ``low_from``, with
        no rise first: a pull whose top sits under the hang and whose start
        barely raised the force (a slow pull, a body pivoting at its
        heels). It began where the force last held still at the hang; the
        low under way is its top once it ends."""
        self._base = hang
        self._margin = onset_margin_n(hang)
        t, force = self.forces.column("total_n", max(self._lo_us, low_from - LEFT_LOOK_US), low_from)
        quiet, _ = quiet_mask(t, force, QUIET_SHARE * self._margin)
        near = np.abs(force - hang) <= self._margin
        held = np.flatnonzero(quiet & near)
        start = int(t[held[-1]]) if held.size else (int(t[np.flatnonzero(near)[-1]]) if near.any() else low_from)
        _, low = self.forces.column("total_n", low_from, t_us)
        self._reset_episode()
        self._open = RepDraft(start, base_n=hang)
        self._at_rest_us, self.state = start, "episode"
        self._low_from, self._low_n, self._low_least = low_from, low.size, float(low.min())
        self._soft_n = low.size

    # ---- the episode ----------------------------------------------------

    def on_force(self, t_us: int, force_n: float, prev: tuple[int, float] | None) -> list[RepDraft]:
        if t_us < self._lo_us:
            return []
        if self.state == "rest":
            if self._hang_at_us is not None and t_us >= self._hang_at_us:
                self._hang_at_us = None         # the set's first still hang, if it hung still
                if self._hang_n is None:
                    start = self._rest_from_us(t_us)
                    if start > t_us - REST_WINDOW_US:   # the load was off since: a whole window once back on
                        self._hang_at_us = start + REST_WINDOW_US
                    else:
                        self._hang_n = self._rest_level(t_us, still_only=True)
            base = self._rest_level(t_us)
            if base is not None and force_n > base * (1 + FORCE_ONLY_RISE_SHARE):
                self._begin(t_us, base)
            elif self._hang_n is not None and force_n < self._hang_n * (1 - LOW_SHARE):
                if self._low_from is None:
                    self._low_from = t_us
                elif t_us - self._low_from >= LOW_OPEN_US:
                    self._begin_low(self._low_from, t_us, self._hang_n)
            else:
                self._low_from = None
            return []
        if self.state == "settled":
            return self._while_settled(t_us, force_n)
        out: list[RepDraft] = []
        base = self._base
        if force_n <= base + self._margin:
            self._at_rest_us = t_us
        # a low: a top once it has lasted (first: a top ending on this very
        # sample makes a rise over the line on it a rise after the top)
        soft = force_n < base * (1 - LOW_SHARE / 2)
        self._soft_n = self._soft_n + 1 if soft else 0
        if force_n < base * (1 - LOW_SHARE):
            if self._low_from is None:
                self._low_from, self._low_n, self._low_least = t_us, self._soft_n - 1, force_n
            self._low_n += 1
            self._low_least = min(self._low_least, force_n)
            if self._hangs_lower(t_us):
                return out + self._hang_moved(t_us)
        elif self._low_from is not None:
            lasted = self._is_top(self._low_from, t_us, self._low_n + soft, self._low_least)
            self._low_from = None
            if lasted:
                out += self._on_top()
        # a high after the rep's top: the next pull may start where it rose
        if force_n > base * (1 + FORCE_ONLY_RISE_SHARE):
            if self._has_top and not self._in_high:
                if self._hang is not None:          # a pull after a still hang
                    self._split_us = (self._hang[0], self._rise_from(self._hang, t_us))
                    self._hang, self._split_anchored = None, True
                elif not self._split_anchored:      # touch-and-go: the latest rise
                    rose = self._at_rest_us or t_us
                    self._split_us = (rose, rose)
            self._in_high = True
        else:
            self._in_high = False
        # back to rest: settled in the band
        if abs(force_n - base) <= SETTLE_BAND_SHARE * base:
            if self._band_from is None:
                self._band_from = t_us
            elif self._has_top and t_us - self._band_from >= HANG_US and self._still(t_us, HANG_US):
                self._hang = (self._band_from if self._hang is None else self._hang[0], t_us)
                self._back = True
            if t_us - self._band_from >= SETTLE_WINDOW_US and self._still(t_us, SETTLE_WINDOW_US):
                out += self._settle(self._band_from, t_us)
        else:
            self._band_from = None
        return out

    def _settle(self, t_end_us: int, t_us: int) -> list[RepDraft]:
        """Settled near rest since ``t_end_us``: the open rep is over, unless
        what comes next shows it was a hold at the top (``_while_settled``).
        Without a top it was the braking of the rep before, if there is one
        and it is not complete (it braked after its top and hung still: then
        this is the next pull); alone, a rep if it lasted ``NO_TOP_MIN_US``
        (a slow rep whose top barely shows), else a climb if a top follows
        (``_after_dip``)."""
        rep, pending = self._open, self._pending
        alone = pending is None or self._pending_complete
        is_rep = self._has_top or (alone and t_end_us - rep.t_start_us >= NO_TOP_MIN_US)
        self._settled_split = self._split_us if self._has_top else None
        # complete: a high after its top (the braking) and no still hang
        # between (that would be the next pull's split), so this settle is
        # the hang after the braking
        complete = self._has_top and self._split_us is not None and not self._split_anchored
        self._reset_episode()
        self._lo_us = t_us - SETTLE_WINDOW_US        # the next rest level: from the still stretch
        done: list[RepDraft] = []
        if is_rep:
            done = self._report_pending()
            rep.t_end_us, rep.lockout = max(t_end_us, rep.t_start_us), True
            self._pending, self._pending_complete = rep, complete
        elif pending is not None and not self._pending_complete:   # no top: the braking of the rep before
            pending.t_end_us = max(t_end_us, pending.t_end_us)
        else:                                        # short, no top: a climb if a top follows
            self._climb = rep
        self._settled_us, self.state = t_us, "settled"
        return done

    def _while_settled(self, t_us: int, force_n: float) -> list[RepDraft]:
        """After a settle: a rise is the next pull (the rep before is over);
        a dip first is the lowering from a hold at the top (the rep goes on);
        ``PENDING_US`` of neither, and the rep is over."""
        base = self._base
        if force_n > base * (1 + FORCE_ONLY_RISE_SHARE):   # a pull, or the braking of a lowering
            if self._low_from is not None and self._lasted(t_us, DIP_MIN_US):
                out = self._after_dip(self._low_from, t_us)  # braking straight out of the dip
                return out + self.on_force(t_us, force_n, None)
            level = self._rest_level(t_us)
            self._begin(t_us, level if level is not None else base)
            return []
        if force_n < base * (1 - DIP_SHARE):
            if self._low_from is None:
                self._low_from = t_us
            elif self._hangs_lower(t_us):
                return self._hang_moved(t_us)
            return []
        if self._low_from is not None:
            low_from, lasted = self._low_from, self._lasted(t_us, DIP_MIN_US)
            self._low_from = None
            if lasted:                                      # lowering from the hold, braked
                return self._after_dip(low_from, t_us)
        if t_us - self._settled_us >= PENDING_US:
            return self._report_pending()
        return []

    def _after_dip(self, low_from: int, t_us: int) -> list[RepDraft]:
        """A dip after a settle, from ``low_from`` to ``t_us``. If it is a
        top (``_is_top``, for its first low sample), the still stretch
        was a steady climb (at a constant speed the force is the hang's):
        after a short pull without a top, that pull's; after a rep that rose
        again after its top, the next rep's: the waiting rep ended where that
        rise began, and the next rep, begun there, had its top. Otherwise the
        settle was a hold at the top: the rep goes on (after a short pull
        without a top: nothing)."""
        t, force = self.forces.column("total_n", low_from, t_us)
        low = np.flatnonzero(force < self._base * (1 - LOW_SHARE))
        top = False
        if low.size:
            soft = force < self._base * (1 - LOW_SHARE / 2)
            breaks = np.flatnonzero(~soft)      # the run of soft samples around the first low one
            before, after = breaks[breaks < low[0]], breaks[breaks > low[0]]
            run = (after[0] if after.size else soft.size) - (before[-1] + 1 if before.size else 0)
            top = self._is_top(int(t[low[0]]), t_us, int(run), float(force[low].min()))
        climb, self._climb = self._climb, None
        if climb is not None:
            if not top:                 # no climb: a complete rep waiting is over
                return self._report_pending()
            self._open = climb
            self._reset_episode_marks()
            self._has_top, self._at_rest_us, self.state = True, t_us, "episode"
            return []
        split = self._settled_split
        if split is not None:
            if top:
                rep = self._pending
                rep.t_end_us, rep.lockout = max(split[0], rep.t_start_us), True
                self._pending, self._pending_complete = None, False
                self._reset_episode()
                self._open = RepDraft(split[1], base_n=self._base)
                self._has_top, self._at_rest_us, self.state = True, t_us, "episode"
                return [rep]
        self._reopen(t_us)
        return []

    def _hangs_lower(self, t_us: int) -> bool:
        """The low under way (since ``_low_from``) has held still for
        ``HANG_MOVED_US``: longer than any hold at the top."""
        return t_us - self._low_from >= HANG_MOVED_US and self._still(t_us, HANG_MOVED_US)

    def _hang_moved(self, t_us: int) -> list[RepDraft]:
        """The athlete hangs lower now (feet moved): a rep waiting is over,
        the open one is closed as at the end of the data, from where the low
        began, and the hang is looked for afresh in that low."""
        out = self._close_open(self._low_from, cause="drop")
        self._hang_n, self._hang_at_us = None, t_us
        return out

    def _reopen(self, t_us: int) -> None:
        """The settle was a hold at the top: the rep goes on (the dip ended
        at ``t_us``)."""
        self._open, self._pending, self._pending_complete = self._pending, None, False
        self._reset_episode_marks()
        self._has_top, self._at_rest_us, self.state = True, t_us, "episode"

    def _report_pending(self) -> list[RepDraft]:
        rep, self._pending, self._climb = self._pending, None, None
        self._pending_complete = False
        if self.state == "settled":
            self.state = "rest"
        return [rep] if rep is not None else []

    def _on_top(self) -> list[RepDraft]:
        """A top: the open rep's own, or (after a high since its top) the
        next rep's, which then began where that high rose."""
        if not self._has_top:
            self._has_top = True
            return self._report_pending()       # a top of its own: the rep before is over
        if self._split_us is None:
            return []
        rep, (t_end, t_next) = self._open, self._split_us
        rep.t_end_us, rep.lockout = max(t_end, rep.t_start_us), True
        self._open = RepDraft(t_next, base_n=self._base)
        self._split_us, self._hang, self._split_anchored, self._back = None, None, False, False
        return [rep]

    def _rise_from(self, hang: tuple[int, int], t_us: int) -> int:
        """Where the force left the level of a still ``hang`` on its way up to
        the high at ``t_us``: the last sample within the onset margin of it."""
        t, force = self.forces.column("total_n", hang[0], t_us)
        level = float(np.median(force[t <= hang[1]]))
        near = np.flatnonzero(force <= level + self._margin)
        return int(t[near[-1]]) if near.size else hang[1]

    def _rose(self, rep: RepDraft, t_us: int) -> bool:
        """The force rose over the rep's rest level before ``t_us`` (not only
        the load going off after a start found too early)."""
        _, force = self.forces.column("total_n", rep.t_start_us, t_us)
        return bool(force.size) and float(force.max()) > rep.base_n + self._margin

    def _is_top(self, t_low_us: int, t_back_us: int, n: int, least_n: float) -> bool:
        """A low from ``t_low_us`` that ended at ``t_back_us`` (``n`` samples
        in a row half as far under rest, the least ``least_n``) is a top: it
        lasted ``LOW_MIN_US`` and holds two such samples or (at 10 SPS a top
        may show in one) is twice ``LOW_SHARE`` deep. A lone sample just
        under the line is a jolt."""
        return t_back_us - t_low_us >= LOW_MIN_US and (
            n >= LOW_MIN_SAMPLES or least_n < self._base * (1 - 2 * LOW_SHARE))

    def _lasted(self, t_us: int, min_us: int) -> bool:
        """The low that began at ``_low_from`` and ended at ``t_us`` lasted
        ``min_us`` (not a jolt)."""
        return t_us - self._low_from >= min_us

    def _still(self, t_us: int, span_us: int) -> bool:
        _, force = self.forces.column("total_n", t_us - span_us, t_us)
        return bool(force.size) and float(force.max() - force.min()) <= SETTLE_STILL_SHARE * self._base

    def _close_open(self, t_end_us: int, *, cause: str, top: bool | None = None) -> list[RepDraft]:
        """The episode is over at ``t_end_us``. A rep waiting in ``_pending``
        is over. A split found after a still hang (the next pull rose, its top
        not come yet) ends the open rep there, and the pull after it is the
        open rep now, without a top. The open rep ends at ``t_end_us``: a rep
        if it had its top (``top`` overrides that); if not, ``cause`` says
        what it is: "drop", "released" (a pull let go), "cut" (the stream
        broke)."""
        # no top of its own after a rep: the braking of that rep (unless the
        # stream broke: then it may as well be a pull cut short)
        braking = self._pending is not None and not self._has_top and cause != "cut"
        lowered = self._has_top and self._split_us is not None and not self._split_anchored
        done = self._report_pending()
        rep, had_top, back = self._open, self._has_top if top is None else top, self._back
        split = self._split_us if self._split_anchored else None
        self._reset_episode()
        self._lo_us = max(self._lo_us, t_end_us)
        self.state = "rest"
        if rep is None or braking:           # nothing open, or the braking of the rep before
            return done
        if had_top and split is not None:
            rep.t_end_us, rep.lockout = max(split[0], rep.t_start_us), True
            done.append(rep)
            rep, had_top, back = RepDraft(split[1], base_n=rep.base_n), False, False
        rep.t_end_us = max(t_end_us, rep.t_start_us)
        if cause == "released" and not (back or lowered) and self._rose(rep, t_end_us):
            # let go before the force came back from the top (after its top and
            # the braking of the lowering, the rep was over: let go after it)
            rep.released = True
        elif had_top:
            rep.lockout = True
        elif cause == "cut":
            rep.cut = True
        else:
            return done
        return done + [rep]

    # ---- bulk ---------------------------------------------------------

    def force_quiet_count(self, t_us: np.ndarray, force_n: np.ndarray) -> int:
        """How many leading samples ``on_force`` certainly answers with
        nothing (it may say fewer: those are then judged one by one)."""
        gate = t_us >= self._lo_us
        if not gate.any():
            return len(t_us)
        if self.state == "settled":
            base = self._base
            dip = force_n < base * (1 - DIP_SHARE)
            dip_due = dip if self._low_from is None else ~dip | (t_us - self._low_from >= HANG_MOVED_US)
            due = ((force_n > base * (1 + FORCE_ONLY_RISE_SHARE)) | dip_due
                   | (t_us - self._settled_us >= PENDING_US)) & gate
            return int(np.argmax(due)) if due.any() else len(t_us)
        if self.state != "rest":
            return int(np.argmax(gate))
        # Each sample's rest window lies inside this one, so its rest level is
        # no lower than this one's lowest force (its least or its median), and
        # a level at or under the load threshold is none. Under the rise over
        # the higher of the two: no pull. Due too: the time to learn the hang,
        # a fall under the hang's low line, and (a low under way) the sample
        # that ends it or that has it last LOW_OPEN_US.
        _, held = self.forces.column("total_n", max(self._lo_us, int(t_us[0]) - REST_WINDOW_US),
                                     int(t_us[-1]))
        lows = [float(force_n[gate].min())] + ([float(held.min())] if held.size else [])
        floor = max(min(lows), self.load_threshold_n)
        due = force_n > floor * (1 + FORCE_ONLY_RISE_SHARE)
        if self._hang_at_us is not None:
            due |= t_us >= self._hang_at_us
        if self._hang_n is not None:
            low = force_n < self._hang_n * (1 - LOW_SHARE)
            due |= low if self._low_from is None else ~low | (t_us - self._low_from >= LOW_OPEN_US)
        due &= gate
        return int(np.argmax(due)) if due.any() else len(t_us)

    # ---- the set's own events -----------------------------------------

    def resume(self, t_us: int) -> None:
        """The stream came back after a gap with the set still on: the rest
        level is looked for afresh from here. The hang is kept (the athlete
        held on); if it was not known yet, it is looked for a full rest
        window after the gap."""
        self._reset_episode()
        self.state, self._lo_us = "rest", t_us
        if self._hang_n is None:
            self._hang_at_us = t_us + REST_WINDOW_US + REST_LAG_US

    def release(self, t_below_us: int) -> list[RepDraft]:
        """The load went off mid-set (at ``t_below_us``). A low under way is
        the load going off, not a top. A rep that rose and had not hung still
        after its top (or had no top) was let go: ``bar_released``; one that
        had is complete; a rise with no top just after a rep was its braking.
        The next rest level waits for the load to be steadily on again
        (``_rest_from_us``)."""
        self._hang_n = None         # getting on again may hang otherwise: learnt again then
        self._hang_at_us = t_below_us
        if self.state == "rest":
            return []
        return self._close_open(t_below_us, cause="released")

    def cut(self, t_last_us: int) -> list[RepDraft]:
        """The stream broke mid-set (a data gap): the open rep is a dropout."""
        if self.state == "rest":
            return []
        rep = self._open
        out = self._close_open(t_last_us, cause="cut")
        if out and out[-1] is rep:             # cut before it settled, top or not
            rep.cut, rep.lockout = True, False
        return out

    def stop(self, t_last_us: int) -> list[RepDraft]:
        """Ended on purpose (end of data, manual end): a rep already over is
        reported; the open one too if it had its top and a rise after it (the
        braking) and is back near rest, ending where it came back; otherwise
        it is dropped (still pulling, at the top, or lowering)."""
        if self.state == "rest":
            return []
        if self._has_top and self._split_anchored:      # the next pull had begun: the rep before stands
            return self._close_open(t_last_us, cause="drop")
        back = self._has_top and self._split_us is not None and self._band_from is not None
        return self._close_open(self._band_from if back else t_last_us, cause="drop", top=back)

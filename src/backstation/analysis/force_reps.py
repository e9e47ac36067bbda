"""Reps from force alone (no distance sensor): contact stays unknown.

A pull lifts the total force well above its rest level (the chest
accelerates up); the lowering first drops it below rest (accelerating down)
and then lifts it again (braking) before it settles. A rep is one rise of
``FORCE_ONLY_RISE_SHARE`` of the rest level followed by that dip and the
settle; its start and end are where the force leaves and rejoins the rest
level, as in the gap-based tracker.

The rest level is the lowest force of the last ``REST_WINDOW_S`` while the
athlete hangs still, so it is only looked for where the load has been
steadily on: from ``FIRST_REP_SETTLE_S`` after the last sample at or under
the load threshold (getting on again after a release, a regrip, a coach's
manual start on an empty bar), never across the ramp of the load coming
on or going off, and never before the set (or the stream after a gap)
began. Everything the rest state needs is read back from the force history,
so samples the pipeline takes in bulk (``force_quiet_count``) need not be
shown to the tracker.
"""

from __future__ import annotations

import numpy as np

from .config import (
    END_TIMEOUT_S, FORCE_ONLY_RISE_SHARE, ONSET_MARGIN_N, ONSET_MARGIN_SHARE,
    AnalysisConfig,
)
from .history import History
from .reps import FIRST_REP_SETTLE_S, RepDraft

DIP_SHARE = 0.03
REST_WINDOW_S = 2.0
REST_WINDOW_US = int(REST_WINDOW_S * 1e6)
SETTLE_US = int(FIRST_REP_SETTLE_S * 1e6)   # after the load came back on, before a rest level


class ForceOnlyRepTracker:
    def __init__(self, forces: History, set_start_us: int, settle: bool = True,
                 load_threshold_n: float = AnalysisConfig.load_threshold_n):
        self.forces = forces
        self.load_threshold_n = load_threshold_n
        self.state = "rest"
        self.rep: RepDraft | None = None
        self._lo_us = set_start_us + (SETTLE_US if settle else 0)
        self._settle_t_us = 0
        self._margin_n = 0.0

    def _rest_from_us(self, t_us: int) -> int:
        """Where the rest window of sample ``t_us`` begins: the last
        ``REST_WINDOW_S``, not before ``_lo_us`` and not before
        ``SETTLE_US`` after the last sample with the load off."""
        lo = max(self._lo_us, t_us - REST_WINDOW_US)
        t, force = self.forces.column("total_n", max(self._lo_us, lo - SETTLE_US), t_us)
        off = np.flatnonzero(force <= self.load_threshold_n)
        if off.size:
            lo = max(lo, int(t[off[-1]]) + SETTLE_US)
        return lo

    def _rest_level(self, t_us: int) -> float | None:
        _, force = self.forces.column("total_n", self._rest_from_us(t_us), t_us)
        return float(force.min()) if force.size >= 3 else None

    def on_force(self, t_us: int, force_n: float, prev: tuple[int, float] | None) -> list[RepDraft]:
        if t_us < self._lo_us:
            return []
        if self.state == "rest":
            base = self._rest_level(t_us)
            if base is not None and force_n > base * (1 + FORCE_ONLY_RISE_SHARE):
                self._begin(t_us, base)
            return []
        rep = self.rep
        base, margin = rep.base_n, self._margin_n
        if self.state == "pull" and force_n < base - max(margin, DIP_SHARE * base):
            self.state = "lowering"
        elif self.state == "lowering" and force_n > base + margin:
            self.state, self._settle_t_us = "braking", t_us
        elif self.state == "braking" and force_n <= base + margin:
            rep.lockout = True
            return [self._close(t_us)]
        elif self.state == "braking" and t_us - self._settle_t_us > END_TIMEOUT_S * 1e6:
            rep.lockout = True
            return [self._close(t_us)]
        return []

    def force_quiet_count(self, t_us: np.ndarray, force_n: np.ndarray) -> int:
        """How many leading samples ``on_force`` certainly answers with
        nothing (it may say fewer: those are then judged one by one)."""
        gate = t_us >= self._lo_us
        if not gate.any():
            return len(t_us)
        if self.state == "rest":
            # Each sample's rest window lies inside this one, so its rest
            # level is no lower than this one's lowest force; and it holds
            # no sample with the load off, so the level is over the load
            # threshold. Under 110 % of the higher of the two: no pull.
            _, held = self.forces.column("total_n", max(self._lo_us, int(t_us[0]) - REST_WINDOW_US),
                                         int(t_us[-1]))
            lows = [float(force_n[gate].min())] + ([float(held.min())] if held.size else [])
            floor = max(min(lows), self.load_threshold_n)
            due = force_n > floor * (1 + FORCE_ONLY_RISE_SHARE)
        else:
            base, margin = self.rep.base_n, self._margin_n
            if self.state == "pull":
                due = force_n < base - max(margin, DIP_SHARE * base)
            elif self.state == "lowering":
                due = force_n > base + margin
            else:
                due = (force_n <= base + margin) | (t_us - self._settle_t_us > END_TIMEOUT_S * 1e6)
        due &= gate
        return int(np.argmax(due)) if due.any() else len(t_us)

    def _begin(self, t_confirm_us: int, base: float) -> None:
        self._margin_n = max(ONSET_MARGIN_N, ONSET_MARGIN_SHARE * base)
        t, cols = self.forces.window(self._lo_us, t_confirm_us)
        below = np.nonzero(cols["total_n"] <= base + self._margin_n)[0]
        start = int(t[below[-1]]) if below.size else t_confirm_us
        self.rep = RepDraft(start, base_n=base)
        self.state = "pull"

    def _close(self, t_end_us: int) -> RepDraft:
        rep, self.rep = self.rep, None
        rep.t_end_us = max(t_end_us, rep.t_start_us)
        self._lo_us = rep.t_end_us
        self.state = "rest"
        return rep

    def resume(self, t_us: int) -> None:
        """The stream came back after a gap with the set still on: the rest
        level is looked for afresh from here."""
        self.rep, self.state, self._lo_us = None, "rest", t_us

    def release(self, t_below_us: int) -> list[RepDraft]:
        """The load went off mid-set (at ``t_below_us``). A rep whose force
        never rose above its rest level before then was the athlete getting
        off, not a pull: it is dropped, as in the gap-based tracker. The
        next rest level waits for the load to be steadily on again
        (``_rest_from_us``)."""
        if self.rep is None:
            return []
        rep = self.rep
        _, force = self.forces.column("total_n", rep.t_start_us, t_below_us)
        if not (force.size and force.max() > rep.base_n + self._margin_n):
            self.rep, self.state = None, "rest"
            self._lo_us = max(self._lo_us, t_below_us)
            return []
        rep.released = True
        return [self._close(t_below_us)]

    def cut(self, t_last_us: int) -> list[RepDraft]:
        """The stream broke mid-set (a data gap): the open rep is a dropout."""
        if self.rep is None:
            return []
        self.rep.cut = True
        return [self._close(t_last_us)]

    def stop(self, t_last_us: int) -> list[RepDraft]:
        """Ended on purpose (end of data, manual end): a rep still in its pull
        or lowering is dropped; one already braking its lowering is closed."""
        if self.rep is None:
            return []
        if self.state != "braking":
            self.rep, self.state = None, "rest"
            return []
        self.rep.lockout = True
        return [self._close(t_last_us)]

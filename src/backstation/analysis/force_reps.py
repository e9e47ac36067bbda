"""Reps from force alone (no distance sensor): contact stays unknown.

A pull lifts the total force well above its rest level (the chest
accelerates up); the lowering first drops it below rest (accelerating down)
and then lifts it again (braking) before it settles. A rep is one rise of
``FORCE_ONLY_RISE_SHARE`` of the rest level followed by that dip and the
settle; its start and end are where the force leaves and rejoins the rest
level, as in the gap-based tracker.
"""

from __future__ import annotations

import numpy as np

from .config import END_TIMEOUT_S, FORCE_ONLY_RISE_SHARE, ONSET_MARGIN_N, ONSET_MARGIN_SHARE
from .history import History
from .reps import FIRST_REP_SETTLE_S, RepDraft

DIP_SHARE = 0.03
REST_WINDOW_S = 2.0


class ForceOnlyRepTracker:
    def __init__(self, forces: History, set_start_us: int, settle: bool = True):
        self.forces = forces
        self.state = "rest"
        self.rep: RepDraft | None = None
        self._lo_us = set_start_us + (int(FIRST_REP_SETTLE_S * 1e6) if settle else 0)
        self._settle_t_us = 0
        self._margin_n = 0.0

    def _rest_level(self, t_us: int) -> float | None:
        lo = max(self._lo_us, t_us - int(REST_WINDOW_S * 1e6))
        t, cols = self.forces.window(lo, t_us)
        return float(cols["total_n"].min()) if t.size >= 3 else None

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
            # Each sample's rest level is the minimum of a window inside this
            # one, so it is no lower: under 110 % of this one's, no pull.
            _, held = self.forces.column("total_n", max(self._lo_us, int(t_us[0]) - int(REST_WINDOW_S * 1e6)),
                                         int(t_us[-1]))
            lows = [float(force_n[gate].min())] + ([float(held.min())] if held.size else [])
            due = force_n > min(lows) * (1 + FORCE_ONLY_RISE_SHARE)
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
        if self.rep is None:
            return []
        self.rep.released = True
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

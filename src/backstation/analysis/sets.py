"""Set segmentation by load: a set begins when the total force stays above
the threshold for ``set_on_s`` (dated from the first sample above it) and
ends when it stays under it for ``set_off_s`` (dated from the first sample
under it). Under it for ``RELEASE_CONFIRM_S`` mid-set is a release: the rep
in progress, if any, is ``bar_released``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import RELEASE_CONFIRM_S


@dataclass
class SetSegmenter:
    threshold_n: float
    on_us: int
    off_us: int
    release_us: int = int(RELEASE_CONFIRM_S * 1e6)
    in_set: bool = False
    manual: bool = False
    _above_since: int | None = None
    _below_since: int | None = None
    _release_told: bool = False
    _gap_from_us: int | None = None   # the stream broke mid-set at this time

    def update(self, t_us: int, force_n: float) -> list[tuple[str, int]]:
        """One force sample; returns ('start'|'release'|'end', t_us) changes."""
        above = force_n > self.threshold_n
        if self._gap_from_us is not None:
            t_gap, self._gap_from_us = self._gap_from_us, None
            if not above and self.in_set and not self.manual:
                self.reset()           # the athlete left during the gap
                return [("end", t_gap)]
        if not self.in_set:
            if not above:
                self._above_since = None
                return []
            if self._above_since is None:
                self._above_since = t_us
            if t_us - self._above_since >= self.on_us:
                self.begin()
                return [("start", self._above_since)]
            return []
        if above:
            self._below_since = None
            self._release_told = False
            return []
        if self._below_since is None:
            self._below_since = t_us
        out = []
        if not self._release_told and t_us - self._below_since >= self.release_us:
            self._release_told = True
            out.append(("release", self._below_since))
        if not self.manual and t_us - self._below_since >= self.off_us:
            out.append(("end", self._below_since))
            self.reset()
        return out

    # -- a block at a time: the same decisions as update(), sample by sample --
    def quiet_count(self, t_us: np.ndarray, force_n: np.ndarray) -> int:
        """How many leading samples ``update`` would answer with no change."""
        if self._gap_from_us is not None:
            return 0
        above = force_n > self.threshold_n
        if not self.in_set:
            if not above.any():
                return len(t_us)
            since = _run_start_us(t_us, above, self._above_since)
            hit = above & (t_us - since >= self.on_us)
        else:
            below = ~above
            if not below.any():
                return len(t_us)
            since = _run_start_us(t_us, below, self._below_since)
            due = t_us - since >= self.release_us
            if self._release_told:      # told already, until the load comes back
                due &= np.cumsum(above) > 0
            if not self.manual:
                due |= t_us - since >= self.off_us
            hit = below & due
        return int(np.argmax(hit)) if hit.any() else len(t_us)

    def advance(self, t_us: np.ndarray, force_n: np.ndarray) -> None:
        """Take samples ``quiet_count`` found quiet: only the timers move."""
        if not len(t_us):
            return
        above = force_n > self.threshold_n
        last = bool(above[-1])
        if not self.in_set:
            self._above_since = _last_run_start_us(t_us, above, self._above_since) if last else None
        elif last:
            self._below_since, self._release_told = None, False
        else:
            self._below_since = _last_run_start_us(t_us, ~above, self._below_since)
            self._release_told = self._release_told and not above.any()

    def holding(self, t_us: int) -> bool:
        """In a set and the bar carries the athlete: a dip under the
        threshold shorter than a release (the top of a fast rep) is still
        holding on."""
        return self.in_set and not (self._below_since is not None
                                    and t_us - self._below_since >= self.release_us)

    def after_gap(self, t_last_us: int) -> None:
        """The stream broke after ``t_last_us`` and came back: the set goes on
        if the load is on again at the first sample, else it ended at the
        gap (an automatic set; a manual one goes on until it is ended)."""
        self._gap_from_us = t_last_us if self.in_set else None
        self._above_since = self._below_since = None
        self._release_told = False

    def begin(self, manual: bool = False, unloaded_at_us: int | None = None) -> None:
        """A set begins; ``unloaded_at_us``: begun by hand at that time with
        the load off (the athlete not under the bar yet): nobody holds the
        bar until the load comes on, and no release is told for it."""
        self.in_set, self.manual = True, manual
        self._below_since, self._release_told = None, False
        if unloaded_at_us is not None:
            self._below_since, self._release_told = unloaded_at_us - self.release_us, True

    def reset(self) -> None:
        self.in_set = self.manual = False
        self._above_since = self._below_since = None
        self._release_told = False
        self._gap_from_us = None


def _run_start_us(t_us: np.ndarray, active: np.ndarray, since_us: int | None) -> np.ndarray:
    """For each sample, when the run of equal ``active`` values it is in
    began; the run the block opens with began at ``since_us`` if set."""
    n = len(t_us)
    change = np.empty(n, bool)
    change[0] = True
    np.not_equal(active[1:], active[:-1], out=change[1:])
    first = np.maximum.accumulate(np.where(change, np.arange(n), 0))
    start = t_us[first]
    if since_us is not None:
        start[first == 0] = since_us
    return start


def _last_run_start_us(t_us: np.ndarray, active: np.ndarray, since_us: int | None) -> int:
    """When the run the block ends in began (``active`` at its end)."""
    breaks = np.flatnonzero(~active)
    if not breaks.size:
        return since_us if since_us is not None else int(t_us[0])
    return int(t_us[breaks[-1] + 1])

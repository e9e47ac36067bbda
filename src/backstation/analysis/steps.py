"""The pipeline's time-ordered loop, a run of samples at a time.

Almost every force sample changes nothing but timers: the load stays on
one side of the threshold, the rep tracker waits for the next gap reading.
Between two distance readings the set segmenter and the rep tracker say,
from numpy over the whole run, how many samples they would answer with
nothing; those are taken in bulk (their history was appended with the
block, their timers advance at once) and only the first sample that may
change something, every distance reading and every stream gap go through
the pipeline one at a time. A tracker may stop a run early when unsure
(that sample is then judged singly): the results are those of the
sample-by-sample loop, in any cut of the stream.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .batch import DATA_GAP_US, Batch

if TYPE_CHECKING:
    from .pipeline import AnalysisPipeline


class Steps:
    def __init__(self, pipeline: AnalysisPipeline):
        self.p = pipeline

    def run(self, b: Batch) -> None:
        p = self.p
        ok = b.f_ok
        ok_at = np.flatnonzero(ok)                      # force index of each calibrated sample
        self.ok_t = ok_t = b.f_t_us[ok_at]
        self.ok_f = ok_f = b.f_total_n[ok_at]
        self.ok_t_list, self.ok_f_list = ok_t.tolist(), ok_f.tolist()
        self.ok_before = np.concatenate([[0], np.cumsum(ok)]).tolist()  # calibrated before index j
        self.ok_at = ok_at.tolist()
        p.forces.extend(ok_t, ok_f, b.f_channels_n[ok_at])
        p._raw.extend(ok_t, ok_f, b.f_raw[ok_at])
        missed = b.d_gap_mm < 0
        p.gaps.extend(b.d_t_us, np.where(missed, np.nan, b.d_gap_mm), missed)
        # Samples that must be taken singly whatever the state: a stream gap
        # before them, or a long wait since the previous calibrated force.
        single = b.f_gap.copy()
        if ok_t.size:
            prev = p._prev_force
            waits = np.empty(len(ok_t), np.int64)
            waits[0] = ok_t[0] - prev[0] if prev is not None else 0
            np.subtract(ok_t[1:], ok_t[:-1], out=waits[1:])
            single[ok_at] |= waits > DATA_GAP_US
        self.singles = np.flatnonzero(single).tolist()
        self.next_single = 0
        # The segmenter sees force only: how far it stays quiet is worked out
        # once and holds until a sample is judged singly or the stream breaks.
        self.seg_from = 0            # calibrated samples before this were given to the segmenter
        self.seg_quiet_to = -1       # ... and up to here it says nothing (-1: not worked out)
        self.b = b
        d_t, d_gap_mm, d_after = b.d_t_us.tolist(), b.d_gap_mm.tolist(), b.d_after.tolist()
        d_gap, d_prev = b.d_gap.tolist(), b.d_prev_us.tolist()
        nf = len(b.f_t_us)
        j = 0
        for i in range(len(d_t) + 1):
            end = d_after[i] if i < len(d_t) else nf
            while j < end:
                k = self._quiet_run(j, end)
                if k < end:
                    self._force(k)
                    j = k + 1
                else:
                    j = end
            if i < len(d_t):
                if d_gap[i]:
                    self._sync_segmenter(self.ok_before[j])
                    p._on_data_gap(d_prev[i], d_t[i])
                    self.seg_quiet_to = -1
                p.gaps.see(i + 1)
                self._sync_segmenter(self.ok_before[j])     # it says whether the bar is held
                p._on_distance(d_t[i], d_gap_mm[i])
        self._sync_segmenter(len(self.ok_t_list))

    def _sync_segmenter(self, upto: int) -> None:
        """Give the segmenter the calibrated samples taken quietly, up to ``upto``."""
        if upto > self.seg_from:
            self.p._segmenter.advance(self.ok_t[self.seg_from:upto], self.ok_f[self.seg_from:upto])
            self.seg_from = upto

    def _quiet_run(self, j: int, end: int) -> int:
        """Take force samples j.. that change nothing; return the index of the
        first one that may (or ``end``)."""
        singles = self.singles
        while self.next_single < len(singles) and singles[self.next_single] < j:
            self.next_single += 1
        if self.next_single < len(singles) and singles[self.next_single] < end:
            end = singles[self.next_single]
        p = self.p
        a, c = self.ok_before[j], self.ok_before[end]
        if a == c:                                      # uncalibrated only
            p.uncalibrated_samples += end - j
            return end
        if self.seg_quiet_to < 0:
            self._sync_segmenter(a)
            self.seg_quiet_to = a + p._segmenter.quiet_count(self.ok_t[a:], self.ok_f[a:])
        to = min(c, self.seg_quiet_to)
        if to > a and p._tracker is not None:
            to = a + p._tracker.force_quiet_count(self.ok_t[a:to], self.ok_f[a:to])
        if to > a:
            last_t = self.ok_t_list[to - 1]
            p._prev_force = (last_t, self.ok_f_list[to - 1])
            p.forces.see(to)
            p._raw.see(to)
            p._advance_horizon(last_t)
        stop = self.ok_at[to] if to < c else end
        p.uncalibrated_samples += (stop - j) - (to - a)
        return stop

    def _force(self, k: int) -> None:
        """One force sample that may change something."""
        p, b = self.p, self.b
        n = self.ok_before[k]
        self._sync_segmenter(n)
        self.seg_quiet_to = -1
        if b.f_gap[k]:
            p._on_data_gap(int(b.f_prev_us[k]), int(b.f_t_us[k]))
        if not b.f_ok[k]:
            p.uncalibrated_samples += 1
            return
        t, total = self.ok_t_list[n], self.ok_f_list[n]
        prev = p._prev_force
        if prev is not None and t - prev[0] > DATA_GAP_US:
            p._on_data_gap(prev[0], t)
        p.forces.see(n + 1)
        p._raw.see(n + 1)
        p._on_force(t, total)
        self.seg_from = n + 1

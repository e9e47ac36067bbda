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
        self.ok_before = np.concatenate([[0], np.cumsum(ok)])   # calibrated samples before index j
        self.ok_at = ok_at
        p.forces.extend(ok_t, np.column_stack([ok_f, b.f_channels_n[ok_at]]))
        p._raw.extend(ok_t, np.column_stack([ok_f, b.f_raw[ok_at]]))
        seen = b.d_gap_mm >= 0
        p.gaps.extend(b.d_t_us, np.column_stack([np.where(seen, b.d_gap_mm, np.nan), ~seen]))
        # Samples that must be taken singly whatever the state: a stream gap
        # before them, or a long wait since the previous calibrated force.
        single = b.f_gap.copy()
        if ok_t.size:
            prev = p._prev_force
            waits = np.diff(ok_t, prepend=prev[0] if prev is not None else ok_t[0])
            single[ok_at] |= waits > DATA_GAP_US
        self.singles = np.flatnonzero(single)
        self.next_single = 0
        self.b = b
        nf, nd = len(b.f_t_us), len(b.d_t_us)
        j = 0
        for i in range(nd + 1):
            end = int(b.d_after[i]) if i < nd else nf
            while j < end:
                k = self._quiet_run(j, end)
                if k < end:
                    self._force(k)
                    j = k + 1
                else:
                    j = end
            if i < nd:
                if b.d_gap[i]:
                    p._on_data_gap(int(b.d_prev_us[i]))
                p.gaps.see(i + 1)
                p._on_distance(int(b.d_t_us[i]), int(b.d_gap_mm[i]))

    def _quiet_run(self, j: int, end: int) -> int:
        """Take force samples j.. that change nothing; return the index of the
        first one that may (or ``end``)."""
        singles = self.singles
        while self.next_single < singles.size and singles[self.next_single] < j:
            self.next_single += 1
        if self.next_single < singles.size and singles[self.next_single] < end:
            end = int(singles[self.next_single])
        p = self.p
        a, c = int(self.ok_before[j]), int(self.ok_before[end])
        if a == c:                                      # uncalibrated only
            p.uncalibrated_samples += end - j
            return end
        t, f = self.ok_t[a:c], self.ok_f[a:c]
        m = p._segmenter.quiet_count(t, f)
        if m and p._tracker is not None:
            m = p._tracker.force_quiet_count(t[:m], f[:m])
        if m:
            p._segmenter.advance(t[:m], f[:m])
            last_t = int(t[m - 1])
            p._prev_force = (last_t, float(f[m - 1]))
            p.forces.see(a + m)
            p._raw.see(a + m)
            p._advance_horizon(last_t)
        stop = int(self.ok_at[a + m]) if a + m < c else end
        p.uncalibrated_samples += (stop - j) - m
        return stop

    def _force(self, k: int) -> None:
        p, b = self.p, self.b
        if b.f_gap[k]:
            p._on_data_gap(int(b.f_prev_us[k]))
        if not self.b.f_ok[k]:
            p.uncalibrated_samples += 1
            return
        t, total = int(b.f_t_us[k]), float(b.f_total_n[k])
        prev = p._prev_force
        if prev is not None and t - prev[0] > DATA_GAP_US:
            p._on_data_gap(prev[0])
        n = int(self.ok_before[k]) + 1
        p.forces.see(n)
        p._raw.see(n)
        p._on_force(t, total)

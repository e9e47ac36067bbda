"""One batch of samples put in the order the analysis takes them: both
streams merged by time (force first on a tie), late samples counted and
dropped, and where the stream broke (no sample for ``DATA_GAP_S``) marked.
Columns, never one object per sample."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import DATA_GAP_S

DATA_GAP_US = DATA_GAP_S * 1e6


@dataclass
class Batch:
    late: int                  # behind what was processed already: dropped
    f_t_us: np.ndarray         # force, in time order
    f_total_n: np.ndarray      # NaN: a channel not calibrated yet
    f_channels_n: np.ndarray   # (n, channels)
    f_raw: np.ndarray          # (n, channels) counts
    f_gap: np.ndarray          # the stream broke just before this sample
    f_prev_us: np.ndarray      # the sample before it (either stream)
    d_t_us: np.ndarray
    d_gap_mm: np.ndarray
    d_gap: np.ndarray
    d_prev_us: np.ndarray
    d_after: np.ndarray        # force samples taken before each distance sample
    last_us: int | None        # the newest sample's time

    @property
    def f_ok(self) -> np.ndarray:
        return ~np.isnan(self.f_total_n)


def merge(f_t_us: np.ndarray, newtons: np.ndarray, raw: np.ndarray, d_t_us: np.ndarray,
          gap_mm: np.ndarray, done_us: int | None) -> Batch:
    nf = len(f_t_us)
    times = np.concatenate([f_t_us, d_t_us])
    order = np.argsort(times, kind="stable")
    t = times[order]
    late = int(np.searchsorted(t, done_us, "left")) if done_us is not None else 0
    order, t = order[late:], t[late:]
    prev = np.empty_like(t)
    if t.size:
        prev[0] = done_us if done_us is not None else t[0]
        prev[1:] = t[:-1]
    broke = t - prev > DATA_GAP_US
    is_f = order < nf
    fi, di = order[is_f], order[~is_f] - nf
    return Batch(
        late=late, f_t_us=f_t_us[fi], f_total_n=newtons[fi].sum(axis=1),
        f_channels_n=newtons[fi], f_raw=raw[fi], f_gap=broke[is_f], f_prev_us=prev[is_f],
        d_t_us=d_t_us[di], d_gap_mm=gap_mm[di], d_gap=broke[~is_f], d_prev_us=prev[~is_f],
        d_after=np.cumsum(is_f)[~is_f], last_us=int(t[-1]) if t.size else None)

"""Recent processed samples, kept so a judgement made now can look back
(where exactly did this pull start?) and so rep metrics can be computed
over the rep once it ends. The only look-back the analysis has.

Numpy columns, filled a block at a time: a block is appended before its
samples are processed, and ``seen`` says how many of them have been, so a
look-back never sees a sample the time-ordered loop has not reached yet
(however the stream was cut into blocks). A look-back also stops at the
``horizon_us`` (see pipeline.KEEP_S), so what it sees does not depend on
when memory is given back.
"""

from __future__ import annotations

import numpy as np

NO_HORIZON_US = -(1 << 62)


class History:
    """Time-ordered samples: ``t_us`` (int64) plus named float columns."""

    def __init__(self, *columns: str):
        self.names = columns
        self._index = {c: i for i, c in enumerate(columns)}
        self._t = np.empty(1024, np.int64)
        self._v = np.empty((1024, len(columns)))
        self._head = 0          # first sample kept
        self._seen = 0          # samples [head, seen) have been processed
        self._end = 0           # samples [seen, end) are appended, not processed yet
        self._base = 0          # where the last block appended begins
        self.horizon_us = NO_HORIZON_US

    def extend(self, t_us: np.ndarray, *values: np.ndarray) -> None:
        """Append a block, not processed yet (``see(n)`` then says how many
        of it have been). ``values``: the columns in order, each one array
        per column or a 2-D array for several."""
        n = len(t_us)
        self._seen = self._end      # a block is processed before the next comes
        if self._end + n > len(self._t):
            self._compact(n)
        e = self._base = self._end
        self._t[e:e + n] = t_us
        col = 0
        for v in values:
            width = 1 if v.ndim == 1 else v.shape[1]
            if width == 1 and v.ndim == 1:
                self._v[e:e + n, col] = v
            else:
                self._v[e:e + n, col:col + width] = v
            col += width
        self._end += n

    def _compact(self, room: int) -> None:
        live = self._end - self._head
        size = len(self._t)
        while size < 2 * (live + room):
            size *= 2
        t, v = np.empty(size, np.int64), np.empty((size, self._v.shape[1]))
        t[:live], v[:live] = self._t[self._head:self._end], self._v[self._head:self._end]
        self._t, self._v = t, v
        self._seen -= self._head
        self._end, self._head = live, 0

    def see(self, n: int) -> None:
        """The first ``n`` samples of the last block appended are processed."""
        self._seen = self._base + n

    def __len__(self) -> int:
        return self._seen - self._head

    def first_t_us(self) -> int | None:
        i = self._head + int(np.searchsorted(self._t[self._head:self._seen], self.horizon_us))
        return int(self._t[i]) if i < self._seen else None

    def last(self) -> tuple[int, np.ndarray] | None:
        if self._seen == self._head:
            return None
        return int(self._t[self._seen - 1]), self._v[self._seen - 1]

    def _bounds(self, t0_us: int, t1_us: int) -> tuple[int, int]:
        t = self._t[self._head:self._seen]
        i = int(np.searchsorted(t, max(t0_us, self.horizon_us), "left"))
        j = int(np.searchsorted(t, t1_us, "right"))
        return self._head + i, self._head + max(i, j)

    def window(self, t0_us: int, t1_us: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Processed samples with t0 <= t <= t1 (and t >= the horizon)."""
        i, j = self._bounds(t0_us, t1_us)
        return self._t[i:j], {c: self._v[i:j, k] for c, k in self._index.items()}

    def column(self, name: str, t0_us: int, t1_us: int) -> tuple[np.ndarray, np.ndarray]:
        i, j = self._bounds(t0_us, t1_us)
        return self._t[i:j], self._v[i:j, self._index[name]]

    def advance_horizon(self, t_us: int) -> None:
        """Look-backs stop here from now on (the horizon only moves forward)."""
        if t_us > self.horizon_us:
            self.horizon_us = t_us

    def trim(self) -> None:
        """Give back memory behind the horizon (a look-back never goes there)."""
        self._head += int(np.searchsorted(self._t[self._head:self._seen], self.horizon_us))

    def clear(self) -> None:
        """Forget every processed sample (a stream gap); unprocessed ones stay."""
        self._head = self._seen

"""Recent processed samples, kept so a judgement made now can look back
(where exactly did this pull start?) and so rep metrics can be computed
over the rep once it ends. The only look-back the analysis has."""

from __future__ import annotations

import bisect

import numpy as np

TRIM_AT = 8192


class History:
    """Columns of time-ordered samples: ``t_us`` (int) plus named float columns."""

    def __init__(self, *columns: str):
        self.t_us: list[int] = []
        self.cols: dict[str, list[float]] = {c: [] for c in columns}

    def append(self, t_us: int, **values: float) -> None:
        self.t_us.append(t_us)
        for name, value in values.items():
            self.cols[name].append(value)

    def __len__(self) -> int:
        return len(self.t_us)

    def index_after(self, t_us: int) -> int:
        """First index with time >= t_us."""
        return bisect.bisect_left(self.t_us, t_us)

    def window(self, t0_us: int, t1_us: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """Samples with t0 <= t <= t1, as arrays."""
        i = bisect.bisect_left(self.t_us, t0_us)
        j = bisect.bisect_right(self.t_us, t1_us)
        return (np.asarray(self.t_us[i:j], dtype=np.int64),
                {k: np.asarray(v[i:j], dtype=float) for k, v in self.cols.items()})

    def trim_before(self, t_us: int) -> None:
        """Forget samples older than ``t_us`` (amortised: only when long)."""
        if len(self.t_us) < TRIM_AT:
            return
        i = bisect.bisect_left(self.t_us, t_us)
        if i:
            del self.t_us[:i]
            for v in self.cols.values():
                del v[:i]

    def clear(self) -> None:
        self.t_us.clear()
        for v in self.cols.values():
            v.clear()

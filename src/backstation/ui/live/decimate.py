"""What the live plot draws of a long curve: peak decimation, as pyqtgraph's
``PlotDataItem`` does it (``setDownsampling(method="peak")``), without the
item's per-call bookkeeping, so the plot can hand a bare ``PlotCurveItem``
its points (docs/performance.md, the live view's CPU budget).

``PlotDataItem`` with a fixed ``ds`` and ``method="peak"`` is the reference
twin: tests/test_ui_live_decimate.py compares both on long random inputs.
"""

from __future__ import annotations

import numpy as np

# pyqtgraph's autoDownsampleFactor: points kept per pixel column, about.
POINTS_PER_PX = 5.0


def decimation_factor(n_points: int, span_s: float, view_span_s: float, width_px: float) -> int:
    """pyqtgraph's automatic factor: the samples one pixel column spans,
    over ``POINTS_PER_PX`` (``n_points`` samples over ``span_s`` seconds,
    a view ``view_span_s`` wide drawn on ``width_px`` pixels)."""
    if n_points < 2 or span_s <= 0 or width_px <= 0:
        return 1
    dx = span_s / (n_points - 1)
    return max(1, int(view_span_s / dx / (width_px * POINTS_PER_PX)))


def peak_decimate(x: np.ndarray, y: np.ndarray, ds: int) -> tuple[np.ndarray, np.ndarray]:
    """Each run of ``ds`` samples as two points, its maximum then its
    minimum, both at the time of the run's middle sample; a last partial
    run is dropped (as pyqtgraph does)."""
    if ds <= 1:
        return x, y
    n = len(x) // ds
    start = ds // 2
    xs = np.repeat(x[start:start + n * ds:ds], 2)
    runs = y[:n * ds].reshape(n, ds)
    ys = np.empty(2 * n)
    ys[0::2] = runs.max(axis=1)
    ys[1::2] = runs.min(axis=1)
    return xs, ys

"""The live plot's fast paths against their reference twins (STYLE habit 15):
its own peak decimation against pyqtgraph's ``PlotDataItem`` (which it no
longer calls per frame), and a plot drawn frame by frame as samples come
(frames skipped when nothing changed) against one drawn once at the end.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from backstation.analysis.calibration import ForceCalibration
from backstation.samples import DistanceBlock, ForceBlock
from backstation.ui.buffers import SessionBuffers
from backstation.ui.live.decimate import decimation_factor, peak_decimate
from backstation.ui.live.plot import SessionBuffersView

CURVES = ("total", "left", "right", "gap")


def _reference_peak(x, y, ds):
    item = pg.PlotDataItem()
    item.setDownsampling(ds=ds, auto=False, method="peak")
    item.setData(x, y)
    return item.getData()


@pytest.mark.parametrize("seed", range(6))
def test_peak_decimation_shows_what_pyqtgraph_shows(qapp, seed):
    rng = np.random.default_rng(seed)
    for _ in range(20):
        n = int(rng.integers(0, 20_000))
        ds = int(rng.choice([1, 2, 3, 7, 10, 33, 64, 500, 25_000]))
        x = np.cumsum(rng.uniform(1e-4, 2e-3, n)) - rng.uniform(0, 100)
        # Quiet, huge, negative and stepped values, and runs of one value.
        y = rng.choice([1.0, 1e6, -5e3]) * rng.standard_normal(n)
        y[rng.random(n) < 0.05] = rng.choice([-1e9, 0.0, 3e8])
        ours = peak_decimate(x, y, ds)
        ref = _reference_peak(x, y, ds)
        if n == 0 or n < ds:
            assert len(ours[0]) == 0 and (ref[0] is None or len(ref[0]) == 0)
            continue
        assert np.array_equal(ours[0], ref[0]) and np.array_equal(ours[1], ref[1]), (n, ds)


def test_decimation_factor_is_pyqtgraphs_automatic_one():
    # 60 s at 1 kHz on 780 px: 60,000 / (780 x 5) samples per point pair.
    assert decimation_factor(60_001, 60.0, 60.3, 780.0) == 15
    assert decimation_factor(801, 10.0, 10.3, 780.0) == 1        # 80 Hz, 10 s: every sample
    assert decimation_factor(1, 0.0, 10.3, 780.0) == 1
    assert decimation_factor(5_000, 5.0, 10.3, 0.0) == 1          # not laid out yet


def _blocks(rate_hz: float, seconds: float, block_s: float, seed: int):
    """Force at ``rate_hz`` and a 50 Hz gap (with missed echoes) in blocks of
    random length around ``block_s``, as the link hands them over."""
    rng = np.random.default_rng(seed)
    t_us = (np.arange(int(seconds * rate_hz)) * 1e6 / rate_hz).astype(np.int64)
    raw = (rng.normal(0, 50, (len(t_us), 2)).cumsum(axis=0) + 2e5).astype(np.int32)
    raw[rng.random(len(t_us)) < 0.002] = np.iinfo(np.int32).max     # a spike
    g_us = (np.arange(int(seconds * 50)) * 20_000).astype(np.int64)
    gap = rng.integers(0, 700, len(g_us)).astype(np.int32)
    gap[rng.random(len(g_us)) < 0.1] = -1                           # no echo
    edges = np.cumsum(rng.uniform(0.2, 1.8, int(2 * seconds / block_s) + 2) * block_s * 1e6)
    fi = np.searchsorted(t_us, np.concatenate([[0], edges]))
    gi = np.searchsorted(g_us, np.concatenate([[0], edges]))
    for k in range(len(edges)):
        f, d = slice(fi[k], fi[k + 1]), slice(gi[k], gi[k + 1])
        n, m = fi[k + 1] - fi[k], gi[k + 1] - gi[k]
        yield (ForceBlock(np.arange(n, dtype=np.uint16), t_us[f], raw[f], np.zeros(n)),
               DistanceBlock(np.arange(m, dtype=np.uint16), g_us[d], gap[d], np.zeros(m)))
        if fi[k + 1] == len(t_us) and gi[k + 1] == len(g_us):
            return


def _view(qtbot, buffers, window_s):
    view = SessionBuffersView(buffers)
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.set_window(window_s)
    return view


@pytest.mark.parametrize(("rate_hz", "window_s", "block_s", "seed"),
                         [(80, 10, 0.03, 1), (1000, 60, 0.4, 2)])
def test_a_plot_drawn_as_samples_come_shows_what_one_drawn_at_the_end_shows(
        qtbot, rate_hz, window_s, block_s, seed):
    cal = ForceCalibration(2)
    cal.set(0, 2e5, 200.0)
    cal.set(1, 1.9e5, 210.0)
    live = SessionBuffers(2)
    view = _view(qtbot, live, window_s)
    for k, (force, distance) in enumerate(_blocks(rate_hz, window_s * 1.3, block_s, seed)):
        live.add(force, distance, cal)
        if k % 7 == 3:
            live.add_rep(int(force.t_device_us[0]) if len(force) else 0,
                         int(live.newest_s * 1e6), k % 2 == 0, None)
        view.refresh()
        view.refresh()                  # nothing new: the frame stays as it was
    whole = SessionBuffers(2)
    for force, distance in _blocks(rate_hz, window_s * 1.3, block_s, seed):
        whole.add(force, distance, cal)
    for rep in live.reps:
        whole.reps.append(rep)
    whole.revision += 1
    reference = _view(qtbot, whole, window_s)
    reference.refresh()
    for name in CURVES:
        ours, ref = view.curve_data(name), reference.curve_data(name)
        assert len(ours[0]) > 10
        np.testing.assert_array_equal(ours[0], ref[0], err_msg=name)
        np.testing.assert_array_equal(ours[1], ref[1], err_msg=name)
    assert view.force_range == reference.force_range


def test_a_refresh_with_nothing_new_sets_no_data(qtbot):
    cal = ForceCalibration(2)
    cal.set(0, 0, 1.0)
    cal.set(1, 0, 1.0)
    buffers = SessionBuffers(2)
    view = _view(qtbot, buffers, 10)
    blocks = _blocks(80, 3, 0.05, 3)
    buffers.add(*next(blocks), cal)
    view.refresh()
    changes = []
    for name in CURVES:
        item = view._gap_curve if name == "gap" else view._curves[name]   # noqa: SLF001
        item.sigPlotChanged.connect(changes.append)
    view.refresh()
    assert changes == []
    buffers.add(*next(blocks), cal)
    view.refresh()
    assert len(changes) == len(CURVES)


def test_a_frame_drawn_with_the_views_bounds_is_the_frame_pyqtgraph_would_draw(qtbot):
    """The curves' bounds are their view's (``_WindowCurve``), which holds
    all they draw; a frame with pyqtgraph's own bounds (from the data) has
    the same pixels."""
    cal = ForceCalibration(2)
    cal.set(0, 2e5, 200.0)
    cal.set(1, 1.9e5, 210.0)
    buffers = SessionBuffers(2)
    for force, distance in _blocks(80, 14, 0.5, 4):
        buffers.add(force, distance, cal)
    buffers.add_rep(int(9e6), int(11e6), True, int(10e6))
    view = _view(qtbot, buffers, 10)
    view.refresh()
    # What a partial repaint needs: every pixel a curve may draw (its view,
    # which clips it) inside its bounds, so a change repaints all of it.
    for plot, curves in ((view._force, view._curves.values()),           # noqa: SLF001
                         (view._gap, [view._gap_curve])):                # noqa: SLF001
        for curve in curves:
            assert curve.boundingRect().contains(plot.vb.viewRect())
    ours = _settled_frame(view)
    for curve in (*view._curves.values(), view._gap_curve):  # noqa: SLF001
        curve.prepareGeometryChange()
        curve.view_bounds = False
    reference = _settled_frame(view)
    assert ours.size() == reference.size()
    assert ours == reference


def _settled_frame(view):
    """The canvas once two grabs in a row agree (the first paints after a
    layout change still move the axes' cached pixmaps)."""
    last = None
    for _ in range(20):
        QApplication.processEvents()
        frame = view._canvas.grab().toImage()   # noqa: SLF001
        if frame == last:
            return frame
        last = frame
    raise AssertionError("the canvas never settled")


def test_rack_mode_draws_the_curves_wide_enough_to_read_from_the_rack(qtbot, main_window):
    from backstation.ui.live.plot import CURVE_PEN_PX, RACK_PEN_PX

    plot = main_window.live.plot
    assert plot.curve_pen_px == CURVE_PEN_PX
    main_window.live.set_rack_mode(True)
    assert plot.curve_pen_px == RACK_PEN_PX > CURVE_PEN_PX
    main_window.live.set_rack_mode(False)
    assert plot.curve_pen_px == CURVE_PEN_PX

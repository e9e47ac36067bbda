"""Where a pull left a still hang: the force's change point.

Before a pull from a still hang the force is flat (the body's share, plus
the ADC's noise); the pull raises it. How fast depends on the athlete: a
jolt steps it up within a sample, a slow pull (3 s up) raises it by 2 % of
rest only 0.3-0.4 s after the chest began to move. A fixed threshold crossing
finds the jolt and is late on the slow pull by the time the rise takes to
reach it; so the threshold only says *that* the force left its rest, and
the start is the change point before it: the hinge (flat, then a straight
rise) that fits the force best between the quiet stretch and the
crossing. This is the onset estimate of force-plate practice (a baseline,
a threshold to detect, a fit back to the baseline to date).

A quiet stretch is QUIET_S (at least QUIET_MIN_SAMPLES samples) of force
within half the onset margin. A lowering brakes, a body settles after
getting on, a shrug moves the force: none of those is quiet, so the rest
level is where the body was still. The rest is the lower quartile of the
last quiet run's last REST_TAIL_S; if nothing after it rises a margin
over that (a slow pull's whole rise can be quiet over QUIET_S, and then
its last second is the rise), the rest trails each sample by QUIET_S to
REST_TAIL_S. A run with no rise after it (a pull that flattens near its
top) is passed over. A pull may push, hold the force over rest while the
chest rises, and push again: an earlier quiet run a little under the
later one (STEP_SHARE to STEP_MAX_SHARE), with the chest higher over the
later one (the gap STEP_MM shorter), is where the pull began.

The hinge is fitted over HINGE_S before the crossing and up to where the
force is HINGE_TO_MARGINS over rest (at most HINGE_AFTER_S after it), so
that the rise it fits is the pull's and not the hang's own drift.

With no quiet run (a touch-and-go turn, a pull straight out of getting on)
there is no hang to leave and the caller dates the pull otherwise
(reps.RepTracker._onset_index). docs/analysis.md ("Start") gives the
figures.
"""

from __future__ import annotations

import numpy as np

QUIET_S = 0.15             # a quiet stretch: the force this long ...
QUIET_MIN_SAMPLES = 3      # ... and at least this many samples (10 SPS) ...
QUIET_SHARE = 0.5          # ... within this share of the onset margin
REST_TAIL_S = 1.0          # the rest level: the quiet run's last second, ...
REST_PERCENTILE = 25       # ... its lower quartile (a slow pull's first rise may be in it)
REST_STEP_S = 0.025        # ... taken again this often
SCAN_S = 2.5               # the rise is looked for this long before the push peak
STEP_SHARE = 0.5           # a quiet run this share of the margin under the next: rest before a first push
STEP_MAX_SHARE = 0.1       # ... but no further under it than this share (getting on loads the bar)
STEP_MM = 5.0              # ... and the chest higher over it by this
HINGE_S = 0.6              # the change point is fitted over this long before the crossing ...
HINGE_TO_MARGINS = 2.0     # ... and after it, to where the force is this many margins over rest,
HINGE_AFTER_S = 0.15       # ... or this long after the crossing (a first push may stop short of it)


def quiet_mask(t_us: np.ndarray, force: np.ndarray, band_n: float) -> tuple[np.ndarray, np.ndarray]:
    """For each sample, whether the QUIET_S up to it (at least
    QUIET_MIN_SAMPLES samples, counted at the window's typical sample
    spacing) kept within ``band_n``, and where that stretch began."""
    n = force.size
    step = float(np.median(np.diff(t_us))) if n > 1 else 1.0
    w = max(QUIET_MIN_SAMPLES, int(round(QUIET_S * 1e6 / max(step, 1.0))) + 1)
    quiet = np.zeros(n, bool)
    starts = np.maximum(np.arange(n) - (w - 1), 0)
    if n >= w:
        win = np.lib.stride_tricks.sliding_window_view(force, w)
        quiet[w - 1:] = win.max(axis=1) - win.min(axis=1) <= band_n
    return quiet, starts


def hinge_index(t_us: np.ndarray, force: np.ndarray) -> int | None:
    """The sample where a flat level turned into a straight rise, for the
    continuous hinge ``c + s * max(0, t - t_k)`` (s > 0) that fits
    ``force`` best in least squares; None if no hinge rises."""
    n = force.size
    if n < 3:
        return None
    t = (t_us - t_us[0]) / 1e6
    f = force.astype(float)
    # sums over i >= k, for every k (reverse cumulative sums)
    r = slice(None, None, -1)
    cnt = np.arange(n, 0, -1, dtype=float)
    s_t = np.cumsum(t[r])[r]
    s_tt = np.cumsum((t * t)[r])[r]
    s_f = np.cumsum(f[r])[r]
    s_tf = np.cumsum((t * f)[r])[r]
    tk = t
    sx = s_t - cnt * tk
    sxx = s_tt - 2 * tk * s_t + cnt * tk * tk
    sxf = s_tf - tk * s_f
    sf, sff = f.sum(), (f * f).sum()
    den = n * sxx - sx * sx
    ok = den > 1e-12
    slope = np.where(ok, (n * sxf - sx * sf) / np.where(ok, den, 1.0), 0.0)
    c = (sf - slope * sx) / n
    sse = sff - c * sf - slope * sxf
    sse = np.where(ok & (slope > 0), sse, np.inf)
    sse[0] = np.inf                   # a flat part of at least one sample
    k = int(np.argmin(sse))
    return k if np.isfinite(sse[k]) else None


def _first_rise(t_us: np.ndarray, force: np.ndarray, run_lo: int, first: int,
                margin_n: float) -> tuple[int, float] | None:
    """The first sample from the quiet run begun at ``run_lo`` that is
    ``margin_n`` over the rest before it, and that rest: the lower quartile
    of the REST_TAIL_S up to QUIET_S before the sample. For a run that a
    slow pull's whole rise is quiet in (over QUIET_S), whose last second's
    rest is the rise itself."""
    base = None
    next_us = -1
    lo_scan = max(first, int(np.searchsorted(t_us, t_us[-1] - int(SCAN_S * 1e6))))
    for i in range(lo_scan, force.size):
        if t_us[i] >= next_us:      # the rest, every REST_STEP_S
            a = max(run_lo, int(np.searchsorted(t_us, t_us[i] - int(REST_TAIL_S * 1e6))))
            b = int(np.searchsorted(t_us, t_us[i] - int(QUIET_S * 1e6), side="right"))
            if b - a < QUIET_MIN_SAMPLES:
                continue
            base = float(np.percentile(force[a:b], REST_PERCENTILE))
            next_us = t_us[i] + int(REST_STEP_S * 1e6)
        if base is not None and force[i] > base + margin_n:
            return i, base
    return None


def _rose(gap: tuple[np.ndarray, np.ndarray] | None, before: tuple[int, int],
          after: tuple[int, int]) -> bool:
    """The chest was higher (the gap shorter by STEP_MM) over ``after`` than
    over ``before``, by the readings' medians."""
    if gap is None:
        return False
    t, g = gap
    a = g[(t >= before[0]) & (t <= before[1])]
    b = g[(t >= after[0]) & (t <= after[1])]
    return bool(a.size and b.size and np.median(b) <= np.median(a) - STEP_MM)


def quiet_onset(t_us: np.ndarray, force: np.ndarray, margin_n: float,
                gap: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[int, float] | None:
    """The start (µs) of a pull whose force, up to its push peak, is
    ``t_us, force``, and the rest level it rose from; None when no quiet
    run precedes its rise over rest + ``margin_n``."""
    if force.size < QUIET_MIN_SAMPLES + 1:
        return None
    quiet, starts = quiet_mask(t_us, force, QUIET_SHARE * margin_n)
    idx = np.flatnonzero(quiet)
    if not idx.size:
        return None
    cuts = np.flatnonzero(np.diff(idx) > 1) + 1
    found = None
    for n_run, run in enumerate(reversed(np.split(idx, cuts))):
        first, last = int(run[0]), int(run[-1])
        tail_lo = max(int(starts[first]),
                      int(np.searchsorted(t_us, t_us[last] - int(REST_TAIL_S * 1e6))))
        base = float(np.percentile(force[tail_lo:last + 1], REST_PERCENTILE))
        over = np.flatnonzero(force[tail_lo:] > base + margin_n)
        crossing = (tail_lo + int(over[0]), base) if over.size else \
            _first_rise(t_us, force, int(starts[first]), first, margin_n) if n_run == 0 else None
        if crossing is None:
            if found is not None:
                break      # a held level between: the pull rose from the later run
            # a pull that flattens near its top may be quiet there again
            continue
        e, base = crossing
        if found is not None and (base > found[1] - STEP_SHARE * margin_n
                                  or base < (1 - STEP_MAX_SHARE) * found[1] or not _rose(
                gap, (t_us[first], t_us[last]), (t_us[found[0]], t_us[found[2]]))):
            break      # no small step down to this run: the pull rose from the later one
        found = (first, base, e)
        # A pull may push twice, with a quiet stretch between, the force
        # held over rest: it began with the first push, from a lower level.
    if found is None:
        return None
    first, base, e = found
    return rise_start(t_us, force, e, int(starts[first]), base, margin_n), base


def rise_start(t_us: np.ndarray, force: np.ndarray, e: int, lo: int, base: float,
               margin_n: float) -> int:
    """Where the rise that first crossed rest + ``margin_n`` at sample ``e``
    began: the hinge fitted from no earlier than ``lo``, HINGE_S before the
    crossing, up to where the rise is well clear of the rest's own drift
    (HINGE_TO_MARGINS over ``base``, at most HINGE_AFTER_S after the
    crossing), so that the fitted rise is the pull's."""
    lo = max(lo, int(np.searchsorted(t_us, t_us[e] - int(HINGE_S * 1e6))))
    clear = np.flatnonzero(force[e:] >= base + HINGE_TO_MARGINS * margin_n)
    hi = e + (int(clear[0]) if clear.size else force.size - 1 - e)
    hi = min(hi, int(np.searchsorted(t_us, t_us[e] + int(HINGE_AFTER_S * 1e6), side="right")) - 1)
    k = hinge_index(t_us[lo:hi + 1], force[lo:hi + 1])
    return int(t_us[e if k is None else lo + k])

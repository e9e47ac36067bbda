"""Per-rep and per-set numbers (docs/design.md §4). Plain functions of arrays over
one rep, so each has a known answer on a synthetic signal."""

from __future__ import annotations

import numpy as np

from .config import (
    RFD_MIN_RATE_HZ, RFD_WINDOW_S, TOP_BAND_MM,
)
from .results import Rep, SetResult

JOLT_MIN_RATE_HZ = 40.0     # from this rate a jolt (an arm stop, a knock) shows narrower than a pull


def peak_force(t_s: np.ndarray, force_n: np.ndarray, rate_hz: float) -> float | None:
    """The highest sample refined with the parabola through it and its
    neighbours: a 10 SPS sample can miss the true peak of a 1 s pull by a
    few %, an 80 SPS one the peak of a 0.2 s burnout pull by 1-2 %. The
    vertex is clamped to half a sample either side, so on a flat, noisy top
    the refinement stays within the noise. At JOLT_MIN_RATE_HZ and more the
    top must also be smooth (``_smooth_around``): there a jolt is narrower
    than any pull, and the parabola through one overshoots it."""
    if force_n.size == 0:
        return None
    i = int(np.argmax(force_n))
    peak = float(force_n[i])
    if 0 < i < force_n.size - 1:
        y0, y1, y2 = force_n[i - 1], force_n[i], force_n[i + 1]
        curvature = y0 - 2 * y1 + y2
        if curvature < 0 and (rate_hz < JOLT_MIN_RATE_HZ or _smooth_around(force_n, i, curvature)):
            offset = min(0.5, max(-0.5, 0.5 * (y0 - y2) / curvature))   # in samples
            peak = float(y1 - 0.25 * (y0 - y2) * offset)
    return peak


def _smooth_around(force_n: np.ndarray, i: int, curvature: float) -> bool:
    """The parabola through the highest sample and its neighbours also passes
    within its one-sample bend (``|curvature|``) of the samples two either
    side: the top is a smooth peak, worth refining. A jolt (a spike a sample
    or two wide) is not; its highest sample is the peak."""
    y1, slope = force_n[i], 0.5 * (force_n[i + 1] - force_n[i - 1])
    for k in (-2, 2):
        if 0 <= i + k < force_n.size:
            fitted = y1 + slope * k + 0.5 * curvature * k * k
            if abs(fitted - force_n[i + k]) > abs(curvature):
                return False
    return True


def impulse(t_s: np.ndarray, force_n: np.ndarray) -> float | None:
    """Total force integrated over the rep (trapezoids), N·s: the body's
    share on the bar included, not only the force above it."""
    if force_n.size < 2:
        return None
    return float(np.sum(0.5 * (force_n[1:] + force_n[:-1]) * np.diff(t_s)))


def time_mean(t_s: np.ndarray, values: np.ndarray) -> float | None:
    if values.size == 0:
        return None
    span = t_s[-1] - t_s[0] if t_s.size > 1 else 0.0
    if span <= 0:
        return float(np.mean(values))
    return float(np.sum(0.5 * (values[1:] + values[:-1]) * np.diff(t_s)) / span)


def asymmetry_pct(left_n: float | None, right_n: float | None) -> float | None:
    """(left - right) / (left + right) x 100: + means the left side pulls more."""
    if left_n is None or right_n is None or left_n + right_n <= 0:
        return None
    return 100.0 * (left_n - right_n) / (left_n + right_n)


def rfd(t_s: np.ndarray, force_n: np.ndarray, rate_hz: float) -> tuple[float | None, str | None]:
    """Steepest rise of force over ``RFD_WINDOW_S`` in the pull, N/s, or why not."""
    if rate_hz < RFD_MIN_RATE_HZ:
        return None, (f"{rate_hz:.0f} SPS is too slow for rate of force development "
                      f"(needs {RFD_MIN_RATE_HZ:.0f} SPS or more)")
    if force_n.size < 2:
        return None, "too few force samples in the pull"
    k = max(1, int(round(RFD_WINDOW_S * rate_hz)))
    if force_n.size <= k:
        k = force_n.size - 1
    rise = (force_n[k:] - force_n[:-k]) / (t_s[k:] - t_s[:-k])
    return float(np.max(rise)), None


def gap_phases(t_s: np.ndarray, gap_mm: np.ndarray, t_start_s: float, t_end_s: float,
               ) -> dict[str, float | None]:
    """ROM, minimum gap and the concentric / top-hold / eccentric split.

    The top is where the gap is within max(TOP_BAND_MM, 3 % of ROM) of its
    minimum (the minimum taken on a 3-sample median, so one low reading does
    not set it). Concentric: start to the first time in the top band; top
    hold: first to last time in it; eccentric: last time in it to the end.
    """
    ok = ~np.isnan(gap_mm)
    t, g = t_s[ok], gap_mm[ok]
    out: dict[str, float | None] = dict.fromkeys(
        ("rom_mm", "min_gap_mm", "concentric_s", "top_hold_s", "eccentric_s",
         "mean_concentric_velocity_m_s"))
    if g.size < 3:
        return out
    smooth = np.median(np.stack([g[:-2], g[1:-1], g[2:]]), axis=0)
    t_mid = t[1:-1]
    min_gap = float(smooth.min())
    start_gap = float(np.max(smooth[: max(1, smooth.size // 4)]))
    rom = start_gap - min_gap
    band = max(TOP_BAND_MM, 0.03 * rom)
    top = np.nonzero(smooth <= min_gap + band)[0]
    t_in, t_out = float(t_mid[top[0]]), float(t_mid[top[-1]])
    concentric = t_in - t_start_s
    out.update(rom_mm=rom, min_gap_mm=min_gap, concentric_s=concentric,
               top_hold_s=t_out - t_in, eccentric_s=t_end_s - t_out)
    if concentric > 0:
        travel = start_gap - float(smooth[top[0]])
        out["mean_concentric_velocity_m_s"] = travel / 1000.0 / concentric
    return out


def fill_rep_metrics(rep: Rep, t_f_s: np.ndarray, force_n: np.ndarray, channels_n: np.ndarray,
                     t_g_s: np.ndarray, gap_mm: np.ndarray, rate_hz: float,
                     body_weight_n: float | None) -> None:
    """Every metric of one rep from its samples (times in seconds)."""
    t0, t1 = rep.t_start_us / 1e6, rep.t_end_us / 1e6
    rep.peak_force_n = peak_force(t_f_s, force_n, rate_hz)
    rep.mean_force_n = time_mean(t_f_s, force_n)
    rep.impulse_ns = impulse(t_f_s, force_n)
    if body_weight_n and rep.peak_force_n is not None:
        rep.peak_force_pct_bm = 100.0 * rep.peak_force_n / body_weight_n
        rep.mean_force_pct_bm = 100.0 * (rep.mean_force_n or 0.0) / body_weight_n
    if channels_n.ndim == 2 and channels_n.shape[1] == 2 and channels_n.shape[0]:
        rep.asymmetry_pct = asymmetry_pct(time_mean(t_f_s, channels_n[:, 0]),
                                          time_mean(t_f_s, channels_n[:, 1]))
    phases = gap_phases(t_g_s, gap_mm, t0, t1)
    for name, value in phases.items():
        setattr(rep, name, value)
    t_top = t1 if rep.concentric_s is None else t0 + rep.concentric_s
    pull = t_f_s <= t_top
    rep.rfd_n_per_s, rep.rfd_unavailable_reason = rfd(t_f_s[pull], force_n[pull], rate_hz)


def _loss_pct(values: list[float]) -> float | None:
    """(best - last) / best x 100 across the set."""
    if len(values) < 2:
        return None
    best = max(values)
    return None if best <= 0 else 100.0 * (best - values[-1]) / best


def fill_set_metrics(s: SetResult) -> None:
    reps = s.reps
    s.velocity_loss_pct = _loss_pct([r.mean_concentric_velocity_m_s for r in reps
                                     if r.mean_concentric_velocity_m_s is not None])
    s.peak_force_decay_pct = _loss_pct([r.peak_force_n for r in reps if r.peak_force_n is not None])
    s.range_loss_pct = _loss_pct([r.rom_mm for r in reps if r.rom_mm is not None])
    if len(reps) >= 2 and reps[-1].t_end_us > reps[0].t_start_us:
        s.reps_per_min = 60e6 * len(reps) / (reps[-1].t_end_us - reps[0].t_start_us)
    else:
        s.reps_per_min = None

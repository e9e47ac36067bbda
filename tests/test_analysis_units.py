"""Unit behaviour of the analysis parts on synthetic signals with known answers."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.analysis import (
    AnalysisConfig, AnalysisPipeline, ContactDetector, GapFilter, RepCompleted, SetEnded,
    SetStarted, contact_threshold_from_touch,
)
from backstation.analysis.metrics import asymmetry_pct, gap_phases, impulse, peak_force, rfd
from backstation.analysis.sets import SetSegmenter
from backstation.device.sim.truth import settled_index
from backstation.samples import DistanceBlock, ForceBlock

SCALE = 100.0   # counts per newton in the synthetic blocks


# ----- contact -----------------------------------------------------------------

def feed_contact(gaps, contact_mm=25.0):
    det = ContactDetector(contact_mm)
    changes = []
    for i, g in enumerate(gaps):
        t = det.update(i * 50_000, g)
        if t is not None:
            changes.append((t, det.in_contact))
    return changes


def test_contact_needs_two_readings_under_threshold_and_is_dated_from_the_first():
    assert feed_contact([60, 40, 24, 30, 60]) == []            # one low reading: noise
    assert feed_contact([60, 24, 20, 18]) == [(50_000, True)]


def test_one_deep_reading_on_a_fast_chest_path_is_a_contact():
    """Touch-and-go at two reps a second under a 10 Hz sensor: the chest is at
    the bar for one reading, and the readings on both sides point at it."""
    assert feed_contact([274, 128, 10, 29, 207, 316]) == [(100_000, True), (150_000, False)]
    assert feed_contact([274, 83, 6, 104, 256, 300]) == [(100_000, True), (150_000, False)]


def test_one_near_zero_reading_where_the_chest_is_still_or_elsewhere_is_no_contact():
    assert feed_contact([72, 70, 5, 70, 71, 70]) == []          # a sleeve at a no-contact top
    assert feed_contact([350, 300, 3, 200, 150, 100]) == []     # a hand mid-pull
    assert feed_contact([80, 55, 5, 55, 80, 90]) == []          # the path turns 50 mm short of the bar


def test_contact_is_kept_until_the_gap_clears_threshold_plus_hysteresis():
    changes = feed_contact([20, 20, 30, 34, 30, 33, 36, 36])
    assert changes == [(0, True), (300_000, False)]


def test_a_missed_echo_neither_breaks_nor_makes_a_contact():
    assert feed_contact([20, 20, -1, -1, 20, 20]) == [(0, True)]
    assert feed_contact([20, -1, 20]) == [(0, True)]           # dwell spans the missed echo
    assert feed_contact([-1, -1, -1, -1]) == []


def test_gap_filter_holds_the_last_reading_briefly_then_says_unknown():
    f = GapFilter()
    assert f.update(0, 100) == 100
    assert f.update(50_000, -1) == 100
    assert f.update(200_000, -1) == 100
    assert f.update(250_000, -1) is None
    assert f.update(300_000, 90) == 90


def test_touch_calibration_gives_a_threshold_with_margin_above_the_touch():
    rng = np.random.default_rng(1)
    touch = np.round(8 + 1.2 * rng.standard_normal(40)).astype(int)
    touch[5] = -1
    threshold = contact_threshold_from_touch(touch)
    assert touch.max() + 5 <= threshold <= 30


@pytest.mark.parametrize("gaps, words", [
    (np.full(40, 300), "not on the bar"),
    (np.r_[np.full(20, 10), np.full(20, 60)], "hold still"),
    (np.full(40, -1), "missed"),
    (np.array([], int), "no distance"),
])
def test_touch_calibration_refuses_what_is_not_a_steady_touch(gaps, words):
    with pytest.raises(ValueError, match=words):
        contact_threshold_from_touch(gaps)


# ----- sets ---------------------------------------------------------------------

def test_set_starts_after_half_a_second_over_threshold_and_ends_after_three_under():
    seg = SetSegmenter(100.0, 500_000, 3_000_000)
    out = []
    for i in range(800):
        t = i * 12_500
        force = 500.0 if 80 <= i < 400 else (150.0 if i < 20 else 0.0)   # a 0.25 s blip first
        out += seg.update(t, force)
    assert out[0] == ("start", 80 * 12_500)
    assert ("release", 400 * 12_500) in out
    assert out[-1] == ("end", 400 * 12_500)
    assert [kind for kind, _ in out] == ["start", "release", "end"]


# ----- synthetic sessions through the pipeline -----------------------------------

def min_jerk(tau):
    tau = np.clip(tau, 0, 1)
    return tau ** 3 * (10 - 15 * tau + 6 * tau ** 2)


def synthetic(reps, rate_hz=80.0, static_n=500.0, left_share=0.5, bottom_mm=500.0,
              mass_kg=50.0, drop=None):
    """A set: load on at 1 s, reps (pull_s, hold_s, lower_s, pause_s, top_mm[, back_mm])
    from 3 s, load off 2 s after. Force = static + mass x chest acceleration."""
    segs = []                       # (t0, t1, g0, g1)
    t = 3.0
    windows = []
    gap = bottom_mm
    for spec in reps:
        pull, hold, lower, pause, top = spec[:5]
        back = spec[5] if len(spec) > 5 else bottom_mm
        segs.append((t, t + pause, gap, gap)); t += pause
        start = t
        segs.append((t, t + pull, gap, top)); t += pull
        segs.append((t, t + hold, top, top)); t += hold
        segs.append((t, t + lower, top, back))
        # the rep ends where the chest settled (docs/validation.md), from the
        # lowering's fastest moment (its middle)
        tau = np.arange(0.5, 1.0, 0.001 / lower)
        speed = (back - top) / lower * 30 * tau ** 2 * (1 - tau) ** 2
        settled = settled_index(speed, 0.001)
        t += lower
        windows.append((start, t if settled is None else t - lower * (1 - tau[settled])))
        gap = back
    segs.append((t, t + 1.0, gap, gap)); t += 1.0
    off = t
    end = off + 4.0
    t_f = np.arange(0, end, 1 / rate_hz)
    t_d = np.arange(0.02, end, 0.05)

    def gap_and_accel(ts):
        g = np.full(ts.shape, bottom_mm)
        a = np.zeros(ts.shape)
        for t0, t1, g0, g1 in segs:
            m = (ts >= t0) & (ts < t1)
            tau = (ts[m] - t0) / (t1 - t0)
            g[m] = g0 + (g1 - g0) * min_jerk(tau)
            a[m] = -(g1 - g0) / 1000 / (t1 - t0) ** 2 * (60 * tau - 180 * tau ** 2 + 120 * tau ** 3)
        g[ts >= t] = gap
        return g, a

    _, accel = gap_and_accel(t_f)
    on = np.clip((t_f - 0.5) / 0.5, 0, 1) * np.clip((off + 0.5 - t_f) / 0.5, 0, 1)
    total = on * (static_n + mass_kg * accel)
    raw = np.stack([total * left_share, total * (1 - left_share)], axis=1) * SCALE
    gaps, _ = gap_and_accel(t_d)
    gaps = np.where((t_d < 0.5) | (t_d > off + 0.5), 870, np.round(gaps)).astype(np.int32)
    if drop is not None:
        gaps[(t_d >= drop[0]) & (t_d < drop[1])] = -1
    force = ForceBlock(np.arange(len(t_f)) % 65536, (t_f * 1e6).astype(np.int64),
                       np.round(raw).astype(np.int32), t_f.copy())
    dist = DistanceBlock(np.arange(len(t_d)) % 65536, (t_d * 1e6).astype(np.int64), gaps,
                         t_d.copy())
    return force, dist, windows, (0.5, off + 0.5)


def analyse(force, dist, **config):
    p = AnalysisPipeline(AnalysisConfig(**config), 2)
    for ch in (0, 1):
        p.set_calibration(ch, 0, SCALE)
    events = p.feed(force, dist) + p.finish()
    return p, events


GOOD = (1.0, 0.5, 1.5, 0.6, 5.0)


def test_three_good_reps_are_three_valid_reps_with_the_right_times():
    force, dist, windows, _ = synthetic([GOOD] * 3)
    p, events = analyse(force, dist, body_mass_kg=80)
    assert [type(e) for e in events if not hasattr(e, "in_contact")][0] is SetStarted
    assert isinstance(events[-1], SetEnded)
    reps = p.sets[0].reps
    assert [(r.valid, r.reason) for r in reps] == [(True, None)] * 3
    for rep, (t0, t1) in zip(reps, windows):
        assert rep.t_start_us / 1e6 == pytest.approx(t0, abs=0.03)
        assert rep.t_end_us / 1e6 == pytest.approx(t1, abs=0.08)
        assert rep.t_contact_us is not None
    assert sum(isinstance(e, RepCompleted) for e in events) == 3


def test_a_rep_that_stops_short_of_the_bar_is_no_contact():
    force, dist, _, _ = synthetic([GOOD, (1.0, 0.3, 1.5, 0.6, 90.0), GOOD])
    p, _ = analyse(force, dist)
    assert [r.reason for r in p.sets[0].reps] == [None, "no_contact", None]


def test_a_wiggle_smaller_than_the_minimum_range_is_not_a_rep():
    force, dist, _, _ = synthetic([GOOD, (0.6, 0.2, 0.6, 0.6, 380.0), GOOD])
    p, _ = analyse(force, dist)
    assert len(p.sets[0].reps) == 2


def test_pulling_again_before_the_arms_are_straight_is_no_lockout():
    force, dist, windows, _ = synthetic([GOOD, GOOD + (250.0,), GOOD])
    p, _ = analyse(force, dist)
    reps = p.sets[0].reps
    assert [r.reason for r in reps] == [None, "no_lockout", None]
    assert reps[1].t_end_us / 1e6 == pytest.approx(windows[1][1], abs=0.1)
    assert reps[2].t_start_us / 1e6 == pytest.approx(windows[2][0], abs=0.1)


def test_a_sustained_dropout_over_the_top_is_sensor_dropout_not_no_contact():
    force, dist, windows, _ = synthetic([GOOD, GOOD], drop=(8.0, 9.2))
    assert windows[1][0] < 8.0 and windows[1][1] > 9.2
    p, _ = analyse(force, dist)
    assert [r.reason for r in p.sets[0].reps] == [None, "sensor_dropout"]


def test_a_set_begun_by_hand_on_an_empty_bar_holds_nothing_until_the_load_comes_on():
    """Space pressed with nobody under the bar: nobody holds it from the mark
    on, not only from 0.25 s after the first sample under the load line (in
    that moment the sensor saw legs walking in, 866 mm then 450 mm: a 'pull'
    whose 866 mm became the athlete's straight-arm hang, and every rep of the
    set was no_lockout). No release is told for it; the load coming on holds."""
    seg = SetSegmenter(100.0, 500_000, 3_000_000)
    seg.begin(manual=True, unloaded_at_us=5_000_000)
    assert not seg.holding(5_000_000)
    assert seg.update(5_010_000, 0.0) == []
    assert not seg.holding(5_100_000)
    assert seg.update(6_000_000, 400.0) == []
    assert seg.holding(6_000_000)
    loaded = SetSegmenter(100.0, 500_000, 3_000_000)
    loaded.begin(manual=True)                       # begun with the athlete on
    assert loaded.holding(5_000_000)


def test_letting_go_mid_rep_is_bar_released():
    force, dist, windows, (_, off) = synthetic([GOOD, GOOD])
    cut = windows[1][0] + 0.8           # mid-pull of the second rep
    keep = force.t_device_us < cut * 1e6
    raw = force.raw.copy()
    raw[~keep] = 0
    force = ForceBlock(force.seq, force.t_device_us, raw, force.t_host_s)
    gap = dist.gap_mm.copy()
    after = dist.t_device_us / 1e6 - cut
    falling = after >= 0                                      # the body falls to the floor
    at_cut = gap[np.argmax(falling)]
    gap[falling] = np.minimum(at_cut + 0.5 * 6000.0 * after[falling] ** 2, 800)
    dist = DistanceBlock(dist.seq, dist.t_device_us, gap, dist.t_host_s)
    p, _ = analyse(force, dist)
    reps = p.sets[0].reps
    assert [r.reason for r in reps] == [None, "bar_released"]
    assert reps[1].t_end_us / 1e6 == pytest.approx(cut, abs=0.02)


def test_letting_go_mid_rep_is_bar_released_when_the_load_bounces_as_the_body_falls():
    """The falling body knocks the bar: the load comes back over the threshold
    for a moment, so it is known off only after the gap has already risen."""
    force, dist, windows, (_, off) = synthetic([GOOD, GOOD])
    cut = windows[1][0] + 0.8           # mid-pull of the second rep
    t = force.t_device_us / 1e6
    raw = force.raw.copy()
    raw[t >= cut] = 0
    bounce = (t >= cut + 0.1) & (t < cut + 0.2)
    raw[bounce] = int(150 * SCALE)      # 300 N on the two channels
    force = ForceBlock(force.seq, force.t_device_us, raw, force.t_host_s)
    gap = dist.gap_mm.copy()
    gap[dist.t_device_us >= (cut + 0.15) * 1e6] = 540       # the body drops onto the heels
    dist = DistanceBlock(dist.seq, dist.t_device_us, gap, dist.t_host_s)
    p, _ = analyse(force, dist)
    reps = p.sets[0].reps
    assert [r.reason for r in reps] == [None, "bar_released"]
    assert reps[1].t_end_us / 1e6 == pytest.approx(cut + 0.2, abs=0.02)


def test_standing_up_out_of_a_pull_is_not_a_rep():
    """The load goes off mid-pull but the chest stays where it was (the
    athlete stood up, the legs took the weight): no rep, not a release."""
    force, dist, windows, _ = synthetic([GOOD, GOOD])
    cut = windows[1][0] + 0.8
    raw = force.raw.copy()
    raw[force.t_device_us >= cut * 1e6] = 0
    force = ForceBlock(force.seq, force.t_device_us, raw, force.t_host_s)
    gap = dist.gap_mm.copy()
    after = dist.t_device_us >= cut * 1e6
    gap[after] = gap[np.argmax(after) - 1]
    dist = DistanceBlock(dist.seq, dist.t_device_us, gap, dist.t_host_s)
    p, _ = analyse(force, dist)
    assert [r.reason for r in p.sets[0].reps] == [None]


def test_standing_up_out_of_a_pull_and_walking_away_is_not_a_rep():
    """The legs take the weight mid-pull, the chest stays a moment, then the
    athlete walks out from under the bar: the gap rises fast, but late."""
    force, dist, windows, _ = synthetic([GOOD, GOOD])
    cut = windows[1][0] + 0.8
    raw = force.raw.copy()
    raw[force.t_device_us >= cut * 1e6] = 0
    force = ForceBlock(force.seq, force.t_device_us, raw, force.t_host_s)
    gap = dist.gap_mm.copy().astype(float)
    t = dist.t_device_us / 1e6
    after = t >= cut
    stay = gap[np.argmax(after) - 1]
    gap[after] = np.clip(stay + (t[after] - cut - 0.2) * 1500.0, stay, 900.0)   # 1.5 m/s from 0.2 s
    dist = DistanceBlock(dist.seq, dist.t_device_us, gap.astype(np.int32), dist.t_host_s)
    p, _ = analyse(force, dist)
    assert [r.reason for r in p.sets[0].reps] == [None]


@pytest.mark.parametrize("rate_hz", [10.0, 80.0])
def test_standing_up_while_the_hands_open_is_not_a_rep_at_any_force_rate(rate_hz):
    """The hands open over 0.2 s as the legs take the weight; the chest stays
    0.15 s after the force crossed the load line, then walks away. At 10 SPS
    the first sample under the line comes up to 100 ms after the crossing:
    the stay is timed from the crossing, not from that sample."""
    force, dist, windows, _ = synthetic([GOOD, GOOD], rate_hz=rate_hz)
    cut = windows[1][0] + 0.83
    t = force.t_device_us / 1e6
    share = np.clip((cut - t) / 0.2, 0.0, 1.0)
    raw = (force.raw * share[:, None]).astype(force.raw.dtype)
    force = ForceBlock(force.seq, force.t_device_us, raw, force.t_host_s)
    before = force.raw[t < cut - 0.2].sum(axis=1)[-1] / SCALE    # the total load as the hands open
    crossing = cut - 0.2 * 100.0 / before
    gap = dist.gap_mm.copy().astype(float)
    td = dist.t_device_us / 1e6
    after = td >= crossing
    stay = gap[np.argmax(after) - 1]
    gap[after] = np.clip(stay + (td[after] - crossing - 0.15) * 1500.0, stay, 900.0)
    dist = DistanceBlock(dist.seq, dist.t_device_us, gap.astype(np.int32), dist.t_host_s)
    p, _ = analyse(force, dist, force_rate_hz=rate_hz)
    assert [r.reason for r in p.sets[0].reps] == [None]


def test_without_a_distance_sensor_reps_come_from_force_and_contact_is_unknown():
    force, dist, windows, _ = synthetic([GOOD] * 3)
    p, _ = analyse(force, DistanceBlock.empty(), has_distance=False)
    reps = p.sets[0].reps
    assert len(reps) == 3
    assert all(r.valid is None and r.reason is None and r.t_contact_us is None for r in reps)
    for rep, (t0, _) in zip(reps, windows):
        assert rep.t_start_us / 1e6 == pytest.approx(t0, abs=0.05)


def test_metrics_of_a_known_rep():
    force, dist, windows, _ = synthetic([GOOD, GOOD], left_share=0.35)
    p, _ = analyse(force, dist, body_mass_kg=500 / 9.80665 / 0.62)
    rep = p.sets[0].reps[0]
    assert rep.asymmetry_pct == pytest.approx(-30.0, abs=0.2)
    # min-jerk pull of 495 mm in 1 s: peak acceleration 5.7735 x 0.495 m/s^2
    assert rep.peak_force_n == pytest.approx(500 + 50 * 5.7735 * 0.495, rel=0.005)
    assert rep.rom_mm == pytest.approx(495, abs=3)
    assert rep.min_gap_mm == pytest.approx(5, abs=1)
    duration = (rep.t_end_us - rep.t_start_us) / 1e6
    assert rep.impulse_ns == pytest.approx(500 * duration, rel=0.01)   # accelerations cancel
    assert rep.mean_force_n == pytest.approx(500, rel=0.01)
    assert rep.peak_force_pct_bm == pytest.approx(100 * rep.peak_force_n / (500 / 0.62), rel=1e-6)
    assert rep.concentric_s + rep.top_hold_s + rep.eccentric_s == pytest.approx(duration, abs=0.06)
    assert 0.5 < rep.top_hold_s < 1.0
    assert rep.mean_concentric_velocity_m_s == pytest.approx(0.495 / rep.concentric_s, rel=0.05)
    assert rep.rfd_n_per_s > 0 and rep.rfd_unavailable_reason is None


def test_rfd_is_withheld_at_10_sps_with_the_reason():
    value, reason = rfd(np.arange(10) / 10, np.arange(10.0), 10.0)
    assert value is None and "10 SPS is too slow" in reason


def test_known_impulse_velocity_and_peak_on_plain_signals():
    t = np.linspace(0, 2, 201)
    assert impulse(t, np.full_like(t, 300.0)) == pytest.approx(600.0)
    assert impulse(t, 100 * t) == pytest.approx(200.0)
    value, _ = rfd(t, 100 * t, 100.0)
    assert value == pytest.approx(100.0)
    assert asymmetry_pct(60.0, 40.0) == pytest.approx(20.0)
    # a parabola sampled at 10 Hz, its top between samples
    ts = np.arange(0, 1, 0.1)
    assert peak_force(ts, 100 - 400 * (ts - 0.45) ** 2, 10.0) == pytest.approx(100.0, abs=0.01)
    # a 1 s pull sampled at 10 SPS with its top between samples: refined
    pull = 300 + 400 * np.exp(-((ts - 0.43) / 0.25) ** 2)
    assert abs(peak_force(ts, pull, 10.0) - 700) < abs(pull.max() - 700) / 3
    # a 0.45 s pull at 10 SPS, at any phase of the sampling: within 2 %
    for phase in np.linspace(0, 0.1, 11):
        t10 = np.arange(0, 1.5, 0.1) + phase
        fast = 300 + 400 * np.sin(np.pi * np.clip((t10 - 0.5) / 0.45, 0, 1)) ** 2
        assert peak_force(t10, fast, 10.0) == pytest.approx(700, rel=0.02), phase
    # a jolt one sample wide (an arm stop, at 80 SPS): the parabola through it
    # would put a top 22 N over any sample; its highest sample is the peak
    jolt = np.array([508.6, 515.3, 520.9, 541.3, 648.7, 708.3, 391.7, 309.9, 395.1, 535.3])
    assert peak_force(np.arange(10) / 80, jolt, 80.0) == pytest.approx(708.3)
    # gap falling 400 mm at constant speed over 1 s, then held
    tg = np.arange(0, 2.2, 0.05)
    g = np.clip(500 - 400 * (tg - 0.2), 100.0, 500.0)
    phases = gap_phases(tg, g, 0.2, 2.2)
    assert phases["rom_mm"] == pytest.approx(400, abs=1)
    assert phases["mean_concentric_velocity_m_s"] == pytest.approx(0.4, rel=0.05)


def test_set_metrics_report_losses_and_reps_per_minute():
    reps = [GOOD[:4] + (5.0,), (1.2, 0.5, 1.5, 0.6, 40.0), (1.5, 0.5, 1.5, 0.6, 80.0)]
    force, dist, windows, _ = synthetic(reps)
    p, _ = analyse(force, dist)
    s = p.sets[0]
    assert s.range_loss_pct == pytest.approx(100 * 75 / 495, abs=1.5)
    assert s.velocity_loss_pct > 20
    assert s.peak_force_decay_pct > 10
    span = windows[-1][1] - windows[0][0]
    assert s.reps_per_min == pytest.approx(3 * 60 / span, rel=0.03)
    assert (s.valid_reps, s.no_reps) == (1, 2)


def test_software_tare_moves_the_zero_without_touching_the_scale():
    force, dist, _, _ = synthetic([GOOD])
    raw = force.raw + 5000        # the hooks read 50 N more than the device's tare says
    force = ForceBlock(force.seq, force.t_device_us, raw, force.t_host_s)
    p = AnalysisPipeline(AnalysisConfig(load_threshold_n=200.0), 2)
    for ch in (0, 1):
        p.set_calibration(ch, 0, SCALE)
    early = force.t_device_us < 400_000
    d_early = dist.t_device_us < 400_000
    p.feed(ForceBlock(force.seq[early], force.t_device_us[early], force.raw[early],
                      force.t_host_s[early]),
           DistanceBlock(dist.seq[d_early], dist.t_device_us[d_early], dist.gap_mm[d_early],
                         dist.t_host_s[d_early]))
    p.software_tare(int(dist.t_device_us[d_early][-1]))
    late, d_late = ~early, ~d_early
    p.feed(ForceBlock(force.seq[late], force.t_device_us[late], force.raw[late],
                      force.t_host_s[late]),
           DistanceBlock(dist.seq[d_late], dist.t_device_us[d_late], dist.gap_mm[d_late],
                         dist.t_host_s[d_late]))
    p.finish()
    rep = p.sets[0].reps[0]
    assert rep.mean_force_n == pytest.approx(500, rel=0.01)


def test_samples_before_any_calibration_give_no_force_and_are_counted():
    force, dist, _, _ = synthetic([GOOD])
    p = AnalysisPipeline(AnalysisConfig(), 2)
    p.feed(force, dist)
    p.finish()
    assert p.sets == [] and p.uncalibrated_samples == len(force)


def test_manual_set_start_and_stop():
    force, dist, _, _ = synthetic([GOOD, GOOD])
    p = AnalysisPipeline(AnalysisConfig(), 2)
    for ch in (0, 1):
        p.set_calibration(ch, 0, SCALE)
    assert p.start_set(0) == []           # takes effect once the stream reaches t = 0
    events = p.feed(force, dist)
    assert events[0] == SetStarted(1, 0)
    events = p.end_set(int(force.t_device_us[-1]))
    assert events == [] and p.current_set is not None   # the distance stream lags behind
    events = p.finish()
    assert len(p.sets) == 1 and p.sets[0].manual and len(p.sets[0].reps) == 2
    assert isinstance(events[-1], SetEnded) and p.sets[0].t_end_us == int(force.t_device_us[-1])


def test_a_manual_mark_takes_effect_at_its_time_in_the_stream_in_any_cut():
    """start_set/end_set with the same times give the same sets whether
    made before the samples arrive or after they were judged."""
    force, dist, _, _ = synthetic([GOOD, GOOD, GOOD])
    t_end = int(force.t_device_us[-1])
    t_mid = int(force.t_device_us[len(force) // 2])

    def run(order):
        p = AnalysisPipeline(AnalysisConfig(), 2)
        for ch in (0, 1):
            p.set_calibration(ch, 0, SCALE)
        if order == "before":
            p.start_set(0)
            p.end_set(t_mid)
            p.feed(force, dist)
        else:
            half = len(force) // 2
            p.start_set(0)
            p.feed(*until(force, dist, t_mid / 1e6))
            p.end_set(t_mid)
            p.feed(*since(force, dist, t_mid / 1e6))
        p.finish()
        return [(s.t_start_us, s.t_end_us, s.manual, [r.key() for r in s.reps]) for s in p.sets]

    before, during = run("before"), run("during")
    assert before == during and before[0][1] == t_mid and before[0][2]


# ----- a rep cut off by the end of the data ----------------------------------------

def until(force, dist, t_s):
    """The recording stopped at ``t_s``: the samples before it."""
    f, d = force.t_device_us < t_s * 1e6, dist.t_device_us < t_s * 1e6
    return (ForceBlock(force.seq[f], force.t_device_us[f], force.raw[f], force.t_host_s[f]),
            DistanceBlock(dist.seq[d], dist.t_device_us[d], dist.gap_mm[d], dist.t_host_s[d]))


def since(force, dist, t_s):
    f, d = force.t_device_us >= t_s * 1e6, dist.t_device_us >= t_s * 1e6
    return (ForceBlock(force.seq[f], force.t_device_us[f], force.raw[f], force.t_host_s[f]),
            DistanceBlock(dist.seq[d], dist.t_device_us[d], dist.gap_mm[d], dist.t_host_s[d]))


# GOOD: pull 1.0 s, top hold 0.5 s, lowering 1.5 s (straight ~1.2 s into it)
@pytest.mark.parametrize("phase, into_s", [
    ("mid-pull", 0.7), ("mid-top-hold", 1.25), ("mid-lowering", 2.1), ("almost straight", 2.5),
])
def test_a_rep_cut_off_by_the_end_of_the_recording_is_not_reported(phase, into_s):
    force, dist, windows, _ = synthetic([GOOD, GOOD])
    force, dist = until(force, dist, windows[1][0] + into_s)
    p, events = analyse(force, dist)
    assert len(p.sets) == 1 and p.current_set is None
    s = p.sets[0]
    assert [(r.valid, r.reason) for r in s.reps] == [(True, None)]
    assert (s.valid_reps, s.no_reps) == (1, 0)
    assert s.t_end_us == int(force.t_device_us[-1])          # closed at the last sample
    assert sum(isinstance(e, RepCompleted) for e in events) == 1
    assert isinstance(events[-1], SetEnded)


def test_a_rep_locked_out_just_before_the_end_of_the_recording_is_valid():
    force, dist, windows, _ = synthetic([GOOD, GOOD])
    force, dist = until(force, dist, windows[1][0] + 2.75)     # straight, still lowering
    p, _ = analyse(force, dist)
    reps = p.sets[0].reps
    assert [(r.valid, r.reason) for r in reps] == [(True, None), (True, None)]
    assert reps[1].t_start_us / 1e6 == pytest.approx(windows[1][0], abs=0.03)
    assert reps[1].t_end_us <= p.sets[0].t_end_us == int(force.t_device_us[-1])


def test_a_manual_end_mid_rep_drops_the_unfinished_rep():
    force, dist, windows, _ = synthetic([GOOD, GOOD])
    stop_s = windows[1][0] + 2.1                                  # lowering the second rep
    p = AnalysisPipeline(AnalysisConfig(), 2)
    for ch in (0, 1):
        p.set_calibration(ch, 0, SCALE)
    p.feed(*until(force, dist, 0.9))                  # hanging, the set not yet seen
    p.start_set(900_000)
    rest = (force.t_device_us >= 900_000) & (force.t_device_us < stop_s * 1e6)
    d_rest = (dist.t_device_us >= 900_000) & (dist.t_device_us < stop_s * 1e6)
    p.feed(ForceBlock(force.seq[rest], force.t_device_us[rest], force.raw[rest],
                      force.t_host_s[rest]),
           DistanceBlock(dist.seq[d_rest], dist.t_device_us[d_rest], dist.gap_mm[d_rest],
                         dist.t_host_s[d_rest]))
    events = p.end_set(int(stop_s * 1e6))
    events += p.finish()                  # the end is judged once the stream has reached it
    s = p.sets[0]
    assert [(r.valid, r.reason) for r in s.reps] == [(True, None)]
    assert s.t_end_us == int(stop_s * 1e6)
    assert not any(isinstance(e, RepCompleted) for e in events)


def test_without_a_distance_sensor_a_rep_cut_off_by_the_end_is_not_reported():
    force, dist, windows, _ = synthetic([GOOD, GOOD])
    force, _ = until(force, dist, windows[1][0] + 1.25)
    p, _ = analyse(force, DistanceBlock.empty(), has_distance=False)
    assert len(p.sets[0].reps) == 1 and p.sets[0].reps[0].reason is None


def test_a_stream_gap_mid_rep_is_sensor_dropout_and_the_set_goes_on():
    force, dist, windows, _ = synthetic([GOOD, GOOD, GOOD])
    lo, hi = (windows[1][0] + 0.7) * 1e6, (windows[1][0] + 1.7) * 1e6   # 1 s unplugged mid-rep
    f = (force.t_device_us < lo) | (force.t_device_us >= hi)
    d = (dist.t_device_us < lo) | (dist.t_device_us >= hi)
    force = ForceBlock(force.seq[f], force.t_device_us[f], force.raw[f], force.t_host_s[f])
    dist = DistanceBlock(dist.seq[d], dist.t_device_us[d], dist.gap_mm[d], dist.t_host_s[d])
    p, _ = analyse(force, dist)
    assert len(p.sets) == 1                      # the load was on before and after the gap
    reps = p.sets[0].reps
    assert [(r.valid, r.reason) for r in reps] == [(True, None), (False, "sensor_dropout"),
                                                   (True, None)]
    assert reps[1].t_end_us == int(force.t_device_us[force.t_device_us < lo][-1])


def test_a_pull_begun_in_a_stream_gap_is_sensor_dropout_not_getting_on():
    """The stream comes back 0.15 s into the second pull: the chest is already
    closing in on the bar. That is no athlete getting on (the set went on
    across the gap) but a rep whose start no reading saw."""
    force, dist, windows, _ = synthetic([GOOD, (1.0, 0.5, 1.5, 1.6, 5.0), GOOD])
    lo, hi = (windows[1][0] - 1.0) * 1e6, (windows[1][0] + 0.15) * 1e6      # 1.15 s unplugged
    f = (force.t_device_us < lo) | (force.t_device_us >= hi)
    d = (dist.t_device_us < lo) | (dist.t_device_us >= hi)
    force = ForceBlock(force.seq[f], force.t_device_us[f], force.raw[f], force.t_host_s[f])
    dist = DistanceBlock(dist.seq[d], dist.t_device_us[d], dist.gap_mm[d], dist.t_host_s[d])
    p, _ = analyse(force, dist)
    assert len(p.sets) == 1
    reps = p.sets[0].reps
    assert [(r.valid, r.reason) for r in reps] == [(True, None), (False, "sensor_dropout"),
                                                   (True, None)]
    assert reps[2].t_start_us / 1e6 == pytest.approx(windows[2][0], abs=0.05)


def test_without_a_distance_sensor_a_stream_gap_mid_rep_keeps_the_set():
    force, dist, windows, _ = synthetic([GOOD, GOOD, GOOD])
    lo, hi = (windows[1][0] + 0.7) * 1e6, (windows[1][0] + 1.7) * 1e6   # 1 s unplugged mid-rep
    f = (force.t_device_us < lo) | (force.t_device_us >= hi)
    force = ForceBlock(force.seq[f], force.t_device_us[f], force.raw[f], force.t_host_s[f])
    p, _ = analyse(force, DistanceBlock.empty(), has_distance=False)
    assert len(p.sets) == 1
    assert [r.reason for r in p.sets[0].reps][:2] == [None, "sensor_dropout"]


def test_a_pull_s_push_is_looked_for_after_the_braking_before_it():
    """The stretch a pull's start is looked for in begins in the last of the
    lowering's braking (341 N, decaying), then the hang (333 N), then a slow
    pull that by the time the gap leaves pushes only to 339.6 N: the push is
    the pull's, not the braking's first sample."""
    from backstation.analysis.reps import push_index
    rng = np.random.default_rng(1)
    braking = np.linspace(341, 334, 20)
    hang = 333 + rng.normal(0, 0.4, 250)
    rise = np.linspace(333, 339.6, 40)
    force = np.concatenate([braking, hang, rise])
    assert push_index(force) == force.size - 1
    peaked = np.concatenate([hang, rise, rise[::-1][1:20]])   # past its push already
    assert push_index(peaked) == hang.size + rise.size - 1
    assert push_index(rise) == rise.size - 1                  # all rise: no rest in the stretch


# ----- the motion gate -----------------------------------------------------------

def _gate(readings, dt_us=50_000):
    """Push (mm) readings 50 ms apart through a GapGate; returns each
    reading's verdict by index and the time each was decided."""
    from backstation.analysis.gapclean import GapGate
    gate, verdict, decided_at = GapGate(), {}, {}
    for k, mm in enumerate(readings):
        for i, ok in gate.push(k * dt_us, mm):
            verdict[i], decided_at[i] = ok, k * dt_us
    for i, ok in gate.flush():
        verdict[i], decided_at[i] = ok, None
    return verdict, decided_at


def test_the_gate_drops_a_stuck_run_when_the_chest_comes_back():
    """The sensor repeats one far value 8 times, then the chest's readings
    come back: the run is no world changing (a real surface jitters); the
    two readings that showed it wrong are not trusted either (the trace's
    allowance grew meanwhile), and the chest's trace goes on after them."""
    verdict, _ = _gate([500, 501, 499, 500] + [900] * 8 + [500, 501, 500, 499])
    assert [verdict[i] for i in range(16)] == [True] * 4 + [False] * 10 + [True] * 2


def test_a_stray_before_a_stuck_run_does_not_make_the_run_jitter():
    """A far stray, then the sensor repeats another far value 6 times, then
    the chest comes back: the stray and the run agree by speed, but the run
    itself never jitters, so together they are no world changing either."""
    verdict, _ = _gate([500, 501, 499, 500, 1891] + [1657] * 6 + [500, 501, 500, 499])
    assert [verdict[i] for i in range(15)] == [True] * 4 + [False] * 9 + [True] * 2


def test_the_gate_decides_a_run_followed_by_missed_echoes_within_a_second():
    """A run of one value, then only missed echoes (the athlete got off a
    time-of-flight part): the run is decided once it is a second old, not
    at the end of the data, so the analysis waiting on it does not stall."""
    from backstation.analysis.gapclean import STUCK_US
    verdict, decided_at = _gate([500, 501, 499, 500] + [900] * 7 + [-1] * 40)
    assert all(verdict[i] for i in range(4, 11))            # more than 5 that agree: taken
    assert max(decided_at[i] for i in range(4, 11)) <= 4 * 50_000 + STUCK_US + 50_000
    verdict, decided_at = _gate([500, 501, 499, 500] + [900] * 3 + [-1] * 40)
    assert not any(verdict[i] for i in range(4, 7))         # three: never confirmed
    assert max(decided_at[i] for i in range(4, 7)) <= 4 * 50_000 + STUCK_US + 50_000


# ----- without a distance sensor: getting on and off, releases ------------------

def _force_only_reps(session, **judge_kw):
    from .streams import judge
    stream = session.build()
    p = judge(stream, has_distance=False, **judge_kw)
    return stream, [(r.reason, stream.t_s(r.t_start_us), stream.t_s(r.t_end_us))
                    for s in p.sets for r in s.reps]


def test_without_a_distance_sensor_getting_on_again_after_a_release_is_not_a_rep():
    from .streams import Session
    s = Session(seed=3, starts_on_bar=True).hang(2).rep().hang(1).release_mid_rep(after_s=0.6)
    s.hang(0.8).get_on_lying().hang(2).rep().hang(1.5)
    stream, reps = _force_only_reps(s)
    assert [r[0] for r in reps] == [None, "bar_released", None]
    assert reps[2][1] == pytest.approx(stream.reps[2].t_start_s, abs=0.15)   # the pull, not the ramp


def test_without_a_distance_sensor_getting_off_is_not_a_rep():
    from .streams import Session
    s = Session(seed=4, starts_on_bar=True).hang(2).rep().hang(1.5).get_off(then_empty_s=5)
    _, reps = _force_only_reps(s)
    assert [r[0] for r in reps] == [None]


def test_without_a_distance_sensor_a_manual_set_on_an_empty_bar_waits_for_the_load():
    from .streams import Session
    s = Session(seed=5).empty(4).get_on_walking().hang(2).rep().hang(1).rep().hang(1)
    s.get_off(then_empty_s=3)
    stream, reps = _force_only_reps(s, manual=(("start", 1.0), ("end", s.t - 1.0)))
    assert [r[0] for r in reps] == [None, None]
    assert [r[1] for r in reps] == pytest.approx([r.t_start_s for r in stream.reps], abs=0.15)


def test_without_a_distance_sensor_a_release_before_the_force_rose_drops_the_rep():
    from backstation.analysis.force_reps import ForceOnlyRepTracker
    from backstation.analysis.history import History
    forces = History("total_n")
    t = np.arange(0, 3_000_000, 12_500)
    force = np.where(t < 2_500_000, 500.0, 600.0)       # steady, then a rise of 20 %
    forces.extend(t, force)
    tracker = ForceOnlyRepTracker(forces, 0, settle=True, load_threshold_n=100.0)
    for i, (ti, fi) in enumerate(zip(t.tolist(), force.tolist())):
        forces.see(i + 1)
        assert tracker.on_force(ti, fi, None) == []
    assert tracker.rep is not None                      # a pull has begun at 2.5 s
    assert tracker.release(2_400_000) == []             # but the load was off before it
    assert tracker.rep is None and tracker.state == "rest"


def _force_only_steps(steps, rest_n=600.0, dt_us=12_500, end="stop", lead_s=3.0, settle=False,
                      releases=()):
    """Feed a force-only tracker steps of (seconds, newtons) after ``lead_s``
    at rest, one sample at a time; ``releases``: the load went off at these
    seconds (told to the tracker 0.25 s later, as the pipeline does); returns
    the reps as (start s, end s, draft)."""
    from backstation.analysis.force_reps import ForceOnlyRepTracker
    from backstation.analysis.history import History
    levels = [(lead_s, rest_n)] + list(steps)
    force = np.concatenate([np.full(int(round(d * 1e6 / dt_us)), f) for d, f in levels])
    t = np.arange(force.size, dtype=np.int64) * dt_us
    forces = History("total_n")
    forces.extend(t, force)
    tracker = ForceOnlyRepTracker(forces, 0, settle=settle, load_threshold_n=100.0)
    drafts = []
    told = sorted(int(r * 1e6) for r in releases)
    for i, (ti, fi) in enumerate(zip(t.tolist(), force.tolist())):
        forces.see(i + 1)
        while told and ti >= told[0] + 250_000:
            drafts += tracker.release(told.pop(0))
        drafts += tracker.on_force(ti, fi, None)
    drafts += getattr(tracker, end)(int(t[-1]))
    return [(d.t_start_us / 1e6, d.t_end_us / 1e6, d) for d in drafts]


PULL, TOP, BRAKE = (0.4, 720.0), (0.3, 450.0), (0.3, 700.0)


def test_without_a_distance_sensor_a_hold_at_the_top_then_a_dip_is_the_same_rep():
    """A squeeze at the hang's force settles, but the dip of the lowering
    after it shows the rep was not over: one rep, ending after the braking."""
    reps = _force_only_steps([PULL, TOP, (1.0, 600.0), (0.3, 540.0), BRAKE, (3.0, 600.0)])
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 5.3)]
    assert reps[0][2].lockout


def test_without_a_distance_sensor_a_slow_pull_that_barely_rises_is_found_by_its_top():
    """A slow pull on a body pivoting at its heels: the force rises 2.5 %,
    then sits 20 % under the hang for 4 s (the top, a squeeze), and the
    lowering brings it back. No rise of 10 % ever shows, and the still top
    is no rest (it lies well under the set's first still hang): one rep,
    from where the force left the hang to where it came back near it."""
    steps = [(0.5, 615.0), (4.0, 480.0), (1.0, 560.0), (0.4, 640.0), (3.0, 600.0)]
    reps = _force_only_steps(steps)
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 8.5)]
    assert reps[0][2].lockout


def test_without_a_distance_sensor_the_hang_is_learnt_again_after_getting_back_on():
    """The athlete gets off between sets (the set goes on: started by hand)
    and back on: the hang is looked for again once the load has been back a
    rest window, so the next slow pull that barely rises is found by its
    top as the first was (the first rest level seen after getting on, the
    top held still, is no hang: taken for one, it puts the reps a phase late)."""
    slow = [(0.5, 615.0), (4.0, 480.0), (1.0, 560.0), (0.4, 640.0), (3.0, 600.0)]
    reps = _force_only_steps(slow + [(10.0, 0.0), (3.0, 600.0)] + slow, releases=[11.9])
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 8.5), (24.9, 30.4)]
    assert all(d.lockout for _, _, d in reps)


def test_without_a_distance_sensor_a_pull_after_a_rep_that_braked_and_hung_is_its_own():
    """A rep with its top, the braking of its lowering and a still hang
    after it is over: a pull that follows with no top of its own (a squeeze
    at the hang's force on a near-level body) is the next rep, not more
    braking of the one before."""
    reps = _force_only_steps([PULL, TOP, BRAKE, (2.0, 600.0), (1.5, 700.0), (3.0, 600.0)])
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 4.0), (6.0, 7.5)]


def test_without_a_distance_sensor_a_short_rise_after_a_complete_rep_loses_nothing():
    """A complete rep waits; a short rise without a top (not a rep) settles,
    and a dip that is no top follows: the rep is reported all the same."""
    reps = _force_only_steps([PULL, TOP, BRAKE, (2.0, 600.0), (0.5, 700.0), (1.0, 600.0),
                              (0.2, 560.0), (3.0, 600.0)])
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 4.0)]


@pytest.mark.parametrize("lower_n", [540.0, 480.0])
def test_without_a_distance_sensor_a_hang_that_moves_lower_for_good_is_learnt_again(lower_n):
    """After a rep the athlete moves their feet and hangs 10 or 20 % lower
    for good: longer than any hold at the top, so it is the new hang, and
    the next rep, from it, is found."""
    k = lower_n / 600.0
    later = [(d, f * k) for d, f in (PULL, TOP, BRAKE)] + [(3.0, lower_n)]
    reps = _force_only_steps([PULL, TOP, BRAKE, (2.0, 600.0), (12.0, lower_n)] + later)
    assert [round(a, 1) for a, _, _ in reps] == [3.0, 18.0]
    assert all(d.lockout for _, _, d in reps)


def test_without_a_distance_sensor_touch_and_go_after_a_hold_splits_where_the_pull_rose():
    reps = _force_only_steps([PULL, TOP, (1.0, 600.0), (0.3, 540.0), (0.3, 700.0), TOP,
                              (3.0, 600.0)])
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 5.0), (5.0, 5.6)]


# Touch-and-go on a body pivoting at the heels: the turn at the bottom (braking
# and the next pull) is a high, the climb at a steady speed sits at the hang's
# force, the chest knocks the bar up at the top (the load under the load line
# for a moment), and the lowering sits under the hang.
KNOCKING_CYCLE = [(0.3, 1000.0), (0.6, 600.0), (0.075, 40.0), (0.05, -150.0), (0.075, 40.0),
                  (0.55, 300.0)]


def test_without_a_distance_sensor_a_steady_climb_at_the_hangs_force_is_no_hang():
    """The climb settles at the hang's force for 0.6 s, but the top that
    follows shows it was the next rep under way, not a hold: one rep per
    top, each beginning at its turn."""
    reps = _force_only_steps(KNOCKING_CYCLE * 5 + [(0.3, 1000.0), (3.0, 600.0)])
    starts = [round(a, 2) for a, _, _ in reps]
    assert len(reps) == 5, starts
    assert all(abs(a - (3.0 + 1.65 * k)) <= 0.05 for k, a in enumerate(starts)), starts
    assert all(d.lockout for _, _, d in reps)


def test_without_a_distance_sensor_touch_and_go_from_the_grip_finds_its_rest():
    """Gripped and straight into touch-and-go: no still hang ever, and every
    top knocks the load under the load line for a moment (not the load going
    off, which would keep the rest window empty). The rest level is the
    cycle's median: every rep from the second on is found (the first has no
    rest level before it)."""
    reps = _force_only_steps(KNOCKING_CYCLE * 6 + [(0.3, 1000.0), (3.0, 600.0)],
                             rest_n=0.0, lead_s=1.0, settle=True)
    starts = [round(a, 2) for a, _, _ in reps]
    cycle_starts = [1.0 + 1.65 * k for k in range(6)]
    assert len(reps) >= 4, starts
    assert all(min(abs(a - c) for c in cycle_starts) <= 0.05 for a in starts), starts


@pytest.mark.parametrize("dip_n, tops", [(500.0, 2), (300.0, 3)])
def test_without_a_distance_sensor_at_10_sps_one_sample_makes_a_top_only_if_deep(dip_n, tops):
    """At 10 SPS a top may show in one sample (a rep's top is quick), but so
    does a jolt before a pull: one sample 17 % under rest is a jolt (two
    reps), one 50 % under is a top (three)."""
    steps = [PULL, TOP, (0.3, 700.0), (0.1, dip_n), (0.3, 720.0), TOP, (3.0, 600.0)]
    reps = _force_only_steps(steps, dt_us=100_000)
    assert len(reps) == tops, [(round(a, 1), round(b, 1)) for a, b, _ in reps]


def test_without_a_distance_sensor_after_a_settle_a_lone_low_sample_is_a_jolt_too():
    """At 10 SPS after a hold: a soft sample two samples before a lone low
    one does not make it a top (the soft samples must be in a row with it):
    the hold and its lowering stay one rep."""
    dip = [(0.1, 552.0), (0.1, 560.0), (0.1, 500.0)]
    steps = [PULL, TOP, (0.3, 700.0), (1.0, 600.0)] + dip + [(3.0, 600.0)]
    reps = _force_only_steps(steps, dt_us=100_000)
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(2.9, 5.4)]


def test_without_a_distance_sensor_ending_during_the_next_pull_keeps_the_rep_before():
    reps = _force_only_steps([PULL, TOP, (0.4, 600.0), PULL])
    assert [(round(a, 1), round(b, 1)) for a, b, _ in reps] == [(3.0, 3.7)]
    released = _force_only_steps([PULL, TOP, (0.4, 600.0), PULL], end="release")
    assert [(round(a, 1), round(b, 1), d.released) for a, b, d in released] == \
        [(3.0, 3.7, False), (4.1, 4.5, True)]


def test_without_a_distance_sensor_any_cut_of_the_stream_gives_the_same_reps():
    from .streams import Session, judge, time_gap
    s = Session(seed=19).empty(2).get_on_walking().hang(2).rep().hang(1)
    s.release_mid_rep(after_s=0.6).hang(0.8).get_on_lying().hang(2).rep().hang(1).rep()
    s.hang(2).rep().hang(1.5).get_off(then_empty_s=4)
    clean = s.build()
    stream = time_gap(clean, clean.reps[3].t_start_s + 0.5, 2.5)

    def reps(chunk_s):
        p = judge(stream, has_distance=False, chunk_s=chunk_s)
        return [r.key() for x in p.sets for r in x.reps], [(x.t_start_us, x.t_end_us) for x in p.sets]

    whole = reps(1000.0)
    assert len(whole[0]) == 5
    assert reps(0.0125) == whole        # about one force sample per block
    assert reps(0.37) == whole

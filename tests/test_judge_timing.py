"""When a rep starts and ends: the pull's change point in the force, and the
chest settling at the end of the lowering (docs/analysis.md, "Start" and
"End"; the truth's definition in docs/validation.md, "Truth")."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.analysis.onset import quiet_onset
from backstation.defaults import SETTLED_MM_S
from backstation.device.sim import SimulatedStation
from backstation.device.sim.truth import GRID_S, settled_index

from .test_analysis_accuracy import record

RATE_HZ = 80.0
REST_N = 500.0
MARGIN_N = 10.0          # onset_margin_n(500 N)
TOL_US = 40_000          # three samples at 80 SPS


def force_trace(rise, onset_s: float = 2.0, span_s: float = 3.0, seed: int = 0,
                noise_n: float = 0.4) -> tuple[np.ndarray, np.ndarray]:
    """A still hang at REST_N, then ``rise(t - onset)`` from ``onset_s``."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, span_s, 1 / RATE_HZ)
    f = REST_N + rng.normal(0, noise_n, t.size)
    after = t >= onset_s
    f[after] += rise(t[after] - onset_s)
    return (t * 1e6).astype(np.int64), f


def up_to_peak(t, f):
    k = int(np.argmax(f))
    return t[: k + 1], f[: k + 1]


@pytest.mark.parametrize("seed", range(5))
def test_a_jolt_starts_where_the_force_left_the_hang(seed):
    t, f = force_trace(lambda x: np.minimum(x / 0.05, 1.0) * 150.0, seed=seed)
    start, base = quiet_onset(*up_to_peak(t, f), MARGIN_N)
    assert abs(start - 2_000_000) <= TOL_US
    assert abs(base - REST_N) < 1.0


@pytest.mark.parametrize("seed", range(5))
def test_a_slow_pull_starts_where_its_rise_began_not_where_it_crossed_the_margin(seed):
    # a 3 s pull: 2 % of rest (the margin) is reached only 0.4 s after the start
    t, f = force_trace(lambda x: np.minimum(x / 0.5, 1.0) * 12.0, span_s=3.0, seed=seed)
    start, _ = quiet_onset(*up_to_peak(t, f), MARGIN_N)
    crossing = 2.0 + 0.5 * MARGIN_N / 12.0
    assert abs(start - 2_000_000) <= 2 * TOL_US, (start, crossing)


@pytest.mark.parametrize("seed", range(5))
def test_a_hang_that_creeps_before_a_jolt_is_still_the_hang(seed):
    # the rest creeps up 3 N over the last 0.3 s (sway), then the pull jolts
    def rise(x):
        return np.where(x < 0, 0.0, np.minimum(x / 0.05, 1.0) * 150.0)
    t, f = force_trace(rise, seed=seed)
    creep = (t >= 1_700_000) & (t < 2_000_000)
    f[creep] += (t[creep] - 1_700_000) / 300_000 * 3.0
    f[t >= 2_000_000] += 3.0
    start, _ = quiet_onset(*up_to_peak(t, f), MARGIN_N)
    assert abs(start - 2_000_000) <= TOL_US


def test_a_pull_that_pushes_twice_starts_with_the_first_push_when_the_chest_rose():
    # a first push to +12 N, held (quiet) while the chest rose 10 mm, then the second
    def rise(x):
        return np.where(x < 0.6, np.minimum(x / 0.05, 1.0) * 12.0, 12.0 + (x - 0.6) / 0.05 * 40.0)
    t, f = force_trace(rise)
    t, f = up_to_peak(t, np.minimum(f, 700.0))
    tg = np.arange(0, 3_000_000, 50_000)
    gap = np.where(tg < 2_000_000, 500.0, np.where(tg < 2_300_000, 500 - (tg - 2_000_000) / 30_000, 490.0))
    start, _ = quiet_onset(t, f, MARGIN_N, (tg, gap))
    # (a step that stops short of two margins is dated by a line through
    # its top: a few samples early)
    assert abs(start - 2_000_000) <= 2 * TOL_US
    # with the chest still (no gap, or a gap that did not move), the held
    # level is a new rest: the pull starts with the second push
    still = quiet_onset(t, f, MARGIN_N, (tg, np.full(tg.size, 500.0)))
    assert abs(still[0] - 2_600_000) <= TOL_US


def test_no_quiet_hang_before_the_rise_leaves_the_start_to_the_caller():
    t = (np.arange(0.0, 1.0, 1 / RATE_HZ) * 1e6).astype(np.int64)
    f = REST_N + 200.0 * np.sin(np.arange(t.size) / 4.0)      # swinging: never still
    assert quiet_onset(t, f, MARGIN_N) is None


def test_the_chest_settles_where_it_stays_under_the_settled_speed():
    speed = np.concatenate([np.linspace(300, 0, 400), np.zeros(200)])
    i = settled_index(speed, GRID_S)
    assert speed[i] < SETTLED_MM_S <= speed[i - 1]
    # a bump back over it inside the window: settled only after it
    speed[i + 20] = 2 * SETTLED_MM_S
    assert settled_index(speed, GRID_S) == i + 21


def test_the_simulators_truth_ends_a_slow_lowering_where_the_chest_settled():
    """The last millimetres of a minimum-jerk lowering creep in: a rep ends
    where the chest came under SETTLED_MM_S, well before the move's end."""
    station = SimulatedStation("slow-tempo", 0)
    rep = station.truth.reps[0]
    tt = np.arange(rep.t_end_s - 0.5, rep.t_end_s + 0.6, GRID_S)
    gap, _ = station.timeline.arrays(tt)
    speed = np.abs(np.gradient(gap, GRID_S))
    at = int(np.searchsorted(tt, rep.t_end_s))
    assert speed[at] < SETTLED_MM_S <= speed[at - 2]
    assert gap[-1] - gap[at] > 1.0        # the move itself goes on creeping


@pytest.mark.parametrize("name", ["slow-tempo", "clean", "slow-adc"])
def test_reps_start_and_end_within_150_ms_of_the_truth(name):
    """A slow pull's force reaches the onset margin 0.3 s after the chest began
    to move, and a slow lowering settles long before its force does: both
    are dated by what the chest did."""
    errors = []
    for seed in range(3):
        rec = record(name, seed)
        got = [r for s in rec.pipeline.sets for r in s.reps]
        assert len(got) == len(rec.station.truth.reps), (name, seed)
        for want in rec.station.truth.reps:
            best = min(got, key=lambda r: abs(rec.scenario_s(r.t_start_us) - want.t_start_s))
            errors.append((abs(rec.scenario_s(best.t_start_us) - want.t_start_s),
                           abs(rec.scenario_s(best.t_end_us) - want.t_end_s)))
    worst = np.max(errors, axis=0)
    assert worst[0] <= 0.15 and worst[1] <= 0.15, worst


def test_the_chests_speed_line_is_not_tilted_by_strays():
    from backstation.analysis.reps import line_slope
    t = np.arange(0, 300_000, 25_000)                     # 12 readings over 0.3 s
    gap = 500.0 + 0.02 * t / 1e3                          # coming down at 20 mm/s
    assert line_slope(t, gap) == pytest.approx(20.0, abs=0.5)
    stray = gap.copy()
    stray[[3, 7, 8]] = [1748.0, 344.0, 1938.0]            # a burst the gate let through
    assert line_slope(t, stray) == pytest.approx(20.0, abs=0.5)
    few = np.array([0, 50_000, 100_000, 150_000])
    assert line_slope(few, [520.0, 520.0, 520.0, 344.0]) == pytest.approx(0.0, abs=1.0)
    assert line_slope([5, 5, 5], [1.0, 2.0, 3.0]) is None

"""The simulator shows a real station: how athletes get on and off, a
straight-arm level that moves, tempos, a real distance sensor's artefacts
and time-of-flight sensors. Artefacts are counted against the noise-free gap,
never against anything the judge computes."""

from __future__ import annotations

import numpy as np
import pytest

from backstation.cli import build_parser
from backstation.device.sim import SimulatedStation
from backstation.device.sim.artefacts import (
    MEAN_BURST, ArtefactStream, SensorArtefacts, STRAY_MAX_MM, STRAY_MIN_MM,
)
from backstation.device.sim.model import CONTACT_MM, DROP_S, HELD_SHARE, ONE_MOTION_S
from backstation.device.sim.protocol_sim import parse_url
from backstation.device.sim.shrug import shrug_scenarios
from backstation.device.sim.scenarios import (
    DEFAULT_SCENARIO, REALISM_SCENARIOS, all_scenarios, list_scenarios, make_scenario,
)
from backstation.protocol import DistanceSample, Hello, StreamDecoder
from backstation.protocol.commands import start

NEW_SCENARIOS = REALISM_SCENARIOS


def distance_stream(station: SimulatedStation, until_s: float | None = None):
    """START at 0.2 s, run to the end; (scenario time s, reading mm, noise-free
    gap mm) of every D sentence, and the decoded sentences."""
    end = station.truth.duration_s if until_s is None else until_s
    data = station.advance(0.2)
    station.receive(start().line())
    data += station.advance(end)
    sentences = StreamDecoder().feed(data)
    d = [s for s in sentences if isinstance(s, DistanceSample)]
    t_s = np.array([s.t_us for s in d]) / 1e6     # one boot at t = 0, micros() from 0
    true_mm = station.timeline.gap_block(t_s)
    return t_s, np.array([s.gap_mm for s in d]), true_mm, sentences


def runs(mask: np.ndarray) -> list[int]:
    """Lengths of the runs of True."""
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return (np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).tolist()


# ----- the scripts -----------------------------------------------------------

@pytest.mark.parametrize("name", NEW_SCENARIOS)
def test_new_scenarios_move_smoothly_without_jumps(name):
    for seed in (0, 1):
        segs = SimulatedStation(name, seed).timeline.segments
        for a, b in zip(segs, segs[1:]):
            assert a.t1_s == pytest.approx(b.t0_s)
            assert a.gap1_mm == pytest.approx(b.gap0_mm), (a, b)
            assert a.on1 == pytest.approx(b.on0), (a, b)
            assert a.extra1 == pytest.approx(b.extra0)


def test_one_motion_entry_loads_the_bar_while_the_gap_is_still_falling():
    station = SimulatedStation("realistic", 3)
    tl, first = station.timeline, station.truth.sets[0]
    mid_s = first.t_start_s + ONE_MOTION_S / 2
    athlete = station.scenario.athlete
    assert athlete.bottom_gap_mm + 100 < tl.gap_mm(mid_s) < athlete.floor_gap_mm - 100
    assert tl.on_bar(mid_s) > 0.3
    assert first.reps[0].t_start_s > first.t_start_s + ONE_MOTION_S   # the first rep: once on


def test_walk_in_shows_legs_and_torso_under_the_sensor_before_the_bar_is_loaded():
    station = SimulatedStation("walk-in", 2)
    tl, truth, athlete = station.timeline, station.truth, station.scenario.athlete
    for set_truth, prev_end in zip(truth.sets, [0.0] + [s.t_end_s for s in truth.sets]):
        t = np.arange(prev_end + 1.0, set_truth.t_start_s, 0.01)
        gaps = tl.gap_block(t)
        passes = runs(gaps < athlete.floor_gap_mm - 50)
        assert len(passes) >= 2                     # at least a leg, then the torso
        assert max(tl.on_bar(x) for x in t) == 0.0  # nobody holds the bar yet
        assert set_truth.reps[0].t_start_s > set_truth.t_start_s + 1.0


def test_standing_up_is_a_loaded_gap_fall_that_is_no_rep():
    station = SimulatedStation("walk-in", 2)
    tl = station.timeline
    for s in station.truth.sets:
        last = s.reps[-1]
        t = np.arange(last.t_end_s, s.t_end_s, 0.005)
        gaps, force_n = tl.arrays(t)
        rising = t[gaps < last.min_gap_mm + last.rom_mm - 150]
        assert rising.size and force_n[np.searchsorted(t, rising[0])] > 100
        assert len(s.reps) == 8 and all(r.valid for r in s.reps)


def test_a_regrip_unloads_the_bar_for_one_to_two_seconds_inside_one_set():
    station = SimulatedStation("regrip", 4)
    truth = station.truth
    assert len(truth.sets) == 1 and truth.sets[0].valid_reps == 10
    s = truth.sets[0]
    t = np.arange(s.t_start_s + 2.0, s.t_end_s - 2.0, 0.01)
    off = np.array([station.timeline.on_bar(x) for x in t]) < 0.01
    lengths_s = [n * 0.01 for n in runs(off)]
    assert len(lengths_s) == 2 and all(1.0 <= x <= 2.2 for x in lengths_s)


def test_a_release_mid_rep_is_bar_released_in_truth_and_drops_the_load():
    station = SimulatedStation("release", 5)
    reps = station.truth.reps
    assert [r.reason for r in reps] == [None] * 3 + ["bar_released"] + [None] * 3 + ["bar_released"]
    for r in (reps[3], reps[7]):
        assert r.t_end_s - (r.t_start_s + r.pull_s) == pytest.approx(DROP_S)
        assert station.timeline.on_bar(r.t_end_s) == pytest.approx(0.0, abs=1e-9)
        assert r.min_gap_mm > CONTACT_MM and r.contact_s is None
    assert len(station.truth.sets) == 1   # the first release is a regrip, same set


@pytest.mark.parametrize("name", ["realistic", "long-hang"])
def test_a_moving_hang_level_keeps_straight_arm_reps_valid_in_truth(name):
    for seed in (0, 1, 2):
        station = SimulatedStation(name, seed)
        reps = station.truth.reps
        assert all(r.valid for r in reps), [r.reason for r in reps]
        ends = np.array([station.timeline.gap_mm(r.t_end_s) for r in reps])
        bottom = station.scenario.athlete.bottom_gap_mm
        assert np.all(np.abs(ends - bottom) <= 35.0)
        assert ends.max() - ends.min() > 20.0      # it really moves


def test_long_hangs_last_five_to_fifteen_seconds_and_sag():
    specs = [r for s in make_scenario("long-hang", 1).sets for r in s.reps]
    long = [r for r in specs if r.pause_s >= 5.0]
    assert long and all(r.pause_s <= 15.0 and r.pause_drift_mm > 0 for r in long)


def test_touch_and_go_runs_as_fast_as_gravity_allows_with_no_hold():
    """Asked for 2 reps a second over 220-280 mm, the chest would have to be
    pulled down at the top: it runs at what gravity allows instead."""
    reps = SimulatedStation("touch-and-go", 0).truth.reps
    starts = np.array([r.t_start_s for r in reps])
    assert 1.0 <= 1 / np.median(np.diff(starts)) <= 1.4
    assert all(r.top_hold_s == 0.0 and r.valid for r in reps)


@pytest.mark.parametrize("name", all_scenarios())
def test_hands_only_pull_the_bar_never_carries_a_negative_load(name):
    """The load cells see what the hands pull: never less than nothing, and
    during a rep held to the end never less than HELD_SHARE of the static
    load (the chest falls no faster than its weight takes it)."""
    station = SimulatedStation(name, 0)
    timeline = station.timeline
    t = np.arange(0.0, timeline.end_s, 0.002)
    _, force = timeline.arrays(t)
    assert force.min() >= 0.0
    # where the hands let go the load is clamped at zero: the scalar and the
    # block formulas clamp alike
    clamped = t[force == 0.0][::50]
    assert list(timeline.state_block(clamped)[0]) == [timeline.state(x)[0] for x in clamped]
    for rep in station.truth.reps:
        if rep.reason != "bar_released":
            inside = (t >= rep.t_start_s) & (t <= rep.t_end_s)
            assert force[inside].min() >= (HELD_SHARE - 0.005) * timeline.athlete.static_load_n


def test_slow_tempo_is_three_up_five_squeeze_four_down():
    reps = SimulatedStation("slow-tempo", 0).truth.reps
    assert all(abs(r.pull_s - 3) <= 0.2 and abs(r.top_hold_s - 5) <= 0.2
               and abs(r.lower_s - 4) <= 0.2 and r.valid for r in reps)


# ----- HC-SR04 artefacts, counted against the noise-free gap -----------------

def test_stray_echoes_come_at_the_configured_share_in_bursts_of_one_to_three():
    share = make_scenario("stray-echoes", 0).artefacts.stray_share
    strays, total, lengths = 0, 0, []
    for seed in (0, 1, 2):
        _, reading, true_mm, _ = distance_stream(SimulatedStation("stray-echoes", seed))
        ok = reading >= 0
        off = ok & (np.abs(reading - true_mm) > 20) & (np.abs(reading - 2 * true_mm) > 15) \
            & (reading >= STRAY_MIN_MM) & (reading <= STRAY_MAX_MM)
        strays += int(off.sum())
        total += len(reading)
        lengths += runs(off)
    assert 0.6 * share < strays / total < 1.4 * share
    assert {1, 2, 3} <= set(lengths)
    assert np.mean(lengths) == pytest.approx(MEAN_BURST, abs=0.35)


def test_multipath_readings_sit_near_twice_the_gap():
    cfg = make_scenario("stray-echoes", 0).artefacts
    _, reading, true_mm, _ = distance_stream(SimulatedStation("stray-echoes", 4))
    near_double = (np.abs(reading - 2 * true_mm) <= 15) & (true_mm > 100)
    assert 0.3 * cfg.multipath_rate < near_double.mean() < 2.0 * cfg.multipath_rate


def test_lone_near_zero_readings_appear_far_from_the_bar():
    _, reading, true_mm, _ = distance_stream(SimulatedStation("stray-echoes", 5))
    zero = (reading >= 0) & (reading < 12) & (true_mm > 100)
    lengths = np.array(runs(zero))
    assert len(lengths) >= 2
    assert np.mean(lengths == 1) >= 0.8    # alone (a stuck repeat may follow one)


def test_artefact_stream_rates_and_shapes_on_a_long_run():
    cfg = SensorArtefacts(stray_share=0.04, multipath_rate=0.02, zero_rate=0.01, stuck_rate=0.01)
    stream = ArtefactStream(cfg, np.random.default_rng(11))
    n = 200_000
    true_mm = 300 + 200 * np.sin(np.arange(n) / 40.0)   # always moving
    out = np.concatenate([stream.apply(np.rint(true_mm[i:i + 777]).astype(np.int64), true_mm[i:i + 777])
                          for i in range(0, n, 777)])
    counts = stream.counts
    assert counts["stray"] / n == pytest.approx(0.04, rel=0.1)
    assert counts["multipath"] / n == pytest.approx(0.02, rel=0.1)
    assert counts["zero"] / n == pytest.approx(0.01, rel=0.15)
    stray = np.zeros(n, bool)
    stray[[i for i, kind, _ in stream.events if kind == "stray"]] = True
    lengths = np.array(runs(stray))
    assert {1, 2, 3} <= set(lengths.tolist())
    assert np.mean(lengths <= 3) > 0.95    # longer only when a burst follows a burst
    assert np.all((out[stray] >= STRAY_MIN_MM) & (out[stray] <= STRAY_MAX_MM))
    stuck = np.zeros(n, bool)
    stuck[[i for i, kind, _ in stream.events if kind == "stuck"]] = True
    idx = np.flatnonzero(stuck)
    assert np.all(out[idx] == out[idx - 1])           # the same value again
    assert 2 <= np.median(runs(stuck)) <= 5


def test_artefacts_do_not_depend_on_how_readings_are_batched():
    cfg = SensorArtefacts(stray_share=0.05, multipath_rate=0.02, zero_rate=0.01, stuck_rate=0.02)
    true_mm = np.linspace(600, 20, 3000)
    gaps = np.rint(true_mm).astype(np.int64)
    whole = ArtefactStream(cfg, np.random.default_rng(3)).apply(gaps, true_mm)
    one_by_one = ArtefactStream(cfg, np.random.default_rng(3))
    singles = np.concatenate([one_by_one.apply(gaps[i:i + 1], true_mm[i:i + 1]) for i in range(3000)])
    assert np.array_equal(whole, singles)


# ----- time-of-flight sensors -------------------------------------------------

@pytest.mark.parametrize("name, part, rate_hz, out_of_range",
                         [("tof", "vl53l0x", 30.0, -1), ("tof-raw", "vl53l1x", 50.0, 8190)])
def test_time_of_flight_sensor_rate_noise_and_out_of_range(name, part, rate_hz, out_of_range):
    t_s, reading, true_mm, sentences = distance_stream(SimulatedStation(name, 1))
    hello = [s for s in sentences if isinstance(s, Hello)][0]
    assert hello.distance_sensor == part
    assert 1 / np.median(np.diff(t_s)) == pytest.approx(rate_hz, rel=0.02)
    other = -1 if out_of_range == 8190 else 8190
    assert (reading == out_of_range).sum() > 5 and not (reading == other).any()
    good = (reading != out_of_range)
    resid = (reading - true_mm)[good]
    far = resid[true_mm[good] > 850]          # nobody under the bar: the floor
    near = resid[(true_mm[good] > 5) & (true_mm[good] < 80)]   # chest at the bar
    assert far.std() > 2.5 * near.std()
    far_share = (reading[true_mm > 850] == out_of_range).mean()
    near_share = (reading[true_mm < 300] == out_of_range).mean()
    assert far_share > near_share


# ----- determinism and the default ----------------------------------------

@pytest.mark.parametrize("name", ["realistic", "stray-echoes", "tof-raw"])
def test_same_seed_same_bytes_another_seed_other_bytes(name):
    def run(seed):
        station = SimulatedStation(name, seed)
        data = station.advance(0.2)
        station.receive(start().line())
        return data + station.advance(40.0)
    assert run(7) == run(7)
    assert run(7) != run(8)


def test_tidy_scenarios_make_no_artefact_stream():
    for name in ("clean", "partial", "missed-echo"):
        station = SimulatedStation(name, 0)
        assert station.artefacts is None and "artefacts" not in station.summary()


def test_simulate_sim_and_sim_url_default_to_the_realistic_scenario():
    assert DEFAULT_SCENARIO == "realistic"
    parser = build_parser()
    assert parser.parse_args(["--simulate"]).scenario == DEFAULT_SCENARIO
    assert parser.parse_args(["sim"]).scenario == DEFAULT_SCENARIO
    assert parser.parse_args(["monitor", "--simulate"]).scenario == DEFAULT_SCENARIO
    assert parse_url("sim://")[0]["scenario"] == DEFAULT_SCENARIO
    assert SimulatedStation().scenario.name == DEFAULT_SCENARIO


def test_the_judge_is_graded_on_the_tidy_scenarios_and_users_pick_from_all():
    assert not set(REALISM_SCENARIOS) & set(list_scenarios())
    # The shrug scenarios are graded by the shrug tests (tests/test_analysis_shrug_accuracy.py).
    assert all_scenarios() == list_scenarios() + list(REALISM_SCENARIOS) + shrug_scenarios()
    parser = build_parser()
    assert parser.parse_args(["sim", "--scenario", "walk-in"]).scenario == "walk-in"
    assert parser.parse_args(["--simulate", "--scenario", "tof-raw"]).scenario == "tof-raw"

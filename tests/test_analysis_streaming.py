"""The pipeline is streaming: however the samples are cut into blocks, the
reps, sets and contact events are the same."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from backstation.analysis import AnalysisConfig, AnalysisPipeline, ContactChanged
from backstation.samples import DistanceBlock, ForceBlock

from .feeding import feed_in_cuts



def run(config, cals, force: ForceBlock, dist: DistanceBlock, cuts: list[int]):
    """Feed the time-merged samples cut at ``cuts`` (indexes into the merge)."""
    p = AnalysisPipeline(config, force.channels)
    for ch, (offset, scale) in cals.items():
        p.set_calibration(ch, offset, scale)
    events = feed_in_cuts(p, force, dist, cuts)
    reps = [r.key() for s in p.sets for r in s.reps]
    sets = [(s.index, s.t_start_us, s.t_end_us, s.valid_reps, s.no_reps, s.velocity_loss_pct,
             s.peak_force_decay_pct, s.range_loss_pct, s.reps_per_min) for s in p.sets]
    contacts = [(e.t_us, e.in_contact) for e in events if isinstance(e, ContactChanged)]
    return reps, sets, contacts


@pytest.fixture(scope="module")
def stream():
    from backstation.device.sim import SimulatedStation
    from backstation.protocol.commands import start
    from backstation.protocol.stream import DeviceStream
    station = SimulatedStation("partial", 3)
    ds = DeviceStream()
    ds.feed(station.advance(0.5), 0.5)
    station.receive(start().line())
    ds.feed(station.advance(45.0), 45.0)   # the first set and a bit of rest
    force, dist = ds.take_blocks()
    config = AnalysisConfig(body_mass_kg=station.truth.body_mass_kg)
    cals = {c.channel: (c.offset_counts, c.counts_per_newton) for c in ds.calibration.values()}
    whole = run(config, cals, force, dist, [])
    assert len(whole[0]) == 8 and whole[2]
    return config, cals, force, dist, whole


def test_one_sample_at_a_time_gives_the_same_reps_as_the_whole_stream(stream):
    config, cals, force, dist, whole = stream
    n = len(force) + len(dist)
    assert run(config, cals, force, dist, list(range(1, n))) == whole


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=5000), min_size=1, max_size=40))
def test_any_chunking_gives_the_same_reps_sets_and_contacts(stream, cuts):
    config, cals, force, dist, whole = stream
    assert run(config, cals, force, dist, cuts) == whole


def test_force_and_distance_blocks_fed_apart_give_the_same_reps(stream):
    """Blocks of one stream may arrive before the other's: the watermark waits."""
    config, cals, force, dist, whole = stream
    p = AnalysisPipeline(config, force.channels)
    for ch, (offset, scale) in cals.items():
        p.set_calibration(ch, offset, scale)
    half_f, half_d = len(force) // 2, len(dist) // 2
    p.feed(ForceBlock(force.seq[:half_f], force.t_device_us[:half_f], force.raw[:half_f],
                      force.t_host_s[:half_f]), DistanceBlock.empty())
    p.feed(ForceBlock.empty(2), DistanceBlock(dist.seq[:half_d], dist.t_device_us[:half_d],
                                              dist.gap_mm[:half_d], dist.t_host_s[:half_d]))
    p.feed(ForceBlock(force.seq[half_f:], force.t_device_us[half_f:], force.raw[half_f:],
                      force.t_host_s[half_f:]),
           DistanceBlock(dist.seq[half_d:], dist.t_device_us[half_d:], dist.gap_mm[half_d:],
                         dist.t_host_s[half_d:]))
    p.finish()
    assert [r.key() for s in p.sets for r in s.reps] == whole[0]


@pytest.fixture(scope="module")
def unplugged():
    """The unplug scenario (a 3 s stream gap mid-set, then a reboot), with the
    right-hand hook's calibration arriving only 5 s into the stream."""
    from backstation.device.sim import SimulatedStation
    from backstation.protocol.commands import start
    from backstation.protocol.sentences import Hello
    from backstation.protocol.stream import DeviceStream
    station = SimulatedStation("unplug", 2)
    ds = DeviceStream()
    ds.feed(station.advance(0.5), 0.5)
    station.receive(start().line())
    t, end, forces, dists = 0.5, station.truth.duration_s + 0.5, [], []
    while t < end:
        t = min(end, t + 0.5)
        if any(isinstance(c, Hello) for c in ds.feed(station.advance(t), t)) \
                and not station.streaming:
            station.receive(start().line())
        f, d = ds.take_blocks()
        forces.append(f)
        dists.append(d)
    force, dist = ForceBlock.concat(forces, 2), DistanceBlock.concat(dists)
    config = AnalysisConfig(body_mass_kg=station.truth.body_mass_kg)
    cals = {c.channel: (c.offset_counts, c.counts_per_newton) for c in ds.calibration.values()}
    return config, cals, force, dist


def run_late_cal(config, cals, force, dist, cuts):
    """As ``run``, with channel 1 calibrated only from 5 s on."""
    late = {0: (None, *cals[0]), 1: (int(force.t_device_us[0]) + 5_000_000, *cals[1])}
    p = AnalysisPipeline(config, 2)
    p.set_calibration(0, cals[0][0], cals[0][1])
    p.set_calibration(1, cals[1][0], cals[1][1], t_from_us=late[1][0])
    events = feed_in_cuts(p, force, dist, cuts)
    return ([r.key() for s in p.sets for r in s.reps],
            [(s.t_start_us, s.t_end_us) for s in p.sets],
            [(e.t_us, e.in_contact) for e in events if isinstance(e, ContactChanged)],
            p.uncalibrated_samples)


def test_stream_gaps_and_a_late_calibration_give_the_same_result_in_any_cut(unplugged):
    config, cals, force, dist = unplugged
    whole = run_late_cal(config, cals, force, dist, [])
    reps, sets, _, uncalibrated = whole
    assert len(sets) == 1 and len(reps) >= 6       # the set goes on across the cable gap
    assert 0 < uncalibrated < len(force)
    n = len(force) + len(dist)
    assert run_late_cal(config, cals, force, dist, list(range(1, n))) == whole
    rng = np.random.default_rng(5)
    for _ in range(5):
        cuts = rng.integers(1, n, rng.integers(1, 60)).tolist()
        assert run_late_cal(config, cals, force, dist, cuts) == whole


# ----- mid-back shrugs, and the exercise changed between sets ---------------------

@pytest.fixture(scope="module")
def workout():
    """The simulator's row-shrug workout (rows, shrugs with a short hold,
    rows) with the exercise chosen in each rest, 3.5 s after the set before."""
    from backstation.device.sim import SimulatedStation
    from backstation.device.sim.shrug import SCENARIO_EXERCISES
    from backstation.protocol.commands import start
    from backstation.protocol.stream import DeviceStream
    station = SimulatedStation("row-shrug", 2)
    ds = DeviceStream()
    ds.feed(station.advance(0.5), 0.5)
    station.receive(start().line())
    end = station.truth.duration_s + 0.5
    ds.feed(station.advance(end), end)
    force, dist = ds.take_blocks()
    exercises = SCENARIO_EXERCISES["row-shrug"]
    marks = [(int((s.t_end_s + 3.5) * 1e6), ex)
             for s, ex in zip(station.truth.sets, exercises[1:])]
    config = AnalysisConfig(body_mass_kg=station.truth.body_mass_kg, exercise=exercises[0])
    cals = {c.channel: (c.offset_counts, c.counts_per_newton) for c in ds.calibration.values()}
    whole = run_workout(config, cals, force, dist, marks, [])
    assert [s[1] for s in whole[1]] == list(exercises)
    assert len(whole[0]) == 6 + 5 + 6
    return config, cals, force, dist, marks, whole


def run_workout(config, cals, force, dist, marks, cuts, *, live=False):
    """``run`` with the exercise marks: made before feeding, or (``live``)
    each as live makes it: at the newest sample fed (the stream is cut
    there too, as replay cuts it)."""
    p = AnalysisPipeline(config, force.channels)
    for ch, (offset, scale) in cals.items():
        p.set_calibration(ch, offset, scale)
    todo = list(marks)
    if not live:
        for t_us, exercise in todo:
            p.set_exercise(exercise, t_us)
        todo = []
    times = np.concatenate([force.t_device_us, dist.t_device_us])
    kinds = np.concatenate([np.zeros(len(force), int), np.ones(len(dist), int)])
    order = np.argsort(times, kind="stable")
    at = [int(np.searchsorted(times[order], t_us, "right")) for t_us, _ in todo]
    bounds = [0, *sorted(set(int(c) for c in [*cuts, *at] if 0 < c < len(order))), len(order)]
    events = []
    for a, b in zip(bounds, bounds[1:]):
        part = order[a:b]
        fi = np.sort(part[kinds[part] == 0])
        di = np.sort(part[kinds[part] == 1] - len(force))
        events += p.feed(
            ForceBlock(force.seq[fi], force.t_device_us[fi], force.raw[fi], force.t_host_s[fi]),
            DistanceBlock(dist.seq[di], dist.t_device_us[di], dist.gap_mm[di], dist.t_host_s[di]))
        while todo and at[0] == b:
            events += p.set_exercise(todo[0][1], int(times[order[b - 1]]))
            todo.pop(0)
            at.pop(0)
    for t_us, exercise in todo:
        events += p.set_exercise(exercise, t_us)
    events += p.finish()
    reps = [r.key() for s in p.sets for r in s.reps]
    sets = [(s.index, s.exercise, s.t_start_us, s.t_end_us, s.valid_reps, s.no_reps)
            for s in p.sets]
    contacts = [(e.t_us, e.in_contact) for e in events if isinstance(e, ContactChanged)]
    return reps, sets, contacts


def test_a_workout_sample_by_sample_gives_the_same_sets_and_shrugs_as_the_whole(workout):
    config, cals, force, dist, marks, whole = workout
    n = len(force) + len(dist)
    assert run_workout(config, cals, force, dist, marks, list(range(1, n))) == whole


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=12000), min_size=1, max_size=40),
       st.booleans())
def test_a_workout_in_any_chunking_with_the_exercise_chosen_live_gives_the_same_result(
        workout, cuts, live):
    config, cals, force, dist, marks, whole = workout
    assert run_workout(config, cals, force, dist, marks, cuts, live=live) == whole


def test_the_shrug_set_is_judged_as_shrugs_and_the_row_sets_as_rows(workout):
    *_, whole = workout
    reps, sets, _ = whole
    reasons = [r[3] for r in reps]       # Rep.key(): set, index, valid, reason, ...
    assert reasons[:6] == [None] * 6 and reasons[11:] == [None] * 6
    assert sorted(reasons[6:11], key=str) == [None, None, None, None, "no_hold"]
    assert [s[1] for s in sets] == ["inverted-row", "mid-back-shrug", "inverted-row"]


@pytest.fixture(scope="module")
def shrug_set():
    """Shrugs written apart (tests/test_judge_shrugs.py): the first begun while
    the chest still settles from getting on, bent arms, a short hold, strays
    and a stream gap mid-squeeze."""
    from .test_judge_shrugs import BENT, CONFIG, GOOD, SCALE, SHORT, shrug_stream
    reps = [GOOD, BENT, SHORT, GOOD, GOOD]
    _, _, spans = shrug_stream(reps, lead_s=1.6, settle_tau_s=0.6)
    force, dist, _ = shrug_stream(reps, lead_s=1.6, settle_tau_s=0.6,
                                  strays=((spans[1][0] + 0.2, 1500), (spans[3][0] + 1.5, 515)),
                                  cut=(spans[3][0] + 1.0, spans[3][0] + 2.0))
    cals = {0: (0, SCALE), 1: (0, SCALE)}
    whole = run(CONFIG, cals, force, dist, [])
    assert [r[3] for r in whole[0]] == [None, "arms_bent", "no_hold", "sensor_dropout", None]
    return CONFIG, cals, force, dist, whole


def test_shrugs_sample_by_sample_give_the_same_reps_as_the_whole(shrug_set):
    config, cals, force, dist, whole = shrug_set
    assert run(config, cals, force, dist, list(range(1, len(force) + len(dist)))) == whole


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(min_value=1, max_value=3500), min_size=1, max_size=40))
def test_shrugs_in_any_chunking_give_the_same_reps(shrug_set, cuts):
    config, cals, force, dist, whole = shrug_set
    assert run(config, cals, force, dist, cuts) == whole

"""The pipeline's bulk path against its plain twin.

``AnalysisPipeline`` takes runs of force samples that change nothing in
bulk (numpy over the run); ``reference=True`` sends every sample through the
judgement one by one. Both must give the same sets, reps, contacts and
counters on long random streams, cut into random blocks, with every kind of
value the judge meets: force around the load threshold (getting on and off,
regrips, releases), samples before any calibration and a late one, stream
gaps, missed echoes, stray and out-of-range readings, manual marks, 10 to
1000 SPS, and no distance sensor at all.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backstation.analysis import AnalysisConfig, AnalysisPipeline, ContactChanged
from backstation.device.sim import SimulatedStation
from backstation.protocol.commands import start
from backstation.protocol.stream import DeviceStream
from backstation.samples import DistanceBlock, ForceBlock

from .feeding import feed_in_cuts
from .streams import (
    Athlete, Session, missed_echoes, multipath, near_zero, out_of_range, stray, stuck,
)


def cut_out(stream, t_s: float, dur_s: float):
    """No sample of either stream for ``dur_s`` from ``t_s`` (a cable glitch;
    the truth is not needed here)."""
    lo, hi = stream.t_us(t_s), stream.t_us(t_s + dur_s)
    f, d = stream.force, stream.distance
    kf = (f.t_device_us < lo) | (f.t_device_us >= hi)
    kd = (d.t_device_us < lo) | (d.t_device_us >= hi)
    return replace(stream, true_gap_mm=stream.true_gap_mm[kd],
                   force=ForceBlock(f.seq[kf], f.t_device_us[kf], f.raw[kf], f.t_host_s[kf]),
                   distance=DistanceBlock(d.seq[kd], d.t_device_us[kd], d.gap_mm[kd],
                                          d.t_host_s[kd]))


def run(stream_blocks, cals, config, channels, reference, cuts, marks=()):
    """Feed the whole stream cut at ``cuts`` (sample positions in time order)."""
    force, dist = stream_blocks
    p = AnalysisPipeline(config, channels, reference=reference)
    for channel, offset, scale, t_from in cals:
        p.set_calibration(channel, offset, scale, t_from)
    for t_us, kind in marks:
        (p.start_set if kind == "start" else p.end_set)(t_us)
    events = feed_in_cuts(p, force, dist, cuts)
    return ([(s.index, s.t_start_us, s.t_end_us, s.manual, [r.key() for r in s.reps])
             for s in p.sets],
            [(e.t_us, e.in_contact) for e in events if isinstance(e, ContactChanged)],
            p.uncalibrated_samples, p.late_samples)


def assert_twins_agree(blocks, cals, config, channels, rng, marks=()):
    n = len(blocks[0]) + len(blocks[1])
    reference = run(blocks, cals, config, channels, True, [], marks)
    assert reference[0], "the stream has no set: nothing compared"
    for cuts in ([], rng.integers(1, n, 40), rng.integers(1, n, 400)):
        assert run(blocks, cals, config, channels, False, cuts, marks) == reference


def random_session(seed: int) -> Session:
    """A long session of random reps, pauses, entries and exits."""
    rng = np.random.default_rng(seed)
    athlete = Athlete(body_mass_kg=float(rng.uniform(50, 110)))
    s = Session(athlete, seed=seed).empty(2)
    for _ in range(3):
        (s.get_on_lying if rng.random() < 0.5 else s.get_on_walking)()
        s.hang(float(rng.uniform(0.5, 3)))
        for _ in range(int(rng.integers(3, 7))):
            kind = rng.random()
            up, down = float(rng.uniform(0.3, 2.5)), float(rng.uniform(0.3, 3))
            if kind < 0.6:
                s.rep(up_s=up, hold_s=float(rng.uniform(0, 2)), down_s=down)
            elif kind < 0.75:
                s.no_contact_rep(float(rng.uniform(60, 200)), up_s=up, down_s=down)
            elif kind < 0.9:
                s.no_lockout_rep(up_s=up, down_s=down).rep()
            else:
                s.let_go(float(rng.uniform(0.5, 2)))
                s.get_on_lying()
            s.hang(float(rng.uniform(0, 4)))
        if rng.random() < 0.3:
            s.release_mid_rep(after_s=float(rng.uniform(0.3, 0.8)))
            s.empty(4)
        else:
            s.get_off()
    return s


def artefacts(stream, rng):
    t_end = stream.t_s(int(stream.distance.t_device_us[-1])) - 6
    for _ in range(int(rng.integers(10, 30))):
        t = float(rng.uniform(1, t_end))
        kind = rng.integers(0, 7)
        stream = [lambda: missed_echoes(stream, t, int(rng.integers(1, 6))),
                  lambda: stray(stream, t, *rng.integers(0, 2500, int(rng.integers(1, 4)))),
                  lambda: multipath(stream, t, int(rng.integers(1, 3))),
                  lambda: near_zero(stream, t),
                  lambda: stuck(stream, t, int(rng.integers(2, 6))),
                  lambda: out_of_range(stream, t, int(rng.integers(1, 3))),
                  lambda: cut_out(stream, t, float(rng.uniform(0.8, 12)))][kind]()
    return stream


@pytest.mark.parametrize("seed", range(6))
def test_bulk_and_one_by_one_agree_on_random_sessions_with_artefacts(seed):
    rng = np.random.default_rng(100 + seed)
    stream = artefacts(random_session(seed).build(), rng)
    has_distance = seed != 5
    config = AnalysisConfig(body_mass_kg=stream.athlete.body_mass_kg, has_distance=has_distance,
                            contact_mm=float(rng.uniform(15, 40)))
    f = stream.force
    late = int(f.t_device_us[0]) + int(rng.uniform(2, 8) * 1e6)   # one channel calibrated late
    cals = [(c, off, scale, late if c == 0 else None) for c, off, scale in stream.calibration]
    marks = ()
    if seed % 2:             # a coach presses Space at random moments
        ts = np.sort(rng.uniform(f.t_device_us[0], f.t_device_us[-1], 4)).astype(int)
        marks = tuple(zip(ts.tolist(), ["start", "end", "start", "end"]))
    dist = stream.distance if has_distance else DistanceBlock.empty()
    assert_twins_agree((f, dist), cals, config, f.channels, rng, marks)


@pytest.mark.parametrize("scenario, force_rate_hz", [
    ("realistic", None), ("touch-and-go", 1000), ("slow-adc", None), ("unplug", None),
])
def test_bulk_and_one_by_one_agree_on_the_simulated_station(scenario, force_rate_hz):
    station = SimulatedStation(scenario, 3, force_rate_hz=force_rate_hz)
    ds = DeviceStream()
    t = 0.5
    ds.feed(station.advance(t), t)
    station.receive(start().line())
    end = min(station.truth.duration_s + 0.5, 90.0)
    forces, dists = [], []
    while t < end:
        t = min(end, t + 0.5)
        ds.feed(station.advance(t), t)
        if not station.streaming and not station.unplugged(t):
            station.receive(start().line())
        f, d = ds.take_blocks()
        forces.append(f)
        dists.append(d)
    force, dist = ForceBlock.concat(forces, 2), DistanceBlock.concat(dists)
    cals = [(c.channel, c.offset_counts, c.counts_per_newton, None) for c in ds.calibration.values()]
    config = AnalysisConfig(body_mass_kg=station.truth.body_mass_kg,
                            force_rate_hz=float(force_rate_hz or 80))
    assert_twins_agree((force, dist), cals, config, 2, np.random.default_rng(7))


@pytest.mark.parametrize("seed", [5, 39, 77, 286, 290])
def test_bulk_and_one_by_one_agree_on_force_only_sessions_of_the_independent_model(seed, monkeypatch):
    """Holds at the top, dips, touch-and-go, stream gaps and slow pulls whose
    top sits well under the hang (seed 77: an episode opened by a low while
    resting; seed 286: the hang learnt again after the load went off and
    came back) without a distance sensor: every state of the force-only
    tracker meets the bulk path."""
    from backstation.validation.randomise import generate_session
    session = generate_session(seed)
    assert "sensor_none" in session.tags
    force = ForceBlock.concat([f for f, _ in session.chunks], session.channels)
    cals = [(c, off, scale, None) for c, off, scale in session.calibration]
    config = AnalysisConfig(**session.config)
    from backstation.analysis.force_reps import ForceOnlyRepTracker
    opened_by_a_low = []
    begin_low = ForceOnlyRepTracker._begin_low
    monkeypatch.setattr(ForceOnlyRepTracker, "_begin_low",
                        lambda self, *a: opened_by_a_low.append(a) or begin_low(self, *a))
    relearnt, release, rest_level = [], ForceOnlyRepTracker.release, ForceOnlyRepTracker._rest_level

    def let_go(self, t_us):
        if self._hang_n is not None and self._hang_at_us is None:   # a hang known and done with
            self.forgot_a_hang = True
        return release(self, t_us)
    monkeypatch.setattr(ForceOnlyRepTracker, "release", let_go)

    def learnt(self, t_us, still_only=False):
        level = rest_level(self, t_us, still_only)
        if still_only and getattr(self, "forgot_a_hang", False) and level is not None:
            relearnt.append(t_us)
        return level
    monkeypatch.setattr(ForceOnlyRepTracker, "_rest_level", learnt)
    assert_twins_agree((force, DistanceBlock.empty()), cals, config, session.channels,
                       np.random.default_rng(seed))
    assert opened_by_a_low or seed != 77, "seed 77 no longer meets an episode opened by a low"
    assert relearnt or seed != 286, "seed 286 no longer learns the hang again after a release"

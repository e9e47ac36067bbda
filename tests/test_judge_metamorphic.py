"""Metamorphic tests of the rep judge: a change to the input that must not
change the judgement (STYLE 16). Streams come from tests/streams.py; each
property compares the judge with itself, so it holds whatever the truth."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import numpy as np
from hypothesis import Phase, example, given, settings, strategies as st

from backstation.analysis import AnalysisConfig, AnalysisPipeline
from backstation.samples import DistanceBlock, ForceBlock

from .streams import Athlete, Session, judge, stray, time_gap, with_readings

# No shrinking: on a failing judge it would run the pipeline hundreds of
# times (minutes); the failing example is reported as generated.
PHASES = (Phase.explicit, Phase.generate)
FEW = settings(max_examples=8, deadline=None, derandomize=True, phases=PHASES)


def verdicts(p) -> list[tuple]:
    return [(r.valid, r.reason) for s in p.sets for r in s.reps]


def timed(p) -> list[tuple]:
    return [(r.valid, r.reason, r.t_start_us, r.t_end_us, r.t_contact_us)
            for s in p.sets for r in s.reps]


def everything(p) -> tuple:
    return ([r.key() for s in p.sets for r in s.reps],
            [(s.index, s.t_start_us, s.t_end_us, s.manual, s.valid_reps, s.no_reps,
              s.velocity_loss_pct, s.peak_force_decay_pct, s.range_loss_pct, s.reps_per_min)
             for s in p.sets])


def mixed_reps(s: Session, k: float = 1.0) -> Session:
    """valid, no_contact, no_lockout, valid, valid, with every duration × k."""
    s.rep(1.0 * k, 0.3 * k, 1.5 * k).hang(1.0 * k).no_contact_rep(70, 1.0 * k, 0.3 * k, 1.5 * k)
    s.hang(1.0 * k).no_lockout_rep(None, 1.0 * k, 0.3 * k, 0.8 * k).rep(1.0 * k, 0.3 * k, 1.5 * k)
    s.hang(1.0 * k).rep(1.0 * k, 0.3 * k, 1.5 * k).hang(2.0 * k)
    return s


@lru_cache(maxsize=None)
def on_bar_stream(seed: int = 21, k: float = 1.0):
    return mixed_reps(Session(seed=seed, starts_on_bar=True).hang(2.0 * k), k).build()


@lru_cache(maxsize=None)
def judged(stream_key: tuple) -> tuple:
    return tuple(verdicts(judge(on_bar_stream(*stream_key))))


# -- a lone outlier -------------------------------------------------------------
@settings(max_examples=16, deadline=None, derandomize=True, phases=PHASES)
@given(where=st.floats(0.0, 1.0), in_a_rep=st.booleans(),
       kind=st.sampled_from(["missed", "stray", "near_zero", "double", "tof"]),
       value=st.integers(100, 2000), small=st.integers(0, 5))
def test_a_lone_outlier_anywhere_changes_no_verdict_and_no_rep_count(where, in_a_rep, kind,
                                                                     value, small):
    """Anywhere in the stream, or (half the time) anywhere inside a rep,
    where one reading could make or break a pull, a contact or a lockout."""
    clean = on_bar_stream()
    t_us = clean.distance.t_device_us
    if in_a_rep:
        spans = [(clean.t_us(r.t_start_s), clean.t_us(r.t_end_s)) for r in clean.reps]
        inside = np.zeros(len(t_us), bool)
        for a, b in spans:
            inside |= (t_us >= a) & (t_us <= b)
        candidates = np.flatnonzero(inside)
    else:
        candidates = np.arange(len(t_us))
    i = int(candidates[int(where * (len(candidates) - 1))])
    reading = {"missed": -1, "stray": value, "near_zero": small,
               "double": int(2 * clean.true_gap_mm[i]), "tof": 8190}[kind]
    t_s = clean.t_s(int(t_us[i]))
    dirty = with_readings(clean, t_s, [reading])
    assert verdicts(judge(dirty)) == list(judged((21, 1.0))), \
        f"{kind} reading {reading} at t={t_s:.2f} s changed the judgement"


# -- the whole gap trace shifted --------------------------------------------------
@FEW
@given(shift_mm=st.integers(1, 300))
def test_shifting_the_gap_and_the_contact_threshold_alike_changes_nothing(shift_mm):
    clean = on_bar_stream()
    gap = clean.distance.gap_mm
    shifted = replace(clean, distance=replace(clean.distance,
                                              gap_mm=np.where(gap >= 0, gap + shift_mm, gap)))
    assert timed(judge(shifted, contact_mm=25.0 + shift_mm)) == timed(judge(clean))


# -- tempo ---------------------------------------------------------------------
@FEW
@given(k=st.floats(0.5, 2.0))
@example(k=0.5)
@example(k=2.0)
def test_scaling_the_tempo_by_half_to_double_changes_no_verdict(k):
    k = round(k, 2)
    assert verdicts(judge(on_bar_stream(21, k))) == list(judged((21, 1.0)))


# -- what comes before a manual set ------------------------------------------------
@FEW
@given(prefix=st.sampled_from(["empty+walking", "empty+lying", "lying", "walking"]),
       empty_s=st.floats(0.5, 8.0), seed=st.integers(0, 3))
def test_an_empty_bar_or_a_get_on_before_a_manual_set_changes_no_verdict(prefix, empty_s, seed):
    base = on_bar_stream(30 + seed)
    base_p = judge(base, manual=(("start", 0.5), ("end", base.t_s(int(base.force.t_device_us[-1])))))
    s = Session(seed=30 + seed)
    if prefix.startswith("empty"):
        s.empty(round(empty_s, 2))
    s.get_on_walking() if prefix.endswith("walking") else s.get_on_lying()
    stream = mixed_reps(s.hang(2.0)).build()
    p = judge(stream, manual=(("start", 0.5), ("end", stream.t_s(int(stream.force.t_device_us[-1])))))
    assert verdicts(p) == verdicts(base_p)
    assert len(p.sets) == 1 and p.sets[0].manual


# -- chunking --------------------------------------------------------------------
@lru_cache(maxsize=None)
def busy_stream():
    """Getting on, every verdict, strays, a regrip, a cable glitch, getting off."""
    s = Session(seed=40).empty(2).get_on_walking().hang(2)
    mixed_reps(s).let_go(1.5).hang(2).rep().hang(4).rep().hang(1).get_off()
    stream = s.build()
    stream = stray(stream, stream.reps[0].t_start_s + 0.5, 1500)
    stream = stray(stream, stream.reps[3].t_start_s - 0.5, 140, 160)
    return time_gap(stream, stream.reps[-1].t_start_s - 3.0, 2.0)


def feed_cut(stream, f_cuts, d_cuts, config_kw=None):
    """Force and distance cut independently, fed pairwise in order."""
    cfg = AnalysisConfig(body_mass_kg=stream.athlete.body_mass_kg, **(config_kw or {}))
    p = AnalysisPipeline(cfg, channels=stream.force.channels)
    for ch, off, scale in stream.calibration:
        p.set_calibration(ch, off, scale)
    f, d = stream.force, stream.distance
    fb = [0, *sorted(set(c for c in f_cuts if 0 < c < len(f))), len(f)]
    db = [0, *sorted(set(c for c in d_cuts if 0 < c < len(d))), len(d)]
    fp = list(zip(fb, fb[1:]))
    dp = list(zip(db, db[1:]))
    for j in range(max(len(fp), len(dp))):
        a, b = fp[j] if j < len(fp) else (len(f), len(f))
        c, e = dp[j] if j < len(dp) else (len(d), len(d))
        p.feed(ForceBlock(f.seq[a:b], f.t_device_us[a:b], f.raw[a:b], f.t_host_s[a:b]),
               DistanceBlock(d.seq[c:e], d.t_device_us[c:e], d.gap_mm[c:e], d.t_host_s[c:e]))
    p.finish()
    return p


@lru_cache(maxsize=None)
def busy_whole():
    return everything(feed_cut(busy_stream(), [], []))


MAX_SKEW_S = 2.0   # a link never lets one stream lead the other by more (the judge may wait 30 s)


@FEW
@given(cuts=st.lists(st.tuples(st.floats(0.0, 1.0), st.floats(-1.0, 1.0)), max_size=60))
def test_any_chunking_of_the_blocks_gives_the_identical_result(cuts):
    """Force and distance cut at independent points (up to 2 s apart)."""
    stream = busy_stream()
    f_t, d_t = stream.force.t_device_us, stream.distance.t_device_us
    span_us = int(f_t[-1] - f_t[0])
    f_cut_us = [int(f_t[0] + at * span_us) for at, _ in cuts]
    d_cut_us = [t + int(skew * MAX_SKEW_S * 1e6) for t, (_, skew) in zip(f_cut_us, cuts)]
    f_cuts = np.searchsorted(f_t, sorted(f_cut_us)).tolist()
    d_cuts = np.searchsorted(d_t, sorted(d_cut_us)).tolist()
    assert everything(feed_cut(stream, f_cuts, d_cuts)) == busy_whole()


def test_feeding_time_slices_gives_the_same_result_as_the_whole_stream():
    stream = busy_stream()
    assert everything(judge(stream, chunk_s=0.05)) == busy_whole()
    assert everything(judge(stream, chunk_s=1.0)) == busy_whole()


# -- manual start and end ----------------------------------------------------------
@lru_cache(maxsize=None)
def walk_in_stream():
    s = Session(seed=50, athlete=Athlete(hang_gap_mm=500)).empty(4).get_on_walking().hang(2)
    return mixed_reps(s).get_off(then_empty_s=4).build()


@FEW
@given(start_s=st.floats(0.2, 8.0), end_back_s=st.floats(0.1, 6.0),
       chunk_s=st.sampled_from([0.05, 0.1, 0.37, 1.0]))
def test_manual_start_and_end_give_the_same_result_called_before_or_while_feeding(
        start_s, end_back_s, chunk_s):
    stream = walk_in_stream()
    t_start = stream.t_us(round(start_s, 3))
    t_end = int(stream.force.t_device_us[-1]) - int(end_back_s * 1e6)
    while_feeding = judge(stream, chunk_s=chunk_s,
                          manual=(("start", stream.t_s(t_start)), ("end", stream.t_s(t_end))))

    cfg = AnalysisConfig(body_mass_kg=stream.athlete.body_mass_kg)
    before = AnalysisPipeline(cfg, channels=stream.force.channels)
    for ch, off, scale in stream.calibration:
        before.set_calibration(ch, off, scale)
    before.start_set(t_start)
    before.end_set(t_end)
    before.feed(stream.force, stream.distance)
    before.finish()
    assert everything(before) == everything(while_feeding)
    assert [s.manual for s in before.sets] == [True]

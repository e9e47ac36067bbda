"""The mid-back shrug judge (analysis/shrugs.py) on streams written here, apart
from both the judge and the simulator: what each verdict means, and
metamorphic properties (a change to the stream that must change the verdict
in a known way, or not at all)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from backstation.analysis import AnalysisConfig, AnalysisPipeline
from backstation.exercises import INVERTED_ROW, MID_BACK_SHRUG
from backstation.samples import DistanceBlock, ForceBlock
from backstation.verdicts import ARMS_BENT_REASON, NO_HOLD_REASON

SCALE = 100.0          # counts per newton, both channels, no offset
LOAD_N = 520.0
HANG_MM = 520.0
CONFIG = AnalysisConfig(body_mass_kg=80.0, exercise=MID_BACK_SHRUG, shrug_squeeze_mm=40.0,
                        shrug_hold_s=2.0)


def _smooth_step(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return 0.5 - 0.5 * np.cos(np.pi * x)


def shrug_stream(reps: list[tuple[float, float]], *, offset_mm: float = 0.0, d_hz: float = 20.0,
                 f_hz: float = 80.0, noise_mm: float = 1.5, seed: int = 0, rise_s: float = 0.5,
                 release_at: float | None = None, strays: tuple[tuple[float, int], ...] = (),
                 cut: tuple[float, float] | None = None, lead_s: float = 3.0,
                 settle_tau_s: float | None = None,
                 ) -> tuple[ForceBlock, DistanceBlock, list[tuple[float, float]]]:
    """A set of shrugs, each (fall mm, hold s): 3 s of hang, a cosine rise of
    ``rise_s``, the hold, the same way down, 2 s of hang. ``release_at``:
    the hands open (load off, body drops) at this time. ``strays``: (t, mm)
    readings put in. ``cut``: no samples in [t0, t1). ``settle_tau_s``: the
    chest settles into the hang from 200 mm above it with this time constant
    as the load comes on (else it is there at once). Returns the blocks and
    each rep's (start, end of the return) in seconds."""
    rng = np.random.default_rng(seed)
    spans, segs = [], []
    t = 1.0 + lead_s
    for fall, hold in reps:
        spans.append((t, t + 2 * rise_s + hold))
        segs.append((t, fall, hold))
        t += 2 * rise_s + hold + 2.0
    end = t + 1.0
    td = np.arange(0.02, end, 1.0 / d_hz)
    gap = np.full_like(td, HANG_MM)
    for t0, fall, hold in segs:
        up = _smooth_step((td - t0) / rise_s)
        down = _smooth_step((td - t0 - rise_s - hold) / rise_s)
        gap -= fall * (up - down)
    if settle_tau_s is not None:
        on = td >= 1.0
        gap[on] += 200.0 * np.exp(-(td[on] - 1.0) / settle_tau_s)
    gap[td < 1.0] = 870.0                       # nobody under the bar yet
    tf = np.arange(0.0, end, 1.0 / f_hz)
    load = np.where((tf > 1.0) & (tf < end - 0.5), LOAD_N, 0.0)
    if release_at is not None:
        load[tf >= release_at] = 0.0
        gap[td >= release_at + 0.1] = HANG_MM + 100.0   # the body dropped to the floor
    gap = np.round(gap + offset_mm + rng.normal(0, noise_mm, len(td)))
    for t_s, mm in strays:
        gap[int(np.argmin(np.abs(td - t_s)))] = mm
    keep_d = np.ones(len(td), bool)
    keep_f = np.ones(len(tf), bool)
    if cut is not None:
        keep_d = ~((td >= cut[0]) & (td < cut[1]))
        keep_f = ~((tf >= cut[0]) & (tf < cut[1]))
    raw = np.round(np.stack([load * 0.5, load * 0.5], axis=1) * SCALE
                   + rng.normal(0, 20, (len(tf), 2))).astype(np.int32)
    tf_us = (tf * 1e6).astype(np.int64)[keep_f]
    td_us = (td * 1e6).astype(np.int64)[keep_d]
    force = ForceBlock(np.arange(len(tf_us)) % 65536, tf_us, raw[keep_f], tf_us / 1e6)
    dist = DistanceBlock(np.arange(len(td_us)) % 65536, td_us, gap[keep_d].astype(np.int32),
                         td_us / 1e6)
    return force, dist, spans


def judge(force, dist, config=CONFIG, channels=2):
    p = AnalysisPipeline(config, channels)
    for ch in range(channels):
        p.set_calibration(ch, 0, SCALE)
    p.feed(force, dist)
    p.finish()
    return p


def reps_of(p):
    return [r for s in p.sets for r in s.reps]


def verdicts(p):
    return [(r.valid, r.reason) for r in reps_of(p)]


GOOD = (40.0, 3.0)
# A 3 s hold as a coach counts it: the chest within 10 % of its top (the
# truth of both generators), which the cosine moves of 0.5 s reach 0.1 s
# before the hold and leave 0.1 s after it.
HELD_3_S = 3.0 + 2 * 0.5 * (1 - np.arccos(-0.8) / np.pi)
SHORT = (40.0, 1.0)
BENT = (220.0, 2.5)


def test_a_squeeze_held_past_the_target_counts_with_its_hold_and_depth():
    force, dist, spans = shrug_stream([GOOD, GOOD])
    p = judge(force, dist)
    (s,) = p.sets
    assert s.exercise == MID_BACK_SHRUG
    assert verdicts(p) == [(True, None)] * 2
    for rep, (t0, t1) in zip(s.reps, spans):
        assert abs(rep.t_start_us / 1e6 - t0) < 0.2
        assert abs(rep.t_end_us / 1e6 - t1) < 0.4
        assert rep.top_hold_s == pytest.approx(HELD_3_S, abs=0.1)
        assert rep.rom_mm == pytest.approx(40.0, abs=4.0)
        assert rep.peak_force_n == pytest.approx(LOAD_N, rel=0.02)
    assert s.valid_reps == 2 and s.no_reps == 0


def test_bent_arms_and_a_short_hold_are_no_reps_with_their_reasons():
    force, dist, _ = shrug_stream([GOOD, BENT, SHORT, GOOD])
    p = judge(force, dist)
    assert verdicts(p) == [(True, None), (False, ARMS_BENT_REASON), (False, NO_HOLD_REASON),
                           (True, None)]
    assert reps_of(p)[2].top_hold_s == pytest.approx(HELD_3_S - 2.0, abs=0.1)


@pytest.mark.parametrize("target_s", [1.5, 2.0, 3.0])
def test_scaling_the_hold_across_the_target_flips_valid_and_no_hold(target_s):
    config = replace(CONFIG, shrug_hold_s=target_s)
    short = shrug_stream([(40.0, target_s * 0.7)] * 3, seed=1)
    long = shrug_stream([(40.0, target_s * 1.3)] * 3, seed=1)
    assert verdicts(judge(*short[:2], config)) == [(False, NO_HOLD_REASON)] * 3
    assert verdicts(judge(*long[:2], config)) == [(True, None)] * 3


@pytest.mark.parametrize("hold_s", [1.0, 3.0])
def test_deepening_the_fall_past_a_rows_worth_gives_arms_bent_whatever_the_hold(hold_s):
    shallow = judge(*shrug_stream([(45.0, hold_s)] * 2, seed=2)[:2])
    deep = judge(*shrug_stream([(160.0, hold_s)] * 2, seed=2)[:2])
    assert [r.reason for r in reps_of(shallow)] == [None if hold_s > 2 else NO_HOLD_REASON] * 2
    assert verdicts(deep) == [(False, ARMS_BENT_REASON)] * 2


@pytest.mark.parametrize("offset_mm", [-120.0, -35.0, 48.0, 150.0])
def test_an_offset_on_the_gap_changes_nothing(offset_mm):
    """The hang is the athlete's own, not a number: a bar set higher or lower,
    or a thicker chest, moves every reading alike."""
    reps = [GOOD, SHORT, BENT, GOOD]
    base = judge(*shrug_stream(reps, seed=3)[:2])
    moved = judge(*shrug_stream(reps, seed=3, offset_mm=offset_mm)[:2])
    key = lambda p: [(r.valid, r.reason, r.t_start_us, r.t_end_us, r.top_hold_s,  # noqa: E731
                      round(r.rom_mm, 6)) for r in reps_of(p)]
    assert key(moved) == key(base)
    assert [r.min_gap_mm - offset_mm for r in reps_of(moved)] == \
        pytest.approx([r.min_gap_mm for r in reps_of(base)])


@pytest.mark.parametrize("at", [3.5, 4.3, 5.0, 6.2, 7.9])
@pytest.mark.parametrize("mm", [0, 1700, 260])
def test_a_lone_stray_reading_anywhere_changes_no_verdict(at, mm):
    base = verdicts(judge(*shrug_stream([GOOD, GOOD], seed=4)[:2]))
    assert verdicts(judge(*shrug_stream([GOOD, GOOD], seed=4, strays=((at, mm),))[:2])) == base


@pytest.mark.parametrize("d_hz", [12.0, 20.0, 40.0])
def test_a_reading_at_the_hang_mid_hold_neither_ends_nor_splits_the_squeeze(d_hz):
    """A wrong reading near where the chest hangs passes the motion gate (it
    is no further than a chest could move): the squeeze goes on, its hold whole."""
    _, _, spans = shrug_stream([GOOD, GOOD])
    t_hold = spans[0][0] + 0.5
    strays = tuple((t_hold + k, int(HANG_MM) - 2) for k in (0.6, 1.5, 2.4))
    p = judge(*shrug_stream([GOOD, GOOD], d_hz=d_hz, seed=8, strays=strays)[:2])
    assert verdicts(p) == [(True, None)] * 2
    assert reps_of(p)[0].top_hold_s == pytest.approx(HELD_3_S, abs=0.1)


@pytest.mark.parametrize("d_hz", [12.0, 20.0, 40.0])
def test_the_verdicts_hold_at_any_sensor_rate(d_hz):
    p = judge(*shrug_stream([GOOD, SHORT, BENT], d_hz=d_hz, seed=5)[:2])
    assert verdicts(p) == [(True, None), (False, NO_HOLD_REASON), (False, ARMS_BENT_REASON)]


def test_a_slow_squeeze_counts_as_one():
    p = judge(*shrug_stream([GOOD, GOOD], rise_s=1.5, seed=6)[:2])
    assert verdicts(p) == [(True, None)] * 2


def test_letting_go_mid_squeeze_is_bar_released():
    force, dist, spans = shrug_stream([GOOD, GOOD], release_at=None)
    t_off = spans[1][0] + 1.5
    force, dist, _ = shrug_stream([GOOD, GOOD], release_at=t_off)
    p = judge(force, dist)
    assert verdicts(p) == [(True, None), (False, "bar_released")]


def test_a_stream_gap_mid_squeeze_is_a_sensor_dropout_and_the_next_counts():
    _, _, spans = shrug_stream([GOOD, GOOD, GOOD])
    cut = (spans[1][0] + 0.9, spans[1][0] + 2.1)
    p = judge(*shrug_stream([GOOD, GOOD, GOOD], cut=cut)[:2])
    assert verdicts(p) == [(True, None), (False, "sensor_dropout"), (True, None)]


def test_a_squeeze_under_way_when_the_stream_comes_back_is_a_sensor_dropout():
    """No squeeze was cut (the gap began in the hang): one under way in the
    first readings after it began in the gap, and nobody saw it begin."""
    _, _, spans = shrug_stream([GOOD, GOOD, GOOD])
    cut = (spans[1][0] - 0.8, spans[1][0] + 1.2)
    p = judge(*shrug_stream([GOOD, GOOD, GOOD], cut=cut)[:2])
    assert verdicts(p) == [(True, None), (False, "sensor_dropout"), (True, None)]
    assert reps_of(p)[1].t_start_us == pytest.approx(cut[1] * 1e6, abs=15_000)


def test_getting_on_while_the_gap_still_falls_is_no_shrug():
    """The gap falls from the floor to the hang as the load comes on: that
    fall is no squeeze (it is over a row's range, and no hang was known)."""
    p = judge(*shrug_stream([GOOD], lead_s=1.5)[:2])
    assert verdicts(p) == [(True, None)]


@pytest.mark.parametrize("second", [GOOD, SHORT, BENT])
def test_a_squeeze_begun_while_the_chest_still_settles_from_getting_on_is_found(second):
    """The chest still comes down into the hang (0.6 s time constant) when
    the first squeeze begins: its hold is the first still stretch, so the
    hang is known only when the chest comes back; the squeeze is a rep then,
    judged as any other, and the next one too."""
    force, dist, spans = shrug_stream([GOOD, second], lead_s=1.6, settle_tau_s=0.6)
    p = judge(force, dist)
    reason = {GOOD: None, SHORT: NO_HOLD_REASON, BENT: ARMS_BENT_REASON}[second]
    assert verdicts(p) == [(True, None), (reason is None, reason)]
    first = reps_of(p)[0]
    assert first.top_hold_s == pytest.approx(HELD_3_S, abs=0.15)
    assert first.rom_mm == pytest.approx(40.0, abs=5.0)
    assert abs(first.t_end_us / 1e6 - spans[0][1]) < 0.4


def test_without_a_distance_sensor_no_shrug_is_guessed():
    force, _, _ = shrug_stream([GOOD, BENT])
    p = judge(force, DistanceBlock.empty(), replace(CONFIG, has_distance=False))
    assert len(p.sets) == 1 and reps_of(p) == []


def test_the_same_stream_is_judged_as_rows_or_shrugs_by_the_sets_exercise():
    """Bent-arm "shrugs" of a row's range are pulls: as rows they are reps
    without contact (the chest stops 300 mm short; the row's judge also
    wants the force to show the pull, which this flat load does not always);
    as shrugs, arms_bent."""
    force, dist, _ = shrug_stream([BENT, BENT])
    as_rows = judge(force, dist, replace(CONFIG, exercise=INVERTED_ROW))
    as_shrugs = judge(force, dist)
    assert [s.exercise for s in as_rows.sets] == [INVERTED_ROW]
    assert reps_of(as_rows) and {r.reason for r in reps_of(as_rows)} == {"no_contact"}
    assert verdicts(as_shrugs) == [(False, ARMS_BENT_REASON)] * 2


def test_a_deeper_calibrated_squeeze_moves_the_bent_line():
    """The athlete's squeeze depth sets the lines: a 90 mm fall bends the
    arms of an athlete who squeezes 20 mm, not of one who squeezes 70 mm."""
    stream = shrug_stream([(90.0, 3.0)] * 2, seed=7)[:2]
    assert verdicts(judge(*stream, replace(CONFIG, shrug_squeeze_mm=20.0))) == \
        [(False, ARMS_BENT_REASON)] * 2
    assert verdicts(judge(*stream, replace(CONFIG, shrug_squeeze_mm=70.0))) == [(True, None)] * 2


def test_an_unknown_exercise_is_refused():
    with pytest.raises(ValueError, match="mid-back-shrug"):
        AnalysisPipeline(replace(CONFIG, exercise="rear-delt-fly"))
    p = AnalysisPipeline(CONFIG)
    with pytest.raises(ValueError):
        p.set_exercise("shrug")

"""Validation against what the judge did not write (STYLE habit 16).

(a) The second athlete model is physical: the still hang carries what the
    moment balance about the heels says; the bar load rises above it while
    the chest accelerates up; contact truth is kinematic; the passive system
    conserves energy; 2 ms steps agree with 0.5 ms; seeds reproduce.
(b) A seeded sample of randomised sessions (both models, docs/validation.md)
    through ``AnalysisPipeline``'s public API, held to the accuracy targets:
    recall >= 99.5 %, phantoms <= 0.3 per 100 true reps, verdict+reason
    >= 99 % (grey zone apart), p99 start/end error <= 150 ms, peak force
    within 2 % (p99). These figures are the judge's, not the model's: when
    one fails, ``python benchmarks/bench_accuracy.py --show SEED`` replays a
    worst case.
"""

from __future__ import annotations

import ast
import math
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from backstation.validation import body as bd
from backstation.validation.athlete import RepPlan, SetPlan, kinematic_truth, simulate_session
from backstation.validation.motion import Drive, State, move

SAMPLE_SESSIONS = int(os.environ.get("BACKSTATION_VALIDATION_SESSIONS", "200"))
SAMPLE_FIRST_SEED = 1_000_000     # apart from the benchmark's default seeds 0..1999
PARAMS = bd.BodyParams(body_mass_kg=80.0, height_m=1.80, bar_height_m=0.92, shoulder_share=2.5)


# ----- (a) the model is physical -------------------------------------------------------

def _static_load_by_moment_balance(g: bd.Geometry, theta: float, s: float) -> float:
    """Written out again from the free-body diagram: still, arms straight, the
    arm line (shoulder -> bar) the only support besides the heels, so its
    tension balances gravity's moment about the heels; the bar carries its
    vertical component."""
    c, sn = math.cos(theta), math.sin(theta)
    shoulder = np.array([g.r_s * c, g.heel_y + g.r_s * sn])
    line = np.array([g.bar_x, g.bar_y]) - shoulder
    unit = line / np.linalg.norm(line)
    slid = shoulder + s * unit
    arm_moment_per_newton = (slid[0] * unit[1] - (slid[1] - g.heel_y) * unit[0])
    gravity = g.mass * bd.G_MS2 * g.r_g * c + g.p.plates_kg * bd.G_MS2 * (g.r_p * c - g.h_p * sn)
    return gravity / arm_moment_per_newton * unit[1]


@pytest.mark.parametrize("params", [
    PARAMS,
    replace(PARAMS, bench_m=0.45, bar_height_m=1.05),
    replace(PARAMS, plates_kg=25.0, body_mass_kg=62.0, height_m=1.65, bar_height_m=0.85),
], ids=["heels-floor", "heels-bench", "plates"])
def test_still_hang_carries_the_moment_balance_share_of_body_weight(params):
    g = bd.Geometry.build(params)
    for s in (0.0, 0.035, 0.07):
        theta = bd.hang_theta(g, s)
        load = bd.chain(g, theta, 0.0, s, 0.0, 0.0, 1.0).bar_load_n
        want = _static_load_by_moment_balance(g, theta, s)
        assert load == pytest.approx(want, rel=1e-6)
        weight = (params.body_mass_kg + params.plates_kg) * bd.G_MS2
        assert 0.35 < load / weight < 0.9, f"share {load / weight:.2f} of body weight"
    # and the integrator, left alone in the hang, stays there with that load
    st = State(0.0, bd.hang_theta(g, 0.03), s=0.03, k_max=g.k_max)
    track, outcome = move(g, st, Drive("lower", effort=0.1, lower_s=1.0, max_s=0.5))
    assert outcome == "locked"
    assert np.mean(track.load_n[-20:]) == pytest.approx(
        _static_load_by_moment_balance(g, st.theta, 0.03), rel=0.01)


def test_load_rises_above_static_while_the_chest_accelerates_up():
    g = bd.Geometry.build(PARAMS)
    s = 0.03
    st = State(0.0, bd.hang_theta(g, s), s=s, k_max=g.k_max)
    static = bd.chain(g, st.theta, 0.0, s, 0.0, 0.0, 1.0).bar_load_n
    track, outcome = move(g, st, Drive("pull", effort=1.5, s_to=s, pack_s=0.0))
    assert outcome == "contact"
    obs = bd.observe(g, np.array(track.theta), np.array(track.s))
    y = obs["chest_y_m"]
    t = np.array(track.t_s)
    acc = np.gradient(np.gradient(y, t), t)
    load = np.array(track.load_n)
    # the first 0.4 s of the pull: whenever the chest accelerates upwards hard,
    # the bar carries more than the still hang
    early = t - t[0] < 0.4
    hard = early & (acc > 0.5)
    assert hard.sum() > 20
    assert (load[hard] > static).all()
    assert load[hard].max() > 1.1 * static


def _one_set(reps, params=PARAMS, seed=3):
    bs = simulate_session(params, [SetPlan(tuple(reps), rest_before_s=3.0, lift_s=1.0)],
                          np.random.default_rng(seed))
    return bs, kinematic_truth(bs)


def test_contact_truth_is_kinematic_and_the_sensor_reads_a_small_positive_number():
    bs, kin = _one_set([RepPlan(pause_s=1.0), RepPlan(stop_gap_m=0.10, pause_s=1.0),
                        RepPlan(stop_gap_m=0.02, pause_s=1.0)])
    touch, short, grazing = kin
    assert touch.contact and touch.min_gap_kin_mm <= 0.0 and not touch.grey
    recess_mm = PARAMS.sensor_recess_m * 1000
    assert 0.0 <= touch.min_reading_mm <= recess_mm + 10
    assert not short.contact and 60.0 < short.min_gap_kin_mm < 160.0 and not short.grey
    assert not grazing.contact and grazing.grey      # 0..40 mm short: too close to call
    for k in kin:
        assert k.straight_after and k.bottom_elbow_deg >= 165.0


def test_a_rep_that_never_straightens_ends_where_the_chest_settled_or_at_the_next_pull():
    """The truth's end of a no-lockout rep: the chest went down and then held
    still with the arms bent (a pause before the next pull) -> where it
    settled; turned straight into the next pull without settling -> there."""
    from backstation.defaults import SETTLED_MM_S
    from backstation.validation.athlete import DT_S, _settled_short
    t = np.arange(0.0, 12.0, DT_S)
    top, settle, next_pull = 1.0, 2.5, 11.0
    v = np.where(t < top, 300.0, np.where(t < settle, -250.0 * np.sin(np.pi * (t - top) / (settle - top)), 0.0))
    i_top, i_next = int(top / DT_S), int(next_pull / DT_S)
    i_end = _settled_short(v, i_top, i_next)
    assert abs(t[i_end] - settle) < 0.1 and abs(v[i_end]) < SETTLED_MM_S
    tng = np.where(t < top, 300.0, -250.0)          # still going down at the turn
    assert _settled_short(tng, i_top, int(2.0 / DT_S)) == int(2.0 / DT_S)


def test_a_slow_lowering_ends_once_the_elbows_reach_their_stop_not_in_the_lull_before():
    """Near straight, the elbow's last degrees barely move the chest: a heavy
    athlete lowering slowly has the chest under 30 mm/s for 0.1 s while the
    elbows still open from 167 to 177 degrees, and the chest then drops
    20 mm more. The arms are straight again, and the body settled, only
    once the elbows reached their stop."""
    heavy = replace(PARAMS, body_mass_kg=120.0, height_m=1.78, plates_kg=19.0, bar_height_m=0.87,
                    elbow_max_deg=177.0)
    slow = RepPlan(effort=0.21, lower_s=3.7, lower_effort=0.08, hold_s=3.0, s_hang=0.0, s_pull=0.011,
                   pack_s=0.48, pause_s=3.0)
    bs, kin = _one_set([slow] * 3, params=heavy)
    tl = bs.timeline
    for k, after in zip(kin, kin[1:]):
        i, j = np.searchsorted(tl.t_s, [k.t_end_s, after.t_start_s])
        assert tl.elbow_deg[i] >= heavy.elbow_max_deg - 1.0
        hang = tl.reading_mm[i:j]
        assert np.abs(hang - tl.reading_mm[i]).max() < 10.0     # none of the lowering after the end


def test_a_bent_elbow_barely_changes_the_reach_until_well_bent():
    assert bd.reach_loss_mm(0.3, 0.3, 150.0) == pytest.approx(20.4, abs=0.2)
    assert bd.reach_loss_mm(0.3, 0.3, 120.0) == pytest.approx(80.4, abs=0.2)
    _, kin = _one_set([RepPlan(pause_s=1.0, turn_deg=150.0), RepPlan(pause_s=0.0, turn_deg=100.0),
                       RepPlan(pause_s=0.0)])
    grey, bent, last = kin
    assert grey.grey and not grey.straight_after            # 135-165 deg: too close to call
    assert not bent.grey and not bent.straight_after and bent.bottom_elbow_deg < 135
    assert last.straight_after


def test_the_passive_body_conserves_energy(monkeypatch):
    """No muscles, no damping: dropped onto its straight arms, the body
    bounces in the arm stop with kinetic + potential + elastic energy constant."""
    monkeypatch.setattr(bd, "ARM_STOP_DAMPING", 0.0)
    g = bd.Geometry.build(PARAMS)
    assert g.arm_damping == 0.0
    lock = bd.lock_theta(g, 0.0)
    theta, omega, dt = lock + 0.03, 0.0, 0.0002

    def energy(th: float, om: float) -> float:
        c, sn = math.cos(th), math.sin(th)
        f = bd.chain(g, th, 0.0, 0.0, 0.0, 0.0, 1.0)
        stretch = max(0.0, f.d_chain - g.d_lock)
        potential = g.mass * bd.G_MS2 * g.r_g * sn
        return 0.5 * g.inertia * om * om + potential + 0.5 * bd.ARM_STOP_N_PER_M * stretch ** 2

    e0 = energy(theta, omega)
    lowest = theta
    for _ in range(int(1.0 / dt)):
        omega += bd.chain(g, theta, omega, 0.0, 0.0, 0.0, 1.0).moment / g.inertia * dt
        theta += omega * dt
        lowest = min(lowest, theta)
        assert energy(theta, omega) == pytest.approx(e0, abs=0.01 * g.mass * bd.G_MS2 * 0.03 + 0.05)
    assert lowest < lock        # it did fall into the stop and come back


def test_the_integration_steps_agree_with_half_a_millisecond(monkeypatch):
    import backstation.validation.athlete as athlete
    import backstation.validation.motion as motion
    reps = [RepPlan(pause_s=1.0), RepPlan(stop_gap_m=0.1, pause_s=1.0),
            RepPlan(effort=0.3, hold_s=2.0, lower_s=3.0, lower_effort=0.08, pause_s=1.0)]

    def run(dt):
        for mod in (bd, motion, athlete):
            monkeypatch.setattr(mod, "DT_S", dt)
        bs, kin = _one_set(reps)
        tl = bs.timeline
        return [(k.t_start_s, k.t_end_s, k.min_gap_kin_mm, k.rom_mm,
                 tl.load_n[(tl.t_s >= k.t_start_s) & (tl.t_s <= k.t_end_s)].max()) for k in kin]

    monkeypatch.setattr(bd, "DT_SLOW_S", 0.0005)
    fine = run(0.0005)
    monkeypatch.setattr(bd, "DT_SLOW_S", 0.005)
    coarse = run(0.002)
    for a, b in zip(fine, coarse):
        # end-of-movement tests fire on the step grid: offsets add up over a set
        assert b[0] == pytest.approx(a[0], abs=0.15)
        assert b[1] - b[0] == pytest.approx(a[1] - a[0], abs=0.08)
        assert b[2] == pytest.approx(a[2], abs=2.5) and b[3] == pytest.approx(a[3], abs=3.0)
        assert b[4] == pytest.approx(a[4], rel=0.03)


def test_a_seed_gives_the_same_session_every_time():
    from backstation.validation.randomise import generate_session
    for seed in (11, 12):
        a, b = generate_session(seed), generate_session(seed)
        assert repr(a.truth) == repr(b.truth) and a.manual == b.manual and a.tags == b.tags
        assert a.calibration == b.calibration and len(a.chunks) == len(b.chunks)
        for (fa, da), (fb, db) in zip(a.chunks, b.chunks):
            assert np.array_equal(fa.raw, fb.raw) and np.array_equal(fa.t_device_us, fb.t_device_us)
            assert np.array_equal(da.gap_mm, db.gap_mm)


def test_sensors_show_their_artefacts():
    from backstation.validation import sensors as sn
    rng = np.random.default_rng(5)
    t = np.arange(0, 60, 0.002)
    reading = 500 + 200 * np.sin(t)
    art = sn.DistanceArtefacts(missed=0.03, stray=0.02, stray_burst_max=3, multipath=0.01,
                               near_zero=0.01, stuck=0.01)
    d = sn.distance(t, reading, "vl53l0x", 40.0, art, rng, oor_code=8190)
    kinds = {sn.ARTEFACT_CODES[c] for c in np.unique(d.artefact)}
    assert {"missed", "stray", "multipath", "near_zero", "stuck"} <= kinds
    assert (d.gap_mm[d.artefact == 1] == 8190).all()
    clean = d.artefact == 0
    assert np.abs(d.gap_mm[clean] - d.clean_mm[clean]).max() < 60
    f = sn.hx711(t, np.full(len(t), 600.0), 80, 2, 0.4, rng)
    newtons = [(f.raw[:, c.channel] - c.offset_counts) / c.counts_per_newton for c in f.cal]
    assert np.mean(newtons[0]) == pytest.approx(240.0, abs=6.5)       # the left share drifts 1 %
    assert np.mean(newtons[0] + newtons[1]) == pytest.approx(600.0, abs=0.05)
    assert np.std(newtons[0] + newtons[1]) == pytest.approx(0.2 * math.sqrt(2), abs=0.05)
    assert 77.5 < f.rate_hz < 82.5 and abs(len(f.t_s) / 60 - f.rate_hz) < 0.5


def test_the_validation_package_imports_no_qt():
    src = Path(__file__).resolve().parents[1] / "src" / "backstation" / "validation"
    for path in src.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not [n for n in names if n.split(".")[0] in ("PySide6", "pyqtgraph", "shiboken6")]


# ----- (b) the judge on randomised sessions ----------------------------------------------

def _judge(seed: int):
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judge_and_score
    return judge_and_score(generate_session(seed))


@pytest.fixture(scope="module")
def sample():
    """The sample judged: its figures per tag, and its worst cases."""
    from backstation.validation.score import aggregate, worst_cases
    seeds = range(SAMPLE_FIRST_SEED, SAMPLE_FIRST_SEED + SAMPLE_SESSIONS)
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        scores = list(pool.map(_judge, seeds, chunksize=4))
    by_tag = aggregate(scores)
    worst = "; ".join(f"seed {p.seed}: {p.what}" for p in worst_cases(scores, 6))
    print(f"\njudge validation: {len(scores)} sessions in {time.perf_counter() - started:.1f} s")
    for tag in ("ALL", "distance_sensor"):
        f = by_tag[tag]
        print(f"{tag}: {f.true_reps} true reps, recall {f.recall_pct:.2f} %, "
              f"phantoms {f.phantom_per_100:.2f}/100, verdict {f.verdict_pct:.2f} %, "
              f"p99 start {f.p99_start_ms:.0f} ms, end {f.p99_end_ms:.0f} ms, "
              f"both within 150 ms {f.timing_within_pct:.1f} %, p99 peak {f.p99_peak_pct:.2f} %")
    print(f"worst: {worst}")
    return by_tag, worst


@pytest.fixture(scope="module")
def figures(sample):
    by_tag, worst = sample
    return by_tag["ALL"], worst


# Where the judge stands on this sample (deterministic: fixed seeds), kept as a
# floor so that no change makes it worse unnoticed; raise it as the judge improves,
# and re-measure it when the sample's worlds change (the models, the truth).
FLOOR = {"recall_pct": 98.95, "phantom_per_100": 0.32, "verdict_pct": 99.2, "p99_peak_pct": 1.75,
         "timing_within_pct": 76.5}

# With a distance sensor (a station that judges) the sample meets the phantom, verdict
# and peak targets; its recall is held at a floor (the benchmark's 2000 sessions: 99.51 %).
SENSOR_FLOOR = {"recall_pct": 99.4}

NOT_YET = ("the judge misses the issue's target on the independent model "
           "(docs/analysis.md, 'Accuracy'): kept failing on purpose until it meets it")


def test_judge_is_no_worse_than_its_recorded_floor(figures):
    f, worst = figures
    assert f.recall_pct >= FLOOR["recall_pct"], f"recall {f.recall_pct:.2f} %; {worst}"
    assert f.phantom_per_100 <= FLOOR["phantom_per_100"], \
        f"{f.phantoms} phantom reps ({f.phantom_per_100:.2f} per 100); {worst}"
    assert f.verdict_pct >= FLOOR["verdict_pct"], f"{f.correct}/{f.scored} right; {worst}"
    assert f.p99_peak_pct <= FLOOR["p99_peak_pct"], f"p99 peak error {f.p99_peak_pct:.2f} %"
    assert f.timing_within_pct >= FLOOR["timing_within_pct"], \
        f"{f.timing_within_pct:.1f} % of reps with start and end within 150 ms"


def test_with_a_distance_sensor_the_judge_meets_the_phantom_verdict_and_peak_targets(sample):
    from backstation.validation.score import TARGETS
    by_tag, worst = sample
    f = by_tag["distance_sensor"]
    assert f.true_reps > 1000
    assert f.phantom_per_100 <= TARGETS["phantom_per_100"], \
        f"{f.phantoms} phantom reps ({f.phantom_per_100:.2f} per 100); {worst}"
    assert f.verdict_pct >= TARGETS["verdict_pct"], f"{f.correct}/{f.scored} right; {worst}"
    assert f.p99_peak_pct <= TARGETS["peak_pct"], f"p99 peak error {f.p99_peak_pct:.2f} %"
    assert f.recall_pct >= SENSOR_FLOOR["recall_pct"], f"recall {f.recall_pct:.2f} %; {worst}"


@pytest.mark.xfail(strict=True, reason=NOT_YET)
def test_judge_finds_every_true_rep(figures):
    from backstation.validation.score import TARGETS
    f, worst = figures
    assert f.true_reps > 1000
    assert f.recall_pct >= TARGETS["recall_pct"], f"recall {f.recall_pct:.2f} %; {worst}"


@pytest.mark.xfail(strict=True, reason=NOT_YET)
def test_judge_invents_no_reps(figures):
    from backstation.validation.score import TARGETS
    f, worst = figures
    assert f.phantom_per_100 <= TARGETS["phantom_per_100"], \
        f"{f.phantoms} phantom reps ({f.phantom_per_100:.2f} per 100); {worst}"


def test_judge_verdicts_and_reasons_match_the_truth(figures):
    from backstation.validation.score import TARGETS
    f, worst = figures
    assert f.verdict_pct >= TARGETS["verdict_pct"], \
        f"{f.correct}/{f.scored} right ({f.grey} grey-zone reps apart); {worst}"


@pytest.mark.xfail(strict=True, reason=NOT_YET)
def test_judge_rep_timing_p99_within_150_ms(figures):
    from backstation.validation.score import TARGETS
    f, worst = figures
    assert max(f.p99_start_ms, f.p99_end_ms) <= TARGETS["p99_timing_ms"], \
        f"p99 start {f.p99_start_ms:.0f} ms, end {f.p99_end_ms:.0f} ms; {worst}"


def test_judge_peak_force_within_2_percent(figures):
    from backstation.validation.score import TARGETS
    f, worst = figures
    assert f.p99_peak_pct <= TARGETS["peak_pct"], \
        f"p99 peak error {f.p99_peak_pct:.2f} % ({f.peak_within_pct:.1f} % of reps within 2 %)"


@pytest.mark.parametrize("seed", [10, 16])
def test_a_rep_ends_where_the_body_settled_not_as_it_bounces_on_the_arm_stop(seed):
    """Randomised body-model sessions whose reps end with the body bouncing
    on the arm stop (the force swinging through its rest level for a few
    tenths of a second): the judged end is where the chest settled in truth,
    within 150 ms, for nearly every rep (it came 0.3 s early at the first
    crossing of the force)."""
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judged_reps, match, run_judge, seen_edges
    session = generate_session(seed)
    assert session.model == "body" and "sensor_none" not in session.tags
    got = judged_reps(run_judge(session))
    ends = [got[j].t_end_s - seen_edges(session.truth[i], session.gaps_s)[1]
            for i, j in match(session.truth, got).items()]
    within = sum(abs(e) <= 0.15 for e in ends)
    assert len(ends) >= 12 and within >= 0.8 * len(ends), [round(e, 2) for e in ends]


def test_a_rep_whose_force_swings_on_after_the_chest_arrived_ends_where_it_arrived():
    """Body-model seed 1997, rep 13: the elbows reach their stop, the shoulders
    drop 15 mm more, and the force then swings on with the body's sway for
    over 1.5 s, never still: at the time limit the rep ends where the chest
    arrived, not where the force first came under its threshold (0.2 s
    early, before the shoulders' drop)."""
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judged_reps, match, run_judge
    session = generate_session(1997)
    got = judged_reps(run_judge(session))
    j = match(session.truth, got)[13]
    assert abs(got[j].t_end_s - session.truth[13].t_end_s) <= 0.15


@pytest.mark.parametrize("seed", [207, 324, 345])
def test_force_only_a_rep_let_go_of_after_its_lowering_is_no_release(seed):
    """Randomised force-only sessions (the simulator's 207, the body model's
    324 and 345) where the athlete let go straight after a rep's lowering:
    the rep had its top and the braking of its lowering, so it was over, and
    stays unknown (None), not ``bar_released``."""
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judged_reps, match, run_judge
    session = generate_session(seed)
    assert "sensor_none" in session.tags
    got = judged_reps(run_judge(session))
    pairs = match(session.truth, got)
    wrong = [(t.t_start_s, got[j].reason) for i, j in pairs.items()
             if (t := session.truth[i]).reason is None and got[j].reason == "bar_released"]
    assert not wrong, wrong


def test_no_rep_is_reported_that_lasts_less_than_a_quarter_second():
    """Session 34 (the project's simulator with stray echoes) once gave
    zero-length no_contact reps where a stray reading broke a rep's timing."""
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import run_judge
    pipeline = run_judge(generate_session(34))
    durations = [r.t_end_us - r.t_start_us for s in pipeline.sets for r in s.reps]
    assert len(durations) > 10
    assert min(durations) >= 250_000


def test_a_pull_start_found_between_two_samples_stays_between_them():
    """Session 261 (the project's simulator, a hang creeping down 30 mm): a
    pull's start interpolated past the sample over the onset threshold would
    land in the future and drop every rep after it."""
    from backstation.validation.randomise import generate_session
    from backstation.validation.score import judged_reps, match, run_judge
    session = generate_session(261)
    got = judged_reps(run_judge(session))
    matched = match(session.truth, got)
    later = [i for i, t in enumerate(session.truth) if 367 <= t.t_start_s <= 442]
    assert len(later) == 15
    assert all(i in matched for i in later)
    assert all(g.t_start_s <= g.t_end_s for g in got)


def test_a_pull_shorter_than_the_minimum_range_is_no_rep_to_find_nor_a_phantom():
    """The spec: a rep is a pull of at least the minimum range (150 mm by
    default); smaller wiggles are not reps. A complete pull under it is not
    missed when the judge passes it over; reported, it is a phantom unless its
    rom is within a fifth of the range (readings see a turn's extremes a
    little short) or the station has no distance sensor (no range to see).
    One let go of or cut by a stream gap is a rep however short."""
    from backstation.analysis import AnalysisConfig
    from backstation.validation.randomise import _mark_wiggles
    from backstation.validation.score import JudgedRep, score_session
    from backstation.validation.truth import WIGGLE_GREY_SHARE, Session, TrueRep

    r = AnalysisConfig.min_range_mm
    edge = WIGGLE_GREY_SHARE * r

    def rep(t0, rom, reasons=(None,)):
        return TrueRep(t0, t0 + 2, reasons[0] is None, reasons[0], reasons, 5.0, rom, 0.0, 500.0,
                       False)

    truth = _mark_wiggles([rep(10, 300), rep(20, r - 1), rep(30, r - 1),
                           rep(40, r - 1, ("bar_released",)), rep(50, edge + 1),
                           rep(60, edge - 1), rep(70, 20, ("no_contact", "sensor_dropout"))], {})
    assert [t.wiggle_share is not None for t in truth] == [False, True, True, False, True, True, False]

    def score(starts, has_distance=True):
        session = Session(1, "body", "", [], 2, [], {"has_distance": has_distance}, [], truth)
        return score_session(session, [JudgedRep(1, True, None, t0 + 0.1, t0 + 2, 500.0, None, None,
                                                 None, False) for t0 in starts])

    found = score([10, 20])
    assert found.true_reps == 3
    assert [x.matched for x in found.reps] == [True, False, False]   # the release, the dropout
    assert found.phantoms == 0
    assert score([10, 50]).phantoms == 0            # within a fifth of the range: either way
    assert score([10, 60]).phantoms == 1            # well under it: no rep
    assert score([10, 60], has_distance=False).phantoms == 0

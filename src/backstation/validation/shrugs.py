"""Mid-back shrug sessions made apart from the judge (analysis/shrugs.py) and
from the project's simulator (device/sim/shrug.py), and their scoring
(docs/validation.md, "Mid-back shrugs").

Other assumptions than both: the chest follows the athlete's aim as a
critically damped second-order response (no finite-time minimum-jerk
move), breathes (0.2-0.4 Hz, 1-3 mm) the whole time, trembles at the
squeeze (4-9 Hz, 0.3-2 mm) and creeps during the hold (up to +-6 mm); the
hang wanders from rep to rep (a random walk, +-25 mm at most); the athlete's
squeeze depth varies from rep to rep (0.85-1.2 x) and the judge is told it
with a calibration error (0.9-1.1 x); the target hold is randomised too.
Getting on lies down and grips in one motion (the gap still falling as the
load comes on) or slides in first. Bent-arm reps pull the chest up a row's
worth or less (40-320 mm more than the squeeze). Sensors are
validation/sensors.py's (HC-SR04 at 12-20 Hz, VL53L0X/L1X at 30-50 Hz, stray
echoes alone or in bursts, multipath, missed and stuck readings; HX711 at 10
or 80 SPS, 1-2 channels).

**Truth**, from the noise-free motion and the athlete's intent, never from a
judge threshold: a rep starts where the athlete starts to squeeze (the aim
steps up) and ends where the chest is back within 3 mm of its hang (or the
next rep starts); its hold is from the chest reaching within max(3 mm, 10 %
of the depth) of its aim to the release; ``arms_bent`` when the elbows bent
(the aim went past the squeeze), ``no_hold`` when the hold was shorter than
the target, ``bar_released`` when the hands let go. **Grey** (verdict not
scored): a bend that raised the chest less than 100 mm more than the squeeze
(the reach lost by elbows still straighter than ~115 deg: the sensor on the
chest cannot tell it from a deep squeeze), or a hold within 0.3 s of the
target (readings 20-80 ms apart and a 3-reading median date it that well).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..exercises import MID_BACK_SHRUG
from ..units import G_MS2
from . import sensors as sn
from .randomise import distance_artefacts
from .score import match

GRID_S = 0.002
HOLD_GREY_S = 0.3
BENT_GREY_MM = 100.0
SETTLED_MM = 3.0
FLOOR_MM = 870.0


@dataclass(frozen=True)
class TrueShrug:
    t_start_s: float
    t_end_s: float
    reason: str | None           # None (valid), arms_bent, no_hold, bar_released
    fall_mm: float               # deepest noise-free fall from the hang
    hold_s: float
    grey: bool

    @property
    def valid(self) -> bool:
        return self.reason is None


@dataclass
class ShrugSession:
    seed: int
    chunks: list
    channels: int
    calibration: list[tuple[int, int, float]]
    config: dict
    truth: list[TrueShrug]
    tags: set[str] = field(default_factory=set)


class _Track:
    """The athlete's aim (gap target, mm) as steps in time, and the load share."""

    def __init__(self) -> None:
        self.aim: list[tuple[float, float, float]] = []   # (t, target mm, time constant s)
        self.on: list[tuple[float, float, float]] = []    # (t0, t1, share 0..1 ramp end)

    def go(self, t: float, target: float, tau: float) -> None:
        self.aim.append((t, target, tau))


def _respond(t: np.ndarray, steps: list[tuple[float, float, float]], start_mm: float) -> np.ndarray:
    """The chest under a critically damped response to each step of the aim."""
    x = np.full_like(t, start_mm)
    v = np.zeros_like(t)
    target, tau = start_mm, 0.2
    k = 0
    for i in range(1, len(t)):
        while k < len(steps) and steps[k][0] <= t[i]:
            _, target, tau = steps[k]
            k += 1
        w = 1.0 / tau
        a = w * w * (target - x[i - 1]) - 2 * w * v[i - 1]
        v[i] = v[i - 1] + a * GRID_S
        x[i] = x[i - 1] + v[i] * GRID_S
    return x


def generate_shrug_session(seed: int) -> ShrugSession:
    rng = np.random.default_rng([int(seed), 0x5487])
    depth = float(rng.uniform(20, 80))                  # the athlete's squeeze
    hold_target = float(rng.choice([1.5, 2.0, 2.0, 2.5, 3.0]))
    config = dict(exercise=MID_BACK_SHRUG, body_mass_kg=float(rng.uniform(55, 110)),
                  shrug_squeeze_mm=round(depth * float(rng.uniform(0.9, 1.1)), 1),
                  shrug_hold_s=hold_target)
    kind = "hcsr04" if rng.random() < 0.7 else str(rng.choice(["vl53l0x", "vl53l1x"]))
    rate_hz = float(rng.uniform(12, 20) if kind == "hcsr04" else rng.uniform(30, 50))
    config["has_distance"] = True
    hang0 = float(rng.uniform(430, 600))
    tags = {kind, f"depth_{'shallow' if depth < 40 else 'deep'}"}
    steps: list[tuple[float, float, float]] = [(0.0, FLOOR_MM, 0.1)]
    on: list[tuple[float, float, float, float]] = []    # (t0, t1, share0, share1)
    plan: list[dict] = []
    t = float(rng.uniform(2, 4))
    for _ in range(int(rng.integers(1, 4))):
        one_motion = rng.random() < 0.5
        hang = hang0 + float(rng.uniform(-15, 15))
        if one_motion:           # lie down and grip in one motion: the gap falls as the load comes
            steps.append((t, hang, float(rng.uniform(0.25, 0.5))))
            ramp = float(rng.uniform(0.8, 1.6))
        else:                    # slide in first, then grip
            steps.append((t, hang, 0.15))
            t += float(rng.uniform(1.0, 2.0))
            ramp = float(rng.uniform(0.5, 1.2))
        on.append((t, t + ramp, 0.0, 1.0))
        t += ramp + float(rng.uniform(1.0, 4.0))
        released = False
        for _ in range(int(rng.integers(4, 11))):
            tau_up = float(rng.uniform(0.08, 0.25))
            r = rng.random()
            bent = r < 0.15
            fall = depth * float(rng.uniform(0.85, 1.2))
            bend = float(rng.uniform(40, 320)) if bent else 0.0
            fall += bend
            if bent:
                tau_up = float(rng.uniform(0.2, 0.45))
            hold = float(rng.uniform(0.3, hold_target - 0.1) if 0.15 <= r < 0.35
                         else rng.uniform(hold_target - 0.4, hold_target + 3.5))
            hold = max(0.2, hold)
            steps.append((t, hang - fall, tau_up))
            reach_s = _reach_time(tau_up, fall)
            let_go = rng.random() < 0.03
            rel_tau = float(rng.uniform(0.1, 0.3))
            rep = dict(t_start=t, hang=hang, fall=fall, hold=hold, bent=bent, tau_up=tau_up,
                       t_release=t + reach_s + hold, released=let_go, rel_tau=rel_tau,
                       bend=bend)
            plan.append(rep)
            if let_go:          # the hands open mid-hold: the body drops to the floor
                t_off = t + reach_s + hold * float(rng.uniform(0.3, 0.9))
                rep["t_release"] = t_off
                on.append((t_off, t_off + 0.06, 1.0, 0.0))
                steps.append((t_off, hang + 120.0, 0.08))
                t = t_off + float(rng.uniform(2.0, 4.0))
                steps.append((t, FLOOR_MM, 0.2))
                released = True
                tags.add("released")
                break
            hang = float(np.clip(hang + rng.normal(0, 8), hang0 - 25, hang0 + 25))
            steps.append((rep["t_release"], hang, rel_tau))
            rep["hang_after"] = hang
            t = rep["t_release"] + float(rng.uniform(1.0, 4.0))
        if not released:
            off = float(rng.uniform(0.5, 1.5))
            on.append((t, t + off, 1.0, 0.0))
            steps.append((t + off * 0.8, FLOOR_MM, 0.3))
            t += off
        t += float(rng.uniform(8, 20))
    end = t
    grid = np.arange(0.0, end, GRID_S)
    breathing = float(rng.uniform(1, 3)) * np.sin(2 * np.pi * float(rng.uniform(0.2, 0.4)) * grid
                                                  + float(rng.uniform(0, 6.3)))
    chest = _respond(grid, steps, FLOOR_MM)
    share = np.zeros_like(grid)
    for t0, t1, s0, s1 in on:
        inside = (grid >= t0) & (grid < t1)
        share[inside] = s0 + (s1 - s0) * (grid[inside] - t0) / (t1 - t0)
        share[grid >= t1] = s1
    truth = []
    gap = chest.copy()
    for i, rep in enumerate(plan):
        nxt = plan[i + 1]["t_start"] if i + 1 < len(plan) else end
        hold_on = (grid >= rep["t_start"]) & (grid < rep["t_release"])
        # tremor and creep while squeezing
        tremor = float(rng.uniform(0.3, 2.0)) * np.sin(
            2 * np.pi * float(rng.uniform(4, 9)) * grid[hold_on])
        creep = float(rng.uniform(-6, 6)) * (grid[hold_on] - rep["t_start"]) / max(
            0.5, rep["t_release"] - rep["t_start"])
        gap[hold_on] += tremor + creep
        truth.append(_truth(rep, grid, chest, nxt, hold_target))
    gap += breathing * (share > 0)
    # the load: the hang's share of body weight, less as the chest rises (the
    # body pivots at the heels), plus the chest's acceleration
    mass = config["body_mass_kg"]
    hang_share = float(rng.uniform(0.55, 0.75))
    accel = np.gradient(np.gradient(-chest, GRID_S), GRID_S) / 1000.0
    accel = np.convolve(accel, np.ones(15) / 15, mode="same")
    load = share * mass * (hang_share * G_MS2 * (1 - 0.5 * (hang0 - chest).clip(0) / 1000.0)
                           + 0.6 * hang_share * accel)
    load = np.maximum(load, 0.0)
    channels = int(rng.integers(1, 3))
    force_hz = 80.0 if rng.random() < 0.75 else 10.0
    config["force_rate_hz"] = force_hz
    fs = sn.hx711(grid, load, force_hz, channels, float(rng.uniform(0.45, 0.55)), rng)
    art = distance_artefacts(rng, rare_share=0.3)
    if art.any():
        tags.add("artefacts")
    ds = sn.distance(grid, gap, kind, rate_hz, art, rng)
    chunks = sn.to_blocks(fs, ds, [], float(rng.choice([0.05, 0.1, 0.25, 1.0])), [], rng)
    cal = [(c.channel, c.offset_counts, c.counts_per_newton) for c in fs.cal]
    return ShrugSession(int(seed), chunks, channels, cal, config, truth, tags)


def _reach_time(tau: float, fall: float) -> float:
    """When a critically damped move of ``fall`` comes within max(3 mm, 10 %) of its aim."""
    share = max(SETTLED_MM, 0.1 * fall) / fall
    s = np.arange(0, 20, 0.001)
    left = (1 + s) * np.exp(-s)
    return float(s[np.argmax(left <= share)] * tau)


def _truth(rep: dict, grid: np.ndarray, chest: np.ndarray, nxt: float,
           hold_target: float) -> TrueShrug:
    inside = (grid >= rep["t_start"]) & (grid < nxt)
    fall = float(rep["hang"] - chest[inside].min()) if inside.any() else rep["fall"]
    if rep["released"]:
        return TrueShrug(rep["t_start"], rep["t_release"], "bar_released", fall, 0.0, False)
    after = (grid >= rep["t_release"]) & (grid < nxt)
    back = np.flatnonzero(np.abs(chest[after] - rep["hang_after"]) <= SETTLED_MM)
    t_end = float(grid[after][back[0]]) if back.size else nxt
    hold = rep["hold"]
    if rep["bent"]:
        reason, grey = "arms_bent", rep["bend"] < BENT_GREY_MM
    elif hold < hold_target:
        reason, grey = "no_hold", hold_target - hold < HOLD_GREY_S
    else:
        reason, grey = None, hold - hold_target < HOLD_GREY_S
    return TrueShrug(rep["t_start"], t_end, reason, fall, hold, grey)


# ----- scoring ---------------------------------------------------------------------

@dataclass
class ShrugScore:
    seed: int
    true_reps: int = 0
    found: int = 0
    phantoms: int = 0
    verdicts_scored: int = 0
    verdicts_right: int = 0
    hold_errors_s: list[float] = field(default_factory=list)
    depth_errors_mm: list[float] = field(default_factory=list)
    start_errors_s: list[float] = field(default_factory=list)
    end_errors_s: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def judge_shrug_session(session: ShrugSession):
    """The session through the judge's public API; returns the pipeline."""
    from ..analysis import AnalysisConfig, AnalysisPipeline
    p = AnalysisPipeline(AnalysisConfig(**session.config), channels=session.channels)
    for channel, offset, scale in session.calibration:
        p.set_calibration(channel, offset, scale)
    for force, dist in session.chunks:
        p.feed(force, dist)
    p.finish()
    return p


def score_shrug_session(session: ShrugSession, pipeline) -> ShrugScore:
    got = [(r, s) for s in pipeline.sets for r in s.reps]

    @dataclass
    class _Span:
        t_start_s: float
        t_end_s: float
    spans = [_Span(r.t_start_us / 1e6, r.t_end_us / 1e6) for r, _ in got]
    pairs = match(session.truth, spans)       # type: ignore[arg-type]
    out = ShrugScore(session.seed, true_reps=len(session.truth), found=len(pairs),
                     phantoms=len(got) - len(pairs))
    for i, j in pairs.items():
        t, (r, _) = session.truth[i], got[j]
        out.start_errors_s.append(r.t_start_us / 1e6 - t.t_start_s)
        out.end_errors_s.append(r.t_end_us / 1e6 - t.t_end_s)
        if not t.grey:
            out.verdicts_scored += 1
            if r.reason == t.reason and r.valid == t.valid:
                out.verdicts_right += 1
            else:
                out.problems.append(f"seed {session.seed}: rep at {t.t_start_s:.2f} s judged "
                                    f"{r.reason or 'valid'}, truly {t.reason or 'valid'} "
                                    f"(hold {t.hold_s:.2f} s, measured {r.top_hold_s}; fall "
                                    f"{t.fall_mm:.0f} mm)")
        if t.reason in (None, "no_hold") and r.top_hold_s is not None:
            out.hold_errors_s.append(r.top_hold_s - t.hold_s)
    for i, t in enumerate(session.truth):
        if i not in pairs:
            out.problems.append(f"seed {session.seed}: missed the rep at {t.t_start_s:.2f} s "
                                f"({t.reason or 'valid'}, fall {t.fall_mm:.0f} mm)")
    for j, (r, _) in enumerate(got):
        if j not in pairs.values():
            out.problems.append(f"seed {session.seed}: phantom rep at {r.t_start_us / 1e6:.2f} s "
                                f"({r.reason or 'valid'})")
    return out


@dataclass
class ShrugFigures:
    sessions: int
    true_reps: int
    recall: float
    phantoms_per_100: float
    verdict_accuracy: float
    verdicts_scored: int
    hold_mae_s: float
    hold_p95_s: float
    start_p95_s: float
    end_p95_s: float
    problems: list[str]


def shrug_figures(scores: list[ShrugScore]) -> ShrugFigures:
    true = sum(s.true_reps for s in scores)
    scored = sum(s.verdicts_scored for s in scores)

    def p95(values):
        return float(np.percentile(np.abs(values), 95)) if values else 0.0
    holds = [e for s in scores for e in s.hold_errors_s]
    return ShrugFigures(
        sessions=len(scores), true_reps=true,
        recall=sum(s.found for s in scores) / max(1, true),
        phantoms_per_100=100.0 * sum(s.phantoms for s in scores) / max(1, true),
        verdict_accuracy=sum(s.verdicts_right for s in scores) / max(1, scored),
        verdicts_scored=scored,
        hold_mae_s=float(np.mean(np.abs(holds))) if holds else 0.0, hold_p95_s=p95(holds),
        start_p95_s=p95([e for s in scores for e in s.start_errors_s]),
        end_p95_s=p95([e for s in scores for e in s.end_errors_s]),
        problems=[p for s in scores for p in s.problems])

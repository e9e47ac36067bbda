"""Seeded whole sessions over everything a real station meets.

``generate_session(seed)`` draws the model (the body model of this package,
or the project's own simulator driven with random scripts), the athlete, the
station, the sets and reps, the sensors and their artefacts, stream gaps and
the coach's manual presses, and returns a ``truth.Session``. The same seed
always gives the same session (``bench_accuracy.py --show SEED``).
"""

from __future__ import annotations

import math
from dataclasses import fields, replace

import numpy as np

from ..analysis.config import AnalysisConfig
from . import body as bd
from . import sensors as sn
from .athlete import BENT_GREY_DEG, STRAIGHT_DEG, RepPlan, SetPlan, kinematic_truth, simulate_session
from .truth import Session, TrueRep

BODY_SHARE = 0.6            # share of sessions from the body model
CHUNK_S = 0.5               # the host hands the pipeline a block this often
SIM_GREY_MM = (12.0, 60.0)  # the simulator's gap at the top: too close to call in here


def generate_session(seed: int, model: str | None = None) -> Session:
    rng = np.random.default_rng([int(seed), 0xB0D1])
    if model is None:
        model = "body" if rng.random() < BODY_SHARE else "sim"
    session = _body_session(int(seed), rng) if model == "body" else _sim_session(int(seed), rng)
    if "sensor_none" not in session.tags:
        session.tags.add("distance_sensor")     # any kind: the figures of a station that judges
    return session


# ----- shared draws -------------------------------------------------------------------

def _pick(rng, options: dict):
    keys = list(options)
    p = np.array([options[k] for k in keys], float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def distance_artefacts(rng, rare_share: float = 0.4) -> sn.DistanceArtefacts:
    """A distance sensor's faults for one session: none three times in ten,
    else each kind with its chance; the rarer ones (near-zero readings, a
    stuck reading) in ``rare_share`` of sessions."""
    if rng.random() < 0.3:
        return sn.DistanceArtefacts()
    on = lambda p: rng.random() < p  # noqa: E731
    return sn.DistanceArtefacts(
        missed=rng.uniform(0.005, 0.05) if on(0.7) else 0.0,
        stray=rng.uniform(0.002, 0.02) if on(0.6) else 0.0,
        stray_burst_max=int(rng.integers(1, 4)),
        multipath=rng.uniform(0.002, 0.01) if on(0.4) else 0.0,
        near_zero=rng.uniform(0.001, 0.005) if on(rare_share) else 0.0,
        stuck=rng.uniform(0.002, 0.01) if on(rare_share) else 0.0)


def _glitches(rng, set_windows: list[tuple[float, float]]) -> list[sn.StreamGap]:
    if rng.random() >= 0.15 or not set_windows:
        return []
    on, off = set_windows[int(rng.integers(len(set_windows)))]
    length = rng.uniform(1.0, 4.0)
    if off - on < length + 4:
        return []
    t0 = rng.uniform(on + 1.5, off - length - 1.5)
    return [sn.StreamGap(t0, t0 + length, bool(rng.random() < 0.5))]


def _rep_tags_timing(t_start, t_end, gaps) -> tuple[bool, bool, bool]:
    """(touched by a gap, wholly inside one, only at its very edge)."""
    touched = inside = edge = False
    for g in gaps:
        if g.t1_s <= t_start or g.t0_s >= t_end:
            continue
        touched = True
        if g.t0_s <= t_start and g.t1_s >= t_end:
            inside = True
        elif g.t0_s >= t_end - 0.25 or g.t1_s <= t_start + 0.1:
            edge = True
    return touched, inside, edge


CUT_SHORT = ("bar_released", "sensor_dropout")   # a rep however far it went


def _mark_wiggles(truth: list[TrueRep], config: dict) -> list[TrueRep]:
    """A complete pull that came back without going the minimum range is no
    rep: the spec's definition (docs/design.md: smaller wiggles are not
    reps), with the session's setting. A pull let go of or cut by a stream
    gap (any reason it may be given) is a rep however short."""
    min_range = AnalysisConfig(**config).min_range_mm
    return [replace(t, wiggle_share=t.rom_mm / min_range)
            if t.rom_mm < min_range and not set(t.reasons) & set(CUT_SHORT) else t for t in truth]


PEAK_EDGE_S = 0.15          # a peak this near a rep's edge belongs to no rep in particular


def _peak(force: sn.ForceStream, gaps, t0, t1) -> float:
    """The highest conversion in the rep; nan when the load is higher within
    PEAK_EDGE_S of either edge (a touch-and-go bounce: the turnaround's force
    belongs to both reps, within the timing tolerance)."""
    keep = sn.cut_gaps(force.t_s, gaps)
    t = force.t_s
    inner = keep & (t >= t0) & (t <= t1)
    if not inner.any():
        return float("nan")
    peak = float(force.clean_total_n[inner].max())
    outer = keep & (t >= t0 - PEAK_EDGE_S) & (t <= t1 + PEAK_EDGE_S)
    core = keep & (t >= t0 + PEAK_EDGE_S) & (t <= t1 - PEAK_EDGE_S)
    around = float(force.clean_total_n[outer].max())
    if not core.any() or around > 1.01 * float(force.clean_total_n[core].max()):
        return float("nan")
    return peak


def _contact_seen(dist: sn.DistanceStream, gaps, window: tuple[float, float] | None) -> bool:
    """Did any good distance reading fall inside the touch?"""
    if window is None:
        return False
    keep = sn.cut_gaps(dist.t_s, gaps) & (dist.artefact == 0)
    t = dist.t_s[keep]
    return bool(((t >= window[0]) & (t <= window[1])).any())


def _manual_events(rng, set_windows, gaps) -> tuple[list[tuple[float, str]], set[str]]:
    events, tags = [], set()
    for on, off in set_windows:
        if rng.random() < 0.25:
            events.append((max(0.1, on - rng.uniform(1.0, 5.0)), "start"))
            tags.add("manual_start")
        if rng.random() < 0.2:
            events.append((off + rng.uniform(1.0, 4.0), "end"))
            tags.add("manual_end")
    return sorted(events), tags


# ----- the body model --------------------------------------------------------------------

def _body_params(rng) -> bd.BodyParams:
    mass = float(rng.uniform(50, 120))
    height = float(np.clip(1.52 + (mass - 50) / 70 * 0.3 + rng.normal(0, 0.06), 1.50, 2.02))
    bench = float(rng.uniform(0.35, 0.55)) if rng.random() < 0.3 else 0.0
    plates = float(rng.uniform(5, 40)) if rng.random() < 0.25 else 0.0
    p = bd.BodyParams(
        body_mass_kg=mass, height_m=height, plates_kg=plates, bench_m=bench,
        grip_half_width_m=float(rng.uniform(0.30, 0.45)),
        contact_shift_m=float(rng.uniform(-0.04, 0.04)),
        elbow_max_deg=float(rng.uniform(172, 179)),
        inertia_scale=float(rng.uniform(0.9, 1.1)),
        strength=float(rng.uniform(1.5, 2.6)),
        shoulder_share=float(rng.uniform(1.5, 4.0)),
        elbow_speed_rad_s=float(rng.uniform(12, 17)),
        shoulder_speed_rad_s=float(rng.uniform(9, 13)),
        bar_radius_m=float(rng.uniform(0.0125, 0.015)),
        sensor_recess_m=float(rng.uniform(0.010, 0.020)),
        left_share=float(rng.uniform(0.35, 0.65)))
    # a bar height that gives a top body angle of 18-40 degrees and a hang clear of the floor
    for _ in range(20):
        top = math.radians(rng.uniform(18, 40))
        g = bd.Geometry.build(replace(p, bar_height_m=1.0), strength=False)
        bar = g.heel_y + g.r_c * math.sin(top) + (g.h_c + p.bar_radius_m) * math.cos(top)
        cand = replace(p, bar_height_m=float(bar))
        try:
            g = bd.Geometry.build(cand, strength=False)
        except ValueError:
            continue
        th = bd.hang_theta(g, 0.07)
        clear = min(g.heel_y + g.r_hip * math.sin(th) - g.h_back * math.cos(th),
                    g.heel_y + g.r_s * math.sin(th) - g.h_upper_back * math.cos(th))
        if clear > 0.03 and bd.observe(g, np.array([th]), np.array([0.07]))["reading_mm"][0] > 300:
            return cand
    return replace(p, bar_height_m=float(bar) + 0.1, bench_m=0.0)


TEMPOS = {"touch_and_go": 0.12, "fast": 0.2, "normal": 0.48, "slow": 0.2}


def _rep_plan(rng, tempo: str, i: int, fatigue_rate: float, s_base: float) -> RepPlan:
    tags = [f"tempo_{tempo}"]
    if tempo == "touch_and_go":
        kw = dict(effort=rng.uniform(1.4, 2.2), hold_s=0.0, lower_s=rng.uniform(0.4, 0.65),
                  lower_effort=rng.uniform(0.4, 0.6), bounce=True, pause_s=0.0,
                  arrive_m_s=rng.uniform(0.25, 0.45), brake_m_s2=rng.uniform(3, 5))
    elif tempo == "fast":
        kw = dict(effort=rng.uniform(1.4, 2.5), hold_s=rng.uniform(0.0, 0.25),
                  lower_s=rng.uniform(0.6, 1.0), lower_effort=rng.uniform(0.25, 0.45),
                  pause_s=rng.uniform(0.2, 1.0), arrive_m_s=rng.uniform(0.2, 0.4),
                  brake_m_s2=rng.uniform(2.5, 4))
    elif tempo == "normal":
        kw = dict(effort=rng.uniform(0.6, 1.4), hold_s=rng.uniform(0.3, 1.2),
                  lower_s=rng.uniform(1.2, 2.2), lower_effort=rng.uniform(0.1, 0.25),
                  pause_s=rng.uniform(0.4, 3.0), arrive_m_s=rng.uniform(0.1, 0.3),
                  brake_m_s2=rng.uniform(1.5, 3))
    else:
        kw = dict(effort=rng.uniform(0.15, 0.4), hold_s=rng.uniform(3.0, 5.0),
                  lower_s=rng.uniform(3.0, 4.0), lower_effort=rng.uniform(0.05, 0.12),
                  pause_s=rng.uniform(1.0, 4.0), arrive_m_s=rng.uniform(0.05, 0.15),
                  brake_m_s2=rng.uniform(1.0, 2.0), squeeze=rng.uniform(0.1, 0.25))
        tags.append("squeeze_long")
    if rng.random() < 0.08 and tempo != "touch_and_go":
        kw["pause_s"] = rng.uniform(5.0, 15.0)
        tags.append("pause_long")
    fatigue = min(0.45, fatigue_rate * i)
    kw["effort"] *= (1 - fatigue)
    if fatigue > 0.15:
        tags.append("fatigued")
    u = rng.random()
    if u < 0.08:
        kw["stop_gap_m"] = rng.uniform(0.07, 0.25)
        tags.append("short_intent")
    elif u < 0.11:
        kw["stop_gap_m"] = rng.uniform(0.0, 0.05)
        tags.append("grey_intent")
    u = rng.random()
    if u < 0.05 and tempo != "slow":
        kw["turn_deg"] = rng.uniform(80, 128)
        tags.append("no_lockout_intent")
    elif u < 0.07 and tempo != "slow":
        kw["turn_deg"] = rng.uniform(140, 162)
        tags.append("grey_intent")
    s_hang = float(np.clip(s_base + rng.normal(0, 0.012), 0.0, 0.07))
    squeeze = kw.pop("squeeze", None)
    return RepPlan(**kw, wobble=rng.uniform(0.0, 0.12), wobble_hz=rng.uniform(0.7, 2.0),
                   wobble_phase=rng.uniform(0, 6.28),
                   squeeze=squeeze if squeeze is not None else rng.uniform(0.03, 0.2), s_hang=s_hang,
                   s_pull=float(rng.uniform(0.0, 0.015)), pack_s=float(rng.uniform(0.2, 0.5)),
                   fatigue=fatigue, tags=tuple(tags))


def _body_sets(rng) -> list[SetPlan]:
    sets = []
    n_sets = int(rng.integers(1, 4))
    released_once = False
    for k in range(n_sets):
        tempo = _pick(rng, TEMPOS)
        n = int(rng.integers(3, 16))
        fatigue_rate = rng.uniform(0.0, 0.035)
        s_base = rng.uniform(0.0, 0.07)
        reps = [_rep_plan(rng, tempo, i, fatigue_rate, s_base) for i in range(n)]
        if not released_once and rng.random() < 0.06:
            i = int(rng.integers(0, n))
            where = _pick(rng, {"pull": 0.5, "top": 0.2, "lower": 0.3})
            frac = float(rng.uniform(0.3, 0.85))
            regrip = float(rng.uniform(1.0, 2.5)) if rng.random() < 0.5 and i < n - 1 else None
            reps[i] = replace(reps[i], release=(where, frac), regrip_after=regrip,
                              bounce=False, turn_deg=None, tags=reps[i].tags + ("released",))
            if regrip is None:
                reps = reps[:i + 1]
            released_once = True
        elif rng.random() < 0.08 and n > 3:
            i = int(rng.integers(0, n - 2))
            reps[i] = replace(reps[i], regrip_after=float(rng.uniform(1.0, 2.0)), bounce=False,
                              turn_deg=None, tags=reps[i].tags + ("regrip",))
        sets.append(SetPlan(tuple(reps), entry=_pick(rng, {"lie_grip": 0.5, "walk_in": 0.5}),
                            exit=_pick(rng, {"lower_down": 0.6, "let_go": 0.4}),
                            rest_before_s=float(rng.uniform(3, 8) if k == 0 else rng.uniform(8, 25)),
                            lift_s=float(rng.uniform(0.7, 2.2)), load_on_at=float(rng.uniform(0.2, 0.6)),
                            tags=(f"tempo_{tempo}",)))
    return sets


def _body_session(seed: int, rng) -> Session:
    params = _body_params(rng)
    sets = _body_sets(rng)
    bs = simulate_session(params, sets, rng)
    tl = bs.timeline
    kin = kinematic_truth(bs)
    tags = {"model_body", "heels_bench" if params.bench_m > 0 else "heels_floor"}
    if params.plates_kg > 0:
        tags.add("plates")
    tags |= {f"entry_{s.entry}" for s in sets} | {f"exit_{s.exit}" for s in sets}
    # sensors
    force_rate = _pick(rng, {10: 0.2, 80: 0.77, 1000: 0.03})
    channels = _pick(rng, {1: 0.1, 2: 0.7, 3: 0.1, 4: 0.1})
    kind = _pick(rng, {"none": 0.1, "hcsr04": 0.55, "vl53l0x": 0.15, "vl53l1x": 0.2})
    force = sn.hx711(tl.t_s, tl.load_n, force_rate, channels, params.left_share, rng)
    tags |= {f"force_{force_rate}sps", f"channels_{channels}", f"sensor_{kind}"}
    dist = None
    contact_mm = 25.0
    if kind != "none":
        rate = float(rng.uniform(10, 20) if kind == "hcsr04" else rng.uniform(30, 50))
        art = distance_artefacts(rng)
        oor = int(_pick(rng, {8190: 0.35, 8191: 0.15, -1: 0.5})) if kind != "hcsr04" else -1
        dist = sn.distance(tl.t_s, tl.reading_mm, kind, rate, art, rng, oor_code=oor)
        tags |= {f"art_{a}" for a in art.kinds()} or {"art_clean"}
        if kind != "hcsr04":
            tags.add(f"oor_{oor}")
        touch = float(bd.observe(bs.geometry, np.array([bs.geometry.theta_top]), np.array([0.0]))
                      ["reading_mm"][0]) - rng.uniform(0, 3)
        contact_mm = _contact_threshold(kind, max(0.0, touch), rate, rng, tags)
    else:
        tags.add("force_only")
    gaps = _glitches(rng, bs.sets)
    for g in gaps:
        tags.add("reboot" if g.reboot else "cable_glitch")
    manual, mtags = _manual_events(rng, bs.sets, gaps)
    tags |= mtags
    truth = []
    for k in kin:
        touched, inside, edge = _rep_tags_timing(k.t_start_s, k.t_end_s, gaps)
        rtags = list(k.tags)
        grey = k.grey
        if k.end_reading_mm < k.start_reading_mm - 25.0:
            rtags.append("packed_lockout")      # straight elbows, shoulders packed: a higher bottom
        if dist is not None and k.contact and not k.released:
            seen = _contact_seen(dist, gaps, k.contact_s)
            if not seen:
                grey = True                     # no reading fell inside the touch: unknowable
                rtags.append("contact_unsampled")
        if k.released:
            valid, reason, reasons = False, "bar_released", ("bar_released",)
        elif touched and not edge:
            valid, reason, reasons = False, "sensor_dropout", ("sensor_dropout",)
            rtags.append("dropout")
        else:
            fails = []
            if not k.contact:
                fails.append("no_contact")
            if not k.straight_after:
                fails.append("no_lockout")
            valid = not fails
            reason = fails[0] if fails else None
            reasons = tuple(fails) if fails else (None,)
            if edge:
                grey = True
                reasons = reasons + ("sensor_dropout",)
        if kind == "none" and reason not in CUT_SHORT:
            valid, reason, reasons = None, None, (None,)
        if not k.straight_after and BENT_GREY_DEG <= k.bottom_elbow_deg < STRAIGHT_DEG:
            grey = True
        end_for_peak = k.t_end_s
        truth.append(TrueRep(
            t_start_s=round(k.t_start_s, 4), t_end_s=round(k.t_end_s, 4), valid=valid, reason=reason,
            reasons=reasons, min_gap_mm=round(k.min_reading_mm, 1), rom_mm=round(k.rom_mm, 1),
            top_hold_s=round(k.top_hold_s, 3),
            peak_force_n=round(_peak(force, gaps, k.t_start_s, end_for_peak), 2), grey=grey,
            tags=tuple(rtags), observable=not inside))
    if any("released" in r.tags for r in truth):
        tags.add("released")
    if any("regrip" in r.tags for s in sets for r in s.reps):
        tags.add("regrip")
    chunks = sn.to_blocks(force, dist, gaps, CHUNK_S, [t for t, _ in manual], rng)
    desc = (f"body model: {params.body_mass_kg:.0f} kg, {params.height_m:.2f} m, bar {params.bar_height_m:.2f} m, "
            f"heels {'bench %.2f m' % params.bench_m if params.bench_m else 'floor'}, plates {params.plates_kg:.0f} kg, "
            f"left {params.left_share:.2f}; {len(sets)} sets ({', '.join(str(len(s.reps)) for s in sets)} reps); "
            f"force {force_rate} SPS x{channels}; distance {kind}")
    config = dict(body_mass_kg=round(params.body_mass_kg, 1), contact_mm=contact_mm,
                  force_rate_hz=float(force_rate), has_distance=kind != "none")
    return Session(seed, "body", desc, chunks, channels,
                   [(c.channel, c.offset_counts, c.counts_per_newton) for c in force.cal], config,
                   manual, _mark_wiggles(truth, config), tags, [(g.t0_s, g.t1_s) for g in gaps],
                   float(tl.t_s[-1]))


def _contact_threshold(kind: str, touch_mm: float, rate: float, rng, tags: set[str]) -> float:
    from ..analysis import contact_threshold_from_touch
    readings = sn.touch_readings(kind, touch_mm, rate, rng)
    try:
        return float(contact_threshold_from_touch(readings))
    except ValueError:
        tags.add("touch_cal_failed")
        return 25.0


# ----- the project's simulator, driven with random scripts ----------------------------

def _only_known(cls, **kw):
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in kw.items() if k in names})


def _sim_session(seed: int, rng) -> Session:
    from ..device.sim import Athlete, RepSpec, Scenario, SetSpec, SimulatedStation
    from ..protocol.commands import start
    from ..protocol.stream import DeviceStream
    from ..samples import DistanceBlock, ForceBlock

    # two reps a second are a half-range burnout in this model (its own fast-burnout):
    # a whole session of them, with the athlete's straight-arm level set for it
    burnout = rng.random() < 0.1
    athlete = _only_known(
        Athlete, body_mass_kg=float(np.round(rng.uniform(50, 120), 1)),
        feet=str(rng.choice(["floor", "bench"])),
        plates_kg=float(rng.uniform(5, 30)) if rng.random() < 0.2 else 0.0,
        left_share=float(np.round(rng.uniform(0.35, 0.65), 3)),
        bottom_gap_mm=float(np.round(rng.uniform(250, 290) if burnout else rng.uniform(420, 600))))
    sets = []
    tags = {"model_sim"}
    released_once = False
    for k in range(int(rng.integers(1, 4))):
        tempo = "touch_and_go" if burnout else _pick(rng, {k: v for k, v in TEMPOS.items() if k != "touch_and_go"})
        reps = []
        n = int(rng.integers(3, 16))
        for i in range(n):
            slow = 1 + rng.uniform(0, 0.05) * i
            if tempo == "touch_and_go":
                kw = dict(pull_s=rng.uniform(0.22, 0.3) * slow, hold_s=0.0, lower_s=rng.uniform(0.2, 0.28),
                          pause_s=0.0)
            elif tempo == "fast":
                kw = dict(pull_s=rng.uniform(0.4, 0.6) * slow, hold_s=rng.uniform(0, 0.2),
                          lower_s=rng.uniform(0.5, 0.8), pause_s=rng.uniform(0.1, 0.8))
            elif tempo == "normal":
                kw = dict(pull_s=rng.uniform(0.8, 1.2) * slow, hold_s=rng.uniform(0.3, 1.0),
                          lower_s=rng.uniform(1.2, 2.0), pause_s=rng.uniform(0.4, 3.0))
            else:
                kw = dict(pull_s=rng.uniform(2.5, 3.2) * slow, hold_s=rng.uniform(3, 5),
                          lower_s=rng.uniform(3.5, 4.2), pause_s=rng.uniform(1, 4), squeeze_share=0.08)
            if rng.random() < 0.08 and tempo != "touch_and_go":
                kw["pause_s"] = rng.uniform(5, 15)
            u = rng.random()
            kw["min_gap_mm"] = (rng.uniform(0, 10) if u < 0.86 else rng.uniform(70, 200) if u < 0.95
                                else rng.uniform(*SIM_GREY_MM))
            kw["hang_mm"] = float(athlete.bottom_gap_mm + rng.normal(0, 15))
            if rng.random() < 0.3:
                kw["pause_drift_mm"] = float(rng.uniform(-30, 30))
            if rng.random() < 0.05 and i < n - 1:
                kw["lower_to_mm"] = float(athlete.bottom_gap_mm - rng.uniform(0.25, 0.5) * athlete.bottom_gap_mm)
                kw["expect_reason"] = "no_lockout"
            if not released_once and rng.random() < 0.01:
                kw["release_at"] = float(rng.uniform(0.3, 0.9))
                released_once = True
                tags.add("released")
            if rng.random() < 0.02 and i > 0:
                kw["regrip_before_s"] = float(rng.uniform(1.0, 2.0))
                tags.add("regrip")
            reps.append(_only_known(RepSpec, **kw))
        entry = str(rng.choice(["settle", "one-motion", "walk-in"]))
        exit_ = str(rng.choice(["settle", "stand-up"]))
        passes = tuple((float(rng.uniform(250, 750)), float(rng.uniform(0.2, 0.7)))
                       for _ in range(int(rng.integers(1, 4)))) if entry == "walk-in" else ()
        sets.append(_only_known(SetSpec, reps=tuple(reps), rest_after_s=float(rng.uniform(8, 20)),
                                entry=entry, exit=exit_,
                                walk_in_passes=passes))
        tags.add(f"tempo_{tempo}")
        # the same phenomena under the body model's names
        tags.add("entry_" + {"one-motion": "lie_grip", "walk-in": "walk_in"}.get(entry, entry))
        tags.add("exit_" + {"settle": "let_go", "stand-up": "stand_up"}[exit_])
    force_rate = _pick(rng, {10: 0.2, 80: 0.77, 1000: 0.03})
    has_dist = rng.random() >= 0.1
    dist_rate = float(rng.uniform(10, 20)) if rng.random() < 0.75 else float(rng.uniform(30, 50))
    scenario = _only_known(Scenario, name="random", description="randomised script", athlete=athlete,
                           sets=tuple(sets), rate_pin_high=force_rate != 10,
                           distance_sensor="hcsr04" if has_dist else "none",
                           missed_echo_rate=float(rng.uniform(0, 0.02)))
    station = SimulatedStation(scenario, seed, force_rate_hz=1000 if force_rate == 1000 else None,
                               distance_rate_hz=dist_rate)
    stream = DeviceStream()
    t = 0.5
    stream.feed(station.advance(t), t)
    station.receive(start().line())
    end = station.truth.duration_s + 0.5
    forces, dists = [], []
    while t < end:
        t = min(end, t + 20.0)
        stream.feed(station.advance(t), t)
        f, d = stream.take_blocks()
        forces.append(f)
        dists.append(d)
    hello = stream.hello
    channels = hello.force_channels
    force = ForceBlock.concat(forces, channels)
    dist = DistanceBlock.concat(dists)
    truth_sim = station.truth
    # my artefacts on the distance stream
    tags |= {f"force_{force_rate}sps", f"channels_{channels}",
             "sensor_hcsr04" if has_dist else "sensor_none"}
    code = np.zeros(len(dist), np.int8)
    if has_dist and len(dist):
        art = distance_artefacts(rng)
        tags |= {f"art_{a}" for a in art.kinds()} or {"art_clean"}
        clean, _ = station.timeline.arrays(dist.t_device_us / 1e6)
        out = dist.gap_mm.astype(np.int64).copy()
        sn.inject(out, clean, code, art, rng, -1)
        dist = DistanceBlock(dist.seq, dist.t_device_us, out.astype(np.int32), dist.t_host_s)
    else:
        tags.add("force_only")
    set_windows = [(s.t_start_s, s.t_end_s) for s in truth_sim.sets]
    gaps = [replace(g, reboot=False) for g in _glitches(rng, set_windows)]
    for _ in gaps:
        tags.add("cable_glitch")
    if gaps:
        fk = sn.cut_gaps(force.t_device_us / 1e6, gaps)
        force = ForceBlock(force.seq[fk], force.t_device_us[fk], force.raw[fk], force.t_host_s[fk])
        dk = sn.cut_gaps(dist.t_device_us / 1e6, gaps)
        dist = DistanceBlock(dist.seq[dk], dist.t_device_us[dk], dist.gap_mm[dk], dist.t_host_s[dk])
        code = code[dk]
    manual, mtags = _manual_events(rng, set_windows, gaps)
    tags |= mtags
    truth = []
    if has_dist and len(dist):
        d_t_all = dist.t_device_us / 1e6
        d_good = (code == 0) & (dist.gap_mm >= 0)
    for r in truth_sim.reps:
        touched, inside, edge = _rep_tags_timing(r.t_start_s, r.t_end_s, gaps)
        rtags = []
        window = getattr(r, "contact_s", None)
        unsampled = False
        if has_dist and len(dist) and r.valid and window is not None:
            inside_w = (d_t_all >= window[0]) & (d_t_all <= window[1]) & d_good
            unsampled = not inside_w.any()
        reason, valid = r.reason, r.valid
        reasons = (reason,)
        if reason == "no_lockout" and r.min_gap_mm >= SIM_GREY_MM[1]:
            reasons = ("no_lockout", "no_contact")   # it failed both, as the body model says
        grey = False
        if reason != "bar_released":
            lo, hi = SIM_GREY_MM
            grey = lo < r.min_gap_mm < hi
            if unsampled:
                grey = True
                rtags.append("contact_unsampled")
            if touched and not edge:
                valid, reason, reasons = False, "sensor_dropout", ("sensor_dropout",)
                rtags.append("dropout")
            elif edge:
                grey = True
            if not has_dist and reason not in CUT_SHORT:
                valid, reason, reasons = None, None, (None,)
        tg = np.arange(r.t_start_s - PEAK_EDGE_S, r.t_end_s + PEAK_EDGE_S, 0.002)
        _, f_clean = station.timeline.arrays(tg)
        keep = sn.cut_gaps(tg, gaps)     # what the stream showed (as _peak)
        core = keep & (tg >= r.t_start_s + PEAK_EDGE_S) & (tg <= r.t_end_s - PEAK_EDGE_S)
        peak = r.peak_force_n
        if touched:   # a stream gap cut it: its peak is the highest the stream showed
            seen = keep & (tg >= r.t_start_s) & (tg <= r.t_end_s)
            peak = float(f_clean[seen].max()) if seen.any() else float("nan")
        if not core.any() or f_clean[keep].max() > 1.01 * f_clean[core].max():
            peak = float("nan")
        truth.append(TrueRep(
            t_start_s=r.t_start_s, t_end_s=r.t_end_s, valid=valid, reason=reason, reasons=reasons,
            min_gap_mm=r.min_gap_mm, rom_mm=r.rom_mm, top_hold_s=r.top_hold_s,
            peak_force_n=peak, grey=grey, tags=tuple(rtags), observable=not inside))
    # blocks as the host would hand them over
    f_t = force.t_device_us / 1e6
    d_t = dist.t_device_us / 1e6
    stop = float(max(f_t[-1] if len(f_t) else 0, d_t[-1] if len(d_t) else 0)) + 1e-6
    edges = sorted(set(list(np.arange(0.0, stop + CHUNK_S, CHUNK_S)) + [t for t, _ in manual if t < stop] + [stop]))
    fi, di = np.searchsorted(f_t, edges), np.searchsorted(d_t, edges)
    chunks = [(ForceBlock(force.seq[a:b], force.t_device_us[a:b], force.raw[a:b], force.t_host_s[a:b]),
               DistanceBlock(dist.seq[c:d], dist.t_device_us[c:d], dist.gap_mm[c:d], dist.t_host_s[c:d]))
              for a, b, c, d in zip(fi[:-1], fi[1:], di[:-1], di[1:])]
    cal = [(c.channel, c.offset_counts, c.counts_per_newton) for c in stream.calibration.values()]
    config = dict(body_mass_kg=athlete.body_mass_kg, contact_mm=25.0, force_rate_hz=float(hello.force_rate_hz),
                  has_distance=has_dist)
    desc = (f"project simulator, random script: {athlete.body_mass_kg:.0f} kg, heels {athlete.feet}, "
            f"{len(sets)} sets ({', '.join(str(len(s.reps)) for s in sets)} reps); force {force_rate} SPS; "
            f"distance {'hcsr04 %.0f Hz' % dist_rate if has_dist else 'none'}")
    return Session(seed, "sim", desc, chunks, channels, cal, config, manual,
                   _mark_wiggles(truth, config), tags,
                   [(g.t0_s, g.t1_s) for g in gaps], float(truth_sim.duration_s))

"""A whole session of the body model: sets of reps with entries, exits,
pauses, regrips and releases, as one noise-free timeline, plus the truth of
every rep measured on that timeline's KINEMATICS.

Movements (pull, lower, release) are integrated by ``motion.move``. Phases in
which the body is still are solved as statics (the hang on the arms' stop,
the squeeze with the chest pressed on the bar): no integration is needed
where nothing moves. Getting on and off the bar (lying down, bridging the
hips up into the hang, walking in under the bar, sitting up) is scripted
from the body's own geometry, with the load from the moment balance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..defaults import SETTLED_MM_S
from ..device.sim.truth import settled_index
from . import body as bd
from .body import ACT_UP_S, DT_S, Geometry
from .motion import Drive, State, Track, move

CONTACT_GREY_MM = 40.0        # closest approach 0..40 mm short: too close to call
STRAIGHT_DEG = 165.0          # elbow at or above: the arms are straight
BENT_GREY_DEG = 135.0         # 135..165 at the bottom: too close to call


@dataclass(frozen=True)
class RepPlan:
    effort: float = 0.8               # drive over the static hold while pulling
    wobble: float = 0.05
    wobble_hz: float = 1.2
    wobble_phase: float = 0.0
    stop_gap_m: float | None = None   # aim to stop this far short of the bar (None: touch)
    arrive_m_s: float = 0.2
    brake_m_s2: float = 2.5
    hold_s: float = 0.5               # at the top (squeeze when touching)
    squeeze: float = 0.1              # extra drive during the squeeze
    lower_s: float = 1.5
    lower_effort: float = 0.15
    turn_deg: float | None = None     # pull again at this elbow angle (no lockout)
    bounce: bool = False              # touch-and-go at the bottom
    pause_s: float = 1.0              # hanging before this rep
    s_hang: float = 0.04              # shoulder girdle in the hang before (0 packed .. 0.07 relaxed)
    s_pull: float = 0.0
    pack_s: float = 0.3
    release: tuple[str, float] | None = None   # ('pull'|'top'|'lower', fraction): let go
    regrip_after: float | None = None          # after this rep: down, off for this long, on again
    fatigue: float = 0.0              # share of the maximum drive lost by now
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class SetPlan:
    reps: tuple[RepPlan, ...]
    entry: str = "lie_grip"           # 'lie_grip' or 'walk_in'
    exit: str = "lower_down"          # 'lower_down' or 'let_go'
    rest_before_s: float = 5.0        # nobody under the bar before this set
    lift_s: float = 1.2
    load_on_at: float = 0.4           # share of the lift done when the load starts coming on
    manual_lead_s: float | None = None   # coach presses Space this long before the load
    manual_lag_s: float | None = None    # ... and again this long after getting off
    tags: tuple[str, ...] = ()


@dataclass
class Timeline:
    """The noise-free session on a 2 ms grid."""

    t_s: np.ndarray
    load_n: np.ndarray        # total vertical load on the bar
    reading_mm: np.ndarray    # what the distance sensor would read without noise
    gap_kin_mm: np.ndarray    # chest surface to bar (nan: not under the bar)
    elbow_deg: np.ndarray     # nan when not holding the bar
    attached: np.ndarray      # bool: hands on the bar
    floor_mm: float

    def at(self, t_s: np.ndarray, what: str) -> np.ndarray:
        return np.interp(t_s, self.t_s, getattr(self, what))


@dataclass
class RepTrace:
    """Where one rep lies on the timeline, in the plan's words."""

    set_index: int
    index: int
    t_cmd_s: float
    t_top_s: float
    t_lower_end_s: float
    outcome_pull: str
    outcome_lower: str
    released_at_s: float | None
    plan: RepPlan
    next_cmd_s: float | None = None


@dataclass
class BodySession:
    geometry: Geometry
    timeline: Timeline
    traces: list[RepTrace]
    sets: list[tuple[float, float]]                 # load on .. load off
    manual: list[tuple[float | None, float | None]]  # per set: manual start / end times
    static_hang_n: float
    tags: set[str] = field(default_factory=set)


class _Builder:
    def __init__(self, g: Geometry):
        self.g = g
        self.t = 0.0
        self.chunks: list[dict] = []
        floor = g.face_y * 1000.0
        self.floor_mm = floor

    # -- raw chunk writers ---------------------------------------------------------
    def scene(self, duration: float, reading_mm) -> None:
        """Nobody on the bar; the sensor sees ``reading_mm`` (a number or a function of
        the time since the chunk began)."""
        n = max(1, int(round(duration / DT_S)))
        t = self.t + DT_S * np.arange(n)
        r = reading_mm(t - self.t) if callable(reading_mm) else np.full(n, float(reading_mm))
        nan = np.full(n, np.nan)
        self.chunks.append(dict(t=t, load=np.zeros(n), reading=r, gap=nan, elbow=nan,
                                attached=np.zeros(n, bool)))
        self.t += n * DT_S

    def states(self, t, theta, s, load, attached: bool, grip=None) -> None:
        t = np.asarray(t, float)
        o = bd.observe(self.g, np.asarray(theta, float), np.asarray(s, float))
        att = np.full(len(t), attached) if grip is None else np.asarray(grip) > 0.5
        elbow = np.where(att, o["elbow_deg"], np.nan)
        self.chunks.append(dict(t=t, load=np.asarray(load, float), reading=np.maximum(0.0, o["reading_mm"]),
                                gap=o["gap_kin_mm"], elbow=elbow, attached=att))
        if len(t):
            self.t = float(t[-1]) + DT_S

    def track(self, tr: Track, st: State) -> None:
        """A movement's (variable-step) states, resampled onto the grid."""
        if tr.t_s:
            t_src = np.asarray(tr.t_s)
            n = max(1, int((t_src[-1] - self.t) / DT_S) + 1)
            t = self.t + DT_S * np.arange(n)
            res = [np.interp(t, t_src, np.asarray(x)) for x in (tr.theta, tr.s, tr.load_n, tr.grip)]
            self.states(t, res[0], res[1], res[2], True, res[3])
            st.t_s = self.t

    def build(self) -> Timeline:
        cat = {k: np.concatenate([c[k] for c in self.chunks]) for k in self.chunks[0]}
        return Timeline(cat["t"], cat["load"], cat["reading"], cat["gap"], cat["elbow"],
                        cat["attached"], self.floor_mm)


def floor_theta(g: Geometry) -> float:
    """The body lying on its back on the floor, heels where they were."""
    best = -1.2
    for r, depth in ((g.r_hip, g.h_back), (g.r_s, g.h_upper_back)):
        lo, hi = -1.4, 1.4
        for _ in range(50):
            mid = 0.5 * (lo + hi)
            if g.heel_y + r * math.sin(mid) - depth * math.cos(mid) < 0:
                lo = mid
            else:
                hi = mid
        best = max(best, hi)
    return best


def _hang(b: _Builder, st: State, duration: float, s_to: float, rng: np.random.Generator) -> None:
    """Hanging still; the shoulders may settle to another slide (quasi-static)."""
    g = b.g
    n = max(1, int(round(duration / DT_S)))
    t = b.t + DT_S * np.arange(n)
    s0 = st.s
    ramp = np.clip((t - t[0]) / 0.6, 0, 1)
    s = s0 + (s_to - s0) * (0.5 - 0.5 * np.cos(np.pi * ramp))
    th_a, th_b = bd.hang_theta(g, s0), bd.hang_theta(g, s_to)
    theta = th_a + (th_b - th_a) * (s - s0) / (s_to - s0) if s_to != s0 else np.full(n, th_a)
    load_a = bd.chain(g, th_a, 0, s0, 0, 0, 1).bar_load_n
    load_b = bd.chain(g, th_b, 0, s_to, 0, 0, 1).bar_load_n
    load = load_a + (load_b - load_a) * (ramp if s_to != s0 else 0.0)
    load = load * (1 + 0.004 * np.sin(2 * np.pi * 0.3 * (t - t[0]) + rng.uniform(0, 6.28)))  # breathing
    b.states(t, theta, s, load, True)
    st.t_s, st.theta, st.omega, st.s, st.act = b.t, float(theta[-1]), 0.0, s_to, 0.0


def _squeeze(b: _Builder, st: State, rp: RepPlan, touching: bool, rng: np.random.Generator) -> None:
    """At the top, still: the chest pressed on the bar (or held short of it).

    At a fixed angle the hands' load is linear in the drive k, and the chest
    takes whatever moment the drive has over the hold:
    ``N = (k - hold) * moment_per_drive / r_B``; the bar carries
    ``hands(k) - N cos(theta)``."""
    g = b.g
    n = max(1, int(round(rp.hold_s / DT_S)))
    t = b.t + DT_S * np.arange(n)
    hold = bd.hold_drive(g, st.theta, st.s)
    if touching:
        wob = 1 + 0.3 * np.sin(2 * np.pi * 0.8 * (t - t[0]) + rng.uniform(0, 6.28))
        drive = np.minimum(hold * (1 + rp.squeeze * wob), st.k_max)
    else:
        drive = np.full(n, hold)
    # the muscles get there with their activation lag, from where the pull left them
    settle = np.exp(-(t - t[0]) / ACT_UP_S)
    drive = drive + (st.act * st.k_max - drive[0]) * settle
    if not touching:
        drive = np.maximum(drive, hold)       # held still short of the bar
    share = g.p.shoulder_share
    f0 = bd.chain(g, st.theta, 0.0, st.s, 0.0, 0.0, 1.0)
    f1 = bd.chain(g, st.theta, 0.0, st.s, 1.0, share, 1.0)
    hands_per_drive = f1.bar_load_n - f0.bar_load_n
    moment_per_drive = f1.moment - f0.moment
    c, sn = math.cos(st.theta), math.sin(st.theta)
    r_b = g.bar_x * c + (g.bar_y - g.heel_y) * sn
    chest = np.maximum(0.0, (drive - hold) * moment_per_drive / r_b)
    loads = drive * hands_per_drive - chest * c
    b.states(t, np.full(n, st.theta), np.full(n, st.s), loads, True)
    st.t_s = b.t
    st.act = float(drive[-1] / st.k_max)
    st.omega = 0.0


def _lift(b: _Builder, st: State, sp: SetPlan, s: float, static_n: float) -> None:
    """Bridging from lying into the hang; the load comes on part way."""
    g = b.g
    th0, th1 = floor_theta(g), bd.hang_theta(g, s)
    n = max(2, int(round(sp.lift_s / DT_S)))
    x = np.arange(n) / (n - 1)
    q = np.sin(0.5 * np.pi * x) ** 2 * (1.15 - 0.15 * x)      # a hip drive, not a jerk-minimal path
    q = q / q[-1]
    theta = th0 + (th1 - th0) * q
    lam = np.clip((x - sp.load_on_at) / (1 - sp.load_on_at + 1e-9), 0, 1)
    lam = lam * lam * (3 - 2 * lam)
    acc = np.gradient(np.gradient(theta, DT_S), DT_S)
    lever = g.bar_x
    load = np.maximum(0.0, lam * (static_n + g.inertia * acc / lever))
    t = b.t + DT_S * np.arange(n)
    b.states(t, theta, np.full(n, s), load, False)
    # hands count as on the bar once they carry anything
    b.chunks[-1]["attached"] = lam > 0
    b.chunks[-1]["elbow"] = np.where(lam > 0, 176.0, np.nan)
    st.t_s, st.theta, st.omega, st.s, st.act, st.grip = b.t, th1, 0.0, s, 0.0, 1.0


def _lower_down(b: _Builder, st: State, duration: float, static_n: float) -> None:
    """Hips back down to the floor, the load going off, then hands off."""
    g = b.g
    th0, th1 = st.theta, floor_theta(g)
    n = max(2, int(round(duration / DT_S)))
    x = np.arange(n) / (n - 1)
    q = 1 - np.cos(0.5 * np.pi * x)
    theta = th0 + (th1 - th0) * q
    lam = np.clip(1 - x / 0.8, 0, 1)
    load = static_n * lam * (1 - 0.1 * x)
    t = b.t + DT_S * np.arange(n)
    b.states(t, theta, np.full(n, st.s), load, False)
    b.chunks[-1]["attached"] = lam > 0
    b.chunks[-1]["elbow"] = np.where(lam > 0, 176.0, np.nan)
    st.t_s, st.theta, st.omega, st.act, st.grip = b.t, th1, 0.0, 0.0, 0.0


def _lying(b: _Builder, st: State, duration: float) -> None:
    n = max(1, int(round(duration / DT_S)))
    t = b.t + DT_S * np.arange(n)
    b.states(t, np.full(n, st.theta), np.full(n, st.s), np.zeros(n), False)
    st.t_s = b.t


def _passing(b: _Builder, rng: np.random.Generator, pieces: int, lying_mm: float) -> None:
    """Legs, a knee, the torso sitting up: surfaces passing under the sensor."""
    for _ in range(pieces):
        level = rng.uniform(250, min(800, b.floor_mm - 60))
        dur = rng.uniform(0.15, 0.7)
        b.scene(dur, level + rng.normal(0, 15))
    b.scene(rng.uniform(0.1, 0.4), lambda t: lying_mm - 80 + 80 * np.minimum(1, t / 0.3))


def simulate_session(params: bd.BodyParams, sets: list[SetPlan], rng: np.random.Generator,
                     tail_s: float = 4.0) -> BodySession:
    g = Geometry.build(params)
    b = _Builder(g)
    traces: list[RepTrace] = []
    set_windows: list[tuple[float, float]] = []
    manual: list[tuple[float | None, float | None]] = []
    lying_th = floor_theta(g)
    lying_mm = float(bd.observe(g, np.array([lying_th]), np.array([0.0]))["reading_mm"][0])
    static_n = bd.chain(g, bd.hang_theta(g, 0.03), 0, 0.03, 0, 0, 1).bar_load_n
    for si, sp in enumerate(sets):
        b.scene(sp.rest_before_s, b.floor_mm)
        st = State(b.t, lying_th, k_max=g.k_max)
        s_first = sp.reps[0].s_hang if sp.reps else 0.04

        def get_on():
            if sp.entry == "walk_in":
                _passing(b, rng, int(rng.integers(2, 5)), lying_mm)
                st.t_s = b.t
                _lying(b, st, rng.uniform(0.3, 1.5))
            else:
                # lying down and gripping in one motion: the chest slides into the beam
                b.scene(rng.uniform(0.15, 0.5), lambda t: b.floor_mm - (b.floor_mm - lying_mm) * np.minimum(1, t / 0.25))
                st.t_s = b.t
            _lift(b, st, sp, s_first, static_n)

        get_on()
        load_on = b.t - (1 - sp.load_on_at) * sp.lift_s
        released = False
        for ri, rp in enumerate(sp.reps):
            st.k_max = g.k_max * (1 - rp.fatigue)
            if not (ri > 0 and (sp.reps[ri - 1].bounce or sp.reps[ri - 1].turn_deg is not None)):
                _hang(b, st, rp.pause_s, rp.s_hang, rng)
            if traces and traces[-1].set_index == si and traces[-1].next_cmd_s is None:
                traces[-1].next_cmd_s = b.t
            t_cmd = b.t
            rel = rp.release
            pull = Drive("pull", effort=rp.effort, wobble=rp.wobble, wobble_hz=rp.wobble_hz,
                         wobble_phase=rp.wobble_phase, s_to=rp.s_pull, pack_s=rp.pack_s if st.omega >= -0.01 else 0.0,
                         stop_gap_m=rp.stop_gap_m, arrive_m_s=rp.arrive_m_s, brake_m_s2=rp.brake_m_s2,
                         press=rp.squeeze, bounce=rp.hold_s <= 0.0, max_s=8.0)
            if rel is not None and rel[0] == "pull":
                pull = Drive(**{**pull.__dict__, "max_s": max(0.15, rel[1] * 1.5)})
            tr, out_pull = move(g, st, pull)
            b.track(tr, st)
            trace = RepTrace(si, ri, t_cmd, b.t, b.t, out_pull, "", None, rp)
            traces.append(trace)
            if rel is None or rel[0] != "pull":
                if rel is not None and rel[0] == "top":
                    _squeeze(b, st, RepPlan(**{**rp.__dict__, "hold_s": max(0.05, rp.hold_s * rel[1])}),
                             out_pull == "contact", rng)
                elif rp.hold_s > 0:
                    _squeeze(b, st, rp, out_pull == "contact", rng)
                trace.t_top_s = b.t
                if rel is None or rel[0] == "lower":
                    lower = Drive("lower", effort=rp.lower_effort, lower_s=rp.lower_s,
                                  turn_deg=rp.turn_deg, bounce=rp.bounce, brake_m_s2=rp.brake_m_s2,
                                  arrive_bottom_rad_s=0.25 if rp.bounce else 0.08,
                                  min_drive=0.4 if (rp.bounce or rp.hold_s <= 0.0) else 0.6,
                                  max_s=(rp.lower_s * rel[1]) if rel is not None else 10.0)
                    tr, out_lower = move(g, st, lower)
                    b.track(tr, st)
                    trace.outcome_lower = out_lower
            trace.t_lower_end_s = b.t
            if rel is not None:
                trace.released_at_s = b.t
                tr, _ = move(g, st, Drive("release", max_s=3.0))
                b.track(tr, st)
                _lying(b, st, rng.uniform(0.5, 2.0))
                released = True
                if rp.regrip_after is None:
                    break
                st.grip = 1.0
                _lift(b, st, sp, rp.s_hang, static_n)
                released = False
                continue
            if rp.regrip_after is not None and ri < len(sp.reps) - 1:
                _hang(b, st, rng.uniform(0.3, 1.0), st.s, rng)
                _lower_down(b, st, rng.uniform(0.6, 1.2), static_n)
                _lying(b, st, rp.regrip_after)
                st.grip = 1.0
                _lift(b, st, sp, sp.reps[ri + 1].s_hang, static_n)
        # off the bar
        if not released:
            last = sp.reps[-1] if sp.reps else None
            if last is not None and (last.bounce or last.turn_deg is not None):
                # the set ends with the arms still bent: lower to straight first
                tr, _ = move(g, st, Drive("lower", effort=0.2, lower_s=0.6))
                b.track(tr, st)
            _hang(b, st, rng.uniform(0.3, 2.0), st.s, rng)
            if traces and traces[-1].set_index == si and traces[-1].next_cmd_s is None:
                traces[-1].next_cmd_s = None
            if sp.exit == "let_go":
                tr, _ = move(g, st, Drive("release", max_s=3.0))
                b.track(tr, st)
            else:
                _lower_down(b, st, rng.uniform(0.6, 1.5), static_n)
        load_off = _last_loaded(b)
        _lying(b, st, rng.uniform(0.3, 1.5))
        _passing(b, rng, int(rng.integers(1, 3)), lying_mm)
        set_windows.append((load_on, load_off))
        m_start = None if sp.manual_lead_s is None else max(0.05, load_on - sp.manual_lead_s)
        m_end = None if sp.manual_lag_s is None else b.t + sp.manual_lag_s
        if sp.manual_lag_s is not None:
            b.scene(sp.manual_lag_s + 0.2, b.floor_mm)
        manual.append((m_start, m_end))
    b.scene(tail_s, b.floor_mm)
    tl = b.build()
    return BodySession(g, tl, traces, set_windows, manual, static_n)


def _last_loaded(b: _Builder) -> float:
    for c in reversed(b.chunks):
        idx = np.nonzero(c["load"] > 1.0)[0]
        if len(idx):
            return float(c["t"][idx[-1]])
    return b.t


# ----- the truth, from the kinematics ---------------------------------------------

@dataclass
class KinematicRep:
    set_index: int
    index: int
    t_start_s: float
    t_end_s: float
    contact: bool
    straight_after: bool
    released: bool
    min_gap_kin_mm: float
    bottom_elbow_deg: float
    min_reading_mm: float
    rom_mm: float
    top_hold_s: float
    grey: bool
    tags: tuple[str, ...]
    contact_s: tuple[float, float] | None = None   # first .. last moment on the bar
    start_reading_mm: float = 0.0
    end_reading_mm: float = 0.0


def _settled_short(v: np.ndarray, i_top: int, i_end: int) -> int:
    """A rep that never came back to straight arms ends where the chest,
    having gone down, settled (under SETTLED_MM_S for 0.1 s: a pause with the
    arms bent), or at ``i_end`` (the turn into the next pull) if it never did."""
    down = np.nonzero(v[i_top:i_end] < -SETTLED_MM_S)[0]
    if not len(down):
        return i_end
    i0 = i_top + int(down[0])
    i = settled_index(v[i0:i_end + 1], DT_S, to_end=False)
    return i_end if i is None else i0 + i


def kinematic_truth(bs: BodySession) -> list[KinematicRep]:
    tl = bs.timeline
    t = tl.t_s
    # chest speed (upwards positive) from the noise-free reading where a body is under the bar
    v = -np.gradient(tl.reading_mm, DT_S)
    v = np.convolve(v, np.ones(5) / 5, mode="same")
    out = []
    for tr in bs.traces:
        i_cmd = int(np.searchsorted(t, tr.t_cmd_s))
        i_top = int(np.searchsorted(t, tr.t_top_s))
        # start: the chest starts to rise (from rest) or turns upwards (from a descent)
        j = i_cmd
        hi = min(len(t) - 1, i_top + 1)
        up = np.nonzero(v[i_cmd:hi] > 5.0)[0]
        if len(up):
            j = i_cmd + int(up[0])
            while j > i_cmd - 150 and j > 0 and v[j - 1] > 0.5:
                j -= 1
        t_start = float(t[j])
        # end
        released = tr.released_at_s is not None
        if released:
            t_end = tr.released_at_s + 0.06
            i_end = int(np.searchsorted(t, t_end))
        else:
            i_low = int(np.searchsorted(t, tr.t_lower_end_s))
            limit = int(np.searchsorted(t, tr.next_cmd_s)) if tr.next_cmd_s is not None else len(t) - 1
            i_end = None
            if tr.outcome_lower in ("locked", "bottom"):
                # straight again: the elbows back at their stop, or past STRAIGHT_DEG for a
                # rep that stops short of it. Near straight the elbow's last degrees barely
                # move the chest, so a slow lowering's chest dawdles under SETTLED_MM_S
                # while the elbows still open (167 -> 177 deg), and drops on after.
                elbow = tl.elbow_deg[i_top:limit + 1]
                off = np.flatnonzero(np.isnan(elbow))
                elbow = elbow[:off[0]] if off.size else elbow      # not past the hands letting go
                at_stop = max(STRAIGHT_DEG, bs.geometry.p.elbow_max_deg - 1.0)
                straight = np.nonzero(elbow >= at_stop)[0]
                if not len(straight):
                    straight = np.nonzero(elbow >= STRAIGHT_DEG)[0]
                if len(straight):
                    i0 = i_top + int(straight[0])
                    i = settled_index(v[i0:limit + 1], DT_S)
                    i_end = limit if i is None else i0 + i
            if i_end is None:
                i_end = min(limit, max(i_low, i_top))
                i_end = _settled_short(v, i_top, i_end)
            i_end = min(i_end, limit)
        t_end = float(t[i_end])
        seg = slice(j, max(j + 1, i_end))
        gap = tl.gap_kin_mm[seg]
        imin = int(np.nanargmin(gap)) if np.isfinite(gap).any() else 0
        min_gap = float(gap[imin]) if np.isfinite(gap).any() else float("inf")
        contact = min_gap <= 0.0
        # elbow at the bottom after the rep: the straightest it got before the next pull
        tail_from = int(np.searchsorted(t, tr.t_top_s))
        tail_to = (int(np.searchsorted(t, tr.next_cmd_s)) if tr.next_cmd_s is not None
                   else min(len(t) - 1, i_end + int(0.5 / DT_S)))
        elb = tl.elbow_deg[tail_from:max(tail_from + 1, tail_to)]
        bottom_elbow = float(np.nanmax(elb)) if np.isfinite(elb).any() else float("nan")
        straight = bool(bottom_elbow >= STRAIGHT_DEG)
        reading = tl.reading_mm[seg]
        min_reading = float(reading[imin])
        rom = float(tl.reading_mm[j] - min_reading)
        near = reading <= min_reading + 10.0
        top_hold = float(near.sum() * DT_S)
        grey = False
        if not released:
            grey = (0.0 < min_gap <= CONTACT_GREY_MM) or (BENT_GREY_DEG <= bottom_elbow < STRAIGHT_DEG)
        on_bar = np.nonzero(gap <= 0.0)[0]
        contact_s = (float(t[j + on_bar[0]]), float(t[j + on_bar[-1]])) if len(on_bar) else None
        out.append(KinematicRep(tr.set_index, tr.index, t_start, t_end, contact, straight, released,
                                min_gap, bottom_elbow, min_reading, rom, top_hold, grey, tr.plan.tags,
                                contact_s, float(tl.reading_mm[j]), float(tl.reading_mm[i_end])))
    return out

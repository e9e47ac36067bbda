"""A small stream generator for testing the rep judge, written apart from
the project's simulator (which shares the judge's assumptions).

A ``Session`` is written as a timeline: ``empty``, ``get_on_lying``,
``get_on_walking``, ``hang``, ``rep`` / ``no_contact_rep`` / ``no_lockout_rep``,
``release_mid_rep``, ``let_go``, ``stand_up``, ``get_off``. Each call moves the clock on and
records what truly happened (``TruthRep``). ``build()`` samples it into a
``ForceBlock`` and a ``DistanceBlock`` like the device sends them. A rep
ends where the chest settled (under 30 mm/s for 0.1 s on its way down), as
docs/validation.md defines it, not where the scripted move ends.

The physics, deliberately simple and not the judge's:

- The chest moves between keyframes like a person does: it speeds up over
  at most 0.35 s, cruises, and slows down the same way (still at each
  keyframe, acceleration continuous), so the force is continuous and a pull
  shows in the force within a few tens of ms of its start.
- Force on the bar = load × share × (body + plates) × (g + upward chest
  acceleration), where load ramps 0 → 1 while getting on and back while
  getting off, and share is the part of the weight the hands carry (heels on
  the floor ~0.6, on a bench ~0.8; optionally less the higher the chest,
  ``Athlete.lever_per_m``). The heels carry the rest, so the force
  never drops under 30 % of the static share (no free fall), and a grip
  gives at most 3x it.
- The distance sensor reads what is under it: the floor, legs walking in,
  or the chest (``scene`` overrides), integer mm with Gaussian noise.

Artefacts are put in afterwards at chosen times (``missed_echoes``,
``stray``, ``multipath``, ``near_zero``, ``stuck``, ``out_of_range``,
``time_gap``); only ``time_gap`` changes the truth. Everything is seeded.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from backstation.device.sim.truth import settled_index
from backstation.samples import DistanceBlock, ForceBlock
from backstation.units import G_MS2

FLOOR_GAP_MM = 880          # bar to floor, nobody under it
LYING_GAP_MM = 850          # bar to chest of an athlete lying on the floor
TOF_OUT_OF_RANGE_MM = 8190  # what a VL53L0X/L1X reports when it sees nothing
MIN_FORCE_SHARE = 0.30      # the heels stop a free fall
MAX_FORCE_SHARE = 3.0       # nobody pulls harder than this
T0_US = 7_000_000           # the device had been up a while
LOAD_THRESHOLD_N = 100.0    # docs/design.md §4, for the truth of where sets are
SET_ON_S, SET_OFF_S = 0.5, 3.0


RAMP_S = 0.35               # time to reach cruising speed


def _profile(tau: np.ndarray, dur_s, delta_mm) -> tuple[np.ndarray, np.ndarray]:
    """Position (mm) and acceleration (mm/s²) ``tau`` s into a move of
    ``delta_mm`` taking ``dur_s``: cycloidal speed-up over ``r``, cruise,
    cycloidal slow-down."""
    r = np.minimum(dur_s / 2, RAMP_S)
    v = delta_mm / (dur_s - r)
    back = dur_s - tau

    def ramp_x(x):
        return v * (x ** 2 / (2 * r) + r * (np.cos(2 * np.pi * x / r) - 1) / (4 * np.pi ** 2))

    def ramp_a(x):
        return v / r * (1 - np.cos(2 * np.pi * x / r))

    pos = np.where(tau < r, ramp_x(tau),
                   np.where(tau <= dur_s - r, v * (r / 2 + tau - r), delta_mm - ramp_x(back)))
    acc = np.where(tau < r, ramp_a(tau), np.where(tau <= dur_s - r, 0.0, -ramp_a(back)))
    return pos, acc


@dataclass(frozen=True)
class Athlete:
    body_mass_kg: float = 80.0
    hang_gap_mm: float = 520.0    # chest to bar with straight arms
    touch_gap_mm: float = 8.0     # what the sensor reads with the chest on the bar
    bar_share: float = 0.62       # share of the weight on the hands (heels on the floor)
    plates_kg: float = 0.0        # plates on the abdomen
    left_share: float = 0.5
    lever_per_m: float = 0.0      # the share falls by this x the chest's rise (m) over its hang


@dataclass(frozen=True)
class TruthRep:
    valid: bool | None
    reason: str | None
    t_start_s: float
    t_end_s: float
    t_contact_s: float | None = None   # the chest first at or under the contact threshold


@dataclass(frozen=True)
class Stream:
    force: ForceBlock
    distance: DistanceBlock
    true_gap_mm: np.ndarray                 # noise-free sensor value at each distance sample
    reps: tuple[TruthRep, ...]
    sets: tuple[tuple[float, float], ...]   # (start, end) s from the load rule
    calibration: tuple[tuple[int, int, float], ...]   # (channel, offset_counts, counts_per_newton)
    athlete: Athlete
    sensor: str

    def t_us(self, t_s: float) -> int:
        return T0_US + int(round(t_s * 1e6))

    def t_s(self, t_us: int) -> float:
        return (t_us - T0_US) / 1e6


@dataclass
class Session:
    athlete: Athlete = field(default_factory=Athlete)
    seed: int = 0
    force_rate_hz: float = 80.0
    channels: int = 2
    distance_rate_hz: float = 20.0
    sensor: str = "hcsr04"        # or "tof" (noisier, 8190 when it sees nothing)
    noise_mm: float | None = None
    force_noise_n: float = 0.3
    contact_mm: float = 25.0      # the judge's threshold, for no_contact reps' height
    starts_on_bar: bool = False   # already hanging at t = 0

    def __post_init__(self):
        self.rng = np.random.default_rng(self.seed)
        self.t = 0.0
        self.level_mm = self.athlete.hang_gap_mm   # where the chest is now
        self._chest = [(0.0, self.level_mm)]         # (t_s, gap_mm) keyframes
        self._load = [(0.0, 1.0 if self.starts_on_bar else 0.0)]   # (t_s, 0..1), linear
        self._scene: list[tuple[float, float, object]] = []   # (t0, t1, f(t)->gap) overrides
        self._reps: list[TruthRep] = []

    # -- the timeline ------------------------------------------------------
    def _move(self, dur_s: float, gap_mm: float) -> None:
        self.t += dur_s
        self.level_mm = gap_mm
        self._chest.append((self.t, gap_mm))

    def _load_to(self, t_s: float, share: float) -> None:
        self._load.append((t_s, share))

    def _see(self, t0: float, t1: float, f) -> None:
        self._scene.append((t0, t1, f))

    def empty(self, dur_s: float) -> "Session":
        """Nobody under the bar: the sensor sees the floor."""
        t0 = self.t
        self._load_to(t0, 0.0)
        self._move(dur_s, self.level_mm)
        self._load_to(self.t, 0.0)
        self._see(t0, self.t, lambda t: np.full_like(t, FLOOR_GAP_MM))
        return self

    def get_on_lying(self, dur_s: float = 1.2, from_gap_mm: float = LYING_GAP_MM,
                     loaded_s: float | None = None) -> "Session":
        """Lie down and grip in one motion: the load comes on while the chest
        still rises from the floor to the hang (fully on ``loaded_s`` after
        the start, by default 0.8 of the way; later than ``dur_s``: the
        weight still comes off the feet with the chest at the hang)."""
        t0 = self.t
        self._chest.append((t0, from_gap_mm))
        self._load_to(t0 + 0.1 * dur_s, 0.0)
        self._move(dur_s, self.athlete.hang_gap_mm)
        self._load_to(t0 + (0.8 * dur_s if loaded_s is None else loaded_s), 1.0)
        return self

    def get_on_walking(self, legs_s: float = 1.6, grip_s: float = 0.8) -> "Session":
        """Walk in under the bar: floor, legs at random heights, then the
        torso settles into the hang while the load comes on."""
        t0 = self.t
        steps_t = t0 + np.cumsum(self.rng.uniform(0.15, 0.4, 20))
        steps_mm = self.rng.uniform(250, 780, 20)

        def legs(t, steps_t=steps_t, steps_mm=steps_mm):
            return steps_mm[np.clip(np.searchsorted(steps_t, t), 0, len(steps_mm) - 1)]

        self._load_to(t0, 0.0)
        self._move(legs_s, self.athlete.hang_gap_mm + 40)
        self._see(t0, self.t, legs)
        self._load_to(self.t, 0.0)
        self._move(grip_s, self.athlete.hang_gap_mm)
        self._load_to(self.t, 1.0)
        return self

    def hang(self, dur_s: float, drift_mm: float = 0.0, level_mm: float | None = None) -> "Session":
        """Straight arms; the level may be set (shoulders packed or relaxed)
        and drift slowly."""
        if level_mm is not None and level_mm != self.level_mm:
            self._move(min(0.6, dur_s / 2), level_mm)
            dur_s -= min(0.6, dur_s / 2)
        self._move(dur_s, self.level_mm + drift_mm)
        return self

    def _pull(self, up_s, hold_s, down_s, top_mm, bottom_mm, valid, reason) -> "Session":
        t_start = self.t
        self._move(up_s, top_mm)
        if hold_s > 0:
            self._move(hold_s, top_mm + 1.0)
        self._move(down_s, bottom_mm)
        self._reps.append(TruthRep(valid, reason, t_start, self.t))
        return self

    def rep(self, up_s=1.0, hold_s=0.3, down_s=1.5, bottom_mm: float | None = None) -> "Session":
        """A good rep: chest to the bar, back to straight arms (``bottom_mm``,
        default the athlete's hang)."""
        bottom = self.athlete.hang_gap_mm if bottom_mm is None else bottom_mm
        return self._pull(up_s, hold_s, down_s, self.athlete.touch_gap_mm, bottom, True, None)

    def no_contact_rep(self, short_mm: float, up_s=1.0, hold_s=0.3, down_s=1.5,
                       bottom_mm: float | None = None) -> "Session":
        """The chest stops ``short_mm`` above the contact threshold."""
        bottom = self.athlete.hang_gap_mm if bottom_mm is None else bottom_mm
        return self._pull(up_s, hold_s, down_s, self.contact_mm + short_mm, bottom,
                          False, "no_contact")

    def no_lockout_rep(self, short_mm: float | None = None, up_s=1.0, hold_s=0.3,
                       down_s=0.8, top_short_mm: float = 0.0) -> "Session":
        """Touch (or stop ``top_short_mm`` above the contact threshold: no
        contact either), then come back only part way (``short_mm`` short of
        the hang, default half the range); the next call pulls again from
        there."""
        hang = self.athlete.hang_gap_mm
        if short_mm is None:
            short_mm = (hang - self.athlete.touch_gap_mm) / 2
        assert short_mm >= 120, "a no_lockout rep must stop >= 120 mm short of the hang"
        if top_short_mm:
            return self._pull(up_s, hold_s, down_s, self.contact_mm + top_short_mm,
                              hang - short_mm, False, "no_contact")
        return self._pull(up_s, hold_s, down_s, self.athlete.touch_gap_mm, hang - short_mm,
                          False, "no_lockout")

    def release_mid_rep(self, after_s: float = 0.5, up_s: float = 1.0) -> "Session":
        """Pull, then let go ``after_s`` into the pull: the body drops to the
        floor. The rep ends when the load goes under the set threshold."""
        t_start = self.t
        top = self.athlete.touch_gap_mm
        at_release = self.level_mm + float(_profile(np.array(after_s), up_s, top - self.level_mm)[0])
        self._move(after_s, at_release)
        self._load_to(self.t, 1.0)
        self._load_to(self.t + 0.15, 0.0)
        self._move(0.6, LYING_GAP_MM)
        # ends where the load goes under the set threshold, found in build()
        self._reps.append(TruthRep(False, "bar_released", t_start, -(t_start + after_s)))
        return self

    def let_go(self, off_s: float = 1.5) -> "Session":
        """Let go at the hang (a regrip): the body drops towards the floor,
        then the athlete grips again and pulls back into the hang."""
        t0 = self.t
        self._load_to(t0, 1.0)
        self._load_to(t0 + 0.15, 0.0)
        self._move(0.5, self.athlete.hang_gap_mm + 200)
        self._move(max(off_s - 0.5, 0.05), self.level_mm)
        self._load_to(self.t, 0.0)
        self._move(0.8, self.athlete.hang_gap_mm)
        self._load_to(self.t, 1.0)
        return self

    def stand_up(self, to_gap_mm: float = 250.0, pull_s: float = 0.9, let_go_s: float = 0.4,
                 then_empty_s: float = 4.0) -> "Session":
        """Pull on the bar to rise out of the hang (the load up to 1.3x, the
        chest towards the bar: no rep), let go standing (the torso stays
        under the sensor a moment longer), then walk away."""
        self._load_to(self.t, 1.0)
        self._move(pull_s, to_gap_mm)
        self._load_to(self.t, 1.3)
        self._move(let_go_s, to_gap_mm)
        self._load_to(self.t, 0.0)
        self._move(0.4, to_gap_mm)
        self._load_to(self.t, 0.0)
        return self.empty(then_empty_s)

    def get_off(self, dur_s: float = 1.0, then_empty_s: float = 4.0) -> "Session":
        """Lower to the floor letting go of the bar, stand up and walk away."""
        t0 = self.t
        self._load_to(t0, 1.0)
        self._move(dur_s, LYING_GAP_MM)
        self._load_to(t0 + 0.6 * dur_s, 0.0)
        self._load_to(self.t, 0.0)
        t1 = self.t
        self._move(1.0, LYING_GAP_MM)
        steps_mm = self.rng.uniform(250, 780, 8)
        self._see(t1, self.t, lambda t, s=steps_mm, t1=t1: s[((t - t1) / 0.15).astype(int) % 8])
        return self.empty(then_empty_s) if then_empty_s > 0 else self

    # -- sampling ----------------------------------------------------------
    def _static_n(self) -> float:
        a = self.athlete
        return a.bar_share * (a.body_mass_kg + a.plates_kg) * G_MS2

    def chest(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Chest gap (mm) and upward chest acceleration (m/s²) at ``t`` (s)."""
        kt = np.array([k[0] for k in self._chest])
        kg = np.array([k[1] for k in self._chest])
        i = np.clip(np.searchsorted(kt, t, side="right") - 1, 0, len(kt) - 2)
        t0, t1, g0, g1 = kt[i], kt[i + 1], kg[i], kg[i + 1]
        span = np.maximum(t1 - t0, 1e-9)
        x_mm, acc_mm_s2 = _profile(np.clip(t - t0, 0.0, span), span, g1 - g0)
        gap = g0 + x_mm
        moving = (t >= t0) & (t <= t1) & (t1 > t0)
        acc_gap = acc_mm_s2 / 1000.0
        return gap, np.where(moving, -acc_gap, 0.0)

    def load(self, t: np.ndarray) -> np.ndarray:
        lt = np.array([k[0] for k in self._load])
        lv = np.array([k[1] for k in self._load])
        order = np.argsort(lt, kind="stable")
        return np.interp(t, lt[order], lv[order])

    def force_n(self, t: np.ndarray) -> np.ndarray:
        """Noise-free total force on the bar. With ``lever_per_m`` the body
        pivots at its heels: the higher the chest, the less of its weight
        the hands carry."""
        gap, acc = self.chest(t)
        a = self.athlete
        static = self._static_n() * (1.0 - a.lever_per_m * (a.hang_gap_mm - gap) / 1000.0)
        dynamic = static * np.clip(1.0 + acc / G_MS2, MIN_FORCE_SHARE, MAX_FORCE_SHARE)
        return self.load(t) * dynamic

    def sensor_gap(self, t: np.ndarray) -> np.ndarray:
        gap, _ = self.chest(t)
        for t0, t1, f in self._scene:
            inside = (t >= t0) & (t < t1)
            if inside.any():
                gap = np.where(inside, f(t), gap)
        return gap

    def _truth_sets(self, end_s: float) -> tuple[tuple[float, float], ...]:
        t = np.arange(0.0, end_s, 0.001)
        on = self.force_n(t) > LOAD_THRESHOLD_N
        sets, start, last_on, run_start = [], None, None, None
        for ti, o in zip(t, on):
            if o:
                run_start = ti if run_start is None else run_start
                last_on = ti
                if start is None and ti - run_start >= SET_ON_S:
                    start = run_start
            else:
                run_start = None
                if start is not None and ti - last_on >= SET_OFF_S:
                    sets.append((start, last_on))
                    start = None
        if start is not None:
            sets.append((start, end_s))
        return tuple(sets)

    def _resolve_truth(self) -> tuple[TruthRep, ...]:
        """Times only the finished timeline knows: where a release takes the
        load under the threshold, where the chest first reaches contact."""
        reps = []
        for r in self._reps:
            if r.t_end_s < 0:
                t = np.arange(-r.t_end_s, -r.t_end_s + 1.0, 0.0005)
                r = replace(r, t_end_s=float(t[np.argmax(self.force_n(t) < LOAD_THRESHOLD_N)]))
            else:
                # a rep ends where the chest settled (docs/validation.md, "Truth"):
                # from the lowering's fastest moment, under 30 mm/s for 0.1 s
                t = np.arange(r.t_start_s, r.t_end_s + 0.00025, 0.0005)
                gap = self.chest(t)[0]
                speed = np.gradient(gap, 0.0005)
                top = int(np.argmin(gap))
                fast = top + int(np.argmax(speed[top:]))
                i = settled_index(speed[fast:], 0.0005)
                if i is not None:
                    r = replace(r, t_end_s=float(t[fast + i]))
            t = np.arange(r.t_start_s, r.t_end_s, 0.0005)
            touching = self.chest(t)[0] <= self.contact_mm
            if touching.any():
                r = replace(r, t_contact_s=float(t[np.argmax(touching)]))
            reps.append(r)
        return tuple(reps)

    def build(self) -> Stream:
        end_s = self.t
        rng = self.rng
        # Force: the HX711 runs on its own clock, a little off nominal.
        f_period = 1.0 / (self.force_rate_hz * (1 + rng.uniform(-0.003, 0.003)))
        tf = np.arange(rng.uniform(0, f_period), end_s, f_period)
        total = self.force_n(tf)
        shares = np.full(self.channels, 1.0 / self.channels)
        if self.channels == 2:
            shares = np.array([self.athlete.left_share, 1 - self.athlete.left_share])
        cal = []
        raw = np.empty((len(tf), self.channels), np.int32)
        for c in range(self.channels):
            offset = int(rng.integers(-60_000, 60_000))
            scale = float(rng.uniform(380.0, 460.0))
            newtons = total * shares[c] + rng.normal(0, self.force_noise_n, len(tf))
            raw[:, c] = np.round(offset + newtons * scale).astype(np.int32)
            cal.append((c, offset, scale))
        force = ForceBlock(np.arange(len(tf)).astype(np.uint16),
                           T0_US + np.round(tf * 1e6).astype(np.int64), raw,
                           1.7e9 + tf)
        # Distance: one reading per trigger period, timing jitter of the echo.
        d_period = 1.0 / self.distance_rate_hz
        td = np.arange(rng.uniform(0, d_period), end_s, d_period)
        td = td + rng.uniform(-0.002, 0.002, len(td))
        td = td[(td > 0) & (td < end_s)]
        true_gap = self.sensor_gap(td)
        noise = self.noise_mm if self.noise_mm is not None else (1.5 if self.sensor == "hcsr04" else 3.0)
        gap = np.maximum(np.round(true_gap + rng.normal(0, noise, len(td))), 0).astype(np.int32)
        distance = DistanceBlock(np.arange(len(td)).astype(np.uint16),
                                 T0_US + np.round(td * 1e6).astype(np.int64), gap, 1.7e9 + td)
        return Stream(force, distance, true_gap, self._resolve_truth(), self._truth_sets(end_s),
                      tuple(cal), self.athlete, self.sensor)


# -- artefacts -------------------------------------------------------------
def _index(stream: Stream, t_s: float) -> int:
    return int(np.argmin(np.abs(stream.distance.t_device_us - stream.t_us(t_s))))


def with_readings(stream: Stream, t_s: float, values_mm) -> Stream:
    """Replace the readings from the one nearest ``t_s`` on with ``values_mm``."""
    i = _index(stream, t_s)
    gap = stream.distance.gap_mm.copy()
    values = np.asarray(values_mm, np.int32)
    gap[i:i + len(values)] = values[:len(gap) - i]
    return replace(stream, distance=replace(stream.distance, gap_mm=gap))


def missed_echoes(stream: Stream, t_s: float, n: int = 1) -> Stream:
    return with_readings(stream, t_s, [-1] * n)


def stray(stream: Stream, t_s: float, *values_mm: int) -> Stream:
    """One stray reading, or a burst of them (the rack, the floor, the legs)."""
    return with_readings(stream, t_s, list(values_mm))


def multipath(stream: Stream, t_s: float, n: int = 1) -> Stream:
    """An echo that travelled twice: about 2x the true gap."""
    i = _index(stream, t_s)
    return with_readings(stream, t_s, np.round(2 * stream.true_gap_mm[i:i + n]))


def near_zero(stream: Stream, t_s: float, value_mm: int = 2) -> Stream:
    return with_readings(stream, t_s, [value_mm])


def stuck(stream: Stream, t_s: float, n: int = 4) -> Stream:
    """The reading at ``t_s`` repeated for the next ``n`` readings."""
    i = _index(stream, t_s)
    return with_readings(stream, t_s, [stream.distance.gap_mm[i]] * (n + 1))


def out_of_range(stream: Stream, t_s: float, n: int = 1) -> Stream:
    return with_readings(stream, t_s, [TOF_OUT_OF_RANGE_MM] * n)


def time_gap(stream: Stream, t_s: float, dur_s: float, begun_inside: bool = False) -> Stream:
    """No sample in either stream for ``dur_s`` from ``t_s`` (a cable glitch
    or a reboot). A rep the gap cuts becomes ``sensor_dropout`` ending at the
    gap; a rep may start inside it only if ``begun_inside`` (its start is
    unobservable: ``sensor_dropout`` from the first sample after the gap)."""
    a, b = stream.t_us(t_s), stream.t_us(t_s + dur_s)
    keep_f = (stream.force.t_device_us < a) | (stream.force.t_device_us >= b)
    keep_d = (stream.distance.t_device_us < a) | (stream.distance.t_device_us >= b)
    f, d = stream.force, stream.distance
    force = ForceBlock(f.seq[keep_f], f.t_device_us[keep_f], f.raw[keep_f], f.t_host_s[keep_f])
    distance = DistanceBlock(d.seq[keep_d], d.t_device_us[keep_d], d.gap_mm[keep_d],
                             d.t_host_s[keep_d])
    reps = []
    for r in stream.reps:
        if r.t_end_s <= t_s or r.t_start_s >= t_s + dur_s:
            reps.append(r)
        elif r.t_start_s < t_s:
            reps.append(TruthRep(False, "sensor_dropout", r.t_start_s, t_s))
        elif begun_inside:
            reps.append(TruthRep(False, "sensor_dropout", t_s + dur_s, r.t_end_s))
        else:
            raise ValueError("a rep starting inside the time gap has no observable start")
    return replace(stream, force=force, distance=distance, true_gap_mm=stream.true_gap_mm[keep_d],
                   reps=tuple(reps))


# -- running the judge -----------------------------------------------------
def judge(stream: Stream, *, contact_mm: float = 25.0, has_distance: bool = True,
          force_rate_hz: float = 80.0, chunk_s: float = 0.1,
          manual: tuple[tuple[str, float], ...] = (), on_feed=None):
    """Feed ``stream`` to a fresh pipeline in ``chunk_s`` time slices, as a
    live link would; ``manual`` = (("start" | "end", t_s), ...) pressed by the
    coach once the samples have reached that time; ``on_feed(t_us, events)``
    hears what each slice (ending at ``t_us``) brought. Returns the pipeline."""
    from backstation.analysis import AnalysisConfig, AnalysisPipeline

    cfg = AnalysisConfig(body_mass_kg=stream.athlete.body_mass_kg, contact_mm=contact_mm,
                         force_rate_hz=force_rate_hz, has_distance=has_distance)
    p = AnalysisPipeline(cfg, channels=stream.force.channels)
    for channel, offset, scale in stream.calibration:
        p.set_calibration(channel, offset, scale)
    f, d = stream.force, stream.distance
    end_us = max(int(f.t_device_us[-1]), int(d.t_device_us[-1])) + 1
    presses = sorted(((stream.t_us(t), kind) for kind, t in manual))
    edges = list(range(T0_US, end_us, int(chunk_s * 1e6))) + [end_us]
    edges = sorted(set(edges + [t for t, _ in presses]))
    fi = np.searchsorted(f.t_device_us, edges)
    di = np.searchsorted(d.t_device_us, edges)
    for k in range(len(edges) - 1):
        for t_us, kind in presses:
            if t_us == edges[k]:
                (p.start_set if kind == "start" else p.end_set)(t_us)
        a, b, c, e = fi[k], fi[k + 1], di[k], di[k + 1]
        events = p.feed(ForceBlock(f.seq[a:b], f.t_device_us[a:b], f.raw[a:b], f.t_host_s[a:b]),
                        DistanceBlock(d.seq[c:e], d.t_device_us[c:e], d.gap_mm[c:e], d.t_host_s[c:e]))
        if on_feed is not None:
            on_feed(edges[k + 1], events)
    p.finish()
    return p

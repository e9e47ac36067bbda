"""The athlete under the bar: a scripted, noise-free timeline of gap and force.

A scenario script (a list of sets, each a list of ``RepSpec``) becomes a list
of ``Segment``s. Each segment moves the chest gap and the share of the body
the bar carries with a minimum-jerk profile, so position, velocity and
acceleration are smooth and the force (static load + effective mass x chest
acceleration) has no steps. The static load follows the lever of a body
pivoting at its heels (``Athlete.lever_share``): less the higher the chest.
Hands can only pull: a rep's moves take at least as long as gravity allows
(``Athlete.shortest_move_s``), and a body falling after letting go puts no
negative load on the bar.
Everything here is a pure function of scenario time; the sensors add noise
on top.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from ...defaults import DEFAULT_CONTACT_MM
from ...units import G_MS2
CONTACT_MM = DEFAULT_CONTACT_MM   # ground truth's contact: the app's default threshold
PLATE_SHARE = 0.85          # plates on the abdomen sit close to the bar
HANG_SHARE = {"floor": 0.62, "bench": 0.72}   # share of body weight on the bar
HANG_ANGLE_DEG = {"floor": 20.0, "bench": 3.0}  # the body (heels to chest) over level, at the hang
PIVOT_TO_CHEST_M = 1.25     # heels to the chest under the bar
MIN_JERK_PEAK = 10.0 / np.sqrt(3.0)   # a minimum-jerk move's peak acceleration, x distance / time^2
HELD_SHARE = 0.2            # a rep's pull and lowering never load the bar under this share of the static load


@dataclass(frozen=True)
class Athlete:
    body_mass_kg: float = 80.0
    feet: str = "floor"          # 'floor' (heels on the floor) or 'bench'
    plates_kg: float = 0.0
    left_share: float = 0.5      # share of the bar load on channel 0
    bottom_gap_mm: float = 520.0  # arms straight
    floor_gap_mm: float = 870.0   # nobody under the bar: the sensor sees the floor
    lying_gap_mm: float = 640.0   # let go of the bar: back on the floor, chest below the bar

    @property
    def static_load_n(self) -> float:
        """Load on the bar while hanging still: ~55-75 % of body weight + plates."""
        return (HANG_SHARE[self.feet] * self.body_mass_kg
                + PLATE_SHARE * self.plates_kg) * G_MS2

    def lever_share(self, gap_mm):
        """The static load at chest gap ``gap_mm`` (a float or an array) as a
        share of the load at the straight-arm hang. The body pivots at the
        heels: its weight acts at cos(angle) from the pivot while the hands
        stay at the bar, so the higher the chest, the less the bar carries
        (heels on the floor: ~30 % less at the top; on a bench, nearer
        level, ~11 %). Below the hang (lying, getting on) the angle and the
        share change by a few per cent."""
        s0 = np.sin(np.radians(HANG_ANGLE_DEG[self.feet]))
        s = np.clip(s0 + (self.bottom_gap_mm - gap_mm) / 1000.0 / PIVOT_TO_CHEST_M, -0.5, 0.95)
        return np.sqrt(1.0 - s * s) / np.sqrt(1.0 - s0 * s0)

    def shortest_move_s(self, gap0_mm: float, gap1_mm: float) -> float:
        """The shortest minimum-jerk move of the chest between two gaps that
        gravity allows. Hands can only pull: the chest slows at the top of a
        pull, and speeds up at the start of a lowering, only as fast as its
        weight alone takes it, and the bar then carries static load x
        (lever + acceleration / g). Keeping ``HELD_SHARE`` of the static load
        on the bar bounds the downward acceleration by (lever - HELD_SHARE) x
        g, the lever taken at the higher end."""
        lever = float(self.lever_share(min(gap0_mm, gap1_mm)))   # 0.31 or more (its clip)
        down_ms2 = max(lever - HELD_SHARE, 0.05) * G_MS2
        return float(np.sqrt(MIN_JERK_PEAK * abs(gap1_mm - gap0_mm) / 1000.0 / down_ms2))

    @property
    def effective_mass_kg(self) -> float:
        """Mass the hands accelerate with the chest (a body pivoting on its heels)."""
        return HANG_SHARE[self.feet] * self.body_mass_kg + PLATE_SHARE * self.plates_kg


@dataclass(frozen=True)
class RepSpec:
    """One rep as the script wants it; hard cases are just other values."""

    pull_s: float = 1.0
    hold_s: float = 0.5          # top hold / squeeze
    lower_s: float = 1.5
    pause_s: float = 0.6         # at the bottom, before the pull
    min_gap_mm: float = 5.0      # 0-15 touches the chest; 60-150 stops short
    squeeze_share: float = 0.04  # extra force at the top, share of the static load
    left_share: float | None = None   # None: the athlete's
    echo_lost_at_top: bool = False    # the sensor misses every echo near the top
    echo_lost_at_contact_s: float = 0.0   # missed echoes for this long from the moment of contact
    lower_to_mm: float | None = None  # stop lowering here (None: arms straight, the bottom)
    expect_reason: str | None = None  # override the physical verdict (hard cases)
    # Realism (see docs/simulator.md); the defaults keep the tidy scripts unchanged.
    hang_mm: float | None = None      # this rep's straight-arm level (None: the athlete's)
    pause_drift_mm: float = 0.0       # the hang sags (+) or packs (-) this much during the pause
    regrip_before_s: float = 0.0      # lets go of the bar this long before this rep's pause
    release_at: float | None = None   # lets go after this share of the pull (bar_released)
    release_off_s: float = 2.0        # ... and lies on the floor this long before regripping


ENTRIES = ("settle", "one-motion", "walk-in")
EXITS = ("settle", "stand-up")


@dataclass(frozen=True)
class SetSpec:
    reps: tuple[RepSpec, ...]
    rest_after_s: float = 15.0
    entry: str = "settle"        # settle under the bar, then grip; or 'one-motion', 'walk-in'
    exit: str = "settle"         # let go at the hang and slide out; or 'stand-up'
    settle_s: float | None = None   # hang before the first rep's pause (None: SETTLE_S)
    # walk-in: (gap mm, seconds) of legs and torso passing under the sensor
    walk_in_passes: tuple[tuple[float, float], ...] = ()
    stand_up_gap_mm: float = 250.0  # stand-up: the torso rises this close to the bar

    def __post_init__(self) -> None:
        if self.entry not in ENTRIES or self.exit not in EXITS:
            raise ValueError(f"entry {self.entry!r} / exit {self.exit!r} unknown")


@dataclass(frozen=True)
class Segment:
    t0_s: float
    t1_s: float
    gap0_mm: float
    gap1_mm: float
    on0: float = 1.0             # share of the static load the bar carries
    on1: float = 1.0
    extra0: float = 0.0          # squeeze extra, share of the static load
    extra1: float = 0.0
    left_share: float = 0.5


def _s(tau: float) -> float:
    return tau * tau * tau * (10.0 + tau * (-15.0 + 6.0 * tau))


def _s2(tau: float) -> float:
    return 60.0 * tau - 180.0 * tau * tau + 120.0 * tau * tau * tau


def _tau_at(share: float) -> float:
    """Where a minimum-jerk move has covered ``share`` of its way."""
    grid = np.linspace(0.0, 1.0, 10001)
    return float(np.interp(share, grid ** 3 * (10 - 15 * grid + 6 * grid ** 2), grid))


@dataclass
class Timeline:
    athlete: Athlete
    segments: list[Segment] = field(default_factory=list)
    echo_lost_s: list[tuple[float, float]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._starts = [s.t0_s for s in self.segments]
        cols = ("t0_s", "t1_s", "gap0_mm", "gap1_mm", "on0", "on1", "extra0", "extra1")
        self._cols = {c: np.array([getattr(s, c) for s in self.segments], float) for c in cols}
        # Per-segment terms of the scalar formulas, computed with the same
        # float operations, so the block versions below match them bit for bit.
        segs = self.segments
        span = [s.t1_s - s.t0_s for s in segs]
        self._block = {k: np.array(v, float) for k, v in {
            "t0": [s.t0_s for s in segs], "span": span,
            "gap0": [s.gap0_mm for s in segs], "dgap": [s.gap1_mm - s.gap0_mm for s in segs],
            "on0": [s.on0 for s in segs], "don": [s.on1 - s.on0 for s in segs],
            "extra0": [s.extra0 for s in segs], "dextra": [s.extra1 - s.extra0 for s in segs],
            "left": [s.left_share for s in segs], "right": [1 - s.left_share for s in segs],
            "accel_k": [-(s.gap1_mm - s.gap0_mm) / 1000.0 / sp ** 2 if sp > 0 else 0.0
                        for s, sp in zip(segs, span)],
        }.items()}

    def arrays(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Noise-free (gap mm, total force N) at many times at once."""
        c = self._cols
        i = np.clip(np.searchsorted(c["t0_s"], t_s, side="right") - 1, 0, len(self.segments) - 1)
        span = c["t1_s"][i] - c["t0_s"][i]
        safe = np.where(span > 0, span, 1.0)
        tau = np.where(span > 0, np.clip((t_s - c["t0_s"][i]) / safe, 0.0, 1.0), 1.0)
        s = tau ** 3 * (10.0 + tau * (-15.0 + 6.0 * tau))
        s2 = np.where((tau > 0) & (tau < 1), 60.0 * tau - 180.0 * tau ** 2 + 120.0 * tau ** 3, 0.0)
        dgap = c["gap1_mm"][i] - c["gap0_mm"][i]
        gap = c["gap0_mm"][i] + dgap * s
        on = c["on0"][i] + (c["on1"][i] - c["on0"][i]) * s
        accel = -dgap / 1000.0 / safe ** 2 * s2
        extra = c["extra0"][i] + (c["extra1"][i] - c["extra0"][i]) * s
        static = self.athlete.static_load_n * self.athlete.lever_share(gap)
        force = np.maximum(on * (static + self.athlete.effective_mass_kg * accel), 0.0) + extra * static
        return gap, force

    @property
    def end_s(self) -> float:
        return self.segments[-1].t1_s if self.segments else 0.0

    def _segment(self, t_s: float) -> tuple[Segment, float]:
        i = max(0, bisect.bisect_right(self._starts, t_s) - 1)
        seg = self.segments[i]
        span = seg.t1_s - seg.t0_s
        tau = min(1.0, max(0.0, (t_s - seg.t0_s) / span)) if span > 0 else 1.0
        return seg, tau

    def gap_mm(self, t_s: float) -> float:
        seg, tau = self._segment(t_s)
        return seg.gap0_mm + (seg.gap1_mm - seg.gap0_mm) * _s(tau)

    def on_bar(self, t_s: float) -> float:
        seg, tau = self._segment(t_s)
        return seg.on0 + (seg.on1 - seg.on0) * _s(tau)

    def state(self, t_s: float) -> tuple[float, float, float]:
        """(total force N, left share, share of the load on the bar), noise-free."""
        seg, tau = self._segment(t_s)
        s = _s(tau)
        on = seg.on0 + (seg.on1 - seg.on0) * s
        span = seg.t1_s - seg.t0_s
        accel_up_ms2 = 0.0
        if span > 0 and 0.0 < tau < 1.0:
            accel_up_ms2 = -(seg.gap1_mm - seg.gap0_mm) / 1000.0 / span ** 2 * _s2(tau)
        static = self.athlete.static_load_n * self.athlete.lever_share(
            seg.gap0_mm + (seg.gap1_mm - seg.gap0_mm) * s)
        extra = seg.extra0 + (seg.extra1 - seg.extra0) * s
        force = max(on * (static + self.athlete.effective_mass_kg * accel_up_ms2), 0.0) + extra * static
        return force, seg.left_share, on

    def _tau_block(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Segment index and tau at many times, as ``_segment`` computes them."""
        b = self._block
        i = np.maximum(np.searchsorted(b["t0"], t_s, side="right") - 1, 0)
        span = b["span"][i]
        has_span = span > 0
        ratio = (t_s - b["t0"][i]) / np.where(has_span, span, 1.0)
        return i, np.where(has_span, np.minimum(1.0, np.maximum(0.0, ratio)), 1.0)

    def gap_block(self, t_s: np.ndarray) -> np.ndarray:
        """``gap_mm`` at many times, bit for bit."""
        i, tau = self._tau_block(t_s)
        return self._block["gap0"][i] + self._block["dgap"][i] * _s(tau)

    def state_block(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``state`` at many times, bit for bit: (force N, left share, right
        share, on bar)."""
        b = self._block
        i, tau = self._tau_block(t_s)
        s = _s(tau)
        on = b["on0"][i] + b["don"][i] * s
        moving = (b["span"][i] > 0) & (tau > 0.0) & (tau < 1.0)
        accel_up_ms2 = np.where(moving, b["accel_k"][i] * _s2(tau), 0.0)
        static = self.athlete.static_load_n * self.athlete.lever_share(b["gap0"][i] + b["dgap"][i] * s)
        extra = b["extra0"][i] + b["dextra"][i] * s
        force = np.maximum(on * (static + self.athlete.effective_mass_kg * accel_up_ms2), 0.0) + extra * static
        return force, b["left"][i], b["right"][i], on

    def force_n(self, t_s: float) -> float:
        return self.state(t_s)[0]

    def echo_lost(self, t_s: float) -> bool:
        return any(a <= t_s < b for a, b in self.echo_lost_s)


@dataclass(frozen=True)
class RepWindow:
    """Where one rep landed on the timeline (the truth module measures it)."""

    set_index: int
    rep_index: int
    spec: RepSpec
    t_start_s: float   # start of the pull
    t_top_s: float     # end of the pull
    t_end_s: float     # arms straight again (released: the body is down)
    bottom_gap_mm: float
    reached_gap_mm: float | None = None   # closest gap when the pull was cut short (release)


@dataclass(frozen=True)
class SetWindow:
    t_start_s: float   # the load starts ramping up (getting on)
    t_end_s: float     # the load has ramped down (off the bar)
    reps: tuple[RepWindow, ...]


SLIDE_IN_S = 0.5
GRAB_S = 1.0
SETTLE_S = 1.0
RELEASE_S = 1.0
ONE_MOTION_S = 1.2     # lie back and grip in one motion: the load comes on as the gap falls
PASS_MOVE_S = 0.12     # walk-in: a leg or the torso moving under the sensor
LIE_DOWN_S = 0.8
REGRIP_S = 0.7         # grip again and lift the body back into the hang
LET_GO_S = 0.3         # regrip: open the hands, the body settles onto the floor
DROP_S = 0.35          # release mid-rep: the body falls back to the floor
STAND_PULL_S = 0.9     # stand-up: pull on the bar to rise (a gap fall that is no rep)
STAND_LET_GO_S = 0.4
STAND_PULL_SHARE = 1.3   # share of the static load while pulling up to stand
STEP_AWAY_S = 0.6


def build_timeline(athlete: Athlete, sets: list[SetSpec], lead_s: float,
                   tail_s: float) -> tuple[Timeline, list[SetWindow]]:
    segs: list[Segment] = []
    lost: list[tuple[float, float]] = []
    windows: list[SetWindow] = []
    floor, bottom = athlete.floor_gap_mm, athlete.bottom_gap_mm
    lying = athlete.lying_gap_mm
    share = athlete.left_share
    t = 0.0

    def add(duration: float, gap0: float, gap1: float, on0: float = 1.0, on1: float = 1.0,
            extra0: float = 0.0, extra1: float = 0.0, left: float = share) -> float:
        nonlocal t
        segs.append(Segment(t, t + duration, gap0, gap1, on0, on1, extra0, extra1, left))
        t += duration
        return t

    def enter(spec: SetSpec) -> float:
        """Get under the bar and take it; returns when the load starts coming on."""
        if spec.entry == "one-motion":
            start = t
            add(ONE_MOTION_S, floor, bottom, 0.0, 1.0)
            return start
        if spec.entry == "walk-in":
            for gap_mm, dwell_s in spec.walk_in_passes:
                add(PASS_MOVE_S, floor, gap_mm, 0.0, 0.0)
                add(dwell_s, gap_mm, gap_mm, 0.0, 0.0)
                add(PASS_MOVE_S, gap_mm, floor, 0.0, 0.0)
            add(LIE_DOWN_S, floor, lying, 0.0, 0.0)
            add(0.5, lying, lying, 0.0, 0.0)
            start = t
            add(GRAB_S, lying, bottom, 0.0, 1.0)
            return start
        add(SLIDE_IN_S, floor, bottom, 0.0, 0.0)
        start = t
        add(GRAB_S, bottom, bottom, 0.0, 1.0)
        return start

    add(lead_s, floor, floor, 0.0, 0.0)
    for set_index, spec in enumerate(sets):
        set_start = enter(spec)
        add(SETTLE_S if spec.settle_s is None else spec.settle_s, bottom, bottom)
        reps = []
        gap = bottom
        set_end = None
        for rep_index, rep in enumerate(spec.reps):
            left = share if rep.left_share is None else rep.left_share
            if rep.regrip_before_s > 0:
                add(LET_GO_S, gap, lying, 1.0, 0.0, left=left)
                add(rep.regrip_before_s, lying, lying, 0.0, 0.0, left=left)
                add(REGRIP_S, lying, bottom, 0.0, 1.0, left=left)
                add(SETTLE_S * 0.6, bottom, bottom, left=left)
                gap = bottom
            add(rep.pause_s, gap, gap + rep.pause_drift_mm, left=left)
            gap = gap + rep.pause_drift_mm
            t_start = t
            hang = bottom if rep.hang_mm is None else rep.hang_mm
            end_gap = hang if rep.lower_to_mm is None else rep.lower_to_mm
            pull_s = max(rep.pull_s, athlete.shortest_move_s(gap, rep.min_gap_mm))
            lower_s = max(rep.lower_s, athlete.shortest_move_s(rep.min_gap_mm, end_gap))
            if rep.release_at is not None:
                reached = gap + (rep.min_gap_mm - gap) * rep.release_at
                top = add(max(rep.pull_s * rep.release_at, athlete.shortest_move_s(gap, reached)),
                          gap, reached, left=left)
                down = add(DROP_S, reached, lying, 1.0, 0.0, left=left)
                reps.append(RepWindow(set_index, rep_index, rep, t_start, top, down, gap, reached))
                add(rep.release_off_s, lying, lying, 0.0, 0.0, left=left)
                if rep_index == len(spec.reps) - 1:
                    set_end = down
                    gap = lying
                else:
                    add(REGRIP_S, lying, bottom, 0.0, 1.0, left=left)
                    add(SETTLE_S * 0.6, bottom, bottom, left=left)
                    gap = bottom
                continue
            top = add(pull_s, gap, rep.min_gap_mm, left=left)
            if rep.echo_lost_at_contact_s > 0 and rep.min_gap_mm < CONTACT_MM < gap:
                t_contact = t_start + pull_s * _tau_at((gap - CONTACT_MM) / (gap - rep.min_gap_mm))
                lost.append((t_contact, t_contact + rep.echo_lost_at_contact_s))
            if rep.hold_s > 0:
                half = rep.hold_s / 2
                add(half, rep.min_gap_mm, rep.min_gap_mm, extra1=rep.squeeze_share, left=left)
                add(half, rep.min_gap_mm, rep.min_gap_mm, extra0=rep.squeeze_share, left=left)
            if rep.echo_lost_at_top:
                lost.append((top - 0.25 * pull_s, t + 0.25 * lower_s))
            start_gap, gap = gap, end_gap
            add(lower_s, rep.min_gap_mm, gap, left=left)
            reps.append(RepWindow(set_index, rep_index, rep, t_start, top, t, start_gap))
        if set_end is not None:          # the last rep let go of the bar: already off
            add(SLIDE_IN_S, lying, floor, 0.0, 0.0)
        elif spec.exit == "stand-up":
            add(SETTLE_S * 0.8, gap, gap)
            up = spec.stand_up_gap_mm
            add(STAND_PULL_S, gap, up, 1.0, STAND_PULL_SHARE)
            set_end = add(STAND_LET_GO_S, up, up, STAND_PULL_SHARE, 0.0)
            add(STEP_AWAY_S, up, floor, 0.0, 0.0)
        else:
            add(SETTLE_S * 0.8, gap, gap)
            set_end = add(RELEASE_S, gap, gap, 1.0, 0.0)
            add(SLIDE_IN_S, gap, floor, 0.0, 0.0)
        windows.append(SetWindow(set_start, set_end, tuple(reps)))
        last = set_index == len(sets) - 1
        add(tail_s if last else spec.rest_after_s, floor, floor, 0.0, 0.0)
    return Timeline(athlete, segs, lost), windows

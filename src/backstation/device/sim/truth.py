"""Ground truth of a scenario: what really happened, in scenario seconds.

Scenario time ``t_s`` starts at 0 when the station is created (for the URL
handler: the first open; for the pty runner: when the host first opens the
port). The device clock of a boot is ``t_us = (boot_offset_us + round((t_s -
boot_s) * 1e6)) % 2**32``; ``SimulatedStation.device_us`` applies it with the
boot history. Forces are noise-free totals (both sides, N).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from ...defaults import SETTLED_MM_S, SETTLED_S
from .model import CONTACT_MM, RepWindow, SetWindow, Timeline

GRID_S = 0.001


def settled_index(speed_mm_s: np.ndarray, dt_s: float, to_end: bool = True) -> int | None:
    """The first sample from which the chest stays under SETTLED_MM_S for
    SETTLED_S, or (``to_end``) to the end of ``speed_mm_s`` if that comes
    first; None if it never does. A lowering's last millimetres creep in
    slower and slower (a minimum-jerk move's last 10 mm of a 4 s lowering
    take 0.5 s): no sensor, and no coach, sees when they end, so a rep ends
    where the chest settled."""
    calm = np.abs(speed_mm_s) < SETTLED_MM_S
    w = max(1, int(round(SETTLED_S / dt_s)))
    if calm.size >= w:
        runs = np.flatnonzero(np.convolve(calm.astype(int), np.ones(w, int), mode="valid") == w)
        if runs.size:
            return int(runs[0])
    if not to_end or not calm.size or not calm[-1]:
        return None
    moving = np.flatnonzero(~calm)
    return int(moving[-1]) + 1 if moving.size else 0


@dataclass(frozen=True)
class RepTruth:
    index: int
    t_start_s: float          # start of the pull
    t_end_s: float            # arms straight again after lowering, the chest settled
    valid: bool
    reason: str | None        # None or no_contact / no_lockout / bar_released / sensor_dropout
    min_gap_mm: float
    rom_mm: float
    peak_force_n: float
    contact_s: tuple[float, float] | None   # noise-free gap <= CONTACT_MM (the physical
                                            # script, never the judge's thresholds)
    pull_s: float
    top_hold_s: float
    lower_s: float            # the scripted lowering, to the move's end (at or after t_end_s)
    left_share: float
    observable: bool = True   # False when it overlaps the unplug gap


@dataclass(frozen=True)
class SetTruth:
    index: int
    t_start_s: float   # the bar starts taking load
    t_end_s: float     # the bar is unloaded again
    reps: tuple[RepTruth, ...]

    @property
    def valid_reps(self) -> int:
        return sum(r.valid for r in self.reps)

    @property
    def no_reps(self) -> int:
        return sum(not r.valid for r in self.reps)


@dataclass(frozen=True)
class Truth:
    scenario: str
    seed: int
    body_mass_kg: float
    static_load_n: float
    force_rate_hz: int
    sets: tuple[SetTruth, ...]
    unplug_s: tuple[float, float] | None
    duration_s: float

    @property
    def reps(self) -> list[RepTruth]:
        return [r for s in self.sets for r in s.reps]

    def to_dict(self) -> dict:
        data = asdict(self)
        for s_data, s in zip(data["sets"], self.sets):
            s_data["valid_reps"] = s.valid_reps
            s_data["no_reps"] = s.no_reps
        return data


def _rep_truth(timeline: Timeline, w: RepWindow, unplug: tuple[float, float] | None) -> RepTruth:
    spec = w.spec
    t = np.arange(w.t_start_s, w.t_end_s + GRID_S / 2, GRID_S)
    gaps, forces = timeline.arrays(t)
    peak = forces.max()
    touching = t[gaps <= CONTACT_MM]
    contact = (round(float(touching[0]), 6), round(float(touching[-1]), 6)) if touching.size else None
    if spec.expect_reason:
        reason = spec.expect_reason
    elif spec.release_at is not None:   # let go of the bar mid-rep, whatever it reached
        reason = "bar_released"
    else:
        reason = None if contact else "no_contact"
    released = spec.release_at is not None
    t_end = w.t_end_s
    if not released:
        # the lowering from its fastest on: where the chest settled
        low = t >= w.t_top_s + spec.hold_s
        speed = np.gradient(gaps, GRID_S)
        fast = int(np.argmax(np.where(low, np.abs(speed), -1.0)))
        i = settled_index(speed[fast:], GRID_S)
        if i is not None:
            t_end = float(t[fast + i])
    observable = unplug is None or t_end < unplug[0] or w.t_start_s > unplug[1]
    min_gap = spec.min_gap_mm if w.reached_gap_mm is None else w.reached_gap_mm
    return RepTruth(
        index=w.rep_index, t_start_s=round(w.t_start_s, 6), t_end_s=round(t_end, 6),
        valid=reason is None, reason=reason, min_gap_mm=round(min_gap, 3),
        rom_mm=round(w.bottom_gap_mm - min_gap, 3), peak_force_n=round(float(peak), 3),
        contact_s=contact, pull_s=round(w.t_top_s - w.t_start_s, 6),
        top_hold_s=round(0.0 if released else spec.hold_s, 6),
        lower_s=round(0.0 if released else w.t_end_s - w.t_top_s - spec.hold_s, 6),
        left_share=timeline.athlete.left_share if spec.left_share is None else spec.left_share,
        observable=observable)


def build_truth(name: str, seed: int, timeline: Timeline, windows: list[SetWindow],
                force_rate_hz: int, unplug: tuple[float, float] | None) -> Truth:
    sets = tuple(SetTruth(i, round(w.t_start_s, 6), round(w.t_end_s, 6),
                          tuple(_rep_truth(timeline, r, unplug) for r in w.reps))
                 for i, w in enumerate(windows))
    a = timeline.athlete
    return Truth(name, seed, a.body_mass_kg, round(a.static_load_n, 3), force_rate_hz,
                 sets, unplug, round(timeline.end_s, 6))

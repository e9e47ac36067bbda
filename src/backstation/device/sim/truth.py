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

from .model import CONTACT_MM, RepWindow, SetWindow, Timeline

GRID_S = 0.001


@dataclass(frozen=True)
class RepTruth:
    index: int
    t_start_s: float          # start of the pull
    t_end_s: float            # arms straight again after lowering
    valid: bool
    reason: str | None        # None or no_contact / no_lockout / bar_released / sensor_dropout
    min_gap_mm: float
    rom_mm: float
    peak_force_n: float
    contact_s: tuple[float, float] | None   # noise-free gap <= CONTACT_MM (the physical
                                            # script, never the judge's thresholds)
    pull_s: float
    top_hold_s: float
    lower_s: float
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
    observable = unplug is None or w.t_end_s < unplug[0] or w.t_start_s > unplug[1]
    released = spec.release_at is not None
    min_gap = spec.min_gap_mm if w.reached_gap_mm is None else w.reached_gap_mm
    return RepTruth(
        index=w.rep_index, t_start_s=round(w.t_start_s, 6), t_end_s=round(w.t_end_s, 6),
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

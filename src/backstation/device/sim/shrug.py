"""The mid-back shrug on the simulated station, and its ground truth.

The athlete hangs under the bar with straight arms and squeezes the
shoulder blades together: the chest rises a few centimetres (the gap falls
by the squeeze depth), is held, and comes back down to the hang. On the
timeline that is a rep like any other (model.py's minimum-jerk moves), only
small: a pull of ``depth`` mm, a hold, a lowering back to the hang. A rep
with bent arms pulls the chest up a row's worth (150-300 mm); a short hold
lets go before the target time.

The truth is the script's: a fall of ``BENT_FALL_MM`` or more bent the
elbows (``arms_bent``), a hold under ``HOLD_TARGET_S`` is ``no_hold``;
start and end are the row truth's (truth.py: the pull starts, the chest
settled back at the hang); the hold is the time the noise-free chest is
within ``HELD_MM`` (or ``HELD_SHARE`` of the fall) of its top, as the
independent generator (validation/shrugs.py) defines it. The scripts keep clear of both lines (good
squeezes fall 30-55 mm and hold 2.5-4.5 s), so any judge told the same
squeeze depth and target agrees with them. Scenarios (``SHRUG_SCENARIOS``):
``shrug`` (good squeezes), ``shrug-faults`` (bent arms and short holds among
good ones) and ``row-shrug`` (a workout: a set of rows, one of shrugs, one
of rows; ``SCENARIO_EXERCISES`` says which set is which).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from ...defaults import DEFAULT_SHRUG_HOLD_S, DEFAULT_SQUEEZE_MM
from ...exercises import INVERTED_ROW, MID_BACK_SHRUG
from .model import RepSpec, SetSpec, Timeline
from .truth import SetTruth

SQUEEZE_MM = DEFAULT_SQUEEZE_MM        # the scripted athlete's squeeze depth (the judge's too)
HOLD_TARGET_S = DEFAULT_SHRUG_HOLD_S   # the target hold the scripts are judged against
BENT_FALL_MM = 100.0    # truth: a fall this far from the hang bent the elbows
HELD_MM = 3.0           # truth: held while within this of the top ...
HELD_SHARE = 0.1        # ... or this share of the fall


def squeeze(rng: np.random.Generator, hang_mm: float, hold_s: float | None = None,
            depth_mm: float | None = None) -> RepSpec:
    """One shrug from a hang at ``hang_mm``: up ``depth_mm`` (30-55), held
    ``hold_s`` (2.5-4.5 s), back to a hang within 10 mm of it."""
    depth = float(rng.uniform(30, 55)) if depth_mm is None else depth_mm
    hold = float(rng.uniform(2.5, 4.5)) if hold_s is None else hold_s
    return RepSpec(pull_s=float(rng.uniform(0.35, 0.7)), hold_s=hold,
                   lower_s=float(rng.uniform(0.4, 0.8)), pause_s=float(rng.uniform(1.2, 2.5)),
                   min_gap_mm=hang_mm - depth, squeeze_share=0.01,
                   hang_mm=hang_mm + float(rng.uniform(-10, 10)))


def bent_arms(rng: np.random.Generator, hang_mm: float) -> RepSpec:
    """The elbows bend: the chest rises a row's worth (150-300 mm)."""
    return RepSpec(pull_s=float(rng.uniform(0.8, 1.2)), hold_s=float(rng.uniform(0.5, 2.5)),
                   lower_s=float(rng.uniform(1.0, 1.5)), pause_s=float(rng.uniform(1.2, 2.5)),
                   min_gap_mm=hang_mm - float(rng.uniform(150, 300)), hang_mm=hang_mm)


def short_hold(rng: np.random.Generator, hang_mm: float) -> RepSpec:
    """Let go before the target: held 0.3-1.5 s."""
    return squeeze(rng, hang_mm, hold_s=float(rng.uniform(0.3, 1.5)))


def _chain(reps: list[RepSpec], bottom_mm: float) -> list[RepSpec]:
    """Each rep's pull starts where the one before came back to: its depth is
    kept from that level (the scripts give it from the athlete's bottom)."""
    out, level = [], bottom_mm
    for rep in reps:
        fall = bottom_mm - rep.min_gap_mm
        out.append(replace(rep, min_gap_mm=level - fall))
        level = rep.hang_mm if rep.hang_mm is not None else bottom_mm
    return out


def shrug_set(rng: np.random.Generator, bottom_mm: float, count: int, *, bent: int = 0,
              short: int = 0, rest_after_s: float = 15.0) -> SetSpec:
    reps = [squeeze(rng, bottom_mm) for _ in range(count)]
    odd = rng.choice(np.arange(1, count), size=bent + short, replace=False)
    for k, i in enumerate(odd):
        reps[i] = bent_arms(rng, bottom_mm) if k < bent else short_hold(rng, bottom_mm)
    return SetSpec(tuple(_chain(reps, bottom_mm)), rest_after_s, settle_s=2.0)


@dataclass(frozen=True)
class ShrugTruth:
    t_start_s: float
    t_end_s: float
    reason: str | None        # None (valid), arms_bent or no_hold
    fall_mm: float            # from the hang the pull began at
    hold_s: float

    @property
    def valid(self) -> bool:
        return self.reason is None


def shrug_truth(truth_set: SetTruth, timeline: Timeline) -> list[ShrugTruth]:
    """The shrugs of a simulated set, judged by the script's own lines."""
    out = []
    for r in truth_set.reps:
        t = np.arange(r.t_start_s, r.t_end_s, 0.001)
        gap, _ = timeline.arrays(t)
        held = t[gap <= gap.min() + max(HELD_MM, HELD_SHARE * r.rom_mm)]
        hold = float(held[-1] - held[0]) if held.size else 0.0
        reason = ("arms_bent" if r.rom_mm >= BENT_FALL_MM
                  else "no_hold" if r.top_hold_s < HOLD_TARGET_S else None)
        out.append(ShrugTruth(r.t_start_s, r.t_end_s, reason, r.rom_mm, hold))
    return out


def _scenarios() -> dict[str, Callable]:
    from .scenarios import Scenario, _athlete, good_reps   # they build on the row's scenarios

    def shrug(rng: np.random.Generator) -> Scenario:
        athlete = _athlete(rng)
        sets = tuple(shrug_set(rng, athlete.bottom_gap_mm, 6) for _ in range(2))
        return Scenario("shrug", "2 sets of 6 mid-back shrugs: 30-55 mm squeezes held 2.5-4.5 s, "
                        "the hang moving +-10 mm", athlete, sets)

    def shrug_faults(rng: np.random.Generator) -> Scenario:
        athlete = _athlete(rng)
        sets = (shrug_set(rng, athlete.bottom_gap_mm, 8, bent=2, short=2),)
        return Scenario("shrug-faults", "8 mid-back shrugs: 2 with bent arms (the chest up "
                        "150-300 mm, arms_bent), 2 held 0.3-1.5 s (no_hold)", athlete, sets)

    def row_shrug(rng: np.random.Generator) -> Scenario:
        athlete = _athlete(rng)
        sets = (SetSpec(tuple(good_reps(rng, 6)), 15.0),
                shrug_set(rng, athlete.bottom_gap_mm, 5, short=1),
                SetSpec(tuple(good_reps(rng, 6)), 15.0))
        return Scenario("row-shrug", "a workout: 6 inverted rows, 5 mid-back shrugs (one held "
                        "short), 6 inverted rows", athlete, sets)

    def upper_back_workout(rng: np.random.Generator) -> Scenario:
        athlete = _athlete(rng)
        rows = tuple(SetSpec(tuple(good_reps(rng, 12, fatigue=0.03)), 45.0) for _ in range(3))
        shrugs = tuple(shrug_set(rng, athlete.bottom_gap_mm, 10, rest_after_s=45.0)
                       for _ in range(3))
        # Rear-delt flyes away from the bar (three sets logged by the coach), then the burnout.
        shrugs = (*shrugs[:2], replace(shrugs[2], rest_after_s=150.0))
        burnout = SetSpec(tuple(good_reps(rng, 18, fatigue=0.05)), 10.0)
        return Scenario("upper-back-workout", "the article's workout at the bar: 3 sets of 12 "
                        "inverted rows, 3 sets of 10 mid-back shrugs, 150 s away (the rear-delt "
                        "flyes), a burnout set of 18 rows", athlete, (*rows, *shrugs, burnout))

    return {"shrug": shrug, "shrug-faults": shrug_faults, "row-shrug": row_shrug,
            "upper-back-workout": upper_back_workout}


SCENARIO_EXERCISES: dict[str, tuple[str, ...]] = {
    "shrug": (MID_BACK_SHRUG,) * 2, "shrug-faults": (MID_BACK_SHRUG,),
    "row-shrug": (INVERTED_ROW, MID_BACK_SHRUG, INVERTED_ROW),
    "upper-back-workout": (INVERTED_ROW,) * 3 + (MID_BACK_SHRUG,) * 3 + (INVERTED_ROW,),
}


def shrug_scenarios() -> list[str]:
    """The names of the scenarios with shrugs (scenarios.all_scenarios lists them too)."""
    return list(_scenarios())


def shrug_scenario(name: str) -> Callable | None:
    """The builder of a shrug scenario (scenarios.make_scenario asks), or None."""
    return _scenarios().get(name)

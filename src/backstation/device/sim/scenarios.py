"""Named, seeded scenario scripts. A new hard case is a new function here.

Every scenario starts with ``lead_s`` seconds of an unloaded bar (so a host
can connect and send START), then its sets, then ``tail_s`` unloaded.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from .artefacts import SensorArtefacts
from .model import Athlete, RepSpec, SetSpec

LEAD_S = 4.0
TAIL_S = 4.0


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    athlete: Athlete
    sets: tuple[SetSpec, ...]
    lead_s: float = LEAD_S
    tail_s: float = TAIL_S
    rate_pin_high: bool = True          # False: RATE tied low, 10 SPS, RATE 80 refused
    distance_sensor: str = "hcsr04"     # or 'none'
    faults_per_s: float = 0.0           # line faults while streaming (noisy-line)
    unplug_at_s: float | None = None    # the USB cable is pulled ...
    unplug_for_s: float = 3.0           # ... for this long, then the device reboots
    missed_echo_rate: float = 0.01
    distance_period_s: float | None = None   # None: the sensor's own (hardware.py)
    artefacts: SensorArtefacts | None = None   # stray echoes & co (artefacts.py); None: none


def _athlete(rng: np.random.Generator, **overrides) -> Athlete:
    base = Athlete(body_mass_kg=float(np.round(rng.uniform(65, 95), 1)),
                   feet=str(rng.choice(["floor", "bench"])),
                   left_share=float(np.round(rng.uniform(0.46, 0.54), 3)),
                   bottom_gap_mm=float(np.round(rng.uniform(460, 580))))
    return replace(base, **overrides)


def good_reps(rng: np.random.Generator, count: int, fatigue: float = 0.06) -> list[RepSpec]:
    """Reps that touch the chest; later ones slower and a little shallower."""
    reps = []
    for i in range(count):
        slow = 1.0 + fatigue * i
        reps.append(RepSpec(
            pull_s=float(rng.uniform(0.8, 1.0) * slow),
            hold_s=float(rng.uniform(0.4, 0.8)),
            lower_s=float(rng.uniform(1.2, 1.6) * (1.0 + fatigue * i / 2)),
            pause_s=float(rng.uniform(0.5, 0.9)),
            min_gap_mm=float(min(15.0, rng.uniform(0, 6) + 8.0 * i / max(1, count - 1)))))
    return reps


def short_rep(rng: np.random.Generator, base: RepSpec | None = None) -> RepSpec:
    base = base or RepSpec()
    return replace(base, min_gap_mm=float(rng.uniform(60, 150)), hold_s=float(rng.uniform(0.1, 0.4)))


def clean(rng: np.random.Generator) -> Scenario:
    sets = tuple(SetSpec(tuple(good_reps(rng, 8)), float(rng.uniform(15, 20))) for _ in range(3))
    return Scenario("clean", "3 sets of 8 good reps, 15-20 s rests", _athlete(rng), sets)


def partial(rng: np.random.Generator) -> Scenario:
    sets = []
    for _ in range(2):
        reps = good_reps(rng, 8)
        for i in rng.choice(np.arange(1, 8), size=3, replace=False):
            reps[i] = short_rep(rng, reps[i])
        sets.append(SetSpec(tuple(reps), float(rng.uniform(15, 20))))
    return Scenario("partial", "2 sets of 8, three reps per set stop 60-150 mm short",
                    _athlete(rng), tuple(sets))


def burnout(rng: np.random.Generator) -> Scenario:
    count = int(rng.integers(14, 19))
    failing = int(rng.integers(3, 5))
    reps = []
    for i in range(count):
        slow = 1.0 + 0.04 * i
        rep = RepSpec(pull_s=0.45 * slow, hold_s=0.05, lower_s=0.45 * slow, pause_s=0.1,
                      min_gap_mm=float(rng.uniform(0, 10)), squeeze_share=0.02)
        if i >= count - failing:
            rep = replace(rep, min_gap_mm=float(rng.uniform(60, 150)), pull_s=rep.pull_s * 1.3)
        reps.append(rep)
    sets = (SetSpec(tuple(good_reps(rng, 6)), 15.0), SetSpec(tuple(reps), 10.0))
    return Scenario("burnout", f"a working set of 6, then a fast burnout of {count} reps, "
                    f"the last {failing} short of the bar", _athlete(rng), sets)


def noisy_line(rng: np.random.Generator) -> Scenario:
    sets = (SetSpec(tuple(good_reps(rng, 8)), 10.0),)
    return Scenario("noisy-line", "one set of 8 with ~3 line faults a second while streaming",
                    _athlete(rng), sets, faults_per_s=3.0)


def unplug(rng: np.random.Generator) -> Scenario:
    sets = (SetSpec(tuple(good_reps(rng, 8)), 10.0),)
    unplug_at = LEAD_S + 2.5 + 3 * 3.5   # around the fourth rep
    return Scenario("unplug", "one set of 8; the USB cable is out for 3 s mid-set, "
                    "the device reboots when it returns", _athlete(rng), sets,
                    unplug_at_s=unplug_at, unplug_for_s=3.0)


def slow_adc(rng: np.random.Generator) -> Scenario:
    sets = (SetSpec(tuple(good_reps(rng, 8)), 10.0),)
    return Scenario("slow-adc", "one set of 8 with the HX711 RATE pin tied low (10 SPS)",
                    _athlete(rng), sets, rate_pin_high=False)


# ----- hard cases: each one thing that could fool a rep judge ----------------

def _one_set(rng: np.random.Generator, reps: list[RepSpec], **athlete) -> tuple[Athlete, tuple[SetSpec, ...]]:
    return _athlete(rng, **athlete), (SetSpec(tuple(reps), 10.0),)


def pause_bottom(rng: np.random.Generator) -> Scenario:
    reps = [replace(r, pause_s=float(rng.uniform(2.5, 4.0))) for r in good_reps(rng, 6)]
    return Scenario("pause-bottom", "6 good reps, each after a 2.5-4 s pause hanging at the bottom",
                    *_one_set(rng, reps))


def squeeze_top(rng: np.random.Generator) -> Scenario:
    reps = [replace(r, hold_s=float(rng.uniform(3.0, 5.0)), squeeze_share=0.08)
            for r in good_reps(rng, 6)]
    return Scenario("squeeze-top", "6 good reps, each with a 3-5 s hard squeeze at the top",
                    *_one_set(rng, reps))


def bounce(rng: np.random.Generator) -> Scenario:
    reps = [replace(r, hold_s=0.0, min_gap_mm=0.0, pull_s=float(rng.uniform(0.6, 0.8)),
                    pause_s=float(rng.uniform(0.0, 0.15))) for r in good_reps(rng, 8)]
    return Scenario("bounce", "8 reps that bounce off the chest (no hold) and barely pause at the bottom",
                    *_one_set(rng, reps))


def brief_touch(rng: np.random.Generator) -> Scenario:
    reps = good_reps(rng, 8)
    for i in range(1, 8, 2):
        reps[i] = replace(reps[i], hold_s=float(rng.uniform(0.0, 0.05)),
                          min_gap_mm=float(rng.uniform(14, 18)))
    return Scenario("brief-touch", "8 reps; every other one only grazes the bar (14-18 mm, no hold)",
                    *_one_set(rng, reps))


def missed_echo(rng: np.random.Generator) -> Scenario:
    reps = good_reps(rng, 7)
    for i in (1, 3, 5):
        reps[i] = replace(reps[i], echo_lost_at_contact_s=float(rng.uniform(0.04, 0.12)))
    reps[4] = replace(reps[4], echo_lost_at_top=True, expect_reason="sensor_dropout")
    return Scenario("missed-echo", "7 reps: three lose an echo or two at the moment of contact "
                    "(still valid), one loses every echo around the top (sensor_dropout)",
                    *_one_set(rng, reps))


def fast_burnout(rng: np.random.Generator) -> Scenario:
    reps = [RepSpec(pull_s=0.22, hold_s=0.08, lower_s=0.2, pause_s=0.0,
                    min_gap_mm=float(rng.uniform(0, 6)), squeeze_share=0.02)
            for _ in range(int(rng.integers(16, 21)))]
    return Scenario("fast-burnout", "a half-range burnout as fast as gravity allows (~1 rep a second)",
                    *_one_set(rng, reps, bottom_gap_mm=float(np.round(rng.uniform(250, 280)))))


def asymmetric(rng: np.random.Generator) -> Scenario:
    left = float(np.round(rng.uniform(0.33, 0.37), 3))
    return Scenario("asymmetric", f"8 good reps by an athlete loading the left hook {left:.0%}",
                    *_one_set(rng, good_reps(rng, 8), left_share=left))


def no_lockout(rng: np.random.Generator) -> Scenario:
    reps = good_reps(rng, 8)
    for i in (2, 5):
        reps[i] = replace(reps[i], lower_to_mm=float(rng.uniform(250, 330)), expect_reason="no_lockout")
        reps[i + 1] = replace(reps[i + 1], pause_s=float(rng.uniform(0.0, 0.3)))
    return Scenario("no-lockout", "8 reps; twice the athlete pulls again before the arms are straight",
                    *_one_set(rng, reps))


# ----- a real station: how people get on and off, a moving hang, a real sensor ----
# (docs/simulator.md). Each draws from its own scenario rng and asks for the
# sensor artefacts by rate, so none of the scenarios above changes.

DEFAULT_SCENARIO = "realistic"    # what --simulate, `backstation sim` and sim:// run
HANG_SPREAD_MM = 35.0             # straight-arm level, rep to rep: packed or relaxed
REAL_ARTEFACTS = SensorArtefacts(stray_share=0.03, multipath_rate=0.005, zero_rate=0.003,
                                 stuck_rate=0.005)


def _real_athlete(rng: np.random.Generator, **overrides) -> Athlete:
    athlete = _athlete(rng, **overrides)
    return replace(athlete, lying_gap_mm=float(np.round(athlete.bottom_gap_mm + rng.uniform(70, 120))))


def varying_hang(rng: np.random.Generator, reps: list[RepSpec], bottom_mm: float,
                 long_hang_share: float = 0.0) -> list[RepSpec]:
    """Each rep lowers to its own straight-arm level (+-35 mm); some reps
    start after a 5-15 s hang during which the shoulders sag 8-25 mm."""
    out = []
    for rep in reps:
        hang = bottom_mm + float(rng.uniform(-HANG_SPREAD_MM, HANG_SPREAD_MM))
        if rng.random() < long_hang_share:
            pause = float(rng.uniform(5.0, 15.0))
            rep = replace(rep, pause_s=pause, pause_drift_mm=float(rng.uniform(8, 25)) * min(1.0, pause / 10))
        out.append(replace(rep, hang_mm=hang))
    return out


def walk_in_passes(rng: np.random.Generator) -> tuple[tuple[float, float], ...]:
    """One or two legs, then the torso, passing under the sensor."""
    legs = [(float(rng.uniform(600, 800)), float(rng.uniform(0.2, 0.6)))
            for _ in range(int(rng.integers(1, 3)))]
    return (*legs, (float(rng.uniform(300, 560)), float(rng.uniform(0.3, 0.8))))


def realistic(rng: np.random.Generator) -> Scenario:
    athlete = _real_athlete(rng)
    bottom = athlete.bottom_gap_mm
    sets = []
    for i in range(3):
        count = int(rng.integers(6, 11))
        reps = varying_hang(rng, good_reps(rng, count), bottom, long_hang_share=0.15)
        entry = "walk-in" if i == 2 else "one-motion"
        spec = SetSpec(tuple(reps), float(rng.uniform(20, 40)), entry=entry,
                       exit="stand-up" if i == 1 else "settle",
                       settle_s=float(rng.uniform(0.2, 0.8)),
                       walk_in_passes=walk_in_passes(rng) if entry == "walk-in" else (),
                       stand_up_gap_mm=float(rng.uniform(150, 320)))
        if i == 1:
            k = int(rng.integers(2, count - 1))
            reps[k] = replace(reps[k], regrip_before_s=float(rng.uniform(1.0, 2.0)))
            spec = replace(spec, reps=tuple(reps))
        sets.append(spec)
    return Scenario("realistic", "3 sets as at a real rack: on in one motion (the third walks in), "
                    "a straight-arm level that moves +-35 mm, a few 5-15 s hangs, a regrip, "
                    "a stand-up exit, ~3 % stray echoes", athlete, tuple(sets),
                    artefacts=REAL_ARTEFACTS)


def walk_in(rng: np.random.Generator) -> Scenario:
    athlete = _real_athlete(rng)
    sets = tuple(SetSpec(tuple(good_reps(rng, 8)), 15.0, entry="walk-in", exit="stand-up",
                         walk_in_passes=walk_in_passes(rng), stand_up_gap_mm=float(rng.uniform(150, 320)))
                 for _ in range(2))
    return Scenario("walk-in", "2 sets of 8: legs and torso pass under the sensor before the hang; "
                    "off by standing up", athlete, sets)


def stray_echoes(rng: np.random.Generator) -> Scenario:
    artefacts = SensorArtefacts(stray_share=0.06, multipath_rate=0.02, zero_rate=0.01, stuck_rate=0.01)
    return Scenario("stray-echoes", "one set of 8 good reps; 6 % stray echoes (bursts of 1-3), 2 % "
                    "double-path, 1 % near-zero, stuck values", *_one_set(rng, good_reps(rng, 8)),
                    artefacts=artefacts)


def tof(rng: np.random.Generator) -> Scenario:
    return Scenario("tof", "one set of 8 with a VL53L0X time-of-flight sensor (30 Hz; 5 % out of "
                    "range at 1 m, sent as -1)", *_one_set(rng, good_reps(rng, 8)),
                    distance_sensor="vl53l0x", missed_echo_rate=0.0,
                    artefacts=SensorArtefacts(out_of_range_rate=0.05))


def tof_raw(rng: np.random.Generator) -> Scenario:
    return Scenario("tof-raw", "one set of 8 with a VL53L1X (50 Hz) whose out-of-range readings "
                    "are sent raw, as 8190", *_one_set(rng, good_reps(rng, 8)),
                    distance_sensor="vl53l1x", missed_echo_rate=0.0,
                    artefacts=SensorArtefacts(out_of_range_rate=0.05, out_of_range_mm=8190))


def regrip(rng: np.random.Generator) -> Scenario:
    reps = good_reps(rng, 10)
    for k in (3, 7):
        reps[k] = replace(reps[k], regrip_before_s=float(rng.uniform(1.0, 2.0)))
    return Scenario("regrip", "one set of 10; twice the athlete lets go for 1-2 s and grips again",
                    *_one_set(rng, reps, lying_gap_mm=640.0))


def slow_tempo(rng: np.random.Generator) -> Scenario:
    reps = [replace(r, pull_s=float(rng.uniform(2.8, 3.2)), hold_s=float(rng.uniform(4.8, 5.2)),
                    lower_s=float(rng.uniform(3.8, 4.2)), squeeze_share=0.06)
            for r in good_reps(rng, 6, fatigue=0.0)]
    return Scenario("slow-tempo", "6 reps at 3 s up, 5 s squeeze, 4 s down", *_one_set(rng, reps))


def touch_and_go(rng: np.random.Generator) -> Scenario:
    reps = [RepSpec(pull_s=0.25, hold_s=0.0, lower_s=0.25, pause_s=0.0,
                    min_gap_mm=float(rng.uniform(0, 8)), squeeze_share=0.0)
            for _ in range(int(rng.integers(16, 21)))]
    return Scenario("touch-and-go", "touch-and-go as fast as gravity allows (~1.2 reps a second), no hold, no pause",
                    *_one_set(rng, reps, feet="bench", bottom_gap_mm=float(np.round(rng.uniform(220, 280)))))


def release(rng: np.random.Generator) -> Scenario:
    reps = good_reps(rng, 8)
    reps[3] = replace(reps[3], release_at=float(rng.uniform(0.4, 0.7)),
                      release_off_s=float(rng.uniform(1.5, 2.5)))
    reps[7] = replace(reps[7], release_at=float(rng.uniform(0.5, 0.9)))
    return Scenario("release", "8 reps; the 4th lets go of the bar mid-pull (grips again 1.5-2.5 s "
                    "later), the 8th lets go and ends the set (bar_released)",
                    *_one_set(rng, reps, lying_gap_mm=640.0))


def long_hang(rng: np.random.Generator) -> Scenario:
    athlete = _real_athlete(rng)
    reps = varying_hang(rng, good_reps(rng, 8), athlete.bottom_gap_mm, long_hang_share=0.5)
    return Scenario("long-hang", "8 good reps with a straight-arm level that moves +-35 mm and "
                    "5-15 s hangs (sagging 8-25 mm) before half of them", athlete,
                    (SetSpec(tuple(reps), 10.0),))


SCENARIOS: dict[str, Callable[[np.random.Generator], Scenario]] = {
    "clean": clean, "partial": partial, "burnout": burnout, "noisy-line": noisy_line,
    "unplug": unplug, "slow-adc": slow_adc,
    "pause-bottom": pause_bottom, "squeeze-top": squeeze_top, "bounce": bounce,
    "brief-touch": brief_touch, "missed-echo": missed_echo, "fast-burnout": fast_burnout,
    "asymmetric": asymmetric, "no-lockout": no_lockout,
    "realistic": realistic, "walk-in": walk_in, "stray-echoes": stray_echoes, "tof": tof,
    "tof-raw": tof_raw, "regrip": regrip, "slow-tempo": slow_tempo, "touch-and-go": touch_and_go,
    "release": release, "long-hang": long_hang,
}


REALISM_SCENARIOS = ("realistic", "walk-in", "stray-echoes", "tof", "tof-raw", "regrip",
                     "slow-tempo", "touch-and-go", "release", "long-hang")


def all_scenarios() -> list[str]:
    """Every scenario the simulator knows (what a user may pick): the row's,
    then those with mid-back shrugs (shrug.py)."""
    from .shrug import shrug_scenarios
    return [*SCENARIOS, *shrug_scenarios()]


def list_scenarios() -> list[str]:
    """The tidy scenarios and hard cases the rep judge is graded on
    (tests/test_analysis_accuracy.py runs every one of these); the realism
    scenarios (``REALISM_SCENARIOS``) join it once the judge holds on them."""
    return [name for name in SCENARIOS if name not in REALISM_SCENARIOS]


def describe_scenarios() -> dict[str, str]:
    return {name: make_scenario(name, 0).description for name in all_scenarios()}


def make_scenario(name: str, seed: int) -> Scenario:
    from .shrug import shrug_scenario     # mid-back shrugs (shrug.py) build on these
    builder = SCENARIOS.get(name) or shrug_scenario(name)
    if builder is None:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(SCENARIOS)}")
    return builder(np.random.default_rng([int(seed), 0x5C]))

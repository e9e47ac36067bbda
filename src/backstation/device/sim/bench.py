"""What a person at the bench does to the simulated station besides the
scenario: hang a known mass on a hook, send the athlete away from the bar,
have the athlete pull up and hold the chest on the bar.

A hung mass is a load on its side's load cell; the HX711 model adds the
cell's mechanical and ADC noise to it as to any load (``hardware.hx711_raw``).
Hung mid-run it bounces first, on the hook and strap, a damped oscillation
(``bounce_n``: 5 % of its weight at 2.5 Hz, decaying in 0.35 s; a modelled
guess, not a measurement), so a CAL sent at once is refused as unstable, as
on a real bench: let it stop swinging. The athlete's moves are short scripts of the
athlete model's segments (``model.Segment``: minimum-jerk gap and load),
played from the moment they are asked for; ``BenchAthlete`` plays them over
the scenario's timeline, bit for bit the same way one sample at a time and
in bulk (the station's two paths). ``Bench`` is the person, one per
station (``SimulatedStation.bench``).
"""

from __future__ import annotations

import math
import re
from typing import Callable

import numpy as np

from ...units import weight_n
from .model import GRAB_S, RELEASE_S, SETTLE_S, SLIDE_IN_S, Athlete, Segment, Timeline

SIDES = ("left", "right")                # channel 0 is the left hook
MAX_HUNG_GRAMS = 200_000.0               # the firmware's CAL limit: a load cell's rating here
BOUNCE_SHARE = 0.05                      # a mass just hung: first swing, share of its weight
BOUNCE_HZ = 2.5
BOUNCE_TAU_S = 0.35
BOUNCE_FOR_S = 3.0                       # then under 0.01 % of the weight: still
TOUCH_GAP_MM = 8.0                       # the chest on the bar, as a good rep's top
TOUCH_PULL_S = 1.0
TOUCH_LOWER_S = 1.5
BACK_TO_HANG_S = 0.5                     # already gripping: settle back at arms' length
_MASS = re.compile(r"\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(kg|g)\s*\Z", re.IGNORECASE)


def side_channel(side: str) -> int:
    """0 for ``left``, 1 for ``right`` (the names a person uses; 0 and 1 too)."""
    key = side.strip().lower()
    if key in SIDES:
        return SIDES.index(key)
    if key in ("0", "1"):
        return int(key)
    raise ValueError(f"hook {side.strip()!r}: left or right")


def check_hung_grams(grams: float) -> float:
    grams = float(grams)
    if not (math.isfinite(grams) and 0.0 <= grams <= MAX_HUNG_GRAMS):
        raise ValueError(f"a hung mass of {grams:g} g: 0 to {MAX_HUNG_GRAMS / 1000:g} kg")
    return grams


def parse_hang(text: str) -> dict[int, float]:
    """``left:20kg``, ``right:500g`` or both, comma-separated -> {channel: grams}."""
    hung: dict[int, float] = {}
    for item in text.split(","):
        side, colon, mass = item.partition(":")
        if not colon:
            raise ValueError(f"hang {item.strip()!r}: write side:mass, e.g. left:20kg")
        channel = side_channel(side)
        match = _MASS.match(mass)
        if match is None:
            raise ValueError(f"hang {item.strip()!r}: the mass is a number and kg or g, e.g. 20kg")
        grams = float(match.group(1)) * (1000.0 if match.group(2).lower() == "kg" else 1.0)
        if channel in hung:
            raise ValueError(f"hang: the {SIDES[channel]} hook is named twice")
        hung[channel] = check_hung_grams(grams)
    return hung


def hung_load_n(grams: float) -> float:
    return weight_n(grams / 1000.0)


def bounce_n(load_n: float, since_s: float) -> float:
    """The extra force of a mass weighing ``load_n`` hung ``since_s`` ago."""
    if not 0.0 <= since_s < BOUNCE_FOR_S:
        return 0.0
    return (load_n * BOUNCE_SHARE * math.exp(-since_s / BOUNCE_TAU_S)
            * math.sin(2.0 * math.pi * BOUNCE_HZ * since_s))


def bounce_block(load_n: float, since_s: np.ndarray) -> np.ndarray:
    """``bounce_n`` at many times, bit for bit (the same scalar function)."""
    return np.fromiter((bounce_n(load_n, s) for s in since_s.tolist()), float, len(since_s))


class _Script:
    """Segments laid end to end from t = 0 (the moment the move was asked for)."""

    def __init__(self, athlete: Athlete):
        self.athlete = athlete
        self.segments: list[Segment] = []
        self.t_s = 0.0

    def add(self, duration_s: float, gap0_mm: float, gap1_mm: float, on0: float,
            on1: float) -> float:
        self.segments.append(Segment(self.t_s, self.t_s + duration_s, gap0_mm, gap1_mm, on0, on1,
                                     left_share=self.athlete.left_share))
        self.t_s += duration_s
        return self.t_s

    def timeline(self) -> Timeline:
        return Timeline(self.athlete, self.segments)


def away_script(athlete: Athlete, gap_mm: float, on_bar: float) -> Timeline:
    """The athlete lets go (if gripping) and slides out; the bar stays empty."""
    script = _Script(athlete)
    script.add(RELEASE_S, gap_mm, gap_mm, on_bar, 0.0)
    script.add(SLIDE_IN_S, gap_mm, athlete.floor_gap_mm, 0.0, 0.0)
    return script.timeline()


def touch_script(athlete: Athlete, gap_mm: float, on_bar: float,
                 hold_s: float) -> tuple[Timeline, float, float]:
    """The athlete gets under the bar (or back to the hang), pulls up, holds
    the chest on the bar for ``hold_s``, lowers, lets go and slides out.
    Returns the script and when the hold starts and ends (script seconds)."""
    if not hold_s > 0:
        raise ValueError(f"hold for {hold_s:g} s: more than 0 s")
    script = _Script(athlete)
    bottom = athlete.bottom_gap_mm
    if on_bar < 0.5:   # off the bar: slide under it and grip
        script.add(SLIDE_IN_S, gap_mm, bottom, on_bar, 0.0)
        script.add(GRAB_S, bottom, bottom, 0.0, 1.0)
    else:
        script.add(BACK_TO_HANG_S, gap_mm, bottom, on_bar, 1.0)
    script.add(SETTLE_S, bottom, bottom, 1.0, 1.0)
    touch_from_s = script.add(max(TOUCH_PULL_S, athlete.shortest_move_s(bottom, TOUCH_GAP_MM)),
                              bottom, TOUCH_GAP_MM, 1.0, 1.0)
    touch_until_s = script.add(hold_s, TOUCH_GAP_MM, TOUCH_GAP_MM, 1.0, 1.0)
    script.add(max(TOUCH_LOWER_S, athlete.shortest_move_s(TOUCH_GAP_MM, bottom)),
               TOUCH_GAP_MM, bottom, 1.0, 1.0)
    script.add(RELEASE_S, bottom, bottom, 1.0, 0.0)
    script.add(SLIDE_IN_S, bottom, athlete.floor_gap_mm, 0.0, 0.0)
    return script.timeline(), touch_from_s, touch_until_s


class BenchAthlete:
    """The scenario's timeline, or from ``from_s`` on a bench script (which,
    once played out, leaves the bar empty until ``resume``). Same interface
    as ``model.Timeline`` for what the sensors read."""

    def __init__(self, scenario: Timeline):
        self.scenario = scenario
        self.script: Timeline | None = None
        self.from_s = math.inf

    def play(self, script: Timeline, from_s: float) -> None:
        self.script, self.from_s = script, float(from_s)

    def resume(self) -> None:
        self.script, self.from_s = None, math.inf

    @property
    def echo_lost_s(self) -> list[tuple[float, float]]:
        return self.scenario.echo_lost_s

    def _now(self, t_s: float) -> tuple[Timeline, float]:
        if self.script is not None and t_s >= self.from_s:
            return self.script, t_s - self.from_s
        return self.scenario, t_s

    def state(self, t_s: float) -> tuple[float, float, float]:
        timeline, t = self._now(t_s)
        return timeline.state(t)

    def gap_mm(self, t_s: float) -> float:
        timeline, t = self._now(t_s)
        return timeline.gap_mm(t)

    def on_bar(self, t_s: float) -> float:
        timeline, t = self._now(t_s)
        return timeline.on_bar(t)

    def echo_lost(self, t_s: float) -> bool:
        """The scenario's lost echoes; a bench script loses none of its own."""
        return not (self.script is not None and t_s >= self.from_s) and self.scenario.echo_lost(t_s)

    def _split(self, t_s: np.ndarray) -> np.ndarray | None:
        """Which times the script plays (None: none of them)."""
        if self.script is None:
            return None
        scripted = t_s >= self.from_s
        return scripted if scripted.any() else None

    def gap_block(self, t_s: np.ndarray) -> np.ndarray:
        scripted = self._split(t_s)
        if scripted is None:
            return self.scenario.gap_block(t_s)
        out = np.empty(len(t_s), float)
        out[~scripted] = self.scenario.gap_block(t_s[~scripted])
        out[scripted] = self.script.gap_block(t_s[scripted] - self.from_s)
        return out

    def state_block(self, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        scripted = self._split(t_s)
        if scripted is None:
            return self.scenario.state_block(t_s)
        before = self.scenario.state_block(t_s[~scripted])
        during = self.script.state_block(t_s[scripted] - self.from_s)
        out = tuple(np.empty(len(t_s), float) for _ in range(4))
        for column, a, b in zip(out, before, during):
            column[~scripted] = a
            column[scripted] = b
        return out


class Bench:
    """A person beside the station, on its scenario clock (``now_s()``): the
    masses on the hooks (``hook_loads_n``: what they add to each side) and the
    athlete's bench moves (``athlete``: what the sensors see of the athlete)."""

    def __init__(self, athlete: Athlete, scenario: Timeline, now_s: Callable[[], float],
                 hang: dict[int, float] | None = None):
        self._athlete_model = athlete
        self._now_s = now_s
        self.athlete = BenchAthlete(scenario)
        self.external_load_n = [0.0, 0.0]     # N on each hook (a test may set it directly)
        self.hung_grams = [0.0, 0.0]
        self._hung_at = [(-math.inf, 0.0), (-math.inf, 0.0)]   # (t_s, N) of a bouncing mass
        self.touch_window_s: tuple[float, float] | None = None
        for channel, grams in (hang or {}).items():   # hung before power-on: still by now
            self._hang(channel, grams)

    def hang_mass(self, channel: int, grams: float) -> None:
        """Hang ``grams`` on ``channel``'s hook from now (0 takes it off): it
        bounces for a moment (``bounce_n``), then is a static load, read with
        the cell's noise like any other."""
        self._hang(channel, grams)
        load_n = self.external_load_n[channel]
        self._hung_at[channel] = (self._now_s(), load_n) if load_n > 0 else (-math.inf, 0.0)

    def _hang(self, channel: int, grams: float) -> None:
        if channel not in (0, 1):
            raise ValueError(f"channel {channel!r}: 0 (left) or 1 (right)")
        self.hung_grams[channel] = check_hung_grams(grams)
        self.external_load_n[channel] = hung_load_n(self.hung_grams[channel])

    def clear_bar(self) -> None:
        """The athlete lets go and slides out from now; the bar stays empty
        until ``resume_scenario``. Hung masses stay where they are."""
        t0 = self._now_s()
        self.athlete.play(away_script(self._athlete_model, self.athlete.gap_mm(t0),
                                      self.athlete.on_bar(t0)), t0)
        self.touch_window_s = None

    def hold_touch(self, hold_s: float) -> tuple[float, float]:
        """The athlete gets on the bar, pulls up and holds the chest on it for
        ``hold_s`` (scenario seconds), lowers, lets go and leaves the bar empty
        until ``resume_scenario``. Returns when the hold starts and ends."""
        t0 = self._now_s()
        script, touch_from_s, touch_until_s = touch_script(
            self._athlete_model, self.athlete.gap_mm(t0), self.athlete.on_bar(t0), hold_s)
        self.athlete.play(script, t0)
        self.touch_window_s = (t0 + touch_from_s, t0 + touch_until_s)
        return self.touch_window_s

    @property
    def touching(self) -> bool:
        """A ``hold_touch`` has the chest on the bar now."""
        w = self.touch_window_s
        return w is not None and w[0] <= self._now_s() < w[1]

    def resume_scenario(self) -> None:
        """The scenario's athlete again, where its script is now."""
        self.athlete.resume()
        self.touch_window_s = None

    def hook_loads_n(self, t_s: float) -> tuple[float, float]:
        """What the hooks add to each side at ``t_s`` (N)."""
        return tuple(self.external_load_n[ch] + bounce_n(load_n, t_s - hung_s)
                     for ch, (hung_s, load_n) in enumerate(self._hung_at))

    def hook_loads_block(self, t_s: np.ndarray) -> tuple:
        """``hook_loads_n`` at many times, bit for bit (a float per side while
        no mass bounces, else an array)."""
        loads = []
        for ch, (hung_s, load_n) in enumerate(self._hung_at):
            bouncing = len(t_s) and t_s[-1] >= hung_s and t_s[0] < hung_s + BOUNCE_FOR_S
            loads.append(self.external_load_n[ch] + bounce_block(load_n, t_s - hung_s)
                         if bouncing else self.external_load_n[ch])
        return tuple(loads)

"""What a real distance sensor reports besides the gap: stray echoes, echoes
that travelled twice, a lone near-zero reading, a stuck value, out-of-range
readings. Each scenario chooses its rates (``SensorArtefacts``); the tidy
scenarios choose none and never touch this module's random stream.

The artefacts are applied reading by reading, in the order the sensor took
them, with a fixed number of draws per reading from their own generator, so
the output does not depend on how the station's clock is advanced and adding
an artefact never moves the draws of the sensor's noise or missed echoes.

Rates (per distance reading):

- ``stray_share``: share of readings that are stray echoes, a value anywhere in
  100-2000 mm (the rack, the floor behind, the legs); they come alone (50 %)
  or in bursts of 2 (30 %) or 3 (20 %), 1.7 readings on average.
- ``multipath_rate``: share of readings near twice the gap (+-10 mm): the
  echo went bar -> chest -> bar -> chest -> bar.
- ``zero_rate``: share of lone readings of 0-11 mm (a sleeve, a hand).
- ``stuck_rate``: chance per reading that the sensor repeats its last value
  for the next 2-5 readings (this one included).
- ``out_of_range_rate`` (time-of-flight): share of out-of-range readings at
  1 m; it scales with the square of the distance (the return signal falls
  with it). They are sent as ``out_of_range_mm``: -1, as the protocol says,
  or 8190, what a VL53L0X/VL53L1X itself returns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from ...protocol.sentences import NO_ECHO_MM

STRAY_MIN_MM = 100
STRAY_MAX_MM = 2000
BURST_CUMULATIVE = (0.5, 0.8, 1.0)    # alone, 2, 3 in a row
MEAN_BURST = 1 * 0.5 + 2 * 0.3 + 3 * 0.2
STUCK_MIN, STUCK_MAX = 2, 5
ZERO_MAX_MM = 12
MULTIPATH_SPREAD_MM = 10.0
OUT_OF_RANGE_REF_MM = 1000.0
TOF_RAW_OUT_OF_RANGE_MM = 8190
DRAWS_PER_READING = 4                 # event, value, length, out of range
MAX_REPORTED_MM = 4000


@dataclass(frozen=True)
class SensorArtefacts:
    stray_share: float = 0.0
    multipath_rate: float = 0.0
    zero_rate: float = 0.0
    stuck_rate: float = 0.0
    out_of_range_rate: float = 0.0
    out_of_range_mm: int = NO_ECHO_MM

    def __post_init__(self) -> None:
        if self.out_of_range_mm not in (NO_ECHO_MM, TOF_RAW_OUT_OF_RANGE_MM):
            raise ValueError(f"out_of_range_mm {self.out_of_range_mm}: -1 or 8190")
        starts = self.stray_share / MEAN_BURST + self.multipath_rate + self.zero_rate + self.stuck_rate
        if not 0.0 <= starts < 1.0 or self.out_of_range_rate < 0:
            raise ValueError("artefact rates must be >= 0 and add up to less than 1")


class ArtefactStream:
    """Applies ``SensorArtefacts`` to successive readings; keeps a tally
    (``counts``) and, per reading index, what was done (``events``)."""

    def __init__(self, config: SensorArtefacts, rng: np.random.Generator):
        self.config = config
        self.rng = rng
        c = config
        stray_start = c.stray_share / MEAN_BURST
        self._edges = np.cumsum([stray_start, c.multipath_rate, c.zero_rate, c.stuck_rate]).tolist()
        self._burst_left = 0
        self._stuck_left = 0
        self._last_mm: int | None = None
        self.readings = 0
        self.counts: Counter[str] = Counter()
        self.events: list[tuple[int, str, int]] = []   # (reading index, kind, value sent)

    def apply(self, gaps_mm: np.ndarray, true_gap_mm: np.ndarray) -> np.ndarray:
        """The readings as sent, given the sensor's noisy readings (NO_ECHO_MM
        when missed) and the noise-free gap at each."""
        n = len(gaps_mm)
        draws = self.rng.random((n, DRAWS_PER_READING))
        out = np.array(gaps_mm, np.int64, copy=True)
        c = self.config
        oor_p = c.out_of_range_rate * (np.asarray(true_gap_mm, float) / OUT_OF_RANGE_REF_MM) ** 2
        for i, (u_event, u_value, u_length, u_range) in enumerate(draws.tolist()):
            value, kind = self._one(int(out[i]), u_event, u_value, u_length, u_range < oor_p[i])
            if kind:
                self.counts[kind] += 1
                self.events.append((self.readings + i, kind, value))
            out[i] = value
            if value not in (NO_ECHO_MM, c.out_of_range_mm):
                self._last_mm = value
        self.readings += n
        return out

    def _one(self, gap: int, u_event: float, u_value: float, u_length: float,
             out_of_range: bool) -> tuple[int, str]:
        c = self.config
        if self._burst_left > 0:
            self._burst_left -= 1
            return _stray(u_value), "stray"
        if self._stuck_left > 0:
            self._stuck_left -= 1
            return self._last_mm, "stuck"
        if out_of_range or gap == NO_ECHO_MM:
            kind = "out_of_range" if out_of_range else ""
            return c.out_of_range_mm, kind
        e = self._edges
        if u_event < e[0]:
            self._burst_left = next(k for k, p in enumerate(BURST_CUMULATIVE) if u_length < p)
            return _stray(u_value), "stray"
        if u_event < e[1]:
            value = round(2 * gap + (2 * u_value - 1) * MULTIPATH_SPREAD_MM)
            return int(min(MAX_REPORTED_MM, max(0, value))), "multipath"
        if u_event < e[2]:
            return int(u_value * ZERO_MAX_MM), "zero"
        if u_event < e[3] and self._last_mm is not None:
            self._stuck_left = STUCK_MIN - 1 + int(u_length * (STUCK_MAX - STUCK_MIN + 1))
            return self._last_mm, "stuck"
        return gap, ""


def _stray(u: float) -> int:
    return STRAY_MIN_MM + int(u * (STRAY_MAX_MM - STRAY_MIN_MM + 1))

"""Which distance readings are the chest: a physical speed gate.

A distance sensor under a bar returns wrong readings now and then: an
HC-SR04 hears the rack, the floor behind the athlete, the legs, or an echo
that travelled twice (about twice the true gap); a sleeve or a hand passes
in front (near zero); a time-of-flight part reports its out-of-range code
(8190/8191) instead of -1. None of these may make or break a rep.

The chest cannot move faster than ``GATE_SPEED_MM_S`` (a touch-and-go rep at
two reps a second peaks near 3.5 m/s), so a reading further from the last
accepted one than that speed allows, plus ``GATE_SLACK_MM`` for noise, is
set aside. The allowance grows with the time since the last accepted
reading, so a genuine jump after a missed echo or a stuck stretch is taken
once enough time has passed to explain it. A run of set-aside readings that
agree with each other and outlasts ``MAX_BURST`` readings is the world
really changing (the athlete got off, a leg under the sensor): it is taken
from then on. Bursts of up to ``MAX_BURST`` wrong readings are dropped.

What the gate cannot see: a wrong reading close to the true gap (within the
speed allowance, ~240 mm at 20 Hz). The rep and contact rules therefore
confirm every decision with two consecutive readings, so a lone reading
that slipped through decides nothing (reps.py, contact.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

GATE_SPEED_MM_S = 4000.0
GATE_SLACK_MM = 40.0
MAX_BURST = 3
MAX_VALID_GAP_MM = 4000     # readings above (a ToF out-of-range code, 8190) are no reading


def is_reading(gap_mm: float) -> bool:
    """A real distance: not a missed echo (-1) nor an out-of-range code."""
    return 0 <= gap_mm <= MAX_VALID_GAP_MM


@dataclass
class GapGate:
    speed_mm_s: float = GATE_SPEED_MM_S
    slack_mm: float = GATE_SLACK_MM
    max_burst: int = MAX_BURST
    last: tuple[int, float] | None = None             # the last accepted (t_us, gap_mm)
    _held: list[tuple[int, float]] = field(default_factory=list)   # set aside since

    def _fits(self, a: tuple[int, float], t_us: int, gap_mm: float) -> bool:
        return abs(gap_mm - a[1]) <= self.speed_mm_s * (t_us - a[0]) / 1e6 + self.slack_mm

    def accept(self, t_us: int, gap_mm: float) -> bool:
        """One real reading (``is_reading``); True if it is the chest."""
        if self.last is None or self._fits(self.last, t_us, gap_mm):
            self.last, self._held = (t_us, gap_mm), []
            return True
        self._held.append((t_us, gap_mm))
        held = self._held
        if len(held) > self.max_burst and all(
                self._fits(held[i - 1], *held[i]) for i in range(len(held) - self.max_burst, len(held))):
            self.last, self._held = (t_us, gap_mm), []
            return True
        if len(held) > 4 * self.max_burst:
            del held[0]
        return False

    def reset(self) -> None:
        """After a stream gap: nothing before it vouches for what comes next."""
        self.last, self._held = None, []

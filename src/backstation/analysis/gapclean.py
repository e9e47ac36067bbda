"""Which distance readings are the chest: a physical speed gate.

A distance sensor under a bar returns wrong readings now and then: an
HC-SR04 hears the rack, the floor behind the athlete, the legs, or an echo
that travelled twice (about twice the true gap); a sleeve or a hand passes
in front (near zero); a time-of-flight part reports its out-of-range code
(8190/8191) instead of -1. None of these may make or break a rep.

The chest cannot move faster than ``GATE_SPEED_MM_S`` (a brisk rep peaks
near 2 m/s), so a reading further from the last accepted one than that
speed allows, plus ``GATE_SLACK_MM`` for noise, is held back and decided by
what follows. A reading that continues the held ones (fits the last held
one, and better than the last accepted one) joins them; one that does not, but fits the last accepted one (the
allowance grows with the time between them: the chest may have moved
meanwhile), shows the held readings were wrong, and they are dropped: bursts of wrong
readings, alike or not, are removed whatever their length up to
``MAX_HELD``. If the held readings agree with each other for more than
``MAX_HELD`` readings, the world really changed (the athlete got off, a leg
under the sensor) and they are all taken. A reading is therefore decided
at most ``MAX_HELD`` readings late (250 ms at 20 Hz); the analysis waits for
the decision, so the result does not depend on how the stream is cut.

What the gate cannot see: a wrong reading close to the true gap (within the
speed allowance, ~240 mm at 20 Hz). The rep and contact rules therefore
confirm every decision with two consecutive readings, so a lone reading
that slipped through decides nothing (reps.py, contact.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

GATE_SPEED_MM_S = 3000.0
GATE_SLACK_MM = 40.0
MAX_HELD = 5
MAX_VALID_GAP_MM = 4000     # readings above (a ToF out-of-range code, 8190) are no reading
NO_READING_MM = -1


def is_reading(gap_mm: float) -> bool:
    """A real distance: not a missed echo (-1) nor an out-of-range code."""
    return 0 <= gap_mm <= MAX_VALID_GAP_MM


class GapGate:
    """Readings in, in time order; decided readings out, in the same order:
    ``(index, accepted)`` per reading pushed (a missed echo is never accepted)."""

    def __init__(self, speed_mm_s: float = GATE_SPEED_MM_S, slack_mm: float = GATE_SLACK_MM,
                 max_held: int = MAX_HELD):
        self.speed_mm_s, self.slack_mm, self.max_held = speed_mm_s, slack_mm, max_held
        self.last: tuple[int, float] | None = None        # the last accepted (t_us, gap_mm)
        self._queue: list[list] = []                      # [index, t_us, gap_mm, verdict|None]
        self._held: list[list] = []                       # queue entries held back
        self._pushed = 0

    def _fits(self, a: tuple[int, float], t_us: int, gap_mm: float) -> bool:
        return abs(gap_mm - a[1]) <= self.speed_mm_s * (t_us - a[0]) / 1e6 + self.slack_mm

    def _miss(self, a: tuple[int, float], t_us: int, gap_mm: float) -> float:
        """How far ``gap_mm`` is from ``a`` as a share of what the speed allows."""
        return abs(gap_mm - a[1]) / (self.speed_mm_s * (t_us - a[0]) / 1e6 + self.slack_mm)

    def _continues_held(self, t_us: int, gap_mm: float) -> bool:
        """The reading fits the last held one, and better than the last
        accepted one (which may fit too, the allowance having grown)."""
        held = (self._held[-1][1], self._held[-1][2])
        miss = self._miss(held, t_us, gap_mm)
        return miss <= 1.0 and (self.last is None or miss <= self._miss(self.last, t_us, gap_mm))

    def push(self, t_us: int, gap_mm: float) -> list[tuple[int, bool]]:
        entry = [self._pushed, t_us, gap_mm, None]
        self._pushed += 1
        self._queue.append(entry)
        if not is_reading(gap_mm):
            entry[3] = False
        elif self._held and self._continues_held(t_us, gap_mm):
            self._held.append(entry)
            if len(self._held) > self.max_held:
                self.last = (t_us, gap_mm)
                self._settle(True)
        elif self.last is None or self._fits(self.last, t_us, gap_mm):
            self._settle(False)
            entry[3], self.last = True, (t_us, gap_mm)
        else:
            self._settle(False)
            self._held = [entry]
        return self._decided()

    def _settle(self, verdict: bool) -> None:
        for entry in self._held:
            entry[3] = verdict
        self._held = []

    def _decided(self) -> list[tuple[int, bool]]:
        out = []
        while self._queue and self._queue[0][3] is not None:
            entry = self._queue.pop(0)
            out.append((entry[0], entry[3]))
        return out

    def flush(self) -> list[tuple[int, bool]]:
        """End of the data: what is still held was never confirmed."""
        self._settle(False)
        return self._decided()

"""Which distance readings are the chest: a motion gate.

A distance sensor under a bar returns wrong readings now and then: an
HC-SR04 hears the rack, the floor behind the athlete, the legs, or an echo
that travelled twice (about twice the true gap); a sleeve or a hand passes
in front (near zero); a time-of-flight part reports its out-of-range code
(8190/8191) instead of -1. None of these may make or break a rep.

The chest moves like a body: its speed stays under ``MAX_SPEED_MM_S`` and
its acceleration under ``MAX_ACCEL_MM_S2`` (a touch-and-go rep at two reps a
second reaches ~40 m/s² at its turns). Each reading is compared with where
the last two accepted readings say the chest should be now (their speed
carried forward); a reading further off than the acceleration and the
sensor's noise can explain is *held* and decided by what follows:

- a reading that continues the held ones (fits the last held one, by speed,
  better than it fits the accepted trace) joins them;
- one that fits the accepted trace instead shows the held readings were
  wrong: they are dropped. Bursts of wrong readings, alike or not, are
  removed up to ``MAX_HELD`` long;
- held readings that agree with each other for more than ``MAX_HELD``
  readings are the world changing (the athlete got off, a leg under the
  sensor): they are all taken. Not if the latest ``MAX_HELD`` of them are
  one value: a real surface jitters by a millimetre or more, and a sensor
  repeating itself (stuck, perhaps after a stray) does not; such a run is
  decided when it has lasted ``STUCK_US``;
- no held run waits longer than ``STUCK_US``: at the first reading (or
  missed echo) after that, more than ``MAX_HELD`` readings that agree are
  taken, fewer dropped;
- once ``MIN_CHAIN`` held readings agree, they are a rival account: a
  reading that fits neither is a stray beside both, and it takes two
  readings that fit the accepted trace (not one) to drop the held ones
  (those two are dropped as well: after a stretch held back the trace's
  allowance is wide, and the readings after them decide).

A reading is therefore decided at most ``MAX_HELD`` readings late (250 ms at
20 Hz), or, in a run of one value, at the first reading ``STUCK_US`` after
the run began; the analysis waits for the decision, so the result does not depend
on how the stream is cut. After a missed echo the allowance grows with the
time since the last accepted reading, so the chest may have moved.

What the gate cannot see: a wrong reading close to where the chest is (within
~100 mm at 20 Hz, less at higher rates). The rep and contact rules confirm
every decision with two consecutive readings, so a lone reading that slipped
through decides nothing (reps.py, contact.py).
"""

from __future__ import annotations

import numpy as np

from ..samples import DistanceBlock

MAX_SPEED_MM_S = 4000.0      # carried-forward speed is clamped to this
MAX_ACCEL_MM_S2 = 50_000.0   # what the prediction may miss by: 0.5 a dt^2 (62 mm at 20 Hz)
NOISE_MM = 20.0              # sensor noise and quantisation, per reading
MAX_ACCEL_SLACK_MM = 250.0   # ... at most (after a long stretch the speed bound takes over)
MAX_HELD = 5
STUCK_US = 1_000_000         # held readings all of one value: the world changing only after this long
MIN_CHAIN = 3                # held readings that agree: a rival account of the chest
MAX_VALID_GAP_MM = 4000      # readings above (a ToF out-of-range code, 8190) are no reading
NO_READING_MM = -1           # the sensor saw nothing (a missed echo, out of range)
SET_ASIDE_MM = -2            # a reading the gate found was not the chest


def is_reading(gap_mm):
    """A real distance: not a missed echo (-1) nor an out-of-range code
    (a number, or a numpy array of them)."""
    return (0 <= gap_mm) & (gap_mm <= MAX_VALID_GAP_MM)


class GapGate:
    """Readings in, in time order; decided readings out, in the same order:
    ``(index, accepted)`` per reading pushed (a missed echo is never accepted)."""

    def __init__(self, max_held: int = MAX_HELD):
        self.max_held = max_held
        self._accepted: list[tuple[int, float]] = []      # the last two accepted (t_us, gap_mm)
        self._queue: list[list] = []                      # [index, t_us, gap_mm, verdict|None]
        self._held: list[list] = []                       # queue entries held back
        self._rival: list[list] = []                      # readings fitting the trace meanwhile
        self._pushed = 0

    # -- how far a reading is from what is expected, as a share of what may be
    def _miss_trace(self, t_us: int, gap_mm: float) -> float:
        """From the accepted trace: its last reading carried forward at its speed."""
        (t1, g1) = self._accepted[-1]
        dt = (t_us - t1) / 1e6
        speed = 0.0
        noise = 2 * NOISE_MM
        if len(self._accepted) == 2:
            (t0, g0) = self._accepted[0]
            span = (t1 - t0) / 1e6
            if 0 < span <= 0.25:
                speed = max(-MAX_SPEED_MM_S, min(MAX_SPEED_MM_S, (g1 - g0) / span))
                noise += 2 * NOISE_MM * dt / span          # the speed's own uncertainty
            else:
                noise += MAX_SPEED_MM_S * dt               # no speed known: any within the limit
        else:
            noise += MAX_SPEED_MM_S * dt
        expected = g1 + speed * dt
        accel = min(MAX_ACCEL_SLACK_MM, 0.5 * MAX_ACCEL_MM_S2 * dt * dt)
        return abs(gap_mm - expected) / (noise + accel)

    @staticmethod
    def _miss_step(a_t_us: int, a_mm: float, t_us: int, gap_mm: float) -> float:
        """From one reading, by speed alone."""
        dt = (t_us - a_t_us) / 1e6
        return abs(gap_mm - a_mm) / (2 * NOISE_MM + MAX_SPEED_MM_S * dt)

    def push(self, t_us: int, gap_mm: float) -> list[tuple[int, bool]]:
        entry = [self._pushed, t_us, gap_mm, None]
        self._pushed += 1
        self._queue.append(entry)
        if self._held and t_us - self._held[0][1] >= STUCK_US:
            # no held run waits longer for its decision (missed echoes or
            # strays may have followed it): more than MAX_HELD readings that
            # agree are the world changing, fewer were never confirmed
            self._settle(len(self._held) > self.max_held)
        if not is_reading(gap_mm):
            entry[3] = False
            return self._decided()
        trace = self._miss_trace(t_us, gap_mm) if self._accepted else 0.0
        held = self._held
        if held:
            step = self._miss_step(held[-1][1], held[-1][2], t_us, gap_mm)
            if step <= 1.0 and step <= trace:          # it continues the held readings
                held.append(entry)
                self._reject(self._rival)
                if len(held) > self.max_held and len({e[2] for e in held[-self.max_held:]}) > 1:
                    # the world changed (a sensor repeating itself, stuck, is
                    # not taken for that before STUCK_US: a real surface
                    # jitters by a millimetre or more within any MAX_HELD
                    # of its readings)
                    self._settle(True)
                return self._decided()
            if len(held) >= MIN_CHAIN:
                # Held readings that agree with each other are a rival account
                # of where the chest is: two readings that fit the accepted
                # trace instead settle it against the held ones; one that fits
                # neither is a stray beside both. The two are dropped too: the
                # trace's allowance has grown over the stretch held back, so
                # fitting it says little, and the next readings decide.
                if trace <= 1.0:
                    self._rival.append(entry)
                    if len(self._rival) >= 2:
                        self._settle(False)
                else:
                    entry[3] = False
                return self._decided()
        if trace <= 1.0:
            self._settle(False)
            self._accept(entry)
        else:
            self._settle(False)
            self._held = [entry]
        return self._decided()

    def _reject(self, entries: list[list]) -> None:
        for entry in entries:
            entry[3] = False
        entries.clear()

    def _accept(self, entry: list) -> None:
        entry[3] = True
        self._accepted = (self._accepted + [(entry[1], entry[2])])[-2:]

    def _settle(self, verdict: bool) -> None:
        """Decide the held readings (and drop any rival readings)."""
        for entry in self._held:
            if verdict:
                self._accept(entry)
            else:
                entry[3] = False
        self._held = []
        self._reject(self._rival)

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


class DistanceGate:
    """``GapGate`` over blocks: the readings it has decided on come out in
    order, a reading set aside as SET_ASIDE_MM and no reading as
    NO_READING_MM; the rest wait inside for its decision."""

    def __init__(self) -> None:
        self._gate = GapGate()
        self._waiting: list[DistanceBlock] = []

    def push(self, block: DistanceBlock) -> DistanceBlock:
        self._waiting.append(block)
        verdicts = []
        for t, g in zip(block.t_device_us.tolist(), block.gap_mm.tolist()):
            verdicts += [v for _, v in self._gate.push(t, g)]
        return self._decided(verdicts)

    def flush(self) -> DistanceBlock:
        """End of the data: what is still held was never confirmed."""
        return self._decided([v for _, v in self._gate.flush()])

    def _decided(self, verdicts: list[bool]) -> DistanceBlock:
        pending = DistanceBlock.concat(self._waiting)
        n = len(verdicts)
        self._waiting = [DistanceBlock(pending.seq[n:], pending.t_device_us[n:],
                                       pending.gap_mm[n:], pending.t_host_s[n:])] \
            if n < len(pending) else []
        gap = pending.gap_mm[:n]
        gap = np.where(verdicts, gap, np.where(is_reading(gap), SET_ASIDE_MM, NO_READING_MM))
        return DistanceBlock(pending.seq[:n], pending.t_device_us[:n], gap.astype(np.int32),
                             pending.t_host_s[:n])

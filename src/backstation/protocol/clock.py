"""Device time and sequence bookkeeping: unwrap the 32-bit microsecond clock
and count the samples a sequence gap says were lost."""

from __future__ import annotations

from dataclasses import dataclass

from .sentences import SEQ_MODULO, T_US_MODULO

_HALF_T = T_US_MODULO // 2


@dataclass
class ClockUnwrapper:
    """Turns the device's wrapping ``micros()`` into a monotonic 64-bit count.

    The clock wraps every 71.6 minutes; a step backwards by more than half
    the range is a wrap, a smaller one is a reordering we leave alone.
    """

    _wraps: int = 0
    _last: int | None = None

    def reset(self) -> None:
        self._wraps = 0
        self._last = None

    def unwrap(self, t_us: int) -> int:
        last = self._last
        if last is not None and t_us < last and last - t_us > _HALF_T:
            self._wraps += 1
        elif last is not None and t_us > last and t_us - last > _HALF_T and self._wraps:
            # A late sample from before the wrap we just counted.
            return (self._wraps - 1) * T_US_MODULO + t_us
        self._last = t_us
        return self._wraps * T_US_MODULO + t_us


@dataclass
class SequenceTracker:
    """Counts the samples lost on the way from one sentence type's ``seq``.

    A jump of ``n`` (mod 65536) means ``n - 1`` sentences went missing. When
    the device time says the gap was longer than one whole sequence cycle,
    ``expected_step_us`` (the nominal sample period) corrects the count.
    """

    expected_step_us: float | None = None
    lost: int = 0
    received: int = 0
    _last_seq: int | None = None
    _last_t_us: int | None = None

    def reset(self) -> None:
        """Start over after a device reboot; the totals are kept."""
        self._last_seq = None
        self._last_t_us = None

    def update(self, seq: int, t_device_us: int) -> int:
        """Record one sample; return how many were lost just before it."""
        self.received += 1
        missing = 0
        if self._last_seq is not None:
            missing = (seq - self._last_seq - 1) % SEQ_MODULO
            if missing == SEQ_MODULO - 1:
                missing = 0  # a repeated seq: a duplicate, not a loss of 65535
            elif self.expected_step_us and self._last_t_us is not None:
                elapsed = t_device_us - self._last_t_us
                cycles = round((elapsed / self.expected_step_us - 1 - missing) / SEQ_MODULO)
                if cycles > 0:
                    missing += cycles * SEQ_MODULO
        self._last_seq = seq
        self._last_t_us = t_device_us
        self.lost += missing
        return missing

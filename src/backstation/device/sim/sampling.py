"""Bulk sample generation for the simulated station: its sensors' clocks and
random draws for a whole window at once, and the sentences as bytes.

The per-sample event loop this replaces drew, for every HX711 sample, five
standard normals in a fixed order (read jitter for the next sample, then
mechanical and ADC noise of channel 0, then of channel 1). ``NormalRows``
draws them ahead in blocks from the same generator, which gives the same
numbers in the same order (the generator is the ADC's alone), so the bytes
are those the loop wrote.

Merging the sources: the loop always ran the earliest pending event (ties:
HX711, then HC-SR04, then STAT). That is a merge of each source's sequence
by its head, which equals a stable sort by each source's running maximum of
time; with times that only rise (every real case) it is a sort by time.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

import numpy as np

from .hardware import HX711_JITTER_S

ADC_DRAWS = 5          # jitter, mech 0, adc 0, mech 1, adc 1
BLOCK_ROWS = 4096


class NormalRows:
    """Standard normals from ``rng`` in rows of ``width``, drawn ahead in blocks."""

    def __init__(self, rng: np.random.Generator, width: int = ADC_DRAWS):
        self.rng = rng
        self.width = width
        self._rows = np.empty((0, width))
        self._used = 0

    def peek(self, count: int) -> np.ndarray:
        """The next ``count`` rows, not consumed."""
        have = len(self._rows) - self._used
        if have < count:
            more = max(count - have, BLOCK_ROWS)
            fresh = self.rng.standard_normal(more * self.width).reshape(more, self.width)
            self._rows = np.concatenate([self._rows[self._used:], fresh])
            self._used = 0
        return self._rows[self._used:self._used + count]

    def consume(self, count: int) -> None:
        self._used += count


@dataclass
class AdcClock:
    """When the HX711 samples: a fixed period from ``base_s`` plus read jitter."""

    next_s: float
    base_s: float
    period_s: float

    def take(self, draws: NormalRows, stop_s: float, inclusive: bool,
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Samples due up to ``stop_s``: their times, running-max times and
        draw rows (consumed)."""
        span_s = stop_s - self.next_s
        n = 1 if not span_s >= 0 else int(min(span_s / self.period_s, 1 << 20)) + 2
        while True:
            rows = draws.peek(n)
            steps = np.full(n + 1, self.period_s)
            steps[0] = self.base_s
            bases = np.cumsum(steps)   # sequential sums, as base += period did
            times = np.empty(n + 1)
            times[0] = self.next_s
            times[1:] = bases[1:] + HX711_JITTER_S * rows[:, 0]
            keys = np.maximum.accumulate(times)
            m = int(np.searchsorted(keys, stop_s, side="right" if inclusive else "left"))
            if m <= n:
                break
            n = min(2 * n, n + (1 << 22))
        draws.consume(m)
        self.next_s = float(times[m])
        self.base_s = float(bases[m])
        return times[:m], keys[:m], rows[:m]


def _frames(bodies) -> list[bytes]:
    crc = binascii.crc_hqx
    return [b"$%s*%04X\r\n" % (body, crc(body, 0xFFFF)) for body in bodies]


def force_lines(seq0: int, t_us: np.ndarray, raws: np.ndarray) -> list[bytes]:
    seqs = ((seq0 + np.arange(len(t_us))) % 65536).tolist()
    rows = zip(seqs, t_us.tolist(), raws[:, 0].tolist(), raws[:, 1].tolist())
    return _frames(b"F,%d,%d,%d,%d" % row for row in rows)


def distance_lines(seq0: int, t_us: np.ndarray, gaps_mm: np.ndarray) -> list[bytes]:
    seqs = ((seq0 + np.arange(len(t_us))) % 65536).tolist()
    return _frames(b"D,%d,%d,%d" % row for row in zip(seqs, t_us.tolist(), gaps_mm.tolist()))

"""Line faults for the noisy-line scenario, with an exact tally of what a
correct host must count.

Faults touch only streamed sentences (F, D, STAT) and are spaced so that two
never touch the same or adjacent sentences. The expected counters follow
from the framing rules (docs/protocol.md), never from running a decoder:

- garbage (1-20 bytes, no ``$``/``\\r``/``\\n``, not all blank) between two
  sentences, with or without a ``\\n`` after it: malformed + 1;
- one body byte replaced: crc_errors + 1 (CRC-16 catches any single-byte change);
- one body byte deleted (checked to change the CRC): crc_errors + 1;
- the ``*``, one CRC digit or the ``$`` deleted: malformed + 1.

A damaged F or D is one lost sample of its type, but a host only sees it as a
``seq`` gap once a later intact sample of that type arrives in the same boot:
the tally counts it then, so it stays exact up to any STOP or unplug.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np

from ...protocol.crc import crc16_ccitt_false

STREAMED = ("F", "D", "STAT")
MIN_SPACING = 3   # sentences between two faulted ones: never the same or adjacent
_FORBIDDEN_GARBAGE = frozenset(b"$\r\n\x00")
_FORBIDDEN_CORRUPT = frozenset(b"$*\r\n\x00")
_BLANK = frozenset(b" \t\r\n\x00")


@dataclass(frozen=True)
class Fault:
    t_s: float
    action: str        # garbage, corrupt, drop_body, drop_star, drop_crc, drop_dollar
    sentence: str      # F, D or STAT
    counts_as: str     # crc_errors or malformed
    lost: bool         # the sample itself is gone


@dataclass
class ExpectedCounters:
    crc_errors: int = 0
    malformed: int = 0
    lost_force: int = 0
    lost_distance: int = 0


@dataclass
class FaultInjector:
    rng: np.random.Generator
    rate_per_s: float = 0.0
    allowed: list[tuple[float, float]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    expected: ExpectedCounters = field(default_factory=ExpectedCounters)
    sent: dict[str, int] = field(default_factory=dict)
    _next_t_s: float = 0.0
    _index: int = 0
    _last_fault_index: int = -MIN_SPACING
    _prev_kind: str = ""
    _pending_lost: dict[str, int] = field(default_factory=lambda: {"F": 0, "D": 0})

    def reboot(self) -> None:
        """Samples damaged before a reboot never show as a seq gap."""
        self._pending_lost = {"F": 0, "D": 0}
        self._prev_kind = ""

    def emit(self, line: bytes, kind: str, t_s: float) -> bytes:
        self._index += 1
        prev, self._prev_kind = self._prev_kind, kind
        if self._should_fault(kind, prev, t_s):
            self._last_fault_index = self._index
            self._next_t_s = t_s + float(self.rng.exponential(1.0 / self.rate_per_s))
            return self._inject(line, kind, t_s)
        self._intact(kind)
        return line

    def emit_many(self, lines: list[bytes], kinds: list[str], times_s) -> bytes:
        """``emit`` for consecutive streamed sentences; without a fault rate
        only the bookkeeping, in bulk."""
        if self.rate_per_s > 0:
            return b"".join([self.emit(line, kind, float(t_s))
                             for line, kind, t_s in zip(lines, kinds, times_s)])
        if not lines:
            return b""
        self._index += len(lines)
        self._prev_kind = kinds[-1]
        for kind, count in Counter(kinds).items():
            self.sent[kind] = self.sent.get(kind, 0) + count
            if kind in self._pending_lost:
                lost = self._pending_lost[kind]
                self._pending_lost[kind] = 0
                if kind == "F":
                    self.expected.lost_force += lost
                else:
                    self.expected.lost_distance += lost
        return b"".join(lines)

    def _should_fault(self, kind: str, prev: str, t_s: float) -> bool:
        return (self.rate_per_s > 0 and kind in STREAMED and prev in STREAMED
                and t_s >= self._next_t_s
                and self._index - self._last_fault_index >= MIN_SPACING
                and any(a <= t_s < b for a, b in self.allowed))

    def _intact(self, kind: str) -> None:
        self.sent[kind] = self.sent.get(kind, 0) + 1
        if kind == "F":
            self.expected.lost_force += self._pending_lost["F"]
            self._pending_lost["F"] = 0
        elif kind == "D":
            self.expected.lost_distance += self._pending_lost["D"]
            self._pending_lost["D"] = 0

    def _record(self, t_s: float, action: str, kind: str, counts_as: str, lost: bool) -> None:
        self.faults.append(Fault(round(t_s, 6), action, kind, counts_as, lost))
        setattr(self.expected, counts_as, getattr(self.expected, counts_as) + 1)
        if lost and kind in self._pending_lost:
            self._pending_lost[kind] += 1

    def _inject(self, line: bytes, kind: str, t_s: float) -> bytes:
        action = str(self.rng.choice(
            ["garbage", "corrupt", "drop_body", "drop_star", "drop_crc", "drop_dollar"],
            p=[0.3, 0.25, 0.15, 0.1, 0.1, 0.1]))
        star = line.index(b"*")
        body = line[1:star]
        if action == "garbage":
            self._record(t_s, action, kind, "malformed", False)
            self._intact(kind)
            return self._garbage() + line
        lost = kind in ("F", "D")
        if action == "corrupt":
            pos = 1 + int(self.rng.integers(len(body)))
            old = line[pos]
            choices = [b for b in range(256) if b not in _FORBIDDEN_CORRUPT and b != old]
            new = int(self.rng.choice(choices))
            self._record(t_s, action, kind, "crc_errors", lost)
            return line[:pos] + bytes([new]) + line[pos + 1:]
        if action == "drop_body":
            crc = crc16_ccitt_false(body)
            for pos in self.rng.permutation(len(body)):
                shorter = body[:pos] + body[pos + 1:]
                if crc16_ccitt_false(shorter) != crc:
                    self._record(t_s, action, kind, "crc_errors", lost)
                    return b"$" + shorter + line[star:]
            action = "drop_star"   # no byte changes the CRC: never seen, but stay exact
        cut = {"drop_star": star, "drop_dollar": 0,
               "drop_crc": star + 1 + int(self.rng.integers(4))}[action]
        self._record(t_s, action, kind, "malformed", lost)
        return line[:cut] + line[cut + 1:]

    def _garbage(self) -> bytes:
        while True:
            n = int(self.rng.integers(1, 21))
            raw = bytes(int(b) for b in self.rng.integers(1, 256, size=n)
                        if int(b) not in _FORBIDDEN_GARBAGE)
            if raw and any(b not in _BLANK for b in raw):
                return raw + (b"\n" if self.rng.random() < 0.5 else b"")

    def summary(self) -> dict:
        return {"expected": asdict(self.expected), "sent": dict(self.sent),
                "faults": [asdict(f) for f in self.faults]}

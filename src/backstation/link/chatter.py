"""Bounding what a chatty station can make the host do.

A station may send the same unsolicited sentence thousands of times (an ERR
storm, a HELLO storm from a brown-out loop). Each kind of message is let
through at once the first time, then at most once per ``interval_s``; the
ones held back are counted and the next message that goes through says how
many there were. ``flush()`` hands over what is still held back: the owner
asks for it before its last drain (``DeviceLink.report_held_back``), and
``close()`` for whatever came after. The reader thread and the owner's thread
both call in, so a lock guards the counts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

CHATTER_INTERVAL_S = 5.0


@dataclass
class ChatterLimiter:
    interval_s: float = CHATTER_INTERVAL_S
    _last_s: dict[str, float] = field(default_factory=dict)
    _held: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def allow(self, key: str, now_s: float) -> int | None:
        """``None`` if this one is held back; otherwise how many were held
        back before it (to be said with it)."""
        with self._lock:
            last = self._last_s.get(key)
            if last is not None and now_s - last < self.interval_s:
                self._held[key] = self._held.get(key, 0) + 1
                return None
            self._last_s[key] = now_s
            return self._held.pop(key, 0)

    def flush(self) -> dict[str, int]:
        """What was held back since each kind last went through; forgotten after."""
        with self._lock:
            held, self._held = self._held, {}
        return held


def with_held(message: str, held: int) -> str:
    return message if not held else f"{message} ({held} more like it not shown)"

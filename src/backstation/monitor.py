"""A live text readout of the stream, for terminals: newest force per side,
gap and stream health (rates, lost samples, CRC errors, samples too late to
judge), redrawn twice a second on one line."""

from __future__ import annotations

import math
import time
from typing import TextIO

from .analysis import RepCompleted, SetEnded, SetStarted
from .vocabulary import METRICS, metric_name, verdict_text

REDRAW_INTERVAL_S = 0.5


def number(value: float | None, spec: str, width: int = 0) -> str:
    """``value`` formatted, or dashes where it is unknown or not finite:
    the screen never shows ``nan`` or ``inf``."""
    if value is None or not math.isfinite(value):
        return "--".rjust(width)
    return format(value, spec)


class LiveReadout:
    def __init__(self, out: TextIO, clock=time.monotonic):
        self._out = out
        self._clock = clock
        self._next_s = 0.0
        self._tty = out.isatty()
        self._force_n: list[float] | None = None
        self._gap_mm: int | None = None

    def update(self, session, step) -> None:
        link = session.link
        force, distance = step.force, step.distance
        for event in step.analysis:
            self._announce(event)
        if len(force):
            # The session's calibration (device CAL, overrides, software tares), as judged.
            newest = session.calibration.newtons(force.raw[-1:], force.t_device_us[-1:])
            self._force_n = [float(n) for n in newest[0]]
        if len(distance):
            self._gap_mm = int(distance.gap_mm[-1])
        now = self._clock()
        if now < self._next_s:
            return
        self._next_s = now + REDRAW_INTERVAL_S
        self._out.write(("\r" if self._tty else "") + self._line(link, session) +
                        ("" if self._tty else "\n"))
        self._out.flush()

    def _announce(self, event) -> None:
        """Sets and reps get a line of their own, above the live line."""
        if isinstance(event, SetStarted):
            text = f"set {event.set_index} started"
        elif isinstance(event, RepCompleted):
            rep = event.rep
            text = (f"  rep {rep.index}: {verdict_text(rep.valid, rep.reason)}  "
                    + "  ".join(f"{metric_name(key).lower()} "
                                f"{number(getattr(rep, key), spec)} {METRICS[key].unit}"
                                for key, spec in (("peak_force_n", ".0f"), ("rom_mm", ".0f"),
                                                  ("top_hold_s", ".1f"))))
        elif isinstance(event, SetEnded):
            text = (f"set {event.set.index} done: {event.set.valid_reps} good, "
                    f"{event.set.no_reps} no-reps")
        else:
            return
        self._out.write(("\r\033[K" if self._tty else "") + text + "\n")
        self._next_s = 0.0

    def _line(self, link, session) -> str:
        parts = []
        if self._force_n is not None:
            sides = "  ".join(f"{name} {number(n, '7.1f', 7)} N"
                              for name, n in zip("LRXY", self._force_n))
            parts.append(f"{sides}  total {number(sum(self._force_n), '7.1f', 7)} N")
        if self._gap_mm is not None:
            parts.append("gap   --- mm" if self._gap_mm < 0 else f"gap {self._gap_mm:4d} mm")
        s, stat = link.stats, link.last_stat
        rates = f"{stat.force_hz:5.1f}/{stat.distance_hz:4.1f} Hz" if stat else "--"
        late = f"late {session.late_samples}  " if session.late_samples else ""
        parts.append(f"{rates}  lost {s.lost_samples}  crc {s.crc_errors}  {late}"
                     f"{link.state.value.lower()}")
        return " | ".join(parts)

    def finish(self) -> None:
        if self._tty:
            self._out.write("\n")
            self._out.flush()

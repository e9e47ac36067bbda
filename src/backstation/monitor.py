"""Live text for terminals, fitted to 80 columns.

``LiveReadout`` (``backstation monitor``, on stdout): newest force per side
and the gap, then stream health (rates, lost samples, CRC errors, samples too
late to judge), a status block redrawn in place twice a second on a terminal
(ANSI cursor moves) and written as plain lines otherwise; sets and reps get
lines of their own above it. ``RecordProgress`` (``backstation record``, on
stderr): one line of samples, sets, reps and faults, rewritten in place at
most four times a second, and nothing at all when stderr is not a terminal.
"""

from __future__ import annotations

import math
import os
import time
from typing import TextIO

from .analysis import RepCompleted, SetEnded, SetStarted
from .session import stream_json
from .vocabulary import METRICS, metric_name, verdict_text

REDRAW_INTERVAL_S = 0.5
PROGRESS_INTERVAL_S = 0.25
# An ssh session's terminal unless it says it is narrower: no line is longer.
MAX_COLUMNS = 80
ERASE_TO_END = "\033[J"
ERASE_LINE = "\033[K"


def columns(out: TextIO) -> int:
    """How wide a line written to ``out`` may be: 80, or less on a narrower terminal."""
    try:
        width = os.get_terminal_size(out.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return MAX_COLUMNS
    return min(MAX_COLUMNS, width) if width > 0 else MAX_COLUMNS


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, a cut line ending in '…'."""
    return text if len(text) <= width else text[:width - 1] + "…"


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
        self._width = columns(out) if self._tty else MAX_COLUMNS
        self._drawn_lines = 0           # the status block's lines on screen (a terminal)
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
        block = [fit(line, self._width) for line in self._lines(link, session)]
        if self._tty:
            self._erase_block()
            self._out.write("\n".join(block))
            self._drawn_lines = len(block)
        else:
            self._out.write("".join(line + "\n" for line in block))
        self._out.flush()

    def make_room(self) -> None:
        """Take the status block away, so another line (a message on stderr, on the
        same terminal) is not drawn into it; the next update draws it again below."""
        if self._tty and self._drawn_lines:
            self._erase_block()
            self._out.flush()
            self._next_s = 0.0

    def _erase_block(self) -> None:
        """Back to the status block's first column and clear to the screen's end."""
        if self._drawn_lines:
            up = f"\033[{self._drawn_lines - 1}A" if self._drawn_lines > 1 else ""
            self._out.write("\r" + up + ERASE_TO_END)
            self._drawn_lines = 0

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
        if self._tty:
            self._erase_block()
        self._out.write(fit(text, self._width) + "\n")
        self._next_s = 0.0

    def _lines(self, link, session) -> list[str]:
        """The status block: force and gap (once there are any), then the stream."""
        readings = []
        if self._force_n is not None:
            sides = "  ".join(f"{name} {number(n, '7.1f', 7)} N"
                              for name, n in zip("LRXY", self._force_n))
            readings.append(f"{sides}  total {number(sum(self._force_n), '7.1f', 7)} N")
        if self._gap_mm is not None:
            readings.append("gap   --- mm" if self._gap_mm < 0 else f"gap {self._gap_mm:4d} mm")
        s, stat = link.stats, link.last_stat
        rates = f"{stat.force_hz:5.1f}/{stat.distance_hz:4.1f} Hz" if stat else "--"
        late = f"late {session.late_samples}  " if session.late_samples else ""
        stream = (f"stream {rates}  lost {s.lost_samples}  crc {s.crc_errors}  {late}"
                  f"{link.state.value.lower()}")
        return ["  ".join(readings), stream] if readings else [stream]

    def finish(self) -> None:
        if self._tty and self._drawn_lines:
            self._out.write("\n")
            self._out.flush()
        self._drawn_lines = 0


class RecordProgress:
    """``record``'s progress on a terminal: samples (force + distance), sets,
    reps and no-reps, and the stream's faults (only those not zero) on one line
    rewritten in place; silent when ``out`` is not a terminal."""

    def __init__(self, out: TextIO, clock=time.monotonic):
        self._out = out
        self._clock = clock
        self.active = out.isatty()
        self._width = columns(out) if self.active else MAX_COLUMNS
        self._start_s = clock()
        self._next_s = 0.0
        self._shown = False
        self._sets = self._good = self._no_reps = 0

    def update(self, session, step) -> None:
        for event in step.analysis:
            if isinstance(event, SetStarted):
                self._sets += 1
            elif isinstance(event, RepCompleted):
                if event.rep.valid is False:
                    self._no_reps += 1
                else:
                    self._good += 1
        now = self._clock()
        if not self.active or now < self._next_s:
            return
        self._next_s = now + PROGRESS_INTERVAL_S
        self._out.write("\r" + fit(self.line(session, now), self._width) + ERASE_LINE)
        self._out.flush()
        self._shown = True

    def line(self, session, now: float) -> str:
        s = stream_json(session.link.stats, session.stalls)   # the JSON's own counters
        minutes, seconds = divmod(int(now - self._start_s), 60)
        faults = [f"{name} {s[key]}" for name, key in (
            ("lost", "lost_samples"), ("crc", "crc_errors"), ("malformed", "malformed"),
            ("reconnects", "reconnects"), ("stalls", "stalls")) if s[key]]
        return (f"recording {minutes:02d}:{seconds:02d}  samples {s['force_samples']} + "
                f"{s['distance_samples']}  sets {self._sets}  reps {self._good}  "
                f"no-reps {self._no_reps}  " + ("  ".join(faults) or "no faults"))

    def make_room(self) -> None:
        """Take the line away (before another line on the same terminal, or at the end)."""
        if self._shown:
            self._out.write("\r" + ERASE_LINE)
            self._out.flush()
            self._shown = False
            self._next_s = 0.0

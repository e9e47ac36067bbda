"""The firmware's command interpreter, run by the simulated station.

Lines are parsed with ``protocol.commands.parse_command`` exactly as the
firmware parses them. Replies (docs/design.md §3):

- ``START`` -> ``ACK,START``; ``STOP`` -> ``ACK,STOP``; ``PING`` -> ``ACK,PING``;
  ``INFO`` -> HELLO and one CAL per channel.
- ``TARE [ch]`` averages ``TARE_S`` of samples, then ``ACK,TARE[,ch]`` and the
  new CAL(s), or ``ERR,TARE,unstable`` if the load moved by more than
  ``UNSTABLE_N`` meanwhile.
- ``CAL ch grams`` averages ``CAL_S``, scale = (mean - offset) / weight; then
  ``ACK,CAL,ch`` and CAL, or ``ERR,CAL,range`` / ``ERR,CAL,unstable``.
- ``SETCAL ch offset cpn`` -> ``ACK,SETCAL,ch`` and CAL.
- ``RATE 10|80`` -> ``ACK,RATE,hz`` (``ERR,RATE,fixed`` with the pin tied low).
- While a TARE/CAL runs, TARE, CAL, SETCAL and RATE get ``ERR,<cmd>,busy``.
- Bad lines: ``ERR,<cmd>,unknown|crc|syntax|range|overlong``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...protocol.commands import MAX_COMMAND_BYTES, CommandError, parse_command
from ...protocol.sentences import ABSENT, RAW_MAX, RAW_MIN, Ack, Cal, Err
from ...units import weight_n

if TYPE_CHECKING:
    from .station import SimulatedStation

TARE_S = 0.75
CAL_S = 1.0
UNSTABLE_N = 10.0                   # peak-to-peak while averaging
CPN_RANGE = (10.0, 100_000.0)       # |counts per newton| a real load cell can give
MAX_CAL_GRAMS = 200_000
CHANNELS = 2
_WORD = re.compile(r"[A-Za-z0-9_.\-+]{1,32}\Z")


@dataclass
class _Job:
    command: str                     # TARE or CAL
    channels: tuple[int, ...]
    explicit_channel: bool
    until_s: float
    grams: float = 0.0
    samples: list[tuple[int, int]] = field(default_factory=list)


class CommandHandler:
    def __init__(self, station: "SimulatedStation"):
        self.station = station
        self.reset()

    def reset(self) -> None:
        self._rx = b""
        self._overflow = False
        self.job: _Job | None = None

    def feed(self, data: bytes) -> None:
        # A line ends at "\n" or "\r", as on the firmware ("\r\n" leaves an empty line)
        self._rx += data.replace(b"\r", b"\n")
        while b"\n" in self._rx:
            line, _, self._rx = self._rx.partition(b"\n")
            overflow, self._overflow = self._overflow, False
            if overflow:
                self._err("CMD", "overlong")
            elif line.strip(b"\r \t"):
                self._line(line)
        if len(self._rx) > MAX_COMMAND_BYTES * 2:   # the firmware's buffer is full: drop
            self._rx = b""
            self._overflow = True

    def _err(self, command: str, reason: str) -> None:
        self.station.write(Err(command if _WORD.match(command) else "CMD", reason))

    def _line(self, line: bytes) -> None:
        try:
            cmd = parse_command(line)
        except CommandError as e:
            self._err(e.command, e.reason)
            return
        try:
            getattr(self, "_cmd_" + cmd.name.lower())(cmd.args)
        except CommandError as e:
            self._err(cmd.name, e.reason)

    # ----- simple commands --------------------------------------------------
    @staticmethod
    def _no_args(name: str, args: tuple[str, ...]) -> None:
        if args:
            raise CommandError(name, "syntax")

    def _cmd_info(self, args) -> None:
        self._no_args("INFO", args)
        self.station.write_info()

    def _cmd_ping(self, args) -> None:
        self._no_args("PING", args)
        self.station.write(Ack("PING"))

    def _cmd_start(self, args) -> None:
        self._no_args("START", args)
        self.station.write(Ack("START"))
        self.station.start_streaming()

    def _cmd_stop(self, args) -> None:
        self._no_args("STOP", args)
        self.station.stop_streaming()
        self.station.write(Ack("STOP"))

    def _check_idle(self, name: str) -> None:
        if self.job is not None:
            raise CommandError(name, "busy")

    def _cmd_rate(self, args) -> None:
        if len(args) != 1:
            raise CommandError("RATE", "syntax")
        hz = _int(args[0])
        if hz not in (10, 80):
            raise CommandError("RATE", "range")
        self._check_idle("RATE")
        if hz == 80 and not self.station.scenario.rate_pin_high:
            raise CommandError("RATE", "fixed")
        self.station.set_rate(hz)
        self.station.write(Ack("RATE", (str(hz),)))

    def _cmd_setcal(self, args) -> None:
        if len(args) != 3:
            raise CommandError("SETCAL", "syntax")
        ch, offset, cpn = _channel(args[0]), _int(args[1]), _float(args[2])
        if not RAW_MIN <= offset <= RAW_MAX or not math.isfinite(cpn) or cpn == 0.0:
            raise CommandError("SETCAL", "range")
        self._check_idle("SETCAL")
        cal = Cal(ch, offset, round(cpn, 4))
        self.station.store_cal(cal)
        self.station.write(Ack("SETCAL", (str(ch),)))
        self.station.write(cal)

    # ----- commands that average samples ------------------------------------
    def _check_present(self, name: str, channels: tuple[int, ...]) -> None:
        if any(ch in self.station.absent_force for ch in channels):
            raise CommandError(name, ABSENT)   # no data will come: fail now, block nothing

    def on_absent(self, channel: int) -> None:
        """A chip gone mid-run ends the TARE/CAL that needs it."""
        job = self.job
        if job is not None and channel in job.channels:
            self.job = None
            self._err(job.command, ABSENT)

    def _cmd_tare(self, args) -> None:
        if len(args) > 1:
            raise CommandError("TARE", "syntax")
        channels = (_channel(args[0]),) if args else tuple(range(CHANNELS))
        self._check_idle("TARE")
        self._check_present("TARE", channels)
        self.job = _Job("TARE", channels, bool(args), self.station.now_s + TARE_S)

    def _cmd_cal(self, args) -> None:
        if len(args) != 2:
            raise CommandError("CAL", "syntax")
        ch, grams = _channel(args[0]), _float(args[1])
        if not 0 < grams <= MAX_CAL_GRAMS:
            raise CommandError("CAL", "range")
        self._check_idle("CAL")
        self._check_present("CAL", (ch,))
        self.job = _Job("CAL", (ch,), True, self.station.now_s + CAL_S, grams)

    def on_sample(self, raw: tuple[int, int]) -> None:
        job = self.job
        if job is None:
            return
        job.samples.append(raw)
        if self.station.now_s >= job.until_s:
            self.job = None
            self._finish(job)

    def _finish(self, job: _Job) -> None:
        cals = self.station.calibration
        for ch in job.channels:
            values = [s[ch] for s in job.samples]
            if (max(values) - min(values)) / abs(cals[ch].counts_per_newton) > UNSTABLE_N:
                self._err(job.command, "unstable")
                return
        means = {ch: sum(s[ch] for s in job.samples) / len(job.samples) for ch in job.channels}
        if job.command == "TARE":
            new = [Cal(ch, int(round(means[ch])), cals[ch].counts_per_newton) for ch in job.channels]
            detail = (str(job.channels[0]),) if job.explicit_channel else ()
        else:
            ch = job.channels[0]
            cpn = (means[ch] - cals[ch].offset_counts) / weight_n(job.grams / 1000.0)
            if not CPN_RANGE[0] <= abs(cpn) <= CPN_RANGE[1]:
                self._err("CAL", "range")
                return
            new = [Cal(ch, cals[ch].offset_counts, round(cpn, 4))]
            detail = (str(ch),)
        self.station.write(Ack(job.command, detail))
        for cal in new:
            self.station.store_cal(cal)
            self.station.write(cal)


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise CommandError("?", "syntax") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise CommandError("?", "syntax") from None


def _channel(text: str) -> int:
    ch = _int(text)
    if not 0 <= ch < CHANNELS:
        raise CommandError("?", "range")
    return ch

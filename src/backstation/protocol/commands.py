"""Host-to-device commands: formatting (host side) and parsing (device side).

Commands are plain text lines, case-insensitive, with an optional ``*CRC``
over the text before the star. The host always sends the CRC; a person typing
in a serial monitor need not. The simulated station uses ``parse_command`` so
it accepts exactly what the firmware accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

from .crc import crc_hex, crc16_ccitt_false
from .sentences import check_counts_per_newton

COMMANDS = ("INFO", "START", "STOP", "TARE", "CAL", "SETCAL", "RATE", "PING")
SUPPORTED_RATES_HZ = (10, 80)
MAX_COMMAND_BYTES = 64
# What the firmware puts in place of a command word it could not read
# (bs_command.cpp first_word): ``ERR,CMD,<reason>``.
UNREADABLE_COMMAND = "CMD"


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: tuple[str, ...] = ()

    def line(self, with_crc: bool = True) -> bytes:
        text = " ".join((self.name, *self.args)).encode("ascii")
        if with_crc:
            text += b"*" + crc_hex(text)
        return text + b"\n"


def info() -> Command:
    return Command("INFO")


def start() -> Command:
    return Command("START")


def stop() -> Command:
    return Command("STOP")


def ping() -> Command:
    return Command("PING")


def tare(channel: int | None = None) -> Command:
    return Command("TARE", () if channel is None else (str(int(channel)),))


def calibrate(channel: int, mass_grams: float) -> Command:
    return Command("CAL", (str(int(channel)), _number(mass_grams)))


def set_calibration(channel: int, offset_counts: int, counts_per_newton: float) -> Command:
    check_counts_per_newton(float(counts_per_newton))
    return Command("SETCAL", (str(int(channel)), str(int(offset_counts)),
                              _number(counts_per_newton)))


def rate(hz: int) -> Command:
    if hz not in SUPPORTED_RATES_HZ:
        raise ValueError(f"the HX711 runs at 10 or 80 SPS, not {hz}")
    return Command("RATE", (str(hz),))


def _number(value: float) -> str:
    text = f"{float(value):.4f}".rstrip("0").rstrip(".")
    return text or "0"


class CommandError(ValueError):
    """A command line the device rejects; ``reason`` is the ERR word."""

    def __init__(self, command: str, reason: str):
        super().__init__(f"{command}: {reason}")
        self.command = command
        self.reason = reason


def parse_command(line: bytes) -> Command:
    """Parse one received command line as the device does.

    Raises ``CommandError`` with the ERR reason (``crc``, ``unknown``,
    ``syntax``) for a line the device must refuse.
    """
    text = line.strip(b"\r\n \t")
    if len(text) > MAX_COMMAND_BYTES:
        raise CommandError(UNREADABLE_COMMAND, "overlong")
    star = text.rfind(b"*")
    if star >= 0:
        payload, crc_text = text[:star], text[star + 1:]
        try:
            ok = int(crc_text, 16) == crc16_ccitt_false(payload) and len(crc_text) == 4
        except ValueError:
            ok = False
        if not ok:
            raise CommandError(_first_word(payload), "crc")
        text = payload
    try:
        words = text.decode("ascii").split()
    except UnicodeDecodeError:
        raise CommandError(UNREADABLE_COMMAND, "syntax") from None
    if not words:
        raise CommandError(UNREADABLE_COMMAND, "syntax")
    name = words[0].upper()
    if name not in COMMANDS:
        raise CommandError(name, "unknown")
    return Command(name, tuple(words[1:]))


def _first_word(payload: bytes) -> str:
    words = payload.decode("ascii", "replace").split()
    return words[0].upper() if words else UNREADABLE_COMMAND

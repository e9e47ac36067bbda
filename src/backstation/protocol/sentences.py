"""Typed sentences of wire protocol v1 and their text form.

Each device-to-host sentence is a small frozen dataclass with ``from_fields``
(strict: anything off-contract raises ``ValueError``, which the decoder counts
as malformed) and ``body()`` (the exact text the firmware writes). See
docs/protocol.md for the contract.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import ClassVar, Union

from .crc import crc_hex

PROTOCOL_VERSION = 1
BAUD_RATE = 250_000          # the station's serial speed, 8N1 (docs/protocol.md §1)
SEQ_MODULO = 1 << 16
T_US_MODULO = 1 << 32
RAW_MIN = -(1 << 23)
RAW_MAX = (1 << 23) - 1
MAX_FORCE_CHANNELS = 4
NO_ECHO_MM = -1
MAX_GAP_MM = 10_000
# HELLO's force_rate_hz: the firmware runs the HX711 at 10 or 80 SPS; the
# simulated station goes up to 2 kHz for throughput benchmarks. Anything
# else is no rate a station can run at (docs/protocol.md §3).
FORCE_RATE_RANGE_HZ = (1, 2000)


def check_force_rate_hz(rate_hz: int) -> int:
    """``rate_hz`` if a HELLO may say it (``FORCE_RATE_RANGE_HZ``), else ValueError
    saying the range: the one check for the host's decoder and the simulator."""
    low, high = FORCE_RATE_RANGE_HZ
    if not low <= rate_hz <= high:
        raise ValueError(f"force rate {rate_hz} Hz is outside the protocol's {low}..{high} Hz")
    return rate_hz


# CAL's counts_per_newton goes on the wire with 4 decimals: a smaller
# magnitude cannot be sent, and would make newtons overflow to infinity.
MIN_COUNTS_PER_NEWTON = 0.0001

_DEVICE_ID = re.compile(r"[0-9A-F]{8}\Z")
_WORD = re.compile(r"[A-Za-z0-9_.\-+]{1,32}\Z")
# The contract's numbers: ASCII digits with an optional leading "-", and one
# "." for a decimal. Python's int()/float() also take "+5", " 7", "1_000",
# "1e3", "inf" and non-ASCII digits; none of those is on the wire.
_UINT = re.compile(r"[0-9]+\Z")
_INT = re.compile(r"-?[0-9]+\Z")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")


def _int(text: str) -> int:
    if not _INT.match(text):
        raise ValueError(f"not a decimal integer: {text!r}")
    return int(text)


def _decimal(text: str) -> float:
    if not _DECIMAL.match(text):
        raise ValueError(f"not a decimal number: {text!r}")
    return float(text)


def check_counts_per_newton(scale: float) -> float:
    """``scale`` if a CAL may carry it (finite, |scale| >= 0.0001); ``ValueError`` if not.
    The one owner of the rule: the decoder and the SETCAL command both call it."""
    if not math.isfinite(scale) or abs(scale) < MIN_COUNTS_PER_NEWTON:
        raise ValueError(f"counts_per_newton {scale!r} is not a finite number "
                         f"of magnitude {MIN_COUNTS_PER_NEWTON} or more")
    return scale


def _uint(text: str, limit: int) -> int:
    if not _UINT.match(text):
        raise ValueError(f"not an unsigned decimal integer: {text!r}")
    value = int(text)
    if not 0 <= value < limit:
        raise ValueError(f"{value} outside 0..{limit - 1}")
    return value


def _word(text: str) -> str:
    if not _WORD.match(text):
        raise ValueError(f"not a word: {text!r}")
    return text


def _raw(text: str) -> int:
    value = _int(text)
    if not RAW_MIN <= value <= RAW_MAX:
        raise ValueError(f"raw count {value} outside 24 bits")
    return value


def _expect(fields: list[str], count: int, name: str) -> None:
    if len(fields) != count:
        raise ValueError(f"{name} takes {count} fields, got {len(fields)}")


@dataclass(frozen=True, slots=True)
class Hello:
    protocol: int
    firmware: str
    device_id: str
    force_channels: int
    force_rate_hz: int
    distance_sensor: str

    TYPE: ClassVar[str] = "HELLO"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "Hello":
        _expect(fields, 6, cls.TYPE)
        device_id = fields[2].upper()
        if not _DEVICE_ID.match(device_id):
            raise ValueError(f"device_id {fields[2]!r} is not 8 hex digits")
        channels = _int(fields[3])
        if not 1 <= channels <= MAX_FORCE_CHANNELS:
            raise ValueError(f"{channels} force channels")
        rate_hz = check_force_rate_hz(_uint(fields[4], 100_000))
        return cls(
            protocol=_uint(fields[0], 1000),
            firmware=_word(fields[1]),
            device_id=device_id,
            force_channels=channels,
            force_rate_hz=rate_hz,
            distance_sensor=_word(fields[5]).lower(),
        )

    def body(self) -> str:
        return (f"HELLO,{self.protocol},{self.firmware},{self.device_id},"
                f"{self.force_channels},{self.force_rate_hz},{self.distance_sensor}")

    @property
    def has_distance(self) -> bool:
        return self.distance_sensor != "none"

    @staticmethod
    def protocol_of(fields: tuple[str, ...] | list[str]) -> int | None:
        """The protocol a HELLO's fields say, even when the rest cannot be read
        (another protocol may shape its HELLO otherwise); ``None`` if it says none."""
        try:
            return _uint(fields[0], 1000) if fields else None
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Cal:
    channel: int
    offset_counts: int
    counts_per_newton: float

    TYPE: ClassVar[str] = "CAL"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "Cal":
        _expect(fields, 3, cls.TYPE)
        scale = check_counts_per_newton(_decimal(fields[2]))
        return cls(_uint(fields[0], MAX_FORCE_CHANNELS), _raw(fields[1]), scale)

    def body(self) -> str:
        return f"CAL,{self.channel},{self.offset_counts},{self.counts_per_newton:.4f}"

    def newtons(self, raw: int) -> float:
        return (raw - self.offset_counts) / self.counts_per_newton


@dataclass(frozen=True, slots=True)
class ForceSample:
    seq: int
    t_us: int
    raw: tuple[int, ...]

    TYPE: ClassVar[str] = "F"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "ForceSample":
        if not 3 <= len(fields) <= 2 + MAX_FORCE_CHANNELS:
            raise ValueError(f"F takes 3 to 6 fields, got {len(fields)}")
        return cls(_uint(fields[0], SEQ_MODULO), _uint(fields[1], T_US_MODULO),
                   tuple(_raw(f) for f in fields[2:]))

    def body(self) -> str:
        return f"F,{self.seq},{self.t_us}," + ",".join(map(str, self.raw))


@dataclass(frozen=True, slots=True)
class DistanceSample:
    seq: int
    t_us: int
    gap_mm: int

    TYPE: ClassVar[str] = "D"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "DistanceSample":
        _expect(fields, 3, cls.TYPE)
        gap_mm = _int(fields[2])
        if not NO_ECHO_MM <= gap_mm <= MAX_GAP_MM:
            raise ValueError(f"gap {gap_mm} mm")
        return cls(_uint(fields[0], SEQ_MODULO), _uint(fields[1], T_US_MODULO), gap_mm)

    def body(self) -> str:
        return f"D,{self.seq},{self.t_us},{self.gap_mm}"


@dataclass(frozen=True, slots=True)
class Stat:
    t_us: int
    force_hz_x100: int
    distance_hz_x100: int
    missed_samples: int
    tx_overflows: int

    TYPE: ClassVar[str] = "STAT"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "Stat":
        _expect(fields, 5, cls.TYPE)
        return cls(_uint(fields[0], T_US_MODULO), *(_uint(f, T_US_MODULO) for f in fields[1:]))

    def body(self) -> str:
        return (f"STAT,{self.t_us},{self.force_hz_x100},{self.distance_hz_x100},"
                f"{self.missed_samples},{self.tx_overflows}")

    @property
    def force_hz(self) -> float:
        return self.force_hz_x100 / 100.0

    @property
    def distance_hz(self) -> float:
        return self.distance_hz_x100 / 100.0


@dataclass(frozen=True, slots=True)
class Ack:
    command: str
    detail: tuple[str, ...] = ()

    TYPE: ClassVar[str] = "ACK"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "Ack":
        if not fields:
            raise ValueError("ACK without a command")
        return cls(_word(fields[0]).upper(), tuple(fields[1:]))

    def body(self) -> str:
        return ",".join(("ACK", self.command, *self.detail))


@dataclass(frozen=True, slots=True)
class Err:
    command: str
    reason: str

    TYPE: ClassVar[str] = "ERR"

    @classmethod
    def from_fields(cls, fields: list[str]) -> "Err":
        _expect(fields, 2, cls.TYPE)
        return cls(_word(fields[0]).upper(), _word(fields[1]).lower())

    def body(self) -> str:
        return f"ERR,{self.command},{self.reason}"

    @property
    def absent_force_channel(self) -> int | None:
        """The channel of an ``ERR,FORCE<n>,absent`` health report (the
        firmware's HX711 on that channel sends no data), else ``None``."""
        match = _FORCE_STATUS.match(self.command)
        if match is None or self.reason != ABSENT:
            return None
        return int(match.group(1))


# The station's health (docs/protocol.md §3): an HX711 that has not had data
# ready for 0.6 s is reported with an unsolicited ERR,FORCE<n>,absent, after
# every HELLO and the moment it stops; TARE and CAL on it answer ERR,<cmd>,absent.
ABSENT = "absent"
# What F carries on a channel reported absent: its pulled-up DOUT shifts out all ones.
ABSENT_RAW = -1
_FORCE_STATUS = re.compile(r"FORCE([0-3])\Z")
# What a maker calls each force channel, and the Arduino pin its HX711's DOUT
# goes to (firmware/arduino/backstation/bs_config.h).
FORCE_CHANNEL_NAMES = ("left", "right", "third", "fourth")
FORCE_DOUT_PINS = ("D5", "D6")


# HELLO's distance_sensor "none": the firmware saw no 3 echoes in a row
# (firmware/arduino/backstation/backstation.ino; the wiring is bs_config.h).
NO_DISTANCE_MESSAGE = ("no distance sensor answers (the station says none): check the HC-SR04's "
                       "TRIG (D7) and ECHO (D8) wires, its 5V and GND")


# HELLO's force_rate_hz at or below this: the HX711 RATE pin is low (10 SPS).
SLOW_ADC_MAX_HZ = 10


def slow_adc_message(rate_hz: int) -> str:
    """The one wording of "the load cells run at the HX711's slow rate"."""
    return (f"the load cells run at {rate_hz} SPS: tie the HX711 RATE pin high for 80 SPS "
            "(rate of force development needs it)")


def force_status_command(channel: int) -> str:
    """The ERR command word of a channel's health report: ``FORCE<n>``."""
    return f"FORCE{channel}"


def absent_force_message(channel: int) -> str:
    """The one wording of "this load cell sends nothing", for every place that says it."""
    name = FORCE_CHANNEL_NAMES[channel] if channel < len(FORCE_CHANNEL_NAMES) else str(channel)
    pin = FORCE_DOUT_PINS[channel] if channel < len(FORCE_DOUT_PINS) else None
    check = (f"check its DOUT wire ({pin}), its VCC and GND, and SCK (D4)" if pin
             else "check its wiring")
    return f"the {name} load cell (channel {channel}) is not answering: {check}"


Sentence = Union[Hello, Cal, ForceSample, DistanceSample, Stat, Ack, Err]

SENTENCE_TYPES: dict[str, type] = {
    cls.TYPE: cls for cls in (Hello, Cal, ForceSample, DistanceSample, Stat, Ack, Err)
}


def parse_body(body: str) -> Sentence:
    """Parse a checksummed BODY into its sentence; ``ValueError`` if off-contract."""
    kind, _, rest = body.partition(",")
    cls = SENTENCE_TYPES.get(kind)
    if cls is None:
        raise ValueError(f"unknown sentence type {kind!r}")
    return cls.from_fields(rest.split(",") if rest else [])


def frame(body: str | bytes) -> bytes:
    """The full line for a BODY: ``$BODY*CRC\\r\\n`` as the firmware writes it."""
    data = body.encode("ascii") if isinstance(body, str) else body
    return b"$" + data + b"*" + crc_hex(data) + b"\r\n"


def encode(sentence: Sentence) -> bytes:
    """The wire bytes of one sentence."""
    return frame(sentence.body())
